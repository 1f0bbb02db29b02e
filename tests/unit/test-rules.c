/*
 * test-rules.c — query rules (lib/rules.c) and statistics (lib/stats.c):
 * compiling (bad regexes with file:line, the rest loads), matching by kind,
 * user, database and regex, priority and continue, fail messages, routes, the
 * limit semaphore under threads (slots, queue timeout, queue full), swapping
 * the active set while threads match, reloading the file, the stats JSON and
 * the stats socket. No server.
 */
#include <CUnit/Basic.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ck_pr.h>

#include "ws-build.h"
#include "classify.h"
#include "config.h"
#include "failover.h"
#include "global.h"
#include "rules.h"
#include "stats.h"
#include "topology.h"
#include "wescale.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];
static char conf_path[128];

static uint64_t now_ms(void)
{
	return ws_now_us() / 1000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct ws_config *load(const char *text)
{
	struct ws_config *cfg = NULL;

	CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", text, strlen(text), &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	for (size_t i = 0; i < cfg->n_errors; i++)
		fprintf(stderr, "    config error: %s\n", cfg->errors[i]);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	return cfg;
}

static void free_errors(char **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i]);
	free(e);
}

/* Compile a config text that must have no errors at all. */
static struct ws_rules *compile(const char *text)
{
	struct ws_config *cfg = load(text);
	struct ws_rules *r = NULL;
	char **errors = NULL;
	size_t n_errors = 0;

