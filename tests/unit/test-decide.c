/*
 * test-decide.c — the routing decision (lib/decide.c) as a table, without a
 * server: the classifier's verdict on each text plus the session's facts in,
 * the plan out. Every rule of the README's "What goes where" is here both ways
 * (it holds / something keeps it from holding), and every wrong-result case of
 * the routing-core issue (a READ ONLY transaction, temporary tables through
 * CALL / EXECUTE, diagnostics after a replica read, variables that are never
 * carried, requests for a replica that are not safe).
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "classify.h"
#include "config.h"
#include "decide.h"
#include "wescale.h"

/* Facts, as bits of a row. */
enum {
	TRX = 1 << 0,       /* inside a read-write transaction / autocommit off */
	RO = 1 << 1,        /* a READ ONLY transaction is held on a replica */
	LOCKED = 1 << 2,    /* LOCK TABLES */
	TEMP = 1 << 3,      /* the text names a temporary table of the session */
	MAYBE = 1 << 4,     /* the session may hold unnamed temporary tables */
	UNKNOWN = 1 << 5,   /* session state unknown */
	NOMULTI = 1 << 6,   /* no CLIENT_MULTI_STATEMENTS */
	OWN = 1 << 7,       /* MARIADB_OPT_SKIP_READ_RESPONSE */
	LASTREP = 1 << 8,   /* a replica ran the previous statement */
	NOREPL = 1 << 9,    /* no replicas */
	ROCFG = 1 << 10,    /* read_only_transactions = primary */
	MEMBER = 1 << 11,   /* a rule named a member */
	BYRULE = 1 << 12,   /* `asked` comes from a rule */
	OPT = 1 << 13,      /* optimistic_transactions = on */
	ADAPT = 1 << 14,    /* optimistic_transactions = adaptive */
	OPTTRX = 1 << 15,   /* an optimistic transaction is held on a replica */
	ACOFF = 1 << 16,    /* autocommit off, no transaction open on the primary */
	ASSUMEW = 1 << 17,  /* assume_write_transactions, or SET TRANSACTION READ WRITE before */
	SHAPEW = 1 << 18,   /* adaptive: transactions beginning like this one write */
};

#define AUTO WESCALE_ROUTE_AUTO
#define ASK_P WESCALE_ROUTE_PRIMARY
#define ASK_R WESCALE_ROUTE_REPLICA
#define EV WESCALE_CONSISTENCY_EVENTUAL
#define SE WESCALE_CONSISTENCY_SESSION
#define GL WESCALE_CONSISTENCY_GLOBAL
#define PR WESCALE_CONSISTENCY_PRIMARY

#define P WS_TARGET_PRIMARY
#define R WS_TARGET_REPLICA
#define T WS_TARGET_RO_TRX
#define L WS_TARGET_LAST
#define M WS_TARGET_MEMBER

struct row {
	const char *sql;     /* NULL: an API call without text; a leading '!' stands for a
				text the classifier could not prove to be a read (a stored
				function it does not know): READ is taken off its verdict */
	enum ws_api api;
	unsigned facts;
	int asked;
	int consistency;
	enum ws_target target;
	enum ws_reason reason;
	int flags;           /* 1: unsafe_ignored, 2: end_ro_trx, 4: start_ro_trx, 8: migrate,
				16: opt, 32: begin_first */
};

#define TXT WS_API_TEXT
#define UNSAFE 1
#define ENDRO 2
#define STARTRO 4
#define MIGRATE 8
#define OPTF (STARTRO | 16)
#define IMPL (OPTF | 32)

