//! x86_64 under QEMU: a small SMP kernel that boots through PVH and runs the contract.
//!
//! The machine model follows modern Linux on x86_64:
//! - the kernel is linked in the higher half (`0xffffffff80100000`, loaded at 1 MiB) and all
//!   physical memory below 4 GiB is mapped at [`layout::PHYS_OFFSET`]; user space is the lower
//!   canonical half, below [`USER_LIMIT`];
//! - the preempt count is per-cpu, reached through `gs`, with need-resched folded into bit 31
//!   inverted, so `preempt_disable()` is one `add` and `preempt_enable()` one `dec` plus a branch
//!   (see [`percpu`]);
//! - the pagefault-disable counter lives in the task (`mightfault_core::TaskContext`), never
//!   per-cpu;
//! - user accessors are single `mov`s or `rep movsb`/`rep stosb` bracketed by `stac`/`clac`, each
//!   with a relative exception-table entry; SMAP and SMEP are on when the cpu has them;
//! - a small cooperative scheduler with per-cpu run queues runs kernel tasks on every cpu and
//!   lets the tests steer where a task wakes up (`crate::sched`, with the hooks in [`sched`]).
//!
//! Boot order lives in [`boot`]; the interfaces the test suite uses are re-exported here.

#[macro_use]
mod asm_macros;

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
pub mod uaccess;
pub mod user_pages;

use mightfault_core::{Arch, IrqFlags, TaskContext};

pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};
pub use smap::{smap_enabled, smap_probe_plain_read, smep_enabled};
pub use smp::nr_cpus;

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

    #[inline]
    fn now_ns() -> u64 {
        clock::now_ns()
    }

    fn console_write(text: &str) {
        serial::write(text);
    }

    bare_metal_arch_common!();
}
