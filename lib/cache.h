/* SPDX-License-Identifier: MIT */
/*
 * cache.h - the two-magazine cache: what sits between a pool's users and
 * its depots. A cache holds a loaded and a previous magazine (Bonwick's
 * rule: at least a magazine's worth of operations between two depot
 * visits, whatever the get/put pattern):
 *
 * get:  pop the loaded magazine; if it is empty and the previous one is
 *       not, swap them; else exchange the empty one for a loaded magazine
 *       from the depots (lfp_cache_refill()).
 * put:  push the loaded magazine; if it is full and the previous one is
 *       empty, swap; else hand the previous (full) one to the depots and
 *       take an empty magazine (lfp_cache_drain()).
 * The zone (zone.h) runs the pops and pushes, on its hit paths and slow
 * paths; this layer does everything else to a cache.
 *
 * A zone's caches (struct lfp_caches) come in two modes, chosen at its
 * creation:
 *  - per-thread: a push-only list of the caches ever made for the zone.
 *    A thread claims a free cache (owner NULL) or makes one, uses it with
 *    no atomics, and releases it at exit. Caches are freed only by
 *    destroy, so the list can be walked (stats, destroy, fork, flush)
 *    with no lock.
 *  - per-CPU (pcpu.h): one cache per CPU, its hit path a restartable
 *    sequence on the hot part (struct lfp_pcpu), its slow path under the
 *    CPU's lock word; the cold part is an ordinary struct lfp_cache, so
 *    refill, drain and flush are the same code in both modes. A thread
 *    that finds the lock held goes to the depots directly (numa.h).
 *
 * ABA: the per-thread list only grows (a CAS on its head pushes a cache;
 * nothing leaves it before destroy), so a push whose CAS succeeds found
 * the head it read, and a walker never meets a node that left. An owner
 * word is claimed with a CAS from NULL: if it went from NULL to another
 * thread and back in between, the cache is free again, which is all the
 * claim needs. The depots' stacks have their own argument (stack.h).
 *
 * Synchronization table (one cache):
 *                 get/put    claim      flush (free)  stats   destroy
 *   get/put       -          -          -             -       excl
 *   claim         -          CAS owner  CAS owner     -       excl
 *   stats         -          -          -             -       excl
 * get/put on a per-thread cache are _local to its owner (enforced by
 * ownership: the owner word, claimed with an acquire CAS and given up
 * with a release store); on a CPU's cache, to the holder of its lock.
 */
#ifndef LFP_CACHE_H
#define LFP_CACHE_H

#include "magazine.h"
#include "numa.h"
#include "pcpu.h"

struct lfp_cache {
	/* Hot: what get and put touch. */
	uint32_t n;                     /* rounds in the loaded magazine */
	uint32_t cap;                   /* rounds per magazine (copy) */
	void **rounds;                  /* the loaded magazine's rounds */
	lfp_counter_t gets;             /* owner-written counters */
	lfp_counter_t puts;
	/* Cold: the slow paths. loaded->n is stale while loaded; n rules. */
	struct lfp_mag *loaded;
	struct lfp_mag *prev;
	lfp_counter_t misses;           /* gets that went to depot or slab */
	lfp_counter_t depot_gets;       /* full magazines taken */
	lfp_counter_t depot_puts;       /* full magazines given */
	uint64_t trim_ops;              /* gets + puts at the last trim */
	uint32_t node;                  /* NUMA node the cache serves */
	_Atomic(void *) owner;          /* owning thread's tcache; NULL: free */
	struct lfp_cache *next;         /* zone's list; set before publishing */
} lfp_cacheline_aligned;

/* The inline hit path (<lfpool/inline.h>) reads a per-thread cache's hot
 * part as struct lfp_fast_cache: the same layout, fixed by the ABI. */
LFP_ABI_FIELD(lfp_cache, lfp_fast_cache, n);
LFP_ABI_FIELD(lfp_cache, lfp_fast_cache, cap);
LFP_ABI_FIELD(lfp_cache, lfp_fast_cache, rounds);
LFP_ABI_FIELD(lfp_cache, lfp_fast_cache, gets);
LFP_ABI_FIELD(lfp_cache, lfp_fast_cache, puts);

/* A zone's caches. */
struct lfp_caches {
	_Atomic(struct lfp_cache *) list; /* per-thread caches, push-only */
	lfp_counter_t n;                /* entries of list */
	/* Per-CPU mode (pcpu == NULL in per-thread mode). */
	struct lfp_pcpu *pcpu;          /* hot parts, one per CPU */
	struct lfp_cache *pcpu_caches;  /* their cold parts */
	uint32_t ncpu;                  /* entries of both */
};

/* Write the loaded count back into its magazine before it moves. */
static inline void
lfp_cache_park_local(struct lfp_cache *c)
{
	c->loaded->n = c->n;
}

/* Make @m the loaded magazine. */
static inline void
lfp_cache_load_local(struct lfp_cache *c, struct lfp_mag *m)
{
	c->loaded = m;
	c->n = m->n;
	c->rounds = m->rounds;
}

/* Exchange the loaded and the previous magazine. */
static inline void
lfp_cache_swap_local(struct lfp_cache *c)
{
	struct lfp_mag *t = c->loaded;

	lfp_cache_park_local(c);
	lfp_cache_load_local(c, c->prev);
	c->prev = t;
}

