//! s390x under QEMU (`s390-ccw-virtio`): a small SMP kernel with DAT on that runs the contract,
//! built from the library's s390x building blocks (`mightfault_arch::s390x`).
//!
//! The machine model follows Linux on s390x where it matters to the contract:
//! - one primary address space (a region-third ASCE): user space below [`USER_LIMIT`] (2 TiB),
//!   all RAM mapped at [`layout::KERNEL_BASE`] (3 TiB) where the kernel runs (see [`layout`]);
//! - the preempt count lives in the task (`thread_info`), core's `TaskPreemptCount`; the
//!   current-task pointer and the cpu number are per-cpu fields of the lowcore (prefix area),
//!   as Linux keeps `current_task` and `cpu_nr` there;
//! - interruptions enter through the lowcore's new PSWs in two stages (real mode to save the
//!   registers, then virtual; see [`entry`]); the library classifies a program interruption
//!   and decides it, and translation and protection exceptions inside a user access are
//!   resolved (this kernel's user-area page-in) or fixed up through the exception table
//!   ([`fault`]);
//! - interrupt masking is the library's PSW system-mask block (re-exported by [`cpu`]);
//! - user accessors are the library's (`impl_raw_user_access!`): single loads and stores (byte
//!   loops for copies), each with a relative exception-table entry;
//! - SMP through SIGP, with the emergency signal as rescheduling IPI; the portable scheduler
//!   (`crate::sched`) runs tasks on every cpu;
//! - console through the SCLP, exit through a disabled-wait PSW.

pub mod boot;
pub mod cpu;
pub mod entry;
pub mod exit;
pub mod fault;
pub mod layout;
pub mod lowcore;
pub mod paging;
pub mod sched;
pub mod sclp;
pub mod smp;
pub mod trap;
pub mod user_pages;
pub mod vectors;

use mightfault_core::{Arch, IrqFlags, TaskContext};

use crate::sched::SchedHooks;

use layout::USER_LIMIT as KERNEL_USER_LIMIT;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};

/// The s390x machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct S390;

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
