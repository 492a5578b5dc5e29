#!/bin/sh
# The sealed exchange (SPEC 6a, 10): intel-exchange-out seals where the
# rule requires it or its "seal yes" says so, and names the bundle without
# reading it; intel-exchange-in opens it with its "key", routes it by
# trying the partner's agreements, and refuses a sealed bundle for another
# party, one in the wrong partner's inbox (verify's --from, once open) and
# a plain bundle under seal: required, merging nothing.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/cli/lib-exchange.sh"
age1=age-encryption.org/v1

# Keys with X25519 pairs (NAME.recipient), the agreements.
mkdir "$tmp/keys" "$tmp/etc"
for p in DE-BKA FR-DGSI NL-KMAR; do
	intel-sign -q --keygen --party "$p" -o "$tmp/keys/$p"
done
# agreement ID SEAL FILE: the fixture with our keys, id and seal.
agreement() {
	sed -e "s|@ID@|$1|" -e "s|@SEAL@|$2|" \
	    -e "s|@DE-BKA@|$(cut -d' ' -f1 "$tmp/keys/DE-BKA.pub")|" \
	    -e "s|@FR-DGSI@|$(cut -d' ' -f1 "$tmp/keys/FR-DGSI.pub")|" \
	    -e "s|@NL-KMAR@|$(cut -d' ' -f1 "$tmp/keys/NL-KMAR.pub")|" \
	    -e "s|@FR-AGE@|$(grep '^age1' "$tmp/keys/FR-DGSI.recipient")|" \
	    -e "s|@NL-AGE@|$(grep '^age1' "$tmp/keys/NL-KMAR.recipient")|" \
	    "$fx/de-fr-sealed.yaml.in" >"$tmp/etc/$3"
}
agreement de-fr-sealed-2026 required sealed.yaml
agreement de-fr-open-2026 optional open.yaml
# The sender's forged copy of the sealed agreement saying optional.
agreement de-fr-sealed-2026 optional forged.yaml
printf 'exchange-seal-test-pseudonym-key-0123456789\n' >"$tmp/etc/de-fr.psk"
chmod 600 "$tmp/etc/de-fr.psk"

mkdir "$tmp/de" "$tmp/de/outgoing" "$tmp/xfer" "$tmp/xfer-nl" "$tmp/fr"
# outconf AGREEMENT [SETTING...]: DE-BKA's configuration.
outconf() {
	_a=$1
	shift
	{
		printf 'local DE-BKA\nkey ../keys/DE-BKA.key\nstate sign-state\n'
		printf 'records outgoing\n'
		for _s in "$@"; do printf '%s\n' "$_s"; done
		printf 'partner FR-DGSI ../etc/%s %s\n' "$_a" "$tmp/xfer"
	} >"$tmp/de/out.conf"
}
cat >"$tmp/fr/in.conf" <<EOF
local FR-DGSI
store store.ndjson
state verify-state
settle 0
key ../keys/FR-DGSI.key
partner DE-BKA ../etc/sealed.yaml ../xfer
partner DE-BKA ../etc/open.yaml ../xfer
partner NL-KMAR ../etc/sealed.yaml ../xfer-nl
EOF
grep -v '^key ' "$tmp/fr/in.conf" >"$tmp/fr/nokey.conf"
rej=$tmp/fr/verify-state/rejected
bundles() {
	(cd "$1" && ls -- *.bundle 2>/dev/null) | tr '\n' ' '
}
first() { head -n 1 -- "$1" | head -c 64; }
store() { cat "$tmp/fr/store.ndjson" 2>/dev/null; }
b1=de-fr-sealed-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle

# --- out: the rule says seal: required, sign seals by itself -------------
outconf sealed.yaml
cp "$fx/day1.ndjson" "$tmp/de/outgoing/"
run sh "$xout" "$tmp/de/out.conf"
is "out, seal: required: exit 0" "$status" 0
is "out: named by agreement, parties and seq (not read from it)" \
    "$(bundles "$tmp/xfer")" "$b1 "
is "out: the bundle is sealed" "$(first "$tmp/xfer/$b1")" "$age1"
has "out: says it sealed it" "$tmp/err" \
    "^intel-exchange-out: FR-DGSI: placed .*/$b1 \\(records: 2, sealed\\)\$"
hasnt "out: no name in clear" "$tmp/xfer/$b1" "Kowalski"
is "out: nothing left in signed/" \
    "$(ls -A "$tmp/de/sign-state/intel-exchange-out/signed")" ""

# --- in: no key: the sealed bundle waits, nothing merged -----------------
run sh "$xin" "$tmp/fr/nokey.conf"
is "in without key: exit 1" "$status" 1
has "in without key: says the key is missing, the bundle pending" \
    "$tmp/err" "$b1: intel-verify exit 64; the bundle stays pending: .*no key"
is "in without key: nothing merged" "$(store)" ""
is "in without key: nothing rejected" "$(ls -A "$rej")" ""

# --- in: key opens it ----------------------------------------------------
run sh "$xin" "$tmp/fr/in.conf"
is "in with key: exit 0" "$status" 0
has "in with key: merged" "$tmp/err" \
    "$b1: merged into .*store.ndjson \\(from DE-BKA, records: 2\\)"
has "in: the store holds the person" "$tmp/fr/store.ndjson" \
    '"name":"Jan Kowalski".*"id":"de-2026-0001"'
has "in: ... received from the sealed bundle" "$tmp/fr/store.ndjson" \
    '"received":\{"at":"2026-11-26T05:00:00Z","bundle":"[0-9a-f]{32}","from":"DE-BKA"\}'
