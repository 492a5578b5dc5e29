#!/bin/sh
# The systemd units of scripts/systemd: systemd-analyze verify accepts each
# of them with the build tree's binaries in ExecStart= (a unit whose
# ExecStart= is missing is refused, so the check can fail), the services
# are oneshot, run as intel with the hardening intel(7) promises, and
# systemd-analyze security rates them SAFE; the sysusers.d file makes the
# user intel.
. "${top_srcdir:-.}/tests/lib.sh"

command -v systemd-analyze >/dev/null 2>&1 ||
    skip_all "systemd-analyze is not installed"
[ -x "$top_builddir/intel-merge" ] || skip_all "intel-merge not built"
sd=$top_srcdir/scripts/systemd
services="intel-exchange-in intel-exchange-out intel-expire"
for s in $services; do
	[ -f "$top_builddir/scripts/systemd/$s.service" ] ||
	    skip_all "scripts/systemd/$s.service not made (make all)"
done

# The units as make made them, with ExecStart= taken from the configured
# bindir to the build tree: a folder of links to the built tools and to the
# exchange scripts.
mkdir "$tmp/bindir" "$tmp/units"
ln -s "$top_builddir/intel-merge" "$tmp/bindir/intel-merge"
ln -s "$top_srcdir/scripts/intel-exchange-in" "$tmp/bindir/intel-exchange-in"
ln -s "$top_srcdir/scripts/intel-exchange-out" \
    "$tmp/bindir/intel-exchange-out"
to_build="s|^ExecStart=[^ ]*/\\(intel-[a-z-]*\\) |ExecStart=$tmp/bindir/\\1 |"
for s in $services; do
	sed "$to_build" "$top_builddir/scripts/systemd/$s.service" \
	    >"$tmp/units/$s.service"
done
for u in intel-exchange-in.timer intel-exchange-out.timer \
    intel-expire.timer intel-exchange-in.path; do
	cp "$sd/$u" "$tmp/units/"
done

# verify UNIT...: systemd-analyze verify, without looking up the manuals
# of Documentation= (a build tree has not installed them; the test below
# checks that each names a page of man/).
verify() {
	run systemd-analyze verify --man=no "$@"
}

for u in "$tmp"/units/*; do
	n=${u##*/}
	verify "$u"
	is "$n: systemd-analyze verify: 0" "$status" 0
	empty "$n: systemd-analyze verify: no complaint" "$tmp/err"
	hasnt "$n: no @...@ left" "$u" '@[a-z]+@'
	sed -n 's/^Documentation=//p' "$u" | tr ' ' '\n' | sed -n 's/^man://p' |
	    while read -r m; do
		p=${m%%(*}
		sec=${m#*(}
		sec=${sec%)}
		[ -f "$top_srcdir/man/$p.$sec" ] || echo "$m"
	    done >"$tmp/noman"
	empty "$n: every Documentation= manual is in man/" "$tmp/noman"
done
verify "$tmp"/units/*
is "all units at once: systemd-analyze verify: 0" "$status" 0
empty "all units at once: no complaint" "$tmp/err"

# The check can fail: a missing binary, a misspelt setting.
sed "s|^ExecStart=[^ ]*/intel-merge |ExecStart=$tmp/no/intel-merge |" \
    "$tmp/units/intel-expire.service" >"$tmp/intel-expire.service"
verify "$tmp/intel-expire.service"
nok "a missing ExecStart= binary is refused" [ "$status" -eq 0 ]
has "a missing ExecStart= binary: named" "$tmp/err" "$tmp/no/intel-merge"
sed 's/^ProtectSystem=strict/ProtectSistem=strict/' \
    "$tmp/units/intel-expire.service" >"$tmp/intel-expire.service"
verify "$tmp/intel-expire.service"
has "a misspelt setting: named" "$tmp/err" 'ProtectSistem'

# What every service promises (intel(7), intel-exchange-in(1) SYSTEMD).
for s in $services; do
	u=$tmp/units/$s.service
	for want in 'Type=oneshot' 'User=intel' 'Group=intel' \
	    'StateDirectory=intel' 'StateDirectoryMode=0700' 'UMask=0077' \
	    'LimitCORE=0' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
	    'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
	    'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
	    'ProtectKernelLogs=yes' 'ProtectControlGroups=yes' \
	    'RestrictAddressFamilies=AF_UNIX' 'RestrictNamespaces=yes' \
	    'LockPersonality=yes' 'MemoryDenyWriteExecute=yes' \
	    'RestrictRealtime=yes' 'SystemCallFilter=@system-service' \
	    'CapabilityBoundingSet=' 'PrivateNetwork=yes'; do
		has "$s: $want" "$u" "^$want\$"
	done
	# Writable: the state folder only; inboxes and outboxes come from a
	# site's drop-in.
	hasnt "$s: no ReadWritePaths= in the unit itself" "$u" \
	    '^ReadWritePaths='
	hasnt "$s: no StandardOutput/StandardError away from the journal" \
	    "$u" '^Standard(Output|Error)='
done
has "intel-exchange-in: -n, runs never pile up" \
    "$tmp/units/intel-exchange-in.service" \
    '^ExecStart=[^ ]*/intel-exchange-in -n '
has "intel-exchange-out: -n, runs never pile up" \
    "$tmp/units/intel-exchange-out.service" \
    '^ExecStart=[^ ]*/intel-exchange-out -n '
has "intel-expire: intel-merge --expire of the store" \
    "$tmp/units/intel-expire.service" \
    '^ExecStart=[^ ]*/intel-merge -q --expire -s \$\{INTEL_STORE\}$'
for t in intel-exchange-in intel-exchange-out intel-expire; do
	has "$t.timer: wanted by timers.target" "$tmp/units/$t.timer" \
	    '^WantedBy=timers.target$'
done
has "intel-exchange-in.path: starts the receiver" \
    "$tmp/units/intel-exchange-in.path" '^Unit=intel-exchange-in.service$'

if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
	for s in $services; do
		run systemd-analyze security --offline=yes --threshold=15 \
		    --no-pager "$tmp/units/$s.service"
		is "$s: systemd-analyze security: exposure 1.5 or less" \
		    "$status" 0
		has "$s: rated SAFE" "$tmp/out" 'Overall exposure level.*SAFE'
	done
fi

# The user: systemd-sysusers makes intel (a system user, home
# /var/lib/intel, no shell) in an empty root.
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$tmp/root/etc"
	run systemd-sysusers --root="$tmp/root" \
	    "$sd/sysusers.d/intel-share.conf"
	is "sysusers.d: systemd-sysusers: 0" "$status" 0
	u='^intel:x:[1-9][0-9]?[0-9]?:[0-9]+:[^:]*:/var/lib/intel:'
	has "sysusers.d: the system user intel" "$tmp/root/etc/passwd" \
	    "$u/(usr/)?s?bin/nologin\$"
fi
has "tmpfiles.d: /var/lib/intel 0700 of intel" \
    "$sd/tmpfiles.d/intel-share.conf" '^d /var/lib/intel 0700 intel intel -$'

done_testing
