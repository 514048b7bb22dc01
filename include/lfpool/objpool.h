/* SPDX-License-Identifier: MIT */
/**
 * @file lfpool/objpool.h
 * Object pools: fixed-size objects kept in their constructed state.
 *
 * An object pool hands out objects of one size and alignment. Each object
 * is built by the pool's constructor once, when the pool carves it out of
 * memory taken from the operating system, and torn down by the destructor
 * once, when the pool gives that memory back (lfp_objpool_destroy()).
 * Between the two, an object cycles through get and put any number of
 * times and keeps whatever state the constructor and its users left in it:
 * put does not clear it, get does not clear it (except in checked mode,
 * which fills the cached objects of pools without constructor with a
 * poison pattern: <lfpool/check.h>).
 *
 * Threading: get, put and their bulk forms may be called from any number
 * of threads at once. Each thread has its own cache of objects per pool
 * (two magazines); a cache miss exchanges a whole magazine with the pool's
 * lock-free depot. An object may be put by a thread other than the one that
 * got it. lfp_objpool_destroy() must not run concurrently with any other
 * call on the same pool, and no call may use the pool after it; threads
 * may exit or call lfp_thread_flush() while it runs.
 *
 * fork(): the child can use every pool. Objects cached by the parent's
 * other threads (which the child does not have) are lost to the child;
 * they count as in use. Call lfp_thread_flush() in those threads before
 * fork() to avoid it.
 *
 * Deferred puts (lfp_objpool_put_rcu()) work in the child too. With the
 * default flavour, lfpool's pthread_atfork() handlers pause liburcu-bp's
 * call_rcu worker threads around fork() and start a new one in the child
 * (urcu_bp_call_rcu_before_fork(), _after_fork_parent() and
 * _after_fork_child(), once a pool has used that flavour; and
 * urcu_bp_before_fork() and its pair always): the child's deferred puts
 * come back, and so do those in flight at fork(). Those workers serve the
 * whole process, so a program that uses the default flavour must not call
 * these functions itself around fork() (they do not nest), nor fork()
 * inside a liburcu-bp read-side section (the pause waits for a grace
 * period in progress, which would wait for that section). With a
 * call_rcu_fn of another flavour, the program must call that flavour's
 * own, as liburcu asks of every program that uses call_rcu and forks:
 * urcu_<flavour>_call_rcu_before_fork() before fork(),
 * _after_fork_parent() in the parent and _after_fork_child() in the
 * child; without them no deferred put of the child comes back, and its
 * destroy waits for them forever. Destroy in the child does not wait for
 * such a flavour's batches that were in flight at fork(), which may never
 * complete there: those that complete before it bring their objects back;
 * the others are freed with the pool, without destructor.
 *
 * Errors follow <lfpool/common.h>: get and create return NULL and set
 * errno; int calls return 0 or a negative errno value.
 */
#ifndef LFPOOL_OBJPOOL_H
#define LFPOOL_OBJPOOL_H

#include <lfpool/common.h>
#include <lfpool/inline.h>

LFP_BEGIN_DECLS

/** An object pool; opaque. */
struct lfp_objpool;

/**
 * Constructor: makes the raw memory at @p obj a valid object. It runs
 * with no cache or lock of the pool held, so it may use any pool (this
 * one included: a nested get is served like any other), flush or trim
 * it, and take its time.
 * @return 0, or a positive errno value: the object is then not handed out
 *         and lfp_objpool_get() may fail with that value.
 */
typedef int (*lfp_ctor_fn)(void *obj, void *arg);

/** Destructor: undoes what the constructor did, before memory goes back. */
typedef void (*lfp_dtor_fn)(void *obj, void *arg);

/** The largest object size an object pool accepts (64 MiB). */
#define LFP_OBJPOOL_SIZE_MAX ((size_t)64 << 20)

/**
 * The alignment of align 0 (64 bytes, a cache line): every object starts
 * a line and takes whole lines, so that objects used by different threads
 * never share one (no false sharing), as DPDK's mempools by default.
 * Set align to keep small objects dense instead.
 */
#define LFP_OBJPOOL_ALIGN_DEFAULT ((size_t)64)

