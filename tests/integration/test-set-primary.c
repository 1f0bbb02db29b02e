/*
 * test-set-primary.c — an external orchestrator names the primary
 * (wescale_set_primary, a reloaded `primary =` line; docs/failover.md). Runs on a
 * topology of its own: it promotes a replica by hand and keeps the old primary
 * writable too, so that read_only discovery alone could not tell which member
 * is the primary. Every assertion is on what the servers saw (@@server_id of
 * the session, the rows each server has).
 *
 *   test-set-primary SOURCE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static char topo_dir[256], conf_path[512];
static unsigned p0, p1; /* the configured primary (server 1), replica 1 (server 2) */

/* The server id of the handle's primary connection. */
static long primary_id(MYSQL *m)
{
	return wstest_query_long(m, "/* wescale:route=primary */ SELECT @@server_id");
}

/* A plain connection to a server (root over its socket): the configured
 * primary's address would be a managed connection, routed. */
static MYSQL *direct(unsigned port)
{
	MYSQL *a = mysql_init(NULL);
	char sock[300];

	snprintf(sock, sizeof(sock), "%s/node%d/sock", topo_dir, port == p0 ? 0 : port == p1 ? 1 : 2);
	if (a && !mysql_real_connect(a, NULL, "root", NULL, NULL, 0, sock, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "connect %s: %s\n", sock, mysql_error(a));
		mysql_close(a);
		return NULL;
	}
	return a;
}

/* The `sid` a server has for row id (-1: no such row). */
static long sid_on(unsigned port, int id)
{
	MYSQL *a = direct(port);
	char sql[128];
	long v;

	if (!a)
		return -2;
	snprintf(sql, sizeof(sql), "SELECT IFNULL((SELECT sid FROM wstest.sp_t WHERE id = %d), -1)", id);
	v = wstest_query_long(a, sql);
	mysql_close(a);
	return v;
}

static unsigned admin_exec(unsigned port, const char *sql)
{
	MYSQL *a = direct(port);
	unsigned e;

	if (!a)
		return 1;
	e = wstest_exec(a, sql);
	mysql_close(a);
	return e;
}

/* Wait until every node in `to` (0-terminated) applied what server `from`
 * has in its binlog. Over the sockets: through the configured primary's
 * address the position would be asked of a replica (a read), and the wait
 * would prove nothing. */
static bool sync_nodes(unsigned from, const unsigned *to)
{
	MYSQL *a = direct(from);
	char pos[256] = "", sql[400];
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = a && mysql_query(a, "SELECT @@GLOBAL.gtid_binlog_pos") == 0 && (res = mysql_store_result(a));

	if (ok) {
		if ((row = mysql_fetch_row(res)) && row[0])
			snprintf(pos, sizeof(pos), "%s", row[0]);
		mysql_free_result(res);
	}
	if (a)
		mysql_close(a);
	snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 30)", pos);
	for (; ok && *to; to++) {
		MYSQL *r = direct(*to);

		ok = r && wstest_query_long(r, sql) == 0;
		if (r)
			mysql_close(r);
	}
	return ok;
}

/* The sequence number of a server's last GTID (one domain here). */
static long last_seq(unsigned port)
{
	MYSQL *a = direct(port);
	long v;

	if (!a)
		return -2;
	v = wstest_query_long(a, "SELECT SUBSTRING_INDEX(@@GLOBAL.gtid_current_pos, '-', -1)");
	mysql_close(a);
	return v;
}

static int insert(MYSQL *m, int id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "INSERT INTO wstest.sp_t (id, sid) VALUES (%d, @@server_id)", id);
	return mysql_query(m, sql) ? (int)mysql_errno(m) : 0;
}

static int lost_logged;

static void on_log(int level, const char *msg, void *ud)
{
	(void)ud;
	if (level == WESCALE_LOG_ERROR && strstr(msg, "lost writes"))
		__atomic_store_n(&lost_logged, 1, __ATOMIC_RELAXED);
}

static MYSQL *m, *trx;
static MYSQL_STMT *ins;
static int ins_id;

