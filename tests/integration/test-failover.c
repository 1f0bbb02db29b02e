/*
 * test-failover.c — the primary goes away under load; the application keeps its
 * handles (docs/failover.md). Runs on a topology of its own (it promotes a replica,
 * which changes the topology for good), started and stopped here.
 *
 * Semi-synchronous replication (AFTER_SYNC) is on, as in any deployment that
 * promises not to lose acknowledged writes on failover: a commit is
 * acknowledged only once a replica has it, and the most advanced replica is
 * promoted, as an orchestrator would.
 *
 *   test-failover SOURCE_DIR
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

#include <CUnit/Basic.h>
#include <errmsg.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static const char *srcdir;
static char topo_dir[256];

#define THREADS 4
#define MAX_ACKS 200000

struct worker {
	pthread_t th;
	int n;
	int *acked;          /* sequence numbers the server acknowledged */
	long n_acked;
	long errors, stmt_errors, state_errors;
	char last_error[600], first_error[600];
	double first_error_at, recovered_at; /* for the stall figure */
};

static int stop;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	MYSQL_STMT *st;
	MYSQL_BIND p, r;
	int seq = 0, count = 0;
	char sql[200];

	if (!m) {
		w->errors++;
		return NULL;
	}
	/* Session state that must survive the switch. */
	if (wstest_exec(m, "SET NAMES utf8mb4 COLLATE utf8mb4_bin") || mysql_select_db(m, "wstest2"))
		w->errors++;
	st = mysql_stmt_init(m);
	if (mysql_stmt_prepare(st, "SELECT COUNT(*) FROM wstest.fo_t WHERE t = ?", 44))
		w->stmt_errors++;
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONG;
	p.buffer = &w->n;
	memset(&r, 0, sizeof(r));
	r.buffer_type = MYSQL_TYPE_LONG;
	r.buffer = &count;
	mysql_stmt_bind_param(st, &p);
	mysql_stmt_bind_result(st, &r);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && w->n_acked < MAX_ACKS) {
		seq++;
		snprintf(sql, sizeof(sql), "INSERT INTO wstest.fo_t (t, seq) VALUES (%d, %d)", w->n, seq);
		if (mysql_query(m, sql)) {
			w->errors++;
			snprintf(w->last_error, sizeof(w->last_error), "%u %s", mysql_errno(m), mysql_error(m));
			if (!w->first_error_at) {
				w->first_error_at = wstest_now_s();
				snprintf(w->first_error, sizeof(w->first_error), "%s", w->last_error);
			}
			continue;
		}
		w->acked[w->n_acked++] = seq;
		if (w->first_error_at && !w->recovered_at)
			w->recovered_at = wstest_now_s();
		/* A prepared read: keeps working across the switch. */
		if (mysql_stmt_execute(st) || mysql_stmt_store_result(st) || mysql_stmt_fetch(st)) {
			w->stmt_errors++;
			snprintf(w->last_error, sizeof(w->last_error), "stmt %u %s", mysql_stmt_errno(st),
				 mysql_stmt_error(st));
		}
		mysql_stmt_free_result(st);
	}
	/* The state is right on the (new) primary. */
	if (mysql_query(m, "/* wescale:route=primary */ SELECT @@collation_connection, DATABASE()") == 0) {
		MYSQL_RES *res = mysql_store_result(m);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

		if (!row || strcmp(row[0], "utf8mb4_bin") != 0 || strcmp(row[1], "wstest2") != 0)
			w->state_errors++;
		mysql_free_result(res);
	} else {
		w->state_errors++;
	}
	mysql_stmt_close(st);
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

static void run_load(struct worker *w, int first_id, void (*fault)(void))
{
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].n = first_id + i; /* each scenario writes its own keys */
		w[i].acked = calloc(MAX_ACKS, sizeof(int));
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	wstest_msleep(1000);
	fault();
	wstest_msleep(2500);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].th, NULL);
}

/* Every acknowledged insert of every worker is on the server at port. */
static long missing_acks(struct worker *w, unsigned port)
{
	MYSQL *a = wstest_connect_admin(&env, port);
	long missing = 0;
	char sql[200];

	if (!a)
		return -1;
	for (int i = 0; i < THREADS; i++) {
		long n;

		snprintf(sql, sizeof(sql), "SELECT COUNT(DISTINCT seq) FROM wstest.fo_t WHERE t = %d", w[i].n);
		n = wstest_query_long(a, sql);
		/* Every acked seq must be there; unacked ones (outcome unknown) may be. */
		for (long k = 0; k < w[i].n_acked; k++) {
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wstest.fo_t WHERE t = %d AND seq = %d", w[i].n,
				 w[i].acked[k]);
			if (k % 50 == 0 || k == w[i].n_acked - 1) /* sample, and the last one */
				missing += wstest_query_long(a, sql) != 1;
		}
		if (n < w[i].n_acked)
			missing++;
	}
	mysql_close(a);
	return missing;
}

