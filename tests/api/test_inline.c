/* SPDX-License-Identifier: MIT */
/*
 * test_inline.c - the inline fast path of object pools (<lfpool/inline.h>)
 * against the exported functions. This file is built twice: test_inline
 * as a program gets it by default, test_inline_noinline with LFP_NO_INLINE
 * defined. Both run the same calls and check the same results (objects,
 * order, errors, errno, statistics) in per-CPU and per-thread mode, plain
 * and checked, of object pools and of buffer-pool allocs. Both are
 * linked with --wrap for the five inline calls, which
 * counts what reaches the exported functions: every call without the
 * inline path; with it, only misses (a thread's first use, a magazine
 * exchange) and every call of a checked pool, or of any pool when the
 * library hides cached objects from AddressSanitizer or valgrind (in an
 * ASan build, or under valgrind: then every call runs out of line).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lfpool.h>

#include "test-api.h"

/* What the header gives: the macros, or the plain declarations. */
#if defined(LFP_NO_INLINE) == defined(lfp_objpool_get) || \
    defined(LFP_NO_INLINE) == defined(lfp_objpool_put_bulk)
#error "LFP_NO_INLINE does not decide whether the calls are inline"
#endif

/* Calls that reached the exported functions (the linker's --wrap). */
static struct {
	unsigned long get, put, get_bulk, put_bulk, alloc;
} out_of_line;

void *__real_lfp_objpool_get(struct lfp_objpool *pool);
int __real_lfp_objpool_put(struct lfp_objpool *pool, void *obj);
size_t __real_lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs,
				   size_t n);
size_t __real_lfp_objpool_put_bulk(struct lfp_objpool *pool,
				   void *const *objs, size_t n);
void *__real_lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n);
void *__wrap_lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n);
void *__wrap_lfp_objpool_get(struct lfp_objpool *pool);
int __wrap_lfp_objpool_put(struct lfp_objpool *pool, void *obj);
size_t __wrap_lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs,
				   size_t n);
size_t __wrap_lfp_objpool_put_bulk(struct lfp_objpool *pool,
				   void *const *objs, size_t n);

void *
__wrap_lfp_objpool_get(struct lfp_objpool *pool)
{
	out_of_line.get++;
	return __real_lfp_objpool_get(pool);
}

int
__wrap_lfp_objpool_put(struct lfp_objpool *pool, void *obj)
{
	out_of_line.put++;
	return __real_lfp_objpool_put(pool, obj);
}

size_t
__wrap_lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs, size_t n)
{
	out_of_line.get_bulk++;
	return __real_lfp_objpool_get_bulk(pool, objs, n);
}

size_t
__wrap_lfp_objpool_put_bulk(struct lfp_objpool *pool, void *const *objs,
			    size_t n)
{
	out_of_line.put_bulk++;
	return __real_lfp_objpool_put_bulk(pool, objs, n);
}

void *
__wrap_lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n)
{
	out_of_line.alloc++;
	return __real_lfp_bufpool_alloc(bp, n);
}

/* The configurations of the loop tests. */
static const struct {
	int mode;
	bool checked;
	const char *name;
} configs[] = {
	{ LFP_CACHE_PER_CPU, false, "per-CPU" },
	{ LFP_CACHE_PER_THREAD, false, "per-thread" },
	{ LFP_CACHE_PER_CPU, true, "per-CPU, checked" },
	{ LFP_CACHE_PER_THREAD, true, "per-thread, checked" },
};

#ifdef LFP_NO_INLINE
#define INLINE_BUILD 0
#else
#define INLINE_BUILD 1
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

/* Does the library keep pool @i's calls out of line (its slow path runs
 * checked mode or the sanitizer hooks)? */
static bool
all_out_of_line(int i)
{
	return configs[i].checked || ASAN_BUILD || RUNNING_ON_VALGRIND;
}

#define ROUNDS 8u               /* objects per magazine */
#define PAIRS 1000u

