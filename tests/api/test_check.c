/* SPDX-License-Identifier: MIT */
/*
 * test_check.c - black-box tests of checked mode (<lfpool/check.h>),
 * through the umbrella header only. A recording misuse handler stands in
 * for the default one, so each misuse must show up as exactly one report
 * (kind, pool name, pointer) while the call fails with -EINVAL and the
 * pool stays usable: double put and double free (also from another
 * thread, also inside a bulk put), foreign pointers of every origin
 * (malloc, the stack, other object and buffer pools, checked or not),
 * interior pointers, and writes after put into poisoned objects and
 * buffers; objects with a constructor keep their state, and correct use
 * from several threads gives no report. Unchecked buffer pools refuse bad
 * frees without a report, LFP_CHECKED=1 checks pools created without the
 * flag, the default handler prints the report and aborts (in a child
 * process), and lfp_misuse_name() names every kind. Deferred puts and
 * frees (put_rcu, free_rcu) are checked at their call too, against every
 * mix with the plain ones, and nothing is handed out twice afterwards.
 *
 * Unchecked object pools get no misuse at all: they do not detect it, and
 * it would corrupt them. Pools run in the cache mode the environment
 * chooses; the tests of one thread's calls keep it on one CPU (a report
 * often waits for the object to come back from the cache).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-api.h"

/* How many gets may pass before a cached object comes back. */
#define REUSE_MAX 4096

/* ---- the recording handler ------------------------------------------ */

/* Reports kept in full; later ones are only counted. */
#define REC_MAX 16

struct report {
	enum lfp_misuse_kind kind;
	char pool[64];
	const void *ptr;
};

struct recorder {
	pthread_mutex_t lock;
	unsigned int count;     /* reports received */
	unsigned int bad_arg;   /* calls that did not get &rec as arg */
	struct report r[REC_MAX];
};

static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The handler: record the report and return, so the call fails. */
static void
record(const struct lfp_misuse *m, void *arg)
{
	struct report *r;

	pthread_mutex_lock(&rec.lock);
	if (arg != &rec)
		rec.bad_arg++;
	if (rec.count < REC_MAX) {
		r = &rec.r[rec.count];
		r->kind = m->kind;
		/* the pool's name, copied: the pool may be gone when read */
		snprintf(r->pool, sizeof(r->pool), "%s",
			 m->pool ? m->pool : "(null)");
		r->ptr = m->ptr;
	}
	rec.count++;
	pthread_mutex_unlock(&rec.lock);
}

static void
rec_clear(void)
{
	pthread_mutex_lock(&rec.lock);
	rec.count = 0;
	rec.bad_arg = 0;
	memset(rec.r, 0, sizeof(rec.r));
	pthread_mutex_unlock(&rec.lock);
}

/* Start recording: a clean record, our handler installed. */
static void
rec_start(void)
{
	rec_clear();
	lfp_misuse_set_handler(record, &rec);
}

/* Back to the default handler. */
static void
rec_stop(void)
{
	lfp_misuse_set_handler(NULL, NULL);
}

static unsigned int
rec_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&rec.lock);
	n = rec.count;
	pthread_mutex_unlock(&rec.lock);
	return n;
}

/* Exactly @n reports so far (after @what), each given its handler's arg. */
static void
expect_reports(unsigned int n, const char *what)
{
	unsigned int got, bad_arg;

	pthread_mutex_lock(&rec.lock);
	got = rec.count;
	bad_arg = rec.bad_arg;
	pthread_mutex_unlock(&rec.lock);
	ck_assert_msg(got == n, "%s: %u misuse reports, expected %u", what,
		      got, n);
	ck_assert_msg(bad_arg == 0, "%s: the handler got another arg %u times",
		      what, bad_arg);
}

/* Report number @i (from 0) is @kind, on pool @pool, for @ptr. */
static void
expect_report(unsigned int i, enum lfp_misuse_kind kind, const char *pool,
	      const void *ptr, const char *what)
{
	struct report r;

	ck_assert_uint_lt(i, REC_MAX);
	ck_assert_msg(rec_count() > i, "%s: no report #%u", what, i);
	pthread_mutex_lock(&rec.lock);
	r = rec.r[i];
	pthread_mutex_unlock(&rec.lock);
	ck_assert_msg(r.kind == kind, "%s: report #%u is \"%s\" (%d), "
		      "expected \"%s\"", what, i, lfp_misuse_name(r.kind),
		      (int)r.kind, lfp_misuse_name(kind));
	ck_assert_msg(strcmp(r.pool, pool) == 0, "%s: report #%u names pool "
		      "\"%s\", expected \"%s\"", what, i, r.pool, pool);
	ck_assert_msg(r.ptr == ptr, "%s: report #%u has pointer %p, "
		      "expected %p", what, i, r.ptr, ptr);
}

/* The one new report since @before is @kind on @pool for @ptr. */
static void
expect_new_report(unsigned int before, enum lfp_misuse_kind kind,
		  const char *pool, const void *ptr, const char *what)
{
	expect_reports(before + 1, what);
	expect_report(before, kind, pool, ptr, what);
}

/*
 * Safety net for a test that fails half-way: the next test (in the same
 * process under CK_FORK=no) starts with the default handler and no
 * LFP_CHECKED. Every test restores both itself when it passes.
 */
static void
restore_defaults(void)
{
	lfp_misuse_set_handler(NULL, NULL);
	unsetenv("LFP_CHECKED");
}

/* ---- object pools ---------------------------------------------------- */

#define OBJ_MAGIC 0x6c66706f6f6c4f4bULL
#define OBJ_KEY 0x9e3779b97f4a7c15ULL

/* The head of every object of a pool with a constructor. */
struct tobj {
	uint64_t magic;
	uint64_t value;
};

static int
tobj_ctor(void *obj, void *arg)
{
	struct tobj *o = obj;

	o->magic = OBJ_MAGIC;
	o->value = 0;
	return 0;
}

static struct lfp_objpool *
make_objpool(size_t size, const char *name, unsigned int flags, bool ctor)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.name = name;
	attr.flags = flags;
	if (ctor) {
		ck_assert_uint_ge(size, sizeof(struct tobj));
		attr.ctor = tobj_ctor;
	}
	pool = lfp_objpool_create(&attr);
	ck_assert_msg(pool != NULL, "objpool create(size %zu, flags %#x): "
		      "errno %d", size, flags, errno);
	return pool;
}

static struct lfp_objpool *
make_checked_objpool(size_t size, const char *name)
{
	return make_objpool(size, name, LFP_OBJPOOL_F_CHECKED, false);
}

