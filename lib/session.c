/*
 * session.c — per-handle state (see session.h): the side table, the recorded
 * connect options, the session state carried to replicas, replica connections.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysqld_error.h>

#include "config.h"
#include "gtid.h"
#include "log.h"
#include "real.h"
#include "session.h"
#include "topology.h"
#include "settings.h"
#include <fcntl.h>
#include <unistd.h>
#include <ck_pr.h>

struct ws_hmap ws_sessions = WS_HMAP_INIT;

uint64_t ws_now_ms(void)
{
	return ws_now_us() / 1000u;
}

/* ---- the side table ---- */

/* This thread's cache in front of it (hmap.h). */
__thread struct ws_hmap_cache ws_session_cache __attribute__((tls_model("initial-exec")));

void ws_session_free_options(struct ws_session *s)
{
	for (size_t i = 0; i < s->n_opts; i++)
		for (unsigned k = 0; k < 5; k++)
			free(s->opts[i].s[k]);
	free(s->opts);
	s->opts = NULL;
	s->n_opts = s->cap_opts = 0;
}

static void free_vars(struct ws_session *s)
{
	for (size_t i = 0; i < s->n_vars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	free(s->vars);
	s->vars = NULL;
	s->n_vars = s->cap_vars = 0;
}


/*
 * In a child after fork(), a connection's socket is the parent's too: closing
 * the handle would send QUIT on it and end the parent's session. Point the
 * descriptor at /dev/null first, so the real library's goodbye goes nowhere
 * and the parent's connection is untouched.
 */
void ws_session_disown_socket(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	int fd, nul;

	ws_guard_enter();
	fd = R->mysql_get_socket ? (int)R->mysql_get_socket(m) : -1;
	ws_guard_leave();
	if (fd < 0)
		return;
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0)
		return;
	dup3(nul, fd, O_CLOEXEC);
	close(nul);
}

/*
 * Lending the application's fd number (see session.h and docs/architecture.md).
 * dup3() replaces the number's file description atomically, so the number is
 * never closed in between: no other thread can be handed it by open()/socket()
 * meanwhile, and a poll() on it always watches a live socket. Socket options
 * and O_NONBLOCK belong to the description, not the number: both connections
 * keep their own. Only FD_CLOEXEC belongs to the number; it is carried over.
 */
