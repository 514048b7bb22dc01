/* SPDX-License-Identifier: MIT */
/*
 * stack.h - the depot's lock-free stack, and the type-stable node table it
 * indexes.
 *
 * Nodes (magazines, in the depot) live in a struct lfp_nodetab: a table of
 * segments that only grows while its owner lives, so a node's address never
 * becomes invalid and each node has a fixed 32-bit index (1-based; 0 means
 * "none"). The stack head is one 64-bit word {32-bit tag, 32-bit index},
 * changed only by compare-and-swap, so the stack is plain C11 atomics:
 * visible to ThreadSanitizer, portable to any 64-bit-CAS machine.
 *
 * ABA argument. A pop reads head = {t, i}, then next = node(i)->next, then
 * CASes head from {t, i} to {t + 1, next}. Every successful push and pop
 * increments the tag. If any other push or pop succeeded between the read
 * of head and the CAS, head's tag is no longer t and the CAS fails, so a
 * stale `next` (node i popped and pushed again meanwhile, over a different
 * successor) can never be installed. The only way through is for exactly
 * 2^32 operations to complete while one pop is stalled between its load
 * and its CAS, which we accept (the same bound as every tagged stack).
 * Reading node(i)->next after i has been popped by someone else is safe:
 * nodes are never freed while the table lives, and the field is atomic.
 *
 * Synchronization table (what needs outside synchronization):
 *                 push    pop     nodetab_alloc
 *   push          -       -       -
 *   pop           -       -       -
 *   nodetab_alloc -       -       -
 *   nodetab_fini  excl    excl    excl     (no other operation may run)
 * "-": may run concurrently from any threads.
 */
#ifndef LFP_STACK_H
#define LFP_STACK_H

#include "internal.h"
#include "atomic.h"

/* The link every stack node starts with. */
struct lfp_snode {
	_Atomic uint32_t next;  /* index of the node below; 0 at the bottom */
	uint32_t idx;           /* this node's own index, set at allocation */
};

/*
 * Segment k holds (LFP_NODETAB_BASE << k) nodes, so LFP_NODETAB_SEGS
 * segments hold BASE * (2^SEGS - 1) = 2^32 - 64 of them: indices
 * 1..LFP_NODETAB_MAX_IDX. The index after that would lie in a segment past
 * seg[]; an allocation there fails with ENOMEM instead.
 */
#define LFP_NODETAB_BASE 64u
#define LFP_NODETAB_SEGS 26
#define LFP_NODETAB_MAX_IDX \
	((uint32_t)(((uint64_t)LFP_NODETAB_BASE << LFP_NODETAB_SEGS) - \
		    LFP_NODETAB_BASE))
_Static_assert(((uint64_t)LFP_NODETAB_BASE << LFP_NODETAB_SEGS) -
	       LFP_NODETAB_BASE <= UINT32_MAX,
	       "node indices are 32-bit");

struct lfp_nodetab {
	size_t node_size;                       /* multiple of the cache line */
	/*
	 * Indices handed out (never past LFP_NODETAB_MAX_IDX). One whose
	 * segment could not be mapped stays unused, so nodes, the nodes
	 * actually allocated, may be fewer.
	 */
	_Atomic uint32_t count;
	_Atomic uint32_t nodes;
	_Atomic(char *) seg[LFP_NODETAB_SEGS];
};

struct lfp_stack {
	_Atomic uint64_t head;                  /* {tag << 32 | index} */
} lfp_cacheline_aligned;

void lfp_nodetab_init(struct lfp_nodetab *t, size_t node_size);
void lfp_nodetab_fini(struct lfp_nodetab *t);
/*
 * A new zeroed node with its idx set, or NULL with errno ENOMEM (no memory
 * for its segment, or every index up to LFP_NODETAB_MAX_IDX handed out).
 */
struct lfp_snode *lfp_nodetab_alloc(struct lfp_nodetab *t);
/* Nodes allocated so far (indices burned by a failed map not counted). */
static inline uint32_t
lfp_nodetab_nodes(struct lfp_nodetab *t)
{
	return atomic_load_explicit(&t->nodes, memory_order_relaxed);
}
/* Bytes mapped for the table's segments. */
size_t lfp_nodetab_bytes(struct lfp_nodetab *t);

static inline void
lfp_nodetab_locate(uint32_t idx, unsigned int *seg, size_t *off)
{
	/* j = idx - 1 + BASE lies in [BASE << k, BASE << (k + 1)). */
	uint64_t j = (uint64_t)idx - 1 + LFP_NODETAB_BASE;
	unsigned int k = 63 - __builtin_clzll(j) - __builtin_ctz(LFP_NODETAB_BASE);

	*seg = k;
	*off = (size_t)(j - ((uint64_t)LFP_NODETAB_BASE << k));
}

static inline struct lfp_snode *
lfp_nodetab_at(struct lfp_nodetab *t, uint32_t idx)
{
	unsigned int k;
	size_t off;
	char *s;

	lfp_nodetab_locate(idx, &k, &off);
	/*
	 * Relaxed: an index reaches us only through a stack head or an
	 * allocation, both ordered after the segment's publication (release
	 * CAS in lfp_nodetab_alloc, then the push's release CAS).
	 */
	s = atomic_load_explicit(&t->seg[k], memory_order_relaxed);
	return (struct lfp_snode *)(s + off * t->node_size);
}

static inline void
lfp_stack_init(struct lfp_stack *s)
{
	atomic_init(&s->head, 0);
}

void lfp_stack_push(struct lfp_stack *s, struct lfp_nodetab *t,
		    struct lfp_snode *n);
struct lfp_snode *lfp_stack_pop(struct lfp_stack *s, struct lfp_nodetab *t);

static inline bool
lfp_stack_empty(struct lfp_stack *s)
{
	return !(uint32_t)atomic_load_explicit(&s->head, memory_order_relaxed);
}

#endif /* LFP_STACK_H */
