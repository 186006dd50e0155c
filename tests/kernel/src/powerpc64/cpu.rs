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

/// The MSR the exception entry switches to, from the kernel's running MSR: interrupts off,
/// and MSR\[RI\] clear until the entry has saved the interrupted state (`trap.rs`).
///
/// # Context
/// Never sleeps; cpu bring-up.
#[inline]
pub fn exception_entry_msr(running: u64) -> u64 {
    running & !(MSR_EE | MSR_RI)
}

/// The time base ([`TB_HZ`]).
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

/// Time base ticks per second on QEMU's pseries machine (fixed by QEMU; this image does not
/// read the device tree's `timebase-frequency`).
pub const TB_HZ: u64 = 512_000_000;

/// The largest decrementer value that is positive in both the 32-bit and the large (56-bit,
/// LPCR\[LD\]) decrementer: about 4.2 s at 512 MHz.
pub const DEC_MAX: u64 = 0x7fff_ffff;

/// Converts nanoseconds to time base ticks, saturating.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn ns_to_tb(ns: u64) -> u64 {
    // 512e6 / 1e9 = 64 / 125: exact, and overflows only beyond 2^64 / 64 ns (9 years).
    ns.saturating_mul(64) / 125
}

/// Makes the decrementer interrupt `ticks` time base ticks from now (clamped to 1..=[`DEC_MAX`]).
///
/// The decrementer interrupt is level-sensitive on the cpus QEMU's pseries models (POWER7 and
/// later): it stays pending while the decrementer is negative, so its handler must write a
/// positive value before it lets interrupts in again.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn set_decrementer(ticks: u64) {
    let ticks = ticks.clamp(1, DEC_MAX);
    // SAFETY: the decrementer (SPR 22) only schedules the next decrementer interrupt.
    unsafe { asm!("mtspr 22, {}", in(reg) ticks, options(nomem, nostack)) };
}

/// Makes the decrementer interrupt pending now (negative in either decrementer width: the
/// large decrementer sign-extends from bit 55, the 32-bit one from bit 32).
///
/// # Context
/// Never sleeps; interrupts masked (it interrupts as soon as they are enabled).
#[inline(always)]
pub fn fire_decrementer() {
    // SAFETY: as set_decrementer; the caller takes the interrupt when it enables them.
    unsafe { asm!("mtspr 22, {}", in(reg) u64::MAX, options(nomem, nostack)) };
}

/// Pushes the decrementer interrupt seconds away: during bring-up, before the tick is armed
/// (the decrementer counts down regardless, and interrupts whenever it is negative and
/// MSR\[EE\] is set).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn quiet_decrementer() {
    set_decrementer(DEC_MAX);
}
