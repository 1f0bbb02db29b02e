/*
 * test-chaos.c — 64 threads, each with its own handle, run writes, read-backs,
 * prepared reads and transactions while a replica is killed and restarted and
 * the primary is switched over (docs/architecture.md, docs/failover.md). On a topology of its own.
 *
 * Transactions begin on replicas (optimistic_transactions = on) and move to
 * the primary at their write.
 *
 * Asserted: no crash and no deadlock (the run ends on time), every
 * acknowledged write is on the new primary, no read at `session` consistency
 * is stale, the only errors are transactions cut by the switchover (with a
 * clear message), and the process's descriptors and memory are flat after.
 *
 *   test-chaos SOURCE_DIR
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

#define THREADS 64
#define MAX_ACKS 100000

static struct wstest_env env;
static int stop;

struct worker {
	pthread_t th;
	int id;
	int *acked;
	long n_acked, reads, stale, trx_aborted, other_errors;
	char other_error[300];
};

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = atol(line + 6);
	if (f)
		fclose(f);
	return v;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	MYSQL_STMT *st;
	char sql[200];
	int seq = 0;

	if (!m) {
		w->other_errors++;
		return NULL;
	}
	st = mysql_stmt_init(m);
	if (mysql_stmt_prepare(st, "SELECT COUNT(*) FROM chaos_t", 28))
		w->other_errors++;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && w->n_acked < MAX_ACKS) {
		bool trx = (seq % 10) == 9;
		long v;

		seq++;
		snprintf(sql, sizeof(sql), "INSERT INTO chaos_t (t, seq, v) VALUES (%d, %d, %d)", w->id, seq, seq);
		if (trx) {
			char count[96];

			/* A short transaction that reads, then writes: it begins on a
			 * replica (optimistic_transactions = on) and moves to the
			 * primary at its INSERT, its read verified there. Cut by the
			 * switchover or a killed replica, it fails clearly. */
			snprintf(count, sizeof(count), "SELECT COUNT(*) FROM chaos_t WHERE t = %d", w->id);
			if (wstest_exec(m, "BEGIN") || wstest_query_long(m, count) < 0 ||
			    wstest_exec(m, sql) || mysql_commit(m)) {
				w->trx_aborted++;
				mysql_rollback(m);
				continue;
			}
		} else if (mysql_query(m, sql)) {
			w->other_errors++;
			snprintf(w->other_error, sizeof(w->other_error), "%u %s", mysql_errno(m), mysql_error(m));
			continue;
		}
		w->acked[w->n_acked++] = seq;
		/* Read it back at once (session consistency): never stale. */
		snprintf(sql, sizeof(sql), "SELECT v FROM chaos_t WHERE t = %d AND seq = %d", w->id, seq);
		v = wstest_query_long(m, sql);
		w->reads++;
		if (v != seq)
			w->stale++;
		if (mysql_stmt_execute(st) || mysql_stmt_store_result(st)) {
			w->other_errors++;
			snprintf(w->other_error, sizeof(w->other_error), "stmt %u %s", mysql_stmt_errno(st),
				 mysql_stmt_error(st));
		}
		mysql_stmt_free_result(st);
	}
	mysql_stmt_close(st);
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

static void admin(unsigned port, const char *sql)
{
	MYSQL *a = wstest_connect_admin(&env, port);

	CU_ASSERT_PTR_NOT_NULL(a);
	if (a) {
		CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
		mysql_close(a);
	}
}

