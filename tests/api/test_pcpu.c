/* SPDX-License-Identifier: MIT */
/*
 * test_pcpu.c - black-box tests of the cache modes of object and buffer
 * pools (enum lfp_cache_mode of <lfpool/common.h>): how a pool's mode is
 * chosen (attribute, LFP_CACHE_MODE in the environment, automatic) and
 * reported (lfp_*_cache_mode(), stats), the refusal of an unknown mode,
 * and what per-CPU caches promise: objects a thread left in the cache of
 * a CPU it no longer runs on are reachable again after lfp_*_flush(); a
 * trim drains every CPU's cache, runs the destructor once on each object
 * it frees, and gives the memory back to the system (resident memory
 * falls); an idle trim keeps the working set; and idle threads do not
 * make caches grow (1,000 threads: per-CPU caches stay bounded by CPUs,
 * per-thread caches count one per thread).
 *
 * Where the process cannot run per-CPU caches (no rseq registered by
 * glibc, as with GLIBC_TUNABLES=glibc.pthread.rseq=0, no membarrier rseq
 * command, neither x86-64 nor aarch64), or the thread may run on one CPU
 * only, the tests that need them print a "# SKIP" diagnostic with the
 * reason and pass. Tests that hold for both modes run in both. Where the
 * mode is known, LFP_TEST_EXPECT_MODE=percpu (or perthread) in the
 * environment makes the program fail at once when automatic pools get
 * another one, instead of skipping (the virtual machines' runs set it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lfpool.h>

#include "test-api.h"
#include "test-counts.h"

#define MIB ((size_t)1 << 20)

/* ---- helpers --------------------------------------------------------- */

/* An object pool of @size bytes in @mode; counted by @c if not NULL. */
static struct lfp_objpool *
make_objpool(size_t size, unsigned int rounds, int mode, struct counts *c)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.mag_rounds = rounds;
	attr.cache_mode = mode;
	attr.name = "pcpu";
	if (c) {
		attr.ctor = count_ctor;
		attr.dtor = count_dtor;
		attr.arg = c;
	}
	errno = 0;
	pool = lfp_objpool_create(&attr);
	ck_assert_msg(pool != NULL, "objpool create (mode %d): errno %d", mode,
		      errno);
	return pool;
}

static struct lfp_bufpool *
make_bufpool(int mode)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.cache_mode = mode;
	attr.name = "pcpu";
	errno = 0;
	bp = lfp_bufpool_create(&attr);
	ck_assert_msg(bp != NULL, "bufpool create (mode %d): errno %d", mode,
		      errno);
	return bp;
}

/* Sort @objs and check that the @n objects of @size bytes are disjoint. */
static void
check_disjoint(void **objs, size_t n, size_t size)
{
	size_t i;

	qsort(objs, n, sizeof(*objs), lfp_test_cmp_ptr);
	for (i = 0; i + 1 < n; i++)
		ck_assert_msg((uintptr_t)objs[i] + size <=
			      (uintptr_t)objs[i + 1],
			      "objects %p and %p repeat or overlap", objs[i],
			      objs[i + 1]);
}

/*
 * The mode an automatic pool gets with LFP_CACHE_MODE unset: per-CPU
 * where the process can run it; -1 if something failed. The variable is
 * put back as it was. No Check assertion: main() calls it too.
 */
static int
auto_mode_unset(void)
{
	const char *v = getenv("LFP_CACHE_MODE");
	char *saved = v ? strdup(v) : NULL;
	struct lfp_objpool_attr attr;
	struct lfp_objpool *pool;
	int mode = -1;

	if ((v && !saved) || unsetenv("LFP_CACHE_MODE"))
		return -1;
	lfp_objpool_attr_init(&attr);
	attr.size = 64;
	pool = lfp_objpool_create(&attr);
	if (pool) {
		mode = lfp_objpool_cache_mode(pool);
		lfp_objpool_destroy(pool);
	}
	if (saved) {
		if (setenv("LFP_CACHE_MODE", saved, 1))
			mode = -1;
		free(saved);
	}
	return mode;
}

/* Decided once, in main(), before the tests fork. */
static int auto_mode;

static bool
pcpu_available(void)
{
	return auto_mode == LFP_CACHE_PER_CPU;
}

/*
 * A TAP diagnostic: the driver shows it; the test then passes. @test is
 * the test's __func__ (Check names it test_x_fn).
 */
static void
skip(const char *test, const char *why)
{
	size_t len = strlen(test);

	if (len > 3 && !strcmp(test + len - 3, "_fn"))
		len -= 3;
	printf("# SKIP %.*s: %s\n", (int)len, test, why);
	fflush(stdout);
}

#define SKIP_UNLESS_PCPU()                                              \
	do {                                                            \
		if (!pcpu_available()) {                                \
			skip(__func__, "per-CPU caches are unavailable " \
			     "(no rseq registered by glibc, no "        \
			     "membarrier rseq command, or neither "     \
			     "x86-64 nor aarch64)");                    \
			return;                                         \
		}                                                       \
	} while (0)

/*
 * The first two CPUs this thread may run on, into cpus[0..1]; skips the
 * test (returns false) if there is only one.
 */
static bool
two_cpus(const char *test, int cpus[2])
{
	if (lfp_test_allowed_cpus(cpus, 2) >= 2)
		return true;
	skip(test, "the thread may run on one CPU only");
	return false;
}

/* Move the calling thread to @cpu, and check that it runs there. */
static void
pin(int cpu)
{
	int err = lfp_test_pin(cpu);

	ck_assert_msg(err == 0, "sched_setaffinity(CPU %d): errno %d", cpu,
		      err);
	ck_assert_int_eq(sched_getcpu(), cpu);
}

/* The thread's affinity before a test that moves it (a checked fixture:
 * with CK_FORK=no the next test must not inherit the move). */
static cpu_set_t saved_affinity;

static void
affinity_save(void)
{
	ck_assert_int_eq(sched_getaffinity(0, sizeof(saved_affinity),
					   &saved_affinity), 0);
}

