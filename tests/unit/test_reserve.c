/* SPDX-License-Identifier: MIT */
/*
 * test_reserve.c - guaranteed reserves (lfp_objpool_prefill(),
 * lfp_bufpool_prefill()): the objects are constructed at the call; with
 * the operating system refusing every memory request (the fault
 * injector), at the byte budget, or with the constructor failing, gets
 * still find exactly the reserve's objects, and then fail with ENOMEM (or
 * the constructor's error) as without one; bulk gets take them all or
 * nothing; flush refills the reserve; trim never gives it back; a failed
 * prefill keeps the previous size; and the n-th memory request of a
 * prefill failing, for every n, leaves no leak. Each in both cache modes,
 * and checked.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "chunkmap.h"
#include "test-common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lfpool.h>

/* 16 KiB objects: 4 to a 64 KiB chunk, so a reserve of 4 fills one. */
#define BIG ((size_t)16 << 10)
#define PER_CHUNK 4

static _Atomic int ctors, dtors;
static _Atomic bool ctor_fails;

static int
ctor(void *obj, void *arg)
{
	if (atomic_load(&ctor_fails))
		return -EIO;
	atomic_fetch_add(&ctors, 1);
	memset(obj, 0x11, 64);
	return 0;
}

static void
dtor(void *obj, void *arg)
{
	atomic_fetch_add(&dtors, 1);
}

/* Loop index @i: bit 0 per-thread caches, bit 1 checked. */
static struct lfp_objpool *
make_pool(int i, size_t size, size_t max_bytes)
{
	struct lfp_objpool_attr a;

	lfp_objpool_attr_init(&a);
	a.size = size;
	a.name = "reserve";
	a.ctor = ctor;
	a.dtor = dtor;
	a.max_bytes = max_bytes;
	a.cache_mode = i & 1 ? LFP_CACHE_PER_THREAD : LFP_CACHE_AUTO;
	a.flags = i & 2 ? LFP_OBJPOOL_F_CHECKED : 0;
	return lfp_objpool_create(&a);
}

static struct lfp_objpool_stats
stats(struct lfp_objpool *p)
{
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_stats(p, &st), 0);
	return st;
}

/* Gets until one fails: how many succeeded, the objects in @objs. */
static size_t
get_all(struct lfp_objpool *p, void **objs, size_t max, int *err)
{
	size_t n = 0;

	while (n < max && (objs[n] = lfp_objpool_get(p)))
		n++;
	*err = errno;
	return n;
}

static void
put_all(struct lfp_objpool *p, void **objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_put(p, objs[i]), 0);
}

static void
setup(void)
{
	atomic_store(&ctors, 0);
	atomic_store(&dtors, 0);
	atomic_store(&ctor_fails, false);
}

START_TEST(test_prefill_constructs)
{
	struct lfp_objpool *p = make_pool(_i, 64, 0);
	struct lfp_objpool_stats st;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lfp_objpool_prefill(NULL, 1), -EINVAL);
	ck_assert_int_eq(lfp_objpool_prefill(p, 100), 0);
	st = stats(p);
	ck_assert_uint_eq(st.reserve, 100);
	ck_assert_uint_eq(st.reserve_held, 100);
	ck_assert_uint_ge(st.objects, 100);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_int_eq(atomic_load(&ctors), (int)st.objects);
	/* Smaller: the surplus goes to the depot; the objects stay. */
	ck_assert_int_eq(lfp_objpool_prefill(p, 30), 0);
	st = stats(p);
	ck_assert_uint_eq(st.reserve, 30);
	ck_assert_uint_eq(st.reserve_held, 30);
	ck_assert_uint_ge(st.depot_cached, 70);
	/* Larger again: from the depot first, nothing new constructed. */
	ck_assert_int_eq(lfp_objpool_prefill(p, 100), 0);
	ck_assert_uint_eq(stats(p).reserve_held, 100);
	ck_assert_uint_eq(stats(p).objects, st.objects);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(atomic_load(&dtors), atomic_load(&ctors));
}
END_TEST