/** Flag: checked mode for this pool (<lfpool/check.h>). */
#define LFP_OBJPOOL_F_CHECKED (1u << 0)
/** Flag: checked mode, and each get records its caller, so that a leak
 *  report at destroy names where the objects still out were got
 *  (<lfpool/check.h>); implies LFP_OBJPOOL_F_CHECKED. */
#define LFP_OBJPOOL_F_SITES (1u << 1)

/** The largest magazine round count lfp_objpool_attr.mag_rounds accepts. */
#define LFP_OBJPOOL_MAG_ROUNDS_MAX 1024u

/**
 * The most bytes of objects one magazine may hold (mag_rounds times the
 * object's stride, unless mag_rounds is 1): a cache holds two magazines,
 * so this bounds what one cache can keep from the rest of the process.
 */
#define LFP_OBJPOOL_MAG_SIZE_MAX ((size_t)16 << 20)

/** Deprecated: the old names of LFP_OBJPOOL_MAG_ROUNDS_MAX and _SIZE_MAX. */
#define LFP_MAG_ROUNDS_MAX LFP_OBJPOOL_MAG_ROUNDS_MAX
#define LFP_MAG_SIZE_MAX LFP_OBJPOOL_MAG_SIZE_MAX

/**
 * Attributes of a new pool. Fill with lfp_objpool_attr_init() (or zero
 * the struct: every field's zero is its default), then set the fields you
 * need; size has no default. The reserved tail keeps room for later
 * fields: it must stay zero, or create fails with EINVAL.
 */
struct lfp_objpool_attr {
	size_t size;          /**< object size in bytes, 1..LFP_OBJPOOL_SIZE_MAX */
	size_t align;         /**< 0 for the default, LFP_OBJPOOL_ALIGN_DEFAULT
	                           (a cache line: no two objects share one),
	                           or a power of two up to the page size
	                           (objects size rounded up to align apart:
	                           dense, but neighbours may share a line) */
	lfp_ctor_fn ctor;     /**< NULL: objects are raw memory */
	lfp_dtor_fn dtor;     /**< NULL: nothing to undo */
	void *arg;            /**< passed to ctor and dtor */
	const char *name;     /**< for stats and reports; copied; may be NULL */
	unsigned int mag_rounds; /**< objects per magazine; 0 chooses by size */
	unsigned int flags;   /**< LFP_OBJPOOL_F_CHECKED, _F_SITES, or 0 */
	int cache_mode;       /**< enum lfp_cache_mode; 0 is LFP_CACHE_AUTO */
	lfp_call_rcu_fn call_rcu_fn; /**< for lfp_objpool_put_rcu(); NULL:
	                           liburcu-bp's (urcu_bp_call_rcu) */
	int placement;        /**< enum lfp_placement; 0 is LFP_PLACE_LOCAL */
	unsigned int node;    /**< the node of LFP_PLACE_NODE: the kernel's
	                           number (numactl's, /sys/devices/system/node's) */
	size_t max_bytes;     /**< byte budget: the most memory the pool's
	                           chunks may take from the system (whole
	                           chunks of max(64 KiB, 4 objects) rounded up
	                           to a power of two); 0: no limit */
	void *reserved[8];    /**< must be zero (lfp_objpool_attr_init() zeroes it) */
};

/**
 * Fill @p attr with the defaults: size 0 (must be set), default alignment,
 * no ctor/dtor, automatic magazine size.
 * @return 0, or -EINVAL if @p attr is NULL.
 */
LFP_API int lfp_objpool_attr_init(struct lfp_objpool_attr *attr);

