/*
 * test-routines.c — the stored functions the primary declares READS SQL DATA
 * or NO SQL, without a server: building a set from ROUTINES rows (what is
 * kept, what makes a reply rejected) and matching names (qualified, resolved
 * in the current database, routine names case-insensitive, schemas exact).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "routines.h"
#include "safefuncs.h"

#define S(x) x, sizeof(x) - 1

static struct ws_routines *sample(void)
{
	struct ws_routines *r = ws_routines_new(6);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("app"), S("Get_Price"), S("READS SQL DATA")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("app"), S("pure"), S("NO SQL")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("app"), S("bump"), S("MODIFIES SQL DATA")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("app"), S("calc"), S("CONTAINS SQL")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("other"), S("odd"), S("SOMETHING NEW")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("other"), S("nul"), NULL, 0), 0);
	ws_routines_seal(r);
	return r;
}

static void test_build(void)
{
	struct ws_routines *r = sample(), *r2;

	/* only READS SQL DATA and NO SQL are kept */
	CU_ASSERT_EQUAL(ws_routines_count(r), 2);
	/* a NULL or empty schema or name: the reply is odd, rejected */
	CU_ASSERT_EQUAL(ws_routines_add(r, NULL, 0, S("f"), S("NO SQL")), -22);
	CU_ASSERT_EQUAL(ws_routines_add(r, S("app"), NULL, 0, S("NO SQL")), -22);
	CU_ASSERT_EQUAL(ws_routines_add(r, S(""), S("f"), S("NO SQL")), -22);
	/* more rows than announced */
	r2 = ws_routines_new(1);
	CU_ASSERT_EQUAL(ws_routines_add(r2, S("a"), S("f"), S("NO SQL")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r2, S("a"), S("g"), S("NO SQL")), -22);
	CU_ASSERT_FALSE(ws_routines_equal(r, r2));
	ws_routines_free(r2);
	/* the same rows in another order: equal (nothing is republished) */
	r2 = ws_routines_new(3);
	CU_ASSERT_EQUAL(ws_routines_add(r2, S("app"), S("pure"), S("no sql")), 0);
	CU_ASSERT_EQUAL(ws_routines_add(r2, S("app"), S("get_price"), S("reads sql data")), 0);
	ws_routines_seal(r2);
	CU_ASSERT(ws_routines_equal(r, r2));
	CU_ASSERT_FALSE(ws_routines_equal(r, NULL));
	ws_routines_free(r2);
	CU_ASSERT_PTR_NULL(ws_routines_new(1000000));
	ws_routines_free(r);
}

static void test_match(void)
{
	struct ws_routines *r = sample();

	CU_ASSERT(ws_routines_has(r, NULL, S("app"), S("get_price")));
	CU_ASSERT(ws_routines_has(r, NULL, S("app"), S("GET_PRICE")));
	CU_ASSERT(ws_routines_has(r, "other", S("app"), S("pure")));
	/* schema names compare exactly */
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, S("APP"), S("pure")));
	/* unqualified: in the current database; none selected, not found */
	CU_ASSERT(ws_routines_has(r, "app", NULL, 0, S("Pure")));
	CU_ASSERT_FALSE(ws_routines_has(r, "other", NULL, 0, S("pure")));
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, NULL, 0, S("pure")));
	/* not kept: MODIFIES / CONTAINS / unknown / NULL access */
	CU_ASSERT_FALSE(ws_routines_has(r, "app", NULL, 0, S("bump")));
	CU_ASSERT_FALSE(ws_routines_has(r, "app", NULL, 0, S("calc")));
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, S("other"), S("odd")));
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, S("other"), S("nul")));
	/* prefixes are not matches */
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, S("app"), S("pur")));
	CU_ASSERT_FALSE(ws_routines_has(r, NULL, S("ap"), S("pure")));
	/* no set yet */
	CU_ASSERT_FALSE(ws_routines_has(NULL, "app", NULL, 0, S("pure")));
	ws_routines_free(r);
}

/* The configuration list adds to the server's set (safefuncs.c). */
static void test_list(void)
{
	CU_ASSERT(ws_safefuncs_listed("app.f, g", NULL, S("app"), S("F")));
	CU_ASSERT(ws_safefuncs_listed("app.f, g", "x", NULL, 0, S("g")));
	CU_ASSERT_FALSE(ws_safefuncs_listed("app.f, g", "x", NULL, 0, S("f")));
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("routines", NULL, NULL);
	CU_add_test(suite, "building a set from ROUTINES rows", test_build);
	CU_add_test(suite, "name matching", test_match);
	CU_add_test(suite, "the configuration list", test_list);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
