/*
 * test-lag.c — replication lag in milliseconds without a server: the GTID
 * measure (the age of the oldest writer position a replica lacks, from when
 * the monitor first saw it) on made-up positions and times, and the
 * heartbeat_table / heartbeat_column keys.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "config.h"
#include "lag.h"
#include "topology.h"
#include "unit-cluster.h"

static int suite_init(void)
{
	return unit_cluster_init("[cluster c]\nprimary = 127.0.0.1:3306\nreplicas = 127.0.0.1:3307\n");
}

static struct ws_wm at(uint64_t seq)
{
	struct ws_wm wm;

	memset(&wm, 0, sizeof(wm));
	ws_wm_raise(&wm, ws_topology_source("0"), seq, 1);
	return wm;
}

static void test_gtid_measure(void)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(&unit_cfg->clusters[0]);
	struct ws_wm w;

	/* The writer seen at 10 (t=1000), still 10 (t=1200), 15 (t=1400), 20 (t=1600). */
	w = at(10);
	ws_lag_writer_seen(rt, NULL, &w, 1000);
	ws_lag_writer_seen(rt, NULL, &w, 1200);
	w = at(15);
	ws_lag_writer_seen(rt, NULL, &w, 1400);
	w = at(20);
	ws_lag_writer_seen(rt, NULL, &w, 1600);
	/* Has everything the writer had: 0 (or what Seconds_Behind_Master says). */
	w = at(20);
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 0), 0);
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 1000), 1000);
	/* Lacks 16..20, first seen at 1600: 50 ms at 1650. */
	w = at(17);
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 0), 50);
	/* Lacks 11..15, first seen at 1400 (not 1200: 10 was already there). */
	w = at(10);
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 0), 250);
	/* Older than all it knows: at least since the oldest one. */
	w = at(3);
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 0), 650);
	/* The larger of the two measures. */
	CU_ASSERT_EQUAL(ws_lag_replica(rt, NULL, &w, 1650, 2000), 2000);
}

static void test_heartbeat_keys(void)
{
	static const struct {
		const char *lines;
		bool ok;
	} cases[] = {
		{ "heartbeat_table = percona.heartbeat\n", true },
		{ "heartbeat_table = ops.hb\nheartbeat_column = beat_at\n", true },
		{ "heartbeat_table = heartbeat\n", false },            /* no database */
		{ "heartbeat_table = a.b.c\n", false },
		{ "heartbeat_table = a.`b`\n", false },
		{ "heartbeat_table = a.b; DROP TABLE x\n", false },
		{ "heartbeat_table = a.b\nheartbeat_column = ts)\n", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		struct ws_config *cfg = NULL;

		snprintf(text, sizeof(text), "[cluster c]\nprimary = 127.0.0.1:3306\n%s", cases[i].lines);
		CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", text, strlen(text), &cfg), 0);
		CU_ASSERT_EQUAL(cfg->n_errors == 0, cases[i].ok);
		CU_ASSERT_EQUAL(cfg->clusters[0].heartbeat_table != NULL, cases[i].ok);
		ws_config_free(cfg);
	}
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("lag", suite_init, unit_cluster_clean);
	CU_add_test(suite, "GTID positions and the times they were first seen", test_gtid_measure);
	CU_add_test(suite, "heartbeat_table / heartbeat_column", test_heartbeat_keys);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
