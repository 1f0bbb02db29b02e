/*
 * pool.c — the per-process pool of idle replica connections (pool.h).
 *
 * One list under one mutex: it is touched when a handle needs a new replica
 * connection or lets one go, never on the query path.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ck_pr.h>

#include "config.h"
#include "settings.h"
#include "log.h"
#include "pool.h"
#include "real.h"
#include "safety.h"
#include "topology.h"

struct entry {
	struct entry *next;
	MYSQL *mysql;
	char *key;             /* equivalence key (holds the password: never logged) */
	size_t key_len;
	char node[80];         /* host:port, for stats */
	char **vars;           /* name, value, name, value, … the session state it holds */
	size_t n_vars;         /* pairs */
	char *db;              /* its current database (NULL: none) */
	bool dirty;            /* reset before reuse */
	uint64_t since_ms;
	uint64_t outage;       /* ws_conn.outage of the connection */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *head;
static size_t n_idle;
static uint64_t n_put, n_taken, n_reset, n_closed_idle, n_refused;

/* ---- the key ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put_bytes(struct buf *b, const void *d, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* A string with its length (NULL distinct from ""). */
static void put_s(struct buf *b, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;

	put_bytes(b, &n, sizeof(n));
	if (s)
		put_bytes(b, s, strlen(s));
}

