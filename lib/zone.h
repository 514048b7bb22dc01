/* SPDX-License-Identifier: MIT */
/*
 * zone.h - the engine every pool is built on. A zone serves objects of one
 * stride: caches (cache.h: a loaded and a previous magazine each, per
 * thread or per CPU), in front of lock-free depots of magazines, one per
 * NUMA node or one (numa.h), fed by slabs (slab.h). An object pool is one
 * zone; a buffer pool is one zone per size class.
 *
 * get:  pop the cache's loaded magazine (the hit path, inline below);
 *       else refill it from the depots (cache.h); else leave the cache
 *       and carve a batch from the slab (constructors run outside every
 *       cache and lock), hand one out and give the rest to the depot.
 * put:  push the loaded magazine; else drain the cache to the depots. A
 *       put never fails: with no cache or no magazine to be had it goes
 *       to the depot directly (numa.h), or to the slab's spill.
 *
 * The zone's files: zone.c (set-up, destroy, fork, the slow paths, bulk
 * calls, statistics), tcache.c (a thread's caches and its exit), rcu.c
 * (deferred puts), trim.c (memory back to the system); debug.c holds the
 * checked-mode hooks of its slow paths.
 *
 * Synchronization table:
 *                 get/put    stats   trim/flush   destroy
 *   get/put       -          -       -            excl
 *   stats         -          -       -            excl
 *   trim/flush    -          -       -            excl
 * What get and put share with each other is the caches' and the depots'
 * business (cache.h, depot.h); destroy runs once no thread uses the pool.
 */
#ifndef LFP_ZONE_H
#define LFP_ZONE_H

#include "cache.h"
#include "numa.h"
#include "slab.h"
#include "tcache.h"

#include <errno.h>

struct lfp_zone {
	/*
	 * What the hit paths read (<lfpool/inline.h>): the zone's unique id,
	 * its registry slot, its magazines' rounds (cap), and in per-CPU
	 * mode its CPUs' hot parts (cs's pcpu and ncpu; ncpu 0 while debug
	 * keeps every call on the slow path). An object pool starts with
	 * its zone, so with this.
	 */
	struct lfp_fast_pool fast;
	/* Read-mostly part, shared by all threads. */
	uint32_t carve_batch;           /* objects carved per slab visit */
	bool debug;                     /* slow path always: debug.h hooks */
	bool checked;                   /* checked mode (<lfpool/check.h>) */
	bool sites;                     /* checked, and each get's caller
					 * recorded (debug.h) */
	_Atomic int listed;             /* the kind of pool this zone stands
					 * for in the list of every pool
					 * (pool.h); 0: none, or not yet */
	bool poison;                    /* fill cached objects (no ctor) */
	size_t size, align;
	const char *name;               /* the pool's, for reports */
	struct lfp_caches cs;           /* its caches (cache.h) */
	lfp_counter_t carve_gets;       /* objects handed out by a carve */
	/* Deferred puts (rcu.c). */
	pthread_mutex_t rcu_lock;
	struct lfp_rcu_batch *rcu_stage; /* under rcu_lock */
	lfp_call_rcu_fn rcu_call;
	lfp_counter_t rcu_pending;      /* objects waiting for a grace period */
	lfp_counter_t rcu_batches;      /* batches handed to call_rcu */
	lfp_counter_t rcu_puts;         /* objects back after one */
	struct lfp_slab slab;           /* node 0's, or the only one */
	struct lfp_slab *xslab;         /* nodes 1 .. numa.ndepots - 1 */
	struct lfp_numa numa;           /* depots and placement (numa.h) */
};

/* Depot and slab of node index @k (< z->numa.ndepots). */
static inline struct lfp_depot *
lfp_zone_depot(struct lfp_zone *z, uint32_t k)
{
	return lfp_numa_depot(&z->numa, k);
}

static inline struct lfp_slab *
lfp_zone_slab(struct lfp_zone *z, uint32_t k)
{
	return k ? &z->xslab[k - 1] : &z->slab;
}

/*
 * NUMA placement, after the zone's budget and checked flag are set (the
 * slabs of the other nodes copy them): @placement is LFP_PLACE_*, @node
 * the fixed node's kernel number. 0, or EINVAL (no such node), ENOMEM.
 */