static void
affinity_restore(void)
{
	sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
}

/* Resident memory of the process, in bytes (/proc/self/statm). */
static size_t
rss_bytes(void)
{
	unsigned long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	ck_assert_ptr_nonnull(f);
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	ck_assert_int_eq(n, 2);
	return (size_t)resident * (size_t)(page > 0 ? page : 4096);
}

/* The modes loop tests run in, by loop index. */
static const int loop_modes[] = { LFP_CACHE_PER_CPU, LFP_CACHE_PER_THREAD };

/* Skip a loop test's per-CPU pass where per-CPU caches are unavailable. */
#define SKIP_UNLESS_MODE(mode)                                          \
	do {                                                            \
		if ((mode) == LFP_CACHE_PER_CPU)                        \
			SKIP_UNLESS_PCPU();                             \
	} while (0)

/* ---- mode: choice and report ----------------------------------------- */

START_TEST(test_mode_resolution)
{
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	int pcpu = pcpu_available() ? LFP_CACHE_PER_CPU : LFP_CACHE_PER_THREAD;

	/* per-thread is always at hand */
	op = make_objpool(64, 0, LFP_CACHE_PER_THREAD, NULL);
	ck_assert_int_eq(lfp_objpool_cache_mode(op), LFP_CACHE_PER_THREAD);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	bp = make_bufpool(LFP_CACHE_PER_THREAD);
	ck_assert_int_eq(lfp_bufpool_cache_mode(bp), LFP_CACHE_PER_THREAD);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);

	/* per-CPU where available, else the per-thread fallback; automatic
	 * (with LFP_CACHE_MODE unset) picks the same */
	op = make_objpool(64, 0, LFP_CACHE_PER_CPU, NULL);
	ck_assert_int_eq(lfp_objpool_cache_mode(op), pcpu);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	bp = make_bufpool(LFP_CACHE_PER_CPU);
	ck_assert_int_eq(lfp_bufpool_cache_mode(bp), pcpu);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	ck_assert_int_eq(auto_mode_unset(), pcpu);
	ck_assert_int_eq(auto_mode, pcpu);

	/* automatic resolves to one of the two, never stays automatic */
	op = make_objpool(64, 0, LFP_CACHE_AUTO, NULL);
	ck_assert(lfp_objpool_cache_mode(op) == LFP_CACHE_PER_CPU ||
		  lfp_objpool_cache_mode(op) == LFP_CACHE_PER_THREAD);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);

	errno = ERRNO_SENTINEL;
	ck_assert_int_eq(lfp_objpool_cache_mode(NULL), -EINVAL);
	ck_assert_int_eq(lfp_bufpool_cache_mode(NULL), -EINVAL);
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
}
END_TEST

