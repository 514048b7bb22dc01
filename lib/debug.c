/* SPDX-License-Identifier: MIT */
/*
 * debug.c - checked mode and sanitizer / valgrind annotations; see
 * debug.h and <lfpool/check.h>.
 */
#include "debug.h"
#include "chunkmap.h"
#include "zone.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define LFP_ASAN 1
#else
#define LFP_ASAN 0
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_MAKE_MEM_NOACCESS(p, n) ((void)(p), (void)(n))
#endif

static _Atomic(lfp_misuse_fn) handler;
static _Atomic(void *) handler_arg;

void
lfp_misuse_set_handler(lfp_misuse_fn fn, void *arg)
{
	atomic_store_explicit(&handler_arg, arg, memory_order_relaxed);
	/* Release: pairs with the acquire in lfp_misuse() (arg first). */
	atomic_store_explicit(&handler, fn, memory_order_release);
}

/* The old name, kept for programs built against it. */
void
lfp_set_misuse_handler(lfp_misuse_fn fn, void *arg)
{
	lfp_misuse_set_handler(fn, arg);
}

const char *
lfp_misuse_name(enum lfp_misuse_kind kind)
{
	switch (kind) {
	case LFP_MISUSE_DOUBLE_FREE:
		return "double free";
	case LFP_MISUSE_FOREIGN:
		return "foreign pointer";
	case LFP_MISUSE_INTERIOR:
		return "pointer inside an object";
	case LFP_MISUSE_WRITE_AFTER_FREE:
		return "write after free";
	case LFP_MISUSE_LEAK:
		return "leak";
	}
	return "unknown";
}

/* @m to the installed handler: false if there is none. */
static bool
misuse_handle(const struct lfp_misuse *m)
{
	/* Acquire: pairs with the release in lfp_misuse_set_handler(). */
	lfp_misuse_fn fn = atomic_load_explicit(&handler, memory_order_acquire);

	if (!fn)
		return false;
	fn(m, atomic_load_explicit(&handler_arg, memory_order_relaxed));
	return true;
}

void
lfp_misuse(const char *name, enum lfp_misuse_kind kind, const void *ptr)
{
	struct lfp_misuse m = { .kind = kind, .pool = name ? name : "",
				.ptr = ptr };

	if (misuse_handle(&m))
		return;
	fprintf(stderr, "lfpool: %s: %p, pool \"%s\"\n", lfp_misuse_name(kind),
		ptr, m.pool);
	abort();
}

bool
lfp_check_env(void)
{
	const char *v = getenv("LFP_CHECKED");

	return v && (!strcmp(v, "1") || !strcmp(v, "sites"));
}

bool
lfp_check_sites(bool asked)
{
	const char *v = getenv("LFP_CHECKED");

	return asked || (v && !strcmp(v, "sites"));
}

__thread const void *lfp_check_site
	__attribute__((tls_model("initial-exec")));

void *
lfp_check_get_at(struct lfp_zone *z, const void *site)
{
	const void *outer = lfp_check_site;
	void *obj;

	lfp_check_site = site;
	obj = lfp_zone_get(z);
	lfp_check_site = outer;
	return obj;
}

size_t
lfp_check_get_bulk_at(struct lfp_zone *z, void **objs, size_t n,
		      const void *site)
{
	const void *outer = lfp_check_site;
	size_t got;

	lfp_check_site = site;
	got = lfp_zone_get_bulk(z, objs, n);
	lfp_check_site = outer;
	return got;
}

/*
 * Chunk @c's sites array, made at its first carve; without memory, its
 * objects go without a site. Several threads may carve from one chunk:
 * the first array installed stays.
 */
static void
sites_make(struct lfp_chunk *c)
{
	_Atomic uintptr_t *sites, *none = NULL;

	if (atomic_load_explicit(&c->sites, memory_order_relaxed))
		return;
	sites = lfp_meta_alloc(c->size / c->stride * sizeof(*sites));
	if (!sites)
		return;
	/*
	 * Release: pairs with the acquire load in lfp_check_get(), so the
	 * zeroed array is seen before its pointer.
	 */
	if (!atomic_compare_exchange_strong_explicit(&c->sites, &none, sites,
						     memory_order_release,
						     memory_order_relaxed))
		lfp_meta_free(sites);
}

struct lfp_check_mode
lfp_check_mode(bool checked, bool has_ctor)
{
	struct lfp_check_mode m;

	m.checked = checked || lfp_check_env();
	/* Constructed state must survive a cache: poison raw objects only. */
	m.poison = m.checked && !has_ctor;
	m.debug = m.checked || LFP_ASAN || RUNNING_ON_VALGRIND;
	return m;
}

/* Hide a cached object from ASan and valgrind (contents kept). */
static void
hide(struct lfp_zone *z, void *obj)
{
	ASAN_POISON_MEMORY_REGION(obj, z->size);
	VALGRIND_MAKE_MEM_NOACCESS(obj, z->size);
}

