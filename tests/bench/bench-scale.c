/*
 * bench-scale.c — libwescale from 1 to 256 threads, each with its own handle
 * doing point selects: throughput, client CPU per statement and memory per
 * handle, against the same threads on plain libmariadb (issue 11).
 *
 *   source DIR/env     # a topology started by tests/topology.sh
 *   bench-scale [-t 1,4,16,64,256] [-d SECONDS] [-r RUNS] [-q]
 *
 * Built twice from this file: `bench-scale` (linked with libwescale) and
 * `bench-scale-plain` (libmariadb only), side by side; either one drives. Each
 * measurement runs in a fresh process:
 *
 *   plain       libmariadb, every handle connected to replica 1
 *   ws-1r       libwescale, handles connected to the primary of a cluster
 *               {primary, replica 1}, consistency=eventual: every read goes to
 *               replica 1 (the same server work as `plain`, plus one primary
 *               connection per handle)
 *   plain-2r    libmariadb, handle i connected to replica (i mod 2) + 1
 *   ws-2r       libwescale with both replicas, the default policy (least_rt)
 *   plain-alt   libmariadb, each thread with a handle on each replica, used in
 *               turn: what spreading reads statement by statement costs by
 *               itself, with no libwescale at all
 *   ws-2r-rr    libwescale with both replicas, round_robin
 *
 * A process first opens, uses and closes one handle (one-time start-up of the
 * client library and of libwescale's monitor is not counted), reads VmRSS from
 * /proc/self/status and the heap in use (mallinfo2), opens T handles from the
 * main thread and runs 4 reads on each (so libwescale opens its replica
 * connections), and reads both again: the difference divided by T is the memory
 * of one handle. libmariadb's share of a libwescale handle is its connections
 * (1 + replica connections, counted by libwescale) times what one plain handle
 * takes; the rest is libwescale's own state. Kernel socket buffers are in
 * neither figure. Then T threads, one per handle, run point selects for
 * SECONDS; throughput is statements per second of wall time, CPU is
 * getrusage(RUSAGE_SELF) user+sys per statement (the whole process).
 *
 * The topology's servers allow 600 connections (tests/topology.sh): 256
 * libwescale handles with 2 replicas take 256 on each server, plus the monitor.
 * Defaults: -t 1,4,16,64,256 -d 3 -r 3; -q: -t 1,16,256 -d 1 -r 1. Figures only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <mysql.h>

#include "benchlib.h"

#define DB BENCH_DB
#define ROWS BENCH_ROWS
#define MAX_THREADS 256
#define MAX_COUNTS 16
#define MAX_RUNS 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the whole process in µs: user + sys, and user alone in *user. */
static double cpu_us(double *user)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
	return *user + (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
}

static void point_select(MYSQL *m, unsigned id)
{
	char q[64];
	int n = snprintf(q, sizeof(q), "SELECT c FROM sbtest1 WHERE id=%u", id);
	MYSQL_RES *res;

	if (mysql_real_query(m, q, (unsigned long)n))
		bench_die_mysql(m, q);
	if (!(res = mysql_store_result(m)) || !mysql_fetch_row(res))
		bench_die_mysql(m, "store_result");
	mysql_free_result(res);
}

/* ---- one measurement (child process) ------------------------------------ */

struct worker {
	pthread_t th;
	MYSQL *m[2];          /* alternate mode: one handle per replica, used in turn */
	unsigned n;
	unsigned long count;
	uint32_t rng;
} __attribute__((aligned(64)));

static pthread_barrier_t start;
static int stop;

static void *work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		w->rng ^= w->rng << 13;
		w->rng ^= w->rng >> 17;
		w->rng ^= w->rng << 5;
		point_select(w->m[w->count % w->n], w->rng % ROWS + 1);
		w->count++;
	}
	return NULL;
}

static long vm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static double heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
}

/* The sum of every "connections" counter in libwescale's statistics: replica
 * connections open in this process. -1 without libwescale. */
static long replica_connections(void)
{
	size_t (*stats)(char *, size_t) = (size_t (*)(char *, size_t))dlsym(RTLD_DEFAULT, "wescale_stats_json");
	static char buf[65536];
	long sum = 0;

	if (!stats || stats(buf, sizeof(buf)) >= sizeof(buf))
		return -1;
	for (char *p = buf; (p = strstr(p, "\"connections\":")); p++)
		sum += strtol(p + 14, NULL, 10);
	return sum;
}