static char *make_key(const struct ws_session *s, const struct ws_addr *a, size_t *len)
{
	struct buf b = { 0 };
	unsigned long flags = ws_safety_replica_flags(s);

	put_s(&b, s->cluster->name);
	put_s(&b, a->host);
	put_bytes(&b, &a->port, sizeof(a->port));
	put_bytes(&b, &a->is_socket, sizeof(a->is_socket));
	put_s(&b, s->user);
	put_s(&b, s->password);
	put_s(&b, s->db);
	put_bytes(&b, &flags, sizeof(flags));
	for (size_t i = 0; i < s->n_opts; i++) {
		const struct ws_optrec *o = &s->opts[i];

		put_bytes(&b, &o->option, sizeof(o->option));
		put_bytes(&b, &o->kind, sizeof(o->kind));
		put_bytes(&b, &o->value_was_null, sizeof(o->value_was_null));
		put_bytes(&b, &o->v, sizeof(o->v));
		for (unsigned k = 0; k < 5; k++)
			put_s(&b, o->s[k]);
		put_bytes(&b, o->p, sizeof(o->p));
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- entries ---- */

static void free_entry(struct entry *e)
{
	if (e->key) {
		explicit_bzero(e->key, e->key_len);
		free(e->key);
	}
	for (size_t i = 0; i < 2 * e->n_vars; i++)
		free(e->vars[i]);
	free(e->vars);
	free(e->db);
	free(e);
}

static void close_mysql(MYSQL *m)
{
	const struct ws_real *R = ws_real();

	ws_guard_enter();
	R->mysql_close(m);
	ws_guard_leave();
}

/* Unlink the entries idle too long into *out (lock held). */
static void expire_locked(uint64_t now, struct entry **out)
{
	const struct ws_config *cfg = ws_global_config();
	uint64_t limit = cfg ? cfg->pool_idle_timeout_ms : 0;

	for (struct entry **pp = &head; *pp;) {
		struct entry *e = *pp;

		if (now - e->since_ms >= limit) {
			*pp = e->next;
			e->next = *out;
			*out = e;
			n_idle--;
			n_closed_idle++;
		} else {
			pp = &e->next;
		}
	}
}

static void close_list(struct entry *e)
{
	while (e) {
		struct entry *next = e->next;

		close_mysql(e->mysql);
		free_entry(e);
		e = next;
	}
}

static const char *var_value(const struct ws_session *s, const char *name)
{
	for (size_t i = 0; i < s->n_vars; i++)
		if (strcasecmp(s->vars[i].name, name) == 0)
			return s->vars[i].value;
	return NULL;
}

static const char *target_db(const struct ws_session *s)
{
	return s->cur_db ? s->cur_db : s->db;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * Is m idle: no result or reply the application left unread? Without network
 * traffic: more results pending, or a result not yet (fully) read (the client
 * library then refuses mysql_next_result as out of sync), or bytes waiting on
 * its socket (a reply nobody read).
 */
static bool idle(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	unsigned char b;
	int fd, r;

	ws_guard_enter();
	r = R->mysql_more_results(m) ? 1 : R->mysql_next_result(m);
	fd = R->mysql_get_socket ? (int)R->mysql_get_socket(m) : -1;
	ws_guard_leave();
	if (r != -1 || fd < 0)
		return false;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int ws_pool_put(struct ws_session *s, struct ws_conn *c)
{
	const struct ws_config *cfg = ws_global_config();
	const struct ws_addr *a;
	struct entry *e, *expired = NULL;
	size_t per_node = 0;
	uint64_t now = ws_now_ms();

	/* (Options set since it connected: the key below, made of the session's
	 * options now, would not describe it — a character set for the next
	 * mysql_change_user, say.) */
	if (!cfg || !cfg->pool_max || !s->cluster || !s->cluster->pool_max_per_node || !c->mysql || c->failed ||
	    c->no_pool || c->opts_at != s->n_opts || ws_session_inherited(s) || !idle(c->mysql))
		return -1;
	a = ws_cluster_reader(s->cluster, c->node);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->mysql = c->mysql;
	e->since_ms = now;
	e->outage = c->outage;
	snprintf(e->node, sizeof(e->node), "%s:%u", a->host, a->port);
	e->key = make_key(s, a, &e->key_len);
	/* What it holds: the session's state when it applied all of it, else unknown. */
	e->dirty = c->dirty || c->ro_unsure || s->state_unknown || c->applied_gen != s->state_gen ||
		   (s->ro_trx >= 0 && &s->replicas[s->ro_trx] == c);
	if (!e->dirty && s->n_vars) {
		e->vars = calloc(2 * s->n_vars, sizeof(*e->vars));
		for (size_t i = 0; e->vars && i < s->n_vars; i++) {
			if (!(e->vars[2 * i] = strdup(s->vars[i].name)) ||
			    !(e->vars[2 * i + 1] = strdup(s->vars[i].value))) {
				e->n_vars = i + 1;
				e->dirty = true;
				break;
			}
			e->n_vars = i + 1;
		}
		if (!e->vars)
			e->dirty = true;
	}
	if (!e->dirty && target_db(s) && !(e->db = strdup(target_db(s))))
		e->dirty = true;
	if (!e->key) {
		free_entry(e);
		return -1;
	}
	pthread_mutex_lock(&lock);
	expire_locked(now, &expired);
	for (struct entry *x = head; x; x = x->next)
		if (strcmp(x->node, e->node) == 0)
			per_node++;
	if (n_idle >= cfg->pool_max || per_node >= s->cluster->pool_max_per_node) {
		n_refused++;
		pthread_mutex_unlock(&lock);
		close_list(expired);
		e->mysql = NULL;
		free_entry(e);
		return -1;
	}
	e->next = head;
	head = e;
	n_idle++;
	n_put++;
	pthread_mutex_unlock(&lock);
	close_list(expired);
	return 0;
}

/* Can e serve s without a reset? Every variable e's session set must be set
 * again by s's replay (a variable s never set cannot be undone by a SET), and
 * the database must be one s can select. *exact: nothing to do at all. */
static bool fits(const struct entry *e, const struct ws_session *s, bool *exact)
{
	const char *db = target_db(s);

	*exact = false;
	if (e->dirty)
		return false;
	if (!same_str(e->db, db) && !db)
		return false;
	for (size_t i = 0; i < e->n_vars; i++)
		if (!var_value(s, e->vars[2 * i]))
			return false;
	if (e->n_vars == s->n_vars && same_str(e->db, db)) {
		*exact = true;
		for (size_t i = 0; i < e->n_vars; i++)
			if (strcmp(var_value(s, e->vars[2 * i]), e->vars[2 * i + 1]) != 0)
				*exact = false;
	}
	return true;
}

MYSQL *ws_pool_take(struct ws_session *s, const struct ws_conn *c, uint64_t *applied_gen, uint64_t *outage)
{
	const struct ws_real *R = ws_real();
	const struct ws_addr *a = ws_cluster_reader(s->cluster, c->node);
	struct ws_node_rt *node = &ws_topology_cluster(s->cluster)->replicas[c->node];
	unsigned cap = s->cluster->max_connections_per_node;
	struct entry *e = NULL, *expired = NULL, **pick = NULL;
	bool exact = false, fit = false;
	size_t key_len;
	char *key;
	MYSQL *m;
	const char *db = target_db(s);

	if (!ck_pr_load_ptr(&head) || ws_session_inherited(s))
		return NULL;
	key = make_key(s, a, &key_len);
	if (!key)
		return NULL;
	*outage = ck_pr_load_64(&node->outages);
	pthread_mutex_lock(&lock);
	expire_locked(ws_now_ms(), &expired);
	/* Prefer one that needs nothing, then one a replay fixes, then a reset. */
	for (struct entry **pp = &head; *pp;) {
		struct entry *x = *pp;
		bool ex, f;

		if (x->key_len != key_len || memcmp(x->key, key, key_len) != 0) {
			pp = &x->next;
			continue;
		}
		if (x->outage != *outage) {
			/* Opened before the server's latest outage: dead with it.
			 * (Only links after *pick's entry change: pick stays valid.) */
			*pp = x->next;
			x->next = expired;
			expired = x;
			n_idle--;
			continue;
		}
		f = fits(x, s, &ex);
		/* Without a database, a reset cannot promise "no database". */
		if ((f || db) && (!pick || (ex && !exact) || (f && !fit))) {
			pick = pp;
			exact = ex;
			fit = f;
			if (ex)
				break;
		}
		pp = &x->next;
	}
	if (pick) {
		e = *pick;
		*pick = e->next;
		n_idle--;
		n_taken++;
		if (!fit)
			n_reset++;
	}
	pthread_mutex_unlock(&lock);
	explicit_bzero(key, key_len);
	free(key);
	close_list(expired);
	if (!e)
		return NULL;
	m = e->mysql;
	if (ck_pr_faa_64(&node->connections, 1) >= cap && cap) {
		ck_pr_dec_64(&node->connections);
		close_mysql(m);
		free_entry(e);
		return NULL;
	}
	*applied_gen = exact ? s->state_gen : 0;
	if (!fit) {
		int r;

		/* Temporary tables, user variables, an open transaction, variables
		 * this session never set: only a reset undoes them. The reset ends
		 * the read-only session too, and what the application's
		 * MYSQL_INIT_COMMAND set: both again, as after a connect. */
		ws_guard_enter();
		r = R->mysql_reset_connection(m);
		ws_guard_leave();
		if (r || ws_safety_replica_init(s, m) < 0 || ws_safety_read_only(m) < 0)
			goto fail;
	}
	if (!exact && db && (!fit || (!same_str(e->db, db) && !(s->cur_db && s->db_gen)))) {
		int r;

		ws_guard_enter();
		r = R->mysql_select_db(m, db);
		ws_guard_leave();
		if (r)
			goto fail;
	}
	free_entry(e);
	return m;
fail:
	ws_log(WS_LOG_INFO, "a pooled connection to %s could not be reused: closed", e->node);
	ck_pr_dec_64(&node->connections);
	close_mysql(m);
	free_entry(e);
	return NULL;
}

void ws_pool_sweep(uint64_t now_ms)
{
	struct entry *expired = NULL;

	if (!ck_pr_load_ptr(&head))
		return;
	pthread_mutex_lock(&lock);
	expire_locked(now_ms, &expired);
	pthread_mutex_unlock(&lock);
	close_list(expired);
}

void ws_pool_close_all(void)
{
	struct entry *all;

	pthread_mutex_lock(&lock);
	all = head;
	head = NULL;
	n_idle = 0;
	pthread_mutex_unlock(&lock);
	close_list(all);
}

void ws_pool_atfork_child(void)
{
	/* The lock may have been held by another thread of the parent. */
	pthread_mutex_init(&lock, NULL);
	for (struct entry *e = head, *next; e; e = next) {
		next = e->next;
		/* The parent's socket: point it at /dev/null, so the close says
		 * nothing on it, then free the handle. */
		ws_session_disown_socket(e->mysql);
		close_mysql(e->mysql);
		free_entry(e);
	}
	head = NULL;
	n_idle = 0;
}

size_t ws_pool_size(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = n_idle;
	pthread_mutex_unlock(&lock);
	return n;
}

size_t ws_pool_json(char *buf, size_t len)
{
	size_t pos = 0;
	int n;

	pthread_mutex_lock(&lock);
	n = snprintf(buf, len,
		     "{\"idle\":%zu,\"put\":%" PRIu64 ",\"taken\":%" PRIu64 ",\"reset\":%" PRIu64
		     ",\"closed_idle\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"connections\":[",
		     n_idle, n_put, n_taken, n_reset, n_closed_idle, n_refused);
	pos = n > 0 ? (size_t)n : 0;
	for (struct entry *e = head; e; e = e->next) {
		/* Node names come from the configuration: host names and ports. */
		n = snprintf(pos < len ? buf + pos : NULL, pos < len ? len - pos : 0,
			     "%s{\"node\":\"%s\",\"idle_ms\":%" PRIu64 ",\"reset_needed\":%s}", e == head ? "" : ",",
			     e->node, ws_now_ms() - e->since_ms, e->dirty ? "true" : "false");
		pos += n > 0 ? (size_t)n : 0;
	}
	n = snprintf(pos < len ? buf + pos : NULL, pos < len ? len - pos : 0, "]}");
	pos += n > 0 ? (size_t)n : 0;
	pthread_mutex_unlock(&lock);
	return pos;
}

/* At process exit: say goodbye on the pooled connections. */
__attribute__((destructor)) static void pool_at_exit(void)
{
	if (head)
		ws_pool_close_all();
}

void ws_pool_monitor_task(void *ctx, unsigned interval_ms, bool stopping)
{
	(void)ctx;
	(void)interval_ms;
	if (!stopping)
		ws_pool_sweep(ws_now_ms());
}
