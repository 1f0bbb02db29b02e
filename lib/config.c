/*
 * config.c — the configuration file (docs/architecture.md): INI text → struct ws_config.
 *
 * One pass over the lines. Each section is built in the parser (p->cl or
 * p->rule) and validated when the next header or the end of the text is
 * reached: a cluster without nodes is dropped, a rule with any error is
 * dropped, everything else is kept. Errors never stop the pass; they are
 * collected (at most MAX_MESSAGES), then sorted by line so that the checks
 * made at the end of a section read in file order.
 *
 * No global state, no output, no abort: the text in, a value or -errno out.
 * Out of memory is sticky (p->oom) and turns the whole result into -ENOMEM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "safefuncs.h"
#include "wescale.h"

#define MAX_FILE_SIZE (1024 * 1024)
#define MAX_LINE 65536
#define MAX_MESSAGES 100
#define MS_MAX 86400000
#define COUNT_MAX 1000000
#define SIZE_MAX_CONF 1073741824 /* 1 GiB */
#define DEFAULT_PORT 3306
#define SUN_PATH_MAX 107     /* sizeof(sockaddr_un.sun_path) - 1 */
#define ECHO_MAX 80          /* longest piece of user text quoted in a message */
#define ECHO_BUF (ECHO_MAX + 4)

struct span {
	const char *p;
	size_t n;
};

enum sect { S_NONE, S_GLOBAL, S_CLUSTER, S_RULE, S_SKIP };

struct choice {
	const char *name;
	int value;
	bool alias;             /* accepted, but not listed in messages */
};
#define CH(name, value) { name, value, false }
#define ALIAS(name, value) { name, value, true }
#define END { NULL, 0, false }

static const struct choice log_level_choices[] = {
	CH("error", WS_LOG_ERROR), CH("warn", WS_LOG_WARN), CH("info", WS_LOG_INFO),
	CH("debug", WS_LOG_DEBUG), ALIAS("warning", WS_LOG_WARN), END,
};
static const struct choice balance_choices[] = {
	CH("least_rt", WS_BALANCE_LEAST_RT), CH("least_qps", WS_BALANCE_LEAST_QPS),
	CH("least_behind_primary", WS_BALANCE_LEAST_BEHIND_PRIMARY), CH("random", WS_BALANCE_RANDOM),
	CH("round_robin", WS_BALANCE_ROUND_ROBIN), END,
};
static const struct choice consistency_choices[] = {
	CH("eventual", WESCALE_CONSISTENCY_EVENTUAL), CH("session", WESCALE_CONSISTENCY_SESSION),
	CH("instance", WESCALE_CONSISTENCY_INSTANCE), CH("global", WESCALE_CONSISTENCY_GLOBAL),
	CH("primary", WESCALE_CONSISTENCY_PRIMARY), END,
};
static const struct choice ro_trx_choices[] = {
	CH("replica", WS_RO_TRX_REPLICA), CH("primary", WS_RO_TRX_PRIMARY), END,
};
static const struct choice opt_trx_choices[] = {
	CH("adaptive", WS_OPT_TRX_ADAPTIVE), CH("on", WS_OPT_TRX_ON), CH("off", WS_OPT_TRX_OFF),
	ALIAS("true", WS_OPT_TRX_ON), ALIAS("false", WS_OPT_TRX_OFF), ALIAS("yes", WS_OPT_TRX_ON),
	ALIAS("no", WS_OPT_TRX_OFF), ALIAS("1", WS_OPT_TRX_ON), ALIAS("0", WS_OPT_TRX_OFF), END,
};
static const struct choice fallback_choices[] = {
	CH("primary", WS_FALLBACK_PRIMARY), CH("error", WS_FALLBACK_ERROR), END,
};
static const struct choice bool_choices[] = {
	CH("on", 1), CH("off", 0), ALIAS("true", 1), ALIAS("false", 0), ALIAS("yes", 1), ALIAS("no", 0),
	ALIAS("1", 1), ALIAS("0", 0), END,
};
static const struct choice kind_choices[] = {
	CH("select", WS_STMT_SELECT), CH("insert", WS_STMT_INSERT), CH("update", WS_STMT_UPDATE),
	CH("delete", WS_STMT_DELETE), CH("replace", WS_STMT_REPLACE), CH("ddl", WS_STMT_DDL),
	CH("set", WS_STMT_SET), CH("other", WS_STMT_OTHER), END,
};
static const struct choice action_choices[] = {
	CH("fail", WS_RULE_FAIL), CH("route", WS_RULE_ROUTE), CH("continue", WS_RULE_CONTINUE),
	CH("limit", WS_RULE_LIMIT), END,
};

enum vtype { T_STR, T_STR_EMPTY_OK, T_CHOICE, T_NUM, T_ADDR, T_ADDRS, T_ROUTE };

/* The index of a key is its bit in parser.seen. */
enum key_id {
	K_LOG_LEVEL, K_LOG_FILE, K_STATS_SOCKET, K_ALLOW_READABLE_PASSWORD,
	K_PRIMARY, K_REPLICAS, K_NODES, K_LOAD_BALANCE, K_CONSISTENCY, K_CONSISTENCY_TIMEOUT,
	K_MAX_REPLICA_LAG, K_HEALTH_INTERVAL, K_FAILOVER_TIMEOUT, K_GLOBAL_CACHE,
	K_REPLICA_IDLE_TIMEOUT, K_POOL_MAX_PER_NODE, K_POOL_MAX, K_POOL_IDLE_TIMEOUT, K_REPLICA_READ_TIMEOUT, K_MAX_CONNECTIONS,
	K_RO_TRX, K_FALLBACK, K_TRX_REPLAY, K_TRX_REPLAY_MAX_SIZE, K_OPT_TRX, K_ASSUME_WRITE,
	K_MONITOR_USER, K_MONITOR_PASSWORD, K_SAFE_FUNCS, K_PRIMARY_FUNCS,
	K_DISCOVER, K_DISCOVER_MAX, K_DISCOVER_GRACE, K_HEARTBEAT_TABLE, K_HEARTBEAT_COLUMN,
	K_PRIORITY, K_MATCH_KIND, K_QUERY_REGEX, K_USER, K_DATABASE, K_ACTION, K_ERROR_MESSAGE,
	K_ROUTE, K_RULE_CONSISTENCY, K_MAX_CONCURRENCY, K_MAX_QUEUE, K_QUEUE_TIMEOUT, K_LOG,
	K_COUNT
};
#define BIT(k) (UINT64_C(1) << (k))

struct keydef {
	const char *name;
	enum sect sect;
	enum vtype type;
	long long min, max;                 /* T_NUM */
	const struct choice *choices;       /* T_CHOICE */
};

