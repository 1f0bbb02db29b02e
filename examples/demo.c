/*
 * demo.c — what libwescale does, in one screen. Run by examples/demo.sh
 * against a throwaway topology (one primary, two replicas).
 *
 * Ordinary MySQL C API code: write a row, read it straight back, a few reads
 * more; libwescale sends the writes to the primary and the reads to the
 * replicas, and no read misses the row written just before it (consistency
 * `session`). The table at the end shows which node ran the demo's own
 * statements — INSERTs from each server's per-user statistics, SELECTs from the
 * @@server_id each read returned — and, in columns of their own, what else the
 * replicas did meanwhile: apply the primary's writes (replication) and wait to
 * catch up before a read (MASTER_GTID_WAIT, sent by libwescale).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wescale.h>

#define ROUNDS 300

struct counters {
	long insert;        /* Com_insert: every INSERT the node ran, replication's too */
	long waits;         /* Master_gtid_wait_count */
	long own_inserts;   /* rows inserted by the demo's user (USER_STATISTICS) */
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

static long one_number(MYSQL *m, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v = 0;

	if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
		die(m, "read counters");
	if ((row = mysql_fetch_row(res)) && row[0])
		v = atol(row[0]);
	mysql_free_result(res);
	return v;
}

/* The server's own counters, read on a direct connection to that node. */
static struct counters node_counters(unsigned port, int is_primary)
{
	struct counters c;
	char sql[256];
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, "127.0.0.1", env("WS_TEST_ADMIN_USER", "root"), env("WS_TEST_ADMIN_PASSWORD", ""),
				NULL, port, NULL, 0))
		die(m, "connect to read counters");
	/* The primary's address is the cluster's entry point: these statements
	 * must run there, not on a replica. Per-user statistics are off by
	 * default; this throwaway server may have them on (not replicated). */
	if (is_primary)
		wescale_route_next(m, WESCALE_ROUTE_PRIMARY);
	if (mysql_query(m, "SET GLOBAL userstat = 1"))
		die(m, "turn on per-user statistics");
	if (is_primary)
		wescale_route_next(m, WESCALE_ROUTE_PRIMARY);
	c.insert = one_number(m, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
				 "WHERE VARIABLE_NAME = 'COM_INSERT'");
	if (is_primary)
		wescale_route_next(m, WESCALE_ROUTE_PRIMARY);
	c.waits = one_number(m, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
				"WHERE VARIABLE_NAME = 'MASTER_GTID_WAIT_COUNT'");
	snprintf(sql, sizeof(sql), "SELECT ROWS_INSERTED FROM information_schema.USER_STATISTICS WHERE USER = '%s'",
		 env("WS_TEST_USER", "root"));
	if (is_primary)
		wescale_route_next(m, WESCALE_ROUTE_PRIMARY);
	c.own_inserts = one_number(m, sql);
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

/* A string from the statistics JSON (first occurrence) into buf; "?" when absent. */
static const char *stat_string(const char *json, const char *key, char *buf, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = json ? strstr(json, pat) : NULL;
	if (p)
		p += strspn(p + strlen(pat), " ") + strlen(pat);
	e = p && *p == '"' ? strchr(++p, '"') : NULL;
	if (!e)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%.*s", (int)(e - p), p);
	return buf;
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
	char *json;
	size_t json_len;
	MYSQL *m;

	/* Before the demo's connection exists, so that its statements are all counted. */
	for (int i = 0; i < 3; i++)
		before[i] = node_counters(ports[i], i == 0);
	/* Connect to the primary's address, exactly as without libwescale. */
	m = mysql_init(NULL);
	if (!mysql_real_connect(m, "127.0.0.1", env("WS_TEST_USER", "root"), env("WS_TEST_PASSWORD", ""),
				env("WS_TEST_DB", "test"), ports[0], NULL, 0))
		die(m, "connect");
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS demo (id INT PRIMARY KEY, note VARCHAR(40))") ||
	    mysql_query(m, "TRUNCATE TABLE demo"))
		die(m, "create table");

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
	/* libwescale's own view (wescale_stats_json): the policy, and how reads
	 * met the consistency level. */
	json_len = wescale_stats_json(NULL, 0);
	json = malloc(json_len + 1);
	if (!json || wescale_stats_json(json, json_len + 1) != json_len) {
		free(json);
		json = NULL;
	}
	mysql_query(m, "DROP TABLE demo");
	mysql_close(m);
	/* The per-user statistics of a connection are complete once it is closed. */
	for (int i = 0; i < 3; i++)
		after[i] = node_counters(ports[i], i == 0);

	printf("\nlibwescale %s demo: %d inserts, each read back at once, plus %d other reads\n", wescale_version(),
	       ROUNDS, 2 * ROUNDS);
	stat_string(json, "load_balance", sql, sizeof(sql));
	printf("load_balance = %s%s\n\n", sql,
	       strcmp(sql, "least_rt") == 0 ? " (the default): the replica answering fastest gets the next read" : "");
	printf("  %-10s  %-16s  %-18s  %s\n", "", "", "the demo's own", "the replicas' own work, meanwhile");
	printf("  %-10s  %-16s  %8s  %8s  %16s  %14s\n", "node", "address", "INSERTs", "SELECTs", "rows replicated",
	       "catch-up waits");
	printf("  %-10s  %-16s  %8s  %8s  %16s  %14s\n", "----------", "----------------", "-------", "-------",
	       "---------------", "--------------");
	for (int i = 0; i < 3; i++) {
		char addr[32];
		long own = after[i].own_inserts - before[i].own_inserts;

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", ports[i]);
		/* SELECTs: the reads whose @@server_id is this node's (server ids
		 * 1, 2, 3 in tests/topology.sh). */
		printf("  %-10s  %-16s  %8ld  %8ld  %16ld  %14ld\n", names[i], addr, own, served_by[i + 1],
		       after[i].insert - before[i].insert - own, after[i].waits - before[i].waits);
	}
	printf("\n  reads answered: %ld by replicas, %ld by the primary\n", served_by[2] + served_by[3], served_by[1]);
	printf("  stale reads (row written just before not found): %ld of %ld\n", stale, reads);
	if (json)
		printf("  consistency: %ld reads on a replica known to be caught up, %ld after a wait "
		       "(%.2f ms on average), %ld sent to the primary after a timeout\n",
		       stat_counter(json, "replica_no_wait"), stat_counter(json, "replica_after_wait"),
		       stat_counter(json, "replica_after_wait") > 0
			       ? stat_counter(json, "wait_us") / 1000.0 / stat_counter(json, "replica_after_wait")
			       : 0.0,
		       stat_counter(json, "primary_after_timeout"));
	free(json);
	printf("  %.2f ms per insert + 3 reads, consistency `session` (read-your-writes)\n\n", elapsed / ROUNDS);
	return stale == 0 ? 0 : 1;
}
