/* SPDX-License-Identifier: MIT */
/*
 * test_budget.c - byte budgets (attribute max_bytes): a pool never holds
 * more chunk memory than its budget; at the budget a get first brings
 * back what other caches hold (another CPU's, in per-CPU mode), a buffer
 * pool gives other classes' cached chunks back to the system, and only
 * then does a get fail, with ENOMEM. Budgets below one chunk are refused.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include "test-common.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <lfpool.h>

#define CHUNK ((size_t)64 << 10)        /* chunk of small objects */

static struct lfp_objpool *
budget_pool(size_t size, size_t max_bytes, int mode)
{
	struct lfp_objpool_attr attr;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.max_bytes = max_bytes;
	attr.cache_mode = mode;
	return lfp_objpool_create(&attr);
}

/* Get until the pool says no; returns how many, objects in @objs. */
static size_t
get_all(struct lfp_objpool *pool, void **objs, size_t max)
{
	size_t n = 0;

	errno = 0;
	while (n < max && (objs[n] = lfp_objpool_get(pool)))
		n++;
	return n;
}

START_TEST(test_objpool_budget_edge)
{
	enum { MAX = 4 * CHUNK / 64 };
	void **objs = calloc(MAX, sizeof(*objs));
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	size_t n, n2;

	ck_assert_ptr_nonnull(objs);
	errno = 0;
	ck_assert_ptr_null(budget_pool(64, CHUNK - 1, 0));
	ck_assert_int_eq(errno, EINVAL);

	pool = budget_pool(64, 2 * CHUNK, 0);
	ck_assert_ptr_nonnull(pool);
	n = get_all(pool, objs, MAX);
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(n, 2 * CHUNK / 64);   /* every byte used */
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.chunks, 2);
	ck_assert_uint_eq(st.bytes_limit, 2 * CHUNK);
	ck_assert_uint_eq(st.in_use, n);
	/* one back, one out again; still nothing more */
	ck_assert_int_eq(lfp_objpool_put(pool, objs[--n]), 0);
	ck_assert_ptr_nonnull(objs[n] = lfp_objpool_get(pool));
	n++;
	errno = 0;
	ck_assert_ptr_null(lfp_objpool_get(pool));
	ck_assert_int_eq(errno, ENOMEM);
	/* all back, all out again: the same objects, no new chunk */
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n), n);
	n2 = get_all(pool, objs, MAX);
	ck_assert_uint_eq(n2, n);
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.chunks, 2);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n2), n2);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	free(objs);
}
END_TEST

static bool
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

/*
 * Per-CPU: everything cached on CPU 0; a thread on CPU 1 at the budget
 * still gets every object, drained from CPU 0's cache.
 */
START_TEST(test_objpool_budget_reclaims_cpu_caches)
{
	enum { MAX = 2 * CHUNK / 64 };
	void **objs = calloc(MAX, sizeof(*objs));
	struct lfp_objpool *pool;
	cpu_set_t saved;
	size_t n, n2;

	ck_assert_ptr_nonnull(objs);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(saved), &saved), 0);
	pool = budget_pool(64, 2 * CHUNK, LFP_CACHE_PER_CPU);
	ck_assert_ptr_nonnull(pool);
	if (lfp_objpool_cache_mode(pool) != LFP_CACHE_PER_CPU ||
	    !CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved) || !pin(0)) {
		printf("# SKIP needs per-CPU mode and CPUs 0 and 1\n");
		ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
		free(objs);
		return;
	}
	n = get_all(pool, objs, MAX);
	ck_assert_uint_eq(n, MAX);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n), n);
	ck_assert(pin(1));
	n2 = get_all(pool, objs, MAX);
	ck_assert_uint_eq(sched_setaffinity(0, sizeof(saved), &saved), 0);
	ck_assert_uint_eq(n2, n);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n2), n2);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	free(objs);
}
END_TEST

/* Chunk memory of a buffer pool: a class's chunks hold max(64 KiB, 4
 * buffers). */
static uint64_t
chunk_bytes(const struct lfp_bufpool_stats *st)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < st->nclasses; i++)
		sum += st->cls[i].chunks *
		       (st->cls[i].size * 4 > CHUNK ? st->cls[i].size * 4 :
							CHUNK);
	return sum;
}

/* A buffer pool's budget is shared: cached chunks of one class make
 * room for another class at the budget. */
START_TEST(test_bufpool_budget_across_classes)
{
	enum { NSMALL = 4 * CHUNK / 1024, NBIG = 4 * CHUNK / CHUNK };
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *small[NSMALL + 1], *big[NBIG + 1];
	size_t n, k;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.max_size = CHUNK;
	attr.max_bytes = CHUNK;         /* below the 64 KiB class's chunk */
	errno = 0;
	ck_assert_ptr_null(lfp_bufpool_create(&attr));
	ck_assert_int_eq(errno, EINVAL);

	attr.max_bytes = 16 * CHUNK;    /* 1 MiB: one chunk of 64 KiB class */
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	/* fill 1 KiB buffers up to the budget */
	for (n = 0; n < NSMALL * 4 + 1; n++) {
		void *b = lfp_bufpool_alloc(bp, 1024);

		if (!b)
			break;
		if (n < NSMALL)
			small[n] = b;
		else
			ck_assert_int_eq(lfp_bufpool_free(bp, b), 0);
	}
	ck_assert_uint_ge(n, NSMALL);
	for (k = 0; k < NSMALL; k++)
		ck_assert_int_eq(lfp_bufpool_free(bp, small[k]), 0);
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	ck_assert_uint_le(chunk_bytes(&st), st.bytes_limit);
	/* now 64 KiB buffers: room is made from the 1 KiB class's chunks */
	for (k = 0; k < NBIG; k++) {
		big[k] = lfp_bufpool_alloc(bp, CHUNK);
		ck_assert_msg(big[k] != NULL, "64 KiB buffer %zu: errno %d",
			      k, errno);
	}
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	ck_assert_uint_eq(st.bytes_limit, 16 * CHUNK);
	ck_assert_uint_le(chunk_bytes(&st), st.bytes_limit);
	for (k = 0; k < NBIG; k++)
		ck_assert_int_eq(lfp_bufpool_free(bp, big[k]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

static Suite *
budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = lfp_test_tcase(s, "budget");

	tcase_add_test(tc, test_objpool_budget_edge);
	tcase_add_test(tc, test_objpool_budget_reclaims_cpu_caches);
	tcase_add_test(tc, test_bufpool_budget_across_classes);
	return s;
}

int
main(void)
{
	return lfp_test_run(budget_suite());
}
