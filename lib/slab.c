/* SPDX-License-Identifier: MIT */
/*
 * slab.c - chunks from the operating system carved into constructed
 * objects; see slab.h.
 */
#include "slab.h"
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

/* Map a new chunk and make it the bump area. Under lock. */
static int
slab_grow_locked(struct lfp_slab *s)
{
	struct lfp_chunk *c = lfp_meta_alloc(sizeof(*c));

	if (!c)
		return ENOMEM;
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

/* Take up to @n raw objects: first those whose ctor failed before. */
static size_t
slab_take_raw(struct lfp_slab *s, void **objs, size_t n, int *err)
{
	size_t k = 0;

	pthread_mutex_lock(&s->lock);
	while (k < n && s->raw) {
		void *o = s->raw;

		memcpy(&s->raw, o, sizeof(void *));
		objs[k++] = o;
	}
	while (k < n) {
		if (s->cur + s->stride > s->end) {
			if (k)
				break;  /* what we have is enough for now */
			*err = slab_grow_locked(s);
			if (*err)
				break;
		}
		objs[k++] = s->cur;
		s->cur += s->stride;
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
	pthread_mutex_destroy(&s->lock);
}
