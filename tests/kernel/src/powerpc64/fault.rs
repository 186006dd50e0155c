//! The data storage (0x300) and data segment (0x380) interrupts: the library classifies the
//! fault (`mightfault_arch::powerpc64::fault`) and decides it (`mightfault_arch::data_fault`);
//! this kernel supplies the resolution (its user area's page-in, which may sleep), moves NIP to
//! the fixup, or prints the oops.
//!
//! There is no user mode: every fault comes from kernel code, and it is part of a user access
//! exactly when the faulting instruction has an exception-table entry. A user address touched
//! while the interrupted AMR (saved by the entry, `trap.rs`) blocked that direction is a
//! kernel dereference of a user pointer, never paged in (KUAP). Retry returns to the
//! same instruction (the page is there now); Fixup continues at the entry's fixup; Oops ends
//! the run.

use mightfault_arch::data_fault::{self, FaultVerdict};
use mightfault_arch::powerpc64::fault::{classify_data_access, DataAccessFault};

use super::layout::USER_LIMIT;
use super::trap::{oops, TrapFrame};
use super::Ppc64;
use crate::extable::EXTABLE;
use crate::user_area;

/// Handles a data storage or data segment interrupt.
///
/// # Context
/// The exception entry, on the faulting task's stack, interrupts masked on entry. May sleep
/// (with interrupts re-enabled) while resolving a fault on a user page.
pub fn data_fault(frame: &mut TrapFrame) {
    let fault = DataAccessFault {
        vector: frame.trap,
        dar: frame.dar as usize,
        dsisr: frame.dsisr,
        srr1: frame.msr,
        amr: frame.amr,
    };
    let class = classify_data_access(&fault, USER_LIMIT);
    // SAFETY: the data storage/segment handler, interrupts masked; DAR and DSISR are saved in
    // the frame; irqs_were_on is the faulting code's MSR[EE] (SRR1).
    let verdict = unsafe {
        data_fault::decide::<Ppc64>(&EXTABLE, frame.nip as usize, class, |address, write| {
            user_area::resolve::<Ppc64>(address, write)
        })
    };
    match verdict {
        FaultVerdict::Retry => {}
        FaultVerdict::Fixup(entry) => frame.nip = entry.fixup_addr() as u64,
        FaultVerdict::Oops => {
            let what = if fault.is_segment_fault() {
                "unable to handle kernel paging request (data segment)"
            } else {
                "unable to handle kernel paging request"
            };
            oops(frame, what, Some(frame.dar))
        }
    }
}
