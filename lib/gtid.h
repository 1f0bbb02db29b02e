/*
 * gtid.h — GTID sets for both server flavours (docs/gtid.md).
 *
 * MySQL:   "uuid:1-5:7-9,uuid2:1-3"   (per source UUID, a list of closed intervals;
 *          optional tags "uuid:tag:1-5" of MySQL 8.3+ are accepted and kept)
 * MariaDB: "0-1-100,1-2-7"            (domain-server-seq; per domain only the highest
 *          seq matters for "has this replica applied it")
 *
 * Pure functions over heap values the caller owns; no global state; no locks.
 * Parsing rejects anything malformed with -EINVAL (never a partial result) and
 * bounds memory: a set never holds more than WS_GTID_MAX_INTERVALS intervals or
 * WS_GTID_MAX_SOURCES sources (-E2BIG beyond that).
 */
#ifndef WS_GTID_H
#define WS_GTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_gtid_flavor {
	WS_GTID_MARIADB = 0,
	WS_GTID_MYSQL = 1,
};

#define WS_GTID_MAX_SOURCES   4096    /* MySQL uuids (+tag) or MariaDB domains per set */
#define WS_GTID_MAX_INTERVALS 65536   /* MySQL intervals per set, all sources together */

struct ws_gtid_set; /* opaque */

/* New empty set of a flavour. Returns NULL on allocation failure. */
struct ws_gtid_set *ws_gtid_set_new(enum ws_gtid_flavor flavor);
/* Free; NULL is a no-op. */
void ws_gtid_set_free(struct ws_gtid_set *set);
/* Deep copy; NULL on allocation failure. */
struct ws_gtid_set *ws_gtid_set_dup(const struct ws_gtid_set *set);

enum ws_gtid_flavor ws_gtid_set_flavor(const struct ws_gtid_set *set);
bool ws_gtid_set_is_empty(const struct ws_gtid_set *set);
/* Size of the canonical set: MySQL intervals (all sources together, each "a-b"
 * counts once) or MariaDB domains. 0 for the empty set. */
size_t ws_gtid_set_count(const struct ws_gtid_set *set);

/*
 * Parse text (len bytes, not NUL-terminated; surrounding whitespace and the
 * newlines MySQL puts after commas are allowed; empty text is the empty set) and
 * merge it into *set. On error returns -EINVAL (malformed), -E2BIG (over the
 * bounds) or -ENOMEM, and *set is left exactly as it was.
 */
int ws_gtid_set_add_text(struct ws_gtid_set *set, const char *text, size_t len);

/* Merge src into dst (union; MariaDB: per domain the higher seq). Flavours must
 * match (-EINVAL). On error dst is unchanged. */
int ws_gtid_set_merge(struct ws_gtid_set *dst, const struct ws_gtid_set *src);

/* True when every GTID in `sub` is in `super` (MariaDB: for every domain of sub,
 * super has that domain with seq >= sub's). The empty set is contained in every
 * set. Different flavours: false. */
bool ws_gtid_set_contains(const struct ws_gtid_set *super, const struct ws_gtid_set *sub);

/* True when both contain each other. */
bool ws_gtid_set_equal(const struct ws_gtid_set *a, const struct ws_gtid_set *b);

/*
 * Canonical text: MySQL sources sorted by uuid (lower case), intervals merged and
 * sorted, "a-a" written "a"; MariaDB sorted by domain. Writes at most `size` bytes
 * including the NUL (truncating, always NUL-terminated when size > 0) and returns
 * the length the full text needs, excluding the NUL (like snprintf). The output
 * contains only [0-9a-f:,-] and tag characters [a-z0-9_], so it is safe to place
 * inside a single-quoted SQL string.
 */
size_t ws_gtid_set_format(const struct ws_gtid_set *set, char *buf, size_t size);

/* One source's position, for the watermark code (consistency.c), which keeps
 * "highest number per source" instead of whole sets. */
struct ws_gtid_pos {
	char source[72];  /* MariaDB: the domain id in decimal; MySQL: "uuid" or "uuid:tag" (lower case) */
	uint32_t server;  /* MariaDB: server id of the highest seq; MySQL: 0 */
	uint64_t prefix;  /* MySQL: N when the set holds 1..N for this source (the end of the interval
			     that starts at 1), else 0. MariaDB: the highest seq */
	uint64_t max;     /* the highest number for this source */
};

/* Write up to n positions, one per source (MySQL sources, MariaDB domains), in
 * canonical order; returns how many sources the set has (may exceed n). */
size_t ws_gtid_set_positions(const struct ws_gtid_set *set, struct ws_gtid_pos *out, size_t n);

#endif /* WS_GTID_H */
