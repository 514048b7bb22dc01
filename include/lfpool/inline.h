/* SPDX-License-Identifier: MIT */
/**
 * @file lfpool/inline.h
 * The inline fast path of object and buffer pools, and the small ABI it
 * reads.
 *
 * <lfpool/objpool.h> and <lfpool/bufpool.h> include this header.
 * lfp_objpool_get(), _put(), _get_bulk(), _put_bulk() and
 * lfp_bufpool_alloc() are exported functions, and those headers also
 * define each as a function-like macro over a static inline function of
 * its own (lfp_objpool_get_inline() and so on): a hit, an object
 * taken from or given to the calling thread's or CPU's cache, then runs
 * in the caller's code, with no call; everything else (a miss, a NULL
 * argument, a checked pool, a thread's first use of a pool) calls the
 * exported function, which does what it always did. The name without a
 * call, `(lfp_objpool_get)(pool)`, `&lfp_objpool_get` and dlsym() give
 * the exported function; so does every call in a program compiled with
 * LFP_NO_INLINE defined before the first lfpool header (bindings of other
 * languages call the exported functions too). Both behave the same in
 * every respect but speed: same objects, statistics, errors and checks.
 *
 * The hit path, per cache mode:
 *  - per-thread: the thread's recent entry for the pool's registry slot
 *    (lfp_fast_tls, an exported thread-local variable) names the pool's
 *    id and the thread's cache for it; if the id matches, the cache's
 *    count, capacity and rounds sit in one cache line:
 *      get: n > 0:   obj = rounds[--n]; gets++
 *      put: n < cap: rounds[n++] = obj; puts++
 *  - per-CPU (x86-64 and aarch64, with glibc's rseq registration): one
 *    restartable sequence on the current CPU's cache, as the library's
 *    own hit path (see the library's design document): pop or push the
 *    loaded magazine and count the operation, committed by one store.
 *    Each inlined copy of the sequence carries its own descriptor
 *    (section __rseq_cs) and abort handler (section __rseq_failure,
 *    preceded by glibc's signature RSEQ_SIG). lfpool uses glibc's
 *    registration (__rseq_offset) and never registers rseq itself.
 *
 * ABI. What the inline code reads from the library's memory is part of
 * liblfpool's ABI, and is all of it: struct lfp_fast_pool (the first
 * member of every object pool and of each class of a buffer pool),
 * struct lfp_fast_bufpool (the first member of every buffer pool), struct lfp_fast_cache (the start of a
 * per-thread cache), struct lfp_fast_cpu (the start of each of a pool's
 * per-CPU caches, one every 1 << LFP_FAST_CPU_SHIFT bytes), the word
 * layout given by LFP_FAST_NBITS, and the thread-local lfp_fast_tls. A
 * change to any of them changes the library's soname; the build checks
 * these types against a committed baseline (`make check-abi`). Programs
 * must not read or write them: they are for this header's code.
 *
 * lfp_fast_tls is a thread-local variable of the initial-exec model, as
 * the library's own: a program that dlopen()s liblfpool (or a library
 * that links it) relies on glibc's static TLS surplus, which holds it.
 */
#ifndef LFPOOL_INLINE_H
#define LFPOOL_INLINE_H

#include <lfpool/common.h>

LFP_BEGIN_DECLS

/** Entries of lfp_fast_tls.recent (a power of two). */
#define LFP_FAST_RECENT 8

/** Bits of a per-CPU cache's word that hold its count (the rest count
 *  operations, for statistics). */
#define LFP_FAST_NBITS 16

/** log2 of the distance between two CPUs' caches of one pool. */
#define LFP_FAST_CPU_SHIFT 6

/** The start of a per-thread cache: what its hit path touches. */
struct lfp_fast_cache {
	uint32_t n;             /**< rounds in the loaded magazine */
	uint32_t cap;           /**< rounds per magazine */
	void **rounds;          /**< the loaded magazine's rounds */
	uint64_t gets;          /**< hits of get (relaxed atomic) */
	uint64_t puts;          /**< hits of put (relaxed atomic) */
};

/** The start of a CPU's cache of a pool. */
struct lfp_fast_cpu {
	uint64_t word;          /**< n | operations << LFP_FAST_NBITS */
	void **rounds;          /**< the loaded magazine's rounds */
	uint32_t lock;          /**< non-zero: the hit path declines */
	uint32_t cap;           /**< rounds per magazine */
};

