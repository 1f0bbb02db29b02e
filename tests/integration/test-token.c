/*
 * test-token.c — consistency tokens and freshness hints on a real topology
 * (issue 22), asserted by what the servers saw: rows, @@server_id, and the
 * replicas' general logs.
 *
 *  - a token carries read-your-writes from one handle to another that shares
 *    nothing with the first; a malformed token is an error (2910) and changes
 *    nothing;
 *  - when a replica is known to have the token, the read costs nothing more:
 *    no MASTER_GTID_WAIT reaches any replica (general log), the read is one
 *    statement on a replica;
 *  - when no replica has it (their SQL threads stopped), the WAIT travels in
 *    the read's own statement text, and the read ends on the primary, not
 *    stale; the control (no token) reads stale on a replica;
 *  - min_gtid hints (wescale and ProxySQL spellings) do the same for one
 *    statement, also at `eventual`; malformed ones are ignored and counted;
 *    max_lag_ms keeps a read off replicas that lag more than it allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static int next_id = 1;

static void admin_replicas(const char *sql)
{
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
		mysql_close(a);
	}
}

/* Statements in the replicas' general logs whose text contains both words. */
static long logged(const char *a, const char *b)
{
	char sql[400];
	long n = 0;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM mysql.general_log WHERE command_type = 'Query' AND "
		 "argument LIKE '%%%s%%' AND argument LIKE '%%%s%%' AND user_host LIKE '%s%%'", a, b, env.user);
	for (unsigned i = 0; i < env.n_replicas; i++)
		n += wstest_admin_long(&env, env.replica_port[i], sql);
	return n;
}

static void general_log(bool on)
{
	admin_replicas(on ? "SET sql_log_bin = 0; SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; "
			    "SET GLOBAL general_log = 1"
			  : "SET GLOBAL general_log = 0; SET sql_log_bin = 0; TRUNCATE mysql.general_log");
}

static MYSQL *client(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(wescale_route_next(m, WESCALE_ROUTE_AUTO), 0); /* managed */
	return m;
}

/* Insert a row on w and return its id; *token gets w's token after it. */
static int write_row(MYSQL *w, char *token, size_t size)
{
	char sql[200];
	int id = next_id++;

	snprintf(sql, sizeof(sql), "INSERT INTO tok VALUES (%d, %d)", id, id * 3);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(w, sql), 0);
	if (token)
		CU_ASSERT_EQUAL_FATAL(wescale_consistency_token(w, token, size), 0);
	return id;
}

/* Read row id on r with a marker and optional hint comment: 1 found, 0
 * missing; *sid gets the answering @@server_id. */
static int read_row(MYSQL *r, int id, const char *marker, const char *hint, long *sid)
{
	char sql[WESCALE_TOKEN_MAX + 200];
	MYSQL_RES *res;
	MYSQL_ROW row;
	int found;

	snprintf(sql, sizeof(sql), "%sSELECT /* %s */ v, @@server_id FROM tok WHERE id = %d", hint ? hint : "",
		 marker, id);
	*sid = -1;
	if (mysql_query(r, sql) || !(res = mysql_store_result(r))) {
		fprintf(stderr, "read %d: %s\n", id, mysql_error(r));
		return 0;
	}
	row = mysql_fetch_row(res);
	found = row && atoi(row[0]) == id * 3;
	if (row)
		*sid = atol(row[1]);
	mysql_free_result(res);
	return found;
}

static long hints_ignored(void)
{
	char buf[16384];
	const char *p;

	wescale_stats_json(buf, sizeof(buf));
	p = strstr(buf, "\"hints_ignored\":");
	return p ? atol(p + 16) : -1;
}

static void test_setup(void)
{
	MYSQL *a = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "DROP TABLE IF EXISTS tok; CREATE TABLE tok (id INT PRIMARY KEY, v INT)"), 0);
	mysql_close(a);
	CU_ASSERT_TRUE(wstest_sync_replicas(&env));
}

