/* SPDX-License-Identifier: MIT */
/*
 * stress_bufpool.c - many more threads than CPUs allocate buffers of
 * random sizes across every class of one buffer pool, hold some, free
 * some, and hand some to each other through a ring to be freed there, for
 * a while. Every buffer carries a header the test writes at its start: an
 * atomic owner word the test claims with a CAS when it receives the
 * buffer (so two threads holding one buffer at once fail the test), the
 * size asked, and a fill byte also written over the first and last bytes
 * of the capacity; both are checked, with the capacity, before every
 * free. Refused calls (an interior pointer, too big a size) are mixed in.
 * Now and then a worker hands its caches back (lfp_thread_flush()) or
 * every cache of the pool (lfp_bufpool_flush()). At the end a
 * conservation check proves that every buffer ever carved sits in a cache
 * or a depot exactly once: per class, nothing in use, allocs == frees ==
 * what the threads counted, and, after lfp_bufpool_flush() (per-CPU
 * caches outlive the threads), the main thread, kept on one CPU, allocates
 * stats.cls[i].buffers buffers of each class i without the class carving
 * any new one, all distinct. The pool runs in the cache mode the
 * environment chooses (LFP_CACHE_MODE). Variants: classes of 16 B to
 * 256 KiB (the defaults) and of 16 B to 1 MiB. Work scales with
 * LFP_STRESS_SCALE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
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
#include "test-api.h"

/* The first failure of the run. */
#define w_fail(r, ...) stress_failf(&(r)->fail, __VA_ARGS__)

#define MAX_BATCH 8
#define MAX_HELD 48
#define XCHG_SIZE 512
/* bytes of fill pattern checked after the header and at the end */
#define PAT_LEN 32

/*
 * The owner word: the buffer's key (a hash of its address) in the high
 * 48 bits, its state in the low 16: 0 back in the pool, worker id + 1
 * while held, OWNER_EXCHANGE while in the ring. A buffer never handed out
 * before holds whatever the memory held, which is not its key but for a
 * 2^-48 chance; so a claim reads the word, refuses a held state under the
 * buffer's own key, and CASes from what it read to its own state: of two
 * threads handed one buffer, one CAS fails or one sees the other's state.
 */
#define STATE_MASK 0xffffULL
#define OWNER_FREE 0ULL
#define OWNER_EXCHANGE 0xffffULL

struct bhdr {
	atomic_uint_fast64_t owner;
	uint32_t n;    /* bytes asked for */
	uint8_t lg;    /* lg of the capacity */
	uint8_t fill;  /* the holder's fill byte */
	uint16_t seal; /* check of n, lg and fill */
};

_Static_assert(sizeof(struct bhdr) == LFP_BUFPOOL_MIN_SIZE,
	       "the header fills the smallest class");

/* The whole run: pool, exchange, first failure. */
struct run {
	struct lfp_bufpool *bp;
	size_t min, max, page;
	unsigned int nclasses;
	struct stress_team team;

	struct stress_ring xchg;

	struct stress_fail fail;
};

struct worker {
	struct run *run;
	unsigned int id;
	uint64_t seed;
	void *held[MAX_HELD];
	size_t nheld;
	unsigned long ops;
	/* successful calls, per class index (lg capacity - lg min) */
	uint64_t allocs[LFP_BUFPOOL_CLASSES_MAX];
	uint64_t frees[LFP_BUFPOOL_CLASSES_MAX];
};

static uint64_t
key_of(const void *buf)
{
	uint64_t k = (uint64_t)(uintptr_t)buf * 0x9e3779b97f4a7c15ULL;

	return (k ^ (k >> 29) ^ 0x6c66706f6f6c4246ULL) & ~STATE_MASK;
}

static uint16_t
seal_of(const struct bhdr *h)
{
	uint32_t x = h->n * 2654435761u ^ (uint32_t)h->lg << 8 ^ h->fill;

	return (uint16_t)(x ^ x >> 16 ^ 0x5a5a);
}

