//! The sleepable context, and the checks that take a token.

use core::marker::PhantomData;

use crate::arch::Arch;

use super::traits::{sealed, Context, Marker, MaySleep, PreemptDisabled};

/// The sleepable context: a task that may block, fault user memory in, be preempted.
///
/// There is no safe way to make one: [`Sleepable::assume`] is called where the kernel knows the
/// context (a syscall's entry, a kernel thread's body), and the token is then handed down by
/// `&mut`. It is neither `Copy` nor `Clone`, so a guard that borrows it leaves none behind.
///
/// # Context
/// Task context, preemptible, no lock held, interrupts on, not in an RCU reader.
pub struct Sleepable<A: Arch> {
    _marker: Marker<A>,
}

impl<A: Arch> Sleepable<A> {
    /// The kernel's entry boundary vouches that the current context may sleep. With
    /// `debug-atomic-sleep` it also runs [`crate::might_sleep()`], so a wrong promise is reported
    /// at run time ("BUG: sleeping function called from invalid context").
    ///
    /// # Safety
    /// Not memory safety but the contract of every function that asks for [`MaySleep`]: the
    /// caller is a task in process context, preemptible, holding no spinlock, with interrupts
    /// enabled and outside any RCU reader, and it hands the token only to code that runs in
    /// that same context.
    ///
    /// # Context
    /// Never sleeps itself; task context that may sleep (see Safety).
    #[inline(always)]
    #[track_caller]
    pub unsafe fn assume() -> Self {
        crate::might_sleep::might_sleep::<A>();
        Self {
            _marker: PhantomData,
        }
    }
}

impl<A: Arch> sealed::Sealed for Sleepable<A> {}
impl<A: Arch> Context for Sleepable<A> {
    type Arch = A;
}
impl<A: Arch> MaySleep for Sleepable<A> {}

/// The run-time check of a function that may sleep, for a kernel's own blocking functions: the
/// token proves what the types can see, [`crate::might_sleep()`] still reports what they cannot
/// (a count raised by a raw untyped call while the token was in hand).
///
/// # Context
/// Never sleeps itself; a context that may sleep, proved by `cx`.
#[inline(always)]
#[track_caller]
pub fn might_sleep<C: MaySleep>(cx: &mut C) {
    let _ = cx;
    crate::might_sleep::might_sleep::<C::Arch>();
}

/// The current cpu's number, which stays valid while `cx` lives: Linux's `smp_processor_id()`,
/// whose debug check (preemption must be disabled) is here a bound.
///
/// # Context
/// Never sleeps; a context with preemption disabled, proved by `cx`.
#[inline(always)]
pub fn smp_processor_id<C: PreemptDisabled>(cx: &C) -> u32 {
    let _ = cx;
    <C::Arch as Arch>::cpu_id()
}
