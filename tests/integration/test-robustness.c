/*
 * test-robustness.c — bad input of every kind, each row of docs/robustness.md
 * a test here (or in tests/unit/test-robustness-config.c):
 *
 *   - NULL handles in every exported call, compared with plain libmariadb
 *     (robust-probe null, built against each library);
 *   - bad statements (0 bytes, 16 MiB, invalid UTF-8, unterminated comments and
 *     quotes, …) through a managed handle, compared with plain libmariadb on a
 *     direct connection (robust-probe stmts);
 *   - bad configuration files, each in a process of its own (robust-probe
 *     reads with WESCALE_CONFIG pointing at it);
 *   - hostile servers: fake_server.py as the primary and replicas of clusters
 *     of this process's configuration, sending garbage session-tracking data;
 *   - a replica whose schema differs, replicas that vanish mid-result.
 *
 * The process's own configuration is the topology's cluster plus one cluster
 * per fake server pair, written before the first client call.
 *
 * A finding that is a library bug is a "known issue": the test prints what it
 * saw and passes, so that the suite stays green until the fix; with
 * A known issue that shows again fails the test (ROBUST_STRICT=0: it is only
 * printed).
 *
 *   test-robustness PROBE_PLAIN PROBE_WESCALE FAKE_SERVER_PY PYTHON
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <errmsg.h>
#include <wescale.h>

#include "wstest.h"

static struct wstest_env env;
static const char *probe_plain, *probe_wescale, *fake_py, *python;
static char tmp[64] = "/tmp/ws-robust-XXXXXX";
static char own_config[256];
static bool strict;

/* ---- small helpers ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The whole file, NUL-terminated (caller frees); "" when unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b = NULL;
	size_t n = 0, cap = 0, k;

	if (!f)
		return strdup("");
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			b = realloc(b, cap + 1);
			if (!b) {
				fclose(f);
				return strdup("");
			}
		}
		k = fread(b + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	b[n] = '\0';
	return b;
}

static unsigned count_of(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void known_issue(bool present, const char *what)
{
	if (!present) {
		printf("\n      fixed? %s no longer shows: update docs/robustness.md", what);
		return;
	}
	printf("\n      KNOWN ISSUE (docs/robustness.md): %s", what);
	if (strict)
		CU_FAIL("known issue (ROBUST_STRICT=1)");
}

/* Run SQL as the admin user with the command-line client (never through
 * libwescale); the output (tab-separated, no headers) in out. Exit status. */
static int admin_sql(unsigned port, const char *sql, char *out, size_t size)
{
	char path[300], cmd[4096];
	char *o;
	int st;

	snprintf(path, sizeof(path), "%s/admin.out", tmp);
	snprintf(cmd, sizeof(cmd), "%s --no-defaults -h127.0.0.1 -P%u -u%s -p%s -N -B -e \"%s\" >%s 2>&1",
		 getenv("WS_TEST_MYSQL") ? getenv("WS_TEST_MYSQL") : "mariadb", port, env.admin_user,
		 env.admin_password, sql, path);
	st = sh("%s", cmd);
	o = slurp(path);
	o[strcspn(o, "\n")] = '\0';
	if (out)
		snprintf(out, size, "%s", o);
	if (st)
		fprintf(stderr, "admin_sql %u: %s: %s\n", port, sql, o);
	free(o);
	return st;
}

/* Wait until every replica has applied the primary's binlog position. */
static bool sync_replicas(void)
{
	char pos[512], sql[700], r[64];

	if (admin_sql(env.primary_port, "SELECT @@gtid_binlog_pos", pos, sizeof(pos)))
		return false;
	snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 30)", pos);
	for (unsigned i = 0; i < env.n_replicas; i++)
		if (admin_sql(env.replica_port[i], sql, r, sizeof(r)) || strcmp(r, "0") != 0)
			return false;
	return true;
}

/* Run a probe: "ENV… PROBE ARGS >out 2>err"; returns the exit status and the
 * two outputs (caller frees). */
static int run_probe(const char *envs, const char *probe, const char *args, char **out, char **err)
{
	char o[300], e[300];
	int st;

	snprintf(o, sizeof(o), "%s/probe.out", tmp);
	snprintf(e, sizeof(e), "%s/probe.err", tmp);
	st = sh("env %s %s %s >%s 2>%s", envs, probe, args, o, e);
	*out = slurp(o);
	*err = slurp(e);
	return st;
}

/* ---- the log, through the callback ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logbuf[1 << 20];
static size_t loglen;

static void capture(int level, const char *message, void *userdata)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[600];
	int n;

	(void)userdata;
	n = snprintf(line, sizeof(line), "%s: %s\n", level >= 0 && level <= 3 ? names[level] : "?", message);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	pthread_mutex_lock(&log_lock);
	if (loglen + (size_t)n < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, (size_t)n);
		loglen += (size_t)n;
		logbuf[loglen] = '\0';
	}
	pthread_mutex_unlock(&log_lock);
}

static void log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	loglen = 0;
	logbuf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

static unsigned log_count(const char *needle)
{
	unsigned n;

	pthread_mutex_lock(&log_lock);
	n = count_of(logbuf, needle);
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* ---- fake servers ---- */

/* Start fake_server.py with these arguments (NULL-terminated); its port. */
static unsigned fake_start(const char *const *args)
{
	return wstest_fake_start(python, fake_py, args);
}

static void fakes_stop(void)
{
	wstest_fakes_stop();
}

/* One cluster of this process's configuration: a fake primary sending the
 * mode's garbage in its OK packets, and a well-behaved fake replica. */
enum expect {
	EXPECT_CLEAN,     /* GTIDs usable: reads on the replica after a wait */
	EXPECT_WARN,      /* GTID unusable: a warning, reads on the primary */
	EXPECT_MALFORMED, /* the real library rejects the packet (2027) */
};

