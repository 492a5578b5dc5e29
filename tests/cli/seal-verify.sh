#!/bin/sh
# intel-verify and sealed bundles (SPEC 6a): what age(1) seals, intel-verify
# opens; every failure to open refused with nothing written and the step
# named; the key's party as the recipient; rotations; sealed and plain
# bundles in one run; the key errors.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"
for t in age age-keygen od dd; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is not installed"
done

k=$tmp/k
# FR-DGSI's signing key with an X25519 pair (twice: a rotation), and a
# recipient nobody here holds.
intel-sign -q --upgrade-key -k "$k/FR-DGSI.key" -o "$k/FR-2026"
intel-sign -q --upgrade-key -k "$k/FR-DGSI.key" -o "$k/FR-2027"
age-keygen -o "$tmp/stranger.id" 2>/dev/null
stranger=$(sed -n 's/^# public key: //p' "$tmp/stranger.id")
fr26=$(grep '^age1' "$k/FR-2026.recipient")

sign --seq 5 "$recs" >"$tmp/plain"
intel-verify -q -a "$ag" --to FR-DGSI "$tmp/plain" >"$tmp/plain.out"
age -R "$k/FR-2026.recipient" "$tmp/plain" >"$tmp/sealed"
sign --seq 6 "$recs" | age -r "$fr26" >"$tmp/sealed6"

# verify ARGS...: with the agreement.
verify() { run intel-verify -a "$ag" "$@"; }
# refused DESC REGEX ARGS...: exit 1, the message, nothing written.
refused() {
	d=$1 re=$2
	shift 2
	verify "$@"
	is "$d: exit 1" "$status" 1
	has "$d: message" "$tmp/err" "^intel-verify: [^ ]+:[0-9]+: $re"
	empty "$d: nothing written" "$tmp/out"
}

# --- what age seals, intel-verify opens ---------------------------------------
verify -k "$k/FR-2026.key" "$tmp/sealed"
is "age -R NAME.recipient, opened with -k: exit 0" "$status" 0
ok "... the records of the plain bundle" cmp -s "$tmp/out" "$tmp/plain.out"
hasnt "... no warning: the key's party is the recipient" "$tmp/err" \
    "not checked"
verify -k "$k/FR-2026.key" - <"$tmp/sealed"
is "on standard input: exit 0" "$status" 0
ok "... the same records" cmp -s "$tmp/out" "$tmp/plain.out"
INTEL_KEY=$k/FR-2026.key run intel-verify -a "$ag" "$tmp/sealed6"
is "INTEL_KEY stands in for -k" "$status" 0
is "... two records" "$(wc -l <"$tmp/out")" 2

verify -k "$k/FR-2026.key" --report "$tmp/sealed"
is "--report: exit 0" "$status" 0
has "... the seal check first" "$tmp/out" \
    "^  checks\$"
has "... stanzas and the key that opened it" "$tmp/out" \
    "^    seal        ok \\(age, 1 stanza, opened with $k/FR-2026.key\\)\$"
has "... the inner header" "$tmp/out" "^  to          FR-DGSI\$"
has "... recipient checked against the key's party" "$tmp/out" \
    "^    recipient   ok \\(FR-DGSI\\)\$"
sed -n '/^  checks$/{n;p;}' "$tmp/out" >"$tmp/first"
has "... seal is the first check" "$tmp/first" "^    seal "

# The audit line carries the inner bundle's values: its sha512 is the
# trailer's, as on the sender's side.
sha=$(sed -n '$s/.*"sha512":"\([0-9a-f]*\)".*/\1/p' "$tmp/plain")
bid=$(sed -n '1s/.*"id":"\([0-9a-f]*\)".*/\1/p' "$tmp/plain")
verify -k "$k/FR-2026.key" --audit "$tmp/audit.log" "$tmp/sealed"
is "--audit: exit 0" "$status" 0
has "... the audit line has the trailer's sha512" "$tmp/audit.log" \
    "\"sha512\":\"$sha\""
has "... and the inner bundle's id" "$tmp/audit.log" "\"bundle\":\"$bid\""

# --- a rotation: two keys, the second opens it --------------------------------
age -R "$k/FR-2027.recipient" "$tmp/plain" >"$tmp/sealed27"
verify -k "$k/FR-2026.key" -k "$k/FR-2027.key" --report "$tmp/sealed27"
is "-k old -k new, sealed to the new: exit 0" "$status" 0
has "... the report names the key that opened it" "$tmp/out" \
    "^    seal        ok \\(age, 1 stanza, opened with $k/FR-2027.key\\)\$"
