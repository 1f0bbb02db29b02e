/*
 * test-replay.c — transaction_replay (issue 8, lib/replay.c): a transaction cut
 * by a failover is replayed on the new primary when it reads the same data
 * there, and nothing is ever committed twice or lost silently. Runs on a
 * topology of its own (it restarts, kills and finally promotes), started and
 * stopped here; every scenario asserts what the server holds afterwards.
 * (rp_t has no AUTO_INCREMENT key on purpose: InnoDB does not hand out again
 * the ids of rows rolled back by the cut, so such an insert comes out with
 * another id on replay, and the transaction is then, rightly, not replayed.)
 *
 *   test-replay SOURCE_DIR             the scenarios, with transaction_replay = on
 *   test-replay SOURCE_DIR replay-off  (run by the first) the same cut with it off
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char self[512], conf_off[512];

/* The number of rows of rp_t with k = key, on the server at port (which,
 * through libwescale, is the cluster's primary: the hint keeps the read there). */
static long count_on(unsigned port, int key)
{
	char sql[100];

	snprintf(sql, sizeof(sql), "/* wescale:route=primary */ SELECT COUNT(*) FROM wstest.rp_t WHERE k = %d", key);
	return wstest_admin_long(&env, port, sql);
}

static long server_id_of(unsigned port)
{
	return wstest_admin_long(&env, port, "/* wescale:route=primary */ SELECT @@server_id");
}

/* A statement whose errno is the result (results consumed). */
static unsigned run(MYSQL *m, const char *sql)
{
	return wstest_exec(m, sql);
}

/* The primary shuts down cleanly and comes back: every connection to it is cut. */
static void restart_primary(void)
{
	wstest_own_topology_node("shutdown", 0);
	wstest_own_topology_node("restart", 0);
}