/**
 * Create an object pool. No memory for objects is taken until the first
 * get.
 * @return the pool, or NULL with errno:
 *  - EINVAL: @p attr is NULL; size is 0 or above LFP_OBJPOOL_SIZE_MAX;
 *    align is not 0 or a power of two no larger than the page size;
 *    mag_rounds above LFP_OBJPOOL_MAG_ROUNDS_MAX, or above 1 with
 *    mag_rounds objects taking more than LFP_OBJPOOL_MAG_SIZE_MAX; flags
 *    has unknown bits; cache_mode is not one of enum lfp_cache_mode;
 *    max_bytes is not 0 and smaller than one chunk; placement is not one
 *    of enum lfp_placement, or is LFP_PLACE_NODE with a node number the
 *    kernel does not have or this process may not use; a word of
 *    reserved[] is not zero;
 *  - EAGAIN: the process already has the maximum number of pools (65535
 *    object pools and buffer-pool classes together);
 *  - ENOMEM: no memory for the pool's bookkeeping.
 */
LFP_API struct lfp_objpool *
lfp_objpool_create(const struct lfp_objpool_attr *attr) LFP_WARN_UNUSED;

/**
 * Destroy a pool: run the destructor exactly once on every object the pool
 * holds (in any thread's cache or in the depot) and give all its memory
 * back to the operating system. Objects still held by users at this point
 * are freed with it, without their destructor: put everything back first.
 * Not to be called concurrently with any other call on this pool.
 * @p pool NULL does nothing.
 * @return 0.
 */
LFP_API int lfp_objpool_destroy(struct lfp_objpool *pool);

/**
 * Get a constructed object.
 * At the byte budget (attribute max_bytes), a get that finds no object
 * in its cache or the depot first brings back what other caches hold
 * (every CPU's cache; exited threads' caches), and fails only if that
 * leaves it empty-handed.
 * @return the object (aligned as asked), or NULL with errno:
 *  - EINVAL: @p pool is NULL;
 *  - ENOMEM: the operating system refused memory, or the byte budget
 *    is spent;
 *  - the constructor's error, when it failed and no other constructed
 *    object was at hand. The pool stays usable: a later get retries;
 *  - EAGAIN: called from a signal handler that interrupted this thread
 *    inside the library, when the pool would have had to grow while the
 *    code the handler interrupted may hold the lock that growing takes.
 * Async-signal-safe in per-CPU mode (get, put and the bulk calls; not in
 * per-thread mode, whose cache the interrupted code may be changing).
 */
LFP_API void *lfp_objpool_get(struct lfp_objpool *pool) LFP_WARN_UNUSED;

/**
 * Put an object back. It keeps its state; the destructor does not run.
 * @p obj must have come from lfp_objpool_get() on this pool and not have
 * been put since: anything else is undefined, unless the pool is checked
 * (<lfpool/check.h>), which reports it. @p obj may be NULL: nothing
 * happens.
 * A put of the pool's own object never fails, even with the system out
 * of memory: with no magazine to be had, it is kept in its chunk's
 * bitmap (one bit per object, made with the chunk) until a get takes it.
 * Like every int call, it leaves errno alone.
 * @return 0, or -EINVAL: @p pool is NULL (whatever @p obj is); or, in a
 *         checked pool, @p obj is not an object of the pool held by a
 *         user (reported, and not taken).
 */
LFP_API int lfp_objpool_put(struct lfp_objpool *pool, void *obj);

/**
 * Put an object back after a grace period: @p obj is handed out again
 * only once every RCU read-side section that had begun when this call
 * was made has ended, in the flavour whose call_rcu() the pool was given
 * (attribute call_rcu_fn; liburcu-bp's by default). Readers may thus keep
 * reading an object they found under rcu_read_lock() after an updater
 * unlinked and put it: it stays an object of this pool, constructed, and
 * is not reused before they leave (memory is type-stable for them, as
 * with Linux's SLAB_TYPESAFE_BY_RCU; a reader must still check that the
 * object is the one it looked for, since it may have been reused after an
 * earlier grace period). Objects wait in batches of one magazine; each
 * full batch costs one call_rcu(). lfp_objpool_flush(), and
 * lfp_objpool_trim() with LFP_TRIM_CACHES but not LFP_TRIM_IDLE, send a
 * partial batch on its way. Nothing but the byte budget (max_bytes)
 * bounds how many objects wait: while readers hold grace periods up, a
 * pool that keeps putting this way keeps growing (stats: deferred);
 * destroy waits for batches in flight (they
 * need the call_rcu thread of the flavour; for fork(), see the top of
 * this header) and runs the destructor on objects still staged.
 * In a checked pool, misuse (a double put in any mix with
 * lfp_objpool_put(), a foreign or interior pointer) is reported at this
 * call, which then fails with -EINVAL and takes nothing.
 * @return 0, or -EINVAL if @p pool is NULL (or, in a checked pool, @p obj
 *         is not an object of the pool held by a user: reported), or
 *         -ENOMEM if no batch could be made (the caller still owns
 *         @p obj). @p obj NULL: nothing.
 */
