/*
 * test-discover.c — discover_replicas = on (issue 22) on a topology of its own:
 * a primary, replica 1 (server 2) listed in the configuration, replicas 2 and
 * 3 (servers 3 and 4) not listed. Replica 3 is shut down before the client
 * starts. Asserted by @@server_id of the reads and the statistics:
 *
 *  - listed and discovered replicas serve reads side by side, and the
 *    statistics say which is which;
 *  - replica 3, started while a client reads without pause, takes reads within
 *    two health intervals of its server being ready;
 *  - stopped again, it takes no more reads, the client sees 0 errors, and it
 *    is retired after discover_grace_ms;
 *  - a server that lists itself with a report_port of a server that is not a
 *    replica of this primary is never used (the confirmation step).
 *
 *   test-discover SOURCE_DIR WESCALE_CLI
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

#define HEALTH_MS 500

static struct wstest_env env;
static const char *conf_path;
static const char *cli; /* tools/wescale */

/* The reading client: counts per @@server_id and errors. */
static struct {
	pthread_mutex_t lock;
	long by_sid[8];
	long errors, reads;
	double last_seen_s[8]; /* when each server last answered */
	double first_seen_s[8];
	bool stop;
} cl = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *reader(void *arg)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	(void)arg;
	if (!m) {
		pthread_mutex_lock(&cl.lock);
		cl.errors++;
		pthread_mutex_unlock(&cl.lock);
		return NULL;
	}
	for (;;) {
		MYSQL_RES *res;
		MYSQL_ROW row;
		long sid = -1;
		bool stop;

		if (mysql_query(m, "SELECT @@server_id") || !(res = mysql_store_result(m))) {
			fprintf(stderr, "reader: error %u: %s\n", mysql_errno(m), mysql_error(m));
		} else {
			if ((row = mysql_fetch_row(res)) && row[0])
				sid = atol(row[0]);
			mysql_free_result(res);
		}
		pthread_mutex_lock(&cl.lock);
		cl.reads++;
		if (sid > 0 && sid < 8) {
			double now = wstest_now_s();

			if (!cl.by_sid[sid])
				cl.first_seen_s[sid] = now;
			cl.by_sid[sid]++;
			cl.last_seen_s[sid] = now;
		} else {
			cl.errors++;
		}
		stop = cl.stop;
		pthread_mutex_unlock(&cl.lock);
		if (stop)
			break;
		wstest_msleep(2);
	}
	mysql_close(m);
	return NULL;
}

static long count(int sid)
{
	long n;

	pthread_mutex_lock(&cl.lock);
	n = cl.by_sid[sid];
	pthread_mutex_unlock(&cl.lock);
	return n;
}

/* The stats JSON's node object for 127.0.0.1:port, or "" when it is not listed. */
static const char *node_json(unsigned port, char *buf, size_t size)
{
	char key[64], *p, *e;

	wescale_stats_json(buf, size);
	snprintf(key, sizeof(key), "{\"address\":\"127.0.0.1:%u\"", port);
	if (!(p = strstr(buf, key)))
		return "";
	if ((e = strchr(p, '}')))
		e[1] = '\0';
	return p;
}

static pthread_t reader_thread;

static void test_mixed(void)
{
	char buf[16384];
	double t0 = wstest_now_s();

	CU_ASSERT_EQUAL_FATAL(pthread_create(&reader_thread, NULL, reader, NULL), 0);
	/* Servers 2 (listed) and 3 (discovered) both serve reads. */
	while ((count(2) < 20 || count(3) < 20) && wstest_now_s() - t0 < 10)
		wstest_msleep(50);
	printf("\n    reads after %.2f s: server 2 (listed) %ld, server 3 (discovered) %ld, primary %ld\n",
	       wstest_now_s() - t0, count(2), count(3), count(1));
	CU_ASSERT(count(2) >= 20);
	CU_ASSERT(count(3) >= 20);
	CU_ASSERT_EQUAL(count(4), 0); /* shut down: not listed by the primary */
	CU_ASSERT_PTR_NOT_NULL(strstr(node_json(env.replica_port[0], buf, sizeof(buf)), "\"discovered\":false"));
	CU_ASSERT_PTR_NOT_NULL(strstr(node_json(env.replica_port[1], buf, sizeof(buf)), "\"discovered\":true"));
	CU_ASSERT_STRING_EQUAL(node_json(env.replica_port[2], buf, sizeof(buf)), "");
	CU_ASSERT_PTR_NOT_NULL(strstr(node_json(env.primary_port, buf, sizeof(buf)), "\"discovered\":false"));
	/* wescale status says which is which too. */
	CU_ASSERT_EQUAL(wstest_sh("%s status %s | grep -qE '^  127\\.0\\.0\\.1:%u +replica +up'", cli, conf_path,
				  env.replica_port[0]), 0);
	CU_ASSERT_EQUAL(wstest_sh("%s status %s | grep -qE '^  127\\.0\\.0\\.1:%u +replica\\(discovered\\) +up'", cli,
				  conf_path, env.replica_port[1]), 0);
}

