/*
 * wescale.h — the public extension API of libwescale.
 *
 * libwescale is a drop-in replacement for the MySQL/MariaDB client library: an
 * application keeps using the ordinary C API from <mysql.h> and, for connections
 * whose target is a configured cluster, the library splits reads from writes over
 * the replication topology. This header adds the few calls that have no
 * equivalent in the MySQL C API. Everything that is not declared here is private.
 *
 * Threading: like the MySQL C API, one MYSQL handle is used by one thread at a
 * time; different handles may be used from different threads concurrently.
 */
#ifndef WESCALE_H
#define WESCALE_H

#include <stddef.h>
#include <mysql.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WESCALE_VERSION_MAJOR 0
#define WESCALE_VERSION_MINOR 1
#define WESCALE_VERSION_PATCH 0

/* Where the next statement of a handle runs (wescale_route_next). */
enum wescale_route {
	WESCALE_ROUTE_AUTO = 0,    /* the classifier decides (default) */
	WESCALE_ROUTE_PRIMARY = 1, /* force the primary */
	WESCALE_ROUTE_REPLICA = 2, /* a replica, subject to the consistency level */
};

/* Read-after-write consistency levels (see wescale(7)). */
enum wescale_consistency {
	WESCALE_CONSISTENCY_EVENTUAL = 0, /* any healthy replica within max_replica_lag_ms */
	WESCALE_CONSISTENCY_SESSION = 1,  /* has this handle's own committed writes (default) */
	WESCALE_CONSISTENCY_INSTANCE = 2, /* has every write committed by this process */
	WESCALE_CONSISTENCY_GLOBAL = 3,   /* has what the primary had when the read began */
	WESCALE_CONSISTENCY_PRIMARY = 4,  /* reads go to the primary */
};

/*
 * Client error codes that libwescale itself reports through mysql_errno(), in
 * the client range (2000-2999) above what Connector/C uses. mysql_error() says
 * what happened and what to do; mysql_sqlstate() is "HY000" unless noted.
 */
#define WESCALE_ER_CONFIG       2900 /* the configuration is invalid */
#define WESCALE_ER_NO_LIBRARY   2901 /* the real client library could not be loaded */
#define WESCALE_ER_NO_PRIMARY   2902 /* no writable primary within failover_timeout_ms */
#define WESCALE_ER_WRITE_UNKNOWN 2903 /* primary failed during a write; outcome unknown */
#define WESCALE_ER_TRX_LOST     2904 /* primary failed inside a transaction */
#define WESCALE_ER_RULE_FAIL    2905 /* a query rule with action = fail matched */
#define WESCALE_ER_RULE_LIMIT   2906 /* a query rule's concurrency limit was exceeded */
#define WESCALE_ER_BAD_ARGUMENT 2907 /* a wescale_* call was given an invalid argument */
#define WESCALE_ER_NO_REPLICA   2908 /* replica_fallback = error and no replica could serve a read */
#define WESCALE_ER_FORKED       2909 /* the handle was opened by the parent process (fork) */
#define WESCALE_ER_BAD_TOKEN    2910 /* a consistency token is malformed or of the other server flavour */

/* A buffer of this size holds any consistency token (wescale_consistency_token). */
#define WESCALE_TOKEN_MAX 4096

/*
 * The library version as "MAJOR.MINOR.PATCH". Returns static storage; never NULL.
 * Thread-safe.
 */
const char *wescale_version(void);

/*
 * Route the next statement run on `mysql` (text or prepared) to the primary or
 * a replica, overriding the classifier once; WESCALE_ROUTE_AUTO cancels a
 * pending choice. A replica is still subject to the consistency level, and a
 * transaction, LOCK TABLES or a temporary table keeps the statement on the
 * primary. Same effect as a comment hint in the statement.
 * Returns 0, or WESCALE_ER_BAD_ARGUMENT when `mysql` is NULL, `route` is out of
 * range, or the handle is not connected to a configured cluster.
 * Threading: as for any call on `mysql`.
 */
int wescale_route_next(MYSQL *mysql, enum wescale_route route);

/*
 * Set the read-after-write consistency level of `mysql` for every following
 * statement (overrides `consistency` from the configuration; a hint in a
 * statement overrides it once). Returns 0 or WESCALE_ER_BAD_ARGUMENT (NULL or
 * unmanaged handle, level out of range).
 */
int wescale_set_consistency(MYSQL *mysql, enum wescale_consistency level);

/*
 * Say whether the transactions of `mysql` should be assumed to write, so that
 * they start on the primary instead of a replica (optimistic_transactions in
 * wescale.conf(5)): 1 yes, 0 no, -1 as the cluster's assume_write_transactions
 * says (the default). A transaction already open is not moved. Returns 0 or
 * WESCALE_ER_BAD_ARGUMENT (NULL or unmanaged handle, mode not -1, 0 or 1).
 */
int wescale_assume_write_transactions(MYSQL *mysql, int mode);

/*
 * Write "host:port" (or the socket path) of the node that ran the last
 * statement of `mysql` into buf (at most size bytes, NUL-terminated).
 * Returns 0, or WESCALE_ER_BAD_ARGUMENT (NULL handle or buffer, size 0, or a
 * handle that is not connected to a configured cluster; buf is then "").
 */
int wescale_last_backend(MYSQL *mysql, char *buf, size_t size);

/*
 * Write where the last statement (or routed call) of `mysql` ran and why into
 * buf (at most size bytes, NUL-terminated; a longer text is truncated), e.g.
 * "replica 127.0.0.1:3307: read" or "primary: temporary table". The text is for
 * people and logs; its wording may change between versions. Returns 0, or
 * WESCALE_ER_BAD_ARGUMENT (NULL handle or buffer, size 0, or a handle that is
 * not connected to a configured cluster; buf is then ""). Before the first
 * statement: "primary: nothing routed yet". Same threading rule as any call on
 * the handle.
 */
