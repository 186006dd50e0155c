//! The in-atomic copies, for use under pagefault_disable(): a fault ends the copy at once.

use mightfault_core::RawUserAccess;

/// Copies to user memory without checks or might_fault(); returns the bytes not copied.
///
/// # Safety
/// The caller has checked `[to, to + from.len())` with access_ok().
///
/// # Context
/// Never sleeps when called, as intended, with page faults disabled (then faults are fixed up);
/// any context that may not sleep.
#[inline(always)]
pub unsafe fn __copy_to_user_inatomic<A: RawUserAccess>(to: usize, from: &[u8]) -> usize {
    // SAFETY: `from` is a valid slice; the caller vouches for the user range.
    unsafe { A::raw_copy_to_user(to, from.as_ptr(), from.len()) }
}

/// Copies from user memory without checks or might_fault(); returns the bytes not copied and
/// leaves the unfilled tail of `to` as it was (the caller decides what it means).
///
/// # Safety
/// The caller has checked `[from, from + to.len())` with access_ok().
///
/// # Context
/// Never sleeps when called, as intended, with page faults disabled; any context that may not
/// sleep.
#[inline(always)]
pub unsafe fn __copy_from_user_inatomic<A: RawUserAccess>(to: &mut [u8], from: usize) -> usize {
    // SAFETY: `to` is a valid mutable slice; the caller vouches for the user range.
    unsafe { A::raw_copy_from_user(to.as_mut_ptr(), from, to.len()) }
}