static void report(const char *what, struct worker *w)
{
	long acked = 0;
	double stall = 0;

	for (int i = 0; i < THREADS; i++) {
		acked += w[i].n_acked;
		if (w[i].first_error_at && w[i].recovered_at && w[i].recovered_at - w[i].first_error_at > stall)
			stall = w[i].recovered_at - w[i].first_error_at;
	}
	printf("\n      %s: %ld acknowledged inserts; errors per thread:", what, acked);
	for (int i = 0; i < THREADS; i++)
		printf(" %ld/%ld/%ld", w[i].errors, w[i].stmt_errors, w[i].state_errors);
	if (stall > 0)
		printf("; longest stall seen by a thread that got an error %.2f s", stall);
	for (int i = 0; i < THREADS; i++)
		if (w[i].last_error[0])
			printf("\n        thread %d first error: %s; last error: %s", i + 1, w[i].first_error,
			       w[i].last_error);
}

/* ---- scenario A: clean shutdown + restart of the primary ---- */

static void fault_restart(void)
{
	wstest_sh("%s shutdown %s 0", getenv("WS_TEST_TOPOLOGY"), topo_dir);
	wstest_msleep(1000);
	wstest_sh("%s restart %s 0 >/dev/null", getenv("WS_TEST_TOPOLOGY"), topo_dir);
}

static void test_clean_restart(void)
{
	struct worker w[THREADS];
	double t0 = wstest_now_s();

	run_load(w, 1, fault_restart);
	report("clean restart", w);
	printf(" (%.1f s)", wstest_now_s() - t0);
	/*
	 * Idle connections that the shutting-down server closed are seen before
	 * a write goes out: no error. A write in flight at the very moment the
	 * server closes its connection is indistinguishable from one lost after
	 * it committed: the application gets "outcome unknown" for it, never a
	 * silent loss or a double write (and never any other error).
	 */
	for (int i = 0; i < THREADS; i++) {
		CU_ASSERT(w[i].errors <= 1);
		if (w[i].errors)
			CU_ASSERT_PTR_NOT_NULL(strstr(w[i].last_error, "outcome unknown"));
		CU_ASSERT_EQUAL(w[i].stmt_errors, 0);
		CU_ASSERT_EQUAL(w[i].state_errors, 0);
		CU_ASSERT(w[i].n_acked > 10);
	}
	CU_ASSERT_EQUAL(missing_acks(w, env.primary_port), 0);
	for (int i = 0; i < THREADS; i++)
		free(w[i].acked);
}

/* ---- replicas failing under reads ---- */

static void test_replica_killed_during_store_result(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	char backend[64], port_s[16];
	MYSQL_RES *res;
	unsigned node;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL), 0);
	/* A large read; once its header is in, kill the replica serving it. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_500000"), 0);
	CU_ASSERT_EQUAL_FATAL(wescale_last_backend(m, backend, sizeof(backend)), 0);
	snprintf(port_s, sizeof(port_s), "%u", env.replica_port[0]);
	node = strstr(backend, port_s) ? 1 : 2;
	wstest_sh("%s kill %s %u", getenv("WS_TEST_TOPOLOGY"), topo_dir, node);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL(res);
	if (res) {
		CU_ASSERT_EQUAL(mysql_num_rows(res), 500000);
		mysql_free_result(res);
	}
	CU_ASSERT_EQUAL(mysql_errno(m), 0);
	CU_ASSERT_EQUAL(wescale_last_backend(m, port_s, sizeof(port_s)), 0);
	printf("\n      replica %s killed during store_result: %s, now served by %s", backend,
	       res ? "all 500000 rows delivered" : "error", port_s);
	wstest_sh("%s restart %s %u >/dev/null", getenv("WS_TEST_TOPOLOGY"), topo_dir, node);
	mysql_close(m);
	CU_ASSERT(wstest_sync_replicas(&env));
}

struct reader {
	pthread_t th;
	long reads, errors;
	double slowest;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	if (!m) {
		r->errors++;
		return NULL;
	}
	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		double t0 = wstest_now_s(), t;

		if (wstest_query_long(m, "SELECT COUNT(*) FROM seq_1_to_1000") != 1000)
			r->errors++;
		else
			r->reads++;
		t = wstest_now_s() - t0;
		if (t > r->slowest)
			r->slowest = t;
	}
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

static void test_replica_stalled(void)
{
	struct reader r[2];
	long pid = wstest_own_topology_pid(1);
	double slowest = 0;

	CU_ASSERT_FATAL(pid > 0);
	memset(r, 0, sizeof(r));
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i].th, NULL, reader_main, &r[i]);
	wstest_msleep(500);
	kill((pid_t)pid, SIGSTOP); /* the replica hangs: no error, no answer */
	wstest_msleep(3000);
	kill((pid_t)pid, SIGCONT);
	wstest_msleep(500);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i].th, NULL);
		if (r[i].slowest > slowest)
			slowest = r[i].slowest;
	}
	printf("\n      replica stalled (SIGSTOP) 3 s: %ld + %ld reads, %ld + %ld errors, slowest read %.2f s",
	       r[0].reads, r[1].reads, r[0].errors, r[1].errors, slowest);
	CU_ASSERT_EQUAL(r[0].errors + r[1].errors, 0);
	CU_ASSERT(slowest < 2.5); /* moved away after the 1 s read timeout, not after the stall */
	CU_ASSERT(r[0].reads + r[1].reads > 100);
	CU_ASSERT(wstest_sync_replicas(&env));
}

