/* SPDX-License-Identifier: MIT */
/*
 * test_bufpool.c - black-box tests of the power-of-two buffer pools of
 * <lfpool/bufpool.h>, through the umbrella header only: attribute
 * defaults and validation (up to the 65535-pool limit, each class counting
 * as one pool), the documented answer to every bad argument, the size
 * classes at every boundary (capacity, alignment, the whole capacity
 * writable, E2BIG past the largest class), a 64 MiB class, refusal of
 * every kind of foreign or interior pointer without harm to the pool,
 * reuse of freed buffers, the statistics after a known sequence, the pool
 * name, frees from another thread than the allocator, the bound on what a
 * thread's cache keeps per class, and classes that never drift into one
 * another. Pools run in the cache mode the environment chooses
 * (LFP_CACHE_MODE), except where a test is about one thread's own cache
 * (lfp_thread_flush(), the bound on a thread's cache, caches handed back
 * at exit): those ask for per-thread caches, and the exchange between two
 * threads also runs once with the threads on fixed CPUs and
 * lfp_bufpool_flush() in the mode the environment chooses. Tests of one
 * thread's calls keep it on one CPU, where it meets one cache throughout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-api.h"

#define MIB ((size_t)1 << 20)
#define DEFAULT_MIN ((size_t)16)
#define DEFAULT_MAX (256 * KIB)
/* classes of a default pool: 16 B .. 256 KiB */
#define DEFAULT_NCLASSES 15u
#define POOL_LIMIT 65535u

static unsigned int
lg2(size_t x)
{
	unsigned int k = 0;

	while (((size_t)1 << k) < x)
		k++;
	return k;
}

/* The class a request of @n bytes belongs to in a pool whose smallest
 * class is @min (computed without overflow; n must not exceed 2^63). */
static size_t
class_of(size_t n, size_t min)
{
	size_t c = min;

	while (c < n)
		c <<= 1;
	return c;
}

/* The classes of a pool of @min .. @max. */
static unsigned int
nclasses_of(size_t min, size_t max)
{
	return lg2(max) - lg2(min) + 1;
}

/* A pool of classes @min .. @max, its caches in @mode (lfp_cache_mode). */
static struct lfp_bufpool *
make_pool_mode(size_t min, size_t max, const char *name, int mode)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = min;
	attr.max_size = max;
	attr.name = name;
	attr.cache_mode = mode;
	errno = 0;
	bp = lfp_bufpool_create(&attr);
	ck_assert_msg(bp != NULL, "create(min %zu, max %zu): errno %d", min,
		      max, errno);
	if (mode == LFP_CACHE_PER_THREAD)
		ck_assert_int_eq(lfp_bufpool_cache_mode(bp),
				 LFP_CACHE_PER_THREAD);
	return bp;
}

/* The same, in the cache mode the environment chooses (LFP_CACHE_AUTO). */
static struct lfp_bufpool *
make_pool(size_t min, size_t max, const char *name)
{
	return make_pool_mode(min, max, name, LFP_CACHE_AUTO);
}

static struct lfp_bufpool *
make_default_pool(void)
{
	return make_pool(DEFAULT_MIN, DEFAULT_MAX, NULL);
}

/* Check that @buf, a buffer asked with @n bytes, has the right capacity
 * and alignment; returns its capacity. */
static size_t
check_buffer(struct lfp_bufpool *bp, const void *buf, size_t n, size_t min)
{
	size_t want = class_of(n, min);
	size_t page = page_size();
	size_t align = want < page ? want : page;
	size_t cap;

	errno = ERRNO_SENTINEL;
	cap = lfp_bufpool_capacity(bp, buf);
	ck_assert_msg(cap == want, "alloc(%zu) = %p: capacity %zu, not %zu "
		      "(errno %d)", n, buf, cap, want, errno);
	ck_assert_uint_ge(cap, n);
	ck_assert_msg((uintptr_t)buf % align == 0, "alloc(%zu) = %p: not "
		      "aligned to %zu", n, buf, align);
	ck_assert_msg((uintptr_t)buf % 16 == 0, "alloc(%zu) = %p: not "
		      "aligned to 16", n, buf);
	return cap;
}

/* alloc(@n) must fail with @err. */
static void
expect_alloc_fails(struct lfp_bufpool *bp, size_t n, int err)
{
	void *buf;

	errno = 0;
	buf = lfp_bufpool_alloc(bp, n);
	ck_assert_msg(buf == NULL, "alloc(%zu) succeeded: %p", n, buf);
	ck_assert_msg(errno == err, "alloc(%zu): errno %d, not %d", n, errno,
		      err);
}

static unsigned char
fill_byte(size_t i)
{
	return (unsigned char)(i % 251 + 1);
}

static void
check_fill(const void *buf, size_t len, unsigned char c, const char *what)
{
	const unsigned char *p = buf;
	size_t i;

	/* assert only on a mismatch: every assertion marks a point */
	for (i = 0; i < len; i++)
		if (p[i] != c)
			ck_abort_msg("%s: byte %zu of %p is %#x, not %#x",
				     what, i, buf, p[i], c);
}

/* Every counter of @b equals that of @a: nothing happened in between. */
static void
check_stats_same(const struct lfp_bufpool_stats *a,
		 const struct lfp_bufpool_stats *b, const char *what)
{
	const struct lfp_bufpool_class_stats *x, *y;
	unsigned int i;

	ck_assert_uint_eq(a->nclasses, b->nclasses);
	ck_assert_msg(a->allocs == b->allocs && a->frees == b->frees &&
		      a->hits == b->hits, "%s: totals changed", what);
	ck_assert_msg(a->bytes_in_use == b->bytes_in_use &&
		      a->bytes_cached == b->bytes_cached &&
		      a->bytes_reserved == b->bytes_reserved,
		      "%s: byte totals changed", what);
	for (i = 0; i < a->nclasses; i++) {
		x = &a->cls[i];
		y = &b->cls[i];
		ck_assert_msg(x->size == y->size &&
			      x->mag_rounds == y->mag_rounds &&
			      x->allocs == y->allocs &&
			      x->frees == y->frees && x->hits == y->hits &&
			      x->buffers == y->buffers &&
			      x->in_use == y->in_use &&
			      x->cached == y->cached &&
			      x->depot_cached == y->depot_cached &&
			      x->chunks == y->chunks &&
			      x->bytes_reserved == y->bytes_reserved,
			      "%s: counters of the %zu-byte class changed",
			      what, x->size);
	}
}

/*
 * The figures of a quiet pool (no other thread at work) agree with each
 * other and with the pool's classes @min .. @max.
 */
static void
check_stats_consistent(const struct lfp_bufpool_stats *st, size_t min,
		       size_t max)
{
	uint64_t allocs = 0, frees = 0, hits = 0, in_use = 0, cached = 0;
	const struct lfp_bufpool_class_stats *c;
	unsigned int i, j;

	ck_assert_ptr_nonnull(st->name);
	ck_assert_uint_eq(st->nclasses, nclasses_of(min, max));
	for (i = 0; i < st->nclasses; i++) {
		c = &st->cls[i];
		ck_assert_msg(is_pow2(c->size) && c->size >= min &&
			      c->size <= max, "class %u has size %zu", i,
			      c->size);
		for (j = 0; j < i; j++)
			ck_assert_msg(st->cls[j].size != c->size,
				      "class of %zu bytes listed twice",
				      c->size);
		ck_assert_uint_ge(c->mag_rounds, 1);
		ck_assert_uint_eq(c->allocs - c->frees, c->in_use);
		ck_assert_uint_le(c->frees, c->allocs);
		ck_assert_uint_le(c->hits, c->allocs);
		ck_assert_msg(c->buffers == c->in_use + c->cached,
			      "%zu-byte class: %llu buffers, %llu in use, "
			      "%llu cached", c->size,
			      (unsigned long long)c->buffers,
			      (unsigned long long)c->in_use,
			      (unsigned long long)c->cached);
		ck_assert_uint_le(c->depot_cached, c->cached);
		if (c->buffers) {
			ck_assert_uint_ge(c->chunks, 1);
			ck_assert_uint_ge(c->bytes_reserved,
					  c->buffers * c->size);
		} else {
			ck_assert_uint_eq(c->chunks, 0);
		}
		allocs += c->allocs;
		frees += c->frees;
		hits += c->hits;
		in_use += c->in_use * c->size;
		cached += c->cached * c->size;
	}
	ck_assert_uint_eq(st->allocs, allocs);
	ck_assert_uint_eq(st->frees, frees);
	ck_assert_uint_eq(st->hits, hits);
	ck_assert_uint_eq(st->bytes_in_use, in_use);
	ck_assert_uint_eq(st->bytes_cached, cached);
	ck_assert_uint_ge(st->bytes_reserved, in_use + cached);
}

