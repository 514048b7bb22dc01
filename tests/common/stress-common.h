/* SPDX-License-Identifier: MIT */
/*
 * stress-common.h - helpers shared by the stress programs, whose threads
 * hand objects around and must each prove they held an object alone: the
 * first-failure recorder (the first message wins, under a mutex; the main
 * thread asserts on it after the join), counters of constructor and
 * destructor calls for a tagged object (an owner word and a magic, the
 * rest of the object its holder's payload), the holder's fill byte, the
 * CAS that claims and releases a tagged object, the ring through which
 * workers hand objects to one another, getting and putting a
 * number of objects of an object pool in one bulk call or one at a time,
 * the conservation check of an object pool at the end of a run (and
 * taking every cached item back node by node on a NUMA machine),
 * the team of worker threads (spawned, let go together through a barrier
 * once the deadline is set, working until it passes or a failure, joined
 * and checked), how many workers, their seeds, a run's allocation and
 * release, the destructor counts after a destroy, the Check test case
 * that runs a program's table of runs, and the ceiling log2.
 */
#ifndef LFP_STRESS_COMMON_H
#define LFP_STRESS_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lfpool.h>

#include "test-common.h"
#include "test-sysnode.h"

/* ---- the first failure ------------------------------------------------- */

struct stress_fail {
	pthread_mutex_t lock;
	atomic_int failed;
	char msg[512];
};

static inline void
stress_fail_init(struct stress_fail *f)
{
	pthread_mutex_init(&f->lock, NULL);
	atomic_init(&f->failed, 0);
	f->msg[0] = '\0';
}

static inline void
stress_fail_destroy(struct stress_fail *f)
{
	pthread_mutex_destroy(&f->lock);
}

static inline bool
stress_failed(struct stress_fail *f)
{
	return atomic_load(&f->failed) != 0;
}

static inline void stress_failf(struct stress_fail *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record a failure; only the first message is kept. */
static inline void
stress_failf(struct stress_fail *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&f->lock);
	if (!atomic_load(&f->failed)) {
		va_start(ap, fmt);
		vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
		va_end(ap);
		atomic_store(&f->failed, 1);
	}
	pthread_mutex_unlock(&f->lock);
}

/* A counter's value, as a plain call so failed assertions read well. */
static inline unsigned long
stress_count_of(atomic_ulong *counter)
{
	return atomic_load(counter);
}

/* ---- tagged objects ---------------------------------------------------- */

#define STRESS_OBJ_MAGIC 0x7374726573734f4bULL
#define STRESS_OBJ_POISON 0xdeadbeefdeadbeefULL

/* The head of a tagged object; the holder's payload follows it. */
struct stress_obj {
	atomic_uint_fast64_t owner; /* 0 in the pool, holder id + 1 when held */
	uint64_t magic;
};

/* What the constructor and destructor of a pool's objects counted. */
struct stress_counts {
	atomic_ulong ctors;
	atomic_ulong dtors;
	atomic_ulong bad_dtors; /* objects destructed while held or twice */
};

static inline void
stress_counts_init(struct stress_counts *c)
{
	atomic_init(&c->ctors, 0);
	atomic_init(&c->dtors, 0);
	atomic_init(&c->bad_dtors, 0);
}

/* Constructor of a tagged object; @arg is its struct stress_counts. */
static inline int
stress_obj_ctor(void *obj, void *arg)
{
	struct stress_counts *c = arg;
	struct stress_obj *o = obj;

	atomic_init(&o->owner, 0);
	o->magic = STRESS_OBJ_MAGIC;
	atomic_fetch_add(&c->ctors, 1);
	return 0;
}

static inline void
stress_obj_dtor(void *obj, void *arg)
{
	struct stress_counts *c = arg;
	struct stress_obj *o = obj;

	/* a trim or destroy may only free objects back in the pool, once */
	if (o->magic != STRESS_OBJ_MAGIC || atomic_load(&o->owner) != 0)
		atomic_fetch_add(&c->bad_dtors, 1);
	o->magic = STRESS_OBJ_POISON;
	atomic_fetch_add(&c->dtors, 1);
}

/* The payload pattern of holder @id. */
static inline unsigned char
stress_pattern(unsigned int id)
{
	return (unsigned char)(0x40 + id % 191);
}

