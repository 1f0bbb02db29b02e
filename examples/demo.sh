#!/usr/bin/env bash
# demo.sh — the first thing to run: installs what it needs (Debian, as root),
# builds libwescale, starts a throwaway MariaDB topology on loopback (a primary
# and two replicas), runs examples/demo.c through libwescale, prints what each
# node served, and stops the topology.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh
if [ ! -f build-demo/build.ninja ]; then
	meson setup build-demo -Dbuildtype=release -Dtests=false >/dev/null
fi
ninja -C build-demo >/dev/null
topo=$(mktemp -d /tmp/wescale-demo.XXXXXX)
trap 'tests/topology.sh stop "$topo/t" >/dev/null 2>&1; rm -rf "$topo"' EXIT
echo "starting a primary and two replicas on 127.0.0.1 (in $topo) ..."
tests/topology.sh start "$topo/t"
. "$topo/t/env"
# The topology's configuration with the default balancing policy (least_rt).
grep -v '^load_balance' "$WS_TEST_CONFIG" >"$topo/wescale.conf"
echo "configuration ($topo/wescale.conf):"
sed 's/^/    /' "$topo/wescale.conf"
WESCALE_CONFIG="$topo/wescale.conf" build-demo/examples/demo
echo "stopping the topology."
