/*
 * test-oracle.c — the server as the classifier's oracle (issue 18, item 7;
 * docs/classifier.md, "The server as oracle").
 *
 * Generates statements (from a small grammar, then mutated byte by byte: the
 * bytes that lex differently by character set, comments of every kind, hints,
 * strings with escapes, several statements in one text), classifies each under
 * a session (character set, sql_mode) the way libwescale would, and runs every
 * one the classifier calls a read — or a statement a replica hint may move
 * (WS_F_HINTABLE) — on the topology's primary, in that session, as the SUPER
 * admin user (read_only would not stop it), inside a READ ONLY transaction
 * that is rolled back. The server then says whether it was one:
 *   - error 1792 (a write refused in a read-only transaction),
 *   - a sequence advanced in the session (LASTVAL), a user lock taken
 *     (IS_USED_LOCK), a user or session variable changed, the transaction
 *     ended, rows changed, the binary log moved (@@gtid_binlog_pos)
 * is a finding; a syntax error (1064) and other errors are fine. Every finding
 * is printed as a C string, to become a row of tests/unit/test-classify.c and
 * a seed in tests/fuzz/corpus/classify.
 *
 * First it checks the classifier's tables (lib/classify-server.h) against the
 * server: for every character set a client may use and every byte, whether
 * "--" + the byte starts a comment and whether the byte is a space; that
 * every native function name is a function and no other name in the table can
 * call a stored function.
 *
 * Budget: WS_ORACLE_STATEMENTS (default 100000) statements in two halves, a
 * fixed seed and a random one (both printed; WS_ORACLE_SEED replays the second);
 * the reads are run one round trip each, the checks once per chunk of 200
 * statements (and for each statement of a chunk whose check failed).
 * Needs the topology (tests/topology.sh); without it, it fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>

#include "classify.h"
#include "classify-lex.h" /* classify-server.h's tables */

#define ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION 1792
#define ER_SP_DOES_NOT_EXIST 1305
#define CHUNK 200
#define MAXQ 2048

static MYSQL *db;
static const char *host = "127.0.0.1", *user, *password, *dbname;
static unsigned port;
static unsigned long findings, ran, ran_hintable, generated, syntax_errors, other_errors;
static char baseline_gtid[1024];
static bool in_controls; /* findings are expected: the harness checking itself */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "test-oracle: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void print_c(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x\" \"", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Run a text; drain every result. 0 or the server's error number. */
static unsigned run(const char *q, size_t n)
{
	if (mysql_real_query(db, q, n))
		return mysql_errno(db);
	for (;;) {
		MYSQL_RES *res = mysql_store_result(db);
		int st;

		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(db))
			return mysql_errno(db);
		st = mysql_next_result(db);
		if (st > 0)
			return mysql_errno(db);
		if (st < 0)
			return 0;
	}
}

static void must(const char *q)
{
	unsigned e = run(q, strlen(q));

	if (e)
		die("%s: %u %s", q, e, mysql_error(db));
}

/* The first column of the first row of q, into buf; false on error or NULL. */
static bool value(const char *q, char *buf, size_t cap)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = false;

	buf[0] = 0;
	if (mysql_query(db, q) || !(res = mysql_store_result(db)))
		return false;
	if ((row = mysql_fetch_row(res)) && row[0]) {
		snprintf(buf, cap, "%s", row[0]);
		ok = true;
	}
	mysql_free_result(res);
	while (mysql_next_result(db) == 0)
		;
	return ok;
}

static void connect_db(void)
{
	if (db) {
		/* Released now, not when the server gets round to the closed
		 * session: the next session's GET_LOCK(…, 0) must find them free. */
		mysql_query(db, "DO RELEASE_ALL_LOCKS()");
		mysql_close(db);
	}
	if (!(db = mysql_init(NULL)))
		die("mysql_init");
	if (!mysql_real_connect(db, host, user, password, dbname, port, NULL, CLIENT_MULTI_STATEMENTS))
		die("connect 127.0.0.1:%u as %s: %s", port, user, mysql_error(db));
}