/* Stay on the CPU we run on, so that per-CPU runs see one cache. */
static void
pin_here(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static struct lfp_objpool *
make_pool(int i)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;

	lfp_objpool_attr_init(&attr);
	attr.size = 64;
	attr.mag_rounds = ROUNDS;
	attr.cache_mode = configs[i].mode;
	attr.flags = configs[i].checked ? LFP_OBJPOOL_F_CHECKED : 0;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

/*
 * The same calls in both builds, with the same results: LIFO reuse,
 * distinct objects in bulk, NULL entries skipped, errno left alone on
 * success, exact statistics; then how many calls went out of line.
 */
START_TEST(test_same_results)
{
	struct lfp_objpool *pool;
	struct lfp_objpool_stats st;
	void *objs[3 * ROUNDS], *o, *p;
	uint64_t gets = 0, puts = 0;
	unsigned long calls;

	pin_here();
	pool = make_pool(_i);
	memset(&out_of_line, 0, sizeof(out_of_line));

	errno = ERRNO_SENTINEL;
	o = lfp_objpool_get(pool);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(lfp_objpool_put(pool, o), 0);
	gets++, puts++;
	for (unsigned int i = 0; i < PAIRS; i++) {
		p = lfp_objpool_get(pool);
		ck_assert_ptr_eq(p, o);       /* the last object put comes back */
		memset(p, (int)i, 64);
		ck_assert_int_eq(lfp_objpool_put(pool, p), 0);
	}
	gets += PAIRS, puts += PAIRS;
	ck_assert_int_eq(errno, ERRNO_SENTINEL);

	/* Bulk within a magazine, then larger than two. */
	for (size_t n = 1; n <= ROUNDS / 2; n++) {
		ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, n), n);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < i; j++)
				ck_assert_ptr_ne(objs[i], objs[j]);
		ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, n), n);
		gets += n, puts += n;
	}
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 3 * ROUNDS),
			  3 * ROUNDS);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 3 * ROUNDS),
			  3 * ROUNDS);
	gets += 3 * ROUNDS, puts += 3 * ROUNDS;
	/* A NULL entry is skipped, whichever path handles the call. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 3), 3);
	p = objs[1];
	objs[1] = NULL;
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 3), 3);
	ck_assert_int_eq(lfp_objpool_put(pool, p), 0);
	gets += 3, puts += 3;
	ck_assert_int_eq(errno, ERRNO_SENTINEL);

	/* Bad arguments, the same errors. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 0), 0);
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, NULL, 0), 0);
	ck_assert_int_eq(lfp_objpool_put(pool, NULL), 0);
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	ck_assert_ptr_null(lfp_objpool_get(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = ERRNO_SENTINEL;
	ck_assert_int_eq(lfp_objpool_put(NULL, o), -EINVAL);
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	ck_assert_uint_eq(lfp_objpool_get_bulk(NULL, objs, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = ERRNO_SENTINEL;
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, NULL, 1), 0);
	ck_assert_int_eq(errno, EINVAL);
	errno = ERRNO_SENTINEL;
	ck_assert_uint_eq(lfp_objpool_put_bulk(NULL, objs, 1), 0);
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(lfp_objpool_stats_get(pool, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.gets, gets);
	ck_assert_uint_eq(st.puts, puts);
	ck_assert_uint_eq(st.in_use, 0);

	calls = out_of_line.get + out_of_line.put + out_of_line.get_bulk +
		out_of_line.put_bulk;
	if (!INLINE_BUILD || all_out_of_line(_i)) {
		/* Every call: 2 + 2 * PAIRS, 2 * ROUNDS / 2 + 2 + 3 bulk, the
		 * bad-argument ones (4 + 4). */
		ck_assert_uint_eq(out_of_line.get, 1 + PAIRS + 1);
		ck_assert_uint_eq(out_of_line.put, 1 + PAIRS + 1 + 2);
		ck_assert_uint_eq(out_of_line.get_bulk, ROUNDS / 2 + 2 + 3);
		ck_assert_uint_eq(out_of_line.put_bulk, ROUNDS / 2 + 2 + 2);
	} else {
		/* The first use, the magazine exchanges of the big bulk
		 * calls, the NULL entry and the bad arguments; a migration
		 * may add a few misses. */
		ck_assert_msg(calls < 40, "%lu calls out of line (%s)", calls,
			      configs[_i].name);
		ck_assert_uint_ge(out_of_line.get, 2);  /* first use, NULL */
	}
	(void)calls;
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/*
 * A bulk put with a NULL entry at any place, in bulks of odd and even
 * sizes (the per-CPU sequence copies an odd one, then two at a time):
 * the NULL is skipped, every other object goes back, and comes out again.
 */
