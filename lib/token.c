/*
 * token.c — consistency tokens and freshness hints (see token.h).
 *
 * A token carries no state of its own: it is the text of a watermark, as the
 * WAIT statements spell it (ws_consistency_gtid_text), and requiring it merges
 * the parsed set into the handle's watermark. From then on the handle waits
 * for it exactly as for its own writes — at no cost when a replica is known to
 * cover it, with the WAIT in the read's own round trip otherwise, on the
 * primary after consistency_timeout_ms — and its own next token covers it, so
 * tokens chain from request to request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ck_pr.h>

#include "classify.h"
#include "config.h"
#include "consistency.h"
#include "gtid.h"
#include "log.h"
#include "session.h"
#include "token.h"
#include "wescale.h"

static int level_of(const struct ws_session *s)
{
	return s->consistency >= 0 ? s->consistency : s->cluster->consistency;
}

int ws_token_get(struct ws_session *s, char *buf, size_t size, size_t *len)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);
	struct ws_wm wm;

	*len = 0;
	if (size)
		buf[0] = '\0';
	if (s->flavor < 0 || !rt)
		return -ENOTCONN;
	if (s->wm_broken)
		return -EIO;
	memset(&wm, 0, sizeof(wm));
	if (s->wm)
		ws_wm_merge(&wm, s->wm);
	/* `instance` and stronger: what any handle of this process committed. */
	if (level_of(s) >= WESCALE_CONSISTENCY_INSTANCE)
		ws_wm_merge(&wm, &rt->instance);
	*len = ws_consistency_gtid_text(s->flavor, &wm, buf, size);
	return *len < size ? 0 : -ENOSPC;
}

int ws_token_require(struct ws_session *s, const char *text, size_t len)
{
	struct ws_gtid_set *set;
	struct ws_wm add;
	int r;

	if (s->flavor < 0 || !ws_topology_cluster(s->cluster))
		return -ENOTCONN;
	/* Checked whole first (what is wrong with it), then parsed into a
	 * scratch watermark: a bad token changes nothing. */
	if (!(set = ws_gtid_set_new((enum ws_gtid_flavor)s->flavor)))
		return -ENOMEM;
	r = ws_gtid_set_add_text(set, text, len);
	ws_gtid_set_free(set);
	if (r < 0)
		return r;
	memset(&add, 0, sizeof(add));
	if (ws_consistency_parse(&add, s->flavor, text, len) < 0)
		return -E2BIG; /* more sources than a watermark holds */
	if (ws_wm_is_empty(&add))
		return 0;
	if (!s->wm && !(s->wm = calloc(1, sizeof(*s->wm))))
		return -ENOMEM;
	ws_wm_merge(s->wm, &add);
	return 0;
}

/* A freshness hint that could not be used: counted, logged once a process. */
static void hint_ignored(struct ws_session *s, const char *why)
{
	static int logged;
	struct ws_cluster_rt *rt = ws_topology_cluster(s->cluster);

	if (rt)
		ck_pr_inc_64(&rt->stats.hints_ignored);
	if (ck_pr_fas_int(&logged, 1) == 0)
		ws_log(WS_LOG_WARN, "%s: hint ignored (counted in hints_ignored; logged once)", why);
}

int ws_token_need(struct ws_session *s, const struct ws_verdict *v, int level, struct ws_wm *buf,
		  const struct ws_wm **need)
{
	const struct ws_hint_fresh *h = &v->fresh;
	bool hinted = h->min_gtid || h->min_gtid_conflict || h->malformed;
	struct ws_wm hint;

	/* A hint only ever lowers the bound (a larger one changes nothing). */
	s->stmt_max_lag_ms = s->cluster->max_replica_lag_ms;
	if (h->has_max_lag && h->max_lag_ms < s->stmt_max_lag_ms)
		s->stmt_max_lag_ms = h->max_lag_ms ? h->max_lag_ms : 1; /* (0: "none" to replica_healthy) */
	if (!hinted && level == WESCALE_CONSISTENCY_EVENTUAL) {
		*need = NULL; /* (what ws_consistency_need says, without the call) */
		return 0;
	}
	if (ws_consistency_need(s, level, buf, need) < 0)
		return -1;
	if (!hinted)
		return 0; /* the common case: no hint */
	if (h->malformed)
		hint_ignored(s, "a malformed min_gtid or max_lag_ms hint");
	if (h->min_gtid_conflict)
		return -1; /* which set to wait for is unclear: the primary has them all */
	if (!h->min_gtid)
		return 0;
	memset(&hint, 0, sizeof(hint));
	if (s->flavor < 0 || ws_consistency_parse(&hint, s->flavor, h->min_gtid, h->min_gtid_len) < 0) {
		hint_ignored(s, "a min_gtid hint that is not a GTID set of the primary's flavour");
		return 0;
	}
	/* need may be the handle's own watermark: add to a copy. Only this
	 * thread changes it, so a plain copy is a consistent one. */
	if (*need != buf) {
		if (*need)
			*buf = **need;
		else
			memset(buf, 0, sizeof(*buf));
	}
	ws_wm_merge(buf, &hint);
	*need = ws_wm_is_empty(buf) ? NULL : buf;
	return 0;
}
