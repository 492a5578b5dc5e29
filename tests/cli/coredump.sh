#!/bin/sh
# SPEC 9, issue 12 item 6: a tool that holds a secret turns off core dumps
# before it reads one.  Each tool is started with core dumps allowed, made
# to block on a FIFO once its key is loaded, looked at through /proc, and
# killed with a signal that dumps core, which must leave no core file.
. "${top_srcdir:-.}/tests/lib.sh"
need_tools
[ -r /proc/self/limits ] || skip_all "no /proc/PID/limits"
command -v mkfifo >/dev/null 2>&1 || skip_all "no mkfifo"
(ulimit -c unlimited) 2>/dev/null || skip_all "cannot allow core dumps"
unset INTEL_ID_KEY || :
. "$top_srcdir/tests/cli/lib-bundle.sh"
key=$tmp/k/DE-BKA.key
intel-sign -q -a "$ag" -k "$key" --to FR-DGSI --seq 1 "$recs" >"$tmp/bundle"
case $(cat /proc/sys/kernel/core_pattern 2>/dev/null) in
core*) cores=1 ;;	# a core file would land in the working folder
*) cores=0 ;;
esac

# start NAME READY TOOL ARGS...: TOOL in the background in $tmp/NAME.wd,
# core dumps allowed, its input the FIFO $tmp/NAME.fifo; waits until
# stderr matches READY (the key is loaded) or, for READY "-", until the
# process sleeps.  Sets $pid.
start() {
	name=$1 ready=$2
	shift 2
	mkdir "$tmp/$name.wd"
	mkfifo "$tmp/$name.fifo"
	(cd "$tmp/$name.wd" && ulimit -c unlimited && exec "$@" "$tmp/$name.fifo" \
	    >"$tmp/$name.out" 2>"$tmp/$name.err") &
	pid=$!
	i=0
	while [ $i -lt 200 ]; do
		if [ "$ready" = - ]; then
			# state S, and the tool itself (not the shell or
			# the wrapper) running.
			if grep -q '^Max core file size  *0 ' \
			    "/proc/$pid/limits" 2>/dev/null &&
			    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = S ]
			then
				break
			fi
		elif grep -Eq "$ready" "$tmp/$name.err" 2>/dev/null; then
			break
		fi
		sleep 0.1 2>/dev/null || sleep 1
		i=$((i + 1))
	done
}

# check NAME WHAT: the limits of $pid, then SIGABRT and no core.
check() {
	has "$2: Max core file size is 0 (soft and hard)" "/proc/$pid/limits" \
	    '^Max core file size +0 +0 +bytes'
	# SIGABRT: a shell without job control starts background jobs with
	# SIGQUIT ignored; both signals dump core by default.
	kill -ABRT "$pid" 2>/dev/null
	st=0
	wait "$pid" || st=$?
	is "$2: SIGABRT ends it" "$st" 134
	if [ $cores = 1 ]; then
		is "$2: no core file" "$(ls "$tmp/$1.wd" | wc -l | tr -d ' ')" 0
	fi
	empty "$2: nothing on stdout" "$tmp/$1.out"
}

start sign 'key [0-9a-f]{16} of DE-BKA' \
    intel-sign -v -a "$ag" -k "$key" --to FR-DGSI --seq 2
has "intel-sign loaded its key and waits for input" "$tmp/sign.err" \
    'key [0-9a-f]{16} of DE-BKA'
check sign "intel-sign with its signing key"

start redact 'rule at line' intel-redact -v -a "$ag" --from DE-BKA --to FR-DGSI
has "intel-redact loaded the rule (pseudonym key) and waits" "$tmp/redact.err" \
    'rule at line'
check redact "intel-redact with the pseudonym key"

start pack - intel-pack --origin DE-BKA --type person
check pack "intel-pack"
start verify - intel-verify -a "$ag" --to FR-DGSI
check verify "intel-verify"
start merge - intel-merge
check merge "intel-merge"

# Not dumpable: /proc/PID then belongs to root, not to the user running the
# tool.  Seen by a user other than root; as root, the tool is run as nobody.
if [ "$(id -u)" -ne 0 ]; then
	start dump 'key [0-9a-f]{16} of DE-BKA' \
	    intel-sign -v -a "$ag" -k "$key" --to FR-DGSI --seq 3
	is "intel-sign is not dumpable (/proc/PID is root's)" \
	    "$(stat -c %u "/proc/$pid/status")" 0
	kill "$pid"
	wait "$pid" 2>/dev/null
elif command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	nb=$(id -u nobody)
	ng=$(id -g nobody)
	mkdir "$tmp/nb"
	cp "$ag" "$tmp/trilateral.psk" "$key" "$tmp/nb/"
	chown -R "$nb:$ng" "$tmp/nb"
	chmod 711 "$tmp"
	start dump 'key [0-9a-f]{16} of DE-BKA' setpriv --reuid="$nb" \
	    --regid="$ng" --clear-groups intel-sign -v -a "$tmp/nb/trilateral.yaml" \
	    -k "$tmp/nb/DE-BKA.key" --to FR-DGSI --seq 3
	has "intel-sign as nobody loaded its key" "$tmp/dump.err" \
	    'key [0-9a-f]{16} of DE-BKA'
	is "intel-sign is not dumpable (/proc/PID is root's, not nobody's)" \
	    "$(stat -c %u "/proc/$pid/status")" 0
	kill "$pid"
	wait "$pid" 2>/dev/null
	chmod 700 "$tmp"
fi
done_testing
