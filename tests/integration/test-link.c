/*
 * test-link.c — a program linked with -lwescale only (no -lmariadb) uses the
 * ordinary client API against the real topology; libwescale is in the path of
 * every call (its log callback sees the connection), and the real library was
 * loaded by libwescale itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char last_log[4096];
static unsigned n_logs;

static void on_log(int level, const char *msg, void *ud)
{
	(void)ud;
	if (level == WESCALE_LOG_DEBUG && strstr(msg, "intercepted")) {
		snprintf(last_log, sizeof(last_log), "%s", msg);
		n_logs++;
	}
}

static void test_version(void)
{
	const char *v = wescale_version();

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "0.1.0");
}

static void test_connect_intercepted(void)
{
	char expect[128];
	MYSQL *m;

	wescale_set_log_callback(on_log, NULL);
	wescale_set_log_level(WESCALE_LOG_DEBUG);
	n_logs = 0;
	m = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(n_logs, 1);
	snprintf(expect, sizeof(expect), "mysql_real_connect(127.0.0.1:%u) intercepted", env.primary_port);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_log, expect));
	CU_ASSERT_EQUAL(wstest_server_id(m), 1);
	mysql_close(m);
	wescale_set_log_level(WESCALE_LOG_WARN);
	wescale_set_log_callback(NULL, NULL);
}

static void test_each_node_answers(void)
{
	/* Direct connections to each node: server ids 1, 2, 3. */
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *m = wstest_connect(&env, env.replica_port[i], env.db);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(wstest_server_id(m), (long)i + 2);
		CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT @@read_only"), 1);
		mysql_close(m);
	}
}

static void test_errors(void)
{
	MYSQL *m = mysql_init(NULL);

	/* Refused: nothing listens on port 1. */
	CU_ASSERT_PTR_NULL(mysql_real_connect(m, "127.0.0.1", env.user, env.password, NULL, 1, NULL, 0));
	CU_ASSERT_EQUAL(mysql_errno(m), CR_CONNECTION_ERROR);
	CU_ASSERT_STRING_EQUAL(mysql_sqlstate(m), "HY000");
	mysql_close(m);

	m = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "SELEC 1"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), ER_PARSE_ERROR);
	CU_ASSERT_STRING_EQUAL(mysql_sqlstate(m), "42000");
	CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(m), "SQL syntax"));
	/* The handle stays usable after an error. */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT 41 + 1"), 42);
	mysql_close(m);
}

static void test_results_and_stmt(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	MYSQL_STMT *st;
	MYSQL_BIND p, r;
	MYSQL_RES *res;
	int in = 3, out = 0, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TABLE IF EXISTS link_t; CREATE TABLE link_t (id INT PRIMARY KEY)"), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "INSERT INTO link_t SELECT seq FROM seq_1_to_100"), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), 100);
	/* Streaming result. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT id FROM link_t ORDER BY id"), 0);
	res = mysql_use_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	while (mysql_fetch_row(res))
		n++;
	mysql_free_result(res);
	CU_ASSERT_EQUAL(n, 100);
	/* Prepared statement with parameter and result binds. */
	st = mysql_stmt_init(m);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, "SELECT id * 2 FROM link_t WHERE id = ?", 38), 0);
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONG;
	p.buffer = &in;
	memset(&r, 0, sizeof(r));
	r.buffer_type = MYSQL_TYPE_LONG;
	r.buffer = &out;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, &p), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, &r), 0);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(out, 6);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_NO_DATA);
	mysql_stmt_close(st);
	/* Re-entrant path: mysql_list_tables runs a query inside the real library. */
	res = mysql_list_tables(m, "link_t");
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(mysql_num_rows(res), 1);
	mysql_free_result(res);
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TABLE link_t"), 0);
	mysql_close(m);
}

int main(void)
{
	CU_pSuite s;

	if (!wstest_env_load(&env))
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("link", NULL, NULL);
	CU_add_test(s, "wescale_version", test_version);
	CU_add_test(s, "connect is intercepted", test_connect_intercepted);
	CU_add_test(s, "each node answers with its server id", test_each_node_answers);
	CU_add_test(s, "errors as the real library reports them", test_errors);
	CU_add_test(s, "results, streaming, prepared, re-entrant calls", test_results_and_stmt);
	return wstest_cunit_run();
}
