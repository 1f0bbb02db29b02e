/*
 * test-classify.c — the statement classifier (lib/classify.c), table-driven.
 *
 * Each row of `cases` is a statement and its exact verdict: every flag, the
 * kind, the hints, the temporary-table name, the database and the number of
 * statements. Every row is also classified from an exact-size heap copy (so the
 * AddressSanitizer build catches any read past `len`) and, prefix by prefix,
 * checked to depend only on the bytes before `len`.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify.h" /* ws_classify_fast(), ws_classify_full() */

#include "classify-cases.h"

static const struct tcase cases[] = {
	/* ---- plain reads ---- */
	RD("SELECT 1"),
	RD("select 1"),
	RD("SeLeCt 1"),
	RD("SELECT c FROM sbtest1 WHERE id=42"),
	RD("SELECT * FROM t WHERE a = 1 AND b = 'x' ORDER BY c DESC LIMIT 10"),
	RD("SELECT NOW()"),
	RD("SELECT SLEEP(1)"),
	RD("SELECT SLEEP(0.1) FROM t"),
	RD("SELECT UUID()"),
	RD("SELECT UUID_SHORT()"),
	RD("SELECT RAND()"),
	RD("SELECT VERSION()"),
	RD("SELECT DATABASE()"),
	RD("SELECT USER(), CURRENT_USER(), CURRENT_USER"),
	RD("SELECT COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > 1"),
	RD("SELECT a FROM t1 JOIN t2 USING (id)"),
	RD("SELECT a FROM t1 LEFT JOIN t2 ON t1.id = t2.id WHERE t2.id IS NULL"),
	RD("SELECT DISTINCT a FROM t"),
	RD("SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2020-01-01 00:00:00'"),
	RD("SELECT SUBSTRING(a FROM 1 FOR 2) FROM t"),
	RD("SELECT INSERT('abc', 1, 1, 'x')"),
	RD("SELECT REPLACE(name, 'a', 'b') FROM t"),
	RD("SELECT REPLACE (name, 'a', 'b') FROM t"),
	RD("SELECT insert /* c */ ('abc', 1, 1, 'x')"),
	RD("SELECT IF(a, 1, 2) FROM t"),
	RD("SELECT TRUNCATE(1.5, 0)"),
	RD("SELECT REPEAT('a', 3), LEFT('abc', 1), RIGHT('abc', 1)"),
	RD("SELECT 1 FROM DUAL"),
	RD("SELECT * FROM t WHERE x IN (SELECT y FROM u)"),
	RD("SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)"),
	RD("SELECT * FROM t LIMIT 1 OFFSET 5"),
	RD("SELECT * FROM t LIMIT 5, 10"),
	RD("SELECT CAST(a AS CHAR CHARACTER SET utf8mb4) FROM t"),
	RD("SELECT CONVERT(a USING utf8mb4) FROM t"),
	RD("SELECT _utf8mb4'abc' COLLATE utf8mb4_bin"),
	RD("SELECT X'4142', B'01', N'abc', 0x41, 1e10, .5, 1.5e-3, 2E+3"),
	RD("SELECT JSON_EXTRACT(doc, '$.a') FROM t"),
	RD("SELECT a->>'$.b', a->'$.c' FROM t"),
	RD("SELECT * FROM t WHERE a <=> NULL AND b != 2 AND c <> 3 OR d >= 4"),
	RD("SELECT SQL_NO_CACHE * FROM t"),
	RD("SELECT SQL_BUFFER_RESULT SQL_SMALL_RESULT * FROM t"),
	RD("SELECT HIGH_PRIORITY STRAIGHT_JOIN * FROM t"),
	RD("SELECT * FROM t1 STRAIGHT_JOIN t2 ON t1.a = t2.a"),
	RD("SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t"),
	RD("SELECT SUM(a) OVER w FROM t WINDOW w AS (ORDER BY a)"),
	RD("SELECT a FROM t PROCEDURE ANALYSE()"),
	RD("SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (id FOR ORDINALITY)) AS jt"),
	RD("SELECT GREATEST(1, 2), LEAST(1, 2)"),
	RD("SELECT MATCH (a) AGAINST ('x' IN BOOLEAN MODE) FROM t"),
	RD("SELECT * FROM t WHERE a LIKE 'x%' ESCAPE '!'"),
	RD("SELECT ? FROM t WHERE id = ?"),
	RD("SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t"),
	RD("SELECT 1 --1"),
	RD("SELECT 2--1"),
	RD("SELECT 1 - -1"),
	RD("SELECT a.* FROM t a"),
	RD("SELECT 1 UNION ALL SELECT 2"),
	RD("SELECT 1 UNION DISTINCT SELECT 2 ORDER BY 1"),
	RD("SELECT 1 INTERSECT SELECT 1"),
	RD("SELECT 1 EXCEPT SELECT 2"),
	RD("SELECT GET_FORMAT(DATE, 'EUR')"),
	C("SELECT GTID_SUBSET('a:1', 'a:1-2')", W | SF | HN, SELECT),
	C("SELECT PS_THREAD_ID(1)", W | SF | HN, SELECT),
	RD("SELECT ST_AsText(g) FROM geo"),
	RD("SELECT BENCHMARK(10, MD5('a'))"),
	RD("SELECT LAST_DAY(NOW())"),
	C("SELECT my_row_count() FROM t", W | SF | HN, SELECT),
	C("SELECT do_last_insert_id()", W | SF | HN, SELECT),
	RD("SELECT last_insert_id FROM t"),
	RD("SELECT `last_insert_id` FROM t"),
	RD("SELECT 'LAST_INSERT_ID()'"),
	RD("SELECT \"FOUND_ROWS()\""),
	RD("SELECT * FROM `found_rows`"),
	RD("SELECT t.row_count FROM t"),
	RD("SELECT t.get_lock, t.connection_id FROM t"),
	RD("SELECT 1 FROM t WHERE a = 1 AND b IS NOT NULL"),
	RD("SELECT {fn NOW()}, {d '2020-01-01'}"),
	RD("SELECT a FROM t WHERE b = -1.5e3"),
	RD("SELECT 1abc FROM t"),
	RD("SELECT $a FROM t"),
	RD("SELECT \xc3\xa9t\xc3\xa9 FROM caf\xc3\xa9"),
	RD("SELECT MAX(id) FROM t"),
	RD("SELECT caf\xc3\xa0 FROM t"),          /* U+00E0 in UTF-8: C3 A0 */
	/* latin1 no-break space: a space in latin1, part of a name in utf8mb4; with
	 * the character set unknown both readings must agree (see env_cases) */
	CN("SELECT\xa0" "1", W | PE, OTHER, 1),
	RD("SELECT * FROM t WHERE a = 1 HAVING a > 0"),
	RD("SELECT * FROM t1, t2 WHERE t1.a = t2.a"),
	RD("SELECT * FROM t AS OF TIMESTAMP NOW()"),

	/* ---- whitespace and comments ---- */
	RD("  SELECT 1  "),
	RD("\n\tSELECT 1\r\n"),
	RD("\f\vSELECT\f1\v"),
	RD("-- c\nSELECT 1"),
	RD("--\nSELECT 1"),
	RD("--\tc\nSELECT 1"),
	RD("# c\nSELECT 1"),
	RD("#\nSELECT 1"),
	RD("/* c */ SELECT 1"),
	RD("SELECT /* DELETE */ 1"),
	RD("SELECT 1 -- DELETE FROM t"),
	RD("SELECT 1 # DELETE FROM t"),
	RD("SELECT 1 /* ; DELETE FROM t; */"),
	RD("SELECT 1 -- ; DELETE FROM t"),
	RD("SELECT 1--"),
	RD("SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t"),
	RD("SELECT /*+ BKA(t1) NO_BKA(t2) */ * FROM t1, t2"),
	RD("/**/SELECT/**/1"),
	RD("SELECT 1 /* multi\nline\ncomment */ FROM t"),
	RD("SELECT 1 /*/ still a comment */"),
	RD("SELECT 1 /* a */ /* b */ -- c\n# d\n"),
	RD("SELECT 1 /* * / ** */"),

	/* ---- executable comments are code ---- */
	C("/*!40101 SET NAMES utf8 */", W | SS, SET),
	RD("/*!SELECT*/ 1"),
	RD("/*! SELECT 1 */"),
	RD("SELECT /*!40001 SQL_NO_CACHE */ * FROM t"),
	RD("SELECT 1 /*!50000 UNION SELECT 2 */"),
	RD("/*!50700 SELECT 1 */"),
	RD("SELECT 1 /*! /* a plain comment inside */ */"),
	C("SELECT 1 /*!50000 FOR UPDATE */", W | LR, SELECT),
	C("SELECT * FROM t /*! FOR UPDATE */", W | LR, SELECT),
	C("SELECT * FROM t /*M! FOR UPDATE */", W | LR, SELECT),
	C("SELECT * FROM t /*M!100100 FOR UPDATE */", W | LR, SELECT),
	C("SELECT * FROM t /*!M100100 FOR UPDATE */", W | LR, SELECT),
	C("/*!50000 DELETE FROM t */", W, DELETE),
	C("/*M!100000 DELETE FROM t */", W, DELETE),
	C("SELECT 1 /*!99999 , @x */", W | UV, SELECT),
	C("/*!99999 SELECT * FROM t WHERE 'x' = */ DELETE FROM t", W, SELECT),
	C("/*!99999 SELECT 1, */ 2", W, SELECT),
	CN("/*!99999 SELECT 1; */ DELETE FROM t", W | PE | MU, SELECT, 2),
	C("/*!40014 SET FOREIGN_KEY_CHECKS=0 */", W | SS, SET),
	C("/*!40103 SET TIME_ZONE='+00:00' */", W | SS, SET),
	C("/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */", W | UV, SET),
	C("SELECT 1 /*! /*! x */ */", W | PE, SELECT),
	C("SELECT 1 /*!", W | PE, SELECT),
	C("SELECT 1 /*!50000", W | PE, SELECT),
	C("SELECT 1 /*!50000 FROM t", W | PE, SELECT),

	/* ---- strings ---- */
	RD("SELECT 'it''s'"),
	RD("SELECT \"it\"\"s\""),
	RD("SELECT 'it\\'s'"),
	RD("SELECT * FROM t WHERE a = 'DELETE FROM t; UPDATE t SET a=1'"),
	RD("SELECT * FROM t WHERE a = \"x; DELETE FROM t\""),
	RD("SELECT 'a\\\\' FROM t"),
	RD("SELECT 'a\\\\', 'b\\'c' FROM t"),
	RD("SELECT 'a' 'b'"),
	RD("SELECT '/* not a comment */'"),
	RD("SELECT '-- x', '#', \"/*\""),
	RD("SELECT ';'"),
	RD("SELECT '\\n\\t\\0'"),
	C("SELECT 'a\\'; DELETE FROM t; SELECT '", W, SELECT),
	C("SELECT \"a\\\"; DELETE FROM t; SELECT \"", W, SELECT),
	/* Under NO_BACKSLASH_ESCAPES the "comment" after the ';' is a string and a DELETE. */
	C("SELECT '\\'' ; -- '; DELETE FROM t", W, SELECT),
	C("SELECT '\\'' ; -- harmless '", R, SELECT),
	C("SELECT 'unterminated", W | PE, SELECT),
	C("SELECT \"unterminated", W | PE, SELECT),
	C("SELECT `unterminated", W | PE, SELECT),
	C("SELECT 'a\\", W | PE, SELECT),
	C("SELECT 1 FROM t WHERE a = 'x", W | PE, SELECT),

	/* ---- backquoted and qualified names are identifiers ---- */
	RD("SELECT * FROM `select`"),
	RD("SELECT * FROM `update`"),
	RD("SELECT `delete`, `insert` FROM `t`"),
	RD("SELECT * FROM `a``b`"),
	RD("SELECT `for`, `update` FROM t"),
	RD("SELECT `lock`, `into` FROM t"),
	RD("SELECT t.update FROM t"),
	RD("SELECT t.delete, t.insert, t.replace FROM t"),
	RD("SELECT t.`into` FROM t"),
	RD("SELECT db.t.update FROM db.t"),
	RD("SELECT * FROM db.select"),
	RD("SELECT t . update FROM t"),
	RD("SELECT 1 FROM t WHERE t.lock = 1 AND t.into = 2"),
	RD("SELECT `t`.`for` FROM `t`"),
	RD("SELECT * FROM t WHERE t.for = 1"),
	C("UPDATE `select` SET a = 1", W, UPDATE),

	/* ---- parentheses ---- */
	RD("(SELECT 1) UNION (SELECT 2)"),
	RD("((SELECT 1))"),
	RD("(SELECT a FROM t) ORDER BY a LIMIT 1"),
	RD("( ( SELECT 1 ) UNION ALL ( SELECT 2 ) )"),
	RD("(WITH a AS (SELECT 1) SELECT * FROM a)"),
	RD("(TABLE t)"),
	C("(SELECT 1) UNION (SELECT 2 FOR UPDATE)", W | LR, SELECT),
	C("(DELETE FROM t)", W | PE, OTHER),
	C("(1)", W | PE, OTHER),
	C("SELECT (1", W | PE, SELECT),
	C("SELECT 1)", W | PE, SELECT),
	C("SELECT ((1)", W | PE, SELECT),

	/* ---- WITH ---- */
	RD("WITH a AS (SELECT 1) SELECT * FROM a"),
	RD("WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r"),
	RD("WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b"),
	RD("WITH `update` AS (SELECT 1) SELECT * FROM `update`"),
	RD("WITH a (x) AS (SELECT 1) TABLE a"),
	RD("WITH a AS (SELECT 1) (SELECT * FROM a)"),
	RD("with a as (select replace(x, 'a', 'b') from t) select * from a"),
	C("WITH a AS (SELECT id FROM t) UPDATE t SET x = 1 WHERE id IN (SELECT id FROM a)", W, UPDATE),
	C("WITH a AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM a)", W, DELETE),
	C("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", W, INSERT),
	C("WITH a AS (SELECT 1) REPLACE INTO t SELECT * FROM a", W, REPLACE),
	C("WITH a AS (DELETE FROM t RETURNING *) SELECT * FROM a", W, SELECT),
	C("WITH a AS (UPDATE t SET x = 1 RETURNING x) SELECT * FROM a", W, SELECT),
	C("WITH a AS (INSERT INTO t VALUES (1) RETURNING id) SELECT * FROM a", W | SI, SELECT),
	C("WITH a AS (SELECT 1) SELECT * FROM a FOR UPDATE", W | LR, SELECT),
	C("WITH a AS (SELECT LAST_INSERT_ID()) SELECT * FROM a", W | PF, SELECT),
	C("WITH a AS (SELECT 1) SELECT * FROM a INTO @x", W | SI | UV, SELECT),

	/* ---- EXPLAIN, DESCRIBE, ANALYZE ---- */
	C("EXPLAIN SELECT * FROM t", R, SHOW),
	C("explain select * from t", R, SHOW),
	C("EXPLAIN EXTENDED SELECT * FROM t", R, SHOW),
	C("EXPLAIN PARTITIONS SELECT 1", R, SHOW),
	C("EXPLAIN FORMAT=JSON SELECT * FROM t", R, SHOW),
	C("EXPLAIN FORMAT = TREE SELECT * FROM t", R, SHOW),
	C("EXPLAIN FORMAT='JSON' SELECT 1", R, SHOW),
	C("EXPLAIN (SELECT 1) UNION (SELECT 2)", R, SHOW),
	C("EXPLAIN WITH a AS (SELECT 1) SELECT * FROM a", R, SHOW),
	C("EXPLAIN TABLE t", R, SHOW),
	C("EXPLAIN t", R, SHOW),
	C("EXPLAIN ANALYZE SELECT * FROM t", R | EX, SHOW),
	C("EXPLAIN ANALYZE FORMAT=TREE SELECT * FROM t", R | EX, SHOW),
	C("EXPLAIN ANALYZE DELETE FROM t", W | EX, SHOW),
	C("EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE", W | EX | LR, SHOW),
	C("EXPLAIN DELETE FROM t WHERE id = 1", W, SHOW),
	C("EXPLAIN UPDATE t SET a = 1", W, SHOW),
	C("EXPLAIN INSERT INTO t VALUES (1)", W, SHOW),
	C("EXPLAIN REPLACE INTO t VALUES (1)", W, SHOW),
	C("EXPLAIN SELECT * FROM t FOR UPDATE", W | LR, SHOW),
	C("EXPLAIN SELECT LAST_INSERT_ID()", W | PF, SHOW),
	C("EXPLAIN FOR CONNECTION 42", W, SHOW),
	C("EXPLAIN FORMAT=JSON FOR CONNECTION 42", W, SHOW),
	C("EXPLAIN FORMAT=JSON INTO @x SELECT 1", W | UV, SHOW),
	C("EXPLAIN", W | PE, SHOW),
	C("DESCRIBE t", R, SHOW),
	C("DESC t", R, SHOW),
	C("desc `users`", R, SHOW),
	C("DESCRIBE db.t", R, SHOW),
	C("DESCRIBE t col", R, SHOW),
	C("DESC t 'a%'", R, SHOW),
	C("DESC user", R, SHOW),
	C("DESCRIBE SELECT * FROM t", R, SHOW),
	C("ANALYZE SELECT * FROM t", R | EX, SHOW),
	C("ANALYZE FORMAT=JSON SELECT * FROM t", R | EX, SHOW),
	C("ANALYZE DELETE FROM t WHERE id = 1", W | EX, SHOW),
	C("ANALYZE UPDATE t SET a = 1", W | EX, SHOW),
	C("ANALYZE SELECT @x", W | EX | UV, SHOW),
	C("ANALYZE TABLE t", W | IC, OTHER),
	C("ANALYZE NO_WRITE_TO_BINLOG TABLE t1, t2", W | IC, OTHER),
	C("ANALYZE LOCAL TABLE t", W | IC, OTHER),
	C("ANALYZE TABLE t PERSISTENT FOR ALL", W | IC, OTHER),

	/* ---- SHOW: reads ---- */
	C("SHOW DATABASES", R, SHOW),
	C("show databases", R, SHOW),
	C("SHOW SCHEMAS", R, SHOW),
	C("SHOW TABLES", R, SHOW),
	C("SHOW FULL TABLES", R, SHOW),
	C("SHOW TABLES FROM db LIKE 'a%'", R, SHOW),
	C("SHOW TABLES LIKE 'wp_users'", R, SHOW),
	C("SHOW FULL TABLES WHERE Table_type = 'VIEW'", R, SHOW),
	C("SHOW COLUMNS FROM t", R, SHOW),
	C("SHOW FULL COLUMNS FROM t FROM db", R, SHOW),
	C("SHOW FIELDS FROM t", R, SHOW),
	C("SHOW FULL FIELDS FROM `users`", R, SHOW),
	C("SHOW EXTENDED COLUMNS FROM t", R, SHOW),
	C("SHOW EXTENDED FULL COLUMNS FROM t", R, SHOW),
	C("SHOW INDEX FROM t", R, SHOW),
	C("SHOW INDEXES FROM t", R, SHOW),
	C("SHOW KEYS FROM t", R, SHOW),
	C("SHOW EXTENDED INDEX FROM t", R, SHOW),
	C("SHOW CREATE TABLE t", R, SHOW),
	C("SHOW CREATE TABLE `t`", R, SHOW),
	C("SHOW CREATE VIEW v", R, SHOW),
	C("SHOW CREATE DATABASE d", R, SHOW),
	C("SHOW CREATE SCHEMA d", R, SHOW),
	C("SHOW CREATE PROCEDURE p", R, SHOW),
	C("SHOW CREATE FUNCTION f", R, SHOW),
	C("SHOW CREATE TRIGGER tr", R, SHOW),
	C("SHOW CREATE EVENT e", R, SHOW),
	C("SHOW CREATE USER u", R, SHOW),
	C("SHOW CREATE SEQUENCE s", R, SHOW),
	C("SHOW TABLE STATUS", R, SHOW),
	C("SHOW TABLE STATUS FROM db LIKE 't%'", R, SHOW),
	C("SHOW GRANTS", R, SHOW),
	C("SHOW GRANTS FOR CURRENT_USER", R, SHOW),
	C("SHOW GRANTS FOR CURRENT_USER()", R, SHOW),
	C("SHOW GRANTS FOR 'app'@'%'", R, SHOW),
	C("SHOW GRANTS FOR `app`@`localhost`", R, SHOW),
	C("SHOW COLLATION", R, SHOW),
	C("SHOW COLLATION LIKE 'utf8%'", R, SHOW),
	C("SHOW CHARACTER SET", R, SHOW),
	C("SHOW CHARSET", R, SHOW),
	C("SHOW ENGINES", R, SHOW),
	C("SHOW STORAGE ENGINES", R, SHOW),
	C("SHOW PLUGINS", R, SHOW),
	C("SHOW PRIVILEGES", R, SHOW),
	C("SHOW TRIGGERS", R, SHOW),
	C("SHOW TRIGGERS FROM db", R, SHOW),
	C("SHOW EVENTS", R, SHOW),
	C("SHOW FUNCTION STATUS", R, SHOW),
	C("SHOW PROCEDURE STATUS WHERE Db = 'x'", R, SHOW),
	C("SHOW PROCEDURE CODE p", R, SHOW),
	C("SHOW FUNCTION CODE f", R, SHOW),
	C("SHOW PACKAGE STATUS", R, SHOW),
	C("SHOW PACKAGE BODY STATUS", R, SHOW),
	C("SHOW VARIABLES", R, SHOW),
	C("SHOW VARIABLES LIKE 'max%'", R, SHOW),
	C("SHOW GLOBAL VARIABLES", R, SHOW),
	C("SHOW GLOBAL VARIABLES LIKE 'read_only'", R, SHOW),
	C("SHOW SESSION VARIABLES LIKE 'x'", R, SHOW),
	C("SHOW LOCAL VARIABLES", R, SHOW),
	C("SHOW VARIABLES WHERE Variable_name = 'x'", R, SHOW),
	C("SHOW AUTHORS", R, SHOW),
	C("SHOW CONTRIBUTORS", R, SHOW),

	/* ---- SHOW: the primary / this connection ---- */
	C("SHOW MASTER STATUS", W | HN, SHOW),
	C("SHOW BINARY LOG STATUS", W | HN, SHOW),
	C("SHOW BINLOG STATUS", W | HN, SHOW),
	C("SHOW SLAVE STATUS", W | HN, SHOW),
	C("SHOW REPLICA STATUS", W | HN, SHOW),
	C("SHOW ALL SLAVES STATUS", W | HN, SHOW),
	C("SHOW SLAVE HOSTS", W | HN, SHOW),
	C("SHOW REPLICAS", W | HN, SHOW),
	C("SHOW BINLOG EVENTS", W | HN, SHOW),
	C("SHOW BINLOG EVENTS IN 'bin.000001' FROM 4 LIMIT 10", W | HN, SHOW),
	C("SHOW RELAYLOG EVENTS", W | HN, SHOW),
	C("SHOW BINARY LOGS", W | HN, SHOW),
	C("SHOW MASTER LOGS", W | HN, SHOW),
	C("SHOW PROCESSLIST", W | HN, SHOW),
	C("SHOW FULL PROCESSLIST", W | HN, SHOW),
	C("show full processlist", W | HN, SHOW),
	C("SHOW WARNINGS", W | HN, SHOW),
	C("SHOW WARNINGS LIMIT 10", W | HN, SHOW),
	C("SHOW ERRORS", W | HN, SHOW),
	C("SHOW COUNT(*) WARNINGS", W | HN, SHOW),
	C("SHOW COUNT ( * ) ERRORS", W | HN, SHOW),
	C("SHOW ENGINE INNODB STATUS", W | HN, SHOW),
	C("SHOW ENGINE INNODB MUTEX", W | HN, SHOW),
	C("SHOW OPEN TABLES", W | HN, SHOW),
	C("SHOW OPEN TABLES FROM db", W | HN, SHOW),
	C("SHOW STATUS", W | HN, SHOW),
	C("SHOW STATUS LIKE 'Threads%'", W | HN, SHOW),
	C("SHOW SESSION STATUS", W | HN, SHOW),
	C("SHOW LOCAL STATUS", W | HN, SHOW),
	C("SHOW GLOBAL STATUS", W | HN, SHOW),
	C("SHOW PROFILE", W | HN, SHOW),
	C("SHOW PROFILES", W | HN, SHOW),
	C("SHOW PROFILE CPU FOR QUERY 1", W | HN, SHOW),
	C("SHOW EXPLAIN FOR 5", W | HN, SHOW),
	C("SHOW USER_STATISTICS", W | HN, SHOW),
	C("SHOW", W | PE, SHOW),
	C("SHOW VARIABLES WHERE Value = @x", W | UV, SHOW),
	C("SHOW GRANTS FOR root@localhost", W | UV, SHOW),

	/* ---- TABLE, VALUES ---- */
	RD("TABLE t"),
	RD("TABLE t ORDER BY a LIMIT 2"),
	RD("TABLE t UNION TABLE u"),
	RD("VALUES ROW(1, 2), ROW(3, 4)"),
	RD("VALUES (1, 2)"),
	C("TABLE t INTO @x", W | SI | UV, SELECT),

	/* ---- locking reads ---- */
	C("SELECT * FROM t WHERE id = 1 FOR UPDATE", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 FOR UPDATE SKIP LOCKED", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 FOR UPDATE WAIT 5", W | LR, SELECT),
	C("SELECT * FROM t1 JOIN t2 USING (a) FOR UPDATE OF t1", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 LOCK IN SHARE MODE", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 FOR SHARE", W | LR, SELECT),
	C("SELECT * FROM t WHERE id = 1 FOR SHARE NOWAIT", W | LR, SELECT),
	C("select * from t where id = 1 for update", W | LR, SELECT),
	C("SELECT * FROM t FOR /* x */ UPDATE", W | LR, SELECT),
	C("SELECT * FROM t FOR\nUPDATE", W | LR, SELECT),
	C("SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)", W | LR, SELECT),

	/* ---- SELECT … INTO ---- */
	C("SELECT a INTO @x FROM t", W | SI | UV, SELECT),
	C("SELECT a FROM t INTO @x", W | SI | UV, SELECT),
	C("SELECT a FROM t INTO OUTFILE '/tmp/x'", W | SI, SELECT),
	C("SELECT a FROM t INTO DUMPFILE '/tmp/x'", W | SI, SELECT),
	C("SELECT a, b INTO @x, @y FROM t LIMIT 1", W | SI | UV, SELECT),
	C("SELECT * FROM t INTO OUTFILE '/tmp/x' FIELDS TERMINATED BY ','", W | SI, SELECT),
	C("SELECT 1 INTO @`x`", W | SI | UV, SELECT),
	C("SELECT a INTO x FROM t", W | SI, SELECT),
	C("SELECT a\xa0" "INTO\xa0" "OUTFILE '/tmp/x' FROM t", W, SELECT), /* latin1 NBSP separates */
	C("SELECT * FROM t\xa0" "FOR\xa0" "UPDATE", W, SELECT),

	/* ---- several statements ---- */
	CN("SELECT 1; SELECT 2", R | MU, SELECT, 2),
	CN("SELECT 1; DELETE FROM t", W | MU, SELECT, 2),
	CN("DELETE FROM t; SELECT 1", W | MU, DELETE, 2),
	CN("SELECT 1;", R, SELECT, 1),
	CN("SELECT 1;;", R, SELECT, 1),
	CN("SELECT 1;; SELECT 2", R | MU, SELECT, 2),
	CN("; SELECT 1", R, SELECT, 1),
	CN("SELECT 1; -- trailing", R, SELECT, 1),
	CN("SELECT 1; SELECT LAST_INSERT_ID()", W | MU | PF, SELECT, 2),
	CN("SET NAMES utf8; SELECT 1", W | MU | SS, SET, 2),
	CN("SELECT 1; SELECT 2; SELECT 3", R | MU, SELECT, 3),
	CN("BEGIN; SELECT 1; COMMIT", W | MU | TB | IC | TE, BEGIN, 3),
	CN("SELECT 1;\n/* c */;\nSELECT 2;", R | MU, SELECT, 2),
	CDN("USE db1; SELECT 1", W | MU | UD | SS, USE, "db1", 2),
	CTN("SELECT 1; CREATE TEMPORARY TABLE t (a INT)", W | MU | TC, SELECT, "t", 2),
	CN("SELECT 1; SELECT 'unterminated", W | MU | PE, SELECT, 2),
	CN("SELECT 1; /* unterminated", W | PE, SELECT, 1),
	CN("SELECT 'a;b'; SELECT \"c;d\"; SELECT `e;f`", R | MU, SELECT, 3),

	/* ---- functions that run on the primary ---- */
	C("SELECT LAST_INSERT_ID()", W | PF, SELECT),
	C("select last_insert_id()", W | PF, SELECT),
	C("SELECT LAST_INSERT_ID ()", W | PF, SELECT),
	C("SELECT LAST_INSERT_ID/* c */()", W | PF, SELECT),
	C("SELECT LAST_INSERT_ID\n-- c\n()", W | PF, SELECT),
	C("SELECT `LAST_INSERT_ID`()", W | PF, SELECT),
	C("SELECT FOUND_ROWS()", W | PF, SELECT),
	C("SELECT ROW_COUNT()", W | PF, SELECT),
	C("SELECT GET_LOCK('x', 10)", W | PF, SELECT),
	C("SELECT RELEASE_LOCK('x')", W | PF, SELECT),
	C("SELECT RELEASE_ALL_LOCKS()", W | PF, SELECT),
	C("SELECT IS_FREE_LOCK('x')", W | PF, SELECT),
	C("SELECT IS_USED_LOCK('x')", W | PF, SELECT),
	C("SELECT NEXTVAL(s)", W | PF, SELECT),
	C("SELECT LASTVAL(s)", W | PF, SELECT),
	C("SELECT SETVAL(s, 10)", W | PF, SELECT),
	C("SELECT CONNECTION_ID()", W | PF, SELECT),
	C("SELECT MASTER_POS_WAIT('bin.000001', 4)", W | PF, SELECT),
	C("SELECT MASTER_GTID_WAIT('0-1-1', 1)", W | PF, SELECT),
	C("SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', 1)", W | PF | SF, SELECT),
	C("SELECT WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS('3e11fa47-71ca-11e1-9e33-c80aa9429562:1', 1)", W | PF | SF, SELECT),
	C("SELECT SOURCE_POS_WAIT('bin.000001', 4)", W | PF | SF, SELECT),
	C("SELECT NEXT VALUE FOR s", W | PF, SELECT),
	C("SELECT PREVIOUS VALUE FOR s", W | PF, SELECT),
	C("select next value for db.s", W | PF, SELECT),
	C("SELECT NEXT /* c */ VALUE\nFOR s", W | PF, SELECT),
	C("SELECT s.nextval", W | PF, SELECT),
	C("SELECT s.currval", W | PF, SELECT),
	C("SELECT LOAD_FILE('/etc/hosts')", W | PF, SELECT),
	C("SELECT PS_CURRENT_THREAD_ID()", W | PF | SF, SELECT),
	C("SELECT * FROM t WHERE id = LAST_INSERT_ID()", W | PF, SELECT),
	C("SELECT a FROM t WHERE GET_LOCK('x', 0) = 1", W | PF, SELECT),
	C("SELECT COALESCE(ROW_COUNT(), 0)", W | PF, SELECT),
	C("SELECT db.last_insert_id()", W | PF | SF, SELECT),
	C("INSERT INTO t VALUES (NEXT VALUE FOR s)", W | PF, INSERT),
	C("DO RELEASE_LOCK('x')", W | PF, DO),
	C("SELECT @@identity", W | PF, SELECT),
	C("SELECT @@IDENTITY", W | PF, SELECT),
	C("SELECT @@last_insert_id", W | PF, SELECT),
	C("SELECT @@session.warning_count", W | PF, SELECT),
	C("SELECT @@error_count", W | PF, SELECT),
	C("SELECT @@last_gtid", W | PF, SELECT),
	C("SELECT @@in_transaction", W | PF, SELECT),
	C("CREATE TABLE row_count (a INT)", W | IC, DDL),
	C("CREATE TABLE IF NOT EXISTS found_rows (a INT)", W | IC, DDL),
	C("INSERT INTO found_rows (a) VALUES (1)", W, INSERT),
	C("INSERT last_insert_id (a) VALUES (1)", W, INSERT),

	/* ---- user and system variables ---- */
	C("SELECT @x", W | UV, SELECT),
	C("SELECT @x := 1", W | UV, SELECT),
	C("SELECT @'x'", W | UV, SELECT),
	C("SELECT @\"x\"", W | UV, SELECT),
	C("SELECT @`x`", W | UV, SELECT),
	C("SELECT * FROM t WHERE a = @id", W | UV, SELECT),
	C("SELECT a FROM t WHERE b = 1 AND@x", W | UV, SELECT),
	C("SELECT (@x)", W | UV, SELECT),
	C("SELECT @x.y", W | UV, SELECT),
	C("SELECT @rownum := @rownum + 1 AS rank, t.* FROM t, (SELECT @rownum := 0) r", W | UV, SELECT),
	C("SELECT 'a'@x", R, SELECT), /* 'user'@host: not a variable (and a syntax error in a SELECT) */
	RD("SELECT @@version"),
	RD("SELECT @@session.sql_mode"),
	RD("SELECT @@global.read_only"),
	RD("SELECT @@local.time_zone"),
	RD("SELECT @@FOREIGN_KEY_CHECKS"),
	RD("SELECT @@server_id"),
	RD("SELECT @@tx_isolation, @@autocommit"),
	RD("SELECT @@version_comment LIMIT 1"),
	RD("SELECT @@gtid_executed"),

	/* ---- SET ---- */
	C("SET autocommit=0", W | SS | AOFF, SET),
	C("SET autocommit = 1", W | SS | AON, SET),
	C("SET autocommit=OFF", W | SS | AOFF, SET),
	C("SET autocommit=ON", W | SS | AON, SET),
	C("SET autocommit = false", W | SS | AOFF, SET),
	C("SET autocommit = true", W | SS | AON, SET),
	C("SET autocommit='OFF'", W | SS | AOFF, SET),
	C("SET autocommit='on'", W | SS | AON, SET),
	C("set AUTOCOMMIT = 0", W | SS | AOFF, SET),
	C("SET @@autocommit = 0", W | SS | AOFF, SET),
	C("SET @@session.autocommit = 1", W | SS | AON, SET),
	C("SET @@SESSION.AUTOCOMMIT = 0", W | SS | AOFF, SET),
	C("SET @@local.autocommit = 0", W | SS | AOFF, SET),
	C("SET SESSION autocommit = 0", W | SS | AOFF, SET),
	C("SET LOCAL autocommit=0", W | SS | AOFF, SET),
	C("SET autocommit := 0", W | SS | AOFF, SET),
	C("SET `autocommit` = 0", W | SS | AOFF, SET),
	C("SET autocommit = @x", W | SS | AOFF | UV, SET),
	C("SET autocommit = DEFAULT", W | SS | AOFF, SET),
	C("SET autocommit = 1 - 1", W | SS | AOFF, SET),
	C("SET GLOBAL autocommit = 0", W | SG, SET),
	C("SET @@global.autocommit = 0", W | SG, SET),
	C("SET autocommit = 0, sql_mode = ''", W | SS | AOFF, SET),
	C("SET NAMES utf8mb4", W | SS, SET),
	C("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", W | SS, SET),
	C("SET NAMES DEFAULT", W | SS, SET),
	C("SET NAMES utf8, autocommit = 0", W | SS | AOFF, SET),
	C("SET CHARACTER SET utf8", W | SS, SET),
	C("SET CHARSET utf8", W | SS, SET),
	C("SET character_set_client = utf8", W | SS, SET),
	C("SET sql_mode = 'STRICT_TRANS_TABLES'", W | SS, SET),
	C("SET SESSION sql_mode = ''", W | SS, SET),
	C("SET @@session.time_zone = '+00:00'", W | SS, SET),
	C("SET @@time_zone = 'UTC'", W | SS, SET),
	C("SET time_zone = '+00:00'", W | SS, SET),
	C("SET LOCAL wait_timeout = 100", W | SS, SET),
	C("SET sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')", W | SS, SET),
	C("SET max_execution_time = 1000", W | SS, SET),
	C("SET sql_log_bin = 0", W | SS, SET),
	C("SET foreign_key_checks = 0, unique_checks = 0", W | SS, SET),
	C("SET GLOBAL max_connections = 1000", W | SG, SET),
	C("SET @@global.max_connections = 1000", W | SG, SET),
	C("SET PERSIST max_connections = 1000", W | SG, SET),
	C("SET PERSIST_ONLY back_log = 100", W | SG, SET),
	C("SET @@persist.max_connections = 1000", W | SG, SET),
	C("SET GLOBAL keycache1.key_buffer_size = 1024", W | SG, SET),
	C("SET GLOBAL a = 1, b = 2", W | SG, SET),
	C("SET SESSION a = 1, GLOBAL b = 2", W | SS | SG, SET),
	C("SET GLOBAL a = 1, SESSION b = 2", W | SG | SS, SET),
	C("SET @@global.a = 1, b = 2", W | SG | SS, SET),
	C("SET @x = 1", W | UV, SET),
	C("SET @x := 1", W | UV, SET),
	C("SET @x = 1, @y = 2", W | UV, SET),
	C("SET @`x` = 1", W | UV, SET),
	C("SET @'x' = 1", W | UV, SET),
	C("SET @x = LAST_INSERT_ID()", W | UV | PF, SET),
	C("SET @x = 1, autocommit = 0", W | UV | SS | AOFF, SET),
	C("SET @x = (SELECT a FROM t LIMIT 1), @y = 2", W | UV, SET),
	C("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", W | ST, SET),
	C("SET TRANSACTION READ ONLY", W | ST, SET),
	C("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", W | ST | SS, SET),
	C("SET GLOBAL TRANSACTION ISOLATION LEVEL READ COMMITTED", W | ST | SG, SET),
	C("SET LOCAL TRANSACTION READ WRITE", W | ST | SS, SET),
	C("SET PASSWORD = 'x'", W | IC, SET),
	C("SET PASSWORD FOR 'u'@'h' = PASSWORD('x')", W | IC, SET),
	C("SET ROLE ALL", W | SS, SET),
	C("SET DEFAULT ROLE r TO u", W | IC, SET),
	C("SET STATEMENT max_statement_time = 1 FOR SELECT * FROM t", R, SELECT),
	C("SET STATEMENT max_statement_time=1, sort_buffer_size=1000 FOR SELECT 1", R, SELECT),
	C("SET STATEMENT max_statement_time=1 FOR DELETE FROM t", W, DELETE),
	C("SET STATEMENT x = @v FOR SELECT 1", W | UV, SELECT),
	C("SET STATEMENT x = 1 FOR SET STATEMENT y = 1 FOR SELECT 1", W | PE, SET),
	C("SET STATEMENT x = 1", W | PE, SET),
	C("SET", W | PE, SET),
	C("SET = 1", W | PE, SET),
	C("SET x", W | SS | PE, SET),
	C("SET x 1", W | SS | PE, SET),

	/* ---- transactions ---- */
	C("BEGIN", W | TB | IC, BEGIN),
	C("begin", W | TB | IC, BEGIN),
	C("BEGIN WORK", W | TB | IC, BEGIN),
	C("BEGIN;", W | TB | IC, BEGIN),
	C("BEGIN SELECT 1", W | TB | IC | PE, BEGIN),
	C("START TRANSACTION", W | TB | IC, BEGIN),
	C("start transaction", W | TB | IC, BEGIN),
	C("START TRANSACTION READ ONLY", W | TB | TRO | IC, BEGIN),
	C("START TRANSACTION READ WRITE", W | TB | IC, BEGIN),
	C("START TRANSACTION WITH CONSISTENT SNAPSHOT", W | TB | IC, BEGIN),
	C("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", W | TB | TRO | IC, BEGIN),
	C("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT", W | TB | TRO | IC, BEGIN),
	C("START TRANSACTION READ ONLY, READ WRITE", W | TB | IC, BEGIN),
	CH("/* wescale:route=replica */ START TRANSACTION READ ONLY", W | TB | TRO | IC, BEGIN, REP, -1),
	C("COMMIT", W | TE, COMMIT),
	C("commit", W | TE, COMMIT),
	C("COMMIT WORK", W | TE, COMMIT),
	C("COMMIT AND CHAIN", W | TE | TB, COMMIT),
	C("COMMIT AND NO CHAIN", W | TE, COMMIT),
	C("COMMIT RELEASE", W | TE, COMMIT),
	C("COMMIT NO RELEASE", W | TE, COMMIT),
	C("COMMIT WORK AND NO CHAIN NO RELEASE", W | TE, COMMIT),
	C("ROLLBACK", W | TE, ROLLBACK),
	C("ROLLBACK WORK", W | TE, ROLLBACK),
	C("ROLLBACK AND CHAIN", W | TE | TB, ROLLBACK),
	C("ROLLBACK TO SAVEPOINT s1", W, SAVEPOINT),
	C("ROLLBACK TO s1", W, SAVEPOINT),
	C("ROLLBACK WORK TO SAVEPOINT s1", W, SAVEPOINT),
	C("SAVEPOINT s1", W, SAVEPOINT),
	C("RELEASE SAVEPOINT s1", W, SAVEPOINT),
	C("RELEASE", W | PE, SAVEPOINT),

	/* ---- XA ---- */
	C("XA START 'x'", W | XA | TB, XA),
	C("XA BEGIN 'x'", W | XA | TB, XA),
	C("XA END 'x'", W | XA, XA),
	C("XA PREPARE 'x'", W | XA, XA),
	C("XA COMMIT 'x'", W | XA | TE, XA),
	C("XA COMMIT 'x' ONE PHASE", W | XA | TE, XA),
	C("XA ROLLBACK 'x'", W | XA | TE, XA),
	C("XA RECOVER", W | XA, XA),

	/* ---- LOCK / UNLOCK / FLUSH ---- */
	C("LOCK TABLES t READ", W | LT | IC, LOCK),
	C("LOCK TABLE t WRITE", W | LT | IC, LOCK),
	C("LOCK TABLES t1 READ, t2 WRITE", W | LT | IC, LOCK),
	C("lock tables `t` read local", W | LT | IC, LOCK),
	C("UNLOCK TABLES", W | UT, UNLOCK),
	C("UNLOCK TABLE", W | UT, UNLOCK),
	C("LOCK INSTANCE FOR BACKUP", W, LOCK),
	C("UNLOCK INSTANCE", W, UNLOCK),
	C("FLUSH TABLES WITH READ LOCK", W | IC | LT, OTHER),
	C("FLUSH TABLES t1, t2 WITH READ LOCK", W | IC | LT, OTHER),
	C("FLUSH TABLES t FOR EXPORT", W | IC | LT, OTHER),
	C("FLUSH PRIVILEGES", W | IC, OTHER),
	C("FLUSH LOGS", W | IC, OTHER),
	C("FLUSH NO_WRITE_TO_BINLOG TABLES", W | IC, OTHER),

	/* ---- DDL ---- */
	C("CREATE TABLE t (a INT)", W | IC, DDL),
	C("CREATE TABLE IF NOT EXISTS t (a INT PRIMARY KEY, b VARCHAR(10) DEFAULT 'x')", W | IC, DDL),
	C("CREATE TABLE t AS SELECT * FROM u", W | IC, DDL),
	C("CREATE TABLE t LIKE u", W | IC, DDL),
	C("ALTER TABLE t ADD COLUMN b INT", W | IC, DDL),
	C("DROP TABLE t", W | IC, DDL),
	C("DROP TABLE IF EXISTS t", W | IC, DDL),
	C("DROP TABLES t1, t2", W | IC, DDL),
	C("RENAME TABLE a TO b", W | IC, DDL),
	C("TRUNCATE TABLE t", W | IC, DDL),
	C("TRUNCATE t", W | IC, DDL),
	C("CREATE DATABASE d", W | IC, DDL),
	C("DROP DATABASE d", W | IC, DDL),
	C("CREATE SCHEMA s", W | IC, DDL),
	C("CREATE VIEW v AS SELECT 1", W | IC, DDL),
	C("CREATE OR REPLACE VIEW v AS SELECT 1", W | IC, DDL),
	C("CREATE ALGORITHM=MERGE DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW v AS SELECT 1", W | IC, DDL),
	C("DROP VIEW v", W | IC, DDL),
	C("CREATE INDEX i ON t (a)", W | IC, DDL),
	C("CREATE UNIQUE INDEX i ON t (a)", W | IC, DDL),
	C("DROP INDEX i ON t", W | IC, DDL),
	C("CREATE USER 'u'@'%' IDENTIFIED BY 'p'", W | IC, DDL),
	C("DROP USER 'u'@'%'", W | IC, DDL),
	C("ALTER USER 'u'@'%' IDENTIFIED BY 'x'", W | IC, DDL),
	C("RENAME USER 'a'@'%' TO 'b'@'%'", W | IC, DDL),
	C("CREATE ROLE r", W | IC, DDL),
	C("CREATE SEQUENCE s", W | IC, DDL),
	C("DROP SEQUENCE s", W | IC, DDL),
	C("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t", W | IC, DDL),
	C("ALTER EVENT e DISABLE", W | IC, DDL),
	C("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", W | IC, DDL),
	C("DROP TRIGGER tr", W | IC, DDL),
	C("DROP PROCEDURE p", W | IC, DDL),
	C("DROP FUNCTION IF EXISTS f", W | IC, DDL),
	C("CREATE FUNCTION f() RETURNS INT RETURN 1", W | IC, DDL),
	C("CREATE TABLE t (begin INT, end INT)", W | IC, DDL),

	/* ---- compound statements: ';' inside BEGIN … END does not split ---- */
	C("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", W | IC, DDL),
	C("CREATE DEFINER=`root`@`%` PROCEDURE p(IN a INT) BEGIN DECLARE x INT; IF a > 0 THEN SET x = 1; "
	  "ELSE SET x = 2; END IF; WHILE x < 10 DO SET x = x + 1; END WHILE; END", W | IC, DDL),
	CN("CREATE PROCEDURE p() SELECT 1; SELECT 2", W | IC | MU, DDL, 2),
	CN("CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC BEGIN RETURN a + 1; END; SELECT f(1)",
	   W | IC | MU | SF, DDL, 2),
	C("CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW BEGIN IF NEW.a < 0 THEN SET NEW.a = 0; END IF; END",
	  W | IC, DDL),
	C("CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO BEGIN DELETE FROM t; INSERT INTO log VALUES (1); END",
	  W | IC, DDL),
	C("CREATE PROCEDURE p() BEGIN lbl: LOOP LEAVE lbl; END LOOP lbl; REPEAT SET @x = 1; UNTIL 1 END REPEAT; "
	  "CASE WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE; END", W | IC | UV, DDL),
	C("CREATE PROCEDURE p() BEGIN IF NOT EXISTS (SELECT 1 FROM t) THEN INSERT INTO t VALUES (IF(1, 2, 3)); "
	  "END IF; DROP TABLE IF EXISTS u; END", W | IC, DDL),
	C("CREATE PROCEDURE p() BEGIN DECLARE c CURSOR FOR SELECT a FROM t; "
	  "DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN SET @done = 1; END; OPEN c; CLOSE c; END", W | IC | UV, DDL),
	C("ALTER EVENT e DO BEGIN DELETE FROM t; DELETE FROM u; END", W | IC, DDL),
	C("IF 1 = 1 THEN SELECT 1; ELSE SELECT 2; END IF", W, OTHER),
	C("lbl: BEGIN NOT ATOMIC SELECT 1; END", W, OTHER),
	C("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", W, OTHER),
	CN("BEGIN NOT ATOMIC DECLARE x INT DEFAULT 0; WHILE x < 3 DO SET x = x + 1; END WHILE; SELECT x; END; SELECT 1",
	   W | MU, OTHER, 2),
	C("FOR i IN 1..3 DO SELECT i; END FOR", W, OTHER),
	C("WHILE 0 DO SELECT 1; END WHILE", W, OTHER),

	/* ---- temporary tables ---- */
	CT("CREATE TEMPORARY TABLE t1 (a INT)", W | TC, DDL, "t1"),
	CT("create temporary table t1 (a int)", W | TC, DDL, "t1"),
	CT("CREATE TEMPORARY TABLE IF NOT EXISTS tmp_x (a INT)", W | TC, DDL, "tmp_x"),
	CT("CREATE TEMPORARY TABLE `db`.`t` (a INT)", W | TC, DDL, "t"),
	CT("CREATE TEMPORARY TABLE db.t2 SELECT * FROM u", W | TC, DDL, "t2"),
	CT("create temporary table `my``tmp` (a int)", W | TC, DDL, "my``tmp"),
	CT("CREATE OR REPLACE TEMPORARY TABLE t (a INT)", W | TC, DDL, "t"),
	CT("CREATE TEMPORARY TABLE t LIKE u", W | TC, DDL, "t"),
	CT("CREATE TEMPORARY TABLE `select` (a INT)", W | TC, DDL, "select"),
	CT("CREATE TEMPORARY SEQUENCE s", W | TC, DDL, "s"),
	CT("DROP TEMPORARY TABLE t1", W | TD, DDL, "t1"),
	CT("DROP TEMPORARY TABLE IF EXISTS t1, t2", W | TD, DDL, "t1"),
	CT("DROP TEMPORARY TABLE IF EXISTS `db`.`t1`", W | TD, DDL, "t1"),
	CT("DROP TEMPORARY TABLES t", W | TD, DDL, "t"),
	C("CREATE TEMPORARY TABLE", W | PE, DDL),
	C("DROP TEMPORARY TABLE", W | PE, DDL),

	/* ---- USE ---- */
	CD("USE db1", W | UD | SS, USE, "db1"),
	CD("use `my db`", W | UD | SS, USE, "my db"),
	CD("USE `a``b`", W | UD | SS, USE, "a``b"),
	CD("USE db1;", W | UD | SS, USE, "db1"),
	CD("  USE /* c */ wp  ", W | UD | SS, USE, "wp"),
	CD("USE \"ansi\"", W | UD | SS, USE, "ansi"),
	C("USE", W | PE, USE),
	C("USE 'x'", W | PE, USE),

	/* ---- SQL_CALC_FOUND_ROWS ---- */
	C("SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10", W | CF | HN, SELECT),
	C("select sql_calc_found_rows id from t limit 10", W | CF | HN, SELECT),

	/* ---- CALL, DO, LOAD, HANDLER, PREPARE ---- */
	C("CALL p()", W, CALL),
	C("CALL db.p(1, 'x')", W, CALL),
	C("CALL p", W, CALL),
	C("CALL p(@out)", W | UV, CALL),
	C("DO SLEEP(1)", W, DO),
	C("DO 1 + 1", W, DO),
	C("LOAD DATA INFILE '/tmp/x' INTO TABLE t", W, LOAD),
	C("LOAD DATA LOCAL INFILE 'x' REPLACE INTO TABLE t", W, LOAD),
	C("LOAD XML LOCAL INFILE 'x' INTO TABLE t", W, LOAD),
	C("LOAD INDEX INTO CACHE t", W | IC, OTHER),
	C("HANDLER t OPEN", W, HANDLER),
	C("HANDLER t READ FIRST", W, HANDLER),
	C("HANDLER t CLOSE", W, HANDLER),
	C("PREPARE s FROM 'SELECT 1'", W, PREPARE),
	C("EXECUTE s", W, PREPARE),
	C("EXECUTE s USING @a, @b", W | UV, PREPARE),
	C("DEALLOCATE PREPARE s", W, PREPARE),
	C("DROP PREPARE s", W, PREPARE),
	C("EXECUTE IMMEDIATE 'SELECT 1'", W, PREPARE),

	/* ---- DML ---- */
	C("INSERT INTO t (a) VALUES (1)", W, INSERT),
	C("INSERT INTO t VALUES (1), (2)", W, INSERT),
	C("INSERT IGNORE INTO t SET a = 1", W, INSERT),
	C("INSERT INTO t SELECT * FROM u", W, INSERT),
	C("INSERT INTO t SELECT * FROM u FOR UPDATE", W, INSERT),
	C("INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)", W, INSERT),
	C("INSERT INTO t VALUES (1) RETURNING id", W, INSERT),
	C("INSERT LOW_PRIORITY t (a) VALUES (1)", W, INSERT),
	C("UPDATE t SET a = 1 WHERE id = 2", W, UPDATE),
	C("UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = t2.a", W, UPDATE),
	C("UPDATE t SET a = LAST_INSERT_ID(a + 1)", W | PF, UPDATE),
	C("UPDATE t SET a = @x", W | UV, UPDATE),
	C("DELETE FROM t WHERE id = 1", W, DELETE),
	C("DELETE t1 FROM t1 JOIN t2 ON t1.a = t2.a", W, DELETE),
	C("DELETE FROM t WHERE id = 1 RETURNING *", W, DELETE),
	C("DELETE QUICK IGNORE FROM t", W, DELETE),
	C("REPLACE INTO t VALUES (1)", W, REPLACE),
	C("REPLACE t SET a = 1", W, REPLACE),

	/* ---- administration ---- */
	C("GRANT SELECT ON db.* TO 'u'@'%'", W | IC, OTHER),
	C("REVOKE ALL ON *.* FROM 'u'@'%'", W | IC, OTHER),
	C("KILL 42", W, OTHER),
	C("KILL QUERY 42", W, OTHER),
	C("CHECK TABLE t", W | IC, OTHER),
	C("OPTIMIZE TABLE t", W | IC, OTHER),
	C("REPAIR TABLE t", W | IC, OTHER),
	C("CHECKSUM TABLE t", W, OTHER),
	C("CACHE INDEX t IN c", W | IC, OTHER),
	C("RESET QUERY CACHE", W | IC, OTHER),
	C("RESET MASTER", W | IC, OTHER),
	C("PURGE BINARY LOGS TO 'b.000001'", W, OTHER),
	C("CHANGE MASTER TO MASTER_HOST='x'", W | IC, OTHER),
	C("START SLAVE", W | IC, OTHER),
	C("STOP SLAVE", W | IC, OTHER),
	C("START REPLICA", W | IC, OTHER),
	C("INSTALL PLUGIN x SONAME 'y.so'", W | IC, OTHER),
	C("UNINSTALL PLUGIN x", W | IC, OTHER),
	C("SHUTDOWN", W, OTHER),
	C("BINLOG 'abc'", W, OTHER),
	C("SIGNAL SQLSTATE '45000'", W, OTHER),
	C("GET DIAGNOSTICS @n = NUMBER", W | UV, OTHER),
	C("HELP 'select'", W, OTHER),
	C("BACKUP STAGE START", W, OTHER),
	C("START", W | IC | PE, OTHER),

	/* ---- hints ---- */
	CH("/* wescale:route=primary */ SELECT 1", R, SELECT, PRI, -1),
	CH("/* wescale:route=replica */ SELECT 1 FOR UPDATE", W | LR, SELECT, REP, -1),
	CH("SELECT /* WESCALE:ROUTE=PRIMARY */ 1", R, SELECT, PRI, -1),
	CH("SELECT 1 /*wescale: route = replica*/", R, SELECT, REP, -1),
	CH("SELECT 1 /*wescale : route=replica*/", R, SELECT, REP, -1),
	CH("SELECT 1 -- wescale:route=primary", R, SELECT, PRI, -1),
	CH("SELECT 1 # wescale:route=primary", R, SELECT, PRI, -1),
	CH("/* wescale:route=primary */ DELETE FROM t", W, DELETE, PRI, -1),
	CH("/* wescale:consistency=eventual */ SELECT 1", R, SELECT, WS_HINT_NONE, 0),
	CHN("/* wescale:consistency=session */", W, OTHER, WS_HINT_NONE, 1, 0),
	CH("/* wescale:consistency=instance */ SELECT 1", R, SELECT, WS_HINT_NONE, 2),
	CH("/* wescale:consistency=global */ SELECT 1", R, SELECT, WS_HINT_NONE, 3),
	CH("/* wescale:consistency=PRIMARY */ SELECT 1", R, SELECT, WS_HINT_NONE, 4),
	CH("/* wescale:route=replica, consistency=eventual */ SELECT 1", R, SELECT, REP, 0),
	CH("/* wescale:route=replica wescale:consistency=global */ SELECT 1", R, SELECT, REP, 3),
	CH("/* wescale:route=replica */ /* wescale:route=primary */ SELECT 1", R, SELECT, PRI, -1),
	CH("/* wescale:route=primary */ SELECT 1 /* wescale:route=replica */", R, SELECT, PRI, -1),
	CH("/* wescale:consistency=eventual */ /* wescale:consistency=global */ SELECT 1", R, SELECT, WS_HINT_NONE, 3),
	CH("/* wescale:route=bogus */ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/* wescale:consistency=bogus */ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/* wescale:route= */ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/* wescale */ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/* notwescale:route=primary */ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/*ms=master*/SELECT 1", R, SELECT, PRI, -1),
	CH("/*ms=slave*/SELECT 1", R, SELECT, REP, -1),
	CH("/* MS = MASTER */ SELECT 1", R, SELECT, PRI, -1),
	CH("/*ms=last_used*/SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("/*forms=master*/ SELECT 1", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT 1 -- maxscale route to master", R, SELECT, PRI, -1),
	CH("-- maxscale route to slave\nSELECT 1", R, SELECT, REP, -1),
	CH("SELECT 1 -- maxscale route to server db2", R, SELECT, WS_HINT_NONE, -1),
	CH("/* maxscale route to master */ SELECT 1", R, SELECT, PRI, -1),
	CH("SELECT 1 -- maxscale   route   to   MASTER", R, SELECT, PRI, -1),
	CH("SELECT 1 # maxscale route to slave", R, SELECT, REP, -1),
	CH("SELECT 1 -- maxscale route master", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT 'wescale:route=primary'", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT \"/* wescale:route=primary */\"", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT `wescale:route=primary` FROM t", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT '-- maxscale route to master'", R, SELECT, WS_HINT_NONE, -1),
	CH("SELECT 1; /* wescale:route=primary */", R, SELECT, PRI, -1),
	CH("SELECT 1; -- maxscale route to master", R, SELECT, PRI, -1),
	CH("/*! SELECT 1 */ /* wescale:route=replica */", R, SELECT, REP, -1),
	CHN("SELECT 1; /* wescale:consistency=global */ SELECT 2", R | MU, SELECT, WS_HINT_NONE, 3, 2),
	CH("SELECT /* wescale:route=replica */ @x", W | UV, SELECT, REP, -1),

	/* ---- empty text, junk ---- */
	EMPTY("", 0),
	EMPTY("   ", 0),
	EMPTY("\n\t\r\n", 0),
	EMPTY("/* c */", 0),
	EMPTY("-- c", 0),
	EMPTY("# c\n", 0),
	EMPTY(";", 0),
	EMPTY(";;;", 0),
	EMPTY(" ; /* x */ ; ", 0),
	EMPTY("/*! */", 0),
	EMPTY("/* unterminated", PE),
	EMPTY("/*!", PE),
	EMPTY("/*!50000", PE),
	C("FOO BAR", W | PE, OTHER),
	C("123", W | PE, OTHER),
	C(")", W | PE, OTHER),
	C("SELEC 1", W | PE, OTHER),
	C("\x01\x02", W | PE, OTHER),
	C("'string'", W | PE, OTHER),
	C("`ident`", W | PE, OTHER),
	C("@x", W | PE | UV, OTHER),
	C("*/ SELECT 1", W | PE, OTHER),
	C("FROM t", W | PE, OTHER),
	C("SELECT 1 */", R, SELECT),

	/* ---- as ORMs and tools send them ---- */
	/* Django (ANSI-quoted, as its backends for other databases quote) */
	RD("SELECT \"app_user\".\"id\", \"app_user\".\"username\" FROM \"app_user\" WHERE \"app_user\".\"id\" = 1 LIMIT 21"),
	RD("SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login` FROM `auth_user` "
	   "WHERE `auth_user`.`username` = 'bob' LIMIT 21"),
	C("SELECT `app_order`.`id`, `app_order`.`total` FROM `app_order` WHERE `app_order`.`id` = 5 FOR UPDATE",
	  W | LR, SELECT),
	C("SAVEPOINT `s140234567890_x1`", W, SAVEPOINT),
	C("RELEASE SAVEPOINT `s140234567890_x1`", W, SAVEPOINT),
	C("ROLLBACK TO SAVEPOINT `s140234567890_x1`", W, SAVEPOINT),
	C("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", W | ST | SS, SET),
	C("SET SQL_AUTO_IS_NULL = 0", W | SS, SET),
	RD("SELECT COUNT(*) AS `__count` FROM `app_item` WHERE `app_item`.`owner_id` = 3"),
	C("INSERT INTO `app_item` (`name`, `owner_id`) VALUES ('x', 3)", W, INSERT),
	/* Rails */
	RD("SELECT `users`.* FROM `users` WHERE `users`.`id` = 1 LIMIT 1"),
	C("SHOW FULL FIELDS FROM `users`", R, SHOW),
	RD("SELECT @@FOREIGN_KEY_CHECKS"),
	C("SET @@SESSION.sql_mode = CONCAT(REPLACE(REPLACE(REPLACE(@@sql_mode, 'STRICT_TRANS_TABLES', ''), "
	  "'STRICT_ALL_TABLES', ''), 'TRADITIONAL', ''), ',NO_AUTO_VALUE_ON_ZERO'), "
	  "@@SESSION.sql_auto_is_null = 0, @@SESSION.wait_timeout = 2147483", W | SS, SET),
	RD("SELECT `schema_migrations`.`version` FROM `schema_migrations` ORDER BY `schema_migrations`.`version` ASC"),
	RD("SELECT 1 AS one FROM `users` WHERE `users`.`email` = BINARY 'a@b.c' LIMIT 1"),
	C("UPDATE `users` SET `users`.`updated_at` = '2024-01-01 00:00:00' WHERE `users`.`id` = 1", W, UPDATE),
	/* Hibernate */
	RD("select u1_0.id,u1_0.name from users u1_0 where u1_0.id=?"),
	C("/* insert for com.x.User */insert into users (name,id) values (?,?)", W, INSERT),
	C("select next_val as id_val from hibernate_sequence for update", W | LR, SELECT),
	C("update hibernate_sequence set next_val= ? where next_val=?", W, UPDATE),
	RD("/* <criteria> */ select u1_0.id from users u1_0 where u1_0.name like ? escape ''"),
	RD("select u1_0.id from users u1_0 offset ? rows fetch first ? rows only"),
	/* WordPress */
	RD("SELECT option_name, option_value FROM wp_options WHERE autoload = 'yes'"),
	C("SELECT SQL_CALC_FOUND_ROWS wp_posts.ID FROM wp_posts WHERE 1=1 AND wp_posts.post_type = 'post' "
	  "ORDER BY wp_posts.post_date DESC LIMIT 0, 10", W | CF | HN, SELECT),
	C("SELECT FOUND_ROWS()", W | PF, SELECT),
	C("SET NAMES utf8mb4", W | SS, SET),
	C("SHOW TABLES LIKE 'wp_users'", R, SHOW),
	RD("SELECT wp_posts.* FROM wp_posts WHERE ID IN (1,2,3)"),
	C("INSERT INTO `wp_options` (`option_name`, `option_value`, `autoload`) VALUES ('x', 'y', 'no') "
	  "ON DUPLICATE KEY UPDATE `option_name` = VALUES(`option_name`)", W, INSERT),
	RD("SELECT @@SESSION.sql_mode"),
	C("SET SESSION sql_mode='NO_ZERO_IN_DATE'", W | SS, SET),
	/* SQLAlchemy */
	RD("SELECT users.id AS users_id, users.name AS users_name FROM users WHERE users.id = %s"),
	C("SHOW VARIABLES LIKE 'sql_mode'", R, SHOW),
	C("SHOW VARIABLES LIKE 'lower_case_table_names'", R, SHOW),
	RD("SELECT CAST('test plain returns' AS CHAR(60)) AS anon_1"),
	/* mysqldump */
	RD("SELECT /*!40001 SQL_NO_CACHE */ * FROM `t`"),
	C("/*!40100 SET @@SQL_MODE='' */", W | SS, SET),
	C("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */", W | SS | UV, SET),
	C("LOCK TABLES `t` READ /*!32311 LOCAL */", W | LT | IC, LOCK),
	C("FLUSH /*!40101 LOCAL */ TABLES", W | IC, OTHER),
	/* sysbench */
	RD("SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 100"),
	RD("SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 100"),
	RD("SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 1 AND 100 ORDER BY c"),
	C("UPDATE sbtest1 SET k=k+1 WHERE id=42", W, UPDATE),
	C("UPDATE sbtest1 SET c='abc' WHERE id=42", W, UPDATE),
	C("DELETE FROM sbtest1 WHERE id=42", W, DELETE),
	C("INSERT INTO sbtest1 (id, k, c, pad) VALUES (42, 1, 'x', 'y')", W, INSERT),
	/* JDBC, client libraries */
	RD("SELECT @@session.auto_increment_increment AS auto_increment_increment, "
	   "@@character_set_client AS character_set_client, @@character_set_connection AS character_set_connection"),
	C("SET character_set_results = NULL", W | SS, SET),
	C("SET autocommit=1", W | SS | AON, SET),
	RD("SELECT @@session.transaction_read_only"),
	RD("/* mysql-connector-java-8.0 */SELECT @@session.auto_increment_increment"),
	RD("SELECT * FROM `users` WHERE `email` = 'o\\'brien@x.com'"),
	RD("SELECT * FROM `users` WHERE `name` = 'O''Brien'"),
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_table(void)
{
	unsigned failed = 0;

	for (size_t i = 0; i < N_CASES; i++) {
		const struct tcase *tc = &cases[i];
		size_t len = strlen(tc->sql);
		/* An exact-size heap copy: under ASan a read past len is an error. */
		char *copy = malloc(len ? len : 1);
		struct ws_verdict v;

		CU_ASSERT_FATAL(copy != NULL);
		memcpy(copy, tc->sql, len);
		ws_classify(copy, len, &v);
		if (!check_case(tc, copy, len, &v))
			failed++;
		free(copy);
	}
	if (failed)
		printf("\n  %u of %zu statements misclassified\n", failed, N_CASES);
	CU_ASSERT_EQUAL(failed, 0);
}

static bool same_verdict(const struct ws_verdict *a, const char *ta, const struct ws_verdict *b, const char *tb)
{
	return a->flags == b->flags && a->kind == b->kind && a->hint_route == b->hint_route &&
	       a->hint_consistency == b->hint_consistency && a->n_statements == b->n_statements &&
	       a->temp_name_len == b->temp_name_len && a->db_len == b->db_len &&
	       (a->temp_name ? b->temp_name && a->temp_name - ta == b->temp_name - tb : !b->temp_name) &&
	       (a->db ? b->db && a->db - ta == b->db - tb : !b->db);
}

/*
 * The verdict depends only on the first len bytes: every prefix of every row,
 * classified inside the full string (bytes follow len) and as an exact-size heap
 * copy (nothing follows: ASan would see an overread), gives the same verdict.
 */
static void test_prefixes(void)
{
	unsigned bad = 0;

	for (size_t i = 0; i < N_CASES; i++) {
		const char *sql = cases[i].sql;
		size_t full = strlen(sql);

		for (size_t len = 0; len <= full; len++) {
			char *copy = malloc(len ? len : 1);
			struct ws_verdict a, b;
			size_t off = 0;

			CU_ASSERT_FATAL(copy != NULL);
			memcpy(copy, sql, len);
			ws_classify(sql, len, &a);
			ws_classify(copy, len, &b);
			if (!same_verdict(&a, sql, &b, copy)) {
				if (bad++ < 10)
					printf("\n  prefix %zu of [%s] depends on later bytes", len, sql);
			}
			if ((a.flags & WS_F_READ) == !!(a.flags & WS_F_WRITE))
				bad++;
			while (ws_classify_next(copy, len, &off, &b))
				;
			CU_ASSERT(off == len);
			free(copy);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_len_cuts(void)
{
	struct ws_verdict v;
	const char *s;

	s = "SELECT 1; DELETE FROM t";
	ws_classify(s, 9, &v); /* "SELECT 1;" */
	CU_ASSERT_EQUAL(v.flags, WS_F_READ);
	CU_ASSERT_EQUAL(v.n_statements, 1);
	ws_classify(s, strlen(s), &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_MULTI);

	s = "SELECT 'abc' FROM t";
	ws_classify(s, 10, &v); /* inside the string */
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PARSE_ERROR);

	s = "SELECT 1 /* comment */";
	ws_classify(s, 13, &v); /* inside the comment */
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PARSE_ERROR);

	s = "SELECT * FROM t FOR UPDATE";
	ws_classify(s, 22, &v); /* "… FOR UPD": a word, not UPDATE */
	CU_ASSERT_EQUAL(v.flags, WS_F_READ);
	ws_classify(s, strlen(s), &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_LOCKING_READ);

	s = "SELECT LAST_INSERT_ID()";
	ws_classify(s, 21, &v); /* "SELECT LAST_INSERT_ID": a column */
	CU_ASSERT_EQUAL(v.flags, WS_F_READ);
	ws_classify(s, 22, &v); /* "…(" unbalanced */
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PRIMARY_FUNC | WS_F_PARSE_ERROR);

	s = "SELE";
	ws_classify(s, 4, &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PARSE_ERROR);

	s = "-- x\nSELECT 1";
	ws_classify(s, 2, &v); /* "--" at the end: a comment */
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE);
	CU_ASSERT_EQUAL(v.n_statements, 0);

	ws_classify(NULL, 0, &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE);
	CU_ASSERT_EQUAL(v.kind, WS_STMT_OTHER);
	CU_ASSERT_EQUAL(v.n_statements, 0);
	CU_ASSERT_EQUAL(v.hint_consistency, -1);
}

