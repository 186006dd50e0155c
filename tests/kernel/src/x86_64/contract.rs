//! The contract glue: what this kernel writes to adopt mightfault on x86_64, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`X86`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use mightfault_arch::x86_64::preempt_count::{GsPreemptCount, PreemptCountOffset};
use mightfault_core::{Arch, TaskContext};

use super::layout::USER_LIMIT as KERNEL_USER_LIMIT;
use super::{clock, percpu, X86};

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

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for X86, user_limit = KERNEL_USER_LIMIT);
