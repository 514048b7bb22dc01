/* SPDX-License-Identifier: MIT */
/*
 * rcu.c - deferred puts: an object handed back with lfp_*_put_rcu() goes
 * back to the depot only after a grace period of the caller's RCU flavour
 * (liburcu's call_rcu of that flavour; urcu-bp's by default). Objects are
 * staged per zone in a batch of one magazine's worth under a mutex, and
 * each full batch costs one call_rcu, not one per object. When the grace
 * period ends, the batch becomes a full magazine in the depot.
 *
 * So a reader inside a read-side section that found an object may keep
 * reading it: the object is not handed out again before the reader leaves.
 * Objects of the pool are type-stable for such readers (they stay objects
 * of this pool, constructed, until trim or destroy), as with Linux's
 * SLAB_TYPESAFE_BY_RCU.
 *
 * Synchronization: the stage is under the zone's rcu_lock; batches in
 * flight are counted, and destroy waits until none is left (the count's
 * release/acquire pair orders each callback's last access before it).
 */
#include "zone.h"
#include "debug.h"

#include <time.h>
#include <urcu-bp.h>

struct lfp_rcu_batch {
	struct rcu_head head;
	struct lfp_zone *z;
	uint32_t n;
	void *objs[];
};

void
lfp_zone_rcu_init(struct lfp_zone *z, lfp_call_rcu_fn fn)
{
	pthread_mutex_init(&z->rcu_lock, NULL);
	z->rcu_stage = NULL;
	z->rcu_call = fn ? fn : urcu_bp_call_rcu;
	atomic_init(&z->rcu_pending, 0);
	atomic_init(&z->rcu_batches, 0);
	atomic_init(&z->rcu_puts, 0);
}

/* After the grace period: the batch becomes a loaded magazine. */
static void
batch_done(struct rcu_head *head)
{
	struct lfp_rcu_batch *b = caa_container_of(head, struct lfp_rcu_batch,
						   head);
	struct lfp_zone *z;
	struct lfp_mag *m;
	uint32_t n, i, node;

	/* call_rcu's queue orders the batch (ThreadSanitizer only). */
	lfp_tsan_acquire(b);
	z = b->z;
	m = lfp_depot_get_empty(&z->depot);
	n = b->n;
	node = lfp_zone_local_node(z);

	for (i = 0; i < n; i++) {
		void *obj = b->objs[i];

		/* A checked pool refuses (and reports) what it must. */
		if (z->debug && lfp_check_put(z, obj))
			continue;
		if (m) {
			lfp_mag_push_local(m, obj);
			lfp_shared_add(&z->rcu_puts, 1);
		} else {
			/* No magazine to be had: one by one (counted there). */
			(void)lfp_zone_put_direct(z, obj);
		}
	}
	if (m)  /* objects homed on other nodes go home */
		lfp_zone_put_full(z, node, m);
	lfp_meta_free(b);
	lfp_shared_sub(&z->rcu_pending, n);
	/*
	 * Release: pairs with the acquire load in lfp_zone_rcu_fini(); the
	 * zone is not touched after this.
	 */
	atomic_fetch_sub_explicit(&z->rcu_batches, 1, memory_order_release);
}

static void
batch_submit(struct lfp_zone *z, struct lfp_rcu_batch *b)
{
	atomic_fetch_add_explicit(&z->rcu_batches, 1, memory_order_relaxed);
	lfp_tsan_release(b);
	z->rcu_call(&b->head, batch_done);
}

int
lfp_zone_put_rcu(struct lfp_zone *z, void *obj)
{
	struct lfp_rcu_batch *b, *full = NULL;

	pthread_mutex_lock(&z->rcu_lock);
	b = z->rcu_stage;
	if (!b) {
		b = lfp_meta_alloc(sizeof(*b) + z->cap * sizeof(void *));
		if (!b) {
			pthread_mutex_unlock(&z->rcu_lock);
			return -ENOMEM;
		}
		b->z = z;
		z->rcu_stage = b;
	}
	b->objs[b->n++] = obj;
	lfp_shared_add(&z->rcu_pending, 1);
	if (b->n == z->cap) {
		full = b;
		z->rcu_stage = NULL;
	}
	pthread_mutex_unlock(&z->rcu_lock);
	if (full)
		batch_submit(z, full);
	return 0;
}

void
lfp_zone_rcu_flush(struct lfp_zone *z)
{
	struct lfp_rcu_batch *b;

	pthread_mutex_lock(&z->rcu_lock);
	b = z->rcu_stage;
	z->rcu_stage = NULL;
	pthread_mutex_unlock(&z->rcu_lock);
	if (b)
		batch_submit(z, b);
}

void
lfp_zone_rcu_fini(struct lfp_zone *z)
{
	struct lfp_rcu_batch *b = z->rcu_stage;
	const struct timespec ms = { 0, 1000000 };

	/* Acquire: pairs with the release in batch_done(). */
	while (atomic_load_explicit(&z->rcu_batches, memory_order_acquire))
		nanosleep(&ms, NULL);
	if (b) {
		for (uint32_t i = 0; i < b->n; i++)
			lfp_slab_dtor(&z->slab, b->objs[i]);     /* one dtor */
		lfp_meta_free(b);
	}
	pthread_mutex_destroy(&z->rcu_lock);
}
