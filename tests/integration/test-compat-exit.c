/*
 * test-compat-exit.c — process exit is safe in every order (issue 23, item 1;
 * docs/compatibility.md).
 *
 *   test-compat-exit SOURCE_DIR [RUNS]
 *
 * Starts a topology of its own whose servers offer TLS (WS_TOPOLOGY_TLS=1),
 * then runs every case of the matrix
 *     TLS on/off × mysql_library_end() called or not × handles closed or left
 *     open × exit by returning from main or by exit() from another thread
 * RUNS times (default 10), each in a child process (this program again, with
 * "case T E O X") with a time limit. A case connects a managed handle to the
 * primary (mysql_ssl_set(m, NULL, …) for TLS, as Connector/C's own tests do),
 * runs one read (a replica connection) and one write, and exits at once, while
 * the monitor thread is still in its first round over TLS. Every run must exit
 * 0: no crash, no abort, no hang.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "wstest.h"

#define CASE_TIMEOUT_S 20

struct exit_case {
	int tls, library_end, leave_open, from_thread;
};

static void *exit_thread(void *arg)
{
	(void)arg;
	exit(0);
}

/* One run of one case; its exit status is the verdict (0, or 3.. on a failure
 * before the exit path). */
static int run_case(const struct exit_case *c)
{
	struct wstest_env env;
	MYSQL *m;
	MYSQL_RES *res;
	pthread_t t;

	if (!wstest_env_load(&env))
		return 3;
	m = mysql_init(NULL);
	if (!m)
		return 4;
	if (c->tls)
		mysql_ssl_set(m, NULL, NULL, NULL, NULL, NULL);
	if (!mysql_real_connect(m, "127.0.0.1", env.user, env.password, env.db, env.primary_port, NULL, 0)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 5;
	}
	if (c->tls && !mysql_get_ssl_cipher(m)) {
		fprintf(stderr, "TLS was asked for and not established\n");
		return 6;
	}
	if (mysql_query(m, "SELECT 1") || !(res = mysql_store_result(m))) {
		fprintf(stderr, "SELECT: %s\n", mysql_error(m));
		return 7;
	}
	mysql_free_result(res);
	if (mysql_query(m, "INSERT INTO exit_t VALUES (1)")) {
		fprintf(stderr, "INSERT: %s\n", mysql_error(m));
		return 8;
	}
	if (!c->leave_open)
		mysql_close(m);
	if (c->library_end)
		mysql_library_end();
	if (c->from_thread) {
		if (pthread_create(&t, NULL, exit_thread, NULL) != 0)
			return 9;
		pthread_join(t, NULL);
		return 10; /* not reached: the other thread exits the process */
	}
	return 0;
}

/* Run one case in a child; returns a short verdict written in *what. */
static int spawn_case(const char *self, const struct exit_case *c, char *what, size_t size)
{
	char a[4][2];
	pid_t pid;
	int status = 0;
	double until = wstest_now_s() + CASE_TIMEOUT_S;

	snprintf(a[0], 2, "%d", c->tls);
	snprintf(a[1], 2, "%d", c->library_end);
	snprintf(a[2], 2, "%d", c->leave_open);
	snprintf(a[3], 2, "%d", c->from_thread);
	pid = fork();
	if (pid < 0) {
		snprintf(what, size, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execl(self, self, "case", a[0], a[1], a[2], a[3], (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (wstest_now_s() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(what, size, "hang (killed after %d s)", CASE_TIMEOUT_S);
			return -1;
		}
		wstest_msleep(10);
	}
	if (WIFSIGNALED(status)) {
		snprintf(what, size, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(what, size, "exit status %d", WEXITSTATUS(status));
		return -1;
	}
	snprintf(what, size, "ok");
	return 0;
}

int main(int argc, char **argv)
{
	struct wstest_env env;
	char self[4096], conf[600], what[128];
	unsigned runs = 10, bad_cases = 0;
	MYSQL *admin;
	ssize_t n;
	FILE *f;

	if (argc == 6 && strcmp(argv[1], "case") == 0) {
		struct exit_case c = { atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]) };

		return run_case(&c);
	}
	if (argc < 2) {
		fprintf(stderr, "usage: test-compat-exit SOURCE_DIR [RUNS]\n");
		return 1;
	}
	if (argc > 2)
		runs = (unsigned)atoi(argv[2]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	setenv("WS_TOPOLOGY_TLS", "1", 1);
	if (!wstest_own_topology(argv[1], "compat-exit", &env))
		return 1;
	admin = wstest_connect_admin(&env, env.primary_port);
	if (!admin || wstest_exec(admin, "CREATE TABLE wstest.exit_t (a INT)") != 0) {
		wstest_own_topology_stop();
		return 1;
	}
	mysql_close(admin);
	/* The topology's configuration, with a quick monitor so that exits
	 * happen while it is busy. */
	snprintf(conf, sizeof(conf), "%s/compat-exit.conf", env.dir);
	f = fopen(conf, "w");
	if (!f) {
		wstest_own_topology_stop();
		return 1;
	}
	fprintf(f, "[cluster exit]\nprimary = 127.0.0.1:%u\nreplicas = 127.0.0.1:%u, 127.0.0.1:%u\n"
		   "consistency = session\nhealth_interval_ms = 50\n",
		env.primary_port, env.replica_port[0], env.replica_port[1]);
	fclose(f);
	setenv("WESCALE_CONFIG", conf, 1);

	for (int tls = 0; tls <= 1; tls++)
		for (int end = 0; end <= 1; end++)
			for (int open = 0; open <= 1; open++)
				for (int thr = 0; thr <= 1; thr++) {
					struct exit_case c = { tls, end, open, thr };
					unsigned ok = 0;
					char first_bad[128] = "";

					for (unsigned r = 0; r < runs; r++) {
						if (spawn_case(self, &c, what, sizeof(what)) == 0)
							ok++;
						else if (!first_bad[0])
							snprintf(first_bad, sizeof(first_bad), "%s", what);
					}
					printf("%s tls=%d library_end=%d handles=%s exit=%s: %u/%u ok%s%s\n",
					       ok == runs ? "ok  " : "FAIL", tls, end, open ? "open  " : "closed",
					       thr ? "thread" : "main  ", ok, runs, first_bad[0] ? ", first failure: " : "",
					       first_bad);
					fflush(stdout);
					if (ok != runs)
						bad_cases++;
				}
	wstest_own_topology_stop();
	printf("%s: %u case(s) failed\n", bad_cases ? "FAIL" : "ok", bad_cases);
	return bad_cases ? 1 : 0;
}
