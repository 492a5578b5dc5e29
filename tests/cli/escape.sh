#!/bin/sh
# SPEC 9: text from input reaches diagnostics and --report escaped: controls,
# separators and bidirectional controls as \uXXXX, bytes that are not UTF-8
# as \xXX, so that a hostile name cannot drive the terminal and a message
# stays one line.
. "${top_srcdir:-.}/tests/lib.sh"
need_tools
. "$top_srcdir/tests/cli/lib-bundle.sh"
key=$tmp/k/DE-BKA.key

esc=$(printf '\033')
ff=$(printf '\377')
rlo=$(printf '\342\200\256')		# U+202E RIGHT-TO-LEFT OVERRIDE
nel=$(printf '\302\205')		# U+0085, a C1 control
# ESC [31m, a newline, U+202E, an invalid byte, U+0085.
hostile=$(printf 'a\033[31mb\nc\342\200\256d\377e\302\205f')
shown='a\\u001b\[31mb\\u000ac\\u202ed\\xffe\\u0085f'

# clean PROG WHAT: stderr holds only lines of PROG, no raw control, no
# U+202E, no invalid byte.
clean() {
	is "$2: every line of stderr is one of $1's" \
	    "$(grep -cv "^$1: " "$tmp/err")" 0
	nok "$2: no raw ESC" grep -q "$esc" "$tmp/err"
	nok "$2: no raw U+202E" grep -qF "$rlo" "$tmp/err"
	nok "$2: no raw U+0085" grep -qF "$nel" "$tmp/err"
	nok "$2: no invalid byte" grep -q "$ff" "$tmp/err"
}

# --- a file name that cannot be opened (66) ------------------------------
for t in intel-pack intel-redact intel-sign intel-merge intel-verify; do
	case $t in
	intel-pack) set -- --origin DE-BKA --type person ;;
	intel-redact) set -- -a "$ag" --from DE-BKA --to FR-DGSI ;;
	intel-sign) set -- -a "$ag" -k "$key" --to FR-DGSI --seq 1 ;;
	intel-merge) set -- ;;
	intel-verify) set -- -a "$ag" --to FR-DGSI ;;
	esac
	run "$t" "$@" "$tmp/$hostile"
	is "$t, missing file with a hostile name: exit 66" "$status" 66
	has "$t: the name is escaped, on one line" "$tmp/err" \
	    "^$t: .*$shown"
	is "$t: ... which is the only line naming it" \
	    "$(grep -c 'u001b' "$tmp/err")" 1
	clean "$t" "$t, missing file"
	empty "$t: nothing on stdout" "$tmp/out"
done

# --- a file with a hostile name and bad content: FILE:LINE: (65) ---------
printf 'not json\n' >"$tmp/$hostile"
run intel-pack --origin DE-BKA --type person -o "$tmp/packed" "$tmp/$hostile"
is "pack, bad line in a hostile name: exit 65" "$status" 65
has "pack: FILE:LINE: with the name escaped" "$tmp/err" \
    "^intel-pack: $tmp/$shown:1: "
clean intel-pack "pack, bad line"
ok "pack: nothing written" test ! -e "$tmp/packed"
run intel-redact -a "$ag" --from DE-BKA --to FR-DGSI -o "$tmp/red" \
    "$tmp/$hostile"
is "redact, bad line in a hostile name: exit 65" "$status" 65
has "redact: FILE:LINE: with the name escaped" "$tmp/err" \
    "^intel-redact: $tmp/$shown:1: "
clean intel-redact "redact, bad line"
ok "redact: nothing written" test ! -e "$tmp/red"

# --- a record id from input (intel-merge -v names it) ---------------------
head -n 1 "$recs" |
    sed "s/\"id\":\"[^\"]*\"/\"id\":\"x\\\\u001b[2J\\\\u2028${rlo}y\"/" \
    >"$tmp/hostile-id"
ok "a record whose id holds ESC, U+2028 and U+202E" \
    grep -q 'u001b\[2J' "$tmp/hostile-id"
run intel-merge -v "$tmp/hostile-id"
is "merge -v: exit 0" "$status" 0
has "merge -v: the id escaped" "$tmp/err" \
    '^intel-merge: .* id x\\u001b\[2J\\u2028\\u202ey version 1: added$'
clean intel-merge "merge -v"

# --- a bundle whose header names a hostile sender ------------------------
intel-sign -q -a "$ag" -k "$key" --to FR-DGSI --seq 1 "$recs" >"$tmp/bundle"
sed "1s/\"from\":\"DE-BKA\"/\"from\":\"DE${rlo}${nel}BKA\"/" \
    "$tmp/bundle" >"$tmp/forged"
ok "a bundle from DE<U+202E><U+0085>BKA" grep -qF "$rlo" "$tmp/forged"
run intel-verify -a "$ag" --to FR-DGSI -o "$tmp/v.out" "$tmp/forged"
is "verify, hostile sender: refused (1)" "$status" 1
has "verify: the sender escaped" "$tmp/err" \
    '^intel-verify: .*:1: sender: DE\\u202e\\u0085BKA is not a party'
clean intel-verify "verify, hostile sender"
ok "verify: nothing written" test ! -e "$tmp/v.out"
run intel-verify -v -a "$ag" --to FR-DGSI "$tmp/forged"
nok "verify -v: the report on stderr has no raw U+202E" \
    grep -qF "$rlo" "$tmp/err"
nok "verify -v: ... nor a raw U+0085" grep -qF "$nel" "$tmp/err"
run intel-verify --report -a "$ag" --to FR-DGSI "$tmp/forged"
has "--report: the sender escaped" "$tmp/out" '^  from        DE\\u202e\\u0085BKA$'
nok "--report: no raw U+202E" grep -qF "$rlo" "$tmp/out"
nok "--report: no raw U+0085" grep -qF "$nel" "$tmp/out"
# A report naming a hostile file: one line for the name.
cp "$tmp/forged" "$tmp/$hostile"
run intel-verify --report -a "$ag" --to FR-DGSI "$tmp/$hostile"
is "--report of a hostile file name: the name on one line" \
    "$(grep -c '^bundle ' "$tmp/out")" 1
nok "--report: no raw invalid byte" grep -q "$ff" "$tmp/out"

# A backslash is written as it is; legitimate text is unchanged.
run intel-pack --origin DE-BKA --type person "$tmp/back\\slash-caf$(printf '\303\251')"
has "a backslash and valid UTF-8 are kept" "$tmp/err" \
    "^intel-pack: $tmp/back\\\\slash-caf$(printf '\303\251'): "
done_testing
