/*
 * classify-lex.c — the classifier's lexer, out-of-line parts: comments and the
 * routing hints inside them, executable comments, quoted literals, variables,
 * numbers; and ws_classify_mentions(), which needs nothing but tokens. The per-token loop is inline in classify-lex.h; how the pieces
 * fit is described at the top of classify.c.
 */
#include "classify-lex.h"

#include <string.h>

/* ---- hints in comments ---- */

static size_t h_space(const unsigned char *s, size_t i, size_t end)
{
	while (i < end && cclass[s[i]] == C_SPACE)
		i++;
	return i;
}

static size_t h_word(const unsigned char *s, size_t i, size_t end)
{
	while (i < end && is_ident(s[i]))
		i++;
	return i;
}

static bool h_prefix(const unsigned char *s, size_t i, size_t end, const char *lit)
{
	size_t n = strlen(lit);

	return end - i >= n && ieq(s + i, n, lit);
}

static void h_route(struct lex *lx, enum ws_hint_route r)
{
	/* Several hints: the primary wins, being the safe side. */
	if (r == WS_HINT_PRIMARY || lx->hint_route == WS_HINT_NONE)
		lx->hint_route = (uint8_t)r;
}

static void h_master_slave(struct lex *lx, const unsigned char *s, size_t a, size_t b)
{
	if (ieq(s + a, b - a, "master"))
		h_route(lx, WS_HINT_PRIMARY);
	else if (ieq(s + a, b - a, "slave"))
		h_route(lx, WS_HINT_REPLICA);
}

void ws_hint_fresh_merge(struct ws_hint_fresh *dst, const struct ws_hint_fresh *src)
{
	if (src->min_gtid && !dst->min_gtid) {
		dst->min_gtid = src->min_gtid;
		dst->min_gtid_len = src->min_gtid_len;
	} else if (src->min_gtid && (src->min_gtid_len != dst->min_gtid_len ||
				     memcmp(src->min_gtid, dst->min_gtid, src->min_gtid_len) != 0)) {
		dst->min_gtid_conflict = true; /* not merged here: token.c parses one value */
	}
	dst->min_gtid_conflict |= src->min_gtid_conflict;
	if (src->has_max_lag && (!dst->has_max_lag || src->max_lag_ms < dst->max_lag_ms)) {
		dst->has_max_lag = true;
		dst->max_lag_ms = src->max_lag_ms;
	}
	dst->malformed = (uint16_t)(dst->malformed + src->malformed < UINT16_MAX ? dst->malformed + src->malformed
										 : UINT16_MAX);
}

static bool h_gtid_char(unsigned char c)
{
	return is_ident(c) || c == ':' || c == ',' || c == '-';
}

/*
 * The value of a freshness hint, key at [ks, ke), value from vs: min_gtid
 * takes a GTID set ("0-1-5,1-2-7", "uuid:1-5:7"; validated where it is used),
 * max_lag_ms a number. A value that runs into the next "key=" gives that key
 * back. Returns where the value ends.
 */
static size_t h_fresh(struct lex *lx, size_t ks, size_t ke, size_t vs, size_t end)
{
	const unsigned char *s = lx->s;
	struct ws_hint_fresh h = { 0 };
	size_t ve = vs;

	if (ieq(s + ks, ke - ks, "max_lag_ms")) {
		uint64_t v = 0;

		while (ve < end && is_digit(s[ve])) {
			v = v * 10 + (uint64_t)(s[ve++] - '0');
			if (v > UINT32_MAX)
				v = UINT32_MAX;
		}
		if (ve == vs || (ve < end && is_ident(s[ve]))) {
			h.malformed = 1;
			ve = h_word(s, ve, end);
		} else {
			h.has_max_lag = true;
			h.max_lag_ms = (uint32_t)v;
		}
	} else {
		size_t e;

		while (ve < end && h_gtid_char(s[ve]))
			ve++;
		e = ve;
		if (h_space(s, ve, end) < end && s[h_space(s, ve, end)] == '=') {
			/* "min_gtid=0-1-5,route=primary": the last ',' ends the set. */
			while (e > vs && s[e - 1] != ',')
				e--;
			e = ve = e > vs ? e - 1 : vs;
		}
		while (e > vs && s[e - 1] == ',')
			e--;
		if (e == vs || e - vs > UINT32_MAX) {
			h.malformed = 1;
		} else {
			h.min_gtid = (const char *)s + vs;
			h.min_gtid_len = (uint32_t)(e - vs);
		}
	}
	ws_hint_fresh_merge(&lx->fresh, &h);
	return ve;
}