/* The counters add up, with @gets, @puts and @in_use as given. */
static void
expect_obj_stats(struct lfp_objpool *pool, uint64_t gets, uint64_t puts,
		 uint64_t in_use)
{
	struct lfp_objpool_stats st = expect_obj_counts(pool, gets, puts,
							 in_use);

	ck_assert_uint_eq(st.objects, st.cached + st.in_use);
}

/* put(@obj) must be refused with -EINVAL, errno left alone. */
#define expect_put_refused(pool, obj, what) \
	expect_call_refused(lfp_objpool_put(pool, obj), what, obj)

/* A get and a put still work, and add only themselves to the counters. */
static void
expect_pool_usable(struct lfp_objpool *pool)
{
	struct lfp_objpool_stats before = obj_stats(pool), after;
	unsigned int reports = rec_count();
	void *obj;

	obj = get_one(pool);
	put_one(pool, obj);
	after = expect_obj_counts(pool, before.gets + 1, before.puts + 1,
				  before.in_use);
	ck_assert_uint_eq(after.objects, after.cached + after.in_use);
	expect_reports(reports, "a get and put after misuse");
}

/*
 * Get objects from @pool until @obj comes back (a thread's cache is LIFO,
 * so normally at once); the others go back. Fails if it never does.
 */
static void
get_until(struct lfp_objpool *pool, void *obj)
{
	void **others = calloc(REUSE_MAX, sizeof(*others));
	size_t n = 0;
	void *o;

	ck_assert_ptr_nonnull(others);
	for (;;) {
		o = get_one(pool);
		if (o == obj)
			break;
		ck_assert_msg(n < REUSE_MAX, "object %p not handed out again "
			      "in %d gets", obj, REUSE_MAX);
		others[n++] = o;
	}
	while (n)
		put_one(pool, others[--n]);
	free(others);
}

/* A second put of the same object is refused and reported once; the
 * refused put does not count, and the pool goes on as if it never came. */