LFP_API int lfp_objpool_put_rcu(struct lfp_objpool *pool, void *obj);

/**
 * Get @p n objects into @p objs, all or nothing (like DPDK's
 * rte_mempool_get_bulk() and Linux's kmem_cache_alloc_bulk()): when not
 * all @p n can be had, the objects already taken go back to the pool
 * and none is handed out.
 * @return @p n, with objs[0..n-1] set; or 0 with errno set as for
 *         lfp_objpool_get() (and objs[] unspecified), or EINVAL if
 *         @p pool is NULL, or @p objs is NULL while @p n is not 0.
 *         @p n == 0 returns 0 and leaves errno alone.
 */
LFP_API size_t lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs,
				    size_t n) LFP_WARN_UNUSED;

/**
 * Put the @p n objects of @p objs back; NULL entries are skipped. Like a
 * put, it never fails for the pool's own objects.
 * @return how many entries were handled (n on success); fewer than @p n
 *         only in a checked pool, at the first misuse (errno EINVAL;
 *         objs[ret..n-1] were not taken). 0 with EINVAL if @p pool is
 *         NULL, or @p objs is NULL while @p n is not 0.
 */
LFP_API size_t lfp_objpool_put_bulk(struct lfp_objpool *pool,
				    void *const *objs, size_t n);

/** A snapshot of a pool's counters; see lfp_objpool_stats(). */
struct lfp_objpool_stats {
	const char *name;         /**< the pool's name, or "" */
	size_t size;              /**< object size asked for */
	size_t align;             /**< alignment of every object */
	size_t stride;            /**< bytes between two objects in a chunk:
	                               size rounded up to align, plus a cache
	                               line for a power of two of 1 to
	                               4 KiB aligned to 64 bytes or less */
	unsigned int mag_rounds;  /**< objects per magazine */
	uint64_t gets;            /**< objects handed out */
	uint64_t puts;            /**< objects taken back */
	uint64_t hits;            /**< gets served from the cache (the
	                               thread's or the CPU's) */
	uint64_t depot_gets;      /**< full magazines taken from the depot */
	uint64_t depot_puts;      /**< full magazines given to the depot */
	uint64_t objects;         /**< constructed objects the pool owns */
	uint64_t in_use;          /**< objects out with users (gets - puts) */
	uint64_t cached;          /**< objects in caches and depot */
	uint64_t depot_cached;    /**< objects in the depot alone */
	uint64_t ctor_failures;   /**< constructor calls that failed */
	uint64_t chunks;          /**< chunks taken from the operating system */
	uint64_t bytes_reserved;  /**< bytes of those chunks and magazines */
	uint64_t bytes_limit;     /**< the byte budget (chunks only), or 0 */
	uint64_t caches;          /**< per-thread: caches made for this pool
	                               (a thread's cache is reused by a later
	                               thread once the first has exited);
	                               per-CPU: CPU ids the system may have */
	uint64_t magazines;       /**< magazines allocated */
	uint64_t deferred;        /**< objects put with lfp_objpool_put_rcu()
	                               still waiting for their grace period
	                               (counted in in_use until back) */
	uint64_t direct;          /**< per-CPU mode: objects got and put
	                               at the depot with no cache: one at a
	                               time when their CPU's cache was busy,
	                               or the part of a bulk call past what
	                               the cache could take or give */
	int cache_mode;           /**< LFP_CACHE_PER_CPU or _PER_THREAD */
	int placement;            /**< enum lfp_placement */
	unsigned int nnodes;      /**< NUMA nodes (entries of node[] used) */
	/* Every field above is in every version: LFP_OBJPOOL_STATS_SIZE_MIN. */
	struct lfp_node_stats node[LFP_NODES_MAX]; /**< per node (<lfpool/common.h>) */
	uint64_t reserve;         /**< the reserve's size
	                               (lfp_objpool_prefill()) */
	uint64_t reserve_held;    /**< objects in the reserve now (counted in
	                               objects and cached) */
	uint64_t cache_bytes_max; /**< the most bytes of objects one cache
	                               (a CPU's or a thread's) holds: two
	                               magazines, 2 * mag_rounds * stride */
	/* Later versions add their fields here, at the end. */
};

