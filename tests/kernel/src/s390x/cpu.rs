//! Processor primitives: PSW masks, control registers, the TOD clock and SIGP; interrupt
//! masking through the PSW system mask is the library's.

use core::arch::asm;

// Interrupt masking is a building block of the library; the kernel uses it from there. These
// raw functions do not keep the irqs-off flag of the may-not-sleep word: only the scheduler
// hooks (whose callers trace around them), the idle wait and exit use them; everything else
// goes through core's local_irq_* wrappers.
pub use mightfault_arch::s390x::irq::{disable_irqs, enable_irqs, irqs_disabled, PSW_EXT};

/// PSW bit 5: dynamic address translation.
pub const PSW_DAT: u64 = 1 << 58;
/// PSW bit 14: wait state.
pub const PSW_WAIT: u64 = 1 << 49;
/// PSW bits 31-32: 64-bit addressing mode.
pub const PSW_64BIT: u64 = (1 << 32) | (1 << 31);

/// The kernel runs with DAT on, 64-bit, interrupts as set by the system mask.
pub const PSW_KERNEL: u64 = PSW_DAT | PSW_64BIT;
/// Interruption handlers start in real mode (their first stage addresses the lowcore).
pub const PSW_REAL: u64 = PSW_64BIT;

/// CR0 bit 49: the emergency-signal subclass mask (our rescheduling IPI).
pub const CR0_EMERGENCY_SIGNAL: u64 = 1 << 14;
/// CR0 bit 52: the clock-comparator subclass mask (our timer tick).
pub const CR0_CLOCK_COMPARATOR: u64 = 1 << 11;
/// CR0 bit 37: the secondary-space control. MVCOS naming the secondary space and `sacf` into
/// the secondary-space mode are special-operation exceptions without it (the user accessors).
pub const CR0_SECONDARY_SPACE: u64 = 1 << 26;

/// A clock-comparator value the TOD clock never exceeds (CR0's comparator sign control is off,
/// so the comparison is unsigned): no clock-comparator interruption is pending while it is set.
pub const CKC_DISARMED: u64 = u64::MAX;

/// Loads an enabled-wait PSW whose address is the next instruction: the cpu waits with
/// external interruptions unmasked. The external handler clears the wait bit in the old PSW,
/// so execution continues here, interrupts enabled, after the first interruption.
///
/// # Safety
/// The cpu is fully up; interrupts masked (so none is missed between the caller's check and
/// the wait: the PSW load unmasks and waits in one step).
///
/// # Context
/// Waits (does not schedule); the idle loop.
#[inline(always)]
pub unsafe fn enable_irqs_and_wait() {
    // SAFETY: the caller's contract; the PSW is doubleword aligned in .rodata and resumes at 3:.
    unsafe {
        asm!(
            ".pushsection .rodata.mf_wait_psw, \"a\"",
            ".balign 8",
            "2: .quad {mask}",
            ".quad 3f",
            ".popsection",
            "larl {tmp}, 2b",
            "lpswe 0({tmp})",
            "3:",
            mask = const PSW_KERNEL | PSW_EXT | PSW_WAIT,
            tmp = out(reg_addr) _,
            options(nostack),
        )
    };
}

/// Reads control register 0.
///
/// # Context
/// Never sleeps; any context.
pub fn read_cr0() -> u64 {
    let mut value = 0u64;
    // SAFETY: stctg stores CR0 into `value`.
    unsafe {
        asm!("stctg %c0, %c0, 0({0})", in(reg_addr) &mut value, options(nostack, preserves_flags))
    };
    value
}

/// Writes control register 0.
///
/// # Safety
/// The new subclass masks must be handled by the external interruption handler.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn write_cr0(value: u64) {
    // SAFETY: the caller's contract.
    unsafe {
        asm!("lctlg %c0, %c0, 0({0})", in(reg_addr) &value, options(nostack, preserves_flags))
    };
}

