/*
 * test-stmt.c — prepared statements of a managed handle give what libmariadb
 * gives, whichever node runs them (issues 17 and 23).
 *
 * Each read prepared here returns @@server_id next to its rows, so every check
 * asserts both the rows and where they came from (1 = primary, 2/3 = replicas).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

#define PRIMARY 1

static struct wstest_env env;
static MYSQL *m; /* the application's handle, managed by libwescale */

static bool is_replica(long id) { return id == 2 || id == 3; }

static void sync_replicas(void)
{
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
}

/* Fill stmt_t: id 1..200 with v = 'v<id>'. */
static int suite_init(void)
{
	char sql[64];

	if (wstest_exec(m, "DROP TABLE IF EXISTS stmt_t") ||
	    wstest_exec(m, "CREATE TABLE stmt_t (id INT PRIMARY KEY, v VARCHAR(32))"))
		return 1;
	for (int i = 1; i <= 200; i += 50) {
		char big[4096];
		size_t n = (size_t)snprintf(big, sizeof(big), "INSERT INTO stmt_t VALUES ");

		for (int k = i; k < i + 50; k++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s(%d, 'v%d')", k == i ? "" : ",", k, k);
		if (wstest_exec(m, big))
			return 1;
	}
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM stmt_t");
	return wstest_query_long(m, sql) == 200 && wstest_sync_replicas(&env) ? 0 : 1;
}

/* One row of "SELECT v, @@server_id …" bound to v/sid; returns the number of
 * rows (0 or 1), -1 on error. */
struct row {
	char v[33];
	unsigned long v_len;
	my_bool v_null;
	int sid;
};

static int run_read(MYSQL_STMT *st, struct row *out)
{
	MYSQL_BIND r[2];
	int n = 0, rc;

	memset(r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	r[0].buffer_type = MYSQL_TYPE_STRING;
	r[0].buffer = out->v;
	r[0].buffer_length = sizeof(out->v) - 1;
	r[0].length = &out->v_len;
	r[0].is_null = &out->v_null;
	r[1].buffer_type = MYSQL_TYPE_LONG;
	r[1].buffer = &out->sid;
	if (mysql_stmt_execute(st)) {
		printf("execute: %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		return -1;
	}
	if (mysql_stmt_bind_result(st, r) || mysql_stmt_store_result(st))
		return -1;
	while ((rc = mysql_stmt_fetch(st)) == 0)
		n++;
	mysql_stmt_free_result(st);
	out->v[out->v_len < sizeof(out->v) ? out->v_len : 0] = '\0';
	return rc == MYSQL_NO_DATA ? n : -1;
}

/* A new statement q (one row, v = want) runs on a replica. */
static void expect_replica_read(const char *q, const char *want)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	struct row row;

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, want);
	CU_ASSERT(is_replica(row.sid));
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/*
 * DBD::mysql (mysql_server_prepare=1) binds once, then for each execute writes
 * the new value's address into the statement's own copy of the bindings
 * (stmt->params[i].buffer, buffer_length) and executes without binding again.
 * The application's MYSQL_BIND array may be gone by then: libmariadb copied it.
 */
static void test_rebind_in_place(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "SELECT v, @@server_id FROM stmt_t WHERE id = ?";
	MYSQL_BIND *p = calloc(1, sizeof(*p));
	int id = 7, other = 0, wrong = 0, on_replica = 0, runs = 0;
	char sbuf[2][16];
	unsigned long slen = 0;
	my_bool is_null = 0;
	struct row row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	p->buffer_type = MYSQL_TYPE_LONG;
	p->buffer = &id;
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_bind_param(st, p), 0);
	/* Legal with libmariadb: it keeps its own copy of the bindings. */
	memset(p, 0xA5, sizeof(*p));
	free(p);

	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "v7");
	CU_ASSERT(is_replica(row.sid));

	/* The bound buffer changed in place. */
	id = 8;
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "v8");
	CU_ASSERT(is_replica(row.sid));

	/* What DBD::mysql does: a new buffer written into the statement's
	 * bindings (this test reads MYSQL_STMT as that driver does). */
	for (int i = 0; i < 300; i++) {
		int want = 1 + (i * 37) % 200;
		char exp[16];

		other = want;
		st->params[0].buffer = &other;
		if (run_read(st, &row) != 1) {
			wrong++;
			continue;
		}
		snprintf(exp, sizeof(exp), "v%d", want);
		wrong += strcmp(row.v, exp) != 0;
		on_replica += is_replica(row.sid);
		runs++;
		id = -1; /* the first buffer now holds a value that matches nothing */
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(on_replica, runs);

	/* A string parameter: buffer, buffer_length and *length change; then NULL. */
	q = "SELECT v, @@server_id FROM stmt_t WHERE v = ?";
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	{
		MYSQL_BIND b;

		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_STRING;
		b.buffer = sbuf[0];
		b.length = &slen;
		b.is_null = &is_null;
		slen = (unsigned long)snprintf(sbuf[0], sizeof(sbuf[0]), "v12");
		b.buffer_length = slen;
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_bind_param(st, &b), 0);
	} /* b is out of scope: only its copy in the statement remains */
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "v12");
	wrong = 0;
	for (int i = 0; i < 200; i++) {
		int want = 1 + (i * 53) % 200;
		char *buf = sbuf[(i + 1) % 2];

		slen = (unsigned long)snprintf(buf, sizeof(sbuf[0]), "v%d", want);
		st->params[0].buffer = buf;
		st->params[0].buffer_length = slen;
		if (run_read(st, &row) != 1 || strcmp(row.v, buf) != 0 || !is_replica(row.sid))
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	is_null = 1;
	CU_ASSERT_EQUAL(run_read(st, &row), 0);
	is_null = 0;
	CU_ASSERT_EQUAL(run_read(st, &row), 1);

	/* A result buffer too small: DBD::mysql re-fetches the column into a
	 * bigger one and moves the statement's binding there for the rows after. */
	q = "SELECT v FROM stmt_t WHERE id IN (150, 151) ORDER BY id";
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	{
		char small[2], big[16] = "", col[16] = "";
		unsigned long len = 0, col_len = 0;
		MYSQL_BIND b, c;

		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_STRING;
		b.buffer = small;
		b.buffer_length = sizeof(small);
		b.length = &len;
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
		CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, &b), 0);
		CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_DATA_TRUNCATED);
		CU_ASSERT_EQUAL(len, 4);
		c = b;
		c.buffer = col;
		c.buffer_length = sizeof(col);
		c.length = &col_len;
		CU_ASSERT_EQUAL(mysql_stmt_fetch_column(st, &c, 0, 0), 0);
		CU_ASSERT_STRING_EQUAL(col, "v150");
		st->bind[0].buffer = big;
		st->bind[0].buffer_length = sizeof(big);
		CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
		CU_ASSERT_EQUAL(len, 4);
		CU_ASSERT_STRING_EQUAL(big, "v151");
		CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_NO_DATA);
		mysql_stmt_free_result(st);
	}
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/* Result bindings as Ruby's mysql2 makes them: everything allocated for one
 * result, and released after it. */
