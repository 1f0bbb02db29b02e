/*
 * rawclient.h — the real client library's calls, reached with dlopen, for
 * tests and benchmarks that link libwescale but need connections it does not
 * see (direct baselines, server counters that must not count themselves).
 */
#ifndef WS_TESTS_RAWCLIENT_H
#define WS_TESTS_RAWCLIENT_H

#include <dlfcn.h>
#include <stdbool.h>
#include <mysql.h>

struct rawclient {
	MYSQL *(*init)(MYSQL *);
	MYSQL *(*connect)(MYSQL *, const char *, const char *, const char *, const char *, unsigned, const char *,
			  unsigned long);
	int (*query)(MYSQL *, const char *);
	MYSQL_RES *(*store)(MYSQL *);
	MYSQL_ROW (*fetch)(MYSQL_RES *);
	void (*free_res)(MYSQL_RES *);
	void (*close)(MYSQL *);
	const char *(*error)(MYSQL *);
};

#define RAWCLIENT_SYM(h, c, f, name) ((c)->f = (__typeof__((c)->f))dlsym(h, name))

/* Fill c from libmariadb.so.3; false when it or a call is missing. */
static inline bool rawclient_load(struct rawclient *c)
{
	void *h = dlopen("libmariadb.so.3", RTLD_NOW | RTLD_NOLOAD);

	if (!h)
		h = dlopen("libmariadb.so.3", RTLD_NOW);
	if (!h)
		return false;
	return RAWCLIENT_SYM(h, c, init, "mysql_init") && RAWCLIENT_SYM(h, c, connect, "mysql_real_connect") &&
	       RAWCLIENT_SYM(h, c, query, "mysql_query") && RAWCLIENT_SYM(h, c, store, "mysql_store_result") &&
	       RAWCLIENT_SYM(h, c, fetch, "mysql_fetch_row") && RAWCLIENT_SYM(h, c, free_res, "mysql_free_result") &&
	       RAWCLIENT_SYM(h, c, close, "mysql_close") && RAWCLIENT_SYM(h, c, error, "mysql_error");
}

#endif
