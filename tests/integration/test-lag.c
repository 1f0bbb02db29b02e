/*
 * test-lag.c MODE — replication lag in milliseconds (issue 22) on the shared
 * topology, with replica 1 (server 2) delayed by MASTER_DELAY=2 while a writer
 * commits every 50 ms. MODE "gtid": lag from GTID positions and the times the
 * monitor first saw them on the primary; MODE "heartbeat": from a heartbeat
 * table (heartbeat_table = wstest.lag_hb) the writer updates with NOW(6).
 *
 * Asserted from the statistics (lag_ms of each node, sampled every 100 ms)
 * and @@server_id: the delayed replica lags between one and two seconds (the
 * binary log's event times are whole seconds, so MASTER_DELAY=2 applies each
 * event 1 to 2 s after its commit), measured finer than Seconds_Behind_Master's
 * whole seconds; the other stays under 600 ms; a max_lag_ms=250 hint keeps
 * reads off the delayed replica, which serves reads without it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static bool heartbeat_mode;
static volatile int stop_writer;

static void *writer(void *arg)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	(void)arg;
	while (m && !stop_writer) {
		if (wstest_exec(m, "UPDATE lag_hb SET ts = NOW(6) WHERE id = 1"))
			break;
		wstest_msleep(50);
	}
	if (m)
		mysql_close(m);
	return NULL;
}

/* lag_ms of the node at 127.0.0.1:port in the statistics, or -1. */
static long lag_of(unsigned port)
{
	char buf[16384], key[64], *p, *e;

	wescale_stats_json(buf, sizeof(buf));
	snprintf(key, sizeof(key), "{\"address\":\"127.0.0.1:%u\"", port);
	if (!(p = strstr(buf, key)) || !(e = strchr(p, '}')))
		return -1;
	*e = '\0';
	p = strstr(p, "\"lag_ms\":");
	return p && p[9] != 'n' ? atol(p + 9) : -1;
}

static void set_delay(unsigned seconds)
{
	MYSQL *a = wstest_connect_admin(&env, env.replica_port[0]);
	char sql[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(sql, sizeof(sql), "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=%u; START SLAVE", seconds);
	CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
	mysql_close(a);
}

static void test_lag_ms(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	pthread_t w;
	long lag1[40], lag2[40], fine = 0, on2_hint = 0, on2 = 0, in_range = 0;
	int n = 0, windows = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP TABLE IF EXISTS lag_hb; "
					     "CREATE TABLE lag_hb (id INT PRIMARY KEY, ts DATETIME(6)); "
					     "INSERT INTO lag_hb VALUES (1, NOW(6))"), 0);
	CU_ASSERT_TRUE_FATAL(wstest_sync_replicas(&env));
	set_delay(2);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&w, NULL, writer, NULL), 0);
	wstest_msleep(2000); /* the delay in force, the monitor has seen it */
	/* 4-s windows of 40 samples, up to three, until one shows the measure
	 * finer than whole seconds: on a loaded machine (a sanitizer stage, a
	 * slow writer) the monitor's GTID estimate can stay at or under
	 * Seconds_Behind_Master for a few seconds, which then decides. */
	do {
		fine = 0;
		windows++;
		for (n = 0; n < 40; n++) {
			lag1[n] = lag_of(env.replica_port[0]);
			lag2[n] = lag_of(env.replica_port[1]);
			fine += lag1[n] % 1000 != 0;
			wstest_msleep(100);
		}
	} while (fine < n / 4 && windows < 3);
	/* Reads: with a 250 ms bound, never the delayed replica. */
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL), 0);
	for (int i = 0; i < 40; i++) {
		on2_hint += wstest_query_long(m, "/* wescale:max_lag_ms=250 */ SELECT @@server_id") == 2;
		on2 += wstest_query_long(m, "SELECT @@server_id") == 2;
	}
	stop_writer = 1;
	pthread_join(w, NULL);
	set_delay(0);
	CU_ASSERT_TRUE(wstest_sync_replicas(&env));
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TABLE lag_hb"), 0);
	mysql_close(m);

	printf("\n    %s: delayed replica lag_ms:", heartbeat_mode ? "heartbeat" : "gtid");
	for (int i = 0; i < n; i += 4)
		printf(" %ld", lag1[i]);
	printf("\n    %s: other replica lag_ms:  ", heartbeat_mode ? "heartbeat" : "gtid");
	for (int i = 0; i < n; i += 4)
		printf(" %ld", lag2[i]);
	printf("\n    not a whole second: %ld of %d (window %d); reads on the delayed replica: %ld of 40 with "
	       "max_lag_ms=250, %ld of 40 without\n", fine, n, windows, on2_hint, on2);
	/* Nearly always 1 to 2 s behind (a slow writer, under a sanitizer, may
	 * let it catch up now and then: there is less to lack then). */
	for (int i = 0; i < n; i++) {
		in_range += lag1[i] >= 300 && lag1[i] <= 3500;
		CU_ASSERT(lag2[i] >= 0 && lag2[i] < 600);
	}
	CU_ASSERT(in_range >= n * 9 / 10);
	CU_ASSERT(fine >= n / 4); /* measured finer than Seconds_Behind_Master */
	CU_ASSERT_EQUAL(on2_hint, 0);
	CU_ASSERT(on2 > 0);
}

int main(int argc, char **argv)
{
	CU_pSuite s;

	heartbeat_mode = argc > 1 && strcmp(argv[1], "heartbeat") == 0;
	if (!wstest_env_load(&env) ||
	    !wstest_write_config(&env, heartbeat_mode ? "lag-hb.conf" : "lag.conf",
				 "[cluster lag]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
				 "load_balance = round_robin\nhealth_interval_ms = 200\n%s",
				 env.primary_port, env.replica_port[0], env.replica_port[1],
				 heartbeat_mode ? "heartbeat_table = wstest.lag_hb\nheartbeat_column = ts\n" : ""))
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(heartbeat_mode ? "lag (heartbeat)" : "lag (gtid)", NULL, NULL);
	CU_add_test(s, "a replica delayed by MASTER_DELAY=2: lag in ms, and max_lag_ms hints", test_lag_ms);
	return wstest_cunit_run();
}
