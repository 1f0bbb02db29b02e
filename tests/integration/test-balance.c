/*
 * test-balance.c — the monitor and the balancers on a real topology (docs/architecture.md).
 *
 * The configuration is read once per process, so each scenario runs in a child
 * process with its own WESCALE_CONFIG; the parent only forks, waits and checks
 * the child's verdict. Every check counts which server answered (@@server_id).
 *
 *   test-balance SOURCE_DIR
 *
 * WS_TEST_ONLY=TEXT runs only the tests whose name contains TEXT.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static const char *srcdir;
static int failures; /* in the child */

#define CHECK(cond, ...)                                              \
	do {                                                          \
		if (!(cond)) {                                        \
			failures++;                                   \
			printf("\n      FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                          \
		}                                                     \
	} while (0)

/* Write a config for the topology with extra cluster keys, a replica list and
 * a health interval. */
static void write_config_every(const char *name, const char *replicas, const char *extra, unsigned interval_ms)
{
	char path[512], list[128];
	FILE *f;

	if (!replicas) {
		snprintf(list, sizeof(list), "127.0.0.1:%u, 127.0.0.1:%u", env.replica_port[0], env.replica_port[1]);
		replicas = list;
	}
	snprintf(path, sizeof(path), "%s/balance-%s.conf", env.dir, name);
	f = fopen(path, "w");
	if (!f)
		exit(99);
	fprintf(f, "[cluster %s]\nprimary = 127.0.0.1:%u\nreplicas = %s\nhealth_interval_ms = %u\n%s\n", name,
		env.primary_port, replicas, interval_ms, extra);
	fclose(f);
	setenv("WESCALE_CONFIG", path, 1);
}

static void write_config(const char *name, const char *replicas, const char *extra)
{
	write_config_every(name, replicas, extra, 100);
}

static MYSQL *app(void)
{
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	if (!m)
		exit(98);
	return m;
}

static void admin_replica(unsigned i, const char *sql)
{
	MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);

	CHECK(a && wstest_exec(a, sql) == 0, "%s on replica %u\n", sql, i + 1);
	if (a)
		mysql_close(a);
}

/* n reads at eventual consistency; counts[server_id]++ per read. */
static void reads(MYSQL *m, int n, long counts[4])
{
	for (int i = 0; i < n; i++) {
		long id = wstest_query_long(m, "SELECT @@server_id");

		if (id >= 0 && id < 4)
			counts[id]++;
		else
			counts[0]++; /* errors */
	}
}

static int run_child(void (*scenario)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = wstest_fork();
	if (pid == 0) {
		failures = 0;
		scenario();
		mysql_library_end();
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	/* Bounded: a scenario that hangs fails here, with the servers it
	 * restarted still up for the tests after it. */
	if (pid < 0 || (status = wstest_wait(pid, 120)) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- scenarios (each in its own process) ---- */

static void spread(const char *policy)
{
	char extra[128];
	long c[4] = { 0 };
	MYSQL *m;

	snprintf(extra, sizeof(extra), "load_balance = %s\nconsistency = eventual", policy);
	write_config(policy, NULL, extra);
	m = app();
	reads(m, 400, c);
	printf("\n      %-11s primary %ld, replica 1 %ld, replica 2 %ld, errors %ld", policy, c[1], c[2], c[3], c[0]);
	CHECK(c[0] == 0 && c[1] == 0, "errors or primary reads\n");
	if (strcmp(policy, "round_robin") == 0)
		CHECK(c[2] >= 190 && c[3] >= 190, "uneven round robin\n");
	else
		CHECK(c[2] >= 140 && c[3] >= 140, "uneven random\n");
	mysql_close(m);
}

static void scenario_round_robin(void) { spread("round_robin"); }
static void scenario_random(void) { spread("random"); }

/* A loopback port nothing listens on (now). */
static unsigned free_port(void)
{
	unsigned port;
	FILE *f = popen("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
			"print(s.getsockname()[1])'", "r");

	if (!f || fscanf(f, "%u", &port) != 1)
		exit(97);
	pclose(f);
	return port;
}

/* A delay_proxy.py relay to 127.0.0.1:target holding every packet delay_ms
 * (SIGUSR1: no delay, SIGUSR2: delay again); its port, its pid in *pid. */
static unsigned start_proxy(unsigned target, unsigned delay_ms, pid_t *pid)
{
	char port_s[16], target_s[16], delay_s[16], script[512], ready[8] = "";
	unsigned port = free_port();
	int p[2];

	snprintf(port_s, sizeof(port_s), "%u", port);
	snprintf(target_s, sizeof(target_s), "%u", target);
	snprintf(delay_s, sizeof(delay_s), "%u", delay_ms);
	snprintf(script, sizeof(script), "%s/tests/integration/delay_proxy.py", srcdir);
	if (pipe(p) != 0)
		exit(96);
	*pid = fork();
	if (*pid == 0) {
		dup2(p[1], 1);
		execlp("python3", "python3", script, port_s, target_s, delay_s, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], ready, 5) != 5)
		exit(95);
	close(p[0]);
	return port;
}

static void stop_proxy(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void scenario_least_rt(void)
{
	char replicas[128];
	long c[4] = { 0 };
	pid_t proxy;
	unsigned proxy_port = start_proxy(env.replica_port[0], 3, &proxy);
	MYSQL *m;

	/* Replica 1 behind a relay that delays every packet by 3 ms. */
	snprintf(replicas, sizeof(replicas), "127.0.0.1:%u, 127.0.0.1:%u", proxy_port, env.replica_port[1]);
	write_config("least_rt", replicas, "load_balance = least_rt\nconsistency = eventual");
	m = app();
	reads(m, 20, c); /* both get measured */
	memset(c, 0, sizeof(c));
	reads(m, 300, c);
	printf("\n      least_rt    slow replica 1 %ld, replica 2 %ld, primary %ld, errors %ld", c[2], c[3], c[1], c[0]);
	CHECK(c[0] == 0 && c[1] == 0, "errors or primary reads\n");
	CHECK(c[3] >= 240, "least_rt did not avoid the slow replica\n");
	mysql_close(m);
	stop_proxy(proxy);
}

static void topology(const char *what, unsigned node)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/tests/topology.sh %s %s %u >/dev/null 2>&1", srcdir, what, env.dir, node);
	CHECK(system(cmd) == 0, "%s\n", cmd);
}

/* ---- shares per 1-second window (least_rt) ----
 *
 * Threads, each on its own handle, read SELECT @@server_id in a loop; every
 * read counts, for the server that answered, in the quarter second it ended in
 * (from t0), with the time it took. A 1-second window is four quarters. The
 * checks are on the replicas' shares in every full window, not only on a run's
 * totals.
 *
 * "Two equal replicas" is checked, not assumed: on a shared 2-core machine one
 * server process is at times starved of CPU for a good part of a second, and
 * then it is not equal and least_rt rightly sends it less. A window counts as
 * equal when the mean read time the client saw on the two replicas differs by
 * at most EQUAL_RATIO (or one of them has too few reads to tell, as a starved
 * replica has); in such windows each replica must have 35-65 %. In the others,
 * the slower must have at least 2 %, and the faster at least 35 % when it was
 * twice as fast or more (the policy weighs the tail, this check the mean). A
 * window with too few reads to tell (under 300: the whole process starved) is
 * printed, not judged; a replica with under 20 reads in a window counts as
 * stalled (unequal) only if the readers waited on it for a quarter of the
 * window or more, else as starved by the policy (judged). A run goes on
 * until it has the equal windows it seeks (up to a limit), so a noisy machine
 * makes it longer; no equal window at all is a failure. */

#define QUARTERS 96 /* 24 s */
#define MAX_SHARE_THREADS 16
#define EQUAL_RATIO 1.25

struct share_run {
	long n[QUARTERS][4];  /* per quarter second, per server id; [0]: errors */
	long us[QUARTERS][4]; /* µs the readers waited on each server in that quarter */
	double t0;
	double watch_from;    /* first_read[] counts reads from then on (s after t0) */
	double first_read[4];
	int threads, ready, go, stop, no_connection;
	pthread_mutex_t lock;
	pthread_t th[MAX_SHARE_THREADS];
};

static void *share_worker(void *arg)
{
	struct share_run *r = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);
	long warm[4] = { 0 };

	if (m)
		reads(m, 8, warm); /* opens this handle's replica connections */
	else
		__atomic_add_fetch(&r->no_connection, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&r->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		wstest_msleep(1);
	while (m && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		double t1 = wstest_now_s() - r->t0, t;
		long id = wstest_query_long(m, "SELECT @@server_id");
		int q;

		t = wstest_now_s() - r->t0;
		q = (int)(t * 4);
		if (id < 1 || id > 3)
			id = 0;
		if (q < QUARTERS)
			__atomic_add_fetch(&r->n[q][id], 1, __ATOMIC_RELAXED);
		/* The time waited, spread over the quarters the read spanned (a
		 * server stalled for a second shows where it stalled). */
		for (int k = (int)(t1 * 4); k <= q && k < QUARTERS; k++) {
			double from = t1 > k / 4.0 ? t1 : k / 4.0, to = t < (k + 1) / 4.0 ? t : (k + 1) / 4.0;

			__atomic_add_fetch(&r->us[k][id], (long)((to - from) * 1e6), __ATOMIC_RELAXED);
		}
		if (id && t >= r->watch_from && r->first_read[id] < 0) {
			pthread_mutex_lock(&r->lock);
			if (r->first_read[id] < 0)
				r->first_read[id] = t;
			pthread_mutex_unlock(&r->lock);
		}
	}
	if (m)
		mysql_close(m);
	mysql_thread_end();
	return NULL;
}

/* Start `threads` readers; t0 is when all of them are connected and warm. */
static void share_start(struct share_run *r, int threads)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->threads = threads;
	r->watch_from = 1e9;
	for (int i = 0; i < 4; i++)
		r->first_read[i] = -1;
	for (int i = 0; i < threads; i++)
		pthread_create(&r->th[i], NULL, share_worker, r);
	while (__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE) < threads)
		wstest_msleep(5);
	r->t0 = wstest_now_s();
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
}

static void share_stop(struct share_run *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < r->threads; i++)
		pthread_join(r->th[i], NULL);
	pthread_mutex_destroy(&r->lock);
	CHECK(r->no_connection == 0, "%d readers could not connect\n", r->no_connection);
}

/* Sleep until `at` seconds after t0. */
static void share_sleep_until(const struct share_run *r, double at)
{
	double left = at - (wstest_now_s() - r->t0);

	if (left > 0)
		wstest_msleep((unsigned)(left * 1000));
}

/* What the client saw in quarters [from, to). */
struct window {
	long reads;      /* on the two replicas */
	long other;      /* on the primary, or failed */
	double share;    /* replica 1's (server 2's) share of `reads`, % */
	double ratio;    /* slower / faster mean read time of the two replicas (1: cannot tell) */
	bool r1_faster;
};

static struct window window_at(const struct share_run *r, int from, int to)
{
	long a = 0, b = 0, ua = 0, ub = 0;
	struct window w = { .ratio = 1 };

	for (int q = from; q < to && q < QUARTERS; q++) {
		a += r->n[q][2];
		b += r->n[q][3];
		ua += r->us[q][2];
		ub += r->us[q][3];
		w.other += r->n[q][0] + r->n[q][1];
	}
	w.reads = a + b;
	w.share = a + b ? 100.0 * (double)a / (double)(a + b) : 0.0;
	if (a >= 20 && b >= 20) {
		double ma = (double)(ua + 1) / (double)a, mb = (double)(ub + 1) / (double)b;

		w.r1_faster = ma < mb;
		w.ratio = ma < mb ? mb / ma : ma / mb;
	} else {
		/* Too few reads on one to time them: if the readers still waited
		 * on it for a good part of the window, it was stalled (slow, not
		 * starved); else the policy did not send it reads, which is judged. */
		long few = a < 20 ? ua : ub;

		if (few >= (to - from) * 250000L / 4)
			w.ratio = 99, w.r1_faster = b < 20;
	}
	return w;
}

/* Check the 1-second windows [first, last): equal ones lo..100-lo %, the others
 * faster ≥ 35 %, slower ≥ 2 %; at least min_reads reads in each. Prints them
 * (an unequal one with its time ratio); returns how many were equal. */
static int check_even(const struct share_run *r, int first, int last, long min_reads, double lo, const char *what)
{
	int equal = 0;

	for (int k = first; k < last; k++) {
		struct window w = window_at(r, 4 * k, 4 * k + 4);
		double faster = w.r1_faster ? w.share : 100 - w.share;

		CHECK(w.other == 0, "%s, window %d: %ld reads on the primary or failed\n", what, k, w.other);
		if (w.reads < min_reads) {
			/* The whole process got too little CPU to tell. */
			printf(" (%ld reads)", w.reads);
		} else if (w.ratio <= EQUAL_RATIO) {
			equal++;
			printf(" %.1f%%/%ld", w.share, w.reads);
			CHECK(w.share >= lo && w.share <= 100 - lo,
			      "%s, window %d: replica 1 has %.1f%% (%.0f-%.0f%% expected)\n", what, k, w.share, lo,
			      100 - lo);
		} else {
			printf(" (%.1f%%/%ld, %.2fx)", w.share, w.reads, w.ratio);
			/* The policy weighs the tail (peak-sensitive), this the mean:
			 * "the faster has ≥ 35 %" only when clearly faster (2×).
			 * Ratio 99: a stalled server; its reads hang, no floor. */
			CHECK((faster >= 35 || w.ratio < 2) && (faster <= 98 || w.ratio >= 99),
			      "%s, window %d (%.2fx): the faster replica has %.1f%%\n", what, k, w.ratio, faster);
		}
	}
	return equal;
}

/* Run until `need` equal 1-second windows (with min_reads reads) from window
 * `first` on, at most until window `limit`; the number of full windows in
 * *last. */
static void share_until_equal(struct share_run *r, int first, int need, long min_reads, int limit, int *last)
{
	for (*last = first + need; *last <= limit; (*last)++) {
		int equal = 0;

		share_sleep_until(r, *last + 0.02);
		for (int k = first; k < *last; k++) {
			struct window w = window_at(r, 4 * k, 4 * k + 4);

			equal += w.ratio <= EQUAL_RATIO && w.reads >= min_reads;
		}
		if (equal >= need)
			return;
	}
	(*last)--;
}

static void scenario_equal_windows(void)
{
	static const int threads[] = { 1, 4, 16 };

	write_config("equal", NULL, "load_balance = least_rt\nconsistency = eventual");
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		struct share_run r;
		char what[64];
		int last, equal;

		snprintf(what, sizeof(what), "2 equal replicas, %d thread%s", threads[i], threads[i] > 1 ? "s" : "");
		share_start(&r, threads[i]);
		share_until_equal(&r, 0, 4, 300, 12, &last);
		share_stop(&r);
		printf("\n      least_rt    %-27s replica 1's share per 1-s window/reads:", what);
		equal = check_even(&r, 0, last, 300, 35, what);
		/* Four are sought (up to 12 s); at least one is required: on this
		 * shared machine a server can be several times slower than the
		 * other for ten seconds at a time. A window where the policy
		 * starved a replica always counts as equal (and fails). */
		CHECK(equal >= 1, "%s: none of %d windows had equal replicas\n", what, last);
	}
}

