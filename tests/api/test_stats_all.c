/* SPDX-License-Identifier: MIT */
/*
 * test_stats_all.c - lfp_stats_print_all() and LFP_STATS: every live pool
 * of both kinds is written, a destroyed one is not, pools created and
 * destroyed by other threads meanwhile do no harm; and a program run with
 * LFP_STATS set writes its pools at exit, as a table or JSON lines, to
 * stderr, stdout or a file, a forked child under its own pid, and a value
 * it cannot follow gets one line on stderr. The program at exit is this
 * one, run again with the argument "exit-child" (see exit_child()).
 */
#define _GNU_SOURCE
#include "test-capture.h"
#include "test-common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lfpool.h>

/* This program, to run again as the child of the exit tests. */
static char self[PATH_MAX];

static int
print_all_to(void *unused, FILE *f, unsigned int flags)
{
	(void)unused;
	return lfp_stats_print_all(f, flags);
}

/* Everything lfp_stats_print_all() writes, as one string (free it). */
static char *
print_all(unsigned int flags, int *rc)
{
	return lfp_test_capture(print_all_to, NULL, flags, rc);
}

/*
 * The JSON line of pool @name in @out (a copy, to free), or NULL; fails
 * the test if there are two.
 */
static char *
json_line(const char *out, const char *name)
{
	char pat[128];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "{\"pool\":\"%s\",", name);
	p = strstr(out, pat);
	if (!p)
		return NULL;
	ck_assert_msg(p == out || p[-1] == '\n', "%s not at a line's start",
		      name);
	ck_assert_msg(strstr(p + 1, pat) == NULL, "pool %s twice", name);
	end = strchr(p, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert_msg(end[-1] == '}', "line of %s not closed", name);
	return strndup(p, (size_t)(end - p));
}

static struct lfp_objpool *
objpool(const char *name, size_t size)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool *p;

	ck_assert_int_eq(lfp_objpool_attr_init(&attr), 0);
	attr.size = size;
	attr.name = name;
	p = lfp_objpool_create(&attr);
	ck_assert_ptr_nonnull(p);
	return p;
}

static struct lfp_bufpool *
bufpool(const char *name)
{
	struct lfp_bufpool_attr attr;
	struct lfp_bufpool *bp;

	ck_assert_int_eq(lfp_bufpool_attr_init(&attr), 0);
	attr.name = name;
	attr.max_size = 4096;
	bp = lfp_bufpool_create(&attr);
	ck_assert_ptr_nonnull(bp);
	return bp;
}