/** The first member of every object pool. */
struct lfp_fast_pool {
	uint64_t id;            /**< unique for the process's life */
	uint32_t slot;          /**< index of the recent entry (low bits) */
	uint32_t ncpu;          /**< per-CPU hit path for CPU ids below
	                             it; 0 in other modes */
	struct lfp_fast_cpu *cpu; /**< per-CPU caches; NULL: per-thread */
	uint32_t cap;           /**< rounds per magazine: no bulk call of
	                             more can hit */
	uint32_t reserved;      /**< zero */
};

/** The first member of every buffer pool: where its classes are. */
struct lfp_fast_bufpool {
	uint32_t kmin;          /**< lg of the smallest class */
	uint32_t nclasses;      /**< classes kmin .. kmin + nclasses - 1 */
	size_t max_size;        /**< the largest class */
	size_t stride;          /**< bytes from one class's pool to the next */
	struct lfp_fast_pool *cls; /**< the smallest class's */
};

/** A thread's recent use of a pool. */
struct lfp_fast_entry {
	uint64_t id;            /**< the pool's id; 0: none */
	struct lfp_fast_cache *cache; /**< the thread's cache for it */
};

/** The calling thread's recent entries, indexed by slot's low bits. */
struct lfp_fast_tls {
	struct lfp_fast_entry recent[LFP_FAST_RECENT];
};

LFP_API extern __thread struct lfp_fast_tls lfp_fast_tls
	__attribute__((tls_model("initial-exec")));

/* ThreadSanitizer cannot see the per-CPU sequences (inline assembly):
 * each hit path tells it about the release and acquire they provide. */
#if defined(__SANITIZE_THREAD__)
#define LFP_FAST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LFP_FAST_TSAN 1
#endif
#endif
#ifdef LFP_FAST_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#endif

static inline void
lfp_fast_count(uint64_t *c, uint64_t k)
{
	/* Only the cache's owner writes it: a load and a store, relaxed
	 * (readers on other threads load it relaxed). */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + k,
			 __ATOMIC_RELAXED);
}

/* The calling thread's cache for pool @p f, from its recent entry, or
 * NULL (an entry's cache is never NULL while its id matches a pool). */
static inline struct lfp_fast_cache *
lfp_fast_thread_cache(const struct lfp_fast_pool *f)
{
	const struct lfp_fast_entry *e =
		&lfp_fast_tls.recent[f->slot & (LFP_FAST_RECENT - 1)];

	if (__builtin_expect(e->id != f->id, 0))
		return NULL;
	if (e->cache == NULL)
		__builtin_unreachable();  /* so callers test the id alone */
	return e->cache;
}

/** Per-thread hit path of get: an object, or NULL (a miss). */
static inline void *
lfp_fast_thread_get(const struct lfp_fast_pool *f)
{
	struct lfp_fast_cache *c = lfp_fast_thread_cache(f);
	void *obj;
	uint32_t n;

	if (__builtin_expect(c == NULL, 0))
		return NULL;
	n = c->n;
	if (__builtin_expect(n == 0, 0))
		return NULL;
	obj = c->rounds[--n];
	c->n = n;
	lfp_fast_count(&c->gets, 1);
	return obj;
}

/** Per-thread hit path of put: non-zero if @p obj was taken. */
static inline int
lfp_fast_thread_put(const struct lfp_fast_pool *f, void *obj)
{
	struct lfp_fast_cache *c = lfp_fast_thread_cache(f);
	uint32_t n;

	if (__builtin_expect(c == NULL, 0))
		return 0;
	n = c->n;
	if (__builtin_expect(n >= c->cap, 0))
		return 0;
	c->rounds[n] = obj;
	c->n = n + 1;
	lfp_fast_count(&c->puts, 1);
	return 1;
}

/* Two pointers, for copies of 16 bytes (any alignment of 8, any type),
 * and the same 16 bytes as four 32-bit halves. */
typedef uint64_t lfp_fast_pair __attribute__((vector_size(16), aligned(8),
					      may_alias));
typedef uint32_t lfp_fast_halves __attribute__((vector_size(16)));

/* @h with the two halves of each pointer swapped. */
static inline lfp_fast_halves
lfp_fast_swap_halves(lfp_fast_halves h)
{
#if defined(__clang__)
	return __builtin_shufflevector(h, h, 1, 0, 3, 2);
#else
	const lfp_fast_halves swap = { 1, 0, 3, 2 };

	return __builtin_shuffle(h, swap);
#endif
}

/* Copy @k pointers two at a time (not memcpy: a constant @k of 64 made
 * that a slow rep movsq); non-zero if one of them is NULL. A pointer is
 * NULL where both its 32-bit halves are: SSE2 compares 32-bit lanes, not
 * 64-bit ones, and a 64-bit compare there is two scalar ones a lane. */