/* ---- the tables of classify-server.h against the server ---- */

static unsigned check_charsets(void)
{
	unsigned bad = 0;
	char q[64], v[64];

	for (size_t i = 0; i < sizeof(ws_cs_names) / sizeof(ws_cs_names[0]); i++) {
		const struct ws_csg *cs = &ws_csg[ws_cs_names[i].group];

		snprintf(q, sizeof(q), "SET NAMES %s", ws_cs_names[i].name);
		if (run(q, strlen(q))) {
			printf("  cannot SET NAMES %s: %s\n", ws_cs_names[i].name, mysql_error(db));
			bad++;
			continue;
		}
		for (unsigned b = 1; b < 256; b++) {
			/* "--" + b: a comment (the result is 1), or "1 - - b x" */
			int n = snprintf(q, sizeof(q), "SELECT 1 --%cx", (char)b);
			bool comment = false, space = false;

			if (mysql_real_query(db, q, (unsigned long)n) == 0) {
				MYSQL_RES *res = mysql_store_result(db);
				MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

				comment = row && row[0] && strcmp(row[0], "1") == 0;
				if (res)
					mysql_free_result(res);
			}
			n = snprintf(q, sizeof(q), "SELECT 1%cAS a", (char)b);
			space = b != '#' && b != '.' && run(q, (size_t)n) == 0;
			if (comment != cs_dash(cs, (unsigned char)b) ||
			    (b >= 0x80 && space != cs_space(cs, (unsigned char)b)) ||
			    (b < 0x80 && space != (cclass[b] == C_SPACE))) {
				printf("  charset %s byte 0x%02x: server comment=%d space=%d, classifier %d %d\n",
				       ws_cs_names[i].name, b, comment, space, cs_dash(cs, (unsigned char)b),
				       b >= 0x80 ? cs_space(cs, (unsigned char)b) : cclass[b] == C_SPACE);
				bad++;
			}
		}
	}
	must("SET NAMES utf8mb4");
	(void)v;
	return bad;
}

#define FN_ENTRY(name, k) { #name, FN_KIND_##k },
#define FN_KIND_N WS_FN_NATIVE
#define FN_KIND_B WS_FN_BARE
#define FN_GROUP(l, L) WS_FN_##L(FN_ENTRY)
static const struct {
	const char *name;
	int kind;
} fn_table[] = { WS_FN_LETTERS(FN_GROUP) };
#define FN_TABLE_N (sizeof(fn_table) / sizeof(fn_table[0]))

static unsigned check_functions(void)
{
	unsigned bad = 0;
	char q[256], v[64];

	for (size_t i = 0; i < FN_TABLE_N; i++) {
		const char *n = fn_table[i].name;
		unsigned e;

		if (fn_table[i].kind == WS_FN_NATIVE) {
			/* A native function: never "FUNCTION wsoracle.x does not exist". */
			snprintf(q, sizeof(q), "SELECT `%s`()", n);
			if ((e = run(q, strlen(q))) == ER_SP_DOES_NOT_EXIST) {
				printf("  %s is no native function of this server\n", n);
				bad++;
			}
			continue;
		}
		/* Anything else in the table: a stored function of that name is
		 * never what the bare name calls. */
		snprintf(q, sizeof(q), "CREATE OR REPLACE FUNCTION `%s`() RETURNS INT DETERMINISTIC RETURN 4242", n);
		if (run(q, strlen(q)))
			continue;
		snprintf(q, sizeof(q), "SELECT %s()", n);
		if (value(q, v, sizeof(v)) && strcmp(v, "4242") == 0) {
			printf("  SELECT %s() calls a stored function: it must not be in the table\n", n);
			bad++;
		}
		snprintf(q, sizeof(q), "DROP FUNCTION `%s`", n);
		run(q, strlen(q));
	}
	return bad;
}

/* ---- the generator ---- */

struct gen {
	uint64_t s;
	char b[MAXQ];
	size_t n;
};

static uint32_t rnd(struct gen *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (uint32_t)((g->s * UINT64_C(2685821657736338717)) >> 32);
}

