/*
 * decide.c — the routing decision (see decide.h): facts in, plan out.
 *
 * The order of the checks below is the order of the README's "What goes
 * where": what the statement is first (a write stays on the primary whatever
 * else holds), then what the session is in (transaction, LOCK TABLES,
 * temporary tables, lost state), then what the configuration allows.
 */
#include <string.h>
#include <strings.h>

#include "config.h"
#include "decide.h"
#include "wescale.h"

/* Flags that keep a statement on the primary even when a replica is asked
 * for: each makes it a write, or ties it to the primary's session. */
#define PRIMARY_BOUND                                                                                   \
	(WS_F_LOCKING_READ | WS_F_SELECT_INTO | WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_SESSION_STATE |   \
	 WS_F_TRX_BEGIN | WS_F_TRX_END | WS_F_IMPLICIT_COMMIT | WS_F_AUTOCOMMIT_OFF | WS_F_AUTOCOMMIT_ON | \
	 WS_F_LOCK_TABLES | WS_F_UNLOCK_TABLES | WS_F_TEMP_CREATE | WS_F_TEMP_DROP | WS_F_CALC_FOUND_ROWS | \
	 WS_F_SET_GLOBAL | WS_F_SET_TRANSACTION | WS_F_EXECUTES | WS_F_PARSE_ERROR | WS_F_USE_DB | WS_F_XA)

/* Inside a READ ONLY transaction these go to the primary rather than the
 * transaction's replica: their effect or answer lives in the primary's session
 * (user variables, LAST_INSERT_ID, GET_LOCK, temporary tables, session state
 * that mysql_real_escape_string and later statements must see). */
#define SESSION_BOUND                                                                       \
	(WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_SESSION_STATE | WS_F_SET_GLOBAL | WS_F_USE_DB | \
	 WS_F_TEMP_CREATE | WS_F_TEMP_DROP | WS_F_LOCK_TABLES | WS_F_UNLOCK_TABLES |            \
	 WS_F_AUTOCOMMIT_OFF | WS_F_AUTOCOMMIT_ON | WS_F_SET_TRANSACTION | WS_F_XA)

/* The reason a statement that is not a read stays on the primary. */
static enum ws_reason statement_reason(const struct ws_verdict *v)
{
	uint32_t f = v->flags;

	if (f & (WS_F_LOCKING_READ | WS_F_SELECT_INTO))
		return WS_WHY_LOCKING_READ;
	if (f & WS_F_USER_VAR)
		return WS_WHY_USER_VAR;
	if (f & (WS_F_PRIMARY_FUNC | WS_F_CALC_FOUND_ROWS))
		return WS_WHY_PRIMARY_FUNC;
	if (f & (WS_F_TRX_BEGIN | WS_F_TRX_END | WS_F_AUTOCOMMIT_OFF | WS_F_AUTOCOMMIT_ON | WS_F_XA |
		 WS_F_SET_TRANSACTION))
		return WS_WHY_TRX_CONTROL;
	if (f & (WS_F_SESSION_STATE | WS_F_USE_DB))
		return WS_WHY_SESSION_STATE;
	if (f & WS_F_MULTI)
		return WS_WHY_MULTI_WRITE;
	return WS_WHY_WRITE;
}

/* May a request for a replica move this non-read there? Only a single
 * statement the classifier marked hintable (nothing in it writes, locks, asks
 * about this connection or changes session state: a SELECT of a stored
 * function, SHOW SLAVE STATUS, SQL_CALC_FOUND_ROWS), with nothing else that
 * binds it to the primary. */
static bool replica_request_safe(const struct ws_verdict *v)
{
	if (!(v->flags & WS_F_HINTABLE) || (v->flags & ((PRIMARY_BOUND & ~WS_F_CALC_FOUND_ROWS) | WS_F_MULTI)))
		return false;
	return v->kind == WS_STMT_SELECT || v->kind == WS_STMT_SHOW;
}

