/*
 * test-config.c — the configuration parser (lib/config.c): values, defaults,
 * every error message, addresses, cluster and rule validation, find_cluster,
 * and reading files.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "safefuncs.h"
#include "wescale.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char example[] =
	"[global]\n"
	"log_level = warn                 # error | warn | info | debug\n"
	"log_file  = /var/log/wescale.log\n"
	"stats_socket = /run/wescale.sock # optional\n"
	"\n"
	"[cluster main]\n"
	"primary  = db1.internal:3306\n"
	"replicas = db2.internal:3306, db3.internal:3306\n"
	"# nodes = a:3306, b:3306, c:3306 # alternative to primary/replicas\n"
	"load_balance = least_rt          # least_rt | least_qps | least_behind_primary | random | round_robin\n"
	"consistency  = session           # eventual | session | instance | global | primary\n"
	"consistency_timeout_ms = 500\n"
	"max_replica_lag_ms  = 5000\n"
	"health_interval_ms  = 500\n"
	"failover_timeout_ms = 30000\n"
	"global_cache_ms = 1\n"
	"replica_idle_timeout_ms = 60000\n"
	"max_connections_per_node = 0\n"
	"read_only_transactions = replica # replica | primary\n"
	"replica_fallback = primary       # primary | error\n"
	"transaction_replay = off         # on | off (also true/false/yes/no/1/0)\n"
	"transaction_replay_max_size = 1048576\n"
	"optimistic_transactions = adaptive # adaptive | on | off\n"
	"assume_write_transactions = off\n"
	"monitor_user     = monitor\n"
	"monitor_password = secret\n"
	"\n"
	"[rule no_unbounded_delete]\n"
	"priority      = 10\n"
	"match_kind    = delete           # select|insert|update|delete|replace|ddl|set|other\n"
	"query_regex   = ^\\s*delete\\s+from\\s+[`\\w.]+\\s*;?\\s*$\n"
	"user          = app\n"
	"database      = shop\n"
	"action        = fail             # fail | route | continue | limit\n"
	"error_message = unbounded DELETE is not allowed\n"
	"# route = primary | replica | HOST:PORT   (action = route)\n"
	"# log = on\n";

static struct ws_config *load(const char *text)
{
	struct ws_config *cfg = NULL;
	int r = ws_config_load_string("t", text, strlen(text), &cfg);

	CU_ASSERT_EQUAL_FATAL(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	return cfg;
}

/* [cluster] replica_safe_functions: kept as written; which calls it names. */
static void test_safe_functions(void)
{
	struct ws_config *cfg = load("[cluster c]\nprimary = h\nreplica_safe_functions = f_ro, app.F2,  `x`\n");
	const char *l;

	CU_ASSERT_EQUAL(cfg->n_errors, 1); /* `x`: not a plain name */
	ws_config_free(cfg);
	cfg = load("[cluster c]\nprimary = h\nprimary_functions = db.\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_PTR_NOT_NULL(cfg->n_errors ? strstr(cfg->errors[0], "primary_functions = db.: expected") : NULL);
	ws_config_free(cfg);
	cfg = load("[cluster c]\nprimary = h\nreplica_safe_functions = f_ro, app.F2\nprimary_functions = app.w\n");
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 0);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].primary_functions, "app.w");
	l = cfg->clusters[0].replica_safe_functions;
	CU_ASSERT_STRING_EQUAL(l, "f_ro, app.F2");
	CU_ASSERT(ws_safefuncs_listed(l, NULL, NULL, 0, "f_ro", 4));          /* any database */
	CU_ASSERT(ws_safefuncs_listed(l, NULL, "other", 5, "F_RO", 4));       /* names fold */
	CU_ASSERT(ws_safefuncs_listed(l, NULL, "app", 3, "f2", 2));           /* app.F2 */
	CU_ASSERT(ws_safefuncs_listed(l, "app", NULL, 0, "f2", 2));           /* unqualified, in app */
	CU_ASSERT_FALSE(ws_safefuncs_listed(l, "other", NULL, 0, "f2", 2));   /* in another database */
	CU_ASSERT_FALSE(ws_safefuncs_listed(l, NULL, "APP", 3, "f2", 2));     /* databases exact */
	CU_ASSERT_FALSE(ws_safefuncs_listed(l, NULL, NULL, 0, "f", 1));
	CU_ASSERT_FALSE(ws_safefuncs_listed(NULL, NULL, NULL, 0, "f_ro", 4));
	CU_ASSERT_PTR_NULL(ws_safefuncs_check("a, b.c ,d", 9));
	CU_ASSERT_PTR_NOT_NULL(ws_safefuncs_check("a.", 2));
	ws_config_free(cfg);
}

static void dump_errors(const struct ws_config *cfg)
{
	for (size_t i = 0; i < cfg->n_errors; i++)
		fprintf(stderr, "    error: %s\n", cfg->errors[i]);
}

/* Exactly these errors, in this order. */
static void expect_errors(const char *text, const char *const *want, size_t n_want)
{
	struct ws_config *cfg = load(text);
	bool ok = cfg->n_errors == n_want;

	for (size_t i = 0; ok && i < n_want; i++)
		ok = strcmp(cfg->errors[i], want[i]) == 0;
	if (!ok) {
		fprintf(stderr, "\n  text:\n%s  want:\n", text);
		for (size_t i = 0; i < n_want; i++)
			fprintf(stderr, "    error: %s\n", want[i]);
		fprintf(stderr, "  got:\n");
		dump_errors(cfg);
	}
	CU_ASSERT(ok);
	ws_config_free(cfg);
}

static void expect_error(const char *text, const char *want)
{
	expect_errors(text, &want, 1);
}

static void expect_no_error(const char *text)
{
	expect_errors(text, NULL, 0);
}

