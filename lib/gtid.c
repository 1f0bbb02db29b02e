/*
 * gtid.c — GTID sets for both server flavours: parse, merge, contains, format
 * (docs/gtid.md; contract in gtid.h; formats in docs/gtid.md).
 *
 * Representation (always canonical, so equality is structural):
 *  - MySQL: `src[]` sorted by (uuid bytes, tag), one entry per (uuid, tag) with at
 *    least one interval; `iv[]` holds every interval, grouped per source in the
 *    order of `src[]`, each group sorted, disjoint and non-adjacent.
 *  - MariaDB: `dom[]` sorted by domain, one entry per domain.
 *
 * Every operation that changes a set builds the new arrays beside the old ones
 * and swaps them in only on success, so an error leaves the set untouched.
 *
 * Parsing is O(n log n): the text is first cut into raw (source, interval)
 * triples without any lookup, then the raw sources are sorted and numbered, the
 * triples sorted by (source number, start), and finally coalesced in one pass.
 */
#include "gtid.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MAX 32                      /* MySQL 8.3: [a-z_][a-z0-9_]{0,31} */
#define GNO_MAX ((uint64_t)INT64_MAX)   /* intervals are within [1, 2^63-1] */

struct gtid_iv {
	uint64_t lo, hi; /* closed, 1 <= lo <= hi <= GNO_MAX */
};

struct gtid_src {
	uint8_t uuid[16];
	char tag[TAG_MAX + 1]; /* lower case; "" when untagged */
	size_t off, n;         /* this source's intervals: iv[off .. off+n) */
};

struct gtid_dom {
	uint32_t domain, server;
	uint64_t seq;
};

struct ws_gtid_set {
	enum ws_gtid_flavor flavor;
	size_t n_src;            /* MySQL sources */
	size_t n_iv;             /* MySQL intervals, all sources */
	size_t n_dom;            /* MariaDB domains */
	struct gtid_src *src;
	struct gtid_iv *iv;
	struct gtid_dom *dom;
};

/* ---- small helpers ----------------------------------------------------- */

static void *alloc_array(size_t n, size_t size)
{
	/* malloc(0) may return NULL; callers treat NULL as failure, so ask for 1. */
	if (n != 0 && size > SIZE_MAX / n)
		return NULL;
	return malloc(n ? n * size : 1);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_tag_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_tag_char(char c)
{
	return is_tag_start(c) || is_digit(c);
}

static int key_cmp(const uint8_t *ua, const char *ta, const uint8_t *ub, const char *tb)
{
	int r = memcmp(ua, ub, 16);

	return r ? r : strcmp(ta, tb);
}

static int src_cmp(const struct gtid_src *a, const struct gtid_src *b)
{
	return key_cmp(a->uuid, a->tag, b->uuid, b->tag);
}

/* ---- lexer shared by both flavours --------------------------------------- */

struct lexer {
	const char *s;
	size_t len, pos;
};

static void skip_space(struct lexer *lx)
{
	while (lx->pos < lx->len && is_space(lx->s[lx->pos]))
		lx->pos++;
}

static bool peek_is(const struct lexer *lx, char c)
{
	return lx->pos < lx->len && lx->s[lx->pos] == c;
}

/* Unsigned decimal, at least one digit, value <= max. Leading zeros are fine. */
static int lex_number(struct lexer *lx, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = lx->pos;

	while (lx->pos < lx->len && is_digit(lx->s[lx->pos])) {
		unsigned d = (unsigned)(lx->s[lx->pos] - '0');

		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		lx->pos++;
	}
	if (lx->pos == start)
		return -EINVAL;
	*out = v;
	return 0;
}

/* 8-4-4-4-12 hex digits with dashes; either case. */
static int lex_uuid(struct lexer *lx, uint8_t uuid[16])
{
	const char *p;
	unsigned nib = 0;

	if (lx->len - lx->pos < 36)
		return -EINVAL;
	p = lx->s + lx->pos;
	for (unsigned i = 0; i < 36; i++) {
		int h;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return -EINVAL;
			continue;
		}
		h = hex_value(p[i]);
		if (h < 0)
			return -EINVAL;
		if (nib % 2 == 0)
			uuid[nib / 2] = (uint8_t)(h << 4);
		else
			uuid[nib / 2] |= (uint8_t)h;
		nib++;
	}
	lx->pos += 36;
	return 0;
}

