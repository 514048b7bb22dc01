/* SPDX-License-Identifier: MIT */
/**
 * @file lfpool/bufpool.h
 * Power-of-two buffer pools: lfp_bufpool_alloc(bp, n) hands out a buffer
 * of capacity 2^ceil(lg n) from that size class; lfp_bufpool_free() needs
 * no size: the class is found from the chunk the buffer lives in.
 *
 * Classes run from the pool's smallest size (default 16 bytes) to its
 * largest (default 256 KiB, at most LFP_BUFPOOL_SIZE_MAX). Each class is
 * an object pool of the same engine (per-thread caches of two magazines
 * in front of a lock-free depot); magazines of large classes hold fewer
 * buffers, so that a thread's cache holds a bounded number of bytes per
 * class: two magazines of at most 16 KiB of small buffers, or of at most
 * four buffers (and 1 MiB) of classes of 4 KiB and more.
 *
 * A buffer's capacity is a power of two and the buffer is aligned to it,
 * up to the page size (a 64-byte buffer starts on a 64-byte boundary, a
 * 256 KiB one on a page), and never to less than 16 bytes. Buffer contents
 * are unspecified when handed out: never cleared between uses, and a new
 * buffer holds whatever its memory held.
 *
 * Threading: alloc, free and capacity may be called from any number of
 * threads at once, and a buffer may be freed by a thread other than the
 * one that allocated it. lfp_bufpool_destroy() must not run concurrently
 * with any other call on the same pool. fork() is handled as for object
 * pools (<lfpool/objpool.h>), deferred frees (lfp_bufpool_free_rcu())
 * included: with a call_rcu_fn of a flavour other than the default, the
 * program must call that flavour's call_rcu fork functions itself, and
 * must not call liburcu-bp's when it uses the default flavour.
 *
 * Errors follow <lfpool/common.h>; a NULL pool is reported (EINVAL)
 * before anything else is looked at, except by lfp_bufpool_destroy(),
 * for which it is nothing to do.
 */
#ifndef LFPOOL_BUFPOOL_H
#define LFPOOL_BUFPOOL_H

#include <lfpool/common.h>
#include <lfpool/inline.h>

LFP_BEGIN_DECLS

/** A buffer pool; opaque. */
struct lfp_bufpool;

/** Flag: checked mode for this pool (<lfpool/check.h>). */
#define LFP_BUFPOOL_F_CHECKED (1u << 0)
/** Flag: checked mode, and each get records its caller, so that a leak
 *  report at destroy names where the objects still out were got
 *  (<lfpool/check.h>); implies LFP_BUFPOOL_F_CHECKED. */
#define LFP_BUFPOOL_F_SITES (1u << 1)

/** The smallest class a buffer pool accepts (16 bytes). */
#define LFP_BUFPOOL_SIZE_MIN ((size_t)16)
/**
 * The smallest class of min_size 0 (64 bytes, a cache line): buffers of
 * every class start a line and take whole lines, so that buffers used by
 * different threads never share one (no false sharing). Set min_size to
 * LFP_BUFPOOL_SIZE_MIN (or 32) for dense classes of 16 (and 32) bytes.
 */
#define LFP_BUFPOOL_SIZE_MIN_DEFAULT ((size_t)64)
/** The largest class a buffer pool accepts (1 GiB). */
#define LFP_BUFPOOL_SIZE_MAX ((size_t)1 << 30)
/** Deprecated: the old name of LFP_BUFPOOL_SIZE_MIN. */
#define LFP_BUFPOOL_MIN_SIZE LFP_BUFPOOL_SIZE_MIN
/** The most classes a buffer pool can have (16 B .. 1 GiB). */
#define LFP_BUFPOOL_CLASSES_MAX 27

/**
 * Attributes of a new buffer pool. Fill with lfp_bufpool_attr_init() (or
 * zero the struct: every field's zero is its default), then set the
 * fields you need. The reserved tail keeps room for later fields: it must
 * stay zero, or create fails with EINVAL.
 */
