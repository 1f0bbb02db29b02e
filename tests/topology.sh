#!/usr/bin/env bash
# topology.sh — a throwaway MariaDB replication topology on loopback, for the
# tests, the benchmarks and the demo (docs/architecture.md).
#
#   tests/topology.sh start DIR [N_REPLICAS]   one primary + N GTID replicas (default 2)
#   tests/topology.sh stop DIR                 stop every server and delete DIR
#   tests/topology.sh status DIR               one line per node
#   tests/topology.sh kill DIR N               kill -9 node N (0 = primary, 1.. = replicas)
#   tests/topology.sh shutdown DIR N           clean shutdown of node N
#   tests/topology.sh restart DIR N            start node N again (after kill/stop) and wait for it
#
# `start` writes DIR/env, to be sourced, with:
#   WS_TEST_DIR, WS_TEST_PRIMARY_PORT, WS_TEST_REPLICA1_PORT, WS_TEST_REPLICA2_PORT…,
#   WS_TEST_PORTS (all, primary first), WS_TEST_USER/WS_TEST_PASSWORD (the
#   application user: ALL on `wstest%` databases only — no SUPER, so read_only
#   really stops a misrouted write), WS_TEST_ADMIN_USER/WS_TEST_ADMIN_PASSWORD
#   (everything), WS_TEST_DB (=wstest), WS_TEST_CONFIG (a wescale.conf for the
#   cluster), WS_TEST_MYSQL (the client binary).
# With WS_TOPOLOGY_TLS=1 at `start`, every server also offers TLS (optional,
# not required) with a certificate for 127.0.0.1 signed by a CA made in
# DIR/tls; env then exports WS_TEST_TLS_CA (that CA's file).
# Server ids: primary 1, replicas 2, 3, …  Every server listens on 127.0.0.1 only.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
n_replicas=${3:-2}

die() { echo "topology.sh: $*" >&2; exit 1; }
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|status DIR [N_REPLICAS]"

find_bin() {
	for b in "$@"; do
		if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			[ -x "$d/$b" ] && { echo "$d/$b"; return 0; }
		done
	done
	return 1
}

MARIADBD=$(find_bin mariadbd mysqld) || die "mariadbd not found (apt-get install mariadb-server)"
INSTALL_DB=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"
CLIENT=$(find_bin mariadb mysql) || die "mariadb client not found"
ADMIN=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found"

free_ports() {
	# Ask the kernel for free loopback ports, keep the sockets until all are chosen.
	python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1]); socks = []
for _ in range(n):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
EOF
}

node_sql() { # node_sql NODE_DIR SQL...
	local d=$1; shift
	"$CLIENT" --no-defaults -uroot --socket="$d/sock" -N -B -e "$*"
}

start_node() { # start_node NODE_DIR PORT SERVER_ID
	local d=$1 port=$2 id=$3 ro="" tls=() t
	# Replicas start read-only, so that they still are after a restart, and
	# report their address to the primary (SHOW SLAVE HOSTS: discover_replicas).
	[ "$id" -gt 1 ] && ro="--read-only --report-host=127.0.0.1 --report-port=$port"
	t=$(dirname "$d")/tls
	if [ -f "$t/server.pem" ]; then
		tls=(--ssl-ca="$t/ca.pem" --ssl-cert="$t/server.pem" --ssl-key="$t/server.key")
	fi
	echo "$port $id" >"$d/args"
	"$MARIADBD" --no-defaults $ro --datadir="$d/data" --port="$port" --bind-address=127.0.0.1 \
		--socket="$d/sock" --pid-file="$d/pid" --log-error="$d/error.log" --user=root \
		--server-id="$id" --log-bin=bin --binlog-format=ROW --log-slave-updates=1 \
		--gtid-strict-mode=1 --skip-name-resolve --max-connections=600 \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=32M \
		--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
		--session-track-system-variables='autocommit,character_set_client,character_set_connection,character_set_results,time_zone,last_gtid' \
		--performance-schema=OFF --skip-symbolic-links "${tls[@]}" \
		>"$d/stdout.log" 2>&1 &
	echo $! >"$d/launcher.pid"
}

make_certs() { # make_certs TLS_DIR: a CA and a server certificate for 127.0.0.1
	local t=$1
	command -v openssl >/dev/null || die "WS_TOPOLOGY_TLS needs openssl"
	mkdir -p "$t"
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$t/ext.cnf"
	{ openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wescale test CA" \
		-keyout "$t/ca.key" -out "$t/ca.pem" &&
	  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$t/server.key" -out "$t/server.csr" &&
	  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 2 \
		-extfile "$t/ext.cnf" -out "$t/server.pem"; } >"$t/openssl.log" 2>&1 ||
		{ tail -5 "$t/openssl.log" >&2; die "openssl failed"; }
}

wait_ready() { # wait_ready NODE_DIR
	local d=$1 i
	for i in $(seq 1 300); do
		if "$ADMIN" --no-defaults -uroot --socket="$d/sock" ping >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$d/launcher.pid")" 2>/dev/null; then
			tail -20 "$d/error.log" >&2 || true
			die "server in $d exited during start-up"
		fi
		sleep 0.1
	done
	tail -20 "$d/error.log" >&2 || true
	die "server in $d did not become ready in 30 s"
}

