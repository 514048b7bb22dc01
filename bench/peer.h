/* SPDX-License-Identifier: MIT */
/*
 * peer.h - the interface between bench_peers.c and the allocator it is
 * built for. bench_peers.c is compiled once per peer, with -DPEER_<NAME>;
 * this header includes that peer's adapter, which calls the peer through
 * its own API. (versus-peer.c is compiled the same way, once per
 * contender of bench_versus.) An adapter provides:
 *
 *   const char *peer_name(void)         the label in tables and RESULT lines
 *   const char *peer_origin(void)       the library the calls land in
 *   int peer_init(void)                 0, or -1 after printing why the
 *                                       peer cannot run here (skipped)
 *   void peer_fini(void)
 *   void peer_thread_enter(void)        first thing in every thread that
 *   void peer_thread_leave(void)        allocates, and last thing
 *
 *   struct peer_cls                     a source of objects of one size
 *   peer_cls_create(size, out, threads) out: the most objects held at once;
 *                                       threads: the most threads ever
 *                                       using it (pools that preallocate
 *                                       size themselves from both)
 *   peer_cls_destroy(cls)
 *   peer_get(cls), peer_put(cls, p)
 *   peer_get_bulk(cls, v, n)            all n or none; @return n or 0
 *   peer_put_bulk(cls, v, n)
 *
 *   struct peer_bufs                    buffers of any size up to max
 *   peer_bufs_create(max, out, threads) out: most buffers of one power-of-
 *                                       two class held at once
 *   peer_bufs_destroy(bufs)
 *   peer_buf_alloc(bufs, n), peer_buf_free(bufs, p, n)
 *
 * get/alloc return NULL when out of memory; the caller stops then, as on
 * any wrong result. An adapter may leave out, and then gets the defaults
 * below: peer_init/peer_fini (nothing to do) unless it defines
 * PEER_HAS_INIT, the thread hooks unless PEER_HAS_THREAD_HOOKS, the bulk
 * calls (loops of single ones) unless PEER_HAS_BULK. One that defines
 * PEER_LIB has its calls checked to land in a library of that name. The
 * calls are static inline, so an adapter adds no call of its own: each
 * operation costs what the peer's API costs.
 */
#ifndef LFP_BENCH_PEER_H
#define LFP_BENCH_PEER_H

#include <stddef.h>

#if defined(PEER_LFPOOL)
#include "peer-lfpool.h"
#elif defined(PEER_DPDK)
#include "peer-dpdk.h"
#else
#include "peer-malloc.h"
#endif

#ifndef PEER_HAS_INIT
static inline int
peer_init(void)
{
	return 0;
}

static inline void
peer_fini(void)
{
}
#endif

#ifndef PEER_HAS_THREAD_HOOKS
static inline void
peer_thread_enter(void)
{
}

static inline void
peer_thread_leave(void)
{
}
#endif

#ifndef PEER_HAS_BULK
static inline size_t
peer_get_bulk(struct peer_cls *c, void **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i] = peer_get(c);
		if (!v[i]) {
			while (i)
				peer_put(c, v[--i]);
			return 0;
		}
	}
	return n;
}

static inline void
peer_put_bulk(struct peer_cls *c, void **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		peer_put(c, v[i]);
}
#endif

#endif /* LFP_BENCH_PEER_H */
