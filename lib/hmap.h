/*
 * hmap.h — a thread-safe map from a pointer (a MYSQL or MYSQL_STMT handle) to
 * an intrusive node, for the side tables that hold per-handle state.
 *
 * Sharded: 256 chained buckets lists, each under its own mutex, chosen by a hash
 * of the key. A lock is held for a chain walk only, and handles spread over the
 * shards, so threads using different handles almost never meet. An empty map
 * answers lookups with one atomic load and no lock.
 */
#ifndef WS_HMAP_H
#define WS_HMAP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define WS_HMAP_SHARDS 256

struct ws_hnode {
	const void *key;
	struct ws_hnode *next; /* owned by the map */
};

struct ws_hmap_shard {
	pthread_mutex_t lock;
	struct ws_hnode *head;
} __attribute__((aligned(64)));

struct ws_hmap {
	struct ws_hmap_shard shards[WS_HMAP_SHARDS];
	uint64_t n;
};

#define WS_HMAP_INIT { .shards = { [0 ... WS_HMAP_SHARDS - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL } }, .n = 0 }

/* The node for key, or NULL. */
struct ws_hnode *ws_hmap_get(struct ws_hmap *map, const void *key);
/* Insert node (node->key set by the caller); returns the node it replaced for
 * the same key (for the caller to free), or NULL. */
struct ws_hnode *ws_hmap_put(struct ws_hmap *map, struct ws_hnode *node);
/* Remove and return the node for key, or NULL. */
struct ws_hnode *ws_hmap_remove(struct ws_hmap *map, const void *key);
size_t ws_hmap_count(struct ws_hmap *map);
/* After fork(), in the child: make the locks usable again. */
void ws_hmap_atfork_child(struct ws_hmap *map);

#endif /* WS_HMAP_H */
