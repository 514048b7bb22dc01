/* SPDX-License-Identifier: MIT */
/*
 * test_thread.c - black-box tests of the thread-cache lifecycle of
 * <lfpool.h>: a thread's exit hands its cache back to the pool (in
 * per-thread mode; another thread then gets every object without the pool
 * carving new ones), fork()
 * leaves the pool usable in the child (also while another parent thread
 * has a cache or is busy), many pools live and die at once while other
 * threads keep using their own pools (objects carry their pool's tag, so a
 * destroyed pool's cached objects leaking into a new pool show), and a
 * thread exiting while its pool is destroyed neither crashes nor breaks
 * the once-per-object destructor count (nor does one calling
 * lfp_thread_flush() then). Deferred puts (lfp_objpool_put_rcu()) work in
 * the child of a parent that used them: the child's come back, and so do
 * those in flight at fork(), and destroy does not hang.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-api.h"

#define OBJ_MAGIC 0x7468726561644f4bULL
#define OBJ_POISON 0xdeadbeefdeadbeefULL

/*
 * Failures seen by threads other than the one running the test: Check's
 * assertions must run on that one, so helpers record the first failure
 * here and the test asserts on it after joining them.
 */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static char fail_msg[512];
static atomic_int failed;

static void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	pthread_mutex_lock(&fail_lock);
	if (!atomic_load(&failed)) {
		n = snprintf(fail_msg, sizeof(fail_msg), "%s:%d: ", file,
			     line);
		if (n < 0 || (size_t)n >= sizeof(fail_msg))
			n = 0;
		va_start(ap, fmt);
		vsnprintf(fail_msg + n, sizeof(fail_msg) - (size_t)n, fmt, ap);
		va_end(ap);
		atomic_store(&failed, 1);
	}
	pthread_mutex_unlock(&fail_lock);
}

