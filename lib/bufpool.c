/* SPDX-License-Identifier: MIT */
/*
 * bufpool.c - power-of-two buffer pools: one zone of the engine per size
 * class, a class chosen from the size on alloc and found from the address
 * on free (the chunk map knows the chunk, the chunk its slab, the slab its
 * zone). Nothing here is a second allocator: each class is exactly an
 * object pool without constructor.
 */
#include "debug.h"
#include "chunkmap.h"
#include "pool.h"
#include "statsenv.h"

#include <string.h>

#include <lfpool/bufpool.h>

struct lfp_bufpool {
	/* What the inline alloc reads (<lfpool/inline.h>): kmin, nclasses,
	 * max_size, and class 0's zone and the zones' stride. */
	struct lfp_fast_bufpool fast;
	bool checked;
	int cache_mode;                 /* resolved: per-CPU or per-thread */
	char *name;
	struct lfp_budget budget;       /* shared by every class */
	struct lfp_zone zones[];        /* class kmin + i in zones[i] */
};

/* The inline alloc reads a buffer pool as its struct lfp_fast_bufpool. */
_Static_assert(offsetof(struct lfp_bufpool, fast) == 0,
	       "a buffer pool must start with its fast part");

static unsigned int
lg2(size_t x)
{
	return 63 - (unsigned int)__builtin_clzll(x);
}

/*
 * At the budget, for class @z: other caches of the class come back to its
 * depot, and the other classes give their cached chunks to the system.
 */
static void
bufpool_reclaim(void *arg, struct lfp_zone *z)
{
	struct lfp_bufpool *bp = arg;

	lfp_zone_unload_caches(z, false);
	for (unsigned int i = 0; i < bp->fast.nclasses; i++)
		if (&bp->zones[i] != z)
			lfp_zone_trim(&bp->zones[i], LFP_TRIM_CACHES);
}

_Static_assert(LFP_BUFPOOL_SIZE_MIN_DEFAULT == LFP_CACHELINE,
	       "the default smallest class is the line the library pads to");

/* The default largest class, for max_size 0. */
#define BUFPOOL_MAX_DEFAULT ((size_t)256 << 10)

int
lfp_bufpool_attr_init(struct lfp_bufpool_attr *attr)
{
	if (!attr)
		return -EINVAL;
	memset(attr, 0, sizeof(*attr));
	attr->min_size = LFP_BUFPOOL_SIZE_MIN_DEFAULT;
	attr->max_size = BUFPOOL_MAX_DEFAULT;
	return 0;
}

static void
bufpool_free_all(struct lfp_bufpool *bp, unsigned int registered)
{
	for (unsigned int i = 0; i < registered; i++)
		lfp_registry_remove(bp->zones[i].fast.slot);
	if (registered)
		lfp_registry_sync();
	for (unsigned int i = 0; i < registered; i++) {
		lfp_registry_free_slot(bp->zones[i].fast.slot);
		lfp_zone_fini(&bp->zones[i]);
	}
	lfp_meta_free(bp->name);
	lfp_meta_free(bp);
}

struct lfp_bufpool *
lfp_bufpool_create(const struct lfp_bufpool_attr *attr)
{
	struct lfp_bufpool *bp;
	const char *name;
	unsigned int n, i;
	size_t min_size, max_size;
	int err;

	if (!attr) {
		errno = EINVAL;
		return NULL;
	}
	/* A zero size is its default; see bufpool.h. */
	min_size = attr->min_size ? attr->min_size :
		   attr->max_size ? LFP_MIN(LFP_BUFPOOL_SIZE_MIN_DEFAULT,
					    attr->max_size) :
		   LFP_BUFPOOL_SIZE_MIN_DEFAULT;
	max_size = attr->max_size ? attr->max_size :
		   LFP_MAX(min_size, BUFPOOL_MAX_DEFAULT);
	if (!lfp_is_pow2(min_size) || !lfp_is_pow2(max_size) ||
	    min_size < LFP_BUFPOOL_SIZE_MIN || min_size > max_size ||
	    max_size > LFP_BUFPOOL_SIZE_MAX ||
	    !lfp_reserved_zero(attr->reserved, sizeof(attr->reserved) /
			       sizeof(attr->reserved[0])) ||
	    (attr->flags & ~(LFP_BUFPOOL_F_CHECKED | LFP_BUFPOOL_F_SITES)) ||
	    !lfp_pool_attr_ok(attr->cache_mode, attr->placement)) {
		errno = EINVAL;
		return NULL;
	}
	n = lg2(max_size) - lg2(min_size) + 1;
	name = attr->name ? attr->name : "";
	bp = lfp_meta_alloc(sizeof(*bp) + n * sizeof(bp->zones[0]));
	if (!bp)
		return NULL;
	bp->name = lfp_meta_alloc(strlen(name) + 1);
	if (!bp->name) {
		lfp_meta_free(bp);
		return NULL;
	}
	strcpy(bp->name, name);
	bp->fast.kmin = lg2(min_size);
	bp->fast.nclasses = n;
	bp->fast.max_size = max_size;
	bp->fast.stride = sizeof(bp->zones[0]);
	bp->fast.cls = &bp->zones[0].fast;
	bp->checked = (attr->flags & (LFP_BUFPOOL_F_CHECKED |
				      LFP_BUFPOOL_F_SITES)) || lfp_check_env();
	bp->cache_mode = lfp_cache_mode_resolve(attr->cache_mode);
	bp->budget.limit = attr->max_bytes;
	bp->budget.reclaim = bufpool_reclaim;
	bp->budget.arg = bp;
	for (i = 0; i < n; i++) {
		size_t size = (size_t)1 << (bp->fast.kmin + i);

		/* Aligned to the capacity up to a page (bufpool.h), so a
		 * class's stride is its size; its magazines aim at
		 * LFP_MAG_BYTES_BUF (zone.h). */
		err = lfp_zone_setup(&bp->zones[i], &(struct lfp_zone_conf){
			.size = size, .align = LFP_MIN(size, lfp_os_page_size()),
			.mag_rounds = lfp_mag_rounds_auto(size,
							  LFP_MAG_BYTES_BUF),
			.owner = bp, .name = bp->name, .checked = bp->checked,
			.sites = attr->flags & LFP_BUFPOOL_F_SITES,
			.budget = &bp->budget, .call_rcu = attr->call_rcu_fn,
			.placement = attr->placement, .node = attr->node,
			.cache_mode = bp->cache_mode,
		});
		if (err) {
			bufpool_free_all(bp, i);
			errno = err;
			return NULL;
		}
	}
	lfp_pool_list(&bp->zones[0], LFP_POOL_BUF);
	lfp_stats_at_exit_init();
	return bp;
}

