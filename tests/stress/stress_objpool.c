/* SPDX-License-Identifier: MIT */
/*
 * stress_objpool.c - many more threads than CPUs get, put and hand each
 * other objects of one pool at random for a while, in single and bulk
 * calls. Every object carries an atomic owner word the test claims with a
 * CAS when it receives the object, so two threads holding one object at
 * once fail the test. Now and then a worker hands its cache back
 * (lfp_thread_flush()) or every cache of the pool (lfp_objpool_flush()).
 * At the end a conservation check proves that every object ever carved
 * sits in a cache or the depot exactly once: after lfp_objpool_flush()
 * (per-CPU caches outlive the threads and only the flush makes their
 * objects reachable from another CPU), the main thread gets stats.objects
 * objects without the pool carving any new one, all distinct and intact,
 * and destroy runs the destructor once on each. The pool runs in the
 * cache mode the environment chooses (LFP_CACHE_MODE).
 * Variants: default magazines, one-round magazines (the depot on almost
 * every call), and 4 KiB objects. Work scales with LFP_STRESS_SCALE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lfpool.h>

#include "test-common.h"

#define OBJ_MAGIC 0x7374726573734f4bULL
#define OBJ_POISON 0xdeadbeefdeadbeefULL
/* owner word of an object waiting in the exchange */
#define OWNER_EXCHANGE UINT64_MAX

#define MAX_BATCH 100
#define MAX_HELD 400
#define XCHG_SIZE 1024

struct sobj {
	atomic_uint_fast64_t owner; /* 0 in the pool, tid + 1 when held */
	uint64_t magic;
	/* the rest of the object, filled by its holder */
};

/* The whole run: pool, counters, exchange, first failure. */
struct run {
	struct lfp_objpool *pool;
	size_t size;
	struct timespec deadline;
	pthread_barrier_t start;

	atomic_ulong ctors;
	atomic_ulong dtors;
	atomic_ulong bad_dtors;

	pthread_mutex_t xlock; /* protects the exchange ring */
	void *xring[XCHG_SIZE];
	size_t xhead, xcount;

	pthread_mutex_t fail_lock;
	atomic_int failed;
	char fail_msg[512];
};

struct worker {
	struct run *run;
	pthread_t tid;
	unsigned int id;
	uint64_t seed;
	void *held[MAX_HELD];
	size_t nheld;
	unsigned long ops;
};

static void w_fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
w_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->fail_lock);
	if (!atomic_load(&r->failed)) {
		va_start(ap, fmt);
		vsnprintf(r->fail_msg, sizeof(r->fail_msg), fmt, ap);
		va_end(ap);
		atomic_store(&r->failed, 1);
	}
	pthread_mutex_unlock(&r->fail_lock);
}

/* A counter's value, as a plain call so failed assertions read well. */
static unsigned long
count_of(atomic_ulong *counter)
{
	return atomic_load(counter);
}

static int
stress_ctor(void *obj, void *arg)
{
	struct run *r = arg;
	struct sobj *o = obj;

	atomic_init(&o->owner, 0);
	o->magic = OBJ_MAGIC;
	atomic_fetch_add(&r->ctors, 1);
	return 0;
}

static void
stress_dtor(void *obj, void *arg)
{
	struct run *r = arg;
	struct sobj *o = obj;

	if (o->magic != OBJ_MAGIC || atomic_load(&o->owner) != 0)
		atomic_fetch_add(&r->bad_dtors, 1);
	o->magic = OBJ_POISON;
	atomic_fetch_add(&r->dtors, 1);
}

/* The payload pattern of holder @id. */
static unsigned char
pattern(unsigned int id)
{
	return (unsigned char)(0x40 + id % 191);
}

/* Claim @o for worker @w: owner @from -> w->id + 1 and mark the payload. */
static bool
claim(struct worker *w, struct sobj *o, uint64_t from)
{
	uint_fast64_t expect = from;
	size_t payload = w->run->size - sizeof(*o);

	if (o->magic != OBJ_MAGIC) {
		w_fail(w->run, "worker %u: object %p has magic %#llx", w->id,
		       (void *)o, (unsigned long long)o->magic);
		return false;
	}
	if (!atomic_compare_exchange_strong(&o->owner, &expect, w->id + 1)) {
		w_fail(w->run, "worker %u: object %p owned by %llu, expected "
		       "%llu: handed out twice", w->id, (void *)o,
		       (unsigned long long)expect, (unsigned long long)from);
		return false;
	}
	memset(o + 1, pattern(w->id), payload);
	return true;
}

