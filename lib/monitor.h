/*
 * monitor.h — the topology monitor thread (see monitor.c).
 */
#ifndef WS_MONITOR_H
#define WS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

struct ws_addr;
struct ws_session;

/*
 * A task the monitor thread runs (DESIGN: the monitor does not call up into
 * other modules; they register with it): at the start of every round, before
 * the node checks, with the round's interval; and once with stopping = true
 * when the thread ends, to close what it opened. Registering is thread-safe
 * and idempotent; at most WS_MONITOR_MAX_TASKS tasks (-ENOSPC beyond).
 */
/* Good checks in a row that bring a node that was down back to reads. */
#define WS_MONITOR_GOOD_CHECKS 2

typedef void ws_monitor_task_fn(unsigned interval_ms, bool stopping);
#define WS_MONITOR_MAX_TASKS 8
int ws_monitor_register_task(ws_monitor_task_fn *fn);

/* For tasks, on the monitor thread: a connection to addr made as the
 * monitor makes its own (its credentials, the application's options, time
 * limits from interval_ms). NULL when it fails. */
MYSQL *ws_monitor_connect(const struct ws_addr *addr, unsigned interval_ms);

/* Start the monitor thread if it is not running, with s's credentials and
 * options (or the cluster's monitor_user). Idempotent, thread-safe. */
void ws_monitor_start(const struct ws_session *s);
/* Stop and join the thread (mysql_library_end, unload). Idempotent. */
void ws_monitor_stop(void);
/* Completed check rounds since start (tests, stats). */
uint64_t ws_monitor_rounds(void);
/* In a child after fork(). */
void ws_monitor_atfork_child(void);

#endif /* WS_MONITOR_H */
