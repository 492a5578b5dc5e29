#!/bin/sh
# scripts/demo runs from start to end against this build and shows what
# the README promises.
. "${top_srcdir:-.}/tests/lib.sh"

command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
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
hasnt "demo: nothing unexpected" "$tmp/out" 'unexpected'
hasnt "demo: no clear passport number" "$tmp/out" 'XK1234567'
done_testing
