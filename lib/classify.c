/*
 * classify.c — statement text → struct ws_verdict (DESIGN.md §3; the contract
 * is in classify.h, the table of verdicts in docs/classifier.md).
 *
 * How it works. One forward lexer walks the bytes once. It skips whitespace and
 * comments (scanning comment bodies for routing hints), reads the bodies of
 * executable comments as code, and yields tokens: words (with a keyword id),
 * numbers, quoted strings, backquoted names, user and system variables,
 * punctuation, and the ';' that ends a statement. A statement is recognised by
 * its first keyword and a few tokens of look-ahead; the rest of it is drained
 * through the same token loop (next()), which notes wherever they occur the
 * things that pin a statement to the primary: user variables, calls of
 * primary-only functions, NEXT VALUE FOR. Nesting is kept in counters only
 * (parentheses, BEGIN…END blocks), and the one recursive call (the statement
 * after EXPLAIN, ANALYZE or SET STATEMENT … FOR) is at most two levels deep, so
 * no input can drive the stack. Nothing is allocated; all state is on the stack.
 * The lexer is in classify-lex.h (the per-token part, inline) and
 * classify-lex.c (comments, hints, literals, numbers); the keyword lookup is
 * in classify-keywords.h. This file holds the statements, the verdicts and the
 * fast path in front of them.
 *
 * Readings the server may make differently. How the server splits a text into
 * tokens depends on things we do not see: sql_mode (NO_BACKSLASH_ESCAPES,
 * ANSI_QUOTES decide whether a backslash escapes a quote) and the server version
 * (which decides whether the body of a version-gated comment runs). A text that
 * classifies as a read although it contains a backslash inside a quoted literal
 * or a version-gated comment is classified again under each other reading, and
 * stays a read only if no reading finds a statement that is not a read. A
 * reading that ends inside an unterminated quote is harmless: the server rejects
 * such a statement before running any of it.
 */
#include "classify-lex.h"

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)
#include <emmintrin.h> /* the fast path's scanner: SSE2 is in every x86-64 */
#endif

/* ---- statements ---- */

struct cls {
	/* Zeroed by cls_init(): */
	struct lex lx;
	uint16_t pk1, pk2;   /* keyword ids of the two tokens before cur (K_NONE: not one) */
	uint32_t flags;
	bool write;          /* false only while the statement is provably a read */
	bool done;           /* the statement's ';' or the end of the text was reached */
	bool compound;       /* BEGIN…END bodies: a ';' inside a block does not end it */
	bool has_temp, has_db;
	uint8_t kind;
	uint8_t nest;        /* inside SET STATEMENT … FOR */
	size_t block;        /* BEGIN…END / IF…END IF / … nesting in a compound statement */
	size_t paren;
	/* Set before use: */
	struct tok *cur;     /* the token being looked at */
	struct tok *prev;    /* the one before it */
	struct tok slot[2];  /* what cur and prev point at, swapped by next() */
	size_t end;          /* offset just past the statement (after its ';') */
	size_t temp_off, temp_len, db_off, db_len; /* valid with has_temp, has_db */
};

#define FORCE_WRITE (WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_LOCKING_READ | WS_F_SELECT_INTO | \
		     WS_F_CALC_FOUND_ROWS | WS_F_PARSE_ERROR)

static void stmt(struct cls *c);

static inline unsigned kwof(const struct tok *t)
{
	return t->kw;
}

static inline bool is_punct(const struct tok *t, unsigned char ch)
{
	return t->type == T_PUNCT && t->ch == ch;
}

static bool is_primary_call(const struct cls *c, const struct tok *t)
{
	if (t->type == T_WORD)
		return kw_is_primary_func(t->rawkw);
	if (t->type == T_QIDENT)
		return kw_is_primary_func(kw_lookup(c->lx.s + t->off, t->n));
	return false;
}

/* Compound statements: count the blocks so that a ';' inside one does not end
 * the statement. IF, LOOP, … open a block only where a statement may start (IF(…)
 * is a function, FOR UPDATE a clause); END IF, END LOOP, … close one. */
static void track_block(struct cls *c, unsigned k)
{
	bool at_start;

	if (c->pk1 == K_END)
		return;
	switch (k) {
	case K_BEGIN: case K_CASE:
		c->block++;
		return;
	case K_END:
		if (c->block)
			c->block--;
		return;
	case K_IF: case K_LOOP: case K_REPEAT: case K_WHILE: case K_FOR:
		break;
	default:
		return;
	}
	at_start = c->prev->type == T_END || is_punct(c->prev, ';') || is_punct(c->prev, ':') ||
		   c->pk1 == K_BEGIN || c->pk1 == K_THEN || c->pk1 == K_ELSE || c->pk1 == K_DO ||
		   c->pk1 == K_LOOP || c->pk1 == K_REPEAT;
	if (at_start)
		c->block++;
}

/*
 * The next token of the statement, or NULL at its end. Every token passes
 * through here, so what pins a statement to the primary wherever it appears is
 * noted here.
 */
static const struct tok *next(struct cls *c)
{
	struct tok *t = c->prev;

	if (c->done)
		return NULL;
	c->pk2 = c->pk1;
	c->pk1 = (uint16_t)kwof(c->cur);
	c->prev = c->cur;
	c->cur = t;
	lex(&c->lx, t);
	switch (t->type) {
	case T_END:
		c->done = true;
		c->end = c->lx.len;
		return NULL;
	case T_SEMI:
		if (!c->compound || c->block == 0) {
			c->done = true;
			c->end = c->lx.pos;
			return NULL;
		}
		t->type = T_PUNCT;
		break;
	case T_USERVAR:
		/* 'user'@'host' is an account, not a variable: '@' right after the closing quote. */
		if (!((c->prev->type == T_STRING || c->prev->type == T_QIDENT) &&
		      c->prev->off + c->prev->n + 1 == t->off))
			c->flags |= WS_F_USER_VAR;
		break;
	case T_SYSVAR:
		if (sysvar_is_session_bound(c->lx.s + t->off + 2, t->n - 2))
			c->flags |= WS_F_PRIMARY_FUNC;
		break;
	case T_PUNCT:
		if (t->ch == '(') {
			c->paren++;
			/* name( is a call, unless the name is a table's: CREATE TABLE row_count (…),
			 * INSERT [INTO] found_rows (…) */
			if (is_primary_call(c, c->prev) && c->pk2 != K_TABLE && c->pk2 != K_INTO &&
			    c->pk2 != K_EXISTS && c->pk2 != K_INSERT && c->pk2 != K_REPLACE)
				c->flags |= WS_F_PRIMARY_FUNC;
		} else if (t->ch == ')') {
			if (c->paren)
				c->paren--;
			else
				c->flags |= WS_F_PARSE_ERROR;
		}
		break;
	case T_WORD:
		if (t->after_dot) {
			/* seq.nextval, seq.currval (MariaDB sequences) */
			if (t->rawkw == K_NEXTVAL || t->rawkw == K_CURRVAL)
				c->flags |= WS_F_PRIMARY_FUNC;
			break;
		}
		if (t->kw == K_FOR && c->pk1 == K_VALUE && (c->pk2 == K_NEXT || c->pk2 == K_PREVIOUS))
			c->flags |= WS_F_PRIMARY_FUNC;
		if (c->compound)
			track_block(c, t->kw);
		break;
	}
	return t;
}

/* The token after cur, without consuming it (no flags noted). */
static void peek(struct cls *c, struct tok *t)
{
	struct lex saved;

	if (c->done) {
		memset(t, 0, sizeof(*t));
		t->type = T_END;
		return;
	}
	saved = c->lx;
	lex(&c->lx, t);
	c->lx = saved;
}

static unsigned peek_kw(struct cls *c)
{
	struct tok t;

	peek(c, &t);
	return kwof(&t);
}

static void drain(struct cls *c)
{
	while (next(c))
		;
}

static void junk(struct cls *c)
{
	c->flags |= WS_F_PARSE_ERROR;
	drain(c);
}

