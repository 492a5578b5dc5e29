#!/bin/sh
# The Debian package, built as a distribution would: from a clean export of
# the source (the files git would see; without git, make distdir) in a
# scratch folder, with dpkg-buildpackage -us -uc -b.  lintian reports no
# error and no warning; the build leaves nothing git would see; the
# package is unpacked with dpkg -x (never installed: it could shadow the
# build tree's tools) and holds the tools, scripts, manuals, completion,
# units, sysusers.d and tmpfiles.d files and the conffiles; the unpacked
# tools print the version and make one real exchange, and the unpacked
# units pass systemd-analyze verify with their manuals.
#
# Slow (a whole package build): INTEL_SKIP_PACKAGE=1 skips it (scripts/check
# runs it once, in its own step, and skips it in the other builds; a
# package build skips it, as it would build itself again).  The package's
# own suite runs inside the build only with INTEL_PACKAGE_CHECK=1.
. "${top_srcdir:-.}/tests/lib.sh"

case ${INTEL_SKIP_PACKAGE:-0} in
0 | '') ;;
*) skip_all "INTEL_SKIP_PACKAGE is set" ;;
esac
for t in dpkg-buildpackage dpkg-deb dh lintian; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
done
[ -x "$top_builddir/intel-verify" ] || skip_all "intel-verify not built"
limit() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$@"
	else
		shift
		"$@"
	fi
}

# --- the clean export -------------------------------------------------
src=$tmp/pkg/intel-share
mkdir -p "$src"
# A git checkout of its own (not a tarball unpacked inside one, as make
# distcheck does).
gittop=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null || :)
if [ -n "$gittop" ] && [ "$gittop" = "$(cd "$top_srcdir" && pwd -P)" ]; then
	how="the files git sees"
	(cd "$top_srcdir" &&
	    git ls-files -z --cached --others --exclude-standard) |
	    tr '\0' '\n' | while IFS= read -r f; do
		[ -e "$top_srcdir/$f" ] && printf '%s\n' "$f"
	done >"$tmp/files"
	(cd "$top_srcdir" && tar -cf - -T "$tmp/files") |
	    (cd "$src" && tar -xf -)
else
	how="make distdir"
	make -s -C "$top_builddir" distdir distdir="$src" >"$tmp/dist.out" 2>&1
	# What autoreconf makes: the package build makes it again.
	(cd "$src" && rm -rf configure Makefile.in aclocal.m4 config.h.in \
	    build-aux)
fi
ok "export ($how): has debian/rules" [ -x "$src/debian/rules" ]
ok "export: nothing autoreconf makes" [ ! -e "$src/configure" ]
ok "export: no build folder" [ ! -e "$src/_build" ]
# In a git export (it has the .gitignore files): what the build leaves is
# checked by git status.
gitted=0
if [ "$how" = "the files git sees" ]; then
	(cd "$src" && git init -q && git add -A &&
	    git -c user.name=t -c user.email=t@t commit -qm export) \
	    >/dev/null 2>&1 && gitted=1
fi

# --- the build --------------------------------------------------------
opts="parallel=$(nproc 2>/dev/null || echo 2)"
[ "${INTEL_PACKAGE_CHECK:-0}" = 1 ] || opts="$opts nocheck"
(cd "$src" && DEB_BUILD_OPTIONS=$opts limit 3600 \
    dpkg-buildpackage -us -uc -b) >"$tmp/build.out" 2>&1
st=$?
is "dpkg-buildpackage -us -uc -b ($opts): 0" "$st" 0
[ "$st" -eq 0 ] || tail -40 "$tmp/build.out" | sed 's/^/#   /'
ver=$(sed -n '1s/^intel-share (\([^)]*\)).*/\1/p' "$src/debian/changelog")
is "debian/changelog: the package version" "$ver" "$PACKAGE_VERSION"
arch=$(dpkg --print-architecture)
deb=$tmp/pkg/intel-share_${ver}_$arch.deb
changes=$tmp/pkg/intel-share_${ver}_$arch.changes
ok "the .deb is made" [ -f "$deb" ]
ok "the .changes is made" [ -f "$changes" ]
if [ "$gitted" = 1 ]; then
	(cd "$src" && git status --porcelain) >"$tmp/left"
	empty "the build leaves nothing git would see" "$tmp/left"
	(cd "$src" && limit 600 debian/rules clean >/dev/null 2>&1 &&
	    git status --porcelain --ignored) >"$tmp/left"
	empty "debian/rules clean: back to the export" "$tmp/left"
fi
[ -f "$deb" ] || { done_testing; exit; }

# --- lintian ----------------------------------------------------------
limit 900 lintian "$changes" >"$tmp/lintian" 2>"$tmp/lintian.err"
is "lintian: 0" "$?" 0
hasnt "lintian: no error, no warning" "$tmp/lintian" '^[EW]: '
[ -s "$tmp/lintian" ] && sed 's/^/#   /' "$tmp/lintian"

# --- what the package holds --------------------------------------------
root=$tmp/root
run dpkg -x "$deb" "$root"
is "dpkg -x: 0" "$status" 0
for f in usr/bin/intel-pack usr/bin/intel-redact usr/bin/intel-sign \
    usr/bin/intel-verify usr/bin/intel-merge usr/bin/intel-exchange-in \
    usr/bin/intel-exchange-out; do
	ok "has /$f, executable" [ -x "$root/$f" ]