static inline void plan(struct ws_plan *out, enum ws_target t, enum ws_reason r)
{
	out->target = t;
	out->reason = r;
}

/* Statements inside a READ ONLY transaction held on a replica. */
static bool decide_in_ro_trx(const struct ws_decide_in *in, struct ws_plan *out)
{
	const struct ws_verdict *v = in->v;

	if (v->flags & (WS_F_TRX_BEGIN | WS_F_IMPLICIT_COMMIT)) {
		/* A new transaction or an implicit commit ends it: COMMIT there
		 * first, then the statement is decided as outside any. */
		out->end_ro_trx = true;
		return false;
	}
	if (v->flags & WS_F_TRX_END) {
		plan(out, WS_TARGET_RO_TRX, WS_WHY_RO_TRX);
		return true;
	}
	if (in->diagnostics && !(v->flags & WS_F_MULTI)) {
		plan(out, WS_TARGET_LAST, WS_WHY_DIAGNOSTICS);
		return true;
	}
	if (v->flags & SESSION_BOUND) {
		plan(out, WS_TARGET_PRIMARY, statement_reason(v));
		return true;
	}
	if (in->temp_mentioned || in->maybe_temp) {
		plan(out, WS_TARGET_PRIMARY, in->temp_mentioned ? WS_WHY_TEMP_TABLE : WS_WHY_MAYBE_TEMP);
		return true;
	}
	if (v->hint_route == WS_HINT_PRIMARY || in->asked == WESCALE_ROUTE_PRIMARY) {
		plan(out, WS_TARGET_PRIMARY,
		     v->hint_route == WS_HINT_PRIMARY ? WS_WHY_HINT_PRIMARY
		     : in->asked_by_rule             ? WS_WHY_RULE_PRIMARY
						      : WS_WHY_API_PRIMARY);
		return true;
	}
	if (in->uncarried_var) {
		plan(out, WS_TARGET_PRIMARY, WS_WHY_UNCARRIED_VAR);
		return true;
	}
	/* Everything else, writes included: the transaction's replica, where a
	 * write fails as the server fails it in a READ ONLY transaction (1792). */
	plan(out, WS_TARGET_RO_TRX, WS_WHY_RO_TRX);
	return true;
}

/* Reasons of the session (and configuration) that keep even a read on the
 * primary; WS_WHY_COUNT when none does. in_trx: whether the session counts as
 * in a transaction (for a transaction that starts on a replica: only one open
 * on the primary does). */
static inline __attribute__((always_inline)) enum ws_reason session_reason(const struct ws_decide_in *in,
									    bool in_trx)
{
	const struct ws_verdict *v = in->v;

	if (in->own_replies)
		return WS_WHY_OWN_REPLIES;
	if (in->state_unknown)
		return WS_WHY_STATE_UNKNOWN;
	if (!in->has_replicas)
		return WS_WHY_NO_REPLICAS;
	if (in->locked_tables)
		return WS_WHY_LOCK_TABLES;
	if (in_trx)
		return WS_WHY_IN_TRX;
	if (in->consistency == WESCALE_CONSISTENCY_PRIMARY)
		return WS_WHY_CONSISTENCY_PRIMARY;
	if ((v->flags & WS_F_MULTI) && !in->multi_enabled)
		return WS_WHY_MULTI_NOT_ENABLED;
	if (in->temp_mentioned)
		return WS_WHY_TEMP_TABLE;
	if (in->maybe_temp)
		return WS_WHY_MAYBE_TEMP;
	if (in->uncarried_var)
		return WS_WHY_UNCARRIED_VAR;
	return WS_WHY_COUNT;
}

/* The primary reason for a statement asked there by a hint, wescale_route_next
 * or a rule. */
static enum ws_reason asked_primary_reason(const struct ws_decide_in *in)
{
	return in->v->hint_route == WS_HINT_PRIMARY ? WS_WHY_HINT_PRIMARY
	       : in->asked_by_rule                  ? WS_WHY_RULE_PRIMARY
						     : WS_WHY_API_PRIMARY;
}

