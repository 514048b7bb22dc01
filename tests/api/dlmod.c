/* SPDX-License-Identifier: MIT */
/*
 * dlmod.c - a plugin linked with liblfpool, which test_dlopen.c loads
 * with dlopen() (it is built for make check only, as a libtool module).
 * Its calls take and return plain types, so that the program that loads
 * it needs no lfpool header or library: what the plugin uses of lfpool,
 * its thread-local state included, arrives with the dlopen().
 */
#include <errno.h>
#include <string.h>

#include <lfpool.h>

#define DLMOD_POOLS 2

/* Loop index of the test: the pools' cache mode. */
static struct lfp_objpool *pools[DLMOD_POOLS];
static struct lfp_bufpool *bufs[DLMOD_POOLS];

/* Create object and buffer pools @k in cache mode @mode. 0, or errno. */
int dlmod_create(unsigned int k, int mode);
int dlmod_create(unsigned int k, int mode)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;

	if (k >= DLMOD_POOLS)
		return EINVAL;
	lfp_objpool_attr_init(&oa);
	oa.size = 72;
	oa.cache_mode = mode;
	oa.name = "plugin";
	pools[k] = lfp_objpool_create(&oa);
	if (!pools[k])
		return errno;
	lfp_bufpool_attr_init(&ba);
	ba.cache_mode = mode;
	bufs[k] = lfp_bufpool_create(&ba);
	return bufs[k] ? 0 : errno;
}

/*
 * Get @n objects and @n buffers from pools @k, write them, put them back.
 * 0, or a code saying what failed.
 */
int dlmod_cycle(unsigned int k, unsigned int n, unsigned int seed);
int dlmod_cycle(unsigned int k, unsigned int n, unsigned int seed)
{
	void *objs[256], *b[256];
	unsigned int i;

	if (k >= DLMOD_POOLS || n > 256)
		return 1;
	for (i = 0; i < n; i++) {
		size_t len = 1 + (seed + i * 37) % 5000;

		objs[i] = lfp_objpool_get(pools[k]);
		b[i] = lfp_bufpool_alloc(bufs[k], len);
		if (!objs[i] || !b[i])
			return 2;
		memset(objs[i], (int)(i & 0xff), 72);
		memset(b[i], (int)(i & 0xff), len);
	}
	for (i = 0; i < n; i++)
		if (lfp_objpool_put(pools[k], objs[i]) ||
		    lfp_bufpool_free(bufs[k], b[i]))
			return 3;
	return 0;
}

/* Check that nothing is out, then destroy pools @k. 0, or a code. */
int dlmod_destroy(unsigned int k);
int dlmod_destroy(unsigned int k)
{
	struct lfp_objpool_stats os;
	struct lfp_bufpool_stats bs;

	if (k >= DLMOD_POOLS)
		return 1;
	if (lfp_objpool_stats(pools[k], &os) || os.in_use ||
	    os.gets != os.puts)
		return 2;
	if (lfp_bufpool_stats(bufs[k], &bs) || bs.bytes_in_use ||
	    bs.allocs != bs.frees)
		return 3;
	if (lfp_objpool_destroy(pools[k]) || lfp_bufpool_destroy(bufs[k]))
		return 4;
	pools[k] = NULL;
	bufs[k] = NULL;
	return 0;
}