/* Release @o held by @w: check the payload, owner w->id + 1 -> @to. */
static bool
release(struct worker *w, struct sobj *o, uint64_t to)
{
	uint_fast64_t expect = w->id + 1;
	size_t payload = w->run->size - sizeof(*o);
	const unsigned char *p = (const unsigned char *)(o + 1);
	unsigned char c = pattern(w->id);

	/* first, last and a middle byte: an overlapping holder shows */
	if (payload && (p[0] != c || p[payload / 2] != c ||
			p[payload - 1] != c)) {
		w_fail(w->run, "worker %u: payload of %p overwritten", w->id,
		       (void *)o);
		return false;
	}
	if (!atomic_compare_exchange_strong(&o->owner, &expect, to)) {
		w_fail(w->run, "worker %u: object %p taken from it (owner "
		       "%llu)", w->id, (void *)o, (unsigned long long)expect);
		return false;
	}
	return true;
}

static void
do_get(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	size_t room = MAX_HELD - w->nheld;
	size_t n = 1 + rnd % MAX_BATCH, got, i;
	void **dst = &w->held[w->nheld];

	if (n > room)
		n = room;
	if (!n)
		return;
	if ((rnd >> 40) & 1) {
		errno = 0;
		got = lfp_objpool_get_bulk(r->pool, dst, n);
		if (got != n)
			w_fail(r, "worker %u: get_bulk(%zu) = %zu, errno %d",
			       w->id, n, got, errno);
	} else {
		for (got = 0; got < n; got++) {
			dst[got] = lfp_objpool_get(r->pool);
			if (!dst[got]) {
				w_fail(r, "worker %u: get: errno %d", w->id,
				       errno);
				break;
			}
		}
	}
	for (i = 0; i < got; i++)
		if (!claim(w, dst[i], 0))
			break;
	/* keep only what was claimed; the rest is lost to a failed run */
	w->nheld += i;
}

/* Remove @n random held objects into @out. */
static void
take_random(struct worker *w, void **out, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		k = lfp_test_rand(&w->seed) % w->nheld;
		out[i] = w->held[k];
		w->held[k] = w->held[--w->nheld];
	}
}

static void
do_put(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	void *batch[MAX_BATCH];
	size_t n, i, done;

	if (!w->nheld)
		return;
	n = 1 + rnd % (w->nheld < MAX_BATCH ? w->nheld : MAX_BATCH);
	take_random(w, batch, n);
	for (i = 0; i < n; i++)
		if (!release(w, batch[i], 0))
			return;
	if ((rnd >> 40) & 1) {
		errno = 0;
		done = lfp_objpool_put_bulk(r->pool, batch, n);
		if (done != n)
			w_fail(r, "worker %u: put_bulk(%zu) = %zu, errno %d",
			       w->id, n, done, errno);
	} else {
		for (i = 0; i < n; i++) {
			int rc = lfp_objpool_put(r->pool, batch[i]);

			if (rc)
				w_fail(r, "worker %u: put: %d", w->id, rc);
		}
	}
}

/* Hand some held objects to the exchange ring. */
static void
do_give(struct worker *w)
{
	struct run *r = w->run;
	void *batch[MAX_BATCH];
	size_t n, i;

	if (!w->nheld)
		return;
	n = 1 + lfp_test_rand(&w->seed) % (w->nheld < 32 ? w->nheld : 32);
	pthread_mutex_lock(&r->xlock);
	if (n > XCHG_SIZE - r->xcount)
		n = XCHG_SIZE - r->xcount;
	take_random(w, batch, n);
	for (i = 0; i < n; i++) {
		if (!release(w, batch[i], OWNER_EXCHANGE))
			break;
		r->xring[(r->xhead + r->xcount) % XCHG_SIZE] = batch[i];
		r->xcount++;
	}
	pthread_mutex_unlock(&r->xlock);
}

