/*
 * test-gtid.c — GTID sets (lib/gtid.c): parse/format round trips, canonical form,
 * contains and merge truth tables, rejected inputs, bounds, large sets, format
 * truncation and a seeded randomized comparison against a brute-force model.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtid.h"

/* Sorted: U1 < U2 < U3 < U4 (by bytes). */
#define U1 "3e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U1UP "3E11FA47-71CA-11E1-9E33-C80AA9429562"
#define U2 "4e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U3 "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define U4 "ffffffff-ffff-ffff-ffff-ffffffffffff"
#define GMAX "9223372036854775807" /* 2^63-1 */
#define MYSQL WS_GTID_MYSQL
#define MARIA WS_GTID_MARIADB

/* Report the failing table row, then let CUnit count the failure. */
#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		bool ok_ = (cond);                                              \
		if (!ok_) {                                                     \
			fprintf(stderr, "\n  %s:%d: ", __FILE__, __LINE__);    \
			fprintf(stderr, __VA_ARGS__);                           \
		}                                                               \
		CU_ASSERT(ok_);                                                 \
	} while (0)

/* Test scaffolding only: running out of memory here is not a finding. */
static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

static const char *flavor_name(enum ws_gtid_flavor f)
{
	return f == MYSQL ? "mysql" : "mariadb";
}

/* Parse into a fresh set; NULL (and a reported failure) when it does not parse. */
static struct ws_gtid_set *parse(enum ws_gtid_flavor f, const char *text)
{
	struct ws_gtid_set *s = ws_gtid_set_new(f);
	int r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	r = ws_gtid_set_add_text(s, text, strlen(text));
	CHECK(r == 0, "%s parse '%s' -> %d\n", flavor_name(f), text, r);
	if (r != 0) {
		ws_gtid_set_free(s);
		return NULL;
	}
	return s;
}

/* Canonical text in a heap string the caller frees. */
static char *fmt(const struct ws_gtid_set *s)
{
	size_t n = ws_gtid_set_format(s, NULL, 0);
	char *buf = xmalloc(n + 1);
	size_t m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	m = ws_gtid_set_format(s, buf, n + 1);
	CU_ASSERT_EQUAL(m, n);
	CU_ASSERT_EQUAL(strlen(buf), n);
	return buf;
}

/* ---- round trips and canonical form -------------------------------------- */

struct canon_case {
	const char *in, *out;
};

static const struct canon_case mysql_canon[] = {
	{ "", "" },
	{ "  \n\t ", "" },
	{ U1 ":1", U1 ":1" },
	{ U1 ":1-5", U1 ":1-5" },
	{ U1 ":5-5", U1 ":5" },
	{ U1 ":1-5:7-9", U1 ":1-5:7-9" },
	{ U1 ":1-3:4-5", U1 ":1-5" },                       /* adjacent */
	{ U1 ":4-5:1-3", U1 ":1-5" },                       /* adjacent, unsorted */
	{ U1 ":1-3:5-6", U1 ":1-3:5-6" },                   /* gap of one */
	{ U1 ":5-6:1-3", U1 ":1-3:5-6" },                   /* unsorted */
	{ U1 ":1-10:2-3", U1 ":1-10" },                     /* contained */
	{ U1 ":2-3:1-10", U1 ":1-10" },
	{ U1 ":1-5:3-8", U1 ":1-8" },                       /* overlapping */
	{ U1 ":1-5:5-8", U1 ":1-8" },                       /* sharing an end */
	{ U1 ":1:3:5:2:4", U1 ":1-5" },
	{ U1 ":1:1:1", U1 ":1" },
	{ U1 ":7," U1 ":1-5", U1 ":1-5:7" },                /* uuid twice */
	{ U1 ":7,\n" U1 ":6", U1 ":6-7" },
	{ U2 ":1," U1 ":2", U1 ":2," U2 ":1" },             /* sources sorted */
	{ U4 ":1," U3 ":1," U2 ":1," U1 ":1", U1 ":1," U2 ":1," U3 ":1," U4 ":1" },
	{ U1UP ":1-5", U1 ":1-5" },                         /* upper case uuid */
	{ U1UP ":1," U1 ":2", U1 ":1-2" },                  /* same uuid, two spellings */
	{ "  " U1 " : 1 - 5 : 7 ,\n  " U2 " :3  \n", U1 ":1-5:7," U2 ":3" },
	{ U1 ":1-5,\n" U2 ":1-3", U1 ":1-5," U2 ":1-3" },  /* @@gtid_executed style */
	{ U1 ":1,", U1 ":1" },                              /* one trailing comma */
	{ U1 ":1 , \n", U1 ":1" },
	{ U1 ":007-0010", U1 ":7-10" },                     /* leading zeros */
	{ U1 ":" GMAX, U1 ":" GMAX },
	{ U1 ":1-" GMAX, U1 ":1-" GMAX },
	{ U1 ":9223372036854775806:" GMAX, U1 ":9223372036854775806-" GMAX },
	/* MySQL 8.3 tags: (uuid, tag) is its own source; untagged first. */
	{ U1 ":tag:1-5", U1 ":tag:1-5" },
	{ U1 ":1-3:tag:4", U1 ":1-3:tag:4" },
	{ U1 ":tag:4:1-3", U1 ":tag:1-4" },                 /* intervals follow the tag */
	{ U1 ":tag:1," U1 ":2", U1 ":2:tag:1" },
	{ U1 ":TaG:1", U1 ":tag:1" },
	{ U1 ":tag:1:TAG:2", U1 ":tag:1-2" },
	{ U1 ":b:1:a:2", U1 ":a:2:b:1" },
	{ U1 ":b:1:a:2:1", U1 ":a:1-2:b:1" },
	{ U1 ":x:1:_y9:2:1", U1 ":_y9:1-2:x:1" },           /* '_' sorts before letters */
	{ U2 ":t:1," U1 ":t:1", U1 ":t:1," U2 ":t:1" },
	{ U1 ":1:t:1", U1 ":1:t:1" },                       /* tagged and untagged differ */
	{ U1 " : t : 1 - 2", U1 ":t:1-2" },
	{ U1 ":abcdefghijklmnopqrstuvwxyz_01234:1", U1 ":abcdefghijklmnopqrstuvwxyz_01234:1" },
};

static void test_mysql_canonical(void)
{
	for (size_t i = 0; i < sizeof(mysql_canon) / sizeof(mysql_canon[0]); i++) {
		const struct canon_case *c = &mysql_canon[i];
		const char *want = c->out;
		struct ws_gtid_set *s, *t = NULL;
		char *got, *again;

		s = parse(MYSQL, c->in);
		if (!s)
			continue;
		got = fmt(s);
		CHECK(strcmp(got, want) == 0, "'%s' -> '%s', want '%s'\n", c->in, got, want);
		/* format -> parse is the identity, and canonical text is a fixed point */
		t = parse(MYSQL, got);
		if (t) {
			again = fmt(t);
			CHECK(ws_gtid_set_equal(s, t), "'%s' not equal after round trip\n", c->in);
			CHECK(strcmp(again, got) == 0, "'%s' not a fixed point\n", got);
			free(again);
		}
		CHECK(ws_gtid_set_is_empty(s) == (want[0] == '\0'), "'%s' is_empty\n", c->in);
		ws_gtid_set_free(t);
		ws_gtid_set_free(s);
		free(got);
	}
}

