//! x86_64 building blocks, as modern Linux on x86_64 has them:
//! - `preempt_count`: the per-cpu preempt count behind `gs`, at the offset the kernel's
//!   per-cpu area puts it (`preempt_count::PreemptCountOffset`), need-resched folded
//!   inverted into bit 31, so `preempt_disable()` is one `add` and `preempt_enable()` one
//!   `dec` plus a branch; `percpu` reads and writes the kernel's other hot per-cpu fields
//!   (`current`, the cpu number) with one gs-relative `mov` each;
//! - `irq`: RFLAGS.IF save/restore/enable/disable;
//! - `uaccess`: the raw user accessors bracketed by `stac!`/`clac!`, each access with a
//!   relative exception-table entry: single `mov`s behind a branch-free address mask for
//!   get/put, and the block copies of `user_copy` (`rep movsb`/`rep stosb` where the cpu has
//!   fast short string moves, a word loop with an exact byte fallback otherwise, chosen once
//!   at boot by the kernel calling `user_copy::select_at_boot`);
//! - `futex`: the futex word's atomic operations (`lock cmpxchg`, `xchg`, `lock xadd`, a
//!   `lock cmpxchg` loop) inside `stac`/`clac`, -EFAULT instead of a sleep on a fault;
//! - `smap`: turns the `stac`/`clac` sites into NOPs on a cpu without SMAP;
//! - [`fault`]: which #PF/#GP is a user fault, read or write, with interrupts on or off.
//!
//! `fault` and the register bits compile for every target (they are pure, so a kernel's host
//! tests and these docs' examples can use them); the rest only for this arch.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

#[cfg(target_arch = "x86_64")]
#[macro_use]
mod asm_macros;

pub mod fault;
#[cfg(target_arch = "x86_64")]
pub mod futex;
#[cfg(target_arch = "x86_64")]
pub mod irq;
#[cfg(target_arch = "x86_64")]
pub mod percpu;
#[cfg(target_arch = "x86_64")]
pub mod preempt_count;
pub mod rflags;
#[cfg(target_arch = "x86_64")]
pub mod smap;
#[cfg(target_arch = "x86_64")]
pub mod uaccess;
pub mod unwind;
#[cfg(target_arch = "x86_64")]
pub mod user_copy;
