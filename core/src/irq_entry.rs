//! irq_enter()/irq_exit(): the accounting around every hard interrupt handler.
//!
//! A backend's interrupt entry calls [`irq_enter`] before the handler and [`irq_exit`] after
//! it, with interrupts masked throughout. They raise and lower `HARDIRQ_OFFSET` in the preempt
//! count wherever the arch keeps it (per-cpu on x86_64; in the interrupted task on s390x and
//! powerpc64, as Linux did in 2014), so that `in_hardirq()`, `in_interrupt()` and `in_atomic()`
//! are true inside the handler and a sleep there is reported. The exit of the outermost
//! interrupt runs the softirqs raised meanwhile, unless the interrupted code had bottom halves
//! disabled or was itself serving a softirq.
//!
//! Preemption on the way out (Linux's `preempt_schedule_irq()`) is the kernel's business: after
//! [`irq_exit`], if the interrupted context could be preempted ([`preemptible_on_irq_return`])
//! and a reschedule is pending, it switches tasks before restoring the interrupted state.

#[cfg(feature = "debug-preempt")]
use core::panic::Location;

use crate::arch::{Arch, PreemptCountStore};
use crate::preempt::in_interrupt;
use crate::preempt_count::HARDIRQ_OFFSET;
use crate::softirq::{local_softirq_pending, run_pending};

/// Enters hard interrupt context. With `debug-preempt`, an interrupt that finds the count at 0
/// records its caller as where preemption was disabled, as Linux's `preempt_count_add()` does.
///
/// # Context
/// Never sleeps; the top of an interrupt handler, interrupts masked.
#[inline(always)]
#[track_caller]
pub fn irq_enter<A: Arch>() {
    A::PreemptCount::add(HARDIRQ_OFFSET);
    #[cfg(feature = "debug-preempt")]
    crate::preempt::note_preempt_off::<A>(HARDIRQ_OFFSET, Location::caller());
    A::compiler_barrier();
}

/// Leaves hard interrupt context entered by [`irq_enter`]; at the outermost level, runs the
/// pending softirqs (interrupts enabled while they run, masked again on return).
///
/// # Context
/// Never sleeps; the end of an interrupt handler, interrupts masked.
#[inline]
pub fn irq_exit<A: Arch>() {
    A::compiler_barrier();
    A::PreemptCount::sub(HARDIRQ_OFFSET);
    if !in_interrupt::<A>() && local_softirq_pending::<A>() != 0 {
        run_pending::<A>();
    }
}

/// Whether a return from interrupt may preempt the interrupted context: Linux's test before
/// `preempt_schedule_irq()`. True with `preempt` when the count (after [`irq_exit`]) is zero,
/// the interrupted code ran with interrupts enabled, and a reschedule is pending.
///
/// # Context
/// Never sleeps; the end of an interrupt handler after [`irq_exit`], interrupts masked.
/// `interrupted_irqs_enabled` is the interrupt state saved in the interrupt frame.
#[inline]
pub fn preemptible_on_irq_return<A: Arch>(interrupted_irqs_enabled: bool) -> bool {
    crate::config::PREEMPT
        && interrupted_irqs_enabled
        && crate::preempt::preempt_count::<A>() == 0
        && A::PreemptCount::need_resched()
}
