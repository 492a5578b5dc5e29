#!/bin/sh
# intel-pack as a user drives it (SPEC 4).
. "${top_srcdir:-.}/tests/lib.sh"
s=$fixtures/sample

# --- NDJSON ---------------------------------------------------------------
run intel-pack --origin DE-BKA "$s/vehicles.ndjson"
is "ndjson: exit 0" "$status" 0
is "ndjson: two records, blank line skipped" "$(wc -l <"$tmp/out")" 2
has "ndjson: canonical record, envelope split from data" "$tmp/out" \
    '^\{"classification":"RESTRICTED","created":"2026-11-26T05:00:00Z","data":\{"colour":"white","make":"Volkswagen","model":"Transporter","narrative":"Seen crossing at Goldene Bremm three times in one night.","plate":"SB-KL 742","vehicles":\[\{"plate":"SB-KL 742","role":"tractor"\},\{"plate":"F-AB-123","role":"trailer"\}\]\},"id":"de-v-0100","origin":"DE-BKA","purposes":\["smuggling"\],"type":"vehicle","version":1\}$'
has "ndjson: non-ASCII text kept as UTF-8" "$tmp/out" '"make":"Škoda"'
has "ndjson: summary on stderr" "$tmp/err" '^intel-pack: 2 read, 2 written, 0 skipped$'

run intel-pack -q --origin DE-BKA - <"$s/vehicles.ndjson"
is "stdin via -: exit 0" "$status" 0
empty "-q silences the summary" "$tmp/err"

# --- ids (SPEC 4) ----------------------------------------------------------
printf '%s\n' '{"name":"Jan","dob":"1979-04-12"}' '{"dob":"1979-04-12","name":"Jan"}' \
    '{"name":"Jan","dob":"1979-04-12","version":2}' >"$tmp/raw.ndjson"
ids_of() { sed 's/.*"id":"\([^"]*\)".*/\1/' "$1"; }
key=0123456789abcdef0123456789abcdef
printf '%s' "$key" >"$tmp/id.key"
chmod 600 "$tmp/id.key"
canon='{"data":{"dob":"1979-04-12","name":"Jan"},"origin":"DE-BKA","type":"person"}'
run intel-pack --id-key "$tmp/id.key" --origin DE-BKA --type person "$tmp/raw.ndjson"
cp "$tmp/out" "$tmp/first"
ids=$(ids_of "$tmp/first" | sort -u)
is "keyed id: same data in any key order, any version, one id" \
    "$(printf '%s\n' "$ids" | wc -l)" 1