static void test_example(void)
{
	struct ws_config *cfg = load(example);
	const struct ws_cluster *c;
	const struct ws_rule_conf *r;

	dump_errors(cfg);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	CU_ASSERT_PTR_NULL(cfg->path);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_WARN);
	CU_ASSERT_STRING_EQUAL(cfg->log_file, "/var/log/wescale.log");
	CU_ASSERT_STRING_EQUAL(cfg->stats_socket, "/run/wescale.sock");
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	c = &cfg->clusters[0];
	CU_ASSERT_STRING_EQUAL(c->name, "main");
	CU_ASSERT_EQUAL(c->line, 6);
	CU_ASSERT(c->has_primary);
	CU_ASSERT_STRING_EQUAL(c->primary.host, "db1.internal");
	CU_ASSERT_EQUAL(c->primary.port, 3306);
	CU_ASSERT_EQUAL(c->primary.weight, 1);
	CU_ASSERT_FALSE(c->primary.is_socket);
	CU_ASSERT_EQUAL_FATAL(c->n_replicas, 2);
	CU_ASSERT_STRING_EQUAL(c->replicas[0].host, "db2.internal");
	CU_ASSERT_STRING_EQUAL(c->replicas[1].host, "db3.internal");
	CU_ASSERT_EQUAL(c->replicas[1].port, 3306);
	CU_ASSERT_EQUAL(c->n_nodes, 0);
	CU_ASSERT_PTR_NULL(c->nodes);
	CU_ASSERT_EQUAL(c->load_balance, WS_BALANCE_LEAST_RT);
	CU_ASSERT_EQUAL(c->consistency, WESCALE_CONSISTENCY_SESSION);
	CU_ASSERT_EQUAL(c->consistency_timeout_ms, 500);
	CU_ASSERT_EQUAL(c->max_replica_lag_ms, 5000);
	CU_ASSERT_EQUAL(c->health_interval_ms, 500);
	CU_ASSERT_EQUAL(c->failover_timeout_ms, 30000);
	CU_ASSERT_EQUAL(c->global_cache_ms, 1);
	CU_ASSERT_EQUAL(c->replica_idle_timeout_ms, 60000);
	CU_ASSERT_EQUAL(c->max_connections_per_node, 0);
	CU_ASSERT_EQUAL(c->read_only_transactions, WS_RO_TRX_REPLICA);
	CU_ASSERT_EQUAL(c->replica_fallback, WS_FALLBACK_PRIMARY);
	CU_ASSERT_FALSE(c->transaction_replay);
	CU_ASSERT_EQUAL(c->transaction_replay_max_size, 1048576);
	CU_ASSERT_EQUAL(c->optimistic_transactions, WS_OPT_TRX_ADAPTIVE);
	CU_ASSERT_FALSE(c->assume_write_transactions);
	CU_ASSERT_STRING_EQUAL(c->monitor_user, "monitor");
	CU_ASSERT_STRING_EQUAL(c->monitor_password, "secret");
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 1);
	r = &cfg->rules[0];
	CU_ASSERT_STRING_EQUAL(r->name, "no_unbounded_delete");
	CU_ASSERT_EQUAL(r->line, 28);
	CU_ASSERT_EQUAL(r->priority, 10);
	CU_ASSERT_EQUAL(r->match_kind, WS_STMT_DELETE);
	CU_ASSERT_STRING_EQUAL(r->query_regex, "^\\s*delete\\s+from\\s+[`\\w.]+\\s*;?\\s*$");
	CU_ASSERT_EQUAL(r->query_regex_line, 31);
	CU_ASSERT_STRING_EQUAL(r->user, "app");
	CU_ASSERT_STRING_EQUAL(r->database, "shop");
	CU_ASSERT_EQUAL(r->action, WS_RULE_FAIL);
	CU_ASSERT_STRING_EQUAL(r->error_message, "unbounded DELETE is not allowed");
	CU_ASSERT_EQUAL(r->consistency, -1);
	CU_ASSERT_FALSE(r->log);
	CU_ASSERT_FALSE(r->has_route_addr);
	ws_config_free(cfg);
}

static void test_every_value(void)
{
	struct ws_config *cfg = load(
		"[GLOBAL]\n"
		"Log_Level = DEBUG\n"
		"[cluster c1]\n"
		"nodes = a:1, b:2@5, unix:/run/m.sock\n"
		"load_balance = round_robin\n"
		"consistency = global\n"
		"consistency_timeout_ms = 0\n"
		"max_replica_lag_ms = 86400000\n"
		"health_interval_ms = 10\n"
		"failover_timeout_ms = 0\n"
		"global_cache_ms = 1000\n"
		"replica_idle_timeout_ms = 0\n"
		"max_connections_per_node = 1000000\n"
		"read_only_transactions = primary\n"
		"replica_fallback = error\n"
		"transaction_replay = yes\n"
		"transaction_replay_max_size = 0\n"
		"monitor_password =\n"
		"[rule lim]\n"
		"priority = -7\n"
		"match_kind = SELECT\n"
		"action = limit\n"
		"max_concurrency = 2\n"
		"max_queue = 10\n"
		"queue_timeout_ms = 100\n"
		"consistency = eventual\n"
		"log = on\n"
		"[rule to_addr]\n"
		"action = route\n"
		"route = [::1]:3307\n"
		"[rule to_replica]\n"
		"action = route\n"
		"route = Replica\n"
		"[rule to_primary]\n"
		"action = route\n"
		"route = primary\n");
	const struct ws_cluster *c;

	dump_errors(cfg);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_DEBUG);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	c = &cfg->clusters[0];
	CU_ASSERT_FALSE(c->has_primary);
	CU_ASSERT_EQUAL_FATAL(c->n_nodes, 3);
	CU_ASSERT_EQUAL(c->nodes[1].weight, 5);
	CU_ASSERT(c->nodes[2].is_socket);
	CU_ASSERT_STRING_EQUAL(c->nodes[2].host, "/run/m.sock");
	CU_ASSERT_EQUAL(c->load_balance, WS_BALANCE_ROUND_ROBIN);
	CU_ASSERT_EQUAL(c->consistency, WESCALE_CONSISTENCY_GLOBAL);
	CU_ASSERT_EQUAL(c->consistency_timeout_ms, 0);
	CU_ASSERT_EQUAL(c->max_replica_lag_ms, 86400000);
	CU_ASSERT_EQUAL(c->health_interval_ms, 10);
	CU_ASSERT_EQUAL(c->failover_timeout_ms, 0);
	CU_ASSERT_EQUAL(c->global_cache_ms, 1000);
	CU_ASSERT_EQUAL(c->replica_idle_timeout_ms, 0);
	CU_ASSERT_EQUAL(c->max_connections_per_node, 1000000);
	CU_ASSERT_EQUAL(c->read_only_transactions, WS_RO_TRX_PRIMARY);
	CU_ASSERT_EQUAL(c->replica_fallback, WS_FALLBACK_ERROR);
	CU_ASSERT(c->transaction_replay);
	CU_ASSERT_EQUAL(c->transaction_replay_max_size, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->monitor_password);
	CU_ASSERT_STRING_EQUAL(c->monitor_password, "");
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 4);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].name, "lim");
	CU_ASSERT_EQUAL(cfg->rules[0].priority, -7);
	CU_ASSERT_EQUAL(cfg->rules[0].match_kind, WS_STMT_SELECT);
	CU_ASSERT_EQUAL(cfg->rules[0].action, WS_RULE_LIMIT);
	CU_ASSERT_EQUAL(cfg->rules[0].max_concurrency, 2);
	CU_ASSERT_EQUAL(cfg->rules[0].max_queue, 10);
	CU_ASSERT_EQUAL(cfg->rules[0].queue_timeout_ms, 100);
	CU_ASSERT_EQUAL(cfg->rules[0].consistency, WESCALE_CONSISTENCY_EVENTUAL);
	CU_ASSERT(cfg->rules[0].log);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].error_message, "query blocked by rule lim");
	CU_ASSERT(cfg->rules[1].has_route_addr);
	CU_ASSERT_EQUAL(cfg->rules[1].route, -1);
	CU_ASSERT_STRING_EQUAL(cfg->rules[1].route_addr.host, "::1");
	CU_ASSERT_EQUAL(cfg->rules[1].route_addr.port, 3307);
	CU_ASSERT_EQUAL(cfg->rules[2].route, WESCALE_ROUTE_REPLICA);
	CU_ASSERT_FALSE(cfg->rules[2].has_route_addr);
	CU_ASSERT_EQUAL(cfg->rules[3].route, WESCALE_ROUTE_PRIMARY);
	ws_config_free(cfg);
}

