/*
 * bench-classify.c — how long ws_classify() takes, per statement.
 *
 *   bench-classify [-q] [-r runs] [-n calls]
 *
 * For each statement shape: `runs` timed runs (default 11) of enough calls to
 * take ~40 ms each (-q: ~2 ms), CLOCK_MONOTONIC around each run; prints the
 * median and the best run in ns per statement and the median in ns per byte
 * (flat from 4 KB to 64 KB: linear in length). -n fixes the calls per run
 * instead, e.g. to count allocations under valgrind:
 *   valgrind bench-classify -r 1 -n 100000   ("total heap usage: 3 allocs")
 * Every verdict is folded into a volatile sink, so no call can be dropped.
 * Prints figures only; never passes or fails on time.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"

static volatile uint32_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

enum op { OP_CLASSIFY, OP_NEXT, OP_MENTIONS };

static uint32_t run_once(enum op op, const char *s, size_t len, unsigned long iters)
{
	struct ws_verdict v;
	uint32_t acc = 0;

	for (unsigned long i = 0; i < iters; i++) {
		size_t off = 0;

		switch (op) {
		case OP_CLASSIFY:
			ws_classify(s, len, &v);
			acc += v.flags + v.kind + v.n_statements;
			break;
		case OP_NEXT:
			while (ws_classify_next(s, len, &off, &v))
				acc += v.flags;
			break;
		case OP_MENTIONS:
			acc += ws_classify_mentions(s, len, "tmp_orders", 10);
			break;
		}
	}
	return acc;
}

static unsigned long fixed_calls; /* -n */
static unsigned long long total_calls;

static void bench(const char *name, enum op op, const char *s, size_t len, int runs, double run_ns)
{
	double t[64], t0, per_call = 0;
	unsigned long iters = 1;
	struct ws_verdict v;

	/* Calibrate: double the count until one run takes at least a tenth of run_ns. */
	for (; !fixed_calls;) {
		t0 = now_ns();
		sink += run_once(op, s, len, iters);
		per_call = (now_ns() - t0) / (double)iters;
		if (per_call * (double)iters >= run_ns / 10 || iters > (1ul << 30))
			break;
		iters *= 2;
	}
	iters = fixed_calls ? fixed_calls : (unsigned long)(run_ns / (per_call > 0 ? per_call : 1)) + 1;
	total_calls += (unsigned long long)iters * (unsigned long long)runs;
	for (int r = 0; r < runs; r++) {
		t0 = now_ns();
		sink += run_once(op, s, len, iters);
		t[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	ws_classify(s, len, &v);
	printf("| %-28s | %7zu | %5s | %10.1f | %10.1f | %7.3f | %10lu |\n", name, len,
	       v.flags & WS_F_READ ? "read" : "write", t[runs / 2], t[0], t[runs / 2] / (double)len, iters);
}

/* A SELECT of about `size` bytes: a long IN list, the shape ORMs produce for
 * prefetches. */
static char *big_select(size_t size, size_t *len)
{
	char *s = malloc(size + 64);
	size_t n;
	int k = 0;

	if (!s)
		exit(1);
	n = (size_t)sprintf(s, "SELECT `o`.`id`, `o`.`total` FROM `orders` `o` WHERE `o`.`id` IN (");
	while (n + 16 < size) {
		n += (size_t)sprintf(s + n, "%s%d", k ? ", " : "", 1000000 + k);
		k++;
	}
	n += (size_t)sprintf(s + n, ") LIMIT 100");
	*len = n;
	return s;
}

int main(int argc, char **argv)
{
	static const char point[] = "SELECT c FROM sbtest1 WHERE id=42";
	static const char insert[] =
		"INSERT INTO sbtest1 (id, k, c, pad) VALUES (5013, 4992, "
		"'83868641912-28773972837-60736120486-75162659906-27563526494-20381887404-41576422241-"
		"93426793964-56405065102-33518432330', '67847967377-48000963322-62604785301-91415491898-96926520291')";
	static const char update[] = "UPDATE sbtest1 SET k=k+1 WHERE id=42";
	static const char orm[] =
		"SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login`, "
		"`auth_user`.`is_superuser`, `auth_user`.`username`, `auth_user`.`first_name`, "
		"`auth_user`.`last_name`, `auth_user`.`email`, `auth_user`.`is_staff`, `auth_user`.`is_active`, "
		"`auth_user`.`date_joined` FROM `auth_user` WHERE `auth_user`.`username` = 'alice' LIMIT 21";
	static const char multi[] =
		"SELECT c FROM sbtest1 WHERE id=42; SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 100; "
		"UPDATE sbtest1 SET k=k+1 WHERE id=42";
	static const char hinted[] =
		"/* wescale:route=replica, consistency=eventual */ SELECT c FROM sbtest1 WHERE id=42";
	double run_ns = 40e6;
	int runs = 11;
	size_t len4k, len64k;
	char *s4k, *s64k;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			run_ns = 2e6;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			fixed_calls = strtoul(argv[++i], NULL, 10);
	}
	if (runs < 1)
		runs = 1;
	if (runs > 64)
		runs = 64;
	s4k = big_select(4096, &len4k);
	s64k = big_select(65536, &len64k);

	printf("ws_classify: median of %d runs, ~%.0f ms each\n\n", runs, run_ns / 1e6);
	printf("| %-28s | %7s | %5s | %10s | %10s | %7s | %10s |\n", "statement", "bytes", "verdict",
	       "median ns", "best ns", "ns/byte", "calls/run");
	printf("|------------------------------|---------|-------|------------|------------|---------|------------|\n");
	bench("point select (sysbench)", OP_CLASSIFY, point, strlen(point), runs, run_ns);
	bench("insert (sysbench)", OP_CLASSIFY, insert, strlen(insert), runs, run_ns);
	bench("update (sysbench)", OP_CLASSIFY, update, strlen(update), runs, run_ns);
	bench("ORM select (Django)", OP_CLASSIFY, orm, strlen(orm), runs, run_ns);
	bench("select with a hint comment", OP_CLASSIFY, hinted, strlen(hinted), runs, run_ns);
	bench("4 KB select", OP_CLASSIFY, s4k, len4k, runs, run_ns);
	bench("64 KB select", OP_CLASSIFY, s64k, len64k, runs, run_ns);
	bench("multi-statement (3)", OP_CLASSIFY, multi, strlen(multi), runs, run_ns);
	bench("multi, ws_classify_next", OP_NEXT, multi, strlen(multi), runs, run_ns);
	bench("mentions(), ORM select", OP_MENTIONS, orm, strlen(orm), runs, run_ns);
	printf("\n%llu timed calls\n", total_calls);
	free(s4k);
	free(s64k);
	return sink == 0xdeadbeef; /* never: keeps the sink alive */
}
