/*
 * classify-keywords.h — the lexical tables of lib/classify*.c: the keywords the
 * classifier looks at and their lookup, the byte classes, the functions and
 * system variables that pin a statement to the primary. Private to the
 * classifier (included through classify-lex.h, which defines HOT); not an
 * interface.
 *
 * Each keyword letter group is written once and expands into enum kw, into the
 * cases of kw_lookup() (a switch on the first letter, then on the length,
 * inside which only the keywords of that letter and length remain after
 * constant folding — usually one compare, or none, per word) and into the fast
 * path's filter (classify.c). kw_lookup() is inline: the lexer calls it for
 * every word, and the fast path for the few its filter lets through.
 */
#ifndef WS_CLASSIFY_KEYWORDS_H
#define WS_CLASSIFY_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify-server.h"

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
#define KW_F(X) X(FIELDS) X(FLUSH) X(FOR) X(FORMAT) X(FOUND_ROWS) X(FROM) X(FULL) X(FUNCTION)
#define KW_G(X) X(GET) X(GET_LOCK) X(GLOBAL) X(GRANT) X(GRANTS)
#define KW_H(X) X(HANDLER) X(HELP)
#define KW_I(X) X(IF) X(IMPORT) X(INDEX) X(INDEXES) X(INSERT) X(INSTALL) X(INTO) \
	X(IS_FREE_LOCK) X(IS_USED_LOCK)
#define KW_J(X) X(JOIN)
#define KW_K(X) X(KEYS) X(KILL)
#define KW_L(X) X(LASTVAL) X(LAST_INSERT_ID) X(LOAD) X(LOAD_FILE) X(LOCAL) X(LOCK) X(LOOP)
#define KW_M(X) X(MASTER_GTID_WAIT) X(MASTER_POS_WAIT)
#define KW_N(X) X(NAMES) X(NEXT) X(NEXTVAL) X(NO) X(NOT) X(NO_WRITE_TO_BINLOG)
#define KW_O(X) X(ONLY) X(OPTIMIZE)
#define KW_P(X) X(PACKAGE) X(PARTITIONS) X(PASSWORD) X(PERSIST) X(PERSIST_ONLY) X(PLUGINS) \
	X(PREPARE) X(PREVIOUS) X(PRIVILEGES) X(PROCEDURE) X(PS_CURRENT_THREAD_ID) X(PURGE)
#define KW_R(X) X(READ) X(RECURSIVE) X(RELEASE) X(RELEASE_ALL_LOCKS) X(RELEASE_LOCK) X(RENAME) X(REPAIR) \
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
	KW_G(KW_ENUM) KW_H(KW_ENUM) KW_I(KW_ENUM) KW_J(KW_ENUM) KW_K(KW_ENUM) KW_L(KW_ENUM) KW_M(KW_ENUM)
	KW_N(KW_ENUM) KW_O(KW_ENUM) KW_P(KW_ENUM) KW_R(KW_ENUM) KW_S(KW_ENUM) KW_T(KW_ENUM)
	KW_U(KW_ENUM) KW_V(KW_ENUM) KW_W(KW_ENUM) KW_X(KW_ENUM)
	K_COUNT
};

/*
 * Keyword compare, eight bytes at a time. OR-ing 0x20 into every byte folds
 * case for letters; the only other byte it folds onto a keyword byte is DEL
 * onto '_', and DEL is not an identifier character. n is a constant at every
 * call, so the loads are plain loads and the keyword side a constant.
 */
HOT uint64_t load_folded(const void *src, size_t n) /* n <= 8 */
{
	const unsigned char *p = src;
	uint64_t v = 0;
	uint32_t w;
	uint16_t h;
	size_t i = 0;

	/* Built in registers from 8/4/2/1-byte loads: a memcpy into a zeroed
	 * uint64_t would store and reload through memory. */
	if (n == 8) {
		memcpy(&v, p, 8);
		return v | 0x2020202020202020ull;
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		v = w;
		i = 4;
	}
	if (n - i >= 2) {
		memcpy(&h, p + i, 2);
		v |= (uint64_t)h << (8 * i);
		i += 2;
	}
	if (n - i >= 1)
		v |= (uint64_t)p[i] << (8 * i);
	return v | 0x2020202020202020ull;
}

