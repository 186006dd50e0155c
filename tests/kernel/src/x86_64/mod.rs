//! x86_64 under QEMU: a small SMP kernel that boots through PVH and runs the contract, built
//! from the library's x86_64 building blocks (`mightfault_arch::x86_64`).
//!
//! The machine model follows modern Linux on x86_64:
//! - the kernel is linked in the higher half (`0xffffffff80100000`, loaded at 1 MiB) and all
//!   physical memory below 4 GiB is mapped at [`layout::PHYS_OFFSET`]; user space is the lower
//!   canonical half, below [`USER_LIMIT`];
//! - the preempt count is the library's per-cpu `GsPreemptCount`, placed in this kernel's
//!   per-cpu area behind `gs` (see [`percpu`]);
//! - the pagefault-disable counter lives in the task (`mightfault_core::TaskContext`), never
//!   per-cpu;
//! - user accessors are the library's (`impl_raw_user_access!`); SMAP and SMEP are on when the
//!   cpu has them;
//! - a small cooperative scheduler with per-cpu run queues runs kernel tasks on every cpu and
//!   lets the tests steer where a task wakes up (`crate::sched`, with the hooks in [`sched`]).
//!
//! Boot order lives in [`boot`]; the interfaces the test suite uses are re-exported here.

pub mod acpi;
pub mod apic;
pub mod boot;
pub mod clock;
pub mod context;
pub mod cpu;
pub mod exit;
pub mod fault;
pub mod gdt;
pub mod idt;
pub mod layout;
pub mod paging;
pub mod percpu;
pub mod pic;
pub mod sched;
pub mod serial;
pub mod smap;
pub mod smp;
pub mod tlb;
pub mod trap;
pub mod user_pages;

use mightfault_core::{Arch, IrqFlags, TaskContext};

use layout::USER_LIMIT as KERNEL_USER_LIMIT;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};
pub use smap::{smap_enabled, smap_probe_plain_read, smep_enabled};

/// The x86_64 machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct X86;

// SAFETY: current_task() reads the per-cpu current pointer, which the scheduler sets to the task
// it switches to before the switch and which stays valid while that task can run (tasks live in
// static slots); cpu_id() reads the per-cpu number written once when the cpu came up; the irq
// functions really mask interrupts with `cli` and restore RFLAGS with `popfq`.
unsafe impl Arch for X86 {
    type PreemptCount = percpu::PerCpuPreemptCount;

    const NAME: &'static str = "x86_64";

    #[inline(always)]
    fn current_task() -> &'static TaskContext {
        percpu::current_task_context()
    }

    #[inline(always)]
    fn cpu_id() -> u32 {
        percpu::cpu_id()
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
        // SAFETY: the Arch functions run only on a cpu that is up (IDT loaded, handlers ready).
        unsafe { cpu::enable_irqs() }
    }

    #[inline(always)]
    fn local_irq_disable() {
        cpu::disable_irqs();
    }

    #[inline]
    fn now_ns() -> u64 {
        clock::now_ns()
    }

    bare_metal_arch_common!();
}

mightfault_arch::impl_raw_user_access!(unsafe impl for X86, user_limit = KERNEL_USER_LIMIT);
