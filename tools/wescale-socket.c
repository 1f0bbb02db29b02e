/*
 * wescale-socket.c — `wescale status --socket PATH`: read the statistics JSON a
 * running process serves on its stats_socket, and print it as a table (the
 * default), as is (--json), or as Prometheus samples (--prometheus).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wescale-socket.h"

/* Read everything the process's stats socket sends (one JSON object). */
static int socket_read(const char *path, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	buf = malloc(cap);
	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		/* The process answers from its monitor thread, within a health
		 * interval at worst. */
		if (poll(&p, 1, 5000) <= 0)
			break;
		if (len + 1 >= cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	if (len == 0) {
		free(buf);
		return -ENODATA;
	}
	*out = buf;
	return 0;
}

/*
 * JSON → Prometheus text exposition, for the statistics' own shape: every
 * number or boolean becomes a sample named after the arrays it sits in
 * (clusters → wescale_cluster_…, nodes → wescale_node_…, rules → wescale_rule_…,
 * nested objects add their key), labelled with the name/address/role strings of
 * the objects around it. A small recursive reader: no general JSON library.
 */
struct sample {
	char metric[128];   /* "_cluster_node", "" for the top level */
	char labels[512];   /* cluster="…",node="…",role="…" */
	char key[64];
	char value[512];
	bool is_text;       /* a string (version, gtid, …): not a Prometheus sample */
};

struct prom {
	const char *p;
	char metric[128];
	char labels[512];
	bool ok;
	struct sample *v;   /* everything read, in order */
	size_t n, cap;
};

static void add_sample(struct prom *j, const char *key, const char *value, bool is_text)
{
	struct sample *s;

	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct sample *v = realloc(j->v, cap * sizeof(*v));

		if (!v) {
			j->ok = false;
			return;
		}
		j->v = v;
		j->cap = cap;
	}
	s = &j->v[j->n++];
	snprintf(s->metric, sizeof(s->metric), "%s", j->metric);
	snprintf(s->labels, sizeof(s->labels), "%s", j->labels);
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->value, sizeof(s->value), "%s", value);
	s->is_text = is_text;
}

