#!/bin/sh
# The names of a store and of outputs (SPEC 8): an output that is the
# store, its lock, an input or another output is a usage error and changes
# nothing (intel-verify's -o naming an input bundle too); every name of one
# store shares one lock, so concurrent merges through a symbolic link and
# the real name lose nothing; a store with two hard links is refused.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
fx=$fixtures/merge
gen="$top_srcdir/tests/merge-gen.sh"
wd=$tmp/w
mkdir "$wd"

cd "$wd" || exit 1
cp "$fx/day1.ndjson" "$fx/day2.ndjson" .
intel-merge -q -s store.ndjson day1.ndjson
cp store.ndjson before
before_names=$(names .)

# refused DESC REGEX CMD...: exit 64, the message, the store and the folder
# as they were, nothing on stdout.
refused() {
	desc=$1 re=$2
	shift 2
	run "$@"
	is "$desc: 64" "$status" 64
	has "$desc: says why" "$tmp/err" "^intel-merge: $re"
	ok "$desc: the store is byte for byte the same" cmp -s store.ndjson before
	is "$desc: no file made or removed" "$(names .)" "$before_names"
}

## Outputs that are the store, its lock, an input or one another.
refused "--hits store.ndjson" \
    'the hits file store.ndjson is the same file as the store store.ndjson' \
    intel-merge -s store.ndjson --hits store.ndjson day2.ndjson
refused "--audit store.ndjson" \
    'the audit log store.ndjson is the same file as the store' \
    intel-merge -s store.ndjson --audit store.ndjson day2.ndjson
refused "--hits store.ndjson.lock" \
    "the hits file store.ndjson.lock is the same file as the store's lock" \
    intel-merge -s store.ndjson --hits store.ndjson.lock day2.ndjson
refused "--audit STORE.lock" "the audit log .* the store's lock" \
    intel-merge -s store.ndjson --audit store.ndjson.lock day2.ndjson
refused "-s S S" 'the store store.ndjson is the same file as the input store.ndjson' \
    intel-merge -s store.ndjson store.ndjson
refused "-s S with S on stdin" 'the store .* the input <stdin>' \
    sh -c 'intel-merge -s store.ndjson <store.ndjson'
refused "-s S >>S" '<stdout> is the same file as the store store.ndjson' \
    sh -c 'intel-merge -s store.ndjson day2.ndjson >>store.ndjson'
refused "-s S 1<>S" '<stdout> is the same file as the store' \
    sh -c 'intel-merge -s store.ndjson day2.ndjson 1<>store.ndjson'
refused "--hits an input" 'the hits file day2.ndjson is the same file as the input day2.ndjson' \
    intel-merge -s store.ndjson --hits day2.ndjson day2.ndjson
ok "--hits an input: the input unchanged" cmp -s day2.ndjson "$fx/day2.ndjson"
refused "--audit an input" 'the audit log day2.ndjson is the same file as the input day2.ndjson' \
    intel-merge -s store.ndjson --audit day2.ndjson day2.ndjson
refused "--hits and --audit one file" 'the audit log h is the same file as the hits file h' \
    intel-merge -s store.ndjson --hits h --audit h day2.ndjson
ln -s store.ndjson link.ndjson
before_names=$(names .)
refused "--hits through a link to the store" 'the hits file link.ndjson is the same file as the store' \
    intel-merge -s store.ndjson --hits link.ndjson day2.ndjson
refused "-s LINK --hits REAL" 'the hits file store.ndjson is the same file as the store link.ndjson' \
    intel-merge -s link.ndjson --hits store.ndjson day2.ndjson
ln -s not-yet new-link
before_names=$(names .)
refused "names not there yet, one through a link" 'the audit log not-yet is the same file as the hits file new-link' \
    intel-merge -s store.ndjson --hits new-link --audit not-yet day2.ndjson
refused "stdout is an input" '<stdout> is the same file as the input day1.ndjson' \
    sh -c 'intel-merge day1.ndjson >>day1.ndjson'