/* The byte ranges of the fill pattern: after the header, and the last
 * PAT_LEN bytes of the capacity (they may overlap or be empty). */
static void
fill_ranges(size_t cap, size_t *a_end, size_t *b_start)
{
	size_t hdr = sizeof(struct bhdr);

	*a_end = cap < hdr + PAT_LEN ? cap : hdr + PAT_LEN;
	*b_start = cap > PAT_LEN && cap - PAT_LEN > hdr ? cap - PAT_LEN : hdr;
}

/* Write the header and the pattern of a buffer of capacity @cap. */
static void
stamp(struct worker *w, unsigned char *buf, size_t n, size_t cap)
{
	struct bhdr *h = (struct bhdr *)buf;
	size_t a_end, b_start;

	h->n = (uint32_t)n;
	h->lg = (uint8_t)stress_lg2(cap);
	h->fill = (unsigned char)((w->id * 37 + w->ops * 11) | 1);
	h->seal = seal_of(h);
	fill_ranges(cap, &a_end, &b_start);
	memset(buf + sizeof(*h), h->fill, a_end - sizeof(*h));
	memset(buf + b_start, h->fill, cap - b_start);
}

/*
 * Check a buffer the caller holds: owner word @state under its key, the
 * header intact, the capacity the pool reports that of the size asked,
 * and the pattern in place.
 */
static bool
verify(struct worker *w, unsigned char *buf, uint64_t state)
{
	struct run *r = w->run;
	struct bhdr *h = (struct bhdr *)buf;
	uint64_t owner = atomic_load(&h->owner);
	size_t cap, want, a_end, b_start, i;

	if (owner != (key_of(buf) | state)) {
		w_fail(r, "worker %u: buffer %p has owner %#llx, expected "
		       "state %llu", w->id, (void *)buf,
		       (unsigned long long)owner, (unsigned long long)state);
		return false;
	}
	if (h->seal != seal_of(h)) {
		w_fail(r, "worker %u: header of buffer %p overwritten",
		       w->id, (void *)buf);
		return false;
	}
	want = r->min;
	while (want < h->n)
		want <<= 1;
	cap = lfp_bufpool_capacity(r->bp, buf);
	if (cap != want || h->lg != stress_lg2(want)) {
		w_fail(r, "worker %u: buffer %p asked with %u bytes: "
		       "capacity %zu, expected %zu (errno %d)", w->id,
		       (void *)buf, h->n, cap, want, errno);
		return false;
	}
	fill_ranges(cap, &a_end, &b_start);
	for (i = sizeof(*h); i < a_end; i++)
		if (buf[i] != h->fill)
			goto bad;
	for (i = b_start; i < cap; i++)
		if (buf[i] != h->fill)
			goto bad;
	return true;
bad:
	w_fail(r, "worker %u: byte %zu of %zu-byte buffer %p is %#x, not "
	       "%#x", w->id, i, cap, (void *)buf, buf[i], h->fill);
	return false;
}

/* Take ownership of @buf, just allocated with @n bytes. */
static bool
claim_new(struct worker *w, unsigned char *buf, size_t n)
{
	struct run *r = w->run;
	struct bhdr *h = (struct bhdr *)buf;
	uint_fast64_t cur = atomic_load(&h->owner);
	uint64_t key = key_of(buf);
	size_t cap = lfp_bufpool_capacity(r->bp, buf);
	size_t want = r->min, align;

	while (want < n)
		want <<= 1;
	align = want < r->page ? want : r->page;
	if (cap != want || (uintptr_t)buf % align) {
		w_fail(r, "worker %u: alloc(%zu) = %p: capacity %zu, expected "
		       "%zu, aligned to %zu", w->id, n, (void *)buf, cap, want,
		       align);
		return false;
	}
	if ((cur & ~STATE_MASK) == key) {
		/* it has been through the test before */
		if ((cur & STATE_MASK) != OWNER_FREE) {
			w_fail(r, "worker %u: alloc handed out %p, held by "
			       "state %llu: handed out twice", w->id,
			       (void *)buf,
			       (unsigned long long)(cur & STATE_MASK));
			return false;
		}
		if (h->lg != stress_lg2(cap)) {
			w_fail(r, "worker %u: %p of capacity %zu was a buffer "
			       "of %u bytes before", w->id, (void *)buf, cap,
			       1u << h->lg);
			return false;
		}
	}
	if (!atomic_compare_exchange_strong(&h->owner, &cur,
					    key | (w->id + 1))) {
		w_fail(r, "worker %u: %p claimed by someone else meanwhile "
		       "(owner %#llx): handed out twice", w->id, (void *)buf,
		       (unsigned long long)cur);
		return false;
	}
	stamp(w, buf, n, cap);
	return true;
}

