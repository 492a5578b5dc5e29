#!/bin/sh
# Every tool under valgrind memcheck on its main paths, good and bad input:
# no invalid access, no uninitialised use, no leak.  The whole suite runs
# under valgrind with --enable-valgrind; this is the part that fits in
# scripts/check's time on every run.
. "${top_srcdir:-.}/tests/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed"
need_tools
if nm "$top_builddir/intel-pack" 2>/dev/null | grep -q __asan_init; then
	skip_all "this build uses AddressSanitizer, which valgrind cannot run"
fi
. "$top_srcdir/tests/cli/lib-bundle.sh"

vg() {
	valgrind --quiet --error-exitcode=99 --leak-check=full \
	    --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect,possible "$@"
}

# mc DESC WANT TOOL ARGS...: the tool's status is WANT, valgrind's report
# is empty.
mc() {
	d=$1
	want=$2
	shift 2
	run vg "$@"
	is "$d: status $want, memcheck clean" "$status" "$want"
	if grep -q '^==[0-9]*==' "$tmp/err"; then
		_tap 1 "$d: no valgrind report"
		grep '^==' "$tmp/err" | head -20 | sed 's/^/# /'
	else
		_tap 0 "$d: no valgrind report"
	fi
}

s=$fixtures/sample
mc "pack csv" 0 intel-pack -o "$tmp/p.ndjson" --origin DE-BKA "$s/cases.csv"
mc "pack json -a" 0 intel-pack -a "$ag" --origin DE-BKA "$s/events.json"
mc "pack ndjson -j 2" 0 intel-pack -j 2 --origin DE-BKA "$s/vehicles.ndjson"
printf '{"a":1}\n{"a":\n' >"$tmp/bad.ndjson"
mc "pack bad line" 65 intel-pack --origin X --type T "$tmp/bad.ndjson"
mc "pack --skip-bad" 0 intel-pack --skip-bad --origin X --type T "$tmp/bad.ndjson"
mc "pack bad agreement" 78 intel-pack -a "$fixtures/agreements/bad/alias.yaml" "$tmp/bad.ndjson"

sh "$top_srcdir/scripts/gen-records" -n 300 -s 3 >"$tmp/gen.ndjson"
mc "redact" 0 intel-redact -a "$ag" --from DE-BKA --to FR-DGSI \
    --withheld "$tmp/w" --audit "$tmp/audit" -o "$tmp/r.ndjson" "$tmp/gen.ndjson"
mc "redact --explain -j 2" 0 intel-redact -j 2 --explain -a "$ag" --from DE-BKA --to FR-DGSI "$tmp/gen.ndjson"
mc "redact FR->NL rule" 0 intel-redact -a "$ag" --from FR-DGSI --to NL-KMAR "$fixtures/redact/records.ndjson"
mc "redact bad record" 65 intel-redact -a "$ag" --from DE-BKA --to FR-DGSI "$tmp/bad.ndjson"
mc "redact no rule" 78 intel-redact -a "$ag" --from NL-KMAR --to DE-BKA "$tmp/gen.ndjson"

mc "sign" 0 intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to FR-DGSI --state "$tmp/st" -o "$tmp/b1" "$tmp/r.ndjson"
mc "sign refuses unredacted" 1 intel-sign -a "$ag" -k "$tmp/k/DE-BKA.key" --to FR-DGSI "$tmp/gen.ndjson"
mc "keygen sealed" 0 sh -c 'echo secret >"$1/pass"; chmod 600 "$1/pass"; exec "$2" --keygen --party DE-BKA --passphrase-file "$1/pass" -o "$1/sealed"' sh "$tmp" "$(command -v intel-sign)"
echo wrong >"$tmp/wrong"
chmod 600 "$tmp/wrong"
mc "sealed key, wrong passphrase" 78 intel-sign -a "$ag" -k "$tmp/sealed.key" --passphrase-file "$tmp/wrong" --to FR-DGSI "$tmp/r.ndjson"

mc "verify" 0 intel-verify -a "$ag" --to FR-DGSI --state "$tmp/vs" -o "$tmp/v.ndjson" "$tmp/b1"
mc "verify --report" 0 intel-verify --report -a "$ag" --to FR-DGSI "$tmp/b1"
sed '2s/"version":[0-9]*/"version":99/' "$tmp/b1" >"$tmp/b2"
ok "the tampered copy differs" sh -c '! cmp -s "$1" "$2"' sh "$tmp/b1" "$tmp/b2"
mc "verify tampered, then good, -j 2" 1 intel-verify -j 2 -a "$ag" --to FR-DGSI "$tmp/b2" "$tmp/b1"
mc "verify replay" 1 intel-verify -a "$ag" --to FR-DGSI --state "$tmp/vs" "$tmp/b1"
mc "verify --check-audit" 0 intel-verify --check-audit "$tmp/audit"

mc "merge into a new store with hits" 0 intel-merge -s "$tmp/store" --hits "$tmp/hits" "$tmp/v.ndjson" "$tmp/r.ndjson"
mc "merge again, --expire" 0 intel-merge --expire -s "$tmp/store" "$tmp/v.ndjson"
mc "merge bad input" 65 intel-merge -s "$tmp/store" "$tmp/bad.ndjson"
done_testing
