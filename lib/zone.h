/* SPDX-License-Identifier: MIT */
/*
 * zone.h - the engine every pool is built on. A zone serves objects of one
 * stride: caches (a loaded and a previous magazine each, owned by one
 * thread), in front of a lock-free depot of magazines, fed by a slab. An
 * object pool is one zone; a buffer pool will be one zone per size class.
 *
 * get:  pop the loaded magazine; if it is empty and the previous one is
 *       not, swap them; else exchange the empty one for a loaded magazine
 *       from the depot; else leave the cache and carve a batch from the
 *       slab (constructors run outside every cache and lock), hand one
 *       out and give the rest to the depot.
 * put:  push the loaded magazine; if it is full and the previous one is
 *       empty, swap; else hand the previous (full) one to the depot and
 *       take an empty magazine. A put never fails: with no magazine to be
 *       had it goes to the depot directly, or to the slab's spill.
 * Two magazines per cache (Bonwick's rule) guarantee at least `cap`
 * operations between two depot visits, whatever the get/put pattern.
 *
 * Caches come in two modes, chosen per zone at creation:
 *  - per-thread: each zone keeps a push-only list of the caches ever made
 *    for it. A thread claims a free cache (owner NULL) or makes one, uses
 *    it with no atomics, and releases it at exit. Caches are freed only by
 *    destroy, so the list can be walked (stats, destroy, fork) with no
 *    lock.
 *  - per-CPU (pcpu.h): one cache per CPU, its hit path a restartable
 *    sequence, its slow path under the CPU's lock word; a thread that
 *    finds the lock held exchanges single objects with the depot.
 * Both use the same struct lfp_cache and the same refill and drain.
 *
 * Synchronization table:
 *                 get/put    cache_claim  stats   destroy
 *   get/put       -          -            -       excl
 *   cache_claim   -          -            -       excl
 *   stats         -          -            -       excl
 * get/put on one cache are _local to its owner (enforced by ownership).
 */
#ifndef LFP_ZONE_H
#define LFP_ZONE_H

#include "depot.h"
#include "pcpu.h"
#include "slab.h"
#include "tcache.h"

#include <errno.h>

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

struct lfp_zone {
	/* Read-mostly part, shared by all threads. */
	uint64_t id;                    /* unique for the process's life */
	uint32_t slot;                  /* index in the registry */
	uint32_t cap;                   /* rounds per magazine */
	uint32_t carve_batch;           /* objects carved per slab visit */
	bool debug;                     /* slow path always: debug.h hooks */
	bool checked;                   /* checked mode (<lfpool/check.h>) */
	bool poison;                    /* fill cached objects (no ctor) */
	size_t size, align;
	const char *name;               /* the pool's, for reports */
	_Atomic(struct lfp_cache *) caches;
	lfp_counter_t ncaches;
	/* Per-CPU mode (pcpu == NULL in per-thread mode). */
	struct lfp_pcpu *pcpu;          /* hot parts, one per CPU */
	struct lfp_cache *pcpu_caches;  /* their cold parts */
	uint32_t ncpu;                  /* entries of both */
	uint32_t ncpu_fast;             /* ncpu, or 0: hit path off (debug) */
	lfp_counter_t direct_gets;      /* objects exchanged with the depot */
	lfp_counter_t direct_puts;      /* with no cache (lock held, none) */
	lfp_counter_t carve_gets;       /* objects handed out by a carve */
	/* Deferred puts (rcu.c). */
	pthread_mutex_t rcu_lock;
	struct lfp_rcu_batch *rcu_stage; /* under rcu_lock */
	lfp_call_rcu_fn rcu_call;
	lfp_counter_t rcu_pending;      /* objects waiting for a grace period */
	lfp_counter_t rcu_batches;      /* batches handed to call_rcu */
	lfp_counter_t rcu_puts;         /* objects back after one */
	struct lfp_depot depot;         /* node 0's, or the only one */
	struct lfp_slab slab;
	/* NUMA placement (numa.c). */
	uint32_t ndepots;               /* nodes with a depot: 1 or nnodes */
	uint32_t nnodes;                /* the topology's nodes */
	int placement;                  /* LFP_PLACE_* */
	_Atomic uint32_t rr;            /* interleave: the next chunk's node */
	struct lfp_node_extra *extra;   /* depot and slab of nodes 1.. */
	struct lfp_node_counters *nc;   /* [nnodes] */
};

