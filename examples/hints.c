/*
 * hints.c — telling libwescale where a statement runs: SQL comment hints and
 * wescale_route_next().
 *
 *   cc hints.c $(pkg-config --cflags --libs wescale) -o hints
 *   WESCALE_CONFIG=wescale.conf ./hints [HOST PORT USER PASSWORD DB]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * A hint is a comment anywhere in the statement and holds for that statement
 * only; wescale_route_next() does the same from C for the next statement.
 * Each statement selects @@server_id, so the server that ran it says who it
 * is. Exits 1 if a statement ran somewhere else than the hint asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wescale.h>

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static void die(MYSQL *m, const char *what)
{
	fprintf(stderr, "hints: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

static const char *primary_addr;
static int mismatches;

/* Run sql, print what it returned and the server that answered, and count it
 * if that is not `want`. */
static void run(MYSQL *m, const char *sql, const char *want)
{
	char node[128], values[128] = "";
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *fields;
	const char *got;
	size_t n = 0;

	if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
		die(m, sql);
	row = mysql_fetch_row(res);
	fields = mysql_fetch_fields(res);
	for (unsigned i = 0; row && i < mysql_num_fields(res) && n < sizeof(values); i++)
		n += (size_t)snprintf(values + n, sizeof(values) - n, "%s%s=%s", i ? " " : "", fields[i].name,
				      row[i] ? row[i] : "NULL");
	wescale_last_backend(m, node, sizeof(node));
	got = strcmp(node, primary_addr) == 0 ? "primary" : "replica";
	printf("%s\n    -> %s %s: %s%s\n", sql, got, node, row ? values : "(no row)",
	       strcmp(got, want) ? "   UNEXPECTED" : "");
	mismatches += strcmp(got, want) != 0;
	mysql_free_result(res);
}

int main(int argc, char **argv)
{
	const char *host = arg(argc, argv, 1, "WS_TEST_HOST", "127.0.0.1");
	unsigned port = (unsigned)atoi(arg(argc, argv, 2, "WS_TEST_PRIMARY_PORT", "3306"));
	const char *user = arg(argc, argv, 3, "WS_TEST_USER", "root");
	const char *password = arg(argc, argv, 4, "WS_TEST_PASSWORD", "");
	const char *db = arg(argc, argv, 5, "WS_TEST_DB", "test");
	char primary[128];
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, password, db, port, NULL, 0))
		die(m, "connect");
	snprintf(primary, sizeof(primary), "%s:%u", host, port);
	/* Any wescale_* call on a handle fails when libwescale does not manage it. */
	if (wescale_route_next(m, WESCALE_ROUTE_AUTO)) {
		fprintf(stderr, "hints: %s is not a cluster's primary in the configuration\n"
			"(set WESCALE_CONFIG)\n", primary);
		return 1;
	}
	primary_addr = primary;

	/* No hint: the classifier decides. A plain read goes to a replica. */
	run(m, "SELECT @@server_id", "replica");
	/* Force the primary, e.g. for a read that must see the very latest data. */
	run(m, "/* wescale:route=primary */ SELECT @@server_id", "primary");
	/* SQL_CALC_FOUND_ROWS keeps a read on the primary (for the FOUND_ROWS()
	 * after it); a replica hint may move it: nothing in it writes. */
	run(m, "SELECT SQL_CALC_FOUND_ROWS @@server_id", "primary");
	run(m, "SELECT SQL_CALC_FOUND_ROWS @@server_id /* wescale:route=replica */", "replica");
	/* A hint can only make routing safer: CONNECTION_ID() (like a write, a
	 * lock or a sequence) stays on the primary whatever the hint says. */
	run(m, "SELECT @@server_id, CONNECTION_ID() /* wescale:route=replica */", "primary");
	/* A consistency level for one statement. After a write, `primary` keeps
	 * this read on the primary; `eventual` lets any replica take it at once,
	 * without waiting for the write to get there (so it might not see it). */
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS ex_hints (id INT PRIMARY KEY)") ||
	    mysql_query(m, "REPLACE INTO ex_hints VALUES (1)"))
		die(m, "write");
	run(m, "/* wescale:consistency=primary */ SELECT @@server_id, COUNT(*) FROM ex_hints", "primary");
	run(m, "/* wescale:consistency=eventual */ SELECT @@server_id", "replica");
	/* From C: the next statement only. */
	if (wescale_route_next(m, WESCALE_ROUTE_PRIMARY))
		die(m, "wescale_route_next");
	printf("wescale_route_next(m, WESCALE_ROUTE_PRIMARY):\n");
	run(m, "SELECT @@server_id", "primary");
	run(m, "SELECT @@server_id", "replica"); /* back to the classifier */

	mysql_query(m, "DROP TABLE ex_hints");
	mysql_close(m);
	printf("hints: %s\n", mismatches ? "FAILED" : "ok");
	return mismatches ? 1 : 0;
}
