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
	uint64_t seq[WS_MAX_SOURCES];
	uint32_t server[WS_MAX_SOURCES]; /* MariaDB server id seen with seq (for the WAIT text) */
};

struct ws_node_rt {
	struct ws_wm known;              /* applied on this replica, as far as we know */
};

/* Counters of read outcomes under a consistency level (for stats). */
struct ws_consistency_stats {
	uint64_t replica_no_wait;        /* a replica known to be caught up served it */
	uint64_t replica_after_wait;     /* a replica served it after a WAIT */
	uint64_t primary_after_timeout;  /* the WAIT timed out or failed: the primary served it */
	uint64_t wait_us;                /* total time spent in WAITs */
};

struct ws_cluster_rt {
	int flavor;                      /* -1 unknown, else enum ws_gtid_flavor */
	uint64_t rr;                     /* round-robin cursor */
	struct ws_wm instance;           /* every write this process committed */
	struct ws_node_rt *replicas;     /* one per configured replica */
	size_t n_replicas;
	struct ws_consistency_stats stats;
	/* `global` level: the primary's position, shared by all handles for
	 * global_cache_ms. */
	pthread_mutex_t global_lock;
	struct ws_wm global_pos;
	uint64_t global_at_us;
};

/* Create the runtime state for a configuration's clusters. 0 or -ENOMEM. */
int ws_topology_init(const struct ws_config *cfg);

/* The runtime state of a cluster of the active configuration. Never NULL for a
 * cluster returned by ws_config_find_cluster() on that configuration. */
struct ws_cluster_rt *ws_topology_cluster(const struct ws_cluster *c);

/* Index of a GTID source (registering it on first sight), or -1 when the table
 * is full (the caller then cannot prove consistency and uses the primary). */
int ws_topology_source(const char *name);
/* The name of a registered source. */
const char *ws_topology_source_name(int idx);

/* Atomically raise wm->seq[i] to at least seq. */
void ws_wm_raise(struct ws_wm *wm, int i, uint64_t seq, uint32_t server);
/* Raise every source of dst to at least src's. */
void ws_wm_merge(struct ws_wm *dst, const struct ws_wm *src);
/* Does `have` cover every requirement of `need`? */
bool ws_wm_covers(const struct ws_wm *have, const struct ws_wm *need);
bool ws_wm_is_empty(const struct ws_wm *wm);

uint64_t ws_now_us(void);

#endif /* WS_TOPOLOGY_H */