refused "only the old key" "seal: no stanza for this key \\(1 stanza\\)$" \
    -k "$k/FR-2026.key" "$tmp/sealed27"
age -R "$k/FR-2026.recipient" -R "$k/FR-2027.recipient" "$tmp/plain" \
    >"$tmp/sealed2"
verify -k "$k/FR-2027.key" --report "$tmp/sealed2"
is "sealed to both keys, opened with one: exit 0" "$status" 0
has "... two stanzas" "$tmp/out" "^    seal        ok \\(age, 2 stanzas,"

# --- sealed and plain in one run ----------------------------------------------
verify -k "$k/FR-2026.key" "$tmp/plain" "$tmp/sealed" "$tmp/sealed27" \
    "$tmp/sealed6"
is "plain, sealed, sealed to another key, sealed: exit 1" "$status" 1
is "... the three good bundles' records" "$(wc -l <"$tmp/out")" 6
has "... the one it cannot open named" "$tmp/err" \
    "^intel-verify: $tmp/sealed27:1: seal: no stanza for this key"
has "... summary" "$tmp/err" "3 bundles accepted, 1 refused; 6 records written"

# --- no key: that bundle is not judged (64), the others are -------------------
verify --to FR-DGSI "$tmp/sealed" "$tmp/plain"
is "a sealed bundle and no key: 64" "$status" 64
has "... says a key is needed" "$tmp/err" \
    "^intel-verify: $tmp/sealed: a sealed bundle, and no key to open it \\(-k KEY, or INTEL_KEY\\)\$"
ok "... the plain bundle's records still written" cmp -s "$tmp/out" \
    "$tmp/plain.out"
verify --to FR-DGSI --report "$tmp/sealed"
is "--report of it: 64" "$status" 64
has "... seal FAILED" "$tmp/out" "^    seal        FAILED: a sealed bundle, and no key"
has "... header not reached" "$tmp/out" "^    header      not reached\$"

# --- the key -------------------------------------------------------------------
verify -k "$k/FR-DGSI.key" "$tmp/sealed"
is "a key file without an X25519 secret: 78" "$status" 78
has "... says so" "$tmp/err" "FR-DGSI.key: the key has no X25519 secret"
empty "... nothing written" "$tmp/out"
intel-sign -q --keygen --party XX-POL -o "$k/XX"
verify -k "$k/XX.key" "$tmp/sealed"
is "a key of a party not in the agreement: 78" "$status" 78
has "... says so" "$tmp/err" "XX.key: a key of XX-POL, not a party of agreement"
printf 'correct horse\n' >"$tmp/pass"
printf 'wrong horse\n' >"$tmp/wrong"
chmod 600 "$tmp/pass" "$tmp/wrong"
intel-sign -q --keygen --party FR-DGSI --passphrase-file "$tmp/pass" \
    -o "$k/FR-sealed"
age -R "$k/FR-sealed.recipient" "$tmp/plain" >"$tmp/sealed-p"
verify -k "$k/FR-sealed.key" --passphrase-file "$tmp/wrong" "$tmp/sealed-p"
is "a wrong passphrase: 78" "$status" 78
has "... says so" "$tmp/err" "wrong passphrase"
verify -k "$k/FR-sealed.key" "$tmp/sealed-p"
is "a sealed key file and no passphrase: 78" "$status" 78
verify -k "$k/FR-sealed.key" --passphrase-file "$tmp/pass" "$tmp/sealed-p"
is "the right passphrase: exit 0" "$status" 0
ok "... the records" cmp -s "$tmp/out" "$tmp/plain.out"
verify -k "$k/FR-sealed.key" --passphrase-file "$tmp/pass" --ask-passphrase \
    "$tmp/sealed-p"
is "--passphrase-file and --ask-passphrase: 64" "$status" 64
verify -k "$k/FR-2026.key" --to NL-KMAR "$tmp/sealed"
is "--to another party than the key's: 64" "$status" 64
has "... says so" "$tmp/err" "^intel-verify: --to NL-KMAR: the key .* is FR-DGSI's"
empty "... nothing written" "$tmp/out"
verify -k "$k/FR-2026.key" --to FR-DGSI "$tmp/sealed"
is "--to the key's party: exit 0" "$status" 0
verify -k "$k/FR-2026.key" -k "$k/XX.key" "$tmp/sealed"
is "keys of two parties: refused" "$status" 78

