/*
 * classify-fast.c — the fast path in front of the full classifier, and
 * ws_classify() itself (classify.h; how the fast path is held to the full
 * path: docs/classifier.md, "The fast path").
 */
#include "classify.h"
#include "classify-lex.h"

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)
#include <emmintrin.h> /* the fast path's scanner: SSE2 is in every x86-64 */
#endif

/* ---- the fast path ---- */

/*
 * Most traffic is a handful of shapes: SELECT … FROM … WHERE … with names,
 * numbers, plain strings and operators, and single-row INSERT / UPDATE /
 * DELETE / REPLACE. For those, ws_classify_fast() makes one pass over the
 * bytes with a class table, no token structs and no calls (but a keyword
 * lookup for the rare word that may be one that matters), and stores the
 * verdict the full path would store; on anything else it gives up and the full
 * path runs. It gives up rather than reason:
 *
 *   - the first word must be SELECT, INSERT, UPDATE, DELETE or REPLACE (so
 *     stmt() goes straight to select_body(), or sets the kind and drains);
 *   - no comment of any kind (#, "-- ", slash-star: hints and executable
 *     comments live there), no ';' (MULTI), no '@' (USER_VAR, @@sysvars), no
 *     '"' (ANSI_QUOTES), no ':' (:=), no backslash outside or inside '…'
 *     (the other readings), no control or non-ASCII byte outside quotes (0xA0
 *     may be a space), no unterminated quote, no unbalanced ')', no '(' left
 *     open (all PARSE_ERROR);
 *   - no word that next() or select_body() acts on: the FX_DENY lists below,
 *     which hold every keyword those two look at (for a write, only those
 *     next() looks at, since stmt() only drains it). Words are checked after
 *     a '.' too, where the full path would ignore most of them: stricter, so
 *     still exact;
 *   - no '(' after a backquoted name that is_primary_call() would take for a
 *     primary function (the same lookup on the same bytes). A bare word
 *     before '(' needs no check: a primary function is a denied keyword.
 *
 * Inside '…' and `…` only the closing quote (doubled: escaped) and, in '…',
 * the backslash matter to the full lexer, so any other byte is allowed there.
 * The fast scanner's tokens are not always the full lexer's (it splits 1.5e3
 * at '.' and '+'), but a run that starts with a digit is never a keyword to
 * either, and the pieces it splits off start with a digit, so the words it
 * checks include all those the full path looks up.
 *
 * tests/unit/test-classify.c and tests/fuzz/fuzz-classify.c hold the two paths
 * against each other. A keyword newly acted on in next() or select_body()
 * must be added to FX_DENY_*.
 */
#define FX_DENY_DML(X, a) X(FOR, a) X(CURRVAL, a) KW_PRIMARY_FUNCS(X, a)
#define FX_DENY_SELECT_ONLY(X, a) X(INTO, a) X(LOCK, a) X(SHARE, a) X(UPDATE, a) X(DELETE, a) \
	X(INSERT, a) X(REPLACE, a) X(SQL_CALC_FOUND_ROWS, a)

enum { FX_IN_DML = 1, FX_IN_SELECT = 2 };

#define FX_DENY_BOTH(w, a) [K_##w] = FX_IN_DML | FX_IN_SELECT,
#define FX_DENY_SEL(w, a) [K_##w] = FX_IN_SELECT,
static const uint8_t fx_deny[K_COUNT] = {
	FX_DENY_DML(FX_DENY_BOTH, 0)
	FX_DENY_SELECT_ONLY(FX_DENY_SEL, 0)
};

/* Filter before the lookup: bit n of fx_filter[c] is set when a denied keyword
 * of n letters starts with letter c (either case). Built from the keyword
 * groups, so a word that misses it cannot be a denied keyword. */
