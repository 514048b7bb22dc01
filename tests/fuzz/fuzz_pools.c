/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pools.c - a libFuzzer harness: each input is a program of
 * operations (create, get, put, bulk get and put, alloc, free, thread
 * and pool flush, trim, destroy) on two object pools and a buffer pool, each run on one of four
 * worker threads, so every thread has its own caches and objects move
 * between threads. A shadow model holds what the "users" hold; it checks
 * that nothing is handed out twice, that contents survive (each held
 * object or buffer carries a pattern written on get), that capacities are
 * right, and at the end, once everything is back, that the pools' counts
 * add up (conservation). Built and run by `make fuzz` (clang).
 */
#include <lfpool.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 4
#define NHELD 256
#define OBJ_A 24
#define OBJ_B 200
#define BUF_MAX ((size_t)64 << 10)
#define FZ_MIN(a, b) ((a) < (b) ? (a) : (b))

enum kind { K_A, K_B, K_BUF, NKINDS };

struct held {
	void *p;
	size_t size;            /* bytes the user may touch */
	unsigned char tag;      /* pattern byte */
};

static struct lfp_objpool *pool_a, *pool_b;
static struct lfp_bufpool *bufpool;
static struct held held[NKINDS][NHELD];
static size_t nheld[NKINDS];

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* One worker thread per simulated thread; ops run there synchronously. */
struct worker {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*fn)(void *);
	void *arg;
	bool done;
};
static struct worker workers[NTHREADS];

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->fn)
			pthread_cond_wait(&w->cond, &w->lock);
		w->fn(w->arg);
		w->fn = NULL;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
	}
	return NULL;
}

static void
run_on(unsigned int t, void (*fn)(void *), void *arg)
{
	struct worker *w = &workers[t % NTHREADS];

	pthread_mutex_lock(&w->lock);
	w->fn = fn;
	w->arg = arg;
	w->done = false;
	pthread_cond_broadcast(&w->cond);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static int
ctor_b(void *obj, void *arg)
{
	(void)arg;
	memset(obj, 0xb0, OBJ_B);
	return 0;
}

static void
fill(struct held *h)
{
	memset(h->p, h->tag, h->size);
}

static void
verify(const struct held *h)
{
	const unsigned char *p = h->p;

	for (size_t i = 0; i < h->size; i++)
		CHECK(p[i] == h->tag);
}

/* A newly handed-out pointer must not be held already. */
static void
check_fresh(enum kind k, const void *p)
{
	for (size_t i = 0; i < nheld[k]; i++)
		CHECK(held[k][i].p != p);
}

static void
create_pools(void)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;

	lfp_objpool_attr_init(&oa);
	oa.size = OBJ_A;
	oa.mag_rounds = 3;
	pool_a = lfp_objpool_create(&oa);
	oa.size = OBJ_B;
	oa.mag_rounds = 0;
	oa.ctor = ctor_b;
	pool_b = lfp_objpool_create(&oa);
	lfp_bufpool_attr_init(&ba);
	ba.max_size = BUF_MAX;
	bufpool = lfp_bufpool_create(&ba);
	CHECK(pool_a && pool_b && bufpool);
}

struct op {
	uint8_t code, a, b, c;
};

static void
do_get(enum kind k, size_t n, unsigned char tag)
{
	for (size_t i = 0; i < n && nheld[k] < NHELD; i++) {
		struct held h = { .tag = tag };

		if (k == K_BUF) {
			h.size = n * 97 % BUF_MAX + 1;
			h.p = lfp_bufpool_alloc(bufpool, h.size);
			CHECK(h.p);
			CHECK(lfp_bufpool_capacity(bufpool, h.p) >= h.size);
		} else {
			h.size = k == K_A ? OBJ_A : OBJ_B;
			h.p = lfp_objpool_get(k == K_A ? pool_a : pool_b);
			CHECK(h.p);
		}
		check_fresh(k, h.p);
		fill(&h);
		held[k][nheld[k]++] = h;
	}
}

static void
put_one(enum kind k, size_t i)
{
	struct held h = held[k][i];

	verify(&h);
	held[k][i] = held[k][--nheld[k]];
	if (k == K_BUF)
		CHECK(lfp_bufpool_free(bufpool, h.p) == 0);
	else
		CHECK(lfp_objpool_put(k == K_A ? pool_a : pool_b, h.p) == 0);
}

