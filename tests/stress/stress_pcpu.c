/* SPDX-License-Identifier: MIT */
/*
 * stress_pcpu.c - caches under preemption and migration: many more
 * threads than CPUs get and put objects of an object pool and allocate
 * and free buffers of a buffer pool, hand some to each other through a
 * ring, and every few hundred operations move themselves to a random CPU
 * of those allowed (sched_setaffinity; now and then back to all of them,
 * so that the scheduler migrates them too), while a housekeeping thread,
 * also moving, flushes and trims both pools with every combination of
 * flags. Every object and buffer carries an owner word the test claims
 * with a CAS when it receives it, so any object handed out twice (a get
 * that committed on a stale cache, a trim that freed a held object) fails
 * the test; the destructor checks that the object is back in the pool.
 * At the end, after lfp_*_flush(), a conservation check proves that every
 * object and buffer sits in the pools exactly once: gets == puts (as the
 * threads counted them), and the main thread, kept on one CPU, gets
 * stats.objects objects (and each class's buffers) without the pool
 * carving any new one, all distinct; destroy runs the destructor once on
 * each object.
 *
 * Cases: pools on LFP_CACHE_AUTO (the environment's LFP_CACHE_MODE
 * decides), explicitly per-CPU, explicitly per-thread. stress-pcpu-norseq.sh
 * runs it again with rseq disabled (GLIBC_TUNABLES=glibc.pthread.rseq=0)
 * and LFP_TEST_EXPECT_MODE=perthread: every pool must then fall back to
 * per-thread caches. LFP_TEST_EXPECT_MODE=percpu, where per-CPU caches
 * must run (the virtual machines' runs), makes every pool but the one
 * asking for per-thread caches check that it runs per-CPU. Work scales
 * with LFP_STRESS_SCALE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lfpool.h>

#include "test-common.h"
#include "stress-common.h"

/* The first failure of the run. */
#define w_fail(r, ...) stress_failf(&(r)->fail, __VA_ARGS__)

#define OBJ_SIZE 128
/* a struct stress_obj, then its holder's payload */
#define OBJ_PAYLOAD (OBJ_SIZE - sizeof(struct stress_obj))

#define BUF_MIN ((size_t)16)
#define BUF_MAX ((size_t)64 << 10)
#define BUF_NCLASSES 13                 /* 16 B .. 64 KiB */

#define MAX_OBJS 256
#define MAX_BUFS 64
#define MAX_BATCH 16
#define XCHG_SIZE 512
#define MAX_CPUS 256

/* Owner words: 0 (objects) or key | OWNER_FREE (buffers) in the pool. */
#define STATE_MASK 0xffffULL
#define OWNER_FREE 0ULL
#define OWNER_EXCHANGE 0xffffULL

/*
 * The head of every buffer: the owner word holds the buffer's key (a hash
 * of its address) in its high 48 bits and the state in its low 16, so a
 * buffer never handed out before (whatever its memory held) is told from
 * one held by a thread. The holder's fill byte follows (up to PAT_LEN
 * bytes) and ends the capacity.
 */
struct bhdr {
	atomic_uint_fast64_t owner;
};

#define PAT_LEN 32

/* The tags of the ring's items. */
enum { ITEM_OBJ, ITEM_BUF };

struct run {
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	int cpus[MAX_CPUS];             /* CPUs the process may use */
	unsigned int ncpus;
	struct stress_team team;        /* the workers and the keeper */
	pthread_barrier_t end;          /* work and housekeeping are over */

	struct stress_counts counts;

	struct stress_ring xchg;

	struct stress_fail fail;
};

struct worker {
	struct run *run;
	unsigned int id;
	uint64_t seed;
	struct stress_obj *objs[MAX_OBJS];
	size_t nobjs;
	unsigned char *bufs[MAX_BUFS];
	size_t nbufs;
	unsigned long ops, next_move;
	unsigned long moves, migrations; /* affinity changes; CPU changes */
	int last_cpu;
	uint64_t gets, puts;
	uint64_t allocs[BUF_NCLASSES], frees[BUF_NCLASSES];
};

