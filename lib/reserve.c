/* SPDX-License-Identifier: MIT */
/*
 * reserve.c - a zone's reserve (zone.h): constructed objects kept apart
 * from its caches and depots, so that a get still finds one when the
 * slab cannot grow, as Linux's mempool_t keeps min_nr elements for the
 * requests in flight. lfp_objpool_prefill() and lfp_bufpool_prefill() set
 * its size.
 *
 * The reserve is an array of object pointers under a mutex: only slow
 * paths touch it, and only while it is short (a put) or the pool is out
 * of memory (a get). Its size and count are atomics written under the
 * mutex and read relaxed outside it, as a hint: a put that reads "short"
 * takes the mutex and looks again. A thread that holds another lock of
 * the library (a signal handler, or a CPU's cache) only tries the mutex
 * (lfp_mutex_enter()): a put then goes the usual way, a get fails as it
 * would have.
 *
 * In checked mode its objects are in the state of cached ones (carved and
 * hidden, or put and checked), so a get from it runs lfp_check_get() as a
 * get from a cache does.
 */
#include "zone.h"
#include "debug.h"
#include "probe.h"

#include <string.h>

void
lfp_zone_reserve_init(struct lfp_zone *z)
{
	pthread_mutex_init(&z->res_lock, NULL);
	z->res_objs = NULL;
	z->res_cap = 0;
	atomic_init(&z->res_min, 0);
	atomic_init(&z->res_n, 0);
	atomic_init(&z->res_gets, 0);
	atomic_init(&z->res_puts, 0);
}

void
lfp_zone_reserve_fini(struct lfp_zone *z)
{
	size_t n = atomic_load_explicit(&z->res_n, memory_order_relaxed);

	for (size_t i = 0; i < n; i++) {
		if (z->debug)
			lfp_os_expose(z->res_objs[i], z->size);
		lfp_slab_dtor(&z->slab, z->res_objs[i]);
	}
	atomic_store_explicit(&z->res_n, 0, memory_order_relaxed);
	lfp_meta_free(z->res_objs);
	z->res_objs = NULL;
	pthread_mutex_destroy(&z->res_lock);
}

/*
 * Add up to @n of @objs while the reserve is short (the last ones with
 * @last, else the first); returns how many.
 */
static size_t
reserve_add_locked(struct lfp_zone *z, void *const *objs, size_t n,
		   bool last)
{
	size_t have = atomic_load_explicit(&z->res_n, memory_order_relaxed);
	size_t want = atomic_load_explicit(&z->res_min, memory_order_relaxed);
	size_t k = have < want ? LFP_MIN(n, want - have) : 0;

	memcpy(z->res_objs + have, objs + (last ? n - k : 0),
	       k * sizeof(*objs));
	atomic_store_explicit(&z->res_n, have + k, memory_order_relaxed);
	return k;
}

/* Objects that leave the reserve for the depot, a magazine at a time. */
static void
reserve_stash(struct lfp_zone *z, void *const *objs, size_t n)
{
	uint32_t node = lfp_numa_local_node(&z->numa);

	while (n) {
		size_t k = LFP_MIN(n, (size_t)z->fast.cap);

		lfp_zone_stash(z, node, objs, k);
		objs += k;
		n -= k;
	}
}

bool
lfp_zone_reserve_put(struct lfp_zone *z, void *obj)
{
	size_t k;

	if (lfp_mutex_enter(&z->res_lock))
		return false;
	k = reserve_add_locked(z, &obj, 1, false);
	lfp_mutex_leave(&z->res_lock);
	if (k)
		lfp_shared_add(&z->res_puts, 1);
	return k;
}

void *
lfp_zone_reserve_get(struct lfp_zone *z)
{
	void *obj;

	return lfp_zone_reserve_get_bulk(z, &obj, 1) ? obj : NULL;
}

size_t
lfp_zone_reserve_get_bulk(struct lfp_zone *z, void **objs, size_t n)
{
	size_t have;

	if (!n || !atomic_load_explicit(&z->res_n, memory_order_relaxed) ||
	    lfp_mutex_enter(&z->res_lock))
		return 0;
	have = atomic_load_explicit(&z->res_n, memory_order_relaxed);
	if (have < n) {
		lfp_mutex_leave(&z->res_lock);
		return 0;
	}
	have -= n;
	memcpy(objs, z->res_objs + have, n * sizeof(*objs));
	atomic_store_explicit(&z->res_n, have, memory_order_relaxed);
	lfp_mutex_leave(&z->res_lock);
	lfp_shared_add(&z->res_gets, n);
	LFP_PROBE(reserve_get, LFP_WHO(&z->numa.place.who), n, have);
	for (size_t i = 0; z->debug && i < n; i++)
		lfp_check_get(z, objs[i]);
	return n;
}

