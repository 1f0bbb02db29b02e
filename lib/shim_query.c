/*
 * shim_query.c — the entry points that run statements or change session state
 * on a handle: routed for managed handles (route.c), plain forwards otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>

#include "failover.h"
#include "real.h"
#include "replay.h"
#include "route.h"
#include "session.h"
#include "tracking.h"
#include "wescale.h"

/* The handle's session when it is managed and this is the application's own
 * call (not one the real library makes on itself). */
static inline struct ws_session *managed(MYSQL *m)
{
	struct ws_session *s;

	if (ws_guarded())
		return NULL;
	s = ws_session_get(m);
	return s && s->cluster ? s : NULL;
}

/* A handle inherited across fork(): its sockets are the parent's. The child
 * gets a clear error instead of talking on them. */
static bool refuse_inherited(struct ws_session *s)
{
	if (!s || !ws_session_inherited(s))
		return false;
	ws_session_set_error(s, WESCALE_ER_FORKED, "HY000",
			     "wescale: this connection belongs to the parent process (it was inherited across "
			     "fork()); open a new connection in the child");
	return true;
}

/*
 * After the real library reconnected by itself (MYSQL_OPT_RECONNECT; seen by
 * ws_route_after_primary, which leaves reads on the primary meanwhile), at the
 * handle's next statement or ping, when no result of ours is pending. The new
 * server session has the server's defaults, as a plain libmariadb handle has
 * after a reconnect: the carried state is forgotten (replica connections start
 * afresh), tracking is set up again, and the session's last GTID covers a write
 * that ran untracked since the reconnect.
 */
static void resync(struct ws_session *s)
{
	ws_session_reset_state(s);
	ws_tracking_on_connect(s, false);
	if (s->state_unknown)
		return; /* the application left a result unread: at its next call */
	s->resync_pending = false;
	s->primary_gen++;
	if (ws_primary_note_last_gtid(s) < 0)
		s->state_unknown = true;
}

/* A managed handle's statement text. `SET @@name = …` goes to the server as
 * `SET @@session.name = …` (ws_session_scope_set says why); the '@' test keeps
 * every other statement free of the scan. */
static int route_text(struct ws_session *s, const char *q, unsigned long len, bool send_only)
{
	char *scoped;
	size_t n;
	int r;

	if (WS_UNLIKELY(s->resync_pending))
		resync(s);
	/* libmariadb reads a length of (unsigned long)-1 as "up to the NUL". */
	if (WS_UNLIKELY(len == (unsigned long)-1))
		len = strlen(q);
	if (WS_LIKELY(!memchr(q, '@', len)))
		return ws_route_query(s, q, len, send_only, 0);
	if (ws_session_scope_set(q, len, &scoped, &n) <= 0)
		return ws_route_query(s, q, len, send_only, 1);
	r = ws_route_query(s, scoped, n, send_only, -1);
	free(scoped);
	return r;
}