static void test_defaults(void)
{
	struct ws_config *cfg = load("[cluster c]\nprimary = h\n[rule r]\naction = continue\n");
	const struct ws_cluster *c;
	const struct ws_rule_conf *r;

	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_WARN);
	CU_ASSERT_PTR_NULL(cfg->log_file);
	CU_ASSERT_PTR_NULL(cfg->stats_socket);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	c = &cfg->clusters[0];
	CU_ASSERT_STRING_EQUAL(c->primary.host, "h");
	CU_ASSERT_EQUAL(c->primary.port, 3306);
	CU_ASSERT_EQUAL(c->n_replicas, 0);
	CU_ASSERT_EQUAL(c->load_balance, WS_BALANCE_LEAST_RT);
	CU_ASSERT_EQUAL(c->consistency, WESCALE_CONSISTENCY_SESSION);
	CU_ASSERT_EQUAL(c->consistency_timeout_ms, 500);
	CU_ASSERT_EQUAL(c->max_replica_lag_ms, 5000);
	CU_ASSERT_EQUAL(c->health_interval_ms, 500);
	CU_ASSERT_EQUAL(c->failover_timeout_ms, 30000);
	CU_ASSERT_EQUAL(c->global_cache_ms, 1);
	CU_ASSERT_EQUAL(c->replica_idle_timeout_ms, 60000);
	CU_ASSERT_EQUAL(c->max_connections_per_node, 0);
	CU_ASSERT_EQUAL(c->read_only_transactions, WS_RO_TRX_REPLICA);
	CU_ASSERT_EQUAL(c->replica_fallback, WS_FALLBACK_PRIMARY);
	CU_ASSERT_FALSE(c->transaction_replay);
	CU_ASSERT_PTR_NULL(c->monitor_user);
	CU_ASSERT_PTR_NULL(c->replica_safe_functions);
	CU_ASSERT_PTR_NULL(c->monitor_password);
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 1);
	r = &cfg->rules[0];
	CU_ASSERT_EQUAL(r->priority, 100);
	CU_ASSERT_EQUAL(r->match_kind, -1);
	CU_ASSERT_PTR_NULL(r->query_regex);
	CU_ASSERT_PTR_NULL(r->user);
	CU_ASSERT_PTR_NULL(r->database);
	CU_ASSERT_EQUAL(r->action, WS_RULE_CONTINUE);
	CU_ASSERT_STRING_EQUAL(r->error_message, "query blocked by rule r");
	CU_ASSERT_EQUAL(r->route, WESCALE_ROUTE_AUTO);
	CU_ASSERT_FALSE(r->has_route_addr);
	CU_ASSERT_EQUAL(r->consistency, -1);
	CU_ASSERT_EQUAL(r->max_concurrency, 0);
	CU_ASSERT_EQUAL(r->max_queue, 0);
	CU_ASSERT_EQUAL(r->queue_timeout_ms, 0);
	CU_ASSERT_FALSE(r->log);
	ws_config_free(cfg);

	/* Nothing at all is a valid (empty) configuration. */
	cfg = load("");
	CU_ASSERT_EQUAL(cfg->n_errors + cfg->n_clusters + cfg->n_rules + cfg->n_warnings, 0);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_WARN);
	ws_config_free(cfg);
	cfg = load("# only a comment\n\n   \n[global]\n");
	CU_ASSERT_EQUAL(cfg->n_errors + cfg->n_clusters + cfg->n_rules, 0);
	ws_config_free(cfg);
}

