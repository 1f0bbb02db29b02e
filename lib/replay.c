/*
 * replay.c — transaction_replay (docs/failover.md, the way MaxScale's readwritesplit
 * does it): a transaction interrupted by a failover is run again on the new
 * primary, and the application never hears of it, when everything it read
 * there is the same as what it saw.
 *
 * Recording. While a transaction is open on the primary (the server reports
 * SERVER_STATUS_IN_TRANS), each text statement the primary ran is kept with
 * what the application saw: for a result set, the number of columns and a
 * checksum over every row (lengths, bytes, NULLs), taken when the application
 * stores the result; otherwise affected rows, insert id and warning count; or
 * the error code. The record is dropped whenever the server says no
 * transaction is open, and by every statement that ends one (COMMIT,
 * ROLLBACK, BEGIN, an implicit commit, SET autocommit = 1), so a transaction
 * that the application ended with mysql_commit() is never run again.
 *
 * Replaying. After the handle was reconnected (failover.c), the session state
 * is already restored; the autocommit mode is set as it was, each recorded
 * statement runs again and its outcome is compared with the recorded one. All
 * equal: the interrupted statement runs again (route.c) and its result goes
 * to the application as if nothing had happened. Anything different: ROLLBACK,
 * and the application gets WESCALE_ER_TRX_LOST as without replay. A connection
 * error during the replay starts it again on the next primary, a bounded
 * number of times within failover_timeout_ms.
 *
 * Never a duplicated or lost write:
 *  - a statement that commits (COMMIT, an implicit commit, BEGIN inside a
 *    transaction, SET autocommit = 1) and was sent has an unknown outcome: it
 *    is never replayed (MaxScale's transaction_replay_safe_commit), the
 *    application gets WESCALE_ER_WRITE_UNKNOWN. Only one that could not be
 *    sent at all (the server had already closed the connection) is replayed
 *    with its transaction, then run;
 *  - an interrupted ROLLBACK rolled the transaction back either way: it runs
 *    again on the new primary, where it has nothing to undo;
 *  - what the record cannot reproduce makes the transaction not replayable:
 *    more text than transaction_replay_max_size; multi-statement texts,
 *    mysql_send_query, mysql_use_result, prepared statements, CALL, LOAD
 *    DATA, XA, SELECT … INTO; user variables, LAST_INSERT_ID() and other
 *    per-connection functions (their values from before the transaction are
 *    gone with the old connection); a session variable or database changed
 *    inside the transaction; LOCK TABLES; SET TRANSACTION before it.
 * Writes to non-transactional tables (MyISAM, Aria) inside a transaction are
 * committed at once and would be made twice: do not use replay with them.
 *
 * All of this runs in the thread that uses the handle; nothing is shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include <errmsg.h>

#include "classify.h"
#include "config.h"
#include "gtid.h"
#include "log.h"
#include "real.h"
#include "replay.h"
#include "primary.h"
#include "session.h"
#include "wescale.h"

/* Statements that end the open transaction (and may commit it). */
#define COMMITS (WS_F_TRX_BEGIN | WS_F_TRX_END | WS_F_IMPLICIT_COMMIT | WS_F_AUTOCOMMIT_ON | WS_F_UNLOCK_TABLES)
/* Statements whose effect a replay cannot reproduce. */
#define UNREPLAYABLE (WS_F_MULTI | WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_SELECT_INTO | WS_F_XA | \
		      WS_F_LOCK_TABLES | WS_F_PARSE_ERROR)

/* What the application saw from one statement. */
struct outcome {
	unsigned err;           /* 0: it succeeded */
	unsigned fields;        /* columns of its result set; 0: none */
	uint64_t sum;           /* checksum of the rows */
	uint64_t affected, insert_id;
	unsigned warnings;
};

struct entry {
	char *text;
	size_t len;
	bool awaiting;          /* a result set the application has not stored yet */
	struct outcome out;
	/* An optimistic transaction's prepared read: its parameters as sent
	 * (struct param, then the value's bytes, for each), and whether out
	 * holds its outcome on the replica's snapshot yet (ws_replay_opt_snapshot). */
	bool prepared, taken;
	unsigned n_params;
	unsigned char *params;
};