static const struct canon_case maria_canon[] = {
	{ "", "" },
	{ " \n ", "" },
	{ "0-1-100", "0-1-100" },
	{ "1-2-7,0-1-100", "0-1-100,1-2-7" },
	{ " 0-1-100 ,\n 1-2-7 ", "0-1-100,1-2-7" },
	{ "0 - 1 - 100", "0-1-100" },
	{ "0-1-5,0-2-9", "0-2-9" },      /* same domain: highest seq, with its server */
	{ "0-2-9,0-1-5", "0-2-9" },
	{ "0-1-5,0-2-5", "0-1-5" },      /* tie: the earlier entry */
	{ "0-2-5,0-1-5", "0-2-5" },
	{ "5-1-1,3-1-1,4-1-1,0-1-1", "0-1-1,3-1-1,4-1-1,5-1-1" },
	{ "0-0-0", "0-0-0" },
	{ "00-01-0100", "0-1-100" },
	{ "0-1-1,", "0-1-1" },
	{ "4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615" },
	{ "1-1-1,4294967295-1-2,0-1-3", "0-1-3,1-1-1,4294967295-1-2" },
	{ "0-1-18446744073709551615,0-2-1", "0-1-18446744073709551615" },
};

static void test_mariadb_canonical(void)
{
	for (size_t i = 0; i < sizeof(maria_canon) / sizeof(maria_canon[0]); i++) {
		const struct canon_case *c = &maria_canon[i];
		struct ws_gtid_set *s = parse(MARIA, c->in), *t;
		char *got, *again;

		if (!s)
			continue;
		got = fmt(s);
		CHECK(strcmp(got, c->out) == 0, "'%s' -> '%s', want '%s'\n", c->in, got, c->out);
		t = parse(MARIA, got);
		if (t) {
			again = fmt(t);
			CHECK(ws_gtid_set_equal(s, t), "'%s' not equal after round trip\n", c->in);
			CHECK(strcmp(again, got) == 0, "'%s' not a fixed point\n", got);
			free(again);
		}
		ws_gtid_set_free(t);
		ws_gtid_set_free(s);
		free(got);
	}
}

/* ---- rejected inputs --------------------------------------------------------- */

struct bad_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
};

static const struct bad_case mysql_bad[] = {
	{ ",", 0 },
	{ " , ", 0 },
	{ "," U1 ":1", 0 },
	{ U1 ":1,," U2 ":1", 0 },
	{ U1 ":1,,", 0 },
	{ U1 ":1, ,", 0 },
	{ U1, 0 },                                   /* uuid without interval */
	{ U1 ":", 0 },
	{ U1 "::1", 0 },
	{ U1 ":1:", 0 },
	{ U1 ":0", 0 },                              /* 0 is not a GTID number */
	{ U1 ":0-5", 0 },
	{ U1 ":5-3", 0 },                            /* a > b */
	{ U1 ":1-", 0 },
	{ U1 ":-5", 0 },
	{ U1 ":1-5-7", 0 },
	{ U1 ":9223372036854775808", 0 },            /* 2^63 */
	{ U1 ":1-9223372036854775808", 0 },
	{ U1 ":99999999999999999999999", 0 },
	{ U1 ":18446744073709551616", 0 },           /* 2^64 */
	{ U1 ":1 junk", 0 },
	{ U1 ":1;", 0 },
	{ U1 ":1 " U2 ":1", 0 },                     /* missing comma */
	{ U1 ":+1", 0 },
	{ U1 ":1.5", 0 },
	{ U1 ":1," U2, 0 },
	{ "3e11fa47-71ca-11e1-9e33-c80aa942956:1", 0 },    /* uuid one short */
	{ "3e11fa47-71ca-11e1-9e33-c80aa9429562a:1", 0 },  /* one long */
	{ "3e11fa47-71ca-11e1-9e33-c80aa942956g:1", 0 },   /* not hex */
	{ "3e11fa4771ca11e19e33c80aa9429562:1", 0 },       /* no dashes */
	{ "3e11fa4-771ca-11e1-9e33-c80aa9429562:1", 0 },   /* dash misplaced */
	{ "{" U1 "}:1", 0 },
	{ "3e11fa47-71ca-11e1-9e33", 0 },                  /* truncated uuid */
	{ U1 ":tag", 0 },                            /* tag without interval */
	{ U1 ":tag:", 0 },
	{ U1 ":t1:t2:1", 0 },
	{ U1 ":1:tag", 0 },
	{ U1 ":ta-g:1", 0 },
	{ U1 ":9tag:1", 0 },
	{ U1 ":abcdefghijklmnopqrstuvwxyz_012345:1", 0 },  /* tag of 33 */
	{ U1 ":t\xc3\xa9:1", 0 },
	{ "0-1-100", 0 },                            /* MariaDB text */
	{ U1 ":1\0", sizeof(U1 ":1") },              /* NUL inside len is junk */
	{ U1 ":1\0," U2 ":1", sizeof(U1 ":1\0," U2 ":1") - 1 },
	{ U1 ":1:-", 0 },
	{ "x", 0 },
	{ ":1", 0 },
	{ U1 ":1-5" U1 ":1", 0 },
};

static const struct bad_case maria_bad[] = {
	{ ",", 0 },
	{ " , ", 0 },
	{ ",0-1-1", 0 },
	{ "0-1-1,,1-1-1", 0 },
	{ "0-1-1,,", 0 },
	{ "0-1-1,\n,", 0 },
	{ "0", 0 },
	{ "0-1", 0 },
	{ "0-1-", 0 },
	{ "0-1-1-1", 0 },
	{ "0-1-1-", 0 },
	{ "-0-1-1", 0 },
	{ "0--1-1", 0 },
	{ "4294967296-1-1", 0 },                     /* domain 2^32 */
	{ "0-4294967296-1", 0 },                     /* server 2^32 */
	{ "0-1-18446744073709551616", 0 },           /* seq 2^64 */
	{ "0-1-99999999999999999999", 0 },
	{ "99999999999-1-1", 0 },
	{ "a-1-1", 0 },
	{ "0-1-1x", 0 },
	{ "0-1-1 2", 0 },
	{ "0-1-1;", 0 },
	{ "0-1-1 0-2-2", 0 },                        /* missing comma */
	{ "0:1:1", 0 },
	{ "0-1-+1", 0 },
	{ "+0-1-1", 0 },
	{ "0-1-1.0", 0 },
	{ "0x1-1-1", 0 },
	{ U1 ":1", 0 },                              /* MySQL text */
	{ "0,1,1", 0 },
	{ "0-1-1,0-1", 0 },
	{ "0-1-1\0", sizeof("0-1-1") },
	{ "0-1-1,-", 0 },
	{ "0-1-1,x", 0 },
	{ " - ", 0 },
	{ "0-1-1\xff", 0 },
};

