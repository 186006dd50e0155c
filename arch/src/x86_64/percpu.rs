//! The per-cpu area, reached through `gs` (IA32_GS_BASE points at this cpu's [`PerCpu`]), and
//! the per-cpu preempt count that lives in it.
//!
//! Only the hot fields are here, each read or changed by a single gs-relative instruction:
//! the preempt count, the cpu number and the current task. Everything else per-cpu (run queue,
//! GDT/TSS, flush flags) is in arrays indexed by the cpu number, in the module it belongs to.
//!
//! # The preempt count, as modern Linux x86 keeps it
//! - It is per-cpu, not per-task. It is NOT saved and restored on a task switch: the scheduler
//!   switches only when the count is zero (a sleeping-while-atomic bug is reported and the count
//!   reset, as Linux's `schedule_debug()` does), so every task finds the count it left behind.
//!   A task that slept holding a raw count would hand it to the next task on its old cpu; that
//!   is exactly what the count cannot follow, and why the pagefault counter lives in the task.
//! - Need-resched is folded into bit 31, inverted: the bit is SET when no reschedule is pending.
//!   A count of exactly zero therefore means "preemptible and a reschedule is pending", so
//!   `preempt_enable()` is `dec dword ptr gs:[count]` plus one conditional branch.
//! - Changes are single read-modify-write instructions on this cpu's memory. An interrupt on
//!   this cpu sees the count before or after, never half-done, and restores what it changed;
//!   no other cpu ever writes it. No `lock` prefix is needed.
//! - The pagefault-disable counter is not here: it is in the task (`TaskContext`).

use core::arch::asm;
use core::cell::UnsafeCell;

use memoffset::offset_of;
use mightfault_core::{PreemptCountStore, TaskContext};

use super::cpu::{wrmsr, MSR_GS_BASE};
use crate::sched::Task;

pub use crate::sched::MAX_CPUS;

/// The inverted need-resched bit: set = no reschedule pending.
pub const PREEMPT_NEED_RESCHED: u32 = 0x8000_0000;

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
            preempt_count: UnsafeCell::new(PREEMPT_NEED_RESCHED),
            cpu: UnsafeCell::new(0),
            current: UnsafeCell::new(core::ptr::null()),
        }
    }
}

// SAFETY: each area is written by its own cpu only (through gs), except once by install() before
// that cpu uses it; the fields are UnsafeCells so that the asm writes are not writes to
// immutable memory.
unsafe impl Sync for PerCpu {}

const OFF_PREEMPT_COUNT: usize = offset_of!(PerCpu, preempt_count);
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
        *area.preempt_count.get() = PREEMPT_NEED_RESCHED;
        *area.cpu.get() = cpu as u32;
        *area.current.get() = idle;
        wrmsr(MSR_GS_BASE, area as *const PerCpu as u64);
    }
}

/// This cpu's number: one gs-relative load.
///
/// # Context
/// Never sleeps; any context after cpu bring-up. The value can change across a sleep.
#[inline(always)]
pub fn cpu_id() -> u32 {
    let cpu: u32;
    // SAFETY: gs points at this cpu's PerCpu (install()); the load reads its cpu field.
    unsafe {
        asm!("mov {:e}, dword ptr gs:[{off}]", out(reg) cpu, off = const OFF_CPU,
             options(nostack, readonly, preserves_flags))
    }
    cpu
}

/// The running task: one gs-relative load.
///
/// # Context
/// Never sleeps; any context after cpu bring-up.
#[inline(always)]
pub fn current() -> *const Task {
    let task: *const Task;
    // SAFETY: gs points at this cpu's PerCpu; the load reads its current field.
    unsafe {
        asm!("mov {}, qword ptr gs:[{off}]", out(reg) task, off = const OFF_CURRENT,
             options(nostack, readonly, preserves_flags))
    }
    task
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
    // SAFETY: gs points at this cpu's PerCpu; the store writes its current field.
    unsafe {
        asm!("mov qword ptr gs:[{off}], {}", in(reg) task, off = const OFF_CURRENT,
             options(nostack, preserves_flags))
    }
}

/// The raw per-cpu count word, need-resched bit included (for reports and the scheduler).
///
/// # Context
/// Never sleeps; any context after cpu bring-up.
#[inline(always)]
pub fn raw_preempt_count() -> u32 {
    let raw: u32;
    // SAFETY: gs points at this cpu's PerCpu; the load reads its preempt_count field.
    unsafe {
        asm!("mov {:e}, dword ptr gs:[{off}]", out(reg) raw, off = const OFF_PREEMPT_COUNT,
             options(nostack, readonly, preserves_flags))
    }
    raw
}

