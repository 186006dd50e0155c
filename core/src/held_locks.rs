//! The short list of spinlocks a task holds, kept for the might_sleep() report.
//!
//! Linux gets this from lockdep; a fixed array per task is enough to name the lock that made a
//! context atomic and where it was taken, without allocating.

use core::cell::Cell;
use core::panic::Location;

/// How many held locks are remembered per task; deeper nesting is counted but not listed.
pub const MAX_TRACKED_LOCKS: usize = 8;

/// One held lock: its address, its name, and where it was taken.
#[derive(Clone, Copy, Debug)]
pub struct HeldLock {
    /// The lock's address, to tell two locks of the same name apart.
    pub addr: usize,
    /// The name given when the lock was created.
    pub name: &'static str,
    /// The caller of spin_lock().
    pub taken_at: &'static Location<'static>,
    /// The return address into that caller (Linux's `acquire_ip`), 0 when the backend's
    /// walker found none; the report then prints `taken_at` instead.
    pub ip: usize,
}

/// The locks one task holds, innermost last.
pub struct HeldLocks {
    slots: Cell<[Option<HeldLock>; MAX_TRACKED_LOCKS]>,
    depth: Cell<usize>,
}

impl HeldLocks {
    /// An empty list.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn new() -> Self {
        Self {
            slots: Cell::new([None; MAX_TRACKED_LOCKS]),
            depth: Cell::new(0),
        }
    }

    /// How many locks the task holds (including any past [`MAX_TRACKED_LOCKS`]).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn depth(&self) -> usize {
        self.depth.get()
    }

    /// The lock at position `index` (0 = taken first), if it is remembered.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn get(&self, index: usize) -> Option<HeldLock> {
        self.slots.get().get(index).copied().flatten()
    }

    pub(crate) fn push(&self, lock: HeldLock) {
        let depth = self.depth.get();
        if depth < MAX_TRACKED_LOCKS {
            let mut slots = self.slots.get();
            slots[depth] = Some(lock);
            self.slots.set(slots);
        }
        self.depth.set(depth + 1);
    }

    /// Forgets the lock at `addr`, wherever it stands: locks need not be released in order.
    pub(crate) fn remove(&self, addr: usize) {
        let depth = self.depth.get();
        if depth == 0 {
            return;
        }
        let mut slots = self.slots.get();
        let tracked = depth.min(MAX_TRACKED_LOCKS);
        if let Some(pos) = slots[..tracked]
            .iter()
            .rposition(|slot| slot.is_some_and(|held| held.addr == addr))
        {
            slots.copy_within(pos + 1..tracked, pos);
            slots[tracked - 1] = None;
            self.slots.set(slots);
        }
        self.depth.set(depth - 1);
    }
}

impl Default for HeldLocks {
    fn default() -> Self {
        Self::new()
    }
}