START_TEST(test_bulk_null_anywhere)
{
	struct lfp_objpool *pool;
	struct lfp_objpool_stats st;
	void *objs[ROUNDS], *again[ROUNDS], *held;
	uint64_t gets = 0, puts = 0;

	pin_here();
	pool = make_pool(_i);
	for (size_t k = 1; k <= ROUNDS; k++) {
		for (size_t at = 0; at < k; at++) {
			ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, k), k);
			held = objs[at];
			objs[at] = NULL;
			ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, k), k);
			ck_assert_int_eq(lfp_objpool_put(pool, held), 0);
			gets += k, puts += k;
			/* All k are back: k distinct objects come out. */
			ck_assert_uint_eq(lfp_objpool_get_bulk(pool, again, k), k);
			for (size_t i = 0; i < k; i++) {
				ck_assert_ptr_nonnull(again[i]);
				for (size_t j = 0; j < i; j++)
					ck_assert_ptr_ne(again[i], again[j]);
			}
			ck_assert_uint_eq(lfp_objpool_put_bulk(pool, again, k), k);
			gets += k, puts += k;
		}
	}
	ck_assert_int_eq(lfp_objpool_stats_get(pool, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.gets, gets);
	ck_assert_uint_eq(st.puts, puts);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/*
 * Bulk calls of a magazine's size on a cache whose two magazines hold 4
 * and 8 rounds: the first get is served by the full magazine alone, and
 * every later get and put of 8 hits inline. Split over both, as before,
 * the magazines would stay at 4 and 0, then 4 and 8, and every call would
 * go out of line (40 of the 40 here).
 */
START_TEST(test_bulk_settles)
{
	struct lfp_objpool *pool;
	struct lfp_objpool_stats st;
	void *objs[2 * ROUNDS], *held[ROUNDS / 2];
	unsigned long calls;

	if (configs[_i].checked)
		return;	/* checked pools are out of line (test_same_results) */
	pin_here();
	pool = make_pool(_i);
	/* Both magazines emptied, then 4 + 8 put: 4 loaded, 8 previous. */
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 2 * ROUNDS),
			  2 * ROUNDS);
	memcpy(held, objs + ROUNDS + ROUNDS / 2, sizeof(held));
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, ROUNDS),
			  ROUNDS);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs + ROUNDS,
					       ROUNDS / 2), ROUNDS / 2);
	memset(&out_of_line, 0, sizeof(out_of_line));
	for (unsigned int k = 0; k < 20; k++) {
		ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, ROUNDS),
				  ROUNDS);
		for (size_t i = 0; i < ROUNDS; i++)
			for (size_t j = 0; j < i; j++)
				ck_assert_ptr_ne(objs[i], objs[j]);
		ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, ROUNDS),
				  ROUNDS);
	}
	calls = out_of_line.get_bulk + out_of_line.put_bulk;
	if (INLINE_BUILD && !all_out_of_line(_i))
		/* The first get; a migration or preemption may add some. */
		ck_assert_msg(calls <= 4, "%lu of 40 bulk calls out of line "
			      "(%s)", calls, configs[_i].name);
	ck_assert_int_eq(lfp_objpool_stats_get(pool, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.in_use, ROUNDS / 2);
	ck_assert_uint_eq(st.objects, 2 * ROUNDS);     /* nothing carved */
	ck_assert_uint_eq(st.depot_gets + st.depot_puts, 0);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, held, ROUNDS / 2),
			  ROUNDS / 2);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

/*
 * The copy behind every inline bulk put finds a NULL at any place, and
 * only a NULL: it compares 32-bit halves, and a pointer with one half
 * zero (low or high) is not one. The values are never dereferenced.
 */
START_TEST(test_copy_finds_null)
{
	static const uintptr_t half_zero[] = {
		(uintptr_t)1 << 32, (uintptr_t)0x1234, UINTPTR_MAX,
	};
	void *src[9], *dst[9];

	for (size_t h = 0; h < ARRAY_SIZE(half_zero); h++) {
		for (size_t k = 1; k <= ARRAY_SIZE(src); k++) {
			for (size_t i = 0; i < k; i++)
				src[i] = (void *)(half_zero[h] ^ (i << 40));
			ck_assert_int_eq(lfp_fast_copy(dst, src, k), 0);
			ck_assert_int_eq(memcmp(dst, src, k * sizeof(*src)), 0);
			for (size_t at = 0; at < k; at++) {
				void *keep = src[at];

				src[at] = NULL;
				ck_assert_msg(lfp_fast_copy(dst, src, k) != 0,
					      "NULL at %zu of %zu missed", at,
					      k);
				src[at] = keep;
			}
		}
	}
}
END_TEST

