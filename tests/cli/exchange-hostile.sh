#!/bin/sh
# intel-exchange-in and intel-exchange-out on hostile ground (issue 13,
# SPEC 10): each finding replayed as the partner or careless operator did
# it, checking the exit status, the message, and that nothing was written
# outside the state folder (the store and the tests' own files aside).
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/cli/lib-exchange.sh"
need_commands flock timeout stat dd
esc=$(printf '\033')
exchange_logger
mkdir "$tmp/fr" "$tmp/inbox" "$tmp/home"
exchange_parties "$tmp/etc/de-fr.yaml"
ag=$tmp/etc/de-fr.yaml
state=$tmp/fr/state
# The victim: a file of the receiver a partner would love to write.
printf 'export PS1="$ "\n' >"$tmp/home/.bashrc"
cp "$tmp/home/.bashrc" "$tmp/bashrc.orig"

cat >"$tmp/fr/in.conf" <<EOF
local FR-DGSI
store store.ndjson
state state
settle 0
partner DE-BKA ../etc/de-fr.yaml ../inbox
EOF

# mkb FILE [AGREEMENT]: a new bundle from DE-BKA (the next seq) at FILE.
nrec=0
mkb() {
	nrec=$((nrec + 1))
	printf '{"classification":"RESTRICTED","created":"2026-11-26T04:00:00Z","data":{"subject":{"name":"P %d"}},"id":"de-h-%04d","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
	    "$nrec" "$nrec" >"$tmp/r.ndjson"
	intel-redact -q -a "${2:-$ag}" --from DE-BKA --to FR-DGSI \
	    "$tmp/r.ndjson" >"$tmp/rr.ndjson" &&
	    intel-sign -q -a "${2:-$ag}" -k "$tmp/keys/de-bka.key" \
		--to FR-DGSI --state "$tmp/sign-state" -o "$tmp/b.tmp" \
		"$tmp/rr.ndjson" && mv -f "$tmp/b.tmp" "$1"
}
in_store() {
	grep -c "\"id\":\"de-h-$(printf %04d "$1")\"" "$tmp/fr/store.ndjson" \
	    2>/dev/null
}

# Files written outside the state folder since the last stamp: only the
# store (and its lock), the test's own out, err and syslog may be.
stamp() {
	sleep 1
	: >"$tmp/stamp"
}
outside() {
	find "$tmp" \( -path "$state" -o -path "$tmp/fr/store.ndjson*" \
	    -o -path "$tmp/out" -o -path "$tmp/err" -o -path "$tmp/syslog" \
	    -o -path "$tmp/stamp" \) -prune -o ! -type d -newer "$tmp/stamp" \
	    -print | tr '\n' ' '
}
xrun() {
	run timeout 120 sh "$xin" "$@"
}

# --- 1: the reason written through a partner's link ---------------------
mkdir "$tmp/inbox/rejected"
ln -s "$tmp/home/.bashrc" "$tmp/inbox/rejected/.x.bundle.reason.tmp"
mkb "$tmp/inbox/x.bundle"
sed 's/"P 1"/"P 9"/' "$tmp/inbox/x.bundle" >"$tmp/t" &&
    cat "$tmp/t" >"$tmp/inbox/x.bundle"
nl='
'
touch "$tmp/inbox/evil${nl}touch pwned${nl}.bundle"
stamp
xrun "$tmp/fr/in.conf"
is "1: a tampered bundle and a bad name: exit 1" "$status" 1
ok "1: the victim behind rejected/'s link is untouched" \
    cmp -s "$tmp/home/.bashrc" "$tmp/bashrc.orig"
ok "1: the bundle is in rejected/ of the state folder" \
    test -f "$state/rejected/x.bundle"
has "1: ... with its reason beside it" "$state/rejected/x.bundle.reason" \
    "^intel-verify: .*x\\.bundle"
is "1: nothing written outside the state folder" "$(outside)" ""
is "1: the name with newlines is one line on stderr" \
    "$(grep -c 'evil' "$tmp/err")" 1
has "1: ... escaped" "$tmp/err" \
    'evil\\u000atouch .*\\u000a\.bundle: refused .*name'
ok "1: ... and left where it is" test -f "$tmp/inbox/evil${nl}touch pwned${nl}.bundle"
rm -f "$tmp/inbox/evil${nl}touch pwned${nl}.bundle"

