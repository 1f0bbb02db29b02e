/*
 * routines.c — which stored functions the primary declares READS SQL DATA or
 * NO SQL (issue 18, item 4; docs/classifier.md, "Stored functions").
 *
 * A task of the monitor thread (registered when the library loads; the
 * monitor does not know this module). For each cluster, at start and then
 * every WS_ROUTINES_EVERY rounds, it connects to the member that takes writes
 * and reads
 *     SELECT ROUTINE_SCHEMA, ROUTINE_NAME, SQL_DATA_ACCESS
 *       FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'FUNCTION'
 * A reply of another shape (not three columns, a NULL schema or name, more
 * than MAX_ROWS rows) is ignored as a whole and the last set stays; a read
 * that fails is retried the next round. The functions kept are published as
 * an immutable sorted array, one pointer per cluster stored with ck_pr, which
 * the query path (safefuncs.c, through the classifier's func_ok) reads
 * without a lock. Until the first read succeeds no set is published and every
 * stored function sends its read to the primary.
 *
 * Reclaiming a replaced set: a reader holds the pointer only for one lookup
 * (a binary search in memory: no lock, no I/O, nothing that blocks), never
 * across a statement. A replaced set is freed only after two more refresh
 * periods (2 × WS_ROUTINES_EVERY rounds, 20 s with the default 500 ms
 * interval), so a lookup that loaded it before the swap ended long before.
 * Why not ck_epoch: it needs a record per thread that queries, registered
 * and unregistered around application threads the library does not own; a
 * set is only replaced when the primary's functions change, so the deferred
 * frees are few. At unload the published sets stay (reachable, not leaked).
 */
#include "routines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ck_pr.h>

#include "config.h"
#include "settings.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "topology.h"

#define MAX_ROWS 100000
#define NAME_MAX_LEN 256

struct ws_routine {
	char *db;     /* as the server spells it (schema names compare exactly) */
	char *name;   /* lower-cased (routine names compare case-insensitively) */
	size_t db_len, name_len;
};

struct ws_routines {
	size_t n, cap;
	struct ws_routine e[];
};

struct ws_routines *ws_routines_new(size_t cap)
{
	struct ws_routines *r;

	if (cap > MAX_ROWS)
		return NULL;
	r = calloc(1, sizeof(*r) + (cap ? cap : 1) * sizeof(r->e[0]));
	if (r)
		r->cap = cap;
	return r;
}

void ws_routines_free(struct ws_routines *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->e[i].db);
		free(r->e[i].name);
	}
	free(r);
}

size_t ws_routines_count(const struct ws_routines *r)
{
	return r ? r->n : 0;
}

