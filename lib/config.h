/*
 * config.h — the configuration file (docs/architecture.md), parsed into an immutable value.
 *
 * INI syntax: [global], [cluster NAME], [rule NAME] sections; `key = value`;
 * `#` and `;` start a comment (at line start, or after whitespace); values may
 * be quoted with "…" to keep '#' or surrounding spaces (\" and \\ are the
 * only escapes). Keys and section kinds are case-insensitive; names are
 * case-sensitive. The user-facing reference is man/wescale.conf.5.
 *
 * Errors carry "file:line: what is wrong". A file with errors still yields a
 * config (the sections/keys that were valid) plus the list of errors, so the
 * caller can decide; the library reports them once and runs as a pass-through.
 */
#ifndef WS_CONFIG_H
#define WS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h" /* enum ws_log_level (log_level =) */

enum ws_balance {
	WS_BALANCE_LEAST_RT = 0,
	WS_BALANCE_LEAST_QPS,
	WS_BALANCE_LEAST_BEHIND_PRIMARY,
	WS_BALANCE_RANDOM,
	WS_BALANCE_ROUND_ROBIN,
};

enum ws_ro_trx {                  /* read_only_transactions */
	WS_RO_TRX_REPLICA = 0,        /* START TRANSACTION READ ONLY runs on one replica */
	WS_RO_TRX_PRIMARY = 1,
};

enum ws_opt_trx {                 /* optimistic_transactions */
	WS_OPT_TRX_OFF = 0,           /* transactions run on the primary */
	WS_OPT_TRX_ON = 1,            /* every transaction starts on a replica */
	WS_OPT_TRX_ADAPTIVE = 2,      /* on, except shapes learned to write (optimistic.c) */
};

enum ws_fallback {                /* replica_fallback */
	WS_FALLBACK_PRIMARY = 0,
	WS_FALLBACK_ERROR = 1,
};

/* One node address. `host` is a hostname or IP, or a unix socket path when
 * is_socket (written in the file as `unix:/path/to/sock`). */
struct ws_addr {
	char *host;
	unsigned port;       /* 0 when is_socket */
	bool is_socket;
	unsigned weight;     /* written `host:port@3`; default 1 */
};

struct ws_cluster {
	char *name;
	struct ws_addr primary;        /* has_primary false when only `nodes =` was given */
	bool has_primary;
	struct ws_addr *replicas;      /* `replicas =` list */
	size_t n_replicas;
	struct ws_addr *nodes;         /* `nodes =` list (roles discovered by the monitor) */
	size_t n_nodes;
	enum ws_balance load_balance;            /* default least_rt */
	int consistency;                         /* enum wescale_consistency; default session */
	unsigned consistency_timeout_ms;         /* default 500 */
	unsigned max_replica_lag_ms;             /* default 5000 */
	unsigned health_interval_ms;             /* default 500 */
	unsigned failover_timeout_ms;            /* default 30000 */
	unsigned global_cache_ms;                /* default 1 (0..1000) */
	unsigned replica_idle_timeout_ms;        /* default 60000 */
	unsigned pool_max_per_node;              /* idle pooled connections per replica, default 4; 0: no pool */
	unsigned replica_read_timeout_ms;        /* default 30000; 0 = none. Replica connections only,
						    when the application set no read timeout */
	unsigned max_connections_per_node;       /* default 0 = unlimited */
	enum ws_ro_trx read_only_transactions;   /* default replica */
	enum ws_fallback replica_fallback;       /* default primary */
	bool transaction_replay;                 /* default off */
	unsigned transaction_replay_max_size;    /* bytes of statement text per transaction; default 1 MiB */
	char *replica_safe_functions;            /* "db.f1, f2": stored functions a read may call on a
						    replica (safefuncs.h); NULL: none */
	char *primary_functions;                 /* same form: never trusted, whatever the list above
						    or the server declares; NULL: none */
	enum ws_opt_trx optimistic_transactions; /* default adaptive */
	bool assume_write_transactions;          /* default off: transactions start on the primary */
	bool discover_replicas;                  /* default off: the monitor finds the primary's replicas */
	unsigned discover_max_replicas;          /* default 8: reader slots kept for discovered replicas */
	unsigned discover_grace_ms;              /* default 10000: gone that long, a discovered replica retires */
	char *heartbeat_table;                   /* "db.table" of a heartbeat writer, NULL: lag from GTIDs */
	char *heartbeat_column;                  /* its time column; NULL: "ts" */
	char *monitor_user;                      /* NULL: the application's own */
	char *monitor_password;
	unsigned line;                           /* line of the [cluster] header */
};

