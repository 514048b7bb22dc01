/* SPDX-License-Identifier: MIT */
/**
 * @file lfpool/check.h
 * Checked mode: misuse of a pool is caught at the call that does it.
 *
 * A pool runs checked when it is created with LFP_OBJPOOL_F_CHECKED or
 * LFP_BUFPOOL_F_CHECKED, or when the environment variable LFP_CHECKED is
 * exactly "1" at its creation (no rebuild needed; other values are
 * ignored). A checked pool detects:
 *  - a double put or double free, at the second call, whichever mix of
 *    put and lfp_objpool_put_rcu() (free and lfp_bufpool_free_rcu()) the
 *    two calls are: a deferred put is checked, and its object counted as
 *    back in the pool, at its call, not when its grace period ends;
 *  - a pointer that is not an object of this pool: another pool's,
 *    malloc's, a stack address (LFP_MISUSE_FOREIGN), or one that points
 *    inside an object (LFP_MISUSE_INTERIOR);
 *  - a write into an object after it was put back: the objects of pools
 *    without constructor (all buffers) are filled with a poison pattern
 *    while cached, checked when handed out again (an object put back
 *    with put_rcu or free_rcu is filled only once its grace period has
 *    ended, since readers may read it until then). Objects of pools with a
 *    constructor keep their state while cached, so they are not poisoned;
 *    build with AddressSanitizer or run under valgrind to catch a use
 *    after put there (both are supported in every mode).
 *  - objects still out when the pool is destroyed (LFP_MISUSE_LEAK):
 *    destroy reports how many, and which, before it frees anything.
 *    With sites (LFP_OBJPOOL_F_SITES, LFP_BUFPOOL_F_SITES, or
 *    LFP_CHECKED=sites), each get records the code that called it (its
 *    return address), and the report comes as one per site, largest
 *    first, the site named with dladdr(): "412 objects of pool "conns"
 *    got at conn_open+0x3c were never put". A program's own functions
 *    get their names when it is linked with -rdynamic; static functions
 *    and a static link show as file+offset or an address.
 * Each report names the pool, the pointer and the kind of misuse, then
 * aborts, unless a handler installed with lfp_misuse_set_handler()
 * returns: the call then fails (put, free and their _rcu forms return
 * -EINVAL and take nothing; a get still hands out the object it
 * reported; a destroy goes on, and the objects still out go with the
 * pool's memory, without their destructor). The default handler prints
 * every leak report of a destroy before it aborts.
 *
 * Checked pools go through the library's slow path on every call; pools
 * that are not checked pay nothing for the mode.
 */
#ifndef LFPOOL_CHECK_H
#define LFPOOL_CHECK_H

#include <lfpool/common.h>

LFP_BEGIN_DECLS

/** Kinds of misuse a checked pool reports. */
enum lfp_misuse_kind {
	LFP_MISUSE_DOUBLE_FREE = 1,     /**< put/free of an object already in the pool */
	LFP_MISUSE_FOREIGN,             /**< not an object of this pool */
	LFP_MISUSE_INTERIOR,            /**< points inside an object of this pool */
	LFP_MISUSE_WRITE_AFTER_FREE,    /**< a cached object's poison was changed */
	LFP_MISUSE_LEAK                 /**< objects still out at destroy */
};

/**
 * One report. The library passes it to the handler and owns it: it and
 * what it points to are valid during the call only. Fields after ptr are
 * set by leak reports alone (0 or NULL in the others).
 */
struct lfp_misuse {
	enum lfp_misuse_kind kind;
	const char *pool;               /**< the pool's name ("" if none) */
	const void *ptr;                /**< the pointer the call was given;
	                                     LFP_MISUSE_LEAK: objs[0] */
	size_t count;                   /**< objects of this report */
	size_t total;                   /**< objects out of the pool, in all
	                                     the reports of its destroy */
	const void *site;               /**< where they were got (a return
	                                     address), NULL without sites */
	const char *site_name;          /**< site as "function+0xoffset",
	                                     "file+0xoffset" or "0xaddress";
	                                     NULL without sites */
	const void *const *objs;        /**< the count objects, still mapped
	                                     during the call; NULL when no
	                                     memory could be had to list them */
};

/** A misuse handler; it may return (the call then fails) or abort. */
typedef void (*lfp_misuse_fn)(const struct lfp_misuse *m, void *arg);

/**
 * Install @p fn as the process's misuse handler, with @p arg; NULL
 * restores the default, which prints the report on stderr and aborts.
 */
LFP_API void lfp_misuse_set_handler(lfp_misuse_fn fn, void *arg);

/** Deprecated: the old name of lfp_misuse_set_handler(), still exported. */
LFP_API void lfp_set_misuse_handler(lfp_misuse_fn fn, void *arg)
	LFP_DEPRECATED("use lfp_misuse_set_handler");

/** @return a short name of @p kind ("double free", ...), or "unknown". */
LFP_API const char *lfp_misuse_name(enum lfp_misuse_kind kind);

LFP_END_DECLS

#endif /* LFPOOL_CHECK_H */
