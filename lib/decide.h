/*
 * decide.h — where one statement runs: the routing decision as a pure function.
 *
 * Every entry point that runs something on a managed handle (text, send_query,
 * prepared execute, the non-blocking API, commit/rollback/autocommit,
 * select_db, set_character_set) gathers the facts below and asks
 * ws_route_decide(); the executor (route.c) only carries the plan out: it picks
 * which replica (balancing, and whether a consistency wait must run first) and
 * falls back to the primary when no replica can serve. ws_route_decide() does no
 * I/O, reads no shared state and allocates nothing: tests/unit/test-decide.c
 * holds it to the README's "What goes where" as a table.
 *
 * Transactions on replicas (optimistic.c): the plan starts a transaction on a
 * replica (start_ro_trx with opt), keeps its reads there (WS_TARGET_RO_TRX), and
 * at its first statement a replica cannot run says migrate: the executor moves
 * the transaction to the primary (verified) before running the statement.
 *
 * The one safety rule it keeps whatever it is asked: a hint, wescale_route_next()
 * or a rule can only make routing safer. A request for a replica never moves a
 * write, a locking read, a primary-only function, a user variable, a session
 * state change or a multi-statement with a write off the primary (the plan then
 * says so: unsafe_ignored).
 */
#ifndef WS_DECIDE_H
#define WS_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

/* Which call asks. */
enum ws_api {
	WS_API_TEXT,        /* mysql_real_query / mysql_query */
	WS_API_SEND,        /* mysql_send_query (reply read by mysql_read_query_result) */
	WS_API_PREPARED,    /* mysql_stmt_execute (routed by the statement's text) */
	WS_API_NONBLOCKING, /* mysql_*_start / _cont */
	WS_API_END_TRX,     /* mysql_commit / mysql_rollback */
	WS_API_AUTOCOMMIT,  /* mysql_autocommit */
	WS_API_SELECT_DB,   /* mysql_select_db */
	WS_API_SET_CHARSET, /* mysql_set_character_set */
	WS_API_COUNT
};

/* Where the plan sends the statement. */
enum ws_target {
	WS_TARGET_PRIMARY,  /* the application's own connection */
	WS_TARGET_REPLICA,  /* a replica the executor picks (subject to wait_level) */
	WS_TARGET_RO_TRX,   /* the replica holding the READ ONLY transaction */
	WS_TARGET_LAST,     /* the connection that ran the previous statement */
	WS_TARGET_MEMBER,   /* the cluster member a rule named (route = HOST:PORT) */
	WS_TARGET_COUNT
};

