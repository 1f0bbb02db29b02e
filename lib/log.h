/*
 * log.h — the library's only output: leveled messages to stderr, a log file,
 * or the host's callback (wescale_set_log_callback). Nothing is ever written to
 * stdout.
 */
#ifndef WS_LOG_H
#define WS_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* The log is the bottom layer (docs/architecture.md, "Modules and layers"): it
 * needs nothing from the configuration; start-up (global.c) gives it its level
 * and sink with ws_log_configure(). */
enum ws_log_level {
	WS_LOG_ERROR = 0,
	WS_LOG_WARN = 1,
	WS_LOG_INFO = 2,
	WS_LOG_DEBUG = 3,
};

extern int ws_log_current_level;

static inline bool ws_log_enabled(enum ws_log_level level)
{
	return (int)level <= __atomic_load_n(&ws_log_current_level, __ATOMIC_RELAXED);
}

void ws_log_write(enum ws_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ws_log(level, ...)                                  \
	do {                                                \
		if (ws_log_enabled(level))                  \
			ws_log_write((level), __VA_ARGS__); \
	} while (0)

/* Set the level and destination (NULL: stderr). Returns 0 or -errno when the
 * file cannot be opened (the destination then stays stderr). */
int ws_log_configure(enum ws_log_level level, const char *file);

/* Copy the NUL-terminated text `in` into out (cap bytes, always
 * NUL-terminated) with the values of secrets — IDENTIFIED BY '…',
 * PASSWORD('…'), IDENTIFIED VIA … USING '…', MASTER_PASSWORD='…', any
 * quoting — replaced by ***. Every log line goes through it. Returns the
 * length written. */
size_t ws_log_redact(const char *in, char *out, size_t cap);

/* Parse "error|warn|info|debug" (case-insensitive). -EINVAL otherwise. */
int ws_log_level_from_string(const char *s, enum ws_log_level *out);
const char *ws_log_level_to_string(enum ws_log_level level);

#endif /* WS_LOG_H */
