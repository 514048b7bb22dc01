/* SPDX-License-Identifier: MIT */
/*
 * trim.c - giving cached memory back to the operating system, driven by
 * the caller (no hidden thread). A trim of a zone:
 *  1. with LFP_TRIM_CACHES, hands cached objects to the depot (also
 *     lfp_*_flush() alone): every
 *     CPU's cache in per-CPU mode; in per-thread mode the caller's own
 *     cache and those no thread owns (a live thread's cache is its own,
 *     with no atomics on it, so only that thread can flush it);
 *  2. takes full magazines from the depot: all of them, or with
 *     LFP_TRIM_IDLE only as many objects as the depot never went below
 *     since the previous trim (the working-set rule of Bonwick's depot,
 *     run when the caller asks);
 *  3. asks the slab which chunks have every object out in its hands;
 *     those objects get their destructor and the chunks are unmapped;
 *     objects of the other chunks that have no constructed state
 *     (buffers of a page or more) give back with MADV_DONTNEED the pages
 *     that lie wholly inside them (never one an object out with a user
 *     shares), so that a partly used chunk costs little more than its
 *     live objects' memory;
 *  4. loads the other objects back into magazines for the depot.
 * Concurrent gets and puts go on meanwhile: the objects a trim holds are
 * simply not in the depot for a moment.
 */
#include "zone.h"

#include <string.h>
#include <sys/mman.h>

/* What a trim gave back, for its probe. */
struct trim_result {
	uint64_t objects;               /* destroyed */
	uint64_t chunks;                /* unmapped */
	uint64_t bytes;                 /* of those, and of dropped pages */
};

/*
 * Give back the pages wholly inside [obj, obj + stride): the start rounded
 * up, the end down. Not the whole range: the kernel rounds a madvise()
 * length up to whole pages, so a stride that is no multiple of the page
 * would drop the first page of the next object too, which may be out with
 * a user (and a start off a page boundary makes the call fail).
 */
static size_t
drop_pages(void *obj, size_t stride)
{
	size_t page = lfp_os_page_size();
	uintptr_t lo = lfp_align_up((uintptr_t)obj, page);
	uintptr_t hi = ((uintptr_t)obj + stride) & ~(uintptr_t)(page - 1);

	if (lo < hi && !madvise((void *)lo, hi - lo, MADV_DONTNEED))
		return hi - lo;
	return 0;
}

/* Trim node @node's depot and slab (a LOCAL zone's depot holds its node's). */
static void
trim_node(struct lfp_zone *z, uint32_t node, bool idle,
	  struct trim_result *res)
{
	struct lfp_depot *d = lfp_zone_depot(z, node);
	struct lfp_slab *s = lfp_zone_slab(z, node);
	struct lfp_mag **mags = NULL, *m;
	struct lfp_chunk *dead;
	size_t nmags = 0, maxmags = 0, nobjs = 0, keep, i, k;
	uint64_t want = UINT64_MAX, taken = 0;
	void **objs;

	if (idle)
		want = lfp_counter_read(&d->low);
	while (taken < want && (m = lfp_depot_get_full(d))) {
		if (nmags == maxmags) {
			size_t cap = maxmags ? 2 * maxmags : 16;
			struct lfp_mag **t = lfp_meta_realloc(mags,
							      cap * sizeof(*t));

			if (!t) {
				lfp_depot_put_full(d, m);
				break;
			}
			mags = t;
			maxmags = cap;
		}
		mags[nmags++] = m;
		taken += m->n;
	}
	objs = nmags ? lfp_meta_alloc(taken * sizeof(*objs)) : NULL;
	if (objs) {
		for (i = 0; i < nmags; i++) {
			memcpy(objs + nobjs, mags[i]->rounds,
			       mags[i]->n * sizeof(*objs));
			nobjs += mags[i]->n;
		}
		keep = lfp_slab_reclaim(s, objs, nobjs, &dead);
		res->objects += nobjs - keep;
		for (struct lfp_chunk *c = dead; c; c = c->next) {
			res->chunks++;
			res->bytes += c->size;
		}
		for (i = keep; i < nobjs; i++) {
			if (z->debug)
				lfp_os_expose(objs[i], z->size);
			lfp_slab_dtor(s, objs[i]);
		}
		lfp_slab_free_chunks(s, dead);
		/*
		 * Objects of chunks that stay: those with no constructed
		 * state (no constructor: buffers) give back the pages that
		 * lie wholly inside them, and stay cached; the next use
		 * faults in zeroed pages.
		 */
		if (!s->ctor && !z->debug && s->stride >= lfp_os_page_size())
			for (i = 0; i < keep; i++)
				res->bytes += drop_pages(objs[i], s->stride);
		/* What stays goes back, magazine by magazine. */
		for (i = 0, k = 0; i < nmags; i++) {
			m = mags[i];
			m->n = (uint32_t)LFP_MIN((size_t)m->cap, keep - k);
			memcpy(m->rounds, objs + k, m->n * sizeof(*objs));
			k += m->n;
		}
		lfp_meta_free(objs);
	}
	for (i = 0; i < nmags; i++) {
		if (lfp_mag_empty_local(mags[i]))
			lfp_depot_put_empty(&z->numa.depot, mags[i]);
		else
			lfp_depot_put_full(d, mags[i]);
	}
	lfp_meta_free(mags);
	/* The next working set is measured from here. */
	atomic_store_explicit(&d->low, lfp_counter_read(&d->objs),
			      memory_order_relaxed);
}

void
lfp_zone_trim(struct lfp_zone *z, unsigned int flags)
{
	struct trim_result res = { 0, 0, 0 };

	if (flags & LFP_TRIM_CACHES)
		lfp_zone_unload_caches(z, flags & LFP_TRIM_IDLE);
	lfp_zone_reserve_refill(z);     /* a reserve is never trimmed */
	for (uint32_t k = 0; k < z->numa.ndepots; k++)
		trim_node(z, k, flags & LFP_TRIM_IDLE, &res);
	LFP_PROBE(trim, LFP_WHO(&z->numa.place.who), res.objects, res.chunks,
		  res.bytes);
}