static uint64_t
key_of(const void *p)
{
	return ((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL) & ~STATE_MASK;
}

/* ---- objects ----------------------------------------------------------- */

/* Claim @o for @w: owner @from -> w->id + 1 and fill the payload. */
static bool
obj_claim(struct worker *w, struct stress_obj *o, uint64_t from)
{
	return stress_obj_claim(&w->run->fail, w->id, o, OBJ_PAYLOAD, from);
}

/* Check every 37th byte of the payload, owner w->id + 1 -> @to. */
static bool
obj_release(struct worker *w, struct stress_obj *o, uint64_t to)
{
	return stress_obj_release(&w->run->fail, w->id, o, OBJ_PAYLOAD, 37,
				  to);
}

static void
do_get(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	size_t n = 1 + rnd % MAX_BATCH, got, i;
	void **dst = (void **)&w->objs[w->nobjs];

	if (n > MAX_OBJS - w->nobjs)
		n = MAX_OBJS - w->nobjs;
	if (!n)
		return;
	got = stress_objpool_get_n(&r->fail, w->id, r->op, dst, n,
				   (rnd >> 32) & 1);
	w->gets += got;
	for (i = 0; i < got; i++)
		if (!obj_claim(w, dst[i], 0))
			break;
	w->nobjs += i;
}

static struct stress_obj *
take_obj(struct worker *w)
{
	size_t k = lfp_test_rand(&w->seed) % w->nobjs;
	struct stress_obj *o = w->objs[k];

	w->objs[k] = w->objs[--w->nobjs];
	return o;
}

static void
do_put(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	void *batch[MAX_BATCH];
	size_t n, i, done;

	if (!w->nobjs)
		return;
	n = 1 + rnd % (w->nobjs < MAX_BATCH ? w->nobjs : MAX_BATCH);
	for (i = 0; i < n; i++) {
		batch[i] = take_obj(w);
		if (!obj_release(w, batch[i], 0))
			return;
	}
	done = stress_objpool_put_n(&r->fail, w->id, r->op, batch, n,
				    (rnd >> 32) & 1);
	w->puts += done;
}

/* ---- buffers ----------------------------------------------------------- */

/* Claim buffer @b of capacity @cap for @w, from state @from. */
static bool
buf_claim(struct worker *w, unsigned char *b, size_t cap, uint64_t from)
{
	struct bhdr *h = (struct bhdr *)b;
	uint64_t key = key_of(b);
	uint_fast64_t seen = atomic_load(&h->owner);

	if ((seen & ~STATE_MASK) == key && (seen & STATE_MASK) != from) {
		w_fail(w->run, "worker %u: %zu-byte buffer %p in state %llu, "
		       "expected %llu: handed out twice", w->id, cap,
		       (void *)b, (unsigned long long)(seen & STATE_MASK),
		       (unsigned long long)from);
		return false;
	}
	if (from != OWNER_FREE && seen != (key | from)) {
		w_fail(w->run, "worker %u: buffer %p from the ring has owner "
		       "%#llx", w->id, (void *)b, (unsigned long long)seen);
		return false;
	}
	if (!atomic_compare_exchange_strong(&h->owner, &seen,
					    key | (w->id + 1))) {
		w_fail(w->run, "worker %u: %zu-byte buffer %p claimed by "
		       "another thread at once", w->id, cap, (void *)b);
		return false;
	}
	memset(b + sizeof(*h), stress_pattern(w->id),
	       cap - sizeof(*h) < PAT_LEN ? cap - sizeof(*h) : PAT_LEN);
	b[cap - 1] = stress_pattern(w->id);
	return true;
}

static bool
buf_release(struct worker *w, unsigned char *b, uint64_t to)
{
	struct bhdr *h = (struct bhdr *)b;
	uint_fast64_t expect = key_of(b) | (w->id + 1);
	size_t cap = lfp_bufpool_capacity(w->run->bp, b);
	unsigned char c = stress_pattern(w->id);

	if (cap < BUF_MIN || b[cap - 1] != c || b[sizeof(*h)] != c ||
	    b[cap < sizeof(*h) + PAT_LEN ? cap - 1
					 : sizeof(*h) + PAT_LEN - 1] != c) {
		w_fail(w->run, "worker %u: buffer %p (capacity %zu) "
		       "overwritten", w->id, (void *)b, cap);
		return false;
	}
	if (!atomic_compare_exchange_strong(&h->owner, &expect,
					    key_of(b) | to)) {
		w_fail(w->run, "worker %u: buffer %p taken from it (owner "
		       "%#llx)", w->id, (void *)b, (unsigned long long)expect);
		return false;
	}
	return true;
}

static void
do_alloc(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	/* mostly small, sometimes up to the largest class */
	size_t max = (rnd >> 40) % 8 ? 4096 : BUF_MAX;
	size_t n = 1 + rnd % max, cap;
	unsigned char *b;

	if (w->nbufs == MAX_BUFS)
		return;
	b = lfp_bufpool_alloc(r->bp, n);
	if (!b) {
		w_fail(r, "worker %u: alloc(%zu): errno %d", w->id, n, errno);
		return;
	}
	cap = lfp_bufpool_capacity(r->bp, b);
	if (cap < n ||
	    cap != (BUF_MIN << (stress_lg2(n) > 4 ? stress_lg2(n) - 4 : 0))) {
		w_fail(r, "worker %u: alloc(%zu) gave capacity %zu", w->id, n,
		       cap);
		return;
	}
	w->allocs[stress_lg2(cap) - 4]++;
	if (buf_claim(w, b, cap, OWNER_FREE))
		w->bufs[w->nbufs++] = b;
}

static void
free_buf(struct worker *w, unsigned char *b)
{
	struct run *r = w->run;
	size_t cap = lfp_bufpool_capacity(r->bp, b);
	int rc;

	if (!buf_release(w, b, OWNER_FREE))
		return;
	rc = lfp_bufpool_free(r->bp, b);
	if (rc)
		w_fail(r, "worker %u: free(%p): %d", w->id, (void *)b, rc);
	else
		w->frees[stress_lg2(cap) - 4]++;
}

static void
do_free(struct worker *w)
{
	size_t k;
	unsigned char *b;

	if (!w->nbufs)
		return;
	k = lfp_test_rand(&w->seed) % w->nbufs;
	b = w->bufs[k];
	w->bufs[k] = w->bufs[--w->nbufs];
	free_buf(w, b);
}

/* ---- the ring ---------------------------------------------------------- */

static void
do_give(struct worker *w)
{
	struct run *r = w->run;
	void *p;
	size_t k;

	stress_ring_lock(&r->xchg);
	if (!stress_ring_room(&r->xchg))
		goto out;
	if (lfp_test_rand(&w->seed) & 1) {
		if (!w->nobjs)
			goto out;
		p = take_obj(w);
		if (!obj_release(w, p, OWNER_EXCHANGE))
			goto out;
		stress_ring_push(&r->xchg, p, ITEM_OBJ);
	} else {
		if (!w->nbufs)
			goto out;
		k = lfp_test_rand(&w->seed) % w->nbufs;
		p = w->bufs[k];
		w->bufs[k] = w->bufs[--w->nbufs];
		if (!buf_release(w, p, OWNER_EXCHANGE))
			goto out;
		stress_ring_push(&r->xchg, p, ITEM_BUF);
	}
out:
	stress_ring_unlock(&r->xchg);
}

static void
do_take(struct worker *w)
{
	struct run *r = w->run;
	struct stress_item it;

	stress_ring_lock(&r->xchg);
	if (!r->xchg.count)
		goto out;
	it = stress_ring_peek(&r->xchg);
	if (it.tag == ITEM_BUF ? w->nbufs == MAX_BUFS : w->nobjs == MAX_OBJS)
		goto out;
	stress_ring_pop(&r->xchg);
	if (it.tag == ITEM_BUF) {
		if (buf_claim(w, it.p, lfp_bufpool_capacity(r->bp, it.p),
			      OWNER_EXCHANGE))
			w->bufs[w->nbufs++] = it.p;
	} else if (obj_claim(w, it.p, OWNER_EXCHANGE)) {
		w->objs[w->nobjs++] = it.p;
	}
out:
	stress_ring_unlock(&r->xchg);
}

/* ---- moving between CPUs ----------------------------------------------- */

/* Move to a random allowed CPU, or (one time in four) to all of them. */
static void
move(struct worker *w)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	cpu_set_t set;
	unsigned int i;
	int cpu;

	CPU_ZERO(&set);
	if (rnd % 4 == 0) {
		for (i = 0; i < r->ncpus; i++)
			CPU_SET(r->cpus[i], &set);
	} else {
		CPU_SET(r->cpus[(rnd >> 8) % r->ncpus], &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set))
		w_fail(r, "worker %u: sched_setaffinity: errno %d", w->id,
		       errno);
	w->moves++;
	w->next_move = w->ops + 100 + (rnd >> 20) % 400;
	cpu = sched_getcpu();
	if (cpu != w->last_cpu)
		w->migrations++;
	w->last_cpu = cpu;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	size_t i;

	w->last_cpu = sched_getcpu();
	stress_team_wait(&r->team);
	while (stress_team_working(&r->team, &r->fail, w->ops)) {
		if (w->ops >= w->next_move)
			move(w);
		switch (lfp_test_rand(&w->seed) % 16) {
		case 0: case 1: case 2: case 3:
			do_get(w);
			break;
		case 4: case 5: case 6: case 7:
			do_put(w);
			break;
		case 8: case 9: case 10:
			do_alloc(w);
			break;
		case 11: case 12:
			do_free(w);
			break;
		case 13:
			do_give(w);
			break;
		default:
			do_take(w);
			break;
		}
		w->ops++;
	}
	/* after the last trim, everything back, objects half in bulk */
	pthread_barrier_wait(&r->end);
	for (i = 0; i < w->nobjs; i++)
		if (!obj_release(w, w->objs[i], 0))
			return NULL;
	i = lfp_objpool_put_bulk(r->op, (void **)w->objs, w->nobjs / 2);
	if (i != w->nobjs / 2)
		w_fail(r, "worker %u: final put_bulk: %zu", w->id, i);
	w->puts += i;
	for (i = w->nobjs / 2; i < w->nobjs; i++) {
		if (lfp_objpool_put(r->op, w->objs[i]))
			w_fail(r, "worker %u: final put failed", w->id);
		else
			w->puts++;
	}
	w->nobjs = 0;
	while (w->nbufs)
		free_buf(w, w->bufs[--w->nbufs]);
	return NULL;
}

