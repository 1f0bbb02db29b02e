/*
 * monitor.c — the topology monitor (docs/architecture.md): one thread per process,
 * started when the first managed handle connects, that checks every node of
 * every cluster each health_interval_ms over its own connections.
 *
 * Per check it learns: reachable or not, @@read_only, the executed GTID
 * position (which raises what the replica is known to have applied, so reads
 * after writes need no WAIT once the replica has caught up), and how far behind
 * the primary a replica is (GTID distance, Seconds_Behind_Master, and how long
 * its position has been stuck while the primary moved on). It publishes this in
 * the nodes' atomic fields (topology.h); the query path reads them without locks.
 *
 * A node that fails a check — or a query (ws_node_down) — is down at once; it
 * takes reads again after WS_MONITOR_GOOD_CHECKS good checks in a row.
 *
 * The monitor connects with monitor_user/monitor_password when configured,
 * else with the credentials of the first managed handle; it takes that
 * handle's TLS and authentication options (so it is never weaker than the
 * application's own connections) and no other: not its MYSQL_INIT_COMMAND.
 * Threads and fork: after fork() the child has no monitor thread; the next
 * managed connect starts one. mysql_library_end() and unloading stop it.
 *
 * Process exit: the thread's connections use the real library and its TLS
 * library (OpenSSL registers OPENSSL_cleanup with atexit() when libmariadb
 * initialises it; GnuTLS deinitialises in an ELF destructor). exit() runs
 * atexit handlers newest first and ELF destructors after all of them, so a
 * handler registered when the thread starts (after the first mysql_init, which
 * initialises TLS) stops and joins it before either teardown, whichever thread
 * calls exit(); the ELF destructor below covers dlclose(). After that handler
 * no thread is started again in this process (a destructor that connects
 * during exit gets no monitor, rather than a thread racing the teardown).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ck_pr.h>

#include "config.h"
#include "settings.h"
#include "gtid.h"
#include "lag.h"
#include "log.h"
#include "monitor.h"
#include "real.h"
#include "session.h"
#include "topology.h"


struct mon_node {
	MYSQL *mysql;
	const struct ws_addr *addr;
	struct ws_cluster_rt *cluster;
	struct ws_node_rt *rt;
	uint64_t last_prefix_sum;    /* to see a stuck replica */
	bool answered;               /* a check has succeeded once */
	bool warned_down;            /* "down since start-up" said once */
};

/* MariaDB/MySQL: SHOW SLAVE STATUS without the privilege it needs. */
#define WS_ER_SPECIFIC_ACCESS_DENIED 1227

static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mon_cond = PTHREAD_COND_INITIALIZER;
static pthread_t mon_thread;
static bool mon_running, mon_stop;
static bool mon_exiting; /* exit() has begun: never start the thread again */
static uint64_t mon_checks; /* completed rounds, for tests and stats */

struct mon_task {
	ws_monitor_task_fn *run;
	void *ctx;
	unsigned period_ms;
	uint64_t next_ms; /* monitor thread only */
};
static struct mon_task tasks[WS_MONITOR_MAX_TASKS];
static unsigned n_tasks;
static ws_monitor_read_only_fn *on_read_only;

/* Credentials and options the monitor connects with (owned copies). */
static struct ws_session *mon_creds;

static void creds_free(struct ws_session *c)
{
	if (!c)
		return;
	ws_session_free_options(c);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->user);
	free(c);
}

/*
 * Of the application's recorded options, the monitor takes those that say who
 * it is and how the connection is protected (TLS, authentication, transport)
 * — never MYSQL_INIT_COMMAND (it would run on every node, every reconnect) or
 * session settings. Option files stay: they may hold the TLS settings, and a
 * monitor weaker than the application's connection would send credentials
 * in clear (an init-command inside one is read by the client library itself:
 * wescale(7), LIMITATIONS).
 */
