/*
 * wescale.c — the command-line tool: check a configuration file against the
 * servers it names, and show the state of each cluster (man/wescale.1).
 *
 * It is a tool, not the drop-in: it links the real client library and talks
 * to every node directly. The work is split in two: a *source* fills a
 * `struct report` (today only `probe`, which connects to each node), and the
 * printers turn a report into aligned text or one JSON object. `status
 * --socket` (a running process's statistics) is wescale-socket.c. Nothing here is global:
 * main owns the options and the report, and frees both.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>

#include "config.h"
#include "discover.h"
#include "gtid.h"
#include "ws-build.h"
#include "wescale-socket.h"

#define CONNECT_TIMEOUT_S 2
#define READ_TIMEOUT_S 3
#define MAX_PROBLEMS 4
#define EXIT_CONFIG 1
#define EXIT_NODES WS_CLI_EXIT_NODES

enum command { CMD_CHECK_CONFIG, CMD_STATUS };
enum cfg_role { CFG_PRIMARY, CFG_REPLICA, CFG_NODE, CFG_DISCOVERED };
static const char *const cfg_role_names[] = { "primary", "replica", "node", "discovered" };

struct options {
	enum command cmd;
	const char *file;
	const char *user, *password;         /* --user/--password, else the environment */
	char *password_copy;                 /* --password's value, taken out of argv (owned) */
	const char *user_from;               /* where `user` came from, for the report */
	const char *socket;                  /* status --socket PATH */
	bool json;
	bool prometheus;                     /* status --socket PATH --prometheus */
};

/* What one node said. Strings are owned unless noted. */
struct node {
	const struct ws_addr *addr;          /* borrowed from the config */
	enum cfg_role cfg_role;
	char name[300];                      /* host:port or unix:/path */
	bool reachable;
	char state[48];                      /* "reachable", "refused (2002)" … */
	char version[96];
	bool is_mariadb;
	unsigned long long server_id;
	int read_only;                       /* -1 unknown */
	char *gtid;                          /* NULL unknown */
	bool is_replica;                     /* SHOW SLAVE STATUS returned a row */
	long long lag;                       /* -1: not a replica, NULL, or not allowed */
	char *distance;                      /* GTID distance to the primary; NULL "-" */
	char problems[MAX_PROBLEMS][320];
	size_t n_problems;
};

struct cluster_report {
	const struct ws_cluster *c;          /* borrowed from the config */
	const char *user, *user_from;        /* monitor credentials used (never the password) */
	struct node *nodes;
	size_t n_nodes;
	struct ws_discovered *found;         /* discover_replicas: what the primary lists, not configured */
	struct ws_addr *found_addrs;         /* their addresses (hosts point into found) */
	char problem[160];                   /* cluster-wide, "" when none */
};

struct report {
	enum command cmd;
	const char *file;
	struct ws_config *cfg;               /* NULL when the file could not be read */
	char load_error[320];
	struct cluster_report *clusters;
	size_t n_clusters;
	unsigned unreachable, role_problems, repl_problems;
};

/* Where the node state comes from: fills r->clusters (from r->cfg for the
 * probe). 0 or -errno; -ENOSYS after printing why. */
struct source {
	const char *name;
	int (*collect)(struct report *r, const struct options *o);
};

static void usage(FILE *f)
{
	fputs("usage: wescale check-config [--user USER] [--password PASSWORD] [--json] [FILE]\n"
	      "       wescale status [--user USER] [--password PASSWORD] [--json] [FILE]\n"
	      "       wescale status --socket PATH [--json | --prometheus]\n"
	      "       wescale --version | --help\n"
	      "\n"
	      "FILE defaults to $WESCALE_CONFIG, else /etc/wescale.conf. Nodes are checked with\n"
	      "the cluster's monitor_user/monitor_password, else --user/--password, else\n"
	      "$WESCALE_USER/$WESCALE_PASSWORD.\n"
	      "Exit status: 0 all good, 1 configuration errors, 2 a node is unreachable or\n"
	      "in the wrong role, 64 usage error.\n", f);
}

