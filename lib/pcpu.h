/* SPDX-License-Identifier: MIT */
/*
 * pcpu.h - per-CPU caches: one cache per CPU and zone instead of one per
 * thread, so that the memory held in caches is bounded by CPUs, not by
 * threads. The hit path is a restartable sequence (rseq) through glibc's
 * own registration (<sys/rseq.h>: __rseq_offset, __rseq_size); lfpool
 * never registers rseq itself.
 *
 * Each CPU's cache has a hot part (struct lfp_pcpu, one cache line) and a
 * cold part (a struct lfp_cache, the same as a per-thread cache's, so the
 * same refill, drain and flush serve both modes: cache.h). This header
 * and pcpu.c are the platform: the hot part, the local lock's sequence
 * (arch/<machine>/rseq.h), availability, membarrier and the locks; cache.c
 * runs the caches on it. The hit paths' sequences are in the public
 * <lfpool/inline.h>, so that callers inline them: the hot part's layout
 * is ABI there (struct lfp_fast_cpu), asserted below.
 *
 * The hot part's word holds the loaded magazine's count n in its low 16
 * bits and, above them, the number of fast-path operations since the last
 * fold. The hit path, one restartable sequence on the current CPU:
 *   get: if lock == 0 and n > 0: obj = rounds[n - 1]; commit word - 1 + 2^16
 *   put: if lock == 0 and n < cap: rounds[n] = obj;   commit word + 1 + 2^16
 * Each commits with one store of the word. A thread preempted, migrated or
 * signalled inside the sequence restarts it from the top, so a word is
 * never written from a stale read, and the store to rounds[n] before a put
 * commits only writes a slot beyond n, which nobody reads. Counting the
 * operation in the same word keeps statistics exact with no second store.
 * When the count above bit 16 reaches 2^47 the add sets the sign bit, the
 * sequence declines, and the slow path folds the count into the cold
 * part's 64-bit counters (gets and puts follow from the count and the
 * change of n: gets = (ops - dn) / 2, puts = (ops + dn) / 2).
 *
 * Slow path (magazine swap, depot exchange, carving, checked mode) runs
 * under the CPU's lock word; a bulk call holds it only while it copies
 * what the cache has or has room for, and exchanges with the depot after
 * dropping it (zone.c). A thread takes it only on its own CPU, with a
 * compare-and-swap that is itself the commit of a restartable sequence:
 * a hit path on that CPU either finished before it or restarts after it
 * and sees the lock. The holder may then be migrated; the hit paths on the
 * CPU keep declining until it unlocks. A holder runs no constructor,
 * carves nothing and waits for no lock (carving and constructors run
 * after the lock is dropped); it may map a magazine segment. A thread
 * that finds the lock held (its holder was preempted, or it is a signal
 * handler that interrupted the holder) does not wait for it: it exchanges
 * objects with the depot directly (lfp_numa_get_direct/put_direct),
 * lock-free. What it carves then takes the slab's lock, which a signal
 * handler only tries (lfp_locks_held): a get in a handler fails with
 * EAGAIN rather than wait on the code it interrupted.
 *
 * Draining another CPU's cache (trim, statistics of what sits there, a CPU
 * no thread runs on any more) takes that CPU's lock with an ordinary
 * compare-and-swap and then runs membarrier(MEMBARRIER_CMD_PRIVATE_
 * EXPEDITED_RSEQ) on it: every sequence in flight there restarts, and
 * every later one sees the lock. Per-CPU mode is offered only where both
 * rseq (registered by glibc) and this membarrier command work, on x86-64
 * and aarch64 (arch/<machine>/rseq.h and <lfpool/inline.h> hold each
 * one's sequences); elsewhere pools use per-thread caches (pcpu.c,
 * lfp_pcpu_available()).
 *
 * ThreadSanitizer cannot see the sequences (inline assembly). In its
 * builds each hit path announces a release before and an acquire after on
 * the zone's per-CPU array, so that the objects passed through it are
 * ordered for the tool; the sequences themselves are checked by the
 * migration stress test in the other builds.
 *
 * Synchronization table (per CPU cache):
 *                 hit path    lock (local)   lock (remote)   stats
 *   hit path      restart     restart        membarrier      -
 *   slow path     declines    CAS            CAS             seq
 *   stats         -           -              -               -
 * "restart": the rseq of one of them restarts; "declines": the hit path
 * sees the lock and goes to the slow path; "seq": stats retries while a
 * fold is under way.
 */