# --- 2: processed/ and rejected/ as links --------------------------------
mkdir "$tmp/inbox2" "$tmp/fr2"
rm -rf "$tmp/inbox/rejected"
ln -s "$tmp/inbox2" "$tmp/inbox/rejected"
ln -s /proc "$tmp/inbox/processed"
mkb "$tmp/inbox/a.bundle"
mkb "$tmp/inbox2/b.bundle"
# The partner fills the other inbox with files named like its next ones.
cat >"$tmp/fr2/in.conf" <<EOF
local FR-DGSI
store ../fr/store.ndjson
state ../fr/state
settle 0
partner DE-BKA ../etc/de-fr.yaml ../inbox
partner DE-BKA ../etc/de-fr.yaml ../inbox2
EOF
stamp
xrun "$tmp/fr2/in.conf"
is "2: links for processed/ and rejected/: exit 1 (the links refused)" \
    "$status" 1
has "2: ... each named as a link" "$tmp/err" \
    "processed: refused .*not a regular file \\(symbolic link\\)"
is "2: the bundle of the first inbox is merged" "$(in_store 2)" 1
is "2: the later partner is served too" "$(in_store 3)" 1
ok "2: both in processed/ of the state folder" \
    test -f "$state/processed/a.bundle" -a -f "$state/processed/b.bundle"
is "2: nothing written outside the state folder" "$(outside)" ""
is "2: /proc was not followed" "$(ls "$state/processed" | wc -l | tr -d ' ')" 2
rm -f "$tmp/inbox/rejected" "$tmp/inbox/processed"

# --- 3: a full disk or a crash after verify loses nothing -----------------
# A merge that fails (the store's disk full): the bundle stays pending and
# the next run merges it, never taking it for a replay.
mkdir "$tmp/fail"
cat >"$tmp/fail/intel-merge" <<'EOF'
#!/bin/sh
echo "intel-merge: store.ndjson: No space left on device" >&2
exit 74
EOF
chmod +x "$tmp/fail/intel-merge"
mkb "$tmp/inbox/c.bundle"
PATH=$tmp/fail:$PATH xrun "$tmp/fr/in.conf"
is "3: merge fails for lack of space: exit 1" "$status" 1
has "3: ... says the records stay pending" "$tmp/err" \
    "c\\.bundle: intel-merge failed; its verified records stay pending.*No space"
is "3: ... nothing merged" "$(in_store 4)" 0
ok "3: ... not in rejected/" test ! -e "$state/rejected/c.bundle"
xrun "$tmp/fr/in.conf"
is "3: the next run: exit 0" "$status" 0
is "3: ... the records are merged" "$(in_store 4)" 1
ok "3: ... and the bundle is in processed/" test -f "$state/processed/c.bundle"

# A run killed at each step: after verify, after merge, before verify.
# verify-full: intel-verify's output found the disk full (it writes to
# /dev/full instead of -o): it must not have taken the seq, or the next
# run, which verifies with the replay check like any other, would refuse
# the bundle as a replay of itself.
for step in verify-after merge-after verify-before verify-full; do
	tool=intel-${step%-*}
	real=$(command -v "$tool")
	rm -rf "$tmp/crash"
	mkdir "$tmp/crash"
	cat >"$tmp/crash/$tool" <<EOF