__attribute__((format(printf, 3, 4)))
static void add_problem(struct node *n, unsigned *counter, const char *fmt, ...)
{
	va_list ap;

	(*counter)++;
	if (n->n_problems == MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(n->problems[n->n_problems++], sizeof n->problems[0], fmt, ap);
	va_end(ap);
}

/*
 * Why a TCP connection fails, as an errno. libmariadb connects without blocking
 * when a connect timeout is set and then reports EINPROGRESS (115) for a refused
 * port, so the tool asks the kernel itself: one more connect, same timeout.
 */
static int tcp_errno(const char *host, unsigned port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct pollfd pfd = { .events = POLLOUT };
	char service[16];
	socklen_t len = sizeof(int);
	int err = 0;

	snprintf(service, sizeof service, "%u", port);
	if (getaddrinfo(host, service, &hints, &ai) != 0)
		return EHOSTUNREACH;
	pfd.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd.fd < 0)
		err = errno;
	else if (connect(pfd.fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
		err = errno;
	else if (poll(&pfd, 1, CONNECT_TIMEOUT_S * 1000) == 0)
		err = ETIMEDOUT;
	else if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (pfd.fd >= 0)
		close(pfd.fd);
	freeaddrinfo(ai);
	return err;
}

/* "refused (2002)" for the table, and the full story for the problem list. */
static void connect_error(struct node *n, MYSQL *m, struct report *r)
{
	unsigned err = mysql_errno(m);
	const char *word = "error";
	int os = 0;

	if ((err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR) && !n->addr->is_socket)
		os = tcp_errno(n->addr->host, n->addr->port);
	else if (err == CR_CONNECTION_ERROR && strrchr(mysql_error(m), '('))  /* "… socket '…' (2)" */
		os = atoi(strrchr(mysql_error(m), '(') + 1);
	if (os == ECONNREFUSED)
		word = "refused";
	else if (os == ETIMEDOUT || err == CR_SERVER_LOST)
		word = "timeout";
	else if (os == ENOENT)
		word = "no socket";
	else if (os == EHOSTUNREACH || os == ENETUNREACH || err == CR_UNKNOWN_HOST)
		word = "no route";
	else if (err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR)
		word = "unreachable";
	else if (err == 1045)            /* ER_ACCESS_DENIED_ERROR */
		word = "access denied";
	else if (err == 1130)            /* ER_HOST_NOT_PRIVILEGED */
		word = "host not allowed";
	snprintf(n->state, sizeof n->state, "%s (%u)", word, err);
	if (os)
		add_problem(n, &r->unreachable, "unreachable: %s (%u: %s)", strerror(os), err, mysql_error(m));
	else
		add_problem(n, &r->unreachable, "unreachable: %s (%u)", mysql_error(m), err);
}

static MYSQL_RES *query(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql) != 0)
		return NULL;
	return mysql_store_result(m);
}

static int column(MYSQL_RES *res, const char *a, const char *b)
{
	MYSQL_FIELD *f = mysql_fetch_fields(res);

	for (unsigned i = 0; i < mysql_num_fields(res); i++)
		if (strcmp(f[i].name, a) == 0 || (b && strcmp(f[i].name, b) == 0))
			return (int)i;
	return -1;
}

/* Replication state: SHOW REPLICA STATUS (MySQL 8.0.22+) or SHOW SLAVE STATUS. */
static void probe_replication(MYSQL *m, struct node *n, struct report *r)
{
	MYSQL_RES *res = n->is_mariadb ? NULL : query(m, "SHOW REPLICA STATUS");
	MYSQL_ROW row;

	if (!res)
		res = query(m, "SHOW SLAVE STATUS");
	if (!res) {
		if (n->cfg_role == CFG_REPLICA)
			add_problem(n, &r->repl_problems, "cannot read replication status: %s", mysql_error(m));
		return;
	}
	row = mysql_fetch_row(res);
	if (row) {
		static const char *const threads[2][4] = {
			{ "IO", "Slave_IO_Running", "Replica_IO_Running", "Last_IO_Error" },
			{ "SQL", "Slave_SQL_Running", "Replica_SQL_Running", "Last_SQL_Error" },
		};
		int lag = column(res, "Seconds_Behind_Master", "Seconds_Behind_Source");

		n->is_replica = true;
		if (lag >= 0 && row[lag])
			n->lag = atoll(row[lag]);
		for (size_t t = 0; t < 2; t++) {
			int run = column(res, threads[t][1], threads[t][2]), err = column(res, threads[t][3], NULL);
			const char *why = err >= 0 && row[err] ? row[err] : "";

			if (run >= 0 && (!row[run] || strcmp(row[run], "Yes") != 0))
				add_problem(n, &r->repl_problems, "replication %s thread not running (%s)%s%s", threads[t][0],
					    row[run] ? row[run] : "NULL", *why ? ": " : "", why);
		}
	} else if (n->cfg_role == CFG_REPLICA) {
		add_problem(n, &r->repl_problems, "configured as a replica but does not replicate");
	}
	mysql_free_result(res);
}

