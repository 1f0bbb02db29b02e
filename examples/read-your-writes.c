/*
 * read-your-writes.c — consistency levels: insert a row, read it back at once
 * on the same handle, and see which node answered.
 *
 *   cc read-your-writes.c $(pkg-config --cflags --libs wescale) -o read-your-writes
 *   WESCALE_CONFIG=wescale.conf ./read-your-writes [HOST PORT USER PASSWORD DB]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * With the level `session` (the default) every read sees the write made just
 * before it, and still runs on a replica: libwescale knows the GTID of the
 * write and picks (or waits for) a replica that has applied it. `eventual` is
 * the contrast: any replica, no waiting, so a lagging one may miss the row.
 * `primary` sends every read to the primary. Exits 1 if a `session` read was
 * stale or ran on the primary, or a `primary` read ran elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wescale.h>

#define ROUNDS 5

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static void die(MYSQL *m, const char *what)
{
	fprintf(stderr, "read-your-writes: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

/* Insert rows and read each back at once; returns how many reads missed their row. */
static int rounds(MYSQL *m, const char *level, int first_id, const char *primary, int *on_primary)
{
	int stale = 0;

	*on_primary = 0;
	for (int id = first_id; id < first_id + ROUNDS; id++) {
		char sql[200], node[128];
		MYSQL_RES *res;
		MYSQL_ROW row;

		snprintf(sql, sizeof(sql), "INSERT INTO ex_ryw VALUES (%d, 'row %d')", id, id);
		if (mysql_query(m, sql))
			die(m, "insert");
		snprintf(sql, sizeof(sql), "SELECT note, @@server_id FROM ex_ryw WHERE id = %d", id);
		if (mysql_query(m, sql) || !(res = mysql_store_result(m))) {
			/* Under `eventual`, a replica may not even have the table yet. */
			wescale_last_backend(m, node, sizeof(node));
			printf("%-8s  wrote id %d, read failed at %s: %s\n", level, id, node, mysql_error(m));
			stale++;
			continue;
		}
		wescale_last_backend(m, node, sizeof(node));
		row = mysql_fetch_row(res);
		printf("%-8s  wrote id %d, read back: %-8s  server_id %s at %s\n", level, id, row ? row[0] : "MISSING",
		       row ? row[1] : "?", node);
		stale += !row;
		*on_primary += strcmp(node, primary) == 0;
		mysql_free_result(res);
	}
	return stale;
}

int main(int argc, char **argv)
{
	const char *host = arg(argc, argv, 1, "WS_TEST_HOST", "127.0.0.1");
	unsigned port = (unsigned)atoi(arg(argc, argv, 2, "WS_TEST_PRIMARY_PORT", "3306"));
	const char *user = arg(argc, argv, 3, "WS_TEST_USER", "root");
	const char *password = arg(argc, argv, 4, "WS_TEST_PASSWORD", "");
	const char *db = arg(argc, argv, 5, "WS_TEST_DB", "test");
	char primary[128];
	int stale_session, stale_eventual, n_primary, ok = 1;
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, password, db, port, NULL, 0))
		die(m, "connect");
	/* The address libwescale reports for the primary: the one we connected to. */
	snprintf(primary, sizeof(primary), "%s:%u", host, port);
	/* Any wescale_* call on a handle fails when libwescale does not manage it. */
	if (wescale_route_next(m, WESCALE_ROUTE_AUTO)) {
		fprintf(stderr, "read-your-writes: %s is not a cluster's primary in the configuration\n"
			"(set WESCALE_CONFIG)\n", primary);
		return 1;
	}
	if (mysql_query(m, "DROP TABLE IF EXISTS ex_ryw") ||
	    mysql_query(m, "CREATE TABLE ex_ryw (id INT PRIMARY KEY, note VARCHAR(40))"))
		die(m, "create table");

	/* 1. session (the default): every read sees its write, on a replica. */
	stale_session = rounds(m, "session", 1, primary, &n_primary);
	printf("session: %d of %d reads saw their write, %d ran on the primary\n\n", ROUNDS - stale_session, ROUNDS,
	       n_primary);
	ok &= stale_session == 0 && n_primary == 0;

	/* 2. eventual: no GTID check at all; a lagging replica may miss the row. */
	if (wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL))
		die(m, "wescale_set_consistency");
	stale_eventual = rounds(m, "eventual", 101, primary, &n_primary);
	printf("eventual: %d of %d reads saw their write (replicas that lag would miss some)\n\n",
	       ROUNDS - stale_eventual, ROUNDS);

	/* 3. primary: reads never leave the primary. */
	if (wescale_set_consistency(m, WESCALE_CONSISTENCY_PRIMARY))
		die(m, "wescale_set_consistency");
	rounds(m, "primary", 201, primary, &n_primary);
	printf("primary: %d of %d reads ran on the primary (%s)\n", n_primary, ROUNDS, primary);
	ok &= n_primary == ROUNDS;

	wescale_set_consistency(m, WESCALE_CONSISTENCY_SESSION);
	mysql_query(m, "DROP TABLE ex_ryw");
	mysql_close(m);
	printf("%s\n", ok ? "read-your-writes: ok" : "read-your-writes: FAILED");
	return ok ? 0 : 1;
}
