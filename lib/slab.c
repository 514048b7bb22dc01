/* SPDX-License-Identifier: MIT */
/*
 * slab.c - chunks from the operating system carved into constructed
 * objects; see slab.h.
 */
#include "slab.h"
#include "chunkmap.h"
#include "numa.h"

#include <errno.h>
#include <string.h>

/*
 * Chunks hold at least this many bytes and this many objects, but objects
 * so big that LFP_CHUNK_OBJS of them pass LFP_CHUNK_BIG come fewer (down
 * to one) a chunk: a 64 MiB object takes a 64 MiB chunk, not 256 MiB.
 * Chunks are aligned to a chunk-map granule (or their size, if smaller),
 * so that mapping one costs its size plus at most a granule of address
 * space for the moment of the alignment.
 */
#define LFP_CHUNK_MIN   ((size_t)64 << 10)
#define LFP_CHUNK_OBJS  4
#define LFP_CHUNK_BIG   ((size_t)8 << 20)
#define LFP_CHUNK_ALIGN ((size_t)1 << LFP_CHUNKMAP_GRANULE_SHIFT)
_Static_assert(LFP_CHUNK_MIN >= ((size_t)1 << LFP_CHUNKMAP_GRANULE_SHIFT),
	       "every chunk must cover whole chunk-map granules");

__thread unsigned int lfp_locks_held
	__attribute__((tls_model("initial-exec")));

/*
 * Take the slab's lock; a thread that holds another lock of the library
 * (a signal handler that interrupted it there) only tries: EAGAIN. The
 * count goes up first, so a handler that interrupts the lock call itself
 * sees it.
 */
static int
slab_lock(struct lfp_slab *s)
{
	unsigned int outer = lfp_locks_held++;

	if (outer ? pthread_mutex_trylock(&s->lock) :
		    pthread_mutex_lock(&s->lock)) {
		lfp_locks_held--;
		return EAGAIN;
	}
	return 0;
}

static void
slab_unlock(struct lfp_slab *s)
{
	pthread_mutex_unlock(&s->lock);
	lfp_locks_held--;
}

void
lfp_slab_init(struct lfp_slab *s, size_t stride, const void *owner,
	      lfp_ctor_fn ctor, lfp_dtor_fn dtor, void *arg)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->stride = stride;
	s->owner = owner;
	size_t objs = LFP_CHUNK_OBJS;

	while (objs > 1 && objs * stride > LFP_CHUNK_BIG)
		objs /= 2;
	s->chunk_size = lfp_pow2_ceil(LFP_MAX(LFP_CHUNK_MIN, objs * stride));
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

static void
chunk_free_maps(struct lfp_chunk *c)
{
	lfp_meta_free((void *)c->inuse);
	lfp_meta_free((void *)c->spill);
	lfp_meta_free((void *)atomic_load_explicit(&c->sites,
						   memory_order_relaxed));
	c->inuse = c->spill = NULL;
	atomic_store_explicit(&c->sites, NULL, memory_order_relaxed);
}

/* Map a new chunk (its budget taken) and make it the bump area. */
static int
slab_map_locked(struct lfp_slab *s)
{
	struct lfp_chunk *c = s->spare;
	size_t words = (s->chunk_size / s->stride + 63) / 64;

	if (c) {
		s->spare = c->next;
		chunk_free_maps(c);
		memset(c, 0, sizeof(*c));
	} else if (!(c = lfp_meta_alloc(sizeof(*c)))) {
		return ENOMEM;
	}
	/* The spill bitmap exists before any object that may need it. */
	c->spill = lfp_meta_alloc(words * sizeof(*c->spill));
	if (s->checked && c->spill)
		c->inuse = lfp_meta_alloc(words * sizeof(*c->inuse));
	if (!c->spill || (s->checked && !c->inuse)) {
		chunk_free_maps(c);
		lfp_meta_free(c);
		return ENOMEM;
	}
	c->base = lfp_os_map(s->chunk_size, LFP_MIN(s->chunk_size,
						    LFP_CHUNK_ALIGN));
	if (!c->base || lfp_chunkmap_set(c->base, s->chunk_size, c)) {
		lfp_os_unmap(c->base, s->chunk_size);
		chunk_free_maps(c);
		lfp_meta_free(c);
		return ENOMEM;
	}
	c->node = lfp_place_chunk(s->place, s->node, c->base, s->chunk_size);
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

	*err = slab_lock(s);
	if (*err)
		return 0;
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
		/* Relaxed: see lfp_chunk_carved(). */
		atomic_store_explicit(&s->chunks->carved,
				      (size_t)(s->cur - s->chunks->base),
				      memory_order_relaxed);
	}
	slab_unlock(s);
	return k;
}