/*
 * Claim @o for worker @id: owner @from -> @id + 1, then fill its
 * @payload bytes with the worker's pattern.
 */
static inline bool
stress_obj_claim(struct stress_fail *f, unsigned int id, struct stress_obj *o,
		 size_t payload, uint64_t from)
{
	uint_fast64_t expect = from;

	if (o->magic != STRESS_OBJ_MAGIC) {
		stress_failf(f, "worker %u: object %p has magic %#llx", id,
			     (void *)o, (unsigned long long)o->magic);
		return false;
	}
	if (!atomic_compare_exchange_strong(&o->owner, &expect, id + 1)) {
		stress_failf(f, "worker %u: object %p owned by %llu, expected "
			     "%llu: handed out twice", id, (void *)o,
			     (unsigned long long)expect,
			     (unsigned long long)from);
		return false;
	}
	memset(o + 1, stress_pattern(id), payload);
	return true;
}

/*
 * Release @o held by worker @id: check every @stride-th byte and the last
 * of its @payload (an overlapping holder shows), then owner @id + 1 -> @to.
 */
static inline bool
stress_obj_release(struct stress_fail *f, unsigned int id,
		   struct stress_obj *o, size_t payload, size_t stride,
		   uint64_t to)
{
	uint_fast64_t expect = id + 1;
	const unsigned char *p = (const unsigned char *)(o + 1);
	unsigned char c = stress_pattern(id);
	size_t i;

	if (!stride)
		stride = 1;
	for (i = 0; i < payload; i += stride)
		if (p[i] != c)
			goto bad;
	if (payload && p[payload - 1] != c)
		goto bad;
	if (!atomic_compare_exchange_strong(&o->owner, &expect, to)) {
		stress_failf(f, "worker %u: object %p taken from it (owner "
			     "%llu)", id, (void *)o,
			     (unsigned long long)expect);
		return false;
	}
	return true;
bad:
	stress_failf(f, "worker %u: payload of object %p overwritten", id,
		     (void *)o);
	return false;
}

/* ---- the exchange ring ------------------------------------------------- */

/*
 * Where workers hand what they hold to one another: a ring of at most
 * @size (up to STRESS_RING_MAX) items, each a pointer and a tag the
 * program chooses, under a mutex the caller holds around its pushes and
 * pops (stress_ring_lock()).
 */
#define STRESS_RING_MAX 1024

struct stress_item {
	void *p;
	int tag;
};

struct stress_ring {
	pthread_mutex_t lock;
	size_t size, head, count;
	struct stress_item slot[STRESS_RING_MAX];
};

static inline void
stress_ring_init(struct stress_ring *x, size_t size)
{
	ck_assert_uint_le(size, STRESS_RING_MAX);
	pthread_mutex_init(&x->lock, NULL);
	x->size = size;
	x->head = 0;
	x->count = 0;
}

static inline void
stress_ring_destroy(struct stress_ring *x)
{
	pthread_mutex_destroy(&x->lock);
}

static inline void
stress_ring_lock(struct stress_ring *x)
{
	pthread_mutex_lock(&x->lock);
}

static inline void
stress_ring_unlock(struct stress_ring *x)
{
	pthread_mutex_unlock(&x->lock);
}

/* Free places in the ring. */
static inline size_t
stress_ring_room(const struct stress_ring *x)
{
	return x->size - x->count;
}

/* Add @p (tagged @tag) at the tail; there must be room. */
static inline void
stress_ring_push(struct stress_ring *x, void *p, int tag)
{
	struct stress_item *it = &x->slot[(x->head + x->count) % x->size];

	it->p = p;
	it->tag = tag;
	x->count++;
}

/* The item at the head (the ring must not be empty), left there. */
static inline struct stress_item
stress_ring_peek(const struct stress_ring *x)
{
	return x->slot[x->head];
}

/* Take the item at the head; the ring must not be empty. */
static inline struct stress_item
stress_ring_pop(struct stress_ring *x)
{
	struct stress_item it = x->slot[x->head];

	x->head = (x->head + 1) % x->size;
	x->count--;
	return it;
}

/* ---- object pool calls ------------------------------------------------ */

/*
 * Get @n objects of @pool into @dst for worker @id, in one bulk call or
 * one at a time; returns how many it got (fewer only on a failure).
 */
