//! What a backend provides for user memory: unchecked raw accessors that may fault and are
//! fixed up through the exception table. `mightfault-uaccess` adds the checks.

/// The error of a user access that faulted or was refused: -EFAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Efault;

impl Efault {
    /// Linux's -EFAULT.
    pub const ERRNO: i32 = -14;

    /// The errno value, -14.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn to_errno(self) -> i32 {
        Self::ERRNO
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A value get_user()/put_user() can move in one access: 1, 2, 4 or 8 bytes.
pub trait UserScalar: Copy + sealed::Sealed + 'static {
    /// Size in bytes.
    const SIZE: usize;
    /// The value as raw bits, zero-extended.
    fn to_bits(self) -> u64;
    /// The value from raw bits (truncated to the size).
    fn from_bits(bits: u64) -> Self;
}

macro_rules! user_scalar {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl UserScalar for $ty {
            const SIZE: usize = core::mem::size_of::<$ty>();
            #[inline(always)]
            fn to_bits(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_bits(bits: u64) -> Self {
                bits as $ty
            }
        }
    )*};
}
user_scalar!(u8, u16, u32, u64, i8, i16, i32, i64, usize, isize);

/// A backend's raw user accessors. None of them checks the address range or calls
/// might_fault(); each may fault, and a fault that is not resolved ends the access at the
/// faulting byte.
///
/// # Safety
/// Implementors promise that every access goes through the fault path of the contract
/// (`fault::handle_user_fault`) and that nothing is written past the first byte that faulted.
pub unsafe trait RawUserAccess: crate::Arch {
    /// The first address above user space (Linux's TASK_SIZE_MAX): access_ok() allows
    /// `[addr, addr + len)` only when it ends at or below this.
    const USER_LIMIT: usize;

    /// Whether get_user()/put_user() range-check with [`mask_user_address`] instead of
    /// access_ok(): no branch on the address, so no mispredicted check lets a speculative
    /// load reach kernel memory (Linux's masked user access on x86_64).
    ///
    /// [`mask_user_address`]: RawUserAccess::mask_user_address
    const MASKS_USER_ADDRESS: bool = false;

    /// `addr` itself when a single access of up to 8 bytes there lies in user space; otherwise
    /// an address at which such an access faults and is fixed up to -EFAULT (never one that
    /// reaches kernel memory). Computed without a branch. Used only when
    /// [`MASKS_USER_ADDRESS`](RawUserAccess::MASKS_USER_ADDRESS) is true.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    fn mask_user_address(addr: usize) -> usize {
        addr
    }

    /// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number
    /// of bytes not copied.
    ///
    /// # Safety
    /// `from` must be valid for reading `n` bytes; `to` must have been checked by the caller.
    ///
    /// # Context
    /// May sleep to resolve a fault unless faulthandler_disabled().
    unsafe fn raw_copy_to_user(to: usize, from: *const u8, n: usize) -> usize;

    /// Copies `n` bytes from user address `from` to kernel memory at `to`; returns the number
    /// of bytes not copied. The uncopied tail of `to` is left as it was.
    ///
    /// # Safety
    /// `to` must be valid for writing `n` bytes; `from` must have been checked by the caller.
    ///
    /// # Context
    /// May sleep to resolve a fault unless faulthandler_disabled().
    unsafe fn raw_copy_from_user(to: *mut u8, from: usize, n: usize) -> usize;

    /// Zeroes `n` bytes at user address `to`; returns the number of bytes not zeroed.
    ///
    /// # Safety
    /// `to` must have been checked by the caller.
    ///
    /// # Context
    /// May sleep to resolve a fault unless faulthandler_disabled().
    unsafe fn raw_clear_user(to: usize, n: usize) -> usize;

    /// Reads one value from user address `from` in a single access into `value`; on failure
    /// `value` is zero (backends zero it in the fault path, so the fast path stores the
    /// loaded register unconditionally, as Linux's `__get_user_8` does).
    ///
    /// # Safety
    /// `from` must have been checked by the caller (access_ok(), or masked by
    /// [`mask_user_address`](RawUserAccess::mask_user_address) where the backend masks).
    ///
    /// # Context
    /// May sleep to resolve a fault unless faulthandler_disabled().
    unsafe fn raw_get_user<T: UserScalar>(value: &mut T, from: usize) -> Result<(), Efault>;

    /// Writes one value to user address `to` in a single access; nothing is written on failure.
    ///
    /// # Safety
    /// `to` must have been checked by the caller (access_ok(), or masked by
    /// [`mask_user_address`](RawUserAccess::mask_user_address) where the backend masks).
    ///
    /// # Context
    /// May sleep to resolve a fault unless faulthandler_disabled().
    unsafe fn raw_put_user<T: UserScalar>(to: usize, value: T) -> Result<(), Efault>;
}
