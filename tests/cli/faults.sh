#!/bin/sh
# Fault injection through the binaries (issue 7): a full disk (/dev/full, a
# small tmpfs), a broken standard output, directories and vanished files
# given as inputs, a state folder that cannot be written, a lock held by a
# killed process, and runs interrupted by SIGINT and SIGKILL.  Each case
# checks the exit status, the message and that nothing (or nothing
# partial) was written.  A tool's cases are skipped when it is not built.
. "${top_srcdir:-.}/tests/lib.sh"

have() { command -v "$1" >/dev/null 2>&1; }
have intel-pack || have intel-redact || have intel-sign ||
    have intel-verify || have intel-merge || skip_all "no tool built"

mnt=
shm=
holder=
cleanup() {
	[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	[ -n "$shm" ] && rm -rf "$shm"
	chmod -R u+rwx "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The names in a folder, hidden ones included, on one line.
now() { date +%s.%N; }
skip() {
	tap_n=$((tap_n + 1))
	printf 'ok %d # SKIP %s\n' "$tap_n" "$1"
}
# Runs CMD with stdout to FILE: run_to FILE CMD...
run_to() {
	f=$1
	shift
	status=0
	"$@" >"$f" 2>"$tmp/err" || status=$?
}
# No sanitizer report, no core in what a run said.
clean_err() {
	hasnt "$1: no crash report" "$tmp/err" \
	    'AddressSanitizer|runtime error:|LeakSanitizer|core dumped|Segmentation'
}

ag=$tmp/ag
mkdir "$ag"
cp "$fixtures/agreements/trilateral.yaml" "$fixtures/agreements/trilateral.psk" \
    "$fixtures/bundle/DE-BKA.key" "$ag/"
chmod 600 "$ag/trilateral.psk" "$ag/DE-BKA.key"
A=$ag/trilateral.yaml
K=$ag/DE-BKA.key
# The prefix of the commands: $ex is empty, or exec for runs started in
# the background (so that $! is the tool's own process); $pre is empty, or
# env --default-signal=INT (a non-interactive shell starts background
# jobs with SIGINT ignored, and the tools respect an ignored signal).
ex=
pre=

# Each tool, with the input kind it reads appended by the caller.
t_pack() { $ex $pre intel-pack -q "$@"; }
t_redact() { $ex $pre intel-redact -q -a "$A" --from DE-BKA --to FR-DGSI "$@"; }
t_sign() { $ex $pre intel-sign -q -a "$A" -k "$K" --to FR-DGSI --seq 7 "$@"; }
t_verify() { $ex $pre intel-verify -q -a "$A" --to FR-DGSI "$@"; }
t_merge() { $ex $pre intel-merge -q "$@"; }

## Inputs: small fixture records, a middle-sized set (more than a 64 KB
## disk holds once written) and a big one (a run lasts about a second),
## each as raw records, redacted records, a bundle and verified records.
n=12000
[ -n "${INTEL_VALGRIND:-}" ] && n=1500
gen=$top_srcdir/scripts/gen-records
w=$tmp/w
mkdir "$w"
cp "$fixtures/bundle/records.ndjson" "$w/small.raw"
sh "$gen" -n 300 -s 3 >"$w/mid.raw"
sh "$gen" -n "$n" -s 5 >"$w/big.raw"
span_redact=1 span_sign=1 span_verify=1
for s in small mid big; do
	cp "$w/$s.raw" "$w/$s.red"
	if have intel-redact; then
		t0=$(now)
		t_redact "$w/$s.raw" >"$w/$s.red" 2>/dev/null
		span_redact=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	fi
	if have intel-sign; then
		t0=$(now)
		t_sign "$w/$s.red" >"$w/$s.bundle" 2>/dev/null
		span_sign=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	fi
	cp "$w/$s.red" "$w/$s.ver"
	if have intel-verify; then
		t0=$(now)
		t_verify "$w/$s.bundle" >"$w/$s.ver" 2>/dev/null
		span_verify=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	fi
done
printf '# %d records: redact %ss, sign %ss, verify %ss\n' "$n" \
    "$span_redact" "$span_sign" "$span_verify"
# For the broken pipes: several hundred KB out of every tool, quickly.
head -n 3000 "$w/big.raw" >"$w/pipe.raw"
head -n 3000 "$w/big.red" >"$w/pipe.red"
head -n 3000 "$w/big.ver" >"$w/pipe.ver"
cp "$w/pipe.red" "$w/pipe.bundle"
have intel-sign && t_sign "$w/pipe.red" >"$w/pipe.bundle" 2>/dev/null
# What each tool reads.
input() {
	case $1 in
	pack|redact) echo "$w/$2.raw" ;;
	sign) echo "$w/$2.red" ;;
	verify) echo "$w/$2.bundle" ;;
	merge) echo "$w/$2.ver" ;;
	esac
}
# (verify's bundles come from intel-sign: no sign, no verify cases.)
o_tools=
for t in pack redact sign verify; do
	have "intel-$t" || continue
	[ "$t" = verify ] && ! have intel-sign && continue
	o_tools="$o_tools $t"
