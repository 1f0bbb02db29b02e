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
# Re-run the (cleaned) prepare for the read-only phase below.
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

# oltp_read_only in autocommit mode (--skip_trx: sysbench otherwise wraps each
# event in BEGIN/COMMIT, which keeps it on the primary): the reads land on the
# replicas (their Com_select rises), none fail.
com_select() { # PORT
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B \
		-e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"
}
ro=(sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$WS_TEST_PRIMARY_PORT"
    --mysql-user="$WS_TEST_USER" --mysql-password="$WS_TEST_PASSWORD" --mysql-db="$WS_TEST_DB"
    --tables=2 --table-size=2000 --threads=4 --time=5 --report-interval=0 --skip_trx=on)
preload "$so" "${sb[@]}" prepare >/dev/null 2>&1 || fail "prepare for oltp_read_only failed"
before=(); for p in $WS_TEST_PORTS; do before+=("$(com_select "$p")"); done
WESCALE_CONFIG="$WS_TEST_CONFIG" preload "$so" "${ro[@]}" run >"$tmp/ro.out" 2>"$tmp/ro.err" ||
	fail "sysbench oltp_read_only failed: $(tail -5 "$tmp/ro.out" "$tmp/ro.err")"
after=(); for p in $WS_TEST_PORTS; do after+=("$(com_select "$p")"); done
preload "$so" "${sb[@]}" cleanup >/dev/null 2>&1
grep -q FATAL "$tmp/ro.out" "$tmp/ro.err" && fail "oltp_read_only hit an error"
tx=$(awk '/transactions:/ {print $2}' "$tmp/ro.out")
d0=$((after[0] - before[0])) d1=$((after[1] - before[1])) d2=$((after[2] - before[2]))
echo "Com_select during oltp_read_only ($tx transactions): primary +$d0, replica1 +$d1, replica2 +$d2"
[ "$d1" -gt 1000 ] && [ "$d2" -gt 1000 ] || fail "the replicas did not serve the reads"
[ "$d0" -lt $(( (d1 + d2) / 20 )) ] || fail "the primary served more than 5% of the reads"
echo "ok: oltp_read_only reads went to the replicas, 0 errors"
