/*
 * test-guard.c — a replica never executes a write: the defences that do not
 * depend on the classifier (lib/safety.c, docs/robustness.md).
 *
 *  - replica connections are read-only sessions: writes forced onto a replica
 *    as the SUPER user (a rule pinning statements to a replica, a stored
 *    function that lies about its data access) leave it untouched — no row,
 *    no GTID of its own — and run on the primary, counted as `misrouted`;
 *  - a replica connection has no capability the application's lacks: a text
 *    that is two statements to the server fails with 1064 on a handle without
 *    multi-statements, and nothing runs anywhere;
 *  - MYSQL_INIT_COMMAND: a writing one runs once per application connection,
 *    on the primary only (never by the monitor, never on replicas); one that
 *    fails on replicas does not take them out;
 *  - hostile replies (fake_server.py): a monitor check answered with the wrong
 *    shape marks the node down; a GTID wait answered with fewer or more result
 *    sets than sent is a replica failure and the read runs elsewhere.
 *
 * Direct looks at a server go through the mariadb command-line client, not
 * through libwescale.
 *
 * Usage: test-guard FAKE_SERVER_PY PYTHON (with a topology's WS_TEST_* set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static const char *fake_py, *python;
static char config_path[512];
static unsigned shape_primary, shape_ports[3], fewer_primary, fewer_replica, more_primary, more_replica;
static MYSQL *admin; /* managed, as the SUPER user */

/* ---- looking at a server directly ---- */

/* The first value sql returns on the server at port (admin, mariadb client),
 * into out; false when it fails. */
static bool direct(unsigned port, const char *sql, char *out, size_t size)
{
	char cmd[2048];
	const char *client = getenv("WS_TEST_MYSQL");
	FILE *p;
	bool ok;

	snprintf(cmd, sizeof(cmd), "'%s' --no-defaults -h127.0.0.1 -P%u -u'%s' -p'%s' -N -B -e \"%s\" 2>&1",
		 client && *client ? client : "mariadb", port, env.admin_user, env.admin_password, sql);
	p = popen(cmd, "r");
	if (!p)
		return false;
	out[0] = '\0';
	ok = fgets(out, (int)size, p) != NULL;
	out[strcspn(out, "\n")] = '\0';
	return pclose(p) == 0 && ok;
}

static long direct_long(unsigned port, const char *sql)
{
	char v[256];

	return direct(port, sql, v, sizeof(v)) ? strtol(v, NULL, 10) : -1;
}

/* Has the replica at port (server id sid) executed a transaction of its own?
 * Its binlog state then holds a GTID with its own server id. */
static bool errant(unsigned port, long sid)
{
	char state[1024], needle[32];

	if (!direct(port, "SELECT @@GLOBAL.gtid_binlog_state", state, sizeof(state)))
		return true;
	snprintf(needle, sizeof(needle), "-%ld-", sid);
	return strstr(state, needle) != NULL;
}

/* sql (a count) answers `want` on the primary and on every replica. */
static void count_everywhere(const char *sql, long want)
{
	CU_ASSERT_EQUAL(direct_long(env.primary_port, sql), want);
	for (unsigned i = 0; i < env.n_replicas; i++)
		CU_ASSERT_EQUAL(direct_long(env.replica_port[i], sql), want);
}

static void assert_no_errant(void)
{
	for (unsigned i = 0; i < env.n_replicas; i++) {
		CU_ASSERT(!errant(env.replica_port[i], (long)i + 2));
	}
}

static MYSQL *connect_flags(const char *user, const char *pw, unsigned port, unsigned long flags,
			    const char *init_command)
{
	MYSQL *h = mysql_init(NULL);

	if (!h)
		return NULL;
	if (init_command)
		mysql_options(h, MYSQL_INIT_COMMAND, init_command);
	if (!mysql_real_connect(h, "127.0.0.1", user, pw, env.db, port, NULL, flags)) {
		fprintf(stderr, "connect to %u: %s\n", port, mysql_error(h));
		mysql_close(h);
		return NULL;
	}
	return h;
}

/* The JSON value after "key": in the stats, searched from the object that
 * starts at `from` (a unique string), as a number; -1 when absent. */
