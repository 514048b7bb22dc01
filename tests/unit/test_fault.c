/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - fault injection: make the n-th memory request of a fixed
 * scenario fail, for every n the scenario makes, over object and buffer
 * pools (create, carve, chunk map, magazine allocation, cache creation in
 * a new thread, thread map growth). Each time, every call either succeeds
 * or fails with ENOMEM; once memory is back, the pools work, their counts
 * add up, and after destroy the library holds exactly the mappings and
 * bookkeeping blocks it held before (no leak; the ASan build adds
 * LeakSanitizer on top).
 */
#include "internal.h"
#include "test-common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lfpool.h>

#define NOBJ 300
#define NCLASS 15       /* 16 B .. 256 KiB */

struct world {
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	void *held[NOBJ];       /* objects whose put failed, to retry */
	size_t nheld;
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
		int rc = lfp_objpool_put(w->op, objs[i]);

		if (rc == -ENOMEM)
			w->held[w->nheld++] = objs[i];
		else if (rc)
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
		/* A put may need a magazine: retry until memory allows. */
		if (lfp_bufpool_free(w->bp, b) == -ENOMEM &&
		    lfp_bufpool_free(w->bp, b))
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

	for (size_t i = 0; i < w->nheld; i++)
		ck_assert_int_eq(lfp_objpool_put(w->op, w->held[i]), 0);
	w->nheld = 0;
	if (w->op) {
		use_objpool(w, NOBJ);
		ck_assert_uint_eq(w->nheld, 0);
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
	uint64_t start, total, maps0, meta0, walked = 0;

	/* A dry run: count the scenario's requests, settle one-time state. */
	memset(&w, 0, sizeof(w));
	start = lfp_fault_requests();
	scenario(&w);
	total = lfp_fault_requests() - start;
	recover_and_destroy(&w);
	ck_assert_uint_gt(total, 10);
	maps0 = lfp_os_live_maps();
	meta0 = lfp_meta_live();

	for (uint64_t n = 1; n <= total; n++) {
		memset(&w, 0, sizeof(w));
		lfp_fault_fail_nth(n);
		scenario(&w);
		lfp_fault_fail_nth(0);
		recover_and_destroy(&w);
		ck_assert_msg(lfp_os_live_maps() == maps0,
			      "request %llu failed: %llu mappings left, %llu "
			      "before", (unsigned long long)n,
			      (unsigned long long)lfp_os_live_maps(),
			      (unsigned long long)maps0);
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

int
main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");

	tcase_add_test(tc, test_fail_every_request);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	return lfp_test_run(s);
}
