/*
 * test-split.c — the read/write split on a real topology (docs/architecture.md).
 *
 * Every check asserts which server ran a statement: the statement itself
 * returns @@server_id (1 = primary, 2/3 = replicas), or wescale_last_backend()
 * names the node. Data written here is synced to the replicas before reads
 * that must see it (consistency levels are tested on their own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <mysqld_error.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static MYSQL *m; /* the application's handle, managed by libwescale */

#define PRIMARY 1

static bool is_replica(long id) { return id == 2 || id == 3; }

/* Run sql (which must return @@server_id in its first column of the first row),
 * return that id. */
static long where(MYSQL *h, const char *sql)
{
	return wstest_query_long(h, sql);
}

static void sync_replicas(void)
{
	CU_ASSERT_FATAL(wstest_sync_replicas(&env));
}

static void test_reads_go_to_replicas(void)
{
	int seen[4] = { 0 };

	for (int i = 0; i < 20; i++) {
		long id = where(m, "SELECT @@server_id");

		CU_ASSERT(is_replica(id));
		if (id >= 0 && id < 4)
			seen[id]++;
	}
	/* round_robin: both replicas serve reads, the primary none. */
	CU_ASSERT_EQUAL(seen[PRIMARY], 0);
	CU_ASSERT(seen[2] >= 5);
	CU_ASSERT(seen[3] >= 5);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id FROM DUAL WHERE 1 = 1")));
	CU_ASSERT(is_replica(where(m, "(SELECT @@server_id) UNION (SELECT 0) ORDER BY 1 DESC")));
	CU_ASSERT(is_replica(where(m, "WITH x AS (SELECT @@server_id AS s) SELECT s FROM x")));
	CU_ASSERT(is_replica(where(m, "/* a comment */ SELECT @@server_id -- trailing")));
}

static void test_writes_go_to_primary(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "DROP TABLE IF EXISTS split_t"), 0);
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TABLE split_t (id INT AUTO_INCREMENT PRIMARY KEY, sid INT, v VARCHAR(20))"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO split_t (sid, v) VALUES (@@server_id, 'a')"), 0);
	CU_ASSERT_EQUAL(mysql_query(m, "UPDATE split_t SET v = 'b' WHERE sid = @@server_id"), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), 1);
	sync_replicas();
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM split_t WHERE sid = 1 AND v = 'b'"), 1);
}

static void test_insert_id_and_last_insert_id(void)
{
	my_ulonglong id;
	char sql[128];

	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "INSERT INTO split_t (sid, v) VALUES (0, 'id')"), 0);
	id = mysql_insert_id(m);
	CU_ASSERT(id > 0);
	/* A read on a replica in between does not lose the insert id. */
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(mysql_insert_id(m), id);
	/* LAST_INSERT_ID() belongs to the primary connection. */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT LAST_INSERT_ID()"), (long)id);
	snprintf(sql, sizeof(sql), "SELECT @@server_id FROM DUAL WHERE LAST_INSERT_ID() = %llu", (unsigned long long)id);
	CU_ASSERT_EQUAL(where(m, sql), PRIMARY);
}

static void test_found_rows(void)
{
	MYSQL_RES *res;

	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "INSERT INTO split_t (sid, v) VALUES (0,'f'),(0,'f'),(0,'f')"), 0);
	sync_replicas();
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT SQL_CALC_FOUND_ROWS @@server_id FROM split_t WHERE v = 'f' LIMIT 1"), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(strtol(mysql_fetch_row(res)[0], NULL, 10), PRIMARY);
	mysql_free_result(res);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT FOUND_ROWS()"), 3);
}

static void test_locking_reads_and_into(void)
{
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM split_t LIMIT 1 FOR UPDATE"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM split_t LIMIT 1 LOCK IN SHARE MODE"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_exec(m, "SELECT @@server_id INTO @where_into"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT @where_into"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM DUAL WHERE GET_LOCK('split', 0) >= 0"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM DUAL WHERE RELEASE_LOCK('split') >= 0"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM DUAL WHERE CONNECTION_ID() > 0"), PRIMARY);
}