static unsigned pick(struct gen *g, unsigned n)
{
	return rnd(g) % n;
}

static void putn(struct gen *g, const char *s, size_t n)
{
	if (g->n + n < MAXQ) {
		memcpy(g->b + g->n, s, n);
		g->n += n;
	}
}

static void put(struct gen *g, const char *s)
{
	putn(g, s, strlen(s));
}

#define PICK(g, arr) put(g, arr[pick(g, sizeof(arr) / sizeof(arr[0]))])

/* Between tokens: spaces of every character set, comments of every kind. */
static const char *const seps[] = {
	" ", " ", " ", " ", "\t", "\n", "\r\n", "\xa0", "\xa0\xa0", "\xff", "\x0b", "\x0c", "/**/", "/* c */",
	"-- c\n", "--\x7f c\n", "--\x7f'\n", "--\xa0'\n", "--\xff'\n", "--\x01'\n", "--\x1f\n", "--\x80'\n",
	"--\x81'\n", "--\x98'\n", "--\xa1'\n", "--\xcb'\n", "--\xe5'\n", "--\xfd'\n", "# c\n", "#'\n", "/*!*/",
	"/*! */", "/* ' */", "/* ; */", "-- ;\n", "\x7f", "--'\n", "--", "/*! /**/ */",
	" /* wescale:route=replica */ ", "/*ms=slave*/", "-- maxscale route to slave\n", "/*+ hint */",
	" /* wescale:consistency=eventual */ ", "\xc2\xa0", "\x81", "\x81`", "\x95\\",
};

/* Pieces of quoted literals. */
static const char *const lit_parts[] = {
	"a", "abc", "\\'", "''", "\\\\", "\\", "\\\"", "\"\"", "\x81\\", "\x95\x5c", "\x81`", "`", "``", ";",
	" ; DELETE FROM t WHERE id=3; ", "/*ms=slave*/", "/* wescale:route=replica */", "--\x7f", "-- ", "\n",
	"\xa0", "\xc3\xa9", "\xe3\x81\x82", "'", "\"", "#", "*/", "/*", "%", "_", "\x00", "\xff", "\x7f",
	"; SELECT GET_LOCK('lk', 0); ", "') FOR UPDATE -- ", "\\'; DELETE FROM t; -- ",
};

static void sep(struct gen *g)
{
	PICK(g, seps);
}

static void lit(struct gen *g, char q)
{
	unsigned k = 1 + pick(g, 4);

	putn(g, &q, 1);
	for (unsigned i = 0; i < k; i++) {
		const char *p = lit_parts[pick(g, sizeof(lit_parts) / sizeof(lit_parts[0]))];

		if (p[0] == 0)
			putn(g, "", 1); /* a NUL byte */
		else
			put(g, p);
	}
	putn(g, &q, 1);
}

/* What may separate a function's name from its '('. */
static const char *const call_gaps[] = {
	"", "", "", " ", "\xa0", "\xa0\xa0", "\xa0\xa0\xa0", "/**/", "--\x7f\n", "\n", "\xff", " /*!*/ ",
	"--\xa0\n", "#\n",
};

static const char *const funcs[] = {
	/* the server's, harmless */
	"CONCAT(", "ABS(", "NOW(", "COUNT(", "IFNULL(", "UPPER(", "LENGTH(", "`ABS`(", "CHAR_LENGTH(",
	/* primary-only */
	"GET_LOCK('lk', 0", "RELEASE_LOCK('lk'", "NEXTVAL(s", "LASTVAL(s", "SETVAL(s, 1000", "LAST_INSERT_ID(",
	"`GET_LOCK`('a', 0", "\"GET_LOCK\"('a', 0", "IS_USED_LOCK('lk'", "ROW_COUNT(", "FOUND_ROWS(",
	/* stored: f_w modifies data, f_r reads */
	"f_w(", "wsoracle.f_w(", "`f_w`(", "f_r(", "wsoracle.f_r(",
};

static void expr(struct gen *g, int depth);