/* The system refuses every memory request: the reserve still serves. */
START_TEST(test_os_refuses)
{
	struct lfp_objpool *p = make_pool(_i, BIG, 0);
	struct lfp_objpool *q = make_pool(_i, BIG, 0);
	void *objs[16];
	size_t n;
	int err;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(lfp_objpool_prefill(p, PER_CHUNK), 0);
	ck_assert_uint_eq(stats(p).chunks, 1);
	ck_assert_int_eq(atomic_load(&ctors), PER_CHUNK);

	lfp_fault_fail_all(true);
	/* Without a reserve: nothing. */
	ck_assert_ptr_null(lfp_objpool_get(q));
	ck_assert_int_eq(errno, ENOMEM);
	/* With one: its objects, then ENOMEM as ever. */
	n = get_all(p, objs, 16, &err);
	ck_assert_uint_eq(n, PER_CHUNK);
	ck_assert_int_eq(err, ENOMEM);
	ck_assert_uint_eq(stats(p).reserve_held, 0);
	ck_assert_uint_eq(stats(p).in_use, PER_CHUNK);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(*(unsigned char *)objs[i], 0x11);
	/* Put back, they serve again, still with no memory. */
	put_all(p, objs, n);
	ck_assert_uint_eq(stats(p).in_use, 0);
	n = get_all(p, objs, 16, &err);
	ck_assert_uint_eq(n, PER_CHUNK);
	ck_assert_int_eq(err, ENOMEM);
	put_all(p, objs, n);
	lfp_fault_fail_all(false);

	/* A flush brings back whatever a cache kept: the reserve is full. */
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
	ck_assert_uint_eq(stats(p).reserve_held, PER_CHUNK);
	ck_assert_int_eq(atomic_load(&ctors), PER_CHUNK);
	ck_assert_int_eq(lfp_objpool_destroy(q), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(atomic_load(&dtors), PER_CHUNK);
}
END_TEST

/* At the byte budget: the reserve is part of it, and still handed out. */
START_TEST(test_budget)
{
	struct lfp_objpool *p = make_pool(_i, BIG, (size_t)64 << 10);
	struct lfp_objpool_stats st;
	void *objs[16];
	size_t n;
	int err;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lfp_objpool_prefill(p, 2), 0);
	/* More than the budget holds: refused, the reserve stays as it was. */
	ck_assert_int_eq(lfp_objpool_prefill(p, PER_CHUNK + 1), -ENOMEM);
	st = stats(p);
	ck_assert_uint_eq(st.reserve, 2);
	ck_assert_uint_eq(st.reserve_held, 2);
	ck_assert_uint_eq(st.chunks, 1);

	/* The budget's one chunk: 2 carved, then the reserve's 2. */
	n = get_all(p, objs, 16, &err);
	ck_assert_uint_eq(n, PER_CHUNK);
	ck_assert_int_eq(err, ENOMEM);
	st = stats(p);
	ck_assert_uint_eq(st.reserve_held, 0);
	ck_assert_uint_eq(st.in_use, PER_CHUNK);
	ck_assert_uint_le(st.objects, PER_CHUNK);
	put_all(p, objs, n);
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
	ck_assert_uint_eq(stats(p).reserve_held, 2);

	/* Bulk: the reserve gives what is missing, all or nothing. */
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_CACHES), 0);
	n = lfp_objpool_get_bulk(p, objs, PER_CHUNK);
	ck_assert_uint_eq(n, PER_CHUNK);
	ck_assert_uint_eq(stats(p).reserve_held, 0);
	put_all(p, objs, 1);
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
	ck_assert_uint_eq(stats(p).reserve_held, 1);
	/* One in the reserve, none elsewhere: a bulk of 2 gets nothing. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, objs + 1, 2), 0);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(stats(p).reserve_held, 1);
	put_all(p, objs + 1, PER_CHUNK - 1);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(atomic_load(&dtors), atomic_load(&ctors));
}
END_TEST

/* The constructor fails: a get still finds the reserve's objects. */
START_TEST(test_ctor_fails)
{
	struct lfp_objpool *p = make_pool(_i, BIG, 0);
	void *objs[16];
	size_t n;
	int err;

	ck_assert_ptr_nonnull(p);
	atomic_store(&ctor_fails, true);
	ck_assert_int_eq(lfp_objpool_prefill(p, 3), -EIO);
	ck_assert_uint_eq(stats(p).reserve, 0);
	atomic_store(&ctor_fails, false);
	ck_assert_int_eq(lfp_objpool_prefill(p, 3), 0);
	atomic_store(&ctor_fails, true);
	/* The chunk's fourth object is raw: its constructor fails. */
	n = get_all(p, objs, 16, &err);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(err, EIO);
	atomic_store(&ctor_fails, false);
	put_all(p, objs, n);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(atomic_load(&dtors), atomic_load(&ctors));
}
END_TEST

