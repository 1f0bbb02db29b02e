/*
 * test-consistency.c — watermarks without a server: what a write's GTID does to
 * the handle's and the process's watermarks (the no-allocation path for one
 * MariaDB GTID must agree with the general GTID parser on every input), what a
 * read at each level requires, and the exact WAIT statement text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "config.h"
#include "consistency.h"
#include "gtid.h"
#include "session.h"
#include "topology.h"
#include "wescale.h"
#include "unit-cluster.h"

static int suite_init(void)
{
	return unit_cluster_init("[cluster c]\nprimary = 127.0.0.1:3306\n"
				 "replicas = 127.0.0.1:3307, 127.0.0.1:3308\nconsistency_timeout_ms = 1250\n");
}

/* What the general parser makes of text: the watermark the handle must get. */
static bool reference(int flavor, const char *text, struct ws_wm *out)
{
	struct ws_gtid_set *set = ws_gtid_set_new((enum ws_gtid_flavor)flavor);
	struct ws_gtid_pos pos[8];
	size_t n;
	bool ok;

	memset(out, 0, sizeof(*out));
	ok = set && ws_gtid_set_add_text(set, text, strlen(text)) == 0;
	n = ok ? ws_gtid_set_positions(set, pos, 8) : 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		int idx = ws_topology_source(pos[i].source);

		CU_ASSERT_FATAL(idx >= 0);
		if (pos[i].max)
			ws_wm_raise(out, idx, pos[i].max, pos[i].server);
	}
	ws_gtid_set_free(set);
	return ok;
}

static void test_note_matches_parser(void)
{
	static const char *const texts[] = {
		"0-1-123", "0-1-1", "0-1-0", "7-2-5", "00-1-5", "0-001-5", "0-1-0005", "12-3-18446744073709551615",
		"4294967295-4294967295-9999999999999999999", "4294967296-1-5", "1-4294967296-5", "0-1-99999999999999999999",
		"1-2-3,0-1-5", "0-1-5,0-2-9", "", "-", "0-1-", "-1-2", "0--2", " 0-1-2", "0-1-2 ", "0-1-2x", "a-1-2",
		"0-1-2-3", "0:1:2", "+0-1-2", "0-+1-2", "0-1-+2",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ws_session *s = unit_session_new(WS_GTID_MARIADB);
		struct ws_wm want;
		bool ok = reference(WS_GTID_MARIADB, texts[i], &want);

		ws_consistency_note_gtid(s, texts[i], strlen(texts[i]));
		if (!*texts[i]) {
			CU_ASSERT_PTR_NULL(s->wm); /* empty: nothing noted */
		} else if (!ok) {
			CU_ASSERT_TRUE(s->wm_broken);
			if (!s->wm_broken)
				fprintf(stderr, "\n    accepted '%s', the parser does not\n", texts[i]);
		} else {
			CU_ASSERT_FALSE_FATAL(s->wm_broken);
			CU_ASSERT_PTR_NOT_NULL_FATAL(s->wm);
			for (int k = 0; k < WS_MAX_SOURCES; k++) {
				CU_ASSERT_EQUAL(s->wm->seq[k], want.seq[k]);
				if (want.seq[k])
					CU_ASSERT_EQUAL(s->wm->server[k], want.server[k]);
				if (s->wm->seq[k] != want.seq[k])
					fprintf(stderr, "\n    '%s' source %d: %" PRIu64 ", parser %" PRIu64 "\n", texts[i], k,
						s->wm->seq[k], want.seq[k]);
			}
			CU_ASSERT_EQUAL(ws_wm_is_empty(s->wm), ws_wm_is_empty(&want));
		}
		unit_session_free(s);
	}
}

static void test_raise_and_instance(void)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(&unit_cfg->clusters[0]);
	struct ws_session *s = unit_session_new(WS_GTID_MARIADB);
	int d0 = ws_topology_source("0"), d3 = ws_topology_source("3");

	CU_ASSERT_FATAL(d0 >= 0 && d3 >= 0);
	ws_consistency_note_gtid(s, "0-1-10", 6);
	ws_consistency_note_gtid(s, "0-1-9", 5); /* older: no change */
	ws_consistency_note_gtid(s, "3-2-4", 5);
	CU_ASSERT_EQUAL(s->wm->seq[d0], 10);
	CU_ASSERT_EQUAL(s->wm->seq[d3], 4);
	CU_ASSERT_EQUAL(s->wm->server[d3], 2);
	CU_ASSERT_EQUAL(s->wm->mask, (1u << d0) | (1u << d3));
	CU_ASSERT(rt->instance.seq[d0] >= 10);
	CU_ASSERT(rt->instance.seq[d3] >= 4);
	CU_ASSERT_TRUE(ws_wm_covers(&rt->instance, s->wm));
	CU_ASSERT_TRUE(ws_wm_covers(&rt->replicas[0].known, NULL));
	CU_ASSERT_FALSE(ws_wm_covers(&rt->replicas[0].known, s->wm));
	unit_session_free(s);
}

/* Seqs of a domain compare only along one history: a position at or past a
 * need under another MariaDB server id is on another one (MySQL: server 0). */