/* One recorded parameter of a prepared read (followed by len bytes). */
struct param {
	int type;               /* enum enum_field_types */
	bool is_null, is_unsigned;
	unsigned long len;
};

struct ws_replay {
	struct entry *e;
	size_t n, cap;
	size_t bytes;           /* text recorded, against transaction_replay_max_size */
	bool replayable;
	bool failover;          /* transaction_replay is on: record what the primary runs (without it
				   the record serves optimistic transactions only) */
	bool taint_next;        /* SET TRANSACTION: the next transaction is not replayable */
	bool stmt_pending;      /* a prepared read of the optimistic transaction was sent to its
				   replica and not recorded (ws_replay_opt_record_stmt) */
	bool has_prepared;      /* the record holds prepared reads */
	uint64_t state_gen, db_gen; /* the session state when the transaction began */

	/* The statement being run (between ws_replay_before and _after). */
	bool pending;
	const char *q;
	size_t len;
	uint32_t flags;
	enum ws_stmt_kind kind;
	unsigned status;        /* server status before it */
	uint64_t primary_gen;   /* the primary connection it was sent on */
};

/* Forget the recorded statements: a new transaction (or none) begins. */
static void reset(struct ws_session *s, struct ws_replay *rp)
{
	for (size_t i = 0; i < rp->n; i++) {
		free(rp->e[i].text);
		free(rp->e[i].params);
	}
	rp->n = 0;
	rp->bytes = 0;
	rp->replayable = true;
	rp->stmt_pending = false;
	rp->has_prepared = false;
	rp->state_gen = s->state_gen;
	rp->db_gen = s->db_gen;
}

void ws_replay_free(struct ws_replay *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->n; i++) {
		free(rp->e[i].text);
		free(rp->e[i].params);
	}
	free(rp->e);
	free(rp);
}

void ws_replay_attach(struct ws_session *s)
{
	ws_session_set_replay_free(ws_replay_free);
	if (!s->cluster || (!s->cluster->transaction_replay && s->cluster->optimistic_transactions == WS_OPT_TRX_OFF)) {
		ws_replay_free(s->replay);
		s->replay = NULL;
		return;
	}
	if (!s->replay) {
		s->replay = calloc(1, sizeof(*s->replay));
		if (!s->replay) {
			ws_log(WS_LOG_WARN, "out of memory: transaction_replay and optimistic_transactions are off "
			       "for this connection");
			return;
		}
		reset(s, s->replay);
	}
	s->replay->failover = s->cluster->transaction_replay;
}

/* ---- recording ---- */

/* FNV-1a, 64 bits: detects a changed row, not an adversary. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Checksum of a stored result; leaves its row cursor at the start. */
static uint64_t result_sum(MYSQL_RES *res, unsigned fields)
{
	const struct ws_real *R = ws_real();
	uint64_t h = fnv(UINT64_C(0xcbf29ce484222325), &fields, sizeof(fields));
	MYSQL_ROW row;

	ws_guard_enter();
	while ((row = R->mysql_fetch_row(res))) {
		unsigned long *lens = R->mysql_fetch_lengths(res);

		for (unsigned i = 0; i < fields; i++) {
			uint64_t len = row[i] ? (uint64_t)lens[i] : UINT64_MAX; /* NULL differs from "" */

			h = fnv(h, &len, sizeof(len));
			if (row[i])
				h = fnv(h, row[i], lens[i]);
		}
		h = fnv(h, "\n", 1);
	}
	R->mysql_data_seek(res, 0);
	ws_guard_leave();
	return h;
}

/* The outcome of the statement that just ran on m (r: its return value). A
 * result set's checksum is left to the caller. */
static void outcome_of(MYSQL *m, int r, struct outcome *o)
{
	const struct ws_real *R = ws_real();

	memset(o, 0, sizeof(*o));
	ws_guard_enter();
	if (r) {
		o->err = R->mysql_errno(m);
	} else if (!(o->fields = R->mysql_field_count(m))) {
		o->affected = R->mysql_affected_rows(m);
		o->insert_id = R->mysql_insert_id(m);
		o->warnings = R->mysql_warning_count(m);
	}
	ws_guard_leave();
}