/*
 * Housekeeping while the workers run: flushes and trims of both pools,
 * every combination of flags, from a thread that moves between CPUs too.
 */
static void *
keeper_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct timespec pause = { 0, 500 * 1000 };
	unsigned int flags;
	int rc;

	stress_team_wait(&r->team);
	do {
		move(w);
		flags = (unsigned int)(lfp_test_rand(&w->seed) % 5);
		if (flags == 4)
			rc = lfp_objpool_flush(r->op) |
			     lfp_bufpool_flush(r->bp);
		else
			rc = lfp_objpool_trim(r->op, flags) |
			     lfp_bufpool_trim(r->bp, flags);
		if (rc)
			w_fail(r, "keeper: flush or trim (%u) failed: %d",
			       flags, rc);
		w->ops++;
		nanosleep(&pause, NULL);
	} while (!stress_past(&r->team.deadline) && !stress_failed(&r->fail));
	pthread_barrier_wait(&r->end);
	return NULL;
}

/* ---- the run ----------------------------------------------------------- */

/* The mode a pool asked for in @mode must run in, or -1: either. */
static int
expected_mode(int mode)
{
	const char *expect = getenv("LFP_TEST_EXPECT_MODE");
	const char *env = getenv("LFP_CACHE_MODE");

	if (mode == LFP_CACHE_PER_THREAD)
		return LFP_CACHE_PER_THREAD;
	if (expect && !strcmp(expect, "perthread"))
		return LFP_CACHE_PER_THREAD;
	if (expect && !strcmp(expect, "percpu"))
		return LFP_CACHE_PER_CPU;
	if (mode == LFP_CACHE_AUTO && env && !strcmp(env, "perthread"))
		return LFP_CACHE_PER_THREAD;
	return -1;
}