/* Trim gives back all but the reserve; without one, everything. */
START_TEST(test_trim_keeps)
{
	struct lfp_objpool *p = make_pool(_i, 64, 0);
	static void *objs[2000];
	struct lfp_objpool_stats st;
	size_t n;
	int err;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lfp_objpool_prefill(p, 100), 0);
	n = get_all(p, objs, 2000, &err);
	ck_assert_uint_eq(n, 2000);
	put_all(p, objs, n);
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_CACHES), 0);
	st = stats(p);
	ck_assert_uint_eq(st.reserve_held, 100);
	ck_assert_uint_ge(st.objects, 100);
	ck_assert_uint_lt(st.objects, 2000);
	ck_assert_uint_ge(st.chunks, 1);
	/* No reserve: the next trim gives it all back. */
	ck_assert_int_eq(lfp_objpool_prefill(p, 0), 0);
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_CACHES), 0);
	st = stats(p);
	ck_assert_uint_eq(st.reserve_held, 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(st.chunks, 0);
	ck_assert_int_eq(atomic_load(&dtors), atomic_load(&ctors));
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* Buffer pools: a class's reserve, under a system refusing memory. */
START_TEST(test_bufpool)
{
	struct lfp_bufpool_attr a;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *bufs[16];
	size_t n = 0;

	lfp_bufpool_attr_init(&a);
	a.max_size = (size_t)64 << 10;
	a.cache_mode = _i & 1 ? LFP_CACHE_PER_THREAD : LFP_CACHE_AUTO;
	a.flags = _i & 2 ? LFP_BUFPOOL_F_CHECKED : 0;
	bp = lfp_bufpool_create(&a);
	ck_assert_ptr_nonnull(bp);
	ck_assert_int_eq(lfp_bufpool_prefill(NULL, BIG, 1), -EINVAL);
	ck_assert_int_eq(lfp_bufpool_prefill(bp, a.max_size + 1, 1), -E2BIG);
	ck_assert_int_eq(lfp_bufpool_prefill(bp, BIG - 100, PER_CHUNK), 0);
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	for (unsigned int k = 0; k < st.nclasses; k++) {
		bool big = st.cls[k].size == BIG;

		ck_assert_uint_eq(st.cls_reserve[k], big ? PER_CHUNK : 0);
		ck_assert_uint_eq(st.cls_reserve_held[k], big ? PER_CHUNK : 0);
		ck_assert_uint_eq(st.cls[k].buffers, big ? PER_CHUNK : 0);
	}
	lfp_fault_fail_all(true);
	ck_assert_ptr_null(lfp_bufpool_alloc(bp, 2 * BIG));
	ck_assert_int_eq(errno, ENOMEM);
	while (n < 16 && (bufs[n] = lfp_bufpool_alloc(bp, BIG)))
		memset(bufs[n++], 0x22, BIG);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(n, PER_CHUNK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(lfp_bufpool_free(bp, bufs[i]), 0);
	lfp_fault_fail_all(false);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/*
 * The n-th memory request of a prefill fails, for every n: the call
 * returns -ENOMEM with the reserve as it was, or 0 with it full; the pool
 * works after, and destroy leaves no mapping or block behind.
 */
START_TEST(test_fault_every_request)
{
	uint64_t start, total, maps0, meta0, fails = 0;
	struct lfp_objpool *p;

	/* A dry run counts the requests and settles one-time state. */
	p = make_pool(_i, BIG, 0);
	ck_assert_ptr_nonnull(p);
	start = lfp_fault_requests();
	ck_assert_int_eq(lfp_objpool_prefill(p, 3 * PER_CHUNK), 0);
	total = lfp_fault_requests() - start;
	ck_assert_uint_ge(total, 3);
	/* The thread's map of caches is made once, and stays. */
	ck_assert_int_eq(lfp_objpool_put(p, lfp_objpool_get(p)), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	maps0 = lfp_os_live_maps() - lfp_chunkmap_leaves();
	meta0 = lfp_meta_live();

	for (uint64_t n = 1; n <= total; n++) {
		struct lfp_objpool_stats st;
		void *o;
		int rc;

		p = make_pool(_i, BIG, 0);
		ck_assert_ptr_nonnull(p);
		lfp_fault_fail_nth(n);
		rc = lfp_objpool_prefill(p, 3 * PER_CHUNK);
		lfp_fault_fail_nth(0);
		st = stats(p);
		if (rc) {
			ck_assert_int_eq(rc, -ENOMEM);
			ck_assert_uint_eq(st.reserve, 0);
			ck_assert_uint_eq(st.reserve_held, 0);
			fails++;
		} else {
			ck_assert_uint_eq(st.reserve_held, 3 * PER_CHUNK);
		}
		o = lfp_objpool_get(p);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(lfp_objpool_put(p, o), 0);
		ck_assert_int_eq(lfp_objpool_destroy(p), 0);
		ck_assert_uint_eq(lfp_os_live_maps() - lfp_chunkmap_leaves(),
				  maps0);
		ck_assert_uint_eq(lfp_meta_live(), meta0);
	}
	ck_assert_uint_ge(fails, 3);    /* each chunk's map, at least */
	ck_assert_int_eq(atomic_load(&dtors), atomic_load(&ctors));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reserve");
	/* One CPU: in per-CPU mode, what a get put back stays in reach. */
	TCase *tc = lfp_test_stay_tcase(s, "reserve");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_prefill_constructs, 0, 4);
	tcase_add_loop_test(tc, test_os_refuses, 0, 4);
	tcase_add_loop_test(tc, test_budget, 0, 4);
	tcase_add_loop_test(tc, test_ctor_fails, 0, 4);
	tcase_add_loop_test(tc, test_trim_keeps, 0, 4);
	tcase_add_loop_test(tc, test_bufpool, 0, 4);
	tcase_add_loop_test(tc, test_fault_every_request, 0, 4);
	tcase_set_timeout(tc, 300);
	return lfp_test_run(s);
}