START_TEST(test_mode_invalid)
{
	static const int bad[] = { -1, 3, 42, INT_MAX, INT_MIN };
	struct lfp_objpool_attr oattr;
	struct lfp_bufpool_attr battr;
	size_t i;

	ck_assert_int_eq(lfp_objpool_attr_init(&oattr), 0);
	ck_assert_int_eq(lfp_bufpool_attr_init(&battr), 0);
	oattr.size = 64;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oattr.cache_mode = bad[i];
		errno = 0;
		ck_assert_msg(lfp_objpool_create(&oattr) == NULL,
			      "objpool accepted cache_mode %d", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		battr.cache_mode = bad[i];
		errno = 0;
		ck_assert_msg(lfp_bufpool_create(&battr) == NULL,
			      "bufpool accepted cache_mode %d", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

/* Stats report the mode the pool runs in, and the caches it has. */
START_TEST(test_stats_mode)
{
	static const int modes[] = { LFP_CACHE_AUTO, LFP_CACHE_PER_CPU,
				     LFP_CACHE_PER_THREAD };
	struct lfp_objpool_stats ost;
	struct lfp_bufpool_stats bst;
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	size_t i;
	void *o;
	int mode, want;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		op = make_objpool(64, 0, modes[i], NULL);
		mode = lfp_objpool_cache_mode(op);
		ost = obj_stats(op);
		ck_assert_int_eq(ost.cache_mode, mode);
		o = lfp_objpool_get(op);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(lfp_objpool_put(op, o), 0);
		ost = obj_stats(op);
		ck_assert_int_eq(ost.cache_mode, mode);
		ck_assert_uint_eq(ost.gets, 1);
		ck_assert_uint_eq(ost.puts, 1);
		/* what sits in the cache counts as cached */
		ck_assert_uint_eq(ost.cached, ost.objects);
		if (mode == LFP_CACHE_PER_CPU)
			/* a cache for every CPU id the system may have */
			ck_assert_uint_ge(ost.caches, (uint64_t)conf);
		else
			/* this thread's, the only one that used the pool */
			ck_assert_uint_eq(ost.caches, 1);
		ck_assert_int_eq(lfp_objpool_destroy(op), 0);

		bp = make_bufpool(modes[i]);
		mode = lfp_bufpool_cache_mode(bp);
		ck_assert(mode == LFP_CACHE_PER_CPU ||
			  mode == LFP_CACHE_PER_THREAD);
		want = modes[i] == LFP_CACHE_PER_CPU && pcpu_available() ?
		       LFP_CACHE_PER_CPU : LFP_CACHE_PER_THREAD;
		if (modes[i] != LFP_CACHE_AUTO)
			ck_assert_int_eq(mode, want);
		bst = buf_stats(bp);
		ck_assert_int_eq(bst.cache_mode, mode);
		ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	}
}
END_TEST

/*
 * The environment variable, read at each create, in a child process (the
 * variable must not leak into other tests): the child writes the first
 * failure to a pipe and exits 1.
 */
static void
child_fail(int fd, const char *msg)
{
	size_t len = strlen(msg);

	if (write(fd, msg, len) != (ssize_t)len)
		_exit(2);
	_exit(1);
}

/*
 * In the child: a pool of one kind with @attr_mode; false if the create
 * failed, else the mode it runs in, in @got.
 */
static bool
objpool_mode_of(int attr_mode, int *got)
{
	struct lfp_objpool_attr oattr;
	struct lfp_objpool *op;

	lfp_objpool_attr_init(&oattr);
	oattr.size = 32;
	oattr.cache_mode = attr_mode;
	op = lfp_objpool_create(&oattr);
	if (!op)
		return false;
	*got = lfp_objpool_cache_mode(op);
	lfp_objpool_destroy(op);
	return true;
}

static bool
bufpool_mode_of(int attr_mode, int *got)
{
	struct lfp_bufpool_attr battr;
	struct lfp_bufpool *bp;

	lfp_bufpool_attr_init(&battr);
	battr.cache_mode = attr_mode;
	bp = lfp_bufpool_create(&battr);
	if (!bp)
		return false;
	*got = lfp_bufpool_cache_mode(bp);
	lfp_bufpool_destroy(bp);
	return true;
}

/* The two kinds of pool, in the order child_expect() tries them. */
static const struct {
	bool (*mode_of)(int attr_mode, int *got);
	const char *create_failed;
	const char *kind;
} mode_kinds[] = {
	{ objpool_mode_of, "objpool create failed", "object pool" },
	{ bufpool_mode_of, "bufpool create failed", "buffer pool" },
};

/* In the child: create both kinds of pool with @attr_mode under
 * LFP_CACHE_MODE=@env (NULL: unset) and check they run in @want. */
static void
child_expect(int fd, const char *env, int attr_mode, int want)
{
	char msg[200];
	int got;

	if (env ? setenv("LFP_CACHE_MODE", env, 1)
		: unsetenv("LFP_CACHE_MODE"))
		child_fail(fd, "setenv failed");
	for (size_t k = 0; k < ARRAY_SIZE(mode_kinds); k++) {
		if (!mode_kinds[k].mode_of(attr_mode, &got))
			child_fail(fd, mode_kinds[k].create_failed);
		if (got != want) {
			snprintf(msg, sizeof(msg), "LFP_CACHE_MODE=%s, "
				 "attribute %d: %s in mode %d, not %d",
				 env ? env : "(unset)", attr_mode,
				 mode_kinds[k].kind, got, want);
			child_fail(fd, msg);
		}
	}
}

START_TEST(test_env)
{
	const int pcpu = pcpu_available() ? LFP_CACHE_PER_CPU
					  : LFP_CACHE_PER_THREAD;
	const int pt = LFP_CACHE_PER_THREAD;
	char msg[256];
	ssize_t len;
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		/* automatic pools follow the variable */
		child_expect(fds[1], NULL, LFP_CACHE_AUTO, pcpu);
		child_expect(fds[1], "perthread", LFP_CACHE_AUTO, pt);
		child_expect(fds[1], "percpu", LFP_CACHE_AUTO, pcpu);
		child_expect(fds[1], "auto", LFP_CACHE_AUTO, pcpu);
		child_expect(fds[1], "perthread", LFP_CACHE_AUTO, pt);
		/* an unknown value behaves as auto */
		child_expect(fds[1], "bogus", LFP_CACHE_AUTO, pcpu);
		child_expect(fds[1], "", LFP_CACHE_AUTO, pcpu);
		child_expect(fds[1], "PERTHREAD", LFP_CACHE_AUTO, pcpu);
		/* an explicit attribute wins over the variable */
		child_expect(fds[1], "perthread", LFP_CACHE_PER_CPU, pcpu);
		child_expect(fds[1], "percpu", LFP_CACHE_PER_THREAD, pt);
		_exit(0);
	}
	close(fds[1]);
	len = read(fds[0], msg, sizeof(msg) - 1);
	msg[len > 0 ? len : 0] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: status %#x: %s", status, msg);
}
END_TEST

/* ---- flush ------------------------------------------------------------ */

START_TEST(test_flush_args)
{
	struct lfp_objpool *op = make_objpool(64, 0, LFP_CACHE_AUTO, NULL);
	struct lfp_bufpool *bp = make_bufpool(LFP_CACHE_AUTO);
	unsigned int bit;

	errno = ERRNO_SENTINEL;
	ck_assert_int_eq(lfp_objpool_flush(NULL), -EINVAL);
	ck_assert_int_eq(lfp_bufpool_flush(NULL), -EINVAL);
	ck_assert_int_eq(lfp_objpool_trim(NULL, 0), -EINVAL);
	ck_assert_int_eq(lfp_bufpool_trim(NULL, 0), -EINVAL);
	ck_assert_int_eq(lfp_objpool_trim(NULL, LFP_TRIM_CACHES), -EINVAL);
	for (bit = 0; bit < 32; bit++) {
		unsigned int f = 1u << bit;

		if (f == LFP_TRIM_CACHES || f == LFP_TRIM_IDLE)
			continue;
		ck_assert_int_eq(lfp_objpool_trim(op, f), -EINVAL);
		ck_assert_int_eq(lfp_bufpool_trim(bp, f), -EINVAL);
		ck_assert_int_eq(lfp_objpool_trim(op, f | LFP_TRIM_CACHES),
				 -EINVAL);
	}
	ck_assert_int_eq(errno, ERRNO_SENTINEL);
	/* on pools with nothing in them, every call is harmless */
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
	ck_assert_int_eq(lfp_bufpool_flush(bp), 0);
	ck_assert_int_eq(lfp_objpool_trim(op, 0), 0);
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_CACHES |
					  LFP_TRIM_IDLE), 0);
	ck_assert_int_eq(lfp_bufpool_trim(bp, LFP_TRIM_CACHES), 0);
	ck_assert_uint_eq(obj_stats(op).objects, 0);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* In both modes, a pool flush by the thread that cached the objects puts
 * them all in the depot. */
