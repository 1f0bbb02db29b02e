/*
 * route.c — routing decisions for managed handles (docs/architecture.md).
 *
 * A statement goes to a replica only when all of these hold: the classifier
 * proved it a pure read (or a hint asks for a replica), the handle is not in a
 * transaction on the primary (server status: IN_TRANS or autocommit off; a
 * transaction may start on a replica: optimistic.c) nor under LOCK TABLES,
 * it does not touch a temporary table of this session, the consistency level
 * allows replicas, and a replica connection is ready. Otherwise: the primary,
 * which is the application's own connection.
 *
 * A replica that cannot be reached (refused, lost before any row) is marked
 * failed for a while and the read moves to the next replica, then the primary:
 * the application never sees that error.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ck_pr.h>
#include <errmsg.h>

#include "ws-build.h"
#include "affinity.h"
#include "balance.h"
#include "classify.h"
#include "config.h"
#include "consistency.h"
#include "decide.h"
#include "failover.h"
#include "gtid.h"
#include "monitor.h"
#include "optimistic.h"
#include "replay.h"
#include "rules.h"
#include "safefuncs.h"
#include "replica.h"
#include "safety.h"
#include "topology.h"
#include "log.h"
#include "real.h"
#include "route.h"
#include "session.h"
#include "stats.h"
#include "token.h"
#include "tracking.h"
#include "wescale.h"

void ws_route_reset_last(MYSQL *mysql)
{
	struct ws_session *s = ws_session_get(mysql);

	if (s) {
		ws_session_use_primary(s);
		ws_session_clear_error(s);
	}
}

/* The primary's server status for routing a read: it can only change when
 * the primary runs something, and every path that lets it do so forgets the
 * remembered answer (ws_session_use_primary), so reads in a row ask the
 * client library once. */
static unsigned status_for_read(struct ws_session *s)
{
	if (!s->trx_known) {
		s->trx_status = ws_primary_server_status(s);
		s->trx_known = true;
	}
	return s->trx_status;
}

/* Did the statement the primary just ran answer with a result set? */
static bool answered_with_rows(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	unsigned n;

	ws_guard_enter();
	n = R->mysql_field_count(s->mysql);
	ws_guard_leave();
	return n > 0;
}

void ws_route_after_primary(struct ws_session *s)
{
	ws_primary_after(s);
	ws_opt_after_primary(s); /* optimistic.c: a transaction's write, its end */
}

/* ---- choosing a replica ---- */

/* The per-read steps below are folded into their two callers (a text read, a
 * prepared execute): a call and its register saves are a measurable part of
 * what a routed read costs (bench-overhead, callgrind). */
#define WS_HOT static inline __attribute__((always_inline))

/* How far replica idx is known to be towards need: the sum over the needed
 * sources of the known position, capped at the need. */
static uint64_t progress(struct ws_cluster_rt *rt, size_t idx, const struct ws_wm *need)
{
	uint64_t sum = 0;

	for (uint32_t m = ck_pr_load_32((uint32_t *)&need->mask); m; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t want = ck_pr_load_64((uint64_t *)&need->seq[i]);
		uint64_t have = ck_pr_load_64(&rt->replicas[idx].known.seq[i]);

		sum += have < want ? have : want;
	}
	return sum;
}

/* Is replica a further along towards need than replica b? Known position
 * first; on a tie (the monitor saw both at the same point) the one the monitor
 * sees lagging less. */
static bool further_along(struct ws_cluster_rt *rt, size_t a, size_t b, const struct ws_wm *need)
{
	uint64_t pa = progress(rt, a, need), pb = progress(rt, b, need);
	uint64_t la = ck_pr_load_64(&rt->replicas[a].lag_ms), lb = ck_pr_load_64(&rt->replicas[b].lag_ms);

	if (pa != pb)
		return pa > pb;
	if (la != lb)
		return la < lb; /* WS_UNKNOWN is the largest */
	return ck_pr_load_64(&rt->replicas[a].behind) < ck_pr_load_64(&rt->replicas[b].behind);
}

/* May replica idx take reads at all now: up, not too far behind, and this
 * handle's connection to it not in back-off. */
WS_HOT bool replica_healthy(struct ws_session *s, struct ws_cluster_rt *rt, size_t idx, uint64_t now_ms)
{
	struct ws_node_rt *n = &rt->replicas[idx];
	uint64_t lag = ck_pr_load_64(&n->lag_ms);
	uint64_t bound = s->stmt_max_lag_ms ? s->stmt_max_lag_ms : s->cluster->max_replica_lag_ms;

	if (!ck_pr_load_int(&n->up))
		return false;
	/* A max_lag_ms hint (stmt_max_lag_ms below the cluster's) also refuses
	 * a lag not measured yet. */
	if (lag != WS_UNKNOWN ? lag > bound : bound < s->cluster->max_replica_lag_ms)
		return false;
	if (ck_pr_load_int(&n->read_only) == 0)
		return false; /* a writable "replica" is a primary now: not for reads */
	return !s->replicas[idx].failed || now_ms >= s->replicas[idx].retry_at_ms;
}

/* The shared rotation, for a choice among n > 1 candidates only: with one
 * replica no statement writes the cursor's cache line. */
static uint64_t rotation(struct ws_cluster_rt *rt, size_t n)
{
	return n > 1 ? ck_pr_faa_64(&rt->rr, 1) : 0;
}

/*
 * A ready replica for a read that must see `need` (NULL: nothing), or -1. Among
 * the healthy replicas known to cover it, the balancing policy chooses; failing
 * that, the healthy one known to be furthest along is used with *wait set: it
 * must run the WAIT before the read.
 */
WS_HOT int pick_replica(struct ws_session *s, struct ws_cluster_rt *rt, const struct ws_wm *need, bool *wait,
			uint64_t now)
{
	unsigned cover[64], other[64];
	size_t n_cover = 0, n_other = 0, n = s->n_replicas < 64 ? s->n_replicas : 64;

	*wait = false;
	for (size_t idx = 0; idx < n; idx++) {
		if (!replica_healthy(s, rt, idx, now))
			continue;
		/* Neither its position nor a WAIT could show it has need. */
		if (need && ws_wm_other_history(&rt->replicas[idx].known, need))
			continue;
		if (!need || ws_wm_covers(&rt->replicas[idx].known, need))
			cover[n_cover++] = (unsigned)idx;
		else
			other[n_other++] = (unsigned)idx;
	}
	if (n_cover) {
		int keep = ws_affinity_keep(s, rt, cover, n_cover);
		uint64_t rr;

		if (keep >= 0 && ws_replica_get(s, cover[keep], now))
			return (int)cover[keep];
		rr = rotation(rt, n_cover);
		do {
			size_t k = ws_balance_choose(s->cluster->load_balance, rt, cover, n_cover, rr);
			unsigned idx = cover[k];

			if (ws_replica_get(s, idx, now))
				return (int)idx;
			cover[k] = cover[--n_cover];
		} while (n_cover);
	}
	/* None covers it: a WAIT is needed. Replicas not seen lagging (lag under
	 * the consistency timeout) are about as likely to catch up at once: let
	 * the policy spread the waits over them. Only when every candidate lags
	 * does the one furthest along get it. */
	while (n_other) {
		unsigned fresh[64];
		size_t n_fresh = 0, best = 0;

		for (size_t k = 0; k < n_other; k++)
			if (ck_pr_load_64(&rt->replicas[other[k]].lag_ms) < s->cluster->consistency_timeout_ms)
				fresh[n_fresh++] = (unsigned)k; /* positions in other[] */
		if (n_fresh) {
			unsigned ids[64];

			for (size_t k = 0; k < n_fresh; k++)
				ids[k] = other[fresh[k]];
			best = fresh[ws_balance_choose(s->cluster->load_balance, rt, ids, n_fresh,
						       rotation(rt, n_fresh))];
		} else {
			for (size_t k = 1; k < n_other; k++)
				if (further_along(rt, other[k], other[best], need))
					best = k;
		}
		if (ws_replica_get(s, other[best], now)) {
			ws_log(WS_LOG_DEBUG, "read needs a wait: replica %u (progress %" PRIu64 ", %zu candidates)",
			       other[best], progress(rt, other[best], need), n_other);
			*wait = true;
			return (int)other[best];
		}
		other[best] = other[--n_other];
	}
	return -1;
}

