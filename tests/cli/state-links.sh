#!/bin/sh
# SPEC 9 (links) for the state folder of intel-sign --state and intel-verify
# --state: a folder reached through a link planted by another user in a
# shared folder is refused (73) before anything is made in it: no lock
# file, no counter, no bundle, no records; --report names the state
# problem at the replay check.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

sign --seq 1 "$recs" >"$tmp/bundle"

# A state problem at the replay check is named as one in --report.
mkdir "$tmp/st"
printf 'x\n' >"$tmp/st/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted"
run intel-verify --report -a "$ag" --to FR-DGSI --state "$tmp/st" \
    "$tmp/bundle"
is "a damaged counter: 65" "$status" 65
has "a damaged counter: the message" "$tmp/err" \
    '^intel-verify: .*/st/de-fr-nl-border-2026,DE-BKA,FR-DGSI\.accepted: not a sequence counter'
has "a damaged counter: --report's result names the state problem" \
    "$tmp/out" '^  result      REFUSED \(replay: .*\.accepted: not a sequence counter .*\)$'
hasnt "a damaged counter: not a header failure at line 0" "$tmp/out" \
    'header, line 0'
is "a damaged counter: left as it was" \
    "$(cat "$tmp/st/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted")" x
[ "$(id -u)" -eq 0 ] || {
	ok "# SKIP links of other users need root (chown -h)" true
	done_testing
	exit
}
nobody=$(id -u nobody 2>/dev/null || echo 65534)
sh=$tmp/shared
mkdir "$sh" "$tmp/victim"
chmod 1777 "$sh"
ln -s "$tmp/victim" "$sh/state"
chown -h "$nobody" "$sh/state"
ln -s "$tmp/missing" "$sh/gone"
chown -h "$nobody" "$sh/gone"
msg="the symbolic link $sh/(state|gone) belongs to uid $nobody, neither you, root nor the owner of its folder: not followed"

# refused DESC: 73, the message, nothing made anywhere.
refused() {
	is "$1: 73" "$status" 73
	has "$1: names the link" "$tmp/err" "$msg"
	is "$1: nothing made in the target" "$(names "$tmp/victim")" ""
	ok "$1: no missing folder made" test ! -e "$tmp/missing"
	is "$1: nothing made beside the link" "$(names "$sh")" "gone state "
}
for sd in state gone state/sub; do
	run sign --state "$sh/$sd" -o "$tmp/b.out" "$recs"
	refused "sign --state $sd"
	ok "sign --state $sd: no bundle written" test ! -e "$tmp/b.out"
	empty "sign --state $sd: nothing on stdout" "$tmp/out"

	run intel-verify -a "$ag" --to FR-DGSI --state "$sh/$sd" \
	    -o "$tmp/v.out" "$tmp/bundle"
	refused "verify --state $sd"
	ok "verify --state $sd: no records written" test ! -e "$tmp/v.out"
	empty "verify --state $sd: nothing on stdout" "$tmp/out"
done

run intel-verify --report -a "$ag" --to FR-DGSI --state "$sh/state" \
    "$tmp/bundle"
refused "verify --report --state LINK"
has "--report: the replay check failed on the state folder" "$tmp/out" \
    "^    replay      FAILED: $sh/state: $msg$"
has "--report: the result names the state problem" "$tmp/out" \
    "^  result      REFUSED \\(replay: $sh/state: $msg\\)$"
hasnt "--report: not a header failure at line 0" "$tmp/out" 'header, line 0'

# The user's own link is followed.
ln -s "$tmp/victim" "$tmp/mine"
run intel-verify -q -a "$ag" --to FR-DGSI --state "$tmp/mine" -o "$tmp/v.out" \
    "$tmp/bundle"
is "verify --state OWN-LINK: 0" "$status" 0
ok "verify --state OWN-LINK: the counter in the target" \
    test -s "$tmp/victim/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted"
done_testing
