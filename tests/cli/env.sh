#!/bin/sh
# SPEC 9: every INTEL_* setting that is set but empty is a usage error (64),
# checked at start, with a message naming it; nothing is read or written.
. "${top_srcdir:-.}/tests/lib.sh"
need_tools
unset INTEL_ID_KEY || :
. "$top_srcdir/tests/cli/lib-bundle.sh"
key=$tmp/k/DE-BKA.key
intel-sign -q -a "$ag" -k "$key" --to FR-DGSI --seq 1 "$recs" >"$tmp/bundle"
ok "a bundle to verify" test -s "$tmp/bundle"

# tool_args TOOL: a run of TOOL that succeeds, writing $tmp/o.
tool_args() {
	case $1 in
	intel-pack) echo "--origin DE-BKA --type person -o $tmp/o $recs" ;;
	intel-redact) echo "-a $ag --from DE-BKA --to FR-DGSI -o $tmp/o $recs" ;;
	intel-sign) echo "-a $ag -k $key --to FR-DGSI --seq 2 -o $tmp/o $recs" ;;
	intel-verify) echo "-a $ag --to FR-DGSI -o $tmp/o $tmp/bundle" ;;
	intel-merge) echo "-s $tmp/o $recs" ;;
	esac
}

for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	rm -f "$tmp/o"
	# shellcheck disable=SC2046
	run $t -q $(tool_args $t)
	is "$t: the run succeeds as it is" "$status" 0
	ok "$t: ... and writes" test -s "$tmp/o"
	for v in INTEL_NOW INTEL_ID_KEY INTEL_AGREEMENT INTEL_KEY INTEL_PARTY; do
		rm -f "$tmp/o"
		# shellcheck disable=SC2046
		run env "$v=" $t -q $(tool_args $t)
		is "$t, $v set but empty: exit 64" "$status" 64
		has "$t, $v set but empty: the message names it" "$tmp/err" \
		    "^$t: $v is set but empty"
		is "$t, $v set but empty: one line on stderr" \
		    "$(wc -l <"$tmp/err" | tr -d ' ')" 1
		ok "$t, $v set but empty: nothing written" test ! -e "$tmp/o"
		empty "$t, $v set but empty: nothing on stdout" "$tmp/out"
	done
done

# The finding: INTEL_PARTY="" turned off intel-verify's recipient check.
intel-sign -q -a "$ag" -k "$key" --to NL-KMAR --seq 3 "$recs" >"$tmp/to-nl"
run env INTEL_PARTY= intel-verify -a "$ag" "$tmp/to-nl"
is "verify, INTEL_PARTY empty, bundle for another party: exit 64" "$status" 64
empty "... no record released" "$tmp/out"
run env INTEL_PARTY=FR-DGSI intel-verify -a "$ag" "$tmp/to-nl"
is "... with INTEL_PARTY set, the bundle is refused" "$status" 1
empty "... no record released" "$tmp/out"

# Checked at start: before the options, so even a bad option or a file that
# does not exist gives 64 for the empty setting.
run env INTEL_AGREEMENT= intel-redact --no-such-option
is "empty setting and an unknown option: 64" "$status" 64
has "... the setting is named" "$tmp/err" "^intel-redact: INTEL_AGREEMENT is set but empty"
run env INTEL_KEY= intel-sign -a "$ag" -k "$tmp/missing.key" --to FR-DGSI "$recs"
is "empty setting and a missing key: 64, not 66" "$status" 64
has "... the setting is named" "$tmp/err" "^intel-sign: INTEL_KEY is set but empty"
# Unset is not empty.
run env -u INTEL_PARTY intel-verify -q -a "$ag" --to FR-DGSI "$tmp/bundle"
is "unset INTEL_PARTY: no error" "$status" 0
done_testing
