/*
 * classify-lex.h — the classifier's lexer, shared by classify.c (statements,
 * verdicts) and classify-lex.c (comments, hints, literals, numbers).
 * Internal: not installed, and every symbol is hidden (-fvisibility=hidden).
 *
 * The per-token entry points lex() and skip_space() are inline here: the
 * statement parser calls them once per token, and a call there costs about as
 * much as the work. What is rare (comments, quoted literals, variables,
 * numbers) is out of line in classify-lex.c.
 */
#ifndef WS_CLASSIFY_LEX_H
#define WS_CLASSIFY_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify-base.h"

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#include "classify-keywords.h"

enum tok_type { T_END, T_SEMI, T_WORD, T_NUMBER, T_STRING, T_QIDENT, T_USERVAR, T_SYSVAR, T_PUNCT };

struct tok {
	size_t off, n;      /* the token's bytes; for a quoted token, those between the quotes */
	uint16_t kw;        /* T_WORD not after a '.': keyword id, else K_NONE */
	uint16_t rawkw;     /* T_WORD: keyword id, also after a '.' */
	uint8_t type;       /* enum tok_type */
	unsigned char ch;   /* T_PUNCT: the character; ":=" is reported as '=' */
	unsigned char quote;/* T_STRING, T_QIDENT, quoted T_USERVAR: the quote character */
	bool after_dot;     /* follows a '.': an identifier whatever it spells */
};

/* Other readings of the same bytes (see the comment at the top). */
#define LX_GATED_AS_COMMENT 1u /* version-gated executable comments are comments */
#define LX_NO_ESC_DQ        2u /* no backslash escapes in "…" (ANSI_QUOTES, NO_BACKSLASH_ESCAPES) */
#define LX_NO_ESC_SQ        4u /* no backslash escapes in '…' (NO_BACKSLASH_ESCAPES) */
#define LX_ANSI_QUOTES      8u /* "…" may be a name (ANSI_QUOTES on or unknown): "f"( is a call */

struct lex {
	const unsigned char *s;
	size_t len, pos;
	const struct ws_csg *cs; /* the character set's reading (never NULL) */
	unsigned mode;      /* LX_* */
	bool in_exec;       /* inside the body of an executable comment */
	bool last_dot;      /* the previous token was '.' */
	bool err;           /* unterminated literal or comment, nested executable comment */
	bool err_quote;     /* ran off the end inside a quoted literal */
	bool saw_gated;     /* met a version-gated executable comment */
	bool saw_backslash; /* met a backslash escape inside a quoted literal */
	bool mb_hazard;     /* cs->ascii_trail: a '\\' or '`' that may be a character's second byte */
	uint8_t hint_route;
	int8_t hint_cons;
	struct ws_hint_fresh fresh;
};

/* Merge the freshness hints of src into dst (the stricter of each). */
void ws_hint_fresh_merge(struct ws_hint_fresh *dst, const struct ws_hint_fresh *src);

/* p at a space, comment mark or a high byte that is a space: skips space and comments (scanning them
 * for hints, entering executable comments). Returns where the next token is. */
size_t ws_classify_skip_space_slow(struct lex *lx, size_t p);
/* p at a digit: the end of the number, or of the word it turns out to be (1abc). */
size_t ws_classify_lex_number(const struct lex *lx, size_t p, uint8_t *type);
/* p at a quote or '@': fills in t; returns where the token ends. */
size_t ws_classify_lex_quoted_or_var(struct lex *lx, struct tok *t, size_t p);

/* What a name before '(' calls (classify-server.h): */
enum { WS_FN_NONE, WS_FN_NATIVE, WS_FN_BARE };
/* WS_FN_NATIVE: a native function (also as `name`); WS_FN_BARE: a keyword or a
 * function the grammar knows by its bare name only; WS_FN_NONE: neither, so
 * name( calls a stored function or a UDF. */
int ws_classify_server_func(const unsigned char *s, size_t n);

HOT void skip_space(struct lex *lx)
{
	const unsigned char *s = lx->s;
	size_t len = lx->len, p = lx->pos;

	while (p < len) {
		unsigned k = cclass[s[p]];

		if (k == C_SPACE) {
			p++;
			continue;
		}
		if (k == C_MARK || (k == C_HIGH && cs_space(lx->cs, s[p])))
			p = ws_classify_skip_space_slow(lx, p);
		break;
	}
	lx->pos = p;
}


HOT void lex(struct lex *lx, struct tok *t)
{
	const unsigned char *s = lx->s;
	size_t len, p, q;
	unsigned char c;

	skip_space(lx);
	len = lx->len;
	p = lx->pos;
	t->off = p;
	t->kw = t->rawkw = K_NONE; /* ch and quote are set only for the types they are about */
	t->after_dot = lx->last_dot;
	lx->last_dot = false;
	if (p >= len) {
		t->type = T_END;
		t->n = 0;
		return;
	}
	c = s[p];
	q = p + 1;
	switch (cclass[c]) {
	case C_IDENT: case C_HIGH:
		q = ident_end(lx->cs, s, q, len, false);
		t->type = T_WORD;
		t->rawkw = (uint16_t)kw_lookup(s + p, q - p);
		if (!t->after_dot)
			t->kw = t->rawkw;
		break;
	case C_DIGIT:
		q = ws_classify_lex_number(lx, p, &t->type);
		break;
	default:
		t->type = T_PUNCT;
		t->ch = c;
		switch (c) {
		case ';':
			t->type = T_SEMI;
			break;
		case '\'': case '"': case '`': case '@':
			lx->pos = ws_classify_lex_quoted_or_var(lx, t, p);
			return;
		case '.':
			lx->last_dot = true;
			break;
		case ':':
			if (q < len && s[q] == '=') {
				t->ch = '=';
				q++;
			}
			break;
		}
	}
	t->n = q - p;
	lx->pos = q;
}

#endif /* WS_CLASSIFY_LEX_H */
