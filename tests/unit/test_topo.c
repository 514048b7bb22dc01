/* SPDX-License-Identifier: MIT */
/*
 * test_topo.c - white-box tests of the topology module (lib/topo.h):
 * synthetic topologies of 1, 2 and 4 NUMA nodes, an XML file, invalid
 * LFP_TOPOLOGY values falling back to the machine's topology without a
 * word on stderr, the current-CPU hook, and on the real topology a
 * binding to node 0 checked with the node of the address (or, where the
 * kernel refuses binding, the failure counter and usable memory).
 *
 * The topology is loaded once per process, so every test runs its body
 * in a child of its own (run_child()), whatever CK_FORK says: the child
 * sets LFP_TOPOLOGY, checks, and exits; the parent asserts on the
 * child's status and reports the child's first failed check. Children
 * exit with exit(), not _exit(), so LeakSanitizer checks them too.
 */
#define _GNU_SOURCE
#include "topo.h"
#include "test-child.h"

#include <hwloc.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

/*
 * What every synthetic or XML topology must answer: @nodes nodes, and
 * node_of_cpu(c) == cpu_node[c] for the @ncpus CPUs; no binding, no
 * address location, no failure counted.
 */
static void
check_fake(enum lfp_topo_source src, unsigned int nodes,
	   const uint16_t *cpu_node, unsigned int ncpus)
{
	size_t len = 1 << 16;
	char *p;

	req_eq(lfp_topo_source(), src);
	req(!lfp_topo_is_system());
	req_eq(lfp_topo_nnodes(), nodes);
	req_eq(lfp_topo_ncpus(), ncpus);
	for (unsigned int c = 0; c < ncpus; c++)
		req_eq(lfp_topo_node_of_cpu((int)c), cpu_node[c]);
	/* Unknown CPUs are on node 0. */
	req_eq(lfp_topo_node_of_cpu(-1), 0);
	req_eq(lfp_topo_node_of_cpu((int)ncpus), 0);
	req_eq(lfp_topo_node_of_cpu(1 << 30), 0);
	req_eq(lfp_topo_node_os_index(nodes), -1);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	req(p != MAP_FAILED);
	for (unsigned int n = 0; n < nodes; n++)
		req_eq(lfp_topo_bind(p, len, n), -EOPNOTSUPP);
	req_eq(lfp_topo_bind(p, len, nodes), -EINVAL);
	memset(p, 0x5a, len);
	req_eq(lfp_topo_node_of_addr(p), -1);
	req_eq(lfp_topo_bind_failures(), 0);
	munmap(p, len);
}

/* The hook: this thread is on CPU *(int *)arg. */
static int
fake_cpu(void *arg)
{
	return *(int *)arg;
}

/* Every CPU, through the hook: current_cpu and current_node follow it. */
static void
check_hook(const uint16_t *cpu_node, unsigned int ncpus)
{
	int cpu;

	lfp_topo_set_cpu_hook(fake_cpu, &cpu);
	for (cpu = 0; cpu < (int)ncpus; cpu++) {
		req_eq(lfp_topo_current_cpu(), cpu);
		req_eq(lfp_topo_current_node(), cpu_node[cpu]);
	}
	cpu = -5;       /* a negative answer reads as CPU 0 */
	req_eq(lfp_topo_current_cpu(), 0);
	cpu = 100000;   /* unknown: node 0 */
	req_eq(lfp_topo_current_node(), 0);
	lfp_topo_set_cpu_hook(NULL, NULL);
	req(lfp_topo_current_cpu() >= 0);
}

static void
body_one_node(void)
{
	static const uint16_t map[] = { 0, 0, 0, 0 };

	/* No NUMA level: hwloc's single node holds every CPU. */
	check_fake(LFP_TOPO_SYNTHETIC, 1, map, 4);
	req_eq(lfp_topo_node_os_index(0), 0);
	req(!strcmp(lfp_topo_source_name(), "synthetic"));
	check_hook(map, 4);
}

static void
body_two_nodes(void)
{
	static const uint16_t map[] = { 0, 0, 1, 1 };

	check_fake(LFP_TOPO_SYNTHETIC, 2, map, 4);
	req_eq(lfp_topo_node_os_index(0), 0);
	req_eq(lfp_topo_node_os_index(1), 1);
	check_hook(map, 4);
}

