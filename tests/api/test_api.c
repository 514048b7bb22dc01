/* SPDX-License-Identifier: MIT */
/*
 * test_api.c - the frozen API's contracts, black box through <lfpool.h>:
 * create refuses non-zero reserved words; destroy(NULL) does nothing; a
 * zeroed attr means the defaults; get_bulk and alloc_bulk are all or
 * nothing, free_bulk frees buffers of any class and stops at the first
 * pointer that is not one; the statistics calls fill a prefix for an
 * older, smaller struct, zero a newer, larger one's tail and refuse a size
 * below the minimum; int calls leave errno alone; the node attribute and
 * the per-node statistics use the kernel's node numbers (a synthetic
 * topology with nodes 0 and 2); the new names and their deprecated
 * aliases.
 */
#include "test-api.h"
#include "test-child.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lfpool.h>

static struct lfp_objpool *
make_objpool(size_t size, size_t max_bytes, lfp_ctor_fn ctor)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.max_bytes = max_bytes;
	attr.ctor = ctor;
	attr.name = "api";
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	return p;
}

static struct lfp_bufpool *
make_bufpool(size_t min, size_t max, size_t max_bytes, unsigned int flags)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = min;
	attr.max_size = max;
	attr.max_bytes = max_bytes;
	attr.flags = flags;
	attr.name = "api";
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	return bp;
}

static uint64_t
obj_in_use(struct lfp_objpool *p)
{
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_stats(p, &st), 0);
	return st.in_use;
}

static uint64_t
buf_in_use(struct lfp_bufpool *bp)
{
	struct lfp_bufpool_stats st;

	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	return st.bytes_in_use;
}

/* ---- reserved words ---- */

