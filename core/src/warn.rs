//! The WARN-style report shared by the debug checks.

use core::panic::Location;

use crate::arch::Arch;

/// Prints `DEBUG_LOCKS_WARN_ON(<condition>)` and where it happened, as Linux's
/// DEBUG_LOCKS_WARN_ON() does through WARN(). Unlike Linux it does not switch lock debugging
/// off after the first report, so every misuse is seen.
#[cold]
#[inline(never)]
pub(crate) fn debug_locks_warn<A: Arch>(condition: &str, at: &'static Location<'static>) {
    let task = A::current_task();
    crate::kprint!(
        A,
        "DEBUG_LOCKS_WARN_ON({})\nWARNING: CPU: {} PID: {} at {}:{}\n",
        condition,
        A::cpu_id(),
        task.pid(),
        at.file(),
        at.line()
    );
}
