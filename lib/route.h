/*
 * route.h — which connection runs a statement, and which one answers for it
 * (docs/architecture.md).
 */
#ifndef WS_ROUTE_H
#define WS_ROUTE_H

#include <stdbool.h>
#include <mysql.h>

#include "decide.h"
#include "primary.h"
#include "session.h"

struct ws_verdict;

/* The connection that ran the last statement of the application's handle
 * `mysql` (the handle itself when it is not managed, or the primary ran it). */
static inline MYSQL *ws_route_last(MYSQL *mysql)
{
	struct ws_session *s = ws_session_get(mysql);

	return s && s->last ? s->last : mysql;
}

/* A call that runs on the application's own connection: from now on the
 * primary answers status calls. */
void ws_route_reset_last(MYSQL *mysql);

/*
 * Run a text statement for a managed handle: classify it, choose the
 * connection, run it there (send only, for mysql_send_query), remember which
 * connection answers for it. at_sign: does the text hold an '@' byte (1, 0;
 * -1: not known, looked for here). Returns what mysql_real_query (or
 * mysql_send_query) returns.
 */
int ws_route_query(struct ws_session *s, const char *q, unsigned long len, bool send_only, int at_sign);

/*
 * For a statement with verdict v (text q, len): the index of a ready replica
 * that may run it, or -1 for the primary, or -2 when it must fail with the
 * session's error (an optimistic transaction could not move to the primary).
 * Consumes a pending wescale_route_next() choice. now_us: ws_now_us() at the
 * statement's start. memo: the statement's remembered plan (decide.h), or NULL.
 */
int ws_route_pick_read(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len, uint64_t now_us,
		       struct ws_route_memo *memo);

/* After a statement or result completed on the primary: take in what the
 * server reported (primary.c), then what it means for an optimistic
 * transaction (optimistic.c). */
void ws_route_after_primary(struct ws_session *s);

/* mysql_store_result for a handle whose last statement ran on a replica: when
 * the replica is lost before any row arrived, the read runs again on another
 * node (or the primary) and its result is returned instead. */
MYSQL_RES *ws_route_store_result(struct ws_session *s);

/* mysql_read_query_result for a managed handle: the reply of the statement
 * mysql_send_query sent, from the connection that holds it (a read whose
 * replica died or refused it as a write runs again elsewhere); the bookkeeping
 * of a primary statement. */
my_bool ws_route_read_result(struct ws_session *s);

/* An API call without text (mysql_commit, mysql_rollback, mysql_autocommit,
 * mysql_select_db, mysql_set_character_set, the non-blocking calls): decide
 * where it runs (enum ws_target: the primary, or WS_TARGET_RO_TRX for the
 * commit / rollback of a transaction held on a replica); a READ ONLY
 * transaction it ends is ended first, an optimistic one it needs on the
 * primary moved there (-1: that failed, the session's error is set). */
int ws_route_call(struct ws_session *s, enum ws_api api);

/* The non-blocking API (shim_nonblock.c): a call starts on the primary (text
 * q, or NULL) — false when it must fail with the session's error (an
 * optimistic transaction could not move to the primary); it completed (ok:
 * successfully; reply_read: its reply is in, not only sent). */
bool ws_route_nb_begin(struct ws_session *s, const char *q, size_t len);
void ws_route_nb_done(struct ws_session *s, bool ok, bool reply_read);

/* After a statement with verdict v (text q, len) succeeded on the primary:
 * note the temporary tables and table locks it created or dropped, and what
 * the server does not report of the session state it changed. */
void ws_route_note_statement(struct ws_session *s, const char *q, size_t len, const struct ws_verdict *v);

/* The application finished a READ ONLY transaction held on a replica with
 * mysql_commit / mysql_rollback: run it there. Returns -1 when none is held,
 * else the real call's result. */
int ws_route_end_ro_trx(struct ws_session *s, bool commit);

/* "replica HOST:PORT: reason" / "primary: reason" for the last routed
 * statement into buf (snprintf-truncated). 0, or negative when the handle has
 * no cluster. */
int ws_route_explain(struct ws_session *s, char *buf, size_t size);

/* Copy "host:port" of the node that ran the last statement into buf. */
int ws_route_last_backend(struct ws_session *s, char *buf, size_t size);

#endif /* WS_ROUTE_H */
