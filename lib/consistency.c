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

/*
 * The common case without the general parser: MariaDB's last_gtid is one GTID,
 * "domain-server-seq", all decimal. Returns 1 when text is exactly that (the
 * numbers in *domain, *server, *seq), 0 for anything else (the general parser
 * then decides). Accepts only what ws_gtid_set_add_text() accepts the same way.
 */
static int parse_one_mariadb(const char *text, size_t len, uint32_t *domain, uint32_t *server, uint64_t *seq)
{
	uint64_t v[3] = { 0, 0, 0 };
	size_t i = 0;

	for (int part = 0; part < 3; part++) {
		size_t start = i;

		while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 19)
			v[part] = v[part] * 10 + (uint64_t)(text[i++] - '0');
		if (i == start || (part < 2 && (i - start > 10 || v[part] > UINT32_MAX)))
			return 0;
		if (part < 2 && (i >= len || text[i++] != '-'))
			return 0;
	}
	if (i != len)
		return 0;
	*domain = (uint32_t)v[0];
	*server = (uint32_t)v[1];
	*seq = v[2];
	return 1;
}

/* Decimal digits of v into buf (no NUL); returns their number (1..20). */
static size_t put_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

void ws_consistency_note_gtid(struct ws_session *s, const char *text, size_t len)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	uint32_t domain, server;
	uint64_t seq;

	if (!rt || s->flavor < 0 || len == 0 || s->wm_broken)
		return; /* (broken: already reported once for this handle) */
	if (!s->wm) {
		s->wm = calloc(1, sizeof(*s->wm));
		if (!s->wm) {
			s->wm_broken = true;
			return;
		}
	}
	/* One MariaDB GTID (every autocommit write): straight into the
	 * watermarks, no allocation. */
	if (s->flavor == WS_GTID_MARIADB && parse_one_mariadb(text, len, &domain, &server, &seq)) {
		char name[24];
		int idx;

		name[put_u64(name, domain)] = '\0';
		if ((idx = ws_topology_source(name)) >= 0) {
			if (seq) {
				ws_wm_raise(s->wm, idx, seq, server);
				ws_wm_raise(&rt->instance, idx, seq, server);
			}
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

int ws_consistency_need(struct ws_session *s, int level, struct ws_wm *buf, const struct ws_wm **need)
{
	struct ws_cluster_rt *rt;

	*need = NULL;
	if (level == WESCALE_CONSISTENCY_EVENTUAL)
		return 0;
	if (s->wm_broken || !(rt = ws_topology_cluster(s->cluster)))
		return -1;
	if (level == WESCALE_CONSISTENCY_SESSION) {
		/* Only this thread changes the handle's watermark: use it in place. */
		if (s->wm && !ws_wm_is_empty(s->wm))
			*need = s->wm;
		return 0;
	}
	memset(buf, 0, sizeof(*buf));
	if (s->wm)
		ws_wm_merge(buf, s->wm);
	ws_wm_merge(buf, &rt->instance); /* instance and global */
	if (level == WESCALE_CONSISTENCY_GLOBAL) {
		struct ws_wm pos;

		if (s->flavor < 0 || global_position(s, rt, &pos) < 0)
			return -1;
		ws_wm_merge(buf, &pos);
	}
	if (!ws_wm_is_empty(buf))
		*need = buf;
	return 0;
}

void ws_consistency_learned(struct ws_session *s, size_t idx, const struct ws_wm *need)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	if (rt && idx < rt->n_replicas)
		ws_wm_merge(&rt->replicas[idx].known, need);
}

/* Text appended to a fixed buffer with snprintf's contract: what does not fit
 * is counted, not written. */
struct out {
	char *buf;
	size_t size, pos;
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->pos < o->size)
		memcpy(o->buf + o->pos, s, o->size - o->pos < n ? o->size - o->pos : n);
	o->pos += n;
}

