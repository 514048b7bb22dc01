#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo.sh - the quick-start demo (`make demo`): both benchmarks of the
# article "Solving Performance Hotspots With Memory Pooling in Golang",
# run briefly (a few seconds in all) by their own programs, bench_gunzip
# and bench_allocloop, each pooled with lfpool and not (glibc malloc), and
# their RESULT lines gathered into one table: time and mallocs per
# operation, pooled and not, the ratio, and the article's Go figures
# beside them (bench/README.md). The programs are measured as they always
# are; this script only chooses short runs and reads what they print.
#
# Usage: demo.sh [DIR]   DIR holds the built programs (default: bench).
# Prints the table; exits non-zero only when a program could not run.

dir=${1:-bench}
allocloop=$dir/bench_allocloop
gunzip=$dir/bench_gunzip
LC_ALL=C
export LC_ALL

if ! test -x "$allocloop"; then
	echo "demo.sh: no $allocloop: run make first" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lfp-demo.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

runs=5
start=$(date +%s)
echo "Running the article's two benchmarks, pooled with lfpool and with"
echo "glibc malloc (1 thread, median of $runs runs each) ..."
if test -x "$gunzip"; then
	if ! "$gunzip" -r "$runs" -d 150 >"$tmp/gunzip" 2>&1; then
		cat "$tmp/gunzip" >&2
		exit 1
	fi
else
	: >"$tmp/gunzip"        # built without zlib
fi
if ! "$allocloop" -t 1 -r "$runs" -d 30 >"$tmp/allocloop" 2>&1; then
	cat "$tmp/allocloop" >&2
	exit 1
fi
secs=$(($(date +%s) - start))

cat "$tmp/gunzip" "$tmp/allocloop" | awk -v secs="$secs" -F '\t' '
# key=value fields of a RESULT line into v[].
function fields(   i, kv) {
	split("", v)
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		v[kv[1]] = kv[2]
	}
}
# A time in ns, in a unit that suits it.
function t(ns) {
	if (ns >= 100000)
		return sprintf("%.0f us", ns / 1000)
	if (ns >= 1000)
		return sprintf("%.1f us", ns / 1000)
	return sprintf("%.0f ns", ns)
}
function row(name, plain, pooled, go,   r) {
	if (!(plain in ns) || !(pooled in ns))
		return
	r = ns[plain] / ns[pooled]
	printf "%-26s %9s %9s %7s %7s %9s   %s\n", name, t(ns[plain]),
	       t(ns[pooled]), mallocs[plain], mallocs[pooled],
	       sprintf(r < 10 ? "%.2fx" : "%.1fx", r), go
}
$1 == "RESULT" && $2 == "gunzip" && ($3 == "nopool" || $3 == "pooled") {
	fields()
	ns["gz_" $3] = v["ns_per_op"]
	mallocs["gz_" $3] = sprintf("%.0f", v["mallocs_per_op"])
}
$1 == "RESULT" && $2 == "allocloop" && $3 ~ /^(malloc|lfpool)_(no)?copy$/ {
	fields()
	ns["al_" $3] = v["ns_per_iter"]
	mallocs["al_" $3] = sprintf("%.0f", v["mallocs_per_iter"])
}
END {
	printf "\n%-26s %19s %15s %9s   %s\n", "", "time per operation",
	       "mallocs per op", "lfpool", "the article, in Go:"
	printf "%-26s %9s %9s %7s %7s %9s   %s\n", "benchmark", "malloc",
	       "lfpool", "malloc", "lfpool", "faster", "heap vs pooled"
	row("gunzip", "gz_nopool", "gz_pooled",
	    "1.5x faster")
	row("allocloop: 50 buffers", "al_malloc_copy", "al_lfpool_copy",
	    "3.6x: 210 vs 58 us, 50 vs 0 allocs")
	row("allocloop without fill", "al_malloc_nocopy", "al_lfpool_nocopy",
	    "-")
	if (!("gz_nopool" in ns))
		print "(gunzip: not built; configure found no zlib)"
	print ""
	print "gunzip: decompress 94 bytes of gzip with a fresh zlib stream per"
	print "  operation (malloc), or one from an lfpool object pool whose"
	print "  constructor set it up once (lfpool). zlib takes about 39 KB in 2"
	print "  mallocs per stream, and C has no garbage collector, so the gain"
	print "  is small here; in Go it came from the collector."
	print "allocloop: allocate 50 buffers of 10 B or (1 in 10) 256 KiB-1,"
	print "  fill them, free them, with malloc or an lfpool buffer pool;"
	print "  \"without fill\" writes one byte per buffer: the allocators alone."
	print "mallocs: calls counted by the benchmarks (zlib hooks; an interposed"
	print "  malloc). Go figures: the article, 4 threads (bench/README.md)."
	printf "Ran in %d s. The full programs: bench/bench_gunzip,\n", secs
	print "bench/bench_allocloop; all benchmarks: make bench (bench/README.md)."
}'
