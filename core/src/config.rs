//! Which Kconfig-like options this build has, as constants the tests and reports can read.
//!
//! Features unify across a cargo build, so reading them here (in the crate that defines them)
//! tells every other crate the truth about the build it is part of.

/// `preempt_disable()` and `spin_lock()` change the preempt count (CONFIG_PREEMPT_COUNT).
pub const PREEMPT_COUNT: bool = cfg!(feature = "preempt-count");
/// The kernel is preemptible (CONFIG_PREEMPT): `preempt_enable()` may reschedule.
pub const PREEMPT: bool = cfg!(feature = "preempt");
/// `might_sleep()` checks and reports (CONFIG_DEBUG_ATOMIC_SLEEP).
pub const DEBUG_ATOMIC_SLEEP: bool = cfg!(feature = "debug-atomic-sleep");
/// Over- and underflow checks of the preempt and pagefault counters (CONFIG_DEBUG_PREEMPT).
pub const DEBUG_PREEMPT: bool = cfg!(feature = "debug-preempt");
/// Spinlock unlock checks the owner cpu (CONFIG_DEBUG_SPINLOCK).
pub const DEBUG_SPINLOCK: bool = cfg!(feature = "debug-spinlock");
/// `might_fault()` returns early when `in_atomic()`: the 2013–2015 behaviour.
pub const LEGACY_MIGHT_FAULT: bool = cfg!(feature = "legacy-might-fault");

/// A short name for the configuration, as the test reports print it.
///
/// The three named configurations of SCENARIOS.md get their names; any other mix of
/// features is called "custom".
///
/// # Context
/// Never sleeps; callable from any context.
pub const fn name() -> &'static str {
    let debug = PREEMPT && DEBUG_ATOMIC_SLEEP && DEBUG_PREEMPT;
    match (PREEMPT_COUNT, debug, LEGACY_MIGHT_FAULT, DEBUG_SPINLOCK) {
        (false, false, false, false) => "production",
        (true, false, false, false) if PREEMPT && !DEBUG_ATOMIC_SLEEP && !DEBUG_PREEMPT => {
            "preempt"
        }
        (true, true, false, false) => "debug",
        (true, true, true, false) => "legacy",
        (true, true, false, true) => "full",
        _ => "custom",
    }
}
