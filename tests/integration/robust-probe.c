/*
 * robust-probe.c — the bad-input probes of test-robustness.c, as a program of
 * their own: built twice, linked with plain libmariadb (robust-probe-plain) and
 * with libwescale alone (robust-probe-wescale), so that what the real library
 * does with a bad input and what libwescale does with it can be compared, and
 * so that a probe that may crash runs in a process that is not the test's.
 *
 *   robust-probe null
 *       Every exported call that takes a handle, called with NULL handles (each
 *       in a child process): one line "name: returned …" / "name: crashed
 *       (signal N)" / "name: hung".
 *   robust-probe stmts HOST PORT USER PASSWORD DB
 *       The bad-statement corpus (0 bytes, 16 MiB, invalid UTF-8, unterminated
 *       comments and quotes, …) on one connection: per statement everything
 *       the application can observe (results, hashes of the values, warnings,
 *       errno, sqlstate, message), then whether the handle still works. Lines
 *       starting with '#' say which node ran it (libwescale only) and are not
 *       part of the comparison.
 *   robust-probe fake HOST PORT [USER PASSWORD DB]
 *       A short script against a (fake) primary: writes, reads, a read of the
 *       user variable @wescale_injected on the replica (set only by SQL
 *       injected into the replica's session), ping, select_db.
 *   robust-probe reads HOST PORT USER PASSWORD DB N
 *       One write, then N reads of @@server_id: "reads ok=… errors=… ids=…
 *       slowest_ms=…", for the process-level configuration checks.
 *
 * Exit status: 0 when the run completed (whatever the server said), 2 on bad
 * usage or when the first connection failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mariadb_rpl.h>
#include <ma_pvio.h>

#define MIB (1024ul * 1024ul)

static char scratch[65536] __attribute__((aligned(64)));

struct null_probe {
	const char *name;
	void (*fn)(void);
};

#include "robust-null-calls.h"

/* wescale_last_backend() when libwescale is the library (NULL otherwise). */
static int (*last_backend)(MYSQL *, char *, size_t);

static void print_backend(MYSQL *m)
{
	char b[128];

	if (last_backend && last_backend(m, b, sizeof(b)) == 0)
		printf("# backend %s\n", b);
}

/* ---- null ---- */