/* Connect to one node and fill n. Returns -ENOMEM only; a node that cannot be
 * reached is a result, not an error. */
static int probe_node(struct node *n, const char *user, const char *password, struct report *r)
{
	unsigned ct = CONNECT_TIMEOUT_S, rt = READ_TIMEOUT_S, tcp = MYSQL_PROTOCOL_TCP;
	const struct ws_addr *a = n->addr;
	MYSQL *m = mysql_init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;

	n->read_only = -1;
	n->lag = -1;
	if (!m)
		return -ENOMEM;
	if (mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct) || mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt) ||
	    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rt) ||
	    (!a->is_socket && mysql_options(m, MYSQL_OPT_PROTOCOL, &tcp))) {
		snprintf(n->state, sizeof n->state, "error");
		add_problem(n, &r->unreachable, "cannot set connection options: %s", mysql_error(m));
		mysql_close(m);
		return 0;
	}
	if (!mysql_real_connect(m, a->is_socket ? "localhost" : a->host, user, password, NULL,
				a->is_socket ? 0 : a->port, a->is_socket ? a->host : NULL, 0)) {
		connect_error(n, m, r);
		mysql_close(m);
		return 0;
	}
	n->reachable = true;
	snprintf(n->state, sizeof n->state, "reachable");
	snprintf(n->version, sizeof n->version, "%s", mysql_get_server_info(m));
	n->is_mariadb = strstr(n->version, "MariaDB") != NULL;
	res = query(m, n->is_mariadb ? "SELECT @@server_id, @@read_only, @@gtid_current_pos"
			: "SELECT @@server_id, @@read_only, @@global.gtid_executed");
	if (res && (row = mysql_fetch_row(res)) && row[0] && row[1]) {
		n->server_id = strtoull(row[0], NULL, 10);
		n->read_only = atoi(row[1]) != 0;
		if (row[2] && !(n->gtid = strdup(row[2]))) {
			mysql_free_result(res);
			mysql_close(m);
			return -ENOMEM;
		}
	} else {
		add_problem(n, &r->role_problems, "cannot read @@server_id/@@read_only: %s", mysql_error(m));
	}
	mysql_free_result(res);
	if (n->cfg_role == CFG_PRIMARY && n->read_only == 1)
		add_problem(n, &r->role_problems, "configured as primary but read_only=1");
	if (n->cfg_role == CFG_REPLICA && n->read_only == 0)
		add_problem(n, &r->role_problems, "configured as replica but writable (read_only=0)");
	if (n->cfg_role == CFG_DISCOVERED && n->read_only == 0)
		add_problem(n, &r->role_problems, "listed by the primary as a replica but writable (read_only=0)");
	probe_replication(m, n, r);
	mysql_close(m);
	return 0;
}

/* The positions of a MariaDB GTID list; 0, -EINVAL (not a MariaDB list) or -ENOMEM. */
static int gtid_positions(const char *text, struct ws_gtid_pos **pos, size_t *count)
{
	struct ws_gtid_set *set = ws_gtid_set_new(WS_GTID_MARIADB);
	int ret;

	*pos = NULL;
	if (!set)
		return -ENOMEM;
	ret = ws_gtid_set_add_text(set, text, strlen(text));
	if (ret == 0) {
		*count = ws_gtid_set_positions(set, NULL, 0);
		if ((*pos = calloc(*count + 1, sizeof **pos)))
			ws_gtid_set_positions(set, *pos, *count);
		else
			ret = -ENOMEM;
	}
	ws_gtid_set_free(set);
	return ret;
}

static const struct ws_gtid_pos *find_domain(const struct ws_gtid_pos *v, size_t n, const char *domain)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].source, domain) == 0)
			return &v[i];
	return NULL;
}

/* Per MariaDB domain, primary seq - replica seq (negative: the replica has
 * transactions the primary lacks): "N" for one domain, else "D:N,D:N". Left
 * NULL ("-") for MySQL or a position that does not parse. 0 or -ENOMEM. */
