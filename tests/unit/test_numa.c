/* SPDX-License-Identifier: MIT */
/*
 * test_numa.c - white-box tests of NUMA placement on the engine
 * (lib/numa.c) with synthetic topologies of 1, 2 and 4 nodes: local
 * placement (objects carved on a node are homed there, per-node bytes
 * and get counters), home return (objects freed on another node go back
 * to their home node's depot, a magazine per home node, counted as
 * remote frees), stealing from another node's depot when a node's slab
 * cannot grow, interleave spread, a fixed node and the EINVAL cases,
 * a buffer pool, trim of every node's chunks, per-CPU caches on the real
 * CPUs 0 and 1 seen as two nodes, and a conservation stress of threads
 * moving between nodes. With LFP_TEST_REAL_TOPOLOGY=1, the cases whose
 * synthetic topology has the shape of the machine's run on the machine's
 * own topology, with memory really bound (make check-vm).
 *
 * The topology is loaded once per process, so every test runs its body
 * in a child of its own (run_child() of test-child.h), whatever
 * CK_FORK says: the child sets LFP_TOPOLOGY, checks, and exits; the
 * parent asserts on the child's status and reports the child's first
 * failed check. Children exit with exit(), not _exit(), so LeakSanitizer
 * checks them too, and their stderr must stay empty.
 *
 * Except for the per-CPU test, pools run per-thread and a test hook
 * (lfp_topo_set_cpu_hook) answers "which CPU am I on" from a thread-local
 * variable, so a thread moves itself between nodes by assigning it; a
 * per-thread cache serves the node of that CPU from its next slow path
 * on. An object's home is read from its chunk (lfp_chunkmap_get()).
 */
#define _GNU_SOURCE
#include "zone.h"
#include "chunkmap.h"
#include "topo.h"
#include "test-child.h"
#include "test-sysnode.h"
#include "stress-common.h"

#include <lfpool/bufpool.h>
#include <lfpool/objpool.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define TOPO_ONE "core:2 pu:1"
#define TOPO_TWO "pack:2 [numa] core:2 pu:1"     /* CPUs 0-1, 2-3 */
#define TOPO_FOUR "numa:4 core:1 pu:1"          /* CPU k on node k */

/* The CPU this thread is on, as far as the library can tell. */
static __thread int cur_cpu;

static int
hook_cpu(void *arg)
{
	(void)arg;
	return cur_cpu;
}

/* Answer "which CPU" from cur_cpu, in every thread, from now on. */
static void
use_hook(void)
{
	cur_cpu = 0;
	lfp_topo_set_cpu_hook(hook_cpu, NULL);
}

/* The node @obj is homed on: its chunk's. */
static unsigned int
home_of(const void *obj)
{
	struct lfp_chunk *c = lfp_chunkmap_get(obj);

	req(c != NULL);
	return c->node;
}

/*
 * The zone of @pool: struct lfp_objpool (lib/objpool.c) begins with it.
 * White box, for the per-node depot counts that the stats sum up; the
 * zone's slab names the pool as its owner, which checks the layout.
 */
static struct lfp_zone *
pool_zone(struct lfp_objpool *pool)
{
	struct lfp_zone *z = (struct lfp_zone *)(void *)pool;

	req(z->slab.owner == (const void *)pool);
	return z;
}

/* Objects in node @k's depot (0 when the zone has a single depot). */
static uint64_t
depot_objs(struct lfp_objpool *pool, unsigned int k)
{
	struct lfp_zone *z = pool_zone(pool);

	if (k >= z->numa.ndepots)
		return 0;
	return lfp_counter_read(&lfp_zone_depot(z, k)->objs);
}

/* The pool of @a: the create must succeed. */
static struct lfp_objpool *
pool_of(const struct lfp_objpool_attr *a)
{
	struct lfp_objpool *p = lfp_objpool_create(a);

	req(p != NULL);
	return p;
}

/* Attributes of @size-byte objects in per-thread caches, to complete. */
static void
attr_per_thread(struct lfp_objpool_attr *a, size_t size)
{
	req_eq(lfp_objpool_attr_init(a), 0);
	a->size = size;
	a->cache_mode = LFP_CACHE_PER_THREAD;
}

static struct lfp_objpool *
pool_new(size_t size, int placement, unsigned int node, int mode)
{
	struct lfp_objpool_attr a;

	req_eq(lfp_objpool_attr_init(&a), 0);
	a.size = size;
	a.placement = placement;
	a.node = node;
	a.cache_mode = mode;
	a.name = "numa";
	return pool_of(&a);
}

/* errno of a create with these attributes that must fail. */
static int
pool_create_errno(int placement, unsigned int node)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;

	attr_per_thread(&a, 64);
	a.placement = placement;
	a.node = node;
	errno = 0;
	p = lfp_objpool_create(&a);
	if (p) {
		lfp_objpool_destroy(p);
		return 0;
	}
	return errno;
}

static void
pool_stats(struct lfp_objpool *p, struct lfp_objpool_stats *st)
{
	req_eq(lfp_objpool_stats(p, st), 0);
}

static void
get_n(struct lfp_objpool *p, void **objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		objs[i] = lfp_objpool_get(p);
		req(objs[i] != NULL);
	}
}

static void
put_n(struct lfp_objpool *p, void **objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		req_eq(lfp_objpool_put(p, objs[i]), 0);
}

static void
req_homed(void **objs, size_t n, unsigned int node)
{
	for (size_t i = 0; i < n; i++)
		req_eq(home_of(objs[i]), node);
}

/* Nothing a synthetic topology could bind was counted as refused. */
static void
req_no_bind_failures(const struct lfp_node_stats *ns, unsigned int nnodes)
{
	for (unsigned int k = 0; k < nnodes; k++)
		req_eq(ns[k].bind_failures, 0);
}

