/*
 * safety.c — the defences on replica connections that do not depend on the
 * classifier (see safety.h and docs/robustness.md).
 *
 * Why an init command for the read-only session: libmariadb runs a handle's
 * init commands inside mysql_real_connect, before the connection is handed to
 * us, and again after each of its own automatic reconnects (MYSQL_OPT_RECONNECT).
 * A replica connection therefore never exists, even for one statement, without
 * it — and when it fails the connect fails, so a connection that could not be
 * made read-only is never used. `SET SESSION TRANSACTION READ ONLY` is the
 * spelling every MariaDB and MySQL version accepts (the variable behind it is
 * tx_read_only before MariaDB 11.1 / MySQL 8.0, transaction_read_only after).
 * Session state replayed on replicas never carries that variable (session.c
 * keeps it local), so no replay can undo it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ck_pr.h>

#include "classify.h"
#include "config.h"
#include "consistency.h"
#include "log.h"
#include "real.h"
#include "safety.h"
#include "session.h"

const char ws_safety_read_only_sql[] = "SET SESSION TRANSACTION READ ONLY";

bool ws_safety_multi_statements(const struct ws_session *s)
{
	if (s->client_flag & CLIENT_MULTI_STATEMENTS)
		return true;
	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].option == MARIADB_OPT_MULTI_STATEMENTS && s->opts[i].kind != WS_OPT_SSL_SET)
			return true;
	return false;
}

unsigned long ws_safety_replica_flags(const struct ws_session *s)
{
	unsigned long f = s->client_flag | CLIENT_MULTI_RESULTS;

	/* Never more than the application has: CLIENT_MULTI_STATEMENTS would let
	 * a text the classifier took for one read run a second statement. */
	if (!ws_safety_multi_statements(s))
		f &= ~(unsigned long)CLIENT_MULTI_STATEMENTS;
	return f;
}

int ws_safety_replica_options(const struct ws_session *s, MYSQL *m)
{
	const struct ws_real *R = ws_real();
	int r = ws_session_apply_options_except(s, m, MYSQL_INIT_COMMAND);

	ws_guard_enter();
	if (R->mysql_options(m, MYSQL_INIT_COMMAND, ws_safety_read_only_sql))
		r = -1;
	ws_guard_leave();
	return r;
}

bool ws_safety_init_command_allowed(const char *sql, size_t len)
{
	const uint32_t never = WS_F_PARSE_ERROR | WS_F_SET_GLOBAL | WS_F_PRIMARY_FUNC | WS_F_LOCKING_READ |
			       WS_F_SELECT_INTO | WS_F_EXECUTES | WS_F_TRX_BEGIN | WS_F_LOCK_TABLES | WS_F_TEMP_CREATE;
	struct ws_verdict v;
	size_t off = 0;

	ws_classify(sql, len, &v);
	if (v.flags & never)
		return false;
	if (v.flags & WS_F_READ)
		return true;
	while (ws_classify_next(sql, len, &off, &v)) {
		if (v.flags & never)
			return false;
		if (v.flags & WS_F_READ)
			continue;
		if (!(v.flags & WS_F_SESSION_STATE) || (v.kind != WS_STMT_SET && v.kind != WS_STMT_USE))
			return false;
	}
	return true;
}

static unsigned send_text(MYSQL *m, const char *q, size_t len)
{
	const struct ws_real *R = ws_real();
	unsigned e = 0;

	ws_guard_enter();
	if (R->mysql_real_query(m, q, len))
		e = R->mysql_errno(m);
	ws_guard_leave();
	return e;
}

static bool more_results(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	bool more;

	ws_guard_enter();
	more = R->mysql_more_results(m);
	ws_guard_leave();
	return more;
}

/* Consume every pending result of m (also: after a timed-out wait, the read
 * ran on a stale replica: its results must not reach the application). The
 * first error number, or 0. */
static unsigned consume_all(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	unsigned e = 0;
	int more;

	ws_guard_enter();
	do {
		MYSQL_RES *res = R->mysql_store_result(m);

		if (res)
			R->mysql_free_result(res);
		else if (!e && R->mysql_field_count(m))
			e = R->mysql_errno(m);
		more = R->mysql_next_result(m);
		if (more > 0 && !e)
			e = R->mysql_errno(m);
	} while (more == 0);
	ws_guard_leave();
	return e;
}

/* Run sql on m and consume every result. 0 or the error number. */
static unsigned exec_all(MYSQL *m, const char *sql)
{
	unsigned e = send_text(m, sql, strlen(sql));

	return e ? e : consume_all(m);
}

static int warned_skip, warned_failed;

