/*
 * shim_connect.c — handle life cycle: mysql_init, mysql_real_connect, mysql_close.
 *
 * These create and drop the handle's entry in the side table (session.c) and
 * decide whether a connection belongs to a configured cluster (docs/architecture.md).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pool.h"
#include "config.h"
#include "failover.h"
#include "global.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "replay.h"
#include "route.h"
#include "topology.h"
#include <errmsg.h>
#include "session.h"
#include "tracking.h"
#include "wescale.h"

WS_ENTRY(mysql_init, libmysqlclient_18);
MYSQL *WS_FN(mysql_init)(MYSQL *mysql)
{
	const struct ws_real *R = ws_real();
	MYSQL *m;

	if (WS_UNLIKELY(!R->mysql_init)) {
		ws_real_missing("mysql_init");
		return NULL;
	}
	if (ws_guarded())
		return R->mysql_init(mysql);
	ws_global_init();
	ws_guard_enter();
	m = R->mysql_init(mysql);
	ws_guard_leave();
	/* Only when clusters are configured does a handle get an entry; otherwise the
	 * side table stays empty and every call is a plain forward. */
	if (m && ws_global_config() && !ws_session_attach(m))
		ws_log(WS_LOG_ERROR, "out of memory: handle %p runs as a pass-through", (void *)m);
	return m;
}

/*
 * The cluster a connection enters through (docs/architecture.md): its primary, one of
 * its `nodes`, or its name. A direct connection to one of its `replicas` (a
 * report, a health check) is not an entry point: it stays a plain connection to
 * that replica.
 */
static const struct ws_cluster *entry_cluster(const struct ws_config *cfg, const char *host, unsigned port,
					      const char *unix_socket)
{
	const struct ws_cluster *c = ws_config_find_cluster(cfg, host, port, unix_socket);

	if (!c || strcmp(c->name, host) == 0)
		return c;
	for (size_t i = 0; c->has_primary && i < c->n_replicas; i++) {
		const struct ws_addr *a = &c->replicas[i];

		if (a->is_socket ? (unix_socket && strcmp(a->host, unix_socket) == 0)
				 : (strcasecmp(a->host, host) == 0 && a->port == (port ? port : 3306)))
			return NULL;
	}
	return c;
}

/* "host:port", or the socket path. */
static const char *addr_text(const struct ws_addr *a, char *buf, size_t size)
{
	if (a->is_socket)
		return a->host;
	snprintf(buf, size, "%s:%u", a->host, a->port);
	return buf;
}

/*
 * Why a connection is a plain pass-through, at `info` (README, "Is it
 * working?"): the answer to "libwescale does nothing" is nearly always one of
 * these.
 */
static void log_unmanaged(const struct ws_config *cfg, const char *host, unsigned port, const char *unix_socket)
{
	const struct ws_cluster *c = cfg && cfg->n_clusters ? &cfg->clusters[0] : NULL;
	const struct ws_addr *entry = c ? (c->has_primary ? &c->primary : c->n_nodes ? &c->nodes[0] : NULL) : NULL;
	bool is_socket = !host || !*host || strcmp(host, "localhost") == 0 || (host[0] == '/' && !port);
	char where[300], a[300];

	if (!ws_log_enabled(WS_LOG_INFO))
		return;
	if (is_socket)
		snprintf(where, sizeof(where), "Unix socket %s", unix_socket && *unix_socket ? unix_socket
							     : host && host[0] == '/' ? host : "(the default)");
	else
		snprintf(where, sizeof(where), "%s:%u", host, port ? port : 3306);
	if (!cfg) {
		ws_log(WS_LOG_INFO, "%s: not managed: no configuration is in use (the start-up line says why)", where);
		return;
	}
	if (!entry)
		return;
	for (size_t i = 0; !is_socket && i < cfg->n_clusters; i++)
		for (size_t k = 0; k < cfg->clusters[i].n_replicas; k++)
			if (strcasecmp(cfg->clusters[i].replicas[k].host, host) == 0 &&
			    cfg->clusters[i].replicas[k].port == (port ? port : 3306)) {
				ws_log(WS_LOG_INFO, "%s: not managed: it is a replica of cluster %s, and a direct "
				       "connection to a replica stays one; connect to %s to have reads and writes split",
				       where, cfg->clusters[i].name,
				       cfg->clusters[i].has_primary ? addr_text(&cfg->clusters[i].primary, a, sizeof(a))
								    : cfg->clusters[i].name);
				return;
			}
	if (is_socket && !entry->is_socket)
		ws_log(WS_LOG_INFO, "%s: not managed: use the TCP address: host \"%s\", port %u (cluster %s), "
		       "not localhost", where, entry->host, entry->port, c->name);
	else
		ws_log(WS_LOG_INFO, "%s: not managed: matches no cluster; cluster %s is %s%s", where, c->name,
		       addr_text(entry, a, sizeof(a)), cfg->n_clusters > 1 ? " (and others: wescale check-config)" : "");
}

