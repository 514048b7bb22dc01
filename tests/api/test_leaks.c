/* SPDX-License-Identifier: MIT */
/*
 * test_leaks.c - leak reports at destroy in checked mode: how many
 * objects and buffers are still out and which (LFP_MISUSE_LEAK), none
 * when all came back, and with sites (the flag, or LFP_CHECKED=sites)
 * one report per site, largest first, named after the function of this
 * program that got them (it is linked with -rdynamic, so that dladdr()
 * finds its functions); a get run by a constructor keeps its own site
 * and leaves the outer get's alone. Without a handler the reports go to
 * stderr and the process aborts.
 */
#define _GNU_SOURCE
#include "test-common.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lfpool.h>

/* What the handler was told, one entry per report. */
#define REPORTS_MAX 16
#define OBJS_MAX 256

struct report {
	enum lfp_misuse_kind kind;
	char pool[64];
	const void *ptr, *site;
	char site_name[256];
	bool has_site_name, has_objs;
	size_t count, total;
	const void *objs[OBJS_MAX];
};

static struct report reports[REPORTS_MAX];
static unsigned int nreports;

static void
record(const struct lfp_misuse *m, void *arg)
{
	struct report *r;

	(void)arg;
	ck_assert_uint_lt(nreports, REPORTS_MAX);
	r = &reports[nreports++];
	memset(r, 0, sizeof(*r));
	r->kind = m->kind;
	snprintf(r->pool, sizeof(r->pool), "%s", m->pool);
	r->ptr = m->ptr;
	r->site = m->site;
	r->count = m->count;
	r->total = m->total;
	r->has_site_name = m->site_name != NULL;
	if (m->site_name)
		snprintf(r->site_name, sizeof(r->site_name), "%s",
			 m->site_name);
	r->has_objs = m->objs != NULL;
	for (size_t i = 0; m->objs && i < m->count && i < OBJS_MAX; i++)
		r->objs[i] = m->objs[i];
}

static void
setup(void)
{
	nreports = 0;
	unsetenv("LFP_CHECKED");
	lfp_misuse_set_handler(record, NULL);
}

static void
teardown(void)
{
	lfp_misuse_set_handler(NULL, NULL);
	unsetenv("LFP_CHECKED");
}

static struct lfp_objpool *
objpool(const char *name, unsigned int flags, lfp_ctor_fn ctor,
	lfp_dtor_fn dtor)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = 48;
	attr.name = name;
	attr.flags = flags;
	attr.ctor = ctor;
	attr.dtor = dtor;
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	return p;
}

static struct lfp_bufpool *
bufpool(const char *name, unsigned int flags)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.name = name;
	attr.flags = flags;
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	return bp;
}

/* Whether the @n pointers @a are those of @b, in any order. */
static bool
same_set(const void *const *a, const void *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < n && a[i] != b[j])
			j++;
		if (j == n)
			return false;
	}
	return true;
}

/*
 * The sites: functions of this program, not static, never inlined nor
 * cloned (GCC's noipa), so that each get's return address lies in one of
 * them and dladdr() names it. Each gets @n objects (or buffers) into @out.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define SITE __attribute__((noipa))
#else
#define SITE __attribute__((noinline))
#endif

void leak_site_one(struct lfp_objpool *p, void **out, size_t n);
void leak_site_two(struct lfp_objpool *p, void **out, size_t n);
void leak_site_bulk(struct lfp_objpool *p, void **out, size_t n);
void leak_site_alloc(struct lfp_bufpool *bp, void **out, size_t n,
		     size_t size);
void leak_site_alloc_bulk(struct lfp_bufpool *bp, void **out, size_t n);
int leak_ctor_getter(void *obj, void *arg);

SITE void
leak_site_one(struct lfp_objpool *p, void **out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = lfp_objpool_get(p);
		ck_assert_ptr_nonnull(out[i]);
	}
}

SITE void
leak_site_two(struct lfp_objpool *p, void **out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = lfp_objpool_get(p);
		ck_assert_ptr_nonnull(out[i]);
	}
}

SITE void
leak_site_bulk(struct lfp_objpool *p, void **out, size_t n)
{
	ck_assert_uint_eq(lfp_objpool_get_bulk(p, out, n), n);
}

SITE void
leak_site_alloc(struct lfp_bufpool *bp, void **out, size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = lfp_bufpool_alloc(bp, size);
		ck_assert_ptr_nonnull(out[i]);
	}
}

SITE void
leak_site_alloc_bulk(struct lfp_bufpool *bp, void **out, size_t n)
{
	ck_assert_uint_eq(lfp_bufpool_alloc_bulk(bp, 3000, out, n), n);
}

/* The site named @fn: "fn+0x..." with the offset of report @r's site. */
static void
expect_site(const struct report *r, const char *fn, void (*addr)(void))
{
	char want[300];

	ck_assert_msg(r->has_site_name, "no site name");
	ck_assert_ptr_nonnull(r->site);
	snprintf(want, sizeof(want), "%s+0x%tx", fn,
		 (const char *)r->site - (const char *)(void *)addr);
	ck_assert_str_eq(r->site_name, want);
	/* The return address lies inside the function. */
	ck_assert((const char *)r->site > (const char *)(void *)addr);
	ck_assert((const char *)r->site < (const char *)(void *)addr + 4096);
}

