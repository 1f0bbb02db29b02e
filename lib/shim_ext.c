/*
 * shim_ext.c — the wescale_* extension calls (include/wescale.h).
 */
#include "real.h"
#include "route.h"
#include "session.h"
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
