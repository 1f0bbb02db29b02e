/*
 * monitor.h — the topology monitor thread (see monitor.c).
 */
#ifndef WS_MONITOR_H
#define WS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <mysql.h>

/* Good checks in a row that bring a node that was down back to reads. */
#define WS_MONITOR_GOOD_CHECKS 2

struct ws_addr;
struct ws_cluster_rt;
struct ws_node_rt;
struct ws_session;

/*
 * Work the monitor thread runs for the layers above it (docs/architecture.md,
 * "Modules and layers"): the monitor never calls up into rules, stats or
 * failover; start-up (global.c) registers what they own. A task is a function,
 * its context and its period: period_ms 0 runs it once a round, before the
 * node checks; otherwise about every period_ms (the thread wakes every 50 ms
 * between rounds). After the last round the thread runs each task once more
 * with stopping = true, to close what it opened. Registering is thread-safe
 * and idempotent (the same run and ctx); at most WS_MONITOR_MAX_TASKS tasks
 * (-ENOSPC beyond). Tasks run on the monitor thread only, one at a time.
 */
typedef void ws_monitor_task_fn(void *ctx, unsigned interval_ms, bool stopping);
#define WS_MONITOR_MAX_TASKS 8
int ws_monitor_add_task(ws_monitor_task_fn *run, void *ctx, unsigned period_ms);

/* Called by the node checks when a member answers read_only = 1; round: the
 * rounds completed before this one (failover.c registers it at start-up). */
typedef void ws_monitor_read_only_fn(struct ws_cluster_rt *rt, struct ws_node_rt *n, uint64_t round);
void ws_monitor_on_read_only(ws_monitor_read_only_fn *fn);

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