#define T_CHECK(cond, ...)                                       \
	do {                                                     \
		if (!(cond))                                     \
			t_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

static void
fail_reset(void)
{
	pthread_mutex_lock(&fail_lock);
	fail_msg[0] = '\0';
	atomic_store(&failed, 0);
	pthread_mutex_unlock(&fail_lock);
}

static void
fail_assert_none(void)
{
	pthread_mutex_lock(&fail_lock);
	ck_assert_msg(!atomic_load(&failed), "%s", fail_msg);
	pthread_mutex_unlock(&fail_lock);
}

/*
 * A tagged pool: its constructor stamps every object with the pool's
 * unique tag, and counts; its destructor checks the stamp, counts and
 * poisons.
 */
struct tagpool {
	struct lfp_objpool *pool;
	uint64_t tag;
	atomic_ulong ctors;
	atomic_ulong dtors;
	atomic_ulong bad_dtors;
};

struct tobj {
	uint64_t magic;
	uint64_t tag;
	uint64_t scratch;
};

static atomic_ullong next_tag = 1;

static int
tag_ctor(void *obj, void *arg)
{
	struct tagpool *tp = arg;
	struct tobj *o = obj;

	o->magic = OBJ_MAGIC;
	o->tag = tp->tag;
	o->scratch = 0;
	atomic_fetch_add(&tp->ctors, 1);
	return 0;
}

static void
tag_dtor(void *obj, void *arg)
{
	struct tagpool *tp = arg;
	struct tobj *o = obj;

	if (o->magic != OBJ_MAGIC || o->tag != tp->tag)
		atomic_fetch_add(&tp->bad_dtors, 1);
	o->magic = OBJ_POISON;
	o->tag = 0;
	atomic_fetch_add(&tp->dtors, 1);
}

/* A counter's value, as a plain call so failed assertions read well. */
static unsigned long
count_of(atomic_ulong *counter)
{
	return atomic_load(counter);
}

/*
 * A new tag and zero counts for @tp, and the attributes of its objects,
 * @rounds to a magazine, in @attr; false (errno set) on failure.
 */
static bool
tagpool_attr(struct tagpool *tp, struct lfp_objpool_attr *attr,
	     unsigned int rounds)
{
	tp->tag = atomic_fetch_add(&next_tag, 1);
	atomic_init(&tp->ctors, 0);
	atomic_init(&tp->dtors, 0);
	atomic_init(&tp->bad_dtors, 0);
	if (lfp_objpool_attr_init(attr))
		return false;
	attr->size = sizeof(struct tobj);
	attr->mag_rounds = rounds;
	attr->ctor = tag_ctor;
	attr->dtor = tag_dtor;
	attr->arg = tp;
	return true;
}

/*
 * Create a tagged pool, its caches in @mode (enum lfp_cache_mode); returns
 * false (errno set) on failure.
 */
static bool
tagpool_create_mode(struct tagpool *tp, unsigned int rounds, int mode)
{
	struct lfp_objpool_attr attr;

	if (!tagpool_attr(tp, &attr, rounds))
		return false;
	attr.name = "tagged";
	attr.cache_mode = mode;
	tp->pool = lfp_objpool_create(&attr);
	return tp->pool != NULL;
}

/* The same, in the cache mode the environment chooses (LFP_CACHE_AUTO). */
static bool
tagpool_create(struct tagpool *tp, unsigned int rounds)
{
	return tagpool_create_mode(tp, rounds, LFP_CACHE_AUTO);
}

/* Destroy a tagged pool and check its destructor count; any thread. */
static void
tagpool_destroy(struct tagpool *tp)
{
	int rc = lfp_objpool_destroy(tp->pool);

	T_CHECK(rc == 0, "destroy: %d", rc);
	T_CHECK(count_of(&tp->dtors) == count_of(&tp->ctors),
		"pool %llu: %lu dtors for %lu ctors",
		(unsigned long long)tp->tag, count_of(&tp->dtors),
		count_of(&tp->ctors));
	T_CHECK(count_of(&tp->bad_dtors) == 0,
		"pool %llu: %lu dtors on foreign or dead objects",
		(unsigned long long)tp->tag, count_of(&tp->bad_dtors));
	tp->pool = NULL;
}

/* Check an object just got from @tp. */
static bool
check_obj(const struct tagpool *tp, const struct tobj *o)
{
	if (!o) {
		t_fail(__FILE__, __LINE__, "get from pool %llu: errno %d",
		       (unsigned long long)tp->tag, errno);
		return false;
	}
	if (o->magic != OBJ_MAGIC || o->tag != tp->tag) {
		t_fail(__FILE__, __LINE__, "pool %llu handed out %p with "
		       "magic %#llx tag %llu (another pool's object?)",
		       (unsigned long long)tp->tag, (const void *)o,
		       (unsigned long long)o->magic,
		       (unsigned long long)o->tag);
		return false;
	}
	return true;
}

/*
 * Get @n objects one by one (or in bulk), check them, put them back.
 * Small cycles use no malloc: the fork test's busy sibling must be inside
 * lfpool, not inside malloc, when fork() strikes (AddressSanitizer's
 * allocator is not fork-safe, and that is not what is tested here).
 */
#define CYCLE_STACK 32
static void
cycle(const struct tagpool *tp, size_t n, bool bulk)
{
	void *stack_objs[CYCLE_STACK];
	void **objs = n <= CYCLE_STACK ? stack_objs
				       : calloc(n, sizeof(*objs));
	size_t got = 0, i;

	if (!objs) {
		t_fail(__FILE__, __LINE__, "out of memory");
		return;
	}
	if (bulk) {
		got = lfp_objpool_get_bulk(tp->pool, objs, n);
		T_CHECK(got == n, "get_bulk(%zu): %zu, errno %d", n, got,
			errno);
	} else {
		for (got = 0; got < n; got++) {
			objs[got] = lfp_objpool_get(tp->pool);
			if (!objs[got])
				break;
		}
	}
	for (i = 0; i < got; i++)
		if (check_obj(tp, objs[i]))
			((struct tobj *)objs[i])->scratch++;
	if (bulk) {
		i = lfp_objpool_put_bulk(tp->pool, objs, got);
		T_CHECK(i == got, "put_bulk(%zu): %zu", got, i);
	} else {
		for (i = got; i-- > 0;)
			T_CHECK(lfp_objpool_put(tp->pool, objs[i]) == 0,
				"put failed");
	}
	if (objs != stack_objs)
		free(objs);
}

/* ---- thread exit ---------------------------------------------------- */

struct user {
	struct tagpool *tp;
	size_t n;
	bool bulk;
	/* filled by grab_all_main */
	void **objs;
	size_t got;
	struct lfp_objpool_stats before, after;
};

static void *
cycle_main(void *arg)
{
	struct user *u = arg;

	cycle(u->tp, u->n, u->bulk);
	return NULL;
}

/* Get every object the pool has, record them and the stats around it,
 * put them back, exit. */
static void *
grab_all_main(void *arg)
{
	struct user *u = arg;
	size_t i;

	lfp_objpool_stats(u->tp->pool, &u->before);
	u->objs = calloc(u->before.objects + 1, sizeof(*u->objs));
	if (!u->objs) {
		t_fail(__FILE__, __LINE__, "out of memory");
		return NULL;
	}
	u->got = lfp_objpool_get_bulk(u->tp->pool, u->objs,
				      u->before.objects);
	lfp_objpool_stats(u->tp->pool, &u->after);
	for (i = 0; i < u->got; i++)
		check_obj(u->tp, u->objs[i]);
	i = lfp_objpool_put_bulk(u->tp->pool, u->objs, u->got);
	T_CHECK(i == u->got, "put_bulk: %zu of %zu", i, u->got);
	return NULL;
}

/*
 * A thread that got and put objects and exited has handed its cache back:
 * it all sits in the depot, and another thread gets every object without
 * the pool carving a new one. Loop index picks the magazine size. A
 * per-thread pool: per-CPU caches are no thread's and stay at exit
 * (test_pcpu.c tests lfp_objpool_flush(), which empties them). The
 * threads stay on the CPU the test started on (its test case's fixture):
 * on a machine of several NUMA nodes, a thread on another node would
 * refill from that node's depot, which is empty, and carve.
 */
START_TEST(test_exit_hands_back)
{
	static const unsigned int rounds[] = { 0, 1, 4, 64 };
	struct lfp_objpool_stats st;
	struct tagpool tp;
	struct user u;
	uint64_t objects;
	size_t i;
	int k;

	fail_reset();
	ck_assert(tagpool_create_mode(&tp, rounds[_i], LFP_CACHE_PER_THREAD));
	ck_assert_int_eq(lfp_objpool_cache_mode(tp.pool),
			 LFP_CACHE_PER_THREAD);
	memset(&u, 0, sizeof(u));
	u.tp = &tp;
	u.n = 1000;
	lfp_test_in_thread(cycle_main, &u);
	fail_assert_none();

	st = obj_stats(tp.pool);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_ge(st.objects, 1000);
	ck_assert_uint_eq(st.objects, count_of(&tp.ctors));
	ck_assert_uint_eq(st.cached, st.objects);
	ck_assert_uint_eq(st.depot_cached, st.objects);
	objects = st.objects;

	/* Later threads, one after the other, reuse the same objects. */
	for (k = 0; k < 6; k++) {
		memset(&u, 0, sizeof(u));
		u.tp = &tp;
		u.n = 1000;
		u.bulk = k & 1;
		lfp_test_in_thread(cycle_main, &u);
		fail_assert_none();
		st = obj_stats(tp.pool);
		ck_assert_uint_eq(st.objects, objects);
		ck_assert_uint_eq(st.depot_cached, objects);
	}

	/* One thread takes them all at once: nothing new is carved. */
	memset(&u, 0, sizeof(u));
	u.tp = &tp;
	lfp_test_in_thread(grab_all_main, &u);
	fail_assert_none();
	ck_assert_uint_eq(u.before.objects, objects);
	ck_assert_uint_eq(u.got, objects);
	ck_assert_uint_eq(u.after.objects, objects);
	ck_assert_uint_eq(u.after.in_use, objects);
	ck_assert_uint_eq(u.after.cached, 0);
	qsort(u.objs, u.got, sizeof(*u.objs), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < u.got; i++)
		ck_assert_ptr_ne(u.objs[i], u.objs[i + 1]);
	free(u.objs);

	st = obj_stats(tp.pool);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.depot_cached, objects);
	ck_assert_uint_ge(st.caches, 1);
	tagpool_destroy(&tp);
	fail_assert_none();
}
END_TEST

