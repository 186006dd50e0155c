//! The processor's own state: the MSR (interrupt enable, translation, floating point), the
//! time base and the decrementer.

use core::arch::asm;

// Interrupt masking is a building block of the library; the kernel uses it from there.
pub use mightfault_arch::powerpc64::irq::{
    disable_irqs, enable_irqs, irqs_disabled, read_msr, MSR_EE, MSR_RI,
};

/// MSR\[SF\]: 64-bit mode.
pub const MSR_SF: u64 = 1 << 63;
/// MSR\[ME\]: machine checks enabled.
pub const MSR_ME: u64 = 1 << 12;
/// MSR\[FP\]: floating point available.
pub const MSR_FP: u64 = 1 << 13;
/// MSR\[IR\]: instruction translation on.
pub const MSR_IR: u64 = 1 << 5;
/// MSR\[DR\]: data translation on.
pub const MSR_DR: u64 = 1 << 4;

/// Writes the whole MSR (translation, floating point, interrupts).
///
/// # Safety
/// The new state must keep the running code valid: turning translation on needs the kernel
/// mapping in place.
///
/// # Context
/// Never sleeps; cpu bring-up.
#[inline(always)]
pub unsafe fn write_msr(msr: u64) {
    // SAFETY: the caller's contract; isync makes the new translation state take effect before
    // the next instruction.
    unsafe { asm!("mtmsrd {}", "isync", in(reg) msr, options(nostack, preserves_flags)) };
}

/// The time base (QEMU pseries: 512 MHz).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn read_tb() -> u64 {
    let tb: u64;
    // SAFETY: reading the time base has no side effect.
    unsafe { asm!("mftb {}", out(reg) tb, options(nomem, nostack, preserves_flags)) };
    tb
}

/// Pushes the decrementer interrupt seconds away (there is no timer tick: nothing needs one,
/// but the decrementer counts down regardless and interrupts when it goes negative).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn quiet_decrementer() {
    // SAFETY: the decrementer (SPR 22) only schedules the next decrementer interrupt.
    unsafe { asm!("mtspr 22, {}", in(reg) 0x7fff_ffffu64, options(nomem, nostack)) };
}

/// Clears the Authority Mask Register so that kernel accesses to user pages are allowed (the
/// accessors are the only code that touches them).
///
/// # Context
/// Never sleeps; cpu bring-up.
#[inline(always)]
pub fn open_amr() {
    // SAFETY: AMR (SPR 13) only restricts storage keys; zero allows everything.
    unsafe { asm!("mtspr 13, {}", "isync", in(reg) 0u64, options(nomem, nostack)) };
}
