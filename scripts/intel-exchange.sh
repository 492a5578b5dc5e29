# intel-exchange.sh: the prologue intel-exchange-in and intel-exchange-out
# share (messages, options, paths, configuration, the state folder, the
# lock, time limits).  It is sourced, never run; see SPEC 10.
#
# Why this stays POSIX shell: every promise of SPEC 10 maps onto one
# operation a standard tool does and a test can watch: a claim is a
# rename(2) (mv -T within one file system) or a read through a descriptor
# opened with O_NOFOLLOW|O_NONBLOCK (dd iflag=nofollow,nonblock); a lock a
# dead run cannot keep is flock(1); a time limit is timeout(1); a file's
# type, links, size and age come from lstat (stat(1) without -L); a name
# placed in an outbox is created by the shell's O_EXCL redirection (set -C)
# or taken by renameat2(RENAME_NOREPLACE) (mv -n).  None of that needs a
# descriptor kept across steps, which is what would force C; and the
# scripts stay readable and changeable by the operators who run them.
#
# The script sets prog and confhelp (its settings, for --help) first.
# Names the scripts may use after sourcing: prog, quiet, verbose, nowait,
# conf, confdir, state, xdir (the script's own folder under the state
# folder), work (a private folder of this run, removed at exit), lineno.

LC_ALL=C
export LC_ALL
# A cd must never print or go elsewhere because of the caller's
# environment, nor a file name be taken as an option.
unset CDPATH ENV BASH_ENV || :
umask 077
# The tools are installed beside the scripts: find them there first, so
# that a cron job with a short PATH works.
case $0 in */*) PATH=${0%/*}:$PATH; export PATH ;; esac

usage="usage: $prog [-nqv] CONFIG"
help="$usage
  -n, --no-wait   exit (75) if another run holds the lock instead of waiting
  -q, --quiet     say only what went wrong (syslog still gets everything)
  -v, --verbose   also show the tools' own summaries
  -h, --help      this text
$confhelp"
quiet=0
verbose=0
nowait=0
work=
have_logger=0
command -v logger >/dev/null 2>&1 && have_logger=1

# xc_escape TEXT: TEXT as SPEC 9 writes text from input: control
# characters, U+2028, U+2029 and the bidirectional controls as \uXXXX,
# bytes that are not UTF-8 as \xHH, on one line.  At most 4 KiB is shown.
xc_escape() {
	printf '%s' "$1" | head -c 4096 | od -An -v -tu1 | awk '
	{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
	END {
		for (i = 0; i < n; ) {
			c = b[i]
			if (c < 128) {
				if (c < 32 || c == 127)
					printf "\\u%04x", c
				else
					printf "%c", c
				i++
				continue
			}
			if (c >= 194 && c <= 223) { len = 2; cp = c - 192 }
			else if (c >= 224 && c <= 239) { len = 3; cp = c - 224 }
			else if (c >= 240 && c <= 244) { len = 4; cp = c - 240 }
			else len = 0
			good = len > 0 && i + len <= n
			for (k = 1; good && k < len; k++) {
				d = b[i + k]
				if (d < 128 || d > 191)
					good = 0
				else
					cp = cp * 64 + d - 128
			}
			if (good && ((len == 3 && cp < 2048) ||
			    (cp >= 55296 && cp <= 57343) ||
			    (len == 4 && (cp < 65536 || cp > 1114111))))
				good = 0
			if (!good) {
				printf "\\x%02x", c
				i++
				continue
			}
			if (cp <= 159 || cp == 8232 || cp == 8233 ||
			    cp == 1564 || cp == 8206 || cp == 8207 ||
			    (cp >= 8234 && cp <= 8238) ||
			    (cp >= 8294 && cp <= 8297))
				printf "\\u%04x", cp
			else
				for (k = 0; k < len; k++)
					printf "%c", b[i + k]
			i += len
		}
		printf "\n"
	}'
}

# say LEVEL MESSAGE: LEVEL is err, warning, info (not shown under -q) or
# detail (shown under -v only).  The message is escaped and one line;
# everything goes to syslog as well, and a logger that is missing or
# fails changes nothing.
say() {
	_l=$1
	shift
	_m=$(xc_escape "$prog: $*")
	case $_l in
	err | warning) printf '%s\n' "$_m" >&2 ;;
	info) [ "$quiet" = 1 ] || printf '%s\n' "$_m" >&2 ;;
	detail) [ "$verbose" = 1 ] && printf '%s\n' "$_m" >&2 ;;
	esac
	[ "$_l" = detail ] && _l=info
	if [ "$have_logger" = 1 ]; then
		logger -t intel-exchange -p "user.$_l" -- "$_m" \
		    >/dev/null 2>&1 </dev/null || :
	fi
	return 0
}

# xc_lines FILE: the lines of FILE (a tool's standard error) joined by
# " / ", so that one event stays one line.
xc_lines() {
	head -c 8192 -- "$1" | awk 'NR > 1 { printf " / " } { printf "%s", $0 }'
}

# say_file LEVEL PREFIX FILE: one message, PREFIX and the lines of FILE.
say_file() {
	[ -s "$3" ] || return 0
	say "$1" "$2$(xc_lines "$3")"
}

die() {
	_s=$1
	shift
	say err "$*"
	exit "$_s"
}

# xc_start "$@": options and the configuration file's name and folder.
xc_start() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) printf '%s\n' "$help"; exit 0 ;;
		-n | --no-wait) nowait=1 ;;
		-q | --quiet) quiet=1 ;;
		-v | --verbose) verbose=1 ;;
		--) shift; break ;;
		-?*)
			printf '%s: unknown option %s\n%s\n' "$prog" \
			    "$(xc_escape "$1")" "$usage" >&2
			exit 64 ;;
		*) break ;;
		esac
		shift
	done
	if [ $# -ne 1 ]; then
		printf '%s\n' "$usage" >&2
		exit 64
	fi
	conf=$1
	if [ ! -f "$conf" ] || [ ! -r "$conf" ]; then
		die 66 "$conf: cannot read the configuration file"
	fi
	case $conf in
	*/*) _d=${conf%/*}; _d=${_d:-/} ;;
	*) _d=. ;;
	esac
	# The folder as it is, trailing newlines of its name included.
	confdir=$(cd -P -- "$_d" && pwd -P && printf x) ||
	    die 66 "$conf: cannot enter its folder"
	confdir=${confdir%x}
	confdir=${confdir%?}
	trap xc_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

xc_exit() {
	[ -n "$work" ] && rm -rf -- "$work"
	return 0
}

# abspath PATH: a relative path of the configuration is relative to its
# folder.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) [ "$confdir" = / ] && printf '/%s\n' "$1" ||
	    printf '%s/%s\n' "$confdir" "$1" ;;
	esac
}

bad() {
	die 78 "$conf:$lineno: $*"
}

# xc_config SINGLE...: reads the configuration.  Each SINGLE setting takes
# one value, may be given once and is kept in cf_NAME (- becomes _);
# every other line goes to the script's xc_line KEYWORD ARGS.  Sets
# cfline_NAME to the line of each SINGLE setting.
xc_config() {
	_single=" $* "
	for _k in "$@"; do
		_v=$(printf '%s' "$_k" | tr - _)
		eval "cf_$_v=; cfline_$_v="
	done
	lineno=0
	_cr=$(printf '\r')
	while IFS= read -r _line || [ -n "$_line" ]; do
		lineno=$((lineno + 1))
		_line=${_line%"$_cr"}
		set -f
		# Fields are separated by white space: split on purpose.
		# shellcheck disable=SC2086
		set -- $_line
		set +f
		[ $# -eq 0 ] && continue
		case $1 in \#*) continue ;; esac
		_k=$1
		shift
		case $_single in
		*" $_k "*)
			[ $# -eq 1 ] || bad "$_k takes one value"
			_v=$(printf '%s' "$_k" | tr - _)
			eval "_was=\$cfline_$_v"
			[ -z "$_was" ] ||
			    bad "$_k given twice (first on line $_was)"
			eval "cf_$_v=\$1; cfline_$_v=\$lineno" ;;
		*) xc_line "$_k" "$@" ;;
		esac
	done <"$conf"
	lineno=0
}

# xc_number NAME DEFAULT: the setting NAME as a whole number (K, M, G
# allowed as a suffix), or DEFAULT.  Sets num.
xc_number() {
	_v=$(printf '%s' "$1" | tr - _)
	eval "num=\$cf_$_v; lineno=\$cfline_$_v"
	[ -n "$num" ] || num=$2
	_m=1
	case $num in
	*K) _m=1024; num=${num%K} ;;
	*M) _m=1048576; num=${num%M} ;;
	*G) _m=1073741824; num=${num%G} ;;
	esac
	case $num in
	'' | *[!0-9]*) bad "$1 must be a whole number" ;;
	esac
	[ ${#num} -le 12 ] || bad "$1 is too large"
	num=$((num * _m))
	lineno=0
}

# xc_need TOOL...: each TOOL is on PATH, or the run cannot start (69).
xc_need() {
	for _t in "$@" timeout stat dd mktemp; do
		command -v "$_t" >/dev/null 2>&1 ||
		    die 69 "$_t: not found on PATH"
	done
}

# xc_state: the state folder (cf_state, made absolute) is created 0700 if
# missing and must be a folder owned by the user running the script that
# no one else may write; then the lock, then xdir and work.
xc_state() {
	[ -n "$cf_state" ] || bad "no \"state DIR\" line"
	state=$(abspath "$cf_state")
	audit=
	[ -z "$cf_audit" ] || audit=$(abspath "$cf_audit")
	mkdir -p -- "$state" 2>/dev/null ||
	    die 73 "$state: cannot create the state folder"
	xc_own_dir "$state" || exit 73
	xc_lock
	xdir=$state/$prog
	xc_mkdir "$xdir" || exit 73
	# A run that was killed may have left its work folder.
	rm -rf -- "$xdir"/run.* 2>/dev/null
	work=$(mktemp -d -- "$xdir/run.XXXXXX") ||
	    die 73 "$xdir: cannot create a temporary folder"
}

# xc_own_dir DIR: DIR is a folder (not a link) of ours that only we may
# write.
xc_own_dir() {
	if [ -L "$1" ] || [ ! -d "$1" ]; then
		say err "$1: not a folder (a link or another file)"
		return 1
	fi
	_o=$(stat -c '%u %a' -- "$1") || return 1
	_u=$(id -u)
	case $_o in
	"$_u "*) ;;
	*) say err "$1: owned by another user"; return 1 ;;
	esac
	case ${_o#* } in
	*[2367]? | *[2367])
		say err "$1: others may write to it (mode ${_o#* })"
		return 1 ;;
	esac
	return 0
}

# xc_mkdir DIR: a folder of ours under the state folder, 0700.
xc_mkdir() {
	[ -d "$1" ] && [ ! -L "$1" ] || mkdir -m 700 -- "$1" 2>/dev/null ||
	    { say err "$1: cannot create the folder"; return 1; }
	xc_own_dir "$1"
}

# xc_lock: one run at a time for a state folder.  The lock is flock(1) on
# a file the kernel releases when its holder dies, however it dies.
xc_lock() {
	command -v flock >/dev/null 2>&1 ||
	    die 69 "flock: not found on PATH (util-linux)"
	_lk=$state/$prog.lock
	if [ -L "$_lk" ]; then
		die 73 "$_lk: a link; not used as the lock"
	fi
	exec 9>>"$_lk" || die 73 "$_lk: cannot open the lock file"
	if [ "$nowait" = 1 ]; then
		flock -n 9 || die 75 "another run holds $_lk"
	else
		flock 9 || die 75 "$_lk: cannot lock"
	fi
}

# xc_limit SECONDS CMD...: runs CMD, killed after SECONDS (and KILLed 5 s
# later if it does not stop).  Returns CMD's status, 124 on time out.
xc_limit() {
	_t=$1
	shift
	[ "$_t" -gt 0 ] || _t=1
	timeout -k 5 "$_t" "$@"
	_rc=$?
	[ "$_rc" = 137 ] && _rc=124
	return "$_rc"
}

# xc_agreement_id FILE: the id of an agreement file (SPEC 3: its
# top-level "id:" line).  Sets agid; returns 1 if there is none.
xc_agreement_id() {
	agid=$(head -c 1048576 -- "$1" 2>/dev/null | sed -n \
	    -e "s/^id:[[:space:]]*[\"']\{0,1\}\([a-z0-9._-]*\)[\"']\{0,1\}[[:space:]]*\(#.*\)\{0,1\}$/\1/p" |
	    head -n 1)
	[ -n "$agid" ]
}

# xc_party_ok CODE: a party code as SPEC 3 allows it.
xc_party_ok() {
	case $1 in
	'' | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) return 1 ;;
	esac
	[ ${#1} -le 64 ]
}

# xc_header FILE: the first line of FILE, read no further than 64 KiB,
# into hdr; returns 1 if FILE has no complete line there.
xc_header() {
	head -c 65536 -- "$1" 2>/dev/null | head -n 1 >"$work/hdr"
	[ "$(wc -l <"$work/hdr")" -eq 1 ] || { hdr=; return 1; }
	hdr=$(cat "$work/hdr")
}

# xc_field NAME: the string member NAME of the header read by xc_header
# (a canonical JSON object: no member holds a quote or backslash we
# accept).  Sets val.
xc_field() {
	val=$(printf '%s\n' "$hdr" | sed -n \
	    "s/^{\\(.*,\\)\\{0,1\\}\"$1\":\"\\([^\"\\\\]*\\)\"[,}].*/\\2/p")
	[ -n "$val" ]
}