int
lfp_bufpool_destroy(struct lfp_bufpool *bp)
{
	if (!bp)
		return 0;
	LFP_KEEP_ERRNO(
		if (bp->checked)
			lfp_check_leaks(bp->zones, bp->fast.nclasses, bp->name,
					"buffers", "freed");
		bufpool_free_all(bp, bp->fast.nclasses)
	);
	return 0;
}

/*
 * The class zone for buffers of @n bytes: 2^ceil(lg n), at least the
 * smallest class; NULL with errno set when there is none.
 */
static inline struct lfp_zone *
bufpool_class(struct lfp_bufpool *bp, size_t n)
{
	if (lfp_unlikely(!bp)) {
		errno = EINVAL;
		return NULL;
	}
	if (lfp_unlikely(n > bp->fast.max_size)) {
		errno = E2BIG;
		return NULL;
	}
	return &bp->zones[lfp_fast_buf_class(&bp->fast, n)];
}

void *
lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n)
{
	struct lfp_zone *z = bufpool_class(bp, n);

	if (lfp_unlikely(!z))
		return NULL;
	if (lfp_unlikely(z->sites))
		return lfp_check_get_at(z, __builtin_return_address(0));
	/* lfp_zone_get() runs the hit path of the inline alloc. */
	return lfp_zone_get(z);
}

size_t
lfp_bufpool_alloc_bulk(struct lfp_bufpool *bp, size_t size, void **bufs,
		       size_t n)
{
	struct lfp_zone *z = bufpool_class(bp, size);

	if (!z)
		return 0;
	if (!bufs && n) {
		errno = EINVAL;
		return 0;
	}
	if (lfp_unlikely(z->sites))
		return lfp_check_get_bulk_at(z, bufs, n,
					     __builtin_return_address(0));
	return lfp_zone_get_bulk(z, bufs, n);
}

/*
 * The class zone of @bp holding buffer @buf, or NULL if it is not one
 * (reported as misuse when @report and the pool is checked).
 */
static struct lfp_zone *
bufpool_zone_of(struct lfp_bufpool *bp, const void *buf, bool report)
{
	struct lfp_chunk *c = lfp_chunkmap_get(buf);

	if (lfp_unlikely(!c) || lfp_unlikely(c->owner != bp)) {
		if (report && bp->checked)
			lfp_misuse(bp->name, LFP_MISUSE_FOREIGN, buf);
		return NULL;
	}
	/* Strides are powers of two; a buffer starts on a multiple. */
	if (lfp_unlikely(((const char *)buf - c->base) & (c->stride - 1))) {
		if (report && bp->checked)
			lfp_misuse(bp->name, LFP_MISUSE_INTERIOR, buf);
		return NULL;
	}
	/* Past the carve point: never handed out. */
	if (lfp_unlikely(!lfp_chunk_carved(c, buf))) {
		if (report && bp->checked)
			lfp_misuse(bp->name, LFP_MISUSE_FOREIGN, buf);
		return NULL;
	}
	return c->slab->zone;
}

int
lfp_bufpool_free(struct lfp_bufpool *bp, void *buf)
{
	struct lfp_zone *z;

	if (lfp_unlikely(!bp))
		return -EINVAL;
	if (lfp_unlikely(!buf))
		return 0;
	z = bufpool_zone_of(bp, buf, true);
	if (lfp_unlikely(!z))
		return -EINVAL;
	return lfp_zone_put(z, buf);
}