static const struct row rows[] = {
	/* ---- Replica: reads (and the same read inside a transaction: primary) ---- */
	{ "SELECT 1", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT 1", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT * FROM t WHERE id = 1", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT * FROM t WHERE id = 1", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "select a, b from t order by a limit 10", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "select a, b from t order by a limit 10", TXT, LOCKED, AUTO, SE, P, WS_WHY_LOCK_TABLES, 0 },
	{ "WITH x AS (SELECT 1 AS a) SELECT a FROM x", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "WITH x AS (SELECT 1 AS a) SELECT a FROM x", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "(SELECT 1) UNION (SELECT 2)", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "(SELECT 1) UNION (SELECT 2)", TXT, UNKNOWN, AUTO, SE, P, WS_WHY_STATE_UNKNOWN, 0 },
	{ "SHOW TABLES", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SHOW TABLES", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SHOW CREATE TABLE t", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SHOW CREATE TABLE t", TXT, NOREPL, AUTO, SE, P, WS_WHY_NO_REPLICAS, 0 },
	{ "DESCRIBE t", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "DESCRIBE t", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "EXPLAIN SELECT * FROM t", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "EXPLAIN SELECT * FROM t", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT NOW(), 1 + 1", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT NOW(), 1 + 1", TXT, 0, AUTO, PR, P, WS_WHY_CONSISTENCY_PRIMARY, 0 },
	{ "SELECT COUNT(*) FROM t", TXT, 0, AUTO, EV, R, WS_WHY_READ, 0 },
	{ "SELECT COUNT(*) FROM t", TXT, 0, AUTO, GL, R, WS_WHY_READ, 0 },
	{ "/* comment */ SELECT c FROM t", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "/* comment */ SELECT c FROM t", TXT, OWN, AUTO, SE, P, WS_WHY_OWN_REPLIES, 0 },
	{ "SELECT @@server_id", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT @@sql_mode, @@time_zone", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT * FROM t1 JOIN t2 USING (id)", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT * FROM t1 JOIN t2 USING (id)", TXT, TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "SELECT * FROM t", TXT, MAYBE, AUTO, SE, P, WS_WHY_MAYBE_TEMP, 0 },
	{ "SELECT 1; SELECT 2", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT 1; SELECT 2", TXT, NOMULTI, AUTO, SE, P, WS_WHY_MULTI_NOT_ENABLED, 0 },
	{ "SELECT 1", WS_API_SEND, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT 1", WS_API_SEND, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT v FROM t WHERE id = ?", WS_API_PREPARED, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT v FROM t WHERE id = ?", WS_API_PREPARED, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT v FROM t WHERE id = ?", WS_API_PREPARED, TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "SELECT 1", WS_API_NONBLOCKING, 0, AUTO, SE, P, WS_WHY_NONBLOCKING, 0 },

	/* ---- Primary: DML, DDL, DCL and the other statements ---- */
	{ "INSERT INTO t VALUES (1)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "INSERT INTO t VALUES (1)", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "UPDATE t SET v = 1 WHERE id = 2", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "/* wescale:route=replica */ UPDATE t SET v = 1", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "DELETE FROM t WHERE id = 1", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "DELETE FROM t WHERE id = 1", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "REPLACE INTO t VALUES (1, 2)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "INSERT INTO t VALUES (1) RETURNING id", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "INSERT INTO t VALUES (1) RETURNING id", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "CREATE TABLE t2 (id INT)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "CREATE TABLE t2 (id INT)", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "ALTER TABLE t ADD c INT", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "DROP TABLE t2", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "TRUNCATE TABLE t", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "GRANT SELECT ON db.* TO u", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "CALL p()", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "CALL p()", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "DO SLEEP(0)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "LOAD DATA INFILE 'f' INTO TABLE t", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "HANDLER t OPEN", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "XA START 'x'", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "LOCK TABLES t READ", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "LOCK TABLES t READ", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "UNLOCK TABLES", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SELECT * FROM t FOR UPDATE", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "SELECT * FROM t FOR UPDATE", TXT, 0, ASK_R, SE, P, WS_WHY_LOCKING_READ, UNSAFE },
	{ "SELECT * FROM t LOCK IN SHARE MODE", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "/* wescale:route=replica */ SELECT * FROM t LOCK IN SHARE MODE", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, UNSAFE },
	{ "SELECT * FROM t FOR SHARE", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "SELECT v INTO @x FROM t", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "SELECT v FROM t INTO OUTFILE '/tmp/x'", TXT, 0, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "SELECT v FROM t INTO OUTFILE '/tmp/x'", TXT, 0, ASK_R, SE, P, WS_WHY_LOCKING_READ, UNSAFE },
	{ "SELECT LAST_INSERT_ID()", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT LAST_INSERT_ID()", TXT, 0, ASK_R, SE, P, WS_WHY_PRIMARY_FUNC, UNSAFE },
	{ "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1", TXT, 0, ASK_R, SE, R, WS_WHY_READ_ASKED, 0 },
	{ "SELECT GET_LOCK('a', 1)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "/* wescale:route=replica */ SELECT GET_LOCK('a', 1)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, UNSAFE },
	{ "SELECT RELEASE_LOCK('a')", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT RELEASE_ALL_LOCKS()", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT IS_FREE_LOCK('a')", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT IS_USED_LOCK('a')", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT NEXTVAL(s)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT NEXTVAL(s)", TXT, 0, ASK_R, SE, P, WS_WHY_PRIMARY_FUNC, UNSAFE },
	{ "SELECT LASTVAL(s)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT SETVAL(s, 10)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT NEXT VALUE FOR s", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT CONNECTION_ID()", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT MASTER_POS_WAIT('f', 4)", TXT, 0, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT @a", TXT, 0, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SELECT @a", TXT, 0, ASK_R, SE, P, WS_WHY_USER_VAR, UNSAFE },
	{ "SELECT @a := 1", TXT, 0, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SET @a = 1", TXT, 0, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SELECT * FROM t WHERE id = @id", TXT, 0, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SELECT 1; UPDATE t SET v = 2", TXT, 0, AUTO, SE, P, WS_WHY_MULTI_WRITE, 0 },
	{ "SELECT 1; UPDATE t SET v = 2", TXT, 0, ASK_R, SE, P, WS_WHY_MULTI_WRITE, UNSAFE },
	{ "/* wescale:route=replica */ SELECT 1; DELETE FROM t", TXT, 0, AUTO, SE, P, WS_WHY_MULTI_WRITE, UNSAFE },
	{ "/*!40101 INSERT INTO t VALUES (1) */", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "/*M!100000 DELETE FROM t */", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SELECT /*!50000 1 */", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },

	/* ---- Session state: the primary (carried to the replicas from there) ---- */
	{ "USE db2", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "USE db2", TXT, 0, ASK_R, SE, P, WS_WHY_SESSION_STATE, UNSAFE },
	{ "SET NAMES utf8mb4", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "/* wescale:route=replica */ SET NAMES gbk", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, UNSAFE },
	{ "SET CHARACTER SET utf8", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET SESSION time_zone = '+00:00'", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET @@session.sql_mode = ''", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET timestamp = DEFAULT", TXT, 0, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET GLOBAL max_connections = 10", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SET GLOBAL max_connections = 10", TXT, 0, ASK_R, SE, P, WS_WHY_WRITE, UNSAFE },
	{ NULL, WS_API_SELECT_DB, 0, AUTO, SE, P, WS_WHY_API_CALL, 0 },
	{ NULL, WS_API_SET_CHARSET, 0, AUTO, SE, P, WS_WHY_API_CALL, 0 },

	/* ---- Transactions ---- */
	{ "BEGIN", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, 0, ASK_R, SE, P, WS_WHY_TRX_CONTROL, UNSAFE },
	{ "START TRANSACTION", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ WRITE", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "COMMIT", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "ROLLBACK", TXT, TRX, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "SET autocommit = 0", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "SET autocommit = 1", TXT, TRX, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "SET SESSION TRANSACTION READ ONLY", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ NULL, WS_API_END_TRX, 0, AUTO, SE, P, WS_WHY_API_CALL, 0 },
	{ NULL, WS_API_AUTOCOMMIT, TRX, AUTO, SE, P, WS_WHY_API_CALL, 0 },

	/* ---- START TRANSACTION READ ONLY: on one replica, and what stays off it ---- */
	{ "START TRANSACTION READ ONLY", TXT, 0, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, STARTRO },
	{ "START TRANSACTION READ ONLY", WS_API_SEND, 0, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, STARTRO },
	{ "START TRANSACTION READ ONLY", TXT, ROCFG, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, TRX, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, LOCKED, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, 0, AUTO, PR, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, 0, ASK_P, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, UNKNOWN, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", TXT, OWN, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY", WS_API_PREPARED, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "START TRANSACTION READ ONLY; SELECT 1", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "SELECT * FROM t", TXT, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "SELECT * FROM t", WS_API_PREPARED, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "SELECT * FROM t FOR UPDATE", TXT, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "INSERT INTO t VALUES (1)", TXT, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 }, /* fails there as on the server */
	{ "SELECT @a", TXT, RO, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SET @a = 5", TXT, RO, AUTO, SE, P, WS_WHY_USER_VAR, 0 },
	{ "SELECT LAST_INSERT_ID()", TXT, RO, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT GET_LOCK('l', 0)", TXT, RO, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT * FROM tmp1", TXT, RO | TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "SELECT * FROM t", TXT, RO | MAYBE, AUTO, SE, P, WS_WHY_MAYBE_TEMP, 0 },
	{ "CREATE TEMPORARY TABLE tmp2 (id INT)", TXT, RO, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "/*ms=master*/ SELECT * FROM t", TXT, RO, AUTO, SE, P, WS_WHY_HINT_PRIMARY, 0 },
	{ "/* wescale:route=primary */ SELECT * FROM t", TXT, RO, AUTO, SE, P, WS_WHY_HINT_PRIMARY, 0 },
	{ "SELECT * FROM t", TXT, RO, ASK_P, SE, P, WS_WHY_API_PRIMARY, 0 },
	{ "USE db2", TXT, RO, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET sql_mode = 'NO_BACKSLASH_ESCAPES'", TXT, RO, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SET NAMES gbk", TXT, RO, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	{ "SELECT @@sql_log_bin", TXT, RO, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "COMMIT", TXT, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "ROLLBACK", TXT, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "BEGIN", TXT, RO, AUTO, SE, P, WS_WHY_TRX_CONTROL, ENDRO },
	{ "START TRANSACTION READ ONLY", TXT, RO, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, ENDRO | STARTRO },
	{ "CREATE TABLE x (id INT)", TXT, RO, AUTO, SE, P, WS_WHY_WRITE, ENDRO },
	{ "SHOW WARNINGS", TXT, RO | LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ NULL, WS_API_END_TRX, RO, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ NULL, WS_API_AUTOCOMMIT, RO, AUTO, SE, P, WS_WHY_API_CALL, ENDRO },
	{ NULL, WS_API_SELECT_DB, RO, AUTO, SE, P, WS_WHY_API_CALL, 0 },
	{ "SELECT 1", WS_API_NONBLOCKING, RO, AUTO, SE, P, WS_WHY_NONBLOCKING, ENDRO },

	/* ---- Temporary tables, locks ---- */
	{ "SELECT * FROM tmp1", TXT, TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "SELECT * FROM tmp1", TXT, TEMP, ASK_R, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "/* wescale:route=replica */ SELECT * FROM tmp1", TXT, TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, 0 },
	{ "SELECT * FROM t", TXT, LOCKED, ASK_R, SE, P, WS_WHY_LOCK_TABLES, 0 },
	{ "CREATE TEMPORARY TABLE tmp1 (id INT)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "DROP TEMPORARY TABLE tmp1", TXT, TEMP, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SELECT * FROM t", WS_API_SEND, MAYBE, AUTO, SE, P, WS_WHY_MAYBE_TEMP, 0 },
	{ "SELECT * FROM t", WS_API_PREPARED, MAYBE, AUTO, SE, P, WS_WHY_MAYBE_TEMP, 0 },

	/* ---- Diagnostics: the node that ran the previous statement ---- */
	{ "SHOW WARNINGS", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SHOW WARNINGS", TXT, 0, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "show /*c*/ warnings", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SHOW ERRORS", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SHOW COUNT(*) WARNINGS", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT FOUND_ROWS()", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT ROW_COUNT()", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT @@warning_count", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT @@session.error_count AS e, @@warning_count", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "GET DIAGNOSTICS @n = NUMBER", TXT, LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT FOUND_ROWS(), LAST_INSERT_ID()", TXT, LASTREP, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT FOUND_ROWS()", TXT, LASTREP | OWN, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SHOW WARNINGS; DELETE FROM t", TXT, LASTREP, AUTO, SE, P, WS_WHY_MULTI_WRITE, 0 },

	/* ---- Variables that are never carried: where their value lives ---- */
	{ "SELECT @@sql_log_bin", TXT, 0, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "SELECT @@gtid_domain_id", TXT, 0, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "SELECT @@SESSION.gtid_seq_no", TXT, 0, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "SELECT @@session_track_system_variables", TXT, 0, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "SELECT @@global.gtid_domain_id", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT @@pseudo_thread_id", TXT, 0, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, 0 },
	{ "SELECT @@session.tx_read_only", TXT, 0, ASK_R, SE, R, WS_WHY_READ, 0 }, /* asked: the replica's own */
	{ "/* wescale:route=replica */ SELECT @@tx_read_only", TXT, 0, AUTO, SE, R, WS_WHY_READ, 0 },
	{ "SELECT @@pseudo_thread_id", TXT, MEMBER, AUTO, SE, M, WS_WHY_RULE_MEMBER, 0 },
	{ "SELECT @@pseudo_thread_id", TXT, MEMBER | TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT CONNECTION_ID()", TXT, MEMBER, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, UNSAFE },

	/* ---- Hints, wescale_route_next, rules: only ever safer ---- */
	{ "/* wescale:route=primary */ SELECT 1", TXT, 0, AUTO, SE, P, WS_WHY_HINT_PRIMARY, 0 },
	{ "SELECT 1 /* wescale:route=primary */", TXT, 0, AUTO, SE, P, WS_WHY_HINT_PRIMARY, 0 },
	{ "SELECT 1", TXT, 0, ASK_P, SE, P, WS_WHY_API_PRIMARY, 0 },
	{ "SELECT 1", TXT, BYRULE, ASK_P, SE, P, WS_WHY_RULE_PRIMARY, 0 },
	{ "SELECT 1", TXT, 0, ASK_R, SE, R, WS_WHY_READ, 0 },
	{ "SELECT 1", TXT, TRX, ASK_R, SE, P, WS_WHY_IN_TRX, 0 },
	{ "!SELECT f(1)", TXT, 0, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "!SELECT f(1)", TXT, 0, ASK_R, SE, R, WS_WHY_READ_ASKED, 0 },
	{ "!SELECT f(1)", TXT, BYRULE, ASK_R, SE, R, WS_WHY_READ_ASKED, 0 },
	{ "!/* wescale:route=replica */ SELECT f(1)", TXT, 0, AUTO, SE, R, WS_WHY_READ_ASKED, 0 },
	{ "!/* wescale:route=replica */ SELECT f(1)", TXT, TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "!/* wescale:route=replica */ SELECT f(1)", TXT, 0, AUTO, PR, P, WS_WHY_CONSISTENCY_PRIMARY, 0 },
	{ "/* wescale:route=replica */ SELECT 1", TXT, 0, ASK_P, SE, P, WS_WHY_API_PRIMARY, 0 },
	{ "SELECT 1", TXT, MEMBER, AUTO, SE, M, WS_WHY_RULE_MEMBER, 0 },
	{ "SELECT 1", TXT, MEMBER | TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "UPDATE t SET v = 1", TXT, MEMBER, AUTO, SE, P, WS_WHY_WRITE, UNSAFE },
	{ "SELECT 1", TXT, MEMBER | OWN, AUTO, SE, P, WS_WHY_OWN_REPLIES, 0 },
	{ "SELECT 1", WS_API_SEND, OWN, AUTO, SE, P, WS_WHY_OWN_REPLIES, 0 },

	/* ---- Transactions on replicas (optimistic_transactions) ---- */
	/* Where a transaction starts. */
	{ "BEGIN", TXT, OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "START TRANSACTION", TXT, ADAPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "START TRANSACTION WITH CONSISTENT SNAPSHOT", TXT, OPT, AUTO, GL, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "BEGIN", TXT, OPT | ACOFF, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "BEGIN", WS_API_PREPARED, OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "BEGIN", WS_API_SEND, ADAPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "BEGIN", TXT, 0, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT | TRX, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, ADAPT | SHAPEW, AUTO, SE, P, WS_WHY_OPT_LEARNED, 0 },
	{ "BEGIN", TXT, OPT | SHAPEW, AUTO, SE, R, WS_WHY_OPT_BEGIN, OPTF },
	{ "BEGIN", TXT, ADAPT | ASSUMEW, AUTO, SE, P, WS_WHY_ASSUME_WRITE, 0 },
	{ "START TRANSACTION READ WRITE", TXT, OPT, AUTO, SE, P, WS_WHY_ASSUME_WRITE, 0 },
	{ "start transaction with consistent snapshot, read write", TXT, ADAPT, AUTO, SE, P, WS_WHY_ASSUME_WRITE, 0 },
	{ "START TRANSACTION READ ONLY", TXT, OPT | ACOFF, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, STARTRO },
	{ "START TRANSACTION READ ONLY", TXT, ACOFF, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, STARTRO },
	{ "START TRANSACTION READ ONLY", TXT, ACOFF | ASSUMEW, AUTO, SE, R, WS_WHY_RO_TRX_BEGIN, STARTRO },
	{ "BEGIN", TXT, OPT | NOREPL, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT, AUTO, PR, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT | LOCKED, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT | UNKNOWN, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT | MAYBE, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", TXT, OPT, ASK_P, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "/* wescale:route=primary */ BEGIN", TXT, OPT, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "XA START 'x'", TXT, OPT, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN; SELECT 1", TXT, OPT, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "BEGIN", WS_API_NONBLOCKING, OPT, AUTO, SE, P, WS_WHY_NONBLOCKING, 0 },
	/* The implicit transaction of an autocommit-off session: its first read. */
	{ "SELECT * FROM t", TXT, ACOFF | OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "SELECT * FROM t", TXT, ACOFF | ADAPT, AUTO, EV, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "SELECT * FROM t", WS_API_SEND, ACOFF | OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "SELECT * FROM t", WS_API_PREPARED, ACOFF | OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "SELECT * FROM t", TXT, ACOFF, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT * FROM t", TXT, ACOFF | ADAPT | SHAPEW, AUTO, SE, P, WS_WHY_OPT_LEARNED, 0 },
	{ "SELECT * FROM t", TXT, ACOFF | OPT | ASSUMEW, AUTO, SE, P, WS_WHY_ASSUME_WRITE, 0 },
	{ "SELECT * FROM t", TXT, ACOFF | OPT | TRX, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT * FROM t", TXT, ACOFF | OPT, AUTO, PR, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT * FROM t", TXT, ACOFF | OPT | OWN, AUTO, SE, P, WS_WHY_OWN_REPLIES, 0 },
	{ "SELECT * FROM tmp1", TXT, ACOFF | OPT | TEMP, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SELECT @@sql_log_bin", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "UPDATE t SET v = 1", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SELECT * FROM t FOR UPDATE", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_LOCKING_READ, 0 },
	{ "SELECT LAST_INSERT_ID()", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, 0 },
	{ "SELECT 1", TXT, ACOFF | OPT, ASK_P, SE, P, WS_WHY_API_PRIMARY, 0 },
	{ "/* wescale:route=primary */ SELECT 1", TXT, ACOFF | ADAPT, AUTO, SE, P, WS_WHY_HINT_PRIMARY, 0 },
	{ "!SELECT f(1)", TXT, ACOFF | OPT, ASK_R, SE, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "!/* wescale:route=replica */ SELECT f(1)", TXT, ACOFF | OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, IMPL },
	{ "!SELECT f(1)", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_WRITE, 0 },
	{ "SHOW WARNINGS", TXT, ACOFF | OPT | LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SELECT 1", TXT, ACOFF | OPT | MEMBER, AUTO, SE, P, WS_WHY_IN_TRX, 0 },
	{ "SET NAMES utf8mb4", TXT, ACOFF | OPT, AUTO, SE, P, WS_WHY_SESSION_STATE, 0 },
	/* Inside one: reads stay on its replica, the first statement a replica
	 * cannot run moves it to the primary. */
	{ "SELECT * FROM t", TXT, OPTTRX | OPT, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "SELECT * FROM t", TXT, OPTTRX | ADAPT | ACOFF, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "SELECT * FROM t", WS_API_PREPARED, OPTTRX | OPT, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "SELECT * FROM t", WS_API_SEND, OPTTRX | OPT, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "SELECT 1; SELECT 2", TXT, OPTTRX | OPT, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "SELECT 1; SELECT 2", TXT, OPTTRX | OPT | NOMULTI, AUTO, SE, P, WS_WHY_MULTI_NOT_ENABLED, MIGRATE },
	{ "COMMIT", TXT, OPTTRX | OPT, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "ROLLBACK", TXT, OPTTRX | OPT | ACOFF, AUTO, SE, T, WS_WHY_OPT_TRX, 0 },
	{ NULL, WS_API_END_TRX, OPTTRX | OPT, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "UPDATE t SET v = 1 WHERE id = 1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "INSERT INTO t VALUES (1)", WS_API_PREPARED, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "DELETE FROM t", WS_API_SEND, OPTTRX | ADAPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "SELECT * FROM t FOR UPDATE", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_LOCKING_READ, MIGRATE },
	{ "SELECT * FROM t LOCK IN SHARE MODE", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_LOCKING_READ, MIGRATE },
	{ "SELECT LAST_INSERT_ID()", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, MIGRATE },
	{ "SELECT GET_LOCK('a', 1)", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_PRIMARY_FUNC, MIGRATE },
	{ "SELECT @a := 1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_USER_VAR, MIGRATE },
	{ "SET @a = 1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_USER_VAR, MIGRATE },
	{ "SET NAMES latin1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_SESSION_STATE, MIGRATE },
	{ "SET sql_mode = 'ANSI_QUOTES'", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_SESSION_STATE, MIGRATE },
	{ "USE db2", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_SESSION_STATE, MIGRATE },
	{ "SAVEPOINT a", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "CREATE TEMPORARY TABLE tmp1 (id INT)", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "SELECT * FROM tmp1", TXT, OPTTRX | OPT | TEMP, AUTO, SE, P, WS_WHY_TEMP_TABLE, MIGRATE },
	{ "SELECT * FROM t", TXT, OPTTRX | OPT | MAYBE, AUTO, SE, P, WS_WHY_MAYBE_TEMP, MIGRATE },
	{ "SELECT @@sql_log_bin", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_UNCARRIED_VAR, MIGRATE },
	{ "SELECT 1", TXT, OPTTRX | OPT, ASK_P, SE, P, WS_WHY_API_PRIMARY, MIGRATE },
	{ "/* wescale:route=primary */ SELECT 1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_HINT_PRIMARY, MIGRATE },
	{ "!SELECT f(1)", TXT, OPTTRX | OPT, ASK_R, SE, T, WS_WHY_OPT_TRX, 0 },
	{ "!SELECT f(1)", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, MIGRATE },
	{ "SELECT 1; UPDATE t SET v = 1", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_MULTI_WRITE, MIGRATE },
	{ "SHOW WARNINGS", TXT, OPTTRX | OPT | LASTREP, AUTO, SE, L, WS_WHY_DIAGNOSTICS, 0 },
	{ "SET autocommit = 0", TXT, OPTTRX | OPT | ACOFF, AUTO, SE, P, WS_WHY_TRX_CONTROL, 0 },
	{ "SET autocommit = 1", TXT, OPTTRX | OPT | ACOFF, AUTO, SE, P, WS_WHY_TRX_CONTROL, ENDRO },
	{ "BEGIN", TXT, OPTTRX | OPT, AUTO, SE, R, WS_WHY_OPT_BEGIN, ENDRO | OPTF },
	{ "BEGIN", TXT, OPTTRX | ADAPT | SHAPEW, AUTO, SE, P, WS_WHY_OPT_LEARNED, ENDRO },
	{ "CREATE TABLE t2 (id INT)", TXT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_WRITE, ENDRO },
	{ NULL, WS_API_SELECT_DB, OPTTRX | OPT, AUTO, SE, P, WS_WHY_API_CALL, MIGRATE },
	{ NULL, WS_API_SET_CHARSET, OPTTRX | OPT, AUTO, SE, P, WS_WHY_API_CALL, MIGRATE },
	{ NULL, WS_API_AUTOCOMMIT, OPTTRX | OPT, AUTO, SE, P, WS_WHY_API_CALL, ENDRO },
	{ "SELECT 1", WS_API_NONBLOCKING, OPTTRX | OPT, AUTO, SE, P, WS_WHY_NONBLOCKING, MIGRATE },
	/* A READ ONLY transaction is not optimistic: it never moves. */
	{ "SELECT * FROM t", TXT, RO | OPT, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ "UPDATE t SET v = 1", TXT, RO | ADAPT, AUTO, SE, T, WS_WHY_RO_TRX, 0 },
	{ NULL, WS_API_SELECT_DB, RO | OPT, AUTO, SE, P, WS_WHY_API_CALL, 0 },
	{ "SELECT 1", WS_API_NONBLOCKING, RO | OPT, AUTO, SE, P, WS_WHY_NONBLOCKING, ENDRO },
};

static void check_row(size_t i, const struct row *r)
{
	struct ws_verdict v;
	struct ws_decide_in in;
	struct ws_plan p;
	const char *sql = r->sql && r->sql[0] == '!' ? r->sql + 1 : r->sql;
	size_t len = sql ? strlen(sql) : 0;
	bool ok;

	if (sql)
		ws_classify(sql, len, &v);
	if (sql != r->sql)
		v.flags = (v.flags & ~(uint32_t)WS_F_READ) | WS_F_WRITE | WS_F_HINTABLE;
	in = (struct ws_decide_in){
		.v = r->sql ? &v : NULL,
		.api = r->api,
		.asked = r->asked,
		.asked_by_rule = r->facts & BYRULE,
		.member = r->facts & MEMBER,
		.consistency = r->sql && v.hint_consistency >= 0 ? v.hint_consistency : r->consistency,
		.has_replicas = !(r->facts & NOREPL),
		.in_trx = r->facts & (TRX | ACOFF),
		.primary_trx = r->facts & TRX,
		.autocommit_off = r->facts & ACOFF,
		.ro_trx = r->facts & (RO | OPTTRX),
		.opt_trx = r->facts & OPTTRX,
		.optimistic = r->facts & OPT ? WS_OPT_TRX_ON : r->facts & ADAPT ? WS_OPT_TRX_ADAPTIVE : WS_OPT_TRX_OFF,
		.assume_write = r->facts & ASSUMEW,
		.shape_writes = r->facts & SHAPEW,
		.read_write = sql && (v.flags & WS_F_TRX_BEGIN) && ws_decide_says_read_write(sql, len),
		.ro_trx_to_replica = !(r->facts & ROCFG),
		.locked_tables = r->facts & LOCKED,
		.temp_mentioned = r->facts & TEMP,
		.maybe_temp = r->facts & MAYBE,
		.state_unknown = r->facts & UNKNOWN,
		.multi_enabled = !(r->facts & NOMULTI),
		.own_replies = r->facts & OWN,
		.diagnostics = ws_decide_is_diagnostics(sql, len),
		.last_on_replica = r->facts & LASTREP,
		.uncarried_var = ws_decide_reads_uncarried(sql, len),
	};
	ws_route_decide(&in, &p);
	ok = p.target == r->target && p.reason == r->reason && p.unsafe_ignored == ((r->flags & UNSAFE) != 0) &&
	     p.end_ro_trx == ((r->flags & ENDRO) != 0) && p.start_ro_trx == ((r->flags & STARTRO) != 0) &&
	     p.migrate == ((r->flags & MIGRATE) != 0) && p.opt == ((r->flags & 16) != 0) &&
	     p.begin_first == ((r->flags & 32) != 0);
	if (!ok)
		printf("\n  row %zu: %s [%s, facts %#x, asked %d]: got %s / %s%s%s%s%s%s, want %s / %s%s%s%s flags %#x", i,
		       r->sql ? r->sql : "(no text)", ws_api_to_string(r->api), r->facts, r->asked,
		       ws_target_to_string(p.target), ws_reason_key(p.reason), p.unsafe_ignored ? " unsafe" : "",
		       p.end_ro_trx ? " endro" : "", p.start_ro_trx ? " startro" : "", p.migrate ? " migrate" : "",
		       p.opt ? (p.begin_first ? " opt implicit" : " opt") : "", ws_target_to_string(r->target),
		       ws_reason_key(r->reason), r->flags & UNSAFE ? " unsafe" : "", r->flags & ENDRO ? " endro" : "",
		       r->flags & STARTRO ? " startro" : "", r->flags);
	CU_ASSERT(ok);
	/* A replica plan waits for the level asked; nothing else waits. */
	if (ok && p.target == WS_TARGET_REPLICA)
		CU_ASSERT_EQUAL(p.wait_level, in.consistency);
}

static void test_table(void)
{
	size_t n = sizeof(rows) / sizeof(rows[0]);

	CU_ASSERT(n >= 150);
	for (size_t i = 0; i < n; i++)
		check_row(i, &rows[i]);
}

/* Whatever a request for a replica comes with, a statement that is not safe
 * there stays on the primary: every row's text, asked for a replica in every
 * way, never lands on a replica unless the same text without the request
 * would be a read or a safe SELECT. */
static void test_requests_only_make_safer(void)
{
	size_t n = sizeof(rows) / sizeof(rows[0]);

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct ws_verdict v;
		struct ws_decide_in in = { 0 };
		struct ws_plan p;

		if (!r->sql)
			continue;
		ws_classify(r->sql + (r->sql[0] == '!'), strlen(r->sql + (r->sql[0] == '!')), &v);
		if (r->sql[0] == '!')
			v.flags = (v.flags & ~(uint32_t)WS_F_READ) | WS_F_WRITE | WS_F_HINTABLE;
		in.v = &v;
		in.api = WS_API_TEXT;
		in.consistency = WESCALE_CONSISTENCY_SESSION;
		in.has_replicas = in.multi_enabled = in.ro_trx_to_replica = true;
		for (int how = 0; how < 3; how++) {
			in.asked = how == 0 ? WESCALE_ROUTE_REPLICA : WESCALE_ROUTE_AUTO;
			in.member = how == 1;
			in.asked_by_rule = how == 2;
			if (how == 2)
				in.asked = WESCALE_ROUTE_REPLICA;
			ws_route_decide(&in, &p);
			if (p.target == WS_TARGET_REPLICA || p.target == WS_TARGET_MEMBER) {
				bool start_ro = (v.flags & WS_F_TRX_BEGIN) && (v.flags & WS_F_TRX_READ_ONLY);

				CU_ASSERT((v.flags & WS_F_READ) || start_ro ||
					  !(v.flags & (WS_F_LOCKING_READ | WS_F_SELECT_INTO | WS_F_USER_VAR |
						       WS_F_PRIMARY_FUNC | WS_F_SESSION_STATE | WS_F_MULTI |
						       WS_F_TEMP_CREATE | WS_F_LOCK_TABLES | WS_F_SET_GLOBAL)));
				CU_ASSERT(v.kind == WS_STMT_SELECT || v.kind == WS_STMT_SHOW || start_ro);
			}
		}
	}
}

static void test_text_facts(void)
{
	static const char *const diag[] = { "SHOW WARNINGS", " show  errors ", "SHOW COUNT(*) ERRORS",
					    "SELECT FOUND_ROWS()", "select row_count() as n;",
					    "SELECT @@local.warning_count", "GET STACKED DIAGNOSTICS @a = NUMBER",
					    "/* x */ SELECT ROW_COUNT()", "SHOW WARNINGS LIMIT 2, 5",
					    "GET DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT, @e = MYSQL_ERRNO;" };
	static const char *const not_diag[] = { "SHOW TABLES", "SELECT FOUND_ROWS() FROM t",
						"SELECT FOUND_ROWS(), 1", "SELECT 'FOUND_ROWS()'",
						"/*!99999 DELETE FROM t */ SHOW WARNINGS", "SHOW WARNINGSX",
						"SELECT @@warning_count + @x", "",
						"SHOW WARNINGS; DELETE FROM t", "SHOW WARNINGS LIMIT 1; DROP TABLE t",
						"GET DIAGNOSTICS @a = NUMBER; DELETE FROM t" };

	for (size_t i = 0; i < sizeof(diag) / sizeof(diag[0]); i++)
		CU_ASSERT(ws_decide_is_diagnostics(diag[i], strlen(diag[i])));
	for (size_t i = 0; i < sizeof(not_diag) / sizeof(not_diag[0]); i++)
		CU_ASSERT(!ws_decide_is_diagnostics(not_diag[i], strlen(not_diag[i])));
	CU_ASSERT(!ws_decide_is_diagnostics(NULL, 0));
	CU_ASSERT(ws_decide_reads_uncarried("SELECT @@`sql_log_bin`", 22));
	CU_ASSERT(!ws_decide_reads_uncarried("SELECT @@sql_log_bin_x", 22));
	CU_ASSERT(!ws_decide_reads_uncarried("SELECT @@server_id", 18));
	for (int r = 0; r < WS_WHY_COUNT; r++)
		CU_ASSERT(strcmp(ws_reason_to_string((enum ws_reason)r), "?") != 0);
	for (int t = 0; t < WS_TARGET_COUNT; t++)
		CU_ASSERT(strcmp(ws_target_to_string((enum ws_target)t), "?") != 0);
	CU_ASSERT_STRING_EQUAL(ws_reason_to_string(WS_WHY_COUNT), "?");
}

static void test_hidden_state(void)
{
	static const struct {
		const char *sql;
		bool temp, want;
	} cases[] = {
		{ "CALL p()", false, true },
		{ "EXECUTE stmt1", false, true },
		{ "EXECUTE IMMEDIATE 'CREATE TEMPORARY TABLE x (i INT)'", false, true },
		{ "PREPARE s FROM 'SELECT 1'", false, false },
		{ "DEALLOCATE PREPARE s", false, false },
		{ "ALTER TABLE tmp1 RENAME tmp2", true, true },
		{ "RENAME TABLE tmp1 TO tmp2", true, true },
		{ "ALTER TABLE t RENAME t2", false, false },
		{ "SELECT 1", false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_verdict v;

		ws_classify(cases[i].sql, strlen(cases[i].sql), &v);
		CU_ASSERT_EQUAL(ws_decide_may_hide_state(&v, cases[i].sql, strlen(cases[i].sql), cases[i].temp),
				cases[i].want);
	}
}

int main(void)
{
	CU_pSuite s;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("decide", NULL, NULL);
	CU_add_test(s, "the decision table", test_table);
	CU_add_test(s, "requests for a replica only make routing safer", test_requests_only_make_safer);
	CU_add_test(s, "facts read from the text", test_text_facts);
	CU_add_test(s, "statements that may hide temporary tables", test_hidden_state);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
