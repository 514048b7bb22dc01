/* SPDX-License-Identifier: MIT */
/*
 * bench-common.h - helpers shared by the benchmark programs, so that none
 * of them is written twice: the clocks, a sleep, the median of runs,
 * calibration of the iteration count, a start barrier for threads, CPU
 * pinning, the library a function was loaded from, a malloc that stops
 * the program when memory runs out, a malloc call counter (for allocation
 * hooks such as zlib's zalloc/zfree), command line options (-r RUNS,
 * -n ITERS, -d MS, -t THREADS, -P, and a program's own), the
 * tab-separated RESULT lines every benchmark prints besides its table,
 * and the peak resident memory of the process.
 *
 * Everything here is static inline: a benchmark is a single translation
 * unit, or (bench_versus) a few that each include what they use. Include
 * this header first: it needs _GNU_SOURCE for sched_setaffinity() and
 * program_invocation_short_name.
 *
 * Timings are never checked against a bar here: a benchmark prints its
 * figures and exits 0 whatever they are; only a wrong result (a failed
 * call, a bad output) makes it stop.
 */
#ifndef LFP_BENCH_COMMON_H
#define LFP_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <lfpool.h>

#define BENCH_MAX_RUNS 101u	/* -r limit: sizes the sample arrays */
#define BENCH_MAX_TCOUNTS 8u	/* how many thread counts -t may list */
#define BENCH_MAX_THREADS 64u	/* the largest thread count -t accepts */

/* Report a wrong result or a failed call, and stop. Never for timings. */
static inline __attribute__((noreturn, cold, format(printf, 1, 2))) void
bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* malloc, or stop: a benchmark cannot go on without its memory. */
static inline void *
bench_xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		bench_die("malloc of %zu bytes: %s", size, strerror(errno));
	return p;
}

/* Sleep @p ms milliseconds, whatever signals come. */
static inline void
bench_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Monotonic time in nanoseconds. */
static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The CPU time the calling thread has used, in nanoseconds: unlike the
 * monotonic clock, it stops while the thread waits for a CPU, so that
 * other processes on a busy machine change it little.
 */
static inline uint64_t
bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Make the compiler assume @p p escapes and memory is read and written
 * here, so that work on @p p (a store into an object, a malloc/free pair)
 * cannot be optimised away. It emits no instruction.
 */
static inline void
bench_escape(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* One spin of a wait loop: the CPU's hint that this is one (pause on x86,
 * yield on aarch64; nothing elsewhere). */
static inline void
bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * A function the compiler may neither inline nor reason about (noipa), so
 * that each call is a real call, as through a library's API.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_OPAQUE __attribute__((noinline, noipa))
#else
#define BENCH_OPAQUE __attribute__((noinline))
#endif

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The median of @p n samples; sorts a copy, @p v is left as it was. The
 * copy is on the stack up to BENCH_MAX_RUNS samples, on the heap beyond.
 */
static inline double
bench_median(const double *v, unsigned int n)
{
	double buf[BENCH_MAX_RUNS], *s = buf, m;

	if (n == 0)
		return 0.0;
	if (n > BENCH_MAX_RUNS)
		s = bench_xmalloc(n * sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	if (s != buf)
		free(s);
	return m;
}

/* Runs @p iters iterations of something and returns the elapsed ns. */
typedef uint64_t (*bench_run_fn)(void *arg, uint64_t iters);

/*
 * Find an iteration count for which one call of @p run lasts about
 * @p target_ns: double the count until a call lasts a tenth of the target,
 * then scale. The calls made here also warm caches and pools up.
 */
static inline uint64_t
bench_calibrate(bench_run_fn run, void *arg, uint64_t target_ns)
{
	uint64_t n = 1, t;
	double scaled;

	for (;;) {
		t = run(arg, n);
		if (t >= target_ns / 10 || n >= (UINT64_C(1) << 40))
			break;
		n *= t < target_ns / 1000 ? 16 : 2;
	}
	scaled = (double)n * (double)target_ns / (double)(t ? t : 1);
	return scaled < 1.0 ? 1 : (uint64_t)scaled;
}

/* A start barrier: every thread leaves wait() once all have arrived. */
struct bench_barrier {
	pthread_barrier_t b;
};

static inline void
bench_barrier_init(struct bench_barrier *bar, unsigned int nthreads)
{
	int err = pthread_barrier_init(&bar->b, NULL, nthreads);

	if (err)
		bench_die("pthread_barrier_init: %s", strerror(err));
}

static inline void
bench_barrier_wait(struct bench_barrier *bar)
{
	pthread_barrier_wait(&bar->b);
}

static inline void
bench_barrier_destroy(struct bench_barrier *bar)
{
	pthread_barrier_destroy(&bar->b);
}

/* The file a function was loaded from: a library, or this program. */
static inline const char *
bench_origin(void *fn)
{
	Dl_info info;

	if (dladdr(fn, &info) && info.dli_fname)
		return info.dli_fname;
	return "unknown";
}

/* How many CPUs the calling thread may run on (at least 1). */
static inline unsigned int
bench_ncpus(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		n = CPU_COUNT(&set);
		if (n > 0)
			return (unsigned int)n;
	}
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

/* Say how the threads ran: pinned, floating after an error, or unpinned. */
static inline void
bench_print_pinning(bool pin, int err, const char *who)
{
	if (!pin)
		printf("threads not pinned (-P)\n");
	else if (err)
		printf("pinning failed (%s): threads float\n", strerror(err));
	else
		printf("%s i pinned to CPU i modulo %u\n", who, bench_ncpus());
}

/*
 * Pin the calling thread to the (@p i modulo their count)-th CPU it may
 * run on now. Call it from threads that are not pinned yet.
 * @return the CPU number, or a negative errno value (the thread then
 *         stays where it was).
 */
static inline int
bench_pin_self(unsigned int i)
{
	cpu_set_t allowed, one;
	int cpu, n, k = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return -errno;
	n = CPU_COUNT(&allowed);
	if (n <= 0)
		return -EINVAL;
	i %= (unsigned int)n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &allowed) && k++ == (int)i)
			break;
	}
	if (cpu == CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	return cpu;
}