struct mysql2_result {
	MYSQL_BIND *bind;
	my_bool *is_null, *error;
	unsigned long *length;
	int id;
	char v[16];
	int sid;
};

#define CANARY 0xA5


static void mysql2_bind(struct mysql2_result *r)
{
	r->bind = calloc(3, sizeof(*r->bind));
	r->is_null = calloc(3, sizeof(*r->is_null));
	r->error = calloc(3, sizeof(*r->error));
	r->length = calloc(3, sizeof(*r->length));
	CU_ASSERT_FATAL(r->bind && r->is_null && r->error && r->length);
	r->bind[0].buffer_type = MYSQL_TYPE_LONG;
	r->bind[0].buffer = &r->id;
	r->bind[1].buffer_type = MYSQL_TYPE_STRING;
	r->bind[1].buffer = r->v;
	r->bind[1].buffer_length = sizeof(r->v);
	r->bind[2].buffer_type = MYSQL_TYPE_LONG;
	r->bind[2].buffer = &r->sid;
	for (int i = 0; i < 3; i++) {
		r->bind[i].is_null = &r->is_null[i];
		r->bind[i].error = &r->error[i];
		r->bind[i].length = &r->length[i];
	}
}

/* The application's memory the library must not write into any more. */
static void mysql2_poison(struct mysql2_result *r)
{
	memset(r->bind, CANARY, 3 * sizeof(*r->bind));
	memset(r->is_null, CANARY, 3);
	memset(r->error, CANARY, 3);
	memset(r->length, CANARY, 3 * sizeof(*r->length));
	memset(&r->id, CANARY, sizeof(r->id) + sizeof(r->v) + sizeof(r->sid));
}

