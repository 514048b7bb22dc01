/* SPDX-License-Identifier: MIT */
/*
 * slab.h - the slab layer of a pool: chunks of a power-of-two size mapped
 * from the operating system, aligned to a chunk-map granule (64 KiB) or
 * their size if smaller, carved into objects of one stride from their
 * first byte (so an object whose stride is a power of two is aligned to
 * it up to 64 KiB). Chunk headers live apart from the chunks, and
 * every chunk is entered in the chunk map (chunkmap.h), so the slab that
 * owns any address is found from the address alone. Each object is constructed exactly once, when it is carved, and
 * destructed once, when its chunk goes back to the system.
 *
 * The slab is the pool's rare path: it runs only when the pool grows by a
 * batch of objects. Its bump pointer, chunk list and list of raw objects
 * (carved, but whose constructor failed) sit under one mutex, held only
 * for pointer arithmetic and mmap, never across a constructor call. The
 * hot paths (caches) and the depot never take it; fork() handling does
 * (fork.c). A thread that already holds one of the library's locks
 * (a signal handler that interrupted it) only tries it: see
 * lfp_locks_held.
 *
 * Synchronization table:
 *               carve   destroy
 *   carve       -       excl
 *   destroy     excl    excl
 */
#ifndef LFP_SLAB_H
#define LFP_SLAB_H

#include "chunkmap.h"
#include "numa.h"

#include <pthread.h>

#include <lfpool/objpool.h>

struct lfp_zone;

/*
 * A byte budget: the most chunk memory a pool (all classes of a buffer
 * pool together) may hold from the system. A chunk reserves its size
 * before it is mapped and gives it back when unmapped. When the budget
 * refuses a chunk, the slab says EDQUOT (never seen by users: the zone
 * reclaims through @reclaim, then reports ENOMEM).
 */
struct lfp_budget {
	size_t limit;                   /* 0: none */
	_Atomic size_t used;
	void (*reclaim)(void *arg, struct lfp_zone *z);
	void *arg;
};

struct lfp_slab {
	pthread_mutex_t lock;
	struct lfp_chunk *chunks;       /* under lock; the first is bumped */
	struct lfp_chunk *spare;        /* headers of released chunks */
	char *cur, *end;                /* bump area; under lock */
	void *raw;                      /* unconstructed objects; under lock */
	size_t stride;
	size_t chunk_size;              /* power of two */
	struct lfp_budget *budget;      /* NULL: none */
	struct lfp_place *place;        /* the zone's placement (numa.h) */
	struct lfp_zone *zone;          /* the zone it serves, for lookups
					 * from an address (chunk, slab,
					 * zone); never used here */
	int node;                       /* chunks' node; -1: interleave */
	bool checked;                   /* chunks get an inuse bitmap */
	const void *owner;              /* the pool, for address checks */
	lfp_ctor_fn ctor;
	lfp_dtor_fn dtor;
	void *arg;
	lfp_counter_t spilled;          /* objects in the spill bitmaps */
	lfp_counter_t objects;          /* constructed objects */
	lfp_counter_t ctor_failures;
	lfp_counter_t nchunks;
	lfp_counter_t bytes;
};

/* Layout for objects of @stride bytes (a multiple of their alignment,
 * which is at most the page size); @owner tags the chunks. */
void lfp_slab_init(struct lfp_slab *s, size_t stride, const void *owner,
		   lfp_ctor_fn ctor, lfp_dtor_fn dtor, void *arg);

/*
 * Carve up to @n constructed objects into @objs: spilled objects first,
 * then new ones. Returns how many; when that is 0, *err is ENOMEM, EDQUOT
 * (the budget refused a chunk), EAGAIN (the lock was busy and the caller
 * may not wait: lfp_locks_held) or the constructor's error. Constructors
 * run with no lock held.
 */
size_t lfp_slab_carve(struct lfp_slab *s, void **objs, size_t n, int *err);

/* Run the destructor on one object the pool holds. */
static inline void
lfp_slab_dtor(struct lfp_slab *s, void *obj)
{
	if (s->dtor)
		s->dtor(obj, s->arg);
}

/*
 * Trim: of the @n constructed objects in @objs, all in the caller's hands,
 * find those whose chunk has no other object out of the slab. Those chunks
 * leave the slab (nothing more is carved from them); their objects are
 * moved to objs[ret..n), the others to objs[0..ret), and the chunks are
 * chained on *dead, for lfp_slab_free_chunks() once the caller ran the
 * destructors.
 */
size_t lfp_slab_reclaim(struct lfp_slab *s, void **objs, size_t n,
			struct lfp_chunk **dead);
/* Give the chunks of lfp_slab_reclaim() back to the system. */
void lfp_slab_free_chunks(struct lfp_slab *s, struct lfp_chunk *dead);

/*
 * The spill: where a put goes when no magazine can be had (the system
 * refused memory for one), so that a put of the pool's own object never
 * fails. Each chunk has, from its birth, a bitmap with a bit per object;
 * lfp_slab_spill() sets the object's bit (lock-free, no memory needed),
 * lfp_slab_unspill() takes up to @n spilled objects back into @objs
 * (under the slab lock), for a cache that found the depot dry. Spilled
 * objects stay out of the slab (a trim never frees their chunk) and get
 * their destructor at destroy (lfp_zone_fini()).
 */
void lfp_slab_spill(void *obj);
size_t lfp_slab_unspill(struct lfp_slab *s, void **objs, size_t n);

/* Give every chunk back. The caller ran the destructors already. */
void lfp_slab_fini(struct lfp_slab *s);

/*
 * fork(): take the slab's mutex before, release it after (in the parent
 * and in the child), so that the child finds it free and the slab whole.
 */
void lfp_slab_fork_lock(struct lfp_slab *s);
void lfp_slab_fork_unlock(struct lfp_slab *s);

#endif /* LFP_SLAB_H */
