#!/bin/sh
# The EXAMPLES of intel-pack(1), intel-sign(1), intel-keys(5) and
# intel-agreement(5) run as a user would type them.  (The other pages'
# examples run in their own tests: redact.sh, verify.sh, merge.sh,
# interop.sh, exchange-man.sh.)
#
# Every "$ " command of an EXAMPLES block (with its continuation lines)
# runs in a scratch folder; it must exit 0, or non-zero where the page
# shows it refused; every output line the page shows after it must appear
# in what it printed (runs of 16 or more hex digits stand for any).
. "${top_srcdir:-.}/tests/lib.sh"

for t in intel-pack intel-redact intel-sign; do
	[ -x "$top_builddir/$t" ] || skip_all "$t is not built"
done
command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
INTEL_KDF_TEST_FAST=1
export INTEL_KDF_TEST_FAST
s=$fixtures/sample

# A line the page shows, as an extended regular expression.
pattern() {
	printf '%s\n' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g' \
	    -e 's/[0-9a-f]\{16,\}/[0-9a-f]+/g'
}

# examples PAGE: runs the page's commands in $work in order, calling
# prepare (defined by the caller) before each with the command's number.
examples() {
	page=$top_srcdir/man/$1
	name=$1
	rm -rf "$tmp/ex"
	man_examples "$page" "$tmp/ex"
	ok "$name: has examples" test -s "$tmp/ex/1.sh"
	i=1
	: >"$tmp/vars"
	while [ -f "$tmp/ex/$i.sh" ]; do
		prepare "$i"
		# Absolute system paths move under the scratch folder; the
		# variables earlier commands set are set again.
		{ cat "$tmp/vars"; sed -e "s|/var/lib/intel|$work/var|g" \
		    -e "s|/etc/intel|$work/etc|g" "$tmp/ex/$i.sh"; } >"$tmp/cmd"
		grep -E '^[a-z_]+=' "$tmp/ex/$i.sh" >>"$tmp/vars" || :
		(cd "$work" && sh "$tmp/cmd") >"$tmp/got" 2>&1 && st=0 || st=$?
		cmd=$(head -c 60 "$tmp/ex/$i.sh")
		if grep -Eq 'refused|REFUSED|FAILED' "$tmp/ex/$i.out"; then
			nok "$name: \$ $cmd...: refused as shown" test "$st" -eq 0
		else
			is "$name: \$ $cmd...: exit 0" "$st" 0
			[ "$st" -eq 0 ] || sed 's/^/#   /' "$tmp/got" | head -10
		fi
		while IFS= read -r want; do
			[ -n "$want" ] || continue
			has "$name: \$ $cmd...: prints \"$want\"" "$tmp/got" "^$(pattern "$want")\$"
		done <"$tmp/ex/$i.out"
		i=$((i + 1))
	done
}

# agreement KEYFILE.pub: de-fr.yaml for the exchange fixture, DE-BKA's key
# from KEYFILE, and its pseudonym key.
agreement() {
	[ -f "$work/de-fr.yaml" ] && return 0
	[ -f "$work/fr.pub" ] || intel-sign -q --keygen --party FR-DGSI -o "$work/fr"
	sed -e "s|@DE-BKA@|$(cut -d' ' -f1 "$1")|" -e "s|@FR-DGSI@|$(cut -d' ' -f1 "$work/fr.pub")|" \
	    "$fixtures/exchange/de-fr.yaml.in" >"$work/de-fr.yaml"
	head -c 40 /dev/urandom >"$work/de-fr.psk"
	chmod 600 "$work/de-fr.psk"
}

# --- intel-pack(1) ----------------------------------------------------------
work=$tmp/pack
mkdir -p "$work"
cp "$s/cases.csv" "$s/vehicles.ndjson" "$work/"
intel-sign -q --keygen --party DE-BKA -o "$work/de-bka"
agreement "$work/de-bka.pub"
prepare() { :; }
examples intel-pack.1
is "intel-pack(1): the bundle holds the released records" "$(grep -c '"origin":"DE-BKA"' "$work/FR-DGSI.bundle")" 2

# --- intel-sign(1) ----------------------------------------------------------
work=$tmp/sign
mkdir -p "$work/outbox" "$work/var"
cp "$s/cases.csv" "$work/"
(umask 077 && echo 'a passphrase for cron' >"$work/pass")
prepare() {
	[ -f "$work/de-bka.pub" ] || return 0
	agreement "$work/de-bka.pub"
	[ -f "$work/raw.ndjson" ] && return 0
	# Line 1 complies, line 2 has a passport in clear.
	intel-pack -q --origin DE-BKA -f csv "$s/cases.csv" |
	    intel-redact -q -a "$work/de-fr.yaml" --from DE-BKA --to FR-DGSI |
	    head -n 1 >"$work/raw.ndjson"
	intel-pack -q --origin DE-BKA --type person --classification RESTRICTED \
	    --purpose smuggling - <<-'EOF2' >>"$work/raw.ndjson"
	{"id":"de-x","subject":{"name":"X","passport":"XK1234567"}}
	EOF2
}
examples intel-sign.1
ok "intel-sign(1): the key is sealed" grep -q '^sealed ' "$work/de-bka.key"
ok "intel-sign(1): the bundle is in the outbox" test -s "$work/outbox/FR-DGSI.bundle"

# --- intel-keys(5) ----------------------------------------------------------
work=$tmp/keys
mkdir -p "$work"
prepare() {
	[ -f "$work/bka.pub" ] && [ ! -f "$work/bundle.ndjson" ] || return 0
	agreement "$work/bka.pub"
	intel-pack -q --origin DE-BKA -f csv "$s/cases.csv" |
	    intel-redact -q -a "$work/de-fr.yaml" --from DE-BKA --to FR-DGSI |
	    intel-sign -q -a "$work/de-fr.yaml" -k "$work/bka.key" \
	    --passphrase-file "$work/pw" --to FR-DGSI >"$work/bundle.ndjson"
}
examples intel-keys.5
want=$(sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p' "$work/bundle.ndjson" | tail -n 1)
(cd "$work" && sh "$(grep -l "openssl dgst" "$tmp"/ex/*.sh)") >"$tmp/kid"
is "intel-keys(5): the key id computed with openssl is the bundle's" "$(cat "$tmp/kid")" "$want"

# --- intel-agreement(5) -----------------------------------------------------
man_examples intel-agreement.5 "$tmp/ex"
cp "$tmp/ex/block-1" "$tmp/example.yaml"
ok "intel-agreement(5): the annotated example is there" grep -q '^releases:' "$tmp/example.yaml"
run intel-pack -q -a "$tmp/example.yaml" --origin DE-BKA --type person /dev/null
is "intel-agreement(5): the annotated example loads" "$status" 0
[ "$status" -eq 0 ] || sed 's/^/#   /' "$tmp/err"

done_testing
