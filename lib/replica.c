/*
 * replica.c — a handle's connection to one replica, ready for a read: taken
 * from the pool or opened (a read-only session with the application's options
 * and flags: safety.c), brought up to the session's state (session.c).
 */
#include <mysqld_error.h>

#include <ck_pr.h>

#include "config.h"
#include "log.h"
#include "pool.h"
#include "real.h"
#include "replica.h"
#include "safety.h"
#include "session.h"
#include "topology.h"

static bool has_option(const struct ws_session *s, int option)
{
	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].option == option && s->opts[i].kind != WS_OPT_SSL_SET)
			return true;
	return false;
}

MYSQL *ws_replica_slow(struct ws_session *s, size_t idx, uint64_t now_ms)
{
	const struct ws_real *R = ws_real();
	struct ws_conn *c = &s->replicas[idx];
	const struct ws_addr *a = ws_cluster_reader(s->cluster, c->node);

	if (c->failed) {
		if (now_ms < c->retry_at_ms)
			return NULL;
		c->failed = false;
	}
	if (!c->mysql && (c->mysql = ws_pool_take(s, c, &c->applied_gen, &c->outage))) {
		/* A pooled connection: a read-only session already (pool.c). */
		c->conn_gen++;
		c->opts_at = s->n_opts;
		ws_log(WS_LOG_DEBUG, "replica %s:%u: pooled connection reused", a->host, a->port);
	}
	if (!c->mysql) {
		struct ws_node_rt *node = &ws_topology_cluster(s->cluster)->replicas[c->node];
		unsigned cap = s->cluster->max_connections_per_node;
		MYSQL *m;

		/* max_connections_per_node: over the cap this handle reads elsewhere. */
		if (ck_pr_faa_64(&node->connections, 1) >= cap && cap) {
			ck_pr_dec_64(&node->connections);
			return NULL;
		}
		ws_guard_enter();
		m = R->mysql_init(NULL);
		ws_guard_leave();
		if (!m) {
			ck_pr_dec_64(&node->connections);
			ws_session_replica_failed(s, idx);
			return NULL;
		}
		c->mysql = m;
		/* A replica that stalls (network, SIGSTOP) must not hang a read:
		 * unless the application chose its own read timeout, reads on
		 * replicas give up after replica_read_timeout_ms and move on. */
		if (s->cluster->replica_read_timeout_ms && !has_option(s, MYSQL_OPT_READ_TIMEOUT)) {
			unsigned t = (s->cluster->replica_read_timeout_ms + 999) / 1000;

			ws_guard_enter();
			R->mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
			ws_guard_leave();
		}
		/* A read-only session with the application's capabilities, no
		 * more (safety.c). */
		ws_safety_replica_options(s, m);
		c->outage = ck_pr_load_64(&node->outages);
		c->opts_at = s->n_opts;
		ws_guard_enter();
		m = R->mysql_real_connect(m, a->is_socket ? NULL : a->host, s->user, s->password, s->db,
					  a->port, a->is_socket ? a->host : NULL, ws_safety_replica_flags(s));
		ws_guard_leave();
		if (!m) {
			ws_log(WS_LOG_INFO, "replica %s:%u refused the connection: %s; no reads for %u ms",
			       a->host, a->port, R->mysql_error(c->mysql), WS_REPLICA_RETRY_MS);
			/* Unreachable for this handle: for every handle, until the
			 * monitor sees it pass its checks again. */
			if (R->mysql_errno(c->mysql) != ER_CON_COUNT_ERROR)
				ws_node_down(&ws_topology_cluster(s->cluster)->replicas[c->node]);
			ws_session_replica_failed(s, idx);
			return NULL;
		}
		c->applied_gen = 0;
		c->conn_gen++;
		ws_session_set_cloexec(m);
		if (ws_safety_replica_init(s, m) < 0) {
			ws_session_replica_failed(s, idx);
			return NULL;
		}
		ws_log(WS_LOG_DEBUG, "replica %s:%u connected", a->host, a->port);
	}
	if (c->ro_unsure) {
		if (ws_safety_read_only(c->mysql) < 0) {
			ws_session_replica_failed(s, idx);
			return NULL;
		}
		c->ro_unsure = false;
	}
	if (c->applied_gen < s->state_gen && ws_session_apply_state(s, c) < 0) {
		ws_session_replica_failed(s, idx);
		return NULL;
	}
	c->last_used_ms = now_ms;
	return c->mysql;
}

bool ws_replica_lost(struct ws_session *s, size_t idx)
{
	struct ws_conn *c = &s->replicas[idx];
	struct ws_node_rt *node = &ws_topology_cluster(s->cluster)->replicas[c->node];
	bool stale = c->outage != ck_pr_load_64(&node->outages);

	ws_session_replica_failed(s, idx);
	if (stale) {
		/* Opened before the server's last outage, which the monitor has
		 * seen: this connection died with that server, the server that
		 * answers now may be fine. A new connection at the next read. */
		c->failed = false;
		c->retry_at_ms = 0;
		return false;
	}
	ws_node_down(node);
	return true;
}
