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
 * Errors follow <lfpool/common.h>: get and create return NULL and set
 * errno; int calls return 0 or a negative errno value.
 */
#ifndef LFPOOL_OBJPOOL_H
#define LFPOOL_OBJPOOL_H

#include <lfpool/common.h>

LFP_BEGIN_DECLS

/** An object pool; opaque. */
struct lfp_objpool;

/**
 * Constructor: makes the raw memory at @p obj a valid object.
 * @return 0, or a positive errno value: the object is then not handed out
 *         and lfp_objpool_get() may fail with that value.
 */
typedef int (*lfp_ctor_fn)(void *obj, void *arg);

/** Destructor: undoes what the constructor did, before memory goes back. */
typedef void (*lfp_dtor_fn)(void *obj, void *arg);

/** The largest object size an object pool accepts (64 MiB). */
#define LFP_OBJPOOL_SIZE_MAX ((size_t)64 << 20)

/** Flag: checked mode for this pool (<lfpool/check.h>). */
#define LFP_OBJPOOL_F_CHECKED (1u << 0)

/** The largest magazine round count lfp_objpool_attr.mag_rounds accepts. */
#define LFP_MAG_ROUNDS_MAX 1024u

/**
 * Attributes of a new pool. Fill with lfp_objpool_attr_init(), then set
 * the fields you need; the reserved tail keeps room for later fields.
 */
struct lfp_objpool_attr {
	size_t size;          /**< object size in bytes, 1..LFP_OBJPOOL_SIZE_MAX */
	size_t align;         /**< 0 for the default (alignof(max_align_t)), or
	                           a power of two up to the page size */
	lfp_ctor_fn ctor;     /**< NULL: objects are raw memory */
	lfp_dtor_fn dtor;     /**< NULL: nothing to undo */
	void *arg;            /**< passed to ctor and dtor */
	const char *name;     /**< for stats and reports; copied; may be NULL */
	unsigned int mag_rounds; /**< objects per magazine; 0 chooses by size */
	unsigned int flags;   /**< LFP_OBJPOOL_F_CHECKED, or 0 */
	void *reserved[8];    /**< set to zero by lfp_objpool_attr_init() */
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
 *    mag_rounds above LFP_MAG_ROUNDS_MAX; flags has unknown bits;
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
 * @return 0, or -EINVAL if @p pool is NULL.
 */
LFP_API int lfp_objpool_destroy(struct lfp_objpool *pool);

/**
 * Get a constructed object.
 * @return the object (aligned as asked), or NULL with errno:
 *  - EINVAL: @p pool is NULL;
 *  - ENOMEM: the operating system refused memory;
 *  - the constructor's error, when it failed and no other constructed
 *    object was at hand. The pool stays usable: a later get retries.
 */
LFP_API void *lfp_objpool_get(struct lfp_objpool *pool) LFP_WARN_UNUSED;

/**
 * Put an object back. It keeps its state; the destructor does not run.
 * @p obj must have come from lfp_objpool_get() on this pool and not have
 * been put since: anything else is undefined, unless the pool is checked
 * (<lfpool/check.h>), which reports it. @p obj may be NULL: nothing
 * happens.
 * @return 0, or
 *  - -EINVAL: @p pool is NULL (whatever @p obj is); or, in a checked
 *    pool, @p obj is not an object of the pool held by a user (reported);
 *  - -ENOMEM: the cache needed a new magazine and none could be made.
 *    The object was not taken; the caller still owns it. This cannot
 *    happen while the pool holds only its own objects, each put once.
 */
LFP_API int lfp_objpool_put(struct lfp_objpool *pool, void *obj);

/**
 * Get @p n objects into @p objs.
 * @return how many were stored in objs[0..]; fewer than @p n only on
 *         error, with errno set as for lfp_objpool_get(). 0 with EINVAL
 *         if @p pool is NULL, or @p objs is NULL while @p n is not 0.
 */
LFP_API size_t lfp_objpool_get_bulk(struct lfp_objpool *pool, void **objs,
				    size_t n);

/**
 * Put the @p n objects of @p objs back; NULL entries are skipped.
 * @return how many entries were handled (n on success); fewer than @p n
 *         only on error, with errno set as lfp_objpool_put() would return
 *         it: objs[ret..n-1] were not taken. 0 with EINVAL if @p pool is
 *         NULL, or @p objs is NULL while @p n is not 0.
 */
LFP_API size_t lfp_objpool_put_bulk(struct lfp_objpool *pool,
				    void *const *objs, size_t n);

/** A snapshot of a pool's counters; see lfp_objpool_stats(). */
struct lfp_objpool_stats {
	const char *name;         /**< the pool's name, or "" */
	size_t size;              /**< object size asked for */
	size_t align;             /**< alignment of every object */
	size_t stride;            /**< bytes between two objects in a chunk */
	unsigned int mag_rounds;  /**< objects per magazine */
	uint64_t gets;            /**< objects handed out */
	uint64_t puts;            /**< objects taken back */
	uint64_t hits;            /**< gets served from the thread's own cache */
	uint64_t depot_gets;      /**< full magazines taken from the depot */
	uint64_t depot_puts;      /**< full magazines given to the depot */
	uint64_t objects;         /**< constructed objects the pool owns */
	uint64_t in_use;          /**< objects out with users (gets - puts) */
	uint64_t cached;          /**< objects in caches and depot */
	uint64_t depot_cached;    /**< objects in the depot alone */
	uint64_t ctor_failures;   /**< constructor calls that failed */
	uint64_t chunks;          /**< chunks taken from the operating system */
	uint64_t bytes_reserved;  /**< bytes of those chunks and magazines */
	uint64_t caches;          /**< caches made for this pool; a thread's
	                               cache is reused by a later thread once
	                               the first has exited */
	uint64_t magazines;       /**< magazines allocated */
};

/**
 * Take a snapshot of @p pool's counters. It never stops other threads;
 * while they run, the figures are each exact but not mutually consistent.
 * @return 0, or -EINVAL if @p pool or @p st is NULL.
 */
LFP_API int lfp_objpool_stats(struct lfp_objpool *pool,
			      struct lfp_objpool_stats *st);

LFP_END_DECLS

#endif /* LFPOOL_OBJPOOL_H */
