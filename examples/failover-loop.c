/*
 * failover-loop.c — a write loop that keeps going while the primary is
 * restarted or replaced, on the same MYSQL handle, without reconnecting.
 *
 *   cc failover-loop.c $(pkg-config --cflags --libs wescale) -o failover-loop
 *   WESCALE_CONFIG=wescale.conf ./failover-loop [ITERATIONS [SECONDS]]
 *
 * Stops after ITERATIONS writes or SECONDS seconds, whichever comes first
 * (0 = no limit; default: 0 and 10). Server and account come from the
 * WS_TEST_* variables of tests/topology.sh's env file. Try it: start it, then
 * in another shell `tests/topology.sh shutdown DIR 0; tests/topology.sh restart DIR 0`.
 *
 * When the primary goes away, libwescale holds the statement (up to
 * failover_timeout_ms) until a writable primary is back, reconnects the
 * application's own handle there and runs it. The one write it cannot decide
 * about is one in flight at the instant the primary went away: it fails with
 * WESCALE_ER_WRITE_UNKNOWN ("outcome unknown"), the handle stays usable, and
 * the loop just goes on. Writes that took over 0.1 s are printed (those held
 * during the switch among them). At the end it checks that every write the
 * server acknowledged is in the table, and drops the table. Exits 1 on any
 * other error, more than one "outcome unknown", or a missing acknowledged
 * write (the table is then kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wescale.h>

static const char *env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 0, seconds = argc > 2 ? atol(argv[2]) : 10;
	const char *host = env("WS_TEST_HOST", "127.0.0.1"), *port = env("WS_TEST_PRIMARY_PORT", "3306");
	long n_acked = 0, unknown = 0, other = 0, present = 0;
	size_t size = 4096;
	char *acked = calloc(size, 1); /* acked[seq] = 1: the server acknowledged write seq */
	char sql[200];
	double t0, t, slowest = 0;
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL *m = mysql_init(NULL);
	long seq;

	if (!acked)
		return 1;
	if (!mysql_real_connect(m, host, env("WS_TEST_USER", "root"), env("WS_TEST_PASSWORD", ""),
				env("WS_TEST_DB", "test"), (unsigned)atoi(port), NULL, 0) ||
	    mysql_query(m, "DROP TABLE IF EXISTS ex_failover") ||
	    mysql_query(m, "CREATE TABLE ex_failover (seq INT PRIMARY KEY)")) {
		fprintf(stderr, "failover-loop: %s (errno %u)\n", mysql_error(m), mysql_errno(m));
		return 1;
	}
	/* Any wescale_* call on a handle fails when libwescale does not manage it. */
	if (wescale_route_next(m, WESCALE_ROUTE_AUTO)) {
		fprintf(stderr, "failover-loop: %s:%s is not a cluster's primary in the configuration\n"
			"(set WESCALE_CONFIG)\n", host, port);
		return 1;
	}
	printf("writing: %ld iterations, %ld seconds (0 = no limit)\n", iterations, seconds);
	fflush(stdout);
	t0 = now_s();
	for (seq = 1; (!iterations || seq <= iterations) && (!seconds || now_s() - t0 < (double)seconds); seq++) {
		if ((size_t)seq >= size) {
			char *grown = realloc(acked, 2 * size);

			if (!grown)
				return 1;
			memset(grown + size, 0, size);
			acked = grown;
			size *= 2;
		}
		snprintf(sql, sizeof(sql), "INSERT INTO ex_failover VALUES (%ld)", seq);
		t = now_s();
		if (mysql_query(m, sql)) {
			/* Same handle, next iteration: nothing to reconnect. */
			printf("write %ld: error %u after %.2f s: %s\n", seq, mysql_errno(m), now_s() - t,
			       mysql_error(m));
			if (mysql_errno(m) == WESCALE_ER_WRITE_UNKNOWN)
				unknown++;
			else
				other++;
			continue;
		}
		t = now_s() - t;
		if (t > 0.1)
			printf("write %ld: acknowledged after %.2f s\n", seq, t);
		slowest = t > slowest ? t : slowest;
		acked[seq] = 1;
		n_acked++;
	}
	printf("%ld writes in %.1f s: %ld acknowledged, %ld outcome unknown, %ld other errors\n", seq - 1,
	       now_s() - t0, n_acked, unknown, other);
	printf("slowest acknowledged write: %.2f s\n", slowest);

	/* Every acknowledged write must be on the primary now. */
	if (mysql_query(m, "/* wescale:route=primary */ SELECT seq FROM ex_failover") ||
	    !(res = mysql_store_result(m))) {
		fprintf(stderr, "failover-loop: read back: %s (errno %u)\n", mysql_error(m), mysql_errno(m));
		return 1;
	}
	while ((row = mysql_fetch_row(res))) {
		long v = atol(row[0]);

		present += v > 0 && (size_t)v < size && acked[v];
	}
	mysql_free_result(res);
	printf("%ld of %ld acknowledged writes are in the table\n", present, n_acked);
	free(acked);
	if (present != n_acked || unknown > 1 || other) {
		printf("failover-loop: FAILED (table ex_failover kept)\n");
		mysql_close(m);
		return 1;
	}
	mysql_query(m, "DROP TABLE ex_failover");
	mysql_close(m);
	printf("failover-loop: ok\n");
	return 0;
}