WS_ENTRY(mysql_real_query, libmysqlclient_18);
int WS_FN(mysql_real_query)(MYSQL *mysql, const char *q, unsigned long length)
{
	REAL_OR_FAIL(mysql_real_query, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (refuse_inherited(s))
		return 1;
	if (s && q)
		return route_text(s, q, length, false);
	if (s) /* no text: the real library answers, on the primary */
		ws_route_reset_last(mysql);
	ws_guard_enter();
	r = R->mysql_real_query(mysql, q, length);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_query, libmysqlclient_18);
int WS_FN(mysql_query)(MYSQL *mysql, const char *q)
{
	REAL_OR_FAIL(mysql_query, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (refuse_inherited(s))
		return 1;
	if (s && q)
		return route_text(s, q, strlen(q), false);
	if (s)
		ws_route_reset_last(mysql);
	ws_guard_enter();
	r = R->mysql_query(mysql, q);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_send_query, libmysqlclient_18);
int WS_FN(mysql_send_query)(MYSQL *mysql, const char *q, unsigned long length)
{
	REAL_OR_FAIL(mysql_send_query, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (refuse_inherited(s))
		return 1;
	if (s && q) {
		r = route_text(s, q, length, true);
		/* A reply left for later on a replica: that connection is never
		 * pooled (the application may close the handle unread). */
		if (s->last_node >= 0)
			s->replicas[s->last_node].no_pool = true;
		return r;
	}
	if (s)
		ws_route_reset_last(mysql);
	ws_guard_enter();
	r = R->mysql_send_query(mysql, q, length);
	ws_guard_leave();
	return r;
}

/* Results of a statement that was sent (send_query) or of the next statement of
 * a multi-statement text: read from the connection that ran it; what the primary
 * reports about session state is taken in. */
WS_ENTRY(mysql_read_query_result, libmysqlclient_18);
my_bool WS_FN(mysql_read_query_result)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_read_query_result, 1);
	struct ws_session *s = managed(mysql);
	my_bool r;

	if (s) {
		r = ws_route_read_result(s);
		ws_rules_done(&s->pending_rule);
		return r;
	}
	ws_guard_enter();
	r = R->mysql_read_query_result(mysql);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_next_result, libmysqlclient_18);
int WS_FN(mysql_next_result)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_next_result, -1);
	struct ws_session *s = managed(mysql);
	MYSQL *target = s && s->last ? s->last : mysql;
	int r;

	ws_guard_enter();
	r = R->mysql_next_result(target);
	ws_guard_leave();
	if (s && !s->last && r == 0)
		ws_route_after_primary(s);
	return r;
}

/* Calls that run on the primary and change session state: afterwards, what the
 * primary reported is carried to the replicas. */
WS_ENTRY(mysql_select_db, libmysqlclient_18);
int WS_FN(mysql_select_db)(MYSQL *mysql, const char *db)
{
	REAL_OR_FAIL(mysql_select_db, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (s) {
		ws_session_clear_error(s);
		if (ws_route_call(s, WS_API_SELECT_DB) < 0)
			return 1; /* an optimistic transaction could not move to the primary */
		ws_session_use_primary(s);
	}
	ws_guard_enter();
	r = R->mysql_select_db(mysql, db);
	ws_guard_leave();
	if (s && r == 0) {
		ws_route_after_primary(s);
		if (db && ws_session_set_db(s, db, strlen(db)) < 0)
			s->state_unknown = true;
	}
	return r;
}

WS_ENTRY(mysql_set_character_set, libmysqlclient_18);
int WS_FN(mysql_set_character_set)(MYSQL *mysql, const char *csname)
{
	REAL_OR_FAIL(mysql_set_character_set, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (s) {
		ws_session_clear_error(s);
		if (ws_route_call(s, WS_API_SET_CHARSET) < 0)
			return 1; /* an optimistic transaction could not move to the primary */
		ws_session_use_primary(s);
	}
	ws_guard_enter();
	r = R->mysql_set_character_set(mysql, csname);
	ws_guard_leave();
	if (s && r == 0) {
		ws_route_after_primary(s);
		ws_session_collation_default(s);
	}
	return r;
}

WS_ENTRY(mysql_change_user, libmysqlclient_18);
my_bool WS_FN(mysql_change_user)(MYSQL *mysql, const char *user, const char *passwd, const char *db)
{
	REAL_OR_FAIL(mysql_change_user, 1);
	struct ws_session *s = managed(mysql);
	my_bool r;

	if (s) {
		ws_session_clear_error(s);
		ws_session_use_primary(s);
	}
	ws_guard_enter();
	r = R->mysql_change_user(mysql, user, passwd, db);
	ws_guard_leave();
	if (s && r == 0) {
		/* A new session on the primary: replicas reconnect as the new user. */
		ws_session_reset_state(s);
		if (ws_session_set_connect_args(s, user, passwd, db, s->client_flag) < 0)
			s->state_unknown = true;
		ws_tracking_on_connect(s, false);
	}
	return r;
}

WS_ENTRY(mysql_reset_connection, libmysqlclient_18);
int WS_FN(mysql_reset_connection)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_reset_connection, 1);
	struct ws_session *s = managed(mysql);
	int r;

	if (s) {
		ws_session_clear_error(s);
		ws_session_use_primary(s);
	}
	ws_guard_enter();
	r = R->mysql_reset_connection(mysql);
	ws_guard_leave();
	if (s && r == 0) {
		ws_session_reset_state(s);
		ws_tracking_on_connect(s, false);
		/* The real call leaves mysql_affected_rows() at -1; the tracking set-up
		 * above left 0. A ping (its OK packet is not parsed) restores -1. */
		ws_guard_enter();
		R->mysql_ping(mysql);
		ws_guard_leave();
	}
	return r;
}