static const struct keydef keydefs[K_COUNT] = {
	[K_LOG_LEVEL] = { "log_level", S_GLOBAL, T_CHOICE, 0, 0, log_level_choices },
	[K_LOG_FILE] = { "log_file", S_GLOBAL, T_STR, 0, 0, NULL },
	[K_STATS_SOCKET] = { "stats_socket", S_GLOBAL, T_STR, 0, 0, NULL },
	[K_ALLOW_READABLE_PASSWORD] = { "allow_readable_password", S_GLOBAL, T_CHOICE, 0, 0, bool_choices },
	[K_PRIMARY] = { "primary", S_CLUSTER, T_ADDR, 0, 0, NULL },
	[K_REPLICAS] = { "replicas", S_CLUSTER, T_ADDRS, 0, 0, NULL },
	[K_NODES] = { "nodes", S_CLUSTER, T_ADDRS, 0, 0, NULL },
	[K_LOAD_BALANCE] = { "load_balance", S_CLUSTER, T_CHOICE, 0, 0, balance_choices },
	[K_CONSISTENCY] = { "consistency", S_CLUSTER, T_CHOICE, 0, 0, consistency_choices },
	[K_CONSISTENCY_TIMEOUT] = { "consistency_timeout_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_MAX_REPLICA_LAG] = { "max_replica_lag_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_HEALTH_INTERVAL] = { "health_interval_ms", S_CLUSTER, T_NUM, 10, MS_MAX, NULL },
	[K_FAILOVER_TIMEOUT] = { "failover_timeout_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_GLOBAL_CACHE] = { "global_cache_ms", S_CLUSTER, T_NUM, 0, 1000, NULL },
	[K_REPLICA_IDLE_TIMEOUT] = { "replica_idle_timeout_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_POOL_MAX_PER_NODE] = { "pool_max_per_node", S_CLUSTER, T_NUM, 0, COUNT_MAX, NULL },
	[K_POOL_MAX] = { "pool_max", S_GLOBAL, T_NUM, 0, COUNT_MAX, NULL },
	[K_POOL_IDLE_TIMEOUT] = { "pool_idle_timeout_ms", S_GLOBAL, T_NUM, 0, MS_MAX, NULL },
	[K_REPLICA_READ_TIMEOUT] = { "replica_read_timeout_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_MAX_CONNECTIONS] = { "max_connections_per_node", S_CLUSTER, T_NUM, 0, COUNT_MAX, NULL },
	[K_RO_TRX] = { "read_only_transactions", S_CLUSTER, T_CHOICE, 0, 0, ro_trx_choices },
	[K_FALLBACK] = { "replica_fallback", S_CLUSTER, T_CHOICE, 0, 0, fallback_choices },
	[K_TRX_REPLAY] = { "transaction_replay", S_CLUSTER, T_CHOICE, 0, 0, bool_choices },
	[K_TRX_REPLAY_MAX_SIZE] = { "transaction_replay_max_size", S_CLUSTER, T_NUM, 0, SIZE_MAX_CONF, NULL },
	[K_OPT_TRX] = { "optimistic_transactions", S_CLUSTER, T_CHOICE, 0, 0, opt_trx_choices },
	[K_ASSUME_WRITE] = { "assume_write_transactions", S_CLUSTER, T_CHOICE, 0, 0, bool_choices },
	[K_MONITOR_USER] = { "monitor_user", S_CLUSTER, T_STR, 0, 0, NULL },
	[K_MONITOR_PASSWORD] = { "monitor_password", S_CLUSTER, T_STR_EMPTY_OK, 0, 0, NULL },
	[K_SAFE_FUNCS] = { "replica_safe_functions", S_CLUSTER, T_STR, 0, 0, NULL },
	[K_PRIMARY_FUNCS] = { "primary_functions", S_CLUSTER, T_STR, 0, 0, NULL },
	[K_DISCOVER] = { "discover_replicas", S_CLUSTER, T_CHOICE, 0, 0, bool_choices },
	[K_DISCOVER_MAX] = { "discover_max_replicas", S_CLUSTER, T_NUM, 1, 32, NULL },
	[K_DISCOVER_GRACE] = { "discover_grace_ms", S_CLUSTER, T_NUM, 0, MS_MAX, NULL },
	[K_HEARTBEAT_TABLE] = { "heartbeat_table", S_CLUSTER, T_STR, 0, 0, NULL },
	[K_HEARTBEAT_COLUMN] = { "heartbeat_column", S_CLUSTER, T_STR, 0, 0, NULL },
	[K_PRIORITY] = { "priority", S_RULE, T_NUM, INT_MIN, INT_MAX, NULL },
	[K_MATCH_KIND] = { "match_kind", S_RULE, T_CHOICE, 0, 0, kind_choices },
	[K_QUERY_REGEX] = { "query_regex", S_RULE, T_STR, 0, 0, NULL },
	[K_USER] = { "user", S_RULE, T_STR, 0, 0, NULL },
	[K_DATABASE] = { "database", S_RULE, T_STR, 0, 0, NULL },
	[K_ACTION] = { "action", S_RULE, T_CHOICE, 0, 0, action_choices },
	[K_ERROR_MESSAGE] = { "error_message", S_RULE, T_STR, 0, 0, NULL },
	[K_ROUTE] = { "route", S_RULE, T_ROUTE, 0, 0, NULL },
	[K_RULE_CONSISTENCY] = { "consistency", S_RULE, T_CHOICE, 0, 0, consistency_choices },
	[K_MAX_CONCURRENCY] = { "max_concurrency", S_RULE, T_NUM, 1, COUNT_MAX, NULL },
	[K_MAX_QUEUE] = { "max_queue", S_RULE, T_NUM, 0, COUNT_MAX, NULL },
	[K_QUEUE_TIMEOUT] = { "queue_timeout_ms", S_RULE, T_NUM, 0, MS_MAX, NULL },
	[K_LOG] = { "log", S_RULE, T_CHOICE, 0, 0, bool_choices },
};

/* A string → index map (open addressing) for duplicate section names and
 * addresses; linear in the size of the file even when it is hostile. */
struct smap {
	struct smap_entry {
		char *key;
		size_t val;
	} *v;
	size_t cap, n;
};

struct msgs {
	struct msg {
		char *s;
		unsigned line, seq;
	} *v;
	size_t n, cap;
	bool full;                     /* more than MAX_MESSAGES were reported */
};

struct parser {
	struct ws_config *cfg;
	const char *name;
	unsigned line;
	bool oom;
	bool has_password;             /* a key naming a password was given */
	bool allow_readable_password;  /* [global] allow_readable_password = yes */
	struct msgs errs, warns;
	struct smap sections;          /* "c:NAME", "r:NAME", "g:" → header line */
	struct smap addrs;             /* node identity → cluster index */
	size_t clusters_cap, rules_cap;
	/* The section being read. */
	enum sect sect;
	bool sect_bad;                 /* an error was reported in it */
	uint64_t seen;                 /* keys given in it (valid or not) */
	unsigned key_line[K_COUNT];
	char label[ECHO_MAX + 16];     /* "[cluster NAME]" for messages */
	struct ws_cluster cl;
	struct ws_rule_conf rule;
};

/* ---- small helpers ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct span trim(struct span s)
{
	while (s.n && is_ws(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_ws(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

/* User text quoted in a message: at most ECHO_MAX bytes, control bytes shown as '?'. */
static const char *echo(struct span s, char *buf)
{
	size_t n = s.n > ECHO_MAX ? ECHO_MAX - 3 : s.n;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < s.n)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

static const char *echo_str(const char *s, char *buf)
{
	return echo((struct span){ s, strlen(s) }, buf);
}

/* Levenshtein distance, case-insensitive; SIZE_MAX when a is too long to matter. */
static size_t edit_distance(struct span a, const char *b)
{
	size_t bn = strlen(b), row[41], diag, tmp;

	if (a.n > 40 || bn > 40)
		return SIZE_MAX;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= a.n; i++) {
		diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t best = diag + (lower(a.p[i - 1]) != lower(b[j - 1]));

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			diag = tmp;
		}
	}
	return row[bn];
}

/* ---- messages ---- */

static void msgs_vadd(struct parser *p, struct msgs *m, unsigned line, const char *fmt, va_list ap)
{
	char *body, *s;
	int r;

	if (p->oom)
		return;
	if (m->n >= MAX_MESSAGES) {
		m->full = true;
		return;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct msg *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		m->v = v;
		m->cap = cap;
	}
	if (vasprintf(&body, fmt, ap) < 0)
		goto oom;
	r = line ? asprintf(&s, "%s:%u: %s", p->name, line, body) : asprintf(&s, "%s: %s", p->name, body);
	free(body);
	if (r < 0)
		goto oom;
	m->v[m->n] = (struct msg){ s, line, (unsigned)m->n };
	m->n++;
	return;
oom:
	p->oom = true;
}

__attribute__((format(printf, 3, 4)))
static void err(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	p->sect_bad = true;
	va_start(ap, fmt);
	msgs_vadd(p, &p->errs, line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void warn(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgs_vadd(p, &p->warns, line, fmt, ap);
	va_end(ap);
}

static int cmp_msg(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].s);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Moves the messages into *out in line order (stable: end-of-section checks
 * are reported late but belong to earlier lines). */
static void msgs_take(struct parser *p, struct msgs *m, const char *what, char ***out, size_t *n_out)
{
	size_t n = m->n;
	bool full = m->full;
	char **v;

	if (p->oom || (n == 0 && !full))
		return;
	v = malloc((n + 1) * sizeof(*v));
	if (!v || (full && asprintf(&v[n], "%s: too many %s; only the first %d are listed", p->name,
				    what, MAX_MESSAGES) < 0)) {
		free(v);
		p->oom = true;
		return;
	}
	qsort(m->v, n, sizeof(*m->v), cmp_msg);
	for (size_t i = 0; i < n; i++)
		v[i] = m->v[i].s;
	free(m->v);
	memset(m, 0, sizeof(*m));
	*out = v;
	*n_out = n + full;
}

/* ---- string map ---- */

/* The entry holding key, or the free slot where it goes (FNV-1a, linear probing). */
static struct smap_entry *smap_slot(struct smap_entry *v, size_t cap, const char *key)
{
	uint64_t h = 14695981039346656037u;
	size_t i;

	for (const char *c = key; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211u;
	for (i = (size_t)h & (cap - 1); v[i].key && strcmp(v[i].key, key) != 0; i = (i + 1) & (cap - 1))
		;
	return &v[i];
}

/* Inserts key (taking it) with val: returns 0, or 1 and *old when the key was
 * already there, or -ENOMEM; key is freed unless inserted. */
static int smap_put(struct smap *m, char *key, size_t val, size_t *old)
{
	struct smap_entry *e;

	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct smap_entry *v = calloc(cap, sizeof(*v));

		if (!v) {
			free(key);
			return -ENOMEM;
		}
		for (size_t k = 0; k < m->cap; k++)
			if (m->v[k].key)
				*smap_slot(v, cap, m->v[k].key) = m->v[k];
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	e = smap_slot(m->v, m->cap, key);
	if (e->key) {
		*old = e->val;
		free(key);
		return 1;
	}
	*e = (struct smap_entry){ key, val };
	m->n++;
	return 0;
}

static void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
}

/* ---- addresses ---- */

static bool parse_uint(struct span s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]) || (v = v * 10 + (unsigned long)(s.p[i] - '0')) > max)
			return false;
	}
	*out = v;
	return s.n > 0;
}