# --- a bundle for another party, sealed to us ---------------------------------
printf '%s\n' '{"classification":"RESTRICTED","created":"2026-11-01T10:00:00Z","data":{"vehicles":[{"plate":"pn:0123456789abcdef0123456789abcdef"}]},"id":"v-1","origin":"DE-BKA","purposes":["smuggling"],"type":"vehicle","version":1}' >"$tmp/veh"
intel-sign -q -a "$ag" -k "$k/DE-BKA.key" --to NL-KMAR --seq 9 "$tmp/veh" |
    age -R "$k/FR-2026.recipient" >"$tmp/for-nl"
refused "a bundle for NL-KMAR sealed to FR-DGSI's key" \
    "recipient: the sealed bundle is for NL-KMAR, but it was opened with a key of FR-DGSI" \
    -k "$k/FR-2026.key" "$tmp/for-nl"

# --- seal: required -------------------------------------------------------------
# The DE-BKA -> FR-DGSI rule requires sealed bundles: a plain one is
# refused by the seal check, the same bundle sealed is accepted.
cp "$fixtures/agreements/trilateral-sealed.yaml" "$tmp/"
run intel-verify -a "$tmp/trilateral-sealed.yaml" -k "$k/FR-2026.key" \
    "$tmp/plain"
is "seal: required, a plain bundle: exit 1" "$status" 1
has "... the seal check names the rule" "$tmp/err" \
    "^intel-verify: $tmp/plain:1: seal: a plain bundle, and the rule at line [0-9]+ of $tmp/trilateral-sealed.yaml requires sealed ones \\(seal: required\\)\$"
empty "... nothing written" "$tmp/out"
run intel-verify -a "$tmp/trilateral-sealed.yaml" --to FR-DGSI "$tmp/plain"
is "... without a key too: exit 1" "$status" 1
run intel-verify -a "$tmp/trilateral-sealed.yaml" -k "$k/FR-2026.key" \
    --report "$tmp/plain"
has "... --report: seal FAILED" "$tmp/out" "^    seal        FAILED: a plain bundle, and the rule"
has "... header not reached" "$tmp/out" "^    header      not reached\$"
run intel-verify -a "$tmp/trilateral-sealed.yaml" -k "$k/FR-2026.key" \
    "$tmp/sealed" "$tmp/plain"
is "... sealed and plain in one run: exit 1" "$status" 1
ok "... the sealed one's records written" cmp -s "$tmp/out" "$tmp/plain.out"
run intel-verify -a "$ag" -k "$k/FR-2026.key" --report "$tmp/plain"
has "under seal: optional, a plain bundle: seal not checked" "$tmp/out" \
    "^    seal        not checked \\(a plain bundle; its rule does not require sealing\\)\$"

# What intel-sign seals (to the recipients the agreement lists for
# FR-DGSI, here FR-2026's, and --seal-also), intel-verify opens.
sed "s/age1[a-z0-9]*/$fr26/" "$fixtures/agreements/trilateral-sealed.yaml" \
    >"$tmp/trilateral-fr26.yaml"
intel-sign -q -a "$tmp/trilateral-fr26.yaml" -k "$k/DE-BKA.key" --to FR-DGSI \
    --seq 21 --seal-also "$stranger" -o "$tmp/by-sign" "$recs"
run intel-verify -a "$tmp/trilateral-fr26.yaml" -k "$k/FR-2026.key" \
    --report "$tmp/by-sign"
is "sealed by intel-sign under seal: required: exit 0" "$status" 0
has "... two stanzas, opened with the agreement's recipient" "$tmp/out" \
    "^    seal        ok \\(age, 2 stanzas, opened with $k/FR-2026.key\\)\$"

# --- what cannot be opened -----------------------------------------------------
age -r "$stranger" "$tmp/plain" >"$tmp/strange"
refused "no stanza for our key" "seal: no stanza for this key" \
    -k "$k/FR-2026.key" "$tmp/strange"
age -a -R "$k/FR-2026.recipient" "$tmp/plain" >"$tmp/armored"
refused "the ASCII armor" "seal: the ASCII-armored form of age is not supported" \
    -k "$k/FR-2026.key" "$tmp/armored"
a43=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
printf 'age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 10\n%s\n--- %s\n' \
    "$a43" "$a43" >"$tmp/scrypt"
refused "a passphrase (scrypt) stanza" "seal: .*scrypt" \
    -k "$k/FR-2026.key" "$tmp/scrypt"
set --
i=0
while [ $i -lt 65 ]; do
	age-keygen -o "$tmp/many.$i" 2>/dev/null
	set -- "$@" -r "$(sed -n 's/^# public key: //p' "$tmp/many.$i")"
	i=$((i + 1))