/* Replica 1 behind a relay adding 3 ms to every packet for 3 s, then none:
 * less but ≥ 2 % of the reads in every window while slow; even again from 2 s
 * after the delay is gone. Replica 2 is behind a relay too (never delayed), so
 * "even" means even, not "as even as a relay allows". */
static void slow_then_fast(pid_t slow_proxy, int threads)
{
	struct share_run r;
	char what[64];
	int last, equal;
	double back = -1;

	kill(slow_proxy, SIGUSR2);
	snprintf(what, sizeof(what), "replica 1 +3 ms, %d thread%s", threads, threads > 1 ? "s" : "");
	share_start(&r, threads);
	share_sleep_until(&r, 3.0);
	kill(slow_proxy, SIGUSR1);
	share_until_equal(&r, 5, 2, 300, 14, &last);
	share_stop(&r);
	printf("\n      least_rt    %-27s replica 1's share per 1-s window/reads:", what);
	for (int k = 0, checked = 0; k < 3; k++) {
		struct window w = window_at(&r, 4 * k, 4 * k + 4);

		printf(" %.1f%%/%ld", w.share, w.reads);
		CHECK(w.other == 0, "%s, window %d: %ld reads elsewhere\n", what, k, w.other);
		if (w.reads >= 300) {
			/* At least the floor; "less" where the client saw it slower
			 * (on a starved machine the relays' own delays can drown
			 * the 3 ms). */
			checked++;
			CHECK(w.share >= 2, "%s, window %d: replica 1 has %.1f%% (at least 2%% expected)\n", what, k,
			      w.share);
			CHECK(w.share <= 20 || w.ratio < 3 || w.r1_faster,
			      "%s, window %d: replica 1, %.1fx slower, has %.1f%% (at most 20%% expected)\n", what, k,
			      w.ratio, w.share);
		}
		CHECK(k < 2 || checked, "%s: no window with 300 reads while slow\n", what);
	}
	printf(" | delay removed, 2 s after:");
	/* "Back": from the 4 % floor to an even share. Both replicas sit
	 * behind Python relays here, whose own hiccups (at one thread, ~2,000
	 * reads a second) move a second's share more than the direct
	 * replicas' do: 25-75 % rather than 35-65 %. */
	equal = check_even(&r, 5, last, 300, 25, "after the delay");
	/* The relays are Python processes on the same two cores: on a loaded
	 * machine they are seldom equal for a whole second. One equal window
	 * will do, or one where replica 1 was the faster and had most reads —
	 * its estimate is fresh again either way. */
	for (int k = 5; k < last && !equal; k++) {
		struct window w = window_at(&r, 4 * k, 4 * k + 4);

		equal += w.reads >= 300 && w.ratio > EQUAL_RATIO && w.r1_faster && w.share >= 50;
	}
	CHECK(equal >= 1, "after the delay: in none of %d windows was replica 1 back\n", last - 5);
	/* When (quarter second) the share came back, for the figures. */
	for (int q = 12; q < 20 && back < 0; q++)
		if (window_at(&r, q, q + 1).share >= 35)
			back = (q - 12) * 0.25 + 0.25;
	printf(" (>= 35%% in the quarter second ending %.2f s after)", back);
}

