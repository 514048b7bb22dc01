/* SPDX-License-Identifier: MIT */
/*
 * test_rcu.c - the batches of deferred puts (rcu.c): objects put with
 * lfp_objpool_put_rcu() are staged a magazine's worth at a time, a full
 * batch goes to call_rcu at once (one call per magazine, not per object),
 * flush sends a partial one, and after the grace period each batch comes
 * back to the depot. The grace period here is a stand-in call_rcu that
 * keeps the callbacks until the test runs them.
 */
#include "test-common.h"

#include <lfpool/objpool.h>

enum { CAP = 8 };

static struct rcu_head *heads[16];
static void (*funcs[16])(struct rcu_head *);
static int ncalls;

static void
fake_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *))
{
	ck_assert_int_lt(ncalls, 16);
	heads[ncalls] = head;
	funcs[ncalls++] = func;
}

/* The grace period ends: run the callbacks queued so far. */
static void
grace_period(void)
{
	for (int i = 0; i < ncalls; i++)
		funcs[i](heads[i]);
	ncalls = 0;
}

static struct lfp_objpool_stats
stats(struct lfp_objpool *p)
{
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_stats(p, &st), 0);
	return st;
}

START_TEST(test_batches)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;
	void *objs[CAP + 3];

	lfp_objpool_attr_init(&a);
	a.size = 32;
	a.mag_rounds = CAP;
	a.call_rcu_fn = fake_call_rcu;
	p = lfp_objpool_create(&a);
	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < CAP + 3; i++)
		ck_assert_ptr_nonnull(objs[i] = lfp_objpool_get(p));
	/* A magazine's worth: one call_rcu, for the whole batch. */
	for (int i = 0; i < CAP; i++) {
		ck_assert_int_eq(ncalls, 0);
		ck_assert_int_eq(lfp_objpool_put_rcu(p, objs[i]), 0);
	}
	ck_assert_int_eq(ncalls, 1);
	ck_assert_uint_eq(stats(p).deferred, CAP);
	/* A partial batch waits, until a flush sends it. */
	for (int i = CAP; i < CAP + 3; i++)
		ck_assert_int_eq(lfp_objpool_put_rcu(p, objs[i]), 0);
	ck_assert_int_eq(ncalls, 1);
	ck_assert_uint_eq(stats(p).deferred, CAP + 3);
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
	ck_assert_int_eq(ncalls, 2);
	/* Nothing is back before the grace period ends. */
	ck_assert_uint_eq(stats(p).in_use, CAP + 3);
	grace_period();
	ck_assert_uint_eq(stats(p).deferred, 0);
	ck_assert_uint_eq(stats(p).in_use, 0);
	ck_assert_uint_ge(stats(p).depot_cached, CAP + 3);
	/* They are the pool's objects again. */
	for (int i = 0; i < CAP + 3; i++)
		ck_assert_ptr_nonnull(objs[i] = lfp_objpool_get(p));
	for (int i = 0; i < CAP + 3; i++)
		ck_assert_int_eq(lfp_objpool_put(p, objs[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rcu");
	TCase *tc = lfp_test_tcase(s, "batches");

	tcase_add_test(tc, test_batches);
	return lfp_test_run(s);
}
