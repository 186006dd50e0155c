//! The data storage (0x300) and data segment (0x380) interrupts: the page fault handler.
//!
//! There is no user mode: every fault comes from kernel code, and it is part of a user access
//! exactly when the faulting instruction has an exception-table entry.
//! - A kernel address (>= USER_LIMIT), or a segment fault (an address in a quadrant that has no
//!   translation at all): only a user accessor handed such a pointer may fault there; it is
//!   fixed up. Anything else is an oops.
//! - A user address: the core's `handle_user_fault` decides, with the user area's `resolve`
//!   (which may page in and sleep), through the shared `crate::data_fault::decide`. Retry
//!   returns to the same instruction; Fixup continues at the entry's fixup; Oops ends the run.

use mightfault_core::fault::FaultAction;

use super::cpu::MSR_EE;
use super::layout::USER_LIMIT;
use super::trap::{oops, TrapFrame};
use super::Ppc64;
use crate::data_fault::{self, DataFault};

/// DSISR: the access was a store.
const DSISR_STORE: u64 = 0x0200_0000;

/// Handles a data storage or data segment interrupt.
///
/// # Context
/// The exception entry, on the faulting task's stack, interrupts masked on entry. May sleep
/// (with interrupts re-enabled) while resolving a fault on a user page.
pub fn data_fault(frame: &mut TrapFrame) {
    let address = frame.dar;
    let fault = if address as usize >= USER_LIMIT || frame.trap == 0x380 {
        DataFault::FixupOnly
    } else {
        DataFault::User {
            address: address as usize,
            write: frame.dsisr & DSISR_STORE != 0,
            irqs_were_on: frame.msr & MSR_EE != 0,
        }
    };
    // SAFETY: the data storage/segment handler, interrupts masked; DAR and DSISR are saved in
    // the frame; irqs_were_on is the faulting code's MSR[EE].
    let (action, entry) = unsafe { data_fault::decide::<Ppc64>(frame.nip as usize, fault) };
    match (action, entry) {
        (FaultAction::Retry, _) => {}
        (FaultAction::Fixup, Some(entry)) => frame.nip = entry.fixup_addr() as u64,
        _ => {
            let what = if frame.trap == 0x380 {
                "unable to handle kernel paging request (data segment)"
            } else {
                "unable to handle kernel paging request"
            };
            oops(frame, what, Some(address))
        }
    }
}