/* ---- fork ------------------------------------------------------------ */

/* In a forked child Check cannot report: exit with a distinct code. */
#define CHILD_CHECK(cond, code)          \
	do {                             \
		if (!(cond))             \
			_exit(code);     \
	} while (0)

struct child_ctx {
	struct tagpool *tp;
	size_t n;
	int rc;
};

/* get @n objects one by one, check them, put them back; 0 if all fine */
static int
child_cycle(const struct tagpool *tp, size_t n)
{
	void **objs = calloc(n, sizeof(*objs));
	const struct tobj *o;
	size_t i;

	if (!objs)
		return 1;
	for (i = 0; i < n; i++) {
		o = objs[i] = lfp_objpool_get(tp->pool);
		if (!o || o->magic != OBJ_MAGIC || o->tag != tp->tag)
			return 2;
	}
	for (i = 0; i < n; i++)
		if (lfp_objpool_put(tp->pool, objs[i]))
			return 3;
	free(objs);
	return 0;
}

static void *
child_thread_main(void *arg)
{
	struct child_ctx *cc = arg;

	cc->rc = child_cycle(cc->tp, cc->n);
	return NULL;
}

/*
 * Child @pid, reaped by waitpid() as @w with @status, exited with status
 * 0: @alarm says what a SIGALRM means, @see where its codes are told.
 */
static void
expect_child_ok(pid_t w, pid_t pid, int status, const char *alarm,
		const char *see)
{
	ck_assert_int_eq(w, pid);
	ck_assert_msg(!WIFSIGNALED(status), "child killed by signal %d%s",
		      WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
		      alarm : "");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child failed with exit status %d (see %s)",
		      WEXITSTATUS(status), see);
}

