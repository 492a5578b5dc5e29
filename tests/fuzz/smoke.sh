#!/bin/sh
# Smoke run of the libFuzzer targets (tests/fuzz/fuzz-*.c), when they are
# built (configure --enable-fuzzing); skipped otherwise.  Each target runs
# its regression inputs (tests/fuzz/regress/TARGET) and seed corpus, then
# fuzzes for FUZZ_SMOKE_SECONDS (default 10).  Any crash, leak, sanitizer
# report, timeout or broken invariant fails the test.
. "${top_srcdir:-.}/tests/lib.sh"

fz=$top_builddir/tests/fuzz
[ -x "$fz/fuzz-record" ] ||
    skip_all "fuzz targets not built (configure --enable-fuzzing)"
secs=${FUZZ_SMOKE_SECONDS:-10}
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export ASAN_OPTIONS

for t in fuzz-record fuzz-pack fuzz-agreement fuzz-verify fuzz-merge \
    fuzz-audit fuzz-age fuzz-scan; do
	if [ ! -x "$fz/$t" ]; then
		_tap 1 "$t: built"
		continue
	fi
	mkdir "$tmp/$t"
	regress=
	[ -d "$top_srcdir/tests/fuzz/regress/$t" ] &&
	    regress=$top_srcdir/tests/fuzz/regress/$t
	# New inputs go to $tmp/$t, never into the source tree.
	# shellcheck disable=SC2086
	run "$fz/$t" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -dict="$top_srcdir/tests/fuzz/intel.dict" \
	    -artifact_prefix="$tmp/$t/" "$tmp/$t" \
	    "$top_srcdir/tests/fuzz/corpus/$t" $regress
	is "$t: ${secs}s without a finding" "$status" 0
	if [ "$status" -ne 0 ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant|    #[0-9] )' \
		    "$tmp/err" | head -n 12 | sed 's/^/# /'
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/err" |
	    tail -n1)
	printf '# %s: %s executions\n' "$t" "${execs:-?}"
	has "$t: ran its seed corpus" "$tmp/err" 'INITED|DONE'
done
done_testing