static void test_next(void)
{
	const char *s = "SELECT 1; /* c */ DELETE FROM t ;\n;; USE `db`; SELECT @x ; -- end\n";
	size_t len = strlen(s), off = 0, prev = 0;
	struct ws_verdict v;
	static const struct {
		uint32_t flags;
		enum ws_stmt_kind kind;
		size_t end;
	} want[] = {
		{ WS_F_READ, WS_STMT_SELECT, 9 },
		{ WS_F_WRITE, WS_STMT_DELETE, 33 },
		{ WS_F_WRITE | WS_F_USE_DB | WS_F_SESSION_STATE, WS_STMT_USE, 46 },
		{ WS_F_WRITE | WS_F_USER_VAR, WS_STMT_SELECT, 58 },
	};
	size_t i = 0;

	while (ws_classify_next(s, len, &off, &v)) {
		CU_ASSERT_FATAL(i < sizeof(want) / sizeof(want[0]));
		CU_ASSERT(off > prev);
		CU_ASSERT(off <= len);
		CU_ASSERT_EQUAL(v.flags, want[i].flags);
		CU_ASSERT_EQUAL(v.kind, want[i].kind);
		CU_ASSERT_EQUAL(v.n_statements, 1);
		CU_ASSERT_EQUAL(off, want[i].end);
		if (want[i].kind == WS_STMT_USE) {
			CU_ASSERT(v.db == s + 42 && v.db_len == 2);
		}
		prev = off;
		i++;
	}
	CU_ASSERT_EQUAL(i, 4);
	CU_ASSERT_EQUAL(off, len);
	CU_ASSERT_FALSE(ws_classify_next(s, len, &off, &v));

	/* Without a final ';' the last statement runs to the end. */
	s = "SELECT 1;SELECT 2";
	off = 0;
	CU_ASSERT(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(off, 9);
	CU_ASSERT(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(off, strlen(s));
	CU_ASSERT_EQUAL(v.flags, WS_F_READ);
	CU_ASSERT_FALSE(ws_classify_next(s, strlen(s), &off, &v));

	/* Compound statement: one part. */
	s = "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END; CALL p()";
	off = 0;
	CU_ASSERT(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(v.kind, WS_STMT_DDL);
	CU_ASSERT_EQUAL(off, 51);
	CU_ASSERT(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(v.kind, WS_STMT_CALL);
	CU_ASSERT_FALSE(ws_classify_next(s, strlen(s), &off, &v));

	/* An offset past the end is clamped; nothing remains. */
	off = 1000;
	CU_ASSERT_FALSE(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(off, strlen(s));

	/* Only a hint remains: false, and the hint is reported. */
	s = "SELECT 1; /* wescale:route=primary */";
	off = 9;
	CU_ASSERT_FALSE(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(v.hint_route, WS_HINT_PRIMARY);
	CU_ASSERT_EQUAL(v.n_statements, 0);

	/* A per-part re-check: the NO_BACKSLASH_ESCAPES reading of this part has a DELETE. */
	s = "SELECT 'a\\'; DELETE FROM t; SELECT '";
	off = 0;
	CU_ASSERT(ws_classify_next(s, strlen(s), &off, &v));
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE);
	CU_ASSERT_EQUAL(off, strlen(s));
}

/* Every part's verdict, merged, is ws_classify's (which may be stricter on READ). */
static void test_next_merges_to_classify(void)
{
	unsigned bad = 0;

	for (size_t i = 0; i < N_CASES; i++) {
		const char *s = cases[i].sql;
		size_t len = strlen(s), off = 0, n = 0;
		struct ws_verdict whole, part;
		uint32_t flags = 0, verdict = WS_F_READ | WS_F_WRITE | WS_F_PARSE_ERROR | WS_F_HINTABLE |
				 WS_F_HINT_DROPPED;
		bool all_read = true, all_soft = true;

		ws_classify(s, len, &whole);
		while (ws_classify_next(s, len, &off, &part)) {
			if (n++ == 0 && part.kind != whole.kind)
				bad++;
			flags |= part.flags & ~verdict;
			all_read &= (part.flags & WS_F_READ) != 0;
			all_soft &= (part.flags & (WS_F_READ | WS_F_HINTABLE)) != 0;
		}
		if (n != whole.n_statements)
			bad++;
		if (n > 1)
			flags |= WS_F_MULTI;
		if (flags != (whole.flags & ~verdict))
			bad++;
		/* HINTABLE only if every part is READ or HINTABLE, and never with READ. */
		if ((whole.flags & WS_F_HINTABLE) && (!all_soft || (whole.flags & WS_F_READ))) {
			printf("\n  hintable made of parts that are not: [%s]", s);
			bad++;
		}
		/* READ only if every part is; the whole may be stricter (it is also
		 * re-checked as a whole under the server's other readings). */
		if ((whole.flags & WS_F_READ) && !all_read) {
			printf("\n  a read made of parts that are not all reads: [%s]", s);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_mentions(void)
{
	const char *s = "SELECT a FROM tmp1 JOIN `tmp 2` ON 1 JOIN db.tmp3 JOIN `db`.`tmp4` "
			"WHERE x = 'tmp5' /* tmp6 */ -- tmp7\n AND y = \"tmp8\" AND `a``b` = 1";
	size_t len = strlen(s);

	CU_ASSERT(ws_classify_mentions(s, len, "tmp1", 4));
	CU_ASSERT(ws_classify_mentions(s, len, "tmp 2", 5));
	CU_ASSERT(ws_classify_mentions(s, len, "tmp3", 4));
	CU_ASSERT(ws_classify_mentions(s, len, "tmp4", 4));
	CU_ASSERT(ws_classify_mentions(s, len, "db", 2));
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "tmp5", 4)); /* a string */
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "tmp6", 4)); /* a comment */
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "tmp7", 4));
	CU_ASSERT(ws_classify_mentions(s, len, "tmp8", 4));       /* "…": an ANSI_QUOTES identifier */
	CU_ASSERT(ws_classify_mentions(s, len, "a`b", 3));        /* unescaped */
	CU_ASSERT(ws_classify_mentions(s, len, "a``b", 4));       /* raw, as temp_name gives it */
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "TMP1", 4)); /* exact bytes */
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "tmp", 3));  /* whole tokens only */
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "mp1", 3));
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "tmp9", 4));
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, "", 0));
	CU_ASSERT_FALSE(ws_classify_mentions(NULL, 0, "x", 1));
	CU_ASSERT_FALSE(ws_classify_mentions(s, len, NULL, 0));
	/* Only the first len bytes count. */
	CU_ASSERT_FALSE(ws_classify_mentions(s, 16, "tmp1", 4)); /* "SELECT a FROM tm" */
	CU_ASSERT(ws_classify_mentions(s, 18, "tmp1", 4));
	/* Executable comments are code. */
	s = "SELECT * FROM t /*!50000 JOIN tmpx */";
	CU_ASSERT(ws_classify_mentions(s, strlen(s), "tmpx", 4));
	/* In every statement of a multi-statement text. */
	s = "SELECT 1; SELECT * FROM tmpy";
	CU_ASSERT(ws_classify_mentions(s, strlen(s), "tmpy", 4));
	/* Under any character set's reading: latin1's NBSP ends the name, and
	 * so does cp852's 0xFF; cp1251 reads "--<7F>" as no comment. */
	s = "SELECT * FROM tmpz\xa0\xa0WHERE 1";
	CU_ASSERT(ws_classify_mentions(s, strlen(s), "tmpz", 4));
	s = "SELECT * FROM tmpw\xff";
	CU_ASSERT(ws_classify_mentions(s, strlen(s), "tmpw", 4));
	s = "SELECT 1 --\x7f tmpv\n";
	CU_ASSERT(ws_classify_mentions(s, strlen(s), "tmpv", 4));
	s = "SELECT 1 -- tmpu\n";
	CU_ASSERT_FALSE(ws_classify_mentions(s, strlen(s), "tmpu", 4));

	/* With what temp_name gives. */
	{
		struct ws_verdict v;
		const char *c = "CREATE TEMPORARY TABLE `my``t` (a INT)";
		const char *q = "SELECT * FROM `my``t`";

		ws_classify(c, strlen(c), &v);
		CU_ASSERT(v.flags & WS_F_TEMP_CREATE);
		CU_ASSERT(ws_classify_mentions(q, strlen(q), v.temp_name, v.temp_name_len));
	}
}

