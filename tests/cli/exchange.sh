#!/bin/sh
# The cron scripts intel-exchange-out and intel-exchange-in, end to end:
# twice in a row, concurrently, with a tampered bundle, a replayed one, a
# failing merge and a failing logger.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/cli/lib-exchange.sh"

# A logger that records what it is asked to log.
exchange_logger

# Keys, the agreement with their public keys, the pseudonym key.
mkdir "$tmp/keys"
run intel-sign -q --keygen --party DE-BKA -o "$tmp/keys/de-bka"
is "keygen DE-BKA" "$status" 0
run intel-sign -q --keygen --party FR-DGSI -o "$tmp/keys/fr-dgsi"
is "keygen FR-DGSI" "$status" 0
de_pub=$(cut -d' ' -f1 "$tmp/keys/de-bka.pub")
fr_pub=$(cut -d' ' -f1 "$tmp/keys/fr-dgsi.pub")
mkdir "$tmp/etc"
sed -e "s|@DE-BKA@|$de_pub|" -e "s|@FR-DGSI@|$fr_pub|" "$fx/de-fr.yaml.in" \
    >"$tmp/etc/de-fr.yaml"
printf 'exchange-test-pseudonym-key-0123456789\n' >"$tmp/etc/de-fr.psk"
chmod 600 "$tmp/etc/de-fr.psk"

# The sender DE-BKA: records are dropped in outgoing/, bundles for
# FR-DGSI appear in xfer/ (the folder a transfer would carry over), which
# is FR-DGSI's inbox here.
mkdir "$tmp/de" "$tmp/de/outgoing" "$tmp/xfer" "$tmp/fr"
cat >"$tmp/de/out.conf" <<EOF
# DE-BKA's side
local DE-BKA
key ../keys/de-bka.key
state sign-state
records outgoing
audit audit.log

partner FR-DGSI ../etc/de-fr.yaml $tmp/xfer
EOF
cat >"$tmp/fr/in.conf" <<EOF
local FR-DGSI
store store.ndjson
state verify-state
settle 0
partner DE-BKA ../etc/de-fr.yaml ../xfer
EOF

bundles() {
	(cd "$1" && ls -- *.bundle 2>/dev/null) | tr '\n' ' '
}
b1=de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle
b2=de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000002.bundle

