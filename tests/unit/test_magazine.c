/* SPDX-License-Identifier: MIT */
/*
 * test_magazine.c - white-box tests of magazines, the depot, and the
 * zone's two-magazine caches: local magazine operations and their bounds,
 * depot exchange and counts, Bonwick's rule (a get/put loop around a
 * magazine boundary never visits the depot), cache reuse after release,
 * and flush.
 */
#include "registry.h"
#include "zone.h"
#include "test-common.h"

#include <lfpool/thread.h>

#include <stdlib.h>

START_TEST(test_mag_local)
{
	struct lfp_depot d;
	struct lfp_mag *m;
	void *in[8], *out[8];

	lfp_depot_init(&d, 5);
	m = lfp_depot_get_empty(&d);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->cap, 5);
	ck_assert(lfp_mag_empty_local(m));
	for (int i = 0; i < 8; i++)
		in[i] = (void *)(uintptr_t)(0x1000 + i);
	ck_assert_uint_eq(lfp_mag_give_local(m, in, 8), 5);
	ck_assert(lfp_mag_full_local(m));
	ck_assert_uint_eq(lfp_mag_give_local(m, in, 1), 0);
	ck_assert_ptr_eq(lfp_mag_pop_local(m), in[4]);
	lfp_mag_push_local(m, in[7]);
	ck_assert_uint_eq(lfp_mag_take_local(m, out, 8), 5);
	/* take copies the top rounds in their array order */
	ck_assert_ptr_eq(out[0], in[0]);
	ck_assert_ptr_eq(out[4], in[7]);
	ck_assert(lfp_mag_empty_local(m));
	ck_assert_uint_eq(lfp_mag_take_local(m, out, 8), 0);
	lfp_depot_put_empty(&d, m);
	ck_assert_ptr_eq(lfp_depot_get_empty(&d), m);
	lfp_depot_fini(&d);
}
END_TEST

START_TEST(test_depot_exchange)
{
	struct lfp_depot d;
	struct lfp_mag *a, *b;

	lfp_depot_init(&d, 4);
	ck_assert_ptr_null(lfp_depot_get_full(&d));
	a = lfp_depot_get_empty(&d);
	b = lfp_depot_get_empty(&d);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq(lfp_depot_magazines(&d), 2);
	lfp_mag_push_local(a, &d);
	lfp_mag_push_local(a, &d);
	lfp_depot_put_full(&d, a);
	ck_assert_uint_eq(lfp_counter_read(&d.objs), 2);
	ck_assert_ptr_eq(lfp_depot_get_full(&d), a);
	ck_assert_uint_eq(a->n, 2);
	ck_assert_uint_eq(lfp_counter_read(&d.objs), 0);
	ck_assert_ptr_null(lfp_depot_get_full(&d));
	lfp_depot_fini(&d);
}
END_TEST

static struct lfp_zone *
zone_new(size_t size, unsigned int cap)
{
	struct lfp_zone *z = lfp_meta_alloc(sizeof(*z));

	ck_assert_ptr_nonnull(z);
	lfp_zone_init(z, size, 16, cap, NULL, NULL, NULL, z, "unit", false);
	ck_assert_int_eq(lfp_registry_add(z, &z->fast.slot, &z->fast.id), 0);
	return z;
}

static void
zone_free(struct lfp_zone *z)
{
	lfp_registry_remove(z->fast.slot);
	lfp_registry_sync();
	lfp_registry_free_slot(z->fast.slot);
	lfp_zone_fini(z);
	lfp_meta_free(z);
}

START_TEST(test_two_magazine_rule)
{
	enum { CAP = 8 };
	struct lfp_zone *z = zone_new(32, CAP);
	struct lfp_zone_stats st;
	void *objs[3 * CAP];
	struct lfp_cache *c;

	/* Warm up: the cache ends with one full and one partial magazine. */
	for (int i = 0; i < 3 * CAP; i++)
		objs[i] = lfp_zone_get(z);
	for (int i = 0; i < 3 * CAP; i++)
		ck_assert_int_eq(lfp_zone_put(z, objs[i]), 0);
	c = lfp_zone_cache_local(z);
	ck_assert_ptr_nonnull(c);
	/* Put side: loaded full. Now oscillate around the boundary. */
	while (c->n != c->cap)
		ck_assert_int_eq(lfp_zone_put(z, lfp_zone_get(z)), 0);
	lfp_zone_stats(z, &st);
	uint64_t dg = st.depot_gets, dp = st.depot_puts;

	for (int r = 0; r < 1000; r++) {
		void *a[CAP];

		for (int i = 0; i < CAP; i++)
			a[i] = lfp_zone_get(z);
		for (int i = 0; i < CAP; i++)
			lfp_zone_put(z, a[i]);
		void *x = lfp_zone_get(z);
		lfp_zone_put(z, x);
		lfp_zone_put(z, lfp_zone_get(z));
	}
	lfp_zone_stats(z, &st);
	ck_assert_uint_eq(st.depot_gets, dg);
	ck_assert_uint_eq(st.depot_puts, dp);
	zone_free(z);
}
END_TEST

