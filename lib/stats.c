/* SPDX-License-Identifier: MIT */
/*
 * stats.c - statistics written for people and programs: a table, or one
 * JSON object per pool, to a FILE. The hit rate (gets served by a cache)
 * comes first: it says whether pooling pays. The figures come from the
 * snapshot calls, which never stop other threads.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lfpool/bufpool.h>
#include <lfpool/objpool.h>
#include <lfpool/stats.h>

static const char *
mode_name(int mode)
{
	return mode == LFP_CACHE_PER_CPU ? "per-cpu" : "per-thread";
}

static double
rate(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* @s as a JSON string body: quotes, backslashes and controls escaped. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

#define U(x) ((unsigned long long)(x))

static const char *
placement_name(int placement)
{
	return placement == LFP_PLACE_NODE ? "node" :
	       placement == LFP_PLACE_INTERLEAVE ? "interleave" : "local";
}

/*
 * The per-node figures: table rows (only nodes with any), or JSON; each
 * node by its kernel number.
 */
static void
print_nodes(FILE *f, bool json, int placement, unsigned int nnodes,
	    const struct lfp_node_stats *ns)
{
	if (json) {
		fprintf(f, ",\"placement\":\"%s\",\"nodes\":[",
			placement_name(placement));
		for (unsigned int k = 0; k < nnodes; k++)
			fprintf(f, "%s{\"node\":%u,\"bytes\":%llu,"
				"\"local_gets\":%llu,\"remote_gets\":%llu,"
				"\"remote_frees\":%llu,"
				"\"bind_failures\":%llu}", k ? "," : "",
				ns[k].os_index,
				U(ns[k].bytes), U(ns[k].local_gets),
				U(ns[k].remote_gets), U(ns[k].remote_frees),
				U(ns[k].bind_failures));
		fputc(']', f);
		return;
	}
	if (nnodes <= 1)
		return;
	fprintf(f, "  NUMA            %u nodes, placement %s\n"
		"  %10s %12s %12s %12s %12s %8s\n", nnodes,
		placement_name(placement), "node", "bytes", "local gets",
		"remote gets", "remote frees", "unbound");
	for (unsigned int k = 0; k < nnodes; k++)
		if (ns[k].bytes || ns[k].local_gets || ns[k].remote_gets ||
		    ns[k].remote_frees || ns[k].bind_failures)
			fprintf(f, "  %10u %12llu %12llu %12llu %12llu %8llu\n",
				ns[k].os_index, U(ns[k].bytes), U(ns[k].local_gets),
				U(ns[k].remote_gets), U(ns[k].remote_frees),
				U(ns[k].bind_failures));
}

/* A pool's JSON object up to its own figures; @hit_rate in percent. */
static void
json_head(FILE *f, const char *name, const char *kind, int mode,
	  double hit_rate)
{
	fputs("{\"pool\":", f);
	json_str(f, name);
	fprintf(f, ",\"kind\":\"%s\",\"cache_mode\":\"%s\",\"hit_rate\":%.4f",
		kind, mode_name(mode), hit_rate / 100);
}

/* A pool's table after its first words: cache mode and hit rate. */
static void
text_head(FILE *f, int mode, uint64_t hits, uint64_t total,
	  const char *what)
{
	fprintf(f, "%s caches\n"
		"  hit rate        %6.2f %%  (%llu of %llu %s)\n",
		mode_name(mode), rate(hits, total), U(hits), U(total), what);
}

/* The flags and stream of a print call: 0, or -EINVAL. */
static int
print_args(FILE *f, unsigned int flags)
{
	return !f || (flags & ~LFP_STATS_JSON) ? -EINVAL : 0;
}

/*
 * A printer's answer: -EIO if writing to @f failed, else 0; errno back
 * to @saved, what the caller had, since a failed write changes it.
 */
static int
print_done(FILE *f, int saved)
{
	int rc = ferror(f) ? -EIO : 0;

	errno = saved;
	return rc;
}

