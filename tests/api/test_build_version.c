/* SPDX-License-Identifier: MIT */
/*
 * test_build_version.c - <lfpool/version.h> compiles alone, as strict C11 (part of
 * test_build; see test_build.c).
 */
#include <lfpool/version.h>

int lfp_test_build_version(void);

int
lfp_test_build_version(void)
{
	const char *(*volatile fn)(void) = lfp_version;

	return LFP_VERSION_MAJOR + (fn != 0);
}
