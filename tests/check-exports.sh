#!/usr/bin/env bash
# libwescale.so must export what libmariadb.so.3 exports — same names, same
# version nodes, default and non-default — plus only the wescale_* calls. A
# leaked internal symbol or a missing/misversioned client call fails.
#   check-exports.sh LIBWESCALE_SO LIBMARIADB_SO
set -uo pipefail
ours=$1 theirs=$2
# Deliberate exceptions (README, "Deliberate differences"): data objects.
exceptions='^(mysql_ps_fetch_functions|mariadb_deinitialize_ssl)@'
syms() { readelf --dyn-syms -W "$1" | awk '$7 != "UND" && $5 != "LOCAL" && NR > 3 && $8 != "" {print $8}' | sort -u; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
syms "$theirs" | grep -Ev "$exceptions" >"$tmp/theirs"
syms "$ours" >"$tmp/ours"
status=0
missing=$(comm -23 "$tmp/theirs" "$tmp/ours")
if [ -n "$missing" ]; then
	echo "FAIL: exported by $(basename "$theirs") but not by libwescale:"; echo "$missing" | head -50; status=1
fi
extra=$(comm -13 "$tmp/theirs" "$tmp/ours" | grep -Ev '^(wescale_[a-z0-9_]+@@WESCALE_0|WESCALE_0)$')
if [ -n "$extra" ]; then
	echo "FAIL: libwescale exports symbols that are not part of the API:"; echo "$extra" | head -50; status=1
fi
n_ours=$(grep -c . "$tmp/ours"); n_theirs=$(grep -c . "$tmp/theirs")
n_ws=$(grep -c '^wescale_' "$tmp/ours")
[ "$n_ws" -ge 1 ] || { echo "FAIL: no wescale_* symbols exported"; status=1; }
readelf -d "$ours" | grep -q 'SONAME.*libwescale.so.0' || { echo "FAIL: no SONAME libwescale.so.0"; status=1; }
readelf -d "$ours" | grep -q 'NEEDED.*libmariadb' && { echo "FAIL: libwescale must not link libmariadb (it is resolved at run time)"; status=1; }
[ $status = 0 ] && echo "ok: $n_ours exported symbols = $n_theirs client calls of $(basename "$theirs") (same versions) + $n_ws wescale_* calls"
exit $status
