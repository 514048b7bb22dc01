#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-suite.sh - the benchmark suite behind `make bench`: every workload of
# bench_peers against every peer allocator that was built, each pair in a
# process of its own (so its peak resident memory is its own), lfpool once
# per cache mode; then bench_versus (lfpool and DPDK in one process, their
# runs alternating: the comparison that holds from run to run), when it
# was built; then the article's programs (fastpath, allocloop, gunzip).
# It shows progress on stderr, prints the tables on stdout, and
# writes everything to a results folder: the logs, results.csv (one line
# per peer, workload, size and thread count), programs.csv (the other
# programs' RESULT lines, one key per line), summary.txt (the tables) and,
# when gnuplot is there, PNG plots. Run from the build folder; see
# bench/README.md. Slow machines make it slower, never make it fail: it
# exits 1 only when a program stopped on a wrong result.
#
# Environment (all optional):
#   BENCH_QUICK=1      a short run (under 2 minutes) instead of the full one
#   BENCH_WORKLOADS    workloads to run (default: all)
#   BENCH_PEERS        peers to run (default: all that were built)
#   BENCH_THREADS      thread counts of the workloads, e.g. 1,2,4,8,16
#                      (default: 1 and the CPUs when quick, else 1, 2, 4 ...
#                      up to 4 times the CPUs)
#   BENCH_PROGRAMS     the article's programs (default: those in bench/)
#   BENCH_ARGS         options for those programs (e.g. '-r 15')
#   BENCH_VERSUS       the lfpool-against-DPDK program (default
#                      bench/bench_versus; empty: not run)
#   BENCH_RESULTS      where the results folder goes (default bench/results)
#   GNUPLOT            the gnuplot program; empty: no plots

set -u

all_workloads="pair bulk prodcons pipeline larson churn scratch scratch-buf"
all_peers="glibc jemalloc tcmalloc mimalloc tbb gslice dpdk lfpool-percpu lfpool-perthread"
workloads=${BENCH_WORKLOADS:-$all_workloads}
peers=${BENCH_PEERS:-$all_peers}
programs=${BENCH_PROGRAMS-"bench/bench_fastpath bench/bench_fastpath_static bench/bench_allocloop bench/bench_gunzip bench/bench_idle_threads bench/bench_trim bench/bench_numa"}
versus=${BENCH_VERSUS-bench/bench_versus}
gnuplot=${GNUPLOT-gnuplot}
# The workloads whose scaling from 1 to 2 threads the summary shows (Hoard's
# cache-scratch: passive false sharing), and the peers whose best lfpool
# is set against there.
scaled="scratch scratch-buf"
scaled_peers="jemalloc mimalloc tbb"
ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)

case ${BENCH_QUICK:-} in
''|0|no) quick= ;;
*) quick=1 ;;
esac

# Options of bench_peers per workload, and of the article's programs.
if [ -n "$quick" ]; then
	mode="quick (BENCH_QUICK)"
	common="-r 5 -t ${BENCH_THREADS:-1,$ncpu}"
	prog_args=${BENCH_ARGS:--r 3 -d 10}
	versus_args=-q
else
	mode=full
	common="-r 7${BENCH_THREADS:+ -t $BENCH_THREADS}"
	prog_args=${BENCH_ARGS:-}
	versus_args=
fi
peer_args() {
	case $1 in
	pair|bulk)
		if [ -n "$quick" ]; then echo "$common -d 20 -s 64,1024"
		else echo "$common -d 50"; fi ;;
	scratch|scratch-buf)
		if [ -n "$quick" ]; then echo "$common -d 20 -s 8,64"
		else echo "$common -d 50"; fi ;;
	*)
		if [ -n "$quick" ]; then echo "$common -d 40"
		else echo "$common -d 100"; fi ;;
	esac
}

stamp=$(date +%Y%m%d-%H%M%S)
out=${BENCH_RESULTS:-bench/results}/$stamp
mkdir -p "$out/log" || exit 1
raw=$out/results.tsv
: >"$raw"
failed=
skipped=
start=$(date +%s)

