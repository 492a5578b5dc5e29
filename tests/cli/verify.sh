#!/bin/sh
# intel-verify (SPEC 7): accepted bundles, every check refusing, several
# bundles per run, replay, reports, the audit log.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

sign --seq 5 "$recs" >"$tmp/good"
sign --seq 6 "$recs" >"$tmp/good6"
sign --seq 7 "$recs" >"$tmp/good7"
id=$(sed -n '1s/.*"id":"\([0-9a-f]*\)".*/\1/p' "$tmp/good")

# refused DESC CHECK REGEX [intel-verify ARGS...]: exit 1, the message
# names the check, nothing on stdout.
refused() {
	d=$1 check=$2 re=$3
	shift 3
	run intel-verify "$@"
	is "$d: exit 1" "$status" 1
	has "$d: $check check named" "$tmp/err" "^intel-verify: [^ ]+:[0-9]+: $check: $re"
	empty "$d: nothing written" "$tmp/out"
}

# --- an accepted bundle ------------------------------------------------------
run intel-verify -a "$ag" --to FR-DGSI "$tmp/good"
is "accepted: exit 0" "$status" 0
is "... two records" "$(wc -l <"$tmp/out")" 2
has "... received set" "$tmp/out" "\"received\":\\{\"at\":\"2026-11-26T05:00:00Z\",\"bundle\":\"$id\",\"from\":\"DE-BKA\"\\}"
has "... expires = at + retention_days" "$tmp/out" '"expires":"2028-11-25T05:00:00Z","id":"de-bka-1"'
has "... an earlier expires is kept" "$tmp/out" '"expires":"2027-01-01T00:00:00Z","id":"de-bka-2"'
has "... summary" "$tmp/err" "^intel-verify: 1 bundles accepted, 0 refused; 2 records written$"
hasnt "... no warning with --to" "$tmp/err" "not checked"
# The output is canonical: pack reads it back unchanged.
intel-pack -q "$tmp/out" >"$tmp/again"
ok "... records are canonical" cmp -s "$tmp/out" "$tmp/again"

# No retention_days: the record's own expires stays, none is added.
grep -v '^retention_days:' "$ag" >"$tmp/noret.yaml"
run intel-verify -q -a "$tmp/noret.yaml" --to FR-DGSI "$tmp/good"
is "no retention_days: exit 0" "$status" 0
hasnt "... no expires added" "$tmp/out" '"expires":"2028'
has "... the record's own kept" "$tmp/out" '"expires":"2027-01-01T00:00:00Z"'

run intel-verify -a "$ag" "$tmp/good"
is "no --to: exit 0" "$status" 0
has "... warns that the recipient was not checked" "$tmp/err" "^intel-verify: warning: no --to or INTEL_PARTY: the recipient of the bundles is not checked$"
run env INTEL_PARTY=FR-DGSI intel-verify -a "$ag" "$tmp/good"
hasnt "INTEL_PARTY stands in for --to" "$tmp/err" "not checked"
run env INTEL_PARTY=NL-KMAR intel-verify -a "$ag" "$tmp/good"
is "INTEL_PARTY=NL-KMAR: refused" "$status" 1
run env INTEL_AGREEMENT="$ag" intel-verify -q --to FR-DGSI <"$tmp/good"
is "INTEL_AGREEMENT and standard input" "$status" 0
is "... two records" "$(wc -l <"$tmp/out")" 2