START_TEST(test_flush_own)
{
	const int mode = loop_modes[_i];
	struct lfp_objpool_stats st;
	struct lfp_objpool *op;
	void *objs[100];
	size_t i;

	SKIP_UNLESS_MODE(mode);
	op = make_objpool(64, 16, mode, NULL);
	ck_assert_int_eq(lfp_objpool_cache_mode(op), mode);
	for (i = 0; i < 100; i++)
		objs[i] = lfp_objpool_get(op);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(lfp_objpool_put(op, objs[i]), 0);
	st = obj_stats(op);
	ck_assert_uint_gt(st.cached - st.depot_cached, 0);
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
	st = obj_stats(op);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, st.objects);
	ck_assert_uint_eq(st.depot_cached, st.cached);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
}
END_TEST

/*
 * A bulk larger than the cache holds: the cache gives what it has, the
 * rest comes from (goes to) the depot in whole magazines, and the last
 * magazine's leftovers (room) stay in the cache, as a per-thread cache's
 * refills (drains) leave them. Per-CPU, the depot is reached with the
 * CPU's lock dropped; the counts are the same in both modes.
 */
START_TEST(test_bulk_past_cache)
{
	const int mode = loop_modes[_i];
	struct lfp_objpool_stats st;
	struct lfp_objpool *op;
	void *objs[96];
	int cpus[2];

	SKIP_UNLESS_MODE(mode);
	if (!two_cpus(__func__, cpus))
		return;
	pin(cpus[0]);
	op = make_objpool(64, 16, mode, NULL);
	ck_assert_uint_eq(lfp_objpool_get_bulk(op, objs, 96), 96);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs, 96), 96);
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
	st = obj_stats(op);
	/* six full magazines in the depot */
	ck_assert_uint_eq(st.objects, 96);
	ck_assert_uint_eq(st.depot_cached, 96);

	/* 40 = 16 + 16 + 8 from three magazines: 8 left in the cache */
	ck_assert_uint_eq(lfp_objpool_get_bulk(op, objs, 40), 40);
	check_disjoint(objs, 40, 64);
	st = obj_stats(op);
	ck_assert_uint_eq(st.objects, 96);      /* nothing carved */
	ck_assert_uint_eq(st.in_use, 40);
	ck_assert_uint_eq(st.cached - st.depot_cached, 8);

	/* 8 fill the loaded magazine, 16 the previous, 16 go to the depot
	 * in a magazine of their own: two full magazines stay cached */
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs, 40), 40);
	st = obj_stats(op);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.gets, 136);
	ck_assert_uint_eq(st.puts, 136);
	ck_assert_uint_eq(st.cached, 96);
	ck_assert_uint_eq(st.cached - st.depot_cached, 32);

	/* a put into a full cache: 16 + 16 to the depot in magazines of
	 * their own, the last 8 in a magazine kept loaded in place of a
	 * full one */
	ck_assert_uint_eq(lfp_objpool_get_bulk(op, objs, 96), 96);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs, 32), 32);
	ck_assert_uint_eq(obj_stats(op).cached - obj_stats(op).depot_cached,
			  32);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs + 32, 40), 40);
	st = obj_stats(op);
	ck_assert_uint_eq(st.cached - st.depot_cached, 24);
	ck_assert_uint_eq(st.in_use, 24);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs + 72, 24), 24);
	st = obj_stats(op);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, 96);

	/* and all 96 are there, distinct, once flushed */
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
	ck_assert_uint_eq(lfp_objpool_get_bulk(op, objs, 96), 96);
	check_disjoint(objs, 96, 64);
	ck_assert_uint_eq(obj_stats(op).objects, 96);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs, 96), 96);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
}
END_TEST

/*
 * Producer and consumer on two CPUs, objects passed through a queue of
 * batches: full magazines flow from the consumer's cache through the
 * depot to the producer's, no object goes there alone, and nothing is
 * carved once the objects circulate. Each depot visit moves a whole
 * magazine, so the visits are the objects over the rounds (plus the
 * warm-up), and never more.
 */
#define HANDOFF_ROUNDS 16u
#define HANDOFF_BATCH 24u
#define HANDOFF_SLOTS 4u
#define HANDOFF_BATCHES 400u

struct handoff {
	struct lfp_objpool *pool;
	int cpu[2];
	_Atomic unsigned int head, tail;        /* batches taken, queued */
	void *slot[HANDOFF_SLOTS][HANDOFF_BATCH];
};

static void *
handoff_consumer(void *arg)
{
	struct handoff *h = arg;
	unsigned int b, i;

	pin(h->cpu[1]);
	for (b = 0; b < HANDOFF_BATCHES; b++) {
		/* Acquire: pairs with the producer's release of tail. */
		while (atomic_load_explicit(&h->tail, memory_order_acquire) == b)
			sched_yield();
		for (i = 0; i < HANDOFF_BATCH; i++)
			ck_assert_int_eq(lfp_objpool_put(h->pool,
				h->slot[b % HANDOFF_SLOTS][i]), 0);
		/* Release: the slot is read; pairs with the producer. */
		atomic_store_explicit(&h->head, b + 1, memory_order_release);
	}
	return NULL;
}

