/*
 * test-trx.c — transactions on replicas (issue 20, optimistic_transactions):
 * autocommit-off and BEGIN transactions that only read run on replicas; the
 * first write moves a transaction to the primary with its reads verified; a
 * read that changed in between fails it with ER_LOCK_DEADLOCK and nothing is
 * committed; a replica connection lost mid-transaction moves it to the
 * primary; every acknowledged write is on the primary; hints, READ ONLY /
 * READ WRITE, assume_write_transactions and session state still go where they
 * must. The topology's configuration leaves optimistic_transactions at its
 * default (adaptive). Adaptive learns per shape of a transaction's first
 * statement (BEGIN included) whether such transactions write: each test that
 * expects a transaction to start on a replica begins it with a shape that has
 * not been seen writing (BEGIN, BEGIN WORK, START TRANSACTION, … differ).
 *
 * Where a statement ran is asked with wescale_last_backend(): the statements
 * of a transaction that may move must read table data only (@@server_id
 * differs between nodes, so a transaction that read it could never move).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char primary_addr[64];

static MYSQL *fresh(void)
{
	MYSQL *h = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

/* Did the primary run h's last statement? */
static bool on_primary(MYSQL *h)
{
	char buf[128];

	CU_ASSERT_EQUAL(wescale_last_backend(h, buf, sizeof(buf)), 0);
	return strcmp(buf, primary_addr) == 0;
}

/* v of row id, through h (which records where it ran); -1 on error. */
static long read_v(MYSQL *h, int id)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT v FROM trx_t WHERE id = %d", id);
	return wstest_query_long(h, sql);
}

/* v of row id on the primary, read through an admin connection (the hint:
 * this program is linked with libwescale). */
static long primary_v(int id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "/* wescale:route=primary */ SELECT v FROM %s.trx_t WHERE id = %d", env.db, id);
	return wstest_admin_long(&env, env.primary_port, sql);
}

/* Start a transaction on h: the implicit one of autocommit off (ac_off), or
 * with the statement begin. */
static void start_trx(MYSQL *h, bool ac_off, const char *begin)
{
	CU_ASSERT_EQUAL(ac_off ? mysql_autocommit(h, 0) : (int)wstest_exec(h, begin), 0);
}

/* h runs sql, which answers one string: is it want? */
static bool answers(MYSQL *h, const char *sql, const char *want)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok;

	if (mysql_query(h, sql) || !(res = mysql_store_result(h)))
		return false;
	row = mysql_fetch_row(res);
	ok = row && row[0] && strcmp(row[0], want) == 0;
	mysql_free_result(res);
	return ok;
}

/* The test table, on every node (before the tests: no CUnit asserts). */
static bool setup_table(void)
{
	MYSQL *h = wstest_connect(&env, env.primary_port, env.db);
	bool ok = h && wstest_exec(h, "DROP TABLE IF EXISTS trx_t") == 0 &&
		  wstest_exec(h, "CREATE TABLE trx_t (id INT PRIMARY KEY, v INT, w INT) ENGINE=InnoDB") == 0 &&
		  wstest_exec(h, "INSERT INTO trx_t VALUES (1,10,0),(2,20,0),(3,30,0),(4,40,0),(5,50,0),"
				 "(6,60,0),(7,70,0),(8,80,0)") == 0 &&
		  wstest_sync_replicas(&env);

	if (h)
		mysql_close(h);
	return ok;
}

/* An autocommit-off session doing read-mostly work: reads of transactions
 * that only read run on replicas; a transaction that writes moves to the
 * primary (its earlier read verified) and reads its own write there; the next
 * transaction's read sees the committed value (session consistency); every
 * acknowledged write is on the primary. */
