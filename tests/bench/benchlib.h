/*
 * benchlib.h — what bench-overhead and bench-scale share (benchlib.c).
 */
#ifndef WS_BENCHLIB_H
#define WS_BENCHLIB_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <mysql.h>

#define BENCH_DB "wstest_bench"
#define BENCH_ROWS 10000u

/* The program's name in messages (set by main). */
extern const char *bench_prog;

/* The driver's start: its own statements are not routed (WESCALE_DISABLE),
 * the topology's ports, and the directory this binary (and its -plain twin)
 * is in, into bin_dir. Exits when there is no topology in the environment. */
void bench_driver_start(unsigned *primary, unsigned replicas[2], char *bin_dir, size_t size);
/* Run cleanup at exit and on SIGINT, SIGTERM, SIGHUP (then die of the signal). */
void bench_on_exit(void (*cleanup)(void));

/* Print what failed on m (NULL: out of memory) and exit(2). */
void bench_die_mysql(MYSQL *m, const char *what) __attribute__((noreturn));
/* A port from the topology's environment (tests/topology.sh DIR/env), or exit. */
unsigned bench_env_port(const char *name);
/* A connection as the topology's application user to 127.0.0.1:port, or exit. */
MYSQL *bench_connect(unsigned port, const char *db);
/* Run sql and drop its result, or exit. */
void bench_exec(MYSQL *m, const char *sql);
/* The first column of sql's first row into buf, or exit. */
char *bench_query_text(MYSQL *m, const char *sql, char *buf, size_t size);
/* BENCH_DB.sbtest1 with BENCH_ROWS rows, on the primary and, once replicated,
 * on every replica. */
void bench_setup_table(unsigned primary, const unsigned *replicas, unsigned n_replicas);
/* Run argv[0] (argv NULL-terminated) in a child whose stdout is the stream
 * returned (NULL when pipe or fork fails): routing on (WESCALE_DISABLE unset),
 * WESCALE_CONFIG=conf, and LD_LIBRARY_PATH=libdir unless NULL. Its pid in
 * *pid: the caller reads the stream, closes it and waits. */
FILE *bench_spawn(char *const argv[], const char *conf, const char *libdir, pid_t *pid);
/* A free TCP port on 127.0.0.1 (0 when none could be had). */
unsigned bench_free_port(void);
/* The median of v[0..n) (sorts v). */
double bench_median(double *v, int n);

#endif
