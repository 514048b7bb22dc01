/* SPDX-License-Identifier: MIT */
/*
 * bench_checked.c - what checked mode costs a get+put pair of a 64-byte
 * object, one thread: a plain pool (the inline hit path), a checked pool
 * (every call on the library's slow path, with its checks), and a checked
 * pool with sites (each get also records its caller, for the leak report
 * at destroy). The figure of interest is sites / checked: whether a test
 * suite can keep sites on. Times are the thread's CPU time (a busy
 * machine's preemptions left out); runs alternate between the cases, so
 * that drift hits them alike; the figures are medians.
 */
#include "bench-common.h"

static const char what[] =
	"bench_checked: get+put of a 64-byte object, 1 thread: plain, "
	"checked, checked with sites";

struct ck_case {
	const char *name;
	unsigned int flags;
	struct lfp_objpool *pool;
	uint64_t iters;
	double ns[BENCH_MAX_RUNS];
	double med_ns;
};

static struct ck_case cases[] = {
	{ .name = "plain", .flags = 0 },
	{ .name = "checked", .flags = LFP_OBJPOOL_F_CHECKED },
	{ .name = "sites", .flags = LFP_OBJPOOL_F_SITES },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* A get and a put, a byte written between them; 8 objects out at once,
 * as a program holds a few. */
static uint64_t
case_run(void *arg, uint64_t iters)
{
	struct ck_case *c = arg;
	void *o[8];
	uint64_t t0 = bench_thread_cpu_ns();

	for (uint64_t i = 0; i < iters; i += 8) {
		for (unsigned int k = 0; k < 8; k++) {
			o[k] = lfp_objpool_get(c->pool);
			if (!o[k])
				bench_die("lfp_objpool_get: %s",
					  strerror(errno));
			*(volatile char *)o[k] = (char)k;
		}
		bench_escape(o);
		for (unsigned int k = 0; k < 8; k++)
			if (lfp_objpool_put(c->pool, o[k]))
				bench_die("lfp_objpool_put failed");
	}
	return bench_thread_cpu_ns() - t0;
}

int
main(int argc, char **argv)
{
	struct bench_opts opts = { .runs = 7, .run_ms = 50 };
	double ratio_sites, ratio_checked;

	bench_parse_args(argc, argv, &opts, what);
	bench_print_header(what, &opts);
	for (size_t i = 0; i < NCASES; i++) {
		struct lfp_objpool_attr attr;

		lfp_objpool_attr_init(&attr);
		attr.size = 64;
		attr.name = cases[i].name;
		attr.flags = cases[i].flags;
		cases[i].pool = lfp_objpool_create(&attr);
		if (!cases[i].pool)
			bench_die("lfp_objpool_create: %s", strerror(errno));
		cases[i].iters = opts.iters ? (opts.iters + 7) / 8 * 8 :
			(bench_calibrate(case_run, &cases[i],
					 (uint64_t)opts.run_ms * 1000000u) +
			 7) / 8 * 8;
	}
	for (unsigned int r = 0; r < opts.runs; r++)
		for (size_t i = 0; i < NCASES; i++)
			cases[i].ns[r] = (double)case_run(&cases[i],
							  cases[i].iters) /
					 (double)cases[i].iters;
	printf("\n%-8s %12s %10s\n", "case", "iters/run", "ns/pair");
	for (size_t i = 0; i < NCASES; i++) {
		cases[i].med_ns = bench_median(cases[i].ns, opts.runs);
		printf("%-8s %12llu %10.1f\n", cases[i].name,
		       (unsigned long long)cases[i].iters, cases[i].med_ns);
	}
	ratio_checked = cases[1].med_ns / cases[0].med_ns;
	ratio_sites = cases[2].med_ns / cases[1].med_ns;
	printf("checked / plain = %.2f\nsites / checked = %.2f\n",
	       ratio_checked, ratio_sites);
	putchar('\n');
	for (size_t i = 0; i < NCASES; i++) {
		bench_result("checked", cases[i].name,
			     "ns_per_pair=%.2f\titers=%llu\truns=%u",
			     cases[i].med_ns,
			     (unsigned long long)cases[i].iters, opts.runs);
		if (lfp_objpool_destroy(cases[i].pool))
			bench_die("lfp_objpool_destroy failed");
	}
	bench_result("checked", "ratio", "checked_over_plain=%.3f\t"
		     "sites_over_checked=%.3f", ratio_checked, ratio_sites);
	bench_result_maxrss("checked");
	return 0;
}
