/*
 * test-session.c — the per-handle side table: attach, look up, replace a stale
 * entry, detach, and concurrent use from many threads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "session.h"

/* The table never dereferences the MYSQL pointer: fake handles are fine. */
#define FAKE(n) ((MYSQL *)(uintptr_t)(0x100000u + 64u * (n)))

static void test_empty(void)
{
	CU_ASSERT_EQUAL(ws_session_count(), 0);
	CU_ASSERT_PTR_NULL(ws_session_get(FAKE(1)));
	CU_ASSERT_PTR_NULL(ws_session_get(NULL));
	ws_session_detach(FAKE(1)); /* no-op */
	ws_session_detach(NULL);
	CU_ASSERT_PTR_NULL(ws_session_attach(NULL));
}

static void test_attach_get_detach(void)
{
	struct ws_session *a = ws_session_attach(FAKE(1));
	struct ws_session *b = ws_session_attach(FAKE(2));

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(ws_session_count(), 2);
	CU_ASSERT_PTR_EQUAL(ws_session_get(FAKE(1)), a);
	CU_ASSERT_PTR_EQUAL(ws_session_get(FAKE(2)), b);
	CU_ASSERT_PTR_NULL(ws_session_get(FAKE(3)));
	CU_ASSERT_PTR_EQUAL(a->mysql, FAKE(1));
	CU_ASSERT_PTR_NULL(a->cluster);
	CU_ASSERT_FALSE(a->connected);
	ws_session_detach(FAKE(1));
	CU_ASSERT_PTR_NULL(ws_session_get(FAKE(1)));
	CU_ASSERT_PTR_EQUAL(ws_session_get(FAKE(2)), b);
	ws_session_detach(FAKE(2));
	CU_ASSERT_EQUAL(ws_session_count(), 0);
}

static void test_stale_replaced(void)
{
	/* A handle at the same address that was never closed (mysql_init on a
	 * reused stack MYSQL): the new entry replaces the old, count unchanged. */
	struct ws_session *a = ws_session_attach(FAKE(7)), *b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	a->connected = true;
	b = ws_session_attach(FAKE(7));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(ws_session_count(), 1);
	CU_ASSERT_PTR_EQUAL(ws_session_get(FAKE(7)), b);
	CU_ASSERT_FALSE(b->connected);
	ws_session_detach(FAKE(7));
	CU_ASSERT_EQUAL(ws_session_count(), 0);
}

static void test_many(void)
{
	enum { N = 10000 };

	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_PTR_NOT_NULL(ws_session_attach(FAKE(i)));
	CU_ASSERT_EQUAL(ws_session_count(), N);
	for (unsigned i = 0; i < N; i++) {
		struct ws_session *s = ws_session_get(FAKE(i));

		CU_ASSERT_PTR_NOT_NULL(s);
		if (s)
			CU_ASSERT_PTR_EQUAL(s->mysql, FAKE(i));
	}
	for (unsigned i = 0; i < N; i += 2)
		ws_session_detach(FAKE(i));
	CU_ASSERT_EQUAL(ws_session_count(), N / 2);
	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_EQUAL(ws_session_get(FAKE(i)) != NULL, i % 2 == 1);
	for (unsigned i = 1; i < N; i += 2)
		ws_session_detach(FAKE(i));
	CU_ASSERT_EQUAL(ws_session_count(), 0);
}

#define THREADS 16
#define PER_THREAD 2000
static unsigned thread_errors;

static void *worker(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg, errors = 0;

	for (unsigned round = 0; round < 5; round++) {
		for (unsigned i = 0; i < PER_THREAD; i++)
			if (!ws_session_attach(FAKE(t * PER_THREAD + i)))
				errors++;
		for (unsigned i = 0; i < PER_THREAD; i++) {
			struct ws_session *s = ws_session_get(FAKE(t * PER_THREAD + i));

			if (!s || s->mysql != FAKE(t * PER_THREAD + i))
				errors++;
		}
		for (unsigned i = 0; i < PER_THREAD; i++)
			ws_session_detach(FAKE(t * PER_THREAD + i));
	}
	__atomic_add_fetch(&thread_errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[THREADS];

	for (unsigned t = 0; t < THREADS; t++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t), 0);
	for (unsigned t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	CU_ASSERT_EQUAL(thread_errors, 0);
	CU_ASSERT_EQUAL(ws_session_count(), 0);
}

/* SET @@name = … is sent as SET @@session.name = … (issue 23): only assignment
 * targets without a scope, never reads, strings, comments or SET STATEMENT. */
static void test_scope_set(void)
{
	static const struct {
		const char *in, *out; /* out NULL: unchanged */
	} t[] = {
		{ "SET @@sql_mode='ANSI'", "SET @@session.sql_mode='ANSI'" },
		{ "set @@sql_mode := 'ANSI'", "set @@session.sql_mode := 'ANSI'" },
		{ "SET LOCAL sql_mode='A', @@time_zone='+01:00'", "SET LOCAL sql_mode='A', @@session.time_zone='+01:00'" },
		{ "SET @@a=1, @@b = 2", "SET @@session.a=1, @@session.b = 2" },
		{ "/* c */ SET /*!80000 */ @@a=1", "/* c */ SET /*!80000 */ @@session.a=1" },
		{ "SELECT 1; SET @@a=1", "SELECT 1; SET @@session.a=1" },
		{ "SET @@session.sql_mode='A'", NULL },
		{ "SET @@local.sql_mode='A', @@global.x=1", NULL },
		{ "SET sql_mode=@@sql_mode", NULL },
		{ "SET sql_mode=CONCAT(@@sql_mode, ','), x=1", NULL },
		{ "SET sql_mode=IF(1, @@a, @@b)", NULL },
		{ "SET @x = '@@a=1', y=1", NULL },
		{ "SET a='it''s', @@b=1", "SET a='it''s', @@session.b=1" },
		{ "SET a='\\', @@b=1", NULL }, /* a backslash in a string: not read */
		{ "SET STATEMENT @@a=1 FOR SELECT 1", NULL },
		{ "SELECT @@a = 1", NULL },
		{ "UPDATE t SET @@a=1", NULL },
		{ "SET @@a", NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *out = NULL;
		size_t n = 0;
		int r = ws_session_scope_set(t[i].in, strlen(t[i].in), &out, &n);

		if (!t[i].out) {
			CU_ASSERT_EQUAL(r, 0);
		} else {
			CU_ASSERT_EQUAL(r, 1);
			CU_ASSERT(out && n == strlen(t[i].out) && strcmp(out, t[i].out) == 0);
		}
		if ((r != (t[i].out ? 1 : 0)) || (out && t[i].out && strcmp(out, t[i].out)))
			fprintf(stderr, "scope_set(%s) = %d %s\n", t[i].in, r, out ? out : "");
		free(out);
	}
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("session", NULL, NULL);
	CU_add_test(s, "empty table", test_empty);
	CU_add_test(s, "attach, get, detach", test_attach_get_detach);
	CU_add_test(s, "stale entry replaced", test_stale_replaced);
	CU_add_test(s, "10000 handles", test_many);
	CU_add_test(s, "16 threads", test_threads);
	CU_add_test(s, "SET @@name is sent with its session scope", test_scope_set);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
