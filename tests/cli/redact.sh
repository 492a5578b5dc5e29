#!/bin/sh
# intel-redact as a user drives it: what is released and withheld, the
# transformations (pseudonyms checked against the OpenSSL command line),
# that no clear value leaks anywhere, the summary, --explain, --audit,
# idempotence, bad records, bad agreements and keys, the EXAMPLES of
# intel-redact(1), and --help/--version/unknown options.
. "${top_srcdir:-.}/tests/lib.sh"

fx=$fixtures/redact
w=$tmp/w
mkdir "$w"
cp "$fx/policy.yaml" "$fx/policy.psk" "$fx/records.ndjson" "$w/"
chmod 600 "$w/policy.psk"
ag=$w/policy.yaml
in=$w/records.ndjson
R="intel-redact -a $ag --from DE-BKA"

## Help, version, usage.
run intel-redact --help
is "--help: 0" "$status" 0
has "--help: usage on stdout" "$tmp/out" '^usage: intel-redact -a AGREEMENT'
empty "--help: nothing on stderr" "$tmp/err"
run intel-redact -h
is "-h: 0" "$status" 0
run intel-redact --version
is "--version: 0" "$status" 0
has "--version: program, package, version" "$tmp/out" \
    "^intel-redact \\(intel-share\\) ${PACKAGE_VERSION:-[0-9][0-9.]*}\$"
run intel-redact --bogus -a "$ag" --from DE-BKA --to FR-DGSI "$in"
is "unknown option: 64" "$status" 64
has "unknown option: usage on stderr" "$tmp/err" '^usage: intel-redact'
empty "unknown option: nothing on stdout" "$tmp/out"
run intel-redact -a "$ag" --to FR-DGSI "$in"
is "no --from: 64" "$status" 64
has "no --from: says what is needed" "$tmp/err" "^intel-redact: .*--from PARTY"
empty "no --from: nothing on stdout" "$tmp/out"
run intel-redact --from DE-BKA --to FR-DGSI "$in"
is "no agreement: 64" "$status" 64
run env INTEL_NOW=yesterday $R --to FR-DGSI "$in"
is "invalid INTEL_NOW: 64" "$status" 64
empty "invalid INTEL_NOW: nothing on stdout" "$tmp/out"

## A run: what is released, withheld, and how.
run $R --to FR-DGSI --withheld "$tmp/withheld" "$in"
is "release: 0" "$status" 0
ok "release: exactly the expected records and bytes" \
    cmp -s "$tmp/out" "$fx/records.FR-DGSI.expected"
cp "$tmp/out" "$tmp/released"
cp "$tmp/err" "$tmp/release.err"
is "summary" "$(cat "$tmp/err")" "intel-redact: read 9, released 3, withheld 6 (type 1, classification 1, purpose 1, releasable_to 1, third_party 1, expired 1); values: dropped 4 (unfit 0), pseudonymised 4, masked 4, generalised 2, rounded 1"
is "withheld file: one line per record, with the reason" \
    "$(cat "$tmp/withheld")" '{"id":"de-2","origin":"DE-BKA","reason":"type"}
{"id":"de-3","origin":"DE-BKA","reason":"classification"}
{"id":"de-4","origin":"DE-BKA","reason":"purpose"}
{"id":"de-5","origin":"DE-BKA","reason":"releasable_to"}
{"id":"nl-6","origin":"NL-KMAR","reason":"third_party"}
{"id":"de-7","origin":"DE-BKA","reason":"expired"}'
hasnt "received never travels" "$tmp/released" '"received"'
has "a recall passes with empty data" "$tmp/released" \
    '"data":\{\},"id":"de-1",.*"version":2,"withdrawn":true\}$'
run $R -q --to FR-DGSI "$in"
empty "-q: no summary" "$tmp/err"

