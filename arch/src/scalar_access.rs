//! The part of get_user()/put_user() that is the same on every arch: picking the
//! access instruction by the value's size, and turning the error register into a `Result`.
//! The `asm!` of one access stays with each arch (its instructions and fixup differ).

use mightfault_core::Efault;

/// The verdict of one user access: the fixups leave -EFAULT in the error register, the fast
/// path leaves 0.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn verdict<E: Into<i64>>(error: E) -> Result<(), Efault> {
    match error.into() {
        0 => Ok(()),
        _ => Err(Efault),
    }
}

/// Expands `$access!($($arg),*, insn)` with the instruction for a 1-, 2-, 4- or 8-byte value
/// (`$b`, `$h`, `$w`, `$d`). `$size` is a constant, so only one arm survives compilation.
macro_rules! by_size {
    ($size:expr, $access:ident($($arg:expr),*), $b:literal, $h:literal, $w:literal, $d:literal) => {
        match $size {
            1 => $access!($($arg),*, $b),
            2 => $access!($($arg),*, $h),
            4 => $access!($($arg),*, $w),
            _ => $access!($($arg),*, $d),
        }
    };
}

/// An arch's `get_user` and `put_user` free functions, from its `get_user_asm!(from, insn) ->
/// (u64 value, error)` and `put_user_asm!(to, bits, insn) -> error` and the load and store
/// instruction for each size. Place it in the arch's `uaccess` module.
macro_rules! scalar_user_accessors {
    (
        get: $get:ident($gb:literal, $gh:literal, $gw:literal, $gd:literal),
        put: $put:ident($pb:literal, $ph:literal, $pw:literal, $pd:literal) $(,)?
    ) => {
        /// Reads one value from user address `from` in a single access into `value`; on
        /// failure `value` is zero (the fixup zeroes it, so the fast path stores the loaded
        /// register unconditionally, as Linux's `__get_user_8` does).
        ///
        /// # Safety
        /// `from` must have been range-checked by the caller (`access_ok`).
        ///
        /// # Context
        /// May sleep to resolve a fault unless faulthandler_disabled().
        #[inline(always)]
        pub unsafe fn get_user<T: mightfault_core::UserScalar>(
            value: &mut T,
            from: usize,
        ) -> Result<(), mightfault_core::Efault> {
            let (bits, error) = by_size!(T::SIZE, $get(from), $gb, $gh, $gw, $gd);
            // The fixup zeroed `bits`, so the store needs no branch.
            *value = T::from_bits(bits);
            $crate::scalar_access::verdict(error)
        }

        /// Writes one value to user address `to` in a single access; nothing is written on
        /// failure.
        ///
        /// # Safety
        /// `to` must have been range-checked by the caller (`access_ok`).
        ///
        /// # Context
        /// May sleep to resolve a fault unless faulthandler_disabled().
        #[inline(always)]
        pub unsafe fn put_user<T: mightfault_core::UserScalar>(
            to: usize,
            value: T,
        ) -> Result<(), mightfault_core::Efault> {
            let bits = value.to_bits();
            $crate::scalar_access::verdict(by_size!(T::SIZE, $put(to, bits), $pb, $ph, $pw, $pd))
        }
    };
}