static bool unreplayable(const struct ws_verdict *v)
{
	return (v->flags & UNREPLAYABLE) || v->kind == WS_STMT_CALL || v->kind == WS_STMT_LOAD ||
	       v->kind == WS_STMT_HANDLER || v->kind == WS_STMT_PREPARE;
}

void ws_replay_before(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len,
		      bool send_only)
{
	struct ws_replay *rp = s->replay;
	unsigned status;

	/* Without transaction_replay, or while the record holds an optimistic
	 * transaction (the primary runs nothing of it): nothing to record. */
	rp->pending = false;
	if (!rp->failover || (s->ro_trx >= 0 && s->opt_trx))
		return;
	status = ws_primary_server_status(s);
	if (!(status & SERVER_STATUS_IN_TRANS))
		reset(s, rp);
	if (rp->taint_next && !(v->flags & WS_F_SET_TRANSACTION)) {
		rp->taint_next = false;
		rp->replayable = false;
	}
	if (v->flags & WS_F_SET_TRANSACTION)
		rp->taint_next = true;
	/* The previous result set was not stored (mysql_use_result), or this
	 * statement is one a replay cannot reproduce. */
	if ((rp->n && rp->e[rp->n - 1].awaiting) || send_only || s->locked_tables || unreplayable(v))
		rp->replayable = false;
	rp->pending = !send_only;
	rp->q = q;
	rp->len = len;
	rp->flags = v->flags;
	rp->kind = v->kind;
	rp->status = status;
	rp->primary_gen = s->primary_gen;
}

/* Record the statement rp->q that connection m ran (r: its return value). */
static void record_on(struct ws_session *s, struct ws_replay *rp, MYSQL *m, int r)
{
	struct entry *e;

	if (rp->bytes + rp->len > s->cluster->transaction_replay_max_size) {
		ws_log(WS_LOG_INFO, "transaction over transaction_replay_max_size (%u bytes): not replayable",
		       s->cluster->transaction_replay_max_size);
		goto fail;
	}
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 16;
		struct entry *ne = realloc(rp->e, cap * sizeof(*ne));

		if (!ne)
			goto fail;
		rp->e = ne;
		rp->cap = cap;
	}
	e = &rp->e[rp->n];
	e->text = malloc(rp->len ? rp->len : 1);
	if (!e->text)
		goto fail;
	e->prepared = e->taken = false;
	e->n_params = 0;
	e->params = NULL;
	memcpy(e->text, rp->q, rp->len);
	e->len = rp->len;
	if (m)
		outcome_of(m, r, &e->out);
	else
		memset(&e->out, 0, sizeof(e->out)); /* a statement that answers a plain OK */
	e->awaiting = e->out.fields != 0;
	rp->n++;
	rp->bytes += rp->len;
	return;
fail:
	reset(s, rp);
	rp->replayable = false;
}

void ws_replay_after(struct ws_session *s, int r)
{
	struct ws_replay *rp = s->replay;
	const struct ws_real *R = ws_real();
	unsigned status, e = 0;

	if (!rp->pending)
		return;
	rp->pending = false;
	if (r) {
		ws_guard_enter();
		e = R->mysql_errno(s->mysql);
		ws_guard_leave();
	}
	if (e && ws_is_connection_error(e)) {
		/* Lost again after a failover: this transaction is gone. */
		rp->replayable = false;
		return;
	}
	if (e == 1213 /* ER_LOCK_DEADLOCK */ || (rp->flags & COMMITS))
		reset(s, rp); /* the transaction ended (a new one may begin with this statement) */
	if (e == 1205 /* ER_LOCK_WAIT_TIMEOUT: the transaction may have been rolled back */)
		rp->replayable = false;
	status = ws_primary_server_status(s);
	if (!(status & SERVER_STATUS_IN_TRANS)) {
		reset(s, rp);
		return;
	}
	if (rp->replayable)
		record_on(s, rp, s->mysql, r);
}