static bool mysql2_intact(const struct mysql2_result *r)
{
	const unsigned char *p[] = { (const void *)r->bind, (const void *)r->is_null, (const void *)r->error,
				     (const void *)r->length,
				     (const void *)&r->id, (const void *)r->v, (const void *)&r->sid };
	const size_t n[] = { 3 * sizeof(*r->bind), 3, 3, 3 * sizeof(*r->length), sizeof(r->id), sizeof(r->v),
			     sizeof(r->sid) };

	for (size_t k = 0; k < sizeof(n) / sizeof(n[0]); k++)
		for (size_t i = 0; i < n[k]; i++)
			if (p[k][i] != CANARY)
				return false;
	return true;
}

static void mysql2_free(struct mysql2_result *r)
{
	free(r->bind);
	free(r->is_null);
	free(r->error);
	free(r->length);
}

/*
 * Ruby's mysql2 (Mysql2::Statement#execute): fresh parameter bindings for each
 * execute, freed right after it; result bindings made after the execute,
 * bound again before each fetch, and after the rows are read
 * mysql_stmt_free_result, stmt->bind_result_done = 0 (so that libmariadb
 * writes into them no more) and free. The statement moves between the primary
 * and the replicas; a replica statement must never write into bindings the
 * application released (they were freed: heap corruption). Here they are kept,
 * filled with a canary that must survive the next executes and fetches.
 */
static void test_mysql2_pattern(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "SELECT id, v, @@server_id FROM stmt_t WHERE id BETWEEN ? AND ? ORDER BY id";
	struct mysql2_result old[2];
	int wrong = 0, damaged = 0, on_replica = 0, replica_runs = 0;

	memset(old, 0, sizeof(old));
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	for (int i = 0; i < 120; i++) {
		int lo = 1 + (i * 37) % 190, hi = lo + i % 9, rows = 0, rc;
		MYSQL_BIND *p = calloc(2, sizeof(*p));
		int *lo_p = malloc(sizeof(int)), *hi_p = malloc(sizeof(int));
		struct mysql2_result *r = &old[i % 2];
		bool primary = i % 3 == 1 && i % 10 != 9;

		CU_ASSERT_FATAL(p && lo_p && hi_p);
		*lo_p = lo;
		*hi_p = hi;
		p[0].buffer_type = p[1].buffer_type = MYSQL_TYPE_LONG;
		p[0].buffer = lo_p;
		p[1].buffer = hi_p;
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_bind_param(st, p), 0);
		if (primary)
			CU_ASSERT_EQUAL(wescale_route_next(m, WESCALE_ROUTE_PRIMARY), 0);
		rc = mysql_stmt_execute(st);
		free(p);
		free(lo_p);
		free(hi_p);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_store_result(st), 0);
		if (i % 10 == 9) {
			/* Nothing bound since the last release: rows are only
			 * counted. On a replica only (libmariadb's own statement
			 * still writes NULL flags into released bindings). */
			while ((rc = mysql_stmt_fetch(st)) == 0)
				rows++;
		} else {
			/* The bindings of two results ago were released: reuse
			 * the slot. */
			mysql2_free(r);
			mysql2_bind(r);
			for (;;) {
				char exp[16];

				CU_ASSERT_EQUAL_FATAL(mysql_stmt_bind_result(st, r->bind), 0);
				if ((rc = mysql_stmt_fetch(st)) != 0)
					break;
				snprintf(exp, sizeof(exp), "v%d", r->id);
				wrong += r->id != lo + rows || r->length[1] != strlen(exp) ||
					 strncmp(r->v, exp, r->length[1]) != 0 || r->is_null[1];
				if (!primary) {
					on_replica += is_replica(r->sid);
					replica_runs++;
				}
				rows++;
			}
		}
		CU_ASSERT_EQUAL(rc, MYSQL_NO_DATA);
		CU_ASSERT_EQUAL(rows, hi - lo + 1);
		mysql_stmt_free_result(st);
		/* What mysql2 writes (this test reads and writes MYSQL_STMT as
		 * that driver does). */
		st->bind_result_done = 0;
		if (i % 10 != 9)
			mysql2_poison(r);
		/* The other slot: released one result ago (or more). */
		damaged += old[(i + 1) % 2].bind && !mysql2_intact(&old[(i + 1) % 2]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(damaged, 0);
	CU_ASSERT(replica_runs > 200);
	CU_ASSERT_EQUAL(on_replica, replica_runs);
	mysql2_free(&old[0]);
	mysql2_free(&old[1]);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/* stmt_state holds 1 in the test database, 2 in wstest2. */
static void make_state_tables(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP TABLE IF EXISTS stmt_state"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TABLE stmt_state (v INT)"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "INSERT INTO stmt_state VALUES (1)"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TABLE IF NOT EXISTS wstest2.stmt_state (v INT)"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DELETE FROM wstest2.stmt_state"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "INSERT INTO wstest2.stmt_state VALUES (2)"), 0);
	sync_replicas();
}

