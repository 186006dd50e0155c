//! s390x under QEMU (`s390-ccw-virtio`): a small SMP kernel with DAT on that runs the contract,
//! built from the library's s390x building blocks (`mightfault_arch::s390x`).
//!
//! The machine model follows Linux on s390x where it matters to the contract:
//! - two address spaces (see [`layout`]): the kernel's (primary, CR1 and CR13) maps all RAM
//!   virtual = physical, so the image runs at its load address and the running cpu's lowcore
//!   is at address 0; the user's (secondary, CR7) holds only the test's user area. A plain
//!   kernel load never reaches user memory ([`isolation`] probes it);
//! - the preempt count lives in the task (`thread_info`), core's `TaskPreemptCount`; the
//!   current-task pointer and the cpu number are per-cpu fields of the lowcore (prefix area),
//!   as Linux keeps `current_task` and `cpu_nr` there, each one load off base register 0;
//! - interruptions enter through the lowcore's new PSWs in two stages (real mode to save the
//!   registers, then virtual; see [`entry`]); the library classifies a program interruption
//!   and decides it, and translation and protection exceptions inside a user access are
//!   resolved (this kernel's user-area page-in) or fixed up through the exception table
//!   ([`fault`]);
//! - interrupt masking is the library's PSW system-mask block (re-exported by [`cpu`]), used
//!   through core's `local_irq_*` wrappers; with debug-atomic-sleep the irqs-off flag of the
//!   may-not-sleep word (in the task, with the count) follows every interruption through the
//!   dispatch's entry and exit hooks ([`trap`]) and every switch ([`sched`]);
//! - user accessors are the library's (`impl_raw_user_access!`): MVCOS with the user operand in
//!   the secondary space (up to 4 KiB per instruction for copies), and `cs` under `sacf` for
//!   futexes, each with a relative exception-table entry; CR0's secondary-space control is on;
//! - SMP through SIGP, with the emergency signal as rescheduling IPI; the portable scheduler
//!   (`crate::sched`) runs tasks on every cpu, with each cpu's clock comparator as its tick
//!   and preemption at the end of an external interruption;
//! - console through the SCLP, exit through a disabled-wait PSW.

pub mod bench;
pub mod boot;
pub mod contract;
pub mod cpu;
pub mod entry;
pub mod exit;
pub mod fault;
pub mod isolation;
pub mod layout;
pub mod lowcore;
pub mod paging;
pub mod sched;
pub mod sclp;
pub mod smp;
pub mod trap;
pub mod user_pages;
pub mod vectors;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};
/// The running function's frame (r15), for the suite's frame-chain case.
pub use mightfault_arch::s390x::unwind::current_frame;

/// The s390x machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct S390;