say() {
	printf '%s\n' "$*" >&2
}

# run LOG CMD...: run a program, its output to LOG, under a time limit
# (a hung program is a bug, which the limit turns into a failure).
run() {
	log=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout 900 "$@" >"$log" 2>&1
	else
		"$@" >"$log" 2>&1
	fi
}

# The cases: workload x peer, then the programs.
cases=
for w in $workloads; do
	for p in $peers; do
		cases="$cases $w:$p"
	done
done
ncases=0
for c in $cases $versus $programs; do
	ncases=$((ncases + 1))
done

{
	echo "lfpool benchmark suite, $mode run, $stamp"
	echo "command: ${BENCH_QUICK:+BENCH_QUICK=$BENCH_QUICK }make bench${BENCH_ARGS:+ BENCH_ARGS=\"$BENCH_ARGS\"}"
	echo "machine: $ncpu CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | sort -u | head -n 1)), $(uname -sr)"
	echo "compiler: $(${CC:-cc} --version 2>/dev/null | head -n 1)"
} >"$out/machine.txt"
say "$(head -n 1 "$out/machine.txt"): $ncases cases, results in $out"

i=0
for c in $cases; do
	i=$((i + 1))
	w=${c%%:*}
	p=${c#*:}
	case $p in
	lfpool-*) bin=bench/bench_peer_lfpool; env="LFP_CACHE_MODE=${p#lfpool-}" ;;
	*) bin=bench/bench_peer_$p; env= ;;
	esac
	log=$out/log/$w-$p.txt
	if [ ! -x "$bin" ]; then
		say "[$i/$ncases] $w $p: skipped, not built (configure did not find it)"
		skipped="$skipped $p"
		continue
	fi
	printf '[%d/%d] %-9s %-17s ' "$i" "$ncases" "$w" "$p" >&2
	t0=$(date +%s)
	# shellcheck disable=SC2046,SC2086 # the options are words
	run "$log" env $env "$bin" -w "$w" $(peer_args "$w")
	rc=$?
	t1=$(date +%s)
	case $rc in
	0)
		say "$((t1 - t0)) s"
		grep '^NOTE' "$log" >&2
		grep '^RESULT' "$log" >>"$raw" ;;
	77)
		say "skipped: $(grep -v '^SKIP' "$log" | tail -n 1)"
		skipped="$skipped $p" ;;
	*)
		say "FAILED (status $rc), see $log"
		failed="$failed $w:$p" ;;
	esac
done

# run_prog WHY PROG ARGS...: one of the single programs, its RESULT lines
# into programs.tsv under the program's file name (the fastpath programs
# share a RESULT name: this tells them apart). WHY says why it may not
# have been built. Status 77 is a skip (bench_versus: DPDK's EAL did not
# start), with the program's last line as the reason.
run_prog() {
	why=$1
	prog=$2
	shift 2
	i=$((i + 1))
	name=${prog##*/}
	log=$out/log/$name.txt
	if [ ! -x "$prog" ]; then
		say "[$i/$ncases] $name: skipped, not built$why"
		return
	fi
	printf '[%d/%d] %-27s ' "$i" "$ncases" "$name" >&2
	t0=$(date +%s)
	run "$log" "$prog" "$@"
	rc=$?
	t1=$(date +%s)
	case $rc in
	0)
		say "$((t1 - t0)) s" ;;
	77)
		say "skipped: $(grep -v '^SKIP' "$log" | tail -n 1)"
		skipped="$skipped $name" ;;
	*)
		say "FAILED (status $rc), see $log"
		failed="$failed $name" ;;
	esac
	grep '^RESULT' "$log" | sed "s/^RESULT	[^	]*/RESULT	$name/" \
		>>"$out/programs.tsv"
}

# shellcheck disable=SC2086 # the options are words
for prog in $versus; do
	run_prog " (configure did not find dpdk)" "$prog" $versus_args
