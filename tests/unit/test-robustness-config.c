/*
 * test-robustness-config.c — bad configuration input (docs/robustness.md, the
 * "configuration" rows): empty, binary, huge, unknown keys, duplicate clusters,
 * unresolvable hosts, ports out of range, world-readable passwords, files cut
 * short, and a deterministic stream of garbage. For every one the parser
 * returns a value (or -errno for a file it cannot read), never crashes, and
 * says what is wrong as "file:line: message". What the library then does with
 * such a file (reports it once, runs as a pass-through) is checked by the
 * integration test test-robustness.c.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1024 * 1024)

/* Every message has the form "NAME:LINE: text" (or "NAME: text" for a
 * message about the whole file). */
static bool well_formed_message(const char *name, const char *msg)
{
	size_t n = strlen(name);
	const char *p;

	if (strncmp(msg, name, n) != 0 || msg[n] != ':')
		return false;
	p = msg + n + 1;
	if (*p == ' ')
		return p[1] != '\0';
	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return p[0] == ':' && p[1] == ' ' && p[2] != '\0';
}

/* Whatever the input, what came out is usable: every cluster has a name and
 * nodes with valid ports, every message is well formed, errors are capped. */
static void check_sane(const char *name, const struct ws_config *cfg)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT(cfg->n_errors <= 101);
	for (size_t i = 0; i < cfg->n_errors; i++)
		if (!well_formed_message(name, cfg->errors[i])) {
			fprintf(stderr, "\n    bad message: %s\n", cfg->errors[i]);
			CU_FAIL("error message not of the form NAME:LINE: text");
		}
	for (size_t i = 0; i < cfg->n_warnings; i++)
		CU_ASSERT(well_formed_message(name, cfg->warnings[i]));
	for (size_t c = 0; c < cfg->n_clusters; c++) {
		const struct ws_cluster *cl = &cfg->clusters[c];

		CU_ASSERT_PTR_NOT_NULL(cl->name);
		CU_ASSERT(cl->has_primary || cl->n_nodes > 0);
		if (cl->has_primary)
			CU_ASSERT(cl->primary.is_socket || (cl->primary.port >= 1 && cl->primary.port <= 65535));
		for (size_t r = 0; r < cl->n_replicas; r++)
			CU_ASSERT(cl->replicas[r].is_socket || (cl->replicas[r].port >= 1 && cl->replicas[r].port <= 65535));
	}
}

struct expect {
	const char *label;
	const char *text;
	size_t len;                 /* 0: strlen(text) */
	size_t n_clusters;
	const char *errors[4];      /* exactly these, in order (NULL-terminated) */
};

