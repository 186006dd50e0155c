//! Softirqs and bottom halves: work an interrupt handler defers to run right after it, with
//! interrupts enabled but still in atomic context.
//!
//! As in Linux, a softirq raised on a cpu runs on that cpu at the next of: the exit of the
//! outermost hard interrupt ([`crate::irq_exit`]), the `local_bh_enable()` that re-enables
//! bottom halves, or an explicit [`do_softirq`]. While it runs, the preempt count holds
//! `SOFTIRQ_OFFSET` (so [`in_serving_softirq`] and `in_atomic()` are true and a sleep is
//! reported), and interrupts are enabled. `local_bh_disable()` adds `SOFTIRQ_DISABLE_OFFSET`
//! (twice `SOFTIRQ_OFFSET`), which defers softirqs on this cpu and makes [`in_softirq`] true
//! but not [`in_serving_softirq`]. There is no ksoftirqd: a softirq raised from task context
//! with bottom halves enabled waits for the next interrupt exit or bh-enable on its cpu.

#[cfg(feature = "debug-preempt")]
use core::panic::Location;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::{Arch, PreemptCountStore};
use crate::machine_state::{CacheLine, MAX_CPUS};
use crate::preempt::preempt_count;
use crate::preempt_count::{PreemptCount, PREEMPT_OFFSET, SOFTIRQ_DISABLE_OFFSET, SOFTIRQ_OFFSET};

/// Number of softirq vectors.
pub const NR_SOFTIRQS: usize = 10;

/// How often one softirq run goes round again when handlers raise more work, before it leaves
/// the rest for the next opportunity (Linux's MAX_SOFTIRQ_RESTART).
const MAX_SOFTIRQ_RESTART: u32 = 10;

/// The softirq vectors, in Linux's order (lower numbers run first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Softirq {
    /// High-priority tasklets.
    Hi = 0,
    /// Timer callbacks.
    Timer = 1,
    /// Network transmit.
    NetTx = 2,
    /// Network receive.
    NetRx = 3,
    /// Block-device completions.
    Block = 4,
    /// Interrupt polling.
    IrqPoll = 5,
    /// Tasklets.
    Tasklet = 6,
    /// Scheduler balancing.
    Sched = 7,
    /// High-resolution timers.
    Hrtimer = 8,
    /// RCU callbacks.
    Rcu = 9,
}

impl Softirq {
    /// Linux's name for the vector, as /proc/softirqs prints it.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn name(self) -> &'static str {
        match self {
            Softirq::Hi => "HI",
            Softirq::Timer => "TIMER",
            Softirq::NetTx => "NET_TX",
            Softirq::NetRx => "NET_RX",
            Softirq::Block => "BLOCK",
            Softirq::IrqPoll => "IRQ_POLL",
            Softirq::Tasklet => "TASKLET",
            Softirq::Sched => "SCHED",
            Softirq::Hrtimer => "HRTIMER",
            Softirq::Rcu => "RCU",
        }
    }

    const fn bit(self) -> u32 {
        1 << self as u8
    }
}

/// One handler per vector.
type HandlerTable = [Option<fn()>; NR_SOFTIRQS];

/// The softirq half of [`crate::machine_state::MachineState`]: handlers and per-cpu pending
/// masks.
pub(crate) struct Softirqs {
    handlers: spin::Mutex<HandlerTable>,
    pending: [CacheLine<AtomicU32>; MAX_CPUS],
}

impl Softirqs {
    pub(crate) const fn new() -> Self {
        Self {
            handlers: spin::Mutex::new([None; NR_SOFTIRQS]),
            pending: [const { CacheLine(AtomicU32::new(0)) }; MAX_CPUS],
        }
    }
}

fn this_cpu_pending<A: Arch>() -> &'static AtomicU32 {
    &A::machine_state().softirqs.pending[A::cpu_id() as usize].0
}

