#!/bin/sh
# Key files for sealing (SPEC 6a, intel-keys(5)): --keygen's three files,
# --upgrade-key of a key made before sealing, --export-age-identity, each
# checked against Debian's age, and their refusals.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"
command -v age >/dev/null 2>&1 || skip_all "age is not installed"

umask 077
# --- --keygen: NAME.pub, NAME.key, NAME.recipient -----------------------------
run intel-sign --keygen --party FR-DGSI -o "$tmp/fr"
is "keygen: exit 0" "$status" 0
has "... says what it wrote" "$tmp/err" "wrote $tmp/fr.pub, $tmp/fr.key and $tmp/fr.recipient$"
is "NAME.pub: one line" "$(wc -l <"$tmp/fr.pub")" 1
has "... as before" "$tmp/fr.pub" '^ed25519:[A-Za-z0-9+/]{43}= FR-DGSI$'
is "NAME.recipient: two lines" "$(wc -l <"$tmp/fr.recipient")" 2
is "... # PARTY first" "$(sed -n 1p "$tmp/fr.recipient")" "# FR-DGSI"
has "... then the recipient" "$tmp/fr.recipient" '^age1[02-9ac-hj-np-z]{58}$'
is "NAME.recipient mode 0644 (whatever the umask)" \
    "$(ls -l "$tmp/fr.recipient" | cut -c1-10)" "-rw-r--r--"
is "NAME.pub mode 0644" "$(ls -l "$tmp/fr.pub" | cut -c1-10)" "-rw-r--r--"
is "NAME.key mode 0600" "$(ls -l "$tmp/fr.key" | cut -c1-10)" "-rw-------"
has "NAME.key: version 2" "$tmp/fr.key" '^intel-secret-key 2$'
has "... its recipient" "$tmp/fr.key" "^recipient $(sed -n 2p "$tmp/fr.recipient")\$"

printf 'for FR-DGSI only\n' >"$tmp/msg"
run age -R "$tmp/fr.recipient" -o "$tmp/msg.age" "$tmp/msg"
is "age -R NAME.recipient: exit 0" "$status" 0
run intel-sign --export-age-identity -k "$tmp/fr.key" -o "$tmp/fr.id"
is "--export-age-identity: exit 0" "$status" 0
is "... identity file mode 0600" "$(ls -l "$tmp/fr.id" | cut -c1-10)" "-rw-------"
has "... AGE-SECRET-KEY-1" "$tmp/fr.id" '^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$'
run age -d -i "$tmp/fr.id" "$tmp/msg.age"
is "age -d -i opens what age sealed to NAME.recipient" "$status" 0
ok "... to the same bytes" cmp -s "$tmp/out" "$tmp/msg"
is "age-keygen -y agrees with NAME.recipient" \
    "$(age-keygen -y "$tmp/fr.id" 2>/dev/null)" "$(sed -n 2p "$tmp/fr.recipient")"

cp "$tmp/fr.id" "$tmp/fr.id.orig"
run intel-sign --export-age-identity -k "$tmp/fr.key" -o "$tmp/fr.id"
is "--export-age-identity over a file: 73" "$status" 73
has "... says so" "$tmp/err" "fr.id exists"
ok "... file unchanged" cmp -s "$tmp/fr.id" "$tmp/fr.id.orig"
ln -s "$tmp/nowhere" "$tmp/link.id"
run intel-sign --export-age-identity -k "$tmp/fr.key" -o "$tmp/link.id"
is "--export-age-identity onto a dangling link: 73" "$status" 73
nok "... nothing made through it" test -e "$tmp/nowhere"

# Each of the three in the way: 73, nothing else made.
for f in pub key recipient; do
	rm -f "$tmp/x".*
	: >"$tmp/x.$f"
	run intel-sign --keygen --party FR-DGSI -o "$tmp/x"
	is "keygen with NAME.$f in the way: 73" "$status" 73
	has "... names it" "$tmp/err" "x.$f exists: not overwritten"
	is "... nothing else made" "$(ls "$tmp" | grep -c '^x\.')" 1
done

