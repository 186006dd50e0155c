//! The page-fault (#PF) and general-protection (#GP) handlers: the library classifies the
//! fault (`mightfault_arch::x86_64::fault`) and decides it (`mightfault_arch::data_fault`);
//! this kernel supplies the resolution (its user area's page-in, which may sleep), moves RIP
//! to the fixup, or prints the oops.

use core::fmt::Write;

use mightfault_arch::data_fault::{self, FaultVerdict};
use mightfault_arch::x86_64::fault::{
    classify_page_fault, PageFault, GENERAL_PROTECTION, PF_INSTRUCTION, PF_PRESENT, PF_WRITE,
};
use mightfault_core::fault::Resolution;

use super::cpu::read_cr2;
use super::layout::USER_LIMIT;
use super::trap::{oops, TrapFrame};
use super::{smap, X86};
use crate::console::ForcedWriter;
use crate::extable::EXTABLE;
use crate::user_area;

/// Handles a page fault.
///
/// # Context
/// The #PF vector, on the faulting task's stack, interrupts masked on entry. May sleep (with
/// interrupts re-enabled) while resolving a fault on a user page.
pub fn page_fault(frame: &mut TrapFrame) {
    let fault = PageFault {
        address: read_cr2() as usize,
        error: frame.error,
        rflags: frame.rflags,
    };
    let class = classify_page_fault(&fault, USER_LIMIT, smap::smap_enabled());
    // SAFETY: the #PF handler, interrupts masked; CR2 is already read and AC is clear (the
    // entry stub cleared it); irqs_were_on is the faulting code's RFLAGS.IF.
    let verdict = unsafe {
        data_fault::decide::<X86>(&EXTABLE, frame.rip as usize, class, |address, write| {
            user_area::resolve::<X86>(address, write)
        })
    };
    match verdict {
        FaultVerdict::Retry => {}
        FaultVerdict::Fixup(entry) => frame.rip = entry.fixup_addr() as u64,
        FaultVerdict::Oops => page_fault_oops(
            frame,
            fault.address as u64,
            fault.is_smap_violation(smap::smap_enabled(), USER_LIMIT),
        ),
    }
}

fn page_fault_oops(frame: &TrapFrame, address: u64, smap_violation: bool) -> ! {
    let error = frame.error;
    let mut out = ForcedWriter::<X86>::new();
    let _ = write!(
        out,
        "BUG: unable to handle page fault for address: {address:#018x}\n\
         #PF: supervisor {} access in kernel mode\n\
         #PF: error_code({error:#06x}) - {}{}\n",
        if error & PF_INSTRUCTION != 0 {
            "instruction fetch"
        } else if error & PF_WRITE != 0 {
            "write"
        } else {
            "read"
        },
        if error & PF_PRESENT != 0 {
            "permissions violation"
        } else {
            "not-present page"
        },
        if smap_violation && (address as usize) < USER_LIMIT {
            " (SMAP: user memory touched outside stac/clac)"
        } else {
            ""
        },
    );
    oops(frame, "#PF page fault", Some(address))
}

/// Handles a general-protection fault.
///
/// # Context
/// The #GP vector, interrupts masked. Never sleeps.
pub fn general_protection(frame: &mut TrapFrame) {
    // SAFETY: the #GP handler, interrupts masked; a FixupOnly fault never resolves or unmasks.
    let verdict = unsafe {
        data_fault::decide::<X86>(&EXTABLE, frame.rip as usize, GENERAL_PROTECTION, |_, _| {
            Resolution::NoMapping
        })
    };
    match verdict {
        FaultVerdict::Fixup(entry) => frame.rip = entry.fixup_addr() as u64,
        _ => oops(frame, "#GP general protection fault", None),
    }
}
