/*
 * shim_stmt.c — prepared statements of managed handles (docs: wescale(7),
 * "Prepared statements").
 *
 * mysql_stmt_prepare runs on the primary, so errors and metadata are immediate.
 * mysql_stmt_execute of a read that may go to a replica prepares the statement
 * there (once per replica connection, with the application's attributes and
 * callbacks, and only under the database and sql_mode it was prepared in),
 * binds the parameters the application's statement holds at that moment, and
 * runs it; fetch, store_result, errors… then answer from that statement handle
 * (here, and the SLAST wrappers in shim_pass.c). Writes, statements in a
 * transaction, statements that sent long data or use array binding run on the
 * primary, and take the same bookkeeping as text statements there (GTID,
 * temporary tables, LOCK TABLES, session state).
 */
#include <stdlib.h>
#include <string.h>

#include "failover.h"
#include "log.h"
#include "optimistic.h"
#include "real.h"
#include "replay.h"
#include "replica.h"
#include "route.h"
#include "rules.h"
#include "safety.h"
#include "session.h"
#include "stmt.h"
#include "topology.h"
#include "wescale.h"
#include <errmsg.h>
#include <stdio.h>

/* The statement's state when it belongs to a managed handle and this is the
 * application's own call. */
static struct ws_stmt *managed_stmt(MYSQL_STMT *stmt)
{
	return ws_guarded() ? NULL : ws_stmt_get(stmt);
}

void ws_stmt_on_primary(MYSQL_STMT *stmt)
{
	struct ws_stmt *st = ws_stmt_get(stmt);

	if (st) {
		struct ws_session *s = ws_session_get(st->owner);

		/* Prepared or run behind our back (non-blocking API): forget the text
		 * so this statement stays on the primary. */
		ws_stmt_close_replicas(st);
		free(st->text);
		st->text = NULL;
		if (s)
			ws_session_use_primary(s);
	}
}

/* The connection of the statement handle that executed st last answers the
 * handle's status calls (mysql_warning_count, …) from now on: libmariadb
 * updates them from what a fetch, store_result or next_result reads from
 * the server. */
static void answer_from(struct ws_stmt *st)
{
	struct ws_session *s = ws_session_get(st->owner);
	int idx = st->last_node;

	if (!s || !s->cluster)
		return;
	if (!st->last) {
		s->last = NULL;
		s->last_node = -1;
	} else if (idx >= 0 && (size_t)idx < s->n_replicas && (size_t)idx < st->n_rstmts && s->replicas[idx].mysql &&
		   st->rstmts[idx].conn_gen == s->replicas[idx].conn_gen) {
		s->last = s->replicas[idx].mysql;
		s->last_node = idx;
	}
}

/* Before a fetch (or the application's mysql_stmt_bind_result): the statement
 * that executed last on a replica writes into the buffers the application's
 * statement holds now, as libmariadb would — a driver may have moved them, or
 * released them (then into none). Bound only here, never at execute: by then
 * the bindings of an earlier result may already be freed (Ruby's mysql2). */
static int sync_last_results(struct ws_stmt *st)
{
	const struct ws_real *R = ws_real();
	const MYSQL_BIND *b;
	struct ws_rstmt *rs;
	unsigned n;
	my_bool r;

	if (!st->last || st->last_node < 0 || (size_t)st->last_node >= st->n_rstmts)
		return 0;
	if (ws_stmt_sync_results(st, NULL) < 0)
		goto oom;
	rs = &st->rstmts[st->last_node];
	if (rs->result_gen == st->result_gen)
		return 0;
	if (!st->n_results && !rs->result_gen) { /* released, and never bound there */
		rs->result_gen = st->result_gen;
		return 0;
	}
	ws_guard_enter();
	n = R->mysql_stmt_field_count(st->last);
	ws_guard_leave();
	if (!n || (st->n_results && n != st->n_results))
		return 0; /* no result set, or another shape: fetch answers as libmariadb does */
	b = ws_stmt_result_binds(st, n);
	if (!b)
		goto oom;
	ws_guard_enter();
	r = R->mysql_stmt_bind_result(st->last, (MYSQL_BIND *)b);
	ws_guard_leave();
	if (r)
		return -1;
	rs->result_gen = st->result_gen;
	return 0;
oom:
	st->err_code = CR_OUT_OF_MEMORY;
	snprintf(st->err_msg, sizeof(st->err_msg), "wescale: out of memory");
	return -1;
}

