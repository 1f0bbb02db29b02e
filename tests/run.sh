#!/usr/bin/env bash
# run.sh — the whole test suite, as the README gives it:
#
#   tests/run.sh            1. build (debugoptimized) and run every test — unit,
#                              fuzz, integration on a throwaway MariaDB topology;
#                           2. build with AddressSanitizer + UBSan and run them
#                              all again (fuzzers, unit, integration), leaks
#                              checked;
#                           then stop the topology.
#   tests/run.sh --quick    stage 1 only
#   tests/run.sh --asan     stage 2 only
#
# Ends with one line "N passed, N failed" over both stages; exits non-zero on
# any failure. A skipped test counts as failed.
set -uo pipefail
cd "$(dirname "$0")/.."

stages=(normal asan)
case "${1:-}" in
--quick) stages=(normal); shift ;;
--asan) stages=(asan); shift ;;
esac

tests/deps.sh || exit 1

topo=$(mktemp -d /tmp/wescale-test.XXXXXX)
cleanup() { tests/topology.sh stop "$topo/t" >/dev/null 2>&1; rm -rf "$topo"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
tests/topology.sh start "$topo/t" || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$topo/t/env"

passed=0 failed=0 status=0
count() { # count BUILD_DIR: add its testlog.json results to the totals
	python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get('result') in ('OK', 'EXPECTEDFAIL'):
            p += 1
        else:  # FAIL, TIMEOUT, SKIP (a skip is a failure here), UNEXPECTEDPASS, ERROR
            f += 1
except OSError:
    f = 1
print(p, f)
PY
}

for stage in "${stages[@]}"; do
	build=build-tests
	args=(-Dbuildtype=debugoptimized)
	test_args=()
	if [ "$stage" = asan ]; then
		build=build-asan
		args+=(-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz_seconds=20)
		# sysbench hangs at exit when the ASan runtime is preloaded into it,
		# with or without libwescale (glibc's locale lock, p11-kit's
		# destructor): stage 1 runs that test.
		test_args+=(--no-suite sysbench)
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		WS_TEST_PRELOAD_PREFIX="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
		export WS_TEST_PRELOAD_PREFIX
	fi
	echo "=== stage: $stage ($build) ==="
	if [ -f "$build/build.ninja" ]; then
		meson setup --reconfigure "$build" "${args[@]}" >/dev/null || { failed=$((failed + 1)); continue; }
	else
		meson setup "$build" "${args[@]}" >/dev/null || { failed=$((failed + 1)); continue; }
	fi
	ninja -C "$build" || { failed=$((failed + 1)); status=1; continue; }
	meson test -C "$build" --print-errorlogs --num-processes 2 "${test_args[@]}" "$@" || status=1
	read -r p f < <(count "$build")
	echo "stage $stage: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed"
exit $status
