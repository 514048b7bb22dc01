/* SPDX-License-Identifier: MIT */
/*
 * pcpu.c - the platform of the per-CPU caches (pcpu.h): whether this
 * process can run them (rseq registered by glibc, membarrier's rseq
 * command), how many CPU ids there may be, membarrier, taking another
 * CPU's lock, and fork(). The caches themselves are cache.c's.
 */
#include "pcpu.h"
#include "topo.h"

#include <errno.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if LFP_HAVE_PCPU
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

static pthread_once_t avail_once = PTHREAD_ONCE_INIT;
static bool avail;
static uint32_t ncpus;
/*
 * Set when membarrier failed (or its registration did, in a fork child):
 * no sequence on another CPU can then be stopped, so per-CPU mode is
 * over for new pools, and existing ones no longer drain other CPUs.
 */
static _Atomic bool broken;
static _Atomic int fail_next;           /* tests: membarrier calls to fail */

void
lfp_pcpu_fail_membarrier(int n)
{
	atomic_store_explicit(&fail_next, n, memory_order_relaxed);
}

#if LFP_HAVE_PCPU
static long
membarrier(int cmd, unsigned int flags, int cpu)
{
	if (atomic_load_explicit(&fail_next, memory_order_relaxed) > 0 &&
	    atomic_fetch_sub_explicit(&fail_next, 1, memory_order_relaxed) > 0) {
		errno = ENOMEM;
		return -1;
	}
	return syscall(__NR_membarrier, cmd, flags, cpu);
}

static bool
membarrier_register(void)
{
	long q = membarrier(MEMBARRIER_CMD_QUERY, 0, 0);

	return q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) &&
	       !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0);
}
#endif

static void
avail_init(void)
{
#if LFP_HAVE_PCPU
	/*
	 * glibc registered rseq (size 0 when disabled by its tunable or
	 * refused), with the fields the sequences use.
	 */
	if (__rseq_size < offsetof(struct rseq, flags) +
			  sizeof(((struct rseq *)0)->flags))
		return;
	if (lfp_topo_rseq_cpu() < 0)
		return;
	if (!membarrier_register())
		return;
	ncpus = lfp_topo_possible_cpus();
	if (ncpus > LFP_PCPU_NMASK)
		ncpus = 0;      /* more than the word's n can index */
	avail = ncpus > 0;
#endif
}

bool
lfp_pcpu_available(void)
{
	pthread_once(&avail_once, avail_init);
	return avail && !atomic_load_explicit(&broken, memory_order_relaxed);
}

uint32_t
lfp_pcpu_ncpus(void)
{
	pthread_once(&avail_once, avail_init);
	return ncpus;
}

void
lfp_pcpu_fork_child(void)
{
#if LFP_HAVE_PCPU
	/* The registration belongs to the parent's address space. */
	if (avail && !membarrier_register())
		atomic_store_explicit(&broken, true, memory_order_relaxed);
#endif
}

bool
lfp_pcpu_lock_remote(struct lfp_pcpu *base, uint32_t cpu)
{
	struct lfp_pcpu *p = &base[cpu];
	uint32_t expected = 0;
	unsigned int outer = lfp_locks_held++;

	if (atomic_load_explicit(&broken, memory_order_relaxed)) {
		lfp_locks_held--;
		return false;
	}
	/* Acquire: pairs with the release store of lfp_pcpu_unlock(). */
	while (!atomic_compare_exchange_weak_explicit(&p->lock, &expected, 1,
						      memory_order_acquire,
						      memory_order_relaxed)) {
		/* A handler that interrupted a holder: it may be ours. */
		if (outer) {
			lfp_locks_held--;
			return false;
		}
		expected = 0;
		sched_yield();
	}
#if LFP_HAVE_PCPU
	/*
	 * Restart every sequence in flight on @cpu: those that start after
	 * see the lock; those that committed before are visible to us
	 * (membarrier orders memory on both sides). If neither form works,
	 * a sequence may still run there: the cache is not ours to touch.
	 */
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		       MEMBARRIER_CMD_FLAG_CPU, (int)cpu) &&
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0)) {
		atomic_store_explicit(&broken, true, memory_order_relaxed);
		lfp_pcpu_unlock(p);
		return false;
	}
#endif
	return true;
}