#!/bin/sh
# Kills the script (the parent of timeout(1), our parent).
script=\$(cut -d' ' -f4 /proc/\$PPID/stat)
[ "$step" = ${tool#intel-}-before ] && kill -KILL "\$script"
if [ "$step" = verify-full ]; then
	for a; do
		shift
		[ "\$a" = -o ] && { drop=1; continue; }
		[ "\${drop:-}" = 1 ] && { drop=; continue; }
		set -- "\$@" "\$a"
	done
	"$real" "\$@" >/dev/full
	st=\$?
	[ \$st = 74 ] || echo "verify-full: exit \$st, not 74" >>"$tmp/crash/wrong"
else
	"$real" "\$@"
	st=\$?
fi
kill -KILL "\$script"
exit \$st
EOF
	chmod +x "$tmp/crash/$tool"
	mkb "$tmp/inbox/k-$step.bundle"
	n=$nrec
	PATH=$tmp/crash:$PATH run sh "$xin" "$tmp/fr/in.conf"
	is "3: killed at $step: the run died" "$status" 137
	[ "$step" = verify-full ] && ok "3: ... intel-verify failed to write (74)" \
	    test ! -e "$tmp/crash/wrong"
	ok "3: ... the bundle is no longer in the inbox" \
	    test ! -e "$tmp/inbox/k-$step.bundle"
	xrun "$tmp/fr/in.conf"
	is "3: ... the next run finishes it: exit 0" "$status" 0
	is "3: ... its record is in the store once" "$(in_store "$n")" 1
	ok "3: ... not rejected" test ! -e "$state/rejected/k-$step.bundle"
	ok "3: ... the bundle is in processed/" \
	    test -f "$state/processed/k-$step.bundle"
	is "3: ... nothing left pending" \
	    "$(ls "$state/intel-exchange-in" | grep -c '^[0-9]*\.')" 0
done

# Killed just after the rename out of the inbox: the claim is finished.
mkb "$tmp/cl.bundle"
x=$state/intel-exchange-in
mv "$tmp/cl.bundle" "$x/900000000000.claim"
printf 'DE-BKA\n%s\ncl.bundle\n' "$tmp/fr/../inbox" >"$x/900000000000.meta"
xrun "$tmp/fr/in.conf"
is "3: killed after the rename: the next run: exit 0" "$status" 0
is "3: ... merged" "$(in_store "$nrec")" 1
ok "3: ... in processed/" test -f "$state/processed/cl.bundle"
is "3: ... nothing left of the claim" "$(ls "$x" | grep -c '^900000000000')" 0

# One merge for the whole run (issue 15): a pending claim of an earlier
# run and three new bundles go into one intel-merge, and each is archived
# only after it.
rm -rf "$tmp/count"
mkdir "$tmp/count"
real=$(command -v intel-merge)
cat >"$tmp/count/intel-merge" <<EOF
#!/bin/sh
echo "\$#" >>"$tmp/count/calls"
exec "$real" "\$@"
EOF
chmod +x "$tmp/count/intel-merge"
mkb "$tmp/cl.bundle"
first=$nrec
mv "$tmp/cl.bundle" "$x/900000000001.claim"
printf 'DE-BKA\n%s\ncl2.bundle\n' "$tmp/fr/../inbox" >"$x/900000000001.meta"
for k in 1 2 3; do
	mkb "$tmp/inbox/one-$k.bundle"
done
PATH=$tmp/count:$PATH xrun "$tmp/fr/in.conf"
is "3: four bundles: exit 0" "$status" 0
is "3: ... one intel-merge for them all" "$(wc -l <"$tmp/count/calls" | tr -d ' ')" 1
is "3: ... given -s, the store, --, and four record files" \
    "$(cat "$tmp/count/calls")" 7
is "3: ... every record in the store once" \
    "$(for k in 0 1 2 3; do in_store $((first + k)); done | tr -d '\n')" 1111
ok "3: ... all four in processed/" test -f "$state/processed/cl2.bundle" \
    -a -f "$state/processed/one-1.bundle" -a -f "$state/processed/one-2.bundle" \
    -a -f "$state/processed/one-3.bundle"
is "3: ... each said merged" "$(grep -c 'one-[123]\.bundle: merged into\|cl2\.bundle: merged into' "$tmp/err")" 4
is "3: ... nothing left pending" "$(ls "$x" | grep -c '^[0-9]*\.')" 0

# Killed after a bundle went to processed/, before its pending records
# were forgotten: the next run merges them again (no change) and is done.
mkb "$tmp/inbox/gone.bundle"
xrun "$tmp/fr/in.conf"
intel-verify -q -a "$ag" --to FR-DGSI -o "$x/900000000002.ndjson" \
    "$state/processed/gone.bundle" 2>/dev/null
printf 'DE-BKA\n%s\ngone.bundle\n' "$tmp/fr/../inbox" >"$x/900000000002.meta"
cp "$tmp/fr/store.ndjson" "$tmp/store.gone"
xrun "$tmp/fr/in.conf"
is "3: archived, not forgotten: the next run: exit 0" "$status" 0
ok "3: ... the store unchanged" cmp -s "$tmp/store.gone" "$tmp/fr/store.ndjson"
is "3: ... nothing left of the claim" "$(ls "$x" | grep -c '^900000000002')" 0
is "3: ... not archived twice" "$(ls "$state/processed" | grep -c '^gone')" 1

# --- 4: a FIFO, a stuck step -----------------------------------------------
mkfifo "$tmp/inbox/f.bundle"
mkb "$tmp/inbox/g.bundle"
stamp
xrun "$tmp/fr/in.conf"
is "4: a FIFO in the inbox: the run ends (exit 1)" "$status" 1
has "4: ... it is refused as not a regular file" "$tmp/err" \
    "f\\.bundle: refused .*not a regular file \\(fifo\\)"
is "4: ... the bundle after it is merged" "$(in_store "$nrec")" 1
is "4: nothing written outside the state folder" "$(outside)" ""
rm -f "$tmp/inbox/f.bundle"
cat >"$tmp/fail/intel-verify" <<'EOF'
#!/bin/sh
sleep 60
EOF
chmod +x "$tmp/fail/intel-verify"
cp "$tmp/fr/in.conf" "$tmp/fr/slow.conf"
printf 'timeout 2\n' >>"$tmp/fr/slow.conf"
mkb "$tmp/inbox/s.bundle"
t0=$(date +%s)
PATH=$tmp/fail:$PATH xrun "$tmp/fr/slow.conf"
t1=$(date +%s)
is "4: a stuck intel-verify: exit 1" "$status" 1
ok "4: ... killed after the timeout setting" test $((t1 - t0)) -lt 30
has "4: ... reported" "$tmp/err" "s\\.bundle: intel-verify took more than 2 s"
xrun "$tmp/fr/in.conf"
is "4: ... the bundle stayed pending; the next run takes it" "$status" 0
is "4: ... merged" "$(in_store "$nrec")" 1

# --- 5: an upload in progress ----------------------------------------------
printf 'partial' >"$tmp/inbox/.u.bundle.part"
mkb "$tmp/inbox/u.bundle"
cp "$tmp/inbox/u.bundle" "$tmp/u.full"
n=$nrec
sed -i 's/.*/x/' "$tmp/inbox/u.bundle"
cp "$tmp/fr/in.conf" "$tmp/fr/settle.conf"
sed -i 's/^settle 0$/settle 60/' "$tmp/fr/settle.conf"
xrun "$tmp/fr/settle.conf"
is "5: a bundle changed just now: exit 0" "$status" 0
ok "5: ... left alone" test -f "$tmp/inbox/u.bundle"
ok "5: ... and so is a .-name" test -f "$tmp/inbox/.u.bundle.part"
# Rejected while partial (settle 0), the finished upload still counts.
xrun "$tmp/fr/in.conf"
is "5: a partial upload taken anyway (settle 0): exit 1" "$status" 1
cp "$tmp/u.full" "$tmp/inbox/u.bundle"
touch -d '2 minutes ago' "$tmp/inbox/u.bundle"
xrun "$tmp/fr/settle.conf"
is "5: the finished upload, under the same name: exit 0" "$status" 0
is "5: ... merged, its name not burnt" "$(in_store "$n")" 1
ok "5: ... the .-name is still left alone" test -f "$tmp/inbox/.u.bundle.part"
rm -f "$tmp/inbox/.u.bundle.part"

# --- 6: the lock ------------------------------------------------------------
# A stale lock file and a lock folder of an older version stop nothing.
mkdir -p "$state/intel-exchange-in.lock.d"
for i in 1 2 3 4 5 6; do mkb "$tmp/inbox/l$i.bundle"; done
for r in 1 2 3; do
	(timeout 120 sh "$xin" "$tmp/fr/in.conf" >/dev/null 2>"$tmp/l$r.err"
	    echo $? >"$tmp/l$r") &
done
wait
is "6: three runs at once: all exit 0" "$(cat "$tmp/l1" "$tmp/l2" "$tmp/l3" |
    tr '\n' ' ')" "0 0 0 "
is "6: ... each bundle merged exactly once" \
    "$(cat "$tmp/l1.err" "$tmp/l2.err" "$tmp/l3.err" | grep -c 'merged into')" 6
is "6: ... every record once in the store" \
    "$(for i in 0 1 2 3 4 5; do in_store $((nrec - i)); done | tr -d '\n')" 111111
flock "$state/intel-exchange-in.lock" timeout 60 sh "$xin" -n \
    "$tmp/fr/in.conf" >"$tmp/out" 2>"$tmp/err"
is "6: -n while another run holds the lock: 75" "$?" 75
has "6: ... says so" "$tmp/err" "another run holds"

# --- 7: one partner, two agreements, one inbox ----------------------------
sed 's/^id: .*/id: de-fr-second-2026/' "$ag" >"$tmp/etc/second.yaml"
sed 's/^id: .*/id: de-fr-third-2026/' "$ag" >"$tmp/etc/third.yaml"
cp "$tmp/fr/in.conf" "$tmp/fr/two.conf"
printf 'partner DE-BKA ../etc/second.yaml ../inbox\n' >>"$tmp/fr/two.conf"
mkb "$tmp/inbox/m1.bundle" "$tmp/etc/second.yaml"
mkb "$tmp/inbox/m2.bundle"
mkb "$tmp/inbox/m3.bundle" "$tmp/etc/third.yaml"
xrun "$tmp/fr/two.conf"
is "7: two agreements on one inbox, and a third: exit 1" "$status" 1
is "7: ... the second agreement's bundle is merged" "$(in_store $((nrec - 2)))" 1
is "7: ... and the first's" "$(in_store $((nrec - 1)))" 1
has "7: ... the bundle naming neither is refused" \
    "$state/rejected/m3.bundle.reason" "de-fr-third-2026 is not one of DE-BKA's"
printf 'partner DE-BKA ../etc/second.yaml ../inbox\n' >>"$tmp/fr/two.conf"
xrun "$tmp/fr/two.conf"
is "7: the same partner line twice: 78" "$status" 78
has "7: ... with the line" "$tmp/err" "two\\.conf:7: partner DE-BKA .* given twice \\(first on line 6\\)"

# --- 10: configuration -----------------------------------------------------
mkdir -p "$tmp/decoy/fr"
mkb "$tmp/inbox/cd.bundle"
(cd "$tmp" && CDPATH=$tmp/decoy && export CDPATH &&
    timeout 60 sh "$xin" fr/in.conf) >"$tmp/out" 2>"$tmp/err"
is "10: CDPATH exported: exit 0" "$?" 0
is "10: ... the store of the configuration's folder" "$(in_store "$nrec")" 1
is "10: ... nothing in the decoy" "$(ls -A "$tmp/decoy/fr")" ""
cp "$tmp/fr/in.conf" "$tmp/fr/dup.conf"
printf 'state other-state\n' >>"$tmp/fr/dup.conf"
stamp
xrun "$tmp/fr/dup.conf"
is "10: a setting given twice: 78" "$status" 78
has "10: ... naming both lines" "$tmp/err" \
    "dup\\.conf:6: state given twice \\(first on line 3\\)"
ok "10: ... nothing created" test ! -e "$tmp/fr/other-state"
is "10: ... nothing written" "$(outside)" ""
for s in max-size settle timeout; do
	printf 'local FR-DGSI\nstore s\nstate t\n%s 1x\npartner DE-BKA a b\n' \
	    "$s" >"$tmp/fr/num.conf"
	xrun "$tmp/fr/num.conf"
	is "10: $s not a number: 78" "$status" 78
	has "10: ... with its line" "$tmp/err" "num\\.conf:4: $s must be a whole number"
done
if [ -w / ] && [ "$(id -u)" = 0 ]; then
	rc=/intel-exchange-test.$$.conf
	printf 'local FR-DGSI\nstore %s/fr/store.ndjson\nstate %s\nsettle 0\npartner DE-BKA %s no-such-inbox.%s\n' \
	    "$tmp" "$state" "$ag" "$$" >"$rc"
	(cd "$tmp/fr" && timeout 60 sh "$xin" "$rc") >"$tmp/out" 2>"$tmp/err"
	is "10: a configuration in /: exit 1" "$?" 1
	has "10: ... its relative paths are taken from /" "$tmp/err" \
	    "inbox /no-such-inbox\\.$$: not a folder"
	rm -f "$rc"
fi

# --- 11: a file swapped while intel-verify runs ---------------------------
real=$(command -v intel-verify)
mkb "$tmp/other.bundle"
mkb "$tmp/inbox/w.bundle"
cp "$tmp/inbox/w.bundle" "$tmp/w.orig"
rm -rf "$tmp/crash"
mkdir "$tmp/crash"
cat >"$tmp/crash/intel-verify" <<EOF
#!/bin/sh
cp "$tmp/other.bundle" "$tmp/inbox/.swap" && mv -f "$tmp/inbox/.swap" \
    "$tmp/inbox/w.bundle"
exec "$real" "\$@"
EOF
chmod +x "$tmp/crash/intel-verify"
PATH=$tmp/crash:$PATH xrun "$tmp/fr/in.conf"
is "11: swapped while verify ran: exit 0" "$status" 0
ok "11: processed/ holds the bundle verified" \
    cmp -s "$tmp/w.orig" "$state/processed/w.bundle"
is "11: ... its record merged" "$(in_store "$nrec")" 1
is "11: ... not the swapped one's (yet)" "$(in_store $((nrec - 1)))" 0
rm -f "$tmp/inbox/w.bundle"

# --- 12: log injection ------------------------------------------------------
# A signed bundle whose header's "from" is made to carry ESC and a bidi
# override (valid JSON, so that intel-verify --from reads it and names it).
mkb "$tmp/h0.bundle"
{
	printf '{"agreement":"de-fr-border-2026","agreement_version":1,"created":"2026-11-26T04:00:00Z","from":"DE-BKA\\u001b[31m\342\200\256","id":"00000000000000000000000000000000","intel_bundle":1,"seq":1,"to":"FR-DGSI"}\n'
	tail -n +2 "$tmp/h0.bundle"
} >"$tmp/inbox/h.bundle"
: >"$tmp/syslog"
xrun "$tmp/fr/in.conf"
is "12: a hostile header: exit 1" "$status" 1
has "12: ... refused as from no party, made harmless" "$tmp/err" \
    'h\.bundle: rejected .from DE-BKA.: .*sender: DE-BKA\\u001b\[31m\\u202e is not a party'
hasnt "12: ... no raw ESC on stderr" "$tmp/err" "$esc"
hasnt "12: ... nor in syslog" "$tmp/syslog" "$esc"
hasnt "12: ... nor in the reason file" "$state/rejected/h.bundle.reason" "$esc"
is "12: ... one line on stderr per event" \
    "$(grep -c 'h\.bundle' "$tmp/err")" 1

# --- 13: a long name ----------------------------------------------------------
long=$(printf '%0203d' 0).bundle
ok200=$(printf '%0193d' 0).bundle
mkb "$tmp/inbox/$long"
mkb "$tmp/inbox/$ok200"
xrun "$tmp/fr/in.conf"
is "13: a 210-byte name: exit 1" "$status" 1
has "13: ... refused for its name" "$tmp/err" "0\\.bundle: refused .*1 to 200 bytes"
is "13: ... a 200-byte name is merged" "$(in_store "$nrec")" 1
ok "13: ... into processed/" test -f "$state/processed/$ok200"
xrun "$tmp/fr/in.conf"
is "13: ... and the inbox is not blocked: the next run says the same" \
    "$status" 1
rm -f "$tmp/inbox/$long"

# --- 14: links, long first lines ---------------------------------------------
printf 'root-secret-first-line\n' >"$tmp/home/secret"
ln -s "$tmp/home/secret" "$tmp/inbox/ln.bundle"
ln -s "$tmp/home/no-such" "$tmp/inbox/dangling.bundle"
head -c 300000 /dev/zero | tr '\0' 'a' >"$tmp/inbox/longline.bundle"
stamp
xrun "$tmp/fr/in.conf"
is "14: links and a 300 kB first line: exit 1" "$status" 1
has "14: the link is refused as a link" "$tmp/err" \
    "ln\\.bundle: refused .*symbolic link"
hasnt "14: ... its target is not shown" "$tmp/err" "root-secret|home/secret"
is "14: ... nor whether it exists" \
    "$(grep 'dangling' "$tmp/err" | sed 's/dangling/ln/')" \
    "$(grep 'ln\.bundle' "$tmp/err")"
has "14: the long line is refused after 64 KiB" \
    "$state/rejected/longline.bundle.reason" "no header line in its first 64 KiB"
is "14: nothing written outside the state folder" "$(outside)" ""
rm -f "$tmp/inbox/ln.bundle" "$tmp/inbox/dangling.bundle"
printf 'max-size 100\n' >>"$tmp/fr/slow.conf"
mkb "$tmp/inbox/big.bundle"
xrun "$tmp/fr/slow.conf"
is "14: a bundle over max-size: exit 1" "$status" 1
has "14: ... refused for its size" "$tmp/err" \
    "big\\.bundle: refused .*larger than max-size \\([0-9]* > 100 bytes\\)"
rm -f "$tmp/inbox/big.bundle"

# --- nothing was ever created in the inbox -----------------------------------
is "the inbox holds no name the receiver made" "$(ls -A "$tmp/inbox")" ""
ok "the victim is untouched" cmp -s "$tmp/home/.bashrc" "$tmp/bashrc.orig"
ok "no partner command ran" test ! -e "$tmp/pwned" -a ! -e "$tmp/fr/pwned"

done_testing