void ws_replay_result(struct ws_session *s, MYSQL_RES *res)
{
	struct ws_replay *rp = s->replay;
	struct entry *e = rp->n ? &rp->e[rp->n - 1] : NULL;

	if (!e || !e->awaiting || (!rp->failover && !(s->ro_trx >= 0 && s->opt_trx)))
		return;
	e->awaiting = false;
	if (!res) {
		rp->replayable = false; /* the rows never arrived: nothing to compare */
		return;
	}
	e->out.sum = result_sum(res, e->out.fields);
}

void ws_replay_state_rebased(struct ws_session *s, uint64_t old_state_gen, uint64_t old_db_gen)
{
	struct ws_replay *rp = s->replay;

	if (rp && rp->state_gen == old_state_gen && rp->db_gen == old_db_gen) {
		rp->state_gen = s->state_gen;
		rp->db_gen = s->db_gen;
	}
}

void ws_replay_untracked(struct ws_session *s)
{
	s->replay->replayable = false;
	s->replay->pending = false;
}

bool ws_replay_check_first(const struct ws_session *s, const struct ws_verdict *v)
{
	return s->replay && s->replay->failover && (v->flags & COMMITS);
}

/* ---- optimistic transactions (optimistic.c) ---- */

static int replay_once(struct ws_session *s, struct ws_replay *rp, char *why, size_t why_size);

void ws_replay_opt_begin(struct ws_session *s, const char *begin, size_t len)
{
	struct ws_replay *rp = s->replay;

	reset(s, rp);
	rp->pending = false;
	rp->q = begin;
	rp->len = len;
	record_on(s, rp, NULL, 0);
}

/* Does the text name the word FROM anywhere (strings and comments included:
 * erring towards yes)? A read without it reads no table. */
static bool says_from(const char *q, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (strncasecmp(q + i, "FROM", 4) == 0 && (i == 0 || !isalnum((unsigned char)q[i - 1])) &&
		    (i + 4 == len || !(isalnum((unsigned char)q[i + 4]) || q[i + 4] == '_')))
			return true;
	return false;
}

void ws_replay_opt_record(struct ws_session *s, MYSQL *m, const struct ws_verdict *v, const char *q, size_t len,
			  bool send_only, int r)
{
	struct ws_replay *rp = s->replay;

	/* A read of no table (SELECT @@server_id, NOW(), 1) depends on no data
	 * the transaction could see differently: nothing to verify. */
	if ((v->flags & WS_F_READ) && !(v->flags & WS_F_MULTI) && v->kind == WS_STMT_SELECT && !send_only &&
	    !(rp->n && rp->e[rp->n - 1].awaiting) && !says_from(q, len))
		return;
	if ((rp->n && rp->e[rp->n - 1].awaiting) || send_only || unreplayable(v))
		rp->replayable = false;
	if (!rp->replayable)
		return;
	rp->q = q;
	rp->len = len;
	record_on(s, rp, m, r);
}

void ws_replay_opt_unverifiable(struct ws_session *s)
{
	s->replay->replayable = false;
}

void ws_replay_opt_stmt_pending(struct ws_session *s)
{
	s->replay->stmt_pending = true;
}

void ws_replay_opt_stmt_not_run(struct ws_session *s)
{
	s->replay->stmt_pending = false;
}

/* Bytes of a fixed-size parameter type; -1 for a type sent with its length;
 * -2 for one this record does not know (not verifiable). */
static long param_size(enum enum_field_types t)
{
	switch (t) {
	case MYSQL_TYPE_NULL:
		return 0;
	case MYSQL_TYPE_TINY:
		return 1;
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_YEAR:
		return 2;
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_FLOAT:
		return 4;
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_DOUBLE:
		return 8;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
		return (long)sizeof(MYSQL_TIME);
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_GEOMETRY:
	case MYSQL_TYPE_JSON:
		return -1;
	default:
		return -2;
	}
}

/* The bytes of parameter b that the client library sends: *length, or
 * buffer_length without a length pointer (mysql_stmt_bind_param points it
 * there); (unsigned long)-1: a NUL-terminated string. */
