/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - fault injection: make the n-th memory request of a fixed
 * scenario fail, for every n the scenario makes, over object and buffer
 * pools (create, carve, chunk map, magazine allocation, cache creation in
 * a new thread, thread map growth). Each time, every call either succeeds
 * or fails with ENOMEM; once memory is back, the pools work, their counts
 * add up, and after destroy the library holds exactly the mappings and
 * bookkeeping blocks it held before (no leak; the ASan build adds
 * LeakSanitizer on top). A put of a pool's own object never fails, even
 * with every request failing (the spill); and when membarrier fails,
 * per-CPU mode ends instead of touching a CPU's cache unprotected.
 */
#define _GNU_SOURCE
#include "chunkmap.h"
#include "internal.h"
#include "pcpu.h"
#include "test-child.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lfpool.h>

#define NOBJ 300
#define NCLASS 15       /* 16 B .. 256 KiB */

struct world {
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	int bad;                /* a call failed with something else */
};

static void
expect_enomem(struct world *w, bool ok)
{
	if (!ok && errno != ENOMEM)
		w->bad++;
}

static void
use_objpool(struct world *w, size_t n)
{
	void *objs[NOBJ];
	size_t got = 0;

	if (!w->op)
		return;
	for (size_t i = 0; i < n; i++) {
		void *o = lfp_objpool_get(w->op);

		expect_enomem(w, o != NULL);
		if (o)
			objs[got++] = o;
	}
	for (size_t i = 0; i < got; i++) {
		/* A put of the pool's own object never fails. */
		if (lfp_objpool_put(w->op, objs[i]))
			w->bad++;
	}
}

static void
use_bufpool(struct world *w)
{
	if (!w->bp)
		return;
	for (int k = 0; k < NCLASS; k++) {
		size_t n = (size_t)16 << k;
		void *b = lfp_bufpool_alloc(w->bp, n);

		expect_enomem(w, b != NULL);
		if (!b)
			continue;
		memset(b, 0x5a, n);
		if (lfp_bufpool_free(w->bp, b))
			w->bad++;
	}
}

static void *
thread_main(void *arg)
{
	struct world *w = arg;

	use_objpool(w, 20);
	use_bufpool(w);
	return NULL;
}

/* The scenario; memory requests may fail anywhere inside. */
static void
scenario(struct world *w)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;
	pthread_t t;

	lfp_objpool_attr_init(&oa);
	oa.size = 64;
	oa.mag_rounds = 4;
	w->op = lfp_objpool_create(&oa);
	expect_enomem(w, w->op != NULL);
	lfp_bufpool_attr_init(&ba);
	w->bp = lfp_bufpool_create(&ba);
	expect_enomem(w, w->bp != NULL);
	use_objpool(w, NOBJ);
	use_bufpool(w);
	ck_assert_int_eq(pthread_create(&t, NULL, thread_main, w), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	lfp_thread_flush();
}

/* Memory is back: everything must work and add up, then go away. */
static void
recover_and_destroy(struct world *w)
{
	struct lfp_objpool_stats os;
	struct lfp_bufpool_stats bs;

	if (w->op) {
		use_objpool(w, NOBJ);
		ck_assert_int_eq(lfp_objpool_stats(w->op, &os), 0);
		ck_assert_uint_eq(os.in_use, 0);
		ck_assert_uint_eq(os.gets, os.puts);
		ck_assert_int_eq(lfp_objpool_destroy(w->op), 0);
	}
	if (w->bp) {
		use_bufpool(w);
		ck_assert_int_eq(lfp_bufpool_stats(w->bp, &bs), 0);
		ck_assert_uint_eq(bs.bytes_in_use, 0);
		ck_assert_uint_eq(bs.allocs, bs.frees);
		ck_assert_int_eq(lfp_bufpool_destroy(w->bp), 0);
	}
	ck_assert_int_eq(w->bad, 0);
}

