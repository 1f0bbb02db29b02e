/*
 * stress-threads.c — N threads, each with its own handle, for T seconds: insert
 * a row, read it straight back (session consistency), plain reads, a prepared
 * read. Asserts no error and no stale read. Built for the suite, and run by
 * hand under ThreadSanitizer with 64 threads (see docs/testing.md).
 *
 *   stress-threads THREADS SECONDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static int stop; /* read with __atomic_load_n: TSan checks the test too */

struct th {
	pthread_t id;
	int n;
	long ops, errors, stale, on_replica;
};

static void *run(void *arg)
{
	struct th *t = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	MYSQL_STMT *st;
	char sql[160];
	long i = 0;

	if (!m) {
		t->errors++;
		return NULL;
	}
	st = mysql_stmt_init(m);
	if (mysql_stmt_prepare(st, "SELECT @@server_id", 18))
		t->errors++;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		long id = (long)t->n * 1000000 + ++i, v;

		snprintf(sql, sizeof(sql), "INSERT INTO stress_t VALUES (%ld, %ld)", id, i);
		if (mysql_query(m, sql)) {
			t->errors++;
			continue;
		}
		snprintf(sql, sizeof(sql), "SELECT v FROM stress_t WHERE id = %ld", id);
		v = wstest_query_long(m, sql);
		if (v != i)
			t->stale++;
		v = wstest_query_long(m, "SELECT @@server_id");
		if (v < 0)
			t->errors++;
		else if (v != 1)
			t->on_replica++;
		if (mysql_stmt_execute(st) || mysql_stmt_store_result(st))
			t->errors++;
		mysql_stmt_free_result(st);
		t->ops += 4;
	}
	mysql_stmt_close(st);
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 16, secs = argc > 2 ? atoi(argv[2]) : 3;
	struct th *t = calloc((size_t)n, sizeof(*t));
	long ops = 0, errors = 0, stale = 0, on_replica = 0;
	struct timespec d = { secs, 0 };
	MYSQL *m;

	if (!t || !wstest_env_load(&env))
		return 1;
	setenv("WESCALE_CONFIG", env.config, 1);
	m = wstest_connect(&env, env.primary_port, env.db);
	if (!m || wstest_exec(m, "CREATE OR REPLACE TABLE stress_t (id BIGINT PRIMARY KEY, v BIGINT)"))
		return 1;
	for (int i = 0; i < n; i++) {
		t[i].n = i;
		pthread_create(&t[i].id, NULL, run, &t[i]);
	}
	nanosleep(&d, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].id, NULL);
		ops += t[i].ops;
		errors += t[i].errors;
		stale += t[i].stale;
		on_replica += t[i].on_replica;
	}
	wstest_exec(m, "DROP TABLE stress_t");
	mysql_close(m);
	mysql_library_end();
	printf("stress: %d threads x %d s: %ld statements, %ld errors, %ld stale reads, %ld of the plain reads on replicas\n",
	       n, secs, ops, errors, stale, on_replica);
	free(t);
	return errors || stale || on_replica == 0 ? 1 : 0;
}