/* A statement runs under the database and sql_mode it was prepared in, as
 * on the primary (the server resolves names and parses at prepare time). */
static void test_prepared_state_kept(void)
{
	MYSQL_STMT *a = mysql_stmt_init(m), *b = mysql_stmt_init(m);
	const char *qa = "SELECT CAST(v AS CHAR), @@server_id FROM stmt_state";
	const char *qb = "SELECT 'a' || 'b', @@server_id";
	struct row row;

	make_state_tables();
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(a, qa, strlen(qa)), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(b, qb, strlen(qb)), 0);
	/* First executed after the change: never prepared on a replica before. */
	CU_ASSERT_EQUAL(mysql_select_db(m, "wstest2"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET sql_mode = CONCAT(@@sql_mode, ',PIPES_AS_CONCAT')"), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(run_read(a, &row), 1);
		CU_ASSERT_STRING_EQUAL(row.v, "1");
		CU_ASSERT_EQUAL(run_read(b, &row), 1);
		CU_ASSERT_STRING_EQUAL(row.v, "0");
	}
	/* Text reads see the new state, on replicas. */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT v FROM stmt_state"), 2);
	CU_ASSERT_EQUAL(mysql_select_db(m, env.db), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET sql_mode = DEFAULT"), 0);

	/* Prepared again under the original state: replicas serve it. */
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(a, qa, strlen(qa)), 0);
	CU_ASSERT_EQUAL(run_read(a, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "1");
	CU_ASSERT(is_replica(row.sid));
	/* Prepared on a replica under the original state, then the state moves:
	 * the replica's statement keeps the state it was prepared in. */
	CU_ASSERT_EQUAL(mysql_select_db(m, "wstest2"), 0);
	CU_ASSERT_EQUAL(run_read(a, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "1");
	CU_ASSERT_EQUAL(mysql_select_db(m, env.db), 0);
	mysql_stmt_close(a);
	mysql_stmt_close(b);
}

/* Connector/C reads a length of (unsigned long)-1 as "NUL-terminated". */
static void test_prepare_length_minus_one(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	struct row row;

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, "SELECT 'x', @@server_id", (unsigned long)-1), 0);
	CU_ASSERT_EQUAL(mysql_stmt_field_count(st), 2);
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "x");
	CU_ASSERT(is_replica(row.sid));
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/* STMT_ATTR_CB_RESULT: each column of each row is handed to the callback. */
struct cb_seen {
	unsigned calls, nulls;
	int sid;
	char v[33];
};

static void result_cb(void *data, unsigned int column, unsigned char **row)
{
	struct cb_seen *seen = data;
	unsigned long len;

	seen->calls++;
	if (!row) {
		seen->nulls++;
		return;
	}
	if (column == 1) { /* @@server_id: a LONGLONG, 8 bytes */
		seen->sid = (int)((*row)[0] | (*row)[1] << 8);
		*row += 8;
		return;
	}
	len = **row; /* short strings: a one-byte length */
	memcpy(seen->v, *row + 1, len < sizeof(seen->v) ? len : sizeof(seen->v) - 1);
	seen->v[len < sizeof(seen->v) ? len : sizeof(seen->v) - 1] = '\0';
	*row += 1 + len;
}

