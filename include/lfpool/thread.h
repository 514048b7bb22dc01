/* SPDX-License-Identifier: MIT */
/*
 * lfpool/thread.h - control of the calling thread's caches.
 *
 * In pools with per-thread caches (LFP_CACHE_PER_THREAD, or where per-CPU
 * caches are not available), each thread gets a cache for a pool the
 * first time it uses that pool; no registration call is needed. When the
 * thread exits, its caches are handed back to the pools (their objects go
 * to the pools' depots). A thread that is about to idle for a long time
 * can hand them back early. Pools with per-CPU caches keep nothing per
 * thread: lfp_objpool_flush() and lfp_bufpool_flush() empty their CPUs'
 * caches.
 */
#ifndef LFPOOL_THREAD_H
#define LFPOOL_THREAD_H

#include <lfpool/common.h>

LFP_BEGIN_DECLS

/**
 * Hand every object cached by the calling thread back to its pool's depot,
 * for all pools with per-thread caches, so that other threads can get
 * them. The thread keeps using
 * its caches afterwards as if nothing happened.
 *
 * Objects of a cache whose magazines cannot be exchanged (no memory for an
 * empty magazine) stay in the cache; they are still counted and still
 * reclaimed when the pool is destroyed. Beyond that it needs no memory,
 * nor does handing the caches back at thread exit: neither fails, even
 * with memory exhausted.
 */
LFP_API void lfp_thread_flush(void);

LFP_END_DECLS

#endif /* LFPOOL_THREAD_H */
