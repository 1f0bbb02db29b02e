#!/usr/bin/env bash
#   preload-python.sh LIBWESCALE_SO
. "$(dirname "$0")/common.sh"
need_topology
so=$1
py=$(debian_python)
"$py" -c 'import MySQLdb' 2>/dev/null || fail "$py has no MySQLdb (apt-get install python3-mysqldb)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
WESCALE_CONFIG="$WS_TEST_CONFIG" WESCALE_LOG_LEVEL=debug preload "$so" \
	"$py" "$(dirname "$0")/preload_mysqldb.py" >"$tmp/out" 2>"$tmp/err" ||
	fail "python test failed: $(cat "$tmp/out" "$tmp/err")"
cat "$tmp/out"
grep -q "mysql_real_connect(127.0.0.1:$WS_TEST_PRIMARY_PORT) intercepted: cluster test" "$tmp/err" ||
	fail "MySQLdb's connection was not intercepted: $(head -5 "$tmp/err")"
echo "ok: MySQLdb connection intercepted"