static inline size_t
stress_objpool_get_n(struct stress_fail *f, unsigned int id,
		     struct lfp_objpool *pool, void **dst, size_t n, bool bulk)
{
	size_t got;

	if (bulk) {
		errno = 0;
		got = lfp_objpool_get_bulk(pool, dst, n);
		if (got != n)
			stress_failf(f, "worker %u: get_bulk(%zu) = %zu, "
				     "errno %d", id, n, got, errno);
		return got;
	}
	for (got = 0; got < n; got++) {
		dst[got] = lfp_objpool_get(pool);
		if (!dst[got]) {
			stress_failf(f, "worker %u: get: errno %d", id, errno);
			break;
		}
	}
	return got;
}

/*
 * Put the @n objects of @src back into @pool for worker @id, in one bulk
 * call or one at a time; returns how many went back.
 */
static inline size_t
stress_objpool_put_n(struct stress_fail *f, unsigned int id,
		     struct lfp_objpool *pool, void **src, size_t n, bool bulk)
{
	size_t done;
	int rc;

	if (bulk) {
		errno = 0;
		done = lfp_objpool_put_bulk(pool, src, n);
		if (done != n)
			stress_failf(f, "worker %u: put_bulk(%zu) = %zu, "
				     "errno %d", id, n, done, errno);
		return done;
	}
	for (done = 0; done < n; done++) {
		rc = lfp_objpool_put(pool, src[done]);
		if (rc) {
			stress_failf(f, "worker %u: put: %d", id, rc);
			break;
		}
	}
	return done;
}

/*
 * Taking every cached item back out of a pool, on NUMA machines too. With
 * local placement a CPU takes its own node's items only, and carves new
 * ones once its node's depot is empty rather than take another node's
 * (numa.h): so where the kernel lists two nodes or more (sysfs), the
 * caller goes to one CPU of each node in turn and gets one item at a time
 * until a get makes the pool carve (@count, how many items the pool has
 * made, grows), which ends that node; it hands its cache back (@flush)
 * and goes on. Every cached item is then out, plus one carved item per
 * node that carved. Returns 0 on a machine of one node (the caller takes
 * them its own way), else the number of nodes visited.
 */
#define STRESS_MAX_NODES 64

/* The first CPU of each node with CPUs (sysfs): how many; 0 below two
 * nodes. The caller's affinity may be narrower (a test pins itself). */
static inline unsigned int
stress_node_cpus(int *cpus)
{
	static bool set[LFP_TEST_MAXCPUS];
	bool online[LFP_TEST_MAXNODES];
	unsigned int n = 0;

	if (lfp_test_sys_nodes("online", online) < 2)
		return 0;
	for (int k = 0; k < LFP_TEST_MAXNODES && n < STRESS_MAX_NODES; k++) {
		if (!online[k] || lfp_test_sys_node_cpus(k, set) <= 0)
			continue;
		for (int c = 0; c < LFP_TEST_MAXCPUS && c < CPU_SETSIZE; c++) {
			if (set[c]) {
				cpus[n++] = c;
				break;
			}
		}
	}
	return n;
}

/*
 * Get the @n cached items of a pool into @out (room for @n +
 * STRESS_MAX_NODES) node by node, as above: @get takes one (NULL when it
 * fails), @count and @flush as above, all on @arg. Returns the items got;
 * sets *@carved to the gets that carved and *@made to the items those
 * made; nothing was lost when the result is @n + *@carved. 0 (and both
 * 0) on a machine of one node. The caller's affinity is restored.
 */
static inline size_t
stress_take_by_node(void **out, size_t n, void *(*get)(void *),
		    uint64_t (*count)(void *), void (*flush)(void *), void *arg,
		    size_t *carved, uint64_t *made)
{
	int cpus[STRESS_MAX_NODES];
	unsigned int ncpus = stress_node_cpus(cpus);
	uint64_t before = count(arg), last = before, now;
	cpu_set_t saved;
	size_t got = 0;
	void *o;

	*carved = 0;
	*made = 0;
	if (!ncpus)
		return 0;
	ck_assert_int_eq(sched_getaffinity(0, sizeof(saved), &saved), 0);
	for (unsigned int i = 0; i < ncpus && got < n + *carved; i++) {
		ck_assert_msg(lfp_test_pin(cpus[i]) == 0, "cannot run on CPU "
			      "%d, where a node's items are", cpus[i]);
		while (got < n + *carved && (o = get(arg))) {
			out[got++] = o;
			now = count(arg);
			if (now != last) {
				last = now;
				++*carved;
				break;
			}
		}
		flush(arg);
	}
	ck_assert_int_eq(sched_setaffinity(0, sizeof(saved), &saved), 0);
	*made = last - before;
	return got;
}

