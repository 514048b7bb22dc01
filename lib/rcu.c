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
 * Checked mode checks and marks an object at the put_rcu call (a misuse
 * is reported there, and the call fails taking nothing); the object is
 * poisoned and hidden from ASan and valgrind only in the callback, since
 * readers may read it until then.
 *
 * fork(): a call_rcu worker thread does not survive in the child, so a
 * batch handed to it in the parent would never come back there, nor would
 * the child's own. For liburcu-bp's call_rcu (the default), the atfork
 * handlers of fork.c call lfp_zone_rcu_fork_*(), which pause its
 * workers around fork() (urcu_bp_call_rcu_before_fork() and
 * _after_fork_parent()) and start a new one in the child
 * (_after_fork_child(), which also hands it the callbacks queued in the
 * parent): once any pool has used that flavour, so that a process that
 * never did is left alone. Another flavour's fork hooks are the program's
 * to call (<lfpool/objpool.h>); batches of such a flavour that were in
 * flight at fork() may never complete in the child, so destroy in the
 * child does not wait for them ("orphans"): if one does complete, it
 * finds its zone through the registry (pinned, or gone) instead of
 * trusting its pointer.
 *
 * Synchronization: the stage is under the zone's rcu_lock; batches in
 * flight are counted, and destroy waits until none is left (the count's
 * release/acquire pair orders each callback's last access before it).
 * Handing a batch to call_rcu (count, then call) is inside the submit
 * gate below, which the fork handlers close, so fork() never splits the
 * two.
 */
#include "registry.h"
#include "zone.h"
#include "debug.h"

#include <sched.h>
#include <time.h>
#include <urcu-bp.h>

struct lfp_rcu_batch {
	struct rcu_head head;
	struct lfp_zone *z;
	uint64_t id;                    /* z->fast.id and z->fast.slot, to find it */
	uint32_t slot;                  /* again through the registry */
	uint32_t n;
	uint64_t gen;                   /* fork_gen when submitted */
	bool bp;                        /* submitted to urcu_bp_call_rcu */
	void *objs[];
};

/*
 * The submit gate: handing a batch to call_rcu (count it, then call) is
 * inside the gate, and the fork handlers close it and wait until no
 * submission is inside, so fork() never copies one half done (a batch
 * counted in flight that no call_rcu queue holds would make destroy wait
 * forever in the child). The same Dekker pair as the registry's
 * (registry.h): a submitter's seq_cst increment of submitting, then
 * seq_cst load of forking; the fork's seq_cst store of forking, then
 * seq_cst load of submitting: one of the two sees the other.
 */
static _Atomic uint32_t submitting;     /* submissions inside the gate */
static atomic_bool forking;             /* the gate is closed */
/* Serializes our fork handlers (two threads may fork at once). */
static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
/* A batch went to urcu_bp_call_rcu (set inside the gate). */
static atomic_bool bp_used;
/* What fork prepare saw of bp_used (under fork_lock). */
static bool bp_forking;
/* Forks this process descends from: a batch of an older generation was
 * inherited. Written only by the child's single thread at fork. */
static _Atomic uint64_t fork_gen;

static void submit_leave(void);

static void
submit_enter(void)
{
	const struct timespec us = { 0, 100000 };

	for (;;) {
		/* Seq_cst, both: the submitter's half of the gate's pair. */
		atomic_fetch_add_explicit(&submitting, 1, memory_order_seq_cst);
		if (!atomic_load_explicit(&forking, memory_order_seq_cst))
			return;
		submit_leave();
		while (atomic_load_explicit(&forking, memory_order_relaxed))
			nanosleep(&us, NULL);
	}
}

static void
submit_leave(void)
{
	/*
	 * Release: pairs with the seq_cst (acquire) load in
	 * lfp_zone_rcu_fork_prepare(): the call_rcu is done before fork().
	 */
	atomic_fetch_sub_explicit(&submitting, 1, memory_order_release);
}

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

/* The batch's objects into the depots of @z. */
static void
batch_return(struct lfp_zone *z, struct lfp_rcu_batch *b)
{
	struct lfp_mag *m = lfp_depot_get_empty(&z->numa.depot);
	uint32_t node = lfp_numa_local_node(&z->numa);

	LFP_PROBE(rcu_done, LFP_WHO(&z->numa.place.who), b->n);
	for (uint32_t i = 0; i < b->n; i++) {
		void *obj = b->objs[i];

		/* Checked at the put_rcu call: only poison and hide now. */
		if (z->debug)
			lfp_check_put_hide(z, obj);
		if (m) {
			lfp_mag_push_local(m, obj);
			lfp_shared_add(&z->rcu_puts, 1);
		} else {
			/* No magazine to be had: one by one (counted there). */
			lfp_zone_put_direct(z, obj);
		}
	}
	if (m)  /* objects homed on other nodes go home */
		lfp_numa_put_full(&z->numa, node, m);
	lfp_shared_sub(&z->rcu_pending, b->n);
}

/* After the grace period: the batch becomes a loaded magazine. */
static void
batch_done(struct rcu_head *head)
{
	struct lfp_rcu_batch *b = caa_container_of(head, struct lfp_rcu_batch,
						   head);
	struct lfp_zone *z;

	/* call_rcu's queue orders the batch (ThreadSanitizer only). */
	lfp_tsan_acquire(b);
	if (!b->bp && b->gen != atomic_load_explicit(&fork_gen,
						      memory_order_relaxed)) {
		/*
		 * An orphan: destroy does not wait for it, so the zone may be
		 * gone (its chunks with it); pinned, it stays while we work.
		 */
		z = lfp_registry_get(b->slot, b->id);
		if (z) {
			batch_return(z, b);
			lfp_registry_put(b->slot);
		}
		lfp_meta_free(b);
		return;
	}
	z = b->z;
	batch_return(z, b);
	lfp_meta_free(b);
	/*
	 * Release: pairs with the acquire load in lfp_zone_rcu_fini(); the
	 * zone is not touched after this.
	 */
	atomic_fetch_sub_explicit(&z->rcu_batches, 1, memory_order_release);
}

static void
batch_submit(struct lfp_zone *z, struct lfp_rcu_batch *b)
{
	b->id = z->fast.id;
	b->slot = z->fast.slot;
	b->bp = z->rcu_call == urcu_bp_call_rcu;
	submit_enter();
	b->gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
	if (b->bp && !atomic_load_explicit(&bp_used, memory_order_relaxed))
		atomic_store_explicit(&bp_used, true, memory_order_relaxed);
	atomic_fetch_add_explicit(&z->rcu_batches, 1, memory_order_relaxed);
	LFP_PROBE(rcu_send, LFP_WHO(&z->numa.place.who), b->n);
	lfp_tsan_release(b);
	z->rcu_call(&b->head, batch_done);
	submit_leave();
}

int
lfp_zone_put_rcu(struct lfp_zone *z, void *obj)
{
	struct lfp_rcu_batch *b, *full = NULL;

	/* A misuse is reported here, at the call, and nothing is taken. */
	if (z->debug && lfp_check_put_verify(z, obj))
		return -EINVAL;
	pthread_mutex_lock(&z->rcu_lock);
	b = z->rcu_stage;
	if (!b) {
		b = lfp_meta_alloc(sizeof(*b) + z->fast.cap * sizeof(void *));
		if (!b) {
			pthread_mutex_unlock(&z->rcu_lock);
			if (z->debug)   /* the caller still owns it */
				lfp_check_put_undo(z, obj);
			return -ENOMEM;
		}
		b->z = z;
		z->rcu_stage = b;
	}
	b->objs[b->n++] = obj;
	lfp_shared_add(&z->rcu_pending, 1);
	if (b->n == z->fast.cap) {
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

/*
 * fork(), from fork.c's handlers. Prepare runs first, before any
 * lock a callback or a grace period may wait for is taken.
 */
void
lfp_zone_rcu_fork_prepare(void)
{
	pthread_mutex_lock(&fork_lock);
	/* Seq_cst, both: the fork's half of the gate's pair. */
	atomic_store_explicit(&forking, true, memory_order_seq_cst);
	while (atomic_load_explicit(&submitting, memory_order_seq_cst))
		sched_yield();
	bp_forking = atomic_load_explicit(&bp_used, memory_order_relaxed);
	if (bp_forking)
		urcu_bp_call_rcu_before_fork();
}

void
lfp_zone_rcu_fork_parent(void)
{
	if (bp_forking)
		urcu_bp_call_rcu_after_fork_parent();
	atomic_store_explicit(&forking, false, memory_order_relaxed);
	pthread_mutex_unlock(&fork_lock);
}

/* In the child, for each zone, before lfp_zone_rcu_fork_child_all(). */
void
lfp_zone_rcu_fork_child(struct lfp_zone *z)
{
	/*
	 * liburcu-bp's batches complete in the child (its new worker takes
	 * them over); another flavour's in flight become orphans.
	 */
	if (z->rcu_call != urcu_bp_call_rcu)
		atomic_store_explicit(&z->rcu_batches, 0, memory_order_relaxed);
}

void
lfp_zone_rcu_fork_child_all(void)
{
	atomic_store_explicit(&fork_gen,
			      atomic_load_explicit(&fork_gen,
						   memory_order_relaxed) + 1,
			      memory_order_relaxed);
	atomic_store_explicit(&submitting, 0, memory_order_relaxed);
	atomic_store_explicit(&forking, false, memory_order_relaxed);
	pthread_mutex_unlock(&fork_lock);
	/* A new worker, which takes over the callbacks queued before. */
	if (bp_forking)
		urcu_bp_call_rcu_after_fork_child();
}
