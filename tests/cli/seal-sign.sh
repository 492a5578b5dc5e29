#!/bin/sh
# intel-sign --seal (SPEC 6a): the signed bundle sealed with age to the
# recipient's X25519 recipients, opened by Debian's age, checked by
# intel-verify; --seal-also, seal: required, the refusals, -o, and the
# spool that never holds a record in the clear.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"
command -v age >/dev/null 2>&1 || skip_all "age is not installed"

# FR-DGSI's new key (version 2), its recipient in a copy of the agreement.
intel-sign -q --keygen --party FR-DGSI -o "$tmp/fr"
intel-sign -q --export-age-identity -k "$tmp/fr.key" -o "$tmp/fr.id"
frrcpt=$(sed -n 2p "$tmp/fr.recipient")
frpub=$(cut -d' ' -f1 "$tmp/fr.pub")
# An archive key of DE-BKA's, and a second office of FR-DGSI.
intel-sign -q --keygen --party DE-BKA -o "$tmp/archive"
intel-sign -q --export-age-identity -k "$tmp/archive.key" -o "$tmp/archive.id"
age-keygen -o "$tmp/fr2.id" 2>/dev/null
fr2rcpt=$(age-keygen -y "$tmp/fr2.id")
age-keygen -o "$tmp/other.id" 2>/dev/null
otherrcpt=$(age-keygen -y "$tmp/other.id")

# agreement FILE RECIPIENTS [SEAL]: the test agreement with FR-DGSI's new
# key and RECIPIENTS (a YAML list, or "" for none), and the first rule's
# seal member.
agreement() {
	sed -e "s|^    keys: \\[ \"ed25519:2P67J2CTlIjmHQCSx4m4fRnDNQ0OyQB2saHO78X0/a8=\" \\]\$|    keys: [ \"$frpub\" ]${2:+\\
    recipients: $2}|" -e "s|^    third_party: deny\$|    third_party: deny${3:+\\
    seal: $3}|" "$ag" >"$1"
	cp "$tmp/trilateral.psk" "$(dirname "$1")/" 2>/dev/null || :
}
agreement "$tmp/sealed.yaml" "[\"$frrcpt\"]"
agreement "$tmp/two.yaml" "[\"$frrcpt\", \"$fr2rcpt\"]"
agreement "$tmp/required.yaml" "[\"$frrcpt\"]" required
agreement "$tmp/none.yaml" ""
run intel-sign -q -a "$tmp/sealed.yaml" -k "$tmp/k/DE-BKA.key" --to FR-DGSI --seq 1 "$recs"
is "the test agreement with recipients loads" "$status" 0

ssign() {
	_a=$1
	shift
	intel-sign -a "$_a" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$@"
}

# --- --seal: age opens it to the bundle verify accepts ------------------------
run intel-sign -a "$tmp/sealed.yaml" -k "$tmp/k/DE-BKA.key" --to FR-DGSI \
    --seq 7 --seal --audit "$tmp/audit" -o "$tmp/b.age" "$recs"
is "--seal: exit 0" "$status" 0
empty "... nothing on stdout" "$tmp/out"
has "... the summary says sealed" "$tmp/err" "^intel-sign: bundle [0-9a-f]{32}: 2 records for FR-DGSI, seq 7, key defd6f7779192809 of DE-BKA, sealed to 1 recipient\$"
is "... an age file" "$(head -n 1 "$tmp/b.age")" "age-encryption.org/v1"
is "... one X25519 stanza" "$(grep -c '^-> X25519 ' "$tmp/b.age")" 1
is "... mode 0600" "$(ls -l "$tmp/b.age" | cut -c1-10)" "-rw-------"
hasnt "... no record in the clear" "$tmp/b.age" 'de-bka-1|"origin"'
run age -d -i "$tmp/fr.id" -o "$tmp/plain" "$tmp/b.age"
is "age -d -i (the exported identity) opens it" "$status" 0
has "... a bundle header" "$tmp/plain" '^\{"agreement":"de-fr-nl-border-2026",.*"seq":7,"to":"FR-DGSI"\}$'
sed '1d;$d' "$tmp/plain" >"$tmp/middle"
ok "... the records, unchanged" cmp -s "$tmp/middle" "$recs"
is "... header, records, trailer" "$(wc -l <"$tmp/plain")" 4
run intel-verify -a "$tmp/sealed.yaml" --to FR-DGSI "$tmp/plain"
is "intel-verify accepts the opened bundle" "$status" 0
is "... every record" "$(wc -l <"$tmp/out")" 2
sha=$(sed '$d' "$tmp/plain" | sha512sum | cut -c1-128)
has "... the trailer's digest is of the plain bytes" "$tmp/plain" "\"sha512\":\"$sha\""
has "the audit line carries the inner bundle's digest" "$tmp/audit" "\"sha512\":\"$sha\""
id=$(sed -n '1s/.*"id":"\([0-9a-f]*\)".*/\1/p' "$tmp/plain")
has "... and its id" "$tmp/audit" "\"bundle\":\"$id\",\"from\":\"DE-BKA\",.*\"records\":2,\"released\":2,"
run age -d -i "$tmp/other.id" "$tmp/b.age"
nok "another identity cannot open it" test "$status" -eq 0
empty "... and gets nothing" "$tmp/out"

