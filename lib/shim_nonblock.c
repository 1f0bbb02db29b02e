/*
 * shim_nonblock.c — the non-blocking API (mysql_*_start / mysql_*_cont) of
 * managed handles.
 *
 * The application drives these calls itself: between a _start and its _cont
 * calls it waits on mysql_get_socket() of its own handle, and the real library
 * keeps the call's progress inside that handle. So they run where the
 * application's handle is connected, the primary (docs/architecture.md, "A
 * reply the application waits for itself") — with the same bookkeeping as the
 * blocking calls: the session state the primary reports (USE, SET, character
 * set), the GTID of a write, temporary tables and LOCK TABLES named by the
 * text, taken in when the call completes (the real call returns status 0).
 */
#include <string.h>

#include "real.h"
#include "route.h"
#include "session.h"

/* The session of a managed handle, for the application's own call. */
static struct ws_session *nb_managed(MYSQL *m)
{
	struct ws_session *s;

	if (ws_guarded())
		return NULL;
	s = ws_session_get(m);
	return s && s->cluster ? s : NULL;
}

/* How a completed call is taken in. */
enum nb_done {
	NB_READ,  /* its reply was read: what the primary reported */
	NB_SENT,  /* mysql_send_query_*: the reply is read later */
	NB_RESET  /* change_user / reset_connection: a new server session */
};

static void nb_finish(struct ws_session *s, enum nb_done how, bool ok)
{
	if (how == NB_RESET) {
		/* Its tracking and state are not known here: reads stay on the
		 * primary from now on. */
		s->state_unknown = true;
		return;
	}
	ws_route_nb_done(s, ok, how == NB_READ);
}

/*
 * A _start call (BEGIN: note the text q, or NULL) and its _cont: when either
 * completes (status 0), the result *ret (0 = success) is taken in as `how`.
 */
#define NB_PAIR(start, cont, RET, how, PARAMS, ARGS, TEXT, TEXTLEN)            \
	WS_ENTRY(start, libmariadb_3);                                           \
	int WS_FN(start) PARAMS                                                  \
	{                                                                        \
		REAL_OR_FAIL(start, 0);                                          \
		struct ws_session *s = nb_managed(mysql);                        \
		int status;                                                      \
		unsigned g;                                                      \
		if (s && !ws_route_nb_begin(s, TEXT, TEXTLEN)) {                 \
			*ret = 1; /* an optimistic transaction could not move */ \
			return 0;                                                \
		}                                                                \
		g = ws_guard_enter_nb();                                         \
		status = R->start ARGS;                                          \
		ws_guard_leave_nb(g);                                            \
		if (s && status == 0)                                            \
			nb_finish(s, how, *ret == 0);                            \
		return status;                                                   \
	}                                                                        \
	WS_ENTRY(cont, libmariadb_3);                                            \
	int WS_FN(cont)(RET * ret, MYSQL * mysql, int ready)                     \
	{                                                                        \
		REAL_OR_FAIL(cont, 0);                                           \
		struct ws_session *s = nb_managed(mysql);                        \
		int status;                                                      \
		unsigned g = ws_guard_enter_nb();                                \
		status = R->cont(ret, mysql, ready);                             \
		ws_guard_leave_nb(g);                                            \
		if (s && status == 0)                                            \
			nb_finish(s, how, *ret == 0);                            \
		return status;                                                   \
	}

#define TEXT_LEN(q) ((q) ? strlen(q) : 0)

NB_PAIR(mysql_real_query_start, mysql_real_query_cont, int, NB_READ,
	(int *ret, MYSQL *mysql, const char *q, unsigned long len), (ret, mysql, q, len), q, len)
NB_PAIR(mysql_query_start, mysql_query_cont, int, NB_READ,
	(int *ret, MYSQL *mysql, const char *q), (ret, mysql, q), q, TEXT_LEN(q))
NB_PAIR(mysql_send_query_start, mysql_send_query_cont, int, NB_SENT,
	(int *ret, MYSQL *mysql, const char *q, unsigned long len), (ret, mysql, q, len), q, len)
NB_PAIR(mysql_read_query_result_start, mysql_read_query_result_cont, my_bool, NB_READ,
	(my_bool *ret, MYSQL *mysql), (ret, mysql), NULL, 0)
NB_PAIR(mysql_next_result_start, mysql_next_result_cont, int, NB_READ,
	(int *ret, MYSQL *mysql), (ret, mysql), NULL, 0)
NB_PAIR(mysql_select_db_start, mysql_select_db_cont, int, NB_READ,
	(int *ret, MYSQL *mysql, const char *db), (ret, mysql, db), NULL, 0)
NB_PAIR(mysql_set_character_set_start, mysql_set_character_set_cont, int, NB_READ,
	(int *ret, MYSQL *mysql, const char *cs), (ret, mysql, cs), NULL, 0)
NB_PAIR(mysql_autocommit_start, mysql_autocommit_cont, my_bool, NB_READ,
	(my_bool *ret, MYSQL *mysql, my_bool mode), (ret, mysql, mode), NULL, 0)
NB_PAIR(mysql_commit_start, mysql_commit_cont, my_bool, NB_READ,
	(my_bool *ret, MYSQL *mysql), (ret, mysql), NULL, 0)
NB_PAIR(mysql_rollback_start, mysql_rollback_cont, my_bool, NB_READ,
	(my_bool *ret, MYSQL *mysql), (ret, mysql), NULL, 0)
NB_PAIR(mysql_change_user_start, mysql_change_user_cont, my_bool, NB_RESET,
	(my_bool *ret, MYSQL *mysql, const char *user, const char *pw, const char *db),
	(ret, mysql, user, pw, db), NULL, 0)
NB_PAIR(mysql_reset_connection_start, mysql_reset_connection_cont, int, NB_RESET,
	(int *ret, MYSQL *mysql), (ret, mysql), NULL, 0)
