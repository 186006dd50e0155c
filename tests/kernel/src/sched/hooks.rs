//! What the portable scheduler needs from an arch.

use mightfault_core::Arch;

use super::task::Task;

/// The arch-specific half of the scheduler. Interrupt masking, the preempt count and the
/// console come from [`Arch`].
///
/// # Safety
/// Implementors promise that [`SchedHooks::current`] returns what the last
/// [`SchedHooks::set_current`] on this cpu stored, and that the stack switch saves and restores
/// every register the arch's calling convention expects a call to preserve.
pub unsafe trait SchedHooks: Arch {
    /// Number of cpus brought up (at most [`super::MAX_CPUS`]).
    fn nr_cpus() -> u32;

    /// Sets up this cpu's per-cpu area with `idle` as its current task.
    ///
    /// # Safety
    /// Once per cpu, on that cpu, before anything reads per-cpu data.
    unsafe fn install_cpu(cpu: usize, idle: &'static Task);

    /// The task running on this cpu.
    fn current() -> &'static Task;

    /// Makes `task` this cpu's current task.
    ///
    /// # Safety
    /// Interrupts masked; `task` is about to run on this cpu.
    unsafe fn set_current(task: &'static Task);

    /// Saves the running context's stack pointer in `*save_sp` and continues the context saved
    /// at `next_sp`; returns when some cpu switches back.
    ///
    /// # Safety
    /// Interrupts masked; `next_sp` came from an earlier switch or [`SchedHooks::initial_stack`]
    /// and that context is not running anywhere.
    unsafe fn switch_stacks(save_sp: *mut usize, next_sp: usize);

    /// Prepares a fresh stack whose first switch enters `entry`; returns its stack pointer.
    ///
    /// # Safety
    /// `stack_top` is the 16-byte-aligned end of an unused stack.
    unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize;

    /// Interrupts cpu `cpu` so that it looks at its run queue (it calls [`super::resched_ipi`]).
    fn send_resched_ipi(cpu: u32);

    /// Masks interrupts on this cpu.
    fn disable_irqs();

    /// Unmasks interrupts on this cpu.
    ///
    /// # Safety
    /// The cpu is fully up and nothing on it relies on interrupts staying masked.
    unsafe fn enable_irqs();

    /// Unmasks interrupts and waits for one, without missing one that arrives in between.
    ///
    /// # Safety
    /// The cpu is fully up; called with interrupts masked.
    unsafe fn enable_irqs_and_wait();

    /// Programs this cpu's timer to interrupt once, `period_ns` from now; its handler calls
    /// [`super::timer_interrupt`] (which re-arms it) and then [`super::irq_return`].
    ///
    /// # Context
    /// Never sleeps; this cpu, interrupts masked.
    fn arm_tick(period_ns: u64);

    /// Stops the machine with a verdict (a broken stack canary ends the run).
    fn exit(success: bool) -> !;
}
