/*
 * optimistic.c — transactions on replicas (optimistic_transactions = on |
 * adaptive; docs/failover.md, wescale(7) "Transactions on replicas").
 *
 * A transaction — BEGIN / START TRANSACTION, or the implicit one of an
 * autocommit-off session — starts on a replica that satisfies the consistency
 * level, as a read would. While it only reads it stays there, and COMMIT or
 * ROLLBACK ends it there. Its statements are recorded with what the
 * application saw (replay.c: the same record transaction_replay uses). At its
 * first statement a replica cannot run, the transaction moves: ROLLBACK on the
 * replica, the recorded statements again on the primary — each must give what
 * the application already saw (rows checksum, affected rows, insert id,
 * warnings) — then the statement. A difference means the data the transaction
 * read changed in between: the transaction is rolled back and the application
 * gets ER_LOCK_DEADLOCK (1213, SQLSTATE 40001), the error it already retries.
 * Nothing was committed: the replica ran reads only, the primary rolled back.
 * Prepared reads, whose rows the application fetches into its own buffers,
 * are recorded with their parameter values and run again on both sides at
 * the move (on the replica inside its transaction: the same snapshot, the
 * same rows the application saw; replay.c).
 *
 * The adaptive table learns, per shape of a transaction's first statement
 * (its text with literals replaced, blanks and case folded), how often such
 * transactions end up writing; with optimistic_transactions = adaptive, shapes
 * that mostly write start on the primary and pay no migration. The table is
 * process-wide, of fixed size (SHAPES), written with atomic operations and
 * read without locks; its counters are approximate under concurrency, which
 * only moves a decision by a transaction or two.
 */
#include <stdio.h>
#include <string.h>

#include <ck_pr.h>

#include "log.h"
#include "optimistic.h"
#include "real.h"
#include "replay.h"
#include "decide.h"
#include "primary.h"
#include "session.h"

#define SHAPES 512         /* slots of the table */
#define PROBES 16          /* slots tried for one shape */
#define SHAPE_TEXT 96      /* bytes of normalized text kept for the stats */
#define DECAY_AT 1024      /* counters are halved when seen reaches this: recent behaviour counts */
#define PROBE_MS 1000      /* a new shape's probe transaction holds its turn this long at most */

struct shape {
	uint64_t key;      /* hash of the normalized text; 0: free */
	int ready;         /* text is written */
	uint64_t seen;     /* transactions of this shape counted */
	uint64_t wrote;    /* of them, ones that wrote (moved to the primary, or wrote there) */
	uint64_t migrations, on_primary;
	uint64_t probe_ms;  /* while seen is 0: when a transaction began trying it on a replica */
	char text[SHAPE_TEXT];
};

static struct shape shapes[SHAPES];
static uint64_t migrated, migrate_failed;

/* ---- shapes ---- */

/* Normalize q into out (at most cap - 1 bytes shown) and hash all of it:
 * comments dropped, quoted strings and numbers replaced by '?', runs of blanks
 * by one space, letters upper-cased. */
static uint64_t normalize(const char *q, size_t len, char *out, size_t cap)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t o = 0;
	bool space = false;