/* ---- attributes ---------------------------------------------------- */

START_TEST(test_attr_init_defaults)
{
	struct lfp_bufpool_attr attr;
	size_t i;

	memset(&attr, 0xa5, sizeof(attr));
	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	ck_assert_uint_eq(attr.min_size, 64);
	ck_assert_uint_eq(attr.max_size, 256 * KIB);
	ck_assert_uint_eq(attr.min_size, LFP_BUFPOOL_SIZE_MIN_DEFAULT);
	ck_assert_ptr_null(attr.name);
	ck_assert_uint_eq(attr.flags, 0);
	ck_assert_int_eq(attr.cache_mode, LFP_CACHE_AUTO);
	for (i = 0; i < ARRAY_SIZE(attr.reserved); i++)
		ck_assert_ptr_null(attr.reserved[i]);
}
END_TEST

/* With the default smallest class no two buffers share a cache line;
 * a pool of 16-byte classes packs four in one. */
START_TEST(test_default_lines)
{
	enum { N = 200 };
	static const size_t sizes[] = { 1, 8, 16, 33, 64 };
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;
	void *b[N];
	size_t i, k;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (i = 0; i < N; i++) {
			b[i] = lfp_bufpool_alloc(bp, sizes[k]);
			ck_assert_ptr_nonnull(b[i]);
			ck_assert_msg((uintptr_t)b[i] % 64 == 0,
				      "%zu bytes: buffer %p does not start a "
				      "line", sizes[k], b[i]);
			ck_assert_uint_eq(lfp_bufpool_capacity(bp, b[i]), 64);
		}
		for (i = 0; i < N; i++)
			ck_assert_int_eq(lfp_bufpool_free(bp, b[i]), 0);
	}
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);

	attr.min_size = LFP_BUFPOOL_SIZE_MIN;
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	b[0] = lfp_bufpool_alloc(bp, 16);
	b[1] = lfp_bufpool_alloc(bp, 16);
	ck_assert_ptr_nonnull(b[0]);
	ck_assert_ptr_nonnull(b[1]);
	ck_assert_uint_eq(lfp_bufpool_capacity(bp, b[0]), 16);
	/* neighbours from one carve: 16 bytes apart */
	ck_assert_uint_eq((uintptr_t)b[0] > (uintptr_t)b[1] ?
			  (uintptr_t)b[0] - (uintptr_t)b[1] :
			  (uintptr_t)b[1] - (uintptr_t)b[0], 16);
	ck_assert_int_eq(lfp_bufpool_free(bp, b[0]), 0);
	ck_assert_int_eq(lfp_bufpool_free(bp, b[1]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

START_TEST(test_attr_init_null)
{
	/* int calls leave errno alone (<lfpool/common.h>) */
	expect_int_call(lfp_bufpool_attr_init(NULL), -EINVAL);
}
END_TEST

/* ---- create -------------------------------------------------------- */

/* create(@attr) must fail with EINVAL. */
#define expect_create_einval(attr, what) \
	expect_create_fails(lfp_bufpool_create(attr), EINVAL, what)

/* create(min @min, max @max) must fail with EINVAL. */
static void
expect_sizes_einval(size_t min, size_t max)
{
	struct lfp_bufpool_attr attr;
	char what[96];

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = min;
	attr.max_size = max;
	snprintf(what, sizeof(what), "min %zu max %zu", min, max);
	expect_create_einval(&attr, what);
}

START_TEST(test_create_null_attr)
{
	expect_create_einval(NULL, "a NULL attr");
}
END_TEST

START_TEST(test_create_bad_sizes)
{
	const size_t top = (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1);

	/* min_size not a power of two (0 is the default: test_api.c) */
	expect_sizes_einval(17, DEFAULT_MAX);
	expect_sizes_einval(24, DEFAULT_MAX);
	expect_sizes_einval(48, DEFAULT_MAX);
	expect_sizes_einval(4095, DEFAULT_MAX);
	/* max_size not a power of two */
	expect_sizes_einval(DEFAULT_MIN, 24);
	expect_sizes_einval(DEFAULT_MIN, 3000);
	expect_sizes_einval(DEFAULT_MIN, DEFAULT_MAX - 1);
	expect_sizes_einval(DEFAULT_MIN, DEFAULT_MAX + 1);
	expect_sizes_einval(DEFAULT_MIN, SIZE_MAX);
	/* min_size a power of two below LFP_BUFPOOL_MIN_SIZE */
	expect_sizes_einval(1, DEFAULT_MAX);
	expect_sizes_einval(2, DEFAULT_MAX);
	expect_sizes_einval(8, DEFAULT_MAX);
	expect_sizes_einval(LFP_BUFPOOL_MIN_SIZE / 2, LFP_BUFPOOL_MIN_SIZE);
	expect_sizes_einval(8, 8);
	/* min_size above max_size */
	expect_sizes_einval(1024, 512);
	expect_sizes_einval(32, 16);
	expect_sizes_einval(DEFAULT_MAX * 2, DEFAULT_MAX);
	/* max_size above LFP_BUFPOOL_SIZE_MAX */
	expect_sizes_einval(DEFAULT_MIN, LFP_BUFPOOL_SIZE_MAX * 2);
	expect_sizes_einval(DEFAULT_MIN, top);
	expect_sizes_einval(LFP_BUFPOOL_SIZE_MAX * 2,
			    LFP_BUFPOOL_SIZE_MAX * 2);
	expect_sizes_einval(top, top);
}
END_TEST

START_TEST(test_create_bad_flags)
{
	struct lfp_bufpool_attr attr;
	unsigned int bit;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	for (bit = 0; bit < sizeof(attr.flags) * CHAR_BIT; bit++) {
		attr.flags = 1u << bit;
		if (attr.flags == LFP_BUFPOOL_F_CHECKED ||
		    attr.flags == LFP_BUFPOOL_F_SITES)
			continue;       /* the defined flags */
		expect_create_einval(&attr, "an unknown flag");
	}
	attr.flags = ~0u;
	expect_create_einval(&attr, "flags ~0");
}
END_TEST

/* The widest and the narrowest pools are accepted, and nothing is carved
 * before the first alloc. */
START_TEST(test_create_limits)
{
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	unsigned int i;
	void *buf;

	bp = make_pool(LFP_BUFPOOL_MIN_SIZE, LFP_BUFPOOL_SIZE_MAX, "widest");
	st = buf_stats(bp);
	ck_assert_uint_eq(st.nclasses, LFP_BUFPOOL_CLASSES_MAX);
	check_stats_consistent(&st, LFP_BUFPOOL_MIN_SIZE,
			       LFP_BUFPOOL_SIZE_MAX);
	for (i = 0; i < st.nclasses; i++) {
		c = find_class(&st, LFP_BUFPOOL_MIN_SIZE << i);
		ck_assert_uint_eq(c->buffers, 0);
		ck_assert_uint_eq(c->chunks, 0);
		ck_assert_uint_eq(c->allocs, 0);
		ck_assert_uint_eq(c->in_use, 0);
	}
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);

	/* one class: everything up to it gets it */
	bp = make_pool(4096, 4096, "one-class");
	st = buf_stats(bp);
	ck_assert_uint_eq(st.nclasses, 1);
	ck_assert_uint_eq(st.cls[0].size, 4096);
	ck_assert_uint_eq(st.cls[0].buffers, 0);
	buf = alloc_one(bp, 0);
	ck_assert_uint_eq(check_buffer(bp, buf, 0, 4096), 4096);
	free_one(bp, buf);
	buf = alloc_one(bp, 1);
	ck_assert_uint_eq(check_buffer(bp, buf, 1, 4096), 4096);
	free_one(bp, buf);
	buf = alloc_one(bp, 4096);
	ck_assert_uint_eq(check_buffer(bp, buf, 4096, 4096), 4096);
	free_one(bp, buf);
	expect_alloc_fails(bp, 4097, E2BIG);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);

	bp = make_pool(LFP_BUFPOOL_MIN_SIZE, LFP_BUFPOOL_MIN_SIZE, NULL);
	ck_assert_uint_eq(buf_stats(bp).nclasses, 1);
	buf = alloc_one(bp, 16);
	ck_assert_uint_eq(check_buffer(bp, buf, 16, 16), 16);
	free_one(bp, buf);
	expect_alloc_fails(bp, 17, E2BIG);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* A pool nobody allocated from destroys cleanly, again and again. */
START_TEST(test_create_destroy_unused)
{
	struct lfp_bufpool *bp;
	int i;

	for (i = 0; i < 200; i++) {
		bp = make_default_pool();
		ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	}
}
END_TEST

/* create(min @min, max @max) from default attributes: the pool or NULL */
static struct lfp_bufpool *
try_create(size_t min, size_t max)
{
	struct lfp_bufpool_attr attr;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = min;
	attr.max_size = max;
	return lfp_bufpool_create(&attr);
}

/*
 * Each class counts as one pool against the limit of 65535: exactly 4369
 * default pools (15 classes each) fit, then create fails with EAGAIN; a
 * pool that does not fit takes nothing (its classes are not left counted)
 * and destroying pools makes room again.
 */
START_TEST(test_create_eagain)
{
	const size_t nmax = POOL_LIMIT / DEFAULT_NCLASSES;
	struct lfp_objpool_attr oattr;
	struct lfp_bufpool **pools;
	struct lfp_bufpool *one[DEFAULT_NCLASSES + 1];
	struct lfp_bufpool *bp;
	struct lfp_objpool *op;
	size_t n, i;

	ck_assert_uint_eq(nmax * DEFAULT_NCLASSES, POOL_LIMIT);
	pools = calloc(nmax + 1, sizeof(*pools));
	ck_assert_ptr_nonnull(pools);
	for (n = 0; n <= nmax; n++) {
		errno = 0;
		pools[n] = try_create(DEFAULT_MIN, DEFAULT_MAX);
		if (!pools[n])
			break;
	}
	ck_assert_msg(n <= nmax, "created %zu default pools", n);
	ck_assert_int_eq(errno, EAGAIN);
	/* no other test's pool is alive here */
	ck_assert_uint_eq(n, nmax);

	/* full: not even a one-class pool or an object pool fits */
	errno = 0;
	ck_assert_ptr_null(try_create(64, 64));
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(lfp_objpool_attr_init(&oattr), 0);
	oattr.size = 32;
	errno = 0;
	ck_assert_ptr_null(lfp_objpool_create(&oattr));
	ck_assert_int_eq(errno, EAGAIN);

	/* 15 slots free: a 16-class pool does not fit and takes none */
	ck_assert_int_eq(lfp_bufpool_destroy(pools[n / 2]), 0);
	pools[n / 2] = NULL;
	errno = 0;
	ck_assert_ptr_null(try_create(DEFAULT_MIN, DEFAULT_MAX * 2));
	ck_assert_int_eq(errno, EAGAIN);
	/* the 15 slots are all there: one object pool, 14 one-class pools */
	op = lfp_objpool_create(&oattr);
	ck_assert_msg(op != NULL, "objpool create: errno %d", errno);
	for (i = 0; i < DEFAULT_NCLASSES - 1; i++) {
		errno = 0;
		one[i] = try_create(128, 128);
		ck_assert_msg(one[i] != NULL, "one-class pool %zu: errno %d",
			      i, errno);
	}
	errno = 0;
	ck_assert_ptr_null(try_create(128, 128));
	ck_assert_int_eq(errno, EAGAIN);
	/* a full process still serves the pools it has */
	bp = pools[0];
	free_one(bp, alloc_one(bp, 100));
	free_one(one[0], alloc_one(one[0], 100));

	for (i = 0; i < DEFAULT_NCLASSES - 1; i++)
		ck_assert_int_eq(lfp_bufpool_destroy(one[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	pools[n / 2] = try_create(DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_msg(pools[n / 2] != NULL, "room made again: errno %d", errno);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(lfp_bufpool_destroy(pools[i]), 0);
	/* everything was given back: the widest pool fits again */
	bp = make_pool(LFP_BUFPOOL_MIN_SIZE, LFP_BUFPOOL_SIZE_MAX, NULL);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	free(pools);
}
END_TEST

/* ---- bad arguments ------------------------------------------------- */

START_TEST(test_null_pool)
{
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *buf;

	errno = 0;
	ck_assert_ptr_null(lfp_bufpool_alloc(NULL, 16));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(lfp_bufpool_alloc(NULL, 0));
	ck_assert_int_eq(errno, EINVAL);

	expect_int_call(lfp_bufpool_stats(NULL, &st), -EINVAL);

	expect_int_call(lfp_bufpool_destroy(NULL), 0);

	/* a real buffer, handed with a NULL pool: refused, and unharmed */
	bp = make_default_pool();
	buf = alloc_one(bp, 100);
	memset(buf, 0x3c, 128);
	expect_int_call(lfp_bufpool_free(NULL, buf), -EINVAL);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_capacity(NULL, buf), 0);
	ck_assert_int_eq(errno, EINVAL);
	st = buf_stats(bp);
	ck_assert_uint_eq(st.frees, 0);
	ck_assert_uint_eq(find_class(&st, 128)->in_use, 1);
	check_fill(buf, 128, 0x3c, "buffer refused with a NULL pool");
	ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), 128);

	/* a valid pool with a NULL argument */
	expect_int_call(lfp_bufpool_stats(bp, NULL), -EINVAL);
	errno = 0;
	ck_assert_uint_eq(lfp_bufpool_capacity(bp, NULL), 0);
	ck_assert_int_eq(errno, EINVAL);

	free_one(bp, buf);
	st = buf_stats(bp);
	ck_assert_uint_eq(st.frees, 1);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

START_TEST(test_free_null_buf)
{
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	void *buf;

	bp = make_default_pool();
	buf = alloc_one(bp, 40);
	st = buf_stats(bp);
	expect_int_call(lfp_bufpool_free(bp, NULL), 0);
	st2 = buf_stats(bp);
	check_stats_same(&st, &st2, "free(NULL)");
	ck_assert_uint_eq(st2.allocs, 1);
	ck_assert_uint_eq(st2.frees, 0);
	ck_assert_uint_eq(find_class(&st2, 64)->in_use, 1);
	free_one(bp, buf);
	st2 = buf_stats(bp);
	ck_assert_uint_eq(st2.frees, 1);
	ck_assert_uint_eq(find_class(&st2, 64)->in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* Too big a request: E2BIG, whatever the arithmetic of the size. */
START_TEST(test_alloc_too_big)
{
	const size_t top = (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1);
	static const size_t maxes[] = { 1024, DEFAULT_MAX, 4 * MIB };
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	size_t k, max;
	void *buf;

	for (k = 0; k < ARRAY_SIZE(maxes); k++) {
		max = maxes[k];
		bp = make_pool(DEFAULT_MIN, max, NULL);
		st = buf_stats(bp);
		expect_alloc_fails(bp, max + 1, E2BIG);
		expect_alloc_fails(bp, max * 2 - 1, E2BIG);
		expect_alloc_fails(bp, max * 2, E2BIG);
		expect_alloc_fails(bp, max * 2 + 1, E2BIG);
		expect_alloc_fails(bp, LFP_BUFPOOL_SIZE_MAX, E2BIG);
		expect_alloc_fails(bp, LFP_BUFPOOL_SIZE_MAX + 1, E2BIG);
		/* rounding these up to a power of two overflows */
		expect_alloc_fails(bp, top, E2BIG);
		expect_alloc_fails(bp, top + 1, E2BIG);
		expect_alloc_fails(bp, SIZE_MAX / 2, E2BIG);
		expect_alloc_fails(bp, SIZE_MAX - 15, E2BIG);
		expect_alloc_fails(bp, SIZE_MAX, E2BIG);
		st2 = buf_stats(bp);
		check_stats_same(&st, &st2, "refused allocs");
		/* and the largest class still works */
		buf = alloc_one(bp, max);
		ck_assert_uint_eq(check_buffer(bp, buf, max, DEFAULT_MIN), max);
		free_one(bp, buf);
		ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	}
}
END_TEST

/* ---- size classes -------------------------------------------------- */

/*
 * Every boundary of the default classes: each buffer has exactly its
 * class's capacity, the documented alignment, and its whole capacity is
 * its own (all are held at once and written whole, then read back).
 */
START_TEST(test_class_boundaries)
{
	size_t sizes[128];
	void *bufs[128];
	size_t caps[128];
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	size_t n = 0, i, k, total;
	char what[64];
	void *sorted[128];

	sizes[n++] = 0;
	sizes[n++] = 1;
	sizes[n++] = 15;
	sizes[n++] = 16;
	sizes[n++] = 17;
	sizes[n++] = 31;
	sizes[n++] = 32;
	sizes[n++] = 33;
	for (k = 0; ((size_t)1 << k) <= DEFAULT_MAX; k++) {
		sizes[n++] = (size_t)1 << k;
		if (((size_t)1 << k) < DEFAULT_MAX)
			sizes[n++] = ((size_t)1 << k) + 1;
	}
	sizes[n++] = DEFAULT_MAX - 1;
	sizes[n++] = DEFAULT_MAX;
	ck_assert_uint_le(n, ARRAY_SIZE(sizes));

	bp = make_default_pool();
	for (i = 0; i < n; i++) {
		bufs[i] = alloc_one(bp, sizes[i]);
		caps[i] = check_buffer(bp, bufs[i], sizes[i], DEFAULT_MIN);
		memset(bufs[i], fill_byte(i), caps[i]);
	}
	/* nothing written later reached an earlier buffer */
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "alloc(%zu)", sizes[i]);
		check_fill(bufs[i], caps[i], fill_byte(i), what);
	}
	memcpy(sorted, bufs, n * sizeof(*bufs));
	qsort(sorted, n, sizeof(*sorted), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < n; i++)
		ck_assert_msg((uintptr_t)sorted[i] +
			      lfp_bufpool_capacity(bp, sorted[i]) <=
			      (uintptr_t)sorted[i + 1],
			      "buffers %p and %p overlap", sorted[i],
			      sorted[i + 1]);

	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, n);
	for (i = 0, total = 0; i < n; i++)
		total += caps[i];
	ck_assert_uint_eq(st.bytes_in_use, total);
	/* 0, 1, 15, 16, 1, 2, 2, 3, 4, 5, 8, 9, 16 */
	ck_assert_uint_eq(find_class(&st, 16)->in_use, 13);

	expect_alloc_fails(bp, DEFAULT_MAX + 1, E2BIG);
	expect_alloc_fails(bp, SIZE_MAX, E2BIG);
	st2 = buf_stats(bp);
	check_stats_same(&st, &st2, "refused allocs");
	for (i = 0; i < n; i++)
		free_one(bp, bufs[i]);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, n);
	ck_assert_uint_eq(st.frees, n);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* Many buffers of every class at once: aligned, disjoint, intact. */
START_TEST(test_many_per_class)
{
	const size_t per = 40;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	size_t cls, i, cap;
	char what[64];
	void **bufs;

	bufs = calloc(per, sizeof(*bufs));
	ck_assert_ptr_nonnull(bufs);
	bp = make_default_pool();
	for (cls = DEFAULT_MIN; cls <= DEFAULT_MAX; cls <<= 1) {
		for (i = 0; i < per; i++) {
			bufs[i] = alloc_one(bp, cls / 2 + 1 + i % (cls / 2));
			cap = check_buffer(bp, bufs[i],
					   cls / 2 + 1 + i % (cls / 2),
					   DEFAULT_MIN);
			ck_assert_uint_eq(cap, cls);
			memset(bufs[i], fill_byte(i), cap);
		}
		for (i = 0; i < per; i++) {
			snprintf(what, sizeof(what), "%zu-byte class", cls);
			check_fill(bufs[i], cls, fill_byte(i), what);
		}
		qsort(bufs, per, sizeof(*bufs), lfp_test_cmp_ptr);
		for (i = 0; i + 1 < per; i++)
			ck_assert_msg((uintptr_t)bufs[i] + cls <=
				      (uintptr_t)bufs[i + 1],
				      "%zu-byte buffers %p and %p overlap",
				      cls, bufs[i], bufs[i + 1]);
		st = buf_stats(bp);
		ck_assert_uint_eq(find_class(&st, cls)->in_use, per);
		for (i = 0; i < per; i++)
			free_one(bp, bufs[i]);
	}
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, per * DEFAULT_NCLASSES);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	free(bufs);
}
END_TEST

START_TEST(test_min_64)
{
	static const size_t req[] = { 0, 1, 16, 17, 63, 64 };
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *bufs[ARRAY_SIZE(req)];
	void *buf;
	size_t i;

	bp = make_pool(64, 8 * KIB, NULL);
	st = buf_stats(bp);
	ck_assert_uint_eq(st.nclasses, 8);
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		bufs[i] = alloc_one(bp, req[i]);
		ck_assert_uint_eq(check_buffer(bp, bufs[i], req[i], 64), 64);
		ck_assert_uint_eq((uintptr_t)bufs[i] % 64, 0);
		memset(bufs[i], fill_byte(i), 64);
	}
	buf = alloc_one(bp, 65);
	ck_assert_uint_eq(check_buffer(bp, buf, 65, 64), 128);
	free_one(bp, buf);
	buf = alloc_one(bp, 8 * KIB);
	ck_assert_uint_eq(check_buffer(bp, buf, 8 * KIB, 64), 8 * KIB);
	free_one(bp, buf);
	expect_alloc_fails(bp, 8 * KIB + 1, E2BIG);
	st = buf_stats(bp);
	check_stats_consistent(&st, 64, 8 * KIB);
	ck_assert_uint_eq(find_class(&st, 64)->in_use, ARRAY_SIZE(req));
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		check_fill(bufs[i], 64, fill_byte(i), "64-byte buffer");
		free_one(bp, bufs[i]);
	}
	ck_assert_uint_eq(buf_stats(bp).bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* A pool whose largest class is 64 MiB serves it. */
START_TEST(test_big_class)
{
	const size_t big = 64 * MIB, step = 4 * KIB;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	unsigned char *p, *q;
	size_t off;

	bp = make_pool(DEFAULT_MIN, big, "big");
	p = alloc_one(bp, big);
	ck_assert_uint_eq(check_buffer(bp, p, big, DEFAULT_MIN), big);
	ck_assert_uint_eq((uintptr_t)p % page_size(), 0);
	p[0] = 0xa1;
	p[big - 1] = 0xa2;
	for (off = step; off < big - 1; off += step)
		p[off] = (unsigned char)(off / step);
	/* a second one of the same class, asked with 32 MiB + 1 */
	q = alloc_one(bp, big / 2 + 1);
	ck_assert_uint_eq(check_buffer(bp, q, big / 2 + 1, DEFAULT_MIN), big);
	ck_assert(p + big <= q || q + big <= p);
	q[0] = 0xb1;
	q[big - 1] = 0xb2;
	ck_assert_uint_eq(p[0], 0xa1);
	ck_assert_uint_eq(p[big - 1], 0xa2);
	for (off = step; off < big - 1; off += step)
		if (p[off] != (unsigned char)(off / step))
			ck_abort_msg("byte %zu of the 64 MiB buffer changed",
				     off);
	expect_alloc_fails(bp, big + 1, E2BIG);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, big);
	ck_assert_uint_eq(find_class(&st, big)->in_use, 2);
	ck_assert_uint_eq(st.bytes_in_use, 2 * big);
	free_one(bp, q);
	free_one(bp, p);
	st = buf_stats(bp);
	ck_assert_uint_eq(find_class(&st, big)->in_use, 0);
	ck_assert_uint_eq(find_class(&st, big)->frees, 2);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	/* and a small class of the same pool */
	p = alloc_one(bp, 1);
	ck_assert_uint_eq(check_buffer(bp, p, 1, DEFAULT_MIN), 16);
	free_one(bp, p);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- foreign pointers ---------------------------------------------- */

/*
 * free(@bp, @ptr) and capacity(@bp, @ptr) must refuse @ptr with no effect
 * on @bp's counters; then the pool still hands out buffers of @check_size
 * (never @ptr itself).
 */
static void
expect_refused(struct lfp_bufpool *bp, void *ptr, size_t check_size,
	       const char *what)
{
	struct lfp_bufpool_stats st, st2;
	void *buf;
	size_t cap;

	st = buf_stats(bp);
	expect_call_refused(lfp_bufpool_free(bp, ptr), what, ptr);
	errno = 0;
	cap = lfp_bufpool_capacity(bp, ptr);
	ck_assert_msg(cap == 0, "capacity(%s %p) = %zu, not 0", what, ptr,
		      cap);
	ck_assert_msg(errno == EINVAL, "capacity(%s): errno %d, not EINVAL",
		      what, errno);
	st2 = buf_stats(bp);
	check_stats_same(&st, &st2, what);

	/* the pool still works, and did not take @ptr in */
	buf = alloc_one(bp, check_size);
	ck_assert_msg(buf != ptr, "%s %p was taken in by the pool", what, ptr);
	check_buffer(bp, buf, check_size, DEFAULT_MIN);
	free_one(bp, buf);
}

START_TEST(test_foreign_pointers)
{
	static const size_t classes[] = { 16, 32, 64, 4096, 16 * KIB,
					  DEFAULT_MAX };
	alignas(4096) unsigned char stack_buf[8192];
	struct lfp_objpool_attr oattr;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp, *other;
	struct lfp_objpool *op;
	unsigned char *buf, *obuf;
	size_t k, cls;
	void *heap, *obj;
	char what[80];

	bp = make_default_pool();
	other = make_default_pool();
	/* the classes have caches already, so counters must stay still */
	for (k = 0; k < ARRAY_SIZE(classes); k++)
		free_one(bp, alloc_one(bp, classes[k]));

	/* malloc'd memory, of a size and alignment a buffer could have */
	heap = malloc(64);
	ck_assert_ptr_nonnull(heap);
	expect_refused(bp, heap, 64, "a malloc'd pointer");
	free(heap);
	ck_assert_int_eq(posix_memalign(&heap, 4096, 4096), 0);
	expect_refused(bp, heap, 4096, "a page-aligned malloc'd pointer");
	free(heap);

	/* addresses nothing is mapped at: the lookup must not touch them */
	expect_refused(bp, (void *)(uintptr_t)4096, 16, "address 4096");
	expect_refused(bp, (void *)(uintptr_t)(64 * MIB), 16,
		       "address 64 MiB");
	expect_refused(bp, (void *)~(uintptr_t)4095, 16, "the top page");
	expect_refused(bp, (void *)((uintptr_t)1 << 47), 16, "address 2^47");

	/* the stack */
	memset(stack_buf, 0, sizeof(stack_buf));
	expect_refused(bp, stack_buf, 16, "a stack address");
	expect_refused(bp, stack_buf + 64, 64, "a stack address");
	expect_refused(bp, &k, 16, "the address of a local");

	/* inside buffers of this pool, with the buffer unharmed */
	for (k = 0; k < ARRAY_SIZE(classes); k++) {
		cls = classes[k];
		buf = alloc_one(bp, cls);
		memset(buf, 0x77, cls);
		snprintf(what, sizeof(what), "1 byte into a %zu B buffer", cls);
		expect_refused(bp, buf + 1, cls, what);
		snprintf(what, sizeof(what), "8 bytes into a %zu B buffer",
			 cls);
		expect_refused(bp, buf + 8, cls, what);
		if (cls >= 32) {
			/* 16-aligned: the start a smaller buffer could have */
			snprintf(what, sizeof(what), "16 bytes into a %zu B "
				 "buffer", cls);
			expect_refused(bp, buf + 16, cls, what);
			snprintf(what, sizeof(what), "the middle of a %zu B "
				 "buffer", cls);
			expect_refused(bp, buf + cls / 2, cls, what);
			snprintf(what, sizeof(what), "the last 16 bytes of a "
				 "%zu B buffer", cls);
			expect_refused(bp, buf + cls - 16, cls, what);
		}
		if (cls > page_size()) {
			snprintf(what, sizeof(what), "a page into a %zu B "
				 "buffer", cls);
			expect_refused(bp, buf + page_size(), cls, what);
		}
		check_fill(buf, cls, 0x77, "buffer after refused frees");
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), cls);
		free_one(bp, buf);
	}

	/* a buffer of another buffer pool with the very same classes */
	for (k = 0; k < ARRAY_SIZE(classes); k++) {
		cls = classes[k];
		obuf = alloc_one(other, cls);
		memset(obuf, 0x55, cls);
		snprintf(what, sizeof(what), "a %zu B buffer of another pool",
			 cls);
		expect_refused(bp, obuf, cls, what);
		/* ... which its own pool still knows */
		ck_assert_uint_eq(lfp_bufpool_capacity(other, obuf), cls);
		check_fill(obuf, cls, 0x55, what);
		free_one(other, obuf);
		ck_assert_uint_eq(buf_stats(other).bytes_in_use, 0);
	}

	/* an object of an object pool */
	ck_assert_int_eq(lfp_objpool_attr_init(&oattr), 0);
	oattr.size = 64;
	oattr.align = 64;
	op = lfp_objpool_create(&oattr);
	ck_assert_ptr_nonnull(op);
	obj = lfp_objpool_get(op);
	ck_assert_ptr_nonnull(obj);
	expect_refused(bp, obj, 64, "an object of an object pool");
	ck_assert_int_eq(lfp_objpool_put(op, obj), 0);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);

	/*
	 * A buffer-start address past the carve point of a live chunk: never
	 * handed out, so refused (taking it would hand that slot out twice).
	 * The chunk of a fresh 1 KiB class holds 64 buffers; one is carved
	 * a batch, so the last slot of its chunk is beyond the carve point.
	 */
	buf = alloc_one(bp, 1024);
	{
		unsigned char *base = (unsigned char *)((uintptr_t)buf &
							~(uintptr_t)(64 * KIB - 1));
		unsigned char *last = base + 64 * KIB - 1024;
		struct lfp_bufpool_stats before = buf_stats(bp), after;

		if (last != buf) {
			ck_assert_int_eq(lfp_bufpool_free(bp, last), -EINVAL);
			ck_assert_uint_eq(lfp_bufpool_capacity(bp, last), 0);
			after = buf_stats(bp);
			ck_assert_uint_eq(after.frees, before.frees);
		}
	}
	free_one(bp, buf);

	/* after all this the pool is whole */
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_uint_eq(st.allocs, st.frees);
	ck_assert_int_eq(lfp_bufpool_destroy(other), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- reuse --------------------------------------------------------- */

/* Freed buffers come back: steady alloc/free of one size, or of a batch,
 * carves nothing and reserves nothing after the first round. */
START_TEST(test_reuse)
{
	static const size_t sizes[] = { 1, 16, 100, 4096, 5000, 64 * KIB,
					DEFAULT_MAX };
	const size_t batch = 50;
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	void *bufs[50];
	size_t k, i, round, cls;
	void *buf;

	bp = make_default_pool();
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		cls = class_of(sizes[k], DEFAULT_MIN);
		/* one buffer, over and over */
		free_one(bp, alloc_one(bp, sizes[k]));
		st = buf_stats(bp);
		for (i = 0; i < 1000; i++) {
			buf = alloc_one(bp, sizes[k]);
			memset(buf, 0x21, sizes[k]);
			free_one(bp, buf);
		}
		st2 = buf_stats(bp);
		c = find_class(&st2, cls);
		ck_assert_uint_eq(c->buffers, find_class(&st, cls)->buffers);
		ck_assert_uint_eq(c->chunks, find_class(&st, cls)->chunks);
		ck_assert_uint_eq(st2.bytes_reserved, st.bytes_reserved);
		ck_assert_uint_eq(c->allocs - find_class(&st, cls)->allocs,
				  1000);
		/* the same thread's free then alloc: served by its cache */
		ck_assert_uint_eq(c->hits - find_class(&st, cls)->hits, 1000);

		/* a batch, over and over */
		for (i = 0; i < batch; i++)
			bufs[i] = alloc_one(bp, sizes[k]);
		for (i = 0; i < batch; i++)
			free_one(bp, bufs[i]);
		st = buf_stats(bp);
		for (round = 0; round < 20; round++) {
			for (i = 0; i < batch; i++)
				bufs[i] = alloc_one(bp, sizes[k]);
			for (i = 0; i < batch; i++)
				free_one(bp, bufs[batch - 1 - i]);
		}
		st2 = buf_stats(bp);
		c = find_class(&st2, cls);
		ck_assert_msg(c->buffers == find_class(&st, cls)->buffers,
			      "%zu-byte class grew from %llu to %llu buffers",
			      cls, (unsigned long long)
			      find_class(&st, cls)->buffers,
			      (unsigned long long)c->buffers);
		ck_assert_uint_eq(st2.bytes_reserved, st.bytes_reserved);
		ck_assert_uint_eq(c->in_use, 0);
		check_stats_consistent(&st2, DEFAULT_MIN, DEFAULT_MAX);
	}
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- statistics and name ------------------------------------------- */

START_TEST(test_stats_sequence)
{
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *b16[3], *b32[2], *b4k, *bmax;
	unsigned int i;

	/* lfp_thread_flush() below: one thread's own cache */
	bp = make_pool_mode(DEFAULT_MIN, DEFAULT_MAX, "stats",
			    LFP_CACHE_PER_THREAD);
	st = buf_stats(bp);
	ck_assert_str_eq(st.name, "stats");
	ck_assert_int_eq(st.cache_mode, LFP_CACHE_PER_THREAD);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.nclasses, DEFAULT_NCLASSES);
	for (i = 0; i < st.nclasses; i++) {
		c = find_class(&st, DEFAULT_MIN << i);
		ck_assert_uint_eq(c->allocs, 0);
		ck_assert_uint_eq(c->frees, 0);
		ck_assert_uint_eq(c->hits, 0);
		ck_assert_uint_eq(c->buffers, 0);
		ck_assert_uint_eq(c->in_use, 0);
		ck_assert_uint_eq(c->cached, 0);
		ck_assert_uint_eq(c->chunks, 0);
	}
	ck_assert_uint_eq(st.allocs, 0);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_uint_eq(st.bytes_cached, 0);

	b16[0] = alloc_one(bp, 1);
	b16[1] = alloc_one(bp, 10);
	b16[2] = alloc_one(bp, 16);
	b32[0] = alloc_one(bp, 17);
	b32[1] = alloc_one(bp, 32);
	b4k = alloc_one(bp, 3000);
	bmax = alloc_one(bp, 200000);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, 7);
	ck_assert_uint_eq(st.frees, 0);
	ck_assert_uint_eq(st.bytes_in_use, 3 * 16 + 2 * 32 + 4096 +
			  DEFAULT_MAX);
	ck_assert_uint_eq(find_class(&st, 16)->allocs, 3);
	ck_assert_uint_eq(find_class(&st, 16)->in_use, 3);
	ck_assert_uint_eq(find_class(&st, 32)->allocs, 2);
	ck_assert_uint_eq(find_class(&st, 32)->in_use, 2);
	ck_assert_uint_eq(find_class(&st, 4096)->allocs, 1);
	ck_assert_uint_eq(find_class(&st, 4096)->in_use, 1);
	ck_assert_uint_eq(find_class(&st, DEFAULT_MAX)->allocs, 1);
	ck_assert_uint_eq(find_class(&st, DEFAULT_MAX)->in_use, 1);
	for (i = 0; i < st.nclasses; i++) {
		c = &st.cls[i];
		if (c->size == 16 || c->size == 32 || c->size == 4096 ||
		    c->size == DEFAULT_MAX) {
			ck_assert_uint_ge(c->buffers, c->in_use);
			ck_assert_uint_ge(c->chunks, 1);
			continue;
		}
		/* untouched classes took no memory for buffers */
		ck_assert_uint_eq(c->allocs, 0);
		ck_assert_uint_eq(c->buffers, 0);
		ck_assert_uint_eq(c->chunks, 0);
	}
	ck_assert_uint_ge(st.bytes_reserved, 3 * 16 + 2 * 32 + 4096 +
			  DEFAULT_MAX);

	free_one(bp, b16[1]);
	free_one(bp, b4k);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, 7);
	ck_assert_uint_eq(st.frees, 2);
	ck_assert_uint_eq(st.bytes_in_use, 2 * 16 + 2 * 32 + DEFAULT_MAX);
	ck_assert_uint_eq(find_class(&st, 16)->frees, 1);
	ck_assert_uint_eq(find_class(&st, 16)->in_use, 2);
	ck_assert_uint_ge(find_class(&st, 16)->cached, 1);
	ck_assert_uint_eq(find_class(&st, 4096)->frees, 1);
	ck_assert_uint_eq(find_class(&st, 4096)->in_use, 0);
	ck_assert_uint_ge(find_class(&st, 4096)->cached, 1);
	ck_assert_uint_eq(find_class(&st, 32)->frees, 0);

	/* a free then an alloc of that class on one thread: a cache hit */
	b16[1] = alloc_one(bp, 5);
	st = buf_stats(bp);
	ck_assert_uint_ge(find_class(&st, 16)->hits, 1);
	ck_assert_uint_eq(find_class(&st, 16)->in_use, 3);

	free_one(bp, b16[0]);
	free_one(bp, b16[1]);
	free_one(bp, b16[2]);
	free_one(bp, b32[0]);
	free_one(bp, b32[1]);
	free_one(bp, bmax);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.allocs, 8);
	ck_assert_uint_eq(st.frees, 8);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	for (i = 0; i < st.nclasses; i++) {
		ck_assert_uint_eq(st.cls[i].in_use, 0);
		ck_assert_uint_eq(st.cls[i].cached, st.cls[i].buffers);
	}
	ck_assert_uint_ge(st.bytes_cached, 3 * 16 + 2 * 32 + 4096 +
			  DEFAULT_MAX);

	/* flush: this thread's cached buffers of every class go to the
	 * depot */
	lfp_thread_flush();
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	for (i = 0; i < st.nclasses; i++)
		ck_assert_msg(st.cls[i].depot_cached == st.cls[i].cached,
			      "%zu-byte class: %llu cached, %llu in the depot "
			      "after a flush", st.cls[i].size,
			      (unsigned long long)st.cls[i].cached,
			      (unsigned long long)st.cls[i].depot_cached);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

