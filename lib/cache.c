/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the two-magazine cache (cache.h): per-thread caches (claim,
 * flush), per-CPU caches (the CPU's lock around the slow path, folding
 * what the hit paths counted, draining other CPUs), and what both share:
 * refill and drain against the depots, unload, statistics, destroy and
 * fork.
 */
#include "cache.h"
#include "topo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
lfp_caches_init(struct lfp_caches *cs)
{
	atomic_init(&cs->list, NULL);
	atomic_init(&cs->n, 0);
	cs->pcpu = NULL;
	cs->pcpu_caches = NULL;
	cs->ncpu = 0;
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
lfp_cache_set_mode(struct lfp_caches *cs, int mode, uint32_t cap,
		   bool numa)
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
	cs->pcpu = (struct lfp_pcpu *)mem;
	cs->pcpu_caches = (struct lfp_cache *)(mem +
					       n * sizeof(struct lfp_pcpu));
	for (uint32_t i = 0; i < n; i++) {
		/* cap 0 until the first slow path loads magazines. */
		atomic_init(&cs->pcpu[i].word, 0);
		atomic_init(&cs->pcpu[i].lock, 0);
		atomic_init(&cs->pcpu[i].seq, 0);
		atomic_init(&cs->pcpu[i].base_n, 0);
		cs->pcpu_caches[i].cap = cap;
		cs->pcpu_caches[i].node = numa ?
					  lfp_topo_node_of_cpu((int)i) : 0;
	}
	cs->ncpu = n;
	return 0;
}

/* Two empty magazines for a new cache; false (none taken) without. */
static bool
two_empty(struct lfp_numa *nm, struct lfp_mag **a, struct lfp_mag **b)
{
	*a = lfp_depot_get_empty(&nm->depot);
	*b = *a ? lfp_depot_get_empty(&nm->depot) : NULL;
	if (!*b && *a)
		lfp_depot_put_empty(&nm->depot, *a);
	return *b != NULL;
}

struct lfp_cache *
lfp_cache_claim(struct lfp_caches *cs, struct lfp_numa *nm, uint32_t cap,
		void *owner)
{
	struct lfp_cache *c, *head;
	struct lfp_mag *a, *b;

	/* Acquire: pairs with the release CAS publishing each cache below. */
	for (c = atomic_load_explicit(&cs->list, memory_order_acquire); c;
	     c = c->next) {
		void *expected = NULL;

		/*
		 * Acquire: pairs with the release store in lfp_cache_flush()
		 * of the thread that gave it up, so we see its magazines as
		 * it left them.
		 */
		if (!atomic_load_explicit(&c->owner, memory_order_relaxed) &&
		    atomic_compare_exchange_strong_explicit(&c->owner, &expected,
							    owner,
							    memory_order_acquire,
							    memory_order_relaxed))
			return c;
	}
	c = two_empty(nm, &a, &b) ? lfp_meta_alloc(sizeof(*c)) : NULL;
	if (!c) {
		if (b) {
			lfp_depot_put_empty(&nm->depot, a);
			lfp_depot_put_empty(&nm->depot, b);
		}
		errno = ENOMEM;
		return NULL;
	}
	c->cap = cap;
	lfp_cache_load_local(c, a);
	c->prev = b;
	atomic_init(&c->owner, owner);
	head = atomic_load_explicit(&cs->list, memory_order_relaxed);
	do {
		c->next = head;
		/*
		 * Release: pairs with the acquire loads of the list head in
		 * claim, unload, stats, fini and fork, publishing the cache's
		 * fields.
		 */
	} while (!atomic_compare_exchange_weak_explicit(&cs->list, &head, c,
							memory_order_release,
							memory_order_relaxed));
	lfp_shared_add(&cs->n, 1);
	LFP_PROBE(cache_new, LFP_WHO(&nm->place.who),
		  lfp_counter_read(&cs->n));
	return c;
}