START_TEST(test_obj_double_put)
{
	struct lfp_objpool *pool;
	void *a, *b, *x, *y;

	rec_start();
	pool = make_checked_objpool(48, "doubles");
	a = get_one(pool);
	b = get_one(pool);
	put_one(pool, a);
	expect_reports(0, "a correct put");
	expect_put_refused(pool, a, "an object put already");
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, "doubles", a,
			  "double put");
	expect_obj_stats(pool, 2, 1, 1);

	/* a was taken once: two gets hand out two objects, no report */
	x = get_one(pool);
	y = get_one(pool);
	ck_assert_ptr_ne(x, y);
	ck_assert_ptr_ne(x, b);
	ck_assert_ptr_ne(y, b);
	ck_assert_msg(x == a || y == a, "the object put once is not handed "
		      "out again (%p, %p, expected %p)", x, y, a);
	expect_reports(1, "gets after a refused double put");
	expect_obj_stats(pool, 4, 1, 3);

	/* put NULL is still nothing, and no misuse */
	ck_assert_int_eq(lfp_objpool_put(pool, NULL), 0);
	put_one(pool, x);
	put_one(pool, y);
	put_one(pool, b);
	expect_reports(1, "correct puts after a double put");
	expect_obj_stats(pool, 4, 4, 0);

	/* again, with the object back in the pool for a while */
	expect_put_refused(pool, b, "an object put already");
	expect_new_report(1, LFP_MISUSE_DOUBLE_FREE, "doubles", b,
			  "second double put");
	expect_obj_stats(pool, 4, 4, 0);
	expect_pool_usable(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

/* A report of a pool created without a name names it "". */
START_TEST(test_obj_double_put_unnamed)
{
	struct lfp_objpool *pool;
	void *a;

	rec_start();
	pool = make_checked_objpool(32, NULL);
	a = get_one(pool);
	put_one(pool, a);
	expect_put_refused(pool, a, "an object put already");
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, "", a,
			  "double put, unnamed pool");
	expect_pool_usable(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

struct putter {
	struct lfp_objpool *pool;
	void *obj;
	int rc;
};

static void *
putter_main(void *arg)
{
	struct putter *p = arg;

	p->rc = lfp_objpool_put(p->pool, p->obj);
	return NULL;
}

/* lfp_objpool_put(@pool, @obj) in a thread of its own; its result. */
static int
put_in_thread(struct lfp_objpool *pool, void *obj)
{
	struct putter p = { .pool = pool, .obj = obj, .rc = 1 };

	lfp_test_in_thread(putter_main, &p);
	return p.rc;
}

/* A double put is caught whichever thread makes either of the two puts. */
START_TEST(test_obj_double_put_other_thread)
{
	struct lfp_objpool *pool;
	void *a, *b;

	rec_start();
	pool = make_checked_objpool(64, "threads");
	a = get_one(pool);
	b = get_one(pool);

	/* put here, then again from another thread */
	put_one(pool, a);
	ck_assert_int_eq(put_in_thread(pool, a), -EINVAL);
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, "threads", a,
			  "second put from another thread");
	expect_obj_stats(pool, 2, 1, 1);

	/* put from another thread, then again here */
	ck_assert_int_eq(put_in_thread(pool, b), 0);
	expect_reports(1, "a correct put from another thread");
	expect_put_refused(pool, b, "an object another thread put");
	expect_new_report(1, LFP_MISUSE_DOUBLE_FREE, "threads", b,
			  "second put after one from another thread");
	expect_obj_stats(pool, 2, 2, 0);

	/* and from two other threads */
	a = get_one(pool);
	ck_assert_int_eq(put_in_thread(pool, a), 0);
	ck_assert_int_eq(put_in_thread(pool, a), -EINVAL);
	expect_new_report(2, LFP_MISUSE_DOUBLE_FREE, "threads", a,
			  "two puts from two other threads");
	expect_obj_stats(pool, 3, 3, 0);
	expect_pool_usable(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

static struct lfp_bufpool *
make_bufpool(const char *name, unsigned int flags)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = LFP_BUFPOOL_SIZE_MIN;   /* dense: a class of 16 B */
	attr.name = name;
	attr.flags = flags;
	bp = lfp_bufpool_create(&attr);
	ck_assert_msg(bp != NULL, "bufpool create(flags %#x): errno %d", flags,
		      errno);
	return bp;
}

/* Pointers inside an object are refused as interior; the object itself
 * is still held by its user and can be put. */
START_TEST(test_obj_interior)
{
	static const size_t offsets[] = { 1, 8, 63 };
	struct lfp_objpool *pool;
	unsigned char *obj;
	unsigned int i;

	rec_start();
	pool = make_checked_objpool(64, "inside");
	obj = get_one(pool);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		expect_put_refused(pool, obj + offsets[i],
				   "a pointer inside an object");
		expect_new_report(i, LFP_MISUSE_INTERIOR, "inside",
				  obj + offsets[i], "interior put");
		/* (each usable check adds a get and a put) */
		expect_obj_stats(pool, 1 + i, i, 1);
		expect_pool_usable(pool);
	}
	/* the refused puts took nothing: the object still goes back once */
	put_one(pool, obj);
	expect_obj_stats(pool, 4, 4, 0);
	expect_reports(ARRAY_SIZE(offsets), "putting the object itself");
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

/* Where write_after_put writes, in a 64-byte object. */
static const size_t waf_offsets[] = { 0, 10, 63 };

/* A byte written into a cached object of a pool without constructor is
 * reported by the get that hands the object out again. */
START_TEST(test_obj_write_after_put)
{
#ifdef __SANITIZE_ADDRESS__
	/*
	 * Under AddressSanitizer every cached object is poisoned for ASan
	 * too: the write below is reported by ASan itself, which aborts.
	 * That is the sanitizer doing its job (test-sanitize.sh tests it);
	 * the checked-mode report is tested in the other builds.
	 */
	return;
#else
	/* Likewise valgrind reports the write as an error of its own. */
	if (RUNNING_ON_VALGRIND)
		return;
	const size_t off = waf_offsets[_i];
	struct lfp_objpool *pool;
	unsigned char *obj;

	rec_start();
	pool = make_checked_objpool(64, "scribbled");
	obj = get_one(pool);
	memset(obj, 0x5a, 64);
	put_one(pool, obj);
	expect_reports(0, "a correct put");
	/* the misuse under test: a write into an object put back */
	((volatile unsigned char *)obj)[off] = 0x11;
	get_until(pool, obj);
	expect_new_report(0, LFP_MISUSE_WRITE_AFTER_FREE, "scribbled", obj,
			  "get of an object written after put");
	/* the get handed it out all the same: it is the user's again */
	ck_assert_uint_eq(obj_stats(pool).in_use, 1);
	memset(obj, 0x66, 64);
	put_one(pool, obj);

	/* correct use of the same object reports nothing more */
	get_until(pool, obj);
	memset(obj, 0x77, 64);
	put_one(pool, obj);
	get_until(pool, obj);
	put_one(pool, obj);
	expect_reports(1, "correct use after a write after put");
	expect_pool_usable(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
#endif
}
END_TEST

/* With a constructor, objects keep their state in checked mode too: no
 * poison, so no report. */
START_TEST(test_obj_ctor_state_kept)
{
	enum { N = 200 };
	struct lfp_objpool *pool;
	struct tobj *objs[N], *o;
	size_t i;

	rec_start();
	pool = make_objpool(sizeof(struct tobj) + 16, "constructed",
			    LFP_OBJPOOL_F_CHECKED, true);
	o = get_one(pool);
	ck_assert_uint_eq(o->magic, OBJ_MAGIC);
	o->value = 12345;
	put_one(pool, o);
	get_until(pool, o);
	ck_assert_uint_eq(o->magic, OBJ_MAGIC);
	ck_assert_uint_eq(o->value, 12345);
	put_one(pool, o);

	/* many objects, through the depot and back: each keeps its value */
	for (i = 0; i < N; i++) {
		objs[i] = get_one(pool);
		ck_assert_uint_eq(objs[i]->magic, OBJ_MAGIC);
		objs[i]->value = (uint64_t)(uintptr_t)objs[i] ^ OBJ_KEY;
	}
	for (i = 0; i < N; i++)
		put_one(pool, objs[i]);
	lfp_thread_flush();
	for (i = 0; i < N; i++) {
		objs[i] = get_one(pool);
		ck_assert_uint_eq(objs[i]->magic, OBJ_MAGIC);
		ck_assert_msg(objs[i]->value ==
			      ((uint64_t)(uintptr_t)objs[i] ^ OBJ_KEY),
			      "object %p lost its state in the pool",
			      (void *)objs[i]);
	}
	for (i = 0; i < N; i++)
		put_one(pool, objs[i]);
	expect_reports(0, "state kept across put and get");
	expect_obj_stats(pool, 2 * N + 2, 2 * N + 2, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

/* A bulk put stops at the first refused entry: the ones before it are
 * taken, it and the ones after are not. */
/*
 * put_bulk(@list of @n) stops at its third entry, a double put of @twice:
 * it returns 2 with errno EINVAL, and @twice is reported (report number
 * @reports) as a double free.
 */
static void
expect_bulk_stops(struct lfp_objpool *pool, void **list, size_t n,
		  void *twice, unsigned int reports, const char *what)
{
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, list, n), 2);
	ck_assert_int_eq(errno, EINVAL);
	expect_new_report(reports, LFP_MISUSE_DOUBLE_FREE, "bulk", twice,
			  what);
}

START_TEST(test_obj_bulk_double)
{
	struct lfp_objpool *pool;
	void *objs[6];

	rec_start();
	pool = make_checked_objpool(40, "bulk");
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 6), 6);
	expect_reports(0, "a bulk get");
	put_one(pool, objs[0]);

	/* objs[0] again, in the middle */
	{
		void *list[] = { objs[1], NULL, objs[0], objs[2], objs[3] };

		expect_bulk_stops(pool, list, ARRAY_SIZE(list), objs[0], 0,
				  "bulk put with an object put already");
	}
	expect_obj_stats(pool, 6, 2, 4);

	/* a double within one bulk call */
	{
		void *list[] = { objs[2], objs[3], objs[2], objs[4] };

		expect_bulk_stops(pool, list, ARRAY_SIZE(list), objs[2], 1,
				  "bulk put with the same object twice");
	}
	expect_obj_stats(pool, 6, 4, 2);

	/* what was not taken is still the user's */
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, &objs[4], 2), 2);
	expect_obj_stats(pool, 6, 6, 0);
	expect_reports(2, "the rest put");
	expect_pool_usable(pool);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	rec_stop();
}
END_TEST

/* ---- buffer pools ----------------------------------------------------- */

/* Buffer sizes to try: small, a page, a class whose cache holds few. */
static const size_t buf_sizes[] = { 16, 64, 1000, 4 * KIB, 64 * KIB };

/* The counters of the class of @size. */
static struct lfp_bufpool_class_stats
buf_class(struct lfp_bufpool *bp, size_t size)
{
	struct lfp_bufpool_stats st = buf_stats(bp);

	return *find_class(&st, size);
}

static void
expect_class_stats(struct lfp_bufpool *bp, size_t size, uint64_t allocs,
		   uint64_t frees, uint64_t in_use)
{
	struct lfp_bufpool_class_stats cs = buf_class(bp, size);

	ck_assert_uint_eq(cs.allocs, allocs);
	ck_assert_uint_eq(cs.frees, frees);
	ck_assert_uint_eq(cs.in_use, in_use);
	ck_assert_uint_eq(cs.buffers, cs.cached + cs.in_use);
}