struct lfp_bufpool_attr {
	size_t min_size;      /**< smallest class: a power of two,
	                           LFP_BUFPOOL_SIZE_MIN..max_size; 0:
	                           LFP_BUFPOOL_SIZE_MIN_DEFAULT (64), or
	                           max_size, if smaller */
	size_t max_size;      /**< largest class: a power of two up to
	                           LFP_BUFPOOL_SIZE_MAX; 0: 256 KiB (or
	                           min_size, if larger) */
	const char *name;     /**< for stats and reports; copied; may be NULL */
	unsigned int flags;   /**< LFP_BUFPOOL_F_CHECKED, _F_SITES, or 0 */
	int cache_mode;       /**< enum lfp_cache_mode; 0 is LFP_CACHE_AUTO */
	lfp_call_rcu_fn call_rcu_fn; /**< for lfp_bufpool_free_rcu(); NULL:
	                           liburcu-bp's (urcu_bp_call_rcu) */
	int placement;        /**< enum lfp_placement; 0 is LFP_PLACE_LOCAL */
	unsigned int node;    /**< the node of LFP_PLACE_NODE: the kernel's
	                           number (numactl's, /sys/devices/system/node's) */
	size_t max_bytes;     /**< byte budget over all classes: the most
	                           memory their chunks may take from the
	                           system (a class's chunks hold
	                           max(64 KiB, 4 buffers)); 0: no limit */
	void *reserved[8];    /**< must be zero (lfp_bufpool_attr_init() zeroes it) */
};

/**
 * Fill @p attr with the defaults: classes of 64 bytes to 256 KiB.
 * @return 0, or -EINVAL if @p attr is NULL.
 */
LFP_API int lfp_bufpool_attr_init(struct lfp_bufpool_attr *attr);

/**
 * Create a buffer pool. No memory for buffers is taken until the first
 * alloc of each class.
 * @return the pool, or NULL with errno:
 *  - EINVAL: @p attr is NULL; min_size or max_size (0 read as its
 *    default) is not a power of two, min_size is below
 *    LFP_BUFPOOL_SIZE_MIN or above max_size, max_size is above
 *    LFP_BUFPOOL_SIZE_MAX; flags has unknown bits; cache_mode is not one
 *    of enum lfp_cache_mode; max_bytes is not 0 and smaller than one
 *    chunk of the largest class; placement is not one of enum
 *    lfp_placement, or is LFP_PLACE_NODE with a node number the kernel
 *    does not have or this process may not use; a word of reserved[] is
 *    not zero;
 *  - EAGAIN: the process already has the maximum number of pools (each
 *    class counts as one pool against the limit of 65535);
 *  - ENOMEM: no memory for the pool's bookkeeping.
 */
LFP_API struct lfp_bufpool *
lfp_bufpool_create(const struct lfp_bufpool_attr *attr) LFP_WARN_UNUSED;

/**
 * Destroy a buffer pool and give all its memory back to the operating
 * system, including buffers still allocated (free them first).
 * @p bp NULL does nothing.
 * @return 0.
 */
LFP_API int lfp_bufpool_destroy(struct lfp_bufpool *bp);

/**
 * Allocate a buffer of at least @p n bytes: its capacity is the smallest
 * class not below @p n (2^ceil(lg n), or the pool's smallest class).
 * @p n == 0 gives a buffer of the smallest class, like any small request.
 * @return the buffer, or NULL with errno:
 *  - EINVAL: @p bp is NULL;
 *  - E2BIG: @p n is above the pool's largest class;
 *  - ENOMEM: the operating system refused memory, or the byte budget is
 *    spent: at the budget, an alloc that finds no buffer in its cache or
 *    its class's depot first brings back what other caches of the class
 *    hold and gives the other classes' cached chunks back to the system,
 *    and fails only if that is not enough. (A fallback to malloc was
 *    left out on purpose: a malloc'd buffer would have to pass the
 *    foreign-pointer check on free, which is what catches real bugs.)
 */
LFP_API void *lfp_bufpool_alloc(struct lfp_bufpool *bp, size_t n)
	LFP_WARN_UNUSED;

/**
 * Free a buffer; no size needed. @p buf NULL does nothing.
 * A pointer that no chunk of this pool holds, that points inside a
 * buffer rather than at its start, or at a buffer's place that the pool
 * never handed out (past what it carved of a chunk), is detected and
 * refused: nothing is freed (a checked pool also reports it). Freeing a
 * buffer twice is detected and reported only by a checked pool
 * (<lfpool/check.h>); otherwise it corrupts the pool. A free of a buffer
 * of the pool never fails, even with the system out of memory (see
 * lfp_objpool_put()). Async-signal-safe in per-CPU mode, as
 * lfp_objpool_put().
 * Like every int call, it leaves errno alone.
 * @return 0, or -EINVAL: @p bp is NULL, or @p buf is not a buffer of
 *         @p bp, or (in a checked pool) it was freed already.
 */
LFP_API int lfp_bufpool_free(struct lfp_bufpool *bp, void *buf);

