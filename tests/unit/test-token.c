/*
 * test-token.c — consistency tokens and freshness hints without a server: a
 * token is the handle's (or process's) watermark in the server's syntax, both
 * flavours; requiring one raises the handle's watermark and nothing else; a
 * bad one changes nothing; the classifier finds min_gtid / max_lag_ms hints in
 * both spellings and never inside literals; ws_token_need adds them to what a
 * read must see and only ever tightens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "classify.h"
#include "config.h"
#include "consistency.h"
#include "gtid.h"
#include "session.h"
#include "token.h"
#include "topology.h"
#include "wescale.h"
#include "unit-cluster.h"

#define UUID_A "3e11fa47-71ca-11e1-9e33-c80aa9429562"
#define UUID_B "4e11fa47-71ca-11e1-9e33-c80aa9429562"

static int suite_init(void)
{
	return unit_cluster_init("[cluster c]\nprimary = 127.0.0.1:3306\n"
				 "replicas = 127.0.0.1:3307\nmax_replica_lag_ms = 5000\n");
}

static const char *token_of(struct ws_session *s)
{
	static char buf[WESCALE_TOKEN_MAX];
	size_t len;

	CU_ASSERT_EQUAL(ws_token_get(s, buf, sizeof(buf), &len), 0);
	CU_ASSERT_EQUAL(len, strlen(buf));
	return buf;
}

static int require(struct ws_session *s, const char *t)
{
	return ws_token_require(s, t, strlen(t));
}

static void test_mariadb_round_trip(void)
{
	struct ws_session *w = unit_session_new(WS_GTID_MARIADB), *r = unit_session_new(WS_GTID_MARIADB);

	CU_ASSERT_STRING_EQUAL(token_of(w), ""); /* nothing committed yet */
	ws_consistency_note_gtid(w, "0-1-100", 7);
	ws_consistency_note_gtid(w, "0-1-101", 7);
	ws_consistency_note_gtid(w, "3-1-7", 5);
	CU_ASSERT_STRING_EQUAL(token_of(w), "0-1-101,3-1-7");
	CU_ASSERT_EQUAL(require(r, token_of(w)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->wm);
	CU_ASSERT_TRUE(ws_wm_covers(r->wm, w->wm));
	CU_ASSERT_STRING_EQUAL(token_of(r), "0-1-101,3-1-7"); /* tokens chain */
	/* An older token does not lower what is required. */
	CU_ASSERT_EQUAL(require(r, "0-1-5"), 0);
	CU_ASSERT_STRING_EQUAL(token_of(r), "0-1-101,3-1-7");
	/* The empty token requires nothing. */
	CU_ASSERT_EQUAL(require(r, ""), 0);
	CU_ASSERT_EQUAL(require(r, "  "), 0);
	unit_session_free(w);
	unit_session_free(r);
}

static void test_mysql_round_trip(void)
{
	struct ws_session *w = unit_session_new(WS_GTID_MYSQL), *r = unit_session_new(WS_GTID_MYSQL);
	const char *t;

	ws_consistency_note_gtid(w, UUID_A ":1-5", strlen(UUID_A ":1-5"));
	ws_consistency_note_gtid(w, UUID_B ":9", strlen(UUID_B ":9"));
	t = token_of(w);
	CU_ASSERT_STRING_EQUAL(t, UUID_A ":1-5," UUID_B ":1-9");
	CU_ASSERT_EQUAL(require(r, t), 0);
	CU_ASSERT_TRUE(ws_wm_covers(r->wm, w->wm));
	/* The MySQL spelling of the server (upper case, newlines) is accepted. */
	CU_ASSERT_EQUAL(require(r, "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-7,\n" UUID_B ":3"), 0);
	CU_ASSERT_STRING_EQUAL(token_of(r), UUID_A ":1-7," UUID_B ":1-9");
	unit_session_free(w);
	unit_session_free(r);
}

static void test_bad_tokens_change_nothing(void)
{
	static const char *const bad_mariadb[] = {
		"abc", "0-1-", "0-1", "-1-5", "0-1-5;DROP TABLE t", "0-1-5'", "0-1-x", UUID_A ":1-5",
		"0-1-5,,", "4294967296-1-5", "0-1-5 0-1-6",
	};
	static const char *const bad_mysql[] = {
		"0-1-5", UUID_A, UUID_A ":", UUID_A ":0", UUID_A ":5-1", "zz11fa47-71ca-11e1-9e33-c80aa9429562:1",
		UUID_A ":1-5'",
	};
	struct ws_session *m = unit_session_new(WS_GTID_MARIADB), *y = unit_session_new(WS_GTID_MYSQL);

	CU_ASSERT_EQUAL(require(m, "0-1-10"), 0);
	for (size_t i = 0; i < sizeof(bad_mariadb) / sizeof(bad_mariadb[0]); i++) {
		CU_ASSERT_EQUAL(require(m, bad_mariadb[i]), -EINVAL);
		CU_ASSERT_STRING_EQUAL(token_of(m), "0-1-10");
	}
	for (size_t i = 0; i < sizeof(bad_mysql) / sizeof(bad_mysql[0]); i++) {
		CU_ASSERT_EQUAL(require(y, bad_mysql[i]), -EINVAL);
		CU_ASSERT_PTR_NULL(y->wm);
	}
	unit_session_free(m);
	unit_session_free(y);
}

