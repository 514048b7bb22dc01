/* SPDX-License-Identifier: MIT */
/*
 * peer-lfpool.h - lfpool as a peer of bench_peers.c: a fixed-size class is
 * an object pool (raw objects, no constructor), buffers of any size come
 * from one power-of-two buffer pool. The label carries the cache mode the
 * library was asked for through LFP_CACHE_MODE (percpu, perthread, auto),
 * so that one binary run once per mode gives one column per mode; without
 * the variable it is plain "lfpool". A program that runs both modes in
 * one process (bench_versus) sets lfpool_cache_mode instead, and reports
 * the modes itself.
 */
#ifndef LFP_BENCH_PEER_LFPOOL_H
#define LFP_BENCH_PEER_LFPOOL_H

#include <lfpool.h>

#define PEER_HAS_BULK 1

struct peer_cls {
	struct lfp_objpool *pool;
};

struct peer_bufs {
	struct lfp_bufpool *bp;
};

/*
 * The cache_mode attribute of the object pools peer_cls_create() makes:
 * LFP_CACHE_AUTO (0, and then LFP_CACHE_MODE in the environment chooses)
 * unless the program sets it.
 */
static int lfpool_cache_mode;

static inline const char *
peer_name(void)
{
	static char name[64];
	const char *mode = getenv("LFP_CACHE_MODE");

	if (!mode || !*mode)
		return "lfpool";
	snprintf(name, sizeof(name), "lfpool-%s", mode);
	return name;
}

/*
 * Say once which cache mode the pools run in, and say it as a NOTE when
 * that is not the mode LFP_CACHE_MODE asked for (per-CPU caches need
 * restartable sequences: elsewhere the library runs per-thread). Not
 * when the program chose the mode (lfpool_cache_mode): it says it.
 */
static inline void
lfpool_note_mode(int mode)
{
	static bool said;
	const char *asked = getenv("LFP_CACHE_MODE");
	const char *runs = mode == LFP_CACHE_PER_CPU ? "percpu" : "perthread";

	if (said || lfpool_cache_mode)
		return;
	said = true;
	printf("lfpool cache mode: %s\n", runs);
	if (asked && (!strcmp(asked, "percpu") || !strcmp(asked, "perthread"))
	    && strcmp(asked, runs))
		printf("NOTE: LFP_CACHE_MODE=%s asked, the pools run %s\n",
		       asked, runs);
}

static inline const char *
peer_origin(void)
{
	return bench_origin((void *)lfp_objpool_get);
}

/* Stop on a failed call that returns 0 or a negative errno value. */
static inline void
lfpool_check(int rc, const char *call)
{
	if (rc)
		bench_die("%s: %s", call, strerror(-rc));
}

/*
 * The pools: the defaults (a thread that exits hands its cached objects
 * back by itself, so there are no thread hooks), raw objects.
 */
static inline struct peer_cls *
peer_cls_create(size_t size, size_t out, unsigned int threads)
{
	struct lfp_objpool_attr attr;
	struct peer_cls *c = bench_xmalloc(sizeof(*c));

	lfpool_check(lfp_objpool_attr_init(&attr), "lfp_objpool_attr_init");
	attr.size = size;
	attr.cache_mode = lfpool_cache_mode;
	c->pool = lfp_objpool_create(&attr);
	if (!c->pool)
		bench_die("lfp_objpool_create: %s", strerror(errno));
	lfpool_note_mode(lfp_objpool_cache_mode(c->pool));
	return c;
}

static inline void
peer_cls_destroy(struct peer_cls *c)
{
	lfpool_check(lfp_objpool_destroy(c->pool), "lfp_objpool_destroy");
	free(c);
}

static inline void *
peer_get(struct peer_cls *c)
{
	return lfp_objpool_get(c->pool);
}

static inline void
peer_put(struct peer_cls *c, void *p)
{
	lfpool_check(lfp_objpool_put(c->pool, p), "lfp_objpool_put");
}

/* All or nothing, as lfp_objpool_get_bulk() itself is. */
static inline size_t
peer_get_bulk(struct peer_cls *c, void **v, size_t n)
{
	return lfp_objpool_get_bulk(c->pool, v, n);
}

static inline void
peer_put_bulk(struct peer_cls *c, void **v, size_t n)
{
	size_t put = lfp_objpool_put_bulk(c->pool, v, n);

	if (put != n)
		bench_die("lfp_objpool_put_bulk: %zu of %zu", put, n);
}

static inline struct peer_bufs *
peer_bufs_create(size_t max, size_t out, unsigned int threads)
{
	struct lfp_bufpool_attr attr;
	struct peer_bufs *b = bench_xmalloc(sizeof(*b));

	lfpool_check(lfp_bufpool_attr_init(&attr), "lfp_bufpool_attr_init");
	while (attr.max_size < max)
		attr.max_size *= 2;
	b->bp = lfp_bufpool_create(&attr);
	if (!b->bp)
		bench_die("lfp_bufpool_create: %s", strerror(errno));
	return b;
}

static inline void
peer_bufs_destroy(struct peer_bufs *b)
{
	lfpool_check(lfp_bufpool_destroy(b->bp), "lfp_bufpool_destroy");
	free(b);
}

static inline void *
peer_buf_alloc(struct peer_bufs *b, size_t n)
{
	return lfp_bufpool_alloc(b->bp, n);
}

static inline void
peer_buf_free(struct peer_bufs *b, void *p, size_t n)
{
	lfpool_check(lfp_bufpool_free(b->bp, p), "lfp_bufpool_free");
}

#endif /* LFP_BENCH_PEER_LFPOOL_H */