/* --child THREADS SECONDS PORT[,PORT2] one|alt: with `one`, thread i has one
 * handle, to the (i mod n)th port; with `alt`, one handle per port, used in
 * turn (plain libmariadb spreading its reads statement by statement). Prints
 * "RESULT qps cpu_us_per_stmt user_us_per_stmt rss_kb_per_handle heap_kb_per_handle conns_per_handle". */
static int child_main(char **argv)
{
	int threads = atoi(argv[0]);
	double seconds = atof(argv[1]), t0, t1, c0, c1, u0, u1, heap0, heap1;
	unsigned ports[2] = { 0, 0 }, n_ports = 0;
	bool alternate = strcmp(argv[3], "alt") == 0;
	static struct worker w[MAX_THREADS];
	unsigned long total = 0;
	long rss0, rss1, conns;
	pthread_attr_t attr;
	MYSQL *m;

	for (char *s = argv[2]; *s && n_ports < 2; s = strchr(s, ',') ? strchr(s, ',') + 1 : "")
		ports[n_ports++] = (unsigned)atoi(s);
	if (threads < 1 || threads > MAX_THREADS || n_ports == 0)
		return 2;
	/* One-time start-up of the libraries, not per handle. */
	m = bench_connect(ports[0], DB);
	for (unsigned i = 1; i <= 4; i++)
		point_select(m, i);
	mysql_close(m);
	rss0 = vm_rss_kb();
	heap0 = heap_bytes();
	for (int i = 0; i < threads; i++) {
		w[i].n = alternate ? n_ports : 1;
		for (unsigned h = 0; h < w[i].n; h++)
			w[i].m[h] = bench_connect(ports[alternate ? h : i % n_ports], DB);
		w[i].rng = 2463534242u + (uint32_t)i * 7919u;
		for (unsigned k = 1; k <= 4; k++)
			point_select(w[i].m[k % w[i].n], k * 1000 + (unsigned)i);
	}
	rss1 = vm_rss_kb();
	heap1 = heap_bytes();
	conns = replica_connections();

	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&w[i].th, &attr, work, &w[i])) {
			fprintf(stderr, "bench-scale: cannot create thread %d\n", i);
			return 2;
		}
	pthread_barrier_wait(&start);
	c0 = cpu_us(&u0);
	t0 = now_s();
	usleep((useconds_t)(seconds * 1e6));
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].count;
	}
	t1 = now_s();
	c1 = cpu_us(&u1);
	printf("RESULT %.1f %.3f %.3f %.2f %.2f %.2f\n", (double)total / (t1 - t0), (c1 - c0) / (double)(total ? total : 1),
	       (u1 - u0) / (double)(total ? total : 1),
	       (double)(rss1 - rss0) / threads, (heap1 - heap0) / 1024.0 / threads,
	       conns < 0 ? (double)w[0].n : 1.0 + (double)conns / threads);
	for (int i = 0; i < threads; i++)
		for (unsigned h = 0; h < w[i].n; h++)
			mysql_close(w[i].m[h]);
	return 0;
}

/* ---- the driver ---------------------------------------------------------- */

enum target { T_REPLICA1, T_REPLICAS, T_ALTERNATE, T_PRIMARY };

struct variant {
	const char *name;
	bool wescale;
	enum target target;
	const char *conf;
	int baseline; /* index of the variant the ratios compare against */
};

