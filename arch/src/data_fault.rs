//! The decision a kernel's data-access fault handler makes once the arch's classifier has read
//! the fault (address, access, whether interrupts were on): retry, fix up or oops.
//!
//! A fault is part of a user access exactly when the faulting instruction has an
//! exception-table entry. A fault on a user address goes to the core's `handle_user_fault`,
//! and the *kernel* supplies the resolution step (`resolve`: page the address in, which may
//! sleep). Interrupts are unmasked around it when the faulting code had them on, as Linux's
//! fault handlers do, and masked again after. What the arch does with the verdict (which
//! register gets the fixup address, how a suppressing exception is re-executed, what the oops
//! says) stays with the kernel.

use mightfault_core::extable::{ExceptionTable, ExtableEntry};
use mightfault_core::fault::{handle_user_fault, FaultAction, Resolution};
use mightfault_core::Arch;

/// What the arch's classifier found a data-access fault to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFault {
    /// Not a fault on user memory that a page-in could cure: a kernel address, an address the
    /// MMU cannot translate at all, or (x86_64) a user page touched outside `stac`/`clac` with
    /// SMAP on. Only a user accessor handed such a pointer may fault there: fixed up when the
    /// instruction has an entry, an oops otherwise.
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

/// What the fault handler must do.
#[derive(Clone, Copy, Debug)]
pub enum FaultVerdict {
    /// Return to the faulting instruction: the page is there now.
    Retry,
    /// Continue at this entry's fixup: the access fails with -EFAULT or the bytes not done.
    Fixup(&'static ExtableEntry),
    /// A kernel bug: print an oops.
    Oops,
}

/// Two verdicts are equal when they say the same, and a fixup is the same entry (by address:
/// an entry's fields are relative to where it stands).
impl PartialEq for FaultVerdict {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Fixup(a), Self::Fixup(b)) => core::ptr::eq(*a, *b),
            (Self::Retry, Self::Retry) | (Self::Oops, Self::Oops) => true,
            _ => false,
        }
    }
}

impl Eq for FaultVerdict {}

/// Decides a data-access fault at instruction `ip`, looking it up in `table`.
///
/// `resolve(address, write)` is the kernel's: make the user page at `address` present for
/// this access (it may sleep, and the task may come back on another cpu), or report that no
/// mapping allows it. It is called only for a user access on a user address while sleeping is
/// allowed (`faulthandler_disabled()` false); otherwise the access is fixed up without it.
///
/// ```
/// use mightfault_arch::data_fault::{decide, DataFault, FaultVerdict};
/// # use minikernel::Mini as MyKernel;
/// use mightfault_core::extable::ExceptionTable;
/// use mightfault_core::fault::Resolution;
///
/// static EXTABLE: ExceptionTable = ExceptionTable::new();
///
/// // A fault at an instruction with no exception-table entry is a kernel bug.
/// let fault = DataFault::User { address: 0x1000, write: false, irqs_were_on: false };
/// // SAFETY: called as a fault handler would, with interrupts masked.
/// let verdict = unsafe { decide::<MyKernel>(&EXTABLE, 0xdead, fault, |_, _| Resolution::Resolved) };
/// assert_eq!(verdict, FaultVerdict::Oops);
/// ```
///
/// # Safety
/// From the kernel's fault handler only, with interrupts masked, after everything the handler
/// needs from the fault is read (a second fault must not overwrite it); `irqs_were_on` is true
/// only when the faulting code ran with interrupts on, so unmasking them here is no different.
///
/// # Context
/// May sleep (inside `resolve`, with interrupts unmasked when the faulting code had them on);
/// the fault handler only. Returns with interrupts masked.
pub unsafe fn decide<A: Arch>(
    table: &ExceptionTable,
    ip: usize,
    fault: DataFault,
    resolve: impl FnOnce(usize, bool) -> Resolution,
) -> FaultVerdict {
    let entry = table.search(ip);
    let action = match fault {
        DataFault::FixupOnly if entry.is_some() => FaultAction::Fixup,
        DataFault::FixupOnly | DataFault::Fatal => FaultAction::Oops,
        DataFault::User {
            address,
            write,
            irqs_were_on,
        } => {
            if irqs_were_on {
                // The caller's contract: the faulting code ran with interrupts on, so taking
                // them here is no different, and the fault's state is already saved.
                // Through core's wrapper, so the irqs-off flag of the may-not-sleep word
                // follows (the kernel's entry set it).
                mightfault_core::local_irq_enable::<A>();
            }
            let action = handle_user_fault::<A>(entry.is_some(), || resolve(address, write));
            mightfault_core::local_irq_disable::<A>();
            action
        }
    };
    match (action, entry) {
        (FaultAction::Retry, _) => FaultVerdict::Retry,
        (FaultAction::Fixup, Some(entry)) => FaultVerdict::Fixup(entry),
        _ => FaultVerdict::Oops,
    }
}
