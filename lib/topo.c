/* SPDX-License-Identifier: MIT */
/*
 * topo.c - the topology module (topo.h), on hwloc: the only file of the
 * project that includes <hwloc.h>. It loads the topology once (the
 * machine's, or LFP_TOPOLOGY's synthetic description or XML file),
 * precomputes the CPU-to-node map, and wraps hwloc's memory binding and
 * memory-location calls with the library's error conventions. All the
 * library's probing of the machine is here: the topology, the kernel's
 * possible nodes and CPUs (sysfs), and the CPU a thread runs on (rseq).
 */
#include "topo.h"
#include "atomic.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>

#if defined(HAVE_SYS_RSEQ_H) && (defined(__x86_64__) || defined(__aarch64__))
#define TOPO_HAVE_RSEQ 1
#include <sys/rseq.h>
#else
#define TOPO_HAVE_RSEQ 0
#endif

struct lfp_topo_fast lfp_topo_fast;

static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static hwloc_topology_t topo;           /* NULL with LFP_TOPO_NONE */
static enum lfp_topo_source source = LFP_TOPO_NONE;
static bool thissystem;
static unsigned int nnodes = 1;
static hwloc_obj_t *nodes;              /* [nnodes]: NUMA node objects */
static const uint16_t none_map[1];      /* LFP_TOPO_NONE: ncpus = 0 */

/* Kernel refusals of a binding; binding known to be unavailable. */
static lfp_counter_t bind_failures;
static _Atomic int bind_unavailable;    /* 0, or the errno that said so */

/* The test hook: fn is stored last and loaded first (set_cpu_hook). */
static _Atomic(int (*)(void *)) hook_fn;
static _Atomic(void *) hook_arg;

/* A topology with the settings of every source, or NULL. */
static hwloc_topology_t
topo_new(void)
{
	hwloc_topology_t t;

	if (hwloc_topology_init(&t))
		return NULL;
	/*
	 * Only NUMA nodes and PUs matter: no I/O devices, no caches, and no
	 * x86 backend (cpuid adds only what we drop, and under valgrind it
	 * prints a warning on stderr before disabling itself). Where the
	 * call fails (unknown component), discovery just runs as usual.
	 */
	hwloc_topology_set_components(t,
				      HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
				      "x86");
	hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_cache_types_filter(t, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_icache_types_filter(t, HWLOC_TYPE_FILTER_KEEP_NONE);
	return t;
}

/* Load from LFP_TOPOLOGY's value @env; NULL when hwloc refuses it. */
static hwloc_topology_t
topo_load_env(const char *env, enum lfp_topo_source *src)
{
	size_t len = strlen(env);
	hwloc_topology_t t = topo_new();
	int err;

	if (!t)
		return NULL;
	if (!access(env, F_OK) ||
	    (len >= 4 && !strcmp(env + len - 4, ".xml"))) {
		*src = LFP_TOPO_XML;
		err = hwloc_topology_set_xml(t, env);
	} else {
		*src = LFP_TOPO_SYNTHETIC;
		err = hwloc_topology_set_synthetic(t, env);
	}
	if (err || hwloc_topology_load(t)) {
		hwloc_topology_destroy(t);
		return NULL;
	}
	return t;
}

static hwloc_topology_t
topo_load_system(void)
{
	hwloc_topology_t t = topo_new();

	if (t && hwloc_topology_load(t)) {
		hwloc_topology_destroy(t);
		t = NULL;
	}
	return t;
}

/*
 * Fill nodes[] and the CPU-to-node map from @t; false when memory runs
 * out (the caller then gives up on @t).
 */
static bool
topo_build(hwloc_topology_t t)
{
	int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
	int last = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(t));
	uint16_t *map;
	hwloc_obj_t *objs;
	unsigned int ncpus;
	int cpu;

	/* hwloc always has a NUMA node; UINT16_MAX is the map's limit. */
	if (n < 1 || n > UINT16_MAX)
		return false;
	cpu = hwloc_bitmap_last(hwloc_topology_get_topology_cpuset(t));
	last = LFP_MAX(last, cpu);
	ncpus = last < 0 ? 0 : (unsigned int)last + 1;
	objs = malloc(sizeof(*objs) * (size_t)n);
	map = calloc(ncpus ? ncpus : 1, sizeof(*map));
	if (!objs || !map) {
		free(objs);
		free(map);
		return false;
	}
	/* Node i: logical index i. Walk backwards so the first node wins. */
	for (int i = n - 1; i >= 0; i--) {
		objs[i] = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE,
						 (unsigned int)i);
		if (!objs[i] || !objs[i]->cpuset)
			continue;
		hwloc_bitmap_foreach_begin(cpu, objs[i]->cpuset) {
			if ((unsigned int)cpu < ncpus)
				map[cpu] = (uint16_t)i;
		} hwloc_bitmap_foreach_end();
	}
	nodes = objs;
	nnodes = (unsigned int)n;
	lfp_topo_fast.ncpus = ncpus;
	/* Release: pairs with the acquire load in lfp_topo_node_of_cpu(). */
	atomic_store_explicit(&lfp_topo_fast.cpu_node, map,
			      memory_order_release);
	return true;
}