# --- each check refusing -----------------------------------------------------
refused "wrong recipient" recipient "the bundle is for FR-DGSI, not for NL-KMAR" -a "$ag" --to NL-KMAR "$tmp/good"
sed 's/^version: 3$/version: 4/' "$ag" >"$tmp/v4.yaml"
refused "agreement version mismatch" agreement "the bundle is for agreement de-fr-nl-border-2026 version 3, not de-fr-nl-border-2026 version 4" -a "$tmp/v4.yaml" --to FR-DGSI "$tmp/good"
sed 's/^id: de-fr-nl-border-2026$/id: other-2026/' "$ag" >"$tmp/other.yaml"
refused "another agreement" agreement "the bundle is for agreement de-fr-nl-border-2026" -a "$tmp/other.yaml" --to FR-DGSI "$tmp/good"
# A key not in the agreement: signed under a copy that lists it.
intel-sign -q --keygen --party DE-BKA -o "$tmp/rogue"
rogue=$(cut -d' ' -f1 "$tmp/rogue.pub")
sed "s|ed25519:Ct5sJgiHiTQi47xSzGZYCiL8lSoZzYKJSvxqL3ep3KI=|$rogue|" "$ag" >"$tmp/rogue.yaml"
intel-sign -q -a "$tmp/rogue.yaml" -k "$tmp/rogue.key" --to FR-DGSI --seq 1 "$recs" >"$tmp/rogue.b"
refused "key not in the agreement" key "key [0-9a-f]{16} is not a key of any party of agreement de-fr-nl-border-2026" -a "$ag" --to FR-DGSI "$tmp/rogue.b"
# The header of one bundle with the trailer of another party's.
intel-sign -q -a "$ag" -k "$tmp/k/FR-DGSI.key" --to DE-BKA --seq 1 /dev/null >"$tmp/fr.b"
{ sed '$d' "$tmp/good"; sed -n '$p' "$tmp/fr.b"; } >"$tmp/spliced"
refused "trailer signed by another party" key "key [0-9a-f]{16} belongs to FR-DGSI, not to the sender DE-BKA" -a "$ag" --to FR-DGSI "$tmp/spliced"
# The second key of DE-BKA (rotation) is accepted.
intel-sign -q -a "$ag" -k "$tmp/k/DE-BKA-2.key" --to FR-DGSI --seq 1 "$recs" >"$tmp/rot.b"
run intel-verify -q -a "$ag" --to FR-DGSI "$tmp/rot.b"
is "DE-BKA's second key: accepted" "$status" 0

printf '{"agreement":\n' >"$tmp/junk"
refused "malformed header" header "not JSON" -a "$ag" --to FR-DGSI "$tmp/junk"
{ sed -n 1p "$tmp/good"; printf 'not json\n'; sed -n '3,$p' "$tmp/good"; } >"$tmp/badline"
refused "malformed record line (1, not 65)" digest "the SHA-512 of lines 1 to 3 does not match" -a "$ag" --to FR-DGSI "$tmp/badline"
# A sig far longer than a signature (a fuzzer found it overflowing the
# decoder's buffer): refused as a bad trailer, nothing else.
long=$(head -c 186 /dev/zero | base64 -w0)
sed '$s/"sig":"[^"]*"/"sig":"'"$long"'"/' "$tmp/good" >"$tmp/longsig"
refused "a 248-character sig" trailer "sig: empty or longer than 88 bytes" -a "$ag" --to FR-DGSI "$tmp/longsig"
sed '$d' "$tmp/good" >"$tmp/notrailer"
refused "no trailer" trailer "the last line is not a trailer" -a "$ag" --to FR-DGSI "$tmp/notrailer"
: >"$tmp/empty"
refused "empty file" header "the file is empty" -a "$ag" --to FR-DGSI "$tmp/empty"

# --- several bundles ---------------------------------------------------------
run intel-verify -a "$ag" --to FR-DGSI "$tmp/spliced" "$tmp/good" "$tmp/junk" "$tmp/good6"
is "bad, good, bad, good: exit 1" "$status" 1
is "... the good bundles' records written" "$(wc -l <"$tmp/out")" 4
has "... first failure named" "$tmp/err" "spliced:4: key:"
has "... second failure named" "$tmp/err" "junk:1: header:"
has "... summary" "$tmp/err" "2 bundles accepted, 2 refused; 4 records written"
run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/o.ndjson" "$tmp/spliced" "$tmp/good"
is "-o, one bad one good: exit 1" "$status" 1
is "... the file holds the good bundle's records" "$(wc -l <"$tmp/o.ndjson")" 2
run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/o2.ndjson" "$tmp/spliced"
is "-o, only a bad bundle: exit 1" "$status" 1
nok "... no file" test -e "$tmp/o2.ndjson"
run intel-verify -a "$ag" --to FR-DGSI "$tmp/missing" "$tmp/good"
is "missing bundle file: 66" "$status" 66
is "... the next bundle still verified" "$(wc -l <"$tmp/out")" 2

# -j N: the same records and refusals as -j 1.
sh "$top_srcdir/scripts/gen-records" -n 3000 |
    intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI >"$tmp/many"
