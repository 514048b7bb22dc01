/* SPDX-License-Identifier: MIT */
/*
 * objpool.c - the object pool API: argument checks, then one zone of the
 * engine (zone.h) per pool.
 */
#include "debug.h"
#include "pool.h"
#include "statsenv.h"

#include <string.h>

#include <lfpool/objpool.h>

struct lfp_objpool {
	struct lfp_zone zone;
	struct lfp_budget budget;
	char name[];                    /* the whole name, copied */
};

/* The inline hit path reads a pool as its struct lfp_fast_pool. */
_Static_assert(offsetof(struct lfp_objpool, zone) == 0 &&
	       offsetof(struct lfp_zone, fast) == 0,
	       "an object pool must start with its zone's fast part");

/* At the budget: what other CPUs or exited threads cache comes back. */
static void
objpool_reclaim(void *arg, struct lfp_zone *z)
{
	lfp_zone_unload_caches(z, false);
}

int
lfp_objpool_attr_init(struct lfp_objpool_attr *attr)
{
	if (!attr)
		return -EINVAL;
	memset(attr, 0, sizeof(*attr));
	return 0;
}

_Static_assert(LFP_OBJPOOL_ALIGN_DEFAULT == LFP_CACHELINE,
	       "the default alignment is the line the library pads to");

struct lfp_objpool *
lfp_objpool_create(const struct lfp_objpool_attr *attr)
{
	struct lfp_objpool *p;
	const char *name;
	size_t align;
	int err;

	if (!attr || !attr->size || attr->size > LFP_OBJPOOL_SIZE_MAX ||
	    !lfp_reserved_zero(attr->reserved, sizeof(attr->reserved) /
				       sizeof(attr->reserved[0])) ||
	    attr->mag_rounds > LFP_OBJPOOL_MAG_ROUNDS_MAX ||
	    (attr->flags & ~(LFP_OBJPOOL_F_CHECKED | LFP_OBJPOOL_F_SITES)) ||
	    !lfp_pool_attr_ok(attr->cache_mode, attr->placement))
		goto inval;
	align = attr->align ? attr->align : LFP_OBJPOOL_ALIGN_DEFAULT;
	if (!lfp_is_pow2(align) || align > lfp_os_page_size())
		goto inval;
	/* A magazine's objects are bounded in bytes (the stride: zone.c). */
	if (attr->mag_rounds > 1 &&
	    attr->mag_rounds > LFP_OBJPOOL_MAG_SIZE_MAX /
	    lfp_align_up(LFP_MAX(attr->size, sizeof(void *)), align))
		goto inval;
	name = attr->name ? attr->name : "";
	p = lfp_meta_alloc(sizeof(*p) + strlen(name) + 1);
	if (!p)
		return NULL;
	strcpy(p->name, name);
	p->budget.limit = attr->max_bytes;
	p->budget.reclaim = objpool_reclaim;
	err = lfp_zone_setup(&p->zone, &(struct lfp_zone_conf){
		.size = attr->size, .align = align,
		.mag_rounds = attr->mag_rounds, .ctor = attr->ctor,
		.dtor = attr->dtor, .arg = attr->arg, .owner = p,
		.name = p->name,
		.checked = attr->flags & (LFP_OBJPOOL_F_CHECKED |
					  LFP_OBJPOOL_F_SITES),
		.sites = attr->flags & LFP_OBJPOOL_F_SITES,
		.budget = &p->budget, .call_rcu = attr->call_rcu_fn,
		.placement = attr->placement, .node = attr->node,
		.cache_mode = lfp_cache_mode_resolve(attr->cache_mode),
	});
	if (err) {
		lfp_meta_free(p);
		errno = err;
		return NULL;
	}
	lfp_pool_list(&p->zone, LFP_POOL_OBJ);
	lfp_stats_at_exit_init();
	return p;
inval:
	errno = EINVAL;
	return NULL;
}

int
lfp_objpool_destroy(struct lfp_objpool *pool)
{
	if (!pool)
		return 0;
	LFP_KEEP_ERRNO(
		if (pool->zone.checked)
			lfp_check_leaks(&pool->zone, 1, pool->name,
					"objects", "put");
		lfp_registry_remove(pool->zone.fast.slot);
		lfp_registry_sync();
		lfp_registry_free_slot(pool->zone.fast.slot);
		lfp_zone_fini(&pool->zone);
		lfp_meta_free(pool)
	);
	return 0;
}

