/*
 * test-classify-env.c — the classifier told the session's character set and
 * sql_mode (struct ws_lexenv): rows of statements and their exact verdicts
 * per session (docs/classifier.md, "Readings the server may make
 * differently", "Stored functions", "Hints"), among them every finding of
 * tests/integration/test-oracle.c and of the fuzzer; and the names of
 * character sets and sql_mode values.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify-cases.h"

/* ---- the session's character set and sql_mode ---- */

enum { E_UNK, E_UTF8, E_L1, E_L1_MODE_UNK, E_NBE, E_SJIS, E_GBK, E_ANSI, E_CP1251, E_CP852, E_FN, E_COUNT };

/* Stored functions known to be READS SQL DATA / NO SQL (E_FN). */
static bool fn_ok(void *ctx, const char *db, size_t db_len, const char *name, size_t name_len)
{
	(void)ctx;
	if (!db)
		return name_len == 6 && memcmp(name, "safe_f", 6) == 0;
	return db_len == 2 && memcmp(db, "db", 2) == 0 && name_len == 6 && memcmp(name, "safe_g", 6) == 0;
}

static struct ws_lexenv envs[E_COUNT];

static void init_envs(void)
{
	static const char ansi[] = "REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI";
	static const char nbe[] = "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES";

	envs[E_UTF8] = (struct ws_lexenv){ ws_classify_charset("utf8mb4", 7), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_L1] = (struct ws_lexenv){ ws_classify_charset("LATIN1", 6), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_L1_MODE_UNK] = (struct ws_lexenv){ ws_classify_charset("latin1", 6), 0, NULL, NULL };
	envs[E_NBE] = (struct ws_lexenv){ ws_classify_charset("utf8mb4", 7),
					  ws_classify_sql_mode(nbe, sizeof(nbe) - 1), NULL, NULL };
	envs[E_SJIS] = (struct ws_lexenv){ ws_classify_charset("sjis", 4), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_GBK] = (struct ws_lexenv){ ws_classify_charset("gbk", 3), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_ANSI] = (struct ws_lexenv){ ws_classify_charset("utf8mb4", 7),
					   ws_classify_sql_mode(ansi, sizeof(ansi) - 1), NULL, NULL };
	envs[E_CP1251] = (struct ws_lexenv){ ws_classify_charset("cp1251", 6), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_CP852] = (struct ws_lexenv){ ws_classify_charset("cp852", 5), WS_SQLM_KNOWN, NULL, NULL };
	envs[E_FN] = (struct ws_lexenv){ ws_classify_charset("utf8mb4", 7), WS_SQLM_KNOWN, fn_ok, NULL };
}

struct ecase {
	int env;
	size_t len;        /* 0: strlen (set for texts with a NUL byte) */
	struct tcase tc;
};

