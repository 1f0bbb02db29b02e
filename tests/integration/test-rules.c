/*
 * test-rules.c — query rules and statistics on a real topology (issue 9).
 *
 * One configuration with a fail rule (unbounded DELETE), a route rule (report
 * queries pinned to replica 2), a concurrency limit (SELECT SLEEP: 2 at a time,
 * waiters give up after 150 ms) and a rule with a broken regex (reported with
 * file:line, the others still load). The servers are asked what they saw:
 * rows, @@server_id, SHOW PROCESSLIST.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char config_path[512], stats_path[512], socket_path[512];
static const char *cli;
static MYSQL *m;

static int write_config(const char *extra_rule)
{
	FILE *f = fopen(config_path, "w");

	if (!f)
		return -1;
	fprintf(f, "[global]\nstats_socket = %s\n\n", socket_path);
	fprintf(f,
		"[cluster rules]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		"load_balance = round_robin\nconsistency = session\nhealth_interval_ms = 200\n\n"
		"[rule no_unbounded_delete]\npriority = 10\nmatch_kind = delete\n"
		"query_regex = ^\\s*delete\\s+from\\s+[`\\w.]+\\s*;?\\s*$\naction = fail\n"
		"error_message = unbounded DELETE is not allowed\n\n"
		"[rule broken]\npriority = 15\nquery_regex = (unclosed\naction = fail\n\n"
		"[rule reports]\npriority = 20\nquery_regex = report_query\naction = route\nroute = 127.0.0.1:%u\n\n"
		"[rule sleepers]\npriority = 30\nquery_regex = ^select sleep\naction = limit\nmax_concurrency = 2\n"
		"max_queue = 16\nqueue_timeout_ms = 150\n\n%s",
		env.primary_port, env.replica_port[0], env.replica_port[1], env.replica_port[1],
		extra_rule ? extra_rule : "");
	fclose(f);
	return 0;
}

static void test_fail_rule(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE OR REPLACE TABLE rules_t (id INT PRIMARY KEY)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO rules_t VALUES (1), (2), (3)"), 0);
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "DELETE FROM rules_t"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), WESCALE_ER_RULE_FAIL);
	CU_ASSERT_STRING_EQUAL(mysql_error(m), "unbounded DELETE is not allowed");
	CU_ASSERT_STRING_EQUAL(mysql_sqlstate(m), "HY000");
	/* It never reached the server; a bounded DELETE does. */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT /* wescale:route=primary */ COUNT(*) FROM rules_t"), 3);
	CU_ASSERT_EQUAL(mysql_query(m, "DELETE FROM rules_t WHERE id = 1"), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), 1);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM rules_t"), 2);
}

static void test_route_rule(void)
{
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT /* report_query */ @@server_id"), 3);
	/* Other reads are still balanced. */
	{
		int seen2 = 0;

		for (int i = 0; i < 6; i++)
			seen2 += wstest_query_long(m, "SELECT @@server_id") == 2;
		CU_ASSERT(seen2 >= 2);
	}
}

/* ---- the concurrency limit ---- */

struct sleeper {
	pthread_t th;
	unsigned err;
	char msg[300];
	double seconds;
};

static int watching;
static long max_seen;

static void *watch(void *arg)
{
	MYSQL *w[3];
	unsigned ports[3] = { env.primary_port, env.replica_port[0], env.replica_port[1] };

	(void)arg;
	for (int i = 0; i < 3; i++)
		w[i] = wstest_connect_admin(&env, ports[i]);
	while (__atomic_load_n(&watching, __ATOMIC_RELAXED)) {
		long n = 0;

		for (int i = 0; i < 3; i++) {
			if (!w[i])
				continue;
			if (i == 0)
				wescale_route_next(w[i], WESCALE_ROUTE_PRIMARY);
			n += wstest_query_long(w[i], "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
						     "WHERE INFO LIKE 'SELECT SLEEP%'");
		}
		if (n > max_seen)
			max_seen = n;
		wstest_msleep(10);
	}
	for (int i = 0; i < 3; i++)
		if (w[i])
			mysql_close(w[i]);
	mysql_thread_end();
	return NULL;
}

