/*
 * wstest.c — see wstest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <CUnit/Basic.h>
#include <wescale.h>

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

long wstest_admin_long(const struct wstest_env *env, unsigned port, const char *sql)
{
	MYSQL *a = wstest_connect_admin(env, port);
	long v = -1;

	if (a) {
		v = wstest_query_long(a, sql);
		mysql_close(a);
	}
	return v;
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
	/* The hint: in a process linked with libwescale the primary's port may be
	 * a cluster's, whose reads go to a replica. */
	if (mysql_query(p, "SELECT /* wescale:route=primary */ @@gtid_binlog_pos") || !(res = mysql_store_result(p))) {
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

int wstest_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

bool wstest_own_topology(const char *srcdir, const char *name, struct wstest_env *env)
{
	return wstest_own_topology_n(srcdir, name, 2, env);
}

bool wstest_own_topology_n(const char *srcdir, const char *name, unsigned n_replicas, struct wstest_env *env)
{
	const char *tmp = getenv("TMPDIR");
	char sh[512], dir[256], line[1024];
	FILE *f;

	snprintf(sh, sizeof(sh), "%s/tests/topology.sh", srcdir);
	snprintf(dir, sizeof(dir), "%s/wescale-%s.%d", tmp && *tmp ? tmp : "/tmp", name, (int)getpid());
	if (wstest_sh("%s start %s %u >/dev/null", sh, dir, n_replicas) != 0) {
		fprintf(stderr, "wstest: %s start %s failed\n", sh, dir);
		return false;
	}
	/* Its variables, as the shell that sources its env file sees them
	 * (WS_TEST_DIR and WS_TEST_TOPOLOGY serve the helpers below, also in
	 * child processes). */
	snprintf(line, sizeof(line), ". %s/env && env | grep '^WS_TEST_'", dir);
	f = popen(line, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (eq) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		}
	}
	if (f)
		pclose(f);
	return wstest_env_load(env);
}

/* The script and directory of the own topology, or false. */
static bool own(const char **sh, const char **dir)
{
	*sh = getenv("WS_TEST_TOPOLOGY");
	*dir = getenv("WS_TEST_DIR");
	if (*sh && **sh && *dir && **dir)
		return true;
	fprintf(stderr, "wstest: no topology of our own (WS_TEST_TOPOLOGY, WS_TEST_DIR)\n");
	return false;
}

int wstest_own_topology_node(const char *what, unsigned node)
{
	const char *sh, *dir;

	return own(&sh, &dir) ? wstest_sh("%s %s %s %u >/dev/null", sh, what, dir, node) : -1;
}

long wstest_own_topology_pid(unsigned node)
{
	const char *sh, *dir;
	char path[512];
	long pid = -1;
	FILE *f;

	if (!own(&sh, &dir))
		return -1;
	snprintf(path, sizeof(path), "%s/node%u/pid", dir, node);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return pid;
}

void wstest_own_topology_stop(void)
{
	const char *sh, *dir;

	if (own(&sh, &dir))
		wstest_sh("%s stop %s >/dev/null", sh, dir);
}

/* ---- fake servers ---- */

struct fake {
	pid_t pid;
	unsigned port;
};

#define MAX_FAKES 64
static struct fake fakes[MAX_FAKES];
static size_t n_fakes;

unsigned wstest_fake_start(const char *python, const char *script, const char *const *args)
{
	const char *argv[32];
	int fd[2];
	size_t n = 0;
	char line[64] = "";
	FILE *f;
	pid_t pid;

	if (n_fakes == MAX_FAKES || pipe(fd) < 0)
		return 0;
	argv[n++] = python;
	argv[n++] = script;
	while (*args && n < 30)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(python, (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	fakes[n_fakes].pid = pid;
	fakes[n_fakes].port = (unsigned)atoi(line + 5); /* "PORT n" */
	return fakes[n_fakes++].port;
}

void wstest_fake_stop_last(void)
{
	if (n_fakes) {
		n_fakes--;
		kill(fakes[n_fakes].pid, SIGTERM);
		waitpid(fakes[n_fakes].pid, NULL, 0);
	}
}

void wstest_fakes_stop(void)
{
	for (size_t i = 0; i < n_fakes; i++) {
		kill(fakes[i].pid, SIGTERM);
		waitpid(fakes[i].pid, NULL, 0);
	}
	n_fakes = 0;
}

const char *wstest_write_config(const struct wstest_env *env, const char *name, const char *fmt, ...)
{
	static char path[512];
	va_list ap;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", env->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "wstest: cannot write %s\n", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		return NULL;
	setenv("WESCALE_CONFIG", path, 1);
	return path;
}

int wstest_cunit_run(void)
{
	unsigned failures;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	mysql_library_end();
	return failures ? 1 : 0;
}

long wstest_misrouted(void)
{
	static char buf[65536];
	const char *p;
	long n = 0;

	wescale_stats_json(buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "\"misrouted\":")); p++)
		n += strtol(p + 12, NULL, 10);
	return n;
}