void
lfp_zone_reserve_refill(struct lfp_zone *z)
{
	for (uint32_t k = 0; k < z->numa.ndepots && lfp_zone_reserve_short(z);
	     k++) {
		struct lfp_depot *d = lfp_zone_depot(z, k);
		struct lfp_mag *m;

		while (lfp_zone_reserve_short(z) &&
		       (m = lfp_depot_get_full(d))) {
			size_t took = 0;

			/* The reserve takes the magazine's top rounds. */
			if (!lfp_mutex_enter(&z->res_lock)) {
				took = reserve_add_locked(z, m->rounds, m->n,
							  true);
				lfp_mutex_leave(&z->res_lock);
			}
			m->n -= (uint32_t)took;
			if (lfp_mag_empty_local(m))
				lfp_depot_put_empty(&z->numa.depot, m);
			else
				lfp_depot_put_full(d, m);
			if (!took)
				return;
		}
	}
}

/* Carve what the reserve lacks, outside its lock: 0 or the error. */
static int
reserve_carve(struct lfp_zone *z)
{
	void *objs[LFP_CARVE_MAX];
	uint32_t node = lfp_numa_local_node(&z->numa);
	int err = 0;

	for (int round = 0; lfp_zone_reserve_short(z);) {
		size_t want = atomic_load_explicit(&z->res_min,
						   memory_order_relaxed) -
			      atomic_load_explicit(&z->res_n,
						   memory_order_relaxed);
		size_t k = lfp_zone_carve(z, node, objs,
					  LFP_MIN(want, (size_t)LFP_CARVE_MAX),
					  &err), took = 0;

		if (!k) {
			if (err != EDQUOT || round++)
				return err == EDQUOT ? ENOMEM : err;
			/* At the budget: what other caches hold comes back
			 * to the depot, and the reserve takes it. */
			lfp_zone_budget_reclaim(z);
			lfp_zone_reserve_refill(z);
			continue;
		}
		if (z->debug)
			lfp_check_carved(z, objs, k);
		if (!lfp_mutex_enter(&z->res_lock)) {
			took = reserve_add_locked(z, objs, k, false);
			lfp_mutex_leave(&z->res_lock);
		}
		/* Another thread's put filled it meanwhile: the depot. */
		reserve_stash(z, objs + took, k - took);
	}
	return 0;
}

/* Make the reserve's size @n, and give what it holds above to the depot. */
static void
reserve_shrink(struct lfp_zone *z, size_t n)
{
	void *objs[LFP_CARVE_MAX];
	size_t have, k;

	do {
		k = 0;
		(void)lfp_mutex_enter(&z->res_lock);    /* none held: waits */
		atomic_store_explicit(&z->res_min, n, memory_order_relaxed);
		have = atomic_load_explicit(&z->res_n, memory_order_relaxed);
		if (have > n) {
			k = LFP_MIN(have - n, (size_t)LFP_CARVE_MAX);
			have -= k;
			memcpy(objs, z->res_objs + have, k * sizeof(*objs));
			atomic_store_explicit(&z->res_n, have,
					      memory_order_relaxed);
		}
		lfp_mutex_leave(&z->res_lock);
		reserve_stash(z, objs, k);
	} while (k);
}

int
lfp_zone_reserve_set(struct lfp_zone *z, size_t n)
{
	size_t old;
	int err;

	/* Not from a signal handler that interrupted the library. */
	if (lfp_locks_held)
		return EAGAIN;
	(void)lfp_mutex_enter(&z->res_lock);
	old = atomic_load_explicit(&z->res_min, memory_order_relaxed);
	if (n > z->res_cap) {
		void **a = lfp_meta_realloc(z->res_objs, n * sizeof(*a));

		if (!a) {
			lfp_mutex_leave(&z->res_lock);
			return ENOMEM;
		}
		z->res_objs = a;
		z->res_cap = n;
	}
	if (n <= old) {
		lfp_mutex_leave(&z->res_lock);
		reserve_shrink(z, n);
		return 0;
	}
	atomic_store_explicit(&z->res_min, n, memory_order_relaxed);
	lfp_mutex_leave(&z->res_lock);
	/* Objects the depots hold first, then new ones. */
	lfp_zone_reserve_refill(z);
	err = reserve_carve(z);
	if (err)        /* back to the old size; what it took, to the depot */
		reserve_shrink(z, old);
	return err;
}