static bool mentions_temp(const struct ws_session *s, const char *q, size_t len)
{
	for (size_t i = 0; i < s->n_temp; i++)
		if (ws_classify_mentions(q, len, s->temp_tables[i], strlen(s->temp_tables[i])))
			return true;
	return false;
}

static int effective_consistency(const struct ws_session *s, const struct ws_verdict *v)
{
	if (v->hint_consistency >= 0)
		return v->hint_consistency;
	if (s->consistency >= 0)
		return s->consistency;
	return s->cluster->consistency;
}

static int run_on(MYSQL *m, const char *q, unsigned long len, bool send_only)
{
	const struct ws_real *R = ws_real();
	int r;

	ws_guard_enter();
	r = send_only ? R->mysql_send_query(m, q, len) : R->mysql_real_query(m, q, len);
	ws_guard_leave();
	return r;
}

static unsigned errno_of(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	unsigned e;

	ws_guard_enter();
	e = R->mysql_errno(m);
	ws_guard_leave();
	return e;
}

/* A replica read failed on its connection after the application's read
 * timeout was spent (ws_session_may_retry): no retry; the application gets the
 * real library's error. Returns 1 (the read ran, and failed). */
static int replica_give_up(struct ws_session *s, MYSQL *m, struct ws_node_rt *node, int idx)
{
	const struct ws_real *R = ws_real();

	ws_guard_enter();
	ws_session_set_error(s, R->mysql_errno(m), R->mysql_sqlstate(m), "%s", R->mysql_error(m));
	ws_guard_leave();
	ws_node_end(node, 0, true);
	ws_replica_lost(s, (size_t)idx);
	return 1;
}

/*
 * mysql_send_query of a read that needs a consistency wait: the wait runs
 * first as its own round trip (its reply cannot be hidden between the
 * application's send and read), then the read is sent with the application's
 * socket number lent to the replica (docs/architecture.md).
 */
static enum ws_wait_outcome wait_then_send(struct ws_session *s, MYSQL *m, const struct ws_wm *need, const char *q,
					   size_t len, int *r)
{
	char sql[1024];
	size_t n = ws_consistency_wait_sql(s, need, sql, sizeof(sql));
	int ok;

	if (n >= sizeof(sql))
		return WS_WAIT_REFUSED;
	ok = ws_safety_wait_alone(m, sql, n);
	if (ok <= 0)
		return ok == 0 ? WS_WAIT_LATE : ok == -1 ? WS_WAIT_BROKEN : WS_WAIT_REFUSED;
	if (ws_session_fd_lend(s, m) < 0)
		return WS_WAIT_REFUSED; /* the primary runs it */
	*r = run_on(m, q, len, true);
	return WS_WAIT_READ;
}

/*
 * Run a read on a replica that covers `need`, or on one after a WAIT (in the
 * same round trip when the application's connection allows multi-statements;
 * the wait's result is consumed here, the application sees only the read's).
 * On a connection-level failure the replica is marked and the next one tried.
 * Returns 1 when a replica ran it (status in *r), 0 when the primary must,
 * -1 when a replica refused it as a write: the primary must, whatever
 * replica_fallback says. send_only (mysql_send_query): the application's
 * socket number is lent to the replica's until the reply is read.
 */
WS_HOT int run_on_replica(struct ws_session *s, struct ws_cluster_rt *rt, const struct ws_wm *need,
			  const char *q, unsigned long len, bool send_only, int *r, uint64_t started)
{
	const uint64_t stmt_started = started;

	for (size_t attempt = 0; attempt < s->n_replicas; attempt++) {
		struct ws_node_rt *node;
		bool wait;
		int idx;
		MYSQL *m;

		if (attempt)
			started = ws_now_us();
		idx = pick_replica(s, rt, need, &wait, started / 1000u);
		if (idx < 0)
			return 0;
		m = s->replicas[idx].mysql;
		node = &rt->replicas[s->replicas[idx].node];
		ws_node_begin(node, started);
		if (!wait) {
			if (send_only && ws_session_fd_lend(s, m) < 0) {
				ws_node_cancel(node);
				return 0;
			}
			*r = run_on(m, q, len, send_only);
		} else {
			uint64_t t0 = ws_now_us();
			enum ws_wait_outcome w;

			w = send_only ? wait_then_send(s, m, need, q, len, r) : ws_safety_wait_read(s, m, need, q, len, r);
			ck_pr_add_64(&rt->stats.wait_us, ws_now_us() - t0);
			if (w == WS_WAIT_BROKEN && ws_is_connection_error(errno_of(m)) &&
			    !ws_session_may_retry(s, stmt_started))
				return replica_give_up(s, m, node, idx);
			if (w == WS_WAIT_BROKEN) {
				/* Lost, or answered with a shape that was not asked for. */
				ws_log(WS_LOG_INFO, "replica %u failed the consistency wait; retrying elsewhere",
				       s->replicas[idx].node);
				ws_node_end(node, 0, true);
				ws_replica_lost(s, (size_t)idx);
				continue;
			}
			if (w == WS_WAIT_REFUSED) {
				ws_node_end(node, 0, true);
				return 0; /* the wait itself failed (e.g. no GTID support): primary */
			}
			if (w == WS_WAIT_LATE) {
				ws_log(WS_LOG_DEBUG, "replica %u did not catch up within %u ms: read goes to the primary",
				       s->replicas[idx].node, s->cluster->consistency_timeout_ms);
				ws_node_lagging(node, s->cluster->consistency_timeout_ms);
				ws_node_end(node, ws_now_us() - started, false);
				ck_pr_inc_64(&rt->stats.primary_after_timeout);
				s->route_lagged = true;
				return 0;
			}
			ws_consistency_learned(s, (size_t)idx, need);
			ck_pr_inc_64(&rt->stats.replica_after_wait);
		}
		if (*r && send_only)
			ws_session_fd_return(s);
		/* Refused by the replica's read-only session: not a read after all;
		 * nothing ran, no row reached the application: the primary runs it. */
		if (*r && ws_safety_misrouted(rt, errno_of(m))) {
			ws_node_end(node, ws_now_us() - started, false);
			return -1;
		}
		if (*r && ws_is_connection_error(errno_of(m)) && !ws_session_may_retry(s, stmt_started))
			return replica_give_up(s, m, node, idx);
		if (*r && ws_is_connection_error(errno_of(m))) {
			ws_log(WS_LOG_INFO, "replica %s:%u failed a read (%u); retrying elsewhere",
			       ws_cluster_reader(s->cluster, s->replicas[idx].node)->host,
			       ws_cluster_reader(s->cluster, s->replicas[idx].node)->port, errno_of(m));
			ws_node_end(node, 0, true);
			ws_replica_lost(s, (size_t)idx);
			continue;
		}
		ws_node_end(node, ws_now_us() - started, *r != 0);
		if (!wait)
			ck_pr_inc_64(&rt->stats.replica_no_wait);
		s->last = m;
		s->last_node = idx;
		return 1;
	}
	return 0;
}

