/*
 * test-compat.c — API fidelity with plain libmariadb, from Connector/C's own
 * test suite run under libwescale (issue 23, docs/compatibility.md).
 *
 * Each test compares a managed handle (connected to the primary) with what
 * libmariadb answers on a plain handle (connected to replica 1 directly,
 * which libwescale passes through) or with what the server saw:
 *   - MYSQL_OPT_RECONNECT: after the server killed the connection, mysql_ping
 *     or the next statement reconnects; statements then run (no "Commands
 *     out of sync"), session tracking is back, read-your-writes holds;
 *   - mysql_change_user / mysql_reset_connection: tracking is set up again,
 *     state carrying and read-your-writes go on; mysql_affected_rows() and
 *     the error of an invalidated prepared write are libmariadb's;
 *   - SET @@sql_mode (and @@session., LOCAL, several assignments) reaches
 *     the replicas;
 *   - a write made by MYSQL_INIT_COMMAND is seen by the next read;
 *   - mysql_ping while the rows of mysql_use_result are unread (on a
 *     replica) fails with 2014;
 *   - MYSQL_OPT_READ_TIMEOUT: a read stalled on replicas fails after the
 *     application's timeout, not after one timeout per node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <errmsg.h>

#include "wstest.h"

static struct wstest_env env;
static MYSQL *admin;

static bool is_replica(long id) { return id == 2 || id == 3; }

/* A managed handle with MYSQL_OPT_RECONNECT (and a read timeout when > 0). */
static MYSQL *managed(bool reconnect, unsigned read_timeout)
{
	MYSQL *m = mysql_init(NULL);
	my_bool re = reconnect;

	if (!m)
		return NULL;
	mysql_options(m, MYSQL_OPT_RECONNECT, &re);
	if (read_timeout)
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
	if (!mysql_real_connect(m, "127.0.0.1", env.user, env.password, env.db, env.primary_port, NULL,
				CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* "SELECT @@server_id, <expr>": the value (in buf) and who answered. */
static long value_of(MYSQL *m, const char *expr, char *buf, size_t size)
{
	char sql[512];
	MYSQL_RES *res;
	MYSQL_ROW row;
	long id = -1;

	buf[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT @@server_id, %s", expr);
	if (mysql_query(m, sql) || !(res = mysql_store_result(m))) {
		fprintf(stderr, "%s: %u %s\n", sql, mysql_errno(m), mysql_error(m));
		return -1;
	}
	if ((row = mysql_fetch_row(res))) {
		id = row[0] ? atol(row[0]) : -1;
		snprintf(buf, size, "%s", row[1] ? row[1] : "NULL");
	}
	mysql_free_result(res);
	return id;
}

static void kill_connection(MYSQL *m)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", mysql_thread_id(m));
	CU_ASSERT_EQUAL(wstest_exec(admin, sql), 0);
	wstest_msleep(100);
}

/* Tracking is on for m's primary session, and a write is read back at once
 * from a replica (session consistency needs the write's GTID). */
static void assert_tracking_and_ryw(MYSQL *m, const char *what)
{
	char v[256], sql[128];
	static int n;
	long id;

	id = value_of(m, "@@session_track_system_variables /* wescale:route=primary */", v, sizeof(v));
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT_STRING_EQUAL(v, "*");
	snprintf(sql, sizeof(sql), "INSERT INTO compat_t VALUES (%d)", ++n + 1000);
	CU_ASSERT_EQUAL(wstest_exec(m, sql), 0);
	snprintf(sql, sizeof(sql), "(SELECT COUNT(*) FROM compat_t WHERE a = %d)", n + 1000);
	id = value_of(m, sql, v, sizeof(v));
	if (!is_replica(id) || strcmp(v, "1") != 0)
		fprintf(stderr, "%s: read-your-writes: server %ld saw %s row(s)\n", what, id, v);
	CU_ASSERT(is_replica(id));
	CU_ASSERT_STRING_EQUAL(v, "1");
}

static void test_setup(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "DROP TABLE IF EXISTS wstest.compat_t"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "CREATE TABLE wstest.compat_t (a INT)"), 0);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
}

/* Item 5: libmariadb reconnects in mysql_ping; the tracking set-up used to
 * run while the next statement's result was pending: 2014 from then on. */
static void test_reconnect_on_ping(void)
{
	MYSQL *m = managed(true, 0);
	char v[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET sql_mode = 'ANSI_QUOTES'"), 0);
	kill_connection(m);
	CU_ASSERT_EQUAL(mysql_ping(m), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), (my_ulonglong)~0);
	CU_ASSERT_EQUAL(value_of(m, "1 /* wescale:route=primary */", v, sizeof(v)), 1);
	CU_ASSERT_EQUAL(value_of(m, "2 /* wescale:route=primary */", v, sizeof(v)), 1);
	/* A new server session has the server's defaults, on the primary as on
	 * the replicas (as a plain libmariadb handle after a reconnect). */
	CU_ASSERT_EQUAL(value_of(m, "@@sql_mode LIKE '%ANSI_QUOTES%' /* wescale:route=primary */", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "0");
	CU_ASSERT(is_replica(value_of(m, "@@sql_mode LIKE '%ANSI_QUOTES%'", v, sizeof(v))));
	CU_ASSERT_STRING_EQUAL(v, "0");
	assert_tracking_and_ryw(m, "reconnect on ping");
	mysql_close(m);
}

/* Item 5: libmariadb reconnects inside the next statement (a read on the
 * primary whose rows are pending when libwescale sees the new session). */
static void test_reconnect_on_query(void)
{
	MYSQL *m = managed(true, 0);
	char v[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	kill_connection(m);
	CU_ASSERT_EQUAL(value_of(m, "1 /* wescale:route=primary */", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "1");
	CU_ASSERT_EQUAL(value_of(m, "2 /* wescale:route=primary */", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "2");
	assert_tracking_and_ryw(m, "reconnect on a query");
	/* And a write that itself reconnects: its GTID is still waited for. */
	kill_connection(m);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO compat_t VALUES (77)"), 0);
	CU_ASSERT(is_replica(value_of(m, "(SELECT COUNT(*) FROM compat_t WHERE a = 77)", v, sizeof(v))));
	CU_ASSERT_STRING_EQUAL(v, "1");
	mysql_close(m);
}

/* Connector/C's test_options_initcmd: a write made by MYSQL_INIT_COMMAND at
 * connect (before tracking is on) is seen by the next read. The replicas'
 * SQL threads are stopped, so only a read that waits for that write (and then
 * goes to the primary) sees it. */
static void set_replica_sql_threads(bool on)
{
	for (unsigned r = 0; r < env.n_replicas; r++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[r]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, on ? "START SLAVE SQL_THREAD" : "STOP SLAVE SQL_THREAD"), 0);
		mysql_close(a);
	}
}

static void test_init_command_write_is_waited_for(void)
{
	MYSQL *m = mysql_init(NULL);
	char v[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	set_replica_sql_threads(false);
	mysql_options(m, MYSQL_INIT_COMMAND, "INSERT INTO compat_t VALUES (600)");
	CU_ASSERT_PTR_NOT_NULL(mysql_real_connect(m, "127.0.0.1", env.user, env.password, env.db, env.primary_port,
						  NULL, 0));
	CU_ASSERT(value_of(m, "(SELECT COUNT(*) FROM compat_t WHERE a = 600)", v, sizeof(v)) >= 1);
	CU_ASSERT_STRING_EQUAL(v, "1");
	mysql_close(m);
	set_replica_sql_threads(true);
	CU_ASSERT(wstest_sync_replicas(&env));
}

/* libmariadb takes the length (unsigned long)-1 as "up to the NUL" in
 * mysql_real_query, and so does the routing of a managed handle. */
static void test_real_query_length_minus_one(void)
{
	MYSQL *m = managed(false, 0);
	MYSQL_RES *res;
	MYSQL_ROW row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(mysql_real_query(m, "SELECT @@server_id, 'x@y'", (unsigned long)-1), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	row = mysql_fetch_row(res);
	CU_ASSERT(row && row[0] && is_replica(atol(row[0])) && row[1] && strcmp(row[1], "x@y") == 0);
	mysql_free_result(res);
	CU_ASSERT_EQUAL(mysql_real_query(m, "SET @@sql_mode = 'ANSI_QUOTES'", (unsigned long)-1), 0);
	mysql_close(m);
}

/* Connector/C's client_use_result: while the rows of mysql_use_result are
 * unread, mysql_ping fails with 2014 — also when a replica holds them. */
static void test_ping_during_use_result(void)
{
	MYSQL *m = managed(false, 0), *d = wstest_connect(&env, env.replica_port[0], env.db);
	MYSQL *h[2] = { m, d };

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (int k = 0; k < 2; k++) {
		MYSQL_RES *res;
		int rows = 0;

		CU_ASSERT_EQUAL(mysql_query(h[k], "SELECT 'foo' FROM DUAL UNION SELECT 'bar' FROM DUAL"), 0);
		res = mysql_use_result(h[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(res);
		CU_ASSERT_NOT_EQUAL(mysql_ping(h[k]), 0);
		CU_ASSERT_EQUAL(mysql_errno(h[k]), CR_COMMANDS_OUT_OF_SYNC);
		while (mysql_fetch_row(res))
			rows++;
		CU_ASSERT_EQUAL(rows, 2);
		mysql_free_result(res);
		CU_ASSERT_EQUAL(mysql_ping(h[k]), 0);
	}
	mysql_close(m);
	mysql_close(d);
}

/* Item 6: the server resets the session, tracking settings included. */
static void test_change_user_and_reset_keep_tracking(void)
{
	MYSQL *m = managed(false, 0);
	char v[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 2; i++) {
		int r = i == 0 ? mysql_change_user(m, env.user, env.password, env.db) : mysql_reset_connection(m);

		CU_ASSERT_EQUAL(r, 0);
		CU_ASSERT_EQUAL(wstest_exec(m, "SET sql_mode = 'PIPES_AS_CONCAT'"), 0);
		CU_ASSERT(is_replica(value_of(m, "'a' || 'b'", v, sizeof(v))));
		CU_ASSERT_STRING_EQUAL(v, "ab");
		assert_tracking_and_ryw(m, i == 0 ? "change_user" : "reset_connection");
	}
	mysql_close(m);
}

/* Item 6: mysql_affected_rows() and an invalidated prepared write answer as
 * on a plain handle (replica 1 directly: a pass-through). */
static void test_change_user_and_reset_answers(void)
{
	MYSQL *m = managed(false, 0), *d = wstest_connect(&env, env.replica_port[0], env.db);
	MYSQL *h[2] = { m, d };
	my_ulonglong aff[2];
	unsigned err[2];
	MYSQL_STMT *st[2];
	static const char ins[] = "INSERT INTO compat_t VALUES (5)";

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(wstest_exec(h[k], "SELECT 1"), 0);
		CU_ASSERT_EQUAL(mysql_reset_connection(h[k]), 0);
		aff[k] = mysql_affected_rows(h[k]);
	}
	CU_ASSERT_EQUAL(aff[0], aff[1]);
	CU_ASSERT_EQUAL(aff[0], (my_ulonglong)~0);
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(wstest_exec(h[k], "SELECT 1"), 0);
		CU_ASSERT_EQUAL(mysql_change_user(h[k], env.user, env.password, env.db), 0);
		aff[k] = mysql_affected_rows(h[k]);
	}
	CU_ASSERT_EQUAL(aff[0], aff[1]);
	for (int k = 0; k < 2; k++) {
		st[k] = mysql_stmt_init(h[k]);
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st[k], ins, sizeof(ins) - 1), 0);
		CU_ASSERT_EQUAL(mysql_change_user(h[k], env.user, env.password, env.db), 0);
		CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st[k]), 0);
		err[k] = mysql_stmt_errno(st[k]);
		mysql_stmt_close(st[k]);
	}
	if (err[0] != err[1])
		fprintf(stderr, "invalidated statement: managed %u, plain %u\n", err[0], err[1]);
	CU_ASSERT_EQUAL(err[0], err[1]);
	CU_ASSERT_EQUAL(err[0], CR_SERVER_LOST);
	/* The handle is fine afterwards. */
	CU_ASSERT_EQUAL(wstest_exec(m, ins), 0);
	mysql_close(m);
	mysql_close(d);
}

/* Connector/C's test_bug30472: MYSQL_SET_CHARSET_NAME set after the connect
 * is for the next mysql_change_user, which then gives the new session that
 * character set whole (client, connection, results). A replica read after it
 * answers in it too: the replica connections of the old session (opened
 * without that option) are not pooled under the new options and taken back. */
static void test_charset_option_then_change_user(void)
{
	MYSQL *m = managed(false, 0);
	char buf[64];
	long id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mysql_set_character_set(m, "ascii"), 0);
	id = value_of(m, "@@character_set_results", buf, sizeof(buf));
	CU_ASSERT(id > 1);
	CU_ASSERT_STRING_EQUAL(buf, "ascii");
	CU_ASSERT_EQUAL(mysql_options(m, MYSQL_SET_CHARSET_NAME, "latin2"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_change_user(m, env.user, env.password, env.db), 0);
	CU_ASSERT_STRING_EQUAL(mysql_character_set_name(m), "latin2");
	for (int i = 0; i < 4; i++) { /* every replica */
		id = value_of(m, "CONCAT(@@character_set_client, ' ', @@character_set_results, ' ', "
				 "@@collation_connection)", buf, sizeof(buf));
		CU_ASSERT(id > 1);
		CU_ASSERT_STRING_EQUAL(buf, "latin2 latin2 latin2_general_ci");
	}
	mysql_close(m);
}

/* Item 7: MariaDB tracks no `SET @@name = …`; the replicas must still get it. */
static void test_set_at_sql_mode(void)
{
	static const struct {
		const char *set, *expr, *want;
	} t[] = {
		{ "SET sql_mode = 'ANSI_QUOTES'", "@@sql_mode", "ANSI_QUOTES" },
		{ "SET @@sql_mode = 'PIPES_AS_CONCAT'", "'a' || 'b'", "ab" },
		{ "SET @@sql_mode = 'ANSI_QUOTES'", "'a' || 'b'", "0" },
		{ "SET @@session.sql_mode = 'PIPES_AS_CONCAT'", "@@sql_mode", "PIPES_AS_CONCAT" },
		{ "SET LOCAL sql_mode = 'NO_BACKSLASH_ESCAPES', @@time_zone = '+01:00'", "@@time_zone", "+01:00" },
		{ "SET @@time_zone = '+02:00', @@sql_mode = 'ANSI'", "@@time_zone", "+02:00" },
		{ "SET @@sql_mode := CONCAT(@@sql_mode, ',PIPES_AS_CONCAT')", "'a' || 'b'", "ab" },
		{ "SET SESSION sql_mode = ''", "@@sql_mode", "" },
	};
	MYSQL *m = managed(false, 0);
	char v[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long id;

		CU_ASSERT_EQUAL(wstest_exec(m, t[i].set), 0);
		/* Twice: both replicas (round robin). */
		for (int k = 0; k < 2; k++) {
			id = value_of(m, t[i].expr, v, sizeof(v));
			if (!is_replica(id) || strcmp(v, t[i].want) != 0)
				fprintf(stderr, "after %s: %s on server %ld = '%s', want '%s'\n", t[i].set, t[i].expr, id,
					v, t[i].want);
			CU_ASSERT(is_replica(id));
			CU_ASSERT_STRING_EQUAL(v, t[i].want);
		}
	}
	mysql_close(m);
}

/* Item 8: a read stalled on every node with MYSQL_OPT_READ_TIMEOUT = 2 fails
 * after about 2 s, as on a plain handle — not after one timeout per node. */
static void test_read_timeout_not_multiplied(void)
{
	MYSQL *m = managed(false, 2);
	double t0, plain, managed_s;
	MYSQL *d = mysql_init(NULL);
	unsigned to = 2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	mysql_options(d, MYSQL_OPT_READ_TIMEOUT, &to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(d, "127.0.0.1", env.user, env.password, env.db,
							env.replica_port[0], NULL, 0));
	t0 = wstest_now_s();
	CU_ASSERT_NOT_EQUAL(mysql_query(d, "SELECT SLEEP(6)"), 0);
	plain = wstest_now_s() - t0;
	CU_ASSERT_EQUAL(mysql_errno(d), CR_SERVER_LOST);
	t0 = wstest_now_s();
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "SELECT SLEEP(6)"), 0);
	managed_s = wstest_now_s() - t0;
	CU_ASSERT_EQUAL(mysql_errno(m), CR_SERVER_LOST);
	fprintf(stderr, "stalled read, MYSQL_OPT_READ_TIMEOUT=2: plain %.2f s, managed %.2f s\n", plain, managed_s);
	CU_ASSERT(managed_s < plain + 0.5);
	/* The handle goes on. */
	CU_ASSERT_EQUAL(wstest_exec(m, "SELECT 1"), 0);
	mysql_close(m);
	mysql_close(d);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (!wstest_env_load(&env))
		return 1;
	setenv("WESCALE_CONFIG", env.config, 0);
	admin = wstest_connect_admin(&env, env.primary_port);
	if (!admin)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("compat", NULL, NULL);
	CU_add_test(s, "set-up", test_setup);
	CU_add_test(s, "MYSQL_OPT_RECONNECT: reconnect on mysql_ping", test_reconnect_on_ping);
	CU_add_test(s, "MYSQL_OPT_RECONNECT: reconnect on a statement", test_reconnect_on_query);
	CU_add_test(s, "mysql_real_query with the length (unsigned long)-1", test_real_query_length_minus_one);
	CU_add_test(s, "mysql_ping while mysql_use_result rows are unread: 2014", test_ping_during_use_result);
	CU_add_test(s, "a write by MYSQL_INIT_COMMAND is seen by the next read", test_init_command_write_is_waited_for);
	CU_add_test(s, "change_user / reset_connection: tracking, state, read-your-writes go on",
		    test_change_user_and_reset_keep_tracking);
	CU_add_test(s, "change_user / reset_connection: affected rows, invalidated statement as libmariadb",
		    test_change_user_and_reset_answers);
	CU_add_test(s, "SET @@sql_mode and friends reach the replicas", test_set_at_sql_mode);
	CU_add_test(s, "MYSQL_SET_CHARSET_NAME, then mysql_change_user: the replicas too",
		    test_charset_option_then_change_user);
	CU_add_test(s, "MYSQL_OPT_READ_TIMEOUT is not multiplied by retries", test_read_timeout_not_multiplied);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_close(admin);
	mysql_library_end();
	return failures ? 1 : 0;
}
