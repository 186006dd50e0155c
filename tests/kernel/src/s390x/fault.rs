//! The program-check handler: translation and protection exceptions, and the oops for the rest.
//!
//! There is no problem state: every exception comes from kernel code. An access is a user
//! access exactly when the faulting instruction has an exception-table entry.
//!
//! - Translation exceptions (segment 0x10, page 0x11, ASCE-type and region 0x38-0x3b) are
//!   nullifying: the old PSW points at the faulting instruction, so a retry simply returns.
//! - The protection exception (0x04, a store to a read-only page) is suppressing: the old PSW
//!   points past the instruction, which starts `ilc` bytes earlier.
//! - The failing address is the TEID's bits 0-51. An address at or above USER_LIMIT is a
//!   kernel address: only a user accessor handed a kernel pointer may fault there, and it is
//!   fixed up; anything else is an oops. A user address goes to the core's
//!   `handle_user_fault`, which may resolve it (page-in, which sleeps), through the shared
//!   `crate::data_fault::decide`.

use core::fmt::Write;

use mightfault_core::fault::FaultAction;

use super::cpu::PSW_EXT;
use super::layout::{PAGE_SIZE, USER_LIMIT};
use super::trap::{oops, TrapFrame};
use super::{sclp, S390};
use crate::data_fault::{self, DataFault};

/// Program interruption code: protection.
const PGM_PROTECTION: u16 = 0x04;
/// Segment translation.
const PGM_SEGMENT_TRANSLATION: u16 = 0x10;
/// Page translation.
const PGM_PAGE_TRANSLATION: u16 = 0x11;
/// ASCE type (the address is beyond the region-third table's reach).
const PGM_ASCE_TYPE: u16 = 0x38;
/// Region-third translation (the last of 0x38-0x3b).
const PGM_REGION_THIRD_TRANSLATION: u16 = 0x3b;

/// Handles a program interruption.
///
/// # Context
/// The program new PSW, on the faulting task's stack, interrupts masked on entry. May sleep
/// (with interrupts unmasked) while resolving a fault on a user page.
pub fn program_check(frame: &mut TrapFrame) {
    // Bit 0x80 flags a PER event and 0x200 a transaction abort; neither is used here.
    let code = frame.pgm_code & 0x7f;
    let translation = matches!(
        code,
        PGM_SEGMENT_TRANSLATION | PGM_PAGE_TRANSLATION | PGM_ASCE_TYPE
            ..=PGM_REGION_THIRD_TRANSLATION
    );
    if !translation && code != PGM_PROTECTION {
        oops(frame, program_name(code));
    }
    let ilc = u64::from(frame.pgm_ilc & 0x6);
    let insn = if code == PGM_PROTECTION {
        frame.psw_addr.wrapping_sub(ilc)
    } else {
        frame.psw_addr
    };
    let address = (frame.teid as usize) & !(PAGE_SIZE - 1);
    let fault = if address >= USER_LIMIT {
        DataFault::FixupOnly
    } else {
        DataFault::User {
            address,
            write: code == PGM_PROTECTION,
            irqs_were_on: frame.psw_mask & PSW_EXT != 0,
        }
    };
    // SAFETY: the program-check handler, interrupts masked; the lowcore's interruption data is
    // already in the frame; irqs_were_on is the faulting code's external mask bit.
    let (action, entry) = unsafe { data_fault::decide::<S390>(insn as usize, fault) };
    match (action, entry) {
        // Re-execute the instruction (a suppressed one starts ilc bytes back).
        (FaultAction::Retry, _) => frame.psw_addr = insn,
        (FaultAction::Fixup, Some(entry)) => frame.psw_addr = entry.fixup_addr() as u64,
        _ => {
            let mut out = sclp::ForcedWriter;
            let _ = writeln!(
                out,
                "BUG: unable to handle kernel {} at virtual address {address:#018x}",
                if code == PGM_PROTECTION {
                    "write to a read-only page"
                } else {
                    "paging request"
                },
            );
            oops(frame, program_name(code))
        }
    }
}

/// A name for a program interruption code.
///
/// # Context
/// Never sleeps; any context.
pub fn program_name(code: u16) -> &'static str {
    match code {
        0x01 => "operation exception",
        0x02 => "privileged-operation exception",
        0x03 => "execute exception",
        0x04 => "protection exception",
        0x05 => "addressing exception",
        0x06 => "specification exception",
        0x07 => "data exception",
        0x09 => "fixed-point divide exception",
        0x10 => "segment-translation exception",
        0x11 => "page-translation exception",
        0x38 => "ASCE-type exception",
        0x39 => "region-first-translation exception",
        0x3a => "region-second-translation exception",
        0x3b => "region-third-translation exception",
        _ => "program interruption",
    }
}