int ws_session_fd_lend(struct ws_session *s, MYSQL *replica)
{
	const struct ws_real *R = ws_real();
	int app, rep, saved, fl;

	if (!R->mysql_get_socket || s->fd_saved >= 0)
		return -ENOTSUP;
	ws_guard_enter();
	app = (int)R->mysql_get_socket(s->mysql);
	rep = (int)R->mysql_get_socket(replica);
	ws_guard_leave();
	if (app < 0 || rep < 0 || app == rep)
		return -EBADF;
	if ((fl = fcntl(app, F_GETFD)) < 0)
		return -errno;
	if ((saved = fcntl(app, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	if (dup3(rep, app, (fl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		int e = errno;

		close(saved);
		return -e;
	}
	s->fd_app = app;
	s->fd_saved = saved;
	s->fd_cloexec = fl & FD_CLOEXEC;
	return 0;
}

void ws_session_fd_return_slow(struct ws_session *s)
{
	/* In a child after fork() the number is the parent's business (it is
	 * disowned before the handle is closed): only drop our spare. */
	if (!ws_session_inherited(s) &&
	    dup3(s->fd_saved, s->fd_app, s->fd_cloexec ? O_CLOEXEC : 0) < 0)
		ws_log(WS_LOG_ERROR, "cannot give socket %d back to the primary connection: %s", s->fd_app,
		       strerror(errno));
	close(s->fd_saved);
	s->fd_saved = -1;
	s->fd_app = -1;
}

void ws_session_set_cloexec(MYSQL *m)
{
	const struct ws_real *R = ws_real();
	int fd, flags;

	ws_guard_enter();
	fd = R->mysql_get_socket ? (int)R->mysql_get_socket(m) : -1;
	ws_guard_leave();
	/* libmariadb creates its sockets without FD_CLOEXEC. Ours (replica and
	 * monitor connections) must not leak into programs the host executes.
	 * (A fork+exec racing with the connect itself can still inherit it.) */
	if (fd >= 0 && (flags = fcntl(fd, F_GETFD)) >= 0)
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Close one replica connection of s (counted per node). */
static int (*keeper)(struct ws_session *s, struct ws_conn *c);

void ws_session_set_keeper(int (*fn)(struct ws_session *s, struct ws_conn *c))
{
	ck_pr_store_ptr(&keeper, (void *)fn);
}

/* Close (or, when reuse, give to the keeper: the pool) a replica connection. */
static void close_conn(struct ws_session *s, struct ws_conn *c, bool reuse)
{
	const struct ws_real *R = ws_real();
	struct ws_cluster_rt *rt;

	if (!c->mysql)
		return;
	if (!reuse || !keeper || keeper(s, c) < 0) {
		if (ws_session_inherited(s))
			ws_session_disown_socket(c->mysql);
		ws_guard_enter();
		R->mysql_close(c->mysql);
		ws_guard_leave();
	}
	c->mysql = NULL;
	c->dirty = c->no_pool = false;
	c->applied_gen = 0;
	c->ro_unsure = false;
	if (s->cluster && (rt = ws_topology_cluster(s->cluster)))
		ck_pr_dec_64(&rt->replicas[c->node].connections);
}

static void close_replicas(struct ws_session *s)
{
	ws_session_fd_return(s);
	for (size_t i = 0; i < s->n_replicas; i++) {
		close_conn(s, &s->replicas[i], true);
		s->replicas[i].applied_gen = 0;
	}
	/* The primary answers from now on; its tracking setup (if still
	 * pending) waits for its next statement: a handle being closed needs
	 * none (ws_session_use_primary would send it now). */
	ws_session_forget_last(s);
	s->ro_trx = -1;
}

static void clear_temp(struct ws_session *s)
{
	for (size_t i = 0; i < s->n_temp; i++)
		free(s->temp_tables[i]);
	s->n_temp = 0;
}

static void (*replay_free)(struct ws_replay *);

void ws_session_set_replay_free(void (*fn)(struct ws_replay *))
{
	ck_pr_store_ptr(&replay_free, (void *)fn);
}

static void session_free(struct ws_session *s)
{
	if (!s)
		return;
	ws_rules_done(&s->pending_rule);
	close_replicas(s);
	free(s->replicas);
	ws_session_free_options(s);
	free_vars(s);
	clear_temp(s);
	free(s->temp_tables);
	free(s->user);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->db);
	free(s->cur_db);
	free(s->wm);
	free(s->last_read);
	if (s->replay && replay_free)
		replay_free(s->replay);
	free(s);
}

struct ws_session *ws_session_attach(MYSQL *mysql)
{
	struct ws_session *s;
	struct ws_hnode *old;

	if (!mysql)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mysql = mysql;
	s->hnode.key = mysql;
	s->last_node = -1;
	s->ro_trx = -1;
	s->assume_write = -1;
	s->trx_shape = s->pending_shape = s->probe_shape = -1;
	s->fd_app = s->fd_saved = -1;
	s->route_node = -1;
	s->route_reason = -1; /* nothing routed yet */
	s->consistency = -1;
	s->flavor = -1;
	s->primary_reader = -1;
	s->fork_generation = ck_pr_load_64(&ws_fork_generation);
	old = ws_hmap_put(&ws_sessions, &s->hnode);
	if (old) {
		session_free((struct ws_session *)((char *)old - offsetof(struct ws_session, hnode)));
	}
	return s;
}

void ws_session_detach(const MYSQL *mysql)
{
	struct ws_hnode *n = ws_hmap_remove(&ws_sessions, mysql);

	if (n) {
		session_free((struct ws_session *)((char *)n - offsetof(struct ws_session, hnode)));
	}
}

size_t ws_session_count(void)
{
	return ws_hmap_count(&ws_sessions);
}

void ws_session_atfork_child(void)
{
	ws_hmap_atfork_child(&ws_sessions);
}

/* ---- recorded options ---- */

static enum ws_opt_kind option_kind(int option)
{
	switch (option) {
	case MYSQL_OPT_COMPRESS:
	case MYSQL_OPT_NAMED_PIPE:
	case MYSQL_OPT_USE_RESULT:
	case MYSQL_OPT_USE_REMOTE_CONNECTION:
	case MYSQL_OPT_USE_EMBEDDED_CONNECTION:
	case MYSQL_OPT_GUESS_CONNECTION:
	case MYSQL_OPT_CONNECT_ATTR_RESET:
		return WS_OPT_NONE;
	case MYSQL_OPT_CONNECT_TIMEOUT:
	case MYSQL_OPT_LOCAL_INFILE:
	case MYSQL_OPT_PROTOCOL:
	case MYSQL_OPT_READ_TIMEOUT:
	case MYSQL_OPT_WRITE_TIMEOUT:
	case MYSQL_OPT_ZSTD_COMPRESSION_LEVEL:
	case MARIADB_OPT_TLS_CIPHER_STRENGTH:
	case MARIADB_OPT_PORT:
		return WS_OPT_UINT;
	case MYSQL_OPT_MAX_ALLOWED_PACKET:
	case MYSQL_OPT_NET_BUFFER_LENGTH:
		return WS_OPT_ULONG;
	case MYSQL_SECURE_AUTH:
	case MYSQL_REPORT_DATA_TRUNCATION:
	case MYSQL_OPT_RECONNECT:
	case MYSQL_OPT_SSL_VERIFY_SERVER_CERT:
	case MYSQL_ENABLE_CLEARTEXT_PLUGIN:
	case MYSQL_OPT_CAN_HANDLE_EXPIRED_PASSWORDS:
	case MYSQL_OPT_SSL_ENFORCE:
	case MARIADB_OPT_CONNECTION_READ_ONLY:
		return WS_OPT_BOOL;
	case MYSQL_INIT_COMMAND:
	case MYSQL_READ_DEFAULT_FILE:
	case MYSQL_READ_DEFAULT_GROUP:
	case MYSQL_SET_CHARSET_DIR:
	case MYSQL_SET_CHARSET_NAME:
	case MYSQL_SHARED_MEMORY_BASE_NAME:
	case MYSQL_SET_CLIENT_IP:
	case MYSQL_PLUGIN_DIR:
	case MYSQL_DEFAULT_AUTH:
	case MYSQL_OPT_BIND:
	case MYSQL_OPT_SSL_KEY:
	case MYSQL_OPT_SSL_CERT:
	case MYSQL_OPT_SSL_CA:
	case MYSQL_OPT_SSL_CAPATH:
	case MYSQL_OPT_SSL_CIPHER:
	case MYSQL_OPT_SSL_CRL:
	case MYSQL_OPT_SSL_CRLPATH:
	case MYSQL_OPT_CONNECT_ATTR_DELETE:
	case MYSQL_SERVER_PUBLIC_KEY:
	case MYSQL_OPT_TLS_VERSION:
	case MARIADB_OPT_SSL_FP:
	case MARIADB_OPT_SSL_FP_LIST:
	case MARIADB_OPT_TLS_PASSPHRASE:
	case MARIADB_OPT_TLS_VERSION:
	case MARIADB_OPT_TLS_PEER_FP:
	case MARIADB_OPT_TLS_PEER_FP_LIST:
	case MARIADB_OPT_CONNECTION_HANDLER:
	case MARIADB_OPT_UNIXSOCKET:
	case MARIADB_OPT_PASSWORD:
	case MARIADB_OPT_HOST:
	case MARIADB_OPT_USER:
	case MARIADB_OPT_SCHEMA:
	case MARIADB_OPT_DEBUG:
	case MARIADB_OPT_RESTRICTED_AUTH:
		return WS_OPT_STR;
	case MYSQL_OPT_CONNECT_ATTR_ADD:
		return WS_OPT_STR2;
	case MARIADB_OPT_USERDATA:
	case MARIADB_OPT_STATUS_CALLBACK:
		return WS_OPT_PTR2;
	default:
		/* Callbacks and flags (MYSQL_PROGRESS_CALLBACK, MARIADB_OPT_IO_WAIT,
		 * MARIADB_OPT_MULTI_STATEMENTS, …): the application's pointer as is. */
		return WS_OPT_PTR;
	}
}

static struct ws_optrec *new_opt(struct ws_session *s)
{
	if (s->n_opts == s->cap_opts) {
		size_t cap = s->cap_opts ? s->cap_opts * 2 : 8;
		struct ws_optrec *o = realloc(s->opts, cap * sizeof(*o));

		if (!o)
			return NULL;
		s->opts = o;
		s->cap_opts = cap;
	}
	memset(&s->opts[s->n_opts], 0, sizeof(s->opts[0]));
	return &s->opts[s->n_opts];
}

static int dup_str(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int ws_session_record_option(struct ws_session *s, int option, const void *arg1, const void *arg2)
{
	struct ws_optrec *o = new_opt(s);

	if (!o)
		return -ENOMEM;
	o->option = option;
	o->kind = option_kind(option);
	/* The application reads the replies itself, through MYSQL.methods (what
	 * pipelining clients do): those reads see the application's connection
	 * only, so its statements must run there (docs/architecture.md). */
	if (option == MARIADB_OPT_SKIP_READ_RESPONSE)
		s->reads_replies_itself = arg1 && *(const my_bool *)arg1;
	o->value_was_null = arg1 == NULL;
	switch (o->kind) {
	case WS_OPT_NONE:
		break;
	case WS_OPT_UINT:
		if (arg1)
			o->v.u = *(const unsigned int *)arg1;
		break;
	case WS_OPT_ULONG:
		if (arg1)
			o->v.ul = *(const unsigned long *)arg1;
		break;
	case WS_OPT_BOOL:
		if (arg1)
			o->v.b = *(const my_bool *)arg1;
		break;
	case WS_OPT_STR:
		if (dup_str(&o->s[0], arg1) < 0)
			return -ENOMEM;
		break;
	case WS_OPT_STR2:
		if (dup_str(&o->s[0], arg1) < 0 || dup_str(&o->s[1], arg2) < 0) {
			free(o->s[0]);
			return -ENOMEM;
		}
		break;
	case WS_OPT_PTR2:
		o->p[1] = (void *)arg2;
		/* fall through */
	case WS_OPT_PTR:
	case WS_OPT_SSL_SET:
		o->p[0] = (void *)arg1;
		break;
	}
	s->n_opts++;
	return 0;
}

int ws_session_record_ssl(struct ws_session *s, const char *key, const char *cert, const char *ca,
			  const char *capath, const char *cipher)
{
	const char *v[5] = { key, cert, ca, capath, cipher };
	struct ws_optrec *o = new_opt(s);

	if (!o)
		return -ENOMEM;
	o->kind = WS_OPT_SSL_SET;
	for (unsigned k = 0; k < 5; k++) {
		if (dup_str(&o->s[k], v[k]) < 0) {
			for (unsigned j = 0; j < k; j++)
				free(o->s[j]);
			return -ENOMEM;
		}
	}
	s->n_opts++;
	return 0;
}

int ws_session_copy_options(struct ws_session *dst, const struct ws_session *src)
{
	dst->opts = calloc(src->n_opts ? src->n_opts : 1, sizeof(*dst->opts));
	if (!dst->opts)
		return -ENOMEM;
	dst->cap_opts = src->n_opts;
	for (size_t i = 0; i < src->n_opts; i++) {
		struct ws_optrec *o = &dst->opts[i];

		*o = src->opts[i];
		for (unsigned k = 0; k < 5; k++) {
			o->s[k] = NULL;
			if (src->opts[i].s[k] && !(o->s[k] = strdup(src->opts[i].s[k]))) {
				dst->n_opts = i + 1;
				ws_session_free_options(dst);
				return -ENOMEM;
			}
		}
		dst->n_opts = i + 1;
	}
	return 0;
}

int ws_session_apply_options(const struct ws_session *s, MYSQL *target)
{
	return ws_session_apply_options_except(s, target, -1);
}

int ws_session_apply_options_except(const struct ws_session *s, MYSQL *target, int skip)
{
	const struct ws_real *R = ws_real();
	int bad = 0;

	ws_guard_enter();
	for (size_t i = 0; i < s->n_opts; i++) {
		const struct ws_optrec *o = &s->opts[i];
		const void *val = NULL;
		int r = 0;

		if (o->option == skip && o->kind != WS_OPT_SSL_SET)
			continue;
		switch (o->kind) {
		case WS_OPT_NONE:
			break;
		case WS_OPT_UINT:
			val = o->value_was_null ? NULL : (const void *)&o->v.u;
			break;
		case WS_OPT_ULONG:
			val = o->value_was_null ? NULL : (const void *)&o->v.ul;
			break;
		case WS_OPT_BOOL:
			val = o->value_was_null ? NULL : (const void *)&o->v.b;
			break;
		case WS_OPT_STR:
			val = o->s[0];
			break;
		case WS_OPT_PTR:
			val = o->p[0];
			break;
		case WS_OPT_STR2:
		case WS_OPT_PTR2:
		case WS_OPT_SSL_SET:
			break;
		}
		if (o->kind == WS_OPT_SSL_SET)
			r = R->mysql_ssl_set ? R->mysql_ssl_set(target, o->s[0], o->s[1], o->s[2], o->s[3], o->s[4]) : 1;
		else if (o->kind == WS_OPT_STR2)
			r = R->mysql_options4 ? R->mysql_options4(target, o->option, o->s[0], o->s[1]) : 1;
		else if (o->kind == WS_OPT_PTR2)
			r = R->mysql_optionsv ? R->mysql_optionsv(target, o->option, o->p[0], o->p[1]) : 1;
		else
			r = R->mysql_options ? R->mysql_options(target, o->option, val) : 1;
		if (r)
			bad = -1;
	}
	ws_guard_leave();
	return bad;
}

int ws_session_set_connect_args(struct ws_session *s, const char *user, const char *passwd, const char *db,
				unsigned long client_flag)
{
	char *u = NULL, *p = NULL, *d = NULL;

	if (dup_str(&u, user) < 0 || dup_str(&p, passwd) < 0 || dup_str(&d, db) < 0) {
		free(u);
		free(p);
		free(d);
		return -ENOMEM;
	}
	free(s->user);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->db);
	s->user = u;
	s->password = p;
	s->db = d;
	s->client_flag = client_flag;
	return 0;
}

/* ---- session state reported by the primary ---- */

/* Variables that are never carried to replicas: transaction state (reads on
 * replicas run in autocommit), our own tracking settings, values that are
 * read-only or need privileges for no benefit to a read. */
static bool var_is_local(const char *name, size_t len)
{
	static const char *const local[] = {
		"autocommit", "last_gtid", "session_track_system_variables", "session_track_schema",
		"session_track_state_change", "session_track_transaction_info", "gtid_seq_no",
		"gtid_domain_id", "server_id", "sql_log_bin", "pseudo_thread_id", "insert_id",
		"last_insert_id", "in_transaction", "error_count", "warning_count", "identity",
		"transaction_read_only", "tx_read_only", "skip_replication", "wsrep_on",
	};

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strlen(local[i]) == len && strncasecmp(local[i], name, len) == 0)
			return true;
	return false;
}

/* A system variable's name as SQL may write it unquoted: the names come from
 * the server's tracking data, and are placed in SQL run on replicas. */
static bool strcasestr_n(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

static bool valid_var_name(const char *name, size_t len)
{
	if (len == 0 || len > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
				      name[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return false;
	return true;
}

int ws_session_set_var(struct ws_session *s, const char *name, size_t name_len, const char *value,
		       size_t value_len)
{
	struct ws_var *v = NULL;
	char *val;

	if (!valid_var_name(name, name_len))
		return -EINVAL; /* not a name a server sends: stop trusting this session's state */
	/* The classifier lexes as the server does for these (docs/classifier.md). */
	if (name_len == 20 && strncasecmp(name, "character_set_client", 20) == 0)
		s->lexenv.charset = ws_classify_charset(value, value_len);
	else if (name_len == 8 && strncasecmp(name, "sql_mode", 8) == 0)
		s->lexenv.sql_mode = ws_classify_sql_mode(value, value_len);
	if (var_is_local(name, name_len))
		return 0;
	for (size_t i = 0; i < s->n_vars; i++) {
		if (strlen(s->vars[i].name) == name_len && strncasecmp(s->vars[i].name, name, name_len) == 0) {
			v = &s->vars[i];
			break;
		}
	}
	if (v && strlen(v->value) == value_len && memcmp(v->value, value, value_len) == 0)
		return 0; /* unchanged */
	val = strndup(value, value_len);
	if (!val)
		return -ENOMEM;
	if (!v) {
		if (s->n_vars == s->cap_vars) {
			size_t cap = s->cap_vars ? s->cap_vars * 2 : 8;
			struct ws_var *nv = realloc(s->vars, cap * sizeof(*nv));

			if (!nv) {
				free(val);
				return -ENOMEM;
			}
			s->vars = nv;
			s->cap_vars = cap;
		}
		v = &s->vars[s->n_vars];
		v->name = strndup(name, name_len);
		if (!v->name) {
			free(val);
			return -ENOMEM;
		}
		v->value = NULL;
		v->quoted = false;
		s->n_vars++;
	}
	free(v->value);
	v->value = val;
	v->gen = ++s->state_gen;
	v->is_default = false;
	return 1;
}

int ws_session_set_db(struct ws_session *s, const char *db, size_t len)
{
	char *d;

	if (s->cur_db && strlen(s->cur_db) == len && memcmp(s->cur_db, db, len) == 0)
		return 0;
	d = strndup(db, len);
	if (!d)
		return -ENOMEM;
	free(s->cur_db);
	s->cur_db = d;
	s->db_gen = ++s->state_gen;
	return 0;
}

/* The variable called name, or NULL. */
static struct ws_var *find_var(struct ws_session *s, const char *name)
{
	for (size_t i = 0; i < s->n_vars; i++)
		if (strcasecmp(s->vars[i].name, name) == 0)
			return &s->vars[i];
	return NULL;
}

void ws_session_collation_default(struct ws_session *s)
{
	struct ws_var *coll = find_var(s, "collation_connection"), *cs;

	if (!coll)
		return;
	/* Forget the collation; setting the character set again on each replica
	 * gives it the character set's default one. */
	free(coll->name);
	free(coll->value);
	*coll = s->vars[--s->n_vars];
	if ((cs = find_var(s, "character_set_connection")))
		cs->gen = ++s->state_gen;
}

/* A token of a SET statement: a word (letters, digits, _ @ . $) or a quoted
 * name (quotes removed), or one punctuation character. */
struct set_tok {
	const char *p;
	size_t n;
	bool quoted;
};

static bool set_next(const char *q, size_t len, size_t *pos, struct set_tok *t)
{
	size_t i = *pos;

	while (i < len && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r'))
		i++;
	if (i >= len)
		return false;
	t->quoted = false;
	if (q[i] == '\'' || q[i] == '"' || q[i] == '`') {
		char quote = q[i];
		size_t s0 = ++i;

		while (i < len && q[i] != quote)
			i++;
		t->p = q + s0;
		t->n = i - s0;
		t->quoted = true;
		*pos = i < len ? i + 1 : i;
		return true;
	}
	t->p = q + i;
	if ((q[i] >= 'a' && q[i] <= 'z') || (q[i] >= 'A' && q[i] <= 'Z') || (q[i] >= '0' && q[i] <= '9') ||
	    q[i] == '_' || q[i] == '@' || q[i] == '$' || q[i] == '.') {
		while (i < len && ((q[i] >= 'a' && q[i] <= 'z') || (q[i] >= 'A' && q[i] <= 'Z') ||
				   (q[i] >= '0' && q[i] <= '9') || q[i] == '_' || q[i] == '@' || q[i] == '$' ||
				   q[i] == '.'))
			i++;
	} else {
		i++;
	}
	t->n = (size_t)(q + i - t->p);
	*pos = i;
	return true;
}

static bool set_is(const struct set_tok *t, const char *w)
{
	return !t->quoted && strlen(w) == t->n && strncasecmp(t->p, w, t->n) == 0;
}

/* Does the word end in `name` ("timestamp", "@@session.timestamp")? */
static bool set_names_var(const struct set_tok *t, const char *name)
{
	size_t n = strlen(name);

	return !t->quoted && t->n >= n && strncasecmp(t->p + t->n - n, name, n) == 0 &&
	       (t->n == n || t->p[t->n - n - 1] == '.' || t->p[t->n - n - 1] == '@');
}

void ws_session_note_set(struct ws_session *s, const char *q, size_t len)
{
	struct set_tok t, u;
	size_t pos = 0;
	bool names = false, collate = false;

	while (set_next(q, len, &pos, &t)) {
		if (!t.quoted && t.n >= 13 && strcasestr_n(t.p, t.n, "session_track")) {
			if (!s->state_unknown)
				ws_log(WS_LOG_INFO, "the application changed session tracking: this connection's "
				       "reads go to the primary until it is reset");
			s->state_unknown = true;
		} else if (set_names_var(&t, "timestamp")) {
			size_t p2 = pos;

			if (set_next(q, len, &p2, &u) && (set_is(&u, "=") || set_is(&u, ":")) &&
			    (!set_is(&u, ":") || (set_next(q, len, &p2, &u) && set_is(&u, "="))) &&
			    set_next(q, len, &p2, &u) && (set_is(&u, "DEFAULT") || set_is(&u, "0"))) {
				struct ws_var *v;

				if (ws_session_set_var(s, "timestamp", 9, "0", 1) < 0 || !(v = find_var(s, "timestamp")))
					s->state_unknown = true;
				else {
					v->is_default = true;
					v->gen = ++s->state_gen;
				}
			}
		} else if (set_is(&t, "NAMES") || (set_is(&t, "CHARACTER") && set_next(q, len, &pos, &u) &&
						    set_is(&u, "SET"))) {
			names = true;
		} else if (names && set_is(&t, "COLLATE") && set_next(q, len, &pos, &u)) {
			collate = true;
			if (ws_session_set_var(s, "collation_connection", 20, u.p, u.n) < 0)
				s->state_unknown = true;
		}
	}
	if (names && !collate)
		ws_session_collation_default(s);
}

void ws_session_reset_state(struct ws_session *s)
{
	close_replicas(s);
	free_vars(s);
	free(s->cur_db);
	s->cur_db = NULL;
	s->db_gen = 0;
	s->state_gen = 0;
	s->locked_tables = false;
	s->maybe_temp = false;
	s->state_unknown = false;
	s->lexenv.charset = s->lexenv.sql_mode = 0;
	clear_temp(s);
}

/* ---- temporary tables ---- */

int ws_session_add_temp(struct ws_session *s, const char *name, size_t len)
{
	char *t;

	for (size_t i = 0; i < s->n_temp; i++)
		if (strlen(s->temp_tables[i]) == len && memcmp(s->temp_tables[i], name, len) == 0)
			return 0;
	if (s->n_temp == s->cap_temp) {
		size_t cap = s->cap_temp ? s->cap_temp * 2 : 4;
		char **nt = realloc(s->temp_tables, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		s->temp_tables = nt;
		s->cap_temp = cap;
	}
	t = strndup(name, len);
	if (!t)
		return -ENOMEM;
	s->temp_tables[s->n_temp++] = t;
	return 0;
}

void ws_session_drop_temp(struct ws_session *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_temp; i++) {
		if (strlen(s->temp_tables[i]) == len && memcmp(s->temp_tables[i], name, len) == 0) {
			free(s->temp_tables[i]);
			s->temp_tables[i] = s->temp_tables[--s->n_temp];
			return;
		}
	}
}

/* ---- own errors ---- */

void ws_session_set_error(struct ws_session *s, unsigned code, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;

	s->err_code = code;
	snprintf(s->err_sqlstate, sizeof(s->err_sqlstate), "%s", sqlstate ? sqlstate : "HY000");
	va_start(ap, fmt);
	vsnprintf(s->err_msg, sizeof(s->err_msg), fmt, ap);
	va_end(ap);
}

/* ---- replica connections ---- */


void ws_session_replica_failed(struct ws_session *s, size_t idx)
{
	struct ws_conn *c = &s->replicas[idx];

	if (c->mysql) {
		if (s->last == c->mysql) {
			ws_session_use_primary(s);
		}
		close_conn(s, c, false);
	}
	c->failed = true;
	c->applied_gen = 0;
	c->retry_at_ms = ws_now_ms() + WS_REPLICA_RETRY_MS;
}

/*
 * Append a tracked value to buf as a SQL literal: a plain number as is, an
 * empty value as '' (NULL for a character set), anything else as a hex literal
 * X'…' — which no sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) reads
 * differently and no byte of the value can break out of. MariaDB and MySQL
 * accept hex strings for string, enum and boolean system variables.
 */
static size_t put_value(char *buf, size_t pos, size_t cap, const struct ws_var *var, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const char *name = var->name;
	size_t n = strlen(v), digits = 0;
	bool numeric = n > 0 && !var->quoted, dot = false;

	for (size_t i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (v[i] == '-' && i == 0)
			continue;
		else if (v[i] == '.' && !dot)
			dot = true;
		else
			numeric = false;
	}
	if (digits == 0)
		numeric = false;
	if (n == 0) {
		/* character_set_results = NULL is reported as an empty value. */
		const char *lit = strncasecmp(name, "character_set_", 14) == 0 ? "NULL" : "''";

		if (pos + strlen(lit) < cap)
			memcpy(buf + pos, lit, strlen(lit));
		return pos + strlen(lit);
	}
	if (numeric) {
		if (pos + n < cap)
			memcpy(buf + pos, v, n);
		return pos + n;
	}
	if (pos + 2 < cap) {
		buf[pos] = 'X';
		buf[pos + 1] = '\'';
	}
	pos += 2;
	for (size_t i = 0; i < n; i++) {
		if (pos + 2 < cap) {
			buf[pos] = hex[(unsigned char)v[i] >> 4];
			buf[pos + 1] = hex[(unsigned char)v[i] & 15];
		}
		pos += 2;
	}
	if (pos < cap)
		buf[pos] = '\'';
	return pos + 1;
}

static size_t put_str(char *buf, size_t pos, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (pos + n < cap)
		memcpy(buf + pos, s, n);
	return pos + n;
}

/* Build "SET SESSION a=…, b=…" for the variables changed after `since`. The
 * character sets come first: setting one resets the matching collation, so a
 * collation must be set after them. */
static size_t build_set(const struct ws_session *s, uint64_t since, char *buf, size_t cap)
{
	size_t pos = 0;
	bool first = true;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->n_vars; i++) {
			const struct ws_var *v = &s->vars[i];
			bool charset = strncasecmp(v->name, "character_set_", 14) == 0;

			if (v->gen <= since || charset != (pass == 0))
				continue;
			pos = put_str(buf, pos, cap, first ? "SET SESSION " : ", ");
			first = false;
			/* Names were checked to be plain identifiers when stored. */
			pos = put_str(buf, pos, cap, v->name);
			pos = put_str(buf, pos, cap, "=");
			if (v->is_default)
				pos = put_str(buf, pos, cap, "DEFAULT");
			else
				pos = put_value(buf, pos, cap, v, v->value);
		}
	}
	if (pos < cap)
		buf[pos] = '\0';
	return pos;
}

/*
 * The replay failed on m: was it an all-digit value sent as a number to a
 * variable that takes a string ("Incorrect argument type to variable 'x'",
 * ER_WRONG_TYPE_FOR_VAR)? Then that variable is quoted from now on and true
 * is returned (replay again). The tracked value does not say the type; the
 * server does, once.
 */
static bool retry_quoted(struct ws_session *s, MYSQL *m)
{
	const struct ws_real *R = ws_real();
	const char *msg, *a, *b;
	unsigned e;

	ws_guard_enter();
	e = R->mysql_errno(m);
	msg = R->mysql_error(m);
	ws_guard_leave();
	if (e != 1232 /* ER_WRONG_TYPE_FOR_VAR */ || !msg || !(a = strchr(msg, '\'')) || !(b = strchr(a + 1, '\'')))
		return false;
	a++;
	for (size_t i = 0; i < s->n_vars; i++) {
		struct ws_var *v = &s->vars[i];

		if (!v->quoted && strlen(v->name) == (size_t)(b - a) && strncasecmp(v->name, a, (size_t)(b - a)) == 0) {
			v->quoted = true;
			return true;
		}
	}
	return false;
}

/* Apply the state changed after generation `since` to m. 0 or -1. */
static int replay_on(struct ws_session *s, MYSQL *m, uint64_t since, uint64_t db_gen_applied)
{
	const struct ws_real *R = ws_real();
	char stack[2048], *buf = stack;
	size_t n;
	int r = 0;

	if (s->db_gen > db_gen_applied && s->cur_db) {
		ws_guard_enter();
		r = R->mysql_select_db(m, s->cur_db);
		ws_guard_leave();
		if (r) {
			ws_log(WS_LOG_INFO, "USE %s failed on a replayed connection: %s", s->cur_db, R->mysql_error(m));
			return -1;
		}
	}
	/* Each retry quotes one more all-digit value the server refused as a
	 * number: at most one per variable. */
	for (size_t attempt = 0; attempt <= s->n_vars; attempt++) {
		n = build_set(s, since, stack, sizeof(stack));
		buf = stack;
		if (n >= sizeof(stack)) {
			buf = malloc(n + 1);
			if (!buf)
				return -1;
			build_set(s, since, buf, n + 1);
		}
		r = 0;
		if (n > 0) {
			ws_guard_enter();
			r = R->mysql_real_query(m, buf, n);
			ws_guard_leave();
		}
		if (buf != stack)
			free(buf);
		if (!r || !retry_quoted(s, m))
			break;
	}
	if (r)
		ws_log(WS_LOG_INFO, "session state replay failed: %s", R->mysql_error(m));
	return r ? -1 : 0;
}

int ws_session_apply_state(struct ws_session *s, struct ws_conn *c)
{
	if (replay_on(s, c->mysql, c->applied_gen, c->applied_gen) < 0)
		return -1;
	c->applied_gen = s->state_gen;
	return 0;
}

int ws_session_replay(struct ws_session *s, MYSQL *m)
{
	/* The connection was made with the current database: only variables. */
	return replay_on(s, m, 0, s->db_gen);
}

bool ws_session_has_init_command(const struct ws_session *s)
{
	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].option == MYSQL_INIT_COMMAND && s->opts[i].kind == WS_OPT_STR && s->opts[i].s[0] &&
		    *s->opts[i].s[0])
			return true;
	return false;
}

/* A retry may take the application's whole read timeout again (the real
 * library's timeouts are fixed per connection, in seconds): it fits only when
 * next to nothing of it has been spent. */
#define RETRY_SLACK_US 100000u

bool ws_session_may_retry(const struct ws_session *s, uint64_t started_us)
{
	for (size_t i = 0; i < s->n_opts; i++)
		if (s->opts[i].option == MYSQL_OPT_READ_TIMEOUT && s->opts[i].kind == WS_OPT_UINT &&
		    s->opts[i].v.u > 0)
			return ws_now_us() - started_us < RETRY_SLACK_US;
	return true;
}

void ws_session_close_idle_slow(struct ws_session *s, uint64_t now)
{
	uint64_t limit = s->cluster->replica_idle_timeout_ms;

	if (!limit || now - s->idle_checked_ms < 1000)
		return;
	s->idle_checked_ms = now;
	for (size_t i = 0; i < s->n_replicas; i++) {
		struct ws_conn *c = &s->replicas[i];

		if (c->mysql && now - c->last_used_ms > limit && s->last != c->mysql && s->ro_trx != (int)i)
			close_conn(s, c, true);
	}
}

/* ---- SET @@name: a form the server does not track ---- */

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/*
 * Where `SET … @@name = …` (no GLOBAL/SESSION/LOCAL scope in the name) assigns,
 * up to `max` offsets just after the "@@". Only assignment targets count: the
 * first variable of a SET, or one after a comma outside parentheses, followed
 * by = or :=; a read (`= @@name`) is left alone, since a global-only variable
 * has no @@session form. Code in comments (/ *! … * /) is code. The scan gives
 * up (0) on a backslash in a string: under NO_BACKSLASH_ESCAPES it would not
 * know where the string ends, and a text it cannot read is sent as written.
 */
static size_t unscoped_targets(const char *q, size_t len, size_t *at, size_t max)
{
	enum { P_OTHER, P_SET, P_COMMA } prev = P_OTHER;
	bool start = true, in_set = false, second = false;
	int depth = 0;
	size_t n = 0, i = 0;

	while (i < len) {
		char c = q[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			i++;
		} else if (c == '#' || (c == '-' && i + 2 < len && q[i + 1] == '-' && (unsigned char)q[i + 2] <= ' ')) {
			while (i < len && q[i] != '\n')
				i++;
		} else if (c == '/' && i + 2 < len && q[i + 1] == '*' && (q[i + 2] == '!' || q[i + 2] == 'M')) {
			i += q[i + 2] == 'M' ? 4 : 3; /* executable comment: its body is code */
			while (i < len && q[i] >= '0' && q[i] <= '9')
				i++;
		} else if (c == '/' && i + 1 < len && q[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(q[i] == '*' && q[i + 1] == '/'); i++)
				;
			i += 2;
		} else if (c == '*' && i + 1 < len && q[i + 1] == '/') {
			i += 2; /* the end of an executable comment */
		} else if (c == '\'' || c == '"' || c == '`') {
			for (i++; i < len; i++) {
				if (q[i] == '\\' && c != '`')
					return 0;
				if (q[i] == c) {
					if (i + 1 < len && q[i + 1] == c) {
						i++; /* a doubled quote */
						continue;
					}
					break;
				}
			}
			i++;
			prev = P_OTHER;
			start = false;
		} else if (c == '@' && i + 1 < len && q[i + 1] == '@') {
			size_t name = i + 2, e = name;

			while (e < len && (is_word_char(q[e]) || q[e] == '.'))
				e++;
			if (in_set && (prev == P_SET || prev == P_COMMA) && !memchr(q + name, '.', e - name)) {
				size_t k = e;

				while (k < len && (q[k] == ' ' || q[k] == '\t' || q[k] == '\n' || q[k] == '\r'))
					k++;
				if (k < len && (q[k] == '=' || (q[k] == ':' && k + 1 < len && q[k + 1] == '='))) {
					if (n == max)
						return 0;
					at[n++] = name;
				}
			}
			i = e;
			prev = P_OTHER;
			start = false;
		} else if (is_word_char(c) || c == '@') {
			size_t w = i;

			for (i++; i < len && is_word_char(q[i]); i++)
				;
			if (start) {
				in_set = word_is(q + w, i - w, "SET");
				second = in_set;
				prev = in_set ? P_SET : P_OTHER;
			} else {
				/* SET STATEMENT … FOR: a per-statement value, not session state. */
				if (second && word_is(q + w, i - w, "STATEMENT"))
					in_set = false;
				prev = P_OTHER;
				second = false;
			}
			start = false;
		} else {
			if (c == ';') {
				start = true;
				in_set = false;
				depth = 0;
			} else if (c == '(') {
				depth++;
			} else if (c == ')') {
				depth--;
			}
			prev = c == ',' && depth == 0 ? P_COMMA : P_OTHER;
			if (c != ';')
				start = false;
			second = false;
			i++;
		}
	}
	return n;
}

int ws_session_scope_set(const char *q, size_t len, char **out, size_t *out_len)
{
	static const char scope[] = "session.";
	size_t at[16], n = unscoped_targets(q, len, at, sizeof(at) / sizeof(at[0])), o = 0, from = 0;
	char *b;

	if (n == 0)
		return 0;
	b = malloc(len + n * (sizeof(scope) - 1) + 1);
	if (!b)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		memcpy(b + o, q + from, at[k] - from);
		o += at[k] - from;
		memcpy(b + o, scope, sizeof(scope) - 1);
		o += sizeof(scope) - 1;
		from = at[k];
	}
	memcpy(b + o, q + from, len - from);
	o += len - from;
	b[o] = '\0';
	*out = b;
	*out_len = o;
	return 1;
}