static unsigned long param_len(const MYSQL_BIND *b, long size)
{
	unsigned long len;

	if (size >= 0)
		return (unsigned long)size;
	len = b->length ? *b->length : b->buffer_length;
	if (len == (unsigned long)-1)
		len = b->buffer ? strlen(b->buffer) : 0;
	return len;
}

/* Does the client library send parameter b as NULL? */
static bool param_null(const MYSQL_BIND *b)
{
	return b->buffer_type == MYSQL_TYPE_NULL || (b->is_null && *b->is_null);
}

void ws_replay_opt_record_stmt(struct ws_session *s, const struct ws_verdict *v, const char *q, size_t len,
			       const MYSQL_BIND *params, unsigned n_params)
{
	struct ws_replay *rp = s->replay;
	size_t bytes = 0, o = 0;
	unsigned char *buf;
	struct entry *e;

	if (!rp->stmt_pending)
		return;
	rp->stmt_pending = false;
	/* As for a text read: one of no table needs nothing verified. */
	if ((v->flags & WS_F_READ) && v->kind == WS_STMT_SELECT && !says_from(q, len))
		return;
	if ((rp->n && rp->e[rp->n - 1].awaiting) || !(v->flags & WS_F_READ) || unreplayable(v))
		rp->replayable = false;
	if (!rp->replayable)
		return;
	for (unsigned i = 0; i < n_params; i++) {
		const MYSQL_BIND *b = &params[i];
		long size = param_size(b->buffer_type);
		unsigned long pl = size == -2 ? 0 : param_len(b, size);

		/* Values larger, in all, than the record may hold are not kept. */
		if (size == -2 || (!b->buffer && !param_null(b) && pl) || pl > s->cluster->transaction_replay_max_size ||
		    bytes + pl > s->cluster->transaction_replay_max_size) {
			rp->replayable = false;
			return;
		}
		bytes += sizeof(struct param) + pl;
	}
	buf = malloc(bytes ? bytes : 1);
	if (!buf) {
		rp->replayable = false;
		return;
	}
	for (unsigned i = 0; i < n_params; i++) {
		const MYSQL_BIND *b = &params[i];
		long size = param_size(b->buffer_type);
		struct param p = { .type = (int)b->buffer_type,
				   .is_null = param_null(b),
				   .is_unsigned = b->is_unsigned,
				   .len = param_len(b, size) };

		memcpy(buf + o, &p, sizeof(p));
		o += sizeof(p);
		if (p.len && b->buffer)
			memcpy(buf + o, b->buffer, p.len);
		else if (p.len)
			memset(buf + o, 0, p.len);
		o += p.len;
	}
	rp->q = q;
	rp->len = len;
	record_on(s, rp, NULL, 0);
	if (!rp->replayable || !rp->n) {
		free(buf);
		return;
	}
	e = &rp->e[rp->n - 1];
	e->prepared = true;
	e->awaiting = false;
	e->n_params = n_params;
	e->params = buf;
	rp->has_prepared = true;
}

/* The outcome of prepared entry e run on connection m by a statement of our
 * own (the application's statements and bindings are left alone): 0, -1 when
 * the connection failed. Rows are read as text, each column whole. */