#define FX_IS(w, k) || (k) == K_##w
#define FX_DENIED(k) (0 FX_DENY_DML(FX_IS, k) FX_DENY_SELECT_ONLY(FX_IS, k))
#define FX_BIT(w) | (FX_DENIED(K_##w) ? UINT64_C(1) << (sizeof(#w) - 1) : 0)
#define FX_ROW(l, L, G) [l] = 0 G(FX_BIT), [L] = 0 G(FX_BIT),
static const uint64_t fx_filter[128] = {
	FX_ROW('a', 'A', KW_A) FX_ROW('b', 'B', KW_B) FX_ROW('c', 'C', KW_C) FX_ROW('d', 'D', KW_D)
	FX_ROW('e', 'E', KW_E) FX_ROW('f', 'F', KW_F) FX_ROW('g', 'G', KW_G) FX_ROW('h', 'H', KW_H)
	FX_ROW('i', 'I', KW_I) FX_ROW('j', 'J', KW_J) FX_ROW('k', 'K', KW_K) FX_ROW('l', 'L', KW_L) FX_ROW('m', 'M', KW_M)
	FX_ROW('n', 'N', KW_N) FX_ROW('o', 'O', KW_O) FX_ROW('p', 'P', KW_P) FX_ROW('r', 'R', KW_R)
	FX_ROW('s', 'S', KW_S) FX_ROW('t', 'T', KW_T) FX_ROW('u', 'U', KW_U) FX_ROW('v', 'V', KW_V)
	FX_ROW('w', 'W', KW_W) FX_ROW('x', 'X', KW_X)
};

/* The word loop skips words of one or two letters. */
#define FX_SHORT(w) || (FX_DENIED(K_##w) && sizeof(#w) - 1 < 3)
_Static_assert(!(0 KW_A(FX_SHORT) KW_B(FX_SHORT) KW_C(FX_SHORT) KW_D(FX_SHORT) KW_E(FX_SHORT)
		 KW_F(FX_SHORT) KW_G(FX_SHORT) KW_H(FX_SHORT) KW_I(FX_SHORT) KW_J(FX_SHORT) KW_K(FX_SHORT)
		 KW_L(FX_SHORT) KW_M(FX_SHORT) KW_N(FX_SHORT) KW_O(FX_SHORT) KW_P(FX_SHORT)
		 KW_R(FX_SHORT) KW_S(FX_SHORT) KW_T(FX_SHORT) KW_U(FX_SHORT) KW_V(FX_SHORT)
		 KW_W(FX_SHORT) KW_X(FX_SHORT)),
	       "a denied keyword of fewer than three letters: see the word loop in classify_fast()");

/* Lowest and highest set bit of x != 0. */
#if defined(__GNUC__)
#define fx_ctz(x) ((unsigned)__builtin_ctzll(x))
#define fx_top(x) (63u - (unsigned)__builtin_clzll(x))
#else
static inline unsigned fx_ctz(uint64_t x)
{
	unsigned n = 0;

	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}

static inline unsigned fx_top(uint64_t x)
{
	unsigned n = 0;

	while (x >>= 1)
		n++;
	return n;
}
#endif

/* Byte classes of the fast scanner, outside quotes. The two that continue a
 * word come last, so that test is one compare. */
#define FX_STOP   0 /* give up */
#define FX_SPACE  1
#define FX_PUNCT  2
#define FX_SQUOTE 3
#define FX_BQUOTE 4
#define FX_OPEN   5
#define FX_CLOSE  6
#define FX_MARK   7 /* '-', '/': a comment if "--" or slash-star follows */
#define FX_WORD   8 /* letters, '_', '$' */
#define FX_DIGIT  9
static const uint8_t fx_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,  /* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 10 */
	1, 2, 0, 0, 8, 2, 2, 3, 5, 6, 2, 2, 2, 7, 2, 7,  /* 20  !"#$%&'()*+,-./ */
	9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 2, 2, 2, 2,  /* 30 0-9 :;<=>? */
	0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,  /* 40 @A-O */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 0, 2, 2, 8,  /* 50 P-Z[\]^_ */
	4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,  /* 60 `a-o */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2, 2, 2, 2, 0,  /* 70 p-z{|}~ DEL */
	/* 80-ff: FX_STOP */
};

