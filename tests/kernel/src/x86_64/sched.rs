//! The x86_64 half of the scheduler (the portable half is `crate::sched`): the current task in
//! the per-cpu area behind gs, the stack switch, the rescheduling IPI through the local APIC,
//! `sti; hlt` to wait (the tick or an IPI ends it), and the tick from the local APIC timer
//! (`timer.rs`).
//!
//! The per-cpu preempt count is not part of a task's saved state (see `percpu.rs`), as on
//! Linux x86 today; the scheduler clears it if a task schedules while atomic.

use crate::sched::{SchedHooks, Task};

use super::{apic, context, cpu, exit, percpu, smp, timer, X86};

// SAFETY: `current`/`set_current` are one gs-relative load and store of the per-cpu current
// pointer; `context::switch` saves and restores every callee-saved register of the SysV ABI.
unsafe impl SchedHooks for X86 {
    fn nr_cpus() -> u32 {
        crate::online_cpus::nr_cpus()
    }

    unsafe fn install_cpu(cpu: usize, idle: &'static Task) {
        // SAFETY: the caller's contract (once per cpu, on that cpu, before per-cpu use).
        unsafe { percpu::install(cpu, idle) }
    }

    #[inline(always)]
    fn current() -> &'static Task {
        // SAFETY: the per-cpu current pointer always points at a static task (idle or pool).
        unsafe { &*percpu::current() }
    }

    unsafe fn set_current(task: &'static Task) {
        // SAFETY: the caller's contract (interrupts masked, task about to run here).
        unsafe { percpu::set_current(task) }
    }

    unsafe fn switch_stacks(save_sp: *mut usize, next_sp: usize) {
        // SAFETY: the caller's contract is context::switch's.
        unsafe { context::switch(save_sp, next_sp) }
    }

    unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
        // SAFETY: the caller's contract is context::initial_stack's.
        unsafe { context::initial_stack(stack_top, entry) }
    }

    fn send_resched_ipi(cpu: u32) {
        apic::send_ipi(smp::apic_id(cpu as usize), apic::VECTOR_RESCHED);
    }

    fn disable_irqs() {
        cpu::disable_irqs();
    }

    unsafe fn enable_irqs() {
        // SAFETY: the caller's contract.
        unsafe { cpu::enable_irqs() }
    }

    unsafe fn enable_irqs_and_wait() {
        // SAFETY: the caller's contract; `sti; hlt` cannot miss an interrupt in between.
        unsafe { cpu::enable_irqs_and_halt() }
    }

    fn arm_tick(period_ns: u64) {
        timer::arm(period_ns);
    }

    fn exit(success: bool) -> ! {
        exit(success)
    }
}
