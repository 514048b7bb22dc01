/* SPDX-License-Identifier: MIT */
/*
 * tcache.c - per-thread caches: the thread's map from zones to caches,
 * made on first use with no registration call, and handed back to the
 * zones when the thread exits (a pthread key destructor) or calls
 * lfp_thread_flush().
 */
#include "registry.h"
#include "zone.h"

#include <pthread.h>
#include <string.h>

#include <lfpool/thread.h>

__thread struct lfp_tcache lfp_tcache_self
	__attribute__((tls_model("initial-exec")));
__thread struct lfp_fast_tls lfp_fast_tls
	__attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static int exit_key_err;

static void tcache_exit(void *arg);

static void
exit_key_init(void)
{
	exit_key_err = pthread_key_create(&exit_key, tcache_exit);
}

/*
 * Hand back (and with @release give up) every cache of this thread. Each
 * zone is pinned in the registry while its cache goes back, so a destroy
 * in another thread waits for it; pinning needs no memory, so this cannot
 * fail (the flush itself gives up what it has no magazine for).
 */
static void
tcache_flush_local(struct lfp_tcache *t, bool release)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct lfp_tentry *e = &t->map[i];
		struct lfp_zone *z;

		if (!e->cache)
			continue;
		z = lfp_registry_get(i, e->id);
		if (z) {
			lfp_cache_flush(e->cache, &z->numa, release);
			lfp_registry_put(i);
		}
		if (release || !z) {
			struct lfp_fast_entry *r = lfp_tcache_recent_local(i);

			if (r->id == e->id) {
				r->id = 0;
				r->cache = NULL;
			}

			e->cache = NULL;
			e->id = 0;
		}
	}
}

static void
tcache_exit(void *arg)
{
	struct lfp_tcache *t = arg;

	tcache_flush_local(t, true);
	lfp_meta_free(t->map);
	t->map = NULL;
	t->cap = 0;
	/* A later use in this thread (another key's destructor) re-arms. */
	t->keyed = false;
}

struct lfp_cache *
lfp_tcache_attach(struct lfp_zone *z)
{
	struct lfp_tcache *t = &lfp_tcache_self;
	struct lfp_cache *c;

	if (!t->keyed) {
		pthread_once(&exit_key_once, exit_key_init);
		if (exit_key_err || pthread_setspecific(exit_key, t)) {
			errno = ENOMEM;
			return NULL;
		}
		t->keyed = true;
	}
	if (z->fast.slot >= t->cap) {
		uint32_t cap = LFP_MAX(16u, (uint32_t)lfp_pow2_ceil(z->fast.slot + 1));
		struct lfp_tentry *map;

		map = lfp_meta_realloc(t->map, cap * sizeof(*map));
		if (!map)
			return NULL;
		memset(map + t->cap, 0, (cap - t->cap) * sizeof(*map));
		t->map = map;
		t->cap = cap;
	}
	/*
	 * The entry may hold the cache of a destroyed zone that had this
	 * slot: that cache is gone with its zone; just replace the entry.
	 */
	c = lfp_cache_claim(&z->cs, &z->numa, z->fast.cap, t);
	if (!c)
		return NULL;
	t->map[z->fast.slot].id = z->fast.id;
	t->map[z->fast.slot].cache = c;
	if (!z->debug)  /* debug zones stay off the fast path */
		lfp_tcache_set_recent_local(z->fast.slot, &t->map[z->fast.slot]);
	return c;
}

void
lfp_thread_flush(void)
{
	tcache_flush_local(&lfp_tcache_self, false);
}