static int null_probe(void)
{
	for (size_t i = 0; i < sizeof(null_probes) / sizeof(null_probes[0]); i++) {
		int fd[2], status;
		char out[256] = "";
		ssize_t n, got = 0;
		pid_t pid;

		fflush(stdout);
		if (pipe(fd) < 0)
			return 2;
		pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			int devnull = open("/dev/null", O_WRONLY);

			dup2(fd[1], 1);
			if (devnull >= 0)
				dup2(devnull, 2); /* the sanitizer's report of an expected crash */
			close(fd[0]);
			alarm(10);
			setvbuf(stdout, NULL, _IONBF, 0);
			null_probes[i].fn();
			_exit(0);
		}
		close(fd[1]);
		while ((n = read(fd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
			got += n;
		out[got > 0 ? got : 0] = '\0';
		close(fd[0]);
		waitpid(pid, &status, 0);
		out[strcspn(out, "\n")] = '\0';
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strncmp(out, "returned", 8) == 0)
			printf("%s: %s\n", null_probes[i].name, out);
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			printf("%s: hung\n", null_probes[i].name);
		else if (WIFSIGNALED(status))
			printf("%s: crashed (signal %d)\n", null_probes[i].name, WTERMSIG(status));
		else
			printf("%s: crashed (exit %d)\n", null_probes[i].name, WEXITSTATUS(status));
	}
	return 0;
}

/* ---- output helpers ---- */

/* Bytes as text: printable ASCII as is, the rest \xHH; at most max bytes. */
static void print_escaped(const char *s, size_t len, size_t max)
{
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	if (len > max)
		printf("…(%zu bytes)", len);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static void print_error(const char *what, MYSQL *m)
{
	const char *e = mysql_error(m);

	printf("  %s: errno=%u sqlstate=%s error=", what, mysql_errno(m), mysql_sqlstate(m));
	print_escaped(e, strlen(e), 300);
	printf("\n");
}

/* Every result of the last statement: per result set (the first 5 in full)
 * its shape, the first value (short) and a hash of all values; then how many
 * results there were and a hash over all of them. */
static void print_results(MYSQL *m)
{
	uint64_t all = 1469598103934665603ull;
	unsigned k = 0;
	int status;

	do {
		MYSQL_RES *res = mysql_store_result(m);

		if (res) {
			unsigned nf = mysql_num_fields(res);
			uint64_t h = 1469598103934665603ull, rows = 0;
			MYSQL_ROW row;
			size_t first_len = 0;
			char first[64] = "";

			while ((row = mysql_fetch_row(res))) {
				unsigned long *len = mysql_fetch_lengths(res);

				for (unsigned i = 0; i < nf; i++) {
					h = fnv(h, &len[i], sizeof(len[i]));
					if (row[i])
						h = fnv(h, row[i], len[i]);
				}
				if (rows == 0 && nf && row[0]) {
					first_len = len[0];
					memcpy(first, row[0], len[0] < sizeof(first) ? len[0] : sizeof(first));
				}
				rows++;
			}
			all = fnv(all, &h, sizeof(h));
			if (k < 5) {
				printf("  result %u: fields=%u rows=%llu warnings=%u hash=%016llx first=", k, nf,
				       (unsigned long long)rows, mysql_warning_count(m), (unsigned long long)h);
				print_escaped(first, first_len, sizeof(first));
				printf("\n");
			}
			if (mysql_errno(m))
				print_error("fetch", m);
			mysql_free_result(res);
		} else if (mysql_field_count(m)) {
			print_error("store_result", m);
		} else if (k < 5) {
			printf("  result %u: affected=%lld warnings=%u\n", k, (long long)mysql_affected_rows(m),
			       mysql_warning_count(m));
		}
		k++;
		status = mysql_next_result(m);
		if (status > 0)
			print_error("next_result", m);
	} while (status == 0);
	printf("  results=%u hash=%016llx\n", k, (unsigned long long)all);
}

static void run(MYSQL *m, const char *label, const char *q, size_t len)
{
	printf("%s (%zu bytes):", label, len);
	if (len <= 60 && q) {
		printf(" ");
		print_escaped(q, len, 60);
	}
	printf("\n");
	if (mysql_real_query(m, q, len)) {
		print_error("error", m);
		print_backend(m);
	} else {
		print_backend(m);
		print_results(m);
	}
	/* The handle must still work. */
	if (mysql_query(m, "SELECT 1") == 0) {
		MYSQL_RES *r = mysql_store_result(m);

		printf("  after: %s\n", r ? "ok" : "no result");
		mysql_free_result(r);
	} else {
		print_error("after", m);
	}
}

static MYSQL *connect_to(const char *host, unsigned port, const char *user, const char *pw, const char *db)
{
	MYSQL *m = mysql_init(NULL);
	unsigned long max_packet = 256 * MIB;

	if (!m)
		return NULL;
	mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
	if (!mysql_real_connect(m, host, user, pw, db, port, NULL, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "robust-probe: connect %s:%u: %u %s\n", host, port, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* A statement of exactly `total` bytes: head, `fill` repeated, tail. */
static char *make_stmt(const char *head, char fill, const char *tail, size_t total)
{
	size_t h = strlen(head), t = strlen(tail);
	char *q = malloc(total + 1);

	if (!q || total < h + t) {
		free(q);
		return NULL;
	}
	memcpy(q, head, h);
	memset(q + h, fill, total - h - t);
	memcpy(q + total - t, tail, t);
	q[total] = '\0';
	return q;
}

/* ---- stmts ---- */

struct lit {
	const char *label, *text;
	size_t len; /* 0: strlen(text) */
};

static const struct lit corpus[] = {
	{ "empty", "", 0 },
	{ "blank", " \t\n  ", 0 },
	{ "comment-only", "/* nothing */", 0 },
	{ "dash-comment-only", "-- nothing", 0 },
	{ "hash-comment-only", "# nothing", 0 },
	{ "semicolon-only", ";", 0 },
	{ "nul-inside", "SELECT 1\0 garbage", 17 },
	{ "utf8-invalid-literal", "SELECT '\xff\xfe\xc3\x28' AS s", 0 },
	{ "utf8-invalid-compare", "SELECT COUNT(*) FROM rob_t WHERE s = '\xc3\x28'", 0 },
	{ "utf8-invalid-insert", "INSERT INTO rob_t (s) VALUES ('\xf0\x28\x8c\xbc')", 0 },
	{ "utf8-invalid-ident", "SELECT 1 AS `\xff\xfe`", 0 },
	{ "utf8-invalid-table", "SELECT * FROM `rob_\xff\xfe`", 0 },
	{ "utf8-invalid-comment", "SELECT 2 /* \xff\xfe\x80 */", 0 },
	{ "utf8-invalid-hint", "/* wescale:route=\xff\xfe */ SELECT 3", 0 },
	{ "utf8-overlong", "SELECT '\xc0\xaf' AS s", 0 },
	{ "utf8-surrogate", "SELECT '\xed\xa0\x80' AS s", 0 },
	{ "utf8-truncated-end", "SELECT 4 AS `a\xe2\x82`", 0 },
	{ "unterminated-block-comment", "SELECT 1 /* never closed", 0 },
	{ "unterminated-exec-comment", "/*! SELECT 1", 0 },
	{ "unterminated-mariadb-comment", "/*M!100000 SELECT 1", 0 },
	{ "unterminated-hint", "/* wescale:route=replica SELECT 1", 0 },
	{ "unterminated-single-quote", "SELECT 'abc", 0 },
	{ "unterminated-double-quote", "SELECT \"abc", 0 },
	{ "unterminated-backquote", "SELECT `abc", 0 },
	{ "unterminated-escape", "SELECT 'abc\\", 0 },
	{ "unterminated-in-write", "INSERT INTO rob_t (s) VALUES ('x", 0 },
	{ "unterminated-in-multi", "SELECT 5; SELECT 'x", 0 },
	{ "unterminated-write-after-read", "SELECT 6; DELETE FROM rob_t WHERE s = 'x", 0 },
	{ "quote-in-comment", "SELECT 7 /* it's */", 0 },
	{ "comment-in-quote", "SELECT '/* not a comment' AS s", 0 },
	{ "hint-in-quote", "SELECT '/* wescale:route=primary */' AS s", 0 },
};

static int stmts(const char *host, unsigned port, const char *user, const char *pw, const char *db)
{
	MYSQL *m = connect_to(host, port, user, pw, db);
	char *q;
	size_t n;

	if (!m)
		return 2;
	/* A clean slate, the same for both builds. */
	if (mysql_query(m, "DROP TABLE IF EXISTS rob_t, rob_big") ||
	    mysql_query(m, "CREATE TABLE rob_t (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(64) CHARACTER SET utf8mb4)") ||
	    mysql_query(m, "CREATE TABLE rob_big (id INT PRIMARY KEY, b LONGBLOB)") ||
	    mysql_query(m, "INSERT INTO rob_t (s) VALUES ('a'), ('b')")) {
		print_error("set-up", m);
		return 2;
	}
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
		run(m, corpus[i].label, corpus[i].text, corpus[i].len ? corpus[i].len : strlen(corpus[i].text));

	/* 16 MiB statements: one byte over the single-packet limit, so the client
	 * library splits them. */
	q = make_stmt("SELECT LENGTH('", 'x', "') AS n", 16 * MIB);
	run(m, "select-16MiB", q, 16 * MIB);
	free(q);
	q = make_stmt("INSERT INTO rob_big (id, b) VALUES (1, '", 'y', "')", 16 * MIB);
	run(m, "insert-16MiB", q, 16 * MIB);
	free(q);
	run(m, "read-16MiB-row-back", "SELECT LENGTH(b), MD5(b) FROM rob_big WHERE id = 1", 50);
	run(m, "result-16MiB", "SELECT REPEAT('z', 16777216) AS big", 35);
	q = make_stmt("SELECT 1 /* ", 'c', " */", 16 * MIB);
	run(m, "comment-16MiB", q, 16 * MIB);
	free(q);
	q = make_stmt("SELECT '", '\'', "", 16 * MIB); /* 8 Mi escaped quotes, then one open */
	run(m, "quotes-16MiB-unterminated", q, 16 * MIB);
	free(q);
	/* 16 MiB of bytes from a fixed pseudo-random sequence. */
	q = malloc(16 * MIB);
	if (q) {
		uint32_t x = 12345;

		for (n = 0; n < 16 * MIB; n++) {
			x = x * 1103515245u + 12345u;
			q[n] = (char)(x >> 16);
		}
		run(m, "garbage-16MiB", q, 16 * MIB);
		free(q);
	}
	/* Deep nesting and many statements. */
	q = malloc(2 * 3000 + 16);
	if (q) {
		n = (size_t)sprintf(q, "SELECT ");
		for (int i = 0; i < 3000; i++)
			q[n++] = '(';
		q[n++] = '1';
		for (int i = 0; i < 3000; i++)
			q[n++] = ')';
		run(m, "nesting-3000", q, n);
		free(q);
	}
	q = malloc(10 * 10000 + 1);
	if (q) {
		n = 0;
		for (int i = 0; i < 10000; i++)
			n += (size_t)sprintf(q + n, "SELECT %d;", i % 10);
		run(m, "10000-statements", q, n);
		free(q);
	}
	mysql_query(m, "DROP TABLE IF EXISTS rob_t, rob_big");
	mysql_close(m);
	return 0;
}

/* ---- fake ---- */

static void fake_step(MYSQL *m, const char *label, const char *sql)
{
	printf("%s:", label);
	if (mysql_query(m, sql)) {
		printf(" rc=1 errno=%u error=", mysql_errno(m));
		print_escaped(mysql_error(m), strlen(mysql_error(m)), 200);
		printf("\n");
		print_backend(m);
		return;
	}
	printf(" rc=0");
	do {
		MYSQL_RES *res = mysql_store_result(m);

		if (res) {
			MYSQL_ROW row = mysql_fetch_row(res);

			printf(" value=%s", row && row[0] ? row[0] : "(none)");
			mysql_free_result(res);
		} else if (mysql_field_count(m)) {
			printf(" store_result errno=%u", mysql_errno(m));
		}
	} while (mysql_next_result(m) == 0);
	printf("\n");
	print_backend(m);
}

static int fake(const char *host, unsigned port, const char *user, const char *pw, const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, pw, db, port, NULL, CLIENT_MULTI_STATEMENTS)) {
		printf("connect: errno=%u error=%s\n", mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return 2;
	}
	printf("connect: ok\n");
	fake_step(m, "write-1", "INSERT INTO rob_fake VALUES (1)");
	fake_step(m, "read-1", "SELECT 1 AS v");
	fake_step(m, "write-2", "UPDATE rob_fake SET v = 2");
	fake_step(m, "read-2", "SELECT 2 AS v");
	fake_step(m, "read-3", "SELECT 3 AS v");
	/* A user variable only SQL injected into the replica's session can have set. */
	fake_step(m, "injected", "/* wescale:route=replica */ SELECT @wescale_injected");
	printf("ping: %d\n", mysql_ping(m));
	printf("select_db: %d\n", mysql_select_db(m, db ? db : "other"));
	fake_step(m, "read-4", "SELECT 4 AS v");
	/* ROBUST_HOLD_MS: keep the sessions open a while, so that the test can
	 * look at them from outside (a lock taken by injected SQL). */
	if (getenv("ROBUST_HOLD_MS")) {
		printf("holding\n");
		fflush(stdout);
		usleep((useconds_t)atoi(getenv("ROBUST_HOLD_MS")) * 1000u);
	}
	mysql_close(m);
	printf("done\n");
	return 0;
}

/* ---- reads ---- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int reads(const char *host, unsigned port, const char *user, const char *pw, const char *db, int n)
{
	MYSQL *m = connect_to(host, port, user, pw, db);
	long ids[8] = { 0 }, errors = 0, ok = 0;
	double slowest = 0;

	if (!m)
		return 2;
	/* ROBUST_SETTLE_MS: let the monitor look at every node first. */
	if (getenv("ROBUST_SETTLE_MS"))
		usleep((useconds_t)atoi(getenv("ROBUST_SETTLE_MS")) * 1000u);
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS rob_reads (id INT AUTO_INCREMENT PRIMARY KEY)") ||
	    mysql_query(m, "INSERT INTO rob_reads VALUES ()")) {
		print_error("write", m);
		errors++;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_ms(), t;
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (mysql_query(m, "SELECT @@server_id") || !(res = mysql_store_result(m))) {
			print_error("read", m);
			errors++;
			continue;
		}
		row = mysql_fetch_row(res);
		if (row && row[0] && atoi(row[0]) >= 0 && atoi(row[0]) < 8) {
			ids[atoi(row[0])]++;
			ok++;
		}
		mysql_free_result(res);
		t = now_ms() - t0;
		if (t > slowest)
			slowest = t;
	}
	printf("reads ok=%ld errors=%ld ids=", ok, errors);
	for (int i = 0; i < 8; i++)
		if (ids[i])
			printf("%d:%ld,", i, ids[i]);
	printf(" slowest_ms=%.0f\n", slowest);
	mysql_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	*(void **)&last_backend = dlsym(RTLD_DEFAULT, "wescale_last_backend");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "null") == 0)
		return null_probe();
	if (argc == 7 && strcmp(argv[1], "stmts") == 0)
		return stmts(argv[2], (unsigned)atoi(argv[3]), argv[4], argv[5], argv[6]);
	if (argc == 4 && strcmp(argv[1], "fake") == 0)
		return fake(argv[2], (unsigned)atoi(argv[3]), "app", "pw", NULL);
	if (argc == 7 && strcmp(argv[1], "fake") == 0)
		return fake(argv[2], (unsigned)atoi(argv[3]), argv[4], argv[5], argv[6]);
	if (argc == 8 && strcmp(argv[1], "reads") == 0)
		return reads(argv[2], (unsigned)atoi(argv[3]), argv[4], argv[5], argv[6], atoi(argv[7]));
	fprintf(stderr, "usage: %s null | stmts HOST PORT USER PW DB | fake HOST PORT [USER PW DB] | reads HOST PORT USER PW DB N\n",
		argv[0]);
	return 2;
}
