/* SPDX-License-Identifier: MIT */
/*
 * topo.h - the machine's topology as the library needs it: how many NUMA
 * nodes there are, the node of a CPU, the CPU the caller runs on, the node
 * of an address, and binding memory to a node. topo.c is the only file of
 * the project that includes <hwloc.h>; nothing here exposes an hwloc type.
 *
 * Source. The topology is loaded once per process, on the first call of
 * any function below that needs it (pthread_once). It is the machine's
 * own, unless the environment variable LFP_TOPOLOGY says otherwise:
 *  - a value that names an existing file, or ends in ".xml", is an hwloc
 *    XML topology (hwloc_topology_set_xml; make one with
 *    `lstopo topo.xml` or hwloc_topology_export_xml());
 *  - any other value is an hwloc synthetic description
 *    (hwloc_topology_set_synthetic), such as "pack:2 [numa] core:2 pu:1"
 *    (2 nodes, CPUs 0-1 on node 0 and 2-3 on node 1) or
 *    "numa:4 core:1 pu:1" (4 nodes of one CPU each).
 * A value hwloc rejects falls back to the machine's topology, silently
 * (nothing on stderr); lfp_topo_source() tells which one is in use. If
 * even that cannot be loaded, the library sees one node and no CPU
 * (LFP_TOPO_NONE). The variable is read once, at initialisation: setting
 * it later has no effect in this process. hwloc's own variables
 * (HWLOC_XMLFILE, HWLOC_THISSYSTEM, HWLOC_COMPONENTS, ...) still apply,
 * and lfp_topo_is_system() is hwloc's verdict. Caches, I/O devices and
 * hwloc's x86 (cpuid) backend are left out: the library needs NUMA nodes
 * and CPUs only, and loading is quicker (about 3 ms on a small machine).
 *
 * Numbering. Nodes are numbered 0 .. lfp_topo_nnodes() - 1 densely, in
 * hwloc's logical order of NUMA nodes (the NUMA node object of logical
 * index i is node i), over the nodes this process may use (hwloc's
 * default: nodes and CPUs outside the cgroup's cpuset are left out). The
 * kernel's number of node i is lfp_topo_node_os_index(i); it may differ
 * (nodes 0 and 2 only, say). A machine without NUMA information has one
 * node, 0. CPUs are the kernel's ids (hwloc's PU os_index: what
 * sched_getcpu() and rseq report); with a synthetic topology, the ids are
 * the synthetic PUs' os indexes (0 .. n-1 unless the description sets
 * "indexes="). A CPU that belongs to several nodes' cpusets (memory-only
 * or high-bandwidth nodes sharing CPUs) is given the first of them.
 *
 * Binding is done only on the machine's own topology: with a synthetic
 * or XML one, lfp_topo_bind() returns -EOPNOTSUPP and lfp_topo_node_of_
 * addr() returns -1, without asking the kernel. A binding the kernel
 * refuses (ENOSYS without mbind, EPERM under a seccomp policy, EXDEV or
 * EINVAL for a node the cgroup forbids) is counted in a process-wide
 * counter, lfp_topo_bind_failures(); the caller then keeps the memory
 * unbound, which is never an error for the user. After one ENOSYS or
 * EPERM, binding is known to be unavailable in this process: later calls
 * return the same code at once, without a system call, and still count.
 *
 * Threads. All of this is safe from any thread. After initialisation the
 * topology and the CPU-to-node array are read-only (hwloc queries,
 * binding and memory-location calls only read a loaded topology); the
 * counters are atomics; the test hook is a pair of atomic pointers.
 *
 * fork(). The topology is plain memory of the process (hwloc keeps no
 * thread, file descriptor or lock once it is loaded), so a child may use
 * all of this as it is; binding in the child binds the child's pages. A
 * fork() that interrupts the initialisation in another thread is handled
 * by glibc's pthread_once, which runs it again in the child.
 *
 * Memory. The topology and its arrays live as long as the process and
 * stay reachable from static pointers (no leak report from LeakSanitizer
 * or valgrind). They come from malloc, not lfp_meta_alloc(): they are not
 * pool bookkeeping, so they neither count in lfp_meta_live() nor meet the
 * fault injector.
 */
#ifndef LFP_TOPO_H
#define LFP_TOPO_H

#include "internal.h"

#include <stdatomic.h>

/* Where the topology in use came from. */
enum lfp_topo_source {
	LFP_TOPO_SYSTEM,        /* the machine's (LFP_TOPOLOGY unset, invalid) */
	LFP_TOPO_SYNTHETIC,     /* LFP_TOPOLOGY: hwloc synthetic description */
	LFP_TOPO_XML,           /* LFP_TOPOLOGY: an hwloc XML file */
	LFP_TOPO_NONE,          /* nothing could be loaded: one node, no CPU */
};

/*
 * Not an API: what the inline lookups read. Filled by the initialisation,
 * which publishes cpu_node last with a release store (paired with the
 * acquire load of lfp_topo_node_of_cpu()); NULL until then.
 */
struct lfp_topo_fast {
	_Atomic(const uint16_t *) cpu_node;     /* [ncpus]: node of each CPU */
	uint32_t ncpus;
};
extern struct lfp_topo_fast lfp_topo_fast;

/* Load the topology now, if not done yet, and return lfp_topo_fast's map. */
const uint16_t *lfp_topo_init(void);

