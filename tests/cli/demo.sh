#!/bin/sh
# scripts/demo runs from start to end against this build and shows what
# the README promises.
. "${top_srcdir:-.}/tests/lib.sh"

command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
command -v age >/dev/null 2>&1 || skip_all "age is not installed"
INTEL_DEMO_BUILD=$top_builddir run sh "$top_srcdir/scripts/demo"
is "demo: exit 0" "$status" 0
empty "demo: nothing on stderr" "$tmp/err"
has "demo: keys made" "$tmp/out" 'NL-KMAR: ed25519:.*mode 600'
has "demo: withheld with reasons" "$tmp/out" '"reason":"classification"'
has "demo: pseudonymised passport" "$tmp/out" '"passport":"pn:[0-9a-f]{32}"'
has "demo: unredacted records refused by intel-sign" "$tmp/out" 'refused \(exit 1\), nothing written'
has "demo: the officer's report accepts the bundle" "$tmp/out" 'result +ACCEPTED'
has "demo: OpenSSL confirms the signature" "$tmp/out" 'Signature Verified Successfully'
has "demo: NL store from two agencies" "$tmp/out" 'NL-KMAR store: 4 records'
has "demo: a hit across origins" "$tmp/out" '"origin":"DE-BKA","path":"vehicles.plate"\},\{"id":"fr-2026-v-311","origin":"FR-DGSI"'
has "demo: the recall leaves a tombstone" "$tmp/out" '"data":\{\},"expires"'
has "demo: the tampered bundle refused" "$tmp/out" 'changed bundle: exit 1, 0 records written'
has "demo: the replay refused" "$tmp/out" 'same bundle again: exit 1, 0 records written'
has "demo: the sealed bundle is sealed by sign under seal: required" \
    "$tmp/out" 'intel-sign: bundle [0-9a-f]{32}: 4 records for FR-DGSI, seq 1, key [0-9a-f]{16} of DE-BKA, sealed to 1 recipient$'
has "demo: ... is age, and no record in clear" "$tmp/out" \
    'first line "age-encryption.org/v1", [0-9]+ bytes; "Volkswagen" \(a make in the records\) found in it 0 times'
has "demo: ... FR-DGSI's key opens it (seal check)" "$tmp/out" \
    'seal +ok \(age, 1 stanza, opened with FR-DGSI\.key\)'
has "demo: ... NL-KMAR's age identity cannot" "$tmp/out" \
    "NL-KMAR's age identity cannot open it: age: error: no identity matched"
has "demo: ... age -d opens the signed bundle" "$tmp/out" \
    'age -d: 6 lines, header \{"agreement":"de-fr-sealed-2026"'
is "demo: ... and OpenSSL checks it (twice Verified: plain and opened)" \
    "$(grep -c 'Signature Verified Successfully' "$tmp/out")" 2
has "demo: ... its sha512 holds" "$tmp/out" \
    "sha512 of the lines before the trailer: equal to the trailer's"
hasnt "demo: nothing unexpected" "$tmp/out" 'unexpected'
hasnt "demo: no clear passport number" "$tmp/out" 'XK1234567'
done_testing
