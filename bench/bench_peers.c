/* SPDX-License-Identifier: MIT */
/*
 * bench_peers.c - the multi-threaded workloads of the peer suite, run
 * against one allocator: the one this binary was built for (-DPEER_<NAME>,
 * see peer.h), called through its own API. The suite script runs one
 * process per peer and workload, so the peak resident memory it reports is
 * that case's alone. The workloads (-w):
 *  - pair: get+put pairs of one object, each thread on its own;
 *  - bulk: get 64 objects, write each, put them back (per object);
 *  - prodcons: pairs of threads, one allocating and one freeing, the
 *    objects passed through a bounded single-producer single-consumer
 *    ring;
 *  - pipeline: the same with three stages: allocate, check and mark,
 *    check and free;
 *  - larson: a server: threads replace random slots of one shared table
 *    with new objects (a quarter fixed-size objects from an object class,
 *    the rest buffers of 16 B to 4 KiB), freeing what was there, most of
 *    it allocated by another thread;
 *  - churn: short-lived threads, each using the pool a little and exiting,
 *    leaving a few objects for the next thread to free;
 *  - scratch, scratch-buf: Hoard's cache-scratch, passive false sharing.
 *    The main thread allocates one small object per thread, one after the
 *    other, so that they are neighbours in a cache line, and hands one to
 *    each thread; each thread frees it, then allocates an object of the
 *    same size, writes every byte of it over and over, and frees it, again
 *    and again. An allocator that gives a thread back the object it has
 *    just freed gives it the object that shares a line with another
 *    thread's, and the threads' writes then fight over that line. scratch
 *    takes its objects from a fixed-size class, scratch-buf from buffers
 *    of that size.
 * Each run lasts -d ms: the threads loop until the main thread raises a
 * stop flag, so that oversubscribed thread counts are measured like the
 * others. Throughput is every thread's operations over the time from the
 * start to the last thread's end; ns per op is the thread count over the
 * throughput (the time one operation takes one thread, when there are no
 * more threads than CPUs). Runs go round the points (size, threads) in
 * turn, after a warm-up round; figures are the medians. Every object
 * carries a stamp that the thread freeing it checks, and every run checks
 * that as many objects were freed as allocated: a wrong result stops the
 * program, a slow machine never does.
 */
#include "bench-common.h"
#include "peer.h"
#include "peer-loops.h"

#define MAX_SIZES 8u		/* -s list */
#define MAX_POINTS 64u		/* sizes x thread counts */
#define BULK PEER_LOOP_BULK	/* objects per bulk call */
#define STOP_EVERY PEER_LOOP_EVERY	/* ops between looks at the flag */
#define LARSON_SLOTS 8192u	/* the shared table */
#define LARSON_FIXED 96u	/* the fixed-size objects */
#define LARSON_MAX 4096u	/* buffers are 16 B .. LARSON_MAX - 1 */
#define CHURN_HOLD 64u		/* objects a short-lived thread holds */
#define CHURN_ROUNDS 8u		/* times it takes and frees them */
#define CHURN_STASH 16u		/* objects it leaves for the next one */
#define SCRATCH_PASSES 16	/* writes of every byte of an object */
#define CACHE_LINE 64u		/* x86-64's, and most arm64 CPUs' */

#define STR_(x) #x
#define STR(x) STR_(x)

static const char what[] =
	"bench_peers: one workload of the peer suite, against one allocator";

static const char extra_usage[] =
	"  -w NAME     the workload: pair, bulk, prodcons, pipeline, larson, "
	"churn,\n"
	"              scratch, scratch-buf\n"
	"  -s LIST     object sizes in bytes, comma-separated (pair, bulk: "
	"16,64,256,1024,4096;\n"
	"              prodcons, pipeline, churn: 64; scratch, scratch-buf: "
	"8,16,32,64;\n"
	"              larson mixes its own; at least 16, scratch at least 1)\n"
	"  (-t: default 1, 2, 4 ... up to 4 times the CPUs; prodcons and "
	"pipeline use\n"
	"   pairs and triples of threads, churn as many short-lived threads "
	"at once)\n";

struct worker;

