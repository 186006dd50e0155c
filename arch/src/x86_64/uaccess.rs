//! The raw user accessors: each user access is one instruction between `stac` and `clac`, with
//! an exception-table entry.
//!
//! - get/put: one `mov` of 1, 2, 4 or 8 bytes. The fixup, out of line in `.text.fixup`, sets
//!   the error to -EFAULT (and, for get, zeroes the value) and jumps back to the `clac`. The fast
//!   path of `get_user::<u64>` is `xor` (error = 0), `stac`, `mov`, `clac`: Linux's
//!   `__get_user_8` minus its range clamp, which the caller's access_ok() does here.
//! - copies: `rep movsb`, and `rep stosb` for clear. Both are restartable per byte: on a fault
//!   RCX holds exactly the bytes not done, so the fixup is simply the `clac` after the
//!   instruction and the function returns RCX. A fault that is resolved (a page-in) retries the
//!   instruction where it stopped.
//!
//! Every fault the accessors take must reach the kernel's #PF/#GP handler and from there the
//! contract's decision (`crate::data_fault::decide`, with `super::fault`'s classification).
//! `crate::impl_raw_user_access!` makes these the kernel's `RawUserAccess`.

use core::arch::asm;

use mightfault_core::Efault;

/// What a fixup puts in the error register.
const EFAULT: i32 = Efault::ERRNO;

macro_rules! get_user_asm {
    ($from:expr, $load:literal) => {{
        let value: u64;
        let error: i32;
        // SAFETY: one load from a user address, inside stac/clac; a fault is either resolved and
        // retried or fixed up to the out-of-line code, which sets error and value and returns to
        // the clac. The caller has range-checked the address (RawUserAccess contract).
        unsafe {
            asm!(
                stac!(),
                concat!("2: ", $load),
                "3:",
                clac!(),
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: mov {error:e}, {efault}",
                "xor {value:e}, {value:e}",
                "jmp 3b",
                fixup_end!(),
                addr = in(reg) $from,
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
        // SAFETY: one store to a user address, inside stac/clac; a fault is resolved and retried
        // or fixed up (nothing written). The caller has range-checked the address.
        unsafe {
            asm!(
                stac!(),
                concat!("2: ", $store),
                "3:",
                clac!(),
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: mov {error:e}, {efault}",
                "jmp 3b",
                fixup_end!(),
                addr = in(reg) $to,
                value = in(reg) $value,
                error = inout(reg) 0i32 => error,
                efault = const EFAULT,
                options(nostack),
            );
        }
        error
    }};
}

/// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number of
/// bytes not copied (`rep movsb`: exact per byte).
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    // SAFETY: the caller guarantees `from` is readable for n bytes and `to` was checked.
    unsafe { copy_user_generic(to as *mut u8, from, n) }
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
    unsafe { copy_user_generic(to, from as *const u8, n) }
}

/// Zeroes `n` bytes at user address `to` (`rep stosb`); returns the number of bytes not zeroed.
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    let left: usize;
    // SAFETY: rep stosb writes n bytes at `to` (checked by the caller) inside stac/clac; on a
    // fault that is not resolved, the fixup lands on the clac with RCX = bytes not written.
    unsafe {
        asm!(
            stac!(),
            "2: rep stosb",
            "3:",
            clac!(),
            ex_entry!("2b", "3b"),
            inout("rcx") n => left,
            inout("rdi") to => _,
            in("al") 0u8,
            options(nostack),
        );
    }
    left
}

scalar_user_accessors! {
    get: get_user_asm(
        "movzx {value:e}, byte ptr [{addr}]",
        "movzx {value:e}, word ptr [{addr}]",
        "mov {value:e}, dword ptr [{addr}]",
        "mov {value}, qword ptr [{addr}]"
    ),
    put: put_user_asm(
        "mov byte ptr [{addr}], {value:l}",
        "mov word ptr [{addr}], {value:x}",
        "mov dword ptr [{addr}], {value:e}",
        "mov qword ptr [{addr}], {value}"
    ),
}

/// `rep movsb` between user and kernel memory (either direction); returns the bytes not copied.
///
/// # Safety
/// `to` writable and `from` readable for `n` bytes, the user side range-checked.
#[inline(always)]
unsafe fn copy_user_generic(to: *mut u8, from: *const u8, n: usize) -> usize {
    let left: usize;
    // SAFETY: the caller's contract; on a fault that is not resolved, the fixup lands on the clac
    // with RCX = bytes not copied, and nothing past the faulting byte was written.
    unsafe {
        asm!(
            stac!(),
            "2: rep movsb",
            "3:",
            clac!(),
            ex_entry!("2b", "3b"),
            inout("rcx") n => left,
            inout("rdi") to => _,
            inout("rsi") from => _,
            options(nostack),
        );
    }
    left
}
