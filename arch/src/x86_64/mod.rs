//! x86_64 building blocks, as modern Linux on x86_64 has them:
//! - [`preempt_count`]: the per-cpu preempt count behind `gs`, at the offset the kernel's
//!   per-cpu area puts it ([`preempt_count::PreemptCountOffset`]), need-resched folded
//!   inverted into bit 31, so `preempt_disable()` is one `add` and `preempt_enable()` one
//!   `dec` plus a branch; [`percpu`] reads and writes the kernel's other hot per-cpu fields
//!   (`current`, the cpu number) with one gs-relative `mov` each;
//! - [`irq`]: RFLAGS.IF save/restore/enable/disable;
//! - [`uaccess`]: the raw user accessors, single `mov`s or `rep movsb`/`rep stosb` bracketed by
//!   [`stac!`](crate::stac)/[`clac!`](crate::clac), each with a relative exception-table entry;
//!   [`smap`] turns the `stac`/`clac` sites into NOPs on a cpu without SMAP;
//! - [`fault`]: which #PF/#GP is a user fault, read or write, with interrupts on or off.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

#[macro_use]
mod asm_macros;

pub mod fault;
pub mod irq;
pub mod percpu;
pub mod preempt_count;
pub mod smap;
pub mod uaccess;