/* A workload. */
struct wl_desc {
	const char *name;	/* -w, and the program in RESULT lines */
	const char *op;		/* what one operation is */
	const char *sizes;	/* default -s; NULL: not sized */
	unsigned int min_size;	/* the smallest -s it takes */
	unsigned int group;	/* threads per unit of work */
	void (*body)(struct worker *w);	/* a thread's loop */
	size_t (*out)(unsigned int threads);	/* objects held at most */
};

/* A point of the sweep: its samples, one per run. */
struct point {
	size_t size;
	unsigned int threads;
	double mops[BENCH_MAX_RUNS];
	double per_s[BENCH_MAX_RUNS];	/* churn: threads started per s */
	double shared[BENCH_MAX_RUNS];	/* scratch: objects sharing a line */
	double cpu_ns[BENCH_MAX_RUNS];	/* scratch: CPU ns per operation */
	double med_mops, med_per_s, med_shared, med_cpu_ns, min_mops, max_mops;
};

/* One object of the larson table, as it starts. */
struct lobj {
	uint32_t size;
	uint32_t check;		/* lcheck(size, fixed) */
};

/* What the threads of one run share. */
struct run {
	const struct wl_desc *wl;
	unsigned int nthreads;
	size_t size;
	bool pin;
	struct peer_cls *cls;		/* the class of this point's size */
	struct peer_bufs *bufs;		/* larson's and scratch-buf's buffers */
	struct peer_ring *rings;	/* prodcons, pipeline */
	_Atomic(struct lobj *) *table;	/* larson */
	void *handed[BENCH_MAX_THREADS];	/* scratch: one per thread */
	atomic_bool stop;		/* raised by the main thread */
	struct bench_barrier start;
	unsigned int serial;		/* runs so far: seeds the PRNGs */
};

struct worker {
	pthread_t tid;
	unsigned int index;
	struct run *run;
	uint64_t ops;		/* operations, for the throughput */
	uint64_t allocs, frees;	/* objects, for the check */
	uint64_t started;	/* churn: threads started */
	uint64_t t_end;		/* when this thread stopped, monotonic ns */
	uint64_t cpu_ns;	/* CPU time of its loop */
	int cpu;		/* pinned CPU, or a negative errno value */
	unsigned int nstash;	/* churn: objects left for the next thread */
	void *stash[CHURN_STASH];
} __attribute__((aligned(64)));

static struct worker workers[BENCH_MAX_THREADS];
static struct point points[MAX_POINTS];
static unsigned int npoints;
static unsigned int sizes[MAX_SIZES], nsizes;
static const struct wl_desc *wl;
static struct peer_cls *classes[MAX_SIZES];	/* by index in sizes[] */

static bool
stopped(struct run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed);
}

/* pair: get, write, put (peer-loops.h). */
static void
body_pair(struct worker *w)
{
	w->ops = peer_loop_pair(w->run->cls, &w->run->stop);
	w->allocs = w->frees = w->ops;
}

/* bulk: BULK objects at once, each written, counted one by one. */
static void
body_bulk(struct worker *w)
{
	w->ops = peer_loop_bulk(w->run->cls, &w->run->stop);
	w->allocs = w->frees = w->ops;
}

/*
 * prodcons and pipeline: thread i is stage i % group of unit i / group;
 * stage 0 allocates, the middle stage checks and marks, the last checks
 * and frees. A NULL pushed after the last object ends the stream.
 */
static void
body_stages(struct worker *w)
{
	struct run *r = w->run;
	unsigned int g = r->wl->group, stage = w->index % g;
	struct peer_ring *rings = r->rings + (size_t)(w->index / g) * (g - 1);

	if (stage == 0)
		w->allocs = peer_loop_produce(r->cls, r->size, &rings[0],
					      &r->stop);
	else if (stage < g - 1)
		(void)peer_ring_pass(&rings[stage - 1], &rings[stage], r->size,
				     wl->name);
	else
		w->frees = w->ops = peer_loop_consume(r->cls, r->size,
			&rings[stage - 1], g > 2 ? PEER_PIPE_MARK : 0,
			wl->name);
}