/* The common case of the above, inline: the statement that executed last is
 * already bound to the application's current bindings. */
static inline bool results_in_place(const struct ws_stmt *st)
{
	int idx = st->last_node;

	return idx >= 0 && (size_t)idx < st->n_rstmts && st->rstmts[idx].result_gen == st->result_gen &&
	       ws_stmt_results_current(st);
}

WS_ENTRY(mysql_stmt_init, libmysqlclient_18);
MYSQL_STMT *WS_FN(mysql_stmt_init)(MYSQL *mysql)
{
	REAL_OR_FAIL(mysql_stmt_init, NULL);
	struct ws_session *s = ws_guarded() ? NULL : ws_session_get(mysql);
	MYSQL_STMT *stmt;

	ws_guard_enter();
	stmt = R->mysql_stmt_init(mysql);
	ws_guard_leave();
	if (stmt && s && s->cluster && !ws_stmt_attach(stmt, mysql))
		ws_log(WS_LOG_ERROR, "out of memory: prepared statement %p runs on the primary", (void *)stmt);
	return stmt;
}

WS_ENTRY(mysql_stmt_prepare, libmysqlclient_18);
int WS_FN(mysql_stmt_prepare)(MYSQL_STMT *stmt, const char *q, unsigned long length)
{
	REAL_OR_FAIL(mysql_stmt_prepare, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	struct ws_session *s0;
	int r;

	if (st) {
		ws_stmt_close_replicas(st);
		free(st->text);
		st->text = NULL;
		ws_stmt_copy_binds(&st->params, &st->n_params, NULL, 0);
		ws_stmt_copy_binds(&st->results, &st->n_results, NULL, 0);
		st->params_bound = st->results_bound = false;
		st->long_data = false;
		/* The prepare runs on the primary: tracking first (tracking.c). */
		if ((s0 = ws_session_get(st->owner)) && s0->track_pending)
			ws_tracking_now(s0);
	}
	ws_guard_enter();
	r = R->mysql_stmt_prepare(stmt, q, length);
	ws_guard_leave();
	if (st && r == 0 && q) {
		struct ws_session *s = ws_session_get(st->owner);

		/* As Connector/C: (unsigned long)-1 means "NUL-terminated". */
		if (length == (unsigned long)-1)
			length = (unsigned long)strlen(q);
		st->primary_gen = s ? s->primary_gen : 0;
		st->prepared_gen = s ? s->state_gen : 0;
		ws_guard_enter();
		st->param_count = (unsigned)R->mysql_stmt_param_count(stmt);
		ws_guard_leave();
		/* Lexed as the server just parsed it: under the connection's
		 * character set and sql_mode, with the functions it trusts. */
		if (s)
			ws_classify_env(q, length, &s->lexenv, &st->verdict);
		else
			ws_classify(q, length, &st->verdict);
		if (ws_stmt_set_text(st, q, length) < 0)
			st->text = NULL; /* stays on the primary */
	}
	return r;
}

WS_ENTRY(mysql_stmt_bind_param, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_bind_param)(MYSQL_STMT *stmt, MYSQL_BIND *bind)
{
	REAL_OR_FAIL(mysql_stmt_bind_param, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	my_bool r;

	ws_guard_enter();
	r = R->mysql_stmt_bind_param(stmt, bind);
	ws_guard_leave();
	if (st && r == 0) {
		st->params_bound = true;
		st->primary_only |= ws_stmt_sync_params(st, bind) < 0; /* cannot bind elsewhere */
	}
	return r;
}

WS_ENTRY(mysql_stmt_bind_result, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_bind_result)(MYSQL_STMT *stmt, MYSQL_BIND *bind)
{
	REAL_OR_FAIL(mysql_stmt_bind_result, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	my_bool r;

	ws_guard_enter();
	r = R->mysql_stmt_bind_result(stmt, bind);
	ws_guard_leave();
	if (st && r == 0) {
		st->results_bound = true;
		st->primary_only |= ws_stmt_sync_results(st, bind) < 0;
		if (st->last && sync_last_results(st) < 0)
			r = 1;
	}
	return r;
}

WS_ENTRY(mysql_stmt_attr_set, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_attr_set)(MYSQL_STMT *stmt, enum enum_stmt_attr_type attr, const void *value)
{
	REAL_OR_FAIL(mysql_stmt_attr_set, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	my_bool r;

	ws_guard_enter();
	r = R->mysql_stmt_attr_set(stmt, attr, value);
	ws_guard_leave();
	if (st && r == 0) {
		ws_stmt_note_attr(st, attr, value);
		/* Replica statements already prepared take the new value too (the
		 * recorded copy: libmariadb may have rewritten *value). */
		for (unsigned i = 0; i < st->n_attrs; i++) {
			if (st->attrs[i].attr != attr)
				continue;
			ws_guard_enter();
			for (size_t k = 0; k < st->n_rstmts; k++)
				if (st->rstmts[k].stmt)
					R->mysql_stmt_attr_set(st->rstmts[k].stmt, attr, ws_stmt_attr_value(&st->attrs[i]));
			ws_guard_leave();
		}
	}
	return r;
}

WS_ENTRY(mysql_stmt_send_long_data, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_send_long_data)(MYSQL_STMT *stmt, unsigned int param, const char *data,
					 unsigned long length)
{
	REAL_OR_FAIL(mysql_stmt_send_long_data, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	my_bool r;

	if (st)
		st->long_data = true; /* the data sits on the primary's statement */
	ws_guard_enter();
	r = R->mysql_stmt_send_long_data(stmt, param, data, length);
	ws_guard_leave();
	return r;
}

/* The statement prepared on replica idx's current connection, or NULL. */
static MYSQL_STMT *replica_stmt(struct ws_session *s, struct ws_stmt *st, size_t idx)
{
	const struct ws_real *R = ws_real();
	struct ws_conn *c = &s->replicas[idx];
	struct ws_rstmt *rs;
	MYSQL_STMT *rst;

	if (st->n_rstmts != s->n_replicas) {
		struct ws_rstmt *n = calloc(s->n_replicas, sizeof(*n));

		if (!n)
			return NULL;
		ws_stmt_close_replicas(st);
		free(st->rstmts);
		st->rstmts = n;
		st->n_rstmts = s->n_replicas;
	}
	rs = &st->rstmts[idx];
	if (rs->stmt && rs->conn_gen == c->conn_gen)
		return rs->stmt;
	ws_guard_enter();
	if (rs->stmt) { /* prepared on a connection that has since been replaced */
		R->mysql_stmt_close(rs->stmt);
		rs->stmt = NULL;
	}
	ws_guard_leave();
	/* The server resolves names and parses under the session's state at
	 * prepare time: once that moved on, only the primary's statement (and
	 * replica statements prepared before) hold the application's meaning. */
	if (ws_stmt_parse_state_changed(st, s))
		return NULL;
	ws_guard_enter();
	rst = R->mysql_stmt_init(c->mysql);
	c->no_pool = true; /* its statements are tied to it: never pooled */
	if (rst) {
		for (unsigned i = 0; i < st->n_attrs; i++)
			R->mysql_stmt_attr_set(rst, st->attrs[i].attr, ws_stmt_attr_value(&st->attrs[i]));
		if (R->mysql_stmt_prepare(rst, st->text, st->len)) {
			ws_log(WS_LOG_INFO, "prepare on replica failed (%s): statement runs on the primary",
			       R->mysql_stmt_error(rst));
			R->mysql_stmt_close(rst);
			rst = NULL;
		}
	}
	ws_guard_leave();
	rs->stmt = rst;
	rs->conn_gen = c->conn_gen;
	rs->param_gen = rs->result_gen = 0; /* freshly prepared: carries no bindings */
	return rst;
}

/* After a failover the application's statement is unknown to the new primary:
 * prepare it again on the same MYSQL_STMT (the application keeps its pointer)
 * and bind the application's parameters and results again. 0 or -1 (error on
 * the statement). */
static int reprepare(struct ws_session *s, struct ws_stmt *st)
{
	const struct ws_real *R = ws_real();
	int r;

	if (!st->text || ws_stmt_sync(st) < 0 || ws_stmt_sync_results(st, NULL) < 0) {
		st->err_code = WESCALE_ER_NO_PRIMARY;
		snprintf(st->err_msg, sizeof(st->err_msg),
			 "wescale: the primary changed and this statement cannot be prepared again; prepare it anew");
		return -1;
	}
	ws_stmt_unlink_bindings(st);
	ws_guard_enter();
	r = R->mysql_stmt_prepare(st->stmt, st->text, st->len);
	if (r == 0 && st->params_bound && st->n_params)
		r = R->mysql_stmt_bind_param(st->stmt, st->params);
	if (r == 0 && st->results_bound && st->n_results)
		r = R->mysql_stmt_bind_result(st->stmt, st->results);
	ws_guard_leave();
	if (r)
		return -1;
	st->primary_gen = s->primary_gen;
	return 0;
}

/* Errors of a statement: libwescale's own (a failover or rule outcome) first,
 * else those of the statement handle that executed last. */
static MYSQL_STMT *stmt_error_target(MYSQL_STMT *stmt, struct ws_stmt **own)
{
	struct ws_stmt *st = managed_stmt(stmt);

	*own = st && st->err_code ? st : NULL;
	return st && st->last ? st->last : stmt;
}

WS_ENTRY(mysql_stmt_errno, libmysqlclient_18);
unsigned int WS_FN(mysql_stmt_errno)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_errno, 0);
	struct ws_stmt *own;
	MYSQL_STMT *target = stmt_error_target(stmt, &own);
	unsigned int r;

	if (own)
		return own->err_code;
	ws_guard_enter();
	r = R->mysql_stmt_errno(target);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_stmt_error, libmysqlclient_18);
const char *WS_FN(mysql_stmt_error)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_error, "");
	struct ws_stmt *own;
	MYSQL_STMT *target = stmt_error_target(stmt, &own);
	const char *r;

	if (own)
		return own->err_msg;
	ws_guard_enter();
	r = R->mysql_stmt_error(target);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_stmt_sqlstate, libmysqlclient_18);
const char *WS_FN(mysql_stmt_sqlstate)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_sqlstate, "HY000");
	struct ws_stmt *own;
	MYSQL_STMT *target = stmt_error_target(stmt, &own);
	const char *r;

	if (own)
		return "HY000";
	ws_guard_enter();
	r = R->mysql_stmt_sqlstate(target);
	ws_guard_leave();
	return r;
}

