/*
 * discover.c — discover_replicas = on: the monitor finds the primary's
 * replicas itself (issue 22).
 *
 * A task of the monitor thread (registered when the library loads; the
 * monitor does not know this module). Each round, for each cluster with
 * discovery on, it asks the member that takes writes now for the replicas
 * connected to it (MariaDB SHOW SLAVE HOSTS, MySQL SHOW REPLICAS: the
 * report_host / report_port each replica was started with). A candidate that
 * is not a listed replica is confirmed before it is used: connected to with
 * the monitor's credentials, its @@server_id must be the one the primary
 * reported and one of its replication channels must read from this primary.
 * Then it fills a reader slot (topology.h, struct ws_slot): the slot was made
 * with the cluster's runtime state, so nothing grows and the query path reads
 * it like any replica, without locks. It starts down, with the confirmation
 * counted as one good check; the monitor's own check of the same round (tasks
 * run before the node checks) brings it up. So no read reaches a node that was
 * not checked, and a replica that starts is taking reads one health interval
 * after it connects to the primary.
 *
 * A discovered replica the primary stops listing is retired after
 * discover_grace_ms (it is down as soon as a check fails anyway); its slot
 * stays reserved for the same address, which is why a slot is never refilled
 * with another one (handles' connections are indexed by slot). A listing that
 * fails (privileges, a lost connection) changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ck_pr.h>

#include "config.h"
#include "discover.h"
#include "settings.h"
#include "gtid.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "session.h"
#include "topology.h"

#define MAX_LISTED 128

/* The column named `name` (any of the spellings given, case-insensitive), or -1. */
static int column(MYSQL_RES *res, const char *const *names)
{
	const struct ws_real *R = ws_real();
	MYSQL_FIELD *f = R->mysql_fetch_fields(res);
	unsigned n = R->mysql_num_fields(res);

	for (unsigned i = 0; i < n; i++)
		for (const char *const *nm = names; *nm; nm++)
			if (strcasecmp(f[i].name, *nm) == 0)
				return (int)i;
	return -1;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

int ws_discover_list(MYSQL *m, int flavor, struct ws_discovered *out, size_t n)
{
	static const char *const id_names[] = { "Server_id", NULL }, *const host_names[] = { "Host", NULL },
				 *const port_names[] = { "Port", NULL };
	const struct ws_real *R = ws_real();
	const char *sql = flavor == WS_GTID_MYSQL ? "SHOW REPLICAS" : "SHOW SLAVE HOSTS";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int ci, ch, cp, k = 0;

	if (R->mysql_query(m, sql) || !(res = R->mysql_store_result(m)))
		return -1;
	ci = column(res, id_names);
	ch = column(res, host_names);
	cp = column(res, port_names);
	while (ch >= 0 && cp >= 0 && (row = R->mysql_fetch_row(res))) {
		unsigned long port, id = 0;

		/* A replica without report_host lists an empty Host: not reachable by us. */
		if (!row[ch] || !*row[ch] || strlen(row[ch]) >= sizeof(out->host) ||
		    !parse_uint(row[cp], 65535, &port) || port == 0 ||
		    (ci >= 0 && !parse_uint(row[ci], UINT32_MAX, &id)))
			continue;
		if ((size_t)k < n) {
			snprintf(out[k].host, sizeof(out[k].host), "%s", row[ch]);
			out[k].port = (unsigned)port;
			out[k].server_id = (uint32_t)id;
		}
		k++;
	}
	R->mysql_free_result(res);
	return k;
}

bool ws_discover_confirm(MYSQL *m, int flavor, const struct ws_discovered *d, const char *primary_host,
			 unsigned primary_port, const char **why)
{
	static const char *const host_names[] = { "Master_Host", "Source_Host", NULL },
				 *const port_names[] = { "Master_Port", "Source_Port", NULL };
	/* MySQL: SHOW REPLICA STATUS (8.0.22+), SHOW SLAVE STATUS before it, and
	 * performance_schema's channel configuration where the user may read
	 * that but not the status (no REPLICATION CLIENT). MariaDB: every
	 * channel of a multi-source replica. */
	static const char *const mysql_sql[] = {
		"SHOW REPLICA STATUS", "SHOW SLAVE STATUS",
		"SELECT HOST AS Source_Host, PORT AS Source_Port FROM "
		"performance_schema.replication_connection_configuration", NULL,
	}, *const mariadb_sql[] = { "SHOW ALL SLAVES STATUS", NULL };
	const struct ws_real *R = ws_real();
	const char *const *sql = flavor == WS_GTID_MYSQL ? mysql_sql : mariadb_sql;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	bool ok = false;
	int ch, cp;

	*why = "cannot read its @@server_id";
	if (R->mysql_query(m, "SELECT @@server_id") || !(res = R->mysql_store_result(m)))
		return false;
	row = R->mysql_fetch_row(res);
	if (row && row[0] && d->server_id && strtoul(row[0], NULL, 10) != d->server_id)
		*why = "its @@server_id is not the one the primary reported";
	else if (row && row[0])
		*why = NULL;
	R->mysql_free_result(res);
	res = NULL;
	if (*why)
		return false;
	*why = "cannot read its replication status (it needs SLAVE MONITOR / REPLICATION CLIENT)";
	for (; *sql && !res; sql++)
		if (R->mysql_query(m, *sql) == 0)
			res = R->mysql_store_result(m);
	if (!res)
		return false;
	*why = "none of its replication channels reads from this primary";
	ch = column(res, host_names);
	cp = column(res, port_names);
	while (!ok && ch >= 0 && cp >= 0 && (row = R->mysql_fetch_row(res))) {
		unsigned long port;

		ok = row[ch] && strcasecmp(row[ch], primary_host) == 0 && parse_uint(row[cp], 65535, &port) &&
		     port == primary_port;
	}
	R->mysql_free_result(res);
	if (ok)
		*why = NULL;
	return ok;
}

/* Per cluster: connections to the member that takes writes and to each
 * discovered replica (to confirm it again every round). */
struct disc {
	MYSQL *primary;
	MYSQL *slot[32];                 /* discover_max_replicas <= 32 (config.c) */
	const struct ws_addr *primary_addr;
	uint64_t fork_gen;
	bool warned;
};

static struct disc *discs;
static size_t n_discs;

static void conn_drop(struct disc *d, MYSQL **m)
{
	if (*m) {
		/* Opened by an ancestor before fork(): its socket is not ours to use. */
		if (d->fork_gen != ck_pr_load_64(&ws_fork_generation))
			ws_session_disown_socket(*m);
		ws_real()->mysql_close(*m);
	}
	*m = NULL;
}

static void disc_drop(struct disc *d)
{
	conn_drop(d, &d->primary);
	for (size_t k = 0; k < sizeof(d->slot) / sizeof(d->slot[0]); k++)
		conn_drop(d, &d->slot[k]);
}

/* The slot holding host:port, or -1. */
static int slot_of(struct ws_cluster_rt *rt, size_t n_slots, const char *host, unsigned port)
{
	for (size_t k = 0; k < n_slots; k++)
		if (rt->slots[k].addr.port == port && strcasecmp(rt->slots[k].addr.host, host) == 0)
			return (int)k;
	return -1;
}

static bool is_listed(const struct ws_cluster *c, const struct ws_addr *primary, const char *host, unsigned port)
{
	if (!primary->is_socket && primary->port == port && strcasecmp(primary->host, host) == 0)
		return true;
	for (size_t i = 0; i < c->n_replicas; i++)
		if (!c->replicas[i].is_socket && c->replicas[i].port == port && strcasecmp(c->replicas[i].host, host) == 0)
			return true;
	return false;
}

/* Put a confirmed replica into slot k (new, or the one it had before). */
static void fill(struct ws_cluster_rt *rt, size_t k, const struct ws_discovered *d)
{
	struct ws_slot *sl = &rt->slots[k];
	struct ws_node_rt *n = &rt->replicas[rt->n_listed + k];

	if (sl->addr.host[0] == '\0') {
		size_t len = strnlen(d->host, sizeof(sl->host) - 1);

		memcpy(sl->host, d->host, len);
		sl->host[len] = '\0';
		sl->addr.port = d->port;
		sl->addr.weight = 1;
		/* The address is complete before the pointer makes it visible;
		 * pairs with the load fence in ws_cluster_reader(). */
		ck_pr_fence_store();
		ck_pr_store_ptr(&sl->addr.host, sl->host);
	}
	sl->server_id = d->server_id;
	sl->missing_since_ms = 0;
	/* A fresh start: what it applied is learned again (it may have been
	 * rebuilt from a backup while away). Nothing reads these while vacant. */
	ws_wm_clear(&n->known);
	ck_pr_store_int(&n->read_only, -1);
	ck_pr_store_64(&n->lag_ms, WS_UNKNOWN);
	ck_pr_store_64(&n->behind, WS_UNKNOWN);
	ck_pr_store_64(&n->stalled_since_ms, 0);
	ck_pr_store_int(&n->up, 0);
	ck_pr_inc_64(&n->outages); /* connections to whoever held it before are stale */
	/* The confirmation was one good check: the monitor's next one (this
	 * round) brings it up. */
	ck_pr_store_uint(&n->good_checks, WS_MONITOR_GOOD_CHECKS - 1);
	/* The state above is in place before the monitor may check it. */
	ck_pr_fence_store();
	ck_pr_store_int(&n->vacant, 0);
}

static void discover_cluster(const struct ws_cluster *c, struct ws_cluster_rt *rt, struct disc *dc,
			     unsigned interval_ms)
{
	const struct ws_real *R = ws_real();
	size_t n_slots = rt->n_replicas - rt->n_listed;
	struct ws_discovered listed[MAX_LISTED];
	bool seen[32] = { false }, confirmed[32] = { false };
	const struct ws_addr *p;
	uint64_t now = ws_now_us() / 1000u;
	int reader, n, flavor = ck_pr_load_int(&rt->flavor);

	if (flavor < 0 || !(p = ws_topology_primary(c, &reader)) || p->is_socket)
		return; /* (a socket primary: the replicas cannot name it) */
	if (dc->fork_gen != ck_pr_load_64(&ws_fork_generation))
		disc_drop(dc); /* (after fork: every connection is the parent's) */
	if (dc->primary && dc->primary_addr != p)
		disc_drop(dc); /* a new primary: its replicas are confirmed afresh */
	if (!dc->primary) {
		if (!(dc->primary = ws_monitor_connect(p, interval_ms)))
			return;
		dc->primary_addr = p;
		dc->fork_gen = ck_pr_load_64(&ws_fork_generation);
	}
	n = ws_discover_list(dc->primary, flavor, listed, MAX_LISTED);
	if (n < 0) {
		if (!dc->warned)
			ws_log(WS_LOG_WARN, "discover_replicas: cluster '%s': cannot list the replicas of %s:%u (%s); "
			       "the monitor user needs REPLICATION MASTER ADMIN (MariaDB) or REPLICATION SLAVE (MySQL)",
			       c->name, p->host, p->port, R->mysql_error(dc->primary));
		dc->warned = true;
		conn_drop(dc, &dc->primary); /* reconnect next round */
		return;
	}
	for (int i = 0; i < n && i < MAX_LISTED; i++) {
		const struct ws_discovered *d = &listed[i];
		int k = slot_of(rt, n_slots, d->host, d->port);
		const char *why = NULL;
		MYSQL *m;

		if (is_listed(c, p, d->host, d->port))
			continue;
		if (k >= 0 && !ck_pr_load_int(&rt->replicas[rt->n_listed + (size_t)k].vacant)) {
			seen[k] = true; /* in use: confirmed again below */
			continue;
		}
		if (k < 0)
			k = slot_of(rt, n_slots, "", 0); /* a slot never filled */
		if (k < 0) {
			ws_log(WS_LOG_WARN, "discover_replicas: cluster '%s': no free slot for %s:%u "
			       "(discover_max_replicas = %u)", c->name, d->host, d->port, c->discover_max_replicas);
			continue;
		}
		{
			struct ws_addr a = { .host = (char *)d->host, .port = d->port };

			m = ws_monitor_connect(&a, interval_ms);
		}
		if (!m || !ws_discover_confirm(m, flavor, d, p->host, p->port, &why)) {
			ws_log(WS_LOG_INFO, "discover_replicas: cluster '%s': %s:%u (server_id %u) not used: %s", c->name,
			       d->host, d->port, d->server_id, m ? why : "cannot connect to it");
			if (m)
				R->mysql_close(m);
			continue;
		}
		conn_drop(dc, &dc->slot[k]);
		dc->slot[k] = m; /* kept, to confirm it again every round */
		fill(rt, (size_t)k, d);
		seen[k] = confirmed[k] = true;
		ws_log(WS_LOG_INFO, "discover_replicas: cluster '%s': replica %s:%u (server_id %u) found", c->name,
		       d->host, d->port, d->server_id);
	}
	/*
	 * Every replica in use is confirmed again each round: one that now
	 * replicates from elsewhere is retired at once. One the primary no
	 * longer lists, that cannot be reached, or that the monitor sees down
	 * (a primary lists a replica that went away until its dump thread
	 * notices, which may take slave_net_timeout) is retired once that has
	 * lasted discover_grace_ms.
	 */
	for (size_t k = 0; k < n_slots; k++) {
		struct ws_node_rt *node = &rt->replicas[rt->n_listed + k];
		struct ws_slot *sl = &rt->slots[k];
		struct ws_discovered d = { .port = sl->addr.port, .server_id = sl->server_id };
		const char *why = "not listed by the primary";
		bool gone = !seen[k];

		if (ck_pr_load_int(&node->vacant))
			continue;
		if (!gone && !confirmed[k]) {
			if (!dc->slot[k])
				dc->slot[k] = ws_monitor_connect(&sl->addr, interval_ms);
			if (!dc->slot[k] || !ws_discover_confirm(dc->slot[k], flavor, &d, p->host, p->port, &why)) {
				if (dc->slot[k] && R->mysql_errno(dc->slot[k]) == 0) {
					/* It answered, and is not (or no longer) a replica of this primary. */
					ws_node_down(node);
					ck_pr_store_int(&node->vacant, 1);
					ws_log(WS_LOG_INFO, "discover_replicas: cluster '%s': replica %s:%u retired: %s",
					       c->name, sl->addr.host, sl->addr.port, why);
					conn_drop(dc, &dc->slot[k]);
					continue;
				}
				conn_drop(dc, &dc->slot[k]);
				why = "cannot be reached";
				gone = true;
			}
		}
		if (!gone && !ck_pr_load_int(&node->up) && !confirmed[k]) {
			why = "down";
			gone = true;
		}
		if (!gone) {
			sl->missing_since_ms = 0;
			continue;
		}
		if (!sl->missing_since_ms)
			sl->missing_since_ms = now ? now : 1;
		if (now - sl->missing_since_ms < c->discover_grace_ms)
			continue;
		ws_node_down(node);
		ck_pr_store_int(&node->vacant, 1);
		conn_drop(dc, &dc->slot[k]);
		ws_log(WS_LOG_INFO, "discover_replicas: cluster '%s': replica %s:%u retired (%s for %u ms)", c->name,
		       sl->addr.host, sl->addr.port, why, c->discover_grace_ms);
	}
}

void ws_discover_task(void *ctx, unsigned interval_ms, bool stopping)
{
	const struct ws_config *cfg = ws_global_config();

	if (stopping || !cfg || (discs && n_discs != cfg->n_clusters)) {
		for (size_t i = 0; i < n_discs; i++)
			disc_drop(&discs[i]);
		free(discs);
		discs = NULL;
		n_discs = 0;
		if (stopping || !cfg)
			return;
	}
	if (!discs) {
		if (!(discs = calloc(cfg->n_clusters ? cfg->n_clusters : 1, sizeof(*discs))))
			return;
		n_discs = cfg->n_clusters;
	}
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct ws_cluster *c = &cfg->clusters[i];
		struct ws_cluster_rt *rt = ws_topology_cluster(c);

		if (c->discover_replicas && rt && rt->slots)
			discover_cluster(c, rt, &discs[i], interval_ms);
	}
}
