/*
 * unit-cluster.h — for unit suites that need a cluster's runtime state and
 * managed handles without a server (test-consistency.c, test-token.c).
 */
#ifndef UNIT_CLUSTER_H
#define UNIT_CLUSTER_H

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "session.h"
#include "topology.h"

static struct ws_config *unit_cfg;

/* Load text as the configuration and make its runtime state (both are kept
 * until exit: the topology keeps pointers into the configuration). 0 or -1. */
static inline int unit_cluster_init(const char *text)
{
	if (ws_config_load_string("test", text, strlen(text), &unit_cfg) != 0 || !unit_cfg)
		return -1;
	return ws_topology_init(unit_cfg);
}

static inline int unit_cluster_clean(void)
{
	return 0;
}

/* A handle of the first cluster, connected to a server of `flavor`. */
static inline struct ws_session *unit_session_new(int flavor)
{
	struct ws_session *s = calloc(1, sizeof(*s));

	if (s) {
		s->cluster = &unit_cfg->clusters[0];
		s->flavor = flavor;
		s->consistency = -1;
	}
	return s;
}

static inline void unit_session_free(struct ws_session *s)
{
	free(s->wm);
	free(s);
}

#endif /* UNIT_CLUSTER_H */
