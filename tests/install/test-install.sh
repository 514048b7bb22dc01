#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-install.sh - what a user of an installed lfpool sees. It runs
# `make install` from the build tree into a staging DESTDIR, checks that
# the libraries, every public header, lfpool.pc and the man pages (with a
# page for every declared function) are there, then builds
# tests/install/outside.c, a program outside the tree's build, with the
# staged lfpool.pc through pkg-config, once against liblfpool.so and once
# (--static) against liblfpool.a, and runs both. Last, `make uninstall`
# must leave no file behind. The build's compiler and flags come from make
# (LFP_CC, LFP_CFLAGS, ...), so sanitizer builds link their runtime too.
# Prints TAP.

top_srcdir=${top_srcdir:-.}
abs_top_builddir=${abs_top_builddir:-$(pwd)}
make=${LFP_MAKE:-make}
LC_ALL=C
export LC_ALL

if test -z "${LFP_libdir:-}" || test -z "${LFP_includedir:-}" ||
	test -z "${LFP_pkgconfigdir:-}" || test -z "${LFP_mandir:-}"; then
	echo "Bail out! LFP_libdir, LFP_includedir, LFP_pkgconfigdir and" \
		"LFP_mandir come from make check"
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
stage=$tmp/stage

# The sub-make must not try to join the jobserver of the make running us.
unset MAKEFLAGS MFLAGS

show() {
	sed 's/^/# /' "$1"
}

echo "1..6"

# 1: make install DESTDIR=...
if $make -C "$abs_top_builddir" install DESTDIR="$stage" \
	>"$tmp/install.log" 2>&1; then
	echo "ok 1 - make install DESTDIR"
else
	echo "not ok 1 - make install DESTDIR"
	show "$tmp/install.log"
	echo "Bail out! make install failed"
	exit 0
fi

# 2: the files a user expects, where they expect them.
libdir=$stage$LFP_libdir
: >"$tmp/missing"
need() {
	test -e "$1" || echo "${1#"$stage"}" >>"$tmp/missing"
}
ls "$libdir"/liblfpool.so.* >/dev/null 2>&1 || ls "$libdir"/liblfpool.a \
	>/dev/null 2>&1 || echo "$LFP_libdir/liblfpool.*" >>"$tmp/missing"
need "$stage$LFP_includedir/lfpool.h"
for h in "$top_srcdir"/include/lfpool/*.h "$top_srcdir"/include/lfpool/*.h.in; do
	test -e "$h" || continue
	h=${h##*/}
	need "$stage$LFP_includedir/lfpool/${h%.in}"
done
need "$stage$LFP_pkgconfigdir/lfpool.pc"
for p in $LFP_MAN_PAGES; do
	p=${p##*/}
	need "$stage$LFP_mandir/man${p##*.}/$p"
done
# A man page for every function the installed headers declare (LFP_API).
sh "$top_srcdir/tests/common/api-names.sh" "$stage$LFP_includedir" \
	>"$tmp/functions"
while read -r fn; do
	need "$stage$LFP_mandir/man3/$fn.3"
done <"$tmp/functions"
if test -s "$tmp/missing" || ! test -s "$tmp/functions"; then
	echo "not ok 2 - installed files"
	sed 's/^/# missing: /' "$tmp/missing"
else
	echo "ok 2 - installed files ($(wc -l <"$tmp/functions") functions)"
fi

# 3-5: an outside program, through the staged lfpool.pc.
PKG_CONFIG_SYSROOT_DIR=$stage
PKG_CONFIG_PATH=$stage$LFP_pkgconfigdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
pc=${PKG_CONFIG:-pkg-config}
cc=${LFP_CC:-cc}
src=$top_srcdir/tests/install/outside.c
version=$($pc --modversion lfpool 2>"$tmp/pc.err")

# foreign_missing LOG: the libraries the linker could not find, if none of
# them is lfpool's own or one lfpool.pc names itself.
foreign_missing() {
	m=$(sed -n 's/.*cannot find \(-l[^ ]*\).*/\1/p' "$1" | sed 's/:$//' |
		sort -u)
	for l in $m; do
		case $l in
		-llfpool | -l:liblfpool.a | -lurcu* | -lhwloc | -lpthread)
			return 0 ;;
		esac
	done
	# shellcheck disable=SC2086
	test -z "$m" || echo "" $m
}

