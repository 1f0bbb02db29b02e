/*
 * shim_varg.c — the variadic calls of the client API.
 *
 * C cannot forward "..." as such. mysql_load_plugin has a va_list twin in the
 * real library; for the others, the number of extra arguments depends on the
 * option, and we read exactly what Connector/C itself reads for that option.
 */
#include <stdarg.h>
#include <stddef.h>

#include "real.h"

/* Connector/C's mysql_optionsv reads two values for these options, one otherwise. */
static unsigned optionsv_extra(enum mysql_option option)
{
	switch (option) {
	case MYSQL_OPT_CONNECT_ATTR_ADD:
	case MARIADB_OPT_USERDATA:
		return 2;
	default:
		return 1;
	}
}

WS_ENTRY(mysql_optionsv, libmariadb_3);
int WS_FN(mysql_optionsv)(MYSQL *mysql, enum mysql_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *arg1, *arg2 = NULL;
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mysql_optionsv)) {
		ws_real_missing("mysql_optionsv");
		return 1;
	}
	va_start(ap, option);
	arg1 = va_arg(ap, void *);
	if (optionsv_extra(option) == 2)
		arg2 = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	if (optionsv_extra(option) == 2)
		r = R->mysql_optionsv(mysql, option, arg1, arg2);
	else
		r = R->mysql_optionsv(mysql, option, arg1);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mysql_get_optionv, libmysqlclient_18);
int WS_FN(mysql_get_optionv)(MYSQL *mysql, enum mysql_option option, void *arg, ...)
{
	const struct ws_real *R = ws_real();
	void *x1 = NULL, *x2 = NULL;
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mysql_get_optionv)) {
		ws_real_missing("mysql_get_optionv");
		return 1;
	}
	va_start(ap, arg);
	ws_guard_enter();
	switch (option) {
	case MYSQL_OPT_CONNECT_ATTRS: /* (&keys, &values, &count) */
		x1 = va_arg(ap, void *);
		x2 = va_arg(ap, void *);
		r = R->mysql_get_optionv(mysql, option, arg, x1, x2);
		break;
	case MARIADB_OPT_USERDATA: /* (key, &value) */
		x1 = va_arg(ap, void *);
		r = R->mysql_get_optionv(mysql, option, arg, x1);
		break;
	default:
		r = R->mysql_get_optionv(mysql, option, arg);
		break;
	}
	ws_guard_leave();
	va_end(ap);
	return r;
}

WS_ENTRY(mariadb_get_infov, libmariadb_3);
my_bool WS_FN(mariadb_get_infov)(MYSQL *mysql, enum mariadb_value value, void *arg, ...)
{
	const struct ws_real *R = ws_real();
	va_list ap;
	my_bool r;

	if (WS_UNLIKELY(!R->mariadb_get_infov)) {
		ws_real_missing("mariadb_get_infov");
		return 1;
	}
	va_start(ap, arg);
	ws_guard_enter();
	switch (value) {
	case MARIADB_CHARSET_NAME: /* (&cs, const char *name) */
		r = R->mariadb_get_infov(mysql, value, arg, va_arg(ap, const char *));
		break;
	case MARIADB_CHARSET_ID: /* (&cs, unsigned int nr) */
		r = R->mariadb_get_infov(mysql, value, arg, va_arg(ap, unsigned int));
		break;
	default:
		r = R->mariadb_get_infov(mysql, value, arg);
		break;
	}
	ws_guard_leave();
	va_end(ap);
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

/*
 * The binlog API's option calls take at most two values (MARIADB_RPL_FILENAME:
 * name and length; MARIADB_RPL_HOST: host and port… ); the rest take one. We
 * pass two pointer-sized values on: the callee reads what the option needs.
 * Reading an extra unpassed argument is harmless on the register-passing ABIs
 * this library targets (x86-64, AArch64), where the slot was saved by va_start.
 */
WS_ENTRY(mariadb_rpl_optionsv, libmariadb_3);
int WS_FN(mariadb_rpl_optionsv)(MARIADB_RPL *rpl, enum mariadb_rpl_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *x1, *x2;
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mariadb_rpl_optionsv)) {
		ws_real_missing("mariadb_rpl_optionsv");
		return 1;
	}
	va_start(ap, option);
	x1 = va_arg(ap, void *);
	x2 = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mariadb_rpl_optionsv(rpl, option, x1, x2);
	ws_guard_leave();
	return r;
}

WS_ENTRY(mariadb_rpl_get_optionsv, libmariadb_3);
int WS_FN(mariadb_rpl_get_optionsv)(MARIADB_RPL *rpl, enum mariadb_rpl_option option, ...)
{
	const struct ws_real *R = ws_real();
	void *x1, *x2;
	va_list ap;
	int r;

	if (WS_UNLIKELY(!R->mariadb_rpl_get_optionsv)) {
		ws_real_missing("mariadb_rpl_get_optionsv");
		return 1;
	}
	va_start(ap, option);
	x1 = va_arg(ap, void *);
	x2 = va_arg(ap, void *);
	va_end(ap);
	ws_guard_enter();
	r = R->mariadb_rpl_get_optionsv(rpl, option, x1, x2);
	ws_guard_leave();
	return r;
}