/*
 * Raw objects back to the slab. This thread took the lock a moment ago
 * (slab_take_raw()), so it does not hold it now even in a signal handler:
 * waiting is safe.
 */
static void
slab_return_raw(struct lfp_slab *s, void **objs, size_t n)
{
	lfp_locks_held++;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		memcpy(objs[i], &s->raw, sizeof(void *));
		s->raw = objs[i];
		lfp_chunkmap_get(objs[i])->nout--;
	}
	slab_unlock(s);
}

void
lfp_slab_spill(void *obj)
{
	struct lfp_chunk *c = lfp_chunkmap_get(obj);
	size_t bit = (size_t)((char *)obj - c->base) / c->stride;

	/*
	 * Release: pairs with the acquire exchange in lfp_slab_unspill(),
	 * so the next owner sees the object as this thread left it.
	 */
	atomic_fetch_or_explicit(&c->spill[bit / 64], (uint64_t)1 << (bit % 64),
				 memory_order_release);
	lfp_shared_add(&c->slab->spilled, 1);
}

size_t
lfp_slab_unspill(struct lfp_slab *s, void **objs, size_t n)
{
	size_t k = 0;

	if (!n || !lfp_counter_read(&s->spilled) || slab_lock(s))
		return 0;
	for (struct lfp_chunk *c = s->chunks; c && k < n; c = c->next) {
		size_t words = (c->size / c->stride + 63) / 64;

		for (size_t w = 0; w < words && k < n; w++) {
			uint64_t bits;

			if (!atomic_load_explicit(&c->spill[w],
						  memory_order_relaxed))
				continue;
			/* Acquire: pairs with the release in lfp_slab_spill(). */
			bits = atomic_exchange_explicit(&c->spill[w], 0,
							memory_order_acquire);
			while (bits && k < n) {
				unsigned int b = (unsigned int)__builtin_ctzll(bits);

				bits &= bits - 1;
				objs[k++] = c->base + (w * 64 + b) * c->stride;
			}
			/* Release: as in lfp_slab_spill() (bits left over). */
			if (bits)
				atomic_fetch_or_explicit(&c->spill[w], bits,
							 memory_order_release);
		}
	}
	slab_unlock(s);
	lfp_shared_sub(&s->spilled, k);
	return k;
}

size_t
lfp_slab_carve(struct lfp_slab *s, void **objs, size_t n, int *err)
{
	size_t k, i;

	*err = 0;
	k = lfp_slab_unspill(s, objs, n);
	if (k)
		return k;       /* constructed already */
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
	if (slab_lock(s))
		return n;       /* busy, and we may not wait: nothing to free */
	/* Objects of another slab (none, by numa.h's invariant) stay. */
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
	slab_unlock(s);
	lfp_shared_sub(&s->objects, freed);
	return keep;
}

void
lfp_slab_free_chunks(struct lfp_slab *s, struct lfp_chunk *dead)
{
	while (dead) {
		struct lfp_chunk *next = dead->next;

		lfp_chunkmap_clear(dead->base, dead->size);
		lfp_os_expose(dead->base, dead->size);
		lfp_os_unmap(dead->base, dead->size);
		lfp_shared_sub(&s->nchunks, 1);
		lfp_shared_sub(&s->bytes, dead->size);
		budget_give(s->budget, dead->size);
		lfp_place_chunk_gone(s->place, dead->node, dead->size);
		if (!slab_lock(s)) {
			dead->next = s->spare;
			s->spare = dead;
			slab_unlock(s);
		} else {                /* may not wait: no spare kept */
			chunk_free_maps(dead);
			lfp_meta_free(dead);
		}
		dead = next;
	}
}

void
lfp_slab_fork_lock(struct lfp_slab *s)
{
	pthread_mutex_lock(&s->lock);
}

void
lfp_slab_fork_unlock(struct lfp_slab *s)
{
	pthread_mutex_unlock(&s->lock);
}

void
lfp_slab_fini(struct lfp_slab *s)
{
	struct lfp_chunk *c = s->chunks;

	while (c) {
		struct lfp_chunk *next = c->next;

		lfp_chunkmap_clear(c->base, c->size);
		lfp_os_expose(c->base, c->size);
		lfp_os_unmap(c->base, c->size);
		chunk_free_maps(c);
		lfp_meta_free(c);
		c = next;
	}
	s->chunks = NULL;
	while ((c = s->spare)) {
		s->spare = c->next;
		chunk_free_maps(c);
		lfp_meta_free(c);
	}
	pthread_mutex_destroy(&s->lock);
}
