/* SPDX-License-Identifier: MIT */
/*
 * bench_trim.c - memory control in a server-like run. Part 1, trim: four
 * threads each keep a working set of buffers of random sizes (64 B to
 * 64 KiB) from one buffer pool, replacing random ones, then a burst makes
 * every thread hold four times as much; the burst ends, and the program
 * reports resident memory (from /proc/self/statm) at the start, at the
 * peak, after the burst's buffers are freed, after an idle trim
 * (LFP_TRIM_CACHES | LFP_TRIM_IDLE, twice, as a periodic trim would) and
 * after a full trim, against what the live buffers need. Part 2, budget:
 * the same pool with a byte budget of half the burst's peak; the burst
 * then runs into the budget, and the program reports how many allocations
 * the budget refused, the chunk memory held against the budget, and
 * whether every allocation after the burst succeeded again. These are
 * memory figures: they vary little from run to run.
 *
 * Usage: bench_trim [-t THREADS]; -r, -n and -d, which `make bench`
 * passes to every program, are accepted and ignored.
 */
#include "bench-common.h"

#include <lfpool.h>

#define WORKING 500             /* buffers per thread in steady state */
#define BURST 4                 /* the burst holds this many times more */

struct worker {
	pthread_t tid;
	struct lfp_bufpool *bp;
	void **bufs;
	size_t *sizes;
	unsigned int n;         /* buffers held */
	uint64_t seed;
	uint64_t refused;       /* allocations that failed (budget) */
	uint64_t live_bytes;    /* capacity of what is held */
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 64 B to 64 KiB, small sizes more likely (log-uniform). */
static size_t
rand_size(uint64_t *s)
{
	return (size_t)64 << (rnd(s) % 11);
}

/* Hold @n buffers, replacing random ones @ops times. */
static void
work(struct worker *w, unsigned int n, unsigned int ops)
{
	while (w->n < n) {
		size_t sz = rand_size(&w->seed);
		void *b = lfp_bufpool_alloc(w->bp, sz);

		if (!b) {
			w->refused++;
			break;
		}
		memset(b, 0x5a, sz);
		w->bufs[w->n] = b;
		w->sizes[w->n++] = sz;
	}
	for (unsigned int i = 0; i < ops && w->n; i++) {
		unsigned int k = (unsigned int)(rnd(&w->seed) % w->n);
		size_t sz = rand_size(&w->seed);
		void *b;

		if (lfp_bufpool_free(w->bp, w->bufs[k]))
			bench_die("free refused a buffer of the pool");
		b = lfp_bufpool_alloc(w->bp, sz);
		if (!b) {
			w->refused++;
			w->bufs[k] = w->bufs[--w->n];
			w->sizes[k] = w->sizes[w->n];
			continue;
		}
		memset(b, 0x5a, sz);
		w->bufs[k] = b;
		w->sizes[k] = sz;
	}
}

static void
shrink(struct worker *w, unsigned int n)
{
	while (w->n > n)
		if (lfp_bufpool_free(w->bp, w->bufs[--w->n]))
			bench_die("free refused a buffer of the pool");
}

enum phase { STEADY, BURSTING, AFTER, QUIT };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum phase phase;
	unsigned int done;
} ctl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, STEADY, 0 };

static void
report_done(void)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.done++;
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
}

static enum phase
wait_phase(enum phase seen)
{
	enum phase p;

	pthread_mutex_lock(&ctl.lock);
	while (ctl.phase == seen)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	p = ctl.phase;
	pthread_mutex_unlock(&ctl.lock);
	return p;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	enum phase p = STEADY;

	work(w, WORKING, 4 * WORKING);
	report_done();
	while ((p = wait_phase(p)) != QUIT) {
		if (p == BURSTING)
			work(w, BURST * WORKING, WORKING);
		else
			shrink(w, WORKING);
		report_done();
	}
	shrink(w, 0);
	return NULL;
}

static void
next_phase(enum phase p, unsigned int nthreads)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.done = 0;
	ctl.phase = p;
	pthread_cond_broadcast(&ctl.cond);
	while (p != QUIT && ctl.done < nthreads)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	pthread_mutex_unlock(&ctl.lock);
}


static uint64_t
live_kb(struct worker *w, unsigned int nthreads)
{
	uint64_t b = 0;

	for (unsigned int t = 0; t < nthreads; t++)
		for (unsigned int i = 0; i < w[t].n; i++)
			b += w[t].sizes[i];      /* sizes are classes */
	return b >> 10;
}

static void
line(const char *what, long rss0, struct lfp_bufpool *bp, struct worker *w,
     unsigned int nthreads, const char *mode)
{
	struct lfp_bufpool_stats st;

	if (lfp_bufpool_stats(bp, &st))
		bench_die("stats");
	printf("%-28s %10ld %10llu %12llu %12llu\n", what, bench_rss_kb() - rss0,
	       (unsigned long long)live_kb(w, nthreads),
	       (unsigned long long)(st.bytes_reserved >> 10),
	       (unsigned long long)(st.bytes_cached >> 10));
	bench_result("bench_trim", what, "mode=%s\trss_growth_kb=%ld\t"
		     "live_kb=%llu\treserved_kb=%llu\tcached_kb=%llu", mode,
		     bench_rss_kb() - rss0,
		     (unsigned long long)live_kb(w, nthreads),
		     (unsigned long long)(st.bytes_reserved >> 10),
		     (unsigned long long)(st.bytes_cached >> 10));
}