/* Take some objects from the exchange ring. */
static void
do_take(struct worker *w)
{
	struct run *r = w->run;
	size_t n, i;
	void *o;

	n = 1 + lfp_test_rand(&w->seed) % 32;
	if (n > MAX_HELD - w->nheld)
		n = MAX_HELD - w->nheld;
	pthread_mutex_lock(&r->xlock);
	for (i = 0; i < n && r->xcount; i++) {
		o = r->xring[r->xhead];
		r->xhead = (r->xhead + 1) % XCHG_SIZE;
		r->xcount--;
		if (!claim(w, o, OWNER_EXCHANGE))
			break;
		w->held[w->nheld++] = o;
	}
	pthread_mutex_unlock(&r->xlock);
}

static bool
past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec &&
		now.tv_nsec >= deadline->tv_nsec);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	size_t i;

	pthread_barrier_wait(&r->start);
	while (!atomic_load(&r->failed)) {
		if ((w->ops & 63) == 0 && past(&r->deadline))
			break;
		switch (lfp_test_rand(&w->seed) % 8) {
		case 0:
		case 1:
		case 2:
			do_get(w);
			break;
		case 3:
		case 4:
		case 5:
			do_put(w);
			break;
		case 6:
			do_give(w);
			break;
		default:
			do_take(w);
			break;
		}
		w->ops++;
		/* now and then, hand caches back in the middle of work */
		if ((w->ops & 4095) == 4095)
			lfp_thread_flush();
		else if ((w->ops & 8191) == 2047 &&
			 lfp_objpool_flush(r->pool))
			w_fail(r, "worker %u: lfp_objpool_flush failed", w->id);
	}
	/* put everything back, half of it in one bulk call */
	for (i = 0; i < w->nheld; i++)
		if (!release(w, w->held[i], 0))
			return NULL;
	i = lfp_objpool_put_bulk(r->pool, w->held, w->nheld / 2);
	if (i != w->nheld / 2)
		w_fail(r, "worker %u: final put_bulk: %zu", w->id, i);
	for (i = w->nheld / 2; i < w->nheld; i++)
		if (lfp_objpool_put(r->pool, w->held[i]))
			w_fail(r, "worker %u: final put failed", w->id);
	w->nheld = 0;
	return NULL;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a;
	uintptr_t y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static void
