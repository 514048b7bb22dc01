/* SPDX-License-Identifier: MIT */
/*
 * test_objpool.c - black-box tests of the object pool API of
 * <lfpool/objpool.h>, through the umbrella header only: attribute defaults
 * and validation (up to the 65535-pool limit and its EAGAIN), the
 * documented answer to every bad argument, alignment, distinct and
 * writable objects, the constructor/destructor contract (once per object,
 * state kept across put and get, destroy reaching objects in every
 * thread's cache and in the depot), constructor failure and recovery, the
 * bulk calls, the statistics and pool name, lfp_thread_flush() and
 * lfp_version(). Pools run in the cache mode the environment chooses
 * (LFP_CACHE_MODE), except where a test is about one thread's own cache
 * (exact hit counts, lfp_thread_flush()): those ask for per-thread caches.
 * Per-CPU caches have their own tests (test_pcpu.c). Tests of one
 * thread's calls keep it on one CPU, where it meets one cache throughout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-api.h"
#include "test-counts.h"

/*
 * A pool of @size-byte objects counted in @c (c may be NULL: raw pool),
 * its caches in @mode (enum lfp_cache_mode).
 */
static struct lfp_objpool *
make_pool_mode(size_t size, unsigned int rounds, struct counts *c, int mode)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = rounds;
	attr.cache_mode = mode;
	if (c) {
		ck_assert_uint_ge(size, sizeof(struct tobj));
		attr.ctor = count_ctor;
		attr.dtor = count_dtor;
		attr.arg = c;
	}
	pool = lfp_objpool_create(&attr);
	ck_assert_msg(pool != NULL, "create(size %zu, rounds %u): errno %d",
		      size, rounds, errno);
	if (mode == LFP_CACHE_PER_THREAD)
		ck_assert_int_eq(lfp_objpool_cache_mode(pool),
				 LFP_CACHE_PER_THREAD);
	return pool;
}

/* The same, in the cache mode the environment chooses (LFP_CACHE_AUTO). */
static struct lfp_objpool *
make_pool(size_t size, unsigned int rounds, struct counts *c)
{
	return make_pool_mode(size, rounds, c, LFP_CACHE_AUTO);
}

/* Destroy a counted pool and check every constructed object was torn down
 * exactly once. */
static void
destroy_counted(struct lfp_objpool *pool, struct counts *c)
{
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	ck_assert_uint_eq(count_of(&c->dtors), count_of(&c->ctors));
	ck_assert_uint_eq(count_of(&c->bad_dtors), 0);
}

/* Sort @objs and check that no two of the @n objects of @size bytes
 * overlap (which also means they are distinct). */
static void
check_disjoint(void **objs, size_t n, size_t size)
{
	size_t i;

	qsort(objs, n, sizeof(*objs), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < n; i++)
		ck_assert_msg((uintptr_t)objs[i] + size <=
			      (uintptr_t)objs[i + 1],
			      "objects %p and %p (size %zu) overlap",
			      objs[i], objs[i + 1], size);
}

/* ---- attributes ---------------------------------------------------- */

START_TEST(test_attr_init_defaults)
{
	struct lfp_objpool_attr attr;
	size_t i;

	memset(&attr, 0xa5, sizeof(attr));
	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	ck_assert_uint_eq(attr.size, 0);
	ck_assert_uint_eq(attr.align, 0);
	ck_assert(attr.ctor == NULL);
	ck_assert(attr.dtor == NULL);
	ck_assert_ptr_null(attr.arg);
	ck_assert_ptr_null(attr.name);
	ck_assert_uint_eq(attr.mag_rounds, 0);
	ck_assert_uint_eq(attr.flags, 0);
	ck_assert_int_eq(attr.cache_mode, LFP_CACHE_AUTO);
	for (i = 0; i < sizeof(attr.reserved) / sizeof(attr.reserved[0]); i++)
		ck_assert_ptr_null(attr.reserved[i]);
}
END_TEST

START_TEST(test_attr_init_null)
{
	/* int calls leave errno alone (<lfpool/common.h>) */
	expect_int_call(lfp_objpool_attr_init(NULL), -EINVAL);
}
END_TEST

/* ---- create -------------------------------------------------------- */

/* create(@attr) must fail with EINVAL. */
#define expect_create_einval(attr, what) \
	expect_create_fails(lfp_objpool_create(attr), EINVAL, what)

START_TEST(test_create_null_attr)
{
	expect_create_einval(NULL, "a NULL attr");
}
END_TEST

START_TEST(test_create_bad_size)
{
	struct lfp_objpool_attr attr;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	expect_create_einval(&attr, "size 0 (attr_init default)");
	attr.size = LFP_OBJPOOL_SIZE_MAX + 1;
	expect_create_einval(&attr, "size LFP_OBJPOOL_SIZE_MAX + 1");
	attr.size = SIZE_MAX;
	expect_create_einval(&attr, "size SIZE_MAX");
}
END_TEST

START_TEST(test_create_bad_align)
{
	struct lfp_objpool_attr attr;
	size_t page = page_size();

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 64;
	attr.align = 3;
	expect_create_einval(&attr, "align 3");
	attr.align = 24;
	expect_create_einval(&attr, "align 24");
	attr.align = 2 * page;
	expect_create_einval(&attr, "align 2 * pagesize");
	attr.align = page + 1;
	expect_create_einval(&attr, "align pagesize + 1");
	attr.align = (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1);
	expect_create_einval(&attr, "align 2^63");
}
END_TEST

