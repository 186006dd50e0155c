//! The contract glue: what this kernel writes to adopt mightfault on x86_64, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`X86`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use mightfault_arch::stack_range::StackRange;
use mightfault_arch::x86_64::preempt_count::{GsPreemptCount, PreemptCountOffset};
use mightfault_arch::x86_64::unwind;
use mightfault_core::call_trace::{CallTraceStyle, StackFrame, TraceStart};
use mightfault_core::{Arch, TaskContext};

use super::layout::USER_LIMIT as KERNEL_USER_LIMIT;
use super::{clock, idt, percpu, X86};

/// Where this kernel keeps the preempt count: the `preempt_count` field of its per-cpu area
/// ([`percpu::PerCpu`]).
pub struct CountAt;

// SAFETY: every cpu's gs points at its PerCpu (install(), before anything else per-cpu), whose
// preempt_count is a u32 in an UnsafeCell at this offset, initialised to PREEMPT_ENABLED, and
// changed only through GsPreemptCount.
unsafe impl PreemptCountOffset for CountAt {
    const OFFSET: usize = percpu::OFF_PREEMPT_COUNT;
}

/// The per-cpu preempt count of this kernel.
pub type PerCpuPreemptCount = GsPreemptCount<CountAt>;

// SAFETY: current_task() reads the per-cpu current pointer, which the scheduler sets to the task
// it switches to before the switch and which stays valid while that task can run (tasks live in
// static slots); cpu_id() reads the per-cpu number written once when the cpu came up; the irq
// functions really mask interrupts with `cli` and restore RFLAGS with `popfq`.
unsafe impl Arch for X86 {
    type PreemptCount = PerCpuPreemptCount;

    const NAME: &'static str = "x86_64";

    /// What Linux's `dump_stack()` prints on QEMU's q35 machine (the DMI vendor and product;
    /// the image reads no SMBIOS, so the `, BIOS ...` part Linux appends is left out).
    const HARDWARE_NAME: Option<&'static str> = Some("QEMU Standard PC (Q35 + ICH9, 2009)");

    const CALL_TRACE_STYLE: CallTraceStyle = CallTraceStyle::X86;

    #[inline(always)]
    fn current_task() -> &'static TaskContext {
        percpu::current_task_context()
    }

    #[inline(always)]
    fn cpu_id() -> u32 {
        percpu::cpu_id()
    }

    // SAFETY: every cpu sets up its vectors and handlers before anything on it can call an
    // Arch method (boot.rs and smp.rs run the bring-up steps with interrupts masked).
    mightfault_arch::native_irq_methods!(unsafe);

    #[inline]
    fn now_ns() -> u64 {
        clock::now_ns()
    }

    /// The library's frame-pointer walk (the images are built with
    /// `-C force-frame-pointers=non-leaf`) over the running task's stack, which is also where
    /// every interrupt and exception but the double fault runs (idt.rs); it crosses the
    /// common entry path into the interrupted code ([`idt::interrupt_frame`]).
    fn walk_stack(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
        let Some((low, high)) = crate::sched::current_stack_range::<X86>() else {
            return;
        };
        // SAFETY: task and boot stacks are static memory, mapped for the whole run, and the
        // range is one of them.
        unsafe {
            unwind::walk_stack(
                start,
                StackRange::new(low, high),
                Some(idt::interrupt_frame()),
                visit,
            )
        }
    }

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for X86, user_limit = KERNEL_USER_LIMIT);