/* Graceful switchover to replica 1, as an orchestrator does it. */
static void switchover(void)
{
	char sql[400];
	MYSQL *a;
	long pos_ok;

	admin(env.primary_port, "SET GLOBAL read_only = 1");
	/* Replica 1 catches up with everything the old primary committed. */
	a = wstest_connect_admin(&env, env.primary_port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	{
		MYSQL_RES *res;
		MYSQL_ROW row;
		char pos[256] = "";

		if (mysql_query(a, "/* wescale:route=primary */ SELECT @@gtid_binlog_pos") == 0 &&
		    (res = mysql_store_result(a))) {
			row = mysql_fetch_row(res);
			snprintf(pos, sizeof(pos), "%s", row && row[0] ? row[0] : "");
			mysql_free_result(res);
		}
		mysql_close(a);
		a = wstest_connect_admin(&env, env.replica_port[0]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 30)", pos);
		pos_ok = wstest_query_long(a, sql);
		CU_ASSERT_EQUAL(pos_ok, 0);
		mysql_close(a);
	}
	admin(env.replica_port[0], "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0");
	snprintf(sql, sizeof(sql),
		 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u, MASTER_USER='repl', "
		 "MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE",
		 env.replica_port[0]);
	admin(env.replica_port[1], sql);
	admin(env.primary_port, sql + strlen("STOP SLAVE; ")); /* the old primary follows the new one */
}

static void test_chaos(void)
{
	struct worker *w = calloc(THREADS, sizeof(*w));
	long fds_before, fds_after, rss_before, rss_after, acked = 0, reads = 0, stale = 0, aborted = 0, other = 0, moved;
	long missing = 0;
	time_t t0 = time(NULL);
	MYSQL *a;
	char sql[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* Warm up: the monitor thread and the library's one-time state exist. */
	a = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(wstest_exec(a, "CREATE TABLE chaos_t (t INT, seq INT, v INT, PRIMARY KEY (t, seq))"), 0);
	CU_ASSERT(wstest_query_long(a, "SELECT COUNT(*) FROM chaos_t") >= 0);
	mysql_close(a);
	wstest_msleep(500);
	fds_before = count_fds();
	rss_before = rss_kb();

	for (int i = 0; i < THREADS; i++) {
		w[i].id = i + 1;
		w[i].acked = calloc(MAX_ACKS, sizeof(int));
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	wstest_msleep(2000);
	wstest_own_topology_node("kill", 2); /* replica 2 dies */
	wstest_msleep(2000);
	wstest_own_topology_node("restart", 2);
	wstest_msleep(2000);
	switchover(); /* replica 1 becomes the primary */
	wstest_msleep(5000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].th, NULL);
		acked += w[i].n_acked;
		reads += w[i].reads;
		stale += w[i].stale;
		aborted += w[i].trx_aborted;
		other += w[i].other_errors;
		if (w[i].other_errors)
			printf("\n      thread %d: %ld errors, last: %s", w[i].id, w[i].other_errors, w[i].other_error);
	}
	wstest_msleep(1500); /* idle replica connections are gone, the monitor settled */
	fds_after = count_fds();
	rss_after = rss_kb();

	/* Every acknowledged write is on the new primary. */
	a = wstest_connect_admin(&env, env.replica_port[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (int i = 0; i < THREADS; i++) {
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wstest.chaos_t WHERE t = %d", w[i].id);
		if (wstest_query_long(a, sql) < w[i].n_acked)
			missing++;
		for (long k = 0; k < w[i].n_acked; k += 97) {
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wstest.chaos_t WHERE t = %d AND seq = %d", w[i].id,
				 w[i].acked[k]);
			missing += wstest_query_long(a, sql) != 1;
		}
	}
	mysql_close(a);
	{
		static char stats[1 << 16];
		const char *p;

		wescale_stats_json(stats, sizeof(stats));
		p = strstr(stats, "\"optimistic_transactions\":{\"migrations\":");
		moved = p ? strtol(p + strlen("\"optimistic_transactions\":{\"migrations\":"), NULL, 10) : -1;
	}
	printf("\n      %d threads, %ld s: %ld acknowledged writes (%ld missing), %ld read-backs (%ld stale), "
	       "%ld transactions moved from a replica, %ld cut by the switchover, %ld other errors; fds %ld -> %ld, "
	       "RSS %ld -> %ld kB",
	       THREADS, (long)(time(NULL) - t0), acked, missing, reads, stale, moved, aborted, other, fds_before,
	       fds_after, rss_before, rss_after);
	CU_ASSERT(moved > 100);
	CU_ASSERT(acked > 1000);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(stale, 0);
	CU_ASSERT_EQUAL(other, 0);
	CU_ASSERT(aborted <= THREADS); /* at most one cut transaction per thread */
	CU_ASSERT(fds_after <= fds_before + 2);
#ifndef __SANITIZE_ADDRESS__
	/* (Under AddressSanitizer freed memory sits in its quarantine: RSS says
	 * nothing there, and the sanitizer checks leaks itself.) */
	CU_ASSERT(rss_after < rss_before + 64 * 1024); /* the handles' memory went back */
#endif
	for (int i = 0; i < THREADS; i++)
		free(w[i].acked);
	free(w);
}

int main(int argc, char **argv)
{
	char cfg[512];
	CU_pSuite s;
	unsigned failures;
	FILE *f;

	if (argc < 2)
		return 1;
	if (!wstest_own_topology(argv[1], "chaos", &env))
		return 1;
	snprintf(cfg, sizeof(cfg), "%s/chaos.conf", env.dir);
	f = fopen(cfg, "w");
	if (!f)
		return 1;
	fprintf(f, "[cluster chaos]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "health_interval_ms = 200\nfailover_timeout_ms = 20000\nreplica_read_timeout_ms = 2000\n"
		   "replica_idle_timeout_ms = 500\nconsistency = session\noptimistic_transactions = on\n",
		env.primary_port, env.replica_port[0], env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", cfg, 1);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("chaos", NULL, NULL);
	CU_add_test(s, "64 threads through a replica kill/restart and a switchover", test_chaos);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_library_end();
	wstest_own_topology_stop();
	return failures ? 1 : 0;
}
