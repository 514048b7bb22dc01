/* SPDX-License-Identifier: MIT */
/*
 * uaf_put.c - a program with a bug on purpose, for test-sanitize.sh: it
 * writes into an object after putting it back ("obj") or into a buffer
 * after freeing it ("buf"). Built with AddressSanitizer, or run under
 * valgrind, the write must be reported, because lfpool marks cached
 * objects as inaccessible; built plainly it exits 0.
 */
#include <lfpool.h>

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	volatile unsigned char *p;

	if (argc > 1 && !strcmp(argv[1], "buf")) {
		struct lfp_bufpool_attr attr;
		struct lfp_bufpool *bp;

		lfp_bufpool_attr_init(&attr);
		bp = lfp_bufpool_create(&attr);
		p = bp ? lfp_bufpool_alloc(bp, 100) : NULL;
		if (!p || lfp_bufpool_free(bp, (void *)p))
			return 2;
	} else {
		struct lfp_objpool_attr attr;
		struct lfp_objpool *pool;

		lfp_objpool_attr_init(&attr);
		attr.size = 64;
		pool = lfp_objpool_create(&attr);
		p = pool ? lfp_objpool_get(pool) : NULL;
		if (!p || lfp_objpool_put(pool, (void *)p))
			return 2;
	}
	p[10] = 42;     /* the bug */
	printf("wrote after put\n");
	return 0;
}