/* free(@buf) must be refused with -EINVAL, errno left alone. */
#define expect_free_refused(bp, buf, what) \
	expect_call_refused(lfp_bufpool_free(bp, buf), what, buf)

/* An alloc and a free of every tried size still work, with no report. */
static void
expect_bufpool_usable(struct lfp_bufpool *bp)
{
	unsigned int reports = rec_count();
	uint64_t in_use = buf_stats(bp).bytes_in_use;
	void *buf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(buf_sizes); i++) {
		buf = alloc_one(bp, buf_sizes[i]);
		memset(buf, 0x3c, buf_sizes[i]);
		free_one(bp, buf);
	}
	ck_assert_uint_eq(buf_stats(bp).bytes_in_use, in_use);
	expect_reports(reports, "allocs and frees after misuse");
}

/* ---- either kind of pool --------------------------------------------- */

/*
 * The tests of foreign pointers and of deferred puts ask the same of
 * object and buffer pools: a pool of either kind, and the calls that
 * differ. The deferred tests run once on a checked object pool (row 0)
 * and once per buffer size on a checked buffer pool.
 */
struct dpool {
	struct lfp_objpool *op;         /* an object pool, or */
	struct lfp_bufpool *bp;         /* a buffer pool */
	size_t size;                    /* an object's, or the one asked for */
	size_t cap;                     /* buffers: the class's */
	const char *name;               /* the pool's */
};

static struct dpool
dpool_make(int row)
{
	struct dpool p = { .op = NULL };

	if (row == 0) {
		p.name = "deferred";
		p.size = 48;
		p.op = make_checked_objpool(p.size, p.name);
	} else {
		p.name = "deferred-bufs";
		p.size = buf_sizes[row - 1];
		p.bp = make_bufpool(p.name, LFP_BUFPOOL_F_CHECKED);
	}
	return p;
}

static void *
dpool_get(struct dpool *p)
{
	void *x;

	if (p->op)
		return get_one(p->op);
	x = alloc_one(p->bp, p->size);
	p->cap = lfp_bufpool_capacity(p->bp, x);
	return x;
}

static void
dpool_put(struct dpool *p, void *x)
{
	if (p->op)
		put_one(p->op, x);
	else
		free_one(p->bp, x);
}

static int
dpool_put_rcu(struct dpool *p, void *x)
{
	return p->op ? lfp_objpool_put_rcu(p->op, x)
		     : lfp_bufpool_free_rcu(p->bp, x);
}

/* The plain put (free) of @x must be refused. */
static void
dpool_put_refused(struct dpool *p, void *x, const char *what)
{
	if (p->op)
		expect_put_refused(p->op, x, what);
	else
		expect_free_refused(p->bp, x, what);
}

/* Deferred puts not back yet (buffers: of the class, out). */
static uint64_t
dpool_pending(struct dpool *p)
{
	return p->op ? obj_stats(p->op).deferred
		     : buf_class(p->bp, p->cap).in_use;
}

/* Objects (buffers of the class) carved. */
static uint64_t
dpool_carved(struct dpool *p)
{
	return p->op ? obj_stats(p->op).objects
		     : buf_class(p->bp, p->cap).buffers;
}

/* @gets gets and @puts puts counted (buffers: of the class), @in_use out. */
static void
dpool_expect_counts(struct dpool *p, uint64_t gets, uint64_t puts,
		    uint64_t in_use)
{
	if (p->op)
		expect_obj_stats(p->op, gets, puts, in_use);
	else
		expect_class_stats(p->bp, p->cap, gets, puts, in_use);
}

/* @n gets and @n puts counted, none in use. */
static void
dpool_expect_stats(struct dpool *p, uint64_t n)
{
	dpool_expect_counts(p, n, n, 0);
}

/* A get and a put (an alloc and a free of each size) still work. */
static void
dpool_usable(struct dpool *p)
{
	if (p->op)
		expect_pool_usable(p->op);
	else
		expect_bufpool_usable(p->bp);
}

/*
 * Send the partial batch on its way; wait (5 s at most) until every
 * deferred put is back.
 */
static void
dpool_wait_deferred(struct dpool *p)
{
	const struct timespec ms = { 0, 1000000 };
	int i;

	ck_assert_int_eq(p->op ? lfp_objpool_flush(p->op)
			       : lfp_bufpool_flush(p->bp), 0);
	for (i = 0; i < 5000 && dpool_pending(p); i++)
		nanosleep(&ms, NULL);
	ck_assert_msg(dpool_pending(p) == 0, "%s: %llu deferred puts not back "
		      "after 5 s", p->name,
		      (unsigned long long)dpool_pending(p));
}

static void
dpool_destroy(struct dpool *p)
{
	dpool_usable(p);
	if (p->op)
		ck_assert_int_eq(lfp_objpool_destroy(p->op), 0);
	else
		ck_assert_int_eq(lfp_bufpool_destroy(p->bp), 0);
}

/* A pointer the pool did not hand out, and what it is. */
struct bad_ptr {
	void *ptr;
	const char *what;
};

/*
 * Case @i of a loop over foreign pointers: @bad is refused and reported
 * as foreign, takes nothing (the pool's one object or buffer is still
 * out), and the pool stays usable (each usable check adds a get and a
 * put).
 */
static void
dpool_expect_foreign(struct dpool *p, const struct bad_ptr *bad,
		     unsigned int i)
{
	unsigned int reports = rec_count();

	dpool_put_refused(p, bad->ptr, bad->what);
	expect_new_report(reports, LFP_MISUSE_FOREIGN, p->name, bad->ptr,
			  bad->what);
	dpool_expect_counts(p, 1 + i, i, 1);
	dpool_usable(p);
}

/* Pointers that are no object of the pool, of every origin: refused and
 * reported as foreign, the pool and the other pools unharmed. */
