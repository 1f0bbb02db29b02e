#!/usr/bin/env bash
# sysbench (linked against libmariadb.so.3) with libwescale preloaded: the run
# completes with 0 errors and every connection went through libwescale.
#   preload-sysbench.sh LIBWESCALE_SO
. "$(dirname "$0")/common.sh"
need_topology
so=$1
command -v sysbench >/dev/null || fail "sysbench is not installed (apt-get install sysbench)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sb=(sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$WS_TEST_PRIMARY_PORT"
    --mysql-user="$WS_TEST_USER" --mysql-password="$WS_TEST_PASSWORD" --mysql-db="$WS_TEST_DB"
    --tables=2 --table-size=2000 --threads=4 --time=5 --report-interval=0)
run() { # run PHASE
	WESCALE_CONFIG="$WS_TEST_CONFIG" WESCALE_LOG_LEVEL=debug preload "$so" "${sb[@]}" "$1" \
		>"$tmp/$1.out" 2>"$tmp/$1.err" || fail "sysbench $1 failed: $(tail -5 "$tmp/$1.out" "$tmp/$1.err")"
}
run prepare
run run
run cleanup
# sysbench stops with FATAL on any error outside its retry list; the retry list
# (1213 deadlock, 1020, 1205) are server-side conflicts between its own threads,
# which plain libmariadb sees just the same: reported, not failed on.
grep -q FATAL "$tmp/run.out" "$tmp/run.err" && fail "sysbench hit an error: $(grep FATAL "$tmp/run.out" "$tmp/run.err")"
retried=$(awk '/ignored errors:/ {print $3}' "$tmp/run.out")
tx=$(awk '/transactions:/ {print $2}' "$tmp/run.out")
[ "${tx:-0}" -gt 0 ] || fail "no transactions ran"
n=$(grep -c "mysql_real_connect(127.0.0.1:$WS_TEST_PRIMARY_PORT) intercepted: cluster test" "$tmp/run.err")
[ "$n" -ge 4 ] || fail "only $n of sysbench's 4+ connections were intercepted"
echo "ok: sysbench oltp_read_write under LD_PRELOAD: $tx transactions, 0 errors ($retried deadlock retries by sysbench), $n connections intercepted"
