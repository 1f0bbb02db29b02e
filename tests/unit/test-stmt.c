/*
 * test-stmt.c — the prepared-statement side table (lib/stmt.c): attributes
 * kept with their own types, the bindings followed as the client library holds
 * them, the prepare-time state. No server: the statements are zeroed structs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "real.h"
#include "session.h"
#include "stmt.h"

static MYSQL_STMT *fake; /* zeroed, allocated by main */

static void result_cb(void *data, unsigned int column, unsigned char **row)
{
	(void)data;
	(void)column;
	(void)row;
}

static void test_attributes(void)
{
	struct ws_stmt *st = ws_stmt_attach(fake, NULL);
	my_bool yes = 1;
	unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 7;
	unsigned int zero = 0, one = 1;
	size_t row = 24;
	int user;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_PTR_EQUAL(ws_stmt_get(fake), st);
	ws_stmt_note_attr(st, STMT_ATTR_UPDATE_MAX_LENGTH, &yes);
	ws_stmt_note_attr(st, STMT_ATTR_CURSOR_TYPE, &cursor);
	ws_stmt_note_attr(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	ws_stmt_note_attr(st, STMT_ATTR_ROW_SIZE, &row);
	ws_stmt_note_attr(st, STMT_ATTR_CB_USER_DATA, &user);
	ws_stmt_note_attr(st, STMT_ATTR_CB_RESULT, (const void *)result_cb);
	ws_stmt_note_attr(st, STMT_ATTR_ARRAY_SIZE, &zero);
	CU_ASSERT_EQUAL(st->n_attrs, 7);
	CU_ASSERT_FALSE(st->primary_only);
	for (unsigned i = 0; i < st->n_attrs; i++) {
		const void *v = ws_stmt_attr_value(&st->attrs[i]);

		switch (st->attrs[i].attr) {
		case STMT_ATTR_UPDATE_MAX_LENGTH: CU_ASSERT_EQUAL(*(const my_bool *)v, 1); break;
		case STMT_ATTR_CURSOR_TYPE: CU_ASSERT_EQUAL(*(const unsigned long *)v, CURSOR_TYPE_READ_ONLY); break;
		case STMT_ATTR_PREFETCH_ROWS: CU_ASSERT_EQUAL(*(const unsigned long *)v, 7); break;
		case STMT_ATTR_ROW_SIZE: CU_ASSERT_EQUAL(*(const size_t *)v, 24); break;
		case STMT_ATTR_ARRAY_SIZE: CU_ASSERT_EQUAL(*(const unsigned int *)v, 0); break;
		/* The callback and its data are the pointers themselves. */
		case STMT_ATTR_CB_USER_DATA: CU_ASSERT_PTR_EQUAL(v, &user); break;
		case STMT_ATTR_CB_RESULT: CU_ASSERT_PTR_EQUAL(v, (const void *)result_cb); break;
		default: CU_FAIL("unexpected attribute");
		}
	}
	/* Set again: replaced, not appended; cleared callbacks are kept as NULL. */
	ws_stmt_note_attr(st, STMT_ATTR_CB_RESULT, NULL);
	CU_ASSERT_EQUAL(st->n_attrs, 7);
	for (unsigned i = 0; i < st->n_attrs; i++)
		if (st->attrs[i].attr == STMT_ATTR_CB_RESULT)
			CU_ASSERT_PTR_NULL(ws_stmt_attr_value(&st->attrs[i]));
	/* Array binding keeps the statement on the primary. */
	ws_stmt_note_attr(st, STMT_ATTR_ARRAY_SIZE, &one);
	CU_ASSERT_TRUE(st->primary_only);
	ws_stmt_detach(fake);

	st = ws_stmt_attach(fake, NULL);
	ws_stmt_note_attr(st, STMT_ATTR_CB_PARAM, NULL);
	CU_ASSERT_TRUE(st->primary_only);
	ws_stmt_detach(fake);
	st = ws_stmt_attach(fake, NULL);
	ws_stmt_note_attr(st, STMT_ATTR_PREBIND_PARAMS, &one);
	CU_ASSERT_TRUE(st->primary_only);
	ws_stmt_detach(fake);
	CU_ASSERT_PTR_NULL(ws_stmt_get(fake));
}

/* The client library's own copy of the bindings is what a replica sends. */
static void test_bindings_followed(void)
{
	struct ws_stmt *st = ws_stmt_attach(fake, NULL);
	MYSQL_BIND lib[2], app[2];
	int a = 1, b = 2;
	uint64_t gen;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ws_real()->mariadb_get_infov);
	memset(lib, 0, sizeof(lib));
	memset(app, 0xA5, sizeof(app)); /* what the application passed: gone since */
	for (int i = 0; i < 2; i++) {
		lib[i].buffer_type = MYSQL_TYPE_LONG;
		lib[i].buffer = &a;
		lib[i].length = &lib[i].buffer_length; /* as libmariadb sets it */
	}
	fake->params = lib;
	st->param_count = 2;
	CU_ASSERT_EQUAL(ws_stmt_sync_params(st, app), 0);
	CU_ASSERT_EQUAL(st->n_params, 0); /* not bound yet: nothing followed */
	st->params_bound = true;
	CU_ASSERT_EQUAL(ws_stmt_sync_params(st, app), 0);
	CU_ASSERT_EQUAL_FATAL(st->n_params, 2);
	CU_ASSERT_PTR_EQUAL(st->params[1].buffer, &a);
	gen = st->param_gen;
	CU_ASSERT_EQUAL(ws_stmt_sync_params(st, NULL), 0);
	CU_ASSERT_EQUAL(st->param_gen, gen); /* unchanged: no rebind */
	lib[1].buffer = &b; /* DBD::mysql's way of passing a new value */
	CU_ASSERT_EQUAL(ws_stmt_sync_params(st, NULL), 0);
	CU_ASSERT_EQUAL(st->param_gen, gen + 1);
	CU_ASSERT_PTR_EQUAL(st->params[1].buffer, &b);
	/* Before a new prepare frees the library's array: no pointer into it. */
	ws_stmt_unlink_bindings(st);
	CU_ASSERT_PTR_NULL(st->params[0].length);
	CU_ASSERT_PTR_NULL(st->params[1].length);
	fake->params = NULL;
	ws_stmt_detach(fake);
}

