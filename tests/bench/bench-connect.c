/*
 * bench-connect.c — short-lived handles: mysql_init + connect + N point
 * selects + mysql_close, in a loop (issue 21).
 *
 *   source DIR/env     # a topology started by tests/topology.sh
 *   bench-connect [-c CYCLES] [-r RUNS] [-H]
 *
 * Variants, run in one process, interleaved (each run times every variant and
 * every N in turn), N = 1, 3 and 10:
 *
 *   direct    the real client library (reached with dlopen, so libwescale is
 *             not in the way) -> replica 1
 *   haproxy   the same through haproxy (tcp mode, free 127.0.0.1 port) -> replica 1
 *   wescale   libwescale -> cluster {primary, replica 1, replica 2}, least_rt,
 *             consistency=session: reads on the replicas
 *
 * It prints the median time per cycle of each, the ratio to direct, and, for
 * libwescale, the server connections opened per application handle over a
 * loop of 1,000 cycles with N = 3 (the servers' Connections counters, read on
 * connections made with the real library). Figures only: never passes or
 * fails on time; exits non-zero when a statement fails.
 *
 * Defaults: -c 200 cycles per timed loop, -r 7 runs; -H: no haproxy variant.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "../rawclient.h"
#include "benchlib.h"

static struct rawclient raw, ws;

static const char *user, *password;
static unsigned primary, replicas[2], haproxy_port;
static pid_t haproxy_pid;
static char tmpdir[] = "/tmp/bench-connect.XXXXXX";

static void load(void)
{
	if (!rawclient_load(&raw)) {
		fprintf(stderr, "bench-connect: libmariadb.so.3: %s\n", dlerror());
		exit(2);
	}
	ws.init = mysql_init;
	ws.connect = mysql_real_connect;
	ws.query = mysql_query;
	ws.store = mysql_store_result;
	ws.fetch = mysql_fetch_row;
	ws.free_res = mysql_free_result;
	ws.close = mysql_close;
	ws.error = mysql_error;
}

/* One cycle: connect, n point selects, close. */
static void cycle(struct rawclient *api, unsigned port, int n)
{
	MYSQL *m = api->init(NULL);
	char sql[128];

	if (!m || !api->connect(m, "127.0.0.1", user, password, BENCH_DB, port, NULL, 0)) {
		fprintf(stderr, "bench-connect: connect to %u: %s\n", port, m ? api->error(m) : "out of memory");
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		MYSQL_RES *res;

		snprintf(sql, sizeof(sql), "SELECT c FROM sbtest1 WHERE id = %d", 1 + rand() % (int)BENCH_ROWS);
		if (api->query(m, sql) || !(res = api->store(m))) {
			fprintf(stderr, "bench-connect: %s: %s\n", sql, api->error(m));
			exit(2);
		}
		while (api->fetch(res))
			;
		api->free_res(res);
	}
	api->close(m);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long server_connections(unsigned port)
{
	MYSQL *m = raw.init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v = -1;

	if (!m || !raw.connect(m, "127.0.0.1", getenv("WS_TEST_ADMIN_USER"), getenv("WS_TEST_ADMIN_PASSWORD"), NULL, port,
			       NULL, 0))
		exit(2);
	if (raw.query(m, "SHOW GLOBAL STATUS LIKE 'Connections'") == 0 && (res = raw.store(m))) {
		if ((row = raw.fetch(res)) && row[1])
			v = strtol(row[1], NULL, 10);
		raw.free_res(res);
	}
	raw.close(m);
	return v; /* (this connection itself counted: subtracted by the caller) */
}

static void stop_haproxy(void)
{
	char path[PATH_MAX];

	if (haproxy_pid > 0) {
		kill(haproxy_pid, SIGTERM);
		waitpid(haproxy_pid, NULL, 0);
		haproxy_pid = 0;
	}
	snprintf(path, sizeof(path), "%s/haproxy.cfg", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/wescale.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static bool start_haproxy(void)
{
	char cfg[PATH_MAX];
	FILE *f;

	if (access("/usr/sbin/haproxy", X_OK) != 0)
		return false;
	haproxy_port = bench_free_port();
	snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", tmpdir);
	if (!(f = fopen(cfg, "w")))
		return false;
	fprintf(f, "global\n    maxconn 4096\n\ndefaults\n    mode tcp\n    timeout connect 5s\n    timeout client 1h\n"
		   "    timeout server 1h\n\nlisten mysql\n    bind 127.0.0.1:%u\n    server replica1 127.0.0.1:%u\n",
		haproxy_port, replicas[0]);
	fclose(f);
	haproxy_pid = fork();
	if (haproxy_pid == 0) {
		execl("/usr/sbin/haproxy", "haproxy", "-db", "-q", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		MYSQL *m = raw.init(NULL);
		bool ok = m && raw.connect(m, "127.0.0.1", user, password, NULL, haproxy_port, NULL, 0);

		if (m)
			raw.close(m);
		if (ok)
			return true;
		usleep(50000);
	}
	stop_haproxy();
	return false;
}

int main(int argc, char **argv)
{
	static const int ns[] = { 1, 3, 10 };
	enum { DIRECT, HAPROXY, WESCALE, NV };
	static const char *const names[NV] = { "direct", "haproxy", "wescale" };
	int cycles = 200, runs = 7, opt;
	bool use_haproxy = true;
	double *t[NV][3];
	char conf[PATH_MAX], bin_dir[PATH_MAX];
	FILE *f;

	bench_prog = "bench-connect";
	while ((opt = getopt(argc, argv, "c:r:H")) != -1) {
		if (opt == 'c')
			cycles = atoi(argv[optind - 1]);
		else if (opt == 'r')
			runs = atoi(argv[optind - 1]);
		else if (opt == 'H')
			use_haproxy = false;
		else
			return 2;
	}
	/* (The driver's own setup statements are not routed: WESCALE_DISABLE is
	 * read at first use, and the configuration below replaces it.) */
	bench_driver_start(&primary, replicas, bin_dir, sizeof(bin_dir));
	user = getenv("WS_TEST_USER");
	password = getenv("WS_TEST_PASSWORD");
	load();
	if (!mkdtemp(tmpdir))
		return 2;
	bench_on_exit(stop_haproxy);
	atexit(stop_haproxy);
	{
		/* The table, created with the real library: WESCALE_DISABLE is only
		 * for benchlib's own helpers. */
		bench_setup_table(primary, replicas, 2);
	}
	snprintf(conf, sizeof(conf), "%s/wescale.conf", tmpdir);
	if (!(f = fopen(conf, "w")))
		return 2;
	fprintf(f, "[global]\nlog_level = warn\n\n[cluster bench]\nprimary = 127.0.0.1:%u\n"
		   "replicas = 127.0.0.1:%u, 127.0.0.1:%u\nload_balance = least_rt\nconsistency = session\n",
		primary, replicas[0], replicas[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", conf, 1);
	unsetenv("WESCALE_DISABLE");
	if (use_haproxy && !start_haproxy()) {
		fprintf(stderr, "bench-connect: haproxy not available: no proxy variant\n");
		use_haproxy = false;
	}
	for (int v = 0; v < NV; v++)
		for (int k = 0; k < 3; k++)
			t[v][k] = calloc((size_t)runs, sizeof(double));
	/* Warm up every path (and start libwescale's monitor). */
	for (int i = 0; i < 20; i++) {
		cycle(&raw, replicas[0], 1);
		cycle(&ws, primary, 3);
	}
	for (int r = 0; r < runs; r++) {
		for (int k = 0; k < 3; k++) {
			for (int v = 0; v < NV; v++) {
				unsigned port = v == DIRECT ? replicas[0] : v == HAPROXY ? haproxy_port : primary;
				double t0;

				if (v == HAPROXY && !use_haproxy)
					continue;
				t0 = now_s();
				for (int c = 0; c < cycles; c++)
					cycle(v == WESCALE ? &ws : &raw, port, ns[k]);
				t[v][k][r] = (now_s() - t0) * 1000.0 / cycles;
			}
		}
	}
	printf("bench-connect: %d cycles per loop, %d interleaved runs, medians (ms per cycle)\n", cycles, runs);
	printf("%-8s %14s %14s %14s\n", "variant", "N=1", "N=3", "N=10");
	{
		double base[3];

		for (int k = 0; k < 3; k++)
			base[k] = bench_median(t[DIRECT][k], runs);
		for (int v = 0; v < NV; v++) {
			if (v == HAPROXY && !use_haproxy)
				continue;
			printf("%-8s", names[v]);
			for (int k = 0; k < 3; k++) {
				double med = bench_median(t[v][k], runs);

				printf("  %6.3f (%.2fx)", med, med / base[k]);
			}
			printf("\n");
		}
	}
	{
		long before = 0, after = 0;

		before += server_connections(primary) + server_connections(replicas[0]) + server_connections(replicas[1]);
		for (int c = 0; c < 1000; c++)
			cycle(&ws, primary, 3);
		after += server_connections(primary) + server_connections(replicas[0]) + server_connections(replicas[1]);
		/* Each reading of the three counters opened three connections itself. */
		printf("wescale: %.3f server connections opened per application handle (1000 cycles, N=3)\n",
		       (double)(after - before - 3) / 1000.0);
	}
	mysql_library_end();
	return 0;
}