static void test_other_history(void)
{
	int d0 = ws_topology_source("0"), d3 = ws_topology_source("3");
	struct ws_wm need, have;

	CU_ASSERT_FATAL(d0 >= 0 && d3 >= 0);
	memset(&need, 0, sizeof(need));
	memset(&have, 0, sizeof(have));
	ws_wm_raise(&need, d0, 14, 2);
	CU_ASSERT_FALSE(ws_wm_other_history(&have, &need)); /* nothing known: a WAIT may tell */
	ws_wm_raise(&have, d0, 13, 1);
	CU_ASSERT_FALSE(ws_wm_other_history(&have, &need)); /* behind: a WAIT may tell */
	ws_wm_raise(&have, d0, 14, 1);
	CU_ASSERT_TRUE(ws_wm_other_history(&have, &need)); /* 0-1-14 is not 0-2-14 */
	CU_ASSERT_TRUE(ws_wm_covers(&have, &need));          /* what the numbers alone say */
	ws_wm_raise(&have, d0, 20, 1);
	CU_ASSERT_TRUE(ws_wm_other_history(&have, &need));
	ws_wm_raise(&have, d0, 21, 2);
	CU_ASSERT_FALSE(ws_wm_other_history(&have, &need)); /* the writer's line, further on */
	ws_wm_raise(&need, d3, 5, 7);
	ws_wm_raise(&have, d3, 5, 8);
	CU_ASSERT_TRUE(ws_wm_other_history(&have, &need)); /* any source */
	memset(&need, 0, sizeof(need));
	memset(&have, 0, sizeof(have));
	ws_wm_raise(&need, d0, 14, 0); /* MySQL: no server ids */
	ws_wm_raise(&have, d0, 14, 0);
	CU_ASSERT_FALSE(ws_wm_other_history(&have, &need));
}

static void test_need_levels(void)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(&unit_cfg->clusters[0]);
	struct ws_session *s = unit_session_new(WS_GTID_MARIADB), *other = unit_session_new(WS_GTID_MARIADB);
	const struct ws_wm *need = (const struct ws_wm *)1;
	struct ws_wm buf;
	int d5 = ws_topology_source("5");

	CU_ASSERT_FATAL(d5 >= 0);
	/* eventual: nothing, and the watermark is not even looked at */
	s->wm_broken = true;
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_EVENTUAL, &buf, &need), 0);
	CU_ASSERT_PTR_NULL(need);
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_SESSION, &buf, &need), -1);
	s->wm_broken = false;
	/* session, no write yet: nothing */
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_NULL(need);
	/* another handle writes: session still needs nothing, instance needs it */
	ws_consistency_note_gtid(other, "5-1-77", 6);
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_NULL(need);
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_INSTANCE, &buf, &need), 0);
	CU_ASSERT_PTR_EQUAL(need, &buf);
	CU_ASSERT_EQUAL(buf.seq[d5], rt->instance.seq[d5]);
	/* this handle writes: session needs its own watermark, in place */
	ws_consistency_note_gtid(s, "5-1-78", 6);
	CU_ASSERT_EQUAL(ws_consistency_need(s, WESCALE_CONSISTENCY_SESSION, &buf, &need), 0);
	CU_ASSERT_PTR_EQUAL(need, s->wm);
	CU_ASSERT_EQUAL(need->seq[d5], 78);
	unit_session_free(s);
	unit_session_free(other);
}

static void test_wait_sql(void)
{
	struct ws_session *s = unit_session_new(WS_GTID_MARIADB);
	struct ws_wm need;
	char buf[256], small[20];
	int d0 = ws_topology_source("0"), d9 = ws_topology_source("9");
	const char *want = "SELECT MASTER_GTID_WAIT('0-1-123,9-4294967295-18446744073709551615', 1.250)";
	size_t n;

	CU_ASSERT_FATAL(d0 >= 0 && d9 >= 0 && d0 < d9);
	memset(&need, 0, sizeof(need));
	ws_wm_raise(&need, d0, 123, 1);
	ws_wm_raise(&need, d9, UINT64_MAX, UINT32_MAX);
	n = ws_consistency_wait_sql(s, &need, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	/* snprintf's contract: the length it needs, a NUL-terminated prefix */
	CU_ASSERT_EQUAL(ws_consistency_wait_sql(s, &need, small, sizeof(small)), strlen(want));
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(strncmp(small, want, sizeof(small) - 1), 0);
	CU_ASSERT_EQUAL(ws_consistency_wait_sql(s, &need, NULL, 0), strlen(want));
	/* timeouts: whole seconds and milliseconds */
	{
		struct ws_cluster *c = (struct ws_cluster *)s->cluster;
		unsigned saved = c->consistency_timeout_ms;

		memset(&need, 0, sizeof(need));
		ws_wm_raise(&need, d0, 5, 2);
		c->consistency_timeout_ms = 7;
		ws_consistency_wait_sql(s, &need, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, "SELECT MASTER_GTID_WAIT('0-2-5', 0.007)");
		c->consistency_timeout_ms = 30000;
		ws_consistency_wait_sql(s, &need, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, "SELECT MASTER_GTID_WAIT('0-2-5', 30.000)");
		c->consistency_timeout_ms = saved;
	}
	/* MySQL: what is known applied is the prefix 1..N of each source */
	{
		const char *uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
		int u = ws_topology_source(uuid);

		CU_ASSERT_FATAL(u >= 0);
		s->flavor = WS_GTID_MYSQL;
		memset(&need, 0, sizeof(need));
		ws_wm_raise(&need, u, 42, 0);
		ws_consistency_wait_sql(s, &need, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42', "
					    "1.250)");
	}
	unit_session_free(s);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("consistency", suite_init, unit_cluster_clean);
	CU_add_test(suite, "one GTID: the fast path agrees with the parser", test_note_matches_parser);
	CU_add_test(suite, "writes raise the handle's and the process's watermarks", test_raise_and_instance);
	CU_add_test(suite, "a position under another server id is another history", test_other_history);
	CU_add_test(suite, "what a read needs at each level", test_need_levels);
	CU_add_test(suite, "the WAIT statement text", test_wait_sql);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
