#!/usr/bin/env python3
"""The client matrix: which real clients libwescale works with, measured.

    matrix.py --build BUILD_DIR --so LIBWESCALE_SO [--check] [--details] [--update-readme README] [CLIENT...]

Run by tests/clients/matrix.sh (which builds and starts a topology when there
is none) and, one client per test, by `meson test` (suite `clients`). Needs a
topology in the environment (tests/topology.sh's WS_TEST_*).

For each client, the same work runs twice — once on a direct connection
(without libwescale), once through libwescale (preloaded, or linked) — with a
hard timeout each (a hang is a reported failure, never a stuck CI). What the
servers themselves saw is read from each node's general log (statements of the
application's user only: the monitor runs as its own user here, replication
applies rows without statements): reads on the replicas, writes on the primary.
The transcripts of the two runs (every row read) are compared line by line:
a line that differs is a stale or wrong row.

Prints one Markdown table (the README's "Does my client work?"). With --check,
exits 1 when a row breaks what must hold for every client (no error, no stale
or wrong row, every write on the primary) or its line of EXPECTED below.
"""
import argparse
import difflib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

# ============================================================================
# EXPECTED RESULTS — the one table to edit when a fix lands.
#
#   min_replica_pct  the least share of the client's reads that must run on the
#                    replicas (autocommit-on clients: 80; read-mostly clients
#                    whose reads are all inside transactions: 90, since
#                    transactions start on replicas).
#   known_bug        a failure that is tolerated today: the row is printed as
#                    "known bug" and --check passes. "-" = none. Kinds: hang,
#                    wrong-rows, errors (several joined by "+"). To make the bug
#                    fail CI again, replace it with "-" (one edit; the comment
#                    says who is on it).
# ============================================================================
EXPECTED = {
    # client               min_replica_pct, known_bug, why reads stay on the primary (when they may)
    'c-linked':            (80, '-', ''),
    'c-preload':           (80, '-', ''),
    'c-nonblock':          (0, '-', 'the non-blocking API runs on the primary (see Limitations)'),
    'python-autocommit':   (80, '-', ''),
    'python-default':      (90, '-', ''),
    'perl-dbd-mysql':      (80, '-', ''),
    'perl-dbd-mysql-ps':   (80, '-', ''),
    'perl-dbd-mariadb':    (80, '-', ''),
    'ruby-mysql2':         (80, '-', ''),
    'sysbench-ro-skiptrx': (80, '-', ''),
    'sysbench-ro':         (95, '-', ''),
    'sysbench-rw':         (0, '-', 'its transactions write: after a few, optimistic_transactions = adaptive starts them on the primary'),
}
# What each known bug is, for the table.
KNOWN_BUGS = {
}
# ============================================================================

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 40          # per run; every client's work takes 1-3 s
SYSBENCH_EVENTS = 300   # a fixed amount of work, not a duration


def debian_python():
    return '/usr/bin/python3' if os.access('/usr/bin/python3', os.X_OK) else 'python3'


def sysbench(test, *extra):
    e = os.environ
    return ['sysbench', test, '--db-driver=mysql', '--mysql-host=127.0.0.1',
            '--mysql-port=' + e['WS_TEST_PRIMARY_PORT'], '--mysql-user=' + e['WS_TEST_USER'],
            '--mysql-password=' + e['WS_TEST_PASSWORD'], '--mysql-db=wstest2', '--tables=1',
            '--table-size=1000', '--threads=2', '--report-interval=0'] + list(extra)


# name: (what the row says, how libwescale gets in, command; TABLE is replaced by the table name)
def clients(build):
    cdir = os.path.join(build, 'tests', 'clients')
    py, pl, rb = debian_python(), os.path.join(HERE, 'client.pl'), os.path.join(HERE, 'client.rb')
    sb_run = ['--time=0', '--events=%d' % SYSBENCH_EVENTS, 'run']
    return {
        'c-linked': ('C (MySQL C API)', 'linked', [os.path.join(cdir, 'client-linked'), 'TABLE']),
        'c-preload': ('C, built against libmariadb', 'preload',
                      [os.path.join(cdir, 'client-plain'), 'TABLE']),
        'c-nonblock': ('C, non-blocking API (`mysql_real_query_start`/`_cont`)', 'linked',
                       [os.path.join(cdir, 'client-nonblock'), 'TABLE']),
        'python-autocommit': ('Python MySQLdb (`python3-mysqldb`), `autocommit=True`', 'preload',
                              [py, os.path.join(HERE, 'client.py'), 'TABLE', 'on']),
        'python-default': ('Python MySQLdb, autocommit off (the DB-API default)', 'preload',
                           [py, os.path.join(HERE, 'client.py'), 'TABLE', 'off']),
        'perl-dbd-mysql': ('Perl DBD::mysql (`libdbd-mysql-perl`)', 'preload', ['perl', pl, 'TABLE', 'mysql']),
        'perl-dbd-mysql-ps': ('Perl DBD::mysql, `mysql_server_prepare=1`', 'preload',
                              ['perl', pl, 'TABLE', 'mysql-ps']),
        'perl-dbd-mariadb': ('Perl DBD::MariaDB (`libdbd-mariadb-perl`)', 'preload',
                             ['perl', pl, 'TABLE', 'mariadb']),
        'ruby-mysql2': ('Ruby mysql2 (`ruby-mysql2`)', 'preload', ['ruby', rb, 'TABLE']),
        'sysbench-ro-skiptrx': ('sysbench `oltp_read_only --skip_trx=on`', 'preload',
                                sysbench('oltp_read_only', '--skip_trx=on', *sb_run)),
        'sysbench-ro': ('sysbench `oltp_read_only`', 'preload', sysbench('oltp_read_only', *sb_run)),
        'sysbench-rw': ('sysbench `oltp_read_write`', 'preload', sysbench('oltp_read_write', *sb_run)),
    }