/* Statements inside an optimistic transaction: what a replica can run stays on
 * its replica; the first statement it cannot (a write, a locking read, a
 * primary-only function, a user variable, a session state change, anything not
 * provably a read) moves the transaction to the primary first. */
static bool decide_in_opt_trx(const struct ws_decide_in *in, struct ws_plan *out)
{
	const struct ws_verdict *v = in->v;
	uint32_t f = v->flags;
	bool asked_primary = v->hint_route == WS_HINT_PRIMARY || in->asked == WESCALE_ROUTE_PRIMARY;
	bool asked_replica = v->hint_route == WS_HINT_REPLICA || in->asked == WESCALE_ROUTE_REPLICA;

	if ((f & WS_F_TRX_END) && !(f & (WS_F_MULTI | WS_F_XA))) {
		plan(out, WS_TARGET_RO_TRX, WS_WHY_OPT_TRX); /* COMMIT / ROLLBACK: ends it there */
		return true;
	}
	if ((f & (WS_F_TRX_BEGIN | WS_F_IMPLICIT_COMMIT | WS_F_AUTOCOMMIT_ON)) && !(f & (WS_F_MULTI | WS_F_XA))) {
		/* Ends it (it only read: nothing to commit): then decided as
		 * outside any. */
		out->end_ro_trx = true;
		return false;
	}
	if (in->diagnostics && !(f & WS_F_MULTI)) {
		plan(out, WS_TARGET_LAST, WS_WHY_DIAGNOSTICS);
		return true;
	}
	if ((f & WS_F_AUTOCOMMIT_OFF) && !(f & WS_F_MULTI) && v->kind == WS_STMT_SET &&
	    !(f & ~(WS_F_AUTOCOMMIT_OFF | WS_F_WRITE | WS_F_SESSION_STATE))) {
		/* SET autocommit = 0 alone: changes nothing of the open transaction. */
		plan(out, WS_TARGET_PRIMARY, WS_WHY_TRX_CONTROL);
		return true;
	}
	if (in->api != WS_API_NONBLOCKING && !asked_primary && !in->temp_mentioned && !in->maybe_temp &&
	    !in->uncarried_var && !((f & WS_F_MULTI) && !in->multi_enabled) &&
	    ((f & WS_F_READ) || (asked_replica && replica_request_safe(v)))) {
		plan(out, WS_TARGET_RO_TRX, WS_WHY_OPT_TRX);
		return true;
	}
	out->migrate = true;
	if (asked_primary)
		plan(out, WS_TARGET_PRIMARY, asked_primary_reason(in));
	else if (in->api == WS_API_NONBLOCKING)
		plan(out, WS_TARGET_PRIMARY, WS_WHY_NONBLOCKING);
	else if (in->temp_mentioned || in->maybe_temp)
		plan(out, WS_TARGET_PRIMARY, in->temp_mentioned ? WS_WHY_TEMP_TABLE : WS_WHY_MAYBE_TEMP);
	else if (f & WS_F_READ)
		plan(out, WS_TARGET_PRIMARY, in->uncarried_var ? WS_WHY_UNCARRIED_VAR : WS_WHY_MULTI_NOT_ENABLED);
	else
		plan(out, WS_TARGET_PRIMARY, statement_reason(v));
	return true;
}

/* Does this statement start a transaction that may run on a replica: an
 * explicit BEGIN / START TRANSACTION (not READ ONLY: see ro_begin), or the
 * first read of an autocommit-off session with no transaction open? Then the
 * plan starts it on a replica, or on the primary when the configuration, the
 * application or what was learned of such transactions says it will write. */