static bool is_inner_start(const struct tok *t)
{
	switch (kwof(t)) {
	case K_SELECT: case K_WITH: case K_TABLE: case K_VALUES:
	case K_INSERT: case K_UPDATE: case K_DELETE: case K_REPLACE:
		return true;
	}
	return is_punct(t, '(');
}

static void select_dml(struct cls *c, unsigned kind, size_t depth, bool *main_known)
{
	c->write = true;
	if (!*main_known && depth == 0) {
		c->kind = (uint8_t)kind;
		*main_known = true;
	}
}

/*
 * SELECT, TABLE, VALUES, (SELECT …), WITH …: a read unless something in it says
 * otherwise. After WITH, the first statement keyword outside parentheses is the
 * main statement (WITH … UPDATE is an update); a DML keyword anywhere (a CTE
 * body) makes it a write. INSERT( and REPLACE( are string functions.
 */
static void select_body(struct cls *c, bool with)
{
	const struct tok *t;
	unsigned pending = WS_STMT_OTHER;
	size_t pending_depth = 0;
	bool main_known = !with;

	c->kind = WS_STMT_SELECT;
	c->write = false;
	while ((t = next(c))) {
		unsigned k = kwof(t);

		if (pending != WS_STMT_OTHER) {
			if (!is_punct(t, '('))
				select_dml(c, pending, pending_depth, &main_known);
			pending = WS_STMT_OTHER;
		}
		if (k == K_NONE) /* most tokens */
			continue;
		switch (k) {
		case K_SELECT: case K_TABLE: case K_VALUES:
			if (c->paren == 0)
				main_known = true;
			break;
		case K_INTO: /* not the INTO of WITH … INSERT INTO */
			if (c->kind == WS_STMT_SELECT)
				c->flags |= WS_F_SELECT_INTO;
			break;
		case K_LOCK: /* LOCK IN SHARE MODE */
			c->flags |= WS_F_LOCKING_READ;
			break;
		case K_SHARE:
			if (c->pk1 == K_FOR)
				c->flags |= WS_F_LOCKING_READ;
			break;
		case K_UPDATE:
			if (c->pk1 == K_FOR)
				c->flags |= WS_F_LOCKING_READ;
			else
				select_dml(c, WS_STMT_UPDATE, c->paren, &main_known);
			break;
		case K_DELETE:
			select_dml(c, WS_STMT_DELETE, c->paren, &main_known);
			break;
		case K_INSERT: case K_REPLACE:
			pending = k == K_INSERT ? WS_STMT_INSERT : WS_STMT_REPLACE;
			pending_depth = c->paren;
			break;
		case K_SQL_CALC_FOUND_ROWS:
			c->flags |= WS_F_CALC_FOUND_ROWS;
			break;
		}
	}
	if (pending != WS_STMT_OTHER)
		select_dml(c, pending, pending_depth, &main_known);
}

static void paren_select(struct cls *c)
{
	const struct tok *t;

	while ((t = next(c)) && is_punct(t, '('))
		;
	if (t) {
		unsigned k = kwof(t);

		if (k == K_SELECT || k == K_WITH || k == K_TABLE || k == K_VALUES) {
			select_body(c, false);
			return;
		}
	}
	junk(c);
}

/* CREATE/ALTER TEMPORARY TABLE / DROP TEMPORARY TABLE: after TABLE. */
static void temp_table(struct cls *c, uint32_t flag)
{
	const struct tok *t = next(c);
	struct tok pk;

	if (t && kwof(t) == K_IF) {
		t = next(c);
		if (t && kwof(t) == K_NOT)
			t = next(c);
		if (t && kwof(t) == K_EXISTS)
			t = next(c);
	}
	if (!t || !(t->type == T_WORD || t->type == T_QIDENT || t->type == T_STRING)) {
		junk(c);
		return;
	}
	c->temp_off = t->off;
	c->temp_len = t->n;
	for (peek(c, &pk); is_punct(&pk, '.'); peek(c, &pk)) { /* db.name: keep the last part */
		next(c);
		t = next(c);
		if (!t || !(t->type == T_WORD || t->type == T_QIDENT || t->type == T_STRING)) {
			junk(c);
			return;
		}
		c->temp_off = t->off;
		c->temp_len = t->n;
	}
	c->has_temp = true;
	c->flags |= flag;
	drain(c);
}

static void ddl(struct cls *c, bool create)
{
	const struct tok *t;
	bool temp = false;

	c->kind = WS_STMT_DDL;
	while ((t = next(c))) {
		switch (kwof(t)) {
		case K_TEMPORARY:
			temp = true;
			continue;
		case K_TABLE: case K_SEQUENCE:
			if (temp && create) {
				temp_table(c, WS_F_TEMP_CREATE); /* no implicit commit */
				return;
			}
			break;
		case K_PROCEDURE: case K_FUNCTION: case K_TRIGGER: case K_EVENT: case K_PACKAGE:
			c->compound = true;
			break;
		case K_VIEW: case K_INDEX: case K_DATABASE: case K_SCHEMA: case K_USER: case K_ROLE:
		case K_SERVER:
			break;
		default:
			continue;
		}
		break;
	}
	c->flags |= WS_F_IMPLICIT_COMMIT;
	drain(c);
}

static void drop(struct cls *c)
{
	const struct tok *t;
	unsigned k = peek_kw(c);

	if (k == K_PREPARE) { /* DROP PREPARE = DEALLOCATE PREPARE */
		c->kind = WS_STMT_PREPARE;
		drain(c);
		return;
	}
	c->kind = WS_STMT_DDL;
	if (k == K_TEMPORARY) {
		next(c);
		t = next(c);
		k = t ? kwof(t) : K_NONE;
		if (k == K_TABLE || k == K_TABLES || k == K_SEQUENCE) {
			temp_table(c, WS_F_TEMP_DROP);
			return;
		}
	}
	c->flags |= WS_F_IMPLICIT_COMMIT;
	drain(c);
}

/* SET autocommit = <v>: what the value says; an expression we cannot evaluate
 * counts as OFF, the side on which a transaction stays on the primary. */
static uint32_t autocommit_value(const struct cls *c, const struct tok *v, size_t n_tokens)
{
	const unsigned char *s = c->lx.s + v->off;

	if (n_tokens != 1)
		return WS_F_AUTOCOMMIT_OFF;
	if (v->type == T_NUMBER || v->type == T_WORD || v->type == T_STRING) {
		if (ieq(s, v->n, "1") || ieq(s, v->n, "on") || ieq(s, v->n, "true"))
			return WS_F_AUTOCOMMIT_ON;
	}
	return WS_F_AUTOCOMMIT_OFF;
}

/* SET STATEMENT var = value [, …] FOR <statement>: the verdict of the statement. */
static void set_statement_for(struct cls *c)
{
	const struct tok *t;

	if (c->nest) {
		junk(c);
		return;
	}
	while ((t = next(c)) && !(kwof(t) == K_FOR && c->paren == 0))
		;
	if (!t || !next(c)) {
		c->flags |= WS_F_PARSE_ERROR;
		return;
	}
	c->nest++;
	stmt(c);
	c->nest--;
}

enum { SCOPE_NONE, SCOPE_SESSION, SCOPE_GLOBAL };