START_TEST(test_fail_every_request)
{
	struct world w;
	uint64_t start, total, maps, maps0, meta0, walked = 0;

	/* A dry run: count the scenario's requests, settle one-time state. */
	memset(&w, 0, sizeof(w));
	start = lfp_fault_requests();
	scenario(&w);
	total = lfp_fault_requests() - start;
	recover_and_destroy(&w);
	ck_assert_uint_gt(total, 10);
	/*
	 * Chunk-map leaves stay for good, and a run whose chunks land in a
	 * new region of the address space maps one more: they do not count.
	 */
	maps0 = lfp_os_live_maps() - lfp_chunkmap_leaves();
	meta0 = lfp_meta_live();

	for (uint64_t n = 1; n <= total; n++) {
		memset(&w, 0, sizeof(w));
		lfp_fault_fail_nth(n);
		scenario(&w);
		lfp_fault_fail_nth(0);
		recover_and_destroy(&w);
		maps = lfp_os_live_maps() - lfp_chunkmap_leaves();
		ck_assert_msg(maps == maps0,
			      "request %llu failed: %llu mappings left, %llu "
			      "before", (unsigned long long)n,
			      (unsigned long long)maps, (unsigned long long)maps0);
		ck_assert_msg(lfp_meta_live() == meta0,
			      "request %llu failed: %llu blocks left, %llu "
			      "before", (unsigned long long)n,
			      (unsigned long long)lfp_meta_live(),
			      (unsigned long long)meta0);
		walked++;
	}
	ck_assert_uint_eq(walked, total);
	printf("# fault injection: %llu request sites walked\n",
		(unsigned long long)walked);
	fflush(stdout);
}
END_TEST

#define NOUT 2000

struct out {
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	void *objs[NOUT], *bufs[NOUT];
	int bad;
};

/* A thread new to both pools puts everything back, with no memory. */
static void *
put_back_main(void *arg)
{
	struct out *o = arg;

	for (size_t i = 0; i < NOUT; i++) {
		o->bad += lfp_objpool_put(o->op, o->objs[i]) != 0;
		o->bad += lfp_bufpool_free(o->bp, o->bufs[i]) != 0;
	}
	o->bad += lfp_objpool_put_bulk(o->op, NULL, 0) != 0;
	return NULL;
}

/*
 * Every put of the pools' own objects succeeds while every memory
 * request fails, from a thread that has no cache yet and with magazines
 * of 4, so that each few puts would need a new magazine; afterwards the
 * same objects come back and nothing new was carved.
 */
START_TEST(test_put_without_memory)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;
	struct lfp_objpool_stats os;
	struct lfp_bufpool_stats bs;
	static struct out o;
	uint64_t objects;
	pthread_t t;

	memset(&o, 0, sizeof(o));
	lfp_objpool_attr_init(&oa);
	oa.size = 48;
	oa.mag_rounds = 4;
	oa.cache_mode = _i ? LFP_CACHE_PER_THREAD : LFP_CACHE_AUTO;
	o.op = lfp_objpool_create(&oa);
	ck_assert_ptr_nonnull(o.op);
	lfp_bufpool_attr_init(&ba);
	ba.cache_mode = oa.cache_mode;
	o.bp = lfp_bufpool_create(&ba);
	ck_assert_ptr_nonnull(o.bp);
	for (size_t i = 0; i < NOUT; i++) {
		o.objs[i] = lfp_objpool_get(o.op);
		o.bufs[i] = lfp_bufpool_alloc(o.bp, 100);
		ck_assert_ptr_nonnull(o.objs[i]);
		ck_assert_ptr_nonnull(o.bufs[i]);
	}
	ck_assert_int_eq(lfp_objpool_stats(o.op, &os), 0);
	objects = os.objects;

	lfp_fault_fail_all(true);
	ck_assert_int_eq(pthread_create(&t, NULL, put_back_main, &o), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	lfp_fault_fail_all(false);
	ck_assert_int_eq(o.bad, 0);

	ck_assert_int_eq(lfp_objpool_stats(o.op, &os), 0);
	ck_assert_uint_eq(os.in_use, 0);
	ck_assert_uint_eq(os.gets, os.puts);
	ck_assert_int_eq(lfp_bufpool_stats(o.bp, &bs), 0);
	ck_assert_uint_eq(bs.bytes_in_use, 0);
	/* Every object is there to be had again, with no new carving. */
	ck_assert_int_eq(lfp_objpool_flush(o.op), 0);
	for (size_t i = 0; i < NOUT; i++) {
		o.objs[i] = lfp_objpool_get(o.op);
		ck_assert_ptr_nonnull(o.objs[i]);
	}
	ck_assert_int_eq(lfp_objpool_stats(o.op, &os), 0);
	ck_assert_uint_eq(os.objects, objects);
	ck_assert_uint_eq(lfp_objpool_put_bulk(o.op, o.objs, NOUT), NOUT);
	ck_assert_int_eq(lfp_objpool_destroy(o.op), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(o.bp), 0);
}
END_TEST

