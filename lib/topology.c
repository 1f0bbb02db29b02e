/*
 * topology.c — process-wide runtime state of clusters and nodes (topology.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ck_pr.h>

#include "config.h"
#include "topology.h"

struct ws_cluster_rt *ws_rts;
const struct ws_cluster *ws_rt_clusters; /* the configuration's array they belong to */
size_t ws_n_rts;

/* The source registry: names are written once, then published by the count. */
static char source_names[WS_MAX_SOURCES][72];
static unsigned n_sources;
static pthread_mutex_t source_lock = PTHREAD_MUTEX_INITIALIZER;

static void node_init(struct ws_node_rt *n, unsigned weight)
{
	/* Until the monitor's first check, a configured node is presumed up. */
	n->up = 1;
	n->read_only = -1;
	n->lag_ms = WS_UNKNOWN;
	n->behind = WS_UNKNOWN;
	n->weight = weight ? weight : 1;
}

void ws_node_down(struct ws_node_rt *n)
{
	ck_pr_store_uint(&n->good_checks, 0);
	if (ck_pr_fas_int(&n->up, 0))
		ck_pr_inc_64(&n->outages);
}

void ws_node_lagging(struct ws_node_rt *n, uint64_t timeout_ms)
{
	uint64_t lag = ck_pr_load_64(&n->lag_ms);

	if (lag == WS_UNKNOWN || lag < timeout_ms)
		ck_pr_store_64(&n->lag_ms, timeout_ms);
}

uint64_t ws_node_qps(struct ws_node_rt *n)
{
	uint64_t sec = ws_now_us() / 1000000u, cur = ck_pr_load_64(&n->qps_second);

	if (cur == sec)
		return ck_pr_load_64(&n->qps_count) + ck_pr_load_64(&n->qps_prev);
	return cur + 1 == sec ? ck_pr_load_64(&n->qps_count) : 0;
}

size_t ws_cluster_n_readers(const struct ws_cluster *c)
{
	if (!c->has_primary)
		return c->n_nodes;
	return c->n_replicas + (c->discover_replicas ? c->discover_max_replicas : 0);
}

const struct ws_addr *ws_cluster_reader(const struct ws_cluster *c, size_t i)
{
	static const struct ws_addr none = { .host = (char *)"" };
	struct ws_cluster_rt *rt;

	if (!c->has_primary)
		return &c->nodes[i];
	if (i < c->n_replicas)
		return &c->replicas[i];
	/* A discovery slot: its host pointer is stored after the rest of the
	 * address (discover.c); the fence orders our reads of port after it. */
	rt = ws_topology_cluster(c);
	if (!rt || !rt->slots || i - c->n_replicas >= c->discover_max_replicas)
		return &none;
	ck_pr_load_ptr(&rt->slots[i - c->n_replicas].addr.host);
	ck_pr_fence_load();
	return &rt->slots[i - c->n_replicas].addr;
}

int ws_topology_writable(struct ws_cluster_rt *rt, bool has_primary)
{
	int d = ck_pr_load_int(&rt->designated);

	/* An orchestrator's word is final: a writable old primary takes nothing. */
	if (d != WS_NOT_DESIGNATED)
		return ck_pr_load_int(d < 0 ? &rt->primary.up : &rt->replicas[d].up) ? d : -2;
	if (has_primary && ck_pr_load_int(&rt->primary.up) && ck_pr_load_int(&rt->primary.read_only) != 1)
		return -1;
	for (size_t i = 0; i < rt->n_replicas; i++)
		if (ck_pr_load_int(&rt->replicas[i].up) && ck_pr_load_int(&rt->replicas[i].read_only) == 0)
			return (int)i;
	return -2;
}

const struct ws_addr *ws_topology_primary(const struct ws_cluster *c, int *reader)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(c);
	int w;

	*reader = -1;
	if (!rt)
		return c->has_primary ? &c->primary : NULL;
	w = ws_topology_writable(rt, c->has_primary);
	if (w == -1)
		return &c->primary;
	if (w < 0)
		return NULL;
	*reader = w;
	return ws_cluster_reader(c, (size_t)w);
}

int ws_topology_init(const struct ws_config *cfg)
{
	struct ws_cluster_rt *r = calloc(cfg->n_clusters ? cfg->n_clusters : 1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		r[i].flavor = -1;
		r[i].designated = WS_NOT_DESIGNATED;
		r[i].n_replicas = ws_cluster_n_readers(&cfg->clusters[i]);
		r[i].replicas = calloc(r[i].n_replicas ? r[i].n_replicas : 1, sizeof(*r[i].replicas));
		pthread_mutex_init(&r[i].global_lock, NULL);
		if (!r[i].replicas) {
			while (i-- > 0) {
				free(r[i].replicas);
				free(r[i].slots);
			}
			free(r);
			return -ENOMEM;
		}
		node_init(&r[i].primary, 1);
		r[i].n_listed = cfg->clusters[i].has_primary ? cfg->clusters[i].n_replicas : r[i].n_replicas;
		for (size_t k = 0; k < r[i].n_listed; k++)
			node_init(&r[i].replicas[k], ws_cluster_reader(&cfg->clusters[i], k)->weight);
		for (size_t k = r[i].n_listed; k < r[i].n_replicas; k++) {
			node_init(&r[i].replicas[k], 1);
			r[i].replicas[k].up = 0; /* nothing to read from before discovery fills it */
			r[i].replicas[k].discovered = r[i].replicas[k].vacant = 1;
		}
		if (r[i].n_replicas > r[i].n_listed) {
			r[i].slots = calloc(r[i].n_replicas - r[i].n_listed, sizeof(*r[i].slots));
			if (!r[i].slots) {
				free(r[i].replicas);
				while (i-- > 0) {
					free(r[i].replicas);
					free(r[i].slots);
				}
				free(r);
				return -ENOMEM;
			}
			for (size_t k = 0; k < r[i].n_replicas - r[i].n_listed; k++)
				r[i].slots[k].addr.host = (char *)"";
		}
	}
	ws_rts = r;
	ws_rt_clusters = cfg->clusters;
	ws_n_rts = cfg->n_clusters;
	return 0;
}

