/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the table of live zones, RCU for their readers, and fork()
 * handling; see registry.h.
 */
#include "registry.h"

#include <pthread.h>
#include <urcu-bp.h>

struct lfp_slot {
	_Atomic uint64_t id;                    /* 0: free */
	_Atomic(struct lfp_zone *) zone;
};

static struct lfp_slot slots[LFP_SLOTS_MAX];
static uint32_t free_slots[LFP_SLOTS_MAX];      /* under reg_lock */
static uint32_t nfree, high;                    /* under reg_lock */
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
slab_lock(struct lfp_zone *z)
{
	pthread_mutex_lock(&z->rcu_lock);
	for (uint32_t k = 0; k < z->ndepots; k++)
		pthread_mutex_lock(&lfp_zone_slab(z, k)->lock);
}

static void
slab_unlock(struct lfp_zone *z)
{
	for (uint32_t k = 0; k < z->ndepots; k++)
		pthread_mutex_unlock(&lfp_zone_slab(z, k)->lock);
	pthread_mutex_unlock(&z->rcu_lock);
}

static void
zone_fork_child(struct lfp_zone *z)
{
	/* Only the forking thread survives. */
	lfp_zone_fork_child(z, &lfp_tcache_self);
}

static void
atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
	urcu_bp_before_fork();
	each_zone_locked(slab_lock);
}

static void
atfork_parent(void)
{
	each_zone_locked(slab_unlock);
	urcu_bp_after_fork_parent();
	pthread_mutex_unlock(&reg_lock);
}

/*
 * The child's only thread is the one that took the locks in
 * atfork_prepare(), so it releases them, as the parent does.
 */
static void
atfork_child(void)
{
	lfp_pcpu_fork_child();
	each_zone_locked(zone_fork_child);
	each_zone_locked(slab_unlock);
	urcu_bp_after_fork_child();
	pthread_mutex_unlock(&reg_lock);
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
	 * Release: pairs with the acquire load of the id in
	 * lfp_registry_lookup(), publishing the zone pointer and fields.
	 */
	atomic_store_explicit(&slots[slot].id, z->id, memory_order_release);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void
lfp_registry_remove(struct lfp_zone *z)
{
	pthread_mutex_lock(&reg_lock);
	atomic_store_explicit(&slots[z->slot].id, 0, memory_order_relaxed);
	atomic_store_explicit(&slots[z->slot].zone, NULL, memory_order_relaxed);
	pthread_mutex_unlock(&reg_lock);
}

void
lfp_registry_free_slot(struct lfp_zone *z)
{
	pthread_mutex_lock(&reg_lock);
	free_slots[nfree++] = z->slot;
	pthread_mutex_unlock(&reg_lock);
}

void
lfp_registry_sync(void)
{
	/* Readers that saw a removed zone's id finish before we go on. */
	urcu_bp_synchronize_rcu();
}

void
lfp_registry_read_lock(void)
{
	urcu_bp_read_lock();
}

void
lfp_registry_read_unlock(void)
{
	urcu_bp_read_unlock();
}

struct lfp_zone *
lfp_registry_lookup(uint32_t slot, uint64_t id)
{
	if (slot >= LFP_SLOTS_MAX)
		return NULL;
	/* Acquire: pairs with the release store in lfp_registry_add(). */
	if (atomic_load_explicit(&slots[slot].id, memory_order_acquire) != id)
		return NULL;
	return atomic_load_explicit(&slots[slot].zone, memory_order_relaxed);
}