static int stmt_execute(MYSQL_STMT *stmt, struct ws_stmt *st, struct ws_session *s);

/* May this execution of st run on a replica at all (routing aside)? Long data
 * and array binding live on the primary's statement; what libmariadb refuses
 * must fail there as it fails: unbound parameters, a parameter count changed
 * behind its back. A statement never
 * prepared on a replica can be prepared there only under the state the
 * application prepared it in. Brings st's copy of the bindings up to date. */
static bool may_use_replica(struct ws_session *s, struct ws_stmt *st)
{
	const struct ws_real *R = ws_real();
	unsigned long n_params;
	bool prepared = false;

	if (st->long_data || st->primary_only)
		return false;
	if (R->mariadb_get_infov) {
		n_params = st->stmt->param_count; /* (libmariadb's: read in place, as stmt.h does) */
	} else {
		ws_guard_enter();
		n_params = R->mysql_stmt_param_count(st->stmt);
		ws_guard_leave();
	}
	if (n_params != st->param_count || (n_params && !st->params_bound))
		return false;
	if (ws_stmt_sync(st) < 0)
		return false;
	for (size_t k = 0; k < st->n_rstmts && !prepared; k++)
		prepared = st->rstmts[k].stmt != NULL;
	return prepared || !ws_stmt_parse_state_changed(st, s);
}