/* The bad-input table, as the parser sees text ("t" is the file name). */
static const struct expect table[] = {
	{ "empty", "", 0, 0, { NULL } },
	{ "blank and comments only", "  \n\t\n# c\n; c\n", 0, 0, { NULL } },
	{ "NUL bytes", "\0\0\0\0[cluster a]\nprimary=h:1\n", 28, 0,
	  { "t:1: control character 0x00 in the line (is this a text file?)",
	    "t:2: key 'primary' before any section; put it under [global], [cluster NAME] or [rule NAME]", NULL } },
	{ "an ELF header", "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0", 24, 0,
	  { "t:1: control character 0x7f in the line (is this a text file?)", NULL } },
	{ "NUL inside a value", "[cluster a]\nprimary = h\0evil:3306\n", 34, 0,
	  { "t:1: [cluster a] needs 'primary' (with optional 'replicas') or 'nodes'",
	    "t:2: control character 0x00 in the line (is this a text file?)", NULL } },
	{ "unknown keys", "[cluster a]\nprimary = h:3306\nprimry = x\nfoo = 1\n", 0, 1,
	  { "t:3: unknown key 'primry' in [cluster a]; did you mean 'primary'?",
	    "t:4: unknown key 'foo' in [cluster a]", NULL } },
	{ "unknown key in [global]", "[global]\nloglevel = warn\n", 0, 0,
	  { "t:2: unknown key 'loglevel' in [global]; did you mean 'log_level'?", NULL } },
	{ "unknown section", "[clustr a]\nprimary = h:3306\n", 0, 0,
	  { "t:1: unknown section [clustr a]; did you mean [cluster a]?", NULL } },
	{ "duplicate cluster", "[cluster a]\nprimary = h:3306\n[cluster a]\nprimary = h2:3306\n", 0, 1,
	  { "t:3: duplicate section [cluster a] (first on line 1)", NULL } },
	{ "node in two clusters", "[cluster a]\nprimary = h:3306\n[cluster b]\nprimary = h:3306\n", 0, 2,
	  { "t:4: h:3306 is in both [cluster a] (line 1) and [cluster b]", NULL } },
	{ "node twice in a cluster", "[cluster a]\nprimary = h:3306\nreplicas = h:3306, r:1, r:1\n", 0, 1,
	  { "t:3: h:3306 is listed twice in [cluster a]", "t:3: r:1 is listed twice in [cluster a]", NULL } },
	/* Names are resolved when connecting, never while parsing. */
	{ "unresolvable host", "[cluster a]\nprimary = h:3306\nreplicas = no-such-host.invalid:3306\n", 0, 1,
	  { NULL } },
	{ "port 0", "[cluster a]\nprimary = h:0\n", 0, 0,
	  { "t:2: primary = h:0: port must be a number from 1 to 65535", NULL } },
	{ "port 65536", "[cluster a]\nprimary = h:65536\n", 0, 0,
	  { "t:2: primary = h:65536: port must be a number from 1 to 65535", NULL } },
	{ "port 99999", "[cluster a]\nreplicas = r:1\nprimary = h:99999\n", 0, 0,
	  { "t:3: primary = h:99999: port must be a number from 1 to 65535", NULL } },
	{ "port -1", "[cluster a]\nprimary = h:-1\n", 0, 0,
	  { "t:2: primary = h:-1: port must be a number from 1 to 65535", NULL } },
	{ "port of 23 digits", "[cluster a]\nprimary = h:99999999999999999999999\n", 0, 0,
	  { "t:2: primary = h:99999999999999999999999: port must be a number from 1 to 65535", NULL } },
	{ "port with a letter", "[cluster a]\nprimary = h:33o6\n", 0, 0,
	  { "t:2: primary = h:33o6: port must be a number from 1 to 65535", NULL } },
	{ "empty port", "[cluster a]\nprimary = h:\n", 0, 0,
	  { "t:2: primary = h:: port must be a number from 1 to 65535", NULL } },
	{ "IPv6 port out of range", "[cluster a]\nprimary = [::1]:70000\n", 0, 0,
	  { "t:2: primary = [::1]:70000: port must be a number from 1 to 65535", NULL } },
	{ "replica port out of range", "[cluster a]\nprimary = h:1\nreplicas = r:2, r:70000\n", 0, 1,
	  { "t:3: replicas = r:70000: port must be a number from 1 to 65535", NULL } },
	{ "unterminated quote", "[cluster a]\nprimary = \"h:3306\n", 0, 0,
	  { "t:2: primary: unterminated quoted value (missing '\"')", NULL } },
	{ "unterminated header", "[cluster a\nprimary = h:3306\n", 0, 0,
	  { "t:1: section header without ']'", NULL } },
	{ "number overflow", "[cluster a]\nprimary = h:1\nhealth_interval_ms = 99999999999999999999\n", 0, 1,
	  { "t:3: health_interval_ms = 99999999999999999999: expected a number of milliseconds from 10 to 86400000",
	    NULL } },
	{ "CRLF and a byte-order mark", "\xef\xbb\xbf[cluster a]\r\nprimary = h:3306\r\n", 0, 1, { NULL } },
	{ "no newline at the end", "[cluster a]\nprimary = h:3306", 0, 1, { NULL } },
};

static void test_table(void)
{
	for (size_t i = 0; i < N_ELEMS(table); i++) {
		const struct expect *e = &table[i];
		struct ws_config *cfg = NULL;
		size_t n_want = 0;
		bool ok;

		CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", e->text, e->len ? e->len : strlen(e->text), &cfg), 0);
		check_sane("t", cfg);
		while (n_want < N_ELEMS(e->errors) && e->errors[n_want])
			n_want++;
		ok = cfg->n_errors == n_want && cfg->n_clusters == e->n_clusters;
		for (size_t k = 0; ok && k < n_want; k++)
			ok = strcmp(cfg->errors[k], e->errors[k]) == 0;
		if (!ok) {
			fprintf(stderr, "\n    %s: %zu cluster(s), errors:\n", e->label, cfg->n_clusters);
			for (size_t k = 0; k < cfg->n_errors; k++)
				fprintf(stderr, "      %s\n", cfg->errors[k]);
		}
		CU_ASSERT(ok);
		ws_config_free(cfg);
	}
}

