/* SPDX-License-Identifier: MIT */
/*
 * bench_allocloop.c - the second benchmark of the article
 * "Solving Performance Hotspots With Memory Pooling in Golang" ("When Is a
 * Different Sort of Memory Pooling Appropriate?"), in C. Each iteration
 * allocates 50 buffers of 10 bytes or, one time in ten, 256 KiB - 1 bytes
 * (drawn from a fixed-seed PRNG per thread, so every variant sees the same
 * sizes), fills each one from 16384 copies of "how now brown cow", then
 * frees all 50. The allocators, side by side in one process, runs
 * interleaved:
 *  - malloc: glibc's malloc and free;
 *  - ref: the article's single-threaded power-of-two allocator, written
 *    plainly below, one instance per thread;
 *  - lfpool: one lfp_bufpool (classes 16 B..256 KiB) shared by all threads.
 * Each runs with the copy, and without it (one byte written per buffer:
 * the allocator's own cost), with 1 and 2 threads.
 *
 * This program defines malloc, free and the rest of their family itself,
 * forwarding to glibc's __libc_* functions and counting every call per
 * thread. Calls from libc and from lfpool land here too, so the malloc
 * calls per iteration it prints, counted over the timed runs only, are
 * measured, not assumed. It prints the table, RESULT lines and the bars of
 * DESIGN.md as facts: timing never makes it fail.
 */
#include "bench-common.h"

#include <malloc.h>

#define NBUFS 50u		/* buffers held at once in one iteration */
#define SMALL_SIZE ((size_t)10)
#define LARGE_SIZE ((size_t)256 * 1024 - 1)	/* the article's maxalloc-1 */
#define LARGE_ODDS 10u		/* one buffer in LARGE_ODDS is large */
#define COW "how now brown cow"
#define COW_COPIES 16384u
#define SRC_LEN ((size_t)COW_COPIES * (sizeof(COW) - 1))	/* 278528 */
#define NMASKS 4096u		/* iterations drawn ahead per thread */
#define PRNG_SEED UINT64_C(0x636f77636f77636f)
#define REF_CLASSES 19u		/* 1 B .. 256 KiB */
#define REF_ALIGN 64u		/* see ref_alloc() */

_Static_assert(NBUFS <= 64, "one bit per buffer in a uint64_t mask");
_Static_assert((NMASKS & (NMASKS - 1)) == 0, "NMASKS: a power of two");
_Static_assert(SRC_LEN >= LARGE_SIZE, "the source must fill a buffer");

static const char what[] =
	"bench_allocloop: 50 buffers of 10 B or (1 in 10) 256 KiB-1, "
	"filled and freed: malloc vs ref vs lfpool";

/*
 * The interposed allocator. Calls are counted per thread, so that counting
 * adds no shared cache line to the malloc variant. The counters are
 * atomics accessed with relaxed order only so that the compiler reads
 * them afresh after a call: glibc declares malloc "leaf", which says a
 * call cannot touch this file's variables. Each counter is written by its
 * own thread only, so a load and a store do for an increment.
 */
void *__libc_malloc(size_t size);
void __libc_free(void *p);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);

static _Thread_local _Atomic uint64_t n_allocs, n_frees;

static inline void
count(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed)
			      + 1, memory_order_relaxed);
}