static inline bool fx_word_byte(unsigned char c)
{
	return fx_class[c] >= FX_WORD;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FX_SWAR 1
#define FX_ONES UINT64_C(0x0101010101010101)
#define FX_LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)

/* The top bit of each byte of x that equals c, and no other bit. Exact (the
 * usual (t - 0x01…) & ~t test also flags bytes after a match). */
static inline uint64_t fx_bytes_eq(uint64_t x, unsigned char c)
{
	uint64_t t = x ^ (FX_ONES * c);

	return ~(((t & FX_LOW7) + FX_LOW7) | t | FX_LOW7);
}
#endif

/* The first byte at or after p that ends the body of a literal quoted with q:
 * q itself, or a backslash in '…' (where one escapes). end if none. Long
 * strings are the bulk of an INSERT: eight bytes at a time. */
static inline const unsigned char *fx_quote_stop(const unsigned char *p, const unsigned char *end,
						 unsigned char q)
{
#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)
	for (; end - p >= 16; p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i e = _mm_cmpeq_epi8(x, _mm_set1_epi8((char)q));
		unsigned m;

		if (q == '\'')
			e = _mm_or_si128(e, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
		if ((m = (unsigned)_mm_movemask_epi8(e)))
			return p + fx_ctz(m);
	}
#endif
#ifdef FX_SWAR
	for (; end - p >= 8; p += 8) {
		uint64_t x, m;

		memcpy(&x, p, 8);
		m = fx_bytes_eq(x, q) | (q == '\'' ? fx_bytes_eq(x, '\\') : 0);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
	}
#endif
	while (p < end && *p != q && !(*p == '\\' && q == '\''))
		p++;
	return p;
}

/* p just after the opening quote q; the position after the closing one, or
 * NULL to give up (no closing quote; a backslash in '…'). */
static inline const unsigned char *fx_quoted(const unsigned char *p, const unsigned char *end,
					      unsigned char q)
{
	for (;;) {
		p = fx_quote_stop(p, end, q);
		if (p == end || *p != q || (q == '`' && p[-1] >= 0x80))
			return NULL;
		if (p + 1 < end && p[1] == q) {
			p += 2; /* doubled: an escaped quote */
			continue;
		}
		return p + 1;
	}
}

/*
 * The scanner reads the text in windows of up to 64 bytes, each summed up in
 * three masks (bit i: byte i of the window):
 *   word   the byte continues a word: a letter, digit, '_' or '$';
 *   letter an ASCII letter;
 *   other  neither a word byte nor a quiet one (space , . < = > ?), which
 *          needs nothing but to end a word: quotes, parentheses, '-', '/',
 *          every byte that makes the scanner give up, and some harmless
 *          punctuation (tab, newline, * + …) that the switch passes over.
 * Only the "other" bytes and the letters that start a word (the byte before
 * is not a word byte) are visited; a run of word bytes that starts with a
 * digit, '_' or '$' is never a denied keyword (the filter is 0 there). Bytes
 * past the end are never read: where fewer than 16 bytes are left, the text's
 * last 16 are read and their masks shifted; a text shorter than 16 bytes is
 * classified byte by byte.
 */
#define FX_WIN 64
#define FX_BLK 16

struct fx_masks {
	uint64_t word, letter, other;
};

/* n < FX_BLK bytes at s, through the class table. */
static inline void fx_masks_bytes(const unsigned char *s, size_t n, struct fx_masks *m)
{
	m->word = m->letter = m->other = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned k = fx_class[s[i]];

		m->word |= (uint64_t)(k >= FX_WORD) << i;
		m->letter |= (uint64_t)(k == FX_WORD && s[i] != '_' && s[i] != '$') << i;
		m->other |= (uint64_t)(k != FX_SPACE && k != FX_PUNCT && k < FX_WORD) << i;
	}
}

#if defined(__SSE2__) && !defined(WS_FX_NO_SSE2)

/* The FX_BLK bytes at s. A range is tested as a signed compare after moving
 * its first byte to -128. */
static inline void fx_masks_blk(const unsigned char *s, uint32_t *word, uint32_t *letter, uint32_t *other)
{
#define FX_SET(c) _mm_set1_epi8((char)(c))
#define FX_RANGE(x, lo, hi) _mm_cmplt_epi8(_mm_add_epi8(x, FX_SET(0x80 - (lo))), FX_SET(0x80 + (hi) - (lo) + 1))
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i l = FX_RANGE(_mm_or_si128(x, FX_SET(0x20)), 'a', 'z');
	__m128i w = _mm_or_si128(_mm_or_si128(l, FX_RANGE(x, '0', '9')),
				 _mm_or_si128(_mm_cmpeq_epi8(x, FX_SET('_')), _mm_cmpeq_epi8(x, FX_SET('$'))));
	/* quiet: ' ', then ',' '.' (x | 2 == '.'), then '<' '=' '>' '?' (x & ~3 == '<') */
	__m128i quiet = _mm_or_si128(_mm_cmpeq_epi8(x, FX_SET(' ')),
				     _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(x, FX_SET(2)), FX_SET('.')),
						  _mm_cmpeq_epi8(_mm_and_si128(x, FX_SET(~3)), FX_SET('<'))));

	*word = (uint32_t)_mm_movemask_epi8(w);
	*letter = (uint32_t)_mm_movemask_epi8(l);
	*other = (uint32_t)_mm_movemask_epi8(_mm_or_si128(w, quiet)) ^ 0xffff;
