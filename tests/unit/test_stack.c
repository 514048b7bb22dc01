/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c - white-box tests of the depot's tagged-index lock-free
 * stack and its node table: LIFO order, index mapping across segments,
 * the last index (no write past the table), magazine counts after a
 * failed segment map, and a multi-threaded run that would catch ABA (two
 * threads owning one node at once, or a node lost).
 */
#include "stack.h"
#include "depot.h"
#include "test-common.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tnode {
	struct lfp_snode s;
	_Atomic int owner;      /* 0: in the stack; else the holder's id */
};

START_TEST(test_lifo)
{
	struct lfp_nodetab t;
	struct lfp_stack s;
	struct lfp_snode *n[10];

	lfp_nodetab_init(&t, sizeof(struct tnode));
	lfp_stack_init(&s);
	ck_assert_ptr_null(lfp_stack_pop(&s, &t));
	ck_assert(lfp_stack_empty(&s));
	for (int i = 0; i < 10; i++) {
		n[i] = lfp_nodetab_alloc(&t);
		ck_assert_ptr_nonnull(n[i]);
		ck_assert_uint_eq(n[i]->idx, (unsigned int)i + 1);
		lfp_stack_push(&s, &t, n[i]);
	}
	for (int i = 9; i >= 0; i--)
		ck_assert_ptr_eq(lfp_stack_pop(&s, &t), n[i]);
	ck_assert_ptr_null(lfp_stack_pop(&s, &t));
	lfp_nodetab_fini(&t);
}
END_TEST

START_TEST(test_nodetab_segments)
{
	struct lfp_nodetab t;
	/* Fill segments 0..3 and step into segment 4. */
	const unsigned int total = LFP_NODETAB_BASE * 15 + 1;
	struct lfp_snode **n = calloc(total, sizeof(*n));
	unsigned int seg;
	size_t off;

	lfp_nodetab_init(&t, 100);
	ck_assert_uint_eq(t.node_size % LFP_CACHELINE, 0);
	for (unsigned int i = 0; i < total; i++) {
		n[i] = lfp_nodetab_alloc(&t);
		ck_assert_ptr_nonnull(n[i]);
		ck_assert_ptr_eq(lfp_nodetab_at(&t, n[i]->idx), n[i]);
	}
	lfp_nodetab_locate(1, &seg, &off);
	ck_assert_uint_eq(seg, 0);
	ck_assert_uint_eq(off, 0);
	lfp_nodetab_locate(LFP_NODETAB_BASE, &seg, &off);
	ck_assert_uint_eq(seg, 0);
	ck_assert_uint_eq(off, LFP_NODETAB_BASE - 1);
	lfp_nodetab_locate(LFP_NODETAB_BASE + 1, &seg, &off);
	ck_assert_uint_eq(seg, 1);
	ck_assert_uint_eq(off, 0);
	lfp_nodetab_locate(total, &seg, &off);
	ck_assert_uint_eq(seg, 4);
	ck_assert_uint_eq(off, 0);
	/* Nodes of a segment are contiguous and never overlap. */
	for (unsigned int i = 1; i < LFP_NODETAB_BASE; i++)
		ck_assert_ptr_eq((char *)n[i], (char *)n[i - 1] + t.node_size);
	ck_assert_uint_ge(lfp_nodetab_bytes(&t), total * t.node_size);
	free(n);
	lfp_nodetab_fini(&t);
}
END_TEST

/*
 * The last index: segments 0..SEGS-1 hold indices 1..MAX_IDX, and the
 * index after it would lie in segment SEGS, past seg[]. With count at
 * MAX_IDX, an allocation must fail with ENOMEM and touch nothing past the
 * table: the word after seg[] (where seg[SEGS] would be) points at a
 * buffer that must keep its bytes.
 */
struct canary_tab {
	struct lfp_nodetab t;
	_Atomic(char *) after;          /* where seg[LFP_NODETAB_SEGS] lies */
};

START_TEST(test_nodetab_last_index)
{
	struct canary_tab w;
	struct lfp_snode *n;
	char buf[256];
	unsigned int seg;
	size_t off;
	int e;

	ck_assert_uint_eq(offsetof(struct canary_tab, after),
			  offsetof(struct lfp_nodetab, seg) +
			  LFP_NODETAB_SEGS * sizeof(w.t.seg[0]));
	ck_assert_uint_eq(LFP_NODETAB_MAX_IDX, UINT32_MAX - 63);
	lfp_nodetab_locate(LFP_NODETAB_MAX_IDX, &seg, &off);
	ck_assert_uint_eq(seg, LFP_NODETAB_SEGS - 1);
	ck_assert_uint_eq(off, ((size_t)LFP_NODETAB_BASE <<
				(LFP_NODETAB_SEGS - 1)) - 1);

	memset(buf, 0xa5, sizeof(buf));
	lfp_nodetab_init(&w.t, sizeof(struct tnode));
	ck_assert_uint_le(w.t.node_size, sizeof(buf));
	atomic_init(&w.after, buf);
	atomic_store(&w.t.count, LFP_NODETAB_MAX_IDX);
	errno = 0;
	n = lfp_nodetab_alloc(&w.t);
	e = errno;
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_msg((unsigned char)buf[i] == 0xa5,
			      "byte %zu past the table written: %#x", i,
			      (unsigned char)buf[i]);
	ck_assert_ptr_eq(atomic_load(&w.after), buf);
	ck_assert_ptr_null(n);
	ck_assert_int_eq(e, ENOMEM);
	/* It stays full, and no node was counted. */
	ck_assert_uint_eq(atomic_load(&w.t.count), LFP_NODETAB_MAX_IDX);
	ck_assert_ptr_null(lfp_nodetab_alloc(&w.t));
	ck_assert_uint_eq(lfp_nodetab_nodes(&w.t), 0);
	ck_assert_uint_eq(lfp_nodetab_bytes(&w.t), 0);
	lfp_nodetab_fini(&w.t);
}
END_TEST