static void test_user_variables(void)
{
	CU_ASSERT_EQUAL(wstest_exec(m, "SET @uv = 42"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT @uv"), 42);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM DUAL WHERE @uv = 42"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM DUAL WHERE (@uv2 := 1) = 1"), PRIMARY);
	/* System variables are plain reads. */
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id FROM DUAL WHERE @@session.autocommit = 1")));
}

static void test_multi_statements(void)
{
	MYSQL_RES *res;
	long ids[2] = { -1, -1 };
	int i = 0, status;

	/* All reads: one replica runs every part. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id; SELECT @@server_id"), 0);
	do {
		res = mysql_store_result(m);
		if (res) {
			if (i < 2)
				ids[i++] = strtol(mysql_fetch_row(res)[0], NULL, 10);
			mysql_free_result(res);
		}
		status = mysql_next_result(m);
	} while (status == 0);
	CU_ASSERT_EQUAL(status, -1);
	CU_ASSERT(is_replica(ids[0]));
	CU_ASSERT_EQUAL(ids[0], ids[1]);

	/* A write among them: the primary runs it all. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id; UPDATE split_t SET v = v WHERE id = 0"), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(strtol(mysql_fetch_row(res)[0], NULL, 10), PRIMARY);
	mysql_free_result(res);
	CU_ASSERT_EQUAL(mysql_next_result(m), 0);
	CU_ASSERT_EQUAL(mysql_field_count(m), 0);
	CU_ASSERT_EQUAL(mysql_next_result(m), -1);
}

static void test_transactions(void)
{
	/* optimistic_transactions = adaptive (the default): a transaction
	 * starts on a replica; its first write moves it to the primary, which
	 * runs the rest (test-trx covers the rules in depth). */
	CU_ASSERT_EQUAL(wstest_exec(m, "BEGIN"), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE split_t SET v = v WHERE id = 0"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_exec(m, "COMMIT"), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));

	CU_ASSERT_EQUAL(wstest_exec(m, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(mysql_rollback(m), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));

	/* autocommit=0 through SQL, then through the API: reads open a
	 * transaction on a replica, a write moves it to the primary. */
	CU_ASSERT_EQUAL(wstest_exec(m, "SET autocommit = 0"), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(wstest_exec(m, "SET autocommit = 1"), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(mysql_autocommit(m, 0), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE split_t SET v = v WHERE id = 0"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(mysql_commit(m), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id"))); /* a new transaction, on a replica */
	CU_ASSERT_EQUAL(wstest_exec(m, "DELETE FROM split_t WHERE id = -1"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(mysql_autocommit(m, 1), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
}

static void test_read_only_transaction(void)
{
	long first, id;

	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "START TRANSACTION READ ONLY"), 0);
	first = where(m, "SELECT @@server_id");
	CU_ASSERT(is_replica(first));
	for (int i = 0; i < 4; i++) {
		id = where(m, "SELECT @@server_id");
		CU_ASSERT_EQUAL(id, first); /* the whole transaction on one replica */
	}
	/* A write inside is refused by the server, as on the primary. */
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "INSERT INTO split_t (sid, v) VALUES (0, 'ro')"), 0);
	CU_ASSERT(mysql_errno(m) == 1792 /* ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION */ ||
		  mysql_errno(m) == ER_OPTION_PREVENTS_STATEMENT);
	CU_ASSERT_EQUAL(mysql_commit(m), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "START TRANSACTION READ WRITE"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_exec(m, "COMMIT"), 0);
}

static void test_lock_tables(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "LOCK TABLES split_t READ"), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM split_t LIMIT 1"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wstest_exec(m, "UNLOCK TABLES"), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
}

static void test_temporary_tables(void)
{
	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "CREATE TEMPORARY TABLE split_tmp (n INT)"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "INSERT INTO split_tmp VALUES (1), (2), (3)"), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT COUNT(*) FROM split_tmp"), 3);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM split_tmp LIMIT 1"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id FROM split_t, split_tmp LIMIT 1"), PRIMARY);
	/* Other tables still read from replicas. */
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id FROM split_t LIMIT 1")));
	CU_ASSERT_EQUAL(wstest_exec(m, "DROP TEMPORARY TABLE split_tmp"), 0);
}

static void test_use_and_session_state(void)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	CU_ASSERT_EQUAL_FATAL(wstest_exec(m, "USE wstest2"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id, DATABASE()"), 0);
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	CU_ASSERT(is_replica(strtol(row[0], NULL, 10)));
	CU_ASSERT_STRING_EQUAL(row[1], "wstest2");
	mysql_free_result(res);

	CU_ASSERT_EQUAL(mysql_select_db(m, env.db), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET NAMES utf8mb4 COLLATE utf8mb4_bin"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET time_zone = '+05:30', SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')"), 0);
	for (int i = 0; i < 4; i++) { /* both replicas */
		CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id, DATABASE(), @@time_zone, "
					  "@@character_set_client, @@collation_connection, @@sql_mode LIKE '%ANSI_QUOTES%'"), 0);
		res = mysql_store_result(m);
		row = mysql_fetch_row(res);
		CU_ASSERT(is_replica(strtol(row[0], NULL, 10)));
		CU_ASSERT_STRING_EQUAL(row[1], env.db);
		CU_ASSERT_STRING_EQUAL(row[2], "+05:30");
		CU_ASSERT_STRING_EQUAL(row[3], "utf8mb4");
		CU_ASSERT_STRING_EQUAL(row[4], "utf8mb4_bin");
		CU_ASSERT_STRING_EQUAL(row[5], "1");
		mysql_free_result(res);
	}
	CU_ASSERT_EQUAL(mysql_set_character_set(m, "latin1"), 0);
	CU_ASSERT_EQUAL(wstest_exec(m, "SET SESSION sql_mode = DEFAULT"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id, @@character_set_client, @@sql_mode LIKE '%ANSI_QUOTES%'"), 0);
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	CU_ASSERT(is_replica(strtol(row[0], NULL, 10)));
	CU_ASSERT_STRING_EQUAL(row[1], "latin1");
	CU_ASSERT_STRING_EQUAL(row[2], "0");
	mysql_free_result(res);
	CU_ASSERT_EQUAL(mysql_set_character_set(m, "utf8mb4"), 0);
}

static void test_hints(void)
{
	CU_ASSERT_EQUAL(where(m, "SELECT /* wescale:route=primary */ @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(where(m, "/*ms=master*/ SELECT @@server_id"), PRIMARY);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(wescale_route_next(m, WESCALE_ROUTE_PRIMARY), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id"))); /* only the next one */
	CU_ASSERT_EQUAL(where(m, "SELECT /* wescale:consistency=primary */ @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_PRIMARY), 0);
	CU_ASSERT_EQUAL(where(m, "SELECT @@server_id"), PRIMARY);
	CU_ASSERT_EQUAL(wescale_set_consistency(m, WESCALE_CONSISTENCY_SESSION), 0);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	CU_ASSERT_EQUAL(wescale_route_next(NULL, WESCALE_ROUTE_PRIMARY), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_route_next(m, (enum wescale_route)7), WESCALE_ER_BAD_ARGUMENT);
}

static void test_last_backend(void)
{
	char buf[64], expect[64];
	long id;

	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE split_t SET v = v WHERE id = 0"), 0);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	snprintf(expect, sizeof(expect), "127.0.0.1:%u", env.primary_port);
	CU_ASSERT_STRING_EQUAL(buf, expect);
	id = where(m, "SELECT @@server_id");
	CU_ASSERT_FATAL(is_replica(id));
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, sizeof(buf)), 0);
	snprintf(expect, sizeof(expect), "127.0.0.1:%u", env.replica_port[id - 2]);
	CU_ASSERT_STRING_EQUAL(buf, expect);
	CU_ASSERT_EQUAL(wescale_last_backend(m, buf, 0), WESCALE_ER_BAD_ARGUMENT);
}