void
lfp_cache_unload(struct lfp_cache *c, struct lfp_numa *nm)
{
	struct lfp_mag **slots[2] = { &c->loaded, &c->prev };

	lfp_cache_park_local(c);
	for (int i = 0; i < 2; i++) {
		struct lfp_mag *e;

		if (lfp_mag_empty_local(*slots[i]))
			continue;
		e = lfp_depot_get_empty(&nm->depot);
		if (!e)
			continue;       /* stays cached; still counted */
		LFP_PROBE(depot_put, LFP_WHO(&nm->place.who), (*slots[i])->n);
		lfp_numa_put_full(nm, c->node, *slots[i]);
		lfp_counter_add(&c->depot_puts, 1);
		*slots[i] = e;
	}
	lfp_cache_load_local(c, c->loaded);
}

void
lfp_cache_flush(struct lfp_cache *c, struct lfp_numa *nm, bool release)
{
	lfp_cache_unload(c, nm);
	/*
	 * Release: pairs with the acquire CAS of the next owner in
	 * lfp_cache_claim() or lfp_caches_unload(), and the acquire load in
	 * lfp_caches_fini(). Without @release the owner stays, but the store
	 * still orders this flush before a destroy that waited for it (which
	 * the registry's reader count orders too).
	 */
	atomic_store_explicit(&c->owner,
			      release ? NULL :
			      atomic_load_explicit(&c->owner,
						   memory_order_relaxed),
			      memory_order_release);
}

int
lfp_cache_refill(struct lfp_cache *c, struct lfp_numa *nm, bool steal)
{
	struct lfp_mag *m;

	if (lfp_cache_refill_local(c))
		return 0;
	m = lfp_numa_get_full(nm, c->node, steal);
	if (!m)
		return ENOENT;
	lfp_counter_add(&c->misses, 1);
	lfp_counter_add(&c->depot_gets, 1);
	LFP_PROBE(depot_get, LFP_WHO(&nm->place.who), m->n);
	lfp_cache_park_local(c);
	lfp_depot_put_empty(&nm->depot, c->prev);
	c->prev = c->loaded;
	lfp_cache_load_local(c, m);
	return 0;
}

int
lfp_cache_drain(struct lfp_cache *c, struct lfp_numa *nm)
{
	struct lfp_mag *e;

	if (lfp_cache_drain_local(c))
		return 0;
	e = lfp_depot_get_empty(&nm->depot);
	if (!e)
		return ENOMEM;
	LFP_PROBE(depot_put, LFP_WHO(&nm->place.who), c->prev->n);
	lfp_numa_put_full(nm, c->node, c->prev);
	lfp_counter_add(&c->depot_puts, 1);
	lfp_cache_park_local(c);
	c->prev = c->loaded;
	lfp_cache_load_local(c, e);
	return 0;
}

bool
lfp_cache_refill_local(struct lfp_cache *c)
{
	if (lfp_mag_empty_local(c->prev))
		return false;
	lfp_cache_swap_local(c);
	return true;
}

bool
lfp_cache_drain_local(struct lfp_cache *c)
{
	if (!lfp_mag_empty_local(c->prev))
		return false;
	lfp_cache_swap_local(c);
	return true;
}

void
lfp_cache_fit_bulk(struct lfp_cache *c, size_t n, bool get)
{
	size_t prev = c->prev->n;	/* parked: its count is current */

	if (get ? c->n < n && prev >= n :
	    c->cap - c->n < n && c->cap - prev >= n)
		lfp_cache_swap_local(c);
}

struct lfp_mag *
lfp_cache_keep(struct lfp_cache *c, struct lfp_mag *m, bool get)
{
	struct lfp_mag *out = c->prev;

	/* A get keeps @m for the empty previous magazine, a put for the
	 * full one; else the cache has objects (room) to spare. */
	if (get ? !lfp_mag_empty_local(out) : !lfp_mag_full_local(out))
		return m;
	lfp_counter_add(get ? &c->depot_gets : &c->depot_puts, 1);
	if (get ? c->n > 0 : c->n < c->cap) {
		c->prev = m;
		return out;
	}
	/* The loaded one is no better: @m is loaded, it the previous. */
	lfp_cache_park_local(c);
	c->prev = c->loaded;
	lfp_cache_load_local(c, m);
	return out;
}

