/*
 * lag.c — how far behind a replica is, in milliseconds (issue 22), for
 * max_replica_lag_ms and the max_lag_ms hint; Seconds_Behind_Master alone
 * says only whole seconds, and 0 while the replica's IO thread is behind.
 *
 * Two measures; the monitor takes the larger of the chosen one and what
 * Seconds_Behind_Master (or a stalled position) says:
 *
 *  - By default, GTID positions and the writer's commit times as the monitor
 *    sees them. Each round the monitor reads the writer's executed position
 *    first; every new position is kept with the time it was first seen (the
 *    last 64 distinct ones). A replica lacking transactions is as old as the
 *    first kept position it does not cover: its lag is now minus the time
 *    the writer was first seen with that position. That is a lower bound: the
 *    transaction committed between the writer's previous check and that one,
 *    so the true lag is at most health_interval_ms more. A replica that has
 *    everything the writer had at its last check has lag 0.
 *
 *  - With heartbeat_table = db.table: a row the operator's heartbeat writer
 *    (pt-heartbeat, an event) updates on the primary with the time, in
 *    heartbeat_column (DATETIME(6) or a TIMESTAMP; default ts). The lag is the
 *    newest time on the writer minus the newest time on the replica — both
 *    written by the primary's clock, so the hosts' clocks need not agree — to
 *    the writer's period. A replica whose table cannot be read falls back to
 *    the GTID measure (logged once).
 *
 * State per cluster, touched by the monitor thread only; the result is
 * published by the monitor in ws_node_rt.lag_ms as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lag.h"
#include "log.h"
#include "real.h"

#define SAMPLES 64

struct lag_state {
	struct sample {
		uint64_t first_ms;          /* the writer was first seen with pos then */
		struct ws_wm pos;
	} s[SAMPLES];
	unsigned head, n;                   /* ring: s[(head - 1) % SAMPLES] is the newest */
	int64_t hb_writer_us;               /* newest heartbeat on the writer, -1 unknown */
	char hb_sql[200];                   /* "" when no heartbeat table */
	bool hb_warned;
};

static struct lag_state *states;
static size_t n_states;

static struct lag_state *state_of(struct ws_cluster_rt *rt)
{
	size_t i = (size_t)(rt - ws_rts);

	if (i >= ws_n_rts)
		return NULL;
	if (!states) {
		if (!(states = calloc(ws_n_rts, sizeof(*states))))
			return NULL;
		n_states = ws_n_rts;
		for (size_t k = 0; k < n_states; k++) {
			const struct ws_cluster *c = &ws_rt_clusters[k];

			states[k].hb_writer_us = -1;
			/* Identifiers checked by config.c ([A-Za-z0-9_$], one dot):
			 * quoted here all the same. */
			if (c->heartbeat_table) {
				const char *dot = strchr(c->heartbeat_table, '.');

				snprintf(states[k].hb_sql, sizeof(states[k].hb_sql),
					 "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', MAX(`%s`)) FROM `%.*s`.`%s`",
					 c->heartbeat_column ? c->heartbeat_column : "ts", (int)(dot - c->heartbeat_table),
					 c->heartbeat_table, dot + 1);
			}
		}
	}
	return i < n_states ? &states[i] : NULL;
}

/* The newest heartbeat on m in microseconds, or -1. */
static int64_t heartbeat(struct lag_state *st, MYSQL *m, const char *cluster)
{
	const struct ws_real *R = ws_real();
	MYSQL_RES *res;
	MYSQL_ROW row;
	int64_t v = -1;

	if (R->mysql_query(m, st->hb_sql) == 0 && (res = R->mysql_store_result(m))) {
		if ((row = R->mysql_fetch_row(res)) && row[0])
			v = strtoll(row[0], NULL, 10);
		R->mysql_free_result(res);
	} else if (!st->hb_warned) {
		st->hb_warned = true;
		ws_log(WS_LOG_WARN, "cluster '%s': cannot read the heartbeat table (%s): lag is measured from GTID "
		       "positions where it cannot be read", cluster, R->mysql_error(m));
	}
	return v;
}

void ws_lag_writer_seen(struct ws_cluster_rt *rt, MYSQL *m, const struct ws_wm *pos, uint64_t now_ms)
{
	struct lag_state *st = state_of(rt);
	struct sample *newest;

	if (!st)
		return;
	if (st->hb_sql[0])
		st->hb_writer_us = heartbeat(st, m, ws_rt_clusters[rt - ws_rts].name);
	newest = st->n ? &st->s[(st->head + SAMPLES - 1) % SAMPLES] : NULL;
	if (newest && ws_wm_covers(&newest->pos, pos))
		return; /* nothing new committed (positions only grow) */
	st->s[st->head].first_ms = now_ms;
	st->s[st->head].pos = *pos;
	st->head = (st->head + 1) % SAMPLES;
	if (st->n < SAMPLES)
		st->n++;
}

uint64_t ws_lag_replica(struct ws_cluster_rt *rt, MYSQL *m, const struct ws_wm *known, uint64_t now_ms,
			uint64_t sbm_ms)
{
	struct lag_state *st = state_of(rt);
	uint64_t est = 0;

	if (!st)
		return sbm_ms;
	if (st->hb_sql[0] && st->hb_writer_us >= 0) {
		int64_t mine = heartbeat(st, m, ws_rt_clusters[rt - ws_rts].name);

		if (mine >= 0) {
			est = st->hb_writer_us > mine ? (uint64_t)(st->hb_writer_us - mine) / 1000u : 0;
			return est > sbm_ms ? est : sbm_ms;
		}
	}
	/* The oldest kept position it does not cover: walk from the newest
	 * back to the newest one it covers. */
	for (unsigned k = 0; k < st->n; k++) {
		const struct sample *x = &st->s[(st->head + SAMPLES - 1 - k) % SAMPLES];

		if (ws_wm_covers(known, &x->pos))
			break;
		est = now_ms > x->first_ms ? now_ms - x->first_ms : 0;
	}
	return est > sbm_ms ? est : sbm_ms;
}