static inline int
lfp_fast_copy(void **dst, void *const *src, size_t k)
{
	lfp_fast_halves nulls = { 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i + 2 <= k; i += 2) {
		lfp_fast_pair v = *(const lfp_fast_pair *)(const void *)(src + i);
		lfp_fast_halves z = (lfp_fast_halves)((lfp_fast_halves)v == 0);

		*(lfp_fast_pair *)(void *)(dst + i) = v;
		nulls |= z & lfp_fast_swap_halves(z);
	}
	if (k & 1) {
		dst[k - 1] = src[k - 1];
		nulls[0] |= src[k - 1] == NULL;
	}
	return (nulls[0] | nulls[2]) != 0;
}

/** Per-thread hit path of a bulk get of @p k (1..cap)
 *  objects: non-zero if all were taken (the top @p k rounds, in order). */
static inline int
lfp_fast_thread_get_bulk(const struct lfp_fast_pool *f, void **objs,
			 size_t k)
{
	struct lfp_fast_cache *c = lfp_fast_thread_cache(f);
	uint32_t n;

	if (__builtin_expect(c == NULL, 0))
		return 0;
	n = c->n;
	if (__builtin_expect(n < k, 0))
		return 0;
	n -= (uint32_t)k;
	(void)lfp_fast_copy(objs, c->rounds + n, k);
	c->n = n;
	lfp_fast_count(&c->gets, k);
	return 1;
}

/** Per-thread hit path of a bulk put of @p k (1..cap)
 *  objects: non-zero if all were taken; zero, nothing taken, if there is
 *  no room or an entry is NULL. */
static inline int
lfp_fast_thread_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
			 size_t k)
{
	struct lfp_fast_cache *c = lfp_fast_thread_cache(f);
	uint32_t n;

	if (__builtin_expect(c == NULL, 0))
		return 0;
	n = c->n;
	if (__builtin_expect(k > c->cap - n, 0))
		return 0;
	/* Rounds past n are nobody's: a copy that met a NULL is no harm. */
	if (__builtin_expect(lfp_fast_copy(c->rounds + n, objs, k), 0))
		return 0;
	c->n = n + (uint32_t)k;
	lfp_fast_count(&c->puts, k);
	return 1;
}

#if defined(__has_include) && (defined(__x86_64__) || defined(__aarch64__))
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#if defined(__x86_64__) && defined(RSEQ_SIG)
#define LFP_FAST_HAVE_RSEQ 1
#elif defined(__aarch64__) && defined(RSEQ_SIG_CODE)
#if RSEQ_SIG_CODE == 0xd428bc00
#define LFP_FAST_HAVE_RSEQ 1
#endif
#endif
#endif
#endif

/*
 * The restartable sequences, one set per machine. Each function
 * lfp_fast_seq_*() is one sequence on the current CPU's cache, with the
 * same contract on every machine; lfp_fast_cpu_*() below wrap them.
 * Every sequence stores its descriptor (struct rseq_cs, 32-byte aligned,
 * in section __rseq_cs) to the thread's rseq_cs, then runs from label 1
 * to its commit, one store, which ends at label 2 (where every decline
 * also lands). An abort (preemption, migration, signal) lands on label 4,
 * preceded by the signature glibc registered (RSEQ_SIG), and restarts at
 * label 5, which stores the descriptor again (the kernel clears it on
 * abort). Results are cleared after label 1, so that a restart that then
 * declines never returns what an aborted pass read. A CPU id that is not
 * below ncpu (also -1 or -2 of a thread without rseq) fails the unsigned
 * range check. The thread's struct rseq is glibc's (its thread pointer
 * plus __rseq_offset): cpu_id at +4, rseq_cs at +8.
 */
#if defined(LFP_FAST_HAVE_RSEQ) && defined(__x86_64__)
/*
 * x86-64: the struct rseq is at %fs:__rseq_offset. The signature is the
 * operand of a ud1, so that disassemblers stay aligned. @p tmp names a
 * scratch register operand.
 */
#define LFP_FAST_RSEQ_PROLOGUE(tmp)					\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"						\
	"3:\n\t"							\
	".long 0x0, 0x0\n\t"						\
	".quad 1f, (2f - 1f), 4f\n\t"					\
	".popsection\n\t"						\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".byte 0x0f, 0xb9, 0x3d\n\t"					\
	".long 0x53053053\n\t"						\
	"4:\n\t"							\
	"jmp 5f\n\t"							\
	".popsection\n\t"						\
	"5:\n\t"							\
	"leaq 3b(%%rip), " tmp "\n\t"					\
	"movq " tmp ", %%fs:8(%[off])\n\t"				\
	"1:\n\t"

