//! The irqs-off flag of the may-not-sleep word: Linux's `trace_hardirqs_on()`/`off()`
//! (CONFIG_TRACE_IRQFLAGS), kept with `debug-atomic-sleep` so that `might_sleep()` tests one
//! word instead of also reading the flags register on every call.
//!
//! The flag must say exactly whether interrupts are masked, wherever a check can run:
//! - `crate::irq`'s `local_irq_save`/`restore`/`enable`/`disable` keep it (the flag is set
//!   after masking and cleared before unmasking, so an interrupt never finds it stale);
//! - a kernel's interrupt and exception entry calls [`hardirqs_off_on_entry`] once the
//!   cpu has masked interrupts, and its exit calls [`hardirqs_restore_on_exit`] just before
//!   returning, with whether the interrupted code ran with interrupts on;
//! - code that masks or unmasks interrupts behind the API's back (an arch's own `cli`, a
//!   scheduler's raw switch) calls [`trace_hardirqs_off`] after masking and
//!   [`trace_hardirqs_on`] before unmasking.
//!
//! A flag found set when an interrupt arrives (the interrupted code had interrupts on, so the
//! flag said otherwise) means something skipped this: [`hardirqs_off_on_entry`] reports it
//! once, as lockdep's `DEBUG_LOCKS_WARN_ON(!irqs_disabled())` family does, and repairs it.
//!
//! Without `debug-atomic-sleep` every function here compiles to nothing.

use crate::arch::Arch;
#[cfg(feature = "debug-atomic-sleep")]
use crate::arch::PreemptCountStore;
#[cfg(feature = "debug-atomic-sleep")]
use crate::preempt_count::IRQS_OFF_FLAG;

/// Records that interrupts are now masked on this cpu. Call it after masking them.
///
/// # Context
/// Never sleeps; any context, with interrupts masked.
#[inline(always)]
pub fn trace_hardirqs_off<A: Arch>() {
    #[cfg(feature = "debug-atomic-sleep")]
    if A::PreemptCount::count() & IRQS_OFF_FLAG == 0 {
        A::PreemptCount::add(IRQS_OFF_FLAG);
    }
}

/// Records that interrupts are about to be unmasked on this cpu. Call it before unmasking
/// them.
///
/// # Context
/// Never sleeps; any context, with interrupts still masked.
#[inline(always)]
pub fn trace_hardirqs_on<A: Arch>() {
    #[cfg(feature = "debug-atomic-sleep")]
    if A::PreemptCount::count() & IRQS_OFF_FLAG != 0 {
        A::PreemptCount::sub(IRQS_OFF_FLAG);
    }
}

/// Interrupt or exception entry: the cpu has masked interrupts. `interrupted_irqs_on` is the
/// interrupted code's state (from the saved RFLAGS, PSW or SRR1). A flag already set while the
/// interrupted code ran with interrupts on is reported once and repaired.
///
/// # Context
/// Never sleeps; the kernel's entry path, interrupts masked, before any handler runs.
#[inline(always)]
pub fn hardirqs_off_on_entry<A: Arch>(interrupted_irqs_on: bool) {
    #[cfg(feature = "debug-atomic-sleep")]
    {
        if interrupted_irqs_on && A::PreemptCount::count() & IRQS_OFF_FLAG != 0 {
            report_stale_flag::<A>();
            return;
        }
        trace_hardirqs_off::<A>();
    }
    #[cfg(not(feature = "debug-atomic-sleep"))]
    let _ = interrupted_irqs_on;
}

/// Interrupt or exception exit, just before the return: the flag as the interrupted code will
/// run, interrupts on or off (`interrupted_irqs_on` as given to [`hardirqs_off_on_entry`]).
///
/// # Context
/// Never sleeps; the kernel's exit path, interrupts masked, on the interrupted task (after any
/// task switch on the way out).
#[inline(always)]
pub fn hardirqs_restore_on_exit<A: Arch>(interrupted_irqs_on: bool) {
    if interrupted_irqs_on {
        trace_hardirqs_on::<A>();
    } else {
        trace_hardirqs_off::<A>();
    }
}

/// Whether the irqs-off flag agrees with the cpu (always true without debug-atomic-sleep).
/// A kernel can assert it where it switches tasks; the tests do.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_off_flag_in_sync<A: Arch>() -> bool {
    #[cfg(feature = "debug-atomic-sleep")]
    {
        (A::PreemptCount::count() & IRQS_OFF_FLAG != 0) == A::irqs_disabled()
    }
    #[cfg(not(feature = "debug-atomic-sleep"))]
    true
}

#[cfg(feature = "debug-atomic-sleep")]
#[cold]
#[inline(never)]
fn report_stale_flag<A: Arch>() {
    if A::debug_state().take_stale_irq_flag_report() {
        // Named by the entry that found it; the call trace shows which.
        let marker = crate::frame_marker!();
        crate::warn::warn_report::<A>(
            marker,
            None,
            format_args!(
                "DEBUG_LOCKS_WARN_ON(irqs-off flag set while interrupts were enabled): \
                 interrupts were unmasked behind mightfault's back (without trace_hardirqs_on)"
            ),
        );
    }
}