static void *sleep_one(void *arg)
{
	struct sleeper *sl = arg;
	MYSQL *h = wstest_connect(&env, env.primary_port, env.db);
	struct timespec t0, t1;

	if (!h) {
		sl->err = 1;
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mysql_query(h, "SELECT SLEEP(0.2)")) {
		sl->err = mysql_errno(h);
		snprintf(sl->msg, sizeof(sl->msg), "%s", mysql_error(h));
	} else {
		mysql_free_result(mysql_store_result(h));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sl->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	mysql_close(h);
	mysql_thread_end();
	return NULL;
}

static void test_limit_rule(void)
{
	struct sleeper sl[8];
	pthread_t watcher;
	int ok = 0, limited = 0;

	memset(sl, 0, sizeof(sl));
	__atomic_store_n(&watching, 1, __ATOMIC_RELAXED);
	pthread_create(&watcher, NULL, watch, NULL);
	wstest_msleep(100);
	for (int i = 0; i < 8; i++)
		pthread_create(&sl[i].th, NULL, sleep_one, &sl[i]);
	for (int i = 0; i < 8; i++)
		pthread_join(sl[i].th, NULL);
	__atomic_store_n(&watching, 0, __ATOMIC_RELAXED);
	pthread_join(watcher, NULL);
	for (int i = 0; i < 8; i++) {
		if (sl[i].err == 0) {
			ok++;
		} else {
			limited++;
			CU_ASSERT_EQUAL(sl[i].err, WESCALE_ER_RULE_LIMIT);
			CU_ASSERT_PTR_NOT_NULL(strstr(sl[i].msg, "sleepers"));
			CU_ASSERT(sl[i].seconds >= 0.14); /* after queue_timeout_ms */
		}
	}
	printf("\n      limit 2: %d ran, %d rejected after the queue timeout; most SLEEPs on the servers at once: %ld",
	       ok, limited, max_seen);
	CU_ASSERT(max_seen >= 1 && max_seen <= 2);
	CU_ASSERT(ok >= 2);
	CU_ASSERT(limited >= 1);
	CU_ASSERT_EQUAL(ok + limited, 8);
}

static void test_bad_regex_reported(void)
{
	FILE *f = fopen(getenv("RULES_STDERR"), "r");
	char line[1024];
	int found = 0;
	char expect[600];

	snprintf(expect, sizeof(expect), "%s:", config_path);
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, expect) && strstr(line, "rule broken") && strstr(line, "query_regex"))
			found = 1;
	if (f)
		fclose(f);
	CU_ASSERT(found);
}

static void test_reload(void)
{
	CU_ASSERT_EQUAL(mysql_query(m, "UPDATE rules_t SET id = id WHERE id = 2"), 0);
	CU_ASSERT_EQUAL(write_config("[rule no_updates]\npriority = 5\nmatch_kind = update\naction = fail\n"
				     "error_message = updates are frozen\n"), 0);
	/* The broken rule is still in the file: reload reports it, loads the rest. */
	CU_ASSERT_EQUAL(wescale_reload_config(), WESCALE_ER_CONFIG);
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "UPDATE rules_t SET id = id WHERE id = 2"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), WESCALE_ER_RULE_FAIL);
	CU_ASSERT_STRING_EQUAL(mysql_error(m), "updates are frozen");
	CU_ASSERT_EQUAL(write_config(NULL), 0);
	wescale_reload_config();
	CU_ASSERT_EQUAL(mysql_query(m, "UPDATE rules_t SET id = id WHERE id = 2"), 0);
}

/* Rewriting the file is enough: the monitor notices the change. */
static void test_reload_on_file_change(void)
{
	int blocked = 0, open_again = 0;

	wstest_msleep(1100); /* a new mtime second */
	CU_ASSERT_EQUAL(write_config("[rule no_inserts]\npriority = 5\nmatch_kind = insert\naction = fail\n"
				     "error_message = inserts are frozen\n"), 0);
	for (int i = 0; i < 40 && !blocked; i++) {
		if (mysql_query(m, "INSERT INTO rules_t VALUES (100 + FLOOR(RAND() * 1000000))") != 0 &&
		    mysql_errno(m) == WESCALE_ER_RULE_FAIL && strcmp(mysql_error(m), "inserts are frozen") == 0)
			blocked = 1;
		else
			wstest_msleep(100);
	}
	wstest_msleep(1100);
	CU_ASSERT_EQUAL(write_config(NULL), 0);
	for (int i = 0; i < 40 && !open_again; i++) {
		if (mysql_query(m, "INSERT INTO rules_t VALUES (2000000 + FLOOR(RAND() * 1000000))") == 0)
			open_again = 1;
		else
			wstest_msleep(100);
	}
	CU_ASSERT(blocked);
	CU_ASSERT(open_again);
}