static void
topo_init_once(void)
{
	const char *env = getenv("LFP_TOPOLOGY");
	enum lfp_topo_source src = LFP_TOPO_SYSTEM;
	hwloc_topology_t t = NULL;

	if (env && *env)
		t = topo_load_env(env, &src);
	if (!t) {
		src = LFP_TOPO_SYSTEM;
		t = topo_load_system();
	}
	if (t && !topo_build(t)) {
		hwloc_topology_destroy(t);
		t = NULL;
	}
	if (!t) {
		nnodes = 1;
		lfp_topo_fast.ncpus = 0;
		atomic_store_explicit(&lfp_topo_fast.cpu_node, none_map,
				      memory_order_release);
		return;
	}
	topo = t;
	source = src;
	thissystem = hwloc_topology_is_thissystem(t);
}

const uint16_t *
lfp_topo_init(void)
{
	pthread_once(&topo_once, topo_init_once);
	return atomic_load_explicit(&lfp_topo_fast.cpu_node,
				    memory_order_relaxed);
}

enum lfp_topo_source
lfp_topo_source(void)
{
	lfp_topo_init();
	return source;
}

const char *
lfp_topo_source_name(void)
{
	static const char *const names[] = {
		[LFP_TOPO_SYSTEM] = "system",
		[LFP_TOPO_SYNTHETIC] = "synthetic",
		[LFP_TOPO_XML] = "xml",
		[LFP_TOPO_NONE] = "none",
	};

	return names[lfp_topo_source()];
}

bool
lfp_topo_is_system(void)
{
	lfp_topo_init();
	return thissystem;
}

unsigned int
lfp_topo_nnodes(void)
{
	lfp_topo_init();
	return nnodes;
}

int
lfp_topo_node_os_index(unsigned int node)
{
	lfp_topo_init();
	if (node >= nnodes)
		return -1;
	return topo ? (int)nodes[node]->os_index : 0;
}

unsigned int
lfp_topo_ncpus(void)
{
	lfp_topo_init();
	return lfp_topo_fast.ncpus;
}

int
lfp_topo_rseq_cpu(void)
{
#if TOPO_HAVE_RSEQ
	if (__rseq_size >= offsetof(struct rseq, cpu_id) +
			   sizeof(((struct rseq *)0)->cpu_id)) {
		const struct rseq *r = (const struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);

		/*
		 * The kernel rewrites it on migration: read it once. -1: not
		 * registered yet; -2: registration failed.
		 */
		int cpu = (int32_t)__atomic_load_n(&r->cpu_id, __ATOMIC_RELAXED);

		return cpu >= 0 ? cpu : -1;
	}
#endif
	return -1;
}

/* The kernel's answer: rseq's cpu_id if glibc registered it, else a call. */
static int
system_cpu(void)
{
	int cpu = lfp_topo_rseq_cpu();

	if (cpu >= 0)
		return cpu;
	cpu = sched_getcpu();
	return cpu >= 0 ? cpu : 0;
}

uint32_t
lfp_topo_possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	unsigned long lo, hi, max = 0;
	long conf;
	int c;

	if (f) {
		/* A list of ranges: "0-3,8-11" or "0". */
		while (fscanf(f, "%lu", &lo) == 1) {
			hi = lo;
			c = fgetc(f);
			if (c == '-' && fscanf(f, "%lu", &hi) == 1)
				c = fgetc(f);
			if (hi + 1 > max)
				max = hi + 1;
			if (c != ',')
				break;
		}
		fclose(f);
	}
	conf = sysconf(_SC_NPROCESSORS_CONF);
	if (conf > 0 && (unsigned long)conf > max)
		max = (unsigned long)conf;
	return max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}

