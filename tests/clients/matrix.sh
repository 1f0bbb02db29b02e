#!/usr/bin/env bash
# matrix.sh — does my client work? Prints, as a Markdown table, what each real
# client (C, Python MySQLdb, Perl DBD::mysql and DBD::MariaDB, Ruby mysql2,
# sysbench, the non-blocking C API) gets from libwescale: reads on replicas,
# writes on the primary, errors, stale or wrong rows. See matrix.py.
#
#   tests/clients/matrix.sh [--details] [CLIENT...]
#   tests/clients/matrix.sh --update-readme README.md   # the README's table, from this run
#
# Builds in build/ (or $WESCALE_BUILD), and starts a throwaway topology when the
# environment has none (stopped at the end). Takes about a minute; exits 1 if
# a row fails what EXPECTED in matrix.py says.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${WESCALE_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=debugoptimized >/dev/null
ninja -C "$build" >/dev/null
if [ -z "${WS_TEST_PORTS:-}" ]; then
	topo=$(mktemp -d /tmp/wescale-matrix.XXXXXX)
	trap 'tests/topology.sh stop "$topo/t" >/dev/null 2>&1; rm -rf "$topo"' EXIT
	tests/topology.sh start "$topo/t" >/dev/null
	# shellcheck disable=SC1091
	. "$topo/t/env"
fi
python3 tests/clients/matrix.py --check --build "$build" --so "$build/lib/libwescale.so" "$@"
