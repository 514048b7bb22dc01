/* SPDX-License-Identifier: MIT */
/*
 * stress_rcu.c - deferred puts under RCU readers. Updaters replace the
 * nodes of a shared table (an RCU-protected array of node pointers) with
 * fresh ones from an object pool and hand the old ones back with
 * lfp_objpool_put_rcu(); readers look nodes up inside liburcu-bp read-side
 * sections and check, at the start and again at the end of the section,
 * that the node they found was not handed out again meanwhile (its
 * generation, set at every get, did not change). Finally every object is
 * accounted for once the grace periods have passed.
 */
#include "test-common.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-bp.h>

#include <lfpool.h>

#define NSLOTS 64
#define NODE_MAGIC 0x5eedf00dcafe0001ULL

struct node {
	uint64_t magic;
	_Atomic uint64_t gen;           /* changes at every get */
	_Atomic int live;               /* 0 once unlinked */
};

struct shared {
	struct lfp_objpool *pool;
	_Atomic(struct node *) slot[NSLOTS];
	_Atomic uint64_t next_gen;
	atomic_int stop;
	atomic_int reused;              /* a reader saw reuse in its section */
	atomic_ulong reads;
	unsigned long updates;          /* per updater */
};

static int
node_ctor(void *obj, void *arg)
{
	struct node *n = obj;

	n->magic = NODE_MAGIC;
	atomic_init(&n->gen, 0);
	atomic_init(&n->live, 0);
	return 0;
}

static struct node *
node_get(struct shared *sh)
{
	struct node *n = lfp_objpool_get(sh->pool);

	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->magic, NODE_MAGIC);
	atomic_store(&n->gen, atomic_fetch_add(&sh->next_gen, 1) + 1);
	atomic_store(&n->live, 1);
	return n;
}

static void *
reader_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = (uintptr_t)&seed;
	unsigned long reads = 0;

	while (!atomic_load(&sh->stop)) {
		unsigned int i = lfp_test_rand(&seed) % NSLOTS;
		struct node *n;
		uint64_t g1, g2;

		urcu_bp_read_lock();
		/* Acquire: pairs with the exchange that published the node. */
		n = atomic_load_explicit(&sh->slot[i], memory_order_acquire);
		if (n) {
			g1 = atomic_load(&n->gen);
			/* Linger, so that updaters run meanwhile. */
			for (int k = 0; k < 64; k++)
				caa_cpu_relax();
			g2 = atomic_load(&n->gen);
			if (g1 != g2 || n->magic != NODE_MAGIC)
				atomic_store(&sh->reused, 1);
		}
		urcu_bp_read_unlock();
		reads++;
	}
	atomic_fetch_add(&sh->reads, reads);
	return NULL;
}

static void *
updater_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = (uintptr_t)&seed ^ 0x9e3779b97f4a7c15ULL;

	for (unsigned long u = 0; u < sh->updates; u++) {
		unsigned int i = lfp_test_rand(&seed) % NSLOTS;
		struct node *n = node_get(sh), *old;

		old = atomic_exchange(&sh->slot[i], n);
		if (old) {
			atomic_store(&old->live, 0);
			ck_assert_int_eq(lfp_objpool_put_rcu(sh->pool, old), 0);
		}
	}
	return NULL;
}

START_TEST(stress_put_rcu)
{
	enum { NREADERS = 3, NUPDATERS = 2 };
	pthread_t r[NREADERS], u[NUPDATERS];
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct shared *sh = calloc(1, sizeof(*sh));
	int i;

	ck_assert_ptr_nonnull(sh);
	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = sizeof(struct node);
	attr.ctor = node_ctor;
	attr.mag_rounds = 8;
	attr.name = "rcu";
	sh->pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(sh->pool);
	sh->updates = 20000 * lfp_test_scale();

	for (i = 0; i < NREADERS; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, reader_main, sh),
				 0);
	for (i = 0; i < NUPDATERS; i++)
		ck_assert_int_eq(pthread_create(&u[i], NULL, updater_main, sh),
				 0);
	for (i = 0; i < NUPDATERS; i++)
		ck_assert_int_eq(pthread_join(u[i], NULL), 0);
	atomic_store(&sh->stop, 1);
	for (i = 0; i < NREADERS; i++)
		ck_assert_int_eq(pthread_join(r[i], NULL), 0);
	ck_assert_msg(!atomic_load(&sh->reused),
		      "a reader saw its node handed out again inside its "
		      "read-side section");
	ck_assert_uint_gt(atomic_load(&sh->reads), 0);

	/* Take the table's nodes back too, then wait for every batch. */
	for (i = 0; i < NSLOTS; i++) {
		struct node *n = atomic_exchange(&sh->slot[i], NULL);

		if (n)
			ck_assert_int_eq(lfp_objpool_put_rcu(sh->pool, n), 0);
	}
	ck_assert_int_eq(lfp_objpool_put_rcu(sh->pool, NULL), 0);
	ck_assert_int_eq(lfp_objpool_put_rcu(NULL, sh), -EINVAL);
	ck_assert_int_eq(lfp_objpool_flush(sh->pool), 0);
	/* The batches come back after their grace periods. */
	for (i = 0; i < 10000; i++) {
		const struct timespec ms = { 0, 1000000 };

		ck_assert_int_eq(lfp_objpool_stats(sh->pool, &st), 0);
		if (!st.deferred)
			break;
		nanosleep(&ms, NULL);
	}
	ck_assert_uint_eq(st.deferred, 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, st.puts);
	ck_assert_uint_eq(st.gets, NUPDATERS * sh->updates);
	ck_assert_uint_eq(st.cached, st.objects);
	ck_assert_int_eq(lfp_objpool_destroy(sh->pool), 0);
	free(sh);
}
END_TEST

/* Staged objects at destroy get their destructor; nothing is lost. */
static atomic_int dtors;

static void
count_dtor(void *obj, void *arg)
{
	atomic_fetch_add(&dtors, 1);
}

START_TEST(test_destroy_with_staged)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *o[5];

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 64;
	attr.mag_rounds = 16;
	attr.dtor = count_dtor;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_nonnull(o[i] = lfp_objpool_get(pool));
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(lfp_objpool_put_rcu(pool, o[i]), 0);
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.deferred, 5);
	ck_assert_uint_eq(st.in_use, 5);
	atomic_store(&dtors, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	ck_assert_uint_eq(atomic_load(&dtors), st.objects);
}
END_TEST

static Suite *
rcu_suite(void)
{
	Suite *s = suite_create("rcu");
	TCase *tc = lfp_test_tcase(s, "rcu");

	tcase_add_test(tc, stress_put_rcu);
	tcase_add_test(tc, test_destroy_with_staged);
	tcase_set_timeout(tc, 60 * lfp_test_scale() + 60);
	return s;
}

int
main(void)
{
	return lfp_test_run(rcu_suite());
}