static bool valid_ipv6(struct span s)
{
	const char *pct = memchr(s.p, '%', s.n);
	size_t an = pct ? (size_t)(pct - s.p) : s.n;
	struct in6_addr a6;
	char buf[64];

	if (an == 0 || an >= sizeof(buf) || (pct && pct + 1 == s.p + s.n))
		return false;
	for (const char *z = pct ? pct + 1 : s.p + s.n; z < s.p + s.n; z++) /* zone: fe80::1%eth0 */
		if (!is_alnum(*z) && *z != '_' && *z != '.' && *z != '-')
			return false;
	memcpy(buf, s.p, an);
	buf[an] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

#define ADDR_FAIL(msg) do { *why = (msg); return -EINVAL; } while (0)

/* 0, -EINVAL with *why set, or -ENOMEM. */
static int addr_parse(struct span t, unsigned default_port, struct ws_addr *a, const char **why)
{
	struct span host, port = { NULL, 0 };
	const char *sep;
	unsigned long v;
	bool has_port = false;

	memset(a, 0, sizeof(*a));
	a->weight = 1;
	t = trim(t);
	for (size_t i = t.n; i-- > 0;) {
		if (t.p[i] != '@')
			continue;
		if (!parse_uint((struct span){ t.p + i + 1, t.n - i - 1 }, 1000, &v) || v < 1)
			ADDR_FAIL("weight must be a number from 1 to 1000 (HOST:PORT@N)");
		a->weight = (unsigned)v;
		t.n = i;
		break;
	}
	if (t.n == 0)
		ADDR_FAIL("empty address");
	/* "unix:3306" is the host "unix" on port 3306; "unix:/x" a socket. */
	if (t.n >= 5 && span_ieq((struct span){ t.p, 5 }, "unix:") &&
	    !parse_uint((struct span){ t.p + 5, t.n - 5 }, 100000000, &v)) {
		host = (struct span){ t.p + 5, t.n - 5 };
		if (host.n == 0 || host.p[0] != '/')
			ADDR_FAIL("a unix socket path must be absolute (unix:/path/to/socket)");
		if (host.n > SUN_PATH_MAX)
			ADDR_FAIL("unix socket path is too long (at most 107 bytes)");
		a->is_socket = true;
	} else if (t.p[0] == '[') {
		if (!(sep = memchr(t.p, ']', t.n)))
			ADDR_FAIL("missing ']' after the IPv6 address");
		host = (struct span){ t.p + 1, (size_t)(sep - t.p - 1) };
		if (!valid_ipv6(host))
			ADDR_FAIL("invalid IPv6 address");
		if (sep + 1 < t.p + t.n && sep[1] != ':')
			ADDR_FAIL("expected ':PORT' after ']'");
		has_port = sep + 1 < t.p + t.n;
		if (has_port)
			port = (struct span){ sep + 2, (size_t)(t.p + t.n - sep - 2) };
	} else {
		sep = memchr(t.p, ':', t.n);
		host = (struct span){ t.p, sep ? (size_t)(sep - t.p) : t.n };
		has_port = sep != NULL;
		if (has_port)
			port = (struct span){ sep + 1, (size_t)(t.p + t.n - sep - 1) };
		if (memchr(port.p ? port.p : t.p, ':', port.n))
			ADDR_FAIL("an IPv6 address must be written in brackets ([::1]:3306)");
		if (host.n == 0)
			ADDR_FAIL("missing host name");
		if (host.n > 253)
			ADDR_FAIL("host name is too long");
		for (size_t i = 0; i < host.n; i++)
			/* '_' too: container and service names use it, resolvers accept it. */
			if (!is_alnum(host.p[i]) && host.p[i] != '.' && host.p[i] != '-' && host.p[i] != '_')
				ADDR_FAIL("invalid host name (letters, digits, '_', '.' and '-' only)");
	}
	if (has_port && (!parse_uint(port, 65535, &v) || v == 0))
		ADDR_FAIL("port must be a number from 1 to 65535");
	a->port = has_port ? (unsigned)v : a->is_socket ? 0 : default_port;
	a->host = strndup(host.p, host.n);
	return a->host ? 0 : -ENOMEM;
}

int ws_config_parse_addr(const char *text, size_t len, unsigned default_port, struct ws_addr *a)
{
	const char *why;

	if (!a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (!text || memchr(text, '\0', len))
		return -EINVAL;
	return addr_parse((struct span){ text, len }, default_port, a, &why);
}

static void addrs_free(struct ws_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].host);
	free(v);
}