static void
body_four_nodes(void)
{
	static const uint16_t map[] = { 0, 1, 2, 3 };

	check_fake(LFP_TOPO_SYNTHETIC, 4, map, 4);
	check_hook(map, 4);
}

static void
body_four_nodes_deep(void)
{
	uint16_t map[16];

	for (int c = 0; c < 16; c++)
		map[c] = (uint16_t)(c / 4);
	check_fake(LFP_TOPO_SYNTHETIC, 4, map, 16);
	check_hook(map, 16);
}

/*
 * Sparse kernel numbers: nodes 4 and 2 (library nodes 0 and 1), CPUs 0,
 * 1, 6 and 7. CPUs 2-5 are not in the topology: node 0.
 */
static void
body_sparse(void)
{
	static const uint16_t map[] = { 0, 0, 0, 0, 0, 0, 1, 1 };

	check_fake(LFP_TOPO_SYNTHETIC, 2, map, 8);
	req_eq(lfp_topo_node_os_index(0), 4);
	req_eq(lfp_topo_node_os_index(1), 2);
	check_hook(map, 8);
}

/* Threads racing to initialise all see one topology. */
static void *
race_worker(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)(lfp_topo_nnodes() * 1000 +
				   lfp_topo_node_of_cpu(3));
}

static void
body_race(void)
{
	pthread_t th[8];

	for (int i = 0; i < 8; i++)
		req(!pthread_create(&th[i], NULL, race_worker, NULL));
	for (int i = 0; i < 8; i++) {
		void *r;

		req(!pthread_join(th[i], &r));
		req_eq((uintptr_t)r, 2 * 1000 + 1);
	}
}

/* An XML file written from a 3-node synthetic topology. */
static char xml_path[64];

static void
write_xml(const char *path)
{
	hwloc_topology_t t;

	ck_assert_int_eq(hwloc_topology_init(&t), 0);
	ck_assert_int_eq(hwloc_topology_set_synthetic(t,
		"pack:3 [numa] core:2 pu:1"), 0);
	ck_assert_int_eq(hwloc_topology_load(t), 0);
	ck_assert_int_eq(hwloc_topology_export_xml(t, path, 0), 0);
	hwloc_topology_destroy(t);
}

static void
body_xml(void)
{
	static const uint16_t map[] = { 0, 0, 1, 1, 2, 2 };

	check_fake(LFP_TOPO_XML, 3, map, 6);
	req(!strcmp(lfp_topo_source_name(), "xml"));
	check_hook(map, 6);
}

