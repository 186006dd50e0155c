//! s390x building blocks, as Linux on s390x has them:
//! - preempt count: in the task, as Linux keeps it in `thread_info` here, so it moves with a
//!   task that sleeps on one cpu and wakes on another. There is nothing arch-specific to it: a
//!   kernel names core's `mightfault_core::preempt_count::TaskPreemptCount<Self>` as its
//!   `Arch::PreemptCount`, and `preempt_disable()` becomes the load of `current` (from the
//!   kernel's lowcore, say) and one `asi`;
//! - `irq`: the PSW system mask's external and I/O bits: save/restore (`stnsm`/`ssm`),
//!   enable (`stosm`), disable, and whether they are masked (`epsw`);
//! - `uaccess`: the raw user accessors, each an MVCOS whose operand-access controls (GR0) put
//!   the user operand in the secondary address space, with a relative exception-table entry:
//!   one MVCOS of 1-8 bytes for get/put, up to 4 KiB per MVCOS for the copies and clear, with
//!   exact residuals (a fault falls back to the user operand's page boundary);
//! - `futex`: `cs` on the user word in the secondary-space mode (`sacf 256` ... `sacf 0`),
//!   with a compare-and-swap loop for the futex operations;
//! - [`fault`]: which program interruption is a data-access fault (translation, ASCE-type and
//!   region, protection), the failing address from the TEID and the address space it was
//!   translated in (only the secondary space is user memory), read or write when known, with
//!   interrupts on or off, and where the faulting instruction of a suppressing exception is.
//!
//! User memory is an address space of its own, as Linux runs s390: the kernel executes in the
//! primary-space mode with its own ASCE in CR1 (and CR13), the user's ASCE is in CR7, and the
//! kernel sets CR0's secondary-space control (bit 37), without which MVCOS naming the secondary
//! space and `sacf` into it are special-operation exceptions. A plain kernel load or store
//! never reaches user memory, and a kernel address used as a user pointer is resolved in the
//! user's space. Nothing opens or closes a user access besides the futex window's `sacf`. A
//! kernel's own user-access `asm!` needs the same (MVCOS with `uaccess::GR0_USER_SOURCE` or
//! `uaccess::GR0_USER_DESTINATION` in GR0, or a `sacf` window) and the exception-table macros
//! shared by every arch ([`ex_entry!`](crate::ex_entry), [`fixup_begin!`](crate::fixup_begin),
//! [`fixup_end!`](crate::fixup_end)).
//!
//! `fault` and the register bits compile for every target (they are pure, so a kernel's host
//! tests and these docs' examples can use them); the rest only for this arch.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

pub mod fault;
#[cfg(target_arch = "s390x")]
pub mod futex;
#[cfg(target_arch = "s390x")]
pub mod irq;
pub mod psw;
#[cfg(target_arch = "s390x")]
pub mod uaccess;
pub mod unwind;
