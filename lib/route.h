/*
 * route.h — which connection runs a statement, and which one answers for it.
 */
#ifndef WS_ROUTE_H
#define WS_ROUTE_H

#include <mysql.h>

/* The connection that ran the last statement of the application's handle
 * `mysql` (the handle itself when it is not managed, or the primary ran it). */
MYSQL *ws_route_last(MYSQL *mysql);

#endif /* WS_ROUTE_H */
