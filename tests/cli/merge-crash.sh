#!/bin/sh
# intel-merge (SPEC 8) under stress: eight concurrent merges into one store
# lose nothing; a merge killed with SIGKILL at random moments leaves the old
# store or the new one, whole; a full disk fails with 74 and keeps the old
# store.
. "${top_srcdir:-.}/tests/lib.sh"

command -v intel-merge >/dev/null 2>&1 || skip_all "intel-merge not built"
gen="$top_srcdir/tests/merge-gen.sh"
wd=$tmp/w
mkdir "$wd"

# The names in a folder, hidden ones included, on one line.
# Seconds since the epoch with a fraction.
now() { date +%s.%N; }

## Eight concurrent merges into one store lose nothing.
c=$wd/conc
mkdir "$c"
sh "$gen" store 2000 >"$c/store"
for i in 1 2 3 4 5 6 7 8; do
	# Keys overlap between the batches and with the store.
	sh "$gen" random "$i" 300 2400 >"$c/in$i"
done
intel-merge -q "$c/store" "$c"/in? >"$c/want" 2>/dev/null
pids=
for i in 1 2 3 4 5 6 7 8; do
	intel-merge -q -s "$c/store" "$c/in$i" 2>"$c/err$i" &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
is "eight concurrent merges: all exit 0" "$failed" 0
ok "eight concurrent merges: nothing lost, same as one merge of all" \
    cmp -s "$c/store" "$c/want"
is "eight concurrent merges: no leftovers" "$(names "$c" | tr ' ' '\n' |
    grep -c '^\.')" 0

## SIGKILL at random moments: the old store or the new one, whole.
k=$wd/kill
mkdir "$k"
# A store big enough that a merge takes a while: 50,000 records, fewer
# where a merge is slow (sanitizers, valgrind), so that the 20 kills can
# land anywhere in a merge, commit included, and the test stays short.
timed_merge() {
	sh "$gen" store "$n" >"$k/old"
	cp "$k/old" "$k/store"
	t0=$(now)
	intel-merge -q -s "$k/store" "$k/in" 2>/dev/null
	t1=$(now)
	span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	cp "$k/store" "$k/new"
}
sh "$gen" random 42 3000 55000 >"$k/in"
n=10000
timed_merge
n=$(awk -v s="$span" 'BEGIN { n = 7000 / (s > 0.01 ? s : 0.01)
    printf "%d", (n > 50000 ? 50000 : n) }')
timed_merge
printf '# a merge into a store of %d records takes %ss\n' "$n" "$span"
intel-merge -q "$k/old" "$k/in" >"$k/want" 2>/dev/null
ok "kill test: an uninterrupted merge gives the new store" \
    cmp -s "$k/new" "$k/want"
nok "kill test: the new store differs from the old" cmp -s "$k/old" "$k/new"
old=0 new=0 bad=0
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	cp "$k/old" "$k/store"
	# Odd kills anywhere in the merge, even ones near its end, where it
	# writes the last lines, flushes and renames.
	delay=$(awk -v s="$span" -v i="$i" 'BEGIN { srand(1000 + i)
	    if (i % 2) printf "%.3f", rand() * s
	    else printf "%.3f", s * (0.85 + rand() * 0.3) }')
	intel-merge -q -s "$k/store" "$k/in" 2>/dev/null &
	pid=$!
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if cmp -s "$k/store" "$k/old"; then
		old=$((old + 1))
	elif cmp -s "$k/store" "$k/new"; then
		new=$((new + 1))
	else
		bad=$((bad + 1))
		printf '# kill %d after %ss: the store is neither old nor new\n' \
		    "$i" "$delay"
	fi
done
printf '# 20 kills: %d left the old store, %d the new one\n' "$old" "$new"
is "20 merges killed with SIGKILL: each left the old or the new store" \
    "$bad" 0
ok "kills landed before the end at least once" test "$old" -gt 0
run intel-merge -q -s "$k/store" "$k/in"
is "a merge after the kills: exit 0" "$status" 0
ok "... gives the new store" cmp -s "$k/store" "$k/new"
is "... and removes what the killed merges left" \
    "$(names "$k")" "in new old store store.lock want "

## A full disk.
if [ -w /dev/full ]; then
	sh "$gen" store 10 >"$wd/small"
	run sh -c 'intel-merge -q "$1" >/dev/full' sh "$wd/small"
	is "stdout on /dev/full: 74" "$status" 74
	has "stdout on /dev/full: says so" "$tmp/err" 'No space left on device'
fi
f=$wd/full
mkdir "$f"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$f" 2>/dev/null; then
	trap 'umount "$f" 2>/dev/null; chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	sh "$gen" store 150 >"$f/store"	# about 36 KB of 64
	cp "$f/store" "$wd/full-before"
	sh "$gen" random 5 400 600 >"$wd/full-in"
	run intel-merge -q -s "$f/store" "$wd/full-in"
	is "store on a full disk: 74" "$status" 74
	has "store on a full disk: says so" "$tmp/err" 'No space left on device'
	ok "store on a full disk: the old store kept" \
	    cmp -s "$f/store" "$wd/full-before"
	is "store on a full disk: no temporary file" "$(names "$f")" \
	    "store store.lock "
	umount "$f"
else
	printf 'ok %d # SKIP cannot mount a small tmpfs (needs root)\n' \
	    $((tap_n + 1))
	tap_n=$((tap_n + 1))
fi

done_testing
