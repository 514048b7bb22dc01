/* SPDX-License-Identifier: MIT */
/*
 * test_reentry.c - calls into the library from inside the library: a
 * constructor that gets from its own pool (nothing handed out twice,
 * nothing constructed twice), from another pool, or that fails; one that
 * flushes or trims its own pool, or reaches its byte budget (no hang: a
 * constructor runs with no cache or lock of the pool held); and a signal
 * handler that gets and puts while the thread it interrupted holds the
 * slab's lock (no hang: the handler only tries the lock, EAGAIN). Each
 * runs in both cache modes (per-CPU where the machine offers it), in a
 * child with an alarm, so that a hang fails the test quickly.
 */
#define _GNU_SOURCE
#include "test-child.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <lfpool.h>

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#define MAGIC 0x6c667030u
#define NGET 300

struct node {
	uint32_t magic;
	uint32_t serial;
	struct node *child;             /* got from the pool by the ctor */
	void *scratch;                  /* from another pool */
	char pad[488];
};

/* What the constructors see and do; one test at a time, in a child. */
static struct lfp_objpool *pool;
static struct lfp_bufpool *scratch_pool;
static unsigned int ctor_calls, twice, fail_every, nested_fails;
static int mode;                       /* LFP_CACHE_* asked */
static enum { NEST_NONE, NEST_OWN, NEST_OTHER, NEST_FLUSH, NEST_BUDGET }
	nest;
static __thread unsigned int depth;

static int
node_ctor(void *obj, void *arg)
{
	struct node *n = obj;

	(void)arg;
	ctor_calls++;
	if (n->magic == MAGIC)
		twice++;                /* constructed twice */
	if (fail_every && ctor_calls % fail_every == 0)
		return ENOSPC;
	n->magic = MAGIC;
	n->serial = ctor_calls;
	n->child = NULL;
	n->scratch = NULL;
	if (depth)
		return 0;
	depth++;
	switch (nest) {
	case NEST_OWN:
	case NEST_BUDGET:
		/* Every other object holds one more of the same pool. */
		if (ctor_calls % 2) {
			n->child = lfp_objpool_get(pool);
			if (!n->child)
				nested_fails++;
		}
		break;
	case NEST_OTHER:
		n->scratch = lfp_bufpool_alloc(scratch_pool, 256);
		if (!n->scratch) {
			depth--;
			return ENOMEM;
		}
		break;
	case NEST_FLUSH:
		req_eq(lfp_objpool_flush(pool), 0);
		req_eq(lfp_objpool_trim(pool, LFP_TRIM_CACHES), 0);
		break;
	case NEST_NONE:
		break;
	}
	depth--;
	return 0;
}

static void
node_dtor(void *obj, void *arg)
{
	struct node *n = obj;

	(void)arg;
	if (n->scratch)
		req_eq(lfp_bufpool_free(scratch_pool, n->scratch), 0);
}

static bool
mode_available(int m)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;
	int got;

	lfp_objpool_attr_init(&a);
	a.size = 8;
	a.cache_mode = m;
	p = lfp_objpool_create(&a);
	ck_assert_ptr_nonnull(p);
	got = lfp_objpool_cache_mode(p);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	return got == m;
}

static void
make_pool(size_t max_bytes)
{
	struct lfp_objpool_attr a;

	lfp_objpool_attr_init(&a);
	a.size = sizeof(struct node);
	a.ctor = node_ctor;
	a.dtor = node_dtor;
	a.cache_mode = mode;
	a.max_bytes = max_bytes;
	a.name = "reentry";
	pool = lfp_objpool_create(&a);
	req(pool != NULL);
	req_eq(lfp_objpool_cache_mode(pool), mode);
}

/* No pointer of @v[0..n) appears twice. */
static void
req_distinct(void **v, size_t n)
{
	qsort(v, n, sizeof(*v), lfp_test_cmp_ptr);
	for (size_t i = 1; i < n; i++)
		req(v[i] != v[i - 1]);
}