static bool decide_opt_start(const struct ws_decide_in *in, struct ws_plan *out)
{
	const struct ws_verdict *v = in->v;
	uint32_t f = v->flags;
	bool asked_replica = v->hint_route == WS_HINT_REPLICA || in->asked == WESCALE_ROUTE_REPLICA;
	bool explicit, implicit;

	if (in->optimistic == WS_OPT_TRX_OFF || (in->ro_trx && !out->end_ro_trx) || in->primary_trx || in->member ||
	    (in->api != WS_API_TEXT && in->api != WS_API_SEND && in->api != WS_API_PREPARED))
		return false;
	if (v->hint_route == WS_HINT_PRIMARY || in->asked == WESCALE_ROUTE_PRIMARY)
		return false;
	explicit = (f & WS_F_TRX_BEGIN) && !(f & (WS_F_MULTI | WS_F_XA | WS_F_TRX_READ_ONLY));
	implicit = in->autocommit_off && !(f & WS_F_TRX_BEGIN) &&
		   ((f & WS_F_READ) || (asked_replica && replica_request_safe(v)));
	if (!explicit && !implicit)
		return false;
	if (session_reason(in, false) != WS_WHY_COUNT)
		return false; /* the primary, for the reason the usual rules give */
	if (in->assume_write || (explicit && in->read_write)) {
		plan(out, WS_TARGET_PRIMARY, WS_WHY_ASSUME_WRITE);
		return true;
	}
	if (in->optimistic == WS_OPT_TRX_ADAPTIVE && in->shape_writes) {
		plan(out, WS_TARGET_PRIMARY, WS_WHY_OPT_LEARNED);
		return true;
	}
	plan(out, WS_TARGET_REPLICA, WS_WHY_OPT_BEGIN);
	out->start_ro_trx = out->opt = true;
	out->begin_first = implicit;
	out->wait_level = in->consistency;
	return true;
}

void ws_route_decide(const struct ws_decide_in *in, struct ws_plan *out)
{
	const struct ws_verdict *v = in->v;
	bool asked_replica, asked_primary;
	enum ws_reason why;

	*out = (struct ws_plan){ .target = WS_TARGET_PRIMARY, .reason = WS_WHY_WRITE,
				 .wait_level = WESCALE_CONSISTENCY_EVENTUAL };

	/* Calls without text: the primary, or the READ ONLY transaction's
	 * replica for the commit / rollback that ends it. */
	switch (in->api) {
	case WS_API_END_TRX:
		plan(out, in->ro_trx ? WS_TARGET_RO_TRX : WS_TARGET_PRIMARY,
		     in->ro_trx ? WS_WHY_RO_TRX : WS_WHY_API_CALL);
		return;
	case WS_API_AUTOCOMMIT:
	case WS_API_SELECT_DB:
	case WS_API_SET_CHARSET:
		/* mysql_autocommit ends a transaction held on a replica (it only
		 * read); mysql_select_db and mysql_set_character_set move an
		 * optimistic one to the primary, where they change the state. */
		out->end_ro_trx = in->ro_trx && in->api == WS_API_AUTOCOMMIT;
		out->migrate = in->ro_trx && in->opt_trx && in->api != WS_API_AUTOCOMMIT;
		plan(out, WS_TARGET_PRIMARY, WS_WHY_API_CALL);
		return;
	case WS_API_NONBLOCKING:
		out->migrate = in->ro_trx && in->opt_trx;
		out->end_ro_trx = in->ro_trx && !in->opt_trx;
		plan(out, WS_TARGET_PRIMARY, WS_WHY_NONBLOCKING);
		return;
	default:
		break;
	}
	if (!v) {
		plan(out, WS_TARGET_PRIMARY, WS_WHY_API_CALL);
		return;
	}

	if (in->ro_trx && (in->opt_trx ? decide_in_opt_trx(in, out) : decide_in_ro_trx(in, out)))
		return;

	/* Diagnostics of the previous statement: where it ran (the primary
	 * when last_on_replica is false). */
	if (in->diagnostics && !in->own_replies && !(v->flags & WS_F_MULTI)) {
		plan(out, WS_TARGET_LAST, WS_WHY_DIAGNOSTICS);
		return;
	}
	if (decide_opt_start(in, out))
		return;

	asked_primary = v->hint_route == WS_HINT_PRIMARY || in->asked == WESCALE_ROUTE_PRIMARY;
	asked_replica = !asked_primary && (v->hint_route == WS_HINT_REPLICA || in->asked == WESCALE_ROUTE_REPLICA ||
					   in->member);

	/* What the statement is. */
	if (!(v->flags & WS_F_READ)) {
		bool ro_begin = (v->flags & WS_F_TRX_BEGIN) && (v->flags & WS_F_TRX_READ_ONLY) &&
				!(v->flags & WS_F_MULTI) && in->ro_trx_to_replica && !asked_primary &&
				(in->api == WS_API_TEXT || in->api == WS_API_SEND);

		if (ro_begin && session_reason(in, in->primary_trx) == WS_WHY_COUNT) {
			plan(out, WS_TARGET_REPLICA, WS_WHY_RO_TRX_BEGIN);
			out->start_ro_trx = true;
			out->wait_level = in->consistency;
			return;
		}
		if (!asked_replica || !replica_request_safe(v)) {
			out->unsafe_ignored = asked_replica;
			plan(out, WS_TARGET_PRIMARY, statement_reason(v));
			return;
		}
	}
	if (asked_primary) {
		plan(out, WS_TARGET_PRIMARY, asked_primary_reason(in));
		return;
	}

	/* What the session is in. A variable that is not carried may still be
	 * read on a replica when that is asked for explicitly (to look at the
	 * replica's own session): a different answer, asked for, not a write. */
	why = session_reason(in, in->in_trx);
	if (why == WS_WHY_UNCARRIED_VAR && asked_replica)
		why = WS_WHY_COUNT;
	if (why != WS_WHY_COUNT) {
		plan(out, WS_TARGET_PRIMARY, why);
		return;
	}
	if (in->member) {
		plan(out, WS_TARGET_MEMBER, WS_WHY_RULE_MEMBER);
		return;
	}
	plan(out, WS_TARGET_REPLICA, (v->flags & WS_F_READ) ? WS_WHY_READ : WS_WHY_READ_ASKED);
	out->wait_level = in->consistency;
}

