/*
 * safefuncs.c — which stored functions a read may call on a replica (see
 * safefuncs.h). A SELECT calling a function that is not the server's own is
 * a write to the classifier (WS_F_STORED_FUNC) unless the function is listed
 * in the cluster's `replica_safe_functions` (the operator vouches that it
 * writes nothing) or the primary declares it READS SQL DATA or NO SQL
 * (routines.c: the monitor reads information_schema.ROUTINES). The list
 * adds to what the server declares; `primary_functions` takes a function
 * away from both.
 */
#include "safefuncs.h"

#include <strings.h>
#include <string.h>


static bool name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c >= 0x80;
}

/* The next element of the list at *p (before end): [db.]name. False at the end. */
static bool next_elem(const char **p, const char *end, const char **db, size_t *db_len, const char **name,
		      size_t *name_len, bool *bad)
{
	const char *s = *p, *e, *dot = NULL;

	while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
		s++;
	if (s >= end)
		return false;
	for (e = s; e < end && *e != ',' && *e != ' ' && *e != '\t'; e++) {
		if (*e == '.' && !dot)
			dot = e;
		else if (!name_byte((unsigned char)*e))
			*bad = true;
	}
	*db = dot ? s : NULL;
	*db_len = dot ? (size_t)(dot - s) : 0;
	*name = dot ? dot + 1 : s;
	*name_len = (size_t)(e - *name);
	if (*name_len == 0 || (dot && *db_len == 0))
		*bad = true;
	*p = e;
	return true;
}

const char *ws_safefuncs_check(const char *list, size_t len)
{
	const char *p = list, *end = list + len, *db, *name;
	size_t dl, nl;
	bool bad = false;

	while (next_elem(&p, end, &db, &dl, &name, &nl, &bad))
		if (bad)
			return "expected a comma-separated list of function names, each NAME or DB.NAME";
	return NULL;
}

bool ws_safefuncs_listed(const char *list, const char *cur_db, const char *db, size_t db_len, const char *name,
			 size_t name_len)
{
	const char *p = list, *end, *ldb, *lname;
	size_t ldl, lnl;
	bool bad = false;

	if (!list)
		return false;
	if (!db && cur_db) {
		db = cur_db;
		db_len = strlen(cur_db);
	}
	end = list + strlen(list);
	while (next_elem(&p, end, &ldb, &ldl, &lname, &lnl, &bad)) {
		if (bad || lnl != name_len || strncasecmp(lname, name, name_len) != 0)
			continue;
		if (!ldb || (db && ldl == db_len && memcmp(ldb, db, db_len) == 0))
			return true;
	}
	return false;
}
