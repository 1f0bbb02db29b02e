/*
 * global.h — library-wide state: started once (config, log), rebuilt after fork.
 */
#ifndef WS_GLOBAL_H
#define WS_GLOBAL_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"

/* Load the configuration and set up logging, once per process. Cheap after the
 * first call. Never fails: problems are logged and leave the library a
 * pass-through. */
void ws_global_init(void);

/* The active configuration (at least one cluster, no errors), or NULL when the
 * library is a pure pass-through. Borrowed; immutable. */
const struct ws_config *ws_global_config(void);

/* Bumped in a child after every fork(): a handle created under another
 * generation belongs to an ancestor process and shares its sockets. */
extern uint64_t ws_fork_generation;

#endif /* WS_GLOBAL_H */
