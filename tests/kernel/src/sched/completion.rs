//! Counting completions: one task sleeps until others have each reported in.

use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use super::hooks::SchedHooks;
use super::switch::{current_task, schedule, wake_on};
use super::task::{State, Task};

/// Counts down completions and wakes the one task waiting for the count to reach zero (the
/// boot self-test waits for its per-cpu tasks with it).
pub struct Completion {
    remaining: AtomicU32,
    waiter: AtomicPtr<Task>,
}

impl Completion {
    /// A completion that needs `count` calls of [`Completion::complete_one`].
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`).
    pub const fn new(count: u32) -> Self {
        Self {
            remaining: AtomicU32::new(count),
            waiter: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Re-arms the completion for `count` more completions (no task may be waiting).
    ///
    /// # Context
    /// Never sleeps; task context.
    pub fn reset(&self, count: u32) {
        self.waiter.store(ptr::null_mut(), Ordering::SeqCst);
        self.remaining.store(count, Ordering::SeqCst);
    }

    /// Counts one completion; the last one wakes the waiter on the cpu it last ran on.
    ///
    /// # Context
    /// Never sleeps; task context.
    pub fn complete_one<H: SchedHooks>(&self) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            let waiter = self.waiter.load(Ordering::SeqCst);
            if !waiter.is_null() {
                // SAFETY: the waiter is a static task, asleep in wait() or about to be.
                let waiter = unsafe { &*waiter };
                wake_on::<H>(waiter, waiter.cpu.load(Ordering::Relaxed));
            }
        }
    }

    /// Sleeps until the count reaches zero.
    ///
    /// # Context
    /// Sleeps; task context. One waiter at a time.
    pub fn wait<H: SchedHooks>(&self) {
        let me = current_task::<H>();
        self.waiter
            .store(me as *const Task as *mut Task, Ordering::SeqCst);
        loop {
            let flags = mightfault_core::local_irq_save::<H>();
            me.set_state(State::Sleeping);
            if self.remaining.load(Ordering::SeqCst) == 0 {
                me.set_state(State::Running);
                mightfault_core::local_irq_restore::<H>(flags);
                return;
            }
            me.context().note_voluntary_switch();
            schedule::<H>();
            mightfault_core::local_irq_restore::<H>(flags);
        }
    }
}