static void test_kind_names(void)
{
	static const char *const want[WS_STMT_KIND_COUNT] = {
		"other", "select", "insert", "update", "delete", "replace", "ddl", "set", "show", "use",
		"begin", "commit", "rollback", "savepoint", "lock", "unlock", "call", "do", "load",
		"handler", "xa", "prepare",
	};

	for (int k = 0; k < WS_STMT_KIND_COUNT; k++)
		CU_ASSERT_STRING_EQUAL(ws_stmt_kind_to_string((enum ws_stmt_kind)k), want[k]);
	CU_ASSERT_STRING_EQUAL(ws_stmt_kind_to_string(WS_STMT_KIND_COUNT), "other");
	CU_ASSERT_STRING_EQUAL(ws_stmt_kind_to_string((enum ws_stmt_kind)-1), "other");
}

/* ---- the fast path against the full one ---- */

/* Text appended to, or put between the tokens of, the rows: each is something
 * the fast path must either see through or give up on. */
static const char *const mutations[] = {
	" /* c */", "/* wescale:route=primary */", " -- c", "--", "-- ", " #c", "#", "/*", "/*!50700 x */",
	"/*M!100100 x */", "*/", ";", " ;", "; SELECT 1", "; UPDATE t SET a=1", " @x", "@", "@'x'",
	" @@identity", "@@session.x", " FOR UPDATE", " FOR SHARE", " LOCK IN SHARE MODE", " INTO @v",
	" INTO OUTFILE 'f'", " 'a\\'b'", "'\\\\'", "\\", " \"x\"", "\"", " )", " (", "(", ")", "()",
	" LAST_INSERT_ID()", " last_insert_id ()", " t.last_insert_id()", " `last_insert_id`()",
	" `row_count` (", " `x`(", " NEXT VALUE FOR s", " PREVIOUS VALUE FOR s", " s.nextval", " x.currval",
	" NEXTVAL(s)", " SQL_CALC_FOUND_ROWS", " UNION SELECT 1 FOR UPDATE", " UPDATE", " DELETE",
	" INSERT", " REPLACE", " INSERT(", " SHARE", " LOCK", " INTO", " for", "\xa0", "\xa0INTO",
	" \xc3\xa9", "'\xc3\xa9'", "`\xc3\xa9`", "'", "`", "``", "''", ":=", " := 1", ":", "\x01", "\x7f",
	"\n", "\t", "\r\n", " WHERE a IN (1, 2, 3)", " AND b = 'x''y'", " 1e+5", "1.5e3INTO", "1.5.INTO",
	" 1e5.for", " ORDER BY id DESC", "'x\"y'", "`a``b`", "$x", "_x", "-", "/", "*", "-1", "--1",
	"/ *", "- -", " SELECT", "WITH", "0x1F", "X'41'", " {d '2020-01-01'}", "?", "%s", "\0",
};
#define N_MUTATIONS (sizeof(mutations) / sizeof(mutations[0]))
/* The mutations tried after every prefix of every row (all of them after whole rows). */
#define N_PREFIX_MUTATIONS 24

