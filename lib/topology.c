/*
 * topology.c — process-wide runtime state of clusters and nodes (topology.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ck_pr.h>

#include "config.h"
#include "topology.h"

static struct ws_cluster_rt *rts;
static const struct ws_cluster *rt_clusters; /* the configuration's array they belong to */
static size_t n_rts;

/* The source registry: names are written once, then published by the count. */
static char source_names[WS_MAX_SOURCES][72];
static unsigned n_sources;
static pthread_mutex_t source_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t ws_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int ws_topology_init(const struct ws_config *cfg)
{
	struct ws_cluster_rt *r = calloc(cfg->n_clusters ? cfg->n_clusters : 1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		r[i].flavor = -1;
		r[i].n_replicas = cfg->clusters[i].n_replicas;
		r[i].replicas = calloc(r[i].n_replicas ? r[i].n_replicas : 1, sizeof(*r[i].replicas));
		pthread_mutex_init(&r[i].global_lock, NULL);
		if (!r[i].replicas) {
			while (i-- > 0)
				free(r[i].replicas);
			free(r);
			return -ENOMEM;
		}
	}
	rts = r;
	rt_clusters = cfg->clusters;
	n_rts = cfg->n_clusters;
	return 0;
}

struct ws_cluster_rt *ws_topology_cluster(const struct ws_cluster *c)
{
	size_t i = (size_t)(c - rt_clusters);

	return i < n_rts ? &rts[i] : NULL;
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
			return;
		}
	}
}

void ws_wm_merge(struct ws_wm *dst, const struct ws_wm *src)
{
	for (int i = 0; i < WS_MAX_SOURCES; i++) {
		uint64_t v = ck_pr_load_64((uint64_t *)&src->seq[i]);

		if (v)
			ws_wm_raise(dst, i, v, ck_pr_load_32((uint32_t *)&src->server[i]));
	}
}

bool ws_wm_covers(const struct ws_wm *have, const struct ws_wm *need)
{
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		if (ck_pr_load_64((uint64_t *)&need->seq[i]) > ck_pr_load_64((uint64_t *)&have->seq[i]))
			return false;
	return true;
}

bool ws_wm_is_empty(const struct ws_wm *wm)
{
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		if (ck_pr_load_64((uint64_t *)&wm->seq[i]))
			return false;
	return true;
}