/**
 * The smallest size lfp_objpool_stats_get() accepts: the fields before
 * node[].
 */
#define LFP_OBJPOOL_STATS_SIZE_MIN offsetof(struct lfp_objpool_stats, node)

/**
 * Hand the objects cached for @p pool to its depot, where any thread's
 * get finds them: every CPU's cache in per-CPU mode; the calling thread's
 * cache (and those of exited threads) in per-thread mode. Like
 * lfp_thread_flush(), but for one pool and, per-CPU, for all CPUs: what a
 * thread whose affinity left a CPU cached there is never stranded.
 * @return 0, or -EINVAL if @p pool is NULL.
 */
LFP_API int lfp_objpool_flush(struct lfp_objpool *pool);

/**
 * Give cached memory back to the operating system: take objects from the
 * depot (and, with LFP_TRIM_CACHES, from caches first); every chunk whose
 * objects are all among them gets the destructor run on each object and
 * is unmapped. Objects of other chunks stay cached, constructed. Runs
 * alongside gets and puts in other threads; nothing else waits for it,
 * except that draining a CPU's cache briefly holds that CPU's lock.
 * @p flags: 0 or LFP_TRIM_CACHES and LFP_TRIM_IDLE (<lfpool/common.h>).
 * @return 0, or -EINVAL if @p pool is NULL or @p flags has unknown bits.
 */
LFP_API int lfp_objpool_trim(struct lfp_objpool *pool, unsigned int flags);

/**
 * Keep a reserve of @p n constructed objects for gets that the pool could
 * not serve otherwise, as Linux's mempool_t keeps min_nr elements so that
 * a request in flight can finish. The call fills the reserve at once:
 * with objects the depot holds, then carved (the constructor runs now);
 * they count against the byte budget. The reserve's objects are kept
 * apart from the caches and the depot, and trim never gives them back.
 * A get whose cache and depot are empty and whose pool cannot grow (the
 * byte budget is spent after its reclaim, the operating system refused
 * memory, or the constructor failed) takes one from the reserve; only
 * when the reserve is empty too does it fail as before (ENOMEM, or the
 * constructor's error). A bulk get takes what it lacks from the reserve
 * all or nothing.
 * Objects from the reserve are ordinary objects, put as any other. The
 * reserve refills from objects coming back: a put that reaches the slow
 * path (its cache full) while the reserve is short gives it its object,
 * and lfp_objpool_flush(), lfp_objpool_trim() and the budget's reclaim
 * top it up from the depot. An object a thread keeps in its own cache is
 * that thread's until it leaves the cache (per-thread mode: until the
 * thread flushes or exits), as for any cached object.
 * A smaller @p n (0: none) gives the surplus to the depot; a trim can then
 * give it back to the system.
 * @return 0, or -EINVAL if @p pool is NULL; -ENOMEM when memory for the
 *         reserve could not be had (the byte budget or the system), or the
 *         constructor's error (negated); -EAGAIN from a signal handler
 *         that interrupted the library. On error the reserve keeps its
 *         previous size, and objects carved for it stay cached in the pool.
 */
LFP_API int lfp_objpool_prefill(struct lfp_objpool *pool, size_t n);

/**
 * The cache mode @p pool runs in, fixed at creation: LFP_CACHE_PER_CPU or
 * LFP_CACHE_PER_THREAD (never LFP_CACHE_AUTO), or -EINVAL if @p pool is
 * NULL.
 */
LFP_API int lfp_objpool_cache_mode(const struct lfp_objpool *pool);

