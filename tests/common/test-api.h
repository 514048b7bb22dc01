/* SPDX-License-Identifier: MIT */
/*
 * test-api.h - helpers of the black-box API tests (tests/api, and the
 * stress tests of buffer pools), which see the installed headers only:
 * the errno sentinel (int calls leave errno alone, <lfpool/common.h>), a
 * create call that must fail with a given errno, one object or buffer got
 * and put back, the counters of a pool and of a buffer pool's class, the
 * names pools keep (asked alike of both kinds of pool), and small
 * constants and arithmetic.
 */
#ifndef LFP_TEST_API_H
#define LFP_TEST_API_H

#include "test-common.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <lfpool.h>

/* An errno value no call of the library has a reason to store. */
#define ERRNO_SENTINEL 4242

#define KIB ((size_t)1 << 10)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void
lfp_test_int_call(int rc, int want, const char *call, const char *what,
		  const void *p)
{
	int e = errno;

	ck_assert_msg(rc == want, "%s [%s %p] = %d, expected %d", call, what,
		      p, rc, want);
	ck_assert_msg(e == ERRNO_SENTINEL, "%s [%s %p] changed errno to %d",
		      call, what, p, e);
}

/*
 * @call, a call that returns int, must return @rc and leave errno as it
 * found it (the sentinel). expect_call_refused(): the call must fail with
 * -EINVAL, and the message names the case (@what, pointer @p).
 */
#define expect_int_call(call, rc)					\
	lfp_test_int_call((errno = ERRNO_SENTINEL, (call)), (rc), #call, \
			  "", NULL)
