/*
 * test-routines.c — stored functions by declared data access (issue 18,
 * item 4), through libwescale on the topology: the monitor reads
 * information_schema.ROUTINES from the primary every WS_ROUTINES_EVERY (20)
 * health intervals, and a SELECT calling a function runs on a replica only
 * when the primary declares it READS SQL DATA or NO SQL. Where each read ran
 * is asserted by @@server_id in the same row and wescale_last_backend().
 *
 * replica_safe_functions adds to the server's set, primary_functions takes
 * a function away from both.
 *
 * health_interval_ms = 100: a refresh every 2 s. A function created later
 * becomes replica-eligible, and one recreated MODIFIES SQL DATA stops being
 * trusted, within that period (rounds that overrun and replication aside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

#define INTERVAL_MS 100
#define PERIOD_MS (20 * INTERVAL_MS)
/* A round lasts at least the interval (longer when a check is slow, as on a
 * loaded CI machine): a period, its overrun and replication, with slack. */
#define LIMIT_MS (2 * PERIOD_MS + 1000)

static struct wstest_env env;
static char primary_addr[64];
static long primary_id;

/* Run "SELECT <call>, @@server_id" on m: the server_id that answered, or -1. */
static long ran_on(MYSQL *m, const char *call)
{
	char q[256], buf[64];
	MYSQL_RES *res;
	MYSQL_ROW row;
	long id = -1;

	snprintf(q, sizeof(q), "SELECT %s, @@server_id", call);
	if (mysql_query(m, q) || !(res = mysql_store_result(m))) {
		printf("\n  %s: %s", q, mysql_error(m));
		return -1;
	}
	if (mysql_num_fields(res) == 2 && (row = mysql_fetch_row(res)) && row[1])
		id = strtol(row[1], NULL, 10);
	mysql_free_result(res);
	/* The library's own account of where it ran agrees with the server's. */
	if (wescale_last_backend(m, buf, sizeof(buf)) != 0 || (strcmp(buf, primary_addr) == 0) != (id == primary_id))
		return -1;
	return id;
}

static bool on_replica(MYSQL *m, const char *call)
{
	long id = ran_on(m, call);

	return id > 0 && id != primary_id;
}

static bool on_primary(MYSQL *m, const char *call)
{
	return ran_on(m, call) == primary_id;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Milliseconds until the call runs on a replica (or is sent to the primary
 * first: a write a replica refused with 1792 also ends on the primary, but
 * counted as misrouted), or -1 after limit_ms.
 */
static long until(MYSQL *m, const char *call, bool replica, long limit_ms)
{
	long t0 = now_ms();

	for (;;) {
		long t = now_ms() - t0, before = wstest_misrouted();

		if (replica ? on_replica(m, call) : on_primary(m, call) && wstest_misrouted() == before)
			return t;
		if (t > limit_ms)
			return -1;
		usleep(50 * 1000);
	}
}

static unsigned admin_exec(const char *sql)
{
	MYSQL *a = wstest_connect_admin(&env, env.primary_port);
	unsigned r;

	if (!a)
		return 1;
	r = wstest_exec(a, "USE wstest") ? 1 : wstest_exec(a, sql);
	mysql_close(a);
	return r;
}

static void test_declared_access(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* the first read of ROUTINES is at the monitor's start: one period at most */
	CU_ASSERT(until(m, "rt_ro()", true, LIMIT_MS) >= 0);
	CU_ASSERT(on_replica(m, "rt_ro()"));
	CU_ASSERT(on_replica(m, "wstest.RT_RO()"));
	CU_ASSERT(on_replica(m, "rt_nosql()"));
	CU_ASSERT(on_primary(m, "rt_rw()"));
	CU_ASSERT(on_primary(m, "rt_contains()"));
	/* replica_safe_functions adds; primary_functions wins over both */
	CU_ASSERT(on_replica(m, "rt_listed()"));
	CU_ASSERT(on_primary(m, "rt_forced()"));
	CU_ASSERT(on_primary(m, "wstest.RT_FORCED()"));
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port,
					  "/* wescale:route=primary */ SELECT COUNT(*) FROM wstest.rt_t WHERE id = 7"), 1);
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

static void test_refresh(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	long t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(admin_exec("CREATE OR REPLACE FUNCTION rt_late() RETURNS INT READS SQL DATA RETURN 2"), 0);
	t = until(m, "rt_late()", true, LIMIT_MS);
	printf("\n  created READS SQL DATA: on a replica after %ld ms", t);
	CU_ASSERT(t >= 0);
	CU_ASSERT_EQUAL_FATAL(admin_exec("CREATE OR REPLACE FUNCTION rt_late() RETURNS INT MODIFIES SQL DATA DETERMINISTIC "
					 "BEGIN REPLACE INTO rt_t VALUES (8, 'g'); RETURN 3; END"), 0);
	t = until(m, "rt_late()", false, LIMIT_MS);
	printf("\n  recreated MODIFIES SQL DATA: on the primary after %ld ms", t);
	CU_ASSERT(t >= 0);
	CU_ASSERT(on_primary(m, "rt_late()"));
	mysql_close(m);
	/* In the window the replicas' read-only sessions refused the write
	 * (1792) and it ran on the primary, counted as misrouted; it wrote once. */
	CU_ASSERT(wstest_admin_long(&env, env.primary_port,
				 "/* wescale:route=primary */ SELECT COUNT(*) FROM wstest.rt_t WHERE id = 8") >= 1);
}