/*
 * The child: give back what the parent's main thread held at fork time,
 * use the pool from its main thread and from a new thread, destroy it.
 * @exact: no other parent thread was inside the library at fork time, so
 * every object is accounted for and the destructor count must match.
 */
static void
child_main(struct tagpool *tp, void **held, size_t nheld, bool exact)
{
	struct lfp_objpool_stats st;
	struct child_ctx cc;
	pthread_t tid;
	size_t i;

	/* a deadlock in the child shows as SIGALRM, not as a hung test */
	signal(SIGALRM, SIG_DFL);       /* not Check's handler: see below */
	alarm(60);
	for (i = 0; i < nheld; i++)
		CHILD_CHECK(lfp_objpool_put(tp->pool, held[i]) == 0, 10);
	CHILD_CHECK(lfp_objpool_stats(tp->pool, &st) == 0, 11);
	if (exact)
		CHILD_CHECK(st.in_use == 0, 12);
	CHILD_CHECK(child_cycle(tp, 10 * st.mag_rounds + 100) == 0, 13);

	cc.tp = tp;
	cc.n = 10 * st.mag_rounds + 100;
	cc.rc = -1;
#ifdef __SANITIZE_THREAD__
	/* ThreadSanitizer cannot start threads after a multi-threaded
	 * fork(); it makes the child die. Run the work on this thread. */
	(void)tid;
	child_thread_main(&cc);
#else
	CHILD_CHECK(pthread_create(&tid, NULL, child_thread_main, &cc) == 0,
		    14);
	CHILD_CHECK(pthread_join(tid, NULL) == 0, 15);
#endif
	CHILD_CHECK(cc.rc == 0, 16);
	/* the main thread again, after the other one exited */
	CHILD_CHECK(child_cycle(tp, 3 * st.mag_rounds + 10) == 0, 17);

	CHILD_CHECK(lfp_objpool_stats(tp->pool, &st) == 0, 18);
	if (exact) {
		CHILD_CHECK(st.in_use == 0, 19);
		CHILD_CHECK(st.objects == count_of(&tp->ctors), 20);
		CHILD_CHECK(st.cached == st.objects, 21);
	}
	CHILD_CHECK(lfp_objpool_destroy(tp->pool) == 0, 22);
	if (exact)
		CHILD_CHECK(count_of(&tp->dtors) ==
			    count_of(&tp->ctors), 23);
	CHILD_CHECK(count_of(&tp->bad_dtors) == 0, 24);
	_exit(0);
}

/* The parent's second thread: uses the pool, then idles with its cache
 * flushed (busy == 0) or keeps using it (busy == 1) until told to stop. */
struct sibling {
	struct tagpool *tp;
	int busy;
	struct gate ready;
	struct gate release;
	atomic_int stop;
};

static void *
sibling_main(void *arg)
{
	struct sibling *sb = arg;

	cycle(sb->tp, 300, false);
	/*
	 * In a fork() child the caches of the parent's other threads are
	 * lost (they may be mid-update); the idle sibling flushes first, as
	 * the documentation advises, so that the child's counts are exact.
	 */
	if (!sb->busy)
		lfp_thread_flush();
	gate_open(&sb->ready);
	if (sb->busy) {
		while (!atomic_load(&sb->stop))
			cycle(sb->tp, 20, false);
	}
	gate_wait(&sb->release);
	return NULL;
}

/* Loop index: 0 the sibling idles at fork time, 1 it is busy. */
START_TEST(test_fork)
{
	enum { NHELD = 10 };
	struct lfp_objpool_stats st;
	struct sibling sb;
	struct tagpool tp;
	void *held[NHELD];
	pthread_t tid;
	pid_t pid, w;
	int status, i;

	fail_reset();
	ck_assert(tagpool_create(&tp, 8));
	memset(&sb, 0, sizeof(sb));
	sb.tp = &tp;
	sb.busy = _i;
	atomic_init(&sb.stop, 0);
	gate_init(&sb.ready);
	gate_init(&sb.release);

	cycle(&tp, 100, false);
	for (i = 0; i < NHELD; i++) {
		held[i] = lfp_objpool_get(tp.pool);
		ck_assert(check_obj(&tp, held[i]));
	}
	ck_assert_int_eq(pthread_create(&tid, NULL, sibling_main, &sb), 0);
	gate_wait(&sb.ready);

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		child_main(&tp, held, NHELD, !sb.busy);

	/* The parent goes on using the pool meanwhile. */
	cycle(&tp, 200, false);
	cycle(&tp, 200, true);
	do
		w = waitpid(pid, &status, 0);
	while (w == -1 && errno == EINTR);
	/* Stop the sibling before any assertion can leave this frame. */
	atomic_store(&sb.stop, 1);
	gate_open(&sb.release);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	expect_child_ok(w, pid, status, " (deadlock: alarm fired)",
			"child_main");
	fail_assert_none();
	for (i = 0; i < NHELD; i++)
		ck_assert_int_eq(lfp_objpool_put(tp.pool, held[i]), 0);
	st = obj_stats(tp.pool);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.objects, count_of(&tp.ctors));
	tagpool_destroy(&tp);
	fail_assert_none();
	gate_destroy(&sb.ready);
	gate_destroy(&sb.release);
}
END_TEST

