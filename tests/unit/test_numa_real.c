/* SPDX-License-Identifier: MIT */
/*
 * test_numa_real.c - where the memory of NUMA-placed pools really is, on
 * a machine (or virtual machine, make check-vm) with two NUMA nodes with
 * memory or more. The kernel is asked where each page of every chunk of a
 * pool sits (move_pages(2) in query mode, tests/common/test-sysnode.h),
 * and the answers are checked against the chunk's node and the pool's
 * per-node statistics:
 *  - local placement: objects got by a thread pinned to a CPU of node k
 *    are homed on k, and every page of node k's chunks is on node k;
 *  - a fixed node: every page on that node, whichever CPU got them;
 *  - interleave: chunks round-robin, each chunk's pages on its node;
 *  - in each, node k's bytes in the statistics are the bytes of the
 *    chunks whose pages the kernel puts on node k;
 *  - home return, in both cache modes: objects got on node 1 and put by
 *    a thread on node 0 go to node 1's depot once that thread's cache
 *    leaves them (flush), and are handed out again on node 1, nothing new
 *    carved.
 * A node without memory (its CPUs' memory comes from a node nearby)
 * cannot have chunks bound to it: its chunks' bindings are counted as
 * refused (bind_failures) and their pages are on a node with memory.
 * Each test prints, as TAP comments, the pages found per kernel node.
 *
 * Elsewhere (one node, binding or move_pages() not allowed) the program
 * skips with the reason: under the automake TAP driver
 * (CK_TAP_LOG_FILE_NAME set) as "1..0 # SKIP reason" and exit status 0;
 * run by hand, with the reason on stdout and exit status 77. The same
 * placement logic runs on synthetic topologies in test_numa, where only
 * the binding and the kernel's answers are missing.
 */
#define _GNU_SOURCE
#include "zone.h"
#include "chunkmap.h"
#include "topo.h"
#include "test-common.h"
#include "test-sysnode.h"

#include <lfpool/objpool.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define OBJ 64
#define MAXOBJS 16384
#define CHUNKS_PER_NODE 3

static unsigned int nnodes;             /* the topology's nodes */
static int os_of[LFP_TEST_MAXNODES];    /* kernel number of node k */
static bool mem_of[LFP_TEST_MAXNODES];  /* node k has memory */
static int cpu_of[LFP_TEST_MAXNODES];   /* an allowed CPU of k, or -1 */
static long page_size;
static void *objs[MAXOBJS], *objs2[MAXOBJS];

/* The pages found on each kernel node, and what the pool says. */
struct census {
	unsigned long pages[LFP_TEST_MAXNODES];         /* by kernel node */
	unsigned long chunks[LFP_TEST_MAXNODES];        /* by chunk node */
	uint64_t bytes[LFP_TEST_MAXNODES];              /* by chunk node */
	uint64_t bytes_on[LFP_TEST_MAXNODES];           /* by kernel node */
};

/* The zone of @p: struct lfp_objpool begins with it (see test_numa). */
static struct lfp_zone *
pool_zone(struct lfp_objpool *p)
{
	struct lfp_zone *z = (struct lfp_zone *)(void *)p;

	ck_assert_ptr_eq(z->slab.owner, (const void *)p);
	return z;
}

static uint64_t
depot_objs(struct lfp_objpool *p, unsigned int k)
{
	struct lfp_zone *z = pool_zone(p);

	return k < z->numa.ndepots ?
	       lfp_counter_read(&lfp_zone_depot(z, k)->objs) : 0;
}

static struct lfp_objpool *
pool_new(int placement, int os_node, int mode)
{
	struct lfp_objpool_attr a;
	struct lfp_objpool *p;

	ck_assert_int_eq(lfp_objpool_attr_init(&a), 0);
	a.size = OBJ;
	a.placement = placement;
	a.node = (unsigned int)os_node;
	a.cache_mode = mode;
	a.name = "numa-real";
	p = lfp_objpool_create(&a);
	ck_assert_msg(p != NULL, "create: errno %d", errno);
	return p;
}

static void
stats(struct lfp_objpool *p, struct lfp_objpool_stats *st)
{
	ck_assert_int_eq(lfp_objpool_stats(p, st), 0);
}

/*
 * Get @n objects into @out on the CPU the caller is pinned to, writing
 * each (its page is faulted in where the kernel places it), then more
 * until this caller holds every object the pool has carved: every chunk
 * then has its carved pages faulted in. Returns how many it holds.
 */
