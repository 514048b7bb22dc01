/* SPDX-License-Identifier: MIT */
/*
 * test_build.c - proves the public headers build on their own: this file
 * is compiled as strict C11 with -pedantic-errors and includes
 * <lfpool/objpool.h> first, alone, before the umbrella <lfpool.h>; the
 * test_build_<header>.c files include each other header alone, and
 * test_build_cxx.cc includes <lfpool.h> from C++. The tests call
 * every public function through the umbrella header, and the C++ side.
 */
#include <lfpool/objpool.h>
#include <lfpool/objpool.h> /* include guards hold */

/* objpool.h alone declares the object pool API and its types. */
static struct lfp_objpool_attr build_attr_alone;
static lfp_ctor_fn build_ctor_alone;
static lfp_dtor_fn build_dtor_alone;

#include <lfpool.h>
#include <lfpool.h>

#include "test-common.h"

/* Defined in test_build_cxx.cc, built as C++. */
int lfp_test_cxx(void);
/* Defined in test_build_<header>.c, each including one header alone. */
int lfp_test_build_common(void);
int lfp_test_build_version(void);
int lfp_test_build_thread(void);
int lfp_test_build_bufpool(void);
int lfp_test_build_check(void);
int lfp_test_build_stats(void);

static int
build_ctor(void *obj, void *arg)
{
	int *count = arg;

	*(unsigned int *)obj = 0xc0ffeeu;
	++*count;
	return 0;
}

static void
build_dtor(void *obj, void *arg)
{
	int *count = arg;

	if (*(unsigned int *)obj == 0xc0ffeeu)
		--*count;
}

START_TEST(test_cxx)
{
	ck_assert_int_eq(lfp_test_cxx(), 0);
}
END_TEST

START_TEST(test_headers_alone)
{
	ck_assert_int_eq(lfp_test_build_common(), 16);
	ck_assert_int_ge(lfp_test_build_version(), 1);
	ck_assert_int_eq(lfp_test_build_thread(), 1);
	ck_assert_int_gt(lfp_test_build_bufpool(), 1);
	ck_assert_int_eq(lfp_test_build_check(), LFP_MISUSE_FOREIGN);
	ck_assert_int_eq(lfp_test_build_stats(), -EINVAL);
}
END_TEST

START_TEST(test_macros)
{
	ck_assert_uint_eq(LFP_OBJPOOL_SIZE_MAX, (size_t)64 << 20);
	ck_assert_uint_eq(LFP_MAG_ROUNDS_MAX, 1024);
	ck_assert_int_ge(LFP_VERSION_MAJOR, 0);
	ck_assert_int_ge(LFP_VERSION_MINOR, 0);
	ck_assert_int_ge(LFP_VERSION_PATCH, 0);
	ck_assert_ptr_null(build_attr_alone.name);
	ck_assert(build_ctor_alone == NULL);
	ck_assert(build_dtor_alone == NULL);
}
END_TEST

/* Every public function, once, through the umbrella header. */
START_TEST(test_every_function)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *objs[4];
	void *obj;
	int live = 0;

	ck_assert_str_eq(lfp_version(), LFP_VERSION_STRING);
	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = sizeof(unsigned int);
	attr.ctor = build_ctor;
	attr.dtor = build_dtor;
	attr.arg = &live;
	attr.name = "build";
	pool = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(pool);

	obj = lfp_objpool_get(pool);
	ck_assert_ptr_nonnull(obj);
	ck_assert_uint_eq(*(unsigned int *)obj, 0xc0ffeeu);
	ck_assert_int_eq(lfp_objpool_put(pool, obj), 0);
	ck_assert_uint_eq(lfp_objpool_get_bulk(pool, objs, 4), 4);
	ck_assert_uint_eq(lfp_objpool_put_bulk(pool, objs, 4), 4);
	lfp_thread_flush();
	ck_assert_int_eq(lfp_objpool_stats(pool, &st), 0);
	ck_assert_str_eq(st.name, "build");
	ck_assert_uint_eq(st.gets, 5);
	ck_assert_uint_eq(st.puts, 5);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.objects, (uint64_t)live);
	ck_assert_int_eq(lfp_objpool_destroy(pool), 0);
	/* the destructor ran once for every constructed object */
	ck_assert_int_eq(live, 0);
}
END_TEST

START_TEST(test_every_bufpool_function)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool_stats st;
	struct lfp_bufpool *bp;
	void *buf;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.name = "build";
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	buf = lfp_bufpool_alloc(bp, 100);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(lfp_bufpool_capacity(bp, buf), 128);
	ck_assert_int_eq(lfp_bufpool_free(bp, buf), 0);
	ck_assert_int_eq(lfp_bufpool_stats(bp, &st), 0);
	ck_assert_str_eq(st.name, "build");
	ck_assert_uint_eq(st.allocs, 1);
	ck_assert_uint_eq(st.frees, 1);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

static Suite *
build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = lfp_test_tcase(s, "headers");

	tcase_add_test(tc, test_cxx);
	tcase_add_test(tc, test_headers_alone);
	tcase_add_test(tc, test_macros);
	tcase_add_test(tc, test_every_function);
	tcase_add_test(tc, test_every_bufpool_function);
	return s;
}

int
main(void)
{
	return lfp_test_run(build_suite());
}
