/*
 * bench-balance-share.c — how a policy spreads reads over two replicas, per
 * 1-second window, at 1, 4 and 16 threads (issue 24); and the read throughput
 * of one thread against another build of libwescale, in the same run.
 *
 *   source DIR/env     # a topology started by tests/topology.sh
 *   bench-balance-share [-t 1,4,16] [-d SECONDS] [-p POLICY] [-b LIBDIR] [-r RUNS]
 *
 * Each measurement runs in a fresh process with its own configuration (a
 * cluster of the topology's primary and both replicas, consistency=eventual,
 * load_balance=POLICY, default least_rt): T threads, each with its own handle
 * on the primary's address, run point selects on a sysbench-shaped table for
 * SECONDS. Every second the process reads libwescale's per-node counters
 * (wescale_stats_json(), "queries") and prints each replica's reads in that
 * second and its share. Figures only: nothing passes or fails on them.
 *
 * -b LIBDIR: then also, after the windows, RUNS (default 5) pairs of 1-thread
 * runs of SECONDS each, alternating this build and the libwescale.so in
 * LIBDIR (e.g. a build of main: LD_LIBRARY_PATH overrides this binary's
 * RUNPATH), the median reads per second of each and the median of the pairs'
 * ratios.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <mysql.h>
#include <wescale.h>

#include "benchlib.h"

#define MAX_THREADS 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the measured process ---- */

static volatile int stop;

static void *reader(void *arg)
{
	MYSQL *m = bench_connect(bench_env_port("WS_TEST_PRIMARY_PORT"), BENCH_DB);
	uint64_t x = (uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
	char q[96];

	while (!stop) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(q, sizeof(q), "SELECT c FROM sbtest1 WHERE id = %u", (unsigned)(x % BENCH_ROWS) + 1);
		if (mysql_query(m, q))
			bench_die_mysql(m, q);
		mysql_free_result(mysql_store_result(m));
	}
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

/* The "queries" counter of the node at 127.0.0.1:port in the stats JSON. */
static unsigned long long node_queries(const char *json, unsigned port)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"address\":\"127.0.0.1:%u\"", port);
	p = strstr(json, key);
	p = p ? strstr(p, "\"queries\":") : NULL;
	return p ? strtoull(p + 10, NULL, 10) : 0;
}

static void counters(unsigned r1, unsigned r2, unsigned long long *a, unsigned long long *b)
{
	static char json[1 << 16];

	wescale_stats_json(json, sizeof(json));
	*a = node_queries(json, r1);
	*b = node_queries(json, r2);
}

static int child(int threads, double seconds)
{
	unsigned r1 = bench_env_port("WS_TEST_REPLICA1_PORT"), r2 = bench_env_port("WS_TEST_REPLICA2_PORT");
	unsigned long long a0, b0, a, b, ta = 0, tb = 0;
	double lo = 100, hi = 0, t0;
	pthread_t th[MAX_THREADS];
	int windows = (int)seconds;

	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)(i + 1));
	usleep(200000); /* connected, replica connections open */
	counters(r1, r2, &a0, &b0);
	t0 = now_s();
	for (int w = 1; w <= windows; w++) {
		double left = t0 + w - now_s(), share;

		if (left > 0)
			usleep((useconds_t)(left * 1e6));
		counters(r1, r2, &a, &b);
		share = a - a0 + b - b0 ? 100.0 * (double)(a - a0) / (double)(a - a0 + b - b0) : 0;
		if (share < lo)
			lo = share;
		if (share > hi)
			hi = share;
		printf("WINDOW %d %llu %llu %.1f\n", w, a - a0, b - b0, share);
		ta += a - a0;
		tb += b - b0;
		a0 = a;
		b0 = b;
	}
	stop = 1;
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("RESULT %.0f %.1f %.1f\n", (double)(ta + tb) / windows, lo, hi);
	return 0;
}

/* ---- the driver ---- */

static char bin_dir[PATH_MAX], conf[PATH_MAX];

/* Run one measurement; its windows printed (unless quiet), its reads per
 * second in *rate. libdir: LD_LIBRARY_PATH for it (NULL: this build). */
