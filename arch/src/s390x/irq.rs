//! Interrupt masking on s390x: the PSW's system mask (its first byte) through `epsw`, `stnsm`,
//! `stosm` and `ssm`.
//!
//! What a kernel's `Arch::irqs_disabled`, `local_irq_save`, `local_irq_restore`,
//! `local_irq_enable` and `local_irq_disable` are made of. As on Linux, "interrupts" are the
//! external interruptions (clock comparator, CPU timer, emergency signal and other
//! inter-processor signals, service signals) and the I/O interruptions: masking clears both
//! bits, unmasking sets the external bit only (a kernel that takes I/O interruptions sets
//! [`PSW_IO`] itself). The saved flags are the whole system-mask byte, so a restore brings
//! back exactly what was there, DAT and PER bits included.
//!
//! Every function here is a compiler barrier (the `asm!` may touch memory), so no memory
//! access moves out of a masked section.

use core::arch::asm;

pub use super::psw::{PSW_EXT, PSW_IO, SYSTEM_MASK_EXT, SYSTEM_MASK_IO};

/// The `stnsm` mask that clears the I/O and external bits and keeps the rest.
const CLEAR_IRQS: u8 = !(SYSTEM_MASK_EXT | SYSTEM_MASK_IO);

/// PSW bits 0-31 (`epsw`), right-aligned: bit 0 of the PSW is bit 31 of the result.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn psw_mask_high() -> u32 {
    let high: u64;
    // SAFETY: epsw only copies PSW bits 0-31 and 32-63 into two registers.
    unsafe {
        asm!("epsw {0}, {1}", out(reg) high, out(reg) _, options(nomem, nostack, preserves_flags))
    };
    // epsw puts PSW bits 0-31 in bits 32-63 of the first register.
    high as u32
}

/// Whether external interruptions are masked on this cpu.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_disabled() -> bool {
    u64::from(psw_mask_high()) & (PSW_EXT >> 32) == 0
}

/// Whether a system mask saved by [`irq_save`] says external interruptions were masked.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn flags_disabled(mask: u8) -> bool {
    mask & SYSTEM_MASK_EXT == 0
}

/// Masks external and I/O interruptions and returns the previous system mask (`stnsm`, as
/// Linux's arch_local_irq_save()).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irq_save() -> u8 {
    let mut old = 0u8;
    // SAFETY: stnsm stores the system mask in `old` and clears the I/O and external bits. No
    // `nomem`: a compiler barrier, so that no memory access moves out of the masked section.
    unsafe {
        asm!("stnsm 0({0}), {1}", in(reg_addr) &mut old, const CLEAR_IRQS,
             options(nostack, preserves_flags))
    };
    old
}

/// Restores a system mask saved by [`irq_save`] (`ssm`, as Linux's arch_local_irq_restore()).
///
/// # Context
/// Never sleeps; on the cpu that saved the mask.
#[inline(always)]
pub fn irq_restore(mask: u8) {
    // SAFETY: ssm loads a system mask that irq_save stored on this cpu, so DAT and PER stay as
    // they were and only the interrupt bits come back. A compiler barrier, as irq_save().
    unsafe { asm!("ssm 0({0})", in(reg_addr) &mask, options(nostack, preserves_flags)) };
}

/// Masks external and I/O interruptions.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn disable_irqs() {
    let _ = irq_save();
}

/// Unmasks external interruptions (`stosm`).
///
/// # Safety
/// The cpu's interruption handling is set up (the external new PSW and whatever its handler
/// needs) and nothing relies on interrupts staying masked.
///
/// # Context
/// Never sleeps; task context or the idle loop.
#[inline(always)]
pub unsafe fn enable_irqs() {
    let mut old = 0u8;
    // SAFETY: the caller's contract; stosm stores the old mask in `old` and sets the external
    // bit. A compiler barrier, as irq_save().
    unsafe {
        asm!("stosm 0({0}), {1}", in(reg_addr) &mut old, const SYSTEM_MASK_EXT,
             options(nostack, preserves_flags))
    };
}