static long stat_after(const char *from, const char *key)
{
	static char buf[1 << 16];
	char k[64];
	const char *p;

	wescale_stats_json(buf, sizeof(buf));
	if (!(p = strstr(buf, from)))
		return -1;
	snprintf(k, sizeof(k), "\"%s\":", key);
	if (!(p = strstr(p, k)))
		return -1;
	p += strlen(k);
	if (strncmp(p, "true", 4) == 0)
		return 1;
	if (strncmp(p, "false", 5) == 0)
		return 0;
	return strtol(p, NULL, 10);
}

static long node_up(unsigned port)
{
	char from[64];

	snprintf(from, sizeof(from), "\"address\":\"127.0.0.1:%u\"", port);
	return stat_after(from, "up");
}

/* ---- MYSQL_INIT_COMMAND (first: its handles are the first managed ones, the
 * monitor starts with theirs) ---- */

static void test_init_command(void)
{
	char init[128], sql[128];
	int on_replica = 0;

	CU_ASSERT_EQUAL_FATAL(direct_long(env.primary_port, "CREATE OR REPLACE TABLE wstest.guard_init "
				"(id INT AUTO_INCREMENT PRIMARY KEY, sid INT); SELECT 0"), 0);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	snprintf(init, sizeof(init), "INSERT INTO wstest.guard_init (sid) VALUES (@@server_id)");
	for (int c = 0; c < 3; c++) {
		MYSQL *h = connect_flags(env.user, env.password, env.primary_port, 0, init);

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		for (int i = 0; i < 4; i++) {
			long id = wstest_server_id(h);

			CU_ASSERT(id >= 1 && id <= 3);
			on_replica += id == 2 || id == 3;
		}
		mysql_close(h);
	}
	/* The replicas served reads: the init command did not take them out. */
	CU_ASSERT(on_replica >= 6);
	wstest_msleep(700); /* a few monitor rounds */
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	/* Once per application connection, on the primary only. */
	count_everywhere("SELECT COUNT(*) FROM wstest.guard_init", 3);
	count_everywhere("SELECT COUNT(*) FROM wstest.guard_init WHERE sid <> 1", 0);
	assert_no_errant();

	/* One that fails on the replicas (a table only the primary has). */
	CU_ASSERT_EQUAL_FATAL(direct_long(env.primary_port, "SET SESSION sql_log_bin = 0; CREATE OR REPLACE TABLE "
				"wstest.guard_primary_only (a INT); SELECT 0"), 0);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wstest.guard_primary_only");
	{
		MYSQL *h = connect_flags(env.user, env.password, env.primary_port, 0, sql);

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		on_replica = 0;
		for (int i = 0; i < 6; i++) {
			long id = wstest_server_id(h);

			on_replica += id == 2 || id == 3;
		}
		CU_ASSERT(on_replica >= 5);
		mysql_close(h);
	}
	for (unsigned i = 0; i < env.n_replicas; i++)
		CU_ASSERT_EQUAL(node_up(env.replica_port[i]), 1);
}

/* ---- read-only replica sessions ---- */

static void setup_objects(void)
{
	/* Managed, connected after the init-command test's handles (the
	 * process's first: the monitor starts with theirs). */
	if (!admin)
		admin = wstest_connect_admin(&env, env.primary_port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "CREATE OR REPLACE TABLE wstest.guard_t "
				     "(id INT AUTO_INCREMENT PRIMARY KEY, sid INT)"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "CREATE OR REPLACE SEQUENCE wstest.guard_seq"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "DROP TABLE IF EXISTS wstest.guard_x"), 0);
	/* Declared READS SQL DATA, writes all the same (the server does not check). */
	CU_ASSERT_EQUAL_FATAL(wstest_exec(admin, "CREATE OR REPLACE FUNCTION wstest.guard_liar() RETURNS INT "
				     "READS SQL DATA BEGIN INSERT INTO wstest.guard_t (sid) VALUES (@@server_id); "
				     "RETURN 1; END"), 0);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
}

static void test_replica_session_read_only(void)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	setup_objects();
	/* What the session is: read-only, on the pinned replica (server 3). */
	CU_ASSERT_EQUAL_FATAL(mysql_query(admin, "SELECT @@session.tx_read_only, @@server_id /* pin_guard */"), 0);
	res = mysql_store_result(admin);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	row = mysql_fetch_row(res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_STRING_EQUAL(row[0], "1");
	CU_ASSERT_STRING_EQUAL(row[1], "3");
	mysql_free_result(res);
}

/* A READ ONLY transaction runs on a replica, statements and all: one that
 * turns the session read-write must not leave it so. */
