/*
 * replay.h — transaction_replay: re-run a transaction on the new primary after
 * a failover when it reads the same data there (see replay.c).
 *
 * Every hook is called only when s->replay is not NULL, i.e. when the
 * handle's cluster has transaction_replay = on: with it off, the query path
 * pays one predictable branch per hook.
 */
#ifndef WS_REPLAY_H
#define WS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

struct ws_session;
struct ws_verdict;
struct ws_replay;

/* After a connect: allocate the handle's record when its cluster has
 * transaction_replay or optimistic_transactions on (free it when both are off). Out of memory: the handle runs
 * without replay (logged). */
void ws_replay_attach(struct ws_session *s);

/* Free a record; NULL is a no-op. */
void ws_replay_free(struct ws_replay *rp);

/* A text statement (verdict v) is about to be sent to the primary. q must
 * stay valid until ws_replay_after. */
void ws_replay_before(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len,
		      bool send_only);

/* The statement announced by ws_replay_before returned r (mysql_real_query's
 * result): record what the application saw. */
void ws_replay_after(struct ws_session *s, int r);

/* mysql_store_result on the primary returned res (NULL: none or an error):
 * the checksum of the last recorded statement's rows. */
void ws_replay_result(struct ws_session *s, MYSQL_RES *res);

/* The primary runs something the record cannot follow (a prepared statement):
 * an open transaction can no longer be replayed. */
void ws_replay_untracked(struct ws_session *s);
/* The session's state generation moved without a change a replay would need
 * to reproduce (the tracking setup reporting values set to themselves,
 * tracking.c): the open record's baseline follows. */
void ws_replay_state_rebased(struct ws_session *s, uint64_t old_state_gen, uint64_t old_db_gen);

/* Should a statement with verdict v make sure, before it is sent, that the
 * server has not closed the connection? (A commit that was never sent can
 * be replayed; one sent into a dead connection has an unknown outcome.) */
bool ws_replay_check_first(const struct ws_session *s, const struct ws_verdict *v);

/*
 * The record of an optimistic transaction (optimistic.c): the statements its
 * replica ran with what the application saw, to run again on the primary when
 * it moves there. One record per handle, shared with transaction_replay.
 */
/* A new optimistic transaction: forget the record, keep begin (BEGIN, or
 * START TRANSACTION for an implicit one) as its first statement. */
void ws_replay_opt_begin(struct ws_session *s, const char *begin, size_t len);
/* Replica connection m ran statement v (text q) of it and returned r (not a
 * connection error: the transaction then moves, or ends). */
void ws_replay_opt_record(struct ws_session *s, MYSQL *m, const struct ws_verdict *v, const char *q, size_t len,
			  bool send_only, int r);
/* It ran something whose outcome the record cannot verify: it cannot move to
 * the primary any more. */
void ws_replay_opt_unverifiable(struct ws_session *s);
/* A prepared statement of it goes to its replica: unverifiable unless
 * ws_replay_opt_record_stmt records it once it ran there. */
void ws_replay_opt_stmt_pending(struct ws_session *s);
/* The prepared statement announced by ws_replay_opt_stmt_pending did not run
 * on the replica after all (refused there): nothing to record. */
void ws_replay_opt_stmt_not_run(struct ws_session *s);
/* The prepared statement v (text q) ran on the transaction's replica with
 * these parameters (their values now are the ones it was sent with): kept,
 * values copied. What the application saw is not read: when the transaction
 * moves, ws_replay_opt_snapshot runs the statement again in the replica's
 * transaction, whose snapshot gives the same rows. */
void ws_replay_opt_record_stmt(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len,
			       const MYSQL_BIND *params, unsigned n_params);
/* Before the replica's transaction is rolled back for a move: the recorded
 * prepared reads run again on m (still in that transaction) by statements of
 * libwescale's own, to learn what they returned. Only where that transaction
 * reads from one snapshot (REPEATABLE READ, SERIALIZABLE); otherwise, or on a
 * failure, the transaction is not verifiable. */
void ws_replay_opt_snapshot(struct ws_session *s, MYSQL *m);
/* Run it again on the primary, comparing every outcome: 0 the same (the
 * primary holds the transaction now), 1 different or not verifiable (rolled
 * back; why says what), -1 the primary connection failed. */
int ws_replay_opt_verify(struct ws_session *s, char *why, size_t why_size);

/*
 * Failover drives the replay (failover.c); the record only answers.
 *
 * The primary failed (connection error e) during the statement announced by
 * ws_replay_before, inside a transaction, and the handle has been reconnected
 * to the new primary. ws_replay_start returns 2 when the transaction can be
 * replayed (then call ws_replay_attempt); 0 when the statement may simply run
 * again (a ROLLBACK); 1 when it cannot be replayed (the caller reports the
 * lost transaction); -1 with the error set on the session (a commit whose
 * outcome is unknown).
 */
int ws_replay_start(struct ws_session *s, unsigned e);
/* One replay on the current primary connection: 0 replayed, the statement may
 * run again; 1 it did not do the same there (rolled back; the caller reports
 * the lost transaction); -1 the connection failed: reconnect and attempt
 * again, or ws_replay_abandon. */
int ws_replay_attempt(struct ws_session *s);
/* Forget the transaction (no more attempts). */
void ws_replay_abandon(struct ws_session *s);

#endif /* WS_REPLAY_H */