/* splitmix64: a fast PRNG with a 64-bit state. */
static uint64_t
prng(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t
lcheck(uint32_t size, bool fixed)
{
	return size * 0x9e3779b1u ^ (fixed ? 0xa5a5a5a5u : 0x5a5a5a5au);
}

/*
 * A new larson object from 32 random bits: one in four a fixed-size
 * object, else a buffer in [lo, 2 lo) for lo = 16 << (0..7).
 */
static struct lobj *
larson_new(struct run *r, uint32_t x)
{
	bool fixed = (x & 3) == 0;
	uint32_t lo = 16u << ((x >> 2) & 7), size;
	struct lobj *o;

	size = fixed ? LARSON_FIXED : lo + (x >> 5) % lo;
	o = fixed ? peer_get(r->cls) : peer_buf_alloc(r->bufs, size);
	if (!o)
		bench_die("%s: allocation of %u bytes failed: %s", peer_name(),
			  size, strerror(errno));
	o->size = size;
	o->check = lcheck(size, fixed);
	((unsigned char *)o)[size - 1] = (unsigned char)o->check;
	return o;
}

static void
larson_free(struct run *r, struct lobj *o)
{
	uint32_t size = o->size;
	bool fixed = size == LARSON_FIXED && o->check == lcheck(size, true);

	if (size < sizeof(*o) || size >= LARSON_MAX ||
	    (!fixed && o->check != lcheck(size, false)) ||
	    ((unsigned char *)o)[size - 1] != (unsigned char)o->check)
		bench_die("larson: object %p damaged", (void *)o);
	if (fixed)
		peer_put(r->cls, o);
	else
		peer_buf_free(r->bufs, o, size);
}

static void
body_larson(struct worker *w)
{
	struct run *r = w->run;
	uint64_t s = (uint64_t)r->serial << 32 | w->index;
	unsigned int i;

	while (!stopped(r)) {
		for (i = 0; i < STOP_EVERY; i++) {
			uint64_t x = prng(&s);
			struct lobj *o = larson_new(r, (uint32_t)(x >> 32));

			/*
			 * acq_rel: the release half publishes o's stamp to
			 * the thread that takes o out of the slot later; the
			 * acquire half pairs with the release of the thread
			 * that put the old object in, whose stamp is then
			 * seen by the check in larson_free().
			 */
			o = atomic_exchange_explicit(
				&r->table[(uint32_t)x % LARSON_SLOTS], o,
				memory_order_acq_rel);
			larson_free(r, o);
		}
		w->ops += STOP_EVERY;
	}
	w->allocs = w->frees = w->ops;
}

/* A short-lived thread of churn; @p arg is its lane's worker. */
static void *
churn_child(void *arg)
{
	struct worker *w = arg;
	struct peer_cls *c = w->run->cls;
	unsigned char *v[CHURN_HOLD];
	unsigned int i, k;

	peer_thread_enter();
	/* Free what the previous thread, gone now, left. */
	for (i = 0; i < w->nstash; i++)
		peer_put(c, w->stash[i]);
	w->frees += w->nstash;
	for (k = 0; k < CHURN_ROUNDS; k++) {
		for (i = 0; i < CHURN_HOLD; i++) {
			v[i] = peer_get_or_die(c);
			v[i][0] = (unsigned char)i;
		}
		bench_escape(v);
		for (i = 0; i < CHURN_HOLD; i++)
			peer_put(c, v[i]);
	}
	for (i = 0; i < CHURN_STASH; i++)
		w->stash[i] = peer_get_or_die(c);
	w->nstash = CHURN_STASH;
	w->allocs += CHURN_HOLD * CHURN_ROUNDS + CHURN_STASH;
	w->frees += CHURN_HOLD * CHURN_ROUNDS;
	w->ops += CHURN_HOLD * CHURN_ROUNDS;
	peer_thread_leave();
	return NULL;
}

/* churn: one lane starts a thread, waits for it, starts the next... */
static void
body_churn(struct worker *w)
{
	struct run *r = w->run;
	pthread_t tid;
	unsigned int i;
	int err;

	while (!stopped(r)) {
		err = pthread_create(&tid, NULL, churn_child, w);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
		pthread_join(tid, NULL);
		w->started++;
	}
	for (i = 0; i < w->nstash; i++)
		peer_put(r->cls, w->stash[i]);
	w->frees += w->nstash;
	w->nstash = 0;
}

/*
 * scratch's objects: from the point's class, or (@p buf, scratch-buf)
 * buffers of the point's size. Each body passes a constant, so that its
 * loop is compiled for one source only.
 */
static inline unsigned char *
scratch_get(struct run *r, bool buf)
{
	void *p = buf ? peer_buf_alloc(r->bufs, r->size) : peer_get(r->cls);

	if (!p)
		bench_die("%s: allocation of %zu bytes failed: %s",
			  peer_name(), r->size, strerror(errno));
	return p;
}

static inline void
scratch_put(struct run *r, void *p, bool buf)
{
	if (buf)
		peer_buf_free(r->bufs, p, r->size);
	else
		peer_put(r->cls, p);
}

/* Byte @p k of an object after pass @p j of the writer with @p tag. */
static inline unsigned char
scratch_byte(unsigned int tag, unsigned int j, size_t k)
{
	return (unsigned char)(tag + 31u * j + k);
}

static __attribute__((noreturn, cold, noinline)) void
scratch_damaged(const void *p, size_t k)
{
	bench_die("%s: byte %zu of object %p changed under its owner: the "
		  "object was handed out twice, or overlaps another", wl->name,
		  k, p);
}

/* Stop if @p v does not hold pass @p j of @p tag in every byte. */
static inline void
scratch_check(const volatile unsigned char *v, size_t size, unsigned int tag,
	      unsigned int j)
{
	size_t k;

	for (k = 0; k < size; k++) {
		if (v[k] != scratch_byte(tag, j, k))
			scratch_damaged((const void *)v, k);
	}
}

/*
 * The work on an object, Hoard's loop: write every byte SCRATCH_PASSES
 * times, one byte at a time. Each pass reads every byte first and checks
 * that it still holds what the pass before wrote, so that another thread
 * writing into the object (an object handed to two threads at once, or
 * two that overlap) stops the program. The accesses are volatile: the
 * compiler can neither merge the passes nor widen them into word stores.
 * Pass 0 alone is also the stamp the main thread puts on the objects it
 * hands out.
 */
static inline void
scratch_write(unsigned char *obj, size_t size, unsigned int tag,
	      unsigned int passes)
{
	volatile unsigned char *v = obj;
	unsigned int j;
	size_t k;

	for (k = 0; k < size; k++)
		v[k] = scratch_byte(tag, 0, k);
	for (j = 1; j < passes; j++) {
		for (k = 0; k < size; k++) {
			if (v[k] != scratch_byte(tag, j - 1, k))
				scratch_damaged(obj, k);
			v[k] = scratch_byte(tag, j, k);
		}
	}
	scratch_check(v, size, tag, passes - 1);
}

/* The tag of the object the main thread hands to thread @p i. */
static unsigned int
scratch_tag(unsigned int i)
{
	return 0xa5u + 77u * i;
}

/*
 * scratch: free the object the main thread handed out (after checking its
 * stamp), then allocate, write and free objects of its size until the
 * stop flag. The pointer escapes through the volatile accesses.
 */
static inline __attribute__((always_inline)) void
scratch_loop(struct worker *w, bool buf)
{
	struct run *r = w->run;
	size_t size = r->size;
	unsigned char *p = r->handed[w->index];
	unsigned int i;

	scratch_check(p, size, scratch_tag(w->index), 0);
	scratch_put(r, p, buf);
	do {
		for (i = 0; i < STOP_EVERY; i++) {
			p = scratch_get(r, buf);
			scratch_write(p, size, w->index * 101u + i,
				      SCRATCH_PASSES);
			scratch_put(r, p, buf);
		}
		w->ops += STOP_EVERY;
	} while (!stopped(r));
	w->allocs = w->ops;
	w->frees = w->ops + 1;
}

static void
body_scratch(struct worker *w)
{
	scratch_loop(w, false);
}

static void
body_scratch_buf(struct worker *w)
{
	scratch_loop(w, true);
}

static bool
is_scratch(void)
{
	return wl->body == body_scratch || wl->body == body_scratch_buf;
}

/*
 * The main thread's part of scratch, before the threads start: make a
 * source of objects for this run alone (a class of the point's size, or
 * buffers for scratch-buf), then allocate one object per thread from it,
 * one after the other, stamp each and hand it out. Hoard's program runs
 * once in a fresh process, its objects the first the allocator hands out;
 * a fresh pool per run gives pools the same start here, where a pool kept
 * from run to run would hand out objects scattered by the runs before.
 * (The malloc-shaped peers keep their state: their consecutive objects
 * are neighbours anyway.) @return how many of the objects share a cache
 * line with another of them: the false sharing the workload sets up.
 */
static unsigned int
scratch_hand_out(struct run *r, unsigned int n)
{
	bool buf = wl->body == body_scratch_buf;
	uintptr_t first[BENCH_MAX_THREADS], last[BENCH_MAX_THREADS];
	unsigned int i, j, shared = 0;

	if (buf)
		r->bufs = peer_bufs_create(r->size, wl->out(n), n + 1);
	else
		r->cls = peer_cls_create(r->size, wl->out(n), n + 1);
	for (i = 0; i < n; i++) {
		r->handed[i] = scratch_get(r, buf);
		scratch_write(r->handed[i], r->size, scratch_tag(i), 1);
		first[i] = (uintptr_t)r->handed[i] / CACHE_LINE;
		last[i] = ((uintptr_t)r->handed[i] + r->size - 1) / CACHE_LINE;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (j != i && first[j] <= last[i] &&
			    first[i] <= last[j]) {
				shared++;
				break;
			}
		}
	}
	return shared;
}

