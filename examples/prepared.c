/*
 * prepared.c — prepared statements through libwescale: a prepared INSERT runs
 * on the primary, a prepared SELECT with a parameter and result bindings runs
 * on the replicas, executed again and again like any other.
 *
 *   cc prepared.c $(pkg-config --cflags --libs wescale) -o prepared
 *   WESCALE_CONFIG=wescale.conf ./prepared [HOST PORT USER PASSWORD DB]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * libwescale prepares each statement on the primary (so errors and metadata
 * come at once), and a read again, lazily, on the replica that executes it,
 * with the same bindings. Exits 1 if a row was not read back, a write did not
 * run on the primary, or no read ran on a replica.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wescale.h>

#define ROWS 6

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static void die(MYSQL *m, MYSQL_STMT *st, const char *what)
{
	if (st)
		fprintf(stderr, "prepared: %s: %s (errno %u)\n", what, mysql_stmt_error(st), mysql_stmt_errno(st));
	else
		fprintf(stderr, "prepared: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

static MYSQL_STMT *prepare(MYSQL *m, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(m);

	if (!st)
		die(m, NULL, "mysql_stmt_init");
	if (mysql_stmt_prepare(st, sql, strlen(sql)))
		die(m, st, sql);
	return st;
}

int main(int argc, char **argv)
{
	const char *host = arg(argc, argv, 1, "WS_TEST_HOST", "127.0.0.1");
	unsigned port = (unsigned)atoi(arg(argc, argv, 2, "WS_TEST_PRIMARY_PORT", "3306"));
	const char *user = arg(argc, argv, 3, "WS_TEST_USER", "root");
	const char *password = arg(argc, argv, 4, "WS_TEST_PASSWORD", "");
	const char *db = arg(argc, argv, 5, "WS_TEST_DB", "test");
	char primary[128], node[128], name[41];
	int id, found = 0, writes_on_primary = 0, reads_on_replicas = 0;
	long long server_id;
	unsigned long name_len;
	my_bool name_null;
	MYSQL_BIND ins[2], param, result[2];
	MYSQL_STMT *insert, *select;
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, password, db, port, NULL, 0))
		die(m, NULL, "connect");
	snprintf(primary, sizeof(primary), "%s:%u", host, port);
	/* Any wescale_* call on a handle fails when libwescale does not manage it. */
	if (wescale_route_next(m, WESCALE_ROUTE_AUTO)) {
		fprintf(stderr, "prepared: %s is not a cluster's primary in the configuration\n"
			"(set WESCALE_CONFIG)\n", primary);
		return 1;
	}
	if (mysql_query(m, "DROP TABLE IF EXISTS ex_prepared") ||
	    mysql_query(m, "CREATE TABLE ex_prepared (id INT PRIMARY KEY, name VARCHAR(40))"))
		die(m, NULL, "create table");

	/* A prepared write: INSERT INTO ex_prepared VALUES (?, ?) */
	insert = prepare(m, "INSERT INTO ex_prepared VALUES (?, ?)");
	memset(ins, 0, sizeof(ins));
	ins[0].buffer_type = MYSQL_TYPE_LONG;
	ins[0].buffer = &id;
	ins[1].buffer_type = MYSQL_TYPE_STRING;
	ins[1].buffer = name;
	ins[1].length = &name_len;
	if (mysql_stmt_bind_param(insert, ins))
		die(m, insert, "bind insert");
	for (id = 1; id <= ROWS; id++) {
		name_len = (unsigned long)snprintf(name, sizeof(name), "name %d", id);
		if (mysql_stmt_execute(insert))
			die(m, insert, "execute insert");
		wescale_last_backend(m, node, sizeof(node));
		printf("INSERT id %d                 -> %s\n", id, node);
		writes_on_primary += strcmp(node, primary) == 0;
	}
	mysql_stmt_close(insert);

	/* A prepared read with one parameter and two result columns. */
	select = prepare(m, "SELECT name, @@server_id FROM ex_prepared WHERE id = ?");
	memset(&param, 0, sizeof(param));
	param.buffer_type = MYSQL_TYPE_LONG;
	param.buffer = &id;
	memset(result, 0, sizeof(result));
	result[0].buffer_type = MYSQL_TYPE_STRING;
	result[0].buffer = name;
	result[0].buffer_length = sizeof(name);
	result[0].length = &name_len;
	result[0].is_null = &name_null;
	result[1].buffer_type = MYSQL_TYPE_LONGLONG;
	result[1].buffer = &server_id;
	if (mysql_stmt_bind_param(select, &param) || mysql_stmt_bind_result(select, result))
		die(m, select, "bind select");
	for (id = ROWS; id >= 1; id--) {
		int rc;

		if (mysql_stmt_execute(select) || mysql_stmt_store_result(select))
			die(m, select, "execute select");
		rc = mysql_stmt_fetch(select);
		wescale_last_backend(m, node, sizeof(node));
		if (rc == 0 && !name_null) {
			printf("SELECT id %d -> '%s' from server_id %lld at %s\n", id, name, server_id, node);
			found++;
		} else {
			printf("SELECT id %d -> no row (fetch %d) at %s\n", id, rc, node);
		}
		reads_on_replicas += strcmp(node, primary) != 0;
		mysql_stmt_free_result(select);
	}
	mysql_stmt_close(select);

	printf("%d of %d inserts on the primary, %d of %d rows read back, %d of %d reads on replicas\n",
	       writes_on_primary, ROWS, found, ROWS, reads_on_replicas, ROWS);
	mysql_query(m, "DROP TABLE ex_prepared");
	mysql_close(m);
	if (writes_on_primary != ROWS || found != ROWS || reads_on_replicas == 0) {
		printf("prepared: FAILED\n");
		return 1;
	}
	printf("prepared: ok\n");
	return 0;
}