/* The commit: %[ok] = 1, then the one store of the new word, which ends
 * the sequence (label 2, where every decline also lands). */
#define LFP_FAST_RSEQ_COMMIT						\
	"movl $1, %k[ok]\n\t"						\
	"movq %[w], (%[p])\n\t"					\
	"2:\n\t"

/* %[p] = the current CPU's cache; leave at label 2 when the CPU id is
 * not below %[ncpu] or the cache's lock is held. */
#define LFP_FAST_RSEQ_THIS_CPU_FREE					\
	"movl %%fs:4(%[off]), %k[p]\n\t"				\
	"cmpl %[ncpu], %k[p]\n\t"					\
	"jae 2f\n\t"							\
	"shlq %[shift], %[p]\n\t"					\
	"addq %[base], %[p]\n\t"					\
	"cmpl $0, %c[lock](%[p])\n\t"					\
	"jne 2f\n\t"

/*
 * Get: pop the current CPU's loaded magazine and count the operation
 * (word - 1 + 2^LFP_FAST_NBITS, one store); NULL when it declines (lock
 * held, magazine empty, no CPU id, the operation count at 2^47: the
 * library folds it).
 */
static inline void *
lfp_fast_seq_get(const struct lfp_fast_pool *f)
{
	void *obj;
	uint64_t p, w, r;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"xorl %k[obj], %k[obj]\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"movq (%[p]), %[w]\n\t"
		"testl %[nmask], %k[w]\n\t"
		"jz 2f\n\t"
		"addq %[dget], %[w]\n\t"
		"js 2f\n\t"
		"movq %c[rounds](%[p]), %[r]\n\t"
		"movzwl %w[w], %k[obj]\n\t"
		"movq (%[r], %[obj], 8), %[obj]\n\t"
		"movq %[w], (%[p])\n\t"
		"2:\n\t"
		: [obj] "=&r" (obj), [p] "=&r" (p), [w] "=&r" (w),
		  [r] "=&r" (r)
		: [off] "r" (__rseq_offset), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [nmask] "i" ((1 << LFP_FAST_NBITS) - 1),
		  [dget] "i" ((1 << LFP_FAST_NBITS) - 1)
		: "memory", "cc");
	return obj;
}

/* Put: rounds[n] = obj and word + 1 + 2^LFP_FAST_NBITS; zero when it
 * declines. */
static inline int
lfp_fast_seq_put(const struct lfp_fast_pool *f, void *obj)
{
	uint32_t ok;
	uint64_t p, w, n, r;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"xorl %k[ok], %k[ok]\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"movq (%[p]), %[w]\n\t"
		"movzwl %w[w], %k[n]\n\t"
		"cmpl %c[cap](%[p]), %k[n]\n\t"
		"jae 2f\n\t"
		"addq %[dput], %[w]\n\t"
		"js 2f\n\t"
		"movq %c[rounds](%[p]), %[r]\n\t"
		"movq %[obj], (%[r], %[n], 8)\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r)
		: [off] "r" (__rseq_offset), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [obj] "r" (obj),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [cap] "i" (offsetof(struct lfp_fast_cpu, cap)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [dput] "i" ((1 << LFP_FAST_NBITS) + 1)
		: "memory", "cc");
	return (int)ok;
}

/*
 * Bulk get of @p k (1..cap) objects: the top @p k rounds copied to
 * @p objs in one sequence, committed by word - k + k * 2^LFP_FAST_NBITS;
 * zero when it declines (fewer than @p k rounds, lock held, no CPU id,
 * count to fold). An aborted pass wrote only the caller's array, which a
 * restart writes again.
 */
