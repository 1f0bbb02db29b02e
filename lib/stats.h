/*
 * stats.h — the process's statistics as JSON (wescale_stats_json), and the
 * optional unix socket that serves them to `wescale status` (stats_socket =).
 */
#ifndef WS_STATS_H
#define WS_STATS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Write the statistics as one JSON object into buf (snprintf semantics:
 * returns the length of the whole text, excluding the NUL; writes at most len
 * bytes, always NUL-terminated when len > 0; buf may be NULL when len is 0).
 * Lock-free reads of live counters: figures of one call are not a single
 * atomic snapshot. No allocation. The layout is documented in docs/rules.md
 * and wescale_stats_json(3).
 */
size_t ws_stats_json(char *buf, size_t len);

/* Count one statement routed for `reason` (enum ws_reason), and one request
 * for a replica refused because the statement is not safe there. Lock-free. */
void ws_stats_count_reason(int reason);
void ws_stats_count_unsafe_hint(void);

/*
 * Create a unix stream socket listening at `path` ("%p" in it is replaced by
 * the process id, "%%" by '%'), mode 0600, SOCK_CLOEXEC | SOCK_NONBLOCK.
 * A stale socket file at the path (nobody accepting) is replaced; a live one
 * gives -EADDRINUSE, any other file -EEXIST. Returns the fd or -errno.
 * The caller (the monitor thread) owns the fd.
 */
int ws_stats_socket_open(const char *path);

/*
 * Accept every pending connection on fd (at most 64 per call), write the JSON
 * to each and close it. Never blocks: a client that does not read is cut off.
 * Only a peer with this process's effective uid, or root, is served.
 */
void ws_stats_socket_serve(int fd);

/* The monitor task that serves the stats socket (registered by start-up,
 * period 50 ms): opens `stats_socket` at its first run, answers every pending
 * client at each, closes it when the thread stops. */
void ws_stats_monitor_task(void *ctx, unsigned interval_ms, bool stopping);
/* In a child after fork(): the parent's socket is not served here. */
void ws_stats_atfork_child(void);

#endif /* WS_STATS_H */