static void check_rejects(enum ws_gtid_flavor f, const struct bad_case *cases, size_t n,
			  const char *initial)
{
	struct ws_gtid_set *s = parse(f, initial);
	struct ws_gtid_set *before;
	char *want, *got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	before = ws_gtid_set_dup(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	want = fmt(s);
	for (size_t i = 0; i < n; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		int r = ws_gtid_set_add_text(s, cases[i].text, len);

		CHECK(r == -EINVAL, "%s '%s' -> %d, want -EINVAL\n", flavor_name(f), cases[i].text, r);
		got = fmt(s);
		CHECK(strcmp(got, want) == 0 && ws_gtid_set_equal(s, before),
		      "%s '%s' changed the set to '%s'\n", flavor_name(f), cases[i].text, got);
		free(got);
	}
	free(want);
	ws_gtid_set_free(before);
	ws_gtid_set_free(s);
}

static void test_mysql_rejects(void)
{
	CU_ASSERT(sizeof(mysql_bad) / sizeof(mysql_bad[0]) >= 30);
	check_rejects(MYSQL, mysql_bad, sizeof(mysql_bad) / sizeof(mysql_bad[0]), U1 ":1-3:7," U2 ":t:5");
	/* The same against an empty set: it stays empty. */
	check_rejects(MYSQL, mysql_bad, sizeof(mysql_bad) / sizeof(mysql_bad[0]), "");
}

static void test_mariadb_rejects(void)
{
	CU_ASSERT(sizeof(maria_bad) / sizeof(maria_bad[0]) >= 30);
	check_rejects(MARIA, maria_bad, sizeof(maria_bad) / sizeof(maria_bad[0]), "0-1-100,7-2-3");
	check_rejects(MARIA, maria_bad, sizeof(maria_bad) / sizeof(maria_bad[0]), "");
}

/* A valid prefix followed by an error must not leave the prefix merged in. */
static void test_no_partial_result(void)
{
	struct ws_gtid_set *s = parse(MYSQL, U1 ":1");
	struct ws_gtid_set *m = parse(MARIA, "0-1-1");
	const char *bad = U2 ":1-5," U3 ":0";
	const char *mbad = "1-1-1,2-2-2,3-3-x";
	char *got;

	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, bad, strlen(bad)), -EINVAL);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":1");
	free(got);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, mbad, strlen(mbad)), -EINVAL);
	got = fmt(m);
	CU_ASSERT_STRING_EQUAL(got, "0-1-1");
	free(got);
	ws_gtid_set_free(s);
	ws_gtid_set_free(m);
}

/* Text is not NUL-terminated: only `len` bytes count. */
static void test_len_respected(void)
{
	const char *text = U1 ":1-5:7-9 garbage";
	struct ws_gtid_set *s = ws_gtid_set_new(MYSQL);
	struct ws_gtid_set *m = ws_gtid_set_new(MARIA);
	char *got;

	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, strlen(U1 ":1-5:7")), 0);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":1-5:7");
	free(got);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, 10), -EINVAL); /* cut uuid */
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, "", 0), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, NULL, 0), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, NULL, 3), -EINVAL);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(NULL, "", 0), -EINVAL);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, "0-1-123456", 7), 0);
	got = fmt(m);
	CU_ASSERT_STRING_EQUAL(got, "0-1-123");
	free(got);
	ws_gtid_set_free(s);
	ws_gtid_set_free(m);
}

/* ---- contains ------------------------------------------------------------------ */

struct contains_case {
	const char *super, *sub;
	bool want;
};

static const struct contains_case mysql_contains[] = {
	{ "", "", true },
	{ U1 ":1", "", true },
	{ "", U1 ":1", false },
	{ U1 ":1", U1 ":1", true },
	{ U1 ":1", U1 ":2", false },
	{ U1 ":2", U1 ":1", false },
	{ U1 ":1-10", U1 ":1", true },
	{ U1 ":1-10", U1 ":10", true },
	{ U1 ":1-10", U1 ":11", false },
	{ U1 ":1-10", U1 ":1-10", true },
	{ U1 ":1-10", U1 ":2-9", true },
	{ U1 ":1-10", U1 ":1-11", false },
	{ U1 ":5-10", U1 ":4-10", false },           /* off by one below */
	{ U1 ":5-10", U1 ":5-11", false },           /* off by one above */
	{ U1 ":5-10", U1 ":4", false },
	{ U1 ":5-10", U1 ":5", true },
	{ U1 ":5-10", U1 ":10", true },
	{ U1 ":5-10", U1 ":11", false },
	{ U1 ":5-10", U1 ":1-3:11-20", false },
	{ U1 ":1-5:7-10", U1 ":5-7", false },        /* across the gap */
	{ U1 ":1-5:7-10", U1 ":6", false },
	{ U1 ":1-5:7-10", U1 ":1-5:7", true },
	{ U1 ":1-5:7-10", U1 ":7-10", true },
	{ U1 ":1-5:7-10", U1 ":1:3:5:7:9", true },
	{ U1 ":1-5:7-10", U1 ":1-10", false },
	{ U1 ":1-5,"U2 ":1-5", U1 ":3," U2 ":3", true },
	{ U1 ":1-5,"U2 ":1-5", U1 ":3," U3 ":1", false },  /* missing source */
	{ U1 ":1-5,"U2 ":1-5", U2 ":1-5", true },
	{ U2 ":1-5", U1 ":1-5", false },
	{ U1 ":1-5", U1 ":t:1", false },             /* tags are separate sources */
	{ U1 ":t:1-5", U1 ":1", false },
	{ U1 ":1-5:t:1-5", U1 ":3:t:3", true },
	{ U1 ":1-5:t:1-5", U1 ":t:6", false },
	{ U1 ":1-" GMAX, U1 ":" GMAX, true },
	{ U1 ":1-" GMAX, U1 ":1-" GMAX, true },
	{ U1 ":1-9223372036854775806", U1 ":" GMAX, false },
	{ U1 ":" GMAX, U1 ":9223372036854775806", false },
};

static const struct contains_case maria_contains[] = {
	{ "", "", true },
	{ "0-1-5", "", true },
	{ "", "0-1-5", false },
	{ "0-1-5", "0-1-5", true },
	{ "0-1-5", "0-1-4", true },
	{ "0-1-5", "0-1-6", false },                 /* off by one */
	{ "0-1-5", "0-2-5", true },                  /* server id ignored */
	{ "0-2-5", "0-1-6", false },
	{ "0-1-5,1-1-10", "0-1-3,1-2-10", true },
	{ "0-1-5,1-1-10", "0-1-3,1-1-11", false },
	{ "0-1-5,1-1-10", "1-1-1", true },
	{ "0-1-5,1-1-10", "2-1-1", false },          /* missing domain */
	{ "0-1-5,1-1-10", "0-1-1,2-1-1", false },
	{ "1-1-100", "0-1-0", false },               /* a domain is needed even at seq 0 */
	{ "0-1-0", "0-1-0", true },
	{ "0-1-18446744073709551615", "0-9-18446744073709551614", true },
	{ "0-1-18446744073709551614", "0-9-18446744073709551615", false },
	{ "0-1-5,1-1-5,2-1-5,3-1-5", "3-1-5,1-1-5", true },
};

static void check_contains(enum ws_gtid_flavor f, const struct contains_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ws_gtid_set *a = parse(f, c[i].super), *b = parse(f, c[i].sub);
		bool got;

		if (!a || !b) {
			ws_gtid_set_free(a);
			ws_gtid_set_free(b);
			continue;
		}
		got = ws_gtid_set_contains(a, b);
		CHECK(got == c[i].want, "%s contains('%s', '%s') = %d\n", flavor_name(f), c[i].super,
		      c[i].sub, got);
		/* Every set contains itself and the empty set. */
		CU_ASSERT(ws_gtid_set_contains(a, a));
		CU_ASSERT(ws_gtid_set_contains(b, b));
		CHECK(ws_gtid_set_equal(a, b) == (got && ws_gtid_set_contains(b, a)),
		      "%s equal('%s', '%s')\n", flavor_name(f), c[i].super, c[i].sub);
		ws_gtid_set_free(a);
		ws_gtid_set_free(b);
	}
}