START_TEST(test_refill_drain_depot)
{
	enum { CAP = 4 };
	struct lfp_zone *z = zone_new(64, CAP);
	struct lfp_zone_stats st;
	void *objs[10 * CAP];

	for (int i = 0; i < 10 * CAP; i++)
		ck_assert_ptr_nonnull(objs[i] = lfp_zone_get(z));
	lfp_zone_stats(z, &st);
	ck_assert_uint_eq(st.objects, 10 * CAP);
	ck_assert_uint_eq(st.depot_objs, 0);
	for (int i = 0; i < 10 * CAP; i++)
		ck_assert_int_eq(lfp_zone_put(z, objs[i]), 0);
	lfp_zone_stats(z, &st);
	/* The cache keeps at most two magazines; the rest went to the depot. */
	ck_assert_uint_eq(st.depot_objs, 10 * CAP - 2 * CAP);
	ck_assert_uint_eq(st.puts, 10 * CAP);
	/* And comes back from the depot without carving. */
	for (int i = 0; i < 10 * CAP; i++)
		objs[i] = lfp_zone_get(z);
	lfp_zone_stats(z, &st);
	ck_assert_uint_eq(st.objects, 10 * CAP);
	ck_assert_uint_eq(st.depot_objs, 0);
	ck_assert_uint_ge(st.depot_gets, 8);
	for (int i = 0; i < 10 * CAP; i++)
		lfp_zone_put(z, objs[i]);
	zone_free(z);
}
END_TEST

static struct lfp_zone *shared_zone;

static void *
use_and_exit(void *arg)
{
	void *o = lfp_zone_get(shared_zone);

	lfp_zone_put(shared_zone, o);
	*(struct lfp_cache **)arg = lfp_zone_cache_local(shared_zone);
	return NULL;
}

START_TEST(test_cache_reuse_and_flush)
{
	struct lfp_cache *c1 = NULL, *c2 = NULL;
	struct lfp_zone_stats st;
	pthread_t t;

	shared_zone = zone_new(48, 8);
	pthread_create(&t, NULL, use_and_exit, &c1);
	pthread_join(t, NULL);
	/* The exited thread's object went to the depot; its cache is free. */
	lfp_zone_stats(shared_zone, &st);
	ck_assert_uint_eq(st.depot_objs, st.objects);
	ck_assert_ptr_null(atomic_load(&c1->owner));
	pthread_create(&t, NULL, use_and_exit, &c2);
	pthread_join(t, NULL);
	ck_assert_ptr_eq(c1, c2);
	lfp_zone_stats(shared_zone, &st);
	ck_assert_uint_eq(st.caches, 1);
	/* Flush from this thread keeps its cache but empties it. */
	void *o = lfp_zone_get(shared_zone);
	lfp_zone_put(shared_zone, o);
	lfp_thread_flush();
	lfp_zone_stats(shared_zone, &st);
	ck_assert_uint_eq(st.depot_objs, st.objects);
	ck_assert_ptr_eq(atomic_load(&lfp_zone_cache_local(shared_zone)->owner),
			 &lfp_tcache_self);
	zone_free(shared_zone);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("magazine");
	TCase *tc = lfp_test_tcase(s, "magazine");

	tcase_add_test(tc, test_mag_local);
	tcase_add_test(tc, test_depot_exchange);
	tcase_add_test(tc, test_two_magazine_rule);
	tcase_add_test(tc, test_refill_drain_depot);
	tcase_add_test(tc, test_cache_reuse_and_flush);
	return lfp_test_run(s);
}
