/*
 * bench-overhead.c — what libwescale costs one thread on the query path,
 * against plain libmariadb and against a TCP proxy hop (issue 11).
 *
 *   source DIR/env     # a topology started by tests/topology.sh
 *   bench-overhead [-n ITERATIONS] [-r RUNS] [-c CALLGRIND_ITERATIONS] [-H] [-q]
 *
 * Built twice from this file: `bench-overhead` (linked with libwescale) and
 * `bench-overhead-plain` (libmariadb only); they must sit side by side. Either
 * one drives the benchmark: it creates wstest_bench.sbtest1 (10,000 rows) on the
 * primary, writes the configurations it needs into a temporary directory,
 * starts haproxy (tcp mode, on a free 127.0.0.1 port, in front of replica 1)
 * and runs every variant in its own process, `RUNS` times, interleaved:
 *
 *   plain           libmariadb -> replica 1
 *   plain-mt        the same in a process with one more (idle) thread, as any
 *                   threaded application is — and as a libwescale process is
 *                   (its monitor thread): glibc then takes its multi-threaded
 *                   paths (cancellation points around send/recv/poll, malloc's
 *                   arena locking), ≈ 200–360 instructions a statement
 *   ws-passthru     libwescale, a cluster configured, handle connected straight
 *                   to replica 1 (not a cluster primary: pass-through)
 *   ws-eventual     libwescale -> cluster {primary, replica 1}, consistency=eventual:
 *                   every read routed to replica 1 (the same server as `plain`)
 *   ws-eventual-2r  the same with both replicas (round_robin)
 *   haproxy         libmariadb -> haproxy -> replica 1
 *   plain-mix       libmariadb -> primary: 10 point selects, then 1 UPDATE, repeated
 *   ws-session-mix  libwescale, consistency=session, the same mix: reads on replica 1,
 *                   read-your-writes
 *
 * each with the text protocol (mysql_real_query + store_result) and prepared
 * statements (execute + fetch). It prints one table: throughput, p50/p99 latency
 * of a statement, client CPU per statement (getrusage(RUSAGE_SELF) user+sys over
 * the timed loop: the whole process, libwescale's monitor thread included), and,
 * when valgrind is installed, client instructions per statement counted by
 * callgrind over CALLGRIND_ITERATIONS statements of the main thread (collection
 * switched on around the loop only, so connecting and warm-up are not counted).
 * Medians over the runs; each ratio is against `plain` (the mixes against
 * `plain-mix`). Figures only: it never passes or fails on time. It exits
 * non-zero only when a statement fails.
 *
 * Last, the paired measurement: one process with two handles used in turn, one
 * routed by libwescale to replica 1, one connected straight to replica 1; both
 * see the machine in the same state. Then its control: the same with two
 * handles both connected straight to replica 1, which shows how far apart two
 * identical handles come out (each connection has its own server thread, and
 * where the scheduler puts it sets that connection's round trip).
 *
 * Defaults: -n 4000 statements per timed run, -r 11 runs, -c 2000 (0: no
 * callgrind), -H: no haproxy variant, -q: quick (-n 1000 -r 3 -c 500).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <mysql.h>

#include "benchlib.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND_H 1
#endif
#endif
#ifndef HAVE_CALLGRIND_H
#define CALLGRIND_TOGGLE_COLLECT do { } while (0)
#endif

#define DB BENCH_DB
#define ROWS BENCH_ROWS
#define MAX_VARIANTS 16
#define MAX_RUNS 64

/* ---- the measured loop (child process) ---------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static uint32_t rng_state = 2463534242u;

static unsigned next_id(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % ROWS + 1;
}

struct loop {
	MYSQL *m;
	bool prepared, mix;
	MYSQL_STMT *sel, *upd;
	unsigned id;
	char c[128];
	unsigned long c_len;
	MYSQL_BIND sel_param, sel_result, upd_param;
};

static void loop_init(struct loop *l, MYSQL *m, bool prepared, bool mix)
{
	static const char sel[] = "SELECT c FROM sbtest1 WHERE id=?";
	static const char upd[] = "UPDATE sbtest1 SET k=k+1 WHERE id=?";

	memset(l, 0, sizeof(*l));
	l->m = m;
	l->prepared = prepared;
	l->mix = mix;
	if (!prepared)
		return;
	l->sel_param.buffer_type = MYSQL_TYPE_LONG;
	l->sel_param.buffer = &l->id;
	l->sel_param.is_unsigned = 1;
	l->upd_param = l->sel_param;
	l->sel_result.buffer_type = MYSQL_TYPE_STRING;
	l->sel_result.buffer = l->c;
	l->sel_result.buffer_length = sizeof(l->c);
	l->sel_result.length = &l->c_len;
	if (!(l->sel = mysql_stmt_init(m)) || mysql_stmt_prepare(l->sel, sel, sizeof(sel) - 1) ||
	    mysql_stmt_bind_param(l->sel, &l->sel_param) || mysql_stmt_bind_result(l->sel, &l->sel_result))
		bench_die_mysql(m, "prepare select");
	if (mix && (!(l->upd = mysql_stmt_init(m)) || mysql_stmt_prepare(l->upd, upd, sizeof(upd) - 1) ||
		    mysql_stmt_bind_param(l->upd, &l->upd_param)))
		bench_die_mysql(m, "prepare update");
}

/* Statement number i of the loop: a point select, or (mix) every 11th an UPDATE. */
static void loop_step(struct loop *l, unsigned long i)
{
	bool write = l->mix && i % 11 == 10;
	char q[96];
	int n;

	l->id = next_id();
	if (l->prepared) {
		MYSQL_STMT *st = write ? l->upd : l->sel;
		int rows = 0, f;

		if (mysql_stmt_execute(st))
			bench_die_mysql(l->m, mysql_stmt_error(st));
		if (write)
			return;
		while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)
			rows++;
		if (f != MYSQL_NO_DATA || rows != 1)
			bench_die_mysql(l->m, "fetch");
		mysql_stmt_free_result(st);
		return;
	}
	n = snprintf(q, sizeof(q), write ? "UPDATE sbtest1 SET k=k+1 WHERE id=%u" : "SELECT c FROM sbtest1 WHERE id=%u",
		     l->id);
	if (mysql_real_query(l->m, q, (unsigned long)n))
		bench_die_mysql(l->m, q);
	if (!write) {
		MYSQL_RES *res = mysql_store_result(l->m);

		if (!res || !mysql_fetch_row(res))
			bench_die_mysql(l->m, "store_result");
		mysql_free_result(res);
	}
}

