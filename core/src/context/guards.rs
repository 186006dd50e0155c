//! The guards of the atomic contexts: each borrows the token it was taken in and is the token
//! of the context it opens.

use core::marker::PhantomData;

use crate::arch::Arch;
use crate::irq::IrqSaveGuard;
use crate::pagefault::PagefaultDisabledGuard;
use crate::preempt::PreemptDisabledGuard;
use crate::rcu::RcuReadGuard;
use crate::softirq::BhDisabledGuard;
use crate::spinlock::{RawSpinLock, SpinLockGuard};

use super::traits::{sealed, Context, FaultsDisabled, Marker, PreemptDisabled};

macro_rules! guard_token {
    ($(#[$doc:meta])* $name:ident, $guard:ty) => {
        $(#[$doc])*
        pub struct $name<'a, A: Arch> {
            _marker: Marker<A>,
            _guard: $guard,
            // The token of the context the guard was taken in, borrowed for the guard's life.
            _borrow: PhantomData<&'a mut ()>,
        }

        impl<A: Arch> sealed::Sealed for $name<'_, A> {}
        impl<A: Arch> Context for $name<'_, A> {
            type Arch = A;
        }
    };
}

guard_token!(
    /// A held spinlock: the token of the code under it. Dropping it (or [`SpinLocked::unlock`])
    /// unlocks and gives the borrowed token back.
    ///
    /// # Context
    /// Atomic (preemption disabled): never sleeps; code under it gets no [`Sleepable`](super::Sleepable).
    #[must_use = "the lock is released when the token is dropped"]
    SpinLocked,
    SpinLockGuard<'a, A>
);
impl<A: Arch> PreemptDisabled for SpinLocked<'_, A> {}