static int stmt_outcome(MYSQL *m, const struct entry *e, struct outcome *o)
{
	const struct ws_real *R = ws_real();
	MYSQL_BIND *pb = NULL, *rb = NULL;
	unsigned long *plen = NULL, *rlen = NULL;
	my_bool *pnull = NULL, *rnull = NULL, *rerr = NULL;
	char (*cell)[64] = NULL;
	uint64_t h;
	MYSQL_STMT *st;
	unsigned fields = 0;
	int r, ret = 0;

	memset(o, 0, sizeof(*o));
	ws_guard_enter();
	st = R->mysql_stmt_init(m);
	ws_guard_leave();
	if (!st) {
		o->err = CR_OUT_OF_MEMORY;
		return 0;
	}
	if (e->n_params) {
		const unsigned char *p = e->params;

		pb = calloc(e->n_params, sizeof(*pb));
		plen = calloc(e->n_params, sizeof(*plen));
		pnull = calloc(e->n_params, sizeof(*pnull));
		if (!pb || !plen || !pnull) {
			o->err = CR_OUT_OF_MEMORY;
			goto out;
		}
		for (unsigned i = 0; i < e->n_params; i++) {
			struct param x;

			memcpy(&x, p, sizeof(x));
			p += sizeof(x);
			plen[i] = x.len;
			pnull[i] = x.is_null;
			pb[i].buffer_type = (enum enum_field_types)x.type;
			pb[i].buffer = (void *)p;
			pb[i].buffer_length = x.len;
			pb[i].length = &plen[i];
			pb[i].is_null = &pnull[i];
			pb[i].is_unsigned = x.is_unsigned;
			p += x.len;
		}
	}
	ws_guard_enter();
	r = R->mysql_stmt_prepare(st, e->text, e->len);
	if (!r && e->n_params)
		r = R->mysql_stmt_bind_param(st, pb);
	if (!r)
		r = R->mysql_stmt_execute(st);
	if (!r)
		fields = R->mysql_stmt_field_count(st);
	if (!r && fields) {
		rb = calloc(fields, sizeof(*rb));
		rlen = calloc(fields, sizeof(*rlen));
		rnull = calloc(fields, sizeof(*rnull));
		rerr = calloc(fields, sizeof(*rerr));
		cell = calloc(fields, sizeof(*cell));
		if (!rb || !rlen || !rnull || !rerr || !cell) {
			ws_guard_leave();
			o->err = CR_OUT_OF_MEMORY;
			goto out;
		}
		for (unsigned i = 0; i < fields; i++) {
			rb[i].buffer_type = MYSQL_TYPE_STRING;
			rb[i].buffer = cell[i];
			rb[i].buffer_length = sizeof(cell[i]);
			rb[i].length = &rlen[i];
			rb[i].is_null = &rnull[i];
			rb[i].error = &rerr[i];
		}
		r = R->mysql_stmt_bind_result(st, rb);
		o->fields = fields;
		h = fnv(UINT64_C(0xcbf29ce484222325), &fields, sizeof(fields));
		while (!r) {
			int f = R->mysql_stmt_fetch(st);

			if (f == MYSQL_NO_DATA)
				break;
			if (f == 1) {
				r = 1;
				break;
			}
			for (unsigned i = 0; i < fields; i++) {
				uint64_t len = rnull[i] ? UINT64_MAX : (uint64_t)rlen[i];

				h = fnv(h, &len, sizeof(len));
				if (rnull[i])
					continue;
				if (rlen[i] <= sizeof(cell[i])) {
					h = fnv(h, cell[i], rlen[i]);
				} else {
					/* Longer than the cell: the whole column. */
					MYSQL_BIND whole = { .buffer_type = MYSQL_TYPE_STRING };
					unsigned long got = 0;
					char *big = malloc(rlen[i]);

					if (!big) {
						r = 1;
						break;
					}
					whole.buffer = big;
					whole.buffer_length = rlen[i];
					whole.length = &got;
					if (R->mysql_stmt_fetch_column(st, &whole, i, 0) || got != rlen[i])
						r = 1;
					else
						h = fnv(h, big, rlen[i]);
					free(big);
				}
			}
			h = fnv(h, "\n", 1);
		}
		o->sum = h;
	} else if (!r) {
		o->affected = R->mysql_stmt_affected_rows(st);
		o->insert_id = R->mysql_stmt_insert_id(st);
		o->warnings = R->mysql_warning_count(m);
	}
	if (r) {
		memset(o, 0, sizeof(*o));
		o->err = R->mysql_stmt_errno(st);
		if (!o->err)
			o->err = CR_UNKNOWN_ERROR;
		if (ws_is_connection_error(o->err))
			ret = -1;
	}
	ws_guard_leave();
out:
	ws_guard_enter();
	R->mysql_stmt_close(st);
	ws_guard_leave();
	free(pb);
	free(plen);
	free(pnull);
	free(rb);
	free(rlen);
	free(rnull);
	free(rerr);
	free(cell);
	return ret;
}