static void scenario_slow_windows(void)
{
	char replicas[128];
	pid_t slow_pid, even_pid;
	unsigned slow = start_proxy(env.replica_port[0], 3, &slow_pid);
	unsigned even = start_proxy(env.replica_port[1], 0, &even_pid);

	snprintf(replicas, sizeof(replicas), "127.0.0.1:%u, 127.0.0.1:%u", slow, even);
	write_config("slow", replicas, "load_balance = least_rt\nconsistency = eventual");
	slow_then_fast(slow_pid, 1);
	slow_then_fast(slow_pid, 4);
	stop_proxy(slow_pid);
	stop_proxy(even_pid);
}

/* The "outages" count of the node at 127.0.0.1:port in this process's
 * statistics (-1: not found). */
static long node_outages(unsigned port)
{
	static char json[65536];
	char addr[64];
	const char *p;

	wescale_stats_json(json, sizeof(json));
	snprintf(addr, sizeof(addr), "\"address\":\"127.0.0.1:%u\"", port);
	p = strstr(json, addr);
	p = p ? strstr(p, "\"outages\":") : NULL;
	return p ? strtol(p + strlen("\"outages\":"), NULL, 10) : -1;
}

/* A replica killed under load and restarted: with health_interval_ms = 500 the
 * monitor takes it back after two good checks in a row (monitor.c); its first
 * read must follow within 2 intervals of the server answering again. */
