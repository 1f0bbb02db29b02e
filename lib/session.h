/*
 * session.h — per-handle state, kept in a side table keyed by the MYSQL pointer.
 *
 * The library never reads or writes fields of MYSQL (docs/architecture.md): whatever it
 * needs to know about a handle lives here. An entry exists only for handles
 * created while a configuration with clusters is active; for every other handle
 * lookups return NULL and the shims pass through.
 *
 * What a managed handle carries:
 *  - how the application connected (arguments and every mysql_options* call), so
 *    replica connections are made exactly alike: same user, TLS, charset, attrs;
 *  - the session state to carry to replicas: the primary reports every session
 *    variable and schema change in its OK packets (session tracking, enabled on
 *    connect), and each replica connection is brought up to date before its next
 *    read;
 *  - the replica connections (opened lazily) and which connection ran the last
 *    statement (it answers mysql_errno, mysql_store_result, …);
 *  - transaction/lock state that pins statements to the primary.
 *
 * Concurrency: the table is thread-safe; an entry belongs to the thread using
 * its handle (the C API's one-handle-one-thread contract).
 */
#ifndef WS_SESSION_H
#define WS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

#include <ck_pr.h>

#include "classify.h"
#include "config.h"
#include "decide.h"
#include "settings.h"
#include "hmap.h"
#include "topology.h"
#include "rules.h"

struct ws_cluster;
struct ws_replay;

/* One recorded mysql_options / mysql_options4 / mysql_optionsv / mysql_ssl_set call. */
enum ws_opt_kind {
	WS_OPT_NONE,   /* no value (NULL) */
	WS_OPT_UINT,   /* const unsigned int * */
	WS_OPT_ULONG,  /* const unsigned long * */
	WS_OPT_BOOL,   /* const my_bool * */
	WS_OPT_STR,    /* const char * */
	WS_OPT_STR2,   /* const char *, const char * (connect attributes) */
	WS_OPT_PTR,    /* an application pointer passed on as is (callbacks, unknown options) */
	WS_OPT_PTR2,   /* two such pointers */
	WS_OPT_SSL_SET /* mysql_ssl_set(key, cert, ca, capath, cipher) */
};

struct ws_optrec {
	int option;                 /* enum mysql_option */
	enum ws_opt_kind kind;
	bool value_was_null;        /* the application passed NULL as the value */
	union {
		unsigned int u;
		unsigned long ul;
		my_bool b;
	} v;
	char *s[5];                 /* owned strings (STR, STR2, SSL_SET) */
	void *p[2];                 /* PTR, PTR2 */
};

/* A session variable as the primary last reported it. */
struct ws_var {
	char *name;
	char *value;
	uint64_t gen;   /* state generation of its last change */
	bool is_default; /* replayed as DEFAULT (SET timestamp = DEFAULT: the server
			    keeps reporting the old value) */
	bool quoted;    /* an all-digit value that is a string: replayed quoted */
};

/* A replica connection of one application handle. */
struct ws_conn {
	MYSQL *mysql;           /* NULL until first needed */
	unsigned node;          /* index into the cluster's replica list */
	uint64_t applied_gen;   /* session state generation it has applied */
	bool failed;            /* refused, lost, or state replay failed: no reads */
	uint64_t retry_at_ms;   /* when a failed connection may be tried again */
	uint64_t conn_gen;      /* bumped on every (re)connect: statements prepared on an
				   older connection must be prepared again */
	uint64_t last_used_ms;  /* for replica_idle_timeout_ms */
	uint64_t outage;        /* the node's outage count when it connected: another count
				   now means the server went down since (ws_replica_lost) */
	size_t opts_at;         /* the session's n_opts when it connected: options set since
				   (for the next connect, change_user) make it another kind (pool.c) */
	bool ro_unsure;         /* a statement run there may have left its read-only session
				   (SET … in a READ ONLY transaction, a reset): made read-only
				   again before its next use (safety.c) */
	bool dirty;             /* ran what a replay cannot undo (a pinned route, a READ ONLY
				   transaction): reset before another handle uses it (pool.c) */
	bool no_pool;           /* statements were prepared there, or a reply was left for
				   mysql_read_query_result: never pooled (pool.c) */
};

struct ws_session {
	struct ws_hnode hnode;            /* key: the MYSQL * */
	MYSQL *mysql;                     /* the application's handle = the primary connection */
	const struct ws_cluster *cluster; /* NULL: not (or not yet) connected to a cluster */
	bool connected;

	/* How the application connected. */
	char *user, *password, *db;
	unsigned long client_flag;
	struct ws_optrec *opts;
	size_t n_opts, cap_opts;

