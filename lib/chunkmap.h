/* SPDX-License-Identifier: MIT */
/*
 * chunkmap.h - the process-wide map from an address to the chunk that
 * holds it: a two-level radix table over 48-bit addresses in 64 KiB
 * granules (every chunk is aligned to at least a granule). It lets a
 * buffer pool find a buffer's class from its address alone, and tells
 * foreign pointers apart from the library's own. The chunk headers are
 * defined here: the map holds them; the slab (slab.h) fills them.
 *
 * The top level is static (2^16 pointers); a leaf (2^16 chunk pointers:
 * 512 KiB of memory, which the kernel backs lazily, covering 4 GiB of
 * address space) is mapped the first time a chunk lands in its 4 GiB
 * region and installed with a CAS; leaves are never freed, so a lookup
 * needs no protection.
 *
 * Synchronization table:
 *            set    clear  get
 *   set      -      -      -
 *   clear    -      -      -
 *   get      -      -      -
 * set and clear of one chunk are ordered by its owner (a slab); get of an
 * address inside a chunk is ordered after that chunk's set by whatever
 * handed the address to the caller (the depot, a cache, the user).
 */
#ifndef LFP_CHUNKMAP_H
#define LFP_CHUNKMAP_H

#include "internal.h"
#include "atomic.h"

struct lfp_slab;

/*
 * A chunk's header, kept in bookkeeping memory (the slab fills it,
 * slab.h). An address lookup reads only this line: owner and stride are
 * copies.
 */
struct lfp_chunk {
	char *base;
	const void *owner;
	size_t stride;
	struct lfp_slab *slab;
	_Atomic size_t carved;          /* bytes from base carved so far */
	size_t size;
	struct lfp_chunk *next;
	_Atomic uint64_t *inuse;        /* checked mode: a bit per object */
	_Atomic(_Atomic uintptr_t *) sites; /* checked mode with sites: the
					 * code that got each object (debug.c
					 * makes it, the slab frees it) */
	_Atomic uint64_t *spill;        /* a bit per object put without a
					 * magazine (lfp_slab_spill()) */
	uint32_t node;                  /* home: the node it was placed on */
	size_t nout;                    /* objects out of the slab; under lock */
	size_t ntrim;                   /* of those, in a trim's hands */
};

#define LFP_CHUNKMAP_GRANULE_SHIFT 16
#define LFP_CHUNKMAP_ADDR_BITS 48
#define LFP_CHUNKMAP_LEAF_BITS 16
#define LFP_CHUNKMAP_TOP_BITS (LFP_CHUNKMAP_ADDR_BITS - \
			       LFP_CHUNKMAP_GRANULE_SHIFT - LFP_CHUNKMAP_LEAF_BITS)

struct lfp_chunkmap_leaf {
	_Atomic(struct lfp_chunk *) e[(size_t)1 << LFP_CHUNKMAP_LEAF_BITS];
};
extern _Atomic(struct lfp_chunkmap_leaf *)
	lfp_chunkmap_top[(size_t)1 << LFP_CHUNKMAP_TOP_BITS];

/*
 * Leaves mapped so far. They stay for the process's life (they are among
 * lfp_os_live_maps()); where they go depends on where chunks land.
 */
uint64_t lfp_chunkmap_leaves(void);
/* Map every granule of [base, base + size) to @c. 0, or ENOMEM. */
int lfp_chunkmap_set(void *base, size_t size, struct lfp_chunk *c);
/* Forget [base, base + size). */
void lfp_chunkmap_clear(void *base, size_t size);

/* The chunk holding @p, or NULL. Inline: every buffer free asks. */
static inline struct lfp_chunk *
lfp_chunkmap_get(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct lfp_chunkmap_leaf *leaf;

	if (lfp_unlikely(a >> LFP_CHUNKMAP_ADDR_BITS))
		return NULL;
	/* Acquire: pairs with the release CAS installing the leaf. */
	leaf = atomic_load_explicit(&lfp_chunkmap_top[a >> (LFP_CHUNKMAP_GRANULE_SHIFT +
							   LFP_CHUNKMAP_LEAF_BITS)],
				    memory_order_acquire);
	if (lfp_unlikely(!leaf))
		return NULL;
	/* Relaxed: see the ordering rule above. */
	return atomic_load_explicit(&leaf->e[(a >> LFP_CHUNKMAP_GRANULE_SHIFT) &
					  (((uintptr_t)1 << LFP_CHUNKMAP_LEAF_BITS) - 1)],
				    memory_order_relaxed);
}

/*
 * Whether @p, inside chunk @c, lies in the part carved so far: an address
 * past it was never handed out. Exact for every address the caller was
 * handed (carving happened before, in its view).
 */
static inline bool
lfp_chunk_carved(const struct lfp_chunk *c, const void *p)
{
	return (size_t)((const char *)p - c->base) <
	       atomic_load_explicit(&((struct lfp_chunk *)c)->carved,
				    memory_order_relaxed);
}

#endif /* LFP_CHUNKMAP_H */