static void test_stats_json(void)
{
	char cmd[1200], *buf;
	size_t n = wescale_stats_json(NULL, 0);
	FILE *f;

	CU_ASSERT_FATAL(n > 0);
	buf = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(wescale_stats_json(buf, n + 1), n);
	f = fopen(stats_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(buf, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
		 "r={x[\"name\"]:x for x in d[\"clusters\"][0][\"rules\"]} if \"rules\" in d[\"clusters\"][0] else "
		 "{x[\"name\"]:x for x in d[\"rules\"]}; "
		 "assert r[\"no_unbounded_delete\"][\"fails\"] >= 1, r; assert r[\"reports\"][\"hits\"] >= 6, r; "
		 "assert r[\"sleepers\"][\"rejected\"] >= 1, r; "
		 "n=d[\"clusters\"][0][\"nodes\"]; assert len(n) == 3, n; "
		 "assert sum(x[\"queries\"] for x in n) > 0, n'",
		 stats_path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(buf);
}

static void test_stats_socket_and_cli(void)
{
	char cmd[1600], out[512];
	struct stat st;
	FILE *f;
	int found_rule = 0, found_node = 0;

	wstest_msleep(300); /* the monitor thread answers the socket between its checks */
	CU_ASSERT_EQUAL_FATAL(stat(socket_path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	snprintf(cmd, sizeof(cmd), "%s status --socket %s --json | python3 -m json.tool > /dev/null", cli, socket_path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(out, sizeof(out), "%s/prometheus.txt", env.dir);
	snprintf(cmd, sizeof(cmd), "%s status --socket %s --prometheus > %s", cli, socket_path, out);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	f = fopen(out, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(cmd, sizeof(cmd), f)) {
		if (strncmp(cmd, "wescale_rule_hits{rule=\"reports\"} ", 34) == 0 && atol(cmd + 34) >= 6)
			found_rule = 1;
		if (strstr(cmd, "wescale_cluster_node_queries{cluster=\"rules\",node=\"127.0.0.1:") && atol(strrchr(cmd, ' ')) > 0)
			found_node = 1;
	}
	fclose(f);
	CU_ASSERT(found_rule);
	CU_ASSERT(found_node);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned failures;

	if (argc < 2 || !wstest_env_load(&env))
		return 1;
	cli = argv[1];
	snprintf(socket_path, sizeof(socket_path), "%s/stats.sock", env.dir);
	snprintf(config_path, sizeof(config_path), "%s/rules.conf", env.dir);
	snprintf(stats_path, sizeof(stats_path), "%s/rules-stats.json", env.dir);
	if (write_config(NULL) < 0)
		return 1;
	setenv("WESCALE_CONFIG", config_path, 1);
	{
		/* Keep what the library reports at start-up (the broken regex). */
		static char err_path[600];

		snprintf(err_path, sizeof(err_path), "%s/rules-stderr.txt", env.dir);
		setenv("RULES_STDERR", err_path, 1);
		fflush(stderr);
		if (!freopen(err_path, "w", stderr))
			return 1;
	}
	m = wstest_connect(&env, env.primary_port, env.db);
	fflush(stderr);
	if (!freopen("/dev/tty", "w", stderr))
		(void)!freopen("/dev/null", "w", stderr);
	if (!m)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("rules", NULL, NULL);
	CU_add_test(s, "a broken regex is reported with file:line, the other rules load", test_bad_regex_reported);
	CU_add_test(s, "fail: unbounded DELETE blocked, bounded DELETE runs", test_fail_rule);
	CU_add_test(s, "route: report queries pinned to replica 2", test_route_rule);
	CU_add_test(s, "limit: at most 2 SLEEPs on the servers, the rest rejected after the queue timeout",
		    test_limit_rule);
	CU_add_test(s, "wescale_reload_config applies a new rule", test_reload);
	CU_add_test(s, "rules reload when the file changes", test_reload_on_file_change);
	CU_add_test(s, "stats JSON validates and matches what ran", test_stats_json);
	CU_add_test(s, "stats socket (0600) read by wescale status --socket, JSON and Prometheus", test_stats_socket_and_cli);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	wstest_exec(m, "DROP TABLE IF EXISTS rules_t");
	mysql_close(m);
	mysql_library_end();
	return failures ? 1 : 0;
}