START_TEST(test_create_bad_rounds)
{
	struct lfp_objpool_attr attr;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 64;
	attr.mag_rounds = LFP_MAG_ROUNDS_MAX + 1;
	expect_create_einval(&attr, "mag_rounds LFP_MAG_ROUNDS_MAX + 1");
	attr.mag_rounds = UINT_MAX;
	expect_create_einval(&attr, "mag_rounds UINT_MAX");
	/* A magazine's objects are bounded in bytes: 1024 of 64 MiB is not. */
	attr.size = LFP_OBJPOOL_SIZE_MAX;
	attr.mag_rounds = LFP_MAG_ROUNDS_MAX;
	expect_create_einval(&attr, "1024 rounds of 64 MiB");
	attr.mag_rounds = 2;
	expect_create_einval(&attr, "2 rounds of 64 MiB");
	attr.size = LFP_MAG_SIZE_MAX / 16 + 1;
	attr.mag_rounds = 16;
	expect_create_einval(&attr, "16 rounds just over LFP_MAG_SIZE_MAX");
	/* At the bound, and a single round of anything, are fine. */
	{
		struct lfp_objpool *p;

		attr.size = LFP_MAG_SIZE_MAX / 16;
		p = lfp_objpool_create(&attr);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(lfp_objpool_destroy(p), 0);
		attr.size = LFP_OBJPOOL_SIZE_MAX;
		attr.mag_rounds = 1;
		p = lfp_objpool_create(&attr);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	}
}
END_TEST

START_TEST(test_create_bad_flags)
{
	struct lfp_objpool_attr attr;
	unsigned int bit;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 64;
	for (bit = 0; bit < sizeof(attr.flags) * CHAR_BIT; bit++) {
		attr.flags = 1u << bit;
		if (attr.flags == LFP_OBJPOOL_F_CHECKED ||
		    attr.flags == LFP_OBJPOOL_F_SITES)
			continue;       /* the defined flags */
		expect_create_einval(&attr, "an unknown flag");
	}
	attr.flags = LFP_OBJPOOL_F_CHECKED | 4u;
	expect_create_einval(&attr, "a known flag with an unknown one");
}
END_TEST

/* The largest accepted values are accepted, and nothing is carved before
 * the first get. */
START_TEST(test_create_limits)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	size_t page = page_size();

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	/* The most rounds with small objects (within LFP_MAG_SIZE_MAX). */
	attr.size = 64;
	attr.mag_rounds = LFP_MAG_ROUNDS_MAX;
	pool = lfp_objpool_create(&attr);
	ck_assert_msg(pool != NULL, "create(64 B, max rounds): errno %d",
		      errno);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.mag_rounds, LFP_MAG_ROUNDS_MAX);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);

	attr.size = LFP_OBJPOOL_SIZE_MAX;
	attr.align = page;
	attr.mag_rounds = 1;
	pool = lfp_objpool_create(&attr);
	ck_assert_msg(pool != NULL, "create(max size, page align, 1 round): "
		      "errno %d", errno);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.size, LFP_OBJPOOL_SIZE_MAX);
	ck_assert_uint_eq(st.mag_rounds, 1);
	ck_assert_uint_eq(st.align % page, 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.chunks, 0);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);

	attr.size = 1;
	attr.align = 1;
	attr.mag_rounds = 1;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.size, 1);
	ck_assert_uint_eq(st.mag_rounds, 1);
	ck_assert_uint_ge(st.align, 1);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/*
 * Default magazines hold 64 objects up to 4 KiB, so that a bulk of 64 is
 * one magazine, whatever the line the library spreads big objects by (a
 * 4 KiB object takes 4160 bytes and once got 63 rounds: every bulk of 64
 * left the inline path), then 256 KiB of objects.
 */
START_TEST(test_default_rounds)
{
	static const struct {
		size_t size;
		size_t stride;
		unsigned int rounds;
	} want[] = {
		{ 8, 64, 64 }, { 1024, 1088, 64 }, { 3000, 3008, 64 },
		{ 4096, 4160, 64 }, { 4100, 4160, 63 }, { 8192, 8192, 32 },
	};
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
		attr.size = want[i].size;
		pool = lfp_objpool_create(&attr);
		ck_assert_ptr_nonnull(pool);
		st = obj_stats(pool);
		ck_assert_msg(st.stride == want[i].stride &&
			      st.mag_rounds == want[i].rounds,
			      "size %zu: stride %zu, %u rounds; want %zu, %u",
			      want[i].size, st.stride, st.mag_rounds,
			      want[i].stride, want[i].rounds);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
}
END_TEST

/* A pool nobody got anything from destroys cleanly, with no dtor call. */
START_TEST(test_create_destroy_unused)
{
	struct counts c;
	struct lfp_objpool *pool;
	int i;

	counts_init(&c);
	for (i = 0; i < 100; i++) {
		pool = make_pool(sizeof(struct tobj), 0, &c);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
	ck_assert_uint_eq(count_of(&c.ctors), 0);
	ck_assert_uint_eq(count_of(&c.dtors), 0);
}
END_TEST

/* The process holds at most 65535 pools; past that create fails with
 * EAGAIN, and destroying pools makes room again. */
START_TEST(test_create_eagain)
{
	const size_t max = 65535;
	struct lfp_objpool_attr attr;
	struct lfp_objpool **pools;
	struct lfp_objpool *pool;
	size_t n, i;

	pools = calloc(max + 1, sizeof(*pools));
	ck_assert_ptr_nonnull(pools);
	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 16;
	for (n = 0; n <= max; n++) {
		errno = 0;
		pools[n] = lfp_objpool_create(&attr);
		if (!pools[n])
			break;
	}
	ck_assert_msg(n <= max, "created %zu pools", n);
	ck_assert_int_eq(errno, EAGAIN);
	/* no other test's pool is alive here */
	ck_assert_uint_eq(n, max);
	errno = 0;
	ck_assert_ptr_null(lfp_objpool_create(&attr));
	ck_assert_int_eq(errno, EAGAIN);

	ck_assert_int_eq(lfp_objpool_destroy(pools[n / 2]), 0);
	pools[n / 2] = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pools[n / 2]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_destroy(pools[i]), 0);
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	free(pools);
}
END_TEST

