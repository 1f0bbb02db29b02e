/*
 * consistency.h — read-after-write consistency (docs/gtid.md).
 *
 * Writes on the primary report their GTID in the OK packet (MariaDB: the
 * tracked variable last_gtid; MySQL: session_track_gtids = OWN_GTID); it raises
 * the handle's watermark (`session`) and the process's (`instance`). A read may
 * go to a replica known to cover the level's watermark at no cost; otherwise the
 * replica runs MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET first, in the same
 * round trip for text statements, and the read moves to the primary when the
 * wait times out. A successful wait teaches the replica's known position.
 */
#ifndef WS_CONSISTENCY_H
#define WS_CONSISTENCY_H

#include <stdbool.h>
#include <stddef.h>

#include "topology.h"

struct ws_session;

/* Take a GTID (set) text reported by the primary after a write. */
void ws_consistency_note_gtid(struct ws_session *s, const char *text, size_t len);

/*
 * The watermark a read at `level` must see, into *need: NULL when nothing is
 * required (always at `eventual`), else the handle's own watermark (`session`)
 * or *buf filled with the merged one; valid until the statement ends. Returns
 * 0, or -1 when consistency cannot be proven (the global position could not be
 * read, too many GTID sources): the read must go to the primary.
 */
int ws_consistency_need(struct ws_session *s, int level, struct ws_wm *buf, const struct ws_wm **need);

/* A successful wait on replica idx: it now covers need. */
void ws_consistency_learned(struct ws_session *s, size_t idx, const struct ws_wm *need);

/*
 * "SELECT MASTER_GTID_WAIT('…', t)" (MariaDB) or
 * "SELECT WAIT_FOR_EXECUTED_GTID_SET('…', t)" (MySQL) for need, with the
 * cluster's consistency_timeout_ms, built from the numbers in need (never from
 * server text). Like snprintf: returns the length the statement needs.
 */
size_t ws_consistency_wait_sql(struct ws_session *s, const struct ws_wm *need, char *buf, size_t size);

/* The GTID set text of wm in the flavour's own syntax (MySQL "uuid:1-N,…",
 * MariaDB "domain-server-seq,…"), built from its numbers; "" when it requires
 * nothing. Like snprintf: returns the length the text needs. */
size_t ws_consistency_gtid_text(int flavor, const struct ws_wm *wm, char *buf, size_t size);

/* Raise *out with the GTID set text (the highest number per source). 0, or -1
 * when it is not a GTID set of the flavour or a source could not be
 * registered (*out may then be partly raised: parse into a scratch one). */
int ws_consistency_parse(struct ws_wm *out, int flavor, const char *text, size_t len);

/* After a failover: does the new primary (s->mysql) have every GTID this
 * handle saw committed? If not: log the lost writes, count them, and reset
 * the handle's watermark (waiting for them would never end). */
void ws_consistency_check_lost(struct ws_session *s);

/* Did a wait statement's single value mean success? ("0" for both flavours) */
bool ws_consistency_wait_ok(const char *value);

#endif /* WS_CONSISTENCY_H */