#undef FX_RANGE
#undef FX_SET
}

/* The backquotes, quotes, backslashes and bytes >= 0x80 among the FX_BLK bytes at s. */
static inline void fx_quotes_blk(const unsigned char *s, uint32_t *bq, uint32_t *sq, uint32_t *bs, uint32_t *hi)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);

	*bq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('`')));
	*sq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
	*bs = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	*hi = (uint32_t)_mm_movemask_epi8(x);
}
#else
static inline void fx_masks_blk(const unsigned char *s, uint32_t *word, uint32_t *letter, uint32_t *other)
{
	struct fx_masks m;

	fx_masks_bytes(s, FX_BLK, &m);
	*word = (uint32_t)m.word;
	*letter = (uint32_t)m.letter;
	*other = (uint32_t)m.other;
}

static inline void fx_quotes_blk(const unsigned char *s, uint32_t *bq, uint32_t *sq, uint32_t *bs, uint32_t *hi)
{
	*bq = *sq = *bs = *hi = 0;
	for (unsigned i = 0; i < FX_BLK; i++) {
		*bq |= (uint32_t)(s[i] == '`') << i;
		*sq |= (uint32_t)(s[i] == '\'') << i;
		*bs |= (uint32_t)(s[i] == '\\') << i;
		*hi |= (uint32_t)(s[i] >= 0x80) << i;
	}
}
#endif

/* The masks of the n bytes at p (0 < n <= FX_WIN): whole blocks from p,
 * then the block that ends the n bytes, shifted so that only the bytes not
 * in the blocks before it are left. Nothing at or past end is read, nothing
 * before start: p + n is end or more than FX_BLK bytes after p. */
HOT void fx_masks_win(const unsigned char *p, size_t n, const unsigned char *start,
		      const unsigned char *end, struct fx_masks *m)
{
	unsigned off = (unsigned)(n - 1) & ~(FX_BLK - 1u), shift = off + FX_BLK - (unsigned)n;
	uint32_t w, l, o;

	if (end - start < FX_BLK) {
		fx_masks_bytes(p, n, m);
		return;
	}
	fx_masks_blk(p + n - FX_BLK, &w, &l, &o);
	m->word = (uint64_t)(w >> shift) << off;
	m->letter = (uint64_t)(l >> shift) << off;
	m->other = (uint64_t)(o >> shift) << off;
	if (off == 0)
		return;
	fx_masks_blk(p, &w, &l, &o);
	m->word |= w;
	m->letter |= l;
	m->other |= o;
	if (off == FX_BLK)
		return;
	fx_masks_blk(p + FX_BLK, &w, &l, &o);
	m->word |= (uint64_t)w << FX_BLK;
	m->letter |= (uint64_t)l << FX_BLK;
	m->other |= (uint64_t)o << FX_BLK;
	if (off == 2 * FX_BLK)
		return;
	fx_masks_blk(p + 2 * FX_BLK, &w, &l, &o);
	m->word |= (uint64_t)w << 2 * FX_BLK;
	m->letter |= (uint64_t)l << 2 * FX_BLK;
	m->other |= (uint64_t)o << 2 * FX_BLK;
}