static int lex_tag(struct lexer *lx, char tag[TAG_MAX + 1])
{
	size_t n = 0;

	if (lx->pos >= lx->len || !is_tag_start(lx->s[lx->pos]))
		return -EINVAL;
	while (lx->pos < lx->len && is_tag_char(lx->s[lx->pos])) {
		char c = lx->s[lx->pos];

		if (n == TAG_MAX)
			return -EINVAL;
		tag[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		lx->pos++;
	}
	tag[n] = '\0';
	return 0;
}

/*
 * After an element: end of text, or ',' then another element, or ',' then end
 * (one trailing comma is tolerated). Returns 1 when another element follows,
 * 0 at the end, -EINVAL on junk.
 */
static int lex_separator(struct lexer *lx)
{
	skip_space(lx);
	if (lx->pos == lx->len)
		return 0;
	if (!peek_is(lx, ','))
		return -EINVAL;
	lx->pos++;
	skip_space(lx);
	return lx->pos == lx->len ? 0 : 1;
}

/* ---- growable arrays used while parsing ---------------------------------- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- set lifetime --------------------------------------------------------- */

struct ws_gtid_set *ws_gtid_set_new(enum ws_gtid_flavor flavor)
{
	struct ws_gtid_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	/* Only two flavours exist; an out-of-range value is taken as MariaDB so
	 * every function sees one of the two. */
	set->flavor = flavor == WS_GTID_MYSQL ? WS_GTID_MYSQL : WS_GTID_MARIADB;
	return set;
}

void ws_gtid_set_free(struct ws_gtid_set *set)
{
	if (!set)
		return;
	free(set->src);
	free(set->iv);
	free(set->dom);
	free(set);
}

static void *dup_array(const void *p, size_t n, size_t elem)
{
	void *q;

	if (n == 0)
		return NULL;
	q = alloc_array(n, elem);
	if (q)
		memcpy(q, p, n * elem);
	return q;
}

struct ws_gtid_set *ws_gtid_set_dup(const struct ws_gtid_set *set)
{
	struct ws_gtid_set *d;

	if (!set)
		return NULL;
	d = ws_gtid_set_new(set->flavor);
	if (!d)
		return NULL;
	d->src = dup_array(set->src, set->n_src, sizeof(*set->src));
	d->iv = dup_array(set->iv, set->n_iv, sizeof(*set->iv));
	d->dom = dup_array(set->dom, set->n_dom, sizeof(*set->dom));
	if ((set->n_src && !d->src) || (set->n_iv && !d->iv) || (set->n_dom && !d->dom)) {
		ws_gtid_set_free(d);
		return NULL;
	}
	d->n_src = set->n_src;
	d->n_iv = set->n_iv;
	d->n_dom = set->n_dom;
	return d;
}

enum ws_gtid_flavor ws_gtid_set_flavor(const struct ws_gtid_set *set)
{
	return set ? set->flavor : WS_GTID_MARIADB;
}

bool ws_gtid_set_is_empty(const struct ws_gtid_set *set)
{
	return !set || (set->n_src == 0 && set->n_dom == 0);
}

size_t ws_gtid_set_count(const struct ws_gtid_set *set)
{
	if (!set)
		return 0;
	return set->flavor == WS_GTID_MYSQL ? set->n_iv : set->n_dom;
}

/* Replace dst's contents with tmp's and free the husk of tmp (and dst's old arrays). */
static void set_swap_in(struct ws_gtid_set *dst, struct ws_gtid_set *tmp)
{
	struct ws_gtid_set old = *dst;

	*dst = *tmp;
	*tmp = old;
	ws_gtid_set_free(tmp);
}

/* ---- MySQL: parse --------------------------------------------------------- */

/* One occurrence of a (uuid, tag) key in the text, in text order `idx`. */
struct raw_key {
	uint8_t uuid[16];
	char tag[TAG_MAX + 1];
	size_t idx; /* position in the text order */
};

struct raw_iv {
	size_t key; /* raw key index, then unique source number */
	uint64_t lo, hi;
};

struct mysql_parse {
	struct raw_key *keys;
	size_t n_keys, cap_keys;
	struct raw_iv *ivs;
	size_t n_ivs, cap_ivs;
};

static int raw_key_qcmp(const void *a, const void *b)
{
	const struct raw_key *x = a, *y = b;
	int r = key_cmp(x->uuid, x->tag, y->uuid, y->tag);

	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int raw_iv_qcmp(const void *a, const void *b)
{
	const struct raw_iv *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static int push_key(struct mysql_parse *mp, const uint8_t uuid[16], const char *tag)
{
	struct raw_key *k;
	int r = grow((void **)&mp->keys, &mp->cap_keys, mp->n_keys + 1, sizeof(*mp->keys));

	if (r < 0)
		return r;
	k = &mp->keys[mp->n_keys];
	memcpy(k->uuid, uuid, 16);
	strcpy(k->tag, tag);
	k->idx = mp->n_keys++;
	return 0;
}

static int push_iv(struct mysql_parse *mp, uint64_t lo, uint64_t hi)
{
	int r = grow((void **)&mp->ivs, &mp->cap_ivs, mp->n_ivs + 1, sizeof(*mp->ivs));

	if (r < 0)
		return r;
	mp->ivs[mp->n_ivs].key = mp->n_keys - 1;
	mp->ivs[mp->n_ivs].lo = lo;
	mp->ivs[mp->n_ivs].hi = hi;
	mp->n_ivs++;
	return 0;
}

/* interval := number [ '-' number ], whitespace allowed around '-'. */
static int lex_interval(struct lexer *lx, uint64_t *lo, uint64_t *hi)
{
	int r = lex_number(lx, GNO_MAX, lo);

	if (r < 0)
		return r;
	*hi = *lo;
	skip_space(lx);
	if (peek_is(lx, '-')) {
		lx->pos++;
		skip_space(lx);
		r = lex_number(lx, GNO_MAX, hi);
		if (r < 0)
			return r;
	}
	if (*lo == 0 || *lo > *hi)
		return -EINVAL;
	return 0;
}

/*
 * element := uuid ( ':' ( interval | tag ) )*
 * with at least one interval in the element and after every tag.
 */
static int mysql_lex_element(struct lexer *lx, struct mysql_parse *mp)
{
	uint8_t uuid[16];
	char tag[TAG_MAX + 1];
	bool need_iv = true; /* current key has no interval yet */
	bool cur_is_tag = false;
	int r;

	r = lex_uuid(lx, uuid);
	if (r < 0)
		return r;
	r = push_key(mp, uuid, "");
	if (r < 0)
		return r;
	skip_space(lx);
	while (peek_is(lx, ':')) {
		lx->pos++;
		skip_space(lx);
		if (lx->pos < lx->len && is_digit(lx->s[lx->pos])) {
			uint64_t lo, hi;

			r = lex_interval(lx, &lo, &hi);
			if (r < 0)
				return r;
			r = push_iv(mp, lo, hi);
			if (r < 0)
				return r;
			need_iv = false;
		} else {
			/* A tag right after the uuid is fine; after another tag it is not. */
			if (need_iv && cur_is_tag)
				return -EINVAL;
			r = lex_tag(lx, tag);
			if (r < 0)
				return r;
			r = push_key(mp, uuid, tag);
			if (r < 0)
				return r;
			cur_is_tag = true;
			need_iv = true;
		}
		skip_space(lx);
	}
	return need_iv ? -EINVAL : 0;
}

/* Sort, number and coalesce the raw triples into a fresh canonical set. */
static int mysql_build(struct mysql_parse *mp, struct ws_gtid_set *out)
{
	size_t *id, n_u = 0, n_src = 0, n_iv = 0;

	if (mp->n_ivs == 0)
		return 0;
	/* Number the distinct keys in sorted order; out->src starts as the list of
	 * all distinct keys and is compacted below to those that got an interval
	 * (a uuid written only with tags, "uuid:tag:1", has none of its own). */
	id = alloc_array(mp->n_keys, sizeof(*id));
	out->src = alloc_array(mp->n_keys, sizeof(*out->src));
	if (!id || !out->src) {
		free(id);
		return -ENOMEM;
	}
	qsort(mp->keys, mp->n_keys, sizeof(*mp->keys), raw_key_qcmp);
	for (size_t i = 0; i < mp->n_keys; i++) {
		const struct raw_key *k = &mp->keys[i];

		if (i == 0 || key_cmp(k->uuid, k->tag, k[-1].uuid, k[-1].tag) != 0) {
			memcpy(out->src[n_u].uuid, k->uuid, 16);
			strcpy(out->src[n_u].tag, k->tag);
			n_u++;
		}
		id[k->idx] = n_u - 1;
	}
	for (size_t i = 0; i < mp->n_ivs; i++)
		mp->ivs[i].key = id[mp->ivs[i].key];
	free(id);
	qsort(mp->ivs, mp->n_ivs, sizeof(*mp->ivs), raw_iv_qcmp);

	out->iv = alloc_array(mp->n_ivs < WS_GTID_MAX_INTERVALS ? mp->n_ivs : WS_GTID_MAX_INTERVALS,
			      sizeof(*out->iv));
	if (!out->iv)
		return -ENOMEM;
	for (size_t i = 0; i < mp->n_ivs; i++) {
		const struct raw_iv *r = &mp->ivs[i];
		bool new_src = i == 0 || r->key != r[-1].key;

		if (!new_src && r->lo <= out->iv[n_iv - 1].hi + 1) {
			if (r->hi > out->iv[n_iv - 1].hi)
				out->iv[n_iv - 1].hi = r->hi;
			continue;
		}
		if (n_iv == WS_GTID_MAX_INTERVALS)
			return -E2BIG;
		if (new_src) {
			if (n_src == WS_GTID_MAX_SOURCES)
				return -E2BIG;
			/* In-place compaction is safe: n_src <= r->key, keys increase. */
			out->src[n_src] = out->src[r->key];
			out->src[n_src].off = n_iv;
			out->src[n_src].n = 0;
			n_src++;
		}
		out->iv[n_iv].lo = r->lo;
		out->iv[n_iv].hi = r->hi;
		out->src[n_src - 1].n++;
		n_iv++;
	}
	out->n_src = n_src;
	out->n_iv = n_iv;
	return 0;
}

static int mysql_parse_text(const char *text, size_t len, struct ws_gtid_set *out)
{
	struct lexer lx = { .s = text, .len = len, .pos = 0 };
	struct mysql_parse mp = { 0 };
	int r = 0;

	skip_space(&lx);
	if (lx.pos < lx.len) {
		for (;;) {
			r = mysql_lex_element(&lx, &mp);
			if (r < 0)
				break;
			r = lex_separator(&lx);
			if (r <= 0)
				break;
		}
	}
	if (r == 0)
		r = mysql_build(&mp, out);
	free(mp.keys);
	free(mp.ivs);
	return r;
}

/* ---- MariaDB: parse ------------------------------------------------------- */

struct raw_dom {
	struct gtid_dom d;
	size_t idx;
};

static int raw_dom_qcmp(const void *a, const void *b)
{
	const struct raw_dom *x = a, *y = b;

	if (x->d.domain != y->d.domain)
		return x->d.domain < y->d.domain ? -1 : 1;
	if (x->d.seq != y->d.seq) /* highest seq first */
		return x->d.seq > y->d.seq ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx; /* on a tie the earlier wins */
}

/* element := domain '-' server '-' seq */
static int mariadb_lex_element(struct lexer *lx, struct gtid_dom *d)
{
	uint64_t v[3];
	int r;

	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			skip_space(lx);
			if (!peek_is(lx, '-'))
				return -EINVAL;
			lx->pos++;
			skip_space(lx);
		}
		r = lex_number(lx, i < 2 ? UINT32_MAX : UINT64_MAX, &v[i]);
		if (r < 0)
			return r;
	}
	d->domain = (uint32_t)v[0];
	d->server = (uint32_t)v[1];
	d->seq = v[2];
	return 0;
}

static int mariadb_parse_text(const char *text, size_t len, struct ws_gtid_set *out)
{
	struct lexer lx = { .s = text, .len = len, .pos = 0 };
	struct raw_dom *raw = NULL;
	size_t n_raw = 0, cap = 0, n = 0;
	int r = 0;

	skip_space(&lx);
	if (lx.pos < lx.len) {
		for (;;) {
			r = grow((void **)&raw, &cap, n_raw + 1, sizeof(*raw));
			if (r < 0)
				break;
			r = mariadb_lex_element(&lx, &raw[n_raw].d);
			if (r < 0)
				break;
			raw[n_raw].idx = n_raw;
			n_raw++;
			r = lex_separator(&lx);
			if (r <= 0)
				break;
		}
	}
	if (r < 0 || n_raw == 0)
		goto out;
	qsort(raw, n_raw, sizeof(*raw), raw_dom_qcmp);
	for (size_t i = 0; i < n_raw; i++)
		if (i == 0 || raw[i].d.domain != raw[i - 1].d.domain)
			n++;
	if (n > WS_GTID_MAX_SOURCES) {
		r = -E2BIG;
		goto out;
	}
	out->dom = alloc_array(n, sizeof(*out->dom));
	if (!out->dom) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_raw; i++)
		if (i == 0 || raw[i].d.domain != raw[i - 1].d.domain)
			out->dom[out->n_dom++] = raw[i].d;
out:
	free(raw);
	return r;
}