int lfp_zone_numa_init(struct lfp_zone *z, int placement, unsigned int node);
/* Carve for a thread on @node (lfp_slab_carve() of the right slab). */
size_t lfp_zone_carve(struct lfp_zone *z, uint32_t node, void **objs,
		      size_t n, int *err);

/*
 * Bytes of objects a magazine aims at, which bounds each cache to two
 * magazines' worth: LFP_MAG_BYTES for an object pool (64 rounds up to
 * objects of 4 KiB, so that a bulk of 64 is one magazine, as DPDK's
 * per-lcore cache of 256 holds whatever the size), LFP_MAG_BYTES_BUF for
 * a buffer pool's classes (whose mixed sizes add up: a thread's caches of
 * every class); at least four objects, at most 1 MiB; between 1 and 64
 * rounds (lfp_mag_rounds_auto()).
 */
#define LFP_MAG_BYTES ((size_t)256 << 10)
#define LFP_MAG_BYTES_BUF ((size_t)16 << 10)
#define LFP_MAG_BYTES_MAX ((size_t)1 << 20)
#define LFP_MAG_ROUNDS_LARGE 4u
#define LFP_MAG_ROUNDS_AUTO_MAX 64u

/* Rounds per magazine for objects @stride apart, aiming at @bytes. */
static inline unsigned int
lfp_mag_rounds_auto(size_t stride, size_t bytes)
{
	size_t target = LFP_MAX(bytes, LFP_MIN(LFP_MAG_ROUNDS_LARGE * stride,
					       LFP_MAG_BYTES_MAX));

	return (unsigned int)LFP_MAX(1, LFP_MIN(LFP_MAG_ROUNDS_AUTO_MAX,
						target / stride));
}
/* Objects carved per slab visit, at most (they pass a local array), and
 * the bytes of raw objects one visit aims at: growing stays in small
 * steps whatever the magazines hold. */
#define LFP_CARVE_MAX 64u
#define LFP_CARVE_BYTES ((size_t)16 << 10)
/* Power-of-two strides of these sizes get a cache line more between
 * objects (lfp_zone_init()). */
#define LFP_SPREAD_MIN ((size_t)1 << 10)
#define LFP_SPREAD_MAX ((size_t)4 << 10)

/*
 * Fill in @z for objects of @size bytes aligned to @align (already checked).
 * @cap 0 chooses the magazine size from the stride; @owner is the pool the
 * zone belongs to (its chunks carry it), @name its name (kept, not
 * copied), @checked asks for checked mode. The first step of
 * lfp_zone_setup() (pool.h), which runs them all in their order.
 */
void lfp_zone_init(struct lfp_zone *z, size_t size, size_t align,
		   unsigned int cap, lfp_ctor_fn ctor, lfp_dtor_fn dtor,
		   void *arg, const void *owner, const char *name,
		   bool checked);
/*
 * Choose the zone's cache mode (LFP_CACHE_* of <lfpool/common.h>, already
 * resolved by lfp_cache_mode_resolve()) after lfp_zone_init() and before
 * the zone is used. 0, or ENOMEM.
 */
int lfp_zone_set_cache_mode(struct lfp_zone *z, int mode);
/* Destructors on every held object, then all memory back. */
void lfp_zone_fini(struct lfp_zone *z);

/*
 * The calling thread's cache for @z if it has one already, else NULL: the
 * recent entries first, then the thread's map (which refills them).
 */
static inline struct lfp_cache *
lfp_zone_cache_local(struct lfp_zone *z)
{
	struct lfp_tcache *t = &lfp_tcache_self;
	struct lfp_fast_entry *r = lfp_tcache_recent_local(z->fast.slot);

	if (lfp_likely(r->id == z->fast.id))
		return (struct lfp_cache *)(void *)r->cache;
	if (lfp_likely(z->fast.slot < t->cap) &&
	    lfp_likely(t->map[z->fast.slot].id == z->fast.id)) {
		if (!z->debug)  /* debug zones stay off the fast path */
			lfp_tcache_set_recent_local(z->fast.slot,
						    &t->map[z->fast.slot]);
		return t->map[z->fast.slot].cache;
	}
	return NULL;
}

/* The calling thread's cache for @z; NULL with errno ENOMEM. */
static inline struct lfp_cache *
lfp_zone_cache(struct lfp_zone *z)
{
	struct lfp_cache *c = lfp_zone_cache_local(z);

	return lfp_likely(c) ? c : lfp_tcache_attach(z);
}