START_TEST(test_reserved_objpool)
{
	struct lfp_objpool_attr attr;
	int word;

	for (size_t i = 0; i < ARRAY_SIZE(attr.reserved); i++) {
		ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
		attr.size = 64;
		attr.reserved[i] = &word;
		errno = 0;
		ck_assert_ptr_null(lfp_objpool_create(&attr));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

START_TEST(test_reserved_bufpool)
{
	struct lfp_bufpool_attr attr;
	int word;

	for (size_t i = 0; i < ARRAY_SIZE(attr.reserved); i++) {
		ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
		attr.reserved[i] = &word;
		errno = 0;
		ck_assert_ptr_null(lfp_bufpool_create(&attr));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

/* ---- destroy(NULL) ---- */

START_TEST(test_destroy_null)
{
	expect_int_call(lfp_objpool_destroy(NULL), 0);
	expect_int_call(lfp_bufpool_destroy(NULL), 0);
}
END_TEST

/* ---- zeroed attributes ---- */

START_TEST(test_zeroed_bufpool_attr)
{
	struct lfp_bufpool_attr attr, init;
	struct lfp_bufpool_stats st, st_init;
	struct lfp_bufpool *bp, *bp_init;

	memset(&attr, 0, sizeof(attr));
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	ck_assert_int_eq(lfp_bufpool_attr_init(&init), 0);
	bp_init = lfp_bufpool_create(&init);
	ck_assert_ptr_nonnull(bp_init);
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	ck_assert_int_eq(lfp_bufpool_stats(bp_init, &st_init), 0);
	ck_assert_uint_eq(st.nclasses, st_init.nclasses);
	ck_assert_uint_eq(st.cls[0].size, LFP_BUFPOOL_SIZE_MIN_DEFAULT);
	ck_assert_uint_eq(st.cls[st.nclasses - 1].size, (size_t)256 << 10);
	ck_assert_int_eq(st.cache_mode, st_init.cache_mode);
	ck_assert_int_eq(st.placement, LFP_PLACE_LOCAL);
	ck_assert_uint_eq(st.bytes_limit, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp_init), 0);

	/*
	 * One size left zero: min 1 MiB alone makes a one-class pool, and
	 * so do max 64 (the default min) and max 32 (the min follows it
	 * down).
	 */
	static const size_t one[][2] = {
		{ (size_t)1 << 20, 0 }, { 0, 64 }, { 0, 32 },
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		memset(&attr, 0, sizeof(attr));
		attr.min_size = one[i][0];
		attr.max_size = one[i][1];
		bp = lfp_bufpool_create(&attr);
		ck_assert_ptr_nonnull(bp);
		ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
		ck_assert_uint_eq(st.nclasses, 1);
		ck_assert_uint_eq(st.cls[0].size, one[i][0] | one[i][1]);
		ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	}
}
END_TEST

START_TEST(test_zeroed_objpool_attr)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;

	/* Every zero is a default but the size's, which has none. */
	memset(&attr, 0, sizeof(attr));
	errno = 0;
	ck_assert_ptr_null(lfp_objpool_create(&attr));
	ck_assert_int_eq(errno, EINVAL);
	attr.size = 24;
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lfp_objpool_stats(p, &st), 0);
	ck_assert_uint_eq(st.align, LFP_OBJPOOL_ALIGN_DEFAULT);
	ck_assert_uint_eq(st.stride, 64);
	ck_assert_uint_gt(st.mag_rounds, 0);
	ck_assert_int_eq(st.placement, LFP_PLACE_LOCAL);
	ck_assert_str_eq(st.name, "");
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* ---- bulk calls: all or nothing ---- */

START_TEST(test_get_bulk_budget)
{
	/* One chunk of 64 KiB: fewer than 64 objects of 1 KiB. */
	struct lfp_objpool *p = make_objpool(1024, (size_t)64 << 10, NULL);
	void *objs[200];

	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 200), 0);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(obj_in_use(p), 0);
	/* What it took went back: all of it can be had again. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 20), 20);
	ck_assert_uint_eq(obj_in_use(p), 20);
	ck_assert_uint_eq(lfp_objpool_put_bulk(p, objs, 20), 20);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

static _Atomic int ctor_left;

/* Constructs ctor_left objects, then fails with EILSEQ. */
static int
ctor_limited(void *obj, void *arg)
{
	(void)obj;
	(void)arg;
	return atomic_fetch_sub(&ctor_left, 1) > 0 ? 0 : EILSEQ;
}

START_TEST(test_get_bulk_ctor_failure)
{
	struct lfp_objpool *p;
	void *objs[64];

	atomic_store(&ctor_left, 5);
	p = make_objpool(32, 0, ctor_limited);
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 10), 0);
	ck_assert_int_eq(errno, EILSEQ);
	ck_assert_uint_eq(obj_in_use(p), 0);
	/* The 5 that were made are there for a smaller bulk. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 5), 5);
	ck_assert_uint_eq(lfp_objpool_put_bulk(p, objs, 5), 5);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

START_TEST(test_alloc_bulk)
{
	struct lfp_bufpool *bp = make_bufpool(16, 4096, (size_t)64 << 10, 0);
	void *bufs[100];

	/* The budget holds fewer than 100 buffers of 4 KiB. */
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 4096, bufs, 100), 0);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(buf_in_use(bp), 0);
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 3000, bufs, 10), 10);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, bufs[i]), 4096);
	ck_assert_uint_eq(buf_in_use(bp), 10 * 4096);
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, bufs, 10), 10);
	ck_assert_uint_eq(buf_in_use(bp), 0);

	/* Bad arguments. */
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 4097, bufs, 1), 0);
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(NULL, 16, bufs, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 16, NULL, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = ERRNO_SENTINEL;
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 16, NULL, 0), 0);
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_free_bulk(NULL, bufs, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, NULL, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, NULL, 0), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

START_TEST(test_free_bulk_mixed)
{
	struct lfp_bufpool *bp = make_bufpool(16, 1 << 16, 0, 0);
	static const size_t sizes[] = { 1, 16, 17, 1000, 4096, 1 << 16, 3, 1000 };
	void *bufs[2 * ARRAY_SIZE(sizes)];
	size_t n = 0;

	/* Classes mixed, runs of one class, NULL entries between. */
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		bufs[n] = lfp_bufpool_alloc(bp, sizes[i]);
		ck_assert_ptr_nonnull(bufs[n]);
		n++;
		if (i % 3 == 0)
			bufs[n++] = NULL;
	}
	ck_assert_uint_gt(buf_in_use(bp), 0);
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, bufs, n), n);
	ck_assert_uint_eq(buf_in_use(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

START_TEST(test_free_bulk_foreign)
{
	struct lfp_bufpool *bp = make_bufpool(16, 4096, 0, 0);
	struct lfp_bufpool *other = make_bufpool(16, 4096, 0, 0);
	void *bufs[5];
	char local[64];

	bufs[0] = lfp_bufpool_alloc(bp, 100);
	bufs[1] = lfp_bufpool_alloc(bp, 2000);
	bufs[2] = local;
	bufs[3] = lfp_bufpool_alloc(bp, 100);
	bufs[4] = lfp_bufpool_alloc(other, 100);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, bufs, 5), 2);
	ck_assert_int_eq(errno, EINVAL);
	/* bufs[0..1] were freed, bufs[3] was not taken. */
	ck_assert_uint_eq(buf_in_use(bp), 128);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, bufs + 3, 2), 1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(buf_in_use(bp), 0);
	ck_assert_uint_eq(lfp_bufpool_free_bulk(other, bufs + 4, 1), 1);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(other), 0);
}
END_TEST

