/* SPDX-License-Identifier: MIT */
/*
 * slab.c - chunks from the operating system carved into constructed
 * objects; see slab.h.
 */
#include "zone.h"
#include "debug.h"
#include "chunkmap.h"

#include <errno.h>
#include <string.h>

/* Chunks hold at least this many bytes and this many objects. */
#define LFP_CHUNK_MIN   ((size_t)64 << 10)
#define LFP_CHUNK_OBJS  4
_Static_assert(LFP_CHUNK_MIN >= ((size_t)1 << LFP_CHUNKMAP_GRANULE_SHIFT),
	       "every chunk must cover whole chunk-map granules");

void
lfp_slab_init(struct lfp_slab *s, size_t stride, const void *owner,
	      lfp_ctor_fn ctor, lfp_dtor_fn dtor, void *arg)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->stride = stride;
	s->owner = owner;
	s->chunk_size = lfp_pow2_ceil(LFP_MAX(LFP_CHUNK_MIN,
					      LFP_CHUNK_OBJS * stride));
	s->ctor = ctor;
	s->dtor = dtor;
	s->arg = arg;
}

/* Reserve a chunk's bytes in the budget; false when it is spent. */
static bool
budget_take(struct lfp_budget *b, size_t size)
{
	size_t used;

	if (!b || !b->limit)
		return true;
	used = atomic_load_explicit(&b->used, memory_order_relaxed);
	do {
		if (used > b->limit || size > b->limit - used)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&b->used, &used,
							used + size,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

static void
budget_give(struct lfp_budget *b, size_t size)
{
	if (b && b->limit)
		atomic_fetch_sub_explicit(&b->used, size,
					  memory_order_relaxed);
}

/* Map a new chunk (its budget taken) and make it the bump area. */
static int
slab_map_locked(struct lfp_slab *s)
{
	struct lfp_chunk *c = s->spare;

	if (c) {
		s->spare = c->next;
		lfp_meta_free((void *)c->inuse);
		memset(c, 0, sizeof(*c));
	} else if (!(c = lfp_meta_alloc(sizeof(*c)))) {
		return ENOMEM;
	}
	if (s->checked) {
		size_t words = (s->chunk_size / s->stride + 63) / 64;

		c->inuse = lfp_meta_alloc(words * sizeof(*c->inuse));
		if (!c->inuse) {
			lfp_meta_free(c);
			return ENOMEM;
		}
	}
	c->base = lfp_os_map(s->chunk_size, s->chunk_size);
	if (!c->base || lfp_chunkmap_set(c->base, s->chunk_size, c)) {
		lfp_os_unmap(c->base, s->chunk_size);
		lfp_meta_free((void *)c->inuse);
		lfp_meta_free(c);
		return ENOMEM;
	}
	c->node = lfp_zone_place_chunk(s, c->base, s->chunk_size);
	c->owner = s->owner;
	c->stride = s->stride;
	c->next = s->chunks;
	c->slab = s;
	c->size = s->chunk_size;
	s->chunks = c;
	s->cur = c->base;
	s->end = c->base + s->chunk_size;
	lfp_shared_add(&s->nchunks, 1);
	lfp_shared_add(&s->bytes, s->chunk_size);
	return 0;
}

/* Map a new chunk if the budget allows. Under lock. */
static int
slab_grow_locked(struct lfp_slab *s)
{
	int err;

	if (!budget_take(s->budget, s->chunk_size))
		return EDQUOT;
	err = slab_map_locked(s);
	if (err)
		budget_give(s->budget, s->chunk_size);
	return err;
}

/* Take up to @n raw objects: first those whose ctor failed before. */
static size_t
slab_take_raw(struct lfp_slab *s, void **objs, size_t n, int *err)
{
	size_t k = 0;

	pthread_mutex_lock(&s->lock);
	while (k < n && s->raw) {
		void *o = s->raw;

		memcpy(&s->raw, o, sizeof(void *));
		lfp_chunkmap_get(o)->nout++;
		objs[k++] = o;
	}
	while (k < n) {
		if (!s->cur || (size_t)(s->end - s->cur) < s->stride) {
			if (k)
				break;  /* what we have is enough for now */
			*err = slab_grow_locked(s);
			if (*err)
				break;
		}
		objs[k++] = s->cur;
		s->cur += s->stride;
		s->chunks->nout++;      /* the bump area is the first chunk's */
	}
	pthread_mutex_unlock(&s->lock);
	return k;
}

static void
slab_return_raw(struct lfp_slab *s, void **objs, size_t n)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		memcpy(objs[i], &s->raw, sizeof(void *));
		s->raw = objs[i];
		lfp_chunkmap_get(objs[i])->nout--;
	}
	pthread_mutex_unlock(&s->lock);
}

