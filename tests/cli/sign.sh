#!/bin/sh
# intel-sign (SPEC 6): keys, the bundle format, refusals, seq counters.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

# --- pack | redact | sign | verify, as a new user would --------------------
intel-pack -q -f csv --origin DE-BKA "$fixtures/sample/cases.csv" |
    intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI >"$tmp/released"
ok "pack | redact releases records" test -s "$tmp/released"
run intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$tmp/released"
is "sign: exit 0" "$status" 0
cp "$tmp/out" "$tmp/b1"
n=$(wc -l <"$tmp/released")
is "bundle: header, records, trailer" "$(wc -l <"$tmp/b1")" $((n + 2))
has "summary on stderr" "$tmp/err" "^intel-sign: bundle [0-9a-f]{32}: $n records for FR-DGSI, seq [0-9]+, key defd6f7779192809 of DE-BKA$"
has "header as SPEC 6" "$tmp/b1" '^\{"agreement":"de-fr-nl-border-2026","agreement_version":3,"created":"2026-11-26T05:00:00Z","from":"DE-BKA","id":"[0-9a-f]{32}","intel_bundle":1,"seq":[0-9]+,"to":"FR-DGSI"\}$'
has "trailer as SPEC 6" "$tmp/b1" "^\\{\"intel_signature\":1,\"key\":\"defd6f7779192809\",\"records\":$n,\"sha512\":\"[0-9a-f]{128}\",\"sig\":\"[A-Za-z0-9+/]{86}==\"\\}\$"
sed '1d;$d' "$tmp/b1" >"$tmp/middle"
ok "records are the released ones, unchanged" cmp -s "$tmp/middle" "$tmp/released"
run intel-verify -a "$ag" --to FR-DGSI "$tmp/b1"
is "verify accepts it" "$status" 0
is "... and writes every record" "$(wc -l <"$tmp/out")" "$n"
is "... each with received" "$(grep -c '"received":{"at":"2026-11-26T05:00:00Z","bundle":"' "$tmp/out")" "$n"

# Non-canonical input is signed in canonical form.
printf '%s\n' '{"version":1, "type":"person","origin":"DE-BKA","id":"x1","data":{"subject":{"name":"A B"}},"created":"2026-05-01T10:00:00Z","classification":"RESTRICTED","purposes":["smuggling"]}' >"$tmp/spaced"
run sign --seq 1 "$tmp/spaced"
is "non-canonical input: exit 0" "$status" 0
has "... signed canonical" "$tmp/out" '^\{"classification":"RESTRICTED","created":"2026-05-01T10:00:00Z","data":\{"subject":\{"name":"A B"\}\},"id":"x1","origin":"DE-BKA","purposes":\["smuggling"\],"type":"person","version":1\}$'

# Several files and standard input.
run sign --seq 1 "$recs" "$recs"
is "two files: 4 records" "$(sed -n '$p' "$tmp/out" | grep -c '"records":4,')" 1
sign --seq 1 <"$recs" >"$tmp/stdin.b" 2>/dev/null
is "standard input" "$(sed -n '$p' "$tmp/stdin.b" | grep -c '"records":2,')" 1

# -j N: the same records, the same refusal, as -j 1.
sh "$top_srcdir/scripts/gen-records" -n 3000 |
    intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI >"$tmp/many"
sign --seq 1 -j 1 "$tmp/many" | sed '1d;$d' >"$tmp/j1"
sign --seq 1 -j 4 "$tmp/many" | sed '1d;$d' >"$tmp/j4"
ok "-j 4: records as with -j 1" cmp -s "$tmp/j1" "$tmp/j4"
is "... all of them" "$(wc -l <"$tmp/j4")" "$(wc -l <"$tmp/many")"
sed '1000s/"data":{/"data":{"narrative":"x",/' "$tmp/many" >"$tmp/many.bad"
run sign -j 1 "$tmp/many.bad"
cp "$tmp/err" "$tmp/err.j1"
run sign -j 4 "$tmp/many.bad"
is "-j 4: a refusal exits 1" "$status" 1
ok "... with the message of -j 1" cmp -s "$tmp/err" "$tmp/err.j1"
has "... naming line 1000" "$tmp/err" "many.bad:1000: record not allowed"
empty "... nothing written" "$tmp/out"
run sign -j 0 "$recs"
is "-j 0: 64" "$status" 64

