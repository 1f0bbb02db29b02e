#!/usr/bin/env bash
# SQLAlchemy ORM sessions over Python's MySQLdb (autocommit off) with
# libwescale preloaded (issue 20): at least 90 % of the SELECTs run on the
# replicas, none stale, every acknowledged change on the primary.
#   preload-sqlalchemy.sh LIBWESCALE_SO
. "$(dirname "$0")/common.sh"
need_topology
so=$1
py=$(debian_python)
"$py" -c 'import MySQLdb, sqlalchemy' 2>/dev/null ||
	fail "$py has no MySQLdb or SQLAlchemy (apt-get install python3-mysqldb python3-sqlalchemy)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
com_select() { # PORT
	"$WS_TEST_MYSQL" --no-defaults -h127.0.0.1 -P"$1" -u"$WS_TEST_ADMIN_USER" -p"$WS_TEST_ADMIN_PASSWORD" -N -B \
		-e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"
}
run() { # ARGS: the python test under LD_PRELOAD with the topology's configuration
	WESCALE_CONFIG="$WS_TEST_CONFIG" preload "$so" "$py" "$(dirname "$0")/preload_sqlalchemy.py" "$@"
}
# (libwescale's monitor SELECTs count too, a few per second: on every node.)
before=(); for p in $WS_TEST_PORTS; do before+=("$(com_select "$p")"); done
run >"$tmp/out" 2>"$tmp/err" || fail "python test failed: $(cat "$tmp/out" "$tmp/err")"
after=(); for p in $WS_TEST_PORTS; do after+=("$(com_select "$p")"); done
cat "$tmp/out"
d0=$((after[0] - before[0])) d1=$((after[1] - before[1])) d2=$((after[2] - before[2]))
total=$((d0 + d1 + d2))
echo "Com_select: primary +$d0, replica1 +$d1, replica2 +$d2"
[ "$total" -gt 300 ] || fail "too few SELECTs counted ($total)"
[ $(( (d1 + d2) * 100 )) -ge $(( total * 90 )) ] ||
	fail "only $(( (d1 + d2) * 100 / total )) % of the SELECTs ran on the replicas"
pass "SQLAlchemy ORM sessions (autocommit off): $(( (d1 + d2) * 100 / total )) % of SELECTs on the replicas, 0 stale"