/* Hand a held buffer on: owner own state -> @to (0 or the exchange). */
static bool
release(struct worker *w, unsigned char *buf, uint64_t to)
{
	struct bhdr *h = (struct bhdr *)buf;
	uint64_t key = key_of(buf);
	uint_fast64_t expect = key | (w->id + 1);

	if (!verify(w, buf, w->id + 1))
		return false;
	if (!atomic_compare_exchange_strong(&h->owner, &expect, key | to)) {
		w_fail(w->run, "worker %u: buffer %p taken from it (owner "
		       "%#llx)", w->id, (void *)buf,
		       (unsigned long long)expect);
		return false;
	}
	return true;
}

/* Check and free a held buffer. */
static void
free_held(struct worker *w, unsigned char *buf)
{
	struct run *r = w->run;
	unsigned int ci;
	int rc;

	if (!release(w, buf, OWNER_FREE))
		return;
	/* verified: the class index is in range */
	ci = ((struct bhdr *)buf)->lg - stress_lg2(r->min);
	rc = lfp_bufpool_free(r->bp, buf);
	if (rc)
		w_fail(r, "worker %u: free(%p) = %d", w->id, (void *)buf, rc);
	else
		w->frees[ci]++;
}

/* A size in a random class: n in [2^(k-1) + 1, 2^k], or [0, min] for the
 * smallest class, so that every class is hit. */
static size_t
random_size(struct worker *w, unsigned int *ci)
{
	struct run *r = w->run;
	uint64_t rnd = lfp_test_rand(&w->seed);
	size_t cap;

	*ci = (unsigned int)(rnd % r->nclasses);
	cap = r->min << *ci;
	rnd >>= 8;
	if (*ci == 0)
		return rnd % (cap + 1);
	return cap / 2 + 1 + rnd % (cap / 2);
}

static void
do_alloc(struct worker *w)
{
	struct run *r = w->run;
	size_t n = 1 + lfp_test_rand(&w->seed) % MAX_BATCH, size, i;
	unsigned char *buf;
	unsigned int ci;

	if (n > MAX_HELD - w->nheld)
		n = MAX_HELD - w->nheld;
	for (i = 0; i < n; i++) {
		size = random_size(w, &ci);
		errno = 0;
		buf = lfp_bufpool_alloc(r->bp, size);
		if (!buf) {
			w_fail(r, "worker %u: alloc(%zu): errno %d", w->id,
			       size, errno);
			return;
		}
		w->allocs[ci]++;
		if (!claim_new(w, buf, size))
			return;
		w->held[w->nheld++] = buf;
	}
}

/* Remove a random held buffer. */
static unsigned char *
take_random(struct worker *w)
{
	size_t k = lfp_test_rand(&w->seed) % w->nheld;
	void *buf = w->held[k];

	w->held[k] = w->held[--w->nheld];
	return buf;
}

static void
do_free(struct worker *w)
{
	size_t n = 1 + lfp_test_rand(&w->seed) % MAX_BATCH, i;

	for (i = 0; i < n && w->nheld; i++)
		free_held(w, take_random(w));
}

/* Hand some held buffers to the exchange ring. */
static void
do_give(struct worker *w)
{
	struct run *r = w->run;
	size_t n = 1 + lfp_test_rand(&w->seed) % MAX_BATCH, i;
	unsigned char *buf;

	stress_ring_lock(&r->xchg);
	for (i = 0; i < n && w->nheld && stress_ring_room(&r->xchg); i++) {
		buf = take_random(w);
		if (!release(w, buf, OWNER_EXCHANGE))
			break;
		stress_ring_push(&r->xchg, buf, 0);
	}
	stress_ring_unlock(&r->xchg);
}