/// Takes `lock` in the context `cx` (any context) and returns the token of the code under it,
/// which borrows `cx` until it is dropped. Calls [`RawSpinLock::lock`], with its held-lock
/// record and watchdog.
///
/// # Context
/// Never sleeps; any context. The code under the lock cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
#[track_caller]
pub fn spin_lock<'a, C: Context>(lock: &'a RawSpinLock, cx: &'a mut C) -> SpinLocked<'a, C::Arch> {
    let _ = cx;
    SpinLocked {
        _guard: lock.lock::<C::Arch>(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> SpinLocked<'_, A> {
    /// Unlocks now (the same as dropping the token).
    ///
    /// # Context
    /// May reschedule with `preempt`, as preempt_enable() does; same context as the lock.
    #[inline(always)]
    pub fn unlock(self) {
        drop(self);
    }
}

guard_token!(
    /// Preemption disabled: the token of the code under [`preempt_disable`].
    ///
    /// # Context
    /// Atomic: never sleeps; code under it gets no [`Sleepable`](super::Sleepable).
    #[must_use = "preemption is re-enabled when the token is dropped"]
    PreemptOff,
    PreemptDisabledGuard<A>
);
impl<A: Arch> PreemptDisabled for PreemptOff<'_, A> {}

/// Disables preemption ([`crate::preempt_disable`]) until the returned token is dropped
/// ([`crate::preempt_enable`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
#[track_caller]
pub fn preempt_disable<C: Context>(cx: &mut C) -> PreemptOff<'_, C::Arch> {
    let _ = cx;
    PreemptOff {
        _guard: PreemptDisabledGuard::disable(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> PreemptOff<'_, A> {
    /// Re-enables preemption now (the same as dropping the token).
    ///
    /// # Context
    /// May reschedule with `preempt`; same context as the disable.
    #[inline(always)]
    pub fn enable(self) {
        drop(self);
    }
}

guard_token!(
    /// Interrupts masked on this cpu: the token of the code under [`local_irq_save`].
    ///
    /// # Context
    /// Atomic (interrupts off): never sleeps; code under it gets no [`Sleepable`](super::Sleepable).
    #[must_use = "interrupts are restored when the token is dropped"]
    IrqsOff,
    IrqSaveGuard<A>
);
impl<A: Arch> PreemptDisabled for IrqsOff<'_, A> {}

/// Masks interrupts ([`crate::local_irq_save`]) until the returned token is dropped
/// ([`crate::local_irq_restore`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
pub fn local_irq_save<C: Context>(cx: &mut C) -> IrqsOff<'_, C::Arch> {
    let _ = cx;
    IrqsOff {
        _guard: IrqSaveGuard::save(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> IrqsOff<'_, A> {
    /// Restores the interrupt state now (the same as dropping the token).
    ///
    /// # Context
    /// Never sleeps; same context as the save.
    #[inline(always)]
    pub fn restore(self) {
        drop(self);
    }
}

guard_token!(
    /// Bottom halves disabled: the token of the code under [`local_bh_disable`].
    ///
    /// # Context
    /// Atomic (softirqs held off, the task stays on its cpu): never sleeps; code under it gets
    /// no [`Sleepable`](super::Sleepable).
    #[must_use = "bottom halves are re-enabled when the token is dropped"]
    BhOff,
    BhDisabledGuard<A>
);
impl<A: Arch> PreemptDisabled for BhOff<'_, A> {}

/// Disables bottom halves ([`crate::local_bh_disable`]) until the returned token is dropped
/// ([`crate::local_bh_enable`], which runs the softirqs raised meanwhile); the token borrows
/// `cx`.
///
/// # Context
/// Never sleeps; task context or a context already atomic, not a hard interrupt. The code under
/// it cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
#[track_caller]
pub fn local_bh_disable<C: Context>(cx: &mut C) -> BhOff<'_, C::Arch> {
    let _ = cx;
    BhOff {
        _guard: BhDisabledGuard::disable(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> BhOff<'_, A> {
    /// Re-enables bottom halves now (the same as dropping the token).
    ///
    /// # Context
    /// Runs pending softirqs and may reschedule with `preempt`; same context as the disable.
    #[inline(always)]
    pub fn enable(self) {
        drop(self);
    }
}

guard_token!(
    /// An RCU read-side critical section: the token of the code under [`rcu_read_lock`].
    ///
    /// It is not [`PreemptDisabled`]: with `preempt` the reader may be preempted (Linux's
    /// PREEMPT_RCU), though it must never sleep.
    ///
    /// # Context
    /// Must not sleep (a grace period would wait for it); code under it gets no [`Sleepable`](super::Sleepable).
    #[must_use = "the RCU read-side critical section ends when the token is dropped"]
    RcuReader,
    RcuReadGuard<A>
);

/// Enters an RCU reader ([`crate::rcu_read_lock`]) until the returned token is dropped
/// ([`crate::rcu_read_unlock`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
pub fn rcu_read_lock<C: Context>(cx: &mut C) -> RcuReader<'_, C::Arch> {
    let _ = cx;
    RcuReader {
        _guard: RcuReadGuard::lock(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> RcuReader<'_, A> {
    /// Leaves the reader now (the same as dropping the token).
    ///
    /// # Context
    /// Never sleeps; same context as the lock.
    #[inline(always)]
    pub fn unlock(self) {
        drop(self);
    }
}

guard_token!(
    /// Page faults disabled for this task: the token the `_inatomic` and `_nofault` copies ask
    /// for ([`FaultsDisabled`]). A fault under it is fixed up (the copy comes up short) instead
    /// of sleeping.
    ///
    /// It proves nothing about preemption ([`crate::pagefault_disable`] does not disable it), so
    /// it is not [`PreemptDisabled`]; nor is it [`MaySleep`](super::MaySleep), even when taken in a sleepable
    /// context: code under it uses the no-fault copies.
    ///
    /// # Context
    /// Never sleeps to resolve a fault; code under it gets no [`Sleepable`](super::Sleepable).
    #[must_use = "page faults are re-enabled when the token is dropped"]
    NoFault,
    PagefaultDisabledGuard<A>
);
impl<A: Arch> FaultsDisabled for NoFault<'_, A> {}

/// Disables page faults for the current task ([`crate::pagefault_disable`]) until the returned
/// token is dropped ([`crate::pagefault_enable`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`](super::MaySleep) function.
#[inline(always)]
#[track_caller]
pub fn pagefault_disable<C: Context>(cx: &mut C) -> NoFault<'_, C::Arch> {
    let _ = cx;
    NoFault {
        _guard: PagefaultDisabledGuard::disable(),
        _borrow: PhantomData,
        _marker: PhantomData,
    }
}

impl<A: Arch> NoFault<'_, A> {
    /// Re-enables page faults now (the same as dropping the token).
    ///
    /// # Context
    /// Never sleeps; same context as the disable.
    #[inline(always)]
    pub fn enable(self) {
        drop(self);
    }
}
