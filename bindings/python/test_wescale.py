"""Tests of the wescale Python binding with MySQLdb against a real topology.

A plain script (no pytest): it exits non-zero at the first failed check.
Run by tests/integration/test-examples.sh with the topology of
tests/topology.sh in the environment (WS_TEST_*), either

    WESCALE_CONFIG=$WS_TEST_CONFIG LD_PRELOAD=libwescale.so /usr/bin/python3 test_wescale.py

or, without the preload, with WESCALE_LIBRARY=path/to/libwescale.so (then
`import wescale` must come before `import MySQLdb`, as below).
"""
import os
import sys

for var in ('WS_TEST_PRIMARY_PORT', 'WS_TEST_REPLICA1_PORT', 'WS_TEST_REPLICA2_PORT', 'WS_TEST_USER'):
    if not os.environ.get(var):
        sys.exit('test_wescale.py: %s is not set: no topology in the environment '
                 '(source DIR/env from tests/topology.sh start DIR)' % var)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wescale  # noqa: E402 — first: without LD_PRELOAD it must be loaded before MySQLdb

wescale.version()  # loads libwescale now

import MySQLdb  # noqa: E402
PRIMARY = int(os.environ['WS_TEST_PRIMARY_PORT'])
REPLICAS = {2: int(os.environ['WS_TEST_REPLICA1_PORT']), 3: int(os.environ['WS_TEST_REPLICA2_PORT'])}


def connect(port):
    return MySQLdb.connect(host='127.0.0.1', port=port, user=os.environ['WS_TEST_USER'],
                           passwd=os.environ.get('WS_TEST_PASSWORD', ''), db=os.environ.get('WS_TEST_DB', 'wstest'),
                           autocommit=True)


def server_id(cur, sql='SELECT @@server_id'):
    cur.execute(sql)
    return cur.fetchone()[0]


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError('%s%r did not raise %s' % (fn.__name__, args, exc.__name__))


v = wescale.version()
assert v.count('.') == 2, v
conn = connect(PRIMARY)
cur = conn.cursor()

# route_next: once, for the next statement only.
wescale.route_next(conn, 'primary')
assert server_id(cur) == 1, 'route_next primary'
assert wescale.last_backend(conn) == '127.0.0.1:%d' % PRIMARY, wescale.last_backend(conn)
assert server_id(cur) in REPLICAS, 'after route_next, back to the replicas'
wescale.route_next(conn, 'primary')
wescale.route_next(conn, 'auto')  # cancels
assert server_id(cur) in REPLICAS, "route_next 'auto' cancels a pending choice"
wescale.route_next(conn, 'replica')
assert server_id(cur, 'SELECT SQL_CALC_FOUND_ROWS @@server_id') in REPLICAS, 'route_next replica'
wescale.route_next(conn, 'replica')  # never for a primary-only function
assert server_id(cur, 'SELECT @@server_id, CONNECTION_ID()') == 1, 'route_next replica, CONNECTION_ID()'
assert wescale.last_route(conn) == 'primary: primary-only function', wescale.last_route(conn)
assert server_id(cur) in REPLICAS
assert wescale.last_route(conn).startswith('replica 127.0.0.1:'), wescale.last_route(conn)

# set_consistency: 'primary' keeps reads on the primary until changed.
wescale.set_consistency(conn, 'primary')
for _ in range(3):
    assert server_id(cur) == 1, "consistency 'primary'"
wescale.set_consistency(conn, 'session')
cur.execute('CREATE TABLE IF NOT EXISTS py_binding (id INT PRIMARY KEY)')
seen = set()
for i in range(6):
    cur.execute('INSERT INTO py_binding VALUES (%s)', (i,))
    cur.execute('SELECT @@server_id, COUNT(*) FROM py_binding WHERE id = %s', (i,))
    sid, n = cur.fetchone()
    assert n == 1, "consistency 'session': read its own write"
    assert sid in REPLICAS, "consistency 'session': reads on the replicas, got server %s" % sid
    # last_backend names the node that answered.
    assert wescale.last_backend(conn) == '127.0.0.1:%d' % REPLICAS[sid], (sid, wescale.last_backend(conn))
    seen.add(sid)
cur.execute('DROP TABLE py_binding')
for level in wescale.CONSISTENCY_LEVELS:
    wescale.set_consistency(conn, level)
wescale.set_consistency(conn, 'SESSION')  # names are case-insensitive

