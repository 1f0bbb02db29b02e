#!/usr/bin/env bash
# test-token-handoff.sh TOKEN_HANDOFF — examples/token-handoff.c in CI (issue 22):
# a writer process hands a consistency token to a reader process through a pipe,
# 1,000 rounds while replica 1 lags (MASTER_DELAY=1). Passes when the reader
# read 0 stale rows and replicas (@@server_id other than 1) served at least 90%
# of its reads; the control (the reader drops the tokens) must read stale rows,
# which proves the lag is real.
. "$(dirname "$0")/common.sh"
need_topology
example=${1:?usage: test-token-handoff.sh TOKEN_HANDOFF}
export WESCALE_CONFIG=$WS_TEST_CONFIG
R1=$WS_TEST_REPLICA1_PORT
tmp=$(mktemp -d)

admin_sql() { # admin_sql PORT SQL
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" \
		-N -B -e "$2"
}
delay() { admin_sql "$R1" "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=$1; START SLAVE"; }
cleanup() {
	delay 0 || true
	admin_sql "$WS_TEST_PRIMARY_PORT" "DROP TABLE IF EXISTS $WS_TEST_DB.ex_token" >/dev/null 2>&1
	pos=$(admin_sql "$WS_TEST_PRIMARY_PORT" "SELECT @@gtid_binlog_pos")
	admin_sql "$R1" "SELECT MASTER_GTID_WAIT('$pos', 30)" >/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

delay 1 || fail "cannot delay replica $R1"
timeout 120 "$example" 1000 >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ "$rc" = 0 ] || fail "token-handoff: exit status $rc"
grep -qE "^reader: 1000 rounds, stale reads: 0, served by replicas: [0-9]+$" "$tmp/out" ||
	fail "token-handoff: stale reads, or not 1000 rounds"
served=$(sed -nE 's/^reader: 1000 rounds, stale reads: 0, served by replicas: ([0-9]+)$/\1/p' "$tmp/out")
[ "$served" -ge 900 ] || fail "token-handoff: replicas served only $served of 1000 reads"
pass "token-handoff: 1000 rounds, 0 stale reads, $served served by replicas, replica $R1 delayed 1 s"

TOKEN_HANDOFF_CONTROL=1 timeout 60 "$example" 200 >"$tmp/control" 2>&1
stale=$(sed -nE 's/^reader: 200 rounds, stale reads: ([0-9]+),.*/\1/p' "$tmp/control")
[ -n "$stale" ] && [ "$stale" -gt 0 ] || { cat "$tmp/control"; fail "control: no stale read without tokens"; }
pass "control: without the tokens, $stale of 200 reads were stale"
