#!/usr/bin/env bash
# preload-sysbench.sh — libwescale in a program you cannot rebuild: sysbench.
#
# sysbench is linked against libmariadb.so.3 and knows nothing about replicas:
# it connects to one server and sends everything there. Preloading libwescale
# (LD_PRELOAD) puts libwescale's mysql_* functions in front of libmariadb's, so
# sysbench's connections to the primary become read/write-split connections,
# with no change to sysbench or to its command line.
#
#   tests/topology.sh start /tmp/topo && . /tmp/topo/env    # a throwaway primary + 2 replicas
#   examples/preload-sysbench.sh [PATH/TO/libwescale.so]
#   tests/topology.sh stop /tmp/topo
#
# Servers and accounts come from the WS_TEST_* variables of that env file (for
# servers of your own, set them yourself): WS_TEST_PRIMARY_PORT,
# WS_TEST_REPLICA1_PORT…, WS_TEST_USER/WS_TEST_PASSWORD (sysbench's account),
# WS_TEST_ADMIN_USER/WS_TEST_ADMIN_PASSWORD (to read the servers' counters),
# WS_TEST_DB. SYSBENCH_TIME sets the length of the run (default 5 s).
# Needs sysbench and the mariadb client (apt-get install sysbench mariadb-client).
#
# What it shows: a read-only sysbench run, and how many SELECTs each server ran
# meanwhile (its own Com_select counter). Exits 1 when the replicas did not
# serve the reads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${WS_TEST_PRIMARY_PORT:?no topology: run tests/topology.sh start DIR, then . DIR/env}"
host=${WS_TEST_HOST:-127.0.0.1}
client=${WS_TEST_MYSQL:-mariadb}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The library. Any path works: a build tree's lib/libwescale.so, or the
#    installed /usr/local/lib/x86_64-linux-gnu/libwescale.so.0. Without an
#    argument (or WESCALE_LIBRARY): the newest build under this source tree,
#    else the installed one.
lib=${1:-${WESCALE_LIBRARY:-}}
if [ -z "$lib" ]; then
	lib=$(ls -t "$here"/../build*/lib/libwescale.so /usr/local/lib/*/libwescale.so.0 /usr/lib/*/libwescale.so.0 \
		2>/dev/null | head -1 || true)
fi
[ -n "$lib" ] && [ -f "$lib" ] || { echo "libwescale.so not found: give its path as the argument" >&2; exit 1; }
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib") # LD_PRELOAD wants an absolute path
echo "1. library: $lib"

# 2. The configuration: which address is the primary, which are the replicas.
#    WESCALE_CONFIG when set, else a file written here from WS_TEST_*.
conf=${WESCALE_CONFIG:-}
if [ -z "$conf" ]; then
	conf=$tmp/wescale.conf
	replicas=""
	for var in "${!WS_TEST_REPLICA@}"; do
		case $var in WS_TEST_REPLICA*_PORT) replicas+="${replicas:+, }$host:${!var}" ;; esac
	done
	cat >"$conf" <<-EOF
	[cluster walkthrough]
	primary  = $host:$WS_TEST_PRIMARY_PORT
	replicas = $replicas
	consistency = session
	EOF
fi
echo "2. configuration: $conf"
sed 's/^/       /' "$conf"

# The sysbench command line, exactly as without libwescale: it names the primary.
sb=(sysbench oltp_read_only --db-driver=mysql --mysql-host="$host" --mysql-port="$WS_TEST_PRIMARY_PORT"
    --mysql-user="$WS_TEST_USER" --mysql-password="$WS_TEST_PASSWORD" --mysql-db="$WS_TEST_DB"
    --tables=1 --table-size=10000 --threads=4 --report-interval=0)
