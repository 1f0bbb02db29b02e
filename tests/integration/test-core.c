/*
 * test-core.c — the routing core (issue 17): every entry point gets the same
 * decision and the same bookkeeping, and no statement gives a different answer
 * than plain libmariadb on the primary would.
 *
 * Each check asserts what a server saw (@@server_id, rows, error numbers).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static MYSQL *m; /* the application's handle, managed by libwescale */

#define PRIMARY 1

static bool is_replica(long id) { return id == 2 || id == 3; }

/* A fresh managed handle (closed by the caller). */
static MYSQL *fresh(void)
{
	MYSQL *h = wstest_connect(&env, env.primary_port, env.db);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

/* A fresh table `name` (columns) on h, filled with `values` (NULL: empty),
 * applied on every replica. */
static void make_table(MYSQL *h, const char *name, const char *columns, const char *values)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", name);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, sql), 0);
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (%s)", name, columns);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, sql), 0);
	if (values) {
		snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES %s", name, values);
		CU_ASSERT_EQUAL(wstest_exec(h, sql), 0);
	}
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
}

/* The first value of the result of the statement h last ran, as a long. */
static long result_long(MYSQL *h)
{
	MYSQL_RES *res = mysql_store_result(h);
	MYSQL_ROW row;
	long v = -1;

	if (!res)
		return -1;
	if ((row = mysql_fetch_row(res)) && row[0])
		v = atol(row[0]);
	mysql_free_result(res);
	return v;
}

/* ---- mysql_send_query + poll on the handle's socket + read_query_result ---- */

/* What Ruby mysql2 does: send, wait on the handle's own socket, read. */
static long send_poll_read(MYSQL *h, const char *sql, int *polled)
{
	struct pollfd p = { .fd = (int)mysql_get_socket(h), .events = POLLIN };

	if (mysql_send_query(h, sql, (unsigned long)strlen(sql)))
		return -2;
	*polled = poll(&p, 1, 10000);
	if (mysql_read_query_result(h))
		return -3;
	return result_long(h);
}

static void test_send_query_poll_own_socket(void)
{
	MYSQL *h = fresh();
	int polled, on_replica = 0;
	char sql[128];

	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, "DROP TABLE IF EXISTS core_send"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, "CREATE TABLE core_send (id INT PRIMARY KEY, v INT)"), 0);
	for (int i = 1; i <= 40; i++) {
		long id;

		/* A read needing no wait, then a write and a read that needs one. */
		id = send_poll_read(h, "SELECT @@server_id", &polled);
		CU_ASSERT_EQUAL(polled, 1); /* the socket woke up: no hang */
		on_replica += is_replica(id);
		snprintf(sql, sizeof(sql), "INSERT INTO core_send VALUES (%d, %d)", i, i * 3);
		CU_ASSERT_EQUAL(send_poll_read(h, sql, &polled), -1); /* no result set */
		CU_ASSERT_EQUAL(polled, 1);
		CU_ASSERT_EQUAL(mysql_affected_rows(h), 1);
		/* read-your-write; the value carries the server that ran it */
		snprintf(sql, sizeof(sql), "SELECT v * 10 + @@server_id FROM core_send WHERE id = %d", i);
		id = send_poll_read(h, sql, &polled);
		CU_ASSERT_EQUAL(id / 10, i * 3);
		CU_ASSERT_EQUAL(polled, 1);
		on_replica += is_replica(id % 10);
	}
	CU_ASSERT(on_replica >= 64); /* of 80 reads */
	/* The handle's socket is the primary's again after the read. */
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@server_id FROM core_send FOR UPDATE"), PRIMARY);
	/* mysql_close with a replica's reply outstanding. */
	CU_ASSERT_EQUAL(mysql_send_query(h, "SELECT @@server_id", 18), 0);
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_send");
}

/* ---- the non-blocking API: bookkeeping as for the blocking calls ---- */

/* Run sql through mysql_real_query_start/_cont, waiting on the handle's
 * socket as an event loop would; the call's result. */