#if defined(__SANITIZE_ADDRESS__)
struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define MAX_OTHERS 32

/* The other threads of the process: their ids and the CPU time each has run
 * (schedstat, ns). */
struct others {
	unsigned n;
	long tid[MAX_OTHERS];
	unsigned long long run_ns[MAX_OTHERS];
};

/* Read a small /proc file into line (NUL-terminated); its length or -1. */
static ssize_t read_small(const char *path, char *line, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = read(fd, line, size - 1);
	close(fd);
	line[got > 0 ? got : 0] = '\0';
	return got;
}

/* Take o; is every other thread asleep: waiting on a futex (a condition
 * variable: the monitor between rounds) or in a sleep? Not merely in a system
 * call: a thread waiting for a server's answer runs on (and allocates) the
 * moment it comes. Without allocating: a malloc here could wake a thread
 * waiting for the allocator, which then holds its lock across the fork. */
static bool others_asleep(struct others *o)
{
	char buf[4096], path[300], line[128];
	long self = (long)syscall(SYS_gettid), n;
	bool all = true;
	int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	o->n = 0;
	if (dir < 0)
		return false;
	while (all && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; all && off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			long tid = strtol(d->d_name, NULL, 10), nr;

			off += d->d_reclen;
			if (d->d_name[0] == '.' || tid == self)
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
			if (read_small(path, line, sizeof(line)) <= 0)
				continue; /* (it ended) */
			/* "NR args…" in a system call; "-1 …" or "running" in user space. */
			nr = line[0] >= '0' && line[0] <= '9' ? strtol(line, NULL, 10) : -1;
			snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", tid);
			if ((nr != SYS_futex && nr != SYS_nanosleep && nr != SYS_clock_nanosleep) || o->n == MAX_OTHERS ||
			    read_small(path, line, sizeof(line)) <= 0) {
				all = false;
				break;
			}
			o->tid[o->n] = tid;
			o->run_ns[o->n++] = strtoull(line, NULL, 10);
		}
	}
	close(dir);
	return all;
}

/* Has none of the threads in o run since o was taken? */
static bool others_still(const struct others *o)
{
	char path[64], line[128];

	for (unsigned i = 0; i < o->n; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", o->tid[i]);
		if (read_small(path, line, sizeof(line)) > 0 && strtoull(line, NULL, 10) != o->run_ns[i])
			return false;
	}
	return true;
}
#endif

pid_t wstest_fork(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* Fork while the others sleep, and keep the child only if none of them
	 * ran (took CPU time) between that check and the fork: then none was
	 * inside malloc when the child was made. The child waits for the
	 * verdict before doing anything. */
	for (unsigned attempt = 0; attempt < 30; attempt++) {
		struct others o;
		char verdict = 0;
		bool asleep;
		int p[2];
		pid_t pid;

		for (unsigned i = 0; !(asleep = others_asleep(&o)) && i < 1000; i++)
			wstest_msleep(1);
		if (!asleep)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			break;
		pid = fork();
		if (pid == 0) {
			close(p[1]);
			if (read(p[0], &verdict, 1) != 1 || verdict != 'g')
				_exit(0);
			close(p[0]);
			return 0;
		}
		close(p[0]);
		if (pid < 0) {
			close(p[1]);
			return pid;
		}
		verdict = others_still(&o) ? 'g' : 'a';
		if (write(p[1], &verdict, 1) != 1)
			verdict = 'a';
		close(p[1]);
		if (verdict == 'g')
			return pid;
		kill(pid, SIGKILL); /* (it may be stuck already, in an atfork handler) */
		waitpid(pid, NULL, 0);
	}
#endif
	return fork();
}

int wstest_wait(pid_t pid, unsigned timeout_s)
{
	double until = wstest_now_s() + timeout_s;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (wstest_now_s() >= until)
			break;
		wstest_msleep(10);
	}
	fprintf(stderr, "wstest: child %ld still running after %u s: killed\n", (long)pid, timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}