/* ProxySQL's annotation ";min_gtid=SET" / ";max_lag_ms=N" (in its leading
 * comment, spelled slash-star-plus ";key=value"), i at the key. */
static size_t h_proxysql(struct lex *lx, size_t i, size_t end)
{
	const unsigned char *s = lx->s;
	size_t ke = h_word(s, i, end), a = h_space(s, ke, end);

	if (!(ieq(s + i, ke - i, "min_gtid") || ieq(s + i, ke - i, "max_lag_ms")) || a >= end || s[a] != '=')
		return i;
	return h_fresh(lx, i, ke, h_space(s, a + 1, end), end);
}

/* "wescale : key = value [, key = value …]", i just after "wescale". */
static size_t h_wescale(struct lex *lx, size_t i, size_t end)
{
	static const char *const levels[] = { "eventual", "session", "instance", "global", "primary" };
	const unsigned char *s = lx->s;

	i = h_space(s, i, end);
	if (i >= end || s[i] != ':')
		return i;
	i++;
	for (;;) {
		size_t ks, ke, vs, ve;

		while (i < end && (cclass[s[i]] == C_SPACE || s[i] == ',' || s[i] == ';'))
			i++;
		ks = i;
		ke = h_word(s, ks, end);
		i = h_space(s, ke, end);
		if (ke == ks || i >= end || s[i] != '=')
			return ks;
		vs = h_space(s, i + 1, end);
		ve = h_word(s, vs, end);
		if (ieq(s + ks, ke - ks, "min_gtid") || ieq(s + ks, ke - ks, "max_lag_ms")) {
			i = h_fresh(lx, ks, ke, vs, end);
			if (i == vs)
				return i;
			continue;
		} else if (ieq(s + ks, ke - ks, "route")) {
			if (ieq(s + vs, ve - vs, "primary"))
				h_route(lx, WS_HINT_PRIMARY);
			else if (ieq(s + vs, ve - vs, "replica"))
				h_route(lx, WS_HINT_REPLICA);
		} else if (ieq(s + ks, ke - ks, "consistency")) {
			for (int l = 0; l < 5; l++)
				if (ieq(s + vs, ve - vs, levels[l]) && l > lx->hint_cons)
					lx->hint_cons = (int8_t)l;
		}
		if (ve == vs)
			return ve;
		i = ve;
	}
}

/* MaxScale: "maxscale route to master|slave|server NAME", i just after "maxscale". */
static size_t h_maxscale(struct lex *lx, size_t i, size_t end)
{
	static const char *const words[] = { "route", "to" };
	const unsigned char *s = lx->s;
	size_t a, b;

	for (int w = 0; w < 2; w++) {
		a = h_space(s, i, end);
		b = h_word(s, a, end);
		if (a == i || !ieq(s + a, b - a, words[w]))
			return a;
		i = b;
	}
	a = h_space(s, i, end);
	if (a == i)
		return a;
	b = h_word(s, a, end);
	h_master_slave(lx, s, a, b);
	return b;
}

/* mysqlnd_ms: "ms=master", "ms=slave", i just after "ms". */
static size_t h_ms(struct lex *lx, size_t i, size_t end)
{
	const unsigned char *s = lx->s;
	size_t a = h_space(s, i, end), b;

	if (a >= end || s[a] != '=')
		return i;
	a = h_space(s, a + 1, end);
	b = h_word(s, a, end);
	h_master_slave(lx, s, a, b);
	return b;
}