static bool monitor_keeps(const struct ws_optrec *o)
{
	switch (o->option) {
	case MYSQL_OPT_SSL_KEY: case MYSQL_OPT_SSL_CERT: case MYSQL_OPT_SSL_CA: case MYSQL_OPT_SSL_CAPATH:
	case MYSQL_OPT_SSL_CIPHER: case MYSQL_OPT_SSL_CRL: case MYSQL_OPT_SSL_CRLPATH:
	case MYSQL_OPT_SSL_VERIFY_SERVER_CERT: case MYSQL_OPT_SSL_ENFORCE: case MYSQL_OPT_TLS_VERSION:
	case MARIADB_OPT_TLS_VERSION: case MARIADB_OPT_TLS_PASSPHRASE: case MARIADB_OPT_TLS_CIPHER_STRENGTH:
	case MARIADB_OPT_SSL_FP: case MARIADB_OPT_SSL_FP_LIST: case MARIADB_OPT_TLS_PEER_FP:
	case MARIADB_OPT_TLS_PEER_FP_LIST: case MYSQL_DEFAULT_AUTH: case MYSQL_PLUGIN_DIR:
	case MYSQL_SERVER_PUBLIC_KEY: case MYSQL_ENABLE_CLEARTEXT_PLUGIN: case MYSQL_SECURE_AUTH:
	case MARIADB_OPT_RESTRICTED_AUTH: case MYSQL_OPT_PROTOCOL: case MYSQL_OPT_BIND:
	case MYSQL_READ_DEFAULT_FILE: case MYSQL_READ_DEFAULT_GROUP:
		return true;
	default:
		return o->kind == WS_OPT_SSL_SET;
	}
}

static void keep_credential_options(struct ws_session *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n_opts; i++) {
		if (monitor_keeps(&c->opts[i])) {
			c->opts[k++] = c->opts[i];
		} else {
			for (unsigned j = 0; j < 5; j++)
				free(c->opts[i].s[j]);
		}
	}
	c->n_opts = k;
}

int ws_monitor_add_task(ws_monitor_task_fn *run, void *ctx, unsigned period_ms)
{
	int r = 0;

	pthread_mutex_lock(&mon_lock);
	for (unsigned i = 0; i < n_tasks; i++)
		if (tasks[i].run == run && tasks[i].ctx == ctx)
			goto out;
	if (n_tasks == WS_MONITOR_MAX_TASKS) {
		r = -ENOSPC;
		goto out;
	}
	tasks[n_tasks] = (struct mon_task){ .run = run, .ctx = ctx, .period_ms = period_ms };
	n_tasks++;
out:
	pthread_mutex_unlock(&mon_lock);
	return r;
}

void ws_monitor_on_read_only(ws_monitor_read_only_fn *fn)
{
	ck_pr_store_ptr(&on_read_only, (void *)fn);
}

/* Run the tasks that are due (round: the ones with period 0). Called with
 * mon_lock held; each task runs without it. */
static void run_tasks(bool round, unsigned interval_ms, bool stopping)
{
	uint64_t now = ws_now_us() / 1000u;

	for (unsigned i = 0; i < n_tasks; i++) {
		struct mon_task *t = &tasks[i];

		if (!stopping && (round ? t->period_ms != 0 : t->period_ms == 0 || now < t->next_ms))
			continue;
		t->next_ms = now + t->period_ms;
		pthread_mutex_unlock(&mon_lock);
		t->run(t->ctx, interval_ms, stopping);
		pthread_mutex_lock(&mon_lock);
	}
}

static MYSQL *node_connect(struct mon_node *n, unsigned interval_ms)
{
	const struct ws_real *R = ws_real();
	unsigned timeout = interval_ms >= 2000 ? interval_ms / 1000 : 2;
	MYSQL *m = R->mysql_init(NULL);

	if (!m)
		return NULL;
	ws_session_apply_options(mon_creds, m);
	R->mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	R->mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	R->mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	if (!R->mysql_real_connect(m, n->addr->is_socket ? NULL : n->addr->host, mon_creds->user, mon_creds->password,
				   NULL, n->addr->port, n->addr->is_socket ? n->addr->host : NULL, 0)) {
		ws_log(WS_LOG_DEBUG, "monitor: %s:%u: %s", n->addr->host, n->addr->port, R->mysql_error(m));
		/* A configured node that never answered is most often a typo or a
		 * missing account: say so once, loudly (later outages are info). */
		if (!n->answered && !n->warned_down) {
			n->warned_down = true;
			ws_log(WS_LOG_WARN, "monitor: %s:%u has not answered since start-up (%s): it gets no "
			       "statements until it does", n->addr->host, n->addr->port, R->mysql_error(m));
		}
		R->mysql_close(m);
		return NULL;
	}
	ws_session_set_cloexec(m);
	return m;
}

