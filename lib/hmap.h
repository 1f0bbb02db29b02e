/*
 * hmap.h — a thread-safe map from a pointer (a MYSQL or MYSQL_STMT handle) to
 * an intrusive node, for the side tables that hold per-handle state.
 *
 * Sharded: 256 chained buckets lists, each under its own mutex, chosen by a hash
 * of the key. A lock is held for a chain walk only, and handles spread over the
 * shards, so threads using different handles almost never meet. An empty map
 * answers lookups with one atomic load and no lock.
 *
 * In front of it, a one-entry cache per thread (ws_hmap_get_cached): one
 * handle is used by one thread at a time, so a thread asks for the same key
 * over and over (query, store_result, fetch, errno, …), and a hit takes no
 * lock and no call. Safety: every removal (remove, or put replacing a node)
 * bumps the map's generation before the node is handed back to be freed, and a
 * cached node is used only under the generation it was found with. A thread
 * cannot be using a handle whose node another thread is removing (the C API's
 * contract), so a valid cache entry always points at a live node.
 */
#ifndef WS_HMAP_H
#define WS_HMAP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <ck_pr.h>

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
	uint64_t gen; /* bumped by every removal */
};

#define WS_HMAP_INIT { .shards = { [0 ... WS_HMAP_SHARDS - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL } }, .n = 0 }

/* A thread's one-entry cache in front of a map (a __thread variable). */
struct ws_hmap_cache {
	const void *key;
	struct ws_hnode *node;
	uint64_t gen;
};

/* The node for key, or NULL. */
struct ws_hnode *ws_hmap_get(struct ws_hmap *map, const void *key);
/* The same, remembering a found node in *c. */
struct ws_hnode *ws_hmap_get_fill(struct ws_hmap *map, struct ws_hmap_cache *c, const void *key);

/* The node for key, or NULL, answered from *c when it holds key. */
static inline struct ws_hnode *ws_hmap_get_cached(struct ws_hmap *map, struct ws_hmap_cache *c, const void *key)
{
	if (key && c->key == key && c->gen == ck_pr_load_64(&map->gen))
		return c->node;
	return ws_hmap_get_fill(map, c, key);
}
/* Insert node (node->key set by the caller); returns the node it replaced for
 * the same key (for the caller to free), or NULL. */
struct ws_hnode *ws_hmap_put(struct ws_hmap *map, struct ws_hnode *node);
/* Remove and return the node for key, or NULL. */
struct ws_hnode *ws_hmap_remove(struct ws_hmap *map, const void *key);
size_t ws_hmap_count(struct ws_hmap *map);
/* After fork(), in the child: make the locks usable again. */
void ws_hmap_atfork_child(struct ws_hmap *map);

#endif /* WS_HMAP_H */