START_TEST(test_name)
{
	expect_name_copied(bufpool_kind(), "session-buffers");
	expect_long_name_kept(bufpool_kind(), 200);
}
END_TEST

/* Destroy takes back buffers still out, of every class. */
START_TEST(test_destroy_with_buffers_out)
{
	struct lfp_bufpool *bp;
	size_t cls;
	void *buf;
	int i;

	for (i = 0; i < 20; i++) {
		bp = make_default_pool();
		for (cls = DEFAULT_MIN; cls <= DEFAULT_MAX; cls <<= 1) {
			buf = alloc_one(bp, cls);
			memset(buf, 0x11, cls);
			if (cls % 3)
				free_one(bp, alloc_one(bp, cls));
		}
		ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	}
}
END_TEST

/* ---- threads ------------------------------------------------------- */

struct xfer {
	struct lfp_bufpool *bp;
	size_t n;
	void **bufs;
	size_t *sizes;
	uint64_t seed;
	int cpu;      /* the CPU the thread runs on, or -1: any */
	int failed;   /* first failure: 1 alloc, 2 capacity, 3 content,
			 4 free, 5 pinning */
	size_t where; /* index of the first failure */
};

static void
xfer_fail(struct xfer *x, int why, size_t i)
{
	if (!x->failed) {
		x->failed = why;
		x->where = i;
	}
}

