/* SPDX-License-Identifier: MIT */
/*
 * peer-malloc.h - the adapters of the peers whose API is an allocation
 * call and a free call: glibc malloc, jemalloc, tcmalloc, mimalloc, TBB's
 * scalable allocator and GLib's g_slice. Each peer is the few lines that
 * name its two calls and the library they must land in; the code that
 * maps peer.h's interface onto them, below, is shared. A fixed-size
 * "class" is just its size here: these allocators keep their own size
 * classes behind one call.
 *
 * jemalloc: Debian builds it without a prefix (no je_malloc), so its API
 * is malloc and free themselves, in a binary linked with -ljemalloc;
 * tcmalloc and mimalloc also replace malloc in their binaries, which is
 * harmless: the driver calls them through their own names. bench_peers.c
 * checks at start that the calls land in the library named by PEER_LIB.
 */
#ifndef LFP_BENCH_PEER_MALLOC_H
#define LFP_BENCH_PEER_MALLOC_H

#include <stdlib.h>

#if defined(PEER_GLIBC)
#define PEER_LABEL "glibc"
#define PEER_LIB "libc.so"
#define PEER_ALLOC_FN malloc
#define PEER_FREE(p, n) free(p)
#elif defined(PEER_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define PEER_LABEL "jemalloc"
#define PEER_LIB "jemalloc"
#define PEER_ALLOC_FN malloc
#define PEER_FREE(p, n) free(p)
#elif defined(PEER_TCMALLOC)
#include <gperftools/tcmalloc.h>
#define PEER_LABEL "tcmalloc"
#define PEER_LIB "tcmalloc"
#define PEER_ALLOC_FN tc_malloc
#define PEER_FREE(p, n) tc_free(p)
#elif defined(PEER_MIMALLOC)
#include <mimalloc.h>
#define PEER_LABEL "mimalloc"
#define PEER_LIB "mimalloc"
#define PEER_ALLOC_FN mi_malloc
#define PEER_FREE(p, n) mi_free(p)
#elif defined(PEER_TBB)
#include <tbb/scalable_allocator.h>
#define PEER_LABEL "tbb"
#define PEER_LIB "tbbmalloc"
#define PEER_ALLOC_FN scalable_malloc
#define PEER_FREE(p, n) scalable_free(p)
#elif defined(PEER_GSLICE)
#include <glib.h>
#define PEER_LABEL "gslice"
#define PEER_LIB "glib"
#define PEER_ALLOC_FN g_slice_alloc
#define PEER_FREE(p, n) g_slice_free1((n), (p))
#else
#error "build with one of -DPEER_GLIBC, _JEMALLOC, _TCMALLOC, _MIMALLOC, _TBB, _GSLICE, _LFPOOL, _DPDK"
#endif

struct peer_cls {
	size_t size;
};

struct peer_bufs;

static inline const char *
peer_name(void)
{
	return PEER_LABEL;
}

static inline const char *
peer_origin(void)
{
	return bench_origin((void *)PEER_ALLOC_FN);
}

static inline struct peer_cls *
peer_cls_create(size_t size, size_t out, unsigned int threads)
{
	struct peer_cls *c = bench_xmalloc(sizeof(*c));

	c->size = size;
	return c;
}

static inline void
peer_cls_destroy(struct peer_cls *c)
{
	free(c);
}

static inline void *
peer_get(struct peer_cls *c)
{
	return PEER_ALLOC_FN(c->size);
}

static inline void
peer_put(struct peer_cls *c, void *p)
{
	PEER_FREE(p, c->size);
}

/* Buffers are the same calls; the one class stands for them all. */
static inline struct peer_bufs *
peer_bufs_create(size_t max, size_t out, unsigned int threads)
{
	return (struct peer_bufs *)peer_cls_create(max, out, threads);
}

static inline void
peer_bufs_destroy(struct peer_bufs *b)
{
	peer_cls_destroy((struct peer_cls *)b);
}

static inline void *
peer_buf_alloc(struct peer_bufs *b, size_t n)
{
	return PEER_ALLOC_FN(n);
}

static inline void
peer_buf_free(struct peer_bufs *b, void *p, size_t n)
{
	PEER_FREE(p, n);
}

#endif /* LFP_BENCH_PEER_MALLOC_H */
