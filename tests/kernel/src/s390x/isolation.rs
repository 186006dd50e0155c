//! Probes that show user memory is out of the kernel's reach: a plain kernel load of an address
//! (no MVCOS, no `sacf`), protected by an exception-table entry of its own, and the PSW's
//! address-space mode.
//!
//! The kernel runs in the primary-space mode with its own ASCE (CR1); user memory is the
//! secondary space (CR7). A plain load is translated by the kernel's ASCE, so a user address
//! either faults there (the kernel's space maps nothing at the user area, see
//! [`super::layout`]) or reads the kernel's own memory at that address, never user memory.

use core::arch::asm;

use mightfault_arch::{ex_entry, fixup_begin, fixup_end};

/// PSW bits 16-17 (address-space control) in the first word `epsw` returns.
const PSW_ASC_SHIFT: u32 = 14;

/// Loads one byte at `addr` with a PLAIN kernel load (`llgc` in the primary space) and returns
/// it, or `None` when the load faulted. The load has an exception-table entry whose fixup
/// reports the fault, so a test can show that such a load of a user address does not read
/// user memory: the program-check handler classifies the fault as one in the kernel's space
/// (fix-up only, no page-in) and the fixup ends the probe.
///
/// # Context
/// Never sleeps (a fault in the kernel's space is fixed up at once); any context.
pub fn plain_read_byte(addr: usize) -> Option<u8> {
    let value: u64;
    let faulted: u32;
    // SAFETY: a one-byte load whose every fault is fixed up through the exception table; the
    // loaded value is only returned.
    unsafe {
        asm!(
            "2: llgc {value}, 0({addr})",
            "3:",
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: lhi {faulted}, 1",
            "lghi {value}, 0",
            "jg 3b",
            fixup_end!(),
            addr = in(reg_addr) addr,
            value = out(reg) value,
            faulted = inout(reg) 0u32 => faulted,
            options(nostack, readonly),
        );
    }
    (faulted == 0).then_some(value as u8)
}

/// The PSW's address-space control now: 0 primary (where the kernel runs), 1 access
/// register, 2 secondary, 3 home.
///
/// # Context
/// Never sleeps; any context.
pub fn address_space_mode() -> u8 {
    let high: u64;
    // SAFETY: epsw only copies the PSW's two halves into the registers.
    unsafe {
        asm!(
            "epsw {high}, {low}",
            high = out(reg) high,
            low = out(reg) _,
            options(nomem, nostack, preserves_flags),
        );
    }
    ((high as u32 >> PSW_ASC_SHIFT) & 3) as u8
}