struct lfp_node_extra {
	struct lfp_depot depot;
	struct lfp_slab slab;
};

/* Per-node counters, shared (magazine granularity). */
struct lfp_node_counters {
	lfp_counter_t bytes;            /* chunks placed on the node */
	lfp_counter_t local_gets;       /* objects into the node's caches, */
	lfp_counter_t remote_gets;      /* ... homed on it, or elsewhere */
	lfp_counter_t remote_frees;     /* freed there, sent to their home */
	lfp_counter_t bind_failures;    /* chunks left unbound */
} lfp_cacheline_aligned;

/* Depot and slab of node index @k (< z->ndepots). */
static inline struct lfp_depot *
lfp_zone_depot(struct lfp_zone *z, uint32_t k)
{
	return k ? &z->extra[k - 1].depot : &z->depot;
}

static inline struct lfp_slab *
lfp_zone_slab(struct lfp_zone *z, uint32_t k)
{
	return k ? &z->extra[k - 1].slab : &z->slab;
}

/* The depot index serving topology node @node. */
static inline uint32_t
lfp_zone_didx(struct lfp_zone *z, uint32_t node)
{
	return z->ndepots > 1 ? node : 0;
}

/*
 * NUMA (numa.c). lfp_zone_numa_init() after the zone's budget and checked
 * flag are set: @placement is LFP_PLACE_*, @node the fixed node's kernel
 * number. 0, or EINVAL (no such node), ENOMEM.
 */
int lfp_zone_numa_init(struct lfp_zone *z, int placement, unsigned int node);
/* The kernel's number of topology node @node (< the nodes pools use). */
unsigned int lfp_numa_node_os_index(uint32_t node);
void lfp_zone_numa_fini(struct lfp_zone *z);
/* The node whose caches the calling thread uses now. */
uint32_t lfp_zone_local_node(struct lfp_zone *z);
/* A loaded magazine for a cache of @node; NULL when the depots are dry. */
struct lfp_mag *lfp_zone_get_full(struct lfp_zone *z, uint32_t node,
				  bool steal);
/*
 * Hand loaded magazine @m, from a cache of @node, to the depots: objects
 * homed elsewhere go to their home node's depot, a magazine per node.
 */
void lfp_zone_put_full(struct lfp_zone *z, uint32_t node,
		       struct lfp_mag *m);
/* Carve for a thread on @node (lfp_slab_carve() of the right slab). */
size_t lfp_zone_carve(struct lfp_zone *z, uint32_t node, void **objs,
		      size_t n, int *err);
/* Count carved objects handed out on @node (stats; the rest are counted
 * when a cache takes them from the depot). */
void lfp_zone_count_carved(struct lfp_zone *z, uint32_t node,
			   void *const *objs, size_t n);
/* Slab hooks: the node of a new chunk (bound to it when possible). */
uint32_t lfp_zone_place_chunk(struct lfp_slab *s, void *base, size_t size);
void lfp_zone_chunk_gone(struct lfp_slab *s, uint32_t node, size_t size);

/*
 * Bytes of objects a magazine aims at, which bounds each cache to two
 * magazines' worth: 16 KiB for small objects, four objects for larger
 * ones, at most 1 MiB; between 1 and 64 rounds.
 */
#define LFP_MAG_BYTES ((size_t)16 << 10)
#define LFP_MAG_BYTES_MAX ((size_t)1 << 20)
#define LFP_MAG_ROUNDS_LARGE 4u
#define LFP_MAG_ROUNDS_AUTO_MAX 64u
/* Objects carved per slab visit, at most (they pass a local array). */
#define LFP_CARVE_MAX 64u