/* One bad `key = value` on line 2 of a section that is otherwise valid. */
static const struct bad_value {
	const char *section, *line, *error;
} bad_values[] = {
	{ "global", "log_level = loud", "log_level = loud: expected error, warn, info or debug" },
	{ "global", "log_level =", "log_level: missing value" },
	{ "global", "log_file = \"\"", "log_file: missing value" },
	{ "global", "stats_socket = # nothing", "stats_socket: missing value" },
	{ "global", "stats_socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "stats_socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: too long for a unix socket path (at most 107 bytes)" },
	{ "cluster", "primary = db1:0", "primary = db1:0: port must be a number from 1 to 65535" },
	{ "cluster", "primary = db1:65536", "primary = db1:65536: port must be a number from 1 to 65535" },
	{ "cluster", "primary = db1:abc", "primary = db1:abc: port must be a number from 1 to 65535" },
	{ "cluster", "primary = db1:3306x", "primary = db1:3306x: port must be a number from 1 to 65535" },
	{ "cluster", "primary = db1:", "primary = db1:: port must be a number from 1 to 65535" },
	{ "cluster", "primary = db1:-1", "primary = db1:-1: port must be a number from 1 to 65535" },
	{ "cluster", "primary = :3306", "primary = :3306: missing host name" },
	{ "cluster", "primary = db 1:3306", "primary = db 1:3306: invalid host name (letters, digits, '_', '.' and '-' only)" },
	{ "cluster", "primary = db!1", "primary = db!1: invalid host name (letters, digits, '_', '.' and '-' only)" },
	{ "cluster", "primary = ::1", "primary = ::1: an IPv6 address must be written in brackets ([::1]:3306)" },
	{ "cluster", "primary = [::1", "primary = [::1: missing ']' after the IPv6 address" },
	{ "cluster", "primary = [::g]:1", "primary = [::g]:1: invalid IPv6 address" },
	{ "cluster", "primary = []:1", "primary = []:1: invalid IPv6 address" },
	{ "cluster", "primary = [::1]3306", "primary = [::1]3306: expected ':PORT' after ']'" },
	{ "cluster", "primary = unix:sock", "primary = unix:sock: a unix socket path must be absolute (unix:/path/to/socket)" },
	{ "cluster", "primary = unix:", "primary = unix:: a unix socket path must be absolute (unix:/path/to/socket)" },
	{ "cluster", "primary = h@0", "primary = h@0: weight must be a number from 1 to 1000 (HOST:PORT@N)" },
	{ "cluster", "primary = h:1@1001", "primary = h:1@1001: weight must be a number from 1 to 1000 (HOST:PORT@N)" },
	{ "cluster", "primary = h:1@", "primary = h:1@: weight must be a number from 1 to 1000 (HOST:PORT@N)" },
	{ "cluster", "primary = @2", "primary = @2: empty address" },
	{ "cluster", "replicas = a:1,,b:2", "replicas = a:1,,b:2: empty element in the list" },
	{ "cluster", "replicas = a:1,", "replicas = a:1,: empty element in the list" },
	{ "cluster", "replicas = a:1, b:0", "replicas = b:0: port must be a number from 1 to 65535" },
	{ "cluster", "nodes = a:1, [::1]:x", "nodes = [::1]:x: port must be a number from 1 to 65535" },
	{ "cluster", "nodes = ,", "nodes = ,: empty element in the list" },
	{ "cluster", "load_balance = fastest",
	  "load_balance = fastest: expected least_rt, least_qps, least_behind_primary, random or round_robin" },
	{ "cluster", "consistency = strong",
	  "consistency = strong: expected eventual, session, instance, global or primary" },
	{ "cluster", "consistency_timeout_ms = -1",
	  "consistency_timeout_ms = -1: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "consistency_timeout_ms = 86400001",
	  "consistency_timeout_ms = 86400001: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_replica_lag_ms = 1.5",
	  "max_replica_lag_ms = 1.5: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_replica_lag_ms = 5 s",
	  "max_replica_lag_ms = 5 s: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_replica_lag_ms = +5",
	  "max_replica_lag_ms = +5: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_replica_lag_ms = 0x10",
	  "max_replica_lag_ms = 0x10: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_replica_lag_ms = 99999999999999999999999",
	  "max_replica_lag_ms = 99999999999999999999999: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "health_interval_ms = 9",
	  "health_interval_ms = 9: expected a number of milliseconds from 10 to 86400000" },
	{ "cluster", "failover_timeout_ms = -5",
	  "failover_timeout_ms = -5: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "global_cache_ms = 1001",
	  "global_cache_ms = 1001: expected a number of milliseconds from 0 to 1000" },
	{ "cluster", "replica_idle_timeout_ms = abc",
	  "replica_idle_timeout_ms = abc: expected a number of milliseconds from 0 to 86400000" },
	{ "cluster", "max_connections_per_node = 1000001",
	  "max_connections_per_node = 1000001: expected a whole number from 0 to 1000000" },
	{ "cluster", "read_only_transactions = never",
	  "read_only_transactions = never: expected replica or primary" },
	{ "cluster", "replica_fallback = replica", "replica_fallback = replica: expected primary or error" },
	{ "cluster", "transaction_replay = maybe", "transaction_replay = maybe: expected on or off" },
	{ "cluster", "transaction_replay_max_size = 1073741825",
	  "transaction_replay_max_size = 1073741825: expected a whole number from 0 to 1073741824" },
	{ "cluster", "monitor_user =", "monitor_user: missing value" },
	{ "cluster", "replica_safe_functions = f, db.(g)",
	  "replica_safe_functions = f, db.(g): expected a comma-separated list of function names, each NAME or DB.NAME" },
	{ "cluster", "replica_safe_functions = .f",
	  "replica_safe_functions = .f: expected a comma-separated list of function names, each NAME or DB.NAME" },
	{ "cluster", "monitor_password = \"abc", "monitor_password: unterminated quoted value (missing '\"')" },
	{ "rule", "priority = high", "priority = high: expected a whole number from -2147483648 to 2147483647" },
	{ "rule", "priority = 2147483648",
	  "priority = 2147483648: expected a whole number from -2147483648 to 2147483647" },
	{ "rule", "priority = -", "priority = -: expected a whole number from -2147483648 to 2147483647" },
	{ "rule", "match_kind = drop",
	  "match_kind = drop: expected select, insert, update, delete, replace, ddl, set or other" },
	{ "rule", "action = block", "action = block: expected fail, route, continue or limit" },
	{ "rule", "route = nowhere:0",
	  "route = nowhere:0: expected primary, replica or HOST:PORT (port must be a number from 1 to 65535)" },
	{ "rule", "consistency = strong",
	  "consistency = strong: expected eventual, session, instance, global or primary" },
	{ "rule", "max_concurrency = 0", "max_concurrency = 0: expected a whole number from 1 to 1000000" },
	{ "rule", "max_queue = -1", "max_queue = -1: expected a whole number from 0 to 1000000" },
	{ "rule", "queue_timeout_ms = 86400001",
	  "queue_timeout_ms = 86400001: expected a number of milliseconds from 0 to 86400000" },
	{ "rule", "log = maybe", "log = maybe: expected on or off" },
	{ "rule", "query_regex =", "query_regex: missing value" },
	{ "rule", "user = ", "user: missing value" },
	{ "rule", "database = \"\"", "database: missing value" },
	{ "rule", "error_message =", "error_message: missing value" },
};

static void test_bad_values(void)
{
	for (size_t i = 0; i < N_ELEMS(bad_values); i++) {
		const struct bad_value *b = &bad_values[i];
		char text[512], want[512];
		const char *rest = "";

		/* Keep the section valid apart from the line under test. */
		if (strcmp(b->section, "cluster") == 0 && strncmp(b->line, "primary", 7) != 0 &&
		    strncmp(b->line, "nodes", 5) != 0)
			rest = "primary = zz:1\n";
		else if (strcmp(b->section, "rule") == 0 && strncmp(b->line, "action", 6) != 0)
			rest = "action = continue\n";
		snprintf(text, sizeof(text), "[%s%s]\n%s\n%s", b->section,
			 strcmp(b->section, "global") ? " x" : "", b->line, rest);
		snprintf(want, sizeof(want), "t:2: %s", b->error);
		expect_error(text, want);
	}
}

static void test_bad_value_keeps_default(void)
{
	struct ws_config *cfg = load("[cluster c]\nprimary = h\nhealth_interval_ms = 5\n");

	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	CU_ASSERT_EQUAL(cfg->clusters[0].health_interval_ms, 500);
	ws_config_free(cfg);
}

static void test_unknown_key(void)
{
	expect_error("[cluster main]\nprimary = h\nconsistancy = session\n",
		     "t:3: unknown key 'consistancy' in [cluster main]; did you mean 'consistency'?");
	expect_error("[global]\nlog_levle = info\n",
		     "t:2: unknown key 'log_levle' in [global]; did you mean 'log_level'?");
	expect_error("[cluster main]\nprimary = h\nfoo = 1\n", "t:3: unknown key 'foo' in [cluster main]");
	expect_error("[cluster main]\nprimary = h\nlog_level = info\n",
		     "t:3: unknown key 'log_level' in [cluster main]; it belongs in [global]");
	expect_error("[global]\nprimary = h\n", "t:2: unknown key 'primary' in [global]; it belongs in [cluster NAME]");
	expect_error("[rule r]\naction = fail\nmatch = select\n",
		     "t:3: unknown key 'match' in [rule r]");
	expect_error("[rule r]\naction = fail\nmatchkind = select\n",
		     "t:3: unknown key 'matchkind' in [rule r]; did you mean 'match_kind'?");
	/* Keys are case-insensitive. */
	expect_no_error("[Global]\nLOG_LEVEL = Info\n");
}

static void test_duplicates(void)
{
	expect_error("[cluster a]\nprimary = h1\n[cluster a]\nprimary = h2\n",
		     "t:3: duplicate section [cluster a] (first on line 1)");
	expect_error("[rule r]\naction = fail\n[rule r]\naction = fail\n",
		     "t:3: duplicate section [rule r] (first on line 1)");
	expect_error("[global]\n[global]\nlog_level = info\n", "t:2: duplicate section [global] (first on line 1)");
	expect_error("[cluster a]\nprimary = h1\nprimary = h2\n",
		     "t:3: duplicate key 'primary' in [cluster a] (first set on line 2)");
	expect_error("[global]\nlog_level = info\nLog_Level = debug\n",
		     "t:3: duplicate key 'log_level' in [global] (first set on line 2)");
	/* A cluster and a rule may share a name; names are case-sensitive. */
	expect_no_error("[cluster a]\nprimary = h1\n[rule a]\naction = fail\n[cluster A]\nprimary = h2\n");

	/* The first of two same-named clusters is the one kept. */
	struct ws_config *cfg = load("[cluster a]\nprimary = h1\n[cluster a]\nprimary = h2\n");

	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].primary.host, "h1");
	ws_config_free(cfg);
}

