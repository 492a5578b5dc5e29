#!/bin/sh
# Weak signing keys in an agreement (SPEC 3; issue 12 item 4).  A key of
# small order listed for DE-BKA would let anyone forge DE-BKA's bundles
# (R of small order, S = 0), and the identity and the points of order 2
# and 4 make libgcrypt abort the process (134).  Each is put into a copy
# of the agreement, and a bundle whose trailer names that key's id (so
# that verifying would reach the signature) is given to intel-verify:
# the agreement is refused at load, 78, with its line and column.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"
command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"

# The bundle: DE-BKA's records, a trailer naming key id $1, R the
# identity, S = 0.
forge() {
	id=$1
	printf '%s\n' '{"agreement":"de-fr-nl-border-2026","agreement_version":3,"created":"2026-11-26T05:00:00Z","from":"DE-BKA","id":"0123456789abcdef0123456789abcdef","intel_bundle":1,"seq":1,"to":"FR-DGSI"}' >"$tmp/forged"
	cat "$recs" >>"$tmp/forged"
	sha=$(openssl dgst -sha512 -r <"$tmp/forged" | cut -c1-128)
	sig=$( (printf '\001'; head -c 63 /dev/zero) | openssl base64 -A)
	printf '{"intel_signature":1,"key":"%s","records":2,"sha512":"%s","sig":"%s"}\n' \
	    "$id" "$sha" "$sig" >>"$tmp/forged"
}

for case in \
    "the identity:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:of small order" \
    "order 2:7P///////////////////////////////////////38=:of small order" \
    "order 4:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:of small order" \
    "order 4, x odd:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA=:of small order" \
    "order 8:JuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/AU=:of small order" \
    "order 8, x odd:xxdqcD1N2E+6PAt2DRBnDyogU/osOczGTsf9d5KsA/o=:of small order" \
    "a small-order component:uaH8cpgoLq6JseWD7eU+fi8IWynDj8oMZYe5dNDHwu0=:small-order component" \
    "y = p:7f///////////////////////////////////////38=:not canonical" \
    "off the curve:AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:not on the curve"; do
	what=${case%%:*}
	rest=${case#*:}
	key=${rest%%:*}
	why=${rest#*:}
	sed "s|ed25519:Ct5sJgiHiTQi47xSzGZYCiL8lSoZzYKJSvxqL3ep3KI=|ed25519:$key|" \
	    "$ag" >"$tmp/weak.yaml"
	id=$(printf '%s' "$key" | openssl base64 -d -A | openssl dgst -sha256 -r |
	    cut -c1-16)
	forge "$id"
	run intel-verify -a "$tmp/weak.yaml" --to FR-DGSI -o "$tmp/got" "$tmp/forged"
	is "$what: verify refuses the agreement: 78, not 134" "$status" 78
	has "... at its line and column, saying why" "$tmp/err" \
	    "^intel-verify: $tmp/weak.yaml:18:9: key of party \"DE-BKA\" is not a safe Ed25519 public key: .*$why"
	empty "... nothing on stdout" "$tmp/out"
	nok "... no -o file" test -e "$tmp/got"
	run intel-sign -a "$tmp/weak.yaml" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$recs"
	is "$what: sign refuses it too: 78" "$status" 78
	empty "... nothing written" "$tmp/out"
done

# The same bundle against the fixture agreement: its key id names no key.
run intel-verify -a "$ag" --to FR-DGSI "$tmp/forged"
is "the forged bundle, real agreement: refused (1)" "$status" 1
empty "... nothing written" "$tmp/out"

# Two keys with one key id: the same key listed for two parties.
sed "s|ed25519:uwGxs7e0CLPoFFRxABkrZY8GmbMTkcUaz06v8cm+6s8=|ed25519:TDilcKH+e6WqwBldEstFEDPokQ1ZMueA9nvvDbED0XA=|" \
    "$ag" >"$tmp/twice.yaml"
run intel-verify -a "$tmp/twice.yaml" --to FR-DGSI "$tmp/forged"
is "a key id twice: 78" "$status" 78
has "... at the second" "$tmp/err" "twice.yaml:23:13: key is already a key of party \"DE-BKA\""
empty "... nothing written" "$tmp/out"

done_testing
