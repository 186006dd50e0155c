//! The WARN-style report shared by the debug checks, in the shape of Linux's `__warn()`:
//!
//! ```text
//! ------------[ cut here ]------------
//! DEBUG_LOCKS_WARN_ON(current->pagefault_disabled == 0)
//! WARNING: CPU: 0 PID: 1 at tests/src/seed.rs:540 mightfault_tests::seed::debug_preempt_underflow+0x5c/0x1a0
//! Modules linked in:
//! CPU: 0 UID: 0 PID: 1 Comm: seed Not tainted 0.1.0 #1 NONE
//! Call Trace:
//!  ...
//! ---[ end trace 0000000000000000 ]---
//! ```
//!
//! Linux's `file:line` is the WARN macro's own line (inside lockdep.c, say) and its symbol the
//! function containing it. Here both name the misuse site instead: the `file:line` is the
//! caller of the primitive that found the misuse (`#[track_caller]`), and the symbol is the
//! function the check returned to, which (the checks being inline) is that caller. The
//! primitive itself is the call trace's first frames. A developer needs the misuse site first;
//! the site of the check is always the same line and says nothing new.

use core::fmt::{self, Write};
use core::panic::Location;

use crate::arch::Arch;
use crate::call_trace::{symbolized, TraceStart};
use crate::dump_stack::write_dump_stack;

/// The line before a WARN report, as Linux's `__warn_printk()` prints it.
pub const CUT_HERE: &str = "------------[ cut here ]------------";
/// The line after it, Linux's `print_oops_end_marker()` (the oops id has been 0 since 5.x).
pub const END_TRACE: &str = "---[ end trace 0000000000000000 ]---";

/// Prints `DEBUG_LOCKS_WARN_ON(<condition>)` in a WARN report naming `at`, as Linux's
/// DEBUG_LOCKS_WARN_ON() does through WARN(). Unlike Linux it does not switch lock debugging
/// off after the first report, so every misuse is seen.
#[cfg(feature = "debug-preempt")]
#[cold]
#[inline(never)]
pub(crate) fn debug_locks_warn<A: Arch>(condition: &str, at: &'static Location<'static>) {
    let marker = crate::frame_marker!();
    warn_report::<A>(
        marker,
        Some(at),
        format_args!("DEBUG_LOCKS_WARN_ON({condition})"),
    );
}

/// Prints a WARN report whose message is `message`: `cut here`, the message, the `WARNING:`
/// line naming `at` and the WARN site (the caller of the function whose frame holds `marker`:
/// the return address into it), `Modules linked in:`, the dump_stack lines with the call
/// trace from the reporter on, and `end trace`; then taints the machine with TAINT_WARN, as
/// Linux does after printing.
///
/// # Context
/// Never sleeps; any context, including interrupt and fault handlers.
pub(crate) fn warn_report<A: Arch>(
    marker: usize,
    at: Option<&'static Location<'static>>,
    message: fmt::Arguments<'_>,
) {
    crate::console::report_with_trace::<A>(|out, trace| {
        write_warn::<A>(out, marker, trace, at, message)
    });
    crate::taint::add_taint::<A>(crate::taint::TAINT_WARN);
}

fn write_warn<A: Arch>(
    out: &mut dyn Write,
    marker: usize,
    trace: usize,
    at: Option<&'static Location<'static>>,
    message: fmt::Arguments<'_>,
) -> fmt::Result {
    writeln!(out, "{CUT_HERE}")?;
    writeln!(out, "{message}")?;
    let task = A::current_task();
    write!(out, "WARNING: CPU: {} PID: {} at ", A::cpu_id(), task.pid())?;
    if let Some(at) = at {
        write!(out, "{}:{} ", at.file(), at.line())?;
    }
    // The site: the first frame of the walk, the return address into the warner's caller.
    let mut site = None;
    A::walk_stack(TraceStart::CallerOf { marker }, &mut |frame| {
        site = Some(frame.ip);
        false
    });
    match site {
        Some(ip) => writeln!(out, "{}", symbolized::<A>(ip))?,
        None => writeln!(out, "(unknown)")?,
    }
    writeln!(out, "Modules linked in:")?;
    write_dump_stack::<A>(out, trace)?;
    writeln!(out, "{END_TRACE}")
}
