/*
 * global.c — process-wide start-up, the top layer: read the configuration
 * once and publish it (settings.h), set up the log, initialise topology and
 * rules, give the monitor and the rules what the layers above them registered,
 * register the fork handler; and the process-wide public calls, which run
 * start-up first (docs/architecture.md, "Modules and layers").
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ck_pr.h>

#include "pool.h"
#include "ws-build.h"
#include "config.h"
#include "discover.h"
#include "failover.h"
#include "global.h"
#include "log.h"
#include "monitor.h"
#include "routines.h"
#include "rules.h"
#include "real.h"
#include "session.h"
#include "settings.h"
#include "stats.h"
#include "stmt.h"
#include "topology.h"
#include "wescale.h"

#define DEFAULT_CONFIG_PATH "/etc/wescale.conf"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_done;

static void atfork_child(void)
{
	ck_pr_inc_64(&ws_fork_generation);
	ws_session_atfork_child();
	ws_stmt_atfork_child();
	ws_monitor_atfork_child();
	ws_pool_atfork_child();
	ws_stats_atfork_child();
}

static bool env_true(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "no") != 0 &&
	       strcasecmp(v, "off") != 0 && strcasecmp(v, "false") != 0;
}

static void init(void)
{
	const char *path, *env_level;
	enum ws_log_level level = WS_LOG_WARN;
	bool level_from_env = false;
	struct ws_config *cfg = NULL;
	int r;

	pthread_atfork(NULL, NULL, atfork_child);

	env_level = secure_getenv("WESCALE_LOG_LEVEL");
	if (env_level && *env_level) {
		if (ws_log_level_from_string(env_level, &level) == 0)
			level_from_env = true;
		else
			ws_log(WS_LOG_WARN, "WESCALE_LOG_LEVEL=%s is not error|warn|info|debug; using warn",
			       env_level);
	}
	ws_log_configure(level, NULL);

	if (env_true("WESCALE_DISABLE")) {
		ws_log(WS_LOG_INFO, "WESCALE_DISABLE is set: pass-through only");
		goto done;
	}

	path = secure_getenv("WESCALE_CONFIG");
	if (!path || !*path) {
		if (access(DEFAULT_CONFIG_PATH, F_OK) != 0) {
			ws_log(WS_LOG_INFO, "no configuration: WESCALE_CONFIG is not set and " DEFAULT_CONFIG_PATH
			       " does not exist; every connection is a plain pass-through");
			goto done;
		}
		path = DEFAULT_CONFIG_PATH;
	}
	r = ws_config_load_file(path, &cfg);
	if (r < 0) {
		ws_log(WS_LOG_ERROR, "cannot read configuration %s: %s; running as a pass-through",
		       path, strerror(-r));
		goto done;
	}
	if (!level_from_env)
		level = cfg->log_level;
	r = ws_log_configure(level, cfg->log_file);
	if (r < 0)
		ws_log(WS_LOG_ERROR, "cannot open log_file %s: %s; logging to stderr", cfg->log_file,
		       strerror(-r));
	for (size_t i = 0; i < cfg->n_warnings; i++)
		ws_log(WS_LOG_WARN, "%s", cfg->warnings[i]);
	if (cfg->n_errors > 0) {
		for (size_t i = 0; i < cfg->n_errors; i++)
			ws_log(WS_LOG_ERROR, "%s", cfg->errors[i]);
		ws_log(WS_LOG_ERROR, "configuration %s has %zu error(s); running as a pass-through",
		       path, cfg->n_errors);
		ws_config_free(cfg);
		goto done;
	}
	if (cfg->n_clusters == 0) {
		ws_log(WS_LOG_INFO, "configuration %s defines no cluster: pass-through only", path);
		ws_config_free(cfg);
		goto done;
	}
	if (ws_topology_init(cfg) < 0) {
		ws_log(WS_LOG_ERROR, "out of memory at start-up; running as a pass-through");
		ws_config_free(cfg);
		goto done;
	}
	ws_settings_publish(cfg);
	if (ws_rules_init(cfg) < 0)
		ws_log(WS_LOG_ERROR, "out of memory compiling query rules: no rules are applied");
	/* The layers above the monitor and the rules give them their work
	 * (docs/architecture.md, "Modules and layers"). */
	ws_rules_on_reload(ws_failover_config_reloaded);
	ws_monitor_on_read_only(ws_failover_seen_read_only);
	ws_session_set_keeper(ws_pool_put);
	if (ws_monitor_add_task(ws_rules_monitor_task, NULL, 0) < 0 ||
	    ws_monitor_add_task(ws_discover_task, NULL, 0) < 0 ||
	    ws_monitor_add_task(ws_routines_task, NULL, 0) < 0 ||
	    ws_monitor_add_task(ws_pool_monitor_task, NULL, 0) < 0 ||
	    ws_monitor_add_task(ws_stats_monitor_task, NULL, 50) < 0)
		ws_log(WS_LOG_ERROR, "monitor: no room for the rules, discovery, routines, pool and stats tasks");
	if (ws_log_enabled(WS_LOG_INFO)) {
		char names[256] = "";
		size_t used = 0;

		for (size_t i = 0; i < cfg->n_clusters && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
						 cfg->clusters[i].name);
		ws_log(WS_LOG_INFO, "configuration %s loaded: %zu cluster(s) (%s), %zu rule(s)", path,
		       cfg->n_clusters, names, cfg->n_rules);
	}
done:
	ck_pr_store_int(&init_done, 1);
}

void ws_global_init(void)
{
	if (WS_LIKELY(ck_pr_load_int(&init_done)))
		return;
	pthread_once(&init_once, init);
}

const struct ws_config *ws_global_start(void)
{
	ws_global_init();
	return ws_global_config();
}

/* The process-wide public calls: start-up first (an application may call them
 * before it connects), then the module that owns the work. */
WS_EXPORT int wescale_reload_config(void)
{
	ws_global_start();
	return ws_rules_reload();
}

WS_EXPORT size_t wescale_stats_json(char *buf, size_t len)
{
	ws_global_start();
	return ws_stats_json(buf, len);
}

WS_EXPORT int wescale_set_primary(const char *cluster, const char *host_port)
{
	ws_global_start();
	return ws_failover_set_primary(cluster, host_port);
}

WS_EXPORT const char *wescale_version(void)
{
	return WS_VERSION;
}
