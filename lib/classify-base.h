/*
 * classify-base.h — what the classifier's lexer (classify-lex.c) and its
 * statement parser (classify.c, classify-fast.c) share: the verdict and its
 * flags, the session's lexing environment, and the answers the lexer gives on
 * its own (character set and sql_mode ids, whether a text mentions a name).
 * A leaf: the lexer sits below the parser (docs/architecture.md, "Modules and
 * layers"); everyone else includes classify.h.
 */
#ifndef WS_CLASSIFY_BASE_H
#define WS_CLASSIFY_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What kind of statement this is (for rules' match_kind, stats and logs). */
enum ws_stmt_kind {
	WS_STMT_OTHER = 0,  /* anything not listed below; also empty text */
	WS_STMT_SELECT,     /* SELECT, WITH … SELECT, (SELECT …) UNION, TABLE t, VALUES … */
	WS_STMT_INSERT,
	WS_STMT_UPDATE,
	WS_STMT_DELETE,
	WS_STMT_REPLACE,
	WS_STMT_DDL,        /* CREATE/ALTER/DROP/RENAME/TRUNCATE … (implicit commit) */
	WS_STMT_SET,        /* SET … (any form) */
	WS_STMT_SHOW,       /* SHOW …, DESCRIBE/DESC, EXPLAIN [ANALYZE] …, ANALYZE <statement> */
	WS_STMT_USE,        /* USE db */
	WS_STMT_BEGIN,      /* BEGIN [WORK], START TRANSACTION … */
	WS_STMT_COMMIT,     /* COMMIT [WORK] … */
	WS_STMT_ROLLBACK,   /* ROLLBACK [WORK] (not ROLLBACK TO SAVEPOINT) */
	WS_STMT_SAVEPOINT,  /* SAVEPOINT x, ROLLBACK TO [SAVEPOINT] x, RELEASE SAVEPOINT x */
	WS_STMT_LOCK,       /* LOCK TABLES / LOCK TABLE */
	WS_STMT_UNLOCK,     /* UNLOCK TABLES / UNLOCK TABLE */
	WS_STMT_CALL,
	WS_STMT_DO,
	WS_STMT_LOAD,       /* LOAD DATA / LOAD XML */
	WS_STMT_HANDLER,
	WS_STMT_XA,
	WS_STMT_PREPARE,    /* SQL-level PREPARE / EXECUTE / DEALLOCATE PREPARE */
	WS_STMT_KIND_COUNT
};

/* Verdict flags. A statement is sent to a replica only if WS_F_READ is set. */
enum ws_verdict_flag {
	WS_F_READ          = 1u << 0,  /* provably a pure read: may run on a replica */
	WS_F_WRITE         = 1u << 1,  /* must run on the primary (set whenever READ is not) */
	WS_F_SESSION_STATE = 1u << 2,  /* changes session state to replay on replicas (USE, SET NAMES,
					  SET [SESSION|LOCAL] var, SET @@session.x, SET CHARACTER SET,
					  SET SESSION TRANSACTION …, SET ROLE) */
	WS_F_TRX_BEGIN     = 1u << 3,  /* BEGIN / START TRANSACTION (any mode); also XA START|BEGIN and
					  COMMIT/ROLLBACK … AND CHAIN, which open the next transaction */
	WS_F_TRX_READ_ONLY = 1u << 4,  /* with TRX_BEGIN: START TRANSACTION READ ONLY */
	WS_F_TRX_END       = 1u << 5,  /* COMMIT or ROLLBACK (whole transaction); XA COMMIT|ROLLBACK */
	WS_F_IMPLICIT_COMMIT = 1u << 6,/* DDL and the other statements that commit implicitly */
	WS_F_AUTOCOMMIT_OFF = 1u << 7, /* SET autocommit = 0 | OFF (any spelling: @@autocommit, SESSION);
					  also a value it cannot evaluate (an expression, DEFAULT) */
	WS_F_AUTOCOMMIT_ON = 1u << 8,  /* SET autocommit = 1 | ON */
	WS_F_LOCK_TABLES   = 1u << 9,  /* LOCK TABLES: primary until UNLOCK TABLES (also FLUSH TABLES …
					  WITH READ LOCK | FOR EXPORT, released the same way) */
	WS_F_UNLOCK_TABLES = 1u << 10,
	WS_F_MULTI         = 1u << 11, /* more than one statement in the text */
	WS_F_USER_VAR      = 1u << 12, /* reads or writes a user variable @x */
	WS_F_PRIMARY_FUNC  = 1u << 13, /* calls a function that must run on the primary (LAST_INSERT_ID …,
					  NEXT VALUE FOR) or reads a per-connection system variable
					  (@@identity, @@last_insert_id, @@warning_count …) */
	WS_F_LOCKING_READ  = 1u << 14, /* SELECT … FOR UPDATE / LOCK IN SHARE MODE / FOR SHARE */
	WS_F_SELECT_INTO   = 1u << 15, /* SELECT … INTO @v / OUTFILE / DUMPFILE */
	WS_F_TEMP_CREATE   = 1u << 16, /* CREATE TEMPORARY TABLE: temp_name is set */
	WS_F_TEMP_DROP     = 1u << 17, /* DROP TEMPORARY TABLE: temp_name is the first name */
	WS_F_CALC_FOUND_ROWS = 1u << 18,/* SELECT SQL_CALC_FOUND_ROWS … */
	WS_F_SET_GLOBAL    = 1u << 19, /* SET GLOBAL / SET @@global.x: primary, not session state */
	WS_F_SET_TRANSACTION = 1u << 20,/* SET [SESSION] TRANSACTION … (characteristics of the next trx) */
	WS_F_EXECUTES      = 1u << 21, /* EXPLAIN ANALYZE / ANALYZE stmt: executes the statement */
	WS_F_PARSE_ERROR   = 1u << 22, /* unterminated string/comment/identifier, or other junk */
	WS_F_USE_DB        = 1u << 23, /* USE db: db/db_len is set */
	WS_F_XA            = 1u << 24,
	WS_F_STORED_FUNC   = 1u << 25, /* calls a function that is not the server's own (a stored function,
					  a UDF) and that the environment does not know to be READS SQL
					  DATA or NO SQL: it may write */
	WS_F_HINTABLE      = 1u << 26, /* with WRITE: not provably a read, but nothing in it writes, locks,
					  changes session state or asks about this connection (SHOW STATUS,
					  a SELECT calling a stored function): a replica hint, a rule's
					  route = replica or wescale_route_next() may send it to a replica.
					  Without it (and without READ) they must not. */
	WS_F_HINT_DROPPED  = 1u << 27, /* the readings of the text disagree on its hints: a replica hint
					  was dropped (and the strongest consistency kept) */
};

