/*
 * consistency.c — watermarks and waits (see consistency.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_pr.h>

#include "config.h"
#include "consistency.h"
#include "gtid.h"
#include "log.h"
#include "real.h"
#include "session.h"
#include "wescale.h"

#define MAX_POS 64

/* Parse GTID text into per-source positions (max or contiguous prefix) and
 * raise `wm` with them. Returns 0, or -1 when the text is not a GTID set of the
 * flavour or a source could not be registered. */
static int raise_from_text(struct ws_wm *wm, int flavor, const char *text, size_t len, bool use_prefix)
{
	struct ws_gtid_set *set = ws_gtid_set_new((enum ws_gtid_flavor)flavor);
	struct ws_gtid_pos pos[MAX_POS];
	size_t n;
	int r = 0;

	if (!set)
		return -1;
	if (ws_gtid_set_add_text(set, text, len) < 0) {
		ws_gtid_set_free(set);
		return -1;
	}
	n = ws_gtid_set_positions(set, pos, MAX_POS);
	if (n > MAX_POS)
		r = -1;
	for (size_t i = 0; i < n && i < MAX_POS; i++) {
		int idx = ws_topology_source(pos[i].source);
		uint64_t v = use_prefix ? pos[i].prefix : pos[i].max;

		if (idx < 0) {
			r = -1;
			continue;
		}
		if (v)
			ws_wm_raise(wm, idx, v, pos[i].server);
	}
	ws_gtid_set_free(set);
	return r;
}

void ws_consistency_note_gtid(struct ws_session *s, const char *text, size_t len)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	if (!rt || s->flavor < 0 || len == 0 || s->wm_broken)
		return; /* (broken: already reported once for this handle) */
	if (!s->wm) {
		s->wm = calloc(1, sizeof(*s->wm));
		if (!s->wm) {
			s->wm_broken = true;
			return;
		}
	}
	/* The session's own write must be seen: its highest number per source. */
	if (raise_from_text(s->wm, s->flavor, text, len, false) < 0) {
		ws_log(WS_LOG_WARN, "unusable GTID '%.*s' from the primary: this handle reads from the "
		       "primary only", (int)(len > 100 ? 100 : len), text);
		s->wm_broken = true;
		return;
	}
	ws_wm_merge(&rt->instance, s->wm);
}

/* `global`: the primary's current position, fetched at most once per
 * global_cache_ms for all handles. */
static int global_position(struct ws_session *s, struct ws_cluster_rt *rt, struct ws_wm *out)
{
	const struct ws_real *R = ws_real();
	const char *sql = s->flavor == WS_GTID_MYSQL ? "SELECT @@GLOBAL.gtid_executed" : "SELECT @@GLOBAL.gtid_binlog_pos";
	uint64_t now = ws_now_us();
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	unsigned long *lens;
	int r = -1;

	pthread_mutex_lock(&rt->global_lock);
	if (rt->global_at_us && now - rt->global_at_us <= (uint64_t)s->cluster->global_cache_ms * 1000u) {
		*out = rt->global_pos;
		pthread_mutex_unlock(&rt->global_lock);
		return 0;
	}
	ws_guard_enter();
	if (R->mysql_real_query(s->mysql, sql, strlen(sql)) == 0 && (res = R->mysql_store_result(s->mysql)) &&
	    (row = R->mysql_fetch_row(res)) && (lens = R->mysql_fetch_lengths(res))) {
		struct ws_wm pos;

		memset(&pos, 0, sizeof(pos));
		if (raise_from_text(&pos, s->flavor, row[0] ? row[0] : "", row[0] ? lens[0] : 0, false) == 0) {
			rt->global_pos = pos;
			rt->global_at_us = ws_now_us();
			*out = pos;
			r = 0;
		}
	}
	if (res)
		R->mysql_free_result(res);
	ws_guard_leave();
	pthread_mutex_unlock(&rt->global_lock);
	return r;
}

