//! Interrupt masking on x86_64: RFLAGS.IF through `pushfq`, `cli`, `sti` and `popfq`.
//!
//! What a kernel's `Arch::irqs_disabled`, `local_irq_save`, `local_irq_restore`,
//! `irqs_disabled_flags`, `local_irq_enable` and `local_irq_disable` are made of. Kernel code
//! masks through `mightfault_core`'s `local_irq_*` wrappers, which also keep the irqs-off flag
//! of the may-not-sleep word (debug-atomic-sleep); code that uses these functions directly
//! (an idle `sti; hlt`, a measured `sti; nop; cli` window) calls
//! `mightfault_core::trace_hardirqs_off` after masking and `trace_hardirqs_on` before
//! unmasking.

use core::arch::asm;

pub use super::rflags::{RFLAGS_AC, RFLAGS_IF};

/// RFLAGS.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn rflags() -> u64 {
    let flags: u64;
    // SAFETY: pushfq/pop only use the stack slot they push.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(nomem, preserves_flags)) }
    flags
}

/// Whether interrupts are masked on this cpu.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_disabled() -> bool {
    rflags() & RFLAGS_IF == 0
}

/// Whether RFLAGS saved by [`irq_save`] say interrupts were masked (IF clear).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn flags_disabled(flags: u64) -> bool {
    flags & RFLAGS_IF == 0
}

/// Masks interrupts and returns the previous RFLAGS (Linux's arch_local_irq_save()).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irq_save() -> u64 {
    let flags: u64;
    // SAFETY: pushfq/pop/cli change only the interrupt flag. No `nomem`: the asm is a compiler
    // barrier so that no memory access moves out of the masked section.
    unsafe { asm!("pushfq", "pop {}", "cli", out(reg) flags) }
    flags
}

/// Restores RFLAGS saved by [`irq_save`] (`popfq`, as Linux's arch_local_irq_restore() once did).
///
/// # Context
/// Never sleeps; on the cpu that saved the flags.
#[inline(always)]
pub fn irq_restore(flags: u64) {
    // SAFETY: the flags came from irq_save() on this cpu, so popfq only brings back the state
    // that was there (IF, and AC which is clear outside user accesses). A compiler barrier, as
    // irq_save().
    unsafe { asm!("push {}", "popfq", in(reg) flags) }
}

/// Enables interrupts.
///
/// # Safety
/// The cpu must be ready to take interrupts (IDT loaded, handlers' data set up).
///
/// # Context
/// Never sleeps; task context.
#[inline(always)]
pub unsafe fn enable_irqs() {
    // SAFETY: the caller guarantees interrupts may arrive now. A compiler barrier.
    unsafe { asm!("sti", options(nostack)) }
}

/// Masks interrupts.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn disable_irqs() {
    // SAFETY: masking interrupts is always allowed in ring 0. A compiler barrier.
    unsafe { asm!("cli", options(nostack)) }
}