/* Where the topology in use came from. */
enum lfp_topo_source lfp_topo_source(void);
/* "system", "synthetic", "xml" or "none", for statistics and benchmarks. */
const char *lfp_topo_source_name(void);
/*
 * Whether the topology is this machine's (hwloc_topology_is_thissystem):
 * binding and memory-location queries happen only then.
 */
bool lfp_topo_is_system(void);

/* NUMA nodes, at least 1. */
unsigned int lfp_topo_nnodes(void);
/* The kernel's number of node @node; -1 when @node >= lfp_topo_nnodes(). */
int lfp_topo_node_os_index(unsigned int node);
/*
 * Entries of the CPU-to-node map: one more than the highest CPU id in the
 * topology (0 with LFP_TOPO_NONE). Ids the kernel may still report above
 * it (hot-plugged, or outside the cgroup) map to node 0.
 */
unsigned int lfp_topo_ncpus(void);

/*
 * Node of CPU @cpu (a kernel CPU id). CPUs the topology does not have,
 * negative ids included, are on node 0. Once initialised, this is one
 * acquire load (a plain load on x86-64) and one indexed load.
 */
static inline unsigned int
lfp_topo_node_of_cpu(int cpu)
{
	/* Acquire: pairs with the release store that publishes the map. */
	const uint16_t *map = atomic_load_explicit(&lfp_topo_fast.cpu_node,
						   memory_order_acquire);

	if (lfp_unlikely(!map))
		map = lfp_topo_init();
	return (unsigned int)cpu < lfp_topo_fast.ncpus ? map[cpu] : 0;
}

/*
 * The CPU the calling thread runs on (it may have moved by the time the
 * caller looks): the test hook's answer when one is set; else the cpu_id
 * of the thread's rseq area, which glibc registered; else sched_getcpu();
 * else 0. Never negative. Needs no topology.
 */
int lfp_topo_current_cpu(void);
/*
 * The cpu_id of the calling thread's rseq area, which glibc registered;
 * -1 when it did not (disabled by its tunable, refused by the kernel, an
 * old glibc) or the machine has no rseq. Needs no topology.
 */
int lfp_topo_rseq_cpu(void);
/* lfp_topo_node_of_cpu(lfp_topo_current_cpu()). */
unsigned int lfp_topo_current_node(void);

/*
 * The highest CPU id the kernel may ever report, plus one: the larger of
 * /sys/devices/system/cpu/possible and the configured CPUs. Needs no
 * topology (per-CPU arrays are sized by it).
 */
uint32_t lfp_topo_possible_cpus(void);
/*
 * Nodes the pools place memory on: lfp_topo_nnodes(), except that a
 * kernel that knows only node 0 (/sys/devices/system/node/possible is
 * "0", or absent) means one node without loading the topology at all (it
 * costs milliseconds and megabytes), unless LFP_TOPOLOGY asks for one.
 * Decided once.
 */
unsigned int lfp_topo_nodes_used(void);
/*
 * The kernel's number of node @node (< lfp_topo_nodes_used()); 0 when the
 * topology was not loaded (node 0 alone).
 */
unsigned int lfp_topo_used_node_os_index(unsigned int node);
/* The node (< lfp_topo_nodes_used()) the kernel numbers @os_index; -1. */
int lfp_topo_used_node_of_os_index(unsigned int os_index);

/*
 * For tests only: make lfp_topo_current_cpu() return @fn(@arg) (a
 * negative answer reads as 0), in every thread; @fn may read thread-local
 * state to give each thread its own CPU. NULL restores the real source.
 * Change it while no other thread calls lfp_topo_current_cpu(): one
 * that does may pair the old @fn with the new @arg (no data race, but a
 * wrong answer). A thread that sees the new @fn sees its @arg.
 */
void lfp_topo_set_cpu_hook(int (*fn)(void *arg), void *arg);

/*
 * Bind the pages of [@addr, @addr + @len) to node @node, for the pages
 * faulted from now on (hwloc_set_area_membind, HWLOC_MEMBIND_BIND by
 * nodeset; neither MIGRATE nor STRICT: pages already there stay, and the
 * call costs one mbind()). @addr should be page-aligned (hwloc rounds the
 * range out to pages). On Linux this is MPOL_BIND: a page of the range
 * never falls back to another node, so when @node runs out of memory the
 * kernel reclaims there, or fails the fault, rather than spill over.
 *
 * @return 0 on success, or a negative errno value and the memory is left
 *         as it was (unbound, usable):
 *         -EINVAL      @node >= lfp_topo_nnodes() (not counted);
 *         -EOPNOTSUPP  the topology is not this machine's (synthetic,
 *                      XML, none): nothing asked of the kernel, not
 *                      counted;
 *         -ENOSYS, -EPERM  binding is unavailable in this process
 *                      (remembered after the first, counted);
 *         -EXDEV, -EINVAL, -ENOMEM, ...  what the kernel said (counted).
 */
int lfp_topo_bind(void *addr, size_t len, unsigned int node);
/* Bindings the kernel refused since the process started (or remembered). */
uint64_t lfp_topo_bind_failures(void);

/*
 * Node the page at @addr sits on now (hwloc_get_area_memlocation, by
 * nodeset), or -1: the page is not faulted in yet, the kernel does not
 * say (move_pages() unavailable), or the topology is not this machine's.
 */
int lfp_topo_node_of_addr(const void *addr);

#endif /* LFP_TOPO_H */
