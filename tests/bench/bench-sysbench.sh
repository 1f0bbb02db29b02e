#!/usr/bin/env bash
# bench-sysbench.sh — sysbench through three paths to the same topology (issue 11):
#
#   direct    sysbench (libmariadb.so.3) -> the primary
#   preload   WESCALE_CONFIG=<the topology's wescale.conf> LD_PRELOAD=libwescale.so sysbench
#             -> the primary's address; libwescale sends the reads to both replicas
#   pre-1r    the same with a configuration that lists replica 1 only: every read
#             on one server, as with direct (what libwescale itself costs, apart
#             from spreading reads over more servers on the same two cores)
#   haproxy   sysbench -> haproxy (tcp mode, on a free 127.0.0.1 port, started and
#             stopped here) -> the primary
#
# for oltp_read_only (--skip_trx=on: in autocommit, so the reads can go to
# replicas; sysbench otherwise wraps each event in BEGIN/COMMIT, which keeps it
# on the primary), oltp_point_select and oltp_read_write (transactions: primary
# only, the cost of going through libwescale without splitting), at 1, 4 and 16
# threads. Prints tps, the ratio to direct, p95 latency and errors: "err" counts
# failed runs and FATAL lines (must be 0); "ign" is sysbench's "ignored errors",
# the deadlocks (1213) between its own threads that oltp_read_write retries —
# plain libmariadb sees them too. "repl%" is the share of the SELECTs the
# replicas executed during the preload runs (the servers' Com_select counters).
# Medians over SB_RUNS runs, interleaved, the order of the modes rotating from
# run to run; after each oltp_read_write run the replicas catch up first. Figures only: never fails on speed; the
# exit status is 1 when any run had an error.
#
#   source DIR/env            # tests/topology.sh start DIR
#   tests/bench/bench-sysbench.sh [BUILD_DIR]      # default: build-perf
#
# Environment: SB_TIME (seconds per run, default 8), SB_RUNS (default 1),
# SB_THREADS (default "1 4 16"), SB_TESTS (default "oltp_read_only
# oltp_point_select oltp_read_write"), SB_TABLES (4), SB_TABLE_SIZE (10000).
# With the defaults the script takes about 5 minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-perf}
case "$build" in /*) ;; *) build=$root/$build ;; esac
so=$build/lib/libwescale.so
SB_TIME=${SB_TIME:-8}
SB_RUNS=${SB_RUNS:-1}
SB_THREADS=${SB_THREADS:-"1 4 16"}
SB_TESTS=${SB_TESTS:-"oltp_read_only oltp_point_select oltp_read_write"}
SB_TABLES=${SB_TABLES:-4}
SB_TABLE_SIZE=${SB_TABLE_SIZE:-10000}
db=wstest_sysbench

die() { echo "bench-sysbench: $*" >&2; exit 2; }
[ -n "${WS_TEST_PRIMARY_PORT:-}" ] || die "no topology: tests/topology.sh start DIR; source DIR/env"
[ -f "$so" ] || die "$so not found: meson setup build-perf --buildtype=release && ninja -C build-perf"
command -v sysbench >/dev/null || die "sysbench is not installed (apt-get install sysbench)"
haproxy=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)
[ -n "$haproxy" ] || echo "bench-sysbench: haproxy not found (apt-get install haproxy): no haproxy column" >&2

tmp=$(mktemp -d /tmp/bench-sysbench.XXXXXX)
haproxy_pid=
cleanup() {
	if [ -n "$haproxy_pid" ]; then
		kill "$haproxy_pid" 2>/dev/null || true
		wait "$haproxy_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sql() { # sql PORT SQL — as the admin user
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sb_common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user="$WS_TEST_USER"
	--mysql-password="$WS_TEST_PASSWORD" --mysql-db="$db" --tables="$SB_TABLES"
	--table-size="$SB_TABLE_SIZE")

# ---- data: prepared once on the primary, replicated everywhere ----
sql "$WS_TEST_PRIMARY_PORT" "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
sysbench oltp_read_write "${sb_common[@]}" --mysql-port="$WS_TEST_PRIMARY_PORT" prepare >"$tmp/prepare.log" 2>&1 ||
	{ tail -5 "$tmp/prepare.log" >&2; die "sysbench prepare failed"; }
pos=$(sql "$WS_TEST_PRIMARY_PORT" "SELECT @@gtid_binlog_pos")
for p in $WS_TEST_PORTS; do
	[ "$p" = "$WS_TEST_PRIMARY_PORT" ] && continue
	[ "$(sql "$p" "SELECT MASTER_GTID_WAIT('$pos', 120)")" = 0 ] || die "replica $p did not catch up"
done

# ---- haproxy in front of the primary ----
if [ -n "$haproxy" ]; then
	hport=$(free_port)
	cat >"$tmp/haproxy.cfg" <<EOF
# written by bench-sysbench.sh: a plain TCP hop
global
    maxconn 4096

defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h

listen mysql
    bind 127.0.0.1:$hport
    server primary 127.0.0.1:$WS_TEST_PRIMARY_PORT
EOF
	"$haproxy" -db -q -f "$tmp/haproxy.cfg" &
	haproxy_pid=$!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$hport") 2>/dev/null && break
		sleep 0.05
	done
fi

modes="direct preload pre-1r"
[ -n "$haproxy" ] && modes="$modes haproxy"
sed -e "s/^replicas *=.*/replicas = 127.0.0.1:$WS_TEST_REPLICA1_PORT/" "$WS_TEST_CONFIG" >"$tmp/wescale-1r.conf"

