//! The part of a task that the contract needs: identity, the pagefault counter, the per-task
//! preempt count, and (with `debug-atomic-sleep`) the spinlocks it holds.
//!
//! Backends embed a [`TaskContext`] in their own task structure and hand it out through
//! [`crate::Arch::current_task`].

use core::cell::Cell;
#[cfg(feature = "debug-preempt")]
use core::panic::Location;
use core::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "debug-atomic-sleep")]
use crate::held_locks::HeldLocks;

/// Longest task name kept, as Linux's TASK_COMM_LEN (including room for a terminator).
pub const TASK_COMM_LEN: usize = 16;

/// Per-task state of the contract.
///
/// The counters are plain cells, not atomics: only the task itself changes them (from its own
/// code or from an interrupt nested on the same cpu, which always restores what it changed),
/// so a plain read-modify-write is both correct and the cheapest instruction.
pub struct TaskContext {
    pid: u32,
    comm: [u8; TASK_COMM_LEN],
    comm_len: u8,
    pagefault_disabled: Cell<u32>,
    preempt_count: Cell<u32>,
    need_resched: Cell<bool>,
    voluntary_switches: AtomicU64,
    /// RCU read-side nesting (used with `preempt`; readers disable preemption otherwise).
    rcu_read_lock_nesting: Cell<u32>,
    /// 0, or 1 + the grace-period phase this task was counted in when it was switched out
    /// inside a read-side section.
    rcu_blocked_phase: Cell<u8>,
    #[cfg(feature = "debug-atomic-sleep")]
    held_locks: HeldLocks,
    /// Where the preempt count was last raised from 0: Linux's `current->preempt_disable_ip`.
    /// In the task, not per-cpu, as Linux keeps it, so that the report of a task that carries a
    /// raised count names its own site whichever cpu it is on.
    #[cfg(feature = "debug-preempt")]
    preempt_disable_ip: Cell<Option<&'static Location<'static>>>,
    /// The code address of that site (0 when the backend's walker found none).
    #[cfg(feature = "debug-preempt")]
    preempt_disable_addr: Cell<usize>,
}

// SAFETY: the cells are only written by the task that owns the context while it runs (see the
// type's documentation); other cpus only read the immutable identity and the atomic switch
// count. Backends hand a task from cpu to cpu through their scheduler's lock, which orders
// the owner's earlier writes before its later reads.
unsafe impl Sync for TaskContext {}

impl TaskContext {
    /// A new task context with zeroed counters. Names longer than 15 bytes are cut.
    ///
    /// # Context
    /// Never sleeps; any context (it is a `const fn`).
    pub const fn new(pid: u32, name: &str) -> Self {
        let bytes = name.as_bytes();
        let mut comm = [0u8; TASK_COMM_LEN];
        let mut len = 0;
        while len < bytes.len() && len < TASK_COMM_LEN - 1 {
            comm[len] = bytes[len];
            len += 1;
        }
        Self {
            pid,
            comm,
            comm_len: len as u8,
            pagefault_disabled: Cell::new(0),
            preempt_count: Cell::new(0),
            need_resched: Cell::new(false),
            voluntary_switches: AtomicU64::new(0),
            rcu_read_lock_nesting: Cell::new(0),
            rcu_blocked_phase: Cell::new(0),
            #[cfg(feature = "debug-atomic-sleep")]
            held_locks: HeldLocks::new(),
            #[cfg(feature = "debug-preempt")]
            preempt_disable_ip: Cell::new(None),
            #[cfg(feature = "debug-preempt")]
            preempt_disable_addr: Cell::new(0),
        }
    }