/* Take buffers from the ring: check the giver's pattern, then free most
 * of them here and keep the others. */
static void
do_take(struct worker *w)
{
	struct run *r = w->run;
	size_t n = 1 + lfp_test_rand(&w->seed) % MAX_BATCH, i, got = 0;
	unsigned char *bufs[MAX_BATCH], *buf;
	struct bhdr *h;
	uint_fast64_t expect;

	stress_ring_lock(&r->xchg);
	for (i = 0; i < n && r->xchg.count; i++) {
		buf = stress_ring_pop(&r->xchg).p;
		h = (struct bhdr *)buf;
		expect = key_of(buf) | OWNER_EXCHANGE;
		if (!atomic_compare_exchange_strong(&h->owner, &expect,
						    key_of(buf) |
						    (w->id + 1))) {
			w_fail(r, "worker %u: buffer %p in the ring has owner "
			       "%#llx", w->id, (void *)buf,
			       (unsigned long long)expect);
			break;
		}
		bufs[got++] = buf;
	}
	stress_ring_unlock(&r->xchg);
	for (i = 0; i < got; i++) {
		if (!verify(w, bufs[i], w->id + 1))
			return;
		h = (struct bhdr *)bufs[i];
		if ((lfp_test_rand(&w->seed) & 3) || w->nheld == MAX_HELD) {
			free_held(w, bufs[i]);
		} else {
			/* keep it, under this worker's own pattern */
			stamp(w, bufs[i], h->n, (size_t)1 << h->lg);
			w->held[w->nheld++] = bufs[i];
		}
	}
}

/* Calls that must be refused, on a held buffer, while others work. */
static void
do_refused(struct worker *w)
{
	struct run *r = w->run;
	unsigned char *buf;
	void *p;
	size_t cap;
	int rc;

	if (w->nheld) {
		buf = w->held[lfp_test_rand(&w->seed) % w->nheld];
		rc = lfp_bufpool_free(r->bp, buf + 8);
		if (rc != -EINVAL)
			w_fail(r, "worker %u: free(%p + 8) = %d, not -EINVAL",
			       w->id, (void *)buf, rc);
		errno = 0;
		cap = lfp_bufpool_capacity(r->bp, buf + 1);
		if (cap != 0 || errno != EINVAL)
			w_fail(r, "worker %u: capacity(%p + 1) = %zu, errno "
			       "%d", w->id, (void *)buf, cap, errno);
		if (!verify(w, buf, w->id + 1))
			return;
	}
	errno = 0;
	p = lfp_bufpool_alloc(r->bp, r->max + 1);
	if (p || errno != E2BIG)
		w_fail(r, "worker %u: alloc(max + 1) = %p, errno %d", w->id,
		       p, errno);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	stress_team_wait(&r->team);
	while (stress_team_working(&r->team, &r->fail, w->ops)) {
		switch (lfp_test_rand(&w->seed) % 16) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			do_alloc(w);
			break;
		case 6: case 7: case 8: case 9:
			do_free(w);
			break;
		case 10: case 11:
			do_give(w);
			break;
		case 12: case 13: case 14:
			do_take(w);
			break;
		default:
			do_refused(w);
			break;
		}
		w->ops++;
		/* now and then, hand caches back in the middle of work */
		if ((w->ops & 4095) == 4095)
			lfp_thread_flush();
		else if ((w->ops & 8191) == 2047 && lfp_bufpool_flush(r->bp))
			w_fail(r, "worker %u: lfp_bufpool_flush failed", w->id);
	}
	/* free everything still held */
	while (w->nheld && !stress_failed(&r->fail))
		free_held(w, w->held[--w->nheld]);
	return NULL;
}

