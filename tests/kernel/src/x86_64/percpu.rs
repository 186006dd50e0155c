//! The per-cpu area, reached through `gs` (IA32_GS_BASE points at this cpu's [`PerCpu`]), and
//! the per-cpu preempt count that lives in it.
//!
//! Only the hot fields are here, each read or changed by a single gs-relative instruction:
//! the preempt count, the cpu number and the current task. Everything else per-cpu (run queue,
//! GDT/TSS, flush flags) is in arrays indexed by the cpu number, in the module it belongs to.
//!
//! The preempt count is the library's `GsPreemptCount` (need-resched folded inverted into bit
//! 31), placed at this area's `preempt_count` field (`super::contract::CountAt`). The
//! pagefault-disable counter is not here: it is in the task (`TaskContext`).

use core::cell::UnsafeCell;

use memoffset::offset_of;
use mightfault_arch::x86_64::percpu as gs;
use mightfault_arch::x86_64::preempt_count::PREEMPT_ENABLED;
use mightfault_core::TaskContext;

use super::contract::PerCpuPreemptCount;
use super::cpu::{wrmsr, MSR_GS_BASE};
use crate::sched::Task;

pub use crate::sched::MAX_CPUS;

/// This cpu's hot per-cpu fields. `#[repr(C)]` so the offsets below are stable and can be used
/// as `asm!` constants.
#[repr(C, align(64))]
pub struct PerCpu {
    /// The preempt count with need-resched folded inverted into bit 31.
    preempt_count: UnsafeCell<u32>,
    /// This cpu's number (0 = the boot cpu).
    cpu: UnsafeCell<u32>,
    /// The task running on this cpu; its `TaskContext` is at offset 0 of the task.
    current: UnsafeCell<*const Task>,
}

impl PerCpu {
    const fn new() -> Self {
        Self {
            preempt_count: UnsafeCell::new(PREEMPT_ENABLED),
            cpu: UnsafeCell::new(0),
            current: UnsafeCell::new(core::ptr::null()),
        }
    }
}

// SAFETY: each area is written by its own cpu only (through gs), except once by install() before
// that cpu uses it; the fields are UnsafeCells so that the asm writes are not writes to
// immutable memory.
unsafe impl Sync for PerCpu {}

pub(super) const OFF_PREEMPT_COUNT: usize = offset_of!(PerCpu, preempt_count);
const OFF_CPU: usize = offset_of!(PerCpu, cpu);
const OFF_CURRENT: usize = offset_of!(PerCpu, current);

static PERCPU: [PerCpu; MAX_CPUS] = [const { PerCpu::new() }; MAX_CPUS];

/// Sets up cpu `cpu`'s area with `idle` as its current task and points this cpu's `gs` at it.
///
/// # Safety
/// Called once per cpu, on that cpu, after its GDT is loaded (loading a null `gs` selector
/// would clear the base again) and before anything reads per-cpu data; `idle` must stay valid.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn install(cpu: usize, idle: *const Task) {
    let area = &PERCPU[cpu];
    // SAFETY: nothing uses this area yet (its cpu is the caller and has not set gs), so plain
    // writes through the cells race with nothing.
    unsafe {
        *area.preempt_count.get() = PREEMPT_ENABLED;
        *area.cpu.get() = cpu as u32;
        *area.current.get() = idle;
        wrmsr(MSR_GS_BASE, area as *const PerCpu as u64);
    }
    // Bring-up runs with interrupts masked (the boot and AP entries begin with `cli`), so the
    // word starts with its irqs-off flag set: the first `local_irq_*` or interrupt entry then
    // finds it exact. Nothing before this point can test the word (there is no gs yet).
    mightfault_core::trace_hardirqs_off::<super::X86>();
}

/// This cpu's number: one gs-relative load.
///
/// # Context
/// Never sleeps; any context after cpu bring-up. The value can change across a sleep.
#[inline(always)]
pub fn cpu_id() -> u32 {
    // SAFETY: gs points at this cpu's PerCpu (install()), whose cpu field is a u32.
    unsafe { gs::read_u32::<OFF_CPU>() }
}

/// The running task: one gs-relative load.
///
/// # Context
/// Never sleeps; any context after cpu bring-up.
#[inline(always)]
pub fn current() -> *const Task {
    // SAFETY: gs points at this cpu's PerCpu, whose current field is a pointer.
    unsafe { gs::read_usize::<OFF_CURRENT>() as *const Task }
}

/// The running task's `TaskContext` (at offset 0 of the task): one gs-relative load.
///
/// # Context
/// Never sleeps; any context after cpu bring-up.
#[inline(always)]
pub fn current_task_context() -> &'static TaskContext {
    // SAFETY: current is never null after install() (it starts as the idle task), tasks live in
    // static slots, and a `Task` is `#[repr(C)]` with its UnsafeCell<TaskContext> first (an
    // UnsafeCell has its content's layout), so the pointer is a valid &TaskContext.
    unsafe { &*(current() as *const TaskContext) }
}

/// Makes `task` this cpu's current task (the scheduler, just before switching stacks).
///
/// # Safety
/// `task` must be the task this cpu is about to run, valid while it can run.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked.
#[inline(always)]
pub unsafe fn set_current(task: *const Task) {
    // SAFETY: gs points at this cpu's PerCpu, whose current field is a pointer in an UnsafeCell.
    unsafe { gs::write_usize::<OFF_CURRENT>(task as usize) }
}

/// The raw per-cpu count word, need-resched bit included (for reports and the scheduler).
///
/// # Context
/// Never sleeps; any context after cpu bring-up.
#[inline(always)]
pub fn raw_preempt_count() -> u32 {
    PerCpuPreemptCount::raw()
}

/// Clears the count (keeping need-resched) after a scheduling-while-atomic report.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked.
pub fn reset_preempt_count() {
    PerCpuPreemptCount::reset();
}
