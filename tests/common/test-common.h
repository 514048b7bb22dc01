/* SPDX-License-Identifier: MIT */
/*
 * test-common.h - helpers shared by every test program: the Check runner
 * (TAP output through the automake driver) and its test cases, the stress
 * scale factor, a number read from JSON output, a call in a thread of its
 * own, a gate (one thread waits until another opens it), a small
 * deterministic PRNG, whether the program runs under valgrind (which
 * makes cached objects inaccessible to the program too, runs no rseq and
 * at most 500 threads), and (in programs built with _GNU_SOURCE) moving
 * the calling thread between CPUs, for the tests of per-CPU caches.
 */
#ifndef LFP_TEST_COMMON_H
#define LFP_TEST_COMMON_H

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* The unsigned value of "key": in @json (its first occurrence). */
static inline unsigned long long
lfp_test_json_u(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no %s in %s", key, json);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* Run the suite; returns the process exit status. */
static inline int
lfp_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * A test case named @name, added to @s at once (its tests and fixtures
 * follow); the suite runs its test cases in the order they were made.
 */
static inline TCase *
lfp_test_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	suite_add_tcase(s, tc);
	return tc;
}

/* LFP_STRESS_SCALE: 1 in make check, larger in make regtest. */
static inline unsigned int
lfp_test_scale(void)
{
	const char *s = getenv("LFP_STRESS_SCALE");
	long v = s ? strtol(s, NULL, 10) : 1;

	return v > 0 ? (unsigned int)v : 1;
}

static inline unsigned int
lfp_test_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

/* qsort() order of pointers: by address. */
static inline int
lfp_test_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a;
	uintptr_t y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * The index of the first of the @n bytes at @p that is not @byte, or @n.
 * Tests check a filled object with this and then one assertion: Check
 * records every assertion that passes with a write(2), which made a check
 * per byte cost millions of system calls (minutes in a virtual machine).
 */
static inline size_t
lfp_test_first_not(const void *p, int byte, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n && b[i] == (unsigned char)byte; i++)
		;
	return i;
}

/* xorshift64*: deterministic, one state per thread. */
static inline uint64_t
lfp_test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Run @fn(@arg) in a thread of its own, wait for it; what it returned. */
static inline void *
lfp_test_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t tid;
	void *ret = NULL;

	ck_assert_int_eq(pthread_create(&tid, NULL, fn, arg), 0);
	ck_assert_int_eq(pthread_join(tid, &ret), 0);
	return ret;
}

/* A gate: a thread blocks in gate_wait() until another opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int open;
};

static inline void
gate_init(struct gate *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->open = 0;
}

static inline void
gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

static inline void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static inline void
gate_wait(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

#ifdef _GNU_SOURCE
#include <sched.h>

/*
 * The CPUs the calling thread may run on, lowest first: up to @max of
 * them into @cpus. Returns how many there are in all (at least 1: the
 * CPU it runs on, if the mask cannot be read).
 */
static inline unsigned int
lfp_test_allowed_cpus(int *cpus, unsigned int max)
{
	cpu_set_t set;
	unsigned int n = 0;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		cpu = sched_getcpu();
		if (max)
			cpus[0] = cpu < 0 ? 0 : cpu;
		return 1;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (n < max)
			cpus[n] = cpu;
		n++;
	}
	return n;
}

/*
 * Run the calling thread on @cpu alone; the kernel has moved it there
 * when this returns 0. Otherwise returns the errno value.
 */
static inline int
lfp_test_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/* The affinity lfp_test_stay_setup() found, for its teardown. */
static inline cpu_set_t *
lfp_test_stay_saved(void)
{
	static cpu_set_t saved;

	return &saved;
}

/*
 * A checked fixture (tcase_add_checked_fixture()) for tests of one
 * thread's sequence of calls that expect it to meet the same cache
 * throughout: reuse of what it just put, exact hit counts, no new carving.
 * In per-CPU mode a migration would leave the objects in the previous
 * CPU's cache, out of the thread's reach until a flush; staying on the CPU
 * it runs on, the thread meets one cache as it meets its own in per-thread
 * mode. Threads the test creates inherit the affinity. The teardown puts
 * the affinity back (it matters with CK_FORK=no).
 */
static inline void
lfp_test_stay_setup(void)
{
	int cpu = sched_getcpu();

	ck_assert_int_eq(sched_getaffinity(0, sizeof(cpu_set_t),
					   lfp_test_stay_saved()), 0);
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_eq(lfp_test_pin(cpu), 0);
}

static inline void
lfp_test_stay_teardown(void)
{
	sched_setaffinity(0, sizeof(cpu_set_t), lfp_test_stay_saved());
}

/* A test case (lfp_test_tcase()) whose tests stay on one CPU. */
static inline TCase *
lfp_test_stay_tcase(Suite *s, const char *name)
{
	TCase *tc = lfp_test_tcase(s, name);

	tcase_add_checked_fixture(tc, lfp_test_stay_setup,
				  lfp_test_stay_teardown);
	return tc;
}
#endif /* _GNU_SOURCE */

#endif /* LFP_TEST_COMMON_H */