stop_node() { # stop_node NODE_DIR
	local d=$1 pid i
	[ -f "$d/pid" ] || [ -f "$d/launcher.pid" ] || return 0
	pid=$(cat "$d/pid" 2>/dev/null || cat "$d/launcher.pid" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		"$ADMIN" --no-defaults -uroot --socket="$d/sock" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
}

case "$cmd" in
start)
	[ -e "$dir/env" ] && die "$dir already holds a topology (stop it first)"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	n=$((n_replicas + 1))
	read -r -a ports <<<"$(free_ports "$n")"
	if [ "${WS_TOPOLOGY_TLS:-0}" = 1 ]; then make_certs "$dir/tls"; fi

	# One bootstrap, copied to every node: far quicker than installing each.
	mkdir -p "$dir/seed"
	"$INSTALL_DB" --no-defaults --datadir="$dir/seed/data" --user=root \
		--auth-root-authentication-method=normal --skip-test-db >"$dir/seed/install.log" 2>&1 ||
		{ tail -20 "$dir/seed/install.log" >&2; die "mariadb-install-db failed"; }

	for i in $(seq 0 $((n - 1))); do
		node="$dir/node$i"
		mkdir -p "$node"
		cp -a "$dir/seed/data" "$node/data"
		start_node "$node" "${ports[$i]}" $((i + 1))
	done
	for i in $(seq 0 $((n - 1))); do wait_ready "$dir/node$i"; done
	rm -rf "$dir/seed"

	user=wsapp password=wsapp-pw admin=wsadmin admin_pw=wsadmin-pw
	# Accounts and the test database are created on the primary after the
	# replicas start from an empty GTID position, so they replicate everywhere.
	node_sql "$dir/node0" "
		CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw';
		GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
		CREATE USER '$admin'@'127.0.0.1' IDENTIFIED BY '$admin_pw';
		GRANT ALL ON *.* TO '$admin'@'127.0.0.1' WITH GRANT OPTION;
		CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
		GRANT ALL ON \`wstest%\`.* TO '$user'@'127.0.0.1';
		GRANT SLAVE MONITOR, PROCESS ON *.* TO '$user'@'127.0.0.1';
		CREATE USER 'monitor'@'127.0.0.1' IDENTIFIED BY 'monitor-pw';
		GRANT SLAVE MONITOR, REPLICATION CLIENT, PROCESS ON *.* TO 'monitor'@'127.0.0.1';
		CREATE DATABASE wstest;
		CREATE DATABASE wstest2;"
	for i in $(seq 1 $((n - 1))); do
		node_sql "$dir/node$i" "
			CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${ports[0]},
				MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos,
				MASTER_CONNECT_RETRY=1;
			START SLAVE;
			SET GLOBAL read_only=1;"
	done
	# Wait until every replica has applied the set-up.
	pos=$(node_sql "$dir/node0" "SELECT @@gtid_binlog_pos")
	for i in $(seq 1 $((n - 1))); do
		r=$(node_sql "$dir/node$i" "SELECT MASTER_GTID_WAIT('$pos', 30)")
		[ "$r" = "0" ] || die "replica node$i did not catch up with $pos"
	done

	replicas=""
	for i in $(seq 1 $((n - 1))); do replicas+="${replicas:+, }127.0.0.1:${ports[$i]}"; done
	cat >"$dir/wescale.conf" <<EOF
# Written by tests/topology.sh for the throwaway topology in $dir
[global]
log_level = warn

[cluster test]
primary  = 127.0.0.1:${ports[0]}
replicas = $replicas
load_balance = round_robin
consistency = session
EOF
	{
		echo "export WS_TEST_DIR='$dir'"
		echo "export WS_TEST_PRIMARY_PORT=${ports[0]}"
		for i in $(seq 1 $((n - 1))); do echo "export WS_TEST_REPLICA${i}_PORT=${ports[$i]}"; done
		echo "export WS_TEST_PORTS='${ports[*]}'"
		echo "export WS_TEST_USER='$user' WS_TEST_PASSWORD='$password'"
		echo "export WS_TEST_ADMIN_USER='$admin' WS_TEST_ADMIN_PASSWORD='$admin_pw'"
		echo "export WS_TEST_DB=wstest"
		echo "export WS_TEST_CONFIG='$dir/wescale.conf'"
		echo "export WS_TEST_MYSQL='$CLIENT'"
		echo "export WS_TEST_TOPOLOGY='$(cd "$(dirname "$0")" && pwd)/topology.sh'"
		if [ -f "$dir/tls/ca.pem" ]; then echo "export WS_TEST_TLS_CA='$dir/tls/ca.pem'"; fi
	} >"$dir/env"
	echo "topology up in $dir: primary 127.0.0.1:${ports[0]}, replicas $replicas"
	;;
stop)
	[ -d "$dir" ] || exit 0
	for node in "$dir"/node*; do
		[ -d "$node" ] && stop_node "$node"
	done
	rm -rf "$dir"
	;;
kill)
	node="$dir/node${3:?node number}"
	pid=$(cat "$node/pid" 2>/dev/null || cat "$node/launcher.pid")
	kill -9 "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	;;
shutdown)
	stop_node "$dir/node${3:?node number}"
	;;
restart)
	node="$dir/node${3:?node number}"
	read -r port id <"$node/args"
	rm -f "$node/pid"
	start_node "$node" "$port" "$id"
	wait_ready "$node"
	;;
status)
	for node in "$dir"/node*; do
		[ -d "$node" ] || continue
		if node_sql "$node" "SELECT CONCAT(@@server_id, ' port=', @@port, ' read_only=', @@read_only, ' gtid=', @@gtid_current_pos)" 2>/dev/null; then :; else
			echo "$(basename "$node"): down"
		fi
	done
	;;
*)
	die "unknown command $cmd"
	;;
esac
