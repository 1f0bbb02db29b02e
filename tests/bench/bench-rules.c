/*
 * bench-rules.c — what query rules cost per statement on the query path:
 * ws_rules_acquire + ws_rules_match + ws_rules_release + ws_rules_done, with
 * 0, 10 and 100 rules installed (the classifier's verdict is computed once
 * beforehand: the query path has it anyway).
 *
 *   bench-rules [-q] [-r runs]
 *
 * Rules look like real ones: anchored unbounded-DELETE guards, table-name
 * routes, per-user and per-database rules, UPDATE guards, continue counters.
 * None of them decides for the benchmarked statements (except the row marked
 * "decided"), so every rule is tried: the worst case. Each figure is the
 * median of `runs` timed runs (default 5) of enough calls to take ~40 ms (-q:
 * ~4 ms), CLOCK_MONOTONIC around each run. Prints figures only.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "config.h"
#include "rules.h"

static volatile unsigned sink;

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

/* A config text with n rules in five shapes. */
static char *rules_conf(int n)
{
	size_t cap = 512 + (size_t)n * 256, len = 0;
	char *s = malloc(cap);

	if (!s)
		exit(1);
	s[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *fmt;

		switch (i % 5) {
		case 0:
			fmt = "[rule guard%d]\nmatch_kind = delete\n"
			      "query_regex = ^\\s*delete\\s+from\\s+[`\\w.]*t%d`?\\s*;?\\s*$\naction = fail\n";
			break;
		case 1:
			fmt = "[rule report%d]\nmatch_kind = select\n"
			      "query_regex = \\bfrom\\s+`?report_%d`?\\b\naction = route\nroute = replica\n";
			break;
		case 2:
			fmt = "[rule batch%d]\nuser = batch%d\naction = limit\nmax_concurrency = 4\n";
			break;
		case 3:
			fmt = "[rule upd%d]\nmatch_kind = update\nquery_regex = ^update\\s+`?audit_%d`?\\s+set\n"
			      "action = fail\n";
			break;
		default:
			fmt = "[rule count%d]\nquery_regex = \"^select .* from `?orders_%d`? where\"\n"
			      "action = continue\n";
			break;
		}
		len += (size_t)snprintf(s + len, cap - len, fmt, i, i);
	}
	return s;
}

static struct ws_rules *make_rules(int n)
{
	char *text = rules_conf(n);
	struct ws_config *cfg = NULL;
	struct ws_rules *r = NULL;

	if (ws_config_load_string("bench", text, strlen(text), &cfg) != 0 || cfg->n_errors ||
	    ws_rules_compile(cfg, &r, NULL, NULL) != 0 || ws_rules_count(r) != (size_t)n) {
		fprintf(stderr, "bench-rules: cannot build %d rules\n", n);
		exit(1);
	}
	ws_config_free(cfg);
	free(text);
	return r;
}

struct stmt {
	const char *name, *q;
	size_t len;
	struct ws_verdict v;
};

static unsigned run_once(const struct stmt *s, unsigned long iters)
{
	unsigned acc = 0;

	for (unsigned long i = 0; i < iters; i++) {
		struct ws_rules *r = ws_rules_acquire();
		struct ws_rule_result res;

		if (r) {
			ws_rules_match(r, s->q, s->len, &s->v, "app", "shop", &res);
			acc += res.decision;
			ws_rules_release(r);
			ws_rules_done(&res);
		}
		acc++;
	}
	return acc;
}

static double bench(const struct stmt *s, int runs, double run_ns)
{
	double t[64], t0, per = 0;
	unsigned long iters = 1;

	for (;;) {
		t0 = now_ns();
		sink += run_once(s, iters);
		per = (now_ns() - t0) / (double)iters;
		if (per * (double)iters >= run_ns / 10 || iters > (1ul << 30))
			break;
		iters *= 2;
	}
	iters = (unsigned long)(run_ns / (per > 0 ? per : 1)) + 1;
	for (int r = 0; r < runs; r++) {
		t0 = now_ns();
		sink += run_once(s, iters);
		t[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	return t[runs / 2];
}

int main(int argc, char **argv)
{
	static struct stmt stmts[] = {
		{ "point select (sysbench)", "SELECT c FROM sbtest1 WHERE id=42", 0, { 0 } },
		{ "ORM select (Django)",
		  "SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login`, "
		  "`auth_user`.`is_superuser`, `auth_user`.`username`, `auth_user`.`first_name`, "
		  "`auth_user`.`last_name`, `auth_user`.`email`, `auth_user`.`is_staff`, `auth_user`.`is_active`, "
		  "`auth_user`.`date_joined` FROM `auth_user` WHERE `auth_user`.`username` = 'alice' LIMIT 21", 0, { 0 } },
		{ "insert (sysbench)",
		  "INSERT INTO sbtest1 (id, k, c, pad) VALUES (5013, 4992, '83868641912-28773972837-60736120486-"
		  "75162659906-27563526494', '67847967377-48000963322-62604785301-91415491898-96926520291')", 0, { 0 } },
		{ "update", "UPDATE sbtest1 SET k=k+1 WHERE id=42", 0, { 0 } },
		{ "delete with WHERE", "DELETE FROM t7 WHERE id = 42", 0, { 0 } },
		{ "unbounded delete (decided)", "DELETE FROM t0", 0, { 0 } },
	};
	static const int counts[] = { 0, 10, 100 };
	double run_ns = 40e6, fig[3][sizeof(stmts) / sizeof(stmts[0])];
	size_t n_stmts = sizeof(stmts) / sizeof(stmts[0]);
	int runs = 5;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			run_ns = 4e6;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
	}
	if (runs < 1)
		runs = 1;
	if (runs > 64)
		runs = 64;
	for (size_t k = 0; k < n_stmts; k++) {
		stmts[k].len = strlen(stmts[k].q);
		ws_classify(stmts[k].q, stmts[k].len, &stmts[k].v);
	}
	for (int c = 0; c < 3; c++) {
		/* 0 rules: nothing installed — the cost with no [rule] in the file. */
		ws_rules_install(counts[c] ? make_rules(counts[c]) : NULL);
		for (size_t k = 0; k < n_stmts; k++)
			fig[c][k] = bench(&stmts[k], runs, run_ns);
	}
	ws_rules_install(NULL);

	printf("query rules: acquire + match + release + done, ns per statement, median of %d runs (~%.0f ms each)\n\n",
	       runs, run_ns / 1e6);
	printf("| %-28s | %7s | %9s | %9s | %9s |\n", "statement", "bytes", "0 rules", "10 rules", "100 rules");
	printf("|------------------------------|---------|-----------|-----------|-----------|\n");
	for (size_t k = 0; k < n_stmts; k++)
		printf("| %-28s | %7zu | %9.1f | %9.1f | %9.1f |\n", stmts[k].name, stmts[k].len, fig[0][k],
		       fig[1][k], fig[2][k]);
	return sink == 0xdeadbeef; /* never: keeps the sink alive */
}
