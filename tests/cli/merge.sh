#!/bin/sh
# intel-merge (SPEC 8): the rules of a merge, the store, hits, expiry,
# errors, and the man page's EXAMPLES.  Crashes, concurrency and full disks
# are in merge-crash.sh.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
fx=$fixtures/merge
gen="$top_srcdir/tests/merge-gen.sh"
wd=$tmp/w
mkdir "$wd"

# The names in a folder, hidden ones included, on one line.

rec() {	# origin id version data [more members]
	printf '{"created":"2026-01-01T00:00:00Z","data":%s,"id":"%s","origin":"%s","type":"person","version":%s%s}\n' \
	    "$4" "$2" "$1" "$3" "${5:-}"
}

## Common options.
run intel-merge --help
is "--help: exit 0" "$status" 0
has "--help: usage on stdout" "$tmp/out" '^usage: intel-merge'
run intel-merge --version
is "--version: exit 0" "$status" 0
has "--version: names the package" "$tmp/out" "^intel-merge \(intel-share\) [0-9]"
run intel-merge --no-such-option
is "unknown option: 64" "$status" 64
has "unknown option: usage on stderr" "$tmp/err" '^usage: intel-merge'
empty "unknown option: nothing on stdout" "$tmp/out"
run env INTEL_NOW=yesterday intel-merge "$fx/day1.ndjson"
is "invalid INTEL_NOW: 64" "$status" 64
empty "invalid INTEL_NOW: nothing written" "$tmp/out"
run intel-merge --hits - "$fx/day1.ndjson"
is "--hits - without -s: 64" "$status" 64

## The EXAMPLES of intel-merge.1, run as written.
ex=$tmp/ex
mkdir "$ex"
cp "$fx/day1.ndjson" "$fx/day2.ndjson" "$ex/"
# The commands are taken from the page: lines that start with "$ ".
man_examples intel-merge.1 >"$tmp/examples"
is "EXAMPLES: five commands" "$(wc -l <"$tmp/examples" | tr -d ' ')" 5
(
	cd "$ex" || exit 1
	while IFS= read -r cmd; do
		printf '# $ %s\n' "$cmd" >&3
		eval "$cmd" || exit 1
	done <"$tmp/examples"
) 3>&1 >"$tmp/out" 2>"$tmp/err"
is "EXAMPLES run" "$?" 0
is "EXAMPLES: store after the purge" "$(cut -d, -f1-99 "$ex/store.ndjson" |
    sed 's/.*"id":"\([^"]*\)".*"version":\([0-9]*\).*/\1 v\2/' | tr '\n' ' ')" \
    "de-1 v2 de-2 v2 fr-1 v1 fr-2 v1 fr-3 v1 "
has "EXAMPLES: de-2 is a tombstone" "$ex/store.ndjson" \
    '"data":\{\},.*"id":"de-2".*"withdrawn":true\}$'
has "EXAMPLES: fr-1 delivered twice keeps the earliest expires" \
    "$ex/store.ndjson" '"expires":"2028-11-20T10:00:00Z","id":"fr-1"'
is "EXAMPLES: one hit" "$(cat "$ex/hits.ndjson")" \
    '{"pseudonym":"pn:5f0c9a1e2b3d4c5e6f708192a3b4c5d6","records":[{"id":"de-1","origin":"DE-BKA","path":"subject.passport"},{"id":"fr-1","origin":"FR-DGSI","path":"subject.passport"}]}'
has "EXAMPLES: summary of the second merge" "$tmp/err" \
    '^intel-merge: read 5, added 2, updated 1, withdrawn 1, unchanged 1, conflicts 0, expired 0$'
hasnt "EXAMPLES: no conflict for a record delivered twice" "$tmp/err" "conflict:"
is "EXAMPLES: store is mode 0600" "$(stat -c %a "$ex/store.ndjson")" 600

