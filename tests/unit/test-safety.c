/*
 * test-safety.c — safety.c without a server: which MYSQL_INIT_COMMAND may run
 * on a replica, which capability flags a replica connection gets, and which
 * error counts as a misrouted statement.
 */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "config.h"
#include "safety.h"
#include "session.h"
#include "topology.h"

static const struct {
	const char *sql;
	bool allowed;
} init_commands[] = {
	/* reads and session state: carried to replicas */
	{ "SET NAMES utf8mb4", true },
	{ "SET SESSION sql_mode = 'ANSI_QUOTES'", true },
	{ "SET time_zone = '+00:00', SESSION wait_timeout = 60", true },
	{ "SET @@session.max_statement_time = 5", true },
	{ "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", true },
	{ "USE wstest", true },
	{ "SELECT 1", true },
	{ "SELECT COUNT(*) FROM t", true },
	/* anything else: not on replicas */
	{ "INSERT INTO log (who) VALUES (CURRENT_USER())", false },
	{ "UPDATE t SET v = 1", false },
	{ "CREATE TABLE IF NOT EXISTS t (a INT)", false },
	{ "SET GLOBAL max_connections = 10", false },
	{ "SET @@global.read_only = 0", false },
	{ "SELECT GET_LOCK('x', 0)", false },
	{ "SELECT NEXTVAL(s)", false },
	{ "SELECT * FROM t FOR UPDATE", false },
	{ "SELECT 1 INTO @x", false },
	{ "START TRANSACTION", false },
	{ "LOCK TABLES t READ", false },
	{ "CREATE TEMPORARY TABLE tt (a INT)", false },
	{ "CALL p()", false },
	{ "DO RELEASE_ALL_LOCKS()", false },
	{ "SET NAMES utf8mb4; DELETE FROM t", false },
	{ "SELECT 'unterminated", false },
};

static void test_init_commands(void)
{
	for (size_t i = 0; i < sizeof(init_commands) / sizeof(init_commands[0]); i++) {
		bool got = ws_safety_init_command_allowed(init_commands[i].sql, strlen(init_commands[i].sql));

		if (got != init_commands[i].allowed)
			fprintf(stderr, "\n  %s: %d, want %d\n", init_commands[i].sql, got, init_commands[i].allowed);
		CU_ASSERT_EQUAL(got, init_commands[i].allowed);
	}
}

static void test_replica_flags(void)
{
	struct ws_session *s = calloc(1, sizeof(*s));
	my_bool yes = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* Never multi-statements the application lacks; results always. */
	s->client_flag = CLIENT_FOUND_ROWS;
	CU_ASSERT_FALSE(ws_safety_multi_statements(s));
	CU_ASSERT_EQUAL(ws_safety_replica_flags(s), CLIENT_FOUND_ROWS | CLIENT_MULTI_RESULTS);
	s->client_flag = CLIENT_MULTI_STATEMENTS | CLIENT_COMPRESS;
	CU_ASSERT_TRUE(ws_safety_multi_statements(s));
	CU_ASSERT_EQUAL(ws_safety_replica_flags(s), CLIENT_MULTI_STATEMENTS | CLIENT_COMPRESS | CLIENT_MULTI_RESULTS);
	/* Enabled by option instead of by flag. */
	s->client_flag = 0;
	CU_ASSERT_EQUAL_FATAL(ws_session_record_option(s, MARIADB_OPT_MULTI_STATEMENTS, &yes, NULL), 0);
	CU_ASSERT_TRUE(ws_safety_multi_statements(s));
	ws_session_free_options(s);
	free(s);
}

static void test_misrouted(void)
{
	struct ws_cluster_rt rt;

	memset(&rt, 0, sizeof(rt));
	CU_ASSERT_FALSE(ws_safety_misrouted(&rt, ER_PARSE_ERROR));
	CU_ASSERT_FALSE(ws_safety_misrouted(&rt, ER_OPTION_PREVENTS_STATEMENT));
	CU_ASSERT_FALSE(ws_safety_misrouted(&rt, 0));
	CU_ASSERT_EQUAL(rt.misrouted, 0);
	CU_ASSERT_TRUE(ws_safety_misrouted(&rt, ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION));
	CU_ASSERT_TRUE(ws_safety_misrouted(&rt, ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION));
	CU_ASSERT_EQUAL(rt.misrouted, 2);
	CU_ASSERT_TRUE(ws_safety_misrouted(NULL, ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION));
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("safety", NULL, NULL);
	CU_add_test(s, "MYSQL_INIT_COMMAND on replicas: reads and session state only", test_init_commands);
	CU_add_test(s, "replica capability flags never exceed the application's", test_replica_flags);
	CU_add_test(s, "1792 is a misrouted statement, counted", test_misrouted);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