sign --seq 1 "$tmp/many" >"$tmp/many.b"
intel-verify -q -j 1 -a "$ag" --to FR-DGSI "$tmp/many.b" "$tmp/good" >"$tmp/j1"
intel-verify -q -j 4 -a "$ag" --to FR-DGSI "$tmp/many.b" "$tmp/good" >"$tmp/j4"
ok "-j 4: records as with -j 1" cmp -s "$tmp/j1" "$tmp/j4"
is "... all of them" "$(wc -l <"$tmp/j4")" $(($(wc -l <"$tmp/many") + 2))
sed '1500s/}$/ }/' "$tmp/many.b" >"$tmp/many.bad"
run intel-verify -j 1 -a "$ag" --to FR-DGSI "$tmp/many.bad"
cp "$tmp/err" "$tmp/err.j1"
run intel-verify -j 4 -a "$ag" --to FR-DGSI "$tmp/many.bad"
is "-j 4: a changed line is refused" "$status" 1
ok "... with the message of -j 1" cmp -s "$tmp/err" "$tmp/err.j1"
empty "... nothing written" "$tmp/out"

# --- replay ----------------------------------------------------------------
run intel-verify -a "$ag" --to FR-DGSI --state "$tmp/st" "$tmp/good"
is "--state: first bundle accepted" "$status" 0
is "... seq recorded" "$(cat "$tmp/st/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted")" 5
refused "the same bundle again" replay "seq 5 is not above 5, the last accepted from DE-BKA to FR-DGSI" -a "$ag" --to FR-DGSI --state "$tmp/st" "$tmp/good"
run intel-verify -a "$ag" --to FR-DGSI --state "$tmp/st" "$tmp/good7" "$tmp/good6"
is "out of order: exit 1" "$status" 1
is "... the first (seq 7) written" "$(wc -l <"$tmp/out")" 2
has "... the second (seq 6) refused" "$tmp/err" "good6:1: replay: seq 6 is not above 7"
run intel-verify -a "$ag" --to FR-DGSI --state "$tmp/st2" "$tmp/good6" "$tmp/good6"
is "the same bundle twice in one run: exit 1" "$status" 1
is "... written once" "$(wc -l <"$tmp/out")" 2
run intel-verify -a "$ag" --to FR-DGSI --state "$tmp/st3" --report "$tmp/good"
run intel-verify -a "$ag" --to FR-DGSI --state "$tmp/st3" "$tmp/good"
is "--report records no seq" "$status" 0

# --- reports -----------------------------------------------------------------
run intel-verify -a "$ag" --to FR-DGSI --report "$tmp/good"
is "--report: exit 0" "$status" 0
hasnt "... no records" "$tmp/out" '"received"'
has "... bundle id" "$tmp/out" "^  id          $id\$"
has "... agreement and version" "$tmp/out" "^  agreement   de-fr-nl-border-2026 version 3\$"
has "... from" "$tmp/out" "^  from        DE-BKA\$"
has "... to" "$tmp/out" "^  to          FR-DGSI\$"
has "... created" "$tmp/out" "^  created     2026-11-26T05:00:00Z\$"
has "... seq" "$tmp/out" "^  seq         5\$"
has "... key and party" "$tmp/out" "^  key         defd6f7779192809 \\(DE-BKA\\)\$"
has "... records" "$tmp/out" "^  records     2\$"
for c in signature digest count recipient window compliance; do
	has "... $c ok" "$tmp/out" "^    $c +ok"
done
has "... replay not checked" "$tmp/out" "^    replay      not checked"
has "... result" "$tmp/out" "^  result      ACCEPTED\$"
# The report intel-verify(1) shows, apart from the random id and digest.
sign --seq 17 "$recs" >"$tmp/FR-DGSI.bundle"
(cd "$tmp" && intel-verify -a trilateral.yaml --to FR-DGSI --state state-man --report FR-DGSI.bundle) >"$tmp/rep" 2>"$tmp/rep.err"
shape() { sed -n '/^bundle FR-DGSI.bundle$/,/^  result      ACCEPTED$/p' "$1" | grep -Ev '^  (id|sha512) '; }
shape "$top_srcdir/man/intel-verify.1" >"$tmp/rep.man"
shape "$tmp/rep" >"$tmp/rep.got"
ok "the report is the one intel-verify(1) shows" test -s "$tmp/rep.man"
ok "... line for line" cmp -s "$tmp/rep.man" "$tmp/rep.got"
has "... and its summary" "$top_srcdir/man/intel-verify.1" "^$(cat "$tmp/rep.err")\$"

