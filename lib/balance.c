/*
 * balance.c — load balancing policies over live node counters (balance.h).
 *
 *   least_rt              power of two choices over a peak-sensitive response
 *                         time estimate, chosen with a probability that falls
 *                         with cost; stale estimates decay toward the other's
 *   least_qps             power of two choices on statements per second / weight
 *   least_behind_primary  the least behind (GTID distance, then lag); replicas
 *                         about as far along share the reads
 *   random                weighted random
 *   round_robin           weighted rotation
 *
 * Why least_rt is not "the lowest score wins". A policy that always takes the
 * node with the lowest estimate herds: with two equal replicas one of them is a
 * little faster by chance, gets every read, and the other, which gets none,
 * never has its estimate refreshed — it can starve for a whole run (measured:
 * 21 reads against 168,753). Client-side balancers (Finagle, Linkerd, Envoy)
 * fix this with three ideas, all used here:
 *
 *  1. Power of two choices: two distinct candidates are drawn at random (a
 *     per-thread PRNG: no shared write) and only those two are compared. With
 *     many replicas this spreads the load without a scan; with two it is the
 *     pair itself.
 *  2. Cost = peak-sensitive EWMA × (in flight + 1). The estimate (ws_node_end)
 *     moves half way up at a slower sample (counting at most 4× the estimate)
 *     and 1/8 down at a faster one, so a slowdown is seen within a few reads;
 *     the in-flight factor spreads concurrent reads before any has finished.
 *  3. Decay: an estimate that has not been refreshed for `age` picks of the
 *     cluster counts age / (age + RT_STALE_PICKS) of the way toward the other
 *     candidate's, so a node idle for a while — excluded by consistency, down,
 *     or unlucky — looks like its peers again and is tried; after a long
 *     absence the decayed value replaces the stored one.
 *
 * A draw, not a comparison. With two replicas the pair is always the same
 * two, so comparing them would still let noise decide every read of a
 * 1-thread client. Candidate a wins with probability
 * w_a·c_b² / (w_a·c_b² + w_b·c_a²): equal nodes share evenly whatever the
 * noise, a node twice as slow gets 1/5 of the pair's draws. That is clamped so
 * that the worse of the two still gets 1/RT_FLOOR (4 %) of the reads: enough
 * samples to see within a fraction of a second when it is fast again, and the
 * price of that (4 % of the reads at the slow node's pace) is bounded.
 *
 * Runs. Moving every read to another server costs on a small machine where
 * client and servers share cores (docs/performance.md: a server switch wakes
 * another process; 1-thread throughput fell by 35-45 % on a 2-core machine
 * when each read was drawn on its own). So a draw gives its node about RT_RUN_US of this thread's
 * reads, by the node's estimate (at most RT_RUN_MAX reads; one read for a node
 * slower than RT_RUN_US), and the thread keeps it — without a new draw — while
 * its cost stays within RT_RUN_SLACK × the other candidate's. The floor
 * counts the reads a draw gives each node, so it holds in reads, not draws.
 * Under concurrency reads are slower and runs shrink to one read.
 *
 * Everything is a plain load of the nodes' atomic counters (ck_pr) plus, for
 * least_rt, one store to the chosen node (its pick stamp; it also gets the
 * statement counters next). No locks, no fences: every figure is an estimate
 * and no decision here needs two of them to agree.
 */
#include <ck_pr.h>

#include "balance.h"

/* The worse of two candidates still gets 1/RT_FLOOR of the reads. */
#define RT_FLOOR 25.0
/* A draw holds for about RT_RUN_US of this thread's reads (by the node's
 * estimate; at most RT_RUN_MAX reads) while its node costs at most
 * RT_RUN_SLACK × the other candidate. */
#define RT_RUN_US 1000.0
#define RT_RUN_MAX 64.0
#define RT_RUN_SLACK 4.0
/* Staleness from which the decayed estimate replaces the stored one. */
#define RT_FORGET 0.9
/* An estimate this many picks old is half way to the other candidate's. */
#define RT_STALE_PICKS 64u
/* Slack within which two replicas count as equally far behind. */
#define BEHIND_SLACK_TRX 1u
#define BEHIND_SLACK_MS 1000u

static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

