/* SPDX-License-Identifier: MIT */
/*
 * stats.c - statistics written for people and programs: a table, or one
 * JSON object per pool, to a FILE. The hit rate (gets served by a cache)
 * comes first: it says whether pooling pays. The figures come from the
 * snapshot calls, which never stop other threads.
 */
#include "pool.h"
#include "statsenv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* An object pool's figures @st (its name in st.name), as @flags ask. */
static void
objpool_print(FILE *f, const struct lfp_objpool_stats *st,
	      unsigned int flags)
{
	if (!(flags & LFP_STATS_JSON)) {
		fprintf(f, "object pool \"%s\": %zu-byte objects, ", st->name,
			st->size);
		text_head(f, st->cache_mode, st->hits, st->gets, "gets");
		fprintf(f, "  gets / puts     %llu / %llu\n"
			"  depot           %llu magazines taken, %llu given, "
			"%llu objects one by one\n"
			"  objects         %llu: %llu in use, %llu cached "
			"(%llu in the depot), %llu waiting for RCU\n"
			"  memory          %llu bytes reserved in %llu chunks; "
			"%llu in use, %llu cached\n"
			"  caches          %llu of %u rounds per magazine "
			"(at most %llu bytes each), %llu magazines\n",
			U(st->gets), U(st->puts), U(st->depot_gets),
			U(st->depot_puts), U(st->direct), U(st->objects),
			U(st->in_use), U(st->cached), U(st->depot_cached),
			U(st->deferred), U(st->bytes_reserved), U(st->chunks),
			U(st->in_use * st->stride), U(st->cached * st->stride),
			U(st->caches), st->mag_rounds,
			U(st->cache_bytes_max), U(st->magazines));
		if (st->bytes_limit)
			fprintf(f, "  budget          %llu bytes\n",
				U(st->bytes_limit));
		print_nodes(f, false, st->placement, st->nnodes, st->node);
	} else {
		json_head(f, st->name, "object", st->cache_mode,
			  rate(st->hits, st->gets));
		fprintf(f, ",\"gets\":%llu,\"puts\":%llu,"
			"\"hits\":%llu,\"depot_gets\":%llu,\"depot_puts\":%llu,"
			"\"direct\":%llu,\"deferred\":%llu,\"size\":%zu,"
			"\"stride\":%zu,\"mag_rounds\":%u,\"objects\":%llu,"
			"\"in_use\":%llu,\"cached\":%llu,\"depot_cached\":%llu,"
			"\"ctor_failures\":%llu,\"chunks\":%llu,"
			"\"bytes_reserved\":%llu,\"bytes_in_use\":%llu,"
			"\"bytes_cached\":%llu,\"caches\":%llu,"
			"\"magazines\":%llu,\"cache_bytes_max\":%llu,"
			"\"bytes_limit\":%llu",
			U(st->gets), U(st->puts), U(st->hits), U(st->depot_gets),
			U(st->depot_puts), U(st->direct), U(st->deferred),
			st->size, st->stride, st->mag_rounds, U(st->objects),
			U(st->in_use), U(st->cached), U(st->depot_cached),
			U(st->ctor_failures), U(st->chunks),
			U(st->bytes_reserved), U(st->in_use * st->stride),
			U(st->cached * st->stride), U(st->caches),
			U(st->magazines), U(st->cache_bytes_max),
			U(st->bytes_limit));
		print_nodes(f, true, st->placement, st->nnodes, st->node);
		fputs("}\n", f);
	}
}

int
lfp_objpool_stats_print(struct lfp_objpool *pool, FILE *f,
			unsigned int flags)
{
	struct lfp_objpool_stats st;
	int rc = print_args(f, flags), saved = errno;

	if (rc || (rc = lfp_objpool_stats(pool, &st)))
		return rc;
	objpool_print(f, &st, flags);
	return print_done(f, saved);
}

