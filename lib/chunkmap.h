/* SPDX-License-Identifier: MIT */
/*
 * chunkmap.h - the process-wide map from an address to the chunk that
 * holds it: a two-level radix table over 48-bit addresses in 64 KiB
 * granules (every chunk is aligned to at least a granule). It lets a
 * buffer pool find a buffer's class from its address alone, and tells
 * foreign pointers apart from the library's own.
 *
 * The top level is static (2^16 pointers); a leaf (2^16 chunk pointers,
 * 512 KiB of address space mapped lazily by the kernel) is mapped the first
 * time a chunk lands in its 4 GiB region and installed with a CAS; leaves
 * are never freed, so a lookup needs no protection.
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

struct lfp_chunk;

#define LFP_CHUNKMAP_GRANULE_SHIFT 16

/* Map every granule of [base, base + size) to @c. 0, or ENOMEM. */
int lfp_chunkmap_set(void *base, size_t size, struct lfp_chunk *c);
/* Forget [base, base + size). */
void lfp_chunkmap_clear(void *base, size_t size);
/* The chunk holding @p, or NULL. */
struct lfp_chunk *lfp_chunkmap_get(const void *p);

#endif /* LFP_CHUNKMAP_H */