static void call(struct gen *g, int depth)
{
	const char *f = funcs[pick(g, sizeof(funcs) / sizeof(funcs[0]))];
	const char *open = strchr(f, '(');

	putn(g, f, (size_t)(open - f));
	PICK(g, call_gaps);
	put(g, open);
	if (open[1] == 0 && strncmp(f, "COUNT", 5) == 0)
		put(g, "*");
	else if (open[1] == 0 && pick(g, 3) == 0 && strncmp(f, "NOW", 3) && strncmp(f, "LAST", 4) &&
		 strncmp(f, "ROW", 3) && strncmp(f, "FOUND", 5) && f[0] != 'f' && strncmp(f, "wso", 3) &&
		 strncmp(f, "`f", 2))
		expr(g, depth + 1);
	else if (open[1] == 0 && (!strncmp(f, "CONCAT", 6) || !strncmp(f, "IFNULL", 6) || !strncmp(f, "ABS", 3) ||
				  !strncmp(f, "`ABS", 4) || !strncmp(f, "UPPER", 5) || !strncmp(f, "LENGTH", 6) ||
				  !strncmp(f, "CHAR", 4))) {
		expr(g, depth + 1);
		if (f[0] == 'C' && f[1] == 'O' && f[2] == 'N') {
			put(g, ", ");
			expr(g, depth + 1);
		}
		if (f[0] == 'I') {
			put(g, ", ");
			expr(g, depth + 1);
		}
	}
	put(g, ")");
}

static void expr(struct gen *g, int depth)
{
	static const char *const atoms[] = {
		"1", "42", "id", "v", "t.v", "NULL", "@x", "@@version", "@@session.sql_mode", "@@last_insert_id",
		"NEXT VALUE FOR s", "PREVIOUS VALUE FOR s", "s.nextval", "@x := 7", "_utf8mb4'x'", "X'41'",
		"`v`", "\"v\"", "(SELECT 1)", "(SELECT v FROM t WHERE id = 1)", "EXISTS (SELECT 1 FROM t)",
		"@`x` := 3", "@'x'", "@\"x\"", "s . nextval", "s.currval", "NEXT\xa0VALUE\xa0" "FOR\xa0s",
		"NEXT/**/VALUE FOR s", "(SELECT NEXTVAL(s))", "(SELECT f_w())", "(SELECT f_r())", "@@identity",
		"@@session.warning_count", "ROW(1, 2) = ROW(1, 2)", "CAST(1 AS CHAR(3))", "f_r ()",
	};
	unsigned k = depth > 2 ? pick(g, 3) : pick(g, 8);

	switch (k) {
	case 0: case 3:
		PICK(g, atoms);
		break;
	case 1:
		lit(g, pick(g, 4) ? '\'' : '"');
		break;
	case 2:
		putn(g, "`", 1);
		put(g, pick(g, 2) ? "v" : lit_parts[pick(g, sizeof(lit_parts) / sizeof(lit_parts[0]))]);
		putn(g, "`", 1);
		break;
	case 4: case 5:
		call(g, depth);
		break;
	default:
		expr(g, depth + 1);
		sep(g);
		put(g, pick(g, 2) ? "+" : "=");
		sep(g);
		expr(g, depth + 1);
	}
}