/* Bookkeeping the decision needs that the server does not report: temporary
 * tables and locks a statement may have created without naming them. */
static void note_hidden_state(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len)
{
	if (ws_decide_may_hide_state(v, q, len, s->n_temp && mentions_temp(s, q, len)))
		s->maybe_temp = true;
}

/* What note_primary_statement takes in. */
#define NOTED_FLAGS \
	(WS_F_LOCK_TABLES | WS_F_UNLOCK_TABLES | WS_F_TEMP_CREATE | WS_F_TEMP_DROP | WS_F_TRX_BEGIN | WS_F_SESSION_STATE)

/* Bookkeeping after a statement succeeded on the primary. */
static void note_primary_statement(struct ws_session *s, const char *q, size_t len, const struct ws_verdict *all)
{
	struct ws_verdict v;
	size_t off = 0;

	note_hidden_state(s, all, q, len);
	/* What the server's tracking does not report (the collation of SET
	 * NAMES, SET timestamp = DEFAULT, the application changing tracking). */
	if (all->flags & WS_F_SESSION_STATE)
		ws_session_note_set(s, q, len);
	if (!(all->flags & NOTED_FLAGS))
		return;
	while (ws_classify_next_env(q, len, &off, &s->lexenv, &v)) {
		if (v.flags & WS_F_LOCK_TABLES)
			s->locked_tables = true;
		if (v.flags & (WS_F_UNLOCK_TABLES | WS_F_TRX_BEGIN))
			s->locked_tables = false;
		if ((v.flags & WS_F_TEMP_CREATE) && v.temp_name && ws_session_add_temp(s, v.temp_name, v.temp_name_len) < 0)
			s->state_unknown = true;
		if ((v.flags & WS_F_TEMP_DROP) && v.temp_name)
			ws_session_drop_temp(s, v.temp_name, v.temp_name_len);
	}
}

/* The same, for a text whose verdict was not kept (a statement sent with
 * mysql_send_query, read later). */
static void note_primary_text(struct ws_session *s, const char *q, size_t len)
{
	struct ws_verdict v;

	if (!q)
		return;
	ws_classify_env(q, len, &s->lexenv, &v);
	note_primary_statement(s, q, len, &v);
}

/* Keep the text of a read a replica runs, so mysql_store_result can run it
 * again elsewhere if the replica dies before the rows arrive. */
static void remember_read(struct ws_session *s, const char *q, size_t len)
{
	if (len > s->last_read_cap) {
		char *b = realloc(s->last_read, len);

		if (!b) {
			s->last_read_len = 0;
			return;
		}
		s->last_read = b;
		s->last_read_cap = len;
	}
	memcpy(s->last_read, q, len);
	s->last_read_len = len;
}

/*
 * Run the remembered read again, to completion (its reply read), on another
 * node (primary: only the primary), after its replica died before any row
 * reached the application or did not catch up in time. Returns what
 * mysql_real_query returns.
 */
static int rerun_read(struct ws_session *s, bool primary)
{
	char *q = s->last_read;
	size_t len = s->last_read_len;
	int r;

	/* ws_route_query may remember the text again: hand it our copy and take
	 * ownership back afterwards. */
	s->last_read = NULL;
	s->last_read_len = s->last_read_cap = 0;
	ws_session_use_primary(s);
	if (primary)
		s->next_route = WESCALE_ROUTE_PRIMARY;
	r = ws_route_query(s, q, len, false, -1);
	if (!s->last_read) {
		s->last_read = q;
		s->last_read_len = s->last_read_cap = len;
	} else {
		free(q);
	}
	return r;
}

/* The replica of the last statement (index idx) failed with connection error
 * e: keep it out of use. */
static void replica_lost(struct ws_session *s, int idx, unsigned e)
{
	ws_log(WS_LOG_INFO, "replica %u lost during a read (%u); reading again elsewhere", s->replicas[idx].node, e);
	ws_replica_lost(s, (size_t)idx);
}

MYSQL_RES *ws_route_store_result(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	MYSQL *m = s->last;
	MYSQL_RES *res;
	unsigned e;
	int idx = s->last_node;

	ws_guard_enter();
	res = R->mysql_store_result(m);
	e = res ? 0 : R->mysql_errno(m);
	ws_guard_leave();
	if (s->ro_trx >= 0 && s->opt_trx && idx == s->ro_trx)
		ws_replay_result(s, res); /* the checksum of what the application sees */
	if (idx < 0 || s->ro_trx >= 0 || !s->last_read_len)
		return res;
	/* A single read answered with more than one result: a broken replica;
	 * the application has seen nothing of it yet. */
	if (res && ws_safety_extra_results(m, s->last_read, s->last_read_len)) {
		ws_guard_enter();
		R->mysql_free_result(res);
		ws_guard_leave();
		res = NULL;
		e = CR_SERVER_LOST;
	}
	if (res || !ws_is_connection_error(e))
		return res;
	/* The replica died (or broke) with no row delivered: run the read again elsewhere. */
	replica_lost(s, idx, e);
	if (rerun_read(s, false) == 0) {
		ws_guard_enter();
		res = R->mysql_store_result(s->last ? s->last : s->mysql);
		ws_guard_leave();
	}
	return res;
}

my_bool ws_route_read_result(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	MYSQL *m = s->last;
	int idx = s->last_node;
	my_bool r;
	unsigned e;

	/* From here on the application's socket is the primary's again: what
	 * follows reads through the replica connection's own number. */
	ws_session_fd_return(s);
	if (!m) {
		ws_guard_enter();
		r = R->mysql_read_query_result(s->mysql);
		ws_guard_leave();
		if (r == 0) {
			ws_route_after_primary(s);
			if (s->pending_note)
				note_primary_text(s, s->last_read, s->last_read_len);
			s->harvest_pending = s->pending_may_write && answered_with_rows(s);
		}
		s->pending_note = false;
		return r;
	}
	ws_guard_enter();
	r = R->mysql_read_query_result(m);
	e = r ? R->mysql_errno(m) : 0;
	ws_guard_leave();
	if (r && idx >= 0 && s->ro_trx < 0 && s->last_read_len && ws_safety_misrouted(rt, e)) {
		/* Refused by the replica's read-only session: not a read after
		 * all; nothing ran there: the primary runs it. */
		return rerun_read(s, true) ? 1 : 0;
	}
	if (r && idx >= 0 && s->ro_trx < 0 && s->last_read_len && ws_is_connection_error(e)) {
		replica_lost(s, idx, e);
		return rerun_read(s, false) ? 1 : 0;
	}
	return r;
}

/* The transaction held on a replica ended there. */
static void replica_trx_ended(struct ws_session *s)
{
	if (s->opt_trx)
		ws_opt_trx_end(s);
	s->ro_trx = -1;
	s->opt_trx = false;
}