/**
 * Take a snapshot of @p pool's counters into @p st, a struct of @p size
 * bytes. It never stops other threads; while they run, the figures are
 * each exact but not mutually consistent.
 *
 * Versions: struct lfp_objpool_stats only ever grows, by fields added at
 * its end (the fields there, struct lfp_node_stats and LFP_NODES_MAX are
 * never changed), and the caller's @p size says which version it was
 * built with. The library
 * fills the first min(@p size, its own sizeof(struct lfp_objpool_stats))
 * bytes, so a program built with older headers gets exactly the fields it
 * knows, and sets the rest of @p size bytes, fields newer than the
 * library, to zero. Call it through lfp_objpool_stats(), which passes
 * the size of the struct in the headers the caller is compiled with.
 * @return 0, or -EINVAL if @p pool or @p st is NULL, or @p size is below
 *         LFP_OBJPOOL_STATS_SIZE_MIN.
 */
LFP_API int lfp_objpool_stats_get(struct lfp_objpool *pool,
				  struct lfp_objpool_stats *st, size_t size);

/**
 * lfp_objpool_stats_get() with the struct's size in the caller's headers:
 * 0, or -EINVAL if @p pool or @p st is NULL.
 */
#define lfp_objpool_stats(pool, st) \
	lfp_objpool_stats_get((pool), (st), \
			      sizeof(struct lfp_objpool_stats))

/*
 * The inline fast path (<lfpool/inline.h>): a hit runs here, in the
 * caller; anything else calls the exported function. Define LFP_NO_INLINE
 * before including lfpool's headers to call the exported functions
 * always; `(lfp_objpool_get)(pool)` calls it once. The gets are always
 * inlined, at -O0 too, so that the exported function's caller is the
 * program's own code: a checked pool with sites names it (<lfpool/check.h>).
 */
static inline __attribute__((always_inline)) LFP_WARN_UNUSED void *
lfp_objpool_get_inline(struct lfp_objpool *pool)
{
	if (__builtin_expect(pool != NULL, 1)) {
		void *obj = lfp_fast_get((const struct lfp_fast_pool *)
					 (const void *)pool);

		if (__builtin_expect(obj != NULL, 1))
			return obj;
	}
	return lfp_objpool_get(pool);
}

static inline int
lfp_objpool_put_inline(struct lfp_objpool *pool, void *obj)
{
	if (__builtin_expect(pool != NULL && obj != NULL, 1) &&
	    __builtin_expect(lfp_fast_put((const struct lfp_fast_pool *)
					  (const void *)pool, obj), 1))
		return 0;
	return lfp_objpool_put(pool, obj);
}

static inline __attribute__((always_inline)) LFP_WARN_UNUSED size_t
lfp_objpool_get_bulk_inline(struct lfp_objpool *pool, void **objs, size_t n)
{
	if (__builtin_expect(pool != NULL && objs != NULL, 1) &&
	    __builtin_expect(lfp_fast_get_bulk((const struct lfp_fast_pool *)
					       (const void *)pool, objs, n), 1))
		return n;
	return lfp_objpool_get_bulk(pool, objs, n);
}

static inline size_t
lfp_objpool_put_bulk_inline(struct lfp_objpool *pool, void *const *objs,
			    size_t n)
{
	if (__builtin_expect(pool != NULL && objs != NULL, 1) &&
	    __builtin_expect(lfp_fast_put_bulk((const struct lfp_fast_pool *)
					       (const void *)pool, objs, n), 1))
		return n;
	return lfp_objpool_put_bulk(pool, objs, n);
}

#ifndef LFP_NO_INLINE
#define lfp_objpool_get(pool) lfp_objpool_get_inline(pool)
#define lfp_objpool_put(pool, obj) lfp_objpool_put_inline(pool, obj)
#define lfp_objpool_get_bulk(pool, objs, n) \
	lfp_objpool_get_bulk_inline(pool, objs, n)
#define lfp_objpool_put_bulk(pool, objs, n) \
	lfp_objpool_put_bulk_inline(pool, objs, n)
#endif

LFP_END_DECLS

#endif /* LFPOOL_OBJPOOL_H */