static int gtid_distance(const struct node *primary, struct node *n)
{
	struct ws_gtid_pos *p = NULL, *q = NULL;
	size_t np = 0, nr = 0, len = 0, size, n_out = 0;
	int ret;

	if (!primary || !primary->gtid || !n->gtid || !primary->is_mariadb || !n->is_mariadb)
		return 0;
	if ((ret = gtid_positions(primary->gtid, &p, &np)) < 0 || (ret = gtid_positions(n->gtid, &q, &nr)) < 0)
		goto out;
	size = (np + nr + 1) * 48;
	if (!(n->distance = malloc(size))) {
		ret = -ENOMEM;
		goto out;
	}
	n_out = np + nr;
	for (size_t i = 0; i < nr; i++)
		n_out -= find_domain(p, np, q[i].source) != NULL;
	n->distance[0] = '\0';
	for (size_t i = 0; i < np + nr; i++) {    /* the primary's domains, then the replica's own */
		const struct ws_gtid_pos *x = i < np ? &p[i] : &q[i - np];
		const struct ws_gtid_pos *y = i < np ? find_domain(q, nr, x->source) : find_domain(p, np, x->source);
		long long d;

		if (i >= np && y)
			continue;
		d = i < np ? (long long)x->max - (y ? (long long)y->max : 0) : -(long long)x->max;
		if (n_out == 1)
			len += (size_t)snprintf(n->distance + len, size - len, "%lld", d);
		else
			len += (size_t)snprintf(n->distance + len, size - len, "%s%s:%lld", len ? "," : "", x->source, d);
	}
	if (!n_out)
		snprintf(n->distance, size, "0");
out:
	free(p);
	free(q);
	return ret == -ENOMEM ? ret : 0;
}

/* discover_replicas: the replicas the primary lists (as the library's
 * monitor finds them, lib/discover.c) that the configuration does not.
 * Returns how many, 0 when none or the primary cannot say, or -ENOMEM. */
static int discover_cluster(struct cluster_report *cr, const char *user, const char *password)
{
	const struct ws_cluster *c = cr->c;
	unsigned ct = CONNECT_TIMEOUT_S, rt = READ_TIMEOUT_S;
	MYSQL *m = mysql_init(NULL);
	int n, k = 0;

	if (!m)
		return -ENOMEM;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
	if (!mysql_real_connect(m, c->primary.is_socket ? "localhost" : c->primary.host, user, password, NULL,
				c->primary.is_socket ? 0 : c->primary.port, c->primary.is_socket ? c->primary.host : NULL,
				0)) {
		mysql_close(m);
		return 0; /* the primary's own row says why */
	}
	if (!(cr->found = calloc(64, sizeof *cr->found)) || !(cr->found_addrs = calloc(64, sizeof *cr->found_addrs))) {
		mysql_close(m);
		return -ENOMEM;
	}
	n = ws_discover_list(m, strstr(mysql_get_server_info(m), "MariaDB") ? WS_GTID_MARIADB : WS_GTID_MYSQL,
			     cr->found, 64);
	mysql_close(m);
	for (int i = 0; i < n && i < 64; i++) {
		bool listed = !c->primary.is_socket && c->primary.port == cr->found[i].port &&
			      strcasecmp(c->primary.host, cr->found[i].host) == 0;

		for (size_t j = 0; j < c->n_replicas && !listed; j++)
			listed = c->replicas[j].port == cr->found[i].port &&
				 strcasecmp(c->replicas[j].host, cr->found[i].host) == 0;
		if (!listed)
			cr->found_addrs[k++] = (struct ws_addr){ .host = cr->found[i].host, .port = cr->found[i].port };
	}
	return k;
}