/* A [rule NAME] section, kept as validated text; rules.c compiles it. */
enum ws_rule_action {
	WS_RULE_CONTINUE = 0,
	WS_RULE_FAIL,
	WS_RULE_ROUTE,
	WS_RULE_LIMIT,
};

struct ws_rule_conf {
	char *name;
	int priority;                  /* default 100; lower runs first */
	int match_kind;                /* -1 any, else enum ws_stmt_kind (select|insert|update|delete|replace|ddl|set|other) */
	char *query_regex;             /* NULL: any; PCRE2 syntax, compiled case-insensitive by rules.c */
	unsigned query_regex_line;     /* for error messages about the regex */
	char *user;                    /* NULL: any */
	char *database;                /* NULL: any */
	enum ws_rule_action action;    /* required */
	char *error_message;           /* action = fail; default "query blocked by rule NAME" (never NULL) */
	int route;                     /* action = route: enum wescale_route (primary|replica), or -1 with route_addr;
					  WESCALE_ROUTE_AUTO for other actions */
	struct ws_addr route_addr;     /* action = route with route = HOST:PORT (has_route_addr) */
	bool has_route_addr;
	int consistency;               /* -1 unset, else enum wescale_consistency */
	unsigned max_concurrency;      /* action = limit (required, > 0) */
	unsigned max_queue;            /* default 0 */
	unsigned queue_timeout_ms;     /* default 0 */
	bool log;                      /* default off */
	unsigned line;                 /* line of the [rule] header */
};

struct ws_config {
	char *path;                    /* the file it came from (NULL when from a string) */
	enum ws_log_level log_level;   /* default warn */
	char *log_file;                /* NULL: stderr */
	char *stats_socket;            /* NULL: none */
	unsigned pool_max;             /* idle pooled replica connections in the process, default 64; 0: no pool */
	unsigned pool_idle_timeout_ms; /* a pooled connection idle this long is closed, default 30000 */
	struct ws_cluster *clusters;
	size_t n_clusters;
	struct ws_rule_conf *rules;    /* sorted by priority, then file order */
	size_t n_rules;
	/* Errors, each "path:line: message" (NUL-terminated), in file order; at
	 * most 100, then one "path: too many errors; …" entry. */
	char **errors;
	size_t n_errors;
	/* Warnings (e.g. world-readable file containing passwords), same form. */
	char **warnings;
	size_t n_warnings;
};

/*
 * Parse a file. Returns 0 and a config (possibly with errors inside) or
 * -errno when the file cannot be read at all (-ENOENT, -EACCES, -EISDIR, -EFBIG
 * for a file over 1 MiB, -EINVAL for a NULL/empty path or a file that is not a
 * regular file, -ENOMEM). The world-readable-with-password warning is added
 * here (it needs the file's mode). Thread-safe; prints nothing.
 */
int ws_config_load_file(const char *path, struct ws_config **out);

/* Parse text (len bytes, need not be NUL-terminated; `name`, or "<string>"
 * when NULL, is used in messages in place of a path). 0 or -ENOMEM/-EINVAL. */
int ws_config_load_string(const char *name, const char *text, size_t len, struct ws_config **out);

/* Free; NULL is a no-op. */
void ws_config_free(struct ws_config *cfg);

/* The cluster whose primary, replica or node list contains host:port (port 0
 * means 3306), or — for a socket connection, i.e. `socket` non-empty and host
 * NULL, "" or "localhost", or host itself a path starting with '/' and port 0 —
 * whose "unix:" address equals the socket path; else the cluster whose name
 * equals host (case-sensitive, any port). NULL when none, or when cfg is NULL.
 * Host compared case-insensitively; "localhost" and "127.0.0.1" are NOT
 * treated as equal (no name resolution here). Returns memory owned by cfg. */
const struct ws_cluster *ws_config_find_cluster(const struct ws_config *cfg, const char *host,
						unsigned port, const char *socket);

/* Parse one address "host:port", "[v6addr]:port", "host" (default_port),
 * "unix:/path" (weight suffix "@N", 1..1000, allowed; "unix:3306" is the host
 * "unix"). Host names are [A-Za-z0-9.-]+; a v6 host is stored without brackets.
 * Returns 0, -EINVAL (a->host NULL) or -ENOMEM; on success the caller owns
 * a->host. */
int ws_config_parse_addr(const char *text, size_t len, unsigned default_port, struct ws_addr *a);

const char *ws_balance_to_string(enum ws_balance b);
const char *ws_consistency_to_string(int level);

#endif /* WS_CONFIG_H */