static void test_read_only_after_ro_transaction(void)
{
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(wstest_exec(admin, "START TRANSACTION READ ONLY"), 0);
		CU_ASSERT_EQUAL(wstest_exec(admin, "SET SESSION TRANSACTION READ WRITE"), 0);
		CU_ASSERT_EQUAL(wstest_exec(admin, "SET SESSION tx_read_only = 0"), 0);
		CU_ASSERT_EQUAL(wstest_exec(admin, "COMMIT"), 0);
		CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* pin_guard */"), 1);
		CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* wescale:route=replica */"), 1);
	}
}

/* mysql_reset_connection and mysql_change_user reset server sessions: the
 * replica connections used afterwards are read-only all the same. */
static void test_read_only_after_reset_and_change_user(void)
{
	CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* pin_guard */"), 1);
	CU_ASSERT_EQUAL(mysql_reset_connection(admin), 0);
	CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* pin_guard */"), 1);
	CU_ASSERT_EQUAL(mysql_change_user(admin, env.admin_user, env.admin_password, env.db), 0);
	CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* pin_guard */"), 1);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(wstest_query_long(admin, "SELECT @@session.tx_read_only /* wescale:route=replica */"), 1);
}

/* The client library's own reconnect (MYSQL_OPT_RECONNECT) of a replica
 * connection the server killed: read-only again (the init command). */
static void test_read_only_after_reconnect(void)
{
	MYSQL *h = mysql_init(NULL);
	my_bool yes = 1;
	char sql[64];
	long id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	mysql_options(h, MYSQL_OPT_RECONNECT, &yes);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(h, "127.0.0.1", env.admin_user, env.admin_password, env.db,
							env.primary_port, NULL, 0));
	/* The replica connection's id (CONNECTION_ID() is a primary-only
	 * function: no rule moves it to a replica; @@pseudo_thread_id starts
	 * out as the connection's id). */
	id = wstest_query_long(h, "SELECT @@pseudo_thread_id /* pin_guard */");
	CU_ASSERT_FATAL(id > 0);
	snprintf(sql, sizeof(sql), "KILL %ld; SELECT 0", id);
	CU_ASSERT_EQUAL(direct_long(env.replica_port[1], sql), 0);
	wstest_msleep(100);
	/* The first statement may see the connection lost; then it is back. */
	if (wstest_query_long(h, "SELECT @@session.tx_read_only /* pin_guard */") != 1)
		CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@session.tx_read_only /* pin_guard */"), 1);
	CU_ASSERT_NOT_EQUAL(wstest_query_long(h, "SELECT @@pseudo_thread_id /* pin_guard */"), id);
	mysql_close(h);
}

static void test_forced_writes_never_run_on_a_replica(void)
{
	static const char *const writes[] = {
		"INSERT INTO wstest.guard_t (sid) VALUES (@@server_id) /* pin_guard */",
		"CREATE TABLE wstest.guard_x (a INT) /* pin_guard */",
		"SELECT NEXTVAL(wstest.guard_seq) /* pin_guard */",
		"SELECT wstest.guard_liar() /* pin_guard */",
		"SELECT wstest.guard_liar()",
	};
	long before = stat_after("\"name\":\"guard\"", "misrouted"), nextval;
	long ignored = stat_after("\"route_reasons\"", "replica_request_ignored");

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		/* As the SUPER user, whom read_only does not stop: the statement
		 * runs (on the primary), the application sees no error. */
		if (mysql_query(admin, writes[i])) {
			fprintf(stderr, "%s: %s\n", writes[i], mysql_error(admin));
			CU_FAIL("a forced write failed");
		} else {
			mysql_free_result(mysql_store_result(admin));
		}
	}
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	/* Nothing ran on a replica: no row of theirs, no GTID of their own, the
	 * sequence moved once per NEXTVAL. */
	count_everywhere("SELECT COUNT(*) FROM wstest.guard_t WHERE sid <> 1", 0);
	count_everywhere("SELECT COUNT(*) FROM wstest.guard_t", 3);
	assert_no_errant();
	nextval = direct_long(env.primary_port, "SELECT NEXTVAL(wstest.guard_seq)");
	CU_ASSERT_EQUAL(nextval, 2);
	/* The stored function pinned to the replica (nothing in its text
	 * writes: a rule may move it): refused by the replica, run on the
	 * primary, counted. The plain writes never reach a replica: a rule's
	 * route can only make routing safer (counted as ignored). */
	CU_ASSERT(stat_after("\"name\":\"guard\"", "misrouted") >= before + 1);
	CU_ASSERT(stat_after("\"route_reasons\"", "replica_request_ignored") >= ignored + 3);
}

