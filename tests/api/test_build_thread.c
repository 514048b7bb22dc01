/* SPDX-License-Identifier: MIT */
/*
 * test_build_thread.c - <lfpool/thread.h> compiles alone, as strict C11 (part of
 * test_build; see test_build.c).
 */
#include <lfpool/thread.h>

int lfp_test_build_thread(void);

int
lfp_test_build_thread(void)
{
	void (*volatile fn)(void) = lfp_thread_flush;

	return fn != 0;
}
