/*
 * log.c — leveled logging through one function; see log.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "compiler.h"
#include "wescale.h"

int ws_log_current_level = WS_LOG_WARN;

static int log_fd = -1; /* -1: stderr */
static bool level_from_api; /* wescale_set_log_level() wins over the configuration */
static wescale_log_fn *log_callback;
static void *log_userdata;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

const char *ws_log_level_to_string(enum ws_log_level level)
{
	switch (level) {
	case WS_LOG_ERROR: return "error";
	case WS_LOG_WARN: return "warn";
	case WS_LOG_INFO: return "info";
	case WS_LOG_DEBUG: return "debug";
	}
	return "unknown";
}

int ws_log_level_from_string(const char *s, enum ws_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum ws_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = WS_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

int ws_log_configure(enum ws_log_level level, const char *file)
{
	int fd = -1, r = 0;

	if (file && *file) {
		fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0)
			r = -errno;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	if (!level_from_api)
		__atomic_store_n(&ws_log_current_level, (int)level, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&log_lock);
	return r;
}

/* ---- secrets ---- */

static bool word_at(const char *s, size_t i, const char *w)
{
	size_t n = strlen(w);

	return strncasecmp(s + i, w, n) == 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

/* Past the literal that opens at in[i] (a quote): backslash escapes and
 * doubled quotes stay inside; an unterminated one runs to the end. */
static size_t literal_end(const char *in, size_t i)
{
	char q = in[i++];

	while (in[i]) {
		if (in[i] == '\\' && q != '`' && in[i + 1])
			i += 2;
		else if (in[i] == q && in[i + 1] == q)
			i += 2;
		else if (in[i] == q)
			return i + 1;
		else
			i++;
	}
	return i;
}

/*
 * The redaction table (tests/unit/test-log.c): which keyword makes which
 * literal a secret.
 *   IDENTIFIED …   every literal up to the end of the statement (BY '…',
 *                  BY PASSWORD '…', VIA plugin USING '…' / PASSWORD('…'),
 *                  WITH plugin AS|BY '…', … OR … USING '…')
 *   SET PASSWORD … every literal up to the end of the statement
 *   …PASSWORD(     the next literal (PASSWORD('…'), OLD_PASSWORD('…'))
 *   …PASSWORD =    the next literal (MASTER_PASSWORD = '…', SET PASSWORD = '…')
 * Literals in any quoting ('…', "…", `…`) become '***' in the same quotes.
 * Keywords are looked for everywhere, in quoted text too: log lines are
 * prose that quotes statements, not SQL. Erring towards hiding too much.
 */
size_t ws_log_redact(const char *in, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	bool to_end = false, next = false;

	if (!cap)
		return 0;
#define PUT(c) do { if (o + 1 < cap) out[o++] = (c); } while (0)
	while (in[i]) {
		char c = in[i];

		if ((to_end || next) && (c == '\'' || c == '"' || c == '`')) {
			size_t e = literal_end(in, i);
			bool closed = e > i + 1 && in[e - 1] == c;

			PUT(c);
			PUT('*');
			PUT('*');
			PUT('*');
			if (closed)
				PUT(c);
			i = e;
			next = false;
			continue;
		}
		if (c == ';') {
			to_end = next = false;
		} else if ((c | 0x20) == 'i' && (i == 0 || !is_ident(in[i - 1])) && word_at(in, i, "identified") &&
			   !is_ident(in[i + 10])) {
			to_end = true;
		} else if ((c | 0x20) == 's' && (i == 0 || !is_ident(in[i - 1])) && word_at(in, i, "set")) {
			size_t j = i + 3;

			while (is_blank(in[j]))
				j++;
			if (j > i + 3 && word_at(in, j, "password") && !is_ident(in[j + 8]))
				to_end = true;
		} else if ((c | 0x20) == 'p' && word_at(in, i, "password") && !is_ident(in[i + 8])) {
			size_t j = i + 8;

			while (is_blank(in[j]))
				j++;
			if (in[j] == '(' || in[j] == '=')
				next = true;
		}
		PUT(c);
		i++;
	}
#undef PUT
	out[o] = '\0';
	return o;
}

void ws_log_write(enum ws_log_level level, const char *fmt, ...)
{
	char raw[1024], msg[1100], line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Every line: statements are quoted in many messages. */
	ws_log_redact(raw, msg, sizeof(msg));

	pthread_mutex_lock(&log_lock);
	if (log_callback) {
		wescale_log_fn *cb = log_callback;
		void *ud = log_userdata;

		pthread_mutex_unlock(&log_lock);
		cb((int)level, msg, ud);
		return;
	}
	n = snprintf(line, sizeof(line), "libwescale[%ld]: %s: %s\n", (long)getpid(),
		     ws_log_level_to_string(level), msg);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	/* One write() per line, so lines from threads and processes do not interleave. */
	if (write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	pthread_mutex_unlock(&log_lock);
}

WS_EXPORT void wescale_set_log_callback(wescale_log_fn *fn, void *userdata)
{
	pthread_mutex_lock(&log_lock);
	log_callback = fn;
	log_userdata = userdata;
	pthread_mutex_unlock(&log_lock);
}

WS_EXPORT void wescale_set_log_level(int level)
{
	if (level < WS_LOG_ERROR)
		level = WS_LOG_ERROR;
	if (level > WS_LOG_DEBUG)
		level = WS_LOG_DEBUG;
	pthread_mutex_lock(&log_lock);
	level_from_api = true;
	__atomic_store_n(&ws_log_current_level, level, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&log_lock);
}
