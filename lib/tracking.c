/*
 * tracking.c — session tracking set up in the application's first round trip.
 *
 * Carrying session state and GTIDs to replicas needs the primary to report
 * them (session_track_schema, session_track_system_variables, and for MySQL
 * session_track_gtids). Setting that up used to cost a round trip of its own at
 * every connect. Now the SET waits for the application's first statement: both
 * are written to the socket before either reply is read (pipelining: the server
 * runs commands in the order they arrive and answers each in turn), the SET's
 * reply is consumed here and the application reads its own statement's reply as
 * if it had been alone. No capability is added to the connection (no
 * multi-statements): two ordinary COM_QUERY packets.
 *
 * Reads before that may run on replicas: nothing has changed the session since
 * the connect, and the classifier reads their text every way the server might
 * (character set and sql_mode unknown until the primary reports them), so a
 * handle that only reads (connect, SELECT, close) never pays for the setup.
 * Any other call that runs on the primary first (mysql_select_db, a prepared
 * statement, mysql_ping …) sets tracking up in a round trip of its own before
 * it runs (ws_session_use_primary). So does a handle with MYSQL_OPT_RECONNECT
 * (the client library may resend the second of two pipelined commands alone on
 * a new connection) or MARIADB_OPT_SKIP_READ_RESPONSE (the application reads
 * replies itself).
 */
#include <stdlib.h>
#include <string.h>

#include "gtid.h"
#include "log.h"
#include "real.h"
#include "replay.h"
#include "monitor.h"
#include "optimistic.h"
#include "primary.h"
#include "routines.h"
#include "safefuncs.h"
#include "topology.h"
#include "tracking.h"

/* Setting character_set_client and sql_mode to themselves makes the server
 * report them: the classifier lexes as the server does for them. */
static const char sql_mariadb[] = "SET session_track_schema=ON, session_track_system_variables='*', "
				  "character_set_client=@@character_set_client, sql_mode=@@sql_mode";
static const char sql_mysql[] = "SET session_track_schema=ON, session_track_system_variables='*', "
				"session_track_gtids=OWN_GTID, character_set_client=@@character_set_client, "
				"sql_mode=@@sql_mode";

static const char *setup_sql(const struct ws_session *s)
{
	return s->flavor == WS_GTID_MYSQL ? sql_mysql : sql_mariadb;
}

/* The setup's reply has been read (failed: the error number, else 0). */
static void finish(struct ws_session *s, unsigned failed)
{
	const struct ws_real *R = ws_real();

	if (failed && ws_is_connection_error(failed)) {
		/* The connection is gone: the statement fails, and the reconnect
		 * sets tracking up again (ws_tracking_on_connect). */
		s->track_pending = true;
		return;
	}
	if (failed) {
		/* Without tracking we can carry neither session state nor GTIDs to
		 * replicas: every statement of this handle stays on the primary. */
		ws_guard_enter();
		ws_log(WS_LOG_WARN, "cannot enable session tracking on the primary (%s): this connection "
		       "sends everything to the primary", R->mysql_error(s->mysql));
		ws_guard_leave();
		s->state_unknown = true;
		return;
	}
	/* The character set and sql_mode just reported. (The setup changes no
	 * character set, so this runs no statement of its own.) They were set
	 * to themselves: a transaction record begun before is still valid. */
	{
		uint64_t gen = s->state_gen, db_gen = s->db_gen;

		ws_primary_after(s);
		ws_opt_after_primary(s);
		if (s->replay)
			ws_replay_state_rebased(s, gen, db_gen);
	}
}

void ws_tracking_now(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	const char *sql = setup_sql(s);
	unsigned e = 0;

	if (!s->track_pending)
		return;
	s->track_pending = false;
	ws_guard_enter();
	/* Sent and read explicitly: mysql_real_query reads no reply under
	 * MARIADB_OPT_SKIP_READ_RESPONSE. */
	if (R->mysql_send_query && R->mysql_read_query_result ?
		    R->mysql_send_query(s->mysql, sql, strlen(sql)) || R->mysql_read_query_result(s->mysql) :
		    R->mysql_real_query(s->mysql, sql, strlen(sql)) != 0)
		e = R->mysql_errno(s->mysql);
	ws_guard_leave();
	finish(s, e);
}

/* May the client library reconnect by itself (MYSQL_OPT_RECONNECT)? It then
 * resends a command whose write failed on a new connection: of two pipelined
 * commands, the second could arrive alone, and the replies would not match. */
static bool auto_reconnect(const struct ws_session *s)
{
	bool on = false;

	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].option == MYSQL_OPT_RECONNECT && s->opts[i].kind == WS_OPT_BOOL)
			on = !s->opts[i].value_was_null && s->opts[i].v.b; /* the last call counts */
	return on;
}

