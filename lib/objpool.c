/* SPDX-License-Identifier: MIT */
/*
 * objpool.c - the object pool API: argument checks, then one zone of the
 * engine (zone.h) per pool.
 */
#include "registry.h"

#include <stdalign.h>
#include <string.h>

#include <lfpool/objpool.h>

struct lfp_objpool {
	struct lfp_zone zone;
	struct lfp_budget budget;
	char name[];                    /* the whole name, copied */
};

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
	    (attr->flags & ~LFP_OBJPOOL_F_CHECKED) ||
	    attr->cache_mode < LFP_CACHE_AUTO ||
	    attr->cache_mode > LFP_CACHE_PER_THREAD ||
	    attr->placement < LFP_PLACE_LOCAL ||
	    attr->placement > LFP_PLACE_INTERLEAVE)
		goto inval;
	align = attr->align ? attr->align : alignof(max_align_t);
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
	lfp_zone_init(&p->zone, attr->size, align, attr->mag_rounds,
		      attr->ctor, attr->dtor, attr->arg, p, p->name,
		      attr->flags & LFP_OBJPOOL_F_CHECKED);
	if (attr->call_rcu_fn)
		p->zone.rcu_call = attr->call_rcu_fn;
	p->budget.limit = attr->max_bytes;
	p->budget.reclaim = objpool_reclaim;
	p->zone.slab.budget = &p->budget;
	if (attr->max_bytes && attr->max_bytes < p->zone.slab.chunk_size) {
		lfp_zone_fini(&p->zone);
		lfp_meta_free(p);
		goto inval;
	}
	err = lfp_zone_numa_init(&p->zone, attr->placement, attr->node);
	if (!err)
		err = lfp_zone_set_cache_mode(&p->zone,
				lfp_cache_mode_resolve(attr->cache_mode));
	if (!err)
		err = lfp_registry_add(&p->zone);
	if (err) {
		lfp_zone_fini(&p->zone);
		lfp_meta_free(p);
		errno = err;
		return NULL;
	}
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
		lfp_registry_remove(&pool->zone);
		lfp_registry_sync();
		lfp_registry_free_slot(&pool->zone);
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
lfp_objpool_cache_mode(const struct lfp_objpool *pool)
{
	return pool ? (pool->zone.pcpu ? LFP_CACHE_PER_CPU :
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
	st->size = z->size;
	st->align = z->align;
	st->stride = z->slab.stride;
	st->mag_rounds = z->cap;
	st->gets = zs.gets;
	st->puts = zs.puts;
	st->hits = zs.hits;
	st->depot_gets = zs.depot_gets;
	st->depot_puts = zs.depot_puts;
	st->objects = zs.objects;
	st->in_use = zs.gets > zs.puts ? zs.gets - zs.puts : 0;
	st->cached = zs.objects > st->in_use ? zs.objects - st->in_use : 0;
	st->depot_cached = zs.depot_objs;
	st->ctor_failures = zs.ctor_failures;
	st->chunks = zs.chunks;
	st->bytes_reserved = zs.bytes;
	st->caches = zs.caches;
	st->magazines = zs.magazines;
	st->direct = zs.direct;
	st->deferred = zs.deferred;
	st->bytes_limit = pool->budget.limit;
	st->placement = z->placement;
	st->nnodes = zs.nnodes;
	memcpy(st->node, zs.node, sizeof(st->node));
	st->cache_mode = zs.cache_mode;
	lfp_stats_copy(out, size, st, sizeof(*st));
	return 0;
}