# --- sealed: one passphrase for both secrets ---------------------------------
printf 'one passphrase\n' >"$tmp/pass"
run intel-sign --keygen --party FR-DGSI --passphrase-file "$tmp/pass" -o "$tmp/frs"
is "keygen sealed: exit 0" "$status" 0
hasnt "... no secret in the clear" "$tmp/frs.key" '^secret '
is "... one sealed line" "$(grep -c '^sealed ' "$tmp/frs.key")" 1
run intel-sign --export-age-identity -k "$tmp/frs.key" -o "$tmp/frs.id"
is "export from a sealed key without its passphrase: 78" "$status" 78
has "... says so" "$tmp/err" "passphrase is needed"
nok "... nothing written" test -e "$tmp/frs.id"
printf 'another\n' >"$tmp/wrong"
run intel-sign --export-age-identity -k "$tmp/frs.key" --passphrase-file "$tmp/wrong" -o "$tmp/frs.id"
is "... with a wrong passphrase: 78" "$status" 78
nok "... nothing written" test -e "$tmp/frs.id"
run intel-sign --export-age-identity -k "$tmp/frs.key" --passphrase-file "$tmp/pass" -o "$tmp/frs.id"
is "... with it: exit 0" "$status" 0
printf 'sealed key\n' | age -R "$tmp/frs.recipient" >"$tmp/m2.age"
run age -d -i "$tmp/frs.id" "$tmp/m2.age"
is "age opens with the identity of a sealed key" "$(cat "$tmp/out")" "sealed key"

# --- --upgrade-key: a key made before sealing --------------------------------
run intel-sign --export-age-identity -k "$tmp/k/DE-BKA.key" -o "$tmp/old.id"
is "a version 1 key has no identity: 78" "$status" 78
has "... says to upgrade it" "$tmp/err" "no X25519 secret .*--upgrade-key"
nok "... nothing written" test -e "$tmp/old.id"
run intel-sign --upgrade-key -k "$tmp/k/DE-BKA.key" -o "$tmp/de"
is "--upgrade-key: exit 0" "$status" 0
ok "... writes NAME.key and NAME.recipient" test -f "$tmp/de.key" -a -f "$tmp/de.recipient"
nok "... no NAME.pub (the signing key is the same)" test -e "$tmp/de.pub"
is "... NAME.key mode 0600" "$(ls -l "$tmp/de.key" | cut -c1-10)" "-rw-------"
is "... same public key" "$(sed -n 3p "$tmp/de.key")" "$(sed -n 3p "$tmp/k/DE-BKA.key")"
run sign --seq 5 -k "$tmp/de.key" "$recs"
is "the upgraded key signs for DE-BKA" "$status" 0
cp "$tmp/out" "$tmp/up.b"
run intel-verify -q -a "$ag" --to FR-DGSI "$tmp/up.b"
is "... and its bundle verifies" "$status" 0
run sign --seq 5 "$recs"
is "the old key still signs" "$status" 0
run intel-sign --upgrade-key -k "$tmp/k/DE-BKA.key" -o "$tmp/de"
is "--upgrade-key onto existing files: 73" "$status" 73
rm "$tmp/de.key"
run intel-sign --upgrade-key -k "$tmp/k/DE-BKA.key" -o "$tmp/de"
is "--upgrade-key with NAME.recipient there: 73" "$status" 73
nok "... no NAME.key made" test -e "$tmp/de.key"

# Sealed under the passphrase given.
run intel-sign --upgrade-key -k "$tmp/frs.key" -o "$tmp/frs2"
is "--upgrade-key of a sealed key without the passphrase: 78" "$status" 78
nok "... nothing written" test -e "$tmp/frs2.key" -o -e "$tmp/frs2.recipient"
run intel-sign --upgrade-key -k "$tmp/frs.key" --passphrase-file "$tmp/pass" -o "$tmp/frs2"
is "... with it: exit 0" "$status" 0
hasnt "... the new file is sealed" "$tmp/frs2.key" '^secret '
nok "... with a new X25519 pair" cmp -s "$tmp/frs.recipient" "$tmp/frs2.recipient"
run intel-sign --export-age-identity -k "$tmp/frs2.key" --passphrase-file "$tmp/pass" -o "$tmp/frs2.id"
is "... which opens with the same passphrase" "$status" 0

# --- usage -------------------------------------------------------------------
run intel-sign --upgrade-key -o "$tmp/y"
is "--upgrade-key without -k: 64" "$status" 64
run intel-sign --export-age-identity -k "$tmp/fr.key"
is "--export-age-identity without -o: 64" "$status" 64
run intel-sign --keygen --upgrade-key --party X -k "$tmp/fr.key" -o "$tmp/y"
is "--keygen with --upgrade-key: 64" "$status" 64
run intel-sign --upgrade-key -k "$tmp/fr.key" -o "$tmp/y" --to FR-DGSI
is "--upgrade-key with --to: 64" "$status" 64
nok "... nothing written" test -e "$tmp/y.key"

done_testing
