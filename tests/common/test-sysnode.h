/* SPDX-License-Identifier: MIT */
/*
 * test-sysnode.h - the kernel's NUMA nodes as sysfs lists them
 * (/sys/devices/system/node/), read without the library: which nodes are
 * online, which have memory, the CPUs of each, and the node a page sits
 * on (move_pages(2) in query mode). For the tests that check the
 * library's view of a real NUMA machine against the kernel's.
 */
#ifndef LFP_TEST_SYSNODE_H
#define LFP_TEST_SYSNODE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LFP_TEST_MAXNODES 64
#define LFP_TEST_MAXCPUS 1024

/*
 * Read the kernel list ("0-1,4") at @path into @set[0 .. @max - 1];
 * returns how many members, or -1 when the file cannot be read.
 */
static inline int
lfp_test_sys_list(const char *path, bool *set, int max)
{
	char buf[4096], *p, *end;
	FILE *f = fopen(path, "r");
	int n = 0;

	memset(set, 0, (size_t)max * sizeof(*set));
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;               /* an empty list */
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p)
				return -1;
		}
		for (long i = lo; i <= hi && i < max; i++) {
			n += !set[i];
			set[i] = true;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* The kernel's list @what ("online", "has_memory", ...) of nodes. */
static inline int
lfp_test_sys_nodes(const char *what, bool *set)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/node/%s", what);
	return lfp_test_sys_list(path, set, LFP_TEST_MAXNODES);
}

/* The CPUs of kernel node @os. */
static inline int
lfp_test_sys_node_cpus(int os, bool *set)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 os);
	return lfp_test_sys_list(path, set, LFP_TEST_MAXCPUS);
}

/* Whether kernel node @os has memory (false when sysfs does not say). */
static inline bool
lfp_test_sys_node_has_memory(int os)
{
	bool set[LFP_TEST_MAXNODES];

	return os >= 0 && os < LFP_TEST_MAXNODES &&
	       lfp_test_sys_nodes("has_memory", set) > 0 && set[os];
}

/*
 * The kernel node of each of the @n pages at @pages (move_pages(2) with
 * no target nodes: a query) into @where: a node, or a negative errno
 * (-ENOENT: not faulted in). Returns 0, or -errno when the call failed.
 */
static inline int
lfp_test_page_nodes(void **pages, int *where, unsigned long n)
{
#ifdef SYS_move_pages
	if (syscall(SYS_move_pages, 0, n, pages, NULL, where, 0) < 0)
		return -errno;
	return 0;
#else
	(void)pages;
	(void)where;
	(void)n;
	return -ENOSYS;
#endif
}

/*
 * A program that needs a machine this one is not (more nodes, binding,
 * page queries) says why and skips as a whole: a TAP plan of none under
 * the test driver (which reads exit 77 as an error), else exit 77.
 * Returns the exit status.
 */
static inline int
lfp_test_sysnode_skip(const char *why, const char *detail)
{
	if (getenv("CK_TAP_LOG_FILE_NAME")) {
		printf("1..0 # SKIP %s%s\n", why, detail);
		return 0;
	}
	printf("SKIP: %s%s\n", why, detail);
	return 77;
}

#endif /* LFP_TEST_SYSNODE_H */
