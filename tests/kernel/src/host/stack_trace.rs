//! The simulated host's call traces: the process's own unwinder walks the real stack of the
//! thread that plays the task, and its debug info names the frames. The images walk frame
//! pointers or back chains and name frames from an embedded table instead; both give core the
//! same [`StackFrame`]s.

use core::fmt;
use std::cell::RefCell;
use std::collections::HashMap;

use mightfault_core::{StackFrame, TraceStart};

/// At most this many frames are looked at, the walker's own included.
const MAX_FRAMES: usize = 96;

/// Walks this thread's stack from `start` (see `Arch::walk_stack`).
///
/// `CallerOf { marker }`: the unwinder gives each frame's stack pointer as it was in that
/// frame (at its call to the next one); those at or below `marker` are the marked function's
/// own and its callees' (this walker included) and are skipped, so the first frame above it,
/// the marked function's caller at its call, comes first.
pub(crate) fn walk(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
    let TraceStart::CallerOf { marker } = start else {
        // The host has no trap frames: its faults are simulated calls, traced as such.
        return;
    };
    let mut seen = 0;
    backtrace::trace(|frame| {
        seen += 1;
        if seen > MAX_FRAMES {
            return false;
        }
        let sp = frame.sp() as usize;
        if sp <= marker {
            return true;
        }
        let ip = frame.ip() as usize;
        remember_function_start(ip, frame.symbol_address() as usize);
        visit(StackFrame {
            ip,
            frame: sp,
            reliable: true,
        })
    });
}

/// The start of the function each code address the walks handed out lies in, as the unwinder
/// found it (its debug-info lookups give no usable start): `write_symbol` computes offsets
/// from it. Per thread, as each simulated task is a thread; bounded.
fn remember_function_start(ip: usize, start: usize) {
    FUNCTION_STARTS.with(|starts| {
        let mut starts = starts.borrow_mut();
        if starts.len() >= 4096 {
            starts.clear();
        }
        starts.insert(ip, start);
    });
}

fn function_start(ip: usize) -> Option<usize> {
    FUNCTION_STARTS.with(|starts| starts.borrow().get(&ip).copied())
}

thread_local! {
    static FUNCTION_STARTS: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
}

/// Writes `address` as `function+0xoffset` from the process's debug info and the function start
/// the walk that found the address saw (the host's unwinder gives no function sizes, so the
/// `/0xsize` of Linux's `%pS` is left out), or the bare address.
pub(crate) fn write_symbol(out: &mut dyn fmt::Write, address: usize) -> fmt::Result {
    let mut named = None;
    // Inlined calls come first, the function the code really sits in last: keep the last.
    backtrace::resolve(address as *mut core::ffi::c_void, |symbol| {
        if let Some(name) = symbol.name() {
            // `{:#}` leaves out the mangling hash.
            named = Some(format!("{name:#}"));
        }
    });
    match (named, function_start(address)) {
        (Some(name), Some(start)) if start != 0 && start <= address => {
            write!(out, "{name}+{:#x}", address - start)
        }
        (Some(name), _) => write!(out, "{name}"),
        (None, _) => write!(out, "{address:#x}"),
    }
}