static void test_mysql_contains(void)
{
	check_contains(MYSQL, mysql_contains, sizeof(mysql_contains) / sizeof(mysql_contains[0]));
}

static void test_mariadb_contains(void)
{
	check_contains(MARIA, maria_contains, sizeof(maria_contains) / sizeof(maria_contains[0]));
}

static void test_flavor_mismatch(void)
{
	struct ws_gtid_set *a = parse(MYSQL, U1 ":1");
	struct ws_gtid_set *b = parse(MARIA, "0-1-1");
	struct ws_gtid_set *ea = ws_gtid_set_new(MYSQL), *eb = ws_gtid_set_new(MARIA);
	char *got;

	CU_ASSERT_FALSE(ws_gtid_set_contains(a, b));
	CU_ASSERT_FALSE(ws_gtid_set_contains(b, a));
	CU_ASSERT_FALSE(ws_gtid_set_contains(ea, eb)); /* even empty */
	CU_ASSERT_FALSE(ws_gtid_set_equal(ea, eb));
	CU_ASSERT_EQUAL(ws_gtid_set_merge(a, b), -EINVAL);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(b, a), -EINVAL);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(ea, eb), -EINVAL);
	got = fmt(a);
	CU_ASSERT_STRING_EQUAL(got, U1 ":1");
	free(got);
	got = fmt(b);
	CU_ASSERT_STRING_EQUAL(got, "0-1-1");
	free(got);
	CU_ASSERT_FALSE(ws_gtid_set_contains(NULL, a));
	CU_ASSERT_FALSE(ws_gtid_set_contains(a, NULL));
	CU_ASSERT_EQUAL(ws_gtid_set_merge(NULL, a), -EINVAL);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(a, NULL), -EINVAL);
	ws_gtid_set_free(a);
	ws_gtid_set_free(b);
	ws_gtid_set_free(ea);
	ws_gtid_set_free(eb);
}

/* ---- merge -------------------------------------------------------------------------- */

struct merge_case {
	const char *a, *b, *want;
};

static const struct merge_case mysql_merges[] = {
	{ "", "", "" },
	{ "", U1 ":1", U1 ":1" },
	{ U1 ":1", "", U1 ":1" },
	{ U1 ":1-3", U1 ":4-5", U1 ":1-5" },
	{ U1 ":4-5", U1 ":1-3", U1 ":1-5" },
	{ U1 ":1-3", U1 ":5", U1 ":1-3:5" },
	{ U1 ":5", U1 ":1-3", U1 ":1-3:5" },
	{ U1 ":1-10", U1 ":3-4", U1 ":1-10" },
	{ U1 ":3-4", U1 ":1-10", U1 ":1-10" },
	{ U1 ":1-3:7-9", U1 ":4-6", U1 ":1-9" },
	{ U1 ":1:3:5", U1 ":2:4", U1 ":1-5" },
	{ U1 ":1-2:10-12", U1 ":2-10", U1 ":1-12" },
	{ U1 ":1," U2 ":1", U1 ":2," U3 ":1", U1 ":1-2," U2 ":1," U3 ":1" },
	{ U3 ":1", U1 ":1", U1 ":1," U3 ":1" },
	{ U1 ":1", U1 ":t:1", U1 ":1:t:1" },
	{ U1 ":t:1", U1 ":t:2:u:1", U1 ":t:1-2:u:1" },
	{ U1 ":1-9223372036854775806", U1 ":" GMAX, U1 ":1-" GMAX },
	{ U1 ":" GMAX, U1 ":1", U1 ":1:" GMAX },
};

static const struct merge_case maria_merges[] = {
	{ "", "", "" },
	{ "", "0-1-5", "0-1-5" },
	{ "0-1-5", "", "0-1-5" },
	{ "0-1-5", "0-2-7", "0-2-7" },
	{ "0-2-7", "0-1-5", "0-2-7" },
	{ "0-1-5", "0-2-5", "0-1-5" },               /* tie: dst's entry stays */
	{ "0-2-5", "0-1-5", "0-2-5" },
	{ "0-1-5", "1-1-3", "0-1-5,1-1-3" },
	{ "1-1-3", "0-1-5", "0-1-5,1-1-3" },
	{ "0-1-5,2-1-1", "1-1-1,2-3-9", "0-1-5,1-1-1,2-3-9" },
	{ "0-1-18446744073709551615", "0-2-1", "0-1-18446744073709551615" },
};

static void check_merges(enum ws_gtid_flavor f, const struct merge_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ws_gtid_set *a = parse(f, c[i].a), *b = parse(f, c[i].b), *a0;
		char *got;
		int r;

		if (!a || !b) {
			ws_gtid_set_free(a);
			ws_gtid_set_free(b);
			continue;
		}
		a0 = ws_gtid_set_dup(a);
		r = ws_gtid_set_merge(a, b);
		CU_ASSERT_EQUAL(r, 0);
		got = fmt(a);
		CHECK(strcmp(got, c[i].want) == 0, "%s merge('%s', '%s') = '%s', want '%s'\n",
		      flavor_name(f), c[i].a, c[i].b, got, c[i].want);
		CU_ASSERT(ws_gtid_set_contains(a, a0));
		CU_ASSERT(ws_gtid_set_contains(a, b));
		free(got);
		/* add_text is merge too */
		CU_ASSERT_EQUAL(ws_gtid_set_add_text(a0, c[i].b, strlen(c[i].b)), 0);
		got = fmt(a0);
		CHECK(strcmp(got, c[i].want) == 0, "%s add_text('%s', '%s') = '%s'\n", flavor_name(f),
		      c[i].a, c[i].b, got);
		free(got);
		/* Merging into itself changes nothing. */
		CU_ASSERT_EQUAL(ws_gtid_set_merge(a0, a0), 0);
		CU_ASSERT(ws_gtid_set_equal(a0, a));
		ws_gtid_set_free(a0);
		ws_gtid_set_free(a);
		ws_gtid_set_free(b);
	}
}

static void test_mysql_merge(void)
{
	check_merges(MYSQL, mysql_merges, sizeof(mysql_merges) / sizeof(mysql_merges[0]));
}

static void test_mariadb_merge(void)
{
	check_merges(MARIA, maria_merges, sizeof(maria_merges) / sizeof(maria_merges[0]));
}

/* ---- lifetime and accessors ------------------------------------------------------------ */

