//! This kernel's task structure. mightfault needs only the `TaskContext` inside it (identity,
//! the pagefault counter, the held locks); everything else is the kernel's.

use core::cell::Cell;

use mightfault_core::TaskContext;

/// A task of this kernel.
pub struct Task {
    /// What mightfault keeps per task; `Arch::current_task` hands it out.
    pub context: TaskContext,
    /// How many times the task slept and woke on another cpu (this kernel's own bookkeeping).
    migrations: Cell<u32>,
}

impl Task {
    /// A new task.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn new(pid: u32, name: &str) -> Self {
        Self {
            context: TaskContext::new(pid, name),
            migrations: Cell::new(0),
        }
    }

    /// How many times the task woke on another cpu than it slept on.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn migrations(&self) -> u32 {
        self.migrations.get()
    }

    pub(crate) fn note_migration(&self) {
        self.migrations.set(self.migrations.get() + 1);
    }
}