/* A word of n letters at w that the full path would act on in this context? */
static inline bool fx_denied(const unsigned char *w, size_t n, unsigned ctx)
{
	/* Bit n & 63: a word of 64 letters or more may hit the filter for
	 * nothing, never miss it. */
	return (fx_filter[*w] >> (n & 63) & 1) && (fx_deny[kw_lookup(w, n)] & ctx);
}

/* The statement's first word at p (avail bytes), as stmt() would take it
 * (load_folded() is the compare kw_lookup() makes): its length, or 0 when it
 * is not one the fast path answers for. */
static inline size_t fx_first_word(const unsigned char *p, size_t avail, enum ws_stmt_kind *kind)
{
	size_t n = 6;

	if (avail < 6)
		return 0;
	uint64_t x = load_folded(p, 6);
	if (x == load_folded("SELECT", 6))
		*kind = WS_STMT_SELECT;
	else if (x == load_folded("INSERT", 6))
		*kind = WS_STMT_INSERT;
	else if (x == load_folded("UPDATE", 6))
		*kind = WS_STMT_UPDATE;
	else if (x == load_folded("DELETE", 6))
		*kind = WS_STMT_DELETE;
	else if (avail >= 7 && load_folded(p, 7) == load_folded("REPLACE", 7))
		*kind = WS_STMT_REPLACE, n = 7;
	else
		return 0;
	return n < avail && fx_word_byte(p[n]) ? 0 : n; /* SELECTED is not SELECT */
}

#if defined(__GNUC__)
#define FX_NOINLINE __attribute__((noinline))
#else
#define FX_NOINLINE
#endif

/* Bit i of the result: the parity of the bits 0..i of x. */
static inline uint64_t fx_prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	return x ^ x << 32;
}

/* The backquotes, quotes, backslashes and bytes >= 0x80 among the n bytes at
 * p, read the way fx_masks_win() reads them. */
static inline void fx_quote_masks(const unsigned char *p, size_t n, const unsigned char *start,
				  const unsigned char *end, uint64_t *bq, uint64_t *sq, uint64_t *bs, uint64_t *hi)
{
	*bq = *sq = *bs = *hi = 0;
	if (end - start < FX_BLK) {
		for (size_t i = 0; i < n; i++) {
			*bq |= (uint64_t)(p[i] == '`') << i;
			*sq |= (uint64_t)(p[i] == '\'') << i;
			*bs |= (uint64_t)(p[i] == '\\') << i;
			*hi |= (uint64_t)(p[i] >= 0x80) << i;
		}
		return;
	}
	unsigned off = (unsigned)(n - 1) & ~(FX_BLK - 1u), shift = off + FX_BLK - (unsigned)n;
	uint32_t b, s, k, h;

	fx_quotes_blk(p + n - FX_BLK, &b, &s, &k, &h);
	*bq = (uint64_t)(b >> shift) << off;
	*sq = (uint64_t)(s >> shift) << off;
	*bs = (uint64_t)(k >> shift) << off;
	*hi = (uint64_t)(h >> shift) << off;
	for (unsigned i = 0; i < off; i += FX_BLK) {
		fx_quotes_blk(p + i, &b, &s, &k, &h);
		*bq |= (uint64_t)b << i;
		*sq |= (uint64_t)s << i;
		*bs |= (uint64_t)k << i;
		*hi |= (uint64_t)h << i;
	}
}

/*
 * The "other" bytes of the wl bytes at p (bits of `other`), in order. Takes
 * the letters inside quotes out of *starts. Returns where the next window
 * starts: p + wl, or after a quote that ends past this window; NULL to give
 * up. Out of line: the word loop in the caller stays small, and a point
 * select has no such byte.
 *
 * Quotes are taken a window at a time: the bytes inside '…' are those where
 * the count of ' so far is odd, and likewise for `…` (a doubled quote, an
 * escaped one, just ends and restarts the quote: same bytes inside). That
 * holds unless a quote of one kind lies inside a quote of the other; then, as
 * for a quote that the window does not close, they are read one by one.
 */
