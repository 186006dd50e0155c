//! The program-check handler: the library classifies the program interruption
//! (`mightfault_arch::s390x::fault`) and decides a data-access fault
//! (`mightfault_arch::data_fault`); this kernel supplies the resolution (its user area's
//! page-in, which may sleep), moves the old PSW to the retry or the fixup, or prints the oops.
//!
//! There is no problem state: every exception comes from kernel code. An access is a user
//! access exactly when the faulting instruction has an exception-table entry.
//!
//! - Translation exceptions (segment 0x10, page 0x11, ASCE-type and region 0x38-0x3b) are
//!   nullifying: the old PSW points at the faulting instruction, so a retry simply returns.
//! - The protection exception (0x04, a store to a read-only page) is suppressing: the old PSW
//!   points past the instruction, which starts `ilc` bytes earlier; a retry goes back there.
//! - The failing address is the TEID's bits 0-51, and bits 62-63 name the space it was
//!   translated in. Only a fault in the user's (secondary) space is on user memory: the
//!   accessors' MVCOS and futex `cs` take those, and they go to the core's `handle_user_fault`,
//!   which may resolve them (page-in, which sleeps). A fault in the kernel's own space (a plain
//!   load of a user-looking address among them: the kernel's space maps nothing there) is
//!   never paged in: fixed up when the instruction has an entry, an oops otherwise.

use core::fmt::Write;

use mightfault_arch::data_fault::{self, FaultVerdict};
use mightfault_arch::s390x::fault::{
    classify_program_interruption, exception_name, ProgramInterruption,
};

use super::layout::USER_LIMIT;
use super::trap::{oops, TrapFrame};
use super::S390;
use crate::console::ForcedWriter;
use crate::extable::EXTABLE;
use crate::user_area;

/// Handles a program interruption.
///
/// # Context
/// The program new PSW, on the faulting task's stack, interrupts masked on entry. May sleep
/// (with interrupts unmasked) while resolving a fault on a user page.
pub fn program_check(frame: &mut TrapFrame) {
    let check = ProgramInterruption {
        code: frame.pgm_code,
        ilc: frame.pgm_ilc,
        teid: frame.teid,
        psw_mask: frame.psw_mask,
        psw_addr: frame.psw_addr,
    };
    let Some(class) = classify_program_interruption(&check, USER_LIMIT) else {
        oops(frame, exception_name(check.code));
    };
    let insn = check.faulting_instruction();
    // SAFETY: the program-check handler, interrupts masked; the lowcore's interruption data is
    // already in the frame; irqs_were_on is the faulting code's external mask bit.
    let verdict = unsafe {
        data_fault::decide::<S390>(&EXTABLE, insn, class, |address, write| {
            user_area::resolve::<S390>(address, write)
        })
    };
    match verdict {
        // Re-execute the instruction (a suppressed one starts ilc bytes back).
        FaultVerdict::Retry => frame.psw_addr = insn as u64,
        FaultVerdict::Fixup(entry) => frame.psw_addr = entry.fixup_addr() as u64,
        FaultVerdict::Oops => {
            let mut out = ForcedWriter::<S390>::new();
            let what = if check.is_protection() {
                "write to a read-only page"
            } else {
                "paging request"
            };
            let _ = match check.failing_address() {
                Some(address) => writeln!(
                    out,
                    "BUG: unable to handle kernel {what} at virtual address {address:#018x}"
                ),
                None => writeln!(out, "BUG: unable to handle kernel {what} (address unknown)"),
            };
            oops(frame, exception_name(check.code))
        }
    }
}
