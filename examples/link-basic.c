/*
 * link-basic.c — the smallest libwescale program: ordinary MySQL C API code,
 * linked with libwescale instead of libmariadb.
 *
 *   cc link-basic.c $(pkg-config --cflags --libs wescale) -o link-basic
 *   WESCALE_CONFIG=wescale.conf ./link-basic [HOST PORT USER PASSWORD DB]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * It writes a row, reads it back and prints which node ran each statement
 * (wescale_last_backend) and which server answered the read (@@server_id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <wescale.h>

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static void die(MYSQL *m, const char *what)
{
	fprintf(stderr, "link-basic: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

static const char *one_value(MYSQL *m, const char *sql, char *buf, size_t size)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
		die(m, sql);
	row = mysql_fetch_row(res);
	snprintf(buf, size, "%s", row && row[0] ? row[0] : "NULL");
	mysql_free_result(res);
	return buf;
}

int main(int argc, char **argv)
{
	const char *host = arg(argc, argv, 1, "WS_TEST_HOST", "127.0.0.1");
	unsigned port = (unsigned)atoi(arg(argc, argv, 2, "WS_TEST_PRIMARY_PORT", "3306"));
	const char *user = arg(argc, argv, 3, "WS_TEST_USER", "root");
	const char *password = arg(argc, argv, 4, "WS_TEST_PASSWORD", "");
	const char *db = arg(argc, argv, 5, "WS_TEST_DB", "test");
	char a[64], b[64], node[300];
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, password, db, port, NULL, 0))
		die(m, "connect");
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS link_basic (id INT PRIMARY KEY, v VARCHAR(20))") ||
	    mysql_query(m, "REPLACE INTO link_basic VALUES (1, 'hello')"))
		die(m, "write");
	printf("libwescale %s\n", wescale_version());
	wescale_last_backend(m, node, sizeof(node));
	printf("the write ran on %s\n", node);
	one_value(m, "SELECT v FROM link_basic WHERE id = 1", a, sizeof(a));
	wescale_last_backend(m, node, sizeof(node));
	printf("the read ran on %s\n", node);
	printf("value %s read from server %s\n", a, one_value(m, "SELECT @@server_id", b, sizeof(b)));
	printf("wrote and read back\n");
	mysql_close(m);
	return 0;
}
