//! Interrupt masking on powerpc64: MSR\[EE\] through `mfmsr` and `mtmsrd` with L=1.
//!
//! What a kernel's `Arch::irqs_disabled`, `local_irq_save`, `local_irq_restore`,
//! `local_irq_enable` and `local_irq_disable` are made of. `mtmsrd rS, 1` changes only MSR\[EE\]
//! and MSR\[RI\] and needs no context synchronisation, so masking is one instruction (plus the
//! `li` of the new value), as Linux's `__hard_irq_disable()` is without lazy masking. RI is set
//! both ways: outside the exception entry's first instructions, the interrupt state is always
//! recoverable.

use core::arch::asm;

pub use super::msr::{MSR_EE, MSR_RI};

/// The MSR of this cpu (`mfmsr`).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn read_msr() -> u64 {
    let msr: u64;
    // SAFETY: reading the MSR has no side effect.
    unsafe { asm!("mfmsr {}", out(reg) msr, options(nomem, nostack, preserves_flags)) };
    msr
}

/// Whether interrupts are masked on this cpu (MSR\[EE\] clear).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_disabled() -> bool {
    read_msr() & MSR_EE == 0
}

/// Whether an MSR saved by [`irq_save`] says interrupts were masked (EE clear).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn flags_disabled(msr: u64) -> bool {
    msr & MSR_EE == 0
}

/// Masks interrupts: `mtmsrd` with L=1 clears EE and keeps RI set.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn disable_irqs() {
    // SAFETY: clearing EE only masks interrupts; RI stays set. No `nomem`: the asm is a
    // compiler barrier, so no memory access moves out of the masked region.
    unsafe { asm!("mtmsrd {}, 1", in(reg) MSR_RI, options(nostack, preserves_flags)) };
}

/// Unmasks interrupts: `mtmsrd` with L=1 sets EE (and RI).
///
/// # Safety
/// The cpu must be ready to take interrupts: the vectors, this cpu's per-cpu area and its
/// interrupt controller state are set up.
///
/// # Context
/// Never sleeps; any context that may take interrupts.
#[inline(always)]
pub unsafe fn enable_irqs() {
    // SAFETY: the caller guarantees interrupts may arrive now. A compiler barrier, as
    // disable_irqs().
    unsafe { asm!("mtmsrd {}, 1", in(reg) MSR_RI | MSR_EE, options(nostack, preserves_flags)) };
}

/// Masks interrupts and returns the previous MSR (Linux's arch_local_irq_save()).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irq_save() -> u64 {
    let msr = read_msr();
    disable_irqs();
    msr
}

/// Restores the interrupt state saved by [`irq_save`]: MSR\[EE\] as it was, nothing else.
///
/// # Context
/// Never sleeps; on the cpu that saved the MSR.
#[inline(always)]
pub fn irq_restore(msr: u64) {
    if msr & MSR_EE != 0 {
        // SAFETY: interrupts were on when irq_save() ran on this cpu, so it was ready for them.
        unsafe { enable_irqs() };
    } else {
        disable_irqs();
    }
}