/* Is the transaction open on replica connection m one whose reads all come
 * from one snapshot (REPEATABLE READ or SERIALIZABLE, InnoDB's consistent
 * read), so that a read run again there gives what the application saw? */
static bool snapshot_reads(struct ws_session *s, MYSQL *m)
{
	const struct ws_real *R = ws_real();
	const char *sql = ck_pr_load_int(&ws_topology_cluster(s->cluster)->flavor) == WS_GTID_MYSQL
				  ? "SELECT @@transaction_isolation"
				  : "SELECT @@tx_isolation";
	unsigned status = 0;
	bool ok = false;
	MYSQL_RES *res;
	MYSQL_ROW row;

	ws_guard_enter();
	if (R->mariadb_get_infov && !R->mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_STATUS, &status) &&
	    (status & SERVER_STATUS_IN_TRANS) && !R->mysql_real_query(m, sql, strlen(sql)) &&
	    (res = R->mysql_store_result(m))) {
		row = R->mysql_fetch_row(res);
		ok = row && row[0] && (strcmp(row[0], "REPEATABLE-READ") == 0 || strcmp(row[0], "SERIALIZABLE") == 0);
		R->mysql_free_result(res);
	}
	ws_guard_leave();
	return ok;
}

void ws_replay_opt_snapshot(struct ws_session *s, MYSQL *m)
{
	struct ws_replay *rp = s->replay;

	if (!rp->has_prepared || !rp->replayable || rp->stmt_pending)
		return;
	if (!m || !snapshot_reads(s, m)) {
		rp->replayable = false;
		return;
	}
	for (size_t i = 0; i < rp->n; i++) {
		struct entry *e = &rp->e[i];

		if (!e->prepared)
			continue;
		if (stmt_outcome(m, e, &e->out) < 0) {
			rp->replayable = false;
			return;
		}
		e->taken = true;
	}
}

int ws_replay_opt_verify(struct ws_session *s, char *why, size_t why_size)
{
	struct ws_replay *rp = s->replay;
	int r;

	bool untaken = false;

	for (size_t i = 0; i < rp->n; i++)
		untaken |= rp->e[i].prepared && !rp->e[i].taken;
	if (!rp->replayable || rp->stmt_pending || untaken || (rp->n && rp->e[rp->n - 1].awaiting)) {
		snprintf(why, why_size, "%s", rp->n && rp->e[rp->n - 1].awaiting
						   ? "a result set was read with mysql_use_result"
						   : "it ran a statement whose outcome cannot be verified (mysql_send_query, "
						     "a multi-statement text, more than transaction_replay_max_size, a "
						     "prepared statement that could not be read again on the replica's "
						     "snapshot)");
		reset(s, rp);
		return 1;
	}
	why[0] = '\0';
	r = replay_once(s, rp, why, why_size);
	/* With transaction_replay on, the record goes on as the primary
	 * transaction's; without, it is done. */
	if (r != 0 || !rp->failover)
		reset(s, rp);
	return r;
}

/* ---- replaying ---- */

/* Run the statement of entry e again on the primary: 0 same outcome, 1
 * different, -1 the connection failed. */
static int rerun(struct ws_session *s, const struct entry *e, char *why, size_t why_size)
{
	const struct ws_real *R = ws_real();
	struct outcome o;
	MYSQL_RES *res = NULL;
	int r = 0;

	if (e->prepared) {
		if (stmt_outcome(s->mysql, e, &o) < 0)
			return -1;
	} else {
		ws_guard_enter();
		r = R->mysql_real_query(s->mysql, e->text, e->len);
		ws_guard_leave();
		outcome_of(s->mysql, r, &o);
		if (r && ws_is_connection_error(o.err))
			return -1;
	}
	if (!r && o.fields && !e->prepared) {
		ws_guard_enter();
		res = R->mysql_store_result(s->mysql);
		if (!res)
			o.err = R->mysql_errno(s->mysql);
		ws_guard_leave();
		if (!res && ws_is_connection_error(o.err))
			return -1;
		if (res) {
			o.sum = result_sum(res, o.fields);
			ws_guard_enter();
			R->mysql_free_result(res);
			ws_guard_leave();
		}
	}
	if (o.err != e->out.err || o.fields != e->out.fields || o.sum != e->out.sum ||
	    o.affected != e->out.affected || o.insert_id != e->out.insert_id || o.warnings != e->out.warnings) {
		snprintf(why, why_size, "error %u/%u, columns %u/%u, rows %s, affected %llu/%llu, insert id %llu/%llu",
			 e->out.err, o.err, e->out.fields, o.fields, e->out.sum == o.sum ? "same" : "differ",
			 (unsigned long long)e->out.affected, (unsigned long long)o.affected,
			 (unsigned long long)e->out.insert_id, (unsigned long long)o.insert_id);
		return 1;
	}
	return 0;
}