START_TEST(test_obj_foreign)
{
	alignas(64) unsigned char stack_obj[64];
	struct lfp_objpool *pool, *checked, *unchecked;
	struct lfp_bufpool *bp, *cbp;
	void *mine, *heap, *co, *uo, *buf, *cbuf;
	struct dpool p = { .size = 64, .name = "host" };
	unsigned int i, reports;

	rec_start();
	pool = make_checked_objpool(64, "host");
	/* a pool that has handed out nothing yet refuses them too */
	expect_put_refused(pool, stack_obj, "a stack address");
	expect_new_report(0, LFP_MISUSE_FOREIGN, "host", stack_obj,
			  "stack address into an unused pool");

	/* same object size everywhere: only the owner can tell */
	checked = make_checked_objpool(64, "other-checked");
	unchecked = make_objpool(64, "other-unchecked", 0, false);
	bp = make_bufpool("bufs", 0);
	cbp = make_bufpool("checked-bufs", LFP_BUFPOOL_F_CHECKED);
	mine = get_one(pool);
	heap = malloc(64);
	ck_assert_ptr_nonnull(heap);
	co = get_one(checked);
	uo = get_one(unchecked);
	buf = alloc_one(bp, 64);
	cbuf = alloc_one(cbp, 64);

	const struct bad_ptr cases[] = {
		{ heap, "malloc'd memory" },
		{ stack_obj, "a stack address" },
		{ co, "an object of another checked pool" },
		{ uo, "an object of an unchecked pool" },
		{ buf, "a buffer of a buffer pool" },
		{ cbuf, "a buffer of a checked buffer pool" },
	};

	p.op = pool;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		dpool_expect_foreign(&p, &cases[i], i);
		/* (the usable check added a get and a put) */
		expect_obj_stats(pool, 2 + i, 1 + i, 1);
	}
	/* the last place of mine's 64 KiB chunk: never carved, never out */
	{
		unsigned char *last = (unsigned char *)((uintptr_t)mine &
			~(uintptr_t)0xffff) + 0x10000 - 64;

		reports = rec_count();
		expect_put_refused(pool, last, "a place never handed out");
		expect_new_report(reports, LFP_MISUSE_FOREIGN, "host", last,
				  "a place never handed out");
	}
	reports = rec_count();
	put_one(pool, mine);
	expect_obj_stats(pool, 1 + i, 1 + i, 0);

	/* their owners take them back as usual */
	put_one(checked, co);
	put_one(unchecked, uo);
	free_one(bp, buf);
	free_one(cbp, cbuf);
	free(heap);
	expect_reports(reports, "the owners' own puts and frees");
	expect_obj_stats(checked, 1, 1, 0);
	expect_obj_stats(unchecked, 1, 1, 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	ck_assert_int_eq(lfp_objpool_destroy(checked), 0);
	ck_assert_int_eq(lfp_objpool_destroy(unchecked), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(cbp), 0);
	rec_stop();
}
END_TEST

START_TEST(test_buf_double_free)
{
	const size_t size = buf_sizes[_i];
	struct lfp_bufpool *bp;
	void *a, *b;
	size_t cap;

	rec_start();
	bp = make_bufpool("buffers", LFP_BUFPOOL_F_CHECKED);
	a = alloc_one(bp, size);
	b = alloc_one(bp, size);
	cap = lfp_bufpool_capacity(bp, a);
	ck_assert_uint_ge(cap, size);
	free_one(bp, a);
	expect_reports(0, "a correct free");
	expect_free_refused(bp, a, "a buffer freed already");
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, "buffers", a,
			  "double free");
	expect_class_stats(bp, cap, 2, 1, 1);

	free_one(bp, b);
	expect_free_refused(bp, b, "a buffer freed already");
	expect_new_report(1, LFP_MISUSE_DOUBLE_FREE, "buffers", b,
			  "second double free");
	expect_class_stats(bp, cap, 2, 2, 0);

	/* each went back once: two allocs give two buffers, no report */
	a = alloc_one(bp, size);
	b = alloc_one(bp, size);
	ck_assert_ptr_ne(a, b);
	free_one(bp, a);
	free_one(bp, b);
	expect_reports(2, "allocs and frees after double frees");
	expect_class_stats(bp, cap, 4, 4, 0);
	expect_bufpool_usable(bp);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
}
END_TEST

START_TEST(test_buf_foreign)
{
	alignas(64) unsigned char stack_buf[64];
	struct lfp_bufpool *bp, *other, *cother;
	struct lfp_objpool *op;
	void *mine, *heap, *ob, *cob, *obj;
	struct dpool p = { .size = 64, .cap = 64, .name = "mine" };
	unsigned int i, reports;

	rec_start();
	bp = make_bufpool("mine", LFP_BUFPOOL_F_CHECKED);
	other = make_bufpool("other", 0);
	cother = make_bufpool("other-checked", LFP_BUFPOOL_F_CHECKED);
	op = make_checked_objpool(64, "objects");
	mine = alloc_one(bp, 64);
	heap = malloc(64);
	ck_assert_ptr_nonnull(heap);
	ob = alloc_one(other, 64);
	cob = alloc_one(cother, 64);
	obj = get_one(op);

	const struct bad_ptr cases[] = {
		{ heap, "malloc'd memory" },
		{ stack_buf, "a stack address" },
		{ ob, "a buffer of another pool" },
		{ cob, "a buffer of another checked pool" },
		{ obj, "an object of a checked object pool" },
	};

	p.bp = bp;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		dpool_expect_foreign(&p, &cases[i], i);
	reports = rec_count();
	free_one(bp, mine);
	expect_class_stats(bp, 64, 1 + ARRAY_SIZE(cases),
			   1 + ARRAY_SIZE(cases), 0);

	/* their owners take them back as usual */
	free_one(other, ob);
	free_one(cother, cob);
	put_one(op, obj);
	free(heap);
	expect_reports(reports, "the owners' own frees");
	expect_class_stats(other, 64, 1, 1, 0);
	expect_class_stats(cother, 64, 1, 1, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(other), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(cother), 0);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	rec_stop();
}
END_TEST