/* The end of a scratch run: the source of its objects goes. */
static void
scratch_done(struct run *r)
{
	if (r->bufs)
		peer_bufs_destroy(r->bufs);
	else
		peer_cls_destroy(r->cls);
	r->bufs = NULL;
	r->cls = NULL;
}

static size_t
out_pair(unsigned int threads)
{
	return threads;
}

static size_t
out_bulk(unsigned int threads)
{
	return (size_t)threads * BULK;
}

static size_t
out_stages(unsigned int threads)
{
	return (size_t)threads * (PEER_RING_SLOTS + 2);
}

static size_t
out_larson(unsigned int threads)
{
	return LARSON_SLOTS / 2;
}

static size_t
out_churn(unsigned int threads)
{
	return (size_t)threads * (CHURN_HOLD + CHURN_STASH);
}

static const struct wl_desc workloads[] = {
	{ "pair", "get+put pair", "16,64,256,1024,4096", 16, 1, body_pair,
	  out_pair },
	{ "bulk", "object through bulk get+put of 64", "16,64,256,1024,4096",
	  16, 1, body_bulk, out_bulk },
	{ "prodcons", "object allocated, passed on, freed", "64", 16, 2,
	  body_stages, out_stages },
	{ "pipeline", "object through 3 stages", "64", 16, 3, body_stages,
	  out_stages },
	{ "larson", "slot replaced (alloc + free)", NULL, 16, 1, body_larson,
	  out_larson },
	{ "churn", "get+put pair by a short-lived thread", "64", 16, 1,
	  body_churn, out_churn },
	/* Each thread holds one object; the main thread, one per thread. */
	{ "scratch", "get, " STR(SCRATCH_PASSES) " checked writes of every "
	  "byte, put", "8,16,32,64", 1, 1, body_scratch, out_pair },
	{ "scratch-buf", "alloc, " STR(SCRATCH_PASSES) " checked writes of "
	  "every byte, free", "8,16,32,64", 1, 1, body_scratch_buf, out_pair },
};

