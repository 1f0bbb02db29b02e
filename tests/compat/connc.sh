#!/usr/bin/env bash
# connc.sh — MariaDB Connector/C's own unit tests, run against the system
# libmariadb three ways: direct, preloaded with libwescale and no
# configuration, and preloaded with a cluster configuration (consistency =
# session, the application connecting to the primary). Prints pass/fail/skip
# counts per program and mode, crashes and hangs, and every test whose verdict
# differs from the direct run. docs/compatibility.md has the last result.
#
#   tests/compat/connc.sh CONNC_SOURCE_TREE [WORK_DIR] [PROGRAM...]
#
# CONNC_SOURCE_TREE: an unpacked Connector/C source tree of the release the
# system library comes from (3.3 for Debian 12's libmariadb3); this script
# fetches nothing. WORK_DIR (default /tmp/wescale-connc) keeps the built
# programs, the topology while it runs, and every log (WORK_DIR/log/MODE/PROG).
# Environment: WESCALE_LIB (default: build/lib/libwescale.so of this checkout),
# LIBMARIADB (default: the system's libmariadb.so.3), CONNC_TIMEOUT (seconds per
# program, default 180).
# Not run by CI (CI cannot fetch the Connector/C sources); run by hand before
# claiming Connector/C compatibility.
set -uo pipefail

