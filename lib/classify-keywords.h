/*
 * classify-keywords.h — the lexical tables of lib/classify*.c: the keywords the
 * classifier looks at, the byte classes, the functions and system variables
 * that pin a statement to the primary. Private to the classifier (included
 * through classify-lex.h); not an interface.
 *
 * Each keyword letter group is written once and expands into enum kw, into the
 * cases of ws_classify_kw_lookup() (classify-lex.c: a switch on the first
 * letter, then on the length, inside which only the keywords of that letter
 * and length remain after constant folding — usually one compare, or none, per
 * word) and into the fast path's filter (classify.c).
 */
#ifndef WS_CLASSIFY_KEYWORDS_H
#define WS_CLASSIFY_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Only words the classifier looks at are here; every other word is an
 * identifier to it. */
#define KW_A(X) X(ALTER) X(ANALYZE) X(AND) X(AUTHORS)
#define KW_B(X) X(BACKUP) X(BEGIN) X(BINLOG) X(BODY)
#define KW_C(X) X(CACHE) X(CALL) X(CASE) X(CHAIN) X(CHANGE) X(CHARACTER) X(CHARSET) \
	X(CHECK) X(CHECKSUM) X(CLONE) X(CODE) X(COLLATION) X(COLUMNS) X(COMMIT) \
	X(CONNECTION_ID) X(CONTRIBUTORS) X(CREATE) X(CURRVAL)
#define KW_D(X) X(DATA) X(DATABASE) X(DATABASES) X(DEALLOCATE) X(DEFAULT) X(DELETE) \
	X(DESC) X(DESCRIBE) X(DO) X(DROP)
#define KW_E(X) X(ELSE) X(END) X(ENGINES) X(EVENT) X(EVENTS) X(EXECUTE) X(EXISTS) \
	X(EXPLAIN) X(EXPORT) X(EXTENDED)
#define KW_F(X) X(FIELDS) X(FLUSH) X(FOR) X(FORMAT) X(FOUND_ROWS) X(FULL) X(FUNCTION)
#define KW_G(X) X(GET) X(GET_LOCK) X(GLOBAL) X(GRANT) X(GRANTS)
#define KW_H(X) X(HANDLER) X(HELP)
#define KW_I(X) X(IF) X(IMPORT) X(INDEX) X(INDEXES) X(INSERT) X(INSTALL) X(INTO) \
	X(IS_FREE_LOCK) X(IS_USED_LOCK)
#define KW_K(X) X(KEYS) X(KILL)
#define KW_L(X) X(LASTVAL) X(LAST_INSERT_ID) X(LOAD) X(LOAD_FILE) X(LOCAL) X(LOCK) X(LOOP)
#define KW_M(X) X(MASTER_GTID_WAIT) X(MASTER_POS_WAIT)
#define KW_N(X) X(NAMES) X(NEXT) X(NEXTVAL) X(NO) X(NOT) X(NO_WRITE_TO_BINLOG)
#define KW_O(X) X(ONLY) X(OPTIMIZE)
#define KW_P(X) X(PACKAGE) X(PARTITIONS) X(PASSWORD) X(PERSIST) X(PERSIST_ONLY) X(PLUGINS) \
	X(PREPARE) X(PREVIOUS) X(PRIVILEGES) X(PROCEDURE) X(PS_CURRENT_THREAD_ID) X(PURGE)
#define KW_R(X) X(READ) X(RELEASE) X(RELEASE_ALL_LOCKS) X(RELEASE_LOCK) X(RENAME) X(REPAIR) \
	X(REPEAT) X(REPLACE) X(RESET) X(RESIGNAL) X(RESTART) X(REVOKE) X(ROLE) X(ROLLBACK) \
	X(ROW_COUNT)
#define KW_S(X) X(SAVEPOINT) X(SCHEMA) X(SCHEMAS) X(SELECT) X(SEQUENCE) X(SERVER) X(SESSION) \
	X(SET) X(SETVAL) X(SHARE) X(SHOW) X(SHUTDOWN) X(SIGNAL) X(SOURCE_POS_WAIT) \
	X(SQL_CALC_FOUND_ROWS) X(START) X(STATEMENT) X(STATUS) X(STOP) X(STORAGE)
#define KW_T(X) X(TABLE) X(TABLES) X(TEMPORARY) X(THEN) X(TO) X(TRANSACTION) X(TRIGGER) \
	X(TRIGGERS) X(TRUNCATE)
#define KW_U(X) X(UNINSTALL) X(UNLOCK) X(UPDATE) X(USE) X(USER)
#define KW_V(X) X(VALUE) X(VALUES) X(VARIABLES) X(VIEW)
#define KW_W(X) X(WAIT_FOR_EXECUTED_GTID_SET) X(WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS) X(WHILE) \
	X(WITH) X(WORK) X(WRITE)
#define KW_X(X) X(XA) X(XML)