/* ---- bad arguments ------------------------------------------------- */

START_TEST(test_null_pool)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *objs[4];
	int dummy[2];

	errno = 0;
	ck_assert_ptr_null(lfp_objpool_get(NULL));
	ck_assert_int_eq(errno, EINVAL);

	expect_int_call(lfp_objpool_put(NULL, &dummy[0]), -EINVAL);

	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(NULL, objs, 4), 0);
	ck_assert_int_eq(errno, EINVAL);

	objs[0] = &dummy[0];
	objs[1] = &dummy[1];
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_put_bulk(NULL, objs, 2), 0);
	ck_assert_int_eq(errno, EINVAL);

	expect_int_call(lfp_objpool_stats(NULL, &st), -EINVAL);

	expect_int_call(lfp_objpool_destroy(NULL), 0);

	/* a valid pool with a NULL argument */
	pool = make_pool(32, 0, NULL);
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, NULL, 4), 0);
	ck_assert_int_eq(errno, EINVAL);
	expect_int_call(lfp_objpool_stats(pool, NULL), -EINVAL);
	st = expect_obj_counts(pool, 0, 0, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

START_TEST(test_put_null_obj)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *obj;

	pool = make_pool(32, 0, NULL);
	obj = get_one(pool);
	expect_int_call(lfp_objpool_put(pool, NULL), 0);
	st = expect_obj_counts(pool, 1, 0, 1);
	put_one(pool, obj);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

START_TEST(test_bulk_zero)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *objs[1] = { NULL };

	pool = make_pool(32, 0, NULL);
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, NULL, 0), 0);
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 0), 0);
	ck_assert_ptr_null(objs[0]);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 0), 0);
	/* a single NULL entry is skipped, and counts as handled */
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 1), 1);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_uint_eq(st.puts, 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/* ---- alignment ----------------------------------------------------- */

/* Get @n objects, check each is aligned to @align and to the pool's
 * reported alignment, and put them back. */
static void
check_aligned_objects(struct lfp_objpool *pool, size_t align, size_t n)
{
	struct lfp_objpool_stats st = obj_stats(pool);
	void **objs = calloc(n, sizeof(*objs));
	size_t i;

	ck_assert_ptr_nonnull(objs);
	ck_assert_msg(is_pow2(st.align), "stats.align %zu", st.align);
	ck_assert_uint_eq(st.align % align, 0);
	for (i = 0; i < n; i++) {
		objs[i] = get_one(pool);
		ck_assert_msg((uintptr_t)objs[i] % align == 0,
			      "object %p not aligned to %zu", objs[i], align);
		ck_assert_msg((uintptr_t)objs[i] % st.align == 0,
			      "object %p not aligned to stats.align %zu",
			      objs[i], st.align);
		/* the whole object is writable */
		memset(objs[i], 0x5a, st.size);
	}
	st = obj_stats(pool);
	ck_assert_uint_ge(st.stride, st.size);
	ck_assert_uint_eq(st.stride % align, 0);
	check_disjoint(objs, n, st.size);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n), n);
	free(objs);
}

START_TEST(test_default_align)
{
	static const size_t sizes[] = { 1, 7, 8, 24, 100, 4096, 5000 };
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pool = make_pool(sizes[i], 0, NULL);
		st = obj_stats(pool);
		/* a cache line: no two objects share one */
		ck_assert_uint_eq(st.align, LFP_OBJPOOL_ALIGN_DEFAULT);
		ck_assert_uint_eq(LFP_OBJPOOL_ALIGN_DEFAULT % alignof(max_align_t),
				  0);
		check_aligned_objects(pool, LFP_OBJPOOL_ALIGN_DEFAULT, 100);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
}
END_TEST

/* A dense pool (align set) packs small objects: neighbours share a line. */
START_TEST(test_dense_align)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 16;
	attr.align = 16;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.align, 16);
	ck_assert_uint_eq(st.stride, 16);
	check_aligned_objects(pool, 16, 100);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/*
 * Hoard's cache-scratch, as a check: one thread gets neighbouring objects
 * of a pool with default attributes and hands one to each worker; each
 * worker puts it, then gets, writes and puts an object over and over. No
 * worker may ever hold an object on a cache line another worker's object
 * is on at the same time (false sharing). Each worker publishes the lines
 * of what it holds before it looks at the others' (sequentially
 * consistent, as Dekker's): of two workers on one line, at least one sees
 * the other. They run until 50 ms after the last has started, so that they
 * overlap on any machine with two CPUs.
 */
#define SCRATCH_WORKERS 4
#define SCRATCH_MS 50           /* with every worker running */

struct scratch {
	struct lfp_objpool *pool;
	size_t size;
	void *handed[SCRATCH_WORKERS];
	_Atomic uintptr_t first[SCRATCH_WORKERS];   /* lines held, or 0 */
	_Atomic uintptr_t last[SCRATCH_WORKERS];
	atomic_int shared;                         /* overlaps seen */
	atomic_int next;                           /* worker numbers */
	atomic_int started;                        /* workers in the loop */
	atomic_bool stop;
};

static void *
scratch_worker(void *arg)
{
	struct scratch *x = arg;
	int me = atomic_fetch_add(&x->next, 1);
	void *o = x->handed[me];

	if (lfp_objpool_put(x->pool, o))
		atomic_fetch_add(&x->shared, 1000);
	atomic_fetch_add(&x->started, 1);
	for (int r = 0; !atomic_load(&x->stop); r++) {
		uintptr_t f, l;

		o = lfp_objpool_get(x->pool);
		if (!o) {
			atomic_fetch_add(&x->shared, 1000);
			break;
		}
		f = (uintptr_t)o / 64;
		l = ((uintptr_t)o + x->size - 1) / 64;
		atomic_store(&x->last[me], l);
		atomic_store(&x->first[me], f);
		for (int i = 0; i < SCRATCH_WORKERS; i++) {
			uintptr_t of = atomic_load(&x->first[i]);

			if (i != me && of &&
			    of <= l && f <= atomic_load(&x->last[i]))
				atomic_fetch_add(&x->shared, 1);
		}
		memset(o, me + r, x->size);
		atomic_store(&x->first[me], 0);
		lfp_objpool_put(x->pool, o);
	}
	return NULL;
}