static void set_stmt(struct cls *c)
{
	const struct tok *t;
	int scope = SCOPE_NONE; /* a GLOBAL or SESSION keyword holds for the assignments after it */

	c->kind = WS_STMT_SET;
	switch (peek_kw(c)) {
	case K_TRANSACTION: /* the next transaction only */
		c->flags |= WS_F_SET_TRANSACTION;
		drain(c);
		return;
	case K_PASSWORD: case K_DEFAULT: /* SET PASSWORD, SET DEFAULT ROLE */
		c->flags |= WS_F_IMPLICIT_COMMIT;
		drain(c);
		return;
	case K_ROLE:
		c->flags |= WS_F_SESSION_STATE;
		drain(c);
		return;
	case K_STATEMENT:
		next(c);
		set_statement_for(c);
		return;
	}
	for (;;) {
		bool global, autocommit = false, needs_eq = true;
		size_t base, n_val = 0;
		struct tok val = { 0 };
		unsigned k;

		if (!(t = next(c))) {
			c->flags |= WS_F_PARSE_ERROR;
			return;
		}
		k = kwof(t);
		if (k == K_GLOBAL || k == K_PERSIST || k == K_PERSIST_ONLY || k == K_SESSION || k == K_LOCAL) {
			scope = k == K_SESSION || k == K_LOCAL ? SCOPE_SESSION : SCOPE_GLOBAL;
			if (!(t = next(c))) {
				c->flags |= WS_F_PARSE_ERROR;
				return;
			}
			k = kwof(t);
		}
		global = scope == SCOPE_GLOBAL;
		if (k == K_TRANSACTION) {
			c->flags |= WS_F_SET_TRANSACTION;
			if (scope != SCOPE_NONE)
				c->flags |= global ? WS_F_SET_GLOBAL : WS_F_SESSION_STATE;
			drain(c);
			return;
		}
		if (t->type == T_USERVAR) {
			/* next() noted WS_F_USER_VAR */
		} else if (t->type == T_SYSVAR) {
			const unsigned char *s = c->lx.s + t->off + 2;
			size_t n = t->n - 2, dot = 0;

			while (dot < n && s[dot] != '.')
				dot++;
			global = false;
			if (dot < n) {
				global = ieq(s, dot, "global") || ieq(s, dot, "persist") ||
					 ieq(s, dot, "persist_only");
				s += dot + 1;
				n -= dot + 1;
			}
			autocommit = !global && ieq(s, n, "autocommit");
			c->flags |= global ? WS_F_SET_GLOBAL : WS_F_SESSION_STATE;
		} else if (k == K_NAMES || k == K_CHARSET || k == K_CHARACTER) {
			if (k == K_CHARACTER && (!(t = next(c)) || kwof(t) != K_SET)) {
				junk(c);
				return;
			}
			c->flags |= WS_F_SESSION_STATE;
			needs_eq = false;
		} else if (t->type == T_WORD || t->type == T_QIDENT) {
			size_t no = t->off, nl = t->n;
			struct tok pk;

			for (peek(c, &pk); is_punct(&pk, '.'); peek(c, &pk)) { /* keycache.key_buffer_size */
				next(c);
				if (!(t = next(c)))
					break;
				no = t->off;
				nl = t->n;
			}
			autocommit = !global && ieq(c->lx.s + no, nl, "autocommit");
			c->flags |= global ? WS_F_SET_GLOBAL : WS_F_SESSION_STATE;
		} else {
			junk(c);
			return;
		}
		if (needs_eq && (!(t = next(c)) || !is_punct(t, '='))) {
			junk(c);
			return;
		}
		base = c->paren;
		while ((t = next(c)) && !(is_punct(t, ',') && c->paren == base))
			if (n_val++ == 0)
				val = *t;
		if (autocommit)
			c->flags |= autocommit_value(c, &val, n_val);
		if (!t)
			return;
	}
}

static void show(struct cls *c)
{
	const struct tok *t;
	unsigned k, k2;
	bool rd = false;

	c->kind = WS_STMT_SHOW;
	do {
		t = next(c);
		k = t ? kwof(t) : K_NONE;
	} while (k == K_FULL || k == K_EXTENDED || k == K_GLOBAL || k == K_SESSION || k == K_LOCAL);
	if (!t) {
		c->flags |= WS_F_PARSE_ERROR;
		return;
	}
	switch (k) {
	case K_VARIABLES: case K_DATABASES: case K_SCHEMAS: case K_TABLES: case K_COLUMNS:
	case K_FIELDS: case K_INDEX: case K_INDEXES: case K_KEYS: case K_GRANTS: case K_COLLATION:
	case K_CHARSET: case K_ENGINES: case K_PLUGINS: case K_PRIVILEGES: case K_TRIGGERS:
	case K_EVENTS: case K_CREATE: case K_AUTHORS: case K_CONTRIBUTORS:
		rd = true;
		break;
	case K_CHARACTER:
		rd = peek_kw(c) == K_SET;
		break;
	case K_TABLE:
		rd = peek_kw(c) == K_STATUS;
		break;
	case K_STORAGE:
		rd = peek_kw(c) == K_ENGINES;
		break;
	case K_FUNCTION: case K_PROCEDURE: case K_PACKAGE:
		k2 = peek_kw(c);
		if (k == K_PACKAGE && k2 == K_BODY) {
			next(c);
			k2 = peek_kw(c);
		}
		rd = k2 == K_STATUS || k2 == K_CODE;
		break;
	}
	/* Everything else (STATUS, PROCESSLIST, WARNINGS, MASTER STATUS, …) is about
	 * this connection or about the primary itself. */
	drain(c);
	c->write = !rd;
}

static void skip_format(struct cls *c) /* after FORMAT: [=] name */
{
	struct tok pk;

	peek(c, &pk);
	if (is_punct(&pk, '='))
		next(c);
	next(c);
}

static void explain(struct cls *c)
{
	const struct tok *t;

	for (;;) {
		switch (peek_kw(c)) {
		case K_EXTENDED: case K_PARTITIONS:
			next(c);
			continue;
		case K_ANALYZE:
			next(c);
			c->flags |= WS_F_EXECUTES;
			continue;
		case K_FORMAT:
			next(c);
			skip_format(c);
			continue;
		}
		break;
	}
	t = next(c);
	if (t && is_inner_start(t)) {
		stmt(c); /* a read only if the statement is one, executed or not */
	} else if (t && !(c->flags & WS_F_EXECUTES) &&
		   (t->type == T_QIDENT || (t->type == T_WORD && kwof(t) != K_FOR && kwof(t) != K_INTO))) {
		drain(c); /* DESCRIBE table [column] */
		c->write = false;
	} else if (!t) {
		c->flags |= WS_F_PARSE_ERROR;
	} else {
		drain(c); /* EXPLAIN FOR CONNECTION n, …: about another connection */
	}
	c->kind = WS_STMT_SHOW;
}

static void analyze(struct cls *c)
{
	struct tok pk;

	if (peek_kw(c) == K_FORMAT) {
		next(c);
		skip_format(c);
	}
	peek(c, &pk);
	if (is_inner_start(&pk) && kwof(&pk) != K_TABLE) { /* ANALYZE SELECT … (MariaDB): runs it */
		next(c);
		c->flags |= WS_F_EXECUTES;
		stmt(c);
		c->kind = WS_STMT_SHOW;
		return;
	}
	c->flags |= WS_F_IMPLICIT_COMMIT; /* ANALYZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE … */
	drain(c);
}

static void use(struct cls *c)
{
	const struct tok *t = next(c);

	c->kind = WS_STMT_USE;
	if (t && (t->type == T_WORD || t->type == T_QIDENT || (t->type == T_STRING && t->quote == '"'))) {
		c->db_off = t->off;
		c->db_len = t->n;
		c->has_db = true;
		c->flags |= WS_F_USE_DB | WS_F_SESSION_STATE;
		drain(c);
	} else if (t) {
		junk(c);
	} else {
		c->flags |= WS_F_PARSE_ERROR;
	}
}

static void compound(struct cls *c, size_t depth)
{
	c->kind = WS_STMT_OTHER;
	c->compound = true;
	c->block = depth;
	drain(c);
}

static void end_trx(struct cls *c, bool rollback)
{
	const struct tok *t;

	if (peek_kw(c) == K_WORK)
		next(c);
	if (rollback && peek_kw(c) == K_TO) { /* ROLLBACK [WORK] TO [SAVEPOINT] x */
		c->kind = WS_STMT_SAVEPOINT;
		drain(c);
		return;
	}
	c->kind = rollback ? WS_STMT_ROLLBACK : WS_STMT_COMMIT;
	c->flags |= WS_F_TRX_END;
	while ((t = next(c)))
		if (kwof(t) == K_CHAIN && c->pk1 == K_AND) /* AND CHAIN: the next one starts */
			c->flags |= WS_F_TRX_BEGIN;
}

