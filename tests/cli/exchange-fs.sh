#!/bin/sh
# The exchange across file systems and on a full disk (SPEC 10), on tmpfs
# mounts (as root; skipped otherwise): an inbox on another file system is
# claimed through a no-follow, non-blocking read; an outbox on another file
# system gets a .-name first, then the rename; a state folder that fills
# up keeps the bundle pending, and the next run finishes it.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/cli/lib-exchange.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root to mount tmpfs"
mkdir "$tmp/m1" "$tmp/m2" "$tmp/m3"
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$tmp/m1" 2>/dev/null ||
    skip_all "cannot mount tmpfs"
mounts=$tmp/m1
trap 'for m in $mounts; do umount "$m" 2>/dev/null; done
    chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mount -t tmpfs -o size=4m,mode=0755 tmpfs "$tmp/m2" || skip_all "tmpfs"
mounts="$mounts $tmp/m2"
exchange_logger -q
mkdir "$tmp/de" "$tmp/de/outgoing" "$tmp/fr" "$tmp/home"
exchange_parties "$tmp/etc/de-fr.yaml"
printf 'secret\n' >"$tmp/home/secret"

# The outbox and the inbox: one folder on the tmpfs m1, the state
# folders elsewhere.
box=$tmp/m1/box
mkdir "$box"
cat >"$tmp/de/out.conf" <<EOF
local DE-BKA
key ../keys/de-bka.key
state state
records outgoing
outbox-mode 0640
partner FR-DGSI ../etc/de-fr.yaml $box
EOF
cat >"$tmp/fr/in.conf" <<EOF
local FR-DGSI
store store.ndjson
state state
settle 0
partner DE-BKA ../etc/de-fr.yaml $box
EOF
nrec=0
rec() {
	nrec=$((nrec + 1))
	printf '{"classification":"RESTRICTED","created":"2026-11-26T04:00:00Z","data":{"subject":{"name":"P %d"}},"id":"de-f-%04d","origin":"DE-BKA","purposes":["smuggling"],"type":"person","version":1}\n' \
	    "$nrec" "$nrec" >"$tmp/de/outgoing/r$nrec.ndjson"
}
in_store() {
	grep -c "\"id\":\"de-f-$(printf %04d "$1")\"" "$tmp/fr/store.ndjson" \
	    2>/dev/null
}

# --- the outbox on another file system ---------------------------------------
rec
run timeout 120 sh "$xout" "$tmp/de/out.conf"
is "out, outbox on another file system: exit 0" "$status" 0
is "out: ... one bundle, no .-name left" "$(ls -A "$box" | tr '\n' ' ')" \
    "de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle "
is "out: ... with outbox-mode" "$(stat -c %a "$box/"*.bundle)" 640

# --- the inbox on another file system: claimed by reading -------------------
mkfifo "$box/fifo.bundle"
ln -s "$tmp/home/secret" "$box/link.bundle"
run timeout 120 sh "$xin" "$tmp/fr/in.conf"
is "in, inbox on another file system: exit 1 (a FIFO and a link)" "$status" 1
is "in: ... the bundle is merged" "$(in_store 1)" 1
ok "in: ... and gone from the inbox" \
    test ! -e "$box/de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle"
ok "in: ... archived in the state folder" \
    test -f "$tmp/fr/state/processed/de-fr-border-2026.DE-BKA.FR-DGSI.00000000000000000001.bundle"
has "in: ... the FIFO refused" "$tmp/err" "fifo\\.bundle: refused .*fifo"
has "in: ... the link refused" "$tmp/err" "link\\.bundle: refused .*symbolic link"
ok "in: ... both left as they were" test -p "$box/fifo.bundle" -a -L "$box/link.bundle"
rm -f "$box/fifo.bundle" "$box/link.bundle"

# --- a full disk under the state folder ------------------------------------
# The receiver's state on a tmpfs m3, filled until there is room for the
# claimed bundle but not for its verified records as well.
for i in $(seq 2 1200); do rec; done
run timeout 120 sh "$xout" -q "$tmp/de/out.conf"
is "out: a large bundle: exit 0" "$status" 0
bsize=$(stat -c %s "$box/"*.bundle)
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$tmp/m3" || skip_all "tmpfs"
mounts="$mounts $tmp/m3"
sed 's|^state state$|state ../m3/state|' "$tmp/fr/in.conf" >"$tmp/fr/full.conf"
mkdir -m 700 "$tmp/m3/state"
avail=$(df -k --output=avail "$tmp/m3" | tail -n 1 | tr -d ' ')
fill=$((avail - (bsize * 3 / 2) / 1024 - 8))
dd if=/dev/zero of="$tmp/m3/filler" bs=1024 count="$fill" status=none
run timeout 120 sh "$xin" "$tmp/fr/full.conf"
is "full disk: exit 1" "$status" 1
has "full disk: ... intel-verify cannot write, the bundle stays pending" \
    "$tmp/err" "intel-verify exit 74; the bundle stays pending"
is "full disk: ... nothing merged" "$(in_store 2)" 0
is "full disk: ... nothing rejected" \
    "$(ls "$tmp/m3/state/rejected" | wc -l | tr -d ' ')" 0
is "full disk: ... the claimed bundle waits in the state folder" \
    "$(ls "$tmp/m3/state/intel-exchange-in" | grep -c '\.bundle$')" 1
rm -f "$tmp/m3/filler"
run timeout 120 sh "$xin" "$tmp/fr/full.conf"
is "full disk: room again: the next run finishes it: exit 0" "$status" 0
is "full disk: ... every record merged" "$(in_store 2)$(in_store 1200)" 11
is "full disk: ... not taken for a replay" \
    "$(ls "$tmp/m3/state/rejected" | wc -l | tr -d ' ')" 0


done_testing