static inline int
lfp_fast_seq_get_bulk(const struct lfp_fast_pool *f, void **objs, size_t k)
{
	uint32_t ok;
	uint64_t p, w, n, r, i;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"xorl %k[ok], %k[ok]\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"movq (%[p]), %[w]\n\t"
		"movzwl %w[w], %k[n]\n\t"
		"subq %[k], %[n]\n\t"
		"jb 2f\n\t"
		"addq %[dget], %[w]\n\t"
		"js 2f\n\t"
		"movq %c[rounds](%[p]), %[r]\n\t"
		"leaq (%[r], %[n], 8), %[r]\n\t"
		/* An odd one first, then two at a time. */
		"movl %k[k], %k[i]\n\t"
		"andl $1, %k[i]\n\t"
		"jz 6f\n\t"
		"movq (%[r]), %[n]\n\t"
		"movq %[n], (%[objs])\n\t"
		"6:\n\t"
		"cmpq %[k], %[i]\n\t"
		"jae 7f\n\t"
		".p2align 4\n\t"
		"8:\n\t"
		"movdqu (%[r], %[i], 8), %%xmm0\n\t"
		"movdqu %%xmm0, (%[objs], %[i], 8)\n\t"
		"addq $2, %[i]\n\t"
		"cmpq %[k], %[i]\n\t"
		"jb 8b\n\t"
		"7:\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r), [i] "=&r" (i)
		: [off] "r" (__rseq_offset), [ncpu] "rm" (f->ncpu),
		  [base] "rm" (f->cpu), [objs] "r" (objs), [k] "r" ((uint64_t)k),
		  [dget] "r" ((uint64_t)k * ((1u << LFP_FAST_NBITS) - 1)),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds))
		: "memory", "cc", "xmm0");
	return (int)ok;
}

/*
 * Bulk put of @p k (1..cap) objects: copied above the count in one
 * sequence, committed by word + k + k * 2^LFP_FAST_NBITS; zero, nothing
 * taken, when it declines (no room, a NULL entry, lock held, no CPU id,
 * count to fold). An aborted pass wrote only rounds past the count,
 * which nobody reads.
 */
static inline int
lfp_fast_seq_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
		      size_t k)
{
	uint32_t ok;
	uint64_t p, w, n, r, i;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"xorl %k[ok], %k[ok]\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"movq (%[p]), %[w]\n\t"
		"movzwl %w[w], %k[n]\n\t"
		"leaq (%[n], %[k]), %[i]\n\t"
		"cmpl %c[cap](%[p]), %k[i]\n\t"
		"ja 2f\n\t"
		"addq %[dput], %[w]\n\t"
		"js 2f\n\t"
		"movq %c[rounds](%[p]), %[r]\n\t"
		"leaq (%[r], %[n], 8), %[r]\n\t"
		/* An odd one first, then two at a time; a NULL declines. */
		"movl %k[k], %k[i]\n\t"
		"andl $1, %k[i]\n\t"
		"jz 6f\n\t"
		"movq (%[objs]), %[n]\n\t"
		"testq %[n], %[n]\n\t"
		"jz 2f\n\t"
		"movq %[n], (%[r])\n\t"
		"6:\n\t"
		"cmpq %[k], %[i]\n\t"
		"jae 7f\n\t"
		/* Pairs: xmm3 gathers the pointers with both halves zero;
		 * copied first (past the count), tested once at the end. */
		"pxor %%xmm3, %%xmm3\n\t"
		".p2align 4\n\t"
		"8:\n\t"
		"movdqu (%[objs], %[i], 8), %%xmm0\n\t"
		"pxor %%xmm2, %%xmm2\n\t"
		"pcmpeqd %%xmm0, %%xmm2\n\t"
		"pshufd $0xb1, %%xmm2, %%xmm1\n\t"
		"pand %%xmm1, %%xmm2\n\t"
		"por %%xmm2, %%xmm3\n\t"
		"movdqu %%xmm0, (%[r], %[i], 8)\n\t"
		"addq $2, %[i]\n\t"
		"cmpq %[k], %[i]\n\t"
		"jb 8b\n\t"
		"pmovmskb %%xmm3, %k[n]\n\t"
		"testl %k[n], %k[n]\n\t"
		"jnz 2f\n\t"
		"7:\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r), [i] "=&r" (i)
		: [off] "r" (__rseq_offset), [ncpu] "rm" (f->ncpu),
		  [base] "rm" (f->cpu), [objs] "r" (objs), [k] "r" ((uint64_t)k),
		  [dput] "r" ((uint64_t)k * ((1u << LFP_FAST_NBITS) + 1)),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [cap] "i" (offsetof(struct lfp_fast_cpu, cap)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds))
		: "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3");
	return (int)ok;
}
#elif defined(LFP_FAST_HAVE_RSEQ) && defined(__aarch64__)
/*
 * aarch64: %[rs] is the thread's struct rseq (lfp_fast_rseq_area()). The
 * signature is glibc's RSEQ_SIG_CODE, a brk that traps if ever run, in
 * the instruction stream's byte order (which is what glibc registers on
 * either endianness). @p tmp names a scratch register operand.
 */