static void test_autocommit_off_read_mostly(void)
{
	MYSQL *h = fresh();
	long expect[9];
	unsigned reads = 0, on_replica = 0, stale = 0, writes = 0;

	for (int i = 1; i <= 8; i++)
		expect[i] = i * 10;
	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
	for (int i = 0; i < 400; i++) {
		int id = 1 + i % 8;
		long v = read_v(h, id);

		reads++;
		on_replica += !on_primary(h);
		stale += v != expect[id];
		if (i % 20 == 7) {
			char sql[96];

			snprintf(sql, sizeof(sql), "UPDATE trx_t SET v = v + 1 WHERE id = %d", id);
			CU_ASSERT_EQUAL(wstest_exec(h, sql), 0);
			CU_ASSERT(on_primary(h));
			v = read_v(h, id); /* its own write, inside the transaction */
			reads++;
			CU_ASSERT(on_primary(h));
			CU_ASSERT_EQUAL(v, expect[id] + 1);
			if (mysql_commit(h) == 0) {
				expect[id]++;
				writes++;
			}
		} else {
			CU_ASSERT_EQUAL(mysql_commit(h), 0);
		}
	}
	printf("\n    autocommit off: %u of %u reads on replicas (%.1f %%), %u stale, %u writes acknowledged ",
	       on_replica, reads, 100.0 * on_replica / reads, stale, writes);
	CU_ASSERT_EQUAL(stale, 0);
	CU_ASSERT(on_replica * 10 >= reads * 9);
	CU_ASSERT_EQUAL(writes, 20);
	for (int id = 1; id <= 8; id++)
		CU_ASSERT_EQUAL(primary_v(id), expect[id]);
	mysql_close(h);
}

/* BEGIN, reads on a replica, a write: the transaction moves, the primary
 * holds it from then on, its reads verified; COMMIT commits it there. */
static void test_migration_verified(void)
{
	MYSQL *h = fresh();
	long v1, n;
	char stats[1 << 16];

	CU_ASSERT_EQUAL(wstest_exec(h, "BEGIN"), 0);
	v1 = read_v(h, 1);
	CU_ASSERT(!on_primary(h));
	n = wstest_query_long(h, "SELECT COUNT(*) FROM trx_t WHERE v > 0");
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(wstest_exec(h, "UPDATE trx_t SET v = v + 5 WHERE id = 1"), 0);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(read_v(h, 1), v1 + 5);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(primary_v(1), v1); /* not committed yet */
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	CU_ASSERT_EQUAL(primary_v(1), v1 + 5);
	/* The next read sees it (session consistency), on a replica. */
	CU_ASSERT_EQUAL(read_v(h, 1), v1 + 5);
	CU_ASSERT(!on_primary(h));
	/* The stats JSON shows the move and the shape table. */
	CU_ASSERT(wescale_stats_json(stats, sizeof(stats)) < sizeof(stats));
	CU_ASSERT_PTR_NOT_NULL(strstr(stats, "\"optimistic_transactions\":{\"migrations\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(stats, "\"shape\":\"BEGIN\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(stats, "\"started_on_primary\":"));
	mysql_close(h);
}

/* The row a transaction read on a replica is changed by another connection
 * before the transaction's first write: the move finds the difference, the
 * transaction fails with ER_LOCK_DEADLOCK (SQLSTATE 40001) and nothing of it
 * is committed; the other connection's write stays. Both with BEGIN and with
 * autocommit off. */
static void test_changed_row_fails_cleanly(void)
{
	for (int ac_off = 0; ac_off < 2; ac_off++) {
		MYSQL *h = fresh(), *other = fresh();
		long v2 = primary_v(2), w3 = wstest_admin_long(&env, env.primary_port, "/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 3");

		start_trx(h, ac_off, "START TRANSACTION");
		CU_ASSERT_EQUAL(read_v(h, 2), v2);
		CU_ASSERT(!on_primary(h));
		CU_ASSERT_EQUAL(wstest_exec(other, "UPDATE trx_t SET v = v + 100 WHERE id = 2"), 0);
		CU_ASSERT_EQUAL(mysql_query(h, "UPDATE trx_t SET w = w + 1 WHERE id = 3"), 1);
		CU_ASSERT_EQUAL(mysql_errno(h), ER_LOCK_DEADLOCK);
		CU_ASSERT_STRING_EQUAL(mysql_sqlstate(h), "40001");
		CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(h), "could not move to the primary"));
		/* What an application does after a deadlock: roll back, retry. */
		CU_ASSERT_EQUAL(mysql_rollback(h), 0);
		CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, "/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 3"), w3);
		CU_ASSERT_EQUAL(primary_v(2), v2 + 100);
		/* The retry sees the new value and commits. */
		CU_ASSERT(wstest_sync_replicas(&env));
		if (!ac_off) {
			CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION"), 0);
		}
		CU_ASSERT_EQUAL(read_v(h, 2), v2 + 100);
		CU_ASSERT_EQUAL(wstest_exec(h, "UPDATE trx_t SET w = w + 1 WHERE id = 3"), 0);
		CU_ASSERT_EQUAL(mysql_commit(h), 0);
		CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, "/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 3"),
				w3 + 1);
		mysql_close(h);
		mysql_close(other);
	}
}

