//! This kernel's data-access fault handler: what its "trap" runs when an accessor misses.
//!
//! It does what a real kernel's handler does with mightfault: mask interrupts (the trap does),
//! classify the fault, let `mightfault_arch::data_fault::decide` take the decision with this
//! kernel's exception table and its own resolution step (page-in, then the sleep the I/O
//! would take), act on the verdict, and give the interrupted code its interrupt state back.

use mightfault_arch::data_fault::{decide, DataFault, FaultVerdict};
use mightfault_core::fault::Resolution;

use crate::machine::machine;
use crate::uaccess::{extable, FIXUP};
use crate::user_memory::USER_LIMIT;
use crate::Mini;

/// How the trapping access continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// Retry the access: the page is there now.
    Retry,
    /// The access fails (continue at its fixup).
    Fixup,
}

/// Handles a fault of the access at instruction `ip` on byte `address`.
///
/// # Context
/// May sleep (a page-in, when sleeping is allowed); called by the accessors only. A fault
/// that nothing may fix up is an oops, which on this kernel is a panic.
pub fn data_access_fault(ip: usize, address: usize, write: bool) -> Trap {
    // The trap masks interrupts; the faulting code's state comes back on return.
    let irqs_were_on = !machine().this_cpu().set_irqs_off(true);
    let class = if address < USER_LIMIT && machine().memory().state(address).is_some() {
        DataFault::User {
            address,
            write,
            irqs_were_on,
        }
    } else {
        DataFault::FixupOnly
    };
    // SAFETY: called as a fault handler: interrupts masked above, the fault fully read, and
    // irqs_were_on is the interrupted code's state.
    let verdict = unsafe { decide::<Mini>(extable(), ip, class, resolve) };
    // The task may have slept and woken on another cpu: "return from the trap" there.
    machine().this_cpu().set_irqs_off(!irqs_were_on);
    match verdict {
        FaultVerdict::Retry => Trap::Retry,
        FaultVerdict::Fixup(entry) => {
            assert_eq!(
                entry.fixup_addr(),
                FIXUP.addr(),
                "a fixup this kernel never made"
            );
            Trap::Fixup
        }
        FaultVerdict::Oops => panic!("Oops: unhandled fault at {address:#x} (ip {ip:#x})"),
    }
}

/// The resolution step mightfault calls when sleeping is allowed: page in, and sleep as the
/// I/O would.
fn resolve(address: usize, write: bool) -> Resolution {
    let resolution = machine().memory().page_in(address, write);
    if resolution == Resolution::Resolved {
        machine().sleep();
    }
    resolution
}
