/*
 * token.h — consistency tokens and freshness hints (README.md, "consistency
 * tokens"; wescale_require_token(3)).
 *
 * A token is the GTID set a handle (or, at consistency `instance` and above,
 * the process) has committed, in the server's own syntax. Requiring one raises
 * the handle's watermark, so the ordinary consistency machinery
 * (consistency.c, route.c) makes its reads wait for it or go to the primary.
 * The per-statement hints min_gtid and max_lag_ms are applied where a read's
 * requirement is computed (ws_token_need).
 */
#ifndef WS_TOKEN_H
#define WS_TOKEN_H

#include <stddef.h>

#include "topology.h"

struct ws_session;
struct ws_verdict;

/* The token of s into buf (at most size bytes, NUL-terminated when size > 0);
 * *len gets its length. 0, -ENOSPC (buf too small: *len says how long it is),
 * -ENOTCONN (no server flavour known yet), -EIO (the handle lost track of its
 * writes). */
int ws_token_get(struct ws_session *s, char *buf, size_t size, size_t *len);

/* Make s's reads see the GTID set `text`: raise its watermark. 0, or -EINVAL
 * (not a GTID set of the primary's flavour), -E2BIG (too many sources),
 * -ENOTCONN, -ENOMEM; on error nothing changed. */
int ws_token_require(struct ws_session *s, const char *text, size_t len);

/*
 * What a read with verdict v at consistency `level` must see: as
 * ws_consistency_need(), plus the statement's min_gtid hint, and s's lag
 * bound for this statement (s->stmt_max_lag_ms: max_replica_lag_ms, or a
 * smaller max_lag_ms hint). A malformed hint is ignored and counted. Returns
 * 0, or -1 when the read must go to the primary.
 */
int ws_token_need(struct ws_session *s, const struct ws_verdict *v, int level, struct ws_wm *buf,
		  const struct ws_wm **need);

#endif /* WS_TOKEN_H */
