#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-exports.sh - checks the export discipline of liblfpool.so: every
# dynamic symbol it defines carries the lfp_ prefix (nothing internal or
# foreign leaks), and every function the public headers declare with
# LFP_API is exported. Prints TAP; a static-only build is skipped.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
NM=${NM:-nm}
LC_ALL=C
export LC_ALL
lib=$top_builddir/lib/.libs/liblfpool.so

if test ! -f "$lib"; then
	echo "1..0 # SKIP no shared library"
	exit 0
fi

tmp=${TMPDIR:-/tmp}/lfp-exports.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# Defined dynamic symbols: "value type name", or "type name" for some
# absolute symbols; drop symbol versions (name@@VERSION) and version nodes.
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
}' "$tmp/nm.out" | sort -u >"$tmp/exported"

echo "1..2"

# 1: nothing but lfp_ names, apart from the linker's own markers.
grep -v -e '^lfp_' -e '^_init$' -e '^_fini$' -e '^_edata$' -e '^_end$' \
	-e '^__bss_start$' -e '^_etext$' -e '^__end__$' "$tmp/exported" \
	>"$tmp/offenders"
if test -s "$tmp/offenders"; then
	echo "not ok 1 - only lfp_ symbols exported"
	sed 's/^/# not lfp_: /' "$tmp/offenders"
else
	echo "ok 1 - only lfp_ symbols exported"
fi

# 2: the functions declared LFP_API in the public headers (the generated
# version.h lives in the build tree, its template in the source tree). A
# declaration starts with LFP_API; the name is the identifier before the
# first "(", which may be on a following line.
headers=$(find "$top_srcdir/include" "$top_builddir/include" \
	\( -name '*.h' -o -name '*.h.in' \) 2>/dev/null)
if test -z "$headers"; then
	echo "not ok 2 - every documented function exported"
	echo "# no public headers under $top_srcdir/include"
	exit 0
fi
# shellcheck disable=SC2086
awk '
	/^[ \t]*LFP_API[ \t]/ { decl = ""; in_decl = 1 }
	in_decl {
		decl = decl " " $0
		i = index(decl, "(")
		if (i) {
			head = substr(decl, 1, i - 1)
			if (match(head, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)) {
				name = substr(head, RSTART, RLENGTH)
				sub(/[ \t]+$/, "", name)
				print name
			}
			in_decl = 0
		}
	}' $headers | sort -u >"$tmp/documented"

if ! test -s "$tmp/documented"; then
	echo "not ok 2 - every documented function exported"
	echo "# no LFP_API declaration found in: $headers"
	exit 0
fi
comm -23 "$tmp/documented" "$tmp/exported" >"$tmp/missing"
if test -s "$tmp/missing"; then
	echo "not ok 2 - every documented function exported"
	sed 's/^/# not exported: /' "$tmp/missing"
else
	echo "ok 2 - every documented function exported"
	sed 's/^/# exported: /' "$tmp/documented"
fi
exit 0