static const struct variant variants[] = {
	{ "plain", false, T_REPLICA1, NULL, 0 },
	{ "ws-1r", true, T_PRIMARY, "ws-1r.conf", 0 },
	{ "plain-2r", false, T_REPLICAS, NULL, 2 },
	{ "ws-2r", true, T_PRIMARY, "ws-2r.conf", 2 },
	{ "plain-alt", false, T_ALTERNATE, NULL, 2 },
	{ "ws-2r-rr", true, T_PRIMARY, "ws-2r-rr.conf", 2 },
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

struct result {
	double qps, cpu, user, rss, heap, conns;
};
#define N_FIELDS 6

static char tmpdir[] = "/tmp/bench-scale.XXXXXX";
static bool have_tmpdir;
static char bin_dir[PATH_MAX];

static void cleanup(void)
{
	char p[PATH_MAX];

	if (!have_tmpdir)
		return;
	for (size_t v = 0; v < N_VARIANTS; v++)
		if (variants[v].conf) {
			snprintf(p, sizeof(p), "%s/%s", tmpdir, variants[v].conf);
			unlink(p);
		}
	rmdir(tmpdir);
	have_tmpdir = false;
}

static void write_conf(const char *name, unsigned primary, const char *replicas, const char *policy)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	if (!(f = fopen(p, "w")) ||
	    fprintf(f, "# written by bench-scale\n[global]\nlog_level = warn\n\n[cluster bench]\n"
		       "primary = 127.0.0.1:%u\nreplicas = %s\nload_balance = %s\nconsistency = eventual\n",
		    primary, replicas, policy) < 0 ||
	    fclose(f)) {
		fprintf(stderr, "bench-scale: cannot write %s: %s\n", p, strerror(errno));
		exit(2);
	}
}

