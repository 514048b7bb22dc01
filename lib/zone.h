/* SPDX-License-Identifier: MIT */
/*
 * zone.h - the engine every pool is built on. A zone serves objects of one
 * stride: caches (a loaded and a previous magazine each, owned by one
 * thread), in front of a lock-free depot of magazines, fed by a slab. An
 * object pool is one zone; a buffer pool will be one zone per size class.
 *
 * get:  pop the loaded magazine; if it is empty and the previous one is
 *       not, swap them; else exchange the empty one for a loaded magazine
 *       from the depot; else carve a batch from the slab.
 * put:  push the loaded magazine; if it is full and the previous one is
 *       empty, swap; else hand the previous (full) one to the depot and
 *       take an empty magazine.
 * Two magazines per cache (Bonwick's rule) guarantee at least `cap`
 * operations between two depot visits, whatever the get/put pattern.
 *
 * Caches: each zone keeps a push-only list of the caches ever made for it.
 * A thread claims a free cache (owner NULL) or makes one, uses it with no
 * atomics, and releases it at exit. Caches are freed only by destroy, so
 * the list can be walked (stats, destroy, fork) with no lock.
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
	struct lfp_depot depot;
	struct lfp_slab slab;
};

/*
 * Bytes of objects a magazine aims at, which bounds each cache to two
 * magazines' worth: 16 KiB for small objects, four objects for larger
 * ones, at most 1 MiB; between 1 and 64 rounds.
 */
#define LFP_MAG_BYTES ((size_t)16 << 10)
#define LFP_MAG_BYTES_MAX ((size_t)1 << 20)
#define LFP_MAG_ROUNDS_LARGE 4u
#define LFP_MAG_ROUNDS_AUTO_MAX 64u

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

/* Slow paths: make the loaded magazine non-empty / non-full. */
int lfp_zone_refill(struct lfp_zone *z, struct lfp_cache *c);
int lfp_zone_drain(struct lfp_zone *z, struct lfp_cache *c);

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
	struct lfp_cache *c = lfp_zone_cache_fast(z);

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
	struct lfp_cache *c = lfp_zone_cache_fast(z);

	if (lfp_likely(c) && lfp_likely(c->n < c->cap)) {

		c->rounds[c->n++] = obj;
		lfp_counter_add(&c->puts, 1);
		return 0;
	}
	return lfp_zone_put_slow(z, obj);
}

size_t lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n);
size_t lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n);

struct lfp_zone_stats {
	uint64_t gets, puts, hits, depot_gets, depot_puts;
	uint64_t objects, depot_objs, ctor_failures;
	uint64_t chunks, bytes, caches, magazines;
};
void lfp_zone_stats(struct lfp_zone *z, struct lfp_zone_stats *st);

#endif /* LFP_ZONE_H */