# The by-hand recipe of intel-bundle(5): the identity, age -d, then its
# EXAMPLES (OpenSSL) on the plain bundle, run as printed.
if command -v openssl >/dev/null 2>&1; then
	mkdir "$tmp/hand"
	cp "$tmp/fr.key" "$tmp/hand/fr-dgsi.key"
	cp "$tmp/b.age" "$tmp/hand/de.bundle.age"
	cp "$fixtures/keys/DE-BKA.pub" "$tmp/hand/de-bka.pub"
	sed -n '/^intel-sign --export-age-identity -k fr-dgsi.key/,/^rm id.txt$/p' \
	    "$top_srcdir/man/intel-bundle.5" >"$tmp/open.sh"
	is "intel-bundle(5) shows how to open by hand" "$(wc -l <"$tmp/open.sh")" 3
	man_examples intel-bundle.5 >"$tmp/check.sh"
	(cd "$tmp/hand" && sh "$tmp/open.sh" && sh "$tmp/check.sh") \
	    >"$tmp/out" 2>"$tmp/err"
	is "... the recipe runs" "$?" 0
	ok "... to the plain bundle" cmp -s "$tmp/hand/de.bundle" "$tmp/plain"
	nok "... and removes the identity" test -e "$tmp/hand/id.txt"
	is "... OpenSSL says the signature holds" "$(sed -n 3p "$tmp/out")" \
	    "Signature Verified Successfully"
	is "... the digests are equal" "$(sed -n 4p "$tmp/out")" "$(sed -n 5p "$tmp/out")"
fi

# On standard output (a file, not a terminal).
ssign "$tmp/sealed.yaml" -q --seq 8 --seal "$recs" >"$tmp/stdout.age" 2>"$tmp/err"
is "--seal to standard output: exit 0" "$?" 0
run age -d -i "$tmp/fr.id" "$tmp/stdout.age"
has "... opens" "$tmp/out" '"seq":8,'

# A large bundle: several 64 KiB chunks, opened exactly.
sh "$top_srcdir/scripts/gen-records" -n 1500 |
    intel-redact -q -a "$tmp/sealed.yaml" --from DE-BKA --to FR-DGSI >"$tmp/many"
run ssign "$tmp/sealed.yaml" -q --seq 9 --seal -j 2 -o "$tmp/many.age" "$tmp/many"
is "a large bundle sealed: exit 0" "$status" 0
age -d -i "$tmp/fr.id" "$tmp/many.age" >"$tmp/many.plain"
sed '1d;$d' "$tmp/many.plain" >"$tmp/many.middle"
ok "... opens to every record, in order" cmp -s "$tmp/many.middle" "$tmp/many"
run intel-verify -q -a "$tmp/sealed.yaml" --to FR-DGSI "$tmp/many.plain"
is "... which verify accepts" "$status" 0

# --- --seal-also: a recipients file and a string -----------------------------
run ssign "$tmp/sealed.yaml" -q --seq 10 --seal-also "$tmp/archive.recipient" \
    --seal-also "$otherrcpt" -o "$tmp/also.age" "$recs"
is "--seal-also FILE --seal-also STRING (without --seal): exit 0" "$status" 0
is "... three stanzas" "$(grep -c '^-> X25519 ' "$tmp/also.age")" 3
for who in fr archive other; do
	run age -d -i "$tmp/$who.id" -o "$tmp/also.$who" "$tmp/also.age"
	is "... opens with the $who identity" "$status" 0