/* ---- sections ---- */

static void cluster_clear(struct ws_cluster *c)
{
	free(c->name);
	free(c->primary.host);
	addrs_free(c->replicas, c->n_replicas);
	addrs_free(c->nodes, c->n_nodes);
	free(c->monitor_user);
	free(c->replica_safe_functions);
	free(c->primary_functions);
	free(c->heartbeat_table);
	free(c->heartbeat_column);
	if (c->monitor_password)
		explicit_bzero(c->monitor_password, strlen(c->monitor_password));
	free(c->monitor_password);
	memset(c, 0, sizeof(*c));
}

static void rule_clear(struct ws_rule_conf *r)
{
	free(r->name);
	free(r->query_regex);
	free(r->user);
	free(r->database);
	free(r->error_message);
	free(r->route_addr.host);
	memset(r, 0, sizeof(*r));
}

/* ---- values ---- */

/*
 * The value part of `key = value`: unquoted text ends at a '#' or ';' that
 * follows whitespace (a comment) and is trimmed; a value starting with '"' runs
 * to the closing quote, \" and \\ being the only escapes (a regex's \s stays).
 * *owned is set when the value had to be copied (quoted).
 */
static bool get_value(struct parser *p, struct span key, struct span raw, struct span *v, char **owned)
{
	bool ws = raw.n == 0 || is_ws(raw.p[0]); /* a comment right after "= " */
	char ke[ECHO_BUF], *out;
	size_t i, o = 0;

	*owned = NULL;
	raw = trim(raw);
	if (raw.n == 0 || raw.p[0] != '"') {
		for (i = 0; i < raw.n; i++)
			if ((raw.p[i] == '#' || raw.p[i] == ';') && (i ? is_ws(raw.p[i - 1]) : ws))
				break;
		*v = trim((struct span){ raw.p, i });
		return true;
	}
	if (!(out = malloc(raw.n))) {
		p->oom = true;
		return false;
	}
	for (i = 1; i < raw.n && raw.p[i] != '"'; i++) {
		if (raw.p[i] == '\\' && i + 1 < raw.n && (raw.p[i + 1] == '"' || raw.p[i + 1] == '\\'))
			i++;
		out[o++] = raw.p[i];
	}
	*v = (struct span){ out, o };
	*owned = out;
	if (i >= raw.n) {
		err(p, p->line, "%s: unterminated quoted value (missing '\"')", echo(key, ke));
		return false;
	}
	for (i++, ws = false; i < raw.n && is_ws(raw.p[i]); i++)
		ws = true;
	if (i < raw.n && !(ws && (raw.p[i] == '#' || raw.p[i] == ';'))) {
		err(p, p->line, "%s: unexpected text after the closing quote", echo(key, ke));
		return false;
	}
	return true;
}

static bool parse_choice(struct parser *p, const struct keydef *kd, struct span key, struct span v, int *out)
{
	char list[256], ke[ECHO_BUF], ve[ECHO_BUF];
	size_t len = 0, total = 0, k = 0;

	for (const struct choice *c = kd->choices; c->name; c++) {
		if (span_ieq(v, c->name)) {
			*out = c->value;
			return true;
		}
		total += !c->alias;
	}
	for (const struct choice *c = kd->choices; c->name && len < sizeof(list); c++) {
		if (c->alias)
			continue;
		k++;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					k == 1 ? "" : k == total ? " or " : ", ", c->name);
	}
	err(p, p->line, "%s = %s: expected %s", echo(key, ke), echo(v, ve), list);
	return false;
}

static bool parse_num(struct parser *p, const struct keydef *kd, struct span key, struct span v, long long *out)
{
	char ke[ECHO_BUF], ve[ECHO_BUF];
	bool neg = v.n > 1 && v.p[0] == '-' && kd->min < 0, ok = v.n > 0;
	long long x = 0;

	for (size_t i = neg; ok && i < v.n; i++)
		if ((ok = is_digit(v.p[i]) && x <= (LLONG_MAX - 9) / 10))
			x = x * 10 + (v.p[i] - '0');
	x = neg ? -x : x;
	if (ok && x >= kd->min && x <= kd->max) {
		*out = x;
		return true;
	}
	err(p, p->line, "%s = %s: expected %s from %lld to %lld", echo(key, ke), echo(v, ve),
	    key.n > 3 && span_ieq((struct span){ key.p + key.n - 3, 3 }, "_ms") ?
	    "a number of milliseconds" : "a whole number", kd->min, kd->max);
	return false;
}

static bool parse_addr_list(struct parser *p, struct span key, struct span v, struct ws_addr **out,
			    size_t *n_out)
{
	char ke[ECHO_BUF], ve[ECHO_BUF];
	size_t n = 1, at = 0, empty = 0;
	struct ws_addr *list;
	const char *why;
	bool ok = true;

	for (size_t i = 0; i < v.n; i++)
		n += v.p[i] == ',';
	if (!(list = calloc(n, sizeof(*list)))) {
		p->oom = true;
		return false;
	}
	for (size_t k = 0; k < n; k++) {
		const char *comma = memchr(v.p + at, ',', v.n - at);
		size_t el_n = comma ? (size_t)(comma - v.p) - at : v.n - at;
		struct span el = trim((struct span){ v.p + at, el_n });
		int r = -EINVAL;

		if (el.n == 0) {
			if (!empty++) /* once per list */
				err(p, p->line, "%s = %s: empty element in the list", echo(key, ke), echo(v, ve));
		} else if ((r = addr_parse(el, DEFAULT_PORT, &list[k], &why)) == -ENOMEM) {
			p->oom = true;
		} else if (r < 0) {
			err(p, p->line, "%s = %s: %s", echo(key, ke), echo(el, ve), why);
		}
		ok = ok && r == 0;
		at += el_n + 1;
	}
	if (!ok) {
		addrs_free(list, n);
		return false;
	}
	*out = list;
	*n_out = n;
	return true;
}

/* ---- keys ---- */

