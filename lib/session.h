/*
 * session.h — per-handle state, kept in a side table keyed by the MYSQL pointer.
 *
 * The library never reads or writes fields of MYSQL (DESIGN.md §1): whatever it
 * needs to know about a handle lives here. An entry exists only for handles
 * created while a configuration with clusters is active; for every other handle
 * lookups return NULL and the shims pass through.
 *
 * Concurrency: the table itself is thread-safe. An entry belongs to the thread
 * that uses its handle (the C API's one-handle-one-thread contract); the table
 * never touches an entry's fields except `mysql` and `next`.
 */
#ifndef WS_SESSION_H
#define WS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <mysql.h>

struct ws_cluster;

struct ws_session {
	MYSQL *mysql;                     /* the application's handle (the key) */
	struct ws_session *next;          /* bucket chain; owned by the table */
	const struct ws_cluster *cluster; /* NULL: connected, but not to a cluster */
	bool connected;
};

/* The entry for `mysql`, or NULL. Borrowed: valid until ws_session_detach(mysql). */
struct ws_session *ws_session_get(const MYSQL *mysql);

/* Create the entry for `mysql`, replacing (and freeing) a stale one left by a
 * handle at the same address that was never closed. NULL on allocation failure. */
struct ws_session *ws_session_attach(MYSQL *mysql);

/* Remove and free the entry for `mysql`; no-op when there is none. */
void ws_session_detach(const MYSQL *mysql);

/* Number of entries (for tests and stats). */
size_t ws_session_count(void);

/* In a child after fork(): the locks may have been held by threads that do not
 * exist in the child; make them usable again. Entries are kept. */
void ws_session_atfork_child(void);

#endif /* WS_SESSION_H */
