#!/bin/sh
# -j N (SPEC 9): output, errors and line numbers exactly those of -j 1.
. "${top_srcdir:-.}/tests/lib.sh"

ag=$fixtures/agreements/trilateral.yaml
cp "$fixtures/agreements/trilateral.yaml" "$fixtures/agreements/trilateral.psk" "$tmp/"
chmod 600 "$tmp/trilateral.psk"
ag=$tmp/trilateral.yaml
sh "$top_srcdir/scripts/gen-records" -n 3000 -s 7 >"$tmp/recs.ndjson"

# same TOOL ARGS...: runs with -j 1, 2, 3 and 8 and compares everything.
same() {
	what=$1
	shift
	"$@" -j 1 >"$tmp/out1" 2>"$tmp/err1" && st1=0 || st1=$?
	[ -f "$tmp/side" ] && mv "$tmp/side" "$tmp/side1"
	for j in 2 3 8; do
		"$@" -j "$j" >"$tmp/outj" 2>"$tmp/errj" && stj=0 || stj=$?
		is "$what: -j $j status as -j 1" "$stj" "$st1"
		ok "$what: -j $j output as -j 1" cmp -s "$tmp/out1" "$tmp/outj"
		ok "$what: -j $j messages as -j 1" cmp -s "$tmp/err1" "$tmp/errj"
		if [ -f "$tmp/side" ]; then
			ok "$what: -j $j withheld file as -j 1" cmp -s "$tmp/side1" "$tmp/side"
			rm -f "$tmp/side"
		fi
	done
}

same "pack" intel-pack --origin DE-BKA "$tmp/recs.ndjson"
is "pack: every record" "$(wc -l <"$tmp/out1")" 3000

# A bad line deep in the input: the same records before it, the same line.
awk 'NR == 2345 { print "{\"type\":\"person\",\"broken\":" ; next } NR % 500 == 0 { print "" } { print }' \
    "$tmp/recs.ndjson" >"$tmp/bad.ndjson"
same "pack, bad line" intel-pack --origin DE-BKA "$tmp/bad.ndjson"
is "pack, bad line: stops at 65" "$st1" 65
has "pack, bad line: names the line" "$tmp/err1" "bad.ndjson:2349: invalid JSON"
same "pack --skip-bad" intel-pack --skip-bad --origin DE-BKA "$tmp/bad.ndjson"
has "pack --skip-bad: counted" "$tmp/err1" "3000 read, 2999 written, 1 skipped"

same "redact" intel-redact -a "$ag" --from DE-BKA --to FR-DGSI --withheld "$tmp/side" "$tmp/recs.ndjson"
is "redact: exit 0" "$st1" 0
ok "redact: released some" test -s "$tmp/out1"
same "redact --explain" intel-redact -a "$ag" --from DE-BKA --to FR-DGSI --explain "$tmp/recs.ndjson"
same "redact, bad line" intel-redact -a "$ag" --from DE-BKA --to FR-DGSI --withheld "$tmp/side" "$tmp/bad.ndjson"
is "redact, bad line: 65" "$st1" 65
has "redact, bad line: names the line" "$tmp/err1" "bad.ndjson:2349: "

run intel-redact -a "$ag" --from DE-BKA --to FR-DGSI -j 0 "$tmp/recs.ndjson"
is "-j 0: usage error 64" "$status" 64
has "... says what -j takes" "$tmp/err" "-j takes a number of worker threads from 1 to 64"
run intel-pack --origin DE-BKA -j x "$tmp/recs.ndjson"
is "-j x: usage error 64" "$status" 64
done_testing
