//! This kernel's task structure. mightfault needs only the `TaskContext` inside it (identity,
//! the pagefault counter, the held locks); everything else is the kernel's.

use mightfault_core::TaskContext;

/// A task of this kernel.
pub struct Task {
    /// What mightfault keeps per task; `Arch::current_task` hands it out. A real kernel's
    /// task has its own fields beside it (state, stack, address space); this one needs none.
    pub context: TaskContext,
}

impl Task {
    /// A new task.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn new(pid: u32, name: &str) -> Self {
        Self {
            context: TaskContext::new(pid, name),
        }
    }
}