static int probe_cluster(struct cluster_report *cr, const struct options *o, struct report *r)
{
	const struct ws_cluster *c = cr->c;
	struct node *primary = NULL;
	size_t writable = 0, k = 0;
	int ret, n_found = 0;

	if (c->discover_replicas && c->has_primary &&
	    (n_found = discover_cluster(cr, c->monitor_user ? c->monitor_user : o->user,
					c->monitor_user ? c->monitor_password : o->password)) < 0)
		return n_found;
	cr->n_nodes = (c->has_primary ? 1 : 0) + c->n_replicas + c->n_nodes + (size_t)n_found;
	if (!(cr->nodes = calloc(cr->n_nodes ? cr->n_nodes : 1, sizeof *cr->nodes)))
		return -ENOMEM;
	if (c->has_primary)
		cr->nodes[k++] = (struct node){ .addr = &c->primary, .cfg_role = CFG_PRIMARY };
	for (size_t i = 0; i < c->n_replicas; i++)
		cr->nodes[k++] = (struct node){ .addr = &c->replicas[i], .cfg_role = CFG_REPLICA };
	for (size_t i = 0; i < c->n_nodes; i++)
		cr->nodes[k++] = (struct node){ .addr = &c->nodes[i], .cfg_role = CFG_NODE };
	for (int i = 0; i < n_found; i++)
		cr->nodes[k++] = (struct node){ .addr = &cr->found_addrs[i], .cfg_role = CFG_DISCOVERED };
	cr->user = c->monitor_user ? c->monitor_user : o->user;
	cr->user_from = c->monitor_user ? "monitor_user" : o->user_from;
	for (size_t i = 0; i < cr->n_nodes; i++) {
		struct node *n = &cr->nodes[i];

		if (n->addr->is_socket)
			snprintf(n->name, sizeof n->name, "unix:%s", n->addr->host);
		else
			snprintf(n->name, sizeof n->name, strchr(n->addr->host, ':') ? "[%s]:%u" : "%s:%u",
				 n->addr->host, n->addr->port);
		ret = probe_node(n, cr->user, c->monitor_user ? c->monitor_password : o->password, r);
		if (ret < 0)
			return ret;
		if (n->read_only == 0) {
			writable++;
			if (n->cfg_role == CFG_PRIMARY || (c->n_nodes && !c->has_primary))
				primary = n;
		}
	}
	if (c->n_nodes && !c->has_primary && writable != 1) {
		snprintf(cr->problem, sizeof cr->problem, "%zu writable nodes among `nodes` (need exactly 1)",
			 writable);
		r->role_problems++;
		primary = NULL;
	}
	for (size_t i = 0; i < cr->n_nodes; i++)
		if (&cr->nodes[i] != primary && (ret = gtid_distance(primary, &cr->nodes[i])) < 0)
			return ret;
	return 0;
}

static int probe_collect(struct report *r, const struct options *o)
{
	if (!r->cfg || !r->cfg->n_clusters)
		return 0;
	if (!(r->clusters = calloc(r->cfg->n_clusters, sizeof *r->clusters)))
		return -ENOMEM;
	for (size_t i = 0; i < r->cfg->n_clusters; i++) {
		int ret;

		r->clusters[i].c = &r->cfg->clusters[i];
		r->n_clusters = i + 1;
		if ((ret = probe_cluster(&r->clusters[i], o, r)) < 0)
			return ret;
	}
	return 0;
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n_clusters; i++) {
		for (size_t k = 0; k < r->clusters[i].n_nodes; k++) {
			free(r->clusters[i].nodes[k].gtid);
			free(r->clusters[i].nodes[k].distance);
		}
		free(r->clusters[i].nodes);
		free(r->clusters[i].found);
		free(r->clusters[i].found_addrs);
	}
	free(r->clusters);
	ws_config_free(r->cfg);
}

static int exit_status(const struct report *r)
{
	if (!r->cfg || r->cfg->n_errors)
		return EXIT_CONFIG;
	return r->unreachable || r->role_problems || r->repl_problems ? EXIT_NODES : 0;
}

/* ---- text ---- */

#define N_COLS 9

struct row {
	const char *cell[N_COLS];            /* borrowed; NULL prints "-" */
	char id[24], ro[8], lag[24];
};

static const char *actual_role(const struct node *n)
{
	return n->read_only == 0 ? "primary" : n->read_only == 1 ? "replica" : NULL;
}