HOT bool kw_eq(const unsigned char *s, const char *kw, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		if (load_folded(s + i, 8) != load_folded(kw + i, 8))
			return false;
	return i == n || load_folded(s + i, n - i) == load_folded(kw + i, n - i);
}

/*
 * Keyword lookup: a switch on the first letter, then on the length; inside,
 * KW_TRY(w, N) tests `sizeof(#w) - 1 == N`, a constant, so the compiler keeps
 * only the keywords of that letter and length — usually none or one compare.
 */
#define KW_TRY(w, N) \
	if (sizeof(#w) - 1 == (N) && kw_eq(s, #w, (N))) \
		return K_##w;
#define KW_L2(w) KW_TRY(w, 2)
#define KW_L3(w) KW_TRY(w, 3)
#define KW_L4(w) KW_TRY(w, 4)
#define KW_L5(w) KW_TRY(w, 5)
#define KW_L6(w) KW_TRY(w, 6)
#define KW_L7(w) KW_TRY(w, 7)
#define KW_L8(w) KW_TRY(w, 8)
#define KW_L9(w) KW_TRY(w, 9)
#define KW_L10(w) KW_TRY(w, 10)
#define KW_L11(w) KW_TRY(w, 11)
#define KW_L12(w) KW_TRY(w, 12)
#define KW_L13(w) KW_TRY(w, 13)
#define KW_L14(w) KW_TRY(w, 14)
#define KW_L15(w) KW_TRY(w, 15)
#define KW_L16(w) KW_TRY(w, 16)
#define KW_L17(w) KW_TRY(w, 17)
#define KW_L18(w) KW_TRY(w, 18)
#define KW_L19(w) KW_TRY(w, 19)
#define KW_L20(w) KW_TRY(w, 20)
#define KW_L26(w) KW_TRY(w, 26)
#define KW_L33(w) KW_TRY(w, 33)
#define KW_BY_LEN(G) \
	switch (n) { \
	case 2: G(KW_L2) break;   case 3: G(KW_L3) break;   case 4: G(KW_L4) break; \
	case 5: G(KW_L5) break;   case 6: G(KW_L6) break;   case 7: G(KW_L7) break; \
	case 8: G(KW_L8) break;   case 9: G(KW_L9) break;   case 10: G(KW_L10) break; \
	case 11: G(KW_L11) break; case 12: G(KW_L12) break; case 13: G(KW_L13) break; \
	case 14: G(KW_L14) break; case 15: G(KW_L15) break; case 16: G(KW_L16) break; \
	case 17: G(KW_L17) break; case 18: G(KW_L18) break; case 19: G(KW_L19) break; \
	case 20: G(KW_L20) break; case 26: G(KW_L26) break; case 33: G(KW_L33) break; \
	} \
	break;
/* A keyword of a length KW_BY_LEN has no case for would never be found. */
#define KW_LEN_CHECK(w) _Static_assert((sizeof(#w) >= 3 && sizeof(#w) <= 21) || sizeof(#w) == 27 || \
				       sizeof(#w) == 34, "add a case to KW_BY_LEN for " #w);
KW_A(KW_LEN_CHECK) KW_B(KW_LEN_CHECK) KW_C(KW_LEN_CHECK) KW_D(KW_LEN_CHECK) KW_E(KW_LEN_CHECK)
KW_F(KW_LEN_CHECK) KW_G(KW_LEN_CHECK) KW_H(KW_LEN_CHECK) KW_I(KW_LEN_CHECK) KW_J(KW_LEN_CHECK) KW_K(KW_LEN_CHECK)
KW_L(KW_LEN_CHECK) KW_M(KW_LEN_CHECK) KW_N(KW_LEN_CHECK) KW_O(KW_LEN_CHECK) KW_P(KW_LEN_CHECK)
KW_R(KW_LEN_CHECK) KW_S(KW_LEN_CHECK) KW_T(KW_LEN_CHECK) KW_U(KW_LEN_CHECK) KW_V(KW_LEN_CHECK)
KW_W(KW_LEN_CHECK) KW_X(KW_LEN_CHECK)

static inline unsigned kw_lookup(const unsigned char *s, size_t n)
{
	switch (s[0] | 0x20) {
	case 'a': KW_BY_LEN(KW_A)
	case 'b': KW_BY_LEN(KW_B)
	case 'c': KW_BY_LEN(KW_C)
	case 'd': KW_BY_LEN(KW_D)
	case 'e': KW_BY_LEN(KW_E)
	case 'f': KW_BY_LEN(KW_F)
	case 'g': KW_BY_LEN(KW_G)
	case 'h': KW_BY_LEN(KW_H)
	case 'i': KW_BY_LEN(KW_I)
	case 'j': KW_BY_LEN(KW_J)
	case 'k': KW_BY_LEN(KW_K)
	case 'l': KW_BY_LEN(KW_L)
	case 'm': KW_BY_LEN(KW_M)
	case 'n': KW_BY_LEN(KW_N)
	case 'o': KW_BY_LEN(KW_O)
	case 'p': KW_BY_LEN(KW_P)
	case 'r': KW_BY_LEN(KW_R)
	case 's': KW_BY_LEN(KW_S)
	case 't': KW_BY_LEN(KW_T)
	case 'u': KW_BY_LEN(KW_U)
	case 'v': KW_BY_LEN(KW_V)
	case 'w': KW_BY_LEN(KW_W)
	case 'x': KW_BY_LEN(KW_X)
	}
	return K_NONE;
}

/* Byte classes. Everything >= C_HIGH may be part of an identifier. */
#define C_OTHER 0 /* punctuation, control bytes, DEL */
#define C_SPACE 1
#define C_MARK  2 /* '#', '-', '/', '*': may start or end a comment */
#define C_HIGH  3 /* 0x80-0xFF: part of a name, or space in some character sets (cs_space()) */
#define C_IDENT 4 /* ASCII letters, '_', '$' */
#define C_DIGIT 5
static const unsigned char cclass[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,  /* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 10 */
	1, 0, 0, 2, 4, 0, 0, 0, 0, 0, 2, 0, 0, 2, 0, 2,  /* 20 */
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0,  /* 30 */
	0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 40 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 4,  /* 50 */
	0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 60 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0,  /* 70 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* 80 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* 90 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* a0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* b0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* c0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* d0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* e0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,  /* f0 */
};

static inline bool is_ident(unsigned char c) { return cclass[c] >= C_HIGH; }

/*
 * A byte >= 0x80 that the connection's character set reads as whitespace
 * (0xA0 in latin1, 0xFF in cp852 …: classify-server.h); every other such
 * byte is part of a name. A space ends a name and is skipped like ' ':
 * latin1 reads "a<A0>INTO<A0><A0>OUTFILE" as three words.
 */
static inline bool cs_space(const struct ws_csg *cs, unsigned char b)
{
	return b >= 0x80 && (cs->space[(b >> 6) & 1] >> (b & 63) & 1);
}

/* Does "--" followed by byte b start a comment? (Space or control in the
 * character set; NUL is not one; the end of the text counts as one.) */
static inline bool cs_dash(const struct ws_csg *cs, unsigned char b)
{
	if (b < 0x7F)
		return b >= 0x01 && b <= 0x20;
	if (b == 0x7F)
		return cs->dash_del;
	return cs->dash[(b >> 6) & 1] >> (b & 63) & 1;
}

/* End of the identifier whose second byte is at q (q > 0); with_dot: user
 * variable names, which may contain '.'. */
static inline size_t ident_end(const struct ws_csg *cs, const unsigned char *s, size_t q, size_t len,
			       bool with_dot)
{
	for (;;) {
		while (q < len && cclass[s[q]] >= C_IDENT)
			q++;
		if (q < len && ((cclass[s[q]] == C_HIGH && !cs_space(cs, s[q])) || (with_dot && s[q] == '.'))) {
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
