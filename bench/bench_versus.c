/* SPDX-License-Identifier: MIT */
/*
 * bench_versus.c - lfpool against DPDK's rte_mempool in one process, their
 * runs alternating. On a shared machine, figures of separate processes
 * (the peer suite's one process per peer) move by 10 to 30% from one run
 * of the suite to the next; runs that alternate within one process share
 * the machine's state, and the ratio of two runs side by side holds. The
 * contenders, each from a translation unit of versus-peer.c (versus.h),
 * with the adapters and loops bench_peers uses:
 *  - lfpool-percpu: object pools with per-CPU caches (cache_mode
 *    LFP_CACHE_PER_CPU), skipped with a note where the pool reports that
 *    it runs per-thread;
 *  - lfpool-percpu-noinline: the same, from a unit compiled with
 *    LFP_NO_INLINE, calling lfpool's exported functions where the first
 *    has the headers' inline fast path (per-thread, and named so, where
 *    per-CPU caches are not available);
 *  - lfpool-perthread: per-thread caches (LFP_CACHE_PER_THREAD);
 *  - dpdk: one rte_mempool per size, per-lcore caches of 256.
 * The workloads are bench_peers' pair (get + put of one object, written
 * in between), bulk (bulk get + put of 64, each object written),
 * prodcons (pairs of threads: one gets and stamps objects and passes them
 * through a ring, peer-ring.h, to the other, which checks and puts them;
 * even thread counts, or one pair) and pipeline (the same through a
 * middle thread that checks and stamps again; thread counts that are
 * multiples of 3, or one stream), at each size and thread count: a
 * point. Worker threads live for the whole program, pinned as in
 * bench_peers, registered with DPDK once. A round
 * goes round the points; at each, every lfpool contender runs for -d ms
 * beside a run of DPDK: L1 D L2 D L3 D, and the next round the mirror
 * image, D L3 D L2 D L1, so that which goes first alternates; every two
 * rounds the lfpool contenders' order rotates (L2 D L3 D L1 D ...), so
 * that over six rounds each has had every place. A point's figures: per
 * contender, the median over the rounds of the ratio of its throughput to
 * that of the DPDK run beside it, with the least and greatest of those
 * ratios; the median Mops/s of each contender (DPDK's over all its runs);
 * and, for the noinline contender, the median of the per-round ratios of
 * its inline twin to it. Round 0 warms up, unrecorded.
 *
 * After each run every worker gets a bulk of objects, stamps each, checks
 * the stamps and puts them back (peer_loop_check()); at the end every
 * pool must have all its objects back. A damaged stamp or a count that
 * does not add up stops the program; a slow machine never does. If DPDK's
 * EAL cannot start, the program says why and exits 77.
 */
#include "bench-common.h"

#include <math.h>

#include "peer-ring.h"
#include "versus.h"

#define MAX_SIZES 8u
#define MAX_WLS 4u
#define MAX_POINTS (MAX_WLS * MAX_SIZES * BENCH_MAX_TCOUNTS)
#define NLF 3u			/* lfpool contenders, each beside DPDK */
#define QUICK_RUNS 6		/* -q */
#define QUICK_MS 10
#define QUICK_SIZES "64,1024"
#define STR(x) #x
#define XSTR(x) STR(x)
#define OPTSTRING "r:d:ht:Pw:s:q"	/* bench_parse_args()'s, for -q */

static const char what[] =
	"bench_versus: lfpool against DPDK rte_mempool, runs alternating in "
	"one process";

static const char extra_usage[] =
	"  -w LIST     workloads: pair, bulk, prodcons, pipeline (default\n"
	"              all; prodcons at the even thread counts, pipeline at\n"
	"              the multiples of 3, or one stream where -t has none)\n"
	"  -s LIST     object sizes in bytes (default 16,64,256,1024,4096)\n"
	"  -q          quick: -r " XSTR(QUICK_RUNS) " -d " XSTR(QUICK_MS)
	" -s " QUICK_SIZES ", each unless given\n"
	"  (-r: rounds; a round runs every lfpool contender beside DPDK at "
	"every point)\n";