static void scan_hints(struct lex *lx, size_t i, size_t end)
{
	const unsigned char *s = lx->s;
	size_t from = i;

	while (i < end) {
		unsigned char c = s[i] | 0x20;
		size_t j = i;

		if ((c == 'w' || c == 'm') && (i == from || !is_ident(s[i - 1]))) {
			if (c == 'w' && h_prefix(s, i, end, "wescale"))
				j = h_wescale(lx, i + 7, end);
			else if (h_prefix(s, i, end, "maxscale"))
				j = h_maxscale(lx, i + 8, end);
			else if (h_prefix(s, i, end, "ms"))
				j = h_ms(lx, i + 2, end);
			if (c == 'm' && j == i) {
				size_t k = i;

				while (k > from && cclass[s[k - 1]] == C_SPACE)
					k--;
				if (k > from && s[k - 1] == ';')
					j = h_proxysql(lx, i, end);
			}
		}
		i = j > i ? j : i + 1;
	}
}

/* ---- comments, literals, tokens ---- */

static size_t line_comment(struct lex *lx, size_t p)
{
	const unsigned char *nl = memchr(lx->s + p, '\n', lx->len - p);
	size_t end = nl ? (size_t)(nl - lx->s) : lx->len;

	scan_hints(lx, p, end);
	return nl ? end + 1 : end;
}

/* p is at the '/' of slash-star. Returns where lexing continues. */
static size_t block_comment(struct lex *lx, size_t p)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len, q = p + 2, e;
	bool exec = false, gated = false;

	if (q < len && s[q] == '!') {
		exec = true;
		q++;
		if (q + 1 < len && s[q] == 'M' && is_digit(s[q + 1])) {
			gated = true; /* old MariaDB spelling: slash-star-bang-M-version */
			q++;
		}
	} else if (q + 1 < len && s[q] == 'M' && s[q + 1] == '!') {
		exec = gated = true; /* MariaDB only: a comment to MySQL */
		q += 2;
	}
	if (exec) {
		size_t d = q;

		while (q < len && is_digit(s[q]))
			q++;
		if (q > d)
			gated = true;
		if (gated)
			lx->saw_gated = true;
		if (lx->in_exec)
			lx->err = true; /* nested executable comment: the server refuses it */
		else if (!(gated && (lx->mode & LX_GATED_AS_COMMENT))) {
			lx->in_exec = true;
			return q;
		}
	}
	for (e = p + 2; e < len;) {
		const unsigned char *star = memchr(s + e, '*', len - e);

		if (!star)
			break;
		e = (size_t)(star - s);
		if (e + 1 < len && s[e + 1] == '/') {
			scan_hints(lx, p + 2, e);
			return e + 2;
		}
		e++;
	}
	scan_hints(lx, p + 2, len);
	lx->err = true;
	return len;
}

size_t ws_classify_skip_space_slow(struct lex *lx, size_t p)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len;

	while (p < len) {
		unsigned char c = s[p];
		unsigned k = cclass[c];

		if (k == C_SPACE || (k == C_HIGH && cs_space(lx->cs, c))) {
			p++;
			continue;
		}
		if (k != C_MARK)
			break;
		/* "--" starts a comment when a space or control byte of the
		 * character set follows (DEL in most, NBSP in latin1 …), as the
		 * server's lexer has it: not only bytes <= ' '. */
		if (c == '#')
			p = line_comment(lx, p + 1);
		else if (c == '-' && p + 1 < len && s[p + 1] == '-' && (p + 2 == len || cs_dash(lx->cs, s[p + 2])))
			p = line_comment(lx, p + 2);
		else if (c == '/' && p + 1 < len && s[p + 1] == '*')
			p = block_comment(lx, p);
		else if (c == '*' && lx->in_exec && p + 1 < len && s[p + 1] == '/') {
			lx->in_exec = false;
			p += 2;
		} else
			break;
	}
	return p;
}

/*
 * In sjis, cp932, gbk and big5 the second byte of a character may be 0x5C
 * ('\\') or 0x60 ('`'): inside a string the server skips whole characters,
 * so "<81>\\" is one character and no escape, and "`a<81>`" may not end the
 * name. Whether it does depends on the character tables (a valid pair or
 * not), which the classifier does not carry: a backslash that escapes or a
 * backquote right after a byte >= 0x81 makes the reading a parse error, and
 * the statement goes to the primary. Under every other character set a
 * second byte is >= 0x80 and reads as no ASCII byte.
 */