	/* Session state to carry to replicas. */
	struct ws_var *vars;
	size_t n_vars, cap_vars;
	char *cur_db;                     /* NULL: none selected */
	uint64_t db_gen;
	uint64_t state_gen;               /* bumped on every change */
	bool track_pending;               /* session tracking not yet set up on the primary: it travels
					     with the first statement the primary runs (tracking.c) */
	struct ws_lexenv lexenv;          /* how the primary lexes this session's text (character_set_client,
					     sql_mode, as tracked; zero: unknown) for the classifier */

	/* Routing. What the decision reads of the session's own flags, side by
	 * side: a remembered plan (decide.h) is compared with them as one block
	 * (route_facts), so only such facts belong here. */
	union {
		struct {
			int ro_trx;               /* replica holding a START TRANSACTION READ ONLY or an
						     optimistic transaction, or -1 */
			int assume_write;         /* wescale_assume_write_transactions: -1 the cluster's */
			int consistency;          /* enum wescale_consistency of this handle */
			bool opt_trx;             /* with ro_trx >= 0: the transaction there is optimistic
						     (optimistic.c): it moves to the primary at its first
						     statement a replica cannot run */
			bool rw_next;             /* SET TRANSACTION READ WRITE, or a failed move of an
						     optimistic transaction: the next transaction starts on
						     the primary */
			bool locked_tables;       /* LOCK TABLES until UNLOCK TABLES */
			bool maybe_temp;          /* may hold temporary tables / locks it did not name (CALL,
						     EXECUTE, a renamed temporary table): reads on the
						     primary until a reset */
			bool state_unknown;       /* lost track (reset, change_user): reads go to the primary */
			bool reads_replies_itself; /* MARIADB_OPT_SKIP_READ_RESPONSE: everything on the primary */
			bool route_unused[2];     /* (no padding: the block is compared whole; never set) */
		};
		unsigned char route_facts[20];
	};
	MYSQL *last;                      /* ran the last statement; NULL = the primary */
	int last_node;                    /* replica index of `last`, -1 = primary */
	struct ws_conn *replicas;
	size_t n_replicas;
	int trx_shape;                    /* adaptive table slot of the open transaction, -1 none */
	int probe_shape;                  /* the new shape this handle holds the probe of, -1 none */
	int pending_shape;                /* slot of the statement being routed (gather), -1 none */
	struct ws_route_memo text_memo;   /* the plan of its last text read (decide.h) */
	uint64_t opt_conn_gen;            /* conn_gen of the replica connection holding the
					     optimistic transaction (a reconnect lost it) */
	bool trx_wrote;                   /* it wrote (or migrated) */
	bool trx_known;                   /* trx_status holds the primary's server status: nothing has
					     run on the primary since it was read (see ws_primary_in_trx) */
	unsigned trx_status;
	char **temp_tables;               /* temporary tables this session created */
	size_t n_temp, cap_temp;
	int next_route;                   /* enum wescale_route for the next statement only */
	char *last_read;                  /* text of the last read a replica ran (for a retry when the */
	size_t last_read_len, last_read_cap; /* replica dies before its rows reach the application) */
	uint64_t idle_checked_ms;
	struct ws_rule_result pending_rule; /* a limit slot held by a sent, unread statement */
	uint64_t fork_generation;         /* ws_fork_generation when the handle was created */
	int flavor;                       /* enum ws_gtid_flavor of the primary, -1 unknown */
	int primary_reader;               /* the handle's primary: -1 the configured one, else a reader index */
	uint64_t primary_gen;             /* bumped on every failover reconnect */
	unsigned long thread_id;          /* the primary connection's id: a change means a reconnect */
	bool resync_pending;              /* the real library reconnected: tracking to set up again */
	struct ws_wm *wm;                 /* this handle's committed writes (NULL: none yet) */
	bool wm_broken;                   /* lost track of them: reads needing them use the primary */
	uint64_t stmt_max_lag_ms;         /* the statement being routed: max_replica_lag_ms, or a smaller
					     max_lag_ms hint (set by ws_token_need before any pick);
					     0: not set, max_replica_lag_ms */
	struct ws_replay *replay;         /* the open transaction's record (replay.c); NULL: transaction_replay off */

	/* How the last statement was routed (wescale_last_route). */
	int route_reason;                 /* enum ws_reason */
	int route_target;                 /* enum ws_target */
	int route_node;                   /* replica index, -1: the primary */
	bool route_lagged;                /* the replica's wait timed out (run_on_replica) */