/* ---- fork after deferred puts ---------------------------------------- */

/* Wait up to @ms milliseconds for @pool's deferred puts to come back. */
static bool
wait_deferred(struct lfp_objpool *pool, unsigned int ms)
{
	const struct timespec tick = { 0, 1000000 };
	struct lfp_objpool_stats st;

	for (unsigned int i = 0;; i++) {
		if (lfp_objpool_stats(pool, &st))
			return false;
		if (!st.deferred)
			return true;
		if (i == ms)
			return false;
		nanosleep(&tick, NULL);
	}
}

/*
 * The end of a test of @tp: its deferred puts back (within @ms
 * milliseconds), nothing out, destroyed, and no check failed in a thread.
 */
static void
expect_drained(struct tagpool *tp, unsigned int ms)
{
	ck_assert(wait_deferred(tp->pool, ms));
	ck_assert_uint_eq(obj_stats(tp->pool).in_use, 0);
	tagpool_destroy(tp);
	fail_assert_none();
}

/* put_rcu @n objects of @tp, then send the partial batch on its way. */
static int
put_rcu_n(struct tagpool *tp, size_t n)
{
	void *objs[64];
	size_t i;

	if (n > 64)
		return 1;
	for (i = 0; i < n; i++) {
		objs[i] = lfp_objpool_get(tp->pool);
		if (!check_obj(tp, objs[i]))
			return 2;
	}
	for (i = 0; i < n; i++)
		if (lfp_objpool_put_rcu(tp->pool, objs[i]))
			return 3;
	return lfp_objpool_flush(tp->pool) ? 4 : 0;
}

/*
 * Wait for child @pid, 30 s at most (then kill it and fail), and fail
 * unless it exited with status 0; @see says where its codes are told.
 */
static void
wait_child_ok(pid_t pid, const char *see)
{
	int status = 0;
	pid_t w;

	for (int waited = 0;; waited++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w != 0 || waited == 3000)
			break;
		usleep(10000);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("the child hung (killed after 30 s)");
	}
	expect_child_ok(w, pid, status, " (hang: alarm fired)", see);
}

/*
 * The child of a parent that used lfp_objpool_put_rcu() (so liburcu-bp's
 * call_rcu worker runs in the parent, not in the child): its own deferred
 * puts come back, and so do the batches still in flight at fork() (the
 * child's new worker takes them over); destroy does not hang, and every
 * object gets its destructor once.
 */
static void
fork_put_rcu_child(struct tagpool *tp)
{
	struct lfp_objpool_stats st;

	/*
	 * A hang in the child shows as SIGALRM, not as a hung test (Check's
	 * own SIGALRM handler, inherited, would kill the test instead).
	 */
	signal(SIGALRM, SIG_DFL);
	alarm(20);
	CHILD_CHECK(put_rcu_n(tp, 40) == 0, 30);
	CHILD_CHECK(wait_deferred(tp->pool, 5000), 31);
	CHILD_CHECK(put_rcu_n(tp, 64) == 0, 32);
	CHILD_CHECK(put_rcu_n(tp, 3) == 0, 33);
	CHILD_CHECK(wait_deferred(tp->pool, 5000), 34);
	CHILD_CHECK(lfp_objpool_stats(tp->pool, &st) == 0, 35);
	CHILD_CHECK(st.in_use == 0, 36);
	/* more, left staged and in flight for destroy */
	CHILD_CHECK(put_rcu_n(tp, 20) == 0, 37);
	CHILD_CHECK(lfp_objpool_put_rcu(tp->pool,
					lfp_objpool_get(tp->pool)) == 0, 38);
	CHILD_CHECK(lfp_objpool_destroy(tp->pool) == 0, 39);
	CHILD_CHECK(count_of(&tp->dtors) == count_of(&tp->ctors), 40);
	CHILD_CHECK(count_of(&tp->bad_dtors) == 0, 41);
	_exit(0);
}