/* Every object is in the pool exactly once, and reachable from here. */
static void
conserve_objects(struct run *r, uint64_t gets, uint64_t puts)
{
	struct lfp_objpool_stats st = stress_objpool_conserve(r->op, OBJ_SIZE);

	ck_assert_uint_eq(st.gets, gets);
	ck_assert_uint_eq(st.puts, puts);
	ck_assert_uint_eq(st.objects, stress_count_of(&r->counts.ctors) -
			  stress_count_of(&r->counts.dtors));
	ck_assert_uint_eq(stress_count_of(&r->counts.bad_dtors), 0);
}

/* Every buffer of every class is in the pool exactly once (on a NUMA
 * machine, taken node by node: stress_bufpool_take()). */
static void
conserve_buffers(struct run *r, const uint64_t *allocs, const uint64_t *frees)
{
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, st2;
	unsigned char **all;
	uint64_t owner, nbuf, i;
	unsigned int ci;
	size_t cap, got, carved;
	uint64_t made;

	ck_assert_int_eq(lfp_bufpool_flush(r->bp), 0);
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st), 0);
	ck_assert_uint_eq(st.nclasses, BUF_NCLASSES);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	for (ci = 0; ci < BUF_NCLASSES; ci++) {
		c = &st.cls[ci];
		cap = BUF_MIN << ci;
		ck_assert_uint_eq(c->size, cap);
		ck_assert_msg(c->allocs == allocs[ci] && c->frees == frees[ci],
			      "%zu-byte class: %llu allocs, %llu frees; the "
			      "threads made %llu and %llu", cap,
			      (unsigned long long)c->allocs,
			      (unsigned long long)c->frees,
			      (unsigned long long)allocs[ci],
			      (unsigned long long)frees[ci]);
		ck_assert_uint_eq(c->in_use, 0);
		ck_assert_uint_eq(c->cached, c->buffers);
		ck_assert_uint_eq(c->depot_cached, c->cached);
		nbuf = c->buffers;
		if (!nbuf)
			continue;       /* never used, or trimmed away */
		all = calloc(nbuf + STRESS_MAX_NODES, sizeof(*all));
		ck_assert_ptr_nonnull(all);
		errno = 0;
		got = stress_bufpool_take(r->bp, cap, (void **)all, nbuf,
					  &carved, &made);
		ck_assert_msg(got == nbuf + carved, "%zu-byte class: "
			      "allocated %zu of %llu (and %zu carved): "
			      "errno %d", cap, got, (unsigned long long)nbuf,
			      carved, errno);
		for (i = 0; i < got; i++) {
			owner = atomic_load(&((struct bhdr *)all[i])->owner);
			if ((owner & ~STATE_MASK) == key_of(all[i]))
				ck_assert_msg((owner & STATE_MASK) ==
					      OWNER_FREE, "buffer %p handed "
					      "out while marked held (%llu)",
					      (void *)all[i],
					      (unsigned long long)
					      (owner & STATE_MASK));
		}
		ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st2), 0);
		ck_assert_msg(st2.cls[ci].buffers == nbuf + made, "%zu-byte "
			      "class: allocating its %llu buffers carved new "
			      "ones (%llu)", cap, (unsigned long long)nbuf,
			      (unsigned long long)st2.cls[ci].buffers);
		qsort(all, got, sizeof(*all), lfp_test_cmp_ptr);
		for (i = 0; i + 1 < got; i++)
			ck_assert_msg(all[i] + cap <= all[i + 1], "%zu-byte "
				      "buffers %p and %p overlap or repeat",
				      cap, (void *)all[i], (void *)all[i + 1]);
		for (i = 0; i < got; i++)
			ck_assert_int_eq(lfp_bufpool_free(r->bp, all[i]), 0);
		free(all);
	}
}

