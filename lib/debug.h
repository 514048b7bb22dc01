/* SPDX-License-Identifier: MIT */
/*
 * debug.h - debugging support on the engine's slow path: checked mode
 * (<lfpool/check.h>), and AddressSanitizer / valgrind annotations of
 * cached objects. A zone with z->debug set never enters a thread's recent
 * entries, so its every get and put runs the slow path, which calls the
 * hooks below; zones without it pay nothing.
 *
 * Checked state: one bit per object in its chunk (struct lfp_chunk.inuse),
 * set while a user holds the object, changed with atomic RMWs since any
 * thread may put any object. Only checked zones' chunks have the bitmap.
 */
#ifndef LFP_DEBUG_H
#define LFP_DEBUG_H

#include "internal.h"

#include <lfpool/check.h>

struct lfp_zone;

/* The byte that fills cached objects of poisoned zones. */
#define LFP_POISON_BYTE 0xdb

/* What a zone's hooks do, decided once at its creation. */
struct lfp_check_mode {
	bool checked;                   /* checked mode (<lfpool/check.h>) */
	bool poison;                    /* fill cached objects (no ctor) */
	bool debug;                     /* slow path always: these hooks */
};
/* The mode of a zone: @checked asked by the pool, or LFP_CHECKED. */
struct lfp_check_mode lfp_check_mode(bool checked, bool has_ctor);
/* Does the environment ask for checked pools (LFP_CHECKED=1 or sites)? */
bool lfp_check_env(void);
/* Sites for a checked zone: @asked by the pool, or LFP_CHECKED=sites. */
bool lfp_check_sites(bool asked);

/*
 * Sites: a zone with z->sites records, at each get, the code that called
 * the exported get (its return address), in the object's entry of its
 * chunk's sites array (made at the chunk's first carve, freed with the
 * chunk; without memory for it, that chunk's objects have no site). The
 * exported gets of such zones go through the calls below, which keep
 * the site in lfp_check_site for the get's slow path; the outer value
 * comes back after, since a constructor run by the get may get from
 * another pool.
 */
extern __thread const void *lfp_check_site
	__attribute__((tls_model("initial-exec")));
void *lfp_check_get_at(struct lfp_zone *z, const void *site);
size_t lfp_check_get_bulk_at(struct lfp_zone *z, void **objs, size_t n,
			     const void *site);

/*
 * Destroy of a checked pool: report the objects still out of its @n
 * zones (one, or a buffer pool's classes) as LFP_MISUSE_LEAK, one report
 * per site (one in all without sites), largest first; @what names them
 * ("objects", "buffers"), @undone the call they missed ("put", "freed").
 * Run before anything is freed. Without a handler, abort after the last.
 */
void lfp_check_leaks(struct lfp_zone *zones, unsigned int n,
		     const char *name, const char *what, const char *undone);

/* Objects just carved into a cache: poison / hide them. */
void lfp_check_carved(struct lfp_zone *z, void *const *objs, size_t n);
/* An object leaves the pool: verify its poison, mark it held, expose it. */
void lfp_check_get(struct lfp_zone *z, void *obj);
/*
 * An object comes back: 0, or EINVAL after a report (not taken). It is
 * lfp_check_put_verify() then lfp_check_put_hide(); a deferred put
 * (rcu.c) verifies at its call and hides after the grace period, since
 * readers may still read the object until then.
 */
int lfp_check_put(struct lfp_zone *z, void *obj);
/* Checked zones: verify @obj is held by a user and mark it not: 0, or
 * EINVAL after a report (nothing changed). Others: 0. */
int lfp_check_put_verify(struct lfp_zone *z, void *obj);
/* Undo a verify whose put then failed: the user holds @obj again. */
void lfp_check_put_undo(struct lfp_zone *z, void *obj);
/* A verified object enters the pool: poison it (raw objects of checked
 * zones) and hide it from ASan and valgrind. */
void lfp_check_put_hide(struct lfp_zone *z, void *obj);

/* Report misuse of pool @name (handler or abort). */
void lfp_misuse(const char *name, enum lfp_misuse_kind kind, const void *ptr);

#endif /* LFP_DEBUG_H */