static void out_u64(struct out *o, uint64_t v)
{
	char d[20];

	out_put(o, d, put_u64(d, v));
}

/* The GTID list of wm in the flavour's syntax (MySQL "uuid:1-N,…", MariaDB
 * "domain-server-seq,…"), in source order. */
static void out_gtids(struct out *o, bool mysql, const struct ws_wm *wm)
{
	bool first = true;

	for (uint32_t m = wm ? ck_pr_load_32((uint32_t *)&wm->mask) : 0; m; m &= m - 1) {
		int i = __builtin_ctz(m);
		uint64_t seq = ck_pr_load_64((uint64_t *)&wm->seq[i]);
		const char *name = ws_topology_source_name(i);

		if (!seq)
			continue;
		/* Source names were registered from parsed GTIDs: digits (MariaDB
		 * domain) or a canonical uuid[:tag]; numbers are ours. */
		if (!first)
			out_put(o, ",", 1);
		first = false;
		out_put(o, name, strlen(name));
		if (mysql) {
			out_put(o, ":1-", 3);
		} else {
			out_put(o, "-", 1);
			out_u64(o, ck_pr_load_32((uint32_t *)&wm->server[i]));
			out_put(o, "-", 1);
		}
		out_u64(o, seq);
	}
}

static size_t out_end(struct out *o)
{
	if (o->size)
		o->buf[o->pos < o->size ? o->pos : o->size - 1] = '\0';
	return o->pos;
}

size_t ws_consistency_gtid_text(int flavor, const struct ws_wm *wm, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	out_gtids(&o, flavor == WS_GTID_MYSQL, wm);
	return out_end(&o);
}

int ws_consistency_parse(struct ws_wm *out, int flavor, const char *text, size_t len)
{
	return raise_from_text(out, flavor, text, len, false);
}

size_t ws_consistency_wait_sql(struct ws_session *s, const struct ws_wm *need, char *buf, size_t size)
{
	static const char mysql_fn[] = "SELECT WAIT_FOR_EXECUTED_GTID_SET('", mariadb_fn[] = "SELECT MASTER_GTID_WAIT('";
	unsigned t = s->cluster->consistency_timeout_ms;
	bool mysql = s->flavor == WS_GTID_MYSQL;
	struct out o = { buf, size, 0 };
	char ms[3] = { (char)('0' + t % 1000 / 100), (char)('0' + t % 100 / 10), (char)('0' + t % 10) };

	/* Built by hand: snprintf cost more than the rest of a routed read. */
	if (mysql)
		out_put(&o, mysql_fn, sizeof(mysql_fn) - 1);
	else
		out_put(&o, mariadb_fn, sizeof(mariadb_fn) - 1);
	out_gtids(&o, mysql, need);
	out_put(&o, "', ", 3);
	out_u64(&o, t / 1000);
	out_put(&o, ".", 1);
	out_put(&o, ms, 3);
	out_put(&o, ")", 1);
	return out_end(&o);
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
	if (!lost) {
		/* Reads now need the new primary's position, on its line of history:
		 * numbers past this handle's writes under the new primary's server
		 * id no longer keep them off replicas (ws_wm_other_history). */
		ws_wm_merge(s->wm, &have);
		return;
	}
	for (int i = 0; i < WS_MAX_SOURCES; i++)
		if (s->wm->seq[i] > have.seq[i])
			ws_log(WS_LOG_ERROR, "lost writes: the new primary of cluster '%s' lacks GTIDs %s up to %llu "
			       "that this process saw committed (it has %llu)", s->cluster->name,
			       ws_topology_source_name(i), (unsigned long long)s->wm->seq[i],
			       (unsigned long long)have.seq[i]);
	ck_pr_inc_64(&rt->lost_writes);
	/* Those GTIDs will never arrive: stop requiring them. */
	ws_wm_clear(s->wm);
	ws_wm_clear(&rt->instance); /* other threads raise it concurrently */
}
