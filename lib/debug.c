/* SPDX-License-Identifier: MIT */
/*
 * debug.c - checked mode and sanitizer / valgrind annotations; see
 * debug.h and <lfpool/check.h>.
 */
#include "debug.h"
#include "chunkmap.h"
#include "zone.h"

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
	}
	return "unknown";
}

void
lfp_misuse(const char *name, enum lfp_misuse_kind kind, const void *ptr)
{
	/* Acquire: pairs with the release in lfp_misuse_set_handler(). */
	lfp_misuse_fn fn = atomic_load_explicit(&handler, memory_order_acquire);
	struct lfp_misuse m = { .kind = kind, .pool = name ? name : "",
				.ptr = ptr };

	LFP_PROBE(misuse, m.pool, (int)kind, ptr);

	if (fn) {
		fn(&m, atomic_load_explicit(&handler_arg, memory_order_relaxed));
		return;
	}
	fprintf(stderr, "lfpool: %s: %p, pool \"%s\"\n", lfp_misuse_name(kind),
		ptr, m.pool);
	abort();
}

bool
lfp_check_env(void)
{
	const char *v = getenv("LFP_CHECKED");

	return v && !strcmp(v, "1");
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
	for (size_t i = 0; i < n; i++) {
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