/* Two pools of each kind with known figures, a third destroyed: JSON. */
START_TEST(test_all_json)
{
	struct lfp_objpool *a = objpool("all-obj-a", 40), *b,
			   *gone = objpool("all-obj-gone", 8);
	struct lfp_bufpool *c = bufpool("all-buf-c"), *d = bufpool("all-buf-d");
	void *o[7], *g;
	char *out, *line;
	int rc;

	b = objpool("all-obj-b", 200);
	for (int i = 0; i < 7; i++)
		ck_assert_ptr_nonnull(o[i] = lfp_objpool_get(a));
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(lfp_objpool_put(a, o[i]), 0);
	ck_assert_ptr_nonnull(g = lfp_objpool_get(gone));
	ck_assert_int_eq(lfp_objpool_put(gone, g), 0);
	ck_assert_int_eq(lfp_objpool_destroy(gone), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_nonnull(o[i] = lfp_bufpool_alloc(c, 100));
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(lfp_bufpool_free(c, o[i]), 0);
	ck_assert_ptr_nonnull(o[0] = lfp_bufpool_alloc(c, 1000));

	out = print_all(LFP_STATS_JSON, &rc);
	ck_assert_int_ge(rc, 4);
	line = json_line(out, "all-obj-a");
	ck_assert_ptr_nonnull(line);
	ck_assert(strstr(line, "\"kind\":\"object\"") != NULL);
	ck_assert_uint_eq(lfp_test_json_u(line, "gets"), 7);
	ck_assert_uint_eq(lfp_test_json_u(line, "puts"), 4);
	ck_assert_uint_eq(lfp_test_json_u(line, "in_use"), 3);
	ck_assert_uint_eq(lfp_test_json_u(line, "size"), 40);
	free(line);
	line = json_line(out, "all-obj-b");
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(lfp_test_json_u(line, "gets"), 0);
	ck_assert_uint_eq(lfp_test_json_u(line, "size"), 200);
	free(line);
	line = json_line(out, "all-buf-c");
	ck_assert_ptr_nonnull(line);
	ck_assert(strstr(line, "\"kind\":\"buffer\"") != NULL);
	ck_assert_uint_eq(lfp_test_json_u(line, "allocs"), 6);
	ck_assert_uint_eq(lfp_test_json_u(line, "frees"), 5);
	ck_assert_uint_eq(lfp_test_json_u(line, "bytes_in_use"), 1024);
	free(line);
	line = json_line(out, "all-buf-d");
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(lfp_test_json_u(line, "allocs"), 0);
	free(line);
	ck_assert_ptr_null(json_line(out, "all-obj-gone"));
	free(out);

	/* The table: each pool's own header, once; the destroyed absent. */
	out = print_all(0, &rc);
	ck_assert_int_ge(rc, 4);
	ck_assert(strstr(out, "object pool \"all-obj-a\": 40-byte objects")
		  != NULL);
	ck_assert(strstr(out, "object pool \"all-obj-b\": 200-byte objects")
		  != NULL);
	ck_assert(strstr(out, "buffer pool \"all-buf-c\": 7 classes") != NULL);
	ck_assert(strstr(out, "buffer pool \"all-buf-d\"") != NULL);
	ck_assert(strstr(out, "all-obj-gone") == NULL);
	ck_assert(strstr(out, "\n\nbuffer pool \"all-buf-") != NULL ||
		  strstr(out, "\n\nobject pool \"all-obj-") != NULL);
	free(out);

	ck_assert_int_eq(lfp_bufpool_free(c, o[0]), 0);
	for (int i = 4; i < 7; i++)
		ck_assert_int_eq(lfp_objpool_put(a, o[i]), 0);
	ck_assert_int_eq(lfp_objpool_destroy(a), 0);
	ck_assert_int_eq(lfp_objpool_destroy(b), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(c), 0);
	ck_assert_int_eq(lfp_bufpool_destroy(d), 0);
	out = print_all(LFP_STATS_JSON, &rc);
	ck_assert_ptr_null(json_line(out, "all-obj-a"));
	ck_assert_ptr_null(json_line(out, "all-buf-c"));
	free(out);
}
END_TEST

/* A long name is written whole; one with quotes escaped in JSON. */
START_TEST(test_all_names)
{
	char name[1000];
	struct lfp_objpool *p, *q;
	char *out, *line;
	int rc;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	p = objpool(name, 16);
	q = objpool("say \"hi\"", 16);
	out = print_all(LFP_STATS_JSON, &rc);
	line = json_line(out, name);
	ck_assert_ptr_nonnull(line);
	free(line);
	ck_assert(strstr(out, "{\"pool\":\"say \\\"hi\\\"\",") != NULL);
	free(out);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
	ck_assert_int_eq(lfp_objpool_destroy(q), 0);
}
END_TEST

START_TEST(test_all_bad_args)
{
	FILE *ro = fopen("/dev/null", "r");
	struct lfp_objpool *p = objpool("all-bad", 16);
	int saved;

	ck_assert_int_eq(lfp_stats_print_all(NULL, 0), -EINVAL);
	ck_assert_int_eq(lfp_stats_print_all(stderr, 2u), -EINVAL);
	ck_assert_int_eq(lfp_stats_print_all(stderr, ~0u), -EINVAL);
	/* A stream that refuses writes: -EIO, errno left alone. */
	ck_assert_ptr_nonnull(ro);
	errno = 1234;
	ck_assert_int_eq(lfp_stats_print_all(ro, 0), -EIO);
	saved = errno;
	ck_assert_int_eq(saved, 1234);
	fclose(ro);
	ck_assert_int_eq(lfp_objpool_destroy(p), 0);
}
END_TEST

/* ---- concurrent create and destroy while printing -------------------- */

static atomic_bool churn_stop;

static void *
churn(void *arg)
{
	unsigned int k = 0;

	(void)arg;
	while (!atomic_load_explicit(&churn_stop, memory_order_relaxed)) {
		char name[32];
		void *o;

		snprintf(name, sizeof(name), "churn-%u", k++);
		if (k & 1) {
			struct lfp_objpool *p = objpool(name, 24 + k % 100);

			o = lfp_objpool_get(p);
			ck_assert_ptr_nonnull(o);
			ck_assert_int_eq(lfp_objpool_put(p, o), 0);
			ck_assert_int_eq(lfp_objpool_destroy(p), 0);
		} else {
			struct lfp_bufpool *bp = bufpool(name);

			o = lfp_bufpool_alloc(bp, k % 4000);
			ck_assert_ptr_nonnull(o);
			ck_assert_int_eq(lfp_bufpool_free(bp, o), 0);
			ck_assert_int_eq(lfp_bufpool_destroy(bp), 0);
		}
	}
	return NULL;
}

START_TEST(test_all_concurrent)
{
	struct lfp_objpool *stay = objpool("all-stays", 32);
	unsigned int rounds = RUNNING_ON_VALGRIND ? 50 : 2000;
	pthread_t t[2];

	atomic_store(&churn_stop, false);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, NULL), 0);
	for (unsigned int r = 0; r < rounds; r++) {
		unsigned int flags = r & 1 ? LFP_STATS_JSON : 0;
		char *out, *line;
		int rc;

		out = print_all(flags, &rc);
		ck_assert_int_ge(rc, 1);
		if (flags) {
			line = json_line(out, "all-stays");
			ck_assert_ptr_nonnull(line);
			free(line);
			/* Every line a whole object. */
			for (char *l = out; *l; l = strchr(l, '\n') + 1) {
				ck_assert_msg(!strncmp(l, "{\"pool\":", 8),
					      "bad line: %.60s", l);
				ck_assert_ptr_nonnull(strchr(l, '\n'));
				ck_assert(strchr(l, '\n')[-1] == '}');
			}
		} else {
			ck_assert(strstr(out, "object pool \"all-stays\"") !=
				  NULL);
		}
		free(out);
	}
	atomic_store(&churn_stop, true);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_eq(lfp_objpool_destroy(stay), 0);
}
END_TEST