# build NAME LIBS: compile outside.c into $tmp/NAME.
build() {
	# shellcheck disable=SC2086
	$cc $LFP_CPPFLAGS $LFP_CFLAGS $cflags -o "$tmp/$1" "$src" \
		$LFP_LDFLAGS $2 >"$tmp/$1.log" 2>&1
}

if test -z "$version"; then
	for i in 3 4 5; do
		echo "not ok $i - pkg-config finds the staged lfpool.pc"
	done
	show "$tmp/pc.err"
else
	cflags=$($pc --cflags lfpool)

	if ! ls "$libdir"/liblfpool.so >/dev/null 2>&1; then
		echo "ok 3 # SKIP no shared library"
	elif build shared "$($pc --libs lfpool)" &&
		LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
		"$tmp/shared" >"$tmp/shared.out" 2>&1 &&
		grep -qx "ok $version" "$tmp/shared.out"; then
		echo "ok 3 - pkg-config --libs: built and ran against liblfpool.so"
	else
		echo "not ok 3 - pkg-config --libs: built and ran against liblfpool.so"
		echo "# cflags: $cflags; libs: $($pc --libs lfpool)"
		show "$tmp/shared.log"
		test -f "$tmp/shared.out" && show "$tmp/shared.out"
	fi

	# The archive, chosen by name; the rest of the line must bring in
	# everything it needs (Requires.private, Libs.private).
	static_libs=$($pc --static --libs lfpool)
	if ! test -f "$libdir/liblfpool.a"; then
		echo "ok 4 # SKIP no static library"
	elif build static "$(echo "$static_libs" |
		sed 's/-llfpool\( \|$\)/-l:liblfpool.a\1/')" &&
		"$tmp/static" >"$tmp/static.out" 2>&1 &&
		grep -qx "ok $version" "$tmp/static.out" &&
		! { command -v readelf >/dev/null 2>&1 &&
			readelf -d "$tmp/static" | grep -q 'NEEDED.*liblfpool'; }
	then
		echo "ok 4 - pkg-config --static: built and ran against liblfpool.a"
	elif test -n "$(foreign_missing "$tmp/static.log")"; then
		# e.g. hwloc.pc names -ludev, whose -dev package hwloc's
		# does not pull in: not lfpool's fault, and fixed by
		# installing it (CI does).
		echo "ok 4 # SKIP a dependency's own private library is not" \
			"installed:$(foreign_missing "$tmp/static.log")"
	else
		echo "not ok 4 - pkg-config --static: built and ran against liblfpool.a"
		echo "# cflags: $cflags; libs: $static_libs"
		show "$tmp/static.log"
		test -f "$tmp/static.out" && show "$tmp/static.out"
	fi

	missing=
	for l in -lurcu-bp -lhwloc; do
		case " $static_libs " in
		*" $l "*) ;;
		*) missing="$missing $l" ;;
		esac
	done
	case " $static_libs " in
	*" -lpthread "* | *" -pthread "*) ;;
	*) missing="$missing -lpthread" ;;
	esac
	if test -z "$missing"; then
		echo "ok 5 - pkg-config --static lists liburcu-bp, hwloc, pthread"
	else
		echo "not ok 5 - pkg-config --static lists liburcu-bp, hwloc, pthread"
		echo "# missing:$missing in: $static_libs"
	fi
fi

# 6: make uninstall removes every file it installed.
if $make -C "$abs_top_builddir" uninstall DESTDIR="$stage" \
	>"$tmp/uninstall.log" 2>&1; then
	find "$stage" ! -type d >"$tmp/left"
	if test -s "$tmp/left"; then
		echo "not ok 6 - make uninstall leaves no file"
		sed "s|^$stage|# left: |" "$tmp/left"
	else
		echo "ok 6 - make uninstall leaves no file"
	fi
else
	echo "not ok 6 - make uninstall leaves no file"
	show "$tmp/uninstall.log"
fi
exit 0