static void test_errors_from_the_right_connection(void)
{
	/* A read that fails on a replica reports the replica's error. */
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "SELECT * FROM no_such_table_here"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), ER_NO_SUCH_TABLE);
	CU_ASSERT_STRING_EQUAL(mysql_sqlstate(m), "42S02");
	CU_ASSERT_PTR_NOT_NULL(strstr(mysql_error(m), "no_such_table_here"));
	/* Then a good write clears it. */
	CU_ASSERT_EQUAL(wstest_exec(m, "UPDATE split_t SET v = v WHERE id = 0"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), 0);
	/* A write refused by the primary. */
	CU_ASSERT_NOT_EQUAL(mysql_query(m, "INSERT INTO split_t (id, sid) VALUES (1, 0)"), 0);
	CU_ASSERT_EQUAL(mysql_errno(m), ER_DUP_ENTRY);
	/* Warnings answer for the statement's connection. */
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id FROM DUAL WHERE 1/0 IS NULL")));
	CU_ASSERT_EQUAL(mysql_warning_count(m), 1);
	/* SHOW WARNINGS describes that same statement, on that same replica. */
	{
		MYSQL_RES *res;
		MYSQL_ROW row;

		CU_ASSERT(is_replica(where(m, "SELECT @@server_id FROM DUAL WHERE 1/0 IS NULL")));
		CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SHOW WARNINGS"), 0);
		res = mysql_store_result(m);
		CU_ASSERT_PTR_NOT_NULL_FATAL(res);
		CU_ASSERT_EQUAL(mysql_num_rows(res), 1);
		row = mysql_fetch_row(res);
		CU_ASSERT(row && strstr(row[2], "Division by 0") != NULL);
		mysql_free_result(res);
		/* Still that statement's count (SHOW WARNINGS does not clear it); 0 on the primary. */
		CU_ASSERT_EQUAL(wstest_query_long(m, "SHOW COUNT(*) WARNINGS"), 1);
	}
}