static size_t
get_all(struct lfp_objpool *p, void **out, size_t n, size_t held)
{
	struct lfp_objpool_stats st;
	size_t i = 0;

	for (;;) {
		for (; i < n; i++) {
			ck_assert_uint_lt(held + i, MAXOBJS);
			out[i] = lfp_objpool_get(p);
			ck_assert_ptr_nonnull(out[i]);
			memset(out[i], 0x5a, OBJ);
		}
		stats(p, &st);
		if (st.objects <= held + n)
			break;
		n = (size_t)st.objects - held;
	}
	ck_assert_uint_eq(st.in_use, held + n);
	return n;
}

static void
put_all(struct lfp_objpool *p, void **in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_put(p, in[i]), 0);
}

static unsigned int
home_of(const void *obj)
{
	const struct lfp_chunk *c = lfp_chunkmap_get(obj);

	ck_assert_ptr_nonnull(c);
	return c->node;
}

/* Where the pages of chunk @c are; each must be where its node says. */
static void
census_chunk(const struct lfp_chunk *c, struct census *cs)
{
	size_t npages = c->size / (size_t)page_size, faulted = 0;
	void **pages = calloc(npages, sizeof(*pages));
	int *where = calloc(npages, sizeof(*where));
	int want = os_of[c->node];

	ck_assert(pages && where);
	for (size_t i = 0; i < npages; i++)
		pages[i] = c->base + i * (size_t)page_size;
	ck_assert_int_eq(lfp_test_page_nodes(pages, where, npages), 0);
	for (size_t i = 0; i < npages; i++) {
		/* Not faulted in (never touched), or not mapped yet (the
		 * part of the chunk not carved). */
		if (where[i] == -ENOENT || where[i] == -EFAULT)
			continue;
		ck_assert_msg(where[i] >= 0 && where[i] < LFP_TEST_MAXNODES,
			      "page %p of a chunk of node %u: move_pages "
			      "says %d", pages[i], c->node, where[i]);
		if (mem_of[c->node])
			ck_assert_msg(where[i] == want, "page %p of a chunk "
				      "of node %u (kernel node %d) is on "
				      "kernel node %d", pages[i], c->node,
				      want, where[i]);
		else
			ck_assert_msg(lfp_test_sys_node_has_memory(where[i]),
				      "page %p on kernel node %d, which has "
				      "no memory", pages[i], where[i]);
		cs->pages[where[i]]++;
		faulted++;
	}
	/* Every chunk held some of the caller's objects: pages to see. */
	ck_assert_msg(faulted > 0, "a chunk of node %u has no page in memory",
		      c->node);
	cs->chunks[c->node]++;
	cs->bytes[c->node] += c->size;
	/* Its pages are all on node want, as the kernel says. */
	if (mem_of[c->node])
		cs->bytes_on[want] += c->size;
	free(pages);
	free(where);
}

/*
 * Every chunk of @p's slabs, located; the per-node statistics checked
 * against what the kernel said, and printed (@what: the placement).
 */
