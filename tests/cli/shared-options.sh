#!/bin/sh
# SPEC 9 behaviour every binary shares: --help, --version, unknown options.
. "${top_srcdir:-.}/tests/lib.sh"

for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	[ -x "$top_builddir/$t" ] || continue
	run "$t" --help
	is "$t --help: exit 0" "$status" 0
	has "$t --help: usage on stdout" "$tmp/out" "^usage: $t "
	empty "$t --help: nothing on stderr" "$tmp/err"
	run "$t" -h
	is "$t -h: exit 0" "$status" 0
	run "$t" --version
	is "$t --version: exit 0" "$status" 0
	is "$t --version: name and version" "$(cat "$tmp/out")" "$t (intel-share) $PACKAGE_VERSION"
	run "$t" --no-such-option
	is "$t unknown option: 64" "$status" 64
	has "$t unknown option: usage on stderr" "$tmp/err" "^usage: $t "
	empty "$t unknown option: nothing on stdout" "$tmp/out"
done
done_testing