static void test_sections(void)
{
	expect_error("log_level = info\n[global]\n",
		     "t:1: key 'log_level' before any section; put it under [global], [cluster NAME] or [rule NAME]");
	expect_error("hello\n", "t:1: expected 'key = value' or a [section] header, found 'hello'");
	expect_error("[global]\nhello # = x\n",
		     "t:2: expected 'key = value' or a [section] header, found 'hello'");
	expect_error("[global]\n= x\n", "t:2: missing key before '='");
	expect_error("[global\n", "t:1: section header without ']'");
	expect_error("[global] x\n", "t:1: unexpected text after ']': x");
	expect_no_error("[global] # comment\n[ cluster   c ] ; comment\nprimary = h\n");
	expect_error("[global main]\n", "t:1: [global] takes no name");
	expect_error("[cluster]\nprimary = h\n", "t:1: [cluster] needs a name: [cluster NAME]");
	expect_error("[rule]\n", "t:1: [rule] needs a name: [rule NAME]");
	expect_error("[cluster a b]\nprimary = h\n",
		     "t:1: invalid cluster name 'a b' (letters, digits, '_', '.' and '-' only)");
	expect_error("[rule a/b]\naction = fail\n",
		     "t:1: invalid rule name 'a/b' (letters, digits, '_', '.' and '-' only)");
	expect_no_error("[cluster A-z_0.9]\nprimary = h\n");
	/* Unknown kind: one error, its keys skipped silently. */
	expect_error("[clustr main]\nprimary = h\nbogus = 1\nnot a key\n",
		     "t:1: unknown section [clustr main]; did you mean [cluster main]?");
	expect_error("[server x]\nhost = y\n",
		     "t:1: unknown section [server x]; expected [global], [cluster NAME] or [rule NAME]");
	expect_error("[]\n", "t:1: unknown section []; expected [global], [cluster NAME] or [rule NAME]");
	/* Section kinds are case-insensitive. */
	expect_no_error("[CLUSTER c]\nprimary = h\n[Rule r]\naction = fail\n");
	/* After an unknown section, a known one works again. */
	static const char *const after_unknown[] = {
		"t:1: unknown section [foo]; expected [global], [cluster NAME] or [rule NAME]",
		"t:4: unknown key 'log_levl' in [global]; did you mean 'log_level'?",
	};
	expect_errors("[foo]\nx = 1\n[global]\nlog_levl = info\n", after_unknown, 2);
}

static void test_comments_and_quotes(void)
{
	struct ws_config *cfg = load(
		"# comment\n"
		"  ; another comment\n"
		"[rule r]   # trailing\n"
		"query_regex = ^a#b;c   # comment\n"
		"error_message = \"  keep # this ; \\\"and\\\" \\\\ \\d  \"   ; comment\n"
		"user = app;x\n"
		"database = shop\t#tab comment\n"
		"action = fail;not a comment\n");

	/* "fail;not a comment" is not a valid action: the rule is dropped. */
	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_EQUAL(cfg->n_rules, 0);
	ws_config_free(cfg);

	cfg = load(
		"[rule r]\n"
		"query_regex = ^a#b;c   # comment\n"
		"error_message = \"  keep # this ; \\\"and\\\" \\\\ \\d  \"   ; comment\n"
		"user = app;x\n"
		"database = shop\t#tab comment\n"
		"action = \"fail\"\n"
		"[cluster c]\n"
		"primary = h   ; comment\n"
		"monitor_password = \"\"\n"
		"monitor_user = a # b # c\n");
	dump_errors(cfg);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 1);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].query_regex, "^a#b;c");
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].error_message, "  keep # this ; \"and\" \\ \\d  ");
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].user, "app;x");
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].database, "shop");
	CU_ASSERT_EQUAL(cfg->rules[0].action, WS_RULE_FAIL);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].primary.host, "h");
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].monitor_password, "");
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].monitor_user, "a");
	ws_config_free(cfg);

	expect_error("[global]\nlog_file = \"/tmp/x\n", "t:2: log_file: unterminated quoted value (missing '\"')");
	expect_error("[global]\nlog_file = \"/tmp/x\\\"\n",
		     "t:2: log_file: unterminated quoted value (missing '\"')");
	expect_error("[global]\nlog_file = \"/tmp/x\" y\n", "t:2: log_file: unexpected text after the closing quote");
	expect_error("[global]\nlog_file = \"/tmp/x\"# y\n", "t:2: log_file: unexpected text after the closing quote");
	expect_no_error("[global]\nlog_file = \"/tmp/x\" # y\n");
	/* '=' directly followed by '#': a value, not a comment. */
	cfg = load("[global]\nlog_file =#x\n");
	CU_ASSERT_STRING_EQUAL(cfg->log_file, "#x");
	ws_config_free(cfg);
	expect_error("[global]\nlog_file = # nothing\n", "t:2: log_file: missing value");
	expect_error("[global]\nlog_file = \x01x\n",
		     "t:2: control character 0x01 in the line (is this a text file?)");
}

static void test_crlf_bom(void)
{
	struct ws_config *cfg = load("\xEF\xBB\xBF[global]\r\nlog_level = info\r\n[cluster c]\r\n"
				     "primary = h:1 # c\r\nmonitor_user = \"u\"\r\n");

	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_INFO);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].primary.host, "h");
	CU_ASSERT_EQUAL(cfg->clusters[0].primary.port, 1);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].monitor_user, "u");
	ws_config_free(cfg);
	/* No final newline; a lone BOM. */
	expect_no_error("[global]\nlog_level = info");
	expect_no_error("\xEF\xBB\xBF");
	/* A BOM anywhere else is not whitespace. */
	expect_error("[global]\n\xEF\xBB\xBFlog_level = info\n",
		     "t:2: unknown key '\xEF\xBB\xBFlog_level' in [global]");
}

