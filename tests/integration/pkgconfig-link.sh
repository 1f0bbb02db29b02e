#!/usr/bin/env bash
# Install into a scratch prefix, then build a program the way users do:
#   cc app.c $(pkg-config --cflags --libs wescale)     (no -lmariadb)
# and run it against the topology.
#   pkgconfig-link.sh BUILD_DIR SOURCE_DIR
. "$(dirname "$0")/common.sh"
need_topology
build=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild >"$tmp/install.log" 2>&1 || fail "meson install failed: $(tail "$tmp/install.log")"
pc=$(find "$tmp/root" -name wescale.pc | head -1)
[ -n "$pc" ] || fail "wescale.pc was not installed"
find "$tmp/root" -name wescale.h | grep -q . || fail "wescale.h was not installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$tmp/root$prefix" --cflags --libs wescale) || fail "pkg-config failed"
case "$flags" in *-lmariadb*) fail "pkg-config --libs wescale asks for -lmariadb: $flags" ;; esac
# In the sanitizer stage the installed library is instrumented: so is the program.
san=""
[ -n "${WS_TEST_PRELOAD_PREFIX:-}" ] && san="-fsanitize=address,undefined"
cc $san -o "$tmp/app" "$src/examples/link-basic.c" $flags || fail "building link-basic.c with pkg-config flags failed"
readelf -d "$tmp/app" | grep -q 'NEEDED.*libmariadb' && fail "the program needs libmariadb directly"
libdir=$(dirname "$(find "$tmp/root" -name 'libwescale.so.0' | head -1)")
WESCALE_CONFIG="$WS_TEST_CONFIG" LD_LIBRARY_PATH="$libdir" "$tmp/app" >"$tmp/out" 2>&1 || fail "link-basic failed: $(cat "$tmp/out")"
cat "$tmp/out"
grep -q 'wrote and read back' "$tmp/out" || fail "link-basic did not complete"
echo "ok: installed library, header and wescale.pc build and run a program with no -lmariadb"
