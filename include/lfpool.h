/* SPDX-License-Identifier: MIT */
/*
 * lfpool.h - umbrella header of lfpool, lock-free concurrent memory pools.
 * Include this one; it brings in every <lfpool/...> header.
 */
#ifndef LFPOOL_H
#define LFPOOL_H

#include <lfpool/common.h>
#include <lfpool/version.h>
#include <lfpool/thread.h>
#include <lfpool/objpool.h>
#include <lfpool/bufpool.h>
#include <lfpool/check.h>
#include <lfpool/stats.h>

#endif /* LFPOOL_H */
