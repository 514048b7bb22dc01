/* SPDX-License-Identifier: MIT */
/*
 * test_exhaust.c - black-box tests of <lfpool.h> with the address space
 * full: a library must never abort its host because memory is short.
 * Each test runs in a forked child (test-child.h) that sets RLIMIT_AS to
 * what it uses plus a little and maps until not one more page can be
 * mapped (exhaust_fill()), does its calls, then frees the address space
 * again (exhaust_release()) and checks that the pools are still whole.
 * Threads a test needs are created before the fill (a thread's stack and
 * static TLS are mapped at creation) and wait on a gate until then.
 *
 * Covered: a thread that never used lfpool gets from a pool (which may
 * fail with ENOMEM), calls lfp_thread_flush() and exits; the main thread
 * calls lfp_thread_flush(); a thread new to a pool puts back thousands of
 * objects and buffers, every put succeeding; in per-thread and per-CPU
 * (automatic) mode. None may abort, and nothing may be written on stderr.
 * And with 200 MiB of address space to spare, the first 64 MiB object
 * can be had (its chunk takes 64 MiB, not 256).
 *
 * Address-space limits and the sanitizers' or valgrind's own mappings do
 * not mix: under AddressSanitizer, ThreadSanitizer or valgrind the whole
 * program is skipped, with the reason (a TAP plan "1..0 # SKIP" under
 * the automake driver, else exit status 77).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-child.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* ---- filling the address space -------------------------------------- */

/* Room above the current size that the limit leaves, then maps fill. */
#define EXHAUST_SLACK ((size_t)64 << 20)
#define EXHAUST_MAPS_MAX 256

struct exhaust {
	struct rlimit saved;            /* the limit before the fill */
	unsigned int n;                 /* mappings made */
	void *addr[EXHAUST_MAPS_MAX];
	size_t len[EXHAUST_MAPS_MAX];
};

/* The process's address-space size now, in bytes; 0 if unknown. */
static size_t
exhaust_vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Fill the address space: RLIMIT_AS to the current size plus
 * EXHAUST_SLACK, then reserve (PROT_NONE, no memory behind it) ever
 * smaller mappings until not even one page can be had. 0, or the errno
 * value of what failed before the address space was full. Uses no
 * malloc: @e holds the mappings.
 */
/* RLIMIT_AS to the current size plus @room; 0, or an errno value. */
static int
exhaust_limit(struct exhaust *e, size_t room)
{
	size_t vm = exhaust_vm_size();
	struct rlimit lim;

	memset(e, 0, sizeof(*e));
	if (!vm)
		return ENOENT;
	if (getrlimit(RLIMIT_AS, &e->saved))
		return errno;
	lim = e->saved;
	lim.rlim_cur = vm + room;
	if (lim.rlim_max != RLIM_INFINITY && lim.rlim_cur > lim.rlim_max)
		return ERANGE;
	return setrlimit(RLIMIT_AS, &lim) ? errno : 0;
}

static int
exhaust_fill(struct exhaust *e)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len;
	int err = exhaust_limit(e, EXHAUST_SLACK);

	if (err)
		return err;
	for (len = EXHAUST_SLACK; len >= page;) {
		void *p;

		if (e->n == EXHAUST_MAPS_MAX)
			return E2BIG;
		p = mmap(NULL, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			len /= 2;
			continue;
		}
		e->addr[e->n] = p;
		e->len[e->n] = len;
		e->n++;
	}
	/* Full: the smallest mapping there is fails. */
	return mmap(NULL, page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? 0 : EAGAIN;
}

/* Give the address space back: unmap the fill, restore the limit. */
static void
exhaust_release(struct exhaust *e)
{
	while (e->n) {
		e->n--;
		munmap(e->addr[e->n], e->len[e->n]);
	}
	setrlimit(RLIMIT_AS, &e->saved);
}

/* ---- a thread that first uses lfpool with the address space full ---- */

static struct gate go;
static struct lfp_objpool *pool;
static int worker_errno;        /* of its get; 0 if it got an object */

static void *
newcomer_main(void *arg)
{
	void *obj;

	gate_wait(&go);
	/* This thread's first lfpool call, with nothing left to map. */
	errno = 0;
	obj = lfp_objpool_get(pool);
	worker_errno = obj ? 0 : errno;
	if (obj && lfp_objpool_put(pool, obj))
		worker_errno = -1;
	lfp_thread_flush();
	return NULL;    /* and exit: its caches go back */
}

