/* SPDX-License-Identifier: MIT */
/*
 * statsenv.h - what pools ask of stats.c: the statistics of every pool
 * written at exit when the environment asks (LFP_STATS; see
 * lfp_stats_print(3)).
 */
#ifndef LFP_STATSENV_H
#define LFP_STATSENV_H

/*
 * Read LFP_STATS once, at the first pool's creation, and if it asks,
 * register the print at exit (atexit()). Called by every create, so that
 * a program linked with liblfpool.a gets it too.
 */
void lfp_stats_at_exit_init(void);

#endif /* LFP_STATSENV_H */