void
lfp_check_carved(struct lfp_zone *z, void *const *objs, size_t n)
{
	struct lfp_chunk *last = NULL;

	for (size_t i = 0; i < n; i++) {
		struct lfp_chunk *c = z->sites ? lfp_chunkmap_get(objs[i]) : NULL;

		if (c && c != last) {
			sites_make(c);
			last = c;
		}
		if (z->poison)
			memset(objs[i], LFP_POISON_BYTE, z->size);
		hide(z, objs[i]);
	}
}

/* The chunk and bit of @obj in checked zone @z; kind of misuse if none. */
static enum lfp_misuse_kind
locate(struct lfp_zone *z, const void *obj, struct lfp_chunk **cp,
       size_t *bit)
{
	struct lfp_chunk *c = lfp_chunkmap_get(obj);
	size_t off;

	if (!c || c->slab->zone != z)
		return LFP_MISUSE_FOREIGN;
	off = (size_t)((const char *)obj - c->base);
	if (off % c->stride)
		return LFP_MISUSE_INTERIOR;
	if (!lfp_chunk_carved(c, obj))  /* never handed out */
		return LFP_MISUSE_FOREIGN;
	*cp = c;
	*bit = off / c->stride;
	return 0;
}

void
lfp_check_get(struct lfp_zone *z, void *obj)
{
	struct lfp_chunk *c;
	size_t bit;
	uint64_t old, mask;

	lfp_os_expose(obj, z->size);
	if (!z->checked)
		return;
	if (z->poison) {
		const unsigned char *p = obj;

		for (size_t i = 0; i < z->size; i++) {
			if (p[i] != LFP_POISON_BYTE) {
				lfp_misuse(z->name, LFP_MISUSE_WRITE_AFTER_FREE,
					   obj);
				break;
			}
		}
	}
	if (locate(z, obj, &c, &bit))
		return;         /* cannot happen: the pool's own object */
	mask = (uint64_t)1 << (bit % 64);
	/*
	 * Relaxed: what matters is that the RMW is atomic; the object itself
	 * travels between threads through the magazines' release/acquire.
	 */
	old = atomic_fetch_or_explicit(&c->inuse[bit / 64], mask,
				       memory_order_relaxed);
	if (old & mask)         /* handed out twice: a double free slipped */
		lfp_misuse(z->name, LFP_MISUSE_DOUBLE_FREE, obj);
	if (z->sites) {
		/* Acquire: pairs with the release CAS in sites_make(). */
		_Atomic uintptr_t *sites =
			atomic_load_explicit(&c->sites, memory_order_acquire);

		/* Relaxed: read at destroy, after the user's own sync. */
		if (sites)
			atomic_store_explicit(&sites[bit],
					      (uintptr_t)lfp_check_site,
					      memory_order_relaxed);
	}
}

int
lfp_check_put_verify(struct lfp_zone *z, void *obj)
{
	struct lfp_chunk *c;
	enum lfp_misuse_kind kind;
	size_t bit;
	uint64_t old, mask;

	if (!z->checked)
		return 0;
	kind = locate(z, obj, &c, &bit);
	if (kind) {
		lfp_misuse(z->name, kind, obj);
		return EINVAL;
	}
	mask = (uint64_t)1 << (bit % 64);
	/* Relaxed: as in lfp_check_get(). */
	old = atomic_fetch_and_explicit(&c->inuse[bit / 64], ~mask,
					memory_order_relaxed);
	if (!(old & mask)) {
		lfp_misuse(z->name, LFP_MISUSE_DOUBLE_FREE, obj);
		return EINVAL;
	}
	return 0;
}

void
lfp_check_put_undo(struct lfp_zone *z, void *obj)
{
	struct lfp_chunk *c;
	size_t bit;

	if (!z->checked || locate(z, obj, &c, &bit))
		return;
	/* Relaxed: as in lfp_check_get(). */
	atomic_fetch_or_explicit(&c->inuse[bit / 64], (uint64_t)1 << (bit % 64),
				 memory_order_relaxed);
}

void
lfp_check_put_hide(struct lfp_zone *z, void *obj)
{
	if (z->poison)
		memset(obj, LFP_POISON_BYTE, z->size);
	hide(z, obj);
}

int
lfp_check_put(struct lfp_zone *z, void *obj)
{
	if (lfp_check_put_verify(z, obj))
		return EINVAL;
	lfp_check_put_hide(z, obj);
	return 0;
}

/* An object still out at destroy, and the code that got it (0: unknown). */
struct leak {
	uintptr_t site;
	const void *obj;
};

/* The objects of one site, at [first, first + count) of the sorted list. */
struct leak_group {
	uintptr_t site;
	size_t first, count;
};

/*
 * The objects of checked zone @z that a user holds (their inuse bit is
 * set), the first @max of them into @out: how many there are. Destroy
 * runs alone (zone.h), after the user's own sync with every thread that
 * got or put: relaxed loads, and the slab's chunk list without its lock.
 */
