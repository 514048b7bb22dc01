/* SPDX-License-Identifier: MIT */
/*
 * lfpool/stats.h - statistics of a pool written out for an operator: a
 * readable table, or one line of JSON per pool for programs. The first
 * figure is the hit rate, the share of gets (allocs) served from a cache
 * without going to the shared depot: it tells whether pooling pays.
 * The numbers are those of lfp_objpool_stats() and lfp_bufpool_stats();
 * writing them never stops other threads.
 */
#ifndef LFPOOL_STATS_H
#define LFPOOL_STATS_H

#include <stdio.h>

#include <lfpool/common.h>

LFP_BEGIN_DECLS

struct lfp_objpool;
struct lfp_bufpool;

/** Flag: write one JSON object (and a newline) instead of a table. */
#define LFP_STATS_JSON (1u << 0)

/**
 * Write @p pool's statistics to @p f: a table, or with LFP_STATS_JSON one
 * JSON object whose keys are the fields of struct lfp_objpool_stats plus
 * hit_rate (0..1), bytes_in_use and bytes_cached; each entry of "nodes"
 * names its node by the kernel's number (key "node": os_index).
 * @return 0, or -EINVAL if @p pool or @p f is NULL or @p flags has
 *         unknown bits, or -EIO if writing to @p f failed.
 */
LFP_API int lfp_objpool_stats_print(struct lfp_objpool *pool, FILE *f,
				    unsigned int flags);

/**
 * Write @p bp's statistics to @p f: totals, then one row per class in
 * use (a table), or with LFP_STATS_JSON one JSON object with the totals
 * and an array "classes" with every class.
 * @return 0, or -EINVAL if @p bp or @p f is NULL or @p flags has unknown
 *         bits, or -EIO if writing to @p f failed.
 */
LFP_API int lfp_bufpool_stats_print(struct lfp_bufpool *bp, FILE *f,
				    unsigned int flags);

/**
 * Write the statistics of every live object pool and buffer pool of the
 * process to @p f, as lfp_objpool_stats_print() and
 * lfp_bufpool_stats_print() write one: tables separated by a blank line,
 * or with LFP_STATS_JSON one JSON object a line. Pools appear in no
 * particular order. It never stops other threads: a pool created or
 * destroyed meanwhile appears or not, and a destroy waits, if at all,
 * only while that pool's figures are read (not while they are written).
 * Not async-signal-safe (it writes through stdio).
 * The environment variable LFP_STATS makes the library call it at exit
 * (lfp_stats_print(3)).
 * @return the number of pools written, or -EINVAL if @p f is NULL or
 *         @p flags has unknown bits, or -EIO if writing to @p f failed.
 */
LFP_API int lfp_stats_print_all(FILE *f, unsigned int flags);

LFP_END_DECLS

#endif /* LFPOOL_STATS_H */
