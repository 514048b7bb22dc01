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
	z->pcpu = NULL;
	z->pcpu_caches = NULL;
	z->ncpu = z->ncpu_fast = 0;
	atomic_init(&z->direct_gets, 0);
	atomic_init(&z->direct_puts, 0);
	lfp_zone_rcu_init(z, NULL);
	lfp_depot_init(&z->depot, cap);
	z->name = name;
	lfp_slab_init(&z->slab, stride, owner, ctor, dtor, arg);
	/* One node until lfp_zone_numa_init() says otherwise. */
	z->slab.zone = z;
	z->ndepots = z->nnodes = 1;
	z->placement = LFP_PLACE_LOCAL;
	z->extra = NULL;
	z->nc = NULL;
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
	lfp_zone_pcpu_fork_child(z);
}

void
lfp_zone_mag_dtor(struct lfp_zone *z, struct lfp_mag *m)
{
	while (!lfp_mag_empty_local(m)) {
		void *obj = lfp_mag_pop_local(m);

		if (z->debug)
			lfp_check_expose(obj, z->size);
		lfp_slab_dtor(&z->slab, obj);
	}
}

void
lfp_zone_fini(struct lfp_zone *z)
{
	struct lfp_cache *c, *next;
	struct lfp_mag *m;

	lfp_zone_rcu_fini(z);
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
			lfp_cache_park_local(c);
			lfp_zone_mag_dtor(z, c->loaded);
			lfp_zone_mag_dtor(z, c->prev);
		}
		lfp_meta_free(c);
	}
	lfp_zone_pcpu_fini(z);
	while ((m = lfp_depot_get_full(&z->depot)))
		lfp_zone_mag_dtor(z, m);
	lfp_zone_numa_fini(z);
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
	lfp_cache_load_local(c, a);
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
lfp_zone_cache_unload(struct lfp_zone *z, struct lfp_cache *c)
{
	struct lfp_mag **slots[2] = { &c->loaded, &c->prev };

	lfp_cache_park_local(c);
	for (int i = 0; i < 2; i++) {
		struct lfp_mag *e;

		if (lfp_mag_empty_local(*slots[i]))
			continue;
		e = lfp_depot_get_empty(&z->depot);
		if (!e)
			continue;       /* stays cached; still counted */
		lfp_zone_put_full(z, c->node, *slots[i]);
		lfp_counter_add(&c->depot_puts, 1);
		*slots[i] = e;
	}
	lfp_cache_load_local(c, c->loaded);
}

void
lfp_zone_cache_flush(struct lfp_zone *z, struct lfp_cache *c, bool release)
{
	lfp_zone_cache_unload(z, c);
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

	lfp_cache_park_local(c);
	lfp_cache_load_local(c, c->prev);
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
	m = lfp_zone_get_full(z, c->node, false);
	if (!m) {
		k = lfp_zone_carve(z, c->node, c->rounds, z->carve_batch,
				   &err);
		c->n = (uint32_t)k;
		if (z->debug)
			lfp_check_carved(z, c->rounds, k);
		if (k)
			return 0;
		/* The node's slab cannot grow: other nodes' depots. */
		m = lfp_zone_get_full(z, c->node, true);
		if (!m)
			return err;
	}
	lfp_counter_add(&c->depot_gets, 1);
	lfp_cache_park_local(c);
	lfp_depot_put_empty(&z->depot, c->prev);
	c->prev = c->loaded;
	lfp_cache_load_local(c, m);
	return 0;
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
	lfp_zone_put_full(z, c->node, c->prev);
	lfp_counter_add(&c->depot_puts, 1);
	lfp_cache_park_local(c);
	c->prev = c->loaded;
	lfp_cache_load_local(c, e);
	return 0;
}

/* One try of a slow-path get; errno EDQUOT when the budget is spent. */
static void *
zone_get_once(struct lfp_zone *z)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	void *obj = NULL;
	int err;

	err = lfp_zone_cache_enter(z, &c, &p);
	if (err == EAGAIN)
		return lfp_zone_get_direct(z);
	if (err) {
		errno = err;
		return NULL;
	}
	if (!c->n)
		err = lfp_zone_refill(z, c);
	if (!err) {
		lfp_counter_add(&c->gets, 1);
		obj = c->rounds[--c->n];
		if (z->debug)
			lfp_check_get(z, obj);
	}
	lfp_zone_cache_leave(z, c, p);
	if (err)
		errno = err;
	return obj;
}

void
lfp_zone_budget_reclaim(struct lfp_zone *z)
{
	struct lfp_budget *b = z->slab.budget;

	if (b && b->reclaim)
		b->reclaim(b->arg, z);
}

/*
 * At the budget, reclaim (other caches to the depot, other classes' depot
 * memory to the system), then try once more; past it, ENOMEM.
 */