# Pseudonyms as any HMAC-SHA256 implementation computes them.
if command -v openssl >/dev/null 2>&1; then
	hexkey=$(od -An -v -tx1 "$w/policy.psk" | tr -d ' \n')
	pn() {
		printf '%s' "$1" | openssl dgst -sha256 -mac HMAC \
		    -macopt "hexkey:$hexkey" | sed 's/.*= *//' | cut -c1-32
	}
	has "pseudonymise matches openssl (normalised passport)" \
	    "$tmp/released" "\"passport\":\"pn:$(pn C01X6899TZ)\""
	has "pseudonymise matches openssl (plate in an array)" \
	    "$tmp/released" "\"plate\":\"pn:$(pn BCL4711)\""
	has "pseudonymise matches openssl (hyphen removed, upper-cased)" \
	    "$tmp/released" "\"pn\":\"pn:$(pn CLEARPNVALUE)\""
	# ids: pseudonymise hashes the exact text, not normalised.
	printf '%s\n' '{"id":"ru-inn-5920040846","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"classification":"SECRET","purposes":["terrorism"],"data":{"subject":{"name":"Ann Lee"},"notes":"x"}}' >"$w/ids.ndjson"
	run $R -q --to NL-KMAR "$w/ids.ndjson"
	has "ids: pseudonymise matches openssl on the exact id" "$tmp/out" \
	    "\"id\":\"pn:$(pn ru-inn-5920040846)\""
	if openssl mac -help >/dev/null 2>&1; then
		m=$(printf '%s' ANNLEE | openssl mac -digest SHA256 \
		    -macopt "hexkey:$hexkey" HMAC | tr 'A-F' 'a-f' | cut -c1-32)
		has "pseudonymise matches openssl mac" "$tmp/out" \
		    "\"name\":\"pn:$m\""
	fi
else
	ok "# SKIP openssl not installed" true
fi

# Idempotence: the output redacted again gives the same bytes.
run $R -q --to FR-DGSI "$tmp/released"
is "idempotent: 0" "$status" 0
ok "idempotent: redacting the output again gives the same bytes" \
    cmp -s "$tmp/out" "$tmp/released"

## --explain
run $R -q --to FR-DGSI --explain "$in"
is "--explain: 0" "$status" 0
is "--explain: one line per record" "$(wc -l <"$tmp/out" | tr -d ' ')" 9
has "--explain: a released record's values" "$tmp/out" \
    '^\{"decision":"released","file":"[^"]*records.ndjson","id":"de-1","line":1,"origin":"DE-BKA","values":\[.*\{"action":"mask:2","outcome":"masked","path":"subject.name","rule":"subject.\*"\}'
has "--explain: default deny is named" "$tmp/out" \
    '\{"action":"drop","outcome":"dropped","path":"unknown","rule":null\}'
has "--explain: array positions" "$tmp/out" \
    '"path":"vehicles\[1\].plate","rule":"vehicles.plate"'
has "--explain: a withheld record and its reason" "$tmp/out" \
    '^\{"decision":"withheld","file":"[^"]*","id":"nl-6","line":6,"origin":"NL-KMAR","reason":"third_party"\}$'
cp "$tmp/out" "$tmp/explain"

## --audit
run $R -q --to FR-DGSI --audit "$tmp/audit.log" -o "$tmp/o1" "$in"
is "--audit: 0" "$status" 0
sha=$(sha512sum "$tmp/o1" | cut -d' ' -f1)
is "--audit: one canonical line" "$(cat "$tmp/audit.log")" \
    "{\"agreement\":\"redact-test\",\"at\":\"2026-11-26T05:00:00Z\",\"bundle\":null,\"from\":\"DE-BKA\",\"prev\":\"\",\"records\":9,\"released\":3,\"sha512\":\"$sha\",\"to\":\"FR-DGSI\",\"tool\":\"intel-redact\",\"withheld\":{\"classification\":1,\"expired\":1,\"purpose\":1,\"releasable_to\":1,\"third_party\":1,\"type\":1}}"
is "--audit: mode 0600" "$(stat -c %a "$tmp/audit.log")" 600
run $R -q --to FR-DGSI --audit "$tmp/audit.log" --explain "$in"
prev=$(head -n 1 "$tmp/audit.log" | tr -d '\n' | sha256sum | cut -d' ' -f1)
has "--audit: the second line chains to the first" "$tmp/audit.log" \
    "\"prev\":\"$prev\",\"records\":9,\"released\":null,\"sha512\":null,.*\"withheld\":null\}\$"