/* The same through the non-blocking API and a prepared statement: the move
 * fails the call (1213), nothing is committed. */
static void test_changed_row_other_apis(void)
{
	for (int api = 0; api < 2; api++) {
		MYSQL *h = mysql_init(NULL), *other = fresh();
		long v2 = primary_v(2), w3;
		char sql[128];

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		mysql_options(h, MYSQL_OPT_NONBLOCK, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(h, "127.0.0.1", env.user, env.password, env.db,
								env.primary_port, NULL, 0));
		snprintf(sql, sizeof(sql), "/* wescale:route=primary */ SELECT w FROM %s.trx_t WHERE id = 3", env.db);
		w3 = wstest_admin_long(&env, env.primary_port, sql);
		/* The previous round's update came from another handle: session
		 * consistency does not wait for it, so the replicas must have it
		 * before this handle's first read is compared with the primary. */
		CU_ASSERT(wstest_sync_replicas(&env));
		CU_ASSERT_EQUAL(mysql_autocommit(h, 0), 0);
		CU_ASSERT_EQUAL(read_v(h, 2), v2);
		CU_ASSERT(!on_primary(h));
		CU_ASSERT_EQUAL(wstest_exec(other, "UPDATE trx_t SET v = v + 1 WHERE id = 2"), 0);
		if (api == 0) {
			static const char upd[] = "UPDATE trx_t SET w = w + 1 WHERE id = 3";
			int ret = 0, status = mysql_real_query_start(&ret, h, upd, sizeof(upd) - 1);

			CU_ASSERT_EQUAL(status, 0);
			CU_ASSERT_NOT_EQUAL(ret, 0);
			CU_ASSERT_EQUAL(mysql_errno(h), ER_LOCK_DEADLOCK);
		} else {
			static const char upd[] = "UPDATE trx_t SET w = w + 1 WHERE id = 3";
			MYSQL_STMT *st = mysql_stmt_init(h);

			CU_ASSERT_PTR_NOT_NULL_FATAL(st);
			CU_ASSERT_EQUAL(mysql_stmt_prepare(st, upd, sizeof(upd) - 1), 0);
			CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st), 0);
			CU_ASSERT_EQUAL(mysql_stmt_errno(st), ER_LOCK_DEADLOCK);
			mysql_stmt_close(st);
		}
		CU_ASSERT_EQUAL(mysql_rollback(h), 0);
		CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, sql), w3);
		mysql_close(h);
		mysql_close(other);
	}
}

/* One row of a prepared statement that answers two integers (or one: b NULL). */
static bool stmt_row(MYSQL_STMT *st, long *a, long *b)
{
	MYSQL_BIND r[2];
	int x[2] = { -1, -1 };
	bool ok;

	memset(r, 0, sizeof(r));
	r[0].buffer_type = r[1].buffer_type = MYSQL_TYPE_LONG;
	r[0].buffer = &x[0];
	r[1].buffer = &x[1];
	ok = mysql_stmt_bind_result(st, r) == 0 && mysql_stmt_fetch(st) == 0 &&
	     mysql_stmt_fetch(st) == MYSQL_NO_DATA && mysql_stmt_free_result(st) == 0;
	*a = x[0];
	if (b)
		*b = x[1];
	return ok;
}

/* Bind st's one parameter to the string in buf (size bytes), its length in *len. */
static int bind_string(MYSQL_STMT *st, char *buf, size_t size, unsigned long *len)
{
	MYSQL_BIND p;

	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_STRING;
	p.buffer = buf;
	p.buffer_length = size;
	p.length = len;
	return mysql_stmt_bind_param(st, &p);
}

