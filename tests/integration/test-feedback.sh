#!/usr/bin/env bash
# test-feedback.sh LIBWESCALE_SO — "is it working?" (README): at `info` the
# process says which configuration it loaded (or that there is none) and why
# each connection it leaves alone is not managed; a `warn`, once, for a
# configured node that never answered and for a monitor without the privilege
# SHOW SLAVE STATUS needs (naming the GRANT).
. "$(dirname "$0")/common.sh"
need_topology
so=${1:?usage: test-feedback.sh LIBWESCALE_SO}
py=$(debian_python)
"$py" -c 'import MySQLdb' 2>/dev/null || fail "$py has no MySQLdb (apt-get install python3-mysqldb)"
P=$WS_TEST_PRIMARY_PORT R1=$WS_TEST_REPLICA1_PORT
tmp=$(mktemp -d)
admin_sql() { # admin_sql PORT SQL
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B -e "$2"
}
cleanup() {
	admin_sql "$P" "DROP USER IF EXISTS 'wsnopriv'@'127.0.0.1'" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# connect NAME CONFIG HOST PORT [SOCKET [SECONDS]]: a MySQLdb connection with
# libwescale preloaded at log level info, one read, held SECONDS (monitor
# rounds); its stderr in $tmp/NAME.err.
connect() {
	local name=$1 cfg=$2 host=$3 port=$4 sock=${5:-} hold=${6:-0}
	env ${cfg:+WESCALE_CONFIG="$cfg"} WESCALE_LOG_LEVEL=info timeout 30 bash -c '. "$1"; shift; preload "$@"' _ \
		"$(dirname "$0")/common.sh" "$so" "$py" -c '
import os, sys, time, MySQLdb
host, port, sock, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
kw = dict(unix_socket=sock) if sock else {}
user = "root" if sock else os.environ["WS_TEST_USER"]
pw = "" if sock else os.environ["WS_TEST_PASSWORD"]
c = MySQLdb.connect(host=host, port=port, user=user, passwd=pw, autocommit=True, **kw)
c.cursor().execute("SELECT 1")
time.sleep(hold)
c.close()' "$host" "$port" "$sock" "$hold" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		{ cat "$tmp/$name.out" "$tmp/$name.err"; fail "$name: the client failed"; }
}
has() { # has NAME TEXT [COUNT]: stderr contains TEXT (exactly COUNT times)
	local n
	n=$(grep -cF -- "$2" "$tmp/$1.err")
	if [ -n "${3:-}" ]; then [ "$n" = "$3" ]; else [ "$n" -gt 0 ]; fi ||
		{ echo "--- stderr of $1:"; cat "$tmp/$1.err"; fail "$1: '$2' seen $n time(s), expected ${3:-at least 1}"; }
}

cp "$WS_TEST_CONFIG" "$tmp/good.conf"
chmod 600 "$tmp/good.conf"
connect loaded "$tmp/good.conf" 127.0.0.1 "$P"
has loaded "info: configuration $tmp/good.conf loaded: 1 cluster(s) (test)" 1
pass "the configuration loaded, once per process, at info"

connect none "" 127.0.0.1 "$P"
has none "no configuration: WESCALE_CONFIG is not set"
has none "127.0.0.1:$P: not managed: no configuration is in use"
pass "no configuration: said at start-up and for the connection"

connect replica "$tmp/good.conf" 127.0.0.1 "$R1"
has replica "127.0.0.1:$R1: not managed: it is a replica of cluster test, and a direct connection to a replica stays one; connect to 127.0.0.1:$P"
pass "a direct connection to a replica: why it is not managed"

sed "s/^primary .*/primary  = 127.0.0.1:$R1/; s/^replicas .*/replicas = 127.0.0.1:1/" "$tmp/good.conf" >"$tmp/other.conf"
chmod 600 "$tmp/other.conf"
connect other "$tmp/other.conf" 127.0.0.1 "$P"
has other "127.0.0.1:$P: not managed: matches no cluster; cluster test is 127.0.0.1:$R1"
pass "a port that matches no cluster: the cluster's address is named"

connect socket "$tmp/good.conf" localhost 0 "$WS_TEST_DIR/node0/sock"
has socket "Unix socket $WS_TEST_DIR/node0/sock: not managed: use the TCP address: host \"127.0.0.1\", port $P (cluster test), not localhost"
pass "a Unix socket: use the TCP address"

# A replica that is not there from the start: one warning, however many checks.
dead=$(free_port)
sed "s/^replicas .*/replicas = 127.0.0.1:$WS_TEST_REPLICA2_PORT, 127.0.0.1:$dead/" "$tmp/good.conf" >"$tmp/dead.conf"
printf 'health_interval_ms = 100\n' >>"$tmp/dead.conf"
connect dead "$tmp/dead.conf" 127.0.0.1 "$P" "" 1.5
has dead "warn: monitor: 127.0.0.1:$dead has not answered since start-up" 1
pass "a configured node down from the start: one warn in 1.5 s of checks every 100 ms"

# A monitor user without SLAVE MONITOR: one warning naming the GRANT.
admin_sql "$P" "CREATE USER 'wsnopriv'@'127.0.0.1' IDENTIFIED BY 'np-pw'" || fail "cannot create the user"
pos=$(admin_sql "$P" "SELECT @@gtid_binlog_pos")
[ "$(admin_sql "$R1" "SELECT MASTER_GTID_WAIT('$pos', 30)")" = 0 ] || fail "replica did not catch up"
cp "$tmp/good.conf" "$tmp/nopriv.conf"
printf 'health_interval_ms = 100\nmonitor_user = wsnopriv\nmonitor_password = np-pw\n' >>"$tmp/nopriv.conf"
connect nopriv "$tmp/nopriv.conf" 127.0.0.1 "$P" "" 1
has nopriv "warn: monitor: SHOW SLAVE STATUS is denied to user 'wsnopriv'" 1
has nopriv "GRANT SLAVE MONITOR ON *.* TO that user" 1
grep -q "np-pw" "$tmp/nopriv.err" && fail "the monitor's password is in the log"
pass "a monitor without SLAVE MONITOR: one warn naming the GRANT, no password"
