/*
 * test-lexenv.c — issue 18 end to end, through libwescale on the topology:
 * the classifier lexes as the server does for the session's character set and
 * sql_mode (known from the first statement on), a hint cannot move a write,
 * and a SELECT calling a stored function runs on a replica only when the
 * cluster's replica_safe_functions lists it. Where each statement ran is
 * asserted by wescale_last_backend() and by what the servers hold.
 *
 * The text-level exploits are run as the SUPER admin user (whom read_only
 * does not stop), with multi-statements on: on a replica they would execute.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char primary_addr[64];

/* Did the last statement on m run on the primary? */
static bool on_primary(MYSQL *m)
{
	char buf[64];

	return wescale_last_backend(m, buf, sizeof(buf)) == 0 && strcmp(buf, primary_addr) == 0;
}

static bool on_replica(MYSQL *m)
{
	char buf[64];

	return wescale_last_backend(m, buf, sizeof(buf)) == 0 && strcmp(buf, primary_addr) != 0;
}

static MYSQL *admin(const char *charset)
{
	MYSQL *m = mysql_init(NULL);

	if (!m)
		return NULL;
	if (charset)
		mysql_options(m, MYSQL_SET_CHARSET_NAME, charset);
	if (!mysql_real_connect(m, "127.0.0.1", env.admin_user, env.admin_password, env.db, env.primary_port, NULL,
				CLIENT_MULTI_STATEMENTS)) {
		printf("\n  connect: %s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* Run a text of raw bytes; drain every result. 0 or the error number. */
static unsigned run(MYSQL *m, const char *q, size_t n)
{
	if (mysql_real_query(m, q, (unsigned long)n))
		return mysql_errno(m);
	for (;;) {
		MYSQL_RES *res = mysql_store_result(m);
		int st;

		if (res)
			mysql_free_result(res);
		st = mysql_next_result(m);
		if (st > 0)
			return mysql_errno(m);
		if (st < 0)
			return 0;
	}
}

#define RUN(m, lit) run(m, lit, sizeof(lit) - 1)

enum { PRIMARY, REPLICA };

/* The text ran without error, on the primary or on a replica. */
static bool runs_on(MYSQL *m, const char *sql, int where)
{
	if (run(m, sql, strlen(sql)) != 0)
		return false;
	return where == PRIMARY ? on_primary(m) : on_replica(m);
}

static long rows_on(unsigned port, const char *where)
{
	char q[256];

	/* The primary's port is the cluster's: the hint keeps it there. */
	snprintf(q, sizeof(q), "SELECT /* wescale:route=primary */ COUNT(*) FROM %s.lexenv_t WHERE %s", env.db, where);
	return wstest_admin_long(&env, port, q);
}

static void reset_table(void)
{
	MYSQL *m = wstest_connect_admin(&env, env.primary_port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(wstest_exec(m, "USE wstest"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "CREATE OR REPLACE TABLE lexenv_t (id INT PRIMARY KEY, v VARCHAR(64)) "
				       "ENGINE=InnoDB"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO lexenv_t VALUES (1, 'a'), (2, 'b'), (3, 'c')"), 0);
	mysql_close(m);
	CU_ASSERT(wstest_sync_replicas(&env));
}

/* The row is gone everywhere, by replication: replication still runs (a
 * DELETE run on a replica too would stop it at the primary's event). */
static void check_deleted_on_primary_only_once(void)
{
	CU_ASSERT(wstest_sync_replicas(&env));
	CU_ASSERT_EQUAL(rows_on(env.primary_port, "id = 3"), 0);
	for (unsigned i = 0; i < env.n_replicas; i++)
		CU_ASSERT_EQUAL(rows_on(env.replica_port[i], "id = 3"), 0); /* replicated, not run there */
}

/* "--" + a space or control byte of the character set is a comment. */
static void test_dash_comments(void)
{
	static const char del[] = "SELECT 1 --\x7f'\n; DELETE FROM lexenv_t WHERE id=3; -- '";
	static const char nbsp[] = "SELECT 1 --\xa0'\n; DELETE FROM lexenv_t WHERE id=3; -- '";
	MYSQL *m;

	reset_table();
	m = admin(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(runs_on(m, del, PRIMARY));
	check_deleted_on_primary_only_once();
	mysql_close(m);

	/* latin1 from the connect options: known from the first statement on. */
	reset_table();
	m = admin("latin1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(runs_on(m, nbsp, PRIMARY));
	check_deleted_on_primary_only_once();
	/* A plain read still goes to a replica in that session. */
	CU_ASSERT(runs_on(m, "SELECT v FROM lexenv_t WHERE id = 1", REPLICA));
	mysql_close(m);

	/* SET NAMES during the session. */
	reset_table();
	m = admin(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(RUN(m, "SET NAMES latin1"), 0);
	CU_ASSERT(runs_on(m, nbsp, PRIMARY));
	check_deleted_on_primary_only_once();
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

/* latin1: a run of NBSPs between a name and '(' hides nothing. */
static void test_nbsp_runs(void)
{
	MYSQL *m = admin("latin1");

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(runs_on(m, "SELECT GET_LOCK\xa0\xa0('lexenv', 0)", PRIMARY));
	CU_ASSERT_EQUAL(wstest_admin_long(&env, env.primary_port, "SELECT IS_USED_LOCK('lexenv') IS NOT NULL"), 1);
	CU_ASSERT(runs_on(m, "SELECT v\xa0INTO\xa0@x FROM lexenv_t WHERE id = 1", PRIMARY));
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

/* NO_BACKSLASH_ESCAPES (carried to the replicas): a second value that looks
 * like a hint in the other reading is no hint. */
static void test_forged_hint(void)
{
	static const char forged[] = "UPDATE lexenv_t SET v=CONCAT('x\\', '/*ms=slave*/') WHERE id=1";
	MYSQL *m;

	reset_table();
	m = admin(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(RUN(m, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"), 0);
	CU_ASSERT(runs_on(m, forged, PRIMARY));
	CU_ASSERT(wstest_sync_replicas(&env));
	CU_ASSERT_EQUAL(rows_on(env.primary_port, "id = 1 AND v = 'x\\\\/*ms=slave*/'"), 1);
	for (unsigned i = 0; i < env.n_replicas; i++)
		CU_ASSERT_EQUAL(rows_on(env.replica_port[i], "id = 1 AND v = 'x\\\\/*ms=slave*/'"), 1);
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

/* A prepared statement is lexed as the server parses it at PREPARE: under
 * NO_BACKSLASH_ESCAPES the text below sets @lx (the string ends at the
 * backslash); read the other way it is one string. It must run where the
 * next statement reads @lx. */
static void test_prepared_lexed_as_server(void)
{
	static const char q[] = "SELECT 'a\\' INTO @lx -- '";
	MYSQL *m = admin(NULL);
	MYSQL_STMT *st;
	MYSQL_RES *res;
	MYSQL_ROW row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(RUN(m, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"), 0);
	st = mysql_stmt_init(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, sizeof(q) - 1), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	mysql_stmt_close(st);
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @lx"), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	row = mysql_fetch_row(res);
	CU_ASSERT(row && row[0] && strcmp(row[0], "a\\") == 0);
	mysql_free_result(res);
	mysql_close(m);
}

/* A replica hint, a forced route: only for what may run on a replica. */
static void test_hints_only_safer(void)
{
	MYSQL *m;

	reset_table();
	m = admin(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(runs_on(m, "/* wescale:route=replica */ DELETE FROM lexenv_t WHERE id = 3", PRIMARY));
	check_deleted_on_primary_only_once();
	CU_ASSERT(runs_on(m, "/*ms=slave*/ SELECT v FROM lexenv_t WHERE id = 1 FOR UPDATE", PRIMARY));
	CU_ASSERT(runs_on(m, "/*ms=slave*/ SELECT NEXTVAL(lexenv_s)", PRIMARY));
	CU_ASSERT_EQUAL(wescale_route_next(m, WESCALE_ROUTE_REPLICA), 0);
	CU_ASSERT(runs_on(m, "UPDATE lexenv_t SET v = 'n' WHERE id = 2", PRIMARY));
	CU_ASSERT(runs_on(m, "/* wescale:route=replica */ SELECT 1; UPDATE lexenv_t SET v = 'm' WHERE id = 2", PRIMARY));
	/* What a hint is for: SHOW … on a replica. */
	CU_ASSERT(runs_on(m, "/* wescale:route=replica */ SHOW SLAVE STATUS", REPLICA));
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

/* SELECT f(): a replica only for the listed READS SQL DATA functions. */
static void test_stored_functions(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(runs_on(m, "SELECT lexenv_ro(), @@server_id", REPLICA));
	CU_ASSERT(runs_on(m, "SELECT wstest.lexenv_ro()", REPLICA));
	CU_ASSERT(runs_on(m, "SELECT lexenv_unlisted()", PRIMARY));
	CU_ASSERT(runs_on(m, "SELECT lexenv_rw()", PRIMARY));
	CU_ASSERT_EQUAL(rows_on(env.primary_port, "id = 7"), 1);
	/* The application vouches for it: a hint may move it. */
	CU_ASSERT(runs_on(m, "/* wescale:route=replica */ SELECT lexenv_unlisted()", REPLICA));
	mysql_close(m);
	CU_ASSERT_EQUAL(wstest_misrouted(), 0);
}

static bool write_config(char *path, size_t cap)
{
	FILE *in = fopen(env.config, "r"), *out;
	char line[512];

	snprintf(path, cap, "/tmp/wescale-lexenv-%d.conf", (int)getpid());
	if (!in || !(out = fopen(path, "w"))) {
		if (in)
			fclose(in);
		return false;
	}
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	/* the topology's file ends with its [cluster] section */
	fputs("replica_safe_functions = lexenv_ro, other_db.lexenv_unlisted\n", out);
	fclose(in);
	return fclose(out) == 0;
}

int main(void)
{
	char path[256];
	CU_pSuite s;
	unsigned failures;
	MYSQL *a;

	if (!wstest_env_load(&env))
		return 1;
	snprintf(primary_addr, sizeof(primary_addr), "127.0.0.1:%u", env.primary_port);
	if (!write_config(path, sizeof(path))) {
		printf("cannot write a configuration\n");
		return 1;
	}
	setenv("WESCALE_CONFIG", path, 1);
	a = wstest_connect_admin(&env, env.primary_port);
	if (!a || wstest_exec(a, "USE wstest") ||
	    wstest_exec(a, "CREATE OR REPLACE SEQUENCE lexenv_s") ||
	    wstest_exec(a, "CREATE OR REPLACE TABLE lexenv_t (id INT PRIMARY KEY, v VARCHAR(64))") ||
	    wstest_exec(a, "CREATE OR REPLACE FUNCTION lexenv_ro() RETURNS INT READS SQL DATA "
			   "RETURN (SELECT COUNT(*) FROM lexenv_t)") ||
	    wstest_exec(a, "CREATE OR REPLACE FUNCTION lexenv_unlisted() RETURNS INT CONTAINS SQL DETERMINISTIC RETURN 1") ||
	    wstest_exec(a, "CREATE OR REPLACE FUNCTION lexenv_rw() RETURNS INT MODIFIES SQL DATA DETERMINISTIC "
			   "BEGIN REPLACE INTO lexenv_t VALUES (7, 'f'); RETURN 1; END")) {
		printf("set-up failed\n");
		return 1;
	}
	if (a)
		mysql_close(a);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("lexenv", NULL, NULL);
	CU_add_test(s, "-- + DEL / NBSP is a comment where the server says so", test_dash_comments);
	CU_add_test(s, "NBSP runs before '('", test_nbsp_runs);
	CU_add_test(s, "no forged hint under NO_BACKSLASH_ESCAPES", test_forged_hint);
	CU_add_test(s, "hints only make routing safer", test_hints_only_safer);
	CU_add_test(s, "prepared statements lexed as the server parses them", test_prepared_lexed_as_server);
	CU_add_test(s, "stored functions by replica_safe_functions", test_stored_functions);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	a = wstest_connect_admin(&env, env.primary_port);
	if (a) {
		wstest_exec(a, "DROP TABLE IF EXISTS wstest.lexenv_t");
		wstest_exec(a, "DROP SEQUENCE IF EXISTS wstest.lexenv_s");
		wstest_exec(a, "DROP FUNCTION IF EXISTS wstest.lexenv_ro");
		wstest_exec(a, "DROP FUNCTION IF EXISTS wstest.lexenv_unlisted");
		wstest_exec(a, "DROP FUNCTION IF EXISTS wstest.lexenv_rw");
		wstest_exec(a, "DO RELEASE_ALL_LOCKS()");
		mysql_close(a);
	}
	unlink(path);
	mysql_library_end();
	return failures ? 1 : 0;
}