static void
census_pool(struct lfp_objpool *p, const char *what)
{
	struct lfp_zone *z = pool_zone(p);
	struct lfp_objpool_stats st;
	struct census cs;
	uint64_t chunks = 0;

	memset(&cs, 0, sizeof(cs));
	for (uint32_t k = 0; k < z->numa.ndepots; k++) {
		struct lfp_slab *s = lfp_zone_slab(z, k);

		pthread_mutex_lock(&s->lock);
		for (const struct lfp_chunk *c = s->chunks; c; c = c->next) {
			census_chunk(c, &cs);
			chunks++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	stats(p, &st);
	ck_assert_uint_eq(st.nnodes, nnodes);
	ck_assert_uint_eq(chunks, st.chunks);
	for (unsigned int k = 0; k < nnodes; k++) {
		int os = os_of[k];

		printf("# %s: node %u (kernel node %d%s): %lu chunks, "
		       "%llu bytes in the statistics, pages found there %lu\n",
		       what, k, os, mem_of[k] ? "" : ", no memory",
		       cs.chunks[k], (unsigned long long)st.node[k].bytes,
		       cs.pages[os]);
		/* The statistics count what the chunks of node k hold... */
		ck_assert_uint_eq(st.node[k].bytes, cs.bytes[k]);
		if (mem_of[k]) {
			/* ... and the kernel put those bytes on node k. */
			ck_assert_uint_eq(st.node[k].bytes, cs.bytes_on[os]);
			ck_assert_uint_eq(st.node[k].bind_failures, 0);
		} else {
			/* Nothing can be bound there: every try counted. */
			ck_assert_uint_eq(st.node[k].bind_failures,
					  cs.chunks[k]);
			ck_assert_uint_eq(cs.pages[os], 0);
		}
	}
	fflush(stdout);
}

static void
pin(int cpu)
{
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_eq(lfp_test_pin(cpu), 0);
	ck_assert_uint_eq(lfp_topo_current_node(), lfp_topo_node_of_cpu(cpu));
}

/* Local placement: each node's CPU gets objects homed on its node. */
START_TEST(test_local)
{
	struct lfp_objpool *p = pool_new(LFP_PLACE_LOCAL, 0,
					 LFP_CACHE_PER_THREAD);
	size_t held = 0, n, per = CHUNKS_PER_NODE * (64u << 10) / OBJ;

	for (unsigned int k = 0; k < nnodes; k++) {
		if (cpu_of[k] < 0)
			continue;       /* a node without CPUs */
		pin(cpu_of[k]);
		n = get_all(p, objs + held, per, held);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(home_of(objs[held + i]), k);
		held += n;
	}
	census_pool(p, "local");
	put_all(p, objs, held);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* A fixed node: the last node with memory, whichever CPU asks. */
START_TEST(test_fixed)
{
	struct lfp_objpool *p;
	size_t held = 0, per = CHUNKS_PER_NODE * (64u << 10) / OBJ;
	unsigned int fixed = 0;
	char what[64];

	for (unsigned int k = 0; k < nnodes; k++)
		if (mem_of[k])
			fixed = k;
	p = pool_new(LFP_PLACE_NODE, os_of[fixed], LFP_CACHE_PER_THREAD);
	for (unsigned int k = 0; k < nnodes; k++) {
		if (cpu_of[k] < 0)
			continue;
		pin(cpu_of[k]);
		held += get_all(p, objs + held, per, held);
	}
	for (size_t i = 0; i < held; i++)
		ck_assert_uint_eq(home_of(objs[i]), fixed);
	snprintf(what, sizeof(what), "fixed node %u", fixed);
	census_pool(p, what);
	put_all(p, objs, held);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* Interleave: chunks round-robin over the nodes, from one CPU. */
START_TEST(test_interleave)
{
	struct lfp_objpool *p = pool_new(LFP_PLACE_INTERLEAVE, 0,
					 LFP_CACHE_PER_THREAD);
	struct lfp_objpool_stats st;
	size_t held;

	pin(cpu_of[0] >= 0 ? cpu_of[0] : 0);
	held = get_all(p, objs, 2 * nnodes * (64u << 10) / OBJ, 0);
	stats(p, &st);
	/* Two rounds at least: every node has chunks. */
	ck_assert_uint_ge(st.chunks, 2 * nnodes);
	for (unsigned int k = 0; k < nnodes; k++)
		ck_assert_uint_gt(st.node[k].bytes, 0);
	census_pool(p, "interleave");
	put_all(p, objs, held);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* Nodes a (gets) and b (puts) for home return: two with memory and CPUs. */
static bool
home_nodes(unsigned int *a, unsigned int *b)
{
	unsigned int found = 0, pick[2];

	for (unsigned int k = 0; k < nnodes && found < 2; k++)
		if (mem_of[k] && cpu_of[k] >= 0)
			pick[found++] = k;
	if (found < 2)
		return false;
	*a = pick[1];
	*b = pick[0];
	return true;
}

struct putter {
	struct lfp_objpool *pool;
	int cpu;
	size_t n;
};

/* A thread on another node puts the objects, then flushes its cache. */
static void *
putter_main(void *arg)
{
	struct putter *pt = arg;

	if (lfp_test_pin(pt->cpu))
		return (void *)1;
	for (size_t i = 0; i < pt->n; i++)
		if (lfp_objpool_put(pt->pool, objs[i]))
			return (void *)2;
	return lfp_objpool_flush(pt->pool) ? (void *)3 : NULL;
}

static void
home_return(int mode, const char *name)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *p = pool_new(LFP_PLACE_LOCAL, 0, mode);
	struct putter pt;
	unsigned int a, b;
	uint64_t objects;
	pthread_t th;
	void *ret;
	size_t n;
	char what[96];

	ck_assert(home_nodes(&a, &b));
	if (lfp_objpool_cache_mode(p) != mode) {
		printf("# home return, %s caches: not available here\n", name);
		ck_assert_int_eq(lfp_objpool_destroy(p), 0);
		ck_assert_int_eq(mode, LFP_CACHE_PER_CPU);
		return;
	}
	stats(p, &st);
	pin(cpu_of[a]);
	n = get_all(p, objs, 5 * st.mag_rounds, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(home_of(objs[i]), a);
	snprintf(what, sizeof(what), "home return, %s caches, got on node %u",
		 name, a);
	census_pool(p, what);
	/* Put by a thread on node b; its flush sends them home. */
	pt.pool = p;
	pt.cpu = cpu_of[b];
	pt.n = n;
	ck_assert_int_eq(pthread_create(&th, NULL, putter_main, &pt), 0);
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ptr_null(ret);
	ck_assert_int_eq(lfp_objpool_flush(p), 0);
	stats(p, &st);
	objects = st.objects;
	ck_assert_uint_eq(objects, n);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.node[b].remote_frees, n);
	ck_assert_uint_eq(depot_objs(p, a), n);
	ck_assert_uint_eq(depot_objs(p, b), 0);
	printf("# home return, %s caches: %zu objects got on node %u, put on "
	       "node %u (remote frees there %llu): depot of node %u holds "
	       "%llu, depot of node %u %llu\n", name, n, a, b,
	       (unsigned long long)st.node[b].remote_frees, a,
	       (unsigned long long)depot_objs(p, a), b,
	       (unsigned long long)depot_objs(p, b));
	/* Node a gets the same objects again: nothing carved. */
	memcpy(objs2, objs, n * sizeof(*objs));
	pin(cpu_of[a]);
	for (size_t i = 0; i < n; i++) {
		objs[i] = lfp_objpool_get(p);
		ck_assert_ptr_nonnull(objs[i]);
		ck_assert_uint_eq(home_of(objs[i]), a);
	}
	stats(p, &st);
	ck_assert_uint_eq(st.objects, objects);
	qsort(objs, n, sizeof(*objs), lfp_test_cmp_ptr);
	qsort(objs2, n, sizeof(*objs2), lfp_test_cmp_ptr);
	ck_assert_int_eq(memcmp(objs, objs2, n * sizeof(*objs)), 0);
	printf("# home return, %s caches: node %u got the same %zu objects "
	       "again (%llu local gets there, nothing carved)\n", name, a, n,
	       (unsigned long long)st.node[a].local_gets);
	snprintf(what, sizeof(what), "home return, %s caches, got again", name);
	census_pool(p, what);
	put_all(p, objs, n);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}

START_TEST(test_home_return)
{
	home_return(LFP_CACHE_PER_THREAD, "per-thread");
	home_return(LFP_CACHE_PER_CPU, "per-CPU");
}
END_TEST

/* What the machine offers; NULL when the tests can run, else why not. */
static const char *
probe(char *detail, size_t len)
{
	unsigned int withmem = 0, b = 0;
	char *area;
	void *page;
	int err, where = -1;

	nnodes = lfp_topo_nnodes();
	snprintf(detail, len, " (%u node, source %s)", nnodes,
		 lfp_topo_source_name());
	if (nnodes < 2)
		return "needs 2 or more NUMA nodes";
	if (nnodes > LFP_TEST_MAXNODES)
		return "more NUMA nodes than the test knows";
	for (unsigned int k = 0; k < nnodes; k++) {
		os_of[k] = lfp_topo_node_os_index(k);
		mem_of[k] = lfp_test_sys_node_has_memory(os_of[k]);
		cpu_of[k] = -1;
		if (mem_of[k]) {
			withmem++;
			b = k;
		}
	}
	for (int cpu = LFP_TEST_MAXCPUS - 1; cpu >= 0; cpu--) {
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
		    cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set))
			cpu_of[lfp_topo_node_of_cpu(cpu)] = cpu;
	}
	if (withmem < 2)
		return "needs 2 or more NUMA nodes with memory";
	detail[0] = '\0';
	/* Bind a page to the last node with memory: does the kernel say? */
	area = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return "mmap failed";
	err = lfp_topo_bind(area, (size_t)page_size, b);
	if (err) {
		snprintf(detail, len, ": %s", strerror(-err));
		munmap(area, (size_t)page_size);
		return "this process may not bind memory";
	}
	area[0] = 1;
	page = area;
	err = lfp_test_page_nodes(&page, &where, 1);
	munmap(area, (size_t)page_size);
	if (err) {
		snprintf(detail, len, ": %s", strerror(-err));
		return "move_pages() does not tell where pages are";
	}
	if (where != os_of[b]) {
		snprintf(detail, len, ": bound to kernel node %d, found on %d",
			 os_of[b], where);
		return "a page bound to a node is not there";
	}
	return NULL;
}

int
main(void)
{
	char detail[128];
	const char *why;
	Suite *s;
	TCase *tc;

	unsetenv("LFP_TOPOLOGY");
	page_size = sysconf(_SC_PAGESIZE);
	why = probe(detail, sizeof(detail));
	if (why)
		return lfp_test_sysnode_skip(why, detail);
	for (unsigned int k = 0; k < nnodes; k++)
		printf("# node %u: kernel node %d, %s, CPU %d\n", k, os_of[k],
		       mem_of[k] ? "memory" : "no memory", cpu_of[k]);
	fflush(stdout);
	s = suite_create("numa_real");
	tc = lfp_test_tcase(s, "placement");
	tcase_add_test(tc, test_local);
	tcase_add_test(tc, test_fixed);
	tcase_add_test(tc, test_interleave);
	tcase_add_test(tc, test_home_return);
	return lfp_test_run(s);
}