/*
 * Counted malloc/free, for libraries that take allocation hooks (zlib's
 * zalloc/zfree): exact counts without interposing on malloc itself.
 */
struct bench_alloc_count {
	atomic_uint_fast64_t mallocs;	/* successful malloc calls */
	atomic_uint_fast64_t frees;	/* free calls with a non-NULL pointer */
	atomic_uint_fast64_t bytes;	/* bytes asked for by those mallocs */
};

static inline struct bench_alloc_count *
bench_allocs(void)
{
	static struct bench_alloc_count count;

	return &count;
}

static inline void *
bench_counted_malloc(size_t size)
{
	struct bench_alloc_count *c = bench_allocs();
	void *p = malloc(size);

	if (p) {
		atomic_fetch_add_explicit(&c->mallocs, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->bytes, size,
					  memory_order_relaxed);
	}
	return p;
}

static inline void
bench_counted_free(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&bench_allocs()->frees, 1,
					  memory_order_relaxed);
	free(p);
}

/* Command line options shared by the benchmarks; defaults set by each. */
struct bench_opts {
	unsigned int runs;	/* -r: runs per case; medians are printed */
	uint64_t iters;		/* -n: iterations per run; 0: calibrate */
	unsigned int run_ms;	/* -d: calibration target for one run */
	unsigned int tcounts[BENCH_MAX_TCOUNTS]; /* -t: thread counts */
	unsigned int ntcounts;
	bool threaded;		/* the program uses -t and pinning */
	bool pin;		/* pin thread i to CPU i (-P: do not) */
	bool timed;		/* each run lasts -d ms: there is no -n */
	const char *extra_opts;	/* getopt letters the program adds, or NULL */
	const char *extra_usage; /* their lines in the usage text */
	void (*extra)(int opt, const char *arg); /* handles one of them */
};

/* The index of @nthreads in the -t list, or -1. */
static inline int
tcount_index(const struct bench_opts *o, unsigned int nthreads)
{
	unsigned int i;

	for (i = 0; i < o->ntcounts; i++) {
		if (o->tcounts[i] == nthreads)
			return (int)i;
	}
	return -1;
}

static inline void
bench_usage(FILE *f, const struct bench_opts *o, const char *what)
{
	fprintf(f, "usage: %s [-r RUNS]%s [-d MS]%s%s\n%s\n"
		"  -r RUNS     runs per case, the median is shown "
		"(default %u, max %u)\n",
		program_invocation_short_name, o->timed ? "" : " [-n ITERS]",
		o->threaded ? " [-t LIST] [-P]" : "",
		o->extra_opts ? " [options below]" : "", what, o->runs,
		BENCH_MAX_RUNS);
	if (o->timed)
		fprintf(f, "  -d MS       duration of one run (default %u)\n",
			o->run_ms);
	else
		fprintf(f, "  -n ITERS    iterations per run "
			"(default: calibrated to last about -d)\n"
			"  -d MS       target duration of one run "
			"(default %u)\n", o->run_ms);
	if (o->threaded)
		fprintf(f, "  -t LIST     thread counts, comma-separated "
			"(default 1,2; max %u threads)\n"
			"  -P          do not pin threads to CPUs\n",
			BENCH_MAX_THREADS);
	if (o->extra_usage)
		fputs(o->extra_usage, f);
}

static inline unsigned long long
bench_parse_num(const char *s, char opt, unsigned long long min,
		unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "%s: -%c: expected a number in %llu..%llu, "
			"not '%s'\n", program_invocation_short_name, opt,
			min, max, s);
		exit(2);
	}
	return v;
}

/*
 * Parse @p list, comma-separated numbers in @p min..@p max given to option
 * -@p opt, into @p v (at most @p maxn of them). Exits with status 2 on a
 * bad list. @return how many numbers it held (at least one).
 */