void *
lfp_objpool_get(struct lfp_objpool *pool)
{
	if (lfp_unlikely(!pool)) {
		errno = EINVAL;
		return NULL;
	}
	if (lfp_unlikely(pool->zone.sites))
		return lfp_check_get_at(&pool->zone,
					__builtin_return_address(0));
	return lfp_zone_get(&pool->zone);
}

int
lfp_objpool_put(struct lfp_objpool *pool, void *obj)
{
	if (lfp_unlikely(!pool))
		return -EINVAL;
	if (lfp_unlikely(!obj))
		return 0;
	return lfp_zone_put(&pool->zone, obj);
}

int
lfp_objpool_put_rcu(struct lfp_objpool *pool, void *obj)
{
	int rc = 0;

	if (!pool)
		return -EINVAL;
	if (obj)
		LFP_KEEP_ERRNO(rc = lfp_zone_put_rcu(&pool->zone, obj));
	return rc;
}

size_t
lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs, size_t n)
{
	if (!pool || (!objs && n)) {
		errno = EINVAL;
		return 0;
	}
	if (lfp_unlikely(pool->zone.sites))
		return lfp_check_get_bulk_at(&pool->zone, objs, n,
					     __builtin_return_address(0));
	return lfp_zone_get_bulk(&pool->zone, objs, n);
}

size_t
lfp_objpool_put_bulk(struct lfp_objpool *pool, void *const *objs, size_t n)
{
	if (!pool || (!objs && n)) {
		errno = EINVAL;
		return 0;
	}
	return lfp_zone_put_bulk(&pool->zone, objs, n);
}

int
lfp_objpool_flush(struct lfp_objpool *pool)
{
	if (!pool)
		return -EINVAL;
	LFP_KEEP_ERRNO(lfp_zone_unload_caches(&pool->zone, false));
	return 0;
}

int
lfp_objpool_trim(struct lfp_objpool *pool, unsigned int flags)
{
	if (!pool || (flags & ~(LFP_TRIM_CACHES | LFP_TRIM_IDLE)))
		return -EINVAL;
	LFP_KEEP_ERRNO(lfp_zone_trim(&pool->zone, flags));
	return 0;
}

int
lfp_objpool_prefill(struct lfp_objpool *pool, size_t n)
{
	int err;

	if (!pool)
		return -EINVAL;
	LFP_KEEP_ERRNO(err = lfp_zone_reserve_set(&pool->zone, n));
	return -err;
}

int
lfp_objpool_cache_mode(const struct lfp_objpool *pool)
{
	return pool ? (pool->zone.cs.pcpu ? LFP_CACHE_PER_CPU :
		       LFP_CACHE_PER_THREAD) : -EINVAL;
}

int
lfp_objpool_stats_get(struct lfp_objpool *pool,
		      struct lfp_objpool_stats *out, size_t size)
{
	struct lfp_zone *z;
	struct lfp_zone_stats zs;
	struct lfp_objpool_stats full, *st = &full;

	if (!pool || !out || size < LFP_OBJPOOL_STATS_SIZE_MIN)
		return -EINVAL;
	z = &pool->zone;
	lfp_zone_stats(z, &zs);
	memset(st, 0, sizeof(*st));
	st->name = pool->name;
	st->align = z->align;
	st->stride = z->slab.stride;
#define FIGURE(obj, cls, zone) st->obj = zs.zone;
	LFP_POOL_FIGURES(FIGURE)
#undef FIGURE
	st->depot_gets = zs.depot_gets;
	st->depot_puts = zs.depot_puts;
	st->ctor_failures = zs.ctor_failures;
	st->caches = zs.caches;
	st->magazines = zs.magazines;
	st->direct = zs.direct;
	st->deferred = zs.deferred;
	st->bytes_limit = pool->budget.limit;
	st->placement = z->numa.place.placement;
	st->nnodes = zs.nnodes;
	memcpy(st->node, zs.node, sizeof(st->node));
	st->cache_mode = zs.cache_mode;
	st->reserve = zs.reserve;
	st->reserve_held = zs.reserve_held;
	st->cache_bytes_max = 2 * (uint64_t)st->mag_rounds * st->stride;
	lfp_stats_copy(out, size, st, sizeof(*st));
	return 0;
}
