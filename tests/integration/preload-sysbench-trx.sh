#!/usr/bin/env bash
# sysbench with its transactions (no --skip_trx) under LD_PRELOAD (issue 20):
# oltp_read_only puts at least 95 % of its SELECTs on the replicas with 0
# errors; oltp_read_write runs with 0 errors beyond the deadlocks sysbench
# retries by itself, and every transaction it had acknowledged is on the
# primary (each event deletes a row and inserts it again: any lost or
# half-applied transaction shows in the row count) and on the replicas.
#   preload-sysbench-trx.sh LIBWESCALE_SO
. "$(dirname "$0")/common.sh"
need_topology
so=$1
command -v sysbench >/dev/null || fail "sysbench is not installed (apt-get install sysbench)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sb() { # TEST PHASE [ARGS]: sysbench under LD_PRELOAD, output in $tmp/TEST.PHASE.{out,err}
	local t=$1 phase=$2; shift 2
	WESCALE_CONFIG="$WS_TEST_CONFIG" preload "$so" sysbench "$t" --db-driver=mysql --mysql-host=127.0.0.1 \
		--mysql-port="$WS_TEST_PRIMARY_PORT" --mysql-user="$WS_TEST_USER" --mysql-password="$WS_TEST_PASSWORD" \
		--mysql-db="$WS_TEST_DB" --tables=2 --table-size=2000 --threads=4 --time=4 --report-interval=0 \
		"$@" "$phase" >"$tmp/$t.$phase.out" 2>"$tmp/$t.$phase.err" ||
		fail "sysbench $t $phase failed: $(tail -5 "$tmp/$t.$phase.out" "$tmp/$t.$phase.err")"
	! grep -q FATAL "$tmp/$t.$phase.out" "$tmp/$t.$phase.err" ||
		fail "sysbench $t $phase hit an error: $(grep FATAL "$tmp/$t.$phase.out" "$tmp/$t.$phase.err" | head -3)"
}
admin() { # PORT SQL
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"
}
com_select() { admin "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"; }

sb oltp_read_write cleanup
sb oltp_read_write prepare

# oltp_read_only: BEGIN, 14 SELECTs, COMMIT per event (prepared statements).
before=(); for p in $WS_TEST_PORTS; do before+=("$(com_select "$p")"); done
sb oltp_read_only run
after=(); for p in $WS_TEST_PORTS; do after+=("$(com_select "$p")"); done
tx=$(awk '/transactions:/ {print $2}' "$tmp/oltp_read_only.run.out")
errs=$(awk '/ignored errors:/ {print $3}' "$tmp/oltp_read_only.run.out")
d0=$((after[0] - before[0])) d1=$((after[1] - before[1])) d2=$((after[2] - before[2]))
echo "oltp_read_only ($tx transactions, $errs errors): Com_select primary +$d0, replica1 +$d1, replica2 +$d2"
[ "${tx:-0}" -gt 100 ] || fail "oltp_read_only ran only ${tx:-0} transactions"
[ "$errs" = 0 ] || fail "oltp_read_only had $errs errors"
[ $(( (d1 + d2) * 100 )) -ge $(( (d0 + d1 + d2) * 95 )) ] ||
	fail "only $(( (d1 + d2) * 100 / (d0 + d1 + d2) )) % of oltp_read_only's SELECTs ran on the replicas"
pass "oltp_read_only with transactions: $(( (d1 + d2) * 100 / (d0 + d1 + d2) )) % of SELECTs on the replicas, 0 errors"

# oltp_read_write (WHAT: how it ran, for the messages): the retry list of
# sysbench (1213, 1020, 1205) is all it may meet; afterwards every row is on
# the primary and the replicas have the same tables. Sets tx and errs.
sums() { admin "$1" "CHECKSUM TABLE $WS_TEST_DB.sbtest1, $WS_TEST_DB.sbtest2" | awk '{print $2}' | tr '\n' ' '; }
read_write_run() { # WHAT MIN_TRANSACTIONS
	local what=$1 min=$2 want n
	sb oltp_read_write run
	tx=$(awk '/transactions:/ {print $2}' "$tmp/oltp_read_write.run.out")
	errs=$(awk '/ignored errors:/ {print $3}' "$tmp/oltp_read_write.run.out")
	[ "${tx:-0}" -gt "$min" ] || fail "oltp_read_write ($what) ran only ${tx:-0} transactions"
	for t in sbtest1 sbtest2; do
		n=$(admin "$WS_TEST_PRIMARY_PORT" "SELECT COUNT(*) FROM $WS_TEST_DB.$t")
		[ "$n" = 2000 ] || fail "$t has $n rows on the primary after oltp_read_write ($what), not 2000"
	done
	want=$(sums "$WS_TEST_PRIMARY_PORT")
	for p in $WS_TEST_PORTS; do
		for _ in $(seq 50); do [ "$(sums "$p")" = "$want" ] && break; sleep 0.1; done
		[ "$(sums "$p")" = "$want" ] || fail "server :$p differs from the primary after oltp_read_write ($what)"
	done
}
read_write_run "optimistic_transactions as configured" 100
pass "oltp_read_write with transactions: $tx transactions, $errs retried deadlocks, every row on every node"
# optimistic_transactions = on: every transaction starts on a replica and
# moves at its first write, its prepared reads run again on the replica's
# snapshot and on the primary; a difference is a 1213 that sysbench retries.
sed "/^\[cluster/a optimistic_transactions = on" "$WS_TEST_CONFIG" >"$tmp/on.conf"
WS_TEST_CONFIG="$tmp/on.conf" read_write_run "optimistic_transactions = on" 50
sb oltp_read_write cleanup
pass "oltp_read_write, optimistic_transactions = on: $tx transactions moved or retried ($errs retried 1213), every row on every node"
