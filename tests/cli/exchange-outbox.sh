#!/bin/sh
# intel-exchange-out on hostile ground (issue 13, findings 8 to 10; SPEC
# 10): the ledger per (agreement id, partner), record file names that are
# never data, an outbox written only by a final rename, its mode and group,
# time limits and runs killed between signing and placing.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/cli/lib-exchange.sh"
need_commands flock timeout stat sha256sum
exchange_logger -q
mkdir "$tmp/etc" "$tmp/etc/b" "$tmp/de" "$tmp/de/outgoing" "$tmp/outbox" \
    "$tmp/outbox2" "$tmp/home"
exchange_parties "$tmp/etc/a/agreement.yaml"
sed 's/^id: .*/id: de-fr-other-2026/' "$tmp/etc/a/agreement.yaml" \
    >"$tmp/etc/b/agreement.yaml"
cp -p "$tmp/etc/a/de-fr.psk" "$tmp/etc/b/de-fr.psk"
printf 'export PS1="$ "\n' >"$tmp/home/.bashrc"
cp "$tmp/home/.bashrc" "$tmp/bashrc.orig"
state=$tmp/de/state

cat >"$tmp/de/out.conf" <<EOF
local DE-BKA
key ../keys/de-bka.key
state state
records outgoing
partner FR-DGSI ../etc/a/agreement.yaml ../outbox
EOF
nrec=0
# rec FILE: a new record file.
rec() {
	nrec=$((nrec + 1))
	printf '{"classification":"RESTRICTED","created":"2026-11-26T04:00:00Z","data":{"subject":{"name":"P %d"}},"id":"de-o-%04d","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
	    "$nrec" "$nrec" >"$1"
}
b=de-fr-border-2026.DE-BKA.FR-DGSI
xrun() {
	run timeout 120 sh "$xout" "$@"
}

# --- 8: the ledger is per (agreement id, partner) --------------------------
rec "$tmp/de/outgoing/r1.ndjson"
cat >"$tmp/de/two.conf" <<EOF
local DE-BKA
key ../keys/de-bka.key
state state
records outgoing
partner FR-DGSI ../etc/a/agreement.yaml ../outbox
partner FR-DGSI ../etc/b/agreement.yaml ../outbox2
EOF
xrun "$tmp/de/two.conf"
is "8: two agreements, both agreement.yaml: exit 0" "$status" 0
is "8: ... the first is served" "$(names "$tmp/outbox")" \
    "$b.00000000000000000001.bundle "
is "8: ... and the second" "$(names "$tmp/outbox2")" \
    "de-fr-other-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle "
xrun "$tmp/de/two.conf"
is "8: the next run: nothing new for either" \
    "$(grep -c 'nothing new to send' "$tmp/err")" 2
ok "8: the ledgers are named by agreement id and partner" \
    test -f "$state/intel-exchange-out/sent/de-fr-border-2026,FR-DGSI" \
    -a -f "$state/intel-exchange-out/sent/de-fr-other-2026,FR-DGSI"

# A record file whose name holds a newline and another file's digest.
rec "$tmp/z.ndjson"
zn=$nrec
h=$(sha256sum <"$tmp/z.ndjson" | cut -c1-64)
nl='
'
rec "$tmp/de/outgoing/a${nl}$h b.ndjson"
an=$nrec
xrun "$tmp/de/out.conf"
is "8: a record file named with a newline and a digest: exit 0" "$status" 0
f=$tmp/outbox/$b.00000000000000000002.bundle
has "8: ... its record is sent" "$f" "de-o-$(printf %04d "$an")"
mv "$tmp/z.ndjson" "$tmp/de/outgoing/z.ndjson"
xrun "$tmp/de/out.conf"
is "8: the file whose digest that name held, later: exit 0" "$status" 0
has "8: ... is sent all the same" "$tmp/err" "placed .*records: 1"
rm -f "$tmp/outbox/$b.00000000000000000003.bundle"
hasnt "8: ... the ledger holds digests only" \
    "$state/intel-exchange-out/sent/de-fr-border-2026,FR-DGSI" '[^0-9a-f]'

# --- 9: the outbox ------------------------------------------------------------
# The old temporary names, and the next bundle's name, made links to the
# victim; a file already holding a later name.
for p in $(seq 1 2 400) $$; do
	ln -s "$tmp/home/.bashrc" "$tmp/outbox/.intel-exchange-out.$p.tmp"
done
ln -s "$tmp/home/.bashrc" "$tmp/outbox/$b.00000000000000000004.bundle"
printf 'planted\n' >"$tmp/outbox/$b.00000000000000000005.bundle"
ls -A "$tmp/outbox" | sort >"$tmp/before"
rec "$tmp/de/outgoing/r3.ndjson"
xrun "$tmp/de/out.conf"
is "9: links in the outbox: exit 0" "$status" 0
ok "9: ... the victim is untouched" cmp -s "$tmp/home/.bashrc" "$tmp/bashrc.orig"
ok "9: ... the bundle is placed beside the link, not through it" \
    test -f "$tmp/outbox/$b.00000000000000000004.1.bundle"
has "9: ... says where" "$tmp/err" "placed .*/$b\\.00000000000000000004\\.1\\.bundle"
rec "$tmp/de/outgoing/r4.ndjson"
xrun "$tmp/de/out.conf"
is "9: a planted file at the next name: exit 0 (not stalled)" "$status" 0
is "9: ... the planted file is not replaced" \
    "$(cat "$tmp/outbox/$b.00000000000000000005.bundle")" planted
