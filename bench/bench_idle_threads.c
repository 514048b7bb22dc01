/* SPDX-License-Identifier: MIT */
/*
 * bench_idle_threads.c - memory held in caches by many idle threads, per
 * cache mode: N threads (1,000 by default) each get and put one 64-byte
 * object, then stay alive and idle; the program reports what the pool
 * then keeps cached (objects, bytes), how many caches and magazines it
 * made, and how resident memory grew. Per-thread caches keep about one
 * magazine per thread; per-CPU caches are bounded by the CPUs. This is a
 * memory figure, not a timing: it does not vary from run to run.
 *
 * Usage: bench_idle_threads [-t THREADS]; -r, -n and -d, which `make
 * bench` passes to every program, are accepted and ignored.
 */
#include "bench-common.h"

#include <lfpool.h>

struct idle {
	struct lfp_objpool *pool;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;
	bool release;
};

static void *
idle_main(void *arg)
{
	struct idle *s = arg;
	void *o = lfp_objpool_get(s->pool);

	if (!o || lfp_objpool_put(s->pool, o))
		bench_die("get/put failed");
	pthread_mutex_lock(&s->lock);
	s->ready++;
	pthread_cond_broadcast(&s->cond);
	while (!s->release)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}


static void
run(int mode, unsigned int nthreads)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	pthread_attr_t ta;
	pthread_t *tids = bench_xmalloc(nthreads * sizeof(*tids));
	struct idle s = { .ready = 0, .release = false };
	const char *name;
	long rss0, rss1;

	lfp_objpool_attr_init(&attr);
	attr.size = 64;
	attr.cache_mode = mode;
	s.pool = lfp_objpool_create(&attr);
	if (!s.pool)
		bench_die("create: errno %d", errno);
	name = lfp_objpool_cache_mode(s.pool) == LFP_CACHE_PER_CPU ?
	       "per-cpu" : "per-thread";
	if (mode == LFP_CACHE_PER_CPU &&
	    lfp_objpool_cache_mode(s.pool) != LFP_CACHE_PER_CPU)
		printf("%-10s  (per-CPU caches are not available here: "
		       "the pool runs per-thread)\n", "per-cpu");
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, 64 << 10);
	rss0 = bench_rss_kb();
	for (unsigned int i = 0; i < nthreads; i++)
		if (pthread_create(&tids[i], &ta, idle_main, &s))
			bench_die("pthread_create %u", i);
	pthread_mutex_lock(&s.lock);
	while (s.ready < nthreads)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);

	/* Every thread is alive and idle now. */
	rss1 = bench_rss_kb();
	if (lfp_objpool_stats(s.pool, &st))
		bench_die("stats");
	if (st.in_use || st.gets != nthreads)
		bench_die("wrong counts: %llu in use, %llu gets",
			  (unsigned long long)st.in_use,
			  (unsigned long long)st.gets);
	printf("%-10s  %8u %10llu %12llu %8llu %10llu %12llu %10ld\n", name,
	       nthreads, (unsigned long long)st.cached,
	       (unsigned long long)(st.cached * st.stride),
	       (unsigned long long)st.caches,
	       (unsigned long long)st.magazines,
	       (unsigned long long)st.bytes_reserved, rss1 - rss0);
	bench_result("bench_idle_threads", name,
		     "threads=%u\tcached_objects=%llu\tcached_bytes=%llu\t"
		     "caches=%llu\tmagazines=%llu\tbytes_reserved=%llu\t"
		     "rss_growth_kb=%ld", nthreads,
		     (unsigned long long)st.cached,
		     (unsigned long long)(st.cached * st.stride),
		     (unsigned long long)st.caches,
		     (unsigned long long)st.magazines,
		     (unsigned long long)st.bytes_reserved, rss1 - rss0);

	pthread_mutex_lock(&s.lock);
	s.release = true;
	pthread_cond_broadcast(&s.cond);
	pthread_mutex_unlock(&s.lock);
	for (unsigned int i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	pthread_attr_destroy(&ta);
	lfp_objpool_destroy(s.pool);
	free(tids);
}

int
main(int argc, char **argv)
{
	unsigned int nthreads = 1000;

	bench_parse_threads(argc, argv, &nthreads);
	printf("# %u threads each get and put one 64-byte object, then idle\n"
	       "# (thread stacks of 64 KiB; RSS growth includes them)\n",
	       nthreads);
	printf("%-10s  %8s %10s %12s %8s %10s %12s %10s\n", "mode",
	       "threads", "cached", "cached B", "caches", "magazines",
	       "reserved B", "RSS+ KiB");
	run(LFP_CACHE_PER_THREAD, nthreads);
	run(LFP_CACHE_PER_CPU, nthreads);
	return 0;
}
