/* SPDX-License-Identifier: MIT */
/*
 * chunkmap.c - the address-to-chunk radix map; see chunkmap.h.
 */
#include "chunkmap.h"

#include <errno.h>

#define ADDR_BITS LFP_CHUNKMAP_ADDR_BITS
#define LEAF_BITS LFP_CHUNKMAP_LEAF_BITS
#define LEAF_SIZE ((size_t)1 << LEAF_BITS)
#define top lfp_chunkmap_top

typedef struct lfp_chunkmap_leaf leaf_t;

_Atomic(leaf_t *) lfp_chunkmap_top[(size_t)1 << LFP_CHUNKMAP_TOP_BITS];
static lfp_counter_t leaves;    /* leaves installed (statistics only) */

uint64_t
lfp_chunkmap_leaves(void)
{
	return lfp_counter_read(&leaves);
}

static leaf_t *
leaf_of(uintptr_t a, bool create)
{
	size_t t = (size_t)(a >> (LFP_CHUNKMAP_GRANULE_SHIFT + LEAF_BITS));
	/* Acquire: pairs with the release CAS installing the leaf below. */
	leaf_t *leaf = atomic_load_explicit(&top[t], memory_order_acquire);
	leaf_t *expected = NULL;

	if (leaf || !create)
		return leaf;
	leaf = lfp_os_map(sizeof(leaf_t), 0);
	if (!leaf)
		return NULL;
	/*
	 * Release: pairs with the acquire load above (a fresh mapping reads
	 * as zeros, i.e. NULL chunks). Acquire on failure: use the winner's.
	 */
	if (!atomic_compare_exchange_strong_explicit(&top[t], &expected, leaf,
						     memory_order_release,
						     memory_order_acquire)) {
		lfp_os_unmap(leaf, sizeof(leaf_t));
		leaf = expected;
	} else {
		lfp_shared_add(&leaves, 1);
	}
	return leaf;
}

static void
map_range(void *base, size_t size, struct lfp_chunk *c)
{
	uintptr_t a = (uintptr_t)base, end = a + size;

	for (; a < end; a += (uintptr_t)1 << LFP_CHUNKMAP_GRANULE_SHIFT) {
		leaf_t *leaf = leaf_of(a, false);

		/* Relaxed: see the ordering rule in chunkmap.h. */
		atomic_store_explicit(&leaf->e[(a >> LFP_CHUNKMAP_GRANULE_SHIFT) &
					    (LEAF_SIZE - 1)],
				      c, memory_order_relaxed);
	}
}

int
lfp_chunkmap_set(void *base, size_t size, struct lfp_chunk *c)
{
	uintptr_t a = (uintptr_t)base, end = a + size;

	/* Outside the map (its last byte at or past 2^48): not for us. */
	if (!size || end < a || (end - 1) >> ADDR_BITS)
		return ENOMEM;
	/* Make every leaf first, so failure leaves nothing half set. */
	for (; a < end; a += (uintptr_t)1 << (LFP_CHUNKMAP_GRANULE_SHIFT + LEAF_BITS)) {
		if (!leaf_of(a, true))
			return ENOMEM;
	}
	if (!leaf_of(end - 1, true))
		return ENOMEM;
	map_range(base, size, c);
	return 0;
}

void
lfp_chunkmap_clear(void *base, size_t size)
{
	map_range(base, size, NULL);
}
