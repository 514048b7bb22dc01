/* SPDX-License-Identifier: MIT */
/*
 * zone.c - the zone (zone.h): set-up and destroy, fork(), the slow paths
 * of get and put (the cache, then the depots, then a carve from the slab,
 * then budget reclaim), the bulk calls, and statistics. The fast paths
 * are the inline lfp_zone_get/put in zone.h; what is done to a cache is
 * cache.c's, and the depots' routing numa.c's.
 */
#include "zone.h"
#include "debug.h"
#include "topo.h"

#include <string.h>

void
lfp_zone_init(struct lfp_zone *z, size_t size, size_t align,
	      unsigned int cap, lfp_ctor_fn ctor, lfp_dtor_fn dtor, void *arg,
	      const void *owner, const char *name, bool checked)
{
	/* Raw objects are linked through their first word (slab.c). */
	size_t stride = lfp_align_up(LFP_MAX(size, sizeof(void *)), align);
	/* Magazines are sized on the objects' own bytes, before the spread
	 * below: 64 rounds of 4 KiB objects stay 64 with a line between. */
	size_t packed = stride;
	struct lfp_check_mode mode;
	unsigned int batch;

	/*
	 * A power-of-two stride of 1 to 4 KiB would put the first line
	 * of every object in the same few cache sets, and a bulk of them
	 * would evict itself: one cache line more spreads them (as DPDK
	 * spreads its objects and Bonwick's slab colours its buffers). Only
	 * objects aligned to a line or less: a buffer pool's classes are
	 * aligned to their size up to a page, and keep it. Larger strides
	 * are left alone: a chunk holds few of them, and a line more could
	 * double it.
	 */
	if (stride >= LFP_SPREAD_MIN && stride <= LFP_SPREAD_MAX &&
	    lfp_is_pow2(stride) && align <= LFP_CACHELINE)
		stride += LFP_CACHELINE;

	if (!cap)
		cap = lfp_mag_rounds_auto(packed, LFP_MAG_BYTES);
	z->size = size;
	z->align = align;
	z->fast.cap = cap;
	/* A visit carves about LFP_CARVE_BYTES, at most a magazine; with a
	 * constructor, an eighth of that: each object costs. */
	batch = (unsigned int)LFP_MIN((size_t)cap,
				      LFP_MAX((size_t)1, LFP_CARVE_BYTES / stride));
	z->carve_batch = LFP_MIN(LFP_CARVE_MAX,
				 ctor ? LFP_MAX(1u, batch / 8) : batch);
	lfp_caches_init(&z->cs);
	atomic_init(&z->carve_gets, 0);
	lfp_zone_rcu_init(z, NULL);
	lfp_zone_reserve_init(z);
	/* One node until lfp_zone_numa_init() says otherwise. */
	lfp_numa_init(&z->numa, cap);
	z->name = name;
	z->numa.place.who.stride = stride;
	z->numa.place.who.name = name ? name : "";
	lfp_slab_init(&z->slab, stride, owner, ctor, dtor, arg);
	z->slab.place = &z->numa.place;
	z->slab.zone = z;
	z->xslab = NULL;
	mode = lfp_check_mode(checked, ctor != NULL);
	z->checked = mode.checked;
	z->poison = mode.poison;
	z->debug = mode.debug;
	z->slab.checked = mode.checked;
}

void
lfp_zone_lock_all(struct lfp_zone *z)
{
	pthread_mutex_lock(&z->rcu_lock);
	pthread_mutex_lock(&z->res_lock);
	for (uint32_t k = 0; k < z->numa.ndepots; k++)
		lfp_slab_fork_lock(lfp_zone_slab(z, k));
}

void
lfp_zone_unlock_all(struct lfp_zone *z)
{
	for (uint32_t k = 0; k < z->numa.ndepots; k++)
		lfp_slab_fork_unlock(lfp_zone_slab(z, k));
	pthread_mutex_unlock(&z->res_lock);
	pthread_mutex_unlock(&z->rcu_lock);
}

