//! The typed accessors: the Linux-named functions behind context tokens and user pointers.

use mightfault_core::context::{FaultsDisabled, MaySleep};
use mightfault_core::{Efault, RawUserAccess, UserScalar};

use super::{Uncopied, UserPtr};
use crate::access_ok::access_ok;

/// A copy's residual as the typed result.
#[inline(always)]
pub(super) fn copied(not_copied: usize) -> Result<(), Uncopied> {
    if not_copied == 0 {
        Ok(())
    } else {
        Err(Uncopied { not_copied })
    }
}

/// Reads one `T` from user space; on failure returns `Err(Efault)`. Calls
/// [`crate::get_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token. With debug-atomic-sleep the
/// run-time check of [`crate::get_user`] runs as well.
#[inline(always)]
#[track_caller]
#[must_use = "the value read, or -EFAULT"]
pub fn get_user<C, T>(cx: &mut C, from: UserPtr<T>) -> Result<T, Efault>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
    T: UserScalar,
{
    let _ = cx;
    let mut value = T::from_bits(0);
    crate::get_user::<C::Arch, T>(&mut value, from.addr())?;
    Ok(value)
}

/// Writes `value` to user space in one access; nothing is written on failure. Calls
/// [`crate::put_user`]. The argument order is Linux's: `put_user(x, ptr)`.
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a write to user space can fail with -EFAULT"]
pub fn put_user<C, T>(cx: &mut C, value: T, to: UserPtr<T>) -> Result<(), Efault>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
    T: UserScalar,
{
    let _ = cx;
    crate::put_user::<C::Arch, T>(value, to.addr())
}

/// Copies `from` to user space at `to`. Calls [`crate::copy_to_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short copy leaves bytes not copied: return -EFAULT or retry them"]
pub fn copy_to_user<C>(cx: &mut C, to: UserPtr<u8>, from: &[u8]) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::copy_to_user::<C::Arch>(to.addr(), from))
}

/// Fills `to` from user space at `from`; the part that could not be read is zeroed. Calls
/// [`crate::copy_from_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short copy leaves bytes not copied (zeroed): return -EFAULT or retry them"]
pub fn copy_from_user<C>(cx: &mut C, to: &mut [u8], from: UserPtr<u8>) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::copy_from_user::<C::Arch>(to, from.addr()))
}

/// Zeroes `n` bytes of user space at `to`. Calls [`crate::clear_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short clear leaves bytes not zeroed: return -EFAULT or retry them"]
pub fn clear_user<C>(cx: &mut C, to: UserPtr<u8>, n: usize) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::clear_user::<C::Arch>(to.addr(), n))
}

/// Copies `from` to user space at `to` with page faults disabled: a fault ends the copy
/// without sleeping. Checks the range (access_ok()), then calls
/// [`crate::__copy_to_user_inatomic`].
///
/// # Context
/// Never sleeps: asks for the [`NoFault`](mightfault_core::context::NoFault) token of
/// `context::pagefault_disable`. Any context.
#[inline(always)]
#[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
pub fn copy_to_user_inatomic<C>(cx: &C, to: UserPtr<u8>, from: &[u8]) -> Result<(), Uncopied>
where
    C: FaultsDisabled,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    if !access_ok::<C::Arch>(to.addr(), from.len()) {
        return copied(from.len());
    }
    // SAFETY: the user range was checked by access_ok() above.
    copied(unsafe { crate::__copy_to_user_inatomic::<C::Arch>(to.addr(), from) })
}

/// Fills `to` from user space at `from` with page faults disabled: a fault ends the copy
/// without sleeping, and the unfilled tail of `to` is left as it was. Checks the range
/// (access_ok()), then calls [`crate::__copy_from_user_inatomic`].
///
/// # Context
/// Never sleeps: asks for the [`NoFault`](mightfault_core::context::NoFault) token. Any
/// context.
#[inline(always)]
#[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
pub fn copy_from_user_inatomic<C>(cx: &C, to: &mut [u8], from: UserPtr<u8>) -> Result<(), Uncopied>
where
    C: FaultsDisabled,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    if !access_ok::<C::Arch>(from.addr(), to.len()) {
        return copied(to.len());
    }
    // SAFETY: the user range was checked by access_ok() above.
    copied(unsafe { crate::__copy_from_user_inatomic::<C::Arch>(to, from.addr()) })
}
