/*
 * test-balance.c — the balancing policies (lib/balance.c) on simulated nodes:
 * each pick is followed by the node counters a statement would update
 * (ws_node_begin / ws_node_end) with a response time the test chooses, so the
 * policy's feedback loop runs as it does under real reads, in milliseconds.
 * Shares are counted over many picks; the bounds leave room for randomness
 * (a failure here is a policy that herds or starves, not bad luck).
 */
#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "config.h"
#include "topology.h"

static struct ws_cluster_rt *rt;
static struct ws_config *cfg;

/* A failed check: where and why, then CUnit counts it. */
static void expect(bool ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void expect(bool ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (!ok) {
		fprintf(stderr, "\n  test-balance.c:%d: ", line);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	CU_ASSERT(ok);
}
#define CHECK(cond, ...) expect((cond), __LINE__, __VA_ARGS__)

static int setup(void)
{
	static const char conf[] = "[cluster b]\nprimary = 10.0.0.1:3306\nreplicas = 10.0.0.2, 10.0.0.3, 10.0.0.4\n";

	if (ws_config_load_string("test", conf, sizeof(conf) - 1, &cfg) < 0 || cfg->n_errors ||
	    ws_topology_init(cfg) < 0)
		return 1;
	rt = ws_topology_cluster(&cfg->clusters[0]);
	return rt ? 0 : 1;
}

static int teardown(void)
{
	ws_config_free(cfg);
	return 0;
}

static void reset(void)
{
	for (size_t i = 0; i < rt->n_replicas; i++) {
		struct ws_node_rt *n = &rt->replicas[i];

		ck_pr_store_64(&n->ewma_rt_us, 0);
		ck_pr_store_64(&n->inflight, 0);
		ck_pr_store_64(&n->picked_at, 0);
		ck_pr_store_64(&n->qps_second, 0);
		ck_pr_store_64(&n->qps_count, 0);
		ck_pr_store_64(&n->qps_prev, 0);
		ck_pr_store_64(&n->behind, WS_UNKNOWN);
		ck_pr_store_64(&n->lag_ms, WS_UNKNOWN);
	}
}

static uint64_t lcg = 12345;

/* A response time around base µs (±10 %). */
static uint64_t around(uint64_t base)
{
	lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
	return base - base / 10 + (lcg >> 33) % (base / 5 + 1);
}

/* n picks among replicas cand[0..k) by policy, each followed by a statement
 * taking rt_us[node] µs; counts[node] += picks. */
static void run_picks(enum ws_balance policy, const unsigned *cand, size_t k, const uint64_t *rt_us, int n,
		      long *counts)
{
	for (int i = 0; i < n; i++) {
		unsigned node = cand[ws_balance_choose(policy, rt, cand, k, ck_pr_faa_64(&rt->rr, 1))];
		struct ws_node_rt *nd = &rt->replicas[node];

		ws_node_begin(nd, ws_now_us());
		ws_node_end(nd, around(rt_us[node]), false);
		counts[node]++;
	}
}

/* Two equal replicas, one reader: the old "lowest score wins" sent every read
 * to whichever was a little faster first. */
static void test_rt_equal_spread(void)
{
	static const unsigned cand[] = { 0, 1 };
	static const uint64_t us[] = { 100, 100, 100 };

	reset();
	for (int round = 0; round < 10; round++) {
		long c[3] = { 0 };

		run_picks(WS_BALANCE_LEAST_RT, cand, 2, us, 2000, c);
		CHECK(c[0] >= 700 && c[1] >= 700, "round %d: %ld / %ld\n", round, c[0], c[1]);
	}
}

/* A replica 60× slower gets less, but never less than the floor (1/25 of the
 * reads, with room for chance). */
static void test_rt_slow_floor(void)
{
	static const unsigned cand[] = { 0, 1 };
	static const uint64_t us[] = { 6000, 100, 100 };
	long c[3] = { 0 };

	reset();
	run_picks(WS_BALANCE_LEAST_RT, cand, 2, us, 200, c); /* learn */
	memset(c, 0, sizeof(c));
	run_picks(WS_BALANCE_LEAST_RT, cand, 2, us, 20000, c);
	CHECK(c[0] >= 20000 / 40 && c[0] <= 20000 / 8, "slow %ld of 20000\n", c[0]);
}

/* When the slow replica is fast again, its share comes back within a few
 * hundred reads. */
static void test_rt_recovers(void)
{
	static const unsigned cand[] = { 0, 1 };
	static const uint64_t slow[] = { 6000, 100, 100 }, even[] = { 100, 100, 100 };
	long c[3] = { 0 };

	reset();
	run_picks(WS_BALANCE_LEAST_RT, cand, 2, slow, 5000, c);
	memset(c, 0, sizeof(c));
	run_picks(WS_BALANCE_LEAST_RT, cand, 2, even, 500, c); /* it is fast again */
	memset(c, 0, sizeof(c));
	run_picks(WS_BALANCE_LEAST_RT, cand, 2, even, 4000, c);
	CHECK(c[0] >= 1400 && c[1] >= 1400, "after: %ld / %ld\n", c[0], c[1]);
}

/* A replica excluded for a long time (down, lagging) with a bad old estimate
 * is tried again at once when it is a candidate again. */
static void test_rt_stale_decays(void)
{
	static const unsigned both[] = { 0, 1 }, one[] = { 1 };
	static const uint64_t us[] = { 100, 100, 100 };
	long c[3] = { 0 };

	reset();
	ck_pr_store_64(&rt->replicas[0].ewma_rt_us, 50000); /* its last reads were slow */
	run_picks(WS_BALANCE_LEAST_RT, one, 1, us, 100, c);
	ck_pr_add_64(&rt->rr, 100000); /* 100,000 picks elsewhere while it was out */
	memset(c, 0, sizeof(c));
	run_picks(WS_BALANCE_LEAST_RT, both, 2, us, 40, c);
	CHECK(c[0] >= 1, "the returning replica got none of the first 40 reads\n");
	/* Its fresh samples then bring its estimate down. */
	memset(c, 0, sizeof(c));
	run_picks(WS_BALANCE_LEAST_RT, both, 2, us, 2000, c);
	CHECK(c[0] >= 400, "the returning replica got %ld of 2000\n", c[0]);
}

/* Concurrent reads spread by the in-flight factor: a node with many
 * statements running gets fewer new ones. */
static void test_rt_inflight(void)
{
	static const unsigned cand[] = { 0, 1 };
	long c[2] = { 0 };

	reset();
	ck_pr_store_64(&rt->replicas[0].ewma_rt_us, 100);
	ck_pr_store_64(&rt->replicas[1].ewma_rt_us, 100);
	ck_pr_store_64(&rt->replicas[0].inflight, 9);
	for (int i = 0; i < 4000; i++)
		c[ws_balance_choose(WS_BALANCE_LEAST_RT, rt, cand, 2, ck_pr_faa_64(&rt->rr, 1))]++;
	CHECK(c[1] > 3 * c[0] && c[0] >= 4000 / 40, "busy %ld, idle %ld\n", c[0], c[1]);
	ck_pr_store_64(&rt->replicas[0].inflight, 0);
}

/* Three replicas: power of two choices reaches every one of them. */
static void test_rt_three(void)
{
	static const unsigned cand[] = { 0, 1, 2 };
	static const uint64_t us[] = { 100, 100, 100 };
	long c[3] = { 0 };

	reset();
	run_picks(WS_BALANCE_LEAST_RT, cand, 3, us, 6000, c);
	CHECK(c[0] >= 1200 && c[1] >= 1200 && c[2] >= 1200, "%ld %ld %ld\n", c[0], c[1], c[2]);
}

static void test_qps(void)
{
	static const unsigned cand[] = { 0, 1 };
	static const uint64_t us[] = { 100, 5000, 100 };
	long c[3] = { 0 };

	reset();
	/* Equal rates whatever the speed: least_qps evens the counts. */
	run_picks(WS_BALANCE_LEAST_QPS, cand, 2, us, 2000, c);
	CHECK(c[0] >= 900 && c[1] >= 900, "%ld / %ld\n", c[0], c[1]);
}

static void behind(unsigned i, uint64_t trx, uint64_t lag)
{
	ck_pr_store_64(&rt->replicas[i].behind, trx);
	ck_pr_store_64(&rt->replicas[i].lag_ms, lag);
}

static void count(enum ws_balance p, const unsigned *cand, size_t k, int n, long *c)
{
	for (int i = 0; i < n; i++)
		c[cand[ws_balance_choose(p, rt, cand, k, ck_pr_faa_64(&rt->rr, 1))]]++;
}

static void test_behind(void)
{
	static const unsigned cand[] = { 0, 1, 2 };
	long c[3] = { 0 };

	reset();
	/* One transaction apart (the monitor measured them at different
	 * instants): they share. */
	behind(0, 0, 0), behind(1, 1, 0), behind(2, 60, 2000);
	count(WS_BALANCE_LEAST_BEHIND_PRIMARY, cand, 3, 3000, c);
	CHECK(c[0] >= 1200 && c[1] >= 1200 && c[2] == 0, "%ld %ld %ld\n", c[0], c[1], c[2]);
	/* Clearly further along: all of it. */
	memset(c, 0, sizeof(c));
	behind(0, 0, 0), behind(1, 50, 0), behind(2, WS_UNKNOWN, WS_UNKNOWN);
	count(WS_BALANCE_LEAST_BEHIND_PRIMARY, cand, 3, 1000, c);
	CHECK(c[0] == 1000, "%ld %ld %ld\n", c[0], c[1], c[2]);
	/* Unknown sorts after every known figure; equal lag within a second. */
	memset(c, 0, sizeof(c));
	behind(0, WS_UNKNOWN, WS_UNKNOWN), behind(1, 5, 0), behind(2, 5, 900);
	count(WS_BALANCE_LEAST_BEHIND_PRIMARY, cand, 3, 2000, c);
	CHECK(c[0] == 0 && c[1] >= 800 && c[2] >= 800, "%ld %ld %ld\n", c[0], c[1], c[2]);
	/* Weights among the equally far along (first candidate among them, and not). */
	for (int first_behind = 0; first_behind < 2; first_behind++) {
		memset(c, 0, sizeof(c));
		behind(0, first_behind ? 90 : 0, 0), behind(1, 0, 0), behind(2, first_behind ? 0 : 90, 0);
		rt->replicas[first_behind ? 2 : 0].weight = 3;
		count(WS_BALANCE_LEAST_BEHIND_PRIMARY, cand, 3, 4000, c);
		rt->replicas[first_behind ? 2 : 0].weight = 1;
		CHECK(c[first_behind ? 2 : 0] >= 2700 && c[first_behind ? 2 : 0] <= 3300 && c[first_behind ? 0 : 2] == 0,
		      "weights: %ld %ld %ld\n", c[0], c[1], c[2]);
	}
}

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("balance", setup, teardown);
	CU_add_test(s, "least_rt: two equal replicas share with one reader", test_rt_equal_spread);
	CU_add_test(s, "least_rt: a slow replica keeps the floor", test_rt_slow_floor);
	CU_add_test(s, "least_rt: a replica fast again gets its share back", test_rt_recovers);
	CU_add_test(s, "least_rt: a stale estimate decays toward the other's", test_rt_stale_decays);
	CU_add_test(s, "least_rt: statements in flight spread concurrent reads", test_rt_inflight);
	CU_add_test(s, "least_rt: two choices reach all of three replicas", test_rt_three);
	CU_add_test(s, "least_qps: equal counts whatever the speed", test_qps);
	CU_add_test(s, "least_behind_primary: about as far along share, behind gets none", test_behind);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
