/*
 * topology.h — live, process-wide state of each configured cluster and node:
 * server flavour, balancing cursors, GTID positions (what each replica is known
 * to have applied, what this process committed), and counters. Shared by all
 * handles; every field is read and written with ck_pr atomics, no locks on the
 * query path.
 */
#ifndef WS_TOPOLOGY_H
#define WS_TOPOLOGY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ck_pr.h>

#include "config.h"

struct ws_cluster;
struct ws_config;

/*
 * A GTID watermark: for each source (MariaDB domain or MySQL uuid[:tag],
 * registered in a process-wide table by ws_topology_source()), the highest
 * sequence number that must be applied; 0 = nothing required. Comparing two
 * watermarks is a loop of loads: no text is parsed on the query path.
 */
#define WS_MAX_SOURCES 32

struct ws_wm {
	uint32_t mask;                   /* bit i: seq[i] may be non-zero (set after seq[i] is
					    raised, never cleared but by a whole reset), so the
					    loops visit only the sources in use: one, usually */
	uint64_t seq[WS_MAX_SOURCES];
	uint32_t server[WS_MAX_SOURCES]; /* MariaDB server id seen with seq (for the WAIT text) */
};

#define WS_UNKNOWN UINT64_MAX

/*
 * One node's live state. Health fields are written by the monitor thread (and
 * `up` also by the query path when a node fails under a query); counters by
 * every thread that runs a statement there. All through ck_pr.
 */
struct ws_node_rt {
	struct ws_wm known;              /* applied on this node, as far as we know */
	/* health */
	int up;                          /* 1: takes reads; 0: down until it passes checks again */
	int read_only;                   /* -1 unknown, 0, 1 */
	unsigned good_checks;            /* consecutive good checks while down */
	uint64_t lag_ms;                 /* replication lag estimate, WS_UNKNOWN before the first check */
	uint64_t behind;                 /* transactions behind the primary (GTID distance), or WS_UNKNOWN */
	uint64_t stalled_since_ms;       /* behind > 0 and not moving since (0: moving) */
	uint64_t checked_at_ms;          /* last monitor check */
	uint64_t checks_failed;
	uint64_t outages;                /* times it went from up to down: a connection opened
					    before the latest one is stale (ws_conn.outage) */
	/* balancing counters */
	uint64_t inflight;               /* statements running there now */
	uint64_t ewma_rt_us;             /* response time, peak-sensitive EWMA (ws_node_end), 0 = no sample */
	uint64_t picked_at;              /* the cluster's pick count (rr) when a balancer last chose it */
	uint64_t qps_second;             /* the second qps_count counts */
	uint64_t qps_count, qps_prev;    /* statements in that second, and in the one before */
	uint64_t queries, errors;
	uint64_t connections;            /* replica connections open to it (all handles) */
	unsigned weight;
	/* discover_replicas: 1 for a reader slot kept for a discovered replica;
	 * `vacant` while the slot holds no member (never filled, or retired):
	 * not checked by the monitor, never up. */
	int discovered;
	int vacant;
};

/*
 * A reader slot for a discovered replica (discover.c). The slots are made
 * with the cluster's runtime state (discover_max_replicas of them, after the
 * listed replicas), so nothing grows at run time and reader indexes stay
 * valid: a slot's address is written once, before the slot is first filled,
 * and a slot is only ever refilled with the same address.
 */
struct ws_slot {
	struct ws_addr addr;             /* addr.host: "" until filled, then host (ck_pr pointer store) */
	char host[256];
	uint32_t server_id;
	uint64_t missing_since_ms;       /* not listed by the primary since then (0: listed) */
};

/* Counters of read outcomes under a consistency level (for stats). */
struct ws_consistency_stats {
	uint64_t replica_no_wait;        /* a replica known to be caught up served it */
	uint64_t replica_after_wait;     /* a replica served it after a WAIT */
	uint64_t primary_after_timeout;  /* the WAIT timed out or failed: the primary served it */
	uint64_t wait_us;                /* total time spent in WAITs */
	uint64_t hints_ignored;          /* min_gtid / max_lag_ms hints that were malformed */
};

