/* SPDX-License-Identifier: MIT */
/*
 * numa.c - NUMA placement on the engine. The topology comes from topo.h
 * (hwloc); this file decides where a zone's memory goes and where its
 * objects go back to:
 *  - placement LFP_PLACE_LOCAL (default): one depot and one slab per node.
 *    A cache (a CPU's, or a thread's at the moment of its slow path)
 *    serves the node of its CPU: it refills from that node's depot and
 *    carves from that node's slab, whose chunks are bound to the node.
 *    An object freed on another node's CPU goes back to its home node's
 *    depot when its magazine leaves the cache, a magazine per home node
 *    (never one atomic per object); hits stay on the fast path untouched.
 *  - LFP_PLACE_NODE: one depot, all chunks bound to one node;
 *  - LFP_PLACE_INTERLEAVE: one depot, chunks bound round-robin.
 * An object's home is its chunk's node (chunk map, then chunk header).
 * With one node (or a topology that cannot be read) all of this reduces
 * to one depot and no lookups; a kernel that knows only node 0 spares
 * even the loading of hwloc's topology (nodes_init()).
 *
 * Binding happens only on the machine's own topology; a synthetic one
 * (LFP_TOPOLOGY, for tests) drives the same decisions with unbound
 * memory. A binding the kernel refuses leaves the chunk unbound and is
 * counted per node (bind_failures), never reported as an error.
 *
 * Invariant, kept by every path that hands a magazine to a depot of a
 * LOCAL zone (drain, flush, direct puts, RCU batches, trim): depot k holds
 * only objects homed on node k, so trim finds them in slab k.
 */
#include "zone.h"
#include "chunkmap.h"
#include "topo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t nodes_once = PTHREAD_ONCE_INIT;
static uint32_t nodes_seen = 1;
static bool nodes_topo;         /* nodes_seen is the topology's count */

/*
 * Nodes the pools place memory on. A machine whose kernel knows only
 * node 0 (most virtual machines and containers) has one, and then hwloc
 * is not loaded at all: a topology costs milliseconds and megabytes.
 */
static void
nodes_init(void)
{
	FILE *f;
	char buf[64] = "";

	if (!getenv("LFP_TOPOLOGY")) {
		f = fopen("/sys/devices/system/node/possible", "re");
		if (!f)
			return;         /* no NUMA in this kernel: one node */
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (!strcmp(buf, "0\n") || !strcmp(buf, "0"))
			return;
	}
	nodes_seen = lfp_topo_nnodes();
	nodes_topo = true;
}

unsigned int
lfp_numa_node_os_index(uint32_t node)
{
	pthread_once(&nodes_once, nodes_init);
	return nodes_topo ? (unsigned int)lfp_topo_node_os_index(node) : 0;
}

int
lfp_zone_numa_init(struct lfp_zone *z, int placement, unsigned int node)
{
	uint32_t n;

	pthread_once(&nodes_once, nodes_init);
	n = nodes_seen;

	z->nnodes = n;
	z->placement = placement;
	z->ndepots = 1;
	z->extra = NULL;
	z->nc = NULL;
	atomic_init(&z->rr, 0);
	z->slab.zone = z;
	z->slab.node = 0;
	if (placement == LFP_PLACE_NODE) {
		/* @node is the kernel's number: find the topology's. */
		int k = nodes_topo ? lfp_topo_node_of_os_index(node) :
			node ? -1 : 0;

		if (k < 0 || (uint32_t)k >= n)
			return EINVAL;
		z->slab.node = k;
	} else if (placement == LFP_PLACE_INTERLEAVE) {
		z->slab.node = -1;
	}
	if (n <= 1)
		return 0;
	z->nc = lfp_meta_alloc(n * sizeof(*z->nc));
	if (!z->nc)
		return ENOMEM;
	if (placement != LFP_PLACE_LOCAL)
		return 0;
	z->extra = lfp_meta_alloc((n - 1) * sizeof(*z->extra));
	if (!z->extra) {
		lfp_meta_free(z->nc);
		z->nc = NULL;
		return ENOMEM;
	}
	for (uint32_t k = 1; k < n; k++) {
		struct lfp_node_extra *x = &z->extra[k - 1];

		lfp_depot_init_shared(&x->depot, &z->depot);
		lfp_slab_init(&x->slab, z->slab.stride, z->slab.owner,
			      z->slab.ctor, z->slab.dtor, z->slab.arg);
		x->slab.checked = z->slab.checked;
		x->slab.budget = z->slab.budget;
		x->slab.zone = z;
		x->slab.node = (int)k;
	}
	z->ndepots = n;
	return 0;
}

