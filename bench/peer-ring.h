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
 * starts zeroed. The objects carry stamps, which each thread that takes
 * one checks, and a middle stage of a pipeline stamps again
 * (peer_ring_pass()).
 */
#ifndef LFP_BENCH_PEER_RING_H
#define LFP_BENCH_PEER_RING_H

#define PEER_RING_SLOTS 256u	/* per ring; a power of two */
#define PEER_RING_BATCH 32u	/* objects between index updates */
#define PEER_RING_SPINS 64u	/* spins on a full or empty ring, then yield */
#define PEER_PIPE_MARK UINT64_C(0x5354414745320000)	/* a middle stage's */

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

/* An object's stamp: its sequence number first, a check word last. */
static inline void
peer_stamp(void *p, size_t size, uint64_t seq, uint64_t mark)
{
	uint64_t end = ~seq ^ mark;

	memcpy(p, &seq, sizeof(seq));
	memcpy((char *)p + size - sizeof(end), &end, sizeof(end));
}

/* Stop the program if @p p does not carry the stamp (@p seq, @p mark). */
static inline void
peer_check_stamp(const void *p, size_t size, uint64_t seq, uint64_t mark,
		 const char *what)
{
	uint64_t first, end;

	memcpy(&first, p, sizeof(first));
	memcpy(&end, (const char *)p + size - sizeof(end), sizeof(end));
	if (first != seq || end != (~seq ^ mark))
		bench_die("%s: object %llu arrived as %llu/%llx: damaged or "
			  "out of order", what, (unsigned long long)seq,
			  (unsigned long long)first,
			  (unsigned long long)end);
}

/*
 * A pipeline's middle stage: pop objects of @p size bytes from @p in
 * until the NULL that ends the stream, check each one's stamp, stamp it
 * again with PEER_PIPE_MARK and push it into @p out; then end @p out's
 * stream. @p what names the workload in a complaint. @return the objects
 * passed on.
 */
static inline uint64_t
peer_ring_pass(struct peer_ring *in, struct peer_ring *out, size_t size,
	       const char *what)
{
	uint64_t seq;
	void *p;

	for (seq = 0; (p = peer_ring_pop(in)); seq++) {
		peer_check_stamp(p, size, seq, 0, what);
		peer_stamp(p, size, seq, PEER_PIPE_MARK);
		peer_ring_push(out, p);
	}
	peer_ring_push(out, NULL);
	return seq;
}

#endif /* LFP_BENCH_PEER_RING_H */
