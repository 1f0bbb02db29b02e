/*
 * rules.c — query rules (rules.h): compile the [rule NAME] sections with PCRE2,
 * publish the compiled set process-wide, match statements on the query path,
 * the per-rule concurrency semaphores, per-rule counters, and reloading the
 * configuration at run time (wescale_reload_config, file mtime).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <ck_pr.h>
#include <errmsg.h>

#include "classify.h"
#include "config.h"
#include "settings.h"
#include "log.h"
#include "real.h"
#include "rules.h"
#include "topology.h"
#include "wescale.h"

/* A pathological regex must not hang a statement: the interpreter (and JIT)
 * give up after this many backtracking steps and the rule does not match. */
#define RULE_MATCH_LIMIT 1000000u

/*
 * Per-name counters and semaphore. They outlive rule sets: a reload that keeps
 * a rule's name keeps its counts and its in-flight slots (so a limit holds
 * across a reload, and a slot taken under the old set is given back to the
 * same semaphore). Allocated once per distinct name, never freed, found by
 * name under reg_lock at compile time only.
 */
struct rule_ctr {
	uint32_t inflight;        /* slots held: the futex word waiters sleep on */
	uint32_t waiters;         /* statements waiting for a slot */
	uint64_t hits, fails, queued, rejected;
	struct rule_ctr *next;
	char name[];
};

struct rule {
	char *name;
	int match_kind;           /* -1 any, else enum ws_stmt_kind (OTHER: none of the listed kinds) */
	pcre2_code *re;           /* NULL: any text */
	bool jit;                 /* re was JIT-compiled: pcre2_jit_match */
	char *user, *database;
	enum ws_rule_action action;
	char *error_message;
	int route;
	struct ws_addr addr;
	bool has_addr;
	int consistency;
	unsigned max_concurrency, max_queue, queue_timeout_ms;
	bool log;
	int warned;               /* a match error was logged (once per rule and set) */
	struct rule_ctr *ctr;
};

struct ws_rules {
	uint64_t refs;
	pcre2_match_context *mctx;
	size_t n;
	struct rule rules[];
};

static struct rule_ctr *registry;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

/* The thread-exit key and the fork handlers, set up on first use. */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static void key_init(void);

const char *ws_rule_action_to_string(int action)
{
	switch (action) {
	case WS_RULE_CONTINUE: return "continue";
	case WS_RULE_FAIL: return "fail";
	case WS_RULE_ROUTE: return "route";
	case WS_RULE_LIMIT: return "limit";
	}
	return "unknown";
}

const char *ws_rule_decision_to_string(enum ws_rule_decision d)
{
	switch (d) {
	case WS_RULE_PASS: return "pass";
	case WS_RULE_DO_FAIL: return "fail";
	case WS_RULE_DO_ROUTE: return "route";
	}
	return "unknown";
}

static struct rule_ctr *ctr_for(const char *name)
{
	struct rule_ctr *c;
	size_t n = strlen(name);

	pthread_mutex_lock(&reg_lock);
	for (c = registry; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			break;
	if (!c) {
		c = calloc(1, sizeof(*c) + n + 1);
		if (c) {
			memcpy(c->name, name, n + 1);
			c->next = registry;
			registry = c;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return c;
}

/* ---- compiling ---------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static void rule_clear(struct rule *ru)
{
	free(ru->name);
	free(ru->user);
	free(ru->database);
	free(ru->error_message);
	free(ru->addr.host);
	pcre2_code_free(ru->re);
}

static void rules_destroy(struct ws_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		rule_clear(&r->rules[i]);
	pcre2_match_context_free(r->mctx);
	free(r);
}

static int push_error(char ***errors, size_t *n_errors, char *msg)
{
	char **v;

	if (!msg)
		return -ENOMEM;
	if (!errors || !n_errors) {       /* the caller does not want them */
		free(msg);
		return 0;
	}
	v = realloc(*errors, (*n_errors + 1) * sizeof(*v));
	if (!v) {
		free(msg);
		return -ENOMEM;
	}
	v[(*n_errors)++] = msg;
	*errors = v;
	return 0;
}

/* Compile rc's regex into ru->re. 0, 1 (bad regex: message pushed) or -ENOMEM. */
static int compile_regex(const struct ws_config *cfg, const struct ws_rule_conf *rc, struct rule *ru,
			 char ***errors, size_t *n_errors)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off = 0;
	uint32_t have_jit = 0;
	int err = 0;
	char *text;