/* Has libmariadb detached the application's statement from its connection
 * (mysql_change_user, mysql_reset_connection invalidate every statement:
 * CR_STMT_CLOSED)? That is for good: every later call on it fails. */
static bool detached(struct ws_stmt *st)
{
	const struct ws_real *R = ws_real();

	if (!st->detached && R->mariadb_get_infov) {
		st->detached = st->stmt->last_errno == CR_STMT_CLOSED;
	} else if (!st->detached) {
		ws_guard_enter();
		st->detached = R->mysql_stmt_errno(st->stmt) == CR_STMT_CLOSED;
		ws_guard_leave();
	}
	return st->detached;
}

/* Query rules apply to a prepared statement's text at each execution. */
WS_ENTRY(mysql_stmt_execute, libmysqlclient_18);
int WS_FN(mysql_stmt_execute)(MYSQL_STMT *stmt)
{
	struct ws_stmt *st = managed_stmt(stmt);
	struct ws_session *s = st ? ws_session_get(st->owner) : NULL;
	struct ws_rule_result rr; /* (300 bytes: filled only when rules are installed) */
	struct ws_rules *rs;
	int r;

	if (s && ws_session_inherited(s)) {
		st->err_code = WESCALE_ER_FORKED;
		snprintf(st->err_msg, sizeof(st->err_msg),
			 "wescale: this statement belongs to the parent process (inherited across fork()); "
			 "open a new connection in the child");
		return 1;
	}
	if (st)
		st->err_code = 0;
	rr.held = NULL;
	if (s && s->cluster && st->text && (rs = ws_rules_acquire())) {
		rr = (struct ws_rule_result){ .consistency = -1 };
		ws_rules_match(rs, st->text, st->len, &st->verdict, s->user, s->cur_db ? s->cur_db : s->db, &rr);
		ws_rules_release(rs);
		if (rr.decision == WS_RULE_DO_FAIL) {
			st->err_code = rr.error_code;
			snprintf(st->err_msg, sizeof(st->err_msg), "%s", rr.message);
			return 1;
		}
		if (rr.decision == WS_RULE_DO_ROUTE &&
		    (rr.route == WESCALE_ROUTE_PRIMARY || rr.route == WESCALE_ROUTE_REPLICA))
			s->next_route = rr.route;
	}
	r = stmt_execute(stmt, st, s);
	ws_rules_done(&rr);
	return r;
}

