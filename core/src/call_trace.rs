//! Call traces as Linux prints them: the frames a machine's unwinder finds, each named
//! `function+0xoffset/0xsize` from the embedded symbol table, in the line shape of the
//! machine's own Linux port (x86_64, s390x, powerpc64), so that scripts/decode_stacktrace.sh
//! and a kernel developer's eye read them as they are used to.
//!
//! The unwinding itself is the backend's ([`crate::Arch::walk_stack`]; the frame-pointer and
//! back-chain walkers of `mightfault-arch` do it on the bundled kernels). This file only decides
//! where a walk starts and how each frame is printed.

use core::fmt::{self, Write};

use crate::arch::Arch;

/// A stack marker for [`TraceStart::CallerOf`]: the address of a fresh local in the frame of
/// the function this is written in (`black_box` keeps the local in memory), so that a walk
/// from it starts with the return address into that function's caller.
///
/// ```
/// #[inline(never)]
/// fn reporter() -> usize {
///     mightfault_core::frame_marker!()
/// }
/// assert_ne!(reporter(), 0);
/// ```
#[macro_export]
macro_rules! frame_marker {
    () => {{
        let here = 0u8;
        ::core::hint::black_box(&here) as *const u8 as usize
    }};
}

/// At most this many frames are printed: a loop in a corrupt chain ends here at the latest.
pub const MAX_TRACE_FRAMES: usize = 32;

/// One frame of a walk: the code address to name and the frame it was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackFrame {
    /// A return address (or, for the first frame of an interrupted context, the interrupted
    /// instruction).
    pub ip: usize,
    /// The frame (stack) address the ip was read from, 0 if none: powerpc64's lines print it.
    pub frame: usize,
    /// False when the unwinder is guessing (a link register that may be stale): printed the
    /// way the arch marks a guess (`? ` on x86_64, parentheses on s390x, `(unreliable)` on
    /// powerpc64).
    pub reliable: bool,
}

/// Where a walk starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceStart {
    /// The return address into the caller of the function whose stack frame holds `marker`
    /// (the address of one of that function's locals) comes first, then its callers. A report
    /// passes a local of its own, so that the walker's frames and its own are left out.
    CallerOf {
        /// The address of a local of the function whose caller comes first.
        marker: usize,
    },
    /// An interrupted context, from its trap frame: the interrupted instruction comes first,
    /// then the callers found from its registers.
    Interrupted {
        /// The interrupted instruction's address.
        ip: usize,
        /// The stack pointer (x86_64 rsp, s390x r15, powerpc64 r1).
        sp: usize,
        /// The frame pointer where the arch has one apart from the stack pointer (x86_64 rbp);
        /// the stack pointer otherwise.
        fp: usize,
        /// The link register (s390x r14, powerpc64 LR); 0 on x86_64.
        link: usize,
    },
}

/// How a machine's Linux port prints one frame of a call trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallTraceStyle {
    /// x86_64: ` <TASK>` / ` <IRQ>` brackets, then ` function+0x1c/0x90` (` ? ` before a guess).
    X86,
    /// s390x: ` [<000000000012345a>] function+0x1c/0x90 ` (a guess in parentheses, no space).
    S390,
    /// powerpc64: `[frame] [ip] function+0x1c/0x90` (` (unreliable)` after a guess).
    Powerpc,
    /// A machine without a Linux port of its own (the host): ` function+0x1c/0x90`.
    Plain,
}

/// An address printed as Linux's `%pS`: `function+0xoffset/0xsize`, or the bare address in
/// hex when no symbol covers it.
pub struct Symbolized<A: Arch> {
    address: usize,
    _arch: core::marker::PhantomData<A>,
}

/// `address` as `%pS` prints it on machine `A`.
///
/// # Context
/// Never sleeps; any context.
pub fn symbolized<A: Arch>(address: usize) -> Symbolized<A> {
    Symbolized {
        address,
        _arch: core::marker::PhantomData,
    }
}

impl<A: Arch> fmt::Display for Symbolized<A> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        A::write_symbol(out, self.address)
    }
}

/// The default of [`crate::Arch::write_symbol`]: the embedded table's entry, or the address.
///
/// # Context
/// Never sleeps; any context.
pub fn write_symbol_from_table<A: Arch>(out: &mut dyn Write, address: usize) -> fmt::Result {
    match A::kernel_symbols().lookup(address as u64) {
        Some(hit) => write!(
            out,
            "{}+{:#x}/{:#x}",
            hit.symbol.name, hit.offset, hit.symbol.size
        ),
        None => write!(out, "{address:#x}"),
    }
}

/// Placed after a function's last call (to a reporter) so that the call is not a tail call:
/// a tail call reuses the caller's frame, and the call trace would lose the caller's line
/// (`might_fault`'s slow path, say, between the reporter and the code that faulted).
///
/// # Context
/// Never sleeps; any context. Only a compiler barrier.
#[inline(always)]
pub fn keep_frame() {
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// The return address into the caller of the function whose frame holds `marker` (Linux's
/// `_RET_IP_` of that function), or 0 when the backend finds no frame.
///
/// # Context
/// Never sleeps; any context.
pub fn return_address<A: Arch>(marker: usize) -> usize {
    let mut ip = 0;
    A::walk_stack(TraceStart::CallerOf { marker }, &mut |frame| {
        ip = frame.ip;
        false
    });
    ip
}

/// Writes `Call Trace:` and the frames found from `start`, one line each, in the machine's
/// style ([`crate::Arch::CALL_TRACE_STYLE`]); at most [`MAX_TRACE_FRAMES`].
///
/// # Context
/// Never sleeps; any context, including fault and interrupt handlers (it reads only the stack,
/// through the backend's bounded walker).
pub fn write_call_trace<A: Arch>(out: &mut dyn Write, start: TraceStart) -> fmt::Result {
    let style = A::CALL_TRACE_STYLE;
    out.write_str("Call Trace:\n")?;
    let bracket = if crate::preempt::in_hardirq::<A>() {
        "IRQ"
    } else {
        "TASK"
    };
    if style == CallTraceStyle::X86 {
        writeln!(out, " <{bracket}>")?;
    }
    let mut result = Ok(());
    let mut printed = 0;
    A::walk_stack(start, &mut |frame| {
        result = write_frame::<A>(out, style, frame);
        printed += 1;
        result.is_ok() && printed < MAX_TRACE_FRAMES
    });
    result?;
    if style == CallTraceStyle::X86 {
        writeln!(out, " </{bracket}>")?;
    }
    Ok(())
}

fn write_frame<A: Arch>(
    out: &mut dyn Write,
    style: CallTraceStyle,
    frame: StackFrame,
) -> fmt::Result {
    let name = symbolized::<A>(frame.ip);
    match style {
        CallTraceStyle::X86 | CallTraceStyle::Plain => {
            let guess = if frame.reliable { "" } else { "? " };
            writeln!(out, " {guess}{name}")
        }
        CallTraceStyle::S390 => {
            if frame.reliable {
                writeln!(out, " [<{:016x}>] {name} ", frame.ip)
            } else {
                writeln!(out, "([<{:016x}>] {name})", frame.ip)
            }
        }
        CallTraceStyle::Powerpc => {
            let guess = if frame.reliable { "" } else { " (unreliable)" };
            writeln!(
                out,
                "[{:016x}] [{:016x}] {name}{guess}",
                frame.frame, frame.ip
            )
        }
    }
}
