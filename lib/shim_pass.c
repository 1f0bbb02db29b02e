/*
 * shim_pass.c — the generated entry points: one per PASS or LAST call in api.def.
 *
 * PASS forwards to the real library. LAST forwards on the connection that ran the
 * handle's last statement (the handle itself until routing says otherwise).
 * Both hold the re-entrancy guard while inside the real library (see real.h).
 */
#include <string.h>

#include "real.h"
#include "route.h"
#include "stmt.h"

#define WS_FAIL_MISSING(ret, name)                \
	do {                                      \
		ret zero_;                        \
		ws_real_missing(#name);           \
		memset(&zero_, 0, sizeof(zero_)); \
		return zero_;                     \
	} while (0)

/*
 * One forwarding body for every generated kind: resolve, then — unless the real
 * library itself is calling (re-entrancy guard) — do BEFORE (pick the handle to
 * answer, note where the call runs), then call the real function under the
 * guard.
 */
#define WS_GEN_FORWARD_G(ret, name, params, args, node, BEFORE, ENTER, LEAVE) \
	WS_ENTRY(name, node);                                 \
	ret WS_FN(name) params                                \
	{                                                     \
		const struct ws_real *R = ws_real();          \
		ret r_;                                       \
		if (WS_UNLIKELY(!R->name))                    \
			WS_FAIL_MISSING(ret, name);           \
		if (!ws_guarded()) {                          \
			BEFORE;                               \
		}                                             \
		ENTER;                                        \
		r_ = R->name args;                            \
		LEAVE;                                        \
		return r_;                                    \
	}
/* Any of these may be a non-blocking call (mysql_*_start / _cont), whose
 * coroutine may leave the depth raised: see ws_guard_enter_nb. */
#define WS_GEN_FORWARD(ret, name, params, args, node, BEFORE) \
	WS_GEN_FORWARD_G(ret, name, params, args, node, BEFORE, unsigned g_ = ws_guard_enter_nb(), ws_guard_leave_nb(g_))
#define WS_GEN_FORWARD_VOID(name, params, args, node, BEFORE) \
	WS_ENTRY(name, node);                                 \
	void WS_FN(name) params                               \
	{                                                     \
		const struct ws_real *R = ws_real();          \
		if (WS_UNLIKELY(!R->name)) {                  \
			ws_real_missing(#name);               \
			return;                               \
		}                                             \
		if (!ws_guarded()) {                          \
			BEFORE;                               \
		}                                             \
		ws_guard_enter();                             \
		R->name args;                                 \
		ws_guard_leave();                             \
	}

/* PASS: forwards on the same handle. */
#define WS_GEN_PASS(ret, name, params, args, node) WS_GEN_FORWARD(ret, name, params, args, node, (void)0)
#define WS_GEN_VOID_PASS(name, params, args, node) WS_GEN_FORWARD_VOID(name, params, args, node, (void)0)
/* LAST: a1 is the application's MYSQL *; answer for the connection that ran its
 * last statement. */
#define WS_GEN_LAST(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, a1 = ws_route_last(a1))
/* PRIM / PRIM2: a call that talks to the server on the application's own
 * connection (the primary), which then answers status calls. */
#define WS_GEN_PRIM(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, ws_route_reset_last(a1))
#define WS_GEN_PRIM2(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, ws_route_reset_last(a2))
#define WS_GEN_VOID_PRIM(name, params, args, node) \
	WS_GEN_FORWARD_VOID(name, params, args, node, ws_route_reset_last(a1))
/* SLAST: a statement call answered by the statement handle that executed last. */
#define WS_GEN_SLAST(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, a1 = ws_stmt_last(a1))
#define WS_GEN_VOID_SLAST(name, params, args, node) \
	WS_GEN_FORWARD_VOID(name, params, args, node, a1 = ws_stmt_last(a1))
/* SPRIM / SPRIM2: statement calls that run on the primary's statement. */
#define WS_GEN_SPRIM(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, ws_stmt_on_primary(a1))
#define WS_GEN_SPRIM2(ret, name, params, args, node) \
	WS_GEN_FORWARD(ret, name, params, args, node, ws_stmt_on_primary(a2))

#define WS_GEN_HOOK(ret, name, params, args, node)
#define WS_GEN_VARG(ret, name, params, args, node)
#define WS_GEN_VOID_HOOK(name, params, args, node)
#define WS_GEN_VOID_VARG(name, params, args, node)

#define WS_API(kind, ret, name, params, args, node) WS_GEN_##kind(ret, name, params, args, node)
#define WS_API_VOID(kind, name, params, args, node) WS_GEN_VOID_##kind(name, params, args, node)
#include "api.def"