/* ---- at exit --------------------------------------------------------- */

/*
 * The child: pools with known figures, one destroyed before exit; with
 * "fork", a child of its own that exits too (after the parent's pools
 * changed, so that the two tables differ).
 */
static int
exit_child(const char *how)
{
	struct lfp_objpool_attr attr = { .size = 64, .name = "exit-obj" };
	struct lfp_bufpool_attr battr = { .max_size = 4096,
					  .name = "exit-buf" };
	struct lfp_objpool *p = lfp_objpool_create(&attr), *gone;
	struct lfp_bufpool *bp = lfp_bufpool_create(&battr);
	void *o[5];

	/* (Not Check's asserts: this process runs no test.) */
	attr.name = "exit-gone";
	gone = lfp_objpool_create(&attr);
	if (!p || !gone || !bp)
		return 3;
	for (int i = 0; i < 5; i++)
		if (!(o[i] = lfp_objpool_get(p)))
			return 3;
	for (int i = 0; i < 3; i++)
		if (lfp_objpool_put(p, o[i]))
			return 3;
	for (int i = 0; i < 4; i++)
		if (!(o[i] = lfp_bufpool_alloc(bp, 100)))
			return 3;
	if (lfp_bufpool_free(bp, o[0]))
		return 3;
	lfp_objpool_destroy(gone);
	if (!strcmp(how, "fork")) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return 3;
		if (pid == 0)
			exit(0);        /* runs the atexit handlers */
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			return 3;
	}
	return 0;                       /* pools still alive at exit */
}