static void start(struct cls *c)
{
	const struct tok *t = next(c);
	bool ro = false, rw = false;

	if (!t || kwof(t) != K_TRANSACTION) { /* START SLAVE | REPLICA | GROUP_REPLICATION … */
		c->flags |= WS_F_IMPLICIT_COMMIT;
		if (!t)
			c->flags |= WS_F_PARSE_ERROR;
		drain(c);
		return;
	}
	c->kind = WS_STMT_BEGIN;
	c->flags |= WS_F_TRX_BEGIN | WS_F_IMPLICIT_COMMIT;
	while ((t = next(c))) {
		if (c->pk1 == K_READ && kwof(t) == K_ONLY)
			ro = true;
		else if (c->pk1 == K_READ && kwof(t) == K_WRITE)
			rw = true;
	}
	if (ro && !rw)
		c->flags |= WS_F_TRX_READ_ONLY;
}

static void begin(struct cls *c)
{
	if (peek_kw(c) == K_NOT) { /* BEGIN NOT ATOMIC … END (MariaDB compound statement) */
		compound(c, 1);
		return;
	}
	c->kind = WS_STMT_BEGIN;
	c->flags |= WS_F_TRX_BEGIN | WS_F_IMPLICIT_COMMIT;
	if (peek_kw(c) == K_WORK)
		next(c);
	if (next(c))
		junk(c);
}

static void flush(struct cls *c)
{
	const struct tok *t;

	c->flags |= WS_F_IMPLICIT_COMMIT;
	while ((t = next(c))) {
		unsigned k = kwof(t);

		/* FLUSH TABLES … WITH READ LOCK / FOR EXPORT hold locks until UNLOCK TABLES */
		if ((k == K_LOCK && c->pk1 == K_READ && c->pk2 == K_WITH) || (k == K_EXPORT && c->pk1 == K_FOR))
			c->flags |= WS_F_LOCK_TABLES;
	}
}

/* One statement; c->cur is its first token. */
static void stmt(struct cls *c)
{
	const struct tok *t = c->cur;
	unsigned k = kwof(t), k2;
	struct tok pk;

	c->write = true;
	c->kind = WS_STMT_OTHER;
	if (is_punct(t, '(')) {
		paren_select(c);
		return;
	}
	switch (k) {
	case K_SELECT: case K_TABLE: case K_VALUES:
		select_body(c, false);
		return;
	case K_WITH:
		select_body(c, true);
		return;
	case K_INSERT: c->kind = WS_STMT_INSERT; break;
	case K_UPDATE: c->kind = WS_STMT_UPDATE; break;
	case K_DELETE: c->kind = WS_STMT_DELETE; break;
	case K_REPLACE: c->kind = WS_STMT_REPLACE; break;
	case K_CALL: c->kind = WS_STMT_CALL; break;
	case K_DO: c->kind = WS_STMT_DO; break;
	case K_HANDLER: c->kind = WS_STMT_HANDLER; break;
	case K_PREPARE: case K_EXECUTE: case K_DEALLOCATE: c->kind = WS_STMT_PREPARE; break;
	case K_SAVEPOINT: c->kind = WS_STMT_SAVEPOINT; break;
	case K_SET: set_stmt(c); return;
	case K_SHOW: show(c); return;
	case K_EXPLAIN: case K_DESCRIBE: case K_DESC: explain(c); return;
	case K_ANALYZE: analyze(c); return;
	case K_USE: use(c); return;
	case K_BEGIN: begin(c); return;
	case K_START: start(c); return;
	case K_COMMIT: end_trx(c, false); return;
	case K_ROLLBACK: end_trx(c, true); return;
	case K_CREATE: case K_ALTER: ddl(c, k == K_CREATE); return;
	case K_DROP: drop(c); return;
	case K_FLUSH: flush(c); return;
	case K_RELEASE:
		c->kind = WS_STMT_SAVEPOINT;
		if (peek_kw(c) != K_SAVEPOINT)
			c->flags |= WS_F_PARSE_ERROR;
		break;
	case K_LOCK: case K_UNLOCK:
		c->kind = k == K_LOCK ? WS_STMT_LOCK : WS_STMT_UNLOCK;
		k2 = peek_kw(c);
		if (k2 == K_TABLE || k2 == K_TABLES)
			c->flags |= k == K_LOCK ? WS_F_LOCK_TABLES | WS_F_IMPLICIT_COMMIT : WS_F_UNLOCK_TABLES;
		break;
	case K_LOAD:
		k2 = peek_kw(c);
		if (k2 == K_DATA || k2 == K_XML)
			c->kind = WS_STMT_LOAD;
		else if (k2 == K_INDEX)
			c->flags |= WS_F_IMPLICIT_COMMIT;
		break;
	case K_XA:
		c->kind = WS_STMT_XA;
		c->flags |= WS_F_XA;
		k2 = peek_kw(c);
		if (k2 == K_START || k2 == K_BEGIN)
			c->flags |= WS_F_TRX_BEGIN;
		else if (k2 == K_COMMIT || k2 == K_ROLLBACK)
			c->flags |= WS_F_TRX_END;
		break;
	case K_RENAME: case K_TRUNCATE:
		c->kind = WS_STMT_DDL;
		c->flags |= WS_F_IMPLICIT_COMMIT;
		break;
	case K_GRANT: case K_REVOKE: case K_RESET: case K_OPTIMIZE: case K_REPAIR: case K_CHECK:
	case K_CACHE: case K_INSTALL: case K_UNINSTALL: case K_CHANGE: case K_STOP:
		c->flags |= WS_F_IMPLICIT_COMMIT;
		break;
	case K_KILL: case K_SHUTDOWN: case K_RESTART: case K_BINLOG: case K_SIGNAL: case K_RESIGNAL:
	case K_GET: case K_HELP: case K_BACKUP: case K_CLONE: case K_IMPORT: case K_CHECKSUM: case K_PURGE:
		break;
	case K_IF: case K_CASE: case K_LOOP: case K_WHILE: case K_REPEAT: case K_FOR:
		compound(c, 1); /* MariaDB runs these outside stored programs too */
		return;
	default:
		peek(c, &pk);
		if (t->type == T_WORD && is_punct(&pk, ':')) { /* label: BEGIN NOT ATOMIC … */
			compound(c, 0);
			return;
		}
		c->flags |= WS_F_PARSE_ERROR;
		break;
	}
	drain(c);
}

/* ---- parts and verdicts ---- */

struct part_info {
	bool gated, backslash, open_quote;
};

static void cls_init(struct cls *c, const char *s, size_t len, size_t off, unsigned mode,
		     uint8_t route, int8_t cons)
{
	memset(c, 0, offsetof(struct cls, cur));
	c->lx.s = (const unsigned char *)s;
	c->lx.len = len;
	c->lx.pos = off;
	c->lx.mode = mode;
	c->lx.hint_route = route;
	c->lx.hint_cons = cons;
	/* Before the first token, cur and prev are placeholders that are nothing. */
	c->slot[0].type = c->slot[1].type = T_END;
	c->slot[0].kw = c->slot[1].kw = K_NONE;
	c->cur = &c->slot[0];
	c->prev = &c->slot[1];
}

static void verdict_empty(struct ws_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->flags = WS_F_WRITE;
	v->kind = WS_STMT_OTHER;
	v->hint_route = WS_HINT_NONE;
	v->hint_consistency = -1;
}

/*
 * Classify the statement at *off (skipping empty ones): true and the verdict,
 * *off past its ';'; false and an empty verdict (with any hints and parse error
 * seen) when only space and comments remain.
 */
static bool part(const char *s, size_t len, size_t *off, struct ws_verdict *v, unsigned mode,
		 struct part_info *pi)
{
	struct cls c;
	size_t o = *off;
	uint8_t route = WS_HINT_NONE;
	int8_t cons = -1;
	bool err = false;
	uint32_t f;

	for (;;) {
		cls_init(&c, s, len, o, mode, route, cons);
		if (next(&c))
			break;
		route = c.lx.hint_route;
		cons = c.lx.hint_cons;
		err |= c.lx.err || c.lx.in_exec;
		if (c.end >= len) {
			verdict_empty(v);
			if (err)
				v->flags |= WS_F_PARSE_ERROR;
			v->hint_route = (enum ws_hint_route)route;
			v->hint_consistency = cons;
			pi->gated = pi->backslash = false;
			pi->open_quote = c.lx.err_quote;
			*off = len;
			return false;
		}
		o = c.end; /* an empty statement: ";;" */
	}
	stmt(&c);
	drain(&c);

