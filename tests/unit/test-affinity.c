/*
 * test-affinity.c — when a handle keeps its replica (lib/affinity.h): it keeps
 * the one it has a connection to unless that one is clearly more loaded (twice
 * the best score and beyond the policy's noise floor); random and round_robin
 * choose per read.
 */
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "affinity.h"

static struct ws_cluster cluster;
static struct ws_node_rt nodes[3];
static struct ws_cluster_rt rt = { .replicas = nodes, .n_replicas = 3 };
static struct ws_conn conns[3];
static struct ws_session s = { .cluster = &cluster, .replicas = conns, .n_replicas = 3 };
static const unsigned all[3] = { 0, 1, 2 };

static void setup(enum ws_balance policy, uint64_t rt0, uint64_t rt1, uint64_t rt2)
{
	memset(nodes, 0, sizeof(nodes));
	memset(conns, 0, sizeof(conns));
	cluster.load_balance = policy;
	nodes[0].ewma_rt_us = rt0;
	nodes[1].ewma_rt_us = rt1;
	nodes[2].ewma_rt_us = rt2;
	for (int i = 0; i < 3; i++)
		nodes[i].weight = 1;
}

#define CONNECTED(i) (conns[i].mysql = (MYSQL *)(uintptr_t)(0x1000u + (i)))

static void test_no_connection_policy_chooses(void)
{
	setup(WS_BALANCE_LEAST_RT, 300, 200, 250);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_keeps_a_little_slower_replica(void)
{
	setup(WS_BALANCE_LEAST_RT, 300, 200, 250);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 0);
	/* Twice the best, but within 0.5 ms: noise. */
	setup(WS_BALANCE_LEAST_RT, 450, 200, 250);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 0);
	/* One candidate: kept when connected. */
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 1), 0);
}

static void test_leaves_a_clearly_more_loaded_replica(void)
{
	setup(WS_BALANCE_LEAST_RT, 2000, 200, 250); /* 10x and 1.8 ms more */
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
	/* In flight counts: 400 us x 3 against 200 us x 1. */
	setup(WS_BALANCE_LEAST_RT, 400, 200, 250);
	nodes[0].inflight = 2;
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_failed_connection_not_kept(void)
{
	setup(WS_BALANCE_LEAST_RT, 200, 200, 200);
	CONNECTED(1);
	conns[1].failed = true;
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_two_connections_the_better_one(void)
{
	setup(WS_BALANCE_LEAST_RT, 300, 200, 250);
	CONNECTED(0);
	CONNECTED(2);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 2);
}

static void test_per_read_policies(void)
{
	setup(WS_BALANCE_ROUND_ROBIN, 200, 200, 200);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
	cluster.load_balance = WS_BALANCE_RANDOM;
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("affinity", NULL, NULL);
	CU_add_test(suite, "no connection: the policy chooses", test_no_connection_policy_chooses);
	CU_add_test(suite, "keeps a replica a little slower", test_keeps_a_little_slower_replica);
	CU_add_test(suite, "leaves a clearly more loaded replica", test_leaves_a_clearly_more_loaded_replica);
	CU_add_test(suite, "a failed connection is not kept", test_failed_connection_not_kept);
	CU_add_test(suite, "two connections: the better one", test_two_connections_the_better_one);
	CU_add_test(suite, "random and round_robin choose per read", test_per_read_policies);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