void
lfp_zone_fork_child(struct lfp_zone *z, void *self)
{
	lfp_caches_fork_child(&z->cs, self);
}

void
lfp_zone_mag_dtor(struct lfp_zone *z, struct lfp_mag *m)
{
	while (!lfp_mag_empty_local(m)) {
		void *obj = lfp_mag_pop_local(m);

		if (z->debug)
			lfp_os_expose(obj, z->size);
		lfp_slab_dtor(&z->slab, obj);
	}
}

void
lfp_zone_fini(struct lfp_zone *z)
{
	struct lfp_mag *m;

	lfp_zone_rcu_fini(z);
	/* Cached objects go to the depot, where the loop below finds them. */
	lfp_caches_fini(&z->cs, &z->numa);
	lfp_zone_reserve_fini(z);
	/*
	 * Every destructor runs before any chunk goes: a depot may hold
	 * objects homed on another node (put_full found no magazine to
	 * send them home), whose slab must still be mapped.
	 */
	for (uint32_t k = 0; k < z->numa.ndepots; k++) {
		struct lfp_slab *s = lfp_zone_slab(z, k);
		void *objs[LFP_CARVE_MAX];
		size_t n;

		while ((m = lfp_depot_get_full(lfp_zone_depot(z, k))))
			lfp_zone_mag_dtor(z, m);
		while ((n = lfp_slab_unspill(s, objs, LFP_CARVE_MAX)))
			for (size_t i = 0; i < n; i++) {
				if (z->debug)
					lfp_os_expose(objs[i], z->size);
				lfp_slab_dtor(s, objs[i]);
			}
	}
	for (uint32_t k = 1; k < z->numa.ndepots; k++)
		lfp_slab_fini(lfp_zone_slab(z, k));
	lfp_meta_free(z->xslab);
	z->xslab = NULL;
	lfp_slab_fini(&z->slab);
	lfp_numa_fini(&z->numa);
}

int
lfp_zone_numa_init(struct lfp_zone *z, int placement, unsigned int node)
{
	int err = lfp_numa_setup(&z->numa, placement, node);
	uint32_t n = z->numa.ndepots;

	if (err)
		return err;
	z->slab.node = lfp_numa_slab_node(&z->numa);
	if (n <= 1)
		return 0;
	z->xslab = lfp_meta_alloc((n - 1) * sizeof(*z->xslab));
	if (!z->xslab) {
		lfp_numa_fini(&z->numa);
		lfp_numa_init(&z->numa, z->fast.cap);
		return ENOMEM;
	}
	for (uint32_t k = 1; k < n; k++) {
		struct lfp_slab *x = &z->xslab[k - 1];

		lfp_slab_init(x, z->slab.stride, z->slab.owner, z->slab.ctor,
			      z->slab.dtor, z->slab.arg);
		x->checked = z->slab.checked;
		x->budget = z->slab.budget;
		x->place = &z->numa.place;
		x->zone = z;
		x->node = (int)k;
	}
	return 0;
}

size_t
lfp_zone_carve(struct lfp_zone *z, uint32_t node, void **objs, size_t n,
	       int *err)
{
	struct lfp_slab *s = lfp_zone_slab(z, lfp_numa_didx(&z->numa, node));

	return lfp_slab_carve(s, objs, n, err);
}

int
lfp_zone_set_cache_mode(struct lfp_zone *z, int mode)
{
	int err = lfp_cache_set_mode(&z->cs, mode, z->fast.cap,
				     z->numa.place.nnodes > 1);

	/* The hit paths' view; debug zones keep theirs off (ncpu 0). */
	z->fast.cpu = (struct lfp_fast_cpu *)(void *)z->cs.pcpu;
	z->fast.ncpu = z->debug ? 0 : z->cs.ncpu;
	return err;
}