	ru->re = pcre2_compile((PCRE2_SPTR)rc->query_regex, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err,
			       &off, NULL);
	if (!ru->re) {
		if (err == PCRE2_ERROR_NOMEMORY)
			return -ENOMEM;
		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", err);
		if (asprintf(&text, "%s:%u: rule %s: query_regex: %s at offset %zu",
			     cfg->path ? cfg->path : "<string>", rc->query_regex_line ? rc->query_regex_line : rc->line,
			     rc->name, (char *)msg, (size_t)off) < 0)
			text = NULL;
		return push_error(errors, n_errors, text) < 0 ? -ENOMEM : 1;
	}
	/* JIT when the library has it and the system lets it map code; else the
	 * interpreter, silently (same results, slower). */
	if (pcre2_config(PCRE2_CONFIG_JIT, &have_jit) == 0 && have_jit)
		ru->jit = pcre2_jit_compile(ru->re, PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

int ws_rules_compile(const struct ws_config *cfg, struct ws_rules **out, char ***errors, size_t *n_errors)
{
	size_t n = cfg ? cfg->n_rules : 0;
	struct ws_rules *r = calloc(1, sizeof(*r) + n * sizeof(r->rules[0]));
	int ret;

	*out = NULL;
	/* The fork handlers must exist before reg_lock is ever taken. */
	pthread_once(&key_once, key_init);
	if (!r)
		return -ENOMEM;
	r->refs = 1;
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->mctx)
		goto oom;
	pcre2_set_match_limit(r->mctx, RULE_MATCH_LIMIT);
	for (size_t i = 0; i < n; i++) {
		const struct ws_rule_conf *rc = &cfg->rules[i];
		struct rule *ru = &r->rules[r->n];
		bool oom = false;

		*ru = (struct rule){
			.match_kind = rc->match_kind, .action = rc->action, .route = rc->route,
			.has_addr = rc->has_route_addr, .consistency = rc->consistency,
			.max_concurrency = rc->max_concurrency, .max_queue = rc->max_queue,
			.queue_timeout_ms = rc->queue_timeout_ms, .log = rc->log,
		};
		ru->name = dup_or_null(rc->name, &oom);
		ru->user = dup_or_null(rc->user, &oom);
		ru->database = dup_or_null(rc->database, &oom);
		ru->error_message = dup_or_null(rc->error_message ? rc->error_message : rc->name, &oom);
		if (rc->has_route_addr) {
			ru->addr = rc->route_addr;
			ru->addr.host = dup_or_null(rc->route_addr.host, &oom);
		}
		if (oom || !ru->name || !(ru->ctr = ctr_for(ru->name))) {
			rule_clear(ru);
			goto oom;
		}
		if (rc->query_regex) {
			ret = compile_regex(cfg, rc, ru, errors, n_errors);
			if (ret != 0) {
				rule_clear(ru);
				if (ret < 0)
					goto oom;
				continue;
			}
		}
		r->n++;
	}
	*out = r;
	return 0;
oom:
	rules_destroy(r);
	return -ENOMEM;
}

size_t ws_rules_count(const struct ws_rules *r)
{
	return r ? r->n : 0;
}

/* ---- publication -------------------------------------------------------- */

/*
 * How a rule set is shared without locks on the query path.
 *
 * `active` points at the installed set and owns one reference to it. Each
 * thread caches, in thread-local storage, one counted reference to the set it
 * last used (tls.set) plus how many of its acquires of that set are open
 * (tls.users). ws_rules_acquire() loads `active` once: NULL means no rules
 * (the whole cost of the feature when none are configured); the same pointer
 * as the cache means the thread already holds a reference — no shared write
 * at all, so matching scales with threads. Only when the pointer differs
 * (once per thread after each install) does the thread take the slow path: it
 * drops its old reference (if no acquire of it is open) and, under
 * swap_lock, increments the new set's count. The lock is what makes that
 * increment safe: the installer swaps `active` and drops the slot's
 * reference only after holding the same lock, so a set seen in `active`
 * under the lock cannot reach zero before the increment. An acquire nested in
 * an open acquire of an older set takes an ordinary counted reference that
 * its release drops. The set a thread caches when it goes idle is freed at
 * its next acquire or when it exits (pthread key destructor), which also
 * frees its PCRE2 match data.
 *
 * Why not ck_epoch: a limit rule makes a statement wait in the middle of a
 * match, and a slot is held until the statement ends, so read-side sections
 * would span network round trips and a reloading thread could never
 * synchronise. Limit slots do not pin the set at all: they live in the
 * per-name counter blocks, which are never freed.
 */
static struct ws_rules *active;
static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;

struct rules_tls {
	struct ws_rules *set;     /* one counted reference, or NULL */
	unsigned users;           /* open acquires returning `set` */
	pcre2_match_data *md;     /* per-thread match data, made on first match */
	bool registered;          /* the key destructor will run for this thread */
};

static __thread struct rules_tls tls __attribute__((tls_model("initial-exec")));
static pthread_key_t tls_key;
static bool key_ok;

static void rules_unref(struct ws_rules *r)
{
	/* The decrement is a full barrier: every use of the set by this thread
	 * happens before the thread that sees 1 → 0 frees it. */
	if (r && ck_pr_faa_64(&r->refs, (uint64_t)-1) == 1)
		rules_destroy(r);
}

static void tls_destructor(void *arg)
{
	struct rules_tls *t = arg;

	rules_unref(t->set);
	t->set = NULL;
	t->users = 0;
	pcre2_match_data_free(t->md);
	t->md = NULL;
	t->registered = false;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
	pthread_mutex_lock(&swap_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&swap_lock);
	pthread_mutex_unlock(&reg_lock);
}

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static void atfork_child(void)
{
	pthread_mutex_unlock(&swap_lock);
	pthread_mutex_unlock(&reg_lock);
	/* A reload in another parent thread may have held it: that thread does
	 * not exist here. */
	pthread_mutex_init(&reload_lock, NULL);
	/* Slots held and waits by the parent's other threads will never end
	 * here; this thread's own (if any) are forgiven by the floor at 0. */
	for (struct rule_ctr *c = registry; c; c = c->next) {
		ck_pr_store_32(&c->inflight, 0);
		ck_pr_store_32(&c->waiters, 0);
	}
}

static void key_init(void)
{
	key_ok = pthread_key_create(&tls_key, tls_destructor) == 0;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void tls_register(struct rules_tls *t)
{
	if (t->registered)
		return;
	pthread_once(&key_once, key_init);
	if (key_ok && pthread_setspecific(tls_key, t) == 0)
		t->registered = true;
}

static struct ws_rules *acquire_slow(struct rules_tls *t)
{
	struct ws_rules *p;

	if (t->users == 0 && t->set) {
		rules_unref(t->set);
		t->set = NULL;
	}
	pthread_mutex_lock(&swap_lock);
	p = ck_pr_load_ptr(&active);
	if (p)
		ck_pr_inc_64(&p->refs);
	pthread_mutex_unlock(&swap_lock);
	if (!p)
		return NULL;
	if (p == t->set) {            /* raced back to the cached set: keep one reference */
		rules_unref(p);
		t->users++;
	} else if (t->users == 0) {
		t->set = p;
		t->users = 1;
		tls_register(t);
	}
	return p;
}

struct ws_rules *ws_rules_acquire(void)
{
	struct ws_rules *p = ck_pr_load_ptr(&active);
	struct rules_tls *t;

	if (WS_LIKELY(p == NULL)) {
		/* Drop an uninstalled set this thread kept (the slow path may
		 * find a set installed meanwhile: then it is the answer). */
		if (WS_UNLIKELY(tls.set != NULL && tls.users == 0))
			return acquire_slow(&tls);
		return NULL;
	}
	t = &tls;
	if (WS_LIKELY(p == t->set)) {
		/* Contents were published to this thread by swap_lock when it took
		 * its reference: no fence needed. */
		t->users++;
		return p;
	}
	return acquire_slow(t);
}

void ws_rules_release(struct ws_rules *r)
{
	struct rules_tls *t = &tls;

	if (!r)
		return;
	if (r == t->set && t->users > 0) {
		t->users--;
		return;
	}
	rules_unref(r);
}

void ws_rules_free(struct ws_rules *r)
{
	rules_unref(r);
}

void ws_rules_install(struct ws_rules *r)
{
	struct ws_rules *old;

	if (r && r->n == 0) {
		rules_unref(r);
		r = NULL;
	}
	/* The set's contents are complete before any thread can load the
	 * pointer (readers of the fast path got theirs through swap_lock; a
	 * plain load of `active` only compares the pointer). */
	ck_pr_fence_store();
	pthread_mutex_lock(&swap_lock);
	old = ck_pr_fas_ptr(&active, r);
	pthread_mutex_unlock(&swap_lock);
	rules_unref(old);
}

/* ---- matching ----------------------------------------------------------- */

/* The kinds match_kind can name; `other` is every kind but these. */
#define NAMEABLE_KINDS                                                                            \
	(1u << WS_STMT_SELECT | 1u << WS_STMT_INSERT | 1u << WS_STMT_UPDATE | 1u << WS_STMT_DELETE | \
	 1u << WS_STMT_REPLACE | 1u << WS_STMT_DDL | 1u << WS_STMT_SET)

static bool kind_matches(int want, enum ws_stmt_kind k)
{
	return want == WS_STMT_OTHER ? !(NAMEABLE_KINDS >> k & 1u) : (int)k == want;
}

static bool regex_matches(const struct ws_rules *r, struct rule *ru, const char *q, size_t len)
{
	struct rules_tls *t = &tls;
	int rc;

	if (WS_UNLIKELY(!t->md)) {
		/* One pair is enough: only "did it match" is used (rc 0 means the
		 * match succeeded with more groups than the vector holds). */
		t->md = pcre2_match_data_create(1, NULL);
		if (!t->md) {
			ws_log(WS_LOG_ERROR, "rule %s: out of memory for match data; rule skipped", ru->name);
			return false;
		}
		tls_register(t);
	}
	if (ru->jit)
		rc = pcre2_jit_match(ru->re, (PCRE2_SPTR)q, len, 0, 0, t->md, r->mctx);
	else
		rc = pcre2_match(ru->re, (PCRE2_SPTR)q, len, 0, 0, t->md, r->mctx);
	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH && ck_pr_cas_int(&ru->warned, 0, 1)) {
		PCRE2_UCHAR msg[160];

		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		ws_log(WS_LOG_WARN, "rule %s: query_regex could not be evaluated (%s); treated as no match "
		       "(logged once)", ru->name, (char *)msg);
	}
	return false;
}

/* log = on: the rule and the start of the statement, control bytes blanked. */
static void log_match(const struct rule *ru, const char *q, size_t len)
{
	char text[201];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;

	if (!ws_log_enabled(WS_LOG_WARN))
		return;
	for (size_t i = 0; i < n; i++)
		text[i] = (unsigned char)q[i] < 0x20 || q[i] == 0x7f ? ' ' : q[i];
	text[n] = '\0';
	ws_log_write(WS_LOG_WARN, "rule %s (%s) matched: %s%s", ru->name, ws_rule_action_to_string(ru->action),
		     text, len > n ? "…" : "");
}

/* Copy at most size-1 bytes, not splitting a UTF-8 sequence. */
static void copy_message(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static bool slot_try(struct rule_ctr *c, unsigned max)
{
	uint32_t cur = ck_pr_load_32(&c->inflight);

	while (cur < max)
		if (ck_pr_cas_32_value(&c->inflight, cur, cur + 1, &cur))
			return true;
	return false;
}

static void slot_give_back(struct rule_ctr *c)
{
	uint32_t cur = ck_pr_load_32(&c->inflight);

	/* Floor at 0: after fork() the child forgets slots taken before. */
	do
		if (cur == 0)
			return;
	while (!ck_pr_cas_32_value(&c->inflight, cur, cur - 1, &cur));
	/* The decrement before the read of `waiters` (pairs with the fence in
	 * slot_wait): either the waiter sees the freed slot, or we see it
	 * waiting and wake it. */
	ck_pr_fence_memory();
	if (ck_pr_load_32(&c->waiters))
		futex(&c->inflight, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/*
 * The lock-free semaphore's slow path: wait until a slot frees up or
 * timeout_ms pass. The count itself is the futex word: a waiter sleeps only
 * while the count is still the full value it saw, so a release between its
 * look and its sleep makes the sleep return at once. Not FIFO.
 */
static bool slot_wait(struct rule_ctr *c, unsigned max, unsigned timeout_ms)
{
	uint64_t deadline = ws_now_us() + (uint64_t)timeout_ms * 1000u, now;
	bool got = false;

	for (;;) {
		uint32_t cur;
		struct timespec ts;

		/* Our `waiters` increment (done by the caller) before this read
		 * of the count: pairs with the fence in slot_give_back. */
		ck_pr_fence_memory();
		cur = ck_pr_load_32(&c->inflight);
		if (cur < max) {
			if (ck_pr_cas_32(&c->inflight, cur, cur + 1)) {
				got = true;
				break;
			}
			continue;
		}
		now = ws_now_us();
		if (now >= deadline)
			break;
		ts.tv_sec = (time_t)((deadline - now) / 1000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000u) * 1000;
		futex(&c->inflight, FUTEX_WAIT_PRIVATE, cur, &ts);
	}
	ck_pr_dec_32(&c->waiters);
	/* A wake meant for a waiter that had just timed out must not be lost:
	 * pass it on when a slot is free and someone still waits. */
	ck_pr_fence_memory();
	if (!got && ck_pr_load_32(&c->inflight) < max && ck_pr_load_32(&c->waiters))
		futex(&c->inflight, FUTEX_WAKE_PRIVATE, 1, NULL);
	return got;
}

static void limit_enter(const struct rule *ru, struct ws_rule_result *out)
{
	struct rule_ctr *c = ru->ctr;
	unsigned max = ru->max_concurrency;

	if (!slot_try(c, max)) {
		uint32_t waiting = ck_pr_faa_32(&c->waiters, 1);

		if (waiting >= ru->max_queue) {
			ck_pr_dec_32(&c->waiters);
			ck_pr_inc_64(&c->rejected);
			out->decision = WS_RULE_DO_FAIL;
			out->error_code = WESCALE_ER_RULE_LIMIT;
			snprintf(out->message, sizeof(out->message),
				 "wescale: rule '%s': %u statements already running (max_concurrency = %u) "
				 "and %u waiting (max_queue = %u); statement rejected",
				 ru->name, max, max, waiting, ru->max_queue);
			ws_log(WS_LOG_DEBUG, "%s", out->message);
			return;
		}
		ck_pr_inc_64(&c->queued);
		if (!slot_wait(c, max, ru->queue_timeout_ms)) {
			ck_pr_inc_64(&c->rejected);
			out->decision = WS_RULE_DO_FAIL;
			out->error_code = WESCALE_ER_RULE_LIMIT;
			snprintf(out->message, sizeof(out->message),
				 "wescale: rule '%s': no free slot (max_concurrency = %u) within "
				 "queue_timeout_ms = %u; statement rejected",
				 ru->name, max, ru->queue_timeout_ms);
			ws_log(WS_LOG_DEBUG, "%s", out->message);
			return;
		}
	}
	out->held = c;
	if (ru->has_addr || (ru->route != WESCALE_ROUTE_AUTO && ru->route >= 0)) {
		out->decision = WS_RULE_DO_ROUTE;
		out->route = ru->has_addr ? -1 : ru->route;
		out->addr = ru->has_addr ? &ru->addr : NULL;
	}
}

int ws_rules_match(struct ws_rules *r, const char *q, size_t len, const struct ws_verdict *v,
		   const char *user, const char *db, struct ws_rule_result *out)
{
	struct ws_verdict local;
	int kind = -1;

	out->decision = WS_RULE_PASS;
	out->route = WESCALE_ROUTE_AUTO;
	out->addr = NULL;
	out->consistency = -1;
	out->error_code = 0;
	out->message[0] = '\0';
	out->held = NULL;
	if (!r)
		return 0;
	if (!q) {
		q = "";
		len = 0;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct rule *ru = &r->rules[i];

		if (ru->match_kind >= 0) {
			if (kind < 0) {
				if (!v) {
					ws_classify(q, len, &local);
					v = &local;
				}
				kind = (int)v->kind;
			}
			if (!kind_matches(ru->match_kind, (enum ws_stmt_kind)kind))
				continue;
		}
		if (ru->user && (!user || strcmp(user, ru->user) != 0))
			continue;
		if (ru->database && (!db || strcmp(db, ru->database) != 0))
			continue;
		if (ru->re && !regex_matches(r, ru, q, len))
			continue;
		ck_pr_inc_64(&ru->ctr->hits);
		if (ru->log)
			log_match(ru, q, len);
		if (ru->consistency >= 0)
			out->consistency = ru->consistency;
		switch (ru->action) {
		case WS_RULE_CONTINUE:
			continue;
		case WS_RULE_FAIL:
			ck_pr_inc_64(&ru->ctr->fails);
			out->decision = WS_RULE_DO_FAIL;
			out->error_code = WESCALE_ER_RULE_FAIL;
			copy_message(out->message, sizeof(out->message), ru->error_message);
			return 0;
		case WS_RULE_ROUTE:
			out->decision = WS_RULE_DO_ROUTE;
			out->route = ru->has_addr ? -1 : ru->route;
			out->addr = ru->has_addr ? &ru->addr : NULL;
			return 0;
		case WS_RULE_LIMIT:
			limit_enter(ru, out);
			return 0;
		}
	}
	return 0;
}

void ws_rules_done_slow(struct ws_rule_result *res)
{
	slot_give_back(res->held);
	res->held = NULL;
}

void ws_rules_foreach_stats(void (*fn)(const struct ws_rule_stats *st, void *ctx), void *ctx)
{
	struct ws_rules *r = ws_rules_acquire();

	for (size_t i = 0; r && i < r->n; i++) {
		const struct rule *ru = &r->rules[i];
		struct rule_ctr *c = ru->ctr;
		struct ws_rule_stats st = {
			.name = ru->name,
			.action = ws_rule_action_to_string(ru->action),
			.hits = ck_pr_load_64(&c->hits),
			.fails = ck_pr_load_64(&c->fails),
			.queued = ck_pr_load_64(&c->queued),
			.rejected = ck_pr_load_64(&c->rejected),
			.inflight = ck_pr_load_32(&c->inflight),
			.waiting = ck_pr_load_32(&c->waiters),
			.max_concurrency = ru->action == WS_RULE_LIMIT ? ru->max_concurrency : 0,
		};

		fn(&st, ctx);
	}
	ws_rules_release(r);
}

/* ---- start-up and reload ------------------------------------------------ */

/* The version of the file last loaded: what stat() says (guarded by
 * reload_lock; st_ino 0: none). */
static struct stat loaded_st;

static void file_stat(const char *path, struct stat *st)
{
	if (!path || stat(path, st) != 0)
		memset(st, 0, sizeof(*st));
}

static bool same_file_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void free_errors(char **errors, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(errors[i]);
	free(errors);
}

/* Compile and install cfg's rules, logging regex errors. 0, 1 (some rule
 * left out) or -ENOMEM (nothing changed). */
static int compile_install(const struct ws_config *cfg)
{
	struct ws_rules *r = NULL;
	char **errors = NULL;
	size_t n_errors = 0;
	int ret = ws_rules_compile(cfg, &r, &errors, &n_errors);

	for (size_t i = 0; i < n_errors; i++)
		ws_log(WS_LOG_ERROR, "%s; rule ignored", errors[i]);
	free_errors(errors, n_errors);
	if (ret < 0) {
		ws_log(WS_LOG_ERROR, "out of memory compiling the query rules; rules unchanged");
		return ret;
	}
	ws_rules_install(r);
	return n_errors ? 1 : 0;
}

int ws_rules_init(const struct ws_config *cfg)
{
	struct stat st;
	int ret;

	pthread_once(&key_once, key_init);
	pthread_mutex_lock(&reload_lock);
	/* Before compiling: an edit made meanwhile is seen by the next check. */
	file_stat(cfg ? cfg->path : NULL, &st);
	ret = compile_install(cfg);
	if (ret >= 0)
		loaded_st = st;
	pthread_mutex_unlock(&reload_lock);
	return ret < 0 ? ret : 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool addr_eq(const struct ws_addr *a, const struct ws_addr *b)
{
	return str_eq(a->host, b->host) && a->port == b->port && a->is_socket == b->is_socket &&
	       a->weight == b->weight;
}

static bool addrs_eq(const struct ws_addr *a, size_t na, const struct ws_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!addr_eq(&a[i], &b[i]))
			return false;
	return true;
}

/* Equal but for `primary =` (a reload applies that: failover.c). */
static bool cluster_eq(const struct ws_cluster *a, const struct ws_cluster *b)
{
	return str_eq(a->name, b->name) && a->has_primary == b->has_primary &&
	       addrs_eq(a->replicas, a->n_replicas, b->replicas, b->n_replicas) &&
	       addrs_eq(a->nodes, a->n_nodes, b->nodes, b->n_nodes) && a->load_balance == b->load_balance &&
	       a->consistency == b->consistency && a->consistency_timeout_ms == b->consistency_timeout_ms &&
	       a->max_replica_lag_ms == b->max_replica_lag_ms && a->health_interval_ms == b->health_interval_ms &&
	       a->failover_timeout_ms == b->failover_timeout_ms && a->global_cache_ms == b->global_cache_ms &&
	       a->replica_idle_timeout_ms == b->replica_idle_timeout_ms &&
	       a->max_connections_per_node == b->max_connections_per_node &&
	       a->read_only_transactions == b->read_only_transactions &&
	       a->replica_fallback == b->replica_fallback && a->transaction_replay == b->transaction_replay &&
	       a->transaction_replay_max_size == b->transaction_replay_max_size &&
	       a->optimistic_transactions == b->optimistic_transactions &&
	       a->assume_write_transactions == b->assume_write_transactions &&
	       str_eq(a->monitor_user, b->monitor_user) && str_eq(a->monitor_password, b->monitor_password) &&
	       str_eq(a->replica_safe_functions, b->replica_safe_functions) &&
	       str_eq(a->primary_functions, b->primary_functions);
}

static void warn_unapplied(const struct ws_config *cur, const struct ws_config *next)
{
	bool same = cur->n_clusters == next->n_clusters;

	for (size_t i = 0; same && i < cur->n_clusters; i++)
		same = cluster_eq(&cur->clusters[i], &next->clusters[i]);
	if (!same)
		ws_log(WS_LOG_WARN, "%s: [cluster] sections changed; cluster changes other than a new primary "
		       "are not applied at run time (restart the program to apply them); the rules are", cur->path);
	if (cur->log_level != next->log_level || !str_eq(cur->log_file, next->log_file) ||
	    !str_eq(cur->stats_socket, next->stats_socket))
		ws_log(WS_LOG_WARN, "%s: [global] settings changed; they are not applied at run time "
		       "(restart the program to apply them); the rules are", cur->path);
}

static ws_rules_reload_fn *on_reload;

void ws_rules_on_reload(ws_rules_reload_fn *fn)
{
	ck_pr_store_ptr(&on_reload, (void *)fn);
}

static int reload_locked(const struct ws_config *cur)
{
	struct ws_config *next = NULL;
	int r;

	/* Whatever happens, do not retry this version every round. */
	file_stat(cur->path, &loaded_st);
	r = ws_config_load_file(cur->path, &next);
	if (r < 0) {
		ws_log(WS_LOG_ERROR, "reload: cannot read configuration %s: %s; rules unchanged", cur->path,
		       strerror(-r));
		return r == -ENOMEM ? CR_OUT_OF_MEMORY : WESCALE_ER_CONFIG;
	}
	for (size_t i = 0; i < next->n_warnings; i++)
		ws_log(WS_LOG_WARN, "%s", next->warnings[i]);
	if (next->n_errors > 0) {
		for (size_t i = 0; i < next->n_errors; i++)
			ws_log(WS_LOG_ERROR, "%s", next->errors[i]);
		ws_log(WS_LOG_ERROR, "reload: configuration %s has %zu error(s); rules unchanged", cur->path,
		       next->n_errors);
		ws_config_free(next);
		return WESCALE_ER_CONFIG;
	}
	{
		ws_rules_reload_fn *fn = (ws_rules_reload_fn *)ck_pr_load_ptr(&on_reload);

		if (fn)
			fn(cur, next);
	}
	warn_unapplied(cur, next);
	r = compile_install(next);
	if (r >= 0)
		ws_log(WS_LOG_INFO, "reloaded %s: %zu rule(s)%s", cur->path, next->n_rules,
		       r ? ", some left out (see above)" : "");
	ws_config_free(next);
	return r < 0 ? CR_OUT_OF_MEMORY : r > 0 ? WESCALE_ER_CONFIG : 0;
}

int ws_rules_reload(void)
{
	const struct ws_config *cur = ws_global_config();
	int r;

	if (!cur || !cur->path) {
		ws_log(WS_LOG_ERROR, "reload: no active configuration file (libwescale runs as a pass-through "
		       "or was configured from a string); nothing reloaded");
		return WESCALE_ER_CONFIG;
	}
	pthread_once(&key_once, key_init);
	pthread_mutex_lock(&reload_lock);
	r = reload_locked(cur);
	pthread_mutex_unlock(&reload_lock);
	return r;
}

void ws_rules_reload_if_changed(void)
{
	const struct ws_config *cur = ws_global_config();
	struct stat st;

	if (!cur || !cur->path)
		return;
	pthread_once(&key_once, key_init);
	/* Another reload in progress will record the new version itself. */
	if (pthread_mutex_trylock(&reload_lock) != 0)
		return;
	file_stat(cur->path, &st);
	if (st.st_ino && !same_file_version(&st, &loaded_st)) {
		ws_log(WS_LOG_INFO, "%s changed: reloading the rules", cur->path);
		reload_locked(cur);
	}
	pthread_mutex_unlock(&reload_lock);
}

void ws_rules_monitor_task(void *ctx, unsigned interval_ms, bool stopping)
{
	(void)ctx;
	(void)interval_ms;
	if (!stopping)
		ws_rules_reload_if_changed();
}