/* ---- facts read from the text ---- */

/* A tiny tokenizer for the two shapes below: words (letters, digits, _, $,
 * @, .), and single punctuation characters; blanks and plain comments are
 * skipped. Executable comments and quotes end the scan (not diagnostics). */
struct toks {
	const char *q;
	size_t len, pos;
};

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c == '@' || c == '.';
}

/* The next token into *t / *n; false at the end or at anything unexpected. */
static bool next_tok(struct toks *k, const char **t, size_t *n)
{
	for (;;) {
		while (k->pos < k->len && (k->q[k->pos] == ' ' || k->q[k->pos] == '\t' || k->q[k->pos] == '\n' ||
					   k->q[k->pos] == '\r'))
			k->pos++;
		if (k->pos + 1 < k->len && k->q[k->pos] == '/' && k->q[k->pos + 1] == '*') {
			const char *end;

			if (k->pos + 2 < k->len && (k->q[k->pos + 2] == '!' || k->q[k->pos + 2] == 'M'))
				return false; /* executable comment: code */
			end = NULL;
			for (size_t i = k->pos + 2; i + 1 < k->len; i++)
				if (k->q[i] == '*' && k->q[i + 1] == '/') {
					end = k->q + i + 2;
					break;
				}
			if (!end)
				return false;
			k->pos = (size_t)(end - k->q);
			continue;
		}
		break;
	}
	if (k->pos >= k->len)
		return false;
	*t = k->q + k->pos;
	if (is_word_char(k->q[k->pos])) {
		size_t s = k->pos;

		while (k->pos < k->len && is_word_char(k->q[k->pos]))
			k->pos++;
		*n = k->pos - s;
		return true;
	}
	if (k->q[k->pos] == '\'' || k->q[k->pos] == '"' || k->q[k->pos] == '`' || k->q[k->pos] == '#' ||
	    k->q[k->pos] == '-')
		return false;
	*n = 1;
	k->pos++;
	return true;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(t, w, n) == 0;
}