# --- refusals: status, message, nothing written ------------------------------
run sign -o "$tmp/nc.b" "$fixtures/bundle/noncompliant.ndjson"
is "non-compliant record: exit 1" "$status" 1
has "... names file, line and path" "$tmp/err" "^intel-sign: .*noncompliant.ndjson:2: record not allowed to FR-DGSI under agreement de-fr-nl-border-2026: subject.passport: pseudonymise would change it$"
hasnt "... never the value" "$tmp/err" "P1234567"
empty "... nothing on stdout" "$tmp/out"
nok "... no -o file" test -e "$tmp/nc.b"
run sign "$fixtures/bundle/noncompliant.ndjson"
empty "... nothing on stdout without -o either" "$tmp/out"

printf '%s\n' '{"classification":"SECRET","created":"2026-05-01T10:00:00Z","data":{},"id":"s","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}' >"$tmp/secret"
run sign "$recs" "$tmp/secret"
is "withheld record (SECRET): exit 1" "$status" 1
has "... names the reason" "$tmp/err" "secret:1: record not allowed .*: withheld: classification$"
empty "... nothing written" "$tmp/out"

# The recipient's own record, relayed (SPEC 3): FR-DGSI may relay third
# parties' records to DE-BKA (if-releasable), never DE-BKA's own: a higher
# version or a recall of it would replace what DE-BKA holds.
own='{"classification":"SECRET","created":"2026-05-01T10:00:00Z","data":{},"id":"pn:0123456789abcdef0123456789abcdef","origin":"DE-BKA","purposes":["terrorism"],"releasable_to":["DE-BKA"],"type":"person","version":999,"withdrawn":true}'
printf '%s\n' "$own" >"$tmp/own"
printf '%s\n' "$own" | sed 's/"origin":"DE-BKA"/"origin":"NL-KMAR"/' \
    >"$tmp/third"
fr() {
	intel-sign -q -a "$ag" -k "$tmp/k/FR-DGSI.key" --to DE-BKA "$@"
}
run fr --seq 1 "$tmp/third"
is "relaying a third party's record under if-releasable: exit 0" \
    "$status" 0
run fr --seq 1 -o "$tmp/own.b" "$tmp/third" "$tmp/own"
is "relaying the recipient's own record: exit 1" "$status" 1
has "... names file, line and the reason" "$tmp/err" \
    "^intel-sign: $tmp/own:1: record not allowed to DE-BKA under agreement de-fr-nl-border-2026: withheld: third_party\$"
empty "... nothing on stdout" "$tmp/out"
nok "... no -o file" test -e "$tmp/own.b"

# A member name with a dot (SPEC 2) is never compliant, even where a keep
# rule on its parent would let it through as it is.
sed 's/^      subject.name: keep$/      subject: keep\
      subject.name: keep/' "$ag" >"$tmp/dotted.yaml"
printf '%s\n' '{"classification":"RESTRICTED","created":"2026-05-01T10:00:00Z","data":{"subject":{"name":"Anna","passport.number":"P7654321"}},"id":"dot-1","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}' >"$tmp/dotted"
sed 's/"passport.number"/"passport_number"/' "$tmp/dotted" >"$tmp/undotted"
run intel-sign -q -a "$tmp/dotted.yaml" -k "$tmp/k/DE-BKA.key" --to FR-DGSI \
    --seq 1 "$tmp/undotted"
is "the same record without the dot: exit 0" "$status" 0
for shape in '"passport.number":"P7654321"' \
    '"docs":[1,{"passport.number":"P7654321"}]' \
    '"x":{"y":{"passport.number":"P7654321"}}'; do
	printf '%s\n' "{\"classification\":\"RESTRICTED\",\"created\":\"2026-05-01T10:00:00Z\",\"data\":{\"subject\":{$shape}},\"id\":\"dot-1\",\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],\"type\":\"person\",\"version\":1}" >"$tmp/dotted"
	run intel-sign -q -a "$tmp/dotted.yaml" -k "$tmp/k/DE-BKA.key" \
	    --to FR-DGSI --seq 1 -o "$tmp/dot.b" "$tmp/dotted"
	is "a dotted member ($shape): exit 1" "$status" 1
	has "... names the path, quoted" "$tmp/err" \
	    "dotted:1: record not allowed to FR-DGSI .*: subject\\..*\"passport\\.number\": a name with \"\\.\" no path can address\$"
	hasnt "... never the value" "$tmp/err" "P7654321"
	nok "... no -o file" test -e "$tmp/dot.b"
done

printf '{"id":\n' >"$tmp/broken"
run sign -o "$tmp/br.b" "$recs" "$tmp/broken"
is "malformed record: exit 65" "$status" 65
has "... FILE:LINE" "$tmp/err" "^intel-sign: $tmp/broken:1: "
empty "... nothing on stdout" "$tmp/out"
nok "... no -o file" test -e "$tmp/br.b"

run sign "$recs" "$tmp/no-such-file"
is "missing input: exit 66" "$status" 66
has "... named" "$tmp/err" "no-such-file"
empty "... nothing written" "$tmp/out"

run intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to XX-NONE "$recs"
is "recipient not a party: 78" "$status" 78
has "... message" "$tmp/err" "recipient XX-NONE is not a party of agreement de-fr-nl-border-2026"
empty "... nothing written" "$tmp/out"
run intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to DE-BKA "$recs"
is "no rule for the pair: 78" "$status" 78
empty "... nothing written" "$tmp/out"

run env INTEL_NOW=2028-01-01T00:00:00Z intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$recs"
is "agreement outside its window: 78" "$status" 78
empty "... nothing written" "$tmp/out"
run env INTEL_NOW=yesterday intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$recs"
is "invalid INTEL_NOW: 64" "$status" 64

run intel-sign -a "$ag" --to FR-DGSI "$recs"
is "no key: 64" "$status" 64
has "... says what is missing" "$tmp/err" "-k KEY"
run sign --seq -3 "$recs"
is "bad --seq: 64" "$status" 64
run sign --seq 12x "$recs"
is "bad --seq 12x: 64" "$status" 64
run sign -k "$tmp/k/none.key" "$recs"
is "missing key file: 66" "$status" 66
empty "... nothing written" "$tmp/out"

# INTEL_AGREEMENT and INTEL_KEY stand in for -a and -k.
run env INTEL_AGREEMENT="$ag" INTEL_KEY="$tmp/k/DE-BKA.key" intel-sign -q --to FR-DGSI --seq 3 "$recs"
is "INTEL_AGREEMENT, INTEL_KEY: exit 0" "$status" 0
has "... seq 3" "$tmp/out" '"seq":3,'
empty "... -q: nothing on stderr" "$tmp/err"

# --- keys ------------------------------------------------------------------
run intel-sign --keygen --party DE-BKA -o "$tmp/new"
is "keygen: exit 0" "$status" 0
has "keygen: NAME.pub" "$tmp/new.pub" '^ed25519:[A-Za-z0-9+/]{43}= DE-BKA$'
is "keygen: NAME.key mode 0600" "$(ls -l "$tmp/new.key" | cut -c1-10)" "-rw-------"
cp "$tmp/new.key" "$tmp/new.key.orig"
run intel-sign --keygen --party DE-BKA -o "$tmp/new"
is "keygen over existing files: 73" "$status" 73
ok "... key unchanged" cmp -s "$tmp/new.key" "$tmp/new.key.orig"
rm "$tmp/new.pub"
run intel-sign --keygen --party DE-BKA -o "$tmp/new"
is "keygen when only NAME.key exists: 73" "$status" 73
nok "... no NAME.pub made" test -e "$tmp/new.pub"
run intel-sign --keygen -o "$tmp/x"
is "keygen without --party: 64" "$status" 64
run intel-sign --keygen --party "DE BKA" -o "$tmp/x"
is "keygen with a bad party code: 64" "$status" 64

run sign -k "$tmp/new.key" "$recs"
is "key not among the party's keys: 78" "$status" 78
has "... message" "$tmp/err" "key [0-9a-f]{16} is not among the keys of DE-BKA in agreement de-fr-nl-border-2026"
empty "... nothing written" "$tmp/out"
intel-sign -q --keygen --party XX-NONE -o "$tmp/stranger"
run sign -k "$tmp/stranger.key" "$recs"
is "key of a party not in the agreement: 78" "$status" 78
has "... message" "$tmp/err" "the key is for XX-NONE, which is not a party of agreement"

