//! s390x building blocks, as Linux on s390x has them:
//! - preempt count: in the task, as Linux keeps it in `thread_info` here, so it moves with a
//!   task that sleeps on one cpu and wakes on another. There is nothing arch-specific to it: a
//!   kernel names core's `mightfault_core::preempt_count::TaskPreemptCount<Self>` as its
//!   `Arch::PreemptCount`, and `preempt_disable()` becomes the load of `current` (from the
//!   kernel's lowcore, say) and one `asi`;
//! - `irq`: the PSW system mask's external and I/O bits: save/restore (`stnsm`/`ssm`),
//!   enable (`stosm`), disable, and whether they are masked (`epsw`);
//! - `uaccess`: the raw user accessors, single loads and stores (byte loops for the copies
//!   and clear), each with a relative exception-table entry;
//! - [`fault`]: which program interruption is a data-access fault (translation, ASCE-type and
//!   region, protection), the failing address from the TEID, read or write when known, with
//!   interrupts on or off, and where the faulting instruction of a suppressing exception is.
//!
//! The user accessors run in the kernel's own address space (the kernel above the user limit),
//! so no instruction opens or closes a user access: there is no `stac`/`clac`-like snippet to
//! export. A kernel's own user-access `asm!` needs only the exception-table macros shared by
//! every arch ([`ex_entry!`](crate::ex_entry), [`fixup_begin!`](crate::fixup_begin),
//! [`fixup_end!`](crate::fixup_end)).
//!
//! `fault` and the register bits compile for every target (they are pure, so a kernel's host
//! tests and these docs' examples can use them); the rest only for this arch.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

pub mod fault;
#[cfg(target_arch = "s390x")]
pub mod irq;
pub mod psw;
#[cfg(target_arch = "s390x")]
pub mod uaccess;