void
lfp_zone_unload_caches(struct lfp_zone *z, bool idle)
{
	if (!idle)
		lfp_zone_rcu_flush(z);
	lfp_caches_unload(&z->cs, &z->numa,
			  z->cs.pcpu ? NULL : lfp_zone_cache_local(z), idle);
	lfp_zone_reserve_refill(z);
}

/* The cache for a slow path: the CPU's, or the thread's (cache.h). */
static int
zone_cache_enter(struct lfp_zone *z, struct lfp_cache **cp,
		 struct lfp_pcpu **pp)
{
	return lfp_cache_enter(&z->cs, &z->numa,
			       z->cs.pcpu ? NULL : lfp_zone_cache(z), cp, pp);
}

/* With no cache: one object from the depots (*err ENOENT when dry). */
static void *
zone_get_direct(struct lfp_zone *z, bool steal, int *err)
{
	void *obj = lfp_numa_get_direct(&z->numa,
					lfp_numa_local_node(&z->numa), steal);

	if (!obj) {
		*err = ENOENT;
		return NULL;
	}
	if (z->debug)
		lfp_check_get(z, obj);
	*err = 0;
	return obj;
}

void
lfp_zone_put_direct(struct lfp_zone *z, void *obj)
{
	if (!lfp_numa_put_direct(&z->numa, lfp_numa_local_node(&z->numa), obj))
		lfp_slab_spill(obj);    /* no magazine to be had */
}

/* The bulk calls with no cache: whole magazines from / to the depots. */
static size_t
zone_get_bulk_direct(struct lfp_zone *z, void **objs, size_t n, bool steal)
{
	size_t got = lfp_numa_get_bulk_direct(&z->numa,
					      lfp_numa_local_node(&z->numa),
					      objs, n, steal);

	for (size_t i = 0; z->debug && i < got; i++)
		lfp_check_get(z, objs[i]);
	return got;
}

static void
zone_put_bulk_direct(struct lfp_zone *z, void *const *objs, size_t n)
{
	size_t i = lfp_numa_put_bulk_direct(&z->numa,
					    lfp_numa_local_node(&z->numa),
					    objs, n), k = 0;

	/* No magazine to be had for the rest: spill. */
	for (; i < n; i++)
		if (objs[i]) {
			lfp_slab_spill(objs[i]);
			k++;
		}
	if (k)
		lfp_shared_add(&z->numa.direct_puts, k);
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

	*err = zone_cache_enter(z, &c, &p);
	if (*err)
		return zone_get_direct(z, steal, err);
	if (!c->n)
		*err = lfp_cache_refill(c, &z->numa, steal);
	if (!*err) {
		lfp_counter_add(&c->gets, 1);
		obj = c->rounds[--c->n];
		if (z->debug)
			lfp_check_get(z, obj);
	}
	lfp_cache_leave(&z->cs, c, p);
	return obj;
}

void
lfp_zone_stash(struct lfp_zone *z, uint32_t node, void *const *objs, size_t n)
{
	struct lfp_mag *m;

	if (!n)
		return;
	m = lfp_depot_get_empty(&z->numa.depot);
	if (!m) {
		for (size_t i = 0; i < n; i++)
			lfp_slab_spill(objs[i]);
		return;
	}
	lfp_mag_give_local(m, objs, n);
	lfp_numa_put_full(&z->numa, node, m);
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
	uint32_t node = lfp_numa_local_node(&z->numa);
	size_t k = lfp_zone_carve(z, node, objs, z->carve_batch, err);

	if (!k)
		return NULL;
	if (z->debug)
		lfp_check_carved(z, objs, k);
	obj = objs[--k];
	lfp_zone_stash(z, node, objs, k);
	lfp_numa_count_carved(&z->numa, node, &obj, 1);
	lfp_shared_add(&z->carve_gets, 1);
	if (z->debug)
		lfp_check_get(z, obj);
	return obj;
}

