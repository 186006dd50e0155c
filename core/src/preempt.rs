//! preempt_disable()/preempt_enable() and the context predicates built on the preempt count.
//!
//! Without `preempt-count` the disable/enable pair is only a compiler barrier, as in Linux
//! without CONFIG_PREEMPT_COUNT: the count then holds only interrupt nesting, and in_atomic()
//! cannot see a held spinlock.

use core::marker::PhantomData;
#[cfg(feature = "debug-preempt")]
use core::panic::Location;

use crate::arch::{Arch, PreemptCountStore};
#[cfg(feature = "preempt-count")]
use crate::preempt_count::PREEMPT_OFFSET;
use crate::preempt_count::{PreemptCount, SOFTIRQ_OFFSET};

/// Linux's preempt_count(): the count without the need-resched bit (and, with
/// debug-atomic-sleep, without the may-not-sleep word's irqs-off flag and RCU depth).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn preempt_count<A: Arch>() -> u32 {
    #[cfg(feature = "debug-atomic-sleep")]
    {
        A::PreemptCount::count() & crate::preempt_count::COUNT_FIELDS
    }
    #[cfg(not(feature = "debug-atomic-sleep"))]
    A::PreemptCount::count()
}

/// The scheduler's call just before it switches this cpu to `next` (interrupts masked): where
/// the count is the cpu's ([`PreemptCountStore::KEPT_PER_CPU`], x86_64), the may-not-sleep
/// word's RCU depth becomes `next`'s. Nothing to do where the count is the task's, or without
/// debug-atomic-sleep and `preempt`.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked, on the cpu that switches.
#[inline(always)]
pub fn prepare_task_switch<A: Arch>(next: &crate::task::TaskContext) {
    #[cfg(all(feature = "debug-atomic-sleep", feature = "preempt"))]
    if A::PreemptCount::KEPT_PER_CPU {
        use crate::preempt_count::{PreemptCount, RCU_DEPTH_MAX, RCU_DEPTH_OFFSET};
        let have = A::PreemptCount::count() & PreemptCount::RCU.bits();
        let want = next.rcu_read_lock_depth().min(RCU_DEPTH_MAX) * RCU_DEPTH_OFFSET;
        if want > have {
            A::PreemptCount::add(want - have);
        } else if have > want {
            A::PreemptCount::sub(have - want);
        }
    }
    #[cfg(not(all(feature = "debug-atomic-sleep", feature = "preempt")))]
    let _ = next;
}

/// Whether the current context must not sleep because of the preempt count:
/// `preempt_count() != 0`. It does not look at the pagefault counter or the irq state.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_atomic<A: Arch>() -> bool {
    preempt_count::<A>() != 0
}

/// Whether the cpu is serving a hard interrupt.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_hardirq<A: Arch>() -> bool {
    PreemptCount::from_bits_retain(preempt_count::<A>()).intersects(PreemptCount::HARDIRQ)
}

/// Whether the cpu is in interrupt context of any kind (NMI, hardirq, softirq, or with bottom
/// halves disabled), as Linux's in_interrupt().
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_interrupt<A: Arch>() -> bool {
    PreemptCount::from_bits_retain(preempt_count::<A>())
        .intersects(PreemptCount::NMI | PreemptCount::HARDIRQ | PreemptCount::SOFTIRQ)
}

/// Whether the cpu runs task code (no NMI, no hardirq, not serving a softirq).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_task<A: Arch>() -> bool {
    let count = preempt_count::<A>();
    let interrupt = (PreemptCount::NMI | PreemptCount::HARDIRQ).bits() | SOFTIRQ_OFFSET;
    count & interrupt == 0
}

/// Disables preemption (one nesting level). With `preempt-count` it raises the count; without,
/// it is a compiler barrier only.
///
/// # Context
/// Never sleeps; any context. Must be paired with [`preempt_enable`] on the same task.
#[inline(always)]
#[track_caller]
pub fn preempt_disable<A: Arch>() {
    #[cfg(feature = "preempt-count")]
    {
        #[cfg(feature = "debug-preempt")]
        if preempt_field_full::<A>() {
            crate::warn::debug_locks_warn::<A>(
                "(preempt_count() & PREEMPT_MASK) >= PREEMPT_MASK",
                Location::caller(),
            );
            A::compiler_barrier();
            return;
        }
        A::PreemptCount::add(PREEMPT_OFFSET);
        #[cfg(feature = "debug-preempt")]
        note_preempt_off::<A>(PREEMPT_OFFSET, Location::caller());
    }
    A::compiler_barrier();
}

