/*
 * affinity.h — a handle keeps reading from the replica it already has a
 * connection to (docs/performance.md, "Connect cost").
 *
 * Each handle's first read is placed by the balancing policy; later reads stay
 * on that replica while it is a candidate for the read (up, within
 * max_replica_lag_ms, known to have applied what the read must see) and not
 * clearly more loaded than the best candidate: its policy score at most twice
 * the best one, or within a floor under which differences are noise (50
 * statements a second for least_qps, one transaction for
 * least_behind_primary). So the balancer spreads handles,
 * and a handle normally has one replica connection instead of one per replica.
 * random and round_robin stay per statement: spreading every read is what they
 * are asked for. least_rt has its own stickiness (a thread's runs on one node,
 * balance.c) and shares reads by measured response time: the policy decides.
 */
#ifndef WS_AFFINITY_H
#define WS_AFFINITY_H

#include <stddef.h>

#include "balance.h"
#include "session.h"

/* The position in cand[0..n) of the replica this handle should keep, or -1
 * (the policy chooses). */
int ws_affinity_keep_slow(const struct ws_session *s, struct ws_cluster_rt *rt, const unsigned *cand, size_t n);
static inline int ws_affinity_keep(const struct ws_session *s, struct ws_cluster_rt *rt, const unsigned *cand,
				   size_t n)
{
	if (s->cluster->load_balance == WS_BALANCE_RANDOM || s->cluster->load_balance == WS_BALANCE_ROUND_ROBIN ||
	    s->cluster->load_balance == WS_BALANCE_LEAST_RT)
		return -1;
	if (n == 1)
		return s->replicas[cand[0]].mysql ? 0 : -1;
	return ws_affinity_keep_slow(s, rt, cand, n);
}

#endif /* WS_AFFINITY_H */