static void test_lifetime(void)
{
	struct ws_gtid_set *a = ws_gtid_set_new(MYSQL), *b, *m = ws_gtid_set_new(MARIA), *e;
	char buf[8];

	ws_gtid_set_free(NULL);
	CU_ASSERT_PTR_NULL(ws_gtid_set_dup(NULL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(ws_gtid_set_flavor(a), MYSQL);
	CU_ASSERT_EQUAL(ws_gtid_set_flavor(m), MARIA);
	CU_ASSERT(ws_gtid_set_is_empty(a));
	CU_ASSERT(ws_gtid_set_is_empty(m));
	CU_ASSERT_EQUAL(ws_gtid_set_count(a), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_format(a, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	e = ws_gtid_set_dup(a); /* dup of empty */
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT(ws_gtid_set_equal(a, e));
	CU_ASSERT_EQUAL(ws_gtid_set_flavor(e), MYSQL);

	CU_ASSERT_EQUAL(ws_gtid_set_add_text(a, U1 ":1-3:5," U2 ":t:1", strlen(U1 ":1-3:5," U2 ":t:1")), 0);
	CU_ASSERT_FALSE(ws_gtid_set_is_empty(a));
	CU_ASSERT_EQUAL(ws_gtid_set_count(a), 3);
	b = ws_gtid_set_dup(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(ws_gtid_set_equal(a, b));
	/* The copy is independent. */
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(b, U1 ":4", strlen(U1 ":4")), 0);
	CU_ASSERT_FALSE(ws_gtid_set_equal(a, b));
	CU_ASSERT(ws_gtid_set_contains(b, a));
	CU_ASSERT_FALSE(ws_gtid_set_contains(a, b));
	CU_ASSERT_EQUAL(ws_gtid_set_count(b), 2);

	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, "0-1-5,3-1-1", 11), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(m), 2);
	ws_gtid_set_free(e);
	e = ws_gtid_set_dup(m);
	CU_ASSERT(ws_gtid_set_equal(m, e));
	CU_ASSERT_EQUAL(ws_gtid_set_flavor(e), MARIA);
	ws_gtid_set_free(e);
	ws_gtid_set_free(a);
	ws_gtid_set_free(b);
	ws_gtid_set_free(m);
}

/* Watermark use: one GTID at a time, as the OK packet reports them. */
static void test_incremental(void)
{
	struct ws_gtid_set *s = ws_gtid_set_new(MYSQL);
	struct ws_gtid_set *m = ws_gtid_set_new(MARIA);
	char text[128], *got;

	for (int i = 1; i <= 1000; i++) {
		int n = snprintf(text, sizeof(text), "%s:%d", (i % 3) ? U1 : U2, i);

		CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, (size_t)n), 0);
		n = snprintf(text, sizeof(text), "%d-%d-%d", i % 4, i % 7, i);
		CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, text, (size_t)n), 0);
	}
	CU_ASSERT_EQUAL(ws_gtid_set_count(m), 4);
	got = fmt(m);
	CU_ASSERT_STRING_EQUAL(got, "0-6-1000,1-3-997,2-4-998,3-5-999");
	free(got);
	/* U2 got every multiple of 3: 333 single intervals; U1 the rest: 334 runs. */
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), 333 + 334);
	ws_gtid_set_free(s);
	ws_gtid_set_free(m);
}

/* ---- bounds ---------------------------------------------------------------------------- */

/* Text of n sources "xxxxxxxx-0000-0000-0000-000000000000:1," with distinct uuids. */
static char *many_sources(size_t n, size_t start)
{
	char *t = xmalloc(n * 40 + 1), *p = t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%08zx-0000-0000-0000-000000000000:1,", start + i);
	*p = '\0';
	return t;
}

/* Text of n disjoint intervals "2k+1" for k in [start, start+n) under U1. */
static char *many_intervals(const char *uuid, size_t n, size_t start)
{
	char *t = xmalloc(n * 24 + 64), *p = t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	p += sprintf(p, "%s", uuid);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ":%zu", 2 * (start + i) + 1);
	return t;
}

static void test_bounds(void)
{
	struct ws_gtid_set *s = ws_gtid_set_new(MYSQL), *t = ws_gtid_set_new(MYSQL);
	struct ws_gtid_set *m = ws_gtid_set_new(MARIA);
	char *text, *before;
	size_t cap = 8 * 1024 * 1024;
	char *big = xmalloc(cap), *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* Sources: exactly the maximum parses; one more is -E2BIG. */
	text = many_sources(WS_GTID_MAX_SOURCES, 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, strlen(text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), WS_GTID_MAX_SOURCES);
	free(text);
	text = many_sources(WS_GTID_MAX_SOURCES + 1, 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), -E2BIG);
	CU_ASSERT(ws_gtid_set_is_empty(t));
	free(text);
	/* ... and through merging into a full set, which stays as it was. */
	before = fmt(s);
	text = many_sources(1, WS_GTID_MAX_SOURCES);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, strlen(text)), -E2BIG);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(s, t), -E2BIG);
	free(text);
	text = fmt(s);
	CU_ASSERT_STRING_EQUAL(text, before);
	free(text);
	free(before);
	/* A known source still merges into the full set. */
	text = many_sources(1, 5);
	text[strlen(text) - 2] = '2';
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, strlen(text)), 0);
	free(text);

	/* Tags count as sources. */
	p = big + sprintf(big, U1);
	for (size_t i = 0; i <= WS_GTID_MAX_SOURCES; i++)
		p += sprintf(p, ":t%zu:1", i);
	ws_gtid_set_free(t);
	t = ws_gtid_set_new(MYSQL);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, big, (size_t)(p - big)), -E2BIG);
	CU_ASSERT(ws_gtid_set_is_empty(t));

	/* Intervals: the maximum in one source, then one more. */
	text = many_intervals(U1, WS_GTID_MAX_INTERVALS, 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(t), WS_GTID_MAX_INTERVALS);
	free(text);
	text = many_intervals(U2, 1, 0);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), -E2BIG);
	free(text);
	text = many_intervals(U1, 1, 1000000);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), -E2BIG);
	free(text);
	/* Filling a gap lowers the count, so it is fine at the bound. */
	text = strdup(U1 ":2");
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(t), WS_GTID_MAX_INTERVALS - 1);
	free(text);
	text = many_intervals(U1, WS_GTID_MAX_INTERVALS + 1, 0);
	ws_gtid_set_free(t);
	t = ws_gtid_set_new(MYSQL);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, text, strlen(text)), -E2BIG);
	CU_ASSERT(ws_gtid_set_is_empty(t));
	free(text);
	/* Many raw intervals that coalesce to few are not over the bound. */
	p = big + sprintf(big, U1);
	for (size_t i = 0; i < 3 * WS_GTID_MAX_INTERVALS; i++)
		p += sprintf(p, ":%zu", i % 1000 + 1);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(t, big, (size_t)(p - big)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(t), 1);

	/* MariaDB domains. */
	p = big;
	for (size_t i = 0; i < WS_GTID_MAX_SOURCES; i++)
		p += sprintf(p, "%zu-1-%zu,", i, i + 1);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, big, (size_t)(p - big)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(m), WS_GTID_MAX_SOURCES);
	before = fmt(m);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, "99999-1-1", 9), -E2BIG);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, "5-1-99999", 9), 0); /* known domain */
	text = fmt(m);
	CU_ASSERT_STRING_NOT_EQUAL(text, before);
	free(text);
	free(before);
	p += sprintf(p, "%d-1-1", WS_GTID_MAX_SOURCES);
	ws_gtid_set_free(m);
	m = ws_gtid_set_new(MARIA);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(m, big, (size_t)(p - big)), -E2BIG);
	CU_ASSERT(ws_gtid_set_is_empty(m));

	free(big);
	ws_gtid_set_free(s);
	ws_gtid_set_free(t);
	ws_gtid_set_free(m);
}