size_t
lfp_slab_carve(struct lfp_slab *s, void **objs, size_t n, int *err)
{
	size_t k, i;

	*err = 0;
	k = slab_take_raw(s, objs, n, err);
	if (!k)
		return 0;
	for (i = 0; s->ctor && i < k; i++) {
		int e = s->ctor(objs[i], s->arg);

		if (e) {
			lfp_shared_add(&s->ctor_failures, 1);
			*err = e > 0 ? e : -e;
			slab_return_raw(s, objs + i, k - i);
			k = i;
			break;
		}
	}
	lfp_shared_add(&s->objects, k);
	return k;
}

/* Marks a chunk as leaving, inside lfp_slab_reclaim(). */
#define CHUNK_DEAD SIZE_MAX

size_t
lfp_slab_reclaim(struct lfp_slab *s, void **objs, size_t n,
		 struct lfp_chunk **dead)
{
	struct lfp_chunk **pp, *c;
	size_t keep = 0, i, freed = 0;
	void **rawp;

	*dead = NULL;
	pthread_mutex_lock(&s->lock);
	/* Objects of another slab (none, by numa.c's invariant) stay. */
	for (i = 0; i < n; i++) {
		c = lfp_chunkmap_get(objs[i]);
		if (c->slab == s)
			c->ntrim++;
	}
	/* Chunks whose every object out is here leave the list. */
	for (pp = &s->chunks; (c = *pp);) {
		if (c->ntrim && c->ntrim == c->nout) {
			if (c == s->chunks)     /* the bump area goes too */
				s->cur = s->end = NULL;
			*pp = c->next;
			c->next = *dead;
			*dead = c;
			freed += c->nout;
			c->nout = 0;
			c->ntrim = CHUNK_DEAD;
		} else {
			c->ntrim = 0;
			pp = &c->next;
		}
	}
	/* Their raw objects (constructor failed) leave the raw list. */
	for (rawp = &s->raw; *rawp;) {
		if (lfp_chunkmap_get(*rawp)->ntrim == CHUNK_DEAD)
			memcpy(rawp, *rawp, sizeof(void *));
		else
			rawp = (void **)*rawp;
	}
	/* Partition: objects of the chunks that stay first. */
	for (i = 0; i < n; i++) {
		c = lfp_chunkmap_get(objs[i]);
		if (c->slab != s || c->ntrim != CHUNK_DEAD) {
			void *t = objs[keep];

			objs[keep++] = objs[i];
			objs[i] = t;
		}
	}
	pthread_mutex_unlock(&s->lock);
	lfp_shared_sub(&s->objects, freed);
	return keep;
}

void
lfp_slab_free_chunks(struct lfp_slab *s, struct lfp_chunk *dead)
{
	while (dead) {
		struct lfp_chunk *next = dead->next;

		lfp_chunkmap_clear(dead->base, dead->size);
		lfp_check_expose(dead->base, dead->size);
		lfp_os_unmap(dead->base, dead->size);
		lfp_shared_sub(&s->nchunks, 1);
		lfp_shared_sub(&s->bytes, dead->size);
		budget_give(s->budget, dead->size);
		lfp_zone_chunk_gone(s, dead->node, dead->size);
		pthread_mutex_lock(&s->lock);
		dead->next = s->spare;
		s->spare = dead;
		pthread_mutex_unlock(&s->lock);
		dead = next;
	}
}

void
lfp_slab_fini(struct lfp_slab *s)
{
	struct lfp_chunk *c = s->chunks;

	while (c) {
		struct lfp_chunk *next = c->next;

		lfp_chunkmap_clear(c->base, c->size);
		lfp_check_expose(c->base, c->size);
		lfp_os_unmap(c->base, c->size);
		lfp_meta_free((void *)c->inuse);
		lfp_meta_free(c);
		c = next;
	}
	s->chunks = NULL;
	while ((c = s->spare)) {
		s->spare = c->next;
		lfp_meta_free((void *)c->inuse);
		lfp_meta_free(c);
	}
	pthread_mutex_destroy(&s->lock);
}
