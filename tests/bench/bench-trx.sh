#!/usr/bin/env bash
# bench-trx.sh — sysbench with its transactions (no --skip_trx) under
# LD_PRELOAD, optimistic_transactions = off | adaptive | on (issue 20).
#
# Interleaved runs (the order of the modes rotates from run to run), medians of
# tps; "ign" is sysbench's ignored errors (deadlocks it retries: 1213 from its
# own threads, and from transactions that could not move to the primary);
# "repl%" the share of SELECTs the replicas executed (servers' Com_select).
# Figures only: never fails on speed; exit status 1 when a run had a FATAL error.
#
#   source DIR/env            # tests/topology.sh start DIR
#   tests/bench/bench-trx.sh [BUILD_DIR]           # default: build
#
# Environment: SB_TIME (seconds per run, default 5), SB_RUNS (default 5),
# SB_THREADS (default 4), SB_TESTS (default "oltp_read_write oltp_read_only"),
# SB_MODES (default "off adaptive on").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
so=$build/lib/libwescale.so
SB_TIME=${SB_TIME:-5} SB_RUNS=${SB_RUNS:-5} SB_THREADS=${SB_THREADS:-4}
SB_TESTS=${SB_TESTS:-"oltp_read_write oltp_read_only"} SB_MODES=${SB_MODES:-"off adaptive on"}
[ -n "${WS_TEST_CONFIG:-}" ] || { echo "source the topology's env first" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for m in $SB_MODES; do
	sed "/^\[cluster/a optimistic_transactions = $m" "$WS_TEST_CONFIG" >"$tmp/conf.$m"
done
admin() { "$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"; }
com_select() { admin "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"; }
sb=(sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$WS_TEST_PRIMARY_PORT"
    --mysql-user="$WS_TEST_USER" --mysql-password="$WS_TEST_PASSWORD" --mysql-db="$WS_TEST_DB"
    --tables=2 --table-size=10000 --report-interval=0)
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1
"${sb[@]}" oltp_read_write prepare >/dev/null 2>&1 || { echo "prepare failed" >&2; exit 1; }
catch_up() { # the replicas apply everything the primary has
	local want
	want=$(admin "$WS_TEST_PRIMARY_PORT" "SELECT @@gtid_binlog_pos")
	for p in $WS_TEST_REPLICA1_PORT $WS_TEST_REPLICA2_PORT; do
		admin "$p" "SELECT MASTER_GTID_WAIT('$want', 30)" >/dev/null
	done
}
catch_up
status=0
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
modes=($SB_MODES)
for t in $SB_TESTS; do
	for run in $(seq "$SB_RUNS"); do
		for k in "${!modes[@]}"; do
			m=${modes[$(( (k + run) % ${#modes[@]} ))]}
			before=(); for p in $WS_TEST_PORTS; do before+=("$(com_select "$p")"); done
			WESCALE_CONFIG="$tmp/conf.$m" LD_PRELOAD="$so" timeout $((SB_TIME + 60)) "${sb[@]}" "$t" --threads="$SB_THREADS" \
				--time="$SB_TIME" run >"$tmp/out" 2>&1 || status=1
			grep -q FATAL "$tmp/out" && status=1
			after=(); for p in $WS_TEST_PORTS; do after+=("$(com_select "$p")"); done
			d0=$((after[0] - before[0])) dr=$((after[1] - before[1] + after[2] - before[2]))
			echo "$(awk '/transactions:/ {gsub(/\(/, "", $3); print $3}' "$tmp/out") \
$(awk '/ignored errors:/ {print $3}' "$tmp/out") $((dr * 100 / (d0 + dr + 1)))" >>"$tmp/$t.$m"
			catch_up # before the next run
		done
	done
	base=$(cut -d' ' -f1 "$tmp/$t.off" 2>/dev/null | median)
	for m in $SB_MODES; do
		tps=$(cut -d' ' -f1 "$tmp/$t.$m" | median)
		printf '%-16s %2s thr  %-9s tps %8.1f (runs: %s)  x %.2f  ign %s  repl%% %s\n' "$t" "$SB_THREADS" "$m" "$tps" \
			"$(cut -d' ' -f1 "$tmp/$t.$m" | tr '\n' ' ')" "$(echo "$tps ${base:-$tps}" | awk '{print $1 / $2}')" \
			"$(cut -d' ' -f2 "$tmp/$t.$m" | tr '\n' ',' | sed 's/,$//')" "$(cut -d' ' -f3 "$tmp/$t.$m" | median)"
	done
done
"${sb[@]}" oltp_read_write cleanup >/dev/null 2>&1
exit $status