is "--audit: two lines" "$(wc -l <"$tmp/audit.log" | tr -d ' ')" 2

## No clear value of a pseudonymised, masked or dropped field anywhere.
for v in Clearname c01x-6899 5550123 Clearpn-Value Clearmask Cleardrop \
    Clearunknown Clearcolour B-CL HH-CL Clearwithheld Cleardeep 1971-03 \
    1985-07-30 50.110924 1960-01-01; do
	for f in released release.err withheld explain audit.log o1; do
		if grep -F -q -- "$v" "$tmp/$f"; then
			ok "no clear value \"$v\" in $f" false
			continue 2
		fi
	done
	ok "no clear value \"$v\" in stdout, stderr, withheld, explain, audit" true
done

## -o: atomic output, the same bytes as stdout.
ok "-o: the same bytes as standard output" cmp -s "$tmp/o1" "$tmp/released"
run $R -q --to FR-DGSI -o "$tmp/nodir/x" "$in"
is "-o in a missing folder: 73" "$status" 73
empty "-o in a missing folder: nothing on stdout" "$tmp/out"
if [ -w /dev/full ]; then
	run sh -c "$R -q --to FR-DGSI '$in' >/dev/full"
	is "a full disk: 74" "$status" 74
	has "a full disk: says so" "$tmp/err" '^intel-redact: .*write error'
fi

## Environment.
run env INTEL_AGREEMENT="$ag" INTEL_PARTY=DE-BKA intel-redact -q --to FR-DGSI "$in"
is "INTEL_AGREEMENT and INTEL_PARTY: 0" "$status" 0
ok "INTEL_AGREEMENT and INTEL_PARTY: same output" cmp -s "$tmp/out" "$tmp/released"
run env INTEL_PARTY=NL-KMAR intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI "$in"
ok "--from beats INTEL_PARTY" cmp -s "$tmp/out" "$tmp/released"
run $R -q --to FR-DGSI - <"$in"
ok "- reads standard input" cmp -s "$tmp/out" "$tmp/released"

## Bad records: 65, FILE:LINE, records before it written; with -o nothing.
good=$(head -n 1 "$in")
bad_record() {	# DESC LINE MESSAGE-REGEX
	printf '%s\n%s\n' "$good" "$2" >"$w/bad.ndjson"
	run $R -q --to FR-DGSI --withheld "$tmp/bw" "$w/bad.ndjson"
	is "$1: 65" "$status" 65
	has "$1: FILE:LINE: what" "$tmp/err" "^intel-redact: [^ ]*bad.ndjson:2: $3"
	is "$1: the record before it was written" "$(wc -l <"$tmp/out" | tr -d ' ')" 1
	rm -f "$tmp/o2"
	run $R -q --to FR-DGSI -o "$tmp/o2" --withheld "$tmp/bw2" "$w/bad.ndjson"
	is "$1 with -o: 65" "$status" 65
	nok "$1 with -o: no output file" test -e "$tmp/o2"
	nok "$1 with -o: no withheld file" test -e "$tmp/bw2"
	hasnt "$1: no clear value in the message" "$tmp/err" 'Clear'
}
bad_record "not JSON" '{"id":"x",' '.'
bad_record "not an object" '["Clearx"]' '.'
bad_record "a duplicate key" '{"id":"a","id":"b","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"data":{}}' '.*duplicate'
bad_record "an unknown member" '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"data":{},"secret":"Clearx"}' '.*unknown member'
bad_record "no data" '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1}' '.*data'
bad_record "an integer beyond 64 bits" '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"data":{"keep":1e19}}' '.'
bad_record "a NUL in a string" '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"data":{"keep":"Clear\u0000"}}' '.'
bad_record "invalid UTF-8" "$(printf '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":1,"data":{"keep":"Clear\377"}}')" '.'
bad_record "a version of 0" '{"id":"a","origin":"DE-BKA","type":"person","created":"2026-11-01T09:30:00Z","version":0,"data":{}}' '.*version'

