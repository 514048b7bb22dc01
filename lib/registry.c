/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the table of live zones, the reader counts that guard it,
 * and fork() handling; see registry.h.
 */
#include "registry.h"

#include <pthread.h>
#include <sched.h>
#include <urcu-bp.h>

struct lfp_slot {
	_Atomic uint64_t id;                    /* 0: free or removed */
	_Atomic(struct lfp_zone *) zone;
	_Atomic uint32_t readers;               /* pins, of any id */
	uint32_t removed;                       /* under reg_lock: 1 + its
						   index in removed_slots
						   while removed and not yet
						   free; 0 otherwise */
};

static struct lfp_slot slots[LFP_SLOTS_MAX];
static uint32_t free_slots[LFP_SLOTS_MAX];      /* under reg_lock */
static uint32_t nfree, high;                    /* under reg_lock */
static uint32_t removed_slots[LFP_SLOTS_MAX];   /* under reg_lock */
static uint32_t nremoved;                       /* under reg_lock */
static uint64_t next_id = 1;                    /* under reg_lock */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
each_zone_locked(void (*fn)(struct lfp_zone *))
{
	for (uint32_t i = 0; i < high; i++) {
		struct lfp_zone *z = atomic_load_explicit(&slots[i].zone,
							  memory_order_relaxed);

		if (z)
			fn(z);
	}
}

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
	pthread_mutex_lock(&reg_lock);
	each_zone_locked(lfp_zone_lock_all);
}

static void
atfork_parent(void)
{
	each_zone_locked(lfp_zone_unlock_all);
	pthread_mutex_unlock(&reg_lock);
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
	each_zone_locked(zone_fork_child);
	for (uint32_t i = 0; i < high; i++)
		atomic_store_explicit(&slots[i].readers, 0,
				      memory_order_relaxed);
	each_zone_locked(lfp_zone_unlock_all);
	pthread_mutex_unlock(&reg_lock);
	urcu_bp_after_fork_child();
	/* Last: it may start a call_rcu worker, which needs all the above. */
	lfp_zone_rcu_fork_child_all();
}

static void
atfork_init(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

int
lfp_registry_add(struct lfp_zone *z)
{
	uint32_t slot;

	pthread_once(&atfork_once, atfork_init);
	pthread_mutex_lock(&reg_lock);
	if (nfree) {
		slot = free_slots[--nfree];
	} else if (high < LFP_SLOTS_MAX) {
		slot = high++;
	} else {
		pthread_mutex_unlock(&reg_lock);
		return EAGAIN;
	}
	z->slot = slot;
	z->id = next_id++;
	atomic_store_explicit(&slots[slot].zone, z, memory_order_relaxed);
	/*
	 * Release: pairs with the (seq_cst, so acquire) load of the id in
	 * lfp_registry_get(), publishing the zone pointer and fields.
	 */
	atomic_store_explicit(&slots[slot].id, z->id, memory_order_release);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void
lfp_registry_remove(struct lfp_zone *z)
{
	struct lfp_slot *s = &slots[z->slot];

	pthread_mutex_lock(&reg_lock);
	/*
	 * Seq_cst: the Dekker pair of registry.h, with the seq_cst load of
	 * the id after the reader's seq_cst increment in lfp_registry_get();
	 * lfp_registry_sync() then loads the count (seq_cst).
	 */
	atomic_store_explicit(&s->id, 0, memory_order_seq_cst);
	atomic_store_explicit(&s->zone, NULL, memory_order_relaxed);
	if (!s->removed) {
		removed_slots[nremoved++] = z->slot;
		s->removed = nremoved;
	}
	pthread_mutex_unlock(&reg_lock);
}

void
lfp_registry_free_slot(struct lfp_zone *z)
{
	struct lfp_slot *s = &slots[z->slot];

	pthread_mutex_lock(&reg_lock);
	if (s->removed) {
		/* Out of the removed list: the last entry takes its place. */
		uint32_t last = removed_slots[--nremoved];

		removed_slots[s->removed - 1] = last;
		slots[last].removed = s->removed;
		s->removed = 0;
	}
	free_slots[nfree++] = z->slot;
	pthread_mutex_unlock(&reg_lock);
}

/*
 * Readers pin a slot for one cache flush at most, and a removed slot
 * (id 0) lets no new reader keep its pin, so the wait is short. It holds
 * the mutex, so that no removed slot is freed and reused meanwhile: the
 * readers never take it.
 */
void
lfp_registry_sync(void)
{
	pthread_mutex_lock(&reg_lock);
	for (uint32_t k = 0; k < nremoved; k++) {
		uint32_t i = removed_slots[k];

		/*
		 * Seq_cst: the other half of the Dekker pair (after the
		 * seq_cst store of id 0 in lfp_registry_remove()); as an
		 * acquire load it also pairs with the release decrement in
		 * lfp_registry_put(), so the readers' use of the zone
		 * happens before the destroy that follows.
		 */
		while (atomic_load_explicit(&slots[i].readers,
					    memory_order_seq_cst))
			sched_yield();
	}
	pthread_mutex_unlock(&reg_lock);
}

struct lfp_zone *
lfp_registry_get(uint32_t slot, uint64_t id)
{
	struct lfp_slot *s;

	if (slot >= LFP_SLOTS_MAX || !id)
		return NULL;
	s = &slots[slot];
	/*
	 * Seq_cst, both: the reader's half of the Dekker pair with
	 * lfp_registry_remove()'s store of id 0 and lfp_registry_sync()'s
	 * load of the count (registry.h). The load of the id is also an
	 * acquire that pairs with the release store in lfp_registry_add().
	 */
	atomic_fetch_add_explicit(&s->readers, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&s->id, memory_order_seq_cst) == id) {
		/* (NULL if a remove that must wait for us is under way) */
		struct lfp_zone *z = atomic_load_explicit(&s->zone,
							  memory_order_relaxed);

		if (z)
			return z;
	}
	lfp_registry_put(slot);
	return NULL;
}

void
lfp_registry_put(uint32_t slot)
{
	/*
	 * Release: pairs with the seq_cst (acquire) load of the count in
	 * lfp_registry_sync(), ordering the reader's use of the zone before
	 * its destroy.
	 */
	atomic_fetch_sub_explicit(&slots[slot].readers, 1,
				  memory_order_release);
}
