#!/usr/bin/env bash
# test-cli.sh WESCALE_CLI — the wescale(1) tool against the real topology:
# check-config and status on a good config, a typo, a closed port, swapped
# roles, a stopped replica; --json parsed by python3; status --socket of a live
# process (table, --prometheus, --json); --password scrubbed from argv; no
# password in any output.
. "$(dirname "$0")/common.sh"
need_topology
cli=${1:?usage: test-cli.sh WESCALE_CLI}
src=$(cd "$(dirname "$0")/../.." && pwd)
P=$WS_TEST_PRIMARY_PORT R1=$WS_TEST_REPLICA1_PORT R2=$WS_TEST_REPLICA2_PORT
tmp=$(mktemp -d)
stopped=0
admin_sql() { # admin_sql PORT SQL
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"
}
cleanup() {
	[ "$stopped" = 1 ] && admin_sql "$R2" "START SLAVE SQL_THREAD" >/dev/null 2>&1
	admin_sql "$P" "DROP TABLE IF EXISTS wstest.cli_probe" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# run NAME ARGS...: the tool's stdout in $tmp/NAME.out, stderr in .err, status in $rc.
run() {
	local name=$1; shift
	"$cli" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}
show() { echo "--- stdout:"; cat "$tmp/$1.out"; echo "--- stderr:"; cat "$tmp/$1.err"; }
expect_rc() { # expect_rc NAME WANT
	[ "$rc" = "$2" ] || { show "$1"; fail "$1: exit status $rc, expected $2"; }
}
has() { # has NAME TEXT: stdout contains TEXT
	grep -qF -- "$2" "$tmp/$1.out" || { show "$1"; fail "$1: no '$2' in the output"; }
}
# The check-config row of an address, as "CONFIGURED STATE SERVER_ID READ_ONLY ROLE".
row() { awk -v a="$2" '$1 != "problem:" && $2 == a { print $1, $3, $5, $6, $7 }' "$tmp/$1.out"; }
sync_replicas() {
	local pos r
	pos=$(admin_sql "$P" "SELECT @@gtid_binlog_pos") || fail "cannot read the primary's GTID position"
	for r in "$R1" "$R2"; do
		[ "$(admin_sql "$r" "SELECT MASTER_GTID_WAIT('$pos', 30)")" = 0 ] || fail "replica $r did not reach $pos"
	done
}
app=(--user "$WS_TEST_USER" --password "$WS_TEST_PASSWORD")

# --version, --help, usage errors.
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
run version --version
expect_rc version 0
grep -q "^wescale $version " "$tmp/version.out" || { show version; fail "--version does not print $version"; }
run help --help
expect_rc help 0
has help "usage: wescale check-config"
for bad in "frobnicate" "--frobnicate status" "" "check-config a b" "check-config --socket /x"; do
	# shellcheck disable=SC2086
	run usage $bad
	expect_rc usage 64
	[ -s "$tmp/usage.out" ] && { show usage; fail "'$bad': output on stdout"; }
	grep -q "^usage: wescale" "$tmp/usage.err" || { show usage; fail "'$bad': no usage on stderr"; }
done
pass "--version prints $version; --help exits 0; usage errors exit 64 with usage on stderr"

# The topology's own config, checked with the application user's credentials.
run good check-config "${app[@]}" "$WS_TEST_CONFIG"
expect_rc good 0
[ "$(row good "127.0.0.1:$P")" = "primary reachable 1 0 primary" ] || { show good; fail "primary row"; }
[ "$(row good "127.0.0.1:$R1")" = "replica reachable 2 1 replica" ] || { show good; fail "replica 1 row"; }
[ "$(row good "127.0.0.1:$R2")" = "replica reachable 3 1 replica" ] || { show good; fail "replica 2 row"; }
has good "cluster test"
has good "consistency             session"
has good "load_balance            round_robin"
has good "checked as              $WS_TEST_USER (from --user)"
[ "$(tail -1 "$tmp/good.out")" = "result: ok" ] || { show good; fail "last line is not 'result: ok'"; }
pass "check-config: server_id 1 primary on $P, 2 and 3 replicas on $R1 and $R2, exit 0"

# Same, with the file from $WESCALE_CONFIG and the credentials from the environment.
WESCALE_CONFIG=$WS_TEST_CONFIG WESCALE_USER=$WS_TEST_USER WESCALE_PASSWORD=$WS_TEST_PASSWORD run env check-config
expect_rc env 0
has env "from WESCALE_USER"
[ "$(row env "127.0.0.1:$P")" = "primary reachable 1 0 primary" ] || { show env; fail "primary row (env)"; }
pass "check-config: FILE from WESCALE_CONFIG, credentials from WESCALE_USER/WESCALE_PASSWORD"

# monitor_user/monitor_password in the file win over the command line.
monitor_conf() { # monitor_conf FILE MODE
	{ cat "$WS_TEST_CONFIG"; echo "monitor_user = $WS_TEST_ADMIN_USER"
	  echo "monitor_password = $WS_TEST_ADMIN_PASSWORD"; } >"$1"
	chmod "$2" "$1"
}
monitor_conf "$tmp/monitor.conf" 600
run monitor check-config --user nobody --password "$WS_TEST_PASSWORD" "$tmp/monitor.conf"
expect_rc monitor 0
has monitor "checked as              $WS_TEST_ADMIN_USER (from monitor_user)"
[ "$(row monitor "127.0.0.1:$R2")" = "replica reachable 3 1 replica" ] || { show monitor; fail "replica row (monitor)"; }
grep -q "warning:" "$tmp/monitor.out" && { show monitor; fail "warning for a 0600 file"; }
monitor_conf "$tmp/monitor644.conf" 644
run monitor644 check-config "$tmp/monitor644.conf"
expect_rc monitor644 1
has monitor644 "$tmp/monitor644.conf: contains passwords and is readable by other users (mode 644)"
pass "check-config: monitor_user/monitor_password from the file; world-readable file refused, exit 1"

# A typo: file:line: and the suggestion, exit 1, and the nodes are still checked.
{ cat "$WS_TEST_CONFIG"; echo "consistancy = eventual"; } >"$tmp/typo.conf"
typo_line=$(wc -l <"$tmp/typo.conf")
run typo check-config "${app[@]}" "$tmp/typo.conf"
expect_rc typo 1
has typo "$tmp/typo.conf:$typo_line: unknown key 'consistancy'"
has typo "did you mean 'consistency'?"
[ "$(row typo "127.0.0.1:$P")" = "primary reachable 1 0 primary" ] || { show typo; fail "nodes not checked after a config error"; }
grep -q "^result: .*1 configuration error" "$tmp/typo.out" || { show typo; fail "typo: last line"; }
run typo-json check-config --json "${app[@]}" "$tmp/typo.conf"
expect_rc typo-json 1
python3 - "$tmp/typo-json.out" "$tmp/typo.conf:$typo_line:" <<'EOF' || { show typo-json; fail "typo: JSON"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["errors"]) == 1 and r["errors"][0].startswith(sys.argv[2]), r["errors"]
assert r["exit_status"] == 1
EOF
run missing check-config "$tmp/no-such.conf"
expect_rc missing 1
has missing "$tmp/no-such.conf: No such file or directory"
pass "check-config: typo reported as FILE:$typo_line: with did-you-mean, exit 1; missing file exit 1"

# A closed port: the refusal, exit 2, said in the last line.
closed=$(free_port)
sed "s/^replicas *=.*/&, 127.0.0.1:$closed/" "$WS_TEST_CONFIG" >"$tmp/closed.conf"
run closed check-config "${app[@]}" "$tmp/closed.conf"
expect_rc closed 2
awk -v a="127.0.0.1:$closed" '$2 == a' "$tmp/closed.out" | grep -qF "refused (2002)" ||
	{ show closed; fail "no 'refused (2002)' in the row of the closed port"; }
has closed "problem: 127.0.0.1:$closed (replica): unreachable: Connection refused"
grep -q "^result: 1 node unreachable; exit status 2$" "$tmp/closed.out" || { show closed; fail "closed: last line"; }
pass "check-config: closed port $closed refused (2002), exit 2"

# A replica named as the primary: both role problems, exit 2.
cat >"$tmp/swapped.conf" <<EOF
[cluster swapped]
primary = 127.0.0.1:$R1
replicas = 127.0.0.1:$P, 127.0.0.1:$R2
EOF
run swapped check-config "${app[@]}" "$tmp/swapped.conf"
expect_rc swapped 2
[ "$(row swapped "127.0.0.1:$R1")" = "primary reachable 2 1 replica" ] || { show swapped; fail "swapped primary row"; }
has swapped "problem: 127.0.0.1:$R1 (primary): configured as primary but read_only=1"
has swapped "problem: 127.0.0.1:$P (replica): configured as replica but writable (read_only=0)"
grep -q "^result: .*2 role problems.*exit status 2$" "$tmp/swapped.out" || { show swapped; fail "swapped: last line"; }
pass "check-config: replica configured as primary and primary as replica: role problems, exit 2"

# Wrong password: access denied, and the password is not echoed.
run denied status --user "$WS_TEST_USER" --password "not-the-pw-31337" "$WS_TEST_CONFIG"
expect_rc denied 2
has denied "access denied (1045)"
grep -qF "not-the-pw-31337" "$tmp/denied.out" "$tmp/denied.err" && { show denied; fail "wrong password printed"; }
pass "status: wrong password gives access denied (1045), exit 2"

# --json: one valid object with the node list.
run json check-config --json "${app[@]}" "$WS_TEST_CONFIG"
expect_rc json 0
python3 -m json.tool "$tmp/json.out" >/dev/null || { show json; fail "check-config --json is not valid JSON"; }
python3 - "$tmp/json.out" "$P" "$R1" "$R2" <<'EOF' || { show json; fail "check-config --json content"; }
import json, sys
r = json.load(open(sys.argv[1]))
nodes = r["clusters"][0]["nodes"]
got = [(n["address"], n["configured_role"], n["server_id"], n["read_only"], n["role"], n["reachable"]) for n in nodes]
want = [("127.0.0.1:" + sys.argv[2], "primary", 1, False, "primary", True),
        ("127.0.0.1:" + sys.argv[3], "replica", 2, True, "replica", True),
        ("127.0.0.1:" + sys.argv[4], "replica", 3, True, "replica", True)]
assert got == want, got
assert r["clusters"][0]["name"] == "test" and r["exit_status"] == 0 and r["errors"] == []
assert all(n["problems"] == [] for n in nodes)
EOF
run closed-json check-config --json "${app[@]}" "$tmp/closed.conf"
expect_rc closed-json 2
python3 -m json.tool "$tmp/closed-json.out" >/dev/null || { show closed-json; fail "--json with a refused node is not valid JSON"; }
pass "check-config --json: valid JSON, 3 nodes with server_id, read_only and role"

# status: GTID distance 0 for both replicas once they are in sync.
admin_sql "$P" "CREATE TABLE IF NOT EXISTS wstest.cli_probe (i INT); INSERT INTO wstest.cli_probe VALUES (1)" ||
	fail "cannot write on the primary"
sync_replicas
run status status "${app[@]}" "$WS_TEST_CONFIG"
expect_rc status 0
# ADDRESS ROLE STATE SERVER_ID READ_ONLY LAG GTID DISTANCE; the distance is "N" with one
# replication domain, "D:N,D:N" with several (if an earlier test wrote in another domain).
# srow NAME ADDRESS: "ROLE STATE SERVER_ID READ_ONLY DISTANCE", DISTANCE as "D:N,…" always.
srow() {
	awk -v a="$2" '$1 == a { d = $8; if (d ~ /^-?[0-9]+$/) d = "0:" d; print $2, $3, $4, $5, d }' "$tmp/$1.out"
}
# zero_but DISTANCE [DOMAIN:N]: every domain at 0, except the one given.
zero_but() {
	local d=$1 want=${2:-} e
	[[ "$d" =~ ^[0-9]+:-?[0-9]+(,[0-9]+:-?[0-9]+)*$ ]] || return 1
	for e in ${d//,/ }; do
		[ "$e" = "$want" ] || [ "${e#*:}" = 0 ] || return 1
	done
	[ -z "$want" ] || [[ ",$d," == *",$want,"* ]]
}
check_srow() { # check_srow NAME ADDRESS "ROLE STATE ID RO" [DOMAIN:N]
	local got
	got=$(srow "$1" "$2")
	[ "${got% *}" = "$3" ] && zero_but "${got##* }" "${4:-}" ||
		{ show "$1"; fail "$1: row of $2 is '$got', expected '$3' and distance 0${4:+ except $4}"; }
}
[ "$(awk -v a="127.0.0.1:$P" '$1 == a { print $2, $3, $4, $5, $8 }' "$tmp/status.out")" = "primary up 1 0 -" ] ||
	{ show status; fail "status: primary row"; }
check_srow status "127.0.0.1:$R1" "replica up 2 1"
check_srow status "127.0.0.1:$R2" "replica up 3 1"
run status-json status --json "${app[@]}" "$WS_TEST_CONFIG"
expect_rc status-json 0
python3 - "$tmp/status-json.out" <<'EOF' || { show status-json; fail "status --json content"; }
import json, sys
nodes = json.load(open(sys.argv[1]))["clusters"][0]["nodes"]
d = [n["gtid_distance"] for n in nodes]
assert d[0] is None and all(x == "0" or all(e.endswith(":0") for e in x.split(",")) for x in d[1:]), d
EOF
pass "status: GTID distance 0 for both replicas in sync (text and JSON)"

# A replica whose SQL thread is stopped: one transaction behind, and said so.
admin_sql "$R2" "STOP SLAVE SQL_THREAD" || fail "cannot stop the SQL thread of $R2"
stopped=1
admin_sql "$P" "INSERT INTO wstest.cli_probe VALUES (2)" || fail "cannot write on the primary"
admin_sql "$R1" "SELECT MASTER_GTID_WAIT('$(admin_sql "$P" "SELECT @@gtid_binlog_pos")', 30)" >/dev/null
run behind status "${app[@]}" "$WS_TEST_CONFIG"
expect_rc behind 2
domain=$(admin_sql "$P" "SELECT @@gtid_domain_id") || fail "cannot read the primary's gtid_domain_id"
check_srow behind "127.0.0.1:$R1" "replica up 2 1"
check_srow behind "127.0.0.1:$R2" "replica up 3 1" "$domain:1"
has behind "problem: 127.0.0.1:$R2 (replica): replication SQL thread not running (No)"
admin_sql "$R2" "START SLAVE SQL_THREAD" || fail "cannot restart the SQL thread of $R2"
stopped=0
sync_replicas
run after status "${app[@]}" "$WS_TEST_CONFIG"
expect_rc after 0
pass "status: a stopped SQL thread shows distance 1 and the problem, exit 2; 0 again after restart"

# A statistics socket nobody serves: a clear error, exit 2 (the live socket is
# tested with a running process in test-rules.c).
run socket status --socket "$tmp/stats.sock"
expect_rc socket 2
grep -qF "is stats_socket set in the process's configuration" "$tmp/socket.err" ||
	{ show socket; fail "status --socket message"; }
run prom_usage status --prometheus
expect_rc prom_usage 64
pass "status --socket without a process: a clear error, exit 2; --prometheus needs --socket"

# A live process: a table by default, --prometheus and --json on request.
py=$(debian_python)
"$py" -c 'import MySQLdb' 2>/dev/null || fail "$py has no MySQLdb (apt-get install python3-mysqldb)"
{ echo "[global]"; echo "stats_socket = $tmp/live.sock"; sed '1,/^\[global\]/d' "$WS_TEST_CONFIG"; } >"$tmp/live.conf"
chmod 600 "$tmp/live.conf"
so=$(dirname "$cli")/../lib/libwescale.so
WESCALE_CONFIG="$tmp/live.conf" timeout 30 bash -c '. "$1"; shift; preload "$@"' _ "$(dirname "$0")/common.sh" "$so" \
	"$py" -c '
import os, time, MySQLdb
c = MySQLdb.connect(host="127.0.0.1", port=int(os.environ["WS_TEST_PRIMARY_PORT"]), user=os.environ["WS_TEST_USER"],
                    passwd=os.environ["WS_TEST_PASSWORD"], autocommit=True)
for _ in range(20):
    c.cursor().execute("SELECT 1")
time.sleep(4)' >"$tmp/live-app.out" 2>&1 &
app_pid=$!
for _ in $(seq 1 50); do [ -S "$tmp/live.sock" ] && break; sleep 0.1; done
sleep 0.5
run live status --socket "$tmp/live.sock"
expect_rc live 0
has live "cluster test: mariadb, load_balance round_robin, consistency session"
grep -qE "^  127\.0\.0\.1:$R1 +replica +yes " "$tmp/live.out" || { show live; fail "no row for replica 1"; }
grep -qE "^  127\.0\.0\.1:$P +primary +yes " "$tmp/live.out" || { show live; fail "no row for the primary"; }
has live "reads: 20 on a replica known to be caught up"
grep -q "^wescale_" "$tmp/live.out" && { show live; fail "Prometheus samples in the default output"; }
run live_prom status --socket "$tmp/live.sock" --prometheus
expect_rc live_prom 0
grep -q "^wescale_cluster_node_up{cluster=\"test\",node=\"127.0.0.1:$P\",role=\"primary\"} 1$" "$tmp/live_prom.out" ||
	{ show live_prom; fail "--prometheus: no up sample for the primary"; }
run live_json status --socket "$tmp/live.sock" --json
expect_rc live_json 0
python3 -m json.tool "$tmp/live_json.out" >/dev/null || { show live_json; fail "--json is not JSON"; }
wait "$app_pid" || { cat "$tmp/live-app.out"; fail "the process serving the socket failed"; }
pass "status --socket: a table by default, --prometheus samples, --json"

# --password is scrubbed from the argument list while the tool runs (as mysql -p):
# a node that accepts and never answers keeps it running for a while.
silent=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); open(sys.argv[2], "w").close()
c = [s.accept() for _ in range(8)]; time.sleep(30)' "$silent" "$tmp/silent.ready" &
silent_pid=$!
printf '[cluster silent]\nprimary = 127.0.0.1:%s\n' "$silent" >"$tmp/silent.conf"
for _ in $(seq 1 100); do [ -e "$tmp/silent.ready" ] && break; sleep 0.1; done
secret=scrub-me-$RANDOM
"$cli" check-config --user "$WS_TEST_USER" --password "$secret" "$tmp/silent.conf" >"$tmp/scrub.out" 2>&1 &
cli_pid=$!
sleep 0.7
cmdline=$(tr '\0' ' ' <"/proc/$cli_pid/cmdline" 2>/dev/null) || cmdline=""
"$cli" check-config --user "$WS_TEST_USER" --password="$secret" "$tmp/silent.conf" >"$tmp/scrub2.out" 2>&1 &
cli2_pid=$!
sleep 0.7
cmdline2=$(tr '\0' ' ' <"/proc/$cli2_pid/cmdline" 2>/dev/null) || cmdline2=""
wait "$cli_pid" "$cli2_pid"
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
[ -n "$cmdline" ] && [ -n "$cmdline2" ] || fail "the tool ended before its command line could be read"
case "$cmdline $cmdline2" in *"$secret"*) fail "--password is visible in /proc/PID/cmdline: $cmdline / $cmdline2" ;; esac
case "$cmdline" in *"--password x "*) ;; *) fail "--password's value not replaced by x: $cmdline" ;; esac
case "$cmdline2" in *"--password=x "*) ;; *) fail "--password=value not replaced by x: $cmdline2" ;; esac
pass "--password scrubbed from /proc/PID/cmdline while the tool runs ($cmdline)"

# No password anywhere, in any output of this test.
for pw in "$WS_TEST_PASSWORD" "$WS_TEST_ADMIN_PASSWORD"; do
	if grep -lF -- "$pw" "$tmp"/*.out "$tmp"/*.err; then
		fail "a password appears in the output above"
	fi
done
pass "no password in any output ($(ls "$tmp"/*.out | wc -l) runs)"
