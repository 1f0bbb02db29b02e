/*
 * token-handoff.c — read-your-writes across processes with a consistency
 * token, as a web application would carry it in a cookie from the request that
 * wrote to the next one, served by another worker.
 *
 *   cc token-handoff.c $(pkg-config --cflags --libs wescale) -o token-handoff
 *   WESCALE_CONFIG=wescale.conf ./token-handoff [ROUNDS [HOST PORT USER PASSWORD DB]]
 *
 * Arguments default to the WS_TEST_* variables of tests/topology.sh's env file.
 * Two processes, each with its own connection and nothing shared but two
 * pipes: the writer inserts a row and sends the row's id with
 * wescale_consistency_token(); the reader passes the token to
 * wescale_require_token(), reads the row back at once, and answers, and the
 * writer goes on. The reader never committed anything itself, so without the
 * token its reads would go to any replica — stale on one that lags. With it,
 * each read runs on a replica that has the row (waiting for it in the read's
 * own round trip if need be) or, when none catches up within
 * consistency_timeout_ms, on the primary. Prints how many reads were stale
 * and which servers (@@server_id) served them; exits 1 if any read was stale
 * or no replica served one. TOKEN_HANDOFF_CONTROL=1 in the environment runs
 * the control: the reader drops the tokens (and lagging replicas show it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wescale.h>

static const char *host, *user, *password, *db;
static unsigned port;

static const char *arg(int argc, char **argv, int i, const char *env, const char *def)
{
	const char *v = i < argc ? argv[i] : getenv(env);

	return v && *v ? v : def;
}

static MYSQL *connect_or_die(const char *who)
{
	MYSQL *m = mysql_init(NULL);

	if (!m || !mysql_real_connect(m, host, user, password, db, port, NULL, 0)) {
		fprintf(stderr, "token-handoff: %s: connect: %s\n", who, m ? mysql_error(m) : "out of memory");
		exit(1);
	}
	if (wescale_route_next(m, WESCALE_ROUTE_AUTO)) {
		fprintf(stderr, "token-handoff: %s:%u is not a cluster's primary in the configuration "
			"(set WESCALE_CONFIG)\n", host, port);
		exit(1);
	}
	return m;
}

static void die(MYSQL *m, const char *who, const char *what)
{
	fprintf(stderr, "token-handoff: %s: %s: %s (errno %u)\n", who, what, mysql_error(m), mysql_errno(m));
	exit(1);
}

/* The writer: one row per round, its token to the reader, then wait for the answer. */
static int writer(int rounds, FILE *to_reader, FILE *from_reader)
{
	MYSQL *m = connect_or_die("writer");
	char sql[128], token[WESCALE_TOKEN_MAX], ack[16];

	if (mysql_query(m, "DROP TABLE IF EXISTS ex_token") ||
	    mysql_query(m, "CREATE TABLE ex_token (id INT PRIMARY KEY, v INT)"))
		die(m, "writer", "create table");
	for (int id = 1; id <= rounds; id++) {
		snprintf(sql, sizeof(sql), "INSERT INTO ex_token VALUES (%d, %d)", id, id * 7);
		if (mysql_query(m, sql))
			die(m, "writer", "insert");
		if (wescale_consistency_token(m, token, sizeof(token)))
			die(m, "writer", "wescale_consistency_token");
		if (id == 1)
			printf("writer: the token after the first insert: \"%s\"\n", token);
		fprintf(to_reader, "%d %s\n", id, token); /* what a cookie would carry */
		fflush(to_reader);
		if (!fgets(ack, sizeof(ack), from_reader))
			return 1;
	}
	fclose(to_reader);
	mysql_query(m, "DROP TABLE ex_token");
	mysql_close(m);
	return 0;
}

/* The reader: require each token, read the row back, count what it saw. */
static int reader(FILE *from_writer, FILE *to_writer)
{
	MYSQL *m = connect_or_die("reader");
	char line[WESCALE_TOKEN_MAX + 32], sql[128], node[128];
	long served[16] = { 0 };
	int rounds = 0, stale = 0, on_replicas = 0;
	const char *control = getenv("TOKEN_HANDOFF_CONTROL");
	bool use_tokens = !(control && strcmp(control, "1") == 0);

	while (fgets(line, sizeof(line), from_writer)) {
		char *token = strchr(line, ' ');
		int id = atoi(line);
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (!token)
			break;
		token[strcspn(token, "\n")] = '\0';
		if (use_tokens && wescale_require_token(m, token + 1))
			die(m, "reader", "wescale_require_token");
		snprintf(sql, sizeof(sql), "SELECT v, @@server_id FROM ex_token WHERE id = %d", id);
		rounds++;
		if (mysql_query(m, sql) || !(res = mysql_store_result(m))) {
			printf("reader: id %d: read failed: %s\n", id, mysql_error(m));
			stale++;
		} else {
			row = mysql_fetch_row(res);
			if (!row || atoi(row[0]) != id * 7) {
				wescale_last_backend(m, node, sizeof(node));
				printf("reader: id %d: STALE read at %s\n", id, node);
				stale++;
			}
			if (row) {
				long sid = atol(row[1]);

				served[sid > 0 && sid < 16 ? sid : 0]++;
				on_replicas += sid != 1; /* tests/topology.sh: the primary is server 1 */
			}
			mysql_free_result(res);
		}
		fputs("ok\n", to_writer);
		fflush(to_writer);
	}
	printf("reader: %s\n", use_tokens ? "with tokens" : "CONTROL: tokens dropped");
	printf("reader: %d rounds, stale reads: %d, served by replicas: %d\n", rounds, stale, on_replicas);
	for (int sid = 0; sid < 16; sid++)
		if (served[sid])
			printf("reader: server_id %d served %ld reads\n", sid, served[sid]);
	mysql_close(m);
	return stale == 0 && on_replicas > 0 && rounds > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int rounds = atoi(arg(argc, argv, 1, "TOKEN_HANDOFF_ROUNDS", "1000"));
	int down[2], up[2], status, w;
	pid_t child;

	host = arg(argc, argv, 2, "WS_TEST_HOST", "127.0.0.1");
	port = (unsigned)atoi(arg(argc, argv, 3, "WS_TEST_PRIMARY_PORT", "3306"));
	user = arg(argc, argv, 4, "WS_TEST_USER", "root");
	password = arg(argc, argv, 5, "WS_TEST_PASSWORD", "");
	db = arg(argc, argv, 6, "WS_TEST_DB", "test");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Two processes from the start: neither inherits a connection. */
	if (rounds <= 0 || pipe(down) || pipe(up))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(down[1]);
		close(up[0]);
		exit(reader(fdopen(down[0], "r"), fdopen(up[1], "w")));
	}
	close(down[0]);
	close(up[1]);
	w = writer(rounds, fdopen(down[1], "w"), fdopen(up[0], "r"));
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || w) {
		printf("token-handoff: FAILED\n");
		return 1;
	}
	printf("token-handoff: ok\n");
	return 0;
}
