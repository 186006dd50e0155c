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
//! Linux-named function ([`crate::RawSpinLock::lock`]'s unlock, [`crate::preempt_enable`],
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
//! Every token implements [`Context`], whose associated type names the kernel's [`crate::Arch`], so
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

mod guards;
mod interrupts;
mod sleepable;
mod traits;

pub use guards::{
    local_bh_disable, local_irq_save, pagefault_disable, preempt_disable, rcu_read_lock, spin_lock,
    BhOff, IrqsOff, NoFault, PreemptOff, RcuReader, SpinLocked,
};
pub use interrupts::{HardIrq, SoftIrq, TimerCallback};
pub use sleepable::{might_sleep, smp_processor_id, Sleepable};
pub use traits::{Context, FaultsDisabled, MaySleep, PreemptDisabled};
