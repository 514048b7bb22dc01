/* SPDX-License-Identifier: MIT */
/*
 * bench_fastpath.c - the cost of the fast path: nanoseconds per get+put
 * pair of a 64-byte object, with 1 and 2 threads (each pinned to its own
 * CPU when possible), for
 *  - floor: a thread-local array stack behind non-inlined push/pop calls,
 *    the least an out-of-line API can cost;
 *  - floor (.so): the same stack in a shared library (floor.c), called as
 *    lfpool is: through the PLT, with initial-exec thread-local storage;
 *  - lfpool get+put: lfp_objpool_get() + lfp_objpool_put(), inline as a
 *    program gets them from <lfpool.h> (per-CPU caches where available),
 *    then the same with per-thread caches;
 *  - lfpool out-of-line: the same calls to the exported functions, as a
 *    program built with LFP_NO_INLINE makes them;
 *  - lfpool bulk64: lfp_objpool_get_bulk() + lfp_objpool_put_bulk() of 64
 *    objects, reported per object, inline and out of line;
 *  - malloc/free of 64 bytes, by whatever malloc the binary runs with
 *    (LD_PRELOAD another one to compare).
 * All cases run in the same process, their runs interleaved; only the
 * ratios between them mean much on a shared machine. It prints the table,
 * RESULT lines, and how the figures compare with the bars of DESIGN.md,
 * as facts: timing never makes it fail.
 */
#include "bench-common.h"

#define OBJ_SIZE 64u
#define BULK 64u		/* objects per bulk call */
#define FLOOR_DEPTH 64u		/* slots of the floor's stack */
#define WARM_MIN 20000u		/* pairs each thread runs before timing */

static const char what[] =
	"bench_fastpath: ns per get+put pair of a 64-byte object";

static struct lfp_objpool *pool;       /* cache mode LFP_CACHE_AUTO */
static struct lfp_objpool *pool_pt;    /* LFP_CACHE_PER_THREAD */

/*
 * The floor: a per-thread array stack whose push and pop the compiler can
 * neither inline nor reason about (noipa), so each pair costs two real
 * calls, as through a library's API.
 */
static __thread void *floor_stack[FLOOR_DEPTH];
static __thread unsigned int floor_top;

BENCH_OPAQUE static void *
floor_pop(void)
{
	return floor_top ? floor_stack[--floor_top] : NULL;
}

BENCH_OPAQUE static int
floor_push(void *p)
{
	if (floor_top == FLOOR_DEPTH)
		return -ENOBUFS;
	floor_stack[floor_top++] = p;
	return 0;
}

/*
 * The timed loops: @p n pairs (objects, for bulk), each object written
 * between get and put, the pointer escaping so nothing can be elided.
 */
static void
loop_floor(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		unsigned char *p = floor_pop();

		if (!p)
			bench_die("floor_pop: empty stack");
		p[0] = (unsigned char)i;
		bench_escape(p);
		if (floor_push(p))
			bench_die("floor_push: full stack");
	}
}

/* The floor in a shared library (floor.c). */
void *bench_floor_so_pop(void);
int bench_floor_so_push(void *p);

static void
loop_floor_so(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		unsigned char *p = bench_floor_so_pop();

		if (!p)
			bench_die("bench_floor_so_pop: empty stack");
		p[0] = (unsigned char)i;
		bench_escape(p);
		if (bench_floor_so_push(p))
			bench_die("bench_floor_so_push: full stack");
	}
}

/* @out: call the exported functions, as with LFP_NO_INLINE. */
static inline void
pairs(struct lfp_objpool *pl, uint64_t n, bool out)
{
	uint64_t i;
	int rc;

	for (i = 0; i < n; i++) {
		unsigned char *p = out ? (lfp_objpool_get)(pl) :
				   lfp_objpool_get(pl);

		if (!p)
			bench_die("lfp_objpool_get: %s", strerror(errno));
		p[0] = (unsigned char)i;
		bench_escape(p);
		rc = out ? (lfp_objpool_put)(pl, p) : lfp_objpool_put(pl, p);
		if (rc)
			bench_die("lfp_objpool_put: %s", strerror(-rc));
	}
}

static void
loop_lfpool(uint64_t n)
{
	pairs(pool, n, false);
}

static void
loop_lfpool_pt(uint64_t n)
{
	pairs(pool_pt, n, false);
}

static void
loop_lfpool_out(uint64_t n)
{
	pairs(pool, n, true);
}

