/* SPDX-License-Identifier: MIT */
/*
 * fork.h - fork() handling. The order of the handlers (fork.c) matters:
 * before fork(), the deferred puts' gate and liburcu-bp's call_rcu
 * workers (rcu.c), then liburcu-bp's locks, then the registry mutex and
 * every zone's locks (lfp_zone_lock_all()); after it, in the parent, the
 * reverse. In the child: membarrier registered again (pcpu.h), the caches
 * of vanished threads marked lost (lfp_zone_fork_child()), their pins in
 * the registry dropped, every lock released, and last a new call_rcu
 * worker started, once nothing is held.
 */
#ifndef LFP_FORK_H
#define LFP_FORK_H

/* Register the handlers, once per process (every pool creation asks). */
void lfp_fork_init(void);

#endif /* LFP_FORK_H */