/* Why. The first group sends a statement away from the primary. */
enum ws_reason {
	WS_WHY_READ,             /* a read: a replica */
	WS_WHY_READ_ASKED,       /* not provably a read, but a hint / wescale_route_next / rule asked
				    for a replica and nothing in it forbids one */
	WS_WHY_RO_TRX,           /* inside START TRANSACTION READ ONLY: its replica */
	WS_WHY_RO_TRX_BEGIN,     /* START TRANSACTION READ ONLY: starts on a replica */
	WS_WHY_OPT_TRX,          /* inside an optimistic transaction: its replica */
	WS_WHY_OPT_BEGIN,        /* starts an optimistic transaction on a replica (BEGIN, or the first
				    read of an autocommit-off transaction) */
	WS_WHY_DIAGNOSTICS,      /* SHOW WARNINGS, FOUND_ROWS(), …: the previous statement's node */
	WS_WHY_RULE_MEMBER,      /* a rule's route = HOST:PORT */
	/* The primary, because of the statement: */
	WS_WHY_WRITE,            /* a write, or not provably a read */
	WS_WHY_LOCKING_READ,     /* SELECT … FOR UPDATE / LOCK IN SHARE MODE / INTO */
	WS_WHY_PRIMARY_FUNC,     /* LAST_INSERT_ID(), GET_LOCK(), NEXTVAL(), … */
	WS_WHY_USER_VAR,         /* reads or writes a user variable */
	WS_WHY_SESSION_STATE,    /* USE, SET …: changes session state (carried to the replicas) */
	WS_WHY_TRX_CONTROL,      /* BEGIN, COMMIT, SET autocommit, XA, … */
	WS_WHY_MULTI_WRITE,      /* a multi-statement text with a part that is not a read */
	WS_WHY_UNCARRIED_VAR,    /* reads a session variable that is not carried to replicas */
	WS_WHY_HINT_PRIMARY,     /* a hint asked for the primary */
	WS_WHY_API_PRIMARY,      /* wescale_route_next(WESCALE_ROUTE_PRIMARY) */
	WS_WHY_RULE_PRIMARY,     /* a rule's route = primary */
	WS_WHY_API_CALL,         /* commit / rollback / autocommit / select_db / set_character_set */
	/* The primary, because of the session: */
	WS_WHY_IN_TRX,           /* inside a read-write transaction (or autocommit off) */
	WS_WHY_OPT_LEARNED,      /* optimistic_transactions = adaptive: transactions that begin like
				    this one were seen to write: it starts on the primary */
	WS_WHY_ASSUME_WRITE,     /* START TRANSACTION READ WRITE, SET TRANSACTION READ WRITE,
				    assume_write_transactions: the transaction starts on the primary */
	WS_WHY_LOCK_TABLES,      /* under LOCK TABLES */
	WS_WHY_TEMP_TABLE,       /* touches a temporary table of this session */
	WS_WHY_MAYBE_TEMP,       /* the session may hold temporary tables or locks it did not name
				    (CALL, EXECUTE, …): until a reset */
	WS_WHY_STATE_UNKNOWN,    /* session state could not be tracked */
	WS_WHY_CONSISTENCY_PRIMARY, /* consistency = primary */
	WS_WHY_MULTI_NOT_ENABLED,/* multi-statement text without CLIENT_MULTI_STATEMENTS */
	WS_WHY_NONBLOCKING,      /* the non-blocking API reads on the application's connection */
	WS_WHY_OWN_REPLIES,      /* MARIADB_OPT_SKIP_READ_RESPONSE: replies read through MYSQL.methods */
	WS_WHY_NO_REPLICAS,      /* the cluster has no replica for this handle */
	/* Set by the executor when the plan's replica could not be used: */
	WS_WHY_NO_REPLICA_READY, /* no replica healthy, caught up enough, connectable */
	WS_WHY_REPLICA_LAGGED,   /* the consistency wait timed out */
	WS_WHY_COUNT
};

/* Every fact the decision needs. */
struct ws_decide_in {
	const struct ws_verdict *v; /* the classifier's verdict on the whole text (NULL: an API call
				       without text) */
	enum ws_api api;
	int asked;                  /* enum wescale_route: wescale_route_next() (or a rule when
				       asked_by_rule) for this statement; AUTO: none */
	bool asked_by_rule;
	bool member;                /* a rule named a cluster member (route = HOST:PORT) */
	int consistency;            /* effective enum wescale_consistency (hint > rule > handle > cluster) */
	bool has_replicas;          /* the handle has replica connections to choose from */
	bool in_trx;                /* server status IN_TRANS, or autocommit off */
	bool ro_trx;                /* a READ ONLY transaction is held on a replica */
	bool ro_trx_to_replica;     /* read_only_transactions = replica */
	bool locked_tables;
	bool temp_mentioned;        /* the text names one of the session's temporary tables */
	bool maybe_temp;            /* the session may hold unnamed temporary tables or locks */
	bool state_unknown;
	bool multi_enabled;         /* the application connected with CLIENT_MULTI_STATEMENTS */
	bool own_replies;           /* MARIADB_OPT_SKIP_READ_RESPONSE */
	bool diagnostics;           /* the text asks about the previous statement (ws_decide_is_diagnostics) */
	bool last_on_replica;       /* a replica (not the primary) ran the previous statement */
	bool uncarried_var;         /* the text reads a session variable replicas do not carry */
	/* Transactions on replicas (optimistic.c). */
	int optimistic;             /* enum ws_opt_trx of the cluster */
	bool opt_trx;               /* with ro_trx: the transaction held there is optimistic */
	bool primary_trx;           /* the primary has a transaction open (server status IN_TRANS) */
	bool autocommit_off;        /* the session runs with autocommit off (a statement opens a
				       transaction) */
	bool assume_write;          /* assume_write_transactions (handle or cluster), or SET TRANSACTION
				       READ WRITE before this transaction */
	bool read_write;            /* the text starts a transaction READ WRITE (ws_decide_says_read_write) */
	bool shape_writes;          /* adaptive: transactions that begin like this statement write */
};

