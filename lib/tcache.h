/* SPDX-License-Identifier: MIT */
/*
 * tcache.h - the calling thread's map from pools to its caches. Each
 * thread has a small array indexed by the zone's registry slot, holding
 * the zone's unique id and the thread's cache for it. A slot reused by a
 * new zone has a new id, so a stale entry never matches: a destroyed
 * pool's cache is never used for its successor.
 *
 * In front of the map sits a small direct-mapped copy of it, indexed by
 * the low bits of the slot, so that a buffer pool's classes (consecutive
 * slots) do not evict each other: no bounds check, no pointer to follow.
 *
 * The map is thread-local and only its thread reads or writes it
 * (_local); other threads reach caches through the zone's cache list.
 */
#ifndef LFP_TCACHE_H
#define LFP_TCACHE_H

#include "internal.h"

struct lfp_cache;
struct lfp_zone;

struct lfp_tentry {
	uint64_t id;
	struct lfp_cache *cache;
};

#define LFP_TCACHE_RECENT 8              /* a power of two */

struct lfp_tcache {
	struct lfp_tentry recent[LFP_TCACHE_RECENT];
	uint32_t cap;                   /* entries in map */
	bool keyed;                     /* exit destructor armed */
	struct lfp_tentry *map;
};

extern __thread struct lfp_tcache lfp_tcache_self
	__attribute__((tls_model("initial-exec")));

static inline struct lfp_tentry *
lfp_tcache_recent_local(uint32_t slot)
{
	return &lfp_tcache_self.recent[slot & (LFP_TCACHE_RECENT - 1)];
}


/* Slow path of lfp_zone_cache(): map the zone for this thread. */
struct lfp_cache *lfp_tcache_attach(struct lfp_zone *z);

#endif /* LFP_TCACHE_H */