static void apply_int(struct parser *p, enum key_id id, long long v)
{
	struct ws_cluster *c = &p->cl;
	struct ws_rule_conf *r = &p->rule;

	switch (id) {
	case K_LOG_LEVEL: p->cfg->log_level = (enum ws_log_level)v; break;
	case K_ALLOW_READABLE_PASSWORD: p->allow_readable_password = v != 0; break;
	case K_LOAD_BALANCE: c->load_balance = (enum ws_balance)v; break;
	case K_CONSISTENCY: c->consistency = (int)v; break;
	case K_CONSISTENCY_TIMEOUT: c->consistency_timeout_ms = (unsigned)v; break;
	case K_MAX_REPLICA_LAG: c->max_replica_lag_ms = (unsigned)v; break;
	case K_HEALTH_INTERVAL: c->health_interval_ms = (unsigned)v; break;
	case K_FAILOVER_TIMEOUT: c->failover_timeout_ms = (unsigned)v; break;
	case K_GLOBAL_CACHE: c->global_cache_ms = (unsigned)v; break;
	case K_REPLICA_IDLE_TIMEOUT: c->replica_idle_timeout_ms = (unsigned)v; break;
	case K_POOL_MAX_PER_NODE: c->pool_max_per_node = (unsigned)v; break;
	case K_POOL_MAX: p->cfg->pool_max = (unsigned)v; break;
	case K_POOL_IDLE_TIMEOUT: p->cfg->pool_idle_timeout_ms = (unsigned)v; break;
	case K_REPLICA_READ_TIMEOUT: c->replica_read_timeout_ms = (unsigned)v; break;
	case K_MAX_CONNECTIONS: c->max_connections_per_node = (unsigned)v; break;
	case K_RO_TRX: c->read_only_transactions = (enum ws_ro_trx)v; break;
	case K_FALLBACK: c->replica_fallback = (enum ws_fallback)v; break;
	case K_TRX_REPLAY: c->transaction_replay = v != 0; break;
	case K_TRX_REPLAY_MAX_SIZE: c->transaction_replay_max_size = (unsigned)v; break;
	case K_OPT_TRX: c->optimistic_transactions = (enum ws_opt_trx)v; break;
	case K_ASSUME_WRITE: c->assume_write_transactions = v != 0; break;
	case K_DISCOVER: c->discover_replicas = v != 0; break;
	case K_DISCOVER_MAX: c->discover_max_replicas = (unsigned)v; break;
	case K_DISCOVER_GRACE: c->discover_grace_ms = (unsigned)v; break;
	case K_PRIORITY: r->priority = (int)v; break;
	case K_MATCH_KIND: r->match_kind = (int)v; break;
	case K_ACTION: r->action = (enum ws_rule_action)v; break;
	case K_RULE_CONSISTENCY: r->consistency = (int)v; break;
	case K_MAX_CONCURRENCY: r->max_concurrency = (unsigned)v; break;
	case K_MAX_QUEUE: r->max_queue = (unsigned)v; break;
	case K_QUEUE_TIMEOUT: r->queue_timeout_ms = (unsigned)v; break;
	case K_LOG: r->log = v != 0; break;
	default: break;
	}
}

/* Where a string key is stored (NULL until set: duplicates are refused earlier). */
static char **str_field(struct parser *p, enum key_id id)
{
	switch (id) {
	case K_LOG_FILE: return &p->cfg->log_file;
	case K_STATS_SOCKET: return &p->cfg->stats_socket;
	case K_MONITOR_USER: return &p->cl.monitor_user;
	case K_SAFE_FUNCS: return &p->cl.replica_safe_functions;
	case K_PRIMARY_FUNCS: return &p->cl.primary_functions;
	case K_HEARTBEAT_TABLE: return &p->cl.heartbeat_table;
	case K_HEARTBEAT_COLUMN: return &p->cl.heartbeat_column;
	case K_MONITOR_PASSWORD: return &p->cl.monitor_password;
	case K_QUERY_REGEX: p->rule.query_regex_line = p->line; return &p->rule.query_regex;
	case K_USER: return &p->rule.user;
	case K_DATABASE: return &p->rule.database;
	case K_ERROR_MESSAGE: return &p->rule.error_message;
	default: return NULL;
	}
}

/* For did-you-mean: name if it is closer to s than *best_d, else best. */
static const char *closest(struct span s, const char *name, const char *best, size_t *best_d)
{
	size_t d = edit_distance(s, name);

	if (d < *best_d) {
		*best_d = d;
		return name;
	}
	return best;
}

static void unknown_key(struct parser *p, struct span key)
{
	static const char *const sect_names[] = { "", "[global]", "[cluster NAME]", "[rule NAME]" };
	const char *best = NULL, *elsewhere = NULL;
	size_t best_d = 3;
	char ke[ECHO_BUF];

	/* Past the error cap the message is dropped: skip the edit distances. */
	for (int k = 0; k < K_COUNT && p->errs.n < MAX_MESSAGES; k++) {
		if (keydefs[k].sect == p->sect)
			best = closest(key, keydefs[k].name, best, &best_d);
		else if (!elsewhere && span_ieq(key, keydefs[k].name))
			elsewhere = sect_names[keydefs[k].sect];
	}
	if (elsewhere)
		err(p, p->line, "unknown key '%s' in %s; it belongs in %s", echo(key, ke), p->label, elsewhere);
	else if (best)
		err(p, p->line, "unknown key '%s' in %s; did you mean '%s'?", echo(key, ke), p->label, best);
	else
		err(p, p->line, "unknown key '%s' in %s", echo(key, ke), p->label);
}