static void loop_free(struct loop *l)
{
	if (l->sel)
		mysql_stmt_close(l->sel);
	if (l->upd)
		mysql_stmt_close(l->upd);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A counter from libwescale's statistics (wescale_stats_json, found at run
 * time so that the plain build has none): 0 when absent. */
static unsigned long long stat_counter(const char *name)
{
	size_t (*stats)(char *, size_t) = (size_t (*)(char *, size_t))dlsym(RTLD_DEFAULT, "wescale_stats_json");
	static char buf[65536];
	char key[64], *p;

	if (!stats || stats(buf, sizeof(buf)) >= sizeof(buf))
		return 0;
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* plain-mt's second thread: there, doing nothing. */
static void *idle_main(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* --child PROTO ITERATIONS PORT MIX CALLGRIND: one measurement; prints
 * "RESULT qps p50_us p99_us cpu_us_per_stmt replica_share wait_share". */
static int child_main(char **argv)
{
	bool prepared = strcmp(argv[0], "prep") == 0, mix = atoi(argv[3]) != 0, cg = atoi(argv[4]) != 0;
	unsigned long iters = strtoul(argv[1], NULL, 10), warm = cg ? 300 : 1000, reads = 0;
	unsigned port = (unsigned)atoi(argv[2]);
	const char *user = getenv("WS_TEST_USER"), *pw = getenv("WS_TEST_PASSWORD");
	uint32_t *lat = calloc(iters, sizeof(*lat));
	unsigned long long nw0, aw0, to0;
	double c0, c1;
	uint64_t t0, t1;
	struct loop l;
	MYSQL *m;

	if (!lat)
		return 2;
	if (getenv("BENCH_IDLE_THREAD")) {
		pthread_t idle;

		if (pthread_create(&idle, NULL, idle_main, NULL) != 0)
			return 2;
		pthread_detach(idle);
	}
	if (!(m = mysql_init(NULL)))
		return 2;
	if (!mysql_real_connect(m, "127.0.0.1", user, pw, DB, port, NULL, 0))
		bench_die_mysql(m, "connect");
	loop_init(&l, m, prepared, mix);
	for (unsigned long i = 0; i < warm; i++)
		loop_step(&l, i);
	nw0 = stat_counter("replica_no_wait");
	aw0 = stat_counter("replica_after_wait");
	to0 = stat_counter("primary_after_timeout");
	if (cg) {
		/* Instructions of this thread in the loop only (--collect-atstart=no). */
		CALLGRIND_TOGGLE_COLLECT;
		for (unsigned long i = 0; i < iters; i++)
			loop_step(&l, warm + i);
		CALLGRIND_TOGGLE_COLLECT;
		t0 = t1 = 0;
		c0 = c1 = 0;
	} else {
		c0 = cpu_us();
		t0 = now_ns();
		for (unsigned long i = 0; i < iters; i++) {
			uint64_t s = now_ns();

			loop_step(&l, warm + i);
			lat[i] = (uint32_t)(now_ns() - s);
		}
		t1 = now_ns();
		c1 = cpu_us();
	}
	for (unsigned long i = 0; i < iters; i++)
		reads += !(mix && (warm + i) % 11 == 10);
	{
		unsigned long long nw = stat_counter("replica_no_wait") - nw0, aw = stat_counter("replica_after_wait") - aw0,
				   to = stat_counter("primary_after_timeout") - to0;
		bool have = dlsym(RTLD_DEFAULT, "wescale_stats_json") != NULL;

		(void)to;
		qsort(lat, iters, sizeof(*lat), cmp_u32);
		printf("RESULT %.1f %.1f %.1f %.3f %.4f %.4f\n", cg ? 0.0 : (double)iters * 1e9 / (double)(t1 - t0),
		       lat[iters / 2] / 1e3, lat[iters * 99 / 100] / 1e3, (c1 - c0) / (double)iters,
		       have ? (double)(nw + aw) / (double)reads : -1.0, have ? (double)aw / (double)reads : -1.0);
	}
	loop_free(&l);
	mysql_close(m);
	free(lat);
	return 0;
}

/* --pair PROTO ITERATIONS PORT_ROUTED PORT_DIRECT: two handles in one process,
 * statement by statement in turn: one routed by libwescale, one connected
 * straight to the same replica (a pass-through handle). Both see the same
 * machine at the same moment, which takes most of a shared machine's noise out
 * of the comparison. Prints "PAIR routed_p50 routed_mean direct_p50 direct_mean" (µs). */
static int pair_main(char **argv)
{
	bool prepared = strcmp(argv[0], "prep") == 0;
	unsigned long iters = strtoul(argv[1], NULL, 10);
	const char *user = getenv("WS_TEST_USER"), *pw = getenv("WS_TEST_PASSWORD");
	uint32_t *lat[2] = { calloc(iters, sizeof(uint32_t)), calloc(iters, sizeof(uint32_t)) };
	double sum[2] = { 0, 0 };
	struct loop l[2];
	MYSQL *m[2];

	if (!lat[0] || !lat[1])
		return 2;
	for (int k = 0; k < 2; k++) {
		if (!(m[k] = mysql_init(NULL)) ||
		    !mysql_real_connect(m[k], "127.0.0.1", user, pw, DB, (unsigned)atoi(argv[2 + k]), NULL, 0))
			bench_die_mysql(m[k], "connect");
		loop_init(&l[k], m[k], prepared, false);
	}
	for (unsigned long i = 0; i < 1000; i++)
		loop_step(&l[i & 1], i);
	for (unsigned long i = 0; i < 2 * iters; i++) {
		int k = (int)((i ^ (i >> 7)) & 1); /* in turn, the order flipping every 128 */
		uint64_t t = now_ns();

		loop_step(&l[k], i);
		t = now_ns() - t;
		lat[k][i / 2] = (uint32_t)t;
		sum[k] += (double)t;
	}
	for (int k = 0; k < 2; k++)
		qsort(lat[k], iters, sizeof(uint32_t), cmp_u32);
	printf("PAIR %.2f %.2f %.2f %.2f\n", lat[0][iters / 2] / 1e3, sum[0] / (double)iters / 1e3, lat[1][iters / 2] / 1e3,
	       sum[1] / (double)iters / 1e3);
	for (int k = 0; k < 2; k++) {
		loop_free(&l[k]);
		mysql_close(m[k]);
		free(lat[k]);
	}
	return 0;
}

/* ---- the driver ---------------------------------------------------------- */

enum target { T_REPLICA, T_PRIMARY, T_HAPROXY };

struct variant {
	const char *name;
	bool wescale;       /* run the libwescale build (else the plain one) */
	enum target target;
	const char *conf;   /* configuration file name in the temporary directory, or NULL */
	bool mix;
	int baseline;       /* index of the variant the ratios compare against */
	bool idle_thread;   /* start one idle thread in the measured process */
};

static const struct variant variants[] = {
	{ "plain", false, T_REPLICA, NULL, false, 0, false },
	{ "plain-mt", false, T_REPLICA, NULL, false, 0, true },
	{ "ws-passthru", true, T_REPLICA, "eventual1.conf", false, 0, false },
	{ "ws-eventual", true, T_PRIMARY, "eventual1.conf", false, 0, false },
	{ "ws-eventual-2r", true, T_PRIMARY, "eventual2.conf", false, 0, false },
	{ "haproxy", false, T_HAPROXY, NULL, false, 0, false },
	{ "plain-mix", false, T_PRIMARY, NULL, true, 6, false },
	{ "ws-session-mix", true, T_PRIMARY, "session1.conf", true, 6, false },
};
#define V_PLAIN_MT 1
#define V_EVENTUAL 3
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

struct result {
	double qps, p50, p99, cpu, repl, wait;
};

static char tmpdir[] = "/tmp/bench-overhead.XXXXXX";
static bool have_tmpdir;
static pid_t haproxy_pid;
static unsigned haproxy_port;
static char bin_dir[PATH_MAX];

static void stop_haproxy(void)
{
	if (haproxy_pid > 0) {
		kill(haproxy_pid, SIGTERM);
		waitpid(haproxy_pid, NULL, 0);
		haproxy_pid = 0;
	}
}

static void cleanup(void)
{
	stop_haproxy();
	if (have_tmpdir) {
		static const char *const names[] = { "eventual1.conf", "eventual2.conf", "session1.conf", "haproxy.cfg" };
		char p[PATH_MAX];
		glob_t g;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/cg.*", tmpdir);
		if (glob(p, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				unlink(g.gl_pathv[i]);
			globfree(&g);
		}
		rmdir(tmpdir);
		have_tmpdir = false;
	}
}

static void write_file(const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	if (!(f = fopen(p, "w")) || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "bench-overhead: cannot write %s: %s\n", p, strerror(errno));
		exit(2);
	}
	chmod(p, 0600);
}

static void write_conf(const char *name, unsigned primary, const char *replicas, const char *consistency)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "# written by bench-overhead\n[global]\nlog_level = warn\n\n[cluster bench]\n"
		 "primary = 127.0.0.1:%u\nreplicas = %s\nload_balance = round_robin\nconsistency = %s\n",
		 primary, replicas, consistency);
	write_file(name, text);
}