static MYSQL *open_trx(int key)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	char sql[100];

	if (!m)
		return NULL;
	snprintf(sql, sizeof(sql), "INSERT INTO wstest.rp_t (k) VALUES (%d)", key);
	if (run(m, "BEGIN") || run(m, sql) || wstest_query_long(m, "SELECT bal FROM wstest.rp_acct WHERE id = 1") != 100) {
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* (1) BEGIN; INSERT; SELECT; the primary restarts; the next statement and the
 * COMMIT succeed, and the rows are there exactly once. */
static void test_replayed_after_restart(void)
{
	MYSQL *m = open_trx(1);
	double t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	restart_primary();
	t0 = wstest_now_s();
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (1)"), 0);
	printf("\n      statement after the restart: errno %u, %.2f s", mysql_errno(m), wstest_now_s() - t0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM wstest.rp_t WHERE k = 1"), 2);
	CU_ASSERT_EQUAL(run(m, "COMMIT"), 0);
	CU_ASSERT_EQUAL(count_on(env.primary_port, 1), 2);
	CU_ASSERT_EQUAL(server_id_of(env.primary_port), 1);
	mysql_close(m);
}

/* (2) Another connection changes what the transaction read before the
 * replay: WESCALE_ER_TRX_LOST, and nothing of the transaction is committed. */
static void test_changed_read_not_replayed(void)
{
	MYSQL *m = open_trx(2), *other;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	restart_primary();
	other = wstest_connect_admin(&env, env.primary_port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_EQUAL(run(other, "UPDATE wstest.rp_acct SET bal = 101 WHERE id = 1"), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "INSERT INTO wstest.rp_t (k) VALUES (2)"), 1);
	CU_ASSERT_EQUAL(mysql_errno(m), WESCALE_ER_TRX_LOST);
	printf("\n      %u %s", mysql_errno(m), mysql_error(m));
	/* The handle is usable, and not in a transaction: this commits alone. */
	CU_ASSERT_EQUAL(run(m, "COMMIT"), 0);
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (-2)"), 0);
	CU_ASSERT_EQUAL(count_on(env.primary_port, 2), 0);
	CU_ASSERT_EQUAL(count_on(env.primary_port, -2), 1);
	CU_ASSERT_EQUAL(run(other, "UPDATE wstest.rp_acct SET bal = 100 WHERE id = 1"), 0);
	mysql_close(other);
	mysql_close(m);
}

/* A statement in flight when the primary dies: the primary is stopped
 * (SIGSTOP) so the statement is sent but not read, then killed and started
 * again while the client waits for the answer. */
static void *kill_and_restart(void *arg)
{
	long pid = *(long *)arg;

	wstest_msleep(500);
	kill((pid_t)pid, SIGKILL);
	wstest_msleep(200);
	wstest_own_topology_node("restart", 0);
	return NULL;
}

/* Is process pid stopped (state T in /proc/PID/stat)? */
static bool stopped(long pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'T';
}

/* Stop the primary, send sql on m, kill and restart the primary while m waits
 * for the answer; m's errno (0: it succeeded). */
static unsigned in_flight(MYSQL *m, const char *sql)
{
	long pid = wstest_own_topology_pid(0);
	pthread_t th;
	unsigned e;

	if (pid <= 0)
		return (unsigned)-1;
	kill((pid_t)pid, SIGSTOP);
	for (int i = 0; i < 100 && !stopped(pid); i++)
		wstest_msleep(10);
	if (!stopped(pid))
		return (unsigned)-1;
	pthread_create(&th, NULL, kill_and_restart, &pid);
	e = mysql_query(m, sql) ? mysql_errno(m) : 0;
	pthread_join(th, NULL);
	printf("      %s in flight: %u %s\n", sql, e, mysql_error(m));
	return e;
}

/* (3) transaction_replay = off (in a process of its own: the configuration is
 * read once): WESCALE_ER_TRX_LOST as always; a COMMIT in flight has an unknown
 * outcome (WESCALE_ER_WRITE_UNKNOWN, not "rolled back"); a ROLLBACK in flight
 * has had its effect (the server rolls back a lost connection's transaction):
 * no error; autocommit = 0 holds on the new connection. */
static int replay_off_child(void)
{
	MYSQL *m = open_trx(3);
	unsigned e;
	int bad = 0;

	if (!m)
		return 1;
	restart_primary();
	e = mysql_query(m, "INSERT INTO wstest.rp_t (k) VALUES (3)") ? mysql_errno(m) : 0;
	printf("      replay off: %u %s\n", e, mysql_error(m));
	bad |= !(e == WESCALE_ER_TRX_LOST && count_on(env.primary_port, 3) == 0);
	mysql_close(m);

	m = open_trx(31);
	bad |= !m || in_flight(m, "COMMIT") != WESCALE_ER_WRITE_UNKNOWN;
	bad |= count_on(env.primary_port, 31) != 0; /* the stopped server never read it */
	bad |= !m || wstest_exec(m, "SELECT 1") != 0;
	if (m)
		mysql_close(m);

	m = open_trx(32);
	bad |= !m || in_flight(m, "ROLLBACK") != 0;
	bad |= count_on(env.primary_port, 32) != 0;
	if (m)
		mysql_close(m);

	m = wstest_connect(&env, env.primary_port, env.db);
	bad |= !m || mysql_autocommit(m, 0) != 0 || wstest_exec(m, "INSERT INTO wstest.rp_t (k) VALUES (33)") != 0;
	restart_primary();
	e = m && mysql_query(m, "INSERT INTO wstest.rp_t (k) VALUES (33)") ? mysql_errno(m) : 0;
	bad |= e != WESCALE_ER_TRX_LOST; /* autocommit = 0: always in a transaction */
	bad |= !m || wstest_query_long(m, "/* wescale:route=primary */ SELECT @@autocommit") != 0;
	bad |= !m || wstest_exec(m, "INSERT INTO wstest.rp_t (k) VALUES (33)") != 0 ||
	       wstest_exec(m, "ROLLBACK") != 0;
	bad |= count_on(env.primary_port, 33) != 0; /* nothing committed behind its back */
	printf("      autocommit = 0 after the failover: %s\n", bad ? "checks FAILED" : "kept");
	if (m)
		mysql_close(m);
	return bad ? 1 : 0;
}

static void test_replay_off(void)
{
	printf("\n");
	fflush(stdout);
	CU_ASSERT_EQUAL(wstest_sh("WESCALE_CONFIG=%s %s x replay-off", conf_off, self), 0);
}

/* (4) A COMMIT in flight when the primary dies has an unknown outcome: never
 * replayed, WESCALE_ER_WRITE_UNKNOWN. */
static void test_commit_in_flight(void)
{
	MYSQL *m = open_trx(4);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	printf("\n");
	CU_ASSERT_EQUAL(in_flight(m, "COMMIT"), WESCALE_ER_WRITE_UNKNOWN);
	/* The stopped server never read it; a replay would have committed it. */
	CU_ASSERT_EQUAL(count_on(env.primary_port, 4), 0);
	CU_ASSERT_EQUAL(run(m, "SELECT 1"), 0);
	mysql_close(m);
}

/* (4b) A COMMIT that could not be sent (the server had closed the connection
 * before) is safe: the transaction is replayed and committed, once. */
static void test_commit_not_sent(void)
{
	MYSQL *m = open_trx(5);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	restart_primary();
	CU_ASSERT_EQUAL(run(m, "COMMIT"), 0);
	CU_ASSERT_EQUAL(count_on(env.primary_port, 5), 1);
	mysql_close(m);
}

/* (5) autocommit = 0, a transaction ended by mysql_commit() (not seen as text):
 * only the open transaction is replayed, in autocommit = 0 again. */
static void test_autocommit_off(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mysql_autocommit(m, 0), 0);
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (6)"), 0);
	CU_ASSERT_EQUAL(mysql_commit(m), 0);
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (6)"), 0);
	restart_primary();
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (6)"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT @@autocommit"), 0);
	CU_ASSERT_EQUAL(run(m, "COMMIT"), 0);
	CU_ASSERT_EQUAL(count_on(env.primary_port, 6), 3);
	mysql_close(m);
}

