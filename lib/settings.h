/*
 * settings.h — the process's active configuration, apart from start-up: the
 * value start-up (global.c) published, read by every layer above config
 * (docs/architecture.md, "Modules and layers"). Nothing here loads or starts
 * anything.
 */
#ifndef WS_SETTINGS_H
#define WS_SETTINGS_H

#include <stdint.h>

struct ws_config;

/* The active configuration (at least one cluster, no errors), or NULL when the
 * library is a pure pass-through or start-up (ws_global_init) has not run yet.
 * Borrowed; immutable. */
const struct ws_config *ws_global_config(void);

/* Start-up publishes the configuration it loaded, once (global.c). */
void ws_settings_publish(const struct ws_config *cfg);

/* Bumped in a child after every fork(): a handle created under another
 * generation belongs to an ancestor process and shares its sockets. */
extern uint64_t ws_fork_generation;

#endif /* WS_SETTINGS_H */
