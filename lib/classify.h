/*
 * classify.h — SQL statement classifier (docs/classifier.md).
 *
 * A pure function from statement text to a small verdict: may it run on a
 * replica, does it change session state that must be replayed, does it open or
 * close a transaction, which hints does it carry. No allocation, no global
 * state, safe from any thread. Text is (pointer, length) and need not be
 * NUL-terminated; the classifier never reads past `len`.
 *
 * The rule it lives by: anything it cannot prove to be a read is a write.
 */
#ifndef WS_CLASSIFY_H
#define WS_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify-base.h"

/*
 * Classify the whole text (all statements of a multi-statement text).
 * The merged verdict is READ only if every part is READ; every other flag is the
 * union over the parts; kind, temp_name and db come from the first part that
 * sets them. Never fails: junk classifies as WRITE (with WS_F_PARSE_ERROR).
 * Route with this one: when the text could be tokenized differently by the
 * server (a backslash in a quoted literal: NO_BACKSLASH_ESCAPES, ANSI_QUOTES; a
 * version-gated executable comment) it is re-checked as a whole under each
 * reading, so it may be WRITE although every part ws_classify_next() returns
 * is READ.
 */
void ws_classify(const char *text, size_t len, struct ws_verdict *out);
/* The same, lexed as the session described by env does (NULL: unknown). */
void ws_classify_env(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out);

/*
 * Classify one statement at a time: start with *offset = 0; each call classifies
 * the statement that begins at text + *offset, stores its verdict, advances
 * *offset past its terminating ';' and returns true; returns false when only
 * whitespace and comments remain (and then stores the empty verdict, with any
 * hints found in them, and sets *offset to len). Empty statements (";;") are
 * skipped; a ';' inside a BEGIN … END body (CREATE PROCEDURE …, BEGIN NOT
 * ATOMIC …) does not end the statement. The verdict has n_statements = 1 and
 * never WS_F_MULTI.
 */
bool ws_classify_next(const char *text, size_t len, size_t *offset, struct ws_verdict *out);
bool ws_classify_next_env(const char *text, size_t len, size_t *offset, const struct ws_lexenv *env,
			  struct ws_verdict *out);

/* Names for logs and stats. Static strings. */
const char *ws_stmt_kind_to_string(enum ws_stmt_kind kind);

/*
 * The two ways ws_classify() reaches a verdict, exposed so the tests can hold
 * one against the other. ws_classify_full() is the whole classifier.
 * ws_classify_fast() answers only for the simple shapes that dominate traffic
 * (docs/classifier.md, "The fast path"), storing exactly the verdict
 * ws_classify_full() would store, and returns false without touching *out for
 * anything else.
 */
void ws_classify_full(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out);
bool ws_classify_fast(const char *text, size_t len, const struct ws_lexenv *env, struct ws_verdict *out);

#endif /* WS_CLASSIFY_H */
