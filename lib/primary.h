/*
 * primary.h — the handle's primary connection, the application's own: what
 * libwescale sets up on it at connect (session tracking), takes in after each
 * statement it ran (session variables, schema, GTIDs), asks of it (server
 * status), and runs on it for itself. Used by the routing core, failover and
 * transaction replay (docs/architecture.md, "Modules and layers").
 */
#ifndef WS_PRIMARY_H
#define WS_PRIMARY_H

#include <stdbool.h>

#include "session.h"

/* After a statement or result completed on the primary: take in what the
 * server reported (session variables, schema, GTID). The statement paths call
 * ws_route_after_primary(), which adds what the layers above make of it. */
void ws_primary_after(struct ws_session *s);

/* The primary ran a statement that may have written and answered with rows:
 * learn its GTID before the handle's next statement (one round trip). */
void ws_primary_harvest_slow(struct ws_session *s);
static inline void ws_primary_harvest(struct ws_session *s)
{
	if (s->harvest_pending)
		ws_primary_harvest_slow(s);
}

/* The server status the primary connection last reported (SERVER_STATUS_*);
 * SERVER_STATUS_AUTOCOMMIT alone when the client library cannot say. */
unsigned ws_primary_server_status(struct ws_session *s);

/* Is the handle inside a transaction (server status, or statements seen)? */
bool ws_primary_in_trx(struct ws_session *s);

/* Run a statement that returns no rows (SET, ROLLBACK) on the application's
 * own connection, for libwescale itself: 0, or the error number. */
unsigned ws_primary_exec(struct ws_session *s, const char *sql);

/* Take the primary session's @@last_gtid (MariaDB) into the handle's
 * watermark: a write this session ran without tracking (an init command at
 * connect, a statement that reconnected) is then waited for like any other.
 * Runs a statement on the primary (no result may be pending). 0 or -1. */
int ws_primary_note_last_gtid(struct ws_session *s);

#endif /* WS_PRIMARY_H */