static inline void note_trail(struct lex *lx, size_t p)
{
	if (lx->cs->ascii_trail && p > 0 && lx->s[p - 1] >= 0x81)
		lx->mb_hazard = true;
}

/* p is at the opening quote q. Returns the position after the closing quote
 * and stores where the content ends. */
static size_t scan_quoted(struct lex *lx, size_t p, unsigned char q, size_t *content_end)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len;
	bool esc = (q == '\'' && !(lx->mode & LX_NO_ESC_SQ)) || (q == '"' && !(lx->mode & LX_NO_ESC_DQ));

	for (p++; p < len; p++) {
		if (s[p] == '\\' && esc) {
			note_trail(lx, p);
			lx->saw_backslash = true;
			if (++p >= len)
				break;
		} else if (s[p] == q) {
			if (q == '`')
				note_trail(lx, p);
			if (p + 1 < len && s[p + 1] == q) {
				p++;
				continue;
			}
			*content_end = p;
			return p + 1;
		}
	}
	lx->err = lx->err_quote = true;
	*content_end = len;
	return len;
}

size_t ws_classify_lex_number(const struct lex *lx, size_t p, uint8_t *type)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len, q = p;

	while (q < len && is_digit(s[q]))
		q++;
	if (q + 1 < len && s[q] == '.' && is_digit(s[q + 1]))
		for (q++; q < len && is_digit(s[q]); q++)
			;
	if (q < len && (s[q] | 0x20) == 'e') {
		size_t r = q + 1;

		if (r < len && (s[r] == '+' || s[r] == '-'))
			r++;
		if (r < len && is_digit(s[r]))
			for (q = r; q < len && is_digit(s[q]); q++)
				;
	}
	*type = T_NUMBER;
	if (q < len && is_ident(s[q]) && !cs_space(lx->cs, s[q])) { /* 1abc, 0x1F */
		q = ident_end(lx->cs, s, q, len, false);
		*type = T_WORD;
	}
	return q;
}

static size_t lex_var_name(const struct lex *lx, size_t q)
{
	return ident_end(lx->cs, lx->s, q, lx->len, true);
}

/* Quoted literals and @variables; p at the quote or '@'. Returns the end. */
size_t ws_classify_lex_quoted_or_var(struct lex *lx, struct tok *t, size_t p)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len, q = p + 1, ce = 0;
	unsigned char c = s[p];

	if (c != '@') {
		if (c == '`')
			note_trail(lx, p);
		t->type = c == '`' ? T_QIDENT : T_STRING;
		t->quote = c;
		q = scan_quoted(lx, p, c, &ce);
		t->off = p + 1;
		t->n = ce - (p + 1);
		return q;
	}
	if (q < len && s[q] == '@') {
		t->type = T_SYSVAR;
		q = lex_var_name(lx, q + 1);
	} else if (q < len && (s[q] == '\'' || s[q] == '"' || s[q] == '`')) {
		t->type = T_USERVAR;
		t->quote = s[q];
		q = scan_quoted(lx, q, s[q], &ce);
	} else {
		t->type = T_USERVAR;
		q = lex_var_name(lx, q);
	}
	t->n = q - p;
	return q;
}

/* Quoted name content (doubled quotes escape a quote) equal to name? */
static bool quoted_equals(const unsigned char *s, size_t n, unsigned char q,
			  const unsigned char *name, size_t name_len)
{
	size_t i = 0, j = 0;

	if (n == name_len && memcmp(s, name, n) == 0)
		return true; /* the raw spelling, as temp_name gives it */
	while (i < n && j < name_len) {
		if (s[i] != name[j])
			return false;
		i += s[i] == q && i + 1 < n && s[i + 1] == q ? 2 : 1;
		j++;
	}
	return i == n && j == name_len;
}