/* The statement fails with the error libwescale set on its handle's session
 * (a failover, a transaction that could not move): mysql_stmt_errno and
 * mysql_stmt_error answer it until the next execute. */
static void take_session_error(struct ws_stmt *st, const struct ws_session *s)
{
	st->err_code = s->err_code;
	snprintf(st->err_msg, sizeof(st->err_msg), "%s", s->err_msg);
}

/* The statement cannot run on replica idx, which the routing chose: when
 * that replica holds the handle's optimistic transaction, the transaction
 * moves to the primary first (the statement then runs there, inside it).
 * 0, or -1 when the move failed (st's error set: 1213). */
static int leave_replica_trx(struct ws_session *s, struct ws_stmt *st, int idx)
{
	if (!s->opt_trx || idx != s->ro_trx)
		return 0;
	ws_replay_opt_stmt_not_run(s);
	if (ws_opt_migrate(s) == 0)
		return 0;
	take_session_error(st, s);
	return -1;
}

/* st and s: the statement's and its handle's entries (NULL: not managed). */
static int stmt_execute(MYSQL_STMT *stmt, struct ws_stmt *st, struct ws_session *s)
{
	REAL_OR_FAIL(mysql_stmt_execute, 1);
	uint64_t now_us = 0;
	int r;

	if (st && detached(st)) {
		/* libmariadb fails it without asking the server (CR_SERVER_LOST):
		 * not a lost connection, nothing to fail over. */
		ws_guard_enter();
		r = R->mysql_stmt_execute(stmt);
		ws_guard_leave();
		st->last = NULL;
		st->last_node = -1;
		return r;
	}
	if (s && s->cluster) {
		now_us = ws_now_us(); /* the one clock read before the statement runs */
		ws_session_close_idle(s, now_us / 1000u);
	}
	if (s && s->cluster && st->text && may_use_replica(s, st)) {
		for (size_t attempt = 0; attempt < s->n_replicas; attempt++) {
			struct ws_node_rt *node;
			struct ws_rstmt *rs;
			MYSQL_STMT *rst;
			unsigned e;
			int idx;

			if (attempt)
				now_us = ws_now_us();
			idx = ws_route_pick_read(s, &st->verdict, st->text, st->len, now_us, &st->memo);
			if (idx == -2) {
				/* An optimistic transaction could not move to the primary. */
				take_session_error(st, s);
				return 1;
			}
			if (idx < 0)
				break;
			rst = replica_stmt(s, st, (size_t)idx);
			if (!rst) {
				/* (The replica refused the prepare: a write it saw
				 * through, or state it lacks.) */
				if (leave_replica_trx(s, st, idx) < 0)
					return 1;
				break;
			}
			rs = &st->rstmts[idx];
			ws_guard_enter();
			/* Bind only when the bindings changed: libmariadb reads the bound
			 * buffers at each execute anyway, and a rebind makes it send the
			 * parameter types again. Results: before the first fetch. */
			if (st->n_params && rs->param_gen != st->param_gen) {
				if (R->mysql_stmt_bind_param(rst, st->params)) {
					ws_guard_leave();
					break;
				}
				rs->param_gen = st->param_gen;
			}
			node = &ws_topology_cluster(s->cluster)->replicas[s->replicas[idx].node];
			ws_node_begin(node, now_us);
			r = R->mysql_stmt_execute(rst);
			e = r ? R->mysql_stmt_errno(rst) : 0;
			ws_guard_leave();
			ws_node_end(node, ws_now_us() - now_us, r != 0);
			if (r && ws_is_connection_error(e)) {
				ws_replica_lost(s, (size_t)idx);
				continue;
			}
			/* Refused by the replica's read-only session (a function
			 * redeclared since the prepare, one that lies about its
			 * data access): nothing ran there; outside a transaction
			 * held on a replica, the primary runs it. */
			if (r && (s->ro_trx < 0 || (s->opt_trx && idx == s->ro_trx)) &&
			    ws_safety_misrouted(ws_topology_cluster(s->cluster), e)) {
				if (leave_replica_trx(s, st, idx) < 0)
					return 1;
				break;
			}
			if (s->opt_trx && idx == s->ro_trx && s->replay)
				ws_replay_opt_record_stmt(s, &st->verdict, st->text, st->len, st->params, st->n_params);
			st->last = rst;
			st->last_node = idx;
			st->stored = false;
			s->last = s->replicas[idx].mysql;
			s->last_node = idx;
			return r;
		}
	}
	if (st) {
		st->last = NULL;
		st->last_node = -1;
		st->stored = false;
		st->long_data = false;
		if (s) {
			ws_session_use_primary(s);
			/* (wescale_last_route: a replica chosen but unable to
			 * run it — refused at prepare or execute — is not where
			 * it ran.) */
			s->route_node = -1;
			s->route_target = WS_TARGET_PRIMARY;
		}
	}
	{
		bool in_trx = s && s->cluster && (ws_primary_in_trx(s) || s->locked_tables);
		unsigned e;

		/* An orchestrator named another primary: move there first. */
		if (s && s->cluster && ws_failover_switch_pending(s) && ws_failover_switch(s, in_trx) < 0) {
			take_session_error(st, s);
			return 1;
		}
		if (s && s->cluster && st->primary_gen != s->primary_gen && reprepare(s, st) < 0)
			return 1;
		if (s && s->replay)
			ws_replay_untracked(s);
		ws_guard_enter();
		r = R->mysql_stmt_execute(stmt);
		e = r ? R->mysql_stmt_errno(stmt) : 0;
		/* A statement that mysql_change_user / mysql_reset_connection
		 * invalidated fails with CR_SERVER_LOST on a live connection: the
		 * application's error, not a failover. A lost connection reports
		 * its error on the handle too. */
		if (r && s && s->cluster && ws_is_connection_error(e) && R->mysql_errno(s->mysql) == 0)
			e = 0;
		ws_guard_leave();
		if (r && s && s->cluster && ws_is_connection_error(e)) {
			if (ws_failover_after_error(s, e, &st->verdict, in_trx) < 0) {
				take_session_error(st, s);
				return 1;
			}
			if (reprepare(s, st) < 0)
				return 1;
			ws_guard_enter();
			r = R->mysql_stmt_execute(stmt);
			ws_guard_leave();
		}
	}
	if (s && s->cluster && r == 0) {
		/* What text statements get: GTID, session state, temporary
		 * tables, LOCK TABLES. */
		ws_route_after_primary(s);
		if (st->text)
			ws_route_note_statement(s, st->text, st->len, &st->verdict);
	}
	return r;
}

