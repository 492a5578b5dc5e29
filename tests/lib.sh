# Sourced by every shell test in tests/cli.  Produces TAP for Automake's
# tap-driver.sh.  Helpers:
#   run CMD...            runs CMD, keeping stdout in $tmp/out, stderr in
#                         $tmp/err and the exit status in $status
#   is DESC GOT WANT      passes when GOT equals WANT
#   ok DESC CMD...        passes when CMD succeeds
#   nok DESC CMD...       passes when CMD fails
#   has DESC FILE REGEX   passes when FILE has a line matching REGEX (grep -E)
#   hasnt DESC FILE REGEX passes when no line of FILE matches
#   empty DESC FILE       passes when FILE is empty or missing
#   skip_all REASON       skips the whole script
#   done_testing          prints the plan; the exit status tells make
# The binaries are found on PATH ($top_builddir first).  Under
# --enable-valgrind, INTEL_VALGRIND wraps each of them.

set -u
LC_ALL=C
export LC_ALL
unset INTEL_AGREEMENT INTEL_KEY INTEL_PARTY || :

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
fixtures=$top_srcdir/tests/fixtures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/intel-test.XXXXXX")
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
INTEL_NOW=2026-11-26T05:00:00Z
export INTEL_NOW

mkdir "$tmp/bin"
for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	[ -x "$top_builddir/$t" ] || continue
	if [ -n "${INTEL_VALGRIND:-}" ]; then
		printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$INTEL_VALGRIND" \
		    "$top_builddir/$t" >"$tmp/bin/$t"
	else
		printf '#!/bin/sh\nexec "%s" "$@"\n' "$top_builddir/$t" \
		    >"$tmp/bin/$t"
	fi
	chmod +x "$tmp/bin/$t"
done
PATH=$tmp/bin:$PATH
export PATH

tap_n=0
tap_failed=0
status=0

_tap() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$tap_n" "$2"
	else
		tap_failed=$((tap_failed + 1))
		printf 'not ok %d - %s\n' "$tap_n" "$2"
	fi
}

run() {
	status=0
	"$@" >"$tmp/out" 2>"$tmp/err" || status=$?
}

is() {
	if [ "$2" = "$3" ]; then
		_tap 0 "$1"
	else
		_tap 1 "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3"
	fi
}

ok() {
	d=$1
	shift
	if "$@"; then _tap 0 "$d"; else _tap 1 "$d"; fi
}

nok() {
	d=$1
	shift
	if "$@"; then _tap 1 "$d"; else _tap 0 "$d"; fi
}

has() {
	if grep -Eq -- "$3" "$2" 2>/dev/null; then
		_tap 0 "$1"
	else
		_tap 1 "$1"
		printf '#   no line of %s matches %s; it holds:\n' "$2" "$3"
		head -c 2000 "$2" 2>/dev/null | sed 's/^/#     /'
	fi
}

hasnt() {
	if grep -Eq -- "$3" "$2" 2>/dev/null; then
		_tap 1 "$1"
		printf '#   %s matches %s\n' "$2" "$3"
	else
		_tap 0 "$1"
	fi
}

empty() {
	if [ -s "$2" ]; then
		_tap 1 "$1"
		head -c 2000 "$2" | sed 's/^/#     /'
	else
		_tap 0 "$1"
	fi
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 0
}

done_testing() {
	printf '1..%d\n' "$tap_n"
	[ "$tap_failed" -eq 0 ]
}
