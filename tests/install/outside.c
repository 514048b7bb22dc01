/* SPDX-License-Identifier: MIT */
/*
 * outside.c - a program that is not part of the tree's build: the install
 * test compiles it against an installed lfpool found through pkg-config
 * (shared and static), the way a user would, and runs it. It uses each
 * kind of pool once, checks that the headers and the library agree on the
 * version, and prints "ok <version>".
 */
#include <stdio.h>
#include <string.h>

#include <lfpool.h>

int
main(void)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	void *obj, *buf;

	if (strcmp(lfp_version(), LFP_VERSION_STRING)) {
		fprintf(stderr, "headers %s, library %s\n", LFP_VERSION_STRING,
			lfp_version());
		return 1;
	}
	lfp_objpool_attr_init(&oa);
	oa.size = 48;
	lfp_bufpool_attr_init(&ba);
	op = lfp_objpool_create(&oa);
	bp = lfp_bufpool_create(&ba);
	if (!op || !bp)
		return 1;
	obj = lfp_objpool_get(op);
	buf = lfp_bufpool_alloc(bp, 1000);
	if (!obj || !buf || lfp_bufpool_capacity(bp, buf) != 1024)
		return 1;
	if (lfp_objpool_put(op, obj) || lfp_bufpool_free(bp, buf))
		return 1;
	lfp_thread_flush();
	if (lfp_objpool_destroy(op) || lfp_bufpool_destroy(bp))
		return 1;
	printf("ok %s\n", lfp_version());
	return 0;
}
