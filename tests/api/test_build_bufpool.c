/* SPDX-License-Identifier: MIT */
/*
 * test_build_bufpool.c - <lfpool/bufpool.h> compiles alone, as strict C11 (part of
 * test_build; see test_build.c).
 */
#include <lfpool/bufpool.h>

int lfp_test_build_bufpool(void);

int
lfp_test_build_bufpool(void)
{
	void *(*volatile fn)(struct lfp_bufpool *, size_t) = lfp_bufpool_alloc;

	return (int)sizeof(struct lfp_bufpool_attr) + (fn != 0);
}
