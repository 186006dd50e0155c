//! Where the portable contract meets a machine.
//!
//! One module per machine, each implementing `mightfault_core::Arch` (where the preempt count
//! lives, the current cpu and task, irq flags, console, clock) and `RawUserAccess` (the user
//! accessors with their exception-table fixups):
//! - `host`: a simulated SMP machine for `cargo test` (std; both preempt-count placements);
//! - `x86_64`: per-cpu preempt count behind `gs`, #PF/#GP fixups, `rep movsb` copies;
//! - `s390x` and `powerpc64`: the preempt count in the task (`thread_info`), as Linux keeps it
//!   there.
//!
//! What is the same on every bare-metal machine is written once, generic over a small hooks
//! trait that each arch implements, or as a macro where the arch's own `asm!` or impl must sit
//! around it:
//! - `sched`: the scheduler (`SchedHooks`);
//! - `user_area`: the tests' user pages, their page-in and direct access (`UserAreaHooks`);
//! - `extable`: the linker-collected exception table and the `ex_entry!` / fixup macros;
//! - `data_fault`: the fix-up / resolve / oops decision of the data-access fault handlers;
//! - `scalar_access`: get_user/put_user's size dispatch and verdict;
//! - `arch_common`: the `Arch` members that do not differ.
//!
//! [`UserPageKind`] is shared by every backend, the host simulation included.
//!
//! [`Native`] names the machine this build runs on.
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

// The macro modules come before the arches, which use their macros.
#[cfg(target_os = "none")]
#[macro_use]
mod arch_common;
#[cfg(target_os = "none")]
#[macro_use]
pub mod extable;
#[cfg(target_os = "none")]
pub mod data_fault;
#[cfg(target_os = "none")]
pub mod sched;
#[cfg(target_os = "none")]
#[macro_use]
pub mod scalar_access;
#[cfg(target_os = "none")]
pub mod user_area;
mod user_page_kind;

pub use user_page_kind::UserPageKind;

cfg_if::cfg_if! {
    if #[cfg(all(target_os = "none", target_arch = "x86_64"))] {
        pub mod x86_64;
        /// The machine this build runs on.
        pub type Native = x86_64::X86;
        pub use x86_64::exit;
    } else if #[cfg(all(target_os = "none", target_arch = "s390x"))] {
        pub mod s390x;
        /// The machine this build runs on.
        pub type Native = s390x::S390;
        pub use s390x::exit;
    } else if #[cfg(all(target_os = "none", target_arch = "powerpc64"))] {
        pub mod powerpc64;
        /// The machine this build runs on.
        pub type Native = powerpc64::Ppc64;
        pub use powerpc64::exit;
    } else if #[cfg(not(target_os = "none"))] {
        pub mod host;
    }
}