/* Move the calling thread to x->cpu, if it names one. */
static bool
xfer_pin(struct xfer *x)
{
	if (x->cpu < 0 || (lfp_test_pin(x->cpu) == 0 &&
			   sched_getcpu() == x->cpu))
		return true;
	xfer_fail(x, 5, 0);
	return false;
}

/* Thread A: allocate n buffers of sizes spread over every class. */
static void *
alloc_all_main(void *arg)
{
	struct xfer *x = arg;
	uint64_t seed = x->seed;
	unsigned int k;
	size_t i, lo, hi, cap;

	if (!xfer_pin(x)) {
		x->n = 0;
		return NULL;
	}
	for (i = 0; i < x->n; i++) {
		/* class 2^k, k = 4 .. 18, cycled; size inside the class */
		k = 4 + (unsigned int)(i % DEFAULT_NCLASSES);
		hi = (size_t)1 << k;
		lo = k == 4 ? 0 : hi / 2 + 1;
		x->sizes[i] = lo + lfp_test_rand(&seed) % (hi - lo + 1);
		x->bufs[i] = lfp_bufpool_alloc(x->bp, x->sizes[i]);
		if (!x->bufs[i]) {
			xfer_fail(x, 1, i);
			x->n = i;
			break;
		}
		cap = lfp_bufpool_capacity(x->bp, x->bufs[i]);
		if (cap != hi)
			xfer_fail(x, 2, i);
		memset(x->bufs[i], fill_byte(i), 16);
		((unsigned char *)x->bufs[i])[hi - 1] = fill_byte(i);
	}
	return NULL;
}

