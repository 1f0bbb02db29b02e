#!/usr/bin/env bash
#   client-mysql2.sh LIBWESCALE_SO — Ruby mysql2 (Debian ruby-mysql2) under LD_PRELOAD.
. "$(dirname "$0")/common.sh"
need_topology
so=$1
ruby -e 'require "mysql2"' 2>/dev/null || fail "ruby has no mysql2 (apt-get install ruby-mysql2)"
WESCALE_CONFIG="$WS_TEST_CONFIG" timeout -k 5 150 env LD_PRELOAD="${WS_TEST_PRELOAD_PREFIX:+$WS_TEST_PRELOAD_PREFIX:}$so" \
	${WS_TEST_PRELOAD_PREFIX:+ASAN_OPTIONS=detect_leaks=0} ruby "$(dirname "$0")/client_mysql2.rb"
rc=$?
[ $rc -eq 124 ] && fail "Ruby mysql2 hung (killed after 150 s)"
[ $rc -eq 0 ] || fail "Ruby mysql2 loop failed (exit $rc)"
