/* SPDX-License-Identifier: MIT */
/*
 * depot.h - a pool's depot: a lock-free stack of loaded magazines and one
 * of empty magazines, exchanged whole with the caches (Bonwick's depot
 * layer). The magazines themselves live in the depot's node table, so they
 * are type-stable for the depot's lifetime (the stack's ABA argument in
 * stack.h relies on it).
 *
 * "Full" here means "not empty": a thread that exits hands back partly
 * loaded magazines too, and a cache taking one copes with any count.
 *
 * Synchronization table:
 *                     get/put_full  get/put_empty  fini
 *   get/put_full      -             -              excl
 *   get/put_empty     -             -              excl
 * "-": concurrent from any threads; "excl": nothing else may run.
 */
#ifndef LFP_DEPOT_H
#define LFP_DEPOT_H

#include "magazine.h"

struct lfp_depot {
	struct lfp_stack full;
	struct lfp_stack empty;
	lfp_counter_t objs;             /* rounds in full magazines */
	lfp_counter_t low;              /* least objs since the last trim */
	struct lfp_nodetab mags;        /* the magazines, unless shared */
	struct lfp_nodetab *tab;        /* &mags, or another depot's */
	unsigned int cap;               /* rounds per magazine */
};

void lfp_depot_init(struct lfp_depot *d, unsigned int cap);
/*
 * A depot whose magazines live in @owner's table (the depots of one zone's
 * NUMA nodes share it, so a magazine may move from one to another).
 * @owner outlives it; fini leaves the table alone.
 */
void lfp_depot_init_shared(struct lfp_depot *d, struct lfp_depot *owner);
void lfp_depot_fini(struct lfp_depot *d);

/* A new or recycled empty magazine; NULL with errno ENOMEM. */
struct lfp_mag *lfp_depot_get_empty(struct lfp_depot *d);
void lfp_depot_put_empty(struct lfp_depot *d, struct lfp_mag *m);
/* A loaded magazine, or NULL when the depot has none. */
struct lfp_mag *lfp_depot_get_full(struct lfp_depot *d);
/*
 * The same, for a caller that only tops the magazine up and gives it
 * back at once (a put with no cache): not a dip of the working set, so
 * trim's low-water mark is left alone.
 */
struct lfp_mag *lfp_depot_get_full_top(struct lfp_depot *d);
void lfp_depot_put_full(struct lfp_depot *d, struct lfp_mag *m);

/* Magazines allocated (not indices taken: a failed map burns one). */
static inline uint64_t
lfp_depot_magazines(struct lfp_depot *d)
{
	return lfp_nodetab_nodes(d->tab);
}

#endif /* LFP_DEPOT_H */