MYSQL *ws_monitor_connect(const struct ws_addr *addr, unsigned interval_ms)
{
	/* (warned_down: a task says itself what a failure means) */
	struct mon_node n = { .addr = addr, .warned_down = true };

	return mon_creds ? node_connect(&n, interval_ms) : NULL;
}

/* Run a query that returns one row of `fields` values, none of them NULL,
 * and check the reply has that shape before anything reads it: a node that
 * answers otherwise (an old or hostile server, a proxy in the way) is a node
 * failure, not a row to read past. The strings live in *res until the caller
 * frees it. 0 or -1 (then *res is NULL). */
static int one_row(MYSQL *m, const char *sql, unsigned fields, MYSQL_RES **res, MYSQL_ROW *row)
{
	const struct ws_real *R = ws_real();

	*res = NULL;
	if (R->mysql_query(m, sql) || !(*res = R->mysql_store_result(m)))
		return -1;
	if (R->mysql_num_fields(*res) != fields || R->mysql_num_rows(*res) != 1 || !(*row = R->mysql_fetch_row(*res)) ||
	    !R->mysql_fetch_lengths(*res))
		goto bad;
	for (unsigned i = 0; i < fields; i++)
		if (!(*row)[i])
			goto bad;
	return 0;
bad:
	ws_log(WS_LOG_INFO, "monitor: unexpected reply shape to \"%s\"", sql);
	R->mysql_free_result(*res);
	*res = NULL;
	return -1;
}

/* Sum over the sources of a watermark, for progress and distance. */
static uint64_t wm_sum(const struct ws_wm *wm)
{
	uint64_t sum = 0;

	for (int i = 0; i < WS_MAX_SOURCES; i++)
		sum += ck_pr_load_64((uint64_t *)&wm->seq[i]);
	return sum;
}

/* GTID distance: what `primary` has that `replica` has not, summed. */
static uint64_t distance(const struct ws_wm *primary, const struct ws_wm *replica)
{
	uint64_t d = 0;

	for (int i = 0; i < WS_MAX_SOURCES; i++) {
		uint64_t p = ck_pr_load_64((uint64_t *)&primary->seq[i]);
		uint64_t r = ck_pr_load_64((uint64_t *)&replica->seq[i]);

		if (p > r)
			d += p - r;
	}
	return d;
}

/* Replace `dst` with the position in `text` (prefix semantics: what is surely
 * applied). Positions only move forward here: a node's executed set never
 * shrinks (a switched primary is the failover code's business). */
static void learn_position(struct ws_node_rt *n, int flavor, const char *text, size_t len)
{
	struct ws_gtid_set *set = ws_gtid_set_new((enum ws_gtid_flavor)flavor);
	struct ws_gtid_pos pos[WS_MAX_SOURCES];
	size_t k;

	if (!set)
		return;
	if (ws_gtid_set_add_text(set, text, len) == 0) {
		k = ws_gtid_set_positions(set, pos, WS_MAX_SOURCES);
		for (size_t i = 0; i < k && i < WS_MAX_SOURCES; i++) {
			/* Only sources some watermark needs (registered by writes or the
			 * primary's position): what a node reports must not fill the
			 * process-wide table. */
			int idx = ws_topology_source_find(pos[i].source);

			if (idx >= 0 && pos[i].prefix)
				ws_wm_raise(&n->known, idx, pos[i].prefix, pos[i].server);
		}
	}
	ws_gtid_set_free(set);
}

/* The position of the member that takes writes now (the configured primary
 * unless another member is the writable one). */
static const struct ws_wm *writable_position(struct ws_cluster_rt *rt)
{
	int w = ws_topology_writable(rt, true);

	return w >= 0 ? &rt->replicas[w].known : &rt->primary.known;
}

static void check_failed(struct mon_node *n)
{
	const struct ws_real *R = ws_real();

	if (n->mysql) {
		R->mysql_close(n->mysql);
		n->mysql = NULL;
	}
	ck_pr_inc_64(&n->rt->checks_failed);
	if (ck_pr_load_int(&n->rt->up))
		ws_log(WS_LOG_INFO, "monitor: %s:%u is down", n->addr->host, n->addr->port);
	ws_node_down(n->rt);
}

