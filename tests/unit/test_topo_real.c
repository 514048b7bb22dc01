/* SPDX-License-Identifier: MIT */
/*
 * test_topo_real.c - memory bound to each NUMA node of the real machine
 * sits on that node (lfp_topo_bind, then lfp_topo_node_of_addr, which is
 * hwloc_get_area_memlocation), and a node without memory refuses the
 * binding (counted). It needs two nodes or more, and a kernel
 * that lets this process bind memory and tell where pages are; elsewhere
 * it skips the whole program with a reason: under the automake TAP
 * driver (CK_TAP_LOG_FILE_NAME set) as a TAP plan "1..0 # SKIP reason"
 * and exit status 0, because the driver reads any other status as an
 * error; run by hand, with the reason on stdout and exit status 77.
 */
#define _GNU_SOURCE
#include "topo.h"
#include "test-common.h"
#include "test-sysnode.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define AREA (2u << 20)

/* Bind a fresh area to @node, touch it; where is it? -2: binding failed. */
static int
bind_touch_locate(unsigned int node, int *err)
{
	char *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int where = -2;

	if (p == MAP_FAILED) {
		*err = -errno;
		return -2;
	}
	*err = lfp_topo_bind(p, AREA, node);
	if (!*err) {
		memset(p, (int)node + 1, AREA);
		where = lfp_topo_node_of_addr(p);
		/* Every page of the area, not only the first. */
		for (size_t off = 0; off < AREA; off += 4096)
			if (lfp_topo_node_of_addr(p + off) != where)
				where = -3;
	}
	munmap(p, AREA);
	return where;
}

/*
 * Every node with memory takes the binding, and the pages are there; a
 * node without memory (sysfs has_memory) refuses it, counted.
 */
START_TEST(test_bind_each_node)
{
	uint64_t refused = 0, before = lfp_topo_bind_failures();

	for (unsigned int n = 0; n < lfp_topo_nnodes(); n++) {
		int os = lfp_topo_node_os_index(n);
		int err, where = bind_touch_locate(n, &err);

		if (!lfp_test_sys_node_has_memory(os)) {
			ck_assert_msg(err != 0, "node %u (kernel node %d) has "
				      "no memory, yet took a binding", n, os);
			refused++;
			continue;
		}
		ck_assert_msg(!err, "bind to node %u: %s", n, strerror(-err));
		ck_assert_msg(where == (int)n,
			      "memory bound to node %u is on node %d", n,
			      where);
	}
	ck_assert_uint_eq(lfp_topo_bind_failures() - before, refused);
}
END_TEST

/* The current CPU and node, on each CPU this process may run on. */
START_TEST(test_cpu_nodes)
{
	int cpus[CPU_SETSIZE];
	unsigned int n = lfp_test_allowed_cpus(cpus, CPU_SETSIZE);

	for (unsigned int i = 0; i < n && i < CPU_SETSIZE; i++) {
		unsigned int node = lfp_topo_node_of_cpu(cpus[i]);

		ck_assert_uint_lt(node, lfp_topo_nnodes());
		ck_assert_int_eq(lfp_test_pin(cpus[i]), 0);
		ck_assert_int_eq(lfp_topo_current_cpu(), cpus[i]);
		ck_assert_uint_eq(lfp_topo_current_node(), node);
	}
}
END_TEST

int
main(void)
{
	char detail[128];
	Suite *s;
	TCase *tc;
	unsigned int probe;
	int err, where;

	unsetenv("LFP_TOPOLOGY");
	if (lfp_topo_nnodes() < 2) {
		snprintf(detail, sizeof(detail), " (%u node, source %s)",
			 lfp_topo_nnodes(), lfp_topo_source_name());
		return lfp_test_sysnode_skip(
			"needs 2 or more NUMA nodes", detail);
	}
	/* The last node with memory (sysfs), or node 1 if none says so. */
	probe = 1;
	for (unsigned int n = 0; n < lfp_topo_nnodes(); n++)
		if (lfp_test_sys_node_has_memory(lfp_topo_node_os_index(n)))
			probe = n;
	where = bind_touch_locate(probe, &err);
	if (err == -ENOSYS || err == -EPERM) {
		snprintf(detail, sizeof(detail), ": %s", strerror(-err));
		return lfp_test_sysnode_skip(
			"this process may not bind memory", detail);
	}
	if (!err && where == -1)
		return lfp_test_sysnode_skip(
			"the kernel does not tell where pages are", "");

	s = suite_create("topo_real");
	tc = lfp_test_tcase(s, "real");
	tcase_add_test(tc, test_bind_each_node);
	tcase_add_test(tc, test_cpu_nodes);
	return lfp_test_run(s);
}
