/* SPDX-License-Identifier: MIT */
/*
 * magazine.h - a magazine: an array of object pointers with a round count
 * (Bonwick & Adams, "Magazines and Vmem", 2001). Objects are never linked
 * through their own memory while cached, so they keep their constructed
 * state. A magazine is owned by exactly one cache or by the depot at any
 * time, so its rounds need no atomics: ownership moves through the depot
 * stack, whose release/acquire pair orders the contents (stack.h).
 *
 * All functions here are _local: only the magazine's owner calls them.
 */
#ifndef LFP_MAGAZINE_H
#define LFP_MAGAZINE_H

#include "stack.h"

#include <string.h>

struct lfp_mag {
	struct lfp_snode node;  /* depot link; must come first */
	uint32_t n;             /* rounds loaded */
	uint32_t cap;           /* capacity, fixed per pool */
	void *rounds[];
};

static inline size_t
lfp_mag_size(unsigned int cap)
{
	return sizeof(struct lfp_mag) + (size_t)cap * sizeof(void *);
}

static inline struct lfp_mag *
lfp_mag_of(struct lfp_snode *n)
{
	return (struct lfp_mag *)n;
}

static inline bool
lfp_mag_empty_local(const struct lfp_mag *m)
{
	return m->n == 0;
}

static inline bool
lfp_mag_full_local(const struct lfp_mag *m)
{
	return m->n == m->cap;
}

static inline void *
lfp_mag_pop_local(struct lfp_mag *m)
{
	return m->rounds[--m->n];
}

static inline void
lfp_mag_push_local(struct lfp_mag *m, void *obj)
{
	m->rounds[m->n++] = obj;
}

/* Move up to @n rounds from the top of @m into @objs; returns how many. */
static inline size_t
lfp_mag_take_local(struct lfp_mag *m, void **objs, size_t n)
{
	size_t k = LFP_MIN(n, (size_t)m->n);

	m->n -= (uint32_t)k;
	memcpy(objs, &m->rounds[m->n], k * sizeof(void *));
	return k;
}

/* Move up to @n pointers from @objs onto @m; returns how many. */
static inline size_t
lfp_mag_give_local(struct lfp_mag *m, void *const *objs, size_t n)
{
	size_t k = LFP_MIN(n, (size_t)(m->cap - m->n));

	memcpy(&m->rounds[m->n], objs, k * sizeof(void *));
	m->n += (uint32_t)k;
	return k;
}

#endif /* LFP_MAGAZINE_H */
