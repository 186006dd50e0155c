//! The raw user accessors: every user access is one load or store instruction with an
//! exception-table entry.
//!
//! - get/put: `llgc`/`llgh`/`llgf`/`lg` and `stc`/`sth`/`st`/`stg`. The fixup, out of line in
//!   `.text.fixup`, sets the error to -EFAULT (and, for get, zeroes the value) and jumps back,
//!   so the fast path stores the loaded register unconditionally.
//! - copies and clear: one byte at a time, each byte one such access. A fault that is resolved
//!   retries the byte; one that is not ends the loop at that byte, so the count of bytes not
//!   done is exact and nothing past the faulting byte is written.
//!
//! User and kernel share one address space here (the kernel above the user limit, as the
//! kernel's own layout decides), so the accesses are plain loads and stores: no `sacf`, no
//! access registers, no `mvcos`, and nothing to open or close around them.
//!
//! Every fault the accessors take must reach the kernel's program-check handler and from there
//! the contract's decision (`crate::data_fault::decide`, with `super::fault`'s
//! classification). `crate::impl_raw_user_access!` makes these the kernel's `RawUserAccess`.

use core::arch::asm;

use mightfault_core::Efault;

use crate::scalar_access::verdict;

/// What a fixup puts in the error register.
const EFAULT: i32 = Efault::ERRNO;

macro_rules! get_user_asm {
    ($from:expr, $load:literal) => {{
        let value: u64;
        let error: i32;
        // SAFETY: one load from a user address the caller range-checked; a fault is resolved and
        // retried, or fixed up to the out-of-line code, which sets error and value and returns.
        unsafe {
            asm!(
                concat!("2: ", $load, " {value}, 0({addr})"),
                "3:",
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: lghi {value}, 0",
                "lhi {error}, {efault}",
                "jg 3b",
                fixup_end!(),
                addr = in(reg_addr) $from,
                value = lateout(reg) value,
                error = inout(reg) 0i32 => error,
                efault = const EFAULT,
                options(nostack),
            );
        }
        (value, error)
    }};
}

macro_rules! put_user_asm {
    ($to:expr, $value:expr, $store:literal) => {{
        let error: i32;
        // SAFETY: one store to a user address the caller range-checked; a fault is resolved and
        // retried or fixed up (nothing written).
        unsafe {
            asm!(
                concat!("2: ", $store, " {value}, 0({addr})"),
                "3:",
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: lhi {error}, {efault}",
                "jg 3b",
                fixup_end!(),
                addr = in(reg_addr) $to,
                value = in(reg) $value,
                error = inout(reg) 0i32 => error,
                efault = const EFAULT,
                options(nostack),
            );
        }
        error
    }};
}

/// Loads one user byte; Err when the access faulted and was not resolved.
///
/// # Safety
/// `from` range-checked by the caller (`access_ok`).
#[inline(always)]
unsafe fn get_byte(from: usize) -> Result<u8, Efault> {
    let (value, error) = get_user_asm!(from, "llgc");
    verdict(error).map(|()| value as u8)
}

/// Stores one user byte; Err when the access faulted and was not resolved.
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
#[inline(always)]
unsafe fn put_byte(to: usize, byte: u8) -> Result<(), Efault> {
    verdict(put_user_asm!(to, u64::from(byte), "stc"))
}

/// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number of
/// bytes not copied (exact: one store per byte).
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    for done in 0..n {
        // SAFETY: the caller guarantees `from` is readable for n bytes.
        let byte = unsafe { from.add(done).read() };
        // SAFETY: `to..to + n` was range-checked by the caller.
        if unsafe { put_byte(to.wrapping_add(done), byte) }.is_err() {
            return n - done;
        }
    }
    0
}

/// Copies `n` bytes from user address `from` to kernel memory at `to`; returns the number of
/// bytes not copied. The uncopied tail of `to` is left as it was.
///
/// # Safety
/// `to` writable for `n` bytes; `from` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
    for done in 0..n {
        // SAFETY: `from..from + n` was range-checked by the caller.
        match unsafe { get_byte(from.wrapping_add(done)) } {
            // SAFETY: the caller guarantees `to` is writable for n bytes.
            Ok(byte) => unsafe { to.add(done).write(byte) },
            Err(Efault) => return n - done,
        }
    }
    0
}

/// Zeroes `n` bytes at user address `to`; returns the number of bytes not zeroed.
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    for done in 0..n {
        // SAFETY: `to..to + n` was range-checked by the caller.
        if unsafe { put_byte(to.wrapping_add(done), 0) }.is_err() {
            return n - done;
        }
    }
    0
}

scalar_user_accessors! {
    get: get_user_asm("llgc", "llgh", "llgf", "lg"),
    put: put_user_asm("stc", "sth", "st", "stg"),
}
