#!/bin/sh
# SPEC 9: "-" is standard input for an input and standard output for -o,
# in every tool alike; intel-merge takes -q, -v, -h and --version from the
# table the other tools share, and no -j or -o.
. "${top_srcdir:-.}/tests/lib.sh"
need_tools
unset INTEL_ID_KEY || :
. "$top_srcdir/tests/cli/lib-bundle.sh"
key=$tmp/k/DE-BKA.key
intel-sign -q -a "$ag" -k "$key" --to FR-DGSI --seq 1 "$recs" >"$tmp/bundle"
mkdir "$tmp/wd"
cd "$tmp/wd" || exit 1

# args TOOL: the options of a run of TOOL (its input comes after them).
args() {
	case $1 in
	intel-pack) echo "--origin DE-BKA --type person" ;;
	intel-redact) echo "-a $ag --from DE-BKA --to FR-DGSI" ;;
	intel-sign) echo "-a $ag -k $key --to FR-DGSI --seq 5" ;;
	intel-verify) echo "-a $ag --to FR-DGSI" ;;
	intel-merge) echo "" ;;
	esac
}

for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	in=$recs
	[ $t = intel-verify ] && in=$tmp/bundle
	# shellcheck disable=SC2046
	$t -q $(args $t) "$in" >"$tmp/file.out" 2>"$tmp/file.err"
	is "$t FILE: exit 0" "$?" 0
	# shellcheck disable=SC2046
	$t -q $(args $t) - <"$in" >"$tmp/dash.out" 2>"$tmp/dash.err"
	is "$t -: exit 0" "$?" 0
	# shellcheck disable=SC2046
	$t -q $(args $t) <"$in" >"$tmp/none.out" 2>"$tmp/none.err"
	is "$t (no FILE): exit 0" "$?" 0
	if [ $t = intel-sign ]; then	# the bundle id and its digests differ
		for f in file dash none; do
			sed '1s/"id":"[0-9a-f]*"//;$d' "$tmp/$f.out" >"$tmp/$f.cmp"
		done
	else
		for f in file dash none; do cp "$tmp/$f.out" "$tmp/$f.cmp"; done
	fi
	ok "$t: - reads standard input" cmp -s "$tmp/file.cmp" "$tmp/dash.cmp"
	ok "$t: no FILE reads standard input" cmp -s "$tmp/file.cmp" \
	    "$tmp/none.cmp"
	[ $t = intel-merge ] && continue
	# shellcheck disable=SC2046
	$t -q $(args $t) -o - "$in" >"$tmp/o.out" 2>"$tmp/o.err"
	is "$t -o -: exit 0" "$?" 0
	if [ $t = intel-sign ]; then
		sed '1s/"id":"[0-9a-f]*"//;$d' "$tmp/o.out" >"$tmp/o.cmp"
	else
		cp "$tmp/o.out" "$tmp/o.cmp"
	fi
	ok "$t -o -: standard output" cmp -s "$tmp/file.cmp" "$tmp/o.cmp"
	ok "$t -o -: no file named -" test ! -e "$tmp/wd/-"
done

# intel-merge and the shared table.
run intel-merge --help
is "merge --help: exit 0" "$status" 0
has "merge --help: usage on stdout" "$tmp/out" '^usage: intel-merge '
empty "merge --help: nothing on stderr" "$tmp/err"
run intel-merge --version
is "merge --version: exit 0" "$status" 0
has "merge --version: the version" "$tmp/out" "^intel-merge \\(intel-share\\) "
run intel-merge -h
is "merge -h: exit 0" "$status" 0
for o in "-j 2" "--jobs=2" "-o x" "--output=x" "--bogus"; do
	# shellcheck disable=SC2086
	run intel-merge $o "$recs"
	is "merge $o: exit 64" "$status" 64
	has "merge $o: usage on stderr" "$tmp/err" '^usage: intel-merge '
	empty "merge $o: nothing on stdout" "$tmp/out"
	ok "merge $o: no file x" test ! -e "$tmp/wd/x"
done
run intel-merge -q -v "$recs"
is "merge -q -v: exit 0" "$status" 0
has "merge -v: says more" "$tmp/err" 'records in the result$'
hasnt "merge -q: no summary" "$tmp/err" '^intel-merge: read '
# The end of every run through cli_finish(): a write error is 74.
if [ -w /dev/full ]; then
	run sh -c 'intel-merge "$1" >/dev/full' sh "$recs"
	is "merge to a full disk: exit 74" "$status" 74
	has "merge to a full disk: said" "$tmp/err" '^intel-merge: .*(write error|No space)'
fi
done_testing
