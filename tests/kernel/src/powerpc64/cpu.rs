//! The processor's own state: the MSR (interrupt enable, translation, floating point), the
//! time base and the decrementer.

use core::arch::asm;

/// MSR\[SF\]: 64-bit mode.
pub const MSR_SF: u64 = 1 << 63;
/// MSR\[EE\]: external (and decrementer) interrupts enabled.
pub const MSR_EE: u64 = 1 << 15;
/// MSR\[ME\]: machine checks enabled.
pub const MSR_ME: u64 = 1 << 12;
/// MSR\[FP\]: floating point available.
pub const MSR_FP: u64 = 1 << 13;
/// MSR\[IR\]: instruction translation on.
pub const MSR_IR: u64 = 1 << 5;
/// MSR\[DR\]: data translation on.
pub const MSR_DR: u64 = 1 << 4;
/// MSR\[RI\]: the interrupt state is recoverable.
pub const MSR_RI: u64 = 1 << 1;

/// The MSR.
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

/// Whether interrupts are masked on this cpu.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_disabled() -> bool {
    read_msr() & MSR_EE == 0
}

/// Masks interrupts (`mtmsrd` with L=1 changes only EE and RI).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn disable_irqs() {
    // SAFETY: clearing EE only masks interrupts; RI stays set. The memory clobber keeps
    // accesses from moving out of the masked region.
    unsafe { asm!("mtmsrd {}, 1", in(reg) MSR_RI, options(nostack, preserves_flags)) };
}

/// Unmasks interrupts.
///
/// # Safety
/// The vectors, this cpu's per-cpu area and its interrupt controller state must be set up.
///
/// # Context
/// Never sleeps; any context that may take interrupts.
#[inline(always)]
pub unsafe fn enable_irqs() {
    // SAFETY: the caller's contract.
    unsafe { asm!("mtmsrd {}, 1", in(reg) MSR_RI | MSR_EE, options(nostack, preserves_flags)) };
}

/// Masks interrupts and returns the previous MSR.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irq_save() -> u64 {
    let msr = read_msr();
    disable_irqs();
    msr
}

/// Restores the interrupt state saved by [`irq_save`].
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irq_restore(msr: u64) {
    if msr & MSR_EE != 0 {
        // SAFETY: interrupts were on when irq_save() ran, so the cpu was ready for them.
        unsafe { enable_irqs() };
    } else {
        disable_irqs();
    }
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