/**
 * Allocate @p n buffers of at least @p size bytes each (one class, as
 * lfp_bufpool_alloc(bp, size)) into @p bufs, all or nothing, as
 * lfp_objpool_get_bulk(): when not all @p n can be had, the buffers
 * already taken go back and none is handed out.
 * @return @p n, with bufs[0..n-1] set; or 0 with errno set as for
 *         lfp_bufpool_alloc() (and bufs[] unspecified), or EINVAL if
 *         @p bufs is NULL while @p n is not 0. @p n == 0 returns 0 and
 *         leaves errno alone (after the checks of @p bp and @p size).
 */
LFP_API size_t lfp_bufpool_alloc_bulk(struct lfp_bufpool *bp, size_t size,
				      void **bufs, size_t n) LFP_WARN_UNUSED;

/**
 * Free the @p n buffers of @p bufs, of any classes of @p bp; NULL entries
 * are skipped. As lfp_bufpool_free(), it never fails for the pool's own
 * buffers, and refuses a pointer that is not one.
 * @return how many entries were handled (@p n on success); fewer than
 *         @p n at the first entry that is not a buffer of @p bp, or (in a
 *         checked pool) that was freed already: errno EINVAL, and
 *         bufs[ret..n-1] were not taken. 0 with EINVAL if @p bp is NULL,
 *         or @p bufs is NULL while @p n is not 0.
 */
LFP_API size_t lfp_bufpool_free_bulk(struct lfp_bufpool *bp,
				     void *const *bufs, size_t n);

/**
 * Free a buffer after a grace period of the pool's RCU flavour, as
 * lfp_objpool_put_rcu() does for objects. A checked pool reports misuse
 * (a double free in any mix with lfp_bufpool_free()) at this call.
 * @return 0, or -EINVAL (@p bp NULL, or @p buf not a buffer of @p bp),
 *         or -ENOMEM (not taken). @p buf NULL: nothing.
 */
LFP_API int lfp_bufpool_free_rcu(struct lfp_bufpool *bp, void *buf);

/**
 * The capacity of a buffer of @p bp: the size of its class.
 * @return the capacity, or 0 with errno EINVAL if @p bp is NULL or @p buf
 *         is not a buffer of @p bp.
 */
LFP_API size_t lfp_bufpool_capacity(struct lfp_bufpool *bp, const void *buf);

/** Counters of one size class; see lfp_bufpool_stats(). */
struct lfp_bufpool_class_stats {
	size_t size;              /**< the class's capacity */
	unsigned int mag_rounds;  /**< buffers per magazine */
	uint64_t allocs;          /**< buffers handed out */
	uint64_t frees;           /**< buffers taken back */
	uint64_t hits;            /**< allocs served from the cache (the
	                               thread's or the CPU's) */
	uint64_t buffers;         /**< buffers the class has carved */
	uint64_t in_use;          /**< buffers out with users */
	uint64_t cached;          /**< buffers in caches and depot */
	uint64_t depot_cached;    /**< buffers in the depot alone */
	uint64_t chunks;          /**< chunks taken from the operating system */
	uint64_t bytes_reserved;  /**< bytes of those chunks and magazines */
};

/** A snapshot of a buffer pool's counters. */
struct lfp_bufpool_stats {
	const char *name;         /**< the pool's name, or "" */
	unsigned int nclasses;    /**< the pool's classes: cls[i] is the class
	                               of min_size << i, for i < nclasses */
	uint64_t allocs, frees, hits;     /**< sums over the classes */
	uint64_t bytes_in_use;    /**< capacity of the buffers out */
	uint64_t bytes_cached;    /**< capacity of the cached buffers */
	uint64_t bytes_reserved;  /**< memory taken from the system: the sum of
	                               the classes' bytes_reserved */
	int cache_mode;           /**< LFP_CACHE_PER_CPU or _PER_THREAD */
	uint64_t bytes_limit;     /**< the byte budget (chunks only), or 0 */
	int placement;            /**< enum lfp_placement */
	unsigned int nnodes;      /**< NUMA nodes (entries of node[] used) */
	/* Every field above is in every version: LFP_BUFPOOL_STATS_SIZE_MIN. */
	struct lfp_node_stats node[LFP_NODES_MAX]; /**< sums over classes
	                               (<lfpool/common.h>) */
	struct lfp_bufpool_class_stats cls[LFP_BUFPOOL_CLASSES_MAX];
	uint64_t cls_reserve[LFP_BUFPOOL_CLASSES_MAX]; /**< each class's
	                               reserve size (lfp_bufpool_prefill()) */
	uint64_t cls_reserve_held[LFP_BUFPOOL_CLASSES_MAX]; /**< buffers in
	                               each class's reserve now */
	uint64_t cache_bytes_max; /**< the most bytes of buffers one cache
	                               (a CPU's or a thread's) holds: two
	                               magazines of each class, the sum of
	                               2 * mag_rounds * size */
	/* Later versions add their fields here, at the end. */
};

