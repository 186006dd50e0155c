//! The decision every bare-metal data-access fault handler makes once its arch has read the
//! fault (address, access, whether interrupts were on) and classified it: fix up, retry or
//! oops.
//!
//! There is no user mode: every fault comes from kernel code, and it is part of a user access
//! exactly when the faulting instruction has an exception-table entry. A user address goes to
//! the core's `handle_user_fault` with the user area's `resolve` (a page-in, which sleeps), so
//! interrupts are unmasked first when the faulting code had them on, and masked again after.
//! What the arch does with the verdict (which register gets the fixup address, how a
//! suppressing exception is re-executed, what the oops says) stays with it.

use mightfault_core::extable::ExtableEntry;
use mightfault_core::fault::{handle_user_fault, FaultAction};

use crate::extable;
use crate::user_area::{self, UserAreaHooks};

/// What the arch's handler found the fault to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFault {
    /// Not an access to the user area: a kernel address, an address the MMU cannot translate
    /// at all, or (x86_64) a user page touched outside stac/clac with SMAP on. Only a user
    /// accessor handed such a pointer may fault there: fixed up when the instruction has an
    /// entry, an oops otherwise.
    FixupOnly,
    /// A fault nothing may fix up (x86_64: a reserved bit, an instruction fetch): an oops.
    Fatal,
    /// An access to a user address: the core decides whether to resolve, fix up or oops.
    User {
        /// The faulting user address.
        address: usize,
        /// Whether the access was a write (a store to a read-only page cannot be resolved).
        write: bool,
        /// Whether the faulting code ran with interrupts on.
        irqs_were_on: bool,
    },
}

/// Decides a data-access fault at instruction `ip`: the action, and the exception-table entry
/// of `ip` (the fixup to continue at when the action is `Fixup`).
///
/// # Safety
/// From the arch's fault handler only, with interrupts masked, after everything the handler
/// needs from the fault is read (a second fault must not overwrite it); `irqs_were_on` is true
/// only when the faulting code ran with interrupts on, so unmasking them here is no different.
///
/// # Context
/// May sleep (resolving a user page, with interrupts unmasked when the faulting code had them
/// on); the fault handler only. Returns with interrupts masked.
pub unsafe fn decide<A: UserAreaHooks>(
    ip: usize,
    fault: DataFault,
) -> (FaultAction, Option<&'static ExtableEntry>) {
    let entry = extable::search(ip);
    let action = match fault {
        DataFault::FixupOnly if entry.is_some() => FaultAction::Fixup,
        DataFault::FixupOnly | DataFault::Fatal => FaultAction::Oops,
        DataFault::User {
            address,
            write,
            irqs_were_on,
        } => {
            if irqs_were_on {
                // SAFETY: the caller's contract: the faulting code ran with interrupts on, so
                // taking them here is no different, and the fault's state is already saved.
                unsafe { A::enable_irqs() };
            }
            let action =
                handle_user_fault::<A>(entry.is_some(), || user_area::resolve::<A>(address, write));
            A::disable_irqs();
            action
        }
    };
    (action, entry)
}
