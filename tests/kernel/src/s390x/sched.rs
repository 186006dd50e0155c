//! The s390x half of the scheduler (the portable half is `crate::sched`): the current task in
//! the lowcore, the stack switch, the emergency signal as rescheduling IPI, the clock
//! comparator as the per-cpu tick, and an enabled-wait PSW to idle.
//!
//! The preempt count lives in the task (core's `TaskPreemptCount`), as Linux keeps it in
//! `thread_info` here, so it moves with a task that migrates. So does the may-not-sleep word
//! it is part of with debug-atomic-sleep, irqs-off flag included; the portable `schedule()`
//! checks the flag on both sides of every switch.

use crate::sched::{SchedHooks, Task};

use super::entry::{mf_s390_switch, mf_s390_task_start, ABI_SAVE_AREA, SWITCH_FRAME};
use super::lowcore as lc;
use super::{cpu, exit, smp, S390};

/// Slot of r6 in the switch frame.
const SWITCH_R6: usize = 0;
/// Slot of r14 in the switch frame (r6 first).
const SWITCH_R14: usize = 8;

/// The shortest tick period `arm_tick` programs: well above one interruption round trip
/// under TCG, so the interrupted code always gets to run between two ticks.
const MIN_TICK_NS: u64 = 50_000;

// SAFETY: `current`/`set_current` read and write the lowcore's CURRENT field of the running cpu
// (at address 0, which prefixing makes per-cpu); `mf_s390_switch` saves and restores r6-r15,
// every register the s390x ABI has a callee preserve (soft-float: no floating-point registers).
unsafe impl SchedHooks for S390 {
    fn nr_cpus() -> u32 {
        crate::online_cpus::nr_cpus()
    }

    unsafe fn install_cpu(cpu: usize, idle: &'static Task) {
        // SAFETY: the caller's contract: this cpu, before per-cpu reads.
        unsafe {
            lc::write_u32(lc::CPU_NR, cpu as u32);
            lc::write_u64(lc::CURRENT, idle as *const Task as u64);
        }
    }

    #[inline(always)]
    fn current() -> &'static Task {
        // SAFETY: CURRENT always points at a static task (idle or pool) once the cpu is up.
        unsafe { &*(lc::current() as *const Task) }
    }

    unsafe fn set_current(task: &'static Task) {
        // SAFETY: the caller's contract (interrupts masked, task about to run here).
        unsafe { lc::write_u64(lc::CURRENT, task as *const Task as u64) }
        // The word is now `task`'s; the shared schedule() sets a new task's irqs-off flag.
    }

    unsafe fn switch_stacks(save_sp: *mut usize, next_sp: usize) {
        // SAFETY: the caller's contract is the switch's.
        unsafe { mf_s390_switch(save_sp, next_sp) }
    }

    unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
        // The entry runs with r15 = stack_top - 160 (its caller's save area above, back chain 0);
        // the switch frame below it holds r6-r14 with r14 = mf_s390_task_start, which `br %r14`
        // enters and which calls the entry, passed in r6: the entry saves a return address into
        // the stub, where every call trace of the task ends (entry.rs).
        let sp = stack_top - ABI_SAVE_AREA - SWITCH_FRAME;
        let frame = sp as *mut u64;
        // SAFETY: the caller's contract: the stack is unused and ours.
        unsafe {
            for slot in 0..SWITCH_FRAME / 8 {
                frame.add(slot).write(0);
            }
            frame.add(SWITCH_R6).write(entry as usize as u64);
            frame
                .add(SWITCH_R14)
                .write(mf_s390_task_start as *const () as usize as u64);
            ((stack_top - ABI_SAVE_AREA) as *mut u64).write(0);
        }
        sp
    }

    fn send_resched_ipi(cpu: u32) {
        smp::send_resched(cpu);
    }

    fn disable_irqs() {
        cpu::disable_irqs();
    }

    unsafe fn enable_irqs() {
        // SAFETY: the caller's contract.
        unsafe { cpu::enable_irqs() }
    }

    unsafe fn enable_irqs_and_wait() {
        // SAFETY: the caller's contract; the enabled-wait PSW cannot miss an interruption.
        unsafe { cpu::enable_irqs_and_wait() }
    }

    fn arm_tick(period_ns: u64) {
        // The deadline counts from now, never from the previous deadline: a handler (or a
        // stop in the debugger) that overran the period cannot leave a comparator in the past,
        // which would be pending again the moment the interrupted PSW is loaded, before the
        // interrupted code executes one instruction.
        let delta = cpu::ns_to_tod(period_ns.max(MIN_TICK_NS));
        cpu::set_clock_comparator(cpu::tod().saturating_add(delta));
    }

    fn exit(success: bool) -> ! {
        exit(success)
    }
}