static void scenario_restart_windows(void)
{
	struct share_run r;
	struct window w;
	double back_s;
	long outages;
	int from;

	write_config_every("restart", NULL, "load_balance = least_rt\nconsistency = eventual", 500);
	share_start(&r, 4);
	share_sleep_until(&r, 1.0);
	topology("kill", 1); /* kill -9 replica 1 (server 2) */
	share_sleep_until(&r, 2.5);
	topology("restart", 1); /* returns once the server answers a ping */
	r.watch_from = wstest_now_s() - r.t0;
	wstest_msleep(3000);
	outages = node_outages(env.replica_port[0]);
	share_stop(&r);
	back_s = r.first_read[2] < 0 ? -1 : r.first_read[2] - r.watch_from;
	from = (int)(r.watch_from * 4) + 8;
	w = window_at(&r, from, from + 4);
	printf("\n      least_rt    kill -9 + restart, 4 threads: first read on it %.0f ms after it answered "
	       "(interval 500 ms); its share 2-3 s after: %.1f%%/%ld (%.2fx)",
	       back_s * 1000, w.share, w.reads, w.ratio);
	/* 2 intervals, plus 250 ms: the monitor's rounds are the interval plus
	 * their own duration (checks of three servers, slower under load). */
	CHECK(back_s >= 0 && back_s <= 1.0 + 0.25, "the restarted replica got its first read after %.0f ms\n",
	      back_s * 1000);
	CHECK(w.share >= (w.ratio <= EQUAL_RATIO ? 35 : 2), "the restarted replica has %.1f%% of the reads\n", w.share);
	/* Down once: the handles' connections from before the kill fail their
	 * first read after it is back, which must not take it down again. */
	CHECK(outages == 1, "the restarted replica went down %ld times (once expected)\n", outages);
	CHECK(wstest_sync_replicas(&env), "replicas did not catch up\n");
}