static struct hostile {
	const char *mode, *flavor;
	enum expect expect;
	unsigned primary, replica;
	char plain[2048];  /* robust-probe-plain's transcript against the primary */
} hostile[] = {
	{ .mode = "clean", .flavor = "mariadb", .expect = EXPECT_CLEAN },
	{ .mode = "clean", .flavor = "mysql", .expect = EXPECT_CLEAN },
	{ .mode = "empty-gtid", .flavor = "mariadb", .expect = EXPECT_CLEAN },
	{ .mode = "huge-list", .flavor = "mariadb", .expect = EXPECT_CLEAN },
	{ .mode = "unknown-type", .flavor = "mariadb", .expect = EXPECT_CLEAN },
	{ .mode = "huge-seq", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "huge-seq", .flavor = "mysql", .expect = EXPECT_WARN },
	{ .mode = "many-domains", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "bad-seq", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "bad-uuid", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "bad-uuid", .flavor = "mysql", .expect = EXPECT_WARN },
	{ .mode = "overflow", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "nul-in-gtid", .flavor = "mariadb", .expect = EXPECT_WARN },
	{ .mode = "truncated-lenenc", .flavor = "mariadb", .expect = EXPECT_MALFORMED },
	{ .mode = "overlong-block", .flavor = "mariadb", .expect = EXPECT_MALFORMED },
	{ .mode = "huge-schema", .flavor = "mariadb", .expect = EXPECT_MALFORMED },
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* Two more fake clusters: a replica whose monitor answers carry a 4 MiB GTID
 * position, and a replica that closes the connection after 100 rows. */
static unsigned monitor_primary, monitor_replica, vanish_primary, vanish_replica;

static int write_own_config(void)
{
	char *base = slurp(env.config);
	FILE *f;

	snprintf(own_config, sizeof(own_config), "%s/process.conf", tmp);
	f = fopen(own_config, "w");
	if (!f) {
		free(base);
		return -1;
	}
	/* The topology's cluster, with short failover_timeout_ms and
	 * replica_read_timeout_ms: a statement that (wrongly) waits for a new
	 * primary or for a replica's answer fails in 3 or 5 s, not 30. */
	fprintf(f, "%s\nfailover_timeout_ms = 3000\nreplica_read_timeout_ms = 5000\n\n", base);
	free(base);
	for (size_t i = 0; i < N_HOSTILE; i++)
		fprintf(f, "[cluster fake_%s_%s]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\n"
			   "health_interval_ms = 500\nconsistency = session\n\n",
			hostile[i].mode, hostile[i].flavor, hostile[i].primary, hostile[i].replica);
	fprintf(f, "[cluster fake_monitor]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\n\n", monitor_primary,
		monitor_replica);
	fprintf(f, "[cluster fake_vanish]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\n"
		   "consistency = eventual\n\n", vanish_primary, vanish_replica);
	return fclose(f) == 0 ? 0 : -1;
}

static int start_fakes(void)
{
	for (size_t i = 0; i < N_HOSTILE; i++) {
		const char *pa[] = { "--mode", hostile[i].mode, "--flavor", hostile[i].flavor, "--server-id", "101", NULL };
		const char *ra[] = { "--mode", "clean", "--flavor", hostile[i].flavor, "--read-only", "1",
				     "--server-id", "102", NULL };

		hostile[i].primary = fake_start(pa);
		hostile[i].replica = fake_start(ra);
		if (!hostile[i].primary || !hostile[i].replica)
			return -1;
	}
	{
		const char *pa[] = { "--mode", "clean", NULL };
		const char *ra[] = { "--read-only", "1", "--gtid-pos", "@huge", NULL };
		const char *va[] = { "--read-only", "1", "--vanish-after-rows", "100", NULL };

		monitor_primary = fake_start(pa);
		monitor_replica = fake_start(ra);
		vanish_primary = fake_start(pa);
		vanish_replica = fake_start(va);
	}
	return monitor_primary && monitor_replica && vanish_primary && vanish_replica ? 0 : -1;
}

/* ---- one statement, everything observable ---- */

struct outcome {
	int rc;
	unsigned err;
	char msg[300];
	char value[96];
	char backend[64];
	long rows;
};

static void backend_of(MYSQL *m, char *b, size_t n)
{
	if (wescale_last_backend(m, b, n) != 0)
		snprintf(b, n, "?");
}

static void stmt(MYSQL *m, const char *sql, struct outcome *o)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(o, 0, sizeof(*o));
	o->rc = mysql_query(m, sql);
	backend_of(m, o->backend, sizeof(o->backend));
	if (o->rc) {
		o->err = mysql_errno(m);
		snprintf(o->msg, sizeof(o->msg), "%s", mysql_error(m));
		return;
	}
	do {
		res = mysql_store_result(m);
		if (res) {
			while ((row = mysql_fetch_row(res))) {
				if (o->rows++ == 0)
					snprintf(o->value, sizeof(o->value), "%s", row[0] ? row[0] : "NULL");
			}
			mysql_free_result(res);
		} else if (mysql_field_count(m)) {
			o->err = mysql_errno(m);
			snprintf(o->msg, sizeof(o->msg), "%s", mysql_error(m));
		}
	} while (mysql_next_result(m) == 0);
}