WS_ENTRY(mysql_stmt_fetch, libmysqlclient_18);
int WS_FN(mysql_stmt_fetch)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_fetch, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	int r;

	/* The buffers the application's statement would write into now
	 * (DBD::mysql moves a column's buffer in the statement's own bindings
	 * after a truncated fetch; mysql2 releases them after each result). */
	if (st && st->last && !results_in_place(st) && sync_last_results(st) < 0)
		return 1;
	ws_guard_enter();
	r = R->mysql_stmt_fetch(st && st->last ? st->last : stmt);
	ws_guard_leave();
	if (st) {
		/* Read from the server: each fetch of a cursor, or the end of
		 * rows not stored (the rows before it change no status). */
		if (!st->stored && (st->cursor || (r != 0 && r != MYSQL_DATA_TRUNCATED)))
			answer_from(st);
	}
	return r;
}

/* store_result / next_result: read the last execution's results from the
 * server, on the statement handle that executed last. */
static int read_results(MYSQL_STMT *stmt, int (*fn)(MYSQL_STMT *), bool stores)
{
	struct ws_stmt *st = managed_stmt(stmt);
	int r;

	ws_guard_enter();
	r = fn(st && st->last ? st->last : stmt);
	ws_guard_leave();
	if (st) {
		answer_from(st);
		st->stored = stores && r == 0;
	}
	return r;
}