want=$(printf '%s' "$canon" | openssl dgst -sha256 -hmac "$key" | sed 's/.*= //' | cut -c1-32)
is "keyed id: HMAC-SHA256(id key, canonical {data,origin,type})" "$ids" "$want"
nok "keyed id: no warning about random ids" grep -q "random" "$tmp/err"
# The guessing attack: from a released record and its id, try values of a
# withheld field until the digest matches.  No unkeyed digest matches now,
# with an id key or without.
attack() {
	for guess in "$canon" '{"dob":"1979-04-12","name":"Jan"}'; do
		for h in sha256sum sha512sum; do
			g=$(printf '%s' "$guess" | $h | cut -c1-32)
			ok "$1: the id is no unkeyed digest of the data ($h)" \
			    sh -c 'printf "%s\n" "$1" | grep -q "^[0-9a-f]\{32\}$" &&
			    ! printf "%s\n" "$1" | grep -q "$2"' sh "$2" "$g"
		done
	done
}
attack "id key" "$ids"
run intel-pack --origin DE-BKA --type person "$tmp/raw.ndjson"
attack "no id key" "$(ids_of "$tmp/out")"
INTEL_NOW=2030-01-01T00:00:00Z INTEL_ID_KEY=$tmp/id.key run intel-pack --origin DE-BKA --type person "$tmp/raw.ndjson"
is "INTEL_ID_KEY: the same ids, across runs and times" "$(ids_of "$tmp/out" | sort -u)" "$want"
has "created defaults to now" "$tmp/out" '"created":"2030-01-01T00:00:00Z"'
head -c 32 /dev/urandom >"$tmp/other.key"
chmod 600 "$tmp/other.key"
run intel-pack --id-key "$tmp/other.key" --origin DE-BKA --type person "$tmp/raw.ndjson"
ok "another id key: other ids" [ "$(ids_of "$tmp/out" | sort -u)" != "$want" ]
INTEL_ID_KEY=$tmp/other.key run intel-pack --id-key "$tmp/id.key" --origin DE-BKA --type person "$tmp/raw.ndjson"
is "--id-key wins over INTEL_ID_KEY" "$(ids_of "$tmp/out" | sort -u)" "$want"
sh "$top_srcdir/scripts/gen-records" -n 1500 -s 5 | sed 's/"id":"[^"]*",//' >"$tmp/noid.ndjson"
intel-pack -q -j 1 --id-key "$tmp/id.key" --origin DE-BKA "$tmp/noid.ndjson" >"$tmp/j1" 2>&1
intel-pack -q -j 3 --id-key "$tmp/id.key" --origin DE-BKA "$tmp/noid.ndjson" >"$tmp/j3" 2>&1
ok "keyed ids: -j 3 gives what -j 1 gives" cmp -s "$tmp/j1" "$tmp/j3"
is "... every record, ids all different" "$(ids_of "$tmp/j3" | sort -u | wc -l)" 1500

# Without an id key: random ids, and one warning for the run.
run intel-pack -q --origin DE-BKA --type person "$tmp/raw.ndjson"
ids=$(ids_of "$tmp/out")
is "no id key: an id for every record" "$(printf '%s\n' "$ids" | grep -c '^[0-9a-f]\{32\}$')" 3
is "no id key: random, not derived (three ids for one data)" "$(printf '%s\n' "$ids" | sort -u | wc -l)" 3
is "no id key: one warning, even with -q" "$(wc -l <"$tmp/err")" 1
has "... saying that packing again gives other ids" "$tmp/err" \
    '^intel-pack: no id key \(--id-key or INTEL_ID_KEY\): .*packing the same input again gives other ids$'
cp "$tmp/out" "$tmp/first-random"
run intel-pack -q --origin DE-BKA --type person "$tmp/raw.ndjson"
nok "no id key: other ids on the next run" cmp -s "$tmp/out" "$tmp/first-random"
run intel-pack -q -j 2 --origin DE-BKA "$tmp/noid.ndjson" "$tmp/raw.ndjson"
is "no id key, -j 2, two files: one warning" "$(grep -c 'no id key' "$tmp/err")" 1
run intel-pack -q --origin DE-BKA "$s/vehicles.ndjson"
empty "no id key, every record has an id: no warning" "$tmp/err"

# Bad id keys: the status, the file named, nothing written.
bad_key() {
	what=$1 want=$2 msg=$3
	shift 3
	rm -f "$tmp/o.ndjson"
	run intel-pack "$@" --origin DE-BKA --type person "$tmp/raw.ndjson"
	is "id key $what: $want" "$status" "$want"
	has "... says so" "$tmp/err" "$msg"
	empty "... nothing on stdout" "$tmp/out"
	run intel-pack "$@" --origin DE-BKA --type person -o "$tmp/o.ndjson" "$tmp/raw.ndjson"
	ok "... no -o file" test ! -e "$tmp/o.ndjson"
}
bad_key "missing" 66 "^intel-pack: cannot open id key $tmp/none.key: No such file or directory$" --id-key "$tmp/none.key"
export INTEL_ID_KEY="$tmp/none.key"
bad_key "missing (INTEL_ID_KEY)" 66 "cannot open id key $tmp/none.key"
unset INTEL_ID_KEY
bad_key "a folder" 66 "id key $tmp is not a regular file" --id-key "$tmp"
printf '%s' 0123456789abcdef0123456789abcde >"$tmp/short.key"
chmod 600 "$tmp/short.key"
bad_key "of 31 bytes" 78 "^intel-pack: id key $tmp/short.key is shorter than 32 bytes$" --id-key "$tmp/short.key"
: >"$tmp/empty.key"
chmod 600 "$tmp/empty.key"
bad_key "empty" 78 "shorter than 32 bytes" --id-key "$tmp/empty.key"
for m in 640 604 620 644; do
	chmod "$m" "$tmp/id.key"
	bad_key "of mode $m" 77 "^intel-pack: $tmp/id.key: permissions 0$m are too open" --id-key "$tmp/id.key"