static FX_NOINLINE const unsigned char *fx_others(const unsigned char *start, const unsigned char *end,
						  unsigned *depth, const unsigned char *p, size_t wl,
						  uint64_t other, uint64_t *starts, unsigned ctx)
{
	const unsigned char *w, *q, *resume = p + wl;
	bool one_by_one = false;

	while (other) {
		unsigned i = fx_ctz(other);
		unsigned char c;

		w = p + i;
		c = *w;
		switch (fx_class[c] & 15) { /* & 15: no range check before the jump table */
		case FX_SQUOTE: case FX_BQUOTE:
			if (!one_by_one) { /* the first quote of the window: all of them at once */
				uint64_t bq, sq, bs, hi, ib, is, hide;

				fx_quote_masks(p, wl, start, end, &bq, &sq, &bs, &hi);
				/* A backquote right after a byte >= 0x80 may be a
				 * character's second byte (sjis, gbk …): the full path
				 * reads every character set. */
				if (bq & (hi << 1 | (uint64_t)(p > start && p[-1] >= 0x80)))
					return NULL;
				ib = fx_prefix_xor(bq);
				is = fx_prefix_xor(sq);
				if ((ib & sq) | (is & bq)) { /* one kind inside the other */
					one_by_one = true;
					continue;
				}
				hide = ib | is | bq | sq;
				if ((ib | is) >> (wl - 1) & 1) { /* the last quote ends past the window */
					unsigned k = fx_top(bq | sq);

					if (!(resume = fx_quoted(p + k + 1, end, p[k])))
						return NULL;
					other &= (UINT64_C(1) << k) - 1;
					*starts &= (UINT64_C(1) << k) - 1;
					is &= (UINT64_C(1) << k) - 1;
				}
				if (bs & is)
					return NULL; /* a backslash in '…': the other readings */
				other &= ~hide;
				*starts &= ~hide;
				continue;
			}
			if (!(q = fx_quoted(w + 1, end, c)))
				return NULL;
			if ((size_t)(q - p) >= wl) { /* it ends past this window: go on after it */
				*starts &= (UINT64_C(1) << i) - 1;
				return q;
			}
			/* nothing inside the quotes matters */
			other &= ~UINT64_C(0) << (q - p);
			*starts &= ~(~UINT64_C(0) << i & ~(~UINT64_C(0) << (q - p)));
			continue;
		case FX_OPEN:
			/* `name`( or `name` (: a call, if the name is a primary
			 * function's (as is_primary_call() sees it). A bare name
			 * needs no check: a primary function is a denied word. */
			for (q = w; q > start && fx_class[q[-1]] == FX_SPACE; q--)
				;
			if (q > start && q[-1] == '`') { /* after a quoted name: where it starts */
				const unsigned char *o = q - 1;

				while (o[-1] != '`') /* the opening quote is there */
					o--;
				/* A doubled quote in the name ("`a``b`"): no function's. */
				if (o[-2] != '`' && kw_is_primary_func(kw_lookup(o, (size_t)(q - 1 - o))))
					return NULL;
				if (ctx == FX_IN_SELECT) /* `f`( may call a stored function */
					return NULL;
			} else if (ctx == FX_IN_SELECT && q > start && fx_word_byte(q[-1])) {
				/* name( in a read: the server's function or keyword,
				 * else a stored function (note_call() in classify.c);
				 * db.f( always a stored one. */
				const unsigned char *o = q - 1, *d;

				while (o > start && fx_word_byte(o[-1]))
					o--;
				for (d = o; d > start && fx_class[d[-1]] == FX_SPACE; d--)
					;
				if ((d > start && d[-1] == '.') || ws_classify_server_func(o, (size_t)(q - o)) == WS_FN_NONE)
					return NULL;
			}
			++*depth;
			break;
		case FX_CLOSE:
			if (*depth == 0)
				return NULL;
			--*depth;
			break;
		case FX_MARK:
			if (w + 1 < end && w[1] == (c == '-' ? '-' : '*'))
				return NULL;
			break;
		case FX_SPACE: case FX_PUNCT:
			break;
		default: /* FX_STOP */
			return NULL;
		}
		other &= other - 1;
	}
	return resume;
}

