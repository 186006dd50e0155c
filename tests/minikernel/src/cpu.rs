//! This kernel's per-cpu area, and the preempt-count store that lives in it.

use core::cell::Cell;

use mightfault_core::PreemptCountStore;

use crate::machine::machine;

/// The inverted need-resched bit, as x86_64 folds it: set = no reschedule pending, so that a
/// word of exactly zero means "preemptible and a reschedule is pending".
const NO_RESCHED: u32 = 0x8000_0000;

/// One cpu's per-cpu area.
pub struct Cpu {
    id: u32,
    preempt_count: Cell<u32>,
    irqs_off: Cell<bool>,
}

impl Cpu {
    /// A cpu that has just come up: count 0, no reschedule pending, interrupts on.
    ///
    /// # Context
    /// Never sleeps; machine set-up.
    pub const fn new(id: u32) -> Self {
        Self {
            id,
            preempt_count: Cell::new(NO_RESCHED),
            irqs_off: Cell::new(false),
        }
    }

    /// The cpu's number.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Whether this cpu has interrupts masked.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn irqs_off(&self) -> bool {
        self.irqs_off.get()
    }

    /// Masks (`true`) or unmasks interrupts on this cpu; returns whether they were masked.
    ///
    /// # Context
    /// Never sleeps; any context on this cpu.
    pub fn set_irqs_off(&self, off: bool) -> bool {
        self.irqs_off.replace(off)
    }

    /// The raw count word, need-resched bit included.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn raw_preempt_count(&self) -> u32 {
        self.preempt_count.get()
    }

    fn update(&self, change: impl FnOnce(u32) -> u32) -> u32 {
        let new = change(self.preempt_count.get());
        self.preempt_count.set(new);
        new
    }
}

/// This kernel's preempt count: a word in the running cpu's area. It does not follow a task
/// that sleeps on one cpu and wakes on another, which is why mightfault keeps the pagefault
/// counter in the task.
pub struct PerCpuCount;

fn this_cpu() -> &'static Cpu {
    machine().this_cpu()
}

impl PreemptCountStore for PerCpuCount {
    // The count is the cpu's: a task switch hands the task's own fields over.
    const KEPT_PER_CPU: bool = true;

    fn count() -> u32 {
        this_cpu().raw_preempt_count() & !NO_RESCHED
    }

    fn add(val: u32) {
        this_cpu().update(|word| word.wrapping_add(val));
    }

    fn sub(val: u32) {
        this_cpu().update(|word| word.wrapping_sub(val));
    }

    fn sub_and_test(val: u32) -> bool {
        this_cpu().update(|word| word.wrapping_sub(val)) == 0
    }

    fn need_resched() -> bool {
        this_cpu().raw_preempt_count() & NO_RESCHED == 0
    }

    fn set_need_resched() {
        this_cpu().update(|word| word & !NO_RESCHED);
    }

    fn clear_need_resched() {
        this_cpu().update(|word| word | NO_RESCHED);
    }
}