static inline void
bulks(uint64_t n, bool out)
{
	struct lfp_objpool *pl = pool;
	void *objs[BULK];
	uint64_t i;
	size_t k, got;

	for (i = 0; i < n; i += BULK) {
		got = out ? (lfp_objpool_get_bulk)(pl, objs, BULK) :
		      lfp_objpool_get_bulk(pl, objs, BULK);
		if (got != BULK)
			bench_die("lfp_objpool_get_bulk: %zu of %u: %s", got,
				  BULK, strerror(errno));
		for (k = 0; k < BULK; k++)
			((unsigned char *)objs[k])[0] = (unsigned char)k;
		bench_escape(objs);
		got = out ? (lfp_objpool_put_bulk)(pl, objs, BULK) :
		      lfp_objpool_put_bulk(pl, objs, BULK);
		if (got != BULK)
			bench_die("lfp_objpool_put_bulk: %zu of %u: %s", got,
				  BULK, strerror(errno));
	}
}

static void
loop_bulk(uint64_t n)
{
	bulks(n, false);
}

static void
loop_bulk_out(uint64_t n)
{
	bulks(n, true);
}

static void
loop_malloc(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		unsigned char *p = malloc(OBJ_SIZE);

		if (!p)
			bench_die("malloc: %s", strerror(errno));
		p[0] = (unsigned char)i;
		bench_escape(p);
		free(p);
	}
}

enum {
	CASE_FLOOR, CASE_FLOOR_SO, CASE_LFPOOL, CASE_LFPOOL_PT, CASE_OUT,
	CASE_BULK, CASE_BULK_OUT, CASE_MALLOC, NCASES
};

struct fp_case {
	const char *name;	/* in the table */
	const char *key;	/* in RESULT lines */
	void (*loop)(uint64_t n);
	uint64_t iters;		/* pairs per thread per run */
	struct {
		double ns[BENCH_MAX_RUNS];	/* mean over threads */
		double mops[BENCH_MAX_RUNS];	/* aggregate */
		double med_ns, med_mops;
	} t[BENCH_MAX_TCOUNTS];
};

static struct fp_case cases[NCASES] = {
	[CASE_FLOOR] = { "floor (TLS stack)", "floor", loop_floor },
	[CASE_FLOOR_SO] = { "floor (.so)", "floor_so", loop_floor_so },
	[CASE_LFPOOL] = { "lfpool get+put", "lfpool", loop_lfpool },
	[CASE_LFPOOL_PT] = { "lfpool per-thread", "lfpool_perthread",
			     loop_lfpool_pt },
	[CASE_OUT] = { "lfpool out-of-line", "lfpool_outofline",
		       loop_lfpool_out },
	[CASE_BULK] = { "lfpool bulk64 (per obj)", "lfpool_bulk64",
			loop_bulk },
	[CASE_BULK_OUT] = { "  bulk64 out-of-line", "lfpool_bulk64_outofline",
			    loop_bulk_out },
	[CASE_MALLOC] = { "malloc/free", "malloc", loop_malloc },
};

struct worker {
	pthread_t tid;
	unsigned int index;
	bool pin;
	const struct fp_case *c;
	uint64_t iters;
	struct bench_barrier *start;
	int cpu;		/* pinned CPU, or a negative errno value */
	uint64_t t0, t1;	/* timed loop, monotonic ns */
} __attribute__((aligned(64)));

static struct worker workers[BENCH_MAX_THREADS];

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t warm = w->iters / 8 > WARM_MIN ? w->iters / 8 : WARM_MIN;
	void *obj;

	w->cpu = w->pin ? bench_pin_self(w->index) : -EPERM;
	/* The floor's stack holds one object, as a warm cache would. */
	obj = aligned_alloc(OBJ_SIZE, OBJ_SIZE);
	if (!obj || floor_push(obj) || bench_floor_so_push(obj))
		bench_die("cannot set the floor's stack up");
	w->c->loop(warm);
	bench_barrier_wait(w->start);
	w->t0 = bench_now_ns();
	w->c->loop(w->iters);
	w->t1 = bench_now_ns();
	(void)bench_floor_so_pop();
	free(floor_pop());
	return NULL;
}

struct sample {
	double ns;	/* per pair, mean over the threads */
	double mops;	/* all threads together */
	uint64_t ns1;	/* elapsed ns of thread 0 */
	int pin_err;	/* 0, or the first pinning error */
};

/* Run case @p c once with @p nthreads threads of @p iters pairs each. */
static struct sample
run_case(const struct fp_case *c, unsigned int nthreads, uint64_t iters,
	 bool pin)
{
	struct bench_barrier start;
	struct sample s = { 0 };
	uint64_t first = UINT64_MAX, last = 0;
	double sum = 0;
	unsigned int i;
	int err;

	bench_barrier_init(&start, nthreads);
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		memset(w, 0, sizeof(*w));
		w->index = i;
		w->pin = pin;
		w->c = c;
		w->iters = iters;
		w->start = &start;
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->tid, NULL);
		sum += (double)(w->t1 - w->t0) / (double)iters;
		if (w->t0 < first)
			first = w->t0;
		if (w->t1 > last)
			last = w->t1;
		if (pin && w->cpu < 0 && !s.pin_err)
			s.pin_err = -w->cpu;
	}
	bench_barrier_destroy(&start);
	s.ns = sum / nthreads;
	s.mops = (double)iters * nthreads * 1e3 / (double)(last - first);
	s.ns1 = workers[0].t1 - workers[0].t0;
	return s;
}

