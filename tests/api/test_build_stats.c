/* SPDX-License-Identifier: MIT */
/*
 * test_build_stats.c - <lfpool/stats.h> compiles alone, as strict C11
 * (part of test_build; see test_build.c).
 */
#include <lfpool/stats.h>

int lfp_test_build_stats(void);

int
lfp_test_build_stats(void)
{
	return lfp_objpool_stats_print(NULL, stdout, LFP_STATS_JSON);
}