START_TEST(test_handoff_by_magazines)
{
	const int mode = loop_modes[_i];
	const uint64_t total = (uint64_t)HANDOFF_BATCHES * HANDOFF_BATCH;
	const uint64_t mags = total / HANDOFF_ROUNDS;
	struct lfp_objpool_stats st;
	struct handoff h = { 0 };
	pthread_t t;
	unsigned int b, i;

	SKIP_UNLESS_MODE(mode);
	if (!two_cpus(__func__, h.cpu))
		return;
	h.pool = make_objpool(64, HANDOFF_ROUNDS, mode, NULL);
	pin(h.cpu[0]);
	ck_assert_int_eq(pthread_create(&t, NULL, handoff_consumer, &h), 0);
	for (b = 0; b < HANDOFF_BATCHES; b++) {
		/* Acquire: pairs with the consumer's release of head. */
		while (b - atomic_load_explicit(&h.head, memory_order_acquire)
		       == HANDOFF_SLOTS)
			sched_yield();
		for (i = 0; i < HANDOFF_BATCH; i++) {
			void *o = lfp_objpool_get(h.pool);

			ck_assert_ptr_nonnull(o);
			memset(o, (int)b, 64);
			h.slot[b % HANDOFF_SLOTS][i] = o;
		}
		/* Release: the batch is written; pairs with the consumer. */
		atomic_store_explicit(&h.tail, b + 1, memory_order_release);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	st = obj_stats(h.pool);
	ck_assert_uint_eq(st.gets, total);
	ck_assert_uint_eq(st.puts, total);
	/* Never one object at a time: two CPUs, one thread each. */
	ck_assert_uint_eq(st.direct, 0);
	/* Circulating: the queue, two caches and the depot's slack. */
	ck_assert_msg(st.objects <= (HANDOFF_SLOTS + 1) * HANDOFF_BATCH +
		      8 * HANDOFF_ROUNDS, "%llu objects carved for %u in "
		      "flight", (unsigned long long)st.objects,
		      HANDOFF_SLOTS * HANDOFF_BATCH);
	/* Whole magazines: every object not carved came in a full one. */
	ck_assert_msg(st.depot_gets * HANDOFF_ROUNDS >= total - st.objects &&
		      st.depot_gets <= mags + 2 && st.depot_puts <= mags + 2,
		      "%llu objects, %llu carved: %llu magazines from the "
		      "depot, %llu to it (%llu rounds each)",
		      (unsigned long long)total,
		      (unsigned long long)st.objects,
		      (unsigned long long)st.depot_gets,
		      (unsigned long long)st.depot_puts,
		      (unsigned long long)HANDOFF_ROUNDS);
	ck_assert_uint_ge(st.depot_puts, (total - st.objects) /
			  HANDOFF_ROUNDS - 2);
	ck_assert_int_eq(lfp_objpool_destroy(h.pool), 0);
}
END_TEST

/*
 * Objects a thread left in the cache of a CPU it no longer runs on: stats
 * count them as cached, and after lfp_objpool_flush() (from another CPU)
 * they are all reachable: a get_bulk of stats.objects objects gets them
 * all, distinct, without the pool carving a new one. Same for a class of
 * a buffer pool with lfp_bufpool_flush().
 */
START_TEST(test_leave_cpu)
{
	const size_t n = 200;
	struct lfp_objpool_stats st, st2;
	struct lfp_bufpool_stats bst;
	const struct lfp_bufpool_class_stats *c;
	struct lfp_objpool *op;
	struct lfp_bufpool *bp;
	void *objs[200], **all;
	uint64_t nobj;
	size_t i, got;
	int cpus[2];

	SKIP_UNLESS_PCPU();
	if (!two_cpus(__func__, cpus))
		return;
	op = make_objpool(64, 16, LFP_CACHE_PER_CPU, NULL);
	ck_assert_int_eq(lfp_objpool_cache_mode(op), LFP_CACHE_PER_CPU);
	bp = make_bufpool(LFP_CACHE_PER_CPU);

	pin(cpus[0]);
	for (i = 0; i < n; i++)
		objs[i] = lfp_objpool_get(op);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_put(op, objs[i]), 0);
	for (i = 0; i < n; i++)
		objs[i] = lfp_bufpool_alloc(bp, 64);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(lfp_bufpool_free(bp, objs[i]), 0);

	pin(cpus[1]);
	st = obj_stats(op);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.cached, st.objects);
	/* some sit in CPU 0's cache, out of this thread's reach */
	ck_assert_uint_gt(st.cached - st.depot_cached, 0);
	ck_assert_uint_le(st.cached - st.depot_cached, 2 * 16);
	nobj = st.objects;
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
	st = obj_stats(op);
	ck_assert_uint_eq(st.objects, nobj);
	ck_assert_uint_eq(st.depot_cached, nobj);

	all = calloc(nobj, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	errno = 0;
	got = lfp_objpool_get_bulk(op, all, nobj);
	ck_assert_msg(got == nobj, "get_bulk: %zu of %llu, errno %d", got,
		      (unsigned long long)nobj, errno);
	st2 = obj_stats(op);
	ck_assert_msg(st2.objects == nobj, "the flush left objects out of "
		      "reach: %llu objects now, %llu before",
		      (unsigned long long)st2.objects,
		      (unsigned long long)nobj);
	ck_assert_uint_eq(st2.in_use, nobj);
	ck_assert_uint_eq(st2.cached, 0);
	check_disjoint(all, got, 64);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, all, got), got);
	free(all);

	/* the buffer pool's 64-byte class, one by one on this CPU */
	bst = buf_stats(bp);
	c = find_class(&bst, 64);
	ck_assert_uint_eq(c->in_use, 0);
	ck_assert_uint_gt(c->cached - c->depot_cached, 0);
	nobj = c->buffers;
	ck_assert_int_eq(lfp_bufpool_flush(bp), 0);
	bst = buf_stats(bp);
	c = find_class(&bst, 64);
	ck_assert_uint_eq(c->depot_cached, c->cached);
	ck_assert_uint_eq(c->buffers, nobj);
	all = calloc(nobj, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	for (i = 0; i < nobj; i++) {
		all[i] = lfp_bufpool_alloc(bp, 64);
		ck_assert_ptr_nonnull(all[i]);
	}
	bst = buf_stats(bp);
	c = find_class(&bst, 64);
	ck_assert_msg(c->buffers == nobj, "the flush left buffers out of "
		      "reach: %llu buffers now, %llu before",
		      (unsigned long long)c->buffers,
		      (unsigned long long)nobj);
	check_disjoint(all, nobj, 64);
	for (i = 0; i < nobj; i++)
		ck_assert_int_eq(lfp_bufpool_free(bp, all[i]), 0);
	free(all);
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
}
END_TEST

/* ---- trim ------------------------------------------------------------- */

/*
 * A trim with LFP_TRIM_CACHES drains every CPU's cache and gives the
 * memory back: 64 MiB of 64 KiB buffers, allocated and written on two
 * CPUs and freed on the other one, leave resident memory and the pool's
 * reserved bytes by (most of) 64 MiB. Loop index: the mode.
 */
