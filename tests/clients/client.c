/*
 * client.c — the client matrix's work (tests/clients/matrix.py), in C over the
 * MySQL C API. Built three ways by meson: linked with libwescale (-lwescale),
 * linked with libmariadb only (run with libwescale preloaded, or directly), and
 * with -DNONBLOCK, where every text statement goes through the non-blocking
 * API (mysql_real_query_start/_cont, mysql_store_result_start/_cont).
 *
 * Prints one line per row read; matrix.sh compares that transcript with the
 * same program's transcript on a direct connection. Any error: a line on
 * stderr and exit status 1.
 *
 *   client TABLE       (connection from WS_TEST_PRIMARY_PORT, WS_TEST_USER,
 *                       WS_TEST_PASSWORD, WS_TEST_DB)
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

static MYSQL *m;
static const char *table;

static void die(const char *what, const char *err)
{
	fprintf(stderr, "ERROR: %s: %s\n", what, err);
	exit(1);
}

#ifdef NONBLOCK
/* Wait for the socket as the library asks, then continue: the event loop of a
 * non-blocking program, reduced to one connection. */
static int wait_for(int status)
{
	struct pollfd p = { .fd = mysql_get_socket(m), .events = 0 };
	int timeout = -1;

	if (status & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	if (status & MYSQL_WAIT_TIMEOUT)
		timeout = 1000 * (int)mysql_get_timeout_value(m);
	int r = poll(&p, 1, timeout);
	if (r == 0)
		return MYSQL_WAIT_TIMEOUT;
	r = 0;
	if (p.revents & POLLIN)
		r |= MYSQL_WAIT_READ;
	if (p.revents & POLLOUT)
		r |= MYSQL_WAIT_WRITE;
	if (p.revents & POLLPRI)
		r |= MYSQL_WAIT_EXCEPT;
	return r;
}

static int run_query(const char *sql)
{
	int err;
	int status = mysql_real_query_start(&err, m, sql, strlen(sql));

	while (status)
		status = mysql_real_query_cont(&err, m, wait_for(status));
	return err;
}

static MYSQL_RES *store(void)
{
	MYSQL_RES *res;
	int status = mysql_store_result_start(&res, m);

	while (status)
		status = mysql_store_result_cont(&res, m, wait_for(status));
	return res;
}
#else
static int run_query(const char *sql)
{
	return mysql_real_query(m, sql, strlen(sql));
}

static MYSQL_RES *store(void)
{
	return mysql_store_result(m);
}
#endif

static void exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void exec(const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (run_query(sql))
		die(sql, mysql_error(m));
}

/* Run a read and print its rows as "LABEL col|col…". */
static void show(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void show(const char *label, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	MYSQL_RES *res;
	MYSQL_ROW row;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (run_query(sql) || !(res = store()))
		die(sql, mysql_error(m));
	unsigned n = mysql_num_fields(res);
	int rows = 0;
	while ((row = mysql_fetch_row(res))) {
		printf("%s", label);
		for (unsigned i = 0; i < n; i++)
			printf("%c%s", i ? '|' : ' ', row[i] ? row[i] : "NULL");
		printf("\n");
		rows++;
	}
	if (!rows)
		printf("%s (no row)\n", label);
	mysql_free_result(res);
}

static MYSQL_STMT *prepare(const char *fmt)
{
	char sql[256];
	MYSQL_STMT *st = mysql_stmt_init(m);

	snprintf(sql, sizeof(sql), fmt, table);
	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)))
		die(sql, st ? mysql_stmt_error(st) : "out of memory");
	return st;
}

static void bind_ints(MYSQL_STMT *st, long long *v, unsigned n)
{
	MYSQL_BIND b[2];

	memset(b, 0, sizeof(b));
	for (unsigned i = 0; i < n; i++) {
		b[i].buffer_type = MYSQL_TYPE_LONGLONG;
		b[i].buffer = &v[i];
	}
	if (mysql_stmt_bind_param(st, b))
		die("bind", mysql_stmt_error(st));
}