/* One aligned table per cluster: check-config's long form or status's compact one. */
static void print_nodes(const struct cluster_report *cr, bool long_form)
{
	static const char *const long_hdr[N_COLS] = { "CONFIGURED", "ADDRESS", "STATE", "VERSION", "SERVER_ID",
						      "READ_ONLY", "ROLE", "GTID", "LAG" };
	static const char *const short_hdr[N_COLS] = { "ADDRESS", "ROLE", "STATE", "SERVER_ID", "READ_ONLY",
						       "LAG", "GTID", "DISTANCE" };
	size_t n_cols = long_form ? 9 : 8, width[N_COLS] = { 0 };
	struct row *rows = calloc(cr->n_nodes + 1, sizeof *rows);

	if (!rows) {
		printf("  (out of memory)\n");
		return;
	}
	memcpy(rows[0].cell, long_form ? long_hdr : short_hdr, sizeof rows[0].cell);
	for (size_t k = 0; k < cr->n_nodes; k++) {
		const struct node *n = &cr->nodes[k];
		struct row *w = &rows[k + 1];
		const char *id = NULL, *ro = NULL, *lag = NULL;

		if (n->read_only >= 0) {
			snprintf(w->id, sizeof w->id, "%llu", n->server_id);
			snprintf(w->ro, sizeof w->ro, "%d", n->read_only);
			id = w->id, ro = w->ro;
		}
		if (n->lag >= 0 && snprintf(w->lag, sizeof w->lag, "%lld", n->lag) > 0)
			lag = w->lag;
		if (long_form)
			memcpy(w->cell, (const char *[N_COLS]){ cfg_role_names[n->cfg_role], n->name, n->state,
				n->reachable ? n->version : NULL, id, ro, actual_role(n), n->gtid, lag }, sizeof w->cell);
		else
			memcpy(w->cell, (const char *[N_COLS]){ n->name, n->reachable ?
				(n->cfg_role == CFG_DISCOVERED && n->read_only == 1 ? "replica(discovered)" : actual_role(n))
				: cfg_role_names[n->cfg_role], n->reachable ? "up" : n->state, id, ro, lag, n->gtid,
				n->distance }, sizeof w->cell);
	}
	for (size_t k = 0; k <= cr->n_nodes; k++)
		for (size_t i = 0; i < n_cols; i++)
			if (strlen(rows[k].cell[i] ? rows[k].cell[i] : "-") > width[i])
				width[i] = strlen(rows[k].cell[i] ? rows[k].cell[i] : "-");
	for (size_t k = 0; k <= cr->n_nodes; k++) {
		for (size_t i = 0; i < n_cols; i++)  /* no padding after the last column */
			printf("  %-*s", i + 1 < n_cols ? (int)width[i] : 0, rows[k].cell[i] ? rows[k].cell[i] : "-");
		putchar('\n');
	}
	free(rows);
	for (size_t k = 0; k < cr->n_nodes; k++)
		for (size_t p = 0; p < cr->nodes[k].n_problems; p++)
			printf("  problem: %s (%s): %s\n", cr->nodes[k].name, cfg_role_names[cr->nodes[k].cfg_role],
			       cr->nodes[k].problems[p]);
	if (cr->problem[0])
		printf("  problem: cluster %s: %s\n", cr->c->name, cr->problem);
}

static void print_text(const struct report *r)
{
	bool long_form = r->cmd == CMD_CHECK_CONFIG;
	int status = exit_status(r);

	if (!r->cfg)
		printf("%s\n", r->load_error);
	for (size_t i = 0; r->cfg && i < r->cfg->n_errors; i++)
		printf("%s\n", r->cfg->errors[i]);
	for (size_t i = 0; r->cfg && i < r->cfg->n_warnings; i++)
		printf("warning: %s\n", r->cfg->warnings[i]);
	if (r->cfg && !r->cfg->n_clusters)
		printf("%s: no [cluster] section\n", r->file);
	for (size_t i = 0; i < r->n_clusters; i++) {
		const struct cluster_report *cr = &r->clusters[i];
		const struct ws_cluster *c = cr->c;

		if (i || r->cfg->n_errors || r->cfg->n_warnings)
			printf("\n");
		if (!long_form) {
			printf("cluster %s (%s, %s)\n", c->name, ws_balance_to_string(c->load_balance),
			       ws_consistency_to_string(c->consistency));
		} else {
			printf("cluster %s\n  %-24s%s\n  %-24s%s\n", c->name, "load_balance",
			       ws_balance_to_string(c->load_balance), "consistency",
			       ws_consistency_to_string(c->consistency));
			printf("  %-24s%u\n  %-24s%u\n  %-24s%u\n  %-24s%u\n", "consistency_timeout_ms",
			       c->consistency_timeout_ms, "max_replica_lag_ms", c->max_replica_lag_ms,
			       "health_interval_ms", c->health_interval_ms, "failover_timeout_ms",
			       c->failover_timeout_ms);
			if (cr->user)
				printf("  %-24s%s (from %s)\n\n", "checked as", cr->user, cr->user_from);
			else
				printf("  %-24sthe login name (no monitor_user, --user or WESCALE_USER)\n\n", "checked as");
		}
		print_nodes(cr, long_form);
	}
	if (status == 0) {
		printf("\nresult: ok\n");
		return;
	}
	printf("\nresult:");
	if (!r->cfg)
		printf(" configuration file not readable;");
	else if (r->cfg->n_errors)
		printf(" %zu configuration error%s;", r->cfg->n_errors, r->cfg->n_errors == 1 ? "" : "s");
	if (r->unreachable)
		printf(" %u node%s unreachable;", r->unreachable, r->unreachable == 1 ? "" : "s");
	if (r->role_problems)
		printf(" %u role problem%s;", r->role_problems, r->role_problems == 1 ? "" : "s");
	if (r->repl_problems)
		printf(" %u replication problem%s;", r->repl_problems, r->repl_problems == 1 ? "" : "s");
	printf(" exit status %d\n", status);
}

