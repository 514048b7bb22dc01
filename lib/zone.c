/* SPDX-License-Identifier: MIT */
/*
 * zone.c - the engine's slow paths: magazine exchange with the depot,
 * carving from the slab, cache claim and flush, destroy, and statistics.
 * The fast paths are the inline lfp_zone_get/put in zone.h.
 */
#include "zone.h"
#include "chunkmap.h"
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
	z->carve_batch = LFP_MIN(LFP_CARVE_MAX,
				 ctor ? LFP_MAX(1u, cap / 8) : cap);
	atomic_init(&z->caches, NULL);
	atomic_init(&z->ncaches, 0);
	z->pcpu = NULL;
	z->pcpu_caches = NULL;
	z->ncpu = z->ncpu_fast = 0;
	atomic_init(&z->direct_gets, 0);
	atomic_init(&z->direct_puts, 0);
	atomic_init(&z->carve_gets, 0);
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
	     c = c->next) {
		void *owner = atomic_load_explicit(&c->owner,
						   memory_order_relaxed);

		/* A free cache (no owner) stays free for the child's threads. */
		if (owner && owner != self)
			atomic_store_explicit(&c->owner, CACHE_LOST,
					      memory_order_relaxed);
	}
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
	/*
	 * Every destructor runs before any chunk goes: a depot may hold
	 * objects homed on another node (put_full found no magazine to
	 * send them home), whose slab must still be mapped.
	 */
	for (uint32_t k = 0; k < z->ndepots; k++) {
		struct lfp_slab *s = lfp_zone_slab(z, k);
		void *objs[LFP_CARVE_MAX];
		size_t n;

		while ((m = lfp_depot_get_full(lfp_zone_depot(z, k))))
			lfp_zone_mag_dtor(z, m);
		while ((n = lfp_slab_unspill(s, objs, LFP_CARVE_MAX)))
			for (size_t i = 0; i < n; i++) {
				if (z->debug)
					lfp_check_expose(objs[i], z->size);
				lfp_slab_dtor(s, objs[i]);
			}
	}
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
	 * flush before a destroy that waited for it (which the registry's
	 * reader count orders too).
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
lfp_zone_refill(struct lfp_zone *z, struct lfp_cache *c, bool steal)
{
	struct lfp_mag *m;

	if (!lfp_mag_empty_local(c->prev)) {
		cache_swap_local(c);
		return 0;
	}
	m = lfp_zone_get_full(z, c->node, steal);
	if (!m)
		return ENOENT;
	lfp_counter_add(&c->misses, 1);
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

void *
lfp_zone_get_direct(struct lfp_zone *z, bool steal, int *err)
{
	uint32_t node = lfp_zone_local_node(z);
	struct lfp_mag *m = lfp_zone_get_full(z, node, steal);
	void *obj;

	if (!m) {
		*err = ENOENT;
		return NULL;
	}
	obj = lfp_mag_pop_local(m);
	lfp_zone_put_full(z, node, m);
	lfp_shared_add(&z->direct_gets, 1);
	if (z->debug)
		lfp_check_get(z, obj);
	*err = 0;
	return obj;
}

void
lfp_zone_put_direct(struct lfp_zone *z, void *obj)
{
	uint32_t node = lfp_zone_local_node(z), home;
	struct lfp_depot *d;
	struct lfp_mag *m;

	/* Straight to the object's home depot. */
	home = z->ndepots > 1 ? lfp_chunkmap_get(obj)->node : 0;
	d = lfp_zone_depot(z, home);
	/* Top up a loaded magazine if it has room, else start one. */
	m = lfp_depot_get_full_top(d);
	if (m && lfp_mag_full_local(m)) {
		lfp_depot_put_full(d, m);
		m = NULL;
	}
	if (!m)
		m = lfp_depot_get_empty(&z->depot);
	if (m) {
		lfp_mag_push_local(m, obj);
		lfp_depot_put_full(d, m);
	} else {
		lfp_slab_spill(obj);    /* no magazine to be had */
	}
	lfp_shared_add(&z->direct_puts, 1);
	if (z->nc && home != lfp_zone_didx(z, node))
		lfp_shared_add(&z->nc[node].remote_frees, 1);
}

size_t
lfp_zone_get_bulk_direct(struct lfp_zone *z, void **objs, size_t n,
			 bool steal)
{
	uint32_t node = lfp_zone_local_node(z);
	size_t got = 0, k;
	struct lfp_mag *m;

	while (got < n && (m = lfp_zone_get_full(z, node, steal))) {
		k = lfp_mag_take_local(m, objs + got, n - got);
		for (size_t i = 0; z->debug && i < k; i++)
			lfp_check_get(z, objs[got + i]);
		got += k;
		lfp_shared_add(&z->direct_gets, k);
		lfp_zone_put_full(z, node, m);
	}
	return got;
}

void
lfp_zone_put_bulk_direct(struct lfp_zone *z, void *const *objs, size_t n)
{
	uint32_t node = lfp_zone_local_node(z);
	size_t i = 0, k = 0;

	while (i < n) {
		struct lfp_mag *m = lfp_depot_get_empty(&z->depot);

		if (!m) {               /* no magazine to be had: spill */
			for (; i < n; i++)
				if (objs[i]) {
					lfp_slab_spill(objs[i]);
					k++;
				}
			break;
		}
		for (; i < n && m->n < m->cap; i++)
			if (objs[i])
				m->rounds[m->n++] = objs[i];
		k += m->n;
		lfp_zone_put_full(z, node, m);
	}
	lfp_shared_add(&z->direct_puts, k);
}

/*
 * A get from the caller's cache, refilled from the depot if need be (with
 * @steal, other nodes' depots too); *err ENOENT when they are dry. With
 * no cache to be had (its CPU's lock is held: EAGAIN; no memory for a
 * thread's cache: ENOMEM), straight from the depot.
 */
static void *
zone_get_cached(struct lfp_zone *z, bool steal, int *err)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	void *obj = NULL;

	*err = lfp_zone_cache_enter(z, &c, &p);
	if (*err)
		return lfp_zone_get_direct(z, steal, err);
	if (!c->n)
		*err = lfp_zone_refill(z, c, steal);
	if (!*err) {
		lfp_counter_add(&c->gets, 1);
		obj = c->rounds[--c->n];
		if (z->debug)
			lfp_check_get(z, obj);
	}
	lfp_zone_cache_leave(z, c, p);
	return obj;
}