static void select_stmt(struct gen *g)
{
	static const char *const heads[] = {
		"SELECT", "SELECT", "SELECT", "select", "/*!SELECT*/", "(SELECT", "WITH c AS (SELECT 1 AS a) SELECT",
		"SELECT SQL_NO_CACHE", "/* wescale:route=replica */ SELECT", "EXPLAIN SELECT", "SELECT/*!50100 1,*/",
		"SELECT /*M!100100 1, */", "SELECT /*!99999 1, */", "/*!40101 SELECT */",
		"SET STATEMENT max_statement_time = 1 FOR SELECT", "EXPLAIN ANALYZE SELECT", "ANALYZE SELECT",
		"WITH RECURSIVE c (n) AS (SELECT 1) SELECT", "SELECT SQL_CALC_FOUND_ROWS", "SELECT DISTINCT",
	};
	static const char *const tails[] = {
		"", "", "", "", " FOR UPDATE", " LOCK IN SHARE MODE", " INTO @x", " FOR\xa0UPDATE", "\xa0" "FOR\xa0UPDATE",
		" /*! FOR UPDATE */", " /*!99999 FOR UPDATE */", " --\x7f\n FOR UPDATE", " --\xa0\nFOR UPDATE",
		" ORDER BY id LIMIT 1", " PROCEDURE ANALYSE()", " INTO OUTFILE '/nonexistent/x'",
	};
	const char *h = heads[pick(g, sizeof(heads) / sizeof(heads[0]))];
	unsigned n = 1 + pick(g, 3);

	put(g, h);
	sep(g);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			put(g, ",");
		expr(g, 0);
		sep(g);
	}
	if (pick(g, 2)) {
		put(g, "FROM");
		sep(g);
		put(g, pick(g, 2) ? "t" : "wsoracle.t");
		if (pick(g, 2)) {
			sep(g);
			put(g, "WHERE");
			sep(g);
			expr(g, 1);
		}
	}
	PICK(g, tails);
	if (h[0] == '(')
		put(g, ")");
}

static void write_stmt(struct gen *g)
{
	static const char *const writes[] = {
		"DELETE FROM t WHERE id=3", "UPDATE t SET v='z' WHERE id=1", "INSERT INTO t VALUES (99, 'w')",
		"REPLACE INTO t VALUES (1, 'r')", "SET @x = 5", "DO GET_LOCK('lk', 0)", "DO NEXTVAL(s)",
		"SET NAMES latin1", "SET SESSION sql_mode = ''", "INSERT INTO t SELECT 98, 'q'",
		"SELECT f_w()", "DO f_w()", "SET autocommit = 0", "SELECT SETVAL(s, 500)", "COMMIT",
	};

	PICK(g, writes);
}

/* Fixed shapes from the issue and from docs/classifier.md. */
static const char *const classics[] = {
	"SELECT 1 --\x7f'\n; DELETE FROM t WHERE id=3; -- '",
	"SELECT 1 --\xa0'\n; DELETE FROM t WHERE id=3; -- '",
	"SELECT 1 --\xff'\n; DELETE FROM t WHERE id=3; -- '",
	"SELECT GET_LOCK\xa0\xa0('lk', 0)",
	"SELECT NEXTVAL\xa0\xa0\xa0(s)",
	"SELECT LAST_INSERT_ID\xa0/**/\xa0()",
	"SELECT v\xa0INTO\xa0@x FROM t WHERE id = 1",
	"SELECT * FROM t\xa0\xa0" "FOR\xa0\xa0" "UPDATE",
	"UPDATE t SET v=CONCAT('x\\', '/*ms=slave*/') WHERE id=1",
	"SELECT 'a\\'; DELETE FROM t WHERE id=3; SELECT '",
	"SELECT '\\''; -- '; DELETE FROM t WHERE id=3",
	"SELECT '\x81\\'; DELETE FROM t WHERE id=3; -- '",
	"SELECT 1 AS `a\x95`; DELETE FROM t WHERE id=3; -- `",
	"SELECT \"GET_LOCK\"('lk', 0)",
	"SELECT f_w()",
	"SELECT 1 /*!50100 , GET_LOCK('lk', 0) */",
	"SELECT 1 /*M!100100 , NEXTVAL(s) */",
	"SELECT 1 /*! INTO @x */",
};