#define EMIT(c)                                                   \
	do {                                                      \
		char c_ = (c);                                    \
		h = (h ^ (unsigned char)c_) * UINT64_C(0x100000001b3); \
		if (o + 1 < cap)                                  \
			out[o++] = c_;                            \
	} while (0)

	for (size_t i = 0; i < len;) {
		char c = q[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = true;
			i++;
			continue;
		}
		if (c == '/' && i + 1 < len && q[i + 1] == '*') {
			const char *e = NULL;

			for (size_t j = i + 2; j + 1 < len; j++)
				if (q[j] == '*' && q[j + 1] == '/') {
					e = q + j + 2;
					break;
				}
			i = e ? (size_t)(e - q) : len;
			space = true;
			continue;
		}
		if (c == '#' || (c == '-' && i + 2 < len && q[i + 1] == '-' && (q[i + 2] == ' ' || q[i + 2] == '\t'))) {
			while (i < len && q[i] != '\n')
				i++;
			space = true;
			continue;
		}
		if (space && o) /* not at the start */
			EMIT(' ');
		space = false;
		if (c == '\'' || c == '"') {
			for (i++; i < len && q[i] != c; i++)
				if (q[i] == '\\')
					i++;
			i++;
			EMIT('?');
			continue;
		}
		if (c >= '0' && c <= '9' &&
		    !(i && (q[i - 1] == '_' || ((q[i - 1] | 0x20) >= 'a' && (q[i - 1] | 0x20) <= 'z')))) {
			while (i < len && ((q[i] >= '0' && q[i] <= '9') || q[i] == '.' || (q[i] | 0x20) == 'x' ||
					   (q[i] | 0x20) == 'e' || ((q[i] | 0x20) >= 'a' && (q[i] | 0x20) <= 'f')))
				i++;
			EMIT('?');
			continue;
		}
		if (c == '`') {
			EMIT(c);
			for (i++; i < len && q[i] != '`'; i++)
				EMIT(q[i]);
			EMIT('`');
			i++;
			continue;
		}
		if (c == ';')
			break;
		EMIT(c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
		i++;
	}
#undef EMIT
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
	return h ? h : 1;
}

int ws_opt_shape(const char *q, size_t len)
{
	char text[SHAPE_TEXT];
	uint64_t key = normalize(q, len, text, sizeof(text));

	for (unsigned p = 0; p < PROBES; p++) {
		struct shape *sh = &shapes[(key + p) % SHAPES];
		uint64_t k = ck_pr_load_64(&sh->key);

		if (k == key)
			return (int)((key + p) % SHAPES);
		if (k == 0 && ck_pr_cas_64(&sh->key, 0, key)) {
			memcpy(sh->text, text, sizeof(text));
			ck_pr_fence_store();
			ck_pr_store_int(&sh->ready, 1);
			return (int)((key + p) % SHAPES);
		}
		if (k == 0 && ck_pr_load_64(&sh->key) == key)
			return (int)((key + p) % SHAPES);
	}
	return -1;
}

bool ws_opt_shape_writes(struct ws_session *s, int slot)
{
	uint64_t seen, wrote;

	if (slot < 0)
		return false;
	seen = ck_pr_load_64(&shapes[slot].seen);
	wrote = ck_pr_load_64(&shapes[slot].wrote);
	if (seen == 0) {
		/* New: this transaction probes, unless another one does. */
		uint64_t now = ws_now_ms(), at = ck_pr_load_64(&shapes[slot].probe_ms);

		if (s->probe_shape == slot && at && now - at < PROBE_MS)
			return false; /* this handle's probe, asked again */
		if ((at && now - at < PROBE_MS) || !ck_pr_cas_64(&shapes[slot].probe_ms, at, now))
			return true;
		s->probe_shape = slot;
		return false;
	}
	return wrote * 2 >= seen;
}

/* Count one transaction of shape slot. */
static void count(int slot, bool wrote)
{
	struct shape *sh;

	if (slot < 0)
		return;
	sh = &shapes[slot];
	if (wrote)
		ck_pr_inc_64(&sh->wrote);
	if (ck_pr_faa_64(&sh->seen, 1) + 1 >= DECAY_AT) {
		ck_pr_store_64(&sh->seen, ck_pr_load_64(&sh->seen) / 2);
		ck_pr_store_64(&sh->wrote, ck_pr_load_64(&sh->wrote) / 2);
	}
}

void ws_opt_started(struct ws_session *s, int slot, bool on_primary)
{
	s->trx_shape = slot;
	s->trx_wrote = false;
	if (slot >= 0 && on_primary)
		ck_pr_inc_64(&shapes[slot].on_primary);
}