done
# shellcheck disable=SC2086 # the options are words
for prog in $programs; do
	run_prog "" "$prog" $prog_args
done

# results.csv: one line per workload, peer, size and thread count.
awk -F '\t' '
BEGIN {
	n = split("size threads mops ns_per_op min_mops max_mops maxrss_kb runs threads_per_s cpu_ns_per_op shared", key, " ")
	printf "workload,peer"
	for (i = 1; i <= n; i++)
		printf ",%s", key[i]
	printf "\n"
}
{
	split("", v)
	for (i = 4; i <= NF; i++) {
		eq = index($i, "=")
		v[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	printf "%s,%s", $2, $3
	for (i = 1; i <= n; i++)
		printf ",%s", (key[i] in v) ? v[key[i]] : ""
	printf "\n"
}' "$raw" >"$out/results.csv"

# programs.csv: program,case,key,value.
{
	echo "program,case,key,value"
	[ -f "$out/programs.tsv" ] && awk -F '\t' '{
		for (i = 4; i <= NF; i++) {
			eq = index($i, "=")
			printf "%s,%s,%s,%s\n", $2, $3, substr($i, 1, eq - 1), substr($i, eq + 1)
		}
	}' "$out/programs.tsv"
} >"$out/programs.csv"

# The start of the awk programs of tables() and plots(): from results.csv,
# m[w, s, t, p] is the Mops/s of workload w, size s, t threads and peer p;
# sz[w, 1..ns[w]] the sizes of w in order, th[w, s, 1..nt[w, s]] its
# thread counts; rss[w, p] the peak memory of the process; ran[p] is set
# for the peers with results; cpu[w, s, t, p] is the CPU time per
# operation (scratch only); pl[1..np] are the peers and wl[1..nw] the
# workloads, in the order of the tables.
# shellcheck disable=SC2016 # awk code
collect_awk='
BEGIN {
	np = split(peers, pl, " ")
	nw = split(wls, wl, " ")
}
NR == 1 { next }
{
	w = $1; p = $2; s = $3; t = $4
	if (!((w, s) in seen)) {
		seen[w, s] = 1
		ns[w]++
		sz[w, ns[w]] = s
	}
	if (!((w, s, t) in seen)) {
		seen[w, s, t] = 1
		nt[w, s]++
		th[w, s, nt[w, s]] = t
	}
	m[w, s, t, p] = $5
	cpu[w, s, t, p] = $12
	if ($9 + 0 > rss[w, p] + 0)
		rss[w, p] = $9
	ran[p] = 1
}
'

# The tables, from results.csv. Per workload and size: Mops/s of each peer
# against threads, each lfpool mode over glibc and over the best other peer
# in the same run, then a verdict per workload, the scaling of the
# workloads in $scaled, and the peak memory.
tables() {
	awk -F, -v peers="$peers" -v wls="$workloads" -v scaled="$scaled" \
		-v scaled_peers="$scaled_peers" "$collect_awk"'
function ratio(a, b) { return (a != "" && b != "" && b > 0) ? a / b : "" }
function fmt(r) { return r == "" ? sprintf("%9s", "-") : sprintf("%8.2fx", r) }
function cell(v) { if (v == "") printf " %9s", "-"; else printf " %9.2f", v }
function wcell(v) { if (v == "") printf " %11s", "-"; else printf " %11.2f", v }
# The sizes of workload w as a header; then, per peer, v at 2 threads over
# v at 1 thread for each size.
function sizes_head(w,    si) {
	printf "%-28s", "size"
	for (si = 1; si <= ns[w]; si++)
		printf " %9s", sz[w, si]
	printf "\n"
}
function scaling_rows(w, v,    pi, p, si, s) {
	for (pi = 1; pi <= np; pi++) {
		p = pl[pi]
		if (!ran[p])
			continue
		printf "%-28s", p
		for (si = 1; si <= ns[w]; si++) {
			s = sz[w, si]
			printf " %s", fmt(ratio(v[w, s, 2, p], v[w, s, 1, p]))
		}
		printf "\n"
	}
}
END {
	for (wi = 1; wi <= nw; wi++) {
		w = wl[wi]
		for (si = 1; si <= ns[w]; si++) {
			s = sz[w, si]
			k = nt[w, s]
			printf "\n%s, %s: Mops/s, median of the runs (higher is better)\n", \
				w, s == 0 ? "mixed sizes" : s " B"
			printf "%-26s", "threads"
			for (ti = 1; ti <= k; ti++)
				printf " %9s", th[w, s, ti]
			printf "\n"
			for (pi = 1; pi <= np; pi++) {
				p = pl[pi]
				if (!ran[p])
					continue
				printf "%-26s", p
				for (ti = 1; ti <= k; ti++)
					cell(m[w, s, th[w, s, ti], p])
				printf "\n"
			}
			# The best peer that is not lfpool, per thread count.
			for (ti = 1; ti <= k; ti++) {
				t = th[w, s, ti]
				best[ti] = ""
				bestp[ti] = "-"
				for (pi = 1; pi <= np; pi++) {
					p = pl[pi]
					if (p ~ /^lfpool/ || m[w, s, t, p] == "")
						continue
					if (best[ti] == "" || m[w, s, t, p] + 0 > best[ti] + 0) {
						best[ti] = m[w, s, t, p]
						bestp[ti] = p
					}
				}
			}
			printf "%-26s", "best other peer"
			for (ti = 1; ti <= k; ti++)
				printf " %9s", bestp[ti]
			printf "\n"
			for (pi = 1; pi <= np; pi++) {
				p = pl[pi]
				if (p !~ /^lfpool/ || !ran[p])
					continue
				for (pass = 1; pass <= 2; pass++) {
					printf "%-26s", p " / " (pass == 1 ? "glibc" : "best")
					for (ti = 1; ti <= k; ti++) {
						t = th[w, s, ti]
						r = ratio(m[w, s, t, p], pass == 1 ? m[w, s, t, "glibc"] : best[ti])
						printf " %s", fmt(r)
						if (pass == 2 && r != "") {
							sum[p, w] += log(r)
							cnt[p, w]++
							if (r > 1.1) ahead[p, w]++
							else if (r < 0.9) behind[p, w]++
							else level[p, w]++
						}
						if (pass == 1 && r != "") {
							gsum[p, w] += log(r)
							gcnt[p, w]++
						}
					}
					printf "\n"
				}
			}
		}
	}
	# Scaling: Mops/s at 2 threads over 1, per peer and size; then
	# lfpool at 2 threads over the best of $scaled_peers; then the CPU
	# time per operation at 2 threads over 1.
	nsc = split(scaled, sc, " ")
	nsp = split(scaled_peers, sp, " ")
	for (wi = 1; wi <= nsc; wi++) {
		w = sc[wi]
		if (!ns[w])
			continue
		printf "\n%s: scaling, Mops/s at 2 threads over 1 thread (higher is better)\n", w
		sizes_head(w)
		scaling_rows(w, m)
		for (pi = 1; pi <= np; pi++) {
			p = pl[pi]
			if (p !~ /^lfpool/ || !ran[p])
				continue
			printf "%-28s", p " / best of " nsp
			for (si = 1; si <= ns[w]; si++) {
				s = sz[w, si]
				best2 = ""
				for (k = 1; k <= nsp; k++) {
					v = m[w, s, 2, sp[k]]
					if (v != "" && (best2 == "" || v + 0 > best2 + 0))
						best2 = v
				}
				printf " %s", fmt(ratio(m[w, s, 2, p], best2))
			}
			printf "\n"
		}
		printf "(best of %d: the best of %s at 2 threads)\n", nsp, scaled_peers
		printf "\n%s: CPU time per operation at 2 threads over 1 thread (lower is better;\n", w
		printf "1.00: no line shared between the threads; little moved by other processes)\n"
		sizes_head(w)
		scaling_rows(w, cpu)
	}
	printf "\nWhere lfpool stands: points ahead (> 1.10x the best other peer), level,\n"
	printf "behind (< 0.90x); geometric means of the ratios over all points.\n"
	printf "%-18s %-11s %6s %6s %6s %10s %10s\n", "lfpool mode", "workload", \
		"ahead", "level", "behind", "vs best", "vs glibc"
	for (pi = 1; pi <= np; pi++) {
		p = pl[pi]
		if (p !~ /^lfpool/ || !ran[p])
			continue
		for (wi = 1; wi <= nw; wi++) {
			w = wl[wi]
			if (!cnt[p, w])
				continue
			printf "%-18s %-11s %6d %6d %6d %9.2fx %9.2fx\n", p, w, \
				ahead[p, w], level[p, w], behind[p, w], \
				exp(sum[p, w] / cnt[p, w]), \
				gcnt[p, w] ? exp(gsum[p, w] / gcnt[p, w]) : 0
		}
	}
	printf "\nPeak resident memory of each process, MiB (lower is better)\n"
	printf "%-18s", "peer"
	for (wi = 1; wi <= nw; wi++)
		printf " %11s", wl[wi]
	printf "\n"
	for (pi = 1; pi <= np; pi++) {
		if (!ran[pl[pi]])
			continue
		printf "%-18s", pl[pi]
		for (wi = 1; wi <= nw; wi++)
			wcell(rss[wl[wi], pl[pi]] == "" ? "" : rss[wl[wi], pl[pi]] / 1024)
		printf "\n"
	}
}' "$out/results.csv"
	# bench_versus: its own tables, less its progress and RESULT lines.
	vlog=$out/log/bench_versus.txt
	if [ -f "$vlog" ] && grep -q '^RESULT' "$vlog"; then
		printf '\nlfpool against DPDK, runs alternating in one process '
		printf '(bench_versus; see bench/README.md)\n'
		grep -v -e '^RESULT' -e '^bench_versus: ' "$vlog"
	fi
	if grep -qv '^RESULT	bench_versus	' "$out/programs.tsv" 2>/dev/null; then
		printf '\nThe article'"'"'s programs (RESULT lines; see bench/README.md)\n'
		grep -v '^RESULT	bench_versus	' "$out/programs.tsv" |
			sed 's/^RESULT	//; s/	/  /g'
	fi
}

# The plots: data files from results.csv, then one gnuplot script.
plots() {
	mkdir -p "$out/plot"
	awk -F, -v peers="$peers" -v wls="$workloads" -v dir="$out/plot" \
		"$collect_awk"'
function header(first,    pi) {
	line = first
	for (pi = 1; pi <= np; pi++)
		if (ran[pl[pi]]) line = line " " pl[pi]
	return line
}
function row(first, w, s, t,    pi, line, v) {
	line = first
	for (pi = 1; pi <= np; pi++) {
		if (!ran[pl[pi]]) continue
		v = m[w, s, t, pl[pi]]
		line = line " " (v == "" ? "NaN" : v)
	}
	return line
}
END {
	for (wi = 1; wi <= nw; wi++) {
		w = wl[wi]
		for (si = 1; si <= ns[w]; si++) {
			s = sz[w, si]
			f = dir "/" w "-" s "-threads.dat"
			print header("threads") > f
			for (ti = 1; ti <= nt[w, s]; ti++)
				print row(th[w, s, ti], w, s, th[w, s, ti]) > f
			close(f)
			print w, s, f > (dir "/threads.list")
		}
		if (ns[w] > 1) {
			f = dir "/" w "-sizes.dat"
			print header("size") > f
			for (si = 1; si <= ns[w]; si++)
				print row(sz[w, si], w, sz[w, si], th[w, sz[w, si], 1]) > f
			close(f)
			print w, th[w, sz[w, 1], 1], f > (dir "/sizes.list")
		}
	}
	f = dir "/memory.dat"
	print header("workload") > f
	for (wi = 1; wi <= nw; wi++) {
		w = wl[wi]
		if (!ns[w]) continue
		line = w
		for (pi = 1; pi <= np; pi++) {
			if (!ran[pl[pi]]) continue
			v = rss[w, pl[pi]]
			line = line " " (v == "" ? "NaN" : v / 1024)
		}
		print line > f
	}
	close(f)
}' "$out/results.csv"
	[ -f "$out/plot/threads.list" ] || return 0
	ncol=$(($(head -n 1 "$out/plot/memory.dat" | wc -w)))
	first_lf=$(head -n 1 "$out/plot/memory.dat" | tr ' ' '\n' | grep -n '^lfpool' | head -n 1 | cut -d: -f1)
	gp=$out/plot/plots.gp
	{
		echo 'set terminal pngcairo size 800,480 font "sans,10"'
		echo 'set grid'
		# Nine colours that differ; lfpool's lines are also thicker.
		n=0
		for c in '#1f77b4' '#ff7f0e' '#2ca02c' '#d62728' '#9467bd' '#8c564b' '#e377c2' '#000000' '#17becf' '#bcbd22'; do
			n=$((n + 1))
			echo "set linetype $n lc rgb '$c'"
		done
		echo 'set key outside right top'
		echo "width(i) = i >= ${first_lf:-999} ? 3 : 1.5"
		echo 'set logscale y'
		echo 'set ylabel "Mops/s, log scale (higher is better)"'
		echo 'set logscale x 2'
		while read -r w s f; do
			[ "$s" = 0 ] && what="mixed sizes" || what="$s B"
			echo "set output '$out/$w-$s-threads.png'"
			echo "set title '$w, $what: throughput against threads ($ncpu CPUs: oversubscribed right of the dashed line)'"
			echo 'set xlabel "threads"'
			echo "set arrow 1 from $ncpu, graph 0 to $ncpu, graph 1 nohead dashtype 2"
			echo "plot for [i=2:$ncol] '$f' using 1:i with linespoints lw width(i) title columnheader(i)"
		done <"$out/plot/threads.list"
		echo 'unset arrow 1'
		if [ -f "$out/plot/sizes.list" ]; then
			while read -r w t f; do
				echo "set output '$out/$w-sizes.png'"
				echo "set title '$w: throughput against object size, $t thread(s)'"
				echo 'set xlabel "object size, bytes"'
				echo "plot for [i=2:$ncol] '$f' using 1:i with linespoints lw width(i) title columnheader(i)"
			done <"$out/plot/sizes.list"
		fi
		echo 'unset logscale x'
		echo "set output '$out/memory.png'"
		echo "set title 'Peak resident memory of each workload process (lower is better)'"
		echo 'set ylabel "MiB, log scale"'
		echo 'set xlabel "workload"'
		echo 'set style data histogram'
		echo 'set style histogram clustered gap 1'
		echo 'set style fill solid 0.8 border -1'
		echo "plot for [i=2:$ncol] '$out/plot/memory.dat' using i:xtic(1) title columnheader(i)"
	} >"$gp"
	if "$gnuplot" "$gp" >"$out/log/gnuplot.txt" 2>&1; then
		set -- "$out"/*.png
		say "plots: $# PNG files in $out"
	else
		say "gnuplot failed, no plots: see $out/log/gnuplot.txt"
	fi
}

tables | tee "$out/summary.txt"
if [ -n "$gnuplot" ] && command -v "$gnuplot" >/dev/null 2>&1; then
	plots
else
	say "gnuplot not found: no plots (apt-get install gnuplot-nox)"
fi

end=$(date +%s)
# shellcheck disable=SC2086 # one peer a word
[ -n "$skipped" ] && say "skipped: $(printf '%s\n' $skipped | sort -u | tr '\n' ' ')"
say "suite done in $((end - start)) s; results in $out"
if [ -n "$failed" ]; then
	say "FAILED:$failed (a program stopped on a wrong result; see the logs)"
	exit 1
fi
exit 0
