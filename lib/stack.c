/* SPDX-License-Identifier: MIT */
/*
 * stack.c - the tagged-index lock-free stack and its node table; the ABA
 * argument and synchronization table are in stack.h.
 */
#include "stack.h"

#include <errno.h>
#include <string.h>

void
lfp_nodetab_init(struct lfp_nodetab *t, size_t node_size)
{
	t->node_size = lfp_align_up(node_size, LFP_CACHELINE);
	atomic_init(&t->count, 0);
	atomic_init(&t->nodes, 0);
	for (unsigned int k = 0; k < LFP_NODETAB_SEGS; k++)
		atomic_init(&t->seg[k], NULL);
}

static size_t
seg_bytes(struct lfp_nodetab *t, unsigned int k)
{
	return lfp_align_up(((size_t)LFP_NODETAB_BASE << k) * t->node_size,
			    lfp_os_page_size());
}

void
lfp_nodetab_fini(struct lfp_nodetab *t)
{
	for (unsigned int k = 0; k < LFP_NODETAB_SEGS; k++) {
		char *s = atomic_load_explicit(&t->seg[k], memory_order_relaxed);

		if (s)
			lfp_os_unmap(s, seg_bytes(t, k));
		atomic_store_explicit(&t->seg[k], NULL, memory_order_relaxed);
	}
}

size_t
lfp_nodetab_bytes(struct lfp_nodetab *t)
{
	size_t sum = 0;

	for (unsigned int k = 0; k < LFP_NODETAB_SEGS; k++)
		if (atomic_load_explicit(&t->seg[k], memory_order_relaxed))
			sum += seg_bytes(t, k);
	return sum;
}

struct lfp_snode *
lfp_nodetab_alloc(struct lfp_nodetab *t)
{
	uint32_t idx;
	unsigned int k;
	size_t off;
	char *s;
	struct lfp_snode *n;

	/*
	 * Take the next index unless none is left (a CAS, not a fetch-add,
	 * so that count never passes the last index, even for a moment).
	 * Relaxed: the index only needs to be unique; the segment's own
	 * publication orders its memory.
	 */
	idx = atomic_load_explicit(&t->count, memory_order_relaxed);
	do {
		if (idx >= LFP_NODETAB_MAX_IDX) {
			errno = ENOMEM;
			return NULL;
		}
	} while (!atomic_compare_exchange_weak_explicit(&t->count, &idx,
							idx + 1,
							memory_order_relaxed,
							memory_order_relaxed));
	idx++;
	lfp_nodetab_locate(idx, &k, &off);
	/* Acquire: pairs with the release CAS below that published it. */
	s = atomic_load_explicit(&t->seg[k], memory_order_acquire);
	if (!s) {
		char *fresh = lfp_os_map(seg_bytes(t, k), 0);
		char *expected = NULL;

		if (!fresh)
			return NULL;    /* idx stays unused; nodes not raised */
		/*
		 * Release on success: pairs with the acquire loads above, so a
		 * thread that finds the segment sees it mapped. Acquire on
		 * failure: we then use the winner's segment.
		 */
		if (atomic_compare_exchange_strong_explicit(&t->seg[k], &expected,
							    fresh,
							    memory_order_release,
							    memory_order_acquire)) {
			s = fresh;
		} else {
			lfp_os_unmap(fresh, seg_bytes(t, k));
			s = expected;
		}
	}
	n = (struct lfp_snode *)(s + off * t->node_size);
	memset(n, 0, t->node_size);
	atomic_init(&n->next, 0);
	n->idx = idx;
	atomic_fetch_add_explicit(&t->nodes, 1, memory_order_relaxed);
	return n;
}

void
lfp_stack_push(struct lfp_stack *s, struct lfp_nodetab *t,
	       struct lfp_snode *n)
{
	uint64_t old = atomic_load_explicit(&s->head, memory_order_relaxed);
	uint64_t new;

	(void)t;
	do {
		atomic_store_explicit(&n->next, (uint32_t)old,
				      memory_order_relaxed);
		new = ((old >> 32) + 1) << 32 | n->idx;
		/*
		 * Release on success: pairs with the acquire in lfp_stack_pop,
		 * publishing n->next and everything the pusher wrote into the
		 * node (a magazine's rounds) to the thread that pops it.
		 */
	} while (!atomic_compare_exchange_weak_explicit(&s->head, &old, new,
							memory_order_release,
							memory_order_relaxed));
}

struct lfp_snode *
lfp_stack_pop(struct lfp_stack *s, struct lfp_nodetab *t)
{
	/* Acquire: pairs with the release CAS of the push that put head. */
	uint64_t old = atomic_load_explicit(&s->head, memory_order_acquire);
	uint64_t new;
	struct lfp_snode *n;

	do {
		uint32_t idx = (uint32_t)old;

		if (!idx)
			return NULL;
		n = lfp_nodetab_at(t, idx);
		/* May be stale; the tag check in the CAS rejects it then. */
		new = ((old >> 32) + 1) << 32 |
		      atomic_load_explicit(&n->next, memory_order_relaxed);
		/*
		 * Acquire on success and failure: pairs with the release CAS
		 * of the push that installed the head we take or retry on.
		 * Success needs no release: the popper publishes nothing.
		 */
	} while (!atomic_compare_exchange_weak_explicit(&s->head, &old, new,
							memory_order_acquire,
							memory_order_acquire));
	return n;
}