/* The contenders, in the order of a round: each lfpool one, then DPDK. */
enum { C_PERCPU, C_NOINLINE, C_PERTHREAD, C_DPDK, NCONT };

struct contender {
	char label[32];
	const struct versus_peer *peer;
	int mode;		/* lfpool's cache_mode attribute */
	bool on;		/* runs here: per-CPU may not */
	void *cls[MAX_SIZES];	/* by index in sizes[] */
};

enum wl_kind { WL_PAIR, WL_BULK, WL_STAGES };

struct workload {
	const char *name;
	const char *op;
	enum wl_kind kind;
	unsigned int group;	/* WL_STAGES: threads a stream */
};

static const struct workload workloads[MAX_WLS] = {
	{ "pair", "get + put of one object, written in between", WL_PAIR,
	  0 },
	{ "bulk", "one object of a bulk get + put of 64, each written",
	  WL_BULK, 0 },
	{ "prodcons", "one object got and stamped by a thread, passed "
	  "through a ring, checked and put by another", WL_STAGES, 2 },
	{ "pipeline", "one object got and stamped, checked and stamped "
	  "again by a second thread, checked and put by a third",
	  WL_STAGES, 3 },
};

/* A point, and its samples: one per round, DPDK's one per run. */
struct point {
	const struct workload *wl;
	unsigned int si;	/* index in sizes[] */
	unsigned int threads;
	double mops[NCONT][NLF * BENCH_MAX_RUNS];
	unsigned int nmops[NCONT];
	double ratio[NLF][BENCH_MAX_RUNS];	/* contender / dpdk */
	double inl[BENCH_MAX_RUNS];	/* inline twin / noinline */
	struct versus_counts cnt[NLF];	/* lfpool's, over the recorded runs */
};

/* The run in progress, set by the main thread between the barriers. */
static struct {
	const struct versus_peer *peer;
	void *cls;
	size_t size;
	const struct workload *wl;
	bool quit;
	bool pin;
	unsigned int nthreads;
	uint64_t seq;		/* first stamp of this run's checks */
	atomic_bool stop;
	struct bench_barrier start, done;
} job;

struct worker {
	pthread_t tid;
	unsigned int index;
	uint64_t ops;
	uint64_t t_begin;	/* when its loop began, monotonic ns */
	uint64_t t_end;		/* when its loop ended */
	int cpu;		/* pinned CPU, or a negative errno value */
} __attribute__((aligned(64)));

static const struct versus_peer *const peers[] = {
	&versus_lfpool, &versus_lfpool_noinline, &versus_dpdk,
};

static struct contender cont[NCONT];
static struct worker workers[BENCH_MAX_THREADS];
static struct peer_ring rings[BENCH_MAX_THREADS];	/* WL_STAGES */
static struct point points[MAX_POINTS];
static unsigned int npoints;
static unsigned int sizes[MAX_SIZES], nsizes;
static const struct workload *wls[MAX_WLS];
static unsigned int nwls;
static int twin;		/* the inline contender noinline mirrors */

static void
on_option(int opt, const char *arg)
{
	char buf[64], *tok, *save = NULL;
	unsigned int i;

	if (opt == 'q')
		return;		/* taken by quick_asked() */
	if (opt == 's') {
		nsizes = bench_parse_list(arg, 's', sizes, MAX_SIZES, 16,
					  1u << 20);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	nwls = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < MAX_WLS && strcmp(tok, workloads[i].name); i++)
			;
		if (i == MAX_WLS || nwls == MAX_WLS) {
			fprintf(stderr, "%s: -w: pair, bulk, prodcons, "
				"pipeline, not '%s'\n",
				program_invocation_short_name, arg);
			exit(2);
		}
		wls[nwls++] = &workloads[i];
	}
	if (!nwls) {
		fprintf(stderr, "%s: -w: empty list\n",
			program_invocation_short_name);
		exit(2);
	}
}