/// Stores control registers 0-15 at `dest`.
///
/// # Safety
/// `dest` is writable for 128 bytes.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn store_cregs(dest: *mut u64) {
    // SAFETY: the caller's contract.
    unsafe {
        asm!("stctg %c0, %c15, 0({0})", in(reg_addr) dest, options(nostack, preserves_flags))
    };
}

/// The TOD clock (bit 51 = 1 microsecond).
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn tod() -> u64 {
    let mut clock = 0u64;
    // SAFETY: stck stores the TOD clock into `clock`.
    unsafe { asm!("stck 0({0})", in(reg_addr) &mut clock, options(nostack)) };
    clock
}

/// Converts nanoseconds to TOD clock units (bit 51 = 1 µs, so 4096 units per µs, i.e.
/// 512/125 per ns), saturating.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub const fn ns_to_tod(ns: u64) -> u64 {
    let tod = ns as u128 * 512 / 125;
    if tod > u64::MAX as u128 {
        u64::MAX
    } else {
        tod as u64
    }
}

/// Sets this cpu's clock comparator (`sckc`). A clock-comparator interruption is pending
/// while the TOD clock exceeds it (and the CR0 subclass mask is on); setting a later value
/// withdraws a pending one, and [`CKC_DISARMED`] withdraws it for good.
///
/// # Context
/// Never sleeps; any context (usually interrupts masked, so that the caller's TOD reading and
/// the new value are not separated by an interruption).
#[inline]
pub fn set_clock_comparator(value: u64) {
    // SAFETY: sckc only reads the doubleword `value` (8-byte aligned, as sckc requires) and
    // sets this cpu's clock comparator; the kernel runs in the supervisor state.
    unsafe { asm!("sckc 0({0})", in(reg_addr) &value, options(nostack, preserves_flags)) };
}

/// SIGP orders used here.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub enum SigpOrder {
    /// Sense: is the cpu there?
    Sense = 0x01,
    /// Emergency signal: an external interruption 0x1201 on the target.
    EmergencySignal = 0x03,
    /// Stop the target cpu.
    Stop = 0x05,
    /// Restart: the target loads its restart new PSW.
    Restart = 0x06,
    /// Initial cpu reset.
    InitialCpuReset = 0x0b,
    /// Set the target's prefix register (target stopped).
    SetPrefix = 0x0d,
}

/// SIGP condition code 2: busy, try again.
pub const SIGP_BUSY: u32 = 2;
/// SIGP condition code 3: no such cpu.
pub const SIGP_NOT_OPERATIONAL: u32 = 3;

/// Signals cpu `addr` with `order` and `param`; returns the condition code, retrying while the
/// target is busy.
///
/// # Safety
/// The order must make sense for the target's state (set-prefix only to a stopped cpu whose
/// new prefix area is prepared, and so on).
///
/// # Context
/// Never sleeps (spins while the target is busy); any context.
pub unsafe fn sigp(addr: u16, order: SigpOrder, param: u64) -> u32 {
    loop {
        let cc: u32;
        // SAFETY: the caller's contract. r2/r3 are the even/odd status/parameter pair.
        unsafe {
            asm!(
                "sigp %r2, {addr}, 0({order})",
                "ipm {cc}",
                "srl {cc}, 28",
                addr = in(reg) u64::from(addr),
                order = in(reg_addr) order as u64,
                cc = out(reg) cc,
                inout("r2") 0u64 => _,
                in("r3") param,
                options(nostack),
            )
        };
        if cc != SIGP_BUSY {
            return cc;
        }
        core::hint::spin_loop();
    }
}

/// The processor address of the running cpu (`stap`).
///
/// # Context
/// Never sleeps; any context.
pub fn cpu_address() -> u16 {
    let mut addr = 0u16;
    // SAFETY: stap stores the cpu address into `addr`.
    unsafe { asm!("stap 0({0})", in(reg_addr) &mut addr, options(nostack, preserves_flags)) };
    addr
}