/* ---- JSON ---- */

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* `, "key": "value"` (or null), and `"key": [ "…", … ]` */
static void json_field(const char *key, const char *value)
{
	printf(", \"%s\": ", key);
	json_str(value);
}

static void json_list(const char *key, const char *const *v, size_t n)
{
	printf("\"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", stdout);
		json_str(v[i]);
	}
	putchar(']');
}

static void json_node(const struct node *n)
{
	char id[24] = "null", lag[24] = "null";
	const char *problems[MAX_PROBLEMS];

	if (n->read_only >= 0)
		snprintf(id, sizeof id, "%llu", n->server_id);
	if (n->lag >= 0)
		snprintf(lag, sizeof lag, "%lld", n->lag);
	printf("{\"address\": ");
	json_str(n->name);
	json_field("configured_role", cfg_role_names[n->cfg_role]);
	printf(", \"reachable\": %s", n->reachable ? "true" : "false");
	json_field("state", n->state);
	json_field("version", n->reachable ? n->version : NULL);
	printf(", \"server_id\": %s, \"read_only\": %s", id, n->read_only < 0 ? "null" : n->read_only ? "true" : "false");
	json_field("role", actual_role(n));
	json_field("gtid", n->gtid);
	printf(", \"is_replica\": %s, \"lag_seconds\": %s", n->is_replica ? "true" : "false", lag);
	json_field("gtid_distance", n->distance);
	for (size_t p = 0; p < n->n_problems; p++)
		problems[p] = n->problems[p];
	printf(", ");
	json_list("problems", problems, n->n_problems);
	putchar('}');
}

static void print_json(const struct report *r)
{
	const char *load_error = r->load_error;

	printf("{\"command\": \"%s\"", r->cmd == CMD_STATUS ? "status" : "check-config");
	json_field("file", r->file);
	json_field("version", WS_VERSION);
	printf(",\n ");
	json_list("errors", r->cfg ? (const char *const *)r->cfg->errors : &load_error,
		  r->cfg ? r->cfg->n_errors : 1);
	printf(", ");
	json_list("warnings", r->cfg ? (const char *const *)r->cfg->warnings : NULL,
		  r->cfg ? r->cfg->n_warnings : 0);
	printf(",\n \"clusters\": [");
	for (size_t i = 0; i < r->n_clusters; i++) {
		const struct cluster_report *cr = &r->clusters[i];
		const struct ws_cluster *c = cr->c;

		printf("%s\n  {\"name\": ", i ? "," : "");
		json_str(c->name);
		json_field("load_balance", ws_balance_to_string(c->load_balance));
		json_field("consistency", ws_consistency_to_string(c->consistency));
		printf(", \"consistency_timeout_ms\": %u, \"max_replica_lag_ms\": %u, \"health_interval_ms\": %u, "
		       "\"failover_timeout_ms\": %u", c->consistency_timeout_ms, c->max_replica_lag_ms,
		       c->health_interval_ms, c->failover_timeout_ms);
		json_field("monitor_user", cr->user);
		json_field("problem", cr->problem[0] ? cr->problem : NULL);
		printf(", \"nodes\": [");
		for (size_t k = 0; k < cr->n_nodes; k++) {
			printf("%s\n    ", k ? "," : "");
			json_node(&cr->nodes[k]);
		}
		printf("]}");
	}
	printf("],\n \"unreachable\": %u, \"role_problems\": %u, \"replication_problems\": %u, "
	       "\"exit_status\": %d}\n", r->unreachable, r->role_problems, r->repl_problems, exit_status(r));
}

/* ---- main ---- */

/*
 * --password's value, copied, then overwritten in argv (as `mysql -p` does) so
 * that `ps` and /proc/PID/cmdline no longer show it once options are read.
 * The copy is the caller's (NULL when out of memory: no password).
 */
static char *scrub(char *arg)
{
	char *copy = strdup(arg);

	memset(arg, 'x', strlen(arg));
	if (arg[0])
		arg[1] = '\0';
	return copy;
}