static bool port_open(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *find_program(const char *name, char *buf, size_t size)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, size, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* haproxy in tcp mode on a free loopback port, in front of backend. */
static bool start_haproxy(unsigned backend)
{
	char exe[PATH_MAX], cfg[PATH_MAX], text[1024];

	if (!find_program("haproxy", exe, sizeof(exe))) {
		fprintf(stderr, "bench-overhead: haproxy not found (apt-get install haproxy): no proxy variant\n");
		return false;
	}
	haproxy_port = bench_free_port();
	snprintf(text, sizeof(text),
		 "# written by bench-overhead: a plain TCP hop\n"
		 "global\n    maxconn 4096\n\n"
		 "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 1h\n    timeout server 1h\n\n"
		 "listen mysql\n    bind 127.0.0.1:%u\n    server replica1 127.0.0.1:%u\n",
		 haproxy_port, backend);
	write_file("haproxy.cfg", text);
	snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", tmpdir);
	haproxy_pid = fork();
	if (haproxy_pid == 0) {
		execl(exe, "haproxy", "-db", "-q", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (port_open(haproxy_port))
			return true;
		if (waitpid(haproxy_pid, NULL, WNOHANG) == haproxy_pid) {
			haproxy_pid = 0;
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "bench-overhead: haproxy did not start: no proxy variant\n");
	stop_haproxy();
	return false;
}

/* Run one measurement of variant v in a fresh process; under callgrind when
 * cg_iters > 0 (then *instr gets instructions per statement). */
static bool run_child(const struct variant *v, bool prepared, unsigned long iters, unsigned long cg_iters,
		      unsigned port, struct result *res, double *instr)
{
	char exe[PATH_MAX + 32], conf[PATH_MAX], it[32], po[32], out_file[PATH_MAX], line[512];
	int fds[2], status;
	bool ok = false;
	pid_t pid;
	FILE *f;

	snprintf(exe, sizeof(exe), "%s/%s", bin_dir, v->wescale ? "bench-overhead" : "bench-overhead-plain");
	snprintf(it, sizeof(it), "%lu", cg_iters ? cg_iters : iters);
	snprintf(po, sizeof(po), "%u", port);
	snprintf(out_file, sizeof(out_file), "%s/cg.%s.%s.%%p", tmpdir, v->name, prepared ? "prep" : "text");
	if (pipe(fds))
		return false;
	pid = fork();
	if (pid == 0) {
		char cg_out[PATH_MAX + 32];

		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		unsetenv("WESCALE_DISABLE");
		if (v->idle_thread)
			setenv("BENCH_IDLE_THREAD", "1", 1);
		else
			unsetenv("BENCH_IDLE_THREAD");
		if (v->conf) {
			snprintf(conf, sizeof(conf), "%s/%s", tmpdir, v->conf);
			setenv("WESCALE_CONFIG", conf, 1);
		} else {
			unsetenv("WESCALE_CONFIG");
		}
		if (cg_iters) {
			char vg[PATH_MAX];

			snprintf(cg_out, sizeof(cg_out), "--callgrind-out-file=%s", out_file);
			if (!find_program("valgrind", vg, sizeof(vg)))
				_exit(127);
			execl(vg, "valgrind", "--tool=callgrind", "--quiet", "--collect-atstart=no", "--separate-threads=yes",
			      cg_out, exe, "--child", prepared ? "prep" : "text", it, po, v->mix ? "1" : "0", "1",
			      (char *)NULL);
		} else {
			execl(exe, exe, "--child", prepared ? "prep" : "text", it, po, v->mix ? "1" : "0", "0", (char *)NULL);
		}
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "RESULT ", 7) == 0 &&
		    sscanf(line + 7, "%lf %lf %lf %lf %lf %lf", &res->qps, &res->p50, &res->p99, &res->cpu, &res->repl,
			   &res->wait) == 6)
			ok = true;
	}
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ok = false;
	if (ok && cg_iters) {
		/* --separate-threads=yes: one file per thread, "-01" is the main one. */
		char pat[PATH_MAX + 8];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s/cg.%s.%s.%d-01", tmpdir, v->name, prepared ? "prep" : "text", (int)pid);
		ok = false;
		if ((f = fopen(pat, "r"))) {
			while (fgets(line, sizeof(line), f))
				if (strncmp(line, "totals:", 7) == 0 || strncmp(line, "summary:", 8) == 0) {
					*instr = strtod(strchr(line, ':') + 1, NULL) / (double)cg_iters;
					ok = true;
				}
			fclose(f);
		}
		snprintf(pat, sizeof(pat), "%s/cg.%s.%s.%d*", tmpdir, v->name, prepared ? "prep" : "text", (int)pid);
		if (getenv("BENCH_KEEP_CALLGRIND") == NULL && glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				unlink(g.gl_pathv[i]);
			globfree(&g);
		}
	}
	return ok;
}

/* One --pair measurement (libwescale build, eventual1.conf): 4 figures in out[]. */
static bool run_pair(bool prepared, unsigned long iters, unsigned routed, unsigned direct, double out[4])
{
	char exe[PATH_MAX + 32], conf[PATH_MAX], it[32], p1[16], p2[16], line[512];
	int fds[2], status;
	bool ok = false;
	pid_t pid;
	FILE *f;

	snprintf(exe, sizeof(exe), "%s/bench-overhead", bin_dir);
	snprintf(it, sizeof(it), "%lu", iters);
	snprintf(p1, sizeof(p1), "%u", routed);
	snprintf(p2, sizeof(p2), "%u", direct);
	if (pipe(fds))
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		unsetenv("WESCALE_DISABLE");
		snprintf(conf, sizeof(conf), "%s/eventual1.conf", tmpdir);
		setenv("WESCALE_CONFIG", conf, 1);
		execl(exe, exe, "--pair", prepared ? "prep" : "text", it, p1, p2, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "PAIR ", 5) == 0 &&
		    sscanf(line + 5, "%lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3]) == 4)
			ok = true;
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-overhead [-n ITERATIONS] [-r RUNS] [-c CALLGRIND_ITERATIONS] [-H] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long iters = 4000, cg_iters = 2000;
	int runs = 11, opt;
	bool no_haproxy = false, have_haproxy, have_vg;
	unsigned primary, replicas[2];
	char replica_list[128], vg[PATH_MAX];
	static double samples[N_VARIANTS][2][6][MAX_RUNS];
	static struct result med[N_VARIANTS][2];
	static double instr[N_VARIANTS][2];
	static bool failed[N_VARIANTS][2], skipped[N_VARIANTS];
	static double pair_med[2][2][4]; /* [routed, control][text, prep][4] */
	int errors = 0;

	bench_prog = "bench-overhead";
	if (argc == 7 && strcmp(argv[1], "--child") == 0)
		return child_main(argv + 2);
	if (argc == 6 && strcmp(argv[1], "--pair") == 0)
		return pair_main(argv + 2);
	while ((opt = getopt(argc, argv, "n:r:c:Hq")) != -1) {
		switch (opt) {
		case 'n': iters = strtoul(optarg, NULL, 10); break;
		case 'r': runs = atoi(optarg); break;
		case 'c': cg_iters = strtoul(optarg, NULL, 10); break;
		case 'H': no_haproxy = true; break;
		case 'q': iters = 1000; runs = 3; cg_iters = 500; break;
		default: usage();
		}
	}
	if (iters < 100 || runs < 1 || runs > MAX_RUNS)
		usage();
	bench_driver_start(&primary, replicas, bin_dir, sizeof(bin_dir));
	if (!mkdtemp(tmpdir))
		return 2;
	have_tmpdir = true;
	bench_on_exit(cleanup);
	bench_setup_table(primary, replicas, 2);
	snprintf(replica_list, sizeof(replica_list), "127.0.0.1:%u", replicas[0]);
	write_conf("eventual1.conf", primary, replica_list, "eventual");
	write_conf("session1.conf", primary, replica_list, "session");
	snprintf(replica_list, sizeof(replica_list), "127.0.0.1:%u, 127.0.0.1:%u", replicas[0], replicas[1]);
	write_conf("eventual2.conf", primary, replica_list, "eventual");
	have_haproxy = !no_haproxy && start_haproxy(replicas[0]);
	have_vg = cg_iters > 0 && find_program("valgrind", vg, sizeof(vg));
	if (cg_iters > 0 && !have_vg)
		fprintf(stderr, "bench-overhead: valgrind not found: no instruction counts\n");

	for (size_t v = 0; v < N_VARIANTS; v++)
		skipped[v] = variants[v].target == T_HAPROXY && !have_haproxy;

	fprintf(stderr, "bench-overhead: %d run(s) x %lu statements per variant and protocol%s\n", runs, iters,
		have_vg ? ", then callgrind" : "");
	/* Interleaved: run r of every variant before run r+1 of any, so slow
	 * phases of a shared machine spread over all of them. */
	for (int r = 0; r < runs; r++) {
		for (size_t v = 0; v < N_VARIANTS; v++) {
			if (skipped[v])
				continue;
			for (int p = 0; p < 2; p++) {
				const struct variant *var = &variants[v];
				unsigned port = var->target == T_REPLICA ? replicas[0] :
						var->target == T_HAPROXY ? haproxy_port : primary;
				struct result res;

				if (failed[v][p])
					continue;
				if (!run_child(var, p, iters, 0, port, &res, NULL)) {
					fprintf(stderr, "bench-overhead: %s %s failed\n", var->name, p ? "prep" : "text");
					failed[v][p] = true;
					errors++;
					continue;
				}
				samples[v][p][0][r] = res.qps;
				samples[v][p][1][r] = res.p50;
				samples[v][p][2][r] = res.p99;
				samples[v][p][3][r] = res.cpu;
				samples[v][p][4][r] = res.repl;
				samples[v][p][5][r] = res.wait;
			}
		}
		fprintf(stderr, "  run %d/%d done\n", r + 1, runs);
	}
	for (size_t v = 0; v < N_VARIANTS; v++)
		for (int p = 0; p < 2; p++) {
			if (skipped[v] || failed[v][p])
				continue;
			med[v][p].qps = bench_median(samples[v][p][0], runs);
			med[v][p].p50 = bench_median(samples[v][p][1], runs);
			med[v][p].p99 = bench_median(samples[v][p][2], runs);
			med[v][p].cpu = bench_median(samples[v][p][3], runs);
			med[v][p].repl = bench_median(samples[v][p][4], runs);
			med[v][p].wait = bench_median(samples[v][p][5], runs);
		}
	if (have_vg) {
		fprintf(stderr, "  callgrind: %lu statements per variant and protocol\n", cg_iters);
		for (size_t v = 0; v < N_VARIANTS; v++)
			for (int p = 0; p < 2; p++) {
				const struct variant *var = &variants[v];
				unsigned port = var->target == T_REPLICA ? replicas[0] :
						var->target == T_HAPROXY ? haproxy_port : primary;
				struct result res;

				if (skipped[v] || failed[v][p])
					continue;
				if (!run_child(var, p, iters, cg_iters, port, &res, &instr[v][p])) {
					fprintf(stderr, "bench-overhead: %s %s under callgrind failed\n", var->name,
						p ? "prep" : "text");
					instr[v][p] = 0;
				}
			}
	}
	/* Paired: both handles in one process, in turn; then the control, two
	 * handles both connected straight to replica 1, measured the same way: how
	 * far apart two identical handles come out (each connection has its own
	 * server thread, scheduled on its own). */
	{
		static double pair[2][2][4][MAX_RUNS];
		bool pair_ok[2][2] = { { true, true }, { true, true } };

		fprintf(stderr, "  paired: %d run(s) x %lu statements per handle, then the direct/direct control\n", runs,
			iters);
		for (int r = 0; r < runs; r++)
			for (int c = 0; c < 2; c++)
				for (int p = 0; p < 2; p++) {
					double out[4];

					if (!pair_ok[c][p])
						continue;
					if (!run_pair(p, iters, c ? replicas[0] : primary, replicas[0], out)) {
						fprintf(stderr, "bench-overhead: paired %s%s failed\n", p ? "prep" : "text",
							c ? " (control)" : "");
						pair_ok[c][p] = false;
						errors++;
						continue;
					}
					for (int k = 0; k < 4; k++)
						pair[c][p][k][r] = out[k];
				}
		for (int c = 0; c < 2; c++)
			for (int p = 0; p < 2; p++)
				for (int k = 0; k < 4; k++)
					pair_med[c][p][k] = pair_ok[c][p] ? bench_median(pair[c][p][k], runs) : 0;
	}
	stop_haproxy();

	printf("\nbench-overhead: one thread, point selects on %s.sbtest1 (%u rows); medians of %d runs x %lu statements\n",
	       DB, ROWS, runs, iters);
	printf("ratios: against `plain` (the -mix rows against `plain-mix`); instr/stmt: callgrind, %lu statements, "
	       "main thread\n\n", cg_iters);
	printf("%-15s %-5s %9s %6s %7s %7s %9s %6s %9s %6s %6s %6s\n", "variant", "proto", "qps", "x", "p50 us", "p99 us",
	       "cpu us/st", "x", "instr/st", "x", "repl%", "wait%");
	for (size_t v = 0; v < N_VARIANTS; v++)
		for (int p = 0; p < 2; p++) {
			const struct result *m = &med[v][p], *b = &med[variants[v].baseline][p];
			double ib = instr[variants[v].baseline][p];
			char repl[16] = "-", wait[16] = "-", ins[32] = "-", insx[16] = "-";

			if (skipped[v]) {
				printf("%-15s %-5s  (skipped: haproxy not available)\n", variants[v].name, p ? "prep" : "text");
				continue;
			}
			if (failed[v][p]) {
				printf("%-15s %-5s  FAILED (see above)\n", variants[v].name, p ? "prep" : "text");
				continue;
			}
			if (m->repl >= 0) {
				snprintf(repl, sizeof(repl), "%.0f", m->repl * 100);
				snprintf(wait, sizeof(wait), "%.1f", m->wait * 100);
			}
			if (instr[v][p] > 0) {
				snprintf(ins, sizeof(ins), "%.0f", instr[v][p]);
				if (ib > 0)
					snprintf(insx, sizeof(insx), "%.3f", instr[v][p] / ib);
			}
			printf("%-15s %-5s %9.0f %6.3f %7.1f %7.1f %9.2f %6.3f %9s %6s %6s %6s\n", variants[v].name,
			       p ? "prep" : "text", m->qps, b->qps > 0 ? m->qps / b->qps : 0, m->p50, m->p99, m->cpu,
			       b->cpu > 0 ? m->cpu / b->cpu : 0, ins, insx, repl, wait);
		}
	printf("\nrepl%%: reads a replica served (libwescale's counters); wait%%: reads that needed a GTID wait first\n");
	if (instr[V_PLAIN_MT][0] > 0 && instr[V_EVENTUAL][0] > 0 && instr[V_PLAIN_MT][1] > 0 && instr[V_EVENTUAL][1] > 0)
		printf("instructions of ws-eventual against plain-mt (a threaded process, as libwescale's is): "
		       "text %.3f, prep %.3f\n", instr[V_EVENTUAL][0] / instr[V_PLAIN_MT][0],
		       instr[V_EVENTUAL][1] / instr[V_PLAIN_MT][1]);
	printf("\npaired, in one process: statements in turn on a handle libwescale routes to replica 1 (eventual)\n"
	       "and on a handle connected straight to replica 1; latency in us, medians of %d runs x %lu each.\n"
	       "control: the same with two handles both connected straight to replica 1 (\"routed\" = the first):\n"
	       "how far apart two identical handles come out on this machine\n\n",
	       runs, iters);
	printf("%-13s %10s %10s %7s %11s %11s %7s\n", "proto", "direct p50", "routed p50", "x", "direct mean",
	       "routed mean", "x");
	for (int c = 0; c < 2; c++)
		for (int p = 0; p < 2; p++) {
			const double *q = pair_med[c][p];
			char name[32];

			snprintf(name, sizeof(name), "%s%s", p ? "prep" : "text", c ? " control" : "");
			if (q[0] <= 0 || q[2] <= 0 || q[3] <= 0) {
				printf("%-13s  FAILED (see above)\n", name);
				continue;
			}
			printf("%-13s %10.1f %10.1f %7.3f %11.1f %11.1f %7.3f\n", name, q[2], q[0], q[0] / q[2], q[3], q[1],
			       q[1] / q[3]);
		}
	cleanup();
	return errors ? 1 : 0;
}