/*
 * Carved objects that nobody asked for yet: one magazine to the depot
 * (@n is at most a magazine), or the spill when no magazine can be had.
 */
static void
zone_stash(struct lfp_zone *z, uint32_t node, void *const *objs, size_t n)
{
	struct lfp_mag *m;

	if (!n)
		return;
	m = lfp_depot_get_empty(&z->depot);
	if (!m) {
		for (size_t i = 0; i < n; i++)
			lfp_slab_spill(objs[i]);
		return;
	}
	lfp_mag_give_local(m, objs, n);
	lfp_zone_put_full(z, node, m);
}

/*
 * Grow: carve a batch outside every cache and lock, so that constructors
 * run with nothing of the pool held (they may use this pool or another,
 * take their time, or fail). One object is handed out; the rest go to the
 * depot, where the cache's next refill finds them.
 */
static void *
zone_get_carve(struct lfp_zone *z, int *err)
{
	void *objs[LFP_CARVE_MAX], *obj;
	uint32_t node = lfp_zone_local_node(z);
	size_t k = lfp_zone_carve(z, node, objs, z->carve_batch, err);

	if (!k)
		return NULL;
	if (z->debug)
		lfp_check_carved(z, objs, k);
	obj = objs[--k];
	zone_stash(z, node, objs, k);
	lfp_zone_count_carved(z, node, &obj, 1);
	lfp_shared_add(&z->carve_gets, 1);
	if (z->debug)
		lfp_check_get(z, obj);
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
 * The cache, then the depot, then a carve; when the slab cannot grow,
 * other nodes' depots; at the budget, reclaim (other caches to the depot,
 * other classes' depot memory to the system) and try once more; past it,
 * ENOMEM.
 */
void *
lfp_zone_get_slow(struct lfp_zone *z)
{
	void *obj;
	int err, e;

	if ((obj = zone_get_cached(z, false, &err)))
		return obj;
	for (int round = 0;; round++) {
		if ((obj = zone_get_carve(z, &err)))
			return obj;
		if (z->ndepots > 1 && (obj = zone_get_cached(z, true, &e)))
			return obj;
		if (err != EDQUOT || round)
			break;
		lfp_zone_budget_reclaim(z);
		if ((obj = zone_get_cached(z, false, &e)))
			return obj;
	}
	errno = err == EDQUOT ? ENOMEM : err;
	return NULL;
}

/*
 * A put of the pool's own object never fails: with no cache to be had,
 * or no magazine to make room, it goes straight to the depot, and with no
 * magazine at all to the spill (slab.h), which needs no memory.
 */
static int
zone_put_slow(struct lfp_zone *z, void *obj)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	int err;

	err = lfp_zone_cache_enter(z, &c, &p);
	if (err) {
		if (z->debug && lfp_check_put(z, obj))
			return -EINVAL;
		lfp_zone_put_direct(z, obj);
		return 0;
	}
	if (z->debug && lfp_check_put(z, obj)) {
		lfp_zone_cache_leave(z, c, p);
		return -EINVAL;
	}
	if (c->n == c->cap)
		err = lfp_zone_drain(z, c);
	if (!err) {
		lfp_counter_add(&c->puts, 1);
		c->rounds[c->n++] = obj;
	}
	lfp_zone_cache_leave(z, c, p);
	if (err)
		lfp_zone_put_direct(z, obj);
	return 0;
}