static void mutate(struct gen *g)
{
	static const char *const ins[] = {
		"\x7f", "\xa0", "\xff", "\x81", "\x95", "\\", "'", "\"", "`", ";", "--", "-- ", "--\x7f", "#", "/*",
		"*/", "/*!", "\n", "\x00", "@", "(", ")", " FOR UPDATE", "; DELETE FROM t WHERE id=3; ", ",",
		"\xc3", "\xe3\x81",
	};
	unsigned k = 1 + pick(g, 3);

	for (unsigned i = 0; i < k && g->n > 0; i++) {
		size_t at = pick(g, (unsigned)g->n + 1);

		switch (pick(g, 4)) {
		case 0: case 1: { /* insert */
			const char *s = ins[pick(g, sizeof(ins) / sizeof(ins[0]))];
			size_t l = s[0] ? strlen(s) : 1;

			if (g->n + l < MAXQ) {
				memmove(g->b + at + l, g->b + at, g->n - at);
				memcpy(g->b + at, s, l);
				g->n += l;
			}
			break;
		}
		case 2: { /* delete a range */
			size_t l = 1 + pick(g, 8);

			if (at + l > g->n)
				l = g->n - at;
			memmove(g->b + at, g->b + at + l, g->n - at - l);
			g->n -= l;
			break;
		}
		default: /* flip one byte to another interesting one */
			if (at < g->n)
				g->b[at] = ins[pick(g, 21)][0];
		}
	}
}

static void generate(struct gen *g)
{
	unsigned shape = pick(g, 20);

	g->n = 0;
	if (shape == 0) {
		put(g, classics[pick(g, sizeof(classics) / sizeof(classics[0]))]);
	} else if (shape < 4) {
		unsigned n = 2 + pick(g, 2);

		for (unsigned i = 0; i < n; i++) {
			if (i) {
				put(g, ";");
				sep(g);
			}
			if (pick(g, 3))
				select_stmt(g);
			else
				write_stmt(g);
		}
	} else if (shape < 6) {
		static const char *const shows[] = {
			"SHOW STATUS LIKE 'Threads%'", "SHOW TABLES", "SHOW PROCESSLIST", "SHOW TABLES WHERE f_w() = 1",
			"SHOW VARIABLES LIKE 'sql_mode'", "DESCRIBE t", "SHOW SLAVE STATUS", "SHOW WARNINGS",
		};
		PICK(g, shows);
		sep(g);
	} else {
		select_stmt(g);
	}
	if (pick(g, 3) == 0)
		mutate(g);
}

/* ---- sessions ---- */

struct session {
	const char *charset;
	const char *sql_mode;
	struct ws_lexenv env;
};

static bool fn_ok(void *ctx, const char *dbn, size_t db_len, const char *name, size_t name_len)
{
	(void)ctx;
	(void)dbn;
	(void)db_len;
	return name_len == 3 && memcmp(name, "f_r", 3) == 0; /* READS SQL DATA */
}

static const char *const sql_modes[] = {
	"STRICT_TRANS_TABLES", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI_QUOTES,NO_BACKSLASH_ESCAPES", "",
};

static void session_pick(struct gen *g, struct session *s)
{
	size_t i = pick(g, sizeof(ws_cs_names) / sizeof(ws_cs_names[0]));

	if (pick(g, 3) == 0) /* a third of the time the common one */
		i = ws_classify_charset("utf8mb4", 7) - 1;
	s->charset = ws_cs_names[i].name;
	s->sql_mode = sql_modes[pick(g, sizeof(sql_modes) / sizeof(sql_modes[0]))];
	s->env.charset = (uint8_t)(i + 1);
	s->env.sql_mode = ws_classify_sql_mode(s->sql_mode, strlen(s->sql_mode));
	s->env.func_ok = fn_ok;
	s->env.func_ctx = NULL;
}

/* Set the session up; open the read-only transaction. */
static void session_start(const struct session *s)
{
	char q[256];

	must("ROLLBACK");
	must("SET SESSION TRANSACTION READ ONLY");
	snprintf(q, sizeof(q), "SET NAMES %s", s->charset);
	must(q);
	snprintf(q, sizeof(q), "SET SESSION sql_mode = '%s', max_statement_time = 2, autocommit = 1", s->sql_mode);
	must(q);
	must("SET @x = 1, @y = 'y'");
	must("START TRANSACTION READ ONLY");
}

