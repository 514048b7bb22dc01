/* SPDX-License-Identifier: MIT */
/*
 * bench_gunzip.c - the first benchmark of the article "Solving Performance Hotspots With Memory Pooling in Golang",
 * in C: decompress
 * the gzip of 1024 copies of "how now brown cow" again and again, with a
 * fresh zlib inflate stream each time (nopool) or with one taken from an
 * lfpool object pool whose constructor ran inflateInit2() once and whose
 * destructor runs inflateEnd() (pooled). zlib allocates through counting
 * zalloc/zfree hooks, so the malloc calls per operation that it prints are
 * exact; they are zlib's allocations only (lfpool takes its own memory from
 * the operating system, not through these hooks).
 */
#include "bench-common.h"

#include <zlib.h>

#define COW "how now brown cow"
#define COW_COPIES 1024u
#define COW_LEN (COW_COPIES * (sizeof(COW) - 1))	/* 17408 bytes */
#define GZIP_WBITS (15 + 16)	/* 32 KiB window, gzip wrapper */

static const char what[] =
	"bench_gunzip: gunzip of 1024 x \"how now brown cow\", "
	"fresh z_stream (nopool) vs lfpool object pool (pooled)";

/* The compressed input, made once at start. */
static unsigned char *gz_data;
static size_t gz_len;

/* Where the output goes: io.Discard of the article. */
static unsigned char discard[8192];

static struct lfp_objpool *zpool;

static voidpf
count_zalloc(voidpf opaque, uInt items, uInt size)
{
	if (size && items > SIZE_MAX / size)
		return Z_NULL;
	return bench_counted_malloc((size_t)items * size);
}

static void
count_zfree(voidpf opaque, voidpf p)
{
	bench_counted_free(p);
}

static void
make_input(void)
{
	unsigned char *plain = malloc(COW_LEN);
	z_stream zs;
	size_t i;
	int rc;

	if (!plain)
		bench_die("out of memory");
	for (i = 0; i < COW_COPIES; i++)
		memcpy(plain + i * (sizeof(COW) - 1), COW, sizeof(COW) - 1);
	memset(&zs, 0, sizeof(zs));
	rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WBITS,
			  8, Z_DEFAULT_STRATEGY);
	if (rc != Z_OK)
		bench_die("deflateInit2: %d", rc);
	gz_len = deflateBound(&zs, COW_LEN);
	gz_data = malloc(gz_len);
	if (!gz_data)
		bench_die("out of memory");
	zs.next_in = plain;
	zs.avail_in = COW_LEN;
	zs.next_out = gz_data;
	zs.avail_out = (uInt)gz_len;
	rc = deflate(&zs, Z_FINISH);
	if (rc != Z_STREAM_END)
		bench_die("deflate: %d", rc);
	gz_len = zs.total_out;
	deflateEnd(&zs);
	free(plain);
}

/*
 * Decompress the whole input with @p zs (initialised or reset), writing
 * into @p out over and over, @p cap bytes at a time.
 * @return the number of bytes decompressed.
 */
static size_t
gunzip(z_stream *zs, unsigned char *out, size_t cap)
{
	size_t total = 0;
	int rc;

	zs->next_in = gz_data;
	zs->avail_in = (uInt)gz_len;
	do {
		zs->next_out = out;
		zs->avail_out = (uInt)cap;
		rc = inflate(zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END)
			bench_die("inflate: %d (%s)", rc,
				  zs->msg ? zs->msg : "no message");
		total += cap - zs->avail_out;
	} while (rc != Z_STREAM_END);
	return total;
}

static void
check_len(size_t n)
{
	if (n != COW_LEN)
		bench_die("bad length: decompressed %zu bytes, expected %zu",
			  n, (size_t)COW_LEN);
}

static void
stream_init(z_stream *zs)
{
	int rc;

	memset(zs, 0, sizeof(*zs));
	zs->zalloc = count_zalloc;
	zs->zfree = count_zfree;
	rc = inflateInit2(zs, GZIP_WBITS);
	if (rc != Z_OK)
		bench_die("inflateInit2: %d", rc);
}

/* nopool: what the article's nopool does, new reader every time. */
static void
op_nopool(void)
{
	z_stream zs;

	stream_init(&zs);
	check_len(gunzip(&zs, discard, sizeof(discard)));
	inflateEnd(&zs);
}

/* pooled: a constructed stream from the pool, reset, used, put back. */
static void
op_pooled(void)
{
	z_stream *zs = lfp_objpool_get(zpool);
	int rc;

	if (!zs)
		bench_die("lfp_objpool_get: %s", strerror(errno));
	rc = inflateReset(zs);
	if (rc != Z_OK)
		bench_die("inflateReset: %d", rc);
	check_len(gunzip(zs, discard, sizeof(discard)));
	rc = lfp_objpool_put(zpool, zs);
	if (rc)
		bench_die("lfp_objpool_put: %s", strerror(-rc));
}

static int
zstream_ctor(void *obj, void *arg)
{
	z_stream *zs = obj;

	memset(zs, 0, sizeof(*zs));
	zs->zalloc = count_zalloc;
	zs->zfree = count_zfree;
	return inflateInit2(zs, GZIP_WBITS) == Z_OK ? 0 : ENOMEM;
}

static void
zstream_dtor(void *obj, void *arg)
{
	inflateEnd(obj);
}

struct variant {
	const char *name;
	void (*op)(void);
	uint64_t iters;		/* per run */
	double ns[BENCH_MAX_RUNS];	/* ns per op, one per run */
	uint64_t ops;		/* timed ops, all runs together */
	uint64_t mallocs;	/* zlib mallocs during the timed runs */
	uint64_t bytes;		/* bytes zlib asked for during them */
	double med_ns;		/* median of ns[] */
};