/* mysql_ping: with MYSQL_OPT_RECONNECT the real call may reconnect; the new
 * server session is set up here, before the application's next statement. */
WS_ENTRY(mysql_ping, libmysqlclient_18);
int WS_FN(mysql_ping)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_ping, 1);
	struct ws_session *s = managed(mysql);
	unsigned long tid = 0;
	int r;

	if (s && s->last && s->last != s->mysql) {
		/* The last statement ran on a replica, maybe with its rows still
		 * unread (mysql_use_result): libmariadb refuses any command then.
		 * A ping of that connection says so without a round trip (and
		 * costs one when it is idle). */
		ws_guard_enter();
		r = R->mysql_ping(s->last) != 0 && R->mysql_errno(s->last) == CR_COMMANDS_OUT_OF_SYNC;
		ws_guard_leave();
		if (r) {
			ws_session_set_error(s, CR_COMMANDS_OUT_OF_SYNC, "HY000",
					     "Commands out of sync; you can't run this command now");
			return 1;
		}
	}
	if (s)
		ws_route_reset_last(mysql);
	ws_guard_enter();
	r = R->mysql_ping(mysql);
	if (s && r == 0)
		tid = R->mysql_thread_id(mysql);
	ws_guard_leave();
	if (s && r == 0 && (s->resync_pending || tid != s->thread_id)) {
		resync(s);
		/* mysql_affected_rows() answers -1 after a ping, not our SELECT's 1. */
		ws_guard_enter();
		R->mysql_ping(mysql);
		ws_guard_leave();
	}
	return r;
}

WS_ENTRY(mysql_autocommit, libmysqlclient_18);
my_bool WS_FN(mysql_autocommit)(MYSQL *mysql, my_bool mode)
{
	REAL_OR_FAIL(mysql_autocommit, 1);
	struct ws_session *s = managed(mysql);
	my_bool r;

	if (s) {
		ws_session_clear_error(s);
		ws_route_call(s, WS_API_AUTOCOMMIT); /* ends a READ ONLY transaction on its replica */
		ws_session_use_primary(s);
	}
	ws_guard_enter();
	r = R->mysql_autocommit(mysql, mode);
	ws_guard_leave();
	/* autocommit=1 commits an open transaction: take its GTID. */
	if (s && r == 0)
		ws_route_after_primary(s);
	return r;
}

static my_bool end_trx(MYSQL *mysql, bool commit)
{
	const struct ws_real *R = ws_real();
	struct ws_session *s = managed(mysql);
	my_bool r;

	if (s) {
		ws_session_clear_error(s);
		if (ws_route_call(s, WS_API_END_TRX) == WS_TARGET_RO_TRX)
			return (my_bool)ws_route_end_ro_trx(s, commit);
		ws_session_use_primary(s);
		/* Another primary was named: a COMMIT must not land on the old one. */
		if (s->cluster && ws_failover_switch_pending(s) &&
		    ws_failover_switch(s, commit && ws_primary_in_trx(s)) < 0)
			return 1;
	}
	ws_guard_enter();
	r = commit ? R->mysql_commit(mysql) : R->mysql_rollback(mysql);
	ws_guard_leave();
	/* The COMMIT's OK packet carries the transaction's GTID: without it a
	 * read right after would not wait for the write. */
	if (s && r == 0)
		ws_route_after_primary(s);
	return r;
}

WS_ENTRY(mysql_commit, libmysqlclient_18);
my_bool WS_FN(mysql_commit)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_commit, 1);
	(void)R;
	return end_trx(mysql, true);
}