int
lfp_objpool_stats_print(struct lfp_objpool *pool, FILE *f,
			unsigned int flags)
{
	struct lfp_objpool_stats st;
	int rc = print_args(f, flags), saved = errno;

	if (rc || (rc = lfp_objpool_stats(pool, &st)))
		return rc;
	if (!(flags & LFP_STATS_JSON)) {
		fprintf(f, "object pool \"%s\": %zu-byte objects, ", st.name,
			st.size);
		text_head(f, st.cache_mode, st.hits, st.gets, "gets");
		fprintf(f, "  gets / puts     %llu / %llu\n"
			"  depot           %llu magazines taken, %llu given, "
			"%llu objects one by one\n"
			"  objects         %llu: %llu in use, %llu cached "
			"(%llu in the depot), %llu waiting for RCU\n"
			"  memory          %llu bytes reserved in %llu chunks; "
			"%llu in use, %llu cached\n"
			"  caches          %llu of %u rounds per magazine, "
			"%llu magazines\n",
			U(st.gets), U(st.puts), U(st.depot_gets),
			U(st.depot_puts), U(st.direct), U(st.objects),
			U(st.in_use), U(st.cached), U(st.depot_cached),
			U(st.deferred), U(st.bytes_reserved), U(st.chunks),
			U(st.in_use * st.stride), U(st.cached * st.stride),
			U(st.caches), st.mag_rounds, U(st.magazines));
		if (st.bytes_limit)
			fprintf(f, "  budget          %llu bytes\n",
				U(st.bytes_limit));
		print_nodes(f, false, st.placement, st.nnodes, st.node);
	} else {
		json_head(f, st.name, "object", st.cache_mode,
			  rate(st.hits, st.gets));
		fprintf(f, ",\"gets\":%llu,\"puts\":%llu,"
			"\"hits\":%llu,\"depot_gets\":%llu,\"depot_puts\":%llu,"
			"\"direct\":%llu,\"deferred\":%llu,\"size\":%zu,"
			"\"stride\":%zu,\"mag_rounds\":%u,\"objects\":%llu,"
			"\"in_use\":%llu,\"cached\":%llu,\"depot_cached\":%llu,"
			"\"ctor_failures\":%llu,\"chunks\":%llu,"
			"\"bytes_reserved\":%llu,\"bytes_in_use\":%llu,"
			"\"bytes_cached\":%llu,\"caches\":%llu,"
			"\"magazines\":%llu,\"bytes_limit\":%llu",
			U(st.gets), U(st.puts), U(st.hits), U(st.depot_gets),
			U(st.depot_puts), U(st.direct), U(st.deferred),
			st.size, st.stride, st.mag_rounds, U(st.objects),
			U(st.in_use), U(st.cached), U(st.depot_cached),
			U(st.ctor_failures), U(st.chunks),
			U(st.bytes_reserved), U(st.in_use * st.stride),
			U(st.cached * st.stride), U(st.caches),
			U(st.magazines), U(st.bytes_limit));
		print_nodes(f, true, st.placement, st.nnodes, st.node);
		fputs("}\n", f);
	}
	return print_done(f, saved);
}

int
lfp_bufpool_stats_print(struct lfp_bufpool *bp, FILE *f, unsigned int flags)
{
	struct lfp_bufpool_stats st;
	bool json = flags & LFP_STATS_JSON;
	int rc = print_args(f, flags), saved = errno;

	if (rc || (rc = lfp_bufpool_stats(bp, &st)))
		return rc;
	if (json) {
		json_head(f, st.name, "buffer", st.cache_mode,
			  rate(st.hits, st.allocs));
		fprintf(f, ",\"allocs\":%llu,\"frees\":%llu,"
			"\"hits\":%llu,\"bytes_in_use\":%llu,"
			"\"bytes_cached\":%llu,\"bytes_reserved\":%llu,"
			"\"bytes_limit\":%llu",
			U(st.allocs),
			U(st.frees), U(st.hits), U(st.bytes_in_use),
			U(st.bytes_cached), U(st.bytes_reserved),
			U(st.bytes_limit));
		print_nodes(f, true, st.placement, st.nnodes, st.node);
		fputs(",\"classes\":[", f);
	} else {
		fprintf(f, "buffer pool \"%s\": %u classes, ", st.name,
			st.nclasses);
		text_head(f, st.cache_mode, st.hits, st.allocs, "allocs");
		fprintf(f, "  memory          %llu bytes reserved; %llu in use, "
			"%llu cached\n"
			"  %10s %12s %12s %7s %10s %10s %8s %12s\n",
			U(st.bytes_reserved), U(st.bytes_in_use),
			U(st.bytes_cached), "class", "allocs", "frees",
			"hit %", "in use", "cached", "chunks", "reserved");
	}
	for (unsigned int i = 0; i < st.nclasses; i++) {
		const struct lfp_bufpool_class_stats *c = &st.cls[i];

		if (json)
			fprintf(f, "%s{\"size\":%zu,\"mag_rounds\":%u,"
				"\"allocs\":%llu,\"frees\":%llu,\"hits\":%llu,"
				"\"buffers\":%llu,\"in_use\":%llu,"
				"\"cached\":%llu,\"depot_cached\":%llu,"
				"\"chunks\":%llu,\"bytes_reserved\":%llu}",
				i ? "," : "", c->size, c->mag_rounds,
				U(c->allocs), U(c->frees), U(c->hits),
				U(c->buffers), U(c->in_use), U(c->cached),
				U(c->depot_cached), U(c->chunks),
				U(c->bytes_reserved));
		else if (c->allocs || c->buffers)
			fprintf(f, "  %10zu %12llu %12llu %7.2f %10llu %10llu "
				"%8llu %12llu\n", c->size, U(c->allocs),
				U(c->frees), rate(c->hits, c->allocs),
				U(c->in_use), U(c->cached), U(c->chunks),
				U(c->bytes_reserved));
	}
	if (json)
		fputs("]}\n", f);
	else
		print_nodes(f, false, st.placement, st.nnodes, st.node);
	return print_done(f, saved);
}
