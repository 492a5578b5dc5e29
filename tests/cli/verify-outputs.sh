#!/bin/sh
# intel-verify's outputs (SPEC 8, last paragraph; SPEC 9): an output that
# is the bundle being read is a usage error (64) and nothing is changed,
# whether the bundle is named or comes on standard input; an audit log on
# a device that cannot be flushed (/dev/null) is written without error.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

bd=$tmp/d
mkdir "$bd"
sign --seq 1 "$recs" >"$bd/B"
cp "$bd/B" "$tmp/B.orig"
before=$(names "$bd")

# same DESC: 64, the message names the output and the input, nothing changed.
same() {
	is "$1: 64" "$status" 64
	has "$1: the message says so" "$tmp/err" \
	    "^intel-verify: $2 is the same file as the input $3$"
	ok "$1: the bundle untouched" cmp -s "$bd/B" "$tmp/B.orig"
	is "$1: nothing made beside it" "$(names "$bd")" "$before"
	empty "$1: nothing on stdout" "$tmp/out"
}
run intel-verify -a "$ag" --to FR-DGSI -o "$bd/B" "$bd/B"
same "-o B B" "$bd/B" "$bd/B"
run intel-verify -a "$ag" --to FR-DGSI -o "$bd/B" <"$bd/B"
same "-o B < B" "$bd/B" "<stdin>"
run intel-verify -a "$ag" --to FR-DGSI -o "$bd/B" - <"$bd/B"
same "-o B - < B" "$bd/B" "<stdin>"
run intel-verify -a "$ag" --to FR-DGSI --audit "$bd/B" <"$bd/B"
same "--audit B < B" "$bd/B" "<stdin>"
ln -s B "$bd/L"
before=$(names "$bd")
run intel-verify -a "$ag" --to FR-DGSI -o "$bd/L" <"$bd/B"
same "-o LINK-TO-B < B" "$bd/L" "<stdin>"
# Standard output appended to the bundle it reads.
status=0
intel-verify -a "$ag" --to FR-DGSI <"$bd/B" >>"$bd/B" 2>"$tmp/err" ||
    status=$?
: >"$tmp/out"
same "stdout >> B < B" "<stdout>" "<stdin>"

# A different file on stdin is fine.
run intel-verify -q -a "$ag" --to FR-DGSI -o "$tmp/v.out" <"$bd/B"
is "-o OTHER < B: 0" "$status" 0
is "-o OTHER < B: the records written" "$(wc -l <"$tmp/v.out" | tr -d ' ')" \
    "$(($(wc -l <"$bd/B") - 2))"

# --- an audit log on /dev/null -------------------------------------------
run intel-verify -q -a "$ag" --to FR-DGSI --audit /dev/null -o "$tmp/v2.out" \
    "$bd/B"
is "--audit /dev/null: 0" "$status" 0
empty "--audit /dev/null: no message" "$tmp/err"
ok "--audit /dev/null: the records written" cmp -s "$tmp/v.out" "$tmp/v2.out"
run intel-merge -q --audit /dev/null "$tmp/v.out"
is "merge --audit /dev/null: 0" "$status" 0
empty "merge --audit /dev/null: no message" "$tmp/err"
done_testing
