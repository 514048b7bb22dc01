/* SPDX-License-Identifier: MIT */
/*
 * versus-peer.c - one peer of bench_versus: the table VERSUS_PEER
 * (versus.h) over the adapter that -DPEER_<NAME> picks (peer.h) and the
 * loops of peer-loops.h, the same adapter and loops bench_peers runs.
 * Built once per table; bench/local.mk gives each build its options.
 */
#include "bench-common.h"
#include "peer.h"
#include "peer-loops.h"
#include "versus.h"

#ifndef VERSUS_PEER
#error "build with -DVERSUS_PEER=<the table's name> (see versus.h)"
#endif

_Static_assert(VERSUS_BULK == PEER_LOOP_BULK, "versus.h's bulk is the loops'");

static int
v_init(void)
{
	return peer_init();
}

static void
v_fini(void)
{
	peer_fini();
}

static const char *
v_origin(void)
{
	return peer_origin();
}

static void
v_thread_enter(void)
{
	peer_thread_enter();
}

static void
v_thread_leave(void)
{
	peer_thread_leave();
}

/*
 * What the adapters do not share: the cache mode, the object count and
 * lfpool's counters.
 */
#if defined(PEER_LFPOOL)
static void
set_mode(int mode)
{
	lfpool_cache_mode = mode;
}

static int
v_cls_mode(void *cls)
{
	struct peer_cls *c = cls;

	return lfp_objpool_cache_mode(c->pool);
}

static void
pool_stats(void *cls, struct lfp_objpool_stats *st)
{
	struct peer_cls *c = cls;

	lfpool_check(lfp_objpool_stats(c->pool, st), "lfp_objpool_stats");
}

static uint64_t
v_cls_in_use(void *cls)
{
	struct lfp_objpool_stats st;

	pool_stats(cls, &st);
	return st.in_use;
}

static void
v_cls_counts(void *cls, struct versus_counts *out)
{
	struct lfp_objpool_stats st;

	pool_stats(cls, &st);
	out->gets = st.gets;
	out->hits = st.hits;
	out->depot = st.depot_gets + st.depot_puts;
	out->direct = st.direct;
}
#elif defined(PEER_DPDK)
static void
set_mode(int mode)
{
}

static int
v_cls_mode(void *cls)
{
	return 0;
}

/* The pool's size less what its ring and every lcore's cache hold. */
static uint64_t
v_cls_in_use(void *cls)
{
	struct peer_cls *c = cls;

	return rte_mempool_in_use_count(c->mp);
}

static void
v_cls_counts(void *cls, struct versus_counts *out)
{
	memset(out, 0, sizeof(*out));
}
#else
#error "bench_versus runs lfpool and DPDK: -DPEER_LFPOOL or -DPEER_DPDK"
#endif

static void *
v_cls_create(size_t size, size_t out, unsigned int threads, int mode)
{
	set_mode(mode);
	return peer_cls_create(size, out, threads);
}

static void
v_cls_destroy(void *cls)
{
	peer_cls_destroy(cls);
}

/*
 * The timed loops, each out of line at the start of a cache line
 * (peer-loops.h's PEER_LOOP_PLACED), so that where the linker puts a unit
 * does not decide which cache lines and 32-byte decoder windows a loop
 * straddles: unaligned, two copies of the same pair loop (lfpool and
 * lfpool-noinline, before get and put were inline) ran 5% apart.
 * Placement still counts through the higher address bits, which the
 * branch predictors see: the same loops have run 160 to 181 Mops/s from
 * one build to another (bench/README.md).
 */
static uint64_t
v_pair(void *cls, const atomic_bool *stop)
{
	return peer_loop_pair(cls, stop);
}

static uint64_t
v_bulk(void *cls, const atomic_bool *stop)
{
	return peer_loop_bulk(cls, stop);
}

static uint64_t
v_produce(void *cls, size_t size, struct peer_ring *q,
	  const atomic_bool *stop)
{
	return peer_loop_produce(cls, size, q, stop);
}

static uint64_t
v_consume(void *cls, size_t size, struct peer_ring *q, uint64_t mark)
{
	return peer_loop_consume(cls, size, q, mark, "prodcons or pipeline");
}

static void
v_check(void *cls, size_t size, uint64_t seq)
{
	peer_loop_check(cls, size, seq);
}

const struct versus_peer VERSUS_PEER = {
#ifdef LFP_NO_INLINE
	.no_inline = true,
#endif
	.init = v_init,
	.fini = v_fini,
	.origin = v_origin,
	.thread_enter = v_thread_enter,
	.thread_leave = v_thread_leave,
	.cls_create = v_cls_create,
	.cls_mode = v_cls_mode,
	.cls_in_use = v_cls_in_use,
	.cls_counts = v_cls_counts,
	.cls_destroy = v_cls_destroy,
	.pair = v_pair,
	.bulk = v_bulk,
	.produce = v_produce,
	.consume = v_consume,
	.check = v_check,
};
