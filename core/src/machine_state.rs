//! The per-machine state behind softirqs and RCU grace periods.
//!
//! Like [`crate::DebugState`], it lives with the machine (a kernel keeps one in a static and
//! hands it out through [`crate::Arch::machine_state`]) so that several simulated machines can
//! share one host process.

use crate::rcu::RcuState;
use crate::softirq::Softirqs;

/// Most cpus the per-cpu tables of [`MachineState`] hold. A kernel promises (in the safety
/// contract of [`crate::Arch`]) that every `cpu_id()` is below it.
pub const MAX_CPUS: usize = 64;

/// A value on a cache line of its own, so that one cpu's per-cpu word does not bounce another's.
#[repr(align(64))]
pub(crate) struct CacheLine<T>(pub(crate) T);

/// Softirq handlers and pending masks, and the RCU grace-period state, of one machine.
pub struct MachineState {
    pub(crate) softirqs: Softirqs,
    pub(crate) rcu: RcuState,
}

impl MachineState {
    /// Empty state: no softirq handler opened, nothing pending, no grace period running.
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`, usable in a static).
    pub const fn new() -> Self {
        Self {
            softirqs: Softirqs::new(),
            rcu: RcuState::new(),
        }
    }
}

impl Default for MachineState {
    fn default() -> Self {
        Self::new()
    }
}