/* ---- capabilities parity ---- */

static void test_no_multi_statements_on_replicas(void)
{
	/* '--' then DEL is a comment to the server: two statements to it. */
	static const char hidden[] = "SELECT 1 --\x7f'\n; DELETE FROM wstest.guard_t WHERE id > 0; -- '";
	MYSQL *h = connect_flags(env.user, env.password, env.primary_port, 0, NULL);
	long rows = direct_long(env.primary_port, "SELECT COUNT(*) FROM wstest.guard_t");

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_NOT_EQUAL(mysql_query(h, "SELECT 1; DELETE FROM wstest.guard_t"), 0);
	CU_ASSERT_EQUAL(mysql_errno(h), ER_PARSE_ERROR);
	for (int i = 0; i < 4; i++) { /* each replica, whatever the balancer's turn */
		CU_ASSERT_NOT_EQUAL(mysql_real_query(h, hidden, sizeof(hidden) - 1), 0);
		CU_ASSERT_EQUAL(mysql_errno(h), ER_PARSE_ERROR);
	}
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	count_everywhere("SELECT COUNT(*) FROM wstest.guard_t", rows);
	/* The consistency wait still works there, as a round trip of its own. */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO wstest.guard_t (sid) VALUES (1)"), 0);
		CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT /* wescale:consistency=session */ COUNT(*) "
						     "FROM wstest.guard_t"), rows + i + 1);
	}
	mysql_close(h);
	assert_no_errant();
}

/* ---- hostile replies ---- */

