//! pagefault_disable()/pagefault_enable(): a nesting counter in the task.
//!
//! The counter lives in the task, never in the preempt count and never per-cpu: a task may be
//! preempted or sleep with page faults disabled and resume on another cpu, and the promise it
//! made ("do not sleep to resolve my faults") must go with it. Disabling page faults does not
//! disable preemption.

use core::marker::PhantomData;
#[cfg(feature = "debug-preempt")]
use core::panic::Location;

use crate::arch::Arch;
use crate::preempt::in_atomic;

/// Disables the sleeping part of page fault handling for the current task: a fault on a user
/// address is fixed up (the access fails with -EFAULT) instead of being resolved.
///
/// ```
/// # use minikernel::Mini as MyKernel;
/// use mightfault_core::{in_atomic, pagefault_disable, pagefault_disabled, pagefault_enable};
///
/// pagefault_disable::<MyKernel>();
/// pagefault_disable::<MyKernel>(); // nests
/// pagefault_enable::<MyKernel>();
/// assert!(pagefault_disabled::<MyKernel>());
/// assert!(!in_atomic::<MyKernel>(), "it does not disable preemption");
/// pagefault_enable::<MyKernel>();
/// assert!(!pagefault_disabled::<MyKernel>());
/// ```
///
/// # Context
/// Never sleeps; any context. Nests; each call needs one [`pagefault_enable`].
#[inline(always)]
#[track_caller]
pub fn pagefault_disable<A: Arch>() {
    let counter = A::current_task().pagefault_disabled_cell();
    let raised = counter.get().wrapping_add(1);
    counter.set(raised);
    // The overflow check tests the result of the increment (one compare and branch on the
    // success path); the report and the undo are out of line.
    #[cfg(feature = "debug-preempt")]
    if raised == 0 {
        pagefault_overflow::<A>(Location::caller());
    }
    // The barrier sits after the increment so that no access the caller makes under
    // pagefault_disable() is moved before the counter is raised.
    A::compiler_barrier();
}

/// Undoes one [`pagefault_disable`].
///
/// # Context
/// Never sleeps; any context, on the task that disabled page faults.
#[inline(always)]
#[track_caller]
pub fn pagefault_enable<A: Arch>() {
    // The barrier sits before the decrement so that accesses made under pagefault_disable()
    // are not moved after the counter drops.
    A::compiler_barrier();
    let counter = A::current_task().pagefault_disabled_cell();
    let before = counter.get();
    counter.set(before.wrapping_sub(1));
    #[cfg(feature = "debug-preempt")]
    if before == 0 {
        pagefault_underflow::<A>(Location::caller());
    }
}

/// A pagefault_disable() past `u32::MAX`: undone (the counter stays at its maximum) and
/// reported.
#[cfg(feature = "debug-preempt")]
#[cold]
#[inline(never)]
fn pagefault_overflow<A: Arch>(at: &'static Location<'static>) {
    A::current_task().pagefault_disabled_cell().set(u32::MAX);
    crate::warn::debug_locks_warn::<A>("current->pagefault_disabled == UINT_MAX", at);
}

/// A pagefault_enable() without a disable: undone (the counter stays at 0) and reported.
#[cfg(feature = "debug-preempt")]
#[cold]
#[inline(never)]
fn pagefault_underflow<A: Arch>(at: &'static Location<'static>) {
    A::current_task().pagefault_disabled_cell().set(0);
    crate::warn::debug_locks_warn::<A>("current->pagefault_disabled == 0", at);
}

/// Whether the current task disabled page faults: its counter is not zero.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn pagefault_disabled<A: Arch>() -> bool {
    A::current_task().pagefault_disabled_cell().get() != 0
}

/// Whether a fault must not sleep: page faults are disabled or the context is atomic.
/// The fault handler fixes such faults up instead of resolving them.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn faulthandler_disabled<A: Arch>() -> bool {
    pagefault_disabled::<A>() || in_atomic::<A>()
}

/// Keeps page faults disabled for the current task until dropped.
///
/// # Context
/// Never sleeps; any context.
#[must_use = "page faults are re-enabled when the guard is dropped"]
pub struct PagefaultDisabledGuard<A: Arch> {
    _arch: PhantomData<A>,
    // The counter belongs to the task that created the guard.
    _not_send: PhantomData<*const ()>,
}

impl<A: Arch> PagefaultDisabledGuard<A> {
    /// Disables page faults and returns the guard that re-enables them.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    #[track_caller]
    pub fn disable() -> Self {
        pagefault_disable::<A>();
        Self {
            _arch: PhantomData,
            _not_send: PhantomData,
        }
    }
}

impl<A: Arch> Drop for PagefaultDisabledGuard<A> {
    #[inline(always)]
    fn drop(&mut self) {
        pagefault_enable::<A>();
    }
}