START_TEST(test_trim_rss)
{
	const int mode = loop_modes[_i];
	const size_t bsize = 64 << 10, n = 64 * MIB / (64 << 10);
	const struct lfp_bufpool_class_stats *c;
	struct lfp_bufpool_stats st, st2;
	struct lfp_bufpool *bp;
	size_t rss0, rss1, rss2, rss3, i;
	void **bufs;
	int cpus[2];

	SKIP_UNLESS_MODE(mode);
	if (lfp_test_allowed_cpus(cpus, 2) < 2)
		cpus[1] = cpus[0];
	bp = make_bufpool(mode);
	ck_assert_int_eq(lfp_bufpool_cache_mode(bp), mode);
	bufs = calloc(n, sizeof(*bufs));
	ck_assert_ptr_nonnull(bufs);

	rss0 = rss_bytes();
	for (i = 0; i < n; i++) {
		if (i == 0 || i == n / 2)
			pin(cpus[i >= n / 2]);
		bufs[i] = lfp_bufpool_alloc(bp, bsize);
		ck_assert_ptr_nonnull(bufs[i]);
		memset(bufs[i], 0x5a, bsize);
	}
	rss1 = rss_bytes();
	ck_assert_msg(rss1 >= rss0 + 48 * MIB, "64 MiB of buffers written: "
		      "resident %zu -> %zu bytes", rss0, rss1);
	for (i = 0; i < n; i++) {
		if (i == 0 || i == n / 2)
			pin(cpus[i < n / 2]);
		ck_assert_int_eq(lfp_bufpool_free(bp, bufs[i]), 0);
	}
	st = buf_stats(bp);
	c = find_class(&st, bsize);
	ck_assert_uint_eq(c->in_use, 0);
	ck_assert_uint_eq(c->cached, n);
	if (mode == LFP_CACHE_PER_CPU && cpus[0] != cpus[1])
		/* some sit in CPU caches, the trim must reach them */
		ck_assert_uint_gt(c->cached - c->depot_cached, 0);
	rss2 = rss_bytes();

	ck_assert_int_eq(lfp_bufpool_trim(bp, LFP_TRIM_CACHES), 0);
	rss3 = rss_bytes();
	st2 = buf_stats(bp);
	c = find_class(&st2, bsize);
	ck_assert_msg(c->buffers == 0 && c->cached == 0, "%llu buffers, %llu "
		      "cached after the trim",
		      (unsigned long long)c->buffers,
		      (unsigned long long)c->cached);
	ck_assert_uint_eq(c->chunks, 0);
	ck_assert_msg(st2.bytes_reserved + 48 * MIB <= st.bytes_reserved,
		      "bytes reserved: %llu before the trim, %llu after",
		      (unsigned long long)st.bytes_reserved,
		      (unsigned long long)st2.bytes_reserved);
	ck_assert_msg(rss3 + 48 * MIB <= rss2, "resident memory: %zu bytes "
		      "before the trim, %zu after", rss2, rss3);

	/* the pool goes on: a new buffer, and it goes back */
	bufs[0] = lfp_bufpool_alloc(bp, bsize);
	ck_assert_ptr_nonnull(bufs[0]);
	memset(bufs[0], 0xa5, bsize);
	ck_assert_int_eq(lfp_bufpool_free(bp, bufs[0]), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
	free(bufs);
}
END_TEST

/* Get @n objects on @cpu_get, put them on @cpu_put (into @objs). */
static void
spread(struct lfp_objpool *op, void **objs, size_t n, int cpu_get,
       int cpu_put)
{
	size_t i;

	pin(cpu_get);
	for (i = 0; i < n; i++) {
		objs[i] = lfp_objpool_get(op);
		ck_assert_ptr_nonnull(objs[i]);
		ck_assert_uint_eq(((struct tobj *)objs[i])->magic, OBJ_MAGIC);
	}
	pin(cpu_put);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(lfp_objpool_put(op, objs[i]), 0);
}

/*
 * Objects an object pool frees in a trim get the destructor exactly once,
 * and the constructor again when the pool carves anew; a trim without
 * LFP_TRIM_CACHES leaves what sits in caches alone; destroy reaches what
 * sits in every CPU's cache. At every step, ctors == dtors + objects.
 * Loop index: the mode.
 */
START_TEST(test_trim_dtor)
{
	const int mode = loop_modes[_i];
	const size_t n = 1000;
	struct lfp_objpool_stats st, st2;
	struct lfp_objpool *op;
	struct counts c;
	void **objs;
	uint64_t outside;
	int cpus[2];

	SKIP_UNLESS_MODE(mode);
	if (lfp_test_allowed_cpus(cpus, 2) < 2)
		cpus[1] = cpus[0];
	counts_init(&c);
	op = make_objpool(256, 8, mode, &c);
	ck_assert_int_eq(lfp_objpool_cache_mode(op), mode);
	objs = calloc(n, sizeof(*objs));
	ck_assert_ptr_nonnull(objs);

	spread(op, objs, n / 2, cpus[0], cpus[1]);
	spread(op, objs + n / 2, n / 2, cpus[1], cpus[0]);
	st = obj_stats(op);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.objects, count_of(&c.ctors));
	ck_assert_uint_ge(st.objects, n / 2);
	outside = st.cached - st.depot_cached;
	ck_assert_uint_gt(outside, 0);

	/* the depot alone: what the caches hold stays, constructed */
	ck_assert_int_eq(lfp_objpool_trim(op, 0), 0);
	st2 = obj_stats(op);
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
	ck_assert_uint_eq(count_of(&c.ctors),
			  count_of(&c.dtors) + st2.objects);
	ck_assert_uint_ge(st2.objects, outside);
	ck_assert_uint_eq(st2.cached - st2.depot_cached, outside);

	/* with the caches: every object goes, its destructor run once */
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_CACHES), 0);
	st2 = obj_stats(op);
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
	ck_assert_uint_eq(st2.objects, 0);
	ck_assert_uint_eq(st2.cached, 0);
	ck_assert_uint_eq(st2.chunks, 0);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_uint_lt(st2.bytes_reserved, st.bytes_reserved);
	ck_assert_uint_eq(st2.gets, st.gets);
	ck_assert_uint_eq(st2.puts, st.puts);

	/* carved anew: the constructor runs again (spread checks magic) */
	spread(op, objs, n / 2, cpus[1], cpus[0]);
	spread(op, objs + n / 2, n / 2, cpus[0], cpus[1]);
	st2 = obj_stats(op);
	ck_assert_uint_ge(count_of(&c.ctors), st.objects + n / 2);
	ck_assert_uint_eq(count_of(&c.ctors),
			  count_of(&c.dtors) + st2.objects);
	ck_assert_uint_gt(st2.cached - st2.depot_cached, 0);

	/* destroy reaches every cache */
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
	free(objs);
}
END_TEST

