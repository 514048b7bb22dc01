#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-layers.sh - checks that no file of lib/ includes a header of a layer
# above its own (doc/design.md, "Layers"), and that every file of lib/ has
# a layer. The layers, from the bottom up, one line each; the files of a
# line are one layer and may include each other. A new file of lib/ goes
# on the line of its layer here and in design.md's table. Prints TAP.

top_srcdir=${top_srcdir:-.}
LC_ALL=C
export LC_ALL

layers='internal atomic os
stack
magazine
depot
chunkmap
topo
numa
slab
pcpu rseq
cache
registry
zone tcache rcu trim debug
fork
pool
objpool bufpool stats statsenv version'

# The layer of file stem $1 (0 at the bottom), or nothing.
layer_of() {
	printf '%s\n' "$layers" | awk -v f="$1" '
		{ for (i = 1; i <= NF; i++) if ($i == f) { print NR - 1; exit } }'
}

stem() {
	b=${1##*/}
	echo "${b%.*}"
}

cd "$top_srcdir/lib" || { echo "Bail out! no lib/ under $top_srcdir"; exit 99; }
files=$(find . -name '*.[ch]' | sed 's|^\./||' | sort)
test -n "$files" || { echo "Bail out! no source in lib/"; exit 99; }

echo "1..2"
missing=
up=
for f in $files; do
	l=$(layer_of "$(stem "$f")")
	if test -z "$l"; then
		missing="$missing $f"
		continue
	fi
	# shellcheck disable=SC2013 # header names have no spaces
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		test "$inc" = config.h && continue
		li=$(layer_of "$(stem "$inc")")
		if test -z "$li" || test "$li" -gt "$l"; then
			up="$up
# $f (layer $l) includes $inc (layer ${li:-unknown})"
		fi
	done
done
if test -n "$missing"; then
	echo "not ok 1 - every file of lib/ has a layer"
	echo "# no layer:$missing"
else
	echo "ok 1 - every file of lib/ has a layer ($(echo "$files" | wc -l) files)"
fi
if test -n "$up"; then
	echo "not ok 2 - no file includes a header of a layer above it$up"
else
	echo "ok 2 - no file includes a header of a layer above it"
fi
test -z "$missing$up"