static void test_statement_attributes(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "SELECT v, @@server_id FROM stmt_t WHERE id = 9";
	struct cb_seen seen = { 0 };
	unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 2, got = 0;
	my_bool max_length = 1;
	unsigned int array_size = 0;
	MYSQL_RES *meta;
	struct row row;
	int rc;

	/* Callbacks set before the prepare: the read runs with them wherever it runs. */
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_CB_USER_DATA, &seen), 0);
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_CB_RESULT, (const void *)result_cb), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	for (int i = 0; i < 3; i++) {
		memset(&seen, 0, sizeof(seen));
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
		CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
		while ((rc = mysql_stmt_fetch(st)) == 0)
			;
		CU_ASSERT_EQUAL(rc, MYSQL_NO_DATA);
		CU_ASSERT_EQUAL(seen.calls, 2);
		CU_ASSERT_STRING_EQUAL(seen.v, "v9");
		CU_ASSERT(is_replica(seen.sid));
		mysql_stmt_free_result(st);
	}
	/* Cleared again: back to bound results. */
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_CB_RESULT, NULL), 0);
	memset(&seen, 0, sizeof(seen));
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_EQUAL(seen.calls, 0);
	CU_ASSERT_STRING_EQUAL(row.v, "v9");
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);

	/* Cursor, prefetch, max_length: carried, and answered by attr_get. */
	st = mysql_stmt_init(m);
	q = "SELECT v, @@server_id FROM stmt_t WHERE id <= 5 ORDER BY id";
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor), 0);
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch), 0);
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &max_length), 0);
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &array_size), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 5);
	CU_ASSERT_STRING_EQUAL(row.v, "v5");
	CU_ASSERT(is_replica(row.sid));
	CU_ASSERT_EQUAL(mysql_stmt_attr_get(st, STMT_ATTR_CURSOR_TYPE, &got), 0);
	CU_ASSERT_EQUAL(got, CURSOR_TYPE_READ_ONLY);
	/* max_length is filled in by store_result. */
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
	meta = mysql_stmt_result_metadata(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(meta);
	CU_ASSERT_EQUAL(mysql_fetch_field_direct(meta, 0)->max_length, 2);
	mysql_free_result(meta);
	mysql_stmt_free_result(st);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);

	/* Bulk attributes (array binding): the statement stays on the primary. */
	st = mysql_stmt_init(m);
	array_size = 1;
	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &array_size), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, "SELECT 'x', @@server_id", (unsigned long)-1), 0);
	rc = run_read(st, &row);
	if (rc == 1)
		CU_ASSERT_EQUAL(row.sid, PRIMARY);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/* Fetching from a cursor resets the connection's warnings (Connector/C's
 * test_bug13524), wherever the cursor lives. */
static void test_warnings_after_cursor_fetch(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const unsigned long cursor = CURSOR_TYPE_READ_ONLY;
	const char *q = "SELECT id FROM stmt_t WHERE id <= 4 ORDER BY id";

	CU_ASSERT_EQUAL(mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(mysql_warning_count(m), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "DROP TABLE IF EXISTS stmt_no_such_table"), 0);
	CU_ASSERT_EQUAL(mysql_warning_count(m), 1);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(mysql_warning_count(m), 0);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);

	/* A buffered result does not talk to the server: the primary's warning stays. */
	st = mysql_stmt_init(m);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "DROP TABLE IF EXISTS stmt_no_such_table"), 0);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(mysql_warning_count(m), 1);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
}

/* What libmariadb refuses fails as it fails, wherever the read would run. */
static void test_refused_as_libmariadb(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m), *write;
	const char *q = "SELECT v, @@server_id FROM stmt_t WHERE id IN (?, ?, ?)";
	MYSQL_BIND p[3];
	int id = 4;
	struct row row;

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	/* Parameters never bound. */
	CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_errno(st), CR_PARAMS_NOT_BOUND);
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 3; i++) {
		p[i].buffer_type = MYSQL_TYPE_LONG;
		p[i].buffer = &id;
	}
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, p), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT(is_replica(row.sid));
	/* The parameter count changed behind the library's back (Connector/C's
	 * test_bug28934): the server refuses the packet. */
	st->param_count = 2;
	CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st), 0);
	st->param_count = 3;
	CU_ASSERT_EQUAL(run_read(st, &row), 1);

	/* mysql_change_user invalidates every statement (test_bug5315): a read
	 * or a write fails with CR_SERVER_LOST, again and again, and nothing
	 * is taken for a lost primary. */
	write = mysql_stmt_init(m);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(write, "DELETE FROM stmt_t WHERE id = 0", (unsigned long)-1), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_change_user(m, env.user, env.password, env.db), 0);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st), 0);
		CU_ASSERT_EQUAL(mysql_stmt_errno(st), CR_SERVER_LOST);
		CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(write), 0);
		CU_ASSERT_EQUAL(mysql_stmt_errno(write), CR_SERVER_LOST);
	}
	mysql_stmt_close(st);
	mysql_stmt_close(write);
	expect_replica_read("SELECT v, @@server_id FROM stmt_t WHERE id = 4", "v4");
}

