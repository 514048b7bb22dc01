/* SPDX-License-Identifier: MIT */
/*
 * pcpu.c - the per-CPU cache layer (pcpu.h): whether the process can run
 * it, the choice of cache mode, and the engine's per-CPU slow paths: the
 * CPU's lock around refill and drain, the lock-free single-object path
 * through the depot when the lock is held, draining every CPU, counting
 * what the hit paths did, destroy and fork.
 */
#include "zone.h"
#include "chunkmap.h"
#include "debug.h"
#include "topo.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if LFP_HAVE_PCPU
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

static pthread_once_t avail_once = PTHREAD_ONCE_INIT;
static bool avail;
static uint32_t ncpus;
/*
 * Set when membarrier failed (or its registration did, in a fork child):
 * no sequence on another CPU can then be stopped, so per-CPU mode is
 * over for new pools, and existing ones no longer drain other CPUs.
 */
static _Atomic bool broken;
static _Atomic int fail_next;           /* tests: membarrier calls to fail */

void
lfp_pcpu_fail_membarrier(int n)
{
	atomic_store_explicit(&fail_next, n, memory_order_relaxed);
}

#if LFP_HAVE_PCPU
static long
membarrier(int cmd, unsigned int flags, int cpu)
{
	if (atomic_load_explicit(&fail_next, memory_order_relaxed) > 0 &&
	    atomic_fetch_sub_explicit(&fail_next, 1, memory_order_relaxed) > 0) {
		errno = ENOMEM;
		return -1;
	}
	return syscall(__NR_membarrier, cmd, flags, cpu);
}

static bool
membarrier_register(void)
{
	long q = membarrier(MEMBARRIER_CMD_QUERY, 0, 0);

	return q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) &&
	       !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
}
#endif

static void
avail_init(void)
{
#if LFP_HAVE_PCPU
	/*
	 * glibc registered rseq (size 0 when disabled by its tunable or
	 * refused), with the fields the sequences use.
	 */
	if (__rseq_size < offsetof(struct rseq, flags) +
			  sizeof(((struct rseq *)0)->flags))
		return;
	if (lfp_topo_rseq_cpu() < 0)
		return;
	if (!membarrier_register())
		return;
	ncpus = lfp_topo_possible_cpus();
	if (ncpus > LFP_PCPU_NMASK)
		ncpus = 0;      /* more than the word's n can index */
	avail = ncpus > 0;
#endif
}

bool
lfp_pcpu_available(void)
{
	pthread_once(&avail_once, avail_init);
	return avail && !atomic_load_explicit(&broken, memory_order_relaxed);
}

uint32_t
lfp_pcpu_ncpus(void)
{
	pthread_once(&avail_once, avail_init);
	return ncpus;
}

void
lfp_pcpu_fork_child(void)
{
#if LFP_HAVE_PCPU
	/* The registration belongs to the parent's address space. */
	if (avail && !membarrier_register())
		atomic_store_explicit(&broken, true, memory_order_relaxed);
#endif
}

bool
lfp_pcpu_lock_remote(struct lfp_pcpu *base, uint32_t cpu)
{
	struct lfp_pcpu *p = &base[cpu];
	uint32_t expected = 0;
	unsigned int outer = lfp_locks_held++;

	if (atomic_load_explicit(&broken, memory_order_relaxed)) {
		lfp_locks_held--;
		return false;
	}
	/* Acquire: pairs with the release store of lfp_pcpu_unlock(). */
	while (!atomic_compare_exchange_weak_explicit(&p->lock, &expected, 1,
						      memory_order_acquire,
						      memory_order_relaxed)) {
		/* A handler that interrupted a holder: it may be ours. */
		if (outer) {
			lfp_locks_held--;
			return false;
		}
		expected = 0;
		sched_yield();
	}
#if LFP_HAVE_PCPU
	/*
	 * Restart every sequence in flight on @cpu: those that start after
	 * see the lock; those that committed before are visible to us
	 * (membarrier orders memory on both sides). If neither form works,
	 * a sequence may still run there: the cache is not ours to touch.
	 */
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		       MEMBARRIER_CMD_FLAG_CPU, (int)cpu) &&
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0)) {
		atomic_store_explicit(&broken, true, memory_order_relaxed);
		lfp_pcpu_unlock(p);
		return false;
	}
#endif
	return true;
}

int
lfp_cache_mode_resolve(int attr_mode)
{
	int mode = attr_mode;

	if (mode == LFP_CACHE_AUTO) {
		const char *v = getenv("LFP_CACHE_MODE");

		if (v && (!strcmp(v, "percpu") || !strcmp(v, "per-cpu")))
			mode = LFP_CACHE_PER_CPU;
		else if (v && (!strcmp(v, "perthread") ||
			       !strcmp(v, "per-thread")))
			mode = LFP_CACHE_PER_THREAD;
	}
	if (mode != LFP_CACHE_PER_THREAD && lfp_pcpu_available())
		return LFP_CACHE_PER_CPU;
	return LFP_CACHE_PER_THREAD;
}

