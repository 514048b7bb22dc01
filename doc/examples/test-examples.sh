#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-examples.sh - runs the programs of doc/examples, which make check
# builds: the zlib decompressor pool (skipped when built without zlib), and
# the echo server, started on a free loopback port, driven by echo-client
# with a few concurrent clients for two seconds (every reply checked), then
# stopped with SIGTERM, after which it must print its pools' hit rates.
# Every step has a time limit and the server never outlives the test.
# Prints TAP.

top_builddir=${top_builddir:-.}
ex=$top_builddir/doc/examples
clients=4
seconds=2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-examples.XXXXXX") || exit 99
server=
# shellcheck disable=SC2317
cleanup() {
	if test -n "$server"; then
		kill -KILL "$server" 2>/dev/null
		wait "$server" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# limit SECONDS CMD...: CMD, killed after SECONDS when timeout(1) exists.
limit() {
	s=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 5 "$s" "$@"
	else
		"$@"
	fi
}

# show FILE: a file's lines as TAP comments.
show() {
	sed 's/^/# /' "$1"
}

echo "1..4"

# 1: the decompressor pool.
if test -x "$ex/gunzip-pool"; then
	if limit 60 "$ex/gunzip-pool" >"$tmp/gunzip.out" 2>&1 &&
		grep -q 'hit rate' "$tmp/gunzip.out"; then
		echo "ok 1 - gunzip-pool"
	else
		echo "not ok 1 - gunzip-pool"
	fi
	show "$tmp/gunzip.out"
else
	echo "ok 1 - gunzip-pool # SKIP built without zlib"
fi

# 2: the server starts and prints its port within ten seconds.
"$ex/echo-server" -t 4 -T 60 >"$tmp/server.out" 2>"$tmp/server.err" &
server=$!
port=
i=0
while test $i -lt 100; do
	port=$(sed -n 's/^port \([0-9][0-9]*\)$/\1/p' "$tmp/server.out")
	test -n "$port" && break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if test -z "$port"; then
	echo "not ok 2 - echo-server listens on a loopback port"
	show "$tmp/server.err"
	echo "not ok 3 - echo-client # no server"
	echo "not ok 4 - echo-server stops and prints its hit rates # no server"
	exit 0
fi
echo "ok 2 - echo-server listens on a loopback port"

# 3: concurrent clients, every reply checked.
if limit 60 "$ex/echo-client" -p "$port" -c "$clients" -d "$seconds" \
	>"$tmp/client.out" 2>&1; then
	echo "ok 3 - echo-client: $clients clients for $seconds s"
else
	echo "not ok 3 - echo-client: $clients clients for $seconds s"
fi
show "$tmp/client.out"

# 4: SIGTERM stops the server: within ten seconds it prints both pools'
# statistics (its last words), then exits 0. A process that has exited
# may linger unreaped, so the output says when it is done, not kill -0.
kill -TERM "$server"
i=0
while test "$(grep -c '^pool .* hit rate ' "$tmp/server.out")" != 2 &&
	test $i -lt 100; do
	sleep 0.1
	i=$((i + 1))
done
if test $i -lt 100; then
	wait "$server"
	rc=$?
	server=
else
	rc=timeout
fi
if test "$rc" = 0; then
	echo "ok 4 - echo-server stops and prints its hit rates"
else
	echo "not ok 4 - echo-server stops and prints its hit rates # status $rc"
	show "$tmp/server.err"
fi
show "$tmp/server.out"
exit 0