struct ws_cluster_rt {
	int flavor;                      /* -1 unknown, else enum ws_gtid_flavor */
	uint64_t rr;                     /* round-robin cursor */
	struct ws_wm instance;           /* every write this process committed */
	struct ws_node_rt primary;       /* the primary's position (known = its executed set) */
	struct ws_node_rt *replicas;     /* one per configured replica, then one per discovery slot */
	size_t n_replicas;
	struct ws_slot *slots;           /* discover_max_replicas of them (discover_replicas = on) */
	size_t n_listed;                 /* replicas[] below this are the configured ones */
	struct ws_consistency_stats stats;
	uint64_t failovers;              /* handles reconnected to a new primary */
	uint64_t failover_stall_ms;      /* total time statements waited for it */
	uint64_t misrouted;              /* statements a replica refused as writes (read-only session):
					    re-run on the primary; should stay 0 */
	uint64_t lost_writes;            /* switches where the new primary lacked GTIDs seen committed */
	/* wescale_set_primary(): the member an external orchestrator named as the
	 * primary (-1 the configured primary, i >= 0 reader i), or
	 * WS_NOT_DESIGNATED while the monitor's read_only discovery decides; and
	 * the monitor rounds completed when it was named. Written by failover.c
	 * under its lock; read with ck_pr loads. */
	int designated;
	uint64_t designated_round;
	/* `global` level: the primary's position, shared by all handles for
	 * global_cache_ms. */
	pthread_mutex_t global_lock;
	struct ws_wm global_pos;
	uint64_t global_at_us;
};

/* A cluster's members that may serve reads, in a fixed order that indexes
 * rt->replicas[] and each session's replica connections: its `replicas`, or
 * for a `nodes =` cluster all its nodes (whichever is writable is skipped for
 * reads: the monitor sees read_only=0); then, with discover_replicas, the
 * discovery slots (an empty address while vacant: see ws_node_rt.vacant). */
size_t ws_cluster_n_readers(const struct ws_cluster *c);
const struct ws_addr *ws_cluster_reader(const struct ws_cluster *c, size_t i);

#define WS_NOT_DESIGNATED (-3)

/*
 * The member that takes writes now: the one named by wescale_set_primary()
 * while that designation holds (whatever its read_only, as long as it is up;
 * no other member then), else the monitor's view. -1 for the configured
 * primary (only when has_primary), a reader index i >= 0 for a writable
 * reader, -2 when no member is up and writable.
 */
int ws_topology_writable(struct ws_cluster_rt *rt, bool has_primary);

/*
 * Where writes go now: the configured primary while it is up and not
 * read-only; else the member the monitor sees up and writable (a promoted
 * replica, the primary of a `nodes =` cluster). NULL when no writable member
 * is known. *reader gets the member's reader index, or -1 for the configured
 * primary.
 */
const struct ws_addr *ws_topology_primary(const struct ws_cluster *c, int *reader);

/* Create the runtime state for a configuration's clusters. 0 or -ENOMEM. */
int ws_topology_init(const struct ws_config *cfg);

/* The runtime state of a cluster of the active configuration. Never NULL for a
 * cluster returned by ws_config_find_cluster() on that configuration. */
extern struct ws_cluster_rt *ws_rts;
extern const struct ws_cluster *ws_rt_clusters;
extern size_t ws_n_rts;
static inline struct ws_cluster_rt *ws_topology_cluster(const struct ws_cluster *c)
{
	size_t i = (size_t)(c - ws_rt_clusters);

	return i < ws_n_rts ? &ws_rts[i] : NULL;
}

/* Index of a GTID source (registering it on first sight), or -1 when the table
 * is full (the caller then cannot prove consistency and uses the primary). */