static int nb_query(MYSQL *h, const char *sql)
{
	int ret = 1, status = mysql_real_query_start(&ret, h, sql, (unsigned long)strlen(sql));

	while (status) {
		struct pollfd p = { .fd = (int)mysql_get_socket(h), .events = POLLIN };

		if (status & MYSQL_WAIT_WRITE)
			p.events = POLLOUT;
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		status = mysql_real_query_cont(&ret, h, MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
	}
	return ret;
}

static void test_nonblocking_bookkeeping(void)
{
	MYSQL *h = mysql_init(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	mysql_options(h, MYSQL_OPT_NONBLOCK, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(h, "127.0.0.1", env.user, env.password, env.db,
							env.primary_port, NULL, 0));
	make_table(h, "core_nb", "id INT PRIMARY KEY, v INT", "(1, 10), (2, 20), (3, 30)");
	/* An INSERT sent non-blocking: the read that follows sees it (session). */
	CU_ASSERT_EQUAL(nb_query(h, "INSERT INTO core_nb VALUES (4, 40)"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_nb"), 4);
	/* SET sql_mode non-blocking: carried to the replicas. */
	CU_ASSERT_EQUAL(nb_query(h, "SET SESSION sql_mode = 'ANSI_QUOTES'"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@sql_mode = 'ANSI_QUOTES' FROM \"core_nb\" LIMIT 1"), 1);
	CU_ASSERT_EQUAL(nb_query(h, "SET SESSION sql_mode = DEFAULT"), 0);
	/* A temporary table that shadows core_nb, created non-blocking: reads of
	 * core_nb must see it (empty), not the base table on a replica. */
	CU_ASSERT_EQUAL(nb_query(h, "CREATE TEMPORARY TABLE core_nb (id INT)"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_nb"), 0);
	CU_ASSERT_EQUAL(nb_query(h, "DROP TEMPORARY TABLE core_nb"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_nb"), 4);
	/* USE non-blocking: the replicas read from the new database. */
	CU_ASSERT_EQUAL(nb_query(h, "USE wstest2"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT DATABASE() = 'wstest2'"), 1);
	CU_ASSERT(is_replica(wstest_server_id(h)));
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_nb");
}

/* ---- replies read through MYSQL.methods: statements stay on the primary ---- */

static void test_skip_read_response_stays_on_primary(void)
{
	MYSQL *h = mysql_init(NULL);
	my_bool on = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mysql_real_connect(h, "127.0.0.1", env.user, env.password, env.db,
							env.primary_port, NULL, 0));
	CU_ASSERT_EQUAL_FATAL(mysql_optionsv(h, MARIADB_OPT_SKIP_READ_RESPONSE, &on), 0);
	/* What Connector/C's test_conc533 and pipelining clients do (the test is
	 * the application here: it may use the struct). */
	CU_ASSERT_EQUAL(mysql_real_query(h, "SELECT @@server_id", 18), 0);
	CU_ASSERT_EQUAL(h->methods->db_read_query_result(h), 0);
	CU_ASSERT_EQUAL(result_long(h), PRIMARY);
	mysql_close(h);
}

/* ---- statements sent with mysql_send_query get the bookkeeping too ---- */

static void test_send_query_temp_table(void)
{
	MYSQL *h = fresh();
	int polled;

	make_table(h, "core_tmp", "id INT", "(1), (2), (3)");
	CU_ASSERT_EQUAL(send_poll_read(h, "CREATE TEMPORARY TABLE core_tmp (id INT)", &polled), -1);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_tmp"), 0);
	CU_ASSERT_EQUAL(send_poll_read(h, "LOCK TABLES core_tmp READ", &polled), -1);
	CU_ASSERT_EQUAL(wstest_server_id(h), PRIMARY);
	CU_ASSERT_EQUAL(send_poll_read(h, "UNLOCK TABLES", &polled), -1);
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_tmp");
}

/* ---- START TRANSACTION READ ONLY: session-bound statements on the primary ---- */

static long direct_primary_long(const char *sql)
{
	char q[512];

	/* This program is linked with libwescale: the admin connection to the
	 * primary's address is routed too, and a read of another handle's
	 * write could find a replica behind. */
	snprintf(q, sizeof(q), "/* wescale:route=primary */ %s", sql);
	return wstest_admin_long(&env, env.primary_port, q);
}

static void test_ro_trx_session_bound(void)
{
	MYSQL *h = fresh();
	my_ulonglong id;
	char sql[256], esc[64];

	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, "DROP TABLE IF EXISTS core_ro"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(h, "CREATE TABLE core_ro (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO core_ro (v) VALUES ('a'), ('b'), ('c')"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "DROP TABLE IF EXISTS wstest2.core_ro"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "CREATE TABLE wstest2.core_ro (id INT PRIMARY KEY, v VARCHAR(20))"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO wstest2.core_ro VALUES (1, 'x'), (2, 'y')"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO core_ro (v) VALUES ('d')"), 0);
	id = mysql_insert_id(h);
	CU_ASSERT_EQUAL(wstest_exec(h, "CREATE TEMPORARY TABLE core_ro_tmp (i INT)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO core_ro_tmp VALUES (1)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET @a = 7"), 0);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));

	CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION READ ONLY"), 0);
	CU_ASSERT(is_replica(wstest_server_id(h))); /* the transaction is on a replica */
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @a"), 7);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT LAST_INSERT_ID()"), (long)id);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_ro_tmp"), 1);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT GET_LOCK('core_ro_lock', 0)"), 1);
	CU_ASSERT(direct_primary_long("SELECT IS_USED_LOCK('core_ro_lock') IS NOT NULL") == 1);
	CU_ASSERT_EQUAL(wstest_query_long(h, "/*ms=master*/ SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_ro"), 4);
	/* State changed inside reaches the primary: the DELETE after COMMIT runs
	 * in wstest2, as it does without libwescale. */
	CU_ASSERT_EQUAL(wstest_exec(h, "USE wstest2"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_ro"), 2);
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "DELETE FROM core_ro WHERE id = 1"), 0);
	CU_ASSERT_EQUAL(direct_primary_long("SELECT COUNT(*) FROM wstest2.core_ro"), 1);
	CU_ASSERT_EQUAL(direct_primary_long("SELECT COUNT(*) FROM wstest.core_ro"), 4);
	CU_ASSERT_EQUAL(wstest_exec(h, "USE wstest"), 0);

	/* The SQL-injection case: sql_mode set inside the transaction is the
	 * application connection's mode afterwards, so mysql_real_escape_string
	 * escapes for it. */
	CU_ASSERT_EQUAL(wstest_exec(h, "START TRANSACTION READ ONLY"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "COMMIT"), 0);
	mysql_real_escape_string(h, esc, "x' OR 1=1 -- ", 13);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM core_ro WHERE v = '%s'", esc);
	CU_ASSERT_EQUAL(wstest_query_long(h, sql), 0);
	CU_ASSERT(is_replica(wstest_server_id(h)));
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_ro");
	wstest_exec(m, "DROP TABLE IF EXISTS wstest2.core_ro");
}

/* ---- temporary tables created without naming them in a plain statement ---- */

static void check_shadowed(const char *how, const char *create, const char *create2)
{
	MYSQL *h = fresh();

	if (create2)
		CU_ASSERT_EQUAL(wstest_exec(h, create2), 0);
	if (strcmp(create, "stmt") == 0) {
		MYSQL_STMT *st = mysql_stmt_init(h);
		const char *q = "CREATE TEMPORARY TABLE core_shadow (id INT)";

		CU_ASSERT_EQUAL(mysql_stmt_prepare(st, q, (unsigned long)strlen(q)), 0);
		CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
		mysql_stmt_close(st);
	} else {
		CU_ASSERT_EQUAL(wstest_exec(h, create), 0);
	}
	/* The temporary table shadows the base table (3 rows): 0 rows, as the
	 * primary's session sees it. */
	if (wstest_query_long(h, "SELECT COUNT(*) FROM core_shadow") != 0) {
		printf("\n    %s: the base table was read", how);
		CU_FAIL("temporary table missed");
	}
	mysql_close(h);
}

static void test_temp_tables_hidden(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP TABLE IF EXISTS core_shadow"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TABLE core_shadow (id INT)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO core_shadow VALUES (1), (2), (3)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP PROCEDURE IF EXISTS core_mk"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "CREATE PROCEDURE core_mk() CREATE TEMPORARY TABLE core_shadow (id INT)"), 0);
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
	check_shadowed("CALL", "CALL core_mk()", NULL);
	check_shadowed("EXECUTE IMMEDIATE", "EXECUTE IMMEDIATE 'CREATE TEMPORARY TABLE core_shadow (id INT)'", NULL);
	check_shadowed("PREPARE/EXECUTE", "EXECUTE core_s",
		       "PREPARE core_s FROM 'CREATE TEMPORARY TABLE core_shadow (id INT)'");
	check_shadowed("mysql_stmt_*", "stmt", NULL);
	check_shadowed("ALTER TABLE tmp RENAME", "ALTER TABLE core_tmpx RENAME core_shadow",
		       "CREATE TEMPORARY TABLE core_tmpx (id INT)");
	/* A reset proves the session clean again: reads go back to replicas. */
	{
		MYSQL *h = fresh();

		CU_ASSERT_EQUAL(wstest_exec(h, "CALL core_mk()"), 0);
		CU_ASSERT_EQUAL(wstest_server_id(h), PRIMARY);
		CU_ASSERT_EQUAL(mysql_reset_connection(h), 0);
		CU_ASSERT(is_replica(wstest_server_id(h)));
		CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_shadow"), 3);
		mysql_close(h);
	}
	wstest_exec(m, "DROP PROCEDURE IF EXISTS core_mk");
	wstest_exec(m, "DROP TABLE IF EXISTS core_shadow");
}