static MYSQL *connect_to(unsigned port, const char *user, const char *pw, const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (m && !mysql_real_connect(m, "127.0.0.1", user, pw, db, port, NULL, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "connect 127.0.0.1:%u: %u %s\n", port, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

static bool is_port(const char *backend, unsigned port)
{
	char want[32];

	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	return strcmp(backend, want) == 0;
}

/* ================= NULL handles ================= */

/* "name: returned …" lines; a crash of any kind is "crashed". */
static void normalise(char *text)
{
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *c = strstr(l, ": crashed");
		char *nl = strchr(l, '\n');

		if (c && (!nl || c < nl)) {
			/* "name: crashed (signal 11)" -> "name: crashed" padded */
			for (char *p = c + 9; p < (nl ? nl : c + strlen(c)); p++)
				*p = ' ';
		}
	}
}

static void test_null_handles(void)
{
	char *plain, *ws_none, *ws_managed, *err, envs[600];
	unsigned tolerated = 0, same = 0;

	/* Under AddressSanitizer each expected crash is a report: unsymbolised,
	 * they take milliseconds instead of seconds. */
#define NO_SYMBOLS "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:symbolize=0\""
	CU_ASSERT_EQUAL(run_probe("-u WESCALE_CONFIG " NO_SYMBOLS, probe_plain, "null", &plain, &err), 0);
	free(err);
	CU_ASSERT_EQUAL(run_probe("-u WESCALE_CONFIG " NO_SYMBOLS, probe_wescale, "null", &ws_none, &err), 0);
	free(err);
	snprintf(envs, sizeof(envs), NO_SYMBOLS " WESCALE_CONFIG=%s", env.config);
	CU_ASSERT_EQUAL(run_probe(envs, probe_wescale, "null", &ws_managed, &err), 0);
	free(err);
	normalise(plain);
	normalise(ws_none);
	normalise(ws_managed);
	/* Every call the real library survives with NULL handles, libwescale
	 * survives with the same result, configured or not. */
	for (char *l = plain; *l;) {
		char *nl = strchr(l, '\n'), line[300];

		if (!nl)
			break;
		snprintf(line, sizeof(line), "%.*s\n", (int)(nl - l), l);
		if (strstr(line, ": returned")) {
			tolerated++;
			if (strstr(ws_none, line) && strstr(ws_managed, line))
				same++;
			else
				printf("\n      differs: %s", line);
		}
		l = nl + 1;
	}
	printf("\n      %u calls tolerate NULL handles in libmariadb; libwescale: %u the same", tolerated, same);
	CU_ASSERT(tolerated >= 10);
	CU_ASSERT_EQUAL(same, tolerated);
	/* The ones an application relies on. */
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_close: returned (void)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_free_result: returned (void)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_stmt_close: returned 1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_errno: returned 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_error: returned \"\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(ws_managed, "mysql_init: returned non-NULL"));
	free(plain);
	free(ws_none);
	free(ws_managed);
}

/* The wescale_* calls with NULL and bad arguments, in this process. */
static void test_null_wescale_calls(void)
{
	char buf[64] = "x";

	CU_ASSERT_EQUAL(wescale_route_next(NULL, WESCALE_ROUTE_PRIMARY), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_set_consistency(NULL, WESCALE_CONSISTENCY_SESSION), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_EQUAL(wescale_last_backend(NULL, buf, sizeof(buf)), WESCALE_ER_BAD_ARGUMENT);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(wescale_stats_json(NULL, 0) > 0, 1);
	{
		MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(wescale_last_backend(m, NULL, 10), WESCALE_ER_BAD_ARGUMENT);
		CU_ASSERT_EQUAL(wescale_last_backend(m, buf, 0), WESCALE_ER_BAD_ARGUMENT);
		CU_ASSERT_EQUAL(wescale_route_next(m, (enum wescale_route)7), WESCALE_ER_BAD_ARGUMENT);
		CU_ASSERT_EQUAL(wescale_set_consistency(m, (enum wescale_consistency)-1), WESCALE_ER_BAD_ARGUMENT);
		mysql_close(m);
	}
	/* The real library's own NULL-tolerant calls, in a configured process. */
	mysql_close(NULL);
	mysql_free_result(NULL);
	CU_ASSERT_EQUAL(mysql_stmt_close(NULL), 1);
	CU_ASSERT_EQUAL(mysql_errno(NULL), 0);
	CU_ASSERT_STRING_EQUAL(mysql_error(NULL), "");
}

/* ================= statements ================= */

static bool raise_max_allowed_packet(void)
{
	for (unsigned i = 0; i <= env.n_replicas; i++)
		if (admin_sql(i ? env.replica_port[i - 1] : env.primary_port,
			      "SET GLOBAL max_allowed_packet = 64*1024*1024", NULL, 0))
			return false;
	return true;
}

/* The lines of a transcript that are not "# backend" lines. */
static char *without_backends(const char *t)
{
	char *out = malloc(strlen(t) + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *l = t; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);

		if (l[0] != '#') {
			memcpy(o, l, n);
			o += n;
		}
		l += n;
	}
	*o = '\0';
	return out;
}

/* The node a statement of the transcript ran on ("" when not found). */
static void transcript_backend(const char *t, const char *label, char *b, size_t n)
{
	char want[128];
	const char *p, *q;

	snprintf(want, sizeof(want), "\n%s (", label);
	b[0] = '\0';
	p = strstr(t, want);
	if (!p || !(q = strstr(p, "# backend ")))
		return;
	snprintf(b, n, "%.*s", (int)strcspn(q + 10, "\n"), q + 10);
}

static void test_statements(void)
{
	char args[512], envs[600], *plain, *ws, *err, *a, *b, backend[64];
	int st;

	CU_ASSERT_FATAL(raise_max_allowed_packet());
	snprintf(args, sizeof(args), "stmts 127.0.0.1 %u %s %s %s", env.primary_port, env.user, env.password, env.db);
	st = run_probe("-u WESCALE_CONFIG", probe_plain, args, &plain, &err);
	CU_ASSERT_EQUAL(st, 0);
	if (st)
		printf("\n      plain probe: %s", err);
	free(err);
	snprintf(envs, sizeof(envs), "WESCALE_CONFIG=%s", env.config);
	st = run_probe(envs, probe_wescale, args, &ws, &err);
	CU_ASSERT_EQUAL(st, 0);
	/* Nothing logged (a warning would be on stderr). */
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	a = without_backends(plain);
	b = without_backends(ws);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	/* Byte for byte the same observations. */
	if (strcmp(a, b) != 0) {
		FILE *f;
		char p1[300], p2[300];

		snprintf(p1, sizeof(p1), "%s/stmts-plain.txt", tmp);
		snprintf(p2, sizeof(p2), "%s/stmts-wescale.txt", tmp);
		if ((f = fopen(p1, "w"))) {
			fputs(a, f);
			fclose(f);
		}
		if ((f = fopen(p2, "w"))) {
			fputs(b, f);
			fclose(f);
		}
		sh("diff -u %s %s | head -40", p1, p2);
	}
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "garbage-16MiB (16777216 bytes)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "10000-statements"));
	/* Writes ran on the primary; reads mostly on replicas (one that finds
	 * no replica caught up within consistency_timeout_ms runs on the
	 * primary: under load that happens, so where each read ran is shown,
	 * not asserted). */
	transcript_backend(ws, "insert-16MiB", backend, sizeof(backend));
	CU_ASSERT(is_port(backend, env.primary_port));
	transcript_backend(ws, "unterminated-in-write", backend, sizeof(backend));
	CU_ASSERT(is_port(backend, env.primary_port));
	{
		static const char *const shown[] = { "select-16MiB", "read-16MiB-row-back", "result-16MiB",
						     "utf8-invalid-literal", "garbage-16MiB" };
		char r1[48], r2[48];
		unsigned on_replicas;

		snprintf(r1, sizeof(r1), "# backend 127.0.0.1:%u\n", env.replica_port[0]);
		snprintf(r2, sizeof(r2), "# backend 127.0.0.1:%u\n", env.replica_port[1]);
		on_replicas = count_of(ws, r1) + count_of(ws, r2);
		printf("\n      %u statements, transcripts identical; %u ran on replicas", count_of(a, " bytes)"),
		       on_replicas);
		CU_ASSERT(on_replicas >= 10);
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
			transcript_backend(ws, shown[i], backend, sizeof(backend));
			printf("\n        %-22s ran on %s", shown[i], is_port(backend, env.primary_port) ? "the primary" : "a replica");
		}
	}
	free(a);
	free(b);
	free(plain);
	free(ws);
}

/* A read larger than the replicas' max_allowed_packet: the server's own
 * error, as on a direct connection, and the handle goes on. */
static void test_over_max_allowed_packet(void)
{
	size_t n = 65 * 1024 * 1024;
	MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);
	MYSQL *direct = connect_to(env.replica_port[0], env.user, env.password, env.db);
	unsigned long big = 256ul << 20;
	unsigned e_direct;
	struct outcome o;
	char *q, b[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(direct);
	/* (After the fatal checks, which leave the function: a failed connect
	 * must not also leak the 65 MiB.) */
	q = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	mysql_options(direct, MYSQL_OPT_MAX_ALLOWED_PACKET, &big);
	memset(q, 'x', n);
	memcpy(q, "SELECT LENGTH('", 15);
	memcpy(q + n - 2, "')", 2);
	CU_ASSERT_NOT_EQUAL(mysql_real_query(direct, q, n), 0);
	e_direct = mysql_errno(direct);
	CU_ASSERT_NOT_EQUAL(mysql_real_query(m, q, n), 0);
	backend_of(m, b, sizeof(b));
	CU_ASSERT_EQUAL(mysql_errno(m), e_direct);
	printf("\n      65 MiB read: errno %u (%s) on %s; direct connection: %u", mysql_errno(m), mysql_error(m), b,
	       e_direct);
	/* The direct connection is gone (the server closes it); the managed
	 * handle is not. */
	stmt(m, "SELECT 1", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	CU_ASSERT_STRING_EQUAL(o.value, "1");
	mysql_close(direct);
	mysql_close(m);
	free(q);
}

/* A NULL statement pointer with length 0: libmariadb sends an empty
 * statement and reports 1065 "Query was empty". */
static void test_null_statement(void)
{
	MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);
	MYSQL *direct = connect_to(env.replica_port[0], env.user, env.password, env.db);
	unsigned plain_e, e;
	struct outcome o;
	double t0, took;
	int rc;
	char what[300];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(direct);
	CU_ASSERT_NOT_EQUAL(mysql_real_query(direct, NULL, 0), 0);
	plain_e = mysql_errno(direct);
	CU_ASSERT_EQUAL(plain_e, 1065);
	mysql_close(direct);

	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	/* After a read (on a replica), mysql_real_query(m, NULL, 0). */
	stmt(m, "SELECT 1", &o);
	rc = mysql_real_query(m, NULL, 0);
	e = mysql_errno(m);
	CU_ASSERT_NOT_EQUAL(rc, 0);
	printf("\n      real_query(NULL, 0) after a read on %s: rc=%d errno=%u '%s' (plain: %u)", o.backend, rc, e,
	       mysql_error(m), plain_e);
	snprintf(what, sizeof(what), "mysql_real_query(m, NULL, 0) after a replica read: fails with errno %u '%s' "
		 "(lib/shim_query.c: a NULL statement skips routing, errno answers for the replica)", e, mysql_error(m));
	known_issue(e != plain_e, what);

	/* mysql_send_query(m, NULL, 0) + mysql_read_query_result(m). */
	stmt(m, "SELECT 1", &o);
	CU_ASSERT_EQUAL(mysql_send_query(m, NULL, 0), 0);
	t0 = wstest_now_s();
	rc = mysql_read_query_result(m);
	took = wstest_now_s() - t0;
	e = mysql_errno(m);
	printf("\n      send_query(NULL, 0) + read_query_result: rc=%d errno=%u '%s' after %.1f s (plain: %u)", rc, e,
	       mysql_error(m), took, plain_e);
	snprintf(what, sizeof(what), "mysql_send_query(m, NULL, 0) + mysql_read_query_result(m): waits %.1f s "
		 "(replica_read_timeout_ms) on the replica of the previous read, then errno %u '%s'; the primary's "
		 "reply stays unread (lib/shim_query.c)", took, e, mysql_error(m));
	known_issue(e != plain_e, what);
	/* The next write. */
	t0 = wstest_now_s();
	rc = mysql_query(m, "DO 1");
	took = wstest_now_s() - t0;
	e = mysql_errno(m);
	printf("\n      next write: rc=%d errno=%u '%s' after %.1f s", rc, e, mysql_error(m), took);
	snprintf(what, sizeof(what), "the write after it waited %.1f s (failover_timeout_ms) and failed with %u '%s': "
		 "the unread reply looks like a server close, the in-place reconnect fails 'Can't connect twice' "
		 "(lib/route.c primary_closed_by_server, lib/failover.c)", took, e, mysql_error(m));
	known_issue(rc != 0 || took > 2, what);
	/* Does the handle recover? Reads do (they go to replicas); writes did
	 * not always in trials (each waited failover_timeout_ms again). */
	t0 = wstest_now_s();
	stmt(m, "DO 2", &o);
	printf("\n      the write after that: rc=%d errno=%u after %.1f s", o.rc, o.err, wstest_now_s() - t0);
	stmt(m, "SELECT 1", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	mysql_close(m);
}

/* ================= configuration files ================= */

static char *write_conf(const char *name, const char *text, size_t len, mode_t mode)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fwrite(text, 1, len, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

struct conf_case {
	const char *name;
	char *text;
	size_t len;
	mode_t mode;
	const char *stderr_once;  /* must appear exactly once on stderr */
	const char *stderr_once2; /* and this too (or NULL) */
	bool managed;             /* reads on replicas (else: pass-through, all on the primary) */
	const char *log_level;
};

static void run_conf_case(struct conf_case *c)
{
	char *path = write_conf(c->name, c->text, c->len, c->mode), envs[700], args[400], *out, *err;
	char want[400];
	int st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	snprintf(envs, sizeof(envs), "WESCALE_CONFIG=%s WESCALE_LOG_LEVEL=%s", path, c->log_level ? c->log_level : "warn");
	snprintf(args, sizeof(args), "reads 127.0.0.1 %u %s %s %s 12", env.primary_port, env.user, env.password,
		 env.db);
	st = run_probe(envs, probe_wescale, args, &out, &err);
	printf("\n      %-22s exit=%d %s", c->name, st, out);
	if (*err)
		printf("        stderr: %.*s%s", (int)strcspn(err, "\n"), err, strchr(err, '\n') && strchr(err, '\n')[1] ? " …\n" : "\n");
	/* The host program goes on, and every read succeeded. */
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "reads ok=12 errors=0"));
	if (c->managed) {
		CU_ASSERT_PTR_NULL(strstr(out, "ids=1:12,"));
	} else {
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "ids=1:12,"));
	}
	if (c->stderr_once) {
		snprintf(want, sizeof(want), c->stderr_once, path);
		if (count_of(err, want) != 1)
			printf("        wanted once: %s\n", want);
		CU_ASSERT_EQUAL(count_of(err, want), 1);
	}
	if (c->stderr_once2) {
		snprintf(want, sizeof(want), c->stderr_once2, path);
		CU_ASSERT_EQUAL(count_of(err, want), 1);
	}
	if (!c->stderr_once && !c->log_level)
		CU_ASSERT_STRING_EQUAL(err, "");
	/* No password in what was logged. */
	CU_ASSERT_PTR_NULL(strstr(err, "monitor-pw"));
	CU_ASSERT_PTR_NULL(strstr(err, env.password));
	free(out);
	free(err);
}