ok "stdout is an input: the input unchanged" cmp -s day1.ndjson "$fx/day1.ndjson"
rm new-link
before_names=$(names .)
run intel-merge -q -s store.ndjson --hits /dev/null day2.ndjson
is "--hits /dev/null with stdout on /dev/null: fine" "$status" 0
cp store.ndjson before

## A store with two hard links is refused: the rename would split them.
ln store.ndjson hard.ndjson
run intel-merge -s store.ndjson day2.ndjson
is "two hard links: 73" "$status" 73
has "two hard links: says so" "$tmp/err" \
    '^intel-merge: store.ndjson: the store has 2 hard links'
ok "two hard links: untouched" cmp -s store.ndjson before
ok "two hard links: still one file" test store.ndjson -ef hard.ndjson
rm hard.ndjson

## One lock for every name: concurrent merges through link and real name.
c=$wd/conc
mkdir "$c"
sh "$gen" store 400 >"$c/real.ndjson"
ln -s real.ndjson "$c/link.ndjson"
for i in 1 2 3 4 5 6 7 8; do
	sh "$gen" random "$((i + 40))" 200 1600 >"$c/in$i"
done
intel-merge -q "$c/real.ndjson" "$c"/in? >"$c/want" 2>/dev/null
lost=0
for round in 1 2 3; do
	sh "$gen" store 400 >"$c/real.ndjson"
	pids=
	for i in 1 2 3 4 5 6 7 8; do
		if [ $((i % 2)) -eq 0 ]; then s=$c/link.ndjson; else s=$c/real.ndjson; fi
		intel-merge -q -s "$s" "$c/in$i" 2>"$c/err$i" &
		pids="$pids $!"
	done
	fails=0
	for p in $pids; do wait "$p" || fails=$((fails + 1)); done
	cmp -s "$c/real.ndjson" "$c/want" || lost=$((lost + 1))
	[ "$fails" -eq 0 ] || lost=$((lost + 1))
done
is "8 merges at once through link and real name, 3 rounds: nothing lost" "$lost" 0
ok "... the link is still a link" test -L "$c/link.ndjson"
is "... one lock, beside the real file" "$(names "$c" | tr ' ' '\n' | grep lock | tr '\n' ' ')" \
    "real.ndjson.lock "

## A stale temporary file is removed only under the lock.
: >"$c/.real.ndjson.AbC123"
run intel-merge -q -s "$c/link.ndjson" /dev/null
ok "a stale temporary file beside the real store is removed" \
    test ! -e "$c/.real.ndjson.AbC123"

## intel-verify's -o naming one of its input bundles.
if [ -x "$top_builddir/intel-sign" ] && [ -x "$top_builddir/intel-verify" ]; then
	. "$top_srcdir/tests/cli/lib-bundle.sh"
	sign --seq 5 "$recs" >"$wd/b1"
	cp "$wd/b1" "$wd/b1.orig"
	run intel-verify -a "$ag" --to FR-DGSI -o "$wd/b1" "$wd/b1"
	is "verify -o INPUT: 64" "$status" 64
	has "verify -o INPUT: says why" "$tmp/err" \
	    "^intel-verify: $wd/b1 is the same file as the input $wd/b1\$"
	ok "verify -o INPUT: the bundle unchanged" cmp -s "$wd/b1" "$wd/b1.orig"
	ln -s b1 "$wd/b1.link"
	run intel-verify -a "$ag" --to FR-DGSI -o "$wd/b1.link" "$wd/b1"
	is "verify -o LINK-TO-INPUT: 64" "$status" 64
	ok "verify -o LINK-TO-INPUT: unchanged" cmp -s "$wd/b1" "$wd/b1.orig"
	run intel-verify -a "$ag" --to FR-DGSI -o "$wd/out" "$wd/b1"
	is "verify -o another file: 0" "$status" 0
fi

done_testing