die() { echo "connc.sh: $*" >&2; exit 2; }
src=${1:?usage: connc.sh CONNC_SOURCE_TREE [WORK_DIR] [PROGRAM...]}
work=${2:-/tmp/wescale-connc}
shift $(($# >= 2 ? 2 : 1))
here=$(cd "$(dirname "$0")/../.." && pwd)
lib=${WESCALE_LIB:-$here/build/lib/libwescale.so}
libmariadb=${LIBMARIADB:-$(ls /usr/lib/*/libmariadb.so.3 2>/dev/null | head -1)}
timeout_s=${CONNC_TIMEOUT:-180}
[ -f "$src/unittest/libmariadb/my_test.h" ] || die "$src is not a Connector/C source tree"
[ -f "$lib" ] || die "no $lib (build libwescale first, or set WESCALE_LIB)"
[ -f "$libmariadb" ] || die "no system libmariadb.so.3 (set LIBMARIADB)"
command -v cmake >/dev/null || die "cmake is needed (to generate the tree's configuration headers)"
src=$(cd "$src" && pwd)
mkdir -p "$work" && work=$(cd "$work" && pwd)

# The programs of unittest/libmariadb/CMakeLists.txt (API_TESTS and the manual
# rpl_api). Left out: ssl (it needs the server certificates and fingerprints
# of the server's own test suite) and dyncol (the system library does not
# export mariadb_dyncol_*).
progs=("$@")
[ ${#progs[@]} -gt 0 ] || progs=(conc336 bulk1 performance basic-t fetch charset logs cursor errors view ps ps_bugs
	sp result connection misc ps_new thread features-10_2 async rpl_api)

# ---- build, against the system library ----
if [ ! -f "$work/cfg/include/mariadb_version.h" ]; then
	echo "configuring $src (headers only)"
	cmake -S "$src" -B "$work/cfg" -DWITH_UNIT_TESTS=ON -DWITH_SSL=OPENSSL >"$work/cmake.log" 2>&1 ||
		die "cmake failed: $(tail -5 "$work/cmake.log")"
fi
mkdir -p "$work/bin"
# Internal symbols some tests use and the shared library does not export:
# stand-ins of our own, the same in every mode (basic-t's test_conc624, which
# sets errors through the internal setters, fails in every mode because of
# them; charset's auto test uses a simplified OS charset).
cat >"$work/bin/stubs.c" <<'EOF'
#include <langinfo.h>
#include <string.h>
const char *SQLSTATE_UNKNOWN = "HY000";
const char *client_errors[1] = { "" };
void stmt_set_error(void *stmt, unsigned int error_nr, const char *sqlstate, const char *format, ...)
{
	(void)stmt; (void)error_nr; (void)sqlstate; (void)format;
}
void my_set_error(void *mysql, unsigned int error_nr, const char *sqlstate, const char *format, ...)
{
	(void)mysql; (void)error_nr; (void)sqlstate; (void)format;
}
const char *madb_get_os_character_set(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0 ? "utf8mb4" : "latin1";
}
EOF
for p in "${progs[@]}"; do
	[ "$work/bin/$p" -nt "$src/unittest/libmariadb/$p.c" ] && continue
	cc -g -O1 -w -DLIBMARIADB -I"$work/cfg/include" -I"$src/include" -I"$src/unittest/mytap" \
		-I"$src/unittest/libmariadb" -o "$work/bin/$p" "$src/unittest/libmariadb/$p.c" \
		"$src/unittest/mytap/tap.c" "$src/unittest/libmariadb/ma_getopt.c" "$work/bin/stubs.c" "$libmariadb" -lpthread -lm \
		>"$work/bin/$p.log" 2>&1 || { echo "build of $p failed: $(head -3 "$work/bin/$p.log")"; continue; }
done

# ---- a topology whose servers offer TLS (run_tests connects with mysql_ssl_set) ----
topo="$work/topology"
"$here/tests/topology.sh" stop "$topo" >/dev/null 2>&1
WS_TOPOLOGY_TLS=1 "$here/tests/topology.sh" start "$topo" >"$work/topology.log" 2>&1 ||
	die "topology: $(tail -3 "$work/topology.log")"
trap '"$here/tests/topology.sh" stop "$topo" >/dev/null 2>&1' EXIT
. "$topo/env"
# The tests create schemas, users and procedures: the admin account, and the
# schema `test` they expect.
"$WS_TEST_MYSQL" --no-defaults -uroot --socket="$topo/node0/sock" -e "CREATE DATABASE IF NOT EXISTS test" ||
	die "cannot create schema test"
cat >"$work/cluster.conf" <<EOF
[cluster connc]
primary  = 127.0.0.1:$WS_TEST_PRIMARY_PORT
replicas = 127.0.0.1:$WS_TEST_REPLICA1_PORT, 127.0.0.1:$WS_TEST_REPLICA2_PORT
consistency = session
EOF
export MARIADB_CC_TEST=1 MYSQL_TEST_HOST=127.0.0.1 MYSQL_TEST_PORT=$WS_TEST_PRIMARY_PORT
export MYSQL_TEST_USER=$WS_TEST_ADMIN_USER MYSQL_TEST_PASSWD=$WS_TEST_ADMIN_PASSWORD MYSQL_TEST_DB=test
unset MYSQL_TEST_SOCKET MASTER_MYSOCK WESCALE_DISABLE

run() { # run MODE PROG: the TAP output in log/MODE/PROG, the exit status in log/MODE/PROG.rc
	local mode=$1 p=$2 out="$work/log/$1/$2" rc
	mkdir -p "$work/log/$mode"
	case $mode in
	direct) (cd "$work/bin" && env -u LD_PRELOAD -u WESCALE_CONFIG timeout -k 5 "$timeout_s" "./$p") ;;
	preload) (cd "$work/bin" && WESCALE_CONFIG=/nonexistent LD_PRELOAD="$lib" timeout -k 5 "$timeout_s" "./$p") ;;
	cluster) (cd "$work/bin" && WESCALE_CONFIG="$work/cluster.conf" LD_PRELOAD="$lib" timeout -k 5 "$timeout_s" "./$p") ;;
	esac >"$out" 2>&1 </dev/null
	rc=$?
	echo "$rc" >"$out.rc"
}
verdicts() { # verdicts FILE: "N ok|not ok|skip name" per test (TAP of mytap)
	sed -n -e 's/^\(not ok\|ok\) \([0-9]\+\) # skip \(.*\)$/\2 skip \3/p' \
		-e 's/^\(not ok\|ok\) \([0-9]\+\) - \(.*\)$/\2 \1 \3/p' "$1"
}
status_word() { # status_word RC
	case $1 in
	0) echo ok ;;
	124|137) echo HANG ;;
	13[0-9]|1[4-9][0-9]) echo "CRASH(sig $(($1 - 128)))" ;;
	*) echo "exit $1" ;;
	esac
}

printf '%-14s %-26s %-26s %-26s\n' program direct preload cluster
total_diff=0
declare -A bad
for p in "${progs[@]}"; do
	[ -x "$work/bin/$p" ] || { printf '%-14s not built\n' "$p"; continue; }
	line=$(printf '%-14s' "$p")
	for mode in direct preload cluster; do
		run $mode "$p"
		f="$work/log/$mode/$p"
		v=$(verdicts "$f")
		read -r pass fail skip < <(awk '$2 == "ok" { p++ } $2 == "not" { f++ } $2 == "skip" { s++ }
			END { print p + 0, f + 0, s + 0 }' <<<"$v")
		st=$(status_word "$(cat "$f.rc")")
		[ $mode = direct ] && direct_st=$st
		case $st in
		CRASH*|HANG) bad[$mode]+=" $p:$st" ;;
		*) [ "$st" = "$direct_st" ] || bad[$mode]+=" $p:$st" ;;
		esac
		line+=$(printf ' %-26s' "$pass/$fail/$skip $st")
	done
	echo "$line"
done
echo "(pass/fail/skip, then how the program ended: ok, exit N, CRASH(sig N), HANG = killed after ${timeout_s} s)"
echo
echo "tests whose verdict differs from the direct run:"
for p in "${progs[@]}"; do
	[ -f "$work/log/direct/$p" ] || continue
	for mode in preload cluster; do
		# Tests with another verdict; tests that never ran (the program
		# ended first) are counted, not listed.
		d=$(join -a1 -e MISSING -o 0,1.2,2.2,1.3 <(verdicts "$work/log/direct/$p" | sed 's/ not ok / not_ok /' | sort -k1,1) \
			<(verdicts "$work/log/$mode/$p" | sed 's/ not ok / not_ok /' | awk '{ print $1, $2 }' | sort -k1,1) |
			awk '$2 != $3' | sort -n)
		[ -n "$d" ] || continue
		total_diff=$((total_diff + 1))
		echo "  $p, $mode:"
		awk '$3 != "MISSING" { printf "    #%s %s: direct %s, '"$mode"' %s\n", $1, $4, $2, $3 }' <<<"$d"
		missing=$(awk '$3 == "MISSING"' <<<"$d" | wc -l)
		last=$(verdicts "$work/log/$mode/$p" | tail -1 | cut -d' ' -f1)
		last=${last:+after #$last}
		[ "$missing" -eq 0 ] || echo "    $missing more test(s) did not run: $(status_word "$(cat "$work/log/$mode/$p.rc")")" \
			"${last:-before the first test}"
	done
done
[ $total_diff -gt 0 ] || echo "  none"
echo
for mode in direct preload cluster; do
	echo "$mode: crashes, hangs, other ends than direct:${bad[$mode]:- none}"
done
[ -z "${bad[preload]:-}${bad[cluster]:-}" ] && [ $total_diff -eq 0 ]
