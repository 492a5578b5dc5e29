#!/bin/sh
# The scale-out recipes of intel(7) (SCALING OUT), for real, with GNU
# parallel driving two "hosts" of this machine: the local one (:) and an
# sshd started here on 127.0.0.1 on a spare port with throwaway keys.
#   sender:   parallel --pipe splits the input; each chunk is packed,
#             redacted and signed on one host into its own bundle, with
#             --seq from the chunk number {#}; or packed and redacted
#             across hosts and signed here in chunk order with the shared
#             counter of --state
#   receiver: each bundle verified on one host or the other, the partial
#             results merged into the store
# The store equals the one a single host makes of the same bundles, byte
# for byte, and the one of a single run (one bundle) but for the bundle
# ids; a tampered chunk makes the recipe fail and leaves the store alone.
# INTEL_SKIP_PARALLEL=1 skips it (a package build does: it starts an sshd).
. "${top_srcdir:-.}/tests/lib.sh"

case ${INTEL_SKIP_PARALLEL:-0} in
0 | '') ;;
*) skip_all "INTEL_SKIP_PARALLEL is set" ;;
esac
parallel --version 2>/dev/null | grep -q 'GNU parallel' ||
    skip_all "GNU parallel is not installed"
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || skip_all "sshd is not installed"
for t in ssh ssh-keygen timeout; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
done
need_tools

# --- the second host: sshd on 127.0.0.1 --------------------------------
s=$tmp/ssh
mkdir "$s"
ssh-keygen -q -t ed25519 -N '' -C intel-test-host -f "$s/host" ||
    skip_all "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C intel-test-client -f "$s/client"
cp "$s/client.pub" "$s/authorized_keys"
sshd_pid=
made_privsep=0
stop_sshd() {
	if [ -n "$sshd_pid" ]; then
		kill "$sshd_pid" 2>/dev/null
		wait "$sshd_pid" 2>/dev/null
		sshd_pid=
	fi
	if [ "$made_privsep" = 1 ]; then
		rmdir /run/sshd 2>/dev/null
		made_privsep=0
	fi
}
trap 'stop_sshd; chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# sshd run by root wants its privilege separation folder (made at boot by
# openssh-server, missing in a container): made here if missing, and
# removed at the end.
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
	mkdir -m 0755 /run/sshd && made_privsep=1
fi
port=
for try in 1 2 3 4 5 6 7 8; do
	p=$((20000 + ($$ * 7 + try * 7919) % 40000))
	cat >"$s/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $p
HostKey $s/host
AuthorizedKeysFile $s/authorized_keys
PidFile $s/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $(id -un)
EOF
	: >"$s/sshd.log"
	"$sshd" -D -f "$s/sshd_config" -E "$s/sshd.log" &
	sshd_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		grep -q 'Server listening' "$s/sshd.log" && break
		kill -0 "$sshd_pid" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	if grep -q 'Server listening' "$s/sshd.log" &&
	    kill -0 "$sshd_pid" 2>/dev/null; then
		port=$p
		break
	fi
	kill "$sshd_pid" 2>/dev/null
	wait "$sshd_pid" 2>/dev/null
	sshd_pid=
done
if [ -z "$port" ]; then
	sed 's/^/# sshd: /' "$s/sshd.log"
	stop_sshd
	skip_all "sshd does not start here"
fi
cat >"$s/ssh" <<EOF
#!/bin/sh
exec ssh -p $port -i $s/client -o StrictHostKeyChecking=no \\
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \\
    -o ConnectTimeout=10 "\$@"
EOF
chmod +x "$s/ssh"
run timeout 30 "$s/ssh" 127.0.0.1 'echo "$SSH_CONNECTION"'
is "ssh to the second host: 0" "$status" 0
has "ssh to the second host: over sshd on port $port" "$tmp/out" \
    " $port\$"
hosts="1/:,1/$s/ssh 127.0.0.1"
logins() {
	grep -c 'Accepted publickey' "$s/sshd.log" || :
}
before=$(logins)