/* A get fails: at the budget (EDQUOT), its probe; errno ENOMEM then. */
static void
zone_get_failed(struct lfp_zone *z, int err)
{
	if (err == EDQUOT) {
		LFP_PROBE(budget_refuse, LFP_WHO(&z->numa.place.who),
			  z->slab.budget->limit,
			  atomic_load_explicit(&z->slab.budget->used,
					       memory_order_relaxed));
		err = ENOMEM;
	}
	errno = err;
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
		if (z->numa.ndepots > 1 && (obj = zone_get_cached(z, true, &e)))
			return obj;
		if (err != EDQUOT || round)
			break;
		lfp_zone_budget_reclaim(z);
		if ((obj = zone_get_cached(z, false, &e)))
			return obj;
	}
	if ((obj = lfp_zone_reserve_get(z)))
		return obj;
	zone_get_failed(z, err);
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

	err = zone_cache_enter(z, &c, &p);
	if (err) {
		if (z->debug && lfp_check_put(z, obj))
			return -EINVAL;
		if (!lfp_zone_reserve_short(z) || !lfp_zone_reserve_put(z, obj))
			lfp_zone_put_direct(z, obj);
		return 0;
	}
	if (z->debug && lfp_check_put(z, obj)) {
		lfp_cache_leave(&z->cs, c, p);
		return -EINVAL;
	}
	if (lfp_zone_reserve_short(z) && lfp_zone_reserve_put(z, obj)) {
		lfp_cache_leave(&z->cs, c, p);
		return 0;
	}
	if (c->n == c->cap)
		err = lfp_cache_drain(c, &z->numa);
	if (!err) {
		lfp_counter_add(&c->puts, 1);
		c->rounds[c->n++] = obj;
	}
	lfp_cache_leave(&z->cs, c, p);
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

/*
 * A per-CPU bulk get's rest, after its cache gave what it had: whole
 * magazines from the depots with no lock held (counted as direct), the
 * last one's leftovers kept in the cache of the CPU it runs on now (a
 * second short hold of its lock) if that cache has room for them.
 */
static size_t
zone_get_bulk_depot(struct lfp_zone *z, uint32_t node, void **objs,
		    size_t n, bool steal)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	struct lfp_mag *m;
	size_t got = 0;

	while (got < n && (m = lfp_numa_get_full(&z->numa, node, steal))) {
		got += lfp_mag_take_local(m, objs + got, n - got);
		if (m->n && !zone_cache_enter(z, &c, &p)) {
			m = lfp_cache_keep(c, m, true);
			lfp_cache_leave(&z->cs, c, p);
		}
		lfp_numa_put_full(&z->numa, node, m);
	}
	lfp_shared_add(&z->numa.direct_gets, got);
	return got;
}

/*
 * Up to @n from the cache and the depot; stops when both are dry. A
 * per-thread cache exchanges magazines with the depot as it goes; a
 * per-CPU one holds its CPU's lock only while it copies what it has,
 * and the rest comes from the depot after it left.
 */
static size_t
zone_get_bulk_cached(struct lfp_zone *z, void **objs, size_t n, bool steal)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t got = 0;
	uint32_t node;

	if (zone_cache_enter(z, &c, &p))
		return zone_get_bulk_direct(z, objs, n, steal);
	lfp_cache_fit_bulk(c, n, true);
	while (got < n) {
		size_t k;

		if (!c->n && (p ? !lfp_cache_refill_local(c) :
			      lfp_cache_refill(c, &z->numa, steal) != 0))
			break;
		k = LFP_MIN(n - got, (size_t)c->n);
		c->n -= (uint32_t)k;
		memcpy(objs + got, c->rounds + c->n, k * sizeof(void *));
		got += k;
	}
	lfp_counter_add(&c->gets, got);
	node = c->node;
	lfp_cache_leave(&z->cs, c, p);
	if (p && got < n)
		got += zone_get_bulk_depot(z, node, objs + got, n - got,
					   steal);
	for (size_t i = 0; z->debug && i < got; i++)
		lfp_check_get(z, objs[i]);
	return got;
}

