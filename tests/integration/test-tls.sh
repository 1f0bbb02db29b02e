#!/usr/bin/env bash
# test-tls.sh — TLS parity (issue 12, docs/robustness.md): replica and monitor
# connections use the application's TLS settings, never weaker ones.
#
#   test-tls.sh TLS_CLIENT
#
# Starts a throwaway topology of its own (tests/topology.sh starts servers with
# fixed flags), modelled on topology.sh:
#   - a CA and a server certificate (CN and subjectAltName 127.0.0.1) made here
#     with openssl, and a second, unrelated CA;
#   - node0, the primary: TLS available, not required (so that a client without
#     TLS options can still connect to it);
#   - node1, a replica: require_secure_transport=ON, certificate of the CA;
#   - node2, a replica: require_secure_transport=ON, certificate of the other CA
#     (a client that verifies certificates against the CA must not use it);
#   - replication over TLS, verifying the primary's certificate.
# Then tls-client (linked with libwescale) runs with each set of options, and
# its managed handle must read from exactly the replicas that a plain
# connection with the same options can reach — and be encrypted there.
# Everything started here is stopped at the end.
. "$(dirname "$0")/common.sh"
client=${1:?usage: test-tls.sh TLS_CLIENT}
client=$(cd "$(dirname "$client")" && pwd)/$(basename "$client")

find_bin() {
	for b in "$@"; do
		if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			[ -x "$d/$b" ] && { echo "$d/$b"; return 0; }
		done
	done
	return 1
}
MARIADBD=$(find_bin mariadbd mysqld) || fail "mariadbd not found"
INSTALL_DB=$(find_bin mariadb-install-db mysql_install_db) || fail "mariadb-install-db not found"
CLIENT=$(find_bin mariadb mysql) || fail "mariadb client not found"
ADMIN=$(find_bin mariadb-admin mysqladmin) || fail "mariadb-admin not found"
command -v openssl >/dev/null || fail "openssl not found (apt-get install openssl)"

dir=$(mktemp -d /tmp/ws-tls.XXXXXX)
stop_all() {
	local pid
	for d in "$dir"/node*; do
		[ -f "$d/launcher.pid" ] || continue
		pid=$(cat "$d/pid" 2>/dev/null || cat "$d/launcher.pid")
		if kill -0 "$pid" 2>/dev/null; then
			"$ADMIN" --no-defaults -uroot --socket="$d/sock" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null
			for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$dir"
}
trap stop_all EXIT
[ -z "${WS_TLS_KEEP:-}" ] || trap - EXIT

# ---- certificates ----
cd "$dir" || fail "no $dir"
ssl() { openssl "$@" >>"$dir/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -5 "$dir/openssl.log")"; }
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext.cnf
for ca in ca other-ca; do
	ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wescale test $ca" -keyout $ca.key -out $ca.pem
	ssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout $ca-server.key -out $ca-server.csr
	ssl x509 -req -in $ca-server.csr -CA $ca.pem -CAkey $ca.key -CAcreateserial -days 2 \
		-extfile ext.cnf -out $ca-server.pem
done

# ---- servers ----
read -r -a ports <<<"$(python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
EOF
)"
mkdir -p seed
"$INSTALL_DB" --no-defaults --datadir="$dir/seed/data" --user=root --auth-root-authentication-method=normal \
	--skip-test-db >seed/install.log 2>&1 || fail "mariadb-install-db: $(tail -5 seed/install.log)"
