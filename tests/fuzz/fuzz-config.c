/*
 * fuzz-config.c — ws_config_load_string on arbitrary bytes, then check what it
 * built: every string NUL-terminated and free of control bytes where it came
 * from a message, counts and arrays consistent, rules sorted, and (when there
 * are no errors) every configured address found again by ws_config_find_cluster
 * and surviving a format/parse round trip. A violated invariant aborts, which
 * the driver reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *const ws_fuzz_dictionary[] = {
	"[global]\n", "[cluster main]\n", "[rule r]\n", "[cluster ", "[rule ", "]\n",
	"log_level = ", "log_file = ", "stats_socket = ", "allow_readable_password = ",
	"primary = ", "replicas = ", "nodes = ", "load_balance = ", "consistency = ",
	"consistency_timeout_ms = ", "max_replica_lag_ms = ", "health_interval_ms = ",
	"failover_timeout_ms = ", "global_cache_ms = ", "replica_idle_timeout_ms = ",
	"max_connections_per_node = ", "read_only_transactions = ", "replica_fallback = ",
	"transaction_replay = ", "transaction_replay_max_size = ", "monitor_user = ", "monitor_password = ",
	"priority = ", "match_kind = ", "query_regex = ", "user = ", "database = ", "action = ",
	"error_message = ", "route = ", "max_concurrency = ", "max_queue = ", "queue_timeout_ms = ",
	"log = ", "least_rt", "round_robin", "session", "eventual", "primary", "replica", "fail",
	"route", "limit", "continue", "delete", "on", "off", "db1:3306", "db2:3307, db3:3308",
	"[::1]:3306", "[fe80::1%eth0]:1", "unix:/tmp/mysql.sock", "@3", ":65535", ":0", "-1",
	"2147483648", "86400000", " # comment", " ; c", "\"quoted \\\" value\"", "\r\n", "\xEF\xBB\xBF",
	",", ",,", NULL,
};

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "fuzz-config: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                        \
		}                                                                       \
	} while (0)

static void check_str(const char *s)
{
	if (s)
		CHECK(strlen(s) < 2 * 8192);
}

static void check_message(const char *s)
{
	CHECK(s != NULL);
	CHECK(strncmp(s, "fuzz", 4) == 0);
	for (; *s; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void check_addr(const struct ws_addr *a)
{
	CHECK(a->host && a->host[0]);
	CHECK(a->weight >= 1 && a->weight <= 1000);
	if (a->is_socket)
		CHECK(a->port == 0 && a->host[0] == '/' && strlen(a->host) <= 107);
	else
		CHECK(a->port >= 1 && a->port <= 65535);
}

/* Formats a as the file would and parses it back. */
static void round_trip(const struct ws_addr *a)
{
	char buf[400];
	struct ws_addr b;
	int n;

	if (a->is_socket)
		n = snprintf(buf, sizeof(buf), "unix:%s@%u", a->host, a->weight);
	else if (strchr(a->host, ':'))
		n = snprintf(buf, sizeof(buf), "[%s]:%u@%u", a->host, a->port, a->weight);
	else
		n = snprintf(buf, sizeof(buf), "%s:%u@%u", a->host, a->port, a->weight);
	CHECK(n > 0 && (size_t)n < sizeof(buf));
	CHECK(ws_config_parse_addr(buf, (size_t)n, 3306, &b) == 0);
	CHECK(strcmp(a->host, b.host) == 0 && a->port == b.port && a->is_socket == b.is_socket &&
	      a->weight == b.weight);
	free(b.host);
}

static void check_node(const struct ws_config *cfg, const struct ws_cluster *c, const struct ws_addr *a)
{
	const struct ws_cluster *found;

	check_addr(a);
	round_trip(a);
	if (a->is_socket)
		found = ws_config_find_cluster(cfg, "localhost", 0, a->host);
	else
		found = ws_config_find_cluster(cfg, a->host, a->port, NULL);
	/* Addresses are unique across clusters when the file has no errors. */
	CHECK(found != NULL);
	if (cfg->n_errors == 0)
		CHECK(found == c);
}