/// Installs `handler` for softirq `nr` (replacing an earlier one), as Linux's open_softirq().
/// A raised softirq with no handler is consumed and does nothing.
///
/// # Context
/// Never sleeps; task context at initialisation (it takes the short lock under which softirqs copy the table).
pub fn open_softirq<A: Arch>(nr: Softirq, handler: fn()) {
    let flags = crate::irq::local_irq_save::<A>();
    A::machine_state().softirqs.handlers.lock()[nr as usize] = Some(handler);
    crate::irq::local_irq_restore::<A>(flags);
}

/// Marks softirq `nr` pending on this cpu, with interrupts already masked.
///
/// # Context
/// Never sleeps; any context with interrupts masked (an interrupt handler, say).
#[inline]
pub fn raise_softirq_irqoff<A: Arch>(nr: Softirq) {
    this_cpu_pending::<A>().fetch_or(nr.bit(), Ordering::Relaxed);
}

/// Marks softirq `nr` pending on this cpu. It runs at this cpu's next interrupt exit or
/// bh-enable.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn raise_softirq<A: Arch>(nr: Softirq) {
    let flags = crate::irq::local_irq_save::<A>();
    raise_softirq_irqoff::<A>(nr);
    crate::irq::local_irq_restore::<A>(flags);
}

/// The softirqs pending on this cpu, one bit per [`Softirq`].
///
/// # Context
/// Never sleeps; any context (the value may change under it unless interrupts are masked).
#[inline]
pub fn local_softirq_pending<A: Arch>() -> u32 {
    this_cpu_pending::<A>().load(Ordering::Relaxed)
}

/// Whether bottom halves are disabled or a softirq is being served on this cpu: the softirq
/// field of the preempt count is not zero.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_softirq<A: Arch>() -> bool {
    PreemptCount::from_bits_retain(preempt_count::<A>()).intersects(PreemptCount::SOFTIRQ)
}

/// Whether this cpu is running a softirq handler (not merely with bottom halves disabled).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn in_serving_softirq<A: Arch>() -> bool {
    preempt_count::<A>() & SOFTIRQ_OFFSET != 0
}

/// Disables bottom halves on this cpu: softirqs raised meanwhile wait for the matching
/// [`local_bh_enable`]. It also keeps the task on its cpu, as a raised preempt count does.
///
/// # Context
/// Never sleeps; task or hardirq-free context. Must be paired with [`local_bh_enable`] on the
/// same task; the task must not sleep in between.
#[inline(always)]
#[track_caller]
pub fn local_bh_disable<A: Arch>() {
    A::PreemptCount::add(SOFTIRQ_DISABLE_OFFSET);
    #[cfg(feature = "debug-preempt")]
    crate::preempt::note_preempt_off::<A>(SOFTIRQ_DISABLE_OFFSET, Location::caller());
    A::compiler_barrier();
}

/// Re-enables bottom halves; runs the softirqs that became pending meanwhile when this was the
/// outermost level and interrupts are enabled, then (with `preempt`) reschedules if a
/// reschedule is pending and the count reached zero.
///
/// # Context
/// May sleep (reschedule) with `preempt`; callable wherever the matching
/// [`local_bh_disable`] was, with interrupts enabled (with interrupts masked the softirqs stay
/// pending). With `debug-preempt`, a call with bottom halves not disabled is reported and
/// changes nothing.
#[inline(always)]
#[track_caller]
pub fn local_bh_enable<A: Arch>() {
    A::compiler_barrier();
    #[cfg(feature = "debug-preempt")]
    if preempt_count::<A>() & PreemptCount::SOFTIRQ.bits() < SOFTIRQ_DISABLE_OFFSET {
        crate::warn::debug_locks_warn::<A>(
            "(preempt_count() & SOFTIRQ_MASK) < SOFTIRQ_DISABLE_OFFSET",
            Location::caller(),
        );
        return;
    }
    // Keep one preempt level while the softirqs run, so that the task stays on this cpu and
    // its pending mask stays the one looked at (Linux's `cnt - 1`).
    A::PreemptCount::sub(SOFTIRQ_DISABLE_OFFSET - PREEMPT_OFFSET);
    if local_softirq_pending::<A>() != 0 {
        do_softirq_after_bh::<A>();
    }
    #[cfg(feature = "preempt")]
    if A::PreemptCount::sub_and_test(PREEMPT_OFFSET) {
        A::preempt_schedule();
    }
    #[cfg(not(feature = "preempt"))]
    A::PreemptCount::sub(PREEMPT_OFFSET);
}