/// Clears the count (keeping need-resched) after a scheduling-while-atomic report, as Linux's
/// `schedule_debug()` does, so one bug does not poison every later task on this cpu.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked.
pub fn reset_preempt_count() {
    // SAFETY: gs points at this cpu's PerCpu; one RMW of its own count.
    unsafe {
        asm!("and dword ptr gs:[{off}], {mask}", off = const OFF_PREEMPT_COUNT,
             mask = const PREEMPT_NEED_RESCHED, options(nostack))
    }
}

/// `add dword ptr gs:[count], $imm` for the offsets the core uses, so that each becomes a
/// single instruction with an immediate (asm! has no "register or immediate" operand; after
/// inlining the match folds to one arm).
macro_rules! gs_count_rmw {
    ($op:literal, $val:expr, [$($imm:literal),*]) => {
        match $val {
            $(
                $imm => {
                    // SAFETY: gs points at this cpu's PerCpu; one RMW of its own count.
                    unsafe {
                        asm!(concat!($op, " dword ptr gs:[{off}], ", stringify!($imm)),
                             off = const OFF_PREEMPT_COUNT, options(nostack))
                    }
                }
            )*
            other => {
                // SAFETY: as above, with the value in a register.
                unsafe {
                    asm!(concat!($op, " dword ptr gs:[{off}], {val:e}"),
                         off = const OFF_PREEMPT_COUNT, val = in(reg) other, options(nostack))
                }
            }
        }
    };
}

/// The per-cpu preempt count of x86_64 (see the module documentation for the layout).
pub struct PerCpuPreemptCount;

impl PreemptCountStore for PerCpuPreemptCount {
    #[inline(always)]
    fn count() -> u32 {
        raw_preempt_count() & !PREEMPT_NEED_RESCHED
    }

    #[inline(always)]
    fn add(val: u32) {
        // PREEMPT_OFFSET, SOFTIRQ_OFFSET, SOFTIRQ_DISABLE_OFFSET, HARDIRQ_OFFSET, NMI_OFFSET.
        gs_count_rmw!("add", val, [1, 0x100, 0x200, 0x10000, 0x100000]);
    }

    #[inline(always)]
    fn sub(val: u32) {
        gs_count_rmw!("sub", val, [1, 0x100, 0x200, 0x10000, 0x100000]);
    }

    #[inline(always)]
    fn sub_and_test(val: u32) -> bool {
        if val == 1 {
            // Linux's `decl %gs:__preempt_count; je preempt_schedule`: zero means the count
            // dropped to 0 AND the inverted need-resched bit is clear.
            // SAFETY: gs points at this cpu's PerCpu; one RMW of its own count, then a branch.
            unsafe {
                asm!("dec dword ptr gs:[{off}]", "jz {resched}", off = const OFF_PREEMPT_COUNT,
                     resched = label { return true; }, options(nostack))
            }
            false
        } else {
            let zero: u8;
            // SAFETY: as above, with the value in a register and the result in a byte.
            unsafe {
                asm!("sub dword ptr gs:[{off}], {val:e}", "setz {zero}",
                     off = const OFF_PREEMPT_COUNT, val = in(reg) val, zero = out(reg_byte) zero,
                     options(nostack))
            }
            zero != 0
        }
    }

    #[inline(always)]
    fn need_resched() -> bool {
        raw_preempt_count() & PREEMPT_NEED_RESCHED == 0
    }

    #[inline(always)]
    fn set_need_resched() {
        // SAFETY: gs points at this cpu's PerCpu; clearing the inverted bit marks a reschedule.
        unsafe {
            asm!("and dword ptr gs:[{off}], {mask}", off = const OFF_PREEMPT_COUNT,
                 mask = const !PREEMPT_NEED_RESCHED, options(nostack))
        }
    }

    #[inline(always)]
    fn clear_need_resched() {
        // SAFETY: gs points at this cpu's PerCpu; setting the inverted bit clears the request.
        unsafe {
            asm!("or dword ptr gs:[{off}], {mask}", off = const OFF_PREEMPT_COUNT,
                 mask = const PREEMPT_NEED_RESCHED, options(nostack))
        }
    }
}