START_TEST(test_no_false_sharing)
{
	static const size_t sizes[] = { 8, 16, 24, 48, 96 };
	pthread_t t[SCRATCH_WORKERS];
	struct scratch x;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(&x, 0, sizeof(x));
		x.size = sizes[k];
		x.pool = make_pool(sizes[k], 0, NULL);
		for (int i = 0; i < SCRATCH_WORKERS; i++)
			x.handed[i] = get_one(x.pool);
		for (int i = 0; i < SCRATCH_WORKERS; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL,
							scratch_worker, &x), 0);
		while (atomic_load(&x.started) < SCRATCH_WORKERS)
			sched_yield();
		nanosleep(&(struct timespec){ 0, SCRATCH_MS * 1000000L }, NULL);
		atomic_store(&x.stop, true);
		for (int i = 0; i < SCRATCH_WORKERS; i++)
			ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_msg(atomic_load(&x.shared) == 0,
			      "size %zu: workers held objects on one cache "
			      "line %d times", sizes[k],
			      atomic_load(&x.shared));
		ck_assert_uint_eq(obj_stats(x.pool).in_use, 0);
		ck_assert_int_eq(lfp_objpool_destroy(x.pool), 0);
	}
}
END_TEST

START_TEST(test_pow2_align)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;
	size_t page = page_size();
	size_t align, k;

	for (align = 1; align <= page; align <<= 1) {
		const size_t sizes[] = { 1, 40, align + 1, 3 * align };

		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
			attr.size = sizes[k];
			attr.align = align;
			pool = lfp_objpool_create(&attr);
			ck_assert_msg(pool != NULL, "create(size %zu, align "
				      "%zu): errno %d", sizes[k], align, errno);
			check_aligned_objects(pool, align, 100);
			ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
		}
	}
}
END_TEST

/* ---- objects ------------------------------------------------------- */

START_TEST(test_distinct_writable)
{
	static const size_t sizes[] = { 1, 40, 64, 4000 };
	const size_t n = 1000;
	struct lfp_objpool *pool;
	void **objs;
	size_t i, j, k;

	objs = calloc(n, sizeof(*objs));
	ck_assert_ptr_nonnull(objs);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		pool = make_pool(sizes[k], 0, NULL);
		for (i = 0; i < n; i++) {
			objs[i] = get_one(pool);
			memset(objs[i], (int)(i % 251 + 1), sizes[k]);
		}
		/* every byte still holds what its holder wrote */
		for (i = 0; i < n; i++) {
			j = lfp_test_first_not(objs[i], (int)(i % 251 + 1),
					       sizes[k]);
			ck_assert_msg(j == sizes[k], "size %zu: object %zu "
				      "byte %zu overwritten", sizes[k], i, j);
		}
		check_disjoint(objs, n, sizes[k]);
		for (i = 0; i < n; i++)
			put_one(pool, objs[i]);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
	free(objs);
}
END_TEST

START_TEST(test_big_objects)
{
	static const size_t sizes[] = { (size_t)1 << 20, (size_t)3 << 20,
					LFP_OBJPOOL_SIZE_MAX };
	struct lfp_objpool *pool;
	unsigned char *a, *b;
	size_t k, size;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size = sizes[k];
		pool = make_pool(size, 0, NULL);
		a = get_one(pool);
		memset(a, 0x11, size);
		if (size < LFP_OBJPOOL_SIZE_MAX) {
			b = get_one(pool);
			memset(b, 0x22, size);
			ck_assert(a + size <= b || b + size <= a);
			ck_assert_uint_eq(b[0], 0x22);
			ck_assert_uint_eq(b[size - 1], 0x22);
			put_one(pool, b);
		}
		ck_assert_uint_eq(a[0], 0x11);
		ck_assert_uint_eq(a[size / 2], 0x11);
		ck_assert_uint_eq(a[size - 1], 0x11);
		put_one(pool, a);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
}
END_TEST

/*
 * Whether trim gives cached buffers' pages back: not in zones on the debug
 * path (checked mode, AddressSanitizer, valgrind), which keep cached
 * objects' bytes for their checks.
 */
static bool
trim_drops_pages(void)
{
#ifdef __SANITIZE_ADDRESS__
	return false;
#else
	const char *v = getenv("LFP_CHECKED");

	return !RUNNING_ON_VALGRIND && !(v && !strcmp(v, "1"));
#endif
}

/*
 * Trim gives cached buffers' pages back (a pool without constructor whose
 * stride is at least a page), but only pages wholly inside a cached
 * object: the kernel rounds a madvise() length up to whole pages, so
 * dropping [obj, obj + stride) for a stride that is no multiple of the
 * page would zero the start of the next object, out with its holder.
 * Strides 4112 and 5008 straddle pages; 8192 is exact. Every held byte
 * must survive, and the cached object's first page (wholly its own: it
 * starts on a page) must be gone (mincore() looks without touching).
 */