static void walk(const struct ws_config *cfg)
{
	CHECK(cfg->path == NULL);
	CHECK((unsigned)cfg->log_level <= WS_LOG_DEBUG);
	check_str(cfg->log_file);
	check_str(cfg->stats_socket);
	CHECK(cfg->n_clusters == 0 || cfg->clusters);
	CHECK(cfg->n_rules == 0 || cfg->rules);
	CHECK(cfg->n_errors <= 101 && (cfg->n_errors == 0 || cfg->errors));
	CHECK(cfg->n_warnings <= 101 && (cfg->n_warnings == 0 || cfg->warnings));
	for (size_t i = 0; i < cfg->n_errors; i++)
		check_message(cfg->errors[i]);
	for (size_t i = 0; i < cfg->n_warnings; i++)
		check_message(cfg->warnings[i]);
	for (size_t i = 0; i < cfg->n_clusters; i++) {
		const struct ws_cluster *c = &cfg->clusters[i];

		CHECK(c->name && c->name[0]);
		CHECK(c->has_primary || c->n_nodes > 0);
		CHECK(!(c->has_primary && c->n_nodes > 0));
		CHECK(c->n_replicas == 0 || c->replicas);
		CHECK(c->n_nodes == 0 || c->nodes);
		CHECK(c->n_nodes == 0 || c->n_replicas == 0);
		CHECK(c->consistency >= 0 && c->consistency <= 4);
		CHECK(c->health_interval_ms >= 10 && c->global_cache_ms <= 1000);
		CHECK(strcmp(ws_balance_to_string(c->load_balance), "unknown") != 0);
		check_str(c->monitor_user);
		check_str(c->monitor_password);
		if (c->has_primary)
			check_node(cfg, c, &c->primary);
		for (size_t k = 0; k < c->n_replicas; k++)
			check_node(cfg, c, &c->replicas[k]);
		for (size_t k = 0; k < c->n_nodes; k++)
			check_node(cfg, c, &c->nodes[k]);
		/* By name (when no address of an earlier cluster is spelled like it). */
		(void)ws_config_find_cluster(cfg, c->name, 0, NULL);
	}
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct ws_rule_conf *r = &cfg->rules[i];

		CHECK(r->name && r->name[0] && r->error_message);
		check_str(r->query_regex);
		check_str(r->user);
		check_str(r->database);
		CHECK(!r->query_regex || r->query_regex_line > 0);
		CHECK(r->match_kind >= -1 && r->match_kind <= 7);
		CHECK(r->consistency >= -1 && r->consistency <= 4);
		CHECK((unsigned)r->action <= WS_RULE_LIMIT);
		if (r->action == WS_RULE_ROUTE)
			CHECK(r->has_route_addr ? r->route == -1 : r->route == 1 || r->route == 2);
		if (r->has_route_addr)
			check_addr(&r->route_addr);
		if (r->action == WS_RULE_LIMIT)
			CHECK(r->max_concurrency > 0);
		if (i > 0)
			CHECK(r[-1].priority < r->priority ||
			      (r[-1].priority == r->priority && r[-1].line < r->line));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_config *cfg = NULL;
	struct ws_addr a;

	/* The address parser alone, on the same bytes. */
	if (ws_config_parse_addr((const char *)data, size, 3306, &a) == 0) {
		check_addr(&a);
		free(a.host);
	}
	if (ws_config_load_string("fuzz", (const char *)data, size, &cfg) != 0) {
		CHECK(cfg == NULL); /* only -ENOMEM is possible */
		return 0;
	}
	CHECK(cfg != NULL);
	walk(cfg);
	(void)ws_config_find_cluster(cfg, "db1", 3306, NULL);
	(void)ws_config_find_cluster(cfg, "localhost", 0, "/tmp/mysql.sock");
	(void)ws_config_find_cluster(cfg, NULL, 0, NULL);
	(void)ws_config_find_cluster(cfg, "::1", 0, NULL);
	(void)ws_config_find_cluster(cfg, "main", 1, NULL);
	ws_config_free(cfg);
	return 0;
}
