/* SPDX-License-Identifier: MIT */
/*
 * pool.h - what object pools and buffer pools do alike with their zones:
 * set a zone up from one description, in the order its steps need, and
 * register it; check the attributes every pool has; and turn a zone's
 * statistics into the figures both kinds of pool report.
 */
#ifndef LFP_POOL_H
#define LFP_POOL_H

#include "registry.h"
#include "zone.h"

/* What a pool asks of one of its zones. */
struct lfp_zone_conf {
	size_t size, align;             /* already checked */
	unsigned int mag_rounds;        /* 0: chosen from the stride */
	lfp_ctor_fn ctor;
	lfp_dtor_fn dtor;
	void *arg;
	const void *owner;              /* the pool: its chunks carry it */
	const char *name;               /* the pool's (kept, not copied) */
	bool checked;                   /* asked by the pool; LFP_CHECKED=1
					 * in the environment asks too */
	bool sites;                     /* checked, with the caller of each
					 * get recorded; LFP_CHECKED=sites
					 * asks too */
	struct lfp_budget *budget;      /* the pool's byte budget */
	lfp_call_rcu_fn call_rcu;       /* NULL: liburcu-bp's */
	int placement;                  /* LFP_PLACE_* */
	unsigned int node;              /* LFP_PLACE_NODE's node */
	int cache_mode;                 /* lfp_cache_mode_resolve()'s */
};

/*
 * Set @z up and register it: lfp_zone_init(), the deferred puts' flavour,
 * the budget (EINVAL when it cannot hold one chunk), then the placement
 * (after the budget and checked flag, which the slabs of other nodes
 * copy), the cache mode, and last the registry. 0, or EINVAL, ENOMEM,
 * EAGAIN (no slot left); on failure @z is finished already.
 */
int lfp_zone_setup(struct lfp_zone *z, const struct lfp_zone_conf *conf);

/*
 * The list of every pool (lfp_stats_print_all()) is the registry's walk:
 * a pool stands in it through one of its zones (a buffer pool through
 * class 0's), marked with its kind once the pool is whole, so that a
 * walker that pins that zone finds every part of the pool set up; a
 * buffer pool's destroy removes all its zones before it frees any (so
 * a pin on class 0 keeps every class).
 */
enum lfp_pool_kind {
	LFP_POOL_NONE,                  /* not listed (yet), or another class */
	LFP_POOL_OBJ,                   /* the zone's owner is an lfp_objpool */
	LFP_POOL_BUF                    /* ... an lfp_bufpool */
};
/* Mark @z as standing for its whole pool (its owner), of @kind. */
void lfp_pool_list(struct lfp_zone *z, enum lfp_pool_kind kind);
/* What @z stands for: LFP_POOL_NONE, or its pool's kind. */
enum lfp_pool_kind lfp_pool_listed(struct lfp_zone *z);

/* The attributes every pool has, in range: @cache_mode LFP_CACHE_*,
 * @placement LFP_PLACE_*. */
bool lfp_pool_attr_ok(int cache_mode, int placement);

/*
 * The figures every pool reports of a zone (struct lfp_zone_stats), as
 * X(name in an object pool's statistics, name in a buffer pool class's,
 * name in the zone's statistics).
 */
#define LFP_POOL_FIGURES(X)						\
	X(size, size, size)						\
	X(mag_rounds, mag_rounds, mag_rounds)				\
	X(gets, allocs, gets)						\
	X(puts, frees, puts)						\
	X(hits, hits, hits)						\
	X(objects, buffers, objects)					\
	X(in_use, in_use, in_use)					\
	X(cached, cached, cached)					\
	X(depot_cached, depot_cached, depot_objs)			\
	X(chunks, chunks, chunks)					\
	X(bytes_reserved, bytes_reserved, bytes)

/*
 * A public stats struct of @own bytes at @src, copied to the caller's
 * @dst of @size bytes (the version it was built with): the first
 * min(@size, @own) bytes, and zeros in the rest of @size.
 */
void lfp_stats_copy(void *dst, size_t size, const void *src, size_t own);

#endif /* LFP_POOL_H */
