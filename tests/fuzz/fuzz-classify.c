/*
 * fuzz-classify.c — fuzz target for lib/classify.c.
 *
 * Feeds the input to ws_classify, to ws_classify_next over every part and to
 * ws_classify_mentions, and aborts when a contract is broken: exactly one of
 * READ / WRITE; returned pointers inside the input; offsets strictly increasing
 * and never past the end; the merged verdict consistent with the parts (READ
 * only if every part is READ, same statement count, same first kind); the same
 * verdict for the input and for any of its prefixes classified from an
 * exact-size copy (a read past `len` is then an ASan error, and a verdict that
 * depends on later bytes a difference); and, whenever the fast path answers, for
 * the input and for that prefix, exactly the full path's verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify.h" /* ws_classify_fast(), ws_classify_full() */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *const ws_fuzz_dictionary[] = {
	"SELECT ", "select ", " FROM ", " WHERE ", " FOR UPDATE", " FOR SHARE", " LOCK IN SHARE MODE",
	" INTO ", " INTO @x", " INTO OUTFILE '/tmp/f'", "INSERT INTO t VALUES (1)", "UPDATE ", "DELETE ",
	"REPLACE ", "WITH a AS (SELECT 1) ", "RECURSIVE ", "(SELECT 1)", " UNION ", "TABLE t", "VALUES (1)",
	"SET ", "SET NAMES utf8", "SET autocommit=0", "SET autocommit=1", "SET @@session.", "SET GLOBAL ",
	"SET SESSION ", "SET STATEMENT x=1 FOR ", "SET TRANSACTION ", "SHOW ", "SHOW FULL PROCESSLIST",
	"SHOW MASTER STATUS", "SHOW TABLES", "SHOW CREATE TABLE t", "EXPLAIN ", "EXPLAIN ANALYZE ",
	"ANALYZE ", "DESCRIBE ", "DESC ", "FORMAT=JSON ", "USE ", "USE `db`", "BEGIN", "BEGIN NOT ATOMIC ",
	"START TRANSACTION READ ONLY", "READ WRITE", "COMMIT", "ROLLBACK", " TO SAVEPOINT s", "AND CHAIN",
	"SAVEPOINT s", "RELEASE SAVEPOINT s", "XA START 'x'", "LOCK TABLES t READ", "UNLOCK TABLES",
	"FLUSH TABLES WITH READ LOCK", "CREATE TEMPORARY TABLE ", "DROP TEMPORARY TABLE IF EXISTS ",
	"CREATE PROCEDURE p() BEGIN ", " END", "END IF", " IF ", " THEN ", " ELSE ", " LOOP ", " WHILE ",
	" REPEAT ", " CASE ", " DO ", "lbl: ", "CALL p()", "DO 1", "LOAD DATA ", "HANDLER t OPEN",
	"PREPARE s FROM ", "EXECUTE s", "DEALLOCATE PREPARE s", "GRANT ", "TRUNCATE t", "ALTER TABLE t ",
	"LAST_INSERT_ID()", "FOUND_ROWS()", "GET_LOCK('a',1)", "NEXTVAL(s)", "NEXT VALUE FOR s",
	"SQL_CALC_FOUND_ROWS ", "@x", "@@x", "@@session.x", "@@global.x", "@'x'", "@`x`", ":=",
	"'", "\"", "`", "\\", "''", "``", "\\'", "/*", "*/", "/*!", "/*!50700 ", "/*M!", "/*M!100100 ",
	"/*!M100100 ", "-- ", "#", "\n", ";", "(", ")", ".", ",", "=", "\xa0", "\xc3\xa0",
	"/* wescale:route=primary */", "/* wescale:route=replica */", "/* wescale:consistency=eventual */",
	"/*ms=master*/", "/*ms=slave*/", "-- maxscale route to master\n", "-- maxscale route to slave\n",
	/* what the fast path reads, and what it must give up on */
	"`t`.`c`", " `row_count`(", " row_count (", "t.nextval", "x.currval", " PREVIOUS VALUE FOR s",
	" IN (1, 2)", " BETWEEN 1 AND 2", " ORDER BY c DESC", " LIMIT 10", " JOIN u ON u.a = t.a",
	"'it''s'", "1.5e+3", "1e5.INTO", " ON DUPLICATE KEY UPDATE a = VALUES(a)", " SET k=k+1",
	"DELETE FROM t WHERE ", "REPLACE INTO t ", "INSERT(", "LOCK", "SHARE", "--1", "/ *", "\x7f",
	NULL,
};

