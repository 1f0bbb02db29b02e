# common.sh — sourced by the integration shell tests.
set -uo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

need_topology() {
	[ -n "${WS_TEST_PRIMARY_PORT:-}" ] ||
		fail "no topology in the environment (run through tests/run.sh, or source DIR/env from tests/topology.sh start DIR)"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The Debian python3 that has MySQLdb (a pyenv or venv python3 on PATH may not).
debian_python() {
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

# preload SO CMD...: run a foreign program (sysbench, python) with libwescale
# preloaded. In the ASan build the sanitizer runtimes must come first, and the
# foreign program's own leaks are not ours to report.
preload() {
	local so=$1; shift
	if [ -n "${WS_TEST_PRELOAD_PREFIX:-}" ]; then
		ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$WS_TEST_PRELOAD_PREFIX:$so" "$@"
	else
		LD_PRELOAD="$so" "$@"
	fi
}