static void skip_ws(struct prom *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

/* Past the blanks and the comma after a value, if any. */
static void skip_comma(struct prom *j)
{
	skip_ws(j);
	if (*j->p == ',') {
		j->p++;
		skip_ws(j);
	}
}

/* A JSON string into out (escapes kept simple: our output has none but \" \\). */
static void read_string(struct prom *j, char *out, size_t size)
{
	size_t n = 0;

	if (*j->p != '"') {
		j->ok = false;
		return;
	}
	j->p++;
	while (*j->p && *j->p != '"') {
		if (*j->p == '\\' && j->p[1])
			j->p++;
		if (n + 1 < size)
			out[n++] = *j->p;
		j->p++;
	}
	out[n] = '\0';
	if (*j->p == '"')
		j->p++;
	else
		j->ok = false;
}

static void prom_value(struct prom *j, const char *key);

static void prom_object(struct prom *j)
{
	char key[64], saved_metric[128], saved_labels[512];

	memcpy(saved_labels, j->labels, sizeof(saved_labels));
	j->p++; /* { */
	skip_ws(j);
	while (j->ok && *j->p && *j->p != '}') {
		read_string(j, key, sizeof(key));
		skip_ws(j);
		if (*j->p != ':') {
			j->ok = false;
			break;
		}
		j->p++;
		skip_ws(j);
		if (*j->p == '"' && (strcmp(key, "name") == 0 || strcmp(key, "address") == 0 || strcmp(key, "role") == 0)) {
			char v[256], lab[16];
			size_t l = strlen(j->labels);

			read_string(j, v, sizeof(v));
			/* name of a cluster → cluster="…", of a rule → rule="…"; address → node="…" */
			snprintf(lab, sizeof(lab), "%s", strcmp(key, "address") == 0 ? "node"
							 : strcmp(key, "role") == 0 ? "role"
							 : strstr(j->metric, "rule") ? "rule" : "cluster");
			snprintf(j->labels + l, sizeof(j->labels) - l, "%s%s=\"%s\"", l ? "," : "", lab, v);
		} else {
			memcpy(saved_metric, j->metric, sizeof(saved_metric));
			prom_value(j, key);
			memcpy(j->metric, saved_metric, sizeof(saved_metric));
		}
		skip_comma(j);
	}
	if (*j->p == '}')
		j->p++;
	memcpy(j->labels, saved_labels, sizeof(saved_labels));
}

static void prom_value(struct prom *j, const char *key)
{
	size_t l = strlen(j->metric);

	if (*j->p == '{') {
		snprintf(j->metric + l, sizeof(j->metric) - l, "_%s", key);
		prom_object(j);
	} else if (*j->p == '[') {
		/* clusters → cluster, nodes → node, rules → rule */
		char one[64];

		snprintf(one, sizeof(one), "%s", key);
		if (strlen(one) > 1 && one[strlen(one) - 1] == 's')
			one[strlen(one) - 1] = '\0';
		snprintf(j->metric + l, sizeof(j->metric) - l, "_%s", one);
		j->p++;
		skip_ws(j);
		while (j->ok && *j->p && *j->p != ']') {
			if (*j->p == '{')
				prom_object(j);
			else
				prom_value(j, "value");
			skip_comma(j);
		}
		if (*j->p == ']')
			j->p++;
	} else if (*j->p == '"') {
		char v[512];

		read_string(j, v, sizeof(v));
		add_sample(j, key, v, true);
	} else {
		const char *start = j->p;
		char v[64];

		while (*j->p && *j->p != ',' && *j->p != '}' && *j->p != ']' && *j->p != ' ' && *j->p != '\n')
			j->p++;
		snprintf(v, sizeof(v), "%.*s", (int)(j->p - start), start);
		if (strcmp(v, "true") == 0)
			snprintf(v, sizeof(v), "1");
		else if (strcmp(v, "false") == 0 || strcmp(v, "null") == 0)
			snprintf(v, sizeof(v), "0");
		add_sample(j, key, v, false);
	}
}

static int read_samples(const char *json, struct prom *j)
{
	*j = (struct prom){ .p = json, .ok = true };
	skip_ws(j);
	if (*j->p != '{')
		return -EINVAL;
	prom_object(j);
	return j->ok ? 0 : -EINVAL;
}

static void print_prometheus(const struct prom *j)
{
	for (size_t i = 0; i < j->n; i++) {
		const struct sample *s = &j->v[i];

		if (!s->is_text && strcmp(s->key, "pid") != 0)
			printf("wescale%s_%s%s%s%s %s\n", s->metric, s->key, s->labels[0] ? "{" : "", s->labels,
			       s->labels[0] ? "}" : "", s->value);
	}
}

/* The value of label `name` in `labels` (name="value",…) into out; "" when absent. */
static const char *label(const char *labels, const char *name, char *out, size_t size)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s=\"", name);
	out[0] = '\0';
	for (p = labels; (p = strstr(p, pat)); p++)
		if (p == labels || p[-1] == ',') {
			p += strlen(pat);
			e = strchr(p, '"');
			snprintf(out, size, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
			break;
		}
	return out;
}

/* The value of `key` in `metric` whose label `lname` is `lvalue` (NULL: any); "-" when absent. */
static const char *get(const struct prom *j, const char *metric, const char *lname, const char *lvalue,
		       const char *key)
{
	char v[256];

	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].metric, metric) == 0 && strcmp(j->v[i].key, key) == 0 &&
		    (!lname || strcmp(label(j->v[i].labels, lname, v, sizeof(v)), lvalue) == 0))
			return j->v[i].value;
	return "-";
}

/* Whether `value` of label `lname` came before sample `upto` (to list each once). */
static bool seen_before(const struct prom *j, size_t upto, const char *lname, const char *value)
{
	char v[256];

	for (size_t i = 0; i < upto; i++)
		if (strcmp(label(j->v[i].labels, lname, v, sizeof(v)), value) == 0)
			return true;
	return false;
}

/* A node's row: the node's samples only (its cluster label is unique per node address). */
static void print_node_row(const struct prom *j, const char *node)
{
	const char *m = "_cluster_node", *rt = get(j, m, "node", node, "ewma_rt_us");
	char role[32], v[256];

	role[0] = '\0';
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i].metric, m) == 0 && strcmp(label(j->v[i].labels, "node", v, sizeof(v)), node) == 0) {
			label(j->v[i].labels, "role", role, sizeof(role));
			break;
		}
	printf("  %-24s %-8s %-4s %8s %7s %9s %7s %5s %6s %8.2f  %s\n", node, role,
	       strcmp(get(j, m, "node", node, "up"), "1") == 0 ? "yes" : "no", get(j, m, "node", node, "lag_ms"),
	       get(j, m, "node", node, "behind"), get(j, m, "node", node, "queries"),
	       get(j, m, "node", node, "errors"), get(j, m, "node", node, "qps"),
	       get(j, m, "node", node, "connections"), strcmp(rt, "-") ? atof(rt) / 1000.0 : 0.0,
	       get(j, m, "node", node, "gtid"));
}

