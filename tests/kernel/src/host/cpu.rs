//! A simulated cpu: its preempt count (when the count is per-cpu), its interrupt flag, and
//! what its simulated interrupts need (see `irq`).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

use mightfault_core::preempt_count::PreemptCount;
use mightfault_core::PreemptCountStore;

use super::machine::current;

/// One simulated cpu.
pub(crate) struct SimCpu {
    /// The per-cpu preempt count, with need-resched folded in inverted as x86_64 does (bit 31
    /// set means no reschedule is pending), so both encodings get exercised.
    preempt_count: AtomicU32,
    irqs_disabled: AtomicBool,
    /// A simulated interrupt is being delivered on this cpu (none nests inside it).
    pub(crate) delivering: AtomicBool,
    /// The task whose time slice `slice_used` counts (pid; 0: none yet).
    pub(crate) slice_owner: AtomicU32,
    /// Ticks that task has used of its time slice.
    pub(crate) slice_used: AtomicU32,
    /// A function queued by `run_in_hardirq` for this cpu's next interrupt.
    pub(crate) hardirq_work: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl SimCpu {
    pub(crate) fn new() -> Self {
        Self {
            preempt_count: AtomicU32::new(PreemptCount::NEED_RESCHED.bits()),
            irqs_disabled: AtomicBool::new(false),
            delivering: AtomicBool::new(false),
            slice_owner: AtomicU32::new(0),
            slice_used: AtomicU32::new(0),
            hardirq_work: Mutex::new(None),
        }
    }

    pub(crate) fn irqs_disabled(&self) -> bool {
        self.irqs_disabled.load(Ordering::Relaxed)
    }

    /// Sets the interrupt flag; returns the previous one.
    pub(crate) fn set_irqs_disabled(&self, disabled: bool) -> bool {
        self.irqs_disabled.swap(disabled, Ordering::Relaxed)
    }
}

/// The per-cpu placement of the preempt count: the count of the cpu the task runs on now.
///
/// As on x86_64, the count is not saved with the task at a switch: it belongs to the cpu. A
/// task that sleeps with a raised count is reported as scheduling while atomic and the count is
/// cleared (`atomic_schedule`), so the next task on the old cpu does not inherit it.
pub struct SimCpuCount;

fn this_cpu_count() -> &'static AtomicU32 {
    let (machine, task) = current();
    &machine.cpu(task.cpu()).preempt_count
}

const RESCHED: u32 = PreemptCount::NEED_RESCHED.bits();

impl PreemptCountStore for SimCpuCount {
    // The count is the cpu's: a task switch hands the task's own fields over.
    const KEPT_PER_CPU: bool = true;

    fn count() -> u32 {
        this_cpu_count().load(Ordering::Relaxed) & !RESCHED
    }

    fn add(val: u32) {
        this_cpu_count().fetch_add(val, Ordering::Relaxed);
    }

    fn sub(val: u32) {
        this_cpu_count().fetch_sub(val, Ordering::Relaxed);
    }

    fn sub_and_test(val: u32) -> bool {
        // Zero only when the count is zero *and* the inverted resched bit is clear.
        this_cpu_count()
            .fetch_sub(val, Ordering::Relaxed)
            .wrapping_sub(val)
            == 0
    }

    fn need_resched() -> bool {
        this_cpu_count().load(Ordering::Relaxed) & RESCHED == 0
    }

    fn set_need_resched() {
        this_cpu_count().fetch_and(!RESCHED, Ordering::Relaxed);
    }

    fn clear_need_resched() {
        this_cpu_count().fetch_or(RESCHED, Ordering::Relaxed);
    }
}