/* ---- a large set --------------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static void shuffle(unsigned *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd() % i;
		unsigned t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void test_large_set(void)
{
	enum { N = 500 };
	unsigned order[N];
	char *text = xmalloc(N * 16 + 64), *p;
	struct ws_gtid_set *s = ws_gtid_set_new(MYSQL), *one, *evens = ws_gtid_set_new(MYSQL);
	char single[64], *got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (unsigned i = 0; i < N; i++)
		order[i] = i;
	shuffle(order, N);
	p = text + sprintf(text, U1);
	for (unsigned i = 0; i < N; i++)
		p += sprintf(p, ":%u", 2 * order[i] + 1); /* odd numbers 1..999 */
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, (size_t)(p - text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), N);
	/* Canonical text is sorted. */
	got = fmt(s);
	CU_ASSERT_NSTRING_EQUAL(got, U1 ":1:3:5:7:", strlen(U1 ":1:3:5:7:"));
	CU_ASSERT(strlen(got) > 4 && strcmp(got + strlen(got) - 4, ":999") == 0);
	free(got);
	for (unsigned v = 1; v <= 2 * N + 1; v++) {
		int n = snprintf(single, sizeof(single), U1 ":%u", v);

		one = ws_gtid_set_new(MYSQL);
		CU_ASSERT_EQUAL(ws_gtid_set_add_text(one, single, (size_t)n), 0);
		CHECK(ws_gtid_set_contains(s, one) == (v % 2 == 1 && v < 2 * N), "contains %u\n", v);
		ws_gtid_set_free(one);
		n = snprintf(single, sizeof(single), U1 ":%u-%u", v, v + 1);
		one = ws_gtid_set_new(MYSQL);
		CU_ASSERT_EQUAL(ws_gtid_set_add_text(one, single, (size_t)n), 0);
		CU_ASSERT_FALSE(ws_gtid_set_contains(s, one));
		ws_gtid_set_free(one);
	}
	/* Fill the gaps (even numbers 2..998, also shuffled): one interval. */
	for (unsigned i = 0; i < N - 1; i++)
		order[i] = i;
	shuffle(order, N - 1);
	p = text + sprintf(text, U1);
	for (unsigned i = 0; i < N - 1; i++)
		p += sprintf(p, ":%u", 2 * order[i] + 2);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(evens, text, (size_t)(p - text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(evens), N - 1);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(s, evens), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), 1);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":1-999");
	free(got);
	CU_ASSERT(ws_gtid_set_contains(s, evens));
	free(text);
	ws_gtid_set_free(s);
	ws_gtid_set_free(evens);
}

/* 65536 intervals in shuffled order parse fast (sort + merge, not insertion). */
static void test_max_set_shuffled(void)
{
	enum { N = WS_GTID_MAX_INTERVALS };
	unsigned *order = xmalloc(N * sizeof(*order));
	char *text = xmalloc((size_t)N * 16 + 64), *p, *got;
	struct ws_gtid_set *s = ws_gtid_set_new(MYSQL), *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(order);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (unsigned i = 0; i < N; i++)
		order[i] = i;
	shuffle(order, N);
	p = text + sprintf(text, U1);
	for (unsigned i = 0; i < N; i++)
		p += sprintf(p, ":%u-%u", 3 * order[i] + 1, 3 * order[i] + 2);
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, text, (size_t)(p - text)), 0);
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), N);
	got = fmt(s);
	t = parse(MYSQL, got);
	CU_ASSERT(t && ws_gtid_set_equal(s, t));
	free(got);
	ws_gtid_set_free(t);
	free(order);
	free(text);
	ws_gtid_set_free(s);
}

/* ---- huge values ------------------------------------------------------------------------------ */

static void test_huge_values(void)
{
	struct ws_gtid_set *s = parse(MYSQL, U1 ":9223372036854775805");
	struct ws_gtid_set *top = parse(MYSQL, U1 ":" GMAX);
	struct ws_gtid_set *mid = parse(MYSQL, U1 ":9223372036854775806");
	char *got;

	CU_ASSERT_FATAL(s && top && mid);
	CU_ASSERT_EQUAL(ws_gtid_set_merge(s, top), 0);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":9223372036854775805:" GMAX);
	free(got);
	CU_ASSERT_FALSE(ws_gtid_set_contains(s, mid));
	CU_ASSERT_EQUAL(ws_gtid_set_merge(s, mid), 0);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":9223372036854775805-" GMAX);
	free(got);
	CU_ASSERT_EQUAL(ws_gtid_set_count(s), 1);
	CU_ASSERT(ws_gtid_set_contains(s, top));
	CU_ASSERT(ws_gtid_set_contains(s, mid));
	/* Raw text with overlapping huge intervals in parse. */
	CU_ASSERT_EQUAL(ws_gtid_set_add_text(s, U1 ":1-" GMAX ":" GMAX, strlen(U1 ":1-" GMAX ":" GMAX)), 0);
	got = fmt(s);
	CU_ASSERT_STRING_EQUAL(got, U1 ":1-" GMAX);
	free(got);
	ws_gtid_set_free(s);
	ws_gtid_set_free(top);
	ws_gtid_set_free(mid);
}

/* ---- format truncation -------------------------------------------------------------------------- */

static void check_truncation(const struct ws_gtid_set *s)
{
	char *full = fmt(s);
	size_t len = strlen(full);
	char buf[256];

	CU_ASSERT_FATAL(len + 8 < sizeof(buf));
	CU_ASSERT_EQUAL(ws_gtid_set_format(s, NULL, 0), len);
	memset(buf, 'Z', sizeof(buf));
	CU_ASSERT_EQUAL(ws_gtid_set_format(s, buf, 0), len);
	CU_ASSERT_EQUAL(buf[0], 'Z'); /* size 0: nothing written */
	for (size_t size = 1; size <= len + 2; size++) {
		size_t keep = size - 1 < len ? size - 1 : len;
		size_t r;

		memset(buf, 'Z', sizeof(buf));
		r = ws_gtid_set_format(s, buf, size);
		CHECK(r == len, "size %zu returned %zu\n", size, r);
		CHECK(memcmp(buf, full, keep) == 0 && buf[keep] == '\0', "size %zu: '%s'\n", size, buf);
		for (size_t k = size; k < sizeof(buf); k++)
			if (buf[k] != 'Z') {
				CHECK(false, "size %zu: byte %zu written\n", size, k);
				break;
			}
	}
	free(full);
}

static void test_format_truncation(void)
{
	static const char *const mysql[] = { "", U1 ":1", U1 ":1-5:7-9:tag:3," U2 ":1-" GMAX };
	static const char *const maria[] = { "", "0-1-100", "0-1-100,1-2-7,4294967295-4294967295-18446744073709551615" };

	for (size_t i = 0; i < 3; i++) {
		struct ws_gtid_set *s = parse(MYSQL, mysql[i]), *m = parse(MARIA, maria[i]);

		CU_ASSERT_FATAL(s && m);
		check_truncation(s);
		check_truncation(m);
		ws_gtid_set_free(s);
		ws_gtid_set_free(m);
	}
	/* NULL set formats as "". */
	{
		char b[4] = "xyz";

		CU_ASSERT_EQUAL(ws_gtid_set_format(NULL, b, sizeof(b)), 0);
		CU_ASSERT_STRING_EQUAL(b, "");
	}
}

