#!/usr/bin/env bash
# run.sh — the whole test suite, as the README gives it:
#
#   tests/run.sh            1. build (debugoptimized) and run every test — unit,
#                              fuzz, integration on a throwaway MariaDB topology;
#                           2. the unit suites again under valgrind memcheck;
#                           3. build with AddressSanitizer + UBSan and run them
#                              all again (fuzzers 60 s each, unit, integration),
#                              leaks checked;
#                           4. build with ThreadSanitizer and run the 64-thread
#                              stress test;
#                           then stop the topology.
#   tests/run.sh --quick    stage 1 only
#   tests/run.sh --asan     stage 3 only
#
# Ends with one line "N passed, N failed" over both stages; exits non-zero on
# any failure. A skipped test counts as failed.
set -uo pipefail
cd "$(dirname "$0")/.."

stages=(normal valgrind asan tsan)
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
count() { # count BUILD_DIR [LOG]: the pass/fail numbers of its last meson test run
	python3 - "$1/meson-logs/${2:-testlog.json}" <<'PY'
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

# One test run outside meson (the TSan stage): counts as one test.
one() { # one NAME COMMAND...
	if "${@:2}"; then
		echo "ok: $1"
		passed=$((passed + 1))
	else
		echo "FAIL: $1"
		failed=$((failed + 1))
		status=1
	fi
}

tsan_stress() {
	local log
	log=$(mktemp)
	TSAN_OPTIONS="halt_on_error=0 exitcode=66" build-tsan/tests/integration/stress-threads 64 5 >"$log" 2>&1
	local rc=$?
	cat "$log"
	if grep -q 'WARNING: ThreadSanitizer' "$log" || [ $rc != 0 ]; then
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

for stage in "${stages[@]}"; do
	build=build-tests
	args=(-Dbuildtype=debugoptimized)
	test_args=()
	if [ "$stage" = valgrind ]; then
		echo "=== stage: valgrind (unit suites under memcheck) ==="
		[ -f build-tests/build.ninja ] || meson setup build-tests "${args[@]}" >/dev/null
		ninja -C build-tests >/dev/null || { failed=$((failed + 1)); status=1; continue; }
		meson test -C build-tests --setup valgrind --suite memcheck --print-errorlogs --num-processes 2 || status=1
		read -r p f < <(count build-tests testlog-valgrind.json)
		echo "stage valgrind: $p passed, $f failed"
		passed=$((passed + p))
		failed=$((failed + f))
		continue
	fi
	if [ "$stage" = tsan ]; then
		echo "=== stage: tsan (64 threads, own handles, mixed statements) ==="
		if [ ! -f build-tsan/build.ninja ]; then
			meson setup build-tsan -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false >/dev/null ||
				{ failed=$((failed + 1)); continue; }
		fi
		if ninja -C build-tsan tests/integration/stress-threads >/dev/null; then
			one "stress-threads 64x5s under ThreadSanitizer" tsan_stress
		else
			one "building the ThreadSanitizer stage" false
		fi
		continue
	fi
	if [ "$stage" = asan ]; then
		build=build-asan
		# -Dcheck_memo: every plan a prepared statement remembered is decided
		# again and compared (an abort on a difference fails the test).
		args+=(-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz_seconds=60 -Dcheck_memo=true)
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