done
age "$@" -R "$k/FR-2026.recipient" "$tmp/plain" >"$tmp/many"
refused "66 stanzas" "seal: .*64 stanzas" -k "$k/FR-2026.key" "$tmp/many"
{ printf 'age-encryption.org/v1\n'; i=0
  while [ $i -lt 1200 ]; do
	printf -- '-> X25519 %s\n%s\n' \
	    'TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc' \
	    'EmECAEcKN+n/Vs9SbWiV+Hu0r+E8R77DdWYyd83nw7U'
	i=$((i + 1))
  done; } >"$tmp/huge"
refused "a header over 64 KiB" "seal: .*64 KiB" -k "$k/FR-2026.key" \
    "$tmp/huge"

# --- a bundle of more than two chunks: one-byte changes, truncation -----------
awk '{ for (i = 0; i < 350; i++) { l = $0; sub(/"id":"de-bka-/, "\"id\":\"r" i "-", l); print l } }' \
    "$recs" >"$tmp/many.ndjson"
sign --seq 11 "$tmp/many.ndjson" >"$tmp/big"
age -R "$k/FR-2026.recipient" -R "$k/FR-2027.recipient" "$tmp/big" >"$tmp/bigs"
size=$(wc -c <"$tmp/bigs")
ok "a sealed bundle of $size bytes: more than two chunks" \
    test "$size" -gt $((2 * 65552 + 300))
intel-verify -q -a "$ag" --to FR-DGSI "$tmp/big" >"$tmp/big.out"
verify -k "$k/FR-2026.key" "$tmp/bigs"
is "... opened: exit 0" "$status" 0
ok "... the records of the plain bundle" cmp -s "$tmp/out" "$tmp/big.out"
verify -k "$k/FR-2026.key" -j 4 "$tmp/bigs"
ok "... -j 4: the same" cmp -s "$tmp/out" "$tmp/big.out"

# Offsets: the stanzas, the MAC line, the payload (nonce, then chunks of
# 64 KiB + 16).
off() { grep -abo -m"$2" -- "$1" "$tmp/bigs" | sed -n "$2s/:.*//p"; }
st1=$(off '-> X25519 ' 1)
st2=$(off '-> X25519 ' 2)
mac=$(off '--- ' 1)
body=$((mac + 48 + 16))
chunk=65552
last=$((size - 1))
nch=$(( (size - body + chunk - 1) / chunk ))

# flip OFFSET: a copy of the big sealed bundle with one bit changed.
flip() {
	b=$(od -An -tu1 -j"$1" -N1 "$tmp/bigs" | tr -d ' ')
	cp "$tmp/bigs" "$tmp/flip"
	printf "\\$(printf '%03o' $((b ^ 4)))" |
	    dd of="$tmp/flip" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
for spot in "version line:3:header" "stanza 1 type:$((st1 + 4)):seal" \
    "stanza 1 share:$((st1 + 20)):seal" "stanza 1 body:$((st1 + 56)):seal" \
    "stanza 2 share:$((st2 + 20)):seal" "MAC:$((mac + 10)):seal: header MAC" \
    "payload nonce:$((body - 5)):seal: chunk 1" \
    "first chunk:$((body + 3)):seal: chunk 1" \
    "middle chunk:$((body + chunk + chunk / 2)):seal: chunk 2" \
    "last chunk's tag:$last:seal: chunk $nch"; do
	d=${spot%%:*} rest=${spot#*:}
	o=${rest%%:*} re=${rest#*:}
	flip "$o"
	refused "a byte of the $d changed" "$re" -k "$k/FR-2027.key" \
	    "$tmp/flip"
done
c=0
while [ $c -lt "$nch" ]; do
	cut=$((body + c * chunk))
	c=$((c + 1))
	head -c "$cut" "$tmp/bigs" >"$tmp/cut"
	refused "cut after chunk $((c - 1))" "seal: (truncated|chunk)" \
	    -k "$k/FR-2026.key" "$tmp/cut"
done
head -c $((mac + 48)) "$tmp/bigs" >"$tmp/cut"
refused "cut after the header" "seal: .*truncated" -k "$k/FR-2026.key" \
    "$tmp/cut"
head -c "$st2" "$tmp/bigs" >"$tmp/cut"
refused "cut in the header" "seal: " -k "$k/FR-2026.key" "$tmp/cut"
{ cat "$tmp/bigs"; printf x; } >"$tmp/more"
refused "a byte more" "seal: chunk $nch" -k "$k/FR-2026.key" "$tmp/more"
verify -k "$k/FR-2026.key" -o "$tmp/new.ndjson" "$tmp/more"
is "... with -o: exit 1" "$status" 1
ok "... no file" test ! -e "$tmp/new.ndjson"

done_testing