/* ---- randomized comparison with a brute-force model --------------------------------------------- */

enum { MODEL_SRC = 4, MODEL_MAX = 48, MODEL_DOM = 5, ROUNDS = 400 };

static const char *const model_uuid[MODEL_SRC] = { U1, U1UP, U2, U3 }; /* U1UP == U1 */
static const char *const model_tag[MODEL_SRC] = { "", "", "t", "" };

/* Model source index: U1 and U1UP are the same source. */
static int model_src_of(int k)
{
	return k == 1 ? 0 : k;
}

struct mysql_model {
	bool has[MODEL_SRC][MODEL_MAX + 2];
};

static void random_ws(char **p)
{
	static const char ws[] = " \n\t";

	if (rnd() % 4 == 0)
		*(*p)++ = ws[rnd() % 3];
}

/* Random text (random order, overlaps, whitespace, case) and the model of it. */
static void random_mysql(char *text, struct mysql_model *m)
{
	int n_elem = (int)(rnd() % 5);
	char *p = text;

	memset(m, 0, sizeof(*m));
	for (int e = 0; e < n_elem; e++) {
		int k = (int)(rnd() % MODEL_SRC);
		int n_iv = 1 + (int)(rnd() % 4);

		if (e > 0) {
			*p++ = ',';
			random_ws(&p);
		}
		p += sprintf(p, "%s", model_uuid[k]);
		random_ws(&p);
		if (model_tag[k][0])
			p += sprintf(p, ":%s", rnd() % 2 ? "t" : "T");
		for (int i = 0; i < n_iv; i++) {
			int lo = 1 + (int)(rnd() % MODEL_MAX);
			int hi = lo + (int)(rnd() % 6);

			if (hi > MODEL_MAX)
				hi = MODEL_MAX;
			if (lo == hi && rnd() % 2)
				p += sprintf(p, ":%d", lo);
			else
				p += sprintf(p, ":%d-%d", lo, hi);
			random_ws(&p);
			for (int v = lo; v <= hi; v++)
				m->has[model_src_of(k)][v] = true;
		}
	}
	if (n_elem && rnd() % 8 == 0)
		*p++ = ',';
	*p = '\0';
}

/* Canonical text the model predicts: sources in uuid order (U1, U2:t, U3). */
static void model_format(const struct mysql_model *m, char *out)
{
	static const int order[] = { 0, 2, 3 };
	char *p = out;
	bool first = true;

	for (int o = 0; o < 3; o++) {
		int k = order[o];
		bool any = false;

		for (int v = 1; v <= MODEL_MAX; v++)
			if (m->has[k][v]) {
				int hi = v;

				while (m->has[k][hi + 1])
					hi++;
				if (!any) {
					p += sprintf(p, "%s%s%s%s", first ? "" : ",", model_uuid[k],
						     model_tag[k][0] ? ":" : "", model_tag[k]);
					first = false;
					any = true;
				}
				p += hi == v ? sprintf(p, ":%d", v) : sprintf(p, ":%d-%d", v, hi);
				v = hi;
			}
	}
	*p = '\0';
}

static bool model_contains(const struct mysql_model *a, const struct mysql_model *b)
{
	for (int k = 0; k < MODEL_SRC; k++)
		for (int v = 0; v <= MODEL_MAX; v++)
			if (b->has[k][v] && !a->has[k][v])
				return false;
	return true;
}

static void test_mysql_random(void)
{
	char ta[1024], tb[1024], want[2048];

	rng = 42;
	for (int round = 0; round < ROUNDS; round++) {
		struct mysql_model ma, mb, mu;
		struct ws_gtid_set *a, *b, *u, *back;
		char *got;

		random_mysql(ta, &ma);
		random_mysql(tb, &mb);
		a = parse(MYSQL, ta);
		b = parse(MYSQL, tb);
		if (!a || !b) {
			ws_gtid_set_free(a);
			ws_gtid_set_free(b);
			continue;
		}
		got = fmt(a);
		model_format(&ma, want);
		CHECK(strcmp(got, want) == 0, "'%s' -> '%s', model '%s'\n", ta, got, want);
		back = parse(MYSQL, got);
		CHECK(back && ws_gtid_set_equal(a, back), "round trip of '%s'\n", got);
		ws_gtid_set_free(back);
		free(got);

		CHECK(ws_gtid_set_contains(a, b) == model_contains(&ma, &mb), "contains('%s','%s')\n", ta, tb);
		CHECK(ws_gtid_set_contains(b, a) == model_contains(&mb, &ma), "contains('%s','%s')\n", tb, ta);
		CHECK(ws_gtid_set_equal(a, b) == (model_contains(&ma, &mb) && model_contains(&mb, &ma)),
		      "equal('%s','%s')\n", ta, tb);

		u = ws_gtid_set_dup(a);
		CU_ASSERT_EQUAL(ws_gtid_set_merge(u, b), 0);
		for (int k = 0; k < MODEL_SRC; k++)
			for (int v = 0; v <= MODEL_MAX + 1; v++)
				mu.has[k][v] = ma.has[k][v] || mb.has[k][v];
		got = fmt(u);
		model_format(&mu, want);
		CHECK(strcmp(got, want) == 0, "merge('%s','%s') = '%s', model '%s'\n", ta, tb, got, want);
		free(got);
		CU_ASSERT(ws_gtid_set_contains(u, a));
		CU_ASSERT(ws_gtid_set_contains(u, b));
		/* merge is commutative */
		back = ws_gtid_set_dup(b);
		CU_ASSERT_EQUAL(ws_gtid_set_merge(back, a), 0);
		CU_ASSERT(ws_gtid_set_equal(u, back));
		ws_gtid_set_free(back);
		ws_gtid_set_free(u);
		ws_gtid_set_free(a);
		ws_gtid_set_free(b);
	}
}

struct maria_model {
	bool has[MODEL_DOM];
	uint64_t seq[MODEL_DOM];
};

static void random_mariadb(char *text, struct maria_model *m)
{
	int n = (int)(rnd() % 6);
	char *p = text;

	memset(m, 0, sizeof(*m));
	for (int e = 0; e < n; e++) {
		int d = (int)(rnd() % MODEL_DOM);
		uint64_t seq = rnd() % 12;

		if (e > 0) {
			*p++ = ',';
			random_ws(&p);
		}
		p += sprintf(p, "%d-%d-%llu", d, 1 + (int)(rnd() % 3), (unsigned long long)seq);
		random_ws(&p);
		if (!m->has[d] || seq > m->seq[d])
			m->seq[d] = seq;
		m->has[d] = true;
	}
	*p = '\0';
}

static bool maria_model_contains(const struct maria_model *a, const struct maria_model *b)
{
	for (int d = 0; d < MODEL_DOM; d++)
		if (b->has[d] && (!a->has[d] || a->seq[d] < b->seq[d]))
			return false;
	return true;
}