int ws_topology_source_find(const char *name)
{
	unsigned n = ck_pr_load_uint(&n_sources);

	/* Orders the name reads after the count; pairs with the store fence below. */
	ck_pr_fence_load();
	for (unsigned i = 0; i < n; i++)
		if (strcmp(source_names[i], name) == 0)
			return (int)i;
	return -1;
}

int ws_topology_source(const char *name)
{
	unsigned n = ck_pr_load_uint(&n_sources);
	int idx = -1;

	/* Orders the name reads after the count; pairs with the store fence below. */
	ck_pr_fence_load();
	for (unsigned i = 0; i < n; i++)
		if (strcmp(source_names[i], name) == 0)
			return (int)i;
	pthread_mutex_lock(&source_lock);
	n = ck_pr_load_uint(&n_sources);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(source_names[i], name) == 0)
			idx = (int)i;
	if (idx < 0 && n < WS_MAX_SOURCES && strlen(name) < sizeof(source_names[0])) {
		strcpy(source_names[n], name);
		/* The name is complete before the count says it exists. */
		ck_pr_fence_store();
		ck_pr_store_uint(&n_sources, n + 1);
		idx = (int)n;
	}
	pthread_mutex_unlock(&source_lock);
	return idx;
}

const char *ws_topology_source_name(int idx)
{
	return idx >= 0 && (unsigned)idx < ck_pr_load_uint(&n_sources) ? source_names[idx] : "";
}

void ws_wm_raise(struct ws_wm *wm, int i, uint64_t seq, uint32_t server)
{
	uint64_t cur = ck_pr_load_64(&wm->seq[i]);

	while (cur < seq) {
		if (ck_pr_cas_64_value(&wm->seq[i], cur, seq, &cur)) {
			/* The server id only names the GTID in a WAIT; it may lag seq. */
			ck_pr_store_32(&wm->server[i], server);
			/* After the number: a reader that sees the bit sees a number
			 * at least as new as the one that set it. */
			if (!(ck_pr_load_32(&wm->mask) & (1u << i)))
				ck_pr_or_32(&wm->mask, 1u << i);
			return;
		}
	}
}

void ws_wm_merge(struct ws_wm *dst, const struct ws_wm *src)
{
	for (uint32_t m = ck_pr_load_32((uint32_t *)&src->mask); m; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t v = ck_pr_load_64((uint64_t *)&src->seq[i]);

		if (v)
			ws_wm_raise(dst, i, v, ck_pr_load_32((uint32_t *)&src->server[i]));
	}
}

bool ws_wm_covers(const struct ws_wm *have, const struct ws_wm *need)
{
	if (!need)
		return true;
	/* Only need's sources count; have's bits are not trusted (a number may be
	 * in place before its bit). */
	for (uint32_t m = ck_pr_load_32((uint32_t *)&need->mask); m; m &= m - 1) {
		int i = __builtin_ctz(m);

		if (ck_pr_load_64((uint64_t *)&need->seq[i]) > ck_pr_load_64((uint64_t *)&have->seq[i]))
			return false;
	}
	return true;
}

bool ws_wm_other_history(const struct ws_wm *have, const struct ws_wm *need)
{
	for (uint32_t m = ck_pr_load_32((uint32_t *)&need->mask); m; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t want = ck_pr_load_64((uint64_t *)&need->seq[i]);
		uint32_t ns = ck_pr_load_32((uint32_t *)&need->server[i]);
		uint32_t hs = ck_pr_load_32((uint32_t *)&have->server[i]);

		/* (A server id may lag its number, see ws_wm_raise: read while the
		 * number moves, a mismatch costs one read elsewhere.) */
		if (want && ns && hs && ns != hs && ck_pr_load_64((uint64_t *)&have->seq[i]) >= want)
			return true;
	}
	return false;
}

bool ws_wm_is_empty(const struct ws_wm *wm)
{
	for (uint32_t m = ck_pr_load_32((uint32_t *)&wm->mask); m; m &= m - 1)
		if (ck_pr_load_64((uint64_t *)&wm->seq[__builtin_ctz(m)]))
			return false;
	return true;
}

void ws_wm_clear(struct ws_wm *wm)
{
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		ck_pr_store_64(&wm->seq[i], 0);
}
