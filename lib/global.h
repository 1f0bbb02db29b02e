/*
 * global.h — process start-up, the top layer: started once (config, log,
 * topology, rules, the monitor tasks), rebuilt after fork. The configuration
 * itself is read through settings.h.
 */
#ifndef WS_GLOBAL_H
#define WS_GLOBAL_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "settings.h"

/* Load the configuration and set up logging, once per process. Cheap after the
 * first call. Never fails: problems are logged and leave the library a
 * pass-through. */
void ws_global_init(void);

/* The configuration start-up published (settings.h), after running start-up
 * if it has not run yet: for the process-wide public calls
 * (wescale_reload_config, wescale_stats_json, wescale_set_primary), which an
 * application may make before it connects. */
const struct ws_config *ws_global_start(void);

#endif /* WS_GLOBAL_H */