static void test_mariadb_random(void)
{
	char ta[512], tb[512];

	rng = 4242;
	for (int round = 0; round < ROUNDS; round++) {
		struct maria_model ma, mb, mu;
		struct ws_gtid_set *a, *b, *u, *back;
		char *got;

		random_mariadb(ta, &ma);
		random_mariadb(tb, &mb);
		a = parse(MARIA, ta);
		b = parse(MARIA, tb);
		if (!a || !b) {
			ws_gtid_set_free(a);
			ws_gtid_set_free(b);
			continue;
		}
		got = fmt(a);
		back = parse(MARIA, got);
		CHECK(back && ws_gtid_set_equal(a, back), "round trip of '%s'\n", got);
		if (back) {
			char *again = fmt(back);

			CU_ASSERT_STRING_EQUAL(again, got);
			free(again);
		}
		ws_gtid_set_free(back);
		free(got);
		CHECK(ws_gtid_set_contains(a, b) == maria_model_contains(&ma, &mb), "contains('%s','%s')\n", ta, tb);
		CHECK(ws_gtid_set_contains(b, a) == maria_model_contains(&mb, &ma), "contains('%s','%s')\n", tb, ta);
		u = ws_gtid_set_dup(a);
		CU_ASSERT_EQUAL(ws_gtid_set_merge(u, b), 0);
		for (int d = 0; d < MODEL_DOM; d++) {
			mu.has[d] = ma.has[d] || mb.has[d];
			mu.seq[d] = 0;
			if (ma.has[d])
				mu.seq[d] = ma.seq[d];
			if (mb.has[d] && (!ma.has[d] || mb.seq[d] > mu.seq[d]))
				mu.seq[d] = mb.seq[d];
		}
		CU_ASSERT(ws_gtid_set_contains(u, a));
		CU_ASSERT(ws_gtid_set_contains(u, b));
		{
			int n = 0;

			for (int d = 0; d < MODEL_DOM; d++)
				n += mu.has[d];
			CU_ASSERT_EQUAL(ws_gtid_set_count(u), (size_t)n);
		}
		/* u is exactly the model: contains u and contained in it. */
		{
			char tm[256], *q = tm;
			struct ws_gtid_set *mset;

			*q = '\0';
			for (int d = 0; d < MODEL_DOM; d++)
				if (mu.has[d])
					q += sprintf(q, "%s%d-9-%llu", q == tm ? "" : ",", d,
						     (unsigned long long)mu.seq[d]);
			mset = parse(MARIA, tm);
			CHECK(mset && ws_gtid_set_equal(u, mset), "merge('%s','%s') vs model '%s'\n", ta, tb, tm);
			ws_gtid_set_free(mset);
		}
		ws_gtid_set_free(u);
		ws_gtid_set_free(a);
		ws_gtid_set_free(b);
	}
}

/* ---- output character set ------------------------------------------------------------------------- */

static void test_output_charset(void)
{
	struct ws_gtid_set *s = parse(MYSQL, U1UP ":1-5:TAG_x9:3," U4 ":" GMAX);
	struct ws_gtid_set *m = parse(MARIA, "4294967295-4294967295-18446744073709551615,0-0-0");
	char *a, *b;

	CU_ASSERT_FATAL(s && m);
	a = fmt(s);
	b = fmt(m);
	CU_ASSERT_EQUAL(strspn(a, "0123456789abcdefghijklmnopqrstuvwxyz_:,-"), strlen(a));
	CU_ASSERT_EQUAL(strspn(b, "0123456789,-"), strlen(b));
	CU_ASSERT_STRING_EQUAL(a, U1 ":1-5:tag_x9:3," U4 ":" GMAX);
	free(a);
	free(b);
	ws_gtid_set_free(s);
	ws_gtid_set_free(m);
}

/* Per-source positions, as the watermark code reads them. */
static void test_positions(void)
{
	struct ws_gtid_set *m = ws_gtid_set_new(WS_GTID_MYSQL), *d = ws_gtid_set_new(WS_GTID_MARIADB);
	struct ws_gtid_pos pos[4];
	const char *mysql = "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7-9,"
			    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:3-4,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:tag:1-2";

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL_FATAL(ws_gtid_set_add_text(m, mysql, strlen(mysql)), 0);
	CU_ASSERT_EQUAL_FATAL(ws_gtid_set_positions(m, pos, 4), 3);
	/* Sorted by uuid, lower case; prefix = end of the interval from 1. */
	CU_ASSERT_STRING_EQUAL(pos[0].source, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
	CU_ASSERT_EQUAL(pos[0].prefix, 5); /* 6 is missing */
	CU_ASSERT_EQUAL(pos[0].max, 9);
	CU_ASSERT_STRING_EQUAL(pos[1].source, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
	CU_ASSERT_EQUAL(pos[1].prefix, 0); /* 1-2 missing */
	CU_ASSERT_EQUAL(pos[1].max, 4);
	CU_ASSERT_STRING_EQUAL(pos[2].source, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:tag");
	CU_ASSERT_EQUAL(pos[2].prefix, 2);
	CU_ASSERT_EQUAL(pos[2].max, 2);
	CU_ASSERT_EQUAL(ws_gtid_set_positions(m, pos, 1), 3); /* count even when out is short */

	CU_ASSERT_EQUAL_FATAL(ws_gtid_set_add_text(d, "1-2-7,0-1-100", 13), 0);
	CU_ASSERT_EQUAL_FATAL(ws_gtid_set_positions(d, pos, 4), 2);
	CU_ASSERT_STRING_EQUAL(pos[0].source, "0");
	CU_ASSERT_EQUAL(pos[0].server, 1);
	CU_ASSERT_EQUAL(pos[0].prefix, 100);
	CU_ASSERT_EQUAL(pos[0].max, 100);
	CU_ASSERT_STRING_EQUAL(pos[1].source, "1");
	CU_ASSERT_EQUAL(pos[1].server, 2);
	CU_ASSERT_EQUAL(pos[1].max, 7);
	CU_ASSERT_EQUAL(ws_gtid_set_positions(NULL, pos, 4), 0);
	ws_gtid_set_free(m);
	ws_gtid_set_free(d);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{ "per-source positions (prefix, max, server)", test_positions },
		{ "mysql canonical form and round trip", test_mysql_canonical },
		{ "mariadb canonical form and round trip", test_mariadb_canonical },
		{ "mysql rejected inputs leave the set unchanged", test_mysql_rejects },
		{ "mariadb rejected inputs leave the set unchanged", test_mariadb_rejects },
		{ "an error after a valid prefix merges nothing", test_no_partial_result },
		{ "only len bytes of text are read", test_len_respected },
		{ "mysql contains truth table", test_mysql_contains },
		{ "mariadb contains truth table", test_mariadb_contains },
		{ "different flavours never mix", test_flavor_mismatch },
		{ "mysql merge truth table", test_mysql_merge },
		{ "mariadb merge truth table", test_mariadb_merge },
		{ "new, dup, free, accessors", test_lifetime },
		{ "one GTID at a time", test_incremental },
		{ "source, domain and interval bounds give -E2BIG", test_bounds },
		{ "500 shuffled intervals, then the gaps filled", test_large_set },
		{ "the maximum interval count in shuffled order", test_max_set_shuffled },
		{ "values near 2^63-1", test_huge_values },
		{ "format truncates like snprintf", test_format_truncation },
		{ "mysql randomized against a model", test_mysql_random },
		{ "mariadb randomized against a model", test_mariadb_random },
		{ "format output is SQL-safe", test_output_charset },
	};
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("gtid", NULL, NULL);
	if (!suite)
		return 2;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
