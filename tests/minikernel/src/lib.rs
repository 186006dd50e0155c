//! minikernel: a kernel that is not mightfault's, in miniature, to show (and test) that the
//! library's public API is all a kernel needs.
//!
//! It runs on the host, so it has no real cpus, page tables or traps; it models them in its own
//! layout, the way a kernel's own structures would be:
//! - [`cpu`]: its per-cpu area, holding this kernel's own preempt-count store (per-cpu, with
//!   need-resched folded in inverted, as x86_64 does) and the interrupt flag;
//! - [`task`]: its task structure, which embeds mightfault's `TaskContext`;
//! - [`machine`]: one machine per host thread (two cpus, one task), its clock and console, and
//!   the scheduler's only operation, a sleep that wakes on the other cpu;
//! - [`user_memory`]: its "MMU": four user pages whose state a test sets, with a page-in;
//! - [`uaccess`]: its raw user accessors, each a loop that "faults" on a missing page and goes
//!   through its fault handler;
//! - [`fault`]: its fault handler, which takes mightfault's decision
//!   (`mightfault_arch::data_fault::decide`) with its own exception table and page-in;
//! - [`arch_impl`]: `Arch` and `RawUserAccess` for [`Mini`], composed from the above.
//!
//! Everything mightfault offers (`copy_to_user`, `might_fault`, spinlocks, pagefault_disable,
//! the reports) then works on [`Mini`] as on the bundled kernels.

pub mod arch_impl;
pub mod cpu;
pub mod fault;
pub mod machine;
pub mod task;
pub mod uaccess;
pub mod user_memory;

pub use arch_impl::Mini;
pub use machine::{machine, Machine, NR_CPUS};
pub use user_memory::{PageState, PAGE_SIZE, USER_BASE, USER_LIMIT, USER_PAGES};
