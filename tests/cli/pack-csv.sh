#!/bin/sh
# intel-pack on CSV input (SPEC 4).
. "${top_srcdir:-.}/tests/lib.sh"
s=$fixtures/sample

run intel-pack --origin DE-BKA -f csv "$s/cases.csv"
is "csv: exit 0" "$status" 0
is "csv: three records (one row spans two lines)" "$(wc -l <"$tmp/out")" 3
has "csv: dotted columns nest, quotes and commas kept" "$tmp/out" \
    '"subject":\{"dob":"1979-04-12","name":"Kowalski, Jan","passport":"XK1234567","phone":"\+49 170 5551234"\}'
has "csv: doubled quotes read as one" "$tmp/out" 'said \\"for personal use\\"\."'
has "csv: a newline inside a quoted cell" "$tmp/out" 'van later found to carry\\nthree undocumented minors'
has "csv: lists split at ;" "$tmp/out" '"releasable_to":\["FR-DGSI","NL-KMAR"\]'
has "csv: empty cells absent" "$tmp/out" '"data":\{"narrative":"Observed near the Kehl bridge.","subject":\{"name":"Unknown male"\}\}'
hasnt "csv: no empty releasable_to" "$tmp/out" '"releasable_to":\[\]'
has "csv: location numbers stay text (cells are strings)" "$tmp/out" '"lat":"49.2354"'

run intel-pack --origin DE-BKA "$s/cases.csv"
is "a .csv file is read as CSV without -f" "$(wc -l <"$tmp/out")" 3
run intel-pack --origin DE-BKA -f csv - <"$s/cases.csv"
is "csv from stdin" "$(wc -l <"$tmp/out")" 3

printf 'id,type,version\na,person,1\nb,person,two\nc,person,3\n' >"$tmp/v.csv"
run intel-pack --origin DE-BKA "$tmp/v.csv"
is "csv: version not an integer: 65" "$status" 65
has "... at its line" "$tmp/err" "^intel-pack: $tmp/v.csv:3: column \"version\" must be an integer$"
is "... the row before it written" "$(wc -l <"$tmp/out")" 1
run intel-pack --skip-bad --origin DE-BKA "$tmp/v.csv"
is "csv --skip-bad: exit 0" "$status" 0
is "csv --skip-bad: two written" "$(wc -l <"$tmp/out")" 2

printf 'id,type,note\na,person,"two\nlines"\nb,person,x,y\n' >"$tmp/w.csv"
run intel-pack --origin DE-BKA "$tmp/w.csv"
is "csv: a row too wide: 65" "$status" 65
has "... at the line the row starts (after a two-line row)" "$tmp/err" "$tmp/w.csv:4: row has 4 cells, the header has 3 columns"

printf 'id,type,note\na,person,"open\n' >"$tmp/q.csv"
run intel-pack --origin DE-BKA "$tmp/q.csv"
is "csv: unclosed quote: 65" "$status" 65
has "... named" "$tmp/err" "$tmp/q.csv:2: invalid CSV"
empty "... nothing written" "$tmp/out"

printf 'id,type,subject,subject.name\na,person,x,y\n' >"$tmp/h.csv"
run intel-pack --origin DE-BKA "$tmp/h.csv"
is "csv: clashing columns: 65" "$status" 65
has "... at line 1" "$tmp/err" "$tmp/h.csv:1: column \"subject.name\" clashes"

printf 'id,type,data.x\na,person,1\n' >"$tmp/d.csv"
run intel-pack --origin DE-BKA "$tmp/d.csv"
is "csv: a data.* column makes the row a record" "$(cat "$tmp/out")" \
    '{"created":"2026-11-26T05:00:00Z","data":{"x":"1"},"id":"a","origin":"DE-BKA","type":"person","version":1}'

# A header's dots make nesting, never a dotted member name (SPEC 2).
printf 'type,subject.passport.number,subject.name\nperson,XK1,Jan\n' >"$tmp/dots.csv"
run intel-pack --origin DE-BKA "$tmp/dots.csv"
is "csv: dotted header nests: 0" "$status" 0
has "... three levels deep" "$tmp/out" '"data":\{"subject":\{"name":"Jan","passport":\{"number":"XK1"\}\}\}'

done_testing
