/*
 * stmt.c — the side table of prepared statements (see stmt.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "real.h"
#include "session.h"
#include "stmt.h"

struct ws_hmap ws_stmts = WS_HMAP_INIT;

/* This thread's cache in front of it (hmap.h). */
__thread struct ws_hmap_cache ws_stmt_cache __attribute__((tls_model("initial-exec")));

static struct ws_stmt *of(struct ws_hnode *n)
{
	return n ? (struct ws_stmt *)((char *)n - offsetof(struct ws_stmt, hnode)) : NULL;
}

void ws_stmt_close_replicas(struct ws_stmt *st)
{
	const struct ws_real *R = ws_real();

	for (size_t i = 0; i < st->n_rstmts; i++) {
		if (st->rstmts[i].stmt) {
			ws_guard_enter();
			R->mysql_stmt_close(st->rstmts[i].stmt);
			ws_guard_leave();
			st->rstmts[i].stmt = NULL;
		}
	}
	st->last = NULL;
}

static void stmt_free(struct ws_stmt *st)
{
	if (!st)
		return;
	ws_stmt_close_replicas(st);
	free(st->rstmts);
	free(st->text);
	free(st->params);
	free(st->results);
	free(st->unbound);
	free(st);
}

struct ws_stmt *ws_stmt_attach(MYSQL_STMT *stmt, MYSQL *owner)
{
	struct ws_stmt *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->stmt = stmt;
	st->owner = owner;
	st->last_node = -1;
	st->hnode.key = stmt;
	stmt_free(of(ws_hmap_put(&ws_stmts, &st->hnode)));
	return st;
}

void ws_stmt_detach(const MYSQL_STMT *stmt)
{
	stmt_free(of(ws_hmap_remove(&ws_stmts, stmt)));
}

int ws_stmt_set_text(struct ws_stmt *st, const char *q, size_t len)
{
	char *t = malloc(len + 1);

	if (!t)
		return -ENOMEM;
	memcpy(t, q, len);
	t[len] = '\0';
	free(st->text);
	st->text = t;
	st->len = len;
	st->memo.valid = false;
	return 0;
}

int ws_stmt_copy_binds(MYSQL_BIND **dst, unsigned *n_dst, const MYSQL_BIND *src, unsigned n)
{
	MYSQL_BIND *b = NULL;

	if (src && n) {
		b = malloc(n * sizeof(*b));
		if (!b)
			return -ENOMEM;
		memcpy(b, src, n * sizeof(*b));
	}
	free(*dst);
	*dst = b;
	*n_dst = b ? n : 0;
	return 0;
}

/*
 * The bindings the client library uses at the application statement's next
 * execute and fetch. This file (with ws_stmt_sync in stmt.h) is the one place
 * libwescale reads a MYSQL_STMT, because no other way gives what the primary
 * would get:
 *  - libmariadb sends its own copy of the parameter bindings (stmt->params),
 *    taken by mysql_stmt_bind_param; the application's array may be freed or
 *    reused right after that call (PHP's mysqli frees it, C programs bind
 *    from arrays on the stack), so it cannot be read later;
 *  - drivers write new values straight into that copy and execute without
 *    binding again: DBD::mysql (mysql_server_prepare=1) stores each new
 *    value's address in stmt->params[i].buffer and buffer_length, and the
 *    buffer of a re-fetched long column in stmt->bind[i];
 *  - Ruby's mysql2 binds new result buffers for each result, and when it
 *    frees them clears stmt->bind_result_done, so that libmariadb writes into
 *    them no more (stmt->bind still points at them): a replica statement must
 *    then write into no application memory either, until the next
 *    mysql_stmt_bind_result.
 * A replica statement must send exactly those parameters and write into those
 * buffers, and no API call returns them. The fields are part of libmariadb's
 * public struct (mariadb_stmt.h, the ABI of libmariadb.so.3, which DBD::mysql
 * relies on too); they are read, never written, and only when the real library
 * is libmariadb (it exports mariadb_get_infov). With another client library
 * the copies taken at mysql_stmt_bind_param / bind_result are used.
 */
static bool can_read_bindings(void)
{
	return ws_real()->mariadb_get_infov != NULL;
}

/* Make *copy equal to the n bindings at now; bump *gen when they changed. */
static int refresh(MYSQL_BIND **copy, unsigned *n_copy, uint64_t *gen, const MYSQL_BIND *now, unsigned n)
{
	if (n == *n_copy && (n == 0 || memcmp(*copy, now, n * sizeof(*now)) == 0))
		return 0;
	if (ws_stmt_copy_binds(copy, n_copy, now, n) < 0)
		return -ENOMEM;
	++*gen;
	return 0;
}

int ws_stmt_sync_params(struct ws_stmt *st, const MYSQL_BIND *bound)
{
	if (!st->params_bound)
		return 0;
	if (can_read_bindings())
		bound = st->stmt->params;
	return bound ? refresh(&st->params, &st->n_params, &st->param_gen, bound, st->param_count) : 0;
}