static _Atomic int misuses;

static void
count_misuse(const struct lfp_misuse *m, void *arg)
{
	(void)arg;
	ck_assert_int_eq(m->kind, LFP_MISUSE_DOUBLE_FREE);
	atomic_fetch_add(&misuses, 1);
}

START_TEST(test_free_bulk_checked_double)
{
	struct lfp_bufpool *bp = make_bufpool(16, 4096, 0,
					      LFP_BUFPOOL_F_CHECKED);
	void *bufs[4];

	lfp_misuse_set_handler(count_misuse, NULL);
	bufs[0] = lfp_bufpool_alloc(bp, 64);
	bufs[1] = lfp_bufpool_alloc(bp, 64);
	bufs[2] = bufs[0];
	bufs[3] = lfp_bufpool_alloc(bp, 64);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_free_bulk(bp, bufs, 4), 2);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(atomic_load(&misuses), 1);
	ck_assert_uint_eq(buf_in_use(bp), 64);
	ck_assert_int_eq(lfp_bufpool_free(bp, bufs[3]), 0);
	lfp_misuse_set_handler(NULL, NULL);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- statistics: versions by size ---- */

/* A stats call of either kind, by the caller's struct size. */
typedef int (*stats_get_fn)(void *pool, void *st, size_t size);

static int
obj_stats_get(void *pool, void *st, size_t size)
{
	return lfp_objpool_stats_get(pool, st, size);
}

static int
buf_stats_get(void *pool, void *st, size_t size)
{
	return lfp_bufpool_stats_get(pool, st, size);
}

/*
 * The size contract of @get on @pool, whose snapshot of @size bytes is
 * @full: a caller's struct of @old bytes (an older version) gets exactly
 * that prefix and not a byte past it; a larger one (a newer version)
 * gets zeros past the library's struct; a size below @min is refused.
 */
static void
check_stats_sizes(stats_get_fn get, void *pool, const void *full,
		  size_t size, size_t old, size_t min)
{
	size_t big = size + 64;
	unsigned char *buf = malloc(big);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_le(min, old);
	ck_assert_uint_lt(old, size);
	memset(buf, 0xa5, big);
	ck_assert_int_eq(get(pool, buf, old), 0);
	ck_assert_int_eq(memcmp(buf, full, old), 0);
	for (size_t i = old; i < big; i++)
		ck_assert_uint_eq(buf[i], 0xa5);
	ck_assert_int_eq(get(pool, buf, big), 0);
	ck_assert_int_eq(memcmp(buf, full, size), 0);
	for (size_t i = size; i < big; i++)
		ck_assert_uint_eq(buf[i], 0);
	memset(buf, 0xa5, big);
	expect_int_call(get(pool, buf, min - 1), -EINVAL);
	expect_int_call(get(pool, buf, 0), -EINVAL);
	ck_assert_uint_eq(buf[0], 0xa5);
	expect_int_call(get(pool, NULL, size), -EINVAL);
	expect_int_call(get(NULL, buf, size), -EINVAL);
	free(buf);
}

