#!/usr/bin/env bash
# test-examples.sh BUILD_ROOT SOURCE_ROOT LIBWESCALE_SO — every example of
# examples/ and the Python binding, run as a user would, against the topology
# in the environment (tests/topology.sh's WS_TEST_*; without it: FAIL).
#
# Checks each program's exit status and the lines that show what it
# demonstrates: which server ran what (@@server_id, wescale_last_backend), rows
# read back, the statistics JSON, the replicas' Com_select under sysbench, and
# a write loop that rides through a clean restart of the primary (which this
# test does with $WS_TEST_TOPOLOGY shutdown/restart, and waits for the
# replicas to catch up again afterwards). Drops the tables the examples make.
. "$(dirname "$0")/common.sh"
need_topology
build=${1:?usage: test-examples.sh BUILD_ROOT SOURCE_ROOT LIBWESCALE_SO}
src=${2:?usage: test-examples.sh BUILD_ROOT SOURCE_ROOT LIBWESCALE_SO}
so=${3:?usage: test-examples.sh BUILD_ROOT SOURCE_ROOT LIBWESCALE_SO}
for v in WS_TEST_CONFIG WS_TEST_DIR WS_TEST_TOPOLOGY WS_TEST_REPLICA1_PORT WS_TEST_REPLICA2_PORT WS_TEST_USER \
	WS_TEST_ADMIN_USER WS_TEST_DB WS_TEST_MYSQL; do
	[ -n "${!v:-}" ] || fail "$v is not set: no complete topology in the environment"
done
P=$WS_TEST_PRIMARY_PORT R1=$WS_TEST_REPLICA1_PORT R2=$WS_TEST_REPLICA2_PORT
export WESCALE_CONFIG=$WS_TEST_CONFIG
tmp=$(mktemp -d)
primary_down=0 loop_pid=""

