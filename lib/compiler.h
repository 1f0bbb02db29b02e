/*
 * compiler.h — attributes every layer may use (a leaf: includes nothing of the
 * project).
 */
#ifndef WS_COMPILER_H
#define WS_COMPILER_H

#define WS_EXPORT __attribute__((visibility("default")))
#define WS_LIKELY(x) __builtin_expect(!!(x), 1)
#define WS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* WS_COMPILER_H */
