//! Where the portable contract meets a machine.
//!
//! One module per machine, each implementing `mightfault_core::Arch` (where the preempt count
//! lives, the current cpu and task, irq flags, console, clock) and `RawUserAccess` (the user
//! accessors with their exception-table fixups):
//! - `host`: a simulated SMP machine for `cargo test` (std; both preempt-count placements);
//! - `x86_64`: per-cpu preempt count behind `gs`, #PF/#GP fixups, `rep movsb` copies;
//! - `s390x` and `powerpc64`: the preempt count in the task (`thread_info`), as Linux keeps it there.
//!
//! [`Native`] names the machine this build runs on.
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(target_os = "none")]
pub mod sched;

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