void
lfp_zone_numa_fini(struct lfp_zone *z)
{
	/* The destructors ran already (lfp_zone_fini()). */
	for (uint32_t k = 1; k < z->ndepots; k++) {
		lfp_slab_fini(lfp_zone_slab(z, k));
		lfp_depot_fini(lfp_zone_depot(z, k));
	}
	lfp_meta_free(z->extra);
	lfp_meta_free(z->nc);
	z->extra = NULL;
	z->nc = NULL;
	z->ndepots = 1;
}

uint32_t
lfp_zone_local_node(struct lfp_zone *z)
{
	return z->nnodes > 1 ? lfp_topo_current_node() : 0;
}

static inline uint32_t
home_of(const void *obj)
{
	return lfp_chunkmap_get(obj)->node;
}

/* Count objects coming into a cache of @node (stats only). */
static void
count_gets(struct lfp_zone *z, uint32_t node, void *const *objs, size_t n,
	   bool homed_here)
{
	size_t local = n;

	if (!z->nc || !n)
		return;
	if (!homed_here) {
		local = 0;
		for (size_t i = 0; i < n; i++)
			local += home_of(objs[i]) == node;
	}
	lfp_shared_add(&z->nc[node].local_gets, local);
	lfp_shared_add(&z->nc[node].remote_gets, n - local);
}

struct lfp_mag *
lfp_zone_get_full(struct lfp_zone *z, uint32_t node, bool steal)
{
	uint32_t k = lfp_zone_didx(z, node);
	struct lfp_mag *m = lfp_depot_get_full(lfp_zone_depot(z, k));
	bool home = z->ndepots > 1;

	/* With nothing at home (and no way to grow), take from others. */
	for (uint32_t i = 1; !m && steal && i < z->ndepots; i++) {
		m = lfp_depot_get_full(lfp_zone_depot(z, (k + i) %
						       z->ndepots));
		home = false;
	}
	if (m)
		count_gets(z, node, m->rounds, m->n, home);
	return m;
}

size_t
lfp_zone_carve(struct lfp_zone *z, uint32_t node, void **objs, size_t n,
	       int *err)
{
	struct lfp_slab *s = lfp_zone_slab(z, lfp_zone_didx(z, node));

	return lfp_slab_carve(s, objs, n, err);
}

void
lfp_zone_count_carved(struct lfp_zone *z, uint32_t node, void *const *objs,
		      size_t n)
{
	count_gets(z, node, objs, n, z->ndepots > 1);
}

void
lfp_zone_put_full(struct lfp_zone *z, uint32_t node, struct lfp_mag *m)
{
	uint32_t here = lfp_zone_didx(z, node), n = m->n;

	/*
	 * Objects homed elsewhere leave in one magazine per home node: a
	 * pass per such node (usually none, or one: a consumer freeing
	 * what a producer on another node made).
	 */
	while (z->ndepots > 1) {
		uint32_t i, h = here, k = 0, w = 0;
		struct lfp_mag *e;

		for (i = 0; i < n && h == here; i++)
			h = home_of(m->rounds[i]);
		if (h == here)
			break;
		e = lfp_depot_get_empty(&z->depot);
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
		lfp_depot_put_full(lfp_zone_depot(z, h), e);
		lfp_shared_add(&z->nc[node].remote_frees, k);
	}
	m->n = n;
	if (n)
		lfp_depot_put_full(lfp_zone_depot(z, here), m);
	else
		lfp_depot_put_empty(&z->depot, m);
}

uint32_t
lfp_zone_place_chunk(struct lfp_slab *s, void *base, size_t size)
{
	struct lfp_zone *z = s->zone;
	uint32_t node;
	int rc;

	if (!z || z->nnodes <= 1)
		return 0;
	node = s->node >= 0 ? (uint32_t)s->node :
	       atomic_fetch_add_explicit(&z->rr, 1, memory_order_relaxed) %
	       z->nnodes;
	rc = lfp_topo_bind(base, size, node);
	if (rc && rc != -EOPNOTSUPP)
		lfp_shared_add(&z->nc[node].bind_failures, 1);
	lfp_shared_add(&z->nc[node].bytes, size);
	return node;
}

void
lfp_zone_chunk_gone(struct lfp_slab *s, uint32_t node, size_t size)
{
	struct lfp_zone *z = s->zone;

	if (z && z->nc)
		lfp_shared_sub(&z->nc[node].bytes, size);
}
