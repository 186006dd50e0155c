//! Copies that never sleep, and the atomic copy with a sleepable fallback.
//!
//! The November 2014 thread ended with two rules: a copy under a spinlock is a bug unless page
//! faults are disabled around it, and code that must copy under a lock does so with page faults
//! disabled and, when the copy comes up short, drops the lock, faults the pages in where it may
//! sleep, retakes the lock and tries again (Michael S. Tsirkin's proposal in the thread; the
//! pattern btrfs's search ioctl and x86's signal frames settled on). This module has the parts:
//!
//! - [`copy_to_user_nofault`], [`copy_from_user_nofault`] (Linux's names and semantics): check
//!   access_ok(), disable page faults themselves, copy, and return `Err(Efault)` unless every
//!   byte was copied. They never sleep and never page anything in, so any context may call
//!   them;
//! - [`fault_in_writeable`], [`fault_in_readable`] (Linux's): touch every page of a range so that
//!   it is present; they may sleep and return the number of bytes NOT faulted in;
//! - [`copy_to_user_locked`], [`copy_from_user_locked`] and [`copy_from_user_locked_with`]: the
//!   retry loop around a [`RawSpinLock`](mightfault_core::RawSpinLock), with a bounded number of
//!   tries and a [`LockedCopyError`] that says whether the memory is bad or the tries ran out.
//!
//! ```
//! # use minikernel::{machine, PageState, USER_BASE};
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::RawSpinLock;
//! use mightfault_uaccess::nofault::{copy_to_user_locked, copy_to_user_nofault, DEFAULT_MAX_TRIES};
//!
//! static STATS: RawSpinLock = RawSpinLock::new("stats_lock");
//!
//! machine().memory().lay_out(&[PageState::NotPresent]);
//! // Under any lock, from any context: never sleeps, so a page that is not present is -EFAULT.
//! assert!(copy_to_user_nofault::<MyKernel>(USER_BASE, b"x").is_err());
//! // The retry loop: the first try under the lock comes up short, the fault-in (lock dropped)
//! // pages the page in, the second try completes.
//! let mut buf = [0u8; 5];
//! let done = copy_to_user_locked::<MyKernel, _>(&STATS, USER_BASE, &mut buf, DEFAULT_MAX_TRIES, |buf| {
//!     buf.copy_from_slice(b"stats"); // computed under the lock, on every try
//! })
//! .expect("the page can be paged in");
//! assert_eq!(done.tries, 2);
//! ```

mod copy;
mod fault_in;
mod locked;

pub use copy::{copy_from_user_nofault, copy_to_user_nofault};
pub use fault_in::{fault_in_readable, fault_in_writeable, FAULT_IN_STRIDE};
pub use locked::{
    copy_from_user_locked, copy_from_user_locked_with, copy_to_user_locked, Copied,
    LockedCopyError, DEFAULT_MAX_TRIES,
};