# --- usage -------------------------------------------------------------
for s in "$xout" "$xin"; do
	n=${s##*/}
	run sh "$s" --help
	is "$n --help: exit 0" "$status" 0
	has "$n --help: usage on stdout" "$tmp/out" "^usage: $n "
	run sh "$s" -h
	is "$n -h: exit 0" "$status" 0
	run sh "$s" --bogus "$tmp/de/out.conf"
	is "$n unknown option: 64" "$status" 64
	has "$n unknown option: usage on stderr" "$tmp/err" "^usage: $n "
	run sh "$s"
	is "$n without CONFIG: 64" "$status" 64
	run sh "$s" "$tmp/no-such.conf"
	is "$n missing CONFIG: 66" "$status" 66
	has "$n missing CONFIG: says so" "$tmp/err" "no-such.conf"
	printf 'local DE-BKA\nstate s\n\n# a comment\nfrobnicate 1\n' \
	    >"$tmp/bad.conf"
	run sh "$s" "$tmp/bad.conf"
	is "$n unknown setting: 78" "$status" 78
	has "$n unknown setting: CONFIG:LINE:" "$tmp/err" \
	    "bad\\.conf:5: unknown setting \"frobnicate\""
	printf 'local DE-BKA\n' >"$tmp/bad.conf"
	run sh "$s" "$tmp/bad.conf"
	is "$n incomplete CONFIG: 78" "$status" 78
done

# --- out: first run, second run -----------------------------------------
cp "$fx/day1.ndjson" "$tmp/de/outgoing/"
run sh "$xout" "$tmp/de/out.conf"
is "out: first run exit 0" "$status" 0
is "out: one bundle, named by agreement, parties and seq" \
    "$(bundles "$tmp/xfer")" "$b1 "
is "out: no temporary file left in the outbox" \
    "$(ls -A "$tmp/xfer" | grep -c '^\.')" 0
has "out: says what it sent" "$tmp/err" \
    "^intel-exchange-out: FR-DGSI: placed .*/$b1 \\(records: 2\\)\$"
has "out: the bundle is for FR-DGSI, seq 1" "$tmp/xfer/$b1" \
    '^\{"agreement":"de-fr-border-2026",.*"seq":1,"to":"FR-DGSI"\}$'
hasnt "out: the passport is not in clear" "$tmp/xfer/$b1" "XK1234567"
hasnt "out: the SECRET record stayed home" "$tmp/xfer/$b1" "de-2026-0002"
has "out: logged to syslog under the tag intel-exchange" "$tmp/syslog" \
    "^-t intel-exchange -p user.info -- intel-exchange-out: FR-DGSI: placed .*records: 2"
has "out: the audit log has the redact and sign runs" "$tmp/de/audit.log" \
    '"tool":"intel-sign"'

run sh "$xout" "$tmp/de/out.conf"
is "out: second run exit 0" "$status" 0
is "out: second run makes no new bundle" "$(bundles "$tmp/xfer")" "$b1 "
has "out: second run says nothing is new" "$tmp/err" "nothing new to send"

run sh "$xout" -q "$tmp/de/out.conf"
is "out -q: exit 0" "$status" 0
empty "out -q: nothing on stderr" "$tmp/err"

# --- in: first run, second run ------------------------------------------
run sh "$xin" -v "$tmp/fr/in.conf"
is "in: first run exit 0" "$status" 0
is "in: the bundle left the inbox" "$(bundles "$tmp/xfer")" ""
ok "in: ... for processed/" test -f "$tmp/fr/verify-state/processed/$b1"
has "in: the store holds the person" "$tmp/fr/store.ndjson" \
    '"id":"de-2026-0001".*"version":1'
has "in: ... and the vehicle" "$tmp/fr/store.ndjson" '"id":"de-v-0100"'
is "in: ... two records" "$(wc -l <"$tmp/fr/store.ndjson" | tr -d ' ')" 2
has "in: ... stamped as received" "$tmp/fr/store.ndjson" \
    '"received":\{"at":"2026-11-26T05:00:00Z"'
has "in: -v shows merge's summary" "$tmp/err" "intel-merge: read 2, added 2"
has "in: logged to syslog" "$tmp/syslog" \
    "intel-exchange-in: $b1: merged into .*store.ndjson \\(from DE-BKA, records: 2\\)"
cp "$tmp/fr/store.ndjson" "$tmp/store.1"

run sh "$xin" "$tmp/fr/in.conf"
is "in: second run exit 0" "$status" 0
ok "in: second run leaves the store alone" cmp -s "$tmp/store.1" \
    "$tmp/fr/store.ndjson"
hasnt "in: second run merges nothing" "$tmp/err" "merged"
is "in: no records left pending" \
    "$(ls "$tmp/fr/verify-state/intel-exchange-in" | grep -c '\.\(ndjson\|bundle\|meta\)$')" 0

# --- the next day: a new version, a recall, a new record -----------------
cp "$fx/day2.ndjson" "$tmp/de/outgoing/"
run sh "$xout" "$tmp/de/out.conf"
is "out: day 2 exit 0" "$status" 0
is "out: day 2 bundle has seq 2 and sorts after the first" \
    "$(bundles "$tmp/xfer")" "$b2 "
has "out: day 2 sends only the new file's records" "$tmp/err" "records: 3"
run sh "$xin" "$tmp/fr/in.conf"
is "in: day 2 exit 0" "$status" 0
has "in: the new version replaced the old" "$tmp/fr/store.ndjson" \
    '"id":"de-2026-0001".*"version":2'
has "in: the recall left a tombstone" "$tmp/fr/store.ndjson" \
    '"data":\{\},.*"id":"de-v-0100".*"withdrawn":true'
is "in: three records" "$(wc -l <"$tmp/fr/store.ndjson" | tr -d ' ')" 3
hasnt "in: no passport in clear" "$tmp/fr/store.ndjson" "XK1234567|P-889"

# --- a replayed bundle, and one already processed -------------------------
cp "$tmp/fr/verify-state/processed/$b1" "$tmp/xfer/again.bundle"
cp "$tmp/fr/store.ndjson" "$tmp/store.2"
run sh "$xin" "$tmp/fr/in.conf"
is "in: a replay: exit 1" "$status" 1
ok "in: ... goes to rejected/" test -f "$tmp/fr/verify-state/rejected/again.bundle"
has "in: ... with the reason beside it" "$tmp/fr/verify-state/rejected/again.bundle.reason" \
    "replay"
has "in: ... said on stderr" "$tmp/err" "again.bundle: rejected"
ok "in: ... the store is untouched" cmp -s "$tmp/store.2" \
    "$tmp/fr/store.ndjson"
# A name seen before is no reason to skip a bundle: its seq decides.
cp "$tmp/fr/verify-state/processed/$b1" "$tmp/xfer/$b1"
cp "$tmp/fr/verify-state/processed/$b1" "$tmp/xfer/again.bundle"
run sh "$xin" "$tmp/fr/in.conf"
is "in: a name processed before: verified again, a replay: exit 1" \
    "$status" 1
has "in: ... rejected as a replay" "$tmp/fr/verify-state/rejected/$b1.reason" \
    "replay"
is "in: ... a name rejected before gets a unique suffix" \
    "$(ls "$tmp/fr/verify-state/rejected" | grep -c '^again\.bundle\..*[0-9]\.reason$')" 1
ok "in: ... the first again.bundle is still there" \
    test -f "$tmp/fr/verify-state/rejected/again.bundle"
is "in: ... the inbox is empty" "$(ls -A "$tmp/xfer")" ""

# --- a tampered bundle ----------------------------------------------------
printf '{"classification":"RESTRICTED","created":"2026-11-26T04:00:00Z","data":{"subject":{"name":"Eva Lang"}},"id":"de-2026-0005","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
    >"$tmp/de/outgoing/day3.ndjson"
run sh "$xout" "$tmp/de/out.conf"
is "out: day 3 exit 0" "$status" 0
b3=de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000003.bundle
ok "out: day 3 bundle" test -f "$tmp/xfer/$b3"
sed 's/Eva Lang/Eve Lang/' "$tmp/xfer/$b3" >"$tmp/t" &&
    cat "$tmp/t" >"$tmp/xfer/$b3"
has "the bundle is tampered with" "$tmp/xfer/$b3" "Eve Lang"
run sh "$xin" "$tmp/fr/in.conf"
is "in: tampered: exit 1" "$status" 1
ok "in: tampered: moved to rejected/" test -f "$tmp/fr/verify-state/rejected/$b3"
ok "in: tampered: not in the inbox" test ! -e "$tmp/xfer/$b3"
ok "in: tampered: reason beside it" test -s "$tmp/fr/verify-state/rejected/$b3.reason"
has "in: tampered: the reason is intel-verify's" \
    "$tmp/fr/verify-state/rejected/$b3.reason" "^intel-verify: .*$b3"
hasnt "in: tampered: nothing of it in the store" "$tmp/fr/store.ndjson" \
    "Lang|de-2026-0005"
ok "in: tampered: the store is untouched" cmp -s "$tmp/store.2" \
    "$tmp/fr/store.ndjson"
has "in: tampered: the rejection is in syslog" "$tmp/syslog" \
    "user.warning -- intel-exchange-in: $b3: rejected"
run sh "$xin" "$tmp/fr/in.conf"
is "in: after the rejection, the next run is clean" "$status" 0
ok "in: ... and the rejected bundle stays rejected" \
    test -f "$tmp/fr/verify-state/rejected/$b3"

# --- a failing merge keeps the bundle; the next run finishes it -----------
printf '{"classification":"RESTRICTED","created":"2026-11-26T04:30:00Z","data":{"subject":{"name":"Piotr Nowak"}},"id":"de-2026-0006","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
    >"$tmp/de/outgoing/day4.ndjson"
run sh "$xout" "$tmp/de/out.conf"
b4=de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000004.bundle
ok "out: day 4 bundle" test -f "$tmp/xfer/$b4"
cp "$tmp/fr/store.ndjson" "$tmp/store.good"
printf 'not json\n' >"$tmp/fr/store.ndjson"
run sh "$xin" "$tmp/fr/in.conf"
is "in: merge fails: exit 1" "$status" 1
has "in: merge fails: says so" "$tmp/err" "$b4: intel-merge failed"
ok "in: merge fails: the bundle stays claimed and pending" \
    test -f "$(ls "$tmp/fr/verify-state/intel-exchange-in/"*.ndjson)"
ok "in: ... not in the inbox" test ! -e "$tmp/xfer/$b4"
cp "$tmp/store.good" "$tmp/fr/store.ndjson"
run sh "$xin" "$tmp/fr/in.conf"
is "in: the next run: exit 0 (its seq was accepted already)" "$status" 0
has "in: ... merges the records verified before" "$tmp/err" \
    "$b4: merging the records verified by an earlier run"
ok "in: ... and moves the bundle to processed/" \
    test -f "$tmp/fr/verify-state/processed/$b4"
has "in: ... the record is in the store" "$tmp/fr/store.ndjson" \
    '"id":"de-2026-0006"'

# --- a failure for one partner does not stop the others -------------------
# Another agreement (its own id) between the same parties.
sed 's/^id: .*/id: de-fr-copy-2026/' "$tmp/etc/de-fr.yaml" \
    >"$tmp/etc/de-fr-copy.yaml"
mkdir "$tmp/xfer2"
cat >"$tmp/de/two.conf" <<EOF
local DE-BKA
key ../keys/de-bka.key
state sign-state
records outgoing
partner FR-DGSI ../etc/de-fr.yaml $tmp/no-such-outbox
partner FR-DGSI ../etc/de-fr-copy.yaml $tmp/xfer2
EOF
run sh "$xout" "$tmp/de/two.conf"
is "out: one partner fails: exit 1" "$status" 1
has "out: ... it is named" "$tmp/err" "FR-DGSI: outbox .*no-such-outbox: not a folder"
is "out: ... the other is served" "$(bundles "$tmp/xfer2" | wc -w | tr -d ' ')" 1

# --- concurrent runs --------------------------------------------------------
: >"$tmp/syslog"
for d in 5 6 7 8 9; do
	printf '{"classification":"RESTRICTED","created":"2026-11-26T04:4%d:00Z","data":{"subject":{"name":"Person %d"}},"id":"de-2026-010%d","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
	    "$d" "$d" "$d" >"$tmp/de/outgoing/day$d.ndjson"
	sh "$xout" -q "$tmp/de/out.conf" || echo "# out failed for day $d"
done
is "out: five more bundles" "$(bundles "$tmp/xfer" | wc -w | tr -d ' ')" 5
(sh "$xout" "$tmp/de/out.conf" >/dev/null 2>&1; echo $? >"$tmp/o1") &
(sh "$xout" "$tmp/de/out.conf" >/dev/null 2>&1; echo $? >"$tmp/o2") &
wait
is "out: two concurrent runs with nothing new: both exit 0" \
    "$(cat "$tmp/o1" "$tmp/o2" | tr '\n' ' ')" "0 0 "
is "out: ... and no new bundle" "$(bundles "$tmp/xfer" | wc -w | tr -d ' ')" 5
(sh "$xin" "$tmp/fr/in.conf" >"$tmp/c1.out" 2>"$tmp/c1.err"
    echo $? >"$tmp/c1") &
(sh "$xin" "$tmp/fr/in.conf" >"$tmp/c2.out" 2>"$tmp/c2.err"
    echo $? >"$tmp/c2") &
wait
is "in: two concurrent runs: both exit 0" \
    "$(cat "$tmp/c1" "$tmp/c2" | tr '\n' ' ')" "0 0 "
is "in: ... every bundle merged exactly once" \
    "$(cat "$tmp/c1.err" "$tmp/c2.err" | grep -c 'merged into .* (from DE-BKA')" 5
hasnt "in: ... nothing rejected" "$tmp/c1.err" "rejected|failed|skipped"
hasnt "in: ... nothing rejected by the other" "$tmp/c2.err" \
    "rejected|failed|skipped"
is "in: ... the inbox is empty" "$(bundles "$tmp/xfer")" ""
is "in: ... all in processed/ (8 with the earlier ones)" \
    "$(bundles "$tmp/fr/verify-state/processed" | wc -w | tr -d ' ')" 8
is "in: ... the store has every record once" \
    "$(grep -c '"id":"de-2026-010[5-9]"' "$tmp/fr/store.ndjson")" 5
is "in: ... the store is sorted and whole" \
    "$(wc -l <"$tmp/fr/store.ndjson" | tr -d ' ')" 9

# -n: do not wait for a run that holds the lock.
if command -v flock >/dev/null 2>&1; then
	flock "$tmp/fr/verify-state/intel-exchange-in.lock" \
	    sh "$xin" -n "$tmp/fr/in.conf" >"$tmp/out" 2>"$tmp/err"
	is "in -n while locked: 75" "$?" 75
	has "in -n while locked: says so" "$tmp/err" "another run holds"
fi

# --- logger fails, or verify cannot run ----------------------------------
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/logger"
run sh "$xin" "$tmp/fr/in.conf"
is "in: a failing logger changes nothing" "$status" 0
run sh "$xout" "$tmp/de/out.conf"
is "out: a failing logger changes nothing" "$status" 0

# No logger at all: a PATH with only what the scripts need.
mkdir "$tmp/nolog"
for c in awk cat chgrp chmod cksum cp cut date dd dirname flock grep head \
    id mkdir mktemp mv od rm rmdir sed sha256sum sleep stat sync timeout \
    tr wc; do
	p=$(command -v "$c") && ln -s "$p" "$tmp/nolog/$c"
done
for t in intel-redact intel-sign intel-verify intel-merge; do
	ln -s "$tmp/bin/$t" "$tmp/nolog/$t"
done
printf '{"classification":"RESTRICTED","created":"2026-11-26T04:58:00Z","data":{"subject":{"name":"No Log"}},"id":"de-2026-0299","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
    >"$tmp/de/outgoing/late8.ndjson"
sh=$(command -v sh)
nolog() {
	status=0
	(PATH=$tmp/nolog; export PATH; exec "$sh" "$@") >"$tmp/out" \
	    2>"$tmp/err" || status=$?
}
nolog "$xout" "$tmp/de/out.conf"
is "out: without logger: exit 0" "$status" 0
has "out: ... and works" "$tmp/err" "placed .*records: 1"
nolog "$xin" "$tmp/fr/in.conf"
is "in: without logger: exit 0" "$status" 0
has "in: ... and works" "$tmp/err" "merged into"

printf '{"classification":"RESTRICTED","created":"2026-11-26T04:59:00Z","data":{"subject":{"name":"Late"}},"id":"de-2026-0300","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
    >"$tmp/de/outgoing/late9.ndjson"
sh "$xout" -q "$tmp/de/out.conf"
INTEL_NOW=2030-01-01T00:00:00Z sh "$xin" "$tmp/fr/in.conf" >"$tmp/out" \
    2>"$tmp/err"
is "in: agreement expired: exit 1" "$?" 1
is "in: ... the bundle stays pending" \
    "$(ls "$tmp/fr/verify-state/intel-exchange-in" | grep -c '\.bundle$')" 1
is "in: ... nothing rejected" \
    "$(ls "$tmp/fr/verify-state/rejected" | grep -c '\.reason$')" 4
run sh "$xin" "$tmp/fr/in.conf"
is "in: ... the next run takes it" "$status" 0
is "in: ... inbox empty" "$(bundles "$tmp/xfer")" ""

# --- a bundle in the wrong partner's inbox ----------------------------------
mkdir "$tmp/xfer3"
cp "$tmp/fr/verify-state/processed/$b2" "$tmp/xfer3/"
cat >"$tmp/fr/wrong.conf" <<EOF
local FR-DGSI
store store.ndjson
state verify-state
settle 0
partner FR-DGSI ../etc/de-fr.yaml ../xfer3
EOF
cp "$tmp/fr/store.ndjson" "$tmp/store.3"
run sh "$xin" "$tmp/fr/wrong.conf"
is "in: a bundle in the wrong partner's inbox: exit 1" "$status" 1
has "in: ... rejected for that" "$tmp/fr/verify-state/rejected/$b2.reason" \
    "the bundle is from DE-BKA, in the inbox of FR-DGSI"
ok "in: ... the store is untouched" cmp -s "$tmp/store.3" \
    "$tmp/fr/store.ndjson"

# --- a bundle signed by a run that stopped before placing it -------------
sd=$tmp/de/sign-state/intel-exchange-out/signed
intel-redact -q -a "$tmp/etc/de-fr.yaml" --from DE-BKA --to FR-DGSI \
    "$fx/day2.ndjson" >"$tmp/released.ndjson"
intel-sign -q -a "$tmp/etc/de-fr.yaml" -k "$tmp/keys/de-bka.key" \
    --to FR-DGSI --state "$tmp/de/sign-state" \
    -o "$sd/1.1.1.bundle" "$tmp/released.ndjson"
printf '%s\n%s\n' "$tmp/xfer" \
    "$tmp/de/sign-state/intel-exchange-out/sent/de-fr-border-2026,FR-DGSI" \
    >"$sd/1.1.1.meta"
sha256sum <"$fx/day2.ndjson" | cut -c1-64 >"$sd/1.1.1.sent"
run sh "$xout" "$tmp/de/out.conf"
is "out: a stopped run's bundle: exit 0" "$status" 0
has "out: ... is placed under its name" "$tmp/err" \
    "FR-DGSI: placed .*/de-fr-border-2026\\.DE-BKA\\.FR-DGSI\\.0+[0-9]+\\.bundle, signed by an earlier run"
is "out: ... and nothing is left of it" "$(ls -A "$sd")" ""
is "out: ... no other name in the outbox" \
    "$(ls -A "$tmp/xfer" | grep -vc '\.bundle$')" 0
run sh "$xin" "$tmp/fr/in.conf"
is "in: takes it" "$status" 0
has "in: ... merged" "$tmp/err" "from DE-BKA, records: 3"

# --- upgrade: an older version's processed/ and rejected/ in the inbox ------
mkdir "$tmp/xfer4" "$tmp/xfer4/processed" "$tmp/xfer4/rejected"
printf 'old\n' >"$tmp/xfer4/processed/old.bundle"
printf 'bad\n' >"$tmp/xfer4/rejected/bad.bundle"
printf 'why\n' >"$tmp/xfer4/rejected/bad.bundle.reason"
printf 'kept\n' >"$tmp/fr/verify-state/processed/old.bundle"
cat >"$tmp/fr/up.conf" <<EOF
local FR-DGSI
store store.ndjson
state verify-state
settle 0
partner DE-BKA ../etc/de-fr.yaml ../xfer4
EOF
run sh "$xin" "$tmp/fr/up.conf"
is "upgrade: exit 0" "$status" 0
has "upgrade: says so" "$tmp/err" "xfer4/processed: moved to .*verify-state/processed \\(upgrade\\)"
is "upgrade: the old folders are gone from the inbox" "$(ls -A "$tmp/xfer4")" ""
is "upgrade: their files are in the state folder" \
    "$(cat "$tmp/fr/verify-state/processed/old.bundle" \
    "$tmp/fr/verify-state/processed/old.bundle.old1" \
    "$tmp/fr/verify-state/rejected/bad.bundle" \
    "$tmp/fr/verify-state/rejected/bad.bundle.reason" | tr '\n' ' ')" \
    "kept old bad why "
mkdir "$tmp/xfer4/processed"
run sh "$xin" "$tmp/fr/up.conf"
is "upgrade: only once: a processed/ made later is a stranger (exit 1)" \
    "$status" 1
has "upgrade: ... refused as a folder" "$tmp/err" \
    "processed: refused .*not a regular file \\(directory\\)"

done_testing
