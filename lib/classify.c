/*
 * classify.c — statement text → struct ws_verdict (docs/classifier.md; the contract
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
 * in classify-keywords.h. This file holds the statements and the verdicts;
 * the fast path in front of them (and ws_classify itself) is in classify-fast.c.
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
#include "classify.h"
#include "classify-lex.h"

#include <stddef.h>
#include <string.h>

/* ---- statements ---- */

struct cls {
	/* Zeroed by cls_init(): */
	struct lex lx;
	uint16_t pk1, pk2;   /* keyword ids of the two tokens before cur (K_NONE: not one) */
	uint8_t pt2;         /* type of the token before prev */
	unsigned char pc2;   /* its character, if T_PUNCT */
	uint32_t flags;
	bool write;          /* false only while the statement is provably a read */
	bool done;           /* the statement's ';' or the end of the text was reached */
	bool compound;       /* BEGIN…END bodies: a ';' inside a block does not end it */
	bool has_temp, has_db;
	bool soft;           /* select_body()/show(): nothing but flags can make it a write */
	bool calls;          /* name( may call a stored function that matters: in a statement that may read */
	bool cte_header;     /* WITH …: before the main statement (cte (a, b) AS … is no call) */
	uint8_t kind;
	uint8_t nest;        /* inside SET STATEMENT … FOR */
	size_t block;        /* BEGIN…END / IF…END IF / … nesting in a compound statement */
	size_t paren;
	/* Set before use: */
	struct tok *cur;     /* the token being looked at */
	struct tok *prev;    /* the one before it */
	struct tok slot[2];  /* what cur and prev point at, swapped by next() */
	size_t end;          /* offset just past the statement (after its ';') */
	struct tok qual;     /* the token before the last '.' (db of db.f()) */
	const struct ws_lexenv *env;
	size_t temp_off, temp_len, db_off, db_len; /* valid with has_temp, has_db */
};

#define FORCE_WRITE (WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_LOCKING_READ | WS_F_SELECT_INTO | \
		     WS_F_CALC_FOUND_ROWS | WS_F_PARSE_ERROR | WS_F_STORED_FUNC)
/* What no hint may move to a replica (WS_F_HINTABLE). */
#define HARD_WRITE (WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_LOCKING_READ | WS_F_SELECT_INTO | \
		    WS_F_PARSE_ERROR | WS_F_SESSION_STATE)

static void stmt(struct cls *c);

static inline unsigned kwof(const struct tok *t)
{
	return t->kw;
}

static inline bool is_punct(const struct tok *t, unsigned char ch)
{
	return t->type == T_PUNCT && t->ch == ch;
}

/* A name in quotes that the server may read as a name: `f`, and "f" under ANSI_QUOTES. */
static bool is_quoted_name(const struct cls *c, const struct tok *t)
{
	return t->type == T_QIDENT || (t->type == T_STRING && t->quote == '"' && (c->lx.mode & LX_ANSI_QUOTES));
}

static bool is_primary_call(const struct cls *c, const struct tok *t)
{
	if (t->type == T_WORD)
		return kw_is_primary_func(t->rawkw);
	if (is_quoted_name(c, t) && t->n > 0)
		return kw_is_primary_func(kw_lookup(c->lx.s + t->off, t->n));
	return false;
}

/*
 * name( in a statement that may read: is it a call of a stored function (or a
 * UDF) that the environment does not vouch for? The server's own functions
 * and keywords are in classify-server.h; a quoted name is a native function
 * or a stored one (`NOW`() calls a stored function NOW); a qualified name
 * (db.f) is always a stored one. The column list of a CTE (WITH cte (a) AS …)
 * is no call.
 */