#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	peer_thread_enter();
	w->cpu = r->pin ? bench_pin_self(w->index) : -EPERM;
	bench_barrier_wait(&r->start);
	w->cpu_ns = bench_thread_cpu_ns();
	r->wl->body(w);
	w->t_end = bench_now_ns();
	w->cpu_ns = bench_thread_cpu_ns() - w->cpu_ns;
	peer_thread_leave();
	return NULL;
}

static void
larson_fill(struct run *r)
{
	uint64_t s = r->serial;
	unsigned int i;

	/* The threads' creation orders these stores before their loads. */
	for (i = 0; i < LARSON_SLOTS; i++)
		atomic_store_explicit(&r->table[i],
				      larson_new(r, (uint32_t)prng(&s)),
				      memory_order_relaxed);
}

static void
larson_drain(struct run *r)
{
	unsigned int i;

	/* pthread_join ordered the threads' last exchanges before this. */
	for (i = 0; i < LARSON_SLOTS; i++)
		larson_free(r, atomic_load_explicit(&r->table[i],
						    memory_order_relaxed));
}

/*
 * One run of @p pt lasting @p ms; its figures go to sample @p slot, or
 * nowhere for a warm-up run (slot < 0). @return the first pinning error.
 */
static int
run_point(struct run *r, struct point *pt, unsigned int ms, int slot)
{
	uint64_t t0, t_end = 0, ops = 0, allocs = 0, frees = 0, started = 0;
	uint64_t cpu_ns = 0;
	unsigned int i, n = pt->threads, shared = 0;
	int err, pin_err = 0;

	r->nthreads = n;
	r->size = pt->size;
	r->serial++;
	atomic_store_explicit(&r->stop, false, memory_order_relaxed);
	if (r->rings)
		memset(r->rings, 0, (size_t)n * sizeof(*r->rings));
	if (r->table) {
		larson_fill(r);
		allocs = LARSON_SLOTS;
	}
	if (is_scratch()) {
		shared = scratch_hand_out(r, n);
		allocs = n;
	}
	bench_barrier_init(&r->start, n + 1);
	for (i = 0; i < n; i++) {
		struct worker *w = &workers[i];

		memset(w, 0, sizeof(*w));
		w->index = i;
		w->run = r;
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
	bench_barrier_wait(&r->start);
	t0 = bench_now_ns();
	bench_sleep_ms(ms);
	atomic_store_explicit(&r->stop, true, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->tid, NULL);
		ops += w->ops;
		allocs += w->allocs;
		frees += w->frees;
		started += w->started;
		cpu_ns += w->cpu_ns;
		if (w->t_end > t_end)
			t_end = w->t_end;
		if (r->pin && w->cpu < 0 && !pin_err)
			pin_err = -w->cpu;
	}
	bench_barrier_destroy(&r->start);
	if (r->table) {
		larson_drain(r);
		frees += LARSON_SLOTS;
	}
	if (is_scratch())
		scratch_done(r);
	if (allocs != frees)
		bench_die("%s: %llu objects allocated but %llu freed",
			  wl->name, (unsigned long long)allocs,
			  (unsigned long long)frees);
	if (!ops)
		bench_die("%s: no operation done in %u ms", wl->name, ms);
	if (slot >= 0) {
		double ns = (double)(t_end - t0);

		pt->mops[slot] = (double)ops * 1e3 / ns;
		pt->per_s[slot] = (double)started * 1e9 / ns;
		pt->shared[slot] = shared;
		pt->cpu_ns[slot] = (double)cpu_ns / (double)ops;
	}
	return pin_err;
}