/* Prepared reads in a transaction on a replica (autocommit off: the first one
 * starts it; a parameter changed in place without rebinding; an integer and a
 * string parameter; one result stored, one not): the move at the first write
 * runs them again on the replica's snapshot and on the primary. Unchanged
 * rows: the move succeeds, the write commits. A row changed in between: 1213,
 * nothing committed. (Each round's first statement has a shape of its own:
 * adaptive learns that the first one wrote.) */
static void test_prepared_reads_verified(void)
{
	for (int changed = 0; changed < 2; changed++) {
		MYSQL *h = fresh(), *other = fresh();
		const char *sel = changed ? "SELECT v, w FROM trx_t WHERE id = ? AND w > -1"
					  : "SELECT v, w FROM trx_t WHERE id = ? AND w >= 0";
		static const char cnt[] = "SELECT COUNT(*) FROM trx_t WHERE CAST(id AS CHAR) = ?";
		MYSQL_STMT *st = mysql_stmt_init(h), *st2 = mysql_stmt_init(h);
		MYSQL_BIND p;
		int id = 2;
		long v, w, n, w4 = wstest_admin_long(&env, env.primary_port,
			"/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 4");
		char idtext[8] = "3";
		unsigned long idlen = 1;
		int r;

		CU_ASSERT_PTR_NOT_NULL_FATAL(st);
		CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
		CU_ASSERT(wstest_sync_replicas(&env));
		CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, sel, strlen(sel)), 0);
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st2, cnt, sizeof(cnt) - 1), 0);
		memset(&p, 0, sizeof(p));
		p.buffer_type = MYSQL_TYPE_LONG;
		p.buffer = &id;
		CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, &p), 0);
		CU_ASSERT_EQUAL(bind_string(st2, idtext, sizeof(idtext), &idlen), 0);
		CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
		CU_ASSERT(!on_primary(h));
		CU_ASSERT(stmt_row(st, &v, &w));
		CU_ASSERT_EQUAL(v, primary_v(2));
		id = 3; /* in place, no new bind */
		CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
		CU_ASSERT(!on_primary(h));
		CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
		CU_ASSERT(stmt_row(st, &v, &w));
		CU_ASSERT_EQUAL(v, primary_v(3));
		CU_ASSERT_EQUAL(mysql_stmt_execute(st2), 0);
		CU_ASSERT(!on_primary(h));
		CU_ASSERT(stmt_row(st2, &n, NULL));
		CU_ASSERT_EQUAL(n, 1);
		if (changed)
			CU_ASSERT_EQUAL(wstest_exec(other, "UPDATE trx_t SET v = v + 1 WHERE id = 3"), 0);
		r = mysql_query(h, "UPDATE trx_t SET w = w + 1 WHERE id = 4");
		if (!changed) {
			CU_ASSERT_EQUAL(r, 0);
			CU_ASSERT(on_primary(h));
			/* The statements go on, on the primary now. */
			id = 2;
			CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
			CU_ASSERT(stmt_row(st, &v, &w));
			CU_ASSERT_EQUAL(v, primary_v(2));
			CU_ASSERT_EQUAL(mysql_commit(h), 0);
			CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port,
				"/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 4"), w4 + 1);
		} else {
			CU_ASSERT_EQUAL(r, 1);
			CU_ASSERT_EQUAL(mysql_errno(h), ER_LOCK_DEADLOCK);
			CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(h), "could not move to the primary"));
			CU_ASSERT_EQUAL(mysql_rollback(h), 0);
			CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port,
				"/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 4"), w4);
		}
		mysql_stmt_close(st);
		mysql_stmt_close(st2);
		mysql_close(h);
		mysql_close(other);
	}
}

/* The parameters are recorded as the client library sent them: a string
 * whose length is (unsigned long)-1 is sent up to its NUL. Unchanged rows:
 * the move verifies and the write commits. */