done
ok "... to the same bytes each time" cmp -s "$tmp/also.fr" "$tmp/also.archive"
ok "... (and the third)" cmp -s "$tmp/also.fr" "$tmp/also.other"
run intel-verify -q -a "$tmp/sealed.yaml" --to FR-DGSI "$tmp/also.other"
is "... a bundle verify accepts" "$status" 0
run ssign "$tmp/sealed.yaml" -q --seq 10 --seal --seal-also "$frrcpt" -o "$tmp/dup.age" "$recs"
is "--seal-also of the agreement's own recipient: one stanza" "$(grep -c '^-> X25519 ' "$tmp/dup.age")" 1

# --- N recipients in the agreement -------------------------------------------
run ssign "$tmp/two.yaml" -q --seq 11 --seal --seal-also "$tmp/archive.recipient" -o "$tmp/n.age" "$recs"
is "two recipients in the agreement and one more: exit 0" "$status" 0
is "... three stanzas" "$(grep -c '^-> X25519 ' "$tmp/n.age")" 3
for who in fr fr2 archive; do
	age -d -i "$tmp/$who.id" "$tmp/n.age" >"$tmp/n.$who" 2>/dev/null
	run intel-verify -q -a "$tmp/two.yaml" --to FR-DGSI "$tmp/n.$who"
	is "... opens for $who to a bundle verify accepts" "$status" 0
done

# --- seal: required: sealed unasked ------------------------------------------
run ssign "$tmp/required.yaml" -q --seq 12 -o "$tmp/req.age" "$recs"
is "seal: required, no --seal: exit 0" "$status" 0
is "... sealed all the same" "$(head -n 1 "$tmp/req.age")" "age-encryption.org/v1"
run age -d -i "$tmp/fr.id" "$tmp/req.age"
has "... opens" "$tmp/out" '"seq":12,'
run ssign "$tmp/required.yaml" --seq 12 "$recs"
is "seal: required on standard output (a file): exit 0" "$status" 0
is "... sealed" "$(head -n 1 "$tmp/out")" "age-encryption.org/v1"

# --- refusals: status, message, nothing written ------------------------------
run ssign "$tmp/none.yaml" --seal -o "$tmp/r1.age" "$recs"
is "--seal for a party without recipients: 78" "$status" 78
has "... says so" "$tmp/err" "FR-DGSI lists no recipients in agreement de-fr-nl-border-2026: a bundle for it cannot be sealed"
empty "... nothing on stdout" "$tmp/out"
nok "... no -o file" test -e "$tmp/r1.age"
run ssign "$tmp/none.yaml" --seal-also "$otherrcpt" -o "$tmp/r1.age" "$recs"
is "--seal-also alone for a party without recipients: 78 too" "$status" 78
nok "... no -o file" test -e "$tmp/r1.age"
run ssign "$tmp/sealed.yaml" --seal-also age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z -o "$tmp/r2.age" "$recs"
is "--seal-also a recipient of small order: 64" "$status" 64
has "... says why" "$tmp/err" "small order"
nok "... no -o file" test -e "$tmp/r2.age"
run ssign "$tmp/sealed.yaml" --seal-also age1kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3ky3qvca5q8 -o "$tmp/r2.age" "$recs"
is "--seal-also with a bad checksum: 64" "$status" 64
has "... does not decode" "$tmp/err" "does not decode"
nok "... no -o file" test -e "$tmp/r2.age"
run ssign "$tmp/sealed.yaml" --seal-also "$tmp/no-such.recipient" -o "$tmp/r2.age" "$recs"
is "--seal-also a missing file: 66" "$status" 66
has "... named" "$tmp/err" "no-such.recipient"
nok "... no -o file" test -e "$tmp/r2.age"
printf '# x\nssh-ed25519 AAAAC3Nza x\n' >"$tmp/bad.recipient"
run ssign "$tmp/sealed.yaml" --seal-also "$tmp/bad.recipient" -o "$tmp/r2.age" "$recs"
is "--seal-also a file with a bad line: 78" "$status" 78
has "... FILE:LINE" "$tmp/err" "bad.recipient:2: "
nok "... no -o file" test -e "$tmp/r2.age"
run ssign "$tmp/sealed.yaml" --seal -o "$tmp/r3.age" "$fixtures/bundle/noncompliant.ndjson"
is "--seal with a record not allowed: 1" "$status" 1
empty "... nothing on stdout" "$tmp/out"
nok "... no -o file" test -e "$tmp/r3.age"

