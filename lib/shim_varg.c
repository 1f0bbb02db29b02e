/*
 * shim_varg.c — the variadic calls of the client API.
 *
 * C cannot forward "..." as such. mysql_load_plugin has a va_list twin in the
 * real library. For the option calls, how many extra values the callee reads
 * depends on the option (and libmariadb calls mysql_optionsv on itself through
 * our export, e.g. MARIADB_OPT_STATUS_CALLBACK with two values), so we pass on
 * a fixed number of pointer-sized values and let the callee read what it needs.
 *
 * Why that is safe: on the register-passing ABIs this library supports (x86-64
 * SysV: 6 integer registers; AArch64: 8), the fixed parameters plus WS_VA_EXTRA
 * extra values all fit in argument registers, which va_start saves. Reading a
 * value the caller did not pass yields an unspecified register value, never a
 * fault, and it is forwarded to a callee that ignores it.
 */
#include <stdarg.h>
#include <stddef.h>

#include "real.h"
#include "session.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "shim_varg.c forwards variadic arguments by register; check the ABI before porting"
#endif

#define WS_VA_EXTRA 4 /* (MYSQL *, option) + 4 = the 6 integer argument registers of x86-64 */

WS_ENTRY(mysql_optionsv, libmariadb_3);
int WS_FN(mysql_optionsv)(MYSQL *mysql, enum mysql_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *x[WS_VA_EXTRA];
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mysql_optionsv)) {
		ws_real_missing("mysql_optionsv");
		return 1;
	}
	va_start(ap, option);
	for (unsigned i = 0; i < WS_VA_EXTRA; i++)
		x[i] = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mysql_optionsv(mysql, option, x[0], x[1], x[2], x[3]);
	ws_guard_leave();
	if (r == 0 && !ws_guarded()) {
		/* Recorded so replica connections are made with the same options. */
		struct ws_session *s = ws_session_get(mysql);

		if (s && ws_session_record_option(s, option, x[0], x[1]) < 0)
			s->state_unknown = true;
	}
	return r;
}

WS_ENTRY(mysql_get_optionv, libmysqlclient_18);
int WS_FN(mysql_get_optionv)(MYSQL *mysql, enum mysql_option option, void *arg, ...)
{
	const struct ws_real *R = ws_real();
	void *x[WS_VA_EXTRA - 1];
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mysql_get_optionv)) {
		ws_real_missing("mysql_get_optionv");
		return 1;
	}
	va_start(ap, arg);
	for (unsigned i = 0; i < WS_VA_EXTRA - 1; i++)
		x[i] = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mysql_get_optionv(mysql, option, arg, x[0], x[1], x[2]);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mariadb_get_infov, libmariadb_3);
my_bool WS_FN(mariadb_get_infov)(MYSQL *mysql, enum mariadb_value value, void *arg, ...)
{
	const struct ws_real *R = ws_real();
	void *x[WS_VA_EXTRA - 1];
	va_list ap;
	my_bool r;

	if (WS_UNLIKELY(!R->mariadb_get_infov)) {
		ws_real_missing("mariadb_get_infov");
		return 1;
	}
	va_start(ap, arg);
	for (unsigned i = 0; i < WS_VA_EXTRA - 1; i++)
		x[i] = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mariadb_get_infov(mysql, value, arg, x[0], x[1], x[2]);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_load_plugin, libmysqlclient_18);
struct st_mysql_client_plugin *WS_FN(mysql_load_plugin)(struct st_mysql *mysql, const char *name,
							  int type, int argc, ...)
{
	const struct ws_real *R = ws_real();
	struct st_mysql_client_plugin *p;
	va_list ap;

	if (WS_UNLIKELY(!R->mysql_load_plugin_v)) {
		ws_real_missing("mysql_load_plugin_v");
		return NULL;
	}
	va_start(ap, argc);
	ws_guard_enter();
	p = R->mysql_load_plugin_v(mysql, name, type, argc, ap);
	ws_guard_leave();
	va_end(ap);
	return p;
}

/* The binlog API's option calls: the same forwarding as mysql_optionsv. */
WS_ENTRY(mariadb_rpl_optionsv, libmariadb_3);
int WS_FN(mariadb_rpl_optionsv)(MARIADB_RPL *rpl, enum mariadb_rpl_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *x[WS_VA_EXTRA];
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mariadb_rpl_optionsv)) {
		ws_real_missing("mariadb_rpl_optionsv");
		return 1;
	}
	va_start(ap, option);
	for (unsigned i = 0; i < WS_VA_EXTRA; i++)
		x[i] = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mariadb_rpl_optionsv(rpl, option, x[0], x[1], x[2], x[3]);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mariadb_rpl_get_optionsv, libmariadb_3);
int WS_FN(mariadb_rpl_get_optionsv)(MARIADB_RPL *rpl, enum mariadb_rpl_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *x[WS_VA_EXTRA];
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mariadb_rpl_get_optionsv)) {
		ws_real_missing("mariadb_rpl_get_optionsv");
		return 1;
	}
	va_start(ap, option);
	for (unsigned i = 0; i < WS_VA_EXTRA; i++)
		x[i] = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mariadb_rpl_get_optionsv(rpl, option, x[0], x[1], x[2], x[3]);
	ws_guard_leave();
	return r;
}