struct ws_plan {
	enum ws_target target;
	enum ws_reason reason;
	int wait_level;        /* REPLICA: the consistency level the replica must satisfy (enum
				  wescale_consistency; EVENTUAL: no wait) */
	bool end_ro_trx;       /* first end the READ ONLY transaction held on a replica */
	bool start_ro_trx;     /* REPLICA: the statement starts a READ ONLY transaction there */
	bool unsafe_ignored;   /* a request for a replica was refused (the statement is not safe there) */
	bool opt;              /* start_ro_trx: the transaction is optimistic (may move to the primary) */
	bool begin_first;      /* opt: an implicit transaction (autocommit off): the executor starts it
				  on the replica before the statement */
	bool migrate;          /* first move the optimistic transaction to the primary: roll it back on
				  its replica, run it again there verifying every outcome */
};

/* The decision. Pure: no I/O, no shared state. */
void ws_route_decide(const struct ws_decide_in *in, struct ws_plan *out);

/*
 * A plan remembered with the facts it was made from (route.c packs them:
 * every fact of the session and of the statement that the decision's inputs
 * are read from). While they are the same the decision is the same, and the
 * next statement skips gathering and deciding: a prepared statement keeps one
 * (executed again and again), a handle one for its text statements (a loop
 * of reads of the same shape). Only a plain replica read is remembered (no
 * transaction to start, end or move).
 */
struct ws_route_key {
	const void *cluster;    /* the handle's cluster (its settings never change) */
	unsigned char facts[20]; /* the session's route_facts (session.h) */
	unsigned status;        /* the primary's server status (IN_TRANS, AUTOCOMMIT) */
	signed char asked;
	unsigned char n_temp;   /* temporary tables (255: 255 or more) */
	unsigned short bits;    /* more of the session's facts, and the call's (route.c) */
	/* The statement's: */
	uint32_t flags;         /* of its verdict */
	signed char kind, hint_route, hint_consistency, api;
};

struct ws_route_memo {
	struct ws_route_key key;
	struct ws_plan plan;
	bool valid;
	bool diagnostics;       /* the input of the same name */
};

/* Does the text only ask about the previous statement: SHOW [COUNT(*)]
 * WARNINGS | ERRORS, GET DIAGNOSTICS, or a SELECT of nothing but FOUND_ROWS(),
 * ROW_COUNT(), @@warning_count, @@error_count? Pure. */
bool ws_decide_is_diagnostics(const char *q, size_t len);

/* May statement v (text q) have created temporary tables or locks it does not
 * name: CALL, EXECUTE [IMMEDIATE], or a rename of a temporary table
 * (temp_mentioned: the text names one of the session's)? Then the session is
 * treated as holding some until a reset (decide: maybe_temp). Pure. */
bool ws_decide_may_hide_state(const struct ws_verdict *v, const char *q, size_t len, bool temp_mentioned);

/* May statement v write (so that, answered with rows, its GTID must be asked
 * for)? False for reads, and for SELECTs kept on the primary only for what they
 * read (FOR UPDATE, INTO, user variables, SQL_CALC_FOUND_ROWS). Pure. */
bool ws_decide_may_write(const struct ws_verdict *v);

/* Does the text read a session variable that libwescale does not carry to
 * replicas (@@sql_log_bin, @@gtid_domain_id, …: their value lives on the
 * primary's session only)? Pure. */
bool ws_decide_reads_uncarried(const char *q, size_t len);

/* Does the text say READ WRITE (START TRANSACTION READ WRITE, SET TRANSACTION
 * READ WRITE)? Pure. */
bool ws_decide_says_read_write(const char *q, size_t len);

/* Names for logs, stats and wescale_last_route(). Static strings. */
const char *ws_target_to_string(enum ws_target t);
const char *ws_reason_to_string(enum ws_reason r);
/* Short key for the stats JSON ("read", "temp_table", …). */
const char *ws_reason_key(enum ws_reason r);
const char *ws_api_to_string(enum ws_api a);

#endif /* WS_DECIDE_H */
