/*
 * test-affinity.c — when a handle keeps its replica (lib/affinity.h): it keeps
 * the one it has a connection to unless that one is clearly more loaded (twice
 * the best score and beyond the policy's noise floor); random, round_robin and
 * least_rt (its own runs, balance.c) choose per read.
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

/* least_behind_primary: transactions behind the primary, lag 10 ms each. */
static void setup(enum ws_balance policy, uint64_t b0, uint64_t b1, uint64_t b2)
{
	memset(nodes, 0, sizeof(nodes));
	memset(conns, 0, sizeof(conns));
	cluster.load_balance = policy;
	nodes[0].behind = b0;
	nodes[1].behind = b1;
	nodes[2].behind = b2;
	for (int i = 0; i < 3; i++) {
		nodes[i].lag_ms = 10;
		nodes[i].weight = 1;
	}
}

#define CONNECTED(i) (conns[i].mysql = (MYSQL *)(uintptr_t)(0x1000u + (i)))

static void test_no_connection_policy_chooses(void)
{
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 1, 0, 0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_keeps_a_little_behind_replica(void)
{
	/* One transaction more: noise. */
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 1, 0, 0);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 0);
	/* Not twice the best. */
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 5, 3, 4);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 0);
	/* One candidate: kept when connected. */
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 1), 0);
}

static void test_leaves_a_clearly_worse_replica(void)
{
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 5, 0, 1);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 9, 4, 6);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_failed_connection_not_kept(void)
{
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 0, 0, 0);
	CONNECTED(1);
	conns[1].failed = true;
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
}

static void test_two_connections_the_better_one(void)
{
	setup(WS_BALANCE_LEAST_BEHIND_PRIMARY, 2, 0, 1);
	CONNECTED(0);
	CONNECTED(2);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), 2);
}

static void test_per_read_policies(void)
{
	setup(WS_BALANCE_ROUND_ROBIN, 0, 0, 0);
	CONNECTED(0);
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
	cluster.load_balance = WS_BALANCE_RANDOM;
	CU_ASSERT_EQUAL(ws_affinity_keep(&s, &rt, all, 3), -1);
	cluster.load_balance = WS_BALANCE_LEAST_RT;
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
	CU_add_test(suite, "keeps a replica a little behind", test_keeps_a_little_behind_replica);
	CU_add_test(suite, "leaves a clearly worse replica", test_leaves_a_clearly_worse_replica);
	CU_add_test(suite, "a failed connection is not kept", test_failed_connection_not_kept);
	CU_add_test(suite, "two connections: the better one", test_two_connections_the_better_one);
	CU_add_test(suite, "random, round_robin, least_rt choose per read", test_per_read_policies);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
