//! Simulated time: it moves only when the simulation says so, which keeps runs repeatable.

use std::sync::atomic::{AtomicU64, Ordering};

/// How much time one `cpu_relax()` takes: long enough that a spinning watchdog expires after a
/// bounded number of spins, short enough to look like a spin.
pub(crate) const RELAX_NS: u64 = 1_000;

/// A monotonic nanosecond counter.
pub(crate) struct Clock {
    now_ns: AtomicU64,
}

impl Clock {
    pub(crate) const fn new() -> Self {
        Self {
            now_ns: AtomicU64::new(0),
        }
    }

    pub(crate) fn now_ns(&self) -> u64 {
        self.now_ns.load(Ordering::Relaxed)
    }

    pub(crate) fn advance(&self, ns: u64) {
        self.now_ns.fetch_add(ns, Ordering::Relaxed);
    }
}
