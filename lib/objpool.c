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
	char name[];                    /* the whole name, copied */
};

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
	    attr->mag_rounds > LFP_MAG_ROUNDS_MAX ||
	    (attr->flags & ~LFP_OBJPOOL_F_CHECKED))
		goto inval;
	align = attr->align ? attr->align : alignof(max_align_t);
	if (!lfp_is_pow2(align) || align > lfp_os_page_size())
		goto inval;
	name = attr->name ? attr->name : "";
	p = lfp_meta_alloc(sizeof(*p) + strlen(name) + 1);
	if (!p)
		return NULL;
	strcpy(p->name, name);
	lfp_zone_init(&p->zone, attr->size, align, attr->mag_rounds,
		      attr->ctor, attr->dtor, attr->arg, p, p->name,
		      attr->flags & LFP_OBJPOOL_F_CHECKED);
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
		return -EINVAL;
	lfp_registry_remove(&pool->zone);
	lfp_registry_sync();
	lfp_registry_free_slot(&pool->zone);
	lfp_zone_fini(&pool->zone);
	lfp_meta_free(pool);
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
lfp_objpool_stats(struct lfp_objpool *pool, struct lfp_objpool_stats *st)
{
	struct lfp_zone *z;
	struct lfp_zone_stats zs;

	if (!pool || !st)
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
	return 0;
}
