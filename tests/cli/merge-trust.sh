#!/bin/sh
# intel-merge (SPEC 8) and the trust record in STORE.lock: a merge reads
# only the keys of a store that is exactly the file the last merge wrote;
# a store changed, copied, restored or replaced by anything else is
# checked in full, and a damaged line is refused (65, STORE:LINE:), the
# store untouched, however carefully its size and times were kept.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
gen="$top_srcdir/tests/merge-gen.sh"
wd=$tmp/w
mkdir "$wd"
INTEL_NOW=2026-11-26T05:00:00Z
export INTEL_NOW

# spoil FILE N: puts a raw control character into the data of line N, or
# of the first line after it that has a name, in place (the same file, the
# same size): only a full check sees it.  Prints the line's number.
spoil() {
	_n=$2
	while :; do
		_in=$(sed -n "${_n}p" "$1" |
		    awk '{ print index($0, "\"name\":\"person ") }')
		[ -n "$_in" ] || { echo "spoil: no name after line $2" >&2; exit 99; }
		[ "$_in" -gt 0 ] && break
		_n=$((_n + 1))
	done
	_at=$(head -n $((_n - 1)) "$1" | wc -c)
	printf '\001' | dd of="$1" bs=1 seek=$((_at + _in - 1 + 14)) \
	    conv=notrunc 2>/dev/null
	echo "$_n"
}

# refused WHAT STORE N: the merge of more records into STORE fails with 65
# naming line N, and leaves STORE (and the folder) as it was.
refused() {
	cp -p "$2" "$wd/before"
	_names=$(names "$(dirname "$2")")
	run intel-merge -q -s "$2" "$wd/more"
	is "$1: 65" "$status" 65
	has "$1: names line $3" "$tmp/err" ":$3: "
	ok "$1: the store untouched" cmp -s "$2" "$wd/before"
	is "$1: no file made or removed" "$(names "$(dirname "$2")")" "$_names"
}

sh "$gen" random 1 400 1200 >"$wd/in1"
sh "$gen" random 2 400 1200 >"$wd/in2"
# New records that meet no stored one: the damaged line is only read.
printf '{"created":"2026-01-01T00:00:00Z","data":{},"id":"x","origin":"ZZ","type":"person","version":1}\n' >"$wd/more"

## A merge leaves a record of the file it wrote; the next one trusts it
## and gives what a full check gives.
s=$wd/a/store
mkdir "$wd/a"
run intel-merge -q -s "$s" "$wd/in1"
is "first merge: 0" "$status" 0
has "the lock holds the record of the store written" "$s.lock" \
    '^intel-merge store v1 dev [0-9]+ ino [0-9]+ size [0-9]+ mtime [0-9]+\.[0-9]{9} ctime [0-9]+\.[0-9]{9}$'
is "... one line" "$(wc -l <"$s.lock" | tr -d ' ')" 1
intel-merge -q "$s" "$wd/in2" >"$wd/want" 2>/dev/null
cp "$s" "$wd/a-copy"
run intel-merge -q -s "$s" "$wd/in2"
is "a merge into the trusted store: 0" "$status" 0
ok "... the store a full check gives" cmp -s "$s" "$wd/want"
run intel-merge -q -s "$s" "$wd/in1" "$wd/in2"
is "a merge that changes nothing: 0" "$status" 0
ok "... the store the same" cmp -s "$s" "$wd/want"
cp "$wd/a-copy" "$wd/a/e"
intel-merge -q -s "$wd/a/e" "$wd/in2" 2>/dev/null
run intel-merge -q --expire -s "$wd/a/e" /dev/null
is "--expire on a trusted store: 0" "$status" 0
intel-merge -q --expire "$wd/want" >"$wd/want-exp2" 2>/dev/null
ok "... what a full check gives" cmp -s "$wd/a/e" "$wd/want-exp2"

## Changed in place, the same size: checked in full, refused.
n=$(spoil "$s" 7)
refused "a byte changed in place" "$s" "$n"

## ... with its modification time put back (touch -r).
run intel-merge -q -s "$wd/b" "$wd/in1"
touch -r "$wd/b" "$wd/ref"
n=$(spoil "$wd/b" 3)
touch -r "$wd/ref" "$wd/b"
refused "changed, then touch -r" "$wd/b" "$n"

## Overwritten by cp -p from a damaged copy (the same inode, the old
## times).
run intel-merge -q -s "$wd/c" "$wd/in1"
cp -p "$wd/c" "$wd/c-bad"
n=$(spoil "$wd/c-bad" 5)
cp -p "$wd/c-bad" "$wd/c"
refused "cp -p over the store" "$wd/c" "$n"

## Restored from a backup (another inode); the lock's record is stale.
run intel-merge -q -s "$wd/d" "$wd/in1"
cp -p "$wd/d" "$wd/d-backup"
n=$(spoil "$wd/d-backup" 9)
run intel-merge -q -s "$wd/d" "$wd/in2"
mv "$wd/d-backup" "$wd/d"
refused "restored from a backup" "$wd/d" "$n"

## Written again whole by another writer (an older intel-merge, an
## editor that truncates and writes).
run intel-merge -q -s "$wd/e" "$wd/in1"
cp "$wd/e" "$wd/e-bad"
n=$(spoil "$wd/e-bad" 2)
cat "$wd/e-bad" >"$wd/e"
refused "rewritten in place whole" "$wd/e" "$n"

## A store name that is a link, pointed at another file.
mkdir "$wd/f"
run intel-merge -q -s "$wd/f/real" "$wd/in1"
ln -s real "$wd/f/store"
run intel-merge -q -s "$wd/f/store" "$wd/in2"
is "a merge through a link: 0" "$status" 0
cp "$wd/f/real" "$wd/f/other"
n=$(spoil "$wd/f/other" 4)
cp -p "$wd/f/real.lock" "$wd/f/other.lock"
ln -sf other "$wd/f/store"
refused "a link moved to a damaged copy, with the lock copied too" \
    "$wd/f/store" "$n"

## A lock file with another store's record.
run intel-merge -q -s "$wd/g" "$wd/in1"
cp "$wd/g" "$wd/g2"
n=$(spoil "$wd/g2" 6)
cp "$wd/g.lock" "$wd/g2.lock"
refused "the lock of another store" "$wd/g2" "$n"

## A record that does not parse, or none: a full check.
run intel-merge -q -s "$wd/h" "$wd/in1"
cp "$wd/h" "$wd/h2"
n=$(spoil "$wd/h2" 8)
printf 'intel-merge store v1 none\n' >"$wd/h2.lock"
refused "no record in the lock" "$wd/h2" "$n"
: >"$wd/h2.lock"
refused "an empty lock" "$wd/h2" "$n"

## Repaired, the store merges again and is trusted again.
cp "$wd/a-copy" "$s"
run intel-merge -q -s "$s" "$wd/in2"
is "repaired: 0" "$status" 0
ok "... the merge a full check gives" cmp -s "$s" "$wd/want"
has "... and the lock holds a record again" "$s.lock" '^intel-merge store v1 dev '

done_testing