	f = c.flags;
	if (err || c.lx.err || c.lx.in_exec || c.paren)
		f |= WS_F_PARSE_ERROR;
	if (f & FORCE_WRITE)
		c.write = true;
	f |= c.write ? WS_F_WRITE : WS_F_READ;
	memset(v, 0, sizeof(*v));
	v->flags = f;
	v->kind = (enum ws_stmt_kind)c.kind;
	v->hint_route = (enum ws_hint_route)c.lx.hint_route;
	v->hint_consistency = c.lx.hint_cons;
	v->n_statements = 1;
	if (c.has_temp) {
		v->temp_name = s + c.temp_off;
		v->temp_name_len = c.temp_len;
	}
	if (c.has_db) {
		v->db = s + c.db_off;
		v->db_len = c.db_len;
	}
	pi->gated = c.lx.saw_gated;
	pi->backslash = c.lx.saw_backslash;
	pi->open_quote = c.lx.err_quote;
	*off = c.end;
	return true;
}

/* Under reading `mode`, is every statement in [start, end) a read, or one the
 * server rejects (unterminated quote)? */
static bool reads_under(const char *s, size_t start, size_t end, unsigned mode)
{
	struct ws_verdict v;
	struct part_info pi;
	size_t off = start;

	while (part(s, end, &off, &v, mode, &pi))
		if (!(v.flags & WS_F_READ) && !pi.open_quote)
			return false;
	return true;
}

static bool readings_agree(const char *s, size_t start, size_t end, const struct part_info *pi)
{
	static const unsigned modes[] = {
		LX_GATED_AS_COMMENT,
		LX_NO_ESC_DQ,
		LX_NO_ESC_DQ | LX_NO_ESC_SQ,
		LX_GATED_AS_COMMENT | LX_NO_ESC_DQ,
		LX_GATED_AS_COMMENT | LX_NO_ESC_DQ | LX_NO_ESC_SQ,
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if ((modes[i] & LX_GATED_AS_COMMENT) && !pi->gated)
			continue;
		if ((modes[i] & LX_NO_ESC_DQ) && !pi->backslash)
			continue;
		if (!reads_under(s, start, end, modes[i]))
			return false;
	}
	return true;
}

static void merge_hints(struct ws_verdict *out, const struct ws_verdict *v)
{
	if (v->hint_route == WS_HINT_PRIMARY || out->hint_route == WS_HINT_NONE)
		out->hint_route = v->hint_route;
	if (v->hint_consistency > out->hint_consistency)
		out->hint_consistency = v->hint_consistency;
}

/* One statement, as ws_classify_next() reports it: re-checked under the other
 * readings when its bytes could be read differently. */
static bool classify_part(const char *text, size_t len, size_t *offset, struct ws_verdict *out,
			  struct part_info *pi)
{
	size_t start = *offset;

	if (!part(text, len, offset, out, 0, pi))
		return false;
	if ((out->flags & WS_F_READ) && (pi->gated || pi->backslash) &&
	    !readings_agree(text, start, *offset, pi))
		out->flags = (out->flags & ~(uint32_t)WS_F_READ) | WS_F_WRITE;
	return true;
}

void ws_classify_full(const char *text, size_t len, struct ws_verdict *out)
{
	struct ws_verdict v;
	struct part_info pi, seen;
	size_t off = 0, n;
	uint32_t flags;
	bool all_read, tail = true;

	if (!text)
		len = 0;
	/* The common case, one statement and nothing after it: its verdict is
	 * the text's. None: the empty verdict, with any hints. */
	if (!classify_part(text, len, &off, out, &pi) || off >= len)
		return;
	n = 1;
	flags = out->flags;
	all_read = (out->flags & WS_F_READ) != 0;
	seen = pi;
	while (classify_part(text, len, &off, &v, &pi)) {
		n++;
		if (!out->temp_name && v.temp_name) {
			out->temp_name = v.temp_name;
			out->temp_name_len = v.temp_name_len;
		}
		if (!out->db && v.db) {
			out->db = v.db;
			out->db_len = v.db_len;
		}
		flags |= v.flags;
		all_read &= (v.flags & WS_F_READ) != 0;
		merge_hints(out, &v);
		seen.gated |= pi.gated;
		seen.backslash |= pi.backslash;
		if (off >= len) {
			tail = false; /* nothing after it: no need to look */
			break;
		}
	}
	if (tail) { /* the comments after the last statement */
		merge_hints(out, &v);
		flags |= v.flags & WS_F_PARSE_ERROR;
	}
	flags &= ~(uint32_t)(WS_F_READ | WS_F_WRITE);
	if (n > 1)
		flags |= WS_F_MULTI;
	if (flags & WS_F_PARSE_ERROR)
		all_read = false;
	/* The parts were re-checked one by one; another reading may also move
	 * the boundaries between them, or turn the comments after the last one
	 * into a statement, so the whole text is re-checked too. */
	if (all_read && (seen.gated || seen.backslash) && !readings_agree(text, 0, len, &seen))
		all_read = false;
	out->flags = flags | (all_read ? WS_F_READ : WS_F_WRITE);
	out->n_statements = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* ---- the fast path ---- */

/*
 * Most traffic is a handful of shapes: SELECT … FROM … WHERE … with names,
 * numbers, plain strings and operators, and single-row INSERT / UPDATE /
 * DELETE / REPLACE. For those, ws_classify_fast() makes one pass over the
 * bytes with a class table, no token structs and no calls (but a keyword
 * lookup for the rare word that may be one that matters), and stores the
 * verdict the full path would store; on anything else it gives up and the full
 * path runs. It gives up rather than reason:
 *
 *   - the first word must be SELECT, INSERT, UPDATE, DELETE or REPLACE (so
 *     stmt() goes straight to select_body(), or sets the kind and drains);
 *   - no comment of any kind (#, "-- ", slash-star: hints and executable
 *     comments live there), no ';' (MULTI), no '@' (USER_VAR, @@sysvars), no
 *     '"' (ANSI_QUOTES), no ':' (:=), no backslash outside or inside '…'
 *     (the other readings), no control or non-ASCII byte outside quotes (0xA0
 *     may be a space), no unterminated quote, no unbalanced ')', no '(' left
 *     open (all PARSE_ERROR);
 *   - no word that next() or select_body() acts on: the FX_DENY lists below,
 *     which hold every keyword those two look at (for a write, only those
 *     next() looks at, since stmt() only drains it). Words are checked after
 *     a '.' too, where the full path would ignore most of them: stricter, so
 *     still exact;
 *   - no '(' after a backquoted name that is_primary_call() would take for a
 *     primary function (the same lookup on the same bytes). A bare word
 *     before '(' needs no check: a primary function is a denied keyword.
 *
 * Inside '…' and `…` only the closing quote (doubled: escaped) and, in '…',
 * the backslash matter to the full lexer, so any other byte is allowed there.
 * The fast scanner's tokens are not always the full lexer's (it splits 1.5e3
 * at '.' and '+'), but a run that starts with a digit is never a keyword to
 * either, and the pieces it splits off start with a digit, so the words it
 * checks include all those the full path looks up.
 *
 * tests/unit/test-classify.c and tests/fuzz/fuzz-classify.c hold the two paths
 * against each other. A keyword newly acted on in next() or select_body()
 * must be added to FX_DENY_*.
 */
#define FX_DENY_DML(X, a) X(FOR, a) X(CURRVAL, a) KW_PRIMARY_FUNCS(X, a)
#define FX_DENY_SELECT_ONLY(X, a) X(INTO, a) X(LOCK, a) X(SHARE, a) X(UPDATE, a) X(DELETE, a) \
	X(INSERT, a) X(REPLACE, a) X(SQL_CALC_FOUND_ROWS, a)

enum { FX_IN_DML = 1, FX_IN_SELECT = 2 };

#define FX_DENY_BOTH(w, a) [K_##w] = FX_IN_DML | FX_IN_SELECT,
#define FX_DENY_SEL(w, a) [K_##w] = FX_IN_SELECT,
static const uint8_t fx_deny[K_COUNT] = {
	FX_DENY_DML(FX_DENY_BOTH, 0)
	FX_DENY_SELECT_ONLY(FX_DENY_SEL, 0)
};

/* Filter before the lookup: bit n of fx_filter[c] is set when a denied keyword
 * of n letters starts with letter c (either case). Built from the keyword
 * groups, so a word that misses it cannot be a denied keyword. */
#define FX_IS(w, k) || (k) == K_##w
#define FX_DENIED(k) (0 FX_DENY_DML(FX_IS, k) FX_DENY_SELECT_ONLY(FX_IS, k))
#define FX_BIT(w) | (FX_DENIED(K_##w) ? UINT64_C(1) << (sizeof(#w) - 1) : 0)
#define FX_ROW(l, L, G) [l] = 0 G(FX_BIT), [L] = 0 G(FX_BIT),
static const uint64_t fx_filter[128] = {
	FX_ROW('a', 'A', KW_A) FX_ROW('b', 'B', KW_B) FX_ROW('c', 'C', KW_C) FX_ROW('d', 'D', KW_D)
	FX_ROW('e', 'E', KW_E) FX_ROW('f', 'F', KW_F) FX_ROW('g', 'G', KW_G) FX_ROW('h', 'H', KW_H)
	FX_ROW('i', 'I', KW_I) FX_ROW('k', 'K', KW_K) FX_ROW('l', 'L', KW_L) FX_ROW('m', 'M', KW_M)
	FX_ROW('n', 'N', KW_N) FX_ROW('o', 'O', KW_O) FX_ROW('p', 'P', KW_P) FX_ROW('r', 'R', KW_R)
	FX_ROW('s', 'S', KW_S) FX_ROW('t', 'T', KW_T) FX_ROW('u', 'U', KW_U) FX_ROW('v', 'V', KW_V)
	FX_ROW('w', 'W', KW_W) FX_ROW('x', 'X', KW_X)
};

/* The word loop skips words of one or two letters. */
#define FX_SHORT(w) || (FX_DENIED(K_##w) && sizeof(#w) - 1 < 3)
_Static_assert(!(0 KW_A(FX_SHORT) KW_B(FX_SHORT) KW_C(FX_SHORT) KW_D(FX_SHORT) KW_E(FX_SHORT)
		 KW_F(FX_SHORT) KW_G(FX_SHORT) KW_H(FX_SHORT) KW_I(FX_SHORT) KW_K(FX_SHORT)
		 KW_L(FX_SHORT) KW_M(FX_SHORT) KW_N(FX_SHORT) KW_O(FX_SHORT) KW_P(FX_SHORT)
		 KW_R(FX_SHORT) KW_S(FX_SHORT) KW_T(FX_SHORT) KW_U(FX_SHORT) KW_V(FX_SHORT)
		 KW_W(FX_SHORT) KW_X(FX_SHORT)),
	       "a denied keyword of fewer than three letters: see the word loop in classify_fast()");

/* Lowest and highest set bit of x != 0. */
#if defined(__GNUC__)
#define fx_ctz(x) ((unsigned)__builtin_ctzll(x))
#define fx_top(x) (63u - (unsigned)__builtin_clzll(x))
#else
static inline unsigned fx_ctz(uint64_t x)
{
	unsigned n = 0;

	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}

static inline unsigned fx_top(uint64_t x)
{
	unsigned n = 0;

	while (x >>= 1)
		n++;
	return n;
}
#endif

/* Byte classes of the fast scanner, outside quotes. The two that continue a
 * word come last, so that test is one compare. */
#define FX_STOP   0 /* give up */
#define FX_SPACE  1
#define FX_PUNCT  2
#define FX_SQUOTE 3
#define FX_BQUOTE 4
#define FX_OPEN   5
#define FX_CLOSE  6
#define FX_MARK   7 /* '-', '/': a comment if "--" or slash-star follows */
#define FX_WORD   8 /* letters, '_', '$' */
#define FX_DIGIT  9
static const uint8_t fx_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,  /* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 10 */
	1, 2, 0, 0, 8, 2, 2, 3, 5, 6, 2, 2, 2, 7, 2, 7,  /* 20  !"#$%&'()*+,-./ */
	9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 2, 2, 2, 2,  /* 30 0-9 :;<=>? */
	0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,  /* 40 @A-O */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 0, 2, 2, 8,  /* 50 P-Z[\]^_ */
	4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,  /* 60 `a-o */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 0,  /* 70 p-z{|}~ DEL */
	/* 80-ff: FX_STOP */
};

