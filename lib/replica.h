/*
 * replica.h — a handle's replica connections, ready for a read (replica.c).
 */
#ifndef WS_REPLICA_H
#define WS_REPLICA_H

#include <stdint.h>
#include <mysql.h>

#include "session.h"

/*
 * A ready connection to replica `idx`: connected (with the application's options
 * and credentials) and brought up to the session's state. NULL when it cannot be
 * used now (refused, failed, in back-off): it is then marked failed. now_ms:
 * ws_now_ms() at the statement's start.
 */
MYSQL *ws_replica_slow(struct ws_session *s, size_t idx, uint64_t now_ms);
static inline MYSQL *ws_replica_get(struct ws_session *s, size_t idx, uint64_t now_ms)
{
	struct ws_conn *c = &s->replicas[idx];

	/* The common case, inline: connected, healthy, up to date. */
	if (c->mysql && !c->failed && c->applied_gen >= s->state_gen && !c->ro_unsure) {
		c->last_used_ms = now_ms;
		return c->mysql;
	}
	return ws_replica_slow(s, idx, now_ms);
}

/*
 * The connection to replica `idx` failed with a connection error: it is
 * closed. When it was opened before the server's latest outage (the monitor
 * or another handle saw the server down since), only the connection was
 * stale: the next read may connect again at once; returns false. Otherwise
 * the server is marked down for every handle (until the monitor sees it pass
 * its checks) and this handle leaves it alone for WS_REPLICA_RETRY_MS;
 * returns true.
 */
bool ws_replica_lost(struct ws_session *s, size_t idx);

#endif /* WS_REPLICA_H */