static void end_ro_trx_silently(struct ws_session *s)
{
	MYSQL *m = s->replicas[s->ro_trx].mysql;

	if (m && run_on(m, "COMMIT", 6, false))
		ws_session_replica_failed(s, (size_t)s->ro_trx);
	replica_trx_ended(s);
}

/*
 * Has the server closed the (idle) primary connection? Then its socket is
 * readable: end of file, or the unsolicited error a shutting-down server sends.
 * One poll() with no wait, before writes only. When it is closed, a failing
 * ping makes the client library drop the connection, so that it can be
 * reconnected in place.
 */
static bool primary_closed_by_server(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	struct pollfd p = { .events = POLLIN | POLLRDHUP };
	unsigned char peek[8];
	ssize_t n;
	bool closed;

	ws_guard_enter();
	p.fd = R->mysql_get_socket ? (int)R->mysql_get_socket(s->mysql) : -1;
	ws_guard_leave();
	if (p.fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)))
		return false;
	/* Readable: end of file or a reset is a closed connection; so is the
	 * error packet a shutting-down server sends (1053, 1927). Anything else
	 * is a reply the application has not read: its business, not ours. */
	n = recv(p.fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
		 (n >= 7 && peek[4] == 0xFF &&
		  ((peek[5] | peek[6] << 8) == 1053 || (peek[5] | peek[6] << 8) == 1927));
	if (!closed)
		return false;
	ws_guard_enter();
	R->mysql_ping(s->mysql); /* fails, and closes the client side */
	ws_guard_leave();
	return true;
}

/* The reader index of a cluster member at addr, or -1. */
static int member_index(const struct ws_cluster *c, const struct ws_addr *addr)
{
	for (size_t i = 0; i < ws_cluster_n_readers(c); i++) {
		const struct ws_addr *a = ws_cluster_reader(c, i);

		if (a->port == addr->port && a->is_socket == addr->is_socket && strcasecmp(a->host, addr->host) == 0)
			return (int)i;
	}
	return -1;
}

static int route_classified(struct ws_session *s, const char *q, unsigned long len, bool send_only,
			    const struct ws_verdict *v, int forced, bool by_rule, int pin, bool at_sign, uint64_t now_us);

int ws_route_query(struct ws_session *s, const char *q, unsigned long len, bool send_only, int at_sign)
{
	struct ws_verdict v;
	struct ws_rule_result rr; /* (300 bytes: filled only when rules are installed) */
	struct ws_rules *rs;
	int forced = s->next_route, pin = -1, r;
	bool by_rule = false;
	uint64_t now_us = ws_now_us(); /* the one clock read before the statement runs */

	s->next_route = WESCALE_ROUTE_AUTO;
	ws_session_clear_error(s);
	/* A reply sent for and never read: the primary's socket is the
	 * application's again whatever runs next. */
	ws_session_fd_return(s);
	s->pending_note = false;
	ws_session_close_idle(s, now_us / 1000u);
	ws_classify_env(q, len, &s->lexenv, &v);

	/* Query rules: with none installed this is one atomic load. */
	rr.held = NULL;
	if ((rs = ws_rules_acquire())) {
		rr = (struct ws_rule_result){ .consistency = -1 };
		ws_rules_match(rs, q, len, &v, s->user, s->cur_db ? s->cur_db : s->db, &rr);
		if (rr.decision == WS_RULE_DO_FAIL) {
			ws_rules_release(rs);
			ws_session_set_error(s, rr.error_code, "HY000", "%s", rr.message);
			return 1;
		}
		if (rr.decision == WS_RULE_DO_ROUTE) {
			if (rr.route == WESCALE_ROUTE_PRIMARY || rr.route == WESCALE_ROUTE_REPLICA) {
				forced = rr.route;
				by_rule = true;
			} else if (rr.addr && (pin = member_index(s->cluster, rr.addr)) < 0)
				ws_log(WS_LOG_WARN, "rule route %s:%u is not a member of cluster '%s': routing as usual",
				       rr.addr->host, rr.addr->port, s->cluster->name);
		}
		if (rr.consistency >= 0 && v.hint_consistency < 0)
			v.hint_consistency = rr.consistency;
		ws_rules_release(rs);
	}
	r = route_classified(s, q, len, send_only, &v, forced, by_rule, pin,
			     at_sign < 0 ? memchr(q, '@', len) != NULL : at_sign != 0, now_us);
	/* A limit slot is held while the statement runs: until its result header
	 * is in (send_query: until read_query_result). */
	if (send_only && rr.held)
		s->pending_rule = rr;
	else
		ws_rules_done(&rr);
	return r;
}

/* What gather() reads from the text itself (the inputs of the same names). */
struct text_facts {
	bool diagnostics, uncarried_var;
};

/* The scans only where they can matter: diagnostics are SHOW, GET
 * DIAGNOSTICS, or a SELECT of per-statement values (a primary function to the
 * classifier); uncarried variables need "@@" (at_sign: the text has an '@'). */
static void text_scans(const struct ws_verdict *v, const char *q, size_t len, bool at_sign, struct text_facts *tf)
{
	tf->diagnostics = (v->kind == WS_STMT_SHOW || v->kind == WS_STMT_OTHER ||
			   (v->kind == WS_STMT_SELECT && (v->flags & WS_F_PRIMARY_FUNC))) &&
			  ws_decide_is_diagnostics(q, len);
	tf->uncarried_var = at_sign && ws_decide_reads_uncarried(q, len);
}

/* Does the decision need the primary's server status (in a transaction?) for
 * statement v: reads and transaction starts, and what was asked to go to a
 * replica. It may ask the client library. */
static bool asks_status(const struct ws_verdict *v, int asked, bool member)
{
	return (v->flags & (WS_F_READ | WS_F_TRX_BEGIN)) || v->hint_route == WS_HINT_REPLICA ||
	       asked == WESCALE_ROUTE_REPLICA || member;
}

/* Gather the facts for ws_route_decide() about statement v (text q, len); tf:
 * its text facts when the caller has them already (NULL: scanned here). */
static void gather(struct ws_session *s, const struct ws_verdict *v, enum ws_api api, int asked, bool by_rule,
		   bool member, const char *q, size_t len, const struct text_facts *tf, struct ws_decide_in *in)
{
	struct text_facts scanned;

	*in = (struct ws_decide_in){
		.v = v,
		.api = api,
		.asked = asked,
		.asked_by_rule = by_rule,
		.member = member,
		.has_replicas = s->n_replicas > 0,
		.ro_trx = s->ro_trx >= 0,
		.ro_trx_to_replica = s->cluster->read_only_transactions == WS_RO_TRX_REPLICA,
		.locked_tables = s->locked_tables,
		.maybe_temp = s->maybe_temp,
		.state_unknown = s->state_unknown,
		.multi_enabled = (s->client_flag & CLIENT_MULTI_STATEMENTS) != 0,
		.own_replies = s->reads_replies_itself,
		.last_on_replica = s->last != NULL,
		.optimistic = s->replay ? s->cluster->optimistic_transactions : WS_OPT_TRX_OFF,
		.opt_trx = s->ro_trx >= 0 && s->opt_trx,
	};
	s->pending_shape = -1;
	if (!v)
		return;
	in->consistency = effective_consistency(s, v);
	in->temp_mentioned = s->n_temp && mentions_temp(s, q, len);
	if (!tf) {
		text_scans(v, q, len, memchr(q, '@', len) != NULL, &scanned);
		tf = &scanned;
	}
	in->diagnostics = tf->diagnostics;
	in->uncarried_var = tf->uncarried_var;
	/* Last, as it may ask the client library. */
	if (asks_status(v, asked, member)) {
		unsigned status = status_for_read(s);

		in->primary_trx = (status & SERVER_STATUS_IN_TRANS) != 0;
		in->autocommit_off = !(status & SERVER_STATUS_AUTOCOMMIT);
		in->in_trx = in->primary_trx || in->autocommit_off;
	} else {
		return; /* not the start of a transaction on a replica */
	}
	if (in->optimistic == WS_OPT_TRX_OFF || in->primary_trx || (in->ro_trx && !(v->flags & WS_F_TRX_BEGIN)))
		return;
	/* Facts of a statement that may start a transaction. */
	in->assume_write = s->rw_next || (s->assume_write >= 0 ? s->assume_write : s->cluster->assume_write_transactions);
	if (v->flags & WS_F_TRX_BEGIN)
		in->read_write = ws_decide_says_read_write(q, len);
	if (in->optimistic == WS_OPT_TRX_ADAPTIVE && ((v->flags & WS_F_TRX_BEGIN) || in->autocommit_off)) {
		s->pending_shape = ws_opt_shape(q, len);
		in->shape_writes = ws_opt_shape_writes(s, s->pending_shape);
	}
}