	CU_ASSERT_EQUAL(ws_rules_compile(cfg, &r, &errors, &n_errors), 0);
	CU_ASSERT_EQUAL(n_errors, 0);
	for (size_t i = 0; i < n_errors; i++)
		fprintf(stderr, "    rules error: %s\n", errors[i]);
	free_errors(errors, n_errors);
	ws_config_free(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

static struct ws_rule_result match(struct ws_rules *r, const char *q, const char *user, const char *db)
{
	struct ws_rule_result res;
	struct ws_verdict v;

	ws_classify(q, strlen(q), &v);
	CU_ASSERT_EQUAL(ws_rules_match(r, q, strlen(q), &v, user, db, &res), 0);
	return res;
}

struct rule_count {
	const char *name;
	struct ws_rule_stats st;
	bool found;
};

static void find_rule(const struct ws_rule_stats *st, void *ctx)
{
	struct rule_count *rc = ctx;

	if (strcmp(st->name, rc->name) == 0) {
		rc->st = *st;
		rc->found = true;
	}
}

/* Counters of an installed rule. */
static struct ws_rule_stats counters(const char *name)
{
	struct rule_count rc = { .name = name };

	ws_rules_foreach_stats(find_rule, &rc);
	CU_ASSERT(rc.found);
	return rc.st;
}

/* ---- compiling ---------------------------------------------------------- */

static const char bad_regex_conf[] =
	"[rule good1]\n"                          /* 1 */
	"priority = 1\n"
	"query_regex = ^delete\n"
	"action = fail\n"
	"\n"                                      /* 5 */
	"[rule bad]\n"
	"priority = 2\n"
	"action = fail\n"
	"query_regex = (unclosed\n"               /* 9 */
	"\n"
	"[rule good2]\n"
	"priority = 3\n"
	"query_regex = ^update\n"
	"action = route\n"
	"route = primary\n"
	"\n"
	"[rule bad2]\n"
	"query_regex = a{2,1}\n"                  /* 18 */
	"action = continue\n";

static void test_compile_errors(void)
{
	struct ws_config *cfg = load(bad_regex_conf);
	struct ws_rules *r = NULL;
	struct ws_rule_result res;
	char **errors = NULL;
	size_t n_errors = 0;

	CU_ASSERT_EQUAL(ws_rules_compile(cfg, &r, &errors, &n_errors), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(n_errors, 2);
	CU_ASSERT_STRING_EQUAL(errors[0], "<string>:9: rule bad: query_regex: missing closing parenthesis at offset 9");
	CU_ASSERT_STRING_EQUAL(errors[1],
			       "<string>:18: rule bad2: query_regex: numbers out of order in {} quantifier at offset 5");
	CU_ASSERT_EQUAL(ws_rules_count(r), 2);
	res = match(r, "DELETE FROM t", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_FAIL);
	res = match(r, "update t set a=1", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_ROUTE);
	res = match(r, "(unclosed", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	free_errors(errors, n_errors);
	ws_rules_free(r);
	ws_config_free(cfg);
}

/* From a file: the message names the file and the line. */
static void test_compile_errors_file(void)
{
	char path[160], want[256];
	struct ws_config *cfg = NULL;
	struct ws_rules *r = NULL;
	char **errors = NULL;
	size_t n_errors = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad-regex.conf", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(bad_regex_conf, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(ws_rules_compile(cfg, &r, &errors, &n_errors), 0);
	CU_ASSERT_EQUAL_FATAL(n_errors, 2);
	snprintf(want, sizeof(want), "%s:9: rule bad: query_regex: missing closing parenthesis at offset 9", path);
	CU_ASSERT_STRING_EQUAL(errors[0], want);
	CU_ASSERT_EQUAL(ws_rules_count(r), 2);
	free_errors(errors, n_errors);
	ws_rules_free(r);
	ws_config_free(cfg);
	unlink(path);
}

static void test_no_rules(void)
{
	struct ws_config *cfg = load("[global]\nlog_level = warn\n");
	struct ws_rules *r = NULL;
	struct ws_rule_result res;
	char **errors = NULL;
	size_t n_errors = 0;

	CU_ASSERT_EQUAL(ws_rules_compile(cfg, &r, &errors, &n_errors), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(ws_rules_count(r), 0);
	/* An empty set is installed as none. */
	ws_rules_install(r);
	CU_ASSERT_PTR_NULL(ws_rules_acquire());
	ws_rules_release(NULL);
	/* A NULL set passes everything. */
	CU_ASSERT_EQUAL(ws_rules_match(NULL, "DELETE FROM t", 13, NULL, NULL, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	CU_ASSERT_EQUAL(res.consistency, -1);
	CU_ASSERT_PTR_NULL(res.held);
	ws_rules_done(&res);
	ws_rules_done(NULL);
	ws_rules_free(NULL);
	CU_ASSERT_EQUAL(ws_rules_count(NULL), 0);
	ws_config_free(cfg);
}

/* ---- matching ----------------------------------------------------------- */

static void test_match_conditions(void)
{
	struct ws_rules *r = compile(
		"[rule del_unbounded]\n"
		"priority = 10\n"
		"match_kind = delete\n"
		"query_regex = ^\\s*delete\\s+from\\s+[`\\w.]+\\s*;?\\s*$\n"
		"action = fail\n"
		"error_message = unbounded DELETE is not allowed\n"
		"[rule app_only]\n"
		"priority = 20\n"
		"match_kind = update\n"
		"user = app\n"
		"action = fail\n"
		"[rule shop_only]\n"
		"priority = 30\n"
		"match_kind = insert\n"
		"database = shop\n"
		"action = fail\n"
		"[rule others]\n"
		"priority = 40\n"
		"match_kind = other\n"
		"action = route\n"
		"route = replica\n"
		"[rule sets]\n"
		"priority = 50\n"
		"match_kind = set\n"
		"action = route\n"
		"route = primary\n");
	static const struct {
		const char *q, *user, *db;
		enum ws_rule_decision want;
	} cases[] = {
		{ "DELETE FROM t", NULL, NULL, WS_RULE_DO_FAIL },
		{ "  delete from `shop`.`t` ; ", NULL, NULL, WS_RULE_DO_FAIL },
		{ "DELETE FROM t WHERE id = 1", NULL, NULL, WS_RULE_PASS },
		{ "SELECT * FROM t WHERE a = 'DELETE FROM t'", NULL, NULL, WS_RULE_PASS },
		{ "UPDATE t SET a = 1", "app", NULL, WS_RULE_DO_FAIL },
		{ "UPDATE t SET a = 1", "App", NULL, WS_RULE_PASS },
		{ "UPDATE t SET a = 1", NULL, NULL, WS_RULE_PASS },
		{ "INSERT INTO t VALUES (1)", "app", "shop", WS_RULE_DO_FAIL },
		{ "INSERT INTO t VALUES (1)", "app", "shop2", WS_RULE_PASS },
		{ "INSERT INTO t VALUES (1)", "app", NULL, WS_RULE_PASS },
		{ "SHOW TABLES", NULL, NULL, WS_RULE_DO_ROUTE },
		{ "BEGIN", NULL, NULL, WS_RULE_DO_ROUTE },
		{ "CALL p()", NULL, NULL, WS_RULE_DO_ROUTE },
		{ "SELECT 1", NULL, NULL, WS_RULE_PASS },
		{ "SET NAMES utf8mb4", NULL, NULL, WS_RULE_DO_ROUTE },
		{ "CREATE TABLE x (a int)", NULL, NULL, WS_RULE_PASS },
		{ "", NULL, NULL, WS_RULE_DO_ROUTE }, /* empty text is kind other */
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct ws_rule_result res = match(r, cases[i].q, cases[i].user, cases[i].db);

		if (res.decision != cases[i].want)
			fprintf(stderr, "    case %zu (%s): got %s\n", i, cases[i].q,
				ws_rule_decision_to_string(res.decision));
		CU_ASSERT_EQUAL(res.decision, cases[i].want);
	}
	/* Routes. */
	CU_ASSERT_EQUAL(match(r, "SHOW TABLES", NULL, NULL).route, WESCALE_ROUTE_REPLICA);
	CU_ASSERT_EQUAL(match(r, "SET NAMES utf8mb4", NULL, NULL).route, WESCALE_ROUTE_PRIMARY);
	CU_ASSERT_EQUAL(match(r, "SELECT 1", NULL, NULL).route, WESCALE_ROUTE_AUTO);
	ws_rules_free(r);
}

/* Without a verdict the kind is classified here; the regex is case-insensitive
 * and never looks past len. */
static void test_match_no_verdict_and_len(void)
{
	struct ws_rules *r = compile("[rule del_exact]\n"
				     "match_kind = delete\n"
				     "query_regex = ^delete from t$\n"
				     "action = fail\n");
	static const char text[] = "dElEtE FROM t WHERE id = 1";
	struct ws_rule_result res;

	CU_ASSERT_EQUAL(ws_rules_match(r, text, 13, NULL, NULL, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_FAIL);
	CU_ASSERT_EQUAL(res.error_code, WESCALE_ER_RULE_FAIL);
	CU_ASSERT_STRING_EQUAL(res.message, "query blocked by rule del_exact");
	CU_ASSERT_EQUAL(ws_rules_match(r, text, strlen(text), NULL, NULL, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	CU_ASSERT_EQUAL(ws_rules_match(r, NULL, 0, NULL, NULL, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	ws_rules_free(r);
}

static void test_priority_and_continue(void)
{
	struct ws_rules *r = compile(
		"[rule late_fail]\n"
		"priority = 50\n"
		"query_regex = ^select\n"
		"action = fail\n"
		"error_message = late\n"
		"[rule count_selects]\n"
		"priority = 5\n"
		"query_regex = ^select\n"
		"action = continue\n"
		"consistency = eventual\n"
		"log = on\n"
		"[rule early_fail]\n"
		"priority = 10\n"
		"query_regex = from orders\n"
		"action = fail\n"
		"error_message = early\n"
		"[rule tie_first]\n"
		"priority = 60\n"
		"query_regex = ^insert\n"
		"action = route\n"
		"route = replica\n"
		"consistency = primary\n"
		"[rule tie_second]\n"
		"priority = 60\n"
		"query_regex = ^insert\n"
		"action = fail\n");
	struct ws_rule_result res;

	ws_rules_install(r);
	r = ws_rules_acquire();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	res = match(r, "SELECT * FROM orders", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_FAIL);
	CU_ASSERT_STRING_EQUAL(res.message, "early");
	CU_ASSERT_EQUAL(res.consistency, WESCALE_CONSISTENCY_EVENTUAL);
	res = match(r, "SELECT * FROM items", NULL, NULL);
	CU_ASSERT_STRING_EQUAL(res.message, "late");
	/* Equal priorities: file order. The deciding rule's consistency wins. */
	res = match(r, "INSERT INTO t VALUES (1)", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_ROUTE);
	CU_ASSERT_EQUAL(res.route, WESCALE_ROUTE_REPLICA);
	CU_ASSERT_EQUAL(res.consistency, WESCALE_CONSISTENCY_PRIMARY);
	res = match(r, "UPDATE t SET a = 1", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	CU_ASSERT_EQUAL(res.consistency, -1);
	CU_ASSERT_EQUAL(counters("count_selects").hits, 2);
	CU_ASSERT_EQUAL(counters("count_selects").fails, 0);
	CU_ASSERT_EQUAL(counters("early_fail").hits, 1);
	CU_ASSERT_EQUAL(counters("early_fail").fails, 1);
	CU_ASSERT_EQUAL(counters("late_fail").fails, 1);
	CU_ASSERT_EQUAL(counters("tie_first").hits, 1);
	CU_ASSERT_EQUAL(counters("tie_second").hits, 0);
	ws_rules_release(r);
	ws_rules_install(NULL);
}

/* A continue rule with consistency = and no deciding rule: PASS with it. */
static void test_continue_consistency(void)
{
	struct ws_rules *r = compile("[rule c1]\n"
				     "query_regex = report\n"
				     "action = continue\n"
				     "consistency = global\n"
				     "[rule c2]\n"
				     "query_regex = daily\n"
				     "action = continue\n"
				     "consistency = eventual\n");
	struct ws_rule_result res = match(r, "SELECT * FROM report", NULL, NULL);

	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	CU_ASSERT_EQUAL(res.consistency, WESCALE_CONSISTENCY_GLOBAL);
	/* Both match: the later one (in priority order) overrides. */
	res = match(r, "SELECT * FROM daily_report", NULL, NULL);
	CU_ASSERT_EQUAL(res.consistency, WESCALE_CONSISTENCY_EVENTUAL);
	ws_rules_free(r);
}

static void test_fail_message(void)
{
	char conf[1024], longmsg[400];
	struct ws_rules *r;
	struct ws_rule_result res;

	memset(longmsg, 'x', 300);
	memcpy(longmsg + 253, "\xc3\xa9\xc3\xa9", 4); /* é é across the 255-byte boundary */
	longmsg[300] = '\0';
	snprintf(conf, sizeof(conf),
		 "[rule no_truncate]\nmatch_kind = ddl\nquery_regex = ^truncate\naction = fail\n"
		 "error_message = \"TRUNCATE is not allowed here; use DELETE with a WHERE\"\n"
		 "[rule long_msg]\nquery_regex = ^drop\naction = fail\nerror_message = %s\n", longmsg);
	r = compile(conf);
	res = match(r, "TRUNCATE TABLE t", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_FAIL);
	CU_ASSERT_EQUAL(res.error_code, 2905);
	CU_ASSERT_STRING_EQUAL(res.message, "TRUNCATE is not allowed here; use DELETE with a WHERE");
	CU_ASSERT_PTR_NULL(res.held);
	res = match(r, "DROP TABLE t", NULL, NULL);
	/* 253 x's and one whole é (2 bytes) fit in 255; the next é would not. */
	CU_ASSERT_EQUAL(strlen(res.message), 255);
	CU_ASSERT_EQUAL(memcmp(res.message + 253, "\xc3\xa9", 2), 0);
	ws_rules_free(r);
}

static void test_route(void)
{
	struct ws_rules *r = compile("[rule to_primary]\nquery_regex = ^select .* for_primary\naction = route\n"
				     "route = primary\n"
				     "[rule to_replica]\nquery_regex = ^select .* from report_\naction = route\n"
				     "route = replica\nconsistency = eventual\n"
				     "[rule to_addr]\nquery_regex = analytics\naction = route\n"
				     "route = 10.0.0.9:3307\n"
				     "[rule to_socket]\nquery_regex = local_only\naction = route\n"
				     "route = unix:/run/mysqld/mysqld.sock\n");
	struct ws_rule_result res = match(r, "SELECT a FROM for_primary", NULL, NULL);

	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_ROUTE);
	CU_ASSERT_EQUAL(res.route, WESCALE_ROUTE_PRIMARY);
	CU_ASSERT_PTR_NULL(res.addr);
	res = match(r, "select sum(x) from report_daily", NULL, NULL);
	CU_ASSERT_EQUAL(res.route, WESCALE_ROUTE_REPLICA);
	CU_ASSERT_EQUAL(res.consistency, WESCALE_CONSISTENCY_EVENTUAL);
	res = match(r, "SELECT * FROM analytics.t", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_ROUTE);
	CU_ASSERT_EQUAL(res.route, -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.addr);
	CU_ASSERT_STRING_EQUAL(res.addr->host, "10.0.0.9");
	CU_ASSERT_EQUAL(res.addr->port, 3307);
	res = match(r, "SELECT local_only()", NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.addr);
	CU_ASSERT(res.addr->is_socket);
	CU_ASSERT_STRING_EQUAL(res.addr->host, "/run/mysqld/mysqld.sock");
	ws_rules_free(r);
}

/* A catastrophic regex gives up (no match) instead of hanging. */
static void test_match_limit(void)
{
	struct ws_rules *r = compile("[rule evil]\nquery_regex = \"^(a+)+$\"\naction = fail\n");
	char q[4096];
	struct ws_rule_result res;
	uint64_t t0 = now_ms();

	memset(q, 'a', sizeof(q) - 2);
	q[sizeof(q) - 2] = 'b';
	q[sizeof(q) - 1] = '\0';
	CU_ASSERT_EQUAL(ws_rules_match(r, q, strlen(q), NULL, NULL, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_PASS);
	CU_ASSERT(now_ms() - t0 < 5000);
	ws_rules_free(r);
}

/* ---- the limit semaphore ------------------------------------------------ */

struct limit_ctx {
	struct ws_rules *r;
	pthread_barrier_t barrier;
	unsigned hold_ms;
	int running, peak;
	int passed, failed_limit, n;
	uint64_t fail_ms_max;
};

static void waiting_of(const struct ws_rule_stats *st, void *ctx)
{
	if (strcmp(st->name, "lim_sleep") == 0)
		*(uint64_t *)ctx = st->waiting;
}

/* Threads that hold a slot, wait for one, or are done (no CUnit asserts:
 * called from worker threads). */
static int accounted(struct limit_ctx *c)
{
	uint64_t waiting = 0;

	ws_rules_foreach_stats(waiting_of, &waiting);
	return ck_pr_load_int(&c->running) + ck_pr_load_int(&c->passed) + (int)waiting;
}

static void *limit_worker(void *arg)
{
	struct limit_ctx *c = arg;
	struct ws_rule_result res;
	uint64_t t0;

	pthread_barrier_wait(&c->barrier);
	t0 = now_ms();
	ws_rules_match(c->r, "SELECT SLEEP(0.2)", 17, NULL, NULL, NULL, &res);
	if (res.decision == WS_RULE_PASS && res.held) {
		int now = ck_pr_faa_int(&c->running, 1) + 1, peak = ck_pr_load_int(&c->peak);

		uint64_t until = now_ms() + 5000;

		while (now > peak && !ck_pr_cas_int_value(&c->peak, peak, now, &peak))
			;
		/* Hold the slot until every thread runs, waits or is done, so
		 * that exactly 8 - 2 had to queue, however slow the machine. */
		while (now_ms() < until && accounted(c) < c->n)
			sleep_ms(1);
		sleep_ms(c->hold_ms);
		ck_pr_dec_int(&c->running);
		ws_rules_done(&res);
		ck_pr_inc_int(&c->passed);
	} else if (res.decision == WS_RULE_DO_FAIL && res.error_code == WESCALE_ER_RULE_LIMIT) {
		uint64_t dt = now_ms() - t0;

		ck_pr_inc_int(&c->failed_limit);
		if (dt > ck_pr_load_64(&c->fail_ms_max))
			ck_pr_store_64(&c->fail_ms_max, dt);
	}
	return NULL;
}

static void run_limit(struct limit_ctx *c, int n)
{
	pthread_t th[16];

	pthread_barrier_init(&c->barrier, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, limit_worker, c), 0);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&c->barrier);
}

/* 8 threads, 2 slots, room for everyone in the queue: never more than 2 at once,
 * everyone runs in the end, 6 had to wait. */
static void test_limit_concurrency(void)
{
	struct limit_ctx c = { .hold_ms = 20, .n = 8 };

	c.r = compile("[rule lim_sleep]\nquery_regex = sleep\naction = limit\nmax_concurrency = 2\n"
		      "max_queue = 8\nqueue_timeout_ms = 10000\n");
	ws_rules_install(c.r);
	c.r = ws_rules_acquire();
	run_limit(&c, 8);
	CU_ASSERT_EQUAL(c.peak, 2);
	CU_ASSERT_EQUAL(c.passed, 8);
	CU_ASSERT_EQUAL(c.failed_limit, 0);
	CU_ASSERT_EQUAL(counters("lim_sleep").hits, 8);
	CU_ASSERT_EQUAL(counters("lim_sleep").queued, 6);
	CU_ASSERT_EQUAL(counters("lim_sleep").rejected, 0);
	CU_ASSERT_EQUAL(counters("lim_sleep").inflight, 0);
	CU_ASSERT_EQUAL(counters("lim_sleep").waiting, 0);
	CU_ASSERT_EQUAL(counters("lim_sleep").max_concurrency, 2);
	ws_rules_release(c.r);
	ws_rules_install(NULL);
}

struct waiter_arg {
	struct ws_rules *r;
	struct ws_rule_result res;
	uint64_t ms;
};

static void *waiter(void *arg)
{
	struct waiter_arg *w = arg;
	uint64_t t0 = now_ms();

	ws_rules_match(w->r, "SELECT SLEEP(1)", 15, NULL, NULL, NULL, &w->res);
	w->ms = now_ms() - t0;
	ws_rules_done(&w->res);
	return NULL;
}

/* Both slots held: 6 statements wait queue_timeout_ms and fail; while they
 * wait, the queue is full and 2 more fail at once. The exact messages.
 * (queue_timeout_ms is long enough for all 6 to queue even under valgrind.) */
static void test_limit_timeout_and_queue_full(void)
{
	struct ws_rules *r = compile("[rule lim_q]\nquery_regex = sleep\naction = limit\nmax_concurrency = 2\n"
				     "max_queue = 6\nqueue_timeout_ms = 2000\n");
	struct ws_rule_result held[2];
	struct waiter_arg w[8];
	pthread_t th[8];
	uint64_t deadline;

	ws_rules_install(r);
	r = ws_rules_acquire();
	for (int i = 0; i < 2; i++) {
		ws_rules_match(r, "select sleep(5)", 15, NULL, NULL, NULL, &held[i]);
		CU_ASSERT_EQUAL(held[i].decision, WS_RULE_PASS);
		CU_ASSERT_PTR_NOT_NULL(held[i].held);
	}
	for (int i = 0; i < 6; i++) {
		w[i] = (struct waiter_arg){ .r = r };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, waiter, &w[i]), 0);
	}
	deadline = now_ms() + 1500;
	while (counters("lim_q").waiting < 6 && now_ms() < deadline)
		sleep_ms(1);
	CU_ASSERT_EQUAL_FATAL(counters("lim_q").waiting, 6);
	for (int i = 6; i < 8; i++) {
		w[i] = (struct waiter_arg){ .r = r };
		waiter(&w[i]);
		CU_ASSERT_EQUAL(w[i].res.decision, WS_RULE_DO_FAIL);
		CU_ASSERT_EQUAL(w[i].res.error_code, WESCALE_ER_RULE_LIMIT);
		CU_ASSERT_EQUAL(w[i].res.error_code, 2906);
		CU_ASSERT_STRING_EQUAL(w[i].res.message,
				       "wescale: rule 'lim_q': 2 statements already running (max_concurrency = 2) "
				       "and 6 waiting (max_queue = 6); statement rejected");
		CU_ASSERT(w[i].ms < 100);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(w[i].res.decision, WS_RULE_DO_FAIL);
		CU_ASSERT_EQUAL(w[i].res.error_code, WESCALE_ER_RULE_LIMIT);
		CU_ASSERT_STRING_EQUAL(w[i].res.message,
				       "wescale: rule 'lim_q': no free slot (max_concurrency = 2) within "
				       "queue_timeout_ms = 2000; statement rejected");
		CU_ASSERT(w[i].ms >= 1995 && w[i].ms < 20000);
	}
	CU_ASSERT_EQUAL(counters("lim_q").hits, 10);
	CU_ASSERT_EQUAL(counters("lim_q").queued, 6);
	CU_ASSERT_EQUAL(counters("lim_q").rejected, 8);
	CU_ASSERT_EQUAL(counters("lim_q").inflight, 2);
	CU_ASSERT_EQUAL(counters("lim_q").waiting, 0);
	ws_rules_done(&held[0]);
	ws_rules_done(&held[0]); /* twice: no-op */
	ws_rules_done(&held[1]);
	CU_ASSERT_EQUAL(counters("lim_q").inflight, 0);
	ws_rules_release(r);
	ws_rules_install(NULL);
}

/* A waiter gets the slot as soon as one is given back, not at its timeout. */
static void test_limit_wakeup(void)
{
	struct ws_rules *r = compile("[rule lim_wake]\nquery_regex = sleep\naction = limit\nmax_concurrency = 1\n"
				     "max_queue = 1\nqueue_timeout_ms = 10000\n");
	struct ws_rule_result held;
	struct waiter_arg w = { .r = r };
	pthread_t th;

	ws_rules_match(r, "sleep", 5, NULL, NULL, NULL, &held);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held.held);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, waiter, &w), 0);
	sleep_ms(100);
	ws_rules_done(&held);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(w.res.decision, WS_RULE_PASS);
	/* Woken when the slot came back (~100 ms after it started waiting, less
	 * if the thread started late), never at its 10 s timeout. */
	CU_ASSERT(w.ms < 2000);
	ws_rules_free(r);
}

/* max_queue = 0 (the default): no waiting at all. A limit rule that also
 * routes gives DO_ROUTE with the slot. */
static void test_limit_no_queue(void)
{
	struct ws_rules *r = compile("[rule lim_nq]\nquery_regex = ^select\naction = limit\nmax_concurrency = 1\n"
				     "consistency = eventual\n");
	struct ws_rule_result a, b;
	uint64_t t0;

	ws_rules_match(r, "select 1", 8, NULL, NULL, NULL, &a);
	CU_ASSERT_EQUAL(a.decision, WS_RULE_PASS);
	CU_ASSERT_EQUAL(a.consistency, WESCALE_CONSISTENCY_EVENTUAL);
	t0 = now_ms();
	ws_rules_match(r, "select 2", 8, NULL, NULL, NULL, &b);
	CU_ASSERT(now_ms() - t0 < 100);
	CU_ASSERT_EQUAL(b.decision, WS_RULE_DO_FAIL);
	CU_ASSERT_STRING_EQUAL(b.message, "wescale: rule 'lim_nq': 1 statements already running "
					  "(max_concurrency = 1) and 0 waiting (max_queue = 0); statement rejected");
	ws_rules_done(&a);
	ws_rules_match(r, "select 3", 8, NULL, NULL, NULL, &b);
	CU_ASSERT_EQUAL(b.decision, WS_RULE_PASS);
	ws_rules_done(&b);
	ws_rules_free(r);
}

/* A slot taken under one set is given back after that set was replaced and
 * freed; the new set with the same rule name shares the semaphore. */
static void test_limit_across_reinstall(void)
{
	const char *conf = "[rule lim_re]\nquery_regex = x\naction = limit\nmax_concurrency = 1\n";
	struct ws_rules *r1 = compile(conf), *r2, *cur;
	struct ws_rule_result a, b;

	ws_rules_install(r1);
	cur = ws_rules_acquire();
	ws_rules_match(cur, "x", 1, NULL, NULL, NULL, &a);
	ws_rules_release(cur);
	CU_ASSERT_PTR_NOT_NULL(a.held);
	r2 = compile(conf);
	ws_rules_install(r2);            /* r1 is freed once this thread lets go */
	cur = ws_rules_acquire();
	CU_ASSERT_PTR_EQUAL(cur, r2);
	ws_rules_match(cur, "x", 1, NULL, NULL, NULL, &b);
	CU_ASSERT_EQUAL(b.decision, WS_RULE_DO_FAIL);
	ws_rules_done(&a);
	ws_rules_match(cur, "x", 1, NULL, NULL, NULL, &b);
	CU_ASSERT_EQUAL(b.decision, WS_RULE_PASS);
	ws_rules_done(&b);
	ws_rules_release(cur);
	ws_rules_install(NULL);
}

/* ---- publication under concurrency -------------------------------------- */

struct swap_ctx {
	int stop;
	uint64_t matches, bad;
};

static void *swap_matcher(void *arg)
{
	struct swap_ctx *c = arg;

	while (!ck_pr_load_int(&c->stop)) {
		struct ws_rules *r = ws_rules_acquire();
		struct ws_rule_result res;

		if (r) {
			/* Nested acquire, as a re-entrant path would do. */
			struct ws_rules *inner = ws_rules_acquire();

			ws_rules_match(r, "DELETE FROM t", 13, NULL, "app", "shop", &res);
			if (res.decision == WS_RULE_DO_FAIL ? strcmp(res.message, "swap A") != 0
			    : res.decision == WS_RULE_DO_ROUTE ? res.route != WESCALE_ROUTE_PRIMARY
			    : true)
				ck_pr_inc_64(&c->bad);
			ws_rules_done(&res);
			if (inner)
				ws_rules_match(inner, "select 1", 8, NULL, NULL, NULL, &res);
			ws_rules_release(inner);
			ws_rules_release(r);
		}
		ck_pr_inc_64(&c->matches);
	}
	return NULL;
}

static void test_swap_while_matching(void)
{
	struct swap_ctx c = { 0 };
	pthread_t th[4];
	struct ws_config *cfg_a = load("[rule swap_a]\nquery_regex = ^delete\nuser = app\naction = fail\n"
				       "error_message = swap A\n[rule swap_lim]\nquery_regex = ^select\n"
				       "action = limit\nmax_concurrency = 100\n");
	struct ws_config *cfg_b = load("[rule swap_b]\nmatch_kind = delete\ndatabase = shop\naction = route\n"
				       "route = primary\n");

	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, swap_matcher, &c), 0);
	for (int i = 0; i < 1000; i++) {
		struct ws_rules *r = NULL;

		CU_ASSERT_EQUAL(ws_rules_compile(i % 3 == 2 ? NULL : i % 2 ? cfg_b : cfg_a, &r, NULL, NULL), 0);
		ws_rules_install(r);
		if (i % 100 == 0)
			sleep_ms(1);
	}
	ws_rules_install(NULL);
	sleep_ms(10);
	ck_pr_store_int(&c.stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(c.bad, 0);
	CU_ASSERT(c.matches > 1000);
	CU_ASSERT_PTR_NULL(ws_rules_acquire());
	ws_config_free(cfg_a);
	ws_config_free(cfg_b);
}

/* ---- logging ------------------------------------------------------------ */

struct log_capture {
	char last[512];
	int n;
};

static struct log_capture captured;

static void capture(int level, const char *message, void *userdata)
{
	(void)level;
	(void)userdata;
	snprintf(captured.last, sizeof(captured.last), "%s", message);
	captured.n++;
}

static void test_log_on(void)
{
	struct ws_rules *r = compile("[rule logged]\nquery_regex = secret_table\naction = continue\nlog = on\n");
	struct ws_rule_result res;

	captured.n = 0;
	wescale_set_log_callback(capture, NULL);
	ws_rules_match(r, "SELECT *\nFROM secret_table", 26, NULL, NULL, NULL, &res);
	wescale_set_log_callback(NULL, NULL);
	CU_ASSERT_EQUAL(captured.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured.last, "rule logged (continue) matched: SELECT * FROM secret_table"));
	ws_rules_free(r);

	/* Secrets in the statement are not logged (log.c redacts every line). */
	r = compile("[rule users]\nquery_regex = (?i)identified|password\naction = continue\nlog = on\n");
	captured.n = 0;
	wescale_set_log_callback(capture, NULL);
	{
		static const char *const stmts[] = {
			"CREATE USER u IDENTIFIED BY 'hunter2'",
			"ALTER USER u IDENTIFIED VIA ed25519 USING PASSWORD(\"hunter2\")",
			"CHANGE MASTER TO MASTER_PASSWORD = 'hunter2'",
			"SET PASSWORD FOR u = PASSWORD('hunter2')",
		};

		for (size_t i = 0; i < 4; i++) {
			ws_rules_match(r, stmts[i], strlen(stmts[i]), NULL, NULL, NULL, &res);
			CU_ASSERT_PTR_NULL(strstr(captured.last, "hunter2"));
			CU_ASSERT_PTR_NOT_NULL(strstr(captured.last, "***"));
		}
	}
	wescale_set_log_callback(NULL, NULL);
	CU_ASSERT_EQUAL(captured.n, 4);
	ws_rules_free(r);
}

/* ---- stats JSON --------------------------------------------------------- */

/* A strict JSON syntax check (RFC 8259), enough to catch what a writer gets
 * wrong: commas, quoting, escapes, nesting. Returns the end or NULL. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *json_value(const char *p, int depth)
{
	p = json_ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = json_string(json_ws(p))))
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = json_value(p, depth + 1)))
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static bool json_valid(const char *s)
{
	const char *end = json_value(s, 0);

	return end && *json_ws(end) == '\0';
}

/* python3 -m json.tool, when python3 is there. */
static void json_tool_check(const char *json)
{
	FILE *p;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;
	p = popen("python3 -m json.tool >/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	fputs(json, p);
	CU_ASSERT_EQUAL(pclose(p), 0);
}

static const char stats_conf[] =
	"[global]\n"
	"log_level = error\n"
	"[cluster main]\n"
	"primary = 127.0.0.1:1\n"
	"replicas = 127.0.0.1:2, unix:/tmp/ws-none.sock\n"
	"[rule st_fail]\n"
	"priority = 1\n"
	"match_kind = delete\n"
	"query_regex = ^delete from [a-z]+$\n"
	"action = fail\n"
	"[rule st_count]\n"
	"priority = 2\n"
	"query_regex = ^select\n"
	"action = continue\n";

static void write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_stats_json(void)
{
	/* Start-up, as the first connect would run it (reads WESCALE_CONFIG). */
	const struct ws_config *cfg = ws_global_start();
	struct ws_cluster_rt *rt;
	struct ws_rules *r;
	struct ws_rule_result res;
	char small[16], *buf;
	size_t n;
	int src;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(ws_rules_init(cfg), 0);
	rt = ws_topology_cluster(&cfg->clusters[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	r = ws_rules_acquire();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 7; i++)
		res = match(r, "DELETE FROM t", NULL, NULL);
	for (int i = 0; i < 5; i++)
		res = match(r, "SELECT 1", NULL, NULL);
	(void)res;
	ws_rules_release(r);
	/* Node counters and a known position. */
	ws_node_begin(&rt->primary, ws_now_us());
	ws_node_end(&rt->primary, 250, false);
	ws_node_begin(&rt->replicas[0], ws_now_us());
	ws_node_end(&rt->replicas[0], 100, true);
	ws_node_begin(&rt->replicas[1], ws_now_us());
	ck_pr_store_int(&rt->replicas[0].read_only, 1);
	ck_pr_store_64(&rt->replicas[0].lag_ms, 12);
	src = ws_topology_source("0");
	CU_ASSERT_FATAL(src >= 0);
	ws_wm_raise(&rt->primary.known, src, 100, 1);
	ws_wm_raise(&rt->replicas[0].known, src, 98, 1);
	ck_pr_inc_64(&rt->stats.replica_after_wait);
	ck_pr_store_64(&rt->failovers, 2);
	ck_pr_store_64(&rt->failover_stall_ms, 1500);
	ck_pr_store_64(&rt->lost_writes, 1);

	n = ws_stats_json(NULL, 0);
	CU_ASSERT(n > 100);
	CU_ASSERT_EQUAL(ws_stats_json(small, sizeof(small)), n);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(strncmp(small, "{\"version\":", 11), 0);
	CU_ASSERT_EQUAL(ws_stats_json(small, 1), n);
	CU_ASSERT_EQUAL(small[0], '\0');
	buf = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(wescale_stats_json(buf, n + 1), n);
	CU_ASSERT_EQUAL(strlen(buf), n);
	CU_ASSERT(json_valid(buf));
	json_tool_check(buf);
	if (!json_valid(buf))
		fprintf(stderr, "    %s\n", buf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"version\":\"" WS_VERSION "\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"name\":\"st_fail\",\"action\":\"fail\",\"hits\":7,\"fails\":7,"
					   "\"queued\":0,\"rejected\":0,\"inflight\":0,\"waiting\":0,"
					   "\"max_concurrency\":0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"name\":\"st_count\",\"action\":\"continue\",\"hits\":5,\"fails\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"address\":\"127.0.0.1:1\",\"role\":\"primary\","
					   "\"configured_role\":\"primary\",\"up\":true,\"read_only\":null,"
					   "\"lag_ms\":null,\"behind\":null,\"queries\":1,\"errors\":0,\"inflight\":0,"
					   "\"ewma_rt_us\":250,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"gtid\":\"0-1-100\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"address\":\"127.0.0.1:2\",\"role\":\"replica\","
					   "\"configured_role\":\"replica\",\"up\":true,\"read_only\":true,"
					   "\"lag_ms\":12,\"behind\":null,\"queries\":1,\"errors\":1,\"inflight\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"gtid\":\"0-1-98\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"address\":\"/tmp/ws-none.sock\",\"role\":\"replica\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"inflight\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"consistency_outcomes\":{\"replica_no_wait\":0,\"replica_after_wait\":1,"
					   "\"primary_after_timeout\":0,\"wait_us\":0,\"hints_ignored\":0},\"failovers\":2,"
					   "\"failover_stall_ms\":1500,\"lost_write_detections\":1,\"misrouted\":0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"name\":\"main\",\"flavor\":\"unknown\""));
	ws_node_end(&rt->replicas[1], 10, false);
	/* MySQL flavour: uuid:1-N. */
	ck_pr_store_int(&rt->flavor, 1);
	src = ws_topology_source("3e11fa47-71ca-11e1-9e33-c80aa9429562");
	CU_ASSERT_FATAL(src >= 0);
	ws_wm_raise(&rt->replicas[1].known, src, 77, 0);
	free(buf);
	n = ws_stats_json(NULL, 0);
	buf = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	ws_stats_json(buf, n + 1);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"gtid\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"flavor\":\"mysql\""));
	/* The primary down and a replica writable: roles follow the writer. */
	ck_pr_store_int(&rt->primary.up, 0);
	ck_pr_store_int(&rt->replicas[1].read_only, 0);
	ws_stats_json(buf, n + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"address\":\"127.0.0.1:1\",\"role\":\"replica\","
					   "\"configured_role\":\"primary\",\"up\":false,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"address\":\"/tmp/ws-none.sock\",\"role\":\"primary\","
					   "\"configured_role\":\"replica\",\"up\":true,\"read_only\":false,"));
	ck_pr_store_int(&rt->primary.up, 1);
	ck_pr_store_int(&rt->replicas[1].read_only, -1);
	ck_pr_store_int(&rt->flavor, -1);
	free(buf);
}

/* ---- reload ------------------------------------------------------------- */

static void touch_later(void)
{
	/* mtime granularity: make sure the next write has another mtime. */
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 0 } };
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(stat(conf_path, &st), 0);
	ts[1].tv_sec = st.st_mtim.tv_sec + 1;
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, conf_path, ts, 0), 0);
}