static void
on_option(int opt, const char *arg)
{
	unsigned int i;

	if (opt == 's') {
		/* Checked against the workload's smallest size in main(). */
		nsizes = bench_parse_list(arg, 's', sizes, MAX_SIZES, 1,
					  1u << 20);
		return;
	}
	for (i = 0; i < NWORKLOADS; i++) {
		if (!strcmp(arg, workloads[i].name)) {
			wl = &workloads[i];
			return;
		}
	}
	fprintf(stderr, "%s: -w: no workload '%s'\n",
		program_invocation_short_name, arg);
	exit(2);
}

/* The default -t: 1, 2, 4 ... up to 4 times the CPUs. */
static void
default_tcounts(struct bench_opts *o)
{
	unsigned int t, max = 4 * bench_ncpus();

	if (max > BENCH_MAX_THREADS)
		max = BENCH_MAX_THREADS;
	o->ntcounts = 0;
	for (t = 1; t <= max && o->ntcounts < BENCH_MAX_TCOUNTS; t *= 2)
		o->tcounts[o->ntcounts++] = t;
}

/*
 * The points: each size times each thread count, rounded down to whole
 * units of the workload's group (at least one unit). @return the most
 * threads of any point.
 */
static unsigned int
make_points(const struct bench_opts *o)
{
	unsigned int units[BENCH_MAX_TCOUNTS], nunits = 0, i, j, u, tmax = 0;

	for (i = 0; i < o->ntcounts; i++) {
		u = o->tcounts[i] / wl->group;
		if (!u)
			continue;
		for (j = 0; j < nunits && units[j] != u; j++)
			;
		if (j == nunits)
			units[nunits++] = u;
	}
	if (!nunits)
		units[nunits++] = 1;
	for (i = 0; i < nsizes; i++) {
		for (j = 0; j < nunits; j++) {
			struct point *pt = &points[npoints++];

			pt->size = sizes[i];
			pt->threads = units[j] * wl->group;
			if (pt->threads > BENCH_MAX_THREADS)
				bench_die("%u threads: at most %u",
					  pt->threads, BENCH_MAX_THREADS);
			if (pt->threads > tmax)
				tmax = pt->threads;
		}
	}
	return tmax;
}