/* Run a prepared statement with no parameters and no result. */
static int prepared_exec(const char *q)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	int r = mysql_stmt_prepare(st, q, strlen(q)) || mysql_stmt_execute(st);

	if (r)
		printf("%s: %u %s\n", q, mysql_stmt_errno(st), mysql_stmt_error(st));
	mysql_stmt_close(st);
	return r;
}

/* What a prepared statement does to the session is noticed as for text. */
static void test_bookkeeping(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *ins = "INSERT INTO stmt_t VALUES (?, 'new')";
	const char *rd = "SELECT v, @@server_id FROM stmt_shadow";
	MYSQL_BIND p;
	int id = 1000;
	struct row row;

	/* A prepared write's GTID: the next read at consistency=session sees it
	 * though both replicas stopped applying. */
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, "STOP SLAVE SQL_THREAD"), 0);
		mysql_close(a);
	}
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, ins, strlen(ins)), 0);
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONG;
	p.buffer = &id;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, &p), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.replica_port[0], "SELECT COUNT(*) FROM wstest.stmt_t WHERE id = 1000"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_t WHERE id = 1000"), 1);
	CU_ASSERT_EQUAL(mariadb_stmt_execute_direct(st, "INSERT INTO stmt_t VALUES (1001, 'direct')", (size_t)-1), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_t WHERE id = 1001"), 1);
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, "START SLAVE SQL_THREAD"), 0);
		mysql_close(a);
	}
	sync_replicas();
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);

	/* A prepared CREATE TEMPORARY TABLE that shadows a base table: reads of
	 * that name run where the temporary table lives. */
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP TABLE IF EXISTS stmt_shadow"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TABLE stmt_shadow (v VARCHAR(8))"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "INSERT INTO stmt_shadow VALUES ('b'), ('b'), ('b')"), 0);
	sync_replicas();
	CU_ASSERT_EQUAL(prepared_exec("CREATE TEMPORARY TABLE stmt_shadow (v VARCHAR(8))"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_shadow"), 0);
	st = mysql_stmt_init(m);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, rd, strlen(rd)), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 0);
	CU_ASSERT_EQUAL(prepared_exec("DROP TEMPORARY TABLE stmt_shadow"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_shadow"), 3);
	/* The same through mariadb_stmt_execute_direct. */
	{
		MYSQL_STMT *d = mysql_stmt_init(m);

		CU_ASSERT_EQUAL(mariadb_stmt_execute_direct(d, "CREATE TEMPORARY TABLE stmt_shadow (v INT)", (size_t)-1), 0);
		CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_shadow"), 0);
		CU_ASSERT_EQUAL(mariadb_stmt_execute_direct(d, "DROP TEMPORARY TABLE stmt_shadow", (size_t)-1), 0);
		CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM stmt_shadow"), 3);
		mysql_stmt_close(d);
	}

	/* Prepared LOCK TABLES / UNLOCK TABLES. */
	CU_ASSERT_EQUAL(prepared_exec("LOCK TABLES stmt_shadow READ"), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 3);
	CU_ASSERT_EQUAL(row.sid, PRIMARY);
	CU_ASSERT_EQUAL(prepared_exec("UNLOCK TABLES"), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 3);
	CU_ASSERT(is_replica(row.sid));
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);

	/* A prepared SET and USE: later reads on replicas run under them. */
	make_state_tables();
	CU_ASSERT_EQUAL(prepared_exec("SET sql_mode = 'PIPES_AS_CONCAT'"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT ('1' || '2') + 0"), 12);
	CU_ASSERT_EQUAL(prepared_exec("SET sql_mode = DEFAULT"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT ('1' || '2') + 0"), 1);
	CU_ASSERT_EQUAL(prepared_exec("USE wstest2"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT v FROM stmt_state"), 2);
	CU_ASSERT_EQUAL(mysql_select_db(m, env.db), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT v FROM stmt_state"), 1);
}

/* A prepared CALL with several result sets: every one, then the status. */
static void test_multi_results(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "CALL stmt_two()";
	int sets = 0, rows = 0, rc;
	struct row row;

	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP PROCEDURE IF EXISTS stmt_two"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE PROCEDURE stmt_two() BEGIN "
					     "SELECT v, @@server_id FROM stmt_t WHERE id <= 2; "
					     "SELECT v, @@server_id FROM stmt_t WHERE id = 3; END"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
	do {
		MYSQL_BIND r[2];

		if (mysql_stmt_field_count(st) == 0)
			continue;
		memset(r, 0, sizeof(r));
		memset(&row, 0, sizeof(row));
		r[0].buffer_type = MYSQL_TYPE_STRING;
		r[0].buffer = row.v;
		r[0].buffer_length = sizeof(row.v) - 1;
		r[0].length = &row.v_len;
		r[1].buffer_type = MYSQL_TYPE_LONG;
		r[1].buffer = &row.sid;
		CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, r), 0);
		CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
		while (mysql_stmt_fetch(st) == 0) {
			rows++;
			CU_ASSERT_EQUAL(row.sid, PRIMARY);
		}
		sets++;
	} while ((rc = mysql_stmt_next_result(st)) == 0);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(sets, 2);
	CU_ASSERT_EQUAL(rows, 3);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
	/* The handle is in sync. A CALL may have created temporary tables or
	 * taken locks that no statement names: reads stay on the primary until
	 * a reset proves the session clean (docs/architecture.md). */
	CU_ASSERT_EQUAL(wstest_server_id(m), PRIMARY);
	CU_ASSERT_EQUAL(mysql_reset_connection(m), 0);
	expect_replica_read("SELECT v, @@server_id FROM stmt_t WHERE id = 3", "v3");
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP PROCEDURE stmt_two"), 0);
}

/*
 * A statement executed again and again keeps its last plan while nothing the
 * decision reads has changed (the plan memo, route.c). Every change of
 * session state in between must route the next execution anew: each step
 * runs the warm statement, then a statement prepared just now (no memo): both
 * must run where the step expects.
 */
static const char memo_q[] = "SELECT v, @@server_id FROM stmt_t WHERE id = 7";

/* Statement st (which: "the warm", "a new") ran one row where step expects. */
static void expect_ran(MYSQL_STMT *st, bool on_replica, const char *step, const char *which)
{
	struct row row;
	bool where;

	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	where = on_replica ? is_replica(row.sid) : row.sid == PRIMARY;
	if (!where)
		printf("%s: %s statement ran on server %d\n", step, which, row.sid);
	CU_ASSERT(where);
}

static void expect_warm_and_fresh(MYSQL_STMT *warm, bool on_replica, const char *step)
{
	MYSQL_STMT *fresh = mysql_stmt_init(m);

	expect_ran(warm, on_replica, step, "the warm");
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(fresh, memo_q, strlen(memo_q)), 0);
	expect_ran(fresh, on_replica, step, "a new");
	CU_ASSERT_EQUAL(mysql_stmt_close(fresh), 0);
}

static void test_plan_memo(void)
{
	const char *q = memo_q;
	MYSQL_STMT *st = mysql_stmt_init(m);
	struct row row;

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(run_read(st, &row), 1);
		CU_ASSERT(is_replica(row.sid));
	}
	/* A read-write transaction (text), then its end. */
	CU_ASSERT_EQUAL(wstest_exec(m, "START TRANSACTION READ WRITE"), 0);
	expect_warm_and_fresh(st, false, "in START TRANSACTION READ WRITE");
	CU_ASSERT_EQUAL(wstest_exec(m, "COMMIT"), 0);
	expect_warm_and_fresh(st, true, "after COMMIT");
	/* Autocommit off through the API (transactions assumed to write), then on. */
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(m, 1), 0);
	CU_ASSERT_EQUAL(mysql_autocommit(m, 0), 0);
	expect_warm_and_fresh(st, false, "autocommit off");
	CU_ASSERT_EQUAL(mysql_autocommit(m, 1), 0);
	expect_warm_and_fresh(st, true, "autocommit on");
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(m, -1), 0);
	/* LOCK TABLES (prepared), UNLOCK TABLES (text). */
	CU_ASSERT_EQUAL(prepared_exec("LOCK TABLES stmt_t READ"), 0);
	expect_warm_and_fresh(st, false, "under LOCK TABLES");
	CU_ASSERT_EQUAL(wstest_exec(m, "UNLOCK TABLES"), 0);
	expect_warm_and_fresh(st, true, "after UNLOCK TABLES");
	/* A temporary table that shadows the one read, then dropped. */
	CU_ASSERT_EQUAL(wstest_exec(m, "CREATE TEMPORARY TABLE stmt_t (id INT, v VARCHAR(32))"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO stmt_t VALUES (7, 'temp')"), 0);
	expect_warm_and_fresh(st, false, "temporary stmt_t");
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "temp");
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TEMPORARY TABLE stmt_t"), 0);
	expect_warm_and_fresh(st, true, "temporary stmt_t dropped");
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "v7");
	/* wescale_route_next: this execution only. */
	CU_ASSERT_EQUAL(wescale_route_next(m, WESCALE_ROUTE_PRIMARY), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_EQUAL(row.sid, PRIMARY);
	expect_warm_and_fresh(st, true, "after wescale_route_next");
	/* The handle's consistency level. */
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_PRIMARY), 0);
	expect_warm_and_fresh(st, false, "consistency = primary");
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_SESSION), 0);
	expect_warm_and_fresh(st, true, "consistency = session");
	/* A READ ONLY transaction held on a replica, then its end. */
	CU_ASSERT_EQUAL(wstest_exec(m, "START TRANSACTION READ ONLY"), 0);
	expect_warm_and_fresh(st, true, "in START TRANSACTION READ ONLY");
	CU_ASSERT_EQUAL(wstest_exec(m, "COMMIT"), 0);
	/* A write, then the read at consistency = session: its row is there. */
	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE stmt_t SET v = 'v7-new' WHERE id = 7"), 0);
	CU_ASSERT_EQUAL(run_read(st, &row), 1);
	CU_ASSERT_STRING_EQUAL(row.v, "v7-new");
	CU_ASSERT(is_replica(row.sid));
	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE stmt_t SET v = 'v7' WHERE id = 7"), 0);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
	sync_replicas();
}