ok "9: ... the bundle is beside it" \
    test -f "$tmp/outbox/$b.00000000000000000005.1.bundle"
ls -A "$tmp/outbox" | sort >"$tmp/after"
is "9: only the two bundles are new in the outbox" \
    "$(comm -13 "$tmp/before" "$tmp/after" | tr '\n' ' ')" \
    "$b.00000000000000000004.1.bundle $b.00000000000000000005.1.bundle "
find "$tmp/outbox" -name '.intel-exchange-out.*' -type l | wc -l >"$tmp/n"
is "9: ... the old temporary names are left as they were" \
    "$(tr -d ' ' <"$tmp/n")" 201
rm -f "$tmp/outbox/"*.bundle "$tmp/outbox/".intel-exchange-out.*

# The mode and group of what is placed.
grp=$(id -gn)
if [ "$(id -u)" = 0 ] && getent group daemon >/dev/null 2>&1; then
	grp=daemon
fi
cp "$tmp/de/out.conf" "$tmp/de/mode.conf"
printf 'outbox-mode 0640\noutbox-group %s\n' "$grp" >>"$tmp/de/mode.conf"
rec "$tmp/de/outgoing/r5.ndjson"
xrun "$tmp/de/mode.conf"
is "9: outbox-mode and outbox-group: exit 0" "$status" 0
f=$(ls "$tmp/outbox/"*.bundle)
is "9: ... the bundle has them" "$(stat -c '%a %G' "$f")" "640 $grp"
printf 'outbox-mode 0755\n' >"$tmp/de/badmode.conf"
sed -n 1,5p "$tmp/de/out.conf" >>"$tmp/de/badmode.conf"
xrun "$tmp/de/badmode.conf"
is "9: an executable outbox-mode: 78" "$status" 78
has "9: ... with its line" "$tmp/err" "badmode\\.conf:1: outbox-mode"
rm -f "$tmp/outbox/"*.bundle

# --- killed between signing and placing; a stuck step ---------------------
real=$(command -v intel-sign)
mkdir "$tmp/crash"
cat >"$tmp/crash/intel-sign" <<EOF
#!/bin/sh
"$real" "\$@"
kill -KILL "\$(cut -d' ' -f4 /proc/\$PPID/stat)"
EOF
chmod +x "$tmp/crash/intel-sign"
rec "$tmp/de/outgoing/r6.ndjson"
PATH=$tmp/crash:$PATH run sh "$xout" "$tmp/de/out.conf"
is "killed after signing: the run died" "$status" 137
is "... nothing in the outbox" "$(names "$tmp/outbox")" ""
xrun "$tmp/de/out.conf"
is "... the next run: exit 0" "$status" 0
has "... places the signed bundle" "$tmp/err" "signed by an earlier run"
has "... and has nothing new after it" "$tmp/err" "nothing new to send"
is "... one bundle" "$(ls "$tmp/outbox" | wc -l | tr -d ' ')" 1
rm -f "$tmp/outbox/"*.bundle

cat >"$tmp/crash/intel-sign" <<'EOF'
#!/bin/sh
sleep 60
EOF
cp "$tmp/de/out.conf" "$tmp/de/slow.conf"
printf 'timeout 2\n' >>"$tmp/de/slow.conf"
rec "$tmp/de/outgoing/r7.ndjson"
t0=$(date +%s)
PATH=$tmp/crash:$PATH xrun "$tmp/de/slow.conf"
t1=$(date +%s)
is "a stuck intel-sign: exit 1" "$status" 1
ok "... killed after the timeout" test $((t1 - t0)) -lt 30
is "... nothing in the outbox" "$(names "$tmp/outbox")" ""
xrun "$tmp/de/out.conf"
is "... the next run sends it" "$status" 0
has "... placed" "$tmp/err" "records: 1"

# --- 10: configuration -------------------------------------------------------
cp "$tmp/de/out.conf" "$tmp/de/dup.conf"
printf 'key ../keys/other.key\n' >>"$tmp/de/dup.conf"
xrun "$tmp/de/dup.conf"
is "10: a setting given twice: 78" "$status" 78
has "10: ... naming both lines" "$tmp/err" \
    "dup\\.conf:6: key given twice \\(first on line 2\\)"
mkdir -p "$tmp/decoy/de"
rec "$tmp/de/outgoing/r8.ndjson"
(cd "$tmp" && CDPATH=$tmp/decoy && export CDPATH &&
    timeout 60 sh "$xout" de/out.conf) >"$tmp/out" 2>"$tmp/err"
is "10: CDPATH exported: exit 0" "$?" 0
is "10: ... the outbox of the configuration" \
    "$(ls "$tmp/outbox" | wc -l | tr -d ' ')" 2
is "10: ... nothing in the decoy" "$(ls -A "$tmp/decoy/de")" ""

# --- an older version's ledger is taken over -----------------------------------
rm -rf "$state" "$tmp/outbox/"*
mkdir -p "$state/intel-exchange-out"
chmod 700 "$state" "$state/intel-exchange-out"
for f in "$tmp/de/outgoing/"*; do
	printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "x"
done >"$state/intel-exchange-out/FR-DGSI,agreement.yaml.sent"
xrun "$tmp/de/out.conf"
is "upgrade: the old ledger is taken over: exit 0" "$status" 0
has "upgrade: ... nothing sent again" "$tmp/err" "nothing new to send"
is "upgrade: ... the outbox stays empty" "$(names "$tmp/outbox")" ""

done_testing
