//! The contract glue: what this kernel writes to adopt mightfault on powerpc64, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`Ppc64`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use mightfault_arch::powerpc64::unwind;
use mightfault_arch::stack_range::StackRange;
use mightfault_core::call_trace::{CallTraceStyle, StackFrame, TraceStart};
use mightfault_core::{Arch, TaskContext};

use super::layout::USER_LIMIT as KERNEL_USER_LIMIT;
use mightfault_core::preempt_count::TaskPreemptCount;

use super::cpu::{self, TB_HZ};
use super::{paca, trap, Ppc64};

// SAFETY: current_task() reads the PACA's current pointer, which the scheduler sets to the
// task it switches to before the switch and which stays valid while that task can run (tasks
// live in static slots); cpu_id() reads the PACA's number written once at bring-up; the irq
// functions really clear and restore MSR[EE].
unsafe impl Arch for Ppc64 {
    type PreemptCount = TaskPreemptCount<Self>;

    const NAME: &'static str = "powerpc64";

    // What Linux prints on this QEMU machine (pseries, POWER10 under TCG, no compat mode
    // negotiated, so no logical PVR; VOF instead of SLOF).
    const HARDWARE_NAME: Option<&'static str> =
        Some("IBM pSeries (emulated by qemu) POWER10 (raw) 0x800200 pSeries");

    const CALL_TRACE_STYLE: CallTraceStyle = CallTraceStyle::Powerpc;

    #[inline(always)]
    fn current_task() -> &'static TaskContext {
        paca::current().context()
    }

    #[inline(always)]
    fn cpu_id() -> u32 {
        paca::cpu_id()
    }

    // SAFETY: every cpu sets up its vectors and handlers before anything on it can call an
    // Arch method (boot.rs and smp.rs run the bring-up steps with interrupts masked).
    mightfault_arch::native_irq_methods!(unsafe);

    #[inline]
    fn now_ns() -> u64 {
        let tb = cpu::read_tb();
        // 1e9 / 512e6 = 125 / 64, without overflow for centuries.
        (tb / TB_HZ) * 1_000_000_000 + (tb % TB_HZ) * 125 / 64
    }

    #[inline(always)]
    fn compiler_barrier() {
        // SAFETY: an empty asm! without `nomem` may read and write any memory, so the compiler
        // cannot move accesses across it, and it emits nothing; LLVM would emit a `sync` for a
        // compiler fence on this target.
        unsafe { core::arch::asm!("", options(nostack, preserves_flags)) }
    }

    fn walk_stack(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
        // The running task's stack: every context runs on one (interrupts build their frame on
        // the interrupted stack). None before the cpu has a task: then no frame is read.
        let (low, high) = if paca::has_current() {
            crate::sched::current_stack_range::<Self>().unwrap_or((0, 0))
        } else {
            (0, 0)
        };
        // SAFETY: a task's stack is a static array of the image, mapped and readable always.
        unsafe {
            unwind::walk_stack(
                start,
                StackRange::new(low, high),
                Some(trap::interrupt_frame()),
                visit,
            );
        }
    }

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for Ppc64, user_limit = KERNEL_USER_LIMIT);