# libwescale is switched on for one command by two variables. LD_PRELOAD keeps
# whatever was preloaded already (a sanitizer runtime, say) in front of it.
with_wescale() { WESCALE_CONFIG="$conf" LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$lib" "$@"; }

# 3. Create sysbench's table, through libwescale: writes go to the primary.
#    WESCALE_LOG_LEVEL=debug logs each connection libwescale takes over.
echo "3. sysbench prepare (with LD_PRELOAD=libwescale.so):"
WESCALE_LOG_LEVEL=debug with_wescale "${sb[@]}" prepare >"$tmp/prepare.out" 2>"$tmp/prepare.err" ||
	{ cat "$tmp/prepare.out" "$tmp/prepare.err" >&2; exit 1; }
grep -m1 "intercepted" "$tmp/prepare.err" | sed "s/^/       /" ||
	echo "       no connection was taken over: is the primary address in the configuration?"

# The counters are read with the plain mariadb client, as the admin user, on
# each server directly (no LD_PRELOAD here: we want the server itself).
ports=("$WS_TEST_PRIMARY_PORT")
for var in "${!WS_TEST_REPLICA@}"; do
	case $var in WS_TEST_REPLICA*_PORT) ports+=("${!var}") ;; esac
done
sql() { # sql PORT STATEMENT
	"$client" --no-defaults -h"$host" -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"
}
com_select() { # com_select PORT: how many SELECTs the server has run since it started
	sql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"
}

# 4. Let the replicas catch up with the new table. libwescale's read-your-writes
#    guarantee (consistency = session) covers one connection's own writes; the
#    run below is another process, which has not seen prepare's writes.
#    (consistency = global would make every read check the primary instead.)
pos=$(sql "$WS_TEST_PRIMARY_PORT" "SELECT @@gtid_binlog_pos")
for p in "${ports[@]:1}"; do
	[ "$(sql "$p" "SELECT MASTER_GTID_WAIT('$pos', 30)")" = 0 ] ||
		{ echo "replica $p did not catch up" >&2; exit 1; }
done
echo "4. replicas have applied the primary's position $pos"

# 5. The run. --skip_trx=on: sysbench otherwise wraps each event in
#    BEGIN/COMMIT, and everything inside a transaction stays on the primary.
#    (START TRANSACTION READ ONLY would go to a replica; sysbench says BEGIN.)
before=(); for p in "${ports[@]}"; do before+=("$(com_select "$p")"); done
echo "5. sysbench oltp_read_only --skip_trx=on run (${SYSBENCH_TIME:-5} s, with LD_PRELOAD=libwescale.so):"
with_wescale "${sb[@]}" --time="${SYSBENCH_TIME:-5}" --skip_trx=on run >"$tmp/run.out" 2>&1 ||
	{ cat "$tmp/run.out" >&2; exit 1; }
after=(); for p in "${ports[@]}"; do after+=("$(com_select "$p")"); done
grep -E "^ +(read|transactions|queries|ignored errors):" "$tmp/run.out" | sed 's/^ */       /'

# 6. Who served the reads, by the servers' own count.
echo "6. SELECTs each server ran during the run (Com_select):"
replica_reads=0
for i in "${!ports[@]}"; do
	d=$((after[i] - before[i]))
	if [ "$i" = 0 ]; then
		role=primary primary_reads=$d
	else
		role="replica $i" replica_reads=$((replica_reads + d))
	fi
	printf '       %-10s %s:%-6s +%s\n' "$role" "$host" "${ports[i]}" "$d"
done

# 7. Clean up sysbench's table (a write: the primary).
with_wescale "${sb[@]}" cleanup >/dev/null 2>&1 || true
echo "7. sysbench cleanup done"

if [ "$replica_reads" -gt 0 ] && [ "$primary_reads" -lt $((replica_reads / 10 + 1)) ]; then
	echo "preload-sysbench: ok: the replicas ran $replica_reads SELECTs, the primary $primary_reads"
else
	echo "preload-sysbench: FAILED: the replicas ran $replica_reads SELECTs, the primary $primary_reads"
	exit 1
fi
