/* SPDX-License-Identifier: MIT */
/*
 * probe.h - the library's tracing probes: USDT probes of provider
 * "lfpool" (<sys/sdt.h>, as systemtap, bpftrace and perf read them) at
 * the slow-path events that lfpool(7) lists with their arguments. Each is
 * one no-op instruction and a note in the ELF file's .note.stapsdt
 * section; a tracer that attaches replaces the no-op with a breakpoint.
 * No probe sits on a hit path (<lfpool/inline.h> has none); the slow
 * paths pay for computing the arguments into registers, no more.
 *
 * LFP_PROBE(name, args...) takes up to 6 arguments, each an integer or a
 * pointer. Without <sys/sdt.h>, or configured with --disable-probes, it
 * is nothing, and its arguments are not evaluated.
 *
 * The identity of a zone, in every probe that has one, comes first as
 * three arguments: its id (unique while the process lives), its stride
 * and its pool's name (a char pointer, never NULL: struct lfp_who).
 */
#ifndef LFP_PROBE_H
#define LFP_PROBE_H

#include "internal.h"

#if LFP_PROBES
#include <sys/sdt.h>

#define LFP_PROBE_N_(_1, _2, _3, _4, _5, _6, n, ...) n
#define LFP_PROBE_PASTE_(a, b) a##b
#define LFP_PROBE_PICK_(n) LFP_PROBE_PASTE_(DTRACE_PROBE, n)
#define LFP_PROBE(name, ...)						\
	LFP_PROBE_PICK_(LFP_PROBE_N_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0))	\
		(lfpool, name, __VA_ARGS__)
#else
#define LFP_PROBE(name, ...) ((void)0)
#endif

/* Who a probe is about: a zone's identity (set up by the zone). */
struct lfp_who {
	uint32_t id;                    /* the zone's id; 0 before it has one */
	size_t stride;
	const char *name;               /* the pool's name, or "" */
};

/* The three arguments of @w, a struct lfp_who pointer. */
#define LFP_WHO(w) (w)->id, (w)->stride, (w)->name

#endif /* LFP_PROBE_H */
