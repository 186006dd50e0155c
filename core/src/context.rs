//! # Contexts in the type system
//!
//! Linux finds `spin_lock(); copy_to_user();` at run time, in a debug build, on the path a test
//! happens to take ("BUG: sleeping function called from invalid context"). This module lets the
//! type checker find most of these bugs before the code runs, at no run-time cost: the context
//! code runs in is a *token*, a zero-sized value that cannot be sent to another thread, and a
//! function says in its signature what context it needs.
//!
//! ## The tokens
//!
//! | token | made by | proves | sleeping |
//! |---|---|---|---|
//! | [`Sleepable`] | [`Sleepable::assume`] (`unsafe`), at the kernel's entry: a syscall, a kernel thread's body | task context, preemptible, no lock, interrupts on, no RCU reader | allowed ([`MaySleep`]) |
//! | [`SpinLocked`] | [`spin_lock`] | a spinlock is held (preemption off) | no |
//! | [`PreemptOff`] | [`preempt_disable`] | preemption is disabled | no |
//! | [`IrqsOff`] | [`local_irq_save`] | interrupts are masked on this cpu | no |
//! | [`BhOff`] | [`local_bh_disable`] | bottom halves are disabled | no |
//! | [`RcuReader`] | [`rcu_read_lock`] | an RCU read-side critical section | no (it may be preempted under `preempt`, so it is not [`PreemptDisabled`]) |
//! | [`NoFault`] | [`pagefault_disable`] | page faults are disabled ([`FaultsDisabled`]) | no; and it does **not** prove that preemption is disabled |
//! | [`HardIrq`], [`SoftIrq`], [`TimerCallback`] | the kernel's interrupt dispatch (`unsafe` constructors), handed to the handler | interrupt context | no, and a handler never receives a [`Sleepable`] |
//!
//! The guard *is* the token: there is one type per kind of atomic context, so that an error
//! names the context (`SpinLocked`, `RcuReader`, ...) the way Linux's report names the lock.
//! Every guard mutably borrows the token of the context it was taken in for as long as it
//! lives, so the code under it cannot reach that token, and in particular cannot reach the
//! [`Sleepable`]. Dropping the guard (or calling its `unlock`/`enable` method) calls the existing
//! Linux-named function ([`RawSpinLock::lock`]'s unlock, [`crate::preempt_enable`],
//! [`crate::local_irq_restore`], [`crate::local_bh_enable`], [`crate::rcu_read_unlock`],
//! [`crate::pagefault_enable`]); taking it calls the matching one, so the counts, the held-lock
//! list and the run-time reports are exactly those of the untyped API.
//!
//! Functions state what they need with three sealed traits:
//! - [`MaySleep`]: the function may sleep (the checked user copies, a kernel's mutex, a blocking
//!   allocation); only [`Sleepable`] implements it. Take it as `cx: &mut impl MaySleep`: the
//!   `&mut` is what makes a guard's borrow exclude it.
//! - [`FaultsDisabled`]: the function relies on page faults being disabled (the `_inatomic` and
//!   `_nofault` copies); only [`NoFault`] implements it.
//! - [`PreemptDisabled`]: the function relies on staying on this cpu ([`smp_processor_id`]).
//!
//! Every token implements [`Context`], whose associated type names the kernel's [`Arch`], so
//! a function generic over the context needs no turbofish.
//!
//! ```
//! # use minikernel::{machine, PageState, USER_BASE};
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::context::{self, MaySleep, Sleepable};
//! use mightfault_core::RawSpinLock;
//!
//! static STATS_LOCK: RawSpinLock = RawSpinLock::new("stats_lock");
//!
//! /// A function of the kernel that may block: it asks for the sleepable token.
//! fn wait_for_stats(cx: &mut impl MaySleep) {
//!     context::might_sleep(cx); // the run-time check stays, for what the types cannot see
//! }
//!
//! /// The syscall entry: the one place that vouches for the context.
//! // SAFETY: a task at its syscall entry: preemptible, no lock held, interrupts on.
//! let mut cx = unsafe { Sleepable::<MyKernel>::assume() };
//! wait_for_stats(&mut cx);
//! {
//!     let mut locked = context::spin_lock(&STATS_LOCK, &mut cx);
//!     let cpu = context::smp_processor_id(&locked); // a spinlock keeps us on this cpu
//!     let nofault = context::pagefault_disable(&mut locked);
//!     // wait_for_stats(&mut cx);     // error: `cx` is borrowed by the lock
//!     // wait_for_stats(&mut locked); // error: `SpinLocked<'_, Mini>` is an atomic context
//!     drop(nofault);
//!     # let _ = cpu;
//! } // unlocked here: `cx` is usable again
//! wait_for_stats(&mut cx);
//! ```
//!
//! ## What the types prove, and what they cannot
//!
//! They prove that code written with the tokens does not call a function that asks for
//! [`MaySleep`] while a guard it took is alive, or from a handler that was handed an interrupt
//! token; that an `_inatomic` copy runs with page faults disabled; and that no guard moves to
//! another thread (so its release runs on the task and cpu that took it).
//!
//! They cannot see:
//! - code reached through a function pointer or `dyn` callback that does not carry a token, or
//!   through FFI and `asm!`: the callee's signature is all the checker knows;
//! - counts raised by raw calls to the untyped functions (`preempt_disable`, `preempt_count_add`
//!   on the count store, `RawSpinLock::lock`, `local_irq_disable`), which leave the
//!   [`Sleepable`] token in hand while the context is in fact atomic;
//! - a wrong promise at a trust boundary: an `unsafe` [`Sleepable::assume`] in a context that
//!   is not sleepable, an interrupt dispatch that hands out the wrong token;
//! - sleeping functions that do not ask for the token (a kernel's own code written before it).
//!
//! That remainder is why the run-time checks stay: the typed functions call the Linux-named
//! ones, which still run `might_sleep()`/`might_fault()` under `debug-atomic-sleep`, and
//! [`Sleepable::assume`] itself checks the promise it is given. The types move the common
//! bugs to compile time; the run-time report still catches the rest, where it happens.