static void test_setup(void)
{
	MYSQL_BIND b;

	unsigned replicas[] = { p1, env.replica_port[1], 0 };

	CU_ASSERT_EQUAL_FATAL(admin_exec(p0, "CREATE TABLE wstest.sp_t (id INT PRIMARY KEY, sid INT)"), 0);
	CU_ASSERT_FATAL(sync_nodes(p0, replicas));
	m = wstest_connect(&env, p0, env.db);
	trx = wstest_connect(&env, p0, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(trx);
	ins = mysql_stmt_init(m);
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(ins, "INSERT INTO wstest.sp_t (id, sid) VALUES (?, @@server_id)", 57), 0);
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONG;
	b.buffer = &ins_id;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(ins, &b), 0);
	CU_ASSERT_EQUAL(insert(m, 1), 0);
	CU_ASSERT_EQUAL(sid_on(p0, 1), 1);
	ins_id = 2;
	CU_ASSERT_EQUAL(mysql_stmt_execute(ins), 0);
	CU_ASSERT_EQUAL(sid_on(p0, 2), 1);
	/* Replica 1 is promoted below with all of it. */
	CU_ASSERT(sync_nodes(p0, replicas));
}

static void test_promote_by_hand(void)
{
	char sql[400];

	/* A transaction open on the old primary across the switch. */
	CU_ASSERT_EQUAL(wstest_exec(trx, "BEGIN"), 0);
	CU_ASSERT_EQUAL(insert(trx, 50), 0);
	/* Replica 1 becomes a primary; replica 2 follows it; the old primary
	 * is left writable (an orchestrator's fencing is not our business). */
	CU_ASSERT_EQUAL(admin_exec(p1, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0"), 0);
	snprintf(sql, sizeof(sql),
		 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%u, MASTER_USER='repl', "
		 "MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE",
		 p1);
	CU_ASSERT_EQUAL(admin_exec(env.replica_port[1], sql), 0);
	wstest_msleep(1000); /* five monitor rounds */
	/* Two writable members: discovery keeps the configured primary. */
	CU_ASSERT_EQUAL(primary_id(m), 1);
	CU_ASSERT_EQUAL(insert(m, 3), 0);
	CU_ASSERT_EQUAL(sid_on(p0, 3), 1);
	CU_ASSERT_EQUAL(sid_on(p1, 3), -1);
}

static void test_set_primary_moves_writes(void)
{
	char addr[64], backend[64];
	MYSQL *fresh;
	double t0;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", p1);
	wescale_set_log_callback(on_log, NULL);
	t0 = wstest_now_s();
	CU_ASSERT_EQUAL_FATAL(wescale_set_primary("sp", addr), 0);
	/* The next statement moves the handle: writes run on server 2. */
	CU_ASSERT_EQUAL(insert(m, 4), 0);
	printf("\n      first write after wescale_set_primary: %.0f ms", (wstest_now_s() - t0) * 1000);
	CU_ASSERT_EQUAL(sid_on(p1, 4), 2);
	CU_ASSERT_EQUAL(sid_on(p0, 4), -1);
	CU_ASSERT_EQUAL(primary_id(m), 2);
	CU_ASSERT_EQUAL(wescale_last_backend(m, backend, sizeof(backend)), 0);
	CU_ASSERT_STRING_EQUAL(backend, addr);
	/* Row 3 went to the old primary after the promotion: on the switch the
	 * new primary lacks its GTID, and that is reported. */
	CU_ASSERT(__atomic_load_n(&lost_logged, __ATOMIC_RELAXED));
	wescale_set_log_callback(NULL, NULL);
	/* A statement prepared before the switch still works, on the new primary. */
	ins_id = 5;
	CU_ASSERT_EQUAL(mysql_stmt_execute(ins), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 5), 2);
	CU_ASSERT_EQUAL(sid_on(p0, 5), -1);
	/* The open transaction was on the old primary: rolled back there, and
	 * the application is told; the handle goes on on the new primary. */
	CU_ASSERT_EQUAL(insert(trx, 51), WESCALE_ER_TRX_LOST);
	CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(trx), "rolled back"));
	CU_ASSERT_EQUAL(sid_on(p0, 50), -1);
	CU_ASSERT_EQUAL(sid_on(p0, 51), -1);
	CU_ASSERT_EQUAL(sid_on(p1, 51), -1);
	CU_ASSERT_EQUAL(insert(trx, 52), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 52), 2);
	/* A new connection to the configured primary's address goes to the
	 * named one directly. */
	fresh = wstest_connect(&env, p0, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
	CU_ASSERT_EQUAL(primary_id(fresh), 2);
	CU_ASSERT_EQUAL(insert(fresh, 6), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 6), 2);
	mysql_close(fresh);
	/* Reads see the handle's own writes (replica 2 follows the new primary). */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT sid FROM wstest.sp_t WHERE id = 4"), 2);
}