static int cpus[2];     /* two CPUs the test may run on */

static void
pin(int k)
{
	req_eq(lfp_test_pin(cpus[k]), 0);
}

/*
 * membarrier fails while a flush drains the other CPU: that CPU's cache
 * must be left alone (a sequence may still run there), and per-CPU mode
 * ends for new pools. In a child: the change is for the process's life.
 */
static void
body_membarrier_fails(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p, *q;
	void *objs[8];

	lfp_objpool_attr_init(&a);
	a.size = 64;
	a.cache_mode = LFP_CACHE_PER_CPU;
	p = lfp_objpool_create(&a);
	req(p != NULL);
	req_eq(lfp_objpool_cache_mode(p), LFP_CACHE_PER_CPU);
	pin(0);
	for (int i = 0; i < 8; i++)
		req((objs[i] = lfp_objpool_get(p)) != NULL);
	for (int i = 0; i < 8; i++)
		req_eq(lfp_objpool_put(p, objs[i]), 0);
	req_eq(lfp_objpool_flush(p), 0);
	/* Now CPU 0's cache holds objects again, the depot some. */
	for (int i = 0; i < 8; i++)
		req((objs[i] = lfp_objpool_get(p)) != NULL);
	for (int i = 0; i < 8; i++)
		req_eq(lfp_objpool_put(p, objs[i]), 0);
	pin(1);
	req_eq(lfp_objpool_stats(p, &st), 0);
	uint64_t depot = st.depot_cached;

	lfp_pcpu_fail_membarrier(1000);
	req_eq(lfp_objpool_flush(p), 0);
	lfp_pcpu_fail_membarrier(0);
	req_eq(lfp_objpool_stats(p, &st), 0);
	req_eq(st.depot_cached, depot);         /* CPU 0's cache untouched */
	req(!lfp_pcpu_available());
	q = lfp_objpool_create(&a);
	req(q != NULL);
	req_eq(lfp_objpool_cache_mode(q), LFP_CACHE_PER_THREAD);
	/* The old pool still works, and destroy still finds everything. */
	pin(0);
	for (int i = 0; i < 8; i++)
		req((objs[i] = lfp_objpool_get(p)) != NULL);
	for (int i = 0; i < 8; i++)
		req_eq(lfp_objpool_put(p, objs[i]), 0);
	req_eq(lfp_objpool_stats(p, &st), 0);
	req_eq(st.in_use, 0);
	req_eq(lfp_objpool_destroy(p), 0);
	req_eq(lfp_objpool_destroy(q), 0);
}

START_TEST(test_membarrier_fails)
{
	if (!lfp_pcpu_available() || lfp_test_allowed_cpus(cpus, 2) < 2) {
		printf("# SKIP test_membarrier_fails: needs per-CPU caches "
		       "and two CPUs\n");
		return;
	}
	run_child(body_membarrier_fails, NULL, true);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = lfp_test_tcase(s, "fault");

	tcase_add_test(tc, test_fail_every_request);
	tcase_add_loop_test(tc, test_put_without_memory, 0, 2);
	tcase_add_test(tc, test_membarrier_fails);
	tcase_set_timeout(tc, 600);
	return lfp_test_run(s);
}