int wescale_last_route(MYSQL *mysql, char *buf, size_t size);

/*
 * Write a consistency token for `mysql` into buf (at most size bytes,
 * NUL-terminated): the GTID set of every transaction this handle has committed
 * (at consistency `instance` or stronger: every one this process committed on
 * the cluster), in the server's own syntax — MariaDB "domain-server-seq,…",
 * MySQL "uuid:1-N,…" — printable, at most WESCALE_TOKEN_MAX - 1 characters, ""
 * when nothing was committed. Hand it to another handle, process or host and
 * pass it to wescale_require_token() there. Makes no round trip.
 * Returns 0, or WESCALE_ER_BAD_ARGUMENT (NULL buffer or handle, a handle not
 * connected to a configured cluster, size too small: mysql_error() says the
 * size needed) or WESCALE_ER_BAD_TOKEN (the handle lost track of its writes);
 * buf is then "". Errors are also reported by mysql_errno()/mysql_error() of
 * a managed handle until its next statement.
 * Threading: as for any call on `mysql`.
 */
int wescale_consistency_token(MYSQL *mysql, char *buf, size_t size);

/*
 * Make every following read of `mysql` see at least the transactions named by
 * `token` (from wescale_consistency_token(), or any GTID set of the cluster's
 * flavour): merged into the handle's own watermark, it is waited for exactly
 * like the handle's own writes — no cost when a replica is known to have it,
 * else a WAIT in the read's own round trip, else the primary after
 * consistency_timeout_ms — at levels session, instance and global (not at
 * `eventual`, which requires nothing; use a min_gtid hint there).
 * Returns 0, or WESCALE_ER_BAD_ARGUMENT (NULL, or a handle not connected to a
 * configured cluster) or WESCALE_ER_BAD_TOKEN (malformed, other flavour, too
 * many GTID sources, longer than WESCALE_TOKEN_MAX): then nothing changes, and
 * mysql_errno()/mysql_error() say what is wrong until the next statement.
 * A token is not a secret and is not signed: one that comes back from a
 * client (a cookie) can at worst make reads wait and go to the primary.
 * Threading: as for any call on `mysql`.
 */
int wescale_require_token(MYSQL *mysql, const char *token);

/* Log levels for wescale_set_log_level() and the log callback. */
enum wescale_log_level {
	WESCALE_LOG_ERROR = 0,
	WESCALE_LOG_WARN = 1,  /* default */
	WESCALE_LOG_INFO = 2,
	WESCALE_LOG_DEBUG = 3,
};

/*
 * Receives each log message (one line, no trailing newline) instead of the log
 * file or stderr. Called from whichever thread logs, including the monitor
 * thread; must be thread-safe and must not call back into libwescale.
 */
typedef void wescale_log_fn(int level, const char *message, void *userdata);

/*
 * Send log messages to `fn` (NULL restores the configured file or stderr).
 * Thread-safe. The library logs nothing to stdout, ever.
 */
void wescale_set_log_callback(wescale_log_fn *fn, void *userdata);

/*
 * Change the log level at run time (enum wescale_log_level; out-of-range values
 * are clamped). Overrides `log_level` from the configuration file. Thread-safe.
 */
void wescale_set_log_level(int level);

/*
 * Write the process's statistics into buf as one JSON object: library version,
 * pid, per cluster its nodes (address, role, up, read_only, lag, counters,
 * known GTID position) and consistency outcomes, per query rule its counters
 * (see wescale_stats_json(3) for every field). snprintf semantics: returns the
 * length of the whole text excluding the NUL; writes at most len bytes, always
 * NUL-terminated when len > 0 (buf may be NULL when len is 0, to size a
 * buffer). Counters are read without locks while other threads run: they are
 * each exact, not one atomic snapshot. Thread-safe; does not allocate.
 */
size_t wescale_stats_json(char *buf, size_t len);

/*
 * Re-read the configuration file the process started with and apply its
 * [rule] sections at once (statements already matched finish under the old
 * rules). A rule whose query_regex does not compile is left out, the others
 * apply. A changed `primary =` line naming a member the process started with
 * is applied as by wescale_set_primary(); other [cluster] and [global] changes
 * are not applied at run time (a warning is logged). Returns 0, WESCALE_ER_CONFIG when there is no active
 * configuration file, it cannot be read, it has errors (the current rules then
 * stay), or a rule was left out — every problem is logged with file:line — or
 * CR_OUT_OF_MEMORY. Thread-safe; calls are serialised.
 */
int wescale_reload_config(void);

/*
 * For an external orchestrator: the member at `host_port` ("host:port",
 * "[v6addr]:port" or "unix:/path", as written in the configuration) of the
 * configured cluster named `cluster` is its primary now. Writes go there at
 * once, even while another member is still writable; every handle whose
 * primary connection is on another member moves at its next statement
 * (a transaction open there is rolled back: WESCALE_ER_TRX_LOST), and new
 * connections go there. The designation holds until the next call, or until
 * the monitor sees that member read-only (read_only=1) in a check begun after
 * the call: call it once the member accepts writes. A NULL `host_port` ends
 * it: the monitor's read_only discovery decides again.
 * Returns 0, or WESCALE_ER_BAD_ARGUMENT (logged) when there is no such cluster
 * or `host_port` is not one of its primary, replicas or nodes. Thread-safe.
 */
int wescale_set_primary(const char *cluster, const char *host_port);

#ifdef __cplusplus
}
#endif

#endif /* WESCALE_H */
