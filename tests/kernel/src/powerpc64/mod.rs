//! powerpc64 (big-endian, ELFv2) under QEMU's pseries machine: a small SMP kernel that boots
//! from VOF and runs the contract, built from the library's powerpc64 building blocks
//! (`mightfault_arch::powerpc64`).
//!
//! The machine model follows Linux on powerpc64:
//! - radix MMU registered through H_REGISTER_PROC_TBL; the kernel is the 0xc000... quadrant (a
//!   linear map of guest memory), user space the 52-bit quadrant 0 below [`USER_LIMIT`] (see
//!   [`layout`] and [`mmu`]);
//! - the preempt count lives in the task (`TaskPreemptCount`, Linux's thread_info placement
//!   on powerpc64); the current task pointer is per-cpu, in the PACA behind r13 ([`paca`]),
//!   read with the library's r13-relative loads;
//! - the pagefault-disable counter lives in the task (`mightfault_core::TaskContext`);
//! - user accessors are the library's (`impl_raw_user_access!`): single loads/stores or byte
//!   loops, each access with a relative exception-table entry; the library classifies data
//!   storage/segment interrupts and decides them with this kernel's exception table and user
//!   area ([`fault`]);
//! - the portable scheduler runs tasks on every cpu (RTAS `start-cpu`), with XICS IPIs and
//!   H_CEDE for idle cpus ([`sched_hooks`], [`xics`]);
//! - console H_PUT_TERM_CHAR, exit through RTAS power-off / ibm,os-term.
//!
//! Boot order lives in [`boot`]; the interfaces the test suite uses are re-exported here.

#[macro_use]
mod asm_macros;

pub mod boot;
pub mod console;
pub mod context;
pub mod cpu;
pub mod exit;
pub mod fault;
pub mod hcall;
pub mod layout;
pub mod mmu;
pub mod paca;
pub mod rtas;
pub mod sched_hooks;
pub mod smp;
pub mod trap;
pub mod user_pages;
pub mod xics;

use mightfault_core::preempt_count::TaskPreemptCount;
use mightfault_core::{Arch, IrqFlags, TaskContext};

use layout::USER_LIMIT as KERNEL_USER_LIMIT;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};

/// The powerpc64 machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct Ppc64;

/// Time base ticks per second on QEMU's pseries machine (fixed by QEMU, not read from the
/// device tree).
const TB_HZ: u64 = 512_000_000;

// SAFETY: current_task() reads the PACA's current pointer, which the scheduler sets to the
// task it switches to before the switch and which stays valid while that task can run (tasks
// live in static slots); cpu_id() reads the PACA's number written once at bring-up; the irq
// functions really clear and restore MSR[EE].
unsafe impl Arch for Ppc64 {
    type PreemptCount = TaskPreemptCount<Self>;

    const NAME: &'static str = "powerpc64";

    #[inline(always)]
    fn current_task() -> &'static TaskContext {
        paca::current().context()
    }

    #[inline(always)]
    fn cpu_id() -> u32 {
        paca::cpu_id()
    }

    #[inline(always)]
    fn irqs_disabled() -> bool {
        cpu::irqs_disabled()
    }

    #[inline(always)]
    fn local_irq_save() -> IrqFlags {
        IrqFlags::from_raw(cpu::irq_save() as usize)
    }

    #[inline(always)]
    fn local_irq_restore(flags: IrqFlags) {
        cpu::irq_restore(flags.raw() as u64)
    }

    #[inline(always)]
    fn local_irq_enable() {
        // SAFETY: the Arch functions run only on a cpu that is up (vectors installed, PACA and
        // interrupt controller set up).
        unsafe { cpu::enable_irqs() }
    }

    #[inline(always)]
    fn local_irq_disable() {
        cpu::disable_irqs();
    }

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

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for Ppc64, user_limit = KERNEL_USER_LIMIT);
