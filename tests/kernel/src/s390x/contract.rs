//! The contract glue: what this kernel writes to adopt mightfault on s390x, and all of it
//! besides its fault handler ([`super::fault`]) and its exception table
//! ([`crate::extable`]): `Arch` for [`S390`] over its own per-cpu area, task and clock, and
//! `RawUserAccess` from the library's accessors. PORTING.md walks through each member.

use mightfault_core::{Arch, IrqFlags, TaskContext};

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

    #[inline(always)]
    fn irqs_disabled() -> bool {
        cpu::irqs_disabled()
    }

    #[inline(always)]
    fn local_irq_save() -> IrqFlags {
        IrqFlags::from_raw(usize::from(cpu::irq_save()))
    }

    #[inline(always)]
    fn local_irq_restore(flags: IrqFlags) {
        cpu::irq_restore(flags.raw() as u8)
    }

    #[inline(always)]
    fn local_irq_enable() {
        // SAFETY: the Arch functions run only on a cpu that is up (its new PSWs and the
        // external handler's lowcore fields are installed before anything runs on it).
        unsafe { cpu::enable_irqs() }
    }

    #[inline(always)]
    fn local_irq_disable() {
        cpu::disable_irqs();
    }

    #[inline]
    fn now_ns() -> u64 {
        // TOD bit 51 is one microsecond: ns = tod * 1000 / 4096.
        (u128::from(cpu::tod()) * 125 / 512) as u64
    }

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for S390, user_limit = KERNEL_USER_LIMIT);
