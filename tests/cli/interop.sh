#!/bin/sh
# Interoperability with the OpenSSL command line: OpenSSL checks what
# intel-sign signs, intel-verify accepts what OpenSSL signs, and the
# by-hand check of intel-bundle(5) EXAMPLES runs exactly as printed.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
openssl genpkey -algorithm ed25519 >/dev/null 2>&1 ||
    skip_all "this openssl has no Ed25519"
printf x >"$tmp/x"
openssl pkeyutl -sign -inkey "$fixtures/keys/DE-BKA.pem" -rawin -in "$tmp/x" \
    -out "$tmp/x.sig" 2>/dev/null || skip_all "this openssl has no -rawin"

# pubpem PARTY: the fixture public key as a PEM file, built from the raw
# key by prefixing the DER header (NOTES.md).
pubpem() {
	k=$(sed 's/^ed25519://; s/ .*//' "$fixtures/keys/$1.pub")
	echo "MCowBQYDK2VwAyEA$k" | openssl base64 -d -A >"$tmp/$1.der"
	openssl pkey -pubin -inform DER -in "$tmp/$1.der" -out "$tmp/$1.pub.pem"
}
for p in DE-BKA NL-KMAR; do pubpem "$p"; done

sign --seq 5 "$recs" >"$tmp/b"
tail -n 1 "$tmp/b" >"$tmp/trailer"
printf %s "$(sed 's/,"sig":.*/}/' "$tmp/trailer")" >"$tmp/msg"
sed 's/.*"sig":"//; s/".*//' "$tmp/trailer" | openssl base64 -d -A >"$tmp/sig"
is "the signature is 64 bytes" "$(wc -c <"$tmp/sig" | tr -d ' ')" 64

# --- OpenSSL checks intel-sign's bundle ---------------------------------------
run openssl pkeyutl -verify -pubin -inkey "$tmp/DE-BKA.pub.pem" -rawin \
    -in "$tmp/msg" -sigfile "$tmp/sig"
is "openssl: the signature holds" "$status" 0
has "... it says so" "$tmp/out" "Signature Verified Successfully"
run openssl pkeyutl -verify -pubin -inkey "$tmp/NL-KMAR.pub.pem" -rawin \
    -in "$tmp/msg" -sigfile "$tmp/sig"
nok "openssl: not under another party's key" test "$status" -eq 0
digest=$(sed '$d' "$tmp/b" | openssl dgst -sha512 -r | cut -c1-128)
is "openssl: the digest of the lines before the trailer" \
    "$(sed 's/.*"sha512":"//; s/".*//' "$tmp/trailer")" "$digest"
kid=$(sed 's/^ed25519://; s/ .*//' "$fixtures/keys/DE-BKA.pub" |
    openssl base64 -d -A | openssl dgst -sha256 -r | cut -c1-16)
is "openssl: the key id" "$(sed 's/.*"key":"//; s/".*//' "$tmp/trailer")" "$kid"

# Ed25519 is deterministic: OpenSSL with the PEM key and intel-sign with
# the fixture key file make the same signature, so both are the same key.
openssl pkeyutl -sign -inkey "$fixtures/keys/DE-BKA.pem" -rawin \
    -in "$tmp/msg" -out "$tmp/sig.ossl"
ok "openssl signs the trailer byte for byte as intel-sign" \
    cmp -s "$tmp/sig" "$tmp/sig.ossl"

# --- intel-verify accepts what OpenSSL signs ----------------------------------
# bundle_by_hand KEY.pem KEYID OUT: a bundle of $recs written with printf
# and signed by OpenSSL, nothing of ours involved.
bundle_by_hand() {
	{
		printf '{"agreement":"de-fr-nl-border-2026","agreement_version":3,"created":"2026-11-26T04:00:00Z","from":"DE-BKA","id":"0123456789abcdef0123456789abcdef","intel_bundle":1,"seq":99,"to":"FR-DGSI"}\n'
		cat "$recs"
	} >"$tmp/body"
	d=$(openssl dgst -sha512 -r <"$tmp/body" | cut -c1-128)
	printf '{"intel_signature":1,"key":"%s","records":2,"sha512":"%s"}' \
	    "$2" "$d" >"$tmp/hmsg"
	openssl pkeyutl -sign -inkey "$1" -rawin -in "$tmp/hmsg" -out "$tmp/hsig"
	s=$(openssl base64 -A <"$tmp/hsig")
	{
		cat "$tmp/body"
		printf '{"intel_signature":1,"key":"%s","records":2,"sha512":"%s","sig":"%s"}\n' \
		    "$2" "$d" "$s"
	} >"$3"
}
bundle_by_hand "$fixtures/keys/DE-BKA.pem" "$kid" "$tmp/hand.b"
run intel-verify -a "$ag" --to FR-DGSI "$tmp/hand.b"
is "intel-verify accepts a bundle signed by openssl" "$status" 0
is "... and writes its records" "$(wc -l <"$tmp/out")" 2
has "... from bundle 0123..." "$tmp/out" '"bundle":"0123456789abcdef0123456789abcdef"'