static void test_started_during_run(void)
{
	double ready, first, waited;

	CU_ASSERT_EQUAL_FATAL(wstest_own_topology_node("restart", 3), 0);
	ready = wstest_now_s();
	while (count(4) == 0 && wstest_now_s() - ready < 10)
		wstest_msleep(10);
	pthread_mutex_lock(&cl.lock);
	first = cl.first_seen_s[4];
	pthread_mutex_unlock(&cl.lock);
	waited = first - ready;
	printf("\n    server 4 answered its first read %.0f ms after it was ready (health interval %d ms)\n",
	       waited * 1e3, HEALTH_MS);
	CU_ASSERT(count(4) > 0);
	CU_ASSERT(waited <= 2 * HEALTH_MS / 1e3);
	wstest_msleep(1000);
	CU_ASSERT(count(4) >= 20);
}

static void test_stopped_retired(void)
{
	char buf[16384];
	long errors, before;
	double stopped, last;

	CU_ASSERT_EQUAL_FATAL(wstest_own_topology_node("shutdown", 3), 0);
	stopped = wstest_now_s();
	before = count(4);
	/* discover_grace_ms = 1000, plus a round. */
	wstest_msleep(2500);
	pthread_mutex_lock(&cl.lock);
	errors = cl.errors;
	last = cl.last_seen_s[4];
	pthread_mutex_unlock(&cl.lock);
	printf("\n    server 4 shut down: its last read %.0f ms before, %ld reads in all, %ld client errors\n",
	       (stopped - last) * 1e3, before, errors);
	CU_ASSERT(last <= stopped);
	CU_ASSERT_EQUAL(count(4), before);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT(count(2) > 0 && count(3) > 0);
	CU_ASSERT_STRING_EQUAL(node_json(env.replica_port[2], buf, sizeof(buf)), ""); /* retired */
	/* Back again: the same slot, reads again. */
	before = count(4);
	CU_ASSERT_EQUAL_FATAL(wstest_own_topology_node("restart", 3), 0);
	stopped = wstest_now_s();
	while (count(4) == before && wstest_now_s() - stopped < 10)
		wstest_msleep(10);
	CU_ASSERT(count(4) > before);
	pthread_mutex_lock(&cl.lock);
	cl.stop = true;
	errors = cl.errors;
	pthread_mutex_unlock(&cl.lock);
	pthread_join(reader_thread, NULL);
	printf("    reads: %ld, errors: %ld\n", cl.reads, errors);
	CU_ASSERT_EQUAL(cl.errors, 0);
}

/* A server that is not a replica of this primary must not be used even if
 * the primary lists it: server 3 re-pointed at server 2 (a chain) is a
 * replica of a replica, not of the primary. */
static void test_not_confirmed(void)
{
	MYSQL *a = wstest_connect_admin(&env, env.replica_port[1]), *m;
	char sql[400];
	long sid;
	int on3 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(sql, sizeof(sql), "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u; "
		 "START SLAVE", env.replica_port[0]);
	CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
	/* The primary stops listing it; after the grace it is retired, and a
	 * replica of server 2 is not confirmed as one of the primary's. */
	wstest_msleep(2500);
	m = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 40; i++) {
		sid = wstest_server_id(m);
		on3 += sid == 3;
	}
	CU_ASSERT_EQUAL(on3, 0);
	mysql_close(m);
	snprintf(sql, sizeof(sql), "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u; "
		 "START SLAVE", env.primary_port);
	CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
	mysql_close(a);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: test-discover SOURCE_DIR WESCALE_CLI\n");
		return 1;
	}
	cli = argv[2];
	if (!wstest_own_topology_n(argv[1], "discover", 3, &env) || env.n_replicas != 3)
		return 1;
	if (wstest_own_topology_node("shutdown", 3) != 0) {
		wstest_own_topology_stop();
		return 1;
	}
	/* The monitor lists the primary's replicas: SHOW SLAVE HOSTS needs
	 * REPLICATION MASTER ADMIN, which the admin account has. */
	conf_path = wstest_write_config(&env, "discover.conf", "[cluster disc]\nprimary = 127.0.0.1:%u\n"
					"replicas = 127.0.0.1:%u\ndiscover_replicas = on\ndiscover_grace_ms = 1000\n"
					"health_interval_ms = %d\nload_balance = round_robin\nmonitor_user = %s\n"
					"monitor_password = %s\n", env.primary_port, env.replica_port[0], HEALTH_MS,
					env.admin_user, env.admin_password);
	if (!conf_path || CU_initialize_registry() != CUE_SUCCESS) {
		wstest_own_topology_stop();
		return 1;
	}
	s = CU_add_suite("discover", NULL, NULL);
	CU_add_test(s, "listed and discovered replicas serve reads side by side", test_mixed);
	CU_add_test(s, "a replica started during the run takes reads within 2 health intervals",
		    test_started_during_run);
	CU_add_test(s, "stopped: no more reads, 0 client errors, retired; back: reads again", test_stopped_retired);
	CU_add_test(s, "a server that does not replicate from this primary is not used", test_not_confirmed);
	r = wstest_cunit_run();
	wstest_own_topology_stop();
	return r;
}
