//! Linux's `__schedule_bug()`: the report a scheduler prints when a task switches away with a
//! raised preempt count (a spinlock held, preemption disabled) — the sleep that
//! `might_sleep()` exists to catch earlier, caught at the switch itself.
//!
//! ```text
//! BUG: scheduling while atomic: seed/1/0x00000001
//! 1 lock held by seed/1:
//!  #0: ffffffff8022fb88 (seed_lock){....}-{2:2}, at: ...
//! Modules linked in:
//! Preemption disabled at:
//! [<ffffffff80112060>] ...
//! CPU: 0 UID: 0 PID: 1 Comm: seed Not tainted 0.1.0 #1 NONE
//! Call Trace:
//! ...
//! ```

use core::fmt::{self, Write};

use crate::arch::Arch;

/// Prints the scheduling-while-atomic report for the running task, whose preempt count is
/// `count`, and taints the machine with TAINT_WARN. The scheduler calls it before switching
/// away and then drops the count to 0, as Linux does.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked, before it switches away.
#[cold]
#[inline(never)]
pub fn report_scheduling_while_atomic<A: Arch>(count: u32) {
    crate::console::report_with_trace::<A>(|out, marker| write_report::<A>(out, count, marker));
    crate::taint::add_taint::<A>(crate::taint::TAINT_WARN);
}

fn write_report<A: Arch>(out: &mut dyn Write, count: u32, marker: usize) -> fmt::Result {
    let task = A::current_task();
    writeln!(
        out,
        "BUG: scheduling while atomic: {}/{}/{:#010x}",
        task.name(),
        task.pid(),
        count
    )?;
    #[cfg(feature = "debug-atomic-sleep")]
    crate::might_sleep::write_held_locks::<A>(out)?;
    writeln!(out, "Modules linked in:")?;
    #[cfg(all(feature = "debug-atomic-sleep", feature = "debug-preempt"))]
    crate::might_sleep::write_preempt_disable_ip::<A>(out, count)?;
    crate::dump_stack::write_dump_stack::<A>(out, marker)
}