/* A function declared READS SQL DATA that writes: trusted, a text SELECT of
 * it is sent to a replica, whose read-only session refuses it (1792); the
 * statement then runs on the primary, once, and the application sees its
 * answer, not the refusal. As a prepared statement (classified at prepare
 * with the functions the session trusts, as a text statement) the replica
 * refuses it already at PREPARE; it runs on the primary, once, with its
 * answer, and wescale_last_route says so. */
static void test_lying_function(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	static const char q[] = "SELECT rt_liar()";
	static const char count[] = "/* wescale:route=primary */ SELECT v FROM wstest.rt_t WHERE id = 9";
	long t0 = now_ms(), before = 0, calls;
	MYSQL_STMT *st;
	MYSQL_BIND r;
	int one = 0;
	char buf[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(admin_exec("REPLACE INTO rt_t VALUES (9, '0')"), 0);
	CU_ASSERT_EQUAL_FATAL(admin_exec("CREATE OR REPLACE FUNCTION rt_liar() RETURNS INT READS SQL DATA "
					 "BEGIN UPDATE rt_t SET v = v + 1 WHERE id = 9; RETURN 1; END"),
			      0);
	/* Until the monitor has read its declaration: then a replica refuses it. */
	for (calls = 0;; calls++) {
		before = wstest_misrouted();
		CU_ASSERT_EQUAL_FATAL(wstest_query_long(m, q), 1);
		if (wstest_misrouted() > before || now_ms() - t0 > LIMIT_MS)
			break;
	}
	calls++;
	CU_ASSERT(wstest_misrouted() > before);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, count), calls); /* once a call */
	/* Prepared. */
	st = mysql_stmt_init(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, sizeof(q) - 1), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	memset(&r, 0, sizeof(r));
	r.buffer_type = MYSQL_TYPE_LONG;
	r.buffer = &one;
	CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, &r), 0);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(one, 1);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_NO_DATA);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, primary_addr);
	CU_ASSERT_EQUAL(wescale_last_route(m, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(strncmp(buf, "primary", 7), 0);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, count), calls + 1);
	mysql_stmt_close(st);
	/* Inside a transaction begun on a replica (autocommit off: the first
	 * read starts it there): the refusal moves it to the primary, its
	 * read verified, and the call runs there once; COMMIT commits it. */
	CU_ASSERT_EQUAL_FATAL(mysql_autocommit(m, 0), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM rt_t WHERE id = 9 AND v >= 0"), 1);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(buf, primary_addr);
	before = wstest_misrouted();
	CU_ASSERT_EQUAL(wstest_query_long(m, q), 1);
	CU_ASSERT(wstest_misrouted() > before);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, primary_addr);
	CU_ASSERT_EQUAL(mysql_commit(m), 0);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, count), calls + 2);
	/* The same with the call prepared (a first read of another shape: the
	 * one above has been seen writing). */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM rt_t WHERE v >= 0 AND id = 9"), 1);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_NOT_EQUAL(buf, primary_addr);
	st = mysql_stmt_init(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, sizeof(q) - 1), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, &r), 0);
	one = 0;
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(one, 1);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_NO_DATA);
	mysql_stmt_close(st);
	CU_ASSERT_EQUAL(mysql_commit(m), 0);
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, count), calls + 3);
	mysql_close(m);
}

/* The suite's clean-up: what the tests created. */
static int drop_all(void)
{
	return admin_exec("DROP TABLE IF EXISTS rt_t") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_ro") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_nosql") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_contains") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_rw") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_listed") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_forced") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_late") |
	       admin_exec("DROP FUNCTION IF EXISTS rt_liar");
}

int main(void)
{
	CU_pSuite s;

	if (!wstest_env_load(&env))
		return 1;
	snprintf(primary_addr, sizeof(primary_addr), "127.0.0.1:%u", env.primary_port);
	if (!wstest_write_config(&env, "routines.conf",
				 "[cluster routines]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
				 "load_balance = round_robin\nhealth_interval_ms = %d\n"
				 "replica_safe_functions = rt_listed, rt_forced\nprimary_functions = wstest.rt_forced\n",
				 env.primary_port, env.replica_port[0], env.replica_port[1], INTERVAL_MS))
		return 1;
	/* (after the configuration is named: the library reads it once) */
	primary_id = wstest_admin_long(&env, env.primary_port, "SELECT /* wescale:route=primary */ @@server_id");
	if (primary_id <= 0 || admin_exec("DROP FUNCTION IF EXISTS rt_late") ||
	    admin_exec("CREATE OR REPLACE TABLE rt_t (id INT PRIMARY KEY, v VARCHAR(64))") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_ro() RETURNS INT READS SQL DATA "
		       "RETURN (SELECT COUNT(*) FROM rt_t)") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_nosql() RETURNS INT NO SQL DETERMINISTIC RETURN 1") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_contains() RETURNS INT CONTAINS SQL DETERMINISTIC RETURN 1") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_listed() RETURNS INT CONTAINS SQL DETERMINISTIC RETURN 1") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_forced() RETURNS INT READS SQL DATA RETURN 1") ||
	    admin_exec("CREATE OR REPLACE FUNCTION rt_rw() RETURNS INT MODIFIES SQL DATA DETERMINISTIC "
		       "BEGIN REPLACE INTO rt_t VALUES (7, 'f'); RETURN 1; END")) {
		printf("set-up failed\n");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("routines", NULL, drop_all);
	CU_add_test(s, "READS SQL DATA / NO SQL on a replica, the others on the primary", test_declared_access);
	CU_add_test(s, "created and recreated functions within the refresh period", test_refresh);
	CU_add_test(s, "a function that writes though declared READS SQL DATA", test_lying_function);
	return wstest_cunit_run();
}