static size_t fast_answered, fast_tried, fast_mismatches;

/* Sessions the fast path is held to (index 0: unknown, NULL). */
static struct ws_lexenv test_envs[4];
#define N_TEST_ENVS (sizeof(test_envs) / sizeof(test_envs[0]))

static void init_test_envs(void)
{
	test_envs[1].charset = ws_classify_charset("utf8mb4", 7);
	test_envs[1].sql_mode = WS_SQLM_KNOWN;
	test_envs[2].charset = ws_classify_charset("latin1", 6);
	test_envs[2].sql_mode = WS_SQLM_KNOWN | WS_SQLM_NO_BACKSLASH_ESCAPES;
	test_envs[3].charset = ws_classify_charset("cp1251", 6);
	test_envs[3].sql_mode = WS_SQLM_KNOWN | WS_SQLM_ANSI_QUOTES;
}

/* Whenever the fast path answers, its verdict is the full path's, field by field. */
static void fast_vs_full(const char *text, size_t len)
{
	struct ws_verdict f, g;
	char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, text, len);
	fast_tried++;
	memset(&f, 0xa5, sizeof(f));
	if (ws_classify_fast(copy, len, NULL, &f)) {
		fast_answered++;
		/* The same answer whatever the session: the fast path reads nothing
		 * a character set or sql_mode changes. */
		for (size_t e = 0; e < N_TEST_ENVS; e++) {
			ws_classify_full(copy, len, e ? &test_envs[e] : NULL, &g);
			if (!same_verdict(&f, copy, &g, copy) && fast_mismatches++ < 10)
				printf("\n  fast path differs on [%.*s] (env %zu): flags %#x/%#x kind %d/%d", (int)len,
				       text, e, f.flags, g.flags, f.kind, g.kind);
		}
	}
	free(copy);
}