static void check_node(struct mon_node *n, struct ws_cluster_rt *rt, unsigned interval_ms)
{
	const struct ws_real *R = ws_real();
	int flavor = ck_pr_load_int(&rt->flavor);
	uint64_t now = ws_now_us() / 1000u, lag = 0;
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *len;
	const char *sql;

	if (ck_pr_load_int(&n->rt->vacant)) {
		/* A discovery slot without a member (discover.c): nothing to check. */
		if (n->mysql)
			R->mysql_close(n->mysql);
		n->mysql = NULL;
		return;
	}
	if (!n->mysql && !(n->mysql = node_connect(n, interval_ms))) {
		check_failed(n);
		return;
	}
	if (flavor < 0) {
		const char *info = R->mysql_get_server_info(n->mysql);

		flavor = info && strstr(info, "MariaDB") ? WS_GTID_MARIADB : WS_GTID_MYSQL;
		ck_pr_cas_int(&rt->flavor, -1, flavor);
	}
	/* A replica's applied position is what MASTER_GTID_WAIT waits on
	 * (gtid_slave_pos); the primary's is its binlog. */
	/* MariaDB: gtid_current_pos is the binlog position on a primary and the
	 * applied position on a replica (what MASTER_GTID_WAIT waits on), so it is
	 * right whatever role a member has now. */
	if (flavor == WS_GTID_MYSQL)
		sql = "SELECT @@read_only, @@GLOBAL.gtid_executed";
	else
		sql = "SELECT @@read_only, @@GLOBAL.gtid_current_pos";
	if (one_row(n->mysql, sql, 2, &res, &row) < 0) {
		check_failed(n);
		return;
	}
	len = R->mysql_fetch_lengths(res);
	ck_pr_store_int(&n->rt->read_only, strcmp(row[0], "1") == 0);
	/* Only this thread counts rounds: mon_checks is the rounds completed
	 * before this one began. */
	if (ck_pr_load_int(&n->rt->read_only) == 1) {
		ws_monitor_read_only_fn *fn = (ws_monitor_read_only_fn *)ck_pr_load_ptr(&on_read_only);

		if (fn)
			fn(rt, n->rt, ck_pr_load_64(&mon_checks));
	}
	learn_position(n->rt, flavor, row[1], len[1]);
	R->mysql_free_result(res);

	if (ck_pr_load_int(&n->rt->read_only) == 0) {
		/* The writable member (the primary now): not behind anyone. */
		ws_lag_writer_seen(rt, n->mysql, &n->rt->known, now);
		ck_pr_store_64(&n->rt->behind, 0);
		ck_pr_store_64(&n->rt->lag_ms, 0);
		ck_pr_store_64(&n->rt->stalled_since_ms, 0);
	} else {
		uint64_t behind = distance(writable_position(rt), &n->rt->known), sum = wm_sum(&n->rt->known);

		/* Seconds_Behind_Master where we may read it; NULL means the SQL
		 * thread is not running. */
		if (R->mysql_query(n->mysql, "SHOW SLAVE STATUS") == 0 && (res = R->mysql_store_result(n->mysql))) {
			unsigned nf = R->mysql_num_fields(res);
			MYSQL_FIELD *f = R->mysql_fetch_fields(res);

			if (f && (row = R->mysql_fetch_row(res)))
				for (unsigned i = 0; i < nf; i++)
					if (f[i].name && strcmp(f[i].name, "Seconds_Behind_Master") == 0 && row[i])
						lag = strtoull(row[i], NULL, 10) * 1000u;
			R->mysql_free_result(res);
		} else if (R->mysql_errno(n->mysql) == WS_ER_SPECIFIC_ACCESS_DENIED) {
			static bool warned_grant; /* this thread only */

			if (!warned_grant) {
				warned_grant = true;
				ws_log(WS_LOG_WARN, "monitor: SHOW SLAVE STATUS is denied to user '%s' on %s:%u, so "
				       "replication lag is not measured: GRANT SLAVE MONITOR ON *.* TO that user "
				       "(MySQL, or MariaDB before 10.5: REPLICATION CLIENT)", mon_creds->user,
				       n->addr->host, n->addr->port);
			}
		}
		/* Stuck: behind the primary and not moving. The time it has been so
		 * is a lag even when the server cannot say (SQL thread stopped). */
		if (behind > 0 && sum == n->last_prefix_sum) {
			uint64_t since = ck_pr_load_64(&n->rt->stalled_since_ms);

			if (!since)
				ck_pr_store_64(&n->rt->stalled_since_ms, since = now);
			if (now - since > lag)
				lag = now - since;
		} else {
			ck_pr_store_64(&n->rt->stalled_since_ms, 0);
		}
		n->last_prefix_sum = sum;
		ck_pr_store_64(&n->rt->behind, behind);
		ck_pr_store_64(&n->rt->lag_ms, ws_lag_replica(rt, n->mysql, &n->rt->known, now, lag));
	}
	ck_pr_store_64(&n->rt->checked_at_ms, now);
	n->answered = true;
	if (!ck_pr_load_int(&n->rt->up)) {
		if (ck_pr_faa_uint(&n->rt->good_checks, 1) + 1 >= WS_MONITOR_GOOD_CHECKS) {
			ws_log(WS_LOG_INFO, "monitor: %s:%u is back", n->addr->host, n->addr->port);
			ck_pr_store_int(&n->rt->up, 1);
		}
	}
}

