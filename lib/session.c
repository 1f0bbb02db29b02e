/*
 * session.c — the side table of per-handle state (see session.h).
 *
 * A fixed array of shards, each a chained bucket list under its own mutex,
 * selected by a hash of the pointer. The lock is held only for the few
 * instructions of a chain walk and is almost never contended (one handle is
 * used by one thread, and handles spread over the shards). When no entry
 * exists at all, a lookup is one atomic load and no lock.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <ck_pr.h>

#include "session.h"

#define N_SHARDS 256

struct shard {
	pthread_mutex_t lock;
	struct ws_session *head;
} __attribute__((aligned(64)));

static struct shard shards[N_SHARDS] = {
	[0 ... N_SHARDS - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL },
};
static uint64_t n_entries;

static struct shard *shard_of(const MYSQL *mysql)
{
	uint64_t h = (uint64_t)(uintptr_t)mysql;

	/* Pointers are aligned and clustered: mix the bits (Fibonacci hashing). */
	h *= 0x9E3779B97F4A7C15ull;
	return &shards[h >> (64 - 8)];
}

struct ws_session *ws_session_get(const MYSQL *mysql)
{
	struct ws_session *s;
	struct shard *sh;

	if (!mysql || ck_pr_load_64(&n_entries) == 0)
		return NULL;
	sh = shard_of(mysql);
	pthread_mutex_lock(&sh->lock);
	for (s = sh->head; s; s = s->next)
		if (s->mysql == mysql)
			break;
	pthread_mutex_unlock(&sh->lock);
	return s;
}

static struct ws_session *unlink_locked(struct shard *sh, const MYSQL *mysql)
{
	for (struct ws_session **pp = &sh->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->mysql == mysql) {
			struct ws_session *s = *pp;

			*pp = s->next;
			return s;
		}
	}
	return NULL;
}

struct ws_session *ws_session_attach(MYSQL *mysql)
{
	struct ws_session *s, *old;
	struct shard *sh;

	if (!mysql)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mysql = mysql;
	sh = shard_of(mysql);
	pthread_mutex_lock(&sh->lock);
	old = unlink_locked(sh, mysql);
	s->next = sh->head;
	sh->head = s;
	pthread_mutex_unlock(&sh->lock);
	if (old)
		free(old);
	else
		ck_pr_inc_64(&n_entries);
	return s;
}

void ws_session_detach(const MYSQL *mysql)
{
	struct ws_session *s;
	struct shard *sh;

	if (!mysql || ck_pr_load_64(&n_entries) == 0)
		return;
	sh = shard_of(mysql);
	pthread_mutex_lock(&sh->lock);
	s = unlink_locked(sh, mysql);
	pthread_mutex_unlock(&sh->lock);
	if (s) {
		ck_pr_dec_64(&n_entries);
		free(s);
	}
}

size_t ws_session_count(void)
{
	return (size_t)ck_pr_load_64(&n_entries);
}

void ws_session_atfork_child(void)
{
	for (unsigned i = 0; i < N_SHARDS; i++)
		pthread_mutex_init(&shards[i].lock, NULL);
}