# -o atomic: a refused run leaves the old file as it was.
printf 'old\n' >"$tmp/keep.age"
run ssign "$tmp/sealed.yaml" --seal -o "$tmp/keep.age" "$fixtures/bundle/noncompliant.ndjson"
is "-o over a file, refused: 1" "$status" 1
is "... the old file untouched" "$(cat "$tmp/keep.age")" "old"
is "... no temporary file left" "$(ls "$tmp" | grep -c 'keep.age.')" 0
run ssign "$tmp/sealed.yaml" --seal -o /dev/full "$recs"
is "--seal to a full disk: 74" "$status" 74
has "... says so" "$tmp/err" "No space left on device"

# A terminal: refused before anything is read.
if command -v script >/dev/null 2>&1; then
	script -qec "intel-sign -a '$tmp/sealed.yaml' -k '$tmp/k/DE-BKA.key' --to FR-DGSI --seal '$recs'; echo \"status=\$?\"" /dev/null >"$tmp/tty" 2>&1 </dev/null
	has "--seal to a terminal: 64" "$tmp/tty" "status=64"
	has "... says why" "$tmp/tty" "a sealed bundle is binary: not written to a terminal"
	hasnt "... nothing of the bundle" "$tmp/tty" "age-encryption|-> X25519"
	script -qec "intel-sign -a '$tmp/required.yaml' -k '$tmp/k/DE-BKA.key' --to FR-DGSI '$recs'; echo \"status=\$?\"" /dev/null >"$tmp/tty" 2>&1 </dev/null
	has "seal: required to a terminal: 64" "$tmp/tty" "status=64"
	script -qec "intel-sign -q -a '$tmp/sealed.yaml' -k '$tmp/k/DE-BKA.key' --to FR-DGSI --seal -o '$tmp/tty.age' '$recs'; echo \"status=\$?\"" /dev/null >"$tmp/tty" 2>&1 </dev/null
	has "--seal -o FILE from a terminal: 0" "$tmp/tty" "status=0"
	ok "... wrote the file" test -s "$tmp/tty.age"
else
	for i in 1 2 3 4 5 6; do ok "# SKIP script(1) is not installed" true; done
fi

# --- the spool holds no record in the clear ----------------------------------
# intel-sign reads from a FIFO that stays open, so that it is still running
# with many records spooled; its unlinked spool file is read through /proc.
if [ -d /proc/self/fd ]; then
	mkfifo "$tmp/fifo"
	(exec intel-sign -q -a "$tmp/sealed.yaml" -k "$tmp/k/DE-BKA.key" \
	    --to FR-DGSI --seal --seq 13 -o "$tmp/fifo.age" <"$tmp/fifo") &
	pid=$!
	exec 3>"$tmp/fifo"
	cat "$tmp/many" >&3
	spool=
	i=0
	while [ "$i" -lt 60 ]; do
		i=$((i + 1))
		for fd in /proc/$pid/fd/*; do
			case $(readlink "$fd" 2>/dev/null) in
			*intel-spool*) spool=$fd ;;
			esac
		done
		[ -n "$spool" ] && [ "$(wc -c <"$spool" 2>/dev/null || echo 0)" -gt 150000 ] && break
		sleep 0.5
	done
	ok "the spool of a running sign holds what was read" test -n "$spool"
	if [ -n "$spool" ]; then
		cat "$spool" >"$tmp/spool.copy" 2>/dev/null
		ok "... more than 150,000 bytes" test "$(wc -c <"$tmp/spool.copy")" -gt 150000
		hasnt "... none of it a record in the clear" "$tmp/spool.copy" '"origin"|"classification"|DE-BKA'
	else
		ok "# SKIP no spool seen" true
		ok "# SKIP no spool seen" true
	fi
	exec 3>&-
	wait "$pid"
	is "... and the run ends well" "$?" 0
	age -d -i "$tmp/fr.id" "$tmp/fifo.age" | sed '1d;$d' >"$tmp/fifo.middle"
	ok "... with every record" cmp -s "$tmp/fifo.middle" "$tmp/many"
fi

done_testing