void *
lfp_zone_get_slow(struct lfp_zone *z)
{
	void *obj = zone_get_once(z);

	if (lfp_unlikely(!obj) && errno == EDQUOT) {
		lfp_zone_budget_reclaim(z);
		obj = zone_get_once(z);
		if (!obj && errno == EDQUOT)
			errno = ENOMEM;
	}
	return obj;
}

int
lfp_zone_put_slow(struct lfp_zone *z, void *obj)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	int err;

	err = lfp_zone_cache_enter(z, &c, &p);
	if (err == EAGAIN)
		return lfp_zone_put_direct(z, obj);
	if (err)
		return -err;
	/* Room first: a put that fails leaves the object as it was. */
	if (c->n == c->cap)
		err = lfp_zone_drain(z, c);
	if (!err && z->debug && lfp_check_put(z, obj))
		err = EINVAL;
	if (!err) {
		lfp_counter_add(&c->puts, 1);
		c->rounds[c->n++] = obj;
	}
	lfp_zone_cache_leave(z, c, p);
	return -err;
}

static size_t
zone_get_bulk_once(struct lfp_zone *z, void **objs, size_t n)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t got = 0;
	int err;

	err = lfp_zone_cache_enter(z, &c, &p);
	if (err == EAGAIN)
		return lfp_zone_get_bulk_direct(z, objs, n);
	if (lfp_unlikely(err)) {
		errno = err;
		return 0;
	}
	while (got < n) {
		size_t k;

		if (!c->n) {
			err = lfp_zone_refill(z, c);
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
	lfp_zone_cache_leave(z, c, p);
	return got;
}

size_t
lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n)
{
	size_t got = zone_get_bulk_once(z, objs, n);

	if (got < n && errno == EDQUOT) {
		lfp_zone_budget_reclaim(z);
		got += zone_get_bulk_once(z, objs + got, n - got);
		if (got < n && errno == EDQUOT)
			errno = ENOMEM;
	}
	return got;
}

size_t
lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t i = 0, put = 0;
	int err;

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
	err = lfp_zone_cache_enter(z, &c, &p);
	if (err == EAGAIN)
		return lfp_zone_put_bulk_direct(z, objs, n);
	if (lfp_unlikely(err)) {
		errno = err;
		return 0;
	}
	while (i < n) {
		uint32_t k, room, cnt;
		void **r;

		if (c->n == c->cap) {
			err = lfp_zone_drain(z, c);
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
	lfp_zone_cache_leave(z, c, p);
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
	     c = c->next)
		lfp_zone_cache_count(z, c, st, &misses);
	for (uint32_t i = 0; z->pcpu && i < z->ncpu; i++)
		lfp_zone_cache_count(z, &z->pcpu_caches[i], st, &misses);
	st->direct = lfp_counter_read(&z->direct_gets) +
		     lfp_counter_read(&z->direct_puts);
	st->gets += lfp_counter_read(&z->direct_gets);
	st->puts += lfp_counter_read(&z->direct_puts) +
		    lfp_counter_read(&z->rcu_puts);
	st->deferred = lfp_counter_read(&z->rcu_pending);
	misses += lfp_counter_read(&z->direct_gets);
	st->hits = st->gets > misses ? st->gets - misses : 0;
	for (uint32_t k = 0; k < z->ndepots; k++) {
		struct lfp_slab *s = lfp_zone_slab(z, k);

		st->objects += lfp_counter_read(&s->objects);
		st->depot_objs += lfp_counter_read(&lfp_zone_depot(z, k)->objs);
		st->ctor_failures += lfp_counter_read(&s->ctor_failures);
		st->chunks += lfp_counter_read(&s->nchunks);
		st->bytes += lfp_counter_read(&s->bytes);
	}
	st->magazines = lfp_depot_magazines(&z->depot);
	st->bytes += lfp_nodetab_bytes(z->depot.tab);
	st->nnodes = LFP_MIN(z->nnodes, LFP_NODES_MAX);
	for (uint32_t k = 0; z->nc && k < z->nnodes; k++) {
		struct lfp_node_stats *ns = &st->node[LFP_MIN(k, LFP_NODES_MAX - 1)];
		struct lfp_node_counters *nc = &z->nc[k];

		ns->bytes += lfp_counter_read(&nc->bytes);
		ns->local_gets += lfp_counter_read(&nc->local_gets);
		ns->remote_gets += lfp_counter_read(&nc->remote_gets);
		ns->remote_frees += lfp_counter_read(&nc->remote_frees);
		ns->bind_failures += lfp_counter_read(&nc->bind_failures);
	}
	if (!z->nc)
		st->node[0].bytes = lfp_counter_read(&z->slab.bytes);
	st->caches = z->pcpu ? z->ncpu : lfp_counter_read(&z->ncaches);
	st->cache_mode = z->pcpu ? LFP_CACHE_PER_CPU : LFP_CACHE_PER_THREAD;
}
