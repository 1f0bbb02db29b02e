/*
 * fuzz-rules.c — ws_rules_match on arbitrary statements against a fixed rule
 * set compiled once (every kind of condition and action), and, for inputs that
 * start with byte 0x01, an arbitrary regex: "\x01REGEX\nSTATEMENT" compiles
 * REGEX as a rule (bad ones must give a file:line error, never crash) and
 * matches STATEMENT with it. The driver hands over an exact-size copy, so a
 * read past len is a heap overflow that ASan reports. Invariants of the result
 * are checked; a violation aborts (reported as a crash).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "rules.h"
#include "wescale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *const ws_fuzz_dictionary[] = {
	"DELETE FROM ", "delete from t", "UPDATE ", "INSERT INTO ", "SELECT ", "select sleep(",
	"report_", "FROM orders", " WHERE ", ";", "/* wescale:route=replica */", "TRUNCATE ", "SET ",
	"SHOW ", "BEGIN", "`shop`.`t`", "\n", "\\", "(", ")", "[", "]", "{2,", "*", "+?", "(?i)",
	"(?s)", "\\Q", "\\E", "(?<n>", "\\k<n>", "\\p{L}", "\xc3\xa9", "\xff", NULL,
};

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz-rules: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                             \
		}                                                                            \
	} while (0)

static const char fixed_conf[] =
	"[rule no_unbounded_delete]\npriority = 10\nmatch_kind = delete\n"
	"query_regex = ^\\s*delete\\s+from\\s+[`\\w.]+\\s*;?\\s*$\naction = fail\n"
	"error_message = unbounded DELETE is not allowed\n"
	"[rule count_all]\npriority = 1\naction = continue\nconsistency = session\n"
	"[rule reports]\npriority = 20\nmatch_kind = select\nquery_regex = \"^select .* from report_\"\n"
	"action = route\nroute = replica\nconsistency = eventual\n"
	"[rule pinned]\npriority = 21\nquery_regex = analytics\\.\naction = route\nroute = 10.0.0.9:3307\n"
	"[rule app_updates]\npriority = 30\nmatch_kind = update\nuser = app\ndatabase = shop\n"
	"action = route\nroute = primary\n"
	"[rule sleepers]\npriority = 40\nquery_regex = sleep\\s*\\(\naction = limit\nmax_concurrency = 1\n"
	"[rule others]\npriority = 50\nmatch_kind = other\nquery_regex = (a|b)*c{1,3}$\naction = continue\n"
	"[rule truncate]\npriority = 60\nmatch_kind = ddl\nquery_regex = ^truncate\naction = fail\n";

static struct ws_rules *fixed;

static void check_result(const struct ws_rule_result *res)
{
	CHECK(memchr(res->message, '\0', sizeof(res->message)) != NULL);
	CHECK(res->consistency >= -1 && res->consistency <= WESCALE_CONSISTENCY_PRIMARY);
	switch (res->decision) {
	case WS_RULE_PASS:
		CHECK(res->error_code == 0 && res->route == WESCALE_ROUTE_AUTO && !res->addr);
		break;
	case WS_RULE_DO_FAIL:
		CHECK(res->error_code == WESCALE_ER_RULE_FAIL || res->error_code == WESCALE_ER_RULE_LIMIT);
		CHECK(res->message[0] != '\0' && !res->held);
		break;
	case WS_RULE_DO_ROUTE:
		CHECK(res->error_code == 0);
		CHECK(res->route == -1 ? res->addr && res->addr->host : !res->addr &&
		      (res->route == WESCALE_ROUTE_PRIMARY || res->route == WESCALE_ROUTE_REPLICA));
		break;
	default:
		CHECK(0);
	}
}

static void init_fixed(void)
{
	struct ws_config *cfg = NULL;
	char **errors = NULL;
	size_t n_errors = 0;

	CHECK(ws_config_load_string("fixed", fixed_conf, strlen(fixed_conf), &cfg) == 0);
	CHECK(cfg->n_errors == 0 && cfg->n_rules == 8);
	CHECK(ws_rules_compile(cfg, &fixed, &errors, &n_errors) == 0);
	CHECK(n_errors == 0 && ws_rules_count(fixed) == 8);
	free(errors);
	ws_config_free(cfg);
}

/* "\x01REGEX\nSTATEMENT": compile REGEX as a rule and match STATEMENT. */
static void fuzz_regex(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - data) : size;
	struct ws_rule_conf rc = {
		.name = "fz", .match_kind = -1, .query_regex_line = 7, .action = WS_RULE_FAIL,
		.error_message = "fz", .route = WESCALE_ROUTE_AUTO, .consistency = -1, .line = 6,
	};
	struct ws_config cfg = { .path = "fuzz.conf", .rules = &rc, .n_rules = 1 };
	struct ws_rules *r = NULL;
	struct ws_rule_result res;
	char **errors = NULL;
	size_t n_errors = 0;
	char *regex;

	if (memchr(data, '\0', rlen))
		return; /* the config parser never yields a NUL inside a value */
	regex = malloc(rlen + 1);
	if (!regex)
		return;
	memcpy(regex, data, rlen);
	regex[rlen] = '\0';
	rc.query_regex = regex;
	if (ws_rules_compile(&cfg, &r, &errors, &n_errors) == 0) {
		CHECK(ws_rules_count(r) + n_errors == 1);
		if (n_errors)
			CHECK(strncmp(errors[0], "fuzz.conf:7: rule fz: query_regex: ", 35) == 0);
		if (nl) {
			size_t off = (size_t)(nl + 1 - data);
			uint8_t *stmt = malloc(size - off ? size - off : 1);

			/* An exact-size copy of the statement, so ASan sees any read past it. */
			if (stmt) {
				memcpy(stmt, nl + 1, size - off);
				ws_rules_match(r, (const char *)stmt, size - off, NULL, NULL, NULL, &res);
				check_result(&res);
				ws_rules_done(&res);
				free(stmt);
			}
		}
	}
	for (size_t i = 0; i < n_errors; i++)
		free(errors[i]);
	free(errors);
	ws_rules_free(r);
	free(regex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const users[] = { NULL, "app", "App", "" };
	static const char *const dbs[] = { NULL, "shop", "shop2", "" };
	struct ws_rule_result res;
	struct ws_verdict v;

	if (!fixed)
		init_fixed();
	if (size > 0 && data[0] == 0x01) {
		fuzz_regex(data + 1, size - 1);
		return 0;
	}
	/* With the classifier's verdict, and without (classified inside). */
	ws_classify((const char *)data, size, &v);
	ws_rules_match(fixed, (const char *)data, size, &v, users[size % 4], dbs[(size / 4) % 4], &res);
	check_result(&res);
	ws_rules_done(&res);
	CHECK(!res.held);
	ws_rules_match(fixed, (const char *)data, size, NULL, "app", "shop", &res);
	check_result(&res);
	ws_rules_done(&res);
	return 0;
}