	/* A read sent to a replica with mysql_send_query (or a statement sent to
	 * the primary) whose reply the application has not read yet. While a
	 * replica holds it, the application's socket fd number refers to that
	 * replica's socket (ws_session_fd_lend): docs/architecture.md, "A reply the
	 * application waits for itself". */
	int fd_app;                       /* the application's fd number, lent; -1: not lent */
	int fd_saved;                     /* the primary's socket meanwhile (close-on-exec) */
	bool fd_cloexec;                  /* FD_CLOEXEC of fd_app before it was lent */
	bool harvest_pending;             /* the primary ran a statement that may write and returned
					     rows: its GTID and state arrive with the end of the result */
	bool pending_may_write;           /* the sent statement is not a read (harvest_pending) */
	bool pending_note;                /* the sent primary statement creates/drops temporary
					     tables or locks: last_read holds its text */

	/* An error raised by libwescale itself (not by a server), reported by
	 * mysql_errno/mysql_error/mysql_sqlstate until the next statement. */
	unsigned err_code;
	char err_sqlstate[6];
	char err_msg[512];
};

/* The entry for `mysql`, or NULL. Borrowed: valid until ws_session_detach(mysql).
 * A thread's repeated lookups of one handle are answered by its cache (hmap.h). */
extern struct ws_hmap ws_sessions;
extern __thread struct ws_hmap_cache ws_session_cache __attribute__((tls_model("initial-exec")));

static inline struct ws_session *ws_session_get(const MYSQL *mysql)
{
	struct ws_hnode *n = ws_hmap_get_cached(&ws_sessions, &ws_session_cache, mysql);

	return n ? (struct ws_session *)((char *)n - offsetof(struct ws_session, hnode)) : NULL;
}

/* Create the entry for `mysql`, replacing (and freeing) a stale one left by a
 * handle at the same address that was never closed. NULL on allocation failure. */
struct ws_session *ws_session_attach(MYSQL *mysql);

/* Remove the entry for `mysql`, close its replica connections, free it. */
void ws_session_detach(const MYSQL *mysql);

/* Was the handle created by an ancestor process (before a fork())? Then its
 * sockets are shared with that process: the child must not use them. */
static inline bool ws_session_inherited(const struct ws_session *s)
{
	return s->fork_generation != ck_pr_load_64(&ws_fork_generation);
}

/* Mark a connection libwescale opened itself close-on-exec. */
void ws_session_set_cloexec(MYSQL *m);

/* Point m's socket at /dev/null (before closing an inherited connection). */
void ws_session_disown_socket(MYSQL *m);

/* Number of entries (for tests and stats). */
size_t ws_session_count(void);

/* In a child after fork(): make the table's locks usable again. */
void ws_session_atfork_child(void);

/* Record a mysql_options-family call so replica connections repeat it.
 * Returns 0 or -ENOMEM. */
int ws_session_record_option(struct ws_session *s, int option, const void *arg1, const void *arg2);
int ws_session_record_ssl(struct ws_session *s, const char *key, const char *cert, const char *ca,
			  const char *capath, const char *cipher);

/* Remember the connect arguments (after a successful mysql_real_connect). */
int ws_session_set_connect_args(struct ws_session *s, const char *user, const char *passwd, const char *db,
				unsigned long client_flag);

/* Session state reported by the primary. set_var returns 1 when the value
 * changed, 0 when it did not (or the variable is never carried), -ENOMEM;
 * set_db returns 0 or -ENOMEM. */
int ws_session_set_var(struct ws_session *s, const char *name, size_t name_len, const char *value,
		       size_t value_len);
int ws_session_set_db(struct ws_session *s, const char *db, size_t len);
/*
 * What a statement that changes session state did that the server's tracking
 * does not say (the text q ran successfully on the primary): SET NAMES …
 * [COLLATE c] (the collation is not reported), SET timestamp = DEFAULT (the old
 * value keeps being reported), SET session_track_… (the application turned our
 * tracking down: the state is unknown from now on, reads stay on the primary).
 */
void ws_session_note_set(struct ws_session *s, const char *q, size_t len);
/* mysql_set_character_set(): the collation is the character set's default. */
void ws_session_collation_default(struct ws_session *s);

/*
 * MariaDB sends no session-tracking data for `SET @@name = …` written without a
 * scope, although the session value changes as with `SET @@session.name = …`,
 * which it does track: without help such a change never reaches the replicas.
 * When q is such a SET, *out is a copy (malloc'd, NUL-terminated, *out_len
 * bytes) with every unscoped assignment target written @@session.name, the same
 * statement for the server; returns 1. 0 when q needs no change, -ENOMEM.
 */
int ws_session_scope_set(const char *q, size_t len, char **out, size_t *out_len);
/* Forget the session state and close replica connections (change_user, reset). */
void ws_session_reset_state(struct ws_session *s);

/* Temporary tables created by this session. */
int ws_session_add_temp(struct ws_session *s, const char *name, size_t len);
void ws_session_drop_temp(struct ws_session *s, const char *name, size_t len);