/*
 * Whether -q is among the options: a first pass, before the defaults are
 * set, so that -r, -d and -s given anywhere on the line override it.
 */
static bool
quick_asked(int argc, char **argv)
{
	bool quick = false;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, OPTSTRING)) != -1)
		quick |= c == 'q';
	opterr = 1;
	optind = 0;		/* glibc: scan again from the start */
	return quick;
}

static void
worker_run(struct worker *w)
{
	const struct versus_peer *p = job.peer;
	unsigned int g = job.wl->group, stage = g ? w->index % g : 0;
	struct peer_ring *q = g ? &rings[w->index / g * (g - 1)] : NULL;

	w->t_begin = bench_now_ns();
	w->ops = 0;	/* WL_STAGES: an object counts once, where it is put */
	switch (job.wl->kind) {
	case WL_PAIR:
		w->ops = p->pair(job.cls, &job.stop);
		break;
	case WL_BULK:
		w->ops = p->bulk(job.cls, &job.stop);
		break;
	case WL_STAGES:
		if (stage == 0)
			(void)p->produce(job.cls, job.size, q, &job.stop);
		else if (stage < g - 1)
			(void)peer_ring_pass(&q[stage - 1], &q[stage],
					     job.size, job.wl->name);
		else
			w->ops = p->consume(job.cls, job.size, &q[stage - 1],
					    g > 2 ? PEER_PIPE_MARK : 0);
		break;
	}
	w->t_end = bench_now_ns();
	p->check(job.cls, job.size,
		 job.seq + (uint64_t)w->index * VERSUS_BULK);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	w->cpu = job.pin ? bench_pin_self(w->index) : -EPERM;
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		peers[i]->thread_enter();
	for (;;) {
		bench_barrier_wait(&job.start);
		if (job.quit)
			break;
		if (w->index < job.nthreads)
			worker_run(w);
		bench_barrier_wait(&job.done);
	}
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		peers[i]->thread_leave();
	return NULL;
}

/*
 * One run of contender @p c at @p pt lasting @p ms: the workers of the
 * point loop until the main thread raises the stop flag, then check.
 * @return the throughput in Mops/s: every worker's operations over the
 * time from the first loop's start to the last loop's end, as the
 * workers' own clocks read them (the main thread may wake late).
 */
static double
run_one(const struct contender *c, const struct point *pt, unsigned int ms)
{
	uint64_t t0 = UINT64_MAX, t_end = 0, ops = 0;
	unsigned int i;

	job.peer = c->peer;
	job.cls = c->cls[pt->si];
	job.size = sizes[pt->si];
	job.wl = pt->wl;
	job.nthreads = pt->threads;
	if (job.wl->kind == WL_STAGES)
		memset(rings, 0, pt->threads * sizeof(rings[0]));
	job.seq += (uint64_t)BENCH_MAX_THREADS * VERSUS_BULK;
	atomic_store_explicit(&job.stop, false, memory_order_relaxed);
	bench_barrier_wait(&job.start);
	bench_sleep_ms(ms);
	atomic_store_explicit(&job.stop, true, memory_order_relaxed);
	bench_barrier_wait(&job.done);
	for (i = 0; i < pt->threads; i++) {
		ops += workers[i].ops;
		if (workers[i].t_begin < t0)
			t0 = workers[i].t_begin;
		if (workers[i].t_end > t_end)
			t_end = workers[i].t_end;
	}
	return (double)ops * 1e3 / (double)(t_end > t0 ? t_end - t0 : 1);
}