static void
stress(int mode, const char *name)
{
	unsigned int nthreads = stress_nthreads(8);
	unsigned int scale = lfp_test_scale();
	uint64_t allocs[BUF_NCLASSES] = { 0 }, frees[BUF_NCLASSES] = { 0 };
	uint64_t gets = 0, puts = 0;
	unsigned long ops = 0, moves = 0, migrations = 0;
	struct lfp_objpool_attr oattr;
	struct lfp_bufpool_attr battr;
	struct lfp_objpool_stats ost;
	struct worker *workers, keeper, mainw;
	cpu_set_t allowed;
	unsigned int k, ci;
	struct stress_item it;
	struct run *r;
	int want, got, cpu;

	STRESS_RUN_ALLOC(r, workers, nthreads, XCHG_SIZE);
	stress_counts_init(&r->counts);
	r->ncpus = lfp_test_allowed_cpus(r->cpus, MAX_CPUS);
	if (r->ncpus > MAX_CPUS)
		r->ncpus = MAX_CPUS;
	ck_assert_int_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);

	ck_assert_int_eq(lfp_objpool_attr_init(&oattr), 0);
	oattr.size = OBJ_SIZE;
	oattr.mag_rounds = 16;
	oattr.ctor = stress_obj_ctor;
	oattr.dtor = stress_obj_dtor;
	oattr.arg = &r->counts;
	oattr.name = name;
	oattr.cache_mode = mode;
	r->op = lfp_objpool_create(&oattr);
	ck_assert_msg(r->op != NULL, "objpool create: errno %d", errno);
	ck_assert_int_eq(lfp_bufpool_attr_init(&battr), 0);
	battr.min_size = BUF_MIN;
	battr.max_size = BUF_MAX;
	battr.name = name;
	battr.cache_mode = mode;
	r->bp = lfp_bufpool_create(&battr);
	ck_assert_msg(r->bp != NULL, "bufpool create: errno %d", errno);

	got = lfp_objpool_cache_mode(r->op);
	ck_assert(got == LFP_CACHE_PER_CPU || got == LFP_CACHE_PER_THREAD);
	ck_assert_int_eq(lfp_bufpool_cache_mode(r->bp), got);
	want = expected_mode(mode);
	ck_assert_msg(want < 0 || got == want, "pools asked for mode %d run "
		      "in mode %d, not %d", mode, got, want);

	stress_team_init(&r->team, nthreads + 1);
	ck_assert_int_eq(pthread_barrier_init(&r->end, NULL, nthreads + 1),
			 0);
	for (k = 0; k < nthreads; k++) {
		workers[k].run = r;
		workers[k].id = k;
		workers[k].seed = stress_seed(k, (uint64_t)mode);
		workers[k].next_move = k * 37 % 300;
		stress_team_spawn(&r->team, worker_main, &workers[k]);
	}
	memset(&keeper, 0, sizeof(keeper));
	keeper.run = r;
	keeper.id = nthreads + 1;
	keeper.seed = 0x2545f4914f6cdd1dULL;
	stress_team_spawn(&r->team, keeper_main, &keeper);
	stress_team_go(&r->team, scale);
	stress_team_join(&r->team);
	for (k = 0; k < nthreads; k++) {
		ops += workers[k].ops;
		moves += workers[k].moves;
		migrations += workers[k].migrations;
		gets += workers[k].gets;
		puts += workers[k].puts;
		for (ci = 0; ci < BUF_NCLASSES; ci++) {
			allocs[ci] += workers[k].allocs[ci];
			frees[ci] += workers[k].frees[ci];
		}
	}
	stress_team_check(&r->fail, nthreads, ops);
	ck_assert_uint_gt(gets, 0);
	ck_assert_uint_gt(keeper.ops, 0);
	ck_assert_int_eq(lfp_objpool_stats(r->op, &ost), 0);
	printf("# stress pcpu %s: %s caches, %u threads on %u CPUs, %lu "
	       "operations, %lu moves, %lu migrations, %lu flushes and "
	       "trims, %llu direct\n", name,
	       got == LFP_CACHE_PER_CPU ? "per-CPU" : "per-thread", nthreads,
	       r->ncpus, ops, moves, migrations, keeper.ops,
	       (unsigned long long)ost.direct);
	fflush(stdout);
	if (r->ncpus > 1)
		ck_assert_msg(migrations > 0, "%lu moves, no thread ever "
			      "changed CPU", moves);

	/* What is left in the ring goes back from this thread. */
	memset(&mainw, 0, sizeof(mainw));
	mainw.run = r;
	mainw.id = nthreads;
	while (r->xchg.count) {
		it = stress_ring_pop(&r->xchg);
		if (it.tag == ITEM_BUF) {
			ck_assert(buf_claim(&mainw, it.p,
					    lfp_bufpool_capacity(r->bp, it.p),
					    OWNER_EXCHANGE));
			free_buf(&mainw, it.p);
		} else {
			ck_assert(obj_claim(&mainw, it.p, OWNER_EXCHANGE));
			ck_assert(obj_release(&mainw, it.p, 0));
			ck_assert_int_eq(lfp_objpool_put(r->op, it.p), 0);
			puts++;
		}
		ck_assert_msg(!stress_failed(&r->fail), "%s", r->fail.msg);
	}
	for (ci = 0; ci < BUF_NCLASSES; ci++)
		frees[ci] += mainw.frees[ci];

	/* Conservation, from one CPU. */
	cpu = sched_getcpu();
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_eq(lfp_test_pin(cpu), 0);
	conserve_objects(r, gets, puts);
	conserve_buffers(r, allocs, frees);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(allowed), &allowed), 0);

	ck_assert_int_eq(lfp_objpool_destroy(r->op), 0);
	stress_counts_check_destroyed(&r->counts);
	ck_assert_int_eq(lfp_bufpool_destroy(r->bp), 0);
	pthread_barrier_destroy(&r->end);
	STRESS_RUN_FREE(r, workers);
}

/* The runs: the cache mode both pools ask for, their name. */
static const struct {
	int mode;
	const char *name;
} runs[] = {
	{ LFP_CACHE_AUTO, "pcpu-auto" },
	{ LFP_CACHE_PER_CPU, "pcpu-percpu" },
	{ LFP_CACHE_PER_THREAD, "pcpu-perthread" },
};

START_TEST(stress_run)
{
	stress(runs[_i].mode, runs[_i].name);
}
END_TEST

STRESS_MAIN("stress_pcpu")