## Stdout mode: sorted by origin then id in UTF-8 byte order, canonical.
{
	rec b é 1 '{}'
	rec b z 1 '{}'
	rec b Z 1 '{}'
	rec a-b x 1 '{"v":1.0,"u":"x"}'
	rec a x 1 '{}'
} >"$wd/order.ndjson"
run intel-merge -q "$wd/order.ndjson"
is "stdout mode: exit 0" "$status" 0
is "stdout mode: sorted by origin, then id, bytewise" \
    "$(sed 's/.*"id":"\([^"]*\)","origin":"\([^"]*\)".*/\2:\1/' "$tmp/out" |
    tr '\n' ' ')" "a:x a-b:x b:Z b:z b:é "
has "stdout mode: written canonically" "$tmp/out" \
    '^\{"created":"2026-01-01T00:00:00Z","data":\{"u":"x","v":1\},"id":"x","origin":"a-b"'
empty "-q: no summary" "$tmp/err"

## Versions, recalls, the same record twice, conflicts.
rec O r 1 '{"a":1}' >"$wd/v1"
rec O r 3 '{"a":3}' >"$wd/v3"
rec O r 2 '{"a":2}' >"$wd/v2"
run intel-merge "$wd/v1" "$wd/v3" "$wd/v2"
is "the highest version wins" "$(cat "$tmp/out")" "$(cat "$wd/v3")"
has "summary: two of three unchanged" "$tmp/err" \
    'read 3, added 1, updated 0, withdrawn 0, unchanged 2, conflicts 0, expired 0'
rec O r 4 '{}' ',"withdrawn":true' >"$wd/w4"
run intel-merge "$wd/v3" "$wd/w4"
is "a higher withdrawn version replaces the record by its tombstone" \
    "$(cat "$tmp/out")" "$(cat "$wd/w4")"
rec O r 3 '{"a":3}' ',"withdrawn":false' >"$wd/v3f"
rec O r 2 '{}' ',"withdrawn":true' >"$wd/w2"
run intel-merge "$wd/v3" "$wd/w2"
is "a lower tombstone does not replace a newer version" \
    "$(cat "$tmp/out")" "$(cat "$wd/v3")"

rec O r 1 '{"a":1}' ',"withdrawn":false' >"$wd/c1"
rec O r 1 '{"a":2}' >"$wd/c2"
run intel-merge "$wd/c1" "$wd/c2"
is "conflict: exit 0" "$status" 0
has "conflict: reported with origin and id" "$tmp/err" \
    'c2:1: conflict: origin O id r version 1'
has "conflict: counted" "$tmp/err" 'conflicts 1,'
first=$(cat "$tmp/out")
run intel-merge "$wd/c2" "$wd/c1"
is "conflict: the same winner in either order" "$(cat "$tmp/out")" "$first"
has "conflict: reported either way" "$tmp/err" 'conflict: origin O id r'
is "conflict: the canonical bytes that sort first stay" "$first" \
    "$(rec O r 1 '{"a":1}' ',"withdrawn":false')"

rec O d 1 '{"a":1}' ',"received":{"at":"2026-11-02T00:00:00Z","bundle":"b","from":"O"},"expires":"2027-01-01T00:00:00Z"' >"$wd/d1"
rec O d 1 '{"a":1}' ',"received":{"at":"2026-11-01T00:00:00Z","bundle":"a","from":"O"},"expires":"2027-02-01T00:00:00Z"' >"$wd/d2"
rec O d 1 '{"a":1}' >"$wd/d3"
run intel-merge "$wd/d1" "$wd/d2" "$wd/d3"
hasnt "the same record delivered three times: no conflict" "$tmp/err" "conflict:"
has "delivered three times: the earliest expires stays" "$tmp/out" \
    '"expires":"2027-01-01T00:00:00Z"'
has "delivered three times: counted once" "$tmp/err" 'added 1, .*unchanged 2,'
a=$(cat "$tmp/out")
run intel-merge "$wd/d3" "$wd/d2" "$wd/d1"
is "delivered three times: the same copy in any order" "$(cat "$tmp/out")" "$a"

## The store: added, updated, unchanged lines copied byte for byte.
s=$wd/store.ndjson
run intel-merge -s "$s" "$fx/day1.ndjson"
is "new store: exit 0" "$status" 0
empty "-s: nothing on stdout" "$tmp/out"
is "new store: four records" "$(wc -l <"$s" | tr -d ' ')" 4
is "new store: no leftovers beside it" "$(names "$wd" | tr ' ' '\n' |
    grep store | tr '\n' ' ')" "store.ndjson store.ndjson.lock "
