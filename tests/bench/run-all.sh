#!/usr/bin/env bash
# run-all.sh — every benchmark in one command (docs/performance.md):
#
#   tests/bench/run-all.sh [-q] [-o FILE]
#
# Builds a release tree (build-perf, or $BUILD), starts a throwaway primary + 2
# replicas on 127.0.0.1 (tests/topology.sh), runs bench-classify, bench-rules,
# bench-balance (no server), bench-overhead, bench-scale and bench-sysbench.sh,
# prints their tables, and stops the topology (and the haproxy the benchmarks
# start) whatever happens. -q: quick settings (~2 minutes instead of ~25),
# for a smoke test, not for figures. -o FILE: also write everything to FILE.
# Missing Debian packages (haproxy, sysbench, valgrind, …) are installed with
# apt-get when run as root. Figures only: the exit status is non-zero only when
# a benchmark could not run or a statement failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build-perf}
quick=0
out=
while getopts "qo:" opt; do
	case $opt in
	q) quick=1 ;;
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-q] [-o FILE]" >&2; exit 2 ;;
	esac
done
if [ -n "$out" ]; then
	exec > >(tee "$out") 2>&1
fi

die() { echo "run-all: $*" >&2; exit 2; }

# ---- what it needs ----
"$root/tests/deps.sh" || die "missing packages (tests/deps.sh)"
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "run-all: installing haproxy" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >&2; } ||
			echo "run-all: could not install haproxy: the proxy rows are skipped" >&2
	else
		echo "run-all: haproxy is not installed (apt-get install haproxy): the proxy rows are skipped" >&2
	fi
fi

# ---- build ----
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" --buildtype=release >/dev/null || die "meson setup $build failed"
fi
ninja -C "$build" >/dev/null || die "build failed (ninja -C $build)"
bench=$build/tests/bench

# ---- the topology ----
topo=$(mktemp -d /tmp/wescale-perf.XXXXXX)
cleanup() { "$root/tests/topology.sh" stop "$topo" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$root/tests/topology.sh" start "$topo" >/dev/null || die "could not start the topology"
# shellcheck disable=SC1091
. "$topo/env"

# ---- the machine ----
echo "== libwescale benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$root" describe --always --dirty 2>/dev/null || echo 'no git')"
echo "machine: $(nproc) CPUs, $(lscpu | awk -F': *' '/^Model name/ {print $2}'), $(awk '/MemTotal/ {printf "%.0f GB RAM", $2 / 1048576}' /proc/meminfo)"
echo "kernel $(uname -r); $(mariadbd --version 2>/dev/null | awk '{print $3}') servers on 127.0.0.1; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $build (buildtype $(meson introspect --buildoptions "$build" 2>/dev/null | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))' 2>/dev/null || echo '?'))"
echo

status=0
step() { # step TITLE COMMAND...
	local title=$1
	shift
	echo "== $title"
	"$@" || { echo "run-all: $title exited with status $?" >&2; status=1; }
	echo
}

if [ "$quick" = 1 ]; then
	step "classifier (bench-classify)" "$bench/bench-classify" -q
	step "query rules (bench-rules)" "$bench/bench-rules" -q
	step "balancer (bench-balance)" "$bench/bench-balance" 20000
	step "one thread: overhead vs plain libmariadb and haproxy (bench-overhead)" "$bench/bench-overhead" -q
	step "1 to 256 threads (bench-scale)" "$bench/bench-scale" -q
	step "sysbench: direct, LD_PRELOAD, haproxy (bench-sysbench.sh)" \
		env SB_TIME=3 SB_THREADS="1 4" "$here/bench-sysbench.sh" "$build"
else
	step "classifier (bench-classify)" "$bench/bench-classify"
	step "query rules (bench-rules)" "$bench/bench-rules"
	step "balancer (bench-balance)" "$bench/bench-balance"
	step "one thread: overhead vs plain libmariadb and haproxy (bench-overhead)" "$bench/bench-overhead"
	step "1 to 256 threads (bench-scale)" "$bench/bench-scale"
	step "sysbench: direct, LD_PRELOAD, haproxy (bench-sysbench.sh)" \
		env SB_RUNS="${SB_RUNS:-3}" "$here/bench-sysbench.sh" "$build"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