use core::marker::PhantomData;

use crate::arch::Arch;
use crate::irq::IrqSaveGuard;
use crate::pagefault::PagefaultDisabledGuard;
use crate::preempt::PreemptDisabledGuard;
use crate::rcu::RcuReadGuard;
use crate::softirq::BhDisabledGuard;
use crate::spinlock::{RawSpinLock, SpinLockGuard};

mod sealed {
    pub trait Sealed {}
}

/// Keeps every token on the thread (the task, and the cpu) that made it: a raw pointer is
/// neither `Send` nor `Sync`. Never constructed.
#[allow(dead_code)]
struct StaysOnThisCpu(*const ());

/// The marker every token and guard carries: the kernel `A`, and not `Send`/`Sync`.
type Marker<A> = PhantomData<(fn() -> A, StaysOnThisCpu)>;

/// A context token: code holding `&mut` one runs in the context it names.
///
/// # Context
/// Never sleeps (a trait); implemented by every token of this module and by nothing else.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a context token",
    label = "expected a context token here",
    note = "start from `Sleepable::assume()` at the kernel's entry, or use the token the interrupt dispatch hands to the handler (`HardIrq`, `SoftIrq`, `TimerCallback`)"
)]
pub trait Context: sealed::Sealed {
    /// The kernel (its [`Arch`]) this context runs on.
    type Arch: Arch;
}

/// Proof that the current context may sleep: what every function that may sleep asks for.
///
/// # Context
/// Never sleeps (a trait); implemented by [`Sleepable`] only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is an atomic context: a function that may sleep cannot be called from it",
    label = "this function may sleep (it may fault user memory in, or block); it needs the `Sleepable` token",
    note = "Linux reports this at run time as \"BUG: sleeping function called from invalid context\"; here it is a compile error",
    note = "fix: move the call after the guard is dropped (out of the lock, the RCU reader, the irqs-off or preempt-off region), or defer it from the interrupt handler to a task; under the guard, disable page faults with `context::pagefault_disable` and use the `_inatomic`/`_nofault` copy, retrying outside on a short copy"
)]
pub trait MaySleep: Context {}

/// Proof that page faults are disabled: what the `_inatomic` and `_nofault` copies ask for.
///
/// # Context
/// Never sleeps (a trait); implemented by [`NoFault`] only.
#[diagnostic::on_unimplemented(
    message = "page faults must be disabled: take `pagefault_disable` first (`{Self}` does not disable them)",
    label = "this copy needs the `NoFault` token of `context::pagefault_disable`",
    note = "without it a fault in this copy would sleep to page the memory in, or be fixed up only because the context happens to be atomic",
    note = "fix: `let nofault = context::pagefault_disable(&mut cx);` and pass `&nofault`; or, where sleeping is allowed, use the checked copy with the `Sleepable` token"
)]
pub trait FaultsDisabled: Context {}