admin_sql() { # admin_sql PORT SQL
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" \
		-N -B -e "$2"
}
sync_replicas() {
	local pos r
	pos=$(admin_sql "$P" "SELECT @@gtid_binlog_pos") || fail "cannot read the primary's GTID position"
	for r in "$R1" "$R2"; do
		[ "$(admin_sql "$r" "SELECT MASTER_GTID_WAIT('$pos', 30)")" = 0 ] ||
			fail "replica $r did not reach $pos"
	done
}
cleanup() {
	[ -n "$loop_pid" ] && kill "$loop_pid" 2>/dev/null
	[ "$primary_down" = 1 ] && "$WS_TEST_TOPOLOGY" restart "$WS_TEST_DIR" 0 >/dev/null 2>&1
	admin_sql "$P" "DROP TABLE IF EXISTS $WS_TEST_DB.ex_ryw, $WS_TEST_DB.ex_hints, $WS_TEST_DB.ex_prepared,
		$WS_TEST_DB.ex_failover, $WS_TEST_DB.ex_stats, $WS_TEST_DB.link_basic, $WS_TEST_DB.demo,
		$WS_TEST_DB.py_binding, $WS_TEST_DB.py_token, $WS_TEST_DB.sbtest1" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# run NAME CMD...: stdout and stderr in $tmp/NAME.out, exit status in $rc (60 s at most).
run() {
	local name=$1; shift
	timeout 60 "$@" >"$tmp/$name.out" 2>&1
	rc=$?
}
show() { echo "--- output of $1:"; cat "$tmp/$1.out"; }
expect_ok() { [ "$rc" = 0 ] || { show "$1"; fail "$1: exit status $rc"; }; }
has() { # has NAME REGEX: a line of the output matches
	grep -qE -- "$2" "$tmp/$1.out" || { show "$1"; fail "$1: no line matching '$2'"; }
}
example() { # example NAME ARGS...: the built example, through libwescale
	local name=$1; shift
	[ -x "$build/examples/$name" ] || fail "$build/examples/$name was not built"
	run "$name" "$build/examples/$name" "$@"
	expect_ok "$name"
}
# Environments (for `env`) of a foreign program with libwescale preloaded, and
# of one that loads libwescale itself (ctypes).
# Under ASan the sanitizer runtimes must come first, and the foreign program's
# own leaks are not ours to report (see preload() in common.sh).
with_preload=(env LD_PRELOAD="$so")
runtimes_first=(env)
if [ -n "${WS_TEST_PRELOAD_PREFIX:-}" ]; then
	with_preload=(env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$WS_TEST_PRELOAD_PREFIX:$so")
	runtimes_first=(env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$WS_TEST_PRELOAD_PREFIX")
fi

# link-basic.c and demo.c.
example link-basic
has link-basic "^value hello read from server [23]$"
has link-basic "^the write ran on 127\.0\.0\.1:$P$"
has link-basic "^the read ran on 127\.0\.0\.1:($R1|$R2)$"
has link-basic "^wrote and read back$"
pass "link-basic: the row read back on a replica"
example demo
has demo "stale reads \(row written just before not found\): 0 of [0-9]+"
# The demo's own statements per node, with replication and catch-up waits apart.
has demo "^  primary +127\.0\.0\.1:$P +300 +0 +0 +0$"
has demo "^  replica 1 +127\.0\.0\.1:$R1 +0 +[0-9]+ +300 +[0-9]+$"
has demo "^  replica 2 +127\.0\.0\.1:$R2 +0 +[0-9]+ +300 +[0-9]+$"
has demo "reads answered: 900 by replicas, 0 by the primary"
pass "demo: 0 stale reads; 300 INSERTs on the primary, none on the replicas (300 rows replicated), 900 reads on replicas"

# read-your-writes.c: session reads see their write on the replicas; primary reads on the primary.
example read-your-writes
has read-your-writes "^session: 5 of 5 reads saw their write, 0 ran on the primary$"
has read-your-writes "^primary: 5 of 5 reads ran on the primary \(127\.0\.0\.1:$P\)$"
[ "$(grep -cE "^session +wrote id [0-9]+, read back: row [0-9]+ +server_id [23] at 127\.0\.0\.1:($R1|$R2)$" \
	"$tmp/read-your-writes.out")" = 5 ] || { show read-your-writes; fail "read-your-writes: session reads"; }
[ "$(grep -cE "^primary +wrote id [0-9]+, read back: row [0-9]+ +server_id 1 at 127\.0\.0\.1:$P$" \
	"$tmp/read-your-writes.out")" = 5 ] || { show read-your-writes; fail "read-your-writes: primary reads"; }
has read-your-writes "^eventual: [0-5] of 5 reads saw their write"
has read-your-writes "^read-your-writes: ok$"
pass "read-your-writes: session 5/5 on replicas, primary 5/5 on the primary"

# hints.c: each statement's server, as @@server_id, is the one its hint asked for.
example hints
grep -q UNEXPECTED "$tmp/hints.out" && { show hints; fail "hints: a statement ran in the wrong place"; }
# "SQL" then "    -> primary|replica ADDR: @@server_id=N ...": pair them up.
awk '/^    -> / { sub(/.*@@server_id=/, ""); sub(/ .*/, ""); print prev " => " $0; next } { prev = $0 }' \
	"$tmp/hints.out" >"$tmp/hints.pairs"
want() { # want SQL IDS: the statement SQL ran on one of the servers IDS ("23": 2 or 3)
	awk -F ' => ' -v sql="$1" -v ids="$2" '$1 == sql && index(ids, $2) { found = 1 } END { exit !found }' \
		"$tmp/hints.pairs" || { show hints; fail "hints: '$1' did not run on server $2"; }
}
want "SELECT @@server_id" 23
want "/* wescale:route=primary */ SELECT @@server_id" 1
want "SELECT SQL_CALC_FOUND_ROWS @@server_id" 1
want "SELECT SQL_CALC_FOUND_ROWS @@server_id /* wescale:route=replica */" 23
want "SELECT @@server_id, CONNECTION_ID() /* wescale:route=replica */" 1
want "/* wescale:consistency=primary */ SELECT @@server_id, COUNT(*) FROM ex_hints" 1
want "/* wescale:consistency=eventual */ SELECT @@server_id" 23
grep -A2 -x "wescale_route_next(m, WESCALE_ROUTE_PRIMARY):" "$tmp/hints.out" | tail -1 | grep -q "@@server_id=1$" ||
	{ show hints; fail "hints: wescale_route_next did not send the next statement to the primary"; }
[ "$(tail -2 "$tmp/hints.out" | head -1 | grep -cE "@@server_id=[23]$")" = 1 ] ||
	{ show hints; fail "hints: wescale_route_next held for more than one statement"; }
has hints "^hints: ok$"
pass "hints: comment hints and wescale_route_next put each statement where asked"

# prepared.c: prepared inserts on the primary, the prepared read on replicas, every row back.
example prepared
[ "$(grep -cE "^INSERT id [0-9]+ +-> 127\.0\.0\.1:$P$" "$tmp/prepared.out")" = 6 ] ||
	{ show prepared; fail "prepared: inserts not on the primary"; }
[ "$(grep -cE "^SELECT id ([0-9]+) -> 'name \1' from server_id [23] at 127\.0\.0\.1:($R1|$R2)$" \
	"$tmp/prepared.out")" = 6 ] || { show prepared; fail "prepared: reads not answered by replicas"; }
has prepared "^6 of 6 inserts on the primary, 6 of 6 rows read back, 6 of 6 reads on replicas$"
pass "prepared: 6 executions of a prepared read on replicas, inserts on the primary"

# stats.c: the indented JSON parses, and shows the cluster with its nodes and their reads.
example stats
has stats "^stats: ok$"
sed '1d;$d' "$tmp/stats.out" >"$tmp/stats.json"
python3 - "$tmp/stats.json" "$P" "$R1" "$R2" <<'EOF' || { show stats; fail "stats: the JSON is not what was expected"; }
import json, sys
s = json.load(open(sys.argv[1]))
p, r1, r2 = ('127.0.0.1:' + a for a in sys.argv[2:5])
[c] = [c for c in s['clusters'] if any(n['address'] == p for n in c['nodes'])]
nodes = {n['address']: n for n in c['nodes']}
assert set(nodes) == {p, r1, r2}, nodes
assert nodes[p]['role'] == 'primary' and nodes[r1]['role'] == nodes[r2]['role'] == 'replica', nodes
assert nodes[r1]['queries'] + nodes[r2]['queries'] >= 6, nodes
assert sum(c['consistency_outcomes'][k] for k in ('replica_no_wait', 'replica_after_wait')) >= 6, c
EOF
pass "stats: wescale_stats_json shows the cluster, 3 nodes, the reads on the replicas"

# The Python binding with MySQLdb: under LD_PRELOAD, then loaded by the module itself.
py=$(debian_python)
"$py" -c 'import MySQLdb' 2>/dev/null || fail "$py has no MySQLdb (apt-get install python3-mysqldb)"
run python-preload "${with_preload[@]}" "$py" -B "$src/bindings/python/test_wescale.py"
expect_ok python-preload
has python-preload "^test_wescale.py: ok: "
run python-library "${runtimes_first[@]}" WESCALE_LIBRARY="$so" "$py" -B "$src/bindings/python/test_wescale.py"
expect_ok python-library
has python-library "^test_wescale.py: ok: "
pass "python binding: test_wescale.py under LD_PRELOAD and with WESCALE_LIBRARY"

# The binding installed as the README says for Debian 12, where pip may not
# install into the system's python3 (externally-managed-environment): on
# PYTHONPATH, and into a venv made with --system-site-packages (which keeps
# Debian's MySQLdb), from a copy of the source so the tree stays clean.
probe='import os, MySQLdb, wescale
c = MySQLdb.connect(host="127.0.0.1", port=int(os.environ["WS_TEST_PRIMARY_PORT"]), user=os.environ["WS_TEST_USER"],
                    passwd=os.environ["WS_TEST_PASSWORD"], db=os.environ["WS_TEST_DB"], autocommit=True)
c.cursor().execute("SELECT 1")
print("module", wescale.__file__)
print("backend", wescale.last_backend(c))'
run python-path "${with_preload[@]}" PYTHONPATH="$src/bindings/python" "$py" -B -c "$probe"
expect_ok python-path
has python-path "^module $src/bindings/python/wescale/__init__.py$"
has python-path "^backend 127\.0\.0\.1:($R1|$R2)$"
cp -r "$src/bindings/python" "$tmp/pysrc"
"$py" -m venv --system-site-packages "$tmp/venv" >"$tmp/venv.out" 2>&1 ||
	{ cat "$tmp/venv.out"; fail "python3 -m venv failed (apt-get install python3-venv)"; }
run pip "$tmp/venv/bin/pip" install --no-build-isolation --no-index "$tmp/pysrc"
expect_ok pip
run python-venv "${with_preload[@]}" "$tmp/venv/bin/python" -B -c "$probe"
expect_ok python-venv
has python-venv "^module $tmp/venv/lib/python3[.0-9]*/site-packages/wescale/__init__.py$"
has python-venv "^backend 127\.0\.0\.1:($R1|$R2)$"
pass "python binding: installed on PYTHONPATH, and by pip into a venv with --system-site-packages"

# preload-sysbench.sh: sysbench, unmodified, under the preload; the replicas serve the reads.
# WESCALE_CONFIG empty: the walk-through writes its own configuration, as for a new user.
# Not under ASan: sysbench hangs at exit when the ASan runtime is preloaded
# into it, with or without libwescale (glibc's locale lock in p11-kit's
# destructor; see tests/run.sh); the normal build runs it.
if [ -n "${WS_TEST_PRELOAD_PREFIX:-}" ]; then
	echo "note: preload-sysbench.sh not run: sysbench hangs at exit under the sanitizer runtimes"
else
	command -v sysbench >/dev/null || fail "sysbench is not installed (apt-get install sysbench)"
	sync_replicas
	run preload-sysbench env WESCALE_CONFIG= SYSBENCH_TIME=3 "$src/examples/preload-sysbench.sh" "$so"
	expect_ok preload-sysbench
	has preload-sysbench "intercepted: cluster walkthrough"
	has preload-sysbench "ignored errors: +0 "
	d0=$(awk '$1 == "primary" && $2 ~ /:'"$P"'$/ { sub(/\+/, "", $3); print $3 }' "$tmp/preload-sysbench.out")
	d1=$(awk '$1 == "replica" && $3 ~ /:'"$R1"'$/ { sub(/\+/, "", $4); print $4 }' "$tmp/preload-sysbench.out")
	d2=$(awk '$1 == "replica" && $3 ~ /:'"$R2"'$/ { sub(/\+/, "", $4); print $4 }' "$tmp/preload-sysbench.out")
	[ -n "$d0" ] && [ -n "$d1" ] && [ -n "$d2" ] ||
		{ show preload-sysbench; fail "preload-sysbench: no Com_select table"; }
	[ "$d1" -gt 500 ] && [ "$d2" -gt 500 ] && [ "$d0" -lt $(((d1 + d2) / 20)) ] ||
		{ show preload-sysbench; fail "preload-sysbench: the replicas did not serve the reads ($d0/$d1/$d2)"; }
	has preload-sysbench "^preload-sysbench: ok: "
	pass "preload-sysbench.sh: Com_select primary +$d0, replicas +$d1 and +$d2"
fi

# failover-loop.c: writes on one handle while the primary shuts down and comes back.
[ -x "$build/examples/failover-loop" ] || fail "failover-loop was not built"
sync_replicas
# Long enough to keep writing well after the restart, also in the (slower)
# sanitizer stage.
loop_seconds=12
[ -n "${WS_TEST_PRELOAD_PREFIX:-}" ] && loop_seconds=20
"$build/examples/failover-loop" 0 "$loop_seconds" >"$tmp/failover-loop.out" 2>&1 &
loop_pid=$!
for _ in $(seq 1 100); do
	grep -q "^writing:" "$tmp/failover-loop.out" && break
	kill -0 "$loop_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "^writing:" "$tmp/failover-loop.out" || { show failover-loop; fail "failover-loop did not start writing"; }
sleep 1.5
primary_down=1
"$WS_TEST_TOPOLOGY" shutdown "$WS_TEST_DIR" 0 || fail "could not shut the primary down"
sleep 1
"$WS_TEST_TOPOLOGY" restart "$WS_TEST_DIR" 0 >/dev/null || fail "could not restart the primary"
primary_down=0
timeout 60 tail --pid="$loop_pid" -f /dev/null
kill -0 "$loop_pid" 2>/dev/null && { show failover-loop; fail "failover-loop did not finish"; }
wait "$loop_pid"
rc=$?
loop_pid=""
# The restarted server counts from zero: what it counts came after the restart.
inserts_after=$(admin_sql "$P" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
	WHERE VARIABLE_NAME = 'COM_INSERT'")
expect_ok failover-loop
has failover-loop "^([0-9]+) of \1 acknowledged writes are in the table$"
has failover-loop "^failover-loop: ok$"
errors=$(grep -c "^write [0-9]*: error" "$tmp/failover-loop.out")
[ "$errors" -le 1 ] ||
	{ show failover-loop; fail "failover-loop: $errors errors (at most 1 outcome unknown expected)"; }
[ "$errors" = 0 ] || grep -qE "^write [0-9]+: error 2903 after .*outcome unknown" "$tmp/failover-loop.out" ||
	{ show failover-loop; fail "failover-loop: an error other than 'outcome unknown'"; }
[ "${inserts_after:-0}" -gt 100 ] ||
	{ show failover-loop; fail "failover-loop: no writes after the restart ($inserts_after)"; }
grep -E "^[0-9]+ writes in|^write [0-9]+:" "$tmp/failover-loop.out" | sed 's/^/      /'
pass "failover-loop: $errors 'outcome unknown', every acknowledged write present," \
	"$inserts_after writes after the restart"
sync_replicas
echo "ok: all examples"
