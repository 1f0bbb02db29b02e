/*
 * transcript.c — runs a fixed script of client API calls against one server and
 * prints everything observable: rows, field metadata, affected rows, insert ids,
 * warnings, info, errno/sqlstate/error text, prepared statement results.
 *
 * Built twice — linked with plain libmariadb and with libwescale — and also run
 * with libwescale preloaded; passthru-equivalence.sh diffs the transcripts. Only
 * deterministic values are printed (no thread ids, timings or socket numbers).
 *
 *   transcript HOST PORT USER PASSWORD DB CLOSED_PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

static void print_error(const char *what, MYSQL *m)
{
	printf("  %s: errno=%u sqlstate=%s error=%s\n", what, mysql_errno(m), mysql_sqlstate(m),
	       mysql_error(m));
}

static void print_result(MYSQL_RES *res)
{
	unsigned n = mysql_num_fields(res);
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	MYSQL_ROW row;

	printf("  fields:");
	for (unsigned i = 0; i < n; i++)
		printf(" %s(type=%d,len=%lu,flags=%u)", f[i].name, (int)f[i].type, f[i].length, f[i].flags);
	printf("\n  rows=%llu\n", (unsigned long long)mysql_num_rows(res));
	while ((row = mysql_fetch_row(res))) {
		unsigned long *len = mysql_fetch_lengths(res);

		printf("  row:");
		for (unsigned i = 0; i < n; i++)
			printf(" [%s/%lu]", row[i] ? row[i] : "NULL", len[i]);
		printf("\n");
	}
}

static void run(MYSQL *m, const char *sql)
{
	int status;
	unsigned k = 0;

	printf("query: %s\n", sql);
	if (mysql_query(m, sql)) {
		print_error("error", m);
		return;
	}
	do {
		MYSQL_RES *res = mysql_store_result(m);

		printf(" result %u: field_count=%u affected=%lld insert_id=%llu warnings=%u info=%s\n", k++,
		       mysql_field_count(m), (long long)mysql_affected_rows(m),
		       (unsigned long long)mysql_insert_id(m), mysql_warning_count(m),
		       mysql_info(m) ? mysql_info(m) : "(null)");
		if (res) {
			print_result(res);
			mysql_free_result(res);
		} else if (mysql_field_count(m)) {
			print_error("store_result", m);
		}
		status = mysql_next_result(m);
		if (status > 0)
			print_error("next_result", m);
	} while (status == 0);
}

static void run_use_result(MYSQL *m, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long n = 0, sum = 0;

	printf("use_result: %s\n", sql);
	if (mysql_query(m, sql)) {
		print_error("error", m);
		return;
	}
	res = mysql_use_result(m);
	if (!res) {
		print_error("use_result", m);
		return;
	}
	while ((row = mysql_fetch_row(res))) {
		n++;
		sum += strtoul(row[0], NULL, 10);
	}
	printf("  streamed rows=%lu sum=%lu errno=%u\n", n, sum, mysql_errno(m));
	mysql_free_result(res);
}

static void prepared(MYSQL *m)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	MYSQL_BIND p[1], r[2];
	int in = 2, out_id = 0;
	char out_s[64];
	unsigned long out_len = 0;
	my_bool is_null[2] = { 0, 0 };
	const char *sql = "SELECT id, name FROM t WHERE id >= ? ORDER BY id";

	printf("prepare: %s\n", sql);
	if (mysql_stmt_prepare(st, sql, strlen(sql))) {
		printf("  stmt error: %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	printf("  param_count=%lu field_count=%u\n", mysql_stmt_param_count(st), mysql_stmt_field_count(st));
	memset(p, 0, sizeof(p));
	p[0].buffer_type = MYSQL_TYPE_LONG;
	p[0].buffer = &in;
	memset(r, 0, sizeof(r));
	r[0].buffer_type = MYSQL_TYPE_LONG;
	r[0].buffer = &out_id;
	r[0].is_null = &is_null[0];
	r[1].buffer_type = MYSQL_TYPE_STRING;
	r[1].buffer = out_s;
	r[1].buffer_length = sizeof(out_s);
	r[1].length = &out_len;
	r[1].is_null = &is_null[1];
	if (mysql_stmt_bind_param(st, p) || mysql_stmt_execute(st) || mysql_stmt_bind_result(st, r) ||
	    mysql_stmt_store_result(st)) {
		printf("  stmt error: %u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return;
	}
	printf("  num_rows=%llu\n", (unsigned long long)mysql_stmt_num_rows(st));
	while (mysql_stmt_fetch(st) == 0)
		printf("  row: %d %.*s\n", out_id, (int)out_len, out_s);
	mysql_stmt_free_result(st);

	/* A failing execution: bad parameter count is caught at prepare. */
	sql = "INSERT INTO t (id, name) VALUES (?, ?)";
	if (mysql_stmt_prepare(st, sql, strlen(sql)) == 0) {
		MYSQL_BIND ip[2];
		int id = 1;
		char name[] = "dup";
		unsigned long name_len = 3;

		memset(ip, 0, sizeof(ip));
		ip[0].buffer_type = MYSQL_TYPE_LONG;
		ip[0].buffer = &id;
		ip[1].buffer_type = MYSQL_TYPE_STRING;
		ip[1].buffer = name;
		ip[1].length = &name_len;
		mysql_stmt_bind_param(st, ip);
		if (mysql_stmt_execute(st))
			printf("  execute duplicate: %u %s %s\n", mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
			       mysql_stmt_error(st));
	}
	printf("prepare bad: ");
	if (mysql_stmt_prepare(st, "SELEC 1", 7))
		printf("%u %s\n", mysql_stmt_errno(st), mysql_stmt_error(st));
	mysql_stmt_close(st);
}

