//! The page-fault (#PF) and general-protection (#GP) handlers.
//!
//! There is no user mode: every fault comes from kernel code. A fault is part of a user access
//! exactly when the faulting instruction has an exception-table entry.
//!
//! #PF, after reading CR2 (before anything can fault again):
//! - a kernel address (>= USER_LIMIT): only a user accessor handed a kernel pointer may fault
//!   there; it is fixed up (-EFAULT / bytes not copied). Anything else is an oops.
//! - a user address touched with AC clear while SMAP is on: the kernel dereferenced a user
//!   pointer outside stac/clac. Not a user access, whatever the page: fixed up only for the
//!   SMAP probe (which has an entry), an oops otherwise, as Linux treats it.
//! - reserved-bit or instruction-fetch faults: an oops.
//! - otherwise the core's `handle_user_fault` decides, with the user area's `resolve` (which
//!   may page in and sleep), through the shared `crate::data_fault::decide`. Retry returns to
//!   the same instruction; Fixup continues at the entry's fixup (whose code knows what to
//!   return); Oops ends the run.
//!
//! #GP inside a user access (a non-canonical address, e.g. `__get_user` of
//! 0x8000_0000_0000_0000) is fixed up the same way; any other #GP is an oops.

use core::fmt::Write;

use mightfault_core::fault::FaultAction;

use super::cpu::{read_cr2, RFLAGS_AC, RFLAGS_IF};
use super::layout::USER_LIMIT;
use super::trap::{oops, TrapFrame};
use super::{serial, smap, X86};
use crate::data_fault::{self, DataFault};
use crate::extable;

/// #PF error code: the page was present (a protection fault).
const PF_PRESENT: u64 = 1 << 0;
/// #PF error code: a write.
const PF_WRITE: u64 = 1 << 1;
/// #PF error code: a reserved bit was set in a paging entry.
const PF_RESERVED: u64 = 1 << 3;
/// #PF error code: an instruction fetch.
const PF_INSTRUCTION: u64 = 1 << 4;

/// Handles a page fault.
///
/// # Context
/// The #PF vector, on the faulting task's stack, interrupts masked on entry. May sleep (with
/// interrupts re-enabled) while resolving a fault on a user page.
pub fn page_fault(frame: &mut TrapFrame) {
    let address = read_cr2();
    let smap_violation = smap::smap_enabled() && frame.rflags & RFLAGS_AC == 0;
    let fault = if address as usize >= USER_LIMIT || smap_violation {
        DataFault::FixupOnly
    } else if frame.error & (PF_RESERVED | PF_INSTRUCTION) != 0 {
        DataFault::Fatal
    } else {
        DataFault::User {
            address: address as usize,
            write: frame.error & PF_WRITE != 0,
            irqs_were_on: frame.rflags & RFLAGS_IF != 0,
        }
    };
    // SAFETY: the #PF handler, interrupts masked; CR2 is already read and AC is clear (the
    // entry stub cleared it); irqs_were_on is the faulting code's RFLAGS.IF.
    let (action, entry) = unsafe { data_fault::decide::<X86>(frame.rip as usize, fault) };
    match (action, entry) {
        (FaultAction::Retry, _) => {}
        (FaultAction::Fixup, Some(entry)) => frame.rip = entry.fixup_addr() as u64,
        _ => page_fault_oops(frame, address, smap_violation),
    }
}

fn page_fault_oops(frame: &TrapFrame, address: u64, smap_violation: bool) -> ! {
    let error = frame.error;
    let mut out = serial::ForcedWriter;
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
    match extable::search(frame.rip as usize) {
        Some(entry) => frame.rip = entry.fixup_addr() as u64,
        None => oops(frame, "#GP general protection fault", None),
    }
}