START_TEST(test_buf_interior)
{
	const size_t size = buf_sizes[_i];
	const size_t offsets[] = { 1, 8, 16, size / 2, size - 1 };
	struct lfp_bufpool *bp;
	unsigned char *buf;
	unsigned int i, reports = 0;
	size_t cap;

	rec_start();
	bp = make_bufpool("interior", LFP_BUFPOOL_F_CHECKED);
	buf = alloc_one(bp, size);
	cap = lfp_bufpool_capacity(bp, buf);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		/* (16 is the next buffer in the 16-byte class) */
		if (offsets[i] >= size)
			continue;
		expect_free_refused(bp, buf + offsets[i],
				    "a pointer inside a buffer");
		expect_new_report(reports, LFP_MISUSE_INTERIOR, "interior",
				  buf + offsets[i], "interior free");
		reports++;
		expect_class_stats(bp, cap, 1, 0, 1);
	}
	ck_assert_uint_gt(reports, 0);
	expect_bufpool_usable(bp);
	/* the refused frees took nothing: the buffer still goes back once */
	reports = rec_count();
	free_one(bp, buf);
	expect_reports(reports, "freeing the buffer itself");
	ck_assert_uint_eq(buf_class(bp, cap).in_use, 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/* Allocate @n bytes from @bp until @buf comes back; the others go back. */
static void
alloc_until(struct lfp_bufpool *bp, size_t n, void *buf)
{
	void **others = calloc(REUSE_MAX, sizeof(*others));
	size_t k = 0;
	void *b;

	ck_assert_ptr_nonnull(others);
	for (;;) {
		b = alloc_one(bp, n);
		if (b == buf)
			break;
		ck_assert_msg(k < REUSE_MAX, "buffer %p not handed out again "
			      "in %d allocs", buf, REUSE_MAX);
		others[k++] = b;
	}
	while (k)
		free_one(bp, others[--k]);
	free(others);
}
#endif

/* Where write_after_free writes, by buffer size. */
static const struct {
	size_t size;
	size_t off;
} wafb_cases[] = {
	{ 64, 0 }, { 64, 63 }, { 4 * KIB, 2000 }, { 4 * KIB, 4 * KIB - 1 },
};

/* A byte written into a freed buffer is reported by the alloc that hands
 * the buffer out again. */
START_TEST(test_buf_write_after_free)
{
#ifdef __SANITIZE_ADDRESS__
	/* Skipped under AddressSanitizer, which catches (and aborts on) the
	 * write itself: see test_obj_write_after_put. */
	return;
#else
	const size_t size = wafb_cases[_i].size, off = wafb_cases[_i].off;
	struct lfp_bufpool *bp;
	unsigned char *buf;

	if (RUNNING_ON_VALGRIND)        /* as in test_obj_write_after_put */
		return;

	rec_start();
	bp = make_bufpool("freed", LFP_BUFPOOL_F_CHECKED);
	buf = alloc_one(bp, size);
	ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), size);
	memset(buf, 0x5a, size);
	free_one(bp, buf);
	expect_reports(0, "a correct free");
	/* the misuse under test: a write into a freed buffer */
	((volatile unsigned char *)buf)[off] = 0x11;
	alloc_until(bp, size, buf);
	expect_new_report(0, LFP_MISUSE_WRITE_AFTER_FREE, "freed", buf,
			  "alloc of a buffer written after free");
	/* the alloc handed it out all the same */
	ck_assert_uint_eq(buf_class(bp, size).in_use, 1);
	memset(buf, 0x66, size);
	free_one(bp, buf);

	/* correct use of the same buffer reports nothing more */
	alloc_until(bp, size, buf);
	memset(buf, 0x77, size);
	free_one(bp, buf);
	alloc_until(bp, size, buf);
	free_one(bp, buf);
	expect_reports(1, "correct use after a write after free");
	ck_assert_uint_eq(buf_class(bp, size).in_use, 0);
	expect_bufpool_usable(bp);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
#endif
}
END_TEST

/* Correct use from several threads: buffers of mixed classes, filled
 * whole, half freed by their allocator and half by the next thread. */
enum { MT_THREADS = 4, MT_BUFS = 64 };

struct mt_thread {
	struct lfp_bufpool *bp;
	pthread_barrier_t *bar;
	struct mt_thread *next;         /* whose odd buffers this one frees */
	unsigned int id;
	unsigned int rounds;
	unsigned char *bufs[MT_BUFS];
	size_t sizes[MT_BUFS];
	unsigned long errors;           /* failed calls, wrong contents */
};

static void *
mt_main(void *arg)
{
	struct mt_thread *t = arg;
	struct mt_thread *n = t->next;
	uint64_t seed = 0x1234567ULL * (t->id + 1);
	unsigned char fill = (unsigned char)(0x10 + t->id);
	unsigned int r, i;
	size_t j, cap;

	for (r = 0; r < t->rounds; r++) {
		for (i = 0; i < MT_BUFS; i++) {
			/* 1 B .. 16 KiB, every class about as often */
			unsigned int k = lfp_test_rand(&seed) % 11;
			size_t sz = ((size_t)16 << k) -
				    lfp_test_rand(&seed) % ((size_t)8 << k);

			t->bufs[i] = lfp_bufpool_alloc(t->bp, sz);
			t->sizes[i] = sz;
			if (!t->bufs[i]) {
				t->errors++;
				continue;
			}
			cap = lfp_bufpool_capacity(t->bp, t->bufs[i]);
			if (cap < sz)
				t->errors++;
			memset(t->bufs[i], fill, cap);
		}
		/* free the even ones here */
		for (i = 0; i < MT_BUFS; i += 2)
			if (t->bufs[i] && lfp_bufpool_free(t->bp, t->bufs[i]))
				t->errors++;
		pthread_barrier_wait(t->bar);
		/* and the next thread's odd ones, checking their contents */
		for (i = 1; i < MT_BUFS; i += 2) {
			unsigned char *b = n->bufs[i];
			unsigned char nfill = (unsigned char)(0x10 + n->id);

			if (!b)
				continue;
			for (j = 0; j < n->sizes[i]; j++) {
				if (b[j] != nfill) {
					t->errors++;
					break;
				}
			}
			if (lfp_bufpool_free(t->bp, b))
				t->errors++;
		}
		/* the next round refills bufs[] once nobody reads them */
		pthread_barrier_wait(t->bar);
	}
	lfp_thread_flush();
	return NULL;
}

START_TEST(test_buf_threads_no_false_reports)
{
	struct mt_thread th[MT_THREADS];
	pthread_t tid[MT_THREADS];
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	pthread_barrier_t bar;
	unsigned int i;

	rec_start();
	bp = make_bufpool("shared", LFP_BUFPOOL_F_CHECKED);
	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, MT_THREADS), 0);
	memset(th, 0, sizeof(th));
	for (i = 0; i < MT_THREADS; i++) {
		th[i].bp = bp;
		th[i].bar = &bar;
		th[i].next = &th[(i + 1) % MT_THREADS];
		th[i].id = i;
		th[i].rounds = 50 * lfp_test_scale();
	}
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&tid[i], NULL, mt_main, &th[i]),
				 0);
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
	ck_assert_int_eq(pthread_barrier_destroy(&bar), 0);
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_msg(th[i].errors == 0, "thread %u: %lu errors", i,
			      th[i].errors);
	expect_reports(0, "correct use from four threads");
	st = buf_stats(bp);
	ck_assert_uint_eq(st.allocs, (uint64_t)MT_THREADS * MT_BUFS *
			  th[0].rounds);
	ck_assert_uint_eq(st.frees, st.allocs);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	expect_bufpool_usable(bp);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
}
END_TEST

/* An unchecked buffer pool refuses foreign and interior pointers too,
 * but reports nothing. */
