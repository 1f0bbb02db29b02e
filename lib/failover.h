/*
 * failover.h — riding through a primary switch (see failover.c).
 */
#ifndef WS_FAILOVER_H
#define WS_FAILOVER_H

#include <stdbool.h>

struct ws_session;
struct ws_node_rt;
struct ws_addr;

/* Wait up to timeout_ms for a writable member of s's cluster (starting the
 * monitor if needed). NULL when none appeared. */
const struct ws_addr *ws_failover_wait_primary(struct ws_session *s, unsigned timeout_ms);

/* Reconnect the application's handle to the writable member, restore the
 * session. 0, or -1 with WESCALE_ER_NO_PRIMARY set on the session. */
/* The node that takes this handle's writes (its counters; NULL without a
 * cluster). */
struct ws_node_rt *ws_failover_primary_node(struct ws_session *s);

int ws_failover_reconnect(struct ws_session *s);

/* A statement on the primary failed with connection error e. Reconnect; return
 * 0 when the statement may run again, -1 when the application gets the error
 * set on the session (no primary, transaction lost, write outcome unknown). */
int ws_failover_after_error(struct ws_session *s, unsigned e, bool is_read, bool in_trx);

/* The primary answered a write with "read-only" (a switchover in progress):
 * drop the handle's connection so that ws_failover_after_error can reconnect
 * it to the member that takes writes now. */
void ws_failover_drop_primary(struct ws_session *s);

/* Did error e mean the statement did not execute? */
bool ws_failover_not_executed(unsigned e);

#endif /* WS_FAILOVER_H */