static void scenario_least_behind(void)
{
	long c[4] = { 0 };
	MYSQL *m;

	write_config("least_behind", NULL, "load_balance = least_behind_primary\nconsistency = eventual");
	m = app();
	admin_replica(0, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=30; START SLAVE");
	CHECK(wstest_exec(m, "CREATE TABLE IF NOT EXISTS bal_t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)") == 0, "create\n");
	for (int i = 0; i < 50; i++)
		wstest_exec(m, "INSERT INTO bal_t (v) VALUES (1)");
	wstest_msleep(600); /* a few monitor rounds: replica 1 is 50+ transactions behind */
	reads(m, 200, c);
	printf("\n      least_behind delayed replica 1 %ld, replica 2 %ld, primary %ld, errors %ld", c[2], c[3], c[1], c[0]);
	CHECK(c[0] == 0, "errors\n");
	CHECK(c[3] >= 190, "least_behind_primary did not avoid the delayed replica\n");
	admin_replica(0, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE");
	wstest_exec(m, "DROP TABLE IF EXISTS bal_t");
	mysql_close(m);
	CHECK(wstest_sync_replicas(&env), "replicas did not catch up\n");
}

/* ---- kill -9 a replica under load ---- */

struct worker {
	pthread_t th;
	volatile int *stop;
	long counts[4];
	long late_counts[4]; /* after the restart settled */
	volatile int *late;
	long errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	MYSQL *m = wstest_connect(&env, env.primary_port, env.db);

	if (!m) {
		w->errors++;
		return NULL;
	}
	while (!*w->stop) {
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (mysql_query(m, "SELECT @@server_id, COUNT(*) FROM seq_1_to_200") || !(res = mysql_store_result(m))) {
			fprintf(stderr, "worker: %u %s\n", mysql_errno(m), mysql_error(m));
			w->errors++;
			continue;
		}
		row = mysql_fetch_row(res);
		if (!row || strcmp(row[1], "200") != 0) {
			w->errors++;
		} else {
			int id = atoi(row[0]) & 3;

			w->counts[id]++;
			if (*w->late)
				w->late_counts[id]++;
		}
		mysql_free_result(res);
	}
	mysql_close(m);
	mysql_thread_end();
	return NULL;
}

static void scenario_kill(void)
{
	struct worker w[8];
	volatile int stop = 0, late = 0;
	long total[4] = { 0 }, late_total[4] = { 0 }, errors = 0;
	double t0, t_back;

	write_config("kill", NULL, "load_balance = round_robin\nconsistency = eventual");
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 8; i++) {
		w[i].stop = &stop;
		w[i].late = &late;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	wstest_msleep(1000);
	topology("kill", 1); /* kill -9 replica 1 (server 2) */
	wstest_msleep(2000);
	t0 = wstest_now_s();
	topology("restart", 1);
	t_back = wstest_now_s() - t0;
	wstest_msleep(1500); /* a few health intervals: it must take reads again */
	late = 1;
	wstest_msleep(1500);
	stop = 1;
	for (int i = 0; i < 8; i++) {
		pthread_join(w[i].th, NULL);
		errors += w[i].errors;
		for (int k = 0; k < 4; k++) {
			total[k] += w[i].counts[k];
			late_total[k] += w[i].late_counts[k];
		}
	}
	printf("\n      kill -9     8 threads: %ld reads (replica 1 %ld, replica 2 %ld, primary %ld), errors %ld;"
	       " after restart (%.1f s): replica 1 %ld, replica 2 %ld",
	       total[1] + total[2] + total[3], total[2], total[3], total[1], errors, t_back, late_total[2], late_total[3]);
	CHECK(errors == 0, "the application saw errors\n");
	CHECK(late_total[2] > 100, "the restarted replica got no reads\n");
	CHECK(wstest_sync_replicas(&env), "replicas did not catch up\n");
}

static void scenario_stop_slave(void)
{
	long early[4] = { 0 }, late[4] = { 0 }, back[4] = { 0 };
	MYSQL *m;

	write_config("stop", NULL, "load_balance = round_robin\nconsistency = eventual\nmax_replica_lag_ms = 800");
	m = app();
	CHECK(wstest_exec(m, "CREATE TABLE IF NOT EXISTS stop_t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)") == 0, "create\n");
	reads(m, 40, early);
	admin_replica(0, "STOP SLAVE");
	/* Writes go on; replica 1 falls behind and stays behind. */
	for (int i = 0; i < 30; i++) {
		wstest_exec(m, "INSERT INTO stop_t (v) VALUES (1)");
		wstest_msleep(50);
	}
	reads(m, 100, late);
	admin_replica(0, "START SLAVE");
	CHECK(wstest_sync_replicas(&env), "replica 1 did not catch up\n");
	wstest_msleep(500);
	reads(m, 100, back);
	printf("\n      STOP SLAVE  before: replica 1 %ld/40; stopped 1.5 s: replica 1 %ld, replica 2 %ld; restarted: replica 1 %ld/100",
	       early[2], late[2], late[3], back[2]);
	CHECK(early[2] >= 15, "replica 1 took no reads before\n");
	CHECK(late[2] == 0 && late[3] == 100, "the stopped replica still took reads\n");
	CHECK(back[2] >= 30, "replica 1 did not come back\n");
	wstest_exec(m, "DROP TABLE IF EXISTS stop_t");
	mysql_close(m);
}

static void scenario_fork(void)
{
	long parent_before[4] = { 0 }, parent_after[4] = { 0 };
	MYSQL *m;
	pid_t pid;
	int status = -1;

	write_config("fork", NULL, "load_balance = round_robin\nconsistency = session");
	m = app();
	reads(m, 20, parent_before);
	pid = wstest_fork(); /* (a fork with the monitor thread running) */
	if (pid == 0) {
		/* The child: the parent's handle is not for it (its sockets are the
		 * parent's); closing it must not end the parent's session. */
		long c[4] = { 0 };
		MYSQL *cm;
		int ok, inherited_ok = mysql_query(m, "SELECT 1") != 0 && mysql_errno(m) == WESCALE_ER_FORKED &&
				   strstr(mysql_error(m), "fork()") != NULL;

		mysql_close(m);
		/* Its own connection, its own monitor; reads and writes. */
		cm = app();
		ok = wstest_exec(cm, "CREATE TABLE IF NOT EXISTS fork_t (id INT PRIMARY KEY)") == 0 &&
			 wstest_exec(cm, "REPLACE INTO fork_t VALUES (1)") == 0 &&
			 wstest_query_long(cm, "SELECT COUNT(*) FROM fork_t WHERE id = 1") == 1;

		reads(cm, 20, c);
		mysql_close(cm);
		_exit(ok && inherited_ok && c[0] == 0 && c[1] == 0 && c[2] + c[3] == 20 ? 0 : 1);
	}
	status = wstest_wait(pid, 60);
	/* After the child closed its copy, the parent's handle still works. */
	reads(m, 20, parent_after);
	printf("\n      fork        parent before %ld/20 on replicas, after %ld/20; child exit %d",
	       parent_before[2] + parent_before[3], parent_after[2] + parent_after[3],
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	CHECK(parent_before[2] + parent_before[3] == 20 && parent_after[2] + parent_after[3] == 20, "parent reads\n");
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed\n");
	wstest_exec(m, "DROP TABLE IF EXISTS fork_t");
	mysql_close(m);
}

/* Connections of the application user on replica i (the monitor uses the
 * same user here, so it counts as one). */
static long app_connections(unsigned i)
{
	MYSQL *a = wstest_connect_admin(&env, env.replica_port[i]);
	char sql[160];
	long n;

	if (!a)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '%s'", env.user);
	n = wstest_query_long(a, sql);
	mysql_close(a);
	return n;
}

static void scenario_connection_cap(void)
{
	MYSQL *h[3];
	long c[4] = { 0 }, r1, r2;

	write_config("cap", NULL, "load_balance = round_robin\nconsistency = eventual\nmax_connections_per_node = 1");
	for (int i = 0; i < 3; i++)
		h[i] = app();
	for (int k = 0; k < 10; k++)
		for (int i = 0; i < 3; i++)
			reads(h[i], 1, c);
	r1 = app_connections(0);
	r2 = app_connections(1);
	printf("\n      cap=1       3 handles, 30 reads: replicas %ld + %ld, primary %ld, errors %ld; "
	       "connections on replica 1: %ld, replica 2: %ld (monitor included)", c[2], c[3], c[1], c[0], r1, r2);
	CHECK(c[0] == 0, "errors\n");
	CHECK(r1 >= 1 && r1 <= 2 && r2 >= 1 && r2 <= 2, "more than one application connection per replica\n");
	CHECK(c[2] > 0 && c[3] > 0 && c[1] > 0, "reads should use both capped replicas and the primary\n");
	for (int i = 0; i < 3; i++)
		mysql_close(h[i]);
}

static void scenario_idle_timeout(void)
{
	long c[4] = { 0 }, before, after;
	MYSQL *m;

	write_config("idle", NULL, "load_balance = round_robin\nconsistency = eventual\nreplica_idle_timeout_ms = 300\n"
		     /* closed, not kept for reuse (the pool has its own timeout: test-pool) */
		     "pool_max_per_node = 0");
	m = app();
	reads(m, 4, c); /* connects to both replicas */
	wstest_msleep(300);
	before = app_connections(0);
	wstest_msleep(1200);
	CHECK(wstest_exec(m, "DO 1") == 0, "statement\n"); /* a statement: the idle sweep runs */
	wstest_msleep(200);
	after = app_connections(0);
	printf("\n      idle        replica 1 connections: %ld while in use, %ld after 1.5 s idle (monitor stays)",
	       before, after);
	CHECK(before == after + 1, "the idle replica connection was not closed\n");
	reads(m, 4, c); /* and reconnects when needed */
	CHECK(c[0] == 0 && c[2] + c[3] == 8, "reads after reconnect\n");
	mysql_close(m);
}

static void scenario_fallback_error(void)
{
	char replicas[64];
	unsigned closed = free_port();
	MYSQL *m;

	/* The only replica is a closed port: no replica can serve a read. */
	snprintf(replicas, sizeof(replicas), "127.0.0.1:%u", closed);
	write_config("fallback", replicas, "replica_fallback = error\nconsistency = eventual");
	m = app();
	CHECK(mysql_query(m, "SELECT 1") != 0, "the read should fail\n");
	CHECK(mysql_errno(m) == WESCALE_ER_NO_REPLICA, "errno %u\n", mysql_errno(m));
	CHECK(strstr(mysql_error(m), "replica_fallback = error") != NULL, "message: %s\n", mysql_error(m));
	printf("\n      fallback=error read: %u %s", mysql_errno(m), mysql_error(m));
	/* Writes and hinted reads still run on the primary. */
	CHECK(wstest_exec(m, "DO 1") == 0 && mysql_errno(m) == 0, "write\n");
	CHECK(wstest_query_long(m, "SELECT /* wescale:route=primary */ @@server_id") == 1, "hinted read\n");
	mysql_close(m);
}

static void scenario_nodes(void)
{
	char path[512], buf[64], expect[64];
	long c[4] = { 0 };
	MYSQL *m;
	FILE *f;

	/* Roles are not configured: the monitor finds the writable node. */
	snprintf(path, sizeof(path), "%s/balance-nodes.conf", env.dir);
	f = fopen(path, "w");
	if (!f)
		exit(99);
	fprintf(f, "[cluster nodes]\nnodes = 127.0.0.1:%u, 127.0.0.1:%u, 127.0.0.1:%u\nhealth_interval_ms = 100\n"
		   "load_balance = round_robin\nconsistency = session\n",
		env.replica_port[0], env.primary_port, env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", path, 1);
	/* Connecting to a node that is a replica: the handle writes to the primary. */
	m = wstest_connect(&env, env.replica_port[0], env.db);
	CHECK(m != NULL, "connect\n");
	if (!m)
		return;
	CHECK(wstest_exec(m, "CREATE TABLE IF NOT EXISTS nodes_t (id INT PRIMARY KEY, sid INT)") == 0, "create\n");
	CHECK(wstest_exec(m, "REPLACE INTO nodes_t VALUES (1, @@server_id)") == 0, "write\n");
	CHECK(wescale_last_backend(m, buf, sizeof(buf)) == 0, "last_backend\n");
	snprintf(expect, sizeof(expect), "127.0.0.1:%u", env.primary_port);
	CHECK(strcmp(buf, expect) == 0, "write ran on %s\n", buf);
	CHECK(wstest_query_long(m, "SELECT sid FROM nodes_t WHERE id = 1") == 1, "the write ran on the primary\n");
	/* Right after a write only a replica that proved it has the write (by a
	 * WAIT) is known to be caught up; after a monitor round both are. */
	wstest_msleep(400);
	reads(m, 40, c);
	printf("\n      nodes       write on %s; 40 reads: node2 %ld, node3 %ld, primary %ld, errors %ld", buf, c[2], c[3],
	       c[1], c[0]);
	CHECK(c[0] == 0 && c[1] == 0 && c[2] >= 10 && c[3] >= 10, "reads should go to the two read-only nodes\n");
	wstest_exec(m, "DROP TABLE nodes_t");
	mysql_close(m);
	/* By the cluster's name (not a resolvable host): the writable node too. */
	m = mysql_init(NULL);
	CHECK(mysql_real_connect(m, "nodes", env.user, env.password, env.db, 0, NULL, 0) != NULL,
	      "connect by name: %s\n", mysql_error(m));
	CHECK(wstest_query_long(m, "SELECT /* wescale:route=primary */ @@server_id") == 1, "by name\n");
	mysql_close(m);
}

#define SCENARIO_TEST(name)                                 \
	static void test_##name(void)                       \
	{                                                   \
		CU_ASSERT_EQUAL(run_child(scenario_##name), 0); \
	}
SCENARIO_TEST(round_robin)
SCENARIO_TEST(random)
SCENARIO_TEST(least_rt)
SCENARIO_TEST(equal_windows)
SCENARIO_TEST(slow_windows)
SCENARIO_TEST(restart_windows)
SCENARIO_TEST(least_behind)
SCENARIO_TEST(kill)
SCENARIO_TEST(stop_slave)
SCENARIO_TEST(fork)
SCENARIO_TEST(connection_cap)
SCENARIO_TEST(idle_timeout)
SCENARIO_TEST(fallback_error)
SCENARIO_TEST(nodes)

int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned n_failures;

	if (argc < 2 || !wstest_env_load(&env)) {
		fprintf(stderr, "usage: test-balance SOURCE_DIR (with a topology in the environment)\n");
		return 1;
	}
	srcdir = argv[1];
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("balance", NULL, NULL);
#define ADD(name, fn)                                                          \
	do {                                                                   \
		if (!getenv("WS_TEST_ONLY") || strstr(name, getenv("WS_TEST_ONLY"))) \
			CU_add_test(s, name, fn);                              \
	} while (0)
	ADD("round_robin spreads evenly", test_round_robin);
	ADD("random spreads", test_random);
	ADD("least_rt avoids a slow replica", test_least_rt);
	ADD("least_rt: 2 equal replicas 35-65 % in every 1-s window at 1, 4, 16 threads",
		    test_equal_windows);
	ADD("least_rt: a slow replica >= 2 % in every window, even again 3 s after", test_slow_windows);
	ADD("least_rt: a restarted replica reads again within 2 health intervals", test_restart_windows);
	ADD("least_behind_primary avoids a delayed replica", test_least_behind);
	ADD("kill -9 a replica under 8 threads: 0 errors, back after restart", test_kill);
	ADD("STOP SLAVE: excluded past max_replica_lag_ms, back after", test_stop_slave);
	ADD("fork: parent and child both work", test_fork);
	ADD("max_connections_per_node", test_connection_cap);
	ADD("replica_idle_timeout_ms closes idle connections", test_idle_timeout);
	ADD("replica_fallback = error", test_fallback_error);
	ADD("nodes = …: roles discovered, connect by node or by name", test_nodes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	n_failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return n_failures ? 1 : 0;
}