static void test_use_result_streams_from_replica(void)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long n = 0, sum = 0, sid = -1;

	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT seq, @@server_id FROM seq_1_to_200000"), 0);
	res = mysql_use_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	while ((row = mysql_fetch_row(res))) {
		n++;
		sum += strtol(row[0], NULL, 10) % 7;
		sid = strtol(row[1], NULL, 10);
	}
	CU_ASSERT_EQUAL(mysql_errno(m), 0);
	mysql_free_result(res);
	CU_ASSERT_EQUAL(n, 200000);
	CU_ASSERT(is_replica(sid));
	CU_ASSERT(sum > 0);
}

static void test_prepared_statements(void)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	const char *q = "SELECT @@server_id, ? + 1, CONCAT('x', ?)";
	MYSQL_BIND p[2], r[3];
	int in = 41, sid = 0, plus = 0, seen_replica = 0;
	char s_in[] = "yz", s_out[16];
	unsigned long s_in_len = 2, s_out_len = 0;

	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	CU_ASSERT_EQUAL(mysql_stmt_param_count(st), 2);
	CU_ASSERT_EQUAL(mysql_stmt_field_count(st), 3);
	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_LONG;
	p[0].buffer = &in;
	p[1].buffer_type = MYSQL_TYPE_STRING;
	p[1].buffer = s_in;
	p[1].length = &s_in_len;
	memset(r, 0, sizeof(r));
	r[0].buffer_type = MYSQL_TYPE_LONG;
	r[0].buffer = &sid;
	r[1].buffer_type = MYSQL_TYPE_LONG;
	r[1].buffer = &plus;
	r[2].buffer_type = MYSQL_TYPE_STRING;
	r[2].buffer = s_out;
	r[2].buffer_length = sizeof(s_out);
	r[2].length = &s_out_len;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, p), 0);
	for (int i = 0; i < 6; i++) {
		in = 41 + i;
		CU_ASSERT_EQUAL_FATAL(mysql_stmt_execute(st), 0);
		CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, r), 0);
		CU_ASSERT_EQUAL(mysql_stmt_store_result(st), 0);
		CU_ASSERT_EQUAL(mysql_stmt_num_rows(st), 1);
		CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
		CU_ASSERT_EQUAL(plus, 42 + i);
		CU_ASSERT_EQUAL(s_out_len, 3);
		CU_ASSERT_NSTRING_EQUAL(s_out, "xyz", 3);
		CU_ASSERT_EQUAL(mysql_stmt_fetch(st), MYSQL_NO_DATA);
		seen_replica += is_replica(sid);
		CU_ASSERT_EQUAL(mysql_stmt_free_result(st), 0);
	}
	CU_ASSERT_EQUAL(seen_replica, 6);

	/* The same statement inside a read-write transaction runs on the primary. */
	CU_ASSERT_EQUAL(wstest_exec(m, "START TRANSACTION READ WRITE"), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_bind_result(st, r), 0);
	CU_ASSERT_EQUAL(mysql_stmt_fetch(st), 0);
	CU_ASSERT_EQUAL(sid, PRIMARY);
	mysql_stmt_free_result(st);
	CU_ASSERT_EQUAL(wstest_exec(m, "COMMIT"), 0);

	/* A prepared write runs on the primary; its error reports there. */
	q = "INSERT INTO split_t (id, sid, v) VALUES (?, @@server_id, 'ps')";
	CU_ASSERT_EQUAL_FATAL(mysql_stmt_prepare(st, q, strlen(q)), 0);
	in = 777;
	CU_ASSERT_EQUAL(mysql_stmt_bind_param(st, p), 0);
	CU_ASSERT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_affected_rows(st), 1);
	CU_ASSERT_NOT_EQUAL(mysql_stmt_execute(st), 0);
	CU_ASSERT_EQUAL(mysql_stmt_errno(st), ER_DUP_ENTRY);
	/* A prepare error comes from the primary at once. */
	CU_ASSERT_NOT_EQUAL(mysql_stmt_prepare(st, "SELEC 1", 7), 0);
	CU_ASSERT_EQUAL(mysql_stmt_errno(st), ER_PARSE_ERROR);
	CU_ASSERT_EQUAL(mysql_stmt_close(st), 0);
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT sid FROM split_t WHERE id = 777"), PRIMARY);
}