START_TEST(test_trim_spares_neighbour)
{
	static const size_t sizes[] = { 4100, 5000, 8192 };
	const size_t n = 300, page = page_size();
	struct lfp_objpool *pool;
	unsigned char *p, vec[4];
	size_t i, j, k, stride, a, whole;
	void **objs;

	objs = calloc(n, sizeof(*objs));
	ck_assert_ptr_nonnull(objs);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		pool = make_pool(sizes[k], 0, NULL);
		stride = obj_stats(pool).stride;
		ck_assert_uint_ge(stride, sizes[k]);
		for (i = 0; i < n; i++)
			objs[i] = get_one(pool);
		qsort(objs, n, sizeof(*objs), lfp_test_cmp_ptr);
		/*
		 * A page-aligned object and its neighbour in the chunk (any
		 * pair where pages are bigger than a stride: nothing drops).
		 */
		for (a = 0; a + 1 < n; a++)
			if ((stride < page || (uintptr_t)objs[a] % page == 0) &&
			    (char *)objs[a + 1] == (char *)objs[a] + stride)
				break;
		ck_assert_msg(a + 1 < n, "size %zu: no page-aligned object "
			      "with a neighbour among %zu", sizes[k], n);
		for (i = 0; i < n; i++)
			memset(objs[i], (int)(i % 251 + 1), sizes[k]);
		put_one(pool, objs[a]);
		ck_assert_int_eq(lfp_objpool_trim(pool, LFP_TRIM_CACHES), 0);
		for (i = 0; i < n; i++) {
			if (i == a)
				continue;
			p = objs[i];
			j = lfp_test_first_not(p, (int)(i % 251 + 1),
					       sizes[k]);
			ck_assert_msg(j == sizes[k], "size %zu (stride %zu): "
				      "held object %zu byte %zu is %u after "
				      "trim", sizes[k], stride, i - a, j,
				      j < sizes[k] ? p[j] : 0);
		}
		/* Its whole pages: all of them when the stride is exact. */
		whole = !trim_drops_pages() || stride < page ? 0 :
			stride % page ? 1 : stride / page;
		ck_assert_uint_le(whole, sizeof(vec));
		if (whole)
			ck_assert_int_eq(mincore(objs[a], whole * page, vec),
					 0);
		for (j = 0; j < whole; j++)
			ck_assert_msg(!(vec[j] & 1), "size %zu: page %zu of "
				      "the cached object is still resident",
				      sizes[k], j);
		for (i = 0; i < n; i++)
			if (i != a)
				put_one(pool, objs[i]);
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	}
	free(objs);
}
END_TEST

/* ---- constructor and destructor ------------------------------------ */

START_TEST(test_ctor_once)
{
	const size_t n = 500;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	struct counts c;
	unsigned long ctors;
	uint64_t objects;
	struct tobj *o;
	void **objs;
	size_t i;
	int round;

	counts_init(&c);
	objs = calloc(n, sizeof(*objs));
	ck_assert_ptr_nonnull(objs);
	pool = make_pool(sizeof(struct tobj) + 8, 0, &c);
	for (i = 0; i < n; i++) {
		o = objs[i] = get_one(pool);
		ck_assert_msg(o->magic == OBJ_MAGIC, "object %zu not "
			      "constructed", i);
	}
	st = obj_stats(pool);
	ctors = count_of(&c.ctors);
	ck_assert_uint_eq(ctors, st.objects);
	ck_assert_uint_ge(st.objects, n);
	objects = st.objects;
	ck_assert_uint_eq(count_of(&c.dtors), 0);

	/* Cycling the same objects never constructs again. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < n; i++)
			put_one(pool, objs[i]);
		for (i = 0; i < n; i++) {
			o = objs[i] = get_one(pool);
			ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		}
		st = obj_stats(pool);
		ck_assert_uint_eq(count_of(&c.ctors), ctors);
		ck_assert_uint_eq(st.objects, objects);
		ck_assert_uint_eq(count_of(&c.dtors), 0);
	}
	for (i = 0; i < n; i++)
		put_one(pool, objs[i]);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.objects, count_of(&c.ctors));
	destroy_counted(pool, &c);
	ck_assert_uint_eq(count_of(&c.dtors), objects);
	free(objs);
}
END_TEST

/* Put keeps the object's state, get does not clear it. */
START_TEST(test_state_survives)
{
	enum { NMARK = 10 };
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	struct tobj *mark[NMARK], *o;
	struct counts c;
	void **held;
	size_t nheld = 0, limit, i, found = 0;

	counts_init(&c);
	pool = make_pool(sizeof(struct tobj), 0, &c);
	for (i = 0; i < NMARK; i++) {
		mark[i] = get_one(pool);
		mark[i]->value = 0x1234500 + i;
	}
	for (i = 0; i < NMARK; i++)
		put_one(pool, mark[i]);
	st = obj_stats(pool);
	limit = (size_t)st.objects * 2 + 100;
	held = calloc(limit, sizeof(*held));
	ck_assert_ptr_nonnull(held);
	while (found < NMARK && nheld < limit) {
		o = held[nheld++] = get_one(pool);
		ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		for (i = 0; i < NMARK; i++) {
			if (o != mark[i])
				continue;
			ck_assert_msg(o->value == 0x1234500 + i,
				      "object %p lost its state: %#llx", o,
				      (unsigned long long)o->value);
			found++;
		}
	}
	ck_assert_uint_eq(found, NMARK);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, held, nheld), nheld);
	destroy_counted(pool, &c);
	free(held);
}
END_TEST

/* A thread that gets and puts @nobj objects of @pool, tells the main
 * thread, and stays alive until released. */
struct holder {
	struct lfp_objpool *pool;
	size_t nobj;
	struct gate done;     /* opened by the thread when its work is done */
	struct gate release;  /* opened by main to let the thread exit */
	int stay;             /* wait on release before exiting */
	int failed;
};