/*
 * Run the child with LFP_STATS=@value (unset if NULL), its stdout and
 * stderr into files of their own; *@out and *@err get their contents
 * (free them). Returns the child's pid.
 */
static pid_t
run_exit_child(const char *value, const char *how, char **out, char **err)
{
	char of[] = "/tmp/lfp-stats-out.XXXXXX", ef[] = "/tmp/lfp-stats-err.XXXXXX";
	int ofd = mkstemp(of), efd = mkstemp(ef), st;
	pid_t pid;
	FILE *f;
	size_t n;

	ck_assert_int_ge(ofd, 0);
	ck_assert_int_ge(efd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		if (value)
			setenv("LFP_STATS", value, 1);
		else
			unsetenv("LFP_STATS");
		execl(self, self, "exit-child", how, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "exit child: status %#x", st);
	for (int i = 0; i < 2; i++) {
		char **dst = i ? err : out;
		int fd = i ? efd : ofd;

		f = fdopen(fd, "r");
		ck_assert_ptr_nonnull(f);
		rewind(f);
		*dst = calloc(1, 1 << 16);
		ck_assert_ptr_nonnull(*dst);
		n = fread(*dst, 1, (1 << 16) - 1, f);
		(*dst)[n] = '\0';
		fclose(f);
	}
	unlink(of);
	unlink(ef);
	return pid;
}

/* The figures the child's pools must show in @json (JSON lines). */
static void
check_exit_json(const char *json)
{
	char *line = json_line(json, "exit-obj");

	ck_assert_msg(line != NULL, "no exit-obj in: %s", json);
	ck_assert_uint_eq(lfp_test_json_u(line, "gets"), 5);
	ck_assert_uint_eq(lfp_test_json_u(line, "puts"), 3);
	ck_assert_uint_eq(lfp_test_json_u(line, "in_use"), 2);
	free(line);
	line = json_line(json, "exit-buf");
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(lfp_test_json_u(line, "allocs"), 4);
	ck_assert_uint_eq(lfp_test_json_u(line, "frees"), 1);
	ck_assert_uint_eq(lfp_test_json_u(line, "bytes_in_use"), 3 * 128);
	free(line);
	ck_assert_ptr_null(json_line(json, "exit-gone"));
}

/* The same in a table, which starts with the line naming process @pid. */
static void
check_exit_table(const char *text, pid_t pid)
{
	char head[96];

	snprintf(head, sizeof(head), "lfpool: the pools of process %ld at exit\n",
		 (long)pid);
	ck_assert_msg(strstr(text, head) != NULL, "no \"%s\" in: %s", head,
		      text);
	ck_assert(strstr(text, "object pool \"exit-obj\": 64-byte objects")
		  != NULL);
	ck_assert(strstr(text, "  gets / puts     5 / 3\n") != NULL);
	ck_assert(strstr(text, "buffer pool \"exit-buf\"") != NULL);
	ck_assert(strstr(text, "exit-gone") == NULL);
}

START_TEST(test_exit_json_stderr)
{
	char *out, *err;

	run_exit_child("json", "", &out, &err);
	ck_assert_str_eq(out, "");
	check_exit_json(err);
	free(out);
	free(err);
	run_exit_child("json:stdout", "", &out, &err);
	ck_assert_str_eq(err, "");
	check_exit_json(out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_exit_table_stderr)
{
	char *out, *err;
	pid_t pid = run_exit_child("stderr", "", &out, &err);

	ck_assert_str_eq(out, "");
	check_exit_table(err, pid);
	free(out);
	free(err);
	pid = run_exit_child("stdout", "", &out, &err);
	ck_assert_str_eq(err, "");
	check_exit_table(out, pid);
	free(out);
	free(err);
}
END_TEST

/* Read file @path whole (free it). */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A file: appended to, a table per run; json:PATH the same in JSON. */
START_TEST(test_exit_file)
{
	char path[] = "/tmp/lfp-stats-file.XXXXXX", value[64], *out, *err, *text;
	int fd = mkstemp(path);
	pid_t p1, p2;

	ck_assert_int_ge(fd, 0);
	close(fd);
	p1 = run_exit_child(path, "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	p2 = run_exit_child(path, "", &out, &err);
	free(out);
	free(err);
	text = slurp(path);
	check_exit_table(text, p1);
	check_exit_table(text, p2);
	free(text);

	ck_assert_int_eq(truncate(path, 0), 0);
	snprintf(value, sizeof(value), "json:%s", path);
	run_exit_child(value, "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	text = slurp(path);
	check_exit_json(text);
	ck_assert(strstr(text, "lfpool: the pools") == NULL);
	free(text);
	unlink(path);
}
END_TEST

/* A forked child that calls exit() writes its own table, under its pid. */
START_TEST(test_exit_fork)
{
	char *out, *err, head[64];
	pid_t pid = run_exit_child("stderr", "fork", &out, &err);
	const char *first, *second;

	check_exit_table(err, pid);
	first = strstr(err, "lfpool: the pools of process ");
	ck_assert_ptr_nonnull(first);
	second = strstr(first + 1, "lfpool: the pools of process ");
	ck_assert_msg(second != NULL, "one table only: %s", err);
	ck_assert_ptr_null(strstr(second + 1, "lfpool: the pools of process "));
	/* The child's (first: it exits first) is not the parent's. */
	snprintf(head, sizeof(head), "process %ld at", (long)pid);
	ck_assert(strstr(first, head) != NULL);
	ck_assert(strncmp(first + strlen("lfpool: the pools of "), head,
			  strlen(head)) != 0);
	ck_assert(strstr(first, "object pool \"exit-obj\"") < second);
	free(out);
	free(err);
}
END_TEST

/* Unset or empty: nothing. A value it cannot follow: one line. */
START_TEST(test_exit_bad_values)
{
	char *out, *err;

	run_exit_child(NULL, "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	run_exit_child("", "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	run_exit_child("json:", "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "lfpool: LFP_STATS=\"json:\" names no file; "
			 "nothing written\n");
	free(out);
	free(err);
	run_exit_child("/nonexistent-dir/x/stats", "", &out, &err);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "lfpool: LFP_STATS: cannot open "
			 "\"/nonexistent-dir/x/stats\": No such file or "
			 "directory\n");
	free(out);
	free(err);
}
END_TEST

static Suite *
stats_all_suite(void)
{
	Suite *s = suite_create("stats_all");
	TCase *tc = tcase_create("print_all");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_all_json);
	tcase_add_test(tc, test_all_names);
	tcase_add_test(tc, test_all_bad_args);
	tcase_add_test(tc, test_all_concurrent);
	suite_add_tcase(s, tc);
	tc = tcase_create("at_exit");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exit_json_stderr);
	tcase_add_test(tc, test_exit_table_stderr);
	tcase_add_test(tc, test_exit_file);
	tcase_add_test(tc, test_exit_fork);
	tcase_add_test(tc, test_exit_bad_values);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	ssize_t n;

	if (argc >= 2 && !strcmp(argv[1], "exit-child"))
		return exit_child(argc >= 3 ? argv[2] : "");
	/* This process's own pools must not print at its exit. */
	unsetenv("LFP_STATS");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		return 99;
	}
	self[n] = '\0';
	return lfp_test_run(stats_all_suite());
}