/* NULL text of length 0 is the empty file. */
static void test_null_text(void)
{
	struct ws_config *cfg = NULL;

	CU_ASSERT_EQUAL(ws_config_load_string(NULL, NULL, 0, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->n_clusters, 0);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	ws_config_free(cfg);
	ws_config_free(NULL);
}

static const char valid[] =
	"[global]\n"
	"log_level = warn\n"
	"\n"
	"[cluster main]\n"
	"primary  = db1.internal:3306\n"
	"replicas = db2.internal:3306@2, \"db3.internal:3307\"   # a comment\n"
	"load_balance = least_rt\n"
	"consistency  = session\n"
	"monitor_user = monitor\n"
	"monitor_password = \"se#cret\\\"\"\n"
	"\n"
	"[rule r1]\n"
	"match_kind = delete\n"
	"query_regex = ^delete\n"
	"action = fail\n";

/* A file cut short while it was being written: every prefix parses. */
static void test_every_prefix(void)
{
	for (size_t n = 0; n <= sizeof(valid) - 1; n++) {
		struct ws_config *cfg = NULL;

		CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", valid, n, &cfg), 0);
		check_sane("t", cfg);
		ws_config_free(cfg);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure is reproducible. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Garbage: bytes drawn mostly from INI syntax, sometimes any byte, and the
 * valid file with random bytes overwritten. */
static void test_garbage(void)
{
	static const char alphabet[] = "[]=#;\"\\\n\r\t :,@/-.0123456789abcdeprimaryreplicasnodesclusterglobalrule";
	char buf[4096];

	for (int iter = 0; iter < 4000; iter++) {
		size_t n = (size_t)(rng() % sizeof(buf));
		struct ws_config *cfg = NULL;

		if (iter % 2) {
			for (size_t i = 0; i < n; i++)
				buf[i] = rng() % 16 ? alphabet[rng() % (sizeof(alphabet) - 1)] : (char)rng();
		} else {
			n = sizeof(valid) - 1;
			memcpy(buf, valid, n);
			for (int k = 0; k < 1 + (int)(rng() % 8); k++)
				buf[rng() % n] = (char)rng();
		}
		CU_ASSERT_EQUAL_FATAL(ws_config_load_string("t", buf, n, &cfg), 0);
		check_sane("t", cfg);
		ws_config_free(cfg);
	}
}

/* Text far over the file limit through load_string (which has none), lines
 * over the line limit, thousands of sections: bounded work, capped errors. */
static void test_huge_text(void)
{
	size_t n = 3 * MIB;
	char *t = malloc(n);
	struct ws_config *cfg = NULL;
	size_t pos = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* 3 MiB of one line without a newline. */
	memset(t, 'x', n);
	CU_ASSERT_EQUAL(ws_config_load_string("t", t, n, &cfg), 0);
	check_sane("t", cfg);
	CU_ASSERT(cfg->n_errors >= 1);
	ws_config_free(cfg);
	/* 3 MiB of bad lines: at most 100 errors and the "too many" note. */
	while (pos + 9 <= n) /* 8 characters and the NUL */
		pos += (size_t)sprintf(t + pos, "bad %03d\n", (int)(pos % 1000));
	CU_ASSERT_EQUAL(ws_config_load_string("t", t, pos, &cfg), 0);
	check_sane("t", cfg);
	CU_ASSERT_EQUAL(cfg->n_errors, 101);
	ws_config_free(cfg);
	/* 20000 clusters. */
	pos = 0;
	for (int i = 0; i < 20000 && pos + 64 < n; i++)
		pos += (size_t)sprintf(t + pos, "[cluster c%d]\nprimary = h%d:%d\n", i, i, 1 + i % 65535);
	CU_ASSERT_EQUAL(ws_config_load_string("t", t, pos, &cfg), 0);
	check_sane("t", cfg);
	CU_ASSERT_EQUAL(cfg->n_clusters, 20000);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	ws_config_free(cfg);
	free(t);
}

/* ---- files ---- */

static char dir[] = "/tmp/ws-robust-config-XXXXXX";

static char *write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
	return path;
}

static void test_files(void)
{
	struct ws_config *cfg = NULL;
	char *big = malloc(MIB + 1), *path, want[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	/* Empty file: a config without clusters (the library then passes through). */
	path = write_file("empty.conf", "", 0, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->n_clusters, 0);
	CU_ASSERT_EQUAL(cfg->n_errors, 0);
	ws_config_free(cfg);

	/* Exactly 1 MiB of comments: read. One byte more: -EFBIG, unread. */
	memset(big, '#', MIB + 1);
	for (size_t i = 100; i < MIB; i += 100)
		big[i] = '\n';
	path = write_file("1mib.conf", big, MIB, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	ws_config_free(cfg);
	path = write_file("huge.conf", big, MIB + 1, 0600);
	cfg = (struct ws_config *)1;
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), -EFBIG);
	CU_ASSERT_PTR_NULL(cfg);

	/* A binary file (random bytes): errors with file:line, no crash. */
	for (size_t i = 0; i < 65536; i++)
		big[i] = (char)rng();
	path = write_file("binary.conf", big, 65536, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	check_sane(path, cfg);
	CU_ASSERT(cfg->n_errors > 0);
	CU_ASSERT_EQUAL(cfg->n_clusters, 0);
	ws_config_free(cfg);

	/* World-readable with monitor_password: an error naming the file. */
	static const char pw[] = "[cluster a]\nprimary = h:1\nmonitor_user = m\nmonitor_password = secret\n";
	path = write_file("pw.conf", pw, sizeof(pw) - 1, 0644);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 1);
	snprintf(want, sizeof(want), "%s: contains passwords and is readable by other users (mode 644): chmod 600 "
		 "it, or set allow_readable_password = yes in [global]", path);
	CU_ASSERT_STRING_EQUAL(cfg->errors[0], want);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	/* The password is never echoed in a message. */
	for (size_t i = 0; i < cfg->n_errors; i++)
		CU_ASSERT_PTR_NULL(strstr(cfg->errors[i], "secret"));
	ws_config_free(cfg);
	path = write_file("pw.conf", pw, sizeof(pw) - 1, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	ws_config_free(cfg);
	/* A password in a bad line is not echoed either. */
	static const char pwbad[] = "[cluster a]\nprimary = h:1\nmonitor_pasword = hunter2\n";
	path = write_file("pwbad.conf", pwbad, sizeof(pwbad) - 1, 0600);
	CU_ASSERT_EQUAL(ws_config_load_file(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(cfg->n_errors, 1);
	CU_ASSERT_PTR_NULL(strstr(cfg->errors[0], "hunter2"));
	ws_config_free(cfg);

	/* Not regular files: a directory, a device, a FIFO (must not block). */
	cfg = (struct ws_config *)1;
	CU_ASSERT_EQUAL(ws_config_load_file(dir, &cfg), -EISDIR);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_EQUAL(ws_config_load_file("/dev/null", &cfg), -EINVAL);
	snprintf(want, sizeof(want), "%s/fifo", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(want, 0600), 0);
	CU_ASSERT_EQUAL(ws_config_load_file(want, &cfg), -EINVAL);
	unlink(want);
	snprintf(want, sizeof(want), "%s/missing.conf", dir);
	CU_ASSERT_EQUAL(ws_config_load_file(want, &cfg), -ENOENT);
	CU_ASSERT_EQUAL(ws_config_load_file("", &cfg), -EINVAL);
	CU_ASSERT_EQUAL(ws_config_load_file(NULL, &cfg), -EINVAL);
	CU_ASSERT_EQUAL(ws_config_load_file(want, NULL), -EINVAL);
	free(big);
	unlink(write_file("empty.conf", "", 0, 0600));
	unlink(write_file("1mib.conf", "", 0, 0600));
	unlink(write_file("huge.conf", "", 0, 0600));
	unlink(write_file("binary.conf", "", 0, 0600));
	unlink(write_file("pw.conf", "", 0, 0600));
	unlink(write_file("pwbad.conf", "", 0, 0600));
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "the bad-input table", test_table },
		{ "NULL text", test_null_text },
		{ "every prefix of a valid file", test_every_prefix },
		{ "4000 garbage inputs", test_garbage },
		{ "huge text", test_huge_text },
		{ "files: empty, 1 MiB, huge, binary, passwords, not regular", test_files },
	};
	CU_pSuite suite;
	unsigned failed;

	if (!mkdtemp(dir))
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("robustness-config", NULL, NULL);
	if (!suite)
		goto fail;
	for (size_t i = 0; i < N_ELEMS(tests); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	rmdir(dir);
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	rmdir(dir);
	return 1;
}