static void test_process_token_and_errors(void)
{
	struct ws_session *a = unit_session_new(WS_GTID_MARIADB), *b = unit_session_new(WS_GTID_MARIADB);
	char small[4];
	size_t len;

	ws_consistency_note_gtid(a, "5-1-42", 6);
	/* b committed nothing itself: at `session` its token is empty, at
	 * `instance` it holds what the process committed. */
	CU_ASSERT_STRING_EQUAL(token_of(b), "");
	b->consistency = WESCALE_CONSISTENCY_INSTANCE;
	CU_ASSERT_PTR_NOT_NULL(strstr(token_of(b), "5-1-42"));
	CU_ASSERT_EQUAL(ws_token_get(a, small, sizeof(small), &len), -ENOSPC);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_STRING_EQUAL(small, "5-1"); /* truncated, terminated */
	a->wm_broken = true;
	CU_ASSERT_EQUAL(ws_token_get(a, small, sizeof(small), &len), -EIO);
	b->flavor = -1;
	CU_ASSERT_EQUAL(ws_token_get(b, small, sizeof(small), &len), -ENOTCONN);
	CU_ASSERT_EQUAL(require(b, "0-1-1"), -ENOTCONN);
	unit_session_free(a);
	unit_session_free(b);
}

static void verdict(const char *q, struct ws_verdict *v)
{
	ws_classify(q, strlen(q), v);
}

static bool min_gtid_is(const struct ws_verdict *v, const char *want)
{
	return v->fresh.min_gtid && v->fresh.min_gtid_len == strlen(want) &&
	       memcmp(v->fresh.min_gtid, want, v->fresh.min_gtid_len) == 0;
}

static void test_hints_parsed(void)
{
	struct ws_verdict v;

	verdict("/* wescale:min_gtid=0-1-5 */ SELECT 1", &v);
	CU_ASSERT_TRUE(min_gtid_is(&v, "0-1-5"));
	CU_ASSERT_TRUE(v.flags & WS_F_READ);
	verdict("/*+ ;min_gtid=0-1-5,1-1-2 */ SELECT * FROM t", &v);
	CU_ASSERT_TRUE(min_gtid_is(&v, "0-1-5,1-1-2"));
	verdict("/* ;min_gtid=" UUID_A ":1-5 */ SELECT 1", &v);
	CU_ASSERT_TRUE(min_gtid_is(&v, UUID_A ":1-5"));
	verdict("SELECT 1 /* wescale:max_lag_ms=250 */", &v);
	CU_ASSERT_TRUE(v.fresh.has_max_lag);
	CU_ASSERT_EQUAL(v.fresh.max_lag_ms, 250);
	CU_ASSERT_PTR_NULL(v.fresh.min_gtid);
	/* With other keys: the set ends at the last ',' before "key=". */
	verdict("/* wescale:min_gtid=0-1-5,route=primary */ SELECT 1", &v);
	CU_ASSERT_TRUE(min_gtid_is(&v, "0-1-5"));
	CU_ASSERT_EQUAL(v.hint_route, WS_HINT_PRIMARY);
	verdict("/* wescale: max_lag_ms = 10, consistency=session */ SELECT 1", &v);
	CU_ASSERT_EQUAL(v.fresh.max_lag_ms, 10);
	CU_ASSERT_EQUAL(v.hint_consistency, WESCALE_CONSISTENCY_SESSION);
	/* Several max_lag_ms: the smallest; huge ones clamp. */
	verdict("/* wescale:max_lag_ms=900 */ SELECT 1 /* wescale:max_lag_ms=99999999999 */", &v);
	CU_ASSERT_EQUAL(v.fresh.max_lag_ms, 900);
	verdict("SELECT 1; SELECT 2 /* wescale:max_lag_ms=30 */", &v);
	CU_ASSERT_EQUAL(v.fresh.max_lag_ms, 30);
	/* Two different sets: a conflict; the same one twice: none. */
	verdict("/* wescale:min_gtid=0-1-5 */ SELECT 1 /* wescale:min_gtid=0-1-6 */", &v);
	CU_ASSERT_TRUE(v.fresh.min_gtid_conflict);
	verdict("/* wescale:min_gtid=0-1-5 */ SELECT 1; SELECT 2 /* wescale:min_gtid=0-1-5 */", &v);
	CU_ASSERT_FALSE(v.fresh.min_gtid_conflict);
	CU_ASSERT_TRUE(min_gtid_is(&v, "0-1-5"));
	/* Malformed: counted, no hint. */
	verdict("/* wescale:max_lag_ms=abc */ SELECT 1", &v);
	CU_ASSERT_FALSE(v.fresh.has_max_lag);
	CU_ASSERT_EQUAL(v.fresh.malformed, 1);
	verdict("/* wescale:min_gtid= */ SELECT 1", &v);
	CU_ASSERT_PTR_NULL(v.fresh.min_gtid);
	CU_ASSERT_EQUAL(v.fresh.malformed, 1);
	/* Not hints: in literals, "min_gtid" in prose, no ';' for ProxySQL's form. */
	verdict("SELECT '/* wescale:min_gtid=0-1-5 */'", &v);
	CU_ASSERT_PTR_NULL(v.fresh.min_gtid);
	verdict("/* min_gtid=0-1-5 */ SELECT 1", &v);
	CU_ASSERT_PTR_NULL(v.fresh.min_gtid);
	verdict("/* notwescale:min_gtid=0-1-5 */ SELECT 1", &v);
	CU_ASSERT_PTR_NULL(v.fresh.min_gtid);
	/* A hint never makes a write a read. */
	verdict("/* wescale:min_gtid=0-1-5,max_lag_ms=1 */ UPDATE t SET a = 1", &v);
	CU_ASSERT_TRUE(v.flags & WS_F_WRITE);
	CU_ASSERT_FALSE(v.flags & WS_F_READ);
}

