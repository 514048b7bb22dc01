/* SPDX-License-Identifier: MIT */
/*
 * gunzip-pool.c - the decompressor pool of the Go article on memory
 * pooling, in C: inflateInit2() runs once per stream, as the pool's
 * constructor, instead of once per message; each message only resets a
 * stream it gets from the pool. The input is 1024 copies of "how now brown
 * cow", compressed once (inflate accepts zlib and gzip data alike).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <lfpool.h>

#define COW "how now brown cow"

static int
zs_ctor(void *obj, void *arg)
{
	memset(obj, 0, sizeof(z_stream));
	return inflateInit2((z_stream *)obj, 15 + 32) == Z_OK ? 0 : ENOMEM;
}

static void
zs_dtor(void *obj, void *arg)
{
	inflateEnd(obj);
}

int
main(void)
{
	static unsigned char in[1024 * (sizeof(COW) - 1)], out[sizeof(in)];
	static unsigned char gz[4096];
	uLongf gzlen = sizeof(gz);
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	int i, rc;

	for (i = 0; i < 1024; i++)
		memcpy(in + i * (sizeof(COW) - 1), COW, sizeof(COW) - 1);
	if (compress(gz, &gzlen, in, sizeof(in)) != Z_OK)
		return 1;

	lfp_objpool_attr_init(&attr);
	attr.size = sizeof(z_stream);
	attr.ctor = zs_ctor;
	attr.dtor = zs_dtor;
	attr.name = "inflate";
	pool = lfp_objpool_create(&attr);
	if (!pool) {
		perror("lfp_objpool_create");
		return 1;
	}
	for (i = 0; i < 10000; i++) {
		z_stream *zs = lfp_objpool_get(pool);

		if (!zs || inflateReset(zs) != Z_OK) {
			perror("lfp_objpool_get");
			return 1;
		}
		zs->next_in = gz;
		zs->avail_in = (uInt)gzlen;
		zs->next_out = out;
		zs->avail_out = sizeof(out);
		if (inflate(zs, Z_FINISH) != Z_STREAM_END ||
		    memcmp(in, out, sizeof(in))) {
			fprintf(stderr, "gunzip-pool: bad inflate\n");
			return 1;
		}
		rc = lfp_objpool_put(pool, zs);
		if (rc) {
			fprintf(stderr, "lfp_objpool_put: %s\n", strerror(-rc));
			return 1;
		}
	}

	lfp_objpool_stats(pool, &st);
	printf("%llu gets, %llu streams constructed, hit rate %.4f\n",
	       (unsigned long long)st.gets, (unsigned long long)st.objects,
	       (double)st.hits / (double)st.gets);
	return lfp_objpool_destroy(pool) ? 1 : 0;
}