/* Loop index: the pool's cache mode. */
static const int modes[] = { LFP_CACHE_PER_THREAD, LFP_CACHE_AUTO };
static int mode;
#define NMODES ((int)(sizeof(modes) / sizeof(modes[0])))

/* Run @body in a child, its pools in cache mode number @i. */
static void
run_in_mode(void (*body)(void), int i)
{
	mode = modes[i];
	run_child(body, NULL, true);
}

/* A pool of @size-byte objects, @rounds to a magazine (0: the default),
 * in the cache mode of the test. */
static struct lfp_objpool *
pool_in_mode(size_t size, unsigned int rounds)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;

	req_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = rounds;
	attr.cache_mode = mode;
	p = lfp_objpool_create(&attr);
	req(p != NULL);
	return p;
}

/*
 * Fill the address space, then open the gate of thread @tid and wait
 * for it to end; the address space stays full (exhaust_release()).
 */
static void
fill_then_join(struct exhaust *e, pthread_t tid)
{
	int err = exhaust_fill(e);

	if (err) {
		exhaust_release(e);
		req_eq(err, 0);
	}
	gate_open(&go);
	req_eq(pthread_join(tid, NULL), 0);
}

/* Nothing of @p is out: every get was put back. */
static void
req_all_back(struct lfp_objpool *p)
{
	struct lfp_objpool_stats st;

	req_eq(lfp_objpool_stats(p, &st), 0);
	req_eq(st.in_use, 0);
	req_eq(st.gets, st.puts);
}

static void
thread_flush_exit_body(void)
{
	struct exhaust e;
	pthread_t tid;
	void *objs[16];
	size_t i;

	/*
	 * A hang in the child shows as SIGALRM, not as a hung test (Check's
	 * own SIGALRM handler, inherited, would kill the test instead).
	 */
	signal(SIGALRM, SIG_DFL);
	alarm(60);
	pool = pool_in_mode(40, 0);
	/* the main thread uses the pool (its fast path needs nothing more) */
	for (i = 0; i < 16; i++)
		req((objs[i] = lfp_objpool_get(pool)) != NULL);
	for (i = 0; i < 16; i++)
		req_eq(lfp_objpool_put(pool, objs[i]), 0);
	gate_init(&go);
	req_eq(pthread_create(&tid, NULL, newcomer_main, NULL), 0);
	fill_then_join(&e, tid);
	/* (ENOMEM or success; nothing else) */
	req(worker_errno == 0 || worker_errno == ENOMEM);
	lfp_thread_flush();
	exhaust_release(&e);

	/* The pool is whole: nothing out, and it works. */
	req_all_back(pool);
	for (i = 0; i < 16; i++)
		req((objs[i] = lfp_objpool_get(pool)) != NULL);
	for (i = 0; i < 16; i++)
		req_eq(lfp_objpool_put(pool, objs[i]), 0);
	lfp_thread_flush();
	req_eq(lfp_objpool_destroy(pool), 0);
	gate_destroy(&go);
}

/*
 * With the address space full, a thread whose first lfpool call is a get
 * (failing or not) flushes and exits, then the main thread flushes: the
 * child exits normally, with nothing on stderr.
 */
START_TEST(test_thread_flush_exit)
{
	run_in_mode(thread_flush_exit_body, _i);
}
END_TEST

/* ---- puts with the address space full ----------------------------- */

#define NPUT 5000

static struct lfp_bufpool *bpool;
static void *objs_out[NPUT], *bufs_out[NPUT];
static int put_failures;
static int errno_changes;       /* puts and frees that changed errno */

static void *
putter_main(void *arg)
{
	(void)arg;
	gate_wait(&go);
	/* This thread's first lfpool calls: it has no cache to use. */
	for (size_t i = 0; i < NPUT; i++) {
		errno = 4242;
		put_failures += lfp_objpool_put(pool, objs_out[i]) != 0;
		put_failures += lfp_bufpool_free(bpool, bufs_out[i]) != 0;
		errno_changes += errno != 4242;
	}
	errno = 4242;
	put_failures += lfp_objpool_flush(pool) != 0;
	put_failures += lfp_bufpool_flush(bpool) != 0;
	errno_changes += errno != 4242;
	lfp_thread_flush();
	return NULL;
}