/* The classes, pools and tables the points need, made once. */
static void
make_pools(struct run *r, unsigned int tmax)
{
	unsigned int threads = 1 + tmax * (wl->body == body_churn ? 2 : 1);
	unsigned int i;

	/* scratch makes a source of objects per run (scratch_hand_out()). */
	for (i = 0; i < nsizes && !is_scratch(); i++)
		classes[i] = peer_cls_create(sizes[i], wl->out(tmax), threads);
	if (wl->body == body_stages) {
		r->rings = aligned_alloc(64, (size_t)tmax * sizeof(*r->rings));
		if (!r->rings)
			bench_die("aligned_alloc: %s", strerror(errno));
	}
	if (wl->body == body_larson) {
		r->bufs = peer_bufs_create(LARSON_MAX, LARSON_SLOTS / 4,
					   threads);
		r->table = calloc(LARSON_SLOTS, sizeof(*r->table));
		if (!r->table)
			bench_die("calloc: %s", strerror(errno));
	}
}

static void
free_pools(struct run *r)
{
	unsigned int i;

	for (i = 0; i < nsizes; i++) {
		if (classes[i])
			peer_cls_destroy(classes[i]);
	}
	if (r->bufs)
		peer_bufs_destroy(r->bufs);
	free(r->rings);
	free(r->table);
}

static struct peer_cls *
class_of(size_t size)
{
	unsigned int i;

	for (i = 0; i < nsizes; i++) {
		if (sizes[i] == size)
			return classes[i];
	}
	bench_die("no class of %zu bytes", size);
}

static void
summarise(struct point *pt, unsigned int runs)
{
	unsigned int i;

	pt->med_mops = bench_median(pt->mops, runs);
	pt->med_per_s = bench_median(pt->per_s, runs);
	pt->med_shared = bench_median(pt->shared, runs);
	pt->med_cpu_ns = bench_median(pt->cpu_ns, runs);
	pt->min_mops = pt->max_mops = pt->mops[0];
	for (i = 1; i < runs; i++) {
		if (pt->mops[i] < pt->min_mops)
			pt->min_mops = pt->mops[i];
		if (pt->mops[i] > pt->max_mops)
			pt->max_mops = pt->mops[i];
	}
}

static void
print_table(unsigned int runs)
{
	bool churn = wl->body == body_churn;
	unsigned int i;

	printf("\n%6s %7s %10s %9s %10s %10s%s\n", "size", "threads",
	       "Mops/s", "ns/op", "min Mops", "max Mops",
	       churn ? "  threads/s" : is_scratch() ? "  CPU ns/op   shared" :
	       "");
	for (i = 0; i < npoints; i++) {
		struct point *pt = &points[i];

		summarise(pt, runs);
		if (wl->sizes)
			printf("%6zu", pt->size);
		else
			printf("%6s", "mix");
		printf(" %7u %10.2f %9.2f %10.2f %10.2f", pt->threads,
		       pt->med_mops, pt->threads * 1e3 / pt->med_mops,
		       pt->min_mops, pt->max_mops);
		if (churn)
			printf(" %10.0f", pt->med_per_s);
		else if (is_scratch())
			printf(" %10.2f %8.1f", pt->med_cpu_ns, pt->med_shared);
		putchar('\n');
	}
	printf("(one op: %s; Mops/s: all threads together; ns/op: threads "
	       "over throughput)\n", wl->op);
	if (is_scratch())
		printf("(CPU ns/op: the threads' CPU time over the operations; "
		       "shared: of the objects\n the main thread handed out, "
		       "how many shared a %u-byte line with another)\n",
		       CACHE_LINE);
}

