/* SPDX-License-Identifier: MIT */
/*
 * test_dlopen.c - lfpool loaded with dlopen(), as a dependency of a
 * plugin (dlmod.c), by a program that is not linked with it. lfpool's
 * thread-local state uses the initial-exec TLS model, which a library
 * loaded late can use only while it fits glibc's surplus of static TLS
 * (doc/lfpool.7). Threads started before the dlopen() (whose static TLS
 * was laid out without lfpool) and after it use pools of both cache
 * modes, exit (handing their caches back), and the pools are destroyed
 * with nothing out. The plugin is never unloaded: a pthread key
 * destructor and fork handlers of lfpool point into it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "test-common.h"

/* The cache modes of <lfpool/common.h>, which this program may not
 * include: per-thread, and automatic (per-CPU where it can be). */
static const int modes[] = { 2, 0 };
#define NMODES 2
#define NTHREADS 4

static int (*dl_create)(unsigned int k, int mode);
static int (*dl_cycle)(unsigned int k, unsigned int n, unsigned int seed);
static int (*dl_destroy)(unsigned int k);

struct worker {
	struct gate *go;        /* NULL: start at once */
	unsigned int id;
	int rc;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->go)
		gate_wait(w->go);
	for (unsigned int round = 0; round < 20 && !w->rc; round++)
		for (unsigned int k = 0; k < NMODES && !w->rc; k++)
			w->rc = dl_cycle(k, 1 + (w->id * 31 + round * 7) % 200,
					 w->id + round);
	return NULL;
}

START_TEST(test_dlopen_threads)
{
	struct worker early = { 0 }, w[NTHREADS];
	pthread_t early_tid, tid[NTHREADS];
	struct gate go;
	void *h;
	unsigned int i, k;

	ck_assert_msg(dlsym(RTLD_DEFAULT, "lfp_objpool_create") == NULL,
		      "this program must not be linked with liblfpool");
	/* a thread that exists before lfpool is loaded */
	gate_init(&go);
	early.go = &go;
	early.id = 99;
	ck_assert_int_eq(pthread_create(&early_tid, NULL, worker_main,
					&early), 0);

	h = dlopen(LFP_DLMOD_PATH, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen(%s): %s", LFP_DLMOD_PATH, dlerror());
	*(void **)&dl_create = dlsym(h, "dlmod_create");
	*(void **)&dl_cycle = dlsym(h, "dlmod_cycle");
	*(void **)&dl_destroy = dlsym(h, "dlmod_destroy");
	ck_assert(dl_create && dl_cycle && dl_destroy);
	for (k = 0; k < NMODES; k++)
		ck_assert_int_eq(dl_create(k, modes[k]), 0);

	gate_open(&go);
	for (i = 0; i < NTHREADS; i++) {
		w[i].go = NULL;
		w[i].id = i;
		w[i].rc = 0;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, worker_main,
						&w[i]), 0);
	}
	for (k = 0; k < NMODES; k++)
		ck_assert_int_eq(dl_cycle(k, 150, 5), 0);
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
		ck_assert_msg(w[i].rc == 0, "thread %u: %d", i, w[i].rc);
	}
	ck_assert_int_eq(pthread_join(early_tid, NULL), 0);
	ck_assert_msg(early.rc == 0, "the thread started before dlopen: %d",
		      early.rc);
	/* the exited threads' caches came back; the main thread's are put
	 * back by its own cycles (nothing is out) */
	for (k = 0; k < NMODES; k++)
		ck_assert_int_eq(dl_destroy(k), 0);
	gate_destroy(&go);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dlopen");
	TCase *tc = lfp_test_tcase(s, "dlopen");

	tcase_add_test(tc, test_dlopen_threads);
	return lfp_test_run(s);
}