/* Thread B: check and free every buffer thread A allocated. */
static void *
free_all_main(void *arg)
{
	struct xfer *x = arg;
	const unsigned char *p;
	size_t i, cap;
	int rc;

	if (!xfer_pin(x))
		return NULL;
	for (i = 0; i < x->n; i++) {
		p = x->bufs[i];
		cap = lfp_bufpool_capacity(x->bp, p);
		if (cap != class_of(x->sizes[i], DEFAULT_MIN))
			xfer_fail(x, 2, i);
		else if (p[0] != fill_byte(i) || p[15] != fill_byte(i) ||
			 p[cap - 1] != fill_byte(i))
			xfer_fail(x, 3, i);
		rc = lfp_bufpool_free(x->bp, x->bufs[i]);
		if (rc)
			xfer_fail(x, 4, i);
	}
	return NULL;
}

/*
 * A buffer may be freed by another thread than the one that allocated
 * it; after both threads exit, every class is back to nothing in use,
 * everything cached sits in the depot, and later rounds reuse what the
 * first carved. Loop index 0: per-thread caches, which the threads' exits
 * hand back. 1: the mode the environment chooses, thread A on the first
 * CPU it may use and thread B on the second (if any), and
 * lfp_bufpool_flush() after them (per-CPU caches outlive threads).
 */