static void handle_key(struct parser *p, struct span key, struct span raw)
{
	char ke[ECHO_BUF], ve[ECHO_BUF], *owned = NULL, **dst;
	const struct keydef *kd;
	const char *why;
	long long num;
	struct span v;
	int k, r, ch;

	if (p->sect == S_NONE) {
		err(p, p->line, "key '%s' before any section; put it under [global], [cluster NAME] or [rule NAME]",
		    echo(key, ke));
		return;
	}
	/* Any key that names a password (known or not) makes the file secret. */
	for (size_t i = 0; i + 8 <= key.n && !p->has_password; i++)
		if (strncasecmp(key.p + i, "password", 8) == 0)
			p->has_password = true;
	k = -1;
	for (int i = 0; i < K_COUNT && k < 0; i++)
		if (keydefs[i].sect == p->sect && span_ieq(key, keydefs[i].name))
			k = i;
	if (k < 0) {
		unknown_key(p, key);
		return;
	}
	kd = &keydefs[k];
	if (p->seen & BIT(k)) {
		err(p, p->line, "duplicate key '%s' in %s (first set on line %u)", kd->name, p->label,
		    p->key_line[k]);
		return;
	}
	p->seen |= BIT(k);
	p->key_line[k] = p->line;
	if (!get_value(p, key, raw, &v, &owned))
		goto out;
	if (v.n == 0 && kd->type != T_STR_EMPTY_OK) {
		err(p, p->line, "%s: missing value", kd->name);
		goto out;
	}
	/* primary/replicas and nodes describe the topology in two exclusive ways. */
	if ((k == K_NODES && (p->seen & (BIT(K_PRIMARY) | BIT(K_REPLICAS)))) ||
	    ((k == K_PRIMARY || k == K_REPLICAS) && (p->seen & BIT(K_NODES)))) {
		err(p, p->line, "%s: a cluster has either 'primary' (with optional 'replicas') or 'nodes', not both",
		    kd->name);
		goto out;
	}
	switch (kd->type) {
	case T_CHOICE:
		if (parse_choice(p, kd, key, v, &ch))
			apply_int(p, (enum key_id)k, ch);
		break;
	case T_NUM:
		if (parse_num(p, kd, key, v, &num))
			apply_int(p, (enum key_id)k, num);
		break;
	case T_STR:
	case T_STR_EMPTY_OK:
		if (k == K_STATS_SOCKET && v.n > SUN_PATH_MAX)
			err(p, p->line, "%s = %s: too long for a unix socket path (at most %d bytes)",
			    echo(key, ke), echo(v, ve), SUN_PATH_MAX);
		else if ((k == K_SAFE_FUNCS || k == K_PRIMARY_FUNCS) && (why = ws_safefuncs_check(v.p, v.n)))
			err(p, p->line, "%s = %s: %s", echo(key, ke), echo(v, ve), why);
		else if ((dst = str_field(p, (enum key_id)k)) && !(*dst = strndup(v.p, v.n)))
			p->oom = true;
		break;
	case T_ADDR:
		if ((r = addr_parse(v, DEFAULT_PORT, &p->cl.primary, &why)) == -ENOMEM)
			p->oom = true;
		else if (r < 0)
			err(p, p->line, "%s = %s: %s", echo(key, ke), echo(v, ve), why);
		p->cl.has_primary = r == 0;
		break;
	case T_ADDRS:
		if (k == K_NODES)
			parse_addr_list(p, key, v, &p->cl.nodes, &p->cl.n_nodes);
		else
			parse_addr_list(p, key, v, &p->cl.replicas, &p->cl.n_replicas);
		break;
	case T_ROUTE:
		if (span_ieq(v, "primary") || span_ieq(v, "replica")) {
			p->rule.route = span_ieq(v, "primary") ? WESCALE_ROUTE_PRIMARY : WESCALE_ROUTE_REPLICA;
		} else if ((r = addr_parse(v, DEFAULT_PORT, &p->rule.route_addr, &why)) == -ENOMEM) {
			p->oom = true;
		} else if (r < 0) {
			err(p, p->line, "%s = %s: expected primary, replica or HOST:PORT (%s)", echo(key, ke),
			    echo(v, ve), why);
		} else {
			p->rule.has_route_addr = true;
			p->rule.route = -1;
		}
		break;
	}
out:
	if (owned) {
		explicit_bzero(owned, v.n);
		free(owned);
	}
}

/* ---- end of a section ---- */

/* Reports a node that is already in this or an earlier cluster. */
static void check_addr(struct parser *p, const struct ws_addr *a, unsigned line)
{
	const struct ws_cluster *other;
	char *key, buf[300], e[ECHO_BUF];
	size_t old;
	int r;

	if (a->is_socket)
		r = asprintf(&key, "u:%s", a->host);
	else
		r = asprintf(&key, "h:%u:%s", a->port, a->host);
	for (char *c = key; r > 0 && !a->is_socket && *c; c++)
		*c = lower(*c);
	if (r < 0 || (r = smap_put(&p->addrs, key, p->cfg->n_clusters, &old)) < 0) {
		p->oom = true;
		return;
	}
	if (r == 0)
		return;
	if (a->is_socket)
		snprintf(buf, sizeof(buf), "unix:%s", a->host);
	else
		snprintf(buf, sizeof(buf), strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
	if (old == p->cfg->n_clusters) {
		err(p, line, "%s is listed twice in %s", buf, p->label);
		return;
	}
	other = &p->cfg->clusters[old];
	err(p, line, "%s is in both [cluster %s] (line %u) and %s", buf, echo_str(other->name, e), other->line,
	    p->label);
}

/* arr, or arr reallocated with room for one more element; NULL on ENOMEM. */
static void *grow(struct parser *p, void *arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 4;

	if (n < *cap)
		return arr;
	if (!(arr = realloc(arr, ncap * size))) {
		p->oom = true;
		return NULL;
	}
	*cap = ncap;
	return arr;
}

static void finish_cluster(struct parser *p)
{
	struct ws_cluster *c = &p->cl, *v;
	struct ws_config *cfg = p->cfg;

	if (!c->has_primary && c->n_nodes == 0) {
		/* A primary or nodes key that was refused has its own error already. */
		if (!(p->seen & (BIT(K_PRIMARY) | BIT(K_NODES))))
			err(p, c->line, "%s needs 'primary' (with optional 'replicas') or 'nodes'", p->label);
		cluster_clear(c);
		return;
	}
	if (c->discover_replicas && !c->has_primary) {
		err(p, p->key_line[K_DISCOVER], "%s: discover_replicas asks the primary for its replicas: it needs "
		    "'primary' (not 'nodes')", p->label);
		c->discover_replicas = false;
	}
	if (c->discover_replicas && c->n_replicas + c->discover_max_replicas > 64) {
		err(p, p->key_line[K_DISCOVER_MAX], "%s: %zu listed replicas + discover_max_replicas = %u is more "
		    "than 64 replicas", p->label, c->n_replicas, c->discover_max_replicas);
		c->discover_replicas = false;
	}
	if (c->heartbeat_table || c->heartbeat_column) {
		/* Placed in SQL by lag.c: plain identifiers only. */
		const char *t = c->heartbeat_table ? c->heartbeat_table : "", *col = c->heartbeat_column;
		const char *dot = strchr(t, '.');
		bool ok = dot && dot > t && dot[1] && !strchr(dot + 1, '.') && strlen(t) < 130 &&
			  strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.") == strlen(t);

		if (!ok)
			err(p, p->key_line[c->heartbeat_table ? K_HEARTBEAT_TABLE : K_HEARTBEAT_COLUMN],
			    "%s: heartbeat_table must be database.table (letters, digits, _ and $)", p->label);
		if (col && (strlen(col) > 64 || strspn(col, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						       "0123456789_$") != strlen(col))) {
			err(p, p->key_line[K_HEARTBEAT_COLUMN], "%s: heartbeat_column must be a column name "
			    "(letters, digits, _ and $)", p->label);
			ok = false;
		}
		if (!ok) {
			free(c->heartbeat_table);
			free(c->heartbeat_column);
			c->heartbeat_table = c->heartbeat_column = NULL;
		}
	}
	if (c->has_primary)
		check_addr(p, &c->primary, p->key_line[K_PRIMARY]);
	for (size_t i = 0; i < c->n_replicas; i++)
		check_addr(p, &c->replicas[i], p->key_line[K_REPLICAS]);
	for (size_t i = 0; i < c->n_nodes; i++)
		check_addr(p, &c->nodes[i], p->key_line[K_NODES]);
	v = grow(p, cfg->clusters, cfg->n_clusters, &p->clusters_cap, sizeof(*v));
	if (!v) {
		cluster_clear(c);
		return;
	}
	cfg->clusters = v;
	v[cfg->n_clusters++] = *c;
	memset(c, 0, sizeof(*c));
}

static void finish_rule(struct parser *p)
{
	static const struct {
		enum key_id key;
		enum ws_rule_action needs;
		const char *what;
	} unused[] = {
		{ K_ROUTE, WS_RULE_ROUTE, "route" },
		{ K_ERROR_MESSAGE, WS_RULE_FAIL, "fail" },
		{ K_MAX_CONCURRENCY, WS_RULE_LIMIT, "limit" },
		{ K_MAX_QUEUE, WS_RULE_LIMIT, "limit" },
		{ K_QUEUE_TIMEOUT, WS_RULE_LIMIT, "limit" },
	};
	struct ws_rule_conf *r = &p->rule, *v;
	struct ws_config *cfg = p->cfg;

	if (!(p->seen & BIT(K_ACTION)))
		err(p, r->line, "%s has no 'action' (fail, route, continue or limit); rule ignored", p->label);
	else if (r->action == WS_RULE_ROUTE && !(p->seen & BIT(K_ROUTE)))
		err(p, r->line, "%s: action = route needs 'route = primary|replica|HOST:PORT'; rule ignored",
		    p->label);
	else if (r->action == WS_RULE_LIMIT && !(p->seen & BIT(K_MAX_CONCURRENCY)))
		err(p, r->line, "%s: action = limit needs 'max_concurrency'; rule ignored", p->label);
	if (p->sect_bad) {
		rule_clear(r);
		return;
	}
	for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
		if ((p->seen & BIT(unused[i].key)) && r->action != unused[i].needs)
			warn(p, p->key_line[unused[i].key], "%s: '%s' is ignored unless action = %s", p->label,
			     keydefs[unused[i].key].name, unused[i].what);
	if (r->action != WS_RULE_ROUTE) {
		free(r->route_addr.host);
		r->route_addr.host = NULL;
		r->has_route_addr = false;
		r->route = WESCALE_ROUTE_AUTO;
	}
	if (!r->error_message && asprintf(&r->error_message, "query blocked by rule %s", r->name) < 0) {
		r->error_message = NULL;
		p->oom = true;
	}
	v = p->oom ? NULL : grow(p, cfg->rules, cfg->n_rules, &p->rules_cap, sizeof(*v));
	if (!v) {
		rule_clear(r);
		return;
	}
	cfg->rules = v;
	v[cfg->n_rules++] = *r;
	memset(r, 0, sizeof(*r));
}

static void finish_section(struct parser *p)
{
	if (p->sect == S_CLUSTER)
		finish_cluster(p);
	else if (p->sect == S_RULE)
		finish_rule(p);
	p->sect = S_SKIP;
	p->sect_bad = false;
	p->seen = 0;
}

/* ---- headers and lines ---- */

static bool valid_name(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_alnum(s.p[i]) && s.p[i] != '_' && s.p[i] != '.' && s.p[i] != '-')
			return false;
	return s.n > 0;
}

