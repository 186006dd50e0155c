//! powerpc64 (ELFv2, radix MMU) building blocks, as Linux on powerpc64 has them:
//! - the preempt count lives in the task, as Linux keeps it in thread_info on powerpc64: the
//!   kernel names `mightfault_core::preempt_count::TaskPreemptCount` as its
//!   `Arch::PreemptCount`, and nothing of it is here; `percpu` reads the kernel's hot
//!   per-cpu fields (`current`, the cpu number) from the r13-based area (Linux's PACA) with
//!   one load each, so `preempt_disable()` is that load of `current` and one add;
//! - `irq`: MSR\[EE\] save/restore/enable/disable (`mfmsr`, `mtmsrd` with L=1);
//! - `uaccess`: the raw user accessors, single loads/stores or byte loops, each access with a
//!   relative exception-table entry (no `stac`/`clac` counterpart: the kernel opens user
//!   access once, through the AMR, so its own user-access `asm!` needs only the shared
//!   [`ex_entry!`](crate::ex_entry), [`fixup_begin!`](crate::fixup_begin) and
//!   [`fixup_end!`](crate::fixup_end));
//! - [`fault`]: which data storage (0x300) or data segment (0x380) interrupt is a user fault,
//!   load or store, with interrupts on or off.
//!
//! `fault` and the register bits compile for every target (they are pure, so a kernel's host
//! tests and these docs' examples can use them); the rest only for this arch.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

pub mod fault;
#[cfg(target_arch = "powerpc64")]
pub mod irq;
pub mod msr;
#[cfg(target_arch = "powerpc64")]
pub mod percpu;
#[cfg(target_arch = "powerpc64")]
pub mod uaccess;
