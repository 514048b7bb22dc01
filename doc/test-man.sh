#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-man.sh - checks the man pages: each passes mandoc's linter at the
# warning level (skipped when mandoc is not installed), every function the
# public headers declare with LFP_API (or define as a function-like
# macro) is named (.Nm) in some page, so that
# `man <function>` finds it once installed, and every lfp_ name a page
# gives is still declared. The pages come from LFP_MAN_PAGES (paths
# relative to the source tree, set by make), or doc/*.[37]. Prints TAP.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
LC_ALL=C
export LC_ALL

pages=
if test -n "${LFP_MAN_PAGES:-}"; then
	for p in $LFP_MAN_PAGES; do
		pages="$pages $top_srcdir/$p"
	done
else
	pages=$(ls "$top_srcdir"/doc/*.[37] 2>/dev/null)
fi
if test -z "$pages"; then
	echo "Bail out! no man pages under $top_srcdir/doc"
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# shellcheck disable=SC2086
set -- $pages
echo "1..$(($# + 2))"

n=0
mandoc=$(command -v mandoc 2>/dev/null)
for p in $pages; do
	n=$((n + 1))
	name=${p##*/}
	if test -z "$mandoc"; then
		echo "ok $n - lint $name # SKIP mandoc is not installed"
	elif "$mandoc" -Tlint -Wwarning "$p" >"$tmp/lint" 2>&1; then
		echo "ok $n - lint $name"
	else
		echo "not ok $n - lint $name"
		sed 's/^/# /' "$tmp/lint"
	fi
done

# The functions declared LFP_API (tests/common/api-names.sh).
sh "$top_srcdir/tests/common/api-names.sh" "$top_srcdir/include" \
	"$top_builddir/include" >"$tmp/declared"
# And the calls that are function-like macros (lfp_objpool_stats()).
headers=$(find "$top_srcdir/include" "$top_builddir/include" \
	\( -name '*.h' -o -name '*.h.in' \) 2>/dev/null)
# shellcheck disable=SC2086
sed -n 's/^#define[ \t][ \t]*\(lfp_[A-Za-z0-9_]*\)(.*/\1/p' $headers \
	>>"$tmp/declared"
sort -u -o "$tmp/declared" "$tmp/declared"
# shellcheck disable=SC2086
sed -n 's/^\.Nm[ \t][ \t]*\(lfp_[A-Za-z0-9_]*\).*/\1/p' $pages |
	sort -u >"$tmp/named"

n=$((n + 1))
if ! test -s "$tmp/declared"; then
	echo "not ok $n - every declared function has a man page"
	echo "# no LFP_API declaration found under $top_srcdir/include"
else
	comm -23 "$tmp/declared" "$tmp/named" >"$tmp/missing"
	if test -s "$tmp/missing"; then
		echo "not ok $n - every declared function has a man page"
		sed 's/^/# in no .Nm line: /' "$tmp/missing"
	else
		echo "ok $n - every declared function has a man page"
	fi
fi

n=$((n + 1))
comm -13 "$tmp/declared" "$tmp/named" >"$tmp/stale"
if test -s "$tmp/stale"; then
	echo "not ok $n - every function a page names is declared"
	sed 's/^/# not declared: /' "$tmp/stale"
else
	echo "ok $n - every function a page names is declared"
fi
exit 0