_Static_assert(offsetof(struct ws_session, route_unused) + sizeof(((struct ws_session *)0)->route_unused) -
			       offsetof(struct ws_session, ro_trx) ==
		       sizeof(((struct ws_session *)0)->route_facts),
	       "route_facts must be the routing flags exactly, without padding");

/* The facts gather() reads, packed (struct ws_route_key): the session's,
 * the call's, the statement's. Keep the two in step: a fact gather() reads
 * that is not here would let a remembered plan outlive the fact it was made
 * from. The arguments are gather()'s; tf NULL: a prepared statement's (its
 * memo is its own, invalidated when its text changes: ws_stmt_set_text). */
WS_HOT void route_key(struct ws_session *s, const struct ws_verdict *v, enum ws_api api, int asked, bool by_rule,
		      bool member, const struct text_facts *tf, struct ws_route_key *k)
{
	memset(k, 0, sizeof(*k)); /* (the padding too: keys are compared whole) */
	k->cluster = s->cluster;
	memcpy(k->facts, s->route_facts, sizeof(k->facts));
	if (asks_status(v, asked, member)) /* (only where gather() asks) */
		k->status = status_for_read(s) | 1u << 31;
	k->asked = (signed char)asked;
	k->n_temp = (unsigned char)(s->n_temp < 255 ? s->n_temp : 255);
	k->bits = (unsigned short)((unsigned)(s->n_replicas > 0) |
				   (unsigned)((s->client_flag & CLIENT_MULTI_STATEMENTS) != 0) << 1 |
				   (unsigned)(s->last != NULL) << 2 | (unsigned)(s->replay != NULL) << 3 |
				   (unsigned)by_rule << 4 | (unsigned)member << 5);
	if (!tf)
		return;
	k->bits |= (unsigned short)((unsigned)tf->diagnostics << 6 | (unsigned)tf->uncarried_var << 7);
	k->flags = v->flags;
	k->kind = (signed char)v->kind;
	k->hint_route = (signed char)v->hint_route;
	k->hint_consistency = (signed char)v->hint_consistency;
	k->api = (signed char)api;
}

#if WS_CHECK_MEMO
static bool same_plan(const struct ws_plan *a, const struct ws_plan *b)
{
	return a->target == b->target && a->reason == b->reason && a->wait_level == b->wait_level &&
	       a->end_ro_trx == b->end_ro_trx && a->start_ro_trx == b->start_ro_trx &&
	       a->unsafe_ignored == b->unsafe_ignored && a->opt == b->opt && a->begin_first == b->begin_first &&
	       a->migrate == b->migrate;
}
#endif

/* Are two keys the same? Compared whole, a word at a time (route_key clears
 * the padding). */