static void start_section(struct parser *p, enum sect sect, struct span name)
{
	static const char *const kinds[] = { "", "global", "cluster", "rule" };
	char *key, e[ECHO_BUF];
	size_t old;
	int r;

	if (sect != S_GLOBAL && !valid_name(name)) {
		if (name.n == 0)
			err(p, p->line, "[%s] needs a name: [%s NAME]", kinds[sect], kinds[sect]);
		else
			err(p, p->line, "invalid %s name '%s' (letters, digits, '_', '.' and '-' only)", kinds[sect],
			    echo(name, e));
		return;
	}
	if (asprintf(&key, "%c:%.*s", kinds[sect][0], (int)name.n, name.p) < 0 ||
	    (r = smap_put(&p->sections, key, p->line, &old)) < 0) {
		p->oom = true;
		return;
	}
	if (sect == S_GLOBAL)
		snprintf(p->label, sizeof(p->label), "[global]");
	else
		snprintf(p->label, sizeof(p->label), "[%s %s]", kinds[sect], echo(name, e));
	if (r == 1) {
		err(p, p->line, "duplicate section %s (first on line %zu)", p->label, old);
		return;
	}
	p->sect = sect;
	if (sect == S_CLUSTER) {
		p->cl = (struct ws_cluster){
			.load_balance = WS_BALANCE_LEAST_RT, .consistency = WESCALE_CONSISTENCY_SESSION,
			.consistency_timeout_ms = 500, .max_replica_lag_ms = 5000, .health_interval_ms = 500,
			.failover_timeout_ms = 30000, .global_cache_ms = 1, .replica_idle_timeout_ms = 60000,
			.pool_max_per_node = 4,
			.replica_read_timeout_ms = 30000,
			.max_connections_per_node = 0, .read_only_transactions = WS_RO_TRX_REPLICA,
			.replica_fallback = WS_FALLBACK_PRIMARY, .transaction_replay = false,
			.transaction_replay_max_size = 1048576,
			.optimistic_transactions = WS_OPT_TRX_ADAPTIVE, .assume_write_transactions = false,
			.discover_max_replicas = 8, .discover_grace_ms = 10000,
			.name = strndup(name.p, name.n), .line = p->line,
		};
		p->oom = p->oom || !p->cl.name;
	} else if (sect == S_RULE) {
		p->rule = (struct ws_rule_conf){
			.priority = 100, .match_kind = -1, .route = WESCALE_ROUTE_AUTO, .consistency = -1,
			.name = strndup(name.p, name.n), .line = p->line,
		};
		p->oom = p->oom || !p->rule.name;
	}
}

static void handle_header(struct parser *p, struct span line)
{
	static const char *const kinds[] = { "global", "cluster", "rule" };
	const char *close = memchr(line.p, ']', line.n), *best = NULL;
	char e1[ECHO_BUF], e2[ECHO_BUF];
	struct span in, kind, name, rest;
	size_t i, best_d = 3;

	finish_section(p);
	if (!close) {
		err(p, p->line, "section header without ']'");
		return;
	}
	rest = trim((struct span){ close + 1, (size_t)(line.p + line.n - close - 1) });
	if (rest.n && !((rest.p[0] == '#' || rest.p[0] == ';') && is_ws(close[1]))) {
		err(p, p->line, "unexpected text after ']': %s", echo(rest, e1));
		return;
	}
	in = trim((struct span){ line.p + 1, (size_t)(close - line.p - 1) });
	for (i = 0; i < in.n && !is_ws(in.p[i]); i++)
		;
	kind = (struct span){ in.p, i };
	name = trim((struct span){ in.p + i, in.n - i });
	for (i = 0; i < 3; i++) {
		if (span_ieq(kind, kinds[i])) {
			if (i == 0 && name.n)
				err(p, p->line, "[global] takes no name");
			else
				start_section(p, (enum sect)(S_GLOBAL + i), name);
			return;
		}
		best = closest(kind, kinds[i], best, &best_d);
	}
	if (best)
		err(p, p->line, "unknown section [%s]; did you mean [%s%s%s]?", echo(in, e1), best,
		    name.n ? " " : "", echo(name, e2));
	else
		err(p, p->line, "unknown section [%s]; expected [global], [cluster NAME] or [rule NAME]",
		    echo(in, e1));
}

