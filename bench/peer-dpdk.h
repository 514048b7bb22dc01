/* SPDX-License-Identifier: MIT */
/*
 * peer-dpdk.h - DPDK's rte_mempool as a peer of bench_peers.c. A fixed-
 * size class is one mempool (multi-producer, multi-consumer ring, a per-
 * lcore cache of PEER_DPDK_CACHE objects); buffers of any size come from
 * one mempool per power-of-two class, the way a DPDK program would build
 * them, the size given back at free.
 *
 * The EAL starts without hugepages or devices: --no-huge --no-pci
 * --no-shconf, on lcore 0 only. (--in-memory is refused together with
 * --no-huge by DPDK 22.11, which turns legacy memory on for --no-huge.)
 * If it cannot start, peer_init() says why and the case is skipped. The
 * EAL pins the main thread to lcore 0's CPU: peer_init() puts its
 * affinity back, so the driver's own pinning spreads threads as for the
 * other peers. Worker threads register with rte_thread_register(), which
 * gives them an lcore id and so a mempool cache, and unregister before
 * they exit.
 *
 * A mempool holds all its objects from creation on: the driver says how
 * many it can hold at once, and the pool is that plus what the per-lcore
 * caches may keep (1.5 times the cache size each). Its memory shows in
 * the peak resident memory, as would in a DPDK program.
 */
#ifndef LFP_BENCH_PEER_DPDK_H
#define LFP_BENCH_PEER_DPDK_H

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#define PEER_HAS_BULK 1
#define PEER_HAS_INIT 1
#define PEER_HAS_THREAD_HOOKS 1
#define PEER_DPDK_CACHE 256u	/* objects per lcore cache */
#define PEER_DPDK_MIN_CLASS 16u

struct peer_cls {
	struct rte_mempool *mp;
};

struct peer_bufs {
	unsigned int nclasses;	/* classes PEER_DPDK_MIN_CLASS << i */
	struct peer_cls cls[32];
};

static inline const char *
peer_name(void)
{
	return "dpdk";
}

static inline const char *
peer_origin(void)
{
	return bench_origin((void *)rte_mempool_create);
}

static inline int
peer_init(void)
{
	static char *args[] = {
		"bench", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
		"-m", "1024", "--no-telemetry", "--log-level", "*:error",
	};
	cpu_set_t cpus;
	int n;

	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		bench_die("sched_getaffinity: %s", strerror(errno));
	n = rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args);
	if (n < 0) {
		printf("dpdk: the EAL did not start: %s\n",
		       rte_strerror(rte_errno));
		return -1;
	}
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		bench_die("sched_setaffinity: %s", strerror(errno));
	return 0;
}

static inline void
peer_fini(void)
{
	rte_eal_cleanup();
}

static inline void
peer_thread_enter(void)
{
	if (rte_thread_register())
		bench_die("rte_thread_register: %s", rte_strerror(rte_errno));
}

static inline void
peer_thread_leave(void)
{
	rte_thread_unregister();
}

static inline void
dpdk_cls_init(struct peer_cls *c, size_t size, size_t out,
	      unsigned int threads)
{
	static unsigned int serial;
	char name[RTE_MEMPOOL_NAMESIZE];
	size_t n = out + (size_t)(threads + 1) * PEER_DPDK_CACHE * 3 / 2;

	snprintf(name, sizeof(name), "b%u_%zu", serial++, size);
	c->mp = rte_mempool_create(name, (unsigned int)n, (unsigned int)size,
				   PEER_DPDK_CACHE, 0, NULL, NULL, NULL, NULL,
				   SOCKET_ID_ANY, 0);
	if (!c->mp)
		bench_die("rte_mempool_create of %zu x %zu bytes: %s", n,
			  size, rte_strerror(rte_errno));
}

static inline struct peer_cls *
peer_cls_create(size_t size, size_t out, unsigned int threads)
{
	struct peer_cls *c = bench_xmalloc(sizeof(*c));

	dpdk_cls_init(c, size, out, threads);
	return c;
}

static inline void
peer_cls_destroy(struct peer_cls *c)
{
	rte_mempool_free(c->mp);
	free(c);
}

static inline void *
peer_get(struct peer_cls *c)
{
	void *p;

	return rte_mempool_get(c->mp, &p) ? NULL : p;
}

static inline void
peer_put(struct peer_cls *c, void *p)
{
	rte_mempool_put(c->mp, p);
}

static inline size_t
peer_get_bulk(struct peer_cls *c, void **v, size_t n)
{
	return rte_mempool_get_bulk(c->mp, v, (unsigned int)n) ? 0 : n;
}

static inline void
peer_put_bulk(struct peer_cls *c, void **v, size_t n)
{
	rte_mempool_put_bulk(c->mp, v, (unsigned int)n);
}

static inline struct peer_bufs *
peer_bufs_create(size_t max, size_t out, unsigned int threads)
{
	struct peer_bufs *b = bench_xmalloc(sizeof(*b));
	size_t size;

	/* Classes up to the first that holds max, at least one. */
	b->nclasses = 0;
	for (size = PEER_DPDK_MIN_CLASS;; size *= 2) {
		dpdk_cls_init(&b->cls[b->nclasses++], size, out, threads);
		if (size >= max)
			break;
	}
	return b;
}

static inline void
peer_bufs_destroy(struct peer_bufs *b)
{
	unsigned int i;

	for (i = 0; i < b->nclasses; i++)
		rte_mempool_free(b->cls[i].mp);
	free(b);
}

/* The class of @p n bytes: 2^ceil(lg n), at least PEER_DPDK_MIN_CLASS. */
static inline struct peer_cls *
dpdk_class(struct peer_bufs *b, size_t n)
{
	unsigned int i = n <= PEER_DPDK_MIN_CLASS ? 0 :
		(unsigned int)(64 - __builtin_clzll(n - 1)) -
		(unsigned int)__builtin_ctz(PEER_DPDK_MIN_CLASS);

	return i < b->nclasses ? &b->cls[i] : NULL;
}

static inline void *
peer_buf_alloc(struct peer_bufs *b, size_t n)
{
	struct peer_cls *c = dpdk_class(b, n);

	return c ? peer_get(c) : NULL;
}

static inline void
peer_buf_free(struct peer_bufs *b, void *p, size_t n)
{
	peer_put(dpdk_class(b, n), p);
}

#endif /* LFP_BENCH_PEER_DPDK_H */
