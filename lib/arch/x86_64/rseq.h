/* SPDX-License-Identifier: MIT */
/*
 * arch/x86_64/rseq.h - the local lock of the per-CPU caches on x86-64, a
 * restartable sequence. The hit paths' sequences (pop, push) are in the
 * public <lfpool/inline.h>, whose prologue this one shares (the
 * descriptor, the abort handler and its signature, the restart); what
 * they do, and why it is safe, is pcpu.h's argument. pcpu.h includes
 * this file after struct lfp_pcpu and the LFP_PCPU_* constants. Another
 * architecture is one more file like this one, defining LFP_HAVE_PCPU and
 * lfp_pcpu_trylock_local(), with its hit paths in <lfpool/inline.h>.
 */
#ifndef LFP_ARCH_X86_64_RSEQ_H
#define LFP_ARCH_X86_64_RSEQ_H

#ifndef LFP_FAST_HAVE_RSEQ
#error "<lfpool/inline.h> has no per-CPU sequences for this machine"
#endif

#define LFP_HAVE_PCPU 1

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
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
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