/* A buffer pool's figures @st (its name in st.name), as @flags ask. */
static void
bufpool_print(FILE *f, const struct lfp_bufpool_stats *st,
	      unsigned int flags)
{
	bool json = flags & LFP_STATS_JSON;

	if (json) {
		json_head(f, st->name, "buffer", st->cache_mode,
			  rate(st->hits, st->allocs));
		fprintf(f, ",\"allocs\":%llu,\"frees\":%llu,"
			"\"hits\":%llu,\"bytes_in_use\":%llu,"
			"\"bytes_cached\":%llu,\"bytes_reserved\":%llu,"
			"\"cache_bytes_max\":%llu,\"bytes_limit\":%llu",
			U(st->allocs),
			U(st->frees), U(st->hits), U(st->bytes_in_use),
			U(st->bytes_cached), U(st->bytes_reserved),
			U(st->cache_bytes_max), U(st->bytes_limit));
		print_nodes(f, true, st->placement, st->nnodes, st->node);
		fputs(",\"classes\":[", f);
	} else {
		fprintf(f, "buffer pool \"%s\": %u classes, ", st->name,
			st->nclasses);
		text_head(f, st->cache_mode, st->hits, st->allocs, "allocs");
		fprintf(f, "  memory          %llu bytes reserved; %llu in use, "
			"%llu cached; at most %llu in each cache\n"
			"  %10s %12s %12s %7s %10s %10s %8s %12s\n",
			U(st->bytes_reserved), U(st->bytes_in_use),
			U(st->bytes_cached), U(st->cache_bytes_max), "class",
			"allocs", "frees", "hit %", "in use", "cached",
			"chunks", "reserved");
	}
	for (unsigned int i = 0; i < st->nclasses; i++) {
		const struct lfp_bufpool_class_stats *c = &st->cls[i];

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
		print_nodes(f, false, st->placement, st->nnodes, st->node);
}

int
lfp_bufpool_stats_print(struct lfp_bufpool *bp, FILE *f, unsigned int flags)
{
	struct lfp_bufpool_stats st;
	int rc = print_args(f, flags), saved = errno;

	if (rc || (rc = lfp_bufpool_stats(bp, &st)))
		return rc;
	bufpool_print(f, &st, flags);
	return print_done(f, saved);
}

/*
 * A pool's name, copied while its pool is pinned: into @buf, or, when
 * longer, into memory of its own (*@heap, to free); cut to fit @buf when
 * there is no memory.
 */
static const char *
name_copy(const char *name, char *buf, size_t size, char **heap)
{
	size_t len = strlen(name);

	*heap = NULL;
	if (len >= size && (*heap = malloc(len + 1)))
		return memcpy(*heap, name, len + 1);
	len = LFP_MIN(len, size - 1);
	memcpy(buf, name, len);
	buf[len] = '\0';
	return buf;
}

/*
 * Every pool the registry lists (pool.h): each is pinned while its
 * figures are read (so that a destroy waits for that, and no longer),
 * then written unpinned, so that a slow stream never holds up a destroy.
 */
int
lfp_stats_print_all(FILE *f, unsigned int flags)
{
	int rc = print_args(f, flags), saved = errno, n = 0;
	struct lfp_zone *z;

	if (rc)
		return rc;
	for (uint32_t slot = 0; (z = lfp_registry_get_next(&slot)); slot++) {
		union {
			struct lfp_objpool_stats obj;
			struct lfp_bufpool_stats buf;
		} st;
		enum lfp_pool_kind kind = lfp_pool_listed(z);
		void *pool = (void *)(uintptr_t)z->slab.owner;
		char name[128], *heap = NULL;

		if (kind == LFP_POOL_OBJ &&
		    !lfp_objpool_stats((struct lfp_objpool *)pool, &st.obj))
			st.obj.name = name_copy(st.obj.name, name,
						sizeof(name), &heap);
		else if (kind == LFP_POOL_BUF &&
			 !lfp_bufpool_stats((struct lfp_bufpool *)pool,
					    &st.buf))
			st.buf.name = name_copy(st.buf.name, name,
						sizeof(name), &heap);
		else
			kind = LFP_POOL_NONE;
		lfp_registry_put(slot);
		if (kind == LFP_POOL_NONE)
			continue;
		if (n++ && !(flags & LFP_STATS_JSON))
			fputc('\n', f);
		if (kind == LFP_POOL_OBJ)
			objpool_print(f, &st.obj, flags);
		else
			bufpool_print(f, &st.buf, flags);
		free(heap);
	}
	rc = print_done(f, saved);
	return rc ? rc : n;
}

static pthread_once_t at_exit_once = PTHREAD_ONCE_INIT;
static char *at_exit_value;     /* LFP_STATS, as read at the first create */

/*
 * At exit (or when the library is unloaded), LFP_STATS's value, read at
 * the first create: [json:]DEST, DEST "stderr", "stdout" or a file
 * (appended to); "json" alone is "json:stderr". A value it cannot follow
 * gets one line on stderr, and nothing else is written.
 */
static void
stats_at_exit(void)
{
	const char *dest = at_exit_value;
	unsigned int flags = 0;
	bool own = false;
	FILE *f;
	int saved = errno, rc;

	if (!strcmp(dest, "json")) {
		dest = "stderr";
		flags = LFP_STATS_JSON;
	} else if (!strncmp(dest, "json:", 5)) {
		dest += 5;
		flags = LFP_STATS_JSON;
	}
	if (!strcmp(dest, "stderr")) {
		f = stderr;
	} else if (!strcmp(dest, "stdout")) {
		f = stdout;
	} else if (!*dest) {
		fprintf(stderr, "lfpool: LFP_STATS=\"%s\" names no file; "
			"nothing written\n", at_exit_value);
		return;
	} else if (!(f = fopen(dest, "ae"))) {
		fprintf(stderr, "lfpool: LFP_STATS: cannot open \"%s\": %s\n",
			dest, strerror(errno));
		errno = saved;
		return;
	} else {
		own = true;
	}
	if (!(flags & LFP_STATS_JSON))
		fprintf(f, "lfpool: the pools of process %ld at exit\n",
			(long)getpid());
	rc = lfp_stats_print_all(f, flags);
	if (!rc && !(flags & LFP_STATS_JSON))
		fputs("  (none)\n", f);
	else if (rc > 0 && !(flags & LFP_STATS_JSON))
		fputc('\n', f);
	if (own ? fclose(f) : fflush(f))
		rc = -EIO;
	if (rc < 0 && own)
		fprintf(stderr, "lfpool: LFP_STATS: writing \"%s\" failed\n",
			dest);
	errno = saved;
}

/*
 * secure_getenv(): a set-user-ID program never writes where its caller
 * says. An empty value is as none.
 */
static void
at_exit_read(void)
{
	const char *v = secure_getenv("LFP_STATS");

	if (!v || !*v || !(at_exit_value = strdup(v)))
		return;
	if (atexit(stats_at_exit)) {
		free(at_exit_value);
		at_exit_value = NULL;
	}
}

void
lfp_stats_at_exit_init(void)
{
	pthread_once(&at_exit_once, at_exit_read);
}
