//! The `__` accessors: no access_ok(), no might_fault(). The caller has checked the range and
//! annotated the sleep once for a batch of accesses.

use mightfault_core::{Efault, RawUserAccess, UserScalar};

/// [`crate::copy_to_user`] without its checks.
///
/// # Safety
/// The caller has checked `[to, to + from.len())` with access_ok(); an unchecked kernel address
/// would be written like user memory.
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled; the caller has called
/// might_fault().
#[inline(always)]
pub unsafe fn __copy_to_user<A: RawUserAccess>(to: usize, from: &[u8]) -> usize {
    // SAFETY: `from` is a valid slice; the caller vouches for the user range.
    unsafe { A::raw_copy_to_user(to, from.as_ptr(), from.len()) }
}

/// [`crate::copy_from_user`] without its checks; it still zeroes the part of `to` it could not
/// fill.
///
/// # Safety
/// The caller has checked `[from, from + to.len())` with access_ok().
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled; the caller has called
/// might_fault().
#[inline(always)]
pub unsafe fn __copy_from_user<A: RawUserAccess>(to: &mut [u8], from: usize) -> usize {
    let len = to.len();
    // SAFETY: `to` is a valid mutable slice; the caller vouches for the user range.
    let left = unsafe { A::raw_copy_from_user(to.as_mut_ptr(), from, len) };
    to[len - left..].fill(0);
    left
}

/// [`crate::clear_user`] without its checks.
///
/// # Safety
/// The caller has checked `[to, to + n)` with access_ok().
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled; the caller has called
/// might_fault().
#[inline(always)]
pub unsafe fn __clear_user<A: RawUserAccess>(to: usize, n: usize) -> usize {
    // SAFETY: the caller vouches for the user range.
    unsafe { A::raw_clear_user(to, n) }
}

/// [`crate::get_user`] without its checks; `value` is zeroed on failure.
///
/// # Safety
/// The caller has checked `[from, from + size_of::<T>())` with access_ok().
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled; the caller has called
/// might_fault().
#[inline(always)]
pub unsafe fn __get_user<A: RawUserAccess, T: UserScalar>(
    value: &mut T,
    from: usize,
) -> Result<(), Efault> {
    // SAFETY: the caller vouches for the user range; the backend zeroes `value` on failure.
    unsafe { A::raw_get_user(value, from) }
}

/// [`crate::put_user`] without its checks.
///
/// # Safety
/// The caller has checked `[to, to + size_of::<T>())` with access_ok().
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled; the caller has called
/// might_fault().
#[inline(always)]
pub unsafe fn __put_user<A: RawUserAccess, T: UserScalar>(
    value: T,
    to: usize,
) -> Result<(), Efault> {
    // SAFETY: the caller vouches for the user range.
    unsafe { A::raw_put_user(to, value) }
}