/* Set / clear libwescale's own error on the handle. */
void ws_session_set_error(struct ws_session *s, unsigned code, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void ws_session_clear_error(struct ws_session *s) { s->err_code = 0; }

/*
 * mysql_send_query sent a read to replica connection `replica`: make the
 * application's socket fd number refer to the replica's socket until the reply
 * is read, so that an application polling its own socket (Ruby mysql2, event
 * loops) wakes up when the answer is in. The primary's socket stays open on
 * another (close-on-exec) number meanwhile. Returns 0, or a negative errno: then
 * nothing changed and the read must go to the primary.
 */
int ws_session_fd_lend(struct ws_session *s, MYSQL *replica);
/* Give the application's fd number back to the primary's socket (before
 * anything uses the primary connection or the replica is closed). */
void ws_session_fd_return_slow(struct ws_session *s);
static inline void ws_session_fd_return(struct ws_session *s)
{
	if (s->fd_saved >= 0)
		ws_session_fd_return_slow(s);
}

/* The primary (the application's own connection) runs the next statement or
 * call: it answers status calls from now on, and what was known of its server
 * status (in a transaction?) may change. Every path that lets the primary run
 * anything goes through here (or ws_route_reset_last). */
void ws_tracking_now(struct ws_session *s);
/* The primary answers status calls from now on (what was known of its
 * server status may change); no statement is run for it. */
static inline void ws_session_forget_last(struct ws_session *s)
{
	ws_session_fd_return(s);
	s->last = NULL;
	s->last_node = -1;
	s->trx_known = false;
}
static inline void ws_session_use_primary(struct ws_session *s)
{
	/* Nothing has run on the primary since its connect: set up tracking
	 * first, so that what this call changes is reported (tracking.c). */
	if (__builtin_expect(s->track_pending, 0)) {
		ws_session_fd_return(s);
		ws_tracking_now(s);
	}
	ws_session_forget_last(s);
}

/* Bring replica connection c up to the session's state (variables, database).
 * 0 or -1. */
int ws_session_apply_state(struct ws_session *s, struct ws_conn *c);

/* How long a replica connection that failed is left alone. */
#define WS_REPLICA_RETRY_MS 1000

/* The transaction-replay record a session carries (s->replay) is replay.c's:
 * it gives the function that frees it when it attaches one. */
struct ws_replay;
void ws_session_set_replay_free(void (*fn)(struct ws_replay *));

/* Who keeps a replica connection a session no longer needs instead of closing
 * it (pool.c, registered at start-up): 0 when it took c->mysql, -1 to close. */
void ws_session_set_keeper(int (*fn)(struct ws_session *s, struct ws_conn *c));

/* Replay the whole session state (variables, database) on m: a new
 * connection to the primary after a failover. 0 or -1. */
int ws_session_replay(struct ws_session *s, MYSQL *m);

/* Close replica connections idle for longer than replica_idle_timeout_ms
 * (checked at most once a second; now_ms: the statement's start). */
void ws_session_close_idle_slow(struct ws_session *s, uint64_t now_ms);
static inline void ws_session_close_idle(struct ws_session *s, uint64_t now_ms)
{
	if (s->cluster->replica_idle_timeout_ms && now_ms - s->idle_checked_ms >= 1000)
		ws_session_close_idle_slow(s, now_ms);
}

/* Did the application set a MYSQL_INIT_COMMAND? */
bool ws_session_has_init_command(const struct ws_session *s);

/* May a statement that began at started_us (ws_now_us) and failed on its
 * connection be run again elsewhere? Not when the application set
 * MYSQL_OPT_READ_TIMEOUT and the attempt used any real part of it: a retry
 * must not stretch the time the application allowed (it then gets the error
 * the real library gave). */
bool ws_session_may_retry(const struct ws_session *s, uint64_t started_us);

/* Close replica idx's connection and keep it out of use for a while. */
void ws_session_replica_failed(struct ws_session *s, size_t idx);

/* Copy src's recorded options into dst (which has none). 0 or -ENOMEM. */
int ws_session_copy_options(struct ws_session *dst, const struct ws_session *src);
/* Free the recorded options. */
void ws_session_free_options(struct ws_session *s);

/* Apply the application's recorded options to a fresh handle (also used for
 * reconnects). Returns 0, or -1 when an option was refused. */
int ws_session_apply_options(const struct ws_session *s, MYSQL *target);
/* The same, leaving out every recorded call of option `skip`. */
int ws_session_apply_options_except(const struct ws_session *s, MYSQL *target, int skip);

uint64_t ws_now_ms(void);

#endif /* WS_SESSION_H */
