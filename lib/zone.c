/* SPDX-License-Identifier: MIT */
/*
 * zone.c - the engine's slow paths: magazine exchange with the depot,
 * carving from the slab, cache claim and flush, destroy, and statistics.
 * The fast paths are the inline lfp_zone_get/put in zone.h.
 */
#include "zone.h"
#include "debug.h"

#include <string.h>

void
lfp_zone_init(struct lfp_zone *z, size_t size, size_t align,
	      unsigned int cap, lfp_ctor_fn ctor, lfp_dtor_fn dtor, void *arg,
	      const void *owner, const char *name, bool checked)
{
	/* Raw objects are linked through their first word (slab.c). */
	size_t stride = lfp_align_up(LFP_MAX(size, sizeof(void *)), align);

	if (!cap) {
		size_t target = LFP_MAX(LFP_MAG_BYTES,
					LFP_MIN(LFP_MAG_ROUNDS_LARGE * stride,
						LFP_MAG_BYTES_MAX));

		cap = (unsigned int)LFP_MAX(1, LFP_MIN(LFP_MAG_ROUNDS_AUTO_MAX,
						       target / stride));
	}
	z->size = size;
	z->align = align;
	z->cap = cap;
	/* With a constructor, grow in smaller steps: each object costs. */
	z->carve_batch = ctor ? LFP_MAX(1u, cap / 8) : cap;
	atomic_init(&z->caches, NULL);
	atomic_init(&z->ncaches, 0);
	lfp_depot_init(&z->depot, cap);
	z->name = name;
	lfp_slab_init(&z->slab, stride, owner, ctor, dtor, arg);
	lfp_check_zone_init(z, checked, ctor != NULL);
}

/* The owner of a cache whose thread vanished in fork(). */
static char cache_lost;
#define CACHE_LOST ((void *)&cache_lost)

void
lfp_zone_fork_child(struct lfp_zone *z, void *self)
{
	struct lfp_cache *c;

	/* Acquire: pairs with the release CAS publishing each cache. */
	for (c = atomic_load_explicit(&z->caches, memory_order_acquire); c;
	     c = c->next)
		if (atomic_load_explicit(&c->owner, memory_order_relaxed) != self)
			atomic_store_explicit(&c->owner, CACHE_LOST,
					      memory_order_relaxed);
}

static void
mag_dtor_all(struct lfp_zone *z, struct lfp_mag *m)
{
	while (!lfp_mag_empty_local(m)) {
		void *obj = lfp_mag_pop_local(m);

		if (z->debug)
			lfp_check_expose(obj, z->size);
		lfp_slab_dtor(&z->slab, obj);
	}
}

/* Write the loaded count back into its magazine before it moves. */
static inline void
cache_park_local(struct lfp_cache *c)
{
	c->loaded->n = c->n;
}

/* Make @m the loaded magazine. */
static inline void
cache_load_local(struct lfp_cache *c, struct lfp_mag *m)
{
	c->loaded = m;
	c->n = m->n;
	c->rounds = m->rounds;
}

void
lfp_zone_fini(struct lfp_zone *z)
{
	struct lfp_cache *c, *next;
	struct lfp_mag *m;

	/* Acquire: pairs with the release CAS that published each cache. */
	c = atomic_load_explicit(&z->caches, memory_order_acquire);
	for (; c; c = next) {
		next = c->next;
		/*
		 * Acquire: pairs with the release store of a thread that gave
		 * the cache up at exit, ordering its last use before ours.
		 */
		if (atomic_load_explicit(&c->owner, memory_order_acquire) !=
		    CACHE_LOST) {
			cache_park_local(c);
			mag_dtor_all(z, c->loaded);
			mag_dtor_all(z, c->prev);
		}
		lfp_meta_free(c);
	}
	while ((m = lfp_depot_get_full(&z->depot)))
		mag_dtor_all(z, m);
	lfp_slab_fini(&z->slab);
	lfp_depot_fini(&z->depot);
}

