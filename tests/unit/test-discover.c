/*
 * test-discover.c — discover_replicas without a server: the configuration
 * keys and their errors, and the reader slots the topology keeps for
 * discovered replicas (vacant: an empty address, down).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "config.h"
#include "monitor.h"
#include "topology.h"
#include "wescale.h"

static struct ws_config *load(const char *text)
{
	struct ws_config *cfg = NULL;

	CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", text, strlen(text), &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	return cfg;
}

static bool has_error(const struct ws_config *cfg, const char *part)
{
	for (size_t i = 0; i < cfg->n_errors; i++)
		if (strstr(cfg->errors[i], part))
			return true;
	return false;
}

static void test_keys(void)
{
	struct ws_config *cfg = load("[cluster a]\nprimary = 127.0.0.1:1\nreplicas = 127.0.0.1:2\n"
				     "discover_replicas = on\ndiscover_max_replicas = 4\ndiscover_grace_ms = 250\n"
				     "[cluster b]\nprimary = 127.0.0.1:3\n");

	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_TRUE(cfg->clusters[0].discover_replicas);
	CU_ASSERT_EQUAL(cfg->clusters[0].discover_max_replicas, 4);
	CU_ASSERT_EQUAL(cfg->clusters[0].discover_grace_ms, 250);
	CU_ASSERT_FALSE(cfg->clusters[1].discover_replicas); /* default off */
	CU_ASSERT_EQUAL(cfg->clusters[1].discover_max_replicas, 8);
	CU_ASSERT_EQUAL(cfg->clusters[1].discover_grace_ms, 10000);
	CU_ASSERT_EQUAL(ws_cluster_n_readers(&cfg->clusters[0]), 5);
	CU_ASSERT_EQUAL(ws_cluster_n_readers(&cfg->clusters[1]), 0);
	ws_config_free(cfg);
}

static void test_errors(void)
{
	struct ws_config *cfg = load("[cluster a]\nnodes = 127.0.0.1:1, 127.0.0.1:2\ndiscover_replicas = on\n");

	CU_ASSERT_TRUE(has_error(cfg, "t:3: [cluster a]: discover_replicas asks the primary for its replicas: "
				      "it needs 'primary'"));
	ws_config_free(cfg);
	cfg = load("[cluster a]\nprimary = 127.0.0.1:1\ndiscover_replicas = maybe\ndiscover_max_replicas = 33\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 2);
	ws_config_free(cfg);
}

/* Kept (not static: a store the compiler may not drop): the topology keeps
 * pointers into it until exit. */
struct ws_config *slots_cfg;

static void test_slots(void)
{
	struct ws_config *cfg = slots_cfg = load("[cluster a]\nprimary = 127.0.0.1:1\nreplicas = 127.0.0.1:2\n"
				     "discover_replicas = on\ndiscover_max_replicas = 2\n");
	const struct ws_cluster *c = &cfg->clusters[0];
	struct ws_cluster_rt *rt;

	CU_ASSERT_EQUAL_FATAL(ws_topology_init(cfg), 0);
	rt = ws_topology_cluster(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_EQUAL(rt->n_replicas, 3);
	CU_ASSERT_EQUAL(rt->n_listed, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt->slots);
	/* The listed replica is an ordinary, presumed-up reader. */
	CU_ASSERT_STRING_EQUAL(ws_cluster_reader(c, 0)->host, "127.0.0.1");
	CU_ASSERT_EQUAL(rt->replicas[0].up, 1);
	CU_ASSERT_EQUAL(rt->replicas[0].discovered, 0);
	/* Slots: vacant, down (no read before a check), empty address. */
	for (size_t i = 1; i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(ws_cluster_reader(c, i)->host, "");
		CU_ASSERT_EQUAL(rt->replicas[i].up, 0);
		CU_ASSERT_EQUAL(rt->replicas[i].vacant, 1);
		CU_ASSERT_EQUAL(rt->replicas[i].discovered, 1);
	}
	/* Out of range: the empty address, never a crash. */
	CU_ASSERT_STRING_EQUAL(ws_cluster_reader(c, 7)->host, "");
	/* Filled (as discover.c does it): its address. (The statistics, which
	 * leave vacant slots out, are checked by the integration test.) */
	snprintf(rt->slots[0].host, sizeof(rt->slots[0].host), "10.0.0.9");
	rt->slots[0].addr.port = 3306;
	rt->slots[0].addr.host = rt->slots[0].host;
	rt->replicas[1].vacant = 0;
	CU_ASSERT_STRING_EQUAL(ws_cluster_reader(c, 1)->host, "10.0.0.9");
	CU_ASSERT_EQUAL(ws_cluster_reader(c, 1)->port, 3306);
	/* The monitor owns the good-check count a discovered node starts with. */
	CU_ASSERT(WS_MONITOR_GOOD_CHECKS >= 1);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("discover", NULL, NULL);
	CU_add_test(suite, "configuration keys", test_keys);
	CU_add_test(suite, "configuration errors", test_errors);
	CU_add_test(suite, "reader slots", test_slots);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
