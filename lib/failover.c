/*
 * failover.c — the primary goes away; the application keeps its MYSQL *
 * (docs/failover.md).
 *
 * When a statement on the primary fails because the connection failed (lost,
 * refused, server shut down), the calling thread waits up to
 * failover_timeout_ms for a writable member: the monitor marks the old primary
 * down at once and looks for a member with read_only=0 (a promoted replica, or
 * the old primary back after a restart). The application's own handle is then
 * reconnected in place — libmariadb allows mysql_real_connect on a handle whose
 * connection is gone, and keeps every option the application set, TLS
 * included — session tracking is enabled again, the session's variables and
 * database are replayed, prepared statements are re-prepared at their next
 * execution (stmt.c), and the statement runs again when that is safe.
 *
 * Safe to run again: a read, and a statement that never executed (the request
 * could not be sent; the server reported it was shutting down or killed it,
 * which rolls it back). A write whose fate is unknown, or any statement of a
 * transaction, is not run again: the application gets a clear error and the
 * handle stays usable on the new primary.
 *
 * An external orchestrator may name the primary itself (wescale_set_primary,
 * or a changed `primary =` line on a configuration reload): that member takes
 * writes at once, even while another member is still writable, and each
 * handle whose primary connection is elsewhere moves at its next statement —
 * it is closed first, so a transaction open there is rolled back and reported
 * (WESCALE_ER_TRX_LOST), and a statement not yet sent simply runs on the new
 * primary. The designation holds until another call, a call with NULL, or the
 * monitor seeing that member read-only in a check that began after the call
 * (the orchestrator demoted it); read_only discovery then decides again.
 *
 * Lost writes: after the switch, the new primary's executed GTIDs are compared
 * with what this handle saw committed; what is missing is logged (error level)
 * and counted, and the handle's watermark is reset so reads do not wait forever
 * for GTIDs that will never arrive.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>

#include <ck_pr.h>
#include <errmsg.h>

#include "classify.h"
#include "config.h"
#include "consistency.h"
#include "failover.h"
#include "settings.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "replay.h"
#include "primary.h"
#include "session.h"
#include "tracking.h"
#include "topology.h"
#include "wescale.h"

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

const struct ws_addr *ws_failover_wait_primary(struct ws_session *s, unsigned timeout_ms)
{
	uint64_t deadline = ws_now_ms() + timeout_ms;
	const struct ws_addr *a;
	int reader;

	ws_monitor_start(s);
	for (;;) {
		if (ws_monitor_rounds() > 0 && (a = ws_topology_primary(s->cluster, &reader)))
			return a;
		if (ws_now_ms() >= deadline)
			return NULL;
		msleep(10);
	}
}

struct ws_node_rt *ws_failover_primary_node(struct ws_session *s)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	if (!rt)
		return NULL;
	return s->primary_reader >= 0 ? &rt->replicas[s->primary_reader] : &rt->primary;
}

int ws_failover_reconnect(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	uint64_t t0 = ws_now_ms(), deadline = t0 + s->cluster->failover_timeout_ms;
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	struct ws_node_rt *old = ws_failover_primary_node(s);
	bool first = true;
	/* The mode the application chose, as the lost connection last reported it. */
	bool autocommit_off = !(ws_primary_server_status(s) & SERVER_STATUS_AUTOCOMMIT);

	for (;;) {
		uint64_t now = ws_now_ms();
		const struct ws_addr *a =
			ws_failover_wait_primary(s, now < deadline ? (unsigned)(deadline - now) : 0);
		MYSQL *m;

		if (!a)
			break;
		ws_guard_enter();
		m = R->mysql_real_connect(s->mysql, a->is_socket ? NULL : a->host, s->user, s->password,
					  s->cur_db ? s->cur_db : s->db, a->port, a->is_socket ? a->host : NULL,
					  s->client_flag);
		ws_guard_leave();
		if (!m && R->mysql_errno(s->mysql) == 2058 /* CR_ALREADY_CONNECTED */) {
			/* The connection is alive after all: nothing to fail over. */
			ws_log(WS_LOG_INFO, "failover: the primary connection is still up; not reconnecting");
			return 0;
		}
		if (!m && first && old) {
			/* The primary we knew does not answer: down for every handle
			 * until the monitor sees it (or another member) writable. */
			ws_node_down(old);
		}
		first = false;
		if (m) {
			int reader;

			ws_topology_primary(s->cluster, &reader);
			s->primary_reader = reader;
			s->primary_gen++;
			ws_session_use_primary(s);
			s->locked_tables = false;
			s->ro_trx = -1;
			/* A new server session: tracking on, state replayed. */
			ws_tracking_on_connect(s, false);
			if (ws_session_replay(s, s->mysql) < 0) {
				ws_log(WS_LOG_WARN, "failover: session state could not be restored on %s:%u; "
				       "this handle reads from the primary", a->host, a->port);
				s->state_unknown = true;
			}
			/* autocommit is not among the replayed variables (replicas
			 * always run in autocommit): the primary connection gets the
			 * mode the application chose, or its next statements would
			 * commit one by one behind its back. */
			if (autocommit_off && ws_primary_exec(s, "SET autocommit = 0") != 0)
				ws_log(WS_LOG_ERROR, "failover: autocommit could not be turned off again on %s:%u",
				       a->host, a->port);
			ws_consistency_check_lost(s);
			if (rt) {
				ck_pr_inc_64(&rt->failovers);
				ck_pr_add_64(&rt->failover_stall_ms, ws_now_ms() - t0);
			}
			ws_log(WS_LOG_WARN, "failover: handle reconnected to the primary %s:%u after %llu ms", a->host,
			       a->port, (unsigned long long)(ws_now_ms() - t0));
			return 0;
		}
		ws_guard_enter();
		ws_log(WS_LOG_INFO, "failover: %s:%u refused: %s", a->host, a->port, R->mysql_error(s->mysql));
		ws_guard_leave();
		/* Not usable after all: let the monitor look again. */
		if (rt) {
			int reader = -1;

			if (ws_topology_primary(s->cluster, &reader) == a)
				ws_node_down(reader >= 0 ? &rt->replicas[reader] : &rt->primary);
		}
		if (ws_now_ms() >= deadline)
			break;
		msleep(50);
	}
	ws_session_set_error(s, WESCALE_ER_NO_PRIMARY, "HY000",
			     "wescale: no writable primary in cluster '%s' after %u ms", s->cluster->name,
			     s->cluster->failover_timeout_ms);
	return -1;
}