done
all_tools=$o_tools
have intel-merge && all_tools="$all_tools merge"

## A full disk: /dev/full.
if [ -w /dev/full ]; then
	for t in $o_tools; do
		run "t_$t" -o /dev/full "$(input "$t" small)"
		is "$t -o /dev/full: 74" "$status" 74
		has "$t -o /dev/full: says so" "$tmp/err" 'No space left on device'
		empty "$t -o /dev/full: nothing on stdout" "$tmp/out"
	done
	for t in $all_tools; do
		run_to /dev/full "t_$t" "$(input "$t" small)"
		is "$t >/dev/full: 74" "$status" 74
		has "$t >/dev/full: says so" "$tmp/err" 'No space left on device'
	done
	if have intel-redact; then
		run t_redact --withheld /dev/full "$w/mid.raw"
		is "redact --withheld /dev/full: 74" "$status" 74
		run t_redact --audit /dev/full "$w/small.raw"
		is "redact --audit /dev/full: 74" "$status" 74
	fi
	if have intel-merge; then
		run t_merge --hits /dev/full -s "$w/hstore" "$w/small.ver" \
		    "$fixtures/merge/day1.ndjson" "$fixtures/merge/day2.ndjson"
		is "merge --hits /dev/full: 74" "$status" 74
		has "merge --hits /dev/full: says so" "$tmp/err" \
		    'No space left on device'
	fi
else
	skip "/dev/full is not writable"
fi

## A full disk: a 64 KB tmpfs (root only).
m=$tmp/mnt
mkdir "$m"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$m" 2>/dev/null; then
	mnt=$m
	for t in $o_tools; do
		echo old >"$m/out"
		run "t_$t" -o "$m/out" "$(input "$t" mid)"
		is "$t -o on a full tmpfs: 74" "$status" 74
		has "$t -o on a full tmpfs: says so" "$tmp/err" \
		    'No space left on device'
		is "$t -o on a full tmpfs: the old file kept" "$(cat "$m/out")" old
		is "$t -o on a full tmpfs: no temporary file" "$(names "$m")" "out "
		rm -f "$m/out"
		run "t_$t" -o "$m/out" "$(input "$t" mid)"
		is "$t -o new file on a full tmpfs: 74" "$status" 74
		is "$t -o new file on a full tmpfs: no file at all" "$(names "$m")" ""
	done
	if have intel-merge; then
		head -n 40 "$w/mid.ver" >"$w/h40"
		t_merge "$w/h40" >"$m/store" 2>/dev/null
		cp "$m/store" "$w/store-before"
		run t_merge -s "$m/store" "$w/mid.ver"
		is "merge -s on a full tmpfs: 74" "$status" 74
		has "merge -s on a full tmpfs: says so" "$tmp/err" \
		    'No space left on device'
		ok "merge -s on a full tmpfs: the old store kept" \
		    cmp -s "$m/store" "$w/store-before"
		is "merge -s on a full tmpfs: no temporary file" "$(names "$m")" \
		    "store store.lock "
	fi
	umount "$m" && mnt=
else
	skip "cannot mount a small tmpfs (needs root)"
fi