/* What must not change; one round trip, the columns joined with '|'. */
static bool state(char *buf, size_t cap)
{
	static const char q[] =
		"SELECT @x, @y, LASTVAL(s), IS_USED_LOCK('lk'), IS_USED_LOCK('a'), @@in_transaction, "
		"@@session.sql_mode, @@character_set_client, @@autocommit, @@session.tx_read_only, "
		"(SELECT COUNT(*) FROM wsoracle.t), (SELECT SUM(CRC32(CONCAT(id, v))) FROM wsoracle.t), "
		"@@global.gtid_binlog_pos";
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t used = 0;

	buf[0] = 0;
	if (mysql_query(db, q) || !(res = mysql_store_result(db)))
		return false;
	if ((row = mysql_fetch_row(res)))
		for (unsigned i = 0; i < mysql_num_fields(res); i++)
			used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s", i ? "|" : "",
						 row[i] ? row[i] : "NULL");
	mysql_free_result(res);
	return row != NULL;
}

struct item {
	char q[MAXQ];
	size_t n;
	uint32_t flags;
};

static void finding(const struct session *s, const struct item *it, const char *what)
{
	findings++;
	if (in_controls)
		return;
	printf("FINDING (%s, sql_mode '%s', flags %#x): %s\n  ", s->charset, s->sql_mode, it->flags, what);
	print_c(stdout, it->q, it->n);
	printf("\n");
}

/* Run one chunk of classified reads in session s. */
static void run_chunk(const struct session *s, struct item *items, size_t n)
{
	char before[2048], after[2048];
	bool changed;

	session_start(s);
	if (!state(before, sizeof(before)))
		die("state query failed: %s", mysql_error(db));
	for (size_t i = 0; i < n; i++) {
		unsigned e = run(items[i].q, items[i].n);

		ran++;
		if (e == ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION)
			finding(s, &items[i], "1792: a write in a read-only transaction");
		else if (e == 1064)
			syntax_errors++;
		else if (e)
			other_errors++;
		if (e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST) {
			connect_db();
			session_start(s);
			state(before, sizeof(before));
		}
	}
	changed = !state(after, sizeof(after)) || strcmp(before, after) != 0;
	if (!changed)
		return;
	/* Which one? Again, one at a time, each in a new session (locks and
	 * LASTVAL outlive a transaction). */
	for (size_t i = 0; i < n; i++) {
		connect_db();
		session_start(s);
		state(before, sizeof(before));
		run(items[i].q, items[i].n);
		if (!state(after, sizeof(after)) || strcmp(before, after) != 0) {
			char what[4200];

			snprintf(what, sizeof(what), "state changed\n    before %s\n    after  %s", before, after);
			finding(s, &items[i], what);
		}
	}
	connect_db();
}

static void setup(void)
{
	must("CREATE DATABASE IF NOT EXISTS wsoracle");
	must("USE wsoracle");
	must("SET SESSION sql_mode = ''");
	must("CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB");
	must("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
	must("CREATE OR REPLACE SEQUENCE s NOCACHE");
	must("CREATE OR REPLACE FUNCTION f_w() RETURNS INT DETERMINISTIC MODIFIES SQL DATA "
	     "BEGIN UPDATE t SET v = CONCAT(v, 'w') WHERE id = 1; RETURN 1; END");
	must("CREATE OR REPLACE FUNCTION f_r() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM t)");
}

/* The harness itself: each of these writes must be caught, or the oracle is
 * blind and the run proves nothing. */
static bool controls_caught(void)
{
	static const char *const writes[] = {
		"DELETE FROM t WHERE id=3", "SELECT NEXTVAL(s)", "SELECT GET_LOCK('lk', 0)", "SELECT @x := 5",
		"SELECT f_w()", "SELECT 1; UPDATE t SET v = 'x' WHERE id = 2", "SET NAMES latin1", "COMMIT",
	};
	static struct item it;
	struct session s = { "utf8mb4", "", { 0 } };
	bool ok = true;

	in_controls = true;
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		unsigned long before = findings;

		it.n = strlen(writes[i]);
		memcpy(it.q, writes[i], it.n);
		run_chunk(&s, &it, 1);
		if (findings == before) {
			printf("the oracle misses a write: %s\n", writes[i]);
			ok = false;
		}
		findings = before;
	}
	ran = syntax_errors = other_errors = 0;
	in_controls = false;
	return ok;
}