/*
 * A replica with a transaction the primary lacks (an errant write there, or
 * GTIDs lost in a switch of primary) has the same GTID sequence numbers as the
 * primary's next writes, under another server id; its replication stops there.
 * Neither its position nor MASTER_GTID_WAIT (numbers only) shows that it holds
 * a handle's write: the read goes elsewhere (here, the primary). At session and
 * instance level, with and without multi-statements (the wait in front of the
 * read, or alone).
 */
static void test_replica_on_another_history(void)
{
	static const struct {
		enum wescale_consistency level;
		unsigned long flags;
	} cases[] = {
		{ WESCALE_CONSISTENCY_SESSION, CLIENT_MULTI_STATEMENTS }, { WESCALE_CONSISTENCY_SESSION, 0 },
		{ WESCALE_CONSISTENCY_INSTANCE, CLIENT_MULTI_STATEMENTS }, { WESCALE_CONSISTENCY_INSTANCE, 0 },
	};
	unsigned p2 = env.replica_port[1], follower[] = { p2, 0 };

	/* Replica 2 has everything of the primary (server 2) first. */
	CU_ASSERT_FATAL(sync_nodes(p1, follower));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		MYSQL *h = mysql_init(NULL);
		int id = 60 + (int)i;
		char sql[128];
		long seq;

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(h, "127.0.0.1", env.user, env.password, env.db, p0,
								NULL, cases[i].flags));
		CU_ASSERT_EQUAL(wescale_set_consistency(h, cases[i].level), 0);
		CU_ASSERT_EQUAL(primary_id(h), 2);
		/* A write of replica 2's own (root may write on a read-only server);
		 * the monitor sees its position. */
		snprintf(sql, sizeof(sql), "INSERT INTO wstest.sp_t (id, sid) VALUES (%d, @@server_id)", 100 + id);
		CU_ASSERT_EQUAL(admin_exec(p2, sql), 0);
		seq = last_seq(p2);
		wstest_msleep(1000); /* five monitor rounds */
		CU_ASSERT_EQUAL(insert(h, id), 0);
		/* The same sequence number on both: what makes the check mean something. */
		CU_ASSERT_EQUAL(last_seq(p1), seq);
		CU_ASSERT_EQUAL(sid_on(p1, id), 2);
		CU_ASSERT_EQUAL(sid_on(p2, id), -1);
		snprintf(sql, sizeof(sql), "SELECT IFNULL((SELECT sid FROM wstest.sp_t WHERE id = %d), -1)", id);
		CU_ASSERT_EQUAL(wstest_query_long(h, sql), 2);
		mysql_close(h);
	}
}