run intel-verify -a "$ag" --report "$tmp/spliced"
is "--report of a bad bundle: exit 1" "$status" 1
has "... the failed check" "$tmp/out" "^    key         FAILED: key [0-9a-f]{16} belongs to FR-DGSI"
has "... later checks not reached" "$tmp/out" "^    signature   not reached\$"
has "... result" "$tmp/out" "^  result      REFUSED \\(key, line 4\\)\$"
has "... recipient not reached" "$tmp/out" "^    recipient   not reached$"
run intel-verify -a "$ag" --to FR-DGSI -v "$tmp/good"
is "-v: records on stdout" "$(wc -l <"$tmp/out")" 2
has "-v: report on stderr" "$tmp/err" "^    signature   ok"

# --- audit -------------------------------------------------------------------
run intel-verify -q -a "$ag" --to FR-DGSI --audit "$tmp/audit" "$tmp/good" "$tmp/spliced"
is "--audit: one line per bundle" "$(wc -l <"$tmp/audit")" 2
has "... accepted" "$tmp/audit" "\"bundle\":\"$id\",\"from\":\"DE-BKA\",\"prev\":\"\",\"records\":2,\"released\":2,\"sha512\":\"[0-9a-f]{128}\",\"to\":\"FR-DGSI\",\"tool\":\"intel-verify\",\"withheld\":null"
has "... refused, with the check" "$tmp/audit" '"released":0,.*"withheld":\{"refused":"key"\}'
run intel-verify --check-audit "$tmp/audit"
is "--check-audit: 0" "$status" 0
sed '1s/"records":2/"records":3/' "$tmp/audit" >"$tmp/audit.bad"
run intel-verify --check-audit "$tmp/audit.bad"
is "--check-audit of a changed log: 1" "$status" 1
has "... names the line that breaks the chain" "$tmp/err" "audit.bad:2: "
run intel-verify --check-audit "$tmp/no-audit"
is "--check-audit of a missing file: 66" "$status" 66

# --- --from ------------------------------------------------------------------
refused "--from another party" sender "the bundle is from DE-BKA, not from NL-KMAR \\(--from\\)$" -a "$ag" --to FR-DGSI --from NL-KMAR "$tmp/good"
refused "... without --to too" sender "the bundle is from DE-BKA, not from FR-DGSI" -a "$ag" --from FR-DGSI "$tmp/good"
run intel-verify -a "$ag" --to FR-DGSI --from NL-KMAR -o "$tmp/from.ndjson" "$tmp/good"
is "--from another party, -o: exit 1" "$status" 1
nok "... no file" test -e "$tmp/from.ndjson"
run intel-verify -q -a "$ag" --to FR-DGSI --from DE-BKA "$tmp/good"
is "--from the sender: accepted" "$status" 0
is "... two records" "$(wc -l <"$tmp/out")" 2
run intel-verify -a "$ag" --from FR-DGSI "$tmp/fr.b" "$tmp/good"
is "--from FR-DGSI, one bundle of each: exit 1" "$status" 1
has "... DE-BKA's refused" "$tmp/err" "good:1: sender: the bundle is from DE-BKA, not from FR-DGSI"
has "... FR-DGSI's accepted" "$tmp/err" "1 bundles accepted, 1 refused"
run intel-verify -a "$ag" --to FR-DGSI --from NL-KMAR --report "$tmp/good"
is "--from with --report: exit 1" "$status" 1
has "... sender FAILED" "$tmp/out" "^    sender      FAILED: the bundle is from DE-BKA, not from NL-KMAR"
has "... key not reached" "$tmp/out" "^    key         not reached\$"
has "... result" "$tmp/out" "^  result      REFUSED \\(sender, line 1\\)\$"
run intel-verify -a "$ag" --to FR-DGSI --from NL-KMAR --state "$tmp/st-from" "$tmp/good"
nok "... a refused bundle records no seq" test -e "$tmp/st-from/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted"
run intel-verify -a "$ag" --to FR-DGSI --from XX-NONE "$tmp/good"
is "--from not a party: 78" "$status" 78
has "... message" "$tmp/err" "^intel-verify: --from XX-NONE: not a party of agreement de-fr-nl-border-2026$"
empty "... nothing written" "$tmp/out"
run intel-verify --help
has "--help lists --from" "$tmp/out" "\\[--from PARTY\\]"

# --- usage -----------------------------------------------------------------
run intel-verify --to FR-DGSI "$tmp/good"
is "no agreement: 64" "$status" 64
run intel-verify -a "$ag" --to XX-NONE "$tmp/good"
is "--to not a party: 78" "$status" 78
empty "... nothing written" "$tmp/out"
run env INTEL_NOW=2028-01-01T00:00:00Z intel-verify -a "$ag" "$tmp/good"
is "agreement outside its window: 78" "$status" 78

done_testing