int main(int argc, char **argv)
{
	const char *host, *user, *pw, *db;
	unsigned port, closed_port;
	MYSQL *m;
	MYSQL_RES *res;

	if (argc != 7) {
		fprintf(stderr, "usage: %s HOST PORT USER PASSWORD DB CLOSED_PORT\n", argv[0]);
		return 2;
	}
	host = argv[1];
	port = (unsigned)atoi(argv[2]);
	user = argv[3];
	pw = argv[4];
	db = argv[5];
	closed_port = (unsigned)atoi(argv[6]);

	printf("client_version=%lu\n", mysql_get_client_version());

	/* NULL handles where the real library tolerates them. */
	mysql_close(NULL);
	mysql_free_result(NULL);
	printf("null handle calls survived\n");

	/* A refused connection. */
	m = mysql_init(NULL);
	if (!mysql_real_connect(m, host, user, pw, db, closed_port, NULL, 0))
		print_error("connect refused", m);
	mysql_close(m);

	/* Bad credentials, unknown database. */
	m = mysql_init(NULL);
	if (!mysql_real_connect(m, host, user, "wrong-password", db, port, NULL, 0))
		printf("  bad password: errno=%u sqlstate=%s\n", mysql_errno(m), mysql_sqlstate(m));
	mysql_close(m);
	m = mysql_init(NULL);
	if (!mysql_real_connect(m, host, user, pw, "wstest_no_such_db", port, NULL, 0))
		print_error("unknown db", m);
	mysql_close(m);

	m = mysql_init(NULL);
	{
		unsigned timeout = 5;

		mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
		mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program", "transcript");
		mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	}
	if (!mysql_real_connect(m, host, user, pw, db, port, NULL, CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS)) {
		print_error("connect", m);
		return 1;
	}
	{
		unsigned n_attrs = 0;
		char *keys[32], *vals[32];
		const char *csname = NULL;

		/* First call counts the attributes, the second fills the caller's arrays. */
		mysql_get_optionv(m, MYSQL_OPT_CONNECT_ATTRS, NULL, NULL, &n_attrs);
		printf("connect attrs counted: %s\n", n_attrs > 0 && n_attrs <= 32 ? "yes" : "no");
		if (n_attrs > 32)
			n_attrs = 32;
		{
			char **kp = keys, **vp = vals;

			mysql_get_optionv(m, MYSQL_OPT_CONNECT_ATTRS, &kp, &vp, &n_attrs);
		}
		for (unsigned i = 0; i < n_attrs; i++)
			if (strcmp(keys[i], "program") == 0)
				printf("connect attr program=%s\n", vals[i]);
		mariadb_get_infov(m, MARIADB_CLIENT_VERSION, &csname);
		printf("client version via mariadb_get_infov=%s\n", csname ? csname : "(null)");
	}
	printf("character_set_name=%s proto=%u\n", mysql_character_set_name(m), mysql_get_proto_info(m));

	run(m, "DROP TABLE IF EXISTS t, big");
	run(m, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), d DECIMAL(6,2), ts DATETIME NULL)");
	run(m, "INSERT INTO t VALUES (1,'one',1.5,'2020-01-02 03:04:05'),(2,'two',NULL,NULL),(3,'three',3.25,NULL)");
	run(m, "INSERT INTO t VALUES (1,'dup',0,NULL)");
	run(m, "UPDATE t SET name = CONCAT(name, '!') WHERE id >= 2");
	run(m, "SELECT * FROM t ORDER BY id");
	run(m, "SELECT 1/0 AS x, CAST('abc' AS INT) AS y");
	run(m, "SHOW WARNINGS");
	run(m, "SELEC * FROM t");
	run(m, "SELECT * FROM no_such_table");
	run(m, "SELECT 1 AS a; SELECT 'b' AS b, 2 AS c; SELECT * FROM t WHERE id = 99");
	run(m, "SELECT 1; SELEC 2; SELECT 3");
	run(m, "CREATE TABLE big (n INT PRIMARY KEY)");
	run(m, "INSERT INTO big SELECT seq FROM seq_1_to_5000");
	run_use_result(m, "SELECT n FROM big ORDER BY n");
	run(m, "CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
	run(m, "INSERT INTO ai (v) VALUES (10),(20)");
	run(m, "SELECT LAST_INSERT_ID()");
	run(m, "DROP TABLE ai");
	prepared(m);

	printf("autocommit(0)=%d\n", (int)mysql_autocommit(m, 0));
	run(m, "INSERT INTO t VALUES (10,'ten',NULL,NULL)");
	printf("rollback=%d\n", (int)mysql_rollback(m));
	printf("autocommit(1)=%d\n", (int)mysql_autocommit(m, 1));
	run(m, "SELECT COUNT(*) FROM t");

	printf("select_db(wstest2)=%d\n", mysql_select_db(m, "wstest2"));
	run(m, "SELECT DATABASE()");
	printf("select_db(no_such)=%d\n", mysql_select_db(m, "wstest_no_such_db"));
	print_error("select_db", m);
	printf("select_db(%s)=%d\n", db, mysql_select_db(m, db));

	printf("set_character_set(latin1)=%d name=%s\n", mysql_set_character_set(m, "latin1"),
	       mysql_character_set_name(m));
	printf("set_character_set(bogus)=%d\n", mysql_set_character_set(m, "bogus"));
	{
		char esc[64];
		unsigned long n = mysql_real_escape_string(m, esc, "it's \"q\"\n", 9);

		printf("escape=%s/%lu\n", esc, n);
	}
	printf("ping=%d\n", mysql_ping(m));

	/* mysql_list_dbs calls mysql_query + mysql_store_result inside the real
	 * library: the re-entrant path. */
	res = mysql_list_dbs(m, "wstest%");
	if (res) {
		print_result(res);
		mysql_free_result(res);
	} else {
		print_error("list_dbs", m);
	}
	res = mysql_list_tables(m, "t%");
	if (res) {
		print_result(res);
		mysql_free_result(res);
	}

	printf("change_user(bad)=%d\n", (int)mysql_change_user(m, user, "wrong-password", db));
	printf("  errno=%u\n", mysql_errno(m));
	mysql_close(m);

	/* Reconnect and clean up. */
	m = mysql_init(NULL);
	if (mysql_real_connect(m, host, user, pw, db, port, NULL, 0)) {
		run(m, "DROP TABLE IF EXISTS t, big");
		mysql_close(m);
	}
	mysql_library_end();
	printf("done\n");
	return 0;
}