/* What failed on the way (no memory for a cache) stays out of errno. */
int
lfp_zone_put_slow(struct lfp_zone *z, void *obj)
{
	int rc;

	LFP_KEEP_ERRNO(rc = zone_put_slow(z, obj));
	return rc;
}

/* Up to @n from the cache and the depot; stops when both are dry. */
static size_t
zone_get_bulk_cached(struct lfp_zone *z, void **objs, size_t n, bool steal)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t got = 0;

	if (lfp_zone_cache_enter(z, &c, &p))
		return lfp_zone_get_bulk_direct(z, objs, n, steal);
	while (got < n) {
		size_t k;

		if (!c->n && lfp_zone_refill(z, c, steal))
			break;
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
	size_t got = zone_get_bulk_cached(z, objs, n, false), k;
	int err = 0;

	/* As lfp_zone_get_slow(); carving straight into the caller's array. */
	for (int round = 0; got < n;) {
		uint32_t node = lfp_zone_local_node(z);

		k = lfp_zone_carve(z, node, objs + got, n - got, &err);
		if (k) {
			lfp_zone_count_carved(z, node, objs + got, k);
			if (z->debug)
				lfp_check_carved(z, objs + got, k);
			for (size_t i = 0; z->debug && i < k; i++)
				lfp_check_get(z, objs[got + i]);
			lfp_shared_add(&z->carve_gets, k);
			got += k;
			continue;
		}
		if (z->ndepots > 1 &&
		    (k = zone_get_bulk_cached(z, objs + got, n - got, true))) {
			got += k;
			continue;
		}
		if (err != EDQUOT || round++)
			break;
		lfp_zone_budget_reclaim(z);
		got += zone_get_bulk_cached(z, objs + got, n - got, false);
	}
	if (got < n) {
		/* All or nothing: what was taken goes back. */
		lfp_zone_put_bulk(z, objs, got);
		errno = err == EDQUOT ? ENOMEM : err;
		return 0;
	}
	return got;
}

size_t
lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
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
	if (lfp_zone_cache_enter(z, &c, &p)) {
		lfp_zone_put_bulk_direct(z, objs, n);
		return n;
	}
	while (i < n) {
		uint32_t k, room, cnt;
		void **r;

		if (c->n == c->cap && lfp_zone_drain(z, c))
			break;  /* no magazine: the rest go direct */
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
	if (i < n)
		lfp_zone_put_bulk_direct(z, objs + i, n - i);
	return n;
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
	st->gets += lfp_counter_read(&z->direct_gets) +
		    lfp_counter_read(&z->carve_gets);
	st->puts += lfp_counter_read(&z->direct_puts) +
		    lfp_counter_read(&z->rcu_puts);
	st->deferred = lfp_counter_read(&z->rcu_pending);
	misses += lfp_counter_read(&z->direct_gets) +
		  lfp_counter_read(&z->carve_gets);
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
	for (uint32_t k = 0; k < st->nnodes; k++)
		st->node[k].os_index = lfp_numa_node_os_index(k);
	st->caches = z->pcpu ? z->ncpu : lfp_counter_read(&z->ncaches);
	st->cache_mode = z->pcpu ? LFP_CACHE_PER_CPU : LFP_CACHE_PER_THREAD;
}
