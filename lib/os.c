/* SPDX-License-Identifier: MIT */
/*
 * os.c - every request the library makes for memory: chunks and magazine
 * segments mapped from the operating system (aligned to their size when
 * asked), and small bookkeeping structures from malloc. Keeping them in
 * one place gives one spot to account for, or fail, memory requests: the
 * tests make the n-th request fail (lfp_fault_fail_nth) to walk every
 * site that can run out of memory. Memory going back is made accessible
 * to AddressSanitizer and valgrind again first (lfp_os_expose()).
 */
#include "internal.h"
#include "atomic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

static lfp_counter_t fault_requests;     /* every request made */
static lfp_counter_t fault_at;           /* request number to fail; 0: none */
static _Atomic bool fault_all;           /* every request fails */
static lfp_counter_t live_maps, live_meta;

uint64_t
lfp_os_live_maps(void)
{
	return lfp_counter_read(&live_maps);
}

uint64_t
lfp_meta_live(void)
{
	return lfp_counter_read(&live_meta);
}

void
lfp_fault_fail_nth(uint64_t n)
{
	atomic_store_explicit(&fault_at, n ? lfp_counter_read(&fault_requests) + n
					   : 0,
			      memory_order_relaxed);
}

void
lfp_fault_fail_all(bool on)
{
	atomic_store_explicit(&fault_all, on, memory_order_relaxed);
}

uint64_t
lfp_fault_requests(void)
{
	return lfp_counter_read(&fault_requests);
}

/* Count a request; true if it must fail. One relaxed RMW: rare paths only. */
static bool
fault_hit(void)
{
	uint64_t n = atomic_fetch_add_explicit(&fault_requests, 1,
					       memory_order_relaxed) + 1;

	return lfp_unlikely(n == lfp_counter_read(&fault_at)) ||
	       lfp_unlikely(atomic_load_explicit(&fault_all,
						 memory_order_relaxed));
}

size_t
lfp_os_page_size(void)
{
	static _Atomic size_t page;
	size_t p = atomic_load_explicit(&page, memory_order_relaxed);

	if (!p) {
		long v = sysconf(_SC_PAGESIZE);

		p = v > 0 ? (size_t)v : 4096;
		atomic_store_explicit(&page, p, memory_order_relaxed);
	}
	return p;
}

/*
 * Map @size bytes (a multiple of the page size) aligned to @align (a power
 * of two; page alignment when smaller). NULL with errno ENOMEM on failure.
 */
void *
lfp_os_map(size_t size, size_t align)
{
	size_t page = lfp_os_page_size();
	size_t span;
	char *p, *a;

	if (fault_hit()) {
		errno = ENOMEM;
		return NULL;
	}
	if (align <= page) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		lfp_shared_add(&live_maps, 1);
		return p;
	}
	if (size > SIZE_MAX - align) {
		errno = ENOMEM;
		return NULL;
	}
	span = size + align;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	a = (char *)lfp_align_up((uintptr_t)p, align);
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + span > a + size)
		munmap(a + size, (size_t)(p + span - (a + size)));
	lfp_shared_add(&live_maps, 1);
	return a;
}

void
lfp_os_unmap(void *p, size_t size)
{
	if (p) {
		munmap(p, size);
		lfp_shared_sub(&live_maps, 1);
	}
}

/* Bookkeeping memory: zeroed, cache-line aligned. */
void *
lfp_meta_alloc(size_t size)
{
	void *p = NULL;

	if (fault_hit() ||
	    posix_memalign(&p, LFP_CACHELINE, lfp_align_up(size, LFP_CACHELINE))) {
		errno = ENOMEM;
		return NULL;
	}
	lfp_shared_add(&live_meta, 1);
	memset(p, 0, size);
	return p;
}

void *
lfp_meta_realloc(void *p, size_t size)
{
	void *q = fault_hit() ? NULL : realloc(p, size);

	if (!q)
		errno = ENOMEM;
	else if (!p)
		lfp_shared_add(&live_meta, 1);
	return q;
}

void
lfp_meta_free(void *p)
{
	if (p)
		lfp_shared_sub(&live_meta, 1);
	free(p);
}

void
lfp_os_expose(void *p, size_t size)
{
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	VALGRIND_MAKE_MEM_DEFINED(p, size);
}