/* Hints found in comments (wescale dialect and the dialects of other tools). */
enum ws_hint_route {
	WS_HINT_NONE = 0,
	WS_HINT_PRIMARY,   /* wescale:route=primary, ms=master, maxscale route to master */
	WS_HINT_REPLICA,   /* wescale:route=replica, ms=slave, maxscale route to slave */
};

/* Freshness hints: "wescale:min_gtid=SET", ProxySQL's ";min_gtid=SET" and
 * "wescale:max_lag_ms=N" (token.c applies them). Zero: none. They can only
 * add to what a read must see, never move a statement to a replica. */
struct ws_hint_fresh {
	const char *min_gtid;       /* borrowed: the GTID set text (not validated here) */
	uint32_t min_gtid_len;
	bool min_gtid_conflict;     /* several different min_gtid values: the read uses the primary */
	bool has_max_lag;
	uint32_t max_lag_ms;        /* with has_max_lag: the smallest bound given */
	uint16_t malformed;         /* hints of these kinds ignored as malformed */
};

struct ws_verdict {
	uint32_t flags;             /* enum ws_verdict_flag bits, merged over all parts */
	enum ws_stmt_kind kind;     /* kind of the first statement */
	enum ws_hint_route hint_route; /* several hints: PRIMARY wins over REPLICA */
	int hint_consistency;       /* -1 none, else enum wescale_consistency value (several: the strongest) */
	struct ws_hint_fresh fresh; /* min_gtid / max_lag_ms hints */
	uint16_t n_statements;      /* number of non-empty statements in the text */
	/* Borrowed pointers into the classified text (valid while the text is): */
	const char *temp_name;      /* CREATE/DROP TEMPORARY TABLE name, unquoted, without schema */
	size_t temp_name_len;       /*   (a quoted name points inside the backquotes) */
	const char *db;             /* USE db: the database name (inside backquotes if quoted) */
	size_t db_len;
};

/*
 * What the server's lexer depends on besides the text: the connection's
 * character set (character_set_client) and sql_mode. Where one is unknown the
 * classifier reads the text every way the server might, and a verdict or hint
 * counts only if every reading agrees (docs/classifier.md, "Readings").
 * A zeroed struct (or NULL) knows nothing.
 */
enum {
	WS_SQLM_KNOWN = 1,                 /* the bits below are the session's */
	WS_SQLM_NO_BACKSLASH_ESCAPES = 2,
	WS_SQLM_ANSI_QUOTES = 4,
};

struct ws_lexenv {
	uint8_t charset;   /* ws_classify_charset(); 0: unknown */
	uint8_t sql_mode;  /* ws_classify_sql_mode(); 0: unknown */
	/*
	 * May a read call this stored function on a replica (declared READS SQL
	 * DATA or NO SQL)? db is NULL for an unqualified call (the current
	 * database). Names are as written (a quoted one without its quotes,
	 * doubled quotes left as they are). NULL: no stored function may.
	 * Called during classification: must not block; any thread.
	 */
	bool (*func_ok)(void *ctx, const char *db, size_t db_len, const char *name, size_t name_len);
	void *func_ctx;
};

/* A character set name as character_set_client reports it (utf8mb4, latin1,
 * …; case-insensitive) → its WS lexer id, 0 when the classifier does not know
 * it (then it reads every way). */
uint8_t ws_classify_charset(const char *name, size_t len);
/* An sql_mode value (comma-separated, as @@sql_mode reports it) → WS_SQLM_* bits. */
uint8_t ws_classify_sql_mode(const char *value, size_t len);

/*
 * True when `name` (len bytes, compared case-insensitively as MySQL does for
 * table names on Linux only if lower_case_table_names; here: exact bytes) occurs
 * in the text as an identifier token (bare or backquoted, optionally qualified as
 * db.name) outside string literals and comments. Used to send reads that touch a
 * session's temporary tables to the primary. A "double-quoted" token also counts
 * (it is an identifier under sql_mode ANSI_QUOTES), erring towards the primary;
 * a quoted name may be given raw (as temp_name points at it, doubled backquotes
 * included) or unescaped.
 */
bool ws_classify_mentions(const char *text, size_t len, const char *name, size_t name_len);

#endif /* WS_CLASSIFY_BASE_H */