## Files under /dev/shm are files: -o replaces them, merge -s rewrites the
## store (neither appends to what was there).
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
    shm=$(mktemp -d /dev/shm/intel-faults.XXXXXX 2>/dev/null); then
	for t in $o_tools; do
		[ "$t" = sign ] && continue	# a bundle id is random
		"t_$t" "$(input "$t" small)" >"$w/want" 2>/dev/null
		echo old >"$shm/out"
		run "t_$t" -o "$shm/out" "$(input "$t" small)"
		is "$t -o /dev/shm/FILE: exit 0" "$status" 0
		ok "$t -o /dev/shm/FILE: replaced, not appended to" \
		    cmp -s "$shm/out" "$w/want"
	done
	if have intel-merge; then
		t_merge "$w/small.ver" "$w/mid.ver" >"$w/want" 2>/dev/null
		t_merge -s "$shm/store" "$w/small.ver" 2>/dev/null
		run t_merge -s "$shm/store" "$w/mid.ver"
		is "merge -s /dev/shm/STORE: exit 0" "$status" 0
		ok "merge -s /dev/shm/STORE: the store rewritten, not appended to" \
		    cmp -s "$shm/store" "$w/want"
	fi
	rm -rf "$shm"
	shm=
else
	skip "no writable /dev/shm"
fi

## A broken standard output: `TOOL big | head -n1`.  The tools either die
## of SIGPIPE (141 in the shell) or, where SIGPIPE is ignored, say
## "Broken pipe" and exit 74; never a crash and never 0.
for t in $all_tools; do
	f=$(input "$t" pipe)
	( "t_$t" "$f" 2>"$tmp/err"; echo $? >"$tmp/st" ) | head -n1 >/dev/null
	st=$(cat "$tmp/st")
	case $st in
	141) _tap 0 "$t | head -n1: died of SIGPIPE (141)" ;;
	74) has "$t | head -n1: 74, says Broken pipe" "$tmp/err" 'Broken pipe' ;;
	*) _tap 1 "$t | head -n1: 141 or 74, got $st" ;;
	esac
	clean_err "$t | head -n1"
	# And with SIGPIPE ignored, as under some daemons and CI runners.
	if env --ignore-signal=PIPE true 2>/dev/null; then
		( pre="env --ignore-signal=PIPE"; "t_$t" "$f" 2>"$tmp/err"
		    echo $? >"$tmp/st" ) | head -n1 >/dev/null
		is "$t | head -n1, SIGPIPE ignored: 74" "$(cat "$tmp/st")" 74
		has "$t | head -n1, SIGPIPE ignored: says Broken pipe" \
		    "$tmp/err" 'Broken pipe'
	fi
done

## Inputs that are directories, or that vanished.
adir=$w/adir
mkdir "$adir"
ln -s "$w/gone" "$w/dangling"
for t in $all_tools; do
	for f in "$adir" "$w/dangling"; do
		what="a directory"
		[ "$f" = "$adir" ] || what="a vanished file"
		run "t_$t" "$f"
		is "$t, $what as input: 66" "$status" 66
		has "$t, $what as input: says so" "$tmp/err" \
		    "$(basename "$f"): ([Ii]s a directory|No such file)"
		empty "$t, $what as input: nothing on stdout" "$tmp/out"
		if [ "$t" != merge ]; then
			run "t_$t" -o "$w/o" "$f"
			ok "$t -o, $what as input: no output file" test ! -e "$w/o"
		fi
	done
done
if have intel-pack; then
	run t_pack "$w/small.raw" "$w/dangling" "$w/small.raw"
	is "pack GOOD VANISHED GOOD: 66" "$status" 66
	is "pack GOOD VANISHED GOOD: the good files still packed" \
	    "$(wc -l <"$tmp/out" | tr -d ' ')" 4
fi
if have intel-redact; then
	run intel-redact -a "$adir" --from DE-BKA --to FR-DGSI "$w/small.raw"
	is "redact -a DIRECTORY: 66" "$status" 66
	empty "redact -a DIRECTORY: nothing on stdout" "$tmp/out"
fi
if have intel-sign; then
	run intel-sign -a "$A" -k "$adir" --to FR-DGSI "$w/small.red"
	is "sign -k DIRECTORY: 66" "$status" 66
	empty "sign -k DIRECTORY: nothing on stdout" "$tmp/out"
fi
if have intel-verify; then
	run intel-verify --check-audit "$adir"
	is "verify --check-audit DIRECTORY: 66" "$status" 66
	has "verify --check-audit DIRECTORY: says so" "$tmp/err" \
	    '[Ii]s a directory'