bool ws_failover_not_executed(unsigned e)
{
	/* The request never reached the server, or the server rolled it back. */
	return e == CR_SERVER_GONE_ERROR || e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR ||
	       e == 1053 /* ER_SERVER_SHUTDOWN */ || e == 1927 /* ER_CONNECTION_KILLED */;
}

/* Does a statement with verdict v commit the open transaction when it runs?
 * COMMIT, XA COMMIT, a statement that commits implicitly (DDL, BEGIN inside a
 * transaction, LOCK TABLES …), SET autocommit = 1. */
static bool commits(const struct ws_verdict *v)
{
	return v->kind == WS_STMT_COMMIT || v->kind == WS_STMT_XA || v->kind == WS_STMT_BEGIN ||
	       (v->flags & (WS_F_IMPLICIT_COMMIT | WS_F_TRX_BEGIN | WS_F_AUTOCOMMIT_ON | WS_F_LOCK_TABLES));
}

/* Attempts at replaying a transaction, each on a new primary connection. */
#define REPLAY_ATTEMPTS 3

/* The primary failed during a statement of an open transaction and s is on
 * the new primary: replay the transaction there (replay.c keeps it), through
 * further reconnects while the new primary fails too. As ws_replay_start. */
static int replay_after_failover(struct ws_session *s, unsigned e)
{
	uint64_t deadline = ws_now_ms() + s->cluster->failover_timeout_ms;
	int r = ws_replay_start(s, e);

	if (r != 2)
		return r;
	for (int attempt = 1;; attempt++) {
		uint64_t gen;

		r = ws_replay_attempt(s);
		if (r >= 0)
			return r;
		ws_log(WS_LOG_INFO, "transaction replay: the new primary failed too (attempt %d)", attempt);
		if (attempt >= REPLAY_ATTEMPTS || ws_now_ms() >= deadline)
			break;
		gen = s->primary_gen;
		if (ws_failover_reconnect(s) < 0) {
			ws_replay_abandon(s);
			return -1;
		}
		if (s->primary_gen == gen)
			break; /* not reconnected after all */
	}
	ws_replay_abandon(s);
	return 1;
}

