/*
 * real.h — the real client library, reached through a table of pointers.
 *
 * The table is generated from api.def and resolved once, at first use, with
 * dlsym(RTLD_NEXT) (preload, or an application that also links libmariadb) or
 * dlopen(WS_REAL_LIBRARY) (an application linked with -lwescale alone). Every
 * internal connection goes through the same table, so it comes from the same
 * library as the application's own.
 *
 * The re-entrancy guard: libmariadb calls some of its own exported functions
 * through the PLT (mysql_list_dbs calls mysql_query and mysql_store_result,
 * mysql_autocommit calls mysql_real_query, …), and those calls land in our
 * exports. While a shim is inside the real library, ws_guard_depth > 0 and every
 * shim entered on this thread is a plain pass-through.
 */
#ifndef WS_REAL_H
#define WS_REAL_H

#include <stdbool.h>
#include <mysql.h>
#include <mariadb_rpl.h>
#include <mariadb_dyncol.h>
#include <ma_pvio.h>
#include <ck_pr.h>

#include "compiler.h"

#include <errmsg.h>

/* Is e an error that says the connection itself failed (not the statement)? */
static inline bool ws_is_connection_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
	       e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == 1053 /* ER_SERVER_SHUTDOWN */ ||
	       e == 1927 /* ER_CONNECTION_KILLED */;
}

/* Declarations that libmariadb exports but its headers do not declare. */
int ma_pvio_register_callback(my_bool register_callback,
			      void (*callback_function)(int mode, MYSQL *mysql, const uchar *buffer,
							size_t length));
MARIADB_CHARSET_INFO *mysql_get_charset_by_name(const char *csname);
MARIADB_CHARSET_INFO *mysql_get_charset_by_nr(unsigned int csnr);

struct ws_real {
#define WS_API(kind, ret, name, params, args, node) ret (*name) params;
#define WS_API_VOID(kind, name, params, args, node) void (*name) params;
#include "api.def"
#undef WS_API
#undef WS_API_VOID
};

extern struct ws_real ws_real_fns;
extern int ws_real_state; /* 0 not yet resolved, 1 resolved (possibly with failures) */

void ws_real_resolve(void);

/* The pointer table, resolved on first use. Never NULL; a pointer inside is NULL
 * when the real library lacks that call (or could not be loaded at all). */
static inline const struct ws_real *ws_real(void)
{
	if (WS_UNLIKELY(ck_pr_load_int(&ws_real_state) == 0))
		ws_real_resolve();
	/* Orders the table's loads after the state flag; pairs with the release
	 * fence in ws_real_resolve(). */
	ck_pr_fence_load();
	return &ws_real_fns;
}

/* True when the real library was found. */
bool ws_real_loaded(void);

/* Log, once per name, that the real library lacks `name`. */
void ws_real_missing(const char *name);

/* In a shim: bind R to the real table, or report the missing function and
 * return fail. */
#define REAL_OR_FAIL(name, fail)                        \
	const struct ws_real *R = ws_real();            \
	if (WS_UNLIKELY(!R->name)) {                    \
		ws_real_missing(#name);                 \
		return fail;                            \
	}

extern __thread unsigned ws_guard_depth __attribute__((tls_model("initial-exec")));

static inline bool ws_guarded(void) { return ws_guard_depth != 0; }
static inline void ws_guard_enter(void) { ws_guard_depth++; }
static inline void ws_guard_leave(void) { ws_guard_depth--; }

/*
 * The non-blocking calls (mysql_*_start / _cont) run the real call on a
 * coroutine of the real library, which may stop half-way inside one of our
 * entry points it calls (say mysql_real_query, guard entered) and resume in a
 * later _cont: the depth entered there is not left before the _start returns.
 * So these calls set the depth with a margin for that and restore the saved
 * value afterwards, whatever the coroutine left.
 */
#define WS_GUARD_NB_MARGIN 64u
static inline unsigned ws_guard_enter_nb(void)
{
	unsigned d = ws_guard_depth;

	ws_guard_depth = d + WS_GUARD_NB_MARGIN;
	return d;
}
static inline void ws_guard_leave_nb(unsigned saved) { ws_guard_depth = saved; }

/*
 * Exported entry points. Each is defined as ws_impl_<name> and bound to its
 * public, versioned name by the symver attribute, exactly as libmariadb.so.3
 * exports it: libmysqlclient_18 calls as name@@libmysqlclient_18 (default) plus
 * the older alias name@libmariadbclient_18; newer calls under libmariadb_3 or
 * libmariadb_3_3_5. Binaries linked against the real library reference these
 * versioned names, and the dynamic linker binds them to us under LD_PRELOAD only
 * if the versions match.
 *
 * WS_ENTRY(name, node) declares ws_impl_<name> with the type of <mysql.h>'s
 * declaration of `name`, so a definition that differs from the real prototype
 * fails to compile.
 */
#define WS_SYMVER_libmysqlclient_18(name) \
	__attribute__((visibility("default"), symver(#name "@@libmysqlclient_18"), \
		       symver(#name "@libmariadbclient_18")))
#define WS_SYMVER_libmariadb_3(name) \
	__attribute__((visibility("default"), symver(#name "@@libmariadb_3")))
#define WS_SYMVER_libmariadb_3_3_5(name) \
	__attribute__((visibility("default"), symver(#name "@@libmariadb_3_3_5")))
#define WS_ENTRY(name, node) extern __typeof__(name) ws_impl_##name WS_SYMVER_##node(name)
#define WS_FN(name) ws_impl_##name

#endif /* WS_REAL_H */
