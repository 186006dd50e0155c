//! The test suites every backend runs, written once over [`SeedMachine`].
//!
//! - [`seed`]: the eleven cases of SCENARIOS.md, the project's contract;
//! - [`uaccess_suite`]: every accessor against every kind of bad input;
//! - [`nofault_suite`]: the copies that never sleep, fault-in, and the atomic copy with a
//!   sleepable fallback;
//! - [`futex_suite`]: atomic operations on user memory with page faults disabled;
//! - a machine's own suite, if it has one ([`SeedMachine::arch_suite`]);
//! - [`seed_typed`]: the seed scenarios in their correct form with the typed API.
//!
//! All print KTAP through the machine's console (see [`ktap`]), so the host tests and the
//! bootable images produce the same report.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod bench;
pub mod context_machine;
pub mod contexts;
pub mod futex_suite;
pub mod ktap;
pub mod machine;
pub mod machines;
pub mod nofault_suite;
mod report_shape;
pub mod seed;
pub mod seed_typed;
mod support;
pub mod uaccess_suite;

pub use context_machine::ContextMachine;
pub use machine::{PageKind, SeedMachine};

/// Runs every suite on machine `M`, printing KTAP; returns whether nothing failed.
///
/// # Context
/// Sleeps (the cases page memory in and migrate between cpus); run it from a task in process
/// context with no locks held.
pub fn run_all<M: ContextMachine>() -> bool {
    let (seed, uaccess, contexts, nofault, futex, typed) = (
        seed::suite::<M>(),
        uaccess_suite::suite::<M>(),
        contexts::suite::<M>(),
        nofault_suite::suite::<M>(),
        futex_suite::suite::<M>(),
        seed_typed::suite::<M>(),
    );
    match M::arch_suite() {
        Some(arch) => ktap::run::<M>(&[seed, uaccess, contexts, nofault, futex, arch, typed]),
        None => ktap::run::<M>(&[seed, uaccess, contexts, nofault, futex, typed]),
    }
}
