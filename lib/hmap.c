/*
 * hmap.c — see hmap.h.
 */
#include <ck_pr.h>

#include "hmap.h"

static struct ws_hmap_shard *shard_of(struct ws_hmap *map, const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key;

	/* Pointers are aligned and clustered: mix the bits (Fibonacci hashing). */
	h *= 0x9E3779B97F4A7C15ull;
	return &map->shards[h >> (64 - 8)];
}

struct ws_hnode *ws_hmap_get(struct ws_hmap *map, const void *key)
{
	struct ws_hmap_shard *sh;
	struct ws_hnode *n;

	if (!key || ck_pr_load_64(&map->n) == 0)
		return NULL;
	sh = shard_of(map, key);
	pthread_mutex_lock(&sh->lock);
	for (n = sh->head; n; n = n->next)
		if (n->key == key)
			break;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

struct ws_hnode *ws_hmap_get_fill(struct ws_hmap *map, struct ws_hmap_cache *c, const void *key)
{
	/* The generation before the lookup: a removal after it invalidates. */
	uint64_t gen = ck_pr_load_64(&map->gen);
	struct ws_hnode *n = ws_hmap_get(map, key);

	if (n) {
		c->key = key;
		c->node = n;
		c->gen = gen;
	}
	return n;
}

static struct ws_hnode *unlink_locked(struct ws_hmap_shard *sh, const void *key)
{
	for (struct ws_hnode **pp = &sh->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->key == key) {
			struct ws_hnode *n = *pp;

			*pp = n->next;
			return n;
		}
	}
	return NULL;
}

struct ws_hnode *ws_hmap_put(struct ws_hmap *map, struct ws_hnode *node)
{
	struct ws_hmap_shard *sh = shard_of(map, node->key);
	struct ws_hnode *old;

	pthread_mutex_lock(&sh->lock);
	old = unlink_locked(sh, node->key);
	node->next = sh->head;
	sh->head = node;
	pthread_mutex_unlock(&sh->lock);
	if (!old)
		ck_pr_inc_64(&map->n);
	else
		ck_pr_inc_64(&map->gen); /* before the caller frees it */
	return old;
}

struct ws_hnode *ws_hmap_remove(struct ws_hmap *map, const void *key)
{
	struct ws_hmap_shard *sh;
	struct ws_hnode *n;

	if (!key || ck_pr_load_64(&map->n) == 0)
		return NULL;
	sh = shard_of(map, key);
	pthread_mutex_lock(&sh->lock);
	n = unlink_locked(sh, key);
	pthread_mutex_unlock(&sh->lock);
	if (n) {
		ck_pr_dec_64(&map->n);
		ck_pr_inc_64(&map->gen); /* before the caller frees it */
	}
	return n;
}

size_t ws_hmap_count(struct ws_hmap *map)
{
	return (size_t)ck_pr_load_64(&map->n);
}

void ws_hmap_atfork_child(struct ws_hmap *map)
{
	for (unsigned i = 0; i < WS_HMAP_SHARDS; i++)
		pthread_mutex_init(&map->shards[i].lock, NULL);
}