int ws_consistency_need(struct ws_session *s, int level, struct ws_wm *need)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	memset(need, 0, sizeof(*need));
	if (level == WESCALE_CONSISTENCY_EVENTUAL)
		return 0;
	if (!rt || s->wm_broken)
		return -1;
	if (s->wm)
		ws_wm_merge(need, s->wm);
	if (level == WESCALE_CONSISTENCY_INSTANCE || level == WESCALE_CONSISTENCY_GLOBAL)
		ws_wm_merge(need, &rt->instance);
	if (level == WESCALE_CONSISTENCY_GLOBAL) {
		struct ws_wm pos;

		if (s->flavor < 0 || global_position(s, rt, &pos) < 0)
			return -1;
		ws_wm_merge(need, &pos);
	}
	return 0;
}

bool ws_consistency_replica_has(struct ws_session *s, size_t idx, const struct ws_wm *need)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	return rt && idx < rt->n_replicas && ws_wm_covers(&rt->replicas[idx].known, need);
}

void ws_consistency_learned(struct ws_session *s, size_t idx, const struct ws_wm *need)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	if (rt && idx < rt->n_replicas)
		ws_wm_merge(&rt->replicas[idx].known, need);
}

size_t ws_consistency_wait_sql(struct ws_session *s, const struct ws_wm *need, char *buf, size_t size)
{
	unsigned t = s->cluster->consistency_timeout_ms;
	size_t pos = 0;
	bool first = true;

#define OUT(...)                                                                     \
	do {                                                                         \
		int n_ = snprintf(buf + (pos < size ? pos : size), pos < size ? size - pos : 0, __VA_ARGS__); \
		pos += n_ > 0 ? (size_t)n_ : 0;                                      \
	} while (0)

	OUT("%s('", s->flavor == WS_GTID_MYSQL ? "SELECT WAIT_FOR_EXECUTED_GTID_SET" : "SELECT MASTER_GTID_WAIT");
	for (int i = 0; i < WS_MAX_SOURCES; i++) {
		uint64_t seq = ck_pr_load_64((uint64_t *)&need->seq[i]);

		if (!seq)
			continue;
		/* Source names were registered from parsed GTIDs: digits (MariaDB
		 * domain) or a canonical uuid[:tag]; numbers are ours. */
		if (s->flavor == WS_GTID_MYSQL)
			OUT("%s%s:1-%" PRIu64, first ? "" : ",", ws_topology_source_name(i), seq);
		else
			OUT("%s%s-%u-%" PRIu64, first ? "" : ",", ws_topology_source_name(i),
			    (unsigned)ck_pr_load_32((uint32_t *)&need->server[i]), seq);
		first = false;
	}
	OUT("', %u.%03u)", t / 1000, t % 1000);
#undef OUT
	return pos;
}

bool ws_consistency_wait_ok(const char *value)
{
	return value && strcmp(value, "0") == 0;
}

void ws_consistency_check_lost(struct ws_session *s)
{
	const struct ws_real *R = ws_real();
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	const char *sql = s->flavor == WS_GTID_MYSQL ? "SELECT @@GLOBAL.gtid_executed" : "SELECT @@GLOBAL.gtid_current_pos";
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	unsigned long *lens;
	struct ws_wm have;
	bool lost = false;

	if (!s->wm || !rt)
		return;
	memset(&have, 0, sizeof(have));
	ws_guard_enter();
	if (R->mysql_real_query(s->mysql, sql, strlen(sql)) == 0 && (res = R->mysql_store_result(s->mysql)) &&
	    (row = R->mysql_fetch_row(res)) && (lens = R->mysql_fetch_lengths(res)))
		lost = raise_from_text(&have, s->flavor, row[0] ? row[0] : "", row[0] ? lens[0] : 0, true) < 0 ||
		       !ws_wm_covers(&have, s->wm);
	if (res)
		R->mysql_free_result(res);
	ws_guard_leave();
	if (!lost)
		return;
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		if (s->wm->seq[i] > have.seq[i])
			ws_log(WS_LOG_ERROR, "lost writes: the new primary of cluster '%s' lacks GTIDs %s up to %llu "
			       "that this process saw committed (it has %llu)", s->cluster->name,
			       ws_topology_source_name(i), (unsigned long long)s->wm->seq[i],
			       (unsigned long long)have.seq[i]);
	ck_pr_inc_64(&rt->lost_writes);
	/* Those GTIDs will never arrive: stop requiring them. */
	memset(s->wm, 0, sizeof(*s->wm));
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		ck_pr_store_64(&rt->instance.seq[i], 0); /* other threads raise it concurrently */
}