done
chmod 600 "$tmp/id.key"
nok "no message shows the key" grep -q "$key" "$tmp/err"
if [ "$(id -u)" -ne 0 ]; then
	chmod 200 "$tmp/id.key"
	bad_key "unreadable" 66 "cannot open id key" --id-key "$tmp/id.key"
	chmod 600 "$tmp/id.key"
fi

has "version defaults to 1" "$tmp/first" '"version":1\}$'
has "version from input kept" "$tmp/first" '"version":2\}$'
run intel-pack --origin DE-BKA --type person --classification RESTRICTED \
    --purpose smuggling --purpose trafficking "$tmp/raw.ndjson"
has "command line fills classification and purposes" "$tmp/out" \
    '"classification":"RESTRICTED".*"purposes":\["smuggling","trafficking"\]'
printf '%s\n' '{"name":"x","origin":"FR-DGSI","classification":"SECRET"}' >"$tmp/own.ndjson"
run intel-pack --origin DE-BKA --type person --classification RESTRICTED "$tmp/own.ndjson"
has "input values win over the command line" "$tmp/out" \
    '"classification":"SECRET".*"origin":"FR-DGSI"'

# An input object with data is a record and must be one.
printf '%s\n' '{"data":{"n":1},"origin":"DE-BKA","type":"event","id":"e1","created":"2026-01-01T00:00:00Z","version":3}' >"$tmp/rec.ndjson"
run intel-pack "$tmp/rec.ndjson"
is "a whole record passes" "$(cat "$tmp/out")" \
    '{"created":"2026-01-01T00:00:00Z","data":{"n":1},"id":"e1","origin":"DE-BKA","type":"event","version":3}'
printf '%s\n' '{"data":{"n":1},"origin":"DE-BKA","type":"event","extra":1}' >"$tmp/rec.ndjson"
run intel-pack "$tmp/rec.ndjson"
is "a record with an unknown member: 65" "$status" 65
has "... named with file and line" "$tmp/err" "^intel-pack: $tmp/rec.ndjson:1: unknown member \"extra\"$"
empty "... and nothing written" "$tmp/out"