/**
 * The smallest size lfp_bufpool_stats_get() accepts: the fields before
 * node[].
 */
#define LFP_BUFPOOL_STATS_SIZE_MIN offsetof(struct lfp_bufpool_stats, node)

/**
 * Hand the buffers cached for @p bp to its depot, as lfp_objpool_flush().
 * @return 0, or -EINVAL if @p bp is NULL.
 */
LFP_API int lfp_bufpool_flush(struct lfp_bufpool *bp);

/**
 * Give cached memory back to the operating system, class by class, as
 * lfp_objpool_trim() does (buffers have no destructor).
 * @return 0, or -EINVAL if @p bp is NULL or @p flags has unknown bits.
 */
LFP_API int lfp_bufpool_trim(struct lfp_bufpool *bp, unsigned int flags);

/**
 * Keep a reserve of @p n buffers in the class that serves allocations of
 * @p size bytes, as lfp_objpool_prefill() does for an object pool (the
 * same rules: filled at once, apart from caches and depot, never trimmed,
 * taken only by an alloc the class could not serve otherwise, refilled
 * by frees that reach the slow path and by flush, trim and the budget's
 * reclaim). Reserves are per class, because an allocation is served by
 * its class alone: a reserve of the pool as a whole could promise nothing
 * to a given size. Every class's reserve counts against the pool's one
 * byte budget. Call it once per class that needs one.
 * @return 0, or -EINVAL if @p bp is NULL; -E2BIG if @p size is above the
 *         pool's max_size; else as lfp_objpool_prefill().
 */
LFP_API int lfp_bufpool_prefill(struct lfp_bufpool *bp, size_t size,
				size_t n);

/**
 * The cache mode @p bp runs in, fixed at creation: LFP_CACHE_PER_CPU or
 * LFP_CACHE_PER_THREAD, or -EINVAL if @p bp is NULL.
 */
LFP_API int lfp_bufpool_cache_mode(const struct lfp_bufpool *bp);

/**
 * Take a snapshot of @p bp's counters into @p st, a struct of @p size
 * bytes, without stopping other threads. Versions work as for
 * lfp_objpool_stats_get(): the struct only grows at its end (the structs
 * of its arrays, LFP_NODES_MAX and LFP_BUFPOOL_CLASSES_MAX never change);
 * the library fills the first min(@p size, its own
 * sizeof(struct lfp_bufpool_stats)) bytes and zeroes the rest of @p size.
 * Call it through
 * lfp_bufpool_stats(), which passes the size of the struct in the
 * headers the caller is compiled with.
 * @return 0, or -EINVAL if @p bp or @p st is NULL, or @p size is below
 *         LFP_BUFPOOL_STATS_SIZE_MIN.
 */
LFP_API int lfp_bufpool_stats_get(struct lfp_bufpool *bp,
				  struct lfp_bufpool_stats *st, size_t size);

/**
 * lfp_bufpool_stats_get() with the struct's size in the caller's headers:
 * 0, or -EINVAL if @p bp or @p st is NULL.
 */
#define lfp_bufpool_stats(bp, st) \
	lfp_bufpool_stats_get((bp), (st), \
			      sizeof(struct lfp_bufpool_stats))

/*
 * The inline fast path of alloc (<lfpool/inline.h>): a hit on the class's
 * cache runs here, in the caller; anything else calls the exported
 * function. Free stays a call: a buffer's class comes from its address,
 * through the library's chunk map. LFP_NO_INLINE as for object pools;
 * always inlined, as their gets are.
 */
static inline __attribute__((always_inline)) LFP_WARN_UNUSED void *
lfp_bufpool_alloc_inline(struct lfp_bufpool *bp, size_t n)
{
	if (__builtin_expect(bp != NULL, 1)) {
		void *buf = lfp_fast_buf_alloc((const struct lfp_fast_bufpool *)
					       (const void *)bp, n);

		if (__builtin_expect(buf != NULL, 1))
			return buf;
	}
	return lfp_bufpool_alloc(bp, n);
}

#ifndef LFP_NO_INLINE
#define lfp_bufpool_alloc(bp, n) lfp_bufpool_alloc_inline(bp, n)
#endif

LFP_END_DECLS

#endif /* LFPOOL_BUFPOOL_H */
