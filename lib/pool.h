/*
 * pool.h — the per-process pool of idle replica connections
 * (docs/performance.md, "Connect cost"; man/wescale.conf.5, pool_*).
 *
 * A replica connection a handle no longer needs (the handle is closed, reset,
 * or the connection idle) is kept, keyed by everything that makes a connection
 * equivalent: the node, user, password, connect database, client flags and
 * every recorded mysql_options call (TLS, charset, connect attributes, …). The
 * next handle that needs that node with an equal key takes it and brings it to
 * its own session state: nothing to do when the states agree, else the
 * session's variables and database are replayed; when the old state cannot be
 * undone that way (a variable the new session never set, a READ ONLY
 * transaction, anything a pinned route or a read-only transaction ran there)
 * the connection is reset (mysql_reset_connection) and made a read-only session
 * again first. Connections that prepared statements are never pooled.
 *
 * Bounded per node (pool_max_per_node) and per process (pool_max); an idle
 * connection is closed after pool_idle_timeout_ms (by the monitor thread, and
 * at every put/take). Fork: the child drops the parent's pooled connections
 * without a word on their sockets. All functions are thread-safe.
 */
#ifndef WS_POOL_H
#define WS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "session.h"

/* Keep c (a replica connection of s that s no longer needs) for another
 * handle. 0: the pool owns c->mysql now; -1: not pooled (the caller closes it). */
int ws_pool_put(struct ws_session *s, struct ws_conn *c);

/* A pooled connection to replica c->node equivalent for s, a read-only
 * session opened since the node's latest outage; *applied_gen is the state
 * generation of s it holds (0: replay the whole state), *outage the node's
 * outage count it was opened under (ws_conn.outage). Counted in the node's
 * connections. NULL: none. */
MYSQL *ws_pool_take(struct ws_session *s, const struct ws_conn *c, uint64_t *applied_gen, uint64_t *outage);

/* Close the connections idle longer than pool_idle_timeout_ms. */
void ws_pool_sweep(uint64_t now_ms);

/* Close every pooled connection (mysql_library_end, process exit). */
void ws_pool_close_all(void);

/* In a child after fork(): drop the parent's connections (close their sockets,
 * send nothing). */
void ws_pool_atfork_child(void);

/* The pool as a JSON object into buf (snprintf semantics). */
size_t ws_pool_json(char *buf, size_t len);

/* Idle connections now (for tests). */
size_t ws_pool_size(void);

/* The monitor task (start-up registers it, once a round, after nothing in
 * particular): close idle pooled connections. */
void ws_pool_monitor_task(void *ctx, unsigned interval_ms, bool stopping);

#endif /* WS_POOL_H */