/* What a person reads: one table of nodes per cluster, then the consistency
 * outcomes and the rules' counters. */
static void print_table(const struct prom *j)
{
	char v[256];

	printf("process %s, libwescale %s, configuration %s\n", get(j, "", NULL, NULL, "pid"),
	       get(j, "", NULL, NULL, "version"), get(j, "", NULL, NULL, "config"));
	for (size_t i = 0; i < j->n; i++) {
		const char *c = label(j->v[i].labels, "cluster", v, sizeof(v));
		char cl[256], node[256];
		const char *co = "_cluster_consistency_outcomes", *w;

		if (!*c || strcmp(j->v[i].metric, "_cluster") != 0 || seen_before(j, i, "cluster", c))
			continue;
		snprintf(cl, sizeof(cl), "%s", c);
		printf("\ncluster %s: %s, load_balance %s, consistency %s\n", cl, get(j, "_cluster", "cluster", cl, "flavor"),
		       get(j, "_cluster", "cluster", cl, "load_balance"), get(j, "_cluster", "cluster", cl, "consistency"));
		printf("  %-24s %-8s %-4s %8s %7s %9s %7s %5s %6s %8s  %s\n", "node", "role", "up", "lag_ms", "behind",
		       "queries", "errors", "qps", "conns", "rt_ms", "gtid");
		for (size_t k = 0; k < j->n; k++) {
			if (strcmp(j->v[k].metric, "_cluster_node") != 0 ||
			    strcmp(label(j->v[k].labels, "cluster", v, sizeof(v)), cl) != 0)
				continue;
			label(j->v[k].labels, "node", node, sizeof(node));
			if (*node && !seen_before(j, k, "node", node))
				print_node_row(j, node);
		}
		w = get(j, co, "cluster", cl, "replica_after_wait");
		printf("  reads: %s on a replica known to be caught up, %s after a wait (%s us waited in all), "
		       "%s sent to the primary after a timeout\n", get(j, co, "cluster", cl, "replica_no_wait"), w,
		       get(j, co, "cluster", cl, "wait_us"), get(j, co, "cluster", cl, "primary_after_timeout"));
		printf("  failovers %s (stalled %s ms), lost-write detections %s\n", get(j, "_cluster", "cluster", cl, "failovers"),
		       get(j, "_cluster", "cluster", cl, "failover_stall_ms"),
		       get(j, "_cluster", "cluster", cl, "lost_write_detections"));
	}
	for (size_t i = 0; i < j->n; i++) {
		const char *r = label(j->v[i].labels, "rule", v, sizeof(v));
		char name[256];

		if (!*r || seen_before(j, i, "rule", r))
			continue;
		snprintf(name, sizeof(name), "%s", r);
		printf("%srule %s:", i == 0 ? "" : "\n", name);
		for (size_t k = i; k < j->n; k++)
			if (!j->v[k].is_text && strcmp(label(j->v[k].labels, "rule", v, sizeof(v)), name) == 0)
				printf(" %s %s", j->v[k].key, j->v[k].value);
		printf("\n");
	}
}

/* status --socket PATH: what the running process says, as a table (default),
 * JSON, or samples in the Prometheus text format. */
int ws_cli_socket_status(const char *path, enum ws_cli_format format)
{
	char *json = NULL;
	struct prom j;
	int r = socket_read(path, &json);

	if (r < 0) {
		fprintf(stderr, "wescale: %s: %s (is stats_socket set in the process's configuration, and is it "
			"running?)\n", path, strerror(-r));
		return WS_CLI_EXIT_NODES;
	}
	if (format == WS_CLI_JSON) {
		fputs(json, stdout), fputc('\n', stdout);
		free(json);
		return 0;
	}
	r = read_samples(json, &j);
	if (r < 0)
		fprintf(stderr, "wescale: %s: not the statistics JSON\n", path);
	else if (format == WS_CLI_PROMETHEUS)
		print_prometheus(&j);
	else
		print_table(&j);
	free(j.v);
	free(json);
	return r < 0 ? WS_CLI_EXIT_NODES : 0;
}
