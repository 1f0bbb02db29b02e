/*
 * shim_ext.c — the wescale_* extension calls (include/wescale.h).
 */
#include <errno.h>
#include <string.h>

#include <errmsg.h>

#include "gtid.h"
#include "real.h"
#include "route.h"
#include "session.h"
#include "token.h"
#include "wescale.h"

static struct ws_session *managed_session(MYSQL *mysql)
{
	struct ws_session *s = mysql ? ws_session_get(mysql) : NULL;

	return s && s->cluster ? s : NULL;
}

WS_EXPORT int wescale_route_next(MYSQL *mysql, enum wescale_route route)
{
	struct ws_session *s = managed_session(mysql);

	if (!s || (int)route < WESCALE_ROUTE_AUTO || route > WESCALE_ROUTE_REPLICA)
		return WESCALE_ER_BAD_ARGUMENT;
	s->next_route = route;
	return 0;
}

WS_EXPORT int wescale_set_consistency(MYSQL *mysql, enum wescale_consistency level)
{
	struct ws_session *s = managed_session(mysql);

	if (!s || (int)level < WESCALE_CONSISTENCY_EVENTUAL || level > WESCALE_CONSISTENCY_PRIMARY)
		return WESCALE_ER_BAD_ARGUMENT;
	s->consistency = level;
	return 0;
}

WS_EXPORT int wescale_assume_write_transactions(MYSQL *mysql, int mode)
{
	struct ws_session *s = managed_session(mysql);

	if (!s || mode < -1 || mode > 1)
		return WESCALE_ER_BAD_ARGUMENT;
	s->assume_write = mode;
	return 0;
}

/* The two calls that write a text about the handle's last statement into
 * buf: the same argument checks, the same answer for an unmanaged handle. */
static int describe_last(MYSQL *mysql, char *buf, size_t size, int (*fn)(struct ws_session *, char *, size_t))
{
	struct ws_session *s;

	if (!buf || size == 0)
		return WESCALE_ER_BAD_ARGUMENT;
	buf[0] = '\0';
	s = managed_session(mysql);
	if (!s || fn(s, buf, size) < 0) {
		buf[0] = '\0';
		return WESCALE_ER_BAD_ARGUMENT;
	}
	return 0;
}

WS_EXPORT int wescale_last_backend(MYSQL *mysql, char *buf, size_t size)
{
	return describe_last(mysql, buf, size, ws_route_last_backend);
}

WS_EXPORT int wescale_last_route(MYSQL *mysql, char *buf, size_t size)
{
	return describe_last(mysql, buf, size, ws_route_explain);
}

WS_EXPORT int wescale_consistency_token(MYSQL *mysql, char *buf, size_t size)
{
	struct ws_session *s = managed_session(mysql);
	size_t len;
	int r;

	if (!buf || size == 0)
		return WESCALE_ER_BAD_ARGUMENT;
	buf[0] = '\0';
	if (!s)
		return WESCALE_ER_BAD_ARGUMENT;
	ws_session_clear_error(s);
	r = ws_token_get(s, buf, size, &len);
	if (r == 0)
		return 0;
	buf[0] = '\0';
	if (r == -ENOSPC) {
		ws_session_set_error(s, WESCALE_ER_BAD_ARGUMENT, "HY000",
				     "wescale_consistency_token: the token needs %zu bytes, the buffer has %zu "
				     "(WESCALE_TOKEN_MAX always suffices)", len + 1, size);
		return WESCALE_ER_BAD_ARGUMENT;
	}
	if (r == -ENOTCONN) {
		ws_session_set_error(s, WESCALE_ER_BAD_ARGUMENT, "HY000",
				     "wescale_consistency_token: the handle is not connected");
		return WESCALE_ER_BAD_ARGUMENT;
	}
	ws_session_set_error(s, WESCALE_ER_BAD_TOKEN, "HY000",
			     "wescale_consistency_token: this handle lost track of its writes (an unusable GTID "
			     "from the primary, see the log): no token can be given");
	return WESCALE_ER_BAD_TOKEN;
}

/* At most 40 characters of a token for an error message, anything that
 * cannot be in one shown as '?' (it may come from anywhere). */
static const char *token_excerpt(const char *token, char out[48])
{
	size_t i;

	for (i = 0; i < 40 && token[i]; i++) {
		char c = token[i];

		out[i] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':' ||
				 c == ',' || c == '-' || c == '_' || c == ' ' ? c : '?';
	}
	strcpy(out + i, token[i] ? "..." : "");
	return out;
}

WS_EXPORT int wescale_require_token(MYSQL *mysql, const char *token)
{
	struct ws_session *s = managed_session(mysql);
	char shown[48];
	size_t len;
	int r;

	if (!s || !token)
		return WESCALE_ER_BAD_ARGUMENT;
	ws_session_clear_error(s);
	len = strnlen(token, WESCALE_TOKEN_MAX);
	r = len < WESCALE_TOKEN_MAX ? ws_token_require(s, token, len) : -E2BIG;
	switch (r) {
	case 0:
		return 0;
	case -ENOTCONN:
		ws_session_set_error(s, WESCALE_ER_BAD_ARGUMENT, "HY000",
				     "wescale_require_token: the handle is not connected");
		return WESCALE_ER_BAD_ARGUMENT;
	case -ENOMEM:
		ws_session_set_error(s, CR_OUT_OF_MEMORY, "HY001", "wescale_require_token: out of memory");
		return CR_OUT_OF_MEMORY;
	case -E2BIG:
		ws_session_set_error(s, WESCALE_ER_BAD_TOKEN, "HY000",
				     "wescale_require_token: token '%s' is too large (more GTID sources than a "
				     "watermark holds, or longer than WESCALE_TOKEN_MAX); nothing changed",
				     token_excerpt(token, shown));
		return WESCALE_ER_BAD_TOKEN;
	default:
		ws_session_set_error(s, WESCALE_ER_BAD_TOKEN, "HY000",
				     "wescale_require_token: '%s' is not a %s GTID set; nothing changed",
				     token_excerpt(token, shown),
				     s->flavor == WS_GTID_MYSQL ? "MySQL (uuid:N-M,…)" : "MariaDB (domain-server-seq,…)");
		return WESCALE_ER_BAD_TOKEN;
	}
}
