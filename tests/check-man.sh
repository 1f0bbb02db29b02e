#!/bin/sh
# check-man.sh PAGE... — lint man pages (the configured ones, from the build dir).
#
# For each page: groff must format it without a single warning (-ww turns every
# warning category on), and, when mandoc is installed, `mandoc -Tlint` must have
# nothing to say (style notes included). Any message fails the page. Exit 0 when
# every page is clean, 1 otherwise; 77 (skipped) when groff is not installed.
set -u

if ! command -v groff >/dev/null 2>&1; then
	echo "check-man: groff not installed (apt-get install groff-base); skipping" >&2
	exit 77
fi
if [ $# -eq 0 ]; then
	echo "usage: check-man.sh PAGE..." >&2
	exit 2
fi
have_mandoc=false
command -v mandoc >/dev/null 2>&1 && have_mandoc=true
$have_mandoc || echo "check-man: mandoc not installed; groff checks only" >&2

failed=0
for page in "$@"; do
	if [ ! -r "$page" ]; then
		echo "FAIL $page: cannot read it" >&2
		failed=1
		continue
	fi
	ok=true
	if grep -q '@VERSION@' "$page"; then
		echo "FAIL $page: @VERSION@ was not replaced" >&2
		ok=false
	fi
	# groff reports warnings on stderr; a clean page writes nothing there.
	msgs=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	if [ -n "$msgs" ]; then
		printf 'FAIL %s: groff:\n%s\n' "$page" "$msgs" >&2
		ok=false
	fi
	if $have_mandoc; then
		msgs=$(mandoc -Tlint "$page" 2>&1)
		if [ -n "$msgs" ]; then
			printf 'FAIL %s: mandoc -Tlint:\n%s\n' "$page" "$msgs" >&2
			ok=false
		fi
	fi
	if $ok; then
		echo "ok   $page"
	else
		failed=1
	fi
done
exit $failed