START_TEST(test_free_from_other_thread)
{
	const size_t n = 1000;
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, first;
	struct xfer x;
	unsigned int i, ncpu;
	int round, cpus[2];

	memset(&x, 0, sizeof(x));
	memset(&first, 0, sizeof(first));
	ncpu = lfp_test_allowed_cpus(cpus, 2);
	x.bp = _i ? make_default_pool()
		  : make_pool_mode(DEFAULT_MIN, DEFAULT_MAX, NULL,
				   LFP_CACHE_PER_THREAD);
	x.bufs = calloc(n, sizeof(*x.bufs));
	x.sizes = calloc(n, sizeof(*x.sizes));
	ck_assert_ptr_nonnull(x.bufs);
	ck_assert_ptr_nonnull(x.sizes);
	for (round = 0; round < 3; round++) {
		x.n = n;
		x.seed = 0x9e3779b97f4a7c15ULL;
		x.cpu = _i ? cpus[0] : -1;
		lfp_test_in_thread(alloc_all_main, &x);
		ck_assert_msg(!x.failed, "thread A: failure %d at buffer %zu",
			      x.failed, x.where);
		ck_assert_uint_eq(x.n, n);
		st = buf_stats(x.bp);
		ck_assert_uint_eq(st.allocs - st.frees, n);

		x.cpu = _i ? cpus[ncpu > 1] : -1;
		lfp_test_in_thread(free_all_main, &x);
		ck_assert_msg(!x.failed, "thread B: failure %d at buffer %zu "
			      "(size %zu)", x.failed, x.where,
			      x.sizes[x.where]);
		if (_i)
			ck_assert_int_eq(lfp_bufpool_flush(x.bp), 0);

		st = buf_stats(x.bp);
		check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
		ck_assert_uint_eq(st.allocs, n * (round + 1));
		ck_assert_uint_eq(st.frees, n * (round + 1));
		ck_assert_uint_eq(st.bytes_in_use, 0);
		for (i = 0; i < st.nclasses; i++) {
			c = &st.cls[i];
			ck_assert_msg(c->in_use == 0, "%zu-byte class: %llu "
				      "in use", c->size,
				      (unsigned long long)c->in_use);
			ck_assert_uint_eq(c->allocs, c->frees);
			/* the threads exited (and, per-CPU, the flush):
			 * every cached buffer went back to the depot */
			ck_assert_uint_eq(c->depot_cached, c->cached);
		}
		if (round == 0) {
			first = st;
			continue;
		}
		for (i = 0; i < st.nclasses; i++)
			ck_assert_msg(st.cls[i].buffers == first.cls[i].buffers,
				      "round %d: %zu-byte class carved more "
				      "(%llu buffers, first round %llu)",
				      round, st.cls[i].size,
				      (unsigned long long)st.cls[i].buffers,
				      (unsigned long long)
				      first.cls[i].buffers);
	}
	ck_assert_int_eq(lfp_bufpool_destroy(x.bp), 0);
	free(x.sizes);
	free(x.bufs);
}
END_TEST