static void note_call(struct cls *c)
{
	const struct tok *n = c->prev;
	const unsigned char *s = c->lx.s;
	const char *db = NULL;
	size_t db_len = 0;
	int fn;

	if (n->type == T_WORD)
		fn = n->after_dot ? WS_FN_NONE : ws_classify_server_func(s + n->off, n->n);
	else if (is_quoted_name(c, n))
		fn = !n->after_dot && ws_classify_server_func(s + n->off, n->n) == WS_FN_NATIVE ? WS_FN_NATIVE : WS_FN_NONE;
	else
		return;
	if (fn != WS_FN_NONE || c->pk2 == K_WITH || c->pk2 == K_RECURSIVE || (c->cte_header && c->paren == 1))
		return;
	/* Right after a literal or ')' a name is a keyword or an alias, never a
	 * call (MATCH (a) AGAINST (…), '$[*]' COLUMNS (…)); PROCEDURE ANALYSE(),
	 * FROM JSON_TABLE(…) are the server's. */
	if (c->pt2 == T_STRING || c->pt2 == T_NUMBER || (c->pt2 == T_PUNCT && c->pc2 == ')') ||
	    c->pk2 == K_PROCEDURE || ((c->pk2 == K_FROM || c->pk2 == K_JOIN) && n->type == T_WORD &&
				       ieq(s + n->off, n->n, "json_table")))
		return;
	if (n->after_dot && (c->qual.type == T_WORD || is_quoted_name(c, &c->qual))) {
		db = (const char *)s + c->qual.off;
		db_len = c->qual.n;
	}
	if (c->env && c->env->func_ok &&
	    c->env->func_ok(c->env->func_ctx, db, db_len, (const char *)s + n->off, n->n))
		return;
	c->flags |= WS_F_STORED_FUNC;
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
	c->pt2 = t->type;
	c->pc2 = t->type == T_PUNCT ? t->ch : 0;
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
			if (c->calls)
				note_call(c);
		} else if (t->ch == ')') {
			if (c->paren)
				c->paren--;
			else
				c->flags |= WS_F_PARSE_ERROR;
		} else if (t->ch == '.') {
			c->qual = *c->prev;
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
	c->calls = true;
	c->cte_header = with;
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
			if (c->paren == 0) {
				main_known = true;
				c->cte_header = false;
			}
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
	c->cte_header = false;
	c->soft = !c->write; /* a write only if a flag says so */
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
	for (;;) { /* name, or db.name: keep the last part */
		if (!t || !(t->type == T_WORD || t->type == T_QIDENT || t->type == T_STRING)) {
			junk(c);
			return;
		}
		c->temp_off = t->off;
		c->temp_len = t->n;
		peek(c, &pk);
		if (!is_punct(&pk, '.'))
			break;
		next(c); /* the '.' */
		t = next(c);
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
	c->calls = true; /* SHOW … WHERE f(x) */
	c->soft = true;  /* about this connection or the server, but no write */
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
	c->soft = false;
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

/* One way of lexing the text: sql_mode (LX_*), character set, environment. */
struct reading {
	unsigned mode;
	const struct ws_csg *cs;
	const struct ws_lexenv *env;
};

struct part_info {
	bool gated, backslash, open_quote;
};

static void cls_init(struct cls *c, const char *s, size_t len, size_t off, const struct reading *rd,
		     uint8_t route, int8_t cons)
{
	memset(c, 0, offsetof(struct cls, cur));
	c->lx.s = (const unsigned char *)s;
	c->lx.len = len;
	c->lx.pos = off;
	c->lx.mode = rd->mode;
	c->lx.cs = rd->cs;
	c->lx.hint_route = route;
	c->lx.hint_cons = cons;
	c->env = rd->env;
	/* Before the first token, cur and prev are placeholders that are nothing. */
	c->slot[0].type = c->slot[1].type = T_END;
	c->slot[0].kw = c->slot[1].kw = K_NONE;
	c->qual.type = T_END;
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
static bool part(const char *s, size_t len, size_t *off, struct ws_verdict *v, const struct reading *rd,
		 struct part_info *pi)
{
	struct cls c;
	size_t o = *off;
	uint8_t route = WS_HINT_NONE;
	int8_t cons = -1;
	struct ws_hint_fresh fresh = { 0 };
	bool err = false;
	uint32_t f;

	for (;;) {
		cls_init(&c, s, len, o, rd, route, cons);
		c.lx.fresh = fresh;
		if (next(&c))
			break;
		route = c.lx.hint_route;
		cons = c.lx.hint_cons;
		fresh = c.lx.fresh;
		err |= c.lx.err || c.lx.in_exec || c.lx.mb_hazard;
		if (c.end >= len) {
			verdict_empty(v);
			if (err)
				v->flags |= WS_F_PARSE_ERROR;
			v->hint_route = (enum ws_hint_route)route;
			v->hint_consistency = cons;
			v->fresh = fresh;
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
	if (err || c.lx.err || c.lx.in_exec || c.lx.mb_hazard || c.paren)
		f |= WS_F_PARSE_ERROR;
	if (f & FORCE_WRITE)
		c.write = true;
	f |= c.write ? WS_F_WRITE : WS_F_READ;
	if (c.write && c.soft && !(f & HARD_WRITE))
		f |= WS_F_HINTABLE;
	memset(v, 0, sizeof(*v));
	v->flags = f;
	v->kind = (enum ws_stmt_kind)c.kind;
	v->hint_route = (enum ws_hint_route)c.lx.hint_route;
	v->hint_consistency = c.lx.hint_cons;
	v->fresh = c.lx.fresh;
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

static void merge_hints(struct ws_verdict *out, const struct ws_verdict *v)
{
	if (v->hint_route == WS_HINT_PRIMARY || out->hint_route == WS_HINT_NONE)
		out->hint_route = v->hint_route;
	if (v->hint_consistency > out->hint_consistency)
		out->hint_consistency = v->hint_consistency;
	ws_hint_fresh_merge(&out->fresh, &v->fresh);
}

static bool has_hints(const struct ws_verdict *v)
{
	return v->hint_route != WS_HINT_NONE || v->hint_consistency >= 0;
}

/* What one reading makes of [start, end): is every statement a read (or one
 * the server rejects: an unterminated quote), or at least hintable; its hints. */
struct tally {
	bool read, soft;
	struct ws_verdict hints;
};

static void tally_under(const char *s, size_t start, size_t end, const struct reading *rd, struct tally *t)
{
	struct ws_verdict v;
	struct part_info pi;
	size_t off = start;
	bool more;

	t->read = t->soft = true;
	verdict_empty(&t->hints);
	do {
		more = part(s, end, &off, &v, rd, &pi);
		merge_hints(&t->hints, &v);
		if (!more)
			break; /* comments only: nothing runs */
		if (!(v.flags & WS_F_READ) && !pi.open_quote) {
			t->read = false;
			t->soft &= (v.flags & WS_F_HINTABLE) != 0;
		}
	} while (t->read || t->soft);
}

/*
 * Where the charset is unknown: the character sets whose reading of these
 * bytes can differ from group 0's (a byte that is a space there, a byte after
 * "--" that makes a comment there and not in group 0 or the other way round,
 * a byte >= 0x81 before '\' or '`' in sjis & co.). Bit g: group g.
 */
static unsigned differing_groups(const unsigned char *s, size_t start, size_t end)
{
	uint64_t present[2] = { 0, 0 }, dashed[2] = { 0, 0 };
	bool dash_del = false, trail = false;
	unsigned groups = 0, any = 0;

	/* Most texts are ASCII: eight bytes at a time, is any byte >= 0x80 or
	 * 0x7F (a zero byte of x ^ 0x7F…; the usual test, which may also flag
	 * bytes after a true one: never a miss). */
	{
		const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
		size_t i = start;
		uint64_t acc = 0;

		for (; i + 8 <= end; i += 8) {
			uint64_t x, d;

			memcpy(&x, s + i, 8);
			d = x ^ (ones * 0x7F);
			acc |= x | ((d - ones) & ~d);
		}
		for (; i < end; i++)
			any |= s[i] | (unsigned char)(s[i] + 1);
		if (!((acc & high) | (any & 0x80)))
			return 0;
	}
	for (size_t i = start; i < end; i++) {
		unsigned char b = s[i];

		if (b < 0x7F)
			continue;
		if (b == 0x7F) {
			dash_del |= i >= start + 2 && s[i - 1] == '-' && s[i - 2] == '-';
			continue;
		}
		present[(b >> 6) & 1] |= UINT64_C(1) << (b & 63);
		if (i >= start + 2 && s[i - 1] == '-' && s[i - 2] == '-')
			dashed[(b >> 6) & 1] |= UINT64_C(1) << (b & 63);
		if (b >= 0x81 && i + 1 < end && (s[i + 1] == '\\' || s[i + 1] == '`'))
			trail = true;
	}
	for (unsigned g = 1; g < WS_CSG_COUNT; g++) {
		const struct ws_csg *cs = &ws_csg[g];

		if ((present[0] & cs->space[0]) | (present[1] & cs->space[1]) |
		    (dashed[0] & (cs->dash[0] ^ ws_csg[0].dash[0])) | (dashed[1] & (cs->dash[1] ^ ws_csg[0].dash[1])) ||
		    (dash_del && cs->dash_del != ws_csg[0].dash_del) || (trail && cs->ascii_trail))
			groups |= 1u << g;
	}
	return groups;
}

/*
 * Where the readings may differ on backslash escapes or version-gated
 * comments. The base reading's own note (pi) is not enough once one other
 * reading is made: a backslash or a gated comment that the base reading finds
 * inside a comment may be in a literal for another character set ("--<81>"
 * is a comment in latin7 only), or after a gated comment read as a comment;
 * so then the raw bytes decide.
 */
static void raw_triggers(const char *s, size_t start, size_t end, struct part_info *pi)
{
	const char *p = s + start, *e = s + end;

	if (!pi->backslash)
		pi->backslash = memchr(p, '\\', (size_t)(e - p)) != NULL;
	while (!pi->gated && p < e && (p = memchr(p, '/', (size_t)(e - p))) && p + 2 < e) {
		if (p[1] == '*' && (p[2] == '!' || (p[2] == 'M' && p + 3 < e && p[3] == '!')))
			pi->gated = true;
		p++;
	}
}

/* The session as far as it is known: the reading to start with, and which
 * of the others the server might make. */
struct env_info {
	struct reading base;
	bool cs_known, sqlm_known;
};

static void env_info(const struct ws_lexenv *env, struct env_info *e)
{
	e->base.mode = 0;
	e->base.cs = &ws_csg[0];
	e->base.env = env;
	e->cs_known = e->sqlm_known = false;
	if (env && (env->sql_mode & WS_SQLM_KNOWN)) {
		e->sqlm_known = true;
		if (env->sql_mode & WS_SQLM_NO_BACKSLASH_ESCAPES)
			e->base.mode |= LX_NO_ESC_SQ | LX_NO_ESC_DQ;
		if (env->sql_mode & WS_SQLM_ANSI_QUOTES)
			e->base.mode |= LX_NO_ESC_DQ | LX_ANSI_QUOTES;
	} else {
		e->base.mode |= LX_ANSI_QUOTES; /* "f"( may be a call */
	}
	if (env && env->charset > 0 && env->charset <= sizeof(ws_cs_names) / sizeof(ws_cs_names[0])) {
		e->base.cs = &ws_csg[ws_cs_names[env->charset - 1].group];
		e->cs_known = true;
	}
}

/*
 * The other readings of [start, end) (see the top of the file): version-gated
 * comments as comments, no backslash escapes, other character sets — each
 * only where the text could be read differently and the session does not
 * say. Base verdict *v (the merged one, over the same range) is kept only if
 * every reading agrees: a READ stays one if all find only reads, HINTABLE if
 * all find nothing worse; hints count only if all find the same (otherwise a
 * replica hint is dropped, a primary hint found by any reading kept, and the
 * strongest consistency wins).
 */
static void check_readings(const char *s, size_t start, size_t end, const struct env_info *e,
			   const struct part_info *pi, struct ws_verdict *v)
{
	static const unsigned quoting[] = { 0, LX_NO_ESC_DQ, LX_NO_ESC_DQ | LX_NO_ESC_SQ };
	bool want_read = (v->flags & WS_F_READ) != 0, want_soft = want_read || (v->flags & WS_F_HINTABLE);
	bool read = want_read, soft = want_soft, differ = false;
	struct ws_verdict hints = *v;
	struct part_info trig = *pi;
	unsigned groups = 1;
	size_t n_quoting;

	if (!want_soft && !has_hints(v))
		return;
	if (!e->cs_known)
		groups |= differing_groups((const unsigned char *)s, start, end);
	if (groups != 1 || trig.gated || trig.backslash) /* one reading may uncover another */
		raw_triggers(s, start, end, &trig);
	n_quoting = e->sqlm_known || !trig.backslash ? 1 : 3;
	if (!trig.gated && n_quoting == 1 && groups == 1)
		return;
	for (unsigned gated = 0; gated <= (trig.gated ? 1u : 0u); gated++) {
		for (size_t q = 0; q < n_quoting; q++) {
			for (unsigned g = 0; g < WS_CSG_COUNT; g++) {
				struct reading rd = e->base;
				struct tally t;

				if (!(groups >> g & 1))
					continue;
				if (gated)
					rd.mode |= LX_GATED_AS_COMMENT;
				if (!e->sqlm_known)
					rd.mode = (rd.mode & ~(unsigned)(LX_NO_ESC_DQ | LX_NO_ESC_SQ)) | quoting[q];
				if (!e->cs_known)
					rd.cs = &ws_csg[g];
				if (rd.mode == e->base.mode && rd.cs == e->base.cs)
					continue;
				tally_under(s, start, end, &rd, &t);
				read &= t.read;
				soft &= t.soft;
				if (t.hints.hint_route != v->hint_route || t.hints.hint_consistency != v->hint_consistency)
					differ = true;
				merge_hints(&hints, &t.hints);
			}
		}
	}
	if (want_read && !read)
		v->flags = (v->flags & ~(uint32_t)WS_F_READ) | WS_F_WRITE;
	v->flags &= ~(uint32_t)WS_F_HINTABLE;
	if (!read && soft)
		v->flags |= WS_F_HINTABLE;
	/* Freshness hints only ever add to what a read must see: what any
	 * reading finds counts. */
	v->fresh = hints.fresh;
	if (differ) {
		v->flags |= WS_F_HINT_DROPPED;
		v->hint_route = hints.hint_route == WS_HINT_PRIMARY ? WS_HINT_PRIMARY : WS_HINT_NONE;
		v->hint_consistency = hints.hint_consistency;
	}
}

/* One statement, as ws_classify_next() reports it: re-checked under the other
 * readings when its bytes could be read differently. */
static bool classify_part(const char *text, size_t len, size_t *offset, const struct env_info *e,
			  struct ws_verdict *out, struct part_info *pi)
{
	size_t start = *offset;

	if (!part(text, len, offset, out, &e->base, pi))
		return false;
	check_readings(text, start, *offset, e, pi, out);
	return true;
}

void ws_classify_full(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out)
{
	struct ws_verdict v;
	struct part_info pi, seen;
	struct env_info e;
	size_t off = 0, n;
	uint32_t flags;
	bool all_read, all_soft, tail = true;

	if (!text)
		len = 0;
	env_info(env, &e);
	/* The common case, one statement and nothing after it: its verdict is
	 * the text's. None: the empty verdict, with any hints. */
	if (!classify_part(text, len, &off, &e, out, &pi) || off >= len)
		return;
	n = 1;
	flags = out->flags;
	all_read = (out->flags & WS_F_READ) != 0;
	all_soft = (out->flags & (WS_F_READ | WS_F_HINTABLE)) != 0;
	seen = pi;
	while (classify_part(text, len, &off, &e, &v, &pi)) {
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
		all_soft &= (v.flags & (WS_F_READ | WS_F_HINTABLE)) != 0;
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
	flags &= ~(uint32_t)(WS_F_READ | WS_F_WRITE | WS_F_HINTABLE);
	if (n > 1)
		flags |= WS_F_MULTI;
	if (flags & WS_F_PARSE_ERROR)
		all_read = all_soft = false;
	out->flags = flags | (all_read ? WS_F_READ : WS_F_WRITE) | (!all_read && all_soft ? WS_F_HINTABLE : 0);
	out->n_statements = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
	/* The parts were re-checked one by one; another reading may also move
	 * the boundaries between them, or turn the comments after the last one
	 * into a statement, so the whole text is re-checked too. */
	check_readings(text, 0, len, &e, &seen, out);
}

bool ws_classify_next_env(const char *text, size_t len, size_t *offset, const struct ws_lexenv *env,
			  struct ws_verdict *out)
{
	struct part_info pi;
	struct env_info e;

	if (!text)
		len = 0;
	if (*offset > len)
		*offset = len;
	env_info(env, &e);
	return classify_part(text, len, offset, &e, out, &pi);
}

bool ws_classify_next(const char *text, size_t len, size_t *offset, struct ws_verdict *out)
{
	return ws_classify_next_env(text, len, offset, NULL, out);
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