#define RP WS_HINT_REPLICA
#define PR WS_HINT_PRIMARY
static const struct ecase env_cases[] = {
	/* "--" + DEL: a comment in utf8mb4 (and most), code in cp1251; unknown: both */
	{ E_UNK, 0, CN("SELECT 1 --\x7f'\n; DELETE FROM t WHERE id=3; -- '", W | MU, SELECT, 2) },
	{ E_UTF8, 0, CN("SELECT 1 --\x7f'\n; DELETE FROM t WHERE id=3; -- '", W | MU, SELECT, 2) },
	{ E_L1, 0, CN("SELECT 1 --\x7f'\n; DELETE FROM t WHERE id=3; -- '", W | MU, SELECT, 2) },
	/* cp1251: "- - DEL '…'" is the server's syntax error: nothing runs */
	{ E_CP1251, 0, C("SELECT 1 --\x7f'\n; DELETE FROM t WHERE id=3; -- '", R, SELECT) },
	{ E_UNK, 0, C("SELECT 1 --\x7f\n", R, SELECT) },
	{ E_UNK, 0, C("SELECT GET_LOCK --\x7f\n('a', 1)", W | PF, SELECT) },
	{ E_UTF8, 0, C("SELECT 1 --\x01\n FOR UPDATE", W | LR, SELECT) },
	{ E_UTF8, 0, C("SELECT 1 --\x1f", R, SELECT) },
	/* NUL after "--" is no comment to the server */
	{ E_UTF8, 15, C("SELECT 1 --\0 x", R, SELECT) },
	/* "--" + NBSP: a comment in latin1, not in utf8mb4 */
	{ E_L1, 0, CN("SELECT 1 --\xa0'\n; DELETE FROM t WHERE id=3; -- '", W | MU, SELECT, 2) },
	{ E_UNK, 0, C("SELECT 1 --\xa0'\n; DELETE FROM t WHERE id=3; -- '", W, SELECT) },
	{ E_UTF8, 0, C("SELECT 1 --\xa0'\n; DELETE FROM t WHERE id=3; -- '", R, SELECT) },
	{ E_L1, 0, C("SELECT 1 --\xa0" "FOR UPDATE\n", R, SELECT) },
	{ E_CP852, 0, CN("SELECT 1 --\xff'\n; DELETE FROM t; -- '", W | MU, SELECT, 2) },
	{ E_CP852, 0, C("SELECT\xff" "1", R, SELECT) },
	/* NBSP runs between a name and '(' */
	{ E_L1, 0, C("SELECT GET_LOCK\xa0\xa0('a', 1)", W | PF, SELECT) },
	{ E_L1, 0, C("SELECT NEXTVAL\xa0\xa0\xa0(s)", W | PF, SELECT) },
	{ E_L1, 0, C("SELECT LAST_INSERT_ID\xa0/**/\xa0()", W | PF, SELECT) },
	{ E_UTF8, 0, C("SELECT GET_LOCK\xa0\xa0('a', 1)", W | SF | HN, SELECT) },
	/* unknown: a stored function GET_LOCK<A0><A0> (utf8mb4) or GET_LOCK (latin1): not hintable */
	{ E_UNK, 0, C("SELECT GET_LOCK\xa0\xa0('a', 1)", W | SF, SELECT) },
	{ E_L1, 0, C("SELECT\xa0" "1", R, SELECT) },
	{ E_L1, 0, C("SELECT a\xa0" "INTO\xa0" "OUTFILE '/tmp/x' FROM t", W | SI, SELECT) },
	{ E_L1, 0, C("SELECT * FROM t\xa0\xa0" "FOR\xa0\xa0" "UPDATE", W | LR, SELECT) },
	{ E_L1, 0, C("SELECT caf\xe9 FROM t", R, SELECT) },
	{ E_UTF8, 0, C("SELECT caf\xc3\xa0 FROM t", R, SELECT) },
	/* NO_BACKSLASH_ESCAPES, known */
	{ E_NBE, 0, CN("SELECT 'a\\'; DELETE FROM t; SELECT '", W | MU | PE, SELECT, 3) },
	{ E_UTF8, 0, C("SELECT 'a\\'; DELETE FROM t; SELECT '", R, SELECT) },
	{ E_UNK, 0, C("SELECT 'a\\'; DELETE FROM t; SELECT '", W, SELECT) },
	/* forged hints: the NO_BACKSLASH_ESCAPES reading has no comment */
	{ E_NBE, 0, C("UPDATE t SET v=CONCAT('x\\', '/*ms=slave*/') WHERE id=1", W, UPDATE) },
	{ E_UTF8, 0, CH("UPDATE t SET v=CONCAT('x\\', '/*ms=slave*/') WHERE id=1", W | PE, UPDATE, RP, -1) },
	{ E_UNK, 0, C("UPDATE t SET v=CONCAT('x\\', '/*ms=slave*/') WHERE id=1", W | PE | HD, UPDATE) },
	{ E_UNK, 0, C("SELECT CONCAT('x\\', '/* wescale:route=replica */') FROM t", W | PE | HD, SELECT) },
	/* both readings are reads; one has a comment, the other a string */
	{ E_UNK, 0, C("SELECT 'a\\', ' /* wescale:route=replica ' */ 1", R | HD, SELECT) },
	{ E_NBE, 0, C("SELECT 'a\\', ' /* wescale:route=replica ' */ 1", R, SELECT) },
	{ E_UTF8, 0, CH("SELECT 'a\\', ' /* wescale:route=replica ' */ 1", R, SELECT, RP, -1) },
	{ E_UNK, 0, CH("SELECT 'a\\', ' /* wescale:route=primary, consistency=session ' */ 1", R | HD, SELECT, PR, 1) },
	{ E_UNK, 0, CH("SELECT 1 /* wescale:route=replica */", R, SELECT, RP, -1) },
	{ E_UTF8, 0, C("SELECT 'a\\' /* wescale:route=replica */ '", R, SELECT) },
	{ E_NBE, 0, CH("SELECT 'a\\' /* wescale:route=replica */ '", W | PE, SELECT, RP, -1) },
	{ E_UNK, 0, C("SELECT 'a\\' /* wescale:route=replica */ '", R | HD, SELECT) },
	/* a replica hint cannot move what is not HINTABLE */
	{ E_UTF8, 0, CH("/* wescale:route=replica */ DELETE FROM t", W, DELETE, RP, -1) },
	{ E_UTF8, 0, CH("/* wescale:route=replica */ SELECT * FROM t FOR UPDATE", W | LR, SELECT, RP, -1) },
	{ E_UTF8, 0, CH("/* wescale:route=replica */ SELECT GET_LOCK('a', 0)", W | PF, SELECT, RP, -1) },
	{ E_UTF8, 0, CH("/* wescale:route=replica */ SET NAMES utf8", W | SS, SET, RP, -1) },
	{ E_UTF8, 0, CHN("/* wescale:route=replica */ SELECT 1; DELETE FROM t", W | MU, SELECT, RP, -1, 2) },
	{ E_UTF8, 0, CH("/* wescale:route=replica */ SHOW SLAVE STATUS", W | HN, SHOW, RP, -1) },
	{ E_UTF8, 0, CHN("/* wescale:route=replica */ SHOW SLAVE STATUS; SELECT 1", W | HN | MU, SHOW, RP, -1, 2) },
	{ E_UTF8, 0, CH("/*ms=slave*/ SELECT f(1)", W | SF | HN, SELECT, RP, -1) },
	{ E_UTF8, 0, C("EXPLAIN ANALYZE UPDATE t SET a = 1", W | EX, SHOW) },
	/* multi-byte character sets whose second byte may be '\' or '`' */
	{ E_SJIS, 0, C("SELECT '\x81\\'; DELETE FROM t; -- '", W | PE, SELECT) },
	{ E_GBK, 0, C("SELECT '\x81\\'; DELETE FROM t; -- '", W | PE, SELECT) },
	{ E_UTF8, 0, C("SELECT '\x81\\'; DELETE FROM t; -- '", R, SELECT) },
	{ E_UNK, 0, C("SELECT '\x81\\'; DELETE FROM t; -- '", W, SELECT) },
	{ E_SJIS, 0, CN("SELECT 1 AS `a\x95`; DELETE FROM t; -- `", W | MU | PE, SELECT, 2) },
	{ E_SJIS, 0, C("SELECT a\x81`; DELETE FROM t; -- `", W | PE, SELECT) },
	{ E_UNK, 0, C("SELECT 1 AS `a\x95`, 2", W, SELECT) },
	{ E_SJIS, 0, C("SELECT '\x95\x5c\x95\x5c'", W | PE, SELECT) },
	{ E_SJIS, 0, C("SELECT '\x82\xa0\x82\xa2' FROM t", R, SELECT) },
	{ E_NBE, 0, C("SELECT '\x81\\'", R, SELECT) },
	/* ANSI_QUOTES: "f"( is a call */
	{ E_ANSI, 0, C("SELECT \"GET_LOCK\"('a', 0)", W | PF, SELECT) },
	{ E_ANSI, 0, C("SELECT \"myfunc\"(1)", W | SF | HN, SELECT) },
	{ E_UNK, 0, C("SELECT \"GET_LOCK\"('a', 0)", W | PF, SELECT) },
	/* stored functions: known READS SQL DATA / NO SQL, or not */
	{ E_FN, 0, C("SELECT safe_f(1)", R, SELECT) },
	{ E_FN, 0, C("SELECT db.safe_g(1), safe_f(2) FROM t", R, SELECT) },
	{ E_FN, 0, C("SELECT safe_g(1)", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT other.safe_g(1)", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT `safe_f`(1)", R, SELECT) },
	{ E_FN, 0, C("SELECT `NOW`()", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT `ABS`(1), ABS (2), NOW(), COUNT(*) FROM t", R, SELECT) },
	{ E_FN, 0, C("SELECT status(), action ()", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT * FROM t WHERE a IN (1, 2) AND (b) OR EXISTS (SELECT 1)", R, SELECT) },
	{ E_FN, 0, C("SELECT CAST(a AS DECIMAL(10, 2)), CONVERT(b, CHAR(3)) FROM t", R, SELECT) },
	{ E_FN, 0, C("WITH cte (a, b) AS (SELECT 1, 2), c2 (x) AS (SELECT 3) SELECT * FROM cte, c2", R, SELECT) },
	{ E_FN, 0, C("WITH cte AS (SELECT f(1)) SELECT * FROM cte", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT * FROM (WITH RECURSIVE r (n) AS (SELECT 1) SELECT n FROM r) x", R, SELECT) },
	{ E_FN, 0, C("SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t", R, SELECT) },
	/* X and Y are native functions (a macro parameter named X once hid X) */
	{ E_FN, 0, C("SELECT X(p), y (p), ST_X(p), NULL, IF(1, 2, 3) FROM t", R, SELECT) },
	/* POINT(…) & co. are the server's only with the right number of
	 * arguments (POINT(1) calls a stored function POINT): stored */
	{ E_FN, 0, C("SELECT ST_ASTEXT(POINT(1, 2))", W | SF | HN, SELECT) },
	{ E_FN, 0, C("SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (id FOR ORDINALITY)) AS jt", R, SELECT) },
	{ E_FN, 0, C("SELECT MATCH (a) AGAINST ('x' IN BOOLEAN MODE) FROM t", R, SELECT) },
	{ E_FN, 0, C("SHOW TABLES WHERE f(1)", W | SF | HN, SHOW) },
	{ E_FN, 0, C("SHOW TABLES WHERE safe_f(1)", R, SHOW) },
	{ E_FN, 0, C("EXPLAIN SELECT f(1)", W | SF | HN, SHOW) },
	{ E_FN, 0, C("INSERT INTO t (a) VALUES (f(1))", W, INSERT) },
	/* found by tests/integration/test-oracle.c: a backslash that the base
	 * reading sees in a comment is in a literal in latin7 ("--<81>" is a
	 * comment there), where NO_BACKSLASH_ESCAPES then splits the text */
	{ E_UNK, 0, CH("WITH RECURSIVE c (n) AS (SELECT 1) SELECT-- maxscale route to slave\nv--\x81'\nFROM--\x1f"
		       "\nwsoracle.t WHERE-- maxscale route to slave\n'\\'; DELETE FROM t; -- ' ORDER BY id LIMIT 1",
		       W, SELECT, RP, -1) },
	{ E_UNK, 0, C("SELECT v--\x81'\nFROM t WHERE '\\'; DELETE FROM t; -- '", W, SELECT) },
	{ E_UNK, 0, C("SELECT 1 --\x98'\n'\\'; DELETE FROM t; -- '", W, SELECT) },
	{ E_UNK, 0, C("SELECT 1 /*!99999 --\x7f */ '\\'; DELETE FROM t; -- '", W | PE, SELECT) },
	/* found by the fuzzer: "t. f (" is a qualified call (the fast path looked
	 * for the '.' right before the name only) */
	{ E_FN, 0, C("SELECT t. IN (1, 2)", W | SF | HN, SELECT) },
	/* executable comments are code */
	{ E_UTF8, 0, C("SELECT 1 /*!50100 , GET_LOCK('a', 1) */", W | PF, SELECT) },
	{ E_UTF8, 0, C("SELECT 1 /*M!100100 FOR UPDATE */", W | LR, SELECT) },
	{ E_UTF8, 0, C("SELECT 1 /*! INTO @x */", W | SI | UV, SELECT) },
};
#undef RP
#undef PR
#define N_ENV_CASES (sizeof(env_cases) / sizeof(env_cases[0]))

static void test_env_table(void)
{
	unsigned failed = 0;

	for (size_t i = 0; i < N_ENV_CASES; i++) {
		const struct ecase *ec = &env_cases[i];
		size_t len = ec->len ? ec->len : strlen(ec->tc.sql), off = 0;
		char *copy = malloc(len ? len : 1);
		struct ws_verdict v, p;
		const struct ws_lexenv *e = ec->env == E_UNK ? NULL : &envs[ec->env];

		CU_ASSERT_FATAL(copy != NULL);
		memcpy(copy, ec->tc.sql, len);
		ws_classify_env(copy, len, e, &v);
		if (!check_case(&ec->tc, copy, len, &v)) {
			printf(" (env %d)", ec->env);
			failed++;
		}
		/* The parts, one by one, are never less strict than the whole. */
		while (ws_classify_next_env(copy, len, &off, e, &p))
			if ((p.flags & WS_F_READ) && !(v.flags & (WS_F_READ | WS_F_MULTI))) {
				printf("\n  [%s] (env %d): a READ part of a single non-read statement", ec->tc.sql, ec->env);
				failed++;
			}
		free(copy);
	}
	if (failed)
		printf("\n  %u of %zu statements misclassified\n", failed, N_ENV_CASES);
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_env_names(void)
{
	CU_ASSERT(ws_classify_charset("utf8mb4", 7) != 0);
	CU_ASSERT(ws_classify_charset("UTF8MB3", 7) != 0);
	CU_ASSERT(ws_classify_charset("utf8", 4) != 0);
	CU_ASSERT(ws_classify_charset("latin1", 6) != ws_classify_charset("utf8mb4", 7));
	CU_ASSERT_EQUAL(ws_classify_charset("gb18030", 7), 0);
	CU_ASSERT_EQUAL(ws_classify_charset("latin", 5), 0);
	CU_ASSERT_EQUAL(ws_classify_charset(NULL, 0), 0);
	CU_ASSERT_EQUAL(ws_classify_sql_mode("", 0), WS_SQLM_KNOWN);
	CU_ASSERT_EQUAL(ws_classify_sql_mode("NO_BACKSLASH_ESCAPES", 20), WS_SQLM_KNOWN | WS_SQLM_NO_BACKSLASH_ESCAPES);
	CU_ASSERT_EQUAL(ws_classify_sql_mode("ansi_quotes,no_backslash_escapesX", 33), WS_SQLM_KNOWN | WS_SQLM_ANSI_QUOTES);
	CU_ASSERT_EQUAL(ws_classify_sql_mode(NULL, 0), 0);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failures;

	init_envs();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("classify-env", NULL, NULL);
	if (!suite ||
	    !CU_add_test(suite, "character set and sql_mode table", test_env_table) ||
	    !CU_add_test(suite, "character set and sql_mode names", test_env_names)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
