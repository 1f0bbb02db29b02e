/*
 * rules.h — query rules (the [rule NAME] sections of wescale.conf, issue 9):
 * compiled once into an immutable set, published process-wide, matched on the
 * query path without locks or allocation, reloaded at run time.
 *
 * Life of a statement on the query path (what route.c / shim_stmt.c do):
 *
 *	struct ws_rule_result res;
 *	struct ws_rules *rs = ws_rules_acquire();     one atomic load; NULL: no rules
 *	if (rs) {
 *		ws_rules_match(rs, q, len, &verdict, user, db, &res);
 *		ws_rules_release(rs);
 *		DO_FAIL: set res.error_code / res.message on the handle, do not send
 *		DO_ROUTE: honour res.route / res.addr (and res.consistency when >= 0)
 *		PASS: route as usual (res.consistency when >= 0)
 *	}
 *	… run the statement …
 *	ws_rules_done(&res);                          gives back a limit slot, if held
 *
 * Concurrency: see the block comment above ws_rules_acquire() in rules.c.
 */
#ifndef WS_RULES_H
#define WS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_addr;
struct ws_config;
struct ws_verdict;

/* An immutable compiled rule set (reference counted). */
struct ws_rules;

/*
 * Compile the config's rules (PCRE2, case-insensitive, JIT when available) in
 * the config's order (priority, then file order). A rule whose regex does not
 * compile is dropped, with "path:line: rule NAME: query_regex: <message> at
 * offset N" appended to *errors (the caller frees each string and the array;
 * both may be NULL on entry, the array grows), and the other rules still load.
 * The set copies what it needs: cfg may be freed afterwards. *out gets the
 * caller's reference (ws_rules_free or ws_rules_install). A config without
 * rules yields an empty set (n = 0), not NULL. Returns 0 or -ENOMEM (then *out
 * is NULL and *errors may hold messages already added).
 */
int ws_rules_compile(const struct ws_config *cfg, struct ws_rules **out, char ***errors, size_t *n_errors);

/* Drop the caller's reference; the set is freed when the last one goes.
 * NULL is a no-op. */
void ws_rules_free(struct ws_rules *r);

/* Number of rules in the set (0 for NULL). */
size_t ws_rules_count(const struct ws_rules *r);

/*
 * The active rule set, or NULL when none is installed (or the installed set is
 * empty). Borrowed until ws_rules_release(), which must be called by the same
 * thread; calls may nest. Lock-free: one atomic load, plus a thread-local
 * compare when a set is installed (a mutex is taken once per thread after each
 * install, to take the thread's reference on the new set).
 */
struct ws_rules *ws_rules_acquire(void);
void ws_rules_release(struct ws_rules *r);

/*
 * Make r the active set (taking the caller's reference; NULL uninstalls). The
 * previous set is freed once no thread uses it any more. Thread-safe.
 * An empty set is installed as NULL, so "no rules" costs nothing.
 */
void ws_rules_install(struct ws_rules *r);

enum ws_rule_decision {
	WS_RULE_PASS = 0,    /* route as usual (consistency may be set) */
	WS_RULE_DO_FAIL,     /* do not send: report error_code / message */
	WS_RULE_DO_ROUTE,    /* send where route / addr say */
};

struct ws_rule_result {
	enum ws_rule_decision decision;
	int route;                    /* DO_ROUTE: WESCALE_ROUTE_PRIMARY or _REPLICA, or -1 with addr;
					 else WESCALE_ROUTE_AUTO */
	const struct ws_addr *addr;   /* route = HOST:PORT. Borrowed from the rule set: valid until
					 ws_rules_release() of the set the match used */
	int consistency;              /* -1, or enum wescale_consistency: the last matching rule
					 (in priority order) that sets consistency = */
	unsigned error_code;          /* DO_FAIL: WESCALE_ER_RULE_FAIL or WESCALE_ER_RULE_LIMIT */
	char message[256];            /* DO_FAIL: what mysql_error() shows (NUL-terminated) */
	void *held;                   /* a limit slot to give back with ws_rules_done(), or NULL */
};