static void test_need_with_hints(void)
{
	struct ws_session *s = unit_session_new(WS_GTID_MARIADB);
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	struct ws_wm buf, want;
	const struct ws_wm *need;
	struct ws_verdict v;
	int d = ws_topology_source("0");
	uint64_t ignored = rt->stats.hints_ignored;

	ws_consistency_note_gtid(s, "0-1-10", 6);
	/* No hint: the handle's own watermark, the cluster's lag bound. */
	verdict("SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_EQUAL(need, s->wm);
	CU_ASSERT_EQUAL(s->stmt_max_lag_ms, 5000);
	/* min_gtid above it: required for this statement only. */
	verdict("/* wescale:min_gtid=0-1-20 */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_EQUAL(need, &buf);
	CU_ASSERT_EQUAL(need->seq[d], 20);
	CU_ASSERT_EQUAL(s->wm->seq[d], 10);
	/* Also at `eventual`, which otherwise requires nothing. */
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_EVENTUAL, &buf, &need), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(need);
	memset(&want, 0, sizeof(want));
	ws_wm_raise(&want, d, 20, 1);
	CU_ASSERT_TRUE(ws_wm_covers(need, &want) && ws_wm_covers(&want, need));
	/* Below it: no change to what is required. */
	verdict("/* wescale:min_gtid=0-1-3 */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_EQUAL(need->seq[d], 10);
	/* max_lag_ms: only lower than the cluster's counts. */
	verdict("/* wescale:max_lag_ms=200 */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_EQUAL(s->stmt_max_lag_ms, 200);
	verdict("/* wescale:max_lag_ms=60000 */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_EQUAL(s->stmt_max_lag_ms, 5000);
	/* Malformed or of the other flavour: ignored, counted. */
	verdict("/* wescale:min_gtid=" UUID_A ":1-5 */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_EQUAL(need, s->wm);
	verdict("/* wescale:max_lag_ms=1x */ SELECT 1", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_EQUAL(rt->stats.hints_ignored, ignored + 2);
	/* Conflicting sets: the primary. */
	verdict("/* wescale:min_gtid=0-1-5 */ SELECT 1 /* wescale:min_gtid=0-1-6 */", &v);
	CU_ASSERT_EQUAL(ws_token_need(s, &v, WESCALE_CONSISTENCY_SESSION, &buf, &need), -1);
	unit_session_free(s);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("token", suite_init, unit_cluster_clean);
	CU_add_test(suite, "MariaDB token round trip", test_mariadb_round_trip);
	CU_add_test(suite, "MySQL token round trip", test_mysql_round_trip);
	CU_add_test(suite, "bad tokens change nothing", test_bad_tokens_change_nothing);
	CU_add_test(suite, "process token, errors", test_process_token_and_errors);
	CU_add_test(suite, "hints parsed", test_hints_parsed);
	CU_add_test(suite, "need with hints", test_need_with_hints);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
