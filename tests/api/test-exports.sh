#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-exports.sh - checks the export discipline of liblfpool.so against
# the functions the public headers declare with LFP_API
# (tests/common/api-names.sh): the version script lib/liblfpool.sym names
# exactly those functions, and the library exports exactly those: every
# one of them, and nothing else (nothing internal or foreign leaks). A
# failure prints the difference, one name a line. Prints TAP; the check
# of the library is skipped in a build without a shared library.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
NM=${NM:-nm}
LC_ALL=C
export LC_ALL
lib=$top_builddir/lib/.libs/liblfpool.so
sym=$top_srcdir/lib/liblfpool.sym

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-exports.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

if ! sh "$top_srcdir/tests/common/api-names.sh" "$top_srcdir/include" \
	"$top_builddir/include" >"$tmp/declared" || ! test -s "$tmp/declared"
then
	echo "Bail out! no LFP_API declaration under $top_srcdir/include"
	exit 99
fi

# same N DESCRIPTION LIST: test N passes when LIST (a sorted file) holds
# the declared names, no more and no fewer; else it prints the difference.
same() {
	comm -13 "$tmp/declared" "$3" | sed 's/^/# not declared: /' >"$tmp/diff"
	comm -23 "$tmp/declared" "$3" | sed 's/^/# declared, missing: /' \
		>>"$tmp/diff"
	if test -s "$tmp/diff"; then
		echo "not ok $1 - $2"
		cat "$tmp/diff"
	else
		echo "ok $1 - $2 ($(wc -l <"$3") functions)"
	fi
}

echo "1..2"

# 1: the version script's global names (one "name;" a line).
sed -n '/^[ \t]*global:/,/^[ \t]*local:/s/^[ \t]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' \
	"$sym" | sort -u >"$tmp/listed"
same 1 "liblfpool.sym lists the declared functions" "$tmp/listed"

if test ! -f "$lib"; then
	echo "ok 2 # SKIP no shared library"
	exit 0
fi

# 2: the defined dynamic symbols: "value type name", or "type name" for
# some absolute symbols; symbol versions (name@@VERSION), version nodes
# and the linker's own markers dropped.
if ! $NM -D --defined-only "$lib" >"$tmp/nm.out"; then
	echo "Bail out! $NM -D --defined-only $lib failed"
	exit 99
fi
awk '{
	name = $NF; type = $(NF - 1)
	sub(/@.*/, "", name)
	if (type == "A" || type == "a")
		next
	print name
}' "$tmp/nm.out" | grep -v -x -e _init -e _fini -e _edata -e _end \
	-e __bss_start -e _etext -e __end__ | sort -u >"$tmp/exported"
same 2 "liblfpool.so exports the declared functions" "$tmp/exported"
exit 0
