/*
 * safefuncs.h — which stored functions a read may call on a replica: the
 * cluster's `replica_safe_functions` list, what the primary declares READS
 * SQL DATA or NO SQL (routines.h), minus the `primary_functions` list
 * (docs/classifier.md, "Stored functions"). The classifier asks through
 * struct ws_lexenv.func_ok.
 */
#ifndef WS_SAFEFUNCS_H
#define WS_SAFEFUNCS_H

#include <stdbool.h>
#include <stddef.h>

/* Is `list` ("db.f1, f2, …") well formed? NULL or an error message (static). */
const char *ws_safefuncs_check(const char *list, size_t len);

/*
 * Does `list` name the function db.name (db NULL: unqualified, so in
 * cur_db, which may be NULL)? "db.f" names f in db; "f" names f in any
 * database. Function names compare case-insensitively, database names exactly.
 */
bool ws_safefuncs_listed(const char *list, const char *cur_db, const char *db, size_t db_len, const char *name,
			 size_t name_len);

#endif /* WS_SAFEFUNCS_H */
