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
//! - a small scheduler (preemptive with `preempt`) with per-cpu run queues runs kernel tasks
//!   on every cpu and lets the tests steer where a task wakes up (`crate::sched`, with the
//!   hooks in [`sched`]);
//!   each cpu takes a tick from its local APIC timer ([`timer`]), and the return from any
//!   hardware interrupt may preempt the interrupted task.
//!
//! Boot order lives in [`boot`]; the interfaces the test suite uses are re-exported here.

pub mod acpi;
pub mod apic;
pub mod bench;
pub mod boot;
pub mod clock;
pub mod context;
pub mod contract;
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
pub mod timer;
pub mod tlb;
pub mod trap;
pub mod user_pages;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};
/// The library's frame-pointer walker, which [`X86`]'s `walk_stack` runs, for the x86_64
/// suite's case that corrupts a frame record.
pub use mightfault_arch::x86_64::unwind;
/// The library's raw user accessors (the address mask) and block-copy routines, for the
/// x86_64 suite's cases that run them directly.
pub use mightfault_arch::x86_64::{uaccess as raw_uaccess, user_copy};
pub use smap::{smap_enabled, smap_probe_plain_read, smep_enabled};

/// The x86_64 machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct X86;