int
lfp_zone_set_cache_mode(struct lfp_zone *z, int mode)
{
	uint32_t n = lfp_pcpu_ncpus();
	char *mem;

	if (mode != LFP_CACHE_PER_CPU || !n)
		return 0;
	/* Hot lines first, then the cold caches; both cache-line aligned. */
	mem = lfp_meta_alloc(n * (sizeof(struct lfp_pcpu) +
				  sizeof(struct lfp_cache)));
	if (!mem)
		return ENOMEM;
	z->pcpu = (struct lfp_pcpu *)mem;
	z->pcpu_caches = (struct lfp_cache *)(mem +
					      n * sizeof(struct lfp_pcpu));
	for (uint32_t i = 0; i < n; i++) {
		/* cap 0 until the first slow path loads magazines. */
		atomic_init(&z->pcpu[i].word, 0);
		atomic_init(&z->pcpu[i].lock, 0);
		atomic_init(&z->pcpu[i].seq, 0);
		atomic_init(&z->pcpu[i].base_n, 0);
		z->pcpu_caches[i].cap = z->cap;
		z->pcpu_caches[i].node = z->numa.place.nnodes > 1 ?
					 lfp_topo_node_of_cpu((int)i) : 0;
	}
	z->ncpu = n;
	z->ncpu_fast = z->debug ? 0 : n;
	return 0;
}

/* Seqlock around the changes of (counters, word, base_n) that readers sum. */
static void
seq_begin(struct lfp_pcpu *p)
{
	uint32_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);

	atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
	/* Release fence: pairs with the acquire fence of lfp_zone_cache_count(). */
	atomic_thread_fence(memory_order_release);
}

static void
seq_end(struct lfp_pcpu *p)
{
	uint32_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);

	/* Release: pairs with the first, acquire, load of the reader. */
	atomic_store_explicit(&p->seq, s + 1, memory_order_release);
}

/* Under the lock: fold the hit paths' count into the counters. */
static void
pcpu_fold(struct lfp_pcpu *p, struct lfp_cache *c)
{
	uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed);
	uint32_t n = (uint32_t)(w & LFP_PCPU_NMASK);
	uint64_t ops = w >> LFP_PCPU_NBITS;
	int64_t dn = (int64_t)n -
		(int64_t)atomic_load_explicit(&p->base_n, memory_order_relaxed);

	if (ops) {
		seq_begin(p);
		lfp_counter_add(&c->gets, (uint64_t)((int64_t)ops - dn) / 2);
		lfp_counter_add(&c->puts, (uint64_t)((int64_t)ops + dn) / 2);
		atomic_store_explicit(&p->word, n, memory_order_relaxed);
		atomic_store_explicit(&p->base_n, n, memory_order_relaxed);
		seq_end(p);
	}
	c->n = n;
}

/* Under the lock: publish the cache's state to the hit paths. */
static void
pcpu_publish(struct lfp_pcpu *p, struct lfp_cache *c)
{
	p->rounds = c->rounds;
	p->cap = c->loaded ? c->cap : 0;
	seq_begin(p);
	atomic_store_explicit(&p->base_n, c->n, memory_order_relaxed);
	atomic_store_explicit(&p->word, c->n, memory_order_relaxed);
	seq_end(p);
}

int
lfp_zone_cache_enter(struct lfp_zone *z, struct lfp_cache **cp,
		     struct lfp_pcpu **pp)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	int cpu;

	*pp = NULL;
	if (!z->pcpu) {
		*cp = lfp_zone_cache(z);
		if (!*cp)
			return ENOMEM;
		/* A thread's cache serves the node it runs on now. */
		(*cp)->node = lfp_numa_local_node(&z->numa);
		return 0;
	}
	lfp_locks_held++;       /* lowered by lfp_pcpu_unlock() */
	cpu = lfp_pcpu_trylock_local(z->pcpu, z->ncpu);
	if (cpu < 0) {
		lfp_locks_held--;
		return EAGAIN;
	}
	/* The objects the hit paths passed on (ThreadSanitizer only). */
	lfp_tsan_acquire(z->pcpu);
	p = &z->pcpu[cpu];
	c = &z->pcpu_caches[cpu];
	if (!c->loaded) {
		struct lfp_mag *a = lfp_depot_get_empty(&z->numa.depot);
		struct lfp_mag *b = a ? lfp_depot_get_empty(&z->numa.depot) : NULL;

		if (!b) {
			if (a)
				lfp_depot_put_empty(&z->numa.depot, a);
			lfp_pcpu_unlock(p);
			return ENOMEM;
		}
		lfp_cache_load_local(c, a);
		c->prev = b;
		pcpu_publish(p, c);
	}
	pcpu_fold(p, c);
	*cp = c;
	*pp = p;
	return 0;
}

