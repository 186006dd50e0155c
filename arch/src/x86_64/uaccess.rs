//! The raw user accessors: every user access sits between `stac` and `clac`, each access
//! instruction with an exception-table entry.
//!
//! - get/put: one `mov` of 1, 2, 4 or 8 bytes. The fixup, out of line in `.text.fixup`, sets
//!   the error to -EFAULT (and, for get, zeroes the value) and jumps back to the `clac`. The
//!   range check in front of them is [`mask_user_address`], not access_ok(): a `cmp` and a
//!   `cmova` that turn every address outside user space into a non-canonical one, with no
//!   branch a mispredicted check could speculate past (Linux's masked user access). The fast
//!   path of `get_user::<u64>` is then two constants, `cmp`, `cmova`, `xor` (error = 0),
//!   `stac`, `mov`, `clac`: Linux's `__get_user_8`.
//! - copies and clears: `rep movsb`/`rep stosb` or a word loop, chosen once at boot
//!   ([`super::user_copy`]); either way the count of bytes not done is exact.
//!
//! Every fault the accessors take must reach the kernel's #PF/#GP handler and from there the
//! contract's decision (`crate::data_fault::decide`, with `super::fault`'s classification).
//! `crate::impl_raw_user_access!` makes these the kernel's `RawUserAccess`.

use core::arch::asm;

use mightfault_core::Efault;

use super::user_copy::{clear_routine, clear_user_with, copy_routine, copy_user_with};

/// What a fixup puts in the error register.
const EFAULT: i32 = Efault::ERRNO;

macro_rules! get_user_asm {
    ($from:expr, $load:literal) => {{
        let value: u64;
        let error: i32;
        // SAFETY: one load from a user address, inside stac/clac; a fault is either resolved and
        // retried or fixed up to the out-of-line code, which sets error and value and returns to
        // the clac. The caller has range-checked or masked the address (RawUserAccess
        // contract), so it is a user address or a non-canonical one (#GP, fixed up alike).
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
        // or fixed up (nothing written). The caller has range-checked or masked the address.
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
/// bytes not copied (exact: nothing past the faulting byte is written).
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    // SAFETY: the caller guarantees `from` is readable for n bytes and `to` was checked.
    unsafe { copy_user_with(copy_routine(), to as *mut u8, from, n) }
}

/// Copies `n` bytes from user address `from` to kernel memory at `to`; returns the number of
/// bytes not copied (exact). The uncopied tail of `to` is left as it was.
///
/// # Safety
/// `to` writable for `n` bytes; `from` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
    // SAFETY: the caller guarantees `to` is writable for n bytes and `from` was checked.
    unsafe { copy_user_with(copy_routine(), to, from as *const u8, n) }
}

/// Zeroes `n` bytes at user address `to`; returns the number of bytes not zeroed (exact).
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    // SAFETY: the caller guarantees `to` was checked.
    unsafe { clear_user_with(clear_routine(), to, n) }
}

/// get_user()/put_user() range-check with [`mask_user_address`] instead of access_ok().
pub const MASKS_USER_ADDRESS: bool = true;

/// Where [`mask_user_address`] sends every address outside user space: bit 63 set and bits
/// 62..0 clear. Neither it nor the 7 bytes after it are canonical under 4-level paging (bits
/// 63..47 must be equal) or 5-level paging (bits 63..56), so an access of up to 8 bytes there
/// raises #GP before any translation: it can reach no memory, whatever the kernel maps.
pub const NONCANONICAL_ADDRESS: usize = 1 << 63;

/// `addr` itself when an 8-byte access there ends at or below `limit` (the kernel's first
/// address above user space); [`NONCANONICAL_ADDRESS`] otherwise. A `cmp` and a `cmova` in
/// `asm!`, so the compiler cannot turn the clamp into a branch that a mispredicting cpu could
/// speculate past with the kernel address.
///
/// The bound is the 8-byte access, whatever the size of the value: an access of 1 to 8 bytes
/// at the returned address either lies below `limit` or faults, which the kernel's #GP
/// handler fixes up to -EFAULT inside a user access. A 1-, 2- or 4-byte get_user()/put_user()
/// of the last 7 bytes below `limit` is therefore refused too (on a kernel whose limit is
/// Linux's TASK_SIZE_MAX those bytes are the unmapped guard page's anyway).
///
/// ```
/// use mightfault_arch::x86_64::uaccess::{mask_user_address, NONCANONICAL_ADDRESS};
///
/// const LIMIT: usize = 0x7fff_ffff_f000;
/// assert_eq!(mask_user_address(0x4000_0000, LIMIT), 0x4000_0000);
/// assert_eq!(mask_user_address(LIMIT - 8, LIMIT), LIMIT - 8);
/// for outside in [LIMIT - 7, LIMIT, 1 << 47, 0xffff_8000_0000_0000, usize::MAX - 3] {
///     assert_eq!(mask_user_address(outside, LIMIT), NONCANONICAL_ADDRESS);
/// }
/// ```
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn mask_user_address(addr: usize, limit: usize) -> usize {
    // `limit` is the kernel's constant, so this folds away; below 8 nothing fits.
    let Some(last) = limit.checked_sub(8) else {
        return NONCANONICAL_ADDRESS;
    };
    let masked: usize;
    // SAFETY: register arithmetic only: no memory, no stack, nothing but the flags changed.
    unsafe {
        asm!(
            "cmp {addr}, {last}",
            "cmova {addr}, {bad}",
            addr = inout(reg) addr => masked,
            last = in(reg) last,
            bad = in(reg) NONCANONICAL_ADDRESS,
            options(pure, nomem, nostack),
        );
    }
    masked
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