#define FN(f) #f, (void (*)(void))(f)

START_TEST(test_no_leak_no_report)
{
	struct lfp_objpool *p = objpool("quiet", LFP_OBJPOOL_F_SITES, NULL,
					NULL);
	struct lfp_bufpool *bp = bufpool("quiet-buf", LFP_BUFPOOL_F_CHECKED);
	void *o[10];

	leak_site_one(p, o, 10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(lfp_objpool_put(p, o[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(o[i] = lfp_bufpool_alloc(bp, 64 << i));
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(lfp_bufpool_free(bp, o[i]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_uint_eq(nreports, 0);
}
END_TEST

/* Checked without sites: one report, every object still out, no site. */
START_TEST(test_leak_count)
{
	struct lfp_objpool *p = objpool("conns", LFP_OBJPOOL_F_CHECKED, NULL,
					NULL);
	void *o[10], *rcu;
	const void *out[3];

	leak_site_one(p, o, 10);
	/* Put back, plainly and deferred: not leaks. */
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(lfp_objpool_put(p, o[i]), 0);
	rcu = o[6];
	ck_assert_int_eq(lfp_objpool_put_rcu(p, rcu), 0);
	out[0] = o[7];
	out[1] = o[8];
	out[2] = o[9];
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_uint_eq(nreports, 1);
	ck_assert_int_eq(reports[0].kind, LFP_MISUSE_LEAK);
	ck_assert_str_eq(reports[0].pool, "conns");
	ck_assert_uint_eq(reports[0].count, 3);
	ck_assert_uint_eq(reports[0].total, 3);
	ck_assert_ptr_null(reports[0].site);
	ck_assert(!reports[0].has_site_name);
	ck_assert(reports[0].has_objs);
	ck_assert(same_set(reports[0].objs, out, 3));
	ck_assert_ptr_eq(reports[0].ptr, reports[0].objs[0]);
}
END_TEST

/* Sites: one report per function, the largest first. */
START_TEST(test_leak_sites)
{
	struct lfp_objpool *p = objpool("conns", LFP_OBJPOOL_F_SITES, NULL,
					NULL);
	void *a[5], *b[2], *c[4], *back[8];

	leak_site_one(p, back, 8);
	leak_site_one(p, a, 5);
	leak_site_two(p, b, 2);
	leak_site_bulk(p, c, 4);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(lfp_objpool_put(p, back[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_uint_eq(nreports, 3);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_int_eq(reports[i].kind, LFP_MISUSE_LEAK);
		ck_assert_uint_eq(reports[i].total, 11);
		ck_assert(reports[i].has_objs);
	}
	ck_assert_uint_eq(reports[0].count, 5);
	expect_site(&reports[0], FN(leak_site_one));
	ck_assert(same_set(reports[0].objs, (const void **)a, 5));
	ck_assert_uint_eq(reports[1].count, 4);
	expect_site(&reports[1], FN(leak_site_bulk));
	ck_assert(same_set(reports[1].objs, (const void **)c, 4));
	ck_assert_uint_eq(reports[2].count, 2);
	expect_site(&reports[2], FN(leak_site_two));
	ck_assert(same_set(reports[2].objs, (const void **)b, 2));
}
END_TEST

/* A buffer pool: its classes together, by site. */
START_TEST(test_leak_bufpool_sites)
{
	struct lfp_bufpool *bp = bufpool("bufs", LFP_BUFPOOL_F_SITES);
	void *x[3], *y[3], *z[2];

	leak_site_alloc(bp, x, 2, 100);
	leak_site_alloc(bp, x + 2, 1, 60000);
	leak_site_alloc_bulk(bp, y, 3);
	leak_site_alloc(bp, z, 2, 16);
	ck_assert_int_eq(lfp_bufpool_free(bp, z[0]), 0);
	ck_assert_int_eq(lfp_bufpool_free(bp, z[1]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_uint_eq(nreports, 2);
	/* 3 and 3: the lower address goes first. */
	for (unsigned int i = 0; i < 2; i++) {
		const struct report *r = &reports[i];

		ck_assert_uint_eq(r->count, 3);
		ck_assert_uint_eq(r->total, 6);
		ck_assert_str_eq(r->pool, "bufs");
		if (strstr(r->site_name, "leak_site_alloc_bulk+") ==
		    r->site_name) {
			expect_site(r, FN(leak_site_alloc_bulk));
			ck_assert(same_set(r->objs, (const void **)y, 3));
		} else {
			expect_site(r, FN(leak_site_alloc));
			ck_assert(same_set(r->objs, (const void **)x, 3));
		}
	}
	ck_assert(reports[0].site < reports[1].site);
	ck_assert(strcmp(reports[0].site_name, reports[1].site_name) != 0);
}
END_TEST

/* LFP_CHECKED=sites: pools created meanwhile record sites; =1 does not. */
START_TEST(test_leak_env)
{
	struct lfp_objpool *p;
	struct lfp_bufpool *bp;
	void *o[2];

	setenv("LFP_CHECKED", "sites", 1);
	p = objpool("env", 0, NULL, NULL);
	bp = bufpool("env-buf", 0);
	setenv("LFP_CHECKED", "1", 1);
	leak_site_two(p, o, 2);
	leak_site_alloc(bp, o, 1, 10);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_uint_eq(nreports, 2);
	expect_site(&reports[0], FN(leak_site_two));
	ck_assert_uint_eq(reports[0].count, 2);
	expect_site(&reports[1], FN(leak_site_alloc));

	p = objpool("env-1", 0, NULL, NULL);
	leak_site_two(p, o, 1);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_uint_eq(nreports, 3);
	ck_assert_uint_eq(reports[2].count, 1);
	ck_assert_ptr_null(reports[2].site);

	setenv("LFP_CHECKED", "yes", 1);        /* ignored: not checked */
	p = objpool("env-other", 0, NULL, NULL);
	leak_site_two(p, o, 1);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_uint_eq(nreports, 3);
}
END_TEST

/*
 * A constructor that gets from another pool with sites: that get's site
 * is the constructor, and the outer get's site stays the outer caller.
 */
static struct lfp_objpool *inner;

SITE int
leak_ctor_getter(void *obj, void *arg)
{
	(void)arg;
	*(void **)obj = lfp_objpool_get(inner);
	return *(void **)obj ? 0 : ENOMEM;
}

static void
inner_putter(void *obj, void *arg)
{
	(void)arg;
	ck_assert_int_eq(lfp_objpool_put(inner, *(void **)obj), 0);
}

START_TEST(test_leak_nested_site)
{
	struct lfp_objpool *outer;
	void *o[1];

	inner = objpool("inner", LFP_OBJPOOL_F_SITES, NULL, NULL);
	outer = objpool("outer", LFP_OBJPOOL_F_SITES, leak_ctor_getter,
			inner_putter);
	leak_site_one(outer, o, 1);
	ck_assert_int_eq(lfp_objpool_destroy(outer), 0);
	ck_assert_uint_eq(nreports, 1);
	ck_assert_str_eq(reports[0].pool, "outer");
	ck_assert_uint_eq(reports[0].count, 1);
	expect_site(&reports[0], FN(leak_site_one));
	/* The leaked outer object kept its inner one: never put. */
	ck_assert_int_eq(lfp_objpool_destroy(inner), 0);
	ck_assert_uint_eq(nreports, 2);
	ck_assert_str_eq(reports[1].pool, "inner");
	ck_assert_uint_eq(reports[1].count, 1);
	expect_site(&reports[1], FN(leak_ctor_getter));
}
END_TEST

/* A pool that is not checked reports nothing. */
START_TEST(test_unchecked_silent)
{
	struct lfp_objpool *p = objpool("plain", 0, NULL, NULL);
	void *o[3];

	leak_site_one(p, o, 3);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_uint_eq(nreports, 0);
}
END_TEST

/* No handler: every report on stderr, then abort. */
START_TEST(test_leak_default_handler)
{
	int fds[2], st;
	char buf[4096];
	ssize_t n, len = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct lfp_objpool *p;
		void *o[4];

		dup2(fds[1], 2);
		lfp_misuse_set_handler(NULL, NULL);
		p = objpool("conns", LFP_OBJPOOL_F_SITES, NULL, NULL);
		leak_site_one(p, o, 3);
		leak_site_two(p, o + 3, 1);
		lfp_objpool_destroy(p);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		      "status %#x, stderr: %s", st, buf);
	ck_assert_msg(strstr(buf, "lfpool: leak: 3 objects of pool \"conns\" "
			     "got at leak_site_one+0x") == buf,
		      "stderr: %s", buf);
	ck_assert_msg(strstr(buf, "\nlfpool: leak: 1 objects of pool "
			     "\"conns\" got at leak_site_two+0x") != NULL,
		      "stderr: %s", buf);
	ck_assert(strstr(buf, " were never put (the first at 0x") != NULL);
}
END_TEST

static Suite *
leaks_suite(void)
{
	Suite *s = suite_create("leaks");
	TCase *tc = tcase_create("leaks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_leak_no_report);
	tcase_add_test(tc, test_leak_count);
	tcase_add_test(tc, test_leak_sites);
	tcase_add_test(tc, test_leak_bufpool_sites);
	tcase_add_test(tc, test_leak_env);
	tcase_add_test(tc, test_leak_nested_site);
	tcase_add_test(tc, test_unchecked_silent);
	tcase_add_test(tc, test_leak_default_handler);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return lfp_test_run(leaks_suite());
}
