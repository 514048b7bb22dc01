/* SPDX-License-Identifier: MIT */
/*
 * numa.c - NUMA placement (numa.h): where a zone's chunks go, and the
 * routing of its magazines between caches and the depots of its nodes.
 */
#include "numa.h"
#include "topo.h"

#include <errno.h>

uint32_t
lfp_place_chunk(struct lfp_place *pl, int node, void *base, size_t size)
{
	uint32_t k;
	int rc;

	if (!pl || pl->nnodes <= 1)
		return 0;
	k = node >= 0 ? (uint32_t)node :
	    atomic_fetch_add_explicit(&pl->rr, 1, memory_order_relaxed) %
	    pl->nnodes;
	rc = lfp_topo_bind(base, size, k);
	if (rc && rc != -EOPNOTSUPP)
		lfp_shared_add(&pl->nc[k].bind_failures, 1);
	lfp_shared_add(&pl->nc[k].bytes, size);
	return k;
}

void
lfp_place_chunk_gone(struct lfp_place *pl, uint32_t node, size_t size)
{
	if (pl && pl->nc)
		lfp_shared_sub(&pl->nc[node].bytes, size);
}

void
lfp_numa_init(struct lfp_numa *nm, unsigned int cap)
{
	lfp_depot_init(&nm->depot, cap);
	nm->xdepot = NULL;
	nm->ndepots = 1;
	nm->place.nnodes = 1;
	nm->place.placement = LFP_PLACE_LOCAL;
	nm->place.node = 0;
	atomic_init(&nm->place.rr, 0);
	nm->place.nc = NULL;
	nm->place.who = (struct lfp_who){ .name = "" };
	atomic_init(&nm->direct_gets, 0);
	atomic_init(&nm->direct_puts, 0);
}

int
lfp_numa_setup(struct lfp_numa *nm, int placement, unsigned int node)
{
	uint32_t n = lfp_topo_nodes_used();

	nm->place.nnodes = n;
	nm->place.placement = placement;
	if (placement == LFP_PLACE_NODE) {
		/* @node is the kernel's number: find the topology's. */
		int k = lfp_topo_used_node_of_os_index(node);

		if (k < 0)
			return EINVAL;
		nm->place.node = k;
	}
	if (n <= 1)
		return 0;
	nm->place.nc = lfp_meta_alloc(n * sizeof(*nm->place.nc));
	if (!nm->place.nc)
		return ENOMEM;
	if (placement != LFP_PLACE_LOCAL)
		return 0;
	nm->xdepot = lfp_meta_alloc((n - 1) * sizeof(*nm->xdepot));
	if (!nm->xdepot) {
		lfp_meta_free(nm->place.nc);
		nm->place.nc = NULL;
		return ENOMEM;
	}
	for (uint32_t k = 1; k < n; k++)
		lfp_depot_init_shared(&nm->xdepot[k - 1], &nm->depot);
	nm->ndepots = n;
	return 0;
}

int
lfp_numa_slab_node(const struct lfp_numa *nm)
{
	return nm->place.placement == LFP_PLACE_NODE ? nm->place.node :
	       nm->place.placement == LFP_PLACE_INTERLEAVE ? -1 : 0;
}

void
lfp_numa_fini(struct lfp_numa *nm)
{
	for (uint32_t k = 1; k < nm->ndepots; k++)
		lfp_depot_fini(&nm->xdepot[k - 1]);
	lfp_meta_free(nm->xdepot);
	lfp_meta_free(nm->place.nc);
	nm->xdepot = NULL;
	nm->place.nc = NULL;
	nm->ndepots = 1;
	lfp_depot_fini(&nm->depot);
}

uint32_t
lfp_numa_local_node(const struct lfp_numa *nm)
{
	return nm->place.nnodes > 1 ? lfp_topo_current_node() : 0;
}

static inline uint32_t
home_of(const void *obj)
{
	return lfp_chunkmap_get(obj)->node;
}

/* Count objects coming into a cache of @node (stats only). */
static void
count_gets(struct lfp_numa *nm, uint32_t node, void *const *objs, size_t n,
	   bool homed_here)
{
	struct lfp_node_counters *nc = nm->place.nc;
	size_t local = n;

	if (!nc || !n)
		return;
	if (!homed_here) {
		local = 0;
		for (size_t i = 0; i < n; i++)
			local += home_of(objs[i]) == node;
	}
	lfp_shared_add(&nc[node].local_gets, local);
	lfp_shared_add(&nc[node].remote_gets, n - local);
}