/* Fill the pool's depot with at least @n objects, caches flushed. */
static void
fill_depot(struct lfp_objpool *op, void **objs, size_t n)
{
	errno = 0;
	ck_assert_uint_eq(lfp_objpool_get_bulk(op, objs, n), n);
	ck_assert_uint_eq(lfp_objpool_put_bulk(op, objs, n), n);
	ck_assert_int_eq(lfp_objpool_flush(op), 0);
}

/*
 * LFP_TRIM_IDLE keeps the working set: the first idle trim after the
 * depot filled up keeps it all (the depot never went below empty since
 * the pool began); a second one with nothing used in between gives it
 * all back; objects used between two idle trims (the depot's low-water
 * mark fell by them) are kept, up to one magazine, and the rest goes.
 * Objects of 16 KiB, four to a chunk, so that what is kept cannot pin
 * every chunk. Loop index: the mode.
 */
START_TEST(test_trim_idle)
{
	const int mode = loop_modes[_i];
	const unsigned int rounds = 16;
	const size_t n = 400, k = 4 * rounds;
	struct lfp_objpool_stats st;
	struct lfp_objpool *op;
	struct counts c;
	uint64_t objects;
	void **objs;

	SKIP_UNLESS_MODE(mode);
	counts_init(&c);
	op = make_objpool(16 << 10, rounds, mode, &c);
	objs = calloc(n, sizeof(*objs));
	ck_assert_ptr_nonnull(objs);

	fill_depot(op, objs, n);
	st = obj_stats(op);
	objects = st.objects;
	ck_assert_uint_ge(objects, n);
	ck_assert_uint_eq(st.depot_cached, objects);

	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_msg(st.objects == objects, "the first idle trim freed "
		      "%llu of %llu objects",
		      (unsigned long long)(objects - st.objects),
		      (unsigned long long)objects);
	ck_assert_uint_eq(count_of(&c.dtors), 0);

	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_msg(st.objects == 0, "an idle trim after an unused one "
		      "kept %llu objects", (unsigned long long)st.objects);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);

	/* again; this time k objects are used between two idle trims */
	fill_depot(op, objs, n);
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_IDLE), 0);
	objects = obj_stats(op).objects;
	ck_assert_uint_ge(objects, n);
	fill_depot(op, objs, k);
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_msg(st.objects >= k - rounds, "an idle trim kept %llu "
		      "objects, %zu were in use since the last one",
		      (unsigned long long)st.objects, k);
	ck_assert_uint_lt(st.objects, objects);
	ck_assert_uint_eq(count_of(&c.ctors),
			  count_of(&c.dtors) + st.objects);
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_IDLE), 0);
	ck_assert_uint_eq(obj_stats(op).objects, 0);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));

	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
	free(objs);
}
END_TEST

/*
 * LFP_TRIM_CACHES | LFP_TRIM_IDLE in per-CPU mode: a CPU whose cache was
 * used since the previous trim keeps it; one left alone since gets it
 * drained.
 */
START_TEST(test_trim_idle_caches)
{
	struct lfp_objpool_stats st;
	struct lfp_objpool *op;
	struct counts c;
	void *objs[40];
	uint64_t outside;
	size_t i;
	int cpus[1] = { 0 };

	SKIP_UNLESS_PCPU();
	lfp_test_allowed_cpus(cpus, 1);
	counts_init(&c);
	op = make_objpool(128, 16, LFP_CACHE_PER_CPU, &c);
	pin(cpus[0]);
	for (i = 0; i < 40; i++)
		objs[i] = lfp_objpool_get(op);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(lfp_objpool_put(op, objs[i]), 0);
	st = obj_stats(op);
	outside = st.cached - st.depot_cached;
	ck_assert_uint_gt(outside, 0);

	/* the CPU was busy since the pool began: its cache stays */
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_CACHES |
					  LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_uint_eq(st.cached - st.depot_cached, outside);
	/* idle since that trim: drained, and with the depot idle too,
	 * everything goes */
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_CACHES |
					  LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_uint_eq(st.cached - st.depot_cached, 0);
	ck_assert_int_eq(lfp_objpool_trim(op, LFP_TRIM_CACHES |
					  LFP_TRIM_IDLE), 0);
	st = obj_stats(op);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(count_of(&c.dtors), count_of(&c.ctors));
	ck_assert_int_eq(lfp_objpool_destroy(op), 0);
	ck_assert_uint_eq(count_of(&c.bad_dtors), 0);
}
END_TEST

/* ---- many idle threads ------------------------------------------------ */

struct idle_run {
	struct lfp_objpool *pool;
	pthread_mutex_t lock;   /* one thread touches the pool at a time */
	pthread_cond_t cond;
	unsigned int touched;   /* threads that got and put their object */
	unsigned int failed;
	int release;            /* set: the threads may exit */
};

static void *
idle_main(void *arg)
{
	struct idle_run *r = arg;
	void *o;

	pthread_mutex_lock(&r->lock);
	o = lfp_objpool_get(r->pool);
	if (!o || lfp_objpool_put(r->pool, o))
		r->failed++;
	r->touched++;
	pthread_cond_broadcast(&r->cond);
	while (!r->release)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * 1,000 threads (small stacks) each get and put one object once, then
 * idle, alive. Per-CPU: the pool's caches do not grow with them (one per
 * CPU id), and all it has cached is at most two magazines per CPU.
 * Per-thread: one cache per thread, each holding at least its object.
 * Loop index: the mode.
 */
