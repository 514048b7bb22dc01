/* SPDX-License-Identifier: MIT */
/*
 * arch/aarch64/rseq.h - the local lock of the per-CPU caches on aarch64, a
 * restartable sequence. The hit paths' sequences (pop, push) are in the
 * public <lfpool/inline.h>, whose prologue this one shares (the
 * descriptor, the abort handler and its signature, the restart); what
 * they do, and why it is safe, is pcpu.h's argument. pcpu.h includes
 * this file after struct lfp_pcpu and the LFP_PCPU_* constants.
 */
#ifndef LFP_ARCH_AARCH64_RSEQ_H
#define LFP_ARCH_AARCH64_RSEQ_H

#ifndef LFP_FAST_HAVE_RSEQ
#error "<lfpool/inline.h> has no per-CPU sequences for this machine"
#endif

#define LFP_HAVE_PCPU 1

/*
 * Take the lock of the current CPU's cache: a compare-and-swap from 0 to 1
 * that commits a restartable sequence, so it happens on the CPU whose
 * cache it locks. Returns the CPU, or -1 when the lock is held or this
 * thread has no usable CPU id.
 *
 * The swap must be atomic, not a load and a store: lfp_pcpu_lock_remote()
 * takes the same word with a compare-and-swap from another CPU, and only
 * then stops this CPU's sequences with membarrier, so a plain store that
 * committed between its swap and the membarrier would hand the lock to
 * both. It is a load-acquire exclusive and a store exclusive (ARMv8.0,
 * no atomics extension needed); the store exclusive is the commit, the
 * last instruction of the sequence. It fails, storing nothing, when the
 * exclusive monitor was lost (an interrupt, another writer): %w[st] is
 * then 1 and the sequence runs again from the start. %w[st] is 0 when
 * the lock is taken, 2 when the sequence declined. The acquire pairs
 * with the release store of lfp_pcpu_unlock().
 */
static inline int
lfp_pcpu_trylock_local(struct lfp_pcpu *base, uint32_t ncpu)
{
	uint32_t st;
	uint64_t cpu, p, v;

	__asm__ __volatile__(
		LFP_FAST_RSEQ_PROLOGUE("%[p]")
		"mov %w[st], #2\n\t"
		"ldr %w[cpu], [%[rs], #4]\n\t"
		"cmp %w[cpu], %w[ncpu]\n\t"
		"b.hs 2f\n\t"
		"add %[p], %[base], %[cpu], lsl #%[shift]\n\t"
		"add %[p], %[p], #%[lock]\n\t"
		"ldaxr %w[v], [%[p]]\n\t"
		"cbnz %w[v], 2f\n\t"
		"mov %w[v], #1\n\t"
		"stxr %w[st], %w[v], [%[p]]\n\t"
		"2:\n\t"
		"cmp %w[st], #1\n\t"
		"b.eq 5b\n\t"
		: [st] "=&r" (st), [cpu] "=&r" (cpu), [p] "=&r" (p),
		  [v] "=&r" (v)
		: [rs] "r" (lfp_fast_rseq_area()), [ncpu] "r" (ncpu),
		  [base] "r" (base), [shift] "i" (LFP_PCPU_SHIFT),
		  [lock] "i" (offsetof(struct lfp_pcpu, lock))
		: "memory", "cc");
	if (st != 0)
		return -1;
	lfp_tsan_acquire(&base[cpu].lock);
	return (int)cpu;
}

#endif /* LFP_ARCH_AARCH64_RSEQ_H */
