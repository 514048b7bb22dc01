/* SPDX-License-Identifier: MIT */
/*
 * floor.c - the fast-path floor as a shared library: the same per-thread
 * array stack as bench_fastpath's in-binary floor, but reached the way
 * lfpool is, through the dynamic linker (a PLT call, and thread-local
 * storage in the initial-exec model, as lib/tcache.c uses). Comparing
 * lfpool with this floor measures lfpool's own work, not the price of
 * being a shared library.
 */
#include <errno.h>

void *bench_floor_so_pop(void);
int bench_floor_so_push(void *p);

#define DEPTH 64u

static __thread void *stack[DEPTH] __attribute__((tls_model("initial-exec")));
static __thread unsigned int top __attribute__((tls_model("initial-exec")));

void *
bench_floor_so_pop(void)
{
	return top ? stack[--top] : (void *)0;
}

int
bench_floor_so_push(void *p)
{
	if (top == DEPTH)
		return -ENOBUFS;
	stack[top++] = p;
	return 0;
}