static void test_long_lines(void)
{
	static char text[65536 + 256];
	struct ws_config *cfg;
	size_t len;

	/* A 65536-byte line is fine; 65537 is not. */
	len = (size_t)sprintf(text, "[global]\nlog_file = ");
	memset(text + len, 'a', 65536 - 11);
	len += 65536 - 11;
	len += (size_t)sprintf(text + len, "\r\n");
	CU_ASSERT_EQUAL(ws_config_load_string("t", text, len, &cfg), 0);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(strlen(cfg->log_file), 65536 - 11);
	ws_config_free(cfg);
	len -= 2;
	len += (size_t)sprintf(text + len, "a\n[global]\n");
	CU_ASSERT_EQUAL(ws_config_load_string("t", text, len, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 2);
	CU_ASSERT_STRING_EQUAL(cfg->errors[0], "t:2: line is longer than 65536 bytes");
	CU_ASSERT_PTR_NULL(cfg->log_file);
	ws_config_free(cfg);
}

static void test_too_many_errors(void)
{
	char text[4096];
	size_t len = 0;
	struct ws_config *cfg;

	len += (size_t)sprintf(text, "[global]\n");
	for (int i = 0; i < 150; i++)
		len += (size_t)sprintf(text + len, "bad%d = 1\n", i);
	CU_ASSERT_EQUAL(ws_config_load_string("t", text, len, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 101);
	CU_ASSERT_STRING_EQUAL(cfg->errors[0], "t:2: unknown key 'bad0' in [global]");
	CU_ASSERT_STRING_EQUAL(cfg->errors[99], "t:101: unknown key 'bad99' in [global]");
	CU_ASSERT_STRING_EQUAL(cfg->errors[100], "t: too many errors; only the first 100 are listed");
	ws_config_free(cfg);
}

static const struct addr_case {
	const char *text;
	int r;
	const char *host;
	unsigned port;
	bool is_socket;
	unsigned weight;
} addr_cases[] = {
	{ "db1.internal:3306", 0, "db1.internal", 3306, false, 1 },
	{ "  db1:1  ", 0, "db1", 1, false, 1 },
	{ "db1", 0, "db1", 3306, false, 1 },
	{ "DB1.Example.COM:65535", 0, "DB1.Example.COM", 65535, false, 1 },
	{ "10.0.0.1:3307", 0, "10.0.0.1", 3307, false, 1 },
	{ "[::1]:3306", 0, "::1", 3306, false, 1 },
	{ "[::1]", 0, "::1", 3306, false, 1 },
	{ "[2001:db8::17]:3307@7", 0, "2001:db8::17", 3307, false, 7 },
	{ "[fe80::1%eth0]:3306", 0, "fe80::1%eth0", 3306, false, 1 },
	{ "[::ffff:10.0.0.1]:1", 0, "::ffff:10.0.0.1", 1, false, 1 },
	{ "unix:/run/mysqld/mysqld.sock", 0, "/run/mysqld/mysqld.sock", 0, true, 1 },
	{ "UNIX:/tmp/s@3", 0, "/tmp/s", 0, true, 3 },
	{ "unix:/tmp/a:b", 0, "/tmp/a:b", 0, true, 1 },
	{ "db2:3306@1000", 0, "db2", 3306, false, 1000 },
	{ "db2@2", 0, "db2", 3306, false, 2 },
	{ "db1:0", -EINVAL, NULL, 0, false, 0 },
	{ "db1:65536", -EINVAL, NULL, 0, false, 0 },
	{ "db1:abc", -EINVAL, NULL, 0, false, 0 },
	{ "db1:3306x", -EINVAL, NULL, 0, false, 0 },
	{ "db1:03306", 0, "db1", 3306, false, 1 },
	{ "db1:0x10", -EINVAL, NULL, 0, false, 0 },
	{ "db1: 3306", -EINVAL, NULL, 0, false, 0 },
	{ "", -EINVAL, NULL, 0, false, 0 },
	{ "   ", -EINVAL, NULL, 0, false, 0 },
	{ "db 1", -EINVAL, NULL, 0, false, 0 },
	{ "db1:1:2", -EINVAL, NULL, 0, false, 0 },
	{ "2001:db8::1", -EINVAL, NULL, 0, false, 0 },
	{ "[2001:db8::1", -EINVAL, NULL, 0, false, 0 },
	{ "[1.2.3.4]:1", -EINVAL, NULL, 0, false, 0 },
	{ "[::1]:", -EINVAL, NULL, 0, false, 0 },
	{ "[fe80::1%]:1", -EINVAL, NULL, 0, false, 0 },
	{ "unix:", -EINVAL, NULL, 0, false, 0 },
	{ "db_primary:3307", 0, "db_primary", 3307, false, 1 },
	{ "unix:3307", 0, "unix", 3307, false, 1 },
	{ "unix", 0, "unix", 3306, false, 1 },
	{ "unix:70000", -EINVAL, NULL, 0, false, 0 },
	{ "unix:relative/sock", -EINVAL, NULL, 0, false, 0 },
	{ "db2@0", -EINVAL, NULL, 0, false, 0 },
	{ "db2@1001", -EINVAL, NULL, 0, false, 0 },
	{ "db2@", -EINVAL, NULL, 0, false, 0 },
	{ "db2@x", -EINVAL, NULL, 0, false, 0 },
	{ "db2:1@2@3", -EINVAL, NULL, 0, false, 0 },
	{ "a,b", -EINVAL, NULL, 0, false, 0 },
};

static void test_addresses(void)
{
	struct ws_addr a;
	char longsock[200];

	for (size_t i = 0; i < N_ELEMS(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		int r = ws_config_parse_addr(c->text, strlen(c->text), 3306, &a);

		if (r != c->r)
			fprintf(stderr, "\n  address '%s': got %d, want %d\n", c->text, r, c->r);
		CU_ASSERT_EQUAL(r, c->r);
		if (r != 0) {
			CU_ASSERT_PTR_NULL(a.host);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(a.host, c->host);
		CU_ASSERT_EQUAL(a.port, c->port);
		CU_ASSERT_EQUAL(a.is_socket, c->is_socket);
		CU_ASSERT_EQUAL(a.weight, c->weight);
		free(a.host);
	}
	/* The length bounds the text: no NUL needed, nothing read past it. */
	CU_ASSERT_EQUAL(ws_config_parse_addr("db1:3306,db2", 8, 3306, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.host, "db1");
	CU_ASSERT_EQUAL(a.port, 3306);
	free(a.host);
	CU_ASSERT_EQUAL(ws_config_parse_addr("db1", 3, 5000, &a), 0);
	CU_ASSERT_EQUAL(a.port, 5000);
	free(a.host);
	CU_ASSERT_EQUAL(ws_config_parse_addr(NULL, 0, 3306, &a), -EINVAL);
	CU_ASSERT_EQUAL(ws_config_parse_addr("a\0b", 3, 3306, &a), -EINVAL);
	/* sun_path holds 107 bytes and a NUL. */
	memcpy(longsock, "unix:/", 6);
	memset(longsock + 6, 's', 106);
	CU_ASSERT_EQUAL(ws_config_parse_addr(longsock, 5 + 107, 3306, &a), 0);
	free(a.host);
	longsock[5 + 107] = 's';
	CU_ASSERT_EQUAL(ws_config_parse_addr(longsock, 5 + 108, 3306, &a), -EINVAL);
}

static void test_cluster_validation(void)
{
	static const char *const two[] = {
		"t:3: replicas: a cluster has either 'primary' (with optional 'replicas') or 'nodes', not both",
		"t:4: primary: a cluster has either 'primary' (with optional 'replicas') or 'nodes', not both",
	};
	struct ws_config *cfg;

	expect_error("[cluster c]\nprimary = a\nnodes = b, c\n",
		     "t:3: nodes: a cluster has either 'primary' (with optional 'replicas') or 'nodes', not both");
	expect_errors("[cluster c]\nnodes = b, c\nreplicas = d\nprimary = a\n", two, 2);
	expect_error("[cluster c]\nload_balance = random\n",
		     "t:1: [cluster c] needs 'primary' (with optional 'replicas') or 'nodes'");
	expect_error("[cluster c]\nreplicas = a, b\n",
		     "t:1: [cluster c] needs 'primary' (with optional 'replicas') or 'nodes'");
	/* Only the bad primary is reported, not the missing one too. */
	expect_error("[cluster c]\nprimary = a:0\n", "t:2: primary = a:0: port must be a number from 1 to 65535");
	expect_error("[cluster c]\nprimary = a\nreplicas = b, A:3306\n", "t:3: A:3306 is listed twice in [cluster c]");
	expect_error("[cluster c]\nnodes = a:1, b:1, a:1@2\n", "t:2: a:1 is listed twice in [cluster c]");
	expect_error("[cluster c]\nnodes = unix:/s, unix:/s\n", "t:2: unix:/s is listed twice in [cluster c]");
	expect_error("[cluster c]\nprimary = a\n[cluster d]\nprimary = b\nreplicas = A:3306\n",
		     "t:5: A:3306 is in both [cluster c] (line 1) and [cluster d]");
	expect_error("[cluster c]\nprimary = [::1]:5\n[cluster d]\nnodes = x, [::1]:5\n",
		     "t:4: [::1]:5 is in both [cluster c] (line 1) and [cluster d]");
	/* Different ports, or a socket vs. a host, are different nodes. */
	expect_no_error("[cluster c]\nprimary = a:1\nreplicas = a:2, unix:/a\n[cluster d]\nnodes = a:3, unix:/b\n");

	/* A cluster without nodes is dropped; the others load. */
	cfg = load("[cluster bad]\n[cluster good]\nprimary = g\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 1);
	CU_ASSERT_STRING_EQUAL(cfg->clusters[0].name, "good");
	ws_config_free(cfg);
}

static void test_rules(void)
{
	static const char *const dropped[] = {
		"t:1: [rule a] has no 'action' (fail, route, continue or limit); rule ignored",
		"t:5: [rule c]: action = route needs 'route = primary|replica|HOST:PORT'; rule ignored",
		"t:7: [rule d]: action = limit needs 'max_concurrency'; rule ignored",
	};
	struct ws_config *cfg;

	cfg = load("[rule a]\nmatch_kind = delete\n[rule b]\naction = fail\n"
		   "[rule c]\naction = route\n[rule d]\naction = limit\n");
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 1);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].name, "b");
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 3);
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT_STRING_EQUAL(cfg->errors[i], dropped[i]);
	ws_config_free(cfg);

	/* A rule with a bad key is dropped, even with an action. */
	cfg = load("[rule a]\naction = fail\nmatch_kind = drop\n[rule b]\naction = fail\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 1);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].name, "b");
	ws_config_free(cfg);

	/* Sorted by priority, then file order. */
	cfg = load("[rule p50a]\naction = continue\npriority = 50\n"
		   "[rule p100]\naction = continue\n"
		   "[rule p10]\naction = continue\npriority = 10\n"
		   "[rule p50b]\naction = continue\npriority = 50\n"
		   "[rule neg]\naction = continue\npriority = -1\n"
		   "[rule p50c]\naction = continue\npriority = 050\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_rules, 6);
	CU_ASSERT_STRING_EQUAL(cfg->rules[0].name, "neg");
	CU_ASSERT_STRING_EQUAL(cfg->rules[1].name, "p10");
	CU_ASSERT_STRING_EQUAL(cfg->rules[2].name, "p50a");
	CU_ASSERT_STRING_EQUAL(cfg->rules[3].name, "p50b");
	CU_ASSERT_STRING_EQUAL(cfg->rules[4].name, "p50c");
	CU_ASSERT_STRING_EQUAL(cfg->rules[5].name, "p100");
	ws_config_free(cfg);

	/* Keys that the action does not use: warnings, the rule loads. */
	cfg = load("[rule r]\naction = fail\nroute = primary\nmax_concurrency = 3\nmax_queue = 1\n"
		   "queue_timeout_ms = 5\n[rule s]\naction = continue\nerror_message = x\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	CU_ASSERT_EQUAL(cfg->n_rules, 2);
	CU_ASSERT_EQUAL_FATAL(cfg->n_warnings, 5);
	CU_ASSERT_STRING_EQUAL(cfg->warnings[0], "t:3: [rule r]: 'route' is ignored unless action = route");
	CU_ASSERT_STRING_EQUAL(cfg->warnings[1], "t:4: [rule r]: 'max_concurrency' is ignored unless action = limit");
	CU_ASSERT_STRING_EQUAL(cfg->warnings[4], "t:9: [rule s]: 'error_message' is ignored unless action = fail");
	/* An ignored route is not passed on. */
	CU_ASSERT_EQUAL(cfg->rules[0].route, WESCALE_ROUTE_AUTO);
	CU_ASSERT_FALSE(cfg->rules[0].has_route_addr);
	ws_config_free(cfg);

	/* Rules and clusters are independent: a bad rule does not drop a cluster. */
	cfg = load("[cluster c]\nprimary = h\n[rule r]\n[global]\nlog_level = debug\n");
	CU_ASSERT_EQUAL(cfg->n_errors, 1);
	CU_ASSERT_EQUAL(cfg->n_clusters, 1);
	CU_ASSERT_EQUAL(cfg->n_rules, 0);
	CU_ASSERT_EQUAL(cfg->log_level, WS_LOG_DEBUG);
	ws_config_free(cfg);
}

static void test_find_cluster(void)
{
	struct ws_config *cfg = load(
		"[cluster main]\nprimary = db1.internal:3306\nreplicas = db2.internal:3307, [::1]:3306\n"
		"[cluster sock]\nprimary = unix:/run/mysqld/mysqld.sock\nreplicas = 127.0.0.1:3310\n"
		"[cluster disc]\nnodes = n1:4000, n2:4000\n");
	const struct ws_cluster *mainc, *sockc, *discc;

	CU_ASSERT_EQUAL_FATAL(cfg->n_clusters, 3);
	mainc = &cfg->clusters[0];
	sockc = &cfg->clusters[1];
	discc = &cfg->clusters[2];
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "db1.internal", 3306, NULL), mainc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "DB1.Internal", 3306, NULL), mainc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "db1.internal", 0, NULL), mainc);
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "db1.internal", 3307, NULL));
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "db2.internal", 3307, NULL), mainc);
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "db2.internal", 0, NULL));
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "::1", 0, NULL), mainc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "n2", 4000, NULL), discc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "127.0.0.1", 3310, NULL), sockc);
	/* No name resolution: localhost is not 127.0.0.1. */
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "localhost", 3310, NULL));
	/* A socket connection: NULL or "localhost" host, port ignored. */
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "localhost", 0, "/run/mysqld/mysqld.sock"), sockc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, NULL, 1234, "/run/mysqld/mysqld.sock"), sockc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "/run/mysqld/mysqld.sock", 0, NULL), sockc);
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "localhost", 0, "/tmp/other.sock"));
	/* With a TCP host the socket argument is not what was used. */
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "db1.internal", 3306, "/tmp/other.sock"), mainc);
	/* By cluster name, any port. */
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "disc", 0, NULL), discc);
	CU_ASSERT_PTR_EQUAL(ws_config_find_cluster(cfg, "main", 9999, NULL), mainc);
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "Main", 3306, NULL));
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, "elsewhere", 3306, NULL));
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(cfg, NULL, 0, NULL));
	CU_ASSERT_PTR_NULL(ws_config_find_cluster(NULL, "db1.internal", 3306, NULL));
	ws_config_free(cfg);
}

