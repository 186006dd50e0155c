//! The traits a function states its context with, and the marker every token carries.

use core::marker::PhantomData;

use crate::arch::Arch;

pub(super) mod sealed {
    pub trait Sealed {}
}

/// Keeps every token on the thread (the task, and the cpu) that made it: a raw pointer is
/// neither `Send` nor `Sync`. Never constructed.
#[allow(dead_code)]
pub(super) struct StaysOnThisCpu(*const ());

/// The marker every token and guard carries: the kernel `A`, and not `Send`/`Sync`.
pub(super) type Marker<A> = PhantomData<(fn() -> A, StaysOnThisCpu)>;

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
/// Never sleeps (a trait); implemented by [`Sleepable`](super::Sleepable) only.
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
/// Never sleeps (a trait); implemented by [`NoFault`](super::NoFault) only.
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
/// interrupt tokens, not by [`RcuReader`](super::RcuReader) (preemptible under `preempt`) nor [`NoFault`](super::NoFault).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not disable preemption: the task may be preempted and move to another cpu here",
    label = "this needs preemption disabled",
    note = "`pagefault_disable` only makes faults fail instead of sleeping, and an RCU reader is preemptible under `preempt`; neither keeps the task on this cpu",
    note = "fix: take `context::preempt_disable` (or a spinlock) around the code that needs the cpu"
)]
pub trait PreemptDisabled: Context {}