# --- the agreement, the key, the input ---------------------------------
cp "$fixtures/agreements/trilateral.yaml" \
    "$fixtures/agreements/trilateral.psk" "$fixtures/bundle/DE-BKA.key" \
    "$tmp/"
chmod 600 "$tmp/trilateral.psk" "$tmp/DE-BKA.key"
ag=$tmp/trilateral.yaml
key=$tmp/DE-BKA.key
sh "$top_srcdir/scripts/gen-records" -n 1500 >"$tmp/raw.ndjson"
block=60k

# pl ARGS...: GNU parallel over both hosts, every wait bounded; the tools
# found on the second host by the PATH of this one.
pl() {
	timeout 300 parallel --sshlogin "$hosts" --env PATH --env INTEL_NOW \
	    --halt now,fail=1 "$@"
}

# --- one host, one run: the reference ----------------------------------
(umask 077 && head -c 32 /dev/urandom >"$tmp/id.key")
intel-pack -q --id-key "$tmp/id.key" "$tmp/raw.ndjson" |
    intel-redact -q -a "$ag" --from DE-BKA --to FR-DGSI >"$tmp/one.ndjson"
intel-sign -q -a "$ag" -k "$key" --to FR-DGSI --seq 1 "$tmp/one.ndjson" \
    >"$tmp/one.bundle"
intel-verify -q -a "$ag" --to FR-DGSI "$tmp/one.bundle" |
    intel-merge -q -s "$tmp/store.one"
released=$(wc -l <"$tmp/one.ndjson" | tr -d ' ')
ok "the single run releases records" [ "$released" -gt 100 ]

# --- sender: pack | redact | sign per chunk, --seq {#} ------------------
mkdir "$tmp/out1"
pl --pipe --block "$block" --results "$tmp/out1/{#}.bundle" \
    "intel-pack -q --id-key $tmp/id.key | intel-redact -q -a $ag --from DE-BKA --to FR-DGSI |
    intel-sign -q -a $ag -k $key --to FR-DGSI --seq {#}" \
    <"$tmp/raw.ndjson" >/dev/null 2>"$tmp/pl.err"
is "sender, --seq {#}: parallel: 0" "$?" 0
empty "sender, --seq {#}: no message" "$tmp/pl.err"
n=$(find "$tmp/out1" -name '*.bundle' | wc -l | tr -d ' ')
ok "sender: several chunks ($n)" [ "$n" -ge 4 ]
cat "$tmp"/out1/*.bundle.err >"$tmp/errs"
empty "sender: no chunk says anything" "$tmp/errs"
i=1
: >"$tmp/seqs"
while [ $i -le "$n" ]; do
	sed -n '1s/.*"seq":\([0-9]*\).*/\1/p' "$tmp/out1/$i.bundle" \
	    >>"$tmp/seqs"
	i=$((i + 1))
done
is "sender: bundle N has seq N" "$(tr '\n' ' ' <"$tmp/seqs")" \
    "$(seq 1 "$n" | tr '\n' ' ')"
# Both hosts did some of the work.
ok "sender: the second host took chunks" [ "$(logins)" -gt "$before" ]
for i in $(seq 1 "$n"); do
	sed '1d;$d' "$tmp/out1/$i.bundle"
done | sort >"$tmp/split.records"
sort "$tmp/one.ndjson" >"$tmp/one.records"
ok "sender: the chunks' records are the single run's" \
    cmp -s "$tmp/split.records" "$tmp/one.records"

# --- sender: pack | redact across hosts, signed here with --state --------
mkdir "$tmp/red" "$tmp/out2"
pl --pipe --block "$block" --results "$tmp/red/{#}.ndjson" \
    "intel-pack -q --id-key $tmp/id.key | intel-redact -q -a $ag --from DE-BKA --to FR-DGSI" \
    <"$tmp/raw.ndjson" >/dev/null 2>"$tmp/pl.err"
is "sender, shared counter: parallel: 0" "$?" 0
n2=$(find "$tmp/red" -name '*.ndjson' | wc -l | tr -d ' ')
st2=0
for i in $(seq 1 "$n2"); do
	intel-sign -q -a "$ag" -k "$key" --to FR-DGSI \
	    --state "$tmp/sign-state" "$tmp/red/$i.ndjson" \
	    >"$tmp/out2/$i.bundle" || st2=1
done
is "sender, shared counter: every chunk signed" "$st2" 0
is "sender, shared counter: seqs 1..N in chunk order" \
    "$(for i in $(seq 1 "$n2"); do
	sed -n '1s/.*"seq":\([0-9]*\).*/\1/p' "$tmp/out2/$i.bundle"
    done | tr '\n' ' ')" "$(seq 1 "$n2" | tr '\n' ' ')"

