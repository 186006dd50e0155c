//! User-memory accessors that know whether they may sleep.
//!
//! Three families, as Linux's (see SCENARIOS.md):
//! - checked: [`get_user`], [`put_user`], [`copy_to_user`], [`copy_from_user`], [`clear_user`],
//!   [`strncpy_from_user`], [`strnlen_user`] run access_ok() on the range, then might_fault();
//! - unchecked: [`__get_user`], [`__put_user`], [`__copy_to_user`], [`__copy_from_user`],
//!   [`__clear_user`] do neither: the caller has done both (so they are `unsafe`);
//! - in-atomic: [`__copy_to_user_inatomic`], [`__copy_from_user_inatomic`] are for use under
//!   pagefault_disable(), never call might_fault() and do not zero the destination's tail.
//!
//! Copies and clear_user return the number of bytes NOT copied; get/put_user return
//! `Err(Efault)` (-EFAULT), and get_user zeroes its result on failure. Nothing is written past
//! the first byte that faulted.
//!
//! Every function is generic over the machine `A` so that it inlines into the backend's
//! instructions; kernels name their machine once (`mightfault_arch::Native`).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(clippy::missing_safety_doc)] // each unsafe fn documents its contract under "Safety"

mod access_ok;
mod checked;
mod inatomic;
mod strings;
mod unchecked;

pub use access_ok::access_ok;
pub use checked::{clear_user, copy_from_user, copy_to_user, get_user, put_user};
pub use inatomic::{__copy_from_user_inatomic, __copy_to_user_inatomic};
pub use mightfault_core::{Efault, UserScalar};
pub use strings::{strncpy_from_user, strnlen_user};
pub use unchecked::{__clear_user, __copy_from_user, __copy_to_user, __get_user, __put_user};