# A member name with a dot in data: no agreement path can address it, so a
# rule on its parent would not reach it (SPEC 2).  Refused at any depth.
dotted() {
	what=$1 line=$2 want=$3
	printf '%s\n' '{"type":"person","n":1}' "$line" '{"type":"person","n":3}' >"$tmp/dot.ndjson"
	rm -f "$tmp/o.ndjson"
	run intel-pack --origin DE-BKA "$tmp/dot.ndjson"
	is "dotted name $what: 65" "$status" 65
	has "... FILE:LINE: and the name" "$tmp/err" "^intel-pack: $tmp/dot.ndjson:2: member \"$want\" of .* has a \".\" in its name"
	is "... only the record before it written" "$(wc -l <"$tmp/out")" 1
	run intel-pack --origin DE-BKA -o "$tmp/o.ndjson" "$tmp/dot.ndjson"
	ok "... with -o, no file" test ! -e "$tmp/o.ndjson"
}
dotted "under an object" '{"type":"person","subject":{"name":"Jan","passport.number":"XK1234567"}}' passport.number
dotted "at the top of data" '{"type":"person","subject.passport":"XK1234567"}' subject.passport
dotted "in an array" '{"type":"vehicle","vehicles":[{"plate":"A"},{"plate.no":"B"}]}' plate.no
dotted "in arrays of arrays" '{"type":"x","a":[[1,{"b":{"c.d":1}}]]}' c.d
dotted "in a whole record" '{"data":{"x":{"y.z":1}},"origin":"DE-BKA","type":"x","id":"r1","created":"2026-01-01T00:00:00Z","version":1}' y.z
dotted "that is only a dot" '{"type":"x","s":{".":1}}' .
has "the message gives the parent's path" "$tmp/err" 'member "\." of data\.s has'
printf '%s\n' '{"type":"person","s":{"a.b":1}}' '{"type":"person","n":2}' >"$tmp/dot.ndjson"
run intel-pack --skip-bad --origin DE-BKA "$tmp/dot.ndjson"
is "dotted name, --skip-bad: 0" "$status" 0
has "... skipped and counted" "$tmp/err" "2 read, 1 written, 1 skipped"
for j in 1 3; do
	intel-pack -j "$j" --origin DE-BKA "$tmp/dot.ndjson" >"$tmp/dj$j" 2>&1 || :
done
ok "dotted name: -j 3 as -j 1" cmp -s "$tmp/dj1" "$tmp/dj3"
printf '[\n{"type":"x","ok":"a.b"},\n{"type":"x",\n "deep":{"k.v":1}}\n]\n' >"$tmp/dot.json"
run intel-pack --origin DE-BKA "$tmp/dot.json"
is "dotted name in a JSON document: 65" "$status" 65
has "... at the element's line" "$tmp/err" "^intel-pack: $tmp/dot.json:3: member \"k.v\" of data.deep "
is "... a dot in a value is fine: the record before it written" "$(wc -l <"$tmp/out")" 1
printf '%s\n' '{"type":"x.y","classification":"A.B","note":"a.b","n":1.5}' >"$tmp/dot.ndjson"
run intel-pack --origin DE.BKA "$tmp/dot.ndjson"
is "dots in values and envelope strings: 0" "$status" 0

# --- JSON document --------------------------------------------------------
run intel-pack -f json --origin DE-BKA "$s/events.json"
is "json array: exit 0" "$status" 0
is "json array: two records" "$(wc -l <"$tmp/out")" 2
has "json array: numbers canonical" "$tmp/out" '"cash_eur":12500.5,"cigarettes_cartons":400'
run intel-pack --origin DE-BKA "$s/events.json"
is "a .json file is read as a JSON document without -f" "$(wc -l <"$tmp/out")" 2
printf '[\n{"type":"x","a":1},\n{"type":"x","version":"2"}\n]\n' >"$tmp/bad.json"
run intel-pack -f json --origin DE-BKA "$tmp/bad.json"
is "json array: bad element: 65" "$status" 65
has "... at the element's line" "$tmp/err" "^intel-pack: $tmp/bad.json:3: member \"version\" must be an integer >= 1$"
is "... records before it written" "$(wc -l <"$tmp/out")" 1

# --- errors ---------------------------------------------------------------
printf '%s\n' '{"type":"x","a":1}' '{"type":"x","a":' '{"type":"x","a":3}' >"$tmp/broken.ndjson"
run intel-pack --origin DE-BKA "$tmp/broken.ndjson"
is "malformed line: 65" "$status" 65
has "... FILE:LINE: in the message" "$tmp/err" "^intel-pack: $tmp/broken.ndjson:2: "
is "... records before it on stdout" "$(wc -l <"$tmp/out")" 1
run intel-pack --origin DE-BKA -o "$tmp/o.ndjson" "$tmp/broken.ndjson"
is "with -o: 65" "$status" 65
ok "... and no output file" test ! -e "$tmp/o.ndjson"
is "... and no temporary file" "$(ls -a "$tmp" | grep -c '^\.o\.ndjson')" 0
run intel-pack --skip-bad --origin DE-BKA -o "$tmp/o.ndjson" "$tmp/broken.ndjson"
is "--skip-bad: exit 0" "$status" 0
is "--skip-bad: the good records written" "$(wc -l <"$tmp/o.ndjson")" 2
has "--skip-bad: the bad one reported" "$tmp/err" "^intel-pack: $tmp/broken.ndjson:2: .*\(skipped\)$"
has "--skip-bad: counted" "$tmp/err" "3 read, 2 written, 1 skipped"