static bool trusted_access(const char *a, size_t n)
{
	return a && ((n == 14 && strncasecmp(a, "READS SQL DATA", 14) == 0) ||
		     (n == 6 && strncasecmp(a, "NO SQL", 6) == 0));
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int ws_routines_add(struct ws_routines *r, const char *db, size_t db_len, const char *name, size_t name_len,
		    const char *access, size_t access_len)
{
	struct ws_routine *e;

	if (!db || !name || !db_len || !name_len || db_len > NAME_MAX_LEN || name_len > NAME_MAX_LEN)
		return -EINVAL;
	if (!trusted_access(access, access_len))
		return 0;
	if (r->n == r->cap)
		return -EINVAL;
	e = &r->e[r->n];
	if (!(e->db = strndup(db, db_len)) || !(e->name = strndup(name, name_len))) {
		free(e->db);
		e->db = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < name_len; i++)
		e->name[i] = lower(e->name[i]);
	e->db_len = db_len;
	e->name_len = name_len;
	r->n++;
	return 0;
}

/* Order: name, then db; bytes, shorter first. */
static int cmp_key(const char *n1, size_t l1, const char *d1, size_t dl1, const char *n2, size_t l2,
		   const char *d2, size_t dl2)
{
	int c = memcmp(n1, n2, l1 < l2 ? l1 : l2);

	if (c || l1 != l2)
		return c ? c : (l1 < l2 ? -1 : 1);
	c = memcmp(d1, d2, dl1 < dl2 ? dl1 : dl2);
	return c ? c : (dl1 == dl2 ? 0 : dl1 < dl2 ? -1 : 1);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ws_routine *x = a, *y = b;

	return cmp_key(x->name, x->name_len, x->db, x->db_len, y->name, y->name_len, y->db, y->db_len);
}

void ws_routines_seal(struct ws_routines *r)
{
	if (r && r->n > 1)
		qsort(r->e, r->n, sizeof(r->e[0]), cmp_entry);
}

bool ws_routines_equal(const struct ws_routines *a, const struct ws_routines *b)
{
	if (!a || !b)
		return a == b;
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (cmp_entry(&a->e[i], &b->e[i]) != 0)
			return false;
	return true;
}

bool ws_routines_has(const struct ws_routines *r, const char *cur_db, const char *db, size_t db_len,
		     const char *name, size_t name_len)
{
	char low[NAME_MAX_LEN];
	size_t lo = 0, hi;

	if (!r || !name || name_len == 0 || name_len > NAME_MAX_LEN)
		return false;
	if (!db) {
		if (!cur_db)
			return false;
		db = cur_db;
		db_len = strlen(cur_db);
	}
	for (size_t i = 0; i < name_len; i++)
		low[i] = lower(name[i]);
	hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ws_routine *e = &r->e[mid];
		int c = cmp_key(low, name_len, db, db_len, e->name, e->name_len, e->db, e->db_len);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Per cluster: the published set (read by the query path) and the monitor's
 * own state. The array is made once for the configuration, which never
 * changes, and never freed. */
struct slot {
	struct ws_routines *published;
	unsigned rounds_left;  /* rounds to the next read (0: read this round) */
	bool warned;
};

struct retired {
	struct retired *next;
	struct ws_routines *set;
	unsigned long long free_at;  /* round */
};

static struct slot *slots;
static size_t n_slots;
static const struct ws_config *slots_cfg;
static struct retired *retired;
static unsigned long long round_no;

const struct ws_routines *ws_routines_of(const struct ws_cluster *c)
{
	const struct ws_config *cfg = ws_global_config();
	struct slot *s = ck_pr_load_ptr(&slots);
	const struct ws_routines *r;
	size_t i;

	if (!cfg || !s || !c || c < cfg->clusters || c >= cfg->clusters + cfg->n_clusters)
		return NULL;
	/* The array is filled before its pointer is stored (see the task). */
	ck_pr_fence_load();
	i = (size_t)(c - cfg->clusters); /* < n_slots: the configuration never changes */
	r = ck_pr_load_ptr(&s[i].published);
	/* Reads of the set after its pointer; pairs with the store fence in publish(). */
	ck_pr_fence_load();
	return r;
}

/* Read the primary's functions: a sealed set, or NULL (logged). */
static struct ws_routines *read_set(MYSQL *m, const struct ws_cluster *c, struct slot *sl)
{
	const struct ws_real *R = ws_real();
	static const char sql[] = "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, SQL_DATA_ACCESS FROM information_schema.ROUTINES "
				  "WHERE ROUTINE_TYPE = 'FUNCTION'";
	struct ws_routines *r = NULL;
	MYSQL_RES *res;
	MYSQL_ROW row;
	const char *why = NULL;

	if (R->mysql_real_query(m, sql, sizeof(sql) - 1) || !(res = R->mysql_store_result(m))) {
		why = R->mysql_error(m);
		goto out;
	}
	if (R->mysql_num_fields(res) != 3 || R->mysql_num_rows(res) > MAX_ROWS) {
		why = "a reply of an unexpected shape";
	} else if (!(r = ws_routines_new((size_t)R->mysql_num_rows(res)))) {
		why = "out of memory";
	} else {
		while ((row = R->mysql_fetch_row(res))) {
			unsigned long *len = R->mysql_fetch_lengths(res);

			if (!len || ws_routines_add(r, row[0], row[0] ? len[0] : 0, row[1], row[1] ? len[1] : 0, row[2],
						    row[2] ? len[2] : 0) != 0) {
				why = "a reply of an unexpected shape";
				break;
			}
		}
		if (!why && R->mysql_errno(m))
			why = R->mysql_error(m);
	}
	R->mysql_free_result(res);
	if (why) {
		ws_routines_free(r);
		r = NULL;
	} else {
		ws_routines_seal(r);
	}
out:
	if (why && !sl->warned) {
		sl->warned = true;
		ws_log(WS_LOG_WARN, "cluster '%s': cannot read the stored functions' declared data access (%s): "
		       "reads calling stored functions go to the primary until it can", c->name, why);
	} else if (!why) {
		sl->warned = false;
	}
	return r;
}

static void publish(struct slot *sl, struct ws_routines *r)
{
	struct ws_routines *old = sl->published;
	struct retired *t;

	if (old && ws_routines_equal(old, r)) {
		ws_routines_free(r);
		return;
	}
	/* The set is filled before its pointer is seen; pairs with the load
	 * fence in ws_routines_of(). */
	ck_pr_fence_store();
	ck_pr_store_ptr(&sl->published, r);
	if (!old)
		return;
	if (!(t = malloc(sizeof(*t))))
		return; /* never freed rather than freed too soon */
	t->set = old;
	t->free_at = round_no + 2ULL * WS_ROUTINES_EVERY;
	t->next = retired;
	retired = t;
}

static void reclaim(void)
{
	for (struct retired **p = &retired; *p;) {
		struct retired *t = *p;

		if (t->free_at > round_no) {
			p = &t->next;
			continue;
		}
		*p = t->next;
		ws_routines_free(t->set);
		free(t);
	}
}

void ws_routines_task(void *ctx, unsigned interval_ms, bool stopping)
{
	const struct ws_config *cfg = ws_global_config();
	struct slot *s;

	round_no++;
	reclaim();
	if (stopping || !cfg)
		return;
	if (!slots) {
		if (slots_cfg || !(s = calloc(cfg->n_clusters ? cfg->n_clusters : 1, sizeof(*s))))
			return;
		slots_cfg = cfg;
		n_slots = cfg->n_clusters;
		ck_pr_fence_store();
		ck_pr_store_ptr(&slots, s);
	}
	if (cfg != slots_cfg)
		return;
	for (size_t i = 0; i < n_slots; i++) {
		const struct ws_cluster *c = &cfg->clusters[i];
		struct slot *sl = &slots[i];
		const struct ws_addr *p;
		struct ws_routines *r;
		MYSQL *m;
		int reader;

		if (sl->rounds_left) {
			sl->rounds_left--;
			continue;
		}
		if (!(p = ws_topology_primary(c, &reader)) || !(m = ws_monitor_connect(p, interval_ms)))
			continue; /* retried next round */
		r = read_set(m, c, sl);
		ws_real()->mysql_close(m);
		if (!r)
			continue;
		publish(sl, r);
		sl->rounds_left = WS_ROUTINES_EVERY - 1;
	}
}
