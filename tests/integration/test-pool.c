/*
 * test-pool.c — short-lived handles cost what a direct connection costs
 * (docs/performance.md, "Connect cost"):
 *  - no round trip of libwescale's own at connect: session tracking rides with
 *    the application's first statement on the primary (counted on the socket,
 *    and in the primary's general log);
 *  - replica affinity: a handle reads from one replica;
 *  - server connections opened per application handle over a loop.
 *
 * Round trips are counted by wrapping send() and recv() in this executable: a
 * receive that follows a send in the same thread is one round trip. The
 * servers' Connections counters are read on connections made with the real
 * client library directly (dlopen), so they are not counted themselves.
 */
#include <dlfcn.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "../rawclient.h"
#include "wstest.h"

static struct wstest_env env;

/* ---- round trips of this thread ---- */

static __thread int last_op;   /* 1 send, 2 receive */
static __thread long round_trips;

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);

	if (!real)
		real = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
	last_op = 1;
	return real(fd, buf, len, flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	ssize_t n;

	if (!real)
		real = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	n = real(fd, buf, len, flags);
	if (n > 0 && last_op == 1) {
		round_trips++;
		last_op = 2;
	}
	return n;
}

/* ---- the real client library, for direct connections ---- */

static struct rawclient raw;

static MYSQL *raw_connect(unsigned port, bool admin)
{
	MYSQL *m = raw.init(NULL);

	if (m && !raw.connect(m, "127.0.0.1", admin ? env.admin_user : env.user, admin ? env.admin_password : env.password,
			      admin ? NULL : env.db, port, NULL, 0)) {
		raw.close(m);
		return NULL;
	}
	return m;
}

static long raw_long(MYSQL *m, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v = -1;

	if (raw.query(m, sql) || !(res = raw.store(m)))
		return -1;
	if ((row = raw.fetch(res)) && row[0])
		v = strtol(row[0], NULL, 10);
	raw.free_res(res);
	return v;
}

static MYSQL *admin_conn[3];

/* Server connections opened so far on node i (0 primary), by its Connections counter. */
static long connections(unsigned i)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v = -1;

	if (raw.query(admin_conn[i], "SHOW GLOBAL STATUS LIKE 'Connections'") || !(res = raw.store(admin_conn[i])))
		return -1;
	if ((row = raw.fetch(res)) && row[1])
		v = strtol(row[1], NULL, 10);
	raw.free_res(res);
	return v;
}