void ws_opt_trx_end(struct ws_session *s)
{
	count(s->trx_shape, s->trx_wrote);
	s->trx_shape = -1;
	s->trx_wrote = false;
}

void ws_opt_after_primary_slow(struct ws_session *s)
{
	unsigned status = ws_primary_server_status(s);

	if (s->rw_next && (status & SERVER_STATUS_IN_TRANS))
		s->rw_next = false; /* SET TRANSACTION READ WRITE: used by this transaction */
	if (s->trx_shape >= 0 && !(s->ro_trx >= 0 && s->opt_trx) && !(status & SERVER_STATUS_IN_TRANS))
		ws_opt_trx_end(s);
}

void ws_opt_foreach_shape(void (*fn)(void *arg, const char *shape, uint64_t seen, uint64_t wrote,
				     uint64_t migrations, uint64_t on_primary),
			  void *arg)
{
	for (size_t i = 0; i < SHAPES; i++) {
		struct shape *sh = &shapes[i];

		if (!ck_pr_load_int(&sh->ready))
			continue;
		ck_pr_fence_load();
		fn(arg, sh->text, ck_pr_load_64(&sh->seen), ck_pr_load_64(&sh->wrote),
		   ck_pr_load_64(&sh->migrations), ck_pr_load_64(&sh->on_primary));
	}
}

void ws_opt_counters(uint64_t *ok, uint64_t *failed)
{
	*ok = ck_pr_load_64(&migrated);
	*failed = ck_pr_load_64(&migrate_failed);
}

/* ---- migration ---- */

/* Forget the transaction held on the replica (its connection is gone, or it
 * was rolled back there). */
static void drop_replica_trx(struct ws_session *s)
{
	s->ro_trx = -1;
	s->opt_trx = false;
}

void ws_opt_replica_lost(struct ws_session *s)
{
	if (s->ro_trx >= 0)
		ws_session_replica_failed(s, (size_t)s->ro_trx);
	drop_replica_trx(s);
}

int ws_opt_migrate(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	char why[240];
	int idx = s->ro_trx, r;

	if (idx >= 0 && s->replicas[idx].mysql && s->replicas[idx].conn_gen == s->opt_conn_gen) {
		MYSQL *m = s->replicas[idx].mysql;

		/* Prepared reads: what they returned, from the snapshot still open. */
		ws_replay_opt_snapshot(s, m);
		ws_guard_enter();
		r = R->mysql_real_query(m, "ROLLBACK", 8);
		ws_guard_leave();
		if (r)
			ws_session_replica_failed(s, (size_t)idx);
	}
	drop_replica_trx(s);
	ws_session_use_primary(s);
	if (s->trx_shape >= 0)
		ck_pr_inc_64(&shapes[s->trx_shape].migrations);
	s->trx_wrote = true;
	r = ws_replay_opt_verify(s, why, sizeof(why));
	if (r == 0) {
		ck_pr_inc_64(&migrated);
		ws_log(WS_LOG_DEBUG, "optimistic transaction moved to the primary, every outcome verified");
		return 0;
	}
	ck_pr_inc_64(&migrate_failed);
	/* The transaction is over: count it now (the primary holds nothing). Its
	 * retry starts on the primary, as after SET TRANSACTION READ WRITE: a
	 * transaction that cannot move (use_result, send_query) never fails twice. */
	ws_opt_trx_end(s);
	s->rw_next = true;
	if (r < 0)
		snprintf(why, sizeof(why), "the primary connection failed while it moved there");
	ws_log(WS_LOG_INFO, "optimistic transaction could not move to the primary: %s; rolled back (1213)", why);
	ws_session_set_error(s, WS_OPT_ER_CODE, WS_OPT_ER_STATE,
			     "Deadlock found when trying to get lock; try restarting transaction (wescale: the "
			     "transaction began on a replica and could not move to the primary: %s; it was rolled "
			     "back, nothing was committed)",
			     why);
	return -1;
}