static void with_mutation(const char *sql, size_t at, size_t len, const char *m)
{
	size_t ml = m[0] ? strlen(m) : 1; /* "\0": one NUL byte */
	char buf[4096];

	if (len + ml > sizeof(buf))
		return;
	memcpy(buf, sql, at);
	memcpy(buf + at, m, ml);
	memcpy(buf + at + ml, sql + at, len - at);
	fast_vs_full(buf, len + ml);
}

static void test_fast_equals_full(void)
{
	fast_answered = fast_tried = fast_mismatches = 0;
	for (size_t i = 0; i < N_CASES; i++) {
		const char *sql = cases[i].sql;
		size_t full = strlen(sql);

		for (size_t len = 0; len <= full; len++) {
			fast_vs_full(sql, len);
			for (size_t m = 0; m < N_PREFIX_MUTATIONS; m++)
				with_mutation(sql, len, len, mutations[m]);
		}
		for (size_t m = N_PREFIX_MUTATIONS; m < N_MUTATIONS; m++)
			with_mutation(sql, full, full, mutations[m]);
		/* between tokens: at every space */
		for (size_t at = 0; at < full; at++)
			if (sql[at] == ' ')
				for (size_t m = 0; m < N_MUTATIONS; m++)
					with_mutation(sql, at, full, mutations[m]);
	}
	printf("\n  fast path answered %zu of %zu texts ", fast_answered, fast_tried);
	CU_ASSERT_EQUAL(fast_mismatches, 0);
	CU_ASSERT(fast_answered > 1000); /* it did not silently stop answering */
}