/* run_one(), its lfpool counters added to @p sum (if not NULL). */
static double
run_counted(const struct contender *c, const struct point *pt,
	    unsigned int ms, struct versus_counts *sum)
{
	struct versus_counts a, b;
	void *cls = c->cls[pt->si];
	double x;

	c->peer->cls_counts(cls, &a);
	x = run_one(c, pt, ms);
	c->peer->cls_counts(cls, &b);
	if (sum) {
		sum->gets += b.gets - a.gets;
		sum->hits += b.hits - a.hits;
		sum->depot += b.depot - a.depot;
		sum->direct += b.direct - a.direct;
	}
	return x;
}

/*
 * One round at @p pt: each lfpool contender beside a run of DPDK. Round
 * @p slot (of the recorded ones; -1: the warm-up, as round 0) runs them
 * in the order of the enum rotated by slot / 2 places, lfpool first, or,
 * in odd rounds, that order's mirror image, DPDK first.
 */
static void
run_round(struct point *pt, unsigned int ms, int slot)
{
	unsigned int r = slot < 0 ? 0 : (unsigned int)slot;
	bool mirror = r % 2;
	unsigned int k, i, lf;
	double x, d;

	for (k = 0; k < NLF; k++) {
		lf = ((mirror ? NLF - 1 - k : k) + r / 2) % NLF;
		if (!cont[lf].on)
			continue;
		if (mirror) {
			d = run_one(&cont[C_DPDK], pt, ms);
			x = run_counted(&cont[lf], pt, ms, slot >= 0 ?
					&pt->cnt[lf] : NULL);
		} else {
			x = run_counted(&cont[lf], pt, ms, slot >= 0 ?
					&pt->cnt[lf] : NULL);
			d = run_one(&cont[C_DPDK], pt, ms);
		}
		if (slot < 0)
			continue;
		pt->mops[lf][slot] = x;
		pt->nmops[lf] = (unsigned int)slot + 1;
		pt->ratio[lf][slot] = x / d;
		i = pt->nmops[C_DPDK]++;
		pt->mops[C_DPDK][i] = d;
	}
	if (slot >= 0 && cont[C_NOINLINE].on)
		pt->inl[slot] = pt->mops[twin][slot] /
			pt->mops[C_NOINLINE][slot];
}

