/* SPDX-License-Identifier: MIT */
/*
 * test-capture.h - what a printing call writes, as one string: for the
 * tests of the statistics printers (test_stats.c, test_stats_all.c).
 * Needs open_memstream() (POSIX 2008) and Check.
 */
#ifndef LFP_TEST_CAPTURE_H
#define LFP_TEST_CAPTURE_H

#include <check.h>
#include <stdio.h>

/*
 * What @print writes for @arg with @flags, as one string (free it); its
 * return value in *@rc. Out of line: inlined, gcc 12 takes the stream's
 * buffer for a dangling pointer to a local (-Wdangling-pointer).
 */
static __attribute__((noinline, unused)) char *
lfp_test_capture(int (*print)(void *, FILE *, unsigned int), void *arg,
		 unsigned int flags, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*rc = print(arg, f, flags);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

#endif /* LFP_TEST_CAPTURE_H */