static void test_handoff_and_errors(void)
{
	MYSQL *w = client(), *r = client();
	char token[WESCALE_TOKEN_MAX], again[WESCALE_TOKEN_MAX], tiny[3];
	long sid;
	int id;

	CU_ASSERT_EQUAL(wescale_consistency_token(r, token, sizeof(token)), 0);
	CU_ASSERT_STRING_EQUAL(token, ""); /* r committed nothing */
	for (int i = 0; i < 20; i++) {
		id = write_row(w, token, sizeof(token));
		CU_ASSERT_EQUAL(wescale_require_token(r, token), 0);
		CU_ASSERT_EQUAL(read_row(r, id, "handoff", NULL, &sid), 1);
	}
	/* MariaDB syntax: domain-server-seq. */
	CU_ASSERT_EQUAL(strspn(token, "0123456789-,"), strlen(token));
	/* Errors: clear, through mysql_errno/mysql_error, and nothing changes. */
	CU_ASSERT_EQUAL(wescale_consistency_token(r, again, sizeof(again)), 0);
	CU_ASSERT_EQUAL(wescale_require_token(r, "0-1-5'; DROP TABLE tok; --"), WESCALE_ER_BAD_TOKEN);
	CU_ASSERT_EQUAL(mysql_errno(r), WESCALE_ER_BAD_TOKEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(r), "is not a MariaDB (domain-server-seq,"));
	CU_ASSERT_EQUAL(wescale_require_token(r, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"), WESCALE_ER_BAD_TOKEN);
	CU_ASSERT_EQUAL(wescale_consistency_token(r, token, sizeof(token)), 0);
	CU_ASSERT_STRING_EQUAL(token, again);
	CU_ASSERT_EQUAL(wescale_consistency_token(w, tiny, sizeof(tiny)), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_STRING_EQUAL(tiny, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(w), "bytes"));
	CU_ASSERT_EQUAL(wescale_require_token(NULL, "0-1-1"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_require_token(r, NULL), WESCALE_ER_BAD_ARGUMENT);
	/* The next statement clears the error. */
	CU_ASSERT_EQUAL(read_row(r, id, "handoff", NULL, &sid), 1);
	CU_ASSERT_EQUAL(mysql_errno(r), 0);
	mysql_close(w);
	mysql_close(r);
}

/* The token path costs no round trip when a replica has the token already. */
static void test_no_round_trip_when_covered(void)
{
	MYSQL *w = client(), *r = client();
	char token[WESCALE_TOKEN_MAX];
	int ids[20];
	long sid, on_replicas = 0;

	for (int i = 0; i < 20; i++)
		ids[i] = write_row(w, token, sizeof(token));
	CU_ASSERT_TRUE_FATAL(wstest_sync_replicas(&env));
	wstest_msleep(1200); /* two health checks: the monitor knows both replicas have it */
	general_log(true);
	CU_ASSERT_EQUAL(wescale_require_token(r, token), 0);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(read_row(r, ids[i], "covered", NULL, &sid), 1);
		on_replicas += sid != 1;
	}
	CU_ASSERT_EQUAL(on_replicas, 20);
	CU_ASSERT_EQUAL(logged("covered", "SELECT"), 20);       /* each read: one statement on a replica */
	CU_ASSERT_EQUAL(logged("MASTER_GTID_WAIT", "WAIT"), 0); /* and no wait anywhere */
	general_log(false);
	mysql_close(w);
	mysql_close(r);
}

/* No replica has it: the wait rides in the read's own text, then the primary. */
static void test_uncovered_waits_then_primary(void)
{
	MYSQL *w = client(), *r = client(), *control = client();
	char token[WESCALE_TOKEN_MAX];
	long sid;
	int id;

	admin_replicas("STOP SLAVE SQL_THREAD");
	general_log(true);
	id = write_row(w, token, sizeof(token));
	CU_ASSERT_EQUAL(read_row(control, id, "control", NULL, &sid), 0); /* stale: proves it could be */
	CU_ASSERT_NOT_EQUAL(sid, 1);
	CU_ASSERT_EQUAL(wescale_require_token(r, token), 0);
	CU_ASSERT_EQUAL(read_row(r, id, "uncovered", NULL, &sid), 1);
	CU_ASSERT_EQUAL(sid, 1);
	/* One statement text on a replica held both the WAIT and the read. */
	CU_ASSERT_EQUAL(logged("MASTER_GTID_WAIT", "uncovered"), 1);
	general_log(false);
	admin_replicas("START SLAVE SQL_THREAD");
	CU_ASSERT_TRUE(wstest_sync_replicas(&env));
	mysql_close(w);
	mysql_close(r);
	mysql_close(control);
}

static void test_hints(void)
{
	MYSQL *w = client(), *r = client();
	char token[WESCALE_TOKEN_MAX], hint[WESCALE_TOKEN_MAX + 40];
	long sid, before = hints_ignored();
	int id;

	admin_replicas("STOP SLAVE SQL_THREAD");
	id = write_row(w, token, sizeof(token));
	/* r has no watermark: without a hint its read is stale on a replica. */
	CU_ASSERT_EQUAL(read_row(r, id, "nohint", NULL, &sid), 0);
	snprintf(hint, sizeof(hint), "/* wescale:min_gtid=%s */ ", token);
	CU_ASSERT_EQUAL(read_row(r, id, "hint1", hint, &sid), 1);
	CU_ASSERT_EQUAL(sid, 1);
	snprintf(hint, sizeof(hint), "/*+ ;min_gtid=%s */ ", token);
	CU_ASSERT_EQUAL(read_row(r, id, "hint2", hint, &sid), 1);
	CU_ASSERT_EQUAL(sid, 1);
	/* Also where the handle asks for nothing at all. */
	CU_ASSERT_EQUAL(wescale_set_consistency(r, WESCALE_CONSISTENCY_EVENTUAL), 0);
	snprintf(hint, sizeof(hint), "/* wescale:min_gtid=%s */ ", token);
	CU_ASSERT_EQUAL(read_row(r, id, "hint3", hint, &sid), 1);
	CU_ASSERT_EQUAL(wescale_set_consistency(r, WESCALE_CONSISTENCY_SESSION), 0);
	/* The hint was for one statement only. */
	CU_ASSERT_EQUAL(read_row(r, id, "nohint", NULL, &sid), 0);
	/* Malformed: ignored (the read runs as without it), counted. */
	CU_ASSERT_EQUAL(read_row(r, id, "bad", "/* wescale:min_gtid=zz-top */ ", &sid), 0);
	CU_ASSERT_EQUAL(read_row(r, id, "bad", "/* wescale:max_lag_ms=soon */ ", &sid), 0);
	CU_ASSERT_EQUAL(hints_ignored(), before + 2);
	/* max_lag_ms: the stopped replicas lag more and more (the monitor counts
	 * the time they stand still); after a second, 300 ms is too much. */
	wstest_msleep(1600);
	CU_ASSERT_NOT_EQUAL(wstest_server_id(r), 1);
	CU_ASSERT_EQUAL(read_row(r, id, "lag", "/* wescale:max_lag_ms=300 */ ", &sid), 1);
	CU_ASSERT_EQUAL(sid, 1);
	CU_ASSERT_EQUAL(read_row(r, id, "lag", "/* wescale:max_lag_ms=60000 */ ", &sid), 0); /* no looser */
	CU_ASSERT_NOT_EQUAL(sid, 1);
	admin_replicas("START SLAVE SQL_THREAD");
	CU_ASSERT_TRUE(wstest_sync_replicas(&env));
	mysql_close(w);
	mysql_close(r);
}

static void test_cleanup(void)
{
	MYSQL *a = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "DROP TABLE tok"), 0);
	mysql_close(a);
}

int main(void)
{
	CU_pSuite s;

	if (!wstest_env_load(&env) ||
	    !wstest_write_config(&env, "token.conf", "[cluster tok]\nprimary = 127.0.0.1:%u\n"
				 "replicas = 127.0.0.1:%u, 127.0.0.1:%u\nload_balance = round_robin\n"
				 "consistency_timeout_ms = 200\nhealth_interval_ms = 500\n",
				 env.primary_port, env.replica_port[0], env.replica_port[1]))
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("token", NULL, NULL);
	CU_add_test(s, "set-up", test_setup);
	CU_add_test(s, "a token hands read-your-writes to another handle; bad ones change nothing",
		    test_handoff_and_errors);
	CU_add_test(s, "covered by a replica: no wait, no extra statement", test_no_round_trip_when_covered);
	CU_add_test(s, "covered by none: wait in the read's text, then the primary", test_uncovered_waits_then_primary);
	CU_add_test(s, "min_gtid and max_lag_ms hints", test_hints);
	CU_add_test(s, "clean-up", test_cleanup);
	return wstest_cunit_run();
}