int ws_stmt_sync_results(struct ws_stmt *st, const MYSQL_BIND *bound)
{
	const struct ws_real *R = ws_real();

	if (!st->results_bound)
		return 0;
	if (bound) { /* the columns bound: mysql_stmt_bind_result takes the current count */
		ws_guard_enter();
		st->result_count = R->mysql_stmt_field_count(st->stmt);
		ws_guard_leave();
	}
	if (can_read_bindings()) {
		/* Released by the application (above): none. */
		bound = st->stmt->bind_result_done ? st->stmt->bind : NULL;
		if (!bound)
			return refresh(&st->results, &st->n_results, &st->result_gen, NULL, 0);
	}
	return bound ? refresh(&st->results, &st->n_results, &st->result_gen, bound, st->result_count) : 0;
}

const MYSQL_BIND *ws_stmt_result_binds(struct ws_stmt *st, unsigned n_fields)
{
	if (st->n_results)
		return st->results;
#ifdef MADB_BIND_DUMMY
	if (st->n_unbound < n_fields) {
		/* libmariadb's fetch skips a column bound as a dummy, and writes
		 * its length, NULL flag and error into the binding itself. */
		MYSQL_BIND *b = calloc(n_fields, sizeof(*b));

		if (!b)
			return NULL;
		for (unsigned i = 0; i < n_fields; i++) {
			b[i].buffer_type = MYSQL_TYPE_NULL;
			b[i].flags = MADB_BIND_DUMMY;
		}
		free(st->unbound);
		st->unbound = b;
		st->n_unbound = n_fields;
	}
	return st->unbound;
#else
	(void)n_fields;
	return NULL;
#endif
}

void ws_stmt_unlink_bindings(struct ws_stmt *st)
{
	const MYSQL_BIND *p, *b;

	if (!can_read_bindings())
		return;
	p = st->stmt->params;
	b = st->stmt->bind;
	/* What mysql_stmt_bind_param / bind_result point at inside their own
	 * copy when the application passed NULL (they do so again). */
	for (unsigned i = 0; p && i < st->n_params; i++)
		if (st->params[i].length == &p[i].buffer_length)
			st->params[i].length = NULL;
	for (unsigned i = 0; b && i < st->n_results; i++) {
		if (st->results[i].length == &b[i].length_value)
			st->results[i].length = NULL;
		if (st->results[i].is_null == &b[i].is_null_value)
			st->results[i].is_null = NULL;
		if (st->results[i].error == &b[i].error_value)
			st->results[i].error = NULL;
	}
}

void ws_stmt_note_attr(struct ws_stmt *st, enum enum_stmt_attr_type attr, const void *value)
{
	struct ws_stmt_attr a = { .attr = attr };
	unsigned i;

	/* The value types are libmariadb's (mysql_stmt_attr_set); the real call
	 * has already read the non-pointer ones, so value is valid for them. */
	switch (attr) {
	case STMT_ATTR_UPDATE_MAX_LENGTH:
		a.v.b = *(const my_bool *)value;
		break;
	case STMT_ATTR_CURSOR_TYPE:
		a.v.ul = *(const unsigned long *)value;
		st->cursor = a.v.ul != CURSOR_TYPE_NO_CURSOR;
		break;
	case STMT_ATTR_PREFETCH_ROWS:
		a.v.ul = *(const unsigned long *)value;
		break;
	case STMT_ATTR_ARRAY_SIZE: /* array binding: bulk execution, the primary's */
		a.v.u = *(const unsigned int *)value;
		if (a.v.u)
			st->primary_only = true;
		break;
	case STMT_ATTR_ROW_SIZE:
		a.v.z = *(const size_t *)value;
		break;
	case STMT_ATTR_CB_USER_DATA: /* the pointers themselves */
	case STMT_ATTR_CB_RESULT:
		a.v.p = value;
		break;
	default: /* STMT_ATTR_PREBIND_PARAMS, STMT_ATTR_CB_PARAM (bulk), unknown */
		st->primary_only = true;
		return;
	}
	for (i = 0; i < st->n_attrs && st->attrs[i].attr != attr; i++)
		;
	if (i == sizeof(st->attrs) / sizeof(st->attrs[0])) {
		st->primary_only = true;
		return;
	}
	st->attrs[i] = a;
	if (i == st->n_attrs)
		st->n_attrs++;
}

const void *ws_stmt_attr_value(const struct ws_stmt_attr *a)
{
	return a->attr == STMT_ATTR_CB_USER_DATA || a->attr == STMT_ATTR_CB_RESULT ? a->v.p : (const void *)&a->v;
}

bool ws_stmt_parse_state_changed(const struct ws_stmt *st, const struct ws_session *s)
{
	/* What the server parses a statement's text and resolves its names
	 * under, at prepare time. */
	static const char *const parse_vars[] = { "sql_mode", "character_set_client", "character_set_connection",
						  "collation_connection", "old_mode" };

	if (s->db_gen > st->prepared_gen)
		return true;
	for (size_t i = 0; i < s->n_vars; i++) {
		if (s->vars[i].gen <= st->prepared_gen)
			continue;
		for (size_t k = 0; k < sizeof(parse_vars) / sizeof(parse_vars[0]); k++)
			if (strcasecmp(s->vars[i].name, parse_vars[k]) == 0)
				return true;
	}
	return false;
}

void ws_stmt_atfork_child(void)
{
	ws_hmap_atfork_child(&ws_stmts);
}