#ifndef LFP_PCPU_H
#define LFP_PCPU_H

#include "internal.h"
#include "atomic.h"

#define LFP_PCPU_NBITS 16               /* bits of n in the word */
#define LFP_PCPU_NMASK ((1u << LFP_PCPU_NBITS) - 1)
#define LFP_PCPU_SHIFT 6                /* log2(sizeof(struct lfp_pcpu)) */

struct lfp_pcpu {
	_Atomic uint64_t word;          /* n | ops << LFP_PCPU_NBITS */
	void **rounds;                  /* the loaded magazine's rounds */
	_Atomic uint32_t lock;          /* 0: free; 1: held */
	uint32_t cap;                   /* rounds per magazine */
	_Atomic uint32_t seq;           /* odd while the counters fold */
	_Atomic uint32_t base_n;        /* n when ops last restarted at 0 */
} __attribute__((aligned(1 << LFP_PCPU_SHIFT)));

_Static_assert(sizeof(struct lfp_pcpu) == 1 << LFP_PCPU_SHIFT,
	       "struct lfp_pcpu must be one power-of-two line");

/* The hit path (<lfpool/inline.h>) reads the hot part as struct
 * lfp_fast_cpu: the same layout, fixed by the ABI. */
LFP_ABI_FIELD(lfp_pcpu, lfp_fast_cpu, word);
LFP_ABI_FIELD(lfp_pcpu, lfp_fast_cpu, rounds);
LFP_ABI_FIELD(lfp_pcpu, lfp_fast_cpu, lock);
LFP_ABI_FIELD(lfp_pcpu, lfp_fast_cpu, cap);
_Static_assert(LFP_PCPU_SHIFT == LFP_FAST_CPU_SHIFT &&
	       LFP_PCPU_NBITS == LFP_FAST_NBITS,
	       "per-CPU word and stride are fixed by the ABI");

#if defined(__x86_64__) && defined(HAVE_SYS_RSEQ_H)
#include "arch/x86_64/rseq.h"
#elif defined(__aarch64__) && defined(HAVE_SYS_RSEQ_H)
#include "arch/aarch64/rseq.h"
#endif

#ifndef LFP_HAVE_PCPU
#define LFP_HAVE_PCPU 0

/* No sequences for this machine: per-CPU mode is never chosen, and
 * this declines. */

static inline int
lfp_pcpu_trylock_local(struct lfp_pcpu *base, uint32_t ncpu)
{
	return -1;
}

#endif

/*
 * Release: pairs with the compare-and-swap that takes the lock next (the
 * local one of arch/<machine>/rseq.h, or the acquire CAS of
 * lfp_pcpu_lock_remote()) and with the hit paths' load of the lock word
 * (an acquire: ldar on aarch64, any load on x86-64). Lowers
 * lfp_locks_held, which the taker raised.
 */
static inline void
lfp_pcpu_unlock(struct lfp_pcpu *p)
{
	lfp_tsan_release(&p->lock);
	atomic_store_explicit(&p->lock, 0, memory_order_release);
	lfp_locks_held--;
}

/*
 * Whether this process can run per-CPU caches: glibc registered rseq for
 * the calling thread and the kernel offers membarrier's rseq command (now
 * registered for the process). Decided once.
 */
bool lfp_pcpu_available(void);
/* CPU ids the kernel may report: per-CPU arrays have this many entries. */
uint32_t lfp_pcpu_ncpus(void);
/*
 * Take CPU @cpu's lock from any CPU: spin on compare-and-swap (holders are
 * short: they run no constructor, carve nothing and wait for no lock),
 * then membarrier so that no sequence on @cpu still runs on what the lock
 * now protects. False, with nothing taken, when membarrier fails (then
 * per-CPU mode is over: lfp_pcpu_available() turns false and no other
 * CPU's cache is drained again), or when the lock is held and this thread
 * already holds one of the library's locks (a signal handler: the holder
 * may be the code it interrupted), so that it never waits on itself.
 */
bool lfp_pcpu_lock_remote(struct lfp_pcpu *base, uint32_t cpu);
/* In a fork() child: membarrier's registration is the parent's. */
void lfp_pcpu_fork_child(void);
/* Tests only: make the next @n membarrier calls fail (ENOMEM). */
void lfp_pcpu_fail_membarrier(int n);

#endif /* LFP_PCPU_H */