/* The rest of the text is words (numbers, @names) and the punctuation "=,"
 * only — no second statement: an optional ';' must be the last token. With
 * first set, a word must start the rest (LIMIT). */
static bool only_words_until_end(struct toks *k, const char *first)
{
	const char *t;
	size_t n;
	bool start = true;

	while (next_tok(k, &t, &n)) {
		if (*t == ';')
			return !next_tok(k, &t, &n);
		if (start && first && !tok_is(t, n, first))
			return false;
		start = false;
		if (!is_word_char(*t) && *t != '=' && *t != ',')
			return false;
	}
	return k->pos >= k->len;
}

/* A diagnostics item of a SELECT list: FOUND_ROWS(), ROW_COUNT(),
 * @@[session.|local.]warning_count | error_count. */
static bool diag_item(struct toks *k, const char *t, size_t n)
{
	const char *p;
	size_t m;

	if (tok_is(t, n, "FOUND_ROWS") || tok_is(t, n, "ROW_COUNT"))
		return next_tok(k, &p, &m) && *p == '(' && next_tok(k, &p, &m) && *p == ')';
	if (n > 2 && t[0] == '@' && t[1] == '@') {
		t += 2;
		n -= 2;
		if (n > 8 && strncasecmp(t, "session.", 8) == 0)
			t += 8, n -= 8;
		else if (n > 6 && strncasecmp(t, "local.", 6) == 0)
			t += 6, n -= 6;
		return tok_is(t, n, "warning_count") || tok_is(t, n, "error_count");
	}
	return false;
}

bool ws_decide_is_diagnostics(const char *q, size_t len)
{
	struct toks k = { q, len, 0 };
	const char *t;
	size_t n;

	if (!q || !next_tok(&k, &t, &n))
		return false;
	if (tok_is(t, n, "SHOW")) {
		if (!next_tok(&k, &t, &n))
			return false;
		if (tok_is(t, n, "COUNT")) {
			const char *p;
			size_t m;

			if (!(next_tok(&k, &p, &m) && *p == '(' && next_tok(&k, &p, &m) && *p == '*' &&
			      next_tok(&k, &p, &m) && *p == ')' && next_tok(&k, &t, &n)))
				return false;
		}
		if (!tok_is(t, n, "WARNINGS") && !tok_is(t, n, "ERRORS"))
			return false;
		/* [LIMIT [offset,] n] [;] and nothing after. */
		return only_words_until_end(&k, "LIMIT");
	}
	if (tok_is(t, n, "GET")) {
		if (!next_tok(&k, &t, &n))
			return false;
		if ((tok_is(t, n, "CURRENT") || tok_is(t, n, "STACKED")) && !next_tok(&k, &t, &n))
			return false;
		/* … DIAGNOSTICS [CONDITION n] @a = ITEM [, @b = ITEM]… [;] */
		return tok_is(t, n, "DIAGNOSTICS") && only_words_until_end(&k, NULL);
	}
	if (!tok_is(t, n, "SELECT"))
		return false;
	/* SELECT item [AS name] [, item [AS name]]… [;] and nothing else. */
	for (;;) {
		if (!next_tok(&k, &t, &n) || !diag_item(&k, t, n))
			return false;
		if (!next_tok(&k, &t, &n))
			return true;
		if (tok_is(t, n, "AS")) {
			if (!next_tok(&k, &t, &n) || !is_word_char(*t) || *t == '@')
				return false;
			if (!next_tok(&k, &t, &n))
				return true;
		}
		if (*t == ';')
			return !next_tok(&k, &t, &n);
		if (*t != ',')
			return false;
	}
}