/*
 * Get NGET objects (collecting the children their constructors took),
 * check that no object is out twice and each was constructed once, put
 * everything back, and do it again from the cached objects.
 */
static void
get_all_put_all(size_t max_bytes)
{
	static void *out[4 * NGET];
	struct lfp_objpool_stats st;
	size_t n = 0, got = 0;

	make_pool(max_bytes);
	for (int round = 0; round < 2; round++) {
		n = got = 0;
		for (int i = 0; i < NGET; i++) {
			struct node *o = lfp_objpool_get(pool);

			if (!o) {
				/* Only at a budget, or a failing ctor. */
				req(max_bytes || fail_every);
				req(errno == ENOMEM || errno == ENOSPC);
				continue;
			}
			req_eq(o->magic, MAGIC);
			out[n++] = o;
			got++;
			if (o->child) {
				req_eq(o->child->magic, MAGIC);
				out[n++] = o->child;
				o->child = NULL;   /* the test holds it now */
			}
		}
		req(got > 0);
		req_eq(twice, 0);
		req_eq(lfp_objpool_stats(pool, &st), 0);
		req_eq(st.in_use, n);
		{
			void *sorted[4 * NGET];

			memcpy(sorted, out, n * sizeof(*out));
			req_distinct(sorted, n);
		}
		for (size_t i = 0; i < n; i++)
			req_eq(lfp_objpool_put(pool, out[i]), 0);
		req_eq(lfp_objpool_stats(pool, &st), 0);
		req_eq(st.in_use, 0);
		req_eq(st.gets, st.puts);
	}
	req_eq(lfp_objpool_destroy(pool), 0);
}

static void
body_ctor_own_pool(void)
{
	alarm(60);
	nest = NEST_OWN;
	get_all_put_all(0);
	req(ctor_calls > NGET);
	req_eq(nested_fails, 0);
}

static void
body_ctor_other_pool(void)
{
	struct lfp_bufpool_attr ba;
	struct lfp_bufpool_stats bs;

	alarm(60);
	lfp_bufpool_attr_init(&ba);
	ba.cache_mode = mode;
	scratch_pool = lfp_bufpool_create(&ba);
	req(scratch_pool != NULL);
	nest = NEST_OTHER;
	get_all_put_all(0);
	/* The destructors gave every scratch buffer back. */
	req_eq(lfp_bufpool_stats(scratch_pool, &bs), 0);
	req_eq(bs.bytes_in_use, 0);
	req(bs.allocs >= NGET);
	req_eq(lfp_bufpool_destroy(scratch_pool), 0);
}

static void
body_ctor_fails(void)
{
	struct lfp_objpool_stats st;

	alarm(60);
	fail_every = 3;
	nest = NEST_OWN;
	make_pool(0);
	req_eq(lfp_objpool_destroy(pool), 0);
	get_all_put_all(0);
	nest = NEST_NONE;
	make_pool(0);
	/* A get that meets a failing constructor still gets, or says so. */
	for (int i = 0; i < 20; i++) {
		void *o = lfp_objpool_get(pool);

		req(o != NULL || errno == ENOSPC);
		if (o)
			req_eq(lfp_objpool_put(pool, o), 0);
	}
	req_eq(lfp_objpool_stats(pool, &st), 0);
	req(st.ctor_failures > 0);
	req_eq(st.in_use, 0);
	req_eq(lfp_objpool_destroy(pool), 0);
}

static void
body_ctor_flush_trim(void)
{
	alarm(60);
	nest = NEST_FLUSH;
	get_all_put_all(0);
}

/* At the budget, a nested get reclaims every cache: none may be held. */
static void
body_ctor_budget(void)
{
	alarm(60);
	nest = NEST_BUDGET;
	get_all_put_all((size_t)64 << 10);
}

static const int modes[2] = { LFP_CACHE_PER_THREAD, LFP_CACHE_PER_CPU };

