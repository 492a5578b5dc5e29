#!/bin/sh
# The manuals: mdoc clean under mandoc -Tlint, and their examples work.
. "${top_srcdir:-.}/tests/lib.sh"

command -v mandoc >/dev/null 2>&1 || skip_all "mandoc is not installed"
for page in "$top_srcdir"/man/*.[1-8]; do
	run mandoc -Tlint -W warning "$page"
	is "$(basename "$page"): mandoc -Tlint clean" "$status" 0
	[ -s "$tmp/out" ] && sed 's/^/# /' "$tmp/out"
	for sec in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		case $page in *.[57]) [ "$sec" = SYNOPSIS ] || [ "$sec" = "EXIT STATUS" ] && continue ;; esac
		has "$(basename "$page"): has $sec" "$page" "^\.Sh $sec\$"
	done
done

# intel-pack(1): run its examples on the sample data.
mkdir "$tmp/ex"
cp "$fixtures/sample/cases.csv" "$fixtures/sample/vehicles.ndjson" "$tmp/ex/"
man_examples intel-pack.1 >"$tmp/pack-examples"
ok "intel-pack(1) has examples" test -s "$tmp/pack-examples"
first=$(sed -n 1p "$tmp/pack-examples")
(cd "$tmp/ex" && eval "$first") 2>"$tmp/err"
is "intel-pack(1) first example runs" "$?" 0
has "... and prints what the page says" "$tmp/err" "^intel-pack: 3 read, 3 written, 0 skipped$"
has "... the page shows that line" "$top_srcdir/man/intel-pack.1" "^intel-pack: 3 read, 3 written, 0 skipped$"
is "... writes three records" "$(wc -l <"$tmp/ex/records.ndjson")" 3

done_testing