static void test_reload(void)
{
	char text[2048];
	struct ws_rules *r;
	struct ws_rule_result res;

	/* Nothing changed: no reload (the counters stay with the same set). */
	r = ws_rules_acquire();
	ws_rules_reload_if_changed();
	CU_ASSERT_PTR_EQUAL(ws_rules_acquire(), r);
	ws_rules_release(r);
	ws_rules_release(r);

	/* A new rule, noticed by the mtime. */
	snprintf(text, sizeof(text), "%s[rule st_new]\npriority = 0\nquery_regex = ^insert\naction = fail\n"
		 "error_message = inserts are closed\n", stats_conf);
	write_conf(text);
	touch_later();
	ws_rules_reload_if_changed();
	r = ws_rules_acquire();
	CU_ASSERT_EQUAL(ws_rules_count(r), 3);
	res = match(r, "INSERT INTO t VALUES (1)", NULL, NULL);
	CU_ASSERT_EQUAL(res.decision, WS_RULE_DO_FAIL);
	CU_ASSERT_STRING_EQUAL(res.message, "inserts are closed");
	/* Counts kept across the reload by name. */
	CU_ASSERT_EQUAL(counters("st_fail").hits, 7);
	ws_rules_release(r);

	/* A bad regex: that rule is left out, the others load; the call says so. */
	snprintf(text, sizeof(text), "%s[rule st_bad]\nquery_regex = (x\naction = fail\n", stats_conf);
	write_conf(text);
	CU_ASSERT_EQUAL(wescale_reload_config(), WESCALE_ER_CONFIG);
	r = ws_rules_acquire();
	CU_ASSERT_EQUAL(ws_rules_count(r), 2);
	CU_ASSERT_EQUAL(match(r, "INSERT INTO t VALUES (1)", NULL, NULL).decision, WS_RULE_PASS);
	ws_rules_release(r);

	/* A file with errors keeps the current rules. */
	write_conf("[rule broken\naction = fail\n");
	CU_ASSERT_EQUAL(wescale_reload_config(), WESCALE_ER_CONFIG);
	r = ws_rules_acquire();
	CU_ASSERT_EQUAL(ws_rules_count(r), 2);
	ws_rules_release(r);

	/* Cluster changes: rules applied, a warning about the rest. */
	snprintf(text, sizeof(text), "%s", stats_conf);
	*strstr(text, "127.0.0.1:2") = '8';
	strcat(text, "[rule st_more]\nquery_regex = ^replace\naction = fail\n");
	write_conf(text);
	captured.n = 0;
	captured.last[0] = '\0';
	wescale_set_log_level(WESCALE_LOG_WARN);
	wescale_set_log_callback(capture, NULL);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	wescale_set_log_callback(NULL, NULL);
	wescale_set_log_level(WESCALE_LOG_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured.last, "are not applied at run time"));
	r = ws_rules_acquire();
	CU_ASSERT_EQUAL(ws_rules_count(r), 3);
	ws_rules_release(r);

	/* Back to the original file. */
	write_conf(stats_conf);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
}