#define expect_call_refused(call, what, p)				\
	lfp_test_int_call((errno = ERRNO_SENTINEL, (call)), -EINVAL,	\
			  #call, (what), (p))

static inline void
lfp_test_create_failed(const void *p, int err, const char *call,
		       const char *what)
{
	int e = errno;

	ck_assert_msg(p == NULL, "%s accepted %s", call, what);
	ck_assert_msg(e == err, "%s (%s): errno %d, not %d", call, what, e,
		      err);
}

/*
 * @call, a create call, must fail: NULL, with errno @err. @what names the
 * case in the message.
 */
#define expect_create_fails(call, err, what)				\
	lfp_test_create_failed((errno = 0, (const void *)(call)), (err), \
			       #call, (what))

/* The page size (4096 if it cannot be read). */
static inline size_t
page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

static inline bool
is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* One object of @pool, one buffer of @n bytes of @bp: they must come. */
static inline void *
get_one(struct lfp_objpool *pool)
{
	void *obj;

	errno = 0;
	obj = lfp_objpool_get(pool);
	ck_assert_msg(obj != NULL, "get failed: errno %d", errno);
	return obj;
}

static inline void *
alloc_one(struct lfp_bufpool *bp, size_t n)
{
	void *buf;

	errno = 0;
	buf = lfp_bufpool_alloc(bp, n);
	ck_assert_msg(buf != NULL, "alloc(%zu) failed: errno %d", n, errno);
	return buf;
}

/* Back it goes: the put (free) must succeed. */
static inline void
put_one(struct lfp_objpool *pool, void *obj)
{
	int rc = lfp_objpool_put(pool, obj);

	ck_assert_msg(rc == 0, "put(%p) = %d", obj, rc);
}

static inline void
free_one(struct lfp_bufpool *bp, void *buf)
{
	int rc = lfp_bufpool_free(bp, buf);

	ck_assert_msg(rc == 0, "free(%p) = %d", buf, rc);
}

/* The counters of @pool; the call must succeed. */
static inline struct lfp_objpool_stats
obj_stats(struct lfp_objpool *pool)
{
	struct lfp_objpool_stats st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	return st;
}

/* @pool counted @gets gets and @puts puts, @in_use out; its counters. */
static inline struct lfp_objpool_stats
expect_obj_counts(struct lfp_objpool *pool, uint64_t gets, uint64_t puts,
		  uint64_t in_use)
{
	struct lfp_objpool_stats st = obj_stats(pool);

	ck_assert_uint_eq(st.gets, gets);
	ck_assert_uint_eq(st.puts, puts);
	ck_assert_uint_eq(st.in_use, in_use);
	return st;
}

/* The counters of @bp, with no more classes than a pool may have. */
static inline struct lfp_bufpool_stats
buf_stats(struct lfp_bufpool *bp)
{
	struct lfp_bufpool_stats st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	ck_assert_uint_le(st.nclasses, LFP_BUFPOOL_CLASSES_MAX);
	return st;
}

/* The counters of the class of @size in @st; the class must be there. */
static inline const struct lfp_bufpool_class_stats *
find_class(const struct lfp_bufpool_stats *st, size_t size)
{
	unsigned int i;

	for (i = 0; i < st->nclasses; i++)
		if (st->cls[i].size == size)
			return &st->cls[i];
	ck_abort_msg("no class of %zu bytes in the stats (%u classes)", size,
		     st->nclasses);
	return NULL;
}

/*
 * The calls both kinds of pool have, for the tests that ask the same of
 * either: a pool with default attributes but its name (object pools:
 * 24-byte objects), the name its statistics give, destroy.
 */
struct pool_kind {
	void *(*create_named)(const char *name);
	const char *(*name_of)(void *pool);
	int (*destroy)(void *pool);
};

static inline void *
objpool_create_named(const char *name)
{
	struct lfp_objpool_attr attr;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 24;
	attr.name = name;
	return lfp_objpool_create(&attr);
}

static inline void *
bufpool_create_named(const char *name)
{
	struct lfp_bufpool_attr attr;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.name = name;
	return lfp_bufpool_create(&attr);
}

static inline const char *
objpool_name_of(void *pool)
{
	return obj_stats(pool).name;
}

static inline const char *
bufpool_name_of(void *bp)
{
	return buf_stats(bp).name;
}

static inline int
objpool_destroy_any(void *pool)
{
	return lfp_objpool_destroy(pool);
}

static inline int
bufpool_destroy_any(void *bp)
{
	return lfp_bufpool_destroy(bp);
}

static inline const struct pool_kind *
objpool_kind(void)
{
	static const struct pool_kind k = {
		objpool_create_named, objpool_name_of, objpool_destroy_any,
	};

	return &k;
}

static inline const struct pool_kind *
bufpool_kind(void)
{
	static const struct pool_kind k = {
		bufpool_create_named, bufpool_name_of, bufpool_destroy_any,
	};

	return &k;
}

/* A pool of kind @k named @name gives @want as its name. */
static inline void
expect_pool_named(const struct pool_kind *k, const char *name,
		  const char *want)
{
	void *pool = k->create_named(name);
	const char *got;

	ck_assert_ptr_nonnull(pool);
	got = k->name_of(pool);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(k->destroy(pool), 0);
}

/*
 * The pool keeps a copy of its name (@name, which must fit 31 bytes,
 * changes in the caller's buffer after the create), and a pool without a
 * name, or named "", gives "".
 */
static inline void
expect_name_copied(const struct pool_kind *k, const char *name)
{
	char buf[32];
	void *pool;
	const char *got;

	ck_assert_uint_lt(strlen(name), sizeof(buf));
	strcpy(buf, name);
	pool = k->create_named(buf);
	ck_assert_ptr_nonnull(pool);
	memset(buf, 'X', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	got = k->name_of(pool);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, name);
	ck_assert_int_eq(k->destroy(pool), 0);
	expect_pool_named(k, NULL, "");
	expect_pool_named(k, "", "");
}

/* A name of @len characters (at most 255) comes back whole, not cut. */
static inline void
expect_long_name_kept(const struct pool_kind *k, size_t len)
{
	char name[256];

	ck_assert_uint_ge(len, 4);
	ck_assert_uint_lt(len, sizeof(name));
	memset(name, 'n', len);
	name[len] = '\0';
	memcpy(name + len - 4, "tail", 4);
	expect_pool_named(k, name, name);
}

#endif /* LFP_TEST_API_H */