/*
 * Conservation of class @ci: every buffer the class carved can be had
 * again, by this thread alone, without carving any new one (on a NUMA
 * machine node by node, and one per node whose depot ran dry:
 * stress_bufpool_take()); they are all distinct, none is still marked as
 * held, and they all go back.
 */
static void
conserve_class(struct run *r, unsigned int ci)
{
	const size_t cap = r->min << ci;
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, st2;
	uint64_t nbuf, owner;
	unsigned char **all;
	size_t i, got, carved;
	uint64_t made;
	int rc;

	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st), 0);
	c = find_class(&st, cap);
	nbuf = c->buffers;
	ck_assert_uint_gt(nbuf, 0);
	ck_assert_uint_eq(c->in_use, 0);
	ck_assert_uint_eq(c->cached, nbuf);
	all = calloc(nbuf + STRESS_MAX_NODES, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	errno = 0;
	got = stress_bufpool_take(r->bp, cap, (void **)all, nbuf, &carved,
				  &made);
	ck_assert_msg(got == nbuf + carved, "%zu-byte class: allocated %zu of "
		      "%llu (and %zu carved): errno %d", cap, got,
		      (unsigned long long)nbuf, carved, errno);
	for (i = 0; i < got; i++) {
		ck_assert_uint_eq(lfp_bufpool_capacity(r->bp, all[i]), cap);
		/* none still marked as held by a worker or the ring */
		owner = atomic_load(&((struct bhdr *)all[i])->owner);
		if ((owner & ~STATE_MASK) == key_of(all[i]))
			ck_assert_msg((owner & STATE_MASK) == OWNER_FREE,
				      "%zu-byte buffer %p handed out while "
				      "marked held by %llu", cap,
				      (void *)all[i],
				      (unsigned long long)(owner & STATE_MASK));
	}
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st2), 0);
	c = find_class(&st2, cap);
	ck_assert_msg(c->buffers == nbuf + made, "%zu-byte class: "
		      "allocating its %llu cached buffers carved new ones "
		      "(%llu buffers)", cap, (unsigned long long)nbuf,
		      (unsigned long long)c->buffers);
	ck_assert_uint_eq(c->in_use, got);
	ck_assert_uint_eq(c->cached, c->buffers - got);
	qsort(all, got, sizeof(*all), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < got; i++)
		ck_assert_msg(all[i] + cap <= all[i + 1], "%zu-byte buffers "
			      "%p and %p overlap or repeat", cap,
			      (void *)all[i], (void *)all[i + 1]);
	for (i = 0; i < got; i++) {
		rc = lfp_bufpool_free(r->bp, all[i]);
		ck_assert_msg(rc == 0, "free(%p) = %d", (void *)all[i], rc);
	}
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st2), 0);
	c = find_class(&st2, cap);
	ck_assert_uint_eq(c->in_use, 0);
	ck_assert_uint_eq(c->buffers, nbuf + made);
	free(all);
}