static struct worker *
start(struct lfp_bufpool *bp, unsigned int nthreads)
{
	struct worker *w = bench_xmalloc(nthreads * sizeof(*w));

	ctl.phase = STEADY;
	ctl.done = 0;
	for (unsigned int t = 0; t < nthreads; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].bp = bp;
		w[t].seed = 0x9e3779b97f4a7c15ULL * (t + 1);
		w[t].bufs = bench_xmalloc(BURST * WORKING * sizeof(void *));
		w[t].sizes = bench_xmalloc(BURST * WORKING * sizeof(size_t));
		if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]))
			bench_die("pthread_create");
	}
	pthread_mutex_lock(&ctl.lock);
	while (ctl.done < nthreads)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	pthread_mutex_unlock(&ctl.lock);
	return w;
}

static void
stop(struct worker *w, unsigned int nthreads)
{
	next_phase(QUIT, nthreads);
	for (unsigned int t = 0; t < nthreads; t++) {
		pthread_join(w[t].tid, NULL);
		free(w[t].bufs);
		free(w[t].sizes);
	}
	free(w);
}

static void
run_trim(unsigned int nthreads)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;
	struct worker *w;
	const char *mode;
	long rss0 = bench_rss_kb();

	lfp_bufpool_attr_init(&attr);
	attr.max_size = 64 << 10;
	bp = lfp_bufpool_create(&attr);
	if (!bp)
		bench_die("create: errno %d", errno);
	mode = lfp_bufpool_cache_mode(bp) == LFP_CACHE_PER_CPU ?
	       "per-cpu" : "per-thread";
	printf("\n# trim, %s caches, %u threads (KiB)\n%-28s %10s %10s %12s "
	       "%12s\n", mode, nthreads, "moment", "RSS+", "live",
	       "reserved", "cached");
	w = start(bp, nthreads);
	line("steady", rss0, bp, w, nthreads, mode);
	next_phase(BURSTING, nthreads);
	line("burst peak", rss0, bp, w, nthreads, mode);
	next_phase(AFTER, nthreads);
	line("burst over", rss0, bp, w, nthreads, mode);
	lfp_bufpool_trim(bp, LFP_TRIM_CACHES | LFP_TRIM_IDLE);
	lfp_bufpool_trim(bp, LFP_TRIM_CACHES | LFP_TRIM_IDLE);
	line("two idle trims", rss0, bp, w, nthreads, mode);
	lfp_bufpool_trim(bp, LFP_TRIM_CACHES);
	line("full trim", rss0, bp, w, nthreads, mode);
	stop(w, nthreads);
	lfp_bufpool_destroy(bp);
}

static void
run_budget(unsigned int nthreads, size_t budget)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	struct worker *w;
	uint64_t refused = 0, after = 0;

	lfp_bufpool_attr_init(&attr);
	attr.max_size = 64 << 10;
	attr.max_bytes = budget;
	bp = lfp_bufpool_create(&attr);
	if (!bp)
		bench_die("create: errno %d", errno);
	w = start(bp, nthreads);
	next_phase(BURSTING, nthreads);
	for (unsigned int t = 0; t < nthreads; t++) {
		refused += w[t].refused;
		w[t].refused = 0;
	}
	if (lfp_bufpool_stats(bp, &st))
		bench_die("stats");
	next_phase(AFTER, nthreads);
	next_phase(STEADY, nthreads);   /* back to work at the old size */
	next_phase(AFTER, nthreads);
	for (unsigned int t = 0; t < nthreads; t++)
		after += w[t].refused;
	printf("\n# budget %zu KiB, %u threads: the burst asked for about "
	       "%u buffers; %llu refused (ENOMEM); chunks held at the edge: "
	       "%llu KiB reserved (chunks and magazines); after the burst, "
	       "%llu refused\n", budget >> 10, nthreads,
	       nthreads * BURST * WORKING, (unsigned long long)refused,
	       (unsigned long long)(st.bytes_reserved >> 10),
	       (unsigned long long)after);
	bench_result("bench_trim", "budget", "budget_kb=%zu\trefused=%llu\t"
		     "reserved_kb=%llu\trefused_after=%llu", budget >> 10,
		     (unsigned long long)refused,
		     (unsigned long long)(st.bytes_reserved >> 10),
		     (unsigned long long)after);
	stop(w, nthreads);
	lfp_bufpool_destroy(bp);
}

int
main(int argc, char **argv)
{
	unsigned int nthreads = 4;

	bench_parse_threads(argc, argv, &nthreads);
	printf("# %u threads hold %u buffers of 64 B..64 KiB each, then %u "
	       "in a burst, then %u again\n", nthreads, WORKING,
	       BURST * WORKING, WORKING);
	run_trim(nthreads);
	/* Half of the burst's live memory (sizes average about 12 KiB). */
	run_budget(nthreads, (size_t)nthreads * BURST * WORKING * 6 << 10);
	return 0;
}
