/* SPDX-License-Identifier: MIT */
/*
 * test-common.h - helpers shared by every test program: the Check runner
 * (TAP output through the automake driver), the stress scale factor, a
 * gate (one thread waits until another opens it), and a small
 * deterministic PRNG.
 */
#ifndef LFP_TEST_COMMON_H
#define LFP_TEST_COMMON_H

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

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

#endif /* LFP_TEST_COMMON_H */
