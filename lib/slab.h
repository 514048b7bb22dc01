/* SPDX-License-Identifier: MIT */
/*
 * slab.h - the slab layer of a pool: chunks mapped from the operating
 * system, aligned to their (power-of-two) size, carved into objects of one
 * stride from their first byte (so an object whose stride is a power of
 * two is aligned to it). Chunk headers live apart from the chunks, and
 * every chunk is entered in the chunk map (chunkmap.h), so the slab that
 * owns any address is found from the address alone. Each object is constructed exactly once, when it is carved, and
 * destructed once, when its chunk goes back to the system.
 *
 * The slab is the pool's rare path: it runs only when the pool grows by a
 * batch of objects. Its bump pointer, chunk list and list of raw objects
 * (carved, but whose constructor failed) sit under one mutex, held only
 * for pointer arithmetic and mmap, never across a constructor call. The
 * hot paths (caches) and the depot never take it; fork() handling does
 * (lfp_slab_lock_all in thread.c via the registry).
 *
 * Synchronization table:
 *               carve   destroy
 *   carve       -       excl
 *   destroy     excl    excl
 */
#ifndef LFP_SLAB_H
#define LFP_SLAB_H

#include "internal.h"
#include "atomic.h"

#include <pthread.h>

#include <lfpool/objpool.h>

/*
 * A chunk's header, kept in bookkeeping memory. An address lookup
 * (chunkmap.h) reads only this line: owner and stride are copies.
 */
struct lfp_chunk {
	char *base;
	const void *owner;
	size_t stride;
	struct lfp_slab *slab;
	size_t size;
	struct lfp_chunk *next;
	_Atomic uint64_t *inuse;        /* checked mode: a bit per object */
};

struct lfp_slab {
	pthread_mutex_t lock;
	struct lfp_chunk *chunks;       /* under lock */
	char *cur, *end;                /* bump area; under lock */
	void *raw;                      /* unconstructed objects; under lock */
	size_t stride;
	size_t chunk_size;              /* power of two */
	const void *owner;              /* the pool, for address checks */
	bool checked;                   /* chunks get an inuse bitmap */
	lfp_ctor_fn ctor;
	lfp_dtor_fn dtor;
	void *arg;
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
 * Carve up to @n constructed objects into @objs. Returns how many; when
 * that is 0, *err is ENOMEM or the constructor's error.
 */
size_t lfp_slab_carve(struct lfp_slab *s, void **objs, size_t n, int *err);

/* Run the destructor on one object the pool holds. */
static inline void
lfp_slab_dtor(struct lfp_slab *s, void *obj)
{
	if (s->dtor)
		s->dtor(obj, s->arg);
}

/* Give every chunk back. The caller ran the destructors already. */
void lfp_slab_fini(struct lfp_slab *s);

#endif /* LFP_SLAB_H */
