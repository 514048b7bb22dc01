#!/bin/sh
# SPDX-License-Identifier: MIT
# test-sanitize.sh - a use after put is reported by the tools people run:
# AddressSanitizer (when the tree is built with -fsanitize=address) and
# valgrind memcheck (when it is installed and the build is not ASan). The
# helper tests/api/uaf_put writes into an object after putting it back,
# and into a buffer after freeing it. Prints TAP.
prog=${top_builddir:-.}/tests/api/uaf_put
echo "1..4"
n=0
asan=no
for what in obj buf; do
	n=$((n + 1))
	out=$("$prog" "$what" 2>&1)
	rc=$?
	if echo "$out" | grep -q "AddressSanitizer: use-after-poison"; then
		asan=yes
		echo "ok $n - AddressSanitizer reports a use after put ($what)"
	elif [ "$rc" -eq 0 ]; then
		echo "ok $n # SKIP not an AddressSanitizer build ($what)"
	else
		echo "not ok $n - uaf_put $what: exit $rc, no ASan report"
		echo "$out" | sed 's/^/# /'
	fi
done
# valgrind cannot run programs built with a sanitizer.
sanitized=no
if ${NM:-nm} "$prog" 2>/dev/null | grep -q -E '__(asan|tsan|msan)_'; then
	sanitized=yes
fi
for what in obj buf; do
	n=$((n + 1))
	if [ "$asan" = yes ] || [ "$sanitized" = yes ]; then
		echo "ok $n # SKIP valgrind does not run sanitizer builds ($what)"
		continue
	fi
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "ok $n # SKIP valgrind is not installed ($what)"
		continue
	fi
	out=$(valgrind --error-exitcode=9 "$prog" "$what" 2>&1)
	rc=$?
	if [ "$rc" -eq 9 ] && echo "$out" | grep -q "Invalid write"; then
		echo "ok $n - valgrind reports a use after put ($what)"
	else
		echo "not ok $n - valgrind: exit $rc, no invalid write ($what)"
		echo "$out" | tail -n 20 | sed 's/^/# /'
	fi
done
exit 0
