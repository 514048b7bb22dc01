/* SPDX-License-Identifier: MIT */
/*
 * depot.c - magazine exchange between the caches and a pool's depot.
 */
#include "depot.h"

void
lfp_depot_init(struct lfp_depot *d, unsigned int cap)
{
	lfp_stack_init(&d->full);
	lfp_stack_init(&d->empty);
	atomic_init(&d->objs, 0);
	atomic_init(&d->low, 0);
	lfp_nodetab_init(&d->mags, lfp_mag_size(cap));
	d->tab = &d->mags;
	d->cap = cap;
}

void
lfp_depot_init_shared(struct lfp_depot *d, struct lfp_depot *owner)
{
	lfp_stack_init(&d->full);
	lfp_stack_init(&d->empty);
	atomic_init(&d->objs, 0);
	atomic_init(&d->low, 0);
	d->tab = owner->tab;
	d->cap = owner->cap;
}

void
lfp_depot_fini(struct lfp_depot *d)
{
	if (d->tab == &d->mags)
		lfp_nodetab_fini(&d->mags);
}

struct lfp_mag *
lfp_depot_get_empty(struct lfp_depot *d)
{
	struct lfp_snode *n = lfp_stack_pop(&d->empty, d->tab);
	struct lfp_mag *m;

	if (n)
		return lfp_mag_of(n);
	n = lfp_nodetab_alloc(d->tab);
	if (!n)
		return NULL;
	m = lfp_mag_of(n);
	m->n = 0;
	m->cap = d->cap;
	return m;
}

void
lfp_depot_put_empty(struct lfp_depot *d, struct lfp_mag *m)
{
	lfp_stack_push(&d->empty, d->tab, &m->node);
}

struct lfp_mag *
lfp_depot_get_full(struct lfp_depot *d)
{
	struct lfp_snode *n = lfp_stack_pop(&d->full, d->tab);
	struct lfp_mag *m;
	uint64_t left, low;

	if (!n)
		return NULL;
	m = lfp_mag_of(n);
	/* Keep the low-water mark that trim's working-set rule reads. */
	left = atomic_fetch_sub_explicit(&d->objs, m->n,
					 memory_order_relaxed) - m->n;
	low = atomic_load_explicit(&d->low, memory_order_relaxed);
	while (left < low &&
	       !atomic_compare_exchange_weak_explicit(&d->low, &low, left,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
	return m;
}

struct lfp_mag *
lfp_depot_get_full_top(struct lfp_depot *d)
{
	struct lfp_snode *n = lfp_stack_pop(&d->full, d->tab);

	if (!n)
		return NULL;
	lfp_shared_sub(&d->objs, lfp_mag_of(n)->n);
	return lfp_mag_of(n);
}

void
lfp_depot_put_full(struct lfp_depot *d, struct lfp_mag *m)
{
	lfp_shared_add(&d->objs, m->n);
	lfp_stack_push(&d->full, d->tab, &m->node);
}
