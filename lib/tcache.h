/* SPDX-License-Identifier: MIT */
/*
 * tcache.h - the calling thread's map from pools to its caches. Each
 * thread has a small array indexed by the zone's registry slot, holding
 * the zone's unique id and the thread's cache for it. A slot reused by a
 * new zone has a new id, so a stale entry never matches: a destroyed
 * pool's cache is never used for its successor.
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

struct lfp_tcache {
	uint64_t last_id;               /* the zone used last, and its cache */
	struct lfp_cache *last;
	uint32_t cap;                   /* entries in map */
	bool keyed;                     /* exit destructor armed */
	struct lfp_tentry *map;
};

extern __thread struct lfp_tcache lfp_tcache_self
	__attribute__((tls_model("initial-exec")));

/* Slow path of lfp_zone_cache(): map the zone for this thread. */
struct lfp_cache *lfp_tcache_attach(struct lfp_zone *z);

#endif /* LFP_TCACHE_H */
