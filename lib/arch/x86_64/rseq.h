/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/rseq.h - the restartable sequences of the per-CPU caches on
 * x86-64: the hit paths (pop, push) and the local lock. pcpu.h includes
 * this file after struct lfp_pcpu and the LFP_PCPU_* constants, which the
 * sequences use as operands; what they do, and why it is safe, is
 * pcpu.h's argument. Another architecture is one more file like this one,
 * defining LFP_HAVE_PCPU and the same three functions.
 *
 * The thread's struct rseq is found at %fs:__rseq_offset (glibc's
 * registration): cpu_id at +4, rseq_cs at +8.
 */
#ifndef LFP_ARCH_X86_64_RSEQ_H
#define LFP_ARCH_X86_64_RSEQ_H

#include <sys/rseq.h>

#define LFP_HAVE_PCPU 1

/*
 * The sequences. Each registers its descriptor (struct rseq_cs, in section
 * __rseq_cs) in the thread's struct rseq, then runs from label 1 to the
 * commit, which ends at label 2. An abort (preemption, migration, signal)
 * lands on label 4, preceded by glibc's signature RSEQ_SIG (0x53053053,
 * encoded as the operand of a ud1 so that disassemblers stay aligned),
 * and restarts at label 5, which registers the descriptor again (the
 * kernel clears it on abort). Results are cleared after label 1, so that
 * a restart that then declines never returns what an aborted pass read. A CPU id that is not one of ours (also -1
 * or -2 of a thread without rseq) fails the unsigned range check.
 */
#define LFP_RSEQ_PROLOGUE(tmp)						\
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

/*
 * %[p] = &base[the CPU id of the thread's struct rseq]; leave at label 2
 * when that id is not one of ours or the CPU's lock is held.
 */
#define LFP_RSEQ_THIS_CPU_FREE						\
	"movl %%fs:4(%[off]), %k[p]\n\t"				\
	"cmpl %[ncpu], %k[p]\n\t"					\
	"jae 2f\n\t"							\
	"shlq %[shift], %[p]\n\t"					\
	"addq %[base], %[p]\n\t"					\
	"cmpl $0, %c[lock](%[p])\n\t"					\
	"jne 2f\n\t"

/*
 * Pop from the current CPU's loaded magazine; NULL when the sequence
 * declines (lock held, magazine empty, no rseq, counter to fold).
 */
static inline void *
lfp_pcpu_get_fast(struct lfp_pcpu *base, uint32_t ncpu)
{
	void *obj;
	uint64_t p, w, r;

	__asm__ __volatile__(
		LFP_RSEQ_PROLOGUE("%[p]")
		"xorl %k[obj], %k[obj]\n\t"
		LFP_RSEQ_THIS_CPU_FREE
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
		: [off] "r" (__rseq_offset), [ncpu] "r" (ncpu),
		  [base] "r" (base), [shift] "i" (LFP_PCPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_pcpu, lock)),
		  [rounds] "i" (offsetof(struct lfp_pcpu, rounds)),
		  [nmask] "i" (LFP_PCPU_NMASK),
		  [dget] "i" ((1 << LFP_PCPU_NBITS) - 1)
		: "memory", "cc");
	if (obj)
		lfp_tsan_acquire(base);
	return obj;
}

/* Push onto the current CPU's loaded magazine; false when it declines. */
static inline bool
lfp_pcpu_put_fast(struct lfp_pcpu *base, uint32_t ncpu, void *obj)
{
	uint32_t ok;
	uint64_t p, w, n, r;

	lfp_tsan_release(base);
	__asm__ __volatile__(
		LFP_RSEQ_PROLOGUE("%[p]")
		"xorl %k[ok], %k[ok]\n\t"
		LFP_RSEQ_THIS_CPU_FREE
		"movq (%[p]), %[w]\n\t"
		"movzwl %w[w], %k[n]\n\t"
		"cmpl %c[cap](%[p]), %k[n]\n\t"
		"jae 2f\n\t"
		"addq %[dput], %[w]\n\t"
		"js 2f\n\t"
		"movq %c[rounds](%[p]), %[r]\n\t"
		"movq %[obj], (%[r], %[n], 8)\n\t"
		"movl $1, %k[ok]\n\t"
		"movq %[w], (%[p])\n\t"
		"2:\n\t"
		: [ok] "=&r" (ok), [p] "=&r" (p), [w] "=&r" (w),
		  [n] "=&r" (n), [r] "=&r" (r)
		: [off] "r" (__rseq_offset), [ncpu] "r" (ncpu),
		  [base] "r" (base), [obj] "r" (obj),
		  [shift] "i" (LFP_PCPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_pcpu, lock)),
		  [cap] "i" (offsetof(struct lfp_pcpu, cap)),
		  [rounds] "i" (offsetof(struct lfp_pcpu, rounds)),
		  [dput] "i" ((1 << LFP_PCPU_NBITS) + 1)
		: "memory", "cc");
	return ok;
}

/*
 * Take the lock of the current CPU's cache: a compare-and-swap from 0 to 1
 * that commits a restartable sequence, so it happens on the CPU whose
 * cache it locks. Returns the CPU, or -1 when the lock is held or this
 * thread has no usable CPU id. The locked cmpxchg is a full barrier: it
 * pairs with the release store of lfp_pcpu_unlock().
 */
static inline int
lfp_pcpu_trylock_local(struct lfp_pcpu *base, uint32_t ncpu)
{
	uint32_t ok;
	uint64_t cpu, p;

	__asm__ __volatile__(
		LFP_RSEQ_PROLOGUE("%[p]")
		"movl %%fs:4(%[off]), %k[cpu]\n\t"
		"cmpl %[ncpu], %k[cpu]\n\t"
		"jae 6f\n\t"
		"movq %[cpu], %[p]\n\t"
		"shlq %[shift], %[p]\n\t"
		"addq %[base], %[p]\n\t"
		"xorl %%eax, %%eax\n\t"
		"lock cmpxchgl %[one], %c[lock](%[p])\n\t"
		"2:\n\t"
		"sete %%al\n\t"
		"movzbl %%al, %%eax\n\t"
		"jmp 7f\n\t"
		"6:\n\t"
		"xorl %%eax, %%eax\n\t"
		"7:\n\t"
		: "=&a" (ok), [cpu] "=&r" (cpu), [p] "=&r" (p)
		: [off] "r" (__rseq_offset), [ncpu] "r" (ncpu),
		  [base] "r" (base), [one] "r" (1u),
		  [shift] "i" (LFP_PCPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_pcpu, lock))
		: "memory", "cc");
	if (!ok)
		return -1;
	lfp_tsan_acquire(&base[cpu].lock);
	return (int)cpu;
}

#endif /* LFP_ARCH_X86_64_RSEQ_H */
