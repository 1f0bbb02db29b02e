/*
 * monitor.h — the topology monitor thread (see monitor.c).
 */
#ifndef WS_MONITOR_H
#define WS_MONITOR_H

#include <stdint.h>

struct ws_session;

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
