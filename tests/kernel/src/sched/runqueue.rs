//! Per-cpu run queues and the per-cpu state of a switch in progress.

use core::cell::Cell;
use core::ptr;
use core::sync::atomic::AtomicBool;

use super::task::{Task, MAX_TASKS};
use super::MAX_CPUS;

const QUEUE_CAPACITY: usize = MAX_TASKS + 1;

/// A ring of runnable tasks.
pub(super) struct RunQueue {
    slots: [Option<&'static Task>; QUEUE_CAPACITY],
    head: usize,
    len: usize,
}

impl RunQueue {
    pub(super) fn push_back(&mut self, task: &'static Task) {
        assert!(self.len < QUEUE_CAPACITY, "run queue overflow");
        self.slots[(self.head + self.len) % QUEUE_CAPACITY] = Some(task);
        self.len += 1;
    }

    pub(super) fn push_front(&mut self, task: &'static Task) {
        assert!(self.len < QUEUE_CAPACITY, "run queue overflow");
        self.head = (self.head + QUEUE_CAPACITY - 1) % QUEUE_CAPACITY;
        self.slots[self.head] = Some(task);
        self.len += 1;
    }

    pub(super) fn pop_front(&mut self) -> Option<&'static Task> {
        if self.len == 0 {
            return None;
        }
        let task = self.slots[self.head].take();
        self.head = (self.head + 1) % QUEUE_CAPACITY;
        self.len -= 1;
        task
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }
}

/// One cpu's scheduler state.
pub(super) struct CpuSched {
    /// Taken only with interrupts masked.
    pub(super) queue: spin::Mutex<RunQueue>,
    /// The task this cpu just switched away from (finish_switch() settles it).
    pub(super) prev: Cell<*const Task>,
    /// A wake-up to perform once the previous task is off this cpu (a page-in's completion).
    pub(super) deferred_wake: Cell<Option<(&'static Task, u32)>>,
    /// A preempted task to queue (on the cpu the balancer picks) once it is off this cpu.
    pub(super) deferred_requeue: Cell<Option<&'static Task>>,
    /// Ticks the running task has used of its slice.
    pub(super) slice_used: Cell<u32>,
    /// The cpu waits idle for an interrupt (a task queued here must kick it).
    pub(super) idle: AtomicBool,
}

// SAFETY: the queue is a lock and `idle` an atomic; the Cells are used only by their own cpu
// with interrupts masked.
unsafe impl Sync for CpuSched {}

pub(super) static CPUS: [CpuSched; MAX_CPUS] = [const {
    CpuSched {
        queue: spin::Mutex::new(RunQueue {
            slots: [None; QUEUE_CAPACITY],
            head: 0,
            len: 0,
        }),
        prev: Cell::new(ptr::null()),
        deferred_wake: Cell::new(None),
        deferred_requeue: Cell::new(None),
        slice_used: Cell::new(0),
        idle: AtomicBool::new(false),
    }
}; MAX_CPUS];