struct lfp_mag *
lfp_numa_get_full(struct lfp_numa *nm, uint32_t node, bool steal)
{
	uint32_t k = lfp_numa_didx(nm, node);
	struct lfp_mag *m = lfp_depot_get_full(lfp_numa_depot(nm, k));
	bool home = nm->ndepots > 1;

	/* With nothing at home (and no way to grow), take from others. */
	for (uint32_t i = 1; !m && steal && i < nm->ndepots; i++) {
		m = lfp_depot_get_full(lfp_numa_depot(nm, (k + i) %
						      nm->ndepots));
		home = false;
	}
	if (m)
		count_gets(nm, node, m->rounds, m->n, home);
	return m;
}

void
lfp_numa_count_carved(struct lfp_numa *nm, uint32_t node, void *const *objs,
		      size_t n)
{
	count_gets(nm, node, objs, n, nm->ndepots > 1);
}

void
lfp_numa_put_full(struct lfp_numa *nm, uint32_t node, struct lfp_mag *m)
{
	uint32_t here = lfp_numa_didx(nm, node), n = m->n;

	/*
	 * Objects homed elsewhere leave in one magazine per home node: a
	 * pass per such node (usually none, or one: a consumer freeing
	 * what a producer on another node made).
	 */
	while (nm->ndepots > 1) {
		uint32_t i, h = here, k = 0, w = 0;
		struct lfp_mag *e;

		for (i = 0; i < n && h == here; i++)
			h = home_of(m->rounds[i]);
		if (h == here)
			break;
		e = lfp_depot_get_empty(&nm->depot);
		if (!e)
			break;  /* they stay here: better than lost */
		for (i = 0; i < n; i++) {
			void *o = m->rounds[i];

			if (home_of(o) == h)
				e->rounds[k++] = o;
			else
				m->rounds[w++] = o;
		}
		n = w;
		e->n = k;
		lfp_depot_put_full(lfp_numa_depot(nm, h), e);
		lfp_shared_add(&nm->place.nc[node].remote_frees, k);
	}
	m->n = n;
	if (n)
		lfp_depot_put_full(lfp_numa_depot(nm, here), m);
	else
		lfp_depot_put_empty(&nm->depot, m);
}

void *
lfp_numa_get_direct(struct lfp_numa *nm, uint32_t node, bool steal)
{
	struct lfp_mag *m = lfp_numa_get_full(nm, node, steal);
	void *obj;

	if (!m)
		return NULL;
	obj = lfp_mag_pop_local(m);
	lfp_numa_put_full(nm, node, m);
	lfp_shared_add(&nm->direct_gets, 1);
	return obj;
}

bool
lfp_numa_put_direct(struct lfp_numa *nm, uint32_t node, void *obj)
{
	uint32_t home;
	struct lfp_depot *d;
	struct lfp_mag *m;

	/* Straight to the object's home depot. */
	home = nm->ndepots > 1 ? home_of(obj) : 0;
	d = lfp_numa_depot(nm, home);
	/* Top up a loaded magazine if it has room, else start one. */
	m = lfp_depot_get_full_top(d);
	if (m && lfp_mag_full_local(m)) {
		lfp_depot_put_full(d, m);
		m = NULL;
	}
	if (!m)
		m = lfp_depot_get_empty(&nm->depot);
	if (m) {
		lfp_mag_push_local(m, obj);
		lfp_depot_put_full(d, m);
	}
	lfp_shared_add(&nm->direct_puts, 1);
	if (nm->place.nc && home != lfp_numa_didx(nm, node))
		lfp_shared_add(&nm->place.nc[node].remote_frees, 1);
	return m != NULL;
}

size_t
lfp_numa_get_bulk_direct(struct lfp_numa *nm, uint32_t node, void **objs,
			 size_t n, bool steal)
{
	size_t got = 0, k;
	struct lfp_mag *m;

	while (got < n && (m = lfp_numa_get_full(nm, node, steal))) {
		k = lfp_mag_take_local(m, objs + got, n - got);
		got += k;
		lfp_shared_add(&nm->direct_gets, k);
		lfp_numa_put_full(nm, node, m);
	}
	return got;
}

size_t
lfp_numa_put_bulk_direct(struct lfp_numa *nm, uint32_t node,
			 void *const *objs, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n) {
		struct lfp_mag *m = lfp_depot_get_empty(&nm->depot);

		if (!m)
			break;
		for (; i < n && m->n < m->cap; i++)
			if (objs[i])
				m->rounds[m->n++] = objs[i];
		k += m->n;
		lfp_numa_put_full(nm, node, m);
	}
	lfp_shared_add(&nm->direct_puts, k);
	return i;
}