/* No caches yet: per-thread mode until lfp_cache_set_mode(). */
void lfp_caches_init(struct lfp_caches *cs);
/* LFP_CACHE_AUTO of an attribute resolved: the environment
 * (LFP_CACHE_MODE), then whether per-CPU caches can run here. */
int lfp_cache_mode_resolve(int attr_mode);
/*
 * Choose the mode (LFP_CACHE_*, resolved) before the caches are used:
 * per-CPU mode makes a cache per CPU of @cap-round magazines, each
 * serving its CPU's node (@numa > 1 nodes). 0, or ENOMEM.
 */
int lfp_cache_set_mode(struct lfp_caches *cs, int mode, uint32_t cap,
		       bool numa);
/*
 * Every cache's magazines to the depots of @nm (their objects are the
 * zone's to destroy there), except those of caches lost in fork(), and
 * the caches' memory back.
 */
void lfp_caches_fini(struct lfp_caches *cs, struct lfp_numa *nm);

/* Claim a free per-thread cache or make one, for thread @owner; NULL with
 * errno ENOMEM. */
struct lfp_cache *lfp_cache_claim(struct lfp_caches *cs,
				  struct lfp_numa *nm, uint32_t cap,
				  void *owner);
/* Hand a cache's objects to the depots (best effort); with @release,
 * also give up ownership. */
void lfp_cache_flush(struct lfp_cache *c, struct lfp_numa *nm, bool release);
/* Move the cache's non-empty magazines to the depots (best effort). */
void lfp_cache_unload(struct lfp_cache *c, struct lfp_numa *nm);

/*
 * Slow paths: make the loaded magazine non-empty from the cache or the
 * depots (with @steal, other nodes' depots too; ENOENT when dry: refill
 * never carves), or non-full (ENOMEM when no empty magazine can be had).
 */
int lfp_cache_refill(struct lfp_cache *c, struct lfp_numa *nm, bool steal);
int lfp_cache_drain(struct lfp_cache *c, struct lfp_numa *nm);
/*
 * The same without the depots: swap in the previous magazine if that
 * serves (true), else nothing (false). A per-CPU bulk call runs these
 * under the CPU's lock and reaches the depots after leaving the cache
 * (zone.c), so that no lock is held across a depot exchange.
 */
bool lfp_cache_refill_local(struct lfp_cache *c);
bool lfp_cache_drain_local(struct lfp_cache *c);
/*
 * A bulk call of @n objects (@get) or of @n puts that the loaded
 * magazine cannot serve whole: the previous one serves it, swapped in
 * first, where it can. Taking the call from one magazine keeps each
 * magazine's count whole for calls of that size, so that the next one
 * hits inline: a get of 64 split over 32 loaded and 64 previous rounds
 * leaves 32 and 0, on which every later put and get of 64 splits again.
 */
void lfp_cache_fit_bulk(struct lfp_cache *c, size_t n, bool get);
/*
 * A magazine @m a bulk call brought from the depots with no lock held,
 * objects left in it (@get) or room (a put): into the cache, in place
 * of an empty (get) or a full (put) magazine, when the cache has one to
 * spare. Returns what the caller hands to the depots after it leaves the
 * cache: the magazine @m replaced, or @m itself.
 */
struct lfp_mag *lfp_cache_keep(struct lfp_cache *c, struct lfp_mag *m,
			       bool get);

/*
 * The cache for a slow-path operation: in per-CPU mode the current CPU's,
 * with its lock taken (*pp set); else @mine, the calling thread's (NULL
 * when it could not have one). Returns 0, ENOMEM, or EAGAIN when the
 * CPU's lock is held (then use the direct paths of numa.h).
 * lfp_cache_leave() ends it. Nothing between the two runs a constructor,
 * carves, or waits for a lock.
 */
int lfp_cache_enter(struct lfp_caches *cs, struct lfp_numa *nm,
		    struct lfp_cache *mine, struct lfp_cache **cp,
		    struct lfp_pcpu **pp);
void lfp_cache_leave(struct lfp_caches *cs, struct lfp_cache *c,
		     struct lfp_pcpu *p);

/*
 * Hand cached objects to the depots (flush, trim, budget reclaim): every
 * CPU's cache, or @mine (the caller's, or NULL) and the free per-thread
 * caches; with @idle, only those of CPUs that made no get or put since
 * the last such call (a live thread's cache has no atomics: only its
 * thread can flush it).
 */
void lfp_caches_unload(struct lfp_caches *cs, struct lfp_numa *nm,
		       struct lfp_cache *mine, bool idle);

/*
 * In a fork() child: caches owned by threads other than @self (which did
 * not survive) are marked lost; they may have been anywhere in a get or
 * put when fork() copied memory, so nobody claims them, destroy skips
 * their contents, and their objects count as in use. A CPU's cache whose
 * lock a vanished thread held is reset (its objects are lost too).
 */
void lfp_caches_fork_child(struct lfp_caches *cs, void *self);

/* What the caches did, summed (a per-CPU cache's hit paths folded in). */
struct lfp_cache_stats {
	uint64_t gets, puts, misses, depot_gets, depot_puts;
	uint64_t caches;                /* per-CPU: CPUs; else made */
};
void lfp_caches_stats(struct lfp_caches *cs, struct lfp_cache_stats *st);

#endif /* LFP_CACHE_H */