stress(size_t size, unsigned int rounds, const char *name)
{
	unsigned int nthreads = 4 * lfp_test_ncpus();
	unsigned int scale = lfp_test_scale();
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st, st2;
	struct worker *workers;
	unsigned long ops = 0;
	uint64_t owner;
	struct run *r;
	struct sobj *o;
	void **all;
	size_t got, i;
	unsigned int k;

	if (nthreads < 8)
		nthreads = 8;
	r = calloc(1, sizeof(*r));
	workers = calloc(nthreads, sizeof(*workers));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(workers);
	pthread_mutex_init(&r->xlock, NULL);
	pthread_mutex_init(&r->fail_lock, NULL);
	atomic_init(&r->failed, 0);
	atomic_init(&r->ctors, 0);
	atomic_init(&r->dtors, 0);
	atomic_init(&r->bad_dtors, 0);
	r->size = size;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = rounds;
	attr.ctor = stress_ctor;
	attr.dtor = stress_dtor;
	attr.arg = r;
	attr.name = name;
	r->pool = lfp_objpool_create(&attr);
	ck_assert_msg(r->pool != NULL, "create: errno %d", errno);

	ck_assert_int_eq(pthread_barrier_init(&r->start, NULL, nthreads + 1),
			 0);
	for (k = 0; k < nthreads; k++) {
		workers[k].run = r;
		workers[k].id = k;
		workers[k].seed = 0x9e3779b97f4a7c15ULL * (k + 1) ^ size;
		ck_assert_int_eq(pthread_create(&workers[k].tid, NULL,
						worker_main, &workers[k]), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	r->deadline.tv_sec += 2 * (time_t)scale;
	pthread_barrier_wait(&r->start);
	for (k = 0; k < nthreads; k++) {
		ck_assert_int_eq(pthread_join(workers[k].tid, NULL), 0);
		ops += workers[k].ops;
	}
	ck_assert_msg(!atomic_load(&r->failed), "%s", r->fail_msg);
	ck_assert_uint_gt(ops, nthreads);
	/* A TAP diagnostic: how much this run did (regtest figures). */
	printf("# stress objpool: %u threads, %lu operations\n", nthreads, ops);
	fflush(stdout);

	/* What is left in the exchange goes back from this thread. */
	while (r->xcount) {
		o = r->xring[r->xhead];
		r->xhead = (r->xhead + 1) % XCHG_SIZE;
		r->xcount--;
		owner = atomic_load(&o->owner);
		ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		ck_assert_uint_eq(owner, OWNER_EXCHANGE);
		atomic_store(&o->owner, 0);
		ck_assert_int_eq(lfp_objpool_put(r->pool, o), 0);
	}

	/*
	 * Conservation: every object carved is cached exactly once. The
	 * flush brings what sits in every CPU's cache to the depot.
	 */
	ck_assert_int_eq(lfp_objpool_flush(r->pool), 0);
	ck_assert_int_eq(lfp_objpool_stats(r->pool, &st), 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, st.puts);
	ck_assert_uint_eq(st.cached, st.objects);
	ck_assert_uint_eq(st.depot_cached, st.cached);
	ck_assert_uint_eq(st.objects, count_of(&r->ctors));
	ck_assert_uint_eq(st.ctor_failures, 0);
	ck_assert_uint_gt(st.objects, 0);
	all = calloc(st.objects, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	errno = 0;
	got = lfp_objpool_get_bulk(r->pool, all, st.objects);
	ck_assert_msg(got == st.objects, "got %zu of %llu objects, errno %d",
		      got, (unsigned long long)st.objects, errno);
	ck_assert_int_eq(lfp_objpool_stats(r->pool, &st2), 0);
	ck_assert_msg(st2.objects == st.objects, "getting every cached object "
		      "carved new ones: %llu objects, was %llu",
		      (unsigned long long)st2.objects,
		      (unsigned long long)st.objects);
	ck_assert_uint_eq(st2.in_use, st.objects);
	ck_assert_uint_eq(st2.cached, 0);
	ck_assert_uint_eq(count_of(&r->ctors), st.objects);
	for (i = 0; i < got; i++) {
		o = all[i];
		owner = atomic_load(&o->owner);
		ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		ck_assert_uint_eq(owner, 0);
	}
	qsort(all, got, sizeof(*all), cmp_ptr);
	for (i = 0; i + 1 < got; i++)
		ck_assert_msg((uintptr_t)all[i] + size <= (uintptr_t)all[i + 1],
			      "objects %p and %p overlap or repeat", all[i],
			      all[i + 1]);
	ck_assert_uint_eq(lfp_objpool_put_bulk(r->pool, all, got), got);
	ck_assert_int_eq(lfp_objpool_stats(r->pool, &st2), 0);
	ck_assert_uint_eq(st2.in_use, 0);

	ck_assert_int_eq(lfp_objpool_destroy(r->pool), 0);
	ck_assert_uint_eq(count_of(&r->dtors), count_of(&r->ctors));
	ck_assert_uint_eq(count_of(&r->bad_dtors), 0);

	pthread_barrier_destroy(&r->start);
	pthread_mutex_destroy(&r->fail_lock);
	pthread_mutex_destroy(&r->xlock);
	free(all);
	free(workers);
	free(r);
}

START_TEST(stress_default)
{
	stress(64, 0, "stress-64");
}
END_TEST

START_TEST(stress_rounds1)
{
	stress(64, 1, "stress-rounds1");
}
END_TEST

START_TEST(stress_4k)
{
	stress(4096, 0, "stress-4k");
}
END_TEST

static Suite *
stress_suite(void)
{
	Suite *s = suite_create("stress_objpool");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 60 * lfp_test_scale() + 60);
	tcase_add_test(tc, stress_default);
	tcase_add_test(tc, stress_rounds1);
	tcase_add_test(tc, stress_4k);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return lfp_test_run(stress_suite());
}
