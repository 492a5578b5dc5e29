#!/bin/sh
# File modes (SPEC 9): what the tools create holding records or secrets is
# 0600 (folders 0700) whatever the umask; public keys 0644; a replaced file
# keeps its mode, and as root its owner and group; the store's lock takes
# the store's mode and group.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

fx=$fixtures/merge
mode() { stat -c %a "$1"; }
owner() { stat -c %u:%g "$1"; }

cp "$fixtures/redact/policy.yaml" "$fixtures/redact/policy.psk" "$tmp/"
chmod 600 "$tmp/policy.psk"
sign --seq 5 "$recs" >"$tmp/good"

for u in 022 077 000; do
	d=$tmp/u$u
	mkdir "$d"
	(
		umask $u
		intel-merge -q -s "$d/store" --hits "$d/hits" --audit "$d/audit" \
		    "$fx/day1.ndjson" "$fx/day2.ndjson"
		intel-pack -q --origin DE-BKA --type person -o "$d/packed" \
		    "$fixtures/merge/day1.ndjson" 2>/dev/null || :
		intel-redact -q -a "$tmp/policy.yaml" --from DE-BKA --to FR-DGSI \
		    --withheld "$d/withheld" -o "$d/redacted" \
		    "$fixtures/redact/records.ndjson"
		intel-sign -q --keygen --party DE-BKA -o "$d/new"
		intel-verify -q -a "$ag" --to FR-DGSI --state "$d/state" \
		    -o "$d/verified" --audit "$d/vaudit" "$tmp/good"
	) 2>"$d/err"
	is "umask $u: the store 0600" "$(mode "$d/store")" 600
	is "umask $u: its lock 0600" "$(mode "$d/store.lock")" 600
	is "umask $u: --hits 0600" "$(mode "$d/hits")" 600
	is "umask $u: merge --audit 0600" "$(mode "$d/audit")" 600
	is "umask $u: pack -o 0600" "$(mode "$d/packed")" 600
	is "umask $u: redact -o 0600" "$(mode "$d/redacted")" 600
	is "umask $u: --withheld 0600" "$(mode "$d/withheld")" 600
	is "umask $u: NAME.key 0600" "$(mode "$d/new.key")" 600
	is "umask $u: NAME.pub 0644" "$(mode "$d/new.pub")" 644
	is "umask $u: verify -o 0600" "$(mode "$d/verified")" 600
	is "umask $u: verify --audit 0600" "$(mode "$d/vaudit")" 600
	is "umask $u: --state folder 0700" "$(mode "$d/state")" 700
	is "umask $u: state files 0600" \
	    "$(find "$d/state" -type f -exec stat -c %a {} + | sort -u | tr '\n' ' ')" \
	    "600 "
done

## A replaced file keeps its mode (and, as root, its owner and group).
r=$tmp/replace
mkdir "$r"
for f in packed hits store redacted; do
	: >"$r/$f"
	chmod 640 "$r/$f"
done
grp=
if [ "$(id -u)" -eq 0 ]; then
	grp=$(awk -F: '$3 != 0 { print $3; exit }' /etc/group)
	for f in packed hits store redacted; do
		chown 65534:"$grp" "$r/$f"
	done
fi
printf '' >"$r/store"
umask 077
run intel-pack -q --origin DE-BKA --type person -o "$r/packed" "$fx/day1.ndjson"
is "replace: pack -o exit 0" "$status" 0
run intel-merge -q -s "$r/store" --hits "$r/hits" "$fx/day1.ndjson" "$fx/day2.ndjson"
is "replace: merge exit 0" "$status" 0
run intel-redact -q -a "$tmp/policy.yaml" --from DE-BKA --to FR-DGSI \
    -o "$r/redacted" "$fixtures/redact/records.ndjson"
is "replace: redact exit 0" "$status" 0
umask 022
for f in packed hits store redacted; do
	ok "replace: $f was rewritten" test -s "$r/$f"
	is "replace: $f keeps 0640" "$(mode "$r/$f")" 640
	if [ -n "$grp" ]; then
		is "replace: $f keeps its owner and group (as root)" \
		    "$(owner "$r/$f")" "65534:$grp"
	else
		ok "# SKIP not root: owner and group" true
	fi
done
is "the store's new lock takes the store's mode" "$(mode "$r/store.lock")" 640
if [ -n "$grp" ]; then
	is "... and its owner and group (as root)" "$(owner "$r/store.lock")" \
	    "65534:$grp"
else
	ok "# SKIP not root: the lock's group" true
fi

## A 0600 file replaced by -o stays 0600 under umask 022.
: >"$tmp/priv"
chmod 600 "$tmp/priv"
run intel-pack -q --origin DE-BKA --type person -o "$tmp/priv" "$fx/day1.ndjson"
is "a 0600 output replaced under umask 022 stays 0600" "$(mode "$tmp/priv")" 600

done_testing