struct lfp_cache *
lfp_zone_cache_claim(struct lfp_zone *z, void *owner)
{
	struct lfp_cache *c, *head;
	struct lfp_mag *a, *b;

	/* Acquire: pairs with the release CAS publishing each cache below. */
	for (c = atomic_load_explicit(&z->caches, memory_order_acquire); c;
	     c = c->next) {
		void *expected = NULL;

		/*
		 * Acquire: pairs with the release store in
		 * lfp_zone_cache_flush() of the thread that gave it up, so we
		 * see its magazines as it left them.
		 */
		if (!atomic_load_explicit(&c->owner, memory_order_relaxed) &&
		    atomic_compare_exchange_strong_explicit(&c->owner, &expected,
							    owner,
							    memory_order_acquire,
							    memory_order_relaxed))
			return c;
	}
	a = lfp_depot_get_empty(&z->depot);
	b = a ? lfp_depot_get_empty(&z->depot) : NULL;
	c = b ? lfp_meta_alloc(sizeof(*c)) : NULL;
	if (!c) {
		if (a)
			lfp_depot_put_empty(&z->depot, a);
		if (b)
			lfp_depot_put_empty(&z->depot, b);
		errno = ENOMEM;
		return NULL;
	}
	c->cap = z->cap;
	cache_load_local(c, a);
	c->prev = b;
	atomic_init(&c->owner, owner);
	head = atomic_load_explicit(&z->caches, memory_order_relaxed);
	do {
		c->next = head;
		/*
		 * Release: pairs with the acquire loads of the list head in
		 * claim, stats, fini and fork, publishing the cache's fields.
		 */
	} while (!atomic_compare_exchange_weak_explicit(&z->caches, &head, c,
							memory_order_release,
							memory_order_relaxed));
	lfp_shared_add(&z->ncaches, 1);
	return c;
}

void
lfp_zone_cache_flush(struct lfp_zone *z, struct lfp_cache *c, bool release)
{
	struct lfp_mag **slots[2] = { &c->loaded, &c->prev };

	cache_park_local(c);
	for (int i = 0; i < 2; i++) {
		struct lfp_mag *e;

		if (lfp_mag_empty_local(*slots[i]))
			continue;
		e = lfp_depot_get_empty(&z->depot);
		if (!e)
			continue;       /* stays cached; still counted */
		lfp_depot_put_full(&z->depot, *slots[i]);
		lfp_counter_add(&c->depot_puts, 1);
		*slots[i] = e;
	}
	cache_load_local(c, c->loaded);
	/*
	 * Release: pairs with the acquire CAS of the next owner in
	 * lfp_zone_cache_claim() and the acquire load in lfp_zone_fini().
	 * Without @release the owner stays, but the store still orders this
	 * flush before a destroy that waited for it (through RCU, which
	 * ThreadSanitizer cannot see).
	 */
	atomic_store_explicit(&c->owner,
			      release ? NULL :
			      atomic_load_explicit(&c->owner,
						   memory_order_relaxed),
			      memory_order_release);
}

static void
cache_swap_local(struct lfp_cache *c)
{
	struct lfp_mag *t = c->loaded;

	cache_park_local(c);
	cache_load_local(c, c->prev);
	c->prev = t;
}

int
lfp_zone_refill(struct lfp_zone *z, struct lfp_cache *c)
{
	struct lfp_mag *m;
	size_t k;
	int err;

	if (!lfp_mag_empty_local(c->prev)) {
		cache_swap_local(c);
		return 0;
	}
	lfp_counter_add(&c->misses, 1);
	m = lfp_depot_get_full(&z->depot);
	if (m) {
		lfp_counter_add(&c->depot_gets, 1);
		cache_park_local(c);
		lfp_depot_put_empty(&z->depot, c->prev);
		c->prev = c->loaded;
		cache_load_local(c, m);
		return 0;
	}
	k = lfp_slab_carve(&z->slab, c->rounds, z->carve_batch, &err);
	c->n = (uint32_t)k;
	if (z->debug)
		lfp_check_carved(z, c->rounds, k);
	return k ? 0 : err;
}

int
lfp_zone_drain(struct lfp_zone *z, struct lfp_cache *c)
{
	struct lfp_mag *e;

	if (lfp_mag_empty_local(c->prev)) {
		cache_swap_local(c);
		return 0;
	}
	e = lfp_depot_get_empty(&z->depot);
	if (!e)
		return ENOMEM;
	lfp_depot_put_full(&z->depot, c->prev);
	lfp_counter_add(&c->depot_puts, 1);
	cache_park_local(c);
	c->prev = c->loaded;
	cache_load_local(c, e);
	return 0;
}