static void *
holder_main(void *arg)
{
	struct holder *h = arg;
	void **objs = calloc(h->nobj, sizeof(*objs));
	struct tobj *o;
	size_t i;

	if (!objs) {
		h->failed = 1;
		gate_open(&h->done);
		return NULL;
	}
	for (i = 0; i < h->nobj; i++) {
		o = objs[i] = lfp_objpool_get(h->pool);
		if (!o || o->magic != OBJ_MAGIC) {
			h->failed = 1;
			h->nobj = i + (o != NULL);
			break;
		}
	}
	/* Odd objects first, so both magazines and the depot see traffic. */
	for (i = 1; i < h->nobj; i += 2)
		if (lfp_objpool_put(h->pool, objs[i]))
			h->failed = 1;
	for (i = 0; i < h->nobj; i += 2)
		if (lfp_objpool_put(h->pool, objs[i]))
			h->failed = 1;
	free(objs);
	gate_open(&h->done);
	if (h->stay)
		gate_wait(&h->release);
	return NULL;
}

/*
 * Destroy reaches objects in a live thread's cache, in the depot and in
 * the calling thread's cache, and the thread's exit afterwards does not
 * touch the destroyed pool. Loop index: 0 automatic magazine size, 1 tiny
 * magazines (lots of depot traffic).
 */
START_TEST(test_destroy_reaches_live_cache)
{
	static const unsigned int rounds[] = { 0, 4, 64 };
	struct holder h;
	struct counts c;
	pthread_t tid;
	void *mine[50];
	size_t i;

	counts_init(&c);
	memset(&h, 0, sizeof(h));
	gate_init(&h.done);
	gate_init(&h.release);
	h.pool = make_pool(sizeof(struct tobj), rounds[_i], &c);
	h.nobj = 700;
	h.stay = 1;
	for (i = 0; i < 50; i++)
		mine[i] = get_one(h.pool);
	ck_assert_int_eq(pthread_create(&tid, NULL, holder_main, &h), 0);
	gate_wait(&h.done);
	ck_assert_int_eq(h.failed, 0);
	for (i = 0; i < 50; i++)
		put_one(h.pool, mine[i]);
	ck_assert_uint_eq(obj_stats(h.pool).in_use, 0);
	ck_assert_uint_eq(obj_stats(h.pool).objects, count_of(&c.ctors));

	/* the holder is alive, blocked, its cache still loaded */
	destroy_counted(h.pool, &c);
	gate_open(&h.release);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	/* its exit did not run a destructor again */
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
	gate_destroy(&h.done);
	gate_destroy(&h.release);
}
END_TEST

/* Objects a thread left behind when it exited are destroyed too. */
START_TEST(test_destroy_after_thread_exit)
{
	static const unsigned int rounds[] = { 0, 4, 64 };
	struct holder h;
	struct counts c;

	counts_init(&c);
	memset(&h, 0, sizeof(h));
	gate_init(&h.done);
	gate_init(&h.release);
	h.pool = make_pool(sizeof(struct tobj), rounds[_i], &c);
	h.nobj = 700;
	lfp_test_in_thread(holder_main, &h);
	ck_assert_int_eq(h.failed, 0);
	ck_assert_uint_eq(obj_stats(h.pool).in_use, 0);
	ck_assert_uint_ge(count_of(&c.ctors), 700);
	destroy_counted(h.pool, &c);
	gate_destroy(&h.done);
	gate_destroy(&h.release);
}
END_TEST

START_TEST(test_ctor_failure)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	struct counts c;
	struct tobj *o;
	void *objs[8];
	void **held;
	size_t nheld = 0, limit, i;

	counts_init(&c);
	pool = make_pool(sizeof(struct tobj), 8, &c);

	/* Nothing constructed yet and the ctor fails: get fails with its
	 * error. */
	atomic_store(&c.fail, ENOSPC);
	errno = 0;
	ck_assert_ptr_null(lfp_objpool_get(pool));
	ck_assert_int_eq(errno, ENOSPC);
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 8), 0);
	ck_assert_int_eq(errno, ENOSPC);
	st = obj_stats(pool);
	ck_assert_uint_gt(st.ctor_failures, 0);
	ck_assert_uint_eq(st.ctor_failures, count_of(&c.failures));
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, 0);

	/* The pool recovers once the ctor succeeds. */
	atomic_store(&c.fail, 0);
	o = get_one(pool);
	ck_assert_uint_eq(o->magic, OBJ_MAGIC);
	put_one(pool, o);

	/* Hold every object; the next get needs the failing ctor: it fails
	 * only once no constructed object is left. */
	held = calloc(50, sizeof(*held));
	ck_assert_ptr_nonnull(held);
	for (i = 0; i < 50; i++)
		held[nheld++] = get_one(pool);
	atomic_store(&c.fail, ENOSPC);
	/* no get can succeed more often than there are objects now */
	limit = obj_stats(pool).objects;
	ck_assert_uint_ge(limit, nheld);
	held = realloc(held, (limit + 1) * sizeof(*held));
	ck_assert_ptr_nonnull(held);
	for (;;) {
		errno = 0;
		o = lfp_objpool_get(pool);
		if (!o)
			break;
		ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		ck_assert_msg(nheld < limit, "get keeps succeeding with a "
			      "failing ctor");
		held[nheld++] = o;
	}
	ck_assert_int_eq(errno, ENOSPC);
	st = obj_stats(pool);
	ck_assert_uint_eq(nheld, st.objects);
	ck_assert_uint_eq(st.in_use, nheld);
	ck_assert_uint_eq(st.objects, count_of(&c.ctors));
	ck_assert_uint_eq(st.ctor_failures, count_of(&c.failures));

	/* Put one back: it is at hand again despite the failing ctor. */
	put_one(pool, held[--nheld]);
	held[nheld] = get_one(pool);
	nheld++;

	/* Allowed again: get carves new objects, and the pool is fine. */
	atomic_store(&c.fail, 0);
	for (i = 0; i < 20; i++) {
		o = get_one(pool);
		ck_assert_uint_eq(o->magic, OBJ_MAGIC);
		put_one(pool, o);
	}
	o = get_one(pool);
	st = obj_stats(pool);
	ck_assert_uint_gt(st.objects, nheld);
	ck_assert_uint_eq(st.objects, count_of(&c.ctors));
	put_one(pool, o);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, held, nheld), nheld);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, st.puts);
	destroy_counted(pool, &c);
	free(held);
}
END_TEST