/*
 * Fill in @z for objects of @size bytes aligned to @align (already checked).
 * @cap 0 chooses the magazine size from the stride; @owner is the pool the
 * zone belongs to (its chunks carry it), @name its name (kept, not
 * copied), @checked asks for checked mode. The zone is not yet registered
 * (registry.h).
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
/* LFP_CACHE_AUTO of an attribute resolved: the environment, then rseq. */
int lfp_cache_mode_resolve(int attr_mode);
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
	struct lfp_tentry *r = lfp_tcache_recent_local(z->slot);

	if (lfp_likely(r->id == z->id))
		return r->cache;
	if (lfp_likely(z->slot < t->cap) &&
	    lfp_likely(t->map[z->slot].id == z->id)) {
		if (!z->debug)  /* debug zones stay off the fast path */
			*r = t->map[z->slot];
		return t->map[z->slot].cache;
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

/* Claim a free cache of @z or make one, for thread @owner. */
struct lfp_cache *lfp_zone_cache_claim(struct lfp_zone *z, void *owner);
/* Hand a cache's objects to the depot (best effort); with @release, also
 * give up ownership. */
void lfp_zone_cache_flush(struct lfp_zone *z, struct lfp_cache *c,
			  bool release);

/*
 * In a fork() child, for each zone: caches owned by threads other than
 * @self (which did not survive) are marked lost. Those threads may have
 * been anywhere in a get or put when fork() copied memory, so their
 * caches cannot be trusted: nobody claims them, destroy skips their
 * contents, and their objects count as in use.
 */
void lfp_zone_fork_child(struct lfp_zone *z, void *self);

/*
 * Slow paths: make the loaded magazine non-empty from the cache or the
 * depot (with @steal, other nodes' depots too; ENOENT when dry: refill
 * never carves), or non-full (ENOMEM when no empty magazine can be had).
 */
int lfp_zone_refill(struct lfp_zone *z, struct lfp_cache *c, bool steal);
int lfp_zone_drain(struct lfp_zone *z, struct lfp_cache *c);
/* Move the cache's non-empty magazines to the depot (best effort). */
void lfp_zone_cache_unload(struct lfp_zone *z, struct lfp_cache *c);
/* Destructors on the objects of a magazine that leaves for good. */
void lfp_zone_mag_dtor(struct lfp_zone *z, struct lfp_mag *m);
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

/*
 * The cache for a slow-path operation (pcpu.c): the thread's, or the
 * current CPU's with its lock taken (*pp set). Returns 0, ENOMEM, or
 * EAGAIN when the CPU's lock is held (then use the _direct calls).
 * lfp_zone_cache_leave() ends it. Nothing between the two runs a
 * constructor, carves, or waits for a lock.
 */
int lfp_zone_cache_enter(struct lfp_zone *z, struct lfp_cache **cp,
			 struct lfp_pcpu **pp);
void lfp_zone_cache_leave(struct lfp_zone *z, struct lfp_cache *c,
			  struct lfp_pcpu *p);
/*
 * With no cache (its CPU's lock is held, or no memory for a thread's
 * cache): one object from the depot (*err ENOENT when dry: no carving),
 * or one to its home depot. The put is raw (checked mode checked it
 * before) and never fails: with no magazine to be had, the object goes
 * to the slab's spill.
 */
void *lfp_zone_get_direct(struct lfp_zone *z, bool steal, int *err);
void lfp_zone_put_direct(struct lfp_zone *z, void *obj);
/* The bulk calls with no cache: whole magazines from / to the depot. */
size_t lfp_zone_get_bulk_direct(struct lfp_zone *z, void **objs, size_t n,
				bool steal);
void lfp_zone_put_bulk_direct(struct lfp_zone *z, void *const *objs,
			      size_t n);
/*
 * Hand every CPU's cached objects to the depot (per-CPU mode); with
 * @idle, only those of CPUs that made no get or put since the last call.
 */
void lfp_zone_pcpu_unload_all(struct lfp_zone *z, bool idle);
/*
 * Hand cached objects to the depot (trim.c): every CPU's cache, or the
 * caller's and free per-thread caches; with @idle, only idle CPUs'.
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
 * fork() (registry.c's handlers): prepare first of all, parent last; in
 * the child, lfp_zone_rcu_fork_child() for each zone, then _child_all()
 * last, once every lock is released (it may start a call_rcu worker).
 */
void lfp_zone_rcu_fork_prepare(void);
void lfp_zone_rcu_fork_parent(void);
void lfp_zone_rcu_fork_child(struct lfp_zone *z);
void lfp_zone_rcu_fork_child_all(void);
/* Give cached memory back to the system (trim.c); LFP_TRIM_* flags. */
void lfp_zone_trim(struct lfp_zone *z, unsigned int flags);
/* Per-CPU parts of lfp_zone_stats, fini and fork (pcpu.c). */
void lfp_zone_pcpu_fini(struct lfp_zone *z);
void lfp_zone_pcpu_fork_child(struct lfp_zone *z);

/* At the byte budget: make room through the budget's reclaim hook. */
void lfp_zone_budget_reclaim(struct lfp_zone *z);
/* Cache misses and first use of a zone by a thread; errno / -errno set. */
void *lfp_zone_get_slow(struct lfp_zone *z);
int lfp_zone_put_slow(struct lfp_zone *z, void *obj);

/*
 * The fast paths: a leaf function each, with the slow path as a tail call.
 * The counter is bumped after the magazine access so the compiler keeps
 * the magazine pointer in a register.
 */
/*
 * The thread's cache for @z on the fast path, or NULL: the recent entry
 * of its slot. An entry's cache is never NULL while its id matches a
 * zone (ids start at 1).
 */
static inline struct lfp_cache *
lfp_zone_cache_fast(struct lfp_zone *z)
{
	const struct lfp_tentry *r = lfp_tcache_recent_local(z->slot);

	return lfp_likely(r->id == z->id) ? r->cache : NULL;
}

static inline void *
lfp_zone_get(struct lfp_zone *z)
{
	struct lfp_cache *c;

	if (z->pcpu) {
		void *obj = lfp_pcpu_get_fast(z->pcpu, z->ncpu_fast);

		return lfp_likely(obj) ? obj : lfp_zone_get_slow(z);
	}
	c = lfp_zone_cache_fast(z);

	if (lfp_likely(c) && lfp_likely(c->n)) {
		void *obj = c->rounds[--c->n];

		lfp_counter_add(&c->gets, 1);
		return obj;
	}
	return lfp_zone_get_slow(z);
}

static inline int
lfp_zone_put(struct lfp_zone *z, void *obj)
{
	struct lfp_cache *c;

	if (z->pcpu) {
		if (lfp_likely(lfp_pcpu_put_fast(z->pcpu, z->ncpu_fast, obj)))
			return 0;
		return lfp_zone_put_slow(z, obj);
	}
	c = lfp_zone_cache_fast(z);

	if (lfp_likely(c) && lfp_likely(c->n < c->cap)) {

		c->rounds[c->n++] = obj;
		lfp_counter_add(&c->puts, 1);
		return 0;
	}
	return lfp_zone_put_slow(z, obj);
}

/* All @n, or none: 0 with errno set, what was taken given back. */
size_t lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n);
size_t lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n);

struct lfp_zone_stats {
	uint64_t gets, puts, hits, depot_gets, depot_puts;
	uint64_t objects, depot_objs, ctor_failures;
	uint64_t chunks, bytes, caches, magazines;
	uint64_t direct;                /* of gets and puts: with no cache */
	uint64_t deferred;              /* put_rcu objects not back yet */
	int cache_mode;
	unsigned int nnodes;            /* entries of node[] in use */
	struct lfp_node_stats node[LFP_NODES_MAX];
};
/* Counters of one cache; a per-CPU cache's fast-path part is folded in. */
void lfp_zone_cache_count(struct lfp_zone *z, struct lfp_cache *c,
			  struct lfp_zone_stats *st, uint64_t *misses);
void lfp_zone_stats(struct lfp_zone *z, struct lfp_zone_stats *st);

#endif /* LFP_ZONE_H */