static void test_to_string(void)
{
	CU_ASSERT_STRING_EQUAL(ws_balance_to_string(WS_BALANCE_LEAST_RT), "least_rt");
	CU_ASSERT_STRING_EQUAL(ws_balance_to_string(WS_BALANCE_LEAST_BEHIND_PRIMARY), "least_behind_primary");
	CU_ASSERT_STRING_EQUAL(ws_balance_to_string(WS_BALANCE_ROUND_ROBIN), "round_robin");
	CU_ASSERT_STRING_EQUAL(ws_balance_to_string((enum ws_balance)42), "unknown");
	CU_ASSERT_STRING_EQUAL(ws_consistency_to_string(WESCALE_CONSISTENCY_EVENTUAL), "eventual");
	CU_ASSERT_STRING_EQUAL(ws_consistency_to_string(WESCALE_CONSISTENCY_PRIMARY), "primary");
	CU_ASSERT_STRING_EQUAL(ws_consistency_to_string(-1), "unknown");
	CU_ASSERT_STRING_EQUAL(ws_log_level_to_string(WS_LOG_DEBUG), "debug");
}

/* ---- files ---- */

static char *temp_file(const void *data, size_t len, mode_t mode)
{
	char *path = strdup("/tmp/test-config-XXXXXX");
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
	return path;
}