/* ---- scenario B: kill -9 the primary, promote a replica ---- */

static unsigned promoted_port;

static long gtid_seq(unsigned port)
{
	return wstest_admin_long(&env, port, "SELECT SUBSTRING_INDEX(@@gtid_current_pos, '-', -1)");
}

static void fault_kill_and_promote(void)
{
	unsigned p1 = env.replica_port[0], p2 = env.replica_port[1], other;
	MYSQL *a;
	char sql[400];

	wstest_sh("%s kill %s 0", getenv("WS_TEST_TOPOLOGY"), topo_dir);
	wstest_msleep(300);
	/* Promote the most advanced replica; repoint the other to it. */
	if (gtid_seq(p2) > gtid_seq(p1)) {
		promoted_port = p2;
		other = p1;
	} else {
		promoted_port = p1;
		other = p2;
	}
	a = wstest_connect_admin(&env, promoted_port);
	if (a) {
		wstest_exec(a, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL rpl_semi_sync_slave_enabled=0, "
			       "rpl_semi_sync_master_enabled=1, read_only=0");
		mysql_close(a);
	}
	a = wstest_connect_admin(&env, other);
	if (a) {
		snprintf(sql, sizeof(sql),
			 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u, MASTER_USER='repl', "
			 "MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE",
			 promoted_port);
		wstest_exec(a, sql);
		mysql_close(a);
	}
}

static void test_kill_and_promote(void)
{
	struct worker w[THREADS];

	run_load(w, 101, fault_kill_and_promote);
	report("kill -9 + promote", w);
	for (int i = 0; i < THREADS; i++) {
		CU_ASSERT(w[i].errors <= 1); /* at most the write in flight: outcome unknown */
		CU_ASSERT_EQUAL(w[i].stmt_errors, 0);
		CU_ASSERT_EQUAL(w[i].state_errors, 0);
		CU_ASSERT(w[i].recovered_at > 0 || w[i].errors == 0);
		if (w[i].errors)
			CU_ASSERT_PTR_NOT_NULL(strstr(w[i].last_error, "outcome unknown"));
	}
	CU_ASSERT_EQUAL(missing_acks(w, promoted_port), 0);
	for (int i = 0; i < THREADS; i++)
		free(w[i].acked);
}

/* The configuration is read at the first client call: write it first. */
static int write_config(void)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/failover.conf", topo_dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "[cluster fo]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "health_interval_ms = 200\nfailover_timeout_ms = 20000\nconsistency = session\n"
		   "replica_read_timeout_ms = 1000\n",
		env.primary_port, env.replica_port[0], env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", path, 1);
	return 0;
}

/* ---- scenario C: the promoted replica lacks acknowledged writes ---- */

static int lost_logged;

static void on_log(int level, const char *msg, void *ud)
{
	(void)ud;
	if (level == WESCALE_LOG_ERROR && strstr(msg, "lost writes"))
		__atomic_store_n(&lost_logged, 1, __ATOMIC_RELAXED);
}

static void test_lost_writes_detected(void)
{
	unsigned lagging = promoted_port == env.replica_port[0] ? env.replica_port[1] : env.replica_port[0];
	unsigned lagging_node = lagging == env.replica_port[0] ? 1 : 2;
	unsigned primary_node = promoted_port == env.replica_port[0] ? 1 : 2;
	MYSQL *m, *a;
	double t0;

	/* The remaining replica falls behind on purpose; writes are acknowledged
	 * without it (asynchronous replication). */
	a = wstest_connect_admin(&env, lagging);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=600; START SLAVE"), 0);
	mysql_close(a);
	a = wstest_connect_admin(&env, promoted_port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "SET GLOBAL rpl_semi_sync_master_enabled=0"), 0);
	mysql_close(a);
	wescale_set_log_callback(on_log, NULL);
	m = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO wstest.fo_t (t, seq) VALUES (999, LAST_INSERT_ID() + 1 + RAND() * 1000000)"), 0);
	/* The primary dies; the lagging replica is promoted without those writes. */
	wstest_sh("%s kill %s %u", getenv("WS_TEST_TOPOLOGY"), topo_dir, primary_node);
	a = wstest_connect_admin(&env, lagging);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0"), 0);
	mysql_close(a);
	t0 = wstest_now_s();
	/* The next statement fails over; the loss is detected and logged. */
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO wstest.fo_t (t, seq) VALUES (998, 1)"), 0);
	CU_ASSERT(__atomic_load_n(&lost_logged, __ATOMIC_RELAXED));
	/* Reads at session consistency do not wait for GTIDs that will never come. */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM wstest.fo_t WHERE t = 998"), 1);
	printf("\n      lost writes on promotion of a lagging replica: %s, switch + read %.2f s",
	       lost_logged ? "detected and logged" : "NOT detected", wstest_now_s() - t0);
	wescale_set_log_callback(NULL, NULL);
	mysql_close(m);
	(void)lagging_node;
}