# The trailer of our bundle re-signed by OpenSSL with NL-KMAR's key.
nlid=$(sed 's/^ed25519://; s/ .*//' "$fixtures/keys/NL-KMAR.pub" |
    openssl base64 -d -A | openssl dgst -sha256 -r | cut -c1-16)
sed "s/\"key\":\"$kid\"/\"key\":\"$nlid\"/" "$tmp/msg" >"$tmp/nlmsg"
openssl pkeyutl -sign -inkey "$fixtures/keys/NL-KMAR.pem" -rawin \
    -in "$tmp/nlmsg" -out "$tmp/nlsig"
{
	sed '$d' "$tmp/b"
	printf '%s,"sig":"%s"}\n' "$(sed 's/}$//' "$tmp/nlmsg")" \
	    "$(openssl base64 -A <"$tmp/nlsig")"
} >"$tmp/nl.b"
run openssl pkeyutl -verify -pubin -inkey "$tmp/NL-KMAR.pub.pem" -rawin \
    -in "$tmp/nlmsg" -sigfile "$tmp/nlsig"
is "openssl: NL-KMAR's signature itself holds" "$status" 0
run intel-verify -a "$ag" --to FR-DGSI "$tmp/nl.b"
is "a DE-BKA bundle signed by NL-KMAR: refused" "$status" 1
has "... by the key check" "$tmp/err" "nl.b:4: key: key $nlid belongs to NL-KMAR, not to the sender DE-BKA"
empty "... nothing written" "$tmp/out"
# Signed with DE-BKA's PEM key over a different digest: the digest fails.
sed '2s/Anna/Anne/' "$tmp/b" >"$tmp/changed.b"
run intel-verify -a "$ag" --to FR-DGSI "$tmp/changed.b"
is "a changed record under a good signature: refused" "$status" 1
has "... by the digest check" "$tmp/err" "changed.b:4: digest: "
empty "... nothing written" "$tmp/out"

# --- intel-bundle(5) EXAMPLES, run as printed -------------------------------
# The "$ " lines of the literal block; \e in the page is a backslash.
man_examples intel-bundle.5 >"$tmp/example.sh"
ok "intel-bundle(5) has the example" test -s "$tmp/example.sh"
mkdir "$tmp/ex"
cp "$fixtures/keys/DE-BKA.pub" "$tmp/ex/de-bka.pub"
cp "$tmp/b" "$tmp/ex/de.bundle"
(cd "$tmp/ex" && sh "$tmp/example.sh") >"$tmp/out" 2>"$tmp/err"
is "the example runs" "$?" 0
is "... the key id it prints" "$(sed -n 1p "$tmp/out")" "$kid"
is "... is the trailer's" "$(sed -n 2p "$tmp/out")" "$kid"
is "... the page shows that id" "$(grep -c "^$kid\$" "$top_srcdir/man/intel-bundle.5")" 2
is "... openssl says the signature holds" "$(sed -n 3p "$tmp/out")" "Signature Verified Successfully"
has "... the page shows that line" "$top_srcdir/man/intel-bundle.5" "^Signature Verified Successfully\$"
is "... the two digests are equal" "$(sed -n 4p "$tmp/out")" "$(sed -n 5p "$tmp/out")"
is "... and are the bundle's" "$(sed -n 4p "$tmp/out")" "$digest"
# The same steps on a changed bundle must not pass.
sed '2s/Anna/Anne/' "$tmp/b" >"$tmp/ex/de.bundle"
(cd "$tmp/ex" && sh "$tmp/example.sh") >"$tmp/out" 2>"$tmp/err"
nok "... on a changed record the digests differ" \
    test "$(sed -n 4p "$tmp/out")" = "$(sed -n 5p "$tmp/out")"

done_testing
