//! User-memory accessors that know whether they may sleep.
//!
//! Three families, as Linux's (see SCENARIOS.md):
//! - checked: [`get_user`], [`put_user`], [`copy_to_user`], [`copy_from_user`], [`clear_user`],
//!   [`strncpy_from_user`], [`strnlen_user`] run might_fault(), then access_ok() on the range
//!   (Linux's order: the context is checked whatever the pointer);
//! - unchecked: [`__get_user`], [`__put_user`], [`__copy_to_user`], [`__copy_from_user`],
//!   [`__clear_user`] do neither: the caller has done both (so they are `unsafe`);
//! - in-atomic: [`__copy_to_user_inatomic`], [`__copy_from_user_inatomic`] are for use under
//!   pagefault_disable(), never call might_fault() and do not zero the destination's tail;
//! - no-fault: [`copy_to_user_nofault`], [`copy_from_user_nofault`] from any context (they
//!   disable page faults themselves and return -EFAULT on a short copy), with
//!   [`fault_in_writeable`]/[`fault_in_readable`] and the lock-drop-and-retry copies in
//!   [`nofault`] (the atomic copy with a sleepable fallback of the 2014 thread);
//! - futex: [`futex_atomic_cmpxchg_inatomic`], [`futex_atomic_op_inuser`], atomic updates of a
//!   word in user memory under pagefault_disable() that return -EFAULT instead of sleeping, and
//!   [`fault_in_user_writeable`] to bring the word back before a retry.
//!
//! [`typed`] puts the same calls behind context tokens and user pointers, so that a sleeping
//! call in atomic context is a compile error (see `mightfault_core::context`).
//!
//! Copies and clear_user return the number of bytes NOT copied; get/put_user return
//! `Err(Efault)` (-EFAULT), and get_user zeroes its result on failure. Nothing is written past
//! the first byte that faulted.
//!
//! Every function is generic over the machine `A` (the kernel's type that implements
//! `Arch` and `RawUserAccess`) so that it inlines into the backend's instructions.
//!
//! ```
//! # use minikernel::{machine, PageState, USER_BASE};
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::{pagefault_disable, pagefault_enable, RawSpinLock};
//! use mightfault_uaccess::copy_to_user;
//!
//! static LOCK: RawSpinLock = RawSpinLock::new("stats_lock");
//!
//! /// Copies `stats` out under the lock; returns the bytes not copied (the caller retries
//! /// those outside the lock, where the fault may sleep).
//! fn report(user: usize, stats: &[u8]) -> usize {
//!     let guard = LOCK.lock::<MyKernel>();
//!     pagefault_disable::<MyKernel>(); // deliberate: a fault becomes -EFAULT, no sleep
//!     let not_copied = copy_to_user::<MyKernel>(user, stats);
//!     pagefault_enable::<MyKernel>();
//!     drop(guard);
//!     not_copied
//! }
//!
//! machine().memory().lay_out(&[PageState::NotPresent]);
//! assert_eq!(report(USER_BASE, b"stats"), 5, "not present: nothing copied, nothing slept");
//! assert_eq!(copy_to_user::<MyKernel>(USER_BASE, b"stats"), 0, "outside the lock it may sleep");
//! ```
#![no_std]
#![allow(clippy::missing_safety_doc)] // each unsafe fn documents its contract under "Safety"

mod access_ok;
mod checked;
mod futex;
mod inatomic;
pub mod nofault;
mod strings;
pub mod typed;
mod unchecked;

pub use access_ok::access_ok;
pub use checked::{clear_user, copy_from_user, copy_to_user, get_user, put_user};
pub use futex::{fault_in_user_writeable, futex_atomic_cmpxchg_inatomic, futex_atomic_op_inuser};
pub use inatomic::{__copy_from_user_inatomic, __copy_to_user_inatomic};
pub use mightfault_core::{Efault, FutexOp, UserScalar};
pub use nofault::{
    copy_from_user_nofault, copy_to_user_nofault, fault_in_readable, fault_in_writeable,
};
pub use strings::{strncpy_from_user, strnlen_user};
pub use unchecked::{__clear_user, __copy_from_user, __copy_to_user, __get_user, __put_user};
