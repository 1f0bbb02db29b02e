/*
 * balance.c — load balancing policies over live node counters (balance.h).
 *
 *   least_rt              EWMA response time × (statements in flight + 1) / weight;
 *                         a node with no sample yet scores 0, so it is tried.
 *   least_qps             statements per second / weight
 *   least_behind_primary  GTID distance to the primary, then lag
 *   random                weighted random
 *   round_robin           weighted rotation
 */
#include <ck_pr.h>

#include "balance.h"

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

static uint64_t rnd(void)
{
	if (!rng)
		rng = (uint64_t)(uintptr_t)&rng ^ ws_now_us() ^ 0x9E3779B97F4A7C15ull;
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

/* qps of a node at second `sec` (ws_node_qps without reading the clock). */
static uint64_t qps_at(struct ws_node_rt *n, uint64_t sec)
{
	uint64_t cur = ck_pr_load_64(&n->qps_second);

	if (cur == sec)
		return ck_pr_load_64(&n->qps_count) + ck_pr_load_64(&n->qps_prev);
	return cur + 1 == sec ? ck_pr_load_64(&n->qps_count) : 0;
}

static uint64_t score_at(enum ws_balance policy, struct ws_node_rt *node, uint64_t sec)
{
	uint64_t w = node->weight, v;

	switch (policy) {
	case WS_BALANCE_LEAST_RT:
		v = ck_pr_load_64(&node->ewma_rt_us) * (ck_pr_load_64(&node->inflight) + 1) * 1000u;
		return w > 1 ? v / w : v; /* no division for the common weight 1 */
	case WS_BALANCE_LEAST_QPS:
		v = qps_at(node, sec) * 1000u;
		return w > 1 ? v / w : v;
	case WS_BALANCE_LEAST_BEHIND_PRIMARY: {
		uint64_t behind = ck_pr_load_64(&node->behind), lag = ck_pr_load_64(&node->lag_ms);

		/* Unknown sorts after every known distance; lag breaks ties. */
		if (behind == WS_UNKNOWN)
			behind = UINT32_MAX;
		if (lag == WS_UNKNOWN)
			lag = UINT32_MAX;
		return (behind << 32) | (lag & UINT32_MAX);
	}
	default:
		return 0;
	}
}

uint64_t ws_balance_score(enum ws_balance policy, struct ws_node_rt *node)
{
	return score_at(policy, node, ws_now_us() / 1000000u);
}

/* The weighted slot `pos` (0 ≤ pos < sum of weights) falls on. */
static size_t weighted(struct ws_cluster_rt *rt, const unsigned *cand, size_t n, uint64_t pos)
{
	for (size_t i = 0; i < n; i++) {
		unsigned w = rt->replicas[cand[i]].weight ? rt->replicas[cand[i]].weight : 1;

		if (pos < w)
			return i;
		pos -= w;
	}
	return n - 1;
}

size_t ws_balance_choose_among(enum ws_balance policy, struct ws_cluster_rt *rt, const unsigned *cand,
			       size_t n, uint64_t rr)
{
	uint64_t total = 0, best_score = UINT64_MAX, sec;
	size_t best = 0;

	if (policy == WS_BALANCE_RANDOM || policy == WS_BALANCE_ROUND_ROBIN) {
		for (size_t i = 0; i < n; i++)
			total += rt->replicas[cand[i]].weight ? rt->replicas[cand[i]].weight : 1;
		return weighted(rt, cand, n, (policy == WS_BALANCE_RANDOM ? rnd() : rr) % total);
	}
	/* Lowest score; among equals the rotation decides. */
	sec = policy == WS_BALANCE_LEAST_QPS ? ws_now_us() / 1000000u : 0;
	for (size_t k = 0, i = (size_t)(rr % n); k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		uint64_t sc = score_at(policy, &rt->replicas[cand[i]], sec);

		if (sc < best_score) {
			best_score = sc;
			best = i;
		}
	}
	return best;
}
