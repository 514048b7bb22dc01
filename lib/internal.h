/* SPDX-License-Identifier: MIT */
/*
 * internal.h - definitions shared by every source file of the library and
 * by the white-box unit tests: configuration, branch hints, cache-line
 * size, small arithmetic helpers, and the memory the library takes from
 * the operating system (os.c) or from malloc for its own bookkeeping.
 * Nothing here is exported.
 */
#ifndef LFP_INTERNAL_H
#define LFP_INTERNAL_H

#include "config.h"

/* The library defines the calls the inline fast path falls back to. */
#define LFP_NO_INLINE 1

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lfpool/common.h>
#include <lfpool/inline.h>

#define lfp_likely(x)   __builtin_expect(!!(x), 1)
#define lfp_unlikely(x) __builtin_expect(!!(x), 0)

/* Hardware destructive-interference size on x86-64 and most aarch64. */
#define LFP_CACHELINE 64
#define lfp_cacheline_aligned __attribute__((aligned(LFP_CACHELINE)))

/* Field @f of struct @ours lies where struct @abi of <lfpool/inline.h>
 * has it, with its size: the inline hit path reads ours as that. */
#define LFP_ABI_FIELD(ours, abi, f)					\
	_Static_assert(offsetof(struct ours, f) ==			\
		       offsetof(struct abi, f) &&			\
		       sizeof(((struct ours *)0)->f) ==			\
		       sizeof(((struct abi *)0)->f),			\
		       "struct " #ours "." #f " is not " #abi "'s")

#define LFP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LFP_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline bool
lfp_is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* Round x up to a multiple of the power of two a. */
static inline size_t
lfp_align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Smallest power of two >= x, for 1 <= x <= SIZE_MAX/2 + 1. */
static inline size_t
lfp_pow2_ceil(size_t x)
{
	return x <= 1 ? 1 : (size_t)1 << (64 - __builtin_clzll(x - 1));
}

/*
 * Run @stmt with errno kept as it was: an int call of the API leaves
 * errno alone (<lfpool/common.h>), whatever failed on its way.
 */
#define LFP_KEEP_ERRNO(stmt)						\
	do {								\
		int lfp_errno_ = errno;					\
		stmt;							\
		errno = lfp_errno_;					\
	} while (0)

/* Whether the @n words of an attr's reserved[] are all zero (NULL). */
static inline bool
lfp_reserved_zero(void *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (words[i])
			return false;
	return true;
}

/*
 * Locks of the library held by the calling thread (slab locks, CPU cache
 * locks; defined in slab.c). Non-zero on entry to a lock means that a
 * signal handler interrupted the thread inside the library: then no lock
 * is waited for (only tried, EAGAIN when taken), since its holder may be
 * the interrupted code. Each lock raises it before taking and lowers it
 * after releasing, so the handler sees it at every moment in between.
 */
extern __thread unsigned int lfp_locks_held
	__attribute__((tls_model("initial-exec")));

/*
 * Take a mutex of the library (a slab's, a reserve's) by that rule: 0, or
 * EAGAIN when the thread holds another lock of the library and this one
 * is taken. The count goes up first, so a handler that interrupts the
 * lock call itself sees it.
 */
static inline int
lfp_mutex_enter(pthread_mutex_t *m)
{
	unsigned int outer = lfp_locks_held++;

	if (outer ? pthread_mutex_trylock(m) : pthread_mutex_lock(m)) {
		lfp_locks_held--;
		return EAGAIN;
	}
	return 0;
}

static inline void
lfp_mutex_leave(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	lfp_locks_held--;
}

/* os.c: memory from the operating system, and bookkeeping memory. */
size_t lfp_os_page_size(void);
void *lfp_os_map(size_t size, size_t align);
void lfp_os_unmap(void *p, size_t size);
/*
 * Memory about to be unmapped, or an object about to be destroyed: make
 * it accessible again to AddressSanitizer and valgrind, which may have
 * been told it is off limits while cached (debug.h).
 */
void lfp_os_expose(void *p, size_t size);
void *lfp_meta_alloc(size_t size);
void *lfp_meta_realloc(void *p, size_t size);
void lfp_meta_free(void *p);

/*
 * Fault injection, for tests only: after lfp_fault_fail_nth(n), the n-th
 * memory request from now (map or bookkeeping) fails with ENOMEM, once;
 * 0 turns it off. lfp_fault_requests() counts every request ever made.
 */
void lfp_fault_fail_nth(uint64_t n);
/* While @on, every memory request fails (the system out of memory). */
void lfp_fault_fail_all(bool on);
uint64_t lfp_fault_requests(void);
/* Live mappings and bookkeeping blocks: a leak check for the tests. */
uint64_t lfp_os_live_maps(void);
uint64_t lfp_meta_live(void);

#endif /* LFP_INTERNAL_H */
