/*
 * routines.h — the stored functions each cluster's primary declares READS SQL
 * DATA or NO SQL, read by the monitor from information_schema.ROUTINES (see
 * routines.c and docs/classifier.md, "Stored functions").
 */
#ifndef WS_ROUTINES_H
#define WS_ROUTINES_H

#include <stdbool.h>
#include <stddef.h>

struct ws_cluster;

/* Refresh the set every this many health intervals (and at start). */
#define WS_ROUTINES_EVERY 20

/* An immutable set of functions (db exact, name case-insensitive). */
struct ws_routines;

/* Building one (the monitor; unit tests): new with room for cap rows, add
 * each row of the ROUTINES reply (access: its SQL_DATA_ACCESS, NULL when
 * NULL — only READS SQL DATA and NO SQL are kept), seal (sorts). 0 or
 * -ENOMEM / -EINVAL (a NULL or empty schema or name, too many rows). */
struct ws_routines *ws_routines_new(size_t cap);
int ws_routines_add(struct ws_routines *r, const char *db, size_t db_len, const char *name, size_t name_len,
		    const char *access, size_t access_len);
void ws_routines_seal(struct ws_routines *r);
void ws_routines_free(struct ws_routines *r);
size_t ws_routines_count(const struct ws_routines *r);
bool ws_routines_equal(const struct ws_routines *a, const struct ws_routines *b);

/* Is db.name in r? db NULL: unqualified, resolved in cur_db (NULL: no
 * database selected, so not found). */
bool ws_routines_has(const struct ws_routines *r, const char *cur_db, const char *db, size_t db_len,
		     const char *name, size_t name_len);

/* The set last published for cluster c (borrowed; valid for the duration
 * of one lookup on the query path, see routines.c), or NULL before the
 * first successful read. */
const struct ws_routines *ws_routines_of(const struct ws_cluster *c);

/* The monitor task (start-up registers it, once a round). */
void ws_routines_task(void *ctx, unsigned interval_ms, bool stopping);

#endif /* WS_ROUTINES_H */