WS_ENTRY(mysql_rollback, libmysqlclient_18);
my_bool WS_FN(mysql_rollback)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_rollback, 1);
	(void)R;
	return end_trx(mysql, false);
}

/* Errors answer for the connection that ran the last statement, unless
 * libwescale itself failed the statement: then *own is that session. */
static MYSQL *error_target(MYSQL *mysql, struct ws_session **own)
{
	struct ws_session *s = ws_guarded() ? NULL : ws_session_get(mysql);

	*own = s && s->err_code ? s : NULL;
	return s && s->last ? s->last : mysql;
}

WS_ENTRY(mysql_errno, libmysqlclient_18);
unsigned int WS_FN(mysql_errno)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_errno, 0);
	struct ws_session *own;
	MYSQL *target = error_target(mysql, &own);
	unsigned int r;

	if (own)
		return own->err_code;
	ws_guard_enter();
	r = R->mysql_errno(target);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_error, libmysqlclient_18);
const char *WS_FN(mysql_error)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_error, "");
	struct ws_session *own;
	MYSQL *target = error_target(mysql, &own);
	const char *r;

	if (own)
		return own->err_msg;
	ws_guard_enter();
	r = R->mysql_error(target);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_sqlstate, libmysqlclient_18);
const char *WS_FN(mysql_sqlstate)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_sqlstate, "HY000");
	struct ws_session *own;
	MYSQL *target = error_target(mysql, &own);
	const char *r;

	if (own)
		return own->err_sqlstate;
	ws_guard_enter();
	r = R->mysql_sqlstate(target);
	ws_guard_leave();
	return r;
}

/* Options are recorded so replica connections are made with the same ones. */
WS_ENTRY(mysql_options, libmysqlclient_18);
int WS_FN(mysql_options)(MYSQL *mysql, enum mysql_option option, const void *arg)
{
	REAL_OR_FAIL(mysql_options, 1);
	struct ws_session *s = ws_guarded() ? NULL : ws_session_get(mysql);
	int r;

	ws_guard_enter();
	r = R->mysql_options(mysql, option, arg);
	ws_guard_leave();
	if (s && r == 0 && ws_session_record_option(s, option, arg, NULL) < 0)
		s->state_unknown = true;
	return r;
}

WS_ENTRY(mysql_options4, libmysqlclient_18);
int WS_FN(mysql_options4)(MYSQL *mysql, enum mysql_option option, const void *arg1, const void *arg2)
{
	REAL_OR_FAIL(mysql_options4, 1);
	struct ws_session *s = ws_guarded() ? NULL : ws_session_get(mysql);
	int r;

	ws_guard_enter();
	r = R->mysql_options4(mysql, option, arg1, arg2);
	ws_guard_leave();
	if (s && r == 0 && ws_session_record_option(s, option, arg1, arg2) < 0)
		s->state_unknown = true;
	return r;
}

WS_ENTRY(mysql_ssl_set, libmysqlclient_18);
int WS_FN(mysql_ssl_set)(MYSQL *mysql, const char *key, const char *cert, const char *ca,
			     const char *capath, const char *cipher)
{
	REAL_OR_FAIL(mysql_ssl_set, 1);
	struct ws_session *s = ws_guarded() ? NULL : ws_session_get(mysql);
	int r;

	ws_guard_enter();
	r = R->mysql_ssl_set(mysql, key, cert, ca, capath, cipher);
	ws_guard_leave();
	if (s && r == 0 && ws_session_record_ssl(s, key, cert, ca, capath, cipher) < 0)
		s->state_unknown = true;
	return r;
}

/* Results: from the connection that ran the statement. A replica lost before
 * its rows arrived is replaced invisibly (the rows never reached the
 * application, so running the read again is safe). */
WS_ENTRY(mysql_store_result, libmysqlclient_18);
MYSQL_RES *WS_FN(mysql_store_result)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_store_result, NULL);
	struct ws_session *s = managed(mysql);
	MYSQL_RES *res;

	if (s && s->last)
		return ws_route_store_result(s);
	ws_guard_enter();
	res = R->mysql_store_result(mysql);
	ws_guard_leave();
	if (s && s->replay)
		ws_replay_result(s, res);
	return res;
}