static void test_send_query(void)
{
	MYSQL_RES *res;

	/* A read sent with mysql_send_query: its result comes from a replica. */
	CU_ASSERT_EQUAL_FATAL(mysql_send_query(m, "SELECT @@server_id", 18), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_read_query_result(m), 0);
	res = mysql_store_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT(is_replica(strtol(mysql_fetch_row(res)[0], NULL, 10)));
	mysql_free_result(res);
	/* A write: the primary. */
	CU_ASSERT_EQUAL_FATAL(mysql_send_query(m, "UPDATE split_t SET sid = @@server_id WHERE id = 777", 51), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_read_query_result(m), 0);
	CU_ASSERT_EQUAL(mysql_affected_rows(m), 0); /* sid was already 1: the primary ran it */
	CU_ASSERT_EQUAL(wstest_query_long(m, "SELECT sid FROM split_t WHERE id = 777"), PRIMARY);
}

static void test_change_user_and_reset(void)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	CU_ASSERT_EQUAL(wstest_exec(m, "SET time_zone = '+03:00'"), 0);
	CU_ASSERT_EQUAL(mysql_reset_connection(m), 0);
	/* The reset session has the default time zone: so do the replicas. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id, @@time_zone"), 0);
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	CU_ASSERT(is_replica(strtol(row[0], NULL, 10)));
	CU_ASSERT_STRING_EQUAL(row[1], "SYSTEM");
	mysql_free_result(res);

	CU_ASSERT_EQUAL(wstest_exec(m, "SET time_zone = '+04:00'"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_change_user(m, env.user, env.password, "wstest2"), 0);
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT @@server_id, DATABASE(), @@time_zone"), 0);
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	CU_ASSERT(is_replica(strtol(row[0], NULL, 10)));
	CU_ASSERT_STRING_EQUAL(row[1], "wstest2");
	CU_ASSERT_STRING_EQUAL(row[2], "SYSTEM");
	mysql_free_result(res);
	CU_ASSERT_EQUAL(mysql_change_user(m, env.user, "wrong-password", env.db), 1);
	CU_ASSERT_EQUAL(mysql_errno(m), 1045);
	/* A failed change_user leaves the connection unusable in the real
	 * library too: connect again for the remaining tests. */
	mysql_close(m);
	m = wstest_connect(&env, env.primary_port, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
}

static char logged_secret[200];

static void on_log_secret(int level, const char *msg, void *ud)
{
	(void)level;
	if (strstr(msg, (const char *)ud))
		snprintf(logged_secret, sizeof(logged_secret), "%s", msg);
}

