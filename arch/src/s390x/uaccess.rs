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
//! Every fault goes through `fault.rs` and the core's `handle_user_fault`.

use core::arch::asm;

use mightfault_core::{Efault, RawUserAccess};

use super::layout::USER_LIMIT;
use super::S390;
use crate::scalar_access::verdict;

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
                efault = const Efault::ERRNO,
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
                efault = const Efault::ERRNO,
                options(nostack),
            );
        }
        error
    }};
}

/// Loads one user byte; Err when the access faulted and was not resolved.
#[inline(always)]
fn get_byte(from: usize) -> Result<u8, Efault> {
    let (value, error) = get_user_asm!(from, "llgc");
    verdict(error).map(|()| value as u8)
}

/// Stores one user byte; Err when the access faulted and was not resolved.
#[inline(always)]
fn put_byte(to: usize, byte: u8) -> Result<(), Efault> {
    verdict(put_user_asm!(to, u64::from(byte), "stc"))
}

// SAFETY: every user access below is a single instruction with an exception-table entry, so
// each fault goes through fault.rs and handle_user_fault; the byte loops stop at the first
// byte that faults, so nothing past it is written.
unsafe impl RawUserAccess for S390 {
    const USER_LIMIT: usize = USER_LIMIT;

    #[inline(always)]
    unsafe fn raw_copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
        for done in 0..n {
            // SAFETY: the caller guarantees `from` is readable for n bytes.
            let byte = unsafe { from.add(done).read() };
            if put_byte(to.wrapping_add(done), byte).is_err() {
                return n - done;
            }
        }
        0
    }

    #[inline(always)]
    unsafe fn raw_copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
        for done in 0..n {
            match get_byte(from.wrapping_add(done)) {
                // SAFETY: the caller guarantees `to` is writable for n bytes.
                Ok(byte) => unsafe { to.add(done).write(byte) },
                Err(Efault) => return n - done,
            }
        }
        0
    }

    #[inline(always)]
    unsafe fn raw_clear_user(to: usize, n: usize) -> usize {
        for done in 0..n {
            if put_byte(to.wrapping_add(done), 0).is_err() {
                return n - done;
            }
        }
        0
    }

    scalar_user_accessors! {
        get: get_user_asm("llgc", "llgh", "llgf", "lg"),
        put: put_user_asm("stc", "sth", "st", "stg"),
    }
}