# A sealed key, put into a copy of the agreement in place of DE-BKA-2's.
printf 'correct horse\n' >"$tmp/pass"
chmod 600 "$tmp/pass"
run intel-sign --keygen --party DE-BKA -o "$tmp/sealed" --passphrase-file "$tmp/pass"
is "keygen sealed: exit 0" "$status" 0
has "... sealed key file" "$tmp/sealed.key" "^kdf argon2id "
hasnt "... no clear secret" "$tmp/sealed.key" "^secret "
newpub=$(cut -d' ' -f1 "$tmp/sealed.pub")
sed "s|ed25519:Ct5sJgiHiTQi47xSzGZYCiL8lSoZzYKJSvxqL3ep3KI=|$newpub|" "$ag" >"$tmp/ag2.yaml"
run intel-sign -a "$tmp/ag2.yaml" -k "$tmp/sealed.key" --to FR-DGSI --passphrase-file "$tmp/pass" "$recs"
is "sealed key with its passphrase: exit 0" "$status" 0
cp "$tmp/out" "$tmp/sealed.b"
run intel-verify -q -a "$tmp/ag2.yaml" --to FR-DGSI "$tmp/sealed.b"
is "... the bundle verifies" "$status" 0
printf 'wrong horse\n' >"$tmp/wrong"
chmod 600 "$tmp/wrong"
run intel-sign -a "$tmp/ag2.yaml" -k "$tmp/sealed.key" --to FR-DGSI --passphrase-file "$tmp/wrong" "$recs"
is "wrong passphrase: 78" "$status" 78
has "... message" "$tmp/err" "wrong passphrase"
empty "... nothing written" "$tmp/out"
run intel-sign -a "$tmp/ag2.yaml" -k "$tmp/sealed.key" --to FR-DGSI "$recs"
is "sealed key without a passphrase: 78" "$status" 78
has "... message" "$tmp/err" "passphrase is needed"
chmod 640 "$tmp/pass"
run intel-sign -a "$tmp/ag2.yaml" -k "$tmp/sealed.key" --to FR-DGSI --passphrase-file "$tmp/pass" "$recs"
is "group-readable passphrase file: 77" "$status" 77
empty "... nothing written" "$tmp/out"
chmod 600 "$tmp/pass"
cp "$tmp/k/DE-BKA.key" "$tmp/open.key"
chmod 640 "$tmp/open.key"
run sign -k "$tmp/open.key" "$recs"
is "group-readable key: 77" "$status" 77
has "... message" "$tmp/err" "open.key"
empty "... nothing written" "$tmp/out"
run sign --passphrase-file "$tmp/pass" --ask-passphrase "$recs"
is "both passphrase options: 64" "$status" 64

# --- seq -----------------------------------------------------------------
run sign --seq 42 "$recs"
has "--seq 42" "$tmp/out" '"seq":42,'
run sign "$recs"
seq=$(sed -n '1s/.*"seq":\([0-9]*\),.*/\1/p' "$tmp/out")
ok "no --seq, no --state: the time in milliseconds" test "$seq" -gt 1700000000000
run sign --state "$tmp/st" "$recs"
has "--state: first seq is 1" "$tmp/out" '"seq":1,'
run sign --state "$tmp/st" "$recs"
has "--state: then 2" "$tmp/out" '"seq":2,'
is "--state: counter file" "$(cat "$tmp/st/de-fr-nl-border-2026,DE-BKA,FR-DGSI.sent")" 2
run sign --state "$tmp/st" --seq 10 "$recs"
has "--seq with --state: the given seq" "$tmp/out" '"seq":10,'
run sign --state "$tmp/st" "$recs"
has "... and the counter goes on above it" "$tmp/out" '"seq":11,'
run sign --state "$tmp/st" "$fixtures/bundle/noncompliant.ndjson"
run sign --state "$tmp/st" "$recs"
has "a refused run uses no seq" "$tmp/out" '"seq":12,'

for i in 1 2 3 4 5 6 7 8; do
	sign --state "$tmp/cc" "$recs" >"$tmp/cc.$i" 2>/dev/null &
done
wait
for i in 1 2 3 4 5 6 7 8; do
	sed -n '1s/.*"seq":\([0-9]*\),.*/\1/p' "$tmp/cc.$i"
done | sort -n | tr '\n' ' ' >"$tmp/seqs"
is "8 concurrent signs: 8 distinct seqs" "$(cat "$tmp/seqs")" "1 2 3 4 5 6 7 8 "

# --- -o and --audit --------------------------------------------------------
run sign --seq 1 -o "$tmp/o.b" --audit "$tmp/audit" "$recs"
is "-o: exit 0" "$status" 0
empty "... nothing on stdout" "$tmp/out"
is "... the file holds the bundle" "$(wc -l <"$tmp/o.b")" 4
run sign --audit "$tmp/audit" "$fixtures/bundle/noncompliant.ndjson"
is "audit: one line per run, refusals included" "$(wc -l <"$tmp/audit")" 2
id=$(sed -n '1s/.*"id":"\([0-9a-f]*\)".*/\1/p' "$tmp/o.b")
has "audit: the bundle" "$tmp/audit" "^\\{\"agreement\":\"de-fr-nl-border-2026\",\"at\":\"2026-11-26T05:00:00Z\",\"bundle\":\"$id\",\"from\":\"DE-BKA\",\"prev\":\"\",\"records\":2,\"released\":2,\"sha512\":\"[0-9a-f]{128}\",\"to\":\"FR-DGSI\",\"tool\":\"intel-sign\",\"withheld\":null\\}\$"
has "audit: the refusal" "$tmp/audit" '"bundle":null,.*"records":2,"released":0,"sha512":null'
run intel-verify --check-audit "$tmp/audit"
is "--check-audit: the chain holds" "$status" 0

done_testing