static void *monitor_main(void *arg)
{
	const struct ws_config *cfg = ws_global_config();
	const struct ws_real *R = ws_real();
	struct mon_node *nodes = NULL;
	size_t n_nodes = 0, k = 0;
	unsigned interval = 60000;

	(void)arg;
	/* Everything this thread calls in the real library is ours, not the
	 * application's: never route it. */
	ws_guard_enter();
	for (size_t c = 0; c < cfg->n_clusters; c++)
		n_nodes += ws_cluster_n_readers(&cfg->clusters[c]) + (cfg->clusters[c].has_primary ? 1 : 0);
	nodes = calloc(n_nodes ? n_nodes : 1, sizeof(*nodes));
	if (!nodes) {
		ws_log(WS_LOG_ERROR, "monitor: out of memory; no health checks");
		return NULL;
	}
	for (size_t c = 0; c < cfg->n_clusters; c++) {
		const struct ws_cluster *cl = &cfg->clusters[c];
		struct ws_cluster_rt *rt = ws_topology_cluster(cl);

		if (cl->health_interval_ms < interval)
			interval = cl->health_interval_ms;
		if (cl->has_primary)
			nodes[k++] = (struct mon_node){ .addr = &cl->primary, .cluster = rt, .rt = &rt->primary };
		for (size_t r = 0; r < ws_cluster_n_readers(cl); r++)
			nodes[k++] = (struct mon_node){ .addr = ws_cluster_reader(cl, r), .cluster = rt,
							.rt = &rt->replicas[r] };
	}
	pthread_mutex_lock(&mon_lock);
	run_tasks(false, interval, false); /* the periodic ones start with the thread */
	while (!mon_stop) {
		struct timespec until;
		uint64_t deadline;

		/* What the layers above registered once a round (the rules follow
		 * their file: reloaded when it changed). */
		run_tasks(true, interval, false);
		pthread_mutex_unlock(&mon_lock);
		/* Each cluster's primary comes before its replicas in `nodes`, so
		 * distances are measured against a fresh primary position. */
		for (size_t i = 0; i < n_nodes; i++)
			check_node(&nodes[i], nodes[i].cluster, interval);
		ck_pr_inc_64(&mon_checks);
		/* Sleep until the next round in slices, running the periodic tasks
		 * in between (the stats socket has no thread of its own:
		 * docs/architecture.md). */
		pthread_mutex_lock(&mon_lock);
		for (unsigned slept = 0; !mon_stop && slept < interval; slept += 50) {
			run_tasks(false, interval, false);
			clock_gettime(CLOCK_REALTIME, &until);
			deadline = (uint64_t)until.tv_nsec + 50u * 1000000u;
			until.tv_sec += (time_t)(deadline / 1000000000u);
			until.tv_nsec = (long)(deadline % 1000000000u);
			pthread_cond_timedwait(&mon_cond, &mon_lock, &until);
		}
	}
	run_tasks(false, interval, true);
	pthread_mutex_unlock(&mon_lock);
	for (size_t i = 0; i < n_nodes; i++)
		if (nodes[i].mysql)
			R->mysql_close(nodes[i].mysql);
	free(nodes);
	if (R->mysql_thread_end)
		R->mysql_thread_end();
	return NULL;
}

