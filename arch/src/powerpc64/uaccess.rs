//! The raw user accessors: each user access is one load or store with an exception-table
//! entry.
//!
//! - get/put: one `lbz`/`lhz`/`lwz`/`ld` or `stb`/`sth`/`stw`/`std`. The fixup, out of line in
//!   `.text.fixup`, sets the error to -EFAULT (and, for get, zeroes the value) and branches back
//!   behind the access, so the fast path stores the loaded register unconditionally.
//! - copies and clear: a byte loop whose every load and store has an entry pointing at the
//!   loop's exit. A general register (not CTR) holds the bytes not done and is decremented
//!   only after a byte's store, so on a fault that is not resolved it is exactly the bytes not
//!   copied and nothing past the faulting byte was written. A resolved fault (a page-in)
//!   retries the same instruction.
//!
//! There is no `stac`/`clac` here: the kernel opens user access once (the AMR cleared at cpu
//! bring-up) and relies on the exception table alone, as Linux does without KUAP.
//!
//! Every fault the accessors take must reach the kernel's data storage (0x300) and data
//! segment (0x380) handlers and from there the contract's decision
//! (`crate::data_fault::decide`, with [`super::fault`]'s classification).
//! `crate::impl_raw_user_access!` makes these the kernel's `RawUserAccess`.

use core::arch::asm;

use mightfault_core::Efault;

/// What a fixup puts in the error register.
const EFAULT: i64 = Efault::ERRNO as i64;

macro_rules! get_user_asm {
    ($from:expr, $load:literal) => {{
        let value: u64;
        let error: i64;
        // SAFETY: one load from a user address; a fault is either resolved and retried or
        // fixed up to the out-of-line code, which sets error and value and branches back. The
        // caller has range-checked the address (RawUserAccess contract).
        unsafe {
            asm!(
                concat!("2: ", $load, " {value}, 0({addr})"),
                "3:",
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: li {error}, {efault}",
                "li {value}, 0",
                "b 3b",
                fixup_end!(),
                addr = in(reg_nonzero) $from,
                value = lateout(reg) value,
                error = inout(reg) 0i64 => error,
                efault = const EFAULT,
                options(nostack, preserves_flags),
            );
        }
        (value, error)
    }};
}

macro_rules! put_user_asm {
    ($to:expr, $value:expr, $store:literal) => {{
        let error: i64;
        // SAFETY: one store to a user address; a fault is resolved and retried or fixed up
        // (nothing written). The caller has range-checked the address.
        unsafe {
            asm!(
                concat!("2: ", $store, " {value}, 0({addr})"),
                "3:",
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: li {error}, {efault}",
                "b 3b",
                fixup_end!(),
                addr = in(reg_nonzero) $to,
                value = in(reg) $value,
                error = inout(reg) 0i64 => error,
                efault = const EFAULT,
                options(nostack, preserves_flags),
            );
        }
        error
    }};
}

/// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number of
/// bytes not copied (a byte loop: exact per byte).
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    // SAFETY: the caller guarantees `from` is readable for n bytes and `to` was checked.
    unsafe { copy_bytes(to as *mut u8, from, n) }
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
    // SAFETY: the caller guarantees `to` is writable for n bytes and `from` was checked.
    unsafe { copy_bytes(to, from as *const u8, n) }
}

/// Zeroes `n` bytes at user address `to` (one `stb` per byte); returns the number of bytes
/// not zeroed.
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    let left: usize;
    if n == 0 {
        return 0;
    }
    // SAFETY: writes n bytes at `to` (checked by the caller), one byte per store; on a fault
    // that is not resolved the fixup leaves the loop with `left` = bytes not written.
    unsafe {
        asm!(
            "2: stb {zero}, 0({to})",
            "addi {to}, {to}, 1",
            "addic. {left}, {left}, -1",
            "bne 2b",
            "3:",
            ex_entry!("2b", "3b"),
            to = inout(reg_nonzero) to => _,
            left = inout(reg) n => left,
            zero = in(reg) 0u64,
            options(nostack),
        );
    }
    left
}

scalar_user_accessors! {
    get: get_user_asm("lbz", "lhz", "lwz", "ld"),
    put: put_user_asm("stb", "sth", "stw", "std"),
}

/// A byte loop between user and kernel memory (either direction); returns the bytes not
/// copied.
///
/// # Safety
/// `to` writable and `from` readable for `n` bytes, the user side range-checked.
#[inline(always)]
unsafe fn copy_bytes(to: *mut u8, from: *const u8, n: usize) -> usize {
    let left: usize;
    if n == 0 {
        return 0;
    }
    // SAFETY: the caller's contract; on a fault that is not resolved, the fixup leaves the loop
    // with `left` = bytes not copied, and nothing past the faulting byte was written.
    unsafe {
        asm!(
            "2: lbz {byte}, 0({from})",
            "3: stb {byte}, 0({to})",
            "addi {from}, {from}, 1",
            "addi {to}, {to}, 1",
            "addic. {left}, {left}, -1",
            "bne 2b",
            "4:",
            ex_entry!("2b", "4b"),
            ex_entry!("3b", "4b"),
            from = inout(reg_nonzero) from => _,
            to = inout(reg_nonzero) to => _,
            left = inout(reg) n => left,
            byte = out(reg) _,
            options(nostack),
        );
    }
    left
}
