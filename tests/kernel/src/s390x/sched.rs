//! The s390x half of the scheduler (the portable half is `crate::sched`): the current task in
//! the lowcore, the stack switch, the emergency signal as rescheduling IPI, the clock
//! comparator as the per-cpu tick, and an enabled-wait PSW to idle.
//!
//! The preempt count lives in the task (core's `TaskPreemptCount`), as Linux keeps it in
//! `thread_info` here, so it moves with a task that migrates. So does the may-not-sleep word
//! it is part of with debug-atomic-sleep, irqs-off flag included. Every switch happens with
//! interrupts masked: the portable `schedule()` asserts that the leaving task's flag says so,
//! and this half checks, as the task comes back out of the stack switch on whichever cpu, that
//! its word still does (nothing here may unmask or rewrite it on the way). A task that has
//! never run starts with a zero word, so its flag is set as it is made current: it first runs
//! masked (`task_entry`), as every other task resumes.

use mightfault_core::irq_tracking::irqs_off_flag_in_sync;
use mightfault_core::preempt_count::IRQS_OFF_FLAG;
use mightfault_core::{kprint, may_not_sleep_word};

use crate::sched::{SchedHooks, Task};

use super::entry::{mf_s390_switch, ABI_SAVE_AREA, SWITCH_FRAME};
use super::lowcore as lc;
use super::{cpu, exit, smp, S390};

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
        // Back as the task that called us, on whichever cpu switched to it.
        check_irqs_off_flag_on_resume();
    }

    unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
        // The entry runs with r15 = stack_top - 160 (its caller's save area above, back chain 0);
        // the switch frame below it holds r6-r14 with r14 = entry, which `br %r14` enters.
        let sp = stack_top - ABI_SAVE_AREA - SWITCH_FRAME;
        let frame = sp as *mut u64;
        // SAFETY: the caller's contract: the stack is unused and ours.
        unsafe {
            for slot in 0..SWITCH_FRAME / 8 {
                frame.add(slot).write(0);
            }
            frame.add(SWITCH_R14).write(entry as usize as u64);
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

/// Ends the run when the resumed task's irqs-off flag disagrees with the cpu: the one word
/// might_sleep() tests would then let a sleep through with interrupts masked, or send every
/// check to the slow path. Compiles to nothing without debug-atomic-sleep.
///
/// # Context
/// Never sleeps; the end of the stack switch, interrupts masked.
#[inline(always)]
fn check_irqs_off_flag_on_resume() {
    if !irqs_off_flag_in_sync::<S390>() {
        irqs_off_flag_out_of_sync();
    }
}

#[cold]
#[inline(never)]
fn irqs_off_flag_out_of_sync() -> ! {
    let task = <S390 as SchedHooks>::current().context();
    let word = may_not_sleep_word::<S390>();
    kprint!(
        S390,
        "BUG: irqs-off flag out of sync on resume from a switch: {}/{} word {:#010x} (flag {}), \
         irqs_disabled() {}\n",
        task.name(),
        task.pid(),
        word,
        u8::from(word & IRQS_OFF_FLAG != 0),
        u8::from(cpu::irqs_disabled()),
    );
    exit(false)
}