static MYSQL *managed(unsigned long flags)
{
	MYSQL *m = mysql_init(NULL);

	if (m && !mysql_real_connect(m, "127.0.0.1", env.user, env.password, env.db, env.primary_port, NULL, flags)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* One short-lived handle: connect, three reads on replicas, close. */
static void cycle3(void)
{
	MYSQL *m = managed(0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(wstest_query_long(m, "SELECT @@server_id") > 1);
	mysql_close(m);
}

/* Server connections opened so far on nodes [from, 3). */
static long connections_from(unsigned from)
{
	long n = 0;

	for (unsigned i = from; i < 3; i++)
		n += connections(i);
	return n;
}

/* ---- tests ---- */

/* Connect + first statement: the round trips of a direct connection, none more. */
static void test_no_round_trip_at_connect(void)
{
	long direct_connect, direct_stmt, ws_connect, ws_stmt;
	MYSQL *m;

	round_trips = 0;
	last_op = 0;
	m = raw_connect(env.primary_port, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	direct_connect = round_trips;
	CU_ASSERT_EQUAL(raw.query(m, "DO 1"), 0);
	direct_stmt = round_trips - direct_connect;
	raw.close(m);

	round_trips = 0;
	last_op = 0;
	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	ws_connect = round_trips;
	CU_ASSERT_EQUAL(mysql_query(m, "DO 1"), 0); /* a write: the primary runs it */
	ws_stmt = round_trips - ws_connect;
	printf("\n    round trips: direct connect %ld + statement %ld; libwescale %ld + %ld", direct_connect,
	       direct_stmt, ws_connect, ws_stmt);
	CU_ASSERT_EQUAL(ws_connect, direct_connect);
	CU_ASSERT_EQUAL(ws_stmt, direct_stmt);
	CU_ASSERT_EQUAL(direct_stmt, 1);
	mysql_close(m);
	/* A handle whose only statement ran on a replica: closing it asks the
	 * primary nothing (COM_QUIT has no reply), no tracking set-up. */
	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(wstest_query_long(m, "SELECT @@server_id") > 1);
	round_trips = 0;
	last_op = 0;
	mysql_close(m);
	printf("; close after a replica read %ld", round_trips);
	CU_ASSERT_EQUAL(round_trips, 0);
}

/* The first statement answers as it would alone: results, errors, affected
 * rows, warnings; and what it changes is tracked (it runs with tracking on). */
static void test_first_statement_exact(void)
{
	MYSQL *m = managed(0);
	MYSQL_RES *res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "INSERT INTO no_such_table_pool VALUES (1)"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), 1146);
	mysql_close(m);

	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mysql_query(m, "CREATE TABLE IF NOT EXISTS pool_t (id INT PRIMARY KEY, v INT)"), 0);
	mysql_close(m);
	{
		static const char ins[] = "INSERT IGNORE INTO pool_t VALUES (1, 1), (1, 2), (2, 'x')";
		MYSQL *d = raw_connect(env.primary_port, false);
		long d_rows, d_warn;

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(raw.query(d, "DELETE FROM pool_t"), 0);
		CU_ASSERT_EQUAL(raw.query(d, ins), 0);
		d_rows = (long)mysql_affected_rows(d); /* (field accessors: same in both) */
		d_warn = (long)mysql_warning_count(d);
		CU_ASSERT_EQUAL(raw.query(d, "DELETE FROM pool_t"), 0);
		m = managed(0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(mysql_query(m, ins), 0);
		CU_ASSERT_EQUAL((long)mysql_affected_rows(m), d_rows);
		CU_ASSERT_EQUAL((long)mysql_warning_count(m), d_warn);
		CU_ASSERT_EQUAL(d_warn, 2);
		mysql_close(m);
		raw.close(d);
	}

	/* SET NAMES as the first statement is tracked and carried to replicas. */
	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mysql_query(m, "SET NAMES latin1"), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "SELECT @@character_set_client, @@server_id"), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	{
		MYSQL_ROW row = mysql_fetch_row(res);

		CU_ASSERT_PTR_NOT_NULL_FATAL(row);
		CU_ASSERT_STRING_EQUAL(row[0], "latin1");
		CU_ASSERT(strcmp(row[1], "1") != 0); /* a replica answered */
	}
	mysql_free_result(res);
	/* Send + read: the reply is the application's. */
	CU_ASSERT_EQUAL(mysql_query(m, "DELETE FROM pool_t"), 0);
	mysql_close(m);
	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(mysql_send_query(m, "INSERT INTO pool_t VALUES (5, 5), (6, 6)", 40), 0);
	CU_ASSERT_EQUAL(mysql_read_query_result(m), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), 2);
	mysql_close(m);
}

/* The primary's general log: at connect, nothing but the application's own
 * statement and the tracking setup that rode with it. */