/* The input being tried, printed when a check fails. */
static const uint8_t *cur_data;
static size_t cur_size;

static void fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz-classify: %s:%d: %s\ninput (%zu bytes, C string): \"", file, line, what, cur_size);
	for (size_t i = 0; i < cur_size; i++) {
		uint8_t b = cur_data[i];

		if (b == '"' || b == '\\')
			fprintf(stderr, "\\%c", b);
		else if (b >= 0x20 && b < 0x7f)
			fputc(b, stderr);
		else
			fprintf(stderr, "\\x%02x\"\"", b);
	}
	fprintf(stderr, "\"\n");
	abort();
}

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			fail(__FILE__, __LINE__, #cond); \
	} while (0)

static void check_verdict(const struct ws_verdict *v, const char *text, size_t len)
{
	bool rd = (v->flags & WS_F_READ) != 0, wr = (v->flags & WS_F_WRITE) != 0;

	CHECK(rd != wr);
	/* A hint never moves a write, a lock, a primary function or session state. */
	if (v->flags & WS_F_HINTABLE)
		CHECK(wr && !(v->flags & (WS_F_USER_VAR | WS_F_PRIMARY_FUNC | WS_F_LOCKING_READ | WS_F_SELECT_INTO |
					  WS_F_PARSE_ERROR | WS_F_SESSION_STATE)));
	CHECK((unsigned)v->kind < WS_STMT_KIND_COUNT);
	CHECK(ws_stmt_kind_to_string(v->kind) != NULL);
	CHECK(v->hint_route == WS_HINT_NONE || v->hint_route == WS_HINT_PRIMARY ||
	      v->hint_route == WS_HINT_REPLICA);
	CHECK(v->hint_consistency >= -1 && v->hint_consistency <= 4);
	CHECK(!v->temp_name == !(v->flags & (WS_F_TEMP_CREATE | WS_F_TEMP_DROP)));
	if (v->temp_name)
		CHECK(v->temp_name >= text && v->temp_name_len <= len &&
		      (size_t)(v->temp_name - text) <= len - v->temp_name_len);
	if (v->db)
		CHECK(v->db >= text && v->db_len <= len && (size_t)(v->db - text) <= len - v->db_len);
	if (v->flags & WS_F_PARSE_ERROR)
		CHECK(wr);
	if (v->n_statements == 0)
		CHECK(wr && v->kind == WS_STMT_OTHER);
}

static bool same(const struct ws_verdict *a, const char *ta, const struct ws_verdict *b, const char *tb)
{
	return a->flags == b->flags && a->kind == b->kind && a->hint_route == b->hint_route &&
	       a->hint_consistency == b->hint_consistency && a->n_statements == b->n_statements &&
	       a->temp_name_len == b->temp_name_len && a->db_len == b->db_len &&
	       (a->temp_name ? b->temp_name && a->temp_name - ta == b->temp_name - tb : !b->temp_name) &&
	       (a->db ? b->db && a->db - ta == b->db - tb : !b->db);
}

/* Sessions: ids are 1 + the index in classify-server.h's sorted name list. */
static const struct ws_lexenv envs[] = {
	{ 0 },
	{ .charset = 0, .sql_mode = WS_SQLM_KNOWN | WS_SQLM_NO_BACKSLASH_ESCAPES },
	{ .charset = 1 /* armscii8: the latin1 reading */, .sql_mode = 0 },
	{ .charset = 3 /* big5: the sjis reading, where the fast path gives up */, .sql_mode = WS_SQLM_KNOWN },
	{ .charset = 6 /* cp1251: DEL is no control */, .sql_mode = WS_SQLM_KNOWN | WS_SQLM_ANSI_QUOTES },
	{ .charset = 10 /* cp852: 0xFF is a space */, .sql_mode = WS_SQLM_KNOWN },
	{ .charset = 37 /* utf8mb4 */, .sql_mode = WS_SQLM_KNOWN },
};
#define N_ENVS (sizeof(envs) / sizeof(envs[0]))

