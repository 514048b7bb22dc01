/* SPDX-License-Identifier: MIT */
/*
 * probe_work.c - a known workload for test-bpftrace.sh, which counts the
 * library's tracing probes while it runs (lfpool(7), "Tracing probes").
 * Not a test itself. It prints what the probes must add up to, one
 * "probe pool figure" a line: the pools' statistics (depot traffic,
 * caches made, objects and chunks, after a trim) and the events it
 * caused itself (gets refused at the budget, gets served by the reserve,
 * misuse reports, objects put after a grace period). Pools are named
 * "probe-*"; none is destroyed before its figures are printed, and the
 * traced ones never (destroy moves magazines too).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <lfpool.h>

#define N 1000

static void *objs[N];
static int misuses;

static void
fail(const char *what)
{
	fprintf(stderr, "probe_work: %s failed\n", what);
	exit(99);
}

static struct lfp_objpool *
make(const char *name, size_t size, size_t max_bytes, unsigned int flags)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;

	lfp_objpool_attr_init(&a);
	a.name = name;
	a.size = size;
	a.max_bytes = max_bytes;
	a.flags = flags;
	a.cache_mode = LFP_CACHE_PER_THREAD;    /* caches made per thread */
	if (!(p = lfp_objpool_create(&a)))
		fail("lfp_objpool_create");
	return p;
}

static void
cycle(struct lfp_objpool *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(objs[i] = lfp_objpool_get(p)))
			fail("lfp_objpool_get");
	for (size_t i = 0; i < n; i++)
		if (lfp_objpool_put(p, objs[i]))
			fail("lfp_objpool_put");
}

static void *
other_thread(void *arg)
{
	static void *mine[N / 4];
	struct lfp_objpool *p = arg;

	for (size_t i = 0; i < N / 4; i++)
		if (!(mine[i] = lfp_objpool_get(p)))
			fail("lfp_objpool_get");
	for (size_t i = 0; i < N / 4; i++)
		if (lfp_objpool_put(p, mine[i]))
			fail("lfp_objpool_put");
	return NULL;
}

static void
count_misuse(const struct lfp_misuse *m, void *arg)
{
	misuses++;
}

int
main(void)
{
	struct lfp_objpool *a, *b, *c, *d;
	struct lfp_objpool_stats st;
	pthread_t t;
	void *o;
	int refused = 0, reserved = 0;

	/* Depot traffic, caches, carving, chunks, and a trim. */
	a = make("probe-a", 64, 0, 0);
	cycle(a, N);
	if (pthread_create(&t, NULL, other_thread, a) ||
	    pthread_join(t, NULL))
		fail("pthread");
	cycle(a, N);
	if (lfp_objpool_trim(a, LFP_TRIM_CACHES))
		fail("lfp_objpool_trim");
	if (lfp_objpool_stats(a, &st))
		fail("lfp_objpool_stats");
	printf("depot_get probe-a %llu\n", (unsigned long long)st.depot_gets);
	printf("depot_put probe-a %llu\n", (unsigned long long)st.depot_puts);
	printf("cache_new probe-a %llu\n", (unsigned long long)st.caches);
	printf("objects probe-a %llu\n", (unsigned long long)st.objects);
	printf("chunks probe-a %llu\n", (unsigned long long)st.chunks);

	/* The budget: one chunk of four objects, one in a reserve. */
	b = make("probe-b", 16 << 10, 64 << 10, 0);
	if (lfp_objpool_prefill(b, 1))
		fail("lfp_objpool_prefill");
	for (int i = 0; i < 8; i++) {
		if ((o = lfp_objpool_get(b)))
			continue;       /* kept: the budget fills */
		if (errno != ENOMEM)
			fail("lfp_objpool_get (ENOMEM)");
		refused++;
	}
	if (lfp_objpool_stats(b, &st))
		fail("lfp_objpool_stats");
	reserved = (int)(st.reserve - st.reserve_held);
	printf("budget_refuse probe-b %d\n", refused);
	printf("reserve_get probe-b %d\n", reserved);

	/* Misuse: a checked pool, a double put. */
	lfp_misuse_set_handler(count_misuse, NULL);
	c = make("probe-c", 64, 0, LFP_OBJPOOL_F_CHECKED);
	if (!(o = lfp_objpool_get(c)) || lfp_objpool_put(c, o))
		fail("lfp_objpool_get/put");
	if (lfp_objpool_put(c, o) != -EINVAL)
		fail("lfp_objpool_put (double)");
	printf("misuse probe-c %d\n", misuses);

	/* Deferred puts: every batch sent comes back by destroy. */
	d = make("probe-d", 64, 0, 0);
	for (size_t i = 0; i < N / 10; i++)
		if (!(objs[i] = lfp_objpool_get(d)))
			fail("lfp_objpool_get");
	for (size_t i = 0; i < N / 10; i++)
		if (lfp_objpool_put_rcu(d, objs[i]))
			fail("lfp_objpool_put_rcu");
	if (lfp_objpool_flush(d))       /* the partial batch too */
		fail("lfp_objpool_flush");
	lfp_objpool_destroy(d);
	printf("rcu probe-d %d\n", N / 10);
	fflush(stdout);
	return 0;
}
