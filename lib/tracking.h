/*
 * tracking.h — session tracking on the primary connection without a round trip
 * of its own (docs/performance.md, "Connect cost").
 */
#ifndef WS_TRACKING_H
#define WS_TRACKING_H

#include <stdbool.h>

#include "session.h"

/* If tracking is still pending (s->track_pending), set it up now, in a round
 * trip of its own: something other than a routed statement is about to run on
 * the primary. */
void ws_tracking_now(struct ws_session *s);

/*
 * Run the application's statement q on the primary together with the pending
 * tracking setup: both are sent before either reply is read (one round trip),
 * the setup's reply is consumed here, and the application's statement answers
 * exactly as it would alone. send_only: its reply is left for
 * mysql_read_query_result. Returns what mysql_real_query / mysql_send_query
 * return for q.
 */
int ws_tracking_run(struct ws_session *s, const char *q, unsigned long len, bool send_only);

/* A managed handle connected (or reconnected, changed user, reset): its
 * replica slots, the monitor, the server flavour, the classifier's stored
 * function check; session tracking set up now, or (defer, at the
 * application's own connect) with its first statement. */
void ws_tracking_on_connect(struct ws_session *s, bool defer);

#endif /* WS_TRACKING_H */
