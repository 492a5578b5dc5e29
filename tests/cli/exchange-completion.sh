#!/bin/sh
# scripts/intel.bash-completion: every long option a command's --help
# names is offered; option arguments are completed as they should be.
. "${top_srcdir:-.}/tests/lib.sh"

command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"
comp=$top_srcdir/scripts/intel.bash-completion
PATH=$top_srcdir/scripts:$PATH

# complete WORD...: what the completion offers for the last WORD, one per
# line, run in $tmp/files.
complete_words() {
	(cd "$tmp/files" && bash -c '
	    . "$0"
	    COMP_WORDS=("$@")
	    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	    _intel_share
	    printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@")
}
mkdir "$tmp/files" "$tmp/files/state"
touch "$tmp/files/de-fr.yaml" "$tmp/files/de-bka.key" "$tmp/files/notes.txt"

for t in intel-pack intel-redact intel-sign intel-verify intel-merge \
    intel-exchange-out intel-exchange-in; do
	command -v "$t" >/dev/null 2>&1 || continue
	"$t" --help >"$tmp/help" 2>/dev/null
	{
		grep -o -- '--[a-z][a-z-]*' "$tmp/help"
		grep -oE -- '(^|[][ |])-[a-zA-Z]([] ]|$)' "$tmp/help" |
		    tr -d '[] |'
	} | sort -u >"$tmp/want"
	complete_words "$t" - | sort -u >"$tmp/got"
	missing=$(comm -23 "$tmp/want" "$tmp/got" | tr '\n' ' ')
	is "$t: every option of --help is completed" "$missing" ""
done

is "-f offers the formats" \
    "$(complete_words intel-pack -f '' | tr '\n' ' ')" "ndjson json csv "
is "-a offers agreements (and folders)" \
    "$(complete_words intel-redact -a '' | sort | tr '\n' ' ')" \
    "de-fr.yaml state "
is "--agreement=... too" \
    "$(complete_words intel-verify --agreement = '' | sort | tr '\n' ' ')" \
    "de-fr.yaml state "
is "-k offers keys" \
    "$(complete_words intel-sign -k '' | sort | tr '\n' ' ')" \
    "de-bka.key state "
is "--state offers folders" \
    "$(complete_words intel-sign --state '' | tr '\n' ' ')" "state "
is "-s offers any file" \
    "$(complete_words intel-merge -s '' | wc -l | tr -d ' ')" 4
is "--to is free text" "$(complete_words intel-sign --to '')" ""
is "operands are files" \
    "$(complete_words intel-pack -q n | tr '\n' ' ')" "notes.txt "

done_testing