static void test_setup(void)
{
	MYSQL *a = wstest_connect_admin(&env, env.primary_port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "CREATE TABLE wstest.fo_t (t INT, seq INT, PRIMARY KEY (t, seq))"), 0);
	mysql_close(a);
	CU_ASSERT(wstest_sync_replicas(&env));
}

/* Semi-sync (AFTER_SYNC): the primary acknowledges a commit only once a
 * replica has it, so promoting the most advanced replica loses no
 * acknowledged write. (A write in flight during a clean shutdown would then
 * wait for an acknowledgement that never comes, so the rolling-restart
 * scenario runs before this, as asynchronous replication.) */
static void test_semi_sync(void)
{
	MYSQL *a = wstest_connect_admin(&env, env.primary_port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "SET GLOBAL rpl_semi_sync_master_enabled=1, "
				       "rpl_semi_sync_master_wait_point='AFTER_SYNC', rpl_semi_sync_master_timeout=10000"), 0);
	mysql_close(a);
	for (unsigned i = 0; i < env.n_replicas; i++) {
		a = wstest_connect_admin(&env, env.replica_port[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, "SET GLOBAL rpl_semi_sync_slave_enabled=1; STOP SLAVE IO_THREAD;"
					       "START SLAVE IO_THREAD"), 0);
		mysql_close(a);
	}
	CU_ASSERT(wstest_sync_replicas(&env));
}

int main(int argc, char **argv)
{
	char cmd[1024], envfile[512];
	CU_pSuite s;
	unsigned failures;

	if (argc < 2) {
		fprintf(stderr, "usage: test-failover SOURCE_DIR\n");
		return 1;
	}
	srcdir = argv[1];
	/* A topology of our own. */
	snprintf(topo_dir, sizeof(topo_dir), "/tmp/wescale-failover.%d", (int)getpid());
	setenv("WS_TEST_TOPOLOGY", "", 0);
	snprintf(cmd, sizeof(cmd), "%s/tests/topology.sh", srcdir);
	setenv("WS_TEST_TOPOLOGY", cmd, 1);
	if (wstest_sh("%s start %s >/dev/null", cmd, topo_dir) != 0)
		return 1;
	snprintf(envfile, sizeof(envfile), "%s/env", topo_dir);
	/* Load its variables into our environment. */
	{
		FILE *f = fopen(envfile, "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f)) {
			char *p = line + strlen("export "), *q;

			while (p && *p) {
				char *eq = strchr(p, '='), *end;

				if (!eq)
					break;
				*eq = '\0';
				q = eq + 1;
				if (*q == '\'') {
					q++;
					end = strchr(q, '\'');
				} else {
					end = q + strcspn(q, " \n");
				}
				if (!end)
					break;
				*end = '\0';
				setenv(p, q, 1);
				p = end + 1;
				while (*p == ' ')
					p++;
				if (*p == '\n')
					break;
			}
		}
		if (f)
			fclose(f);
	}
	if (!wstest_env_load(&env) || write_config() < 0) {
		wstest_sh("%s stop %s", cmd, topo_dir);
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("failover", NULL, NULL);
	CU_add_test(s, "set-up", test_setup);
	CU_add_test(s, "replica killed during a large mysql_store_result: retried invisibly", test_replica_killed_during_store_result);
	CU_add_test(s, "replica stalled (SIGSTOP): reads move away within the read timeout", test_replica_stalled);
	CU_add_test(s, "clean shutdown + restart of the primary: 0 errors", test_clean_restart);
	CU_add_test(s, "semi-synchronous replication on", test_semi_sync);
	CU_add_test(s, "kill -9 the primary, promote a replica", test_kill_and_promote);
	CU_add_test(s, "lost writes after promoting a lagging replica are detected", test_lost_writes_detected);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_library_end();
	wstest_sh("%s stop %s", cmd, topo_dir);
	return failures ? 1 : 0;
}