void *
lfp_zone_get_slow(struct lfp_zone *z)
{
	struct lfp_cache *c = lfp_zone_cache(z);
	void *obj;
	int err;

	if (!c)
		return NULL;
	if (!c->n) {
		err = lfp_zone_refill(z, c);
		if (err) {
			errno = err;
			return NULL;
		}
	}
	lfp_counter_add(&c->gets, 1);
	obj = c->rounds[--c->n];
	if (z->debug)
		lfp_check_get(z, obj);
	return obj;
}

int
lfp_zone_put_slow(struct lfp_zone *z, void *obj)
{
	struct lfp_cache *c = lfp_zone_cache(z);
	int err;

	if (!c)
		return -ENOMEM;
	/* Room first: a put that fails leaves the object as it was. */
	if (c->n == c->cap) {
		err = lfp_zone_drain(z, c);
		if (err)
			return -err;
	}
	if (z->debug && lfp_check_put(z, obj))
		return -EINVAL;
	lfp_counter_add(&c->puts, 1);
	c->rounds[c->n++] = obj;
	return 0;
}

size_t
lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n)
{
	struct lfp_cache *c = lfp_zone_cache(z);
	size_t got = 0;

	if (lfp_unlikely(!c))
		return 0;
	while (got < n) {
		size_t k;

		if (!c->n) {
			int err = lfp_zone_refill(z, c);

			if (err) {
				errno = err;
				break;
			}
		}
		k = LFP_MIN(n - got, (size_t)c->n);
		c->n -= (uint32_t)k;
		memcpy(objs + got, c->rounds + c->n, k * sizeof(void *));
		got += k;
	}
	lfp_counter_add(&c->gets, got);
	for (size_t i = 0; z->debug && i < got; i++)
		lfp_check_get(z, objs[i]);
	return got;
}

size_t
lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n)
{
	struct lfp_cache *c;
	size_t i = 0, put = 0;

	if (lfp_unlikely(z->debug)) {
		/* One by one, each object checked. */
		for (; i < n; i++) {
			int rc = objs[i] ? lfp_zone_put_slow(z, objs[i]) : 0;

			if (rc) {
				errno = -rc;
				break;
			}
		}
		return i;
	}
	c = lfp_zone_cache(z);
	if (lfp_unlikely(!c))
		return 0;
	while (i < n) {
		uint32_t k, room, cnt;
		void **r;

		if (c->n == c->cap) {
			int err = lfp_zone_drain(z, c);

			if (err) {
				errno = err;
				break;
			}
		}
		/* Copy a run into the room left, skipping NULL entries. */
		room = c->cap - c->n;
		cnt = c->n;
		r = c->rounds;
		for (k = 0; k < room && i < n; i++) {
			void *o = objs[i];

			r[cnt] = o;
			cnt += o != NULL;
			k += o != NULL;
		}
		c->n = cnt;
		put += k;
	}
	lfp_counter_add(&c->puts, put);
	return i;
}

void
lfp_zone_stats(struct lfp_zone *z, struct lfp_zone_stats *st)
{
	struct lfp_cache *c;
	uint64_t misses = 0;

	memset(st, 0, sizeof(*st));
	/* Acquire: pairs with the release CAS publishing each cache. */
	for (c = atomic_load_explicit(&z->caches, memory_order_acquire); c;
	     c = c->next) {
		st->gets += lfp_counter_read(&c->gets);
		st->puts += lfp_counter_read(&c->puts);
		st->depot_gets += lfp_counter_read(&c->depot_gets);
		st->depot_puts += lfp_counter_read(&c->depot_puts);
		misses += lfp_counter_read(&c->misses);
	}
	st->hits = st->gets > misses ? st->gets - misses : 0;
	st->objects = lfp_counter_read(&z->slab.objects);
	st->depot_objs = lfp_counter_read(&z->depot.objs);
	st->ctor_failures = lfp_counter_read(&z->slab.ctor_failures);
	st->chunks = lfp_counter_read(&z->slab.nchunks);
	st->magazines = lfp_depot_magazines(&z->depot);
	st->bytes = lfp_counter_read(&z->slab.bytes) +
		    lfp_nodetab_bytes(&z->depot.mags);
	st->caches = lfp_counter_read(&z->ncaches);
}