/*
 * Match a statement (q, len: need not be NUL-terminated; never read past len)
 * with its verdict (NULL: classified here when a rule needs the kind), the
 * session's user and current database (either may be NULL: then rules that
 * name one do not match). Rules run in priority order. Every matching rule
 * counts a hit (and logs the statement when log = on); continue goes on; the
 * first matching rule with another action decides:
 *   fail  → DO_FAIL, WESCALE_ER_RULE_FAIL, message = error_message;
 *   route → DO_ROUTE;
 *   limit → takes a slot of the rule's semaphore; when none is free, waits in
 *           the calling thread up to queue_timeout_ms if fewer than max_queue
 *           statements already wait, else (or on timeout) DO_FAIL with
 *           WESCALE_ER_RULE_LIMIT and a message naming the rule. With a slot:
 *           PASS and `held` set — the caller MUST call ws_rules_done(out) when
 *           the statement has finished (whatever the outcome).
 * r NULL: PASS. No allocation (the per-thread PCRE2 match data is made once
 * per thread). Always returns 0.
 */
int ws_rules_match(struct ws_rules *r, const char *q, size_t len, const struct ws_verdict *v,
		   const char *user, const char *db, struct ws_rule_result *out);

/* The statement finished: give back a held slot (waking one waiter). Safe to
 * call on any result, more than once, or on one never matched (held NULL). */
void ws_rules_done_slow(struct ws_rule_result *res);
static inline void ws_rules_done(struct ws_rule_result *res)
{
	if (res && res->held)
		ws_rules_done_slow(res);
}

/*
 * Start-up: compile cfg's rules, log regex errors (WS_LOG_ERROR, each
 * "path:line: …"), install the set, and remember cfg->path's mtime for
 * ws_rules_reload_if_changed(). Call once, after the configuration became
 * active. Returns 0 or -ENOMEM (nothing installed).
 */
int ws_rules_init(const struct ws_config *cfg);

/*
 * Re-read the active configuration's file (ws_global_config()->path) and
 * install its rules (a rule with a bad regex is left out, the others load).
 * A file that does not parse keeps the current rules. Cluster and [global]
 * changes are not applied at run time: a warning says so. Serialised; may be
 * called from any thread. Returns 0, or WESCALE_ER_CONFIG when there is no
 * configuration file, it cannot be read or parsed, or a regex failed (all
 * logged), or CR_OUT_OF_MEMORY.
 */
int ws_rules_reload(void);

/* For the monitor, each round: reload when the file's mtime, size or inode
 * changed since the last load. One stat() when nothing changed. */
void ws_rules_reload_if_changed(void);

/*
 * Per-rule counters, cumulative for the process and kept across reloads by
 * rule name. Snapshot of the active set's rules for stats: calls fn once per
 * rule, in priority order. Lock-free.
 */
struct ws_rule_stats {
	const char *name;         /* valid during the callback */
	const char *action;       /* "fail" | "route" | "continue" | "limit" */
	uint64_t hits;            /* statements that matched */
	uint64_t fails;           /* rejected by action = fail */
	uint64_t queued;          /* waited for a limit slot */
	uint64_t rejected;        /* got WESCALE_ER_RULE_LIMIT (queue full or timeout) */
	uint64_t inflight;        /* limit slots held now */
	uint64_t waiting;         /* statements waiting for a slot now */
	unsigned max_concurrency; /* limit rules, else 0 */
};
void ws_rules_foreach_stats(void (*fn)(const struct ws_rule_stats *st, void *ctx), void *ctx);

const char *ws_rule_action_to_string(int action);
const char *ws_rule_decision_to_string(enum ws_rule_decision d);

/* Called by a reload that succeeded, before the new rules are installed, with
 * the active and the new configuration (failover.c: a changed `primary =`).
 * Start-up registers it; one observer. */
typedef void ws_rules_reload_fn(const struct ws_config *cur, const struct ws_config *next);
void ws_rules_on_reload(ws_rules_reload_fn *fn);

/* The monitor task (registered by start-up, once a round): reload when the
 * configuration file changed. */
void ws_rules_monitor_task(void *ctx, unsigned interval_ms, bool stopping);

#endif /* WS_RULES_H */
