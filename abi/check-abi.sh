#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-abi.sh - the ABI check of liblfpool.so (README.md, "ABI"): abidw
# describes the built library, and abidiff compares that description with
# the baseline committed in abi/liblfpool.abi. Public types count whether
# or not an exported function reaches them (--non-reachable-types: the
# inline fast path reads some in the caller); only the types declared in
# include/ count, not those of lib/ (--headers-dir, and the suppressions
# of abi/liblfpool.abignore for the system's types).
#
#   check-abi.sh           (make check-abi) exit 0 when the ABI is the
#                          baseline's or only gained exported functions
#                          or variables (listed, allowed); 1 with
#                          abidiff's report on any other change; 77
#                          (skipped) without abidw and abidiff, without a
#                          shared library, or for another architecture
#                          than the baseline's; 99 on an error.
#   check-abi.sh --update  (make abi-baseline) rewrite the baseline from
#                          the build, showing what changed.
#
# Environment: top_srcdir and top_builddir (default .), as make sets
# them; ABIDW and ABIDIFF, the tools; ABI_BASELINE, another baseline to
# compare with or write (an older release's, to set -version-info).

set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
ABIDW=${ABIDW:-abidw}
ABIDIFF=${ABIDIFF:-abidiff}
LC_ALL=C
export LC_ALL
lib=$top_builddir/lib/.libs/liblfpool.so
baseline=${ABI_BASELINE:-$top_srcdir/abi/liblfpool.abi}
suppr=$top_srcdir/abi/liblfpool.abignore
update=no
case ${1-} in
--update) update=yes ;;
'') ;;
*) echo "usage: $0 [--update]" >&2; exit 99 ;;
esac

if ! command -v "$ABIDW" >/dev/null 2>&1 ||
	! command -v "$ABIDIFF" >/dev/null 2>&1; then
	echo "SKIP: check-abi: $ABIDW and $ABIDIFF (libabigail) not found;" \
		"on Debian: apt-get install abigail-tools"
	exit 77
fi
if test ! -f "$lib"; then
	echo "SKIP: check-abi: no $lib (configure --disable-shared?)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-abi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

# The public headers: libabigail knows them by file name, so no header of
# lib/ may share a name with one (its types would count as public).
find "$top_srcdir/include" "$top_builddir/include" -name '*.h' |
	sed 's|.*/||' | sort -u >"$tmp/public"
clash=$(find "$top_srcdir/lib" -name '*.h' | sed 's|.*/||' | sort -u |
	comm -12 "$tmp/public" - | tr '\n' ' ')
if test -n "$clash"; then
	echo "ERROR: check-abi: lib/ and include/ both have $clash(rename" \
		"one: libabigail tells public headers by their file name)" >&2
	exit 99
fi

# The description of the build, every type loaded (--load-all-types) but
# lib/'s made opaque (--drop-private-types), without the paths of this
# build: no corpus or compilation folder, no DT_NEEDED list, and the
# source and build folders cut from the file names (they stay long enough
# for libabigail to tell public headers and /usr/include).
cur=$tmp/liblfpool.abi
if ! "$ABIDW" --load-all-types --drop-private-types \
	--headers-dir "$top_srcdir/include" --headers-dir "$top_builddir/include" \
	--no-corpus-path --no-comp-dir-path --no-elf-needed --drop-undefined-syms \
	--type-id-style hash \
	--out-file "$tmp/raw.abi" "$lib"; then
	echo "ERROR: check-abi: $ABIDW failed on $lib" >&2
	exit 99
fi
if ! grep -q '<abi-instr' "$tmp/raw.abi"; then
	echo "ERROR: check-abi: $lib has no debug information (the baseline" \
		"is made from CFLAGS='-O2 -g')" >&2
	exit 99
fi
src=$(cd "$top_srcdir" && pwd) && build=$(cd "$top_builddir" && pwd) ||
	exit 99
re() { printf '%s\n' "$1" | sed 's/[\\|.*^$[]/\\&/g'; }
sed -e "s|path='$(re "$build")/|path='|g" -e "s|path='$(re "$src")/|path='|g" \
	-e "s|path='\\(\\.\\.\\{0,1\\}/\\)*|path='|g" "$tmp/raw.abi" >"$cur" ||
	exit 99

# compare OLD NEW [ABIDIFF OPTIONS]: abidiff's report on stdout, its
# status in $rc (bits: 1 error, 2 usage, 4 ABI change, 8 incompatible).
compare() {
	old=$1 new=$2
	shift 2
	rc=0
	"$ABIDIFF" --non-reachable-types --suppressions "$suppr" \
		--headers-dir1 "$top_srcdir/include" \
		--headers-dir1 "$top_builddir/include" \
		--headers-dir2 "$top_srcdir/include" \
		--headers-dir2 "$top_builddir/include" \
		"$@" "$old" "$new" || rc=$?
}

if test "$update" = yes; then
	if test -f "$baseline"; then
		compare "$baseline" "$cur" >"$tmp/report"
		if test "$rc" -eq 0; then
			echo "check-abi: no ABI change against the baseline"
		else
			echo "check-abi: what changed since the baseline:"
			cat "$tmp/report"
		fi
	fi
	cp "$cur" "$baseline" || exit 99
	echo "check-abi: wrote $baseline; commit it with the change, and" \
		"-version-info in configure.ac by its rules"
	exit 0
fi

if test ! -f "$baseline"; then
	echo "ERROR: check-abi: no baseline $baseline (make abi-baseline)" >&2
	exit 99
fi
arch_of() { sed -n "s/^<abi-corpus .*architecture='\\([^']*\\)'.*/\\1/p" "$1"; }
if test "$(arch_of "$baseline")" != "$(arch_of "$cur")"; then
	echo "SKIP: check-abi: the baseline describes $(arch_of "$baseline")," \
		"this build $(arch_of "$cur")"
	exit 77
fi

echo "check-abi: $ABIDIFF of $lib against $baseline"
compare "$baseline" "$cur" >"$tmp/report"
all=$rc
# The verdict leaves out exported functions and variables added: an
# addition keeps every caller working (the soname stays, A = A + 1).
compare "$baseline" "$cur" --no-added-syms >/dev/null
if test "$((rc & 3))" -ne 0 || test "$((all & 3))" -ne 0; then
	cat "$tmp/report"
	echo "ERROR: check-abi: $ABIDIFF failed (status $rc)" >&2
	exit 99
fi
if test "$all" -ne 0; then
	cat "$tmp/report"
fi
if test "$rc" -eq 0; then
	if test "$all" -eq 0; then
		echo "check-abi: ok, no ABI change against the baseline"
	else
		echo "check-abi: ok, exported functions or variables added" \
			"(allowed; make abi-baseline records them)"
	fi
	exit 0
fi
if test "$((rc & 8))" -ne 0; then
	echo "check-abi: FAIL: incompatible ABI change" \
		"(ABIDIFF_ABI_INCOMPATIBLE_CHANGE): callers built against the" \
		"baseline may break"
else
	echo "check-abi: FAIL: ABI change (ABIDIFF_ABI_CHANGE) beyond added" \
		"functions"
fi
echo "check-abi: if the change is on purpose, set -version-info by the" \
	"rules in configure.ac, run make abi-baseline and commit" \
	"abi/liblfpool.abi with it (README.md, \"ABI\")"
exit 1