## Inputs that cannot be opened: 66, the others are still read.
run $R -q --to FR-DGSI "$w/missing.ndjson" "$in"
is "a missing input: 66" "$status" 66
has "a missing input: named" "$tmp/err" "missing.ndjson"
ok "a missing input: the other is still redacted" cmp -s "$tmp/out" "$tmp/released"

## Bad agreements and keys.
run $R --to FR-DGSI -a "$w/none.yaml" "$in"
is "a missing agreement: 66" "$status" 66
empty "a missing agreement: nothing on stdout" "$tmp/out"
printf 'intel_agreement: 1\nid: x\nversion: 1\nvalid_from: 2026-01-01\nvalid_until: 2027-12-31\nclassifications: [A]\npurposes: [p]\nbogus: 1\n' >"$w/bad.yaml"
run intel-redact -a "$w/bad.yaml" --from DE-BKA --to FR-DGSI "$in"
is "an invalid agreement: 78" "$status" 78
has "an invalid agreement: FILE:LINE:COLUMN" "$tmp/err" "^intel-redact: [^ ]*bad.yaml:[0-9]+:[0-9]+: "
empty "an invalid agreement: nothing on stdout" "$tmp/out"
run $R --to NL-KMAR -q --from FR-DGSI "$in"
is "no rule for the pair: 78" "$status" 78
has "no rule for the pair: says so" "$tmp/err" "no release rule from FR-DGSI to NL-KMAR"
empty "no rule for the pair: nothing on stdout" "$tmp/out"
run $R --to XX-NONE "$in"
is "a recipient not in the agreement: 78" "$status" 78
run env INTEL_NOW=2028-01-01T00:00:00Z $R --to FR-DGSI "$in"
is "outside the window: 78" "$status" 78
empty "outside the window: nothing on stdout" "$tmp/out"
run env INTEL_NOW=2027-12-31T23:59:59Z $R -q --to FR-DGSI "$in"
is "the window's last second: 0" "$status" 0
chmod 640 "$w/policy.psk"
run $R --to FR-DGSI "$in"
is "a key readable by the group: 77" "$status" 77
empty "a key readable by the group: nothing on stdout" "$tmp/out"
run intel-redact -a "$ag" --from FR-DGSI --to DE-BKA -q "$in"
is "a rule that does not pseudonymise reads no key" "$status" 0
mv "$w/policy.psk" "$w/policy.psk.away"
run $R --to FR-DGSI "$in"
is "a missing key: 78" "$status" 78
head -c 31 "$w/policy.psk.away" >"$w/policy.psk"
chmod 600 "$w/policy.psk"
run $R --to FR-DGSI "$in"
is "a short key: 78" "$status" 78
empty "a short key: nothing on stdout" "$tmp/out"
mv "$w/policy.psk.away" "$w/policy.psk"

## A partner relaying the recipient's own record (SPEC 3): a recall of
## NL-KMAR's record sent to NL-KMAR under third_party: if-releasable is
## withheld (third_party), before expiry is looked at; the same record of
## a third party is released (the rule does relay).
own='{"classification":"SECRET","created":"2026-11-01T09:30:00Z","data":{},"id":"nl-own","origin":"NL-KMAR","purposes":["terrorism"],"releasable_to":["NL-KMAR"],"type":"person","version":999,"withdrawn":true}'
chmod 600 "$w/policy.psk"
printf '%s\n' "$own" >"$w/own.ndjson"
printf '%s\n' "$own" | sed 's/"origin":"NL-KMAR"/"origin":"FR-DGSI"/' \
    >"$w/third.ndjson"
run $R --to NL-KMAR --withheld "$tmp/own.withheld" "$w/own.ndjson"
is "the recipient's own record: 0" "$status" 0
empty "... not released" "$tmp/out"
is "... withheld as third_party" "$(cat "$tmp/own.withheld")" \
    '{"id":"nl-own","origin":"NL-KMAR","reason":"third_party"}'
has "... counted as third_party" "$tmp/err" 'withheld 1 \(.*third_party 1,'
run $R -q --to NL-KMAR --explain "$w/own.ndjson"
has "... --explain gives the reason" "$tmp/out" \
    '"decision":"withheld",.*"reason":"third_party"'
