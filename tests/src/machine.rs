//! What the `seed` suite needs from a backend beyond the contract itself: user pages it can lay
//! out, a scheduler it can steer, and a view of memory that bypasses the accessors under test.
//!
//! Every backend that runs the suite (the host simulation and each bootable image) implements
//! this trait once; the suite itself is written once, in `seed`.

use mightfault_core::{Arch, RawUserAccess, RawUserFutex};

use crate::ktap::Suite;

/// The state a user page is set up in: the arch crate's [`mightfault_test_kernel::UserPageKind`],
/// which every backend takes as it is.
pub use mightfault_test_kernel::UserPageKind as PageKind;

/// A machine the `seed` suite can run on.
pub trait SeedMachine: Arch + RawUserAccess + RawUserFutex {
    /// Size of a user page in bytes.
    const PAGE_SIZE: usize;

    /// Whether user memory is an address space of its own (s390x: the user ASCE in CR7, the
    /// accessors' MVCOS naming it), so that no kernel address range exists for access_ok to
    /// refuse: a kernel address passes it, the accessors resolve it in the user's space, where
    /// nothing is mapped there, and fail with -EFAULT after one try, kernel memory untouched.
    const SEPARATE_USER_SPACE: bool = false;

    /// Number of cpus the machine runs tasks on.
    fn nr_cpus() -> u32;

    /// Replaces the test's user area with `kinds.len()` consecutive pages of the given kinds
    /// and returns the user address of the first. Present pages start filled with zeros.
    /// The area is at most 16 pages; any earlier layout is discarded.
    fn map_user_pages(kinds: &[PageKind]) -> usize;

    /// Whether the user page containing `addr` is present now.
    fn user_page_present(addr: usize) -> bool;

    /// Makes the present user page containing `addr` not present while keeping its contents
    /// and writability: the next access faults and pages it in again (sleeping once, as any
    /// page-in), with the same bytes. Stale translations are dropped on every cpu. Returns
    /// false, changing nothing, when the page is not present (or not in the test's area).
    ///
    /// Callable with a spinlock held (it never sleeps, though on x86_64 it waits for the other
    /// cpus' TLB flush), but not with interrupts disabled.
    fn evict_user_page(addr: usize) -> bool;

    /// Reads user memory without faulting and without the accessors under test. Returns false
    /// (filling nothing) when any byte of the range is not present.
    fn peek_user(addr: usize, buf: &mut [u8]) -> bool;

    /// Writes user memory without faulting and without the accessors under test (setup only;
    /// read-only pages are written too). Returns false when any byte is not present.
    fn poke_user(addr: usize, data: &[u8]) -> bool;

    /// Makes the next wake-up of the current task resume it on `cpu`.
    fn direct_next_wakeup(cpu: u32);

    /// Puts the current task to sleep; while it sleeps, runs `other(arg)` as a new task called
    /// `name` on the cpu the current task leaves, to completion; then resumes the current task
    /// on `resume_on`. `arg` usually points at data on the sleeping task's stack.
    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32);

    /// Cases only this machine has (SMAP on x86_64, say), run after the portable suites.
    ///
    /// # Context
    /// Never sleeps (it only builds the list); any context.
    fn arch_suite() -> Option<Suite> {
        None
    }
}