static void handle_line(struct parser *p, struct span line)
{
	char e[ECHO_BUF];
	const char *eq;

	line = trim(line);
	if (line.n == 0 || line.p[0] == '#' || line.p[0] == ';' || (p->sect == S_SKIP && line.p[0] != '['))
		return;
	for (size_t i = 0; i < line.n; i++) {
		unsigned char c = (unsigned char)line.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			err(p, p->line, "control character 0x%02x in the line (is this a text file?)", c);
			return;
		}
	}
	if (line.p[0] == '[') {
		handle_header(p, line);
		return;
	}
	eq = memchr(line.p, '=', line.n);
	for (size_t i = 1; i < (eq ? (size_t)(eq - line.p) : line.n); i++) {
		if ((line.p[i] == '#' || line.p[i] == ';') && is_ws(line.p[i - 1])) {
			eq = NULL; /* the '=' is inside a comment */
			line = trim((struct span){ line.p, i });
			break;
		}
	}
	if (!eq)
		err(p, p->line, "expected 'key = value' or a [section] header, found '%s'", echo(line, e));
	else if (eq == line.p)
		err(p, p->line, "missing key before '='");
	else
		handle_key(p, trim((struct span){ line.p, (size_t)(eq - line.p) }),
			   (struct span){ eq + 1, (size_t)(line.p + line.n - eq - 1) });
}

/* ---- entry points ---- */

static int cmp_rule(const void *a, const void *b)
{
	const struct ws_rule_conf *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	/* Header lines are unique and increase through the file: a stable order. */
	return x->line < y->line ? -1 : x->line > y->line;
}

/* st: the file's status when the text came from a file (for the path and the
 * password warning), else NULL. */
static int parse(const char *name, const char *text, size_t len, const struct stat *st,
		 struct ws_config **out)
{
	struct parser p = { .name = name ? name : "<string>", .sect = S_NONE };
	struct ws_config *cfg;
	size_t pos = 0;

	*out = NULL;
	if (!text && len)
		return -EINVAL;
	if (!(cfg = p.cfg = calloc(1, sizeof(*cfg))))
		return -ENOMEM;
	cfg->log_level = WS_LOG_WARN;
	cfg->pool_max = 64;
	cfg->pool_idle_timeout_ms = 30000;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len && !p.oom) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct span line = { text + pos, end - pos };

		pos = end + 1;
		p.line++;
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--;
		if (line.n > MAX_LINE)
			err(&p, p.line, "line is longer than %d bytes", MAX_LINE);
		else
			handle_line(&p, line);
	}
	finish_section(&p);
	/* A password others can read is a password others have: refuse the file
	 * (the library then runs as a pass-through) unless told otherwise. */
	if (st && p.has_password && (st->st_mode & (S_IRGRP | S_IROTH))) {
		if (p.allow_readable_password)
			warn(&p, 0, "contains passwords and is readable by %s (allow_readable_password = yes)",
			     st->st_mode & S_IROTH ? "other users" : "its group");
		else
			err(&p, 0, "contains passwords and is readable by %s (mode %03o): chmod 600 it, or set "
			    "allow_readable_password = yes in [global]", st->st_mode & S_IROTH ? "other users" : "its group",
			    (unsigned)(st->st_mode & 0777));
	}
	if (st && !(cfg->path = strdup(name)))
		p.oom = true;
	if (cfg->n_rules > 1)
		qsort(cfg->rules, cfg->n_rules, sizeof(*cfg->rules), cmp_rule);
	msgs_take(&p, &p.errs, "errors", &cfg->errors, &cfg->n_errors);
	msgs_take(&p, &p.warns, "warnings", &cfg->warnings, &cfg->n_warnings);
	cluster_clear(&p.cl);
	rule_clear(&p.rule);
	msgs_free(&p.errs);
	msgs_free(&p.warns);
	smap_free(&p.sections);
	smap_free(&p.addrs);
	if (p.oom) {
		ws_config_free(cfg);
		return -ENOMEM;
	}
	*out = cfg;
	return 0;
}

int ws_config_load_string(const char *name, const char *text, size_t len, struct ws_config **out)
{
	if (!out)
		return -EINVAL;
	return parse(name, text, len, NULL, out);
}

int ws_config_load_file(const char *path, struct ws_config **out)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t k;
	int fd, r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path || !*path)
		return -EINVAL;
	/* O_NONBLOCK: opening a FIFO must not hang the host program. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	else if (st.st_size > MAX_FILE_SIZE)
		r = -EFBIG;
	else if (!(buf = malloc(MAX_FILE_SIZE + 1)))
		r = -ENOMEM;
	else
		r = 0;
	/* Read to the end, not to st_size: the file may be growing. */
	while (r == 0 && n <= MAX_FILE_SIZE) {
		k = read(fd, buf + n, MAX_FILE_SIZE + 1 - n);
		if (k < 0 && errno != EINTR)
			r = -errno;
		else if (k == 0)
			break;
		else if (k > 0)
			n += (size_t)k;
	}
	if (r == 0)
		r = n > MAX_FILE_SIZE ? -EFBIG : parse(path, buf, n, &st, out);
	if (buf)
		explicit_bzero(buf, n); /* passwords */
	free(buf);
	close(fd);
	return r;
}

void ws_config_free(struct ws_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->log_file);
	free(cfg->stats_socket);
	for (size_t i = 0; i < cfg->n_clusters; i++)
		cluster_clear(&cfg->clusters[i]);
	free(cfg->clusters);
	for (size_t i = 0; i < cfg->n_rules; i++)
		rule_clear(&cfg->rules[i]);
	free(cfg->rules);
	for (size_t i = 0; i < cfg->n_errors; i++)
		free(cfg->errors[i]);
	free(cfg->errors);
	for (size_t i = 0; i < cfg->n_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	free(cfg);
}

static bool addr_is(const struct ws_addr *a, const char *host, unsigned port, const char *sock)
{
	if (sock)
		return a->is_socket && strcmp(a->host, sock) == 0;
	return !a->is_socket && a->port == port && span_ieq((struct span){ host, strlen(host) }, a->host);
}

const struct ws_cluster *ws_config_find_cluster(const struct ws_config *cfg, const char *host,
						unsigned port, const char *socket)
{
	const char *sock = NULL;

	if (!cfg)
		return NULL;
	/* libmariadb and libmysqlclient use the socket for a NULL or "localhost" host. */
	if (socket && *socket && (!host || !*host || strcmp(host, "localhost") == 0))
		sock = socket;
	else if (host && host[0] == '/' && port == 0)
		sock = host;
	host = host && *host ? host : "localhost";
	port = port ? port : DEFAULT_PORT;
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct ws_cluster *c = &cfg->clusters[i];

		if (c->has_primary && addr_is(&c->primary, host, port, sock))
			return c;
		for (size_t k = 0; k < c->n_replicas; k++)
			if (addr_is(&c->replicas[k], host, port, sock))
				return c;
		for (size_t k = 0; k < c->n_nodes; k++)
			if (addr_is(&c->nodes[k], host, port, sock))
				return c;
	}
	for (size_t i = 0; i < cfg->n_clusters; i++)
		if (strcmp(cfg->clusters[i].name, host) == 0)
			return &cfg->clusters[i];
	return NULL;
}

const char *ws_balance_to_string(enum ws_balance b)
{
	for (const struct choice *c = balance_choices; c->name; c++)
		if (c->value == (int)b)
			return c->name;
	return "unknown";
}

const char *ws_consistency_to_string(int level)
{
	for (const struct choice *c = consistency_choices; c->name; c++)
		if (c->value == level)
			return c->name;
	return "unknown";
}