int ws_safety_replica_init(const struct ws_session *s, MYSQL *m)
{
	const struct ws_real *R = ws_real();
	bool ran = false;

	for (size_t i = 0; i < s->n_opts; i++) {
		const struct ws_optrec *o = &s->opts[i];
		unsigned e;

		if (o->option != MYSQL_INIT_COMMAND || o->kind != WS_OPT_STR || !o->s[0] || !*o->s[0])
			continue;
		if (!ws_safety_init_command_allowed(o->s[0], strlen(o->s[0]))) {
			if (ck_pr_cas_int(&warned_skip, 0, 1))
				ws_log(WS_LOG_WARN, "MYSQL_INIT_COMMAND \"%.200s\" is neither a read nor session state: "
				       "not run on replica connections (logged once)", o->s[0]);
			continue;
		}
		ran = true;
		e = exec_all(m, o->s[0]);
		if (e && ws_is_connection_error(e))
			return -1;
		if (e && ck_pr_cas_int(&warned_failed, 0, 1)) {
			ws_guard_enter();
			ws_log(WS_LOG_WARN, "MYSQL_INIT_COMMAND \"%.200s\" failed on a replica (%u: %s): the replica "
			       "is used without it (logged once)", o->s[0], e, R->mysql_error(m));
			ws_guard_leave();
		}
	}
	/* An init command may have been SET SESSION TRANSACTION READ WRITE. */
	return ran ? ws_safety_read_only(m) : 0;
}

int ws_safety_read_only(MYSQL *m)
{
	return exec_all(m, ws_safety_read_only_sql) ? -1 : 0;
}

static int warned_misrouted;

bool ws_safety_misrouted(struct ws_cluster_rt *rt, unsigned e)
{
	if (e != WS_ER_READ_ONLY_TRX)
		return false;
	if (rt)
		ck_pr_inc_64(&rt->misrouted);
	if (ck_pr_cas_int(&warned_misrouted, 0, 1))
		ws_log(WS_LOG_WARN, "a statement sent to a replica was refused there as a write (error %u): it "
		       "ran on the primary instead; counted as misrouted in the stats (logged once)", e);
	return true;
}

int ws_safety_wait_reply(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	MYSQL_RES *res;
	MYSQL_ROW row;
	int ok = -1;

	ws_guard_enter();
	res = R->mysql_store_result(m);
	/* One result set, one column, one row, a value: what the wait returns. */
	if (res && R->mysql_num_fields(res) == 1 && R->mysql_num_rows(res) == 1 && (row = R->mysql_fetch_row(res)) &&
	    row[0])
		ok = ws_consistency_wait_ok(row[0]) ? 1 : 0;
	if (res)
		R->mysql_free_result(res);
	ws_guard_leave();
	return ok;
}

int ws_safety_wait_alone(MYSQL *m, const char *sql, size_t len)
{
	unsigned e = send_text(m, sql, len);
	int ok;

	if (e)
		return ws_is_connection_error(e) ? -1 : -2;
	ok = ws_safety_wait_reply(m);
	/* Sent alone: nothing may follow its result. */
	return ok >= 0 && more_results(m) ? -1 : ok;
}

enum ws_wait_outcome ws_safety_wait_read(struct ws_session *s, MYSQL *m, const struct ws_wm *need, const char *q,
					 size_t len, int *r)
{
	const struct ws_real *R = ws_real();
	char stack[1024], *buf = stack;
	size_t n = ws_consistency_wait_sql(s, need, stack, sizeof(stack));
	unsigned e;
	int ok;

	if (!ws_safety_multi_statements(s)) {
		/* A round trip of its own, then the read. */
		if (n >= sizeof(stack))
			return WS_WAIT_REFUSED;
		ok = ws_safety_wait_alone(m, stack, n);
		if (ok <= 0)
			return ok == 0 ? WS_WAIT_LATE : ok == -1 ? WS_WAIT_BROKEN : WS_WAIT_REFUSED;
		*r = send_text(m, q, len) ? 1 : 0;
		return WS_WAIT_READ;
	}
	/* One round trip: the wait rides in front of the read. */
	if (n + 2 + len >= sizeof(stack)) {
		if (!(buf = malloc(n + 2 + len + 1)))
			return WS_WAIT_REFUSED;
		ws_consistency_wait_sql(s, need, buf, n + 1);
	}
	buf[n] = ';';
	buf[n + 1] = '\n';
	memcpy(buf + n + 2, q, len);
	e = send_text(m, buf, n + 2 + len);
	if (buf != stack)
		free(buf);
	if (e)
		return ws_is_connection_error(e) ? WS_WAIT_BROKEN : WS_WAIT_REFUSED;
	ok = ws_safety_wait_reply(m);
	/* Exactly the results sent for: the wait's, then the read's. */
	if (ok < 0 || !more_results(m))
		return WS_WAIT_BROKEN;
	if (!ok) {
		consume_all(m);
		return WS_WAIT_LATE;
	}
	ws_guard_enter();
	*r = R->mysql_next_result(m) > 0 ? 1 : 0;
	ws_guard_leave();
	return WS_WAIT_READ;
}

bool ws_safety_extra_results(MYSQL *m, const char *q, size_t len)
{
	struct ws_verdict v;

	if (!more_results(m))
		return false;
	/* Rare (a multi-statement read): classify only then. */
	ws_classify(q, len, &v);
	return v.n_statements <= 1;
}