static void
put_exhausted_body(void)
{
	struct lfp_bufpool_attr battr;
	struct lfp_objpool_stats st;
	struct lfp_bufpool_stats bst;
	struct exhaust e;
	pthread_t tid;
	uint64_t objects;

	signal(SIGALRM, SIG_DFL);
	alarm(60);
	pool = pool_in_mode(40, 4);     /* a new magazine every few puts */
	req_eq(lfp_bufpool_attr_init(&battr), 0);
	battr.cache_mode = mode;
	bpool = lfp_bufpool_create(&battr);
	req(bpool != NULL);
	for (size_t i = 0; i < NPUT; i++) {
		req((objs_out[i] = lfp_objpool_get(pool)) != NULL);
		req((bufs_out[i] = lfp_bufpool_alloc(bpool, 1000)) != NULL);
	}
	req_eq(lfp_objpool_stats(pool, &st), 0);
	objects = st.objects;
	gate_init(&go);
	req_eq(pthread_create(&tid, NULL, putter_main, NULL), 0);
	fill_then_join(&e, tid);
	exhaust_release(&e);
	req_eq(put_failures, 0);
	req_eq(errno_changes, 0);      /* int calls leave errno alone */

	/* Every object and buffer is back, and comes out again. */
	req_all_back(pool);
	req_eq(lfp_bufpool_stats(bpool, &bst), 0);
	req_eq(bst.bytes_in_use, 0);
	req_eq(lfp_objpool_flush(pool), 0);
	for (size_t i = 0; i < NPUT; i++)
		req((objs_out[i] = lfp_objpool_get(pool)) != NULL);
	req_eq(lfp_objpool_stats(pool, &st), 0);
	req_eq(st.objects, objects);    /* none carved anew */
	req_eq(lfp_objpool_put_bulk(pool, objs_out, NPUT), NPUT);
	req_eq(lfp_objpool_destroy(pool), 0);
	req_eq(lfp_bufpool_destroy(bpool), 0);
	gate_destroy(&go);
}

/*
 * With the address space full, a thread new to both pools puts back
 * 5,000 objects and 5,000 buffers: every put and free succeeds (the
 * pool's own objects need no memory to go back), leaving errno alone,
 * and afterwards the same
 * objects come out again with nothing carved anew.
 */
START_TEST(test_put_exhausted)
{
	run_in_mode(put_exhausted_body, _i);
}
END_TEST

static void
big_object_body(void)
{
	struct lfp_objpool_stats st;
	struct exhaust e;
	void *o;

	alarm(60);
	pool = pool_in_mode(LFP_OBJPOOL_SIZE_MAX, 0);
	req_eq(exhaust_limit(&e, (size_t)200 << 20), 0);
	o = lfp_objpool_get(pool);
	req(o != NULL);
	memset(o, 0x5a, 4096);
	req_eq(lfp_objpool_stats(pool, &st), 0);
	req_eq(st.bytes_reserved - (st.bytes_reserved % LFP_OBJPOOL_SIZE_MAX),
	       LFP_OBJPOOL_SIZE_MAX);
	req_eq(lfp_objpool_put(pool, o), 0);
	req_eq(lfp_objpool_destroy(pool), 0);
	exhaust_release(&e);
}

/* The first 64 MiB object, with 200 MiB of address space to spare. */
START_TEST(test_big_object)
{
	run_in_mode(big_object_body, _i);
}
END_TEST

/* Skip the whole program: see the header comment. */
static int
skip(const char *why)
{
	if (getenv("CK_TAP_LOG_FILE_NAME")) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	printf("SKIP: %s\n", why);
	return 77;
}

int
main(void)
{
	Suite *s;
	TCase *tc;

	if (SANITIZED)
		return skip("address-space exhaustion tests need a build "
			    "without AddressSanitizer or ThreadSanitizer");
	if (RUNNING_ON_VALGRIND)
		return skip("address-space exhaustion tests do not run under "
			    "valgrind");
	s = suite_create("exhaust");
	tc = lfp_test_tcase(s, "thread");
	tcase_add_loop_test(tc, test_thread_flush_exit, 0, NMODES);
	tc = lfp_test_tcase(s, "put");
	tcase_add_loop_test(tc, test_put_exhausted, 0, NMODES);
	tcase_add_loop_test(tc, test_big_object, 0, NMODES);
	return lfp_test_run(s);
}