#define LFP_FAST_RSEQ_PROLOGUE(tmp)					\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"						\
	"3:\n\t"							\
	".long 0x0, 0x0\n\t"						\
	".quad 1f, (2f - 1f), 4f\n\t"					\
	".popsection\n\t"						\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".inst 0xd428bc00\n\t"						\
	"4:\n\t"							\
	"b 5f\n\t"							\
	".popsection\n\t"						\
	"5:\n\t"							\
	"adrp " tmp ", 3b\n\t"						\
	"add " tmp ", " tmp ", :lo12:3b\n\t"				\
	"str " tmp ", [%[rs], #8]\n\t"					\
	"1:\n\t"

/* The commit: %w[ok] = 1, then the one store of the new word, which ends
 * the sequence (label 2, where every decline also lands). */
#define LFP_FAST_RSEQ_COMMIT						\
	"mov %w[ok], #1\n\t"						\
	"str %[w], [%[p]]\n\t"						\
	"2:\n\t"

/*
 * %[p] = the current CPU's cache; leave at label 2 when the CPU id is
 * not below %[ncpu] or the cache's lock is held (%[w] is scratch). The
 * lock is loaded with acquire: it pairs with the release store of the
 * holder's unlock, so that what the holder wrote (rounds, cap, word),
 * perhaps from another CPU, is what this sequence reads.
 */
#define LFP_FAST_RSEQ_THIS_CPU_FREE					\
	"ldr %w[p], [%[rs], #4]\n\t"					\
	"cmp %w[p], %w[ncpu]\n\t"					\
	"b.hs 2f\n\t"							\
	"add %[p], %[base], %[p], lsl #%[shift]\n\t"			\
	"add %[w], %[p], #%[lock]\n\t"					\
	"ldar %w[w], [%[w]]\n\t"					\
	"cbnz %w[w], 2f\n\t"

/* The calling thread's struct rseq, as glibc registered it. */
static inline void *
lfp_fast_rseq_area(void)
{
	return (char *)__builtin_thread_pointer() + __rseq_offset;
}

/* Get: as on x86-64 (word - 1 + 2^LFP_FAST_NBITS; a set sign bit, the
 * count to fold, declines). */
static inline void *
lfp_fast_seq_get(const struct lfp_fast_pool *f)
{
	void *obj;
	uint64_t p, w, r;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"mov %[obj], #0\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"ldr %[w], [%[p]]\n\t"
		"tst %[w], #%[nmask]\n\t"
		"b.eq 2f\n\t"
		"add %[w], %[w], %[dget]\n\t"
		"tbnz %[w], #63, 2f\n\t"
		"ldr %[r], [%[p], #%[rounds]]\n\t"
		"and %[obj], %[w], #%[nmask]\n\t"
		"ldr %[obj], [%[r], %[obj], lsl #3]\n\t"
		"str %[w], [%[p]]\n\t"
		"2:\n\t"
		: [obj] "=&r" (obj), [p] "=&r" (p), [w] "=&r" (w),
		  [r] "=&r" (r)
		: [rs] "r" (lfp_fast_rseq_area()), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [nmask] "i" ((1 << LFP_FAST_NBITS) - 1),
		  [dget] "r" ((uint64_t)(1 << LFP_FAST_NBITS) - 1)
		: "memory", "cc");
	return obj;
}

/* Put: as on x86-64 (rounds[n] = obj, word + 1 + 2^LFP_FAST_NBITS). */
static inline int
lfp_fast_seq_put(const struct lfp_fast_pool *f, void *obj)
{
	uint32_t ok;
	uint64_t p, w, n, r;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"mov %w[ok], #0\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"ldr %[w], [%[p]]\n\t"
		"and %[n], %[w], #%[nmask]\n\t"
		"ldr %w[r], [%[p], #%[cap]]\n\t"
		"cmp %[n], %[r]\n\t"
		"b.hs 2f\n\t"
		"add %[w], %[w], %[dput]\n\t"
		"tbnz %[w], #63, 2f\n\t"
		"ldr %[r], [%[p], #%[rounds]]\n\t"
		"str %[obj], [%[r], %[n], lsl #3]\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r)
		: [rs] "r" (lfp_fast_rseq_area()), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [obj] "r" (obj),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [cap] "i" (offsetof(struct lfp_fast_cpu, cap)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [nmask] "i" ((1 << LFP_FAST_NBITS) - 1),
		  [dput] "r" ((uint64_t)(1 << LFP_FAST_NBITS) + 1)
		: "memory", "cc");
	return (int)ok;
}

