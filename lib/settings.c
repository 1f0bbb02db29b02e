/*
 * settings.c — the active configuration, published once by start-up.
 */
#include <ck_pr.h>

#include "settings.h"

static const struct ws_config *active_config;

uint64_t ws_fork_generation;

const struct ws_config *ws_global_config(void)
{
	return ck_pr_load_ptr(&active_config);
}

void ws_settings_publish(const struct ws_config *cfg)
{
	ck_pr_store_ptr(&active_config, cfg);
}