/* Seqlock around the changes of (counters, word, base_n) that readers sum. */
static void
seq_begin(struct lfp_pcpu *p)
{
	uint32_t s = atomic_load_explicit(&p->seq, memory_order_relaxed);

	atomic_store_explicit(&p->seq, s + 1, memory_order_relaxed);
	/* Release fence: pairs with the acquire fence of cache_count(). */
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
lfp_cache_enter(struct lfp_caches *cs, struct lfp_numa *nm,
		struct lfp_cache *mine, struct lfp_cache **cp,
		struct lfp_pcpu **pp)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	struct lfp_mag *a, *b;
	int cpu;

	*pp = NULL;
	if (!cs->pcpu) {
		*cp = mine;
		if (!mine)
			return ENOMEM;
		/* A thread's cache serves the node it runs on now. */
		mine->node = lfp_numa_local_node(nm);
		return 0;
	}
	lfp_locks_held++;       /* lowered by lfp_pcpu_unlock() */
	cpu = lfp_pcpu_trylock_local(cs->pcpu, cs->ncpu);
	if (cpu < 0) {
		lfp_locks_held--;
		return EAGAIN;
	}
	/* The objects the hit paths passed on (ThreadSanitizer only). */
	lfp_tsan_acquire(cs->pcpu);
	p = &cs->pcpu[cpu];
	c = &cs->pcpu_caches[cpu];
	if (!c->loaded) {
		if (!two_empty(nm, &a, &b)) {
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
lfp_cache_leave(struct lfp_caches *cs, struct lfp_cache *c,
		struct lfp_pcpu *p)
{
	if (!p)
		return;
	pcpu_publish(p, c);
	lfp_tsan_release(cs->pcpu);
	lfp_pcpu_unlock(p);
}

/* Every CPU's cache to the depots; with @idle, only idle CPUs'. */
static void
caches_unload_cpus(struct lfp_caches *cs, struct lfp_numa *nm, bool idle)
{
	for (uint32_t i = 0; i < cs->ncpu; i++) {
		struct lfp_pcpu *p = &cs->pcpu[i];
		struct lfp_cache *c = &cs->pcpu_caches[i];

		if (!lfp_pcpu_lock_remote(cs->pcpu, i))
			continue;       /* best effort: it stays cached */
		lfp_tsan_acquire(cs->pcpu);
		if (c->loaded) {
			uint64_t ops;

			pcpu_fold(p, c);
			ops = lfp_counter_read(&c->gets) +
			      lfp_counter_read(&c->puts);
			if (!idle || ops == c->trim_ops)
				lfp_cache_unload(c, nm);
			c->trim_ops = ops;
			pcpu_publish(p, c);
		}
		lfp_tsan_release(cs->pcpu);
		lfp_pcpu_unlock(p);
	}
}

/* Owner of a free per-thread cache while lfp_caches_unload() empties it. */
static char unload_owner;

void
lfp_caches_unload(struct lfp_caches *cs, struct lfp_numa *nm,
		  struct lfp_cache *mine, bool idle)
{
	struct lfp_cache *c;

	if (cs->pcpu) {
		caches_unload_cpus(cs, nm, idle);
		return;
	}
	if (mine)
		lfp_cache_unload(mine, nm);
	/* Acquire: pairs with the release CAS publishing each cache. */
	for (c = atomic_load_explicit(&cs->list, memory_order_acquire); c;
	     c = c->next) {
		void *expected = NULL;

		/*
		 * Acquire: pairs with the release store of the thread that
		 * gave the cache up (lfp_cache_flush()).
		 */
		if (atomic_load_explicit(&c->owner, memory_order_relaxed) ||
		    !atomic_compare_exchange_strong_explicit(&c->owner,
							     &expected,
							     &unload_owner,
							     memory_order_acquire,
							     memory_order_relaxed))
			continue;
		lfp_cache_flush(c, nm, true);
	}
}

/* The owner of a cache whose thread vanished in fork(). */
static char cache_lost;
#define CACHE_LOST ((void *)&cache_lost)

void
lfp_caches_fork_child(struct lfp_caches *cs, void *self)
{
	struct lfp_cache *c;

	/* Acquire: pairs with the release CAS publishing each cache. */
	for (c = atomic_load_explicit(&cs->list, memory_order_acquire); c;
	     c = c->next) {
		void *owner = atomic_load_explicit(&c->owner,
						   memory_order_relaxed);

		/* A free cache (no owner) stays free for the child's threads. */
		if (owner && owner != self)
			atomic_store_explicit(&c->owner, CACHE_LOST,
					      memory_order_relaxed);
	}
	/*
	 * A fork() from a signal handler that interrupted this thread while
	 * it held a CPU's lock: the interrupted code goes on in the child
	 * with that cache, and which one it is cannot be told apart from
	 * those of vanished threads. Reset none: locked CPUs serve the child
	 * through the direct paths.
	 */
	if (lfp_locks_held)
		return;
	for (uint32_t i = 0; cs->pcpu && i < cs->ncpu; i++) {
		struct lfp_pcpu *p = &cs->pcpu[i];

		if (!atomic_load_explicit(&p->lock, memory_order_relaxed))
			continue;
		/*
		 * A thread that did not survive held this CPU's lock, in
		 * the middle of changing the cache: its magazines are lost
		 * (their objects count as in use). The next slow path on
		 * this CPU loads fresh ones.
		 */
		c = &cs->pcpu_caches[i];
		c->loaded = c->prev = NULL;
		c->n = 0;
		c->rounds = NULL;
		atomic_store_explicit(&p->seq, 0, memory_order_relaxed);
		pcpu_publish(p, c);
		atomic_store_explicit(&p->lock, 0, memory_order_relaxed);
	}
}

/* A cache's magazines to depot 0 of @nm, where destroy finds them. */
static void
cache_give_back(struct lfp_cache *c, struct lfp_numa *nm)
{
	struct lfp_mag *m[2] = { c->loaded, c->prev };

	lfp_cache_park_local(c);
	for (int i = 0; i < 2; i++) {
		if (lfp_mag_empty_local(m[i]))
			lfp_depot_put_empty(&nm->depot, m[i]);
		else
			lfp_depot_put_full(&nm->depot, m[i]);
	}
}

void
lfp_caches_fini(struct lfp_caches *cs, struct lfp_numa *nm)
{
	struct lfp_cache *c, *next;

	/* Acquire: pairs with the release CAS that published each cache. */
	c = atomic_load_explicit(&cs->list, memory_order_acquire);
	for (; c; c = next) {
		next = c->next;
		/*
		 * Acquire: pairs with the release store of a thread that gave
		 * the cache up at exit, ordering its last use before ours.
		 */
		if (atomic_load_explicit(&c->owner, memory_order_acquire) !=
		    CACHE_LOST)
			cache_give_back(c, nm);
		lfp_meta_free(c);
	}
	for (uint32_t i = 0; cs->pcpu && i < cs->ncpu; i++) {
		struct lfp_cache *pc = &cs->pcpu_caches[i];

		if (!pc->loaded)
			continue;
		pcpu_fold(&cs->pcpu[i], pc);
		cache_give_back(pc, nm);
	}
	lfp_meta_free(cs->pcpu);
	cs->pcpu = NULL;
	cs->pcpu_caches = NULL;
}

/* Add one cache's counters; a per-CPU cache's hit paths folded in. */
static void
cache_count(struct lfp_caches *cs, struct lfp_cache *c,
	    struct lfp_cache_stats *st)
{
	uint64_t gets, puts;

	if (cs->pcpu && c >= cs->pcpu_caches &&
	    c < cs->pcpu_caches + cs->ncpu) {
		struct lfp_pcpu *p = &cs->pcpu[c - cs->pcpu_caches];
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
	st->misses += lfp_counter_read(&c->misses);
}

void
lfp_caches_stats(struct lfp_caches *cs, struct lfp_cache_stats *st)
{
	struct lfp_cache *c;

	memset(st, 0, sizeof(*st));
	/* Acquire: pairs with the release CAS publishing each cache. */
	for (c = atomic_load_explicit(&cs->list, memory_order_acquire); c;
	     c = c->next)
		cache_count(cs, c, st);
	for (uint32_t i = 0; cs->pcpu && i < cs->ncpu; i++)
		cache_count(cs, &cs->pcpu_caches[i], st);
	st->caches = cs->pcpu ? cs->ncpu : lfp_counter_read(&cs->n);
}
