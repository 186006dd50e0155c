//! The scheduler of the bare-metal images, written once for every arch.
//!
//! A small cooperative scheduler: kernel tasks with a pid and a name, one run queue per cpu, an
//! idle task per cpu, sleep and wake-up, and wake-ups the tests can direct to a cpu.
//!
//! - A task runs until it sleeps, yields (`preempt_schedule()` when a reschedule is pending and
//!   preemption is re-enabled, or `cond_resched()`), exits, or (with `preempt`) is preempted on
//!   the return from an interrupt. Every cpu takes a timer tick (see `tick`); a task that used
//!   up its time slice while others wait gets need-resched set.
//! - A preempted task is queued on the cpu with the fewest waiting tasks, the other cpus
//!   looked at first, unless it is pinned (`spawn_pinned`): preempted tasks migrate.
//! - A wake-up queues the task on a chosen cpu and kicks that cpu with the rescheduling IPI (an
//!   idle cpu waits for an interrupt and wakes on it; a busy one notes need-resched).
//! - A task is "on cpu" from the moment a cpu picks it until the next task on that cpu has
//!   finished switching away from it. A waker waits for that before queueing it elsewhere, so no
//!   cpu can resume a stack another cpu is still running on.
//! - The preempt count is the arch's business (per-cpu on x86_64, per-task on s390x and
//!   powerpc64). `schedule()` expects it to be zero, and reports "scheduling while atomic" and
//!   clears it otherwise, as Linux does. The pagefault counter is in the task's `TaskContext`
//!   and moves with it.
//! - Tasks live in a fixed pool of slots with 64 KiB stacks; a slot is recycled once its task
//!   has exited and the cpu has switched off its stack.
//!
//! What differs per arch (the per-cpu current pointer, the stack switch, the IPI, waiting for
//! an interrupt) comes through [`SchedHooks`].

mod api;
mod completion;
mod first_task;
mod hooks;
mod runqueue;
mod switch;
mod task;
mod tick;

pub use api::{
    cond_resched, direct_next_wakeup, exit_current, idle_loop, init_cpu, irq_return,
    preempt_schedule, preempt_schedule_irq, resched_ipi, sleep_for_page_in, sleep_while_other_runs,
    spawn, spawn_pinned, spawn_with_pid, yield_now,
};
pub use completion::Completion;
pub use first_task::spawn_first_task;
pub use hooks::SchedHooks;
pub use task::{Task, MAX_TASKS, TASK_STACK_SIZE};
pub use tick::{
    run_in_hardirq, set_tick_hz, set_time_slice_ticks, switch_stats, tick_period_ns,
    timer_interrupt,
};

/// Most cpus a bare-metal image brings up; arches size their per-cpu tables with it.
pub const MAX_CPUS: usize = 8;

/// The bounds of the running task's stack (`low..high`), for the stack walkers; `None` before
/// the cpu runs a task with a known stack.
///
/// # Context
/// Never sleeps; any context after the cpu is up.
pub fn current_stack_range<H: SchedHooks>() -> Option<(usize, usize)> {
    switch::current_task::<H>().stack_range()
}