START_TEST(test_buf_unchecked_no_report)
{
	alignas(64) unsigned char stack_buf[64];
	struct lfp_bufpool *bp, *other;
	unsigned char *buf, *big, *ob;
	void *heap;

	rec_start();
	/* unchecked even when the whole run has LFP_CHECKED=1 */
	ck_assert_int_eq(unsetenv("LFP_CHECKED"), 0);
	bp = make_bufpool("quiet", 0);
	other = make_bufpool("quiet-other", 0);
	buf = alloc_one(bp, 64);
	big = alloc_one(bp, 4 * KIB);
	ob = alloc_one(other, 64);
	heap = malloc(64);
	ck_assert_ptr_nonnull(heap);

	expect_free_refused(bp, buf + 1, "a pointer inside a buffer");
	expect_free_refused(bp, buf + 8, "a pointer inside a buffer");
	expect_free_refused(bp, big + 2 * KIB, "a pointer inside a buffer");
	expect_free_refused(bp, heap, "malloc'd memory");
	expect_free_refused(bp, stack_buf, "a stack address");
	expect_free_refused(bp, ob, "a buffer of another pool");
	expect_reports(0, "bad frees in an unchecked pool");
	expect_class_stats(bp, 64, 1, 0, 1);
	expect_class_stats(bp, 4 * KIB, 1, 0, 1);

	free_one(bp, buf);
	free_one(bp, big);
	free_one(other, ob);
	free(heap);
	expect_class_stats(bp, 64, 1, 1, 0);
	expect_bufpool_usable(bp);
	expect_reports(0, "correct use of an unchecked pool");
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(other), 0);
	rec_stop();
}
END_TEST

/* ---- LFP_CHECKED ------------------------------------------------------ */

/* LFP_CHECKED=1 at creation checks pools created without the flag; the
 * pools stay checked after the variable goes. */
START_TEST(test_env_checked)
{
	struct lfp_objpool *pool;
	struct lfp_bufpool *bp;
	void *a, *buf;

	rec_start();
	ck_assert_int_eq(setenv("LFP_CHECKED", "1", 1), 0);
	pool = make_objpool(32, "env-objects", 0, false);
	bp = make_bufpool("env-buffers", 0);
	ck_assert_int_eq(unsetenv("LFP_CHECKED"), 0);

	a = get_one(pool);
	put_one(pool, a);
	expect_reports(0, "a correct put");
	expect_put_refused(pool, a, "an object put already");
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, "env-objects", a,
			  "double put, LFP_CHECKED=1");
	expect_obj_stats(pool, 1, 1, 0);
	expect_pool_usable(pool);

	buf = alloc_one(bp, 100);
	free_one(bp, buf);
	expect_free_refused(bp, buf, "a buffer freed already");
	expect_new_report(1, LFP_MISUSE_DOUBLE_FREE, "env-buffers", buf,
			  "double free, LFP_CHECKED=1");
	ck_assert_uint_eq(buf_class(bp, 128).in_use, 0);
	/* interior pointers are now reported too */
	buf = alloc_one(bp, 100);
	expect_free_refused(bp, (char *)buf + 8, "a pointer inside a buffer");
	expect_new_report(2, LFP_MISUSE_INTERIOR, "env-buffers",
			  (char *)buf + 8, "interior free, LFP_CHECKED=1");
	free_one(bp, buf);
	expect_bufpool_usable(bp);

	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
}
END_TEST

/* LFP_CHECKED unset (loop 0) or "0" (loop 1): pools without the flag are
 * not checked. Seen without misuse of an object pool: its raw objects are
 * not poisoned (they keep what was written), and no call reports. */
START_TEST(test_env_unchecked)
{
	struct lfp_objpool *pool;
	struct lfp_bufpool *bp;
	unsigned char *obj, *buf;
	size_t i;

	rec_start();
	if (_i == 0)
		ck_assert_int_eq(unsetenv("LFP_CHECKED"), 0);
	else
		ck_assert_int_eq(setenv("LFP_CHECKED", "0", 1), 0);
	pool = make_objpool(64, "env-plain", 0, false);
	bp = make_bufpool("env-plain-buffers", 0);
	ck_assert_int_eq(unsetenv("LFP_CHECKED"), 0);

	obj = get_one(pool);
	memset(obj, 0xa7, 64);
	put_one(pool, obj);
	get_until(pool, obj);
	for (i = 0; i < 64; i++)
		ck_assert_msg(obj[i] == 0xa7, "byte %zu of an object of an "
			      "unchecked pool changed in the pool: %#x", i,
			      obj[i]);
	put_one(pool, obj);
	expect_pool_usable(pool);

	/* a bad free is refused, but not reported: the pool is unchecked */
	buf = alloc_one(bp, 64);
	expect_free_refused(bp, buf + 16, "a pointer inside a buffer");
	free_one(bp, buf);
	expect_bufpool_usable(bp);
	expect_reports(0, "use of pools created without LFP_CHECKED=1");

	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	rec_stop();
}
END_TEST

/* ---- the default handler ---------------------------------------------- */

/* In a child: with the handler reset to the default, a double free in a
 * checked pool prints a report on stderr and aborts. */