#define MODE_TEST(name, body)						\
	START_TEST(name)						\
	{								\
		mode = modes[_i];					\
		if (!mode_available(mode)) {				\
			printf("# SKIP %s per-CPU: per-CPU caches are "	\
			       "unavailable here\n", #name);		\
			return;						\
		}							\
		run_child(body, NULL, true);				\
	}								\
	END_TEST

MODE_TEST(test_ctor_own_pool, body_ctor_own_pool)
MODE_TEST(test_ctor_other_pool, body_ctor_other_pool)
MODE_TEST(test_ctor_fails, body_ctor_fails)
MODE_TEST(test_ctor_flush_trim, body_ctor_flush_trim)
MODE_TEST(test_ctor_budget, body_ctor_budget)

/*
 * The signal test: this program's mmap() stands in for the C library's
 * (the library's calls resolve to it) and, once armed, raises SIGUSR1
 * from inside the mapping of a chunk (a request of 64 KiB or more), when
 * the slab's lock is held. The handler gets and puts on the same pool.
 */
static atomic_int armed;
static volatile sig_atomic_t handled, handler_errno;
static void *volatile handler_obj;

#if !UNDER_TSAN  /* ThreadSanitizer's runtime needs its own mmap */
void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (len >= ((size_t)64 << 10) && atomic_exchange(&armed, 0))
		raise(SIGUSR1);
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
#endif

static void
on_usr1(int sig)
{
	void *o;

	(void)sig;
	o = lfp_objpool_get(pool);
	handler_errno = o ? 0 : errno;
	handler_obj = o;
	if (o && lfp_objpool_put(pool, o))
		handler_errno = -1;
	handled = 1;
}

static void
body_signal_get(void)
{
	struct lfp_objpool_stats st;
	struct sigaction sa;
	void *o;

	alarm(30);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	req_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	nest = NEST_NONE;
	make_pool(0);
	atomic_store(&armed, 1);
	o = lfp_objpool_get(pool);      /* maps the first chunk */
	req(o != NULL);
	req(handled);
	/* The handler got an object the depot had, or was told to retry. */
	req(handler_obj != NULL || handler_errno == EAGAIN);
	req(handler_errno != -1);
	req(handler_obj != o);
	req_eq(lfp_objpool_put(pool, o), 0);
	req_eq(lfp_objpool_stats(pool, &st), 0);
	req_eq(st.in_use, 0);
	/* The pool carries on: the handler left no lock behind. */
	o = lfp_objpool_get(pool);
	req(o != NULL);
	req_eq(lfp_objpool_put(pool, o), 0);
	req_eq(lfp_objpool_destroy(pool), 0);
}

START_TEST(test_signal_get)
{
	mode = modes[_i];
	if (UNDER_TSAN || RUNNING_ON_VALGRIND) {
		/* The stand-in mmap hides mappings from the tool's own. */
		printf("# SKIP test_signal_get: needs the C library's mmap "
		       "(ThreadSanitizer or valgrind replaces it)\n");
		return;
	}
	if (!mode_available(mode)) {
		printf("# SKIP test_signal_get per-CPU: per-CPU caches are "
		       "unavailable here\n");
		return;
	}
	run_child(body_signal_get, NULL, true);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reentry");
	TCase *tc = lfp_test_tcase(s, "ctor");

	tcase_add_loop_test(tc, test_ctor_own_pool, 0, 2);
	tcase_add_loop_test(tc, test_ctor_other_pool, 0, 2);
	tcase_add_loop_test(tc, test_ctor_fails, 0, 2);
	tcase_add_loop_test(tc, test_ctor_flush_trim, 0, 2);
	tcase_add_loop_test(tc, test_ctor_budget, 0, 2);
	tcase_set_timeout(tc, 120);
	tc = lfp_test_tcase(s, "signal");
	tcase_add_loop_test(tc, test_signal_get, 0, 2);
	return lfp_test_run(s);
}
