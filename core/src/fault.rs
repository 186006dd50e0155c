//! The decision every backend's page fault handler takes for a fault on user memory.
//!
//! Backends differ in how a fault arrives (a #PF vector, a program interruption, a data storage
//! interrupt) and how it is fixed up, but what to do is the same everywhere, so it is decided
//! here once.

use crate::arch::Arch;
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
    match resolve() {
        Resolution::Resolved => FaultAction::Retry,
        Resolution::NoMapping => FaultAction::Fixup,
    }
}

#[cold]
#[inline(never)]
fn warn_atomic_fault_once<A: Arch>() {
    if A::debug_state().take_atomic_fault_warning() {
        let task = A::current_task();
        crate::kprint!(
            A,
            "WARNING: user access fault in atomic context without pagefault_disable()\n\
             CPU: {} PID: {} Comm: {} preempt_count: {:x}\n",
            A::cpu_id(),
            task.pid(),
            task.name(),
            crate::preempt::preempt_count::<A>()
        );
    }
}