START_TEST(test_fork_put_rcu)
{
	struct tagpool tp;
	int rc;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	/*
	 * ThreadSanitizer makes a child of a multi-threaded parent die when
	 * it starts a thread, and the child needs a call_rcu worker of its
	 * own (liburcu-bp starts it at fork): the other builds test this.
	 */
	printf("# SKIP test_fork_put_rcu: ThreadSanitizer cannot start the "
	       "child's call_rcu worker thread\n");
	fflush(stdout);
	return;
#endif
	fail_reset();
	ck_assert(tagpool_create(&tp, 8));
	/* liburcu-bp's worker starts, and the first batches come back */
	ck_assert_int_eq(put_rcu_n(&tp, 30), 0);
	ck_assert(wait_deferred(tp.pool, 5000));
	/* more in flight, or about to be, at fork() */
	ck_assert_int_eq(put_rcu_n(&tp, 64), 0);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		fork_put_rcu_child(&tp);

	/* The parent's deferred puts still come back. */
	rc = put_rcu_n(&tp, 10);
	/* Wait for the child, 30 s at most: a hang fails, not hangs. */
	wait_child_ok(pid, "fork_put_rcu_child; 31, 34: deferred puts never "
		      "came back");
	ck_assert_int_eq(rc, 0);
	expect_drained(&tp, 5000);
}
END_TEST

/*
 * A call_rcu of the test's own, with no worker: callbacks wait in a list
 * until manual_run() runs them (a grace period has passed by then: there
 * are no readers). In a fork() child, the parent's list is a list of
 * callbacks that no thread of the child would ever run.
 */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

static pthread_mutex_t manual_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *manual_list;

static void
manual_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	pthread_mutex_lock(&manual_lock);
	head->func = func;
	head->next = manual_list;
	manual_list = head;
	pthread_mutex_unlock(&manual_lock);
}

/* Run every queued callback; how many there were. */
static unsigned int
manual_run(void)
{
	struct rcu_head *h, *next;
	unsigned int n = 0;

	pthread_mutex_lock(&manual_lock);
	h = manual_list;
	manual_list = NULL;
	pthread_mutex_unlock(&manual_lock);
	for (; h; h = next, n++) {
		next = h->next;
		h->func(h);
	}
	return n;
}

static bool
manual_pool_create(struct tagpool *tp)
{
	struct lfp_objpool_attr attr;

	if (!tagpool_attr(tp, &attr, 8))
		return false;
	attr.call_rcu_fn = manual_call_rcu;
	tp->pool = lfp_objpool_create(&attr);
	return tp->pool != NULL;
}

/*
 * With a call_rcu_fn of the program's own, batches in flight at fork()
 * may never complete in the child (if the program does not restart its
 * flavour's worker there). Loop index 0: the child destroys the pool with
 * them pending: destroy does not wait for them, and when they do run
 * afterwards they leave the destroyed pool alone. 1: they run first and
 * bring their objects back; the child's own deferred puts work too.
 */
START_TEST(test_fork_put_rcu_own_flavour)
{
	struct lfp_objpool_stats st;
	struct tagpool tp;
	pid_t pid;

	fail_reset();
	ck_assert(manual_pool_create(&tp));
	ck_assert_int_eq(put_rcu_n(&tp, 20), 0);
	ck_assert_uint_gt(manual_run(), 0);
	ck_assert(wait_deferred(tp.pool, 0));
	/* in flight at fork(): 3 batches (8 + 8 + 4 objects) */
	ck_assert_int_eq(put_rcu_n(&tp, 20), 0);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);       /* as in fork_put_rcu_child() */
		alarm(20);
		if (_i == 0) {
			CHILD_CHECK(lfp_objpool_stats(tp.pool, &st) == 0, 50);
			CHILD_CHECK(st.deferred == 20, 51);
			CHILD_CHECK(lfp_objpool_destroy(tp.pool) == 0, 52);
			/* (the 20 were out with a user, as far as destroy knows) */
			CHILD_CHECK(count_of(&tp.dtors) + 20 ==
				    count_of(&tp.ctors), 53);
			/* late: they find the pool gone and only free themselves */
			CHILD_CHECK(manual_run() == 3, 54);
			CHILD_CHECK(count_of(&tp.dtors) + 20 ==
				    count_of(&tp.ctors), 55);
		} else {
			CHILD_CHECK(manual_run() == 3, 56);
			CHILD_CHECK(wait_deferred(tp.pool, 0), 57);
			CHILD_CHECK(put_rcu_n(&tp, 12) == 0, 58);
			CHILD_CHECK(manual_run() == 2, 59);
			CHILD_CHECK(wait_deferred(tp.pool, 0), 60);
			CHILD_CHECK(put_rcu_n(&tp, 8) == 0, 61);
			/* in flight at destroy: waited for, so run it meanwhile */
			CHILD_CHECK(manual_run() == 1, 62);
			CHILD_CHECK(lfp_objpool_stats(tp.pool, &st) == 0, 63);
			CHILD_CHECK(st.in_use == 0, 64);
			CHILD_CHECK(lfp_objpool_destroy(tp.pool) == 0, 65);
			CHILD_CHECK(count_of(&tp.dtors) ==
				    count_of(&tp.ctors), 66);
		}
		CHILD_CHECK(count_of(&tp.bad_dtors) == 0, 67);
		_exit(0);
	}
	wait_child_ok(pid, "test_fork_put_rcu_own_flavour");
	/* In the parent they were never orphans. */
	ck_assert_uint_eq(manual_run(), 3);
	expect_drained(&tp, 0);
}
END_TEST

