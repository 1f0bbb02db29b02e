/*
 * stmt.c — the side table of prepared statements (see stmt.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "real.h"
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
	free(st);
}

struct ws_stmt *ws_stmt_attach(MYSQL_STMT *stmt, MYSQL *owner)
{
	struct ws_stmt *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->stmt = stmt;
	st->owner = owner;
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

void ws_stmt_atfork_child(void)
{
	ws_hmap_atfork_child(&ws_stmts);
}