static void test_config_files(void)
{
	char *base = slurp(env.config), text[4096], *big = malloc(1024 * 1024 + 100);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	{
		struct conf_case c = { "empty.conf", "", 0, 0600, NULL, NULL, false, NULL };
		run_conf_case(&c);
	}
	{
		static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0\n\xff\xfe";
		struct conf_case c = { "binary.conf", (char *)bin, sizeof(bin) - 1, 0600,
				       "%s:1: control character 0x7f in the line (is this a text file?)",
				       "has 2 error(s); running as a pass-through", false, NULL };
		run_conf_case(&c);
	}
	{
		memset(big, '#', 1024 * 1024 + 100);
		for (size_t i = 99; i < 1024 * 1024 + 100; i += 100)
			big[i] = '\n';
		struct conf_case c = { "huge.conf", big, 1024 * 1024 + 100, 0600,
				       "cannot read configuration %s: File too large; running as a pass-through", NULL,
				       false, NULL };
		run_conf_case(&c);
	}
	{
		n = (size_t)snprintf(text, sizeof(text), "%s\nprimry_lag = 5\n", base);
		struct conf_case c = { "unknown-key.conf", text, n, 0600, "unknown key 'primry_lag' in [cluster test]",
				       "running as a pass-through", false, NULL };
		run_conf_case(&c);
	}
	{
		n = (size_t)snprintf(text, sizeof(text), "%s\n[cluster test]\nprimary = 127.0.0.1:1\n", base);
		struct conf_case c = { "duplicate.conf", text, n, 0600, "duplicate section [cluster test] (first on line",
				       "running as a pass-through", false, NULL };
		run_conf_case(&c);
	}
	{
		n = (size_t)snprintf(text, sizeof(text),
				     "[cluster test]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:70000\n",
				     env.primary_port, env.replica_port[0]);
		struct conf_case c = { "port-range.conf", text, n, 0600,
				       "%s:3: replicas = 127.0.0.1:70000: port must be a number from 1 to 65535",
				       "running as a pass-through", false, NULL };
		run_conf_case(&c);
	}
	{
		n = (size_t)snprintf(text, sizeof(text), "[cluster test]\nprimary = 127.0.0.1:0\n");
		struct conf_case c = { "port-zero.conf", text, n, 0600,
				       "%s:2: primary = 127.0.0.1:0: port must be a number from 1 to 65535",
				       "running as a pass-through", false, NULL };
		run_conf_case(&c);
	}
	{
		/* A replica whose name does not resolve: the cluster works, reads
		 * go to the other replica. */
		n = (size_t)snprintf(text, sizeof(text),
				     "[cluster test]\nprimary = 127.0.0.1:%u\nreplicas = no-such-host.invalid:%u, 127.0.0.1:%u\n"
				     "consistency = eventual\n",
				     env.primary_port, env.replica_port[0], env.replica_port[1]);
		struct conf_case c = { "unresolvable.conf", text, n, 0600, NULL, NULL, true, "info" };
		run_conf_case(&c);
	}
	{
		/* World-readable with monitor_password: refused (an error naming
		 * the file), the library runs as a pass-through. */
		n = (size_t)snprintf(text, sizeof(text), "%s\nmonitor_user = monitor\nmonitor_password = monitor-pw\n",
				     base);
		struct conf_case c = { "world-readable.conf", text, n, 0644,
				       "%s: contains passwords and is readable by other users (mode 644): chmod 600 it, "
				       "or set allow_readable_password = yes in [global]", NULL, false, NULL };
		run_conf_case(&c);
	}
	{
		/* The same with the explicit override: a warning; the cluster is used. */
		const char *g = strstr(base, "[global]\n");

		CU_ASSERT_PTR_NOT_NULL_FATAL(g);
		n = (size_t)snprintf(text, sizeof(text), "%.*s[global]\nallow_readable_password = yes\n%s\n"
				     "monitor_user = monitor\nmonitor_password = monitor-pw\n", (int)(g - base), base,
				     g + strlen("[global]\n"));
		struct conf_case c = { "world-readable-ok.conf", text, n, 0644,
				       "%s: contains passwords and is readable by other users "
				       "(allow_readable_password = yes)", NULL, true, NULL };
		run_conf_case(&c);
	}
	free(big);
	free(base);
}