/* ---- many pools at once ---------------------------------------------- */

struct steady {
	unsigned int rounds;
	uint64_t seed;
	atomic_int *stop;
	unsigned long loops;
};

/* Keep getting and putting on a private long-lived pool until stopped. */
static void *
steady_main(void *arg)
{
	struct steady *sd = arg;
	struct tagpool tp;

	if (!tagpool_create(&tp, sd->rounds)) {
		t_fail(__FILE__, __LINE__, "create: errno %d", errno);
		return NULL;
	}
	while (!atomic_load(sd->stop)) {
		uint64_t r = lfp_test_rand(&sd->seed);

		cycle(&tp, 1 + r % 64, (r >> 32) & 1);
		sd->loops++;
	}
	tagpool_destroy(&tp);
	return NULL;
}

/*
 * A long-lived helper of the pool creator: handed a new pool each round,
 * it uses it and then idles, its cache for that pool still loaded, while
 * the creator destroys the pool and makes the next one (which may reuse
 * the slot of the old one).
 */
struct helper {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tagpool *tp; /* the job, or NULL */
	unsigned long posted, done;
	int quit;
};

static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct tagpool *tp;
	unsigned long seen = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->quit && h->posted == seen)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->quit)
			break;
		seen = h->posted;
		tp = h->tp;
		pthread_mutex_unlock(&h->lock);

		cycle(tp, 150, seen & 1);

		pthread_mutex_lock(&h->lock);
		h->done = seen;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void
helper_run(struct helper *h, struct tagpool *tp)
{
	unsigned long job;

	pthread_mutex_lock(&h->lock);
	h->tp = tp;
	job = ++h->posted;
	pthread_cond_broadcast(&h->cond);
	while (h->done != job)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

/* Uses the pool once and exits, leaving its cache free. */
static void *
use_once_main(void *arg)
{
	void *o = lfp_objpool_get(arg);

	if (o && lfp_objpool_put(arg, o))
		o = NULL;
	return o;
}

/*
 * A cache that an exited thread left free before fork() is not one a
 * vanished thread was using: a new thread of the child reuses it rather
 * than make another (only caches owned by the parent's other threads are
 * lost).
 */
START_TEST(test_fork_reuses_free_cache)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;
	void *ret;
	pid_t pid, w;
	int status;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 32;
	attr.cache_mode = LFP_CACHE_PER_THREAD;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	/* this thread's cache, and an exited thread's free one */
	ret = use_once_main(pool);
	ck_assert_ptr_nonnull(ret);
	ret = lfp_test_in_thread(use_once_main, pool);
	ck_assert_ptr_nonnull(ret);
	ck_assert_uint_eq(obj_stats(pool).caches, 2);

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		alarm(30);
#ifndef __SANITIZE_THREAD__
		/* (ThreadSanitizer cannot start threads in this child.) */
		pthread_t tid;

		if (pthread_create(&tid, NULL, use_once_main, pool) ||
		    pthread_join(tid, &ret) || !ret)
			_exit(2);
#endif
		_exit(obj_stats(pool).caches == 2 ? 0 : 3);
	}
	do
		w = waitpid(pid, &status, 0);
	while (w == -1 && errno == EINTR);
	ck_assert_int_eq(w, pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: status %#x (3: a new cache was made)", status);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

START_TEST(test_many_pools)
{
	static const unsigned int rounds[] = { 0, 1, 4, 16 };
	unsigned int nsteady = lfp_test_ncpus() < 2 ? 2 : lfp_test_ncpus();
	unsigned int iters = 300 * lfp_test_scale();
	struct steady *sd;
	struct helper h;
	struct tagpool tp;
	struct user u;
	pthread_t *tids, htid, etid;
	atomic_int stop;
	unsigned int i, k;

	fail_reset();
	atomic_init(&stop, 0);
	sd = calloc(nsteady, sizeof(*sd));
	tids = calloc(nsteady, sizeof(*tids));
	ck_assert_ptr_nonnull(sd);
	ck_assert_ptr_nonnull(tids);
	for (k = 0; k < nsteady; k++) {
		sd[k].rounds = rounds[k % 4];
		sd[k].seed = 0x9e3779b97f4a7c15ULL * (k + 1);
		sd[k].stop = &stop;
		ck_assert_int_eq(pthread_create(&tids[k], NULL, steady_main,
						&sd[k]), 0);
	}
	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.cond, NULL);
	ck_assert_int_eq(pthread_create(&htid, NULL, helper_main, &h), 0);

	for (i = 0; i < iters && !atomic_load(&failed); i++) {
		if (!tagpool_create(&tp, rounds[i % 4])) {
			t_fail(__FILE__, __LINE__, "create #%u: errno %d", i,
			       errno);
			break;
		}
		/* this thread, the long-lived helper, and now and then a
		 * short-lived thread that exits before the destroy */
		cycle(&tp, 40 + i % 50, i & 2);
		helper_run(&h, &tp);
		if (i % 4 == 0) {
			memset(&u, 0, sizeof(u));
			u.tp = &tp;
			u.n = 100;
			u.bulk = i & 8;
			if (pthread_create(&etid, NULL, cycle_main, &u) == 0)
				pthread_join(etid, NULL);
			else
				t_fail(__FILE__, __LINE__, "pthread_create");
		}
		cycle(&tp, 10, false);
		tagpool_destroy(&tp);
	}

	atomic_store(&stop, 1);
	for (k = 0; k < nsteady; k++)
		ck_assert_int_eq(pthread_join(tids[k], NULL), 0);
	pthread_mutex_lock(&h.lock);
	h.quit = 1;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	ck_assert_int_eq(pthread_join(htid, NULL), 0);
	fail_assert_none();
	ck_assert_uint_eq(i, iters);
	pthread_cond_destroy(&h.cond);
	pthread_mutex_destroy(&h.lock);
	free(tids);
	free(sd);
}
END_TEST