/* Bulk get: as on x86-64; an odd round first, then pairs (ldp/stp). */
static inline int
lfp_fast_seq_get_bulk(const struct lfp_fast_pool *f, void **objs, size_t k)
{
	uint32_t ok;
	uint64_t p, w, n, r, d, a, b;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"mov %w[ok], #0\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"ldr %[w], [%[p]]\n\t"
		"and %[n], %[w], #%[nmask]\n\t"
		"subs %[n], %[n], %[k]\n\t"
		"b.lo 2f\n\t"
		"add %[w], %[w], %[dget]\n\t"
		"tbnz %[w], #63, 2f\n\t"
		"ldr %[r], [%[p], #%[rounds]]\n\t"
		"add %[r], %[r], %[n], lsl #3\n\t"
		"mov %[d], %[objs]\n\t"
		"tbz %[k], #0, 6f\n\t"
		"ldr %[a], [%[r]], #8\n\t"
		"str %[a], [%[d]], #8\n\t"
		"6:\n\t"
		"lsr %[n], %[k], #1\n\t"
		"cbz %[n], 7f\n\t"
		"8:\n\t"
		"ldp %[a], %[b], [%[r]], #16\n\t"
		"stp %[a], %[b], [%[d]], #16\n\t"
		"sub %[n], %[n], #1\n\t"
		"cbnz %[n], 8b\n\t"
		"7:\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r), [d] "=&r" (d),
		  [a] "=&r" (a), [b] "=&r" (b)
		: [rs] "r" (lfp_fast_rseq_area()), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [objs] "r" (objs), [k] "r" ((uint64_t)k),
		  [dget] "r" ((uint64_t)k * ((1u << LFP_FAST_NBITS) - 1)),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [nmask] "i" ((1 << LFP_FAST_NBITS) - 1)
		: "memory", "cc");
	return (int)ok;
}

/* Bulk put: as on x86-64; an odd one first, then pairs; a NULL declines. */
static inline int
lfp_fast_seq_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
		      size_t k)
{
	uint32_t ok;
	uint64_t p, w, n, r, d, a, b;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"mov %w[ok], #0\n\t"
		LFP_FAST_RSEQ_THIS_CPU_FREE
		"ldr %[w], [%[p]]\n\t"
		"and %[n], %[w], #%[nmask]\n\t"
		"ldr %w[a], [%[p], #%[cap]]\n\t"
		"add %[b], %[n], %[k]\n\t"
		"cmp %[b], %[a]\n\t"
		"b.hi 2f\n\t"
		"add %[w], %[w], %[dput]\n\t"
		"tbnz %[w], #63, 2f\n\t"
		"ldr %[r], [%[p], #%[rounds]]\n\t"
		"add %[r], %[r], %[n], lsl #3\n\t"
		"mov %[d], %[objs]\n\t"
		"tbz %[k], #0, 6f\n\t"
		"ldr %[a], [%[d]], #8\n\t"
		"cbz %[a], 2f\n\t"
		"str %[a], [%[r]], #8\n\t"
		"6:\n\t"
		"lsr %[n], %[k], #1\n\t"
		"cbz %[n], 7f\n\t"
		"8:\n\t"
		"ldp %[a], %[b], [%[d]], #16\n\t"
		"cbz %[a], 2f\n\t"
		"cbz %[b], 2f\n\t"
		"stp %[a], %[b], [%[r]], #16\n\t"
		"sub %[n], %[n], #1\n\t"
		"cbnz %[n], 8b\n\t"
		"7:\n\t"
		LFP_FAST_RSEQ_COMMIT
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r), [d] "=&r" (d),
		  [a] "=&r" (a), [b] "=&r" (b)
		: [rs] "r" (lfp_fast_rseq_area()), [ncpu] "r" (f->ncpu),
		  [base] "r" (f->cpu), [objs] "r" (objs), [k] "r" ((uint64_t)k),
		  [dput] "r" ((uint64_t)k * ((1u << LFP_FAST_NBITS) + 1)),
		  [shift] "i" (LFP_FAST_CPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_fast_cpu, lock)),
		  [cap] "i" (offsetof(struct lfp_fast_cpu, cap)),
		  [rounds] "i" (offsetof(struct lfp_fast_cpu, rounds)),
		  [nmask] "i" ((1 << LFP_FAST_NBITS) - 1)
		: "memory", "cc");
	return (int)ok;
}
#endif

#ifdef LFP_FAST_HAVE_RSEQ
/** Per-CPU hit path of get: an object, or NULL when it declines. */
static inline void *
lfp_fast_cpu_get(const struct lfp_fast_pool *f)
{
	void *obj = lfp_fast_seq_get(f);

#ifdef LFP_FAST_TSAN
	if (obj)  /* pairs with the release of the put that cached it */
		__tsan_acquire((void *)f->cpu);
#endif
	return obj;
}

