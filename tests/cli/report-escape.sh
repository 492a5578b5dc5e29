#!/bin/sh
# SPEC 9: text from a hostile bundle header (party codes, agreement id,
# member names) and a hostile file name reach --report, -v and messages
# escaped: a C0 control such as ESC as \u001b (not folded to "?"), U+202E
# as \u202e, U+0085 as \u0085, invalid UTF-8 as \xHH; and the same name is
# shown the same way in every message about the bundle.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

esc=$(printf '\033')
ff=$(printf '\377')
rlo=$(printf '\342\200\256')		# U+202E RIGHT-TO-LEFT OVERRIDE
nel=$(printf '\302\205')		# U+0085, a C1 control
sign --seq 1 "$recs" >"$tmp/bundle"

# raw WHAT FILE: FILE holds no raw ESC, U+202E, U+0085 or invalid byte.
raw() {
	nok "$1: no raw ESC" grep -q "$esc" "$2"
	nok "$1: no raw U+202E" grep -qF "$rlo" "$2"
	nok "$1: no raw U+0085" grep -qF "$nel" "$2"
	nok "$1: no invalid byte" grep -q "$ff" "$2"
}

# forge MEMBER VALUE: the bundle with MEMBER of its header set to VALUE (as
# JSON text), into $tmp/forged.
forge() {
	sed "1s/\"$1\":\"[^\"]*\"/\"$1\":\"$2\"/" "$tmp/bundle" >"$tmp/forged"
}

# --- ESC, U+202E and U+0085 in from, to and agreement ---------------------
for m in from to agreement; do
	forge "$m" "X\\\\u001b[2J${rlo}${nel}Y"
	ok "$m: the forged header holds \\u001b" grep -q 'X\\u001b\[2J' \
	    "$tmp/forged"
	run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/v.out" "$tmp/forged"
	is "$m: refused (1)" "$status" 1
	# (to is read after the digest, which a forged header breaks first.)
	[ "$m" = to ] ||
	has "$m: the message shows ESC as \\u001b" "$tmp/err" \
	    "^intel-verify: $tmp/forged:1: [a-z]+: .*X\\\\u001b\\[2J\\\\u202e\\\\u0085Y"
	raw "$m: the message" "$tmp/err"
	ok "$m: nothing written" test ! -e "$tmp/v.out"
	empty "$m: nothing on stdout" "$tmp/out"

	run intel-verify --report -a "$ag" --to FR-DGSI "$tmp/forged"
	is "$m --report: refused (1)" "$status" 1
	has "$m --report: the field escaped" "$tmp/out" \
	    "^  $m +X\\\\u001b\\[2J\\\\u202e\\\\u0085Y( version 3)?$"
	hasnt "$m --report: ESC not folded to ?" "$tmp/out" 'X\?\[2J'
	raw "$m --report" "$tmp/out"
	has "$m --report: refused" "$tmp/out" '^  result      REFUSED \('

	run intel-verify -v -a "$ag" --to FR-DGSI -o "$tmp/v.out" "$tmp/forged"
	has "$m -v: the report on stderr escaped" "$tmp/err" \
	    "^  $m +X\\\\u001b\\[2J\\\\u202e\\\\u0085Y( version 3)?$"
	raw "$m -v" "$tmp/err"
	ok "$m -v: nothing written" test ! -e "$tmp/v.out"
done

# --- an unknown header member named with ESC: the note is escaped ---------
sed '1s/^{/{"a\\u001bb":1,/' "$tmp/bundle" >"$tmp/forged"
run intel-verify --report -a "$ag" --to FR-DGSI "$tmp/forged"
is "unknown member: refused (1)" "$status" 1
has "unknown member --report: the note escaped" "$tmp/out" \
    '^    header      FAILED: unknown member "a\\u001bb"$'
has "unknown member --report: REFUSED at the header" "$tmp/out" \
    '^  result      REFUSED \(header, line 1\)$'
raw "unknown member --report" "$tmp/out"

# --- a hostile file name: one form in every message ------------------------
name=$(printf 'b\033[0m\342\200\256\377.bundle')
shown='b\\u001b\[0m\\u202e\\xff\.bundle'
cp "$tmp/bundle" "$tmp/$name"
forge from "NL-KMAR"		# a bad sender (a later check), same name
cp "$tmp/forged" "$tmp/later-$name"
printf 'not json\n' >"$tmp/bad-$name"
run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/v.out" "$tmp/bad-$name" \
    "$tmp/later-$name"
is "hostile names: refused (1)" "$status" 1
has "a bad header: the name escaped" "$tmp/err" \
    "^intel-verify: $tmp/bad-$shown:1: header: "
has "a later check: the name escaped the same way" "$tmp/err" \
    "^intel-verify: $tmp/later-$shown:[0-9]+: [a-z]+: "
hasnt "no name folded to ?" "$tmp/err" 'b\?\[0m'
raw "hostile names" "$tmp/err"
ok "hostile names: nothing written" test ! -e "$tmp/v.out"
run intel-verify -q --report -a "$ag" --to FR-DGSI "$tmp/$name"
is "--report of a good bundle with a hostile name: 0" "$status" 0
has "--report: the name escaped" "$tmp/out" "^bundle $tmp/$shown$"
has "--report: accepted" "$tmp/out" '^  result      ACCEPTED$'
raw "--report of a hostile name" "$tmp/out"
done_testing