/*
 * Buffer-pool allocs of every class and at the edges (0 bytes, a class's
 * exact size, one byte more, the largest, one byte too many), freed and
 * allocated again: the same capacities, LIFO reuse, errors and counts in
 * both builds; with the inline path only misses call the library.
 */
START_TEST(test_bufpool_alloc)
{
	/* Eight classes: each has a recent entry of its own (there are
	 * LFP_FAST_RECENT), so a class never evicts another's. */
	static const size_t sizes[] = { 0, 1, 16, 17, 100, 1024, 1025,
					2048 };
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;
	struct lfp_bufpool_stats st;
	unsigned long allocs = 0;
	void *b, *c;

	pin_here();
	lfp_bufpool_attr_init(&attr);
	attr.min_size = 16;
	attr.max_size = 2048;
	attr.cache_mode = configs[_i].mode;
	attr.flags = configs[_i].checked ? LFP_BUFPOOL_F_CHECKED : 0;
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	memset(&out_of_line, 0, sizeof(out_of_line));
	errno = ERRNO_SENTINEL;
	for (unsigned int r = 0; r < 100; r++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			size_t want = sizes[i] <= 16 ? 16 : sizes[i];

			while (want & (want - 1))
				want += want & -want;  /* up to a power of 2 */
			b = lfp_bufpool_alloc(bp, sizes[i]);
			ck_assert_ptr_nonnull(b);
			ck_assert_uint_eq(lfp_bufpool_capacity(bp, b), want);
			ck_assert_int_eq(lfp_bufpool_free(bp, b), 0);
			c = lfp_bufpool_alloc(bp, sizes[i]);
			ck_assert_ptr_eq(c, b);
			ck_assert_int_eq(lfp_bufpool_free(bp, c), 0);
			allocs += 2;
		}
	}
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	ck_assert_ptr_null(lfp_bufpool_alloc(bp, 2049));
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_ptr_null(lfp_bufpool_alloc(NULL, 16));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(lfp_bufpool_stats_get(bp, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.allocs, allocs);
	ck_assert_uint_eq(st.frees, allocs);
	if (!INLINE_BUILD || all_out_of_line(_i))
		ck_assert_uint_eq(out_of_line.alloc, allocs + 2);
	else  /* each class's first use, the two refused */
		ck_assert_msg(out_of_line.alloc < 40, "%lu allocs out of line",
			      out_of_line.alloc);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* The exported functions stay reachable by name in both builds. */
START_TEST(test_by_name)
{
	struct lfp_objpool *pool = make_pool(1);
	void *(*get)(struct lfp_objpool *) = &lfp_objpool_get;
	int (*put)(struct lfp_objpool *, void *) = lfp_objpool_put;
	void *o;

	memset(&out_of_line, 0, sizeof(out_of_line));
	o = get(pool);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(put(pool, o), 0);
	ck_assert_ptr_eq((lfp_objpool_get)(pool), o);
	ck_assert_int_eq((lfp_objpool_put)(pool, o), 0);
	ck_assert_uint_eq(out_of_line.get, 2);
	ck_assert_uint_eq(out_of_line.put, 2);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("inline");
	TCase *tc = lfp_test_tcase(s, "inline");

	tcase_add_loop_test(tc, test_same_results, 0, ARRAY_SIZE(configs));
	tcase_add_loop_test(tc, test_bulk_null_anywhere, 0,
			    ARRAY_SIZE(configs));
	tcase_add_loop_test(tc, test_bufpool_alloc, 0, ARRAY_SIZE(configs));
	tcase_add_loop_test(tc, test_bulk_settles, 0, ARRAY_SIZE(configs));
	tcase_add_test(tc, test_by_name);
	tcase_add_test(tc, test_copy_finds_null);
	return lfp_test_run(s);
}