fi
if have intel-merge; then
	run t_merge -s "$adir" "$w/small.ver"
	is "merge -s DIRECTORY: 66" "$status" 66
	empty "merge -s DIRECTORY: nothing on stdout" "$tmp/out"
fi

## A state folder that cannot be written: a path under a regular file.
echo x >"$w/afile"
if have intel-sign; then
	run t_sign --state "$w/afile/state" -o "$w/o" "$w/small.red"
	is "sign --state under a file: 73" "$status" 73
	has "sign --state under a file: says so" "$tmp/err" 'Not a directory'
	ok "sign --state under a file: no output file" test ! -e "$w/o"
	run t_sign --state "$w/afile/state" "$w/small.red"
	empty "sign --state under a file: nothing on stdout" "$tmp/out"
fi
if have intel-verify; then
	run t_verify --state "$w/afile/state" -o "$w/o" "$w/small.bundle"
	is "verify --state under a file: 73" "$status" 73
	has "verify --state under a file: says so" "$tmp/err" 'Not a directory'
	ok "verify --state under a file: no output file" test ! -e "$w/o"
fi

## A lock held by a process that was then killed: a run waits while the
## lock is held and goes on once its holder is gone.
# hold FILE: locks FILE in a process of its own (flock dies with it).
hold() {
	sh -c 'exec 9>>"$1"; flock 9; exec sleep 60' sh "$1" &
	holder=$!
	sleep 0.5
}
release() {
	kill -9 "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	holder=
}
if have flock && have timeout; then
	if have intel-sign; then
		st=$w/state
		intel-sign -q -a "$A" -k "$K" --to FR-DGSI --state "$st" \
		    "$w/small.red" >/dev/null 2>&1
		lock=$(ls "$st"/*.lock 2>/dev/null | head -n1)
		ok "sign --state: a lock file beside the counter" test -n "$lock"
		hold "$lock"
		run timeout 2 intel-sign -q -a "$A" -k "$K" --to FR-DGSI \
		    --state "$st" "$w/small.red"
		is "sign --state: waits while another holds the lock" "$status" 124
		release
		run timeout 60 intel-sign -q -a "$A" -k "$K" --to FR-DGSI \
		    --state "$st" "$w/small.red"
		is "sign --state: goes on once the holder is killed" "$status" 0
		has "sign --state: ... with the next seq" "$tmp/out" '"seq":2,'
	fi
	if have intel-merge; then
		t_merge -s "$w/lstore" "$w/small.ver" 2>/dev/null
		hold "$w/lstore.lock"
		run timeout 2 intel-merge -q -s "$w/lstore" "$w/mid.ver"
		is "merge -s: waits while another holds STORE.lock" "$status" 124
		release
		run timeout 60 intel-merge -q -s "$w/lstore" "$w/mid.ver"
		is "merge -s: goes on once the holder is killed" "$status" 0
	fi
	if have intel-redact; then
		t_redact --audit "$w/audit" "$w/small.raw" >/dev/null 2>&1
		hold "$w/audit"
		run timeout 2 intel-redact -q -a "$A" --from DE-BKA --to FR-DGSI \
		    --audit "$w/audit" "$w/small.raw"
		is "redact --audit: waits while another holds the log" "$status" 124
		release
		run timeout 60 intel-redact -q -a "$A" --from DE-BKA --to FR-DGSI \
		    --audit "$w/audit" "$w/small.raw"
		is "redact --audit: goes on once the holder is killed" "$status" 0
		if have intel-verify; then
			run intel-verify --check-audit "$w/audit"
			is "redact --audit: the chain holds after it" "$status" 0
		fi
	fi
else
	skip "flock(1) or timeout(1) missing"
fi

## Interrupted runs: SIGINT and SIGKILL during redact, sign, verify and
## merge.  The output file is the old one or the whole new one, never a
## part; SIGINT leaves no temporary file; a run after a SIGKILL is not
## disturbed by what the killed one left.
if env --default-signal=INT true 2>/dev/null; then
	intpre="env --default-signal=INT"
else
	intpre=
fi
# same TOOL FILE: FILE is the whole output of TOOL on the big input (for
# sign: a bundle that verifies to the same records).
same() {
	case $1 in
	redact) cmp -s "$2" "$w/big.red" ;;
	verify) cmp -s "$2" "$w/big.ver" ;;
	sign)	have intel-verify || return 0
		# The bundle id is random: the same number of records verified.
		t_verify "$2" >"$w/same" 2>/dev/null &&
		    [ "$(wc -l <"$w/same")" = "$(wc -l <"$w/big.ver")" ] ;;
	esac
}
for t in redact sign verify; do
	case " $o_tools " in *" $t "*) ;; *) continue ;; esac
	eval "span=\$span_$t"
	delay=$(awk -v s="$span" 'BEGIN { printf "%.3f", s * 0.4 }')
	o=$w/int-$t
	mkdir "$o"
	for sig in INT KILL; do
		if [ "$sig" = INT ] && [ -z "$intpre" ]; then
			skip "env --default-signal missing: no SIGINT case"
			continue
		fi
		echo old >"$o/out"
		p=
		[ "$sig" = INT ] && p=$intpre
		(ex=exec pre=$p; "t_$t" -o "$o/out" "$(input "$t" big)") \
		    2>"$tmp/err" &
		pid=$!
		sleep "$delay"
		kill -"$sig" "$pid" 2>/dev/null
		st=0
		wait "$pid" || st=$?
		clean_err "$t killed by SIG$sig"
		if [ "$st" -eq 0 ]; then
			printf '# %s finished before SIG%s\n' "$t" "$sig"
			ok "$t, SIG$sig too late: the whole new output" same "$t" "$o/out"
			continue
		fi
		want=130
		[ "$sig" = KILL ] && want=137
		is "$t killed by SIG$sig: status $want" "$st" "$want"
		# A signal that lands after the rename but before exit finds the
		# whole new output in place: that is as good as the old one.
		if [ "$(cat "$o/out")" = old ] || same "$t" "$o/out"; then
			_tap 0 "$t killed by SIG$sig: the old output file kept, or the whole new one"
		else
			_tap 1 "$t killed by SIG$sig: the old output file kept, or the whole new one"
		fi
		if [ "$sig" = INT ]; then
			is "$t killed by SIGINT: no temporary file" "$(names "$o")" "out "
		else
			left=$(names "$o" | tr ' ' '\n' | grep -c '^\.' || :)
			printf '# %s killed by SIGKILL left %s temporary file(s)\n' \
			    "$t" "$left"
			run "t_$t" -o "$o/out" "$(input "$t" big)"
			is "$t after a SIGKILL: the next run exits 0" "$status" 0
			ok "$t after a SIGKILL: the next run writes the whole output" \
			    same "$t" "$o/out"
		fi
	done
done
if have intel-merge; then
	o=$w/int-merge
	mkdir "$o"
	t_merge "$w/small.ver" >"$o/old" 2>/dev/null
	cp "$o/old" "$o/new"
	t0=$(now)
	t_merge -s "$o/new" "$w/big.ver" 2>/dev/null
	span=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	delay=$(awk -v s="$span" 'BEGIN { printf "%.3f", s * 0.4 }')
	rm -f "$o/new.lock"
	for sig in INT KILL; do
		[ "$sig" = INT ] && [ -z "$intpre" ] && continue
		cp "$o/old" "$o/store"
		p=
		[ "$sig" = INT ] && p=$intpre
		(ex=exec pre=$p; t_merge -s "$o/store" "$w/big.ver") 2>"$tmp/err" &
		pid=$!
		sleep "$delay"
		kill -"$sig" "$pid" 2>/dev/null
		st=0
		wait "$pid" || st=$?
		clean_err "merge killed by SIG$sig"
		if cmp -s "$o/store" "$o/old" || cmp -s "$o/store" "$o/new"; then
			_tap 0 "merge killed by SIG$sig ($st): the old or the new store"
		else
			_tap 1 "merge killed by SIG$sig ($st): the old or the new store"
		fi
		if [ "$sig" = INT ]; then
			# store.lock exists once the merge got to the store.
			is "merge killed by SIGINT: no temporary file" \
			    "$(names "$o" | sed 's/store\.lock //')" "new old store "
		else
			run t_merge -s "$o/store" "$w/big.ver"
			is "merge after a SIGKILL: exit 0" "$status" 0
			ok "merge after a SIGKILL: the new store" cmp -s "$o/store" "$o/new"
			is "merge after a SIGKILL: nothing left over" "$(names "$o")" \
			    "new old store store.lock "
		fi
	done
fi

done_testing