static inline void *
stress_objpool_get1(void *pool)
{
	return lfp_objpool_get(pool);
}

static inline uint64_t
stress_objpool_count(void *pool)
{
	struct lfp_objpool_stats st;

	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	return st.objects;
}

static inline void
stress_objpool_flush(void *pool)
{
	ck_assert_int_eq(lfp_objpool_flush(pool), 0);
}

/* A buffer pool's class of @cap-byte buffers, for stress_take_by_node(). */
struct stress_bufclass {
	struct lfp_bufpool *bp;
	size_t cap;
};

static inline void *
stress_bufclass_get1(void *arg)
{
	struct stress_bufclass *bc = arg;

	return lfp_bufpool_alloc(bc->bp, bc->cap);
}

static inline uint64_t
stress_bufclass_count(void *arg)
{
	struct stress_bufclass *bc = arg;
	struct lfp_bufpool_stats *st = malloc(sizeof(*st));
	uint64_t n = 0;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(lfp_bufpool_stats(bc->bp, st), 0);
	for (unsigned int i = 0; i < st->nclasses; i++)
		if (st->cls[i].size == bc->cap)
			n = st->cls[i].buffers;
	free(st);
	return n;
}

static inline void
stress_bufclass_flush(void *arg)
{
	struct stress_bufclass *bc = arg;

	ck_assert_int_eq(lfp_bufpool_flush(bc->bp), 0);
}

/*
 * Allocate the @n cached buffers of @cap bytes of @bp into @out (room for
 * @n + STRESS_MAX_NODES): node by node on a NUMA machine
 * (stress_take_by_node(), *@carved and *@made as there), else one call
 * each from here. Stops at the first that fails. Returns how many it got.
 */
static inline size_t
stress_bufpool_take(struct lfp_bufpool *bp, size_t cap, void **out, size_t n,
		    size_t *carved, uint64_t *made)
{
	struct stress_bufclass bc = { bp, cap };
	size_t got = stress_take_by_node(out, n, stress_bufclass_get1,
					 stress_bufclass_count,
					 stress_bufclass_flush, &bc, carved,
					 made);

	if (got || !n)
		return got;
	while (got < n && (out[got] = lfp_bufpool_alloc(bp, cap)))
		got++;
	return got;
}

/*
 * Conservation of object pool @pool once its threads are gone: after a
 * flush nothing is in use and every object carved is cached, in the
 * depot; getting them all in one bulk call (node by node on a NUMA
 * machine, stress_take_by_node()) carves no new one (on a NUMA machine,
 * one per node whose depot ran dry) and hands out each exactly once, as
 * the pool keeps it (magic set, no holder), no two overlapping (@size
 * bytes each); they all go back. Returns the counters after the flush,
 * for the caller's own checks, with the objects the pool has made once
 * they were taken (the carving gets of a NUMA machine construct some).
 */