# A store line that is valid but not canonical is copied as it is.
sed 's/^{"classification":"CONFIDENTIAL","created":"2026-11-19T12:00:00Z",/{"created":"2026-11-19T12:00:00Z",  "classification":"CONFIDENTIAL",/' \
    "$s" >"$wd/tmp" && sed -n 4p "$wd/tmp" >"$wd/line4" && cp "$wd/tmp" "$s"
chmod 640 "$s"
run intel-merge -s "$s" "$fx/day2.ndjson"
is "second merge: exit 0" "$status" 0
has "an unchanged store line is copied byte for byte" "$s" \
    "^$(sed 's/[][\\.*^$(){}|+?]/\\&/g' "$wd/line4")\$"
is "the store keeps its mode" "$(stat -c %a "$s")" 640
ino=$(stat -c %i "$s")
cp "$s" "$wd/before"
run intel-merge -s "$s" "$fx/day1.ndjson"
is "a merge that changes nothing: exit 0" "$status" 0
has "... counts all unchanged" "$tmp/err" 'read 4, added 0, updated 0, withdrawn 0, unchanged 4'
is "... leaves the store file alone" "$(stat -c %i "$s")" "$ino"
ok "... and its bytes" cmp -s "$s" "$wd/before"

## --expire.
exp=$wd/exp.ndjson
{
	rec E old 1 '{}' ',"expires":"2026-11-26T04:59:59Z"'
	rec E now 1 '{}' ',"expires":"2026-11-26T05:00:00Z"'
	rec E off 1 '{}' ',"expires":"2026-11-26T06:30:00+02:00"'
	rec E tomb 2 '{}' ',"expires":"2020-01-01T00:00:00Z","withdrawn":true'
	rec E keep 1 '{}'
} >"$exp"
run intel-merge -q "$exp"
is "without --expire nothing is dropped" "$(wc -l <"$tmp/out" | tr -d ' ')" 5
run intel-merge --expire "$exp"
is "--expire: exit 0" "$status" 0
is "--expire: drops what expired before now, keeps tombstones" \
    "$(sed 's/.*"id":"\([^"]*\)".*/\1/' "$tmp/out" | tr '\n' ' ')" \
    "keep now tomb "
has "--expire: counted" "$tmp/err" 'expired 2$'
cp "$exp" "$wd/exps"
run intel-merge -q -s "$wd/exps" "$exp"
is "unsorted input file as store is refused" "$status" 65
run intel-merge -q -s "$wd/exps2" "$exp"
run intel-merge --expire -s "$wd/exps2" </dev/null
is "--expire on a store without input: exit 0" "$status" 0
has "--expire on a store: counted" "$tmp/err" 'read 0, .*expired 2$'
is "--expire on a store: the rest stays" "$(wc -l <"$wd/exps2" | tr -d ' ')" 3

## --hits.
P1=pn:11111111111111111111111111111111
P2=pn:22222222222222222222222222222222
P3=pn:33333333333333333333333333333333
{
	rec A a1 1 "{\"s\":{\"passport\":\"$P1\"},\"v\":[{\"plate\":\"$P2\"},{\"plate\":\"$P2\"}]}"
	rec A a2 1 "{\"plate\":\"$P3\"}"
	rec A a3 1 "{\"x\":\"$P3\",\"n\":[\"$P1\"]}"
	rec B $P1 1 '{}'
	rec B b2 2 '{}' ',"withdrawn":true'
	rec C c1 1 "{\"deep\":{\"er\":[[\"$P1\"]]}}"
} >"$wd/hits.in"
rec B b2 1 "{\"plate\":\"$P2\"}" >"$wd/hits.b2"
run intel-merge -q --hits "$wd/hits.out" "$wd/hits.b2" "$wd/hits.in"
is "--hits: exit 0" "$status" 0
is "--hits: one line per pseudonym in two or more origins, in order" \
    "$(cat "$wd/hits.out")" \
    "{\"pseudonym\":\"$P1\",\"records\":[{\"id\":\"a1\",\"origin\":\"A\",\"path\":\"s.passport\"},{\"id\":\"a3\",\"origin\":\"A\",\"path\":\"n\"},{\"id\":\"$P1\",\"origin\":\"B\",\"path\":\"\"},{\"id\":\"c1\",\"origin\":\"C\",\"path\":\"deep.er\"}]}"
hasnt "--hits: a pseudonym within one origin is no hit" "$wd/hits.out" "$P3"
hasnt "--hits: a tombstone holds no hit" "$wd/hits.out" "$P2"
run intel-merge -q --hits "$wd/hits.none" "$wd/hits.b2"
ok "--hits: no hits, an empty file" test -f "$wd/hits.none"
empty "--hits: ... and empty" "$wd/hits.none"
run intel-merge -q -s "$wd/hs" "$wd/hits.b2"
run intel-merge -q -s "$wd/hs" --hits - "$wd/hits.in"
has "--hits over the whole store, to stdout with -s" "$tmp/out" "\"pseudonym\":\"$P1\""
run intel-merge -q -s "$wd/hs" --hits "$wd/nodir/hits" "$wd/hits.in"
is "--hits into a missing folder: 73" "$status" 73

## Malformed input: 65, FILE:LINE:, the store untouched, no temp file.
cp "$s" "$wd/before"
printf '%s\n{"id":"x",\n' "$(rec O ok 1 '{}')" >"$wd/bad1"
run intel-merge -s "$s" "$wd/bad1"
is "malformed JSON: 65" "$status" 65
has "malformed JSON: FILE:LINE:" "$tmp/err" "^intel-merge: $wd/bad1:2: "
ok "malformed JSON: the store untouched" cmp -s "$s" "$wd/before"
is "malformed JSON: no temporary file" "$(names "$wd" | tr ' ' '\n' |
    grep -c '^\.')" 0
rec O x 1 '{}' ',"colour":"red"' >"$wd/bad2"
run intel-merge -s "$s" "$fx/day2.ndjson" "$wd/bad2"
is "unknown member in a second file: 65" "$status" 65
has "unknown member: named" "$tmp/err" "bad2:1: .*colour"
ok "unknown member: the store untouched" cmp -s "$s" "$wd/before"
rec O x 0 '{}' >"$wd/bad3"
run intel-merge "$wd/bad3"
is "version 0: 65" "$status" 65
empty "version 0: nothing on stdout" "$tmp/out"
printf '\n' >"$wd/bad4"
run intel-merge -s "$s" "$wd/bad4"
is "an empty line: 65" "$status" 65
has "an empty line: FILE:LINE:" "$tmp/err" "bad4:1: "
run intel-merge -s "$s" "$fx/day2.ndjson" "$wd/no-such-file"
is "a missing input: 66" "$status" 66
has "a missing input: named" "$tmp/err" "no-such-file"
ok "a missing input: the store untouched" cmp -s "$s" "$wd/before"
run intel-merge -s "$s" "$wd"
is "a folder as input: 66" "$status" 66

## A malformed store is refused with its line number and never written.
bs=$wd/bad-store
mkdir "$bs"
rec O a 1 '{}' >"$bs/s1"
rec O c 1 '{}' >>"$bs/s1"
rec O b 1 '{}' >>"$bs/s1"
cp "$bs/s1" "$bs/s1.orig"
run intel-merge -s "$bs/s1" "$fx/day1.ndjson"
is "store out of order: 65" "$status" 65
has "store out of order: line 3" "$tmp/err" "s1:3: out of order"
ok "store out of order: untouched" cmp -s "$bs/s1" "$bs/s1.orig"
rec O a 1 '{}' >"$bs/s2"
rec O a 2 '{}' >>"$bs/s2"
run intel-merge -s "$bs/s2" "$fx/day1.ndjson"
is "store with a duplicate: 65" "$status" 65
has "store with a duplicate: line 2" "$tmp/err" "s2:2: the same origin and id"
{ rec O a 1 '{}'; rec O b 1 '{}'; printf '{"created":"2026-01-01T00:00:00Z","da\n'; } >"$bs/s3"
cp "$bs/s3" "$bs/s3.orig"
run intel-merge -s "$bs/s3" "$fx/day1.ndjson"
is "truncated store line: 65" "$status" 65
has "truncated store line: line 3" "$tmp/err" "s3:3: "
ok "truncated store line: untouched" cmp -s "$bs/s3" "$bs/s3.orig"
is "bad stores: no temporary file" "$(names "$bs")" \
    "s1 s1.lock s1.orig s2 s2.lock s3 s3.lock s3.orig "
mkdir "$bs/s4"
run intel-merge -s "$bs/s4" "$fx/day1.ndjson"
is "a folder as store: 66" "$status" 66

## Output that cannot be written.
run intel-merge -s "$wd/no/such/folder/store" "$fx/day1.ndjson"
is "store in a missing folder: 73" "$status" 73
has "store in a missing folder: says why" "$tmp/err" 'lock: No such file'
if [ -w /dev/full ]; then
	run sh -c 'intel-merge "$1" >/dev/full' sh "$fx/day1.ndjson"
	is "stdout on a full disk: 74" "$status" 74
	has "stdout on a full disk: says so" "$tmp/err" 'No space left'
else
	ok "# SKIP no /dev/full" true
	ok "# SKIP no /dev/full" true
fi

## A temporary file left by a killed merge is removed by the next one.
: >"$wd/.store.ndjson.AbC123"
run intel-merge -q -s "$s" "$fx/day1.ndjson"
ok "a stale temporary file is removed" test ! -e "$wd/.store.ndjson.AbC123"

## --audit.
run intel-merge -q --audit "$wd/audit.log" -s "$s" "$fx/day2.ndjson"
is "--audit: exit 0" "$status" 0
has "--audit: one line for the run" "$wd/audit.log" \
    '"records":5,.*"tool":"intel-merge"'
run intel-merge -q --audit "$wd/audit.log" "$fx/day2.ndjson"
is "--audit: a second line" "$(wc -l <"$wd/audit.log" | tr -d ' ')" 2

## Order does not matter: permutations and splits on generated data.
g=$tmp/gen
mkdir "$g"
for i in 1 2 3 4; do sh "$gen" random "$i" 400 300 >"$g/r$i"; done
intel-merge -q "$g/r1" "$g/r2" "$g/r3" "$g/r4" >"$g/all" 2>/dev/null
ok "generated: the merge holds records" test -s "$g/all"
merged_in() {	# name, then the batches, each a quoted list of files
	n=$1
	shift
	for batch in "$@"; do
		# shellcheck disable=SC2086
		intel-merge -q -s "$g/$n" $batch 2>/dev/null || return 1
	done
	cmp -s "$g/$n" "$g/all"
}
ok "A B C D == A then B then C then D" merged_in s1 "$g/r1" "$g/r2" "$g/r3" "$g/r4"
ok "== D then C then B then A" merged_in s2 "$g/r4" "$g/r3" "$g/r2" "$g/r1"
ok "== B+D then A+C" merged_in s3 "$g/r2 $g/r4" "$g/r1 $g/r3"
ok "== C then A+D+B" merged_in s4 "$g/r3" "$g/r1 $g/r4 $g/r2"
cat "$g/r1" "$g/r2" "$g/r3" "$g/r4" | awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' >"$g/rev"
ok "== every line in reverse order" merged_in s5 "$g/rev"
awk 'BEGIN { srand(7) } { printf "%.8f\t%s\n", rand(), $0 }' "$g/rev" |
    sort -k1,1 | cut -f2- >"$g/shuf"
ok "== the lines shuffled" merged_in s6 "$g/shuf"
intel-merge -q "$g/s3" "$g/s4" >"$g/combined" 2>/dev/null
ok "== two stores merged together" cmp -s "$g/combined" "$g/all"

# Standings in the generated data: keys held both direct and relayed, and
# in the result a key is relayed only where no direct record came in.
standing() {	# prints "ORIGIN/ID d" or "ORIGIN/ID r" for each line of $1
	awk 'function member(s, name,    v) {
		if (!match(s, "\"" name "\":\"[^\"]*\""))
			return ""
		v = substr(s, RSTART, RLENGTH)
		return substr(v, length(name) + 5, length(v) - length(name) - 5)
	}
	{
		from = ""
		if (match($0, /"received":\{[^}]*\}/))
			from = member(substr($0, RSTART, RLENGTH), "from")
		sub(/"received":\{[^}]*\}/, "")
		o = member($0, "origin")
		print o "/" member($0, "id"), (from == "" || from == o) ? "d" : "r"
	}' "$1"
}
cat "$g/r1" "$g/r2" "$g/r3" "$g/r4" >"$g/in"
standing "$g/in" | sort -u >"$g/in.st"
standing "$g/all" | sort -u >"$g/all.st"
mixed=$(awk '{ n[$1]++ } END { m = 0; for (k in n) if (n[k] > 1) m++; print m }' "$g/in.st")
ok "generated: keys held both direct and relayed ($mixed)" test "$mixed" -gt 20
ok "generated: some relayed records carry version 99x" \
    grep -q '"version":99[0-9],.*"from":"' "$g/in"