static void test_prepared_params_as_sent(void)
{
	MYSQL *h = fresh();
	static const char q[] = "SELECT COUNT(*) FROM trx_t WHERE CAST(id AS CHAR) = ? AND w >= -5";
	MYSQL_STMT *st = mysql_stmt_init(h);
	char text[8] = "3";
	unsigned long nts = (unsigned long)-1;
	long n, w5 = wstest_admin_long(&env, env.primary_port,
				       "/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 5");

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT(wstest_sync_replicas(&env));
	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, sizeof(q) - 1), 0);
	CU_ASSERT_EQUAL(bind_string(st, text, sizeof(text), &nts), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT(!on_primary(h));
	CU_ASSERT(stmt_row(st, &n, NULL));
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(mysql_query(h, "UPDATE trx_t SET w = w + 1 WHERE id = 5"), 0);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port,
					  "/* wescale:route=primary */ SELECT w FROM wstest.trx_t WHERE id = 5"), w5 + 1);
	mysql_stmt_close(st);
	mysql_close(h);
}

/* Kill every connection of the application user on the replicas. */
static void kill_replica_connections(void)
{
	for (unsigned r = 0; r < env.n_replicas; r++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[r]);
		MYSQL_RES *res;
		MYSQL_ROW row;
		char sql[96];

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		snprintf(sql, sizeof(sql), "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '%s'", env.user);
		CU_ASSERT_EQUAL_FATAL(mysql_query(a, sql), 0);
		res = mysql_store_result(a);
		while (res && (row = mysql_fetch_row(res))) {
			snprintf(sql, sizeof(sql), "KILL CONNECTION %s", row[0]);
			mysql_query(a, sql);
		}
		mysql_free_result(res);
		mysql_close(a);
	}
}

/* The replica holding a transaction is lost mid-transaction (its connection
 * killed): the transaction moves to the primary, its reads verified, and goes
 * on without an error; its write is committed there. */
static void test_replica_lost_mid_transaction(void)
{
	for (int ac_off = 0; ac_off < 2; ac_off++) {
		MYSQL *h = fresh();
		long v4 = primary_v(4);

		start_trx(h, ac_off, "BEGIN WORK");
		CU_ASSERT_EQUAL(read_v(h, 4), v4);
		CU_ASSERT(!on_primary(h));
		kill_replica_connections();
		CU_ASSERT_EQUAL(read_v(h, 5), primary_v(5));
		CU_ASSERT(on_primary(h));
		CU_ASSERT_EQUAL(wstest_exec(h, "UPDATE trx_t SET v = v + 1 WHERE id = 4"), 0);
		CU_ASSERT_EQUAL(mysql_commit(h), 0);
		CU_ASSERT_EQUAL(primary_v(4), v4 + 1);
		mysql_close(h);
	}
	/* A transaction that only read: its COMMIT after the loss is harmless. */
	{
		MYSQL *h = fresh();

		CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION WITH CONSISTENT SNAPSHOT"), 0);
		CU_ASSERT_EQUAL(read_v(h, 6), primary_v(6));
		CU_ASSERT(!on_primary(h));
		kill_replica_connections();
		CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
		CU_ASSERT_EQUAL(read_v(h, 6), primary_v(6));
		mysql_close(h);
	}
}

/* Hints, wescale_route_next, READ ONLY, READ WRITE, assume_write in an
 * autocommit-off session. */
static void test_where_transactions_start(void)
{
	MYSQL *h = fresh();

	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
	/* A hint or wescale_route_next for the primary: the transaction starts there. */
	CU_ASSERT_EQUAL(wstest_query_long(h, "/* wescale:route=primary */ SELECT v FROM trx_t WHERE id = 7"), primary_v(7));
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(read_v(h, 7), primary_v(7));
	CU_ASSERT(on_primary(h)); /* the rest of it too */
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	CU_ASSERT_EQUAL(wescale_route_next(h, WESCALE_ROUTE_PRIMARY), 0);
	read_v(h, 7);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	/* wescale_route_next for a replica works too. */
	CU_ASSERT_EQUAL(wescale_route_next(h, WESCALE_ROUTE_REPLICA), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM trx_t WHERE id = 7 AND v = COALESCE(v, 0)"), 1);
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	/* START TRANSACTION READ ONLY: a replica, autocommit off or on. */
	CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION READ ONLY"), 0);
	read_v(h, 7);
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	/* READ WRITE: the primary. */
	CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION READ WRITE"), 0);
	read_v(h, 7);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET TRANSACTION READ WRITE"), 0);
	read_v(h, 7);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	read_v(h, 7); /* SET TRANSACTION is for one transaction */
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	/* assume_write_transactions, per handle. */
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(h, 1), 0);
	read_v(h, 7);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(h, -1), 0);
	read_v(h, 7);
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(mysql_commit(h), 0);
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(h, 2), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_assume_write_transactions(NULL, 1), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(mysql_autocommit(h, 1), 0);
	mysql_close(h);
}

