/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c - lfp_objpool_stats_print() and lfp_bufpool_stats_print():
 * the table starts with the hit rate, the JSON carries the same figures
 * as the snapshot calls, bad arguments are refused, write errors reported.
 */
#include "test-capture.h"
#include "test-common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lfpool.h>

static int
print_obj(void *p, FILE *f, unsigned int flags)
{
	return lfp_objpool_stats_print(p, f, flags);
}

static int
print_buf(void *p, FILE *f, unsigned int flags)
{
	return lfp_bufpool_stats_print(p, f, flags);
}

START_TEST(test_objpool_print)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *o[10];
	char *out;
	int rc;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 48;
	attr.name = "conn \"state\"";
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 10; i++)
			ck_assert_ptr_nonnull(o[i] = lfp_objpool_get(pool));
		for (int i = 0; i < (k < 2 ? 10 : 7); i++)
			ck_assert_int_eq(lfp_objpool_put(pool, o[i]), 0);
	}
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);

	out = lfp_test_capture(print_obj, pool, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, "hit rate") != NULL &&
		      strstr(out, "hit rate") < strstr(out, "gets / puts"),
		      "the hit rate comes first:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "conn \"state\""));
	free(out);

	out = lfp_test_capture(print_obj, pool, LFP_STATS_JSON, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "\"pool\":\"conn \\\"state\\\"\""));
	ck_assert_uint_eq(lfp_test_json_u(out, "gets"), 30);
	ck_assert_uint_eq(lfp_test_json_u(out, "puts"), 27);
	ck_assert_uint_eq(lfp_test_json_u(out, "in_use"), 3);
	ck_assert_uint_eq(lfp_test_json_u(out, "objects"), st.objects);
	ck_assert_uint_eq(lfp_test_json_u(out, "hits"), st.hits);
	ck_assert_uint_eq(lfp_test_json_u(out, "bytes_in_use"), 3 * st.stride);
	/* what one cache may hold: two magazines */
	ck_assert_uint_eq(st.cache_bytes_max,
			  2 * (uint64_t)st.mag_rounds * st.stride);
	ck_assert_uint_eq(lfp_test_json_u(out, "cache_bytes_max"),
			  st.cache_bytes_max);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	free(out);

	ck_assert_int_eq(lfp_objpool_stats_print(NULL, stdout, 0), -EINVAL);
	ck_assert_int_eq(lfp_objpool_stats_print(pool, NULL, 0), -EINVAL);
	ck_assert_int_eq(lfp_objpool_stats_print(pool, stdout, 1u << 7),
			 -EINVAL);
	for (int i = 7; i < 10; i++)
		ck_assert_int_eq(lfp_objpool_put(pool, o[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

START_TEST(test_bufpool_print)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	uint64_t max = 0;
	void *b[4];
	char *out;
	int rc;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.name = "rx";
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	b[0] = lfp_bufpool_alloc(bp, 10);
	b[1] = lfp_bufpool_alloc(bp, 1000);
	b[2] = lfp_bufpool_alloc(bp, 1000);
	b[3] = lfp_bufpool_alloc(bp, 100000);
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(b[i]);
	ck_assert_int_eq(lfp_bufpool_free(bp, b[3]), 0);

	out = lfp_test_capture(print_buf, bp, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "hit rate"));
	ck_assert_ptr_nonnull(strstr(out, "1024"));
	ck_assert_ptr_nonnull(strstr(out, "131072"));
	free(out);

	out = lfp_test_capture(print_buf, bp, LFP_STATS_JSON, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(lfp_test_json_u(out, "allocs"), 4);
	ck_assert_uint_eq(lfp_test_json_u(out, "frees"), 1);
	/* 10 bytes from the default smallest class, a cache line */
	ck_assert_uint_eq(lfp_test_json_u(out, "bytes_in_use"), 64 + 2 * 1024);
	ck_assert_ptr_nonnull(strstr(out, "\"classes\":[{\"size\":64,"));
	/* what one cache may hold: two magazines of every class */
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	for (unsigned int i = 0; i < st.nclasses; i++)
		max += 2 * (uint64_t)st.cls[i].mag_rounds * st.cls[i].size;
	ck_assert_uint_gt(st.nclasses, 1);
	ck_assert_uint_eq(st.cache_bytes_max, max);
	ck_assert_uint_eq(lfp_test_json_u(out, "cache_bytes_max"), max);
	free(out);

	ck_assert_int_eq(lfp_bufpool_stats_print(NULL, stdout, 0), -EINVAL);
	ck_assert_int_eq(lfp_bufpool_stats_print(bp, NULL, 0), -EINVAL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(lfp_bufpool_free(bp, b[i]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* A stream that cannot be written reports -EIO. */
START_TEST(test_print_write_error)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		printf("# SKIP no /dev/full\n");
		return;
	}
	setvbuf(f, NULL, _IONBF, 0);
	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 8;
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(lfp_objpool_stats_print(pool, f, 0), -EIO);
	fclose(f);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = lfp_test_tcase(s, "print");

	tcase_add_test(tc, test_objpool_print);
	tcase_add_test(tc, test_bufpool_print);
	tcase_add_test(tc, test_print_write_error);
	return s;
}

int
main(void)
{
	return lfp_test_run(stats_suite());
}