static void test_monitor_reply_shapes(void)
{
	MYSQL *h = connect_flags("u", "p", shape_primary, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	wstest_msleep(1000); /* several monitor rounds */
	CU_ASSERT_EQUAL(node_up(shape_primary), 1);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(node_up(shape_ports[i]), 0);
	/* Reads go to the primary, not to a node the monitor could not read. */
	{
		char expect[32];
		MYSQL_RES *res;
		MYSQL_ROW row;

		snprintf(expect, sizeof(expect), "fake:%u", shape_primary);
		CU_ASSERT_EQUAL_FATAL(mysql_query(h, "SELECT v FROM t"), 0);
		res = mysql_store_result(h);
		CU_ASSERT_PTR_NOT_NULL_FATAL(res);
		row = mysql_fetch_row(res);
		CU_ASSERT(row && row[0] && strcmp(row[0], expect) == 0);
		mysql_free_result(res);
	}
	mysql_close(h);
}

/* A write (the fake primary reports a GTID), then a read that needs the wait
 * on the fake replica: it must come back as one result from the primary. */
static void wait_then_read(unsigned primary, unsigned replica, unsigned long flags)
{
	static int calls;
	char expect[32];
	MYSQL *h;
	MYSQL_RES *res;
	MYSQL_ROW row;

	for (int i = 0; i < 50 && node_up(replica) != 1; i++)
		wstest_msleep(100);
	CU_ASSERT_EQUAL_FATAL(node_up(replica), 1);
	h = connect_flags("u", "p", primary, flags, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* The fake primary numbers its GTIDs per connection: one more write than
	 * last time, so that no earlier wait taught the replica this position. */
	for (int i = 0; i <= calls; i++)
		CU_ASSERT_EQUAL(mysql_query(h, "INSERT INTO t VALUES (1)"), 0);
	calls++;
	snprintf(expect, sizeof(expect), "fake:%u", primary);
	CU_ASSERT_EQUAL_FATAL(mysql_query(h, "SELECT v FROM t"), 0);
	res = mysql_store_result(h);
	CU_ASSERT_PTR_NOT_NULL(res);
	CU_ASSERT_EQUAL(mysql_errno(h), 0);
	if (res) {
		row = mysql_fetch_row(res);
		if (!(row && row[0] && strcmp(row[0], expect) == 0))
			fprintf(stderr, "flags %lu: got %s, expected %s\n", flags, row && row[0] ? row[0] : "NULL", expect);
		CU_ASSERT(row && row[0] && strcmp(row[0], expect) == 0);
		mysql_free_result(res);
	}
	CU_ASSERT(!mysql_more_results(h));
	mysql_close(h);
}

static void test_wait_fewer_results(void)
{
	wait_then_read(fewer_primary, fewer_replica, CLIENT_MULTI_STATEMENTS);
}

static void test_wait_more_results(void)
{
	wait_then_read(more_primary, more_replica, CLIENT_MULTI_STATEMENTS);
	wait_then_read(more_primary, more_replica, 0);
}

/* ---- set-up ---- */

static unsigned fake(const char *read_only, const char *sid, const char *opt, const char *val)
{
	const char *args[] = { "--read-only", read_only, "--server-id", sid, opt, val, NULL };

	if (!opt)
		args[4] = NULL;
	return wstest_fake_start(python, fake_py, args);
}

static int write_config(void)
{
	FILE *f = fopen(config_path, "w");

	if (!f)
		return -1;
	fprintf(f, "[global]\nlog_level = error\n\n"
		"[cluster guard]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		"load_balance = round_robin\nconsistency = eventual\nhealth_interval_ms = 200\n"
		"read_only_transactions = replica\n\n"
		"[rule pin_guard]\nquery_regex = pin_guard\naction = route\nroute = 127.0.0.1:%u\n\n",
		env.primary_port, env.replica_port[0], env.replica_port[1], env.replica_port[1]);
	fprintf(f, "[cluster fake_shape]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u, "
		"127.0.0.1:%u\nhealth_interval_ms = 100\n\n", shape_primary, shape_ports[0], shape_ports[1],
		shape_ports[2]);
	fprintf(f, "[cluster fake_fewer]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\nhealth_interval_ms = 100\n\n",
		fewer_primary, fewer_replica);
	fprintf(f, "[cluster fake_more]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\nhealth_interval_ms = 100\n\n",
		more_primary, more_replica);
	return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned failures;

	if (argc < 3 || !wstest_env_load(&env) || env.n_replicas < 2)
		return 1;
	fake_py = argv[1];
	python = argv[2];
	shape_primary = fake("0", "201", NULL, NULL);
	shape_ports[0] = fake("1", "202", "--monitor-reply", "one-column");
	shape_ports[1] = fake("1", "203", "--monitor-reply", "null-read-only");
	shape_ports[2] = fake("1", "204", "--monitor-reply", "no-row");
	fewer_primary = fake("0", "211", NULL, NULL);
	fewer_replica = fake("1", "212", "--wait-reply", "fewer");
	more_primary = fake("0", "221", NULL, NULL);
	more_replica = fake("1", "222", "--wait-reply", "more");
	if (!shape_primary || !shape_ports[0] || !shape_ports[1] || !shape_ports[2] || !fewer_primary ||
	    !fewer_replica || !more_primary || !more_replica) {
		fprintf(stderr, "test-guard: fake servers did not start\n");
		wstest_fakes_stop();
		return 1;
	}
	snprintf(config_path, sizeof(config_path), "%s/guard.conf", env.dir);
	if (write_config() < 0 || setenv("WESCALE_CONFIG", config_path, 1) < 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("guard", NULL, NULL);
	CU_add_test(s, "MYSQL_INIT_COMMAND: a write runs once, on the primary; a failing one keeps replicas",
		    test_init_command);
	CU_add_test(s, "replica connections are read-only sessions", test_replica_session_read_only);
	CU_add_test(s, "still read-only after a READ ONLY transaction that set READ WRITE",
		    test_read_only_after_ro_transaction);
	CU_add_test(s, "still read-only after mysql_reset_connection and mysql_change_user",
		    test_read_only_after_reset_and_change_user);
	CU_add_test(s, "still read-only after the client library reconnects by itself", test_read_only_after_reconnect);
	CU_add_test(s, "writes forced onto a replica (SUPER user) run on the primary, counted as misrouted",
		    test_forced_writes_never_run_on_a_replica);
	CU_add_test(s, "no multi-statements on replicas for a handle without them",
		    test_no_multi_statements_on_replicas);
	CU_add_test(s, "monitor: a reply of the wrong shape is a node failure", test_monitor_reply_shapes);
	CU_add_test(s, "wait: fewer result sets than sent is a replica failure", test_wait_fewer_results);
	CU_add_test(s, "wait: more result sets than sent is a replica failure", test_wait_more_results);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (admin)
		mysql_close(admin);
	wstest_fakes_stop();
	CU_cleanup_registry();
	mysql_library_end();
	return failures ? 1 : 0;
}
