#!/bin/sh
# SPDX-License-Identifier: MIT
#
# api-names.sh - the functions (and the one variable) the public headers
# declare with LFP_API,
# one name a line, sorted, each once. Arguments are headers or folders
# (searched for *.h and *.h.in, e.g. the source tree's include/, whose
# version.h.in the build tree's include/ holds generated). Used by the
# export test, the man page test and the install test, so that the three
# agree on what "the API" is.
#
# A declaration starts with LFP_API; the name is the identifier before the
# first "(" outside the arguments of __attribute__ or of an upper-case
# macro (LFP_DEPRECATED("...") may stand before the return type); it may
# be on a following line. A declaration that reaches its ";" with no "("
# left declares a variable: its name is the identifier before the ";".
# Exit status 1 (with a message on stderr) when no header is found.

LC_ALL=C
export LC_ALL

headers=
for arg in "$@"; do
	if test -d "$arg"; then
		headers="$headers $(find "$arg" \( -name '*.h' -o -name '*.h.in' \) \
			-type f | sort)"
	elif test -f "$arg"; then
		headers="$headers $arg"
	fi
done
if test -z "$headers"; then
	echo "api-names.sh: no header in: $*" >&2
	exit 1
fi

# shellcheck disable=SC2086
awk '
	/^[ \t]*LFP_API[ \t]/ { decl = ""; in_decl = 1 }
	in_decl {
		decl = decl " " $0
		gsub(/__attribute__[ \t]*\(\(([^()]|\([^()]*\))*\)\)/, "", decl)
		gsub(/[A-Z_][A-Z0-9_]*[ \t]*\([^()]*\)/, "", decl)
		i = index(decl, "(")
		if (i) {
			head = substr(decl, 1, i - 1)
			if (match(head, /[A-Za-z_][A-Za-z0-9_]*[ \t]*$/)) {
				name = substr(head, RSTART, RLENGTH)
				sub(/[ \t]+$/, "", name)
				print name
			}
			in_decl = 0
		} else if (match(decl, /[A-Za-z_][A-Za-z0-9_]*[ \t]*;/)) {
			name = substr(decl, RSTART, RLENGTH)
			sub(/[ \t]*;$/, "", name)
			print name
			in_decl = 0
		}
	}' $headers | sort -u
