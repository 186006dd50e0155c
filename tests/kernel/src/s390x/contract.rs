//! The contract glue: what this kernel writes to adopt mightfault on s390x, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`S390`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use core::ops::Range;

use mightfault_arch::s390x::unwind;
use mightfault_arch::stack_range::StackRange;
use mightfault_core::call_trace::{CallTraceStyle, StackFrame, TraceStart};
use mightfault_core::{Arch, TaskContext};

use super::layout::USER_LIMIT as KERNEL_USER_LIMIT;
use super::{cpu, lowcore, trap, S390};
use crate::sched::SchedHooks;

// SAFETY: current_task() is the task the lowcore's CURRENT field names, which the scheduler sets
// before switching to it and which stays valid while it can run (static tasks); cpu_id() is the
// lowcore's CPU_NR, written once at bring-up; the irq functions clear, set and restore the PSW's
// external and I/O mask bits.
unsafe impl Arch for S390 {
    type PreemptCount = mightfault_core::preempt_count::TaskPreemptCount<Self>;

    const NAME: &'static str = "s390x";

    // What Linux prints under this QEMU (setup_arch_string(): STSI 1.1.1's manufacturer, type
    // and model, then STSI 3.2.2's control-program identifier): TCG's default cpu model is a
    // z15 (type 8561), and QEMU answers "KVM/Linux" to 3.2.2 under TCG too.
    const HARDWARE_NAME: Option<&'static str> = Some("QEMU 8561 QEMU (KVM/Linux)");

    const CALL_TRACE_STYLE: CallTraceStyle = CallTraceStyle::S390;

    #[inline(always)]
    fn current_task() -> &'static TaskContext {
        <Self as SchedHooks>::current().context()
    }

    #[inline(always)]
    fn cpu_id() -> u32 {
        lowcore::cpu_nr()
    }

    // SAFETY: every cpu sets up its vectors and handlers before anything on it can call an
    // Arch method (boot.rs and smp.rs run the bring-up steps with interrupts masked).
    mightfault_arch::native_irq_methods!(unsafe);

    #[inline]
    fn now_ns() -> u64 {
        // TOD bit 51 is one microsecond: ns = tod * 1000 / 4096.
        (u128::from(cpu::tod()) * 125 / 512) as u64
    }

    fn walk_stack(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
        // The running task's stack: every context runs on one (an interruption builds its frame
        // on the interrupted stack, entry.rs), so one range covers a walk from a handler into
        // the interrupted code. None before this cpu runs a task: then no frame is read.
        if lowcore::current() == 0 {
            return;
        }
        let Some((low, high)) = crate::sched::current_stack_range::<Self>() else {
            return;
        };
        // SAFETY: a task's stack (a static array of the image, or the boot stack in .bss) is
        // mapped in the kernel's space, readable always.
        unsafe {
            unwind::walk_stack(
                start,
                StackRange::new(low, high),
                kernel_text(),
                Some(trap::INTERRUPT_FRAME),
                visit,
            );
        }
    }

    bare_metal_arch_common!();
}

/// The kernel's text (link.ld): where every return address of a call trace lies.
fn kernel_text() -> Range<usize> {
    extern "C" {
        static __kernel_start: u8;
        static __text_end: u8;
    }
    // Linker-defined symbols: only their addresses are taken.
    core::ptr::addr_of!(__kernel_start) as usize..core::ptr::addr_of!(__text_end) as usize
}

mightfault_arch::impl_raw_user_access!(unsafe impl for S390, user_limit = KERNEL_USER_LIMIT);
