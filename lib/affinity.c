/*
 * affinity.c — when a handle keeps its replica (affinity.h).
 */
#include <stdint.h>

#include "affinity.h"

/* Score differences under this are noise, not load. */
static uint64_t floor_of(enum ws_balance policy)
{
	switch (policy) {
	case WS_BALANCE_LEAST_QPS:
		return 50u * 1000u;          /* 50 statements a second */
	case WS_BALANCE_LEAST_BEHIND_PRIMARY:
		return (uint64_t)1 << 32;    /* one transaction */
	default:
		return 0;
	}
}

int ws_affinity_keep_slow(const struct ws_session *s, struct ws_cluster_rt *rt, const unsigned *cand, size_t n)
{
	enum ws_balance policy = s->cluster->load_balance;
	uint64_t best = UINT64_MAX, own = UINT64_MAX;
	int keep = -1;

	for (size_t k = 0; k < n; k++) {
		uint64_t sc = ws_balance_score(policy, &rt->replicas[cand[k]]);

		if (sc < best)
			best = sc;
		if (s->replicas[cand[k]].mysql && !s->replicas[cand[k]].failed && sc < own) {
			own = sc;
			keep = (int)k;
		}
	}
	if (keep < 0)
		return -1;
	/* Clearly more loaded: more than twice the best score, and by more than noise. */
	if (own - best > floor_of(policy) && own / 2 > best)
		return -1;
	return keep;
}