/* Session state changed inside a transaction moves it to the primary first
 * (where the change is made) and reaches the replicas before their next
 * statement; a user variable too. */
static void test_state_inside_transaction(void)
{
	MYSQL *h = fresh();

	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
	read_v(h, 8);
	CU_ASSERT(!on_primary(h));
	CU_ASSERT_EQUAL(wstest_exec(h, "SET NAMES latin1"), 0);
	CU_ASSERT(on_primary(h));
	CU_ASSERT(answers(h, "SELECT @@character_set_client FROM trx_t WHERE id = 8", "latin1"));
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	/* The next transaction, on a replica, in latin1 too. */
	CU_ASSERT(answers(h, "SELECT @@character_set_client FROM trx_t WHERE id = 8", "latin1"));
	CU_ASSERT(!on_primary(h));
	/* A user variable: the transaction moves, the variable lives on the primary. */
	CU_ASSERT_EQUAL(wstest_exec(h, "SET @x = 42"), 0);
	CU_ASSERT(on_primary(h));
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @x"), 42);
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET NAMES utf8mb4"), 0);
	mysql_close(h);
}

/* optimistic_transactions = adaptive: a shape of transaction that writes is
 * learned; the next ones start on the primary (no move). */
static void test_adaptive_learns(void)
{
	MYSQL *h = fresh();
	char route[256];

	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(h, 0), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT w FROM trx_t WHERE id = 8 AND v > 0") >= 0, 1);
		wescale_last_route(h, route, sizeof(route));
		if (i == 0) {
			CU_ASSERT(!on_primary(h));
		} else {
			CU_ASSERT(on_primary(h));
			CU_ASSERT_PTR_NOT_NULL(strstr(route, "adaptive"));
		}
		CU_ASSERT_EQUAL(wstest_exec(h, "UPDATE trx_t SET w = w + 1 WHERE id = 8"), 0);
		CU_ASSERT_EQUAL(mysql_commit(h), 0);
	}
	mysql_close(h);
}

int main(void)
{
	CU_pSuite s;

	if (!wstest_env_load(&env))
		return 1;
	setenv("WESCALE_CONFIG", env.config, 1);
	snprintf(primary_addr, sizeof(primary_addr), "127.0.0.1:%u", env.primary_port);
	if (!setup_table())
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("transactions on replicas", NULL, NULL);
	CU_add_test(s, "autocommit off, read-mostly: reads on replicas, none stale", test_autocommit_off_read_mostly);
	CU_add_test(s, "a write moves the transaction, reads verified", test_migration_verified);
	CU_add_test(s, "a changed row fails the move cleanly (1213)", test_changed_row_fails_cleanly);
	CU_add_test(s, "the same through the non-blocking and prepared APIs", test_changed_row_other_apis);
	CU_add_test(s, "prepared reads: the move runs them again on both sides", test_prepared_reads_verified);
	CU_add_test(s, "prepared reads: parameters as the client library sent them", test_prepared_params_as_sent);
	CU_add_test(s, "a replica lost mid-transaction", test_replica_lost_mid_transaction);
	CU_add_test(s, "hints, route_next, READ ONLY/WRITE, assume_write", test_where_transactions_start);
	CU_add_test(s, "session state inside a transaction", test_state_inside_transaction);
	CU_add_test(s, "adaptive: write transactions start on the primary", test_adaptive_learns);
	return wstest_cunit_run();
}