static void monitor_atexit(void);

void ws_monitor_start(const struct ws_session *s)
{
	const struct ws_config *cfg = ws_global_config();
	const struct ws_cluster *cl = s->cluster;
	struct ws_session *c;
	sigset_t all, old;

	pthread_mutex_lock(&mon_lock);
	if (mon_running || mon_exiting || !cfg) {
		pthread_mutex_unlock(&mon_lock);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || ws_session_copy_options(c, s) < 0) {
		free(c);
		pthread_mutex_unlock(&mon_lock);
		return;
	}
	keep_credential_options(c);
	c->user = strdup(cl->monitor_user ? cl->monitor_user : s->user ? s->user : "");
	c->password = strdup(cl->monitor_user ? (cl->monitor_password ? cl->monitor_password : "")
					      : s->password ? s->password : "");
	if (!c->user || !c->password) {
		creds_free(c);
		pthread_mutex_unlock(&mon_lock);
		return;
	}
	creds_free(mon_creds);
	mon_creds = c;
	mon_stop = false;
	/* The thread must not take the host's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&mon_thread, NULL, monitor_main, NULL) == 0) {
		mon_running = true;
		/* Once per start, so that it runs before the exit handlers of
		 * whatever was initialised before this thread began (see the top
		 * of this file); it is idempotent, extra registrations are
		 * harmless. */
		if (atexit(monitor_atexit) != 0)
			ws_log(WS_LOG_WARN, "cannot register the monitor's exit handler");
	} else
		ws_log(WS_LOG_ERROR, "cannot start the monitor thread: %s", strerror(errno));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_unlock(&mon_lock);
}

/* Tell the thread to stop; false when there is none to join (or this is it:
 * exit() called inside a task). `exiting`: none may start again. */
static bool ask_stop(bool exiting)
{
	bool join;

	pthread_mutex_lock(&mon_lock);
	if (exiting)
		mon_exiting = true;
	join = mon_running && !pthread_equal(pthread_self(), mon_thread);
	if (join) {
		mon_stop = true;
		pthread_cond_broadcast(&mon_cond);
	}
	pthread_mutex_unlock(&mon_lock);
	return join;
}

void ws_monitor_stop(void)
{
	if (!ask_stop(false))
		return;
	pthread_join(mon_thread, NULL);
	pthread_mutex_lock(&mon_lock);
	mon_running = false;
	creds_free(mon_creds);
	mon_creds = NULL;
	pthread_mutex_unlock(&mon_lock);
}

uint64_t ws_monitor_rounds(void)
{
	return ck_pr_load_64(&mon_checks);
}

void ws_monitor_atfork_child(void)
{
	/* The thread is not in the child, its connections are the parent's
	 * sockets: forget both (never close them from here) and start afresh. */
	pthread_mutex_init(&mon_lock, NULL);
	pthread_cond_init(&mon_cond, NULL);
	mon_running = false;
	mon_stop = false;
	mon_exiting = false;
	mon_creds = NULL;
	/* (What a task opened is its owner's to forget: global.c.) */
}

/* Longest wait for the thread at exit: a check in progress ends within its
 * connections' timeouts (node_connect: 2 s each at the default interval). */
#define EXIT_JOIN_MS 5000

static void monitor_atexit(void)
{
	struct timespec until;
	bool joined;

	if (!ask_stop(true))
		return;
	/* Bounded: exit() may be called from a signal handler after a crash
	 * that left a lock (malloc's) taken, which the thread then waits for
	 * forever. Better an exit that races the TLS teardown than no exit. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += EXIT_JOIN_MS / 1000;
	joined = pthread_timedjoin_np(mon_thread, NULL, &until) == 0;
	/* No free() here, for the same reason: the credentials stay for the
	 * exit (only the password is wiped, when the thread is gone). */
	pthread_mutex_lock(&mon_lock);
	mon_running = false;
	if (joined && mon_creds && mon_creds->password)
		explicit_bzero(mon_creds->password, strlen(mon_creds->password));
	pthread_mutex_unlock(&mon_lock);
}

/* Unloading the library (dlclose) stops the thread first; at process exit the
 * atexit handler above has already done so. */
__attribute__((destructor)) static void monitor_fini(void)
{
	ws_monitor_stop();
}
