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
//! - user accessors are the library's (`impl_raw_user_access!`): single loads/stores, block
//!   copies and `lwarx`/`stwcx.` futex loops, each access with a relative exception-table
//!   entry, inside a KUAP window: user access is blocked through the AMR everywhere else
//!   ([`kuap`]); the library classifies data storage/segment interrupts (with the AMR the
//!   entry saved) and decides them with this kernel's exception table and user area
//!   ([`fault`]);
//! - the portable scheduler runs tasks on every cpu (RTAS `start-cpu`), with XICS IPIs and
//!   H_CEDE for idle cpus ([`sched_hooks`], [`xics`]);
//! - the timer tick is each cpu's decrementer (vector 0x900), re-armed one-shot from the tick;
//!   the decrementer and external interrupts end with the scheduler's `irq_return`, which may
//!   preempt the interrupted task, and the exception exit is safe for a task that resumes on
//!   another cpu ([`trap`]);
//! - console H_PUT_TERM_CHAR, exit through RTAS power-off / ibm,os-term.
//!
//! Boot order lives in [`boot`]; the interfaces the test suite uses are re-exported here.

#[macro_use]
mod asm_macros;

pub mod bench;
pub mod boot;
pub mod console;
pub mod context;
pub mod contract;
pub mod cpu;
pub mod exit;
pub mod fault;
pub mod hcall;
pub mod kuap;
pub mod layout;
pub mod mmu;
pub mod paca;
pub mod rtas;
pub mod sched_hooks;
pub mod smp;
pub mod trap;
pub mod user_pages;
pub mod xics;

pub use crate::online_cpus::nr_cpus;
pub use exit::exit;
pub use layout::{PAGE_SIZE, USER_AREA_BASE, USER_LIMIT};
/// r1, the current frame (for the suite's corrupt-back-chain case).
pub use mightfault_arch::powerpc64::unwind::current_frame;

/// The powerpc64 machine. A zero-sized type: the machine is implicit, as it is for kernel code.
pub struct Ppc64;
