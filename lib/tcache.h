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

/*
 * The recent entries are the public lfp_fast_tls (<lfpool/inline.h>),
 * which the inline hit path of callers reads: an entry names a cache by
 * its hot part (struct lfp_fast_cache, which starts struct lfp_cache:
 * cache.h). The map is the library's own.
 */
struct lfp_tcache {
	uint32_t cap;                   /* entries in map */
	bool keyed;                     /* exit destructor armed */
	struct lfp_tentry *map;
};

extern __thread struct lfp_tcache lfp_tcache_self
	__attribute__((tls_model("initial-exec")));

static inline struct lfp_fast_entry *
lfp_tcache_recent_local(uint32_t slot)
{
	return &lfp_fast_tls.recent[slot & (LFP_FAST_RECENT - 1)];
}

/* Make the recent entry of @slot name map entry @e. */
static inline void
lfp_tcache_set_recent_local(uint32_t slot, const struct lfp_tentry *e)
{
	struct lfp_fast_entry *r = lfp_tcache_recent_local(slot);

	r->id = e->id;
	r->cache = (struct lfp_fast_cache *)(void *)e->cache;
}


/* Slow path of lfp_zone_cache(): map the zone for this thread. */
struct lfp_cache *lfp_tcache_attach(struct lfp_zone *z);

#endif /* LFP_TCACHE_H */
