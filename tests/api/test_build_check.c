/* SPDX-License-Identifier: MIT */
/*
 * test_build_check.c - <lfpool/check.h> compiles alone, as strict C11
 * (part of test_build; see test_build.c).
 */
#include <lfpool/check.h>

int lfp_test_build_check(void);

int
lfp_test_build_check(void)
{
	struct lfp_misuse m = { .kind = LFP_MISUSE_FOREIGN };

	return (int)m.kind;
}
