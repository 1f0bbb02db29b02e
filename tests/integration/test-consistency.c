/*
 * test-consistency.c — read-after-write consistency levels on a real topology
 * (docs/gtid.md), with replica 1 (server 2) delayed by MASTER_DELAY so that a
 * stale read is possible whenever the library would allow one.
 *
 * A read is stale when the row just written (or its new value) is missing.
 * `eventual` is the control: it must find stale reads, which proves the probe
 * can see them; every other level must find none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char config_path[512];

#define ROUNDS 60

struct outcome {
	int stale, on_replica, on_primary, errors;
	double ms_per_read;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void admin_all_replicas(const char *sql)
{
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
		mysql_close(a);
	}
}

static void set_delay(unsigned replica, unsigned seconds)
{
	MYSQL *a = wstest_connect_admin(&env, env.replica_port[replica]);
	char sql[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(sql, sizeof(sql), "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=%u; START SLAVE", seconds);
	CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
	mysql_close(a);
}

/* Read back row `id` (expecting value v) on `reader`: stale when missing or old. */
static void read_back(MYSQL *reader, int id, int v, struct outcome *o)
{
	char sql[160];
	MYSQL_RES *res;
	MYSQL_ROW row;

	snprintf(sql, sizeof(sql), "SELECT v, @@server_id FROM cons_t WHERE id = %d", id);
	if (mysql_query(reader, sql) || !(res = mysql_store_result(reader))) {
		fprintf(stderr, "read: %u %s\n", mysql_errno(reader), mysql_error(reader));
		o->errors++;
		return;
	}
	row = mysql_fetch_row(res);
	if (!row || atoi(row[0]) != v)
		o->stale++;
	if (row && atoi(row[1]) == 1)
		o->on_primary++;
	else if (row)
		o->on_replica++;
	mysql_free_result(res);
}

/* ROUNDS times: write on `writer`, read back at once on `reader`. */
static struct outcome write_then_read(MYSQL *writer, MYSQL *reader, int base)
{
	struct outcome o = { 0 };
	double t = 0;
	char sql[160];

	for (int i = 0; i < ROUNDS; i++) {
		double t0;

		snprintf(sql, sizeof(sql), "INSERT INTO cons_t (id, v) VALUES (%d, %d)", base + i, i + 1);
		if (wstest_exec(writer, sql)) {
			o.errors++;
			continue;
		}
		t0 = now_ms();
		read_back(reader, base + i, i + 1, &o);
		t += now_ms() - t0;
	}
	o.ms_per_read = t / ROUNDS;
	return o;
}

static void report(const char *level, const struct outcome *o)
{
	printf("\n    %-9s stale=%d replica=%d primary=%d errors=%d mean read %.2f ms", level, o->stale,
	       o->on_replica, o->on_primary, o->errors, o->ms_per_read);
}

static MYSQL *managed(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static void test_setup(void)
{
	MYSQL *m = managed();

	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TABLE IF EXISTS cons_t"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "CREATE TABLE cons_t (id INT PRIMARY KEY, v INT)"), 0);
	mysql_close(m);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	set_delay(0, 2); /* server 2 applies everything two seconds late */
}

static void test_eventual_control(void)
{
	MYSQL *m = managed();
	struct outcome o;

	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL), 0);
	o = write_then_read(m, m, 1000);
	report("eventual", &o);
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT(o.stale > 0); /* the probe sees stale reads when they are allowed */
	CU_ASSERT_EQUAL(o.on_primary, 0);
	mysql_close(m);
}

static void test_session(void)
{
	MYSQL *m = managed();
	struct outcome o = write_then_read(m, m, 2000);

	report("session", &o);
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT(o.on_replica > ROUNDS / 2); /* most reads still go to a replica */
	mysql_close(m);
}

static void test_session_prepared(void)
{
	MYSQL *m = managed();
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "SELECT v, @@server_id FROM cons_t WHERE id = ?";
	int id = 0, v = 0, sid = 0, stale = 0, on_replica = 0;
	MYSQL_BIND p, r[2];
	char sql[128];

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONG;
	p.buffer = &id;
	memset(r, 0, sizeof(r));
	r[0].buffer_type = MYSQL_TYPE_LONG;
	r[0].buffer = &v;
	r[1].buffer_type = MYSQL_TYPE_LONG;
	r[1].buffer = &sid;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, &p), 0);
	CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, r), 0);
	for (int i = 0; i < 30; i++) {
		id = 3000 + i;
		snprintf(sql, sizeof(sql), "INSERT INTO cons_t (id, v) VALUES (%d, %d)", id, i + 1);
		CU_ASSERT_EQUAL_FATAL(wstest_exec(m, sql), 0);
		v = 0;
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
		if (mysql_stmt_fetch(st) != 0 || v != i + 1)
			stale++;
		if (sid != 1)
			on_replica++;
		mysql_stmt_free_result(st);
	}
	printf("\n    session (prepared) stale=%d replica=%d of 30", stale, on_replica);
	CU_ASSERT_EQUAL(stale, 0);
	CU_ASSERT(on_replica > 15);
	mysql_stmt_close(st);
	mysql_close(m);
}