static inline bool same_key(const struct ws_route_key *a, const struct ws_route_key *b)
{
	uint64_t x[sizeof(*a) / 8], y[sizeof(*b) / 8], d = 0;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (size_t i = 0; i < sizeof(x) / 8; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
_Static_assert(sizeof(struct ws_route_key) % 8 == 0, "same_key compares whole words");

/* plan_for() when the memo does not hold the plan: decide it, and remember a
 * plan that may be (k: the key of the facts it is made from). */
static void plan_decide(struct ws_session *s, const struct ws_verdict *v, enum ws_api api, int asked, bool by_rule,
			bool member, const char *q, size_t len, const struct text_facts *tf,
			struct ws_route_memo *memo, const struct ws_route_key *k, struct ws_plan *p, bool *diagnostics)
{
	struct ws_decide_in in;

	gather(s, v, api, asked, by_rule, member, q, len, tf, &in);
	ws_route_decide(&in, p);
	*diagnostics = in.diagnostics;
	if (!memo)
		return;
	/* A plain replica read: nothing to start, end or move, no temporary
	 * table to look for in the text, no shape learned (adaptive), and not a
	 * transaction's start (whose text gather() reads further: READ WRITE). */
	memo->valid = p->target == WS_TARGET_REPLICA && !p->start_ro_trx && !p->begin_first && !p->end_ro_trx &&
		      !p->migrate && k->n_temp == 0 && s->ro_trx < 0 && s->pending_shape < 0 &&
		      !(v->flags & WS_F_TRX_BEGIN);
	if (memo->valid) {
		memo->key = *k;
		memo->plan = *p;
		memo->diagnostics = in.diagnostics;
	}
}

/*
 * The plan for statement v (text q, len): gather() + ws_route_decide(), or
 * the one memo remembered under the same facts (struct ws_route_memo; NULL:
 * none). tf: the text's facts, scanned once by a text statement's caller for
 * the key and for gather() (NULL: a prepared statement's, whose memo is its
 * own). *diagnostics: gather()'s fact of that name. Inline: a remembered plan
 * costs its key and one comparison.
 */
WS_HOT void plan_for(struct ws_session *s, const struct ws_verdict *v, enum ws_api api, int asked, bool by_rule,
		     bool member, const char *q, size_t len, const struct text_facts *tf, struct ws_route_memo *memo,
		     struct ws_plan *p, bool *diagnostics)
{
	struct ws_route_key k;

	if (memo) {
		route_key(s, v, api, asked, by_rule, member, tf, &k);
		if (memo->valid && same_key(&k, &memo->key)) {
#if WS_CHECK_MEMO
			struct ws_decide_in in;

			gather(s, v, api, asked, by_rule, member, q, len, NULL, &in);
			ws_route_decide(&in, p);
			if (!same_plan(p, &memo->plan) || in.diagnostics != memo->diagnostics) {
				ws_log(WS_LOG_ERROR, "check_memo: the remembered plan of '%.*s' is not the plan decided now",
				       (int)(len > 60 ? 60 : len), q);
				abort();
			}
#endif
			s->pending_shape = -1; /* (as gather() leaves it for such a plan) */
			*p = memo->plan;
			*diagnostics = memo->diagnostics;
			return;
		}
	}
	plan_decide(s, v, api, asked, by_rule, member, q, len, tf, memo, &k, p, diagnostics);
}

/* note_route's rarer half: a request refused as unsafe, the debug line. */
static void note_route_more(const struct ws_plan *p, enum ws_reason why, int node, const char *q, size_t len)
{
	if (p->unsafe_ignored)
		ws_stats_count_unsafe_hint();
	if (ws_log_enabled(WS_LOG_DEBUG))
		ws_log(WS_LOG_DEBUG, "route %.*s%s -> %s (%s)%s", (int)(len > 60 ? 60 : len), q ? q : "",
		       len > 60 ? "…" : "", node >= 0 ? "replica" : "primary", ws_reason_to_string(why),
		       p->unsafe_ignored ? "; replica request ignored: not safe there" : "");
}

/* Remember how the last statement was routed (wescale_last_route, stats, log). */
static inline void note_route(struct ws_session *s, const struct ws_plan *p, enum ws_reason why, int node,
			      const char *q, size_t len)
{
	s->route_reason = why;
	s->route_target = p->target;
	s->route_node = node;
	ws_stats_count_reason(why);
	if (WS_UNLIKELY(p->unsafe_ignored || ws_log_enabled(WS_LOG_DEBUG)))
		note_route_more(p, why, node, q, len);
}

/* A transaction began on replica s->ro_trx (BEGIN ran there, or the
 * executor's START TRANSACTION READ ONLY for an implicit one): an optimistic
 * one (plan p) starts its record with begin. */
static void trx_begun(struct ws_session *s, const struct ws_plan *p, const char *begin, size_t len)
{
	s->replicas[s->ro_trx].dirty = true; /* a transaction ran there: reset before reuse (pool.c) */
	s->opt_trx = p->opt;
	if (!p->opt)
		return;
	s->opt_conn_gen = s->replicas[s->ro_trx].conn_gen;
	ws_replay_opt_begin(s, begin, len);
	ws_opt_started(s, s->pending_shape, false);
}

/* The replica connection of the transaction held there, or NULL when it is
 * gone (an optimistic transaction also needs the very connection it began on). */
static MYSQL *replica_trx_conn(struct ws_session *s, uint64_t now_us)
{
	MYSQL *m = ws_replica_get(s, (size_t)s->ro_trx, now_us / 1000u);

	return m && s->opt_trx && s->replicas[s->ro_trx].conn_gen != s->opt_conn_gen ? NULL : m;
}

/* The replica of an optimistic transaction is lost: move it to the primary.
 * 0 moved, -1 not (error set). */
static int opt_trx_lost(struct ws_session *s)
{
	ws_log(WS_LOG_INFO, "the replica holding an optimistic transaction was lost: moving it to the primary");
	ws_session_fd_return(s);
	ws_opt_replica_lost(s);
	return ws_opt_migrate(s);
}

/*
 * Run statement v (text q) inside the transaction held on a replica. 1: it ran
 * there (*r its status); 0: the primary must run it (an optimistic transaction
 * whose replica was lost moved there); -1: an error is set on the session.
 */
static int run_in_replica_trx(struct ws_session *s, const struct ws_verdict *v, const char *q, unsigned long len,
			      bool send_only, int *r, uint64_t now_us)
{
	MYSQL *m = replica_trx_conn(s, now_us);
	bool opt = s->opt_trx;

	if (!m) {
		if (opt)
			return opt_trx_lost(s) < 0 ? -1 : 0;
		s->ro_trx = -1;
		ws_session_set_error(s, CR_SERVER_LOST, "HY000",
				     "wescale: the replica running this READ ONLY transaction was lost; "
				     "the transaction is rolled back");
		return -1;
	}
	if (send_only && ws_session_fd_lend(s, m) < 0)
		send_only = false; /* run to completion: the reply is then already read */
	*r = run_on(m, q, len, send_only);
	/* Refused there as a write (a function that writes though declared
	 * READS SQL DATA, or redeclared since): nothing ran; an optimistic
	 * transaction moves to the primary, which runs the statement. (A READ
	 * ONLY transaction the application asked for gets the refusal, as it
	 * would on the primary.) */
	if (*r && opt && !send_only && ws_safety_misrouted(ws_topology_cluster(s->cluster), errno_of(m)))
		return ws_opt_migrate(s) < 0 ? -1 : 0;
	/* SET SESSION TRANSACTION READ WRITE (or tx_read_only = 0) may have
	 * run there: read-only again before its next read. */
	if (!(v->flags & WS_F_READ) &&
	    ((v->flags & WS_F_MULTI) || (v->kind != WS_STMT_COMMIT && v->kind != WS_STMT_ROLLBACK)))
		s->replicas[s->ro_trx].ro_unsure = true;
	if (*r && ws_is_connection_error(errno_of(m))) {
		if (opt)
			return opt_trx_lost(s) < 0 ? -1 : 0;
		s->ro_trx = -1;
	}
	s->last = m;
	s->last_node = s->ro_trx;
	if (opt)
		ws_replay_opt_record(s, m, v, q, len, send_only, *r);
	if (v->flags & WS_F_TRX_END)
		replica_trx_ended(s);
	return 1;
}

/* Start the implicit transaction of an autocommit-off session on a replica
 * that satisfies the plan's wait. true: s->ro_trx holds it. */
static bool start_implicit_trx(struct ws_session *s, struct ws_cluster_rt *rt, const struct ws_plan *p,
			       const struct ws_verdict *v, uint64_t now_us)
{
	static const char sql[] = "START TRANSACTION READ ONLY";
	struct ws_wm buf;
	const struct ws_wm *need;
	int r;

	if (ws_token_need(s, v, p->wait_level, &buf, &need) < 0 ||
	    run_on_replica(s, rt, need, sql, sizeof(sql) - 1, false, &r, now_us) <= 0 || r)
		return false;
	s->ro_trx = s->last_node;
	trx_begun(s, p, "START TRANSACTION", 17);
	return true;
}

static int route_classified(struct ws_session *s, const char *q, unsigned long len, bool send_only,
			    const struct ws_verdict *v, int forced, bool by_rule, int pin, bool at_sign, uint64_t now_us)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	struct text_facts tf;
	struct ws_plan p;
	enum ws_reason why;
	struct ws_wm buf;
	const struct ws_wm *need;
	bool diagnostics;
	int r;

	text_scans(v, q, len, at_sign, &tf);
	plan_for(s, v, send_only ? WS_API_SEND : WS_API_TEXT, forced, by_rule, pin >= 0, q, len, &tf, &s->text_memo, &p,
		 &diagnostics);
	/* Not before a statement that asks about the previous one: ours would
	 * answer it. */
	if (!diagnostics)
		ws_primary_harvest(s);
	why = p.reason;
	if (p.end_ro_trx)
		end_ro_trx_silently(s);
	if (p.migrate && ws_opt_migrate(s) < 0)
		return 1;

	switch (p.target) {
	case WS_TARGET_MEMBER: {
		MYSQL *m = ws_replica_get(s, (size_t)pin, now_us / 1000u);

		if (m && (!send_only || ws_session_fd_lend(s, m) == 0)) {
			s->replicas[pin].dirty = true; /* anything may run there (pool.c) */
			r = run_on(m, q, len, send_only);
			if (!(r && ws_safety_misrouted(rt, errno_of(m)))) {
				s->last = m;
				s->last_node = pin;
				note_route(s, &p, why, pin, q, len);
				return r;
			}
			ws_session_fd_return(s);
			why = WS_WHY_WRITE; /* refused there as a write */
			break;
		}
		why = WS_WHY_NO_REPLICA_READY;
		break;
	}
	case WS_TARGET_LAST:
		if (s->last) {
			if (send_only && ws_session_fd_lend(s, s->last) < 0)
				break;
			note_route(s, &p, why, s->last_node, q, len);
			return run_on(s->last, q, len, send_only);
		}
		break; /* the primary ran it */
	case WS_TARGET_RO_TRX:
	in_replica_trx: {
		int k = run_in_replica_trx(s, v, q, len, send_only, &r, now_us);

		if (k < 0)
			return 1;
		if (k > 0) {
			note_route(s, &p, why, s->last_node, q, len);
			return r;
		}
		why = WS_WHY_NO_REPLICA_READY; /* moved to the primary */
		break;
	}
	case WS_TARGET_REPLICA: {
		int ran = 0;

		s->route_lagged = false;
		if (p.begin_first) {
			/* The first read of an autocommit-off transaction: the
			 * transaction starts on a replica, then the read runs in it. */
			if (start_implicit_trx(s, rt, &p, v, now_us))
				goto in_replica_trx;
		} else if (ws_token_need(s, v, p.wait_level, &buf, &need) == 0 &&
			   (ran = run_on_replica(s, rt, need, q, len, send_only, &r, now_us)) > 0) {
			if (p.start_ro_trx) {
				if (r == 0) {
					s->ro_trx = s->last_node;
					trx_begun(s, &p, q, len);
				}
			} else {
				remember_read(s, q, len);
			}
			note_route(s, &p, why, s->last_node, q, len);
			return r;
		}
		why = ran < 0 ? WS_WHY_WRITE /* refused there as a write */
		      : s->route_lagged ? WS_WHY_REPLICA_LAGGED : WS_WHY_NO_REPLICA_READY;
		/* replica_fallback = error: a read the replicas should have served
		 * fails instead of loading the primary. */
		if (!p.start_ro_trx && s->cluster->replica_fallback == WS_FALLBACK_ERROR && ran == 0) {
			ws_session_set_error(s, WESCALE_ER_NO_REPLICA, "HY000",
					     "wescale: no replica of cluster '%s' could serve this read "
					     "(replica_fallback = error)", s->cluster->name);
			return 1;
		}
		break;
	}
	default:
		break;
	}
	p.target = WS_TARGET_PRIMARY;
	if (why == WS_WHY_OPT_LEARNED)
		ws_opt_started(s, s->pending_shape, true);

	{
		bool in_trx = ws_primary_in_trx(s) || s->locked_tables;

		if (ws_failover_switch_pending(s) && ws_failover_switch(s, in_trx) < 0)
			return 1; /* an orchestrator named another primary */
		/* A write must not be sent into a connection the server already
		 * closed (a clean shutdown closes idle connections): it would look
		 * lost in flight — outcome unknown — though it never ran. */
		if (s->replay)
			ws_replay_before(s, v, q, len, send_only);
		if (!(v->flags & WS_F_READ) && (!in_trx || ws_replay_check_first(s, v)) && primary_closed_by_server(s) &&
		    ws_failover_after_error(s, CR_SERVER_GONE_ERROR, NULL, in_trx) < 0)
			return 1;
		{
			/* Its own clock: a failover above may have taken seconds. */
			struct ws_node_rt *node = ws_failover_primary_node(s);
			uint64_t t0 = ws_now_us();

			ws_node_begin(node, t0);
			r = s->track_pending ? ws_tracking_run(s, q, len, send_only) : run_on(s->mysql, q, len, send_only);
			ws_node_end(node, ws_now_us() - t0, r != 0);
		}
		if (r && !in_trx && !(v->flags & WS_F_READ) && errno_of(s->mysql) == 1290 /* ER_OPTION_PREVENTS_STATEMENT */ &&
		    s->cluster->failover_timeout_ms) {
			/* "read-only": the primary was demoted (a switchover). The write
			 * did not run: wait for the new primary and run it there. */
			ws_failover_drop_primary(s);
			if (ws_failover_after_error(s, CR_SERVER_GONE_ERROR, NULL, false) < 0)
				return 1;
			r = run_on(s->mysql, q, len, send_only);
		} else if (r && ws_is_connection_error(errno_of(s->mysql)) && ws_session_may_retry(s, now_us)) {
			/* The primary is gone: wait for one, reconnect this handle,
			 * run the statement again when that is safe (not when the
			 * application's read timeout is spent: then its error). */
			if (ws_failover_after_error(s, errno_of(s->mysql), v, in_trx) < 0)
				return 1;
			r = run_on(s->mysql, q, len, send_only);
		}
	}
	ws_session_use_primary(s);
	note_route(s, &p, why, -1, q, len);
	if (s->replay)
		ws_replay_after(s, r);
	if (r == 0 && s->trx_shape >= 0 && ws_opt_writes(v))
		s->trx_wrote = true;
	if (r == 0 && (v->flags & WS_F_SET_TRANSACTION))
		s->rw_next = ws_decide_says_read_write(q, len);
	if (r == 0 && !send_only) {
		ws_route_after_primary(s);
		note_primary_statement(s, q, len, v);
		/* INSERT … RETURNING, SELECT NEXTVAL(), a function that writes: the
		 * GTID comes with the end of the rows (mysql_store_result, or before
		 * the next statement). */
		s->harvest_pending = ws_decide_may_write(v) && answered_with_rows(s);
	} else if (r == 0 && (v->flags & NOTED_FLAGS || ws_decide_may_hide_state(v, q, len, false))) {
		/* Taken in when its reply is read (ws_route_read_result). */
		remember_read(s, q, len);
		s->pending_note = true;
	}
	s->pending_may_write = send_only && ws_decide_may_write(v);
	return r;
}

int ws_route_call(struct ws_session *s, enum ws_api api)
{
	struct ws_decide_in in;
	struct ws_plan p;

	ws_primary_harvest(s);
	gather(s, NULL, api, WESCALE_ROUTE_AUTO, false, false, NULL, 0, NULL, &in);
	ws_route_decide(&in, &p);
	if (p.end_ro_trx)
		end_ro_trx_silently(s);
	if (p.migrate && ws_opt_migrate(s) < 0)
		return -1;
	note_route(s, &p, p.reason, p.target == WS_TARGET_RO_TRX ? s->ro_trx : -1, ws_api_to_string(api),
		   strlen(ws_api_to_string(api)));
	return (int)p.target;
}

bool ws_route_nb_begin(struct ws_session *s, const char *q, size_t len)
{
	struct ws_verdict v;

	ws_session_clear_error(s);
	if (ws_route_call(s, WS_API_NONBLOCKING) < 0)
		return false;
	ws_session_use_primary(s);
	s->pending_note = false;
	if (!q)
		return true;
	ws_classify_env(q, len, &s->lexenv, &v);
	if ((v.flags & NOTED_FLAGS) || ws_decide_may_hide_state(&v, q, len, false)) {
		remember_read(s, q, len);
		s->pending_note = true;
	}
	return true;
}

void ws_route_nb_done(struct ws_session *s, bool ok, bool reply_read)
{
	if (!reply_read)
		return; /* the note waits for the reply */
	if (ok) {
		ws_route_after_primary(s);
		if (s->pending_note)
			note_primary_text(s, s->last_read, s->last_read_len);
	}
	s->pending_note = false;
}

int ws_route_end_ro_trx(struct ws_session *s, bool commit)
{
	const struct ws_real *R = ws_real();
	MYSQL *m;
	my_bool r;

	if (s->ro_trx < 0)
		return -1;
	m = s->replicas[s->ro_trx].mysql;
	ws_guard_enter();
	r = commit ? R->mysql_commit(m) : R->mysql_rollback(m);
	ws_guard_leave();
	s->last = m;
	s->last_node = s->ro_trx;
	replica_trx_ended(s);
	return r;
}

/* "host:port" (or the socket path) of reader idx, or of the primary (-1). */
static int node_address(struct ws_session *s, int idx, char *buf, size_t size)
{
	const struct ws_addr *a;

	if (!s->cluster)
		return -EINVAL;
	if (idx >= 0)
		a = ws_cluster_reader(s->cluster, s->replicas[idx].node);
	else if (s->primary_reader >= 0)
		a = ws_cluster_reader(s->cluster, (size_t)s->primary_reader);
	else if (s->cluster->has_primary)
		a = &s->cluster->primary;
	else
		return -ENOENT;
	if (a->is_socket)
		snprintf(buf, size, "%s", a->host);
	else if (strchr(a->host, ':'))
		snprintf(buf, size, "[%s]:%u", a->host, a->port);
	else
		snprintf(buf, size, "%s:%u", a->host, a->port);
	return 0;
}

int ws_route_last_backend(struct ws_session *s, char *buf, size_t size)
{
	return node_address(s, s->last_node, buf, size);
}

int ws_route_explain(struct ws_session *s, char *buf, size_t size)
{
	char addr[300];
	int node = s->route_node;

	if (!s->cluster)
		return -EINVAL;
	if (s->route_reason < 0) {
		snprintf(buf, size, "primary: nothing routed yet");
		return 0;
	}
	if (node >= 0 && (size_t)node < s->n_replicas) {
		if (node_address(s, node, addr, sizeof(addr)) < 0)
			addr[0] = '\0';
		snprintf(buf, size, "replica %s: %s", addr, ws_reason_to_string((enum ws_reason)s->route_reason));
	} else {
		snprintf(buf, size, "primary: %s", ws_reason_to_string((enum ws_reason)s->route_reason));
	}
	return 0;
}

/* A prepared statement starts a transaction on replica idx (plan p): BEGIN
 * itself, or the first read of an autocommit-off transaction (START
 * TRANSACTION READ ONLY runs there first). The replica to run it on, or -1. */
static int prepared_trx_begun(struct ws_session *s, const struct ws_plan *p, const char *q, size_t len, int idx)
{
	static const char sql[] = "START TRANSACTION READ ONLY";

	if (p->begin_first && run_on(s->replicas[idx].mysql, sql, sizeof(sql) - 1, false))
		return -1;
	s->ro_trx = idx;
	trx_begun(s, p, p->begin_first ? "START TRANSACTION" : q, p->begin_first ? 17 : len);
	if (p->begin_first && p->opt)
		ws_replay_opt_stmt_pending(s); /* the read: recorded once it ran */
	return idx;
}

int ws_route_pick_read(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len, uint64_t now_us,
		       struct ws_route_memo *memo)
{
	const struct ws_real *R = ws_real();
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	int forced = s->next_route;
	struct ws_plan p;
	struct ws_wm buf;
	const struct ws_wm *need;
	char sql[1024];
	bool wait, ok, diagnostics;
	int w = 0;
	uint64_t t0;
	MYSQL *m;
	int idx;

	s->next_route = WESCALE_ROUTE_AUTO;
	ws_session_clear_error(s);
	ws_session_fd_return(s);
	plan_for(s, v, WS_API_PREPARED, forced, false, false, q, len, NULL, memo, &p, &diagnostics);
	if (!diagnostics)
		ws_primary_harvest(s);
	if (p.end_ro_trx)
		end_ro_trx_silently(s);
	if (p.migrate && ws_opt_migrate(s) < 0)
		return -2;
	if (p.target == WS_TARGET_RO_TRX) {
		idx = replica_trx_conn(s, now_us) ? s->ro_trx : -1;
		if (idx < 0 && s->opt_trx) {
			if (opt_trx_lost(s) < 0)
				return -2;
			p.target = WS_TARGET_PRIMARY;
		} else if (s->opt_trx && !(v->flags & WS_F_TRX_END)) {
			/* Recorded once it ran there (the statement shim), or
			 * the transaction can no longer move to the primary. */
			ws_replay_opt_stmt_pending(s);
		}
		if (idx >= 0 && (v->flags & WS_F_TRX_END))
			replica_trx_ended(s);
		note_route(s, &p, idx < 0 ? WS_WHY_NO_REPLICA_READY : p.reason, idx, q, len);
		return idx;
	}
	if (p.target != WS_TARGET_REPLICA) {
		if (p.reason == WS_WHY_OPT_LEARNED)
			ws_opt_started(s, s->pending_shape, true);
		if (s->trx_shape >= 0 && ws_opt_writes(v))
			s->trx_wrote = true;
		/* The primary runs it; the statement shim takes in what it did
		 * (ws_route_note_statement) once it succeeded. */
		p.target = WS_TARGET_PRIMARY;
		note_route(s, &p, p.reason, -1, q, len);
		return -1;
	}
	if (ws_token_need(s, v, p.wait_level, &buf, &need) < 0) {
		note_route(s, &p, WS_WHY_NO_REPLICA_READY, -1, q, len);
		return -1;
	}
	idx = pick_replica(s, rt, need, &wait, now_us / 1000u);
	if (idx < 0 || !wait) {
		if (idx >= 0)
			ck_pr_inc_64(&rt->stats.replica_no_wait);
		if (idx >= 0 && p.start_ro_trx)
			idx = prepared_trx_begun(s, &p, q, len, idx);
		note_route(s, &p, idx < 0 ? WS_WHY_NO_REPLICA_READY : p.reason, idx, q, len);
		return idx;
	}
	/* A prepared statement cannot carry the wait in front of it: the wait runs
	 * as its own statement on that replica connection. */
	if (ws_consistency_wait_sql(s, need, sql, sizeof(sql)) >= sizeof(sql))
		return -1;
	m = s->replicas[idx].mysql;
	t0 = ws_now_us();
	ok = (w = ws_safety_wait_alone(m, sql, strlen(sql))) > 0;
	ck_pr_add_64(&rt->stats.wait_us, ws_now_us() - t0);
	if (!ok) {
		unsigned e;

		ws_guard_enter();
		e = R->mysql_errno(m);
		ws_guard_leave();
		if (ws_is_connection_error(e) || w == -1)
			ws_session_replica_failed(s, (size_t)idx);
		else
			ws_node_lagging(&rt->replicas[s->replicas[idx].node], s->cluster->consistency_timeout_ms);
		ck_pr_inc_64(&rt->stats.primary_after_timeout);
		p.target = WS_TARGET_PRIMARY;
		note_route(s, &p, WS_WHY_REPLICA_LAGGED, -1, q, len);
		return -1;
	}
	ws_consistency_learned(s, (size_t)idx, need);
	ck_pr_inc_64(&rt->stats.replica_after_wait);
	if (p.start_ro_trx)
		idx = prepared_trx_begun(s, &p, q, len, idx);
	note_route(s, &p, p.reason, idx, q, len);
	return idx;
}

void ws_route_note_statement(struct ws_session *s, const char *q, size_t len, const struct ws_verdict *v)
{
	note_primary_statement(s, q, len, v);
}