static inline bool fx_word_byte(unsigned char c)
{
	return fx_class[c] >= FX_WORD;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FX_SWAR 1
#define FX_ONES UINT64_C(0x0101010101010101)
#define FX_LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)

/* The top bit of each byte of x that equals c, and no other bit. Exact (the
 * usual (t - 0x01…) & ~t test also flags bytes after a match). */
static inline uint64_t fx_bytes_eq(uint64_t x, unsigned char c)
{
	uint64_t t = x ^ (FX_ONES * c);

	return ~(((t & FX_LOW7) + FX_LOW7) | t | FX_LOW7);
}
#endif

/* The first byte at or after p that ends the body of a literal quoted with q:
 * q itself, or a backslash in '…' (where one escapes). end if none. Long
 * strings are the bulk of an INSERT: eight bytes at a time. */
static inline const unsigned char *fx_quote_stop(const unsigned char *p, const unsigned char *end,
						 unsigned char q)
{
#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)
	for (; end - p >= 16; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i e = _mm_cmpeq_epi8(x, _mm_set1_epi8((char)q));
		unsigned m;

		if (q == '\'')
			e = _mm_or_si128(e, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
		if ((m = (unsigned)_mm_movemask_epi8(e)))
			return p + fx_ctz(m);
	}
#endif
#ifdef FX_SWAR
	for (; end - p >= 8; p += 8) {
		uint64_t x, m;

		memcpy(&x, p, 8);
		m = fx_bytes_eq(x, q) | (q == '\'' ? fx_bytes_eq(x, '\\') : 0);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
	}
#endif
	while (p < end && *p != q && !(*p == '\\' && q == '\''))
		p++;
	return p;
}

/* p just after the opening quote q; the position after the closing one, or
 * NULL to give up (no closing quote; a backslash in '…'). */
static inline const unsigned char *fx_quoted(const unsigned char *p, const unsigned char *end,
					      unsigned char q)
{
	for (;;) {
		p = fx_quote_stop(p, end, q);
		if (p == end || *p != q)
			return NULL;
		if (p + 1 < end && p[1] == q) {
			p += 2; /* doubled: an escaped quote */
			continue;
		}
		return p + 1;
	}
}

/*
 * The scanner reads the text in windows of up to 64 bytes, each summed up in
 * three masks (bit i: byte i of the window):
 *   word   the byte continues a word: a letter, digit, '_' or '$';
 *   letter an ASCII letter;
 *   other  neither a word byte nor a quiet one (space , . < = > ?), which
 *          needs nothing but to end a word: quotes, parentheses, '-', '/',
 *          every byte that makes the scanner give up, and some harmless
 *          punctuation (tab, newline, * + …) that the switch passes over.
 * Only the "other" bytes and the letters that start a word (the byte before
 * is not a word byte) are visited; a run of word bytes that starts with a
 * digit, '_' or '$' is never a denied keyword (the filter is 0 there). Bytes
 * past the end are never read: where fewer than 16 bytes are left, the text's
 * last 16 are read and their masks shifted; a text shorter than 16 bytes is
 * classified byte by byte.
 */
#define FX_WIN 64
#define FX_BLK 16

struct fx_masks {
	uint64_t word, letter, other;
};

/* n < FX_BLK bytes at s, through the class table. */
static inline void fx_masks_bytes(const unsigned char *s, size_t n, struct fx_masks *m)
{
	m->word = m->letter = m->other = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned k = fx_class[s[i]];

		m->word |= (uint64_t)(k >= FX_WORD) << i;
		m->letter |= (uint64_t)(k == FX_WORD && s[i] != '_' && s[i] != '$') << i;
		m->other |= (uint64_t)(k != FX_SPACE && k != FX_PUNCT && k < FX_WORD) << i;
	}
}

#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)

/* The FX_BLK bytes at s. A range is tested as a signed compare after moving
 * its first byte to -128. */
static inline void fx_masks_blk(const unsigned char *s, uint32_t *word, uint32_t *letter, uint32_t *other)
{
#define FX_SET(c) _mm_set1_epi8((char)(c))
#define FX_RANGE(x, lo, hi) _mm_cmplt_epi8(_mm_add_epi8(x, FX_SET(0x80 - (lo))), FX_SET(0x80 + (hi) - (lo) + 1))
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i l = FX_RANGE(_mm_or_si128(x, FX_SET(0x20)), 'a', 'z');
	__m128i w = _mm_or_si128(_mm_or_si128(l, FX_RANGE(x, '0', '9')),
				 _mm_or_si128(_mm_cmpeq_epi8(x, FX_SET('_')), _mm_cmpeq_epi8(x, FX_SET('$'))));
	/* quiet: ' ', then ',' '.' (x | 2 == '.'), then '<' '=' '>' '?' (x & ~3 == '<') */
	__m128i quiet = _mm_or_si128(_mm_cmpeq_epi8(x, FX_SET(' ')),
				     _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(x, FX_SET(2)), FX_SET('.')),
						  _mm_cmpeq_epi8(_mm_and_si128(x, FX_SET(~3)), FX_SET('<'))));

	*word = (uint32_t)_mm_movemask_epi8(w);
	*letter = (uint32_t)_mm_movemask_epi8(l);
	*other = (uint32_t)_mm_movemask_epi8(_mm_or_si128(w, quiet)) ^ 0xffff;