static void fast_agrees(const char *text, size_t len)
{
	struct ws_verdict fast, full;

	for (size_t e = 0; e < N_ENVS; e++) {
		if (ws_classify_fast(text, len, &envs[e], &fast)) {
			ws_classify_full(text, len, &envs[e], &full);
			CHECK(same(&fast, text, &full, text));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ws_verdict whole, v, again;
	size_t off = 0, prev = 0, n = 0;
	bool all_read = true, all_soft = true;
	const uint32_t verdict = WS_F_READ | WS_F_WRITE | WS_F_HINTABLE | WS_F_HINT_DROPPED;

	cur_data = data;
	cur_size = size;
	ws_classify(text, size, &whole);
	check_verdict(&whole, text, size);

	while (ws_classify_next(text, size, &off, &v)) {
		CHECK(off > prev && off <= size);
		check_verdict(&v, text, size);
		CHECK(v.n_statements == 1);
		CHECK(!(v.flags & WS_F_MULTI));
		if (n == 0)
			CHECK(v.kind == whole.kind);
		all_read &= (v.flags & WS_F_READ) != 0;
		all_soft &= (v.flags & (WS_F_READ | WS_F_HINTABLE)) != 0;
		/* Every flag of a part is in the merged verdict. */
		CHECK((v.flags & ~verdict & ~whole.flags) == 0);
		CHECK(!((v.flags & WS_F_HINTABLE) && (v.flags & WS_F_READ)));
		prev = off;
		n++;
	}
	CHECK(off == size);
	CHECK(whole.n_statements == (n > UINT16_MAX ? UINT16_MAX : n));
	CHECK(!(whole.flags & WS_F_READ) || all_read);
	/* A hint may move the whole to a replica only if it may move every part. */
	CHECK(!(whole.flags & WS_F_HINTABLE) || (all_soft && !(whole.flags & WS_F_READ)));
	CHECK(!!(whole.flags & WS_F_MULTI) == (n > 1));

	/* Deterministic, and blind to what follows len: a prefix classified inside
	 * the input and as an exact-size copy gives the same verdict. */
	ws_classify(text, size, &again);
	CHECK(same(&whole, text, &again, text));
	if (size) {
		size_t cut = (size * 7 + 3) % size;
		char *copy = malloc(cut ? cut : 1);

		if (copy) {
			memcpy(copy, data, cut);
			ws_classify(text, cut, &v);
			ws_classify(copy, cut, &again);
			CHECK(same(&v, text, &again, copy));
			free(copy);
		}
	}

	/* The fast path gives up or agrees with the full path, field by field. */
	fast_agrees(text, size);
	if (size)
		fast_agrees(text, (size * 7 + 3) % size);
	/* Few random inputs start as a statement the fast path reads: also try
	 * the input after a SELECT and after an UPDATE (exact-size copies). */
	for (int k = 0; k < 2; k++) {
		const char *head = k ? "UPDATE " : "SELECT ";
		char *buf = malloc(size + 7);

		if (buf) {
			memcpy(buf, head, 7);
			memcpy(buf + 7, data, size);
			fast_agrees(buf, size + 7);
			free(buf);
		}
	}

	/* Each session's reading is one of those the unknown session checks:
	 * where nothing is known, a READ (or HINTABLE) must be one in every
	 * session — or a statement that session's server rejects (the unknown
	 * session counts a reading that ends inside a quote as harmless; a known
	 * one reports it as PARSE_ERROR). */
	for (size_t e = 1; e < N_ENVS; e++) {
		ws_classify_env(text, size, &envs[e], &v);
		check_verdict(&v, text, size);
		if (whole.flags & WS_F_READ)
			CHECK(v.flags & (WS_F_READ | WS_F_PARSE_ERROR));
		if (whole.flags & WS_F_HINTABLE)
			CHECK(v.flags & (WS_F_READ | WS_F_HINTABLE | WS_F_PARSE_ERROR));
	}

	/* mentions(): names taken from the input itself, and fixed ones. */
	if (whole.temp_name)
		(void)ws_classify_mentions(text, size, whole.temp_name, whole.temp_name_len);
	if (size >= 2)
		(void)ws_classify_mentions(text, size, text + size / 2, size - size / 2);
	(void)ws_classify_mentions(text, size, "t", 1);
	(void)ws_classify_mentions(text, size, "a``b", 4);
	return 0;
}