def sql(port, text, db=''):
    """Run SQL as the admin user on one node; return its rows (tab-separated lines)."""
    e = os.environ
    r = subprocess.run([e['WS_TEST_MYSQL'], '--no-defaults', '-h127.0.0.1', '-P%s' % port,
                        '-u' + e['WS_TEST_ADMIN_USER'], '-p' + e['WS_TEST_ADMIN_PASSWORD'], '-N', '-B', '-r',
                        '-e', text] + ([db] if db else []), capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise SystemExit('matrix: SQL on port %s failed: %s\n%s' % (port, text[:200], r.stderr))
    return [line.split('\t') for line in r.stdout.splitlines()]


def ports():
    return os.environ['WS_TEST_PORTS'].split()


def sync_replicas():
    pos = sql(ports()[0], 'SELECT @@gtid_binlog_pos')[0][0]
    for p in ports()[1:]:
        if sql(p, "SELECT MASTER_GTID_WAIT('%s', 30)" % pos)[0][0] != '0':
            raise SystemExit('matrix: replica %s did not reach %s' % (p, pos))


def seed(table):
    db = os.environ['WS_TEST_DB']
    rows = ', '.join("(%d, 's%d', %d)" % (i, i, i) for i in range(1, 11))
    sql(ports()[0], 'DROP TABLE IF EXISTS %s; CREATE TABLE %s (id INT PRIMARY KEY, v VARCHAR(40), n INT); '
        'INSERT INTO %s VALUES %s' % (table, table, table, rows), db)
    sync_replicas()


def general_log(on):
    for p in ports():
        if on:
            sql(p, "SET SESSION sql_log_bin = 0; SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1; "
                   'TRUNCATE TABLE mysql.general_log')
        else:
            sql(p, 'SET GLOBAL general_log = 0; SET SESSION sql_log_bin = 0; TRUNCATE TABLE mysql.general_log')


READ = re.compile(r'(SELECT|WITH|SHOW|DESC|DESCRIBE|EXPLAIN|VALUES|TABLE)\b', re.I)
WRITE = re.compile(r'(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE|RENAME|LOAD|CALL|DO|GRANT|'
                   r'REVOKE|HANDLER|XA|LOCK|SET\s+PASSWORD)\b', re.I)
# What libwescale itself sends before a read that must wait for a replica to
# catch up (in the same text, or alone before a prepared statement): part of
# that read, not a read of its own.
WAIT_PREFIX = re.compile(r'^\s*SELECT\s+MASTER_GTID_WAIT\([^)]*\)\s*;?\s*', re.I)
LEADING = re.compile(r'^(\s+|/\*.*?\*/|--[^\n]*\n|#[^\n]*\n|\()+', re.S)


def classify(text):
    s = WAIT_PREFIX.sub('', text.replace('\\n', '\n').replace('\\t', ' '))
    s = LEADING.sub('', s)
    if READ.match(s):
        return 'read'
    if WRITE.match(s):
        return 'write'
    return 'other'


def node_counts():
    """(reads, writes) of the application's user on each node, from its general log."""
    user = os.environ['WS_TEST_USER']
    out = []
    for p in ports():
        rows = sql(p, "SELECT argument FROM mysql.general_log WHERE user_host LIKE '%s[%%' "
                      "AND command_type IN ('Query', 'Execute')" % user)
        kinds = [classify(r[0]) for r in rows if r]
        out.append((kinds.count('read'), kinds.count('write')))
    return out


def run(cmd, env, timeout):
    """(exit status or 'hang', stdout, stderr): the whole process group is killed on timeout."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return 'hang', out, err


def environments(how, so, config):
    """The environment of the run through libwescale, and of the direct run."""
    base = dict(os.environ)
    for k in ('LD_PRELOAD', 'WESCALE_CONFIG', 'WESCALE_DISABLE'):
        base.pop(k, None)
    routed, direct = dict(base), dict(base)
    routed['WESCALE_CONFIG'] = config
    if how == 'preload':
        prefix = os.environ.get('WS_TEST_PRELOAD_PREFIX')  # ASan runtimes first (tests/run.sh)
        routed['LD_PRELOAD'] = prefix + ':' + so if prefix else so
        if prefix:
            routed['ASAN_OPTIONS'] = 'detect_leaks=0'  # the foreign program's leaks are not ours
    else:
        direct['WESCALE_DISABLE'] = '1'  # the same binary as a plain pass-through
    return routed, direct


def errors_of(rc, out, err, name):
    if rc == 'hang':
        return ['hang: no answer within %d s' % TIMEOUT_S]
    errs = [line for line in err.splitlines() if line.startswith('ERROR') or 'FATAL' in line]
    errs += [line for line in out.splitlines() if 'FATAL' in line]
    if rc != 0 and not errs:
        errs = ['exit status %s: %s' % (rc, (err.strip().splitlines() or ['(no message)'])[-1])]
    return errs


def measure(name, spec, so, config):
    label, how, cmd = spec
    table = 'cl_' + name.replace('-', '_')
    cmd = [table if a == 'TABLE' else a for a in cmd]
    routed_env, direct_env = environments(how, so, config)
    is_sysbench = name.startswith('sysbench')
    row = {'name': name, 'label': label, 'how': how}
    if is_sysbench:
        prep = [a for a in cmd if a not in ('run',) and not a.startswith(('--time=', '--events='))]
        sql(ports()[0], 'DROP TABLE IF EXISTS wstest2.sbtest1')
        rc, out, err = run(prep + ['prepare'], direct_env, TIMEOUT_S)
        if rc != 0:
            raise SystemExit('matrix: sysbench prepare failed: %s %s' % (out[-500:], err[-500:]))
        sync_replicas()
        direct = None
    else:
        seed(table)
        rc, direct, err = run(cmd, direct_env, TIMEOUT_S)
        if rc != 0:
            raise SystemExit('matrix: %s fails on a direct connection too (%s): %s' % (name, rc, err[-500:]))
        seed(table)
    general_log(True)
    try:
        rc, out, err = run(cmd, routed_env, TIMEOUT_S)
        counts = node_counts()
    finally:
        general_log(False)
    if is_sysbench:
        sql(ports()[0], 'DROP TABLE IF EXISTS wstest2.sbtest1')
        retried = re.search(r'ignored errors:\s+(\d+)', out)
        row['note'] = '%s deadlock retries by sysbench' % retried.group(1) if retried and retried.group(1) != '0' else ''
        row['stale'] = None
    else:
        sql(ports()[0], 'DROP TABLE IF EXISTS %s' % table, os.environ['WS_TEST_DB'])
        want, got = direct.splitlines(), out.splitlines()
        sm = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
        matched = sum(b.size for b in sm.get_matching_blocks())
        # Lines printed that the direct run did not print; and, when the run
        # completed, lines missing (a run stopped by an error or a hang is
        # reported as such, not as missing rows).
        row['stale'] = len(got) - matched
        if rc == 0:
            row['stale'] = max(row['stale'], len(want) - matched)
        row['diff'] = [d for d in difflib.unified_diff(want, got, 'direct', 'libwescale', n=0, lineterm='')][:12]
        row['note'] = ''
    row['errors'] = errors_of(rc, out, err, name)
    row['rc'] = rc
    row['reads'] = [c[0] for c in counts]
    row['writes'] = [c[1] for c in counts]
    return row


def judge(row):
    """Fills row['verdict'] and row['ok']."""
    min_pct, known, why = EXPECTED[row['name']]
    reads, writes = row['reads'], row['writes']
    total_r, total_w = sum(reads), sum(writes)
    pct = 100.0 * sum(reads[1:]) / total_r if total_r else None
    row['pct'] = pct
    problems = []   # (kind, text)
    if row['rc'] == 'hang':
        problems.append(('hang', 'hangs (killed after %d s)' % TIMEOUT_S))
    elif row['errors']:
        problems.append(('errors', 'error: ' + row['errors'][0][:120]))
    if row['stale']:
        problems.append(('wrong-rows', '%d stale or wrong row(s)' % row['stale']))
    if sum(writes[1:]):
        problems.append(('writes', '%d write(s) sent to a replica' % sum(writes[1:])))
    if total_r == 0 and row['rc'] != 'hang':
        problems.append(('reads', 'no read reached any server'))
    elif pct is not None and pct < min_pct and row['rc'] != 'hang':
        problems.append(('share', '%.0f %% of reads on replicas, expected at least %d %%' % (pct, min_pct)))
    kinds = set(known.split('+'))
    # A hang stops the work: the shares and rows it did not reach come with it.
    tolerated = [p for p in problems if p[0] in kinds
                 or ('hang' in kinds and row['rc'] == 'hang' and p[0] in ('share', 'reads', 'wrong-rows'))]
    if problems and len(tolerated) == len(problems):
        row['ok'] = True
        row['verdict'] = 'known bug (%s): %s' % (KNOWN_BUGS.get(row['name'], known),
                                                 '; '.join(p[1] for p in problems))
    elif problems:
        row['ok'] = False
        row['verdict'] = '**FAIL**: ' + '; '.join(p[1] for p in problems)
    else:
        row['ok'] = True
        if why and (pct or 0) < 80:
            row['verdict'] = 'works; reads stay on the primary: ' + why
        else:
            row['verdict'] = 'works'
        if known != '-':
            row['verdict'] = 'works in this run; known bug, not seen this time: %s' % KNOWN_BUGS.get(row['name'], known)
    if row['note']:
        row['verdict'] += ' (%s)' % row['note']


def fmt_pct(row):
    if row['pct'] is None:
        return '—'
    return '%.0f %% (%d of %d)' % (row['pct'], sum(row['reads'][1:]), sum(row['reads']))


def markdown(rows):
    lines = ['| client | libwescale | reads on replicas | writes on the primary | errors | stale or wrong rows | result |',
             '|---|---|---|---|---|---|---|']
    for r in rows:
        w = sum(r['writes'])
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            r['label'], '`LD_PRELOAD`' if r['how'] == 'preload' else 'linked',
            fmt_pct(r), '%d of %d' % (r['writes'][0], w) if w else '—',
            'hang' if r['rc'] == 'hang' else len(r['errors']),
            'n/a (no checks in sysbench)' if r['stale'] is None else r['stale'], r['verdict']))
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', required=True)
    ap.add_argument('--so', required=True)
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--details', action='store_true', help='per-node counts and diffs on stderr')
    ap.add_argument('--update-readme', metavar='README', help='replace the table in README with this run\'s')
    ap.add_argument('client', nargs='*')
    a = ap.parse_args()
    for v in ('WS_TEST_PORTS', 'WS_TEST_CONFIG', 'WS_TEST_MYSQL', 'WS_TEST_USER', 'WS_TEST_DB'):
        if not os.environ.get(v):
            raise SystemExit('FAIL: %s is not set: no topology in the environment '
                             '(tests/clients/matrix.sh starts one)' % v)
    if a.update_readme and a.client:
        raise SystemExit('matrix: --update-readme takes the whole matrix (no CLIENT names)')
    all_clients = clients(a.build)
    for prog in ('client-linked', 'client-plain', 'client-nonblock'):
        if not os.access(os.path.join(a.build, 'tests', 'clients', prog), os.X_OK):
            raise SystemExit('matrix: %s/tests/clients/%s is not built (a build with -Dtests=true is needed)'
                             % (a.build, prog))
    names = a.client or list(all_clients)
    for n in names:
        if n not in all_clients:
            raise SystemExit('matrix: unknown client %s (one of: %s)' % (n, ', '.join(all_clients)))
    # The topology's configuration, with the monitor on its own user, so that
    # the general logs show the application's statements only.
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, 'wescale.conf')
        with open(os.environ['WS_TEST_CONFIG']) as f:
            text = f.read()
        with open(config, 'w') as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text.rstrip('\n') + '\nmonitor_user = monitor\nmonitor_password = monitor-pw\n')
        rows = []
        for n in names:
            t0 = time.monotonic()
            row = measure(n, all_clients[n], a.so, config)
            judge(row)
            rows.append(row)
            if a.details or (a.check and not row['ok']):
                print('%s (%.1f s): reads per node %s, writes per node %s (primary first)'
                      % (n, time.monotonic() - t0, row['reads'], row['writes']), file=sys.stderr)
                for e in row['errors'][:5]:
                    print('  ' + e, file=sys.stderr)
                for d in row.get('diff', []):
                    print('  ' + d, file=sys.stderr)
    table = markdown(rows)
    print(table)
    if a.update_readme:
        with open(a.update_readme) as f:
            text = f.read()
        start = text.index(table.split('\n')[0])
        end = text.index('\n\n', start)
        with open(a.update_readme, 'w') as f:
            f.write(text[:start] + table + text[end:])
    if a.check and not all(r['ok'] for r in rows):
        sys.exit(1)


if __name__ == '__main__':
    main()