/* ---- writes answered with a result set raise the watermark ---- */

static void replicas_sql_thread(const char *what)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "%s SLAVE SQL_THREAD", what);
	for (unsigned i = 0; i < env.n_replicas; i++) {
		MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(wstest_exec(a, sql), 0);
		mysql_close(a);
	}
}

static void test_result_set_writes_raise_watermark(void)
{
	MYSQL *h = fresh();

	make_table(h, "core_rs", "id INT PRIMARY KEY", NULL);
	replicas_sql_thread("STOP"); /* replicas receive but do not apply */
	CU_ASSERT_EQUAL(wstest_query_long(h, "INSERT INTO core_rs VALUES (1) RETURNING id"), 1);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_rs"), 1); /* not stale */
	CU_ASSERT_EQUAL(wstest_query_long(h, "REPLACE INTO core_rs VALUES (2) RETURNING id"), 2);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_rs"), 2);
	/* Read with mysql_use_result: the GTID is taken before the next statement. */
	CU_ASSERT_EQUAL(mysql_query(h, "INSERT INTO core_rs VALUES (3) RETURNING id"), 0);
	{
		MYSQL_RES *res = mysql_use_result(h);

		CU_ASSERT_PTR_NOT_NULL(res);
		while (res && mysql_fetch_row(res))
			;
		mysql_free_result(res);
	}
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_rs"), 3);
	replicas_sql_thread("START");
	CU_ASSERT(wstest_sync_replicas(&env));
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_rs");
}