/* The unresolvable replica, in detail: every read served, none by it, no read slowed down. */
static void test_unresolvable_replica(void)
{
	char text[1024], envs[700], args[400], *out, *err, *path;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text),
			     "[cluster test]\nprimary = 127.0.0.1:%u\nreplicas = no-such-host.invalid:3306, 127.0.0.1:%u\n"
			     "consistency = eventual\nload_balance = round_robin\n",
			     env.primary_port, env.replica_port[1]);
	path = write_conf("unresolvable2.conf", text, n, 0600);
	snprintf(envs, sizeof(envs), "WESCALE_CONFIG=%s WESCALE_LOG_LEVEL=info", path);
	snprintf(args, sizeof(args), "reads 127.0.0.1 %u %s %s %s 200", env.primary_port, env.user, env.password, env.db);
	CU_ASSERT_EQUAL(run_probe(envs, probe_wescale, args, &out, &err), 0);
	printf("\n      %s      log: %.*s", out, (int)strcspn(strstr(err, "no-such-host") ? strstr(err, "no-such-host") : err, "\n"),
	       strstr(err, "no-such-host") ? strstr(err, "no-such-host") : err);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "reads ok=200 errors=0"));
	/* Replica 2 (server_id 3) served reads; nothing failed. */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "3:"));
	{
		const char *s = strstr(out, "slowest_ms=");

		CU_ASSERT(s && atoi(s + 11) < 2000);
	}
	free(out);
	free(err);
}

/* ================= hostile servers ================= */

/* What the plain library saw of a write ("write-1: rc=1 errno=2027 …"). */
static unsigned plain_errno(const char *t, const char *label)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "%s: rc=1 errno=", label);
	p = strstr(t, want);
	return p ? (unsigned)atoi(p + strlen(want)) : 0;
}

