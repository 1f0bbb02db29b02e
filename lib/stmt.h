/*
 * stmt.h — per prepared-statement state, in a side table keyed by MYSQL_STMT *.
 *
 * A statement of a managed handle is prepared on the primary (errors and
 * metadata come back at once). When it is a read and may run on a replica, it is
 * prepared there too, lazily, on first execution, with the application's
 * parameter and result bindings; every call that reads results or status then
 * answers from the statement handle that executed last.
 */
#ifndef WS_STMT_H
#define WS_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include "classify.h"
#include "hmap.h"

struct ws_stmt_attr {
	enum enum_stmt_attr_type attr;
	unsigned long value; /* every attribute fits an unsigned long (my_bool ones too) */
};

struct ws_rstmt {             /* the statement prepared on one replica connection */
	MYSQL_STMT *stmt;
	uint64_t conn_gen;    /* the connection generation it was prepared on */
	uint64_t bind_gen;    /* the application's bindings it carries (0: none yet) */
};

struct ws_stmt {
	struct ws_hnode hnode;        /* key: the application's MYSQL_STMT * */
	MYSQL_STMT *stmt;             /* the application's handle (on the primary) */
	MYSQL *owner;                 /* the application's MYSQL * (look its session up each time) */
	char *text;                   /* the prepared text; NULL when not prepared */
	size_t len;
	struct ws_verdict verdict;
	MYSQL_BIND *params;           /* copies of the application's bindings */
	unsigned n_params;
	MYSQL_BIND *results;
	unsigned n_results;
	uint64_t bind_gen;            /* bumped whenever the application binds anew */
	struct ws_stmt_attr attrs[8];
	unsigned n_attrs;
	bool long_data;               /* send_long_data since the last execute: primary */
	struct ws_rstmt *rstmts;      /* one per replica of the owner's cluster */
	size_t n_rstmts;
	MYSQL_STMT *last;             /* executed last; NULL = the application's */
	uint64_t primary_gen;         /* the owner's primary_gen when prepared there */
	unsigned err_code;            /* libwescale's own error (failover), until the next execute */
	char err_msg[512];
};

/* The entry for stmt, or NULL. A thread's repeated lookups (execute, fetch…,
 * free_result) are answered by its cache (hmap.h). */
extern struct ws_hmap ws_stmts;
extern __thread struct ws_hmap_cache ws_stmt_cache __attribute__((tls_model("initial-exec")));

static inline struct ws_stmt *ws_stmt_get(const MYSQL_STMT *stmt)
{
	struct ws_hnode *n = ws_hmap_get_cached(&ws_stmts, &ws_stmt_cache, stmt);

	return n ? (struct ws_stmt *)((char *)n - offsetof(struct ws_stmt, hnode)) : NULL;
}
/* Create the entry for stmt (replacing a stale one). NULL on allocation failure. */
struct ws_stmt *ws_stmt_attach(MYSQL_STMT *stmt, MYSQL *owner);
/* Remove, close the replica statements, free. */
void ws_stmt_detach(const MYSQL_STMT *stmt);
/* Close every replica statement (after a new prepare, or a reset of the owner). */
void ws_stmt_close_replicas(struct ws_stmt *st);
/* Remember the prepared text. 0 or -ENOMEM. */
int ws_stmt_set_text(struct ws_stmt *st, const char *q, size_t len);
/* Keep a copy of n bindings. 0 or -ENOMEM. */
int ws_stmt_copy_binds(MYSQL_BIND **dst, unsigned *n_dst, const MYSQL_BIND *src, unsigned n);
void ws_stmt_atfork_child(void);

/* The statement handle that executed last (it answers fetch, errors, …). */
static inline MYSQL_STMT *ws_stmt_last(MYSQL_STMT *stmt)
{
	struct ws_stmt *st = ws_stmt_get(stmt);

	return st && st->last ? st->last : stmt;
}

/* Defined with the entry points (shim_stmt.c): "this statement now runs on
 * the primary only". */
void ws_stmt_on_primary(MYSQL_STMT *stmt);

#endif /* WS_STMT_H */
