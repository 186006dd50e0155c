//! The contract glue: what this kernel writes to adopt mightfault on s390x, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`S390`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use mightfault_core::{Arch, TaskContext};

use super::layout::USER_LIMIT as KERNEL_USER_LIMIT;
use super::{cpu, lowcore, S390};
use crate::sched::SchedHooks;

// SAFETY: current_task() is the task the lowcore's CURRENT field names, which the scheduler sets
// before switching to it and which stays valid while it can run (static tasks); cpu_id() is the
// lowcore's CPU_NR, written once at bring-up; the irq functions clear, set and restore the PSW's
// external and I/O mask bits.
unsafe impl Arch for S390 {
    type PreemptCount = mightfault_core::preempt_count::TaskPreemptCount<Self>;

    const NAME: &'static str = "s390x";

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

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for S390, user_limit = KERNEL_USER_LIMIT);
