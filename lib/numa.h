/* SPDX-License-Identifier: MIT */
/*
 * numa.h - NUMA placement, below the slab. The topology comes from topo.h;
 * this layer decides where a zone's memory goes and where its objects go
 * back to:
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
 * even the loading of hwloc's topology (lfp_topo_nodes_used()).
 *
 * Two objects: struct lfp_place, which every slab of a zone points to and
 * which places its chunks (binding them to a node, counting per node);
 * and struct lfp_numa, the zone's depots, one per node or one, with the
 * routing of magazines between caches and depots.
 *
 * Binding happens only on the machine's own topology; a synthetic one
 * (LFP_TOPOLOGY, for tests) drives the same decisions with unbound
 * memory. A binding the kernel refuses leaves the chunk unbound and is
 * counted per node (bind_failures), never reported as an error.
 *
 * Invariant, kept by every path that hands a magazine to a depot of a
 * LOCAL zone (lfp_numa_put_full() and the direct puts below, through which
 * drain, flush, thread exit, carving and RCU batches go; trim puts back
 * what it took from the same depot): depot k holds only objects homed on
 * node k, so trim finds them in slab k. The one exception: when no empty
 * magazine can be had to send objects home, they stay in the local depot
 * rather than be lost (so destroy runs every destructor before it unmaps
 * any slab).
 *
 * Threads: the routing is lock-free (the depots' stacks); the placement's
 * interleave cursor and node counters are relaxed atomics.
 */
#ifndef LFP_NUMA_H
#define LFP_NUMA_H

#include "chunkmap.h"
#include "depot.h"
#include "probe.h"

/* Per-node counters, shared (magazine granularity). */
struct lfp_node_counters {
	lfp_counter_t bytes;            /* chunks placed on the node */
	lfp_counter_t local_gets;       /* objects into the node's caches, */
	lfp_counter_t remote_gets;      /* ... homed on it, or elsewhere */
	lfp_counter_t remote_frees;     /* freed there, sent to their home */
	lfp_counter_t bind_failures;    /* chunks left unbound */
} lfp_cacheline_aligned;

/* A zone's placement: what its slabs ask when they map a chunk. */
struct lfp_place {
	uint32_t nnodes;                /* the topology's nodes in use */
	int placement;                  /* LFP_PLACE_* */
	int node;                       /* LFP_PLACE_NODE: the node */
	_Atomic uint32_t rr;            /* interleave: the next chunk's node */
	struct lfp_node_counters *nc;   /* [nnodes]; NULL with one node */
	struct lfp_who who;             /* the zone, for the probes (probe.h) */
};

/*
 * The node of a new chunk [@base, @base + @size) of a slab whose chunks
 * go to @node (-1: interleave), bound to it when possible and counted.
 * @pl NULL (a slab of no zone) or one node: 0.
 */
uint32_t lfp_place_chunk(struct lfp_place *pl, int node, void *base,
			 size_t size);
/* A chunk placed on @node goes back to the system. */
void lfp_place_chunk_gone(struct lfp_place *pl, uint32_t node, size_t size);

/* A zone's depots and the routing of magazines between them. */
struct lfp_numa {
	struct lfp_depot depot;         /* node 0's, or the only one */
	struct lfp_depot *xdepot;       /* nodes 1 .. ndepots - 1 */
	uint32_t ndepots;               /* nodes with a depot: 1 or nnodes */
	struct lfp_place place;
	lfp_counter_t direct_gets;      /* objects exchanged with the depot */
	lfp_counter_t direct_puts;      /* with no cache (lock held, none) */
};

/* One node, one depot of @cap-round magazines (lfp_numa_setup() next). */
void lfp_numa_init(struct lfp_numa *nm, unsigned int cap);
/*
 * The placement (LFP_PLACE_*; @node the fixed node of LFP_PLACE_NODE, as
 * the kernel numbers it): the node counters and, LOCAL, a depot per node.
 * 0, or EINVAL (no such node among those used), ENOMEM.
 */
int lfp_numa_setup(struct lfp_numa *nm, int placement, unsigned int node);
/* The node the zone's first slab places chunks on (-1: interleave). */
int lfp_numa_slab_node(const struct lfp_numa *nm);
/* Every depot back (their magazines' objects are the caller's). */
void lfp_numa_fini(struct lfp_numa *nm);

/* Depot of node index @k (< nm->ndepots). */
static inline struct lfp_depot *
lfp_numa_depot(struct lfp_numa *nm, uint32_t k)
{
	return k ? &nm->xdepot[k - 1] : &nm->depot;
}

/* The depot index serving topology node @node. */
static inline uint32_t
lfp_numa_didx(const struct lfp_numa *nm, uint32_t node)
{
	return nm->ndepots > 1 ? node : 0;
}

/* The node whose caches the calling thread uses now. */
uint32_t lfp_numa_local_node(const struct lfp_numa *nm);
/* A loaded magazine for a cache of @node (with @steal, from other nodes'
 * depots too); NULL when the depots are dry. */
struct lfp_mag *lfp_numa_get_full(struct lfp_numa *nm, uint32_t node,
				  bool steal);
/*
 * Hand loaded magazine @m, from a cache of @node, to the depots: objects
 * homed elsewhere go to their home node's depot, a magazine per node.
 */
void lfp_numa_put_full(struct lfp_numa *nm, uint32_t node,
		       struct lfp_mag *m);
/* Count carved objects handed out on @node (stats; the rest are counted
 * when a cache takes them from the depot). */
void lfp_numa_count_carved(struct lfp_numa *nm, uint32_t node,
			   void *const *objs, size_t n);

/*
 * With no cache (its CPU's lock is held, or no memory for a thread's
 * cache), for a thread on @node: one object from the depots (NULL when
 * dry: no carving), or one to its home depot, topping up the depot's top
 * magazine or starting one. The put returns false when no magazine can be
 * had: the caller spills the object (slab.h). Counted as direct.
 */
void *lfp_numa_get_direct(struct lfp_numa *nm, uint32_t node, bool steal);
bool lfp_numa_put_direct(struct lfp_numa *nm, uint32_t node, void *obj);
/* The same for the bulk calls: whole magazines from / to the depots. The
 * put returns how many of @objs it took (up to the first it could not
 * place for want of a magazine; NULL entries are skipped). */
size_t lfp_numa_get_bulk_direct(struct lfp_numa *nm, uint32_t node,
				void **objs, size_t n, bool steal);
size_t lfp_numa_put_bulk_direct(struct lfp_numa *nm, uint32_t node,
				void *const *objs, size_t n);

#endif /* LFP_NUMA_H */
