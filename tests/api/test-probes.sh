#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-probes.sh - checks the library's tracing probes against their
# documentation: the USDT probes of provider "lfpool" in liblfpool.so (its
# .note.stapsdt notes, as `readelf -n` lists them) are exactly those that
# lfpool(7) lists in "Tracing probes" (".It Cm name Ar args" lines), each
# once. Skipped (a TAP plan of "1..0 # SKIP" and the reason: the TAP
# driver reads a skip there, not in the exit status) when the library was
# built without probes (configure found no <sys/sdt.h>, or
# --disable-probes; CI builds with --enable-probes, which insists on
# them) or as a static library only. Prints TAP.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
READELF=${READELF:-readelf}
LC_ALL=C
export LC_ALL
lib=$top_builddir/lib/.libs/liblfpool.so
page=$top_srcdir/doc/lfpool.7

if test "${LFP_HAVE_PROBES:-}" != yes; then
	echo "1..0 # SKIP the library was built without tracing probes" \
		"(no <sys/sdt.h>: apt-get install systemtap-sdt-dev; or --disable-probes)"
	exit 0
fi
if test ! -f "$lib"; then
	echo "1..0 # SKIP no shared library"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-probes.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# The documented probes: ".It Cm name Ar ..." inside "Tracing probes".
sed -n '/^\.Ss Tracing probes/,/^\.S[hs] /s/^\.It Cm \([a-z_]*\)\( .*\)\{0,1\}$/\1/p' \
	"$page" | sort >"$tmp/documented"
if ! test -s "$tmp/documented"; then
	echo "Bail out! no probe listed in $page (\"Tracing probes\")"
	exit 99
fi

# The built probes: each note gives "Provider: lfpool" then "Name: x".
if ! $READELF -n "$lib" >"$tmp/notes"; then
	echo "Bail out! $READELF -n $lib failed"
	exit 99
fi
awk '/Provider:/ { prov = $2 } /Name:/ && prov == "lfpool" { print $2 }' \
	"$tmp/notes" | sort -u >"$tmp/built"

echo "1..3"
n=1
comm -13 "$tmp/documented" "$tmp/built" >"$tmp/undoc"
if test -s "$tmp/undoc"; then
	echo "not ok $n - every probe in the library is in lfpool(7)"
	sed 's/^/# not documented: /' "$tmp/undoc"
else
	echo "ok $n - every probe in the library is in lfpool(7) ($(wc -l <"$tmp/built") probes)"
fi
n=2
comm -23 "$tmp/documented" "$tmp/built" >"$tmp/missing"
if test -s "$tmp/missing"; then
	echo "not ok $n - every probe of lfpool(7) is in the library"
	sed 's/^/# not in the library: /' "$tmp/missing"
else
	echo "ok $n - every probe of lfpool(7) is in the library"
fi
n=3
uniq -d "$tmp/documented" >"$tmp/twice"
if test -s "$tmp/twice"; then
	echo "not ok $n - lfpool(7) lists each probe once"
	sed 's/^/# twice: /' "$tmp/twice"
else
	echo "ok $n - lfpool(7) lists each probe once"
fi
test ! -s "$tmp/undoc" && test ! -s "$tmp/missing" && test ! -s "$tmp/twice"
