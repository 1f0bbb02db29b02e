/*
 * real.c — resolve the real client library once (docs/architecture.md).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ws-build.h"
#include "real.h"
#include "log.h"

struct ws_real ws_real_fns;
int ws_real_state;
__thread unsigned ws_guard_depth __attribute__((tls_model("initial-exec")));

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static void *real_handle; /* dlopen()ed library, or NULL when RTLD_NEXT served */
static bool real_found;

static void resolve(void)
{
	void *scope = RTLD_NEXT;

	/*
	 * Preload, or an application that links libmariadb as well: the next object
	 * in the search order defines the API. Linked with -lwescale alone: nothing
	 * after us does, so load the library ourselves. RTLD_LOCAL keeps its symbols
	 * out of the global scope, where they would compete with ours.
	 */
	if (!dlsym(RTLD_NEXT, "mysql_init")) {
		const char *path = secure_getenv("WESCALE_REAL_LIBRARY");

		if (!path || !*path)
			path = WS_REAL_LIBRARY;
		real_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!real_handle) {
			const char *err = dlerror();

			ws_log(WS_LOG_ERROR, "cannot load the client library %s: %s", path,
			       err ? err : "unknown error");
			goto done;
		}
		scope = real_handle;
	}
	real_found = true;

#define WS_API(kind, ret, name, params, args, node) \
	*(void **)&ws_real_fns.name = dlsym(scope, #name);
#define WS_API_VOID(kind, name, params, args, node) \
	*(void **)&ws_real_fns.name = dlsym(scope, #name);
#include "api.def"
#undef WS_API
#undef WS_API_VOID

done:
	/* Publishes the table before the state flag; pairs with ws_real()'s load fence. */
	ck_pr_fence_store();
	ck_pr_store_int(&ws_real_state, 1);
}

void ws_real_resolve(void)
{
	pthread_once(&resolve_once, resolve);
}

bool ws_real_loaded(void)
{
	ws_real_resolve();
	return real_found;
}

void ws_real_missing(const char *name)
{
	/* Rare path: a small fixed list of names already reported, under a lock. */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const char *seen[32];
	static unsigned n_seen;
	bool first = true;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < n_seen; i++)
		if (seen[i] == name)
			first = false;
	if (first && n_seen < 32)
		seen[n_seen++] = name;
	pthread_mutex_unlock(&lock);
	if (first)
		ws_log(WS_LOG_ERROR, "the client library does not provide %s(); the call fails", name);
}
