# Sourced after tests/lib.sh by the tests of the exchange scripts
# (exchange*.sh): skips unless intel-redact, -sign, -verify and -merge are
# built; sets $xout and $xin (the scripts under test) and $fx (their
# fixtures, tests/fixtures/exchange).  Then, as a test needs them:
#   need_commands CMD...   skips unless every CMD is installed
#   exchange_logger [-q]   a logger(1) first on PATH that appends what it
#                          is asked to log to $tmp/syslog (-q: drops it)
#   exchange_parties FILE  keys for DE-BKA and FR-DGSI in $tmp/keys
#                          (de-bka.*, fr-dgsi.*; $de_pub, $fr_pub), the
#                          de-fr agreement with their public keys as FILE,
#                          its pseudonym key de-fr.psk (0600) beside it
need_tools intel-redact intel-sign intel-verify intel-merge
xout=$top_srcdir/scripts/intel-exchange-out
xin=$top_srcdir/scripts/intel-exchange-in
fx=$fixtures/exchange

need_commands() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || skip_all "$_c is not installed"
	done
}

exchange_logger() {
	if [ "${1:-}" = -q ]; then
		printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/logger"
	else
		cat >"$tmp/bin/logger" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$tmp/syslog"
EOF
	fi
	chmod +x "$tmp/bin/logger"
}

exchange_parties() {
	mkdir -p "$tmp/keys" "$(dirname "$1")"
	intel-sign -q --keygen --party DE-BKA -o "$tmp/keys/de-bka" ||
	    bail_out "keygen DE-BKA failed"
	intel-sign -q --keygen --party FR-DGSI -o "$tmp/keys/fr-dgsi" ||
	    bail_out "keygen FR-DGSI failed"
	de_pub=$(cut -d' ' -f1 "$tmp/keys/de-bka.pub")
	fr_pub=$(cut -d' ' -f1 "$tmp/keys/fr-dgsi.pub")
	sed -e "s|@DE-BKA@|$de_pub|" -e "s|@FR-DGSI@|$fr_pub|" \
	    "$fx/de-fr.yaml.in" >"$1"
	printf 'exchange-test-pseudonym-key-0123456789\n' \
	    >"$(dirname "$1")/de-fr.psk"
	chmod 600 "$(dirname "$1")/de-fr.psk"
}