static void test_general_log(void)
{
	MYSQL *a = admin_conn[0];
	MYSQL *m;
	unsigned long tid;
	char sql[256];

	CU_ASSERT_EQUAL_FATAL(raw.query(a, "SET GLOBAL log_output = 'TABLE'"), 0);
	CU_ASSERT_EQUAL_FATAL(raw.query(a, "SET GLOBAL general_log = ON"), 0);
	m = managed(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tid = mysql_thread_id(m);
	CU_ASSERT_EQUAL(mysql_query(m, "DO 'pool-general-log'"), 0);
	mysql_close(m);
	raw.query(a, "SET GLOBAL general_log = OFF");
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM mysql.general_log WHERE thread_id = %lu AND command_type = 'Query'", tid);
	CU_ASSERT_EQUAL(raw_long(a, sql), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM mysql.general_log WHERE thread_id = %lu AND command_type = 'Query' "
		 "AND argument NOT LIKE 'SET session_track_schema=ON%%' AND argument <> 'DO ''pool-general-log'''",
		 tid);
	CU_ASSERT_EQUAL(raw_long(a, sql), 0);
	raw.query(a, "TRUNCATE mysql.general_log");
}

/* Reads of a handle stay on one replica (least_behind_primary, where equal
 * replicas tie: without affinity the rotation moves most reads). A handle may
 * move when its replica is clearly further behind than the other (twice and
 * one transaction more): with writes from other tests that may happen now and
 * then, so a few moves are allowed. Which score differences move a handle is unit-tested
 * (tests/unit/test-affinity.c). */
static void test_affinity(void)
{
	int moves = 0;

	for (int h = 0; h < 10; h++) {
		MYSQL *m = managed(0);
		long prev = -1;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		for (int i = 0; i < 10; i++) {
			long id = wstest_query_long(m, "SELECT @@server_id");

			CU_ASSERT(id != 1);
			if (prev >= 0 && id != prev)
				moves++;
			prev = id;
		}
		mysql_close(m);
	}
	printf("\n    %d moves in 90 reads that could move", moves);
	CU_ASSERT(moves <= 9);
}

/* A string from the first row of sql on m (copied into out), false on error. */
static bool query_str(MYSQL *m, const char *sql, char *out, size_t cap)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = false;

	if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
		return false;
	if ((row = mysql_fetch_row(res))) {
		snprintf(out, cap, "%s", row[0] ? row[0] : "NULL");
		ok = true;
	}
	mysql_free_result(res);
	return ok;
}

