/*
 * optimistic.h — transactions on replicas (optimistic_transactions, see
 * optimistic.c): the adaptive table of transaction shapes, and the move of an
 * optimistic transaction to the primary.
 *
 * Where each statement of a transaction runs is decided by ws_route_decide()
 * (decide.c); route.c carries the plan out and calls in here for the two
 * things a plan cannot do by itself: learn, and migrate.
 */
#ifndef WS_OPTIMISTIC_H
#define WS_OPTIMISTIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_session;

/* The error an optimistic transaction gets when it cannot move to the primary
 * (what it read there differs, or could not be verified): the deadlock error,
 * so that the application's retry logic runs the transaction again. */
#define WS_OPT_ER_CODE 1213 /* ER_LOCK_DEADLOCK */
#define WS_OPT_ER_STATE "40001"

/* ---- the adaptive table (process-wide, bounded, lock-free reads) ---- */

/* The slot of the shape of statement q (its normalized text: literals
 * replaced, blanks and case folded), claimed when new; -1 when the table is
 * full. */
int ws_opt_shape(const char *q, size_t len);

/* Have transactions of this shape been seen to write (most of them)? Then
 * optimistic_transactions = adaptive starts them on the primary. A shape not
 * seen yet is tried on a replica by one transaction at a time (the probe,
 * for up to PROBE_MS): the others start on the primary meanwhile, so that
 * threads starting the same new work at once pay one move, not one each. */
bool ws_opt_shape_writes(struct ws_session *s, int slot);

/* A transaction of shape slot (-1: none) began: on a replica, or on the
 * primary because its shape writes. */
void ws_opt_started(struct ws_session *s, int slot, bool on_primary);

/* The session's transaction ended (committed or rolled back, on a replica or
 * on the primary): what it did counts for its shape. */
void ws_opt_trx_end(struct ws_session *s);

/* After a statement on the primary: a write inside a tracked transaction, its
 * end, SET TRANSACTION READ WRITE used up. */
void ws_opt_after_primary_slow(struct ws_session *s);
static inline void ws_opt_after_primary(struct ws_session *s);

/* Every shape in the table, for the stats JSON. */
void ws_opt_foreach_shape(void (*fn)(void *arg, const char *shape, uint64_t seen, uint64_t wrote,
				     uint64_t migrations, uint64_t on_primary),
			  void *arg);
/* Migrations done and failed (process-wide). */
void ws_opt_counters(uint64_t *migrated, uint64_t *failed);

/* ---- migration ---- */

/*
 * Move the session's optimistic transaction to the primary: roll it back on
 * its replica, start it on the primary and run its statements there again,
 * each giving what the application saw (replay.c). 0: the primary holds the
 * transaction now, the statement that needed it may run. -1: it could not
 * (an outcome differed, or could not be verified): nothing is left open, the
 * session's error is WS_OPT_ER_CODE.
 */
int ws_opt_migrate(struct ws_session *s);

/* The replica holding an optimistic transaction is lost: drop it there. */
void ws_opt_replica_lost(struct ws_session *s);

#include "classify.h"
#include "session.h"

/* Would statement v have moved a transaction off its replica (it writes,
 * locks, or changes session state: anything but a read and the transaction's
 * own BEGIN / COMMIT / ROLLBACK / SET autocommit)? What a transaction on the
 * primary teaches the table. */
static inline bool ws_opt_writes(const struct ws_verdict *v)
{
	return !(v->flags & (WS_F_READ | WS_F_TRX_BEGIN | WS_F_TRX_END | WS_F_AUTOCOMMIT_OFF | WS_F_AUTOCOMMIT_ON |
			     WS_F_SET_TRANSACTION));
}

static inline void ws_opt_after_primary(struct ws_session *s)
{
	if (s->trx_shape >= 0 || s->rw_next)
		ws_opt_after_primary_slow(s);
}

#endif /* WS_OPTIMISTIC_H */
