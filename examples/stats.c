/*
 * stats.c — what libwescale has been doing in this process, as JSON:
 * wescale_stats_json() after a few statements, indented for reading.
 *
 *   cc stats.c $(pkg-config --cflags --libs wescale) -o stats
 *   WESCALE_CONFIG=wescale.conf ./stats [HOST PORT USER PASSWORD DB]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * The object has, per cluster, each node's role, health, lag, counters and
 * GTID position, and how reads were served under the consistency levels
 * (wescale_stats_json(3) lists every field); pipe the compact form through any
 * JSON tool. Exits 1 if the statistics show no cluster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wescale.h>

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static void die(MYSQL *m, const char *what)
{
	fprintf(stderr, "stats: %s: %s (errno %u)\n", what, mysql_error(m), mysql_errno(m));
	exit(1);
}

/* Print JSON text one member per line, indented by nesting depth. */
static void print_indented(const char *json)
{
	int depth = 0, in_string = 0;

	for (const char *p = json; *p; p++) {
		if (in_string) {
			putchar(*p);
			if (*p == '\\' && p[1])
				putchar(*++p);
			else if (*p == '"')
				in_string = 0;
			continue;
		}
		switch (*p) {
		case '"':
			in_string = 1;
			putchar(*p);
			break;
		case '{':
		case '[':
			if (p[1] == (*p == '{' ? '}' : ']')) { /* empty: {} or [] */
				putchar(*p++);
				putchar(*p);
				break;
			}
			printf("%c\n%*s", *p, 2 * ++depth, "");
			break;
		case '}':
		case ']':
			printf("\n%*s%c", 2 * --depth, "", *p);
			break;
		case ',':
			printf(",\n%*s", 2 * depth, "");
			break;
		case ':':
			printf(": ");
			break;
		default:
			putchar(*p);
		}
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	const char *host = arg(argc, argv, 1, "WS_TEST_HOST", "127.0.0.1");
	unsigned port = (unsigned)atoi(arg(argc, argv, 2, "WS_TEST_PRIMARY_PORT", "3306"));
	const char *user = arg(argc, argv, 3, "WS_TEST_USER", "root");
	const char *password = arg(argc, argv, 4, "WS_TEST_PASSWORD", "");
	const char *db = arg(argc, argv, 5, "WS_TEST_DB", "test");
	size_t size = 256, n;
	char *buf = NULL;
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, host, user, password, db, port, NULL, 0))
		die(m, "connect");
	/* Some traffic: a write on the primary, reads on the replicas. */
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS ex_stats (id INT PRIMARY KEY)") ||
	    mysql_query(m, "REPLACE INTO ex_stats VALUES (1)"))
		die(m, "write");
	for (int i = 0; i < 6; i++) {
		if (mysql_query(m, "SELECT COUNT(*) FROM ex_stats"))
			die(m, "read");
		mysql_free_result(mysql_store_result(m));
	}
	mysql_query(m, "DROP TABLE ex_stats");

	/* snprintf semantics: the return value is the length the whole text
	 * needs; grow the buffer until it fits (it may grow between calls). */
	for (;;) {
		char *grown = realloc(buf, size);

		if (!grown) {
			free(buf);
			return 1;
		}
		buf = grown;
		n = wescale_stats_json(buf, size);
		if (n < size)
			break;
		size = n + 1;
	}
	printf("wescale_stats_json: %zu bytes\n", n);
	print_indented(buf);
	mysql_close(m);
	if (!strstr(buf, "\"clusters\":[{")) {
		printf("stats: FAILED (no cluster: is WESCALE_CONFIG set?)\n");
		free(buf);
		return 1;
	}
	free(buf);
	printf("stats: ok\n");
	return 0;
}