/* xorshift64*: per thread, a few cycles, no shared state. */
static inline uint64_t rnd(void)
{
	if (!rng)
		rng = (uint64_t)(uintptr_t)&rng ^ ws_now_us() ^ 0x9E3779B97F4A7C15ull;
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

/* A uniform double in [0, 1) from the top 53 bits of r. */
static inline double unit(uint64_t r)
{
	return (double)(r >> 11) * 0x1p-53;
}

/* A counter as a double: through int64_t, one instruction on x86-64 where
 * an unsigned conversion takes a branch (counters stay far below 2^63). */
static inline double i2d(uint64_t v)
{
	return (double)(int64_t)v;
}

/* Two distinct positions in [0, n), n >= 2, uniformly (multiply-shift: no
 * division). */
static inline void two(uint64_t r, size_t n, size_t *a, size_t *b)
{
	*a = (size_t)(((r & UINT32_MAX) * n) >> 32);
	*b = *a + 1 + (size_t)(((r >> 32) * (n - 1)) >> 32);
	if (*b >= n)
		*b -= n;
}

static inline unsigned weight(const struct ws_node_rt *n)
{
	return n->weight ? n->weight : 1;
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
	uint64_t w = weight(node), v;

	switch (policy) {
	case WS_BALANCE_LEAST_RT:
		v = ck_pr_load_64(&node->ewma_rt_us) * (ck_pr_load_64(&node->inflight) + 1) * 1000u;
		return w > 1 ? v / w : v;
	case WS_BALANCE_LEAST_QPS:
		v = qps_at(node, sec) * 1000u;
		return w > 1 ? v / w : v;
	case WS_BALANCE_LEAST_BEHIND_PRIMARY: {
		uint64_t behind = ck_pr_load_64(&node->behind), lag = ck_pr_load_64(&node->lag_ms);

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

/* ---- least_rt (the algorithm is described at the top of the file) ---- */

/* How far (0..1) an estimate `age` picks old has decayed toward the others'. */
static inline double staleness(uint64_t now_pick, uint64_t picked_at)
{
	/* Another thread may have stamped a later pick than ours: not stale.
	 * Under 1/16 of the way (the common case of a node in steady use): none,
	 * and no division. */
	int64_t age = (int64_t)(now_pick - picked_at);

	if (age < (int64_t)(RT_STALE_PICKS / 15))
		return 0.0;
	return (double)age / (double)((uint64_t)age + RT_STALE_PICKS);
}

/* This thread's run on one node (see "Runs" at the top of the file). */
struct rt_run {
	const struct ws_cluster_rt *rt;
	unsigned node;  /* replica index */
	unsigned left;  /* reads it may still take without a new draw */
};

static __thread struct rt_run run __attribute__((tls_model("initial-exec")));

/* The reads one draw gives a node whose estimate is d µs: about RT_RUN_US
 * worth, at least 1, at most RT_RUN_MAX. */
static inline double run_reads(double d)
{
	return d * RT_RUN_MAX <= RT_RUN_US ? RT_RUN_MAX : d >= RT_RUN_US ? 1.0 : RT_RUN_US / d;
}

static size_t choose_rt(struct ws_cluster_rt *rt, const unsigned *cand, size_t n, uint64_t rr)
{
	size_t ia, ib, p = n;
	uint64_t r = rnd(), ea, eb;
	struct ws_node_rt *a, *b;
	double sa, sb, da, db, ca, cb, qa, qb, la, lb, x;
	bool pick_a;

	if (run.left && run.rt == rt)
		for (size_t i = 0; i < n; i++)
			if (cand[i] == run.node) {
				p = i;
				break;
			}
	two(r, n, &ia, &ib);
	if (p < n) {
		/* The run's node against a random other one. */
		if (ib == p)
			ib = ia;
		ia = p;
	}
	a = &rt->replicas[cand[ia]];
	b = &rt->replicas[cand[ib]];
	ea = ck_pr_load_64(&a->ewma_rt_us);
	eb = ck_pr_load_64(&b->ewma_rt_us);
	sa = staleness(rr, ck_pr_load_64(&a->picked_at));
	sb = staleness(rr, ck_pr_load_64(&b->picked_at));
	/* Each estimate decays toward the other's raw one; at least 1 µs, so
	 * two nodes without samples (0) still share. */
	da = i2d(ea) + (i2d(eb) - i2d(ea)) * sa;
	db = i2d(eb) + (i2d(ea) - i2d(eb)) * sb;
	da = da < 1.0 ? 1.0 : da;
	db = db < 1.0 ? 1.0 : db;
	ca = da * i2d(ck_pr_load_64(&a->inflight) + 1);
	cb = db * i2d(ck_pr_load_64(&b->inflight) + 1);
	if (p < n && ca <= RT_RUN_SLACK * cb) {
		run.left--;
		ck_pr_store_64(&a->picked_at, rr);
		return ia;
	}
	/* A draw: a with probability pa = w_a·c_b² / (w_a·c_b² + w_b·c_a²),
	 * clamped to [lo, hi] so that each of the two gets at least 1/RT_FLOOR
	 * of the reads, counting the reads a draw gives each (la, lb; 1 for a
	 * node whose run the slack check would end at once):
	 * lo = lb / ((F-1)·la + lb), 1 - hi = la / ((F-1)·lb + la). Within 2× of
	 * each other neither bound can bind (pa ≥ 1/5, la/lb ≤ 2). Compared
	 * without dividing: x < lo picks a, x ≥ hi picks b, else x < pa. */
	qa = (double)weight(a) * cb * cb;
	qb = (double)weight(b) * ca * ca;
	x = unit(rnd()); /* r chose the pair: a draw of its own */
	if (ca <= 2 * cb && cb <= 2 * ca) {
		pick_a = x * (qa + qb) < qa;
	} else {
		la = ca > RT_RUN_SLACK * cb ? 1.0 : run_reads(da);
		lb = cb > RT_RUN_SLACK * ca ? 1.0 : run_reads(db);
		if (x * ((RT_FLOOR - 1) * la + lb) < lb)
			pick_a = true;
		else if ((1.0 - x) * ((RT_FLOOR - 1) * lb + la) < la)
			pick_a = false;
		else
			pick_a = x * (qa + qb) < qa;
	}
	run = (struct rt_run){ .rt = rt, .node = cand[pick_a ? ia : ib],
			       .left = (unsigned)run_reads(pick_a ? da : db) - 1 };
	ck_pr_store_64(&(pick_a ? a : b)->picked_at, rr);
	/* A node back after a long absence (≥ 9/10 decayed: hundreds of picks;
	 * a node kept at the floor is never that stale) starts from the decayed
	 * estimate, not from what it was before it left. Losing the race to a
	 * fresh sample is right: the CAS fails and the sample stands. */
	if ((pick_a ? sa : sb) >= RT_FORGET)
		ck_pr_cas_64(pick_a ? &a->ewma_rt_us : &b->ewma_rt_us, pick_a ? ea : eb,
			     (uint64_t)(pick_a ? da : db));
	return pick_a ? ia : ib;
}

/* ---- least_qps ---- */

static size_t choose_qps(struct ws_cluster_rt *rt, const unsigned *cand, size_t n)
{
	size_t ia, ib;
	struct ws_node_rt *a, *b;
	uint64_t sa, sb, sec, va, vb;

	two(rnd(), n, &ia, &ib);
	a = &rt->replicas[cand[ia]];
	b = &rt->replicas[cand[ib]];
	/* No clock read: the later of the two nodes' current seconds stands for
	 * "now". A node idle since before it counts 0 and is tried. */
	sa = ck_pr_load_64(&a->qps_second);
	sb = ck_pr_load_64(&b->qps_second);
	sec = sa > sb ? sa : sb;
	/* qps / weight, compared without dividing. */
	va = qps_at(a, sec) * weight(b);
	vb = qps_at(b, sec) * weight(a);
	/* A tie goes to ia, which is the random one of the pair. */
	return vb < va ? ib : ia;
}

/* ---- least_behind_primary ---- */

/* x and y (either WS_UNKNOWN) within slack + 1/4 of the larger: the monitor
 * measures replicas one after the other while the primary moves on, so a
 * difference that small says nothing about which is further along. */
static inline bool near(uint64_t x, uint64_t y, uint64_t slack)
{
	uint64_t d = x > y ? x - y : y - x, m = x > y ? x : y;

	return d <= slack + m / 4;
}

/* -1: (ba, la) is clearly further along than (bb, lb), 1: the other way, 0:
 * about the same. Unknown sorts after every known figure. */
static int behind_cmp(uint64_t ba, uint64_t la, uint64_t bb, uint64_t lb)
{
	if ((ba == WS_UNKNOWN) != (bb == WS_UNKNOWN))
		return ba == WS_UNKNOWN ? 1 : -1;
	if (!near(ba, bb, BEHIND_SLACK_TRX))
		return ba < bb ? -1 : 1;
	if ((la == WS_UNKNOWN) != (lb == WS_UNKNOWN))
		return la == WS_UNKNOWN ? 1 : -1;
	if (!near(la, lb, BEHIND_SLACK_MS))
		return la < lb ? -1 : 1;
	return 0;
}

/* The least behind candidate; among those about as far along as it, a weighted
 * random one (reservoir sampling; n is at most the 64 candidates route.c
 * passes). One pass and one draw when the
 * first candidate stays the least behind and the weights are equal (all
 * about as far along: the usual case); else a second pass, over the
 * candidates near the least behind. */
static size_t choose_behind(struct ws_cluster_rt *rt, const unsigned *cand, size_t n)
{
	uint64_t total = 0, r = rnd();
	uint64_t bb = ck_pr_load_64(&rt->replicas[cand[0]].behind), lb = ck_pr_load_64(&rt->replicas[cand[0]].lag_ms);
	size_t best = 0, pick = 0, k = 1;
	unsigned char near_first[64]; /* candidates about as far along as the first */
	bool moved = false, unweighted = weight(&rt->replicas[cand[0]]) == 1;

	if (n > 64)
		n = 64;
	near_first[0] = 0;
	for (size_t i = 1; i < n; i++) {
		const struct ws_node_rt *x = &rt->replicas[cand[i]];
		uint64_t bx = ck_pr_load_64(&x->behind), lx = ck_pr_load_64(&x->lag_ms);
		int c = behind_cmp(bx, lx, bb, lb);

		if (c < 0) {
			best = i;
			bb = bx;
			lb = lx;
			moved = true;
		} else if (c == 0 && !moved) {
			near_first[k++] = (unsigned char)i;
			unweighted &= weight(x) == 1;
		}
	}
	/* The first candidate stayed the least behind (all about as far along:
	 * the usual case): one draw among those near it. */
	if (!moved && unweighted)
		return near_first[((r >> 32) * k) >> 32];
	for (size_t j = 0; j < (moved ? n : k); j++) {
		size_t i = moved ? j : near_first[j];
		const struct ws_node_rt *x = &rt->replicas[cand[i]];
		unsigned w = weight(x);

		/* (Figures read again: the monitor may have moved them since; a
		 * node that moved away is then left out, as it should be.) */
		if (moved && i != best &&
		    behind_cmp(ck_pr_load_64(&x->behind), ck_pr_load_64(&x->lag_ms), bb, lb) != 0)
			continue;
		total += w;
		/* Keep i with probability w / (the weights seen so far). */
		if ((((r >> 32) * total) >> 32) < w)
			pick = i;
		r = r * 0x5851F42D4C957F2Dull + 0x14057B7EF767814Full; /* the next draw (LCG step) */
	}
	return pick;
}

/* ---- random, round_robin ---- */

/* The weighted slot `pos` (0 ≤ pos < sum of weights) falls on. */
static size_t weighted(struct ws_cluster_rt *rt, const unsigned *cand, size_t n, uint64_t pos)
{
	for (size_t i = 0; i < n; i++) {
		unsigned w = weight(&rt->replicas[cand[i]]);

		if (pos < w)
			return i;
		pos -= w;
	}
	return n - 1;
}

size_t ws_balance_choose_among(enum ws_balance policy, struct ws_cluster_rt *rt, const unsigned *cand,
			       size_t n, uint64_t rr)
{
	uint64_t total = 0;

	switch (policy) {
	case WS_BALANCE_LEAST_RT:
		return choose_rt(rt, cand, n, rr);
	case WS_BALANCE_LEAST_QPS:
		return choose_qps(rt, cand, n);
	case WS_BALANCE_LEAST_BEHIND_PRIMARY:
		return choose_behind(rt, cand, n);
	default:
		for (size_t i = 0; i < n; i++)
			total += weight(&rt->replicas[cand[i]]);
		return weighted(rt, cand, n, (policy == WS_BALANCE_RANDOM ? rnd() : rr) % total);
	}
}