# --- receiver: verify per bundle across hosts, merge the parts ----------
# receive DIR N STORE: the recipe on bundles DIR/1.bundle..DIR/N.bundle.
receive() {
	rm -rf "$tmp/parts"
	mkdir "$tmp/parts"
	seq 1 "$2" | sed "s|.*|$1/&.bundle|" |
	    pl --results "$tmp/parts/{#}.ndjson" \
	    "intel-verify -q -a $ag --to FR-DGSI {}" \
	    >/dev/null 2>"$tmp/rx.err" &&
	    intel-merge -q -s "$3" "$tmp"/parts/*.ndjson
}
# The same bundles on one host: verified in seq order with replay
# protection, merged at once.
single() {
	seq 1 "$2" | sed "s|.*|$1/&.bundle|" | tr '\n' '\0' |
	    xargs -0 intel-verify -q -a "$ag" --to FR-DGSI --state "$3.state" |
	    intel-merge -q -s "$3"
}
receive "$tmp/out1" "$n" "$tmp/store.split"
is "receiver: parallel and merge: 0" "$?" 0
empty "receiver: no message" "$tmp/rx.err"
cat "$tmp"/parts/*.err >"$tmp/errs"
empty "receiver: no bundle says anything" "$tmp/errs"
single "$tmp/out1" "$n" "$tmp/store.host"
ok "receiver: the store is the single host's, byte for byte" \
    cmp "$tmp/store.split" "$tmp/store.host"
is "receiver: every released record is in the store" \
    "$(wc -l <"$tmp/store.split" | tr -d ' ')" "$released"
# Against the single run's store: only the bundle ids differ.
nobundle() {
	sed 's/"bundle":"[0-9a-f]*"/"bundle":""/' "$1"
}
nobundle "$tmp/store.split" >"$tmp/a"
nobundle "$tmp/store.one" >"$tmp/b"
ok "receiver: the store is the single run's but for the bundle ids" \
    cmp "$tmp/a" "$tmp/b"
receive "$tmp/out2" "$n2" "$tmp/store.split2"
is "receiver, shared counter bundles: 0" "$?" 0
nobundle "$tmp/store.split2" >"$tmp/a"
ok "receiver, shared counter bundles: the same store but for bundle ids" \
    cmp "$tmp/a" "$tmp/b"

# --- a tampered chunk: the recipe fails, the store is untouched ---------
mkdir "$tmp/bad"
cp "$tmp"/out1/*.bundle "$tmp/bad/"
# One byte more on a record line: no longer canonical, no longer what
# was signed.
sed '2s/}$/ }/' "$tmp/out1/2.bundle" >"$tmp/bad/2.bundle"
nok "tamper: a chunk changed" cmp -s "$tmp/bad/2.bundle" "$tmp/out1/2.bundle"
cp "$tmp/store.split" "$tmp/store.keep"
cp "$tmp/store.split" "$tmp/store.bad"
receive "$tmp/bad" "$n" "$tmp/store.bad"
st=$?
nok "tamper: the recipe fails" [ "$st" -eq 0 ]
has "tamper: parallel names the job" "$tmp/rx.err" 'bad/2\.bundle'
cat "$tmp"/parts/*.err >"$tmp/errs"
has "tamper: intel-verify says why" "$tmp/errs" '^intel-verify: .*2\.bundle'
ok "tamper: the store is untouched" cmp -s "$tmp/store.bad" "$tmp/store.keep"

stop_sshd
ok "sshd stopped" [ -z "$sshd_pid" ]
done_testing