static void test_bad_arguments(void)
{
	char addr[64];

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", p1);
	CU_ASSERT_EQUAL(wescale_set_primary("nosuch", addr), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary(NULL, addr), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("sp", "127.0.0.1:1"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("sp", "localhost"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("sp", ""), WESCALE_ER_BAD_ARGUMENT);
	/* Nothing changed. */
	CU_ASSERT_EQUAL(insert(m, 7), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 7), 2);
}

static void test_demoted_ends_designation(void)
{
	/* The orchestrator demotes the named member: the monitor sees it
	 * read-only, discovery decides again — the old primary is the writable
	 * one. The handle's write meets read_only on server 2, moves, and runs. */
	CU_ASSERT_EQUAL(admin_exec(p1, "SET GLOBAL read_only=1"), 0);
	wstest_msleep(1000);
	CU_ASSERT_EQUAL(insert(m, 8), 0);
	CU_ASSERT_EQUAL(sid_on(p0, 8), 1);
	CU_ASSERT_EQUAL(sid_on(p1, 8), -1);
	CU_ASSERT_EQUAL(primary_id(m), 1);
}

static void test_reload_primary(void)
{
	char addr[64];
	FILE *f;

	CU_ASSERT_EQUAL(admin_exec(p1, "SET GLOBAL read_only=0"), 0);
	/* The orchestrator rewrites the file: server 2 is the primary. */
	f = fopen(conf_path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "[cluster sp]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "health_interval_ms = 200\nfailover_timeout_ms = 5000\n",
		p1, p0, env.replica_port[1]);
	fclose(f);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	CU_ASSERT_EQUAL(insert(m, 9), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 9), 2);
	CU_ASSERT_EQUAL(sid_on(p0, 9), -1);
	ins_id = 10;
	CU_ASSERT_EQUAL(mysql_stmt_execute(ins), 0);
	CU_ASSERT_EQUAL(sid_on(p1, 10), 2);
	/* mysql_commit() after a switch: the transaction is on the old primary;
	 * it is committed nowhere. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", p0);
	CU_ASSERT_EQUAL(wescale_set_primary("sp", addr), 0);
	CU_ASSERT_EQUAL(wstest_exec(trx, "BEGIN"), 0);
	CU_ASSERT_EQUAL(insert(trx, 11), 0);
	CU_ASSERT_EQUAL(primary_id(trx), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", p1);
	CU_ASSERT_EQUAL(wescale_set_primary("sp", addr), 0);
	CU_ASSERT_NOT_EQUAL(mysql_commit(trx), 0);
	CU_ASSERT_EQUAL(mysql_errno(trx), WESCALE_ER_TRX_LOST);
	CU_ASSERT_EQUAL(sid_on(p0, 11), -1);
	CU_ASSERT_EQUAL(sid_on(p1, 11), -1);
	CU_ASSERT_EQUAL(primary_id(trx), 2);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned failures;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: test-set-primary SOURCE_DIR\n");
		return 1;
	}
	if (!wstest_own_topology(argv[1], "setprimary", &env))
		return 1;
	snprintf(topo_dir, sizeof(topo_dir), "%s", env.dir);
	p0 = env.primary_port;
	p1 = env.replica_port[0];
	snprintf(conf_path, sizeof(conf_path), "%s/set-primary.conf", topo_dir);
	f = fopen(conf_path, "w");
	if (!f)
		return 1;
	fprintf(f, "[cluster sp]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "health_interval_ms = 200\nfailover_timeout_ms = 5000\n",
		p0, p1, env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", conf_path, 1);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("set-primary", NULL, NULL);
	CU_add_test(s, "set-up", test_setup);
	CU_add_test(s, "a replica promoted by hand, old primary still writable: writes stay", test_promote_by_hand);
	CU_add_test(s, "wescale_set_primary: writes, prepared statements, transactions, new handles move",
		    test_set_primary_moves_writes);
	CU_add_test(s, "a replica with a transaction the primary lacks serves no read that needs the primary's writes",
		    test_replica_on_another_history);
	CU_add_test(s, "wescale_set_primary: bad arguments give 2907", test_bad_arguments);
	CU_add_test(s, "the named primary demoted (read_only=1): discovery decides again", test_demoted_ends_designation);
	CU_add_test(s, "a reloaded primary = line; mysql_commit after a switch", test_reload_primary);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (ins)
		mysql_stmt_close(ins);
	if (m)
		mysql_close(m);
	if (trx)
		mysql_close(trx);
	CU_cleanup_registry();
	mysql_library_end();
	wstest_own_topology_stop();
	return failures ? 1 : 0;
}