/* The transaction again, on the handle's (new) primary: 0 all the same, 1 a
 * difference (rolled back; why says which), -1 the connection failed. */
static int replay_once(struct ws_session *s, struct ws_replay *rp, char *why, size_t why_size)
{
	for (size_t i = 0; i < rp->n; i++) {
		int r = rerun(s, &rp->e[i], why, why_size);

		if (r < 0)
			return -1;
		if (r > 0) {
			size_t n = strlen(why);

			snprintf(why + n, why_size - n, " at statement %zu of %zu", i + 1, rp->n);
			ws_primary_exec(s, "ROLLBACK");
			return 1;
		}
	}
	return 0;
}

/* Give the new connection the autocommit mode the interrupted statement ran
 * in (the reconnect restores session variables, but not this one). */
static unsigned restore_autocommit(struct ws_session *s, const struct ws_replay *rp)
{
	return rp->status & SERVER_STATUS_AUTOCOMMIT ? 0 : ws_primary_exec(s, "SET autocommit = 0");
}

int ws_replay_start(struct ws_session *s, unsigned e)
{
	struct ws_replay *rp = s->replay;
	bool pending = rp->pending;

	rp->pending = false;
	/* Not a statement of ours (a prepared one), or the old connection is
	 * still there (the transaction may be open on it): no replay. */
	if (!pending || s->primary_gen == rp->primary_gen) {
		reset(s, rp);
		return 1;
	}
	if ((rp->flags & COMMITS) && rp->kind == WS_STMT_ROLLBACK && !(rp->flags & WS_F_MULTI)) {
		/* Rolled back by the ROLLBACK or by the lost connection: the same.
		 * Run it again where there is nothing to roll back. */
		reset(s, rp);
		restore_autocommit(s, rp);
		rp->pending = true;
		return 0;
	}
	if ((rp->flags & COMMITS) && e != CR_SERVER_GONE_ERROR) {
		reset(s, rp);
		restore_autocommit(s, rp);
		ws_session_set_error(s, WESCALE_ER_WRITE_UNKNOWN, "HY000",
				     "wescale: primary failed during a statement that commits the transaction; "
				     "outcome unknown (error %u); it was not replayed; the connection is now on the "
				     "new primary",
				     e);
		return -1;
	}
	if (!rp->replayable || s->state_gen != rp->state_gen || s->db_gen != rp->db_gen) {
		ws_log(WS_LOG_INFO, "transaction replay: this transaction cannot be replayed");
		reset(s, rp);
		restore_autocommit(s, rp);
		return 1;
	}
	return 2;
}

int ws_replay_attempt(struct ws_session *s)
{
	struct ws_replay *rp = s->replay;
	unsigned ae = restore_autocommit(s, rp);
	char why[200] = "its autocommit mode could not be restored";
	int r = ae ? (ws_is_connection_error(ae) ? -1 : 1) : replay_once(s, rp, why, sizeof(why));

	if (r > 0) {
		ws_log(WS_LOG_WARN, "transaction replay: the new primary did not do the same (%s): rolled back", why);
		reset(s, rp);
		return 1;
	}
	if (r == 0) {
		ws_log(WS_LOG_WARN, "failover: transaction of %zu statements replayed on the new primary", rp->n);
		rp->pending = true; /* route.c runs it again and records it */
	}
	return r;
}

void ws_replay_abandon(struct ws_session *s)
{
	if (s->replay)
		reset(s, s->replay);
}