WS_ENTRY(mysql_stmt_store_result, libmysqlclient_18);
int WS_FN(mysql_stmt_store_result)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_store_result, 1);
	return read_results(stmt, R->mysql_stmt_store_result, true);
}

WS_ENTRY(mysql_stmt_next_result, libmysqlclient_18);
int WS_FN(mysql_stmt_next_result)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_next_result, 1);
	return read_results(stmt, R->mysql_stmt_next_result, false);
}

/* Prepare and execute in one round trip: on the primary, where the statement
 * then stays; what it did is taken into account as for a text statement. */
WS_ENTRY(mariadb_stmt_execute_direct, libmariadb_3);
int WS_FN(mariadb_stmt_execute_direct)(MYSQL_STMT *stmt, const char *q, size_t length)
{
	REAL_OR_FAIL(mariadb_stmt_execute_direct, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	struct ws_session *s = st ? ws_session_get(st->owner) : NULL;
	int r;

	if (st) {
		ws_stmt_on_primary(stmt);
		st->err_code = 0;
	}
	ws_guard_enter();
	r = R->mariadb_stmt_execute_direct(stmt, q, length);
	ws_guard_leave();
	if (r == 0 && s && s->cluster && q) {
		struct ws_verdict v;

		if (length == (size_t)-1) /* as Connector/C: NUL-terminated */
			length = strlen(q);
		ws_classify_env(q, length, &s->lexenv, &v);
		ws_route_after_primary(s);
		ws_route_note_statement(s, q, length, &v);
	}
	return r;
}

WS_ENTRY(mysql_stmt_reset, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_reset)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_reset, 1);
	struct ws_stmt *st = managed_stmt(stmt);
	my_bool r;

	ws_guard_enter();
	r = R->mysql_stmt_reset(stmt);
	if (st) {
		for (size_t k = 0; k < st->n_rstmts; k++)
			if (st->rstmts[k].stmt)
				R->mysql_stmt_reset(st->rstmts[k].stmt);
		st->last = NULL;
		st->last_node = -1;
		st->long_data = false;
	}
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_stmt_close, libmysqlclient_18);
my_bool WS_FN(mysql_stmt_close)(MYSQL_STMT *stmt)
{
	REAL_OR_FAIL(mysql_stmt_close, 1);
	my_bool r;

	if (!ws_guarded())
		ws_stmt_detach(stmt);
	ws_guard_enter();
	r = R->mysql_stmt_close(stmt);
	ws_guard_leave();
	return r;
}
