/*
 * route.c — routing decisions for managed handles (DESIGN.md §3).
 */
#include "route.h"
#include "session.h"

MYSQL *ws_route_last(MYSQL *mysql)
{
	/* Until the read/write split exists every statement runs on the handle itself. */
	return mysql;
}