/* ---- bulk ---------------------------------------------------------- */

START_TEST(test_bulk)
{
	const size_t n = 1000;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	struct counts c;
	void **objs, **mixed;
	size_t i, j, nmixed;
	int round;

	counts_init(&c);
	objs = calloc(n, sizeof(*objs));
	mixed = calloc(n * 3 / 2 + 2, sizeof(*mixed));
	ck_assert_ptr_nonnull(objs);
	ck_assert_ptr_nonnull(mixed);
	pool = make_pool(48, 0, &c);
	for (round = 0; round < 3; round++) {
		errno = 0;
		ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, n), n);
		for (i = 0; i < n; i++) {
			ck_assert_ptr_nonnull(objs[i]);
			ck_assert_uint_eq(((struct tobj *)objs[i])->magic,
					  OBJ_MAGIC);
		}
		st = obj_stats(pool);
		ck_assert_uint_eq(st.gets, (uint64_t)n * (round + 1));
		ck_assert_uint_eq(st.in_use, n);
		ck_assert_uint_eq(st.objects, count_of(&c.ctors));
		/* put_bulk skips NULL entries: every second slot is NULL */
		for (i = j = 0; i < n; i++) {
			if (i % 2 == 0)
				mixed[j++] = NULL;
			mixed[j++] = objs[i];
		}
		mixed[j++] = NULL;
		nmixed = j;
		check_disjoint(objs, n, 48);
		ck_assert_uint_eq(lfp_objpool_put_bulk(pool, mixed, nmixed),
				  nmixed);
		st = obj_stats(pool);
		ck_assert_uint_eq(st.puts, (uint64_t)n * (round + 1));
		ck_assert_uint_eq(st.in_use, 0);
		ck_assert_uint_eq(st.gets, st.puts);
	}
	/* bulk and single calls mix */
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 10), 10);
	for (i = 0; i < 10; i++)
		put_one(pool, objs[i]);
	for (i = 0; i < 10; i++)
		objs[i] = get_one(pool);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 10), 10);
	ck_assert_uint_eq(obj_stats(pool).in_use, 0);
	destroy_counted(pool, &c);
	free(mixed);
	free(objs);
}
END_TEST

/* ---- statistics, flush, name, version ------------------------------ */

START_TEST(test_stats_sequence)
{
	const size_t size = 40;
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	uint64_t hits;
	void *objs[100];
	void *o;
	size_t i;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = 16;
	attr.name = "seq";
	/* exact hit counts and lfp_thread_flush(): one thread's own cache */
	attr.cache_mode = LFP_CACHE_PER_THREAD;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(lfp_objpool_cache_mode(pool), LFP_CACHE_PER_THREAD);

	st = obj_stats(pool);
	ck_assert_str_eq(st.name, "seq");
	ck_assert_uint_eq(st.size, size);
	ck_assert_uint_eq(st.mag_rounds, 16);
	ck_assert_uint_ge(st.stride, size);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_uint_eq(st.puts, 0);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_uint_eq(st.depot_cached, 0);
	ck_assert_uint_eq(st.ctor_failures, 0);
	ck_assert_uint_eq(st.chunks, 0);

	for (i = 0; i < 100; i++)
		objs[i] = get_one(pool);
	st = expect_obj_counts(pool, 100, 0, 100);
	ck_assert_uint_ge(st.objects, 100);
	ck_assert_uint_eq(st.objects, st.cached + st.in_use);
	ck_assert_uint_le(st.depot_cached, st.cached);
	ck_assert_uint_le(st.hits, st.gets);
	ck_assert_uint_ge(st.caches, 1);
	ck_assert_uint_ge(st.chunks, 1);
	ck_assert_uint_ge(st.bytes_reserved, 100 * size);

	for (i = 0; i < 40; i++)
		put_one(pool, objs[i]);
	st = expect_obj_counts(pool, 100, 40, 60);
	ck_assert_uint_ge(st.cached, 40);
	ck_assert_uint_eq(st.objects, st.cached + st.in_use);

	/* flush: this thread's cached objects all go to the depot */
	lfp_thread_flush();
	st = obj_stats(pool);
	ck_assert_uint_eq(st.depot_cached, st.cached);
	ck_assert_uint_eq(st.objects, st.cached + st.in_use);
	ck_assert_uint_eq(st.in_use, 60);

	for (i = 40; i < 100; i++)
		put_one(pool, objs[i]);
	st = obj_stats(pool);
	ck_assert_uint_eq(st.gets, st.puts);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, st.objects);
	lfp_thread_flush();
	st = obj_stats(pool);
	ck_assert_uint_eq(st.depot_cached, st.objects);
	ck_assert_uint_eq(st.cached, st.objects);

	/* the thread keeps using its cache after a flush */
	o = get_one(pool);
	put_one(pool, o);
	st = obj_stats(pool);
	ck_assert_uint_ge(st.depot_gets, 1);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, 101);

	/* a get that follows a put on the same thread hits its cache */
	hits = st.hits;
	for (i = 0; i < 1000; i++) {
		o = get_one(pool);
		put_one(pool, o);
	}
	st = obj_stats(pool);
	ck_assert_uint_eq(st.hits - hits, 1000);
	ck_assert_uint_eq(st.gets, 1101);
	ck_assert_uint_eq(st.puts, 1101);
	ck_assert_uint_le(st.hits, st.gets);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/* lfp_thread_flush() hands the calling thread's cached objects to the
 * depot for all pools at once (per-thread caches: a per-CPU cache is no
 * thread's, lfp_objpool_flush() empties those). */