static void
min_max(const double *v, unsigned int n, double *lo, double *hi)
{
	unsigned int i;

	*lo = *hi = v[0];
	for (i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* Make the classes of contender @p c, one per size. */
static void
make_classes(struct contender *c, unsigned int tmax)
{
	size_t out = (size_t)tmax * VERSUS_BULK;
	unsigned int i;

	/*
	 * At most each worker's bulk out at once, and with prodcons a ring
	 * a pair and the objects in the two threads' hands; DPDK sizes its
	 * pool from this and the lcores (the workers and the main thread).
	 */
	for (i = 0; i < nwls; i++)
		if (wls[i]->kind == WL_STAGES)
			out += (size_t)tmax * (PEER_RING_SLOTS + 2);
	for (i = 0; i < nsizes; i++)
		c->cls[i] = c->peer->cls_create(sizes[i], out, tmax + 1,
						c->mode);
}

/*
 * The contenders: per-CPU first, to learn whether it runs per-CPU here;
 * noinline in the mode it got.
 */
static void
make_contenders(unsigned int tmax)
{
	int mode = LFP_CACHE_PER_CPU;
	unsigned int i;

	cont[C_PERCPU] = (struct contender){ .peer = &versus_lfpool,
		.mode = LFP_CACHE_PER_CPU, .on = true };
	strcpy(cont[C_PERCPU].label, "lfpool-percpu");
	make_classes(&cont[C_PERCPU], tmax);
	if (versus_lfpool.cls_mode(cont[C_PERCPU].cls[0]) !=
	    LFP_CACHE_PER_CPU) {
		printf("NOTE: per-CPU caches are not available here (the "
		       "pool reports per-thread): lfpool-percpu skipped\n");
		for (i = 0; i < nsizes; i++)
			versus_lfpool.cls_destroy(cont[C_PERCPU].cls[i]);
		cont[C_PERCPU].on = false;
		mode = LFP_CACHE_PER_THREAD;
	}
	twin = mode == LFP_CACHE_PER_CPU ? C_PERCPU : C_PERTHREAD;
	cont[C_NOINLINE] = (struct contender){
		.peer = &versus_lfpool_noinline, .mode = mode, .on = true };
	strcpy(cont[C_NOINLINE].label, mode == LFP_CACHE_PER_CPU ?
	       "lfpool-percpu-noinline" : "lfpool-perthread-noinline");
	cont[C_PERTHREAD] = (struct contender){ .peer = &versus_lfpool,
		.mode = LFP_CACHE_PER_THREAD, .on = true };
	strcpy(cont[C_PERTHREAD].label, "lfpool-perthread");
	cont[C_DPDK] = (struct contender){ .peer = &versus_dpdk, .on = true };
	strcpy(cont[C_DPDK].label, "dpdk");
	for (i = C_NOINLINE; i < NCONT; i++)
		make_classes(&cont[i], tmax);
}

/* The count check: every pool has all its objects back. */
static void
check_counts(void)
{
	unsigned int c, i;
	uint64_t n;

	for (c = 0; c < NCONT; c++) {
		if (!cont[c].on)
			continue;
		for (i = 0; i < nsizes; i++) {
			n = cont[c].peer->cls_in_use(cont[c].cls[i]);
			if (n)
				bench_die("%s, %u B: %llu objects still out "
					  "after every run put its own back",
					  cont[c].label, sizes[i],
					  (unsigned long long)n);
		}
	}
	printf("count check: every pool has all its objects back\n");
}

/* The width of contender @p c's column in the summary tables. */
static int
colw(unsigned int c)
{
	return (int)strlen(cont[c].label);
}

/*
 * lfpool's counters over the recorded runs, per workload and size (all
 * thread counts): they tell a point where the caches missed from one the
 * machine slowed.
 */
static void
print_counts(void)
{
	struct versus_counts n;
	unsigned int i, j, c;
	uint64_t direct = 0;
	char cell[32];

	printf("\nlfpool's caches over the timed runs: %% of gets served by "
	       "the cache, and\nmagazines to and from the depot per 1000 "
	       "gets\n%-8s %5s", "workload", "size");
	for (c = 0; c < NLF; c++)
		if (cont[c].on)
			printf("  %*s", colw(c), cont[c].label);
	putchar('\n');
	for (i = 0; i < npoints; i++) {
		/* A row per workload and size: at the first thread count. */
		if (points[i].threads != points[0].threads)
			continue;
		printf("%-8s %5u", points[i].wl->name, sizes[points[i].si]);
		for (c = 0; c < NLF; c++) {
			if (!cont[c].on)
				continue;
			memset(&n, 0, sizeof(n));
			for (j = 0; j < npoints; j++) {
				const struct versus_counts *p =
					&points[j].cnt[c];

				if (points[j].wl != points[i].wl ||
				    points[j].si != points[i].si)
					continue;
				n.gets += p->gets;
				n.hits += p->hits;
				n.depot += p->depot;
				n.direct += p->direct;
			}
			direct += n.direct;
			snprintf(cell, sizeof(cell), "%.2f%% %6.2f",
				 n.gets ? 100.0 * n.hits / n.gets : 0.0,
				 n.gets ? 1000.0 * n.depot / n.gets : 0.0);
			printf("  %*s", colw(c), cell);
		}
		putchar('\n');
	}
	if (direct)
		printf("NOTE: %llu gets and puts went past a busy per-CPU "
		       "cache to the depot\n", (unsigned long long)direct);
}

static void
print_ratio(const double *v, unsigned int n, bool more)
{
	char range[32];
	double lo, hi;

	min_max(v, n, &lo, &hi);
	snprintf(range, sizeof(range), "%.2f-%.2f", lo, hi);
	printf(" %7.2fx  %-*s", bench_median(v, n), more ? 11 : 0, range);
}

/* Per workload and thread count, a table: a row per size and contender. */
static void
print_tables(unsigned int runs)
{
	unsigned int i, c;

	for (i = 0; i < npoints; i++) {
		struct point *pt = &points[i];
		bool first = true;

		if (pt->si == 0) {
			printf("\n%s: %s; %u thread%s\n", pt->wl->name,
			       pt->wl->op, pt->threads,
			       pt->threads > 1 ? "s" : "");
			printf("%6s  %-26s %9s %8s  %-11s  %s\n", "size",
			       "contender", "Mops/s", "/dpdk", "min-max",
			       "inline/noinline");
		}
		for (c = 0; c < NCONT; c++) {
			if (!cont[c].on)
				continue;
			if (first)
				printf("%6u", sizes[pt->si]);
			else
				printf("%6s", "");
			first = false;
			printf("  %-26s %9.2f", cont[c].label,
			       bench_median(pt->mops[c], pt->nmops[c]));
			if (c != C_DPDK)
				print_ratio(pt->ratio[c], runs,
					    c == C_NOINLINE);
			if (c == C_NOINLINE)
				print_ratio(pt->inl, runs, false);
			putchar('\n');
		}
	}
	printf("\n(Mops/s: median over the runs, all threads together; "
	       "/dpdk: median over the\nrounds of the contender's throughput "
	       "over that of the DPDK run beside it,\nmin-max: the least and "
	       "greatest of those ratios, over %u rounds; above 1:\nlfpool "
	       "ahead. inline/noinline: the same for the inline contender "
	       "over\nthe noinline one.)\n", runs);
}

/*
 * The summary: per workload and thread count, the geometric mean over the
 * sizes of each contender's median ratio to DPDK, and of inline/noinline.
 */
static void
summary(unsigned int runs, bool results)
{
	unsigned int w, ti, i, c, n, tcount[BENCH_MAX_TCOUNTS], nt = 0;
	double lsum[NCONT], isum;

	for (i = 0; i < npoints; i++) {
		for (ti = 0; ti < nt && tcount[ti] != points[i].threads; ti++)
			;
		if (ti == nt)
			tcount[nt++] = points[i].threads;
	}
	if (!results) {
		printf("\nGeometric mean over the sizes of the median ratios "
		       "(lfpool / dpdk;\nabove 1: lfpool ahead)\n%-9s %7s",
		       "workload", "threads");
		for (c = 0; c < NLF; c++)
			if (cont[c].on)
				printf(" %*s", colw(c), cont[c].label);
		printf(" %15s\n", "inline/noinline");
	}
	for (w = 0; w < nwls; w++) {
		for (ti = 0; ti < nt; ti++) {
			memset(lsum, 0, sizeof(lsum));
			isum = 0;
			n = 0;
			for (i = 0; i < npoints; i++) {
				struct point *pt = &points[i];

				if (pt->wl != wls[w] ||
				    pt->threads != tcount[ti])
					continue;
				n++;
				for (c = 0; c < NLF; c++)
					if (cont[c].on)
						lsum[c] += log(bench_median(
							pt->ratio[c], runs));
				isum += log(bench_median(pt->inl, runs));
			}
			if (!n)
				continue;
			if (results) {
				printf("RESULT\tversus\tgeomean_%s_%ut\t"
				       "workload=%s\tthreads=%u\tsizes=%u",
				       wls[w]->name, tcount[ti], wls[w]->name,
				       tcount[ti], n);
				for (c = 0; c < NLF; c++)
					if (cont[c].on)
						printf("\t%s=%.4f",
						       cont[c].label,
						       exp(lsum[c] / n));
				printf("\tinline_over_noinline=%.4f\n",
				       exp(isum / n));
				continue;
			}
			printf("%-9s %7u", wls[w]->name, tcount[ti]);
			for (c = 0; c < NLF; c++)
				if (cont[c].on)
					printf(" %*.2fx", colw(c) - 1,
					       exp(lsum[c] / n));
			printf(" %14.2fx\n", exp(isum / n));
		}
	}
}

static void
print_results(unsigned int runs, unsigned int ms)
{
	unsigned int i, c;
	double lo, hi;

	putchar('\n');
	for (i = 0; i < npoints; i++) {
		struct point *pt = &points[i];

		for (c = 0; c < NCONT; c++) {
			if (!cont[c].on)
				continue;
			min_max(pt->mops[c], pt->nmops[c], &lo, &hi);
			/* The case: workload_size_threads_contender. */
			printf("RESULT\tversus\t%s_%u_%ut_%s\tworkload=%s\t"
			       "size=%u\tthreads=%u\tcontender=%s\t"
			       "mops=%.3f\tmin_mops=%.3f\tmax_mops=%.3f",
			       pt->wl->name, sizes[pt->si], pt->threads,
			       cont[c].label, pt->wl->name, sizes[pt->si],
			       pt->threads, cont[c].label,
			       bench_median(pt->mops[c], pt->nmops[c]), lo,
			       hi);
			if (c != C_DPDK) {
				const struct versus_counts *n = &pt->cnt[c];

				min_max(pt->ratio[c], runs, &lo, &hi);
				printf("\tratio_dpdk=%.4f\tratio_dpdk_min=%.4f"
				       "\tratio_dpdk_max=%.4f\thits_pct=%.3f\t"
				       "depot_per_1k=%.3f\tdirect=%llu",
				       bench_median(pt->ratio[c], runs), lo,
				       hi, n->gets ? 100.0 * n->hits / n->gets :
				       0.0, n->gets ? 1000.0 * n->depot /
				       n->gets : 0.0,
				       (unsigned long long)n->direct);
			}
			if (c == C_NOINLINE) {
				min_max(pt->inl, runs, &lo, &hi);
				printf("\tinline_over_noinline=%.4f\t"
				       "inline_over_noinline_min=%.4f\t"
				       "inline_over_noinline_max=%.4f",
				       bench_median(pt->inl, runs), lo, hi);
			}
			printf("\trounds=%u\trun_ms=%u\n", runs, ms);
		}
	}
	summary(runs, true);
	bench_result_maxrss("versus");
}

/* The points of workload @p wl at @p threads threads, one per size. */
static void
add_points(const struct workload *wl, unsigned int threads,
	   unsigned int *tmax)
{
	unsigned int s;

	for (s = 0; s < nsizes; s++) {
		struct point *pt = &points[npoints++];

		pt->wl = wl;
		pt->si = s;
		pt->threads = threads;
	}
	if (threads > *tmax)
		*tmax = threads;
}

/*
 * The points: per workload, per thread count, per size. prodcons and
 * pipeline take whole streams of 2 and 3 threads: the thread counts of
 * -t that are multiples of that, or else one stream.
 */
static unsigned int
make_points(const struct bench_opts *o)
{
	unsigned int w, t, tmax = 0, n;

	for (w = 0; w < nwls; w++) {
		unsigned int g = wls[w]->group;

		for (t = n = 0; t < o->ntcounts; t++) {
			if (g && o->tcounts[t] % g)
				continue;
			add_points(wls[w], o->tcounts[t], &tmax);
			n++;
		}
		if (!n)
			add_points(wls[w], g, &tmax);
	}
	return tmax;
}

int
main(int argc, char **argv)
{
	bool quick = quick_asked(argc, argv);
	struct bench_opts opts = {
		.runs = quick ? QUICK_RUNS : 18,
		.run_ms = quick ? QUICK_MS : 20,
		.ntcounts = 2,
		.tcounts = { 1, 2 },
		.threaded = true,
		.pin = true,
		.timed = true,
		.extra_opts = "w:s:q",
		.extra_usage = extra_usage,
		.extra = on_option,
	};
	unsigned int i, c, tmax, round, nlf = 0;
	int pin_err = 0;
	uint64_t t_start;
	double est;

	bench_parse_args(argc, argv, &opts, what);
	if (!nsizes)
		nsizes = bench_parse_list(quick ? QUICK_SIZES :
					  "16,64,256,1024,4096", 's', sizes,
					  MAX_SIZES, 16, 1u << 20);
	if (!nwls)
		for (i = 0; i < MAX_WLS; i++)
			wls[nwls++] = &workloads[i];
	printf("%s\nlfpool %s, %u CPUs available, %u rounds (figures: medians "
	       "over them), each run lasts %u ms\n", what, LFP_VERSION_STRING,
	       bench_ncpus(), opts.runs, opts.run_ms);
	if (versus_dpdk.init()) {
		printf("SKIP versus: DPDK cannot run here\n");
		return 77;
	}
	if (!versus_lfpool_noinline.no_inline)
		bench_die("the noinline unit was built without "
			  "LFP_NO_INLINE (bench/local.mk)");
	if (versus_lfpool.no_inline)
		printf("NOTE: LFP_NO_INLINE is set for the whole build: the "
		       "inline contenders call the exported functions too\n");
	printf("lfpool: %s\ndpdk: %s\n", versus_lfpool.origin(),
	       versus_dpdk.origin());
	tmax = make_points(&opts);
	make_contenders(tmax);
	for (c = 0; c < NLF; c++)
		nlf += cont[c].on;
	printf("order at each point:");
	for (c = 0; c < NLF; c++)
		if (cont[c].on)
			printf(" %s dpdk", cont[c].label);
	printf("\n(mirrored every other round, rotated every two)\n");

	job.pin = opts.pin;
	bench_barrier_init(&job.start, tmax + 1);
	bench_barrier_init(&job.done, tmax + 1);
	for (i = 0; i < tmax; i++) {
		int err;

		workers[i].index = i;
		err = pthread_create(&workers[i].tid, NULL, worker_main,
				     &workers[i]);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
	est = (opts.runs + 0.5) * npoints * 2 * nlf * opts.run_ms / 1e3;
	fprintf(stderr, "bench_versus: %u rounds of %u points x %u runs of "
		"%u ms: %.0f s of runs\n", opts.runs, npoints, 2 * nlf,
		opts.run_ms, est);
	t_start = bench_now_ns();
	/* Round 0 warms up, at half length, unrecorded. */
	for (round = 0; round <= opts.runs; round++) {
		for (i = 0; i < npoints; i++)
			run_round(&points[i], round ? opts.run_ms :
				  (opts.run_ms + 1) / 2, (int)round - 1);
		fprintf(stderr, "bench_versus: round %u/%u done, %.0f s\n",
			round, opts.runs,
			(double)(bench_now_ns() - t_start) / 1e9);
	}
	job.quit = true;
	bench_barrier_wait(&job.start);
	for (i = 0; i < tmax; i++) {
		pthread_join(workers[i].tid, NULL);
		if (workers[i].cpu < 0 && !pin_err)
			pin_err = -workers[i].cpu;
	}
	bench_barrier_destroy(&job.start);
	bench_barrier_destroy(&job.done);
	bench_print_pinning(opts.pin, opts.pin ? pin_err : 0, "thread");
	check_counts();

	print_tables(opts.runs);
	summary(opts.runs, false);
	print_counts();
	print_results(opts.runs, opts.run_ms);
	for (c = 0; c < NCONT; c++) {
		if (!cont[c].on)
			continue;
		for (i = 0; i < nsizes; i++)
			cont[c].peer->cls_destroy(cont[c].cls[i]);
	}
	versus_dpdk.fini();
	return 0;
}