/* (6) kill -9 of the primary and promotion of a replica in the middle of the
 * transaction: replayed there, committed there once. */
static void test_replayed_after_promotion(void)
{
	unsigned promoted = env.replica_port[0], other = env.replica_port[1];
	MYSQL *m, *a;
	char sql[400];
	long id;

	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	m = open_trx(7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	wstest_own_topology_node("kill", 0);
	a = wstest_connect_admin(&env, promoted);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(run(a, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0"), 0);
	mysql_close(a);
	a = wstest_connect_admin(&env, other);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(sql, sizeof(sql),
		 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u, MASTER_USER='repl', "
		 "MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE", promoted);
	CU_ASSERT_EQUAL(run(a, sql), 0);
	mysql_close(a);
	CU_ASSERT_EQUAL(run(m, "INSERT INTO wstest.rp_t (k) VALUES (7)"), 0);
	CU_ASSERT_EQUAL(run(m, "COMMIT"), 0);
	id = wstest_query_long(m, "/* wescale:route=primary */ SELECT @@server_id");
	printf("\n      now on server_id %ld", id);
	CU_ASSERT_EQUAL(id, server_id_of(promoted));
	CU_ASSERT_NOT_EQUAL(id, 1);
	CU_ASSERT_EQUAL(count_on(promoted, 7), 2);
	mysql_close(m);
}

static void test_setup(void)
{
	MYSQL *a = wstest_connect_admin(&env, env.primary_port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(run(a, "CREATE TABLE wstest.rp_t (k INT) ENGINE=InnoDB;"
			       "CREATE TABLE wstest.rp_acct (id INT PRIMARY KEY, bal INT) ENGINE=InnoDB;"
			       "INSERT INTO wstest.rp_acct VALUES (1, 100)"), 0);
	mysql_close(a);
	CU_ASSERT(wstest_sync_replicas(&env));
}

static int write_config(const char *path, const char *replay)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "[cluster rp]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "health_interval_ms = 200\nfailover_timeout_ms = 20000\ntransaction_replay = %s\n",
		env.primary_port, env.replica_port[0], env.replica_port[1], replay);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	char conf_on[512];
	CU_pSuite s;
	unsigned failures;

	if (argc < 2) {
		fprintf(stderr, "usage: test-replay SOURCE_DIR\n");
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "replay-off") == 0)
		return wstest_env_load(&env) ? replay_off_child() : 1;
	snprintf(self, sizeof(self), "%s", argv[0]);
	if (!wstest_own_topology(argv[1], "replay", &env))
		return 1;
	snprintf(conf_on, sizeof(conf_on), "%s/replay-on.conf", env.dir);
	snprintf(conf_off, sizeof(conf_off), "%s/replay-off.conf", env.dir);
	if (write_config(conf_on, "on") < 0 || write_config(conf_off, "off") < 0) {
		wstest_own_topology_stop();
		return 1;
	}
	/* Read at the first client call. */
	setenv("WESCALE_CONFIG", conf_on, 1);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("replay", NULL, NULL);
	CU_add_test(s, "set-up", test_setup);
	CU_add_test(s, "primary restarts mid-transaction: replayed, committed once", test_replayed_after_restart);
	CU_add_test(s, "a read differs on the new primary: 2904, nothing committed", test_changed_read_not_replayed);
	CU_add_test(s, "transaction_replay = off: 2904; COMMIT in flight 2903; ROLLBACK in flight ok; autocommit=0 kept",
		    test_replay_off);
	CU_add_test(s, "COMMIT in flight: 2903, never replayed", test_commit_in_flight);
	CU_add_test(s, "COMMIT not sent (connection closed before): replayed, committed once", test_commit_not_sent);
	CU_add_test(s, "autocommit = 0 after mysql_commit(): only the open transaction replayed", test_autocommit_off);
	CU_add_test(s, "kill -9 + promotion mid-transaction: replayed on the new primary", test_replayed_after_promotion);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_library_end();
	wstest_own_topology_stop();
	return failures ? 1 : 0;
}
