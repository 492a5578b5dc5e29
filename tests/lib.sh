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
#   man_examples PAGE [DIR]  the EXAMPLES of a manual (see below)
# Every script works in its own folder $tmp, removed on exit; with
# INTEL_KEEP_TMP=1 in the environment it is kept and its path printed
# (on stderr, so in the test's .log under make check).
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
if [ "${INTEL_KEEP_TMP:-0}" != 0 ]; then
	trap 'printf "# INTEL_KEEP_TMP: kept %s\n" "$tmp" >&2' EXIT
else
	trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fi
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

# bail_out WHY: stops the script, as TAP says, when what every later test
# needs could not be set up.
bail_out() {
	printf 'Bail out! %s\n' "$1"
	exit 99
}

# names DIR: the names in DIR, dot-names too, on one line as ls -A sorts
# them (what a test compares before and after a run that must make none).
names() {
	(cd "$1" && ls -A) | tr '\n' ' '
}

# need_tools [TOOL...]: skips the whole script unless every TOOL (by
# default all five) is built.
need_tools() {
	[ "$#" -gt 0 ] || set -- intel-pack intel-redact intel-sign \
	    intel-verify intel-merge
	for _t in "$@"; do
		[ -x "$top_builddir/$_t" ] || skip_all "$_t is not built"
	done
}

done_testing() {
	printf '1..%d\n' "$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# man_examples PAGE [DIR]: the EXAMPLES section of the manual PAGE (a name
# under man/, or a path), as the reader sees it: the mdoc escapes \e, \-
# and \& undone.  A command is a "$ " line of a display (.Bd ... .Ed) with
# the lines that continue it after a trailing "|" or "\" joined on (the
# "\" dropped).  Without DIR, prints the commands one a line.  With DIR
# (emptied first), writes DIR/N.sh, command N (N from 1), DIR/N.out, the
# lines its display shows after it, and DIR/block-M, display M whole.
man_examples() {
	case $1 in
	*/*) _page=$1 ;;
	*) _page=$top_srcdir/man/$1 ;;
	esac
	if [ $# -gt 1 ]; then
		rm -rf "$2"
		mkdir -p "$2" || return 1
	fi
	awk -v dir="${2:-}" '
	function unesc(s,   r, i, c) {
		r = ""
		while ((i = index(s, "\\")) > 0) {
			c = substr(s, i + 1, 1)
			r = r substr(s, 1, i - 1)
			if (c == "e")
				r = r "\\"
			else if (c == "-")
				r = r "-"
			else if (c != "&")
				r = r "\\" c
			s = substr(s, i + 2)
		}
		return r s
	}
	function more(line) {
		if (line ~ /\\$/) {
			sub(/ *\\$/, "", line)
			cmd = cmd line
			return 1
		}
		cmd = cmd line
		return line ~ /\|$/
	}
	function emit() {
		if (dir == "")
			print cmd
		else {
			print cmd > (dir "/" n ".sh")
			close(dir "/" n ".sh")
		}
		cmd = ""
	}
	/^\.Sh EXAMPLES/ { on = 1; next }
	/^\.Sh / { on = 0 }
	!on { next }
	/^\.Bd / { bd = 1; nb++; after = 0; cont = 0; next }
	/^\.Ed/ {
		if (cont)
			emit()
		bd = 0; cont = 0
		if (dir != "") {
			close(dir "/block-" nb)
			if (n > 0)
				close(dir "/" n ".out")
		}
		next
	}
	!bd { next }
	{
		line = unesc($0)
		if (dir != "")
			print line > (dir "/block-" nb)
	}
	cont {
		sub(/^ +/, "", line)
		cmd = cmd " "
		if (!(cont = more(line)))
			emit()
		next
	}
	/^\$ / {
		n++
		after = 1
		if (dir != "")
			printf "" > (dir "/" n ".out")
		cmd = ""
		if (!(cont = more(substr(line, 3))))
			emit()
		next
	}
	after && dir != "" { print line > (dir "/" n ".out") }
	' "$_page"
}