static uint64_t
calibrate_run(void *arg, uint64_t iters)
{
	const struct fp_case *c = arg;

	return run_case(c, 1, iters, false).ns1;
}

static uint64_t
round_iters(const struct fp_case *c, uint64_t n)
{
	if (c->loop == loop_bulk || c->loop == loop_bulk_out)
		n = (n + BULK - 1) / BULK * BULK;
	return n;
}

static void
make_pool(void)
{
	struct lfp_objpool_attr attr;
	int rc = lfp_objpool_attr_init(&attr);

	if (rc)
		bench_die("lfp_objpool_attr_init: %s", strerror(-rc));
	attr.size = OBJ_SIZE;
	attr.name = "bench64";
	pool = lfp_objpool_create(&attr);
	attr.cache_mode = LFP_CACHE_PER_THREAD;
	pool_pt = lfp_objpool_create(&attr);
	if (!pool || !pool_pt)
		bench_die("lfp_objpool_create: %s", strerror(errno));
}

static const char *
malloc_origin(void)
{
	return bench_origin((void *)malloc);
}

/* Case @p ci's ns per pair over the floor's, at thread count index @p ti. */
static double
ratio_floor(unsigned int ci, unsigned int ti)
{
	return cases[ci].t[ti].med_ns / cases[CASE_FLOOR].t[ti].med_ns;
}

/* Case @p ci's aggregate throughput at index @p ti over index @p one's. */
static double
scaling(unsigned int ci, int one, unsigned int ti)
{
	return cases[ci].t[ti].med_mops / cases[ci].t[one].med_mops;
}

static void
print_table(const struct bench_opts *o)
{
	int one = tcount_index(o, 1);
	unsigned int ci, ti;

	printf("\n%-24s %7s %9s %9s %9s %9s\n", "case", "threads", "ns/pair",
	       "Mops/s", "vs floor", "scaling");
	for (ti = 0; ti < o->ntcounts; ti++) {
		for (ci = 0; ci < NCASES; ci++) {
			const struct fp_case *c = &cases[ci];

			printf("%-24s %7u %9.2f %9.1f %9.2f", c->name,
			       o->tcounts[ti], c->t[ti].med_ns,
			       c->t[ti].med_mops, ratio_floor(ci, ti));
			if (one >= 0 && (int)ti != one)
				printf(" %8.2fx", scaling(ci, one, ti));
			putchar('\n');
		}
	}
	printf("(ns/pair: per thread, bulk64 per object; Mops/s: all threads "
	       "together;\n scaling: Mops/s against 1 thread; pairs per "
	       "thread and run:");
	for (ci = 0; ci < NCASES; ci++)
		printf(" %s %llu%s", cases[ci].key,
		       (unsigned long long)cases[ci].iters,
		       ci + 1 < NCASES ? "," : ")\n");
}

static void
print_results(const struct bench_opts *o)
{
	int one = tcount_index(o, 1);
	unsigned int ci, ti;

	for (ti = 0; ti < o->ntcounts; ti++) {
		for (ci = 0; ci < NCASES; ci++) {
			const struct fp_case *c = &cases[ci];

			bench_result("fastpath", c->key,
				     "threads=%u\tns_per_pair=%.3f\tmops=%.2f\t"
				     "ratio_floor=%.3f\tscaling=%.3f\t"
				     "iters=%llu\truns=%u",
				     o->tcounts[ti], c->t[ti].med_ns,
				     c->t[ti].med_mops, ratio_floor(ci, ti),
				     one >= 0 ? scaling(ci, one, ti) : 0.0,
				     (unsigned long long)c->iters, o->runs);
		}
	}
}

