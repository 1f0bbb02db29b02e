/*
 * balance.h — choosing among candidate replicas by the cluster's policy
 * (docs/architecture.md), from the nodes' lock-free counters.
 */
#ifndef WS_BALANCE_H
#define WS_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "topology.h"

/*
 * The position in cand[0..n) of the candidate the policy chooses. `cand` holds
 * replica indexes into rt->replicas; n > 0. `rr` is a fresh value of the
 * cluster's round-robin cursor: round_robin's rotation, and for least_rt the
 * cluster's pick count, by which it ages estimates of nodes not chosen for a
 * while. Randomised for least_rt, least_qps, least_behind_primary and random
 * (a per-thread PRNG), so no eligible node goes unchosen for long (balance.c).
 * Lock-free: loads of atomic counters and, for least_rt, a store of the pick
 * stamp to the chosen node.
 */
size_t ws_balance_choose_among(enum ws_balance policy, struct ws_cluster_rt *rt, const unsigned *cand,
			       size_t n, uint64_t rr);
static inline size_t ws_balance_choose(enum ws_balance policy, struct ws_cluster_rt *rt, const unsigned *cand,
				       size_t n, uint64_t rr)
{
	/* One candidate (one replica: the common case) needs no call. */
	return n > 1 ? ws_balance_choose_among(policy, rt, cand, n, rr) : 0;
}

/* The score a policy gives a node (lower is better), for stats and tests. */
uint64_t ws_balance_score(enum ws_balance policy, struct ws_node_rt *node);

#endif /* WS_BALANCE_H */