START_TEST(test_objpool_stats_sizes)
{
	struct lfp_objpool *p = make_objpool(40, 0, NULL);
	struct lfp_objpool_stats full;
	void *obj = lfp_objpool_get(p);

	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(lfp_objpool_stats(p, &full), 0);
	ck_assert_uint_eq(full.in_use, 1);
	/* The smallest older struct: the fields before node[]. */
	check_stats_sizes(obj_stats_get, p, &full, sizeof(full),
			  LFP_OBJPOOL_STATS_SIZE_MIN,
			  LFP_OBJPOOL_STATS_SIZE_MIN);
	ck_assert_int_eq(lfp_objpool_put(p, obj), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

START_TEST(test_bufpool_stats_sizes)
{
	struct lfp_bufpool *bp = make_bufpool(16, 4096, 0, 0);
	struct lfp_bufpool_stats full;
	void *b = lfp_bufpool_alloc(bp, 100);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(lfp_bufpool_stats(bp, &full), 0);
	ck_assert_uint_eq(full.bytes_in_use, 128);
	/* Older structs: the scalars alone; the scalars and the nodes. */
	check_stats_sizes(buf_stats_get, bp, &full, sizeof(full),
			  LFP_BUFPOOL_STATS_SIZE_MIN,
			  LFP_BUFPOOL_STATS_SIZE_MIN);
	check_stats_sizes(buf_stats_get, bp, &full, sizeof(full),
			  offsetof(struct lfp_bufpool_stats, cls),
			  LFP_BUFPOOL_STATS_SIZE_MIN);
	ck_assert_int_eq(lfp_bufpool_free(bp, b), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- errno: int calls leave it alone ---- */

struct handoff {
	struct lfp_objpool *p;
	struct lfp_bufpool *bp;
	void *objs[300];
	void *bufs[300];
};

/* Every int call on the pools, with errno checked around each. */
static void
int_calls(struct handoff *h)
{
	struct lfp_objpool_stats ost;
	struct lfp_bufpool_stats bst;
	struct lfp_objpool_attr oattr;
	struct lfp_bufpool_attr battr;
	FILE *devnull = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(devnull);
	/* Puts and frees of other threads' objects, through every path. */
	for (size_t i = 0; i < ARRAY_SIZE(h->objs); i++)
		expect_int_call(lfp_objpool_put(h->p, h->objs[i]), 0);
	for (size_t i = 0; i < ARRAY_SIZE(h->bufs); i++)
		expect_int_call(lfp_bufpool_free(h->bp, h->bufs[i]), 0);
	expect_int_call(lfp_objpool_put(h->p, NULL), 0);
	expect_int_call(lfp_bufpool_free(h->bp, NULL), 0);
	expect_int_call(lfp_objpool_put(NULL, NULL), -EINVAL);
	expect_int_call(lfp_bufpool_free(h->bp, &oattr), -EINVAL);
	expect_int_call(lfp_objpool_flush(h->p), 0);
	expect_int_call(lfp_bufpool_flush(h->bp), 0);
	expect_int_call(lfp_objpool_trim(h->p, LFP_TRIM_CACHES), 0);
	expect_int_call(lfp_bufpool_trim(h->bp, LFP_TRIM_CACHES), 0);
	expect_int_call(lfp_objpool_trim(h->p, ~0u), -EINVAL);
	expect_int_call(lfp_objpool_stats(h->p, &ost), 0);
	expect_int_call(lfp_bufpool_stats(h->bp, &bst), 0);
	expect_int_call(lfp_objpool_stats_print(h->p, devnull, 0), 0);
	expect_int_call(lfp_bufpool_stats_print(h->bp, devnull,
						  LFP_STATS_JSON), 0);
	expect_int_call(lfp_objpool_cache_mode(h->p) > 0, 1);
	expect_int_call(lfp_bufpool_cache_mode(h->bp) > 0, 1);
	expect_int_call(lfp_objpool_attr_init(&oattr), 0);
	expect_int_call(lfp_bufpool_attr_init(&battr), 0);
	expect_int_call(lfp_objpool_attr_init(NULL), -EINVAL);
	fclose(devnull);
}

static void *
int_calls_thread(void *arg)
{
	int_calls(arg);
	return NULL;
}

START_TEST(test_errno_kept)
{
	struct handoff h;
	pthread_t t;

	h.p = make_objpool(100, 0, NULL);
	h.bp = make_bufpool(16, 1 << 16, 0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(h.objs); i++) {
		h.objs[i] = lfp_objpool_get(h.p);
		ck_assert_ptr_nonnull(h.objs[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(h.bufs); i++) {
		h.bufs[i] = lfp_bufpool_alloc(h.bp, (size_t)16 << (i % 13));
		ck_assert_ptr_nonnull(h.bufs[i]);
	}
	/* A new thread: its first calls make its caches. */
	ck_assert_int_eq(pthread_create(&t, NULL, int_calls_thread, &h), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* This thread too, its caches made already. */
	for (size_t i = 0; i < ARRAY_SIZE(h.objs); i++)
		h.objs[i] = lfp_objpool_get(h.p);
	for (size_t i = 0; i < ARRAY_SIZE(h.bufs); i++)
		h.bufs[i] = lfp_bufpool_alloc(h.bp, 64);
	int_calls(&h);
	expect_int_call(lfp_objpool_destroy(h.p), 0);
	expect_int_call(lfp_bufpool_destroy(h.bp), 0);
}
END_TEST

START_TEST(test_errno_kept_rcu)
{
	struct lfp_objpool *p = make_objpool(64, 0, NULL);
	struct lfp_bufpool *bp = make_bufpool(16, 4096, 0, 0);

	for (int i = 0; i < 100; i++) {
		expect_int_call(lfp_objpool_put_rcu(p, lfp_objpool_get(p)),
				  0);
		expect_int_call(lfp_bufpool_free_rcu(bp,
					lfp_bufpool_alloc(bp, 100)), 0);
	}
	expect_int_call(lfp_objpool_put_rcu(NULL, NULL), -EINVAL);
	expect_int_call(lfp_objpool_flush(p), 0);
	expect_int_call(lfp_objpool_destroy(p), 0);
	expect_int_call(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* A destructor that leaves errno changed, as user code may. */
static void
dtor_errno(void *obj, void *arg)
{
	(void)obj;
	(void)arg;
	errno = EIO;
}

/* Nor what the destructors do, nor a failed write, shows in errno. */
START_TEST(test_errno_kept_dtor)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;
	void *objs[100];
	FILE *f;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 256;
	attr.dtor = dtor_errno;
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 100), 100);
	ck_assert_uint_eq(lfp_objpool_put_bulk(p, objs, 100), 100);
	expect_int_call(lfp_objpool_trim(p, LFP_TRIM_CACHES), 0);
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs, 100), 100);
	ck_assert_uint_eq(lfp_objpool_put_bulk(p, objs, 100), 100);
	/* A stream that fails every write. */
	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		expect_int_call(lfp_objpool_stats_print(p, f, 0), -EIO);
		fclose(f);
	}
	expect_int_call(lfp_objpool_destroy(p), 0);
}
END_TEST

/* ---- names ---- */

static void
record_misuse(const struct lfp_misuse *m, void *arg)
{
	*(enum lfp_misuse_kind *)arg = m->kind;
}

START_TEST(test_names)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;
	enum lfp_misuse_kind kind = 0;
	int local;

	ck_assert_uint_eq(LFP_BUFPOOL_SIZE_MIN, 16);
	ck_assert_uint_eq(LFP_BUFPOOL_MIN_SIZE, LFP_BUFPOOL_SIZE_MIN);
	ck_assert_uint_eq(LFP_OBJPOOL_MAG_ROUNDS_MAX, 1024);
	ck_assert_uint_eq(LFP_MAG_ROUNDS_MAX, LFP_OBJPOOL_MAG_ROUNDS_MAX);
	ck_assert_uint_eq(LFP_OBJPOOL_MAG_SIZE_MAX, (size_t)16 << 20);
	ck_assert_uint_eq(LFP_MAG_SIZE_MAX, LFP_OBJPOOL_MAG_SIZE_MAX);
	ck_assert_str_eq(lfp_misuse_name(LFP_MISUSE_FOREIGN),
			 "foreign pointer");

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 32;
	attr.flags = LFP_OBJPOOL_F_CHECKED;
	attr.mag_rounds = LFP_OBJPOOL_MAG_ROUNDS_MAX;
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	lfp_misuse_set_handler(record_misuse, &kind);
	ck_assert_int_eq(lfp_objpool_put(p, &local), -EINVAL);
	ck_assert_int_eq(kind, LFP_MISUSE_FOREIGN);
	/* The old name still works, for programs built against it. */
	kind = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	lfp_set_misuse_handler(NULL, NULL);
	lfp_set_misuse_handler(record_misuse, &kind);
#pragma GCC diagnostic pop
	ck_assert_int_eq(lfp_objpool_put(p, &local), -EINVAL);
	ck_assert_int_eq(kind, LFP_MISUSE_FOREIGN);
	lfp_misuse_set_handler(NULL, NULL);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* ---- node numbers: the kernel's ---- */

/* Nodes 0 and 2, one CPU each (CPUs 0 and 1). */
#define SPARSE_TOPOLOGY "pack:2 [numa(indexes=0,2)] core:1 pu:1"

static void
body_sparse_nodes(void)
{
	struct lfp_objpool_attr attr;
	struct lfp_bufpool_attr battr;
	struct lfp_objpool_stats st;
	struct lfp_bufpool_stats bst;
	struct lfp_objpool *p;
	struct lfp_bufpool *bp;
	void *obj, *buf;
	char *json;
	size_t len;
	FILE *f;

	lfp_objpool_attr_init(&attr);
	attr.size = 64;
	attr.placement = LFP_PLACE_NODE;
	/* Node 1 is not one of the kernel's; 3 neither. */
	attr.node = 1;
	errno = 0;
	req(!lfp_objpool_create(&attr));
	req_eq(errno, EINVAL);
	attr.node = 3;
	req(!lfp_objpool_create(&attr));
	/* Node 2 is, and is the topology's second node. */
	attr.node = 2;
	p = lfp_objpool_create(&attr);
	req(p);
	obj = lfp_objpool_get(p);
	req(obj);
	req_eq(lfp_objpool_stats(p, &st), 0);
	req_eq(st.nnodes, 2);
	req_eq(st.node[0].os_index, 0);
	req_eq(st.node[1].os_index, 2);
	req_eq(st.node[0].bytes, 0);
	req(st.node[1].bytes > 0);
	/* Printed by the kernel's numbers too. */
	json = NULL;
	f = open_memstream(&json, &len);
	req(f);
	req_eq(lfp_objpool_stats_print(p, f, LFP_STATS_JSON), 0);
	req_eq(fclose(f), 0);
	req(strstr(json, "{\"node\":0,"));
	req(strstr(json, "{\"node\":2,"));
	free(json);
	req_eq(lfp_objpool_put(p, obj), 0);
	req_eq(lfp_objpool_destroy(p), 0);

	attr.node = 0;
	p = lfp_objpool_create(&attr);
	req(p);
	obj = lfp_objpool_get(p);
	req(obj);
	req_eq(lfp_objpool_stats(p, &st), 0);
	req(st.node[0].bytes > 0);
	req_eq(st.node[1].bytes, 0);
	req_eq(lfp_objpool_put(p, obj), 0);
	req_eq(lfp_objpool_destroy(p), 0);

	lfp_bufpool_attr_init(&battr);
	battr.placement = LFP_PLACE_NODE;
	battr.node = 1;
	req(!lfp_bufpool_create(&battr));
	battr.node = 2;
	bp = lfp_bufpool_create(&battr);
	req(bp);
	buf = lfp_bufpool_alloc(bp, 1000);
	req(buf);
	req_eq(lfp_bufpool_stats(bp, &bst), 0);
	req_eq(bst.nnodes, 2);
	req_eq(bst.node[0].os_index, 0);
	req_eq(bst.node[1].os_index, 2);
	req(bst.node[1].bytes > 0);
	req_eq(bst.node[0].bytes, 0);
	req_eq(lfp_bufpool_free(bp, buf), 0);
	req_eq(lfp_bufpool_destroy(bp), 0);
}

START_TEST(test_node_os_numbers)
{
	run_child_fresh(body_sparse_nodes, SPARSE_TOPOLOGY, true);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = lfp_test_tcase(s, "contracts");

	tcase_add_test(tc, test_reserved_objpool);
	tcase_add_test(tc, test_reserved_bufpool);
	tcase_add_test(tc, test_destroy_null);
	tcase_add_test(tc, test_zeroed_bufpool_attr);
	tcase_add_test(tc, test_zeroed_objpool_attr);
	tcase_add_test(tc, test_get_bulk_budget);
	tcase_add_test(tc, test_get_bulk_ctor_failure);
	tcase_add_test(tc, test_alloc_bulk);
	tcase_add_test(tc, test_free_bulk_mixed);
	tcase_add_test(tc, test_free_bulk_foreign);
	tcase_add_test(tc, test_free_bulk_checked_double);
	tcase_add_test(tc, test_objpool_stats_sizes);
	tcase_add_test(tc, test_bufpool_stats_sizes);
	tcase_add_test(tc, test_errno_kept);
	tcase_add_test(tc, test_errno_kept_rcu);
	tcase_add_test(tc, test_errno_kept_dtor);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_node_os_numbers);
	return s;
}

int
main(int argc, char **argv)
{
	static const struct child_body bodies[] = {
		CHILD_BODY(body_sparse_nodes),
	};

	(void)argc;
	child_main(argv[0], bodies, sizeof(bodies) / sizeof(bodies[0]));
	return lfp_test_run(api_suite());
}