run intel-pack --type x "$tmp/raw.ndjson"
is "no origin anywhere: 65" "$status" 65
has "... says how to give one" "$tmp/err" ":1: no origin: give --origin"
run intel-pack --origin DE-BKA "$tmp/raw.ndjson"
is "no type anywhere: 65" "$status" 65

run intel-pack --origin DE-BKA --type x "$tmp/nonexistent" "$tmp/raw.ndjson"
is "missing file: 66" "$status" 66
has "... reported" "$tmp/err" "nonexistent: No such file or directory"
is "... and the other files still packed" "$(wc -l <"$tmp/out")" 3
run intel-pack --origin DE-BKA --type x "$tmp"
is "a directory: 66" "$status" 66
run intel-pack --origin DE-BKA --type x -o "$tmp/o2.ndjson" "$tmp/nonexistent" "$tmp/raw.ndjson"
is "missing file with -o: 66" "$status" 66
ok "... no partial output file" test ! -e "$tmp/o2.ndjson"
run intel-pack --origin DE-BKA --type x -o "$tmp/o2.ndjson" "$tmp/raw.ndjson"
is "-o FILE: exit 0" "$status" 0
is "-o FILE: written" "$(wc -l <"$tmp/o2.ndjson")" 3
empty "-o FILE: nothing on stdout" "$tmp/out"
run intel-pack --origin DE-BKA --type x -o "$tmp/no/such/dir/x" "$tmp/raw.ndjson"
is "-o in a missing folder: 73" "$status" 73
run intel-pack --origin DE-BKA --type x -o /dev/full "$tmp/raw.ndjson"
is "-o /dev/full: 74" "$status" 74
run intel-pack --origin DE-BKA --type x -o /dev/stdout "$tmp/raw.ndjson"
is "-o /dev/stdout writes to standard output" "$(wc -l <"$tmp/out")" 3
ok "... and /dev/stdout is still a link" test -L /dev/stdout
echo old >"$tmp/target"
ln -s target "$tmp/link"
run intel-pack --origin DE-BKA --type x -o "$tmp/link" "$tmp/raw.ndjson"
ok "-o LINK: the link stays a link" test -L "$tmp/link"
is "... and the file it names is replaced" "$(wc -l <"$tmp/target")" 3
run sh -c 'intel-pack --origin DE-BKA --type x "$1" >/dev/full' sh "$tmp/raw.ndjson"
is "stdout on a full disk: 74" "$status" 74
has "... with a message" "$tmp/err" "write error"

# --- options --------------------------------------------------------------
run intel-pack --help
is "--help: exit 0" "$status" 0
has "--help: usage on stdout" "$tmp/out" '^usage: intel-pack '
run intel-pack --version
is "--version: exit 0" "$status" 0
has "--version: the package version" "$tmp/out" "^intel-pack \(intel-share\) $PACKAGE_VERSION$"
run intel-pack --bogus
is "unknown option: 64" "$status" 64
has "... usage on stderr" "$tmp/err" '^usage: intel-pack '
empty "... nothing on stdout" "$tmp/out"
run intel-pack -f xml "$tmp/raw.ndjson"
is "unknown format: 64" "$status" 64
INTEL_NOW=tomorrow run intel-pack --origin DE-BKA --type x "$tmp/raw.ndjson"
is "invalid INTEL_NOW: 64" "$status" 64
has "... named" "$tmp/err" 'INTEL_NOW'
empty "... nothing written" "$tmp/out"