static void remove_temp(char *path)
{
	unlink(path);
	free(path);
}

static void test_file_errors(void)
{
	struct ws_config *cfg = (struct ws_config *)1;
	char dir[] = "/tmp/test-config-dir-XXXXXX";

	CU_ASSERT_EQUAL(ws_config_load_file("/nonexistent/wescale.conf", &cfg), -ENOENT);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL(ws_config_load_file(dir, &cfg), -EISDIR);
	CU_ASSERT_PTR_NULL(cfg);
	rmdir(dir);
	CU_ASSERT_EQUAL(ws_config_load_file("/dev/null", &cfg), -EINVAL);
	CU_ASSERT_EQUAL(ws_config_load_file("", &cfg), -EINVAL);
	CU_ASSERT_EQUAL(ws_config_load_file(NULL, &cfg), -EINVAL);
	ws_config_free(NULL);
}

static void test_file_sizes(void)
{
	size_t big = 2 * 1024 * 1024;
	char *data = malloc(big), *path;
	struct ws_config *cfg = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	memset(data, '#', big);
	for (size_t i = 79; i < big; i += 80)
		data[i] = '\n';
	path = temp_file(data, big, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), -EFBIG);
	CU_ASSERT_PTR_NULL(cfg);
	remove_temp(path);

	/* Exactly 1 MiB of comments is accepted. */
	path = temp_file(data, 1024 * 1024, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	ws_config_free(cfg);
	remove_temp(path);

	path = temp_file("", 0, 0644);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(cfg->path, path);
	CU_ASSERT_EQUAL(cfg->n_clusters + cfg->n_rules + cfg->n_errors + cfg->n_warnings, 0);
	ws_config_free(cfg);
	remove_temp(path);

	/* Random bytes: errors, no crash, and messages free of control bytes. */
	srand(7);
	for (size_t i = 0; i < 64 * 1024; i++)
		data[i] = (char)(rand() & 0xff);
	path = temp_file(data, 64 * 1024, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT(cfg->n_errors > 0 && cfg->n_errors <= 101);
	for (size_t i = 0; i < cfg->n_errors; i++) {
		CU_ASSERT_EQUAL(strncmp(cfg->errors[i], path, strlen(path)), 0);
		for (const char *c = cfg->errors[i]; *c; c++)
			CU_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	ws_config_free(cfg);
	remove_temp(path);
	free(data);
}

/* Load path: exactly one message about its permissions, an error or a
 * warning, "PATH: contains passwords and is readable by " + tail. */
static void expect_password_message(const char *path, bool error, const char *tail)
{
	struct ws_config *cfg = NULL;
	char want[256];

	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(error ? cfg->n_errors : cfg->n_warnings, 1);
	CU_ASSERT_EQUAL(error ? cfg->n_warnings : cfg->n_errors, 0);
	snprintf(want, sizeof(want), "%s: contains passwords and is readable by %s", path, tail);
	CU_ASSERT_STRING_EQUAL(error ? cfg->errors[0] : cfg->warnings[0], want);
	ws_config_free(cfg);
}

static void test_file_password_warning(void)
{
	static const char text[] = "[cluster c]\nprimary = h\nmonitor_user = m\nmonitor_password = s\n";
	static const char allowed[] = "[global]\nallow_readable_password = yes\n[cluster c]\nprimary = h\n"
				      "monitor_user = m\nmonitor_password = s\n";
	static const char other_key[] = "[cluster c]\nprimary = h\nreplica_password = s\n";
	struct ws_config *cfg = NULL;
	char *path = temp_file(text, strlen(text), 0644), want[256];

	/* Readable by others, or by the group: refused, with a file: error
	 * (the library then runs as a pass-through). */
	expect_password_message(path, true, "other users (mode 644): chmod 600 it, or set allow_readable_password "
				"= yes in [global]");
	CU_ASSERT_EQUAL(chmod(path, 0640), 0);
	expect_password_message(path, true, "its group (mode 640): chmod 600 it, or set allow_readable_password "
				"= yes in [global]");
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	ws_config_free(cfg);
	remove_temp(path);

	/* The explicit override: a warning, no error. */
	path = temp_file(allowed, strlen(allowed), 0644);
	expect_password_message(path, false, "other users (allow_readable_password = yes)");
	remove_temp(path);

	/* Any key naming a password counts, known or not. */
	path = temp_file(other_key, strlen(other_key), 0604);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 2); /* the unknown key, the permissions */
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg->errors[0], "contains passwords and is readable by other users"));
	CU_ASSERT_PTR_NULL(strstr(cfg->errors[0], "= s"));
	ws_config_free(cfg);
	remove_temp(path);

	/* World-readable without a password: no warning; errors keep the path. */
	path = temp_file("[cluster c]\nprimary = h\nbogus = 1\n", 34, 0644);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 1);
	snprintf(want, sizeof(want), "%s:3: unknown key 'bogus' in [cluster c]", path);
	CU_ASSERT_STRING_EQUAL(cfg->errors[0], want);
	ws_config_free(cfg);
	remove_temp(path);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "example", test_example },
		{ "every value", test_every_value },
		{ "defaults", test_defaults },
		{ "bad values", test_bad_values },
		{ "bad value keeps default", test_bad_value_keeps_default },
		{ "unknown key", test_unknown_key },
		{ "duplicates", test_duplicates },
		{ "sections", test_sections },
		{ "comments and quotes", test_comments_and_quotes },
		{ "CRLF and BOM", test_crlf_bom },
		{ "long lines", test_long_lines },
		{ "too many errors", test_too_many_errors },
		{ "addresses", test_addresses },
		{ "cluster validation", test_cluster_validation },
		{ "rules", test_rules },
		{ "find_cluster", test_find_cluster },
		{ "to_string", test_to_string },
		{ "file errors", test_file_errors },
		{ "file sizes", test_file_sizes },
		{ "file password warning", test_file_password_warning },
		{ "replica_safe_functions", test_safe_functions },
	};
	CU_pSuite suite;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("config", NULL, NULL);
	if (!suite)
		goto fail;
	for (size_t i = 0; i < N_ELEMS(tests); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
