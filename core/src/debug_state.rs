//! The state behind rate limits and warn-once reports, one per machine.
//!
//! It lives with the machine rather than in statics of this crate so that several simulated
//! machines can run side by side in one host process, each with its own limits.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::console::CaptureBuffer;

const NEVER: u64 = u64::MAX;

/// How long the might_sleep() report stays quiet after printing: Linux prints it at most once a
/// second (HZ jiffies).
pub const SLEEP_REPORT_INTERVAL_NS: u64 = 1_000_000_000;

/// Rate-limit and warn-once state of one machine, plus the console capture used by tests.
pub struct DebugState {
    last_sleep_report_ns: AtomicU64,
    last_cant_sleep_report_ns: AtomicU64,
    atomic_fault_warned: AtomicBool,
    #[cfg_attr(not(feature = "debug-atomic-sleep"), allow(dead_code))]
    stale_irq_flag_warned: AtomicBool,
    taint: AtomicU32,
    pub(crate) capture: spin::Mutex<CaptureBuffer>,
}

impl DebugState {
    /// Fresh state: nothing reported yet, capture off.
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`, usable in a static).
    pub const fn new() -> Self {
        Self {
            last_sleep_report_ns: AtomicU64::new(NEVER),
            last_cant_sleep_report_ns: AtomicU64::new(NEVER),
            atomic_fault_warned: AtomicBool::new(false),
            stale_irq_flag_warned: AtomicBool::new(false),
            taint: AtomicU32::new(0),
            capture: spin::Mutex::new(CaptureBuffer::new()),
        }
    }

    /// Forgets when the last might_sleep()/cant_sleep() report was printed, so the next one
    /// prints at once. Tests call this between cases.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn reset_ratelimit(&self) {
        self.last_sleep_report_ns.store(NEVER, Ordering::Relaxed);
        self.last_cant_sleep_report_ns
            .store(NEVER, Ordering::Relaxed);
    }

    /// Re-arms the once-only "user access fault in atomic context" warning.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn reset_warn_once(&self) {
        self.atomic_fault_warned.store(false, Ordering::Relaxed);
    }

    /// The taint flags set so far (bit numbers as Linux's, see `crate::taint`).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn taint(&self) -> u32 {
        self.taint.load(Ordering::Relaxed)
    }

    /// Sets taint flag `bit` (below 32).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn add_taint(&self, bit: u32) {
        self.taint.fetch_or(1 << (bit & 31), Ordering::Relaxed);
    }

    /// Clears every taint flag, so that a test's report starts `Not tainted`. Tests call it
    /// between cases; a kernel never does.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn reset_taint(&self) {
        self.taint.store(0, Ordering::Relaxed);
    }

    #[cfg(feature = "debug-atomic-sleep")]
    /// Whether a might_sleep() report may print at `now_ns`; if so, records it as printed.
    pub(crate) fn take_sleep_report_slot(&self, now_ns: u64) -> bool {
        Self::take_slot(&self.last_sleep_report_ns, now_ns)
    }

    #[cfg(feature = "debug-atomic-sleep")]
    /// Whether a cant_sleep() report may print at `now_ns`; if so, records it as printed.
    pub(crate) fn take_cant_sleep_report_slot(&self, now_ns: u64) -> bool {
        Self::take_slot(&self.last_cant_sleep_report_ns, now_ns)
    }

    #[cfg(feature = "debug-atomic-sleep")]
    fn take_slot(last: &AtomicU64, now_ns: u64) -> bool {
        let prev = last.load(Ordering::Relaxed);
        if prev != NEVER && now_ns.wrapping_sub(prev) < SLEEP_REPORT_INTERVAL_NS {
            return false;
        }
        // Two cpus racing here may both print once; losing one report is worse than two.
        last.store(now_ns, Ordering::Relaxed);
        true
    }

    /// Whether the atomic-fault warning is still to be printed; marks it printed.
    pub(crate) fn take_atomic_fault_warning(&self) -> bool {
        !self.atomic_fault_warned.swap(true, Ordering::Relaxed)
    }

    /// Whether the stale irqs-off flag warning may print (once per boot).
    #[cfg(feature = "debug-atomic-sleep")]
    pub(crate) fn take_stale_irq_flag_report(&self) -> bool {
        !self.stale_irq_flag_warned.swap(true, Ordering::Relaxed)
    }
}

impl Default for DebugState {
    fn default() -> Self {
        Self::new()
    }
}