/* Does the name occur as a token when the text is lexed with character set cs? */
static bool mentions_in(const char *text, size_t len, const unsigned char *nm, size_t name_len,
			const struct ws_csg *cs)
{
	struct lex lx;
	struct tok t;

	memset(&lx, 0, sizeof(lx));
	lx.s = (const unsigned char *)text;
	lx.len = len;
	lx.cs = cs;
	for (;;) {
		lex(&lx, &t);
		if (t.type == T_END)
			return false;
		if (t.n < name_len)
			continue;
		if (t.type == T_WORD && t.n == name_len && memcmp(lx.s + t.off, nm, name_len) == 0)
			return true;
		/* "name" is an identifier under ANSI_QUOTES: count it, erring to the primary. */
		if ((t.type == T_QIDENT || (t.type == T_STRING && t.quote == '"')) &&
		    quoted_equals(lx.s + t.off, t.n, t.quote, nm, name_len))
			return true;
	}
}

bool ws_classify_mentions(const char *text, size_t len, const char *name, size_t name_len)
{
	const unsigned char *nm = (const unsigned char *)name;
	bool high = false;

	if (!text || !name || name_len == 0)
		return false;
	if (mentions_in(text, len, nm, name_len, &ws_csg[0]))
		return true;
	/* The session's character set is not known here: a byte >= 0x7F may be a
	 * space, or end "--", in some; count the name if any reading has it. */
	for (size_t i = 0; i < len && !high; i++)
		high = (unsigned char)text[i] >= 0x7F;
	for (unsigned g = 1; high && g < WS_CSG_COUNT; g++)
		if (mentions_in(text, len, nm, name_len, &ws_csg[g]))
			return true;
	return false;
}

/* ---- the server's own function names ---- */

/*
 * A switch on the first letter, then on the length (as kw_lookup() in
 * classify-keywords.h): FN_Ln(w, k) tests sizeof(#w) - 1 == n, a constant, so
 * only the names of that letter and length are compared, eight bytes at a
 * time. The names are stringified as written (NULL stays "NULL").
 */
