/*
 * stats.c — statistics (stats.h): the process's live counters (topology.h,
 * rules.h) written as one JSON object, for wescale_stats_json() and for the
 * optional stats socket that `wescale status` reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ck_pr.h>

#include "pool.h"
#include "ws-build.h"
#include "config.h"
#include "decide.h"
#include "settings.h"
#include "gtid.h"
#include "log.h"
#include "real.h"
#include "rules.h"
#include "optimistic.h"
#include "stats.h"
#include "topology.h"
#include "wescale.h"

/* ---- a bounded JSON writer (snprintf semantics) ------------------------- */

struct jw {
	char *buf;
	size_t len;     /* capacity, NUL included */
	size_t pos;     /* length of the whole text so far (may exceed len) */
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->pos < w->len) {
		size_t room = w->len - 1 - w->pos;

		memcpy(w->buf + w->pos, s, n < room ? n : room);
	}
	w->pos += n;
}

static void jw_lit(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void jw_printf(struct jw *w, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jw_raw(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string (or null): quotes, backslashes and control bytes escaped;
 * other bytes as they are (names and addresses are ASCII by validation). */
static void jw_str(struct jw *w, const char *s)
{
	const char *run;

	if (!s) {
		jw_lit(w, "null");
		return;
	}
	jw_lit(w, "\"");
	for (run = s; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		jw_raw(w, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			jw_printf(w, "\\%c", c);
		else
			jw_printf(w, "\\u%04x", c);
		run = s + 1;
	}
	jw_raw(w, run, (size_t)(s - run));
	jw_lit(w, "\"");
}

static void jw_key(struct jw *w, bool *first, const char *key)
{
	if (!*first)
		jw_lit(w, ",");
	*first = false;
	jw_str(w, key);
	jw_lit(w, ":");
}

static void jw_u64(struct jw *w, bool *first, const char *key, uint64_t v)
{
	jw_key(w, first, key);
	jw_printf(w, "%" PRIu64, v);
}

/* WS_UNKNOWN is null. */
static void jw_u64_or_null(struct jw *w, bool *first, const char *key, uint64_t v)
{
	jw_key(w, first, key);
	if (v == WS_UNKNOWN)
		jw_lit(w, "null");
	else
		jw_printf(w, "%" PRIu64, v);
}

/* ---- clusters and nodes ------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * The node's known position as GTID text: MariaDB "domain-server-seq" per
 * domain, MySQL "uuid:1-seq" per source (what is known applied is a prefix).
 * Sources are named by the process-wide registry; when the cluster's flavour is
 * not known yet, a numeric source is a MariaDB domain.
 */
static void jw_gtid(struct jw *w, const struct ws_wm *wm, int flavor)
{
	bool any = false;

	jw_lit(w, "\"");
	for (int i = 0; i < WS_MAX_SOURCES; i++) {
		uint64_t seq = ck_pr_load_64((uint64_t *)&wm->seq[i]);
		uint32_t server = ck_pr_load_32((uint32_t *)&wm->server[i]);
		const char *name = ws_topology_source_name(i);
		bool mariadb;

		if (!seq || seq == WS_UNKNOWN || !*name)
			continue;
		mariadb = flavor >= 0 ? flavor == WS_GTID_MARIADB : all_digits(name);
		if (any)
			jw_lit(w, ",");
		any = true;
		/* Source names are [0-9a-f:_a-z-] by construction (gtid.c). */
		if (mariadb)
			jw_printf(w, "%s-%" PRIu32 "-%" PRIu64, name, server, seq);
		else if (seq == 1)
			jw_printf(w, "%s:1", name);
		else
			jw_printf(w, "%s:1-%" PRIu64, name, seq);
	}
	jw_lit(w, "\"");
}

static void jw_addr(struct jw *w, const struct ws_addr *a)
{
	char tmp[320];

	if (!a || !a->host) {
		jw_lit(w, "null");
		return;
	}
	if (a->is_socket)
		jw_str(w, a->host);
	else {
		snprintf(tmp, sizeof(tmp), "%s:%u", a->host, a->port);
		jw_str(w, tmp);
	}
}

static void jw_node(struct jw *w, const struct ws_addr *addr, struct ws_node_rt *n, bool configured_primary,
		    bool is_writer, int flavor)
{
	int read_only = ck_pr_load_int(&n->read_only);
	bool first = true;

	jw_lit(w, "{");
	jw_key(w, &first, "address");
	jw_addr(w, addr);
	/* The role it plays now: the member writes go to (ws_topology_primary:
	 * the configured primary while up and writable, else a promoted one). */
	jw_key(w, &first, "role");
	jw_lit(w, is_writer ? "\"primary\"" : "\"replica\"");
	jw_key(w, &first, "configured_role");
	jw_lit(w, configured_primary ? "\"primary\"" : "\"replica\"");
	jw_key(w, &first, "up");
	jw_lit(w, ck_pr_load_int(&n->up) ? "true" : "false");
	jw_key(w, &first, "read_only");
	jw_lit(w, read_only < 0 ? "null" : read_only ? "true" : "false");
	jw_u64_or_null(w, &first, "lag_ms", ck_pr_load_64(&n->lag_ms));
	jw_u64_or_null(w, &first, "behind", ck_pr_load_64(&n->behind));
	jw_u64(w, &first, "queries", ck_pr_load_64(&n->queries));
	jw_u64(w, &first, "errors", ck_pr_load_64(&n->errors));
	jw_u64(w, &first, "inflight", ck_pr_load_64(&n->inflight));
	jw_u64(w, &first, "ewma_rt_us", ck_pr_load_64(&n->ewma_rt_us));
	jw_u64(w, &first, "qps", ws_node_qps(n));
	jw_u64(w, &first, "connections", ck_pr_load_64(&n->connections));
	jw_u64(w, &first, "checks_failed", ck_pr_load_64(&n->checks_failed));
	jw_u64(w, &first, "outages", ck_pr_load_64(&n->outages));
	jw_key(w, &first, "discovered");
	jw_lit(w, n->discovered ? "true" : "false"); /* found by discover_replicas, not listed */
	jw_key(w, &first, "gtid");
	jw_gtid(w, &n->known, flavor);
	jw_lit(w, "}");
}

static void jw_cluster(struct jw *w, const struct ws_cluster *c)
{
	struct ws_cluster_rt *rt = ws_topology_cluster(c);
	int flavor = rt ? ck_pr_load_int(&rt->flavor) : -1;
	bool first = true, first_node = true;
	int writer = -1;
	const struct ws_addr *waddr = ws_topology_primary(c, &writer);
	/* No writable member known: the configured roles. */
	bool primary_writes = waddr ? waddr == &c->primary : c->has_primary;

	jw_lit(w, "{");
	jw_key(w, &first, "name");
	jw_str(w, c->name);
	jw_key(w, &first, "flavor");
	jw_lit(w, flavor == WS_GTID_MARIADB ? "\"mariadb\"" : flavor == WS_GTID_MYSQL ? "\"mysql\"" : "\"unknown\"");
	jw_key(w, &first, "load_balance");
	jw_str(w, ws_balance_to_string(c->load_balance));
	jw_key(w, &first, "consistency");
	jw_str(w, ws_consistency_to_string(c->consistency));
	jw_key(w, &first, "nodes");
	jw_lit(w, "[");
	if (rt && c->has_primary) {
		jw_node(w, &c->primary, &rt->primary, true, primary_writes, flavor);
		first_node = false;
	}
	for (size_t i = 0; rt && i < rt->n_replicas && i < ws_cluster_n_readers(c); i++) {
		if (ck_pr_load_int(&rt->replicas[i].vacant))
			continue; /* a discovery slot with no replica in it */
		if (!first_node)
			jw_lit(w, ",");
		first_node = false;
		jw_node(w, ws_cluster_reader(c, i), &rt->replicas[i], false, waddr && writer == (int)i, flavor);
	}
	jw_lit(w, "]");
	jw_key(w, &first, "consistency_outcomes");
	{
		bool f = true;

		jw_lit(w, "{");
		jw_u64(w, &f, "replica_no_wait", rt ? ck_pr_load_64(&rt->stats.replica_no_wait) : 0);
		jw_u64(w, &f, "replica_after_wait", rt ? ck_pr_load_64(&rt->stats.replica_after_wait) : 0);
		jw_u64(w, &f, "primary_after_timeout", rt ? ck_pr_load_64(&rt->stats.primary_after_timeout) : 0);
		jw_u64(w, &f, "wait_us", rt ? ck_pr_load_64(&rt->stats.wait_us) : 0);
		jw_u64(w, &f, "hints_ignored", rt ? ck_pr_load_64(&rt->stats.hints_ignored) : 0);
		jw_lit(w, "}");
	}
	jw_u64(w, &first, "failovers", rt ? ck_pr_load_64(&rt->failovers) : 0);
	jw_u64(w, &first, "failover_stall_ms", rt ? ck_pr_load_64(&rt->failover_stall_ms) : 0);
	jw_u64(w, &first, "lost_write_detections", rt ? ck_pr_load_64(&rt->lost_writes) : 0);
	jw_u64(w, &first, "misrouted", rt ? ck_pr_load_64(&rt->misrouted) : 0);
	jw_lit(w, "}");
}

struct rule_walk {
	struct jw *w;
	bool first;
};

static void jw_rule(const struct ws_rule_stats *st, void *ctx)
{
	struct rule_walk *rw = ctx;
	struct jw *w = rw->w;
	bool first = true;

	if (!rw->first)
		jw_lit(w, ",");
	rw->first = false;
	jw_lit(w, "{");
	jw_key(w, &first, "name");
	jw_str(w, st->name);
	jw_key(w, &first, "action");
	jw_str(w, st->action);
	jw_u64(w, &first, "hits", st->hits);
	jw_u64(w, &first, "fails", st->fails);
	jw_u64(w, &first, "queued", st->queued);
	jw_u64(w, &first, "rejected", st->rejected);
	jw_u64(w, &first, "inflight", st->inflight);
	jw_u64(w, &first, "waiting", st->waiting);
	jw_u64(w, &first, "max_concurrency", st->max_concurrency);
	jw_lit(w, "}");
}

/* Statements routed, per reason (process-wide; decide.h). One shared counter
 * per reason: statements of different handles for the same reason do share a
 * cache line, as the per-cluster counters already do. */
static uint64_t route_reasons[WS_WHY_COUNT];
static uint64_t unsafe_requests;

void ws_stats_count_reason(int reason)
{
	if ((unsigned)reason < WS_WHY_COUNT)
		ck_pr_inc_64(&route_reasons[reason]);
}

void ws_stats_count_unsafe_hint(void)
{
	ck_pr_inc_64(&unsafe_requests);
}

static void jw_reasons(struct jw *w)
{
	bool first = true;

	jw_lit(w, "{");
	for (int r = 0; r < WS_WHY_COUNT; r++)
		jw_u64(w, &first, ws_reason_key((enum ws_reason)r), ck_pr_load_64(&route_reasons[r]));
	jw_u64(w, &first, "replica_request_ignored", ck_pr_load_64(&unsafe_requests));
	jw_lit(w, "}");
}

/* optimistic_transactions: migrations, and the adaptive table. */
struct shape_walk {
	struct jw *w;
	bool first;
};

static void jw_shape(void *arg, const char *shape, uint64_t seen, uint64_t wrote, uint64_t migrations,
		     uint64_t on_primary)
{
	struct shape_walk *sw = arg;
	bool first = true;

	if (!sw->first)
		jw_lit(sw->w, ",");
	sw->first = false;
	jw_lit(sw->w, "{");
	jw_key(sw->w, &first, "shape");
	jw_str(sw->w, shape);
	jw_u64(sw->w, &first, "seen", seen);
	jw_u64(sw->w, &first, "wrote", wrote);
	jw_u64(sw->w, &first, "migrations", migrations);
	jw_u64(sw->w, &first, "started_on_primary", on_primary);
	jw_lit(sw->w, "}");
}

static void jw_optimistic(struct jw *w)
{
	struct shape_walk sw = { .w = w, .first = true };
	uint64_t ok, failed;
	bool first = true;

	ws_opt_counters(&ok, &failed);
	jw_lit(w, "{");
	jw_u64(w, &first, "migrations", ok);
	jw_u64(w, &first, "migrations_failed", failed);
	jw_key(w, &first, "shapes");
	jw_lit(w, "[");
	ws_opt_foreach_shape(jw_shape, &sw);
	jw_lit(w, "]");
	jw_lit(w, "}");
}

size_t ws_stats_json(char *buf, size_t len)
{
	const struct ws_config *cfg = ws_global_config();
	struct jw w = { .buf = buf, .len = buf ? len : 0 };
	struct rule_walk rw = { .w = &w, .first = true };
	bool first = true;

	jw_lit(&w, "{");
	jw_key(&w, &first, "version");
	jw_str(&w, WS_VERSION);
	jw_u64(&w, &first, "pid", (uint64_t)getpid());
	jw_key(&w, &first, "config");
	jw_str(&w, cfg ? cfg->path : NULL);
	jw_key(&w, &first, "clusters");
	jw_lit(&w, "[");
	for (size_t i = 0; cfg && i < cfg->n_clusters; i++) {
		if (i)
			jw_lit(&w, ",");
		jw_cluster(&w, &cfg->clusters[i]);
	}
	jw_lit(&w, "]");
	jw_key(&w, &first, "route_reasons");
	jw_reasons(&w);
	jw_key(&w, &first, "optimistic_transactions");
	jw_optimistic(&w);
	jw_key(&w, &first, "pool");
	{
		char tmp[4096];
		size_t n = ws_pool_json(tmp, sizeof(tmp));

		if (n < sizeof(tmp))
			jw_raw(&w, tmp, n);
		else
			jw_lit(&w, "null");
	}
	jw_key(&w, &first, "rules");
	jw_lit(&w, "[");
	ws_rules_foreach_stats(jw_rule, &rw);
	jw_lit(&w, "]");
	jw_lit(&w, "}");
	if (w.len > 0)
		w.buf[w.pos < w.len ? w.pos : w.len - 1] = '\0';
	return w.pos;
}

/* ---- the stats socket --------------------------------------------------- */

/* "%p" → pid, "%%" → '%'. -ENAMETOOLONG when it does not fit sun_path. */
static int expand_path(const char *path, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = path; *p; p++) {
		char tmp[24];
		const char *add = tmp;

		if (p[0] == '%' && p[1] == 'p') {
			snprintf(tmp, sizeof(tmp), "%ld", (long)getpid());
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			tmp[0] = '%', tmp[1] = '\0';
			p++;
		} else {
			tmp[0] = *p, tmp[1] = '\0';
		}
		if (n + strlen(add) >= size)
			return -ENAMETOOLONG;
		memcpy(out + n, add, strlen(add));
		n += strlen(add);
	}
	out[n] = '\0';
	return n ? 0 : -EINVAL;
}

static int set_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* A socket file already at path: stale (nobody accepts) → removed; live → in use. */
static int claim_path(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	set_addr(&sa, path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	if (r == 0 || r == EAGAIN || r == EINPROGRESS)
		return -EADDRINUSE;
	if (r != ECONNREFUSED)
		return -r;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/*
 * Bind so that the socket is never reachable at `path` with other than mode
 * 0600: bind inside a fresh private directory (mode 0700, mkdtemp) next to the
 * target, chmod, then rename into place. When that name would be too long for
 * sun_path, bind at path directly and chmod at once (a window of a few
 * microseconds with the umask's mode).
 */
static int bind_private(int fd, const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], tmp[sizeof(dir)], copy[sizeof(dir)];
	struct sockaddr_un sa;
	int r;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/.wescale-XXXXXX", dirname(copy)) < sizeof(dir) &&
	    strlen(dir) + 2 < sizeof(dir) && mkdtemp(dir)) {
		snprintf(tmp, sizeof(tmp), "%s/s", dir);
		set_addr(&sa, tmp);
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && chmod(tmp, 0600) == 0 &&
		    rename(tmp, path) == 0 ? 0 : -errno;
		if (r < 0)
			unlink(tmp);
		rmdir(dir);
		return r;
	}
	set_addr(&sa, path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -errno;
	if (chmod(path, 0600) != 0) {
		r = -errno;
		unlink(path);
		return r;
	}
	return 0;
}

int ws_stats_socket_open(const char *path)
{
	char full[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, r;

	if (!path || !*path)
		return -EINVAL;
	r = expand_path(path, full, sizeof(full));
	if (r < 0)
		goto fail;
	r = claim_path(full);
	if (r < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = bind_private(fd, full);
	if (r == 0 && listen(fd, 16) != 0) {
		r = -errno;
		unlink(full);
	}
	if (r < 0) {
		close(fd);
		goto fail;
	}
	ws_log(WS_LOG_INFO, "stats socket listening at %s", full);
	return fd;
fail:
	ws_log(WS_LOG_WARN, "stats_socket = %s: %s; no stats socket", path,
	       r == -EADDRINUSE ? "another process serves that socket" :
	       r == -EEXIST ? "a file that is not a socket is in the way" : strerror(-r));
	return r;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t n = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0)
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

/* Read and discard what the client sent (a request line is allowed and
 * ignored): closing with unread data would reset the connection. */
static void drain(int fd)
{
	char sink[256];

	for (int i = 0; i < 16; i++)
		if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
}

void ws_stats_socket_serve(int fd)
{
	char stack[16384], *json = NULL, *heap = NULL;
	size_t n = 0;

	for (int k = 0; k < 64; k++) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		size_t off = 0;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (!peer_allowed(c)) {
			close(c);
			continue;
		}
		if (!json) {
			/* Once per call, whatever the number of clients. */
			n = ws_stats_json(stack, sizeof(stack));
			json = stack;
			if (n >= sizeof(stack) && (heap = malloc(n + 1)) != NULL) {
				n = ws_stats_json(heap, n + 1);
				json = heap;
			} else if (n >= sizeof(stack)) {
				n = sizeof(stack) - 1; /* out of memory: truncated, still better than nothing */
			}
		}
		drain(c);
		while (off < n) {
			ssize_t w = send(c, json + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* would block or gone: never wait for a client */
			off += (size_t)w;
		}
		if (off < n)
			ws_log(WS_LOG_DEBUG, "stats socket: client did not take the whole reply (%zu of %zu bytes)",
			       off, n);
		drain(c);
		close(c);
	}
	free(heap);
}

/* ---- the monitor task ---------------------------------------------------- */

static int task_fd = -1;  /* the stats socket, served by the monitor thread */
static bool task_opened;  /* opened (or tried) since the thread started */

void ws_stats_monitor_task(void *ctx, unsigned interval_ms, bool stopping)
{
	const struct ws_config *cfg = ws_global_config();

	(void)ctx;
	(void)interval_ms;
	if (stopping) {
		if (task_fd >= 0)
			close(task_fd);
		task_fd = -1;
		task_opened = false;
		return;
	}
	if (!task_opened) {
		task_opened = true;
		if (cfg && cfg->stats_socket) {
			task_fd = ws_stats_socket_open(cfg->stats_socket);
			if (task_fd < 0)
				ws_log(WS_LOG_ERROR, "stats_socket %s: %s", cfg->stats_socket, strerror(-task_fd));
		}
	}
	if (task_fd >= 0)
		ws_stats_socket_serve(task_fd);
}

void ws_stats_atfork_child(void)
{
	/* The parent's socket: the child does not serve it. */
	if (task_fd >= 0)
		close(task_fd);
	task_fd = -1;
	task_opened = false;
}