static inline struct lfp_objpool_stats
stress_objpool_conserve(struct lfp_objpool *pool, size_t size)
{
	struct lfp_objpool_stats st, st2;
	struct stress_obj *o;
	void **all;
	size_t got, i, carved;
	uint64_t made;

	ck_assert_int_eq(lfp_objpool_flush(pool), 0);
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, st.objects);
	ck_assert_uint_eq(st.depot_cached, st.cached);
	all = calloc(st.objects + STRESS_MAX_NODES, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	errno = 0;
	got = stress_take_by_node(all, st.objects, stress_objpool_get1,
				  stress_objpool_count, stress_objpool_flush,
				  pool, &carved, &made);
	if (!got)
		got = lfp_objpool_get_bulk(pool, all, st.objects);
	ck_assert_msg(got == st.objects + carved, "got %zu of %llu objects "
		      "(and %zu carved), errno %d", got,
		      (unsigned long long)st.objects, carved, errno);
	ck_assert_int_eq(lfp_objpool_stats(pool, &st2), 0);
	ck_assert_msg(st2.objects == st.objects + made, "getting every "
		      "cached object carved new ones: %llu objects, was %llu",
		      (unsigned long long)st2.objects,
		      (unsigned long long)st.objects);
	ck_assert_uint_eq(st2.in_use, got);
	/* What the carving gets made beyond the one they handed out. */
	ck_assert_uint_eq(st2.cached, st2.objects - got);
	st.objects = st2.objects;
	for (i = 0; i < got; i++) {
		o = all[i];
		ck_assert_uint_eq(o->magic, STRESS_OBJ_MAGIC);
		ck_assert_msg(atomic_load(&o->owner) == 0, "object %p still "
			      "marked held by %llu", (void *)o,
			      (unsigned long long)atomic_load(&o->owner));
	}
	qsort(all, got, sizeof(*all), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < got; i++)
		ck_assert_msg((uintptr_t)all[i] + size <= (uintptr_t)all[i + 1],
			      "objects %p and %p overlap or repeat", all[i],
			      all[i + 1]);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, all, got), got);
	ck_assert_int_eq(lfp_objpool_stats(pool, &st2), 0);
	ck_assert_uint_eq(st2.in_use, 0);
	free(all);
	return st;
}

/* ---- the team ---------------------------------------------------------- */

/* Whether CLOCK_MONOTONIC has reached @deadline. */
static inline bool
stress_past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec &&
		now.tv_nsec >= deadline->tv_nsec);
}

/*
 * The threads of a run: the main thread spawns @n of them, then sets the
 * deadline and lets them go at once (stress_team_go()); each waits for it
 * in stress_team_wait(), works while stress_team_working(), and the main
 * thread joins them all (stress_team_join()).
 */
struct stress_team {
	pthread_barrier_t start;        /* the threads and the main one */
	struct timespec deadline;
	pthread_t *tids;
	unsigned int n, spawned;
};

static inline void
stress_team_init(struct stress_team *t, unsigned int n)
{
	t->n = n;
	t->spawned = 0;
	t->tids = calloc(n, sizeof(*t->tids));
	ck_assert_ptr_nonnull(t->tids);
	ck_assert_int_eq(pthread_barrier_init(&t->start, NULL, n + 1), 0);
}

/* Start the next of the team's threads: @fn(@arg). */
static inline void
stress_team_spawn(struct stress_team *t, void *(*fn)(void *), void *arg)
{
	ck_assert_uint_lt(t->spawned, t->n);
	ck_assert_int_eq(pthread_create(&t->tids[t->spawned], NULL, fn, arg),
			 0);
	t->spawned++;
}

/* The deadline is @seconds from now: let every thread go. */
static inline void
stress_team_go(struct stress_team *t, unsigned int seconds)
{
	ck_assert_uint_eq(t->spawned, t->n);
	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	t->deadline.tv_sec += (time_t)seconds;
	pthread_barrier_wait(&t->start);
}

/* In a thread of the team: wait until the main thread lets it go. */
static inline void
stress_team_wait(struct stress_team *t)
{
	pthread_barrier_wait(&t->start);
}

/*
 * In a thread of the team, before its operation number @ops: go on while
 * nothing failed and the deadline (read every 64 operations) is ahead.
 * The first 64 always run, so that a thread a busy machine left waiting
 * past the deadline still takes part (stress_team_check() wants more
 * operations than threads).
 */
static inline bool
stress_team_working(struct stress_team *t, struct stress_fail *f,
		    unsigned long ops)
{
	return !stress_failed(f) &&
	       (ops < 64 || (ops & 63) || !stress_past(&t->deadline));
}

static inline void
stress_team_join(struct stress_team *t)
{
	for (unsigned int k = 0; k < t->spawned; k++)
		ck_assert_int_eq(pthread_join(t->tids[k], NULL), 0);
	pthread_barrier_destroy(&t->start);
	free(t->tids);
	t->tids = NULL;
}

/*
 * After the join: no thread failed, and the @nthreads workers made more
 * than one operation each in all (@ops).
 */
static inline void
stress_team_check(struct stress_fail *f, unsigned int nthreads,
		  unsigned long ops)
{
	ck_assert_msg(!stress_failed(f), "%s", f->msg);
	ck_assert_uint_gt(ops, nthreads);
}