static void test_hostile_primaries(void)
{
	unsigned failures = 0;

	/* Let the monitor see every fake node at least once. */
	wstest_msleep(1500);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		struct hostile *h = &hostile[i];
		char args[128], *out, *err;
		struct outcome w1, r1, w2, r2, r3;
		unsigned warned, malformed_warned;
		MYSQL *m;
		bool ok = true;

		/* The real library alone against the same server. */
		snprintf(args, sizeof(args), "fake 127.0.0.1 %u", h->primary);
		CU_ASSERT_EQUAL(run_probe("-u WESCALE_CONFIG", probe_plain, args, &out, &err), 0);
		snprintf(h->plain, sizeof(h->plain), "%s", out);
		free(out);
		free(err);

		log_reset();
		m = connect_to(h->primary, "app", "pw", NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		stmt(m, "INSERT INTO t VALUES (1)", &w1);
		stmt(m, "SELECT v FROM t", &r1);
		stmt(m, "UPDATE t SET v = 2", &w2);
		stmt(m, "SELECT v FROM t", &r2);
		CU_ASSERT_EQUAL(mysql_ping(m), 0);
		stmt(m, "SELECT v FROM t", &r3);
		mysql_close(m);
		warned = log_count("unusable GTID");
		malformed_warned = log_count("cannot enable session tracking on the primary");

		/* Writes fail exactly when, and as, they fail with the plain library. */
		ok &= w1.err == plain_errno(h->plain, "write-1") && w2.err == plain_errno(h->plain, "write-2");
		/* Reads always answer. */
		ok &= r1.rc == 0 && r2.rc == 0 && r3.rc == 0 && r1.rows == 1 && r2.rows == 1 && r3.rows == 1;
		switch (h->expect) {
		case EXPECT_CLEAN:
			ok &= w1.rc == 0 && warned == 0 && malformed_warned == 0;
			ok &= is_port(r1.backend, h->replica) && is_port(r2.backend, h->replica);
			break;
		case EXPECT_WARN:
			/* A warning names the GTID; the handle reads from the primary. */
			ok &= w1.rc == 0 && warned >= 1;
			ok &= is_port(r1.backend, h->primary) && is_port(r2.backend, h->primary);
			break;
		case EXPECT_MALFORMED:
			ok &= w1.err == CR_MALFORMED_PACKET && malformed_warned == 1;
			ok &= is_port(r1.backend, h->primary);
			break;
		}
		printf("\n      %-16s %-7s write errno %u (plain %u) | reads on %s | %u GTID warning(s)%s", h->mode,
		       h->flavor, w1.err, plain_errno(h->plain, "write-1"),
		       is_port(r1.backend, h->replica) ? "replica" : is_port(r1.backend, h->primary) ? "primary" : r1.backend,
		       warned, malformed_warned ? ", session tracking off" : "");
		if (!ok) {
			failures++;
			printf("  <-- unexpected: w1 %d/%u %s, r1 %d/%u %s, w2 %u, r2 %d %s, r3 %d", w1.rc, w1.err, w1.msg,
			       r1.rc, r1.err, r1.backend, w2.err, r2.rc, r2.backend, r3.rc);
			pthread_mutex_lock(&log_lock);
			printf("\n%s", logbuf);
			pthread_mutex_unlock(&log_lock);
		}
	}
	CU_ASSERT_EQUAL(failures, 0);
}

/* A replica whose health-check answers carry a 4 MiB GTID position. */
static void test_hostile_monitor_answer(void)
{
	MYSQL *m = connect_to(monitor_primary, "app", "pw", NULL);
	struct outcome o;
	double t0 = wstest_now_s();

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	for (int i = 0; i < 10; i++) {
		stmt(m, "SELECT v FROM t", &o);
		CU_ASSERT_EQUAL(o.rc, 0);
		wstest_msleep(100);
	}
	printf("\n      10 reads with a 4 MiB GTID position in every health check: last on %s, %.1f s",
	       is_port(o.backend, monitor_replica) ? "the replica" : o.backend, wstest_now_s() - t0);
	CU_ASSERT(is_port(o.backend, monitor_replica));
	mysql_close(m);
}

/* A replica that closes the connection after 100 rows. */
static void test_vanishing_replica(void)
{
	MYSQL *m = connect_to(vanish_primary, "app", "pw", NULL);
	MYSQL_RES *res;
	long rows = 0;
	char b[64];
	double t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* mysql_use_result: rows already reached the application, so the error
	 * must reach it too. */
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT v FROM big"), 0);
	backend_of(m, b, sizeof(b));
	CU_ASSERT(is_port(b, vanish_replica));
	res = mysql_use_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	t0 = wstest_now_s();
	while (mysql_fetch_row(res))
		rows++;
	printf("\n      use_result: %ld rows, then errno %u (%s) after %.2f s", rows, mysql_errno(m), mysql_error(m),
	       wstest_now_s() - t0);
	CU_ASSERT_EQUAL(rows, 100);
	CU_ASSERT_EQUAL(mysql_errno(m), CR_SERVER_LOST);
	mysql_free_result(res);
	/* The handle goes on (the replica is out until the monitor sees it again). */
	{
		struct outcome o;

		stmt(m, "SELECT v FROM t", &o);
		CU_ASSERT_EQUAL(o.rc, 0);
	}
	/* mysql_store_result: no row has reached the application, the read runs
	 * again elsewhere, invisibly. Wait for the monitor to take the replica
	 * back first. */
	for (int i = 0; i < 50; i++) {
		wstest_msleep(200);
		if (mysql_query(m, "SELECT @@server_id") == 0) {
			mysql_free_result(mysql_store_result(m));
			backend_of(m, b, sizeof(b));
			if (is_port(b, vanish_replica))
				break;
		}
	}
	CU_ASSERT(is_port(b, vanish_replica));
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT v FROM big"), 0);
	res = mysql_store_result(m);
	backend_of(m, b, sizeof(b));
	CU_ASSERT_PTR_NOT_NULL(res);
	CU_ASSERT_EQUAL(mysql_errno(m), 0);
	printf("\n      store_result: %s, errno %u, served by %s", res ? "a result" : "no result", mysql_errno(m),
	       is_port(b, vanish_primary) ? "the primary" : b);
	CU_ASSERT(is_port(b, vanish_primary));
	mysql_free_result(res);
	mysql_close(m);
}

#define COM_DO_SQL "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_DO'"

/* SQL injected into the replicas' sessions through the names and values of
 * the session variables a (hostile) primary reports; in a process of its own,
 * with a fake primary and a real replica. */
