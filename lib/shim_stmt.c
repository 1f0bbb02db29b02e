/*
 * shim_stmt.c — prepared statements of managed handles (DESIGN.md §3).
 *
 * mysql_stmt_prepare runs on the primary, so errors and metadata are immediate.
 * mysql_stmt_execute of a read that may go to a replica prepares the statement
 * there (once per replica connection), binds the application's parameters and
 * results to it, and runs it; fetch, store_result, errors… then answer from that
 * statement handle (the SLAST wrappers in shim_pass.c). Writes, statements in a
 * transaction, and statements that sent long data run on the primary.
 */
#include <stdlib.h>
#include <string.h>

#include "failover.h"
#include "log.h"
#include "real.h"
#include "replay.h"
#include "route.h"
#include "rules.h"
#include "session.h"
#include "stmt.h"
#include "topology.h"
#include "wescale.h"
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
	int r;

	if (st) {
		ws_stmt_close_replicas(st);
		free(st->text);
		st->text = NULL;
		ws_stmt_copy_binds(&st->params, &st->n_params, NULL, 0);
		ws_stmt_copy_binds(&st->results, &st->n_results, NULL, 0);
		st->long_data = false;
	}
	ws_guard_enter();
	r = R->mysql_stmt_prepare(stmt, q, length);
	ws_guard_leave();
	if (st && r == 0 && q) {
		struct ws_session *s = ws_session_get(st->owner);

		st->primary_gen = s ? s->primary_gen : 0;
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
	if (st && r == 0)
		st->bind_gen++;
	if (st && r == 0 && ws_stmt_copy_binds(&st->params, &st->n_params, bind,
					      (unsigned)R->mysql_stmt_param_count(stmt)) < 0) {
		free(st->text); /* cannot bind elsewhere: keep it on the primary */
		st->text = NULL;
	}
	ws_guard_leave();
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
	if (st && r == 0) {
		st->bind_gen++;
		if (ws_stmt_copy_binds(&st->results, &st->n_results, bind,
				       R->mysql_stmt_field_count(stmt)) < 0) {
			free(st->text);
			st->text = NULL;
		}
		if (st->last)
			r = R->mysql_stmt_bind_result(st->last, bind);
	}
	ws_guard_leave();
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
	if (st && r == 0 && value) {
		unsigned long v = attr == STMT_ATTR_UPDATE_MAX_LENGTH ? (unsigned long)*(const my_bool *)value
								     : *(const unsigned long *)value;
		unsigned i;

		for (i = 0; i < st->n_attrs && st->attrs[i].attr != attr; i++)
			;
		if (i < sizeof(st->attrs) / sizeof(st->attrs[0])) {
			st->attrs[i].attr = attr;
			st->attrs[i].value = v;
			if (i == st->n_attrs)
				st->n_attrs++;
		}
		/* Already-prepared replica copies take the new value too. */
		ws_guard_enter();
		for (size_t k = 0; k < st->n_rstmts; k++)
			if (st->rstmts[k].stmt)
				R->mysql_stmt_attr_set(st->rstmts[k].stmt, attr, value);
		ws_guard_leave();
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
	rst = R->mysql_stmt_init(c->mysql);
	if (rst) {
		for (unsigned i = 0; i < st->n_attrs; i++) {
			my_bool b = (my_bool)st->attrs[i].value;
			unsigned long v = st->attrs[i].value;

			R->mysql_stmt_attr_set(rst, st->attrs[i].attr,
					       st->attrs[i].attr == STMT_ATTR_UPDATE_MAX_LENGTH ? (void *)&b : (void *)&v);
		}
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
	rs->bind_gen = 0; /* freshly prepared: carries no bindings */
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

	if (!st->text) {
		st->err_code = WESCALE_ER_NO_PRIMARY;
		snprintf(st->err_msg, sizeof(st->err_msg),
			 "wescale: the primary changed and this statement cannot be prepared again; prepare it anew");
		return -1;
	}
	ws_guard_enter();
	r = R->mysql_stmt_prepare(st->stmt, st->text, st->len);
	if (r == 0 && st->n_params)
		r = R->mysql_stmt_bind_param(st->stmt, st->params);
	if (r == 0 && st->n_results)
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

/* st and s: the statement's and its handle's entries (NULL: not managed). */
static int stmt_execute(MYSQL_STMT *stmt, struct ws_stmt *st, struct ws_session *s)
{
	REAL_OR_FAIL(mysql_stmt_execute, 1);
	uint64_t now_us = 0;
	int r;

	if (s && s->cluster) {
		now_us = ws_now_us(); /* the one clock read before the statement runs */
		ws_session_close_idle(s, now_us / 1000u);
	}
	if (s && s->cluster && st->text && !st->long_data) {
		for (size_t attempt = 0; attempt < s->n_replicas; attempt++) {
			struct ws_node_rt *node;
			MYSQL_STMT *rst;
			unsigned e;
			int idx;

			if (attempt)
				now_us = ws_now_us();
			idx = ws_route_pick_read(s, &st->verdict, st->text, st->len, now_us);
			if (idx < 0)
				break;
			rst = replica_stmt(s, st, (size_t)idx);
			if (!rst)
				break;
			ws_guard_enter();
			/* Bind the application's buffers only when they changed: libmariadb
			 * reads the buffers at each execute anyway, and a rebind would
			 * make it send the parameter types again. */
			if (st->rstmts[idx].bind_gen != st->bind_gen || st->bind_gen == 0) {
				if ((st->n_params && R->mysql_stmt_bind_param(rst, st->params)) ||
				    (st->n_results && R->mysql_stmt_bind_result(rst, st->results))) {
					ws_guard_leave();
					break;
				}
				st->rstmts[idx].bind_gen = st->bind_gen;
			}
			node = &ws_topology_cluster(s->cluster)->replicas[s->replicas[idx].node];
			ws_node_begin(node, now_us);
			r = R->mysql_stmt_execute(rst);
			e = r ? R->mysql_stmt_errno(rst) : 0;
			ws_guard_leave();
			ws_node_end(node, ws_now_us() - now_us, r != 0);
			if (r && ws_route_is_connection_error(e)) {
				ws_node_down(node);
				ws_session_replica_failed(s, (size_t)idx);
				continue;
			}
			st->last = rst;
			s->last = s->replicas[idx].mysql;
			s->last_node = idx;
			return r;
		}
	}
	if (st) {
		st->last = NULL;
		st->long_data = false;
		st->err_code = 0;
		if (s)
			ws_session_use_primary(s);
	}
	{
		bool in_trx = s && s->cluster && (ws_route_in_trx(s) || s->locked_tables);
		unsigned e;

		/* An orchestrator named another primary: move there first. */
		if (s && s->cluster && ws_failover_switch_pending(s) && ws_failover_switch(s, in_trx) < 0) {
			st->err_code = s->err_code;
			snprintf(st->err_msg, sizeof(st->err_msg), "%s", s->err_msg);
			return 1;
		}
		if (s && s->cluster && st->primary_gen != s->primary_gen && reprepare(s, st) < 0)
			return 1;
		if (s && s->replay)
			ws_replay_untracked(s);
		ws_guard_enter();
		r = R->mysql_stmt_execute(stmt);
		e = r ? R->mysql_stmt_errno(stmt) : 0;
		ws_guard_leave();
		if (r && s && s->cluster && ws_route_is_connection_error(e)) {
			if (ws_failover_after_error(s, e, &st->verdict, in_trx) < 0) {
				st->err_code = s->err_code;
				snprintf(st->err_msg, sizeof(st->err_msg), "%s", s->err_msg);
				return 1;
			}
			if (reprepare(s, st) < 0)
				return 1;
			ws_guard_enter();
			r = R->mysql_stmt_execute(stmt);
			ws_guard_leave();
		}
	}
	if (s && s->cluster && r == 0)
		ws_route_after_primary(s);
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
