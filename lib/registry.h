/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the process-wide table of live zones, and the RCU that lets
 * thread exit and lfp_thread_flush() reach a zone while another thread may
 * be destroying it.
 *
 * Each zone takes a slot (the index of its entry in every thread's cache
 * map) and a 64-bit id never reused. Readers (thread exit, flush) look a
 * zone up by {slot, id} inside an RCU read-side section of liburcu's
 * bulletproof flavour (urcu-bp: no thread registration). Destroy clears
 * the slot, then waits for a grace period before it frees anything, so a
 * reader that found the zone can finish handing its cache back; only then
 * is the slot free for another zone.
 *
 * Create and destroy take the registry mutex (they are rare); get and put
 * never touch the registry. fork() is handled here: the mutex, liburcu's
 * state and every slab lock are taken before fork and released (parent)
 * or reset (child) after, and in the child the caches owned by threads
 * that did not survive are marked lost (lfp_zone_fork_child()).
 *
 * Synchronization table:
 *              add     remove  lookup (in read section)
 *   add        mutex   mutex   -
 *   remove     mutex   mutex   - (remove waits for the readers)
 *   lookup     -       -       -
 */
#ifndef LFP_REGISTRY_H
#define LFP_REGISTRY_H

#include "zone.h"

/* Slots available to zones: object pools and buffer-pool classes. */
#define LFP_SLOTS_MAX 65535u

/* Register @z: sets z->slot and z->id. 0, or EAGAIN when full. */
int lfp_registry_add(struct lfp_zone *z);
/*
 * Destroying zones takes three steps: lfp_registry_remove() each (readers
 * may still see them), one lfp_registry_sync() (now none can), then
 * lfp_registry_free_slot() each, so that no slot is reused while a reader
 * that found the old zone in it may still look at it.
 */
void lfp_registry_remove(struct lfp_zone *z);
void lfp_registry_sync(void);
void lfp_registry_free_slot(struct lfp_zone *z);

void lfp_registry_read_lock(void);
void lfp_registry_read_unlock(void);
/* The live zone in @slot if its id is @id; in a read section only. */
struct lfp_zone *lfp_registry_lookup(uint32_t slot, uint64_t id);

#endif /* LFP_REGISTRY_H */
