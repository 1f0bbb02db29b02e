/*
 * failover.c — the primary goes away; the application keeps its MYSQL *
 * (DESIGN.md §6).
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
 * Lost writes: after the switch, the new primary's executed GTIDs are compared
 * with what this handle saw committed; what is missing is logged (error level)
 * and counted, and the handle's watermark is reset so reads do not wait forever
 * for GTIDs that will never arrive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <ck_pr.h>
#include <errmsg.h>

#include "config.h"
#include "consistency.h"
#include "failover.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "replay.h"
#include "route.h"
#include "session.h"
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
			s->last = NULL;
			s->last_node = -1;
			s->locked_tables = false;
			s->ro_trx = -1;
			/* A new server session: tracking on, state replayed. */
			ws_route_on_connect(s);
			if (ws_session_replay(s, s->mysql) < 0) {
				ws_log(WS_LOG_WARN, "failover: session state could not be restored on %s:%u; "
				       "this handle reads from the primary", a->host, a->port);
				s->state_unknown = true;
			}
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

int ws_failover_after_error(struct ws_session *s, unsigned e, bool is_read, bool in_trx)
{
	ws_log(WS_LOG_INFO, "primary connection failed (%u) during a %s%s", e, is_read ? "read" : "write",
	       in_trx ? " in a transaction" : "");
	if (ws_failover_reconnect(s) < 0)
		return -1;
	if (in_trx) {
		int rp = s->replay ? ws_replay_after_failover(s, e) : 1;

		if (rp <= 0)
			return rp; /* replayed: run it again; or the error is set */
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

void ws_failover_drop_primary(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	struct ws_node_rt *old = ws_failover_primary_node(s);
	int fd;

	/* The primary refused a write because it is read-only now (a
	 * switchover): the connection is alive, so the client library would not
	 * reconnect it. Shut the socket down, and a failing ping makes the library
	 * drop the connection; then it can be reconnected in place. */
	ws_guard_enter();
	fd = R->mysql_get_socket ? (int)R->mysql_get_socket(s->mysql) : -1;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	R->mysql_ping(s->mysql);
	ws_guard_leave();
	if (old) {
		ck_pr_store_int(&old->read_only, 1);
		ws_node_down(old);
	}
}
