#!/bin/sh
# intel-verify --state (SPEC 7): a bundle's seq is recorded only once its
# records are committed, so that a failed write never loses a bundle as a
# "replay"; the counter's lock is held from the replay check to the
# recording; a seq accepted earlier in the run counts as accepted.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/cli/lib-bundle.sh"

mnt=
pids=
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	chmod -R u+rwx "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
skip() {
	tap_n=$((tap_n + 1))
	printf 'ok %d # SKIP %s\n' "$tap_n" "$1"
}
counter() {
	cat "$1/de-fr-nl-border-2026,DE-BKA,FR-DGSI.accepted" 2>/dev/null ||
	    echo none
}
v() { intel-verify -a "$ag" --to FR-DGSI "$@"; }

sign --seq 5 "$recs" >"$tmp/b5"
sign --seq 6 "$recs" >"$tmp/b6"

# --- standard output on a full disk --------------------------------------
if [ -w /dev/full ]; then
	status=0
	v --state "$tmp/st1" "$tmp/b5" >/dev/full 2>"$tmp/err" || status=$?
	is "stdout on /dev/full: 74" "$status" 74
	has "... says so" "$tmp/err" "No space left on device"
	is "... the counter is not raised" "$(counter "$tmp/st1")" none
	run v --state "$tmp/st1" "$tmp/b5"
	is "... the next run accepts the same bundle" "$status" 0
	is "... and writes its records" "$(wc -l <"$tmp/out")" 2
	is "... then records its seq" "$(counter "$tmp/st1")" 5
	# A counter already there is left where it was, too.
	status=0
	v --state "$tmp/st1" "$tmp/b6" >/dev/full 2>"$tmp/err" || status=$?
	is "stdout on /dev/full, seq 6 after 5: 74" "$status" 74
	is "... the counter stays at 5" "$(counter "$tmp/st1")" 5
	run v --state "$tmp/st1" "$tmp/b6"
	is "... seq 6 accepted by the next run" "$status" 0
	is "... recorded" "$(counter "$tmp/st1")" 6
	# Bundles accepted before the failed write are not recorded either.
	status=0
	v --state "$tmp/st1b" "$tmp/b5" "$tmp/b6" >/dev/full 2>"$tmp/err" ||
	    status=$?
	is "two bundles, stdout on /dev/full: 74" "$status" 74
	is "... no counter" "$(counter "$tmp/st1b")" none
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do skip "/dev/full is not writable"; done
fi

# --- -o on a full file system (root only) ------------------------------------
m=$tmp/mnt
mkdir "$m"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$m" 2>/dev/null; then
	mnt=$m
	head -c 60000 /dev/zero >"$m/fill" 2>/dev/null || :
	# The 64 KiB are taken, but for less than the records need.
	while head -c 512 /dev/zero >>"$m/fill" 2>/dev/null; do :; done
	run v --state "$tmp/st2" -o "$m/out" "$tmp/b5"
	is "-o on a full tmpfs: 74" "$status" 74
	has "... says so" "$tmp/err" "No space left on device"
	nok "... no file" test -e "$m/out"
	is "... the counter is not raised" "$(counter "$tmp/st2")" none
	rm -f "$m/fill"
	run v --state "$tmp/st2" -o "$m/out" "$tmp/b5"
	is "... once there is room, the same bundle is accepted" "$status" 0
	is "... its records in the file" "$(wc -l <"$m/out")" 2
	is "... and its seq recorded" "$(counter "$tmp/st2")" 5
	umount "$m" && mnt=
else
	for i in 1 2 3 4 5 6 7; do skip "cannot mount a small tmpfs (needs root)"; done
fi

# --- one bundle twice in one run ---------------------------------------------
run v --state "$tmp/st4" "$tmp/b5" "$tmp/b5"
is "two copies in one run: exit 1" "$status" 1
is "... the records written once" "$(wc -l <"$tmp/out")" 2
has "... the second refused as a replay" "$tmp/err" \
    "b5:1: replay: seq 5 is not above 5, the last accepted from DE-BKA to FR-DGSI"
has "... summary" "$tmp/err" "1 bundles accepted, 1 refused; 2 records written"
is "... seq recorded" "$(counter "$tmp/st4")" 5
cp "$tmp/b5" "$tmp/copy"
run v --state "$tmp/st5" -o "$tmp/o5" "$tmp/b5" "$tmp/copy"
is "two copies under two names, -o: exit 1" "$status" 1
is "... the file holds the records once" "$(wc -l <"$tmp/o5")" 2
has "... the copy refused as a replay" "$tmp/err" "copy:1: replay: seq 5 is not above 5"
# A lower seq after a higher one in the same run, before anything is recorded.
run v --state "$tmp/st6" "$tmp/b6" "$tmp/b5"
is "seq 6 then 5 in one run: exit 1" "$status" 1
has "... 5 refused" "$tmp/err" "b5:1: replay: seq 5 is not above 6"
is "... 6 recorded" "$(counter "$tmp/st6")" 6
# --report records nothing, but counts within its run too.
run v --state "$tmp/st7" --report "$tmp/b5" "$tmp/b5"
is "--report, two copies: exit 1" "$status" 1
is "... nothing recorded" "$(counter "$tmp/st7")" none

# --- two runs at once on the same bundle -------------------------------------
# Run A writes a large bundle into a pipe that nobody reads yet, so it
# stops after its replay check, holding the counter.  Run B, on the same
# bundle, must wait for A to finish, then refuse the bundle as a replay.
sh "$top_srcdir/scripts/gen-records" -n 2000 |
    intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI >"$tmp/many"
sign --seq 1 "$tmp/many" >"$tmp/big"
mkfifo "$tmp/fifo"
{ while [ ! -e "$tmp/go" ]; do sleep 0.1; done; cat; } <"$tmp/fifo" \
    >"$tmp/a.out" &
pids="$pids $!"
(
	st=0
	v -q --state "$tmp/st8" "$tmp/big" >"$tmp/fifo" 2>"$tmp/a.err" || st=$?
	echo "$st" >"$tmp/a.rc"
) &
pids="$pids $!"
i=0
while [ ! -e "$tmp/st8/accepted.lock" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "run A reached its replay check" test -e "$tmp/st8/accepted.lock"
(
	st=0
	v -q --state "$tmp/st8" -o "$tmp/b.out" "$tmp/big" 2>"$tmp/b.err" ||
	    st=$?
	echo "$st" >"$tmp/b.rc"
) &
pids="$pids $!"
sleep 2
nok "run B waits while A holds the counter" test -e "$tmp/b.rc"
is "... A has recorded nothing yet" "$(counter "$tmp/st8")" none
: >"$tmp/go"
i=0
while { [ ! -e "$tmp/a.rc" ] || [ ! -e "$tmp/b.rc" ]; } && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "run A accepted the bundle" "$(cat "$tmp/a.rc" 2>/dev/null)" 0
is "... and wrote every record" "$(wc -l <"$tmp/a.out")" "$(wc -l <"$tmp/many")"
is "run B refused it: 1" "$(cat "$tmp/b.rc" 2>/dev/null)" 1
has "... as a replay" "$tmp/b.err" "big:1: replay: seq 1 is not above 1"
nok "... and wrote nothing" test -e "$tmp/b.out"
is "the counter: 1" "$(counter "$tmp/st8")" 1

done_testing
