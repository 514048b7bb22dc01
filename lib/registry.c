/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the table of live zones and the reader counts that guard
 * it; see registry.h.
 */
#include "registry.h"
#include "atomic.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

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

void
lfp_registry_each_locked(void (*fn)(struct lfp_zone *))
{
	for (uint32_t i = 0; i < high; i++) {
		struct lfp_zone *z = atomic_load_explicit(&slots[i].zone,
							  memory_order_relaxed);

		if (z)
			fn(z);
	}
}

void
lfp_registry_lock(void)
{
	pthread_mutex_lock(&reg_lock);
}

void
lfp_registry_unlock(void)
{
	pthread_mutex_unlock(&reg_lock);
}

void
lfp_registry_fork_child(void)
{
	for (uint32_t i = 0; i < high; i++)
		atomic_store_explicit(&slots[i].readers, 0,
				      memory_order_relaxed);
}

int
lfp_registry_add(struct lfp_zone *z, uint32_t *slotp, uint64_t *idp)
{
	uint32_t slot;
	uint64_t id;

	pthread_mutex_lock(&reg_lock);
	if (nfree) {
		slot = free_slots[--nfree];
	} else if (high < LFP_SLOTS_MAX) {
		slot = high++;
	} else {
		pthread_mutex_unlock(&reg_lock);
		return EAGAIN;
	}
	*slotp = slot;
	*idp = id = next_id++;
	atomic_store_explicit(&slots[slot].zone, z, memory_order_relaxed);
	/*
	 * Release: pairs with the (seq_cst, so acquire) load of the id in
	 * lfp_registry_get(), publishing the zone pointer and fields.
	 */
	atomic_store_explicit(&slots[slot].id, id, memory_order_release);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void
lfp_registry_remove(uint32_t slot)
{
	struct lfp_slot *s = &slots[slot];

	pthread_mutex_lock(&reg_lock);
	/*
	 * Seq_cst: the Dekker pair of registry.h, with the seq_cst load of
	 * the id after the reader's seq_cst increment in lfp_registry_get();
	 * lfp_registry_sync() then loads the count (seq_cst).
	 */
	atomic_store_explicit(&s->id, 0, memory_order_seq_cst);
	atomic_store_explicit(&s->zone, NULL, memory_order_relaxed);
	if (!s->removed) {
		removed_slots[nremoved++] = slot;
		s->removed = nremoved;
	}
	pthread_mutex_unlock(&reg_lock);
}

void
lfp_registry_free_slot(uint32_t slot)
{
	struct lfp_slot *s = &slots[slot];

	pthread_mutex_lock(&reg_lock);
	if (s->removed) {
		/* Out of the removed list: the last entry takes its place. */
		uint32_t last = removed_slots[--nremoved];

		removed_slots[s->removed - 1] = last;
		slots[last].removed = s->removed;
		s->removed = 0;
	}
	free_slots[nfree++] = slot;
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

struct lfp_zone *
lfp_registry_get_next(uint32_t *slotp)
{
	uint32_t n;

	pthread_mutex_lock(&reg_lock);
	n = high;
	pthread_mutex_unlock(&reg_lock);
	for (uint32_t i = *slotp; i < n; i++) {
		/*
		 * Relaxed: only a hint of which id to look for;
		 * lfp_registry_get() checks it again in its Dekker pair.
		 */
		uint64_t id = atomic_load_explicit(&slots[i].id,
						   memory_order_relaxed);
		struct lfp_zone *z = id ? lfp_registry_get(i, id) : NULL;

		if (z) {
			*slotp = i;
			return z;
		}
	}
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
