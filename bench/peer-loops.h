/* SPDX-License-Identifier: MIT */
/*
 * peer-loops.h - the loops that call a peer (peer.h), written once for
 * the programs that run them: bench_peers.c, built once per peer, and
 * versus-peer.c, one contender of bench_versus per translation unit.
 * Include it after peer.h. Everything here is static, so each loop is
 * compiled in the unit of its peer, the peer's get and put inlined into
 * it where the peer's API is inline (DPDK's rte_mempool calls; lfpool's
 * fast path unless LFP_NO_INLINE): the loop costs what the peer's calls
 * cost, and the same loop measures every peer. The timed loops are kept
 * out of line and start a cache line (PEER_LOOP_PLACED): where the rest
 * of a binary moves them, the same instructions measured up to 13 %
 * apart, so two builds compare only with their loops placed alike.
 *
 * Objects carry stamps where a test of them costs the loop nothing it
 * measures: an object passed between threads carries its sequence number
 * first and a check word last (peer-ring.h's peer_stamp() and
 * peer_check_stamp()), and peer_loop_check() stamps and checks a bulk of
 * objects outside the timed loops.
 */
#ifndef LFP_BENCH_PEER_LOOPS_H
#define LFP_BENCH_PEER_LOOPS_H

#include "peer-ring.h"

#define PEER_LOOP_EVERY 64u	/* operations between looks at the flag */
#define PEER_LOOP_BULK 64u	/* objects per bulk call */
#define PEER_LOOP_PLACED __attribute__((noinline, aligned(64), unused))

/* A get that stops the program when it fails: no timed loop goes on. */
static inline void *
peer_get_or_die(struct peer_cls *c)
{
	void *p = peer_get(c);

	if (!p)
		bench_die("%s: get failed: %s", peer_name(), strerror(errno));
	return p;
}

/*
 * pair: get, write a byte, put, until *@p stop is raised (looked at after
 * every PEER_LOOP_EVERY pairs, so a thread that starts late still does
 * some). The pointer escapes, so the compiler can elide nothing.
 * @return the pairs done.
 */
static PEER_LOOP_PLACED uint64_t
peer_loop_pair(struct peer_cls *c, const atomic_bool *stop)
{
	uint64_t ops = 0;
	unsigned int i;

	do {
		for (i = 0; i < PEER_LOOP_EVERY; i++) {
			unsigned char *p = peer_get_or_die(c);

			p[0] = (unsigned char)i;
			bench_escape(p);
			peer_put(c, p);
		}
		ops += PEER_LOOP_EVERY;
	} while (!atomic_load_explicit(stop, memory_order_relaxed));
	return ops;
}

/*
 * bulk: PEER_LOOP_BULK objects at once, each written, until *@p stop is
 * raised. @return the objects that went through (each one an operation).
 */
static PEER_LOOP_PLACED uint64_t
peer_loop_bulk(struct peer_cls *c, const atomic_bool *stop)
{
	void *v[PEER_LOOP_BULK];
	uint64_t ops = 0;
	unsigned int k;

	do {
		if (peer_get_bulk(c, v, PEER_LOOP_BULK) != PEER_LOOP_BULK)
			bench_die("%s: bulk get of %u failed", peer_name(),
				  PEER_LOOP_BULK);
		for (k = 0; k < PEER_LOOP_BULK; k++)
			((unsigned char *)v[k])[0] = (unsigned char)k;
		bench_escape(v);
		peer_put_bulk(c, v, PEER_LOOP_BULK);
		ops += PEER_LOOP_BULK;
	} while (!atomic_load_explicit(stop, memory_order_relaxed));
	return ops;
}

/*
 * prodcons, the producer: get an object of @p size bytes, stamp it with
 * its sequence number (and @p mark), push it into @p q, until *@p stop
 * is raised (looked at every PEER_LOOP_EVERY objects); then push the
 * NULL that ends the stream. @return the objects pushed.
 */
static PEER_LOOP_PLACED uint64_t
peer_loop_produce(struct peer_cls *c, size_t size, struct peer_ring *q,
		  const atomic_bool *stop)
{
	uint64_t seq = 0;
	unsigned int i;

	do {
		for (i = 0; i < PEER_LOOP_EVERY; i++, seq++) {
			void *p = peer_get_or_die(c);

			peer_stamp(p, size, seq, 0);
			peer_ring_push(q, p);
		}
	} while (!atomic_load_explicit(stop, memory_order_relaxed));
	peer_ring_push(q, NULL);
	return seq;
}

/*
 * prodcons, the consumer: pop objects from @p q until the NULL that ends
 * the stream, check each one's stamp (its sequence number, @p mark: what
 * the stage before stamped) and put it. @p what names the workload in a
 * complaint. @return the objects put.
 */
static PEER_LOOP_PLACED uint64_t
peer_loop_consume(struct peer_cls *c, size_t size, struct peer_ring *q,
		  uint64_t mark, const char *what)
{
	uint64_t seq;
	void *p;

	for (seq = 0; (p = peer_ring_pop(q)); seq++) {
		peer_check_stamp(p, size, seq, mark, what);
		peer_put(c, p);
	}
	return seq;
}

/*
 * The check outside the timed loops: get PEER_LOOP_BULK objects of
 * @p size bytes, stamp each with its own number (from @p seq on), then
 * check every stamp and put them back. An object handed out twice, or
 * two that overlap, or one smaller than @p size, shows as a stamp
 * overwritten by another's; threads that run it at the same time also
 * catch an object handed to both.
 */
static inline void
peer_loop_check(struct peer_cls *c, size_t size, uint64_t seq)
{
	void *v[PEER_LOOP_BULK];
	unsigned int k;

	if (peer_get_bulk(c, v, PEER_LOOP_BULK) != PEER_LOOP_BULK)
		bench_die("%s: bulk get of %u failed", peer_name(),
			  PEER_LOOP_BULK);
	for (k = 0; k < PEER_LOOP_BULK; k++)
		peer_stamp(v[k], size, seq + k, 0);
	bench_escape(v);
	for (k = 0; k < PEER_LOOP_BULK; k++)
		peer_check_stamp(v[k], size, seq + k, 0, peer_name());
	peer_put_bulk(c, v, PEER_LOOP_BULK);
}

#endif /* LFP_BENCH_PEER_LOOPS_H */
