#!/usr/bin/env bash
# run.sh — the whole test suite, as the README gives it:
#   tests/run.sh            build, start a throwaway MariaDB topology, run every
#                           test (unit, fuzz, integration), stop the topology
#   tests/run.sh --asan     the same with AddressSanitizer + UBSan
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

build=build-tests
setup_args=(-Dbuildtype=debugoptimized)
if [ "${1:-}" = "--asan" ]; then
	shift
	build=build-asan
	setup_args+=(-Db_sanitize=address,undefined -Db_lundef=false)
fi

tests/deps.sh || exit 1
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "${setup_args[@]}" >/dev/null || exit 1
else
	meson setup "$build" "${setup_args[@]}" >/dev/null || exit 1
fi
ninja -C "$build" || { echo "0 passed, 1 failed"; exit 1; }

topo=$(mktemp -d /tmp/wescale-test.XXXXXX)
cleanup() { tests/topology.sh stop "$topo/t" >/dev/null 2>&1; rm -rf "$topo"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
tests/topology.sh start "$topo/t" || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$topo/t/env"

if [ "$build" = build-asan ]; then
	# Leak checking applies to our test programs; preloading an instrumented
	# library into uninstrumented programs (sysbench, python) needs the ASan
	# runtime preloaded first.
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	WS_TEST_PRELOAD_PREFIX="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
	export WS_TEST_PRELOAD_PREFIX
fi

meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
status=$?
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
	python3 - "$log" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get('result') in ('OK', 'EXPECTEDFAIL'):
        passed += 1
    else:  # FAIL, TIMEOUT, SKIP (a skip is a failure here), UNEXPECTEDPASS, ERROR
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
	[ $? = 0 ] || status=1
else
	echo "0 passed, 1 failed"
	status=1
fi
exit $status