static bool run_child(const struct variant *v, int threads, double seconds, const char *po, struct result *res)
{
	char exe[PATH_MAX + 32], conf[PATH_MAX], th[16], sec[32], line[512];
	int fds[2], status;
	bool ok = false;
	pid_t pid;
	FILE *f;

	snprintf(exe, sizeof(exe), "%s/%s", bin_dir, v->wescale ? "bench-scale" : "bench-scale-plain");
	snprintf(th, sizeof(th), "%d", threads);
	snprintf(sec, sizeof(sec), "%g", seconds);
	if (pipe(fds))
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		unsetenv("WESCALE_DISABLE");
		if (v->conf) {
			snprintf(conf, sizeof(conf), "%s/%s", tmpdir, v->conf);
			setenv("WESCALE_CONFIG", conf, 1);
		} else {
			unsetenv("WESCALE_CONFIG");
		}
		execl(exe, exe, "--child", th, sec, po, v->target == T_ALTERNATE ? "alt" : "one", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "RESULT ", 7) == 0 &&
		    sscanf(line + 7, "%lf %lf %lf %lf %lf %lf", &res->qps, &res->cpu, &res->user, &res->rss, &res->heap,
			   &res->conns) == 6)
			ok = true;
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-scale [-t 1,4,16,64,256] [-d SECONDS] [-r RUNS] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int counts[MAX_COUNTS] = { 1, 4, 16, 64, 256 }, n_counts = 5, runs = 3, opt, errors = 0;
	double seconds = 3;
	unsigned primary, replicas[2];
	char list[128], ports[4][32];
	static double samples[N_VARIANTS][MAX_COUNTS][N_FIELDS][MAX_RUNS];
	static struct result med[N_VARIANTS][MAX_COUNTS];
	static bool failed[N_VARIANTS][MAX_COUNTS];

	bench_prog = "bench-scale";
	if (argc == 6 && strcmp(argv[1], "--child") == 0)
		return child_main(argv + 2);
	while ((opt = getopt(argc, argv, "t:d:r:q")) != -1) {
		switch (opt) {
		case 't': {
			char *s = optarg, *end;

			n_counts = 0;
			while (*s && n_counts < MAX_COUNTS) {
				long t = strtol(s, &end, 10);

				if (end == s || t < 1 || t > MAX_THREADS)
					usage();
				counts[n_counts++] = (int)t;
				s = *end == ',' ? end + 1 : end;
			}
			break;
		}
		case 'd': seconds = atof(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'q':
			counts[0] = 1, counts[1] = 16, counts[2] = 256, n_counts = 3;
			seconds = 1;
			runs = 1;
			break;
		default: usage();
		}
	}
	if (seconds <= 0 || runs < 1 || runs > MAX_RUNS || n_counts < 1)
		usage();
	bench_driver_start(&primary, replicas, bin_dir, sizeof(bin_dir));
	if (!mkdtemp(tmpdir))
		return 2;
	have_tmpdir = true;
	bench_on_exit(cleanup);

	bench_setup_table(primary, replicas, 2);
	snprintf(list, sizeof(list), "127.0.0.1:%u", replicas[0]);
	write_conf("ws-1r.conf", primary, list, "round_robin");
	snprintf(list, sizeof(list), "127.0.0.1:%u, 127.0.0.1:%u", replicas[0], replicas[1]);
	write_conf("ws-2r.conf", primary, list, "least_rt");
	write_conf("ws-2r-rr.conf", primary, list, "round_robin");
	snprintf(ports[T_REPLICA1], sizeof(ports[0]), "%u", replicas[0]);
	snprintf(ports[T_REPLICAS], sizeof(ports[0]), "%u,%u", replicas[0], replicas[1]);
	snprintf(ports[T_ALTERNATE], sizeof(ports[0]), "%u,%u", replicas[0], replicas[1]);
	snprintf(ports[T_PRIMARY], sizeof(ports[0]), "%u", primary);

	fprintf(stderr, "bench-scale: %d run(s) of %g s per variant and thread count\n", runs, seconds);
	for (int r = 0; r < runs; r++) {
		for (int c = 0; c < n_counts; c++)
			for (size_t v = 0; v < N_VARIANTS; v++) {
				struct result res;

				if (failed[v][c])
					continue;
				if (!run_child(&variants[v], counts[c], seconds, ports[variants[v].target], &res)) {
					fprintf(stderr, "bench-scale: %s with %d threads failed\n", variants[v].name, counts[c]);
					failed[v][c] = true;
					errors++;
					continue;
				}
				samples[v][c][0][r] = res.qps;
				samples[v][c][1][r] = res.cpu;
				samples[v][c][2][r] = res.user;
				samples[v][c][3][r] = res.rss;
				samples[v][c][4][r] = res.heap;
				samples[v][c][5][r] = res.conns;
			}
		fprintf(stderr, "  run %d/%d done\n", r + 1, runs);
	}
	for (size_t v = 0; v < N_VARIANTS; v++)
		for (int c = 0; c < n_counts; c++) {
			if (failed[v][c])
				continue;
			med[v][c].qps = bench_median(samples[v][c][0], runs);
			med[v][c].cpu = bench_median(samples[v][c][1], runs);
			med[v][c].user = bench_median(samples[v][c][2], runs);
			med[v][c].rss = bench_median(samples[v][c][3], runs);
			med[v][c].heap = bench_median(samples[v][c][4], runs);
			med[v][c].conns = bench_median(samples[v][c][5], runs);
		}

	printf("\nbench-scale: T threads, one handle each, point selects for %g s; medians of %d runs\n", seconds, runs);
	printf("x: against `plain` at the same T (the 2-replica rows: against `plain-2r`, handles spread over both)\n"
	       "cpu: client CPU per statement, user+sys (user alone); conns: server connections per handle\n"
	       "mem/handle: RSS (heap in use) growth per handle; ws state: libwescale's own part = "
	       "ws handle - conns x plain handle\n\n");
	printf("%-9s %4s %8s %6s %15s %6s %5s %14s %12s\n", "variant", "T", "qps", "x", "cpu us/st (usr)", "x",
	       "conns", "mem/handle KB", "ws state KB");
	for (int c = 0; c < n_counts; c++)
		for (size_t v = 0; v < N_VARIANTS; v++) {
			int b = variants[v].baseline;
			const struct result *m = &med[v][c], *p = &med[b][c];
			char cpu[32], mem[32], state[32] = "-";

			if (failed[v][c]) {
				printf("%-9s %4d  FAILED (see above)\n", variants[v].name, counts[c]);
				continue;
			}
			snprintf(cpu, sizeof(cpu), "%.2f (%.2f)", m->cpu, m->user);
			snprintf(mem, sizeof(mem), "%.1f (%.1f)", m->rss, m->heap);
			if (variants[v].wescale && !failed[b][c])
				snprintf(state, sizeof(state), "%.1f (%.1f)", m->rss - m->conns * p->rss,
					 m->heap - m->conns * p->heap);
			printf("%-9s %4d %8.0f %6.3f %15s %6.3f %5.2f %14s %12s\n", variants[v].name, counts[c], m->qps,
			       p->qps > 0 && !failed[b][c] ? m->qps / p->qps : 0, cpu,
			       p->cpu > 0 && !failed[b][c] ? m->cpu / p->cpu : 0, m->conns, mem, state);
		}
	cleanup();
	return errors ? 1 : 0;
}