static inline unsigned int
bench_parse_list(const char *list, char opt, unsigned int *v,
		 unsigned int maxn, unsigned int min, unsigned int max)
{
	char buf[256], *tok, *save = NULL;
	unsigned int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		fprintf(stderr, "%s: -%c: list too long\n",
			program_invocation_short_name, opt);
		exit(2);
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == maxn) {
			fprintf(stderr, "%s: -%c: at most %u numbers\n",
				program_invocation_short_name, opt, maxn);
			exit(2);
		}
		v[n++] = (unsigned int)bench_parse_num(tok, opt, min, max);
	}
	if (!n) {
		fprintf(stderr, "%s: -%c: empty list\n",
			program_invocation_short_name, opt);
		exit(2);
	}
	return n;
}

static inline void
bench_parse_tcounts(struct bench_opts *o, const char *list)
{
	o->ntcounts = bench_parse_list(list, 't', o->tcounts,
				       BENCH_MAX_TCOUNTS, 1,
				       BENCH_MAX_THREADS);
}

/*
 * Parse argv into @p o, whose fields hold the program's defaults. -t and
 * -P are accepted only when o->threaded is set. Exits with status 2 on a
 * bad option, 0 after -h. @p what is one line saying what is measured.
 */
static inline void
bench_parse_args(int argc, char **argv, struct bench_opts *o,
		 const char *what)
{
	char optstring[64];
	int c;

	snprintf(optstring, sizeof(optstring), "r:d:h%s%s%s",
		 o->timed ? "" : "n:", o->threaded ? "t:P" : "",
		 o->extra_opts ? o->extra_opts : "");
	while ((c = getopt(argc, argv, optstring)) != -1) {
		switch (c) {
		case 'r':
			o->runs = (unsigned int)bench_parse_num(optarg, 'r', 1,
								BENCH_MAX_RUNS);
			break;
		case 'n':
			o->iters = bench_parse_num(optarg, 'n', 1,
						   UINT64_C(1) << 40);
			break;
		case 'd':
			o->run_ms = (unsigned int)bench_parse_num(optarg, 'd',
								  1, 60000);
			break;
		case 't':
			bench_parse_tcounts(o, optarg);
			break;
		case 'P':
			o->pin = false;
			break;
		case 'h':
			bench_usage(stdout, o, what);
			exit(0);
		case '?':
			bench_usage(stderr, o, what);
			exit(2);
		default:
			if (o->extra) {
				o->extra(c, optarg);
				break;
			}
			bench_usage(stderr, o, what);
			exit(2);
		}
	}
	if (optind < argc) {
		bench_usage(stderr, o, what);
		exit(2);
	}
}

/* The first lines of every benchmark's output. */
static inline void
bench_print_header(const char *what, const struct bench_opts *o)
{
	printf("%s\n", what);
	printf("lfpool %s, %u CPUs available, median of %u runs, ",
	       LFP_VERSION_STRING, bench_ncpus(), o->runs);
	if (o->timed)
		printf("each run lasts %u ms\n", o->run_ms);
	else if (o->iters)
		printf("%llu iterations per run (-n)\n",
		       (unsigned long long)o->iters);
	else
		printf("iterations calibrated to about %u ms per run\n",
		       o->run_ms);
}

/*
 * One machine-readable line per case:
 * "RESULT <tab> program <tab> case <tab> key=value <tab> ...".
 * @p fmt gives the key=value fields, separated by tabs.
 */
static inline __attribute__((format(printf, 3, 4))) void
bench_result(const char *prog, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT\t%s\t%s\t", prog, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The peak resident memory of this process so far, in KiB. */
static inline long
bench_maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		bench_die("getrusage: %s", strerror(errno));
	return ru.ru_maxrss;
}

/* The RESULT line with the peak resident memory of program @p prog. */
static inline void
bench_result_maxrss(const char *prog)
{
	bench_result(prog, "process", "maxrss_kb=%ld", bench_maxrss_kb());
}

/* Resident memory of this process now, in KiB (/proc/self/statm). */
static inline long
bench_rss_kb(void)
{
	long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Options of the memory programs (bench_idle_threads, bench_trim): -t
 * THREADS sets *@nthreads; -r, -n and -d, which `make bench` passes to
 * every program, are accepted and ignored. Exits on -h or a bad option.
 */
static inline void
bench_parse_threads(int argc, char **argv, unsigned int *nthreads)
{
	int c;

	while ((c = getopt(argc, argv, "t:r:n:d:h")) != -1) {
		if (c == 't' && atoi(optarg) > 0) {
			*nthreads = (unsigned int)atoi(optarg);
		} else if (c != 'r' && c != 'n' && c != 'd') {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: %s [-t THREADS]\n", argv[0]);
			exit(c == 'h' ? 0 : 2);
		}
	}
}

#endif /* LFP_BENCH_COMMON_H */