START_TEST(test_default_handler_aborts)
{
	const struct rlimit no_core = { 0, 0 };
	char out[4096];
	size_t len = 0;
	ssize_t k;
	int fds[2], status;
	pid_t pid;

	/* our handler is installed in the parent; the child resets it */
	rec_start();
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct lfp_bufpool_attr attr;
		struct lfp_bufpool *bp;
		void *buf;

		/* no Check assertions here: report through the exit status */
		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		if (dup2(fds[1], STDERR_FILENO) < 0)
			_exit(10);
		close(fds[1]);
		lfp_misuse_set_handler(NULL, NULL);
		if (lfp_bufpool_attr_init(&attr))
			_exit(11);
		attr.name = "victim";
		attr.flags = LFP_BUFPOOL_F_CHECKED;
		bp = lfp_bufpool_create(&attr);
		if (!bp)
			_exit(12);
		buf = lfp_bufpool_alloc(bp, 200);
		if (!buf || lfp_bufpool_free(bp, buf))
			_exit(13);
		lfp_bufpool_free(bp, buf);      /* must not return */
		_exit(14);
	}
	close(fds[1]);
	while (len < sizeof(out) - 1) {
		k = read(fds[0], out + len, sizeof(out) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	out[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "child did not abort: status %#x (exit %d), "
		      "stderr \"%s\"", status,
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
	ck_assert_msg(strstr(out, "double free") != NULL,
		      "report does not name the misuse: \"%s\"", out);
	ck_assert_msg(strstr(out, "victim") != NULL,
		      "report does not name the pool: \"%s\"", out);
	/* the child's report did not reach the parent's handler */
	expect_reports(0, "the parent, after the child's report");
	rec_stop();
}
END_TEST

/* ---- lfp_misuse_name -------------------------------------------------- */

START_TEST(test_misuse_name)
{
	static const enum lfp_misuse_kind kinds[] = {
		LFP_MISUSE_DOUBLE_FREE, LFP_MISUSE_FOREIGN,
		LFP_MISUSE_INTERIOR, LFP_MISUSE_WRITE_AFTER_FREE,
		LFP_MISUSE_LEAK,
	};
	const char *names[ARRAY_SIZE(kinds)];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		names[i] = lfp_misuse_name(kinds[i]);
		ck_assert_ptr_nonnull(names[i]);
		ck_assert_uint_gt(strlen(names[i]), 0);
		ck_assert_str_ne(names[i], "unknown");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(names[i], names[j]);
	}
	ck_assert_str_eq(lfp_misuse_name(LFP_MISUSE_DOUBLE_FREE),
			 "double free");
	ck_assert_str_eq(lfp_misuse_name((enum lfp_misuse_kind)0), "unknown");
	ck_assert_str_eq(lfp_misuse_name((enum lfp_misuse_kind)
					 (LFP_MISUSE_LEAK + 1)),
			 "unknown");
	ck_assert_str_eq(lfp_misuse_name((enum lfp_misuse_kind)1000),
			 "unknown");
}
END_TEST

/* ---- deferred puts and frees ----------------------------------------- */

/* @n pointers, all different. */
static void
expect_distinct(void **p, size_t n, const char *what)
{
	qsort(p, n, sizeof(*p), lfp_test_cmp_ptr);
	for (size_t i = 0; i + 1 < n; i++)
		ck_assert_msg(p[i] != p[i + 1], "%s: %p handed out twice",
			      what, p[i]);
}

/*
 * put_rcu (free_rcu) checks and marks the object (buffer) at its call:
 * put_rcu then put, put_rcu twice, put then put_rcu, put_rcu of a
 * malloc'd pointer and, for objects, of one inside an object are each
 * reported there, fail with -EINVAL and take nothing. After the grace
 * periods nothing more is reported, and every object is handed out once.
 */
START_TEST(test_deferred_misuse)
{
	struct dpool p = dpool_make(_i);
	void *a, *b, *c, *d = NULL, *heap, **all;
	unsigned int reports = 4, out = 3;
	size_t n, i;

	rec_start();
	a = dpool_get(&p);
	b = dpool_get(&p);
	c = dpool_get(&p);
	if (p.op) {
		d = dpool_get(&p);
		reports = 5;
		out = 4;
	}
	heap = malloc(p.size);
	ck_assert_ptr_nonnull(heap);

	ck_assert_int_eq(dpool_put_rcu(&p, a), 0);
	expect_reports(0, "a correct put_rcu");
	dpool_put_refused(&p, a, "one put with put_rcu");
	expect_new_report(0, LFP_MISUSE_DOUBLE_FREE, p.name, a,
			  "put after put_rcu");

	ck_assert_int_eq(dpool_put_rcu(&p, b), 0);
	expect_call_refused(dpool_put_rcu(&p, b), "one put with put_rcu", b);
	expect_new_report(1, LFP_MISUSE_DOUBLE_FREE, p.name, b,
			  "put_rcu twice");

	dpool_put(&p, c);
	expect_call_refused(dpool_put_rcu(&p, c), "one put already", c);
	expect_new_report(2, LFP_MISUSE_DOUBLE_FREE, p.name, c,
			  "put_rcu after put");

	expect_call_refused(dpool_put_rcu(&p, heap), "malloc'd memory", heap);
	expect_new_report(3, LFP_MISUSE_FOREIGN, p.name, heap,
			  "put_rcu of malloc'd memory");
	if (d) {
		expect_call_refused(dpool_put_rcu(&p, (char *)d + 8),
			       "a pointer inside an object", (char *)d + 8);
		expect_new_report(4, LFP_MISUSE_INTERIOR, p.name,
				  (char *)d + 8,
				  "put_rcu of an interior pointer");
		/* the refused calls took nothing: d still goes back once */
		ck_assert_int_eq(dpool_put_rcu(&p, d), 0);
		expect_reports(5, "put_rcu of an object held");
	}

	/* the callbacks report nothing; each one came back once */
	dpool_wait_deferred(&p);
	expect_reports(reports, "after the grace periods");
	dpool_expect_stats(&p, out);
	n = dpool_carved(&p) + (p.op ? 16 : 4);
	all = calloc(n, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	for (i = 0; i < n; i++)
		all[i] = dpool_get(&p);
	expect_reports(reports, "getting every one");
	expect_distinct(all, n, "gets after refused deferred puts");
	for (i = 0; i < n; i++)
		dpool_put(&p, all[i]);
	expect_reports(reports, "putting every one back");
	free(all);
	free(heap);
	dpool_destroy(&p);
	rec_stop();
}
END_TEST

static Suite *
check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc;

	tc = lfp_test_stay_tcase(s, "objpool");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_test(tc, test_obj_double_put);
	tcase_add_test(tc, test_obj_double_put_unnamed);
	tcase_add_test(tc, test_obj_double_put_other_thread);
	tcase_add_test(tc, test_obj_foreign);
	tcase_add_test(tc, test_obj_interior);
	tcase_add_loop_test(tc, test_obj_write_after_put, 0,
			    ARRAY_SIZE(waf_offsets));
	tcase_add_test(tc, test_obj_ctor_state_kept);
	tcase_add_test(tc, test_obj_bulk_double);

	tc = lfp_test_stay_tcase(s, "bufpool");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_loop_test(tc, test_buf_double_free, 0, ARRAY_SIZE(buf_sizes));
	tcase_add_test(tc, test_buf_foreign);
	tcase_add_loop_test(tc, test_buf_interior, 0, ARRAY_SIZE(buf_sizes));
	tcase_add_loop_test(tc, test_buf_write_after_free, 0,
			    ARRAY_SIZE(wafb_cases));
	tcase_add_test(tc, test_buf_unchecked_no_report);

	/* deferred puts: the callbacks run on liburcu's worker thread */
	tc = lfp_test_stay_tcase(s, "deferred");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_loop_test(tc, test_deferred_misuse, 0,
			    1 + ARRAY_SIZE(buf_sizes));

	/* threads on all CPUs: no fixture keeping them on one */
	tc = lfp_test_tcase(s, "threads");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_test(tc, test_buf_threads_no_false_reports);

	tc = lfp_test_stay_tcase(s, "env");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_test(tc, test_env_checked);
	tcase_add_loop_test(tc, test_env_unchecked, 0, 2);

	tc = lfp_test_tcase(s, "handler");
	tcase_add_checked_fixture(tc, NULL, restore_defaults);
	tcase_add_test(tc, test_default_handler_aborts);
	tcase_add_test(tc, test_misuse_name);

	return s;
}

int
main(void)
{
	return lfp_test_run(check_suite());
}
