/* SPDX-License-Identifier: MIT */
/*
 * versus.h - a peer of bench_versus as a table of functions, so that
 * several peers live in one process. versus-peer.c is compiled once per
 * table, each time with one peer's adapter (-DPEER_LFPOOL or -DPEER_DPDK,
 * see peer.h) and the table's name (-DVERSUS_PEER=versus_dpdk), and with
 * the compiler options a program of that peer is built with: DPDK's own
 * (pkg-config) for DPDK; -DLFP_NO_INLINE for versus_lfpool_noinline, whose
 * calls are lfpool's exported functions where versus_lfpool has the
 * headers' inline fast path. The adapters' calls are static inline, so
 * they end up inside each unit's loops (peer-loops.h): the table adds one
 * indirect call per run of a loop, none per operation.
 *
 * A class (void *) is the adapter's struct peer_cls, opaque here: each
 * unit has its own.
 */
#ifndef LFP_BENCH_VERSUS_H
#define LFP_BENCH_VERSUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Objects a worker holds at most: a bulk (peer-loops.h's PEER_LOOP_BULK). */
#define VERSUS_BULK 64u

struct peer_ring;

/* A class's counters since it was made (lfpool's; zero for other peers). */
struct versus_counts {
	uint64_t gets;		/* objects handed out */
	uint64_t hits;		/* of those, from the cache */
	uint64_t depot;		/* magazines to and from the depot */
	uint64_t direct;	/* gets and puts past a busy per-CPU cache */
};

struct versus_peer {
	bool no_inline;		/* the unit was built with LFP_NO_INLINE */
	int (*init)(void);	/* 0, or -1 after printing why not */
	void (*fini)(void);
	const char *(*origin)(void);	/* the library its calls land in */
	void (*thread_enter)(void);	/* in every worker, first and last */
	void (*thread_leave)(void);
	/*
	 * A class of @p size-byte objects, at most @p out of them held at
	 * once, used by at most @p threads threads; @p mode: lfpool's
	 * cache_mode attribute (ignored by other peers).
	 */
	void *(*cls_create)(size_t size, size_t out, unsigned int threads,
			    int mode);
	/* The cache mode the class runs in (lfpool), or 0. */
	int (*cls_mode)(void *cls);
	/* Objects of the class out with users: the count check. */
	uint64_t (*cls_in_use)(void *cls);
	void (*cls_counts)(void *cls, struct versus_counts *out);
	void (*cls_destroy)(void *cls);
	/* The timed loops of peer-loops.h; @return the operations done. */
	uint64_t (*pair)(void *cls, const atomic_bool *stop);
	uint64_t (*bulk)(void *cls, const atomic_bool *stop);
	/* prodcons, pipeline: peer_loop_produce() and peer_loop_consume(). */
	uint64_t (*produce)(void *cls, size_t size, struct peer_ring *q,
			    const atomic_bool *stop);
	uint64_t (*consume)(void *cls, size_t size, struct peer_ring *q,
			    uint64_t mark);
	/* peer_loop_check(): stops the program on a damaged stamp. */
	void (*check)(void *cls, size_t size, uint64_t seq);
};

extern const struct versus_peer versus_lfpool;
extern const struct versus_peer versus_lfpool_noinline;
extern const struct versus_peer versus_dpdk;

#endif /* LFP_BENCH_VERSUS_H */
