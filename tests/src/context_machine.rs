//! What the `contexts` suite needs from a backend beyond [`SeedMachine`]: more tasks, a tick it
//! can speed up, code run in hard interrupt context, a grace period, and the scheduler's
//! counts of involuntary switches.

use crate::machine::SeedMachine;

/// A machine the `contexts` suite can run on.
pub trait ContextMachine: SeedMachine {
    /// Sets the timer tick of every cpu to `hz` (bare metal) or the simulated interrupt rate
    /// (host), and the time slice to `slice_ticks` ticks.
    ///
    /// # Context
    /// Never sleeps; task context.
    fn set_tick(hz: u32, slice_ticks: u32);

    /// Starts `entry(arg)` as a new task called `name` on cpu `cpu`; with `pinned` it only ever
    /// runs there, otherwise the scheduler may move it when it is preempted.
    ///
    /// # Context
    /// Never sleeps; task context.
    fn spawn(name: &'static str, entry: fn(usize), arg: usize, cpu: u32, pinned: bool);

    /// Gives the cpu to another task queued on it, if any.
    ///
    /// # Context
    /// May sleep (switch); task context, interrupts enabled.
    fn yield_now();

    /// An explicit scheduling point: switches (and may migrate) when a reschedule is pending.
    ///
    /// # Context
    /// May sleep (switch); task context, interrupts enabled, preempt count 0.
    fn cond_resched();

    /// Runs `func(arg)` in hard interrupt context on this cpu (an interrupt that arrives while
    /// the caller waits with interrupts enabled) and returns whether it ran (false: no
    /// interrupt came within a second).
    ///
    /// # Context
    /// Task context, interrupts enabled.
    fn run_in_hardirq(func: fn(usize), arg: usize) -> bool;

    /// Waits for an RCU grace period (`synchronize_rcu`).
    ///
    /// # Context
    /// Sleeps; task context outside any reader.
    fn synchronize_rcu();

    /// Tasks preempted on an interrupt return, and tasks that resumed on another cpu than they
    /// last ran on, since the machine started.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn switch_stats() -> (u64, u64);
}