static void half(uint64_t seed, unsigned long count, time_t deadline)
{
	static struct item items[CHUNK];
	struct gen g = { .s = seed ? seed : 1 };
	struct session s;
	size_t n = 0;

	session_pick(&g, &s);
	for (unsigned long i = 0; i < count && time(NULL) < deadline; i++) {
		struct ws_verdict v;

		generate(&g);
		generated++;
		ws_classify_env(g.b, g.n, &s.env, &v);
		if (!(v.flags & (WS_F_READ | WS_F_HINTABLE)) || (v.flags & WS_F_STORED_FUNC && !(v.flags & WS_F_READ))) {
			/* Where libwescale does not know the session (ws_classify()):
			 * what it calls a read must be one in this session too. */
			ws_classify(g.b, g.n, &v);
			if (!(v.flags & WS_F_READ))
				continue;
		}
		if (v.flags & WS_F_HINTABLE)
			ran_hintable++;
		memcpy(items[n].q, g.b, g.n);
		items[n].n = g.n;
		items[n].flags = v.flags;
		if (++n == CHUNK) {
			run_chunk(&s, items, n);
			n = 0;
			session_pick(&g, &s);
		}
	}
	if (n)
		run_chunk(&s, items, n);
}

int main(void)
{
	const char *p = getenv("WS_TEST_PRIMARY_PORT"), *e;
	unsigned long total = 200000, budget = 110;
	uint64_t fixed = UINT64_C(0x5eed0a11c1a551f1), seed;
	char after[2048];
	time_t start = time(NULL);
	unsigned bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	user = getenv("WS_TEST_ADMIN_USER");
	password = getenv("WS_TEST_ADMIN_PASSWORD");
	if (!p || !user)
		die("no topology in the environment (WS_TEST_PRIMARY_PORT, WS_TEST_ADMIN_USER): run tests/topology.sh");
	port = (unsigned)atoi(p);
	if ((e = getenv("WS_ORACLE_STATEMENTS")))
		total = strtoul(e, NULL, 10);
	if ((e = getenv("WS_ORACLE_BUDGET_S")))
		budget = strtoul(e, NULL, 10);
	seed = (e = getenv("WS_ORACLE_SEED")) ? strtoull(e, NULL, 0)
					       : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)clock();
	connect_db();
	setup();
	dbname = "wsoracle";

	bad = check_charsets();
	printf("character set tables: %zu character sets x 255 bytes, %u differences\n",
	       sizeof(ws_cs_names) / sizeof(ws_cs_names[0]), bad);
	must("USE wsoracle");
	{
		unsigned fbad = check_functions();

		printf("function names: %zu checked, %u wrong\n", FN_TABLE_N, fbad);
		bad += fbad;
	}
	connect_db();
	must("USE wsoracle");
	if (!value("SELECT @@global.gtid_binlog_pos", baseline_gtid, sizeof(baseline_gtid)))
		baseline_gtid[0] = 0;

	if (!controls_caught())
		return 1;
	printf("controls: every kind of write is caught\n");
	printf("seeds: fixed %#" PRIx64 ", random %#" PRIx64 " (WS_ORACLE_SEED=%#" PRIx64 " replays it)\n", fixed, seed,
	       seed);
	half(fixed, total / 2, start + (time_t)budget / 2);
	half(seed, total - total / 2, start + (time_t)budget);

	connect_db();
	if (value("SELECT @@global.gtid_binlog_pos", after, sizeof(after)) && strcmp(after, baseline_gtid) != 0) {
		printf("FINDING: the binary log moved during the reads: %s -> %s\n", baseline_gtid, after);
		findings++;
	}
	printf("generated %lu statements in %ld s; ran %lu on the server (%lu hintable), %lu syntax errors, "
	       "%lu other errors; %lu findings\n", generated, (long)(time(NULL) - start), ran, ran_hintable,
	       syntax_errors, other_errors, findings);
	if (generated < total)
		printf("budget of %lu s reached before %lu statements\n", budget, total);
	mysql_close(db);
	mysql_library_end();
	return findings || bad || generated < 100000 ? 1 : 0;
}