/*
 * A thread's cache keeps a bounded number of buffers per class: after one
 * thread allocates and frees 100 (or more) buffers of a class and calls
 * nothing else, at most its two magazines' worth are outside the depot.
 * Magazines shrink as classes grow: a magazine holds at most 16 KiB of
 * small buffers, and at most four large ones (1 MiB at most), so a cache
 * never keeps more than eight buffers of a class of 4 KiB or more.
 */
START_TEST(test_bounded_cache)
{
	const struct lfp_bufpool_class_stats *c, *c16, *cmax;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	unsigned int rounds, prev = UINT_MAX;
	size_t cls, i, n;
	void **bufs;

	/* a thread's own cache: per-CPU caches have their bound in
	 * test_pcpu.c */
	bp = make_pool_mode(DEFAULT_MIN, DEFAULT_MAX, NULL,
			    LFP_CACHE_PER_THREAD);
	st = buf_stats(bp);
	c16 = find_class(&st, 16);
	cmax = find_class(&st, DEFAULT_MAX);
	ck_assert_msg(cmax->mag_rounds < c16->mag_rounds, "magazines of the "
		      "256 KiB class hold %u buffers, of the 16 B class %u",
		      cmax->mag_rounds, c16->mag_rounds);
	for (cls = DEFAULT_MIN; cls <= DEFAULT_MAX; cls <<= 1) {
		rounds = find_class(&st, cls)->mag_rounds;
		ck_assert_uint_ge(rounds, 1);
		ck_assert_msg(rounds <= prev, "magazines grow from %u to %u "
			      "buffers at the %zu-byte class", prev, rounds,
			      cls);
		prev = rounds;
		if (cls >= 4 * KIB)
			ck_assert_msg(rounds <= 4 &&
				      (size_t)rounds * cls <= 1024 * KIB,
				      "%zu-byte class: %u buffers per "
				      "magazine", cls, rounds);
		else
			ck_assert_msg((size_t)rounds * cls <= 16 * KIB,
				      "%zu-byte class: a %u-buffer magazine "
				      "holds more than 16 KiB", cls, rounds);
	}

	/* the 256 KiB class first, as the contract puts it */
	bufs = calloc(4 * LFP_MAG_ROUNDS_MAX + 100, sizeof(*bufs));
	ck_assert_ptr_nonnull(bufs);
	for (cls = DEFAULT_MAX; cls >= DEFAULT_MIN; cls >>= 1) {
		rounds = find_class(&st, cls)->mag_rounds;
		n = 4 * (size_t)rounds > 100 ? 4 * (size_t)rounds : 100;
		ck_assert_uint_le(n, 4 * LFP_MAG_ROUNDS_MAX + 100);
		for (i = 0; i < n; i++)
			bufs[i] = alloc_one(bp, cls);
		for (i = 0; i < n; i++)
			free_one(bp, bufs[i]);
		st = buf_stats(bp);
		c = find_class(&st, cls);
		ck_assert_uint_eq(c->in_use, 0);
		ck_assert_uint_ge(c->cached, n);
		ck_assert_msg(c->cached - c->depot_cached <=
			      2 * (uint64_t)c->mag_rounds,
			      "%zu-byte class: %llu buffers cached outside "
			      "the depot, magazines of %u", cls,
			      (unsigned long long)(c->cached -
						   c->depot_cached),
			      c->mag_rounds);
	}
	free(bufs);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* No drift: buffers of one class never serve another, whatever was
 * freed before. */
START_TEST(test_no_drift)
{
	const size_t nbig = 64, nsmall = 5000;
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	void **bufs;
	size_t i, cap;
	void *buf;

	bufs = calloc(nsmall, sizeof(*bufs));
	ck_assert_ptr_nonnull(bufs);
	bp = make_default_pool();

	for (i = 0; i < nbig; i++)
		bufs[i] = alloc_one(bp, DEFAULT_MAX);
	for (i = 0; i < nbig; i++)
		free_one(bp, bufs[i]);
	st = buf_stats(bp);
	for (i = 0; i < nsmall; i++) {
		bufs[i] = alloc_one(bp, 16);
		cap = lfp_bufpool_capacity(bp, bufs[i]);
		ck_assert_msg(cap == 16, "alloc(16) #%zu after freeing 256 KiB "
			      "buffers: capacity %zu", i, cap);
	}
	st2 = buf_stats(bp);
	c = find_class(&st2, DEFAULT_MAX);
	ck_assert_uint_eq(c->allocs, find_class(&st, DEFAULT_MAX)->allocs);
	ck_assert_uint_eq(c->cached, nbig);
	ck_assert_uint_eq(find_class(&st2, 16)->in_use, nsmall);
	ck_assert_uint_eq(st2.bytes_in_use, nsmall * 16);

	/* and the other way round */
	for (i = 0; i < nsmall; i++)
		free_one(bp, bufs[i]);
	for (i = 0; i < nbig; i++) {
		bufs[i] = alloc_one(bp, DEFAULT_MAX);
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, bufs[i]),
				  DEFAULT_MAX);
	}
	for (i = 0; i < nbig; i++)
		free_one(bp, bufs[i]);

	/* interleaved: free a big one, ask a small one, and so on */
	buf = alloc_one(bp, DEFAULT_MAX);
	for (i = 0; i < 2000; i++) {
		free_one(bp, buf);
		buf = alloc_one(bp, 1 + i % 16);
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), 16);
		free_one(bp, buf);
		buf = alloc_one(bp, 32 + i % 32);
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf),
				  class_of(32 + i % 32, DEFAULT_MIN));
		free_one(bp, buf);
		buf = alloc_one(bp, DEFAULT_MAX / 2 + 1);
		ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), DEFAULT_MAX);
	}
	free_one(bp, buf);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	free(bufs);
}
END_TEST