com_select() { # the primary's Com_select, then each replica's (one line)
	local p out=""
	for p in $WS_TEST_PORTS; do
		out+="$(sql "$p" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'") "
	done
	echo "$out"
}

catch_up() { # wait until the replicas have applied what the primary has (a write run's tail)
	local p pos
	pos=$(sql "$WS_TEST_PRIMARY_PORT" "SELECT @@gtid_binlog_pos")
	for p in $WS_TEST_PORTS; do
		[ "$p" = "$WS_TEST_PRIMARY_PORT" ] || sql "$p" "SELECT MASTER_GTID_WAIT('$pos', 60)" >/dev/null
	done
}

run_one() { # run_one TEST THREADS MODE RUN  -> $tmp/TEST.THREADS.MODE.RUN.{out,err,status,sel}
	local t=$1 th=$2 mode=$3 r=$4 f="$tmp/$1.$2.$3.$4" port=$WS_TEST_PRIMARY_PORT extra=() env=() before after
	[ "$t" = oltp_read_only ] && extra+=(--skip_trx=on)
	[ "$mode" = haproxy ] && port=$hport
	[ "$mode" = preload ] && env=(WESCALE_CONFIG="$WS_TEST_CONFIG" LD_PRELOAD="$so")
	[ "$mode" = pre-1r ] && env=(WESCALE_CONFIG="$tmp/wescale-1r.conf" LD_PRELOAD="$so")
	before=$(com_select)
	set +e
	env "${env[@]}" sysbench "$t" "${sb_common[@]}" "${extra[@]}" --mysql-port="$port" --threads="$th" \
		--time="$SB_TIME" --report-interval=0 --percentile=95 run >"$f.out" 2>"$f.err"
	echo $? >"$f.status"
	set -e
	after=$(com_select)
	# The replicas share the cores: do not let them apply this run's writes
	# during the next run.
	[ "$t" = oltp_read_write ] && catch_up
	echo "$before" >"$f.sel"
	echo "$after" >>"$f.sel"
}