int ws_failover_after_error(struct ws_session *s, unsigned e, const struct ws_verdict *v, bool in_trx)
{
	bool is_read = v && (v->flags & WS_F_READ);

	ws_log(WS_LOG_INFO, "primary connection failed (%u) during a %s%s", e, is_read ? "read" : "write",
	       in_trx ? " in a transaction" : "");
	if (ws_failover_reconnect(s) < 0)
		return -1;
	if (in_trx) {
		int rp = s->replay ? replay_after_failover(s, e) : 1;

		if (rp <= 0)
			return rp; /* replayed: run it again; or the error is set */
		/* The server rolls back what a lost connection leaves open, so a
		 * ROLLBACK has had its effect: it runs again (on a connection with
		 * nothing to roll back). A statement that commits, sent, may have
		 * committed before the connection went: nobody can say. */
		if (v && v->kind == WS_STMT_ROLLBACK)
			return 0;
		if (v && commits(v) && e != CR_SERVER_GONE_ERROR) { /* (only "not sent" proves it did not) */
			ws_session_set_error(s, WESCALE_ER_WRITE_UNKNOWN, "HY000",
					     "wescale: primary failed during a statement that commits the transaction; "
					     "outcome unknown (error %u); the connection is now on the new primary",
					     e);
			return -1;
		}
		ws_session_set_error(s, WESCALE_ER_TRX_LOST, "HY000",
				     "wescale: primary failed inside a transaction; it was rolled back "
				     "(error %u); the connection is now on the new primary",
				     e);
		return -1;
	}
	if (!is_read && !ws_failover_not_executed(e)) {
		ws_session_set_error(s, WESCALE_ER_WRITE_UNKNOWN, "HY000",
				     "wescale: primary failed during write; outcome unknown (error %u); "
				     "the connection is now on the new primary",
				     e);
		return -1;
	}
	return 0; /* run it again */
}

/* The handle's primary connection is alive, so the client library would not
 * reconnect it: shut the socket down, and a failing ping makes the library
 * drop the connection; then it can be reconnected in place. */
static void close_primary_connection(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	int fd;

	ws_guard_enter();
	fd = R->mysql_get_socket ? (int)R->mysql_get_socket(s->mysql) : -1;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	R->mysql_ping(s->mysql);
	ws_guard_leave();
}

void ws_failover_drop_primary(struct ws_session *s)
{
	struct ws_node_rt *old = ws_failover_primary_node(s);

	/* The primary refused a write because it is read-only now (a switchover). */
	close_primary_connection(s);
	if (old) {
		ck_pr_store_int(&old->read_only, 1);
		ws_node_down(old);
	}
}

/* ---- the primary named by an orchestrator ---- */

/* Designations and the monitor's ending of one are rare: one lock orders them,
 * so that neither undoes a newer decision of the other. The query path only
 * loads rt->designated. */
static pthread_mutex_t designate_lock = PTHREAD_MUTEX_INITIALIZER;

static void designate(const struct ws_cluster *c, struct ws_cluster_rt *rt, int member, const char *why)
{
	const struct ws_addr *a = member < 0 ? &c->primary : ws_cluster_reader(c, (size_t)member);

	pthread_mutex_lock(&designate_lock);
	ck_pr_store_64(&rt->designated_round, ws_monitor_rounds());
	/* The round is in place before a monitor check can see the member. */
	ck_pr_fence_store();
	ck_pr_store_int(&rt->designated, member);
	pthread_mutex_unlock(&designate_lock);
	ws_log(WS_LOG_WARN, "%s: %s:%u is the primary of cluster '%s' now; handles move there at their next "
	       "statement", why, a->host, a->port, c->name);
}

/* The member of c at address a: -1 the configured primary, i >= 0 reader i;
 * -2 when a is no member. */
static int find_member(const struct ws_cluster *c, const struct ws_addr *a)
{
	size_t n = ws_cluster_n_readers(c);

	if (c->has_primary && a->is_socket == c->primary.is_socket && a->port == c->primary.port &&
	    strcasecmp(a->host, c->primary.host) == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct ws_addr *r = ws_cluster_reader(c, i);

		if (a->is_socket == r->is_socket && a->port == r->port && strcasecmp(a->host, r->host) == 0)
			return (int)i;
	}
	return -2;
}

void ws_failover_seen_read_only(struct ws_cluster_rt *rt, struct ws_node_rt *n, uint64_t round)
{
	int d = ck_pr_load_int(&rt->designated);

	if (d == WS_NOT_DESIGNATED || n != (d < 0 ? &rt->primary : &rt->replicas[d]))
		return;
	pthread_mutex_lock(&designate_lock);
	/* Only a check that began after the call counts: one in flight may have
	 * read read_only before the orchestrator cleared it. */
	if (ck_pr_load_int(&rt->designated) == d && round > ck_pr_load_64(&rt->designated_round)) {
		ck_pr_store_int(&rt->designated, WS_NOT_DESIGNATED);
		ws_log(WS_LOG_WARN, "monitor: the primary named by wescale_set_primary is read-only now; "
		       "the monitor's read_only discovery decides again");
	}
	pthread_mutex_unlock(&designate_lock);
}