start_node() { # start_node N CERT_PREFIX REQUIRE
	local d="$dir/node$1" ro="" req=""
	[ "$1" -gt 0 ] && ro=--read-only
	[ "$3" = require ] && req=--require-secure-transport=ON
	mkdir -p "$d"
	[ -d "$d/data" ] || cp -a "$dir/seed/data" "$d/data"
	"$MARIADBD" --no-defaults $ro $req --datadir="$d/data" --port="${ports[$1]}" --bind-address=127.0.0.1 \
		--socket="$d/sock" --pid-file="$d/pid" --log-error="$d/error.log" --user=root \
		--server-id=$(($1 + 1)) --log-bin=bin --binlog-format=ROW --log-slave-updates=1 \
		--gtid-strict-mode=1 --skip-name-resolve --innodb-buffer-pool-size=32M \
		--innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
		--session-track-system-variables='autocommit,character_set_client,character_set_connection,character_set_results,time_zone,last_gtid' \
		--performance-schema=OFF --skip-symbolic-links \
		--ssl-ca="$dir/ca.pem" --ssl-cert="$dir/$2-server.pem" --ssl-key="$dir/$2-server.key" \
		>"$d/stdout.log" 2>&1 &
	echo $! >"$d/launcher.pid"
}
wait_ready() {
	local d="$dir/node$1"
	for _ in $(seq 1 300); do
		"$ADMIN" --no-defaults -uroot --socket="$d/sock" ping >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$d/launcher.pid")" 2>/dev/null || fail "node$1 exited: $(tail -5 "$d/error.log")"
		sleep 0.1
	done
	fail "node$1 not ready in 30 s: $(tail -5 "$d/error.log")"
}
sql() { # sql N SQL: as root over the node's socket (a socket is a secure transport)
	"$CLIENT" --no-defaults -uroot --socket="$dir/node$1/sock" -N -B -e "$2"
}
slave_status() { # slave_status N FIELD
	"$CLIENT" --no-defaults -uroot --socket="$dir/node$1/sock" -e 'SHOW SLAVE STATUS\G' |
		awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }'
}
start_node 0 ca optional
start_node 1 ca require
start_node 2 other-ca require
for i in 0 1 2; do wait_ready $i; done
rm -rf seed