static void
print_results(unsigned int runs)
{
	long rss = bench_maxrss_kb();
	unsigned int i;

	printf("peak resident memory of this process: %ld KiB\n\n", rss);
	for (i = 0; i < npoints; i++) {
		const struct point *pt = &points[i];
		char extra[64] = "";

		if (wl->body == body_churn)
			snprintf(extra, sizeof(extra), "\tthreads_per_s=%.0f",
				 pt->med_per_s);
		else if (is_scratch())
			snprintf(extra, sizeof(extra),
				 "\tcpu_ns_per_op=%.3f\tshared=%.1f",
				 pt->med_cpu_ns, pt->med_shared);
		bench_result(wl->name, peer_name(),
			     "size=%zu\tthreads=%u\tmops=%.3f\tns_per_op=%.3f\t"
			     "min_mops=%.3f\tmax_mops=%.3f\tmaxrss_kb=%ld\t"
			     "runs=%u%s", wl->sizes ? pt->size : 0,
			     pt->threads, pt->med_mops,
			     pt->threads * 1e3 / pt->med_mops, pt->min_mops,
			     pt->max_mops, rss, runs, extra);
	}
}

int
main(int argc, char **argv)
{
	struct bench_opts opts = {
		.runs = 5,
		.run_ms = 50,
		.threaded = true,
		.pin = true,
		.timed = true,
		.extra_opts = "w:s:",
		.extra_usage = extra_usage,
		.extra = on_option,
	};
	struct run r = { .pin = true };
	unsigned int i, tmax, round;
	int err, pin_err = 0;

	default_tcounts(&opts);
	bench_parse_args(argc, argv, &opts, what);
	if (!wl) {
		bench_usage(stderr, &opts, what);
		exit(2);
	}
	if (!wl->sizes) {
		sizes[0] = LARSON_FIXED;
		nsizes = 1;
	} else if (!nsizes) {
		nsizes = bench_parse_list(wl->sizes, 's', sizes, MAX_SIZES, 1,
					  1u << 20);
	}
	for (i = 0; i < nsizes; i++) {
		if (sizes[i] < wl->min_size) {
			fprintf(stderr, "%s: -s: %s takes sizes of %u bytes "
				"and more, not %u\n",
				program_invocation_short_name, wl->name,
				wl->min_size, sizes[i]);
			exit(2);
		}
	}
	bench_print_header(what, &opts);
	if (peer_init()) {
		printf("SKIP %s: %s cannot run here\n", wl->name, peer_name());
		return 77;
	}
#ifdef PEER_LIB
	if (!strstr(peer_origin(), PEER_LIB))
		bench_die("%s: the calls land in %s, not in a %s library",
			  peer_name(), peer_origin(), PEER_LIB);
#endif
	printf("workload %s with %s (%s)\n", wl->name, peer_name(),
	       peer_origin());
	r.wl = wl;
	r.pin = opts.pin;
	tmax = make_points(&opts);
	make_pools(&r, tmax);
	/* Round 0 warms up, unrecorded; rounds go round all the points. */
	for (round = 0; round <= opts.runs; round++) {
		for (i = 0; i < npoints; i++) {
			r.cls = class_of(points[i].size);
			err = run_point(&r, &points[i], round ? opts.run_ms :
					(opts.run_ms + 1) / 2, (int)round - 1);
			if (err && !pin_err)
				pin_err = err;
		}
	}
	bench_print_pinning(opts.pin, pin_err, "thread");
	print_table(opts.runs);
	print_results(opts.runs);
	free_pools(&r);
	peer_fini();
	return 0;
}