START_TEST(test_flush_all_pools)
{
	enum { NPOOL = 5 };
	struct lfp_objpool *pools[NPOOL];
	struct lfp_objpool_stats st;
	void *objs[64];
	size_t i, k;

	for (k = 0; k < NPOOL; k++) {
		pools[k] = make_pool_mode(16 + 16 * k, 8, NULL,
					  LFP_CACHE_PER_THREAD);
		for (i = 0; i < 64; i++)
			objs[i] = get_one(pools[k]);
		for (i = 0; i < 64; i++)
			put_one(pools[k], objs[i]);
	}
	lfp_thread_flush();
	for (k = 0; k < NPOOL; k++) {
		st = obj_stats(pools[k]);
		ck_assert_uint_eq(st.in_use, 0);
		ck_assert_uint_eq(st.cached, st.objects);
		ck_assert_uint_eq(st.depot_cached, st.cached);
	}
	/* a flush with nothing cached is harmless */
	lfp_thread_flush();
	for (k = 0; k < NPOOL; k++) {
		ck_assert_uint_eq(obj_stats(pools[k]).depot_cached,
				  obj_stats(pools[k]).objects);
		ck_assert_int_eq(lfp_objpool_destroy(pools[k]), 0);
	}
	lfp_thread_flush();
}
END_TEST

START_TEST(test_name)
{
	expect_name_copied(objpool_kind(), "session-objects");
}
END_TEST

/* "copied": a long name comes back whole, not cut. */
START_TEST(test_name_long)
{
	expect_long_name_kept(objpool_kind(), 100);
}
END_TEST

START_TEST(test_version)
{
	const char *v = lfp_version();

	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, LFP_VERSION_STRING);
}
END_TEST

/* ---- threads ------------------------------------------------------- */

struct xfer {
	struct lfp_objpool *pool;
	void **objs;
	size_t n;
	int failed;
};

static void *
put_all_main(void *arg)
{
	struct xfer *x = arg;
	size_t i;

	for (i = 0; i < x->n; i++)
		if (lfp_objpool_put(x->pool, x->objs[i]))
			x->failed = 1;
	return NULL;
}

/* An object may be put by another thread than the one that got it. */
START_TEST(test_put_from_other_thread)
{
	const size_t n = 600;
	struct lfp_objpool_stats st;
	struct counts c;
	struct xfer x;
	size_t i;
	int round;

	counts_init(&c);
	x.pool = make_pool(sizeof(struct tobj), 0, &c);
	x.objs = calloc(n, sizeof(*x.objs));
	ck_assert_ptr_nonnull(x.objs);
	x.n = n;
	x.failed = 0;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < n; i++)
			x.objs[i] = get_one(x.pool);
		lfp_test_in_thread(put_all_main, &x);
		ck_assert_int_eq(x.failed, 0);
		st = obj_stats(x.pool);
		ck_assert_uint_eq(st.in_use, 0);
		ck_assert_uint_eq(st.gets, st.puts);
		ck_assert_uint_eq(st.objects, count_of(&c.ctors));
	}
	destroy_counted(x.pool, &c);
	free(x.objs);
}
END_TEST

static Suite *
objpool_suite(void)
{
	Suite *s = suite_create("objpool");
	TCase *tc;

	tc = lfp_test_tcase(s, "attr");
	tcase_add_test(tc, test_attr_init_defaults);
	tcase_add_test(tc, test_attr_init_null);

	tc = lfp_test_tcase(s, "create");
	tcase_add_test(tc, test_create_null_attr);
	tcase_add_test(tc, test_create_bad_size);
	tcase_add_test(tc, test_create_bad_align);
	tcase_add_test(tc, test_create_bad_rounds);
	tcase_add_test(tc, test_create_bad_flags);
	tcase_add_test(tc, test_create_limits);
	tcase_add_test(tc, test_default_rounds);
	tcase_add_test(tc, test_create_destroy_unused);
	tcase_add_test(tc, test_create_eagain);

	tc = lfp_test_stay_tcase(s, "errors");
	tcase_add_test(tc, test_null_pool);
	tcase_add_test(tc, test_put_null_obj);
	tcase_add_test(tc, test_bulk_zero);

	tc = lfp_test_stay_tcase(s, "align");
	tcase_add_test(tc, test_default_align);
	tcase_add_test(tc, test_dense_align);
	tcase_add_test(tc, test_no_false_sharing);
	tcase_add_test(tc, test_pow2_align);

	tc = lfp_test_stay_tcase(s, "objects");
	tcase_add_test(tc, test_distinct_writable);
	tcase_add_test(tc, test_big_objects);
	tcase_add_test(tc, test_trim_spares_neighbour);

	tc = lfp_test_stay_tcase(s, "ctor");
	tcase_add_test(tc, test_ctor_once);
	tcase_add_test(tc, test_state_survives);
	tcase_add_loop_test(tc, test_destroy_reaches_live_cache, 0, 3);
	tcase_add_loop_test(tc, test_destroy_after_thread_exit, 0, 3);
	tcase_add_test(tc, test_ctor_failure);

	tc = lfp_test_stay_tcase(s, "bulk");
	tcase_add_test(tc, test_bulk);

	tc = lfp_test_stay_tcase(s, "stats");
	tcase_add_test(tc, test_stats_sequence);
	tcase_add_test(tc, test_flush_all_pools);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_name_long);
	tcase_add_test(tc, test_version);

	tc = lfp_test_tcase(s, "threads");
	tcase_add_test(tc, test_put_from_other_thread);

	return s;
}

int
main(void)
{
	return lfp_test_run(objpool_suite());
}