/** Per-CPU hit path of put: non-zero if @p obj was taken. */
static inline int
lfp_fast_cpu_put(const struct lfp_fast_pool *f, void *obj)
{
#ifdef LFP_FAST_TSAN
	__tsan_release((void *)f->cpu);  /* pairs with the get's acquire */
#endif
	return lfp_fast_seq_put(f, obj);
}

/** Per-CPU hit path of a bulk get of @p k (1..cap) objects: non-zero if
 *  all were taken (the top @p k rounds, in order). */
static inline int
lfp_fast_cpu_get_bulk(const struct lfp_fast_pool *f, void **objs, size_t k)
{
	int ok = lfp_fast_seq_get_bulk(f, objs, k);

#ifdef LFP_FAST_TSAN
	if (ok)  /* pairs with the release of the puts that cached them */
		__tsan_acquire((void *)f->cpu);
#endif
	return ok;
}

/** Per-CPU hit path of a bulk put of @p k (1..cap) objects: non-zero if
 *  all were taken; zero, nothing taken, if one is NULL or it declines. */
static inline int
lfp_fast_cpu_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
		      size_t k)
{
#ifdef LFP_FAST_TSAN
	__tsan_release((void *)f->cpu);  /* pairs with the gets' acquire */
#endif
	return lfp_fast_seq_put_bulk(f, objs, k);
}
#else
/* No sequences for this machine: pools never run per-CPU here. */
static inline void *
lfp_fast_cpu_get(const struct lfp_fast_pool *f)
{
	(void)f;
	return NULL;
}

static inline int
lfp_fast_cpu_put(const struct lfp_fast_pool *f, void *obj)
{
	(void)f;
	(void)obj;
	return 0;
}

static inline int
lfp_fast_cpu_get_bulk(const struct lfp_fast_pool *f, void **objs, size_t k)
{
	(void)f;
	(void)objs;
	(void)k;
	return 0;
}

static inline int
lfp_fast_cpu_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
		      size_t k)
{
	(void)f;
	(void)objs;
	(void)k;
	return 0;
}
#endif

/** The hit path of get, either mode: an object, or NULL (a miss). */
static inline void *
lfp_fast_get(const struct lfp_fast_pool *f)
{
	if (f->cpu)
		return lfp_fast_cpu_get(f);
	return lfp_fast_thread_get(f);
}

/** The hit path of put, either mode: non-zero if @p obj was taken. */
static inline int
lfp_fast_put(const struct lfp_fast_pool *f, void *obj)
{
	if (f->cpu)
		return lfp_fast_cpu_put(f, obj);
	return lfp_fast_thread_put(f, obj);
}

/** The hit path of a bulk get of @p k (1..cap) objects,
 *  either mode: non-zero if all @p k were taken. */
static inline int
lfp_fast_get_bulk(const struct lfp_fast_pool *f, void **objs, size_t k)
{
	if (k - 1 >= f->cap)  /* none, or more than a magazine holds */
		return 0;
	if (f->cpu)
		return lfp_fast_cpu_get_bulk(f, objs, k);
	return lfp_fast_thread_get_bulk(f, objs, k);
}

/** The hit path of a bulk put of @p k (1..cap) objects,
 *  either mode: non-zero if all @p k were taken (none is NULL). */
static inline int
lfp_fast_put_bulk(const struct lfp_fast_pool *f, void *const *objs,
		  size_t k)
{
	if (k - 1 >= f->cap)  /* none, or more than a magazine holds */
		return 0;
	if (f->cpu)
		return lfp_fast_cpu_put_bulk(f, objs, k);
	return lfp_fast_thread_put_bulk(f, objs, k);
}

/** The class of a buffer pool for @p n bytes (at most max_size): the
 *  index of 2^ceil(lg n) among its classes, 0 up to the smallest. */
static inline size_t
lfp_fast_buf_class(const struct lfp_fast_bufpool *b, size_t n)
{
	if (n <= (size_t)1 << b->kmin)
		return 0;
	return 64 - (size_t)__builtin_clzll((unsigned long long)n - 1) -
	       b->kmin;
}

/** The hit path of a buffer pool's alloc of @p n bytes: a buffer of the
 *  class 2^ceil(lg n), or NULL (a miss, or no such class). */
static inline void *
lfp_fast_buf_alloc(const struct lfp_fast_bufpool *b, size_t n)
{
	if (__builtin_expect(n > b->max_size, 0))
		return NULL;
	return lfp_fast_get((const struct lfp_fast_pool *)(const void *)
			    ((const char *)b->cls +
			     lfp_fast_buf_class(b, n) * b->stride));
}

LFP_END_DECLS

#endif /* LFPOOL_INLINE_H */