#undef FX_RANGE
#undef FX_SET
}

/* The backquotes, quotes and backslashes among the FX_BLK bytes at s. */
static inline void fx_quotes_blk(const unsigned char *s, uint32_t *bq, uint32_t *sq, uint32_t *bs)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);

	*bq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('`')));
	*sq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
	*bs = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
}
#else
static inline void fx_masks_blk(const unsigned char *s, uint32_t *word, uint32_t *letter, uint32_t *other)
{
	struct fx_masks m;

	fx_masks_bytes(s, FX_BLK, &m);
	*word = (uint32_t)m.word;
	*letter = (uint32_t)m.letter;
	*other = (uint32_t)m.other;
}

static inline void fx_quotes_blk(const unsigned char *s, uint32_t *bq, uint32_t *sq, uint32_t *bs)
{
	*bq = *sq = *bs = 0;
	for (unsigned i = 0; i < FX_BLK; i++) {
		*bq |= (uint32_t)(s[i] == '`') << i;
		*sq |= (uint32_t)(s[i] == '\'') << i;
		*bs |= (uint32_t)(s[i] == '\\') << i;
	}
}
#endif

/* The masks of the n bytes at p (0 < n <= FX_WIN): whole blocks from p,
 * then the block that ends the n bytes, shifted so that only the bytes not
 * in the blocks before it are left. Nothing at or past end is read, nothing
 * before start: p + n is end or more than FX_BLK bytes after p. */
HOT void fx_masks_win(const unsigned char *p, size_t n, const unsigned char *start,
		      const unsigned char *end, struct fx_masks *m)
{
	unsigned off = (unsigned)(n - 1) & ~(FX_BLK - 1u), shift = off + FX_BLK - (unsigned)n;
	uint32_t w, l, o;

	if (end - start < FX_BLK) {
		fx_masks_bytes(p, n, m);
		return;
	}
	fx_masks_blk(p + n - FX_BLK, &w, &l, &o);
	m->word = (uint64_t)(w >> shift) << off;
	m->letter = (uint64_t)(l >> shift) << off;
	m->other = (uint64_t)(o >> shift) << off;
	if (off == 0)
		return;
	fx_masks_blk(p, &w, &l, &o);
	m->word |= w;
	m->letter |= l;
	m->other |= o;
	if (off == FX_BLK)
		return;
	fx_masks_blk(p + FX_BLK, &w, &l, &o);
	m->word |= (uint64_t)w << FX_BLK;
	m->letter |= (uint64_t)l << FX_BLK;
	m->other |= (uint64_t)o << FX_BLK;
	if (off == 2 * FX_BLK)
		return;
	fx_masks_blk(p + 2 * FX_BLK, &w, &l, &o);
	m->word |= (uint64_t)w << 2 * FX_BLK;
	m->letter |= (uint64_t)l << 2 * FX_BLK;
	m->other |= (uint64_t)o << 2 * FX_BLK;
}

/* A word of n letters at w that the full path would act on in this context? */
static inline bool fx_denied(const unsigned char *w, size_t n, unsigned ctx)
{
	/* Bit n & 63: a word of 64 letters or more may hit the filter for
	 * nothing, never miss it. */
	return (fx_filter[*w] >> (n & 63) & 1) && (fx_deny[kw_lookup(w, n)] & ctx);
}

/* The statement's first word at p (avail bytes), as stmt() would take it
 * (load_folded() is the compare kw_lookup() makes): its length, or 0 when it
 * is not one the fast path answers for. */
static inline size_t fx_first_word(const unsigned char *p, size_t avail, enum ws_stmt_kind *kind)
{
	size_t n = 6;

	if (avail < 6)
		return 0;
	uint64_t x = load_folded(p, 6);
	if (x == load_folded("SELECT", 6))
		*kind = WS_STMT_SELECT;
	else if (x == load_folded("INSERT", 6))
		*kind = WS_STMT_INSERT;
	else if (x == load_folded("UPDATE", 6))
		*kind = WS_STMT_UPDATE;
	else if (x == load_folded("DELETE", 6))
		*kind = WS_STMT_DELETE;
	else if (avail >= 7 && load_folded(p, 7) == load_folded("REPLACE", 7))
		*kind = WS_STMT_REPLACE, n = 7;
	else
		return 0;
	return n < avail && fx_word_byte(p[n]) ? 0 : n; /* SELECTED is not SELECT */
}

#if defined(__GNUC__)
#define FX_NOINLINE __attribute__((noinline))
#else
#define FX_NOINLINE
#endif

/* Bit i of the result: the parity of the bits 0..i of x. */
static inline uint64_t fx_prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	return x ^ x << 32;
}

/* The backquotes, quotes and backslashes among the n bytes at p, read the way
 * fx_masks_win() reads them. */
static inline void fx_quote_masks(const unsigned char *p, size_t n, const unsigned char *start,
				  const unsigned char *end, uint64_t *bq, uint64_t *sq, uint64_t *bs)
{
	*bq = *sq = *bs = 0;
	if (end - start < FX_BLK) {
		for (size_t i = 0; i < n; i++) {
			*bq |= (uint64_t)(p[i] == '`') << i;
			*sq |= (uint64_t)(p[i] == '\'') << i;
			*bs |= (uint64_t)(p[i] == '\\') << i;
		}
		return;
	}
	unsigned off = (unsigned)(n - 1) & ~(FX_BLK - 1u), shift = off + FX_BLK - (unsigned)n;
	uint32_t b, s, k;

	fx_quotes_blk(p + n - FX_BLK, &b, &s, &k);
	*bq = (uint64_t)(b >> shift) << off;
	*sq = (uint64_t)(s >> shift) << off;
	*bs = (uint64_t)(k >> shift) << off;
	for (unsigned i = 0; i < off; i += FX_BLK) {
		fx_quotes_blk(p + i, &b, &s, &k);
		*bq |= (uint64_t)b << i;
		*sq |= (uint64_t)s << i;
		*bs |= (uint64_t)k << i;
	}
}

/*
 * The "other" bytes of the wl bytes at p (bits of `other`), in order. Takes
 * the letters inside quotes out of *starts. Returns where the next window
 * starts: p + wl, or after a quote that ends past this window; NULL to give
 * up. Out of line: the word loop in the caller stays small, and a point
 * select has no such byte.
 *
 * Quotes are taken a window at a time: the bytes inside '…' are those where
 * the count of ' so far is odd, and likewise for `…` (a doubled quote, an
 * escaped one, just ends and restarts the quote: same bytes inside). That
 * holds unless a quote of one kind lies inside a quote of the other; then, as
 * for a quote that the window does not close, they are read one by one.
 */