/*
 * The test case of a stress program, with time for its runs (2 s each, at
 * most, times LFP_STRESS_SCALE); the program adds its table of runs with
 * tcase_add_loop_test() and hands it to stress_suite_run().
 */
static inline TCase *
stress_tcase(void)
{
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 60 * lfp_test_scale() + 60);
	return tc;
}

static inline int
stress_suite_run(const char *name, TCase *tc)
{
	Suite *s = suite_create(name);

	suite_add_tcase(s, tc);
	return lfp_test_run(s);
}

/*
 * The main() of a stress program: its runs are the rows of an array
 * runs[], its test stress_run runs row _i; one Check test per row.
 */
#define STRESS_MAIN(suite)						\
	int								\
	main(void)							\
	{								\
		TCase *tc = stress_tcase();				\
									\
		tcase_add_loop_test(tc, stress_run, 0,			\
				    (int)(sizeof(runs) / sizeof(runs[0]))); \
		return stress_suite_run(suite, tc);			\
	}

/* @per_cpu workers for each CPU online, and no fewer than for two. */
static inline unsigned int
stress_nthreads(unsigned int per_cpu)
{
	unsigned int n = per_cpu * lfp_test_ncpus();

	return n < 2 * per_cpu ? 2 * per_cpu : n;
}

/* The PRNG seed of worker @k, in a run that @salt tells apart. */
static inline uint64_t
stress_seed(unsigned int k, uint64_t salt)
{
	return 0x9e3779b97f4a7c15ULL * (k + 1) ^ salt;
}

/*
 * The team of @run_ (a struct with a team and a fail) is the @n elements
 * of @workers (structs with run, id, seed and ops): each gets its run, its
 * number and a seed from @salt, and runs @fn for @seconds; the main thread
 * joins them, adds their operations to @ops and checks the run.
 */
#define STRESS_TEAM_RUN(run_, workers, n, fn, salt, seconds, ops)	\
	do {								\
		unsigned int k_;					\
									\
		stress_team_init(&(run_)->team, (n));			\
		for (k_ = 0; k_ < (n); k_++) {				\
			(workers)[k_].run = (run_);			\
			(workers)[k_].id = k_;				\
			(workers)[k_].seed = stress_seed(k_, (salt));	\
			stress_team_spawn(&(run_)->team, (fn),		\
					  &(workers)[k_]);		\
		}							\
		stress_team_go(&(run_)->team, (seconds));		\
		stress_team_join(&(run_)->team);				\
		for (k_ = 0; k_ < (n); k_++)				\
			(ops) += (workers)[k_].ops;			\
		stress_team_check(&(run_)->fail, (n), (ops));		\
	} while (0)

/*
 * The start of a run: @run_ (one zeroed struct with an xchg ring and a
 * fail record) and @workers (@n zeroed elements), the ring of @xsize
 * items and the failure record ready. STRESS_RUN_FREE() undoes it.
 */
#define STRESS_RUN_ALLOC(run_, workers, n, xsize)			\
	do {								\
		(run_) = calloc(1, sizeof(*(run_)));			\
		(workers) = calloc((n), sizeof(*(workers)));		\
		ck_assert_ptr_nonnull(run_);				\
		ck_assert_ptr_nonnull(workers);				\
		stress_ring_init(&(run_)->xchg, (xsize));		\
		stress_fail_init(&(run_)->fail);			\
	} while (0)

#define STRESS_RUN_FREE(run_, workers)					\
	do {								\
		stress_fail_destroy(&(run_)->fail);			\
		stress_ring_destroy(&(run_)->xchg);			\
		free(workers);						\
		free(run_);						\
	} while (0)

/*
 * After the pool of @c is destroyed: every object constructed was
 * destructed, none while held or twice.
 */
static inline void
stress_counts_check_destroyed(struct stress_counts *c)
{
	ck_assert_uint_eq(stress_count_of(&c->dtors),
			  stress_count_of(&c->ctors));
	ck_assert_uint_eq(stress_count_of(&c->bad_dtors), 0);
}

/* ---- odds and ends ----------------------------------------------------- */

/* The least k with 2^k >= @x. */
static inline unsigned int
stress_lg2(size_t x)
{
	unsigned int k = 0;

	while (((size_t)1 << k) < x)
		k++;
	return k;
}

#endif /* LFP_STRESS_COMMON_H */