/* A number from the stats JSON's "pool" object. */
static long pool_stat(const char *name)
{
	static char json[65536];
	char pat[64];
	const char *p;

	if (wescale_stats_json(json, sizeof(json)) >= sizeof(json) || !(p = strstr(json, "\"pool\":{")))
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(p, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* The state a fresh session shows on a replica (direct). */
static char fresh_sql_mode[512], fresh_charset[64];

/* A handle that changed its session state hands its replica connection to
 * the pool; the next handle sees none of it. */
static void test_no_state_leaks(void)
{
	long taken0 = pool_stat("taken");
	char v[512];

	CU_ASSERT(taken0 >= 0);
	for (int round = 0; round < 6; round++) {
		MYSQL *a = managed(0), *b;

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(mysql_query(a, "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'"), 0);
		CU_ASSERT_EQUAL(mysql_query(a, "SET NAMES latin1"), 0);
		CU_ASSERT_EQUAL(mysql_query(a, "USE information_schema"), 0);
		CU_ASSERT_EQUAL(mysql_query(a, "SET SESSION time_zone = '+05:00'"), 0);
		CU_ASSERT(query_str(a, "SELECT @@sql_mode", v, sizeof(v)) && strstr(v, "ANSI_QUOTES"));
		if (round % 2) {
			/* A READ ONLY transaction on a replica, left open, with a
			 * user variable set in it. (A temporary table cannot be
			 * created there: the session is read-only.) */
			CU_ASSERT_EQUAL(mysql_query(a, "START TRANSACTION READ ONLY"), 0);
			CU_ASSERT_EQUAL(mysql_query(a, "SET @pool_leak = 42"), 0);
			CU_ASSERT(query_str(a, "SELECT @pool_leak", v, sizeof(v)) && strcmp(v, "42") == 0);
		}
		mysql_close(a);

		b = managed(0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT(query_str(b, "SELECT @@sql_mode", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, fresh_sql_mode);
		CU_ASSERT(query_str(b, "SELECT @@character_set_client", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, fresh_charset);
		CU_ASSERT(query_str(b, "SELECT DATABASE()", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, env.db);
		CU_ASSERT(query_str(b, "SELECT @@time_zone", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, "SYSTEM");
		/* Inside a READ ONLY transaction (on a replica) nothing of A's. */
		CU_ASSERT_EQUAL(mysql_query(b, "START TRANSACTION READ ONLY"), 0);
		CU_ASSERT(query_str(b, "SELECT @pool_leak", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, "NULL");
		CU_ASSERT(wstest_query_long(b, "SELECT @@server_id") > 1);
		CU_ASSERT_EQUAL(mysql_query(b, "COMMIT"), 0);
		/* Its own state is carried as usual. */
		CU_ASSERT_EQUAL(mysql_query(b, "SET SESSION sql_mode = 'ANSI_QUOTES'"), 0);
		CU_ASSERT(query_str(b, "SELECT @@sql_mode", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, "ANSI_QUOTES");
		/* Still a read-only session: a write is refused there. */
		CU_ASSERT_EQUAL(wescale_route_next(b, WESCALE_ROUTE_REPLICA), 0);
		CU_ASSERT(query_str(b, "SELECT @@session.tx_read_only", v, sizeof(v)));
		CU_ASSERT_STRING_EQUAL(v, "1");
		mysql_close(b);
	}
	printf("\n    pool: taken %ld, reset %ld", pool_stat("taken") - taken0, pool_stat("reset"));
	CU_ASSERT(pool_stat("taken") - taken0 >= 6);
	CU_ASSERT(pool_stat("reset") >= 1);
}

/* A handle closed with a reply or rows left unread on its replica: that
 * connection is not handed to the next handle (which would read them). */
static void test_unread_not_pooled(void)
{
	for (int round = 0; round < 4; round++) {
		MYSQL *a = managed(0), *b;
		MYSQL_RES *res;
		char v[64];

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT(wstest_query_long(a, "SELECT @@server_id") > 1);
		if (round % 2 == 0) {
			CU_ASSERT_EQUAL(mysql_send_query(a, "SELECT 'unread-reply'", 21), 0);
		} else {
			CU_ASSERT_EQUAL(mysql_query(a, "SELECT seq FROM seq_1_to_100000"), 0);
			res = mysql_use_result(a);
			CU_ASSERT_PTR_NOT_NULL(res);
			CU_ASSERT_PTR_NOT_NULL(mysql_fetch_row(res));
			mysql_free_result(res); /* (drains the rest: then it may be pooled) */
		}
		if (round % 2 == 1) {
			/* A second result left unread. */
			MYSQL *c = managed(CLIENT_MULTI_STATEMENTS);

			CU_ASSERT_PTR_NOT_NULL_FATAL(c);
			CU_ASSERT_EQUAL(mysql_query(c, "SELECT 'first'; SELECT 'second-unread'"), 0);
			res = mysql_store_result(c);
			CU_ASSERT_PTR_NOT_NULL(res);
			mysql_free_result(res);
			CU_ASSERT(mysql_more_results(c));
			mysql_close(c);
		}
		mysql_close(a);
		for (int i = 0; i < 4; i++) {
			b = managed(0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(b);
			CU_ASSERT(query_str(b, "SELECT 'mine'", v, sizeof(v)));
			CU_ASSERT_STRING_EQUAL(v, "mine");
			mysql_close(b);
		}
	}
}

/* A forked child never uses (nor says goodbye on) the parent's pooled
 * connections; the parent keeps using them. */
static void test_fork(void)
{
	long idle, conns_before, conns_after;
	pid_t pid;
	int status = -1;

	for (int i = 0; i < 3; i++) {
		MYSQL *m = managed(0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT(wstest_query_long(m, "SELECT @@server_id") > 1);
		mysql_close(m);
	}
	idle = pool_stat("idle");
	CU_ASSERT(idle >= 1);
	pid = wstest_fork(); /* (with the monitor thread running) */
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		MYSQL *m;
		int bad = 0;

		if (pool_stat("idle") != 0)
			bad |= 1;
		m = managed(0);
		if (!m || wstest_query_long(m, "SELECT @@server_id") <= 1)
			bad |= 2;
		if (m)
			mysql_close(m);
		_exit(bad);
	}
	status = wstest_wait(pid, 60);
	CU_ASSERT(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's pooled connections still work: reused, nothing new opened. */
	conns_before = connections_from(1);
	cycle3();
	conns_after = connections_from(1);
	CU_ASSERT_EQUAL(conns_after, conns_before);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static int fds_at_start;

/* Idle pooled connections are closed after pool_idle_timeout_ms; and after
 * mysql_library_end nothing of libwescale's is left open. */
static void test_idle_timeout_and_fds(void)
{
	int with_pool, after_timeout;

	with_pool = count_fds();
	CU_ASSERT(pool_stat("idle") >= 1);
	wstest_msleep(2500); /* timeout 1.5 s; the monitor sweeps every round */
	CU_ASSERT_EQUAL(pool_stat("idle"), 0);
	after_timeout = count_fds();
	printf("\n    fds: at start %d, with pool %d, after the idle timeout %d", fds_at_start, with_pool,
	       after_timeout);
	CU_ASSERT(after_timeout < with_pool);
	CU_ASSERT(after_timeout <= fds_at_start + 3); /* the monitor's own connections */
	mysql_library_end();
	CU_ASSERT_EQUAL(count_fds(), fds_at_start);
}

#define CYCLES 200

/* connect + 3 reads + close in a loop: server connections per handle. */
static void test_connections_per_handle(void)
{
	long before, after;

	before = connections_from(0);
	for (int c = 0; c < CYCLES; c++)
		cycle3();
	after = connections_from(0);
	printf("\n    %.2f server connections per handle over %d cycles", (double)(after - before) / CYCLES, CYCLES);
	CU_ASSERT((after - before) <= CYCLES * 11 / 10);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;
	char path[4096];
	FILE *f;

	if (!wstest_env_load(&env) || !rawclient_load(&raw))
		return 1;
	snprintf(path, sizeof(path), "%s/pool.conf", env.dir);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "[global]\nlog_level = warn\npool_idle_timeout_ms = 1500\n\n[cluster pool]\nprimary = 127.0.0.1:%u\nreplicas = ", env.primary_port);
	for (unsigned i = 0; i < env.n_replicas; i++)
		fprintf(f, "%s127.0.0.1:%u", i ? ", " : "", env.replica_port[i]);
	fprintf(f, "\nload_balance = least_behind_primary\nconsistency = session\npool_max_per_node = 4\n");
	fclose(f);
	setenv("WESCALE_CONFIG", path, 1);
	for (unsigned i = 0; i < 3; i++) {
		admin_conn[i] = raw_connect(i ? env.replica_port[i - 1] : env.primary_port, true);
		if (!admin_conn[i])
			return 1;
	}
	{
		MYSQL *d = raw_connect(env.replica_port[0], false);
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (!d || raw.query(d, "SELECT @@sql_mode, @@character_set_client") || !(res = raw.store(d)) ||
		    !(row = raw.fetch(res)))
			return 1;
		snprintf(fresh_sql_mode, sizeof(fresh_sql_mode), "%s", row[0]);
		snprintf(fresh_charset, sizeof(fresh_charset), "%s", row[1]);
		raw.free_res(res);
		raw.close(d);
	}
	fds_at_start = count_fds();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("pool", NULL, NULL);
	CU_add_test(s, "no round trip of its own at connect", test_no_round_trip_at_connect);
	CU_add_test(s, "the first statement answers as alone", test_first_statement_exact);
	CU_add_test(s, "general log at connect", test_general_log);
	CU_add_test(s, "replica affinity", test_affinity);
	CU_add_test(s, "server connections per handle", test_connections_per_handle);
	CU_add_test(s, "pooled connections carry no state over", test_no_state_leaks);
	CU_add_test(s, "unread replies and rows are not pooled", test_unread_not_pooled);
	CU_add_test(s, "fork: the child drops the parent's pool", test_fork);
	CU_add_test(s, "idle timeout; no fd left", test_idle_timeout_and_fds);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	raw.query(admin_conn[0], "DROP TABLE IF EXISTS wstest.pool_t");
	for (unsigned i = 0; i < 3; i++)
		raw.close(admin_conn[i]);
	return failures ? 1 : 0;
}