is "generated: a key with a direct record stays direct" \
    "$(awk '$2 == "d" { print $1 }' "$g/in.st" | sort)" \
    "$(awk '$2 == "d" { print $1 }' "$g/all.st" | sort)"

## A relaying partner cannot recall or pin another origin's record.
a=$tmp/attack
mkdir "$a"
canon_rec() {	# origin id version data received-from [tail]
	printf '{"created":"2026-01-01T00:00:00Z","data":%s,"id":"%s","origin":"%s","received":{"at":"2026-11-01T00:00:00Z","bundle":"b","from":"%s"},"type":"person","version":%s%s}\n' \
	    "$4" "$2" "$1" "$5" "$3" "${6:-}"
}
canon_rec NL-KMAR n-1 1 '{"name":"x"}' NL-KMAR >"$a/direct1"
canon_rec NL-KMAR n-1 999 '{}' DE-BKA ',"withdrawn":true' >"$a/forged"
canon_rec NL-KMAR n-1 2 '{"name":"y"}' NL-KMAR >"$a/direct2"
rec AT-BMI own-1 1 '{"name":"z"}' >"$a/own"
canon_rec AT-BMI own-1 50 '{}' DE-BKA ',"withdrawn":true' >"$a/forged-own"
run intel-merge -q -s "$a/store" "$a/direct1" "$a/own"
is "attack: the store holds NL-KMAR's record and our own" "$status" 0
cp "$a/store" "$a/before"
run intel-merge -v -s "$a/store" "$a/forged" "$a/forged-own"
is "attack: a relayed version 999 tombstone: exit 0" "$status" 0
ok "attack: the store is unchanged" cmp -s "$a/store" "$a/before"
has "attack: counted as unchanged" "$tmp/err" \
    'added 0, updated 0, withdrawn 0, unchanged 2, conflicts 0'
has "attack: -v says the record from its origin stays" "$tmp/err" \
    'forged:1: origin NL-KMAR id n-1 version 999: relayed by another party: the record from its origin stays'
run intel-merge -q -s "$a/store" "$a/direct2"
is "attack: NL-KMAR's real update: exit 0" "$status" 0
is "attack: ... replaces its version 1" "$(cat "$a/store")" \
    "$(cat "$a/own" "$a/direct2")"
# The other way round: a relayed tombstone held first binds no one.
run intel-merge -q -s "$a/store2" "$a/forged"
run intel-merge -q -s "$a/store2" "$a/direct1"
is "attack: a direct version 1 replaces a relayed version 999" \
    "$(cat "$a/store2")" "$(cat "$a/direct1")"
run intel-merge -q "$a/forged" "$a/direct1" "$a/direct2"
is "attack: at once, in any order: the direct version 2" "$(cat "$tmp/out")" \
    "$(cat "$a/direct2")"
run intel-merge -q "$a/direct2" "$a/forged" "$a/direct1"
is "attack: ... the other order too" "$(cat "$tmp/out")" "$(cat "$a/direct2")"

done_testing