size_t
lfp_zone_get_bulk(struct lfp_zone *z, void **objs, size_t n)
{
	size_t got, k;
	int err = 0;

	/* The hit path of <lfpool/inline.h>, which callers inline too. */
	if (lfp_fast_get_bulk(&z->fast, objs, n))
		return n;
	got = zone_get_bulk_cached(z, objs, n, false);

	/* As lfp_zone_get_slow(); carving straight into the caller's array. */
	for (int round = 0; got < n;) {
		uint32_t node = lfp_numa_local_node(&z->numa);

		k = lfp_zone_carve(z, node, objs + got, n - got, &err);
		if (k) {
			lfp_numa_count_carved(&z->numa, node, objs + got, k);
			if (z->debug)
				lfp_check_carved(z, objs + got, k);
			for (size_t i = 0; z->debug && i < k; i++)
				lfp_check_get(z, objs[got + i]);
			lfp_shared_add(&z->carve_gets, k);
			got += k;
			continue;
		}
		if (z->numa.ndepots > 1 &&
		    (k = zone_get_bulk_cached(z, objs + got, n - got, true))) {
			got += k;
			continue;
		}
		if (err != EDQUOT || round++)
			break;
		lfp_zone_budget_reclaim(z);
		got += zone_get_bulk_cached(z, objs + got, n - got, false);
	}
	if (got < n && lfp_zone_reserve_get_bulk(z, objs + got, n - got))
		got = n;
	if (got < n) {
		/* All or nothing: what was taken goes back. */
		lfp_zone_put_bulk(z, objs, got);
		zone_get_failed(z, err);
		return 0;
	}
	return got;
}

/*
 * A per-CPU bulk put's rest, after its cache took what it had room for:
 * into empty magazines from the depot with no lock held (counted as
 * direct), the last one, if it has room left, kept in the cache of the
 * CPU it runs on now when that cache is full; no magazine: the spill.
 */
static void
zone_put_bulk_depot(struct lfp_zone *z, uint32_t node, void *const *objs,
		    size_t n)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t i = 0, k = 0;

	while (i < n) {
		struct lfp_mag *m = lfp_depot_get_empty(&z->numa.depot);

		if (!m)
			break;
		for (; i < n && !lfp_mag_full_local(m); i++)
			if (objs[i])
				m->rounds[m->n++] = objs[i];
		k += m->n;
		if (!lfp_mag_full_local(m) && !zone_cache_enter(z, &c, &p)) {
			m = lfp_cache_keep(c, m, false);
			lfp_cache_leave(&z->cs, c, p);
		}
		lfp_numa_put_full(&z->numa, node, m);
	}
	lfp_shared_add(&z->numa.direct_puts, k);
	if (i < n)
		zone_put_bulk_direct(z, objs + i, n - i);
}

