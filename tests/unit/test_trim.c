/* SPDX-License-Identifier: MIT */
/*
 * test_trim.c - trim's working set (trim.c): with LFP_TRIM_IDLE a trim
 * takes from the depot only as many objects as the depot never went
 * below since the previous trim, so memory the pool used since then
 * stays, and memory it did not use goes back to the system.
 */
#include "test-common.h"

#include <lfpool/objpool.h>

enum { N = 512, BATCH = 64 };

static struct lfp_objpool *
pool_new(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;

	lfp_objpool_attr_init(&a);
	a.size = 64;
	a.mag_rounds = BATCH;
	a.cache_mode = LFP_CACHE_PER_THREAD;
	p = lfp_objpool_create(&a);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Get @n objects and put them back, then flush the caller's cache. */
static void
cycle(struct lfp_objpool *p, int n)
{
	static void *objs[N];

	for (int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(objs[i] = lfp_objpool_get(p));
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_put(p, objs[i]), 0);
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
}

static uint64_t
chunks(struct lfp_objpool *p)
{
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_stats(p, &st), 0);
	ck_assert_uint_eq(st.in_use, 0);
	return st.chunks;
}

START_TEST(test_idle_trim_working_set)
{
	struct lfp_objpool *p = pool_new();

	cycle(p, N);
	ck_assert_uint_eq(chunks(p), 1);
	/* The depot grew from empty since creation: it is the working set. */
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(chunks(p), 1);
	/* Nothing used since: all of it is idle and goes. */
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(chunks(p), 0);

	cycle(p, N);
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(chunks(p), 1);
	/* A magazine's worth used since: the chunk stays. */
	cycle(p, BATCH);
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(chunks(p), 1);
	ck_assert_int_eq(lfp_objpool_trim(p, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(chunks(p), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

START_TEST(test_full_trim)
{
	struct lfp_objpool *p = pool_new();

	cycle(p, N);
	/* Without LFP_TRIM_IDLE, all the depot holds goes at once. */
	ck_assert_int_eq(lfp_objpool_trim(p, 0), 0);
	ck_assert_uint_eq(chunks(p), 0);
	/* Objects still cached in the caller's cache keep their chunk, unless
	 * LFP_TRIM_CACHES hands them to the depot first. */
	for (int i = 0; i < 2; i++) {
		void *o = lfp_objpool_get(p);

		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(lfp_objpool_put(p, o), 0);
		ck_assert_int_eq(lfp_objpool_trim(p, i ? LFP_TRIM_CACHES : 0),
				 0);
		ck_assert_uint_eq(chunks(p), i ? 0 : 1);
	}
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("trim");
	TCase *tc = lfp_test_tcase(s, "trim");

	tcase_add_test(tc, test_idle_trim_working_set);
	tcase_add_test(tc, test_full_trim);
	return lfp_test_run(s);
}