/* ---- thread exit racing with destroy --------------------------------- */

struct racer {
	struct tagpool *tp;
	pthread_barrier_t *bar;
	size_t n;
	bool bulk;
	bool flush;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;

	cycle(r->tp, r->n, r->bulk);
	/* from here the thread only flushes (any thread may, at any time)
	 * and exits: its cache goes back while the main thread destroys
	 * the pool */
	pthread_barrier_wait(r->bar);
	if (r->flush)
		lfp_thread_flush();
	return NULL;
}

/*
 * Threads that used a pool exit (one of them flushing first) while the
 * main thread destroys that pool, again and again: no crash, and the
 * destructor runs once per object, none of them late.
 */
START_TEST(test_exit_vs_destroy)
{
	enum { NRACER = 2 };
	static const unsigned int rounds[] = { 0, 1, 4, 16 };
	unsigned int iters = 200 * lfp_test_scale();
	struct racer r[NRACER];
	pthread_t tids[NRACER];
	pthread_barrier_t bar;
	struct tagpool tp;
	uint64_t seed = 42;
	unsigned int i, k;

	fail_reset();
	for (i = 0; i < iters; i++) {
		ck_assert(tagpool_create(&tp, rounds[i % 4]));
		ck_assert_int_eq(pthread_barrier_init(&bar, NULL, NRACER + 1),
				 0);
		for (k = 0; k < NRACER; k++) {
			r[k].tp = &tp;
			r[k].bar = &bar;
			r[k].n = 1 + lfp_test_rand(&seed) % 300;
			r[k].bulk = (i + k) & 1;
			r[k].flush = k == 0;
			ck_assert_int_eq(pthread_create(&tids[k], NULL,
							racer_main, &r[k]), 0);
		}
		pthread_barrier_wait(&bar);
		tagpool_destroy(&tp);
		for (k = 0; k < NRACER; k++)
			ck_assert_int_eq(pthread_join(tids[k], NULL), 0);
		/* no destructor ran late, on exit, after the destroy */
		ck_assert_uint_eq(count_of(&tp.dtors),
				  count_of(&tp.ctors));
		ck_assert_uint_eq(count_of(&tp.bad_dtors), 0);
		pthread_barrier_destroy(&bar);
		fail_assert_none();
	}
}
END_TEST

static Suite *
thread_suite(void)
{
	Suite *s = suite_create("thread");
	TCase *tc;

	tc = lfp_test_stay_tcase(s, "exit");
	tcase_add_loop_test(tc, test_exit_hands_back, 0, 4);

	tc = lfp_test_tcase(s, "fork");
	tcase_add_loop_test(tc, test_fork, 0, 2);
	tcase_add_test(tc, test_fork_put_rcu);
	tcase_add_test(tc, test_fork_reuses_free_cache);
	tcase_add_loop_test(tc, test_fork_put_rcu_own_flavour, 0, 2);

	tc = lfp_test_tcase(s, "pools");
	tcase_set_timeout(tc, 60 * lfp_test_scale() + 60);
	tcase_add_test(tc, test_many_pools);
	tcase_add_test(tc, test_exit_vs_destroy);

	return s;
}

int
main(void)
{
	return lfp_test_run(thread_suite());
}
