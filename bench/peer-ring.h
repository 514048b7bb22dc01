/* SPDX-License-Identifier: MIT */
/*
 * peer-ring.h - the ring that passes objects from one thread to the next
 * in the producer/consumer workloads (peer-loops.h's peer_loop_produce()
 * and peer_loop_consume(), and bench_peers' pipeline): a bounded
 * single-producer single-consumer ring. Each side publishes its index
 * once per PEER_RING_BATCH objects, and before it waits, so that the two
 * threads pass a cache line back and forth once a batch rather than once
 * an object: the allocator's cost, not the ring's, then sets the pace. A
 * NULL pushed ends the stream. Include it after bench-common.h; a ring
 * starts zeroed.
 */
#ifndef LFP_BENCH_PEER_RING_H
#define LFP_BENCH_PEER_RING_H

#define PEER_RING_SLOTS 256u	/* per ring; a power of two */
#define PEER_RING_BATCH 32u	/* objects between index updates */
#define PEER_RING_SPINS 64u	/* spins on a full or empty ring, then yield */

_Static_assert((PEER_RING_SLOTS & (PEER_RING_SLOTS - 1)) == 0,
	       "a power of two");
_Static_assert(PEER_RING_SLOTS % PEER_RING_BATCH == 0, "whole batches");

struct peer_ring {
	_Atomic uint64_t head;	/* published: slots the consumer is done with */
	uint64_t head_own;	/* the consumer's next slot */
	uint64_t tail_seen;	/* the consumer's last look at tail */
	_Atomic uint64_t tail __attribute__((aligned(64)));	/* published */
	uint64_t tail_own;	/* the producer's next slot */
	uint64_t head_seen;	/* the producer's last look at head */
	void *slot[PEER_RING_SLOTS] __attribute__((aligned(64)));
};

static inline void
peer_ring_wait(unsigned int *spins)
{
	if (++*spins < PEER_RING_SPINS)
		bench_pause();
	else
		sched_yield();
}

/*
 * Release: pairs with the acquire load of tail in peer_ring_pop(), which
 * then sees the slots written before, and the stamps of their objects.
 */
static inline void
peer_ring_publish_tail(struct peer_ring *q)
{
	atomic_store_explicit(&q->tail, q->tail_own, memory_order_release);
}

/*
 * Release: pairs with the acquire load of head in peer_ring_push(): the
 * slots before head have been read before the producer may write them
 * again.
 */
static inline void
peer_ring_publish_head(struct peer_ring *q)
{
	atomic_store_explicit(&q->head, q->head_own, memory_order_release);
}

/* Push @p p (NULL ends the stream and is published at once). */
static inline void
peer_ring_push(struct peer_ring *q, void *p)
{
	uint64_t t = q->tail_own;
	unsigned int spins = 0;

	if (t - q->head_seen == PEER_RING_SLOTS) {
		peer_ring_publish_tail(q);
		for (;;) {
			/* Acquire: pairs with peer_ring_publish_head(). */
			q->head_seen = atomic_load_explicit(
				&q->head, memory_order_acquire);
			if (t - q->head_seen < PEER_RING_SLOTS)
				break;
			peer_ring_wait(&spins);
		}
	}
	q->slot[t % PEER_RING_SLOTS] = p;
	q->tail_own = t + 1;
	if (!p || q->tail_own % PEER_RING_BATCH == 0)
		peer_ring_publish_tail(q);
}

static inline void *
peer_ring_pop(struct peer_ring *q)
{
	uint64_t h = q->head_own;
	unsigned int spins = 0;
	void *p;

	if (h == q->tail_seen) {
		peer_ring_publish_head(q);
		for (;;) {
			/* Acquire: pairs with peer_ring_publish_tail(). */
			q->tail_seen = atomic_load_explicit(
				&q->tail, memory_order_acquire);
			if (h != q->tail_seen)
				break;
			peer_ring_wait(&spins);
		}
	}
	p = q->slot[h % PEER_RING_SLOTS];
	q->head_own = h + 1;
	if (q->head_own % PEER_RING_BATCH == 0)
		peer_ring_publish_head(q);
	return p;
}

#endif /* LFP_BENCH_PEER_RING_H */