size_t
lfp_zone_put_bulk(struct lfp_zone *z, void *const *objs, size_t n)
{
	struct lfp_cache *c;
	struct lfp_pcpu *p;
	size_t i = 0, put = 0;
	uint32_t node;

	if (lfp_fast_put_bulk(&z->fast, objs, n))
		return n;  /* the hit path, as lfp_zone_get_bulk()'s */
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
	/* A short reserve first. */
	while (i < n && lfp_zone_reserve_short(z) &&
	       (!objs[i] || lfp_zone_reserve_put(z, objs[i])))
		i++;
	if (zone_cache_enter(z, &c, &p)) {
		zone_put_bulk_direct(z, objs + i, n - i);
		return n;
	}
	lfp_cache_fit_bulk(c, n - i, false);
	while (i < n) {
		uint32_t k, room, cnt;
		void **r;

		/* No room: per-CPU, the rest go to the depot after leaving
		 * (no lock held across it); no magazine: direct. */
		if (c->n == c->cap && (p ? !lfp_cache_drain_local(c) :
				       lfp_cache_drain(c, &z->numa) != 0))
			break;
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
	node = c->node;
	lfp_cache_leave(&z->cs, c, p);
	if (i < n && p)
		zone_put_bulk_depot(z, node, objs + i, n - i);
	else if (i < n)
		zone_put_bulk_direct(z, objs + i, n - i);
	return n;
}

void
lfp_zone_stats(struct lfp_zone *z, struct lfp_zone_stats *st)
{
	struct lfp_cache_stats cst;
	uint64_t misses;

	memset(st, 0, sizeof(*st));
	lfp_caches_stats(&z->cs, &cst);
	st->gets = cst.gets;
	st->puts = cst.puts;
	st->depot_gets = cst.depot_gets;
	st->depot_puts = cst.depot_puts;
	st->caches = cst.caches;
	misses = cst.misses;
	st->direct = lfp_counter_read(&z->numa.direct_gets) +
		     lfp_counter_read(&z->numa.direct_puts);
	st->gets += lfp_counter_read(&z->numa.direct_gets) +
		    lfp_counter_read(&z->carve_gets);
	st->gets += lfp_counter_read(&z->res_gets);
	st->puts += lfp_counter_read(&z->numa.direct_puts) +
		    lfp_counter_read(&z->rcu_puts) +
		    lfp_counter_read(&z->res_puts);
	st->reserve = atomic_load_explicit(&z->res_min, memory_order_relaxed);
	st->reserve_held = atomic_load_explicit(&z->res_n,
						memory_order_relaxed);
	st->deferred = lfp_counter_read(&z->rcu_pending);
	misses += lfp_counter_read(&z->numa.direct_gets) +
		  lfp_counter_read(&z->carve_gets) +
		  lfp_counter_read(&z->res_gets);
	st->hits = st->gets > misses ? st->gets - misses : 0;
	for (uint32_t k = 0; k < z->numa.ndepots; k++) {
		struct lfp_slab *s = lfp_zone_slab(z, k);

		st->objects += lfp_counter_read(&s->objects);
		st->depot_objs += lfp_counter_read(&lfp_zone_depot(z, k)->objs);
		st->ctor_failures += lfp_counter_read(&s->ctor_failures);
		st->chunks += lfp_counter_read(&s->nchunks);
		st->bytes += lfp_counter_read(&s->bytes);
	}
	st->magazines = lfp_depot_magazines(&z->numa.depot);
	st->bytes += lfp_nodetab_bytes(z->numa.depot.tab);
	st->nnodes = LFP_MIN(z->numa.place.nnodes, LFP_NODES_MAX);
	for (uint32_t k = 0; z->numa.place.nc && k < z->numa.place.nnodes; k++) {
		struct lfp_node_stats *ns = &st->node[LFP_MIN(k, LFP_NODES_MAX - 1)];
		struct lfp_node_counters *nc = &z->numa.place.nc[k];

		ns->bytes += lfp_counter_read(&nc->bytes);
		ns->local_gets += lfp_counter_read(&nc->local_gets);
		ns->remote_gets += lfp_counter_read(&nc->remote_gets);
		ns->remote_frees += lfp_counter_read(&nc->remote_frees);
		ns->bind_failures += lfp_counter_read(&nc->bind_failures);
	}
	if (!z->numa.place.nc)
		st->node[0].bytes = lfp_counter_read(&z->slab.bytes);
	for (uint32_t k = 0; k < st->nnodes; k++)
		st->node[k].os_index = lfp_topo_used_node_os_index(k);
	st->cache_mode = z->cs.pcpu ? LFP_CACHE_PER_CPU : LFP_CACHE_PER_THREAD;
	st->size = z->size;
	st->mag_rounds = z->fast.cap;
	st->in_use = st->gets > st->puts ? st->gets - st->puts : 0;
	st->cached = st->objects > st->in_use ? st->objects - st->in_use : 0;
}