static inline uint64_t
counted(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

BENCH_OPAQUE void *
malloc(size_t size)
{
	count(&n_allocs);
	return __libc_malloc(size);
}

BENCH_OPAQUE void
free(void *p)
{
	count(&n_frees);
	__libc_free(p);
}

BENCH_OPAQUE void *
calloc(size_t nmemb, size_t size)
{
	count(&n_allocs);
	return __libc_calloc(nmemb, size);
}

BENCH_OPAQUE void *
realloc(void *p, size_t size)
{
	count(&n_allocs);
	return __libc_realloc(p, size);
}

BENCH_OPAQUE void *
memalign(size_t align, size_t size)
{
	count(&n_allocs);
	return __libc_memalign(align, size);
}

BENCH_OPAQUE void *
aligned_alloc(size_t align, size_t size)
{
	count(&n_allocs);
	return __libc_memalign(align, size);
}

BENCH_OPAQUE int
posix_memalign(void **memptr, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	count(&n_allocs);
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*memptr = p;
	return 0;
}

/*
 * The reference: the article's power-of-two allocator, single-threaded.
 * Per class (capacity 2^ceil(lg n)) a stack of free buffers, grown as
 * needed; buffers come from malloc and are kept forever. The caller gives
 * the size back on free, as the Go version reads cap(). Its functions are
 * opaque to the compiler, as an allocator's API is, and its buffers are
 * 64-byte aligned like lfpool's large classes and Go's large objects: a
 * 256 KiB memcpy between buffers misaligned by 16 bytes modulo 64 can
 * cost several times more than the allocator does.
 */
struct ref_class {
	void **free;		/* stack of free buffers */
	size_t top, cap;
};

struct ref_alloc {
	struct ref_class cls[REF_CLASSES];
};

static inline unsigned int
ref_class_of(size_t n)
{
	return n <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(n - 1);
}

BENCH_OPAQUE static void *
ref_alloc(struct ref_alloc *ra, size_t n)
{
	unsigned int k = ref_class_of(n);
	struct ref_class *c;

	if (k >= REF_CLASSES)
		return NULL;
	c = &ra->cls[k];
	if (c->top)
		return c->free[--c->top];
	return aligned_alloc(REF_ALIGN, (size_t)1 << k);
}

BENCH_OPAQUE static void
ref_free(struct ref_alloc *ra, void *p, size_t n)
{
	struct ref_class *c = &ra->cls[ref_class_of(n)];

	if (c->top == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		void **s = realloc(c->free, cap * sizeof(*s));

		if (!s)
			bench_die("ref_free: out of memory");
		c->free = s;
		c->cap = cap;
	}
	c->free[c->top++] = p;
}

static void
ref_destroy(struct ref_alloc *ra)
{
	unsigned int k;

	for (k = 0; k < REF_CLASSES; k++) {
		struct ref_class *c = &ra->cls[k];

		while (c->top)
			free(c->free[--c->top]);
		free(c->free);
		memset(c, 0, sizeof(*c));
	}
}

/* The source of every copy, built once; page aligned. */
static unsigned char *src;
static struct lfp_bufpool *bufpool;

enum kind { KIND_MALLOC, KIND_REF, KIND_LFPOOL, NKINDS };

static const char *const kind_name[NKINDS] = {
	[KIND_MALLOC] = "malloc", [KIND_REF] = "ref", [KIND_LFPOOL] = "lfpool",
};

/*
 * A worker thread: it lives for the whole program, so its caches (glibc's
 * tcache, lfpool's magazines, its ref instance) reach a steady state.
 */
struct worker {
	pthread_t tid;
	unsigned int index;
	int cpu;		/* pinned CPU, or a negative errno value */
	uint64_t large[NMASKS];	/* bit i: buffer i of an iteration is large */
	struct ref_alloc ref;
	uint64_t ns;		/* the last job: its loop's elapsed ns */
	uint64_t allocs, frees;	/* and the calls into malloc during it */
} __attribute__((aligned(64)));

static struct worker workers[BENCH_MAX_THREADS];

static inline size_t
buf_size(uint64_t large, unsigned int i)
{
	return (large >> i) & 1 ? LARGE_SIZE : SMALL_SIZE;
}

static inline __attribute__((always_inline)) unsigned char *
buf_alloc(enum kind kind, struct worker *w, size_t n)
{
	unsigned char *p;

	switch (kind) {
	case KIND_MALLOC:
		p = malloc(n);
		break;
	case KIND_REF:
		p = ref_alloc(&w->ref, n);
		break;
	default:
		p = lfp_bufpool_alloc(bufpool, n);
		break;
	}
	if (!p)
		bench_die("%s: no buffer of %zu bytes: %s", kind_name[kind], n,
			  strerror(errno));
	return p;
}

static inline __attribute__((always_inline)) void
buf_free(enum kind kind, struct worker *w, unsigned char *p, size_t n)
{
	int rc;

	switch (kind) {
	case KIND_MALLOC:
		free(p);
		break;
	case KIND_REF:
		ref_free(&w->ref, p, n);
		break;
	default:
		rc = lfp_bufpool_free(bufpool, p);
		if (rc)
			bench_die("lfp_bufpool_free: %s", strerror(-rc));
		break;
	}
}

/*
 * The article's loop, @p iters iterations: allocate all 50 buffers, fill
 * them all (or write one byte into each), let them escape, free them all.
 * Iteration i uses the sizes of entry i % NMASKS of the thread's table.
 */
static inline __attribute__((always_inline)) void
allocloop(enum kind kind, bool copy, struct worker *w, uint64_t iters)
{
	unsigned char *bufs[NBUFS];
	uint64_t it, large;
	unsigned int i;

	for (it = 0; it < iters; it++) {
		large = w->large[it % NMASKS];
		for (i = 0; i < NBUFS; i++)
			bufs[i] = buf_alloc(kind, w, buf_size(large, i));
		for (i = 0; i < NBUFS; i++) {
			if (copy)
				memcpy(bufs[i], src, buf_size(large, i));
			else
				bufs[i][0] = (unsigned char)i;
		}
		bench_escape(bufs);
		for (i = 0; i < NBUFS; i++)
			buf_free(kind, w, bufs[i], buf_size(large, i));
	}
}

#define DEFINE_LOOP(name, kind, copy)					\
	static __attribute__((noinline)) void				\
	name(struct worker *w, uint64_t iters)				\
	{								\
		allocloop(kind, copy, w, iters);			\
	}

DEFINE_LOOP(loop_malloc_copy, KIND_MALLOC, true)
DEFINE_LOOP(loop_ref_copy, KIND_REF, true)
DEFINE_LOOP(loop_lfpool_copy, KIND_LFPOOL, true)
DEFINE_LOOP(loop_malloc_nocopy, KIND_MALLOC, false)
DEFINE_LOOP(loop_ref_nocopy, KIND_REF, false)
DEFINE_LOOP(loop_lfpool_nocopy, KIND_LFPOOL, false)

struct al_case {
	enum kind kind;
	bool copy;
	void (*loop)(struct worker *w, uint64_t iters);
	uint64_t iters;		/* per thread and run */
	struct {
		double ns[BENCH_MAX_RUNS];	/* per iteration, thread mean */
		double med_ns;
		uint64_t iters;		/* timed, all runs and threads */
		uint64_t allocs, frees;	/* calls into malloc during them */
	} t[BENCH_MAX_TCOUNTS];
};

/* In table order: with the copy, then without; malloc, ref, lfpool. */
static struct al_case cases[] = {
	{ .kind = KIND_MALLOC, .copy = true, .loop = loop_malloc_copy },
	{ .kind = KIND_REF, .copy = true, .loop = loop_ref_copy },
	{ .kind = KIND_LFPOOL, .copy = true, .loop = loop_lfpool_copy },
	{ .kind = KIND_MALLOC, .copy = false, .loop = loop_malloc_nocopy },
	{ .kind = KIND_REF, .copy = false, .loop = loop_ref_nocopy },
	{ .kind = KIND_LFPOOL, .copy = false, .loop = loop_lfpool_nocopy },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const struct al_case *
find_case(enum kind kind, bool copy)
{
	unsigned int ci;

	for (ci = 0; ci < NCASES; ci++) {
		if (cases[ci].kind == kind && cases[ci].copy == copy)
			return &cases[ci];
	}
	return NULL;
}

/*
 * The job the workers run next, set by the main thread before the "go"
 * barrier: the first nthreads workers run the case's loop, the others wait
 * at the "done" barrier. Leaving "go" together is the start of the run.
 */
static struct {
	const struct al_case *c;
	unsigned int nthreads;
	uint64_t iters;
	bool quit;
} job;

static struct bench_barrier go, done;
static unsigned int nworkers;
static bool worker_pin;		/* pin worker i to the i-th CPU */

/* Fill the thread's size table: the same sequence for every variant. */
static void
draw_sizes(struct worker *w)
{
	uint64_t x = PRNG_SEED + w->index, z, mask;
	unsigned int it, i;

	for (it = 0; it < NMASKS; it++) {
		mask = 0;
		for (i = 0; i < NBUFS; i++) {
			/* splitmix64 */
			z = (x += UINT64_C(0x9e3779b97f4a7c15));
			z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
			z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
			z ^= z >> 31;
			if (((z >> 32) * LARGE_ODDS) >> 32 == 0)
				mask |= UINT64_C(1) << i;
		}
		w->large[it] = mask;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t a0, f0, t0;

	w->cpu = worker_pin ? bench_pin_self(w->index) : -EPERM;
	draw_sizes(w);
	for (;;) {
		bench_barrier_wait(&go);
		if (job.quit)
			break;
		if (w->index < job.nthreads) {
			a0 = counted(&n_allocs);
			f0 = counted(&n_frees);
			t0 = bench_now_ns();
			job.c->loop(w, job.iters);
			w->ns = bench_now_ns() - t0;
			w->allocs = counted(&n_allocs) - a0;
			w->frees = counted(&n_frees) - f0;
		}
		bench_barrier_wait(&done);
	}
	return NULL;
}

/* Run @p iters iterations of @p c on each of @p nthreads workers. */
static void
dispatch(const struct al_case *c, unsigned int nthreads, uint64_t iters)
{
	job.c = c;
	job.nthreads = nthreads;
	job.iters = iters;
	bench_barrier_wait(&go);
	bench_barrier_wait(&done);
}

/*
 * Start @p n workers, each pinned to its CPU (modulo) if @p pin.
 * @return 0, or the first pinning error (the threads then float).
 */
static int
start_workers(unsigned int n, bool pin)
{
	unsigned int i;
	int err, pin_err = 0;

	nworkers = n;
	worker_pin = pin;
	bench_barrier_init(&go, n + 1);
	bench_barrier_init(&done, n + 1);
	for (i = 0; i < n; i++) {
		workers[i].index = i;
		err = pthread_create(&workers[i].tid, NULL, worker_main,
				     &workers[i]);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
	dispatch(NULL, 0, 0);	/* wait until all are pinned */
	for (i = 0; i < n; i++) {
		if (pin && workers[i].cpu < 0 && !pin_err)
			pin_err = -workers[i].cpu;
	}
	return pin_err;
}

static void
stop_workers(void)
{
	unsigned int i;

	job.quit = true;
	bench_barrier_wait(&go);
	for (i = 0; i < nworkers; i++) {
		pthread_join(workers[i].tid, NULL);
		ref_destroy(&workers[i].ref);
	}
	bench_barrier_destroy(&go);
	bench_barrier_destroy(&done);
}

static uint64_t
calibrate_run(void *arg, uint64_t iters)
{
	dispatch(arg, 1, iters);
	return workers[0].ns;
}

/* The lfpool counters that the timed runs move, summed over the runs. */
struct pool_delta {
	uint64_t allocs, hits, chunks, bytes;
};

static void
pool_snapshot(struct pool_delta *d)
{
	struct lfp_bufpool_stats st;
	unsigned int i;
	int rc = lfp_bufpool_stats(bufpool, &st);

	if (rc)
		bench_die("lfp_bufpool_stats: %s", strerror(-rc));
	d->allocs = st.allocs;
	d->hits = st.hits;
	d->bytes = st.bytes_reserved;
	d->chunks = 0;
	for (i = 0; i < st.nclasses; i++)
		d->chunks += st.cls[i].chunks;
}

static struct pool_delta timed_pool;	/* lfpool, timed runs only */

/*
 * One timed run of case @p c with @p nthreads threads, after a short
 * warm-up of the same case (the other cases ran in between).
 */
static void
measure(struct al_case *c, unsigned int ti, unsigned int nthreads,
	unsigned int run, bool record)
{
	struct pool_delta before, after;
	uint64_t warm = c->iters / 8 ? c->iters / 8 : 1;
	double sum = 0;
	unsigned int i;

	dispatch(c, nthreads, warm);
	if (c->kind == KIND_LFPOOL)
		pool_snapshot(&before);
	dispatch(c, nthreads, c->iters);
	if (!record)
		return;
	if (c->kind == KIND_LFPOOL) {
		pool_snapshot(&after);
		timed_pool.allocs += after.allocs - before.allocs;
		timed_pool.hits += after.hits - before.hits;
		timed_pool.chunks += after.chunks - before.chunks;
		timed_pool.bytes += after.bytes - before.bytes;
	}
	for (i = 0; i < nthreads; i++) {
		sum += (double)workers[i].ns / (double)c->iters;
		c->t[ti].allocs += workers[i].allocs;
		c->t[ti].frees += workers[i].frees;
		c->t[ti].iters += c->iters;
	}
	c->t[ti].ns[run] = sum / nthreads;
}

/* Allocate, fill, compare and free one buffer of each size, each kind. */
static void
verify_allocators(void)
{
	static const size_t sizes[] = { SMALL_SIZE, LARGE_SIZE };
	struct ref_alloc ra;
	unsigned int i, k;
	unsigned char *p;
	size_t cap;

	memset(&ra, 0, sizeof(ra));
	for (k = 0; k < NKINDS; k++) {
		for (i = 0; i < 2; i++) {
			size_t n = sizes[i];

			p = k == KIND_MALLOC ? malloc(n) :
			    k == KIND_REF ? ref_alloc(&ra, n) :
			    lfp_bufpool_alloc(bufpool, n);
			if (!p)
				bench_die("%s: no buffer of %zu bytes: %s",
					  kind_name[k], n, strerror(errno));
			memcpy(p, src, n);
			if (memcmp(p, src, n))
				bench_die("%s: copy of %zu bytes differs",
					  kind_name[k], n);
			if (k == KIND_LFPOOL) {
				cap = lfp_bufpool_capacity(bufpool, p);
				if (cap != (size_t)1 << ref_class_of(n) ||
				    (n > 64 && (uintptr_t)p % 64))
					bench_die("lfpool: buffer %p for %zu "
						  "bytes has capacity %zu",
						  (void *)p, n, cap);
			}
			if (k == KIND_MALLOC)
				free(p);
			else if (k == KIND_REF)
				ref_free(&ra, p, n);
			else if (lfp_bufpool_free(bufpool, p))
				bench_die("lfp_bufpool_free failed");
		}
	}
	ref_destroy(&ra);
}

static void
make_source(void)
{
	size_t i;

	src = aligned_alloc(4096, SRC_LEN);
	if (!src)
		bench_die("out of memory");
	for (i = 0; i < COW_COPIES; i++)
		memcpy(src + i * (sizeof(COW) - 1), COW, sizeof(COW) - 1);
}

/*
 * Make the pool, and check on the way that the calls of libc and lfpool
 * into malloc reach this program's: otherwise the counts would be false.
 */
static void
make_pool_check_malloc(void)
{
	char *(*volatile dup)(const char *) = strdup;
	struct lfp_bufpool_attr attr;
	uint64_t a0, a_libc, a_lfp;
	char *s;
	int rc;

	a0 = counted(&n_allocs);
	s = dup(COW);
	a_libc = counted(&n_allocs) - a0;
	free(s);
	rc = lfp_bufpool_attr_init(&attr);
	if (rc)
		bench_die("lfp_bufpool_attr_init: %s", strerror(-rc));
	attr.name = "allocloop";
	/* The article's classes, as ref's: 16 B up (the default smallest
	 * class is a cache line, which no buffer here shares anyway). */
	attr.min_size = 16;
	a0 = counted(&n_allocs);
	bufpool = lfp_bufpool_create(&attr);
	a_lfp = counted(&n_allocs) - a0;
	if (!bufpool)
		bench_die("lfp_bufpool_create: %s", strerror(errno));
	printf("malloc: this program's own, counting calls, forwarding to "
	       "glibc's __libc_malloc;\n  seen from libc (strdup: %llu "
	       "call) and from lfpool (lfp_bufpool_create: %llu calls)\n",
	       (unsigned long long)a_libc, (unsigned long long)a_lfp);
	if (!a_libc || !a_lfp)
		bench_die("calls into malloc from %s are not seen: the counts "
			  "would be wrong", !a_libc ? "libc" : "lfpool");
}

/* Case @p c's median ns over that of kind @p base, same copy and threads. */
static double
ratio(const struct al_case *c, enum kind base, unsigned int ti)
{
	return c->t[ti].med_ns / find_case(base, c->copy)->t[ti].med_ns;
}

static double
per_iter(uint64_t calls, uint64_t iters)
{
	return iters ? (double)calls / (double)iters : 0.0;
}

static void
print_table(const struct bench_opts *o)
{
	unsigned int ci, ti;

	printf("\n%-8s %4s %7s %12s %9s %9s %10s %10s\n", "variant", "copy",
	       "threads", "ns/iter", "vs malloc", "vs ref", "mallocs/it",
	       "frees/it");
	for (ci = 0; ci < NCASES; ci++) {
		const struct al_case *c = &cases[ci];

		for (ti = 0; ti < o->ntcounts; ti++) {
			/* %g: a rare call must not print as 0.000 */
			printf("%-8s %4s %7u %12.1f %9.3f %9.3f %10.4g "
			       "%10.4g\n", kind_name[c->kind],
			       c->copy ? "yes" : "no", o->tcounts[ti],
			       c->t[ti].med_ns, ratio(c, KIND_MALLOC, ti),
			       ratio(c, KIND_REF, ti),
			       per_iter(c->t[ti].allocs, c->t[ti].iters),
			       per_iter(c->t[ti].frees, c->t[ti].iters));
		}
	}
	printf("(ns/iter: one thread's 50 allocs, fills and frees; vs: "
	       "against the same copy\n mode and thread count; mallocs/it, "
	       "frees/it: calls into malloc per iteration,\n timed runs "
	       "only; iterations per thread and run:");
	for (ci = 0; ci < NCASES; ci++)
		printf("%s%s %llu%s", ci % NKINDS ? " " :
		       cases[ci].copy ? "\n with the copy: " :
		       "\n without it: ", kind_name[cases[ci].kind],
		       (unsigned long long)cases[ci].iters,
		       ci + 1 == NCASES ? ")\n" : ci % NKINDS == NKINDS - 1 ?
		       ";" : ",");
}

/* How the run compares with DESIGN.md's bars: facts, never a failure. */
static void
print_bars(const struct bench_opts *o)
{
	const struct al_case *lc = find_case(KIND_LFPOOL, true);
	const struct al_case *ln = find_case(KIND_LFPOOL, false);
	uint64_t calls = 0, iters = 0;
	unsigned int ti;

	for (ti = 0; ti < o->ntcounts; ti++) {
		printf("lfpool/malloc = %.3f with the copy, %.3f without, "
		       "%u thread%s (bar: < 1)\n", ratio(lc, KIND_MALLOC, ti),
		       ratio(ln, KIND_MALLOC, ti), o->tcounts[ti],
		       o->tcounts[ti] > 1 ? "s" : "");
		printf("lfpool no-copy / ref no-copy = %.3f, %u thread%s "
		       "(bar: <= 1.3)\n", ratio(ln, KIND_REF, ti),
		       o->tcounts[ti], o->tcounts[ti] > 1 ? "s" : "");
		calls += lc->t[ti].allocs + lc->t[ti].frees +
			 ln->t[ti].allocs + ln->t[ti].frees;
		iters += lc->t[ti].iters + ln->t[ti].iters;
	}
	printf("lfpool malloc calls per iteration = %.3g (%llu calls in "
	       "%llu timed iterations) (bar: 0)\n", per_iter(calls, iters),
	       (unsigned long long)calls, (unsigned long long)iters);
	if (tcount_index(o, 1) < 0)
		printf("(1-thread figures not measured: -t has no 1)\n");
}

static void
print_pool_stats(void)
{
	struct lfp_bufpool_stats st;
	unsigned int i;
	int rc = lfp_bufpool_stats(bufpool, &st);

	if (rc)
		bench_die("lfp_bufpool_stats: %s", strerror(-rc));
	printf("lfpool stats: %llu bytes reserved, %llu allocs, %.2f%% "
	       "cache hits (timed runs: %.2f%%)\n",
	       (unsigned long long)st.bytes_reserved,
	       (unsigned long long)st.allocs,
	       st.allocs ? 100.0 * (double)st.hits / (double)st.allocs : 0.0,
	       timed_pool.allocs ? 100.0 * (double)timed_pool.hits /
	       (double)timed_pool.allocs : 0.0);
	for (i = 0; i < st.nclasses; i++) {
		const struct lfp_bufpool_class_stats *cs = &st.cls[i];

		if (!cs->allocs)
			continue;
		printf("  class %7zu: %llu buffers in %llu chunks, %llu "
		       "bytes reserved, magazines of %u, %.2f%% hits\n",
		       cs->size, (unsigned long long)cs->buffers,
		       (unsigned long long)cs->chunks,
		       (unsigned long long)cs->bytes_reserved, cs->mag_rounds,
		       100.0 * (double)cs->hits / (double)cs->allocs);
	}
	printf("lfpool chunks taken from the OS during the timed runs: %llu "
	       "(%s; reserved bytes grew by %llu)\n",
	       (unsigned long long)timed_pool.chunks,
	       timed_pool.chunks ? "yes" : "none",
	       (unsigned long long)timed_pool.bytes);
}

static void
print_results(const struct bench_opts *o)
{
	unsigned int ci, ti;

	for (ci = 0; ci < NCASES; ci++) {
		const struct al_case *c = &cases[ci];
		char name[32];

		snprintf(name, sizeof(name), "%s_%s", kind_name[c->kind],
			 c->copy ? "copy" : "nocopy");
		for (ti = 0; ti < o->ntcounts; ti++) {
			bench_result("allocloop", name,
				     "threads=%u\tns_per_iter=%.1f\t"
				     "ratio_malloc=%.4f\tratio_ref=%.4f\t"
				     "mallocs_per_iter=%.6g\t"
				     "frees_per_iter=%.6g\tmalloc_calls=%llu\t"
				     "free_calls=%llu\titers=%llu\truns=%u",
				     o->tcounts[ti], c->t[ti].med_ns,
				     ratio(c, KIND_MALLOC, ti),
				     ratio(c, KIND_REF, ti),
				     per_iter(c->t[ti].allocs, c->t[ti].iters),
				     per_iter(c->t[ti].frees, c->t[ti].iters),
				     (unsigned long long)c->t[ti].allocs,
				     (unsigned long long)c->t[ti].frees,
				     (unsigned long long)c->iters, o->runs);
		}
	}
	bench_result("allocloop", "lfpool_pool", "chunks_timed=%llu",
		     (unsigned long long)timed_pool.chunks);
}

int
main(int argc, char **argv)
{
	struct bench_opts opts = {
		.runs = 7,
		.run_ms = 20,
		.tcounts = { 1, 2 },
		.ntcounts = 2,
		.threaded = true,
		.pin = true,
	};
	unsigned int ci, ti, r, maxt = 0;
	int pin_err;

	bench_parse_args(argc, argv, &opts, what);
	bench_print_header(what, &opts);
	make_source();
	make_pool_check_malloc();
	verify_allocators();
	for (ti = 0; ti < opts.ntcounts; ti++) {
		if (opts.tcounts[ti] > maxt)
			maxt = opts.tcounts[ti];
	}
	pin_err = start_workers(maxt, opts.pin);

	for (ci = 0; ci < NCASES; ci++) {
		struct al_case *c = &cases[ci];

		c->iters = opts.iters ? opts.iters :
			bench_calibrate(calibrate_run, c,
					(uint64_t)opts.run_ms * 1000000u);
	}
	/*
	 * Round 0 is a warm-up round, not recorded: afterwards each case has
	 * run its whole length at each thread count, after the others, so
	 * the allocators have met their peak demand. Rounds interleave the
	 * cases and thread counts, so drift in the machine hits them all.
	 */
	for (r = 0; r <= opts.runs; r++) {
		for (ti = 0; ti < opts.ntcounts; ti++) {
			for (ci = 0; ci < NCASES; ci++)
				measure(&cases[ci], ti, opts.tcounts[ti],
					r ? r - 1 : 0, r > 0);
		}
	}
	for (ci = 0; ci < NCASES; ci++) {
		for (ti = 0; ti < opts.ntcounts; ti++)
			cases[ci].t[ti].med_ns =
				bench_median(cases[ci].t[ti].ns, opts.runs);
	}

	bench_print_pinning(opts.pin, pin_err, "worker");
	print_table(&opts);
	putchar('\n');
	print_bars(&opts);
	print_pool_stats();
	putchar('\n');
	print_results(&opts);
	bench_result_maxrss("allocloop");
	stop_workers();
	if (lfp_bufpool_destroy(bufpool))
		bench_die("lfp_bufpool_destroy failed");
	free(src);
	return 0;
}