/* Database, sql_mode, character set: what a statement was parsed under. */
static void test_parse_state(void)
{
	MYSQL *fake_mysql = (MYSQL *)(uintptr_t)0x4242000u;
	struct ws_session *s = ws_session_attach(fake_mysql);
	struct ws_stmt *st = ws_stmt_attach(fake, fake_mysql);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(ws_session_set_db(s, "a", 1), 0);
	CU_ASSERT_EQUAL(ws_session_set_var(s, "sql_mode", 8, "", 0), 1);
	st->prepared_gen = s->state_gen;
	CU_ASSERT_FALSE(ws_stmt_parse_state_changed(st, s));
	CU_ASSERT_EQUAL(ws_session_set_var(s, "time_zone", 9, "+01:00", 6), 1);
	CU_ASSERT_FALSE(ws_stmt_parse_state_changed(st, s)); /* runs under it, parsed without */
	CU_ASSERT_EQUAL(ws_session_set_var(s, "SQL_MODE", 8, "ANSI", 4), 1);
	CU_ASSERT_TRUE(ws_stmt_parse_state_changed(st, s));
	st->prepared_gen = s->state_gen;
	CU_ASSERT_EQUAL(ws_session_set_db(s, "b", 1), 0);
	CU_ASSERT_TRUE(ws_stmt_parse_state_changed(st, s));
	st->prepared_gen = s->state_gen;
	CU_ASSERT_EQUAL(ws_session_set_var(s, "character_set_client", 20, "gbk", 3), 1);
	CU_ASSERT_TRUE(ws_stmt_parse_state_changed(st, s));
	ws_stmt_detach(fake);
	ws_session_detach(fake_mysql);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	fake = calloc(1, sizeof(*fake));
	if (!fake || CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("stmt", NULL, NULL);
	CU_add_test(s, "attributes kept with their types", test_attributes);
	CU_add_test(s, "bindings followed as the library holds them", test_bindings_followed);
	CU_add_test(s, "prepare-time state", test_parse_state);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	free(fake);
	return failures ? 1 : 0;
}
