/*
 * fuzz-gtid.c — fuzz target for lib/gtid.c.
 *
 * Input: byte 0 picks the flavour (bit 0) and where to cut the rest in two (the
 * other bits); the rest is GTID text. Checked on every input:
 *  - whatever parses formats to text that parses back to an equal set, and that
 *    text is a fixed point of format(parse(.)), made only of SQL-safe bytes;
 *  - format truncates like snprintf at every small buffer size;
 *  - the two halves, when they parse, merge to a set that contains both, merge
 *    is commutative, contains(x, y) is the same as merge(x, y) == x;
 *  - a failed add_text leaves the set exactly as it was.
 * Any violation aborts, which the driver reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *const ws_fuzz_dictionary[] = {
	"3e11fa47-71ca-11e1-9e33-c80aa9429562",
	"3E11FA47-71CA-11E1-9E33-C80AA9429562",
	"4e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
	"00000000-0000-0000-0000-000000000000",
	"ffffffff-ffff-ffff-ffff-ffffffffffff:1",
	":tag:", ":TAG_9:", ":_:", ":abcdefghijklmnopqrstuvwxyz_01234:",
	":", "-", ",", ",\n", " ", "\t",
	"0", "1", "7", "10", "1-5", ":1-5:7-9",
	"9223372036854775806", "9223372036854775807", "9223372036854775808",
	"18446744073709551615", "18446744073709551616",
	"4294967295", "4294967296",
	"0-1-100", "1-2-7,", "0-0-0", "4294967295-4294967295-18446744073709551615",
	NULL,
};

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz-gtid: check failed: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                \
		}                                                               \
	} while (0)

/* Canonical text on the heap; NULL only when out of memory. */
static char *format_heap(const struct ws_gtid_set *s, size_t *len)
{
	size_t n = ws_gtid_set_format(s, NULL, 0);
	char *buf = malloc(n + 1);

	if (!buf)
		return NULL;
	CHECK(ws_gtid_set_format(s, buf, n + 1) == n);
	CHECK(strlen(buf) == n);
	*len = n;
	return buf;
}

/* Parse into a new set; NULL when it does not parse (or out of memory). */
static struct ws_gtid_set *parse(enum ws_gtid_flavor f, const char *text, size_t len)
{
	struct ws_gtid_set *s = ws_gtid_set_new(f);
	int r;

	if (!s)
		return NULL;
	r = ws_gtid_set_add_text(s, text, len);
	CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
	if (r != 0) {
		/* Nothing of a rejected text is kept. */
		CHECK(ws_gtid_set_is_empty(s));
		ws_gtid_set_free(s);
		return NULL;
	}
	return s;
}

static void check_round_trip(const struct ws_gtid_set *s)
{
	size_t len, len2;
	char *text = format_heap(s, &len), *again;
	struct ws_gtid_set *t;
	char small[16];

	if (!text)
		return;
	for (size_t i = 0; i < len; i++)
		CHECK(strchr("0123456789abcdefghijklmnopqrstuvwxyz_:,-", text[i]) != NULL);
	t = ws_gtid_set_new(ws_gtid_set_flavor(s));
	if (t) {
		CHECK(ws_gtid_set_add_text(t, text, len) == 0);
		CHECK(ws_gtid_set_equal(s, t));
		CHECK(ws_gtid_set_contains(s, t) && ws_gtid_set_contains(t, s));
		CHECK(ws_gtid_set_count(s) == ws_gtid_set_count(t));
		again = format_heap(t, &len2);
		if (again) {
			CHECK(len2 == len && memcmp(again, text, len) == 0);
			free(again);
		}
		ws_gtid_set_free(t);
	}
	/* snprintf-like truncation */
	for (size_t sz = 1; sz <= sizeof(small); sz++) {
		size_t keep = sz - 1 < len ? sz - 1 : len;

		memset(small, 'Z', sizeof(small));
		CHECK(ws_gtid_set_format(s, small, sz) == len);
		CHECK(memcmp(small, text, keep) == 0 && small[keep] == '\0');
		for (size_t k = sz; k < sizeof(small); k++)
			CHECK(small[k] == 'Z');
	}
	free(text);
}

static void check_pair(const struct ws_gtid_set *a, const struct ws_gtid_set *b)
{
	struct ws_gtid_set *u = ws_gtid_set_dup(a), *v = ws_gtid_set_dup(b);
	int ru, rv;

	if (!u || !v)
		goto out;
	ru = ws_gtid_set_merge(u, a); /* with itself: no change */
	CHECK(ru == 0 || ru == -ENOMEM);
	CHECK(ws_gtid_set_equal(u, a));
	ru = ws_gtid_set_merge(u, b);
	rv = ws_gtid_set_merge(v, a);
	CHECK(ru == 0 || ru == -E2BIG || ru == -ENOMEM);
	if (ru != 0) {
		CHECK(ws_gtid_set_equal(u, a)); /* unchanged on error */
		goto out;
	}
	CHECK(ws_gtid_set_contains(u, a));
	CHECK(ws_gtid_set_contains(u, b));
	CHECK(ws_gtid_set_contains(a, b) == ws_gtid_set_equal(u, a));
	CHECK(ws_gtid_set_contains(b, a) == ws_gtid_set_equal(u, b));
	if (rv == 0)
		CHECK(ws_gtid_set_equal(u, v));
	CHECK(ws_gtid_set_is_empty(u) == (ws_gtid_set_is_empty(a) && ws_gtid_set_is_empty(b)));
	check_round_trip(u);
out:
	ws_gtid_set_free(u);
	ws_gtid_set_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ws_gtid_flavor f;
	const char *text;
	size_t len, cut;
	struct ws_gtid_set *all, *a, *b;

	if (size < 1)
		return 0;
	f = (data[0] & 1) ? WS_GTID_MYSQL : WS_GTID_MARIADB;
	text = (const char *)data + 1;
	len = size - 1;
	cut = len ? (size_t)(data[0] >> 1) * len / 127 : 0;
	if (cut > len)
		cut = len;

	all = parse(f, text, len);
	if (all)
		check_round_trip(all);

	a = parse(f, text, cut);
	b = parse(f, text + cut, len - cut);
	if (a && b)
		check_pair(a, b);

	/* A failed add_text must leave a non-empty set exactly as it was. */
	if (a && !all) {
		struct ws_gtid_set *before = ws_gtid_set_dup(a);
		int r = ws_gtid_set_add_text(a, text, len);

		if (before && r != 0)
			CHECK(ws_gtid_set_equal(a, before) && ws_gtid_set_count(a) == ws_gtid_set_count(before));
		ws_gtid_set_free(before);
	}
	ws_gtid_set_free(all);
	ws_gtid_set_free(a);
	ws_gtid_set_free(b);
	return 0;
}
