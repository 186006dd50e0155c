//! The bundled test kernels: one consumer of the mightfault library, using it only through its
//! public API, as any other kernel would.
//!
//! - `host`: a simulated SMP machine for `cargo test` (std; both preempt-count placements);
//! - `x86_64`, `s390x`, `powerpc64`: small SMP kernels that boot under QEMU, each composing
//!   the library's building blocks (`mightfault_arch::<arch>`) with its own per-cpu area, task
//!   structure, page tables, console and scheduler.
//!
//! What is the same on every bare-metal kernel here is written once, generic over a small hooks
//! trait that each arch implements, or as a macro where the arch's own impl must sit around it:
//! - `sched`: the scheduler, with the tests' steering (`SchedHooks`);
//! - `user_area`: the tests' user pages, their page-in and direct access (`UserAreaHooks`);
//! - `console`: the console lock and its write paths, over the arch's device (`ConsoleDevice`);
//! - `oops`: the oops that ends the run, around the arch's register block;
//! - `online_cpus`: how many cpus are up, and the boot cpu's wait for each one it starts;
//! - `extable`: this kernel's exception table (the library's `ExceptionTable`), installed out
//!   of order on purpose (`extable_reverse`) so that every fault fixed up depends on the sort;
//! - `arch_common`: the `Arch` members that do not differ.
//!
//! [`UserPageKind`] is shared by every backend, the host simulation included.
//!
//! `Native` names the machine this build runs on (bare metal only).
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

// The macro modules come before the arches, which use their macros.
#[cfg(target_os = "none")]
#[macro_use]
mod arch_common;
#[cfg(target_os = "none")]
pub mod batch_spread;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
pub mod extable;
#[cfg(target_os = "none")]
pub mod extable_reverse;
#[cfg(target_os = "none")]
pub mod kallsyms;
#[cfg(target_os = "none")]
pub mod online_cpus;
#[cfg(target_os = "none")]
pub mod oops;
#[cfg(target_os = "none")]
pub mod sched;
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
