//! The decision every backend's page fault handler takes for a fault on user memory.
//!
//! Backends differ in how a fault arrives (a #PF vector, a program interruption, a data storage
//! interrupt) and how it is fixed up, but what to do is the same everywhere, so it is decided
//! here once.

use crate::arch::Arch;
use crate::might_sleep::might_sleep;
use crate::pagefault::{faulthandler_disabled, pagefault_disabled};
use crate::preempt::in_atomic;

/// What trying to resolve a fault found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The address had a valid mapping that is now present; retry the access.
    Resolved,
    /// There is no mapping that allows this access: the access fails.
    NoMapping,
}

/// What the fault handler must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Return to the faulting instruction: the page is there now.
    Retry,
    /// Continue at the access's fixup: it fails and reports the bytes not done or -EFAULT.
    Fixup,
    /// The fault is a kernel bug: print an oops.
    Oops,
}

/// Decides a fault on a user address.
///
/// `in_user_access` says whether the faulting instruction has an exception-table entry (only
/// user accessors have). `resolve` pages the address in and may sleep (the task may resume on
/// another cpu); it is called only when sleeping is allowed. When the fault handler is
/// disabled the access is fixed up without resolving; if only `in_atomic()` disabled it (the
/// caller forgot pagefault_disable()), a warning is printed once.
///
/// Before `resolve`, the fault runs the might_sleep() check, as Linux's
/// `do_user_addr_fault()` does before it handles the fault (arch/x86/mm/fault.c: the
/// `might_sleep()` after a successful `mmap_read_trylock()`, whose blocking fallback
/// `mmap_read_lock()` has its own). It is needed because `faulthandler_disabled()` only
/// looks at the counters, so a fault taken with interrupts disabled and the preempt count at
/// 0 (`__get_user()` under `local_irq_save()`) would otherwise sleep unreported. With
/// `debug-atomic-sleep` that prints the sleeping-function report (`irqs_disabled(): 1`) before
/// anything sleeps. The report names the might_sleep() call in this function
/// (`core/src/fault.rs`), not the accessor: as Linux's names the fault handler's own site
/// (`arch/x86/mm/fault.c`), because the sleep it warns about is the fault handler's. The
/// accessor that faulted is the one whose exception-table entry the backend found.
/// A backend whose fault entry masks interrupts must unmask them before calling this function
/// when the faulting code had them on (`mightfault_arch::data_fault::decide` does, as Linux's
/// handler does before its check); otherwise every resolvable fault is reported as
/// `irqs_disabled(): 1`.
///
/// # Context
/// Called from a page fault handler. Sleeps only inside `resolve`, and calls it only when
/// `faulthandler_disabled()` is false.
pub fn handle_user_fault<A: Arch>(
    in_user_access: bool,
    resolve: impl FnOnce() -> Resolution,
) -> FaultAction {
    if !in_user_access {
        return FaultAction::Oops;
    }
    if faulthandler_disabled::<A>() {
        if in_atomic::<A>() && !pagefault_disabled::<A>() {
            warn_atomic_fault_once::<A>();
        }
        return FaultAction::Fixup;
    }
    // From here the fault may sleep: check the context first, as Linux's fault handler does.
    might_sleep::<A>();
    match resolve() {
        Resolution::Resolved => FaultAction::Retry,
        Resolution::NoMapping => FaultAction::Fixup,
    }
}

#[cold]
#[inline(never)]
fn warn_atomic_fault_once<A: Arch>() {
    if A::debug_state().take_atomic_fault_warning() {
        // WARN_ON_ONCE's shape: the message, then the WARNING line naming the fault path.
        let marker = crate::frame_marker!();
        crate::warn::warn_report::<A>(
            marker,
            None,
            format_args!(
                "user access fault in atomic context without pagefault_disable() \
                 (preempt_count: {:x})",
                crate::preempt::preempt_count::<A>()
            ),
        );
    }
}