static void test_secrets_and_descriptors(void)
{
	char path[300], target[128], *stats;
	size_t n;
	int own = (int)mysql_get_socket(m), sockets = 0, leaky = 0;
	DIR *d;
	struct dirent *e;

	/* Debug logging through connects, reads, writes, failures: no password. */
	logged_secret[0] = '\0';
	wescale_set_log_callback(on_log_secret, (void *)env.password);
	wescale_set_log_level(WESCALE_LOG_DEBUG);
	{
		MYSQL *h = wstest_connect(&env, env.primary_port, env.db);

		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		CU_ASSERT(is_replica(where(h, "SELECT @@server_id")));
		CU_ASSERT_NOT_EQUAL(mysql_query(h, "SELECT * FROM no_such_table_secret"), 0);
		CU_ASSERT_EQUAL(wstest_exec(h, "DO 1"), 0);
		CU_ASSERT_EQUAL(mysql_change_user(h, env.user, env.password, env.db), 0);
		CU_ASSERT(is_replica(where(h, "SELECT @@server_id")));
		mysql_close(h);
	}
	wescale_set_log_level(WESCALE_LOG_WARN);
	wescale_set_log_callback(NULL, NULL);
	CU_ASSERT_STRING_EQUAL(logged_secret, "");
	n = wescale_stats_json(NULL, 0);
	stats = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(stats);
	wescale_stats_json(stats, n + 1);
	CU_ASSERT_PTR_NULL(strstr(stats, env.password));
	free(stats);

	/* Every socket libwescale opened (replica, monitor connections) is
	 * close-on-exec; only the application's own connection is as the real
	 * library made it. */
	CU_ASSERT(is_replica(where(m, "SELECT @@server_id")));
	d = opendir("/proc/self/fd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		ssize_t k;

		if (e->d_name[0] == '.' || fd == own)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		k = readlink(path, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = '\0';
		if (strncmp(target, "socket:", 7) != 0)
			continue;
		sockets++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			leaky++;
	}
	closedir(d);
	printf("\n      %d sockets of libwescale's own, %d without FD_CLOEXEC", sockets, leaky);
	CU_ASSERT(sockets >= 2);
	CU_ASSERT_EQUAL(leaky, 0);
}

static void test_unmanaged_handle_is_plain(void)
{
	/* A direct connection to a replica's port is not the cluster's address:
	 * not managed, every statement runs where it was sent. */
	MYSQL *r = wstest_connect(&env, env.replica_port[0], env.db);
	char buf[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(where(r, "SELECT @@server_id"), 2);
	CU_ASSERT_EQUAL(wescale_last_backend(r, buf, sizeof(buf)), WESCALE_ER_BAD_ARGUMENT);
	mysql_close(r);
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
	s = CU_add_suite("split", NULL, NULL);
	CU_add_test(s, "reads go to replicas", test_reads_go_to_replicas);
	CU_add_test(s, "writes go to the primary", test_writes_go_to_primary);
	CU_add_test(s, "insert id and LAST_INSERT_ID", test_insert_id_and_last_insert_id);
	CU_add_test(s, "FOUND_ROWS after SQL_CALC_FOUND_ROWS", test_found_rows);
	CU_add_test(s, "locking reads, INTO, lock functions", test_locking_reads_and_into);
	CU_add_test(s, "user variables", test_user_variables);
	CU_add_test(s, "multi-statements", test_multi_statements);
	CU_add_test(s, "transactions and autocommit", test_transactions);
	CU_add_test(s, "READ ONLY transaction on one replica", test_read_only_transaction);
	CU_add_test(s, "LOCK TABLES", test_lock_tables);
	CU_add_test(s, "temporary tables", test_temporary_tables);
	CU_add_test(s, "USE, SET NAMES, SET SESSION replayed", test_use_and_session_state);
	CU_add_test(s, "hints and wescale_route_next", test_hints);
	CU_add_test(s, "wescale_last_backend", test_last_backend);
	CU_add_test(s, "errors from the right connection", test_errors_from_the_right_connection);
	CU_add_test(s, "use_result streams from a replica", test_use_result_streams_from_replica);
	CU_add_test(s, "prepared statements", test_prepared_statements);
	CU_add_test(s, "send_query + read_query_result", test_send_query);
	CU_add_test(s, "mysql_reset_connection and mysql_change_user", test_change_user_and_reset);
	CU_add_test(s, "no password in logs or stats; own sockets close-on-exec", test_secrets_and_descriptors);
	CU_add_test(s, "unmanaged handle is plain", test_unmanaged_handle_is_plain);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	wstest_exec(m, "DROP TABLE IF EXISTS split_t");
	mysql_close(m);
	mysql_library_end();
	return failures ? 1 : 0;
}