/* The shapes the fast path is for: it must answer them (and rightly). */
static void test_fast_answers(void)
{
	static const char *const common[] = {
		/* sysbench */
		"SELECT c FROM sbtest1 WHERE id=42",
		"SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 100",
		"SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 100",
		"SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 100 ORDER BY c",
		"SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 1 AND 100 ORDER BY c",
		"SELECT c FROM sbtest1 WHERE id IN (1, 2, 3)",
		"INSERT INTO sbtest1 (id, k, c, pad) VALUES (42, 1, '83868641912-28773972837', '67847967377-48000963322')",
		"UPDATE sbtest1 SET k=k+1 WHERE id=42",
		"UPDATE sbtest1 SET c='abc' WHERE id=42",
		"DELETE FROM sbtest1 WHERE id=42",
		/* Django, Rails, Hibernate, SQLAlchemy, WordPress */
		"SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login` FROM `auth_user` "
		"WHERE `auth_user`.`username` = 'bob' LIMIT 21",
		"SELECT COUNT(*) AS `__count` FROM `app_item` WHERE `app_item`.`owner_id` = 3",
		"INSERT INTO `app_item` (`name`, `owner_id`) VALUES ('x', 3)",
		"SELECT `users`.* FROM `users` WHERE `users`.`id` = 1 LIMIT 1",
		"SELECT 1 AS one FROM `users` WHERE `users`.`email` = BINARY 'a@b.c' LIMIT 1",
		"UPDATE `users` SET `users`.`updated_at` = '2024-01-01 00:00:00' WHERE `users`.`id` = 1",
		"select u1_0.id,u1_0.name from users u1_0 where u1_0.id=?",
		"insert into users (name,id) values (?,?)",
		"update hibernate_sequence set next_val= ? where next_val=?",
		"SELECT users.id AS users_id, users.name AS users_name FROM users WHERE users.id = %s",
		"SELECT wp_posts.* FROM wp_posts WHERE ID IN (1,2,3)",
		"INSERT INTO `wp_options` (`option_name`, `option_value`, `autoload`) VALUES ('x', 'y', 'no') "
		"ON DUPLICATE KEY UPDATE `option_name` = VALUES(`option_name`)",
		"SELECT * FROM `users` WHERE `name` = 'O''Brien'",
		/* joins, grouping, strings with any bytes but a backslash */
		"SELECT `o`.`id`, c.name FROM `orders` `o` JOIN `customers` `c` ON `c`.`id` = `o`.`customer_id` "
		"LEFT JOIN shop.items i ON i.order_id = o.id WHERE `o`.`status` IN ('new', 'paid') AND o.total >= 10.5 "
		"GROUP BY `o`.`id` HAVING COUNT(*) > 1 ORDER BY `o`.`created_at` DESC LIMIT 20 OFFSET 40",
		"SELECT * FROM t WHERE name = 'Zo\xc3\xab' AND note <> 'say \"hi\"; -- # /* @x */'",
		"SELECT a FROM t WHERE b IN (SELECT b FROM u WHERE c = 1) AND status = 'x' AND `user` = 'y'",
		"REPLACE INTO t (a, b) VALUES (1, 2)",
		"DELETE FROM t WHERE created < NOW() - INTERVAL 1 DAY LIMIT 100",
		"  SELECT 1\n",
	};

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		struct ws_verdict f, g;
		size_t len = strlen(common[i]);

		CU_ASSERT(ws_classify_fast(common[i], len, NULL, &f));
		ws_classify_full(common[i], len, NULL, &g);
		if (!ws_classify_fast(common[i], len, NULL, &f) || !same_verdict(&f, common[i], &g, common[i]))
			printf("\n  fast path: no answer or a different one for [%s]", common[i]);
		else
			CU_ASSERT(same_verdict(&f, common[i], &g, common[i]));
	}
}

