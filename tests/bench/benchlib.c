/*
 * benchlib.c — what bench-overhead and bench-scale share: the topology's
 * ports from the environment, plain connections, the sysbench-shaped table.
 * Benchmarks, not library code: a failure prints and exits.
 */
#include <limits.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

const char *bench_prog = "bench";

void bench_die_mysql(MYSQL *m, const char *what)
{
	fprintf(stderr, "%s: %s: %u %s\n", bench_prog, what, m ? mysql_errno(m) : 0,
		m ? mysql_error(m) : "out of memory");
	exit(2);
}

unsigned bench_env_port(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s: %s is not set: start a topology (tests/topology.sh start DIR) "
			"and source DIR/env\n", bench_prog, name);
		exit(2);
	}
	return (unsigned)atoi(v);
}

void bench_driver_start(unsigned *primary, unsigned replicas[2], char *bin_dir, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;

	setenv("WESCALE_DISABLE", "1", 1);
	*primary = bench_env_port("WS_TEST_PRIMARY_PORT");
	replicas[0] = bench_env_port("WS_TEST_REPLICA1_PORT");
	replicas[1] = bench_env_port("WS_TEST_REPLICA2_PORT");
	bench_env_port("WS_TEST_USER");
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		perror("readlink /proc/self/exe");
		exit(2);
	}
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(bin_dir, size, "%s", self);
}

static void (*on_exit_cleanup)(void);

static void on_signal(int sig)
{
	on_exit_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void bench_on_exit(void (*cleanup)(void))
{
	on_exit_cleanup = cleanup;
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

MYSQL *bench_connect(unsigned port, const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (!m || !mysql_real_connect(m, "127.0.0.1", getenv("WS_TEST_USER"), getenv("WS_TEST_PASSWORD"), db, port,
				      NULL, 0))
		bench_die_mysql(m, "connect");
	return m;
}

void bench_exec(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql))
		bench_die_mysql(m, sql);
	mysql_free_result(mysql_store_result(m));
}

char *bench_query_text(MYSQL *m, const char *sql, char *buf, size_t size)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql) || !(res = mysql_store_result(m)))
		bench_die_mysql(m, sql);
	row = mysql_fetch_row(res);
	snprintf(buf, size, "%s", row && row[0] ? row[0] : "");
	mysql_free_result(res);
	return buf;
}

void bench_setup_table(unsigned primary, const unsigned *replicas, unsigned n_replicas)
{
	MYSQL *m = bench_connect(primary, NULL);
	char buf[256], sql[512];

	bench_exec(m, "CREATE DATABASE IF NOT EXISTS " BENCH_DB);
	bench_exec(m, "CREATE TABLE IF NOT EXISTS " BENCH_DB ".sbtest1 (id INT UNSIGNED NOT NULL PRIMARY KEY, "
		    "k INT UNSIGNED NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', "
		    "pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k)) ENGINE=InnoDB");
	bench_query_text(m, "SELECT COUNT(*) FROM " BENCH_DB ".sbtest1", buf, sizeof(buf));
	if (strtoul(buf, NULL, 10) != BENCH_ROWS) {
		bench_exec(m, "TRUNCATE TABLE " BENCH_DB ".sbtest1");
		for (unsigned base = 0; base < BENCH_ROWS; base += 1000) {
			char *q = malloc(1000 * 220 + 128);
			size_t pos;

			if (!q)
				exit(2);
			pos = (size_t)sprintf(q, "INSERT INTO " BENCH_DB ".sbtest1 (id, k, c, pad) VALUES ");
			for (unsigned i = base + 1; i <= base + 1000; i++)
				pos += (size_t)sprintf(q + pos, "%s(%u, %u, '%011u-%011u-%011u-%011u-%011u-%011u-%011u-%011u', "
						      "'%011u-%011u-%011u-%011u-%011u')", i > base + 1 ? "," : "", i,
						      i * 7919 % BENCH_ROWS, i, i * 3, i * 5, i * 7, i * 11, i * 13, i * 17, i * 19,
						      i * 23, i * 29, i * 31, i * 37, i * 41);
			bench_exec(m, q);
			free(q);
		}
	}
	bench_query_text(m, "SELECT @@gtid_binlog_pos", buf, sizeof(buf));
	mysql_close(m);
	for (unsigned r = 0; r < n_replicas; r++) {
		char got[32];

		m = bench_connect(replicas[r], NULL);
		snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 60)", buf);
		if (strcmp(bench_query_text(m, sql, got, sizeof(got)), "0") != 0) {
			fprintf(stderr, "%s: replica on port %u did not catch up\n", bench_prog, replicas[r]);
			exit(2);
		}
		mysql_close(m);
	}
}

FILE *bench_spawn(char *const argv[], const char *conf, const char *libdir, pid_t *pid)
{
	int fds[2];

	if (pipe(fds))
		return NULL;
	*pid = fork();
	if (*pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		unsetenv("WESCALE_DISABLE");
		setenv("WESCALE_CONFIG", conf, 1);
		if (libdir)
			setenv("LD_LIBRARY_PATH", libdir, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	if (*pid < 0) {
		close(fds[0]);
		return NULL;
	}
	return fdopen(fds[0], "r");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

unsigned bench_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
