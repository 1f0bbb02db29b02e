#!/usr/bin/env bash
# With no configuration — or a configuration whose clusters this connection is
# not part of — every call must behave exactly as the real library: the same
# transcript of rows, metadata, errors and codes, whether the program is linked
# with libmariadb, linked with libwescale, or has libwescale preloaded.
#   passthru-equivalence.sh TRANSCRIPT_PLAIN TRANSCRIPT_WESCALE LIBWESCALE_SO
. "$(dirname "$0")/common.sh"
need_topology
plain=$1 linked=$2 so=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
closed=$(free_port)
args=(127.0.0.1 "$WS_TEST_PRIMARY_PORT" "$WS_TEST_USER" "$WS_TEST_PASSWORD" "$WS_TEST_DB" "$closed")

readelf -d "$linked" | grep -q 'NEEDED.*libmariadb' && fail "$linked links libmariadb: the link path must need only libwescale"
readelf -d "$linked" | grep -q 'NEEDED.*libwescale' || fail "$linked does not link libwescale"

env -u WESCALE_CONFIG "$plain" "${args[@]}" >"$tmp/plain.out" 2>"$tmp/plain.err" || fail "plain transcript failed: $(cat "$tmp/plain.err")"
grep -q '^done$' "$tmp/plain.out" || fail "plain transcript incomplete"
grep -q 'streamed rows=5000' "$tmp/plain.out" || fail "plain transcript did not stream 5000 rows"

env -u WESCALE_CONFIG WESCALE_LOG_LEVEL=debug "$linked" "${args[@]}" >"$tmp/linked.out" 2>"$tmp/linked.err" || fail "linked transcript failed"
diff -u "$tmp/plain.out" "$tmp/linked.out" || fail "linked with libwescale differs from plain libmariadb"
grep -q "mysql_real_connect(127.0.0.1:$WS_TEST_PRIMARY_PORT) intercepted: pass-through" "$tmp/linked.err" ||
	fail "linked run shows no interception: $(head -5 "$tmp/linked.err")"
pass "linked == plain"

(unset WESCALE_CONFIG; export WESCALE_LOG_LEVEL=debug; preload "$so" "$plain" "${args[@]}") \
	>"$tmp/preload.out" 2>"$tmp/preload.err" || fail "preloaded transcript failed"
diff -u "$tmp/plain.out" "$tmp/preload.out" || fail "preloaded libwescale differs from plain libmariadb"
n=$(grep -c 'intercepted' "$tmp/preload.err")
[ "$n" -ge 5 ] || fail "preload intercepted $n connects, expected >= 5"
pass "preloaded == plain ($n connects intercepted)"

# A configuration whose cluster is elsewhere: this connection is not managed.
cat >"$tmp/other.conf" <<EOC
[cluster elsewhere]
primary = 127.0.0.1:$closed
replicas = 127.0.0.1:$(free_port)
EOC
WESCALE_CONFIG="$tmp/other.conf" "$linked" "${args[@]}" >"$tmp/other.out" 2>"$tmp/other.err" || fail "transcript with unrelated config failed"
diff -u "$tmp/plain.out" "$tmp/other.out" || fail "unmanaged connection under a config differs from plain"
# The one line allowed: the monitor (started by the connection to the closed
# port, the cluster's primary) says once per node that it never answered.
grep -v ' has not answered since start-up ' "$tmp/other.err" | grep -q . && fail "unexpected log output: $(cat "$tmp/other.err")"
pass "unmanaged under a config == plain"

# A broken configuration: reported once on stderr with file:line, then pass-through.
printf '[cluster bad]\nprimary = 127.0.0.1:99999\n' >"$tmp/bad.conf"
WESCALE_CONFIG="$tmp/bad.conf" "$linked" "${args[@]}" >"$tmp/bad.out" 2>"$tmp/bad.err" || fail "transcript with broken config failed"
diff -u "$tmp/plain.out" "$tmp/bad.out" || fail "broken config changed behaviour"
grep -q "$tmp/bad.conf:2:" "$tmp/bad.err" || fail "broken config not reported with file:line: $(cat "$tmp/bad.err")"
[ "$(grep -c 'running as a pass-through' "$tmp/bad.err")" = 1 ] || fail "broken config not reported exactly once"
pass "broken config reported once, then pass-through"
echo "passthru-equivalence: all ok"