    /// The task's process id.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The task's name.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn name(&self) -> &str {
        let bytes = &self.comm[..self.comm_len as usize];
        // The bytes were cut from a &str; a cut inside a multi-byte character ends the name early.
        match core::str::from_utf8(bytes) {
            Ok(name) => name,
            Err(err) => core::str::from_utf8(&bytes[..err.valid_up_to()]).unwrap_or(""),
        }
    }

    /// How many times the task gave up its cpu voluntarily (slept): Linux's `nvcsw`.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn voluntary_switches(&self) -> u64 {
        self.voluntary_switches.load(Ordering::Relaxed)
    }

    /// Counts one voluntary switch; called by a backend's scheduler when the task sleeps.
    ///
    /// # Context
    /// Never sleeps; called by the scheduler with the task's cpu in its switch path.
    pub fn note_voluntary_switch(&self) {
        self.voluntary_switches.fetch_add(1, Ordering::Relaxed);
    }

    /// The raw pagefault_disable() nesting depth.
    ///
    /// # Context
    /// Never sleeps; only meaningful for the running task.
    pub fn pagefault_disable_depth(&self) -> u32 {
        self.pagefault_disabled.get()
    }

    pub(crate) fn pagefault_disabled_cell(&self) -> &Cell<u32> {
        &self.pagefault_disabled
    }

    /// The per-task preempt count (used by backends that keep the count in the task).
    pub(crate) fn preempt_count_cell(&self) -> &Cell<u32> {
        &self.preempt_count
    }

    pub(crate) fn need_resched_cell(&self) -> &Cell<bool> {
        &self.need_resched
    }

    pub(crate) fn rcu_read_lock_nesting_cell(&self) -> &Cell<u32> {
        &self.rcu_read_lock_nesting
    }

    pub(crate) fn rcu_blocked_phase_cell(&self) -> &Cell<u8> {
        &self.rcu_blocked_phase
    }

    /// The task's RCU read-side nesting depth (always 0 without `preempt`, where readers are
    /// preempt-disabled regions instead).
    ///
    /// # Context
    /// Never sleeps; any context. Meaningful for the running task.
    pub fn rcu_read_lock_depth(&self) -> u32 {
        self.rcu_read_lock_nesting.get()
    }

    /// The per-task preempt count as stored, for backends and diagnostics.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn stored_preempt_count(&self) -> u32 {
        self.preempt_count.get()
    }

    /// The spinlocks this task holds, with where each was taken.
    ///
    /// # Context
    /// Never sleeps; meaningful for the running task (others may change their own list).
    #[cfg(feature = "debug-atomic-sleep")]
    pub fn held_locks(&self) -> &HeldLocks {
        &self.held_locks
    }

    /// Where this task's preempt count was last raised from 0 (by [`crate::preempt_disable`],
    /// a spinlock or [`crate::irq_enter`]), as Linux's
    /// `current->preempt_disable_ip`: what the sleeping-function report prints as
    /// `Preemption disabled at:`. `None` until the first time. It is not cleared when the count
    /// drops back to 0, as Linux's is not.
    ///
    /// # Context
    /// Never sleeps; any context. Meaningful for the running task.
    #[cfg(feature = "debug-preempt")]
    pub fn preempt_disable_ip(&self) -> Option<&'static Location<'static>> {
        self.preempt_disable_ip.get()
    }

    /// The code address of [`TaskContext::preempt_disable_ip`]'s site, Linux's
    /// `preempt_disable_ip` proper: the report prints it as `[<address>] function+0x1c/0x90`.
    /// 0 when the backend's walker found no frame (the report prints the file:line then).
    ///
    /// # Context
    /// Never sleeps; any context. Meaningful for the running task.
    #[cfg(feature = "debug-preempt")]
    pub fn preempt_disable_addr(&self) -> usize {
        self.preempt_disable_addr.get()
    }

    #[cfg(feature = "debug-preempt")]
    #[inline(always)]
    pub(crate) fn set_preempt_disable_ip(&self, at: &'static Location<'static>, addr: usize) {
        self.preempt_disable_ip.set(Some(at));
        self.preempt_disable_addr.set(addr);
    }
}
