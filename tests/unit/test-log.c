/*
 * test-log.c — log.c: the redaction table (no secret in any log line) and
 * that every line goes through it.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "log.h"
#include "wescale.h"

static const struct {
	const char *in, *out;
} table[] = {
	/* IDENTIFIED BY, any quoting, any case */
	{ "CREATE USER u IDENTIFIED BY 'secret'", "CREATE USER u IDENTIFIED BY '***'" },
	{ "create user u identified by \"secret\"", "create user u identified by \"***\"" },
	{ "ALTER USER u IDENTIFIED BY `secret`", "ALTER USER u IDENTIFIED BY `***`" },
	{ "GRANT ALL ON *.* TO u IDENTIFIED BY PASSWORD '*0123ABCD'",
	  "GRANT ALL ON *.* TO u IDENTIFIED BY PASSWORD '***'" },
	/* escapes and doubled quotes stay inside the literal */
	{ "CREATE USER u IDENTIFIED BY 'it''s \\' still secret'", "CREATE USER u IDENTIFIED BY '***'" },
	{ "CREATE USER u IDENTIFIED BY 'a\\\\' , 'b'", "CREATE USER u IDENTIFIED BY '***' , '***'" },
	/* IDENTIFIED VIA … USING, WITH … AS, alternatives */
	{ "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('secret')",
	  "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('***')" },
	{ "CREATE USER u IDENTIFIED VIA mysql_native_password USING '*ABCDEF' OR unix_socket",
	  "CREATE USER u IDENTIFIED VIA mysql_native_password USING '***' OR unix_socket" },
	{ "CREATE USER u IDENTIFIED WITH caching_sha2_password AS 'hash'",
	  "CREATE USER u IDENTIFIED WITH caching_sha2_password AS '***'" },
	/* PASSWORD(…), OLD_PASSWORD(…), SET PASSWORD */
	{ "SELECT PASSWORD('secret'), 'visible'", "SELECT PASSWORD('***'), 'visible'" },
	{ "SELECT old_password ( \"secret\" )", "SELECT old_password ( \"***\" )" },
	{ "SET PASSWORD = PASSWORD('secret')", "SET PASSWORD = PASSWORD('***')" },
	{ "SET PASSWORD FOR 'u'@'%' = 'hash'", "SET PASSWORD FOR '***'@'***' = '***'" },
	/* MASTER_PASSWORD = */
	{ "CHANGE MASTER TO MASTER_HOST='db1', MASTER_USER='repl', MASTER_PASSWORD='secret', MASTER_PORT=3306",
	  "CHANGE MASTER TO MASTER_HOST='db1', MASTER_USER='repl', MASTER_PASSWORD='***', MASTER_PORT=3306" },
	{ "change master to master_password = \"secret\"", "change master to master_password = \"***\"" },
	/* a statement quoted inside a message; cut short by truncation */
	{ "rule r (fail) matched: ALTER USER u IDENTIFIED BY 'sec…",
	  "rule r (fail) matched: ALTER USER u IDENTIFIED BY '***" },
	{ "MYSQL_INIT_COMMAND \"SET @x = PASSWORD('secret')\" failed",
	  "MYSQL_INIT_COMMAND \"SET @x = PASSWORD('***')\" failed" },
	/* the statement ends: what follows is not a secret */
	{ "CREATE USER u IDENTIFIED BY 'x'; SELECT 'visible'", "CREATE USER u IDENTIFIED BY '***'; SELECT 'visible'" },
	/* no secret: unchanged */
	{ "SELECT password FROM users WHERE name = 'bob'", "SELECT password FROM users WHERE name = 'bob'" },
	{ "file contains passwords and is readable by others", "file contains passwords and is readable by others" },
	/* keywords count in quoted text too (log lines quote statements): more
	 * is hidden than needed, never less */
	{ "SELECT 'identified by' AS x", "SELECT 'identified by'***" },
	{ "", "" },
};

static void test_redaction_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char out[512];

		ws_log_redact(table[i].in, out, sizeof(out));
		if (strcmp(out, table[i].out) != 0)
			fprintf(stderr, "\n  in:  %s\n  got: %s\n  want: %s\n", table[i].in, out, table[i].out);
		CU_ASSERT_STRING_EQUAL(out, table[i].out);
		CU_ASSERT_PTR_NULL(strstr(out, "secret"));
	}
}

static void test_redaction_bounds(void)
{
	char out[8];

	/* A growing output (one-byte literal → ***) is cut at cap, NUL-terminated. */
	CU_ASSERT_EQUAL(ws_log_redact("PASSWORD('a')", out, sizeof(out)), 7);
	CU_ASSERT_STRING_EQUAL(out, "PASSWOR");
	CU_ASSERT_EQUAL(ws_log_redact("x", out, 1), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static char seen[1200];

static void catch_line(int level, const char *msg, void *ud)
{
	(void)level;
	(void)ud;
	snprintf(seen, sizeof(seen), "%s", msg);
}

static void test_every_line_redacted(void)
{
	wescale_set_log_callback(catch_line, NULL);
	wescale_set_log_level(WESCALE_LOG_DEBUG);
	ws_log(WS_LOG_WARN, "rule %s matched: %s", "r", "GRANT USAGE ON *.* TO u IDENTIFIED BY 'hunter2'");
	CU_ASSERT_PTR_NULL(strstr(seen, "hunter2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen, "IDENTIFIED BY '***'"));
	ws_log(WS_LOG_DEBUG, "replay: CHANGE MASTER TO MASTER_PASSWORD=\"hunter2\"");
	CU_ASSERT_PTR_NULL(strstr(seen, "hunter2"));
	wescale_set_log_callback(NULL, NULL);
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("log", NULL, NULL);
	CU_add_test(s, "redaction table", test_redaction_table);
	CU_add_test(s, "redaction stays in bounds", test_redaction_bounds);
	CU_add_test(s, "every log line is redacted", test_every_line_redacted);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
