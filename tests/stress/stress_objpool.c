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
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lfpool.h>

#include "test-common.h"
#include "stress-common.h"

/* The first failure of the run. */
#define w_fail(r, ...) stress_failf(&(r)->fail, __VA_ARGS__)

/* owner word of an object waiting in the exchange */
#define OWNER_EXCHANGE UINT64_MAX

#define MAX_BATCH 100
#define MAX_HELD 400
#define XCHG_SIZE 1024

/* The whole run: pool, counters, exchange, first failure. */
struct run {
	struct lfp_objpool *pool;
	size_t size;
	struct stress_team team;

	struct stress_counts counts;

	struct stress_ring xchg;

	struct stress_fail fail;
};

struct worker {
	struct run *run;
	unsigned int id;
	uint64_t seed;
	void *held[MAX_HELD];
	size_t nheld;
	unsigned long ops;
};

/* Claim @o for worker @w: owner @from -> w->id + 1 and mark the payload. */
static bool
claim(struct worker *w, struct stress_obj *o, uint64_t from)
{
	return stress_obj_claim(&w->run->fail, w->id, o,
				w->run->size - sizeof(*o), from);
}

/*
 * Release @o held by @w: check the first, last and a middle byte of the
 * payload, owner w->id + 1 -> @to.
 */
static bool
release(struct worker *w, struct stress_obj *o, uint64_t to)
{
	size_t payload = w->run->size - sizeof(*o);

	return stress_obj_release(&w->run->fail, w->id, o, payload,
				  payload / 2, to);
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
	got = stress_objpool_get_n(&r->fail, w->id, r->pool, dst, n,
				   (rnd >> 40) & 1);
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
	size_t n, i;

	if (!w->nheld)
		return;
	n = 1 + rnd % (w->nheld < MAX_BATCH ? w->nheld : MAX_BATCH);
	take_random(w, batch, n);
	for (i = 0; i < n; i++)
		if (!release(w, batch[i], 0))
			return;
	stress_objpool_put_n(&r->fail, w->id, r->pool, batch, n,
			     (rnd >> 40) & 1);
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
	stress_ring_lock(&r->xchg);
	if (n > stress_ring_room(&r->xchg))
		n = stress_ring_room(&r->xchg);
	take_random(w, batch, n);
	for (i = 0; i < n; i++) {
		if (!release(w, batch[i], OWNER_EXCHANGE))
			break;
		stress_ring_push(&r->xchg, batch[i], 0);
	}
	stress_ring_unlock(&r->xchg);
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
	stress_ring_lock(&r->xchg);
	for (i = 0; i < n && r->xchg.count; i++) {
		o = stress_ring_pop(&r->xchg).p;
		if (!claim(w, o, OWNER_EXCHANGE))
			break;
		w->held[w->nheld++] = o;
	}
	stress_ring_unlock(&r->xchg);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	size_t i;

	stress_team_wait(&r->team);
	while (stress_team_working(&r->team, &r->fail, w->ops)) {
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

static void
stress(size_t size, unsigned int rounds, const char *name)
{
	unsigned int nthreads = stress_nthreads(4);
	unsigned int scale = lfp_test_scale();
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct worker *workers;
	unsigned long ops = 0;
	uint64_t owner;
	struct run *r;
	struct stress_obj *o;

	STRESS_RUN_ALLOC(r, workers, nthreads, XCHG_SIZE);
	stress_counts_init(&r->counts);
	r->size = size;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = rounds;
	attr.ctor = stress_obj_ctor;
	attr.dtor = stress_obj_dtor;
	attr.arg = &r->counts;
	attr.name = name;
	r->pool = lfp_objpool_create(&attr);
	ck_assert_msg(r->pool != NULL, "create: errno %d", errno);

	STRESS_TEAM_RUN(r, workers, nthreads, worker_main, size, 2 * scale,
			ops);
	/* A TAP diagnostic: how much this run did (regtest figures). */
	printf("# stress objpool: %u threads, %lu operations\n", nthreads, ops);
	fflush(stdout);

	/* What is left in the exchange goes back from this thread. */
	while (r->xchg.count) {
		o = stress_ring_pop(&r->xchg).p;
		owner = atomic_load(&o->owner);
		ck_assert_uint_eq(o->magic, STRESS_OBJ_MAGIC);
		ck_assert_uint_eq(owner, OWNER_EXCHANGE);
		atomic_store(&o->owner, 0);
		ck_assert_int_eq(lfp_objpool_put(r->pool, o), 0);
	}

	/*
	 * Conservation: every object carved is cached exactly once. The
	 * flush brings what sits in every CPU's cache to the depot.
	 */
	st = stress_objpool_conserve(r->pool, size);
	ck_assert_uint_eq(st.gets, st.puts);
	ck_assert_uint_eq(st.objects, stress_count_of(&r->counts.ctors));
	ck_assert_uint_eq(st.ctor_failures, 0);
	ck_assert_uint_gt(st.objects, 0);

	ck_assert_int_eq(lfp_objpool_destroy(r->pool), 0);
	stress_counts_check_destroyed(&r->counts);

	STRESS_RUN_FREE(r, workers);
}

/* The runs: object size, magazine rounds (0: the default), pool name. */
static const struct {
	size_t size;
	unsigned int rounds;
	const char *name;
} runs[] = {
	{ 64, 0, "stress-64" },
	{ 64, 1, "stress-rounds1" },
	{ 4096, 0, "stress-4k" },
};

START_TEST(stress_run)
{
	stress(runs[_i].size, runs[_i].rounds, runs[_i].name);
}
END_TEST

STRESS_MAIN("stress_objpool")