#define SMALL 64                /* 1024 objects per 64 KiB chunk */
#define CHUNK ((size_t)64 << 10)
#define MAXOBJS 4096

static void *objs[MAXOBJS], *objs2[MAXOBJS];

/*
 * Local placement over @ncpus CPUs of @nnodes nodes, CPU c on map[c].
 * First a pool per node, used from that node's CPUs only: its objects
 * are homed there, its memory and gets are the node's alone, and local
 * frees stay local. Then one pool used from every CPU in turn.
 */
static void
check_local(const unsigned int *map, unsigned int ncpus, unsigned int nnodes)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	unsigned int cap, g;
	size_t got;

	req_eq(lfp_topo_nnodes(), nnodes);
	use_hook();
	for (unsigned int k = 0; k < nnodes; k++) {
		p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
		pool_stats(p, &st);
		req_eq(st.nnodes, nnodes);
		req_eq(st.placement, LFP_PLACE_LOCAL);
		req_eq(pool_zone(p)->numa.ndepots, nnodes);
		cap = st.mag_rounds;
		/* Whole magazines: what a cache takes in is handed out. */
		g = 2 * cap;
		got = 0;
		for (unsigned int c = 0; c < ncpus; c++) {
			if (map[c] != k)
				continue;
			cur_cpu = (int)c;
			get_n(p, objs + got, g);
			req_homed(objs + got, g, k);
			got += g;
		}
		req(got > 0);
		pool_stats(p, &st);
		for (unsigned int j = 0; j < nnodes; j++) {
			if (j == k)
				req(st.node[j].bytes > 0);
			else
				req_eq(st.node[j].bytes, 0);
			req_eq(st.node[j].local_gets, j == k ? got : 0);
			req_eq(st.node[j].remote_gets, 0);
		}
		req_eq(st.node[k].bytes, st.chunks * CHUNK);
		/* Freed on the node they came from: nothing remote. */
		put_n(p, objs, got);
		req_eq(lfp_objpool_flush(p), 0);
		pool_stats(p, &st);
		req_eq(st.in_use, 0);
		req_eq(depot_objs(p, k), st.objects);
		for (unsigned int j = 0; j < nnodes; j++) {
			req_eq(st.node[j].local_gets, j == k ? got : 0);
			req_eq(st.node[j].remote_gets, 0);
			req_eq(st.node[j].remote_frees, 0);
		}
		req_no_bind_failures(st.node, nnodes);
		req_eq(lfp_objpool_destroy(p), 0);
	}

	/* One pool, every CPU in turn: each gets its own node's objects. */
	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
	pool_stats(p, &st);
	g = 2 * st.mag_rounds;
	for (unsigned int c = 0; c < ncpus; c++) {
		cur_cpu = (int)c;
		get_n(p, objs + c * g, g);
		req_homed(objs + c * g, g, map[c]);
	}
	for (unsigned int c = 0; c < ncpus; c++) {
		cur_cpu = (int)c;
		put_n(p, objs + c * g, g);
		req_eq(lfp_objpool_flush(p), 0);
	}
	pool_stats(p, &st);
	req_eq(st.nnodes, nnodes);
	req_eq(st.in_use, 0);
	for (unsigned int k = 0; k < nnodes; k++) {
		unsigned int cpus = 0;

		for (unsigned int c = 0; c < ncpus; c++)
			cpus += map[c] == k;
		req(st.node[k].bytes > 0);
		req_eq(st.node[k].local_gets, (uint64_t)cpus * g);
		req_eq(st.node[k].remote_gets, 0);
		req_eq(st.node[k].remote_frees, 0);
		req_eq(depot_objs(p, k), (uint64_t)cpus * g);
	}
	req_no_bind_failures(st.node, nnodes);
	req_eq(lfp_objpool_destroy(p), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

static void
body_local_two(void)
{
	static const unsigned int map[] = { 0, 0, 1, 1 };

	check_local(map, 4, 2);
}

static void
body_local_four(void)
{
	static const unsigned int map[] = { 0, 1, 2, 3 };

	check_local(map, 4, 4);
}

/*
 * Home return on 4 nodes: objects got on node 1 and put on node 3 go
 * back to node 1's depot, where node 1 finds them again without carving;
 * node 3 does not see them and carves its own.
 */
static void
body_home_return(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	uint64_t objects;
	unsigned int cap, n;
	void *o;

	use_hook();
	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
	pool_stats(p, &st);
	cap = st.mag_rounds;
	n = 5 * cap;
	req(n <= MAXOBJS);

	cur_cpu = 1;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	req_eq(lfp_objpool_flush(p), 0);
	cur_cpu = 3;
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	objects = st.objects;
	req_eq(st.in_use, 0);
	req_eq(st.depot_cached, objects);
	for (unsigned int k = 0; k < 4; k++) {
		req_eq(st.node[k].remote_frees, k == 3 ? n : 0);
		req_eq(st.node[k].remote_gets, 0);
		req_eq(st.node[k].local_gets, k == 1 ? objects : 0);
		req_eq(st.node[k].bytes, k == 1 ? st.chunks * CHUNK : 0);
		/* Every object went home: nothing stayed with node 3. */
		req_eq(depot_objs(p, k), k == 1 ? objects : 0);
	}

	/* Node 1 gets them back: nothing new carved. */
	cur_cpu = 1;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	pool_stats(p, &st);
	req_eq(st.objects, objects);
	req_eq(st.node[1].local_gets, objects + n);
	req_eq(st.node[1].remote_gets, 0);

	/* Node 3 has nothing of its own yet: it carves on node 3. */
	cur_cpu = 3;
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(home_of(o), 3);
	pool_stats(p, &st);
	req(st.objects > objects);
	req(st.node[3].bytes > 0);
	/* One object came out; the rest of the batch waits in its depot. */
	req_eq(st.node[3].local_gets, 1);
	req_eq(depot_objs(p, 3), st.objects - objects - 1);
	req_eq(st.node[3].remote_gets, 0);
	req_eq(lfp_objpool_put(p, o), 0);
	req_eq(lfp_objpool_flush(p), 0);
	cur_cpu = 1;
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	req_eq(st.node[3].remote_frees, n);
	req_eq(st.node[1].remote_frees, 0);
	req_no_bind_failures(st.node, 4);
	req_eq(lfp_objpool_destroy(p), 0);

	/*
	 * One magazine of objects from two homes, freed on a third node:
	 * each home gets its own back, and only those.
	 */
	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
	pool_stats(p, &st);
	cap = st.mag_rounds;
	cur_cpu = 1;
	get_n(p, objs, cap);
	req_eq(lfp_objpool_flush(p), 0);
	cur_cpu = 2;
	get_n(p, objs2, cap);
	req_eq(lfp_objpool_flush(p), 0);
	cur_cpu = 0;
	for (unsigned int i = 0; i < cap; i++) {
		req_eq(lfp_objpool_put(p, objs[i]), 0);
		req_eq(lfp_objpool_put(p, objs2[i]), 0);
	}
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	req_eq(st.node[0].remote_frees, 2 * cap);
	req_eq(depot_objs(p, 0), 0);
	req_eq(depot_objs(p, 1), cap);
	req_eq(depot_objs(p, 2), cap);
	req_eq(depot_objs(p, 3), 0);
	cur_cpu = 2;
	get_n(p, objs2, cap);
	req_homed(objs2, cap, 2);
	put_n(p, objs2, cap);
	req_eq(lfp_objpool_destroy(p), 0);

	/* The same in a checked pool, whose calls all take the slow path. */
	attr_per_thread(&a, SMALL);
	a.flags = LFP_OBJPOOL_F_CHECKED;
	p = pool_of(&a);
	pool_stats(p, &st);
	n = 5 * st.mag_rounds;
	cur_cpu = 1;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	cur_cpu = 3;
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	objects = st.objects;
	req_eq(st.node[3].remote_frees, n);
	req_eq(depot_objs(p, 1), objects);
	req_eq(depot_objs(p, 3), 0);
	cur_cpu = 1;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	pool_stats(p, &st);
	req_eq(st.objects, objects);
	put_n(p, objs, n);
	req_eq(lfp_objpool_destroy(p), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/*
 * Stealing on 2 nodes: with a budget of one chunk, spent on node 1, node
 * 0's slab cannot grow, so node 0 takes a magazine from node 1's depot
 * (remote gets) rather than fail; freed on node 0, the objects go home.
 */
static void
body_steal(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	unsigned int cap, n = CHUNK / SMALL;
	void *o;

	use_hook();
	req_eq(lfp_objpool_attr_init(&a), 0);
	a.size = SMALL;
	a.cache_mode = LFP_CACHE_PER_THREAD;
	a.max_bytes = CHUNK;
	p = lfp_objpool_create(&a);
	req(p != NULL);
	pool_stats(p, &st);
	cap = st.mag_rounds;
	req(n <= MAXOBJS);
	cur_cpu = 2;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	req_eq(depot_objs(p, 1), n);

	cur_cpu = 0;
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(home_of(o), 1);
	pool_stats(p, &st);
	req_eq(st.chunks, 1);
	req_eq(st.objects, n);
	req_eq(st.node[0].bytes, 0);
	req_eq(st.node[0].local_gets, 0);
	req_eq(st.node[0].remote_gets, cap);
	req_eq(lfp_objpool_put(p, o), 0);
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	req_eq(st.node[0].remote_frees, cap);
	req_eq(depot_objs(p, 0), 0);
	req_eq(depot_objs(p, 1), n);
	req_eq(lfp_objpool_destroy(p), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/* Interleave on 4 nodes: chunks round-robin, bytes spread evenly. */
static void
body_interleave(void)
{
	enum { OBJ = 1024, CHUNKS = 8 };
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	const struct lfp_chunk *seen[CHUNKS + 1];
	unsigned int nseen = 0, n, homed0 = 0;
	uint64_t lo = UINT64_MAX, hi = 0;

	use_hook();
	p = pool_new(OBJ, LFP_PLACE_INTERLEAVE, 0, LFP_CACHE_PER_THREAD);
	req_eq(pool_zone(p)->numa.ndepots, 1);
	/* CHUNKS chunks' worth of objects (a 1 KiB stride is spread: the
	 * stride says how many a chunk holds). */
	pool_stats(p, &st);
	n = (unsigned int)(CHUNK / st.stride) * CHUNKS;
	req(n <= MAXOBJS);
	cur_cpu = 0;
	get_n(p, objs, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct lfp_chunk *c = lfp_chunkmap_get(objs[i]);
		unsigned int j;

		req(c != NULL);
		req_eq(c->size, CHUNK);
		homed0 += c->node == 0;
		for (j = 0; j < nseen && seen[j] != c; j++)
			;
		if (j == nseen) {
			req(nseen < CHUNKS);
			seen[nseen++] = c;
		}
	}
	req_eq(nseen, CHUNKS);
	/* In the order they were made, the chunks' nodes cycle. */
	for (unsigned int j = 1; j < nseen; j++)
		req_eq(seen[j]->node, (seen[0]->node + j) % 4);

	pool_stats(p, &st);
	req_eq(st.placement, LFP_PLACE_INTERLEAVE);
	req_eq(st.nnodes, 4);
	req_eq(st.chunks, CHUNKS);
	for (unsigned int k = 0; k < 4; k++) {
		lo = LFP_MIN(lo, st.node[k].bytes);
		hi = LFP_MAX(hi, st.node[k].bytes);
	}
	req(lo > 0);
	req(hi - lo <= CHUNK);
	req_eq(st.node[0].bytes + st.node[1].bytes + st.node[2].bytes +
	       st.node[3].bytes, st.chunks * CHUNK);
	/* Served to node 0: its own objects local, the others remote. */
	req_eq(st.node[0].local_gets, homed0);
	req_eq(st.node[0].remote_gets, n - homed0);
	for (unsigned int k = 1; k < 4; k++)
		req_eq(st.node[k].local_gets + st.node[k].remote_gets, 0);
	req_no_bind_failures(st.node, 4);
	put_n(p, objs, n);
	req_eq(lfp_objpool_destroy(p), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/* A fixed node (2 of 4), and the placements create refuses. */
static void
body_fixed_node(void)
{
	struct lfp_bufpool_attr ba;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	unsigned int g;

	use_hook();
	p = pool_new(SMALL, LFP_PLACE_NODE, 2, LFP_CACHE_PER_THREAD);
	req_eq(pool_zone(p)->numa.ndepots, 1);
	pool_stats(p, &st);
	g = 2 * st.mag_rounds;
	cur_cpu = 0;
	get_n(p, objs, g);
	req_homed(objs, g, 2);
	cur_cpu = 2;
	get_n(p, objs + g, g);
	req_homed(objs + g, g, 2);
	pool_stats(p, &st);
	req_eq(st.placement, LFP_PLACE_NODE);
	req_eq(st.nnodes, 4);
	for (unsigned int k = 0; k < 4; k++)
		req_eq(st.node[k].bytes, k == 2 ? st.chunks * CHUNK : 0);
	req(st.node[2].bytes > 0);
	/* From node 0's CPU, node 2's memory is remote; from 2's, local. */
	req_eq(st.node[0].remote_gets, g);
	req_eq(st.node[0].local_gets, 0);
	req_eq(st.node[2].local_gets, g);
	req_eq(st.node[2].remote_gets, 0);
	req_no_bind_failures(st.node, 4);
	put_n(p, objs, 2 * g);
	req_eq(lfp_objpool_destroy(p), 0);

	/* Node 3 is the last there is; 4 is not. */
	p = pool_new(SMALL, LFP_PLACE_NODE, 3, LFP_CACHE_PER_THREAD);
	req_eq(lfp_objpool_destroy(p), 0);
	req_eq(pool_create_errno(LFP_PLACE_NODE, 4), EINVAL);
	req_eq(pool_create_errno(LFP_PLACE_NODE, 1000), EINVAL);
	req_eq(pool_create_errno(3, 0), EINVAL);
	req_eq(pool_create_errno(-1, 0), EINVAL);

	req_eq(lfp_bufpool_attr_init(&ba), 0);
	ba.cache_mode = LFP_CACHE_PER_THREAD;
	ba.placement = LFP_PLACE_NODE;
	ba.node = 4;
	errno = 0;
	req(lfp_bufpool_create(&ba) == NULL);
	req_eq(errno, EINVAL);
	ba.placement = 3;
	ba.node = 0;
	errno = 0;
	req(lfp_bufpool_create(&ba) == NULL);
	req_eq(errno, EINVAL);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/* One node: node 0 is the only one a pool may be fixed to. */
static void
body_one_node(void)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	void *o;

	req_eq(lfp_topo_nnodes(), 1);
	use_hook();
	cur_cpu = 1;
	p = pool_new(SMALL, LFP_PLACE_NODE, 0, LFP_CACHE_PER_THREAD);
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(home_of(o), 0);
	pool_stats(p, &st);
	req_eq(st.nnodes, 1);
	req_eq(st.placement, LFP_PLACE_NODE);
	req_eq(st.node[0].bytes, st.chunks * CHUNK);
	req(st.node[0].bytes > 0);
	req_eq(lfp_objpool_put(p, o), 0);
	req_eq(lfp_objpool_destroy(p), 0);
	req_eq(pool_create_errno(LFP_PLACE_NODE, 1), EINVAL);
	/* The others reduce to one depot and work. */
	p = pool_new(SMALL, LFP_PLACE_INTERLEAVE, 0, LFP_CACHE_PER_THREAD);
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(home_of(o), 0);
	req_eq(lfp_objpool_put(p, o), 0);
	req_eq(lfp_objpool_destroy(p), 0);
	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
	req_eq(pool_zone(p)->numa.ndepots, 1);
	req_eq(lfp_objpool_destroy(p), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/*
 * Allocate @cnt[s] buffers of @sizes[s] bytes from @bp for each of the
 * @nsizes sizes, into objs[] in that order: each is homed on @node.
 */
static void
alloc_homed(struct lfp_bufpool *bp, const size_t *sizes,
	    const unsigned int *cnt, unsigned int nsizes, unsigned int node)
{
	size_t i = 0;

	for (unsigned int s = 0; s < nsizes; s++) {
		for (unsigned int j = 0; j < cnt[s]; j++, i++) {
			objs[i] = lfp_bufpool_alloc(bp, sizes[s]);
			req(objs[i] != NULL);
			req_eq(home_of(objs[i]), node);
		}
	}
}

/*
 * A buffer pool, local on 2 nodes: buffers of several classes allocated
 * on node 1 and freed on node 0 go home to node 1, where they are found
 * again with nothing new carved.
 */
static void
body_bufpool(void)
{
	static const size_t sizes[] = { 16, 64, 256, 4096, 65536 };
	enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
	struct lfp_bufpool_attr a;
	struct lfp_bufpool_stats *st = calloc(1, sizeof(*st));
	struct lfp_bufpool *bp;
	uint64_t buffers[NSIZES];
	unsigned int cls[NSIZES], cnt[NSIZES];
	size_t total = 0, i;

	req(st != NULL);
	use_hook();
	req_eq(lfp_bufpool_attr_init(&a), 0);
	a.min_size = LFP_BUFPOOL_SIZE_MIN;      /* classes from 16 B */
	a.cache_mode = LFP_CACHE_PER_THREAD;
	bp = lfp_bufpool_create(&a);
	req(bp != NULL);
	req_eq(lfp_bufpool_stats(bp, st), 0);
	req_eq(st->placement, LFP_PLACE_LOCAL);
	req_eq(st->nnodes, 2);
	for (unsigned int s = 0; s < NSIZES; s++) {
		cls[s] = (unsigned int)__builtin_ctzl(sizes[s] / 16);
		req_eq(st->cls[cls[s]].size, sizes[s]);
		cnt[s] = 2 * st->cls[cls[s]].mag_rounds;
		total += cnt[s];
	}
	req(total <= MAXOBJS);

	cur_cpu = 2;
	alloc_homed(bp, sizes, cnt, NSIZES, 1);
	req_eq(lfp_bufpool_flush(bp), 0);
	cur_cpu = 0;
	for (i = 0; i < total; i++)
		req_eq(lfp_bufpool_free(bp, objs[i]), 0);
	req_eq(lfp_bufpool_flush(bp), 0);
	req_eq(lfp_bufpool_stats(bp, st), 0);
	req_eq(st->node[0].remote_frees, total);
	req_eq(st->node[1].remote_frees, 0);
	req(st->node[1].bytes > 0);
	req_eq(st->node[0].bytes, 0);
	req_eq(st->node[1].local_gets, total);
	req_eq(st->node[0].local_gets + st->node[0].remote_gets +
	       st->node[1].remote_gets, 0);
	req_no_bind_failures(st->node, 2);
	for (unsigned int s = 0; s < NSIZES; s++) {
		req_eq(st->cls[cls[s]].in_use, 0);
		buffers[s] = st->cls[cls[s]].buffers;
	}

	/* Back on node 1: the same buffers, nothing carved. */
	cur_cpu = 3;
	alloc_homed(bp, sizes, cnt, NSIZES, 1);
	req_eq(lfp_bufpool_stats(bp, st), 0);
	for (unsigned int s = 0; s < NSIZES; s++)
		req_eq(st->cls[cls[s]].buffers, buffers[s]);
	for (i = 0; i < total; i++)
		req_eq(lfp_bufpool_free(bp, objs[i]), 0);
	req_eq(lfp_bufpool_destroy(bp), 0);
	free(st);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/* Destructor calls, for trim and the stress test. */
static atomic_ulong dtor_calls;

static void
count_dtor(void *obj, void *arg)
{
	(void)obj;
	(void)arg;
	atomic_fetch_add_explicit(&dtor_calls, 1, memory_order_relaxed);
}

/*
 * Trim on 2 nodes: objects of both nodes, some in the caller's cache,
 * some in each node's depot, some freed on the other node: trimming with
 * the caches gives every chunk of both nodes back, each object
 * destructed once.
 */
static void
body_trim(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	unsigned int cap, g0, g1;
	uint64_t objects;
	void *o;

	use_hook();
	attr_per_thread(&a, SMALL);
	a.dtor = count_dtor;
	p = pool_of(&a);
	pool_stats(p, &st);
	cap = st.mag_rounds;
	/* Not whole magazines: some stay in the cache, never handed out. */
	g0 = 3 * cap + 5;
	g1 = 2 * cap + 3;
	req(g0 + g1 <= MAXOBJS);
	cur_cpu = 1;
	get_n(p, objs, g0);
	req_homed(objs, g0, 0);
	req_eq(lfp_objpool_flush(p), 0);
	cur_cpu = 2;
	get_n(p, objs2, g1);
	req_homed(objs2, g1, 1);
	/* Each node's objects freed on the other node. */
	put_n(p, objs, g0);
	cur_cpu = 0;
	put_n(p, objs2, g1);
	pool_stats(p, &st);
	req(st.node[0].bytes > 0);
	req(st.node[1].bytes > 0);
	req_eq(st.in_use, 0);
	objects = st.objects;
	req(objects >= g0 + g1);
	req_eq(atomic_load(&dtor_calls), 0);

	req_eq(lfp_objpool_trim(p, LFP_TRIM_CACHES), 0);
	pool_stats(p, &st);
	req_eq(st.chunks, 0);
	req_eq(st.objects, 0);
	req_eq(st.cached, 0);
	req_eq(st.node[0].bytes, 0);
	req_eq(st.node[1].bytes, 0);
	req_eq(atomic_load(&dtor_calls), objects);

	/* The slabs still grow, on the right node. */
	cur_cpu = 3;
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(home_of(o), 1);
	pool_stats(p, &st);
	req_eq(st.chunks, 1);
	req_eq(st.node[1].bytes, CHUNK);
	req_eq(st.node[0].bytes, 0);
	req_eq(lfp_objpool_put(p, o), 0);
	objects += st.objects;
	req_eq(lfp_objpool_destroy(p), 0);
	req_eq(atomic_load(&dtor_calls), objects);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

/*
 * Per-CPU caches on the real CPUs 0 and 1, which the topology makes
 * nodes 0 and 1: objects got on CPU 0 and put on CPU 1 go home to node
 * 0 when CPU 1's cache is flushed. No hook: the CPU is the kernel's.
 */
static void
body_pcpu(void)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	cpu_set_t set;
	uint64_t objects;
	unsigned int n;

	req_eq(lfp_topo_nnodes(), 2);
	req_eq(lfp_topo_node_of_cpu(1), 1);
	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_CPU);
	if (lfp_objpool_cache_mode(p) != LFP_CACHE_PER_CPU) {
		printf("# SKIP per-CPU caches are not available here\n");
		req_eq(lfp_objpool_destroy(p), 0);
		return;
	}
	req_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	if (!CPU_ISSET(0, &set) || !CPU_ISSET(1, &set)) {
		printf("# SKIP CPUs 0 and 1 are not both allowed\n");
		req_eq(lfp_objpool_destroy(p), 0);
		return;
	}
	pool_stats(p, &st);
	n = 5 * st.mag_rounds;
	req(n <= MAXOBJS);

	req_eq(lfp_test_pin(0), 0);
	get_n(p, objs, n);
	req_homed(objs, n, 0);
	req_eq(lfp_test_pin(1), 0);
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	pool_stats(p, &st);
	objects = st.objects;
	req_eq(st.cache_mode, LFP_CACHE_PER_CPU);
	req_eq(st.node[1].remote_frees, n);
	req_eq(st.node[0].remote_frees, 0);
	req_eq(st.node[0].local_gets, objects);
	req_eq(st.node[1].bytes, 0);
	req_eq(depot_objs(p, 0), objects);
	req_eq(depot_objs(p, 1), 0);

	req_eq(lfp_test_pin(0), 0);
	get_n(p, objs, n);
	req_homed(objs, n, 0);
	pool_stats(p, &st);
	req_eq(st.objects, objects);
	put_n(p, objs, n);
	req_eq(lfp_objpool_destroy(p), 0);
}

/*
 * Conservation under threads that move between 4 nodes: every object
 * handed out is held by one thread at a time (an owner tag taken with a
 * CAS), and at the end every object is back, once, in its home node's
 * depot.
 */
#define STRESS_THREADS 8
#define STRESS_HELD 256          /* four magazines of 64 objects */

struct tobj {
	_Atomic unsigned int owner;     /* 0: in the pool; else a thread */
	char pad[SMALL - sizeof(unsigned int)];
};

static atomic_ulong ctor_calls, bad_take, bad_give, bad_chunk;
static struct lfp_objpool *stress_pool;
static unsigned long stress_ops;

static int
tobj_ctor(void *obj, void *arg)
{
	struct tobj *t = obj;

	(void)arg;
	atomic_init(&t->owner, 0);
	atomic_fetch_add_explicit(&ctor_calls, 1, memory_order_relaxed);
	return 0;
}

static void
take(struct tobj *t, unsigned int me)
{
	unsigned int free_tag = 0;
	const struct lfp_chunk *c = lfp_chunkmap_get(t);

	if (!c || c->owner != (const void *)stress_pool || c->node >= 4)
		atomic_fetch_add_explicit(&bad_chunk, 1, memory_order_relaxed);
	if (!atomic_compare_exchange_strong(&t->owner, &free_tag, me))
		atomic_fetch_add_explicit(&bad_take, 1, memory_order_relaxed);
}

static void
give(struct tobj *t, unsigned int me)
{
	unsigned int mine = me;

	if (!atomic_compare_exchange_strong(&t->owner, &mine, 0))
		atomic_fetch_add_explicit(&bad_give, 1, memory_order_relaxed);
}

static void *
stress_worker(void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL * me;
	void *held[STRESS_HELD];
	unsigned long next_move = 0;
	size_t n = 0, k, i;
	bool ok, filling = true;

	for (unsigned long op = 0; op < stress_ops; op++) {
		uint64_t r = lfp_test_rand(&rng);

		if (op == next_move) {
			cur_cpu = (int)(r % 4);
			next_move = op + 200 + (r >> 8) % 300;
		}
		r >>= 16;
		/*
		 * Phases of mostly gets up to STRESS_HELD, then mostly puts
		 * down to none: caches run dry and overflow often, so that
		 * refills, carving and drains happen on every node.
		 */
		if (n == STRESS_HELD)
			filling = false;
		else if (!n)
			filling = true;
		if (!n || (n < STRESS_HELD && filling == ((r & 3) != 0))) {
			r >>= 2;
			k = r & 6 ? 1 : 1 + (r >> 3) % 16;
			k = LFP_MIN(k, STRESS_HELD - n);
			if (k == 1) {
				held[n] = lfp_objpool_get(stress_pool);
				k = held[n] != NULL;
			} else {
				k = lfp_objpool_get_bulk(stress_pool,
							 held + n, k);
			}
			if (!k) {
				atomic_fetch_add(&bad_take, 1);
				break;
			}
			for (i = 0; i < k; i++)
				take(held[n + i], me);
			n += k;
		} else {
			r >>= 2;
			k = r & 6 ? 1 : 1 + (r >> 3) % 16;
			k = LFP_MIN(k, n);
			/* The oldest first: they crossed more nodes. */
			for (i = 0; i < k; i++)
				give(held[i], me);
			if (k == 1)
				ok = !lfp_objpool_put(stress_pool, held[0]);
			else
				ok = lfp_objpool_put_bulk(stress_pool, held,
							  k) == k;
			if (!ok) {
				atomic_fetch_add(&bad_give, 1);
				break;
			}
			memmove(held, held + k, (n - k) * sizeof(*held));
			n -= k;
		}
	}
	for (i = 0; i < n; i++)
		give(held[i], me);
	if (lfp_objpool_put_bulk(stress_pool, held, n) != n)
		atomic_fetch_add(&bad_give, 1);
	return NULL;
}

static void
body_stress(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	pthread_t th[STRESS_THREADS];
	uint64_t objects, total = 0, remote = 0, bytes = 0;
	unsigned int nodes = 0;
	void **all;

	use_hook();
	stress_ops = 40000ul * lfp_test_scale();
	attr_per_thread(&a, sizeof(struct tobj));
	a.ctor = tobj_ctor;
	a.dtor = count_dtor;
	stress_pool = pool_of(&a);
	for (unsigned int t = 0; t < STRESS_THREADS; t++)
		req_eq(pthread_create(&th[t], NULL, stress_worker,
				      (void *)(uintptr_t)(t + 1)), 0);
	for (unsigned int t = 0; t < STRESS_THREADS; t++)
		req_eq(pthread_join(th[t], NULL), 0);
	req_eq(atomic_load(&bad_take), 0);
	req_eq(atomic_load(&bad_give), 0);
	req_eq(atomic_load(&bad_chunk), 0);

	/* The workers' caches went back at exit; this thread's now. */
	for (int cpu = 0; cpu < 4; cpu++) {
		cur_cpu = cpu;
		req_eq(lfp_objpool_flush(stress_pool), 0);
	}
	pool_stats(stress_pool, &st);
	objects = st.objects;
	req_eq(objects, atomic_load(&ctor_calls));
	req_eq(st.gets, st.puts);
	req_eq(st.in_use, 0);
	req_eq(st.cached, objects);
	req_eq(st.depot_cached, objects);
	for (unsigned int k = 0; k < 4; k++) {
		nodes += st.node[k].bytes > 0;
		bytes += st.node[k].bytes;
		remote += st.node[k].remote_frees;
		/* Each node's caches took their own node's objects only. */
		req_eq(st.node[k].remote_gets, 0);
	}
	req(nodes >= 2);
	req_eq(bytes, st.chunks * CHUNK);
	req(remote > 0);
	req_no_bind_failures(st.node, 4);

	/* Each node's depot holds its own objects, and all are there once. */
	all = calloc(objects ? objects : 1, sizeof(*all));
	req(all != NULL);
	for (unsigned int k = 0; k < 4; k++) {
		uint64_t d = depot_objs(stress_pool, k);

		req(total + d <= objects);
		cur_cpu = (int)k;
		req_eq(lfp_objpool_get_bulk(stress_pool, all + total, d), d);
		for (uint64_t i = 0; i < d; i++) {
			struct tobj *t = all[total + i];

			req_eq(home_of(t), k);
			req_eq(atomic_load(&t->owner), 0);
		}
		total += d;
	}
	req_eq(total, objects);
	pool_stats(stress_pool, &st);
	req_eq(st.objects, objects);
	qsort(all, total, sizeof(*all), lfp_test_cmp_ptr);
	for (uint64_t i = 1; i < total; i++)
		req(all[i - 1] != all[i]);
	cur_cpu = 0;
	req_eq(lfp_objpool_put_bulk(stress_pool, all, total), total);
	free(all);
	req_eq(lfp_objpool_destroy(stress_pool), 0);
	req_eq(atomic_load(&dtor_calls), objects);
	lfp_topo_set_cpu_hook(NULL, NULL);
}

#define MAGIC3 0x33333333u

static int
magic_ctor(void *obj, void *arg)
{
	(void)arg;
	*(uint32_t *)obj = MAGIC3;
	return 0;
}

/* Reads the object: a destructor on an unmapped object crashes here. */
static void
magic_dtor(void *obj, void *arg)
{
	(void)arg;
	req_eq(*(volatile uint32_t *)obj, MAGIC3);
	atomic_fetch_add_explicit(&dtor_calls, 1, memory_order_relaxed);
}

/*
 * Destroy on 3 nodes when a depot holds objects homed on another node
 * (what lfp_numa_put_full() leaves when no magazine can be had to send
 * them home): every destructor runs before any slab is unmapped, so the
 * destructor of an object homed on node 1 found in node 2's depot reads
 * mapped memory.
 */
static void
body_destroy_foreign_depot(void)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	struct lfp_zone *z;
	struct lfp_mag *m;
	unsigned int n;

	use_hook();
	attr_per_thread(&a, SMALL);
	a.ctor = magic_ctor;
	a.dtor = magic_dtor;
	p = pool_of(&a);
	z = pool_zone(p);
	req_eq(z->numa.ndepots, 3);
	pool_stats(p, &st);
	n = 3 * st.mag_rounds;
	cur_cpu = 1;
	get_n(p, objs, n);
	req_homed(objs, n, 1);
	put_n(p, objs, n);
	req_eq(lfp_objpool_flush(p), 0);
	req(depot_objs(p, 1) > 0);
	/* Node 1's loaded magazines into node 2's depot. */
	while ((m = lfp_depot_get_full(lfp_zone_depot(z, 1))))
		lfp_depot_put_full(lfp_zone_depot(z, 2), m);
	req_eq(depot_objs(p, 1), 0);
	req(depot_objs(p, 2) > 0);
	pool_stats(p, &st);
	atomic_store(&dtor_calls, 0);
	req_eq(lfp_objpool_destroy(p), 0);
	req_eq(atomic_load(&dtor_calls), st.objects);
}

/*
 * A put with no cache (lfp_zone_put_direct()) tops up the depot's top
 * magazine: that is no dip of the depot's working set, so an idle trim
 * afterwards still sees the depot's whole content as idle.
 */
static void
body_put_direct_low(void)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *p;
	struct lfp_zone *z;
	uint64_t objs_before;
	void *o;

	p = pool_new(SMALL, LFP_PLACE_LOCAL, 0, LFP_CACHE_PER_THREAD);
	z = pool_zone(p);
	get_n(p, objs, 100);
	put_n(p, objs, 99);
	req_eq(lfp_objpool_flush(p), 0);
	req_eq(lfp_objpool_trim(p, 0), 0);      /* low = what is there */
	objs_before = depot_objs(p, 0);
	req(objs_before > 0);
	req_eq(lfp_counter_read(&z->numa.depot.low), objs_before);
	/* The top magazine has room (99 is no multiple of the rounds). */
	lfp_zone_put_direct(z, objs[99]);
	req_eq(depot_objs(p, 0), objs_before + 1);
	req_eq(lfp_counter_read(&z->numa.depot.low), objs_before);
	pool_stats(p, &st);
	req_eq(st.in_use, 0);
	o = lfp_objpool_get(p);
	req(o != NULL);
	req_eq(lfp_objpool_put(p, o), 0);
	req_eq(lfp_objpool_destroy(p), 0);
}

/* Placement: one row per body above, each on its topology. */
static const struct child_case placement_cases[] = {
	{ body_local_two, TOPO_TWO },
	{ body_local_four, TOPO_FOUR },
	{ body_home_return, TOPO_FOUR },
	{ body_steal, TOPO_TWO },
	{ body_interleave, TOPO_FOUR },
	{ body_fixed_node, TOPO_FOUR },
	{ body_one_node, TOPO_ONE },
	{ body_bufpool, TOPO_TWO },
	{ body_trim, TOPO_TWO },
	{ body_destroy_foreign_depot, "numa:3 core:1 pu:1" },
	{ body_put_direct_low, TOPO_ONE },
};

/* Per-CPU caches on the real CPUs. */
static const struct child_case pcpu_cases[] = {
	{ body_pcpu, "numa:2 core:1 pu:1" },
};

/* Conservation under moving threads. */
static const struct child_case stress_cases[] = {
	{ body_stress, TOPO_FOUR },
};

/*
 * On a machine of the right shape: with LFP_TEST_REAL_TOPOLOGY=1 (make
 * check-vm sets it in its NUMA virtual machines), a case whose synthetic
 * topology has the machine's own shape (the same nodes, numbered alike,
 * each with memory, and the same CPUs on each) runs on the machine's
 * topology instead, where its chunks are bound for real: the checks that
 * no binding was refused then say that the kernel took every one.
 */
static const struct shape {
	const char *topology;
	unsigned int ncpus, nnodes;
	unsigned char node[4];          /* of each CPU */
} shapes[] = {
	{ TOPO_ONE, 2, 1, { 0, 0 } },
	{ TOPO_TWO, 4, 2, { 0, 0, 1, 1 } },
	{ TOPO_FOUR, 4, 4, { 0, 1, 2, 3 } },
	{ "numa:3 core:1 pu:1", 3, 3, { 0, 1, 2 } },
	{ "numa:2 core:1 pu:1", 2, 2, { 0, 1 } },
};

/* Whether the kernel's nodes and CPUs have the shape of @topology. */
static bool
machine_is(const char *topology)
{
	static bool set[LFP_TEST_MAXCPUS];
	const struct shape *sh = NULL;
	bool nodes[LFP_TEST_MAXNODES];
	unsigned int cpus = 0;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (topology && !strcmp(shapes[i].topology, topology))
			sh = &shapes[i];
	if (!sh || lfp_test_sys_nodes("online", nodes) != (int)sh->nnodes)
		return false;
	for (unsigned int k = 0; k < sh->nnodes; k++) {
		if (!nodes[k] || !lfp_test_sys_node_has_memory((int)k) ||
		    lfp_test_sys_node_cpus((int)k, set) < 0)
			return false;
		for (unsigned int c = 0; c < LFP_TEST_MAXCPUS; c++) {
			if (!set[c])
				continue;
			if (c >= sh->ncpus || sh->node[c] != k)
				return false;
			cpus++;
		}
	}
	return cpus == sh->ncpus;
}

static bool
real_topology_wanted(void)
{
	const char *e = getenv("LFP_TEST_REAL_TOPOLOGY");

	return e && !strcmp(e, "1");
}

/* LFP_TOPOLOGY for a case of synthetic topology @topology. */
static const char *
case_topology(const char *topology)
{
	if (!real_topology_wanted() || !machine_is(topology))
		return topology;
	printf("# on this machine's own topology, of the shape \"%s\"\n",
	       topology);
	fflush(stdout);
	return NULL;
}

#define NUMA_TEST(name, table)						\
	START_TEST(name)						\
	{								\
		run_child((table)[_i].body,				\
			  case_topology((table)[_i].env), true);	\
	}								\
	END_TEST

NUMA_TEST(test_placement, placement_cases)
NUMA_TEST(test_pcpu, pcpu_cases)
NUMA_TEST(test_stress, stress_cases)

/* How many cases of @table run on the machine's own topology. */
static unsigned int
real_cases(const struct child_case *table, size_t n)
{
	unsigned int k = 0;

	for (size_t i = 0; i < n; i++)
		k += machine_is(table[i].env);
	return k;
}
#define REAL_CASES(table) real_cases((table), sizeof(table) / sizeof((table)[0]))

static Suite *
numa_suite(void)
{
	Suite *s = suite_create("numa");
	TCase *tc = lfp_test_tcase(s, "placement");

	tcase_add_child_test(tc, test_placement, placement_cases);
	tc = lfp_test_tcase(s, "pcpu");
	tcase_add_child_test(tc, test_pcpu, pcpu_cases);
	tc = lfp_test_tcase(s, "stress");
	tcase_add_child_test(tc, test_stress, stress_cases);
	return s;
}

int
main(void)
{
	/* Asked for the real topology, where no case has its shape: a
	 * layout that tests nothing real is an error. */
	if (real_topology_wanted() && !REAL_CASES(placement_cases) &&
	    !REAL_CASES(pcpu_cases) && !REAL_CASES(stress_cases)) {
		printf("Bail out! LFP_TEST_REAL_TOPOLOGY=1, but no case has "
		       "this machine's shape\n");
		return 1;
	}
	return lfp_test_run(numa_suite());
}