# --- -a AGREEMENT ---------------------------------------------------------
ag=$fixtures/agreements/trilateral.yaml
if [ -f "$ag" ]; then
	printf '%s\n' '{"type":"person","classification":"RESTRICTED","purposes":["smuggling"],"n":1}' \
	    '{"type":"person","classification":"TOP-SECRET","n":2}' >"$tmp/cls.ndjson"
	run intel-pack -a "$ag" --origin DE-BKA "$tmp/cls.ndjson"
	is "-a: classification outside the scale: 65" "$status" 65
	has "... named with line" "$tmp/err" ":2: classification \"TOP-SECRET\" is not in the scale"
	is "... the good record before it written" "$(wc -l <"$tmp/out")" 1
	printf '%s\n' '{"type":"person","purposes":["fishing"],"n":1}' >"$tmp/pur.ndjson"
	INTEL_AGREEMENT=$ag run intel-pack --origin DE-BKA "$tmp/pur.ndjson"
	is "INTEL_AGREEMENT: purpose not in the agreement: 65" "$status" 65
	has "... named" "$tmp/err" ':1: purpose "fishing" is not among the purposes'
	INTEL_NOW=2035-01-01T00:00:00Z run intel-pack -a "$ag" --origin DE-BKA "$tmp/raw.ndjson"
	is "-a: agreement outside its window: 78" "$status" 78
	empty "... nothing written" "$tmp/out"
	run intel-pack -a "$tmp/none.yaml" --origin DE-BKA "$tmp/raw.ndjson"
	is "-a: missing agreement: 66" "$status" 66
fi

# --- JSONTestSuite ---------------------------------------------------------
jts=$fixtures/json-test-suite/test_parsing
nbad=0
for f in "$jts"/n_*; do
	run intel-pack -f json --origin X --type T "$f"
	if [ "$status" -ne 65 ] || [ -s "$tmp/out" ] || ! grep -q "^intel-pack: $f:[0-9]*: " "$tmp/err"; then
		nbad=$((nbad + 1))
		echo "# $f: status $status"
	fi
done
is "every n_* file: 65, a message with file and line, no output" "$nbad" 0
nbad=0
for f in "$jts"/y_object*.json "$jts"/y_array_empty.json "$jts"/y_structure_whitespace_array.json; do
	case $f in
	*duplicated_key*|*escaped_null_in_key*|*extreme_numbers*) continue ;;
	esac
	run intel-pack -f json --origin X --type T "$f"
	if [ "$status" -ne 0 ]; then
		nbad=$((nbad + 1))
		echo "# $f: status $status: $(cat "$tmp/err")"
	fi
done
is "every y_* object or array of objects accepted" "$nbad" 0
for f in y_object_duplicated_key y_object_duplicated_key_and_value \
    y_object_escaped_null_in_key y_object_extreme_numbers; do
	run intel-pack -f json --origin X --type T "$jts/$f.json"
	is "$f refused on purpose (SPEC 2): 65" "$status" 65
done
ncrash=0
for f in "$jts"/*; do
	run intel-pack -f json --origin X --type T "$f"
	case $status in 0|65) ;; *) ncrash=$((ncrash + 1)); echo "# $f: status $status" ;; esac
	run intel-pack --origin X --type T "$f"
	case $status in 0|65) ;; *) ncrash=$((ncrash + 1)); echo "# $f (ndjson): status $status" ;; esac
done
is "no file crashes, read as JSON or as NDJSON" "$ncrash" 0

# Deep nesting is an error, not a crash.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; print "" }' >"$tmp/deep.json"
run intel-pack -f json --origin X --type T "$tmp/deep.json"
is "100,000-deep document: 65" "$status" 65
run intel-pack --origin X --type T "$tmp/deep.json"
is "100,000-deep line: 65" "$status" 65

done_testing
