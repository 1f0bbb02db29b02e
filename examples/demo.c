/*
 * demo.c — what libwescale does, in one screen. Run by examples/demo.sh
 * against a throwaway topology (one primary, two replicas).
 *
 * Ordinary MySQL C API code: write a row, read it straight back, a few reads
 * more; libwescale sends the writes to the primary and the reads to the
 * replicas, and no read misses the row written just before it (consistency
 * `session`). The table at the end counts, from each server's own status
 * counters, which node ran what.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wescale.h>

#define ROUNDS 300

struct counters {
	long select, insert;
};

static const char *env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static void die(MYSQL *m, const char *what)
{
	fprintf(stderr, "demo: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

/* The server's own counters, read on a direct connection to that node. */
static struct counters node_counters(unsigned port, int is_primary)
{
	struct counters c = { 0, 0 };
	MYSQL *m = mysql_init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (!mysql_real_connect(m, "127.0.0.1", env("WS_TEST_ADMIN_USER", "root"), env("WS_TEST_ADMIN_PASSWORD", ""),
				NULL, port, NULL, 0))
		die(m, "connect to read counters");
	/* The primary's address is the cluster's entry point: this one statement
	 * must run there, not on a replica. */
	if (is_primary)
		wescale_route_next(m, WESCALE_ROUTE_PRIMARY);
	if (mysql_query(m, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
			   "WHERE VARIABLE_NAME IN ('COM_SELECT', 'COM_INSERT')") ||
	    !(res = mysql_store_result(m)))
		die(m, "read counters");
	while ((row = mysql_fetch_row(res))) {
		if (strcmp(row[0], "COM_SELECT") == 0)
			c.select = atol(row[1]);
		else
			c.insert = atol(row[1]);
	}
	mysql_free_result(res);
	mysql_close(m);
	return c;
}

/* A counter from the library's statistics JSON (first occurrence). */
static long stat_counter(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? atol(p + strlen(pat)) : -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(void)
{
	unsigned ports[3] = { (unsigned)atoi(env("WS_TEST_PRIMARY_PORT", "3306")),
			      (unsigned)atoi(env("WS_TEST_REPLICA1_PORT", "3307")),
			      (unsigned)atoi(env("WS_TEST_REPLICA2_PORT", "3308")) };
	const char *names[3] = { "primary", "replica 1", "replica 2" };
	struct counters before[3], after[3];
	long served_by[4] = { 0 }, stale = 0, reads = 0;
	char sql[256];
	double t0, elapsed;
	MYSQL *m = mysql_init(NULL);

	/* Connect to the primary's address, exactly as without libwescale. */
	if (!mysql_real_connect(m, "127.0.0.1", env("WS_TEST_USER", "root"), env("WS_TEST_PASSWORD", ""),
				env("WS_TEST_DB", "test"), ports[0], NULL, 0))
		die(m, "connect");
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS demo (id INT PRIMARY KEY, note VARCHAR(40))") ||
	    mysql_query(m, "TRUNCATE TABLE demo"))
		die(m, "create table");
	for (int i = 0; i < 3; i++)
		before[i] = node_counters(ports[i], i == 0);

	t0 = now_ms();
	for (int i = 1; i <= ROUNDS; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO demo VALUES (%d, 'row %d')", i, i);
		if (mysql_query(m, sql))
			die(m, "insert");
		/* Read the row back at once, then a couple of other reads. */
		for (int k = 0; k < 3; k++) {
			MYSQL_RES *res;
			MYSQL_ROW row;

			snprintf(sql, sizeof(sql), "SELECT note, @@server_id FROM demo WHERE id = %d", k == 0 ? i : 1 + rand() % i);
			if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
				die(m, "select");
			row = mysql_fetch_row(res);
			reads++;
			if (!row)
				stale++; /* the row we wrote is not there: a stale read */
			else
				served_by[atoi(row[1]) & 3]++;
			mysql_free_result(res);
		}
	}
	elapsed = now_ms() - t0;
	for (int i = 0; i < 3; i++)
		after[i] = node_counters(ports[i], i == 0);

	printf("\nlibwescale %s demo: %d inserts, each read back at once, plus %d other reads\n\n", wescale_version(),
	       ROUNDS, 2 * ROUNDS);
	printf("  %-10s  %-16s  %8s  %8s\n", "node", "address", "INSERTs", "SELECTs");
	printf("  %-10s  %-16s  %8s  %8s\n", "----------", "----------------", "-------", "-------");
	for (int i = 0; i < 3; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", ports[i]);
		/* The primary's counters include the 1 SELECT this program used to read them. */
		printf("  %-10s  %-16s  %8ld  %8ld\n", names[i], addr, after[i].insert - before[i].insert,
		       after[i].select - before[i].select - (i == 0 ? 1 : 0));
	}
	printf("\n  reads answered: %ld by replicas, %ld by the primary\n", served_by[2] + served_by[3], served_by[1]);
	printf("  stale reads (row written just before not found): %ld of %ld\n", stale, reads);
	{
		/* libwescale's own view: how reads met the consistency level. */
		size_t n = wescale_stats_json(NULL, 0);
		char *json = malloc(n + 1);

		if (json && wescale_stats_json(json, n + 1) == n)
			printf("  consistency: %ld reads on a replica known to be caught up, %ld after a wait "
			       "(%.2f ms on average), %ld sent to the primary after a timeout\n",
			       stat_counter(json, "replica_no_wait"), stat_counter(json, "replica_after_wait"),
			       stat_counter(json, "replica_after_wait") > 0
				       ? stat_counter(json, "wait_us") / 1000.0 / stat_counter(json, "replica_after_wait")
				       : 0.0,
			       stat_counter(json, "primary_after_timeout"));
		free(json);
	}
	printf("  %.2f ms per insert + 3 reads, consistency `session` (read-your-writes)\n\n", elapsed / ROUNDS);
	mysql_query(m, "DROP TABLE demo");
	mysql_close(m);
	return stale == 0 ? 0 : 1;
}
