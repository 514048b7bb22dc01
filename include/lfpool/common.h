/* SPDX-License-Identifier: MIT */
/*
 * lfpool/common.h - declarations shared by every lfpool header: the export
 * macro, C++ guards, and the error conventions of the whole API.
 *
 * Error conventions (every call follows exactly one of them):
 *  - calls that hand out memory (create, get, alloc) return a pointer, or
 *    NULL with errno set;
 *  - calls that return int return 0 on success or a negative errno value
 *    (for example -EINVAL), and leave errno alone;
 *  - bulk calls return how many objects they handled; when that is fewer
 *    than asked, errno says why.
 *
 * Threading: every function may be called from any thread at any time,
 * unless its comment says otherwise. Threads need no registration.
 */
#ifndef LFPOOL_COMMON_H
#define LFPOOL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define LFP_BEGIN_DECLS extern "C" {
#define LFP_END_DECLS }
#else
#define LFP_BEGIN_DECLS
#define LFP_END_DECLS
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define LFP_API __attribute__((visibility("default")))
#else
#define LFP_API
#endif

#if defined(__GNUC__)
#define LFP_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define LFP_WARN_UNUSED
#endif

#endif /* LFPOOL_COMMON_H */