static uint64_t
variant_run(void *arg, uint64_t iters)
{
	const struct variant *v = arg;
	uint64_t i, t0 = bench_now_ns();

	for (i = 0; i < iters; i++)
		v->op();
	return bench_now_ns() - t0;
}

/* One timed run of @p v, counting zlib's allocations during it. */
static void
variant_measure(struct variant *v, unsigned int run)
{
	struct bench_alloc_count *c = bench_allocs();
	uint64_t m0 = atomic_load(&c->mallocs), b0 = atomic_load(&c->bytes);
	uint64_t ns = variant_run(v, v->iters);

	v->mallocs += atomic_load(&c->mallocs) - m0;
	v->bytes += atomic_load(&c->bytes) - b0;
	v->ops += v->iters;
	v->ns[run] = (double)ns / (double)v->iters;
}

/* Decompress once into a full buffer and compare with the original. */
static void
verify_output(void)
{
	unsigned char *out = malloc(COW_LEN + 1);
	z_stream zs;
	size_t i;

	if (!out)
		bench_die("out of memory");
	stream_init(&zs);
	check_len(gunzip(&zs, out, COW_LEN + 1));
	inflateEnd(&zs);
	for (i = 0; i < COW_COPIES; i++) {
		if (memcmp(out + i * (sizeof(COW) - 1), COW, sizeof(COW) - 1))
			bench_die("decompressed data differs at copy %zu", i);
	}
	free(out);
}

static void
make_pool(void)
{
	struct lfp_objpool_attr attr;
	int rc = lfp_objpool_attr_init(&attr);

	if (rc)
		bench_die("lfp_objpool_attr_init: %s", strerror(-rc));
	attr.size = sizeof(z_stream);
	attr.ctor = zstream_ctor;
	attr.dtor = zstream_dtor;
	attr.name = "z_stream";
	zpool = lfp_objpool_create(&attr);
	if (!zpool)
		bench_die("lfp_objpool_create: %s", strerror(errno));
}

/* Destroy the pool and check that the destructor freed zlib's memory. */
static void
destroy_pool(void)
{
	struct bench_alloc_count *c = bench_allocs();
	uint64_t m, f;
	int rc = lfp_objpool_destroy(zpool);

	if (rc)
		bench_die("lfp_objpool_destroy: %s", strerror(-rc));
	m = atomic_load(&c->mallocs);
	f = atomic_load(&c->frees);
	printf("after lfp_objpool_destroy: zlib mallocs %llu, frees %llu%s\n",
	       (unsigned long long)m, (unsigned long long)f,
	       m == f ? " (every stream was ended)" :
	       " -- MISMATCH: the destructor did not run on every object");
}

int
main(int argc, char **argv)
{
	struct bench_opts opts = {
		.runs = 7,
		.run_ms = 200,
	};
	static struct variant vars[] = {
		{ .name = "nopool", .op = op_nopool },
		{ .name = "pooled", .op = op_pooled },
	};
	const size_t nvars = sizeof(vars) / sizeof(vars[0]);
	double ratio;
	unsigned int r;
	size_t i;

	bench_parse_args(argc, argv, &opts, what);
	bench_print_header(what, &opts);
	make_input();
	verify_output();
	make_pool();
	printf("input: %zu bytes of gzip, %zu bytes out; "
	       "z_stream object: %zu bytes\n",
	       gz_len, (size_t)COW_LEN, sizeof(z_stream));

	/* Calibration also warms up: the pool constructs its stream here. */
	for (i = 0; i < nvars; i++) {
		vars[i].iters = opts.iters ? opts.iters :
			bench_calibrate(variant_run, &vars[i],
					(uint64_t)opts.run_ms * 1000000u);
	}
	/* Runs alternate between the variants, so drift hits both alike. */
	for (r = 0; r < opts.runs; r++) {
		for (i = 0; i < nvars; i++)
			variant_measure(&vars[i], r);
	}

	printf("\n%-8s %10s %10s %16s %14s\n", "variant", "iters/run",
	       "ns/op", "zlib mallocs/op", "zlib bytes/op");
	for (i = 0; i < nvars; i++) {
		struct variant *v = &vars[i];

		v->med_ns = bench_median(v->ns, opts.runs);
		printf("%-8s %10llu %10.0f %16.3f %14.0f\n", v->name,
		       (unsigned long long)v->iters, v->med_ns,
		       (double)v->mallocs / (double)v->ops,
		       (double)v->bytes / (double)v->ops);
	}
	printf("(malloc calls and bytes are zlib's own allocations, counted "
	       "through its zalloc/zfree hooks)\n");
	ratio = vars[0].med_ns / vars[1].med_ns;
	printf("nopool/pooled time ratio = %.2f\n", ratio);
	destroy_pool();
	putchar('\n');
	for (i = 0; i < nvars; i++) {
		struct variant *v = &vars[i];

		bench_result("gunzip", v->name,
			     "ns_per_op=%.1f\tmallocs_per_op=%.4f\t"
			     "bytes_per_op=%.0f\titers=%llu\truns=%u",
			     v->med_ns, (double)v->mallocs / (double)v->ops,
			     (double)v->bytes / (double)v->ops,
			     (unsigned long long)v->iters, opts.runs);
	}
	bench_result("gunzip", "ratio", "nopool_over_pooled=%.3f", ratio);
	bench_result_maxrss("gunzip");
	free(gz_data);
	return 0;
}
