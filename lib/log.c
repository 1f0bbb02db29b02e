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
#include "real.h"
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

void ws_log_write(enum ws_log_level level, const char *fmt, ...)
{
	char msg[1024], line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

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
