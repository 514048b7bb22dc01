/* SPDX-License-Identifier: MIT */
/*
 * os.c - every request the library makes for memory: chunks and magazine
 * segments mapped from the operating system (aligned to their size when
 * asked), and small bookkeeping structures from malloc. Keeping them in
 * one place gives one spot to account for, or fail, memory requests.
 */
#include "internal.h"
#include "atomic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

	if (align <= page) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
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
	return a;
}

void
lfp_os_unmap(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* Bookkeeping memory: zeroed, cache-line aligned. */
void *
lfp_meta_alloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, LFP_CACHELINE, lfp_align_up(size, LFP_CACHELINE))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

void *
lfp_meta_realloc(void *p, size_t size)
{
	void *q = realloc(p, size);

	if (!q)
		errno = ENOMEM;
	return q;
}

void
lfp_meta_free(void *p)
{
	free(p);
}