#define FN_KIND_N WS_FN_NATIVE
#define FN_KIND_B WS_FN_BARE
#define FN_L1(w, k) if (sizeof(#w) - 1 == 1 && kw_eq(s, #w, 1)) return FN_KIND_##k;
#define FN_L2(w, k) if (sizeof(#w) - 1 == 2 && kw_eq(s, #w, 2)) return FN_KIND_##k;
#define FN_L3(w, k) if (sizeof(#w) - 1 == 3 && kw_eq(s, #w, 3)) return FN_KIND_##k;
#define FN_L4(w, k) if (sizeof(#w) - 1 == 4 && kw_eq(s, #w, 4)) return FN_KIND_##k;
#define FN_L5(w, k) if (sizeof(#w) - 1 == 5 && kw_eq(s, #w, 5)) return FN_KIND_##k;
#define FN_L6(w, k) if (sizeof(#w) - 1 == 6 && kw_eq(s, #w, 6)) return FN_KIND_##k;
#define FN_L7(w, k) if (sizeof(#w) - 1 == 7 && kw_eq(s, #w, 7)) return FN_KIND_##k;
#define FN_L8(w, k) if (sizeof(#w) - 1 == 8 && kw_eq(s, #w, 8)) return FN_KIND_##k;
#define FN_L9(w, k) if (sizeof(#w) - 1 == 9 && kw_eq(s, #w, 9)) return FN_KIND_##k;
#define FN_L10(w, k) if (sizeof(#w) - 1 == 10 && kw_eq(s, #w, 10)) return FN_KIND_##k;
#define FN_L11(w, k) if (sizeof(#w) - 1 == 11 && kw_eq(s, #w, 11)) return FN_KIND_##k;
#define FN_L12(w, k) if (sizeof(#w) - 1 == 12 && kw_eq(s, #w, 12)) return FN_KIND_##k;
#define FN_L13(w, k) if (sizeof(#w) - 1 == 13 && kw_eq(s, #w, 13)) return FN_KIND_##k;
#define FN_L14(w, k) if (sizeof(#w) - 1 == 14 && kw_eq(s, #w, 14)) return FN_KIND_##k;
#define FN_L15(w, k) if (sizeof(#w) - 1 == 15 && kw_eq(s, #w, 15)) return FN_KIND_##k;
#define FN_L16(w, k) if (sizeof(#w) - 1 == 16 && kw_eq(s, #w, 16)) return FN_KIND_##k;
#define FN_L17(w, k) if (sizeof(#w) - 1 == 17 && kw_eq(s, #w, 17)) return FN_KIND_##k;
#define FN_L18(w, k) if (sizeof(#w) - 1 == 18 && kw_eq(s, #w, 18)) return FN_KIND_##k;
#define FN_L19(w, k) if (sizeof(#w) - 1 == 19 && kw_eq(s, #w, 19)) return FN_KIND_##k;
#define FN_L20(w, k) if (sizeof(#w) - 1 == 20 && kw_eq(s, #w, 20)) return FN_KIND_##k;
#define FN_L21(w, k) if (sizeof(#w) - 1 == 21 && kw_eq(s, #w, 21)) return FN_KIND_##k;
#define FN_L22(w, k) if (sizeof(#w) - 1 == 22 && kw_eq(s, #w, 22)) return FN_KIND_##k;
#define FN_L23(w, k) if (sizeof(#w) - 1 == 23 && kw_eq(s, #w, 23)) return FN_KIND_##k;
#define FN_L24(w, k) if (sizeof(#w) - 1 == 24 && kw_eq(s, #w, 24)) return FN_KIND_##k;
#define FN_L25(w, k) if (sizeof(#w) - 1 == 25 && kw_eq(s, #w, 25)) return FN_KIND_##k;
#define FN_L26(w, k) if (sizeof(#w) - 1 == 26 && kw_eq(s, #w, 26)) return FN_KIND_##k;
#define FN_L28(w, k) if (sizeof(#w) - 1 == 28 && kw_eq(s, #w, 28)) return FN_KIND_##k;
#define FN_L29(w, k) if (sizeof(#w) - 1 == 29 && kw_eq(s, #w, 29)) return FN_KIND_##k;
#define FN_BY_LEN(G) \
	switch (n) { \
	case 1: G(FN_L1) break; case 2: G(FN_L2) break; case 3: G(FN_L3) break; case 4: G(FN_L4) break; \
	case 5: G(FN_L5) break; case 6: G(FN_L6) break; case 7: G(FN_L7) break; case 8: G(FN_L8) break; \
	case 9: G(FN_L9) break; case 10: G(FN_L10) break; case 11: G(FN_L11) break; case 12: G(FN_L12) break; \
	case 13: G(FN_L13) break; case 14: G(FN_L14) break; case 15: G(FN_L15) break; case 16: G(FN_L16) break; \
	case 17: G(FN_L17) break; case 18: G(FN_L18) break; case 19: G(FN_L19) break; case 20: G(FN_L20) break; \
	case 21: G(FN_L21) break; case 22: G(FN_L22) break; case 23: G(FN_L23) break; case 24: G(FN_L24) break; \
	case 25: G(FN_L25) break; case 26: G(FN_L26) break; case 28: G(FN_L28) break; case 29: G(FN_L29) break; \
	} \
	break;
#define FN_LETTER(l, L) case l: FN_BY_LEN(WS_FN_##L)

int ws_classify_server_func(const unsigned char *s, size_t n)
{
	if (n == 0)
		return WS_FN_NONE;
	switch (s[0] | 0x20) {
	WS_FN_LETTERS(FN_LETTER)
	}
	return WS_FN_NONE;
}

/* ---- the session's character set and sql_mode ---- */

uint8_t ws_classify_charset(const char *name, size_t len)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(ws_cs_names) / sizeof(ws_cs_names[0]); i++)
		if (strlen(ws_cs_names[i].name) == len && ieq((const unsigned char *)name, len, ws_cs_names[i].name))
			return (uint8_t)(i + 1);
	return 0;
}

uint8_t ws_classify_sql_mode(const char *value, size_t len)
{
	uint8_t m = WS_SQLM_KNOWN;
	size_t i = 0;

	if (!value)
		return 0;
	while (i < len) {
		size_t j = i;

		while (j < len && value[j] != ',')
			j++;
		if (ieq((const unsigned char *)value + i, j - i, "no_backslash_escapes"))
			m |= WS_SQLM_NO_BACKSLASH_ESCAPES;
		else if (ieq((const unsigned char *)value + i, j - i, "ansi_quotes"))
			m |= WS_SQLM_ANSI_QUOTES;
		i = j + 1;
	}
	return m;
}
