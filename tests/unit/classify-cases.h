/*
 * classify-cases.h — what tests/unit/test-classify.c and test-classify-env.c
 * share: short names for the flags, a statement and its expected verdict
 * (struct tcase and the row macros), and check_case(), which compares a
 * verdict with a row and prints what differs.
 */
#ifndef WS_TEST_CLASSIFY_CASES_H
#define WS_TEST_CLASSIFY_CASES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"

/* Short names for the flags, to keep the table readable. */
#define R    WS_F_READ
#define W    WS_F_WRITE
#define SS   WS_F_SESSION_STATE
#define TB   WS_F_TRX_BEGIN
#define TRO  WS_F_TRX_READ_ONLY
#define TE   WS_F_TRX_END
#define IC   WS_F_IMPLICIT_COMMIT
#define AOFF WS_F_AUTOCOMMIT_OFF
#define AON  WS_F_AUTOCOMMIT_ON
#define LT   WS_F_LOCK_TABLES
#define UT   WS_F_UNLOCK_TABLES
#define MU   WS_F_MULTI
#define UV   WS_F_USER_VAR
#define PF   WS_F_PRIMARY_FUNC
#define LR   WS_F_LOCKING_READ
#define SI   WS_F_SELECT_INTO
#define TC   WS_F_TEMP_CREATE
#define TD   WS_F_TEMP_DROP
#define CF   WS_F_CALC_FOUND_ROWS
#define SG   WS_F_SET_GLOBAL
#define ST   WS_F_SET_TRANSACTION
#define EX   WS_F_EXECUTES
#define PE   WS_F_PARSE_ERROR
#define UD   WS_F_USE_DB
#define XA   WS_F_XA
#define SF   WS_F_STORED_FUNC
#define HN   WS_F_HINTABLE
#define HD   WS_F_HINT_DROPPED

#define PRI WS_HINT_PRIMARY
#define REP WS_HINT_REPLICA

struct tcase {
	const char *sql;
	uint32_t flags;            /* exact */
	enum ws_stmt_kind kind;
	enum ws_hint_route route;
	int cons;
	const char *temp;          /* expected temp_name, NULL: none */
	const char *db;            /* expected db, NULL: none */
	int n;                     /* n_statements */
};

/* A statement and its verdict; most have one statement and no hints. */
#define C(s, f, k)              { s, f, WS_STMT_##k, WS_HINT_NONE, -1, NULL, NULL, 1 }
#define CN(s, f, k, n)          { s, f, WS_STMT_##k, WS_HINT_NONE, -1, NULL, NULL, n }
#define CH(s, f, k, r, c)       { s, f, WS_STMT_##k, r, c, NULL, NULL, 1 }
#define CHN(s, f, k, r, c, n)   { s, f, WS_STMT_##k, r, c, NULL, NULL, n }
#define CT(s, f, k, t)          { s, f, WS_STMT_##k, WS_HINT_NONE, -1, t, NULL, 1 }
#define CTN(s, f, k, t, n)      { s, f, WS_STMT_##k, WS_HINT_NONE, -1, t, NULL, n }
#define CD(s, f, k, d)          { s, f, WS_STMT_##k, WS_HINT_NONE, -1, NULL, d, 1 }
#define CDN(s, f, k, d, n)      { s, f, WS_STMT_##k, WS_HINT_NONE, -1, NULL, d, n }
#define RD(s)                   C(s, R, SELECT)
#define EMPTY(s, f)             CN(s, W | (f), OTHER, 0)

static char *flag_names(uint32_t f, char *buf, size_t size)
{
	static const char *const names[] = {
		"READ", "WRITE", "SESSION_STATE", "TRX_BEGIN", "TRX_READ_ONLY", "TRX_END",
		"IMPLICIT_COMMIT", "AUTOCOMMIT_OFF", "AUTOCOMMIT_ON", "LOCK_TABLES", "UNLOCK_TABLES",
		"MULTI", "USER_VAR", "PRIMARY_FUNC", "LOCKING_READ", "SELECT_INTO", "TEMP_CREATE",
		"TEMP_DROP", "CALC_FOUND_ROWS", "SET_GLOBAL", "SET_TRANSACTION", "EXECUTES",
		"PARSE_ERROR", "USE_DB", "XA", "STORED_FUNC", "HINTABLE", "HINT_DROPPED",
	};
	size_t used = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i))
			used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s",
						 used ? "|" : "", names[i]);
	return buf;
}

static bool span_equals(const char *p, size_t n, const char *want)
{
	if (!want)
		return p == NULL && n == 0;
	return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

/* Compare a verdict with the row; report the difference. */
static bool check_case(const struct tcase *tc, const char *text, size_t len, const struct ws_verdict *v)
{
	char got[512], want[512];
	bool ok = true;

	if (v->flags != tc->flags) {
		printf("\n  [%s]\n    flags %s, want %s", tc->sql, flag_names(v->flags, got, sizeof(got)),
		       flag_names(tc->flags, want, sizeof(want)));
		ok = false;
	}
	if (v->kind != tc->kind) {
		printf("\n  [%s]\n    kind %s, want %s", tc->sql, ws_stmt_kind_to_string(v->kind),
		       ws_stmt_kind_to_string(tc->kind));
		ok = false;
	}
	if (v->hint_route != tc->route || v->hint_consistency != tc->cons) {
		printf("\n  [%s]\n    hints route=%d consistency=%d, want %d %d", tc->sql, v->hint_route,
		       v->hint_consistency, tc->route, tc->cons);
		ok = false;
	}
	if (v->n_statements != tc->n) {
		printf("\n  [%s]\n    n_statements %u, want %d", tc->sql, v->n_statements, tc->n);
		ok = false;
	}
	if (!span_equals(v->temp_name, v->temp_name_len, tc->temp)) {
		printf("\n  [%s]\n    temp_name '%.*s', want '%s'", tc->sql, (int)v->temp_name_len,
		       v->temp_name ? v->temp_name : "", tc->temp ? tc->temp : "(none)");
		ok = false;
	}
	if (!span_equals(v->db, v->db_len, tc->db)) {
		printf("\n  [%s]\n    db '%.*s', want '%s'", tc->sql, (int)v->db_len, v->db ? v->db : "",
		       tc->db ? tc->db : "(none)");
		ok = false;
	}
	if (v->temp_name && (v->temp_name < text || v->temp_name + v->temp_name_len > text + len)) {
		printf("\n  [%s]\n    temp_name outside the text", tc->sql);
		ok = false;
	}
	if (v->db && (v->db < text || v->db + v->db_len > text + len)) {
		printf("\n  [%s]\n    db outside the text", tc->sql);
		ok = false;
	}
	return ok;
}

#endif /* WS_TEST_CLASSIFY_CASES_H */