static size_t
leaks_find(struct lfp_zone *z, struct leak *out, size_t max)
{
	size_t n = 0;

	for (uint32_t k = 0; k < z->numa.ndepots; k++) {
		for (struct lfp_chunk *c = lfp_zone_slab(z, k)->chunks; c;
		     c = c->next) {
			size_t words = (c->size / c->stride + 63) / 64;
			_Atomic uintptr_t *sites =
				atomic_load_explicit(&c->sites,
						     memory_order_relaxed);

			for (size_t w = 0; c->inuse && w < words; w++) {
				uint64_t bits = atomic_load_explicit(
					&c->inuse[w], memory_order_relaxed);

				for (; bits; bits &= bits - 1, n++) {
					size_t b = w * 64 + (size_t)
						   __builtin_ctzll(bits);

					if (n >= max)
						continue;
					out[n].obj = c->base + b * c->stride;
					out[n].site = sites ?
						atomic_load_explicit(&sites[b],
							memory_order_relaxed) : 0;
				}
			}
		}
	}
	return n;
}

static int
leak_cmp(const void *a, const void *b)
{
	const struct leak *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* Largest first; then by address, so that the order is stable. */
static int
group_cmp(const void *a, const void *b)
{
	const struct leak_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

/* @site as "function+0xoff", else "file+0xoff", else "0xaddress". */
static const char *
site_name(const void *site, char *buf, size_t size)
{
	Dl_info di;

	if (dladdr(site, &di)) {
		if (di.dli_sname && di.dli_saddr) {
			snprintf(buf, size, "%s+0x%tx", di.dli_sname,
				 (const char *)site - (const char *)di.dli_saddr);
			return buf;
		}
		if (di.dli_fname && *di.dli_fname) {
			const char *base = strrchr(di.dli_fname, '/');

			snprintf(buf, size, "%s+0x%tx",
				 base ? base + 1 : di.dli_fname,
				 (const char *)site - (const char *)di.dli_fbase);
			return buf;
		}
	}
	snprintf(buf, size, "%p", site);
	return buf;
}

void
lfp_check_leaks(struct lfp_zone *zones, unsigned int nz, const char *name,
		const char *what, const char *undone)
{
	struct leak one = { 0, NULL }, *lk = &one;
	struct leak_group single, *groups = &single;
	const void **objs = NULL;
	size_t total = 0, got = 0, ngroups = 1;
	bool unhandled = false;
	void *block;

	for (unsigned int i = 0; i < nz; i++)
		if (zones[i].checked)
			total += leaks_find(&zones[i], NULL, 0);
	if (!total)
		return;
	/* Plain malloc: report memory, gone before destroy returns. */
	block = malloc(total * (sizeof(*lk) + sizeof(*objs) + sizeof(*groups)));
	if (block) {
		lk = block;
		objs = (const void **)(lk + total);
		groups = (struct leak_group *)(objs + total);
		for (unsigned int i = 0; i < nz; i++)
			if (zones[i].checked)
				got += leaks_find(&zones[i], lk + got,
						  total - got);
		got = LFP_MIN(got, total);
		qsort(lk, got, sizeof(*lk), leak_cmp);
		ngroups = 0;
		for (size_t j = 0; j < got; j++) {
			objs[j] = lk[j].obj;
			if (!j || lk[j].site != lk[j - 1].site)
				groups[ngroups++] = (struct leak_group){
					.site = lk[j].site, .first = j };
			groups[ngroups - 1].count++;
		}
		qsort(groups, ngroups, sizeof(*groups), group_cmp);
	} else {
		/* No memory to sort them: one report, the first object. */
		for (unsigned int i = 0; i < nz && !got; i++)
			if (zones[i].checked)
				got = LFP_MIN(leaks_find(&zones[i], &one, 1),
					      (size_t)1);
		single = (struct leak_group){ .site = 0, .count = total };
	}
	for (size_t g = 0; g < ngroups; g++) {
		const struct leak_group *lg = &groups[g];
		char sname[256];
		struct lfp_misuse m = {
			.kind = LFP_MISUSE_LEAK, .pool = name ? name : "",
			.ptr = objs ? objs[lg->first] : one.obj,
			.count = lg->count, .total = total,
			.site = (const void *)lg->site,
			.site_name = lg->site ? site_name((const void *)lg->site,
							  sname, sizeof(sname))
					      : NULL,
			.objs = objs ? objs + lg->first : NULL,
		};

		if (misuse_handle(&m))
			continue;
		unhandled = true;
		if (m.site_name)
			fprintf(stderr, "lfpool: leak: %zu %s of pool \"%s\" "
				"got at %s were never %s (the first at %p)\n",
				m.count, what, m.pool, m.site_name, undone,
				m.ptr);
		else
			fprintf(stderr, "lfpool: leak: %zu %s of pool \"%s\" "
				"were never %s (the first at %p; "
				"LFP_CHECKED=sites tells where they were "
				"got)\n", m.count, what, m.pool, undone, m.ptr);
	}
	free(block);
	if (unhandled)
		abort();
}