static void test_injection(void)
{
	static const char *const modes[] = { "inject-name", "inject-value" };

	for (size_t i = 0; i < 2; i++) {
		const char *pa[] = { "--mode", modes[i], NULL };
		unsigned p = fake_start(pa);
		char text[512], envs[700], args[400], *out, *err, *path, before[32], after[32];
		size_t n;

		CU_ASSERT_FATAL(p != 0);
		n = (size_t)snprintf(text, sizeof(text),
				     "[cluster inj]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u\n"
				     "monitor_user = monitor\nmonitor_password = monitor-pw\n",
				     p, env.replica_port[0]);
		path = write_conf("inject.conf", text, n, 0600);
		CU_ASSERT_EQUAL(admin_sql(env.replica_port[0], COM_DO_SQL, before, sizeof(before)), 0);
		snprintf(envs, sizeof(envs), "WESCALE_CONFIG=%s", path);
		snprintf(args, sizeof(args), "fake 127.0.0.1 %u %s %s %s", p, env.user, env.password, env.db);
		CU_ASSERT_EQUAL(run_probe(envs, probe_wescale, args, &out, &err), 0);
		CU_ASSERT_EQUAL(admin_sql(env.replica_port[0], COM_DO_SQL, after, sizeof(after)), 0);
		/* The probe ran to the end. */
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "\ndone\n"));
		{
			long b = strtol(before, NULL, 10), a = strtol(after, NULL, 10);
			unsigned out_of_sync = count_of(out, "errno=2014");
			char what[300];

			printf("\n      %s: DO statements run on the replica %ld, reads failing with 2014 %u", modes[i],
			       a - b, out_of_sync);
			snprintf(what, sizeof(what), "%s: SQL from the primary's session-tracking data ran on the replica "
				 "(lib/session.c build_set/put_value)", modes[i]);
			known_issue(a - b > 0, what);
			snprintf(what, sizeof(what), "%s: reads fail with 2014 'Commands out of sync' after a "
				 "multi-statement replay (lib/session.c replay_on)", modes[i]);
			known_issue(out_of_sync > 0, what);
		}
		free(out);
		free(err);
		wstest_fake_stop_last();
	}
}

/* The legitimate side of the same code: a string session variable holding a
 * quote, after sql_mode = NO_BACKSLASH_ESCAPES. */