/* With an argument: run only the test of that name (checking a fix in isolation). */
int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned failures;

	if (!wstest_env_load(&env))
		return 1;
	setenv("WESCALE_CONFIG", env.config, 1);
	m = wstest_connect(&env, env.primary_port, env.db);
	if (!m)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("stmt", suite_init, NULL);
	CU_add_test(s, "re-execute after the bindings change in place", test_rebind_in_place);
	CU_add_test(s, "mysql2: bindings per execute, released after each result", test_mysql2_pattern);
	CU_add_test(s, "prepared under one database and sql_mode", test_prepared_state_kept);
	CU_add_test(s, "prepare with length (unsigned long)-1", test_prepare_length_minus_one);
	CU_add_test(s, "statement attributes and callbacks", test_statement_attributes);
	CU_add_test(s, "warning count after a cursor fetch", test_warnings_after_cursor_fetch);
	CU_add_test(s, "what libmariadb refuses fails the same way", test_refused_as_libmariadb);
	CU_add_test(s, "GTID, temporary tables, LOCK TABLES, SET, USE", test_bookkeeping);
	CU_add_test(s, "multi-results of a prepared CALL", test_multi_results);
	CU_add_test(s, "a remembered plan is made anew after every change of state", test_plan_memo);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		CU_pTest t = CU_get_test(s, argv[1]);

		if (!t)
			return 2;
		CU_basic_run_test(s, t);
	} else {
		CU_basic_run_tests();
	}
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	wstest_exec(m, "DROP TABLE IF EXISTS stmt_t, stmt_state, stmt_shadow, wstest2.stmt_state");
	mysql_close(m);
	mysql_library_end();
	return failures ? 1 : 0;
}