# assume_write_transactions: conn's transactions start on the primary (True),
# on a replica (False, or None with the default configuration).
wescale.assume_write_transactions(conn, True)
cur.execute('BEGIN')
assert server_id(cur) == 1, 'assume_write_transactions: the transaction starts on the primary'
cur.execute('COMMIT')
wescale.assume_write_transactions(conn, None)
cur.execute('BEGIN')
assert server_id(cur) in REPLICAS, 'optimistic_transactions: the transaction starts on a replica'
cur.execute('COMMIT')
raises(ValueError, wescale.assume_write_transactions, conn, 2)

# stats(): the cluster and its three nodes, with the reads counted.
s = wescale.stats()
assert s['version'] == v and s['pid'] == os.getpid(), s
clusters = [c for c in s['clusters']
            if any(n['address'] == '127.0.0.1:%d' % PRIMARY for n in c['nodes'])]
assert len(clusters) == 1, s['clusters']
nodes = {n['address']: n for n in clusters[0]['nodes']}
assert nodes['127.0.0.1:%d' % PRIMARY]['role'] == 'primary', nodes
for port in REPLICAS.values():
    assert nodes['127.0.0.1:%d' % port]['role'] == 'replica', nodes
assert sum(nodes['127.0.0.1:%d' % p]['queries'] for p in REPLICAS.values()) >= 6, nodes

# Bad names: ValueError, before anything reaches the library.
raises(ValueError, wescale.route_next, conn, 'master')
raises(ValueError, wescale.set_consistency, conn, 'strong')
raises(ValueError, wescale.set_consistency, conn, None)
raises(ValueError, wescale.set_log_level, 'loud')
raises(TypeError, wescale.last_backend, object())

# A connection that is not to a configured cluster (a replica, directly):
# the library's own error code.
direct = connect(REPLICAS[2])
e = raises(wescale.Error, wescale.route_next, direct, 'primary')
assert e.errno == wescale.ER_BAD_ARGUMENT and e.args[0] == 2907, e.args
e = raises(wescale.Error, wescale.last_backend, direct)
assert e.errno == wescale.ER_BAD_ARGUMENT, e.args
assert server_id(direct.cursor()) == 2, 'a direct connection to a replica stays one'
direct.close()

# set_primary: naming the member that is the primary already changes nothing
# (writes stay on server 1); None hands the decision back to discovery; an
# unknown cluster or member is the library's own error.
cluster = clusters[0]['name']
wescale.set_primary(cluster, '127.0.0.1:%d' % PRIMARY)
wescale.route_next(conn, 'primary')
assert server_id(cur) == 1, 'set_primary(the primary): still server 1'
wescale.set_primary(cluster, None)
e = raises(wescale.Error, wescale.set_primary, 'no-such-cluster', '127.0.0.1:%d' % PRIMARY)
assert e.errno == wescale.ER_BAD_ARGUMENT, e.args
e = raises(wescale.Error, wescale.set_primary, cluster, '127.0.0.1:1')
assert e.errno == wescale.ER_BAD_ARGUMENT, e.args
raises(TypeError, wescale.set_primary, None, None)

# Tokens: what conn committed, handed to a connection that committed nothing.
other = connect(PRIMARY)
ocur = other.cursor()
assert wescale.consistency_token(other) == '', 'nothing committed yet'
cur.execute('CREATE TABLE IF NOT EXISTS py_token (id INT PRIMARY KEY)')
for i in range(5):
    cur.execute('INSERT INTO py_token VALUES (%s)', (i,))
    token = wescale.consistency_token(conn)
    assert token and set(token) <= set('0123456789-,'), token  # MariaDB: domain-server-seq
    wescale.require_token(other, token)
    ocur.execute('SELECT COUNT(*) FROM py_token WHERE id = %s', (i,))
    assert ocur.fetchone()[0] == 1, 'require_token: the other connection sees the row'
assert wescale.consistency_token(other) == token, 'the requirement is part of its own token'
e = raises(wescale.Error, wescale.require_token, other, 'not-a-gtid')
assert e.errno == wescale.ER_BAD_TOKEN == 2910, e.args
raises(wescale.Error, wescale.require_token, other, 'ü')
raises(TypeError, wescale.require_token, other, None)
assert wescale.consistency_token(other) == token, 'a bad token changed nothing'
cur.execute('DROP TABLE py_token')
other.close()

conn.close()
raises(MySQLdb.Error, wescale.route_next, conn, 'primary')  # closed: MySQLdb's own error
print('test_wescale.py: ok: libwescale %s, reads on servers %s, %d stats nodes'
      % (v, sorted(seen), len(nodes)))
