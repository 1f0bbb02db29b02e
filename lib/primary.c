/*
 * primary.c — the primary connection helpers (primary.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ck_pr.h>

#include "config.h"
#include "consistency.h"
#include "gtid.h"
#include "log.h"
#include "monitor.h"
#include "primary.h"
#include "real.h"
#include "safefuncs.h"
#include "session.h"
#include "topology.h"

unsigned ws_primary_server_status(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	unsigned int status = SERVER_STATUS_AUTOCOMMIT;

	if (!R->mariadb_get_infov)
		return status;
	ws_guard_enter();
	if (R->mariadb_get_infov(s->mysql, MARIADB_CONNECTION_SERVER_STATUS, &status))
		status = SERVER_STATUS_AUTOCOMMIT;
	ws_guard_leave();
	return status;
}

bool ws_primary_in_trx(struct ws_session *s)
{
	unsigned status = ws_primary_server_status(s);

	return (status & SERVER_STATUS_IN_TRANS) || !(status & SERVER_STATUS_AUTOCOMMIT);
}

unsigned ws_primary_exec(struct ws_session *s, const char *sql)
{
	const struct ws_real *R = ws_real();
	unsigned e = 0;

	ws_guard_enter();
	if (R->mysql_real_query(s->mysql, sql, strlen(sql)))
		e = R->mysql_errno(s->mysql);
	ws_guard_leave();
	return e;
}

/*
 * A write answered with rows (INSERT … RETURNING, SELECT NEXTVAL(), …): the
 * server reports session state in OK packets only, and the end of a result set
 * is an EOF packet without it, so its GTID never reaches the tracking data.
 * Before the handle's next statement — never between the result and the
 * application's status calls, which must answer for the application's own
 * statement — ask the primary for it: one round trip, after such writes only.
 */
void ws_primary_harvest_slow(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	static const char sql[] = "SELECT @@last_gtid";
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *lens;

	s->harvest_pending = false;
	if (s->flavor != WS_GTID_MARIADB) {
		/* MySQL reports OWN_GTID with the final OK of a result set
		 * (CLIENT_DEPRECATE_EOF); without it, stop trusting the mark. */
		s->wm_broken = true;
		return;
	}
	ws_guard_enter();
	if (R->mysql_real_query(s->mysql, sql, sizeof(sql) - 1) == 0 && (res = R->mysql_store_result(s->mysql))) {
		if ((row = R->mysql_fetch_row(res)) && row[0] && (lens = R->mysql_fetch_lengths(res)))
			ws_consistency_note_gtid(s, row[0], lens[0]);
		R->mysql_free_result(res);
	} else {
		s->wm_broken = true;
	}
	ws_guard_leave();
}

void ws_primary_after(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	const char *data, *name;
	size_t len, name_len;
	unsigned long tid;

	if (!R->mysql_session_track_get_first || !R->mysql_session_track_get_next)
		return;
	ws_guard_enter();
	tid = R->mysql_thread_id(s->mysql);
	ws_guard_leave();
	if (tid != s->thread_id && !s->resync_pending) {
		/* The real library reconnected by itself (MYSQL_OPT_RECONNECT):
		 * a new server session without our tracking. Its result may still
		 * be pending, so nothing can be sent now: reads stay on the primary
		 * until the handle's next statement or ping sets tracking up
		 * again (shim_query.c). */
		ws_log(WS_LOG_INFO, "the primary connection was re-established by the client library: "
		       "session tracking is set up again before the next statement");
		s->resync_pending = true;
		s->state_unknown = true;
	}
	ws_guard_enter();
	if (R->mysql_session_track_get_first(s->mysql, SESSION_TRACK_SCHEMA, &data, &len) == 0)
		if (ws_session_set_db(s, data, len) < 0)
			s->state_unknown = true;
	/* System variables arrive as name, value, name, value, … */
	if (R->mysql_session_track_get_first(s->mysql, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) == 0) {
		do {
			name = data;
			name_len = len;
			if (R->mysql_session_track_get_next(s->mysql, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len))
				break;
			if (name_len == 9 && strncasecmp(name, "last_gtid", 9) == 0) {
				ws_consistency_note_gtid(s, data, len);
				continue;
			}
			if (ws_session_set_var(s, name, name_len, data, len) < 0)
				s->state_unknown = true;
		} while (R->mysql_session_track_get_next(s->mysql, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) == 0);
	}
	/* MySQL: session_track_gtids = OWN_GTID reports the write's GTID. */
	if (s->flavor == WS_GTID_MYSQL &&
	    R->mysql_session_track_get_first(s->mysql, SESSION_TRACK_GTIDS, &data, &len) == 0) {
		do
			ws_consistency_note_gtid(s, data, len);
		while (R->mysql_session_track_get_next(s->mysql, SESSION_TRACK_GTIDS, &data, &len) == 0);
	}
	ws_guard_leave();
}

int ws_primary_note_last_gtid(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *len;
	int r = -1;

	if (s->flavor != WS_GTID_MARIADB)
		return 0; /* (MySQL: no per-session last GTID to ask for) */
	ws_guard_enter();
	if (R->mysql_real_query(s->mysql, "SELECT @@last_gtid", 18) == 0 && (res = R->mysql_store_result(s->mysql))) {
		if ((row = R->mysql_fetch_row(res)) && row[0] && (len = R->mysql_fetch_lengths(res)))
			ws_consistency_note_gtid(s, row[0], len[0]);
		R->mysql_free_result(res);
		r = 0;
	}
	ws_guard_leave();
	return r;
}
