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
	lfp_nodetab_init(&d->mags, lfp_mag_size(cap));
	d->cap = cap;
}

void
lfp_depot_fini(struct lfp_depot *d)
{
	lfp_nodetab_fini(&d->mags);
}

struct lfp_mag *
lfp_depot_get_empty(struct lfp_depot *d)
{
	struct lfp_snode *n = lfp_stack_pop(&d->empty, &d->mags);
	struct lfp_mag *m;

	if (n)
		return lfp_mag_of(n);
	n = lfp_nodetab_alloc(&d->mags);
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
	lfp_stack_push(&d->empty, &d->mags, &m->node);
}

struct lfp_mag *
lfp_depot_get_full(struct lfp_depot *d)
{
	struct lfp_snode *n = lfp_stack_pop(&d->full, &d->mags);
	struct lfp_mag *m;

	if (!n)
		return NULL;
	m = lfp_mag_of(n);
	lfp_shared_sub(&d->objs, m->n);
	return m;
}

void
lfp_depot_put_full(struct lfp_depot *d, struct lfp_mag *m)
{
	lfp_shared_add(&d->objs, m->n);
	lfp_stack_push(&d->full, &d->mags, &m->node);
}
