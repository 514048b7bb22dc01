/* SPDX-License-Identifier: MIT */
/*
 * test-child.h - run a test body in a forked child with its own
 * LFP_TOPOLOGY (the library reads it once per process), so that each test
 * sees the topology it asks for whatever Check's fork mode. The child
 * checks with req()/req_eq(); the first that fails is sent to the parent,
 * which fails the test with it. With @quiet, the child's stderr must stay
 * empty. For the topology and NUMA unit tests. Bodies that need no set-up
 * of the parent's are listed in a table and run by one loop test.
 *
 * A forked child inherits what the library has read so far, so the body
 * sees its topology only if this process has read none yet: true under
 * Check's fork mode for tests that start no pool before run_child(). A
 * test program whose tests may run in one process (CK_FORK=no, as under
 * valgrind) instead names its body and calls child_main() first thing in
 * main(): run_child_fresh() then runs the body in this program started
 * anew (fork and exec), where the library has read nothing.
 */
#ifndef LFP_TEST_CHILD_H
#define LFP_TEST_CHILD_H

#include "test-common.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's end of the pipe to the parent. */
static int child_fd = -1;
/* This program, for run_child_fresh() (child_main() sets it). */
static const char *child_self;

#define req(cond)							\
	do {								\
		if (!(cond))						\
			child_fail(__FILE__, __LINE__, #cond);		\
	} while (0)
#define req_eq(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		if (a_ != b_) {						\
			char m_[256];					\
			snprintf(m_, sizeof(m_), "%s == %s (%lld != %lld)", \
				 #a, #b, a_, b_);			\
			child_fail(__FILE__, __LINE__, m_);		\
		}							\
	} while (0)

_Noreturn static inline void
child_fail(const char *file, int line, const char *what)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: %s", file, line, what);

	if (write(child_fd, msg, (size_t)n) < 0)
		exit(2);
	exit(1);
}

/*
 * Run @body in a child with LFP_TOPOLOGY set to @env (unset if NULL);
 * with @quiet, the child's stderr goes to a file that must stay empty.
 * With @name, the child runs this program anew, which runs @body through
 * child_main().
 */
static inline void
run_child_named(void (*body)(void), const char *name, const char *env,
		bool quiet)
{
	char msg[512] = "";
	char errpath[] = "/tmp/lfp-test-err-XXXXXX";
	int fds[2], status, errfd = -1;
	ssize_t n;
	pid_t pid;

	if (quiet) {
		errfd = mkstemp(errpath);
		ck_assert_int_ge(errfd, 0);
		/* Read through errfd alone: nothing left if a check fails. */
		unlink(errpath);
	}
	ck_assert_int_eq(pipe(fds), 0);
	/* Nothing buffered may be written twice (TAP lines on stdout). */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_fd = fds[1];
		if (quiet && dup2(errfd, STDERR_FILENO) < 0)
			exit(3);
		if (env)
			setenv("LFP_TOPOLOGY", env, 1);
		else
			unsetenv("LFP_TOPOLOGY");
		if (name) {
			char fd[16];

			if (!child_self)
				child_fail(__FILE__, __LINE__,
					   "run_child_fresh() needs child_main()");

			snprintf(fd, sizeof(fd), "%d", child_fd);
			setenv("LFP_TEST_CHILD_BODY", name, 1);
			setenv("LFP_TEST_CHILD_FD", fd, 1);
			execl(child_self, child_self, (char *)NULL);
			child_fail(__FILE__, __LINE__, "exec of the test failed");
		}
		body();
		exit(0);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child (LFP_TOPOLOGY=%s) failed, status %#x: %s",
		      env ? env : "(unset)", status, msg);
	if (quiet) {
		n = pread(errfd, msg, sizeof(msg) - 1, 0);
		msg[n > 0 ? n : 0] = '\0';
		close(errfd);
		ck_assert_msg(n == 0, "LFP_TOPOLOGY=%s wrote on stderr: %s",
			      env ? env : "(unset)", msg);
	}
}

static inline void
run_child(void (*body)(void), const char *env, bool quiet)
{
	run_child_named(body, NULL, env, quiet);
}

/* @body in this program started anew: see the top of this file. */
#define run_child_fresh(body, env, quiet)				\
	run_child_named((body), #body, (env), (quiet))

/*
 * First thing in main() of a program that uses run_child_fresh():
 * remembers the program's path and, in a child started anew, runs the
 * body named in the environment (one of @n @bodies, named by
 * CHILD_BODY()) and exits.
 */
struct child_body {
	const char *name;
	void (*fn)(void);
};
#define CHILD_BODY(fn) { #fn, fn }

static inline void
child_main(const char *argv0, const struct child_body *bodies, size_t n)
{
	const char *name = getenv("LFP_TEST_CHILD_BODY");
	const char *fd = getenv("LFP_TEST_CHILD_FD");

	child_self = argv0;
	if (!name || !fd)
		return;
	child_fd = atoi(fd);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(bodies[i].name, name)) {
			bodies[i].fn();
			exit(0);
		}
	}
	child_fail(__FILE__, __LINE__, "no such child body");
}

/*
 * Bodies to run in children, listed as rows of a table: CHILD_TEST()
 * defines one test that runs row _i (quiet), and tcase_add_child_test()
 * adds it once per row of the table, so that each row passes or fails on
 * its own.
 */
struct child_case {
	void (*body)(void);
	const char *env;                /* LFP_TOPOLOGY; NULL: unset */
};

#define CHILD_TEST(name, table)						\
	START_TEST(name)						\
	{								\
		run_child((table)[_i].body, (table)[_i].env, true);	\
	}								\
	END_TEST

#define tcase_add_child_test(tc, name, table)				\
	tcase_add_loop_test((tc), name, 0,				\
			    (int)(sizeof(table) / sizeof((table)[0])))

#endif /* LFP_TEST_CHILD_H */