is "in: archived (still sealed) in processed/" \
    "$(first "$tmp/fr/verify-state/processed/$b1")" "$age1"
cp "$tmp/fr/store.ndjson" "$tmp/store.1"

# --- out: seal yes under an optional rule; in routes it by agreement ------
b2=de-fr-open-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle
outconf open.yaml
run sh "$xout" "$tmp/de/out.conf"
is "out, optional rule, no seal setting: exit 0" "$status" 0
is "out: ... a plain bundle" "$(first "$tmp/xfer/$b2" | cut -c1-13)" \
    '{"agreement":'
rm -f "$tmp/xfer/$b2"
rm -f "$tmp/de/sign-state/intel-exchange-out/sent/de-fr-open-2026,FR-DGSI"
outconf open.yaml "seal maybe"
run sh "$xout" "$tmp/de/out.conf"
is "out: seal maybe: 78" "$status" 78
has "out: ... names the line" "$tmp/err" "out\\.conf:5: seal takes yes or no"
outconf open.yaml "seal yes"
b2=de-fr-open-2026.DE-BKA.FR-DGSI.00000000000000000002.bundle
run sh "$xout" "$tmp/de/out.conf"
is "out, seal yes: exit 0" "$status" 0
is "out, seal yes: sealed" "$(first "$tmp/xfer/$b2")" "$age1"
has "out, seal yes: says so" "$tmp/err" "placed .*/$b2 \\(records: 2, sealed\\)"
run sh "$xin" "$tmp/fr/in.conf"
is "in: sealed under the second agreement of the inbox: exit 0" "$status" 0
has "in: ... merged" "$tmp/err" "$b2: merged into"
is "in: ... the same two records" "$(wc -l <"$tmp/fr/store.ndjson")" 2
cp "$tmp/fr/store.ndjson" "$tmp/store.1"

# refused DESC NAME REASON FROM: exit 1, the reason beside it in rejected/,
# the store untouched, nothing pending.
refused() {
	is "$1: exit 1" "$status" 1
	has "$1: message" "$tmp/err" "$2: rejected \\(from $4\\): .*$3"
	has "$1: the reason in rejected/" "$rej/$2.reason" "$3"
	ok "$1: the store untouched" cmp -s "$tmp/store.1" \
	    "$tmp/fr/store.ndjson"
	is "$1: nothing pending" "$(ls "$tmp/fr/verify-state/intel-exchange-in" |
	    grep -c '\.\(ndjson\|bundle\|meta\)$')" 0
}

# --- a sealed bundle for another party, in our inbox -----------------------
intel-redact -q -a "$tmp/etc/sealed.yaml" --from DE-BKA --to NL-KMAR \
    "$fx/day1.ndjson" >"$tmp/nl.ndjson"
intel-sign -q -a "$tmp/etc/sealed.yaml" -k "$tmp/keys/DE-BKA.key" \
    --to NL-KMAR --seq 7 --seal -o "$tmp/xfer/for-nl.bundle" "$tmp/nl.ndjson"
is "the bundle for NL-KMAR is sealed" "$(first "$tmp/xfer/for-nl.bundle")" \
    "$age1"
run sh "$xin" "$tmp/fr/in.conf"
refused "sealed for NL-KMAR, in FR-DGSI's inbox" for-nl.bundle \
    "seal: no stanza for this key" DE-BKA

# --- a sealed bundle under none of the inbox's agreements -----------------
agreement de-fr-other-2026 optional other.yaml
intel-redact -q -a "$tmp/etc/other.yaml" --from DE-BKA --to FR-DGSI \
    "$fx/day1.ndjson" >"$tmp/other.ndjson"
intel-sign -q -a "$tmp/etc/other.yaml" -k "$tmp/keys/DE-BKA.key" \
    --to FR-DGSI --seq 8 --seal -o "$tmp/xfer/other.bundle" "$tmp/other.ndjson"
is "the bundle under another agreement is sealed" \
    "$(first "$tmp/xfer/other.bundle")" "$age1"
run sh "$xin" "$tmp/fr/in.conf"
refused "sealed, under an agreement not on the inbox's lines" other.bundle \
    "agreement: " DE-BKA

# --- a sealed bundle for us in the wrong partner's inbox ------------------
intel-redact -q -a "$tmp/etc/sealed.yaml" --from DE-BKA --to FR-DGSI \
    "$fx/day2.ndjson" >"$tmp/fr.ndjson"
intel-sign -q -a "$tmp/etc/sealed.yaml" -k "$tmp/keys/DE-BKA.key" \
    --to FR-DGSI --seq 9 -o "$tmp/xfer-nl/misplaced.bundle" "$tmp/fr.ndjson"
is "the misplaced bundle is sealed" \
    "$(first "$tmp/xfer-nl/misplaced.bundle")" "$age1"
run sh "$xin" "$tmp/fr/in.conf"
refused "sealed, from DE-BKA, in NL-KMAR's inbox" misplaced.bundle \
    "sender: the bundle is from DE-BKA, in the inbox of NL-KMAR" NL-KMAR

# --- a plain bundle under seal: required ------------------------------------
intel-sign -q -a "$tmp/etc/forged.yaml" -k "$tmp/keys/DE-BKA.key" \
    --to FR-DGSI --seq 10 -o "$tmp/xfer/plain.bundle" "$tmp/fr.ndjson"
is "the plain bundle is plain" \
    "$(first "$tmp/xfer/plain.bundle" | cut -c1-13)" '{"agreement":'
run sh "$xin" "$tmp/fr/in.conf"
refused "plain, under seal: required" plain.bundle \
    "seal: a plain bundle, and the rule .*requires sealed ones" DE-BKA

done_testing
