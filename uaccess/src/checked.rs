//! The checked accessors: might_fault(), then access_ok(), then the raw access.
//!
//! might_fault() comes first, as in Linux's `_copy_to_user()`, `_copy_from_user()`
//! (include/linux/uaccess.h) and the generic `get_user()`, `put_user()` and `clear_user()`
//! (include/asm-generic/uaccess.h): a call from a context that must not sleep is a bug whatever
//! pointer it is handed, so `spin_lock(); copy_to_user(bad_pointer)` is reported too, and not
//! only when the pointer happens to be good. A zero-length copy or clear is checked as well.
//!
//! get_user() and put_user() range-check with the backend's branch-free address mask where it
//! has one (`RawUserAccess::MASKS_USER_ADDRESS`, x86_64): an address outside user space
//! becomes one whose access faults, and the fault is fixed up to -EFAULT like any other.

use core::panic::Location;

use mightfault_core::{
    might_fault, might_fault_at, might_fault_pending, Efault, RawUserAccess, UserScalar,
};

use crate::access_ok::access_ok;

/// Copies `from` to user address `to`; returns the number of bytes not copied (0 on success,
/// `from.len()` when the range is not a user range).
///
/// ```
/// # use minikernel::{machine, PageState, PAGE_SIZE, USER_BASE};
/// # use minikernel::Mini as MyKernel;
/// use mightfault_uaccess::copy_to_user;
///
/// machine().memory().lay_out(&[PageState::Present { writable: true }, PageState::Unmapped]);
/// assert_eq!(copy_to_user::<MyKernel>(USER_BASE, b"hello"), 0);
/// // Across the end of the mapped page: the 3 bytes past it are not copied.
/// assert_eq!(copy_to_user::<MyKernel>(USER_BASE + PAGE_SIZE - 2, b"hello"), 3);
/// // A kernel address is refused before any access.
/// let kernel = b"secret".as_ptr() as usize;
/// assert_eq!(copy_to_user::<MyKernel>(kernel, b"hello"), 5);
/// ```
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled (then a fault ends the
/// copy). Process context; with debug-atomic-sleep, a call in atomic context without
/// pagefault_disable() is reported, whatever the address and length.
#[inline(always)]
#[track_caller]
pub fn copy_to_user<A: RawUserAccess>(to: usize, from: &[u8]) -> usize {
    might_fault::<A>();
    if !access_ok::<A>(to, from.len()) {
        return from.len();
    }
    // SAFETY: `from` is a valid slice and the user range was checked by access_ok() above.
    unsafe { A::raw_copy_to_user(to, from.as_ptr(), from.len()) }
}

/// Copies from user address `from` into `to`; returns the number of bytes not copied. The part
/// of `to` that could not be filled is zeroed, so no stale kernel data leaks to the caller.
///
/// ```
/// # use minikernel::{machine, PageState, PAGE_SIZE, USER_BASE};
/// # use minikernel::Mini as MyKernel;
/// use mightfault_uaccess::{copy_from_user, copy_to_user};
///
/// machine().memory().lay_out(&[PageState::Present { writable: true }, PageState::Unmapped]);
/// let end = USER_BASE + PAGE_SIZE - 2;
/// assert_eq!(copy_to_user::<MyKernel>(end, b"ab"), 0);
/// let mut buf = *b"xxxxx";
/// assert_eq!(copy_from_user::<MyKernel>(&mut buf, end), 3);
/// assert_eq!(&buf, b"ab\0\0\0", "the tail that could not be read is zeroed");
/// ```
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address.
#[inline(always)]
#[track_caller]
pub fn copy_from_user<A: RawUserAccess>(to: &mut [u8], from: usize) -> usize {
    let len = to.len();
    might_fault::<A>();
    if !access_ok::<A>(from, len) {
        to.fill(0);
        return len;
    }
    // SAFETY: `to` is a valid mutable slice and the user range was checked by access_ok().
    let left = unsafe { A::raw_copy_from_user(to.as_mut_ptr(), from, len) };
    to[len - left..].fill(0);
    left
}

/// Zeroes `n` bytes at user address `to`; returns the number of bytes not zeroed.
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address.
#[inline(always)]
#[track_caller]
pub fn clear_user<A: RawUserAccess>(to: usize, n: usize) -> usize {
    might_fault::<A>();
    if !access_ok::<A>(to, n) {
        return n;
    }
    // SAFETY: the user range was checked by access_ok() above.
    unsafe { A::raw_clear_user(to, n) }
}

/// Reads one value from user address `from` into `value`; on failure `value` is zeroed and
/// `Err(Efault)` returned.
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address.
#[inline(always)]
#[track_caller]
pub fn get_user<A: RawUserAccess, T: UserScalar>(value: &mut T, from: usize) -> Result<(), Efault> {
    // might_fault() in two halves: the second goes out of line with the access itself, as a
    // tail, so the fast path makes no call. The value comes back by value, so it need not
    // live in memory across a call.
    if might_fault_pending::<A>() {
        let (result, read) = get_user_after_check::<A, T>(from, Location::caller());
        *value = read;
        return result;
    }
    get_user_access::<A, T>(value, from)
}

/// get_user() when the may-not-sleep word was not zero: the rest of might_fault(), then the
/// access; returns the result and the value read (zero on failure).
#[cold]
#[inline(never)]
fn get_user_after_check<A: RawUserAccess, T: UserScalar>(
    from: usize,
    at: &'static Location<'static>,
) -> (Result<(), Efault>, T) {
    might_fault_at::<A>(at);
    let mut value = T::from_bits(0);
    let result = get_user_access::<A, T>(&mut value, from);
    (result, value)
}

/// get_user()'s range check (or address mask) and access.
#[inline(always)]
fn get_user_access<A: RawUserAccess, T: UserScalar>(
    value: &mut T,
    from: usize,
) -> Result<(), Efault> {
    if A::MASKS_USER_ADDRESS {
        // SAFETY: a masked address is the user address itself or one whose access faults and
        // is fixed up; the backend zeroes `value` on failure.
        return unsafe { A::raw_get_user(value, A::mask_user_address(from)) };
    }
    if !access_ok::<A>(from, T::SIZE) {
        *value = T::from_bits(0);
        return Err(Efault);
    }
    // SAFETY: the user range was checked by access_ok() above; the backend zeroes `value` on
    // failure.
    unsafe { A::raw_get_user(value, from) }
}

/// Writes `value` to user address `to` in one access; nothing is written on failure.
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address.
#[inline(always)]
#[track_caller]
pub fn put_user<A: RawUserAccess, T: UserScalar>(value: T, to: usize) -> Result<(), Efault> {
    might_fault::<A>();
    if A::MASKS_USER_ADDRESS {
        // SAFETY: a masked address is the user address itself or one whose access faults and
        // is fixed up (nothing written).
        return unsafe { A::raw_put_user(A::mask_user_address(to), value) };
    }
    if !access_ok::<A>(to, T::SIZE) {
        return Err(Efault);
    }
    // SAFETY: the user range was checked by access_ok() above.
    unsafe { A::raw_put_user(to, value) }
}