size_t
lfp_bufpool_free_bulk(struct lfp_bufpool *bp, void *const *bufs, size_t n)
{
	size_t i = 0;

	if (!bp || (!bufs && n)) {
		errno = EINVAL;
		return 0;
	}
	while (i < n) {
		struct lfp_zone *z = NULL, *zj = NULL;
		size_t j, len, done;

		/* A run of buffers of one class (NULL entries ride along). */
		for (j = i; j < n; j++) {
			if (!bufs[j])
				continue;
			zj = bufpool_zone_of(bp, bufs[j], true);
			if (!zj || (z && zj != z))
				break;
			z = zj;
		}
		len = j - i;
		done = z ? lfp_zone_put_bulk(z, bufs + i, len) : len;
		i += done;
		if (done < len)
			return i;       /* misuse in a checked pool: errno set */
		if (j < n && !zj) {     /* bufs[j] is no buffer of the pool */
			errno = EINVAL;
			return i;
		}
	}
	return n;
}

int
lfp_bufpool_free_rcu(struct lfp_bufpool *bp, void *buf)
{
	struct lfp_zone *z;
	int rc = -EINVAL;

	if (!bp)
		return -EINVAL;
	if (!buf)
		return 0;
	z = bufpool_zone_of(bp, buf, true);
	if (z)
		LFP_KEEP_ERRNO(rc = lfp_zone_put_rcu(z, buf));
	return rc;
}

size_t
lfp_bufpool_capacity(struct lfp_bufpool *bp, const void *buf)
{
	struct lfp_zone *z = bp ? bufpool_zone_of(bp, buf, false) : NULL;

	if (!z) {
		errno = EINVAL;
		return 0;
	}
	return z->size;
}

int
lfp_bufpool_flush(struct lfp_bufpool *bp)
{
	if (!bp)
		return -EINVAL;
	for (unsigned int i = 0; i < bp->fast.nclasses; i++)
		LFP_KEEP_ERRNO(lfp_zone_unload_caches(&bp->zones[i], false));
	return 0;
}

int
lfp_bufpool_trim(struct lfp_bufpool *bp, unsigned int flags)
{
	if (!bp || (flags & ~(LFP_TRIM_CACHES | LFP_TRIM_IDLE)))
		return -EINVAL;
	for (unsigned int i = 0; i < bp->fast.nclasses; i++)
		LFP_KEEP_ERRNO(lfp_zone_trim(&bp->zones[i], flags));
	return 0;
}

int
lfp_bufpool_prefill(struct lfp_bufpool *bp, size_t size, size_t n)
{
	struct lfp_zone *z;
	int err;

	LFP_KEEP_ERRNO(z = bufpool_class(bp, size));
	if (!z)
		return bp ? -E2BIG : -EINVAL;
	LFP_KEEP_ERRNO(err = lfp_zone_reserve_set(z, n));
	return -err;
}

int
lfp_bufpool_cache_mode(const struct lfp_bufpool *bp)
{
	return bp ? bp->cache_mode : -EINVAL;
}

int
lfp_bufpool_stats_get(struct lfp_bufpool *bp, struct lfp_bufpool_stats *out,
		      size_t size)
{
	struct lfp_bufpool_stats full, *st = &full;

	if (!bp || !out || size < LFP_BUFPOOL_STATS_SIZE_MIN)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->name = bp->name;
	st->nclasses = bp->fast.nclasses;
	st->cache_mode = bp->cache_mode;
	st->bytes_limit = bp->budget.limit;
	st->placement = bp->zones[0].numa.place.placement;
	for (unsigned int i = 0; i < bp->fast.nclasses; i++) {
		struct lfp_bufpool_class_stats *cs = &st->cls[i];
		struct lfp_zone *z = &bp->zones[i];
		struct lfp_zone_stats zs;

		lfp_zone_stats(z, &zs);
#define FIGURE(obj, cls, zone) cs->cls = zs.zone;
		LFP_POOL_FIGURES(FIGURE)
#undef FIGURE
		st->allocs += cs->allocs;
		st->frees += cs->frees;
		st->hits += cs->hits;
		st->bytes_in_use += cs->in_use * cs->size;
		st->bytes_cached += cs->cached * cs->size;
		st->bytes_reserved += cs->bytes_reserved;
		st->nnodes = zs.nnodes;
		st->cls_reserve[i] = zs.reserve;
		st->cls_reserve_held[i] = zs.reserve_held;
		st->cache_bytes_max += 2 * (uint64_t)cs->mag_rounds * cs->size;
		for (unsigned int k = 0; k < LFP_NODES_MAX; k++) {
			st->node[k].bytes += zs.node[k].bytes;
			st->node[k].local_gets += zs.node[k].local_gets;
			st->node[k].remote_gets += zs.node[k].remote_gets;
			st->node[k].remote_frees += zs.node[k].remote_frees;
			st->node[k].bind_failures += zs.node[k].bind_failures;
			st->node[k].os_index = zs.node[k].os_index;
		}
	}
	lfp_stats_copy(out, size, st, sizeof(*st));
	return 0;
}