int ws_topology_source(const char *name);
/* Index of a source already registered, or -1 (never registers). */
int ws_topology_source_find(const char *name);
/* The name of a registered source. */
const char *ws_topology_source_name(int idx);

/* Balancing counters around a statement on a node; now_us: ws_now_us() at the
 * statement's start (one clock read serves the whole statement). */
static inline void ws_node_begin(struct ws_node_rt *n, uint64_t now_us)
{
	uint64_t sec = now_us / 1000000u, cur = ck_pr_load_64(&n->qps_second);

	ck_pr_inc_64(&n->inflight);
	ck_pr_inc_64(&n->queries);
	/* A new second: the finished one becomes qps_prev. Racing threads may
	 * lose a few counts at the boundary; the figure is an estimate. */
	if (cur != sec && ck_pr_cas_64(&n->qps_second, cur, sec)) {
		ck_pr_store_64(&n->qps_prev, cur + 1 == sec ? ck_pr_load_64(&n->qps_count) : 0);
		ck_pr_store_64(&n->qps_count, 0);
	}
	ck_pr_inc_64(&n->qps_count);
}

/* The response-time estimate is peak-sensitive (balance.c says why): a
 * sample above it moves it half way up at once (counting at most 4× the
 * estimate, so one stalled statement cannot make a node look 100× slower), one
 * below only 1/8 down. */
static inline void ws_node_end(struct ws_node_rt *n, uint64_t elapsed_us, bool failed)
{
	uint64_t old = ck_pr_load_64(&n->ewma_rt_us), upd, x = elapsed_us ? elapsed_us : 1;

	ck_pr_dec_64(&n->inflight);
	if (failed) {
		ck_pr_inc_64(&n->errors);
		return;
	}
	do
		upd = old == 0	   ? x
		      : x > old	   ? old + ((x < 4 * old ? x : 4 * old) - old + 1) / 2
				   : old - (old - x) / 8;
	while (!ck_pr_cas_64_value(&n->ewma_rt_us, old, upd, &old));
}

/* A statement counted by ws_node_begin that was never sent: no sample, no error. */
static inline void ws_node_cancel(struct ws_node_rt *n)
{
	ck_pr_dec_64(&n->inflight);
}

/* Mark a node down at once (a query found it unreachable). */
void ws_node_down(struct ws_node_rt *n);
/* A WAIT on the node timed out after timeout_ms: it lags at least that much
 * (until the monitor's next check says otherwise). */
void ws_node_lagging(struct ws_node_rt *n, uint64_t timeout_ms);
/* Statements per second on a node (this second plus the last). */
uint64_t ws_node_qps(struct ws_node_rt *n);

/* Atomically raise wm->seq[i] to at least seq. */
void ws_wm_raise(struct ws_wm *wm, int i, uint64_t seq, uint32_t server);
/* Raise every source of dst to at least src's. */
void ws_wm_merge(struct ws_wm *dst, const struct ws_wm *src);
/* Does `have` cover every requirement of `need`? (need NULL: nothing required) */
bool ws_wm_covers(const struct ws_wm *have, const struct ws_wm *need);
bool ws_wm_is_empty(const struct ws_wm *wm);
/*
 * Is `have` (a node's position) on another line of history than `need` for
 * some source: at or past need's sequence number there, but under another
 * MariaDB server id? Sequence numbers of a domain are comparable only along
 * one history: after a switch to a primary that lacked some GTIDs, a replica
 * that applied them (its replication from the new primary then fails) shows
 * the same numbers as the new primary's own writes, and MASTER_GTID_WAIT,
 * which compares numbers only, returns at once. Such a node cannot be shown
 * to hold need. MySQL positions (server id 0) never are.
 */
bool ws_wm_other_history(const struct ws_wm *have, const struct ws_wm *need);
/* Forget every requirement (seq 0; not safe against concurrent raises of the
 * same source, which may survive it). */
void ws_wm_clear(struct ws_wm *wm);

static inline uint64_t ws_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif /* WS_TOPOLOGY_H */
