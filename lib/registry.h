/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the process-wide table of live zones, and the per-slot
 * reader counts that let thread exit and lfp_thread_flush() reach a zone
 * while another thread may be destroying it.
 *
 * Each zone takes a slot (the index of its entry in every thread's cache
 * map) and a 64-bit id never reused. A reader (thread exit, flush, a
 * deferred put's callback of a batch inherited through fork) pins a zone
 * by {slot, id} with lfp_registry_get(): it adds one to the slot's reader
 * count, then loads the slot's id; if that is not the id it looked for,
 * it takes its one back and treats the zone as gone. Destroy stores id 0
 * in the slot, then waits until the slot's reader count is 0 before it
 * frees anything; only then is the slot free for another zone, so that a
 * late reader never finds the new zone in the slot and hands it the old
 * zone's cache.
 *
 * Why no reader can miss the removal while destroy misses the reader
 * (Dekker): the reader's increment (W readers) and load of the id (R id),
 * and destroy's store of id 0 (W id) and load of the count (R readers),
 * are all seq_cst, so they lie in one total order. If the reader's R id
 * still saw the old id, it comes before W id in that order, so the
 * reader's W readers (sequenced before it) does too, and destroy's
 * R readers (sequenced after W id) sees the count with the reader's one
 * in it: destroy waits. Otherwise the reader sees id 0 (or another id)
 * and leaves the zone alone. The reader's release decrement pairs with
 * destroy's (seq_cst, so acquire) load that reads 0: everything the
 * reader did to the zone happens before destroy frees it.
 *
 * Nothing here allocates memory, takes a lock or registers the thread
 * anywhere on the reader's side, so thread exit and lfp_thread_flush()
 * cannot fail (not even with the address space full). Readers never
 * block destroy for long: a pin lasts one cache flush.
 *
 * Create and destroy take the registry mutex (they are rare); get and put
 * never touch the registry. The registry keeps zones without looking
 * into them: the zone's slot and id are handed back to it at add. fork()
 * handling (fork.c) takes the mutex around fork() and walks the live
 * zones under it; in the child it clears the reader counts of threads
 * that did not survive.
 *
 * Synchronization table:
 *              add     remove  sync    free_slot  get/put (readers)
 *   add        mutex   mutex   mutex   mutex      -
 *   remove     mutex   mutex   mutex   mutex      - (seq_cst pair above)
 *   sync       mutex   mutex   mutex   mutex      - (waits for readers)
 *   free_slot  mutex   mutex   mutex   mutex      -
 *   get/put    -       -       -       -          - (atomic RMW count)
 * get_next (the walk of every zone) is a reader: it takes the mutex only
 * to read how many slots were ever used, then pins as get does.
 */
#ifndef LFP_REGISTRY_H
#define LFP_REGISTRY_H

#include "internal.h"

struct lfp_zone;

/* Slots available to zones: object pools and buffer-pool classes. */
#define LFP_SLOTS_MAX 65535u

/* Register @z: its slot and its id in *@slot and *@id. 0, or EAGAIN when
 * full. */
int lfp_registry_add(struct lfp_zone *z, uint32_t *slot, uint64_t *id);
/*
 * Destroying zones takes three steps: lfp_registry_remove() each (readers
 * that pinned them may still use them), one lfp_registry_sync() (now
 * none does, nor can), then lfp_registry_free_slot() each, so that no
 * slot is reused while a reader that found the old zone in it may still
 * look at it.
 */
void lfp_registry_remove(uint32_t slot);
void lfp_registry_sync(void);
void lfp_registry_free_slot(uint32_t slot);

/*
 * Pin the live zone in @slot if its id is @id, and return it; NULL if
 * there is none (nothing to unpin then). Every zone returned must be
 * unpinned with lfp_registry_put(@slot) by the same caller, soon: destroy
 * waits for it.
 */
struct lfp_zone *lfp_registry_get(uint32_t slot, uint64_t id);
void lfp_registry_put(uint32_t slot);

/*
 * Readers that visit every live zone (lfp_stats_print_all()): the live
 * zone in the lowest slot at or above *@slot, pinned as by
 * lfp_registry_get(), its slot in *@slot; NULL when there is none. Unpin
 * it with lfp_registry_put(*@slot), then go on from *@slot + 1. A zone
 * added or removed during the walk may be visited or not; a zone is
 * never visited after its remove, nor freed while pinned.
 */
struct lfp_zone *lfp_registry_get_next(uint32_t *slot);

/*
 * fork() (fork.c): the registry mutex, held around fork(); @fn on every
 * live zone while it is held; in the child, with it held, the reader
 * counts of threads that did not survive dropped (the forking thread
 * holds none: it is in fork(), not in a flush).
 */
void lfp_registry_lock(void);
void lfp_registry_unlock(void);
void lfp_registry_each_locked(void (*fn)(struct lfp_zone *));
void lfp_registry_fork_child(void);

#endif /* LFP_REGISTRY_H */