int ws_tracking_run(struct ws_session *s, const char *q, unsigned long len, bool send_only)
{
	const struct ws_real *R = ws_real();
	const char *sql = setup_sql(s);
	unsigned e = 0;
	int r;

	s->track_pending = false;
	/* MARIADB_OPT_SKIP_READ_RESPONSE (the application reads the replies
	 * through MYSQL.methods), MYSQL_OPT_RECONNECT, or mysql_send_query: the
	 * setup goes first, on its own. After mysql_send_query the application
	 * poll()s the socket before mysql_read_query_result (Ruby mysql2 does):
	 * reading the setup's reply here could pull the statement's reply into
	 * the client library's buffer too, and the socket would never become
	 * readable again. */
	if (send_only || !R->mysql_send_query || !R->mysql_read_query_result || s->reads_replies_itself ||
	    auto_reconnect(s)) {
		s->track_pending = true;
		ws_tracking_now(s);
		ws_guard_enter();
		r = send_only ? R->mysql_send_query(s->mysql, q, len) : R->mysql_real_query(s->mysql, q, len);
		ws_guard_leave();
		return r;
	}
	ws_guard_enter();
	if (R->mysql_send_query(s->mysql, sql, strlen(sql))) {
		/* Nothing was sent: the connection is unusable; the statement
		 * reports why, as it would alone. */
		e = R->mysql_errno(s->mysql);
		ws_guard_leave();
		finish(s, e ? e : 2013);
		ws_guard_enter();
		r = send_only ? R->mysql_send_query(s->mysql, q, len) : R->mysql_real_query(s->mysql, q, len);
		ws_guard_leave();
		return r;
	}
	r = R->mysql_send_query(s->mysql, q, len);
	if (R->mysql_read_query_result(s->mysql))
		e = R->mysql_errno(s->mysql);
	ws_guard_leave();
	if (r) {
		/* The statement could not be sent (the setup's reply is read):
		 * report the send's failure as it would be alone. */
		finish(s, e);
		return r;
	}
	finish(s, e);
	if (e && ws_is_connection_error(e))
		return 1; /* lost before the statement's reply: its error stands */
	if (send_only)
		return 0;
	ws_guard_enter();
	r = R->mysql_read_query_result(s->mysql) ? 1 : 0;
	ws_guard_leave();
	return r;
}

/* struct ws_lexenv.func_ok for a session (ctx: its struct ws_session): the
 * cluster's primary_functions and replica_safe_functions, then the routines
 * the monitor read (routines.c), in the session's current database. */
static bool session_func_ok(void *ctx, const char *db, size_t db_len, const char *name, size_t name_len)
{
	const struct ws_session *s = ctx;

	const char *cur_db;

	if (!s || !s->cluster)
		return false;
	cur_db = s->cur_db ? s->cur_db : s->db;
	/* Precedence: primary_functions, then replica_safe_functions, then the server's word. */
	if (ws_safefuncs_listed(s->cluster->primary_functions, cur_db, db, db_len, name, name_len))
		return false;
	return ws_safefuncs_listed(s->cluster->replica_safe_functions, cur_db, db, db_len, name, name_len) ||
	       ws_routines_has(ws_routines_of(s->cluster), cur_db, db, db_len, name, name_len);
}

/* Tracking on (tracking.c): at the application's connect it is deferred and
 * travels with the first statement; after a reconnect, change_user or reset it
 * runs at once. */
void ws_tracking_on_connect(struct ws_session *s, bool defer)
{
	const struct ws_real *R = ws_real();
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	const char *info;

	if (!s->replicas) {
		s->n_replicas = ws_cluster_n_readers(s->cluster);
		s->replicas = calloc(s->n_replicas ? s->n_replicas : 1, sizeof(*s->replicas));
		if (!s->replicas) {
			s->n_replicas = 0;
			s->state_unknown = true;
			return;
		}
		for (size_t i = 0; i < s->n_replicas; i++)
			s->replicas[i].node = (unsigned)i;
	}
	ws_monitor_start(s);
	ws_guard_enter();
	info = R->mysql_get_server_info(s->mysql);
	s->thread_id = R->mysql_thread_id(s->mysql);
	ws_guard_leave();
	s->flavor = info && strstr(info, "MariaDB") ? WS_GTID_MARIADB : WS_GTID_MYSQL;
	if (rt)
		ck_pr_cas_int(&rt->flavor, -1, s->flavor);
	s->lexenv.func_ok = session_func_ok;
	s->lexenv.func_ctx = s;
	s->track_pending = true;
	if (!defer)
		ws_tracking_now(s);
}