int ws_gtid_set_add_text(struct ws_gtid_set *set, const char *text, size_t len)
{
	struct ws_gtid_set *tmp;
	int r;

	if (!set || (!text && len > 0))
		return -EINVAL;
	tmp = ws_gtid_set_new(set->flavor);
	if (!tmp)
		return -ENOMEM;
	if (set->flavor == WS_GTID_MYSQL)
		r = mysql_parse_text(text, len, tmp);
	else
		r = mariadb_parse_text(text, len, tmp);
	if (r == 0 && ws_gtid_set_is_empty(set)) {
		/* Parsing already produced the canonical set: take it as is. */
		set_swap_in(set, tmp);
		return 0;
	}
	if (r == 0)
		r = ws_gtid_set_merge(set, tmp);
	ws_gtid_set_free(tmp);
	return r;
}

/* ---- contains -------------------------------------------------------------- */

/* Index of the source with this key in a sorted array, or -1. */
static ptrdiff_t find_src(const struct ws_gtid_set *set, const struct gtid_src *key)
{
	size_t lo = 0, hi = set->n_src;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = src_cmp(&set->src[mid], key);

		if (c == 0)
			return (ptrdiff_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Whether [lo, hi] lies inside one of the n sorted disjoint intervals `iv`. */
static bool iv_covers(const struct gtid_iv *iv, size_t n, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = n;

	/* Find the last interval whose start is <= lo. */
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (iv[mid].lo <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a > 0 && iv[a - 1].hi >= hi;
}

static const struct gtid_dom *find_dom(const struct ws_gtid_set *set, uint32_t domain)
{
	size_t lo = 0, hi = set->n_dom;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->dom[mid].domain == domain)
			return &set->dom[mid];
		if (set->dom[mid].domain < domain)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool ws_gtid_set_contains(const struct ws_gtid_set *super, const struct ws_gtid_set *sub)
{
	if (!super || !sub || super->flavor != sub->flavor)
		return false;
	if (sub->flavor == WS_GTID_MARIADB) {
		for (size_t i = 0; i < sub->n_dom; i++) {
			const struct gtid_dom *d = find_dom(super, sub->dom[i].domain);

			if (!d || d->seq < sub->dom[i].seq)
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < sub->n_src; i++) {
		const struct gtid_src *s = &sub->src[i];
		ptrdiff_t j = find_src(super, s);

		if (j < 0)
			return false;
		for (size_t k = 0; k < s->n; k++) {
			const struct gtid_iv *v = &sub->iv[s->off + k];

			if (!iv_covers(super->iv + super->src[j].off, super->src[j].n, v->lo, v->hi))
				return false;
		}
	}
	return true;
}

bool ws_gtid_set_equal(const struct ws_gtid_set *a, const struct ws_gtid_set *b)
{
	/* Both are canonical, so mutual containment is structural equality
	 * (MariaDB: the server id does not take part, as in contains). */
	if (!a || !b || a->flavor != b->flavor)
		return false;
	if (a->flavor == WS_GTID_MARIADB) {
		if (a->n_dom != b->n_dom)
			return false;
		for (size_t i = 0; i < a->n_dom; i++)
			if (a->dom[i].domain != b->dom[i].domain || a->dom[i].seq != b->dom[i].seq)
				return false;
		return true;
	}
	if (a->n_src != b->n_src || a->n_iv != b->n_iv)
		return false;
	for (size_t i = 0; i < a->n_src; i++)
		if (src_cmp(&a->src[i], &b->src[i]) != 0 || a->src[i].n != b->src[i].n)
			return false;
	for (size_t i = 0; i < a->n_iv; i++)
		if (a->iv[i].lo != b->iv[i].lo || a->iv[i].hi != b->iv[i].hi)
			return false;
	return true;
}

/* ---- merge ------------------------------------------------------------------ */

/* Append [lo, hi] to a sorted run out[0..*n), coalescing with the last interval. */
static void iv_append(struct gtid_iv *out, size_t *n, size_t first, const struct gtid_iv *v)
{
	if (*n > first && v->lo <= out[*n - 1].hi + 1) {
		if (v->hi > out[*n - 1].hi)
			out[*n - 1].hi = v->hi;
		return;
	}
	out[(*n)++] = *v;
}

static int mysql_merge(struct ws_gtid_set *dst, const struct ws_gtid_set *src)
{
	struct ws_gtid_set *tmp = ws_gtid_set_new(WS_GTID_MYSQL);
	size_t i = 0, j = 0, ns = 0, ni = 0;

	if (!tmp)
		return -ENOMEM;
	tmp->src = alloc_array(dst->n_src + src->n_src, sizeof(*tmp->src));
	tmp->iv = alloc_array(dst->n_iv + src->n_iv, sizeof(*tmp->iv));
	if (!tmp->src || !tmp->iv) {
		ws_gtid_set_free(tmp);
		return -ENOMEM;
	}
	while (i < dst->n_src || j < src->n_src) {
		const struct gtid_src *a = i < dst->n_src ? &dst->src[i] : NULL;
		const struct gtid_src *b = j < src->n_src ? &src->src[j] : NULL;
		int c = !a ? 1 : !b ? -1 : src_cmp(a, b);
		struct gtid_src *o = &tmp->src[ns++];
		size_t x = 0, y = 0, first = ni;

		*o = c <= 0 ? *a : *b;
		o->off = ni;
		/* Two-way merge of sorted interval lists by start, coalescing as we go. */
		if (c > 0)
			a = NULL;
		if (c < 0)
			b = NULL;
		while ((a && x < a->n) || (b && y < b->n)) {
			const struct gtid_iv *va = a && x < a->n ? &dst->iv[a->off + x] : NULL;
			const struct gtid_iv *vb = b && y < b->n ? &src->iv[b->off + y] : NULL;

			if (va && (!vb || va->lo <= vb->lo)) {
				iv_append(tmp->iv, &ni, first, va);
				x++;
			} else {
				iv_append(tmp->iv, &ni, first, vb);
				y++;
			}
		}
		o->n = ni - first;
		if (a)
			i++;
		if (b)
			j++;
	}
	tmp->n_src = ns;
	tmp->n_iv = ni;
	if (ns > WS_GTID_MAX_SOURCES || ni > WS_GTID_MAX_INTERVALS) {
		ws_gtid_set_free(tmp);
		return -E2BIG;
	}
	set_swap_in(dst, tmp);
	return 0;
}

static int mariadb_merge(struct ws_gtid_set *dst, const struct ws_gtid_set *src)
{
	struct ws_gtid_set *tmp = ws_gtid_set_new(WS_GTID_MARIADB);
	size_t i = 0, j = 0, n = 0;

	if (!tmp)
		return -ENOMEM;
	tmp->dom = alloc_array(dst->n_dom + src->n_dom, sizeof(*tmp->dom));
	if (!tmp->dom) {
		ws_gtid_set_free(tmp);
		return -ENOMEM;
	}
	while (i < dst->n_dom || j < src->n_dom) {
		const struct gtid_dom *a = i < dst->n_dom ? &dst->dom[i] : NULL;
		const struct gtid_dom *b = j < src->n_dom ? &src->dom[j] : NULL;

		if (a && (!b || a->domain < b->domain)) {
			tmp->dom[n++] = *a;
			i++;
		} else if (!a || b->domain < a->domain) {
			tmp->dom[n++] = *b;
			j++;
		} else {
			/* Same domain: the higher seq wins; on a tie dst's entry stays. */
			tmp->dom[n++] = b->seq > a->seq ? *b : *a;
			i++;
			j++;
		}
	}
	tmp->n_dom = n;
	if (n > WS_GTID_MAX_SOURCES) {
		ws_gtid_set_free(tmp);
		return -E2BIG;
	}
	set_swap_in(dst, tmp);
	return 0;
}

int ws_gtid_set_merge(struct ws_gtid_set *dst, const struct ws_gtid_set *src)
{
	if (!dst || !src || dst->flavor != src->flavor)
		return -EINVAL;
	/* Nothing new (the usual case for a watermark): no allocation, no copy. */
	if (ws_gtid_set_contains(dst, src))
		return 0;
	if (dst->flavor == WS_GTID_MYSQL)
		return mysql_merge(dst, src);
	return mariadb_merge(dst, src);
}

/* ---- format ------------------------------------------------------------------ */

struct out {
	char *buf;
	size_t size; /* capacity including the NUL */
	size_t len;  /* length of the full text so far */
};

static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void out_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_put(o, tmp + sizeof(tmp) - n, n);
}

static void out_uuid(struct out *o, const uint8_t uuid[16])
{
	static const char hex[] = "0123456789abcdef";
	char s[36];
	size_t n = 0;

	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[n++] = '-';
		s[n++] = hex[uuid[i] >> 4];
		s[n++] = hex[uuid[i] & 15];
	}
	out_put(o, s, sizeof(s));
}

size_t ws_gtid_set_format(const struct ws_gtid_set *set, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = buf ? size : 0, .len = 0 };

	if (set && set->flavor == WS_GTID_MARIADB) {
		for (size_t i = 0; i < set->n_dom; i++) {
			if (i > 0)
				out_put(&o, ",", 1);
			out_u64(&o, set->dom[i].domain);
			out_put(&o, "-", 1);
			out_u64(&o, set->dom[i].server);
			out_put(&o, "-", 1);
			out_u64(&o, set->dom[i].seq);
		}
	} else if (set) {
		/* Sources sharing a uuid are adjacent (sorted by uuid, then tag, with
		 * the untagged one first): print the uuid once, as MySQL 8.3 does. */
		for (size_t i = 0; i < set->n_src; i++) {
			const struct gtid_src *s = &set->src[i];

			if (i == 0 || memcmp(s->uuid, set->src[i - 1].uuid, 16) != 0) {
				if (i > 0)
					out_put(&o, ",", 1);
				out_uuid(&o, s->uuid);
			}
			if (s->tag[0]) {
				out_put(&o, ":", 1);
				out_put(&o, s->tag, strlen(s->tag));
			}
			for (size_t k = 0; k < s->n; k++) {
				const struct gtid_iv *v = &set->iv[s->off + k];

				out_put(&o, ":", 1);
				out_u64(&o, v->lo);
				if (v->hi != v->lo) {
					out_put(&o, "-", 1);
					out_u64(&o, v->hi);
				}
			}
		}
	}
	if (o.size > 0)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return o.len;
}

/* ---- positions for the watermark code --------------------------------- */

size_t ws_gtid_set_positions(const struct ws_gtid_set *set, struct ws_gtid_pos *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (!set)
		return 0;
	if (set->flavor == WS_GTID_MYSQL) {
		for (size_t i = 0; i < set->n_src && i < n; i++) {
			const struct gtid_src *src = &set->src[i];
			const struct gtid_iv *iv = &set->iv[src->off];
			char *p = out[i].source;

			for (unsigned b = 0; b < 16; b++) {
				if (b == 4 || b == 6 || b == 8 || b == 10)
					*p++ = '-';
				*p++ = hex[src->uuid[b] >> 4];
				*p++ = hex[src->uuid[b] & 15];
			}
			if (src->tag[0]) {
				*p++ = ':';
				memcpy(p, src->tag, strlen(src->tag));
				p += strlen(src->tag);
			}
			*p = '\0';
			out[i].server = 0;
			out[i].prefix = src->n && iv[0].lo == 1 ? iv[0].hi : 0;
			out[i].max = src->n ? iv[src->n - 1].hi : 0;
		}
		return set->n_src;
	}
	for (size_t i = 0; i < set->n_dom && i < n; i++) {
		const struct gtid_dom *d = &set->dom[i];
		char tmp[16];
		size_t k = 0;
		uint32_t v = d->domain;

		do {
			tmp[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		for (size_t j = 0; j < k; j++)
			out[i].source[j] = tmp[k - 1 - j];
		out[i].source[k] = '\0';
		out[i].server = d->server;
		out[i].prefix = d->seq;
		out[i].max = d->seq;
	}
	return set->n_dom;
}