/* The fast path reads the text in blocks of 16 bytes and windows of 64: each
 * tail below, at every offset from the start, after a run of spaces, a long
 * word, a long number, a long string or a long quoted name (which straddle the
 * blocks and windows), against the full path. */
static void test_fast_window_offsets(void)
{
	static const char *const tails[] = {
		"x FROM t WHERE a = 1", " FOR UPDATE", "for", " LAST_INSERT_ID()", "last_insert_id",
		" `row_count` ()", " `row_count`(", " `a``row_count`()", " `x` (1)", "'it''s' ", "'a\\'b'",
		"`x'y` 'p`q'", "'a`b' `c'd`", " INTO @v", "sbtest1 WHERE id=42", " s.nextval", ")", "(",
		" -- x", "/* x */", "; SELECT 1", "'\xc3\xa9' \xc3\xa9", "\xa0INTO", "`a\\b`", "1e5.for", "x$FOR",
		"_FOR", "SQL_CALC_FOUND_ROWS", "", "'", "`", "''", "``",
	};
	static const char *const pads[] = { " ", "a", "1", "'", "`" };
	char buf[512];
	size_t answered;

	fast_answered = fast_tried = fast_mismatches = 0;
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		for (size_t k = 0; k < sizeof(pads) / sizeof(pads[0]); k++) {
			for (size_t n = 0; n < 140; n++) {
				size_t len = (size_t)sprintf(buf, "SELECT %s", pads[k][0] == '\'' || pads[k][0] == '`' ? pads[k] : "");

				for (size_t i = 0; i < n; i++)
					buf[len++] = pads[k][0] == '\'' || pads[k][0] == '`' ? 'z' : pads[k][0];
				if (pads[k][0] == '\'' || pads[k][0] == '`')
					buf[len++] = pads[k][0];
				buf[len++] = ' ';
				memcpy(buf + len, tails[t], strlen(tails[t]));
				len += strlen(tails[t]);
				fast_vs_full(buf, len);
				with_mutation(buf, len, len, " FOR UPDATE");
			}
		}
	}
	answered = fast_answered;
	printf("\n  fast path answered %zu of %zu texts ", answered, fast_tried);
	CU_ASSERT_EQUAL(fast_mismatches, 0);
	CU_ASSERT(answered > 5000);
}

