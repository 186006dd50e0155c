//! Linux's `dump_stack()`: the line saying which cpu, task and kernel printed a report, the
//! machine's name, and the call trace. Every report of the crate ends with it.
//!
//! ```text
//! CPU: 1 UID: 0 PID: 1 Comm: seed Not tainted 0.1.0 #1 NONE
//! Hardware name: QEMU Standard PC (Q35 + ICH9, 2009)
//! Call Trace:
//!  <TASK>
//!  mightfault_core::might_sleep::report_sleep_in_atomic+0x1a4/0x2c0
//!  ...
//!  </TASK>
//! ```
//!
//! The CPU line is `dump_stack_print_info()`'s of Linux 6.15 and later, field for field: the
//! UID is always 0 (kernel tasks), the release is [`crate::Arch::RELEASE`], the version is
//! `#1`, the preemption model is `PREEMPT` with the `preempt` feature and `NONE` without, and
//! the line ends with the space Linux leaves for a build id it does not print.

use core::fmt::{self, Write};

use crate::arch::Arch;
use crate::call_trace::{write_call_trace, TraceStart};

/// Linux's `preempt_model_str()` for this build's configuration.
pub const PREEMPT_MODEL: &str = if crate::config::PREEMPT {
    "PREEMPT"
} else {
    "NONE"
};

/// Writes the CPU line, the verbose taint line when tainted, and the `Hardware name:` line
/// when the machine has one.
///
/// # Context
/// Never sleeps; any context.
pub fn write_dump_stack_header<A: Arch>(out: &mut dyn Write) -> fmt::Result {
    let task = A::current_task();
    write!(
        out,
        "CPU: {} UID: 0 PID: {} Comm: {} ",
        A::cpu_id(),
        task.pid(),
        task.name()
    )?;
    crate::taint::write_tainted::<A>(out)?;
    writeln!(out, " {} #1 {} ", A::RELEASE, PREEMPT_MODEL)?;
    crate::taint::write_tainted_verbose::<A>(out)?;
    if let Some(name) = A::HARDWARE_NAME {
        writeln!(out, "Hardware name: {name}")?;
    }
    Ok(())
}

/// Writes what `dump_stack()` prints: the header lines, then the call trace of the caller of
/// the function whose frame holds `marker` (see [`TraceStart::CallerOf`]).
///
/// # Context
/// Never sleeps; any context.
pub fn write_dump_stack<A: Arch>(out: &mut dyn Write, marker: usize) -> fmt::Result {
    write_dump_stack_header::<A>(out)?;
    write_call_trace::<A>(out, TraceStart::CallerOf { marker })
}

/// Linux's `dump_stack()`: prints the header lines and the call trace, whose first frame is
/// this function itself (as Linux's starts with `dump_stack_lvl`), then its caller.
///
/// # Context
/// Never sleeps; any context, including interrupt and fault handlers.
#[inline(never)]
pub fn dump_stack<A: Arch>() {
    crate::console::report_with_trace::<A>(|out, marker| write_dump_stack::<A>(out, marker));
    crate::call_trace::keep_frame();
}