/*
 * A failed segment map leaves its index unused: the depot's magazine
 * count (the pool's `magazines` statistic) counts only magazines made.
 */
START_TEST(test_failed_map_not_counted)
{
	struct lfp_depot d;
	struct lfp_mag *m;

	lfp_depot_init(&d, 4);
	lfp_fault_fail_nth(1);          /* the first segment's map */
	errno = 0;
	ck_assert_ptr_null(lfp_depot_get_empty(&d));
	ck_assert_int_eq(errno, ENOMEM);
	lfp_fault_fail_nth(0);
	ck_assert_uint_eq(lfp_depot_magazines(&d), 0);
	m = lfp_depot_get_empty(&d);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->node.idx, 2);      /* index 1 was burned */
	ck_assert_uint_eq(lfp_depot_magazines(&d), 1);
	lfp_depot_put_empty(&d, m);
	ck_assert_ptr_eq(lfp_depot_get_empty(&d), m);
	ck_assert_uint_eq(lfp_depot_magazines(&d), 1);
	lfp_depot_fini(&d);
}
END_TEST

/*
 * ABA torture: few nodes, many threads, each popping up to HOLD nodes,
 * claiming each (owner must be 0: else two threads hold it), and pushing
 * them back in a shuffled order so that heads are recycled constantly.
 */
#define NNODES 6
#define HOLD 3

static struct lfp_nodetab aba_tab;
static struct lfp_stack aba_stack;
static _Atomic int aba_stop;
static _Atomic int aba_double;
static pthread_barrier_t aba_barrier;

static void *
aba_worker(void *arg)
{
	int id = (int)(intptr_t)arg + 1;
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)id;
	struct tnode *held[HOLD];
	uint64_t ops = 0;

	pthread_barrier_wait(&aba_barrier);
	while (!atomic_load(&aba_stop) || ops < 1000) {
		int k = 1 + (int)(lfp_test_rand(&rng) % HOLD), got = 0;

		for (int i = 0; i < k; i++) {
			struct lfp_snode *s = lfp_stack_pop(&aba_stack, &aba_tab);
			int expected = 0;

			if (!s)
				break;
			held[got] = (struct tnode *)s;
			if (!atomic_compare_exchange_strong(&held[got]->owner,
							    &expected, id))
				atomic_fetch_add(&aba_double, 1);
			got++;
		}
		/* Push back in a random order. */
		while (got) {
			int j = (int)(lfp_test_rand(&rng) % (uint64_t)got);
			struct tnode *n = held[j];

			held[j] = held[--got];
			if (atomic_exchange(&n->owner, 0) != id)
				atomic_fetch_add(&aba_double, 1);
			lfp_stack_push(&aba_stack, &aba_tab, &n->s);
		}
		ops++;
	}
	return NULL;
}

START_TEST(test_aba_threads)
{
	unsigned int nthr = LFP_MAX(4u, 2 * lfp_test_ncpus());
	pthread_t *thr = calloc(nthr, sizeof(*thr));
	struct timespec ts = { .tv_sec = 1 };
	bool seen[NNODES + 1] = { false };
	struct lfp_snode *s;
	int count = 0;

	lfp_nodetab_init(&aba_tab, sizeof(struct tnode));
	lfp_stack_init(&aba_stack);
	for (int i = 0; i < NNODES; i++)
		lfp_stack_push(&aba_stack, &aba_tab, lfp_nodetab_alloc(&aba_tab));
	pthread_barrier_init(&aba_barrier, NULL, nthr);
	for (unsigned int i = 0; i < nthr; i++)
		pthread_create(&thr[i], NULL, aba_worker, (void *)(intptr_t)i);
	ts.tv_sec = lfp_test_scale();
	nanosleep(&ts, NULL);
	atomic_store(&aba_stop, 1);
	for (unsigned int i = 0; i < nthr; i++)
		pthread_join(thr[i], NULL);
	ck_assert_int_eq(atomic_load(&aba_double), 0);
	/* Every node is back exactly once. */
	while ((s = lfp_stack_pop(&aba_stack, &aba_tab))) {
		ck_assert_uint_le(s->idx, NNODES);
		ck_assert(!seen[s->idx]);
		seen[s->idx] = true;
		ck_assert_int_eq(((struct tnode *)s)->owner, 0);
		count++;
	}
	ck_assert_int_eq(count, NNODES);
	pthread_barrier_destroy(&aba_barrier);
	lfp_nodetab_fini(&aba_tab);
	free(thr);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stack");
	TCase *tc = lfp_test_tcase(s, "stack");

	tcase_add_test(tc, test_lifo);
	tcase_add_test(tc, test_nodetab_segments);
	tcase_add_test(tc, test_nodetab_last_index);
	tcase_add_test(tc, test_failed_map_not_counted);
	tcase_add_test(tc, test_aba_threads);
	tcase_set_timeout(tc, 60 + 10 * lfp_test_scale());
	return lfp_test_run(s);
}