/* ---- the primary named by an orchestrator ------------------------------- */

/* wescale_set_primary() and a changed `primary =` on reload: who takes writes
 * (the server-side behaviour is in tests/integration/test-set-primary.c). */
static void test_set_primary(void)
{
	const struct ws_config *cfg = ws_global_config();
	const struct ws_cluster *c;
	struct ws_cluster_rt *rt;
	char text[2048];
	int reader;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	c = &cfg->clusters[0];
	rt = ws_topology_cluster(c);
	CU_ASSERT_EQUAL(rt->designated, WS_NOT_DESIGNATED);
	/* Bad arguments change nothing. */
	CU_ASSERT_EQUAL(wescale_set_primary(NULL, "127.0.0.1:2"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("nosuch", "127.0.0.1:2"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("main", "127.0.0.1:3"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("main", "127.0.0.2:2"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_primary("main", "[::1"), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(rt->designated, WS_NOT_DESIGNATED);
	/* A replica, even while the configured primary is up and writable. */
	ck_pr_store_int(&rt->primary.read_only, 0);
	ck_pr_store_int(&rt->replicas[0].read_only, 1);
	CU_ASSERT_EQUAL(wescale_set_primary("main", "127.0.0.1:2"), 0);
	CU_ASSERT_PTR_EQUAL(ws_topology_primary(c, &reader), &c->replicas[0]);
	CU_ASSERT_EQUAL(reader, 0);
	CU_ASSERT(ws_failover_named_reader(c));
	/* Down: no other member takes writes meanwhile. */
	ck_pr_store_int(&rt->replicas[0].up, 0);
	CU_ASSERT_PTR_NULL(ws_topology_primary(c, &reader));
	ck_pr_store_int(&rt->replicas[0].up, 1);
	/* A check in flight at the call does not end it; a later one that sees
	 * the member read-only does. */
	ws_failover_seen_read_only(rt, &rt->replicas[0], rt->designated_round);
	CU_ASSERT_EQUAL(rt->designated, 0);
	ws_failover_seen_read_only(rt, &rt->replicas[1], rt->designated_round + 1);
	CU_ASSERT_EQUAL(rt->designated, 0);
	ws_failover_seen_read_only(rt, &rt->replicas[0], rt->designated_round + 1);
	CU_ASSERT_EQUAL(rt->designated, WS_NOT_DESIGNATED);
	CU_ASSERT_PTR_EQUAL(ws_topology_primary(c, &reader), &c->primary);
	/* Sockets, and NULL: back to discovery. */
	CU_ASSERT_EQUAL(wescale_set_primary("main", "unix:/tmp/ws-none.sock"), 0);
	CU_ASSERT_EQUAL(rt->designated, 1);
	CU_ASSERT_EQUAL(wescale_set_primary("main", NULL), 0);
	CU_ASSERT_EQUAL(rt->designated, WS_NOT_DESIGNATED);

	/* Reload: a new `primary =` naming a member applies; one naming a
	 * stranger does not; an unchanged line does not undo a later call. */
	snprintf(text, sizeof(text), "%s", stats_conf);
	memcpy(strstr(text, "primary = 127.0.0.1:1\nreplicas = 127.0.0.1:2"),
	       "primary = 127.0.0.1:2\nreplicas = 127.0.0.1:1", 44);
	write_conf(text);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	CU_ASSERT_EQUAL(rt->designated, 0);
	CU_ASSERT_EQUAL(wescale_set_primary("main", "127.0.0.1:1"), 0);
	strcat(text, "[rule st_other]\nquery_regex = ^other\naction = fail\n");
	write_conf(text);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	CU_ASSERT_EQUAL(rt->designated, -1);
	memcpy(strstr(text, "primary = 127.0.0.1:2\nreplicas = 127.0.0.1:1"),
	       "primary = 127.0.0.1:7\nreplicas = 127.0.0.1:1", 44);
	write_conf(text);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	CU_ASSERT_EQUAL(rt->designated, -1);
	write_conf(stats_conf);
	CU_ASSERT_EQUAL(wescale_reload_config(), 0);
	CU_ASSERT_EQUAL(rt->designated, -1);
	CU_ASSERT_EQUAL(wescale_set_primary("main", NULL), 0);
	ck_pr_store_int(&rt->primary.read_only, -1);
	ck_pr_store_int(&rt->replicas[0].read_only, -1);
}

/* ---- stats socket ------------------------------------------------------- */

static void test_stats_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[100], path2[128], expanded[128], buf[65536];
	struct stat st;
	size_t n = 0;
	ssize_t k;
	int fd, fd2, c;

	snprintf(path, sizeof(path), "%s/stats.sock", tmpdir);
	fd = ws_stats_socket_open(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* Nothing pending: returns at once. */
	ws_stats_socket_serve(fd);
	/* A second process (here: a second open) does not steal a live socket. */
	CU_ASSERT_EQUAL(ws_stats_socket_open(path), -EADDRINUSE);

	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CU_ASSERT_EQUAL_FATAL(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT(write(c, "stats\n", 6) == 6);
	ws_stats_socket_serve(fd);
	while ((k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)k;
	CU_ASSERT(k == 0);
	buf[n] = '\0';
	close(c);
	CU_ASSERT(n > 100);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"rules\":[{\"name\":\"st_fail\""));

	/* Closed without unlinking: stale, replaced by the next open. */
	close(fd);
	fd = ws_stats_socket_open(path);
	CU_ASSERT(fd >= 0);
	close(fd);

	/* Not a socket: left alone. */
	snprintf(path2, sizeof(path2), "%s/regular", tmpdir);
	close(open(path2, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	CU_ASSERT_EQUAL(ws_stats_socket_open(path2), -EEXIST);
	unlink(path2);

	/* %p is the pid. */
	snprintf(path2, sizeof(path2), "%s/s-%%p.sock", tmpdir);
	snprintf(expanded, sizeof(expanded), "%s/s-%ld.sock", tmpdir, (long)getpid());
	fd2 = ws_stats_socket_open(path2);
	CU_ASSERT(fd2 >= 0);
	CU_ASSERT_EQUAL(stat(expanded, &st), 0);
	close(fd2);
	unlink(expanded);
	unlink(path);

	CU_ASSERT_EQUAL(ws_stats_socket_open(""), -EINVAL);
	CU_ASSERT_EQUAL(ws_stats_socket_open("/nonexistent-dir-ws/x.sock"), -ENOENT);
	memset(path2, 'a', sizeof(path2) - 1);
	path2[0] = '/';
	path2[sizeof(path2) - 1] = '\0';
	CU_ASSERT_EQUAL(ws_stats_socket_open(path2), -ENAMETOOLONG);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "compile errors", test_compile_errors },
		{ "compile errors from a file", test_compile_errors_file },
		{ "no rules", test_no_rules },
		{ "match conditions", test_match_conditions },
		{ "match without verdict, within len", test_match_no_verdict_and_len },
		{ "priority and continue", test_priority_and_continue },
		{ "continue consistency", test_continue_consistency },
		{ "fail message", test_fail_message },
		{ "route", test_route },
		{ "match limit", test_match_limit },
		{ "limit: 8 threads, 2 slots", test_limit_concurrency },
		{ "limit: queue timeout and queue full", test_limit_timeout_and_queue_full },
		{ "limit: wake-up", test_limit_wakeup },
		{ "limit: no queue", test_limit_no_queue },
		{ "limit: across reinstall", test_limit_across_reinstall },
		{ "swap while matching", test_swap_while_matching },
		{ "log = on", test_log_on },
		{ "stats JSON", test_stats_json },
		{ "reload", test_reload },
		{ "wescale_set_primary and a reloaded primary", test_set_primary },
		{ "stats socket", test_stats_socket },
	};
	CU_pSuite suite;
	unsigned failed;
	int status = 1;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-rules-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(conf_path, sizeof(conf_path), "%s/wescale.conf", tmpdir);
	{
		FILE *f = fopen(conf_path, "w");

		if (!f)
			return 1;
		fputs(stats_conf, f);
		fclose(f);
	}
	/* The process configuration, read at start-up (ws_global_start()). */
	setenv("WESCALE_CONFIG", conf_path, 1);
	unsetenv("WESCALE_DISABLE");
	unsetenv("WESCALE_LOG_LEVEL");
	if (CU_initialize_registry() != CUE_SUCCESS)
		goto out;
	suite = CU_add_suite("rules", NULL, NULL);
	if (!suite)
		goto fail;
	for (size_t i = 0; i < N_ELEMS(tests); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	status = failed ? 1 : 0;
fail:
	CU_cleanup_registry();
out:
	unlink(conf_path);
	rmdir(tmpdir);
	return status;
}