/* Deep nesting and long inputs are counted, not recursed into. */
static void test_hostile(void)
{
	size_t n = 1 << 20;
	char *s = malloc(n);
	struct ws_verdict v;

	CU_ASSERT_FATAL(s != NULL);
	memset(s, '(', n);
	ws_classify(s, n, &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PARSE_ERROR);

	memcpy(s, "SELECT ", 7);
	memset(s + 7, '(', (n - 8) / 2);
	memset(s + 7 + (n - 8) / 2, ')', (n - 8) / 2);
	s[n - 1] = ' ';
	ws_classify(s, n, &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_READ);

	memset(s, ';', n);
	ws_classify(s, n, &v);
	CU_ASSERT_EQUAL(v.n_statements, 0);

	for (size_t i = 0; i + 2 <= n; i += 2)
		memcpy(s + i, "1;", 2);
	memcpy(s, "SELECT ", 7);
	ws_classify(s, n, &v); /* "SELECT 1;1;1;…": the later parts are junk */
	CU_ASSERT_EQUAL(v.n_statements, UINT16_MAX);
	CU_ASSERT(v.flags & WS_F_PARSE_ERROR);

	memset(s, 'a', n);
	ws_classify(s, n, &v);
	CU_ASSERT_EQUAL(v.flags, WS_F_WRITE | WS_F_PARSE_ERROR);
	free(s);
}

int main(void)
{
	CU_pSuite suite;
	unsigned failures;

	init_test_envs();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("classify", NULL, NULL);
	if (!suite ||
	    !CU_add_test(suite, "statement table", test_table) ||
	    !CU_add_test(suite, "prefixes depend only on their bytes", test_prefixes) ||
	    !CU_add_test(suite, "len cuts", test_len_cuts) ||
	    !CU_add_test(suite, "ws_classify_next", test_next) ||
	    !CU_add_test(suite, "parts merge to the whole", test_next_merges_to_classify) ||
	    !CU_add_test(suite, "mentions", test_mentions) ||
	    !CU_add_test(suite, "kind names", test_kind_names) ||
	    !CU_add_test(suite, "hostile inputs", test_hostile) ||
	    !CU_add_test(suite, "fast path equals the full path", test_fast_equals_full) ||
	    !CU_add_test(suite, "fast path answers common shapes", test_fast_answers) ||
	    !CU_add_test(suite, "fast path at every window offset", test_fast_window_offsets)) {
		CU_cleanup_registry();
		return 2;
	}
	printf("classify: %zu statements in the table\n", N_CASES);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
