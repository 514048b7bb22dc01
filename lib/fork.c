/* SPDX-License-Identifier: MIT */
/*
 * fork.c - fork() handling (fork.h): pthread_atfork handlers, registered
 * on the first pool creation, that take every lock of the library (and
 * liburcu-bp's) before fork() and release them after, so that the child
 * finds no lock held and every slab and depot whole; in the child, the
 * caches and pins of the threads that did not survive are dealt with.
 */
#include "fork.h"
#include "registry.h"
#include "zone.h"

#include <pthread.h>
#include <urcu-bp.h>

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
zone_fork_child(struct lfp_zone *z)
{
	/* Only the forking thread survives. */
	lfp_zone_fork_child(z, &lfp_tcache_self);
	lfp_zone_rcu_fork_child(z);
}

/*
 * The order matters. First the deferred puts (rcu.c): submissions in
 * progress finish, and liburcu-bp's call_rcu workers pause between two
 * rounds of callbacks. A worker's round waits for a grace period, which
 * waits for readers of the program, which may be inside lfpool waiting
 * for a slab lock or the registry mutex, and its callbacks free their
 * batch (malloc's locks, which glibc takes only after these handlers):
 * so nothing is held yet while we wait for them. Then liburcu-bp's own
 * locks (a synchronize_rcu in progress holds one while it waits for
 * readers, who may need our locks), then ours.
 */
static void
atfork_prepare(void)
{
	lfp_zone_rcu_fork_prepare();
	urcu_bp_before_fork();
	lfp_registry_lock();
	lfp_registry_each_locked(lfp_zone_lock_all);
}

static void
atfork_parent(void)
{
	lfp_registry_each_locked(lfp_zone_unlock_all);
	lfp_registry_unlock();
	urcu_bp_after_fork_parent();
	lfp_zone_rcu_fork_parent();
}

/*
 * The child's only thread is the one that took the locks in
 * atfork_prepare(), so it releases them, as the parent does. Pins held
 * by threads that did not survive are dropped: those threads are gone,
 * and a destroy in the child must not wait for them. The forking thread
 * holds none (it is in fork(), not in a flush).
 */
static void
atfork_child(void)
{
	lfp_pcpu_fork_child();
	lfp_registry_each_locked(zone_fork_child);
	lfp_registry_fork_child();
	lfp_registry_each_locked(lfp_zone_unlock_all);
	lfp_registry_unlock();
	urcu_bp_after_fork_child();
	/* Last: it may start a call_rcu worker, which needs all the above. */
	lfp_zone_rcu_fork_child_all();
}

static void
atfork_init(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void
lfp_fork_init(void)
{
	pthread_once(&atfork_once, atfork_init);
}