n_runs=0
for t in $SB_TESTS; do for th in $SB_THREADS; do n_runs=$((n_runs + 1)); done; done
echo "bench-sysbench: $SB_RUNS run(s) x $n_runs test/thread pairs x ($modes), ${SB_TIME} s each" >&2
read -r -a mode_list <<<"$modes"
for r in $(seq 1 "$SB_RUNS"); do
	for t in $SB_TESTS; do
		for th in $SB_THREADS; do
			# The order rotates from run to run: whatever a run leaves behind
			# (purge, flushing) does not always fall on the same mode.
			for k in $(seq 0 $((${#mode_list[@]} - 1))); do
				run_one "$t" "$th" "${mode_list[$(((k + r - 1) % ${#mode_list[@]}))]}" "$r"
			done
		done
	done
	echo "  run $r/$SB_RUNS done" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# field TEST THREADS MODE WHAT: the median over the runs of WHAT
field() {
	local r f
	for r in $(seq 1 "$SB_RUNS"); do
		f="$tmp/$1.$2.$3.$r"
		case $4 in
		tps) awk '/transactions:/ { gsub(/\(/, "", $3); print $3 }' "$f.out" ;;
		p95) awk '/95th percentile:/ { print $3 }' "$f.out" ;;
		ign) awk '/ignored errors:/ { print $3 }' "$f.out" ;;
		repl) awk 'NR == 1 { for (i = 1; i <= NF; i++) b[i] = $i } NR == 2 { p = $1 - b[1]; s = 0;
			for (i = 2; i <= NF; i++) s += $i - b[i]; if (p + s > 0) printf "%.0f\n", 100 * s / (p + s); else print 0 }' "$f.sel" ;;
		esac
	done | median
}
# total TEST THREADS MODE WHAT: the sum over the runs (errors)
total() {
	local r f s=0 v
	for r in $(seq 1 "$SB_RUNS"); do
		f="$tmp/$1.$2.$3.$r"
		case $4 in
		err) v=$(( $(cat "$f.out" "$f.err" | grep -c FATAL || true) + ($(cat "$f.status") != 0) )) ;;
		ign) v=$(awk '/ignored errors:/ { print $3 }' "$f.out"); v=${v:-0} ;;
		esac
		s=$((s + v))
	done
	echo "$s"
}

echo
echo "bench-sysbench: sysbench $(sysbench --version | awk '{print $2}'), $SB_TABLES tables x $SB_TABLE_SIZE rows," \
	"${SB_TIME} s per run, median of $SB_RUNS run(s); x = tps / direct tps"
echo "direct and haproxy go to the primary; preload = libwescale with $(basename "$WS_TEST_CONFIG")" \
	"($(awk -F'= *' '/^consistency/ {print "consistency=" $2} /^load_balance/ {print "load_balance=" $2}' "$WS_TEST_CONFIG" | paste -sd, -))"
echo "e/i: errors (failed runs + FATAL lines, summed over the runs: must be 0) / sysbench's ignored errors (deadlock retries)"
echo "repl%: share of the SELECTs the replicas ran during the preload runs (the servers' Com_select)"
echo
printf "%-17s %3s" test thr
for mode in $modes; do printf " | %-8s %5s %6s %5s" "$mode" x "p95ms" "e/i"; done
printf " | %5s\n" "repl%"
status=0
for t in $SB_TESTS; do
	for th in $SB_THREADS; do
		base=$(field "$t" "$th" direct tps)
		printf "%-17s %3s" "$t" "$th"
		for mode in $modes; do
			tps=$(field "$t" "$th" "$mode" tps)
			err=$(total "$t" "$th" "$mode" err)
			[ "$err" = 0 ] || status=1
			printf " | %8.1f %5.2f %6s %5s" "${tps:-0}" "$(awk -v a="${tps:-0}" -v b="${base:-0}" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
				"$(field "$t" "$th" "$mode" p95)" "$err/$(total "$t" "$th" "$mode" ign)"
		done
		printf " | %5s\n" "$(field "$t" "$th" preload repl)"
	done
done
for f in "$tmp"/*.err; do
	if grep -q FATAL "$f" 2>/dev/null; then
		echo "--- $(basename "$f" .err):" >&2
		grep -m3 FATAL "$f" >&2
	fi
done

sysbench oltp_read_write "${sb_common[@]}" --mysql-port="$WS_TEST_PRIMARY_PORT" cleanup >/dev/null 2>&1 || true
sql "$WS_TEST_PRIMARY_PORT" "DROP DATABASE IF EXISTS $db" || true
exit $status
