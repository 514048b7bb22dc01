/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the zone set-up, attribute checks and statistics that object
 * pools and buffer pools share (pool.h).
 */
#include "pool.h"
#include "debug.h"
#include "fork.h"

#include <string.h>

int
lfp_zone_setup(struct lfp_zone *z, const struct lfp_zone_conf *conf)
{
	int err;

	lfp_zone_init(z, conf->size, conf->align, conf->mag_rounds,
		      conf->ctor, conf->dtor, conf->arg, conf->owner,
		      conf->name, conf->checked);
	z->sites = z->checked && lfp_check_sites(conf->sites);
	atomic_init(&z->listed, LFP_POOL_NONE);
	if (conf->call_rcu)
		z->rcu_call = conf->call_rcu;
	z->slab.budget = conf->budget;
	if (conf->budget && conf->budget->limit &&
	    conf->budget->limit < z->slab.chunk_size)
		err = EINVAL;
	else
		err = lfp_zone_numa_init(z, conf->placement, conf->node);
	if (!err)
		err = lfp_zone_set_cache_mode(z, conf->cache_mode);
	if (!err) {
		lfp_fork_init();
		err = lfp_registry_add(z, &z->fast.slot, &z->fast.id);
	}
	if (err)
		lfp_zone_fini(z);
	return err;
}

void
lfp_pool_list(struct lfp_zone *z, enum lfp_pool_kind kind)
{
	/*
	 * Release: pairs with the acquire in lfp_pool_listed(); a walker
	 * that sees the kind sees the whole pool (every class set up).
	 */
	atomic_store_explicit(&z->listed, kind, memory_order_release);
}

enum lfp_pool_kind
lfp_pool_listed(struct lfp_zone *z)
{
	/* Acquire: pairs with the release in lfp_pool_list(). */
	return (enum lfp_pool_kind)atomic_load_explicit(&z->listed,
							memory_order_acquire);
}

bool
lfp_pool_attr_ok(int cache_mode, int placement)
{
	return cache_mode >= LFP_CACHE_AUTO &&
	       cache_mode <= LFP_CACHE_PER_THREAD &&
	       placement >= LFP_PLACE_LOCAL &&
	       placement <= LFP_PLACE_INTERLEAVE;
}

void
lfp_stats_copy(void *dst, size_t size, const void *src, size_t own)
{
	memcpy(dst, src, LFP_MIN(size, own));
	if (size > own)
		memset((char *)dst + own, 0, size - own);
}