/// Re-enables preemption; with `preempt`, reschedules when the count reaches zero and a
/// reschedule is pending.
///
/// # Context
/// May sleep (reschedule) with `preempt` when it re-enables preemption; callable wherever the
/// matching [`preempt_disable`] was.
#[inline(always)]
#[track_caller]
pub fn preempt_enable<A: Arch>() {
    A::compiler_barrier();
    #[cfg(feature = "preempt-count")]
    {
        #[cfg(feature = "debug-preempt")]
        if preempt_underflow::<A>(Location::caller()) {
            return;
        }
        #[cfg(feature = "preempt")]
        if A::PreemptCount::sub_and_test(PREEMPT_OFFSET) {
            A::preempt_schedule();
        }
        #[cfg(not(feature = "preempt"))]
        A::PreemptCount::sub(PREEMPT_OFFSET);
    }
}

/// Re-enables preemption without rescheduling, for paths about to schedule anyway.
///
/// # Context
/// Never sleeps; callable wherever the matching [`preempt_disable`] was.
#[inline(always)]
#[track_caller]
pub fn preempt_enable_no_resched<A: Arch>() {
    A::compiler_barrier();
    #[cfg(feature = "preempt-count")]
    {
        #[cfg(feature = "debug-preempt")]
        if preempt_underflow::<A>(Location::caller()) {
            return;
        }
        A::PreemptCount::sub(PREEMPT_OFFSET);
    }
}

#[cfg(all(feature = "preempt-count", feature = "debug-preempt"))]
#[inline(always)]
fn preempt_field_full<A: Arch>() -> bool {
    let field = PreemptCount::PREEMPT.bits();
    preempt_count::<A>() & field == field
}

/// Whether an enable would take the preempt field below zero; reports it if so.
#[cfg(all(feature = "preempt-count", feature = "debug-preempt"))]
#[inline(always)]
fn preempt_underflow<A: Arch>(at: &'static Location<'static>) -> bool {
    let empty = preempt_count::<A>() & PreemptCount::PREEMPT.bits() == 0;
    if empty {
        crate::warn::debug_locks_warn::<A>("!(preempt_count() & PREEMPT_MASK)", at);
    }
    empty
}

/// Linux's `preempt_latency_start()` under CONFIG_DEBUG_PREEMPT: when the add of `val` just
/// raised the count from 0 (it now equals `val`), the task remembers `at` as where preemption
/// was disabled, for the `Preemption disabled at:` line of the sleeping-function report.
/// Nested disables keep the outermost site, which is the one that explains the atomic context.
#[cfg(feature = "debug-preempt")]
#[inline(always)]
pub(crate) fn note_preempt_off<A: Arch>(val: u32, at: &'static Location<'static>) {
    if preempt_count::<A>() == val {
        record_preempt_off::<A>(at);
    }
}

/// Records `at` and the code address the disable returns to. Out of line so that its own frame
/// is the one whose caller the walk names: the function the inline disable sits in.
#[cfg(feature = "debug-preempt")]
#[cold]
#[inline(never)]
fn record_preempt_off<A: Arch>(at: &'static Location<'static>) {
    let marker = crate::frame_marker!();
    let addr = crate::call_trace::return_address::<A>(marker);
    A::current_task().set_preempt_disable_ip(at, addr);
}

/// Keeps preemption disabled until dropped.
///
/// # Context
/// Creating it never sleeps; dropping it may reschedule (see [`preempt_enable`]).
#[must_use = "preemption is re-enabled when the guard is dropped"]
pub struct PreemptDisabledGuard<A: Arch> {
    _arch: PhantomData<A>,
    // Preemption is a property of this cpu and task: the guard must stay on this thread.
    _not_send: PhantomData<*const ()>,
}

impl<A: Arch> PreemptDisabledGuard<A> {
    /// Disables preemption and returns the guard that re-enables it.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    #[track_caller]
    pub fn disable() -> Self {
        preempt_disable::<A>();
        Self {
            _arch: PhantomData,
            _not_send: PhantomData,
        }
    }
}

impl<A: Arch> Drop for PreemptDisabledGuard<A> {
    #[inline(always)]
    fn drop(&mut self) {
        preempt_enable::<A>();
    }
}