/* A thread that fills its caches of every class of @bp, keeps @keep
 * buffers of each class out, tells the main thread, and stays alive
 * until released. */
struct holder {
	struct lfp_bufpool *bp;
	size_t keep;
	struct gate done;
	struct gate release;
	int failed;
};

static void *
holder_main(void *arg)
{
	struct holder *h = arg;
	void *bufs[64];
	size_t cls, i;

	for (cls = DEFAULT_MIN; cls <= DEFAULT_MAX && !h->failed; cls <<= 1) {
		for (i = 0; i < ARRAY_SIZE(bufs); i++) {
			bufs[i] = lfp_bufpool_alloc(h->bp, cls);
			if (!bufs[i]) {
				h->failed = 1;
				break;
			}
		}
		while (i > h->keep)
			if (lfp_bufpool_free(h->bp, bufs[--i]))
				h->failed = 1;
	}
	gate_open(&h->done);
	gate_wait(&h->release);
	return NULL;
}

/* Destroy reaches buffers in a live thread's caches, in the depot and
 * still out with users; the thread's exit afterwards does not touch the
 * destroyed pool. */
START_TEST(test_destroy_with_live_thread)
{
	struct lfp_bufpool_stats st;
	struct holder h;
	pthread_t tid;
	unsigned int i;
	void *mine;

	memset(&h, 0, sizeof(h));
	gate_init(&h.done);
	gate_init(&h.release);
	h.bp = make_default_pool();
	h.keep = (size_t)_i;
	mine = alloc_one(h.bp, 3000);
	ck_assert_int_eq(pthread_create(&tid, NULL, holder_main, &h), 0);
	gate_wait(&h.done);
	ck_assert_int_eq(h.failed, 0);
	free_one(h.bp, mine);
	st = buf_stats(h.bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	for (i = 0; i < st.nclasses; i++) {
		ck_assert_uint_eq(st.cls[i].in_use, h.keep);
		/* the holder's caches are loaded */
		ck_assert_uint_gt(st.cls[i].cached, 0);
	}

	/* the holder is alive, blocked, its caches still loaded */
	ck_assert_int_eq(lfp_bufpool_destroy(h.bp), 0);
	gate_open(&h.release);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	gate_destroy(&h.done);
	gate_destroy(&h.release);
}
END_TEST

/* The child of fork() uses a pool of its parent: frees a buffer the
 * parent allocated, allocates every class; the parent's pool is not
 * affected. */
START_TEST(test_fork)
{
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	unsigned char *a, *b, *c;
	size_t cls;
	pid_t pid;
	int status, bad = 0;

	bp = make_default_pool();
	a = alloc_one(bp, 1000);
	b = alloc_one(bp, 1000);
	memset(a, 0x61, 1024);
	memset(b, 0x62, 1024);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* no Check assertions here: report through the exit status */
		if (lfp_bufpool_capacity(bp, a) != 1024 || a[1023] != 0x61)
			bad |= 1;
		if (lfp_bufpool_free(bp, a))
			bad |= 2;
		for (cls = DEFAULT_MIN; cls <= DEFAULT_MAX; cls <<= 1) {
			c = lfp_bufpool_alloc(bp, cls);
			if (!c || lfp_bufpool_capacity(bp, c) != cls) {
				bad |= 4;
				continue;
			}
			memset(c, 0x63, cls);
			if (lfp_bufpool_free(bp, c))
				bad |= 8;
		}
		if (lfp_bufpool_free(bp, a + 1) != -EINVAL)
			bad |= 16;
		if (lfp_bufpool_free(bp, b))
			bad |= 32;
		if (lfp_bufpool_destroy(bp))
			bad |= 64;
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: status %#x", status);
	/* the parent's buffers are still its own */
	check_fill(a, 1024, 0x61, "parent's buffer after fork");
	check_fill(b, 1024, 0x62, "parent's buffer after fork");
	st = buf_stats(bp);
	ck_assert_uint_eq(find_class(&st, 1024)->in_use, 2);
	free_one(bp, a);
	free_one(bp, b);
	st = buf_stats(bp);
	check_stats_consistent(&st, DEFAULT_MIN, DEFAULT_MAX);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

static Suite *
bufpool_suite(void)
{
	Suite *s = suite_create("bufpool");
	TCase *tc;

	tc = lfp_test_tcase(s, "attr");
	tcase_add_test(tc, test_attr_init_defaults);
	tcase_add_test(tc, test_default_lines);
	tcase_add_test(tc, test_attr_init_null);

	tc = lfp_test_tcase(s, "create");
	tcase_add_test(tc, test_create_null_attr);
	tcase_add_test(tc, test_create_bad_sizes);
	tcase_add_test(tc, test_create_bad_flags);
	tcase_add_test(tc, test_create_limits);
	tcase_add_test(tc, test_create_destroy_unused);
	tcase_add_test(tc, test_create_eagain);

	tc = lfp_test_stay_tcase(s, "errors");
	tcase_add_test(tc, test_null_pool);
	tcase_add_test(tc, test_free_null_buf);
	tcase_add_test(tc, test_alloc_too_big);
	tcase_add_test(tc, test_foreign_pointers);

	tc = lfp_test_stay_tcase(s, "classes");
	tcase_add_test(tc, test_class_boundaries);
	tcase_add_test(tc, test_many_per_class);
	tcase_add_test(tc, test_min_64);
	tcase_add_test(tc, test_big_class);
	tcase_add_test(tc, test_no_drift);

	tc = lfp_test_stay_tcase(s, "stats");
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_stats_sequence);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_bounded_cache);
	tcase_add_test(tc, test_destroy_with_buffers_out);

	tc = lfp_test_tcase(s, "threads");
	tcase_add_loop_test(tc, test_free_from_other_thread, 0, 2);
	tcase_add_loop_test(tc, test_destroy_with_live_thread, 0, 3);
	tcase_add_test(tc, test_fork);

	return s;
}

int
main(void)
{
	return lfp_test_run(bufpool_suite());
}
