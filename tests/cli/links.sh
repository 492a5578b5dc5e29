#!/bin/sh
# Names written through symbolic links (SPEC 9): a link is followed only if
# it belongs to the user, to root or to the owner of the folder that holds
# it; otherwise 73, with a message, and nothing is written anywhere.  Links
# that may be followed have their target replaced and stay links.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
command -v intel-pack >/dev/null 2>&1 || skip_all "intel-pack not built"
fx=$fixtures/merge

## Links of the user are followed: the target is replaced, the link stays.
mkdir "$tmp/own"
printf 'old\n' >"$tmp/own/target"
chmod 600 "$tmp/own/target"
ln -s target "$tmp/own/out"
run intel-pack -q --origin DE-BKA --type person -o "$tmp/own/out" "$fx/day1.ndjson"
is "own link: exit 0" "$status" 0
ok "own link: still a link" test -L "$tmp/own/out"
ok "own link: the target replaced" test "$(head -c 1 "$tmp/own/target")" = "{"
ln -s own "$tmp/own-dir"
run intel-merge -q -s "$tmp/own-dir/store" "$fx/day1.ndjson"
is "own folder link on the way: exit 0" "$status" 0
ok "own folder link: the store in the real folder" test -s "$tmp/own/store"

[ "$(id -u)" -eq 0 ] || {
	ok "# SKIP links of other users need root (chown -h)" true
	done_testing
	exit
}
nobody=$(id -u nobody 2>/dev/null || echo 65534)

## A planted link in a shared folder (root's, sticky, writable by all).
sh=$tmp/shared
mkdir "$sh" "$tmp/victim"
chmod 1777 "$sh"
printf 'precious\n' >"$tmp/victim/file"
chmod 600 "$tmp/victim/file"
cp "$tmp/victim/file" "$tmp/precious"
ln -s "$tmp/victim/file" "$sh/out"
chown -h "$nobody" "$sh/out"
ln -s "$tmp/victim" "$sh/dir"
chown -h "$nobody" "$sh/dir"
: >"$tmp/store"

# planted DESC CMD...: 73, the message names the link, nothing written.
planted() {
	desc=$1
	shift
	run "$@"
	is "$desc: 73" "$status" 73
	has "$desc: names the link" "$tmp/err" \
	    "the symbolic link $sh/(out|dir) belongs to uid $nobody, neither you, root nor the owner of its folder: not followed"
	ok "$desc: the target untouched" cmp -s "$tmp/victim/file" "$tmp/precious"
	is "$desc: nothing made beside the target" "$(names "$tmp/victim")" "file "
	is "$desc: nothing made beside the link" "$(names "$sh")" "dir out "
	empty "$desc: nothing on stdout" "$tmp/out"
}
planted "pack -o LINK" intel-pack -q --origin DE-BKA --type person \
    -o "$sh/out" "$fx/day1.ndjson"
planted "merge -s LINK" intel-merge -q -s "$sh/out" "$fx/day1.ndjson"
planted "merge --hits LINK" intel-merge -q -s "$tmp/store" --hits "$sh/out" \
    "$fx/day1.ndjson"
ok "merge --hits LINK: the store untouched" test ! -s "$tmp/store"
planted "merge --audit LINK" intel-merge -q -s "$tmp/store" --audit "$sh/out" \
    "$fx/day1.ndjson"
ok "merge --audit LINK: the store untouched" test ! -s "$tmp/store"
planted "a link to a folder on the way" intel-pack -q --origin DE-BKA \
    --type person -o "$sh/dir/new" "$fx/day1.ndjson"
planted "merge -s through a folder link" intel-merge -q -s "$sh/dir/store" \
    "$fx/day1.ndjson"

## The owner of the folder may place links in it.
nb=$tmp/nobodys
mkdir "$nb"
chown "$nobody" "$nb"
ln -s "$tmp/victim/file" "$nb/out"
chown -h "$nobody" "$nb/out"
run intel-pack -q --origin DE-BKA --type person -o "$nb/out" "$fx/day1.ndjson"
is "a link of the folder's owner: followed" "$status" 0
ok "... the target replaced" test "$(head -c 1 "$tmp/victim/file")" = "{"

done_testing