/* -1 to go on, else the exit status (the message is printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },      { "version", no_argument, NULL, 'V' },
		{ "user", required_argument, NULL, 'u' }, { "password", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },      { "socket", required_argument, NULL, 's' },
		{ "prometheus", no_argument, NULL, 'P' }, { NULL, 0, NULL, 0 },
	};
	const char *cmd, *env;
	int ch;

	while ((ch = getopt_long(argc, argv, "hVu:p:js:P", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout); return EX_OK;
		case 'V': printf("wescale %s (client library %s)\n", WS_VERSION, mysql_get_client_info()); return EX_OK;
		case 'u': o->user = optarg; o->user_from = "--user"; break;
		case 'p':
			free(o->password_copy);
			o->password = o->password_copy = scrub(optarg);
			break;
		case 'j': o->json = true; break;
		case 's': o->socket = optarg; break;
		case 'P': o->prometheus = true; break;
		default: goto usage_error;
		}
	}
	if (optind >= argc)
		goto usage_error;
	cmd = argv[optind++];
	if (strcmp(cmd, "check-config") == 0)
		o->cmd = CMD_CHECK_CONFIG;
	else if (strcmp(cmd, "status") == 0)
		o->cmd = CMD_STATUS;
	else
		return fprintf(stderr, "wescale: unknown command '%s'\n", cmd), usage(stderr), EX_USAGE;
	if (o->socket && o->cmd != CMD_STATUS)
		return fprintf(stderr, "wescale: --socket is an option of 'status'\n"), usage(stderr), EX_USAGE;
	if (o->prometheus && !o->socket)
		return fprintf(stderr, "wescale: --prometheus goes with status --socket PATH\n"), usage(stderr), EX_USAGE;
	if (o->prometheus && o->json)
		return fprintf(stderr, "wescale: --json or --prometheus, not both\n"), usage(stderr), EX_USAGE;
	if (optind < argc)
		o->file = argv[optind++];
	if (optind < argc)
		return fprintf(stderr, "wescale: unexpected argument '%s'\n", argv[optind]), usage(stderr), EX_USAGE;
	if (!o->file)
		o->file = (env = getenv("WESCALE_CONFIG")) && *env ? env : "/etc/wescale.conf";
	if (!o->user && (env = getenv("WESCALE_USER")) && *env)
		o->user = env, o->user_from = "WESCALE_USER";
	if (!o->password)
		o->password = getenv("WESCALE_PASSWORD");
	return -1;
usage_error:
	usage(stderr);
	return EX_USAGE;
}

static int run(int argc, char **argv, struct options *opts)
{
	static const struct source probe_source = { "probe", probe_collect };
	struct options o;
	struct report r = { 0 };
	const struct source *src;
	int ret, status;

	if ((ret = parse_options(argc, argv, opts)) >= 0)
		return ret;
	o = *opts;
	if (o.socket)
		return ws_cli_socket_status(o.socket, o.json ? WS_CLI_JSON : o.prometheus ? WS_CLI_PROMETHEUS
											 : WS_CLI_TABLE);
	src = &probe_source;
	r.cmd = o.cmd;
	r.file = o.file;
	if (mysql_library_init(0, NULL, NULL))
		return fprintf(stderr, "wescale: cannot initialise the client library\n"), EX_SOFTWARE;
	ret = ws_config_load_file(o.file, &r.cfg);
	if (ret < 0 && ret != -ENOMEM) {
		snprintf(r.load_error, sizeof r.load_error, "%s: %s", o.file, strerror(-ret));
		r.cfg = NULL;
		ret = 0;
	}
	if (ret >= 0 && (ret = src->collect(&r, &o)) < 0 && ret != -ENOMEM && ret != -ENOSYS)
		fprintf(stderr, "wescale: %s: %s\n", src->name, strerror(-ret));
	if (ret == 0 && o.json)
		print_json(&r);
	else if (ret == 0)
		print_text(&r);
	status = ret == -ENOMEM ? EX_OSERR : ret < 0 ? EXIT_NODES : exit_status(&r);
	if (ret == -ENOMEM)
		fprintf(stderr, "wescale: out of memory\n");
	report_free(&r);
	mysql_library_end();
	if (fflush(stdout) != 0 || ferror(stdout))
		return fprintf(stderr, "wescale: cannot write the output\n"), EX_IOERR;
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int status = run(argc, argv, &o);

	free(o.password_copy);
	return status;
}