/* ---- the application turning session tracking down ---- */

static void test_tracking_turned_down(void)
{
	MYSQL *h = fresh();

	CU_ASSERT_EQUAL(wstest_exec(h, "SET SESSION session_track_system_variables = ''"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET SESSION sql_mode = 'ANSI_QUOTES'"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@sql_mode = 'ANSI_QUOTES'"), 1);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@session_track_system_variables = ''"), 1);
	mysql_close(h);
	h = fresh();
	CU_ASSERT_EQUAL(wstest_exec(h, "SET session_track_schema = OFF"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "USE wstest2"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT DATABASE() = 'wstest2'"), 1);
	mysql_close(h);
}

/* ---- diagnostics answer for the statement that ran last, where it ran ---- */

static void test_diagnostics_after_replica_read(void)
{
	MYSQL *h = fresh();

	make_table(h, "core_diag", "id INT", "(1), (2), (3)");
	/* FOUND_ROWS(): 4 for the primary's last statement, 1 for the replica's. */
	CU_ASSERT_EQUAL(wstest_exec(h, "SELECT id FROM core_diag FOR UPDATE"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SELECT id, @@server_id FROM core_diag LIMIT 1"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT FOUND_ROWS()"), 1);
	/* ROW_COUNT(): 2 for the primary's INSERT, -1 for the replica's SELECT. */
	CU_ASSERT_EQUAL(wstest_exec(h, "INSERT INTO core_diag VALUES (5), (6)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(h, "SELECT id FROM core_diag"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT ROW_COUNT()"), -1);
	CU_ASSERT_EQUAL(wstest_exec(h, "SELECT 1/0"), 0); /* a warning, on a replica */
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@warning_count"), 1);
	CU_ASSERT_EQUAL(wstest_exec(h, "SELECT 1/0"), 0);
	CU_ASSERT_EQUAL(mysql_query(h, "SHOW /*c*/ WARNINGS"), 0);
	{
		MYSQL_RES *res = mysql_store_result(h);

		CU_ASSERT_EQUAL(res ? mysql_num_rows(res) : 0, 1);
		mysql_free_result(res);
	}
	mysql_close(h);
	wstest_exec(m, "DROP TABLE IF EXISTS core_diag");
}

/* ---- SET NAMES, SET timestamp = DEFAULT, all-digit strings, uncarried ---- */

static void test_session_state_carrying(void)
{
	MYSQL *h = fresh();
	char v[64];

	/* The SET's own status, no statement of ours after it. */
	CU_ASSERT_EQUAL(mysql_query(h, "SET NAMES utf8mb4 COLLATE utf8mb4_bin"), 0);
	CU_ASSERT_EQUAL(mysql_field_count(h), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(h), 0);
	CU_ASSERT_EQUAL(mysql_warning_count(h), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@collation_connection = 'utf8mb4_bin'"), 1);
	CU_ASSERT(is_replica(wstest_server_id(h)));
	CU_ASSERT_EQUAL(mysql_query(h, "SET NAMES latin1"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@collation_connection = 'latin1_swedish_ci'"), 1);
	CU_ASSERT_EQUAL(mysql_set_character_set(h, "utf8mb4"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@collation_connection = @@global.collation_connection OR "
					      "@@collation_connection LIKE 'utf8mb4%'"), 1);

	/* SET timestamp = DEFAULT: the replicas' clocks run again. */
	CU_ASSERT_EQUAL(wstest_exec(h, "SET timestamp = 12345"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT UNIX_TIMESTAMP()"), 12345);
	CU_ASSERT_EQUAL(wstest_exec(h, "SET timestamp = DEFAULT"), 0);
	CU_ASSERT(wstest_query_long(h, "SELECT UNIX_TIMESTAMP()") > 1000000000);
	CU_ASSERT(is_replica(wstest_server_id(h)));

	/* A string variable with an all-digit value: replayed quoted. */
	CU_ASSERT_EQUAL(wstest_exec(h, "SET SESSION default_master_connection = '123'"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@default_master_connection"), 123);
	CU_ASSERT(is_replica(wstest_server_id(h)));
	snprintf(v, sizeof(v), "%ld", wstest_query_long(h, "SELECT @@default_master_connection + 0"));
	CU_ASSERT_STRING_EQUAL(v, "123");

	/* Variables that are never carried are read where they live. */
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@server_id + 0 * @@gtid_domain_id"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT @@server_id + 0 * @@session.sql_log_bin"), PRIMARY);
	mysql_close(h);
}

/* ---- wescale_last_route and the per-reason counters ---- */

static void test_last_route(void)
{
	MYSQL *h = fresh();
	char why[256], json[65536];

	CU_ASSERT_EQUAL(wescale_last_route(h, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "primary: nothing routed yet");
	CU_ASSERT(is_replica(wstest_server_id(h)));
	CU_ASSERT_EQUAL(wescale_last_route(h, why, sizeof(why)), 0);
	CU_ASSERT(strncmp(why, "replica 127.0.0.1:", 18) == 0 && strstr(why, ": read") != NULL);
	CU_ASSERT_EQUAL(wstest_exec(h, "CREATE TEMPORARY TABLE core_lr (i INT)"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(h, "SELECT COUNT(*) FROM core_lr"), 0);
	CU_ASSERT_EQUAL(wescale_last_route(h, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "primary: temporary table");
	CU_ASSERT_EQUAL(wstest_query_long(h, "/* wescale:route=replica */ SELECT GET_LOCK('core_lr', 0)"), 1);
	CU_ASSERT_EQUAL(wescale_last_route(h, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "primary: primary-only function");
	CU_ASSERT_EQUAL(wescale_last_route(h, why, 8), 0); /* truncated */
	CU_ASSERT_STRING_EQUAL(why, "primary");
	CU_ASSERT_EQUAL(wescale_last_route(NULL, why, sizeof(why)), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_EQUAL(wescale_last_route(h, NULL, 10), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT(wescale_stats_json(json, sizeof(json)) < sizeof(json));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"route_reasons\":{\"read\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"temporary_table\":"));
	CU_ASSERT_PTR_NULL(strstr(json, "\"replica_request_ignored\":0"));
	mysql_close(h);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (!wstest_env_load(&env))
		return 1;
	setenv("WESCALE_CONFIG", env.config, 1);
	m = wstest_connect(&env, env.primary_port, env.db);
	if (!m)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("core", NULL, NULL);
	CU_add_test(s, "send_query: poll on the handle's own socket wakes up", test_send_query_poll_own_socket);
	CU_add_test(s, "non-blocking API: USE, SET, temporary tables, GTID", test_nonblocking_bookkeeping);
	CU_add_test(s, "MARIADB_OPT_SKIP_READ_RESPONSE: on the primary", test_skip_read_response_stays_on_primary);
	CU_add_test(s, "send_query: temporary tables and LOCK TABLES noted", test_send_query_temp_table);
	CU_add_test(s, "READ ONLY transaction: session-bound statements on the primary", test_ro_trx_session_bound);
	CU_add_test(s, "temporary tables via CALL, EXECUTE, prepared, RENAME", test_temp_tables_hidden);
	CU_add_test(s, "writes answered with rows raise the watermark", test_result_set_writes_raise_watermark);
	CU_add_test(s, "the application turns session tracking down", test_tracking_turned_down);
	CU_add_test(s, "diagnostics after a replica read", test_diagnostics_after_replica_read);
	CU_add_test(s, "SET NAMES, timestamp, all-digit strings, uncarried", test_session_state_carrying);
	CU_add_test(s, "wescale_last_route and the per-reason counters", test_last_route);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_close(m);
	mysql_library_end();
	return failures ? 1 : 0;
}
