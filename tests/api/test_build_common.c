/* SPDX-License-Identifier: MIT */
/*
 * test_build_common.c - <lfpool/common.h> compiles alone, as strict C11 (part of
 * test_build; see test_build.c).
 */
#include <lfpool/common.h>

int lfp_test_build_common(void);

int
lfp_test_build_common(void)
{
	return (int)sizeof(size_t) + (int)sizeof(uint64_t);
}
