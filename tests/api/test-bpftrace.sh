#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test-bpftrace.sh - traces a known workload (probe_work) with bpftrace
# through the library's USDT probes (lfpool(7), "Tracing probes"), and
# checks the events against what the workload prints: its pools'
# statistics (magazines taken from and given to the depot, caches made,
# objects carved against those left and trimmed, chunks mapped against
# those left and unmapped) and the events it caused (gets refused at the
# budget, gets served by the reserve, misuse reports, objects of deferred
# batches sent and returned). bpftrace attaches to a library file, and
# its breakpoints are in every process that maps that file (a program
# under valgrind, which runs its own copy of the code, would stop at
# them): so the workload runs on a copy of the library (LD_PRELOAD) that
# nothing else uses, and only events of its command name and pools
# ("probe-*") count. Skipped (a TAP plan of
# "1..0 # SKIP" and why) where it cannot run: no probes built, no shared
# library, no bpftrace, not root, or bpftrace cannot attach (no uprobes,
# no BPF, a container that forbids them); the probe list itself is
# checked by test-probes.sh everywhere. Prints TAP.

top_builddir=${top_builddir:-.}
LC_ALL=C
export LC_ALL
lib=$top_builddir/lib/.libs/liblfpool.so
prog=$top_builddir/tests/api/probe_work

skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

test "${LFP_HAVE_PROBES:-}" = yes ||
	skip "the library was built without tracing probes"
test -f "$lib" || skip "no shared library"
test -x "$prog" || skip "$prog is not built"
command -v bpftrace >/dev/null 2>&1 ||
	skip "bpftrace is not installed (apt-get install bpftrace)"
test "$(id -u)" = 0 || skip "bpftrace needs root to attach probes"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-bpftrace.XXXXXX") || exit 99
bt=
trap 'test -n "$bt" && kill "$bt" 2>/dev/null; rm -rf "$tmp"' EXIT HUP INT TERM
# The copy the workload runs on, and the probes are attached to.
cp "$lib" "$tmp/liblfpool.so.0" || exit 99
lib=$tmp/liblfpool.so.0

# Can bpftrace attach a probe of the library here? One short session.
if ! timeout 60 bpftrace -e "usdt:$lib:lfpool:carve { }
	BEGIN { printf(\"attached\\n\"); exit(); }" >"$tmp/try" 2>&1 ||
	! grep -q '^attached$' "$tmp/try"; then
	skip "bpftrace cannot attach here: $(grep -v RLIMIT_MEMLOCK "$tmp/try" |
		grep . | tail -n 1)"
fi

# Counts (@n) and sums (@s) by probe and pool, for the workload alone.
u="usdt:$lib:lfpool"
w='/comm == "probe_work"/'
cat >"$tmp/count.bt" <<EOT
BEGIN { printf("ready\\n"); }
$u:depot_get, $u:depot_put, $u:cache_new, $u:chunk_map, $u:chunk_unmap,
$u:budget_refuse, $u:reserve_get
$w { @n[probe, str(arg2)] = count(); }
$u:carve $w { @s["carve", str(arg2)] = sum(arg3); }
$u:trim $w {
	@s["trim_objects", str(arg2)] = sum(arg3);
	@s["trim_chunks", str(arg2)] = sum(arg4);
}
$u:rcu_send $w { @s["rcu_send", str(arg2)] = sum(arg3); }
$u:rcu_done $w { @s["rcu_done", str(arg2)] = sum(arg3); }
$u:misuse $w { @n[probe, str(arg0)] = count(); }
EOT
: >"$tmp/out"
bpftrace "$tmp/count.bt" >"$tmp/out" 2>"$tmp/err" &
bt=$!
i=0
until grep -q '^ready$' "$tmp/out"; do
	i=$((i + 1))
	if test $i -gt 600 || ! kill -0 "$bt" 2>/dev/null; then
		echo "Bail out! bpftrace did not start:"
		sed 's/^/# /' "$tmp/err"
		exit 99
	fi
	sleep 0.1
done
# A sanitizer's runtime must come first among preloaded libraries.
rt=$(ldd "$prog" 2>/dev/null | awk '/lib[at]san/ { print $3 }' | tr '\n' ' ')
LD_PRELOAD="$rt$lib" "$prog" >"$tmp/expect" ||
	{ echo "Bail out! $prog failed"; exit 99; }
kill -INT "$bt"
wait "$bt"
bt=
# "@n[usdt:...:lfpool:depot_get, probe-a]: 34" -> "depot_get probe-a 34"
sed -n 's/^@[ns]\[\(.*:\)\{0,1\}\([a-z_]*\), \(probe-[a-z]*\)\]: \([0-9]*\)$/\2 \3 \4/p' \
	"$tmp/out" >"$tmp/seen"

# seen PROBE POOL: the traced count or sum (0 when it never fired).
seen() {
	v=$(awk -v p="$1" -v q="$2" '$1 == p && $2 == q { print $3 }' "$tmp/seen")
	echo "${v:-0}"
}
# expect FIGURE POOL: what the workload printed.
expect() {
	v=$(awk -v p="$1" -v q="$2" '$1 == p && $2 == q { print $3 }' "$tmp/expect")
	test -n "$v" || { echo "Bail out! $prog printed no $1 of $2"; exit 99; }
	echo "$v"
}

echo "1..10"
n=0
failed=0
check() {
	n=$((n + 1))
	if test "$2" = "$3"; then
		echo "ok $n - $1 ($2)"
	else
		echo "not ok $n - $1: traced $2, expected $3"
		failed=1
	fi
}
check "depot_get: magazines taken from the depot" \
	"$(seen depot_get probe-a)" "$(expect depot_get probe-a)"
check "depot_put: magazines given to the depot" \
	"$(seen depot_put probe-a)" "$(expect depot_put probe-a)"
check "cache_new: caches made for threads" \
	"$(seen cache_new probe-a)" "$(expect cache_new probe-a)"
check "carve: objects carved = objects left + trimmed" \
	"$(seen carve probe-a)" \
	"$(($(expect objects probe-a) + $(seen trim_objects probe-a)))"
check "chunk_map: chunks mapped = chunks left + unmapped" \
	"$(seen chunk_map probe-a)" \
	"$(($(expect chunks probe-a) + $(seen chunk_unmap probe-a)))"
check "trim: chunks it gave back = chunk_unmap events" \
	"$(seen trim_chunks probe-a)" "$(seen chunk_unmap probe-a)"
check "budget_refuse: gets refused at the budget" \
	"$(seen budget_refuse probe-b)" "$(expect budget_refuse probe-b)"
check "reserve_get: gets served by the reserve" \
	"$(seen reserve_get probe-b)" "$(expect reserve_get probe-b)"
check "misuse: reports" \
	"$(seen misuse probe-c)" "$(expect misuse probe-c)"
check "rcu_send, rcu_done: objects sent and returned" \
	"$(seen rcu_send probe-d) $(seen rcu_done probe-d)" \
	"$(expect rcu probe-d) $(expect rcu probe-d)"
if test $failed = 1; then
	echo "# bpftrace output:"
	sed 's/^/# /' "$tmp/out"
fi
test $failed = 0
