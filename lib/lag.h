/*
 * lag.h — replication lag in milliseconds (see lag.c). Called by the monitor
 * thread only, for each node it checks.
 */
#ifndef WS_LAG_H
#define WS_LAG_H

#include <stdint.h>
#include <mysql.h>

#include "topology.h"

/* The writable member of rt was checked at now_ms (monitor's clock) and has
 * position pos; m is the monitor's connection to it (for the heartbeat). */
void ws_lag_writer_seen(struct ws_cluster_rt *rt, MYSQL *m, const struct ws_wm *pos, uint64_t now_ms);

/* The lag of a replica of rt at position `known`, checked at now_ms over m:
 * the larger of sbm_ms (what Seconds_Behind_Master and a stalled position
 * say) and the cluster's measure — the heartbeat table when one is named,
 * else the age of the oldest transaction the replica lacks, from when the
 * writer was first seen with it. */
uint64_t ws_lag_replica(struct ws_cluster_rt *rt, MYSQL *m, const struct ws_wm *known, uint64_t now_ms,
			uint64_t sbm_ms);

#endif /* WS_LAG_H */