static void
do_bulk(enum kind k, size_t n, bool get)
{
	struct lfp_objpool *pool = k == K_A ? pool_a : pool_b;
	void *objs[32];

	n %= 32;
	if (get) {
		n = FZ_MIN(n, NHELD - nheld[k]);
		CHECK(lfp_objpool_get_bulk(pool, objs, n) == n);
		for (size_t i = 0; i < n; i++) {
			struct held h = { .p = objs[i], .tag = (unsigned char)i,
					  .size = k == K_A ? OBJ_A : OBJ_B };

			check_fresh(k, h.p);
			fill(&h);
			held[k][nheld[k]++] = h;
		}
	} else {
		n = FZ_MIN(n, nheld[k]);
		for (size_t i = 0; i < n; i++) {
			verify(&held[k][nheld[k] - 1 - i]);
			objs[i] = held[k][nheld[k] - 1 - i].p;
		}
		nheld[k] -= n;
		CHECK(lfp_objpool_put_bulk(pool, objs, n) == n);
	}
}

static void
op_run(void *arg)
{
	const struct op *o = arg;
	enum kind k = (enum kind)(o->a % NKINDS);

	switch (o->code % 8) {
	case 0:
		do_get(k, o->b % 8 + 1, o->c);
		break;
	case 1:
		if (nheld[k])
			put_one(k, o->b % nheld[k]);
		break;
	case 2:
		if (k != K_BUF)
			do_bulk(k, o->b, true);
		break;
	case 3:
		if (k != K_BUF)
			do_bulk(k, o->b, false);
		break;
	case 4:
		lfp_thread_flush();
		break;
	case 5:
		while (nheld[k])
			put_one(k, nheld[k] - 1);
		break;
	case 6:         /* every CPU's cache (per-CPU), or this thread's */
		CHECK((k == K_BUF ? lfp_bufpool_flush(bufpool) :
		       lfp_objpool_flush(k == K_A ? pool_a : pool_b)) == 0);
		break;
	case 7:         /* flags: none, caches, idle, both */
		CHECK((k == K_BUF ? lfp_bufpool_trim(bufpool, o->b % 4) :
		       lfp_objpool_trim(k == K_A ? pool_a : pool_b,
					o->b % 4)) == 0);
		break;
	}
}

static void
flush_op(void *arg)
{
	(void)arg;
	lfp_thread_flush();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool started;
	struct lfp_objpool_stats sa, sb;
	struct lfp_bufpool_stats bs;

	if (!started) {
		for (int t = 0; t < NTHREADS; t++) {
			pthread_mutex_init(&workers[t].lock, NULL);
			pthread_cond_init(&workers[t].cond, NULL);
			pthread_create(&workers[t].tid, NULL, worker_main,
				       &workers[t]);
		}
		started = true;
	}
	create_pools();
	for (size_t i = 0; i + 5 <= size; i += 5) {
		struct op o = { data[i + 1], data[i + 2], data[i + 3],
				data[i + 4] };

		run_on(data[i], op_run, &o);
	}
	/* Everything back, from whichever thread, then conservation. */
	for (int k = 0; k < NKINDS; k++) {
		struct op o = { 5, (uint8_t)k, 0, 0 };

		run_on((unsigned int)k, op_run, &o);
	}
	for (int t = 0; t < NTHREADS; t++)
		run_on((unsigned int)t, flush_op, NULL);
	lfp_thread_flush();
	/* Per-CPU caches belong to no thread: flush them through the pools. */
	CHECK(lfp_objpool_flush(pool_a) == 0 && lfp_objpool_flush(pool_b) == 0 &&
	      lfp_bufpool_flush(bufpool) == 0);
	CHECK(lfp_objpool_stats(pool_a, &sa) == 0);
	CHECK(lfp_objpool_stats(pool_b, &sb) == 0);
	CHECK(lfp_bufpool_stats(bufpool, &bs) == 0);
	CHECK(sa.in_use == 0 && sa.gets == sa.puts);
	CHECK(sb.in_use == 0 && sb.gets == sb.puts);
	CHECK(sa.depot_cached == sa.objects && sb.depot_cached == sb.objects);
	CHECK(bs.bytes_in_use == 0 && bs.allocs == bs.frees);
	for (unsigned int i = 0; i < bs.nclasses; i++)
		CHECK(bs.cls[i].depot_cached == bs.cls[i].buffers);
	CHECK(lfp_objpool_destroy(pool_a) == 0);
	CHECK(lfp_objpool_destroy(pool_b) == 0);
	CHECK(lfp_bufpool_destroy(bufpool) == 0);
	return 0;
}
