/*
 * wstest.h — shared helpers for integration tests against the topology that
 * tests/topology.sh started (its DIR/env exported into the environment).
 *
 * A test that finds no topology in its environment FAILS (it does not skip).
 */
#ifndef WSTEST_H
#define WSTEST_H

#include <stdbool.h>
#include <sys/types.h>
#include <mysql.h>

struct wstest_env {
	unsigned primary_port;
	unsigned replica_port[8];
	unsigned n_replicas;
	const char *user, *password, *admin_user, *admin_password, *db, *config, *dir;
};

/* Reads WS_TEST_* from the environment; prints what is missing and returns false. */
bool wstest_env_load(struct wstest_env *env);

/* Connect with the application user (CLIENT_MULTI_STATEMENTS on) to 127.0.0.1:port. */
MYSQL *wstest_connect(const struct wstest_env *env, unsigned port, const char *db);
/* Connect as the admin user. */
MYSQL *wstest_connect_admin(const struct wstest_env *env, unsigned port);

/* Run a statement that returns one value and give it as a long (or -1 on error, printing it). */
long wstest_query_long(MYSQL *m, const char *sql);
/* Run statements; returns 0 or the error number (printing the error). Results are consumed. */
unsigned wstest_exec(MYSQL *m, const char *sql);
/* One number from sql on a fresh admin connection to the server at port
 * (closed again); -1 when that fails. */
long wstest_admin_long(const struct wstest_env *env, unsigned port, const char *sql);
/* @@server_id of the connection that answers a plain SELECT on m. */
long wstest_server_id(MYSQL *m);
/* Wait until every replica has applied the primary's current GTID position (via admin). */
bool wstest_sync_replicas(const struct wstest_env *env);

/* Seconds on the monotonic clock. */
double wstest_now_s(void);

/* Sleep ms milliseconds. */
void wstest_msleep(unsigned ms);

/* Run a shell command made like printf; its exit status as system() gives it. */
int wstest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A topology of the test's own, for tests that change it (kill, promote):
 * started with SRCDIR/tests/topology.sh in $TMPDIR (default /tmp)/wescale-NAME.PID,
 * its WS_TEST_* variables exported into this process, env loaded from them.
 * false (with what went wrong printed) when it could not be started. */
bool wstest_own_topology(const char *srcdir, const char *name, struct wstest_env *env);
/* The same with n_replicas replicas (server ids 2 … n_replicas + 1). */
bool wstest_own_topology_n(const char *srcdir, const char *name, unsigned n_replicas, struct wstest_env *env);
/* `topology.sh WHAT DIR NODE` on it (kill, shutdown, restart); its exit status. */
int wstest_own_topology_node(const char *what, unsigned node);
/* The server process of node N of it (0 = the primary), or -1. */
long wstest_own_topology_pid(unsigned node);
/* Write a wescale.conf made like printf into ENV_DIR/name (mode 0600: it may
 * hold a password) and point WESCALE_CONFIG at it. Its path (static storage),
 * or NULL when it could not be written. */
const char *wstest_write_config(const struct wstest_env *env, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run the CUnit registry (verbose), clean it up and end the client library:
 * the exit status for main (0 all passed, 1 a failure). */
int wstest_cunit_run(void);

/* The statements replicas refused as writes (1792) and the primary ran
 * instead, summed over the clusters of wescale_stats_json(): should stay 0. */
long wstest_misrouted(void);

/* Stop it and delete its directory. */
void wstest_own_topology_stop(void);

/* fork() for a test whose process runs other threads (libwescale's monitor).
 * The sanitizer runtime of Debian 12's GCC 12 does not take its allocator's
 * locks around fork() (LLVM added that in 18: "[asan] Install
 * pthread_atfork"), so a child forked while another thread is inside malloc
 * can hang in its own first malloc; glibc's malloc, what applications run on,
 * takes its locks around fork(). So in AddressSanitizer builds this forks
 * when every other thread is asleep (a futex wait or a sleep: the monitor
 * between rounds), and keeps the child only if none of them ran between that
 * check and the fork (their CPU time, /proc/self/task/N/schedstat);
 * otherwise the child is killed before it did anything, and it tries again.
 * Elsewhere: fork(). */
pid_t wstest_fork(void);
/* waitpid() for at most timeout_s seconds; then SIGKILL the child and reap it.
 * Its status, or -1 when it was killed for taking too long (or wait failed). */
int wstest_wait(pid_t pid, unsigned timeout_s);

/* Start fake_server.py (script, run by python) with these arguments
 * (NULL-terminated): the port it listens on, 0 when it did not start. */
unsigned wstest_fake_start(const char *python, const char *script, const char *const *args);
/* Stop the fake server started last. */
void wstest_fake_stop_last(void);
/* Stop every fake server started so far. */
void wstest_fakes_stop(void);

#endif