static bool measure(int threads, double seconds, const char *libdir, bool quiet, double *rate)
{
	char exe[PATH_MAX + 32], th[16], sec[32], line[256];
	char *argv[] = { exe, "--child", th, sec, NULL };
	int status;
	bool ok = false;
	double lo, hi;
	pid_t pid;
	FILE *f;

	snprintf(exe, sizeof(exe), "%s/bench-balance-share", bin_dir);
	snprintf(th, sizeof(th), "%d", threads);
	snprintf(sec, sizeof(sec), "%g", seconds);
	f = bench_spawn(argv, conf, libdir, &pid);
	if (!f)
		return false;
	while (f && fgets(line, sizeof(line), f)) {
		int w;
		unsigned long long a, b;
		double share;

		if (sscanf(line, "WINDOW %d %llu %llu %lf", &w, &a, &b, &share) == 4 && !quiet)
			printf("  %2d threads  second %2d: replica 1 %7llu  replica 2 %7llu  replica 1's share %5.1f %%\n",
			       threads, w, a, b, share);
		if (sscanf(line, "RESULT %lf %lf %lf", rate, &lo, &hi) == 3) {
			ok = true;
			if (!quiet)
				printf("  %2d threads  %.0f reads/s; replica 1's share per second from %.1f %% to %.1f %%\n",
				       threads, *rate, lo, hi);
		}
	}
	fclose(f);
	waitpid(pid, &status, 0);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	unsigned primary, replicas[2];
	const char *policy = "least_rt", *baseline = NULL, *list = "1,4,16";
	double seconds = 5;
	int runs = 5, opt;
	char tmp[] = "/tmp/bench-balance-share.XXXXXX";
	FILE *f;

	bench_prog = "bench-balance-share";
	if (argc == 4 && strcmp(argv[1], "--child") == 0)
		return child(atoi(argv[2]), atof(argv[3]));
	while ((opt = getopt(argc, argv, "t:d:p:b:r:")) != -1) {
		switch (opt) {
		case 't': list = optarg; break;
		case 'd': seconds = atof(optarg); break;
		case 'p': policy = optarg; break;
		case 'b': baseline = optarg; break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-t 1,4,16] [-d SECONDS] [-p POLICY] [-b LIBDIR] [-r RUNS]\n", argv[0]);
			return 2;
		}
	}
	if (seconds < 1 || runs < 1 || runs > 99)
		return fprintf(stderr, "%s: -d at least 1, -r 1..99\n", bench_prog), 2;
	bench_driver_start(&primary, replicas, bin_dir, sizeof(bin_dir));
	bench_setup_table(primary, replicas, 2);
	if (!mkdtemp(tmp))
		return perror("mkdtemp"), 2;
	snprintf(conf, sizeof(conf), "%s/wescale.conf", tmp);
	f = fopen(conf, "w");
	if (!f)
		return perror(conf), 2;
	fprintf(f, "[cluster bench]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "load_balance = %s\nconsistency = eventual\n",
		primary, replicas[0], replicas[1], policy);
	fclose(f);
	printf("%s: 2 equal replicas, point selects, reads per replica per 1-s window "
	       "(libwescale's per-node counters)\n", policy);
	for (const char *p = list; *p;) {
		double rate;
		int t = atoi(p);

		if (t < 1 || t > MAX_THREADS || !measure(t, seconds, NULL, false, &rate))
			fprintf(stderr, "%s: the %d-thread run failed\n", bench_prog, t);
		p = strchr(p, ',') ? strchr(p, ',') + 1 : "";
	}
	if (baseline) {
		double mine[99], base[99], ratio[99];
		int n = 0;

		printf("1 thread, %s, reads/s, %d alternating runs of %g s: this build against %s\n", policy, runs, seconds,
		       baseline);
		for (int i = 0; i < runs; i++)
			if (measure(1, seconds, baseline, true, &base[n]) && measure(1, seconds, NULL, true, &mine[n])) {
				printf("  run %d: baseline %.0f, this build %.0f\n", i + 1, base[n], mine[n]);
				ratio[n] = mine[n] / base[n];
				n++;
			}
		if (n) {
			double mb = bench_median(base, n), mm = bench_median(mine, n);

			/* Each pair ran back to back: the median of their ratios is
			 * the figure least moved by load that comes and goes. */
			printf("  median: baseline %.0f, this build %.0f (%+.1f %%); median of the pairs' ratios %.3f\n", mb,
			       mm, 100.0 * (mm / mb - 1), bench_median(ratio, n));
		}
	}
	unlink(conf);
	rmdir(tmp);
	return 0;
}
