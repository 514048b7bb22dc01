/* SPDX-License-Identifier: MIT */
/*
 * test_slab.c - white-box tests of the slab's reclaim (slab.h), the step
 * of trim that decides which chunks go back to the system: a chunk leaves
 * only when every object it has out of the slab is in the caller's hands,
 * objects of other slabs are left alone, and a chunk that left is gone
 * from the chunk map and the counters.
 */
#include "slab.h"
#include "test-common.h"

enum { N = 64, STRIDE = 64 };

static int owner;

static void
carve_all(struct lfp_slab *s, void **objs, size_t n)
{
	int err = 0;

	ck_assert_uint_eq(lfp_slab_carve(s, objs, n, &err), n);
	ck_assert_int_eq(err, 0);
}

START_TEST(test_reclaim_whole_chunk)
{
	struct lfp_slab s;
	struct lfp_chunk *dead;
	void *objs[N];

	lfp_slab_init(&s, STRIDE, &owner, NULL, NULL, NULL);
	carve_all(&s, objs, N);
	ck_assert_uint_eq(lfp_counter_read(&s.nchunks), 1);
	ck_assert_uint_eq(lfp_counter_read(&s.objects), N);
	/* One object is still out: the chunk stays, every object is kept. */
	ck_assert_uint_eq(lfp_slab_reclaim(&s, objs, N - 1, &dead), N - 1);
	ck_assert_ptr_null(dead);
	ck_assert_ptr_nonnull(lfp_chunkmap_get(objs[0]));
	/* All of them: the chunk leaves, none is kept. */
	ck_assert_uint_eq(lfp_slab_reclaim(&s, objs, N, &dead), 0);
	ck_assert_ptr_nonnull(dead);
	ck_assert_ptr_null(dead->next);
	ck_assert_uint_eq(lfp_counter_read(&s.objects), 0);
	lfp_slab_free_chunks(&s, dead);
	ck_assert_uint_eq(lfp_counter_read(&s.nchunks), 0);
	ck_assert_uint_eq(lfp_counter_read(&s.bytes), 0);
	ck_assert_ptr_null(lfp_chunkmap_get(objs[0]));
	/* The slab grows again from a new chunk. */
	carve_all(&s, objs, 1);
	ck_assert_uint_eq(lfp_counter_read(&s.nchunks), 1);
	lfp_slab_fini(&s);
}
END_TEST

START_TEST(test_reclaim_other_slab)
{
	struct lfp_slab a, b;
	struct lfp_chunk *dead;
	void *objs[2 * N];
	size_t keep;

	lfp_slab_init(&a, STRIDE, &owner, NULL, NULL, NULL);
	lfp_slab_init(&b, STRIDE, &owner, NULL, NULL, NULL);
	/* Interleaved: a's objects at even indices, b's at odd ones. */
	for (int i = 0; i < 2 * N; i += 2) {
		carve_all(&a, &objs[i], 1);
		carve_all(&b, &objs[i + 1], 1);
	}
	keep = lfp_slab_reclaim(&a, objs, 2 * N, &dead);
	/* a's chunk leaves; b's objects are kept, moved to the front. */
	ck_assert_uint_eq(keep, N);
	ck_assert_ptr_nonnull(dead);
	for (size_t i = 0; i < 2 * N; i++)
		ck_assert_ptr_eq(lfp_chunkmap_get(objs[i])->slab,
				 i < keep ? &b : &a);
	lfp_slab_free_chunks(&a, dead);
	ck_assert_uint_eq(lfp_counter_read(&a.nchunks), 0);
	ck_assert_uint_eq(lfp_counter_read(&b.nchunks), 1);
	ck_assert_uint_eq(lfp_counter_read(&b.objects), N);
	lfp_slab_fini(&a);
	lfp_slab_fini(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = lfp_test_tcase(s, "reclaim");

	tcase_add_test(tc, test_reclaim_whole_chunk);
	tcase_add_test(tc, test_reclaim_other_slab);
	return lfp_test_run(s);
}
