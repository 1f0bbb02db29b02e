/*
 * safety.h — a replica never executes a write: the defences on replica
 * connections that do not depend on the classifier (docs/robustness.md,
 * "A replica never executes a write").
 *
 *  - every replica connection is a read-only session, set before its first use
 *    and kept across the client library's own reconnects, so that DML, DDL and
 *    sequence changes fail there (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION) even
 *    for users with SUPER; a read refused so is re-run on the primary and
 *    counted as `misrouted`;
 *  - a replica connection has no capability the application's lacks: it has
 *    multi-statements only when the application's connection has them;
 *  - the application's MYSQL_INIT_COMMAND runs on a replica only when it is a
 *    read or session state, and its failure there is not a replica failure;
 *  - a replica's answer to the consistency wait must have the shape asked for,
 *    and a single read must not come back with more results than one: anything
 *    else is a replica failure.
 */
#ifndef WS_SAFETY_H
#define WS_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "session.h"
#include "topology.h"

struct ws_session;

/* Server error numbers this module reacts to (mysqld_error.h names them). */
enum {
	WS_ER_READ_ONLY_TRX = ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, /* 1792 */
};

/* The statement every replica connection runs first (its init command). */
extern const char ws_safety_read_only_sql[];

/* Does the application's connection allow multi-statement texts? */
bool ws_safety_multi_statements(const struct ws_session *s);

/* Client flags for a replica connection of s: the application's own, plus
 * CLIENT_MULTI_RESULTS (results only, no new statement forms). */
unsigned long ws_safety_replica_flags(const struct ws_session *s);

/* Before mysql_real_connect of a replica connection m: the application's
 * options (its init commands excepted) and the read-only init command. 0 or -1
 * when an option was refused. */
int ws_safety_replica_options(const struct ws_session *s, MYSQL *m);

/* May the application's init command `sql` run on a replica: a read, or
 * session state (SET of session variables, USE), every part of it? */
bool ws_safety_init_command_allowed(const char *sql, size_t len);

/* After it connected: run the application's init commands that may run on a
 * replica (reads, session state; the others are skipped with one warning), then
 * make sure the session is read-only again. A failing init command is logged
 * and ignored. 0, or -1 when the connection cannot be used. */
int ws_safety_replica_init(const struct ws_session *s, MYSQL *m);

/* Make replica connection m's session read-only again (after something that
 * may have changed it: see ws_conn.ro_unsure). 0 or -1. */
int ws_safety_read_only(MYSQL *m);

/* A statement failed with error e on a replica: was it refused as a write by
 * the read-only session? Then it is counted (`misrouted`), logged once per
 * process, and the caller runs it on the primary. */
bool ws_safety_misrouted(struct ws_cluster_rt *rt, unsigned e);

/* Outcome of a consistency wait followed by the read. */
enum ws_wait_outcome {
	WS_WAIT_READ,        /* caught up; the read was sent, its status in *r */
	WS_WAIT_LATE,        /* not caught up in time: nothing of the read is pending */
	WS_WAIT_REFUSED,     /* the wait itself failed (no GTID support …): use the primary */
	WS_WAIT_BROKEN,      /* connection lost, or a reply of the wrong shape: replica failure */
};

/*
 * On replica connection m of s: wait until it covers need, then send the read
 * q. With multi-statements (the application's connection has them) both go
 * in one text "wait;\nread"; without, the wait is its own round trip, so no
 * text the application could not have run reaches the server.
 */
enum ws_wait_outcome ws_safety_wait_read(struct ws_session *s, MYSQL *m, const struct ws_wm *need, const char *q,
					 size_t len, int *r);

/* Read the reply to a wait on m (its result is consumed): 1 caught up, 0 not,
 * -1 a reply of the wrong shape or a lost connection. */
int ws_safety_wait_reply(MYSQL *m);

/* Send the wait `sql` alone on m and read its reply: 1 caught up, 0 not, -1
 * the connection is lost or the reply has the wrong shape (more results than
 * one included): a replica failure; -2 the wait itself failed (no GTID
 * support …). */
int ws_safety_wait_alone(MYSQL *m, const char *sql, size_t len);

/* After a replica's result of the read q was stored: does m announce more
 * results although q is a single statement? (Then the replica is broken.) */
bool ws_safety_extra_results(MYSQL *m, const char *q, size_t len);


#endif /* WS_SAFETY_H */
