/*
 * wstest.c — see wstest.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wstest.h"

static const char *need(const char *name, bool *ok)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "wstest: %s is not set: start a topology with tests/topology.sh and source its env\n",
			name);
		*ok = false;
		return "";
	}
	return v;
}

bool wstest_env_load(struct wstest_env *env)
{
	bool ok = true;
	char name[64];

	memset(env, 0, sizeof(*env));
	env->primary_port = (unsigned)atoi(need("WS_TEST_PRIMARY_PORT", &ok));
	for (unsigned i = 0; i < 8; i++) {
		const char *v;

		snprintf(name, sizeof(name), "WS_TEST_REPLICA%u_PORT", i + 1);
		v = getenv(name);
		if (!v || !*v)
			break;
		env->replica_port[env->n_replicas++] = (unsigned)atoi(v);
	}
	env->user = need("WS_TEST_USER", &ok);
	env->password = need("WS_TEST_PASSWORD", &ok);
	env->admin_user = need("WS_TEST_ADMIN_USER", &ok);
	env->admin_password = need("WS_TEST_ADMIN_PASSWORD", &ok);
	env->db = need("WS_TEST_DB", &ok);
	env->config = need("WS_TEST_CONFIG", &ok);
	env->dir = need("WS_TEST_DIR", &ok);
	return ok;
}

static MYSQL *connect_as(unsigned port, const char *user, const char *pw, const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (!m)
		return NULL;
	if (!mysql_real_connect(m, "127.0.0.1", user, pw, db, port, NULL, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "wstest: connect to 127.0.0.1:%u as %s: %u %s\n", port, user, mysql_errno(m),
			mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

MYSQL *wstest_connect(const struct wstest_env *env, unsigned port, const char *db)
{
	return connect_as(port, env->user, env->password, db);
}

MYSQL *wstest_connect_admin(const struct wstest_env *env, unsigned port)
{
	return connect_as(port, env->admin_user, env->admin_password, NULL);
}

long wstest_query_long(MYSQL *m, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long v = -1;

	if (mysql_query(m, sql)) {
		fprintf(stderr, "wstest: %s: %u %s\n", sql, mysql_errno(m), mysql_error(m));
		return -1;
	}
	res = mysql_store_result(m);
	if (!res) {
		fprintf(stderr, "wstest: %s: no result: %u %s\n", sql, mysql_errno(m), mysql_error(m));
		return -1;
	}
	row = mysql_fetch_row(res);
	if (row && row[0])
		v = strtol(row[0], NULL, 10);
	mysql_free_result(res);
	while (mysql_next_result(m) == 0) {
		res = mysql_store_result(m);
		mysql_free_result(res);
	}
	return v;
}

unsigned wstest_exec(MYSQL *m, const char *sql)
{
	int status;

	if (mysql_query(m, sql)) {
		fprintf(stderr, "wstest: %s: %u %s\n", sql, mysql_errno(m), mysql_error(m));
		return mysql_errno(m);
	}
	do {
		MYSQL_RES *res = mysql_store_result(m);

		mysql_free_result(res);
		status = mysql_next_result(m);
		if (status > 0) {
			fprintf(stderr, "wstest: %s: %u %s\n", sql, mysql_errno(m), mysql_error(m));
			return mysql_errno(m);
		}
	} while (status == 0);
	return 0;
}

long wstest_server_id(MYSQL *m)
{
	return wstest_query_long(m, "SELECT @@server_id");
}

bool wstest_sync_replicas(const struct wstest_env *env)
{
	MYSQL *p = wstest_connect_admin(env, env->primary_port);
	char pos[512] = "", sql[700];
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = true;

	if (!p)
		return false;
	if (mysql_query(p, "SELECT @@gtid_binlog_pos") || !(res = mysql_store_result(p))) {
		mysql_close(p);
		return false;
	}
	row = mysql_fetch_row(res);
	if (row && row[0])
		snprintf(pos, sizeof(pos), "%s", row[0]);
	mysql_free_result(res);
	mysql_close(p);
	for (unsigned i = 0; i < env->n_replicas; i++) {
		MYSQL *r = wstest_connect_admin(env, env->replica_port[i]);

		if (!r)
			return false;
		snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', 30)", pos);
		if (wstest_query_long(r, sql) != 0)
			ok = false;
		mysql_close(r);
	}
	return ok;
}

bool wstest_own_topology(const char *srcdir, const char *dir, struct wstest_env *env)
{
	char cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/tests/topology.sh", srcdir);
	setenv("WS_TEST_TOPOLOGY", cmd, 1);
	snprintf(cmd, sizeof(cmd), "%s/tests/topology.sh start %s >/dev/null", srcdir, dir);
	if (system(cmd) != 0)
		return false;
	/* Its variables into our environment (the shell prints them as NAME=VALUE). */
	snprintf(cmd, sizeof(cmd), ". %s/env && env | grep ^WS_TEST_", dir);
	f = popen(cmd, "r");
	while (f && fgets(cmd, sizeof(cmd), f)) {
		char *eq = strchr(cmd, '=');

		cmd[strcspn(cmd, "\n")] = '\0';
		if (eq) {
			*eq = '\0';
			setenv(cmd, eq + 1, 1);
		}
	}
	if (f)
		pclose(f);
	return wstest_env_load(env);
}

double wstest_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wstest_msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
