#!/usr/bin/env bash
#   client-dbd.sh LIBWESCALE_SO — Perl DBI under libwescale (issue 17): DBD::mysql
#   with client-side and server-side prepare, DBD::MariaDB with both; each run
#   by client-dbd.pl, which checks every row and where it was read.
. "$(dirname "$0")/common.sh"
need_topology
so=$1
perl=/usr/bin/perl
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for run in "mysql text" "mysql server" "MariaDB text" "MariaDB server"; do
	set -- $run
	"$perl" -MDBD::$1 -e1 2>/dev/null ||
		fail "no DBD::$1 (apt-get install libdbd-$(echo "$1" | tr A-Z a-z)-perl)"
	if WESCALE_CONFIG="$WS_TEST_CONFIG" WESCALE_LOG_LEVEL=debug preload "$so" \
		"$perl" "$(dirname "$0")/client-dbd.pl" "$1" "$2" >"$tmp/out" 2>"$tmp/err"; then
		grep -q "mysql_real_connect(127.0.0.1:$WS_TEST_PRIMARY_PORT) intercepted" "$tmp/err" ||
			fail "DBD::$1 ($2): the connection was not intercepted: $(head -5 "$tmp/err")"
		pass "$(cat "$tmp/out")"
	else
		echo "FAIL: DBD::$1 ($2): $(cat "$tmp/out") $(grep -v ": debug: " "$tmp/err" | tail -20)" >&2
		status=1
	fi
done
exit $status