int main(int argc, char **argv)
{
	const char *port = getenv("WS_TEST_PRIMARY_PORT");

	if (argc != 2 || !port)
		die("usage", "client TABLE, with WS_TEST_PRIMARY_PORT, WS_TEST_USER, WS_TEST_PASSWORD, WS_TEST_DB set");
	table = argv[1];
	m = mysql_init(NULL);
#ifdef NONBLOCK
	mysql_options(m, MYSQL_OPT_NONBLOCK, 0);
#endif
	if (!mysql_real_connect(m, "127.0.0.1", getenv("WS_TEST_USER"), getenv("WS_TEST_PASSWORD"),
				getenv("WS_TEST_DB"), (unsigned)atoi(port), NULL, 0))
		die("connect", mysql_error(m));

	/* Session state: carried to every node that runs a read. */
	exec("SET NAMES utf8mb4");
	show("charset", "SELECT @@character_set_client");
	exec("USE wstest2");
	show("use", "SELECT DATABASE()");
	exec("USE %s", getenv("WS_TEST_DB"));
	show("use", "SELECT DATABASE()");

	/* Reads that need no wait: rows seeded before this connection wrote anything. */
	for (int id = 1; id <= 10; id++)
		show("seed", "SELECT id, v, n FROM %s WHERE id = %d", table, id);

	/* Writes, each read straight back. */
	for (int i = 1; i <= 10; i++) {
		exec("INSERT INTO %s VALUES (%d, 'w%d', %d)", table, 100 + i, i, i);
		show("readback", "SELECT id, v, n FROM %s WHERE id = %d", table, 100 + i);
	}

	/* Prepared statements executed again with new values. */
	MYSQL_STMT *upd = prepare("UPDATE %s SET n = ? WHERE id = ?");
	MYSQL_STMT *sel = prepare("SELECT n FROM %s WHERE id = ?");
	for (int i = 1; i <= 10; i++) {
		long long uv[2] = { 1000 + i, 100 + i }, sv[1] = { 100 + i }, n = -1;
		MYSQL_BIND out;
		int r;

		bind_ints(upd, uv, 2);
		if (mysql_stmt_execute(upd))
			die("execute update", mysql_stmt_error(upd));
		bind_ints(sel, sv, 1);
		memset(&out, 0, sizeof(out));
		out.buffer_type = MYSQL_TYPE_LONGLONG;
		out.buffer = &n;
		if (mysql_stmt_execute(sel) || mysql_stmt_bind_result(sel, &out))
			die("execute select", mysql_stmt_error(sel));
		r = mysql_stmt_fetch(sel);
		if (r == 0)
			printf("prepared %d %lld\n", 100 + i, n);
		else if (r == MYSQL_NO_DATA)
			printf("prepared %d (no row)\n", 100 + i);
		else
			die("fetch", mysql_stmt_error(sel));
		mysql_stmt_free_result(sel);
	}
	/* Another read statement, re-executed with string values, reads only
	 * (replicas known to be caught up: no wait). */
	MYSQL_STMT *byv = prepare("SELECT id, n FROM %s WHERE v = ?");
	for (int i = 1; i <= 10; i++) {
		char v[16];
		unsigned long vlen = (unsigned long)snprintf(v, sizeof(v), "w%d", i);
		long long id = -1, n = -1;
		MYSQL_BIND in, out[2];

		memset(&in, 0, sizeof(in));
		in.buffer_type = MYSQL_TYPE_STRING;
		in.buffer = v;
		in.buffer_length = vlen;
		in.length = &vlen;
		memset(out, 0, sizeof(out));
		out[0].buffer_type = out[1].buffer_type = MYSQL_TYPE_LONGLONG;
		out[0].buffer = &id;
		out[1].buffer = &n;
		if (mysql_stmt_bind_param(byv, &in) || mysql_stmt_execute(byv) || mysql_stmt_bind_result(byv, out))
			die("execute select by v", mysql_stmt_error(byv));
		if (mysql_stmt_fetch(byv) == 0)
			printf("prepared-read %s %lld|%lld\n", v, id, n);
		else
			printf("prepared-read %s (no row)\n", v);
		mysql_stmt_free_result(byv);
	}
	mysql_stmt_close(byv);
	mysql_stmt_close(upd);
	mysql_stmt_close(sel);

	/* A transaction: its read sees its own uncommitted write. */
	exec("START TRANSACTION");
	exec("UPDATE %s SET v = 'in trx' WHERE id = 101", table);
	show("trx", "SELECT v FROM %s WHERE id = 101", table);
	exec("COMMIT");
	show("after-trx", "SELECT v FROM %s WHERE id = 101", table);

	show("total", "SELECT COUNT(*), SUM(n) FROM %s", table);
	mysql_close(m);
	return 0;
}
