#!/bin/sh
# The examples of intel(7), intel-exchange-out(1) and intel-exchange-in(1)
# work as shown: every "$ " command of their EXAMPLES runs, every output
# line shown there is printed, and the crontab lines run.
. "${top_srcdir:-.}/tests/lib.sh"

for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not built"
done
PATH=$top_srcdir/scripts:$PATH
man=$top_srcdir/man
# Keep the scripts' messages out of the machine's syslog.
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/logger"
chmod +x "$tmp/bin/logger"

# The shell commands of a page's EXAMPLES, one per line.
commands() {
	man_examples "$1"
}

# The output lines a page's EXAMPLES show after its commands.
shown() {
	man_examples "$1" "$tmp/man" && cat "$tmp/man"/*.out
}

# The first display of a page's EXAMPLES with a line matching REGEX.
block() {
	man_examples "$1" "$tmp/man" || return
	_b=1
	while [ -f "$tmp/man/block-$_b" ]; do
		if grep -Eq -- "$2" "$tmp/man/block-$_b"; then
			cat "$tmp/man/block-$_b"
			return
		fi
		_b=$((_b + 1))
	done
}

# runall PAGE DIR FILTER: runs the commands of PAGE in DIR, one after the
# other, each through the sed script FILTER; the transcript (stdout and
# stderr) goes to $tmp/transcript, the exit statuses to $tmp/statuses.
runall() {
	commands "$1" | sed "$3" >"$tmp/cmds"
	: >"$tmp/transcript"
	: >"$tmp/statuses"
	while IFS= read -r cmd; do
		case $cmd in
		*de-fr.yaml*) [ -f "$2/de-fr.yaml" ] || agreement "$2" ;;
		esac
		(cd "$2" && eval "$cmd") </dev/null >>"$tmp/transcript" 2>&1
		printf '%s ' "$?" >>"$tmp/statuses"
	done <"$tmp/cmds"
}

# Checks that every output line PAGE shows was printed.
check_shown() {
	shown "$1" | sed "$2" >"$tmp/shown"
	ok "$3: shows output" test -s "$tmp/shown"
	while IFS= read -r l; do
		if grep -Fxq -- "$l" "$tmp/transcript"; then
			_tap 0 "$3: prints \"$(printf '%.50s' "$l")...\""
		else
			_tap 1 "$3: prints \"$l\""
			sed 's/^/#   /' "$tmp/transcript"
		fi
	done <"$tmp/shown"
}

# agreement DIR: de-fr.yaml from intel(7), with the keys of the .pub
# files named in its comments, and the pseudonym key.
agreement() {
	block "$man/intel.7" '^intel_agreement:' >"$tmp/yaml"
	while IFS= read -r l; do
		case $l in
		*"# the key in "*.pub)
			f=${l##*# the key in }
			k=$(cut -d' ' -f1 "$1/$f")
			printf '%s\n' "$l" | sed "s|\"ed25519:[^\"]*\"|\"$k\"|"
			;;
		*) printf '%s\n' "$l" ;;
		esac
	done <"$tmp/yaml" >"$1/de-fr.yaml"
	[ -f "$1/de-fr.psk" ] || {
		printf 'a pseudonym key for the manual tests, 32+ bytes\n' \
		    >"$1/de-fr.psk"
		chmod 600 "$1/de-fr.psk"
	}
}

# --- intel(7): the walk-through --------------------------------------------
mkdir "$tmp/walk"
cp "$fixtures/sample/cases.csv" "$tmp/walk/"
runall "$man/intel.7" "$tmp/walk" ""
ok "intel(7): has a walk-through" test -s "$tmp/cmds"
ok "intel(7): the agreement of the page, with FR-DGSI's key" grep -Fq \
    "$(cut -d' ' -f1 "$tmp/walk/fr-dgsi.pub")" "$tmp/walk/de-fr.yaml"
is "intel(7): the commands exit as the page says (1 for the replay and the tampered bundle)" \
    "$(cat "$tmp/statuses")" "0 0 0 0 0 0 0 0 0 0 0 1 0 1 0 0 "
check_shown "$man/intel.7" "" "intel(7)"
has "intel(7): the store holds the tombstone" "$tmp/walk/store.ndjson" \
    '"id":"de-2026-0001".*"withdrawn":true'
hasnt "intel(7): no passport in clear in the bundle" "$tmp/walk/FR-DGSI.bundle" \
    'XK1234567'

# --- intel-exchange-out(1) and intel-exchange-in(1): two hosts -------------
# The paths of the pages, moved under a folder of the test.
at() {
	printf 's|/etc/intel|%s/etc/intel|g; s|/var/lib/intel|%s/var/lib/intel|g; s|/srv/exchange|%s/srv/exchange|g' \
	    "$1" "$1" "$1"
}
de=$tmp/de-host
fr=$tmp/fr-host
mkdir -p "$de/etc/intel" "$de/var/lib/intel/outgoing" \
    "$de/var/lib/intel/export" "$de/srv/exchange/FR-DGSI/outbox" "$de/home"
mkdir -p "$fr/etc/intel" "$fr/var/lib/intel" "$fr/srv/exchange/DE-BKA/inbox" \
    "$fr/home"
cp "$fixtures/sample/cases.csv" "$de/home/"
cp "$fixtures/sample/cases.csv" "$de/var/lib/intel/export/"

block "$man/intel-exchange-out.1" '^local ' | sed "$(at "$de")" \
    >"$de/etc/intel/exchange-out.conf"
has "intel-exchange-out(1): has a configuration" \
    "$de/etc/intel/exchange-out.conf" "^partner FR-DGSI "
# The agreement: DE-BKA's key as the page makes it, FR-DGSI's here.
commands "$man/intel-exchange-out.1" | grep -e '--keygen\|umask' |
    sed "$(at "$de")" >"$tmp/keygen"
ok "intel-exchange-out(1): makes the key" test -s "$tmp/keygen"
(cd "$de/home" && . "$tmp/keygen") </dev/null >/dev/null 2>&1
intel-sign -q --keygen --party FR-DGSI -o "$fr/etc/intel/fr-dgsi"
cp "$fr/etc/intel/fr-dgsi.pub" "$de/etc/intel/"
agreement "$de/etc/intel"
cp "$de/etc/intel/de-fr.yaml" "$de/etc/intel/de-fr.psk" "$fr/etc/intel/"
ok "the agreement holds DE-BKA's key, made as the page says" grep -Fq \
    "$(cut -d' ' -f1 "$de/etc/intel/de-bka.pub")" "$de/etc/intel/de-fr.yaml"

commands "$man/intel-exchange-out.1" | grep -v -e '--keygen\|umask' |
    sed "$(at "$de")" >"$tmp/cmds"
: >"$tmp/transcript"
: >"$tmp/statuses"
while IFS= read -r cmd; do
	(cd "$de/home" && eval "$cmd") </dev/null >>"$tmp/transcript" 2>&1
	printf '%s ' "$?" >>"$tmp/statuses"
done <"$tmp/cmds"
is "intel-exchange-out(1): its commands run" "$(cat "$tmp/statuses")" \
    "0 0 0 "
check_shown "$man/intel-exchange-out.1" "$(at "$de")" "intel-exchange-out(1)"

# The crontab lines: the command after the five time fields.
crontab() {
	block "$1" '^# m ' | grep -v -e '^#' -e '^[A-Z]*=' |
	    awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' |
	    sed "$2"
}
crontab "$man/intel-exchange-out.1" "$(at "$de")" >"$tmp/cron"
is "intel-exchange-out(1): two crontab lines" \
    "$(wc -l <"$tmp/cron" | tr -d ' ')" 2
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	(cd "$de/home" && sh -c "$cmd") </dev/null >"$tmp/out" 2>&1
	is "intel-exchange-out(1): crontab line $n runs" "$?" 0
	empty "intel-exchange-out(1): crontab line $n is quiet" "$tmp/out"
done <"$tmp/cron"
is "the crontab sent nothing twice" \
    "$(ls "$de/srv/exchange/FR-DGSI/outbox" | wc -l | tr -d ' ')" 1

# The transfer, then FR-DGSI's side.
cp "$de/srv/exchange/FR-DGSI/outbox/"*.bundle "$fr/srv/exchange/DE-BKA/inbox/"
# Arrived a while ago: settled (the settle setting, 60 s by default).
touch -d '2 minutes ago' "$fr/srv/exchange/DE-BKA/inbox/"*.bundle
block "$man/intel-exchange-in.1" '^local ' | sed "$(at "$fr")" \
    >"$fr/etc/intel/exchange-in.conf"
has "intel-exchange-in(1): has a configuration" \
    "$fr/etc/intel/exchange-in.conf" "^partner DE-BKA "
commands "$man/intel-exchange-in.1" | sed "$(at "$fr")" >"$tmp/cmds"
: >"$tmp/transcript"
: >"$tmp/statuses"
while IFS= read -r cmd; do
	(cd "$fr/home" && eval "$cmd") </dev/null >>"$tmp/transcript" 2>&1
	printf '%s ' "$?" >>"$tmp/statuses"
done <"$tmp/cmds"
is "intel-exchange-in(1): its commands run" "$(cat "$tmp/statuses")" \
    "0 0 0 "
check_shown "$man/intel-exchange-in.1" "$(at "$fr")" "intel-exchange-in(1)"
is "intel-exchange-in(1): the store has the two records" \
    "$(wc -l <"$fr/var/lib/intel/store.ndjson" | tr -d ' ')" 2
crontab "$man/intel-exchange-in.1" "$(at "$fr")" >"$tmp/cron"
is "intel-exchange-in(1): two crontab lines" \
    "$(wc -l <"$tmp/cron" | tr -d ' ')" 2
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	(cd "$fr/home" && sh -c "$cmd") </dev/null >"$tmp/out" 2>&1
	is "intel-exchange-in(1): crontab line $n runs" "$?" 0
	empty "intel-exchange-in(1): crontab line $n is quiet" "$tmp/out"
done <"$tmp/cron"

done_testing