bool ws_decide_may_hide_state(const struct ws_verdict *v, const char *q, size_t len, bool temp_mentioned)
{
	struct toks k = { q, len, 0 };
	const char *t;
	size_t n;

	if (v->kind == WS_STMT_CALL)
		return true;
	if (v->kind == WS_STMT_PREPARE)
		return q && next_tok(&k, &t, &n) && tok_is(t, n, "EXECUTE");
	if (v->kind == WS_STMT_DDL && temp_mentioned && q) {
		/* ALTER TABLE tmp RENAME …, RENAME TABLE tmp TO …: the new name is
		 * temporary too. */
		for (size_t i = 0; i + 6 <= len; i++)
			if (strncasecmp(q + i, "RENAME", 6) == 0)
				return true;
	}
	return false;
}

bool ws_decide_may_write(const struct ws_verdict *v)
{
	if (v->flags & WS_F_READ)
		return false;
	if (v->kind == WS_STMT_SELECT || v->kind == WS_STMT_SHOW)
		return (v->flags & (WS_F_PRIMARY_FUNC | WS_F_EXECUTES)) != 0 || !(v->flags & (WS_F_LOCKING_READ |
			WS_F_SELECT_INTO | WS_F_USER_VAR | WS_F_CALC_FOUND_ROWS));
	return true;
}

bool ws_decide_reads_uncarried(const char *q, size_t len)
{
	/* Session variables whose value lives only in the primary's session
	 * (session.c does not carry them); @@server_id is left out on purpose:
	 * it names the node that answered. */
	static const char *const names[] = {
		"sql_log_bin", "gtid_domain_id", "gtid_seq_no", "last_gtid", "pseudo_thread_id", "insert_id",
		"skip_replication", "session_track_system_variables", "session_track_schema",
		"session_track_state_change", "session_track_transaction_info", "session_track_gtids",
		"wsrep_on", "in_transaction", "transaction_read_only", "tx_read_only",
	};

	if (!q)
		return false;
	for (size_t i = 0; i + 2 < len; i++) {
		const char *p;
		size_t n, rest;

		if (q[i] != '@' || q[i + 1] != '@')
			continue;
		p = q + i + 2;
		rest = len - i - 2;
		if (rest > 8 && strncasecmp(p, "session.", 8) == 0)
			p += 8, rest -= 8;
		else if (rest > 6 && strncasecmp(p, "local.", 6) == 0)
			p += 6, rest -= 6;
		else if (rest > 7 && strncasecmp(p, "global.", 7) == 0)
			continue; /* the global value is the same everywhere that matters */
		if (rest && *p == '`')
			p++, rest--;
		for (n = 0; n < rest && (is_word_char(p[n]) && p[n] != '.' && p[n] != '@'); n++)
			;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (tok_is(p, n, names[k]))
				return true;
	}
	return false;
}

bool ws_decide_says_read_write(const char *q, size_t len)
{
	struct toks k = { q, len, 0 };
	const char *t;
	size_t n;
	bool read = false;

	if (!q)
		return false;
	while (next_tok(&k, &t, &n)) {
		if (read && tok_is(t, n, "WRITE"))
			return true;
		read = tok_is(t, n, "READ");
	}
	return false;
}

/* ---- names ---- */

const char *ws_target_to_string(enum ws_target t)
{
	static const char *const s[WS_TARGET_COUNT] = {
		[WS_TARGET_PRIMARY] = "primary", [WS_TARGET_REPLICA] = "replica",
		[WS_TARGET_RO_TRX] = "replica (read-only transaction)",
		[WS_TARGET_LAST] = "previous statement's node", [WS_TARGET_MEMBER] = "rule's node",
	};

	return (unsigned)t < WS_TARGET_COUNT ? s[t] : "?";
}