/* In a fork() child, for each zone: the caches of threads other than
 * @self are lost (lfp_caches_fork_child()). */
void lfp_zone_fork_child(struct lfp_zone *z, void *self);
/*
 * fork(): take every lock of the zone (its deferred puts' and its slabs')
 * before, release them after, in the parent and in the child.
 */
void lfp_zone_lock_all(struct lfp_zone *z);
void lfp_zone_unlock_all(struct lfp_zone *z);

/* Destructors on the objects of a magazine that leaves for good. */
void lfp_zone_mag_dtor(struct lfp_zone *z, struct lfp_mag *m);
/*
 * A put with no cache (its CPU's lock is held, or no memory for a
 * thread's cache): to its home depot (lfp_numa_put_direct()), or to the
 * slab's spill when no magazine can be had; it never fails. The put is
 * raw (checked mode checked it before).
 */
void lfp_zone_put_direct(struct lfp_zone *z, void *obj);
/*
 * Hand cached objects to the depots (flush, trim, budget reclaim): the
 * partial batch of deferred puts (unless @idle), then every CPU's cache,
 * or the caller's and the free per-thread caches (lfp_caches_unload()).
 */
void lfp_zone_unload_caches(struct lfp_zone *z, bool idle);
/* Deferred puts (rcu.c); @fn NULL chooses liburcu-bp's. */
void lfp_zone_rcu_init(struct lfp_zone *z, lfp_call_rcu_fn fn);
int lfp_zone_put_rcu(struct lfp_zone *z, void *obj);
/* Send the partial batch on its way now. */
void lfp_zone_rcu_flush(struct lfp_zone *z);
/* Wait for the batches in flight; destructors on the staged objects. */
void lfp_zone_rcu_fini(struct lfp_zone *z);
/*
 * fork() (fork.c's handlers): prepare first of all, parent last; in
 * the child, lfp_zone_rcu_fork_child() for each zone, then _child_all()
 * last, once every lock is released (it may start a call_rcu worker).
 */
void lfp_zone_rcu_fork_prepare(void);
void lfp_zone_rcu_fork_parent(void);
void lfp_zone_rcu_fork_child(struct lfp_zone *z);
void lfp_zone_rcu_fork_child_all(void);
/* Give cached memory back to the system (trim.c); LFP_TRIM_* flags. */
void lfp_zone_trim(struct lfp_zone *z, unsigned int flags);

/* At the byte budget: make room through the budget's reclaim hook. */
void lfp_zone_budget_reclaim(struct lfp_zone *z);
/* Cache misses and first use of a zone by a thread; errno / -errno set. */
void *lfp_zone_get_slow(struct lfp_zone *z);
int lfp_zone_put_slow(struct lfp_zone *z, void *obj);

/*
 * The hit paths are those of <lfpool/inline.h>, which callers inline too;
 * a miss goes to the slow path as a tail call.
 */
static inline void *
lfp_zone_get(struct lfp_zone *z)
{
	void *obj = lfp_fast_get(&z->fast);

	return lfp_likely(obj) ? obj : lfp_zone_get_slow(z);
}

static inline int
lfp_zone_put(struct lfp_zone *z, void *obj)
{
	if (lfp_likely(lfp_fast_put(&z->fast, obj)))
		return 0;
	return lfp_zone_put_slow(z, obj);
}

/* All @n, or none: 0 with errno set, what was taken given back. */
size_t lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n);
size_t lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n);

struct lfp_zone_stats {
	size_t size;
	unsigned int mag_rounds;
	uint64_t gets, puts, hits, depot_gets, depot_puts;
	uint64_t objects, depot_objs, ctor_failures;
	uint64_t in_use;                /* gets - puts (held by users) */
	uint64_t cached;                /* objects - in_use */
	uint64_t chunks, bytes, caches, magazines;
	uint64_t direct;                /* of gets and puts: with no cache */
	uint64_t deferred;              /* put_rcu objects not back yet */
	int cache_mode;
	unsigned int nnodes;            /* entries of node[] in use */
	struct lfp_node_stats node[LFP_NODES_MAX];
};
void lfp_zone_stats(struct lfp_zone *z, struct lfp_zone_stats *st);

#endif /* LFP_ZONE_H */
