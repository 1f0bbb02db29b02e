/*
 * tls-client.c — the application side of test-tls.sh: a program linked with
 * libwescale that connects with (or without) TLS options and reports what
 * every connection looked like.
 *
 *   tls-client OPTS PRIMARY_PORT "REPLICA_PORT …" USER PASSWORD DB N
 *
 * OPTS: none | ca-verify (MYSQL_OPT_SSL_CA + MYSQL_OPT_SSL_VERIFY_SERVER_CERT)
 *       | ssl-set-verify (mysql_ssl_set + verify) | ca-noverify (CA only)
 *       | enforce-noverify (MYSQL_OPT_SSL_ENFORCE only). The CA file is $WS_TLS_CA.
 *
 * Prints, one line each:
 *   direct PORT: ok cipher=C | error N MESSAGE     (a plain connection to each
 *                                                   replica with the same options:
 *                                                   what the real library does)
 *   connect: ok cipher=C | error N MESSAGE         (the managed handle, primary)
 *   reads ok=N errors=E ids=ID:COUNT,… first_error=N MESSAGE
 *   replica Ssl_cipher=C backend=HOST:PORT         (SHOW STATUS LIKE 'Ssl_cipher' run on
 *                                                   a replica connection)
 * Exit status 0 when it ran to the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wescale.h>

static const char *opts;

static void set_options(MYSQL *m)
{
	const char *ca = getenv("WS_TLS_CA");
	my_bool yes = 1, no = 0;

	if (strcmp(opts, "ca-verify") == 0) {
		mysql_options(m, MYSQL_OPT_SSL_CA, ca);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
	} else if (strcmp(opts, "ssl-set-verify") == 0) {
		mysql_ssl_set(m, NULL, NULL, ca, NULL, NULL);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
	} else if (strcmp(opts, "ca-noverify") == 0) {
		mysql_options(m, MYSQL_OPT_SSL_CA, ca);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
	} else if (strcmp(opts, "enforce-noverify") == 0) {
		mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
	}
}

static MYSQL *open_conn(unsigned port, const char *user, const char *pw, const char *db, const char *label)
{
	MYSQL *m = mysql_init(NULL);

	set_options(m);
	if (!mysql_real_connect(m, "127.0.0.1", user, pw, db, port, NULL, 0)) {
		printf("%s: error %u %s\n", label, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	printf("%s: ok cipher=%s\n", label, mysql_get_ssl_cipher(m) ? mysql_get_ssl_cipher(m) : "");
	return m;
}

int main(int argc, char **argv)
{
	const char *user, *pw, *db;
	char label[64], primary_addr[64], *ports, *tok, *save = NULL, first_error[300] = "";
	long ids[16] = { 0 }, ok = 0, errors = 0;
	unsigned primary;
	int n;
	MYSQL *m;

	if (argc != 8) {
		fprintf(stderr, "usage: %s OPTS PRIMARY_PORT \"REPLICA_PORT …\" USER PASSWORD DB N\n", argv[0]);
		return 2;
	}
	opts = argv[1];
	primary = (unsigned)atoi(argv[2]);
	snprintf(primary_addr, sizeof(primary_addr), "127.0.0.1:%u", primary);
	ports = strdup(argv[3]);
	user = argv[4];
	pw = argv[5];
	db = argv[6];
	n = atoi(argv[7]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* What the real library does with these options, replica by replica
	 * (a direct connection to a replica is not managed: a plain one). */
	for (tok = strtok_r(ports, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		snprintf(label, sizeof(label), "direct %s", tok);
		m = open_conn((unsigned)atoi(tok), user, pw, db, label);
		if (m)
			mysql_close(m);
	}
	free(ports);

	m = open_conn(primary, user, pw, db, "connect");
	if (!m)
		return 0;
	/* WS_TLS_SETTLE_MS: let the monitor check every node first. */
	if (getenv("WS_TLS_SETTLE_MS"))
		usleep((useconds_t)atoi(getenv("WS_TLS_SETTLE_MS")) * 1000u);
	if (mysql_query(m, "CREATE TABLE IF NOT EXISTS tls_t (id INT AUTO_INCREMENT PRIMARY KEY)") ||
	    mysql_query(m, "INSERT INTO tls_t VALUES ()"))
		printf("write: error %u %s\n", mysql_errno(m), mysql_error(m));
	for (int i = 0; i < n; i++) {
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (mysql_query(m, "SELECT @@server_id") || !(res = mysql_store_result(m))) {
			if (!errors++)
				snprintf(first_error, sizeof(first_error), "%u %s", mysql_errno(m), mysql_error(m));
			continue;
		}
		row = mysql_fetch_row(res);
		if (row && row[0] && atoi(row[0]) > 0 && atoi(row[0]) < 16) {
			ids[atoi(row[0])]++;
			ok++;
		}
		mysql_free_result(res);
	}
	printf("reads ok=%ld errors=%ld ids=", ok, errors);
	for (int i = 0; i < 16; i++)
		if (ids[i])
			printf("%d:%ld,", i, ids[i]);
	printf(" first_error=%s\n", first_error);

	/* The session status of the connection a read runs on. SHOW STATUS is
	 * about the connection, so libwescale runs it on the primary unless told
	 * otherwise: the hint sends it where reads go. The first one that lands
	 * on a replica is reported. */
	for (int i = 0; i < 10; i++) {
		char backend[64] = "";
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (mysql_query(m, "/* wescale:route=replica */ SHOW STATUS LIKE 'Ssl_cipher'") ||
		    !(res = mysql_store_result(m)))
			continue;
		row = mysql_fetch_row(res);
		wescale_last_backend(m, backend, sizeof(backend));
		if (strcmp(backend, primary_addr) != 0) {
			printf("replica Ssl_cipher=%s backend=%s\n", row && row[1] ? row[1] : "", backend);
			mysql_free_result(res);
			break;
		}
		mysql_free_result(res);
	}
	mysql_close(m);
	mysql_library_end();
	printf("done\n");
	return 0;
}