static FX_NOINLINE const unsigned char *fx_others(const unsigned char *start, const unsigned char *end,
						  unsigned *depth, const unsigned char *p, size_t wl,
						  uint64_t other, uint64_t *starts)
{
	const unsigned char *w, *q, *resume = p + wl;
	bool one_by_one = false;

	while (other) {
		unsigned i = fx_ctz(other);
		unsigned char c;

		w = p + i;
		c = *w;
		switch (fx_class[c] & 15) { /* & 15: no range check before the jump table */
		case FX_SQUOTE: case FX_BQUOTE:
			if (!one_by_one) { /* the first quote of the window: all of them at once */
				uint64_t bq, sq, bs, ib, is, hide;

				fx_quote_masks(p, wl, start, end, &bq, &sq, &bs);
				ib = fx_prefix_xor(bq);
				is = fx_prefix_xor(sq);
				if ((ib & sq) | (is & bq)) { /* one kind inside the other */
					one_by_one = true;
					continue;
				}
				hide = ib | is | bq | sq;
				if ((ib | is) >> (wl - 1) & 1) { /* the last quote ends past the window */
					unsigned k = fx_top(bq | sq);

					if (!(resume = fx_quoted(p + k + 1, end, p[k])))
						return NULL;
					other &= (UINT64_C(1) << k) - 1;
					*starts &= (UINT64_C(1) << k) - 1;
					is &= (UINT64_C(1) << k) - 1;
				}
				if (bs & is)
					return NULL; /* a backslash in '…': the other readings */
				other &= ~hide;
				*starts &= ~hide;
				continue;
			}
			if (!(q = fx_quoted(w + 1, end, c)))
				return NULL;
			if ((size_t)(q - p) >= wl) { /* it ends past this window: go on after it */
				*starts &= (UINT64_C(1) << i) - 1;
				return q;
			}
			/* nothing inside the quotes matters */
			other &= ~UINT64_C(0) << (q - p);
			*starts &= ~(~UINT64_C(0) << i & ~(~UINT64_C(0) << (q - p)));
			continue;
		case FX_OPEN:
			/* `name`( or `name` (: a call, if the name is a primary
			 * function's (as is_primary_call() sees it). A bare name
			 * needs no check: a primary function is a denied word. */
			for (q = w; q > start && fx_class[q[-1]] == FX_SPACE; q--)
				;
			if (q > start && q[-1] == '`') { /* after a quoted name: where it starts */
				const unsigned char *o = q - 1;

				while (o[-1] != '`') /* the opening quote is there */
					o--;
				/* A doubled quote in the name ("`a``b`"): no function's. */
				if (o[-2] != '`' && kw_is_primary_func(kw_lookup(o, (size_t)(q - 1 - o))))
					return NULL;
			}
			++*depth;
			break;
		case FX_CLOSE:
			if (*depth == 0)
				return NULL;
			--*depth;
			break;
		case FX_MARK:
			if (w + 1 < end && w[1] == (c == '-' ? '-' : '*'))
				return NULL;
			break;
		case FX_SPACE: case FX_PUNCT:
			break;
		default: /* FX_STOP */
			return NULL;
		}
		other &= other - 1;
	}
	return resume;
}

/* Inline in ws_classify(): a call there is a tenth of the work. */
HOT bool classify_fast(const char *text, size_t len, struct ws_verdict *out)
{
	const unsigned char *start = (const unsigned char *)text, *end = start + len, *p = start;
	unsigned depth = 0; /* '(' open */
	uint64_t carry = 0; /* the byte before the window is a word byte */
	enum ws_stmt_kind kind = WS_STMT_OTHER;
	unsigned ctx;
	size_t n;

	if (!text)
		return false;
	while (p < end && fx_class[*p] == FX_SPACE)
		p++;
	if (!(n = fx_first_word(p, (size_t)(end - p), &kind)))
		return false;
	ctx = kind == WS_STMT_SELECT ? FX_IN_SELECT : FX_IN_DML;
	for (p += n; p < end;) {
		size_t wl = (size_t)(end - p) < FX_WIN ? (size_t)(end - p) : FX_WIN;
		const unsigned char *next = p + wl, *last = NULL, *q;
		struct fx_masks m;
		uint64_t starts;

		fx_masks_win(p, wl, start, end, &m);
		starts = m.letter & ~(m.word << 1 | carry);
		carry = 0;
		/* First the bytes that are not words, in order: a quote hides what
		 * it holds from the word loop. */
		if (m.other && !(next = fx_others(start, end, &depth, p, wl, m.other, &starts)))
			return false;
		/* A run of word bytes that ends a whole window may go on past it. */
		if (m.word >> (FX_WIN - 1) && next == p + wl) {
			uint64_t before = ~m.word;
			unsigned r = before ? fx_top(before) + 1 : 0; /* where it starts */

			if (starts >> r & 1) { /* a word: checked below, with its end */
				starts &= ~(UINT64_C(1) << r);
				last = p + r;
			} else {
				carry = 1; /* not a word; if it goes on, the rest is none either */
			}
		}
		/* Then the words that start with a letter and have three letters or
		 * more (no denied keyword is shorter). Adding its first bit to a run
		 * of ones carries to the bit after it: where it ends. */
		starts &= m.word >> 1 & m.word >> 2;
		for (uint64_t after = (m.word + starts) & ~m.word; starts;
		     starts &= starts - 1, after &= after - 1) {
			unsigned i = fx_ctz(starts);

			if (fx_denied(p + i, (size_t)fx_ctz(after) - i, ctx))
				return false;
		}
		if (last) {
			for (q = p + wl; q < end && fx_word_byte(*q); q++)
				;
			if (fx_denied(last, (size_t)(q - last), ctx))
				return false;
			next = q;
		}
		p = next;
	}
	if (depth)
		return false;
	*out = (struct ws_verdict){
		.flags = kind == WS_STMT_SELECT ? WS_F_READ : WS_F_WRITE,
		.kind = kind,
		.hint_route = WS_HINT_NONE,
		.hint_consistency = -1,
		.n_statements = 1,
	};
	return true;
}

bool ws_classify_fast(const char *text, size_t len, struct ws_verdict *out)
{
	return classify_fast(text, len, out);
}

void ws_classify(const char *text, size_t len, struct ws_verdict *out)
{
	if (!classify_fast(text, len, out))
		ws_classify_full(text, len, out);
}

bool ws_classify_next(const char *text, size_t len, size_t *offset, struct ws_verdict *out)
{
	struct part_info pi;

	if (!text)
		len = 0;
	if (*offset > len)
		*offset = len;
	return classify_part(text, len, offset, out, &pi);
}

const char *ws_stmt_kind_to_string(enum ws_stmt_kind kind)
{
	static const char *const names[WS_STMT_KIND_COUNT] = {
		[WS_STMT_OTHER] = "other",      [WS_STMT_SELECT] = "select",
		[WS_STMT_INSERT] = "insert",    [WS_STMT_UPDATE] = "update",
		[WS_STMT_DELETE] = "delete",    [WS_STMT_REPLACE] = "replace",
		[WS_STMT_DDL] = "ddl",          [WS_STMT_SET] = "set",
		[WS_STMT_SHOW] = "show",        [WS_STMT_USE] = "use",
		[WS_STMT_BEGIN] = "begin",      [WS_STMT_COMMIT] = "commit",
		[WS_STMT_ROLLBACK] = "rollback", [WS_STMT_SAVEPOINT] = "savepoint",
		[WS_STMT_LOCK] = "lock",        [WS_STMT_UNLOCK] = "unlock",
		[WS_STMT_CALL] = "call",        [WS_STMT_DO] = "do",
		[WS_STMT_LOAD] = "load",        [WS_STMT_HANDLER] = "handler",
		[WS_STMT_XA] = "xa",            [WS_STMT_PREPARE] = "prepare",
	};

	if ((unsigned)kind >= WS_STMT_KIND_COUNT)
		return "other";
	return names[kind];
}