WS_ENTRY(mysql_real_connect, libmysqlclient_18);
MYSQL *WS_FN(mysql_real_connect)(MYSQL *mysql, const char *host, const char *user,
				    const char *passwd, const char *db, unsigned int port,
				    const char *unix_socket, unsigned long clientflag)
{
	const struct ws_real *R = ws_real();
	const struct ws_config *cfg;
	const struct ws_cluster *entry;
	struct ws_session *s;
	int reader = -1; /* the member the handle writes to: -1 the configured primary */
	MYSQL *r;

	if (WS_UNLIKELY(!R->mysql_real_connect)) {
		ws_real_missing("mysql_real_connect");
		return NULL;
	}
	if (ws_guarded())
		return R->mysql_real_connect(mysql, host, user, passwd, db, port, unix_socket,
					     clientflag);
	ws_global_init();
	cfg = ws_global_config();
	s = ws_session_get(mysql);
	entry = s ? entry_cluster(cfg, host ? host : "localhost", port, unix_socket) : NULL;
	if (s)
		ws_session_clear_error(s);
	if (entry && (!entry->has_primary || (host && strcmp(host, entry->name) == 0) ||
		      ws_failover_named_reader(entry))) {
		/* A `nodes =` cluster, the cluster's name as host, or a replica named
		 * the primary by wescale_set_primary: connect to the member that
		 * takes writes now. */
		const struct ws_addr *a;

		s->cluster = entry;
		if (ws_session_set_connect_args(s, user, passwd, db, clientflag) < 0) {
			s->cluster = NULL;
			ws_session_set_error(s, CR_OUT_OF_MEMORY, "HY000", "wescale: out of memory");
			return NULL;
		}
		a = ws_failover_wait_primary(s, entry->failover_timeout_ms);
		if (a)
			a = ws_topology_primary(entry, &reader);
		if (!a) {
			ws_session_set_error(s, WESCALE_ER_NO_PRIMARY, "HY000",
					     "wescale: no writable primary in cluster '%s' after %u ms", entry->name,
					     entry->failover_timeout_ms);
			s->cluster = NULL;
			return NULL;
		}
		host = a->is_socket ? NULL : a->host;
		unix_socket = a->is_socket ? a->host : NULL;
		port = a->port;
	}
	ws_guard_enter();
	r = R->mysql_real_connect(mysql, host, user, passwd, db, port, unix_socket, clientflag);
	ws_guard_leave();
	if (!r && entry && reader < 0 && ws_is_connection_error(R->mysql_errno(mysql))) {
		/* The configured primary does not answer: connect to the member that
		 * takes writes now (a promoted replica), waiting for one like a
		 * statement would. */
		const struct ws_addr *a;

		s->cluster = entry;
		if (ws_session_set_connect_args(s, user, passwd, db, clientflag) == 0 &&
		    ws_failover_wait_primary(s, entry->failover_timeout_ms) &&
		    (a = ws_topology_primary(entry, &reader)) && reader >= 0) {
			ws_guard_enter();
			r = R->mysql_real_connect(mysql, a->is_socket ? NULL : a->host, user, passwd, db, a->port,
						  a->is_socket ? a->host : NULL, clientflag);
			ws_guard_leave();
		}
		if (!r)
			reader = -1;
	}
	if (s && !r)
		s->cluster = NULL;
	if (r && s) {
		s->connected = true;
		s->cluster = entry;
		if (entry) {
			s->primary_reader = reader;
			if (ws_session_set_connect_args(s, user, passwd, db, clientflag) < 0)
				s->state_unknown = true;
			ws_tracking_on_connect(s, true);
			/* MYSQL_INIT_COMMAND ran before tracking was on: a write it
			 * made must be waited for like the handle's own. */
			if (ws_session_has_init_command(s) && ws_primary_note_last_gtid(s) < 0)
				s->state_unknown = true;
			ws_replay_attach(s);
		}
	}
	if (r && (s ? !s->cluster : !cfg)) /* (no session with a config: out of memory, logged) */
		log_unmanaged(cfg, host, port, unix_socket);
	ws_log(WS_LOG_DEBUG, "mysql_real_connect(%s:%u) intercepted: %s%s", host ? host : "localhost",
	       port, !r ? "failed" : s && s->cluster ? "cluster " : "pass-through",
	       r && s && s->cluster ? s->cluster->name : "");
	return r;
}

WS_ENTRY(mysql_close, libmysqlclient_18);
void WS_FN(mysql_close)(MYSQL *mysql)
{
	const struct ws_real *R = ws_real();

	if (WS_UNLIKELY(!R->mysql_close)) {
		ws_real_missing("mysql_close");
		return;
	}
	if (ws_guarded()) {
		R->mysql_close(mysql);
		return;
	}
	{
		struct ws_session *s = ws_session_get(mysql);

		/* In a child after fork(): do not say goodbye on the parent's socket. */
		if (s && s->connected && ws_session_inherited(s))
			ws_session_disown_socket(mysql);
	}
	ws_session_detach(mysql);
	ws_guard_enter();
	R->mysql_close(mysql);
	ws_guard_leave();
}

/* mysql_library_end() (a macro for mysql_server_end): stop the monitor thread
 * before the real library tears down what it uses. */
WS_ENTRY(mysql_server_end, libmysqlclient_18);
void WS_FN(mysql_server_end)(void)
{
	const struct ws_real *R = ws_real();

	if (!ws_guarded()) {
		ws_monitor_stop();
		ws_pool_close_all();
	}
	if (R->mysql_server_end) {
		ws_guard_enter();
		R->mysql_server_end();
		ws_guard_leave();
	}
}
