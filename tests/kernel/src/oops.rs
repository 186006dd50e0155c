//! The oops of the bare-metal images, written once: what every arch prints when a fault or an
//! interruption nobody handles ends the run, around the register block that only the arch
//! knows.
//!
//! ```text
//! Oops: <what> [#1] SMP
//! CPU: <n> UID: 0 PID: <pid> Comm: <name> Not tainted 0.1.0 #1 NONE
//! Hardware name: <the machine>
//! <the arch's register lines>
//! preempt_count: <hex> pagefault_disabled: <n>
//! Call Trace:
//! <the interrupted instruction, then its callers, in the arch's style>
//! ---[ end trace 0000000000000000 ]---
//! ```
//!
//! The shape is Linux's `die()`: the `Oops:` line with the oops counter (always `#1`: the
//! first oops ends the run), `show_regs()`'s CPU line and registers, the call trace from the
//! trap frame, the end marker.
//!
//! The oops is formatted into a fixed buffer and reaches the console in two forced writes (the
//! registers, then the call trace), so another cpu's output cannot land inside either part. The register lines are
//! where `cargo xtask qemu` finds the code addresses it resolves (ci/xtask/src/config.rs):
//! their format is the arch's and must stay as that file expects.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::call_trace::{write_call_trace, TraceStart};
use mightfault_core::dump_stack::write_dump_stack_header;
use mightfault_core::preempt::preempt_count;
use mightfault_core::warn::END_TRACE;
use mightfault_core::Arch;

use crate::console::{self, ConsoleDevice};
use crate::sched::{SchedHooks, MAX_CPUS};

/// Room for the largest oops (powerpc64's, with 32 GPRs and a call trace of 32 frames, is
/// about 5 KiB): on the stack of the cpu that crashed, so two cpus may oops at once.
const OOPS_BUFFER_SIZE: usize = 8192;

/// Which cpus are printing an oops: a fault while formatting one (the current task not set up
/// yet, say) must end the run rather than recurse.
static IN_OOPS: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// A fixed buffer that collects an oops so it reaches the console as one piece. Text that does
/// not fit is dropped; a cut-off oops is still an oops.
struct OopsBuffer {
    len: usize,
    bytes: [u8; OOPS_BUFFER_SIZE],
}

impl OopsBuffer {
    fn text(&self) -> &str {
        // Only whole characters are ever stored (see `write_str`), so this cannot fail.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("Oops (unprintable)\n")
    }
}

impl Write for OopsBuffer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut take = text.len().min(self.bytes.len() - self.len);
        // Cut at a character boundary so that the buffer stays UTF-8 (a task name may not be
        // ASCII).
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// Prints an oops (`what` in the header, then the lines `registers` writes, then the call trace
/// from `trace`, the trap frame's registers) and ends the run with failure through the arch's
/// exit.
///
/// `what` says what happened, with whatever the arch adds on the same line (a vector, an error
/// code). `registers` writes the arch's register block, each line ended by `\n`.
///
/// # Context
/// Never returns; any context, typically a fault or interruption handler. Masks interrupts.
pub fn oops<A: ConsoleDevice + SchedHooks>(
    what: fmt::Arguments<'_>,
    trace: TraceStart,
    registers: impl FnOnce(&mut dyn Write) -> fmt::Result,
) -> ! {
    mightfault_core::local_irq_disable::<A>();
    let cpu = A::cpu_id();
    let nested = IN_OOPS
        .get(cpu as usize)
        .is_some_and(|flag| flag.swap(true, Ordering::Relaxed));
    if nested {
        console::write_forced::<A>("Oops: fault while printing an oops; giving up\n");
        A::exit(false)
    }
    let mut out = OopsBuffer {
        len: 0,
        bytes: [0; OOPS_BUFFER_SIZE],
    };
    // Formatting into the buffer cannot fail (it truncates instead). The registers reach the
    // console before the stack is walked: should the walk fault after all, the nested oops
    // above gives up, and what was already printed still says where the first one happened.
    let _ = format_registers::<A>(&mut out, what, registers);
    console::write_forced::<A>(out.text());
    out.len = 0;
    let _ = write_call_trace::<A>(&mut out, trace).and_then(|()| writeln!(out, "{END_TRACE}"));
    console::write_forced::<A>(out.text());
    A::exit(false)
}

/// The oops text up to the call trace: the header, the CPU lines, the arch's registers.
fn format_registers<A: Arch>(
    out: &mut OopsBuffer,
    what: fmt::Arguments<'_>,
    registers: impl FnOnce(&mut dyn Write) -> fmt::Result,
) -> fmt::Result {
    let task = A::current_task();
    writeln!(out, "Oops: {what} [#1] SMP")?;
    write_dump_stack_header::<A>(out)?;
    registers(out)?;
    writeln!(
        out,
        "preempt_count: {:#x} pagefault_disabled: {}",
        preempt_count::<A>(),
        task.pagefault_disable_depth()
    )
}