START_TEST(test_idle_threads)
{
	const int mode = loop_modes[_i];
	const unsigned int nthreads = RUNNING_ON_VALGRIND ? 200 : 1000;
	struct lfp_objpool_stats st0, st;
	pthread_attr_t attr;
	struct idle_run r;
	pthread_t *tids;
	size_t stack = 64 << 10;
	unsigned int k;
	int err;

	SKIP_UNLESS_MODE(mode);
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	r.pool = make_objpool(256, 0, mode, NULL);
	ck_assert_int_eq(lfp_objpool_cache_mode(r.pool), mode);
	st0 = obj_stats(r.pool);
	tids = calloc(nthreads, sizeof(*tids));
	ck_assert_ptr_nonnull(tids);
	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	/* 64 KiB, or what the C library needs (sanitizers need more) */
	while ((err = pthread_attr_setstacksize(&attr, stack)) == EINVAL)
		stack *= 2;
	ck_assert_int_eq(err, 0);
	for (k = 0; k < nthreads; k++) {
		err = pthread_create(&tids[k], &attr, idle_main, &r);
		if (err == EINVAL && k == 0 && stack < (8u << 20)) {
			/* static TLS larger than the stack */
			stack *= 2;
			ck_assert_int_eq(pthread_attr_setstacksize(&attr,
								   stack), 0);
			k--;
			continue;
		}
		ck_assert_msg(err == 0, "pthread_create %u (stack %zu): %d",
			      k, stack, err);
	}
	pthread_attr_destroy(&attr);

	pthread_mutex_lock(&r.lock);
	while (r.touched < nthreads)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	/* all alive and idle now */
	st = obj_stats(r.pool);
	ck_assert_uint_eq(r.failed, 0);
	ck_assert_uint_eq(st.gets, nthreads);
	ck_assert_uint_eq(st.puts, nthreads);
	ck_assert_uint_eq(st.in_use, 0);
	printf("# %u idle threads, %s caches: %llu caches, %llu objects "
	       "cached (%llu outside the depot), %llu bytes reserved\n",
	       nthreads, mode == LFP_CACHE_PER_CPU ? "per-CPU" : "per-thread",
	       (unsigned long long)st.caches, (unsigned long long)st.cached,
	       (unsigned long long)(st.cached - st.depot_cached),
	       (unsigned long long)st.bytes_reserved);
	fflush(stdout);
	if (mode == LFP_CACHE_PER_CPU) {
		ck_assert_uint_eq(st.caches, st0.caches);
		ck_assert_uint_lt(st.caches, nthreads);
		ck_assert_msg(st.cached * st.stride <=
			      st.caches * st.cache_bytes_max,
			      "%llu objects cached, bound %llu CPUs x %llu "
			      "bytes", (unsigned long long)st.cached,
			      (unsigned long long)st.caches,
			      (unsigned long long)st.cache_bytes_max);
	} else {
		ck_assert_uint_eq(st.caches, nthreads);
		ck_assert_uint_ge(st.cached - st.depot_cached, nthreads);
	}

	pthread_mutex_lock(&r.lock);
	r.release = 1;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	for (k = 0; k < nthreads; k++)
		ck_assert_int_eq(pthread_join(tids[k], NULL), 0);
	ck_assert_int_eq(lfp_objpool_destroy(r.pool), 0);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	free(tids);
}
END_TEST

static Suite *
pcpu_suite(void)
{
	Suite *s = suite_create("pcpu");
	TCase *tc;

	tc = lfp_test_tcase(s, "mode");
	tcase_add_test(tc, test_mode_resolution);
	tcase_add_test(tc, test_mode_invalid);
	tcase_add_test(tc, test_stats_mode);
	tcase_add_test(tc, test_env);

	/* these move the thread between CPUs: the fixture puts its
	 * affinity back afterwards */
	tc = lfp_test_tcase(s, "flush");
	tcase_add_checked_fixture(tc, affinity_save, affinity_restore);
	tcase_add_test(tc, test_flush_args);
	tcase_add_loop_test(tc, test_flush_own, 0, 2);
	tcase_add_test(tc, test_leave_cpu);
	tcase_add_loop_test(tc, test_bulk_past_cache, 0, 2);
	tcase_add_loop_test(tc, test_handoff_by_magazines, 0, 2);

	tc = lfp_test_tcase(s, "trim");
	tcase_add_checked_fixture(tc, affinity_save, affinity_restore);
	tcase_add_loop_test(tc, test_trim_rss, 0, 2);
	tcase_add_loop_test(tc, test_trim_dtor, 0, 2);
	tcase_add_loop_test(tc, test_trim_idle, 0, 2);
	tcase_add_test(tc, test_trim_idle_caches);

	tc = lfp_test_tcase(s, "threads");
	tcase_add_loop_test(tc, test_idle_threads, 0, 2);

	return s;
}

int
main(void)
{
	const char *expect;

	auto_mode = auto_mode_unset();
	if (auto_mode < 0) {
		fprintf(stderr, "test_pcpu: cannot create a pool\n");
		return EXIT_FAILURE;
	}
	printf("# per-CPU caches: %s\n", pcpu_available() ? "available"
							   : "unavailable");
	expect = getenv("LFP_TEST_EXPECT_MODE");
	if (expect && (!strcmp(expect, "percpu") ||
		       !strcmp(expect, "perthread")) &&
	    pcpu_available() != !strcmp(expect, "percpu")) {
		printf("Bail out! LFP_TEST_EXPECT_MODE=%s, but automatic pools "
		       "run %s caches\n", expect,
		       pcpu_available() ? "per-CPU" : "per-thread");
		return EXIT_FAILURE;
	}
	fflush(stdout);
	return lfp_test_run(pcpu_suite());
}