START_TEST(test_xml_file)
{
	int fd;

	/* By its name (.xml) ... */
	snprintf(xml_path, sizeof(xml_path), "/tmp/lfp-topo-XXXXXX.xml");
	fd = mkstemps(xml_path, 4);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_xml(xml_path);
	run_child(body_xml, xml_path, true);
	unlink(xml_path);
	/* ... or because the file exists. */
	snprintf(xml_path, sizeof(xml_path), "/tmp/lfp-topo-XXXXXX");
	fd = mkstemp(xml_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_xml(xml_path);
	run_child(body_xml, xml_path, true);
	unlink(xml_path);
}
END_TEST

/* An invalid value: the machine's topology, as if LFP_TOPOLOGY were unset. */
static void
body_fallback(void)
{
	req_eq(lfp_topo_source(), LFP_TOPO_SYSTEM);
	req(!strcmp(lfp_topo_source_name(), "system"));
	req(lfp_topo_is_system());
	req(lfp_topo_nnodes() >= 1);
	req(lfp_topo_ncpus() >= 1);
	req(lfp_topo_current_node() < lfp_topo_nnodes());
}

START_TEST(test_invalid_fallback)
{
	static const char *const bad[] = {
		"bogus:3",                      /* unknown type */
		"pack:2 core:0",                /* zero arity */
		"pack:2 [numa",                 /* syntax */
		"/nonexistent/topology.xml",    /* no such file */
	};
	char path[] = "/tmp/lfp-topo-bad-XXXXXX";
	const char junk[] = "<?xml version=\"1.0\"?>\n<topology><object";
	int fd;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		run_child(body_fallback, bad[i], true);
	/* A file that is not an hwloc topology: malformed XML. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1),
			 (ssize_t)sizeof(junk) - 1);
	close(fd);
	run_child(body_fallback, path, true);
	unlink(path);
	/* Empty: as if unset. */
	run_child(body_fallback, "", true);
	run_child(body_fallback, NULL, true);
}
END_TEST

/* The CPU source without the hook: the kernel's answer. */
static void
body_real_cpu(void)
{
	int cpus[1] = { 0 }, cpu;

	lfp_test_allowed_cpus(cpus, 1);
	req_eq(lfp_test_pin(cpus[0]), 0);
	cpu = lfp_topo_current_cpu();
	req_eq(cpu, cpus[0]);
	req_eq(cpu, sched_getcpu());
	req_eq(lfp_topo_current_node(), lfp_topo_node_of_cpu(cpu));
	req((unsigned int)cpu < lfp_topo_ncpus());
	/* A hook, then back to the kernel's answer. */
	cpu = 12345;
	lfp_topo_set_cpu_hook(fake_cpu, &cpu);
	req_eq(lfp_topo_current_cpu(), 12345);
	lfp_topo_set_cpu_hook(NULL, NULL);
	req_eq(lfp_topo_current_cpu(), cpus[0]);
}

/*
 * Bind 2 MiB to node 0, touch it, and find it there. Where the kernel
 * refuses (containers), the refusal is counted and the memory works.
 */
static void
body_real_bind(void)
{
	size_t len = 2 << 20;
	char *p;
	int err, where;

	req(lfp_topo_is_system());
	req_eq(lfp_topo_bind_failures(), 0);
	req_eq(lfp_topo_bind(NULL, 0, lfp_topo_nnodes()), -EINVAL);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	req(p != MAP_FAILED);
	err = lfp_topo_bind(p, len, 0);
	memset(p, 0xa5, len);
	for (size_t i = 0; i < len; i += 4096)
		req_eq((unsigned char)p[i], 0xa5);
	where = lfp_topo_node_of_addr(p + len - 1);
	if (!err) {
		req_eq(lfp_topo_bind_failures(), 0);
		/* -1: the kernel does not say (move_pages refused). */
		if (where != -1) {
			req_eq(where, 0);
			req_eq(lfp_topo_node_of_addr(p), 0);
		} else {
			printf("# node_of_addr: the kernel does not tell\n");
		}
	} else {
		printf("# binding refused here: %s\n", strerror(-err));
		req(err != -EOPNOTSUPP && err != -EINVAL);
		req_eq(lfp_topo_bind_failures(), 1);
		/* Remembered or not, a second refusal counts again. */
		req_eq(lfp_topo_bind(p, len, 0), err);
		req_eq(lfp_topo_bind_failures(), 2);
		req(where >= -1 && where < (int)lfp_topo_nnodes());
	}
	munmap(p, len);

	/* A page never touched sits nowhere yet. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	req(p != MAP_FAILED);
	req_eq(lfp_topo_node_of_addr(p), -1);
	p[0] = 1;
	where = lfp_topo_node_of_addr(p);
	req(where >= -1 && where < (int)lfp_topo_nnodes());
	munmap(p, 4096);
}

/* Synthetic topologies, and the race of the first loads. */
static const struct child_case synthetic_cases[] = {
	{ body_one_node, "core:4 pu:1" },
	{ body_two_nodes, "pack:2 [numa] core:2 pu:1" },
	{ body_four_nodes, "numa:4 core:1 pu:1" },
	{ body_four_nodes_deep, "pack:2 group:2 [numa] core:2 pu:2" },
	{ body_sparse,
	  "pack:2 [numa(indexes=4,2)] core:2 pu:1(indexes=0,1,6,7)" },
	{ body_race, "pack:2 [numa] core:2 pu:1" },
};

/* The machine's own topology. */
static const struct child_case real_cases[] = {
	{ body_real_cpu, NULL },
	{ body_real_bind, NULL },
};

CHILD_TEST(test_synthetic, synthetic_cases)
CHILD_TEST(test_real, real_cases)

static Suite *
topo_suite(void)
{
	Suite *s = suite_create("topo");
	TCase *tc = lfp_test_tcase(s, "synthetic");

	tcase_add_child_test(tc, test_synthetic, synthetic_cases);
	tc = lfp_test_tcase(s, "xml");
	tcase_add_test(tc, test_xml_file);
	tcase_add_test(tc, test_invalid_fallback);
	tc = lfp_test_tcase(s, "real");
	tcase_add_child_test(tc, test_real, real_cases);
	return s;
}

int
main(void)
{
	return lfp_test_run(topo_suite());
}