static void test_quote_under_no_backslash_escapes(void)
{
	MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);
	struct outcome o;
	unsigned on_primary = 0, replay_failed;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	log_reset();
	wescale_set_log_level(WESCALE_LOG_INFO);
	stmt(m, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	/* Both replicas take the sql_mode. */
	for (int i = 0; i < 2; i++) {
		stmt(m, "SELECT @@sql_mode", &o);
		CU_ASSERT_STRING_EQUAL(o.value, "NO_BACKSLASH_ESCAPES");
	}
	stmt(m, "SET SESSION default_master_connection = 'it''s'", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	for (int i = 0; i < 4; i++) {
		stmt(m, "SELECT @@default_master_connection", &o);
		/* Never a wrong answer. */
		CU_ASSERT_EQUAL(o.rc, 0);
		CU_ASSERT_STRING_EQUAL(o.value, "it's");
		on_primary += is_port(o.backend, env.primary_port);
	}
	wescale_set_log_level(WESCALE_LOG_WARN);
	replay_failed = log_count("session state replay failed");
	printf("\n      4 reads of the value: right answer, %u on the primary; %u x 'session state replay failed' (info)",
	       on_primary, replay_failed);
	known_issue(on_primary == 4, "a quoted value replayed with backslash escapes under NO_BACKSLASH_ESCAPES is a "
		    "syntax error on the replicas: the handle reads from the primary (lib/session.c put_value)");
	mysql_close(m);
}

/* A node reporting more GTID domains than the process-wide registry holds
 * (32) takes the slots for good: another cluster's domain can no longer be
 * registered, and its handles lose replica reads after a write. */
static void test_gtid_source_registry(void)
{
	char pos[512], text[2048], envs[700], args[400], *out, *err, *path, *base = slurp(env.config);
	size_t n = 0;
	unsigned p;

	for (int d = 1; d <= 40; d++)
		n += (size_t)snprintf(pos + n, sizeof(pos) - n, "%s%d-1-1", d > 1 ? "," : "", d);
	{
		const char *pa[] = { "--gtid-pos", pos, NULL };

		p = fake_start(pa);
	}
	CU_ASSERT_FATAL(p != 0);
	n = (size_t)snprintf(text, sizeof(text), "[cluster poison]\nprimary = 127.0.0.1:%u\n\n%s", p, base);
	path = write_conf("registry.conf", text, n, 0600);
	snprintf(envs, sizeof(envs), "WESCALE_CONFIG=%s ROBUST_SETTLE_MS=1500", path);
	snprintf(args, sizeof(args), "reads 127.0.0.1 %u %s %s %s 20", env.primary_port, env.user, env.password, env.db);
	CU_ASSERT_EQUAL(run_probe(envs, probe_wescale, args, &out, &err), 0);
	printf("\n      a node with 40 GTID domains in another cluster: %s      log: %u x \"unusable GTID\"", out,
	       count_of(err, "unusable GTID"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "reads ok=20 errors=0"));
	known_issue(strstr(out, "ids=1:20,") != NULL,
		    "the process-wide GTID source registry (32 slots, lib/topology.c ws_topology_source) is filled "
		    "by any node's domains; other clusters then read from the primary only");
	free(out);
	free(err);
	free(base);
	wstest_fake_stop_last();
}

/* ================= a replica with a different schema ================= */

static void test_schema_differs(void)
{
	MYSQL *m, *direct;
	struct outcome o, d;
	unsigned fails = 0, oks = 0, wrong_node = 0, logged;
	char r1[32], status[4096];

	CU_ASSERT_FATAL(admin_sql(env.primary_port,
				  "DROP TABLE IF EXISTS wstest.rob_schema; CREATE TABLE wstest.rob_schema (id INT PRIMARY KEY); "
				  "INSERT INTO wstest.rob_schema VALUES (1)",
				  NULL, 0) == 0);
	CU_ASSERT_FATAL(sync_replicas());
	/* Replica 1 loses the table, without telling the binlog. */
	CU_ASSERT_FATAL(admin_sql(env.replica_port[0], "SET sql_log_bin = 0; DROP TABLE wstest.rob_schema", NULL, 0) == 0);
	snprintf(r1, sizeof(r1), "127.0.0.1:%u", env.replica_port[0]);

	direct = connect_to(env.replica_port[0], env.user, env.password, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(direct);
	stmt(direct, "SELECT COUNT(*) FROM rob_schema", &d);
	mysql_close(direct);
	CU_ASSERT_EQUAL(d.err, 1146);

	m = connect_to(env.primary_port, env.user, env.password, env.db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	log_reset();
	for (int i = 0; i < 20; i++) {
		stmt(m, "SELECT COUNT(*) FROM rob_schema", &o);
		if (o.rc) {
			fails++;
			/* The replica's own error, exactly as on a direct connection,
			 * and wescale_last_backend() names that replica. */
			CU_ASSERT_EQUAL(o.err, d.err);
			CU_ASSERT_STRING_EQUAL(o.msg, d.msg);
			if (strcmp(o.backend, r1) != 0)
				wrong_node++;
		} else {
			oks++;
			CU_ASSERT_STRING_EQUAL(o.value, "1");
			if (strcmp(o.backend, r1) == 0)
				wrong_node++;
		}
	}
	logged = log_count("rob_schema");
	printf("\n      20 reads: %u answered (other replica), %u failed on %s with %u '%s' (not retried); %u log line(s)",
	       oks, fails, r1, d.err, d.msg, logged);
	CU_ASSERT(fails > 0 && oks > 0);
	CU_ASSERT_EQUAL(wrong_node, 0);
	/* The handle goes on. */
	stmt(m, "SELECT 1", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	mysql_close(m);

	/* Put it back: DROP … IF EXISTS replicates harmlessly to replica 1. */
	CU_ASSERT(admin_sql(env.primary_port, "DROP TABLE IF EXISTS wstest.rob_schema", NULL, 0) == 0);
	CU_ASSERT(sync_replicas());
	/* Replication on replica 1 still runs (both threads). */
	CU_ASSERT(admin_sql(env.replica_port[0],
			    "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVE_RUNNING'",
			    status, sizeof(status)) == 0);
	CU_ASSERT_STRING_EQUAL(status, "ON");
}

/* ================= a replica killed mid-result ================= */

static void test_killed_during_use_result(void)
{
	MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);
	const char *topo = getenv("WS_TEST_TOPOLOGY");
	MYSQL_RES *res;
	struct outcome o;
	char b[64];
	unsigned node;
	long rows = 0;
	double t0, took;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	wescale_set_consistency(m, WESCALE_CONSISTENCY_EVENTUAL);
	CU_ASSERT_EQUAL_FATAL(mysql_query(m, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_3000000"), 0);
	backend_of(m, b, sizeof(b));
	node = is_port(b, env.replica_port[0]) ? 1 : is_port(b, env.replica_port[1]) ? 2 : 0;
	CU_ASSERT_FATAL(node != 0);
	res = mysql_use_result(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	while (rows < 1000 && mysql_fetch_row(res))
		rows++;
	CU_ASSERT_EQUAL(sh("%s kill %s %u", topo, env.dir, node), 0);
	t0 = wstest_now_s();
	while (mysql_fetch_row(res))
		rows++;
	took = wstest_now_s() - t0;
	printf("\n      replica %s killed after 1000 streamed rows: %ld rows in all, then errno %u (%s), %.2f s", b,
	       rows, mysql_errno(m), mysql_error(m), took);
	CU_ASSERT(rows < 3000000);
	CU_ASSERT_EQUAL(mysql_errno(m), CR_SERVER_LOST);
	CU_ASSERT(took < 10);
	mysql_free_result(res);
	/* The handle goes on, elsewhere. */
	stmt(m, "SELECT @@server_id", &o);
	CU_ASSERT_EQUAL(o.rc, 0);
	CU_ASSERT_STRING_NOT_EQUAL(o.value, node == 1 ? "2" : "3");
	mysql_close(m);
	CU_ASSERT_EQUAL(sh("%s restart %s %u >/dev/null", topo, env.dir, node), 0);
	CU_ASSERT(sync_replicas());
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned failures;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PROBE_PLAIN PROBE_WESCALE FAKE_SERVER_PY PYTHON\n", argv[0]);
		return 2;
	}
	probe_plain = argv[1];
	probe_wescale = argv[2];
	fake_py = argv[3];
	python = argv[4];
	/* The known issues are fixed: a reappearance fails, unless ROBUST_STRICT=0. */
	strict = !(getenv("ROBUST_STRICT") && strcmp(getenv("ROBUST_STRICT"), "0") == 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!wstest_env_load(&env) || env.n_replicas < 2 || !mkdtemp(tmp))
		return 1;
	/* Everything that needs no client call comes first: the fake servers
	 * and this process's configuration, read at the first call. */
	if (start_fakes() < 0 || write_own_config() < 0) {
		fprintf(stderr, "test-robustness: cannot start the fake servers\n");
		fakes_stop();
		return 1;
	}
	setenv("WESCALE_CONFIG", own_config, 1);
	wescale_set_log_callback(capture, NULL);
	/* The first managed connection gives the monitor its credentials (no
	 * monitor_user in the configuration): the application user, which the
	 * fake servers accept too. */
	{
		MYSQL *m = connect_to(env.primary_port, env.user, env.password, env.db);

		if (!m) {
			fakes_stop();
			return 1;
		}
		mysql_close(m);
	}

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("robustness", NULL, NULL);
	CU_add_test(s, "NULL handles in every exported call: as libmariadb", test_null_handles);
	CU_add_test(s, "wescale_* calls with NULL and bad arguments", test_null_wescale_calls);
	CU_add_test(s, "bad statements through a managed handle == plain libmariadb", test_statements);
	CU_add_test(s, "a read over max_allowed_packet", test_over_max_allowed_packet);
	CU_add_test(s, "a NULL statement pointer of length 0", test_null_statement);
	CU_add_test(s, "bad configuration files: the host program goes on", test_config_files);
	CU_add_test(s, "a replica host that does not resolve", test_unresolvable_replica);
	CU_add_test(s, "hostile primaries: garbage session-tracking data", test_hostile_primaries);
	CU_add_test(s, "a replica whose health checks carry 4 MiB GTIDs", test_hostile_monitor_answer);
	CU_add_test(s, "a replica that vanishes after 100 rows", test_vanishing_replica);
	CU_add_test(s, "SQL in session-tracking names and values", test_injection);
	CU_add_test(s, "a quoted value under NO_BACKSLASH_ESCAPES", test_quote_under_no_backslash_escapes);
	CU_add_test(s, "a node with 40 GTID domains in another cluster", test_gtid_source_registry);
	CU_add_test(s, "a replica without a table the primary has", test_schema_differs);
	CU_add_test(s, "kill -9 of a replica during mysql_use_result", test_killed_during_use_result);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	admin_sql(env.primary_port, "DROP TABLE IF EXISTS wstest.rob_reads", NULL, 0);
	mysql_library_end();
	fakes_stop();
	sh("rm -rf %s", tmp);
	return failures ? 1 : 0;
}