sql 0 "
	CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw';
	GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
	CREATE USER 'wsapp'@'127.0.0.1' IDENTIFIED BY 'wsapp-pw';
	GRANT ALL ON \`wstest%\`.* TO 'wsapp'@'127.0.0.1';
	GRANT SLAVE MONITOR, PROCESS ON *.* TO 'wsapp'@'127.0.0.1';
	CREATE DATABASE wstest;" || fail "accounts"
for i in 1 2; do
	sql $i "
		CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${ports[0]},
			MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos,
			MASTER_CONNECT_RETRY=1, MASTER_SSL=1, MASTER_SSL_CA='$dir/ca.pem',
			MASTER_SSL_VERIFY_SERVER_CERT=1;
		START SLAVE;
		SET GLOBAL read_only=1;" || fail "replication on node$i"
done
pos=$(sql 0 "SELECT @@gtid_binlog_pos")
for i in 1 2; do
	[ "$(sql $i "SELECT MASTER_GTID_WAIT('$pos', 30)")" = 0 ] ||
		fail "node$i did not catch up: $(slave_status $i Last_IO_Error) $(slave_status $i Last_SQL_Error)"
done
# Replication itself runs over TLS.
for i in 1 2; do
	[ "$(slave_status $i Master_SSL_Allowed)" = Yes ] && [ "$(slave_status $i Master_SSL_Verify_Server_Cert)" = Yes ] ||
		fail "node$i replicates without TLS"
done
pass "topology with TLS up: primary ${ports[0]} (TLS optional), replicas ${ports[1]} (CA), ${ports[2]} (other CA), both requiring TLS"

cat >wescale.conf <<EOF
[cluster tls]
primary  = 127.0.0.1:${ports[0]}
replicas = 127.0.0.1:${ports[1]}, 127.0.0.1:${ports[2]}
load_balance = round_robin
consistency = eventual
health_interval_ms = 200
EOF
sed 's/^health_interval_ms.*/&\nreplica_fallback = error/' wescale.conf >strict.conf
export WS_TLS_CA="$dir/ca.pem"

run() { # run OPTS CONFIG: tls-client's transcript in out.OPTS, its log in log.OPTS
	WESCALE_CONFIG="$dir/$2" WESCALE_LOG_LEVEL=debug WS_TLS_SETTLE_MS=800 "$client" "$1" "${ports[0]}" "${ports[1]} ${ports[2]}" \
		wsapp wsapp-pw wstest 30 >"out.$1" 2>"log.$1" || fail "tls-client $1 failed: $(tail -5 "log.$1")"
	sed 's/^/    /' "out.$1"
	grep -q '^done$' "out.$1" || fail "tls-client $1 did not finish"
}
direct_ok() { grep -q "^direct $2: ok cipher=." "out.$1"; } # a plain connection with OPTS reached the replica, encrypted
reads_from() { grep -q "^reads ok=.* ids=.*\\b$2:" "out.$1"; } # the managed handle read from server_id $2

# 1. TLS with certificate verification, by mysql_options and by mysql_ssl_set.
for opts in ca-verify ssl-set-verify; do
	echo "  $opts:"
	run $opts wescale.conf
	grep -q '^connect: ok cipher=.' "out.$opts" || fail "$opts: the primary connection is not encrypted"
	direct_ok $opts "${ports[1]}" || fail "$opts: a plain connection to replica 1 failed"
	direct_ok $opts "${ports[2]}" && fail "$opts: a plain connection accepted the other CA's certificate"
	grep -q '^reads ok=30 errors=0' "out.$opts" || fail "$opts: reads failed"
	reads_from $opts 2 || fail "$opts: no read was served by replica 1"
	reads_from $opts 3 && fail "$opts: replica 2 (certificate of another CA) served reads: verification was dropped"
	grep -q "^replica Ssl_cipher=[^ ]\+ backend=127.0.0.1:${ports[1]}\$" "out.$opts" ||
		fail "$opts: the read connection on replica 1 is not encrypted: $(grep '^replica' "out.$opts")"
	# The monitor connects with the same options (the client waited for it
	# to check every node): it reaches replica 1, which refuses anything but
	# TLS (a failed check would have taken it out of the reads above and
	# logged it), and fails to verify replica 2's certificate.
	grep "monitor: 127.0.0.1:${ports[1]}: " "log.$opts" && fail "$opts: the monitor could not check replica 1"
	grep -q "monitor: 127.0.0.1:${ports[2]}: TLS/SSL error" "log.$opts" ||
		fail "$opts: no monitor verification failure for replica 2 in the log: $(grep monitor "log.$opts" | head -3)"
	pass "$opts: reads on replica 1 over TLS ($(sed -n 's/^replica Ssl_cipher=\([^ ]*\).*/\1/p' "out.$opts")), never on the unverifiable replica 2"
done

# 2. TLS without verification: parity with what the real library does.
for opts in ca-noverify enforce-noverify; do
	echo "  $opts:"
	run $opts wescale.conf
	grep -q '^reads ok=30 errors=0' "out.$opts" || fail "$opts: reads failed"
	for r in 1 2; do
		id=$((r + 1))
		if direct_ok $opts "${ports[$r]}"; then
			reads_from $opts $id || fail "$opts: a plain connection reaches replica $r, the managed handle never read there"
		else
			reads_from $opts $id && fail "$opts: the managed handle read from replica $r, which a plain connection cannot reach"
		fi
	done
	if grep -q '^replica Ssl_cipher=' "out.$opts"; then
		grep -q '^replica Ssl_cipher=[^ ]\+ backend' "out.$opts" || fail "$opts: a replica read without TLS"
	fi
	pass "$opts: managed reads go exactly where a plain connection with these options can go"
done

# 3. No TLS options at all: the primary accepts the connection in clear; the
# replicas refuse anything but TLS, and libwescale does not encrypt on its own
# nor read from them some other way: reads go to the primary, or fail with
# replica_fallback = error.
echo "  none:"
run none wescale.conf
grep -q '^connect: ok cipher=$' "out.none" || fail "none: the primary connection is unexpectedly encrypted"
for r in 1 2; do
	direct_ok none "${ports[$r]}" && fail "none: replica $r accepted a connection without TLS"
done
grep -q '^reads ok=30 errors=0 ids=1:30,' "out.none" || fail "none: reads did not all go to the primary"
# libwescale's monitor (and replica) connections got the answer a plain one
# gets (MariaDB 10.11 answers a clear connection to a require_secure_transport
# server with "Access denied"), and logged it (debug level).
refusal=$(sed -n "s/^direct ${ports[1]}: error [0-9]* //p" out.none)
grep -qF "monitor: 127.0.0.1:${ports[1]}: $refusal" "log.none" ||
	grep -qF "replica 127.0.0.1:${ports[1]} refused the connection: $refusal" "log.none" ||
	fail "none: the replica's refusal ($refusal) is not in the log"
pass "none: replicas refuse ($refusal), every read on the primary"
echo "  none, replica_fallback = error:"
run none strict.conf
grep -q '^reads ok=0 errors=30 .*first_error=2908 ' "out.none" ||
	fail "none + replica_fallback=error: reads did not fail with WESCALE_ER_NO_REPLICA"
pass "none + replica_fallback = error: $(sed -n 's/.*first_error=//p' out.none)"
echo "test-tls: all ok"
