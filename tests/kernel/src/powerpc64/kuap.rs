//! Kernel user-access prevention (the AMR, `mightfault_arch::powerpc64::kuap`) as this kernel
//! runs it, and the probes its test cases use: each cpu blocks user access at bring-up
//! (`boot.rs`), the exception entry saves the AMR and blocks, the exit restores it (`trap.rs`),
//! the fault handler classifies with the saved value (`fault.rs`), and every task switch
//! checks that it is blocked (`sched_hooks.rs`).
//!
//! The probes drop every cached user translation first. QEMU's TCG computes a page's
//! permissions once, with the AMR of the time, and keeps them in its software TLB; QEMU 10.0
//! does not flush that when the AMR changes, so right after a window read a page, a plain load
//! of it would still get through there, where hardware checks the AMR on every access. With
//! the translation gone, the probe's access is checked against the AMR as it is now on both,
//! so a window left open still shows (the access does not fault).

use core::arch::asm;

use mightfault_arch::powerpc64::kuap::{read_amr, AMR_BLOCKED};
use mightfault_arch::{ex_entry, fixup_begin, fixup_end};

use super::layout::USER_LIMIT;
use super::mmu;

/// Whether user access is blocked on this cpu now (the AMR holds the blocked value: no
/// accessor's window is open).
///
/// # Context
/// Never sleeps; any context.
pub fn user_access_blocked() -> bool {
    read_amr() == AMR_BLOCKED
}

/// This cpu's AMR, for a report.
///
/// # Context
/// Never sleeps; any context.
pub fn amr() -> u64 {
    read_amr()
}

/// Reads one byte at the user address `user_addr` with a PLAIN kernel load (no window), after
/// dropping the cached user translations (see the module documentation), and reports whether
/// it faulted. The load has an exception-table entry of its own whose fixup
/// reports the fault, so a test can show that a kernel dereference of a user pointer faults
/// even when the page is present, where without KUAP it would just read.
///
/// # Context
/// Never sleeps (a fault outside a window is never resolved); any context. Panics when
/// `user_addr` is not below the user limit.
pub fn probe_plain_read(user_addr: usize) -> bool {
    assert!(user_addr < USER_LIMIT, "not a user address: {user_addr:#x}");
    mmu::flush_user_tlbs();
    let faulted: u64;
    // SAFETY: a one-byte load whose every fault is fixed up through the exception table (a
    // KUAP violation, no mapping, or any other user-address fault). The value is discarded.
    unsafe {
        asm!(
            "li {faulted}, 0",
            "2: lbz {scratch}, 0({addr})",
            "3:",
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: li {faulted}, 1",
            "b 3b",
            fixup_end!(),
            addr = in(reg_nonzero) user_addr,
            faulted = out(reg) faulted,
            scratch = out(reg) _,
            options(nostack, readonly, preserves_flags),
        );
    }
    faulted != 0
}

/// Writes `value` at the user address `user_addr` with a PLAIN kernel store (no window), after
/// dropping the cached user translations, and reports whether it faulted (then nothing was
/// written).
///
/// # Context
/// Never sleeps; any context. Panics when `user_addr` is not below the user limit.
pub fn probe_plain_write(user_addr: usize, value: u8) -> bool {
    assert!(user_addr < USER_LIMIT, "not a user address: {user_addr:#x}");
    mmu::flush_user_tlbs();
    let faulted: u64;
    // SAFETY: a one-byte store whose every fault is fixed up through the exception table; if
    // it does not fault it writes one byte of a test's user page.
    unsafe {
        asm!(
            "li {faulted}, 0",
            "2: stb {value}, 0({addr})",
            "3:",
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: li {faulted}, 1",
            "b 3b",
            fixup_end!(),
            addr = in(reg_nonzero) user_addr,
            value = in(reg) value as u64,
            faulted = out(reg) faulted,
            options(nostack, preserves_flags),
        );
    }
    faulted != 0
}