static void
stress(size_t min, size_t max, const char *name)
{
	unsigned int nthreads = stress_nthreads(4);
	unsigned int scale = lfp_test_scale();
	uint64_t allocs[LFP_BUFPOOL_CLASSES_MAX] = { 0 };
	uint64_t frees[LFP_BUFPOOL_CLASSES_MAX] = { 0 };
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool_stats st;
	struct worker *workers, mainw;
	unsigned long ops = 0;
	unsigned char *buf;
	unsigned int k, ci;
	cpu_set_t allowed;
	struct run *r;
	int cpu;

	STRESS_RUN_ALLOC(r, workers, nthreads, XCHG_SIZE);
	r->min = min;
	r->max = max;
	r->nclasses = stress_lg2(max) - stress_lg2(min) + 1;
	r->page = sysconf(_SC_PAGESIZE) > 0 ? (size_t)sysconf(_SC_PAGESIZE)
					    : 4096;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.min_size = min;
	attr.max_size = max;
	attr.name = name;
	r->bp = lfp_bufpool_create(&attr);
	ck_assert_msg(r->bp != NULL, "create: errno %d", errno);

	STRESS_TEAM_RUN(r, workers, nthreads, worker_main, max, 2 * scale,
			ops);
	/* A TAP diagnostic: how much this run did (regtest figures). */
	printf("# stress bufpool: %u threads, %lu operations\n", nthreads, ops);
	fflush(stdout);

	/* What is left in the ring is freed by this thread. */
	memset(&mainw, 0, sizeof(mainw));
	mainw.run = r;
	mainw.id = nthreads;
	while (r->xchg.count) {
		buf = stress_ring_pop(&r->xchg).p;
		ck_assert_msg(verify(&mainw, buf, OWNER_EXCHANGE), "%s",
			      r->fail.msg);
		atomic_store(&((struct bhdr *)buf)->owner,
			     key_of(buf) | (mainw.id + 1));
		free_held(&mainw, buf);
		ck_assert_msg(!stress_failed(&r->fail), "%s", r->fail.msg);
	}

	/* Every class: nothing in use, and the counts the threads kept. */
	for (k = 0; k < nthreads; k++)
		for (ci = 0; ci < r->nclasses; ci++) {
			allocs[ci] += workers[k].allocs[ci];
			frees[ci] += workers[k].frees[ci];
		}
	for (ci = 0; ci < r->nclasses; ci++)
		frees[ci] += mainw.frees[ci];
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st), 0);
	ck_assert_uint_eq(st.nclasses, r->nclasses);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_uint_eq(st.allocs, st.frees);
	for (ci = 0; ci < r->nclasses; ci++) {
		c = find_class(&st, min << ci);
		ck_assert_msg(c->in_use == 0, "%zu-byte class: %llu in use",
			      c->size, (unsigned long long)c->in_use);
		ck_assert_uint_eq(c->allocs, c->frees);
		ck_assert_msg(c->allocs == allocs[ci], "%zu-byte class: %llu "
			      "allocs counted, the threads made %llu", c->size,
			      (unsigned long long)c->allocs,
			      (unsigned long long)allocs[ci]);
		ck_assert_uint_eq(c->frees, frees[ci]);
		ck_assert_msg(c->allocs > 0, "%zu-byte class never hit",
			      c->size);
		ck_assert_uint_eq(c->buffers, c->cached);
		ck_assert_uint_le(c->depot_cached, c->cached);
	}

	/*
	 * Conservation, class by class. The flush brings what sits in every
	 * CPU's cache to the depots; this thread then stays on one CPU, so
	 * that what its allocations load into a CPU's cache stays in reach.
	 */
	ck_assert_int_eq(lfp_bufpool_flush(r->bp), 0);
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st), 0);
	for (ci = 0; ci < r->nclasses; ci++)
		ck_assert_msg(st.cls[ci].depot_cached == st.cls[ci].cached,
			      "%zu-byte class: %llu cached, %llu in the depot "
			      "after a flush", st.cls[ci].size,
			      (unsigned long long)st.cls[ci].cached,
			      (unsigned long long)st.cls[ci].depot_cached);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	cpu = sched_getcpu();
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_eq(lfp_test_pin(cpu), 0);
	for (ci = 0; ci < r->nclasses; ci++)
		conserve_class(r, ci);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
	ck_assert_int_eq(lfp_bufpool_stats(r->bp, &st), 0);
	ck_assert_uint_eq(st.bytes_in_use, 0);
	ck_assert_uint_eq(st.allocs, st.frees);

	ck_assert_int_eq(lfp_bufpool_destroy(r->bp), 0);
	STRESS_RUN_FREE(r, workers);
}

/* The runs: the classes (smallest and largest size), pool name. */
static const struct {
	size_t min, max;
	const char *name;
} runs[] = {
	{ LFP_BUFPOOL_MIN_SIZE, (size_t)256 << 10, "stress-256k" },
	{ LFP_BUFPOOL_MIN_SIZE, (size_t)1 << 20, "stress-1m" },
};

START_TEST(stress_run)
{
	stress(runs[_i].min, runs[_i].max, runs[_i].name);
}
END_TEST

STRESS_MAIN("stress_bufpool")
