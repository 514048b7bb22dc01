/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - the library's only atomics layer: C11 <stdatomic.h>, so that
 * ThreadSanitizer sees every synchronizing access (liburcu 0.13's uatomic
 * is inline assembly it cannot model). Every use with an order other than
 * relaxed carries a comment naming the access it pairs with.
 *
 * Owner-written statistics counters use lfp_counter_add(): a relaxed load
 * and a relaxed store, not a read-modify-write, because only the owner of
 * the counter writes it. Readers on other threads load it relaxed; each
 * figure is exact, a set of them is not a consistent snapshot.
 */
#ifndef LFP_ATOMIC_H
#define LFP_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#include <lfpool/inline.h>

typedef _Atomic uint64_t lfp_counter_t;

/*
 * Where ordering comes from code ThreadSanitizer cannot see (inline
 * assembly: restartable sequences, liburcu's call_rcu queue), these tell
 * it about the release/acquire pair that the hidden code provides.
 */
#ifdef LFP_FAST_TSAN   /* decided, and the hooks declared, there */
#define lfp_tsan_acquire(a) __tsan_acquire((void *)(a))
#define lfp_tsan_release(a) __tsan_release((void *)(a))
#else
#define lfp_tsan_acquire(a) ((void)(a))
#define lfp_tsan_release(a) ((void)(a))
#endif

static inline void
lfp_counter_add(lfp_counter_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline uint64_t
lfp_counter_read(lfp_counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Shared counters, written by any thread. */
static inline void
lfp_shared_add(lfp_counter_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline void
lfp_shared_sub(lfp_counter_t *c, uint64_t v)
{
	atomic_fetch_sub_explicit(c, v, memory_order_relaxed);
}

#endif /* LFP_ATOMIC_H */