/* Inline in ws_classify(): a call there is a tenth of the work. */
HOT bool classify_fast(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out)
{
	const unsigned char *start = (const unsigned char *)text, *end = start + len, *p = start;
	unsigned depth = 0; /* '(' open */
	uint64_t carry = 0; /* the byte before the window is a word byte */
	enum ws_stmt_kind kind = WS_STMT_OTHER;
	unsigned ctx;
	size_t n;

	if (!text)
		return false;
	/* sjis & co.: the full path, which knows where '\\' and '`' may be a
	 * character's second byte. */
	if (env && env->charset > 0 && env->charset <= sizeof(ws_cs_names) / sizeof(ws_cs_names[0]) &&
	    ws_csg[ws_cs_names[env->charset - 1].group].ascii_trail)
		return false;
	while (p < end && fx_class[*p] == FX_SPACE)
		p++;
	if (!(n = fx_first_word(p, (size_t)(end - p), &kind)))
		return false;
	ctx = kind == WS_STMT_SELECT ? FX_IN_SELECT : FX_IN_DML;
	for (p += n; p < end;) {
		size_t wl = (size_t)(end - p) < FX_WIN ? (size_t)(end - p) : FX_WIN;
		const unsigned char *next = p + wl, *last = NULL, *q;
		struct fx_masks m;
		uint64_t starts;

		fx_masks_win(p, wl, start, end, &m);
		starts = m.letter & ~(m.word << 1 | carry);
		carry = 0;
		/* First the bytes that are not words, in order: a quote hides what
		 * it holds from the word loop. */
		if (m.other && !(next = fx_others(start, end, &depth, p, wl, m.other, &starts, ctx)))
			return false;
		/* A run of word bytes that ends a whole window may go on past it. */
		if (m.word >> (FX_WIN - 1) && next == p + wl) {
			uint64_t before = ~m.word;
			unsigned r = before ? fx_top(before) + 1 : 0; /* where it starts */

			if (starts >> r & 1) { /* a word: checked below, with its end */
				starts &= ~(UINT64_C(1) << r);
				last = p + r;
			} else {
				carry = 1; /* not a word; if it goes on, the rest is none either */
			}
		}
		/* Then the words that start with a letter and have three letters or
		 * more (no denied keyword is shorter). Adding its first bit to a run
		 * of ones carries to the bit after it: where it ends. */
		starts &= m.word >> 1 & m.word >> 2;
		for (uint64_t after = (m.word + starts) & ~m.word; starts;
		     starts &= starts - 1, after &= after - 1) {
			unsigned i = fx_ctz(starts);

			if (fx_denied(p + i, (size_t)fx_ctz(after) - i, ctx))
				return false;
		}
		if (last) {
			for (q = p + wl; q < end && fx_word_byte(*q); q++)
				;
			if (fx_denied(last, (size_t)(q - last), ctx))
				return false;
			next = q;
		}
		p = next;
	}
	if (depth)
		return false;
	*out = (struct ws_verdict){
		.flags = kind == WS_STMT_SELECT ? WS_F_READ : WS_F_WRITE,
		.kind = kind,
		.hint_route = WS_HINT_NONE,
		.hint_consistency = -1,
		.n_statements = 1,
	};
	return true;
}

bool ws_classify_fast(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out)
{
	return classify_fast(text, len, env, out);
}

void ws_classify(const char *text, size_t len, struct ws_verdict *out)
{
	if (!classify_fast(text, len, NULL, out))
		ws_classify_full(text, len, NULL, out);
}

void ws_classify_env(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out)
{
	if (!classify_fast(text, len, env, out))
		ws_classify_full(text, len, env, out);
}
