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

LFP_END_DECLS

#endif /* LFPOOL_STATS_H */