#[cold]
#[inline(never)]
fn do_softirq_after_bh<A: Arch>() {
    // The one preempt level kept by local_bh_enable() is not interrupt context.
    if crate::preempt::in_interrupt::<A>() || A::irqs_disabled() {
        return;
    }
    let flags = crate::irq::local_irq_save::<A>();
    if local_softirq_pending::<A>() != 0 {
        run_pending::<A>();
    }
    crate::irq::local_irq_restore::<A>(flags);
}

/// Runs this cpu's pending softirqs now, unless in interrupt context or with bottom halves
/// disabled (then they run when that ends). Linux's do_softirq().
///
/// # Context
/// Never sleeps itself (handlers must not either); any context. Interrupts are enabled while
/// the handlers run and restored after.
pub fn do_softirq<A: Arch>() {
    if crate::preempt::in_interrupt::<A>() {
        return;
    }
    let flags = crate::irq::local_irq_save::<A>();
    if local_softirq_pending::<A>() != 0 && !crate::preempt::in_interrupt::<A>() {
        run_pending::<A>();
    }
    crate::irq::local_irq_restore::<A>(flags);
}

/// Linux's `__do_softirq()`: with interrupts masked on entry and exit, serves the pending
/// softirqs with `SOFTIRQ_OFFSET` held and interrupts enabled around the handlers.
pub(crate) fn run_pending<A: Arch>() {
    A::PreemptCount::add(SOFTIRQ_OFFSET);
    A::compiler_barrier();
    let mut restarts = MAX_SOFTIRQ_RESTART;
    loop {
        // The count holds SOFTIRQ_OFFSET, so the task cannot move: this cpu's mask stays ours.
        let pending = this_cpu_pending::<A>().swap(0, Ordering::Relaxed);
        crate::irq::local_irq_enable::<A>();
        let handlers = *A::machine_state().softirqs.handlers.lock();
        for (nr, handler) in handlers.iter().enumerate() {
            if pending & (1 << nr) != 0 {
                if let Some(handler) = handler {
                    handler();
                }
            }
        }
        crate::irq::local_irq_disable::<A>();
        restarts -= 1;
        if local_softirq_pending::<A>() == 0 || restarts == 0 {
            break;
        }
    }
    A::compiler_barrier();
    A::PreemptCount::sub(SOFTIRQ_OFFSET);
}

/// Keeps bottom halves disabled until dropped.
///
/// # Context
/// Creating it never sleeps; dropping it runs pending softirqs and may reschedule (see
/// [`local_bh_enable`]).
#[must_use = "bottom halves are re-enabled when the guard is dropped"]
pub struct BhDisabledGuard<A: Arch> {
    _arch: core::marker::PhantomData<A>,
    // Bottom halves are disabled on this cpu for this task: the guard must stay on this thread.
    _not_send: core::marker::PhantomData<*const ()>,
}

impl<A: Arch> BhDisabledGuard<A> {
    /// Disables bottom halves and returns the guard that re-enables them.
    ///
    /// # Context
    /// Never sleeps; task context.
    #[inline(always)]
    #[track_caller]
    pub fn disable() -> Self {
        local_bh_disable::<A>();
        Self {
            _arch: core::marker::PhantomData,
            _not_send: core::marker::PhantomData,
        }
    }
}

impl<A: Arch> Drop for BhDisabledGuard<A> {
    #[inline(always)]
    fn drop(&mut self) {
        local_bh_enable::<A>();
    }
}