/// Proof that preemption is disabled: the task stays on this cpu while the token lives.
///
/// # Context
/// Never sleeps (a trait); implemented by the spinlock, preempt-off, irqs-off, bh-off and
/// interrupt tokens, not by [`RcuReader`] (preemptible under `preempt`) nor [`NoFault`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not disable preemption: the task may be preempted and move to another cpu here",
    label = "this needs preemption disabled",
    note = "`pagefault_disable` only makes faults fail instead of sleeping, and an RCU reader is preemptible under `preempt`; neither keeps the task on this cpu",
    note = "fix: take `context::preempt_disable` (or a spinlock) around the code that needs the cpu"
)]
pub trait PreemptDisabled: Context {}

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

macro_rules! interrupt_token {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        pub struct $name<A: Arch> {
            _marker: Marker<A>,
        }

        impl<A: Arch> $name<A> {
            #[doc = concat!("The interrupt dispatch vouches that the current code is ", $what, ".")]
            /// With `debug-atomic-sleep` it runs [`crate::cant_sleep()`], which reports a
            /// preemptible context.
            ///
            /// # Safety
            #[doc = concat!("Not memory safety but the contract of the token: the caller is ", $what, ",")]
            /// and hands the token only to the handler it runs there.
            ///
            /// # Context
            /// Never sleeps; the context named above, which must not sleep.
            #[inline(always)]
            #[track_caller]
            pub unsafe fn assume() -> Self {
                crate::might_sleep::cant_sleep::<A>();
                Self {
                    _marker: PhantomData,
                }
            }
        }

        impl<A: Arch> sealed::Sealed for $name<A> {}
        impl<A: Arch> Context for $name<A> {
            type Arch = A;
        }
        impl<A: Arch> PreemptDisabled for $name<A> {}
    };
}

interrupt_token!(
    /// A hard interrupt handler's context, between `irq_enter()` and `irq_exit()`.
    ///
    /// # Context
    /// Hard interrupt context: never sleeps, never receives a [`Sleepable`].
    HardIrq,
    "a hard interrupt handler run between `irq_enter()` and `irq_exit()`"
);

interrupt_token!(
    /// A softirq handler's context (`SOFTIRQ_OFFSET` held).
    ///
    /// # Context
    /// Softirq context: never sleeps, never receives a [`Sleepable`].
    SoftIrq,
    "a softirq handler run while the softirqs are served"
);

interrupt_token!(
    /// A timer callback's context: Linux runs timers from the timer softirq.
    ///
    /// # Context
    /// Softirq context: never sleeps, never receives a [`Sleepable`].
    TimerCallback,
    "a timer callback run from the timer softirq (or the tick's interrupt)"
);

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
    /// Atomic (preemption disabled): never sleeps; code under it gets no [`Sleepable`].
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
/// Never sleeps; any context. The code under the lock cannot call a [`MaySleep`] function.
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
    /// Atomic: never sleeps; code under it gets no [`Sleepable`].
    #[must_use = "preemption is re-enabled when the token is dropped"]
    PreemptOff,
    PreemptDisabledGuard<A>
);
impl<A: Arch> PreemptDisabled for PreemptOff<'_, A> {}

/// Disables preemption ([`crate::preempt_disable`]) until the returned token is dropped
/// ([`crate::preempt_enable`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`] function.
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
    /// Atomic (interrupts off): never sleeps; code under it gets no [`Sleepable`].
    #[must_use = "interrupts are restored when the token is dropped"]
    IrqsOff,
    IrqSaveGuard<A>
);
impl<A: Arch> PreemptDisabled for IrqsOff<'_, A> {}

/// Masks interrupts ([`crate::local_irq_save`]) until the returned token is dropped
/// ([`crate::local_irq_restore`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`] function.
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
    /// no [`Sleepable`].
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
/// it cannot call a [`MaySleep`] function.
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
    /// Must not sleep (a grace period would wait for it); code under it gets no [`Sleepable`].
    #[must_use = "the RCU read-side critical section ends when the token is dropped"]
    RcuReader,
    RcuReadGuard<A>
);

/// Enters an RCU reader ([`crate::rcu_read_lock`]) until the returned token is dropped
/// ([`crate::rcu_read_unlock`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`] function.
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
    /// it is not [`PreemptDisabled`]; nor is it [`MaySleep`], even when taken in a sleepable
    /// context: code under it uses the no-fault copies.
    ///
    /// # Context
    /// Never sleeps to resolve a fault; code under it gets no [`Sleepable`].
    #[must_use = "page faults are re-enabled when the token is dropped"]
    NoFault,
    PagefaultDisabledGuard<A>
);
impl<A: Arch> FaultsDisabled for NoFault<'_, A> {}

/// Disables page faults for the current task ([`crate::pagefault_disable`]) until the returned
/// token is dropped ([`crate::pagefault_enable`]); the token borrows `cx`.
///
/// # Context
/// Never sleeps; any context. The code under it cannot call a [`MaySleep`] function.
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
