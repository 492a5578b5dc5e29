#!/bin/sh
# intel-merge (SPEC 8) reads the store in blocks that a second thread cuts
# into lines and validates (common/parallel-blocks.c), while this one
# commits them in order.  The result, the messages and the statuses never
# depend on it: each case runs with INTEL_MERGE_THREADS=1 (for tests only:
# the calling thread alone reads the store, line by line, as before), 2
# (the default with two CPUs: one worker) and 3 (two), on a store of a few
# blocks, and the three must agree, byte for byte; a store refused is left
# untouched by each.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
gen="$top_srcdir/tests/merge-gen.sh"
wd=$tmp/w
mkdir "$wd"
INTEL_NOW=2026-11-26T05:00:00Z
export INTEL_NOW

# same WHAT STATUS STORE [OPTION...]: merges $wd/new into a fresh copy of
# STORE (checked in full: a copy is not trusted) with 1, 2 and 3 threads;
# each exits STATUS, and the stores, messages (the folder's name aside)
# and hits (--hits hits) are the same.  A failed merge leaves its copy
# untouched and makes no file but the lock.
same() {
	_what=$1
	_want=$2
	_store=$3
	shift 3
	for _t in 1 2 3; do
		rm -rf "$wd/t$_t"
		mkdir "$wd/t$_t"
		cp "$_store" "$wd/t$_t/s"
		(
			cd "$wd/t$_t" &&
			    INTEL_MERGE_THREADS=$_t intel-merge -v -s s "$@" \
			    "$wd/new" >"$wd/out$_t" 2>"$wd/err$_t"
		) && _st=0 || _st=$?
		sed "s|$wd/t$_t/||g" "$wd/err$_t" >"$wd/msg$_t"
		is "$_what, $_t threads: $_want" "$_st" "$_want"
		if [ "$_want" != 0 ]; then
			ok "$_what, $_t threads: the store untouched" \
			    cmp -s "$_store" "$wd/t$_t/s"
			is "$_what, $_t threads: no file made" \
			    "$(names "$wd/t$_t")" "s s.lock "
		fi
	done
	for _t in 2 3; do
		ok "$_what, $_t threads: the store as with one" \
		    cmp -s "$wd/t1/s" "$wd/t$_t/s"
		ok "$_what, $_t threads: the messages as with one" \
		    cmp -s "$wd/msg1" "$wd/msg$_t"
		ok "$_what, $_t threads: the output as with one" \
		    cmp -s "$wd/out1" "$wd/out$_t"
		[ -e "$wd/t1/hits" ] || continue
		ok "$_what, $_t threads: the hits as with one" \
		    cmp -s "$wd/t1/hits" "$wd/t$_t/hits"
	done
}

# Three blocks and more of 1 MiB; new records that update, add, withdraw
# and conflict.
sh "$gen" store 12000 >"$wd/store"
sh "$gen" random 1 600 13000 >"$wd/new"

same "a store of 12000" 0 "$wd/store"
has "the merge did something" "$wd/msg1" "updated|added"
same "--expire" 0 "$wd/store" --expire
same "--hits" 0 "$wd/store" --hits hits
ok "--hits: hits written" test -s "$wd/t1/hits"

# The store a merge wrote is trusted: keys only, in the worker too.
sh "$gen" random 2 300 13000 >"$wd/more"
for _t in 1 2 3; do
	rm -rf "$wd/k$_t"
	mkdir "$wd/k$_t"
	cp "$wd/store" "$wd/k$_t/s"
	INTEL_MERGE_THREADS=$_t intel-merge -q -s "$wd/k$_t/s" "$wd/new" 2>/dev/null
	(cd "$wd/k$_t" && INTEL_MERGE_THREADS=$_t intel-merge -v --expire -s s \
	    "$wd/more" 2>err) && _st=0 || _st=$?
	sed "s|$wd/k$_t/||g" "$wd/k$_t/err" >"$wd/k$_t/msg"
	is "a trusted store, $_t threads: 0" "$_st" 0
done
for _t in 2 3; do
	ok "a trusted store, $_t threads: the store as with one" \
	    cmp -s "$wd/k1/s" "$wd/k$_t/s"
	ok "a trusted store, $_t threads: the messages as with one" \
	    cmp -s "$wd/k1/msg" "$wd/k$_t/msg"
done

# edit SED: the store with an edit, as $wd/bad.
edit() { sed "$1" "$wd/store" >"$wd/bad"; }

# Lines the scanner refuses, valid or not: jansson reads them, with its
# messages; the first bad line in the file is the one named, wherever
# the blocks and the threads are.
edit '9000s/"version":1}$/"version":1 }/'
same "a line that is not canonical" 0 "$wd/bad"
edit '5s/.*/{"broken/; 9000s/.*/{"also broken/'
same "a bad line, and a later one" 65 "$wd/bad"
has "... names line 5" "$wd/msg1" '^intel-merge: s:5: '
edit '9000s/.*/{"broken/; 11000s/"id":/"id":1,"x":/'
same "a bad line past the first block" 65 "$wd/bad"
has "... names line 9000" "$wd/msg1" '^intel-merge: s:9000: '
edit '7000s/"version":1}$/"version":1,"expires":"soon"}/'
same "expires that is not a time" 65 "$wd/bad"
has "... names line 7000" "$wd/msg1" '^intel-merge: s:7000: member "expires"'
edit '6000s/.*//'
same "an empty line" 65 "$wd/bad"
has "... names line 6000" "$wd/msg1" '^intel-merge: s:6000: '

# The order of the store.
edit '7000{h;d;};7001{G;}'
same "two lines out of order" 65 "$wd/bad"
has "... names the second" "$wd/msg1" '^intel-merge: s:7001: out of order'
edit '8000p'
same "a line twice" 65 "$wd/bad"
has "... names the second" "$wd/msg1" '^intel-merge: s:8001: the same origin and id'

# The last line without its newline; an empty store; a line of 1.5 MiB.
head -c -1 "$wd/store" >"$wd/bad"
same "the last line without its newline" 0 "$wd/bad"
is "... the result ends with one" "$(tail -c 1 "$wd/t1/s" | od -An -c | tr -d ' ')" '\n'
: >"$wd/bad"
same "an empty store" 0 "$wd/bad"
awk 'NR == 3000 {
	x = "x"
	while (length(x) < 1572864)
		x = x x
	sub(/"name":"person [0-9]*"/, "\"name\":\"" x "\"")
} { print }' "$wd/store" >"$wd/bad"
same "a line longer than a block" 0 "$wd/bad"

done_testing