run $R -q --to NL-KMAR "$w/third.ndjson"
has "a third party's record under if-releasable: released" "$tmp/out" \
    '"origin":"FR-DGSI"'
sed 's/"releasable_to":\["NL-KMAR"\]/"expires":"2020-01-01T00:00:00Z","releasable_to":["NL-KMAR"]/' \
    "$w/own.ndjson" >"$w/own-expired.ndjson"
run $R --to NL-KMAR --withheld "$tmp/own.withheld" "$w/own-expired.ndjson"
is "the recipient's own and expired: third_party comes first" \
    "$(cat "$tmp/own.withheld")" \
    '{"id":"nl-own","origin":"NL-KMAR","reason":"third_party"}'

## A member name with a dot (SPEC 2): no path can address it, so it is
## dropped whatever rule matches its parent, at any depth and in arrays,
## and counted once as unfit.  The attack: subject: keep beside
## subject.passport: pseudonymise let subject."passport.number" out clear.
sed -n '1,/^releases:/p' "$ag" >"$w/dotted.yaml"
cat >>"$w/dotted.yaml" <<'EOF_AG'
  - from: DE-BKA
    to: [FR-DGSI]
    ceiling: RESTRICTED
    purposes: [smuggling]
    types: [person]
    fields:
      subject: keep
      subject.passport: pseudonymise
EOF_AG
printf '%s\n' '{"classification":"RESTRICTED","created":"2026-11-01T09:30:00Z","data":{"subject":{"docs":[{"no.x":{"deep":"Cleardoc"}},"kept"],"name":"Ann","passport":"P1","passport.number":"Clearpass-9"}},"id":"d1","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}' >"$w/dotted.ndjson"
run intel-redact -a "$w/dotted.yaml" --from DE-BKA --to FR-DGSI "$w/dotted.ndjson"
is "a dotted member: 0" "$status" 0
hasnt "... never released in clear" "$tmp/out" 'Clear'
has "... the rest as the rules say" "$tmp/out" \
    '"data":\{"subject":\{"docs":\["kept"\],"name":"Ann","passport":"pn:[0-9a-f]{32}"\}\}'
has "... counted once each as unfit" "$tmp/err" \
    'values: dropped 2 \(unfit 2\), pseudonymised 1,'
run intel-redact -q -a "$w/dotted.yaml" --from DE-BKA --to FR-DGSI --explain \
    "$w/dotted.ndjson"
is "... --explain shows it once" \
    "$(grep -o '"path":"subject\.[^,]*number[^,]*' "$tmp/out")" \
    '"path":"subject.\"passport.number\""'
has "... dropped, with its parent's rule" "$tmp/out" \
    '\{"action":"keep","outcome":"dropped: a name with \\"\.\\" no path can address","path":"subject\.\\"passport\.number\\"","rule":"subject"\}'
hasnt "... never a value" "$tmp/out" 'Clear'

## The EXAMPLES of intel-redact(1), run as written on the fixtures.
ex=$tmp/ex
mkdir "$ex"
cp "$fx/policy.yaml" "$ex/de-fr.yaml"
cp "$fx/policy.psk" "$fx/records.ndjson" "$ex/"
chmod 600 "$ex/policy.psk"
man_examples intel-redact.1 >"$tmp/examples"
is "EXAMPLES: five commands" "$(wc -l <"$tmp/examples" | tr -d ' ')" 5
(
	cd "$ex" || exit 1
	while IFS= read -r cmd; do
		printf '# $ %s\n' "$cmd" >&3
		eval "$cmd" || exit 1
	done <"$tmp/examples"
) 3>&1 >"$tmp/out" 2>"$tmp/err"
is "EXAMPLES run" "$?" 0
ok "EXAMPLES: the outbox holds what the rule releases" \
    cmp -s "$ex/outbox.ndjson" "$fx/records.FR-DGSI.expected"
is "EXAMPLES: six withheld" "$(wc -l <"$ex/withheld.ndjson" | tr -d ' ')" 6
is "EXAMPLES: nine explained" "$(wc -l <"$ex/explain.ndjson" | tr -d ' ')" 9
has "EXAMPLES: the audit log" "$ex/audit.log" '"tool":"intel-redact"'

done_testing
