"""Python's MySQLdb (which links libmariadb.so.3) with libwescale preloaded.

Run by preload-python.sh. Asserts that libwescale is in the process and that
ordinary MySQLdb use — queries, parameters, errors, transactions — works.
"""
import ctypes
import os
import sys

import MySQLdb

lib = ctypes.CDLL(None)
lib.wescale_version.restype = ctypes.c_char_p
version = lib.wescale_version().decode()
assert version.count('.') == 2, version

conn = MySQLdb.connect(host='127.0.0.1', port=int(os.environ['WS_TEST_PRIMARY_PORT']),
                       user=os.environ['WS_TEST_USER'], passwd=os.environ['WS_TEST_PASSWORD'],
                       db=os.environ['WS_TEST_DB'], charset='utf8mb4')
cur = conn.cursor()
cur.execute('DROP TABLE IF EXISTS py_t')
cur.execute('CREATE TABLE py_t (id INT PRIMARY KEY, name VARCHAR(50))')
cur.executemany('INSERT INTO py_t VALUES (%s, %s)', [(1, 'ä'), (2, 'b'), (3, "it's")])
conn.commit()
cur.execute('SELECT id, name FROM py_t WHERE id >= %s ORDER BY id', (2,))
rows = cur.fetchall()
assert rows == ((2, 'b'), (3, "it's")), rows
cur.execute('SELECT name FROM py_t WHERE id = 1')
assert cur.fetchone() == ('ä',)
# Reads go to the replicas (session consistency: they see the rows just written).
# MySQLdb opens connections with autocommit off (DB-API): the transaction a
# read opens starts on a replica (optimistic_transactions = adaptive).
cur.execute('SELECT @@server_id')
assert cur.fetchone()[0] in (2, 3), 'autocommit off: a transaction that reads starts on a replica'
conn.autocommit(True)
ids = set()
for _ in range(6):
    cur.execute('SELECT @@server_id, COUNT(*) FROM py_t')
    sid, n = cur.fetchone()
    assert n == 3, n
    ids.add(sid)
assert ids <= {2, 3} and ids, ids
cur.execute('SELECT @@server_id FROM py_t LIMIT 1 FOR UPDATE')
assert cur.fetchone()[0] == 1, 'a locking read ran on the primary'

try:
    cur.execute('INSERT INTO py_t VALUES (1, %s)', ('dup',))
    raise AssertionError('duplicate key accepted')
except MySQLdb.IntegrityError as e:
    assert e.args[0] == 1062, e.args
try:
    cur.execute('SELEC 1')
    raise AssertionError('syntax error accepted')
except MySQLdb.ProgrammingError as e:
    assert e.args[0] == 1064, e.args

conn.autocommit(False)
cur.execute("INSERT INTO py_t VALUES (4, 'rolled back')")
cur.execute('SELECT COUNT(*), @@server_id FROM py_t')
assert cur.fetchone() == (4, 1), 'inside a transaction that wrote: the primary'
conn.rollback()
cur.execute('SELECT COUNT(*), @@server_id FROM py_t')
n, sid = cur.fetchone()
assert n == 3 and sid in (2, 3), ('a transaction that only reads: a replica', n, sid)
conn.rollback()
conn.autocommit(True)
cur.execute('DROP TABLE py_t')
conn.close()
print('ok: MySQLdb under LD_PRELOAD, libwescale', version, '- reads served by servers', sorted(ids))