void
lfp_zone_cache_leave(struct lfp_zone *z, struct lfp_cache *c,
		     struct lfp_pcpu *p)
{
	if (!p)
		return;
	pcpu_publish(p, c);
	lfp_tsan_release(z->pcpu);
	lfp_pcpu_unlock(p);
}

void
lfp_zone_pcpu_unload_all(struct lfp_zone *z, bool idle)
{
	for (uint32_t i = 0; z->pcpu && i < z->ncpu; i++) {
		struct lfp_pcpu *p = &z->pcpu[i];
		struct lfp_cache *c = &z->pcpu_caches[i];

		if (!lfp_pcpu_lock_remote(z->pcpu, i))
			continue;       /* best effort: it stays cached */
		lfp_tsan_acquire(z->pcpu);
		if (c->loaded) {
			uint64_t ops;

			pcpu_fold(p, c);
			ops = lfp_counter_read(&c->gets) +
			      lfp_counter_read(&c->puts);
			if (!idle || ops == c->trim_ops)
				lfp_zone_cache_unload(z, c);
			c->trim_ops = ops;
			pcpu_publish(p, c);
		}
		lfp_tsan_release(z->pcpu);
		lfp_pcpu_unlock(p);
	}
}

void
lfp_zone_cache_count(struct lfp_zone *z, struct lfp_cache *c,
		     struct lfp_zone_stats *st, uint64_t *misses)
{
	uint64_t gets, puts;

	if (z->pcpu && c >= z->pcpu_caches && c < z->pcpu_caches + z->ncpu) {
		struct lfp_pcpu *p = &z->pcpu[c - z->pcpu_caches];
		uint32_t s, n, base;
		uint64_t w;

		do {
			/* Acquire: pairs with the release store in seq_end(). */
			s = atomic_load_explicit(&p->seq, memory_order_acquire);
			gets = lfp_counter_read(&c->gets);
			puts = lfp_counter_read(&c->puts);
			w = atomic_load_explicit(&p->word, memory_order_relaxed);
			base = atomic_load_explicit(&p->base_n,
						    memory_order_relaxed);
			/* Acquire fence: pairs with the one in seq_begin(). */
			atomic_thread_fence(memory_order_acquire);
		} while ((s & 1) ||
			 s != atomic_load_explicit(&p->seq,
						   memory_order_relaxed));
		n = (uint32_t)(w & LFP_PCPU_NMASK);
		gets += ((w >> LFP_PCPU_NBITS) - ((int64_t)n - base)) / 2;
		puts += ((w >> LFP_PCPU_NBITS) + ((int64_t)n - base)) / 2;
	} else {
		gets = lfp_counter_read(&c->gets);
		puts = lfp_counter_read(&c->puts);
	}
	st->gets += gets;
	st->puts += puts;
	st->depot_gets += lfp_counter_read(&c->depot_gets);
	st->depot_puts += lfp_counter_read(&c->depot_puts);
	*misses += lfp_counter_read(&c->misses);
}

void
lfp_zone_pcpu_fini(struct lfp_zone *z)
{
	for (uint32_t i = 0; z->pcpu && i < z->ncpu; i++) {
		struct lfp_cache *c = &z->pcpu_caches[i];

		if (!c->loaded)
			continue;
		pcpu_fold(&z->pcpu[i], c);
		lfp_cache_park_local(c);
		lfp_zone_mag_dtor(z, c->loaded);
		lfp_zone_mag_dtor(z, c->prev);
	}
	lfp_meta_free(z->pcpu);
	z->pcpu = NULL;
	z->pcpu_caches = NULL;
}

void
lfp_zone_pcpu_fork_child(struct lfp_zone *z)
{
	/*
	 * A fork() from a signal handler that interrupted this thread while
	 * it held a CPU's lock: the interrupted code goes on in the child
	 * with that cache, and which one it is cannot be told apart from
	 * those of vanished threads. Reset none: locked CPUs serve the child
	 * through the direct paths.
	 */
	if (lfp_locks_held)
		return;
	for (uint32_t i = 0; z->pcpu && i < z->ncpu; i++) {
		struct lfp_pcpu *p = &z->pcpu[i];
		struct lfp_cache *c = &z->pcpu_caches[i];

		if (!atomic_load_explicit(&p->lock, memory_order_relaxed))
			continue;
		/*
		 * A thread that did not survive held this CPU's lock, in
		 * the middle of changing the cache: its magazines are lost
		 * (their objects count as in use). The next slow path on
		 * this CPU loads fresh ones.
		 */
		c->loaded = c->prev = NULL;
		c->n = 0;
		c->rounds = NULL;
		atomic_store_explicit(&p->seq, 0, memory_order_relaxed);
		pcpu_publish(p, c);
		atomic_store_explicit(&p->lock, 0, memory_order_relaxed);
	}
}
