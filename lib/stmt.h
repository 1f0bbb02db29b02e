/*
 * stmt.h — per prepared-statement state, in a side table keyed by MYSQL_STMT *.
 *
 * A statement of a managed handle is prepared on the primary (errors and
 * metadata come back at once). When it is a read and may run on a replica, it is
 * prepared there too, lazily, on first execution, with the application's
 * attributes and result bindings — but only while the session is still in the
 * state it was prepared in (database, sql_mode, character set), since the
 * server resolves names and parses under that state. Each execution on a
 * replica sends the parameters the application's statement holds at that
 * moment; every call that reads results or status then answers from the
 * statement handle that executed last.
 */
#ifndef WS_STMT_H
#define WS_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mysql.h>

#include "classify.h"
#include "decide.h"
#include "hmap.h"
#include "real.h"

/* One mysql_stmt_attr_set call, its value kept as the client library takes it
 * (my_bool, unsigned long, unsigned int, size_t, or the pointer itself). */
struct ws_stmt_attr {
	enum enum_stmt_attr_type attr;
	union {
		my_bool b;
		unsigned int u;
		unsigned long ul;
		size_t z;
		const void *p;
	} v;
};

struct ws_rstmt {             /* the statement prepared on one replica connection */
	MYSQL_STMT *stmt;
	uint64_t conn_gen;    /* the connection generation it was prepared on */
	uint64_t param_gen;   /* the parameter snapshot bound to it (0: none yet) */
	uint64_t result_gen;  /* the result bindings bound to it (0: none yet) */
};

struct ws_stmt {
	struct ws_hnode hnode;        /* key: the application's MYSQL_STMT * */
	MYSQL_STMT *stmt;             /* the application's handle (on the primary) */
	MYSQL *owner;                 /* the application's MYSQL * (look its session up each time) */
	char *text;                   /* the prepared text; NULL when not prepared, or kept on the primary */
	size_t len;
	struct ws_verdict verdict;
	struct ws_route_memo memo;    /* its last replica plan (decide.h); valid while the text is */
	uint64_t prepared_gen;        /* the owner's state_gen when the application prepared it */
	MYSQL_BIND *params;           /* the parameters as last bound to replica statements */
	unsigned n_params;
	unsigned param_count;         /* parameters of the prepared text */
	uint64_t param_gen;           /* bumped whenever that snapshot changes */
	bool params_bound;            /* mysql_stmt_bind_param succeeded since the prepare */
	bool results_bound;           /* mysql_stmt_bind_result succeeded since the prepare */
	MYSQL_BIND *results;          /* the result bindings as last bound to replica statements;
				       * n_results 0 while the application's are released (stmt.c) */
	unsigned n_results;
	unsigned result_count;        /* columns when the application bound them */
	uint64_t result_gen;          /* bumped whenever the application binds results anew */
	MYSQL_BIND *unbound;          /* bindings that write nowhere (MADB_BIND_DUMMY) */
	unsigned n_unbound;
	struct ws_stmt_attr attrs[12];
	unsigned n_attrs;
	bool primary_only;            /* an attribute a replica statement cannot carry (bulk) */
	bool long_data;               /* send_long_data since the last execute: primary */
	bool detached;                /* libmariadb invalidated the application's statement */
	bool stored;                  /* the last execute's rows are buffered (store_result) */
	bool cursor;                  /* STMT_ATTR_CURSOR_TYPE is set: each fetch asks the server */
	struct ws_rstmt *rstmts;      /* one per replica of the owner's cluster */
	size_t n_rstmts;
	MYSQL_STMT *last;             /* executed last; NULL = the application's */
	int last_node;                /* its replica index, -1 = the primary */
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
/* Refresh st->params from the parameters the client library sends at the
 * application statement's next execute (bound: the array just passed to
 * mysql_stmt_bind_param, or NULL); st->param_gen moves when they changed.
 * The same for the result bindings its next fetch writes into: none (n_results
 * 0) once the application released them. 0 or -ENOMEM. */
int ws_stmt_sync_params(struct ws_stmt *st, const MYSQL_BIND *bound);
int ws_stmt_sync_results(struct ws_stmt *st, const MYSQL_BIND *bound);
/* What a replica statement of n_fields columns is bound to for its next fetch:
 * st->results, or (released) bindings that write into no application memory.
 * NULL when there are none (out of memory, or a client library without
 * dummy bindings). */
const MYSQL_BIND *ws_stmt_result_binds(struct ws_stmt *st, unsigned n_fields);
/* The parameters, before an execute: the common case — nothing changed —
 * inline (reading the client library's bindings: why, in stmt.c). The result
 * bindings are not taken here: an execute writes into none of them, and they
 * may be stale by then (stmt.c); ws_stmt_sync_results runs before each fetch. */
static inline int ws_stmt_sync(struct ws_stmt *st)
{
	const MYSQL_BIND *p;

	if (!ws_real()->mariadb_get_infov)
		return 0; /* the copies taken at bind time stay */
	p = st->stmt->params;
	if (!st->params_bound || !p ||
	    (st->n_params == st->param_count &&
	     (!st->param_count || memcmp(st->params, p, st->param_count * sizeof(*p)) == 0)))
		return 0;
	return ws_stmt_sync_params(st, NULL) < 0 ? -1 : 0;
}
/* Would ws_stmt_sync_results(st, NULL) find st's copy of the result bindings
 * as the client library holds them now (nothing to do)? Its checks, inline:
 * the fetch path asks before every row. */
static inline bool ws_stmt_results_current(const struct ws_stmt *st)
{
	const MYSQL_STMT *m = st->stmt;

	if (!st->results_bound || !ws_real()->mariadb_get_infov)
		return true; /* (then the copies taken at bind time stay) */
	if (!m->bind_result_done || !m->bind)
		return st->n_results == 0;
	return st->n_results == st->result_count &&
	       (!st->result_count || memcmp(st->results, m->bind, st->result_count * sizeof(*m->bind)) == 0);
}
/* Before the application's statement is prepared again (failover): make
 * st->params / st->results independent of the client library's arrays, which
 * the prepare frees, so they can be bound to it again. */
void ws_stmt_unlink_bindings(struct ws_stmt *st);
/* Record an attribute the application set (after the real call accepted it). */
void ws_stmt_note_attr(struct ws_stmt *st, enum enum_stmt_attr_type attr, const void *value);
/* The value to pass to mysql_stmt_attr_set to give a statement attribute a. */
const void *ws_stmt_attr_value(const struct ws_stmt_attr *a);
struct ws_session;
/* Has the owner's database, sql_mode or character set changed since the
 * application prepared st? (Then a replica cannot prepare it as the primary did.) */
bool ws_stmt_parse_state_changed(const struct ws_stmt *st, const struct ws_session *s);
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