/* A transaction committed with the C API (mysql_commit) reports its GTID in
 * that call's OK packet: the read right after must still see it. */
static void test_session_after_api_commit(void)
{
	MYSQL *m = managed();
	struct outcome o = { 0 };
	char sql[160];

	for (int i = 0; i < 30; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO cons_t (id, v) VALUES (%d, %d)", 7000 + i, i + 1);
		if (i % 2) {
			CU_ASSERT_EQUAL(mysql_autocommit(m, 0), 0);
		} else {
			CU_ASSERT_EQUAL(wstest_exec(m, "BEGIN"), 0);
		}
		CU_ASSERT_EQUAL(wstest_exec(m, sql), 0);
		CU_ASSERT_EQUAL(mysql_commit(m), 0);
		if (i % 2)
			CU_ASSERT_EQUAL(mysql_autocommit(m, 1), 0);
		read_back(m, 7000 + i, i + 1, &o);
	}
	printf("\n    mysql_commit: stale=%d replica=%d primary=%d", o.stale, o.on_replica, o.on_primary);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT(o.on_replica > 15);
	mysql_close(m);
}

static void test_instance(void)
{
	MYSQL *a = managed(), *b = managed();
	struct outcome o;

	CU_ASSERT_EQUAL(wescale_set_consistency(b, WESCALE_CONSISTENCY_INSTANCE), 0);
	o = write_then_read(a, b, 4000); /* written by A, read by B */
	report("instance", &o);
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT(o.on_replica > ROUNDS / 2);
	mysql_close(a);
	mysql_close(b);
}

static void test_global(void)
{
	MYSQL *m = managed();
	struct outcome o = { 0 };
	char cmd[1024];
	double t = 0;

	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_GLOBAL), 0);
	for (int i = 0; i < 15; i++) {
		double t0;

		/* Another process writes: this one has no GTID of it. */
		snprintf(cmd, sizeof(cmd),
			 "%s --no-defaults -h127.0.0.1 -P%u -u%s -p%s %s -e 'INSERT INTO cons_t VALUES (%d, %d)'",
			 getenv("WS_TEST_MYSQL"), env.primary_port, env.user, env.password, env.db, 5000 + i, i + 1);
		CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
		t0 = now_ms();
		read_back(m, 5000 + i, i + 1, &o);
		t += now_ms() - t0;
	}
	o.ms_per_read = t / 15;
	report("global", &o);
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT(o.on_replica > 7);
	mysql_close(m);
}

static void test_stopped_replicas_fall_back(void)
{
	MYSQL *m = managed();
	struct outcome o;
	double t0;

	set_delay(0, 0);
	admin_all_replicas("STOP SLAVE SQL_THREAD");
	t0 = now_ms();
	o = write_then_read(m, m, 6000);
	report("stopped", &o);
	printf(" (%.0f ms for %d rounds)", now_ms() - t0, ROUNDS);
	/* No replica can catch up: after the timeout each read goes to the
	 * primary, with the right row and no error. */
	CU_ASSERT_EQUAL(o.errors, 0);
	CU_ASSERT_EQUAL(o.stale, 0);
	CU_ASSERT_EQUAL(o.on_primary, ROUNDS);
	admin_all_replicas("START SLAVE SQL_THREAD");
	CU_ASSERT(wstest_sync_replicas(&env));
	mysql_close(m);
}

int main(void)
{
	CU_pSuite s;
	FILE *f;

	if (!wstest_env_load(&env))
		return 1;
	snprintf(config_path, sizeof(config_path), "%s/consistency.conf", env.dir);
	f = fopen(config_path, "w");
	if (!f)
		return 1;
	fprintf(f, "[cluster cons]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "load_balance = round_robin\nconsistency = session\nconsistency_timeout_ms = 150\n",
		env.primary_port, env.replica_port[0], env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", config_path, 1);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("consistency", NULL, NULL);
	CU_add_test(s, "set-up: replica 1 delayed by MASTER_DELAY", test_setup);
	CU_add_test(s, "eventual finds stale reads (control)", test_eventual_control);
	CU_add_test(s, "session: 0 stale, mostly replicas", test_session);
	CU_add_test(s, "session with prepared statements", test_session_prepared);
	CU_add_test(s, "session: a transaction committed by mysql_commit() is seen", test_session_after_api_commit);
	CU_add_test(s, "instance: A writes, B reads, 0 stale", test_instance);
	CU_add_test(s, "global: another process writes, 0 stale", test_global);
	CU_add_test(s, "stopped replicas: primary after the timeout", test_stopped_replicas_fall_back);
	return wstest_cunit_run();
}