#define KW_ENUM(w) K_##w,
enum kw {
	K_NONE = 0,
	KW_A(KW_ENUM) KW_B(KW_ENUM) KW_C(KW_ENUM) KW_D(KW_ENUM) KW_E(KW_ENUM) KW_F(KW_ENUM)
	KW_G(KW_ENUM) KW_H(KW_ENUM) KW_I(KW_ENUM) KW_K(KW_ENUM) KW_L(KW_ENUM) KW_M(KW_ENUM)
	KW_N(KW_ENUM) KW_O(KW_ENUM) KW_P(KW_ENUM) KW_R(KW_ENUM) KW_S(KW_ENUM) KW_T(KW_ENUM)
	KW_U(KW_ENUM) KW_V(KW_ENUM) KW_W(KW_ENUM) KW_X(KW_ENUM)
	K_COUNT
};

/* Byte classes. Everything >= C_IDENT may be part of an identifier. */
#define C_OTHER 0 /* punctuation, control bytes */
#define C_SPACE 1
#define C_MARK  2 /* '#', '-', '/', '*': may start or end a comment */
#define C_NBSP  3 /* 0xA0: a space or part of an identifier, see is_nbsp() */
#define C_IDENT 4 /* ASCII letters, '_', '$' */
#define C_DIGIT 5
#define C_HIGH  6 /* other bytes of multi-byte UTF-8 sequences */
static const unsigned char cclass[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,  /* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 10 */
	1, 0, 0, 2, 4, 0, 0, 0, 0, 0, 2, 0, 0, 2, 0, 2,  /* 20 */
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0,  /* 30 */
	0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 40 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 4,  /* 50 */
	0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 60 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0,  /* 70 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* 80 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* 90 */
	3, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* a0 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* b0 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* c0 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* d0 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* e0 */
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,  /* f0 */
};

static inline bool is_ident(unsigned char c) { return cclass[c] >= C_IDENT; }

/*
 * Byte 0xA0 is a no-break space that single-byte charsets (latin1, cp1251 …)
 * read as whitespace, and in UTF-8 only ever a continuation byte. So after an
 * ASCII byte (or at the start) it is whitespace: a latin1 server reads
 * "a<A0>INTO<A0>OUTFILE" as three words, and so must we.
 */
static inline bool is_nbsp(const unsigned char *s, size_t p)
{
	return s[p] == 0xA0 && (p == 0 || s[p - 1] < 0x80);
}

/* End of the identifier whose second byte is at q (q > 0); with_dot: user
 * variable names, which may contain '.'. */
static inline size_t ident_end(const unsigned char *s, size_t q, size_t len, bool with_dot)
{
	for (;;) {
		while (q < len && cclass[s[q]] >= C_IDENT)
			q++;
		if (q < len && ((s[q] == 0xA0 && !is_nbsp(s, q)) || (with_dot && s[q] == '.'))) {
			q++;
			continue;
		}
		return q;
	}
}

static inline bool is_digit(unsigned char c) { return cclass[c] == C_DIGIT; }
static inline unsigned char lc(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Does s[0..n) spell the lower-case literal `lit`, ignoring case? */
static inline bool ieq(const unsigned char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || lc(s[i]) != (unsigned char)lit[i])
			return false;
	return lit[i] == 0;
}

/* Functions whose result depends on the connection or on the primary's state.
 * A list (X(name, arg) for each), because the fast path in classify.c builds
 * its filter from it at compile time. */
#define KW_PRIMARY_FUNCS(X, a) X(CONNECTION_ID, a) X(FOUND_ROWS, a) X(GET_LOCK, a) \
	X(IS_FREE_LOCK, a) X(IS_USED_LOCK, a) X(LASTVAL, a) X(LAST_INSERT_ID, a) X(LOAD_FILE, a) \
	X(MASTER_GTID_WAIT, a) X(MASTER_POS_WAIT, a) X(NEXTVAL, a) X(PS_CURRENT_THREAD_ID, a) \
	X(RELEASE_ALL_LOCKS, a) X(RELEASE_LOCK, a) X(ROW_COUNT, a) X(SETVAL, a) \
	X(SOURCE_POS_WAIT, a) X(WAIT_FOR_EXECUTED_GTID_SET, a) X(WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS, a)

static inline bool kw_is_primary_func(unsigned k)
{
#define KW_PF_CASE(w, a) case K_##w:
	switch (k) {
	KW_PRIMARY_FUNCS(KW_PF_CASE, 0)
		return true;
	}
	return false;
#undef KW_PF_CASE
}

/* System variables whose session value is about the connection's last statement. */
static inline bool sysvar_is_session_bound(const unsigned char *s, size_t n)
{
	static const char *const names[] = {
		"identity", "last_insert_id", "insert_id", "warning_count", "error_count",
		"last_gtid", "in_transaction",
	};
	size_t i;

	for (i = n; i > 0 && s[i - 1] != '.'; i--)
		;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (ieq(s + i, n - i, names[k]))
			return true;
	return false;
}

#endif /* WS_CLASSIFY_KEYWORDS_H */
