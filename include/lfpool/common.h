/* SPDX-License-Identifier: MIT */
/*
 * lfpool/common.h - declarations shared by every lfpool header: the export
 * macro, C++ guards, and the error conventions of the whole API.
 *
 * Error conventions (every call follows exactly one of them):
 *  - calls that hand out memory (create, get, alloc) return a pointer, or
 *    NULL with errno set;
 *  - calls that return int return 0 on success or a negative errno value
 *    (for example -EINVAL), and leave errno alone;
 *  - bulk calls return a count: get and alloc bulk calls are
 *    all-or-nothing (n, or 0 with errno set and nothing handed out); put
 *    and free bulk calls return how many entries they handled, fewer
 *    than asked only on misuse, with errno set;
 *  - destroy calls accept NULL and do nothing, like free(NULL).
 *
 * Threading: every function may be called from any thread at any time,
 * unless its comment says otherwise. Threads need no registration.
 */
#ifndef LFPOOL_COMMON_H
#define LFPOOL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define LFP_BEGIN_DECLS extern "C" {
#define LFP_END_DECLS }
#else
#define LFP_BEGIN_DECLS
#define LFP_END_DECLS
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define LFP_API __attribute__((visibility("default")))
#else
#define LFP_API
#endif

#if defined(__GNUC__)
#define LFP_WARN_UNUSED __attribute__((warn_unused_result))
#define LFP_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define LFP_WARN_UNUSED
#define LFP_DEPRECATED(msg)
#endif

LFP_BEGIN_DECLS

/**
 * Where a pool keeps the objects it caches in front of its shared depot
 * (the cache_mode attribute of object and buffer pools).
 */
enum lfp_cache_mode {
	/**
	 * Per-CPU where the system offers it, else per-thread. The
	 * environment variable LFP_CACHE_MODE (percpu, perthread or auto),
	 * read when the pool is created, chooses for pools left on auto.
	 */
	LFP_CACHE_AUTO = 0,
	/**
	 * One cache per CPU: memory in caches grows with CPUs, not threads.
	 * Needs restartable sequences registered by glibc (2.35 or later,
	 * not disabled with GLIBC_TUNABLES=glibc.pthread.rseq=0), the
	 * kernel's membarrier rseq command (Linux 5.10), and x86-64 or aarch64;
	 * elsewhere the pool runs per-thread, which its mode call reports.
	 */
	LFP_CACHE_PER_CPU = 1,
	/** One cache per thread that uses the pool, given back at exit. */
	LFP_CACHE_PER_THREAD = 2,
};

/**
 * Where a pool's memory goes on a NUMA machine (the placement attribute of
 * object and buffer pools). The topology is the machine's, read with
 * hwloc, unless the environment variable LFP_TOPOLOGY names an hwloc
 * synthetic description or XML file (for tests). On one node all three
 * are the same.
 */
enum lfp_placement {
	/**
	 * Each node has its own depot and memory: a thread gets objects of
	 * the node of the CPU it runs on, and an object freed on another
	 * node goes back to its home node (a magazine at a time).
	 */
	LFP_PLACE_LOCAL = 0,
	/**
	 * All memory on node attribute `node`, the kernel's number of the
	 * node (as numactl and /sys/devices/system/node show it); one depot.
	 */
	LFP_PLACE_NODE = 1,
	/** Memory spread over the nodes, chunk by chunk; one depot. */
	LFP_PLACE_INTERLEAVE = 2,
};

/**
 * Nodes the statistics tell apart; later ones count in the last. Part of
 * the layout of the statistics structs, so it never changes (see
 * lfp_objpool_stats_get()).
 */
#define LFP_NODES_MAX 16

/**
 * A pool's figures for one NUMA node. The statistics' node[k] is the
 * pool's k-th node: the nodes this process may use, in the order of the
 * machine's topology as hwloc reads it (its logical order, usually the
 * kernel's), so k is not a node number; os_index is: that node's number
 * as the kernel, numactl and /sys/devices/system/node give it, the
 * number the node attribute takes.
 */
struct lfp_node_stats {
	uint64_t bytes;           /**< chunk memory placed on the node */
	uint64_t local_gets;      /**< objects that entered caches of the
	                               node's CPUs from memory of the node */
	uint64_t remote_gets;     /**< ... from memory of another node */
	uint64_t remote_frees;    /**< objects freed on the node's CPUs and
	                               sent back to their home node */
	uint64_t bind_failures;   /**< chunks the kernel would not bind to the
	                               node (they are used unbound) */
	unsigned int os_index;    /**< the node's number for the kernel */
};

struct rcu_head;

/**
 * A liburcu flavour's call_rcu() (for example urcu_memb_call_rcu, or
 * call_rcu after including that flavour's header), which lfpool uses to
 * wait for a grace period of the caller's readers before it reuses an
 * object handed back with lfp_objpool_put_rcu() or lfp_bufpool_free_rcu().
 * Around fork(), the program calls that flavour's call_rcu fork functions
 * (<lfpool/objpool.h>).
 */
typedef void (*lfp_call_rcu_fn)(struct rcu_head *head,
				void (*func)(struct rcu_head *head));

/**
 * @name Flags of lfp_objpool_trim() and lfp_bufpool_trim()
 * With no flag, a trim gives back what sits in the pool's depot.
 * @{
 */
/**
 * First hand cached objects to the depot: every CPU's cache (per-CPU
 * mode); the calling thread's cache and those of exited threads
 * (per-thread mode: a live thread's cache is flushed only by that thread,
 * with lfp_thread_flush() or at exit).
 */
#define LFP_TRIM_CACHES (1u << 0)
/**
 * Only what has been idle since the previous trim: as many depot objects
 * as the depot never went below since then (its working set stays), and,
 * with LFP_TRIM_CACHES, only the caches of CPUs that made no get or put.
 */
#define LFP_TRIM_IDLE (1u << 1)
/** @} */

LFP_END_DECLS

#endif /* LFPOOL_COMMON_H */
