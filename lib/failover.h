/*
 * failover.h — riding through a primary switch (see failover.c).
 */
#ifndef WS_FAILOVER_H
#define WS_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

struct ws_session;
struct ws_node_rt;
struct ws_addr;
struct ws_cluster;
struct ws_cluster_rt;
struct ws_config;

/* Wait up to timeout_ms for a writable member of s's cluster (starting the
 * monitor if needed). NULL when none appeared. */
const struct ws_addr *ws_failover_wait_primary(struct ws_session *s, unsigned timeout_ms);

/* The node that takes this handle's writes (its counters; NULL without a
 * cluster). */
struct ws_node_rt *ws_failover_primary_node(struct ws_session *s);

/* Reconnect the application's handle to the writable member, restore the
 * session. 0, or -1 with WESCALE_ER_NO_PRIMARY set on the session. */
int ws_failover_reconnect(struct ws_session *s);

/* A statement on the primary failed with connection error e (v: its verdict;
 * NULL for a write that was never sent). Reconnect; return 0 when the
 * statement may run again, -1 when the application gets the error set on the
 * session (no primary, transaction lost, write or COMMIT outcome unknown). */
struct ws_verdict;
int ws_failover_after_error(struct ws_session *s, unsigned e, const struct ws_verdict *v, bool in_trx);

/* The primary answered a write with "read-only" (a switchover in progress):
 * drop the handle's connection so that ws_failover_after_error can reconnect
 * it to the member that takes writes now. */
void ws_failover_drop_primary(struct ws_session *s);

/* Did error e mean the statement did not execute? */
bool ws_failover_not_executed(unsigned e);

/* Has wescale_set_primary() (or a reload) named a member other than the one
 * s's primary connection is on? One atomic load: for the query path. */
bool ws_failover_switch_pending(const struct ws_session *s);

/* Is the primary of c, as named by wescale_set_primary(), one of its readers
 * (not the configured primary)? New connections then go there directly. */
bool ws_failover_named_reader(const struct ws_cluster *c);

/* Move s's primary connection to the named member (closing the old one, which
 * rolls back an open transaction there). 0 when the statement at hand may run;
 * -1 with the error set on the session (no primary, or WESCALE_ER_TRX_LOST when
 * in_trx). */
int ws_failover_switch(struct ws_session *s, bool in_trx);

/* The monitor, in the round that began after `round` completed rounds, saw node
 * n of rt read-only: a designation of n ends. */
void ws_failover_seen_read_only(struct ws_cluster_rt *rt, struct ws_node_rt *n, uint64_t round);

/* A configuration reload read `next`: a changed `primary =` line that names a
 * member of the running configuration `cur` is applied as a designation.
 * Called under the reload lock. */
void ws_failover_config_reloaded(const struct ws_config *cur, const struct ws_config *next);

/* wescale_set_primary() (global.c runs start-up first): name the member of
 * `cluster` that takes writes, or NULL to let read_only discovery decide.
 * 0 or WESCALE_ER_BAD_ARGUMENT. */
int ws_failover_set_primary(const char *cluster, const char *host_port);

#endif /* WS_FAILOVER_H */