bool ws_failover_named_reader(const struct ws_cluster *c)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(c);

	return rt && ck_pr_load_int(&rt->designated) >= 0;
}

bool ws_failover_switch_pending(const struct ws_session *s)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	int d = rt ? ck_pr_load_int(&rt->designated) : WS_NOT_DESIGNATED;

	return d != WS_NOT_DESIGNATED && d != s->primary_reader;
}

int ws_failover_switch(struct ws_session *s, bool in_trx)
{
	ws_log(WS_LOG_INFO, "failover: another primary was named; moving this handle%s",
	       in_trx ? " (its open transaction is rolled back)" : "");
	close_primary_connection(s);
	if (ws_failover_reconnect(s) < 0)
		return -1;
	if (in_trx) {
		ws_session_set_error(s, WESCALE_ER_TRX_LOST, "HY000",
				     "wescale: another primary was named (wescale_set_primary) inside a transaction; "
				     "it was rolled back; the connection is now on the new primary");
		return -1;
	}
	return 0;
}

void ws_failover_config_reloaded(const struct ws_config *cur, const struct ws_config *next)
{
	/* The `primary =` each cluster had in the file last time: only a change
	 * of the line applies (a reload for the rules must not undo a later
	 * wescale_set_primary). Touched under the reload lock only. */
	static char seen[64][300];
	static bool seen_init;

	if (!seen_init) {
		for (size_t i = 0; i < cur->n_clusters && i < 64; i++)
			if (cur->clusters[i].has_primary)
				snprintf(seen[i], sizeof(seen[i]), "%s:%u", cur->clusters[i].primary.host,
					 cur->clusters[i].primary.port);
		seen_init = true;
	}
	for (size_t i = 0; i < cur->n_clusters && i < 64; i++) {
		const struct ws_cluster *c = &cur->clusters[i], *nc = NULL;
		char now[300];
		int member;

		for (size_t k = 0; k < next->n_clusters && !nc; k++)
			if (strcmp(next->clusters[k].name, c->name) == 0)
				nc = &next->clusters[k];
		if (!c->has_primary || !nc || !nc->has_primary)
			continue;
		snprintf(now, sizeof(now), "%s:%u", nc->primary.host, nc->primary.port);
		if (strcmp(now, seen[i]) == 0)
			continue;
		snprintf(seen[i], sizeof(seen[i]), "%s", now);
		member = find_member(c, &nc->primary);
		if (member < -1)
			ws_log(WS_LOG_WARN, "%s: cluster '%s': primary %s is not a member the process started with; "
			       "not applied (restart the program to apply it)", cur->path, c->name, now);
		else
			designate(c, ws_topology_cluster(c), member, "configuration reload");
	}
}

int ws_failover_set_primary(const char *cluster, const char *host_port)
{
	const struct ws_config *cfg = ws_global_config();
	const struct ws_cluster *c = NULL;
	struct ws_cluster_rt *rt;
	struct ws_addr a = { 0 };
	int member;

	for (size_t i = 0; cfg && cluster && i < cfg->n_clusters && !c; i++)
		if (strcmp(cfg->clusters[i].name, cluster) == 0)
			c = &cfg->clusters[i];
	if (!c || !(rt = ws_topology_cluster(c))) {
		ws_log(WS_LOG_ERROR, "wescale_set_primary: no cluster '%s' in the configuration",
		       cluster ? cluster : "(null)");
		return WESCALE_ER_BAD_ARGUMENT;
	}
	if (!host_port) {
		pthread_mutex_lock(&designate_lock);
		ck_pr_store_int(&rt->designated, WS_NOT_DESIGNATED);
		pthread_mutex_unlock(&designate_lock);
		ws_log(WS_LOG_WARN, "wescale_set_primary: cluster '%s': the monitor's read_only discovery decides "
		       "the primary again", c->name);
		return 0;
	}
	if (ws_config_parse_addr(host_port, strlen(host_port), 3306, &a) < 0) {
		ws_log(WS_LOG_ERROR, "wescale_set_primary: '%s' is not host:port, [v6addr]:port or unix:/path",
		       host_port);
		return WESCALE_ER_BAD_ARGUMENT;
	}
	member = find_member(c, &a);
	free(a.host);
	if (member < -1) {
		ws_log(WS_LOG_ERROR, "wescale_set_primary: %s is not a member of cluster '%s' (its primary, "
		       "replicas or nodes, as configured)", host_port, c->name);
		return WESCALE_ER_BAD_ARGUMENT;
	}
	designate(c, rt, member, "wescale_set_primary");
	return 0;
}