done
for f in man1/intel-pack.1.gz man1/intel-exchange-in.1.gz \
    man1/intel-exchange-out.1.gz man5/intel-agreement.5.gz \
    man7/intel.7.gz; do
	ok "has the manual /usr/share/man/$f" [ -f "$root/usr/share/man/$f" ]
done
for c in intel-pack intel-exchange-in; do
	ok "has the bash completion of $c" \
	    [ -f "$root/usr/share/bash-completion/completions/$c" ]
done
units="intel-exchange-in.service intel-exchange-in.timer
intel-exchange-out.service intel-exchange-out.timer intel-expire.service
intel-expire.timer intel-exchange-in.path"
for u in $units; do
	ok "has /lib/systemd/system/$u" [ -f "$root/lib/systemd/system/$u" ]
done
has "sysusers.d: the user intel" \
    "$root/usr/lib/sysusers.d/intel-share.conf" '^u intel '
has "tmpfiles.d: /var/lib/intel 0700" \
    "$root/usr/lib/tmpfiles.d/intel-share.conf" '^d /var/lib/intel 0700 '
run dpkg-deb -e "$deb" "$tmp/control"
sort "$tmp/control/conffiles" >"$tmp/conffiles"
printf '/etc/intel/exchange-in.conf\n/etc/intel/exchange-out.conf\n' \
    >"$tmp/want"
is "conffiles: /etc/intel/exchange-{in,out}.conf" \
    "$(cat "$tmp/conffiles")" "$(cat "$tmp/want")"
hasnt "the example configurations set nothing" \
    "$root/etc/intel/exchange-in.conf" '^[^#]'
# Timers and units are not enabled nor started by the package.
# (deb-systemd-helper enable only re-enables what the admin had enabled.)
hasnt "postinst: starts no unit" "$tmp/control/postinst" \
    'deb-systemd-invoke|systemctl.* (start|restart) '
awk '/deb-systemd-helper.* enable / && prev !~ /was-enabled/ { bad = 1 }
    !/^[[:space:]]*(#|$)/ { prev = $0 } END { exit bad }' \
    "$tmp/control/postinst"
is "postinst: enables no unit the admin had not enabled" "$?" 0
has "postinst: makes the user before /var/lib/intel" "$tmp/control/postinst" \
    'systemd-sysusers'
awk '/systemd-sysusers/ { u = NR } /systemd-tmpfiles/ { t = NR }
    END { exit !(u && t && u < t) }' "$tmp/control/postinst"
is "postinst: systemd-sysusers before systemd-tmpfiles" "$?" 0

# --- the unpacked tools -----------------------------------------------
b=$root/usr/bin
for t in intel-pack intel-redact intel-sign intel-verify intel-merge; do
	run "$b/$t" --version
	is "unpacked $t --version: 0" "$status" 0
	has "unpacked $t --version: $PACKAGE_VERSION" "$tmp/out" \
	    "$PACKAGE_VERSION"
done
for t in intel-exchange-in intel-exchange-out; do
	run sh "$b/$t" --help
	is "unpacked $t --help: 0" "$status" 0
done

# One exchange with the unpacked tools: pack | redact | sign > bundle,
# then verify | merge; the build tree's tools make the same store of the
# same bundle, byte for byte.
cp "$fixtures/agreements/trilateral.yaml" \
    "$fixtures/agreements/trilateral.psk" "$fixtures/bundle/DE-BKA.key" \
    "$tmp/"
chmod 600 "$tmp/trilateral.psk" "$tmp/DE-BKA.key"
ag=$tmp/trilateral.yaml
sh "$top_srcdir/scripts/gen-records" -n 40 >"$tmp/raw.ndjson"
"$b/intel-pack" -q "$tmp/raw.ndjson" |
    "$b/intel-redact" -q -a "$ag" --from DE-BKA --to FR-DGSI |
    "$b/intel-sign" -q -a "$ag" -k "$tmp/DE-BKA.key" --to FR-DGSI \
    --seq 1 >"$tmp/x.bundle" 2>"$tmp/sign.err"
is "unpacked pack | redact | sign: 0" "$?" 0
empty "unpacked pack | redact | sign: no message" "$tmp/sign.err"
"$b/intel-verify" -q -a "$ag" --to FR-DGSI --state "$tmp/vstate" \
    "$tmp/x.bundle" | "$b/intel-merge" -q -s "$tmp/store.pkg" \
    2>"$tmp/merge.err"
is "unpacked verify | merge: 0" "$?" 0
n=$(($(wc -l <"$tmp/x.bundle") - 2))
ok "the bundle holds records" [ "$n" -gt 0 ]
is "the store holds every record of the bundle" \
    "$(wc -l <"$tmp/store.pkg" | tr -d ' ')" "$n"
"$top_builddir/intel-verify" -q -a "$ag" --to FR-DGSI "$tmp/x.bundle" |
    "$top_builddir/intel-merge" -q -s "$tmp/store.build"
ok "the build tree's tools make the same store" \
    cmp -s "$tmp/store.pkg" "$tmp/store.build"

# --- the unpacked units -----------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$tmp/units"
	for u in $units; do
		sed "s|^ExecStart=/usr/bin/|ExecStart=$b/|" \
		    "$root/lib/systemd/system/$u" >"$tmp/units/$u"
	done
	MANPATH=$root/usr/share/man limit 300 systemd-analyze verify \
	    "$tmp"/units/* >"$tmp/out" 2>"$tmp/err"
	is "unpacked units: systemd-analyze verify (manuals too): 0" "$?" 0
	empty "unpacked units: no complaint" "$tmp/err"
fi

done_testing
