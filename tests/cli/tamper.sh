#!/bin/sh
# Tampering: every single-byte change to a small bundle, cut, reordered,
# duplicated, dropped and added lines are refused with exit 1 and not one
# record written.  (tests/unit/test-bundle.c changes every byte three ways
# in process; this drives the binary the way a user would.)
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

sign --seq 5 "$recs" >"$tmp/b"
size=$(wc -c <"$tmp/b")
run intel-verify -a "$ag" --to FR-DGSI "$tmp/b"
is "the untouched bundle verifies" "$status" 0
ok "it is small (about 1000 bytes)" test "$size" -lt 1400

# verify_bad FILE: empty when FILE is refused with exit 1, a check named
# on stderr and nothing on stdout; else says why.
verify_bad() {
	st=0
	intel-verify -q -a "$ag" --to FR-DGSI "$1" >"$tmp/t.out" 2>"$tmp/t.err" || st=$?
	if [ "$st" -ne 1 ]; then
		echo "exit $st"
	elif [ -s "$tmp/t.out" ]; then
		echo "records written"
	elif ! grep -Eq '^intel-verify: [^ ]+:[0-9]+: (header|trailer|agreement|sender|key|signature|digest|count|recipient|window|records|compliance|replay): ' "$tmp/t.err"; then
		echo "no check named: $(head -n 1 "$tmp/t.err")"
	fi
}

# Every byte with its lowest bit flipped, and every 10th byte made a
# newline: one file each (awk works on bytes under LC_ALL=C).
mkdir "$tmp/v"
awk -v dir="$tmp/v" '
BEGIN { for (i = 1; i < 256; i++) { c = sprintf("%c", i); ord[c] = i; chr[i] = c } }
{ text = text $0 "\n" }
END {
	n = length(text)
	for (i = 1; i <= n; i++) {
		o = ord[substr(text, i, 1)]
		f = o % 2 ? o - 1 : o + 1
		put(sprintf("%s/x%05d", dir, i), i, chr[f])
		if (i % 10 == 0 && o != 10)
			put(sprintf("%s/n%05d", dir, i), i, "\n")
	}
}
function put(file, i, c) {
	printf "%s%s%s", substr(text, 1, i - 1), c, substr(text, i + 1) >file
	close(file)
}' "$tmp/b"
ls "$tmp/v" >"$tmp/variants"
nx=$(grep -c '^x' "$tmp/variants")
is "one variant per byte" "$nx" "$size"
cmp -s "$tmp/v/x00001" "$tmp/b"
is "... each differs from the bundle" "$?" 1

# All of them in one run: each is refused on its own line, none written.
(cd "$tmp/v" && intel-verify -a "$ag" --to FR-DGSI $(cat "$tmp/variants")) \
    >"$tmp/out" 2>"$tmp/err"
is "every changed bundle in one run: exit 1" "$?" 1
empty "... not one record written" "$tmp/out"
total=$(wc -l <"$tmp/variants")
is "... each refused, naming itself and the check" \
    "$(grep -Ec '^intel-verify: [xn][0-9]{5}:[0-9]+: (header|trailer|agreement|sender|key|signature|digest|count|recipient|window|records|compliance|replay): ' "$tmp/err")" "$total"
has "... summary" "$tmp/err" "^intel-verify: 0 bundles accepted, $total refused; 0 records written$"

# And one process per bundle for every 7th byte (every 97th under
# valgrind): exit 1, a check named, nothing written.
step=7
[ -n "${INTEL_VALGRIND:-}" ] && step=97
bad=0
tried=0
i=1
while [ "$i" -le "$size" ]; do
	f=$(printf '%s/x%05d' "$tmp/v" "$i")
	why=$(verify_bad "$f")
	tried=$((tried + 1))
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		echo "# byte $i: $why"
	fi
	i=$((i + step))
done
is "$tried changed bundles, one run each: all refused" "$bad" 0

# Cut at a few places: nothing, one byte, inside the header, after it,
# inside a record, inside the trailer, the last newline.
hlen=$(head -n 1 "$tmp/b" | wc -c)
for n in 0 1 $((hlen - 1)) "$hlen" $((hlen + 100)) $((size - 100)) $((size - 1)); do
	head -c "$n" "$tmp/b" >"$tmp/t"
	is "cut to $n bytes: refused" "$(verify_bad "$tmp/t")" ""
done

# Whole lines.
line() { sed -n "$1p" "$tmp/b"; }
lines_case() {
	d=$1
	shift
	for l in "$@"; do line "$l"; done >"$tmp/t"
	is "$d: refused" "$(verify_bad "$tmp/t")" ""
}
lines_case "records reordered" 1 3 2 4
lines_case "a record dropped" 1 2 4
lines_case "both records dropped" 1 4
lines_case "a record duplicated" 1 2 2 3 4
lines_case "header duplicated" 1 1 2 3 4
lines_case "header dropped" 2 3 4
lines_case "trailer dropped" 1 2 3
lines_case "trailer duplicated" 1 2 3 4 4
lines_case "trailer first" 4 1 2 3
{ cat "$tmp/b"; echo; } >"$tmp/t"
is "a blank line added at the end: refused" "$(verify_bad "$tmp/t")" ""
{ line 1; echo; line 2; line 3; line 4; } >"$tmp/t"
is "a blank line added inside: refused" "$(verify_bad "$tmp/t")" ""
sed 's/$/\r/' "$tmp/b" >"$tmp/t"
is "CRLF line ends: refused" "$(verify_bad "$tmp/t")" ""
# A record of another bundle from the same sender, with its own signature.
printf '%s\n' '{"classification":"RESTRICTED","created":"2026-05-01T10:00:00Z","data":{"subject":{"name":"Eve"}},"id":"de-bka-9","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}' >"$tmp/other"
sign --seq 6 "$tmp/other" >"$tmp/b2"
{ line 1; sed -n 2p "$tmp/b2"; line 3; line 4; } >"$tmp/t"
is "a record swapped in from another bundle: refused" "$(verify_bad "$tmp/t")" ""
{ sed -n 1p "$tmp/b2"; line 2; line 3; line 4; } >"$tmp/t"
is "the header of another bundle: refused" "$(verify_bad "$tmp/t")" ""

# With -o, a tampered bundle leaves no file.
head -c 500 "$tmp/b" >"$tmp/t"
run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/o.ndjson" "$tmp/t"
is "-o and a tampered bundle: exit 1" "$status" 1
nok "... no file" test -e "$tmp/o.ndjson"

done_testing