/* How the run compares with DESIGN.md's bars: facts, never a failure. */
static void
print_bars(const struct bench_opts *o)
{
	int one = tcount_index(o, 1), two = tcount_index(o, 2);

	if (one >= 0) {
		printf("lfpool get+put / floor = %.2f, 1 thread "
		       "(bar: <= 1.3)\n", ratio_floor(CASE_LFPOOL, one));
		printf("lfpool get+put / floor (.so) = %.2f, 1 thread "
		       "(the floor reached through the dynamic linker, as a "
		       "shared lfpool is)\n",
		       cases[CASE_LFPOOL].t[one].med_ns /
		       cases[CASE_FLOOR_SO].t[one].med_ns);
		printf("lfpool get+put (%s) / per-thread = %.2f, 1 thread\n",
		       lfp_objpool_cache_mode(pool) == LFP_CACHE_PER_CPU ?
		       "per-CPU" : "per-thread",
		       cases[CASE_LFPOOL].t[one].med_ns /
		       cases[CASE_LFPOOL_PT].t[one].med_ns);
		printf("lfpool out-of-line / inline = %.2f pairs, %.2f bulk, "
		       "1 thread\n",
		       cases[CASE_OUT].t[one].med_ns /
		       cases[CASE_LFPOOL].t[one].med_ns,
		       cases[CASE_BULK_OUT].t[one].med_ns /
		       cases[CASE_BULK].t[one].med_ns);
		printf("malloc/free / lfpool get+put = %.2f, 1 thread "
		       "(bar: >= 2 against glibc; this run measured only "
		       "%s)\n",
		       cases[CASE_MALLOC].t[one].med_ns /
		       cases[CASE_LFPOOL].t[one].med_ns, malloc_origin());
	}
	if (one >= 0 && two >= 0) {
		printf("lfpool get+put 2-thread scaling = %.2fx "
		       "(bar: >= 1.9x)\n", scaling(CASE_LFPOOL, one, two));
		printf("floor 2-thread scaling = %.2fx (what this machine "
		       "gave a loop that shares nothing, in this run)\n",
		       scaling(CASE_FLOOR, one, two));
	} else {
		printf("2-thread scaling: not measured (needs -t with 1 "
		       "and 2)\n");
	}
}

static void
print_pool_stats(void)
{
	struct lfp_objpool_stats st;
	int rc = lfp_objpool_stats(pool, &st);

	if (rc) {
		printf("lfp_objpool_stats: %s\n", strerror(-rc));
		return;
	}
	printf("pool stats: %llu gets, %.2f%% cache hits, %llu depot gets, "
	       "%llu depot puts, %llu objects, %llu magazines of %u, "
	       "%llu caches (threads or CPUs)\n",
	       (unsigned long long)st.gets,
	       st.gets ? 100.0 * (double)st.hits / (double)st.gets : 0.0,
	       (unsigned long long)st.depot_gets,
	       (unsigned long long)st.depot_puts,
	       (unsigned long long)st.objects,
	       (unsigned long long)st.magazines, st.mag_rounds,
	       (unsigned long long)st.caches);
}

int
main(int argc, char **argv)
{
	struct bench_opts opts = {
		.runs = 7,
		.run_ms = 50,
		.tcounts = { 1, 2 },
		.ntcounts = 2,
		.threaded = true,
		.pin = true,
	};
	unsigned int ci, ti, r;
	int pin_err = 0;

	bench_parse_args(argc, argv, &opts, what);
	bench_print_header(what, &opts);
	printf("malloc: %s\n", malloc_origin());
	printf("lfpool: %s\n", bench_origin((void *)lfp_objpool_get));
	make_pool();
	printf("lfpool cache mode: %s (\"lfpool per-thread\" forces "
	       "per-thread caches)\n",
	       lfp_objpool_cache_mode(pool) == LFP_CACHE_PER_CPU ?
	       "per-CPU" : "per-thread");

	for (ci = 0; ci < NCASES; ci++) {
		struct fp_case *c = &cases[ci];

		c->iters = round_iters(c, opts.iters ? opts.iters :
				       bench_calibrate(calibrate_run, c,
						       (uint64_t)opts.run_ms *
						       1000000u));
	}
	/* Runs interleave the cases, so drift in the machine hits all. */
	for (r = 0; r < opts.runs; r++) {
		for (ti = 0; ti < opts.ntcounts; ti++) {
			for (ci = 0; ci < NCASES; ci++) {
				struct fp_case *c = &cases[ci];
				struct sample s = run_case(c, opts.tcounts[ti],
							   c->iters, opts.pin);

				c->t[ti].ns[r] = s.ns;
				c->t[ti].mops[r] = s.mops;
				if (s.pin_err && !pin_err)
					pin_err = s.pin_err;
			}
		}
	}
	for (ci = 0; ci < NCASES; ci++) {
		for (ti = 0; ti < opts.ntcounts; ti++) {
			cases[ci].t[ti].med_ns =
				bench_median(cases[ci].t[ti].ns, opts.runs);
			cases[ci].t[ti].med_mops =
				bench_median(cases[ci].t[ti].mops, opts.runs);
		}
	}

	bench_print_pinning(opts.pin, pin_err, "thread");
	print_table(&opts);
	putchar('\n');
	print_bars(&opts);
	print_pool_stats();
	putchar('\n');
	print_results(&opts);
	bench_result_maxrss("fastpath");
	if (lfp_objpool_destroy(pool) || lfp_objpool_destroy(pool_pt))
		bench_die("lfp_objpool_destroy failed");
	return 0;
}
