"""The client matrix's work (tests/clients/matrix.py) with Python's MySQLdb.

    client.py TABLE on|off     autocommit on, or off (the DB-API default)

Prints one line per row read, as client.c does; any error: a line on stderr
and exit status 1. MySQLdb has no server-side prepared statements: the
"prepared" part is parameterised execute() (values escaped by the client).
"""
import os
import sys

import MySQLdb

table, mode = sys.argv[1], sys.argv[2]
autocommit = mode == 'on'
conn = MySQLdb.connect(host='127.0.0.1', port=int(os.environ['WS_TEST_PRIMARY_PORT']),
                       user=os.environ['WS_TEST_USER'], passwd=os.environ['WS_TEST_PASSWORD'],
                       db=os.environ['WS_TEST_DB'], autocommit=autocommit)
cur = conn.cursor()


def commit():
    if not autocommit:
        conn.commit()


def show(label, sql, args=None):
    cur.execute(sql, args)
    rows = cur.fetchall()
    for row in rows:
        print(label, '|'.join('NULL' if c is None else str(c) for c in row))
    if not rows:
        print(label, '(no row)')


cur.execute('SET NAMES utf8mb4')
show('charset', 'SELECT @@character_set_client')
cur.execute('USE wstest2')
show('use', 'SELECT DATABASE()')
cur.execute('USE ' + os.environ['WS_TEST_DB'])
show('use', 'SELECT DATABASE()')
commit()

for i in range(1, 11):
    show('seed', f'SELECT id, v, n FROM {table} WHERE id = %s', (i,))
commit()

for i in range(1, 11):
    cur.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)", (100 + i, f'w{i}', i))
    commit()
    show('readback', f'SELECT id, v, n FROM {table} WHERE id = %s', (100 + i,))
    commit()

for i in range(1, 11):
    cur.execute(f'UPDATE {table} SET n = %s WHERE id = %s', (1000 + i, 100 + i))
    commit()
    cur.execute(f'SELECT n FROM {table} WHERE id = %s', (100 + i,))
    row = cur.fetchone()
    print('prepared', 100 + i, row[0] if row else '(no row)')
    commit()

for i in range(1, 11):
    cur.execute(f'SELECT id, n FROM {table} WHERE v = %s', (f'w{i}',))
    row = cur.fetchone()
    print('prepared-read', f'w{i}', f'{row[0]}|{row[1]}' if row else '(no row)')
commit()

conn.begin()
cur.execute(f"UPDATE {table} SET v = 'in trx' WHERE id = 101")
show('trx', f'SELECT v FROM {table} WHERE id = 101')
conn.commit()
show('after-trx', f'SELECT v FROM {table} WHERE id = 101')
show('total', f'SELECT COUNT(*), SUM(n) FROM {table}')
commit()
conn.close()