static pthread_once_t nodes_used_once = PTHREAD_ONCE_INIT;
static uint32_t nodes_used = 1;
static bool nodes_used_topo;    /* nodes_used is the topology's count */

static void
nodes_used_init(void)
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
	nodes_used = lfp_topo_nnodes();
	nodes_used_topo = true;
}

unsigned int
lfp_topo_nodes_used(void)
{
	pthread_once(&nodes_used_once, nodes_used_init);
	return nodes_used;
}

unsigned int
lfp_topo_used_node_os_index(unsigned int node)
{
	pthread_once(&nodes_used_once, nodes_used_init);
	return nodes_used_topo ? (unsigned int)lfp_topo_node_os_index(node) : 0;
}

int
lfp_topo_used_node_of_os_index(unsigned int os_index)
{
	pthread_once(&nodes_used_once, nodes_used_init);
	if (!nodes_used_topo)
		return os_index ? -1 : 0;
	for (unsigned int k = 0; k < nodes_used; k++)
		if (lfp_topo_node_os_index(k) == (int)os_index)
			return (int)k;
	return -1;
}

int
lfp_topo_current_cpu(void)
{
	/* Acquire: pairs with the release store of lfp_topo_set_cpu_hook(). */
	int (*fn)(void *) = atomic_load_explicit(&hook_fn,
						 memory_order_acquire);
	int cpu;

	if (lfp_likely(!fn))
		return system_cpu();
	cpu = fn(atomic_load_explicit(&hook_arg, memory_order_relaxed));
	return cpu >= 0 ? cpu : 0;
}

unsigned int
lfp_topo_current_node(void)
{
	return lfp_topo_node_of_cpu(lfp_topo_current_cpu());
}

void
lfp_topo_set_cpu_hook(int (*fn)(void *arg), void *arg)
{
	/*
	 * Clear the function, set the argument, then publish the function
	 * with a release store (paired with the acquire load of
	 * lfp_topo_current_cpu()): a thread that sees the new function sees
	 * its argument. One that loaded the old function just before may
	 * still read the new argument: tests change the hook while no other
	 * thread asks (topo.h).
	 */
	atomic_store_explicit(&hook_fn, NULL, memory_order_relaxed);
	atomic_store_explicit(&hook_arg, arg, memory_order_relaxed);
	atomic_store_explicit(&hook_fn, fn, memory_order_release);
}

int
lfp_topo_bind(void *addr, size_t len, unsigned int node)
{
	int err;

	lfp_topo_init();
	if (node >= nnodes)
		return -EINVAL;
	if (!topo || !thissystem)
		return -EOPNOTSUPP;
	err = atomic_load_explicit(&bind_unavailable, memory_order_relaxed);
	if (!err) {
		if (!hwloc_set_area_membind(topo, addr, len,
					    nodes[node]->nodeset,
					    HWLOC_MEMBIND_BIND,
					    HWLOC_MEMBIND_BYNODESET))
			return 0;
		err = errno ? errno : EINVAL;
		/* Process-wide conditions: never retry them. */
		if (err == ENOSYS || err == EPERM)
			atomic_store_explicit(&bind_unavailable, err,
					      memory_order_relaxed);
	}
	lfp_shared_add(&bind_failures, 1);
	return -err;
}

uint64_t
lfp_topo_bind_failures(void)
{
	return lfp_counter_read(&bind_failures);
}

int
lfp_topo_node_of_addr(const void *addr)
{
	hwloc_nodeset_t set;
	hwloc_obj_t obj;
	int node = -1;

	lfp_topo_init();
	if (!topo || !thissystem)
		return -1;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -1;
	if (!hwloc_get_area_memlocation(topo, addr, 1, set,
					HWLOC_MEMBIND_BYNODESET)) {
		int os = hwloc_bitmap_first(set);

		obj = os < 0 ? NULL :
			hwloc_get_numanode_obj_by_os_index(topo,
							   (unsigned int)os);
		if (obj)
			node = (int)obj->logical_index;
	}
	hwloc_bitmap_free(set);
	return node;
}
