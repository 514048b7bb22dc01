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
#include "registry.h"

#include <string.h>

#include <lfpool/bufpool.h>

struct lfp_bufpool {
	unsigned int kmin;              /* lg of the smallest class */
	unsigned int nclasses;
	bool checked;
	size_t max_size;
	char *name;
	struct lfp_zone zones[];        /* class kmin + i in zones[i] */
};

static unsigned int
lg2(size_t x)
{
	return 63 - (unsigned int)__builtin_clzll(x);
}

int
lfp_bufpool_attr_init(struct lfp_bufpool_attr *attr)
{
	if (!attr)
		return -EINVAL;
	memset(attr, 0, sizeof(*attr));
	attr->min_size = LFP_BUFPOOL_MIN_SIZE;
	attr->max_size = (size_t)256 << 10;
	return 0;
}

static void
bufpool_free_all(struct lfp_bufpool *bp, unsigned int registered)
{
	for (unsigned int i = 0; i < registered; i++)
		lfp_registry_remove(&bp->zones[i]);
	if (registered)
		lfp_registry_sync();
	for (unsigned int i = 0; i < bp->nclasses; i++) {
		if (i < registered)
			lfp_registry_free_slot(&bp->zones[i]);
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
	int err;

	if (!attr || !lfp_is_pow2(attr->min_size) ||
	    !lfp_is_pow2(attr->max_size) ||
	    attr->min_size < LFP_BUFPOOL_MIN_SIZE ||
	    attr->min_size > attr->max_size ||
	    attr->max_size > LFP_BUFPOOL_SIZE_MAX ||
	    (attr->flags & ~LFP_BUFPOOL_F_CHECKED)) {
		errno = EINVAL;
		return NULL;
	}
	n = lg2(attr->max_size) - lg2(attr->min_size) + 1;
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
	bp->kmin = lg2(attr->min_size);
	bp->nclasses = n;
	bp->max_size = attr->max_size;
	bp->checked = (attr->flags & LFP_BUFPOOL_F_CHECKED) || lfp_check_env();
	for (i = 0; i < n; i++) {
		size_t size = (size_t)1 << (bp->kmin + i);

		/* Aligned to the capacity up to a page: see bufpool.h. */
		lfp_zone_init(&bp->zones[i], size,
			      LFP_MIN(size, lfp_os_page_size()), 0, NULL, NULL,
			      NULL, bp, bp->name, bp->checked);
	}
	for (i = 0; i < n; i++) {
		err = lfp_registry_add(&bp->zones[i]);
		if (err) {
			bufpool_free_all(bp, i);
			errno = err;
			return NULL;
		}
	}
	return bp;
}

int
lfp_bufpool_destroy(struct lfp_bufpool *bp)
{
	if (!bp)
		return -EINVAL;
	bufpool_free_all(bp, bp->nclasses);
	return 0;
}

void *
lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n)
{
	unsigned int i;

	if (lfp_unlikely(!bp)) {
		errno = EINVAL;
		return NULL;
	}
	if (lfp_unlikely(n > bp->max_size)) {
		errno = E2BIG;
		return NULL;
	}
	/* 2^ceil(lg n), at least the smallest class. */
	i = n <= ((size_t)1 << bp->kmin) ? 0 : lg2(n - 1) + 1 - bp->kmin;
	return lfp_zone_get(&bp->zones[i]);
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
	return (struct lfp_zone *)((char *)c->slab -
				   offsetof(struct lfp_zone, slab));
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
lfp_bufpool_stats(struct lfp_bufpool *bp, struct lfp_bufpool_stats *st)
{
	if (!bp || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->name = bp->name;
	st->nclasses = bp->nclasses;
	for (unsigned int i = 0; i < bp->nclasses; i++) {
		struct lfp_bufpool_class_stats *cs = &st->cls[i];
		struct lfp_zone *z = &bp->zones[i];
		struct lfp_zone_stats zs;

		lfp_zone_stats(z, &zs);
		cs->size = z->size;
		cs->mag_rounds = z->cap;
		cs->allocs = zs.gets;
		cs->frees = zs.puts;
		cs->hits = zs.hits;
		cs->buffers = zs.objects;
		cs->in_use = zs.gets > zs.puts ? zs.gets - zs.puts : 0;
		cs->cached = zs.objects > cs->in_use ? zs.objects - cs->in_use : 0;
		cs->depot_cached = zs.depot_objs;
		cs->chunks = zs.chunks;
		cs->bytes_reserved = zs.bytes;
		st->allocs += cs->allocs;
		st->frees += cs->frees;
		st->hits += cs->hits;
		st->bytes_in_use += cs->in_use * cs->size;
		st->bytes_cached += cs->cached * cs->size;
		st->bytes_reserved += cs->bytes_reserved;
	}
	return 0;
}