static const struct {
	const char *key, *text;
} reasons[WS_WHY_COUNT] = {
	[WS_WHY_READ] = { "read", "read" },
	[WS_WHY_READ_ASKED] = { "read_asked", "replica asked for (hint, wescale_route_next or rule)" },
	[WS_WHY_RO_TRX] = { "ro_trx", "inside a READ ONLY transaction" },
	[WS_WHY_RO_TRX_BEGIN] = { "ro_trx_begin", "starts a READ ONLY transaction" },
	[WS_WHY_OPT_TRX] = { "optimistic_trx", "inside an optimistic transaction" },
	[WS_WHY_OPT_BEGIN] = { "optimistic_trx_begin", "starts an optimistic transaction" },
	[WS_WHY_DIAGNOSTICS] = { "diagnostics", "asks about the previous statement" },
	[WS_WHY_RULE_MEMBER] = { "rule_member", "a rule names this node" },
	[WS_WHY_WRITE] = { "write", "write" },
	[WS_WHY_LOCKING_READ] = { "locking_read", "locking read or SELECT … INTO" },
	[WS_WHY_PRIMARY_FUNC] = { "primary_function", "primary-only function" },
	[WS_WHY_USER_VAR] = { "user_variable", "user variable" },
	[WS_WHY_SESSION_STATE] = { "session_state", "session state change" },
	[WS_WHY_TRX_CONTROL] = { "transaction_control", "transaction control" },
	[WS_WHY_MULTI_WRITE] = { "multi_write", "multi-statement with a write" },
	[WS_WHY_UNCARRIED_VAR] = { "uncarried_variable", "session variable not carried to replicas" },
	[WS_WHY_HINT_PRIMARY] = { "hint_primary", "hint route=primary" },
	[WS_WHY_API_PRIMARY] = { "api_primary", "wescale_route_next(PRIMARY)" },
	[WS_WHY_RULE_PRIMARY] = { "rule_primary", "rule route=primary" },
	[WS_WHY_API_CALL] = { "api_call", "API call on the primary" },
	[WS_WHY_IN_TRX] = { "in_transaction", "inside a transaction" },
	[WS_WHY_OPT_LEARNED] = { "optimistic_trx_learned", "transactions that begin like this write (adaptive)" },
	[WS_WHY_ASSUME_WRITE] = { "assume_write", "READ WRITE transaction or assume_write_transactions" },
	[WS_WHY_LOCK_TABLES] = { "lock_tables", "LOCK TABLES held" },
	[WS_WHY_TEMP_TABLE] = { "temporary_table", "temporary table" },
	[WS_WHY_MAYBE_TEMP] = { "maybe_temporary", "session may hold temporary tables or locks (CALL, EXECUTE)" },
	[WS_WHY_STATE_UNKNOWN] = { "state_unknown", "session state unknown" },
	[WS_WHY_CONSISTENCY_PRIMARY] = { "consistency_primary", "consistency = primary" },
	[WS_WHY_MULTI_NOT_ENABLED] = { "multi_not_enabled", "multi-statement without CLIENT_MULTI_STATEMENTS" },
	[WS_WHY_NONBLOCKING] = { "nonblocking", "non-blocking API" },
	[WS_WHY_OWN_REPLIES] = { "own_replies", "replies read through MYSQL.methods" },
	[WS_WHY_NO_REPLICAS] = { "no_replicas", "no replicas" },
	[WS_WHY_NO_REPLICA_READY] = { "no_replica_ready", "no replica ready" },
	[WS_WHY_REPLICA_LAGGED] = { "replica_lagged", "replica did not catch up in time" },
};

const char *ws_reason_to_string(enum ws_reason r)
{
	return (unsigned)r < WS_WHY_COUNT ? reasons[r].text : "?";
}

const char *ws_reason_key(enum ws_reason r)
{
	return (unsigned)r < WS_WHY_COUNT ? reasons[r].key : "?";
}

const char *ws_api_to_string(enum ws_api a)
{
	static const char *const s[WS_API_COUNT] = {
		[WS_API_TEXT] = "text", [WS_API_SEND] = "send_query", [WS_API_PREPARED] = "prepared",
		[WS_API_NONBLOCKING] = "nonblocking", [WS_API_END_TRX] = "commit/rollback",
		[WS_API_AUTOCOMMIT] = "autocommit", [WS_API_SELECT_DB] = "select_db",
		[WS_API_SET_CHARSET] = "set_character_set",
	};

	return (unsigned)a < WS_API_COUNT ? s[a] : "?";
}
